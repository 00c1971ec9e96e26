//! Request and response types of full profiles (all five pillars of a mode, pillar by pillar) and of the
//! comparison of the two modes for one group.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::capabilities::assessments::dto::Stage;
use crate::domain::Band;

/// Start a full profile of `mode`, about a group, with a note.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct StartProfileRequest {
    pub mode: String,
    #[serde(default)]
    #[ts(optional)]
    pub group_label: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub note: Option<String>,
    /// The team round (of a full profile) it answers: each of its pillars carries the round.
    #[serde(default)]
    #[ts(optional)]
    pub round_id: Option<String>,
}

/// One pillar of a full profile.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProfilePillar {
    pub pillar: String,
    pub pillar_name: String,
    /// "P · Prospects".
    pub letter: String,
    /// Its assessment, once started.
    pub assessment_id: Option<String>,
    pub stage: Option<Stage>,
    pub score: Option<f64>,
    pub band: Option<Band>,
}

/// A full profile: its five pillars in framework order, how far it is, and the next pillar to take.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FullProfile {
    pub id: String,
    pub mode: String,
    pub group_label: Option<String>,
    pub note: Option<String>,
    pub pillars: Vec<ProfilePillar>,
    /// Pillars completed, of five.
    pub done: u32,
    pub complete: bool,
    /// The first pillar not completed yet.
    pub next_pillar: Option<String>,
    pub created_at: String,
    /// When the fifth pillar was completed.
    pub completed_at: Option<String>,
}

/// One PILAR letter in both modes: the latest completed assessment of each mode's pillar for the group.
#[derive(Debug, Clone, Serialize, TS)]
pub struct LetterInModes {
    pub letter: String,
    pub letter_name: String,
    pub egalitarian: Option<ModeSide>,
    pub hierarchical: Option<ModeSide>,
    /// The letter's forces, with their latest score in each mode.
    pub forces: Vec<ForceInModes>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ModeSide {
    pub pillar: String,
    pub pillar_name: String,
    pub assessment_id: String,
    pub completed_at: String,
    pub score: f64,
    pub band: Band,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ForceInModes {
    pub force: String,
    pub name: String,
    pub egalitarian: Option<f64>,
    pub hierarchical: Option<f64>,
}

/// The same group in egalitarian and hierarchical terms, letter by letter.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ModeComparison {
    pub group_label: Option<String>,
    pub letters: Vec<LetterInModes>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct CompareModesRequest {
    /// The group (none: assessments about no named group).
    #[serde(default)]
    #[ts(optional)]
    pub group: Option<String>,
}
