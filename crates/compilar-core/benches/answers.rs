//! Answer submission benchmark: 8 concurrent writers over 1,000 assessments, through the facade, on a real
//! SQLite file. Prints answers/s and latency percentiles, and verifies that no acknowledged answer was lost.
//!
//! Run: `cargo bench -p compilar-core --bench answers`
//! Optional env: BENCH_ANSWERS (answers per writer, default 25,000), BENCH_WORKERS (tokio worker threads,
//! default: one per core).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use compilar_core::api::{AnswerRequest, CreateAssessmentRequest};
use compilar_core::App;

const WRITERS: usize = 8;
const ASSESSMENTS: usize = 1_000;

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn main() {
    let per_writer = env_usize("BENCH_ANSWERS").unwrap_or(25_000);
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(w) = env_usize("BENCH_WORKERS") {
        rt.worker_threads(w);
    }
    let rt = rt.enable_all().build().expect("tokio runtime");
    rt.block_on(run(per_writer));
}

type Owned = Vec<(Vec<(String, Vec<String>)>, HashMap<(usize, usize), i64>)>;

async fn round(
    app: &App,
    assessments: &[(String, Vec<String>)],
    per_writer: usize,
    report: bool,
) -> Owned {
    let start = Instant::now();
    let mut handles = Vec::new();
    for w in 0..WRITERS {
        let app = app.clone();
        // Writer w owns every 8th assessment, so the final value of each answer is known exactly.
        let mine: Vec<(String, Vec<String>)> = assessments
            .iter()
            .skip(w)
            .step_by(WRITERS)
            .cloned()
            .collect();
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per_writer);
            let mut last: HashMap<(usize, usize), i64> = HashMap::new();
            for i in 0..per_writer {
                let ai = i % mine.len();
                let (aid, qids) = &mine[ai];
                let qi = (i / mine.len()) % qids.len();
                let v = ((i / (mine.len() * qids.len()) + w + qi) % 5 + 1) as i64;
                let t = Instant::now();
                app.assessments()
                    .answer(AnswerRequest {
                        assessment_id: aid.clone(),
                        question_id: qids[qi].clone(),
                        value: v,
                    })
                    .await
                    .expect("answer");
                lat.push(t.elapsed());
                last.insert((ai, qi), v);
            }
            (lat, mine, last)
        }));
    }
    let mut lat = Vec::new();
    let mut owned = Vec::new();
    for h in handles {
        let (l, mine, last) = h.await.expect("writer");
        lat.extend(l);
        owned.push((mine, last));
    }
    let elapsed = start.elapsed();
    lat.sort();
    let n = lat.len();
    if report {
        println!(
            "answers: {n} by {WRITERS} concurrent writers over {ASSESSMENTS} assessments in {:.3} s = {:.0} answers/s; \
             latency p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
            elapsed.as_secs_f64(),
            n as f64 / elapsed.as_secs_f64(),
            pct(&lat, 0.50).as_secs_f64() * 1e6,
            pct(&lat, 0.90).as_secs_f64() * 1e6,
            pct(&lat, 0.99).as_secs_f64() * 1e6,
            lat[n - 1].as_secs_f64() * 1e6,
        );
    }
    owned
}

async fn run(per_writer: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = App::open(Some(dir.path().to_owned())).await.expect("open");
    let pillars = app.domain().framework.pillars.clone();
    let mut assessments = Vec::with_capacity(ASSESSMENTS);
    for i in 0..ASSESSMENTS {
        let p = &pillars[i % pillars.len()];
        let a = app
            .assessments()
            .create(CreateAssessmentRequest {
                pillar: p.id.clone(),
                mode: p.mode.clone(),
                include_fresh: None,
                group_label: None,
                note: None,
                round_id: None,
            })
            .await
            .expect("create");
        let qids: Vec<String> = a.questions.iter().map(|q| q.id.clone()).collect();
        assessments.push((a.id, qids));
    }

    round(&app, &assessments, 2_000, false).await;
    let owned = round(&app, &assessments, per_writer, true).await;

    // Every acknowledged answer is there: the stored value of each answered question is the writer's last one.
    let mut checked = 0usize;
    for (mine, last) in owned {
        for (ai, (aid, qids)) in mine.iter().enumerate() {
            let got = app.assessments().get(aid).await.expect("get");
            for (qi, q) in qids.iter().enumerate() {
                if let Some(v) = last.get(&(ai, qi)) {
                    assert_eq!(got.answers.get(q), Some(v), "lost answer {aid} {q}");
                    checked += 1;
                }
            }
        }
    }
    println!("verified: {checked} final answers present, 0 lost");
}
