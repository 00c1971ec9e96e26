//! Request and response types of the sync capability.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::ErrorPayload;

/// Where syncing stands in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Never signed in here.
    Off,
    SignedOut,
    Synced,
    /// Changes wait to be pushed.
    Pending,
    Syncing,
    /// The project cannot be reached; Compilar tries again by itself.
    Offline,
    /// The last sync failed for another reason (see `last_error`).
    Error,
}

/// Where syncing stands, for the sidebar and the Account page.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncStatus {
    pub state: SyncState,
    /// The state in words, e.g. "3 changes waiting", "Offline: will try again in 2 min".
    pub label: String,
    /// Changes waiting to be pushed.
    #[ts(type = "number")]
    pub pending: u64,
    /// Changes the server refused (the "not synced" list).
    #[ts(type = "number")]
    pub rejected: u64,
    pub last_sync_at: Option<String>,
    /// Why the last sync failed (cleared by the next one that works).
    pub last_error: Option<ErrorPayload>,
    pub email: Option<String>,
}

/// What one sync did.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct SyncReport {
    /// Rows the server took, rows it already had newer, rows it refused.
    #[ts(type = "number")]
    pub pushed: u64,
    #[ts(type = "number")]
    pub ignored: u64,
    #[ts(type = "number")]
    pub rejected: u64,
    /// Push batches sent (a batch sent again after a lost answer counts once).
    pub batches: u32,
    /// Rows pulled and applied here, rows pulled but older than what is here, rows that could not be applied.
    #[ts(type = "number")]
    pub pulled: u64,
    #[ts(type = "number")]
    pub kept_local: u64,
    #[ts(type = "number")]
    pub skipped: u64,
    #[ts(type = "number")]
    pub duration_ms: u64,
}

/// Progress of a sync, for a progress bar.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncProgress {
    /// "push" or "pull".
    pub stage: String,
    /// The table being pulled (pull only).
    pub table: Option<String>,
    #[ts(type = "number")]
    pub done: u64,
    /// Rows to push (push only; a pull does not know its total).
    #[ts(type = "number | null")]
    pub total: Option<u64>,
}

/// One change the server refused.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RejectedChange {
    pub table: String,
    pub row_id: String,
    /// What it is, in words ("Assessment: Divergent … (12 Nov)").
    pub what: String,
    /// The server's code (e.g. 42501: a row of another account) and reason.
    pub code: String,
    pub reason: String,
    pub at: String,
}

/// Retry or discard refused changes.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct RejectedRequest {
    pub table: String,
    pub row_id: String,
}
