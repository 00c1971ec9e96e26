//! The shared context every capability works over: the store, the domain, the LLM layer, the job registry,
//! the paths and the acting principal. Capabilities are cheap views of it ([`Ctx::assessments`] and so on), and
//! one capability reaches another only through those views.

use std::sync::Arc;

use crate::capabilities::{
    account::{Account, AuthState},
    ai::Ai,
    analysis::Analysis,
    assessments::Assessments,
    chat::Chat,
    coach::Coach,
    data::Data,
    diagnostics::Diagnostics,
    documents::Documents,
    full_profiles::FullProfiles,
    goals::Goals,
    knowledge::Knowledge,
    progress::Progress,
    questions::Questions,
    reports::Reports,
    settings::Settings,
    sync::{Sync, SyncState},
};
use crate::domain::Domain;
use crate::jobs::Jobs;
use crate::llm::Llm;
use crate::paths::Paths;
use crate::principal::Principal;
use crate::store::Store;

pub struct Ctx {
    pub(crate) domain: Arc<Domain>,
    pub(crate) store: Arc<Store>,
    pub(crate) llm: Arc<Llm>,
    pub(crate) jobs: Jobs,
    pub(crate) paths: Paths,
    /// Who is acting. Passed explicitly to every query over owned data.
    pub(crate) principal: Principal,
    /// The sync account's session, key set and token checks.
    pub(crate) auth: AuthState,
    /// The sync project's breaker and the one-sync-at-a-time lock.
    pub(crate) sync: SyncState,
    /// Set once the knowledge base has been prepared in this process (see [`Knowledge::prepare`]).
    pub(crate) kb_ready: tokio::sync::OnceCell<()>,
}

impl Ctx {
    pub(crate) fn assessments(&self) -> Assessments<'_> {
        Assessments::new(self)
    }
    pub(crate) fn ai(&self) -> Ai<'_> {
        Ai::new(self)
    }
    pub(crate) fn analysis(&self) -> Analysis<'_> {
        Analysis::new(self)
    }
    pub(crate) fn chat(&self) -> Chat<'_> {
        Chat::new(self)
    }
    pub(crate) fn coach(&self) -> Coach<'_> {
        Coach::new(self)
    }
    pub(crate) fn questions(&self) -> Questions<'_> {
        Questions::new(self)
    }
    pub(crate) fn settings(&self) -> Settings<'_> {
        Settings::new(self)
    }
    pub(crate) fn diagnostics(&self) -> Diagnostics<'_> {
        Diagnostics::new(self)
    }
    pub(crate) fn knowledge(&self) -> Knowledge<'_> {
        Knowledge::new(self)
    }
    pub(crate) fn documents(&self) -> Documents<'_> {
        Documents::new(self)
    }
    pub(crate) fn data(&self) -> Data<'_> {
        Data::new(self)
    }
    pub(crate) fn goals(&self) -> Goals<'_> {
        Goals::new(self)
    }
    pub(crate) fn full_profiles(&self) -> FullProfiles<'_> {
        FullProfiles::new(self)
    }
    pub(crate) fn reports(&self) -> Reports<'_> {
        Reports::new(self)
    }
    pub(crate) fn progress(&self) -> Progress<'_> {
        Progress::new(self)
    }
    pub(crate) fn account(&self) -> Account<'_> {
        Account::new(self)
    }
    pub(crate) fn sync(&self) -> Sync<'_> {
        Sync::new(self)
    }
    pub(crate) fn teams(&self) -> crate::capabilities::teams::Teams<'_> {
        crate::capabilities::teams::Teams::new(self)
    }
}
