//! Embedding models of the knowledge base: which can be used, and switching between them.
//!
//! Every chunk always has a vector from the built-in model (so search works offline whatever happens). A
//! provider's model (OpenAI `text-embedding-3-small`, an Ollama embedding model) gets its own table; switching
//! to it embeds every chunk that has no vector there yet, in batches, each batch written in its own
//! transaction (a stopped or failed switch resumes where it stopped), and only when every chunk has a vector
//! does the model become the active one. Until then searches keep using the previous model: a query never
//! mixes models.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::dto::*;
use crate::embed::{split_model_id, ProviderEmbedder, LOCAL_DIMS, LOCAL_MODEL_ID};
use crate::error::{Error, Result};
use crate::jobs::JobKind;
use crate::store::kb as sql;
use crate::util::now;

/// Chunks embedded per request while switching.
const SWITCH_BATCH: u32 = 64;

/// The one model switch of a process runs under this job id.
const SWITCH_JOB: &str = "search-model";

impl super::Documents<'_> {
    /// The models there are, with how far each has embedded the knowledge base.
    pub async fn embedding_models(&self) -> Result<EmbeddingModels> {
        let (views, _, _) = self.llm.settings_view().await?;
        let (tables, passages) = self
            .store
            .read(|c| {
                let mut out = Vec::new();
                for (m, active) in sql::models(c)? {
                    let n = sql::count_floats(c, &m)?;
                    out.push((m, active, n));
                }
                Ok((out, sql::count_chunks(c)?))
            })
            .await?;
        let find = |id: &str| tables.iter().find(|(m, _, _)| m.model_id == id);
        let mut models = vec![EmbeddingModelInfo {
            id: LOCAL_MODEL_ID.into(),
            label: "Built-in (offline)".into(),
            provider: None,
            dims: Some(LOCAL_DIMS as u32),
            active: find(LOCAL_MODEL_ID).is_some_and(|t| t.1),
            vectors: find(LOCAL_MODEL_ID).map_or(0, |t| t.2),
            passages,
            available: true,
            note: None,
        }];
        for v in &views {
            let Some(model) = v.settings.embedding_model.as_deref() else {
                continue;
            };
            let id = format!("{}:{model}", v.settings.id);
            if id == LOCAL_MODEL_ID {
                continue;
            }
            let t = find(&id);
            let note = if !v.settings.enabled {
                Some(format!("{} is switched off in Settings.", v.settings.label))
            } else if !v.configured {
                Some(format!("{} needs an API key (Settings).", v.settings.label))
            } else {
                None
            };
            models.push(EmbeddingModelInfo {
                label: format!("{} \u{b7} {model}", v.settings.label),
                provider: Some(v.settings.id.clone()),
                dims: t.map(|t| t.0.dims as u32),
                active: t.is_some_and(|t| t.1),
                vectors: t.map_or(0, |t| t.2),
                passages,
                available: note.is_none(),
                note,
                id,
            });
        }
        // A model in use whose provider setting has since changed stays listed (it is what searches use).
        for (m, active, n) in &tables {
            if !models.iter().any(|x| x.id == m.model_id) {
                models.push(EmbeddingModelInfo {
                    id: m.model_id.clone(),
                    label: m.model_id.clone(),
                    provider: split_model_id(&m.model_id).ok().map(|x| x.0.to_owned()),
                    dims: Some(m.dims as u32),
                    active: *active,
                    vectors: *n,
                    passages,
                    available: false,
                    note: Some("No provider is set up for this model any more.".into()),
                });
            }
        }
        let active = tables
            .iter()
            .find(|t| t.1)
            .map_or_else(|| LOCAL_MODEL_ID.to_owned(), |t| t.0.model_id.clone());
        Ok(EmbeddingModels {
            models,
            active,
            switching: self
                .jobs
                .get(JobKind::ModelSwitch, SWITCH_JOB)
                .map(|j| SwitchProgress {
                    model_id: j.subject.unwrap_or_default(),
                    done: j.done.unwrap_or(0) as u32,
                    total: j.total.unwrap_or(0) as u32,
                }),
        })
    }

    /// Stops a running switch (what was embedded so far is kept for next time). Whether one was running.
    pub fn cancel_switch(&self) -> bool {
        self.jobs.cancel(JobKind::ModelSwitch, SWITCH_JOB)
    }

    /// Embeds every chunk the model has no vector for, then makes it the active model. Reports progress
    /// after every batch; searches use the old model until the end.
    pub async fn switch_model<F>(
        &self,
        req: SwitchModelRequest,
        progress: F,
    ) -> Result<EmbeddingModels>
    where
        F: Fn(SwitchProgress) + Send + Sync,
    {
        let model_id = req.model_id.trim();
        if model_id.is_empty() || model_id.len() > 300 {
            return Err(Error::EmptyInput("Choose an embedding model.".into()));
        }
        self.ctx.knowledge().prepare().await?;
        let listed = self.embedding_models().await?;
        let info = listed
            .models
            .iter()
            .find(|m| m.id == model_id)
            .ok_or_else(|| {
                Error::UnknownEmbeddingModel(crate::domain::truncate_for_message(model_id))
            })?
            .clone();
        let job = self.jobs.start(
            JobKind::ModelSwitch,
            SWITCH_JOB,
            format!("Switching the search model to {}", info.label),
            Some(model_id.to_owned()),
            |j| {
                format!(
                    "The knowledge base is already switching to {}; wait for it or stop it first.",
                    j.subject.as_deref().unwrap_or("another model")
                )
            },
        )?;
        job.progress(Some(info.vectors), Some(info.passages), None);
        let report = |done: u64, total: u64| {
            let p = SwitchProgress {
                model_id: model_id.to_owned(),
                done: done as u32,
                total: total as u32,
            };
            job.progress(Some(done), Some(total), None);
            progress(p);
        };
        if info.id == LOCAL_MODEL_ID {
            // Every chunk always has a built-in vector: switching back is immediate.
            self.store
                .write(|c| sql::set_active(c, LOCAL_MODEL_ID, &now()))
                .await?;
        } else {
            if !info.available {
                return Err(Error::EmbeddingModelUnavailable(
                    info.note
                        .unwrap_or_else(|| "This model cannot be used now.".into()),
                ));
            }
            self.fill(&info, job.token(), &report).await?;
        }
        drop(job);
        tracing::info!(model = model_id, "knowledge base switched embedding model");
        self.ctx.knowledge().warm_index();
        self.embedding_models().await
    }

    /// Embeds missing chunks batch by batch; the last write makes the model active once nothing is missing.
    async fn fill(
        &self,
        info: &EmbeddingModelInfo,
        cancel: &CancellationToken,
        report: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<()> {
        let mut embedder = ProviderEmbedder::new(
            Arc::clone(&self.llm),
            &info.id,
            info.dims.map(|d| d as usize),
        )?;
        let id = info.id.clone();
        let mut table = {
            let id = id.clone();
            self.store.read(move |c| sql::model(c, &id)).await?
        };
        loop {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let t = table.clone();
            let (missing, done, total) = self
                .store
                .read(move |c| {
                    let total = sql::count_chunks(c)?;
                    Ok(match &t {
                        Some(t) => (
                            sql::chunks_missing_vectors(c, t, SWITCH_BATCH)?,
                            sql::count_floats(c, t)?,
                            total,
                        ),
                        None => (sql::all_chunk_texts(c, SWITCH_BATCH)?, 0, total),
                    })
                })
                .await?;
            report(done.min(total), total);
            if missing.is_empty() {
                // Nothing left: make it active, unless chunks arrived since (then go round again).
                let Some(t) = table.clone() else {
                    return Err(Error::Internal("the knowledge base has no passages".into()));
                };
                let activated = self
                    .store
                    .write(move |c| {
                        if !sql::chunks_missing_vectors(c, &t, 1)?.is_empty() {
                            return Ok(false);
                        }
                        sql::set_active(c, &t.model_id, &now())?;
                        Ok(true)
                    })
                    .await?;
                if activated {
                    return Ok(());
                }
                continue;
            }
            let texts: Vec<String> = missing.iter().map(|x| x.1.clone()).collect();
            let vectors = tokio::select! {
                v = embedder.embed_checked(&texts) => v?,
                _ = cancel.cancelled() => return Err(Error::Cancelled),
            };
            let dims = vectors.first().map_or(0, Vec::len);
            let rows: Vec<(i64, Vec<f32>)> =
                missing.into_iter().map(|x| x.0).zip(vectors).collect();
            let id2 = id.clone();
            let t = self
                .store
                .write(move |c| {
                    let t = sql::ensure_model(c, &id2, dims, &now())?;
                    sql::insert_vectors(c, &t, &rows)?;
                    Ok(t)
                })
                .await?;
            if table.is_none() {
                embedder = ProviderEmbedder::new(Arc::clone(&self.llm), &id, Some(t.dims))?;
            }
            table = Some(t);
        }
    }
}
