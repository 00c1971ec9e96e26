//! Progress, export, import and backup benchmark, on real SQLite files:
//! - the Progress page's data for 1,000 completed assessments (ten pillars, five groups);
//! - export of 10,000 assessments to a zip archive, and import of it into a fresh installation;
//! - a backup of a ~200 MB database while answers are being written: how long it takes, and the longest an
//!   answer waited during it (against the longest before it).
//!
//! Run: `cargo bench -p compilar-core --bench data`
//! Optional env: BENCH_PROGRESS (default 1,000), BENCH_EXPORT (default 10,000), BENCH_DB_MB (default 200).

use std::time::{Duration, Instant};

use compilar_core::api::{
    AboutRequest, AnswerRequest, BackupRequest, CreateAssessmentRequest, ExportRequest,
    ImportRequest, ProgressRequest,
};
use compilar_core::{App, AppOptions};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One completed assessment of each pillar, then `n` in all by copying them with new ids, five group
/// labels and completion times a day apart.
async fn fill(app: &App, n: usize) {
    let fw = app.domain().framework.clone();
    let mut seeds = Vec::new();
    for (i, p) in fw.pillars.iter().enumerate() {
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
        for (j, q) in a.questions.iter().enumerate() {
            app.assessments()
                .answer(AnswerRequest {
                    assessment_id: a.id.clone(),
                    question_id: q.id.clone(),
                    value: ((i + j) % 5 + 1) as i64,
                })
                .await
                .expect("answer");
        }
        app.assessments().complete(&a.id).await.expect("complete");
        app.assessments()
            .set_about(AboutRequest {
                assessment_id: a.id.clone(),
                group_label: Some("Group 0".into()),
                note: None,
            })
            .await
            .expect("about");
        seeds.push(a.id);
    }
    let extra = n.saturating_sub(seeds.len());
    app.store()
        .write(move |c| {
            let mut st = c.prepare(
                "INSERT INTO assessments (id, owner_id, pillar, mode, stage, question_ids, responses, answered,
                     total, results, bank_version, created_at, updated_at, completed_at, group_label)
                 SELECT ?1, owner_id, pillar, mode, stage, question_ids, responses, answered, total, results,
                     bank_version, ?2, ?2, ?2, ?3
                 FROM assessments WHERE id = ?4",
            )?;
            let start = chrono::Utc::now() - chrono::Duration::days(extra as i64 + 1);
            for i in 0..extra {
                let at = (start + chrono::Duration::days(i as i64))
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                st.execute(rusqlite::params![
                    uuid::Uuid::now_v7().to_string(),
                    at,
                    format!("Group {}", i % 5),
                    seeds[i % seeds.len()],
                ])?;
            }
            Ok(())
        })
        .await
        .expect("copies");
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        progress(env("BENCH_PROGRESS", 1_000)).await;
        export_import(env("BENCH_EXPORT", 10_000)).await;
        backup(env("BENCH_DB_MB", 200)).await;
    });
}

async fn progress(n: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::open_with(AppOptions::for_tests(dir.path()))
        .await
        .expect("open");
    fill(&app, n).await;
    for _ in 0..5 {
        app.progress()
            .view(ProgressRequest::default())
            .await
            .expect("progress");
    }
    let mut all = Vec::new();
    let mut one = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let v = app
            .progress()
            .view(ProgressRequest::default())
            .await
            .expect("progress");
        all.push(t.elapsed());
        assert_eq!(v.totals.completed as usize, n);
        let t = Instant::now();
        app.progress()
            .view(ProgressRequest {
                group: Some("Group 1".into()),
                mode: None,
                ..ProgressRequest::default()
            })
            .await
            .expect("progress");
        one.push(t.elapsed());
    }
    for (what, mut d) in [("everything", all), ("one group", one)] {
        d.sort();
        println!(
            "progress data, {n} assessments, {what:<12} p50 {:>6.2} ms   p90 {:>6.2} ms   max {:>6.2} ms",
            ms(d[d.len() / 2]),
            ms(d[d.len() * 9 / 10]),
            ms(d[d.len() - 1])
        );
    }
}

async fn export_import(n: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::open_with(AppOptions::for_tests(dir.path()))
        .await
        .expect("open");
    fill(&app, n).await;
    let zip = dir.path().join("export.zip");
    let t = Instant::now();
    let s = app
        .data()
        .export(
            ExportRequest {
                path: zip.display().to_string(),
                format: None,
                request_id: "bench".into(),
                overwrite: None,
            },
            |_| {},
        )
        .await
        .expect("export");
    let export = t.elapsed();
    println!(
        "export of {n} assessments (zip)              {:>8.0} ms   ({:.1} MB written, {:.1} MB archive)",
        ms(export),
        s.bytes as f64 / 1e6,
        std::fs::metadata(&zip).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
    );
    let other = tempfile::tempdir().expect("tempdir");
    let b = App::open_with(AppOptions::for_tests(other.path()))
        .await
        .expect("open");
    let t = Instant::now();
    let s = b
        .data()
        .import(ImportRequest {
            path: zip.display().to_string(),
            dry_run: false,
        })
        .await
        .expect("import");
    println!(
        "import of the same into a fresh installation {:>8.0} ms   ({} added)",
        ms(t.elapsed()),
        s.tables
            .iter()
            .find(|t| t.table == "assessments")
            .map_or(0, |t| t.added)
    );
    let t = Instant::now();
    b.data()
        .import(ImportRequest {
            path: zip.display().to_string(),
            dry_run: false,
        })
        .await
        .expect("import again");
    println!(
        "the same import again (nothing to add)       {:>8.0} ms",
        ms(t.elapsed())
    );
}

async fn backup(mb: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::open_with(AppOptions::for_tests(dir.path()))
        .await
        .expect("open");
    fill(&app, 100).await;
    app.store()
        .write(move |c| {
            c.execute_batch("CREATE TABLE IF NOT EXISTS bench_filler (b BLOB)")?;
            for _ in 0..mb {
                c.execute("INSERT INTO bench_filler VALUES (randomblob(1048576))", [])?;
            }
            Ok(())
        })
        .await
        .expect("filler");
    app.store().checkpoint().await;
    let size = std::fs::metadata(&app.paths().database)
        .map(|m| m.len())
        .unwrap_or(0);
    // Answers written one after another, each timed, before and during the backup.
    let quiz = app
        .assessments()
        .create(CreateAssessmentRequest {
            pillar: "grpprosp".into(),
            mode: "egalitarian".into(),
            include_fresh: None,
            group_label: None,
            note: None,
            round_id: None,
        })
        .await
        .expect("create");
    let q = quiz.questions[0].id.clone();
    let writer_app = app.clone();
    let answer = move |i: u64| {
        let (app, id, q) = (writer_app.clone(), quiz.id.clone(), q.clone());
        async move {
            let t = Instant::now();
            app.assessments()
                .answer(AnswerRequest {
                    assessment_id: id,
                    question_id: q,
                    value: (i % 5 + 1) as i64,
                })
                .await
                .expect("answer");
            t.elapsed()
        }
    };
    let mut before = Duration::ZERO;
    for i in 0..200 {
        before = before.max(answer(i).await);
    }
    // Twice: answers back to back (some 13,000 a second, far past any person), then one every 10 ms.
    for pace in [None, Some(Duration::from_millis(10))] {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let stop = stop.clone();
            let answer = answer.clone();
            tokio::spawn(async move {
                let (mut worst, mut n) = (Duration::ZERO, 0u64);
                let start = Instant::now();
                let mut slow = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let d = answer(n).await;
                    if d > Duration::from_millis(20) {
                        slow.push((start.elapsed(), d));
                    }
                    worst = worst.max(d);
                    n += 1;
                    if let Some(p) = pace {
                        tokio::time::sleep(p).await;
                    }
                }
                if std::env::var_os("BENCH_VERBOSE").is_some() {
                    for (at, d) in slow {
                        println!("  slow answer at {:>6.0} ms: {:.1} ms", ms(at), ms(d));
                    }
                }
                (worst, n)
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let t = Instant::now();
        app.data()
            .backup(BackupRequest::default())
            .await
            .expect("backup");
        let took = t.elapsed();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (worst, n) = writer.await.expect("writer");
        println!(
            "backup of a {:.0} MB database, {:<18} {:>6.0} ms   ({n} answers during it; longest wait {:.1} ms, {:.1} ms before it)",
            size as f64 / 1e6,
            if pace.is_some() { "an answer per 10 ms" } else { "answers flat out" },
            ms(took),
            ms(worst),
            ms(before)
        );
    }
}
