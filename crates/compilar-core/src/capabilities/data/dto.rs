//! Request and response types of the data capability (backups, restore, deleting everything).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use crate::store::backup::BackupInfo;

/// Automatic backups: on or off, and how many to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BackupSettings {
    /// A copy a day (at start-up and hourly while the app runs, when the newest is a day old).
    pub automatic: bool,
    /// Automatic copies kept, 1–60 (older ones are removed; copies taken by hand are never removed).
    pub keep: u32,
}

impl Default for BackupSettings {
    fn default() -> Self {
        BackupSettings {
            automatic: true,
            keep: crate::store::backup::AUTO_KEPT as u32,
        }
    }
}

/// The backups and their settings.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Backups {
    pub folder: String,
    pub settings: BackupSettings,
    /// Newest first.
    pub backups: Vec<BackupInfo>,
    /// A restore can be undone (the database as it was before the newest restore is kept).
    pub can_undo: bool,
}

/// Take a backup now: into the backup folder, or to a file the user named.
#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct BackupRequest {
    #[serde(default)]
    #[ts(optional)]
    pub file: Option<String>,
}

/// What a restore (or its undo) did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RestoreOutcome {
    pub restored_from: String,
    /// The database as it was before, kept for undo (`null` after an undo).
    pub set_aside: Option<BackupInfo>,
    /// The restored database's version before it was brought up to date.
    #[ts(type = "number")]
    pub schema_version: i64,
}

/// What "delete all my data" removed.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DeleteOutcome {
    pub assessments: u32,
    pub goals: u32,
    pub conversations: u32,
    pub documents: u32,
    pub backups_removed: u32,
}

/// The words to type to delete everything.
pub const DELETE_CONFIRMATION: &str = "delete my data";
