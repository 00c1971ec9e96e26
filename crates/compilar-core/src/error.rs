//! The one error type of the core.
//!
//! Every failure a user can meet has a stable machine `code`, a human `message` and a `retryable` flag.
//! It serialises to the UI as `{code, message, retryable}` ([`ErrorPayload`]); errors whose detail is
//! internal (database, I/O) get a generic message so nothing private leaks to the UI.

use serde::Serialize;
use ts_rs::TS;

/// Result alias used across the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error the core can return.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Unknown pillar \u{201c}{0}\u{201d}. Choose one of the ten PILAR pillars.")]
    UnknownPillar(String),
    #[error("Unknown mode \u{201c}{0}\u{201d}. The modes are \u{201c}egalitarian\u{201d} and \u{201c}hierarchical\u{201d}.")]
    UnknownMode(String),
    #[error("The pillar {pillar} belongs to the {pillar_mode} mode, not to the {mode} mode.")]
    PillarModeMismatch {
        pillar: String,
        pillar_mode: String,
        mode: String,
    },
    #[error("Unknown question \u{201c}{0}\u{201d}.")]
    UnknownQuestion(String),
    #[error("The question \u{201c}{0}\u{201d} is not part of this assessment.")]
    QuestionNotInAssessment(String),
    #[error("Complete the assessment first: this needs its results.")]
    AssessmentNotCompleted,
    #[error("This assessment has no coaching report yet.")]
    ReportNotFound,
    #[error("No conversation with id {0} exists.")]
    ConversationNotFound(String),
    #[error("This conversation has been deleted. Restore it to continue it.")]
    ConversationDeleted,
    #[error("There is no question in this conversation to answer again.")]
    NothingToRegenerate,
    #[error("No fresh question with id {0} exists.")]
    QuestionNotFound(String),
    #[error("No assessment with id {0} exists.")]
    AssessmentNotFound(String),
    #[error("\u{201c}{0}\u{201d} is not a valid id.")]
    InvalidId(String),
    #[error("The answer {value} is off the scale: answers go from {min} to {max}.")]
    ValueOutOfRange { value: i64, min: i64, max: i64 },
    #[error("This assessment is already completed; its answers can no longer change.")]
    AssessmentCompleted,
    #[error("This assessment has been deleted. Restore it to work on it again.")]
    AssessmentDeleted,
    #[error("This assessment is not deleted, so there is nothing to restore.")]
    NotDeleted,
    #[error("Answer at least one question before completing the assessment.")]
    NoAnswers,
    #[error("The {what} is too large: at most {max} {unit}.")]
    PayloadTooLarge {
        what: &'static str,
        max: usize,
        unit: &'static str,
    },
    /// A shell could not read the arguments it was given (wrong JSON shape, missing field).
    #[error("{0}")]
    InvalidArgument(String),
    /// Something that must not be empty was (a prompt, a search query, an API key).
    #[error("{0}")]
    EmptyInput(String),
    /// A number outside the range it may take (page size, result count, similarity threshold).
    #[error("{0}")]
    OutOfRange(String),
    /// A caller-chosen job id (stream, import) that is empty or too long.
    #[error("The {what} id must be 1 to 64 characters.")]
    InvalidJobId { what: &'static str },
    /// A job with this id (or the one job of its kind) is already running.
    #[error("{0}")]
    AlreadyRunning(String),
    #[error("Unknown force \u{201c}{0}\u{201d}.")]
    UnknownForce(String),
    #[error("Unknown category \u{201c}{given}\u{201d}. The categories are {known}.")]
    UnknownCategory { given: String, known: String },
    /// Provider or AI settings that fail validation.
    #[error("{message}")]
    InvalidSettings {
        message: String,
        /// The setting the message is about (`base_url`, `timeouts.connect_secs`, `rate_limit.max_actions`…),
        /// so the UI can show it at the field.
        field: Option<String>,
        /// The provider whose settings they are.
        settings_of: Option<String>,
    },
    /// An API key that cannot be stored (whitespace or control characters inside).
    #[error("{0}")]
    InvalidApiKey(String),
    #[error("{0} does not offer embeddings.")]
    EmbeddingsUnsupported(String),
    #[error("Unknown embedding model \u{201c}{0}\u{201d}.")]
    UnknownEmbeddingModel(String),
    /// The model exists but cannot embed now (its provider is off or has no key); the message says why.
    #[error("{0}")]
    EmbeddingModelUnavailable(String),
    /// The active search model changed while an import was embedding with the old one.
    #[error("The search model changed during the import; import the file again.")]
    SearchModelChanged,
    /// The window asked to import a file the user did not choose in the file picker or drop on it.
    #[error("Compilar imports only files you choose in the file picker or drop on the window.")]
    PathNotChosen,
    /// A file the user chose could not be read (missing, a folder, no permission).
    #[error("The file could not be read: {reason}")]
    DocumentUnreadable { reason: String },
    #[error("The PILAR data shipped with the app is invalid: {0}")]
    FrameworkInvalid(String),
    #[error("The database is busy; please try again.")]
    DatabaseBusy,
    #[error("The local database could not complete the operation.")]
    Database(#[source] rusqlite::Error),
    /// No space left where the data lives. Retryable once space is freed; nothing saved before is lost.
    #[error("The disk is full: Compilar could not save to {folder}. Free some space and try again; nothing saved before was lost.")]
    DiskFull { folder: String },
    /// The data folder (or the database in it) cannot be written: permissions, a read-only disk.
    #[error("Compilar cannot write to its data folder {folder} ({detail}). Make the folder writable, or start Compilar with another one (--data-dir or COMPILAR_DATA_DIR).")]
    FolderNotWritable { folder: String, detail: String },
    /// Recovery was asked to restore a backup and none passes SQLite's check.
    #[error("No usable backup in {folder} ({found} found, none passes SQLite's check). Set the damaged database aside and start fresh instead.")]
    NoUsableBackup { folder: String, found: usize },
    /// The database file is not a database, or its pages are damaged. The recovery keeps the file.
    #[error("The database {file} is damaged ({detail}). Restore the latest automatic backup, or set the damaged file aside and start with an empty database; the damaged file is kept either way.")]
    DatabaseDamaged { file: String, detail: String },
    #[error("A migration of the local database failed: {0}")]
    Migration(String),
    #[error("The data folder could not be used: {0}")]
    Io(#[from] std::io::Error),
    #[error("Something went wrong inside Compilar.")]
    Internal(String),
    #[error("{provider}: {}", .error.message)]
    Llm {
        provider: String,
        error: crate::llm::LlmError,
    },
    #[error("{message}")]
    CircuitOpen {
        message: String,
        retry_after_ms: Option<u64>,
    },
    #[error("You have used all {max} AI actions allowed per {window}. Try again in {wait}.")]
    RateLimited {
        max: u32,
        window: String,
        wait: String,
        retry_after_ms: u64,
    },
    #[error("No AI provider is set up. Add an API key for Anthropic or OpenAI in Settings, or turn on a local model (for example Ollama). Everything else in Compilar works without one.")]
    NoProvider,
    #[error("No provider could answer. {summary}")]
    AllProvidersFailed { summary: String, retryable: bool },
    #[error("{0}")]
    KeychainUnavailable(String),
    #[error("Unknown provider \u{201c}{0}\u{201d}.")]
    UnknownProvider(String),
    #[error(
        "Compilar can import Markdown (.md), plain text (.txt) and PDF (.pdf) files, not \u{201c}{0}\u{201d}."
    )]
    UnsupportedDocument(String),
    /// The hint says why, when there is more to say (a PDF of scanned pages has no text layer).
    #[error("The document has no text to import.{hint}")]
    DocumentEmpty { hint: &'static str },
    #[error("The document could not be read as text: {0}")]
    DocumentUndecodable(String),
    /// A PDF that unpacks past what one import may use (a decompression bomb, or a drawing rather than text).
    #[error(
        "This PDF {0}. Compilar refuses it to keep memory in bounds; import its text, or split it."
    )]
    DocumentExpandsTooFar(String),
    #[error("Stopped.")]
    Cancelled,
    #[error("No document with id {0} exists.")]
    DocumentNotFound(String),
    #[error("No knowledge passage with id {0} exists (its document may have been removed).")]
    PassageNotFound(String),
    #[error("No full profile with id {0} exists.")]
    ProfileNotFound(String),
    #[error("All five pillars of this full profile are completed.")]
    ProfileComplete,
    /// An export archive or folder that cannot be imported: malformed, truncated, wrong types, paths that
    /// escape it, records that break a rule. Nothing was written.
    #[error("This export cannot be imported: {0}. Nothing was changed.")]
    ArchiveInvalid(String),
    #[error("This export is too large to import: {0}. Nothing was changed.")]
    ArchiveTooLarge(String),
    #[error("This export was written by a newer release of Compilar (format version {0}); update Compilar to import it. Nothing was changed.")]
    ArchiveNewer(u32),
    #[error("{0} already exists; choose a new name or an empty folder for the export (a zip archive is replaced only when you confirm: --force).")]
    ExportTargetExists(String),
    /// A file Compilar was asked to write inside the data folder it manages (the database, its backups, logs).
    #[error("Compilar does not write {path}: it is inside its data folder {folder}, which holds your database and backups. Choose a place outside it.")]
    OutputInDataFolder { path: String, folder: String },
    /// A file Compilar was asked to write already exists, and replacing it was not confirmed.
    #[error("{0} already exists. Choose another name, or confirm replacing it (--force).")]
    OutputExists(String),
    /// The folder of a file Compilar was asked to write does not exist.
    #[error("The folder {0} does not exist. Create it, or choose another place.")]
    OutputFolderMissing(String),
    /// Recovery asked to replace a database that passes SQLite's check, without confirming it.
    #[error("The database {0} passes SQLite's check: there is nothing to recover. To replace it anyway, confirm it (--force); it is then kept as a backup that `restore --undo` brings back.")]
    DatabaseHealthy(String),
    /// Two assessments that cannot be compared: not completed, another pillar or mode, or the same one twice.
    #[error("{0}")]
    NotComparable(String),
    #[error("No goal with id {0} exists.")]
    GoalNotFound(String),
    /// A check-in or change to a goal already marked done or dropped.
    #[error("This goal is already {0}; reopen it to add check-ins or change it.")]
    GoalClosed(String),
    /// A backup that restore refuses before replacing anything: damaged, not Compilar's, or from a newer release.
    #[error("This backup cannot be restored: {0}. Your current data was not changed.")]
    BackupUnusable(String),
    #[error("There is no restore to undo.")]
    NothingToUndo,
    /// "Delete all my data" without the exact confirmation typed.
    #[error("Type {0} exactly to confirm; nothing was deleted.")]
    ConfirmationMismatch(String),
    /// Syncing needs a signed-in account.
    #[error("Sign in to your team's Compilar project first (Account).")]
    NotSignedIn,
    #[error("Sign-in failed: {0}.")]
    SignInFailed(String),
    /// The session ended (a refused refresh token, a revoked session): sign in again. Local work stays queued.
    #[error("Your sign-in has ended. Sign in again to keep syncing; nothing on this computer was lost and your changes wait to be sent.")]
    SessionExpired,
    /// The sync project cannot be reached or is overloaded; Compilar tries again later.
    #[error("{message}")]
    SyncUnreachable {
        message: String,
        retry_after_ms: Option<u64>,
    },
    /// The project answered, but not as a Compilar sync project does (no sync schema, a bad answer).
    #[error("The sync project refused the request: {0}.")]
    SyncRefused(String),
    #[error("This data folder syncs with {linked}. Sign in as that account, or use another data folder for another account.")]
    AccountMismatch { linked: String },
    #[error("This computer already has {assessments} assessments ({total} items in all). Signing in adds them to the account; confirm to go on.")]
    LocalDataNeedsConsent { assessments: u32, total: u64 },
    /// A team, round, member or invitation that does not exist for this account (or it is not in that team).
    #[error("{0}")]
    TeamNotFound(String),
    /// Something only a team's facilitators may do.
    #[error("Only a facilitator of this team can do that.")]
    NotFacilitator,
    /// Leaving or demoting the team's last facilitator.
    #[error("{0}")]
    LastFacilitator(String),
    /// A join code that is wrong, used up, expired or revoked (the server does not say which).
    #[error("That invitation code does not work: it may be mistyped, used up, expired or revoked. Ask the team's facilitator for a new one.")]
    InviteInvalid,
    /// Too many wrong join codes in a short time.
    #[error("Too many wrong invitation codes in the last few minutes. Wait ten minutes, then try again.")]
    TooManyTries,
    /// A team's limit reached (open invitations, open rounds).
    #[error("{0}")]
    TeamLimit(String),
    /// A round's team results are not shown (below the threshold, or held back), so there is nothing to
    /// write a team report on.
    #[error("There are no team results to write about yet: {0}.")]
    TeamResultsHidden(String),
}

/// The error as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
pub struct ErrorPayload {
    /// Stable machine code, e.g. `unknown_pillar` (one of [`ERROR_CODES`]).
    #[ts(type = "ErrorCode")]
    pub code: String,
    /// A sentence for a person.
    pub message: String,
    /// Whether the same action may succeed if tried again.
    pub retryable: bool,
    /// How long to wait before trying again, when the core knows (rate limit, open breaker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub retry_after_ms: Option<u64>,
    /// The AI provider the error is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub provider: Option<String>,
    /// The input a validation error is about (shown at that field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

impl Error {
    /// Stable machine code. Never change an existing code: the UI and tests match on it.
    pub fn code(&self) -> &'static str {
        match self {
            Error::UnknownPillar(_) => "unknown_pillar",
            Error::UnknownMode(_) => "unknown_mode",
            Error::PillarModeMismatch { .. } => "pillar_mode_mismatch",
            Error::UnknownQuestion(_) => "unknown_question",
            Error::QuestionNotInAssessment(_) => "question_not_in_assessment",
            Error::AssessmentNotFound(_) => "assessment_not_found",
            Error::AssessmentNotCompleted => "assessment_not_completed",
            Error::ReportNotFound => "report_not_found",
            Error::ConversationNotFound(_) => "conversation_not_found",
            Error::ConversationDeleted => "conversation_deleted",
            Error::NothingToRegenerate => "nothing_to_regenerate",
            Error::QuestionNotFound(_) => "question_not_found",
            Error::InvalidId(_) => "invalid_id",
            Error::ValueOutOfRange { .. } => "value_out_of_range",
            Error::AssessmentCompleted => "assessment_completed",
            Error::AssessmentDeleted => "assessment_deleted",
            Error::NotDeleted => "not_deleted",
            Error::NoAnswers => "no_answers",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::InvalidArgument(_) => "invalid_argument",
            Error::EmptyInput(_) => "empty_input",
            Error::OutOfRange(_) => "out_of_range",
            Error::InvalidJobId { .. } => "invalid_job_id",
            Error::AlreadyRunning(_) => "already_running",
            Error::UnknownForce(_) => "unknown_force",
            Error::UnknownCategory { .. } => "unknown_category",
            Error::InvalidSettings { .. } => "invalid_settings",
            Error::InvalidApiKey(_) => "invalid_api_key",
            Error::EmbeddingsUnsupported(_) => "embeddings_unsupported",
            Error::UnknownEmbeddingModel(_) => "unknown_embedding_model",
            Error::EmbeddingModelUnavailable(_) => "embedding_model_unavailable",
            Error::SearchModelChanged => "search_model_changed",
            Error::DocumentUnreadable { .. } => "document_unreadable",
            Error::FrameworkInvalid(_) => "framework_invalid",
            Error::DatabaseBusy => "database_busy",
            Error::Database(_) => "database_error",
            Error::DiskFull { .. } => "disk_full",
            Error::FolderNotWritable { .. } => "data_folder_not_writable",
            Error::DatabaseDamaged { .. } => "database_damaged",
            Error::NoUsableBackup { .. } => "no_usable_backup",
            Error::Migration(_) => "migration_failed",
            Error::Io(_) => "io_error",
            Error::Internal(_) => "internal",
            Error::Llm { error, .. } => error.kind.code(),
            Error::CircuitOpen { .. } => "circuit_open",
            Error::RateLimited { .. } => "rate_limited",
            Error::NoProvider => "no_provider",
            Error::AllProvidersFailed { .. } => "all_providers_failed",
            Error::KeychainUnavailable(_) => "keychain_unavailable",
            Error::UnknownProvider(_) => "unknown_provider",
            Error::UnsupportedDocument(_) => "unsupported_document",
            Error::DocumentEmpty { .. } => "document_empty",
            Error::DocumentUndecodable(_) => "document_undecodable",
            Error::DocumentExpandsTooFar(_) => "document_expands_too_far",
            Error::Cancelled => "cancelled",
            Error::DocumentNotFound(_) => "document_not_found",
            Error::PassageNotFound(_) => "passage_not_found",
            Error::PathNotChosen => "path_not_chosen",
            Error::ProfileNotFound(_) => "profile_not_found",
            Error::ProfileComplete => "profile_complete",
            Error::ArchiveInvalid(_) => "archive_invalid",
            Error::ArchiveTooLarge(_) => "archive_too_large",
            Error::ArchiveNewer(_) => "archive_newer_version",
            Error::ExportTargetExists(_) => "export_target_exists",
            Error::OutputInDataFolder { .. } => "output_in_data_folder",
            Error::OutputExists(_) => "output_exists",
            Error::OutputFolderMissing(_) => "output_folder_missing",
            Error::DatabaseHealthy(_) => "database_healthy",
            Error::NotComparable(_) => "not_comparable",
            Error::GoalNotFound(_) => "goal_not_found",
            Error::GoalClosed(_) => "goal_closed",
            Error::BackupUnusable(_) => "backup_unusable",
            Error::NothingToUndo => "nothing_to_undo",
            Error::ConfirmationMismatch(_) => "confirmation_mismatch",
            Error::NotSignedIn => "not_signed_in",
            Error::SignInFailed(_) => "sign_in_failed",
            Error::SessionExpired => "session_expired",
            Error::SyncUnreachable { .. } => "sync_unreachable",
            Error::SyncRefused(_) => "sync_refused",
            Error::AccountMismatch { .. } => "account_mismatch",
            Error::LocalDataNeedsConsent { .. } => "local_data_needs_consent",
            Error::TeamNotFound(_) => "team_not_found",
            Error::NotFacilitator => "not_facilitator",
            Error::LastFacilitator(_) => "last_facilitator",
            Error::InviteInvalid => "invite_invalid",
            Error::TooManyTries => "too_many_tries",
            Error::TeamLimit(_) => "team_limit",
            Error::TeamResultsHidden(_) => "team_results_hidden",
        }
    }

    /// Whether trying the same action again may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            Error::DatabaseBusy
            | Error::Io(_)
            | Error::SearchModelChanged
            | Error::DiskFull { .. } => true,
            Error::Llm { error, .. } => error.kind.retryable(),
            Error::CircuitOpen { retry_after_ms, .. } => retry_after_ms.is_some(),
            Error::RateLimited { .. } => true,
            Error::SyncUnreachable { .. } => true,
            Error::TooManyTries => true,
            Error::AllProvidersFailed { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// Whether the caller can fix it by asking differently: bad input, an unknown id, the wrong stage. Shells
    /// use it to tell their caller (the command-line tool exits with 2 for these, 1 for other failures).
    pub fn is_caller_error(&self) -> bool {
        matches!(
            self,
            Error::UnknownPillar(_)
                | Error::UnknownMode(_)
                | Error::PillarModeMismatch { .. }
                | Error::UnknownQuestion(_)
                | Error::QuestionNotInAssessment(_)
                | Error::AssessmentNotFound(_)
                | Error::AssessmentNotCompleted
                | Error::ReportNotFound
                | Error::ConversationNotFound(_)
                | Error::ConversationDeleted
                | Error::NothingToRegenerate
                | Error::QuestionNotFound(_)
                | Error::InvalidId(_)
                | Error::ValueOutOfRange { .. }
                | Error::AssessmentCompleted
                | Error::AssessmentDeleted
                | Error::NotDeleted
                | Error::NoAnswers
                | Error::PayloadTooLarge { .. }
                | Error::InvalidArgument(_)
                | Error::EmptyInput(_)
                | Error::OutOfRange(_)
                | Error::InvalidJobId { .. }
                | Error::AlreadyRunning(_)
                | Error::UnknownForce(_)
                | Error::UnknownCategory { .. }
                | Error::InvalidSettings { .. }
                | Error::InvalidApiKey(_)
                | Error::EmbeddingsUnsupported(_)
                | Error::UnknownEmbeddingModel(_)
                | Error::EmbeddingModelUnavailable(_)
                | Error::DocumentUnreadable { .. }
                | Error::UnknownProvider(_)
                | Error::UnsupportedDocument(_)
                | Error::DocumentEmpty { .. }
                | Error::DocumentUndecodable(_)
                | Error::DocumentExpandsTooFar(_)
                | Error::DocumentNotFound(_)
                | Error::PassageNotFound(_)
                | Error::PathNotChosen
                | Error::ProfileNotFound(_)
                | Error::ProfileComplete
                | Error::ArchiveInvalid(_)
                | Error::ArchiveTooLarge(_)
                | Error::ArchiveNewer(_)
                | Error::ExportTargetExists(_)
                | Error::OutputInDataFolder { .. }
                | Error::OutputExists(_)
                | Error::OutputFolderMissing(_)
                | Error::DatabaseHealthy(_)
                | Error::NotComparable(_)
                | Error::GoalNotFound(_)
                | Error::GoalClosed(_)
                | Error::BackupUnusable(_)
                | Error::NothingToUndo
                | Error::ConfirmationMismatch(_)
                | Error::NotSignedIn
                | Error::SignInFailed(_)
                | Error::AccountMismatch { .. }
                | Error::LocalDataNeedsConsent { .. }
                | Error::TeamNotFound(_)
                | Error::NotFacilitator
                | Error::LastFacilitator(_)
                | Error::InviteInvalid
                | Error::TooManyTries
                | Error::TeamLimit(_)
                | Error::TeamResultsHidden(_)
        )
    }

    /// The UI form of the error. Internal details stay in the logs.
    pub fn payload(&self) -> ErrorPayload {
        ErrorPayload {
            code: self.code().to_owned(),
            message: self.to_string(),
            retryable: self.retryable(),
            retry_after_ms: self.retry_after_ms(),
            provider: match self {
                Error::Llm { provider, .. } => Some(provider.clone()),
                Error::InvalidSettings { settings_of, .. } => settings_of.clone(),
                _ => None,
            },
            field: match self {
                Error::InvalidSettings { field, .. } => field.clone(),
                _ => None,
            },
        }
    }

    /// Settings refused for `field` (of provider `of`, when they are a provider's).
    pub fn invalid_setting(of: Option<&str>, invalid: crate::llm::settings::Invalid) -> Error {
        Error::InvalidSettings {
            message: invalid.message,
            field: Some(invalid.field.to_owned()),
            settings_of: of.map(str::to_owned),
        }
    }

    /// How long to wait before trying again, when known.
    pub fn retry_after_ms(&self) -> Option<u64> {
        match self {
            Error::CircuitOpen { retry_after_ms, .. } => *retry_after_ms,
            Error::RateLimited { retry_after_ms, .. } => Some(*retry_after_ms),
            Error::SyncUnreachable { retry_after_ms, .. } => *retry_after_ms,
            Error::TooManyTries => Some(600_000),
            Error::Llm { error, .. } => error
                .retry_after
                .map(|d| d.as_millis().min(u128::from(u64::MAX)) as u64),
            _ => None,
        }
    }

    /// A provider's embeddings that cannot be used (wrong count, wrong size, NaN): the provider's fault.
    pub(crate) fn bad_vectors(model_id: &str, detail: impl std::fmt::Display) -> Error {
        let provider = model_id.split_once(':').map_or(model_id, |(p, _)| p);
        Error::Llm {
            provider: provider.to_owned(),
            error: crate::llm::LlmError::new(
                crate::llm::LlmErrorKind::Malformed,
                format!("The embeddings from {model_id} cannot be used: {detail}."),
            ),
        }
    }
}

/// Every error code the core can return (its own and the provider kinds of [`crate::llm::LlmErrorKind`]).
/// The UI's `ErrorCode` type is generated from this list; a test checks it against the variants and
/// docs/errors.md.
pub const ERROR_CODES: &[&str] = &[
    "unknown_pillar",
    "unknown_mode",
    "pillar_mode_mismatch",
    "unknown_question",
    "question_not_in_assessment",
    "assessment_not_found",
    "assessment_not_completed",
    "report_not_found",
    "profile_not_found",
    "profile_complete",
    "archive_invalid",
    "archive_too_large",
    "archive_newer_version",
    "export_target_exists",
    "output_in_data_folder",
    "output_exists",
    "output_folder_missing",
    "database_healthy",
    "not_comparable",
    "goal_not_found",
    "goal_closed",
    "backup_unusable",
    "nothing_to_undo",
    "confirmation_mismatch",
    "conversation_not_found",
    "conversation_deleted",
    "nothing_to_regenerate",
    "question_not_found",
    "invalid_id",
    "value_out_of_range",
    "assessment_completed",
    "assessment_deleted",
    "not_deleted",
    "no_answers",
    "payload_too_large",
    "invalid_argument",
    "empty_input",
    "out_of_range",
    "invalid_job_id",
    "already_running",
    "unknown_force",
    "unknown_category",
    "invalid_settings",
    "invalid_api_key",
    "embeddings_unsupported",
    "unknown_embedding_model",
    "embedding_model_unavailable",
    "search_model_changed",
    "document_unreadable",
    "framework_invalid",
    "database_busy",
    "database_error",
    "disk_full",
    "data_folder_not_writable",
    "database_damaged",
    "no_usable_backup",
    "migration_failed",
    "io_error",
    "internal",
    "circuit_open",
    "rate_limited",
    "no_provider",
    "all_providers_failed",
    "keychain_unavailable",
    "unknown_provider",
    "unsupported_document",
    "document_empty",
    "document_undecodable",
    "document_expands_too_far",
    "cancelled",
    "document_not_found",
    "passage_not_found",
    "path_not_chosen",
    "provider_rate_limited",
    "provider_auth",
    "context_too_long",
    "model_not_found",
    "provider_timeout",
    "provider_server_error",
    "provider_unreachable",
    "provider_malformed_response",
    "provider_bad_request",
    "provider_unsupported",
    "provider_not_configured",
    "not_signed_in",
    "sign_in_failed",
    "session_expired",
    "sync_unreachable",
    "sync_refused",
    "account_mismatch",
    "local_data_needs_consent",
    "team_not_found",
    "not_facilitator",
    "last_facilitator",
    "invite_invalid",
    "too_many_tries",
    "team_limit",
    "team_results_hidden",
];

/// The TypeScript union of every error code.
pub fn error_code_ts() -> String {
    let mut s = String::from("type ErrorCode =");
    for c in ERROR_CODES {
        s.push_str("\n  | \"");
        s.push_str(c);
        s.push('"');
    }
    s.push(';');
    s
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => Error::DatabaseBusy,
            _ => Error::Database(e),
        }
    }
}

impl Error {
    /// The storage failure this is, said with the place it happened: a full disk, a folder that cannot be
    /// written, a damaged database. Other errors come back unchanged.
    pub fn at_storage(self, data_dir: &std::path::Path, database: &std::path::Path) -> Error {
        use rusqlite::ffi::ErrorCode;
        let folder = || data_dir.display().to_string();
        match self {
            Error::Database(e) => match e.sqlite_error_code() {
                Some(ErrorCode::DiskFull) => Error::DiskFull { folder: folder() },
                Some(ErrorCode::ReadOnly)
                | Some(ErrorCode::CannotOpen)
                | Some(ErrorCode::PermissionDenied) => Error::FolderNotWritable {
                    folder: folder(),
                    detail: "the database cannot be opened for writing".into(),
                },
                Some(ErrorCode::DatabaseCorrupt) => Error::DatabaseDamaged {
                    file: database.display().to_string(),
                    detail: "SQLite found damaged pages in it".into(),
                },
                Some(ErrorCode::NotADatabase) => Error::DatabaseDamaged {
                    file: database.display().to_string(),
                    detail: "it is not an SQLite database, or its header is destroyed".into(),
                },
                _ => Error::Database(e),
            },
            Error::Io(e) => match e.kind() {
                std::io::ErrorKind::StorageFull => Error::DiskFull { folder: folder() },
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                    Error::FolderNotWritable {
                        folder: folder(),
                        detail: e.to_string(),
                    }
                }
                _ => Error::Io(e),
            },
            Error::Migration(m) if m.contains("not a database") || m.contains("malformed") => {
                Error::DatabaseDamaged {
                    file: database.display().to_string(),
                    detail: m,
                }
            }
            other => other,
        }
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Internal(format!("background task failed: {e}"))
    }
}

impl From<Error> for ErrorPayload {
    fn from(e: Error) -> Self {
        e.payload()
    }
}

impl Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.payload().serialize(s)
    }
}

#[cfg(test)]
mod tests;
