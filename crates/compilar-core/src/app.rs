//! The root every shell (the window, the command-line tool, tests, benchmarks) uses: [`App::open`] opens the
//! shared context, and the capability handles do the work (`app.assessments().create(req)`). No use case lives
//! here.

use std::path::PathBuf;
use std::sync::Arc;

use crate::capabilities::{
    account::Account, ai::Ai, analysis::Analysis, assessments::Assessments, chat::Chat,
    coach::Coach, data::Data, diagnostics::Diagnostics, documents::Documents,
    full_profiles::FullProfiles, goals::Goals, knowledge::Knowledge, progress::Progress,
    questions::Questions, reports::Reports, settings::Settings, sync::Sync,
};
use crate::ctx::Ctx;
use crate::domain::Domain;
use crate::error::Result;
use crate::jobs::Jobs;
use crate::llm::{Llm, LlmOptions};
use crate::paths::{AppOptions, Paths};
use crate::principal::Principal;
use crate::store::{profiles, Store};

/// The application core. Cheap to clone; all clones share one context.
#[derive(Clone)]
pub struct App {
    ctx: Arc<Ctx>,
}

impl App {
    /// Opens the app's data in `data_dir` (see [`Paths::resolve`]): loads and validates the PILAR data,
    /// opens the database, applies migrations and prepares the knowledge base. Call once at start-up.
    pub async fn open(data_dir: Option<PathBuf>) -> Result<App> {
        App::open_with(AppOptions {
            data_dir,
            ..AppOptions::default()
        })
        .await
    }

    /// [`App::open`] with every dependency chosen by the caller.
    pub async fn open_with(opts: AppOptions) -> Result<App> {
        let domain = Arc::new(Domain::builtin()?);
        let paths = Paths::resolve(opts.data_dir.as_deref())?;
        let (db, backups, dir) = (
            paths.database.clone(),
            paths.backup_dir.clone(),
            paths.data_dir.clone(),
        );
        let (dir_at, db_at) = (paths.data_dir.clone(), paths.database.clone());
        let at = move |e: crate::Error| e.at_storage(&dir_at, &db_at);
        let store = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            Store::open(&db, &backups)
        })
        .await?
        .map_err(&at)?;
        let store = Arc::new(store);
        // What interrupted writes left behind (a backup, an export or a report cut short by a kill or a crash).
        let leftovers = paths.clone();
        tokio::task::spawn_blocking(move || crate::output::clean_leftovers(&leftovers)).await?;
        if opts.check_integrity {
            let file = paths.database.clone();
            if let Some(detail) =
                tokio::task::spawn_blocking(move || crate::store::backup::damage_of(&file)).await?
            {
                return Err(crate::Error::DatabaseDamaged {
                    file: paths.database.display().to_string(),
                    detail,
                });
            }
        }
        // A read first: on every start but the very first, opening writes nothing.
        let profile = match store.read(profiles::local).await? {
            Some(id) => id,
            None => store.write(profiles::ensure_local).await?,
        };
        let llm = Arc::new(
            Llm::open(
                Arc::clone(&store),
                LlmOptions {
                    clock: opts.clock,
                    keychain: opts.keychain,
                    env_keys: opts.env_keys,
                },
            )
            .await?,
        );
        let app = App {
            ctx: Arc::new(Ctx {
                domain,
                jobs: Jobs::new(Arc::clone(&store)),
                store,
                llm,
                paths,
                principal: Principal::local(&profile),
                remote: crate::remote::RemoteState::new(Arc::new(crate::llm::SystemClock::new()))?,
                kb_ready: tokio::sync::OnceCell::new(),
            }),
        };
        // The daily automatic backup, once there is something to lose (a failure is logged, not fatal), and
        // an hourly look while the app stays open.
        app.data().auto_backup_if_due().await;
        let weak = Arc::downgrade(&app.ctx);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                let Some(ctx) = weak.upgrade() else { return };
                ctx.data().auto_backup_if_due().await;
            }
        });
        if opts.sync_in_background {
            let weak = Arc::downgrade(&app.ctx);
            tokio::spawn(async move {
                let mut ticker = crate::capabilities::sync::Ticker::default();
                let mut wait = std::time::Duration::from_secs(2);
                loop {
                    tokio::time::sleep(wait).await;
                    let Some(ctx) = weak.upgrade() else { return };
                    wait = ctx.sync().tick(&mut ticker).await;
                }
            });
        }
        if opts.prepare_knowledge {
            app.knowledge().prepare().await?;
        }
        tracing::info!(data_dir = %app.ctx.paths.data_dir.display(), "Compilar core ready");
        Ok(app)
    }

    pub fn paths(&self) -> &Paths {
        &self.ctx.paths
    }

    /// The acting principal (today the local profile).
    pub fn principal(&self) -> &Principal {
        &self.ctx.principal
    }

    /// The sync account: sign in and out, who is signed in, the token's state.
    pub fn account(&self) -> Account<'_> {
        self.ctx.account()
    }

    /// Sync with the account's project: push and pull now, where it stands, the not-synced list.
    pub fn sync(&self) -> Sync<'_> {
        self.ctx.sync()
    }

    /// Teams on the account's project: membership, invitations, consent, rounds and team results.
    pub fn teams(&self) -> crate::capabilities::teams::Teams<'_> {
        self.ctx.teams()
    }

    /// Assessments: create, answer, complete, history, delete and restore; the framework and scale.
    pub fn assessments(&self) -> Assessments<'_> {
        self.ctx.assessments()
    }

    /// "Try a prompt": whole and streamed answers through the provider chain.
    pub fn ai(&self) -> Ai<'_> {
        self.ctx.ai()
    }

    /// The coach: coaching reports (by a model or the offline coach).
    pub fn coach(&self) -> Coach<'_> {
        self.ctx.coach()
    }

    /// Content analysis: how a text reflects each pillar and force.
    pub fn analysis(&self) -> Analysis<'_> {
        self.ctx.analysis()
    }

    /// Coach chat: conversations, streamed answers, search and export.
    pub fn chat(&self) -> Chat<'_> {
        self.ctx.chat()
    }

    /// Fresh questions written by a model, checked and stored for review.
    pub fn questions(&self) -> Questions<'_> {
        self.ctx.questions()
    }

    /// Progress over time and the comparison of two assessments.
    pub fn progress(&self) -> Progress<'_> {
        self.ctx.progress()
    }

    /// Your data: backups, restore (with undo), deleting everything.
    pub fn data(&self) -> Data<'_> {
        self.ctx.data()
    }

    /// Full profiles (all five pillars of a mode, pillar by pillar) and both modes compared for a group.
    pub fn full_profiles(&self) -> FullProfiles<'_> {
        self.ctx.full_profiles()
    }

    /// A result as a report: self-contained HTML or PDF.
    pub fn reports(&self) -> Reports<'_> {
        self.ctx.reports()
    }

    /// Development goals and their check-ins.
    pub fn goals(&self) -> Goals<'_> {
        self.ctx.goals()
    }

    /// AI providers, keys and AI settings.
    pub fn settings(&self) -> Settings<'_> {
        self.ctx.settings()
    }

    /// Versions, the AI layer's health, the job list and `doctor`.
    pub fn diagnostics(&self) -> Diagnostics<'_> {
        self.ctx.diagnostics()
    }

    /// Knowledge search and the framework explorer.
    pub fn knowledge(&self) -> Knowledge<'_> {
        self.ctx.knowledge()
    }

    /// The store, for benchmarks and tests that fill it directly. Not for shells.
    #[doc(hidden)]
    pub fn store(&self) -> &Arc<Store> {
        &self.ctx.store
    }

    /// The LLM layer, for tests of the provider chain itself. Not for shells.
    #[doc(hidden)]
    pub fn llm(&self) -> &Arc<Llm> {
        &self.ctx.llm
    }

    /// The domain (framework and question bank), for benchmarks and tests. Not for shells.
    #[doc(hidden)]
    pub fn domain(&self) -> &Domain {
        &self.ctx.domain
    }

    /// The user's documents and the search model.
    pub fn documents(&self) -> Documents<'_> {
        self.ctx.documents()
    }
}
