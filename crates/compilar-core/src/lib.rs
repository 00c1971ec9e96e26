//! Compilar's core library. It has no dependency on Tauri.
//!
//! - [`domain`]: the PILAR framework, the question bank and scoring (pure, no I/O).
//! - ground floor: [`error`], [`time`], [`resilience`] (circuit breakers shared through the database, the
//!   rate limiter, the clock), [`secrets`] (the OS keychain).
//! - infrastructure: [`store`] (SQLite: writer, readers, migrations, backups, the synced tables' records),
//!   [`llm`] (providers, fallback chain, call log), the connection to the sync project (`remote`: link,
//!   session, tokens, RPC calls), [`embed`] (embeddings and the vector index), [`jobs`] (one registry for long
//!   work), [`output`] (every file written for the user), [`fields`] (one validation per person's text),
//!   [`validate`] (checks every capability shares), [`logging`], [`paths`], [`principal`], [`util`], and
//!   [`ctx::Ctx`], which holds them and no capability.
//! - [`writing`]: the prompts, citations and offline writer's helpers the coaching capabilities share.
//! - [`capabilities`]: one module per capability — account, ai, analysis, assessments, chat, coach, data,
//!   diagnostics, documents, full_profiles, goals, knowledge, progress, questions, reports, settings, sync,
//!   teams — each a handle over the shared [`ctx::Ctx`] (declared in its own module) with its use cases, types and
//!   SQL.
//! - [`App`]: the thin root every shell uses; [`api`] re-exports every request and response type.

#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod api;
pub mod app;
pub mod capabilities;
pub mod ctx;
pub mod domain;
pub mod embed;
pub mod error;
pub mod fields;
pub mod jobs;
pub mod llm;
pub mod logging;
pub mod output;
pub mod paths;
pub mod principal;
pub(crate) mod remote;
pub mod resilience;
pub mod secrets;
pub mod store;
pub mod time;
pub mod util;
pub mod validate;
pub mod writing;

pub use app::App;

/// Recovery of a data folder whose database cannot be used: it works without opening the app, which is
/// what the window and the command-line tool offer when opening fails with `database_damaged`.
pub mod recovery {
    use std::path::Path;

    use crate::paths::Paths;
    use crate::store::backup;
    pub use crate::store::backup::{BackupInfo, RecoveryOutcome, RecoveryStatus};
    use crate::Result;

    /// The database's state, the backups and the files set aside earlier.
    pub fn status(data_dir: Option<&Path>) -> Result<RecoveryStatus> {
        backup::status(&Paths::resolve(data_dir)?)
    }

    /// Sets the damaged database aside and restores the newest backup that passes SQLite's check. A healthy
    /// database is refused (`database_healthy`) unless `force`, and then kept as a backup that undoing a
    /// restore brings back.
    pub fn restore_latest_backup(data_dir: Option<&Path>, force: bool) -> Result<RecoveryOutcome> {
        backup::restore_latest(&Paths::resolve(data_dir)?, force)
    }

    /// Sets the damaged database aside; the next start begins with an empty one. A healthy database is
    /// refused (`database_healthy`) unless `force`, and then kept as a backup that undoing a restore brings back.
    pub fn start_fresh(data_dir: Option<&Path>, force: bool) -> Result<RecoveryOutcome> {
        backup::start_fresh(&Paths::resolve(data_dir)?, force)
    }

    /// What the user chose to do about a damaged database.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
    #[serde(rename_all = "snake_case")]
    pub enum RecoveryAction {
        RestoreLatestBackup,
        StartFresh,
    }

    /// Either recovery.
    pub fn recover(data_dir: Option<&Path>, action: RecoveryAction) -> Result<RecoveryOutcome> {
        match action {
            // (The window offers recovery only for a damaged database.)
            RecoveryAction::RestoreLatestBackup => restore_latest_backup(data_dir, false),
            RecoveryAction::StartFresh => start_fresh(data_dir, false),
        }
    }
}
pub use error::{error_codes, Error, ErrorPayload, Result};
pub use paths::{AppOptions, Paths, DATA_DIR_ENV, DATA_FOLDER_NAME, IDENTIFIER};
/// For shells that generate TypeScript from the core's types.
pub use ts_rs;

/// The TypeScript declarations of every type the UI exchanges with the core, as one module.
pub fn typescript_bindings() -> String {
    use ts_rs::{Config, TS};
    let cfg = Config::default();
    let decls = [
        error::error_code_ts(),
        error::ErrorPayload::decl(&cfg),
        domain::Mode::decl(&cfg),
        domain::Letter::decl(&cfg),
        domain::Pillar::decl(&cfg),
        domain::Force::decl(&cfg),
        domain::ConnectionKind::decl(&cfg),
        domain::Connection::decl(&cfg),
        domain::Framework::decl(&cfg),
        domain::Scale::decl(&cfg),
        domain::Question::decl(&cfg),
        domain::Band::decl(&cfg),
        domain::ConfidenceLevel::decl(&cfg),
        domain::ForceScore::decl(&cfg),
        domain::Recommendation::decl(&cfg),
        domain::Highlight::decl(&cfg),
        domain::HighlightKind::decl(&cfg),
        domain::Results::decl(&cfg),
        api::Stage::decl(&cfg),
        api::Category::decl(&cfg),
        api::FrameworkInfo::decl(&cfg),
        api::CreateAssessmentRequest::decl(&cfg),
        api::AboutRequest::decl(&cfg),
        api::GroupLabel::decl(&cfg),
        api::AnswerRequest::decl(&cfg),
        api::AnswerAck::decl(&cfg),
        api::Assessment::decl(&cfg),
        api::ListRequest::decl(&cfg),
        api::AssessmentSummary::decl(&cfg),
        api::AssessmentPage::decl(&cfg),
        api::AssessmentRef::decl(&cfg),
        api::StartProfileRequest::decl(&cfg),
        api::ProfilePillar::decl(&cfg),
        api::FullProfile::decl(&cfg),
        api::LetterInModes::decl(&cfg),
        api::ModeSide::decl(&cfg),
        api::ForceInModes::decl(&cfg),
        api::ModeComparison::decl(&cfg),
        api::CompareModesRequest::decl(&cfg),
        api::ReportFormat::decl(&cfg),
        api::ReportFile::decl(&cfg),
        api::ArchiveFormat::decl(&cfg),
        api::ExportRequest::decl(&cfg),
        api::ExportProgress::decl(&cfg),
        api::TableCount::decl(&cfg),
        api::ExportSummary::decl(&cfg),
        api::ImportRequest::decl(&cfg),
        api::TableImport::decl(&cfg),
        api::ImportSummary::decl(&cfg),
        api::BackupSettings::decl(&cfg),
        api::Theme::decl(&cfg),
        api::Appearance::decl(&cfg),
        api::Backups::decl(&cfg),
        api::BackupRequest::decl(&cfg),
        api::RestoreOutcome::decl(&cfg),
        api::DeleteOutcome::decl(&cfg),
        api::ProgressRequest::decl(&cfg),
        api::ProgressView::decl(&cfg),
        api::Analytics::decl(&cfg),
        api::ModeShare::decl(&cfg),
        api::PillarAverage::decl(&cfg),
        api::DayActivity::decl(&cfg),
        api::Period::decl(&cfg),
        api::ProgressTotals::decl(&cfg),
        api::NotAssessed::decl(&cfg),
        api::PillarTrack::decl(&cfg),
        api::TrackPoint::decl(&cfg),
        api::ForceTrack::decl(&cfg),
        api::MilestoneKind::decl(&cfg),
        api::Milestone::decl(&cfg),
        api::CompareRequest::decl(&cfg),
        api::Direction::decl(&cfg),
        api::CompareSide::decl(&cfg),
        api::ForceChange::decl(&cfg),
        api::Comparison::decl(&cfg),
        api::PracticeSource::decl(&cfg),
        api::GoalStatus::decl(&cfg),
        api::NewGoalRequest::decl(&cfg),
        api::EditGoalRequest::decl(&cfg),
        api::CheckInRequest::decl(&cfg),
        api::CloseGoalRequest::decl(&cfg),
        api::GoalListRequest::decl(&cfg),
        api::CheckIn::decl(&cfg),
        api::GoalOutcome::decl(&cfg),
        api::Goal::decl(&cfg),
        api::GoalRef::decl(&cfg),
        api::ResultGoals::decl(&cfg),
        api::ReportRequest::decl(&cfg),
        api::ReportStatus::decl(&cfg),
        api::ReportWriter::decl(&cfg),
        api::CoachReport::decl(&cfg),
        api::ReportState::decl(&cfg),
        api::NewConversationRequest::decl(&cfg),
        api::ContextItem::decl(&cfg),
        api::Conversation::decl(&cfg),
        api::AnswerWriter::decl(&cfg),
        api::Message::decl(&cfg),
        api::ConversationView::decl(&cfg),
        api::ConversationSummary::decl(&cfg),
        api::ConversationListRequest::decl(&cfg),
        api::ConversationPage::decl(&cfg),
        api::SendRequest::decl(&cfg),
        api::RegenerateRequest::decl(&cfg),
        api::SendReply::decl(&cfg),
        api::RenameRequest::decl(&cfg),
        api::SetContextRequest::decl(&cfg),
        api::MessageSearchRequest::decl(&cfg),
        api::MessageHit::decl(&cfg),
        api::MessageSearchReply::decl(&cfg),
        api::ExportFormat::decl(&cfg),
        api::ConversationRef::decl(&cfg),
        api::GenerateRequest::decl(&cfg),
        api::GeneratedQuestion::decl(&cfg),
        api::RejectedItem::decl(&cfg),
        api::GenerateReply::decl(&cfg),
        api::GeneratedListRequest::decl(&cfg),
        api::AnalyzeRequest::decl(&cfg),
        api::AnalysisMethod::decl(&cfg),
        api::ForceAlignment::decl(&cfg),
        api::PillarAlignment::decl(&cfg),
        api::AnalysisReply::decl(&cfg),
        api::GuidanceStage::decl(&cfg),
        api::GuidanceRequest::decl(&cfg),
        api::GuidanceWriter::decl(&cfg),
        api::Guidance::decl(&cfg),
        api::Diagnostics::decl(&cfg),
        api::MigrationInfo::decl(&cfg),
        llm::ProviderKind::decl(&cfg),
        llm::Role::decl(&cfg),
        llm::ChatMessage::decl(&cfg),
        llm::Usage::decl(&cfg),
        llm::LlmErrorKind::decl(&cfg),
        llm::Timeouts::decl(&cfg),
        resilience::breaker::FailureRate::decl(&cfg),
        llm::BreakerConfig::decl(&cfg),
        llm::BreakerState::decl(&cfg),
        resilience::breaker::FailureRecord::decl(&cfg),
        llm::BreakerSnapshot::decl(&cfg),
        llm::RateLimitConfig::decl(&cfg),
        llm::RateLimitState::decl(&cfg),
        llm::ProviderSettings::decl(&cfg),
        llm::AiSettings::decl(&cfg),
        llm::KeySource::decl(&cfg),
        llm::KeychainStatus::decl(&cfg),
        llm::ProviderView::decl(&cfg),
        llm::service::health::Availability::decl(&cfg),
        llm::service::health::Tone::decl(&cfg),
        llm::service::health::LastCall::decl(&cfg),
        llm::service::health::ProviderHealth::decl(&cfg),
        llm::ProviderStatus::decl(&cfg),
        llm::ConnectionTest::decl(&cfg),
        llm::ChatAnswer::decl(&cfg),
        llm::Passage::decl(&cfg),
        llm::StreamEvent::decl(&cfg),
        llm::BreakerAction::decl(&cfg),
        store::llm::CallLogEntry::decl(&cfg),
        api::LlmSettings::decl(&cfg),
        api::SaveProvidersRequest::decl(&cfg),
        api::SetKeyRequest::decl(&cfg),
        api::AskRequest::decl(&cfg),
        api::LlmStatus::decl(&cfg),
        api::BreakerControlRequest::decl(&cfg),
        api::JobKind::decl(&cfg),
        api::JobInfo::decl(&cfg),
        api::DoctorReport::decl(&cfg),
        api::SearchMethod::decl(&cfg),
        api::SearchRequest::decl(&cfg),
        capabilities::knowledge::search::SnippetPart::decl(&cfg),
        capabilities::knowledge::search::MatchStrength::decl(&cfg),
        api::PassageRequest::decl(&cfg),
        api::PassageDetail::decl(&cfg),
        api::RelatedPassage::decl(&cfg),
        api::SourceRef::decl(&cfg),
        api::SearchHit::decl(&cfg),
        api::SearchReply::decl(&cfg),
        api::KnowledgeStatus::decl(&cfg),
        recovery::BackupInfo::decl(&cfg),
        recovery::RecoveryStatus::decl(&cfg),
        recovery::RecoveryOutcome::decl(&cfg),
        recovery::RecoveryAction::decl(&cfg),
        api::PillarForces::decl(&cfg),
        api::ImportStage::decl(&cfg),
        api::ImportProgress::decl(&cfg),
        api::DocumentInfo::decl(&cfg),
        api::ImportDocumentRequest::decl(&cfg),
        api::EmbeddingModelInfo::decl(&cfg),
        api::SwitchProgress::decl(&cfg),
        api::EmbeddingModels::decl(&cfg),
        api::SwitchModelRequest::decl(&cfg),
        api::SignInRequest::decl(&cfg),
        api::SyncConversationRequest::decl(&cfg),
        api::LocalData::decl(&cfg),
        api::TokenStatus::decl(&cfg),
        api::TokenState::decl(&cfg),
        api::AccountStatus::decl(&cfg),
        api::SyncState::decl(&cfg),
        api::SyncStatus::decl(&cfg),
        api::SyncReport::decl(&cfg),
        api::SyncProgress::decl(&cfg),
        api::RejectedChange::decl(&cfg),
        api::RejectedRequest::decl(&cfg),
        api::TeamRole::decl(&cfg),
        api::Team::decl(&cfg),
        api::CreateTeamRequest::decl(&cfg),
        api::UpdateTeamRequest::decl(&cfg),
        api::TeamRequest::decl(&cfg),
        api::InviteRequest::decl(&cfg),
        api::Invite::decl(&cfg),
        api::InviteInfo::decl(&cfg),
        api::RevokeInviteRequest::decl(&cfg),
        api::JoinRequest::decl(&cfg),
        api::MemberRequest::decl(&cfg),
        api::RoleRequest::decl(&cfg),
        api::ConsentRequest::decl(&cfg),
        api::Member::decl(&cfg),
        api::StartRoundRequest::decl(&cfg),
        api::RoundRequest::decl(&cfg),
        api::MyRoundAnswer::decl(&cfg),
        api::Round::decl(&cfg),
        api::OpenRounds::decl(&cfg),
        api::ResultFigure::decl(&cfg),
        api::Spread::decl(&cfg),
        api::RoundState::decl(&cfg),
        api::RoundResults::decl(&cfg),
        api::TeamResults::decl(&cfg),
        api::TeamResultsRequest::decl(&cfg),
        api::TeamReportRequest::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types in crates/compilar-core by `typescript_bindings()`.\n\
         // Do not edit: run `UPDATE_BINDINGS=1 cargo test -p compilar-core bindings` after changing a type.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.push_str(&store::records::limits_typescript());
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    /// The UI's generated types must match the Rust types. `UPDATE_BINDINGS=1` rewrites the file.
    #[test]
    fn bindings_are_up_to_date() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/src/lib/bindings.ts");
        let fresh = super::typescript_bindings();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
            std::fs::write(path, &fresh).unwrap();
        }
        let current = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            current == fresh,
            "ui/src/lib/bindings.ts is out of date: run `UPDATE_BINDINGS=1 cargo test -p compilar-core bindings`"
        );
    }
}
