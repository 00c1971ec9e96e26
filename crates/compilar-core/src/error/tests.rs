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
    let v = serde_json::to_value(Error::RateLimited {
        max: 50,
        window: "15 min".into(),
        wait: "2 min".into(),
        retry_after_ms: 120_000,
    })
    .unwrap();
    assert_eq!(v["retry_after_ms"], 120_000);
    assert_eq!(v["retryable"], true);
}

/// One error of each variant. The match below has no wildcard, so a new variant does not compile until it
/// is added here, and then the test checks its code is listed and documented.
fn one_of_each() -> Vec<Error> {
    use crate::llm::{LlmError, LlmErrorKind as K};
    let s = || String::from("x");
    let mut all = vec![
        Error::UnknownPillar(s()),
        Error::UnknownMode(s()),
        Error::AssessmentNotCompleted,
        Error::ReportNotFound,
        Error::ProfileNotFound(s()),
        Error::ProfileComplete,
        Error::ArchiveInvalid(s()),
        Error::ArchiveTooLarge(s()),
        Error::ArchiveNewer(2),
        Error::ExportTargetExists(s()),
        Error::OutputInDataFolder {
            path: s(),
            folder: s(),
        },
        Error::OutputExists(s()),
        Error::OutputFolderMissing(s()),
        Error::DatabaseHealthy(s()),
        Error::NotComparable(s()),
        Error::GoalNotFound(s()),
        Error::GoalClosed(s()),
        Error::BackupUnusable(s()),
        Error::NothingToUndo,
        Error::ConfirmationMismatch(s()),
        Error::NotSignedIn,
        Error::SignInFailed(s()),
        Error::SessionExpired,
        Error::SyncUnreachable {
            message: s(),
            retry_after_ms: None,
        },
        Error::SyncRefused(s()),
        Error::AccountMismatch { linked: s() },
        Error::LocalDataNeedsConsent {
            assessments: 1,
            total: 1,
        },
        Error::TeamNotFound(s()),
        Error::NotFacilitator,
        Error::LastFacilitator(s()),
        Error::InviteInvalid,
        Error::TooManyTries,
        Error::TeamLimit(s()),
        Error::TeamResultsHidden(s()),
        Error::ConversationNotFound(s()),
        Error::ConversationDeleted,
        Error::NothingToRegenerate,
        Error::QuestionNotFound(s()),
        Error::PillarModeMismatch {
            pillar: s(),
            pillar_mode: s(),
            mode: s(),
        },
        Error::UnknownQuestion(s()),
        Error::QuestionNotInAssessment(s()),
        Error::AssessmentNotFound(s()),
        Error::InvalidId(s()),
        Error::ValueOutOfRange {
            value: 9,
            min: 1,
            max: 5,
        },
        Error::AssessmentCompleted,
        Error::AssessmentDeleted,
        Error::NotDeleted,
        Error::NoAnswers,
        Error::PayloadTooLarge {
            what: "x",
            max: 1,
            unit: "x",
        },
        Error::InvalidArgument(s()),
        Error::EmptyInput(s()),
        Error::OutOfRange(s()),
        Error::InvalidJobId { what: "x" },
        Error::AlreadyRunning(s()),
        Error::UnknownForce(s()),
        Error::UnknownCategory {
            given: s(),
            known: s(),
        },
        Error::InvalidSettings {
            message: s(),
            field: None,
            settings_of: None,
        },
        Error::InvalidApiKey(s()),
        Error::EmbeddingsUnsupported(s()),
        Error::UnknownEmbeddingModel(s()),
        Error::EmbeddingModelUnavailable(s()),
        Error::SearchModelChanged,
        Error::DocumentUnreadable { reason: s() },
        Error::FrameworkInvalid(s()),
        Error::DatabaseBusy,
        Error::Database(rusqlite::Error::InvalidQuery),
        Error::DiskFull { folder: s() },
        Error::FolderNotWritable {
            folder: s(),
            detail: s(),
        },
        Error::DatabaseDamaged {
            file: s(),
            detail: s(),
        },
        Error::NoUsableBackup {
            folder: s(),
            found: 0,
        },
        Error::Migration(s()),
        Error::Io(std::io::Error::other("x")),
        Error::Internal(s()),
        Error::CircuitOpen {
            message: s(),
            retry_after_ms: None,
        },
        Error::RateLimited {
            max: 1,
            window: s(),
            wait: s(),
            retry_after_ms: 1,
        },
        Error::NoProvider,
        Error::AllProvidersFailed {
            summary: s(),
            retryable: false,
        },
        Error::KeychainUnavailable(s()),
        Error::UnknownProvider(s()),
        Error::UnsupportedDocument(s()),
        Error::DocumentEmpty { hint: "" },
        Error::DocumentUndecodable(s()),
        Error::DocumentExpandsTooFar(s()),
        Error::Cancelled,
        Error::DocumentNotFound(s()),
        Error::PassageNotFound(s()),
        Error::PathNotChosen,
    ];
    for k in [
        K::RateLimited,
        K::Auth,
        K::ContextTooLong,
        K::ModelNotFound,
        K::Timeout,
        K::Server,
        K::Network,
        K::Malformed,
        K::BadRequest,
        K::Cancelled,
        K::Unsupported,
        K::NotConfigured,
    ] {
        all.push(Error::Llm {
            provider: s(),
            error: LlmError::new(k, "x"),
        });
    }
    for e in &all {
        match e {
            Error::UnknownPillar(_)
            | Error::UnknownMode(_)
            | Error::PillarModeMismatch { .. }
            | Error::UnknownQuestion(_)
            | Error::QuestionNotInAssessment(_)
            | Error::AssessmentNotFound(_)
            | Error::AssessmentNotCompleted
            | Error::ReportNotFound
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
            | Error::SessionExpired
            | Error::SyncUnreachable { .. }
            | Error::SyncRefused(_)
            | Error::AccountMismatch { .. }
            | Error::LocalDataNeedsConsent { .. }
            | Error::TeamNotFound(_)
            | Error::NotFacilitator
            | Error::LastFacilitator(_)
            | Error::InviteInvalid
            | Error::TooManyTries
            | Error::TeamLimit(_)
            | Error::TeamResultsHidden(_)
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
            | Error::SearchModelChanged
            | Error::DocumentUnreadable { .. }
            | Error::FrameworkInvalid(_)
            | Error::DatabaseBusy
            | Error::Database(_)
            | Error::DiskFull { .. }
            | Error::FolderNotWritable { .. }
            | Error::DatabaseDamaged { .. }
            | Error::NoUsableBackup { .. }
            | Error::Migration(_)
            | Error::Io(_)
            | Error::Internal(_)
            | Error::Llm { .. }
            | Error::CircuitOpen { .. }
            | Error::RateLimited { .. }
            | Error::NoProvider
            | Error::AllProvidersFailed { .. }
            | Error::KeychainUnavailable(_)
            | Error::UnknownProvider(_)
            | Error::UnsupportedDocument(_)
            | Error::DocumentEmpty { .. }
            | Error::DocumentUndecodable(_)
            | Error::DocumentExpandsTooFar(_)
            | Error::Cancelled
            | Error::DocumentNotFound(_)
            | Error::PassageNotFound(_)
            | Error::PathNotChosen => {}
        }
    }
    all
}

#[test]
fn every_code_is_declared_once_produced_and_documented() {
    let codes = error_codes();
    let listed: std::collections::BTreeSet<&str> = codes.iter().copied().collect();
    assert_eq!(listed.len(), codes.len(), "a code is declared twice");
    let produced: std::collections::BTreeSet<&str> =
        one_of_each().iter().map(Error::code).collect();
    assert_eq!(
        produced, listed,
        "the declarations and the variants disagree"
    );
    // docs/errors.md is generated from the declarations.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errors.md");
    let fresh = errors_markdown();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let current = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        current == fresh,
        "docs/errors.md is out of date: run `UPDATE_BINDINGS=1 cargo test -p compilar-core bindings`"
    );
    for c in &codes {
        assert!(
            current.contains(&format!("`{c}`")),
            "docs/errors.md does not document `{c}`"
        );
    }
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
