//! Request and response types of the progress capability.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::{Band, ConfidenceLevel};

/// Which assessments the progress view covers: all, or one group label and/or one mode.
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ProgressRequest {
    /// Only assessments about this group.
    #[serde(default)]
    #[ts(optional)]
    pub group: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub mode: Option<String>,
    /// Minutes east of UTC of the calendar the 30-day figures count days in (−840 to 840); this computer's
    /// own time zone when left out.
    #[serde(default)]
    #[ts(optional)]
    pub utc_offset_minutes: Option<i32>,
}

/// Progress over time: totals, one track per group, mode and pillar, what is not assessed yet, milestones.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProgressView {
    pub totals: ProgressTotals,
    /// Newest activity first.
    pub tracks: Vec<PillarTrack>,
    /// Per mode (in framework order), the pillars without a completed assessment in this view.
    pub not_assessed: Vec<NotAssessed>,
    /// Newest first.
    pub milestones: Vec<Milestone>,
    /// The group labels in use (whatever the filter), for choosing one.
    pub groups: Vec<String>,
    /// Figures across the assessments in view: how they split by mode, each pillar's average, the last 30 days.
    pub analytics: Analytics,
}

/// Figures across the completed assessments in view, computed on this computer from the stored scores.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Analytics {
    /// Completed assessments per mode, in framework order (modes with none included, as 0).
    pub modes: Vec<ModeShare>,
    /// Per mode and pillar with a completed assessment, the average pillar score, in framework order.
    pub pillars: Vec<PillarAverage>,
    /// The last 30 days, oldest first, one entry per calendar day ending today.
    pub days: Vec<DayActivity>,
    /// Completed in the last 30 days and the 30 before them, with their average pillar scores.
    pub last_30: Period,
    pub previous_30: Period,
    /// The last 30 days' average minus the 30 before (`null` unless both have an assessment).
    pub change: Option<f64>,
}

/// One mode's share of the completed assessments.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ModeShare {
    pub mode: String,
    pub name: String,
    pub completed: u32,
    /// 0–100, rounded; 0 when nothing is completed.
    pub percent: f64,
}

/// A pillar's average over its completed assessments in view.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PillarAverage {
    pub mode: String,
    pub pillar: String,
    pub pillar_name: String,
    pub average: f64,
    pub band: Band,
    pub completed: u32,
    pub lowest: f64,
    pub highest: f64,
}

/// One calendar day.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DayActivity {
    /// `YYYY-MM-DD` in the calendar asked for.
    pub date: String,
    pub completed: u32,
    /// The average pillar score of that day's completed assessments (`null` with none).
    pub average: Option<f64>,
}

/// Completed assessments over a span of days.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Period {
    pub completed: u32,
    pub average: Option<f64>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ProgressTotals {
    /// Completed assessments in this view.
    pub completed: u32,
    /// Started and not completed (live, in this view).
    pub in_progress: u32,
    /// Distinct pillars with a completed assessment, of the ten.
    pub pillars_covered: u32,
    /// Modes with a completed assessment, in framework order.
    pub modes_covered: Vec<String>,
    pub first_completed_at: Option<String>,
    pub last_completed_at: Option<String>,
}

/// The pillars of a mode not assessed yet.
#[derive(Debug, Clone, Serialize, TS)]
pub struct NotAssessed {
    pub mode: String,
    pub pillars: Vec<String>,
}

/// The assessments of one pillar in one mode about one group (or about no named group), oldest first.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PillarTrack {
    pub group_label: Option<String>,
    pub mode: String,
    pub pillar: String,
    pub pillar_name: String,
    /// Every completed assessment of the track, oldest first (the trend chart's points).
    pub points: Vec<TrackPoint>,
    /// The latest pillar score and its change since the previous assessment (`null` with only one).
    pub latest: f64,
    pub latest_band: Band,
    pub change: Option<f64>,
    /// Per force of the pillar, in framework order.
    pub forces: Vec<ForceTrack>,
}

/// One completed assessment on a track.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TrackPoint {
    pub assessment_id: String,
    pub completed_at: String,
    pub pillar_score: f64,
    pub confidence_level: ConfidenceLevel,
    /// The force scores in the order of the track's `forces` (`null`: not answered that time).
    pub forces: Vec<Option<f64>>,
}

/// One force on a track: its latest score and the change since the previous assessment that scored it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ForceTrack {
    pub force: String,
    pub name: String,
    pub latest: Option<f64>,
    pub previous: Option<f64>,
    pub change: Option<f64>,
}

/// What kind of milestone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneKind {
    /// The first completed assessment.
    FirstAssessment,
    /// All five pillars of a mode assessed for one group.
    FullProfile,
    /// A force up by 15 points or more since the previous assessment of its pillar.
    ForceUp,
    /// A development goal marked done.
    GoalCompleted,
}

/// Something worth noticing, shown quietly (no points, no ranking).
#[derive(Debug, Clone, Serialize, TS)]
pub struct Milestone {
    pub kind: MilestoneKind,
    pub at: String,
    /// In words ("Goal clarity up 25 points in Group Prospects").
    pub title: String,
    pub assessment_id: Option<String>,
    pub goal_id: Option<String>,
}

/// Two assessments to compare.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct CompareRequest {
    pub first: String,
    pub second: String,
}

/// Which way a force moved between two assessments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Improved,
    Slipped,
    /// Moved less than [`STEADY_WITHIN`](crate::capabilities::progress::STEADY_WITHIN) points.
    Steady,
    /// Not answered in one of the two.
    NotComparable,
}

/// One side of a comparison.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CompareSide {
    pub assessment_id: String,
    pub completed_at: String,
    pub group_label: Option<String>,
    pub pillar_score: f64,
    pub band: Band,
    pub confidence: f64,
    pub confidence_level: ConfidenceLevel,
    /// Fewer than half the questions answered: marked, not hidden.
    pub low_confidence: bool,
    pub answered: u32,
    pub total: u32,
}

/// One force, before and after.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ForceChange {
    pub force: String,
    pub name: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub change: Option<f64>,
    pub direction: Direction,
}

/// Two completed assessments of one pillar and mode side by side, the older first.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Comparison {
    pub pillar: String,
    pub pillar_name: String,
    pub mode: String,
    pub before: CompareSide,
    pub after: CompareSide,
    pub change: f64,
    pub direction: Direction,
    pub forces: Vec<ForceChange>,
    /// Forces that improved / slipped, by name, the largest move first.
    pub improved: Vec<String>,
    pub slipped: Vec<String>,
    /// A move smaller than this many points counts as steady.
    pub steady_within: f64,
    /// Either side has low confidence: read the change with care.
    pub low_confidence: bool,
}
