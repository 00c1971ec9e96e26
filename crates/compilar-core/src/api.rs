//! Request and response types of the facade. They are the contract with every shell; the UI's TypeScript
//! types are generated from them (see `tests` in `lib.rs` and `ui/src/lib/bindings.ts`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::{Framework, Question, Results, Scale};

/// Where an assessment is in its life. Pillar and mode selection happen before an assessment exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Answering questions; answers can still change.
    Quiz,
    /// Scored; answers are frozen and results are available.
    Completed,
}

impl Stage {
    pub(crate) fn from_db(s: &str) -> Stage {
        if s == "completed" {
            Stage::Completed
        } else {
            Stage::Quiz
        }
    }
}

/// The framework and the answer scale, for the pages that explain PILAR and run the quiz.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FrameworkInfo {
    pub framework: Framework,
    pub scale: Scale,
    /// Number of questions in an assessment of each pillar.
    #[ts(type = "Record<string, number>")]
    pub questions_per_pillar: HashMap<String, u32>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CreateAssessmentRequest {
    pub pillar: String,
    pub mode: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct AnswerRequest {
    pub assessment_id: String,
    pub question_id: String,
    #[ts(type = "number")]
    pub value: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AnswerAck {
    pub assessment_id: String,
    pub question_id: String,
    #[ts(type = "number")]
    pub value: i64,
}

/// One assessment with its questions in the order served.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Assessment {
    pub id: String,
    pub pillar: String,
    pub mode: String,
    pub stage: Stage,
    pub questions: Vec<Question>,
    /// Question id → value on the scale.
    #[ts(type = "Record<string, number>")]
    pub answers: HashMap<String, i64>,
    pub answered: u32,
    pub total: u32,
    pub results: Option<Results>,
    pub created_at: String,
    pub updated_at: String,
    pub completed_at: Option<String>,
    pub deleted_at: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ListRequest {
    #[serde(default)]
    #[ts(optional)]
    pub pillar: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub mode: Option<String>,
    /// Page size, 1–100 (default 20).
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
    #[serde(default)]
    #[ts(optional)]
    pub offset: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AssessmentSummary {
    pub id: String,
    pub pillar: String,
    pub pillar_name: String,
    pub mode: String,
    pub stage: Stage,
    pub answered: u32,
    pub total: u32,
    pub pillar_score: Option<f64>,
    pub created_at: String,
    pub updated_at: String,
    pub completed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AssessmentPage {
    pub items: Vec<AssessmentSummary>,
    /// All live assessments matching the filter.
    pub total: u32,
    pub limit: u32,
    pub offset: u32,
}

/// The id of the assessment an action applied to (delete returns it so the UI can offer undo).
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
pub struct AssessmentRef {
    pub id: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Diagnostics {
    pub app_version: String,
    pub data_dir: String,
    pub database_path: String,
    pub log_dir: String,
    pub sqlite_version: String,
    pub vec_version: String,
    #[ts(type = "number")]
    pub schema_version: i64,
    pub framework_version: u32,
    pub question_bank_version: u32,
    pub questions: u32,
    pub assessments: u32,
}

/// Everything the Settings page shows about AI providers (never a key).
#[derive(Debug, Clone, Serialize, TS)]
pub struct LlmSettings {
    pub providers: Vec<crate::llm::ProviderView>,
    pub ai: crate::llm::AiSettings,
    pub keychain: crate::llm::KeychainStatus,
}

/// All provider settings at once; `position` gives the fallback order.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct SaveProvidersRequest {
    pub providers: Vec<crate::llm::ProviderSettings>,
}

/// Stores or replaces a provider's API key in the keychain.
#[derive(Deserialize, TS)]
pub struct SetKeyRequest {
    pub provider: String,
    pub key: String,
}

impl std::fmt::Debug for SetKeyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key never reaches a log line, even through Debug.
        f.debug_struct("SetKeyRequest")
            .field("provider", &self.provider)
            .field("key", &"[hidden]")
            .finish()
    }
}

/// A question for a model ("try a prompt" in Settings).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct AskRequest {
    /// Chosen by the caller; [`crate::App::cancel_stream`] stops the stream with it.
    pub request_id: String,
    pub prompt: String,
    /// Providers to skip ("retry with another provider").
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// The Diagnostics page's view of the AI layer.
#[derive(Debug, Clone, Serialize, TS)]
pub struct LlmStatus {
    pub providers: Vec<crate::llm::ProviderStatus>,
    pub rate_limit: crate::llm::RateLimitState,
    pub keychain: crate::llm::KeychainStatus,
    pub calls: Vec<crate::store::llm::CallLogEntry>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct BreakerControlRequest {
    pub provider: String,
    pub action: crate::llm::BreakerAction,
}

/// A pillar and the four forces through which it is measured.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PillarForces {
    pub pillar: crate::domain::Pillar,
    pub forces: Vec<crate::domain::Force>,
}

/// Imports a file into the knowledge base.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ImportDocumentRequest {
    pub path: String,
    /// Chosen by the caller; [`crate::App::cancel_import`] stops the import with it.
    pub import_id: String,
}
