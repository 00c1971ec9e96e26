//! Request and response types of fresh questions.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Ask a model for new Likert questions for a pillar.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct GenerateRequest {
    pub pillar: String,
    pub mode: String,
    /// 1–20 (default 10).
    #[serde(default)]
    #[ts(optional)]
    pub count: Option<u32>,
    /// `easier`, `standard` (default) or `harder`: how subtle the statements are.
    #[serde(default)]
    #[ts(optional)]
    pub difficulty: Option<String>,
    /// Chosen by the caller; [`crate::capabilities::questions::Questions::cancel`] stops it.
    pub request_id: String,
    #[serde(default)]
    #[ts(optional)]
    pub exclude: Option<Vec<String>>,
}

/// A question a model wrote that passed every check, stored for review.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct GeneratedQuestion {
    pub id: String,
    pub pillar: String,
    pub mode: String,
    pub force: String,
    pub text: String,
    pub reverse: bool,
    pub provider: String,
    pub model: String,
    pub created_at: String,
}

/// An item the model wrote that failed a check, and why.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RejectedItem {
    pub text: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct GenerateReply {
    /// Stored, in the order written.
    pub accepted: Vec<GeneratedQuestion>,
    pub rejected: Vec<RejectedItem>,
    /// How many of the asked-for questions the built-in bank supplies instead.
    pub from_bank: u32,
    /// Model calls made (the second, if any, sent the validation errors back).
    pub attempts: u32,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// Why no model wrote them, when none did.
    pub notice: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct GeneratedListRequest {
    #[ts(optional)]
    pub pillar: Option<String>,
    #[ts(optional)]
    pub mode: Option<String>,
}
