//! The diagnostics capability: versions, paths and counts; the AI layer's health (breakers, the AI-action
//! limit, the call log) with manual breaker control; what runs now (the job list); and `doctor`.

pub mod dto;

use crate::ctx::Ctx;
use crate::error::Result;
use crate::jobs::JobInfo;
use crate::llm::BreakerState;
use crate::store::{meta, migrations};
use crate::validate::check_len;
use dto::*;

/// Call-log rows the Diagnostics page shows.
const MAX_CALLS_SHOWN: u32 = 50;

#[derive(Clone, Copy)]
pub struct Diagnostics<'a> {
    ctx: &'a Ctx,
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn diagnostics(&self) -> Diagnostics<'_> {
        Diagnostics::new(self)
    }
}

impl<'a> Diagnostics<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Diagnostics { ctx }
    }

    /// Versions, paths and counts for the diagnostics view.
    pub async fn get(&self) -> Result<dto::Diagnostics> {
        let (sqlite_version, vec_version) = self.ctx.store.read(meta::versions).await?;
        let (assessments, in_progress) = self.ctx.assessments().count_all().await?;
        let d = &self.ctx.domain;
        let p = &self.ctx.paths;
        Ok(dto::Diagnostics {
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            data_dir: p.data_dir.display().to_string(),
            database_path: p.database.display().to_string(),
            log_dir: p.log_dir.display().to_string(),
            sqlite_version,
            vec_version,
            schema_version: self.ctx.store.migration_report().schema_version,
            framework_version: d.framework.version,
            question_bank_version: d.bank.version,
            questions: d.bank.all().len() as u32,
            assessments,
            in_progress,
        })
    }

    /// Breakers, the rate limit, the keychain and the recent call log, for the Diagnostics page.
    pub async fn llm_status(&self) -> Result<LlmStatus> {
        let llm = &self.ctx.llm;
        Ok(LlmStatus {
            providers: llm.provider_status().await?,
            rate_limit: llm.rate_limit_state(),
            keychain: llm.keychain_status().await?,
            calls: llm.recent_calls(MAX_CALLS_SHOWN).await?,
        })
    }

    /// Reset, force open or force close a provider's breaker.
    pub async fn control_breaker(&self, req: BreakerControlRequest) -> Result<LlmStatus> {
        check_len(&req.provider, "provider")?;
        self.ctx
            .llm
            .control_breaker(&req.provider, req.action)
            .await?;
        self.llm_status().await
    }

    /// The state of one provider's breaker.
    pub fn breaker_state(&self, provider: &str) -> Result<BreakerState> {
        check_len(provider, "provider")?;
        self.ctx.llm.breaker_state(provider)
    }

    /// Long work running on this data folder: this process's jobs, then other processes'.
    pub async fn jobs(&self) -> Result<Vec<JobInfo>> {
        self.ctx.jobs.list().await
    }

    /// Versions, the database's integrity, migrations, the keychain, the providers and running jobs.
    pub async fn doctor(&self) -> Result<DoctorReport> {
        let diagnostics = self.get().await?;
        let (integrity, applied) = self
            .ctx
            .store
            .read(|c| Ok((meta::integrity(c)?, migrations::applied(c)?)))
            .await?;
        let damaged = integrity != "ok";
        Ok(DoctorReport {
            diagnostics,
            damaged,
            integrity: if damaged {
                format!("damaged (SQLite's check found: {integrity})")
            } else {
                integrity
            },
            migrations: applied
                .into_iter()
                .map(|m| MigrationInfo {
                    version: m.version,
                    name: m.name,
                    applied_at: m.applied_at,
                    matches_build: m.matches_build,
                })
                .collect(),
            keychain: self.ctx.llm.keychain_status().await?,
            providers: self.ctx.llm.provider_status().await?,
            jobs: self.jobs().await?,
        })
    }
}
