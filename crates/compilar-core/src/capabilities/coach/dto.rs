//! Request and response types of the coach.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::ErrorPayload;
use crate::llm::{Passage, Usage};

/// Write (or rewrite) the coaching report of a completed assessment.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ReportRequest {
    pub assessment_id: String,
    /// Use the offline coach even when a model is available.
    #[serde(default)]
    #[ts(optional)]
    pub offline: Option<bool>,
    /// Providers to skip ("retry with another provider").
    #[serde(default)]
    #[ts(optional)]
    pub exclude: Option<Vec<String>>,
}

/// How a report's writing ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Complete,
    /// The user stopped it; what had arrived is kept.
    Stopped,
    /// It failed part-way; what had arrived is kept, marked as such, never shown as complete.
    Error,
}

impl ReportStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Complete => "complete",
            ReportStatus::Stopped => "stopped",
            ReportStatus::Error => "error",
        }
    }
    pub(crate) fn parse(s: &str) -> ReportStatus {
        match s {
            "complete" => ReportStatus::Complete,
            "stopped" => ReportStatus::Stopped,
            _ => ReportStatus::Error,
        }
    }
}

/// Who wrote a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReportWriter {
    /// A model, through the provider chain.
    Model,
    /// The built-in rules-based coach (no model): the same results always give the same report.
    Offline,
}

/// A stored coaching report.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CoachReport {
    pub id: String,
    /// What the report is about: a completed assessment, or a team's round (a team report, on the round's team
    /// results only).
    pub assessment_id: Option<String>,
    pub round_id: Option<String>,
    /// For a team report: how many members' results the figures it was written on covered.
    pub responses: Option<u32>,
    pub status: ReportStatus,
    pub writer: ReportWriter,
    /// The provider and model that wrote it (`None` for the offline coach).
    pub provider: Option<String>,
    pub provider_label: Option<String>,
    pub model: Option<String>,
    /// Markdown; citations are `[n]`, each naming one of `passages`.
    pub content: String,
    /// The passages sent with the prompt (for the offline coach: the ones it drew on), numbered.
    pub passages: Vec<Passage>,
    /// The numbers cited in the report, in order of first citation.
    pub citations: Vec<u32>,
    /// Why the offline coach wrote it, when it was not chosen ("No AI provider is set up.").
    pub notice: Option<String>,
    /// What went wrong, for a report that ended in an error.
    pub error: Option<ErrorPayload>,
    pub prompt_version: u32,
    pub usage: Usage,
    pub created_at: String,
}

/// What the results page shows about the coach for one assessment.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ReportState {
    /// The newest complete report (kept while a new one is written).
    pub report: Option<CoachReport>,
    /// A newer attempt that did not complete (stopped or failed), kept so that its text is not lost.
    pub last_attempt: Option<CoachReport>,
    /// A report is being written for this assessment now.
    pub running: bool,
    /// Some AI provider is switched on and has what it needs; without one the offline coach writes reports.
    pub model_available: bool,
}
