//! Embeddings and the vector index: the local static model that ships inside the binary, cloud models through
//! the LLM layer, and the in-memory index that narrows large vector searches ([`index`]).

pub mod index;

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;

use crate::error::{Error, Result};

/// Turns texts into unit-length vectors of a fixed size.
#[async_trait]
pub trait Embedder: Send + Sync {
    /// Stable id recorded with every vector table (`local:potion-base-8M`, `openai:text-embedding-3-small`).
    fn model_id(&self) -> &str;
    fn dims(&self) -> usize;
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>>;
}

/// The id of the built-in model.
pub const LOCAL_MODEL_ID: &str = "local:potion-base-8M";
pub const LOCAL_DIMS: usize = 256;

/// The weights as 16-bit floats (converted from the fetched file by build.rs).
static MODEL: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/model-f16.safetensors"));
static TOKENIZER: &[u8] = include_bytes!("../../model/potion-base-8M/tokenizer.json");
static CONFIG: &[u8] = include_bytes!("../../model/potion-base-8M/config.json");

/// potion-base-8M through model2vec-rs: 256 dimensions, runs in process, no network.
pub struct LocalEmbedder {
    model: model2vec_rs::model::StaticModel,
}

impl LocalEmbedder {
    /// The process-wide instance (loading takes tens of milliseconds; it happens once, on first use).
    pub fn shared() -> Result<Arc<LocalEmbedder>> {
        static SHARED: OnceLock<std::result::Result<Arc<LocalEmbedder>, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                model2vec_rs::model::StaticModel::from_bytes(TOKENIZER, MODEL, CONFIG, Some(true))
                    .map(|model| Arc::new(LocalEmbedder { model }))
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(|e| Error::Internal(format!("the local embedding model could not load: {e}")))
    }

    /// Embeds synchronously (about a microsecond per sentence; fine on any thread).
    pub fn embed_now(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let out = self.model.encode(texts);
        out.into_iter()
            .map(|v| normalise(v, LOCAL_DIMS).map_err(|d| Error::bad_vectors(LOCAL_MODEL_ID, d)))
            .collect()
    }
}

#[async_trait]
impl Embedder for LocalEmbedder {
    fn model_id(&self) -> &str {
        LOCAL_MODEL_ID
    }

    fn dims(&self) -> usize {
        LOCAL_DIMS
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        self.embed_now(texts)
    }
}

/// A model served by one of the LLM providers (OpenAI `text-embedding-3-small`, an Ollama embedding model),
/// always that provider and that model: a knowledge-base table never gets another model's vectors.
pub struct ProviderEmbedder {
    llm: Arc<crate::llm::Llm>,
    id: String,
    provider: String,
    model: String,
    /// Known once the model's table exists; the first reply decides otherwise.
    dims: Option<usize>,
}

impl ProviderEmbedder {
    /// For a model id of the form `provider:model`.
    pub fn new(
        llm: Arc<crate::llm::Llm>,
        id: &str,
        dims: Option<usize>,
    ) -> Result<ProviderEmbedder> {
        let (provider, model) = split_model_id(id)?;
        Ok(ProviderEmbedder {
            llm,
            id: id.to_owned(),
            provider: provider.to_owned(),
            model: model.to_owned(),
            dims,
        })
    }

    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// Embeds, checks and normalises; every vector must have the same size (the table's, once known).
    pub async fn embed_checked(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let raw = self
            .llm
            .embed_with(&self.provider, &self.model, texts)
            .await?;
        if raw.len() != texts.len() {
            return Err(Error::bad_vectors(
                &self.id,
                format_args!(
                    "{} embeddings came back for {} texts",
                    raw.len(),
                    texts.len()
                ),
            ));
        }
        let dims = match (self.dims, raw.first()) {
            (Some(d), _) => d,
            (None, Some(v)) => v.len(),
            (None, None) => return Ok(Vec::new()),
        };
        raw.into_iter()
            .map(|v| normalise(v, dims).map_err(|d| Error::bad_vectors(&self.id, d)))
            .collect()
    }
}

/// `openai:text-embedding-3-small` → (`openai`, `text-embedding-3-small`). Model names may contain `:`.
pub fn split_model_id(id: &str) -> Result<(&str, &str)> {
    match id.split_once(':') {
        Some((p, m)) if !p.is_empty() && !m.is_empty() && id != LOCAL_MODEL_ID => Ok((p, m)),
        _ => Err(Error::UnknownEmbeddingModel(
            crate::domain::truncate_for_message(id),
        )),
    }
}

#[async_trait]
impl Embedder for ProviderEmbedder {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn dims(&self) -> usize {
        self.dims.unwrap_or(0)
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        self.embed_checked(texts).await
    }
}

/// Checks a vector (right size, finite) and scales it to unit length. A zero vector (a text with no known
/// words) stays zero: it matches nothing rather than everything.
/// Cosine similarity of two normalised vectors (their dot product).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub fn normalise(mut v: Vec<f32>, dims: usize) -> std::result::Result<Vec<f32>, String> {
    if v.len() != dims {
        return Err(format!(
            "a vector has {} dimensions where this model's have {dims}",
            v.len()
        ));
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err("a vector contains NaN or infinite values".into());
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in &mut v {
            *x /= norm;
        }
    }
    Ok(v)
}

/// Embeds `texts` with the model of a table: the built-in one on a blocking thread, a provider's through the
/// LLM layer (its breaker, the call log), checked and normalised.
pub async fn embed_with_model(
    llm: &Arc<crate::llm::Llm>,
    model: &crate::store::kb::ModelTable,
    texts: Vec<String>,
) -> Result<Vec<Vec<f32>>> {
    if model.model_id == LOCAL_MODEL_ID {
        return tokio::task::spawn_blocking(move || LocalEmbedder::shared()?.embed_now(&texts))
            .await?;
    }
    ProviderEmbedder::new(Arc::clone(llm), &model.model_id, Some(model.dims))?
        .embed_checked(&texts)
        .await
}

/// Little-endian bytes, as sqlite-vec reads a `float[N]` value.
pub fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_model_embeds_offline_and_similar_texts_are_close() {
        let e = LocalEmbedder::shared().unwrap();
        let v = e
            .embed_now(&[
                "people are afraid to speak up in meetings".into(),
                "team members fear voicing disagreement".into(),
                "the budget spreadsheet has a formula error".into(),
            ])
            .unwrap();
        assert!(v.iter().all(|x| x.len() == 256));
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        for x in &v {
            assert!((dot(x, x) - 1.0).abs() < 1e-4);
        }
        assert!(dot(&v[0], &v[1]) > dot(&v[0], &v[2]));
    }

    #[test]
    fn bad_vectors_are_rejected() {
        assert!(normalise(vec![1.0; 3], 4).is_err());
        assert!(normalise(vec![1.0, f32::NAN, 0.0, 0.0], 4).is_err());
        assert!(normalise(vec![1.0, f32::INFINITY, 0.0, 0.0], 4).is_err());
        let v = normalise(vec![3.0, 4.0], 2).unwrap();
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        assert_eq!(normalise(vec![0.0, 0.0], 2).unwrap(), vec![0.0, 0.0]);
    }
}
