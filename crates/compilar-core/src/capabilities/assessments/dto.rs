//! Request and response types of the assessments capability.

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
    /// The kinds of knowledge-base passage, with their labels (for search filters).
    pub categories: Vec<crate::capabilities::knowledge::dto::Category>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CreateAssessmentRequest {
    pub pillar: String,
    pub mode: String,
    /// Mix in the fresh questions stored for this pillar (at most one per force), scored like bank items.
    #[serde(default)]
    #[ts(optional)]
    pub include_fresh: Option<bool>,
    /// The group it is about ("Product team"): 1–80 characters.
    #[serde(default)]
    #[ts(optional)]
    pub group_label: Option<String>,
    /// A short note (at most 2,000 characters).
    #[serde(default)]
    #[ts(optional)]
    pub note: Option<String>,
    /// The team round it answers (its id, from the team's rounds): it counts towards the round's team
    /// results once it is completed and synced, if its owner shares their results with that team.
    #[serde(default)]
    #[ts(optional)]
    pub round_id: Option<String>,
}

/// Change what an assessment is about: `None` (or empty) clears the label or the note.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct AboutRequest {
    pub assessment_id: String,
    #[serde(default)]
    #[ts(optional)]
    pub group_label: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub note: Option<String>,
}

/// A group label used so far.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct GroupLabel {
    pub label: String,
    /// Live assessments carrying it.
    pub assessments: u32,
    pub last_used: String,
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
    /// The group it is about, and a note.
    pub group_label: Option<String>,
    pub note: Option<String>,
    /// The full profile it is one pillar of.
    pub profile_id: Option<String>,
    /// The team round it answers.
    pub round_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ListRequest {
    #[serde(default)]
    #[ts(optional)]
    pub pillar: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub mode: Option<String>,
    /// Only assessments about this group.
    #[serde(default)]
    #[ts(optional)]
    pub group: Option<String>,
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
    /// The score's band and its label, once completed.
    pub band: Option<crate::domain::Band>,
    pub band_label: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub completed_at: Option<String>,
    pub group_label: Option<String>,
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
