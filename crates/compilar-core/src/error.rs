//! The one error type of the core.
//!
//! Every failure a user can meet has a stable machine `code`, a human `message` and a `retryable` flag.
//! It serialises to the UI as `{code, message, retryable}` ([`ErrorPayload`]); errors whose detail is
//! internal (database, I/O) get a generic message so nothing private leaks to the UI.

use serde::Serialize;
use ts_rs::TS;

/// Result alias used across the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Declares the error type once: each variant with its message (`#[error]`), its stable code, whose it is to
/// fix (`caller`: asked differently it works, exit 2 on the command line; `system`: everything else), and the
/// two columns of docs/errors.md (when it happens; whether trying again helps). The enum, [`Error::code`],
/// [`Error::is_caller_error`], [`error_codes`] and docs/errors.md all come from this one list.
macro_rules! declare_errors {
    (
        $(
            $(#[$meta:meta])*
            $variant:ident
            $( ( $( $(#[$tmeta:meta])* $tty:ty ),* $(,)? ) )?
            $( { $( $(#[$fmeta:meta])* $field:ident : $fty:ty ),* $(,)? } )?
            => $code:literal, $whose:ident, $when:literal, $retry:literal;
        )*
    ) => {
        /// Every error the core can return (each declared once, with its code, in `declare_errors!`).
        #[derive(Debug, thiserror::Error)]
        pub enum Error {
            $(
                $(#[$meta])*
                $variant
                $( ( $( $(#[$tmeta])* $tty ),* ) )?
                $( { $( $(#[$fmeta])* $field : $fty ),* } )?,
            )*
        }

        impl Error {
            /// This variant's declaration: its code (empty for [`Error::Llm`], whose code is its kind's) and
            /// whether it is the caller's to fix.
            fn declared(&self) -> (&'static str, bool) {
                match self {
                    $( Error::$variant { .. } => ($code, declare_errors!(@caller $whose)), )*
                }
            }
        }

        /// Every declared code with whether it is the caller's to fix and its two documentation columns, in
        /// declaration order (the provider kinds' codes are [`crate::llm::LlmErrorKind::ALL`]'s).
        pub const DECLARED: &[Declared] = &[
            $( Declared { code: $code, caller: declare_errors!(@caller $whose), when: $when, retry: $retry }, )*
        ];
    };
    (@caller caller) => { true };
    (@caller system) => { false };
}

/// One declared error code, as docs/errors.md lists it.
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    pub code: &'static str,
    /// The caller can fix it by asking differently (the command line exits with 2).
    pub caller: bool,
    /// When it happens.
    pub when: &'static str,
    /// Whether trying again helps.
    pub retry: &'static str,
}

// Every error the core can return: each variant with its stable code, whether it is the caller's to fix,
// and what docs/errors.md says of it (when it happens, whether trying again helps).
declare_errors! {
    #[error("Unknown pillar \u{201c}{0}\u{201d}. Choose one of the ten PILAR pillars.")]
    UnknownPillar(String)
        => "unknown_pillar", caller, "a pillar id that is not one of the ten", "no";
    #[error("Unknown mode \u{201c}{0}\u{201d}. The modes are \u{201c}egalitarian\u{201d} and \u{201c}hierarchical\u{201d}.")]
    UnknownMode(String)
        => "unknown_mode", caller, "a mode other than `egalitarian` / `hierarchical`", "no";
    #[error("The pillar {pillar} belongs to the {pillar_mode} mode, not to the {mode} mode.")]
    PillarModeMismatch {
        pillar: String,
        pillar_mode: String,
        mode: String,
    }
        => "pillar_mode_mismatch", caller, "the pillar belongs to the other mode", "no";
    #[error("Unknown question \u{201c}{0}\u{201d}.")]
    UnknownQuestion(String)
        => "unknown_question", caller, "a question id not in the bank", "no";
    #[error("The question \u{201c}{0}\u{201d} is not part of this assessment.")]
    QuestionNotInAssessment(String)
        => "question_not_in_assessment", caller, "a bank question that this assessment did not serve", "no";
    #[error("Complete the assessment first: this needs its results.")]
    AssessmentNotCompleted
        => "assessment_not_completed", caller, "a coaching report, a goal or a result report asked for an assessment still in the quiz", "no";
    #[error("This assessment has no coaching report yet.")]
    ReportNotFound
        => "report_not_found", caller, "exporting the coaching report of an assessment that has none yet", "no";
    #[error("No conversation with id {0} exists.")]
    ConversationNotFound(String)
        => "conversation_not_found", caller, "no conversation with that id (for this profile)", "no";
    #[error("This conversation has been deleted. Restore it to continue it.")]
    ConversationDeleted
        => "conversation_deleted", caller, "writing to a conversation that is in the bin", "no";
    #[error("There is no question in this conversation to answer again.")]
    NothingToRegenerate
        => "nothing_to_regenerate", caller, "regenerating in a conversation with no question yet", "no";
    #[error("No fresh question with id {0} exists.")]
    QuestionNotFound(String)
        => "question_not_found", caller, "removing a fresh question that does not exist (or was removed)", "no";
    #[error("No assessment with id {0} exists.")]
    AssessmentNotFound(String)
        => "assessment_not_found", caller, "no assessment with that id (for this profile)", "no";
    #[error("\u{201c}{0}\u{201d} is not a valid id.")]
    InvalidId(String)
        => "invalid_id", caller, "an id that is not a UUID", "no";
    #[error("The answer {value} is off the scale: answers go from {min} to {max}.")]
    ValueOutOfRange { value: i64, min: i64, max: i64 }
        => "value_out_of_range", caller, "an answer off the 1–5 scale", "no";
    #[error("This assessment is already completed; its answers can no longer change.")]
    AssessmentCompleted
        => "assessment_completed", caller, "answering or completing a completed assessment", "no";
    #[error("This assessment has been deleted. Restore it to work on it again.")]
    AssessmentDeleted
        => "assessment_deleted", caller, "working on an assessment in the bin", "no";
    #[error("This assessment is not deleted, so there is nothing to restore.")]
    NotDeleted
        => "not_deleted", caller, "restoring an assessment that is not deleted", "no";
    #[error("Answer at least one question before completing the assessment.")]
    NoAnswers
        => "no_answers", caller, "completing with no answer given", "no";
    #[error("The {what} is too large: at most {max} {unit}.")]
    PayloadTooLarge {
        what: &'static str,
        max: usize,
        unit: &'static str,
    }
        => "payload_too_large", caller, "an input over its limit (ids, queries, prompts, files)", "no";
    /// A shell could not read the arguments it was given (wrong JSON shape, missing field).
    #[error("{0}")]
    InvalidArgument(String)
        => "invalid_argument", caller, "a shell could not read its arguments (wrong JSON shape)", "no";
    /// Something that must not be empty was (a prompt, a search query, an API key).
    #[error("{0}")]
    EmptyInput(String)
        => "empty_input", caller, "an empty prompt, search query or API key", "no";
    /// A number outside the range it may take (page size, result count, similarity threshold).
    #[error("{0}")]
    OutOfRange(String)
        => "out_of_range", caller, "a number outside its range (page size, result count, similarity, providers to skip)", "no";
    /// A caller-chosen job id (stream, import) that is empty or too long.
    #[error("The {what} id must be 1 to 64 characters.")]
    InvalidJobId { what: &'static str }
        => "invalid_job_id", caller, "a stream or import id that is empty or over 64 characters", "no";
    /// A job with this id (or the one job of its kind) is already running.
    #[error("{0}")]
    AlreadyRunning(String)
        => "already_running", caller, "a stream or import with that id, or a model switch, is already running", "no";
    #[error("Unknown force \u{201c}{0}\u{201d}.")]
    UnknownForce(String)
        => "unknown_force", caller, "a force id that is not one of the twenty", "no";
    #[error("Unknown category \u{201c}{given}\u{201d}. The categories are {known}.")]
    UnknownCategory { given: String, known: String }
        => "unknown_category", caller, "a knowledge category that does not exist", "no";
    /// Provider or AI settings that fail validation.
    #[error("{message}")]
    InvalidSettings {
        message: String,
        /// The setting the message is about (`base_url`, `timeouts.connect_secs`, `rate_limit.max_actions`…),
        /// so the UI can show it at the field.
        field: Option<String>,
        /// The provider whose settings they are.
        settings_of: Option<String>,
    }
        => "invalid_settings", caller, "provider or AI settings that fail validation", "no";
    /// An API key that cannot be stored (whitespace or control characters inside).
    #[error("{0}")]
    InvalidApiKey(String)
        => "invalid_api_key", caller, "an API key with spaces or control characters", "no";
    #[error("{0} does not offer embeddings.")]
    EmbeddingsUnsupported(String)
        => "embeddings_unsupported", caller, "a provider without embeddings (Anthropic) asked for them", "no";
    #[error("Unknown embedding model \u{201c}{0}\u{201d}.")]
    UnknownEmbeddingModel(String)
        => "unknown_embedding_model", caller, "an embedding model id that is not offered", "no";
    /// The model exists but cannot embed now (its provider is off or has no key); the message says why.
    #[error("{0}")]
    EmbeddingModelUnavailable(String)
        => "embedding_model_unavailable", caller, "the model's provider is off or has no key", "no";
    /// The active search model changed while an import was embedding with the old one.
    #[error("The search model changed during the import; import the file again.")]
    SearchModelChanged
        => "search_model_changed", system, "the search model changed while an import was embedding", "yes";
    /// The window asked to import a file the user did not choose in the file picker or drop on it.
    #[error("Compilar imports only files you choose in the file picker or drop on the window.")]
    PathNotChosen
        => "path_not_chosen", caller, "the window asked to import a file the user did not pick in the file picker or drop on it", "no";
    /// A file the user chose could not be read (missing, a folder, no permission).
    #[error("The file could not be read: {reason}")]
    DocumentUnreadable { reason: String }
        => "document_unreadable", caller, "the chosen file is missing, a folder, or not readable", "no";
    #[error("The PILAR data shipped with the app is invalid: {0}")]
    FrameworkInvalid(String)
        => "framework_invalid", system, "the shipped PILAR data failed validation (a build problem)", "no";
    #[error("The database is busy; please try again.")]
    DatabaseBusy
        => "database_busy", system, "another writer held the database past the 5 s busy timeout", "yes";
    #[error("The local database could not complete the operation.")]
    Database(#[source] rusqlite::Error)
        => "database_error", system, "SQLite failed (details in the log)", "no";
    /// No space left where the data lives. Retryable once space is freed; nothing saved before is lost.
    #[error("The disk is full: Compilar could not save to {folder}. Free some space and try again; nothing saved before was lost.")]
    DiskFull { folder: String }
        => "disk_full", system, "no space left where the data lives (the folder is named); also when a virtual table (the search index) reports it as a plain error — a 64 KB probe beside the database tells", "yes, once space is freed";
    /// The data folder (or the database in it) cannot be written: permissions, a read-only disk.
    #[error("Compilar cannot write to its data folder {folder} ({detail}). Make the folder writable, or start Compilar with another one (--data-dir or COMPILAR_DATA_DIR).")]
    FolderNotWritable { folder: String, detail: String }
        => "data_folder_not_writable", system, "the data folder or database cannot be written: permissions, a read-only disk (the folder is named)", "no";
    /// Recovery was asked to restore a backup and none passes SQLite's check.
    #[error("No usable backup in {folder} ({found} found, none passes SQLite's check). Set the damaged database aside and start fresh instead.")]
    NoUsableBackup { folder: String, found: usize }
        => "no_usable_backup", system, "recovery was asked to restore a backup and none passes SQLite's check", "no";
    /// The database file is not a database, or its pages are damaged. The recovery keeps the file.
    #[error("The database {file} is damaged ({detail}). Restore the latest automatic backup, or set the damaged file aside and start with an empty database; the damaged file is kept either way.")]
    DatabaseDamaged { file: String, detail: String }
        => "database_damaged", system, "the database is not an SQLite file or its pages are damaged (the file is named; the window offers recovery, the CLI `recover`); any command that meets damage says so — an error SQLite does not name (sqlite-vec's) is checked with SQLite's quick check — and `doctor` says \"damaged\" and exits 1", "no";
    #[error("A migration of the local database failed: {0}")]
    Migration(String)
        => "migration_failed", system, "a migration failed, a checksum differs, or a newer release wrote the database", "no";
    #[error("The data folder could not be used: {0}")]
    Io(#[from] std::io::Error)
        => "io_error", system, "the data folder could not be used", "yes";
    #[error("Something went wrong inside Compilar.")]
    Internal(String)
        => "internal", system, "a bug (details in the log)", "no";
    #[error("{provider}: {}", .error.message)]
    Llm {
        provider: String,
        error: crate::llm::LlmError,
    }
        => "", system, "", "";
    #[error("{message}")]
    CircuitOpen {
        message: String,
        retry_after_ms: Option<u64>,
    }
        => "circuit_open", system, "the provider's breaker is open", "when it will half-open";
    #[error("You have used all {max} AI actions allowed per {window}. Try again in {wait}.")]
    RateLimited {
        max: u32,
        window: String,
        wait: String,
        retry_after_ms: u64,
    }
        => "rate_limited", system, "the AI-action limit is used up", "yes";
    #[error("No AI provider is set up. Add an API key for Anthropic or OpenAI in Settings, or turn on a local model (for example Ollama). Everything else in Compilar works without one.")]
    NoProvider
        => "no_provider", system, "no AI provider is set up", "no";
    #[error("No provider could answer. {summary}")]
    AllProvidersFailed { summary: String, retryable: bool }
        => "all_providers_failed", system, "every provider in the chain failed", "if any failure was";
    #[error("{0}")]
    KeychainUnavailable(String)
        => "keychain_unavailable", system, "the OS keychain cannot be reached", "no";
    #[error("Unknown provider \u{201c}{0}\u{201d}.")]
    UnknownProvider(String)
        => "unknown_provider", caller, "a provider id that does not exist", "no";
    #[error(
        "Compilar can import Markdown (.md), plain text (.txt) and PDF (.pdf) files, not \u{201c}{0}\u{201d}."
    )]
    UnsupportedDocument(String)
        => "unsupported_document", caller, "a file type other than Markdown, text or PDF", "no";
    /// The hint says why, when there is more to say (a PDF of scanned pages has no text layer).
    #[error("The document has no text to import.{hint}")]
    DocumentEmpty { hint: &'static str }
        => "document_empty", caller, "a document with no text (a scanned PDF without a text layer)", "no";
    #[error("The document could not be read as text: {0}")]
    DocumentUndecodable(String)
        => "document_undecodable", caller, "binary, non-UTF-8, damaged or password-protected content", "no";
    /// A PDF that unpacks past what one import may use (a decompression bomb, or a drawing rather than text).
    #[error(
        "This PDF {0}. Compilar refuses it to keep memory in bounds; import its text, or split it."
    )]
    DocumentExpandsTooFar(String)
        => "document_expands_too_far", caller, "a PDF that unpacks past the limits (a stream over 32 MB, only pages over 3 MB or all pages together over 128 MB of drawing instructions, more than 5,000 pages, forms drawing themselves or nested over 12 deep, more than 20 MB of text)", "no";
    #[error("Stopped.")]
    Cancelled
        => "cancelled", system, "the user stopped the work", "no";
    #[error("No document with id {0} exists.")]
    DocumentNotFound(String)
        => "document_not_found", caller, "no document with that id", "no";
    #[error("No knowledge passage with id {0} exists (its document may have been removed).")]
    PassageNotFound(String)
        => "passage_not_found", caller, "no knowledge passage with that id (its document was removed)", "no";
    #[error("No full profile with id {0} exists.")]
    ProfileNotFound(String)
        => "profile_not_found", caller, "no full profile with that id (for this profile)", "no";
    #[error("All five pillars of this full profile are completed.")]
    ProfileComplete
        => "profile_complete", caller, "asking for the next pillar of a full profile whose five pillars are completed", "no";
    /// An export archive or folder that cannot be imported: malformed, truncated, wrong types, paths that
    /// escape it, records that break a rule. Nothing was written.
    #[error("This export cannot be imported: {0}. Nothing was changed.")]
    ArchiveInvalid(String)
        => "archive_invalid", caller, "importing an export that is malformed, truncated, of the wrong types, with paths that escape it or records that break a rule (nothing is written)", "no";
    #[error("This export is too large to import: {0}. Nothing was changed.")]
    ArchiveTooLarge(String)
        => "archive_too_large", caller, "an export over the import limits (1 GB archive, 512 MB per entry, 100,000 entries, 200,000 records per table)", "no";
    #[error("This export was written by a newer release of Compilar (format version {0}); update Compilar to import it. Nothing was changed.")]
    ArchiveNewer(u32)
        => "archive_newer_version", caller, "importing an export whose format version is newer than this release's", "no";
    #[error("{0} already exists; choose a new name or an empty folder for the export (a zip archive is replaced only when you confirm: --force).")]
    ExportTargetExists(String)
        => "export_target_exists", caller, "exporting to a zip archive that exists (without `--force`) or a folder that is not empty", "no";
    /// A file Compilar was asked to write inside the data folder it manages (the database, its backups, logs).
    #[error("Compilar does not write {path}: it is inside its data folder {folder}, which holds your database and backups. Choose a place outside it.")]
    OutputInDataFolder { path: String, folder: String }
        => "output_in_data_folder", caller, "writing a report, export, backup, saved conversation or team file inside the data folder (the database, its `-wal`/`-shm`, the backups, the logs); nothing is written", "no";
    /// A file Compilar was asked to write already exists, and replacing it was not confirmed.
    #[error("{0} already exists. Choose another name, or confirm replacing it (--force).")]
    OutputExists(String)
        => "output_exists", caller, "writing over an existing file without confirming it (`--force` on the command line; the save dialog asks in the window)", "no";
    /// The folder of a file Compilar was asked to write does not exist.
    #[error("The folder {0} does not exist. Create it, or choose another place.")]
    OutputFolderMissing(String)
        => "output_folder_missing", caller, "writing a file into a folder that does not exist (the message names it)", "no";
    /// Recovery asked to replace a database that passes SQLite's check, without confirming it.
    #[error("The database {0} passes SQLite's check: there is nothing to recover. To replace it anyway, confirm it (--force); it is then kept as a backup that `restore --undo` brings back.")]
    DatabaseHealthy(String)
        => "database_healthy", caller, "`recover --start-fresh` or `recover --restore-backup` on a database that passes SQLite's check, without `--force` (with it, the database is kept as a backup that `restore --undo` brings back)", "no";
    /// Two assessments that cannot be compared: not completed, another pillar or mode, or the same one twice.
    #[error("{0}")]
    NotComparable(String)
        => "not_comparable", caller, "comparing assessments that are not both completed, of one pillar and mode, and different", "no";
    #[error("No goal with id {0} exists.")]
    GoalNotFound(String)
        => "goal_not_found", caller, "no development goal with that id (for this profile)", "no";
    /// A check-in or change to a goal already marked done or dropped.
    #[error("This goal is already {0}; reopen it to add check-ins or change it.")]
    GoalClosed(String)
        => "goal_closed", caller, "a check-in or change to a goal already done or dropped", "no";
    /// A backup that restore refuses before replacing anything: damaged, not Compilar's, or from a newer release.
    #[error("This backup cannot be restored: {0}. Your current data was not changed.")]
    BackupUnusable(String)
        => "backup_unusable", caller, "restoring a backup that is damaged, not a Compilar database, or written by a newer release (nothing is replaced)", "no";
    #[error("There is no restore to undo.")]
    NothingToUndo
        => "nothing_to_undo", caller, "undoing a restore when the database set aside by one is gone", "no";
    /// "Delete all my data" without the exact confirmation typed.
    #[error("Type {0} exactly to confirm; nothing was deleted.")]
    ConfirmationMismatch(String)
        => "confirmation_mismatch", caller, "\"delete all my data\" without the confirmation typed exactly", "no";
    /// Syncing needs a signed-in account.
    #[error("Sign in to your team's Compilar project first (Account).")]
    NotSignedIn
        => "not_signed_in", caller, "syncing (or checking the token) with no account signed in here", "no";
    #[error("Sign-in failed: {0}.")]
    SignInFailed(String)
        => "sign_in_failed", caller, "the project refused the email and password (its reason is in the message)", "no";
    /// The session ended (a refused refresh token, a revoked session): sign in again. Local work stays queued.
    #[error("Your sign-in has ended. Sign in again to keep syncing; nothing on this computer was lost and your changes wait to be sent.")]
    SessionExpired
        => "session_expired", system, "the sign-in ended (a refused refresh token, a revoked session): sign in again; queued changes stay", "no";
    /// The sync project cannot be reached or is overloaded; Compilar tries again later.
    #[error("{message}")]
    SyncUnreachable {
        message: String,
        retry_after_ms: Option<u64>,
    }
        => "sync_unreachable", system, "the sync project cannot be reached, answers 5xx or 429, or its breaker is open", "yes (`retry_after_ms` when known)";
    /// The project answered, but not as a Compilar sync project does (no sync schema, a bad answer).
    #[error("The sync project refused the request: {0}.")]
    SyncRefused(String)
        => "sync_refused", system, "the project answered but not as a Compilar sync project does (no sync schema, an answer too large)", "no";
    #[error("This data folder syncs with {linked}. Sign in as that account, or use another data folder for another account.")]
    AccountMismatch { linked: String }
        => "account_mismatch", caller, "signing in as another account in a data folder already linked to one", "no";
    #[error("This computer already has {assessments} assessments ({total} items in all). Signing in adds them to the account; confirm to go on.")]
    LocalDataNeedsConsent { assessments: u32, total: u64 }
        => "local_data_needs_consent", caller, "signing in the first time with data on this computer, without `adopt_local` (say yes first)", "no";
    /// A team, round, member or invitation that does not exist for this account (or it is not in that team).
    #[error("{0}")]
    TeamNotFound(String)
        => "team_not_found", caller, "a team, round, member or invitation that is not there for this account (or it is not in that team)", "no";
    /// Something only a team's facilitators may do.
    #[error("Only a facilitator of this team can do that.")]
    NotFacilitator
        => "not_facilitator", caller, "something only a team's facilitators may do (start a round, invite, remove, change roles)", "no";
    /// Leaving or demoting the team's last facilitator.
    #[error("{0}")]
    LastFacilitator(String)
        => "last_facilitator", caller, "leaving or demoting a team's last facilitator", "no";
    /// A join code that is wrong, used up, expired or revoked (the server does not say which).
    #[error("That invitation code does not work: it may be mistyped, used up, expired or revoked. Ask the team's facilitator for a new one.")]
    InviteInvalid
        => "invite_invalid", caller, "a join code that is wrong, used up, expired or revoked (the server does not say which)", "no";
    /// Too many wrong join codes in a short time.
    #[error("Too many wrong invitation codes in the last few minutes. Wait ten minutes, then try again.")]
    TooManyTries
        => "too_many_tries", caller, "ten wrong join codes in ten minutes; wait, then try again", "yes, after 10 min";
    /// A team's limit reached (open invitations, open rounds).
    #[error("{0}")]
    TeamLimit(String)
        => "team_limit", caller, "a team's limit reached (50 open invitations, 20 open rounds)", "no";
    /// A round's team results are not shown (below the threshold, or held back), so there is nothing to
    /// write a team report on.
    #[error("There are no team results to write about yet: {0}.")]
    TeamResultsHidden(String)
        => "team_results_hidden", caller, "a team coaching report asked for a round whose results are not shown yet (\"3 of 5 needed\")", "no";
}

/// The error as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
pub struct ErrorPayload {
    /// Stable machine code, e.g. `unknown_pillar` (one of [`error_codes`]).
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
            Error::Llm { error, .. } => error.kind.code(),
            other => other.declared().0,
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
        self.declared().1
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

/// Every error code the core can return: its own, declared above, and the provider kinds of
/// [`crate::llm::LlmErrorKind`], each once. The UI's `ErrorCode` type and docs/errors.md are generated from it.
pub fn error_codes() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = DECLARED
        .iter()
        .map(|d| d.code)
        .filter(|c| !c.is_empty())
        .collect();
    for k in crate::llm::LlmErrorKind::ALL {
        if !out.contains(&k.code()) {
            out.push(k.code());
        }
    }
    out
}

/// docs/errors.md: the stable codes with when each happens and whether trying again helps, from the
/// declarations (`UPDATE_BINDINGS=1 cargo test -p compilar-core` writes it; a test checks it is current).
pub fn errors_markdown() -> String {
    let mut out = String::from(ERRORS_DOC_HEAD);
    let row = |out: &mut String, code: &str, when: &str, retry: &str, caller: bool| {
        out.push_str(&format!(
            "| `{code}` | {when} | {retry} | {} |\n",
            if caller {
                "the caller's (exit 2)"
            } else {
                "—"
            }
        ));
    };
    for d in DECLARED.iter().filter(|d| !d.code.is_empty()) {
        row(&mut out, d.code, d.when, d.retry, d.caller);
    }
    for k in crate::llm::LlmErrorKind::ALL {
        if !DECLARED.iter().any(|d| d.code == k.code()) {
            let (when, retry) = k.doc();
            row(&mut out, k.code(), when, retry, false);
        }
    }
    out
}

const ERRORS_DOC_HEAD: &str = "\
<!-- Generated from crates/compilar-core/src/error.rs (declare_errors!) and llm/error.rs: do not edit; run
     `UPDATE_BINDINGS=1 cargo test -p compilar-core bindings` after changing an error. -->
# Error codes

[← README](../README.md) · Every error the core returns has one stable code; shells and the UI branch on the \
code, never on the words.

Every failure reaches a shell as `{code, message, retryable}`, plus `retry_after_ms` when the core knows how
long to wait (an open breaker, the AI-action limit, a provider's `Retry-After`) and `provider` when a provider is
concerned. The CLI prints the same object under `\"error\"` with `--json`, and exits with 2 for an error that is
the caller's to fix, 1 for any other. Codes never change once released; the UI gets them as the generated
`ErrorCode` union. Each code is declared once, with its variant, in `declare_errors!` (error.rs); this page is
generated from that declaration.

| code | when | retryable | whose to fix |
|---|---|---|---|
";

/// The TypeScript union of every error code.
pub fn error_code_ts() -> String {
    let mut s = String::from("type ErrorCode =");
    for c in error_codes() {
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
