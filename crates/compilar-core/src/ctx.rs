//! The shared context every capability works over: the store, the domain, the LLM layer, the job registry,
//! the paths, the connection to the sync project and the acting principal. It is infrastructure only: each
//! capability adds its own handle (`impl Ctx { fn teams(&self) -> Teams<'_> }`) in its own module, and one
//! capability reaches another only through those handles.

use std::sync::Arc;

use crate::domain::Domain;
use crate::jobs::Jobs;
use crate::llm::Llm;
use crate::paths::Paths;
use crate::principal::Principal;
use crate::remote::{Remote, RemoteState};
use crate::store::Store;

pub struct Ctx {
    pub(crate) domain: Arc<Domain>,
    pub(crate) store: Arc<Store>,
    pub(crate) llm: Arc<Llm>,
    pub(crate) jobs: Jobs,
    pub(crate) paths: Paths,
    /// Who is acting. Passed explicitly to every query over owned data.
    pub(crate) principal: Principal,
    /// The connection to the sync project: session, key set, token checks, breaker, the one-sync lock.
    pub(crate) remote: RemoteState,
    /// Set once the knowledge base has been prepared in this process (see [`Knowledge::prepare`]).
    pub(crate) kb_ready: tokio::sync::OnceCell<()>,
}

impl Ctx {
    /// The connection to the sync project, for one request.
    pub(crate) fn remote(&self) -> Remote<'_> {
        Remote {
            state: &self.remote,
            store: &self.store,
            principal: &self.principal,
            secrets: self.llm.secrets(),
        }
    }
}
