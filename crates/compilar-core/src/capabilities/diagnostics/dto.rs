//! Response types of the diagnostics capability.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

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
    /// Completed assessments (not in the bin).
    pub assessments: u32,
    /// Started, not completed (not in the bin).
    pub in_progress: u32,
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

/// One applied migration, for `doctor`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MigrationInfo {
    #[ts(type = "number")]
    pub version: i64,
    pub name: String,
    pub applied_at: String,
    /// Whether this build has the same migration (a `false` means a newer release or a changed file).
    pub matches_build: bool,
}

/// A health check of this installation: versions, the database's integrity, migrations, the keychain and
/// every provider's breaker.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DoctorReport {
    pub diagnostics: Diagnostics,
    /// `ok`, or "damaged (SQLite's check found: …)" with the first problems SQLite's quick check found.
    pub integrity: String,
    /// Whether the database is damaged (then recovery is the way: restore a backup or start fresh).
    pub damaged: bool,
    pub migrations: Vec<MigrationInfo>,
    pub keychain: crate::llm::KeychainStatus,
    pub providers: Vec<crate::llm::ProviderStatus>,
    /// Long work running on this data folder now.
    pub jobs: Vec<crate::jobs::JobInfo>,
}
