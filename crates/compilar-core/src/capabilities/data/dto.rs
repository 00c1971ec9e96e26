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
    /// A file outside the data folder (default: a new backup in the backups folder).
    #[serde(default)]
    #[ts(optional)]
    pub file: Option<String>,
    /// Replace `file` if it exists (the user confirmed; `--force`).
    #[serde(default)]
    #[ts(optional)]
    pub overwrite: Option<bool>,
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

/// The export format's version: a newer release may add fields and tables; an import refuses a newer one.
pub const EXPORT_FORMAT_VERSION: u32 = 1;

/// A folder, or a single zip archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveFormat {
    Folder,
    Zip,
}

/// Export everything to `path` (a new or empty folder, or a new `.zip` file).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportRequest {
    pub path: String,
    /// Default: a zip archive when the path ends in `.zip`, else a folder.
    #[serde(default)]
    #[ts(optional)]
    pub format: Option<ArchiveFormat>,
    /// Names the job, so that the caller can stop it.
    pub request_id: String,
    /// Replace an existing zip archive at `path` (the user confirmed; `--force`). A folder export always goes
    /// into a new or empty folder.
    #[serde(default)]
    #[ts(optional)]
    pub overwrite: Option<bool>,
}

/// How far an export is.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportProgress {
    /// `reading`, `tables`, `reports`, `conversations`, `writing`.
    pub stage: String,
    pub done: u32,
    pub total: u32,
}

/// How many rows of one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TableCount {
    pub table: String,
    pub rows: u32,
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportSummary {
    pub path: String,
    pub format: ArchiveFormat,
    pub tables: Vec<TableCount>,
    pub documents: u32,
    pub reports: u32,
    pub conversations: u32,
    #[ts(type = "number")]
    pub bytes: u64,
}

/// Import an export (a folder or a zip archive); `dry_run` only says what would change.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ImportRequest {
    pub path: String,
    #[serde(default)]
    pub dry_run: bool,
}

/// What an import did (or, in a dry run, would do) to one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct TableImport {
    pub table: String,
    /// New here.
    pub added: u32,
    /// Newer in the export than here.
    pub updated: u32,
    /// Assessments answered in both places, merged question by question.
    pub merged: u32,
    /// Already here, the same or newer.
    pub unchanged: u32,
    /// The id belongs to another profile here; left alone.
    pub skipped: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ImportSummary {
    pub dry_run: bool,
    pub exported_at: String,
    pub tables: Vec<TableImport>,
    /// Documents listed in the export: their text is not part of it, so they are not imported.
    pub documents_listed: u32,
}
