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
    #[error("{0}")]
    InvalidArgument(String),
    #[error("The PILAR data shipped with the app is invalid: {0}")]
    FrameworkInvalid(String),
    #[error("The database is busy; please try again.")]
    DatabaseBusy,
    #[error("The local database could not complete the operation.")]
    Database(#[source] rusqlite::Error),
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
    #[error("Stopped.")]
    Cancelled,
    #[error("No document with id {0} exists.")]
    DocumentNotFound(String),
}

/// The error as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ErrorPayload {
    /// Stable machine code, e.g. `unknown_pillar`.
    pub code: String,
    /// A sentence for a person.
    pub message: String,
    /// Whether the same action may succeed if tried again.
    pub retryable: bool,
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
            Error::InvalidId(_) => "invalid_id",
            Error::ValueOutOfRange { .. } => "value_out_of_range",
            Error::AssessmentCompleted => "assessment_completed",
            Error::AssessmentDeleted => "assessment_deleted",
            Error::NotDeleted => "not_deleted",
            Error::NoAnswers => "no_answers",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::InvalidArgument(_) => "invalid_argument",
            Error::FrameworkInvalid(_) => "framework_invalid",
            Error::DatabaseBusy => "database_busy",
            Error::Database(_) => "database_error",
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
            Error::Cancelled => "cancelled",
            Error::DocumentNotFound(_) => "document_not_found",
        }
    }

    /// Whether trying the same action again may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            Error::DatabaseBusy | Error::Io(_) => true,
            Error::Llm { error, .. } => error.kind.retryable(),
            Error::CircuitOpen { retry_after_ms, .. } => retry_after_ms.is_some(),
            Error::RateLimited { .. } => true,
            Error::AllProvidersFailed { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// The UI form of the error. Internal details stay in the logs.
    pub fn payload(&self) -> ErrorPayload {
        ErrorPayload {
            code: self.code().to_owned(),
            message: self.to_string(),
            retryable: self.retryable(),
        }
    }
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

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Internal(format!("background task failed: {e}"))
    }
}

impl Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.payload().serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialises_as_code_message_retryable() {
        let v = serde_json::to_value(Error::UnknownPillar("nope".into())).unwrap();
        assert_eq!(
            v,
            json!({"code": "unknown_pillar", "message": "Unknown pillar \u{201c}nope\u{201d}. Choose one of the ten PILAR pillars.", "retryable": false})
        );
        let v = serde_json::to_value(Error::DatabaseBusy).unwrap();
        assert_eq!(v["code"], "database_busy");
        assert_eq!(v["retryable"], true);
        assert_eq!(v.as_object().unwrap().len(), 3);
    }

    #[test]
    fn internal_details_do_not_leak() {
        let e = Error::Internal("secret path /home/x/db: token=abc".into());
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "internal");
        assert_eq!(v["message"], "Something went wrong inside Compilar.");
        let e = Error::from(rusqlite::Error::InvalidColumnName("secret_column".into()));
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "database_error");
        assert!(!v["message"].as_str().unwrap().contains("secret_column"));
    }

    #[test]
    fn busy_database_is_retryable() {
        let e = Error::from(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        ));
        assert_eq!(e.code(), "database_busy");
        assert!(e.retryable());
    }
}
