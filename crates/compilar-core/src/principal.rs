//! Who is acting. Every query over owned data takes the principal explicitly, so that sign-in (a Supabase
//! user) and teams (a facilitator acting for a team) plug in here instead of into every capability.

use std::sync::Arc;

/// The acting principal. Today there is one kind: the single local profile that owns everything on this
/// computer until sign-in exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    profile_id: Arc<str>,
}

impl Principal {
    /// The local profile with this id (see `store::profiles::ensure_local`).
    pub(crate) fn local(profile_id: &str) -> Principal {
        Principal {
            profile_id: Arc::from(profile_id),
        }
    }

    /// The profile id that owns the rows this principal writes, and the only owner whose rows it reads.
    pub fn owner(&self) -> &str {
        &self.profile_id
    }
}
