//! Request and response types of the documents capability (imports and the search model).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ImportStage {
    Reading,
    Chunking,
    Embedding,
    Saving,
    Done,
}

/// Progress of an import: `done` of `total` steps in the current stage (pages while reading a PDF; chunks
/// times models while embedding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ImportProgress {
    pub stage: ImportStage,
    pub done: u32,
    pub total: u32,
}

/// A document in the knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DocumentInfo {
    pub id: String,
    pub title: String,
    pub file_name: Option<String>,
    #[ts(type = "number")]
    pub bytes: u64,
    pub chunks: u32,
    pub vectors: u32,
    pub created_at: String,
    /// The same content was imported before; nothing new was added.
    pub already_imported: bool,
}

/// Imports a file into the knowledge base.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ImportDocumentRequest {
    pub path: String,
    /// Chosen by the caller; `cancel_import` stops the import with it.
    pub import_id: String,
}

/// A model the knowledge base can use.
#[derive(Debug, Clone, Serialize, TS)]
pub struct EmbeddingModelInfo {
    /// `local:potion-base-8M`, or `provider:model`.
    pub id: String,
    pub label: String,
    /// The LLM provider serving it (`None` for the built-in model).
    pub provider: Option<String>,
    /// Known once the model has been used.
    pub dims: Option<u32>,
    pub active: bool,
    /// Chunks that have a vector from this model.
    #[ts(type = "number")]
    pub vectors: u64,
    /// Chunks in the knowledge base.
    #[ts(type = "number")]
    pub passages: u64,
    /// Whether it can embed right now (its provider is on and has what it needs).
    pub available: bool,
    /// Why not, in words.
    pub note: Option<String>,
}

/// A switch in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SwitchProgress {
    pub model_id: String,
    /// Chunks that have a vector from the new model, of all chunks.
    pub done: u32,
    pub total: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct EmbeddingModels {
    pub models: Vec<EmbeddingModelInfo>,
    /// The model searches use.
    pub active: String,
    pub switching: Option<SwitchProgress>,
}

/// Switch the knowledge base to another embedding model.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct SwitchModelRequest {
    pub model_id: String,
}
