//! Knowledge-search benchmark (DESIGN §6): top-10 latency p50/p95 on a real SQLite file with sqlite-vec, for
//! 10,000 and 100,000 chunks at 1,536 and 256 dimensions, with and without a pillar filter, exact and with the
//! in-memory sign-bit index + exact re-rank (recall@10 against exact printed; the first query's index build is
//! timed separately), and a hybrid query through the
//! knowledge service including embedding the query with the local model.
//!
//! Vectors are synthetic but clustered like real embeddings (400 topics, each chunk a noisy copy of its topic);
//! queries are noisy copies of topics too. Pillars are spread evenly (10 %, as in the shipped knowledge base).
//!
//! Run: `cargo bench -p compilar-core --bench search`. `BENCH_SIZES=10000` / `BENCH_DIMS=256` narrow it,
//! `BENCH_QUERIES` sets the number of timed queries (default 100).

use std::sync::Arc;
use std::time::Instant;

use compilar_core::api::SearchRequest;
use compilar_core::domain::questions::SplitMix64;
use compilar_core::domain::Domain;
use compilar_core::embed::LocalEmbedder;
use compilar_core::store::kb::{self as kb, Filters, NewChunk, NewSource};
use compilar_core::store::Store;

/// The ten pillar ids, from the shipped framework.
fn pillar_ids() -> Vec<String> {
    Domain::builtin()
        .expect("framework")
        .framework
        .pillars
        .iter()
        .map(|p| p.id.clone())
        .collect()
}

/// The core's SplitMix64 plus Box–Muller: reproducible gaussian noise without extra crates.
struct Rng(SplitMix64);
impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(SplitMix64(seed))
    }
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn unit(&mut self) -> f32 {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) as f32
    }
    fn gauss(&mut self) -> f32 {
        let (u1, u2) = (self.unit().max(1e-9), self.unit());
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }
}

fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    for x in v.iter_mut() {
        *x /= n;
    }
}

fn noisy(rng: &mut Rng, base: &[f32], noise: f32) -> Vec<f32> {
    let mut v: Vec<f32> = base.iter().map(|x| x + noise * rng.gauss()).collect();
    normalise(&mut v);
    v
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Moves the freshly written pages from the WAL into the database file, as the app's background checkpointer
/// does after an import, so that timings do not depend on when it happens to run.
fn checkpoint(store: &Store) {
    let c = rusqlite::Connection::open(store.path()).expect("open for checkpoint");
    c.busy_timeout(std::time::Duration::from_secs(30))
        .expect("busy timeout");
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
}

fn fill(store: &Store, n: usize, dims: usize, topics: &[Vec<f32>], seed: u64) -> kb::ModelTable {
    let model_id = format!("bench:{dims}");
    let topics = topics.to_vec();
    let pillars = pillar_ids();
    let m = futures_block(store.write(move |c| {
        let m = kb::ensure_model(c, &model_id, dims, "t")?;
        kb::upsert_source(
            c,
            &NewSource {
                id: "bench",
                kind: "document",
                title: "bench",
                file_name: None,
                content_hash: "x",
                bytes: 0,
            },
            "t",
        )?;
        let mut rng = Rng::new(seed);
        let mut done = 0;
        while done < n {
            let batch = (n - done).min(2_000);
            let chunks: Vec<NewChunk> = (done..done + batch)
                .map(|i| NewChunk {
                    passage_id: format!("bench.{dims}.{i}"),
                    ordinal: i as i64,
                    title: String::new(),
                    body: String::new(),
                    mode: String::new(),
                    pillar: pillars[i % pillars.len()].clone(),
                    force: String::new(),
                    category: "document".into(),
                    content_hash: String::new(),
                })
                .collect();
            let ids = kb::insert_chunks(c, "bench", &chunks)?;
            let rows: Vec<(i64, Vec<f32>)> = ids
                .into_iter()
                .map(|id| {
                    let t = &topics[(rng.next() % topics.len() as u64) as usize];
                    (id, noisy(&mut rng, t, 0.6 / (dims as f32).sqrt()))
                })
                .collect();
            kb::insert_vectors(c, &m, &rows)?;
            done += batch;
        }
        Ok(m)
    }))
    .expect("fill");
    checkpoint(store);
    m
}

/// One runtime for the whole run (the app has one too); building one per query would distort the timings.
fn futures_block<F: std::future::Future>(f: F) -> F::Output {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
    .block_on(f)
}

type Narrowing = compilar_core::embed::index::Narrowing;

/// `BENCH_NARROW=shortlist:rerank,…` adds lines with the index's narrowing set by hand (to explore recall
/// against time).
fn narrowings() -> Vec<Narrowing> {
    std::env::var("BENCH_NARROW")
        .unwrap_or_default()
        .split(',')
        .filter_map(|v| {
            let (a, b) = v.split_once(':')?;
            Some(Narrowing {
                shortlist: a.trim().parse().ok()?,
                rerank: b.trim().parse().ok()?,
            })
        })
        .collect()
}

fn run_queries(
    store: &Store,
    m: &kb::ModelTable,
    queries: &[Vec<f32>],
    pillar: Option<&str>,
    exact: bool,
) -> (Vec<f64>, Vec<Vec<i64>>) {
    run_queries_with(store, m, queries, pillar, exact, None)
}

fn run_queries_with(
    store: &Store,
    m: &kb::ModelTable,
    queries: &[Vec<f32>],
    pillar: Option<&str>,
    exact: bool,
    narrowing: Option<Narrowing>,
) -> (Vec<f64>, Vec<Vec<i64>>) {
    let mut times = Vec::with_capacity(queries.len());
    let mut results = Vec::with_capacity(queries.len());
    for q in queries {
        let (m, q, pillar) = (m.clone(), q.clone(), pillar.map(str::to_owned));
        let t = Instant::now();
        let r = futures_block(store.read(move |c| {
            kb::knn_with(
                c,
                &m,
                &q,
                10,
                &Filters {
                    pillar,
                    ..Default::default()
                },
                exact,
                narrowing,
            )
        }))
        .expect("knn");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        results.push(r.into_iter().map(|x| x.0).collect());
    }
    times.sort_by(f64::total_cmp);
    (times, results)
}

fn recall(approx: &[Vec<i64>], exact: &[Vec<i64>]) -> f64 {
    let mut hit = 0usize;
    let mut total = 0usize;
    for (a, e) in approx.iter().zip(exact) {
        total += e.len();
        hit += e.iter().filter(|x| a.contains(x)).count();
    }
    hit as f64 / total as f64
}

fn main() {
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let dims_list: Vec<usize> = std::env::var("BENCH_DIMS")
        .unwrap_or_else(|_| "1536,256".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let nq: usize = std::env::var("BENCH_QUERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);

    println!("knowledge search, top-10, {nq} queries per line (ms)");
    println!(
        "{:>8} {:>5}  {:<28} {:>7} {:>7}  recall@10 vs exact",
        "chunks", "dims", "query", "p50", "p95"
    );
    for &n in &sizes {
        for &dims in &dims_list {
            let dir = tempfile::tempdir().expect("tempdir");
            let store =
                Store::open(&dir.path().join("bench.db"), &dir.path().join("b")).expect("store");
            let mut rng = Rng::new(42 + dims as u64);
            let topics: Vec<Vec<f32>> = (0..400)
                .map(|_| {
                    let mut v: Vec<f32> = (0..dims).map(|_| rng.gauss()).collect();
                    normalise(&mut v);
                    v
                })
                .collect();
            let t = Instant::now();
            let m = fill(&store, n, dims, &topics, 7);
            let fill_s = t.elapsed().as_secs_f64();
            let queries: Vec<Vec<f32>> = (0..nq)
                .map(|_| {
                    let t = &topics[(rng.next() % topics.len() as u64) as usize];
                    noisy(&mut rng, t, 0.8 / (dims as f32).sqrt())
                })
                .collect();
            // Warm the page cache once.
            let _ = run_queries(&store, &m, &queries[..5.min(nq)], None, true);
            let (te, exact) = run_queries(&store, &m, &queries, None, true);
            // The first approximate query builds the in-memory index from the float table.
            let (tb, _) = run_queries(&store, &m, &queries[..1], None, false);
            let (ta, approx) = run_queries(&store, &m, &queries, None, false);
            let (tpe, pexact) = run_queries(&store, &m, &queries, Some("status"), true);
            let (tpa, papprox) = run_queries(&store, &m, &queries, Some("status"), false);
            let line = |what: &str, t: &[f64], r: Option<f64>| {
                println!(
                    "{:>8} {:>5}  {:<28} {:>7.2} {:>7.2}  {}",
                    n,
                    dims,
                    what,
                    pct(t, 0.5),
                    pct(t, 0.95),
                    r.map(|r| format!("{r:.4}"))
                        .unwrap_or_else(|| "exact".into())
                )
            };
            line("exact", &te, None);
            println!(
                "{:>8} {:>5}  {:<28} {:>7.2}",
                n, dims, "index build (first query)", tb[0]
            );
            line(
                "sign-bit index + re-rank",
                &ta,
                Some(recall(&approx, &exact)),
            );
            for nw in narrowings() {
                let (t, r) = run_queries_with(&store, &m, &queries, None, false, Some(nw));
                line(
                    &format!("index {}:{}", nw.shortlist, nw.rerank),
                    &t,
                    Some(recall(&r, &exact)),
                );
            }
            line("pillar filter, exact", &tpe, None);
            line(
                "pillar filter, index",
                &tpa,
                Some(recall(&papprox, &pexact)),
            );
            eprintln!("  (filled {n} × {dims} in {fill_s:.1} s)");
        }
    }

    // Hybrid through the knowledge service: 10,000 chunks of text embedded with the local model, query
    // embedding included in the timing.
    let dir = tempfile::tempdir().expect("tempdir");
    let app = futures_block(compilar_core::App::open_with(compilar_core::AppOptions {
        prepare_knowledge: true,
        ..compilar_core::AppOptions::for_tests(dir.path())
    }))
    .expect("app");
    let store = Arc::clone(app.store());
    let knowledge = app.knowledge();
    let passages = compilar_core::capabilities::knowledge::content::builtin().expect("passages");
    let local = LocalEmbedder::shared().expect("model");
    let target = 10_000usize;
    let extra = target - passages.len();
    let mut rng = Rng::new(9);
    let texts: Vec<(String, String)> = (0..extra)
        .map(|i| {
            // Sentences recombined from the shipped passages: realistic vocabulary, no duplicates.
            let a = &passages[(rng.next() % passages.len() as u64) as usize].body;
            let b = &passages[(rng.next() % passages.len() as u64) as usize].body;
            let sa: Vec<&str> = a.split(". ").collect();
            let sb: Vec<&str> = b.split(". ").collect();
            let body = format!(
                "{}. {}. Note {i}.",
                sa[(rng.next() % sa.len() as u64) as usize],
                sb[(rng.next() % sb.len() as u64) as usize]
            );
            (format!("Document chunk {i}"), body)
        })
        .collect();
    let vectors = local
        .embed_now(
            &texts
                .iter()
                .map(|(t, b)| format!("{t}\n{b}"))
                .collect::<Vec<_>>(),
        )
        .expect("embed");
    let pillars = pillar_ids();
    futures_block(store.write(move |c| {
        let m = kb::active_model(c)?.expect("active model");
        kb::upsert_source(
            c,
            &NewSource {
                id: "01939a3e-0000-7000-8000-000000000001",
                kind: "document",
                title: "bench document",
                file_name: None,
                content_hash: "x",
                bytes: 0,
            },
            "t",
        )?;
        let chunks: Vec<NewChunk> = texts
            .into_iter()
            .enumerate()
            .map(|(i, (title, body))| NewChunk {
                passage_id: format!("doc.{i}"),
                ordinal: i as i64,
                title,
                body,
                mode: String::new(),
                pillar: pillars[i % pillars.len()].clone(),
                force: String::new(),
                category: "document".into(),
                content_hash: String::new(),
            })
            .collect();
        let ids = kb::insert_chunks(c, "01939a3e-0000-7000-8000-000000000001", &chunks)?;
        kb::insert_vectors(c, &m, &ids.into_iter().zip(vectors).collect::<Vec<_>>())
    }))
    .expect("fill hybrid");
    checkpoint(&store);
    let questions = [
        "people are afraid to disagree with the boss",
        "decisions take forever because everyone has to agree",
        "promotions seem random and political",
        "some people only take and never give help back",
        "our manager micromanages everything",
        "the rules here make no sense anymore",
        "new colleagues feel left out",
        "leaders keep their influence after repeated failures",
    ];
    // One untimed search first: it loads the in-memory index of the new vectors (timed above).
    futures_block(knowledge.search(SearchRequest {
        query: "warm up".into(),
        ..Default::default()
    }))
    .expect("search");
    let mut times = Vec::new();
    let mut pillar_times = Vec::new();
    for round in 0..(nq / questions.len()).max(3) {
        for q in questions {
            for (pillar, out) in [
                (None, &mut times),
                (Some("status".to_string()), &mut pillar_times),
            ] {
                let t = Instant::now();
                let r = futures_block(knowledge.search(SearchRequest {
                    query: format!("{q} {round}"),
                    pillar,
                    ..Default::default()
                }))
                .expect("search");
                out.push(t.elapsed().as_secs_f64() * 1000.0);
                assert!(!r.hits.is_empty());
            }
        }
    }
    times.sort_by(f64::total_cmp);
    pillar_times.sort_by(f64::total_cmp);
    let total = futures_block(store.read(kb::count_chunks)).expect("count");
    println!(
        "{:>8} {:>5}  {:<28} {:>7.2} {:>7.2}  (embedding + KNN + FTS5 + fusion + rows)",
        total,
        256,
        "hybrid, local embedding",
        pct(&times, 0.5),
        pct(&times, 0.95)
    );
    println!(
        "{:>8} {:>5}  {:<28} {:>7.2} {:>7.2}",
        total,
        256,
        "hybrid, pillar filter",
        pct(&pillar_times, 0.5),
        pct(&pillar_times, 0.95)
    );
}
