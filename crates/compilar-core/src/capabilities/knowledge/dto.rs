//! Request and response types of the knowledge capability (search and the framework explorer).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::search::SnippetPart;

/// Which lists a search uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SearchMethod {
    #[default]
    Hybrid,
    Vector,
    Text,
}

/// A knowledge search.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct SearchRequest {
    pub query: String,
    /// PILAR mode: `egalitarian` or `hierarchical`.
    pub mode: Option<String>,
    pub pillar: Option<String>,
    pub force: Option<String>,
    pub category: Option<String>,
    /// `builtin`, `documents`, or one document's id.
    pub source: Option<String>,
    /// Drop results whose cosine similarity to the query is below this (−1 to 1).
    pub min_score: Option<f32>,
    /// How many results (default 10; more than 50 is capped to 50).
    pub count: Option<u32>,
    pub method: Option<SearchMethod>,
}

/// Where a hit came from.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SourceRef {
    pub id: String,
    pub kind: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SearchHit {
    #[ts(type = "number")]
    pub chunk_id: i64,
    pub passage_id: String,
    pub title: String,
    pub text: String,
    pub snippet: Vec<SnippetPart>,
    pub source: SourceRef,
    pub mode: Option<String>,
    pub pillar: Option<String>,
    pub force: Option<String>,
    pub category: String,
    /// Fused rank score, 0–1: a position, not a relevance (see `strength`).
    pub score: f32,
    /// How well it matches.
    pub strength: super::search::MatchStrength,
    /// The same in words ("Strong match", "Weak match"…).
    pub strength_label: String,
    /// Cosine similarity between the query and this passage (−1 to 1).
    pub similarity: f32,
    pub vector_rank: Option<u32>,
    pub text_rank: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SearchReply {
    pub hits: Vec<SearchHit>,
    /// The count used (after capping).
    pub count: u32,
    /// The requested count was above the maximum and was lowered.
    pub capped: bool,
    pub method: SearchMethod,
    /// The embedding model that ranked the vector list.
    pub model: String,
    /// Something the person should know about this search (the active model could not be reached and the
    /// built-in one was used).
    pub notice: Option<String>,
    /// Hits that are strong or related matches.
    pub good_matches: u32,
    /// Nothing passed the threshold: the hits are only the closest there is (say "no good match").
    pub no_good_match: bool,
    #[ts(type = "number")]
    pub took_us: u64,
}

/// The knowledge base's state.
#[derive(Debug, Clone, Serialize, TS)]
pub struct KnowledgeStatus {
    #[ts(type = "number")]
    pub passages: u64,
    #[ts(type = "number")]
    pub builtin_passages: u64,
    pub model: String,
    pub dims: u32,
    #[ts(type = "number")]
    pub vectors: u64,
}

/// A pillar and the four forces through which it is measured.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PillarForces {
    pub pillar: crate::domain::Pillar,
    pub forces: Vec<crate::domain::Force>,
}

/// A category of the knowledge base, with its label.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Category {
    pub id: String,
    pub label: String,
}

/// Which passage to open in full.
#[derive(Debug, Clone, serde::Deserialize, TS)]
pub struct PassageRequest {
    #[ts(type = "number")]
    pub chunk_id: i64,
}

/// One passage in full, for the reading view: where it comes from, its tags, and the passages closest to it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PassageDetail {
    #[ts(type = "number")]
    pub chunk_id: i64,
    pub passage_id: String,
    pub title: String,
    pub text: String,
    pub source: SourceRef,
    pub mode: Option<String>,
    pub pillar: Option<String>,
    pub force: Option<String>,
    pub category: String,
    /// The closest other passages by meaning (at most [`MAX_RELATED`]), closest first.
    pub related: Vec<RelatedPassage>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RelatedPassage {
    #[ts(type = "number")]
    pub chunk_id: i64,
    pub title: String,
    pub source_title: String,
    pub similarity: f32,
}

pub const MAX_RELATED: usize = 4;
