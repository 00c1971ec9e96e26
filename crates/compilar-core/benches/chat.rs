//! Coach chat benchmark, on a real SQLite file: opening a conversation of 2,000 messages (every message with
//! its retrieved passages, as stored by the app) and full-text search over 100,000 messages in 100
//! conversations.
//!
//! Run: `cargo bench -p compilar-core --bench chat`
//! Optional env: BENCH_MESSAGES (total for the search, default 100,000), BENCH_ROUNDS (default 100).

use std::time::{Duration, Instant};

use compilar_core::api::{MessageSearchRequest, NewConversationRequest};
use compilar_core::domain::questions::SplitMix64;
use compilar_core::{App, AppOptions};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn show(what: &str, mut d: Vec<Duration>) {
    d.sort();
    println!(
        "{what:<44} p50 {:>7.2} ms   p90 {:>7.2} ms   p99 {:>7.2} ms   ({} runs)",
        pct(&d, 0.5).as_secs_f64() * 1e3,
        pct(&d, 0.9).as_secs_f64() * 1e3,
        pct(&d, 0.99).as_secs_f64() * 1e3,
        d.len()
    );
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// English as the app's users write it: the words of the shipped knowledge base, in their natural
/// frequencies (a message is a run of words from a random place in it, its order shuffled a little).
fn corpus() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/knowledge");
    let mut words = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("knowledge folder")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(f).expect("read");
        words.extend(
            text.split_whitespace()
                .filter(|w| !w.starts_with("---") && !w.ends_with(':'))
                .map(str::to_owned),
        );
    }
    words
}

fn text(rng: &mut SplitMix64, corpus: &[String], words: usize) -> String {
    let start = (rng.next_u64() % (corpus.len() - words) as u64) as usize;
    let mut run: Vec<&str> = corpus[start..start + words]
        .iter()
        .map(String::as_str)
        .collect();
    for _ in 0..words / 8 {
        let (i, j) = (
            (rng.next_u64() % words as u64) as usize,
            (rng.next_u64() % words as u64) as usize,
        );
        run.swap(i, j);
    }
    run.join(" ")
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(run(
        env("BENCH_MESSAGES", 100_000),
        env("BENCH_ROUNDS", 100),
    ));
}

async fn fill(
    app: &App,
    conversation: &str,
    n: usize,
    rng: &mut SplitMix64,
    corpus: &[String],
    passages: &str,
) {
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let user = i % 2 == 0;
        rows.push((user, text(rng, corpus, if user { 25 } else { 120 })));
    }
    let (cid, passages, owner) = (
        conversation.to_owned(),
        passages.to_owned(),
        app.principal().owner().to_owned(),
    );
    app.store()
        .write(move |c| {
            let mut st = c.prepare(
                "INSERT INTO messages (id, conversation_id, owner_id, seq, role, content, status, writer,
                   provider, provider_label, model, passages, citations, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'complete', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
            )?;
            for (i, (user, body)) in rows.iter().enumerate() {
                let at = "2026-12-01T10:00:00.000Z";
                st.execute(rusqlite::params![
                    uuid::Uuid::now_v7().to_string(),
                    cid,
                    owner,
                    i as i64,
                    if *user { "user" } else { "assistant" },
                    body,
                    (!user).then_some("model"),
                    (!user).then_some("local"),
                    (!user).then_some("Local model"),
                    (!user).then_some("llama3.2"),
                    if *user { "[]" } else { passages.as_str() },
                    if *user { "[]" } else { "[1,2]" },
                    at
                ])?;
            }
            Ok(())
        })
        .await
        .expect("fill");
}

async fn run(total: usize, rounds: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = App::open_with(AppOptions {
        prepare_knowledge: true,
        ..AppOptions::for_tests(dir.path())
    })
    .await
    .expect("open");
    let mut rng = SplitMix64(7);
    let corpus = corpus();
    // Four real passages, as an answer stores them.
    let sample = app
        .knowledge()
        .search(compilar_core::api::SearchRequest {
            query: "speaking up in meetings".into(),
            count: Some(4),
            ..Default::default()
        })
        .await
        .expect("search");
    let passages: Vec<compilar_core::llm::Passage> = sample
        .hits
        .iter()
        .enumerate()
        .map(|(i, h)| compilar_core::llm::Passage {
            number: i as u32 + 1,
            chunk_id: h.chunk_id,
            passage_id: h.passage_id.clone(),
            title: h.title.clone(),
            text: h.text.clone(),
            source_title: h.source.title.clone(),
            source_kind: h.source.kind.clone(),
            category: h.category.clone(),
            force: h.force.clone(),
        })
        .collect();
    let passages = serde_json::to_string(&passages).expect("json");

    let big = app
        .chat()
        .create(NewConversationRequest::default())
        .await
        .expect("conversation");
    fill(&app, &big.id, 2_000, &mut rng, &corpus, &passages).await;
    app.chat().open(&big.id).await.expect("open");
    let mut open = Vec::with_capacity(rounds);
    let mut bytes = 0usize;
    for _ in 0..rounds {
        let t = Instant::now();
        let v = app.chat().open(&big.id).await.expect("open");
        open.push(t.elapsed());
        bytes = v.messages.iter().map(|m| m.content.len()).sum();
        assert_eq!(v.messages.len(), 2_000);
    }
    show("open a conversation of 2,000 messages", open);
    println!(
        "  ({} KB of text, each answer with 4 passages)",
        bytes / 1024
    );

    // The rest of the 100,000 messages, in 99 more conversations.
    let per = (total.saturating_sub(2_000) / 99).max(1);
    let fill_started = Instant::now();
    for _ in 0..99 {
        let c = app
            .chat()
            .create(NewConversationRequest::default())
            .await
            .expect("conversation");
        fill(&app, &c.id, per, &mut rng, &corpus, &passages).await;
    }
    println!(
        "  filled {} messages in {:.1} s",
        2_000 + per * 99,
        fill_started.elapsed().as_secs_f64()
    );
    for (label, q) in [
        ("search: a rare word", "skip-level"),
        ("search: a common word", "people"),
        ("search: two words", "promotion criteria"),
        (
            "search: a sentence",
            "how do we give fair credit in meetings",
        ),
    ] {
        let mut d = Vec::with_capacity(rounds);
        let mut found = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            let r = app
                .chat()
                .search(MessageSearchRequest {
                    query: q.into(),
                    limit: None,
                })
                .await
                .expect("search");
            d.push(t.elapsed());
            found = r.hits.len();
        }
        show(&format!("{label} ({found} shown)"), d);
    }
}
