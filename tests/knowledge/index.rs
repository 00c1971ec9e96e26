//! The vector index: large searches match exact search and see every change; the first indexing leaves no large write-ahead log.

use super::*;

/// Unit vectors in 40 tight topics (a noisy copy of each topic), reproducible.
fn clustered(n: usize, dims: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
    };
    let topics: Vec<Vec<f32>> = (0..40)
        .map(|_| (0..dims).map(|_| next()).collect())
        .collect();
    (0..n)
        .map(|i| {
            let t = &topics[i % topics.len()];
            let mut v: Vec<f32> = t.iter().map(|x| x + 0.5 * next()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter_mut().for_each(|x| *x /= norm);
            v
        })
        .collect()
}

#[tokio::test]
async fn large_searches_match_exact_search_and_see_every_change() {
    use compilar_core::store::kb::{self as kb, Filters, NewChunk, NewSource, SourceFilter};
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(
        compilar_core::store::Store::open(&dir.path().join("t.db"), &dir.path().join("b")).unwrap(),
    );
    // 6,000 × 256 = 1.5 M floats: above the size where the index takes over.
    let n = 6_000;
    let vectors = clustered(n + 1, 256, 7);
    let pillars = ["a", "b", "c"];
    let (m, ids) = {
        let vectors = vectors.clone();
        store
            .write(move |c| {
                let m = kb::ensure_model(c, "test:256", 256, "t")?;
                for (id, title) in [("builtin", "kb"), ("doc", "doc")] {
                    kb::upsert_source(
                        c,
                        &NewSource {
                            id,
                            kind: if id == "builtin" {
                                "builtin"
                            } else {
                                "document"
                            },
                            title,
                            file_name: None,
                            content_hash: id,
                            bytes: 0,
                        },
                        "t",
                    )?;
                }
                let mut all = Vec::new();
                for (source, range) in [("builtin", 0..n / 2), ("doc", n / 2..n)] {
                    let chunks: Vec<NewChunk> = range
                        .clone()
                        .map(|i| NewChunk {
                            passage_id: format!("p{i}"),
                            ordinal: i as i64,
                            title: String::new(),
                            body: String::new(),
                            mode: String::new(),
                            pillar: pillars[i % 3].into(),
                            force: String::new(),
                            category: "document".into(),
                            content_hash: String::new(),
                        })
                        .collect();
                    let ids = kb::insert_chunks(c, source, &chunks)?;
                    let rows: Vec<(i64, Vec<f32>)> = ids
                        .iter()
                        .copied()
                        .zip(range.map(|i| vectors[i].clone()))
                        .collect();
                    kb::insert_vectors(c, &m, &rows)?;
                    all.extend(ids);
                }
                Ok((m, all))
            })
            .await
            .unwrap()
    };
    let knn = |q: Vec<f32>, f: Filters, exact: bool| {
        let (store, m) = (store.clone(), m.clone());
        async move {
            store
                .read(move |c| kb::knn(c, &m, &q, 10, &f, exact))
                .await
                .unwrap()
        }
    };
    // Queries near existing vectors: the index's answer equals the exact one, with and without filters.
    let filters = [
        Filters::default(),
        Filters {
            pillar: Some("b".into()),
            ..Default::default()
        },
        Filters {
            source: Some(SourceFilter::Document("doc".into())),
            ..Default::default()
        },
        Filters {
            source: Some(SourceFilter::Builtin),
            pillar: Some("c".into()),
            ..Default::default()
        },
    ];
    let mut hit = 0;
    let mut total = 0;
    for (qi, f) in (0..20).flat_map(|q| filters.iter().map(move |f| (q, f.clone()))) {
        let q = vectors[(qi * 97) % n].clone();
        let exact = knn(q.clone(), f.clone(), true).await;
        let approx = knn(q, f.clone(), false).await;
        assert_eq!(approx.len(), 10);
        total += exact.len();
        hit += exact
            .iter()
            .filter(|e| approx.iter().any(|a| a.0 == e.0))
            .count();
        // Filters hold on the approximate path, and distances are exact there too.
        for (id, d) in &approx {
            let pos = ids.iter().position(|x| x == id).unwrap();
            if let Some(p) = &f.pillar {
                assert_eq!(pillars[pos % 3], p);
            }
            match &f.source {
                Some(SourceFilter::Builtin) => assert!(pos < n / 2),
                Some(SourceFilter::Document(_)) => assert!(pos >= n / 2),
                _ => {}
            }
            if let Some(e) = exact.iter().find(|e| e.0 == *id) {
                assert!((e.1 - d).abs() < 1e-4);
            }
        }
    }
    let recall = hit as f64 / total as f64;
    assert!(recall >= 0.99, "recall@10 {recall}");

    // A vector added afterwards is found at once (its own nearest neighbour)...
    let fresh = vectors[n].clone();
    let new_id = {
        let (m, fresh) = (m.clone(), fresh.clone());
        store
            .write(move |c| {
                kb::upsert_source(
                    c,
                    &NewSource {
                        id: "extra",
                        kind: "document",
                        title: "extra",
                        file_name: None,
                        content_hash: "extra",
                        bytes: 0,
                    },
                    "t",
                )?;
                let id = kb::insert_chunks(
                    c,
                    "extra",
                    &[NewChunk {
                        passage_id: "fresh".into(),
                        ordinal: 99_999,
                        title: String::new(),
                        body: String::new(),
                        mode: String::new(),
                        pillar: "a".into(),
                        force: String::new(),
                        category: "document".into(),
                        content_hash: String::new(),
                    }],
                )?[0];
                kb::insert_vectors(c, &m, &[(id, fresh)])?;
                Ok(id)
            })
            .await
            .unwrap()
    };
    let r = knn(fresh.clone(), Filters::default(), false).await;
    assert_eq!(r[0].0, new_id);
    assert!(r[0].1 < 1e-3);
    // ...and a deleted one is gone at once.
    store
        .write(|c| kb::delete_chunks_of(c, "extra"))
        .await
        .unwrap();
    let r = knn(fresh, Filters::default(), false).await;
    assert_eq!(r.len(), 10);
    assert!(r.iter().all(|(id, _)| *id != new_id && ids.contains(id)));
}

/// The first start indexes the shipped passages in one large write; the log it leaves is folded into the
/// database right after (it used to stay at about 13 MB beside a database of 225 KB).
#[tokio::test]
async fn the_first_indexing_leaves_no_large_write_ahead_log() {
    let t = common::open().await;
    t.app
        .knowledge()
        .search(SearchRequest {
            query: "trust".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let wal = t.dir.path().join("compilar.db-wal");
    let len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let db = std::fs::metadata(t.dir.path().join("compilar.db"))
        .unwrap()
        .len();
    println!("after the first indexing: database {db} bytes, log {len} bytes");
    assert!(len < 1024 * 1024, "the log is {len} bytes");
}
