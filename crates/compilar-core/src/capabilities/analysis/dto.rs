//! Request and response types of content analysis.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How a text (pasted, or one of the user's documents) aligns with each pillar and force.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct AnalyzeRequest {
    /// At most 20,000 characters.
    #[ts(optional)]
    pub text: Option<String>,
    /// One of the user's documents instead (its first 20,000 characters).
    #[ts(optional)]
    pub document_id: Option<String>,
    /// `egalitarian`, `hierarchical`, or both when absent.
    #[ts(optional)]
    pub mode: Option<String>,
    /// The offline estimate, without a model.
    #[ts(optional)]
    pub offline: Option<bool>,
    #[ts(optional)]
    pub exclude: Option<Vec<String>>,
    /// Chosen by the caller; [`crate::capabilities::analysis::Analysis::cancel`] stops it.
    pub request_id: String,
}

/// Who produced an analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisMethod {
    /// A model read the text.
    Model,
    /// Embedding similarity between the text's passages and the forces' descriptions: an estimate.
    Estimate,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ForceAlignment {
    pub force: String,
    pub name: String,
    /// 0–100; `None` when the text says nothing about it.
    pub alignment: Option<u32>,
    /// Quotes from the text, each checked to occur in it.
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PillarAlignment {
    pub pillar: String,
    pub name: String,
    pub mode: String,
    pub alignment: Option<u32>,
    pub evidence: Vec<String>,
    pub forces: Vec<ForceAlignment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AnalysisReply {
    pub method: AnalysisMethod,
    pub pillars: Vec<PillarAlignment>,
    pub themes: Vec<String>,
    pub recommendations: Vec<String>,
    /// Quotes the model gave that do not occur in the text (dropped).
    pub dropped_quotes: u32,
    /// Characters analysed, and whether a document was cut to the limit.
    pub chars: u32,
    pub truncated: bool,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// Why the estimate was used, when it was not asked for.
    pub notice: Option<String>,
}
