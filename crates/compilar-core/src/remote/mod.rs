//! The connection to the sync project (a Supabase project), on the infrastructure floor: every capability
//! that talks to the project (account, sync, teams) goes through it.
//!
//! - [`link`]: which project and account this data folder is linked to (the `sync_account` row).
//! - [`session`]: the signed-in session in the keychain and memory; tokens checked here ([`token`]: expiry
//!   with a minute's margin, the signature against the project's key set) and refreshed single-flight.
//! - [`gotrue`]: Supabase Auth over HTTP.
//! - [`client`]: calls to the project's functions, with the breaker, retries and one refresh on 401.

pub(crate) mod client;
pub(crate) mod gotrue;
pub(crate) mod link;
pub(crate) mod session;
pub(crate) mod token;

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};

pub(crate) use gotrue::Session;
pub(crate) use link::Link;

use crate::error::{Error, Result};
use crate::llm::{Clock, Secrets};
use crate::principal::Principal;
use crate::resilience::breaker::{BreakerConfig, CircuitBreaker};
use crate::store::Store;

/// Refresh when less than this is left.
pub const REFRESH_MARGIN_S: i64 = 60;

pub(crate) fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The connection's state in memory (shared by every handle of one app).
pub(crate) struct RemoteState {
    http: reqwest::Client,
    /// The session read from the keychain (`Some(None)`: known to be absent).
    pub(crate) session: Mutex<Option<Option<Session>>>,
    pub(crate) refresh: tokio::sync::Mutex<()>,
    /// The `sync_account` row as last read (`Some(None)`: not linked), forgotten by every change to it.
    pub(crate) link: Mutex<Option<Option<Link>>>,
    /// Bumped by every change to the link: a read that started before a change is not cached.
    pub(crate) link_gen: AtomicU64,
    pub(crate) keys: token::KeyCache,
    pub(crate) checks: AtomicU64,
    pub(crate) network_checks: AtomicU64,
    /// The project's circuit breaker (every call: sync, teams, account checks).
    breaker: Arc<CircuitBreaker>,
    /// One sync at a time in this process, and whether one is running now.
    pub(crate) sync_running: tokio::sync::Mutex<()>,
    pub(crate) sync_busy: AtomicBool,
}

impl RemoteState {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Result<RemoteState> {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("Compilar/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Internal(format!("HTTP client: {e}")))?;
        Ok(RemoteState {
            http,
            session: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
            link: Mutex::new(None),
            link_gen: AtomicU64::new(0),
            keys: token::KeyCache::default(),
            checks: AtomicU64::new(0),
            network_checks: AtomicU64::new(0),
            breaker: CircuitBreaker::new("sync", BreakerConfig::default(), clock),
            sync_running: tokio::sync::Mutex::new(()),
            sync_busy: AtomicBool::new(false),
        })
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

/// The connection, as one request sees it: its state, the store holding the link, who is acting and the
/// keychain. Made by [`crate::ctx::Ctx::remote`].
pub(crate) struct Remote<'a> {
    pub(crate) state: &'a RemoteState,
    pub(crate) store: &'a Store,
    pub(crate) principal: &'a Principal,
    pub(crate) secrets: &'a Arc<Secrets>,
}
