//! Concurrent answers to ONE assessment: every acknowledged answer is stored, none is lost.

use crate::common;

use std::collections::HashMap;

use common::{create, open};
use compilar_core::api::AnswerRequest;

const TASKS: usize = 8;
const ANSWERS_PER_TASK: usize = 600;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_writers_lose_no_answer() {
    let t = open().await;
    let a = create(&t.app, "indrecip", "egalitarian").await;
    let qids: Vec<String> = a.questions.iter().map(|q| q.id.clone()).collect();

    // Task t owns the questions whose index is t modulo 8 and keeps changing their answers, interleaved with
    // the other tasks writing to the same row. A read-modify-write store would let one task's write overwrite
    // another's; with one json_patch per answer every question must end with exactly its owner's last value.
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let app = t.app.clone();
        let mine: Vec<String> = qids.iter().skip(task).step_by(TASKS).cloned().collect();
        let aid = a.id.clone();
        handles.push(tokio::spawn(async move {
            let mut last: HashMap<String, i64> = HashMap::new();
            for i in 0..ANSWERS_PER_TASK {
                let q = &mine[i % mine.len()];
                let v = ((task + i / mine.len()) % 5 + 1) as i64;
                let ack = app
                    .assessments()
                    .answer(AnswerRequest {
                        assessment_id: aid.clone(),
                        question_id: q.clone(),
                        value: v,
                    })
                    .await
                    .expect("answer acknowledged");
                assert_eq!(ack.value, v);
                last.insert(q.clone(), v);
            }
            last
        }));
    }
    let mut expected: HashMap<String, i64> = HashMap::new();
    for h in handles {
        expected.extend(h.await.unwrap());
    }
    assert_eq!(expected.len(), qids.len());
    let got = t.app.assessments().get(&a.id).await.unwrap();
    assert_eq!(
        got.answered as usize,
        qids.len(),
        "every question has an answer"
    );
    assert_eq!(
        got.answers, expected,
        "an acknowledged answer was lost or overwritten"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn distinct_answers_from_many_writers_are_all_stored() {
    // 8 writers × 500 distinct answers, spread over assessments so every (assessment, question) pair is
    // written exactly once: the store must hold exactly 4,000 answers with the values sent.
    let t = open().await;
    let mut assessments = Vec::new();
    for _ in 0..((TASKS * 500).div_ceil(12)) {
        assessments.push(create(&t.app, "outresp", "egalitarian").await);
    }
    let slots: Vec<(String, String, i64)> = assessments
        .iter()
        .flat_map(|a| {
            a.questions
                .iter()
                .enumerate()
                .map(|(i, q)| (a.id.clone(), q.id.clone(), (i % 5 + 1) as i64))
        })
        .take(TASKS * 500)
        .collect();
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let app = t.app.clone();
        let mine: Vec<_> = slots.iter().skip(task).step_by(TASKS).cloned().collect();
        handles.push(tokio::spawn(async move {
            for (aid, qid, v) in mine {
                app.assessments()
                    .answer(AnswerRequest {
                        assessment_id: aid,
                        question_id: qid,
                        value: v,
                    })
                    .await
                    .expect("answer acknowledged");
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let mut stored = 0;
    for a in &assessments {
        let got = t.app.assessments().get(&a.id).await.unwrap();
        for (aid, qid, v) in slots.iter().filter(|s| s.0 == a.id) {
            assert_eq!(got.answers.get(qid), Some(v), "{aid} {qid}");
            stored += 1;
        }
    }
    assert_eq!(stored, TASKS * 500);
}
