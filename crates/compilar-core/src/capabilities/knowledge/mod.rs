//! The knowledge base: the shipped PILAR passages and the user's documents, local embeddings, and hybrid
//! search — sqlite-vec KNN with the filters inside the scan (or the in-memory index for large scopes), FTS5
//! BM25, fused by reciprocal rank — and the framework explorer.
//!
//! The first command that needs the knowledge base prepares it ([`Knowledge::prepare`]: the shipped passages
//! indexed again if they changed, the search index warmed); the window does it at start-up, the command-line
//! tool only for the commands that search or import.

pub mod content;
pub mod dto;
pub mod explorer;
pub mod search;

use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::ctx::Ctx;
use crate::domain::truncate_for_message;
use crate::embed::{embed_with_model, LocalEmbedder, LOCAL_DIMS, LOCAL_MODEL_ID};
use crate::error::{Error, Result};
use crate::store::kb::{self as sql, Filters, ModelTable, NewChunk, SourceFilter};
use crate::store::meta;
use crate::util::now;
use dto::*;

const BUILTIN: &str = "builtin";
const BUILTIN_HASH_KEY: &str = "kb_builtin_hash";

/// The knowledge capability: a cheap view of the shared context.
#[derive(Clone, Copy)]
pub struct Knowledge<'a> {
    ctx: &'a Ctx,
}

impl std::ops::Deref for Knowledge<'_> {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        self.ctx
    }
}

pub(crate) fn hash(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

fn opt(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn knowledge(&self) -> Knowledge<'_> {
        Knowledge::new(self)
    }
}

impl<'a> Knowledge<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Knowledge { ctx }
    }

    /// Makes the knowledge base ready once per process: the local model's table exists and the shipped
    /// passages are indexed (again, if they changed since the last start); then the search index is warmed in
    /// the background. Every search and import waits for it; calling it again is free.
    pub async fn prepare(&self) -> Result<()> {
        self.ctx
            .kb_ready
            .get_or_try_init(|| async {
                let passages = content::builtin().map_err(Error::FrameworkInvalid)?;
                content::validate(&passages, &self.domain.framework)
                    .map_err(Error::FrameworkInvalid)?;
                let want = content::builtin_hash();
                let have = self.store.read(|c| meta::get(c, BUILTIN_HASH_KEY)).await?;
                let model = self
                    .store
                    .write(|c| {
                        sql::drop_retired_tables(c)?;
                        let m = sql::ensure_model(c, LOCAL_MODEL_ID, LOCAL_DIMS, &now())?;
                        if sql::active_model(c)?.is_none() {
                            sql::set_active(c, LOCAL_MODEL_ID, &now())?;
                        }
                        Ok(m)
                    })
                    .await?;
                if have.as_deref() != Some(want.as_str()) {
                    self.index_builtin(passages, want, model).await?;
                }
                self.warm_index();
                Ok::<(), Error>(())
            })
            .await?;
        Ok(())
    }

    /// Builds (or brings up to date) the active model's in-memory search index in the background when its
    /// searches use one, so that the next search does not wait for it (100,000 × 1,536 vectors take about
    /// 1.7 s to load).
    pub(crate) fn warm_index(&self) {
        let store = Arc::clone(&self.store);
        tokio::spawn(async move {
            let r = store
                .read(|c| {
                    let Some(m) = sql::active_model(c)? else {
                        return Ok(());
                    };
                    if sql::uses_index(c, &m)? {
                        crate::embed::index::get(c, &m)?;
                    }
                    Ok(())
                })
                .await;
            if let Err(e) = r {
                tracing::warn!(error = %e, "the search index could not be prepared");
            }
        });
    }

    async fn index_builtin(
        &self,
        passages: Vec<content::Passage>,
        hash_all: String,
        model: ModelTable,
    ) -> Result<()> {
        let started = Instant::now();
        let texts: Vec<String> = passages
            .iter()
            .map(|p| format!("{}\n{}", p.title, p.body))
            .collect();
        let vectors =
            tokio::task::spawn_blocking(move || LocalEmbedder::shared()?.embed_now(&texts))
                .await??;
        let n = passages.len();
        let chunks: Vec<NewChunk> = passages
            .into_iter()
            .enumerate()
            .map(|(i, p)| NewChunk {
                content_hash: hash(&p.body),
                passage_id: p.id,
                ordinal: i as i64,
                title: p.title,
                body: p.body,
                mode: p.mode.unwrap_or_default(),
                pillar: p.pillar.unwrap_or_default(),
                force: p.force.unwrap_or_default(),
                category: p.category,
            })
            .collect();
        self.store
            .write(move |c| {
                let ts = now();
                sql::delete_chunks_of(c, BUILTIN)?;
                let orphans = sql::delete_orphan_vectors(c)?;
                if orphans > 0 {
                    tracing::warn!(vectors = orphans, "removed vectors without a passage");
                }
                sql::upsert_source(
                    c,
                    &sql::NewSource {
                        id: BUILTIN,
                        kind: "builtin",
                        title: "PILAR knowledge base",
                        file_name: None,
                        content_hash: &hash_all,
                        bytes: 0,
                    },
                    &ts,
                )?;
                let ids = sql::insert_chunks(c, BUILTIN, &chunks)?;
                let rows: Vec<(i64, Vec<f32>)> = ids.into_iter().zip(vectors).collect();
                // Only the built-in model's vectors are computed here (offline, at start-up). If another
                // model is active, its missing vectors show in its counts and are filled by switching to
                // it again (Documents page); until then those passages are found by their words.
                sql::insert_vectors(c, &model, &rows)?;
                meta::set(c, BUILTIN_HASH_KEY, &hash_all)
            })
            .await?;
        self.store.checkpoint().await;
        tracing::info!(
            passages = n,
            ms = started.elapsed().as_millis() as u64,
            "indexed the shipped knowledge base"
        );
        Ok(())
    }

    fn filters(&self, req: &SearchRequest) -> Result<Filters> {
        let fw = &self.domain.framework;
        let check = |v: &Option<String>| -> Result<Option<String>> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) if s.len() > 128 => Err(Error::PayloadTooLarge {
                    what: "filter",
                    max: 128,
                    unit: "characters",
                }),
                Some(s) => Ok(Some(s.to_owned())),
            }
        };
        let mode = check(&req.mode)?;
        let pillar = check(&req.pillar)?;
        match (&pillar, &mode) {
            (Some(p), Some(m)) => {
                self.domain.pillar_in_mode(p, m)?;
            }
            (Some(p), None) => {
                self.domain.pillar(p)?;
            }
            (None, Some(m)) => {
                self.domain.mode(m)?;
            }
            (None, None) => {}
        }
        let force = check(&req.force)?;
        if let Some(f) = &force {
            if !fw.forces.iter().any(|x| &x.id == f) {
                return Err(Error::UnknownForce(truncate_for_message(f)));
            }
        }
        let category = check(&req.category)?;
        if let Some(cat) = &category {
            if !content::CATEGORIES.contains(&cat.as_str()) {
                return Err(Error::UnknownCategory {
                    given: truncate_for_message(cat),
                    known: content::CATEGORIES.join(", "),
                });
            }
        }
        let source = match check(&req.source)?.as_deref() {
            None => None,
            Some("builtin") => Some(SourceFilter::Builtin),
            Some("documents") => Some(SourceFilter::Documents),
            Some(id) => Some(SourceFilter::Document(
                crate::util::parse_id(id)?.to_string(),
            )),
        };
        Ok(Filters {
            mode,
            pillar,
            force,
            category,
            source,
        })
    }

    /// Hybrid search over the knowledge base.
    pub async fn search(&self, req: SearchRequest) -> Result<SearchReply> {
        self.prepare().await?;
        let started = Instant::now();
        let query = req.query.trim().to_owned();
        if query.is_empty() {
            return Err(Error::EmptyInput("Type something to search for.".into()));
        }
        if req.query.chars().count() > search::MAX_QUERY_CHARS {
            return Err(Error::PayloadTooLarge {
                what: "search query",
                max: search::MAX_QUERY_CHARS,
                unit: "characters",
            });
        }
        let requested = req.count.unwrap_or(search::DEFAULT_COUNT);
        if requested == 0 {
            return Err(Error::OutOfRange("Ask for at least one result.".into()));
        }
        let count = requested.min(search::MAX_COUNT);
        if let Some(m) = req.min_score {
            if !(-1.0..=1.0).contains(&m) {
                return Err(Error::OutOfRange(
                    "The minimum score is a similarity between -1 and 1.".into(),
                ));
            }
        }
        let filters = self.filters(&req)?;
        let method = req.method.unwrap_or_default();
        // The query is embedded by the active model; if that is a provider's model and it fails (offline,
        // paused), the whole vector side of this search uses the built-in model instead, whose vectors every
        // chunk has: never a mix of models.
        let active = self
            .store
            .read(|c| {
                sql::active_model(c)?
                    .ok_or_else(|| Error::Internal("no active embedding model".into()))
            })
            .await?;
        let mut notice = None;
        let (model, qv) = match embed_with_model(&self.llm, &active, vec![query.clone()]).await {
            Ok(v) => (active, v),
            Err(e) if active.model_id != LOCAL_MODEL_ID => {
                tracing::warn!(model = %active.model_id, code = e.code(), "query embedding failed; using the built-in model");
                notice = Some(format!(
                    "{} could not embed the question ({}), so this search used the built-in model.",
                    active.model_id, e
                ));
                let local = self
                    .store
                    .read(|c| {
                        sql::model(c, LOCAL_MODEL_ID)?
                            .ok_or_else(|| Error::Internal("no built-in model table".into()))
                    })
                    .await?;
                let v = embed_with_model(&self.llm, &local, vec![query.clone()]).await?;
                (local, v)
            }
            Err(e) => return Err(e),
        };
        let qv = qv
            .into_iter()
            .next()
            .ok_or_else(|| Error::Internal("no query vector".into()))?;
        let fts = search::fts_expression(&query);
        let terms = search::key_terms(&search::terms(&query));
        let pool = (count * 4).max(40);
        let model_id = model.model_id.clone();
        let calibrated = model.model_id == LOCAL_MODEL_ID;
        let hits = self
            .store
            .read(move |c| {
                let vector: Vec<(i64, f32)> = if method != SearchMethod::Text {
                    sql::knn(c, &model, &qv, pool, &filters, false)?
                } else {
                    Vec::new()
                };
                let text: Vec<(i64, f64)> = match (&fts, method) {
                    (Some(expr), SearchMethod::Hybrid | SearchMethod::Text) => {
                        sql::fts(c, expr, pool, &filters)?
                    }
                    _ => Vec::new(),
                };
                let vids: Vec<i64> = vector.iter().map(|x| x.0).collect();
                let tids: Vec<i64> = text.iter().map(|x| x.0).collect();
                let fused = search::fuse(&vids, &tids, search::VECTOR_WEIGHT, search::TEXT_WEIGHT);
                // Similarity for every candidate (text-only hits need a lookup).
                let mut dist: std::collections::HashMap<i64, f32> =
                    vector.iter().copied().collect();
                let missing: Vec<i64> = fused
                    .iter()
                    .map(|x| x.0)
                    .filter(|id| !dist.contains_key(id))
                    .collect();
                dist.extend(sql::distances(c, &model, &qv, &missing)?);
                let similarity = |id: i64| dist.get(&id).map_or(0.0, |d| 1.0 - d * d / 2.0);
                let kept: Vec<(i64, f32)> = fused
                    .into_iter()
                    .filter(|(id, _)| req.min_score.is_none_or(|m| similarity(*id) >= m))
                    .take(count as usize)
                    .collect();
                let rows = sql::chunks_by_id(c, &kept.iter().map(|x| x.0).collect::<Vec<_>>())?;
                let hits: Vec<SearchHit> = kept
                    .iter()
                    .zip(rows)
                    .map(|((id, score), r)| {
                        let strength = search::strength(
                            similarity(*id),
                            search::coverage(&r.body, &terms),
                            calibrated,
                        );
                        SearchHit {
                            chunk_id: *id,
                            snippet: search::snippet(&search::bulleted(&r.body), &terms, 240),
                            passage_id: r.passage_id,
                            title: r.title,
                            text: r.body,
                            source: SourceRef {
                                id: r.source_id,
                                kind: r.source_kind,
                                title: r.source_title,
                            },
                            mode: opt(r.mode),
                            pillar: opt(r.pillar),
                            force: opt(r.force),
                            category: r.category,
                            score: *score,
                            strength,
                            strength_label: strength.label().to_owned(),
                            similarity: similarity(*id),
                            vector_rank: vids.iter().position(|x| x == id).map(|p| p as u32 + 1),
                            text_rank: tids.iter().position(|x| x == id).map(|p| p as u32 + 1),
                        }
                    })
                    .collect();
                Ok(hits)
            })
            .await?;
        let good_matches = hits
            .iter()
            .filter(|h| {
                matches!(
                    h.strength,
                    search::MatchStrength::Strong | search::MatchStrength::Related
                )
            })
            .count() as u32;
        let no_good_match = calibrated && good_matches == 0;
        Ok(SearchReply {
            good_matches,
            no_good_match,
            hits,
            count,
            capped: requested > search::MAX_COUNT,
            method,
            model: model_id,
            notice,
            took_us: started.elapsed().as_micros() as u64,
        })
    }

    /// One passage in full with its closest passages by meaning (in the active model, or the built-in one
    /// while the active model has not embedded it yet).
    pub async fn passage(&self, chunk_id: i64) -> Result<PassageDetail> {
        self.prepare().await?;
        self.store
            .read(move |c| {
                let Some(row) = sql::chunks_by_id(c, &[chunk_id])?.into_iter().next() else {
                    return Err(Error::PassageNotFound(chunk_id.to_string()));
                };
                let active = sql::active_model(c)?;
                let mut found = None;
                for m in [active, sql::model(c, LOCAL_MODEL_ID)?]
                    .into_iter()
                    .flatten()
                {
                    if let Some(v) = sql::vector_of(c, &m, chunk_id)? {
                        found = Some((m, v));
                        break;
                    }
                }
                let related = match found {
                    Some((m, v)) => {
                        let near: Vec<(i64, f32)> = sql::knn(
                            c,
                            &m,
                            &v,
                            MAX_RELATED as u32 + 1,
                            &Filters::default(),
                            false,
                        )?
                        .into_iter()
                        .filter(|(id, _)| *id != chunk_id)
                        .take(MAX_RELATED)
                        .collect();
                        let rows =
                            sql::chunks_by_id(c, &near.iter().map(|x| x.0).collect::<Vec<_>>())?;
                        near.iter()
                            .zip(rows)
                            .map(|((id, d), r)| RelatedPassage {
                                chunk_id: *id,
                                title: r.title,
                                source_title: r.source_title,
                                similarity: 1.0 - d * d / 2.0,
                            })
                            .collect()
                    }
                    None => Vec::new(),
                };
                Ok(PassageDetail {
                    chunk_id,
                    passage_id: row.passage_id,
                    title: row.title,
                    text: row.body,
                    source: SourceRef {
                        id: row.source_id,
                        kind: row.source_kind,
                        title: row.source_title,
                    },
                    mode: opt(row.mode),
                    pillar: opt(row.pillar),
                    force: opt(row.force),
                    category: row.category,
                    related,
                })
            })
            .await
    }

    pub async fn status(&self) -> Result<KnowledgeStatus> {
        self.prepare().await?;
        self.store
            .read(|c| {
                let m = sql::active_model(c)?
                    .ok_or_else(|| Error::Internal("no active embedding model".into()))?;
                let builtin: i64 = c.query_row(
                    "SELECT count(*) FROM kb_chunks WHERE source_id = 'builtin'",
                    [],
                    |r| r.get(0),
                )?;
                Ok(KnowledgeStatus {
                    passages: sql::count_chunks(c)?,
                    builtin_passages: builtin as u64,
                    vectors: sql::count_vectors(c, &m)?,
                    dims: m.dims as u32,
                    model: m.model_id,
                })
            })
            .await
    }
}
