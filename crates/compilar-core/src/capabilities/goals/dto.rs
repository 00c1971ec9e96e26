//! Request and response types of the goals capability.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where the chosen practice came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PracticeSource {
    /// One of the result's recommendations.
    Recommendation,
    /// A knowledge-base passage (its id in `practice_ref`).
    Passage,
    /// The coaching report of the result.
    Report,
    /// Written by the user.
    Own,
}

impl PracticeSource {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PracticeSource::Recommendation => "recommendation",
            PracticeSource::Passage => "passage",
            PracticeSource::Report => "report",
            PracticeSource::Own => "own",
        }
    }
    pub(crate) fn parse(s: &str) -> PracticeSource {
        match s {
            "recommendation" => PracticeSource::Recommendation,
            "passage" => PracticeSource::Passage,
            "report" => PracticeSource::Report,
            _ => PracticeSource::Own,
        }
    }
}

/// Where a goal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum GoalStatus {
    Active,
    Done,
    Dropped,
}

impl GoalStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            GoalStatus::Active => "active",
            GoalStatus::Done => "done",
            GoalStatus::Dropped => "dropped",
        }
    }
    pub(crate) fn parse(s: &str) -> GoalStatus {
        match s {
            "done" => GoalStatus::Done,
            "dropped" => GoalStatus::Dropped,
            _ => GoalStatus::Active,
        }
    }
}

/// A goal set from a result: one of its forces, what to change, the practice, when to look again.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct NewGoalRequest {
    pub assessment_id: String,
    pub force: String,
    /// What to change (1–200 characters).
    pub title: String,
    /// The practice chosen (1–2,000 characters); without one, the result's recommendation for the force.
    #[serde(default)]
    #[ts(optional)]
    pub practice: Option<String>,
    /// Where the practice came from (`own` when not said and a practice is given).
    #[serde(default)]
    #[ts(optional)]
    pub practice_source: Option<PracticeSource>,
    /// The passage id, when the practice is a passage.
    #[serde(default)]
    #[ts(optional)]
    pub practice_ref: Option<String>,
    /// The review date, `YYYY-MM-DD`: today up to a year ahead (four weeks ahead when not given).
    #[serde(default)]
    #[ts(optional)]
    pub review_on: Option<String>,
}

/// Change what a goal says (only while it is active).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct EditGoalRequest {
    pub goal_id: String,
    #[serde(default)]
    #[ts(optional)]
    pub title: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub practice: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub review_on: Option<String>,
}

/// How it is going: 1 (not at all) to 5 (very well), and a short note.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct CheckInRequest {
    pub goal_id: String,
    pub rating: u8,
    #[serde(default)]
    #[ts(optional)]
    pub note: Option<String>,
}

/// Mark a goal done or dropped (a reason is needed to drop one).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct CloseGoalRequest {
    pub goal_id: String,
    /// `done` or `dropped`.
    pub status: GoalStatus,
    #[serde(default)]
    #[ts(optional)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct GoalListRequest {
    /// Only goals in this state.
    #[serde(default)]
    #[ts(optional)]
    pub status: Option<GoalStatus>,
    /// Only goals of this pillar (as set from any of its results).
    #[serde(default)]
    #[ts(optional)]
    pub pillar: Option<String>,
}

/// One check-in.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CheckIn {
    pub id: String,
    pub rating: u8,
    pub note: Option<String>,
    pub created_at: String,
}

/// The goal's force in the newest assessment of its pillar, mode and group completed after the goal was set.
#[derive(Debug, Clone, Serialize, TS)]
pub struct GoalOutcome {
    pub assessment_id: String,
    pub completed_at: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub change: Option<f64>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Goal {
    pub id: String,
    /// The result it was set from.
    pub assessment_id: String,
    pub pillar: String,
    pub pillar_name: String,
    pub mode: String,
    pub force: String,
    pub force_name: String,
    pub group_label: Option<String>,
    pub title: String,
    pub practice: String,
    pub practice_source: PracticeSource,
    pub practice_ref: Option<String>,
    /// The force's score in the result it was set from.
    pub baseline: Option<f64>,
    pub review_on: String,
    /// Active and its review date has come.
    pub due: bool,
    pub status: GoalStatus,
    pub closed_reason: Option<String>,
    pub closed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    /// Newest first.
    pub checkins: Vec<CheckIn>,
    pub outcome: Option<GoalOutcome>,
}

/// The id of the goal an action applied to (delete returns it so the UI can offer undo).
#[derive(Debug, Clone, Serialize, TS)]
pub struct GoalRef {
    pub id: String,
}

/// The goals shown with a result.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ResultGoals {
    /// Goals set from this result.
    pub set_here: Vec<Goal>,
    /// Goals set earlier for this pillar, mode and group: the force when set and in this result (`outcome`).
    pub followed: Vec<Goal>,
}
