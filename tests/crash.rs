//! Crash safety: a child process submits answers and prints each acknowledged one; it is killed with SIGKILL
//! mid-stream; after reopening, every acknowledged answer is present and the database is intact.
//!
//! The child is this same test binary, re-run with `COMPILAR_CRASH_CHILD` set.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use compilar_core::api::{AnswerRequest, CreateAssessmentRequest};
use compilar_core::App;

const CHILD_ENV: &str = "COMPILAR_CRASH_CHILD";

/// In the child: open the app, then loop over fresh assessments answering every question, printing
/// `ACK <assessment> <question> <value>` after each acknowledged answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return; // only meaningful as the child of `kill_9_loses_no_acknowledged_answer`
    };
    let app = App::open(Some(dir.into())).await.unwrap();
    println!("READY");
    let pillars = ["grpprosp", "indrecip", "popularity", "divsexp", "outresp"];
    for round in 0.. {
        let a = app
            .assessments()
            .create(CreateAssessmentRequest {
                pillar: pillars[round % pillars.len()].into(),
                mode: "egalitarian".into(),
                include_fresh: None,
                group_label: None,
                note: None,
                round_id: None,
            })
            .await
            .unwrap();
        for (i, q) in a.questions.iter().enumerate() {
            let value = ((round + i) % 5 + 1) as i64;
            app.assessments()
                .answer(AnswerRequest {
                    assessment_id: a.id.clone(),
                    question_id: q.id.clone(),
                    value,
                })
                .await
                .unwrap();
            println!("ACK {} {} {}", a.id, q.id, value);
        }
    }
}

#[tokio::test]
async fn kill_9_loses_no_acknowledged_answer() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &crate::test_name(module_path!(), "crash_child"),
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acks = Vec::new();
    let start = Instant::now();
    let mut lines = BufReader::new(stdout).lines();
    // Let it write for a while (at least 2,000 acknowledged answers or 3 s), then kill it mid-stream.
    while let Some(Ok(line)) = lines.next() {
        if let Some(rest) = line.strip_prefix("ACK ") {
            let parts: Vec<String> = rest.split(' ').map(str::to_owned).collect();
            acks.push((
                parts[0].clone(),
                parts[1].clone(),
                parts[2].parse::<i64>().unwrap(),
            ));
        }
        if acks.len() >= 2_000 || start.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    // SIGKILL: no destructors, no clean shutdown.
    child.kill().unwrap();
    child.wait().unwrap();
    // Anything printed before the kill was acknowledged too.
    for line in lines.map_while(Result::ok) {
        if let Some(rest) = line.strip_prefix("ACK ") {
            let parts: Vec<&str> = rest.split(' ').collect();
            if parts.len() == 3 {
                if let Ok(v) = parts[2].parse::<i64>() {
                    acks.push((parts[0].to_owned(), parts[1].to_owned(), v));
                }
            }
        }
    }
    assert!(
        acks.len() > 100,
        "the child acknowledged only {} answers",
        acks.len()
    );

    let app = App::open(Some(dir.path().to_owned())).await.unwrap();
    let mut checked = 0;
    let mut current: Option<compilar_core::api::Assessment> = None;
    for (aid, qid, v) in &acks {
        if current.as_ref().map(|a| &a.id) != Some(aid) {
            current = Some(app.assessments().get(aid).await.unwrap());
        }
        let a = current.as_ref().unwrap();
        assert_eq!(
            a.answers.get(qid),
            Some(v),
            "acknowledged answer {aid} {qid} lost"
        );
        checked += 1;
    }
    assert_eq!(checked, acks.len());
    drop(app);
    let conn = rusqlite::Connection::open(dir.path().join("compilar.db")).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    println!("verified {} acknowledged answers after SIGKILL", acks.len());
}
