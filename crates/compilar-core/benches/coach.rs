//! Coach benchmark: the time the app adds before a coaching report's first provider byte (loading the
//! results, retrieving the passages by hybrid search, building the prompt) and the whole offline report
//! (retrieval, the rules-based report, storing it). On a real SQLite file with the shipped knowledge base
//! indexed (plus, with BENCH_DOCUMENTS, that many extra document passages to search through).
//!
//! Run: `cargo bench -p compilar-core --bench coach`
//! Optional env: BENCH_ROUNDS (default 200).

use std::time::{Duration, Instant};

use compilar_core::api::{AnswerRequest, CreateAssessmentRequest, ReportRequest};
use compilar_core::{App, AppOptions};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn show(what: &str, mut d: Vec<Duration>) {
    d.sort();
    println!(
        "{what:<52} p50 {:>7.2} ms   p90 {:>7.2} ms   p99 {:>7.2} ms   ({} runs)",
        pct(&d, 0.5).as_secs_f64() * 1e3,
        pct(&d, 0.9).as_secs_f64() * 1e3,
        pct(&d, 0.99).as_secs_f64() * 1e3,
        d.len()
    );
}

fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(run(rounds));
}

async fn run(rounds: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = App::open_with(AppOptions {
        prepare_knowledge: true,
        ..AppOptions::for_tests(dir.path())
    })
    .await
    .expect("open");
    // One completed assessment per pillar (answers spread so the forces differ).
    let mut ids = Vec::new();
    for p in app.assessments().framework().framework.pillars {
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
        for (i, q) in a.questions.iter().enumerate() {
            app.assessments()
                .answer(AnswerRequest {
                    assessment_id: a.id.clone(),
                    question_id: q.id.clone(),
                    value: 1 + (i as i64 % 5),
                })
                .await
                .expect("answer");
        }
        app.assessments().complete(&a.id).await.expect("complete");
        ids.push(a.id);
    }
    // Warm up (the search index, the embedder, prepared statements).
    for id in &ids {
        app.coach().prompt_for(id).await.expect("prompt");
    }
    // The same results always give the same passages.
    for id in &ids {
        let (_, a) = app.coach().prompt_for(id).await.expect("prompt");
        let (_, b) = app.coach().prompt_for(id).await.expect("prompt");
        let ids_of =
            |v: &[compilar_core::llm::Passage]| v.iter().map(|p| p.chunk_id).collect::<Vec<_>>();
        assert_eq!(ids_of(&a), ids_of(&b), "retrieval is deterministic");
    }
    let mut before = Vec::with_capacity(rounds);
    let mut passages = 0;
    for i in 0..rounds {
        let id = &ids[i % ids.len()];
        let t = Instant::now();
        let (prompt, p) = app.coach().prompt_for(id).await.expect("prompt");
        before.push(t.elapsed());
        passages += p.len();
        std::hint::black_box(prompt);
    }
    show(
        "before the first provider byte (results+retrieval+prompt)",
        before,
    );
    println!(
        "  {:.1} passages retrieved per report on average",
        passages as f64 / rounds as f64
    );
    let mut offline = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let id = &ids[i % ids.len()];
        let t = Instant::now();
        app.coach()
            .report(
                ReportRequest {
                    assessment_id: id.clone(),
                    offline: Some(true),
                    exclude: None,
                },
                |_| {},
            )
            .await
            .expect("offline report");
        offline.push(t.elapsed());
    }
    show("offline coach report (retrieval+report+store)", offline);
}
