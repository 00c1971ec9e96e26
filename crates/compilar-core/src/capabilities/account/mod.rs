//! Signing in to a Supabase project (Supabase Auth, GoTrue): password sign-in, sign-out, who is signed in,
//! and the access token every sync request carries.
//!
//! - Tokens live in the OS keychain (one entry holding the session), never in the database or logs.
//! - A token is checked on this computer: its expiry with a minute's margin, and its signature against the
//!   project's published key set (JWKS, ES256/RS256; cached, fetched again for an unknown key id). A valid
//!   token costs no network call. Projects that sign with a shared secret publish no keys; their tokens are
//!   checked once with the server (`GET /auth/v1/user`) and then trusted until they expire.
//! - Refreshing is single-flight, and the new refresh token is stored before the new access token is used
//!   (Supabase rotates refresh tokens: each one works once). A refused refresh ("Invalid Refresh Token") ends
//!   the session: sign in again; everything waiting to sync stays queued.

pub mod dto;
pub(crate) mod gotrue;
pub(crate) mod link;
pub(crate) mod token;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use dto::*;
pub(crate) use link::Link;

/// The keychain entry that held the session before entries were per data folder (read once and moved).
const LEGACY_SESSION_ENTRY: &str = "sync-session";
/// Refresh when less than this is left.
pub const REFRESH_MARGIN_S: i64 = 60;

/// A signed-in session as kept in the keychain.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Session {
    pub access_token: String,
    pub refresh_token: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub user_id: String,
    pub email: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The account's state in memory (shared by every handle of one app).
pub(crate) struct AuthState {
    http: reqwest::Client,
    /// The session read from the keychain (`Some(None)`: known to be absent).
    session: Mutex<Option<Option<Session>>>,
    refresh: tokio::sync::Mutex<()>,
    /// The `sync_account` row as last read (`Some(None)`: not linked), forgotten by every change to it.
    link: Mutex<Option<Option<Link>>>,
    /// Bumped by every change to the link: a read that started before a change is not cached.
    link_gen: AtomicU64,
    keys: token::KeyCache,
    checks: AtomicU64,
    network_checks: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl AuthState {
    pub(crate) fn new() -> Result<AuthState> {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("Compilar/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Internal(format!("HTTP client: {e}")))?;
        Ok(AuthState {
            http,
            session: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
            link: Mutex::new(None),
            link_gen: AtomicU64::new(0),
            keys: token::KeyCache::default(),
            checks: AtomicU64::new(0),
            network_checks: AtomicU64::new(0),
        })
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

/// The account capability.
pub struct Account<'a> {
    ctx: &'a Ctx,
}

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

impl<'a> Account<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Account { ctx }
    }

    fn state(&self) -> &AuthState {
        &self.ctx.auth
    }

    /// What signing in would bring to an account: the synced rows on this computer.
    pub async fn local_data(&self) -> Result<LocalData> {
        let who = self.ctx.principal.clone();
        self.ctx
            .store
            .read(move |c| link::local_data(c, &who))
            .await
    }

    /// Signs in with email and password. The first sign-in in a data folder links it to the account; every
    /// synced row already here is queued to be pushed (which needs `adopt_local` when there is any).
    pub async fn sign_in(&self, req: SignInRequest) -> Result<AccountStatus> {
        let project = link::Project::parse(&req.project_url, &req.public_key)?;
        let email = link::check_email(&req.email)?;
        if req.password.is_empty() {
            return Err(Error::EmptyInput("Type your password.".into()));
        }
        if req.password.len() > 1024 {
            return Err(Error::PayloadTooLarge {
                what: "password",
                max: 1024,
                unit: "bytes",
            });
        }
        let local = self.local_data().await?;
        if let Some(linked) = &local.linked_email {
            if !linked.eq_ignore_ascii_case(&email) {
                return Err(Error::AccountMismatch {
                    linked: linked.clone(),
                });
            }
        } else if local.total > 0 && !req.adopt_local {
            return Err(Error::LocalDataNeedsConsent {
                assessments: local.assessments,
                total: local.total,
            });
        }
        let session =
            gotrue::password(self.state().http(), &project, &email, &req.password).await?;
        let claims = self.verify(&project, &session.access_token).await?;
        if claims.sub != session.user_id {
            return Err(Error::SignInFailed(
                "the project's answer does not match its token".into(),
            ));
        }
        // The same address may belong to another user id (an account deleted and made again): compare ids.
        let who = self.ctx.principal.clone();
        let user_id = session.user_id.clone();
        let linked_user = self.ctx.store.read(link::linked_user).await?;
        if linked_user.as_deref().is_some_and(|u| u != user_id) {
            let _ = gotrue::logout(self.state().http(), &project, &session.access_token).await;
            return Err(Error::AccountMismatch {
                linked: local.linked_email.unwrap_or_default(),
            });
        }
        self.store_session(Some(session.clone())).await?;
        let (url, key, mail) = (
            project.url.clone(),
            project.public_key.clone(),
            session.email.clone(),
        );
        self.ctx
            .store
            .write(move |c| link::link(c, &who, &url, &key, &user_id, &mail))
            .await?;
        self.forget_link();
        tracing::info!(user = %session.user_id, "signed in to the sync project");
        self.status().await
    }

    /// Signs out: the session is revoked on the server (when it can be reached) and removed from the
    /// keychain. Local data stays readable here; syncing stops until someone signs in again.
    pub async fn sign_out(&self) -> Result<AccountStatus> {
        let link = self.link().await?;
        if let Some(link) = &link {
            if let Some(s) = self.session().await? {
                if let Err(e) =
                    gotrue::logout(self.state().http(), &link.project(), &s.access_token).await
                {
                    tracing::warn!(error = %e, "the project could not be told about the sign-out");
                }
            }
        }
        self.store_session(None).await?;
        self.ctx
            .store
            .write(|c| link::set_signed_in(c, false, None))
            .await?;
        self.forget_link();
        self.state().keys.clear();
        tracing::info!("signed out of the sync project");
        self.status().await
    }

    /// Who is signed in and the token's state.
    pub async fn status(&self) -> Result<AccountStatus> {
        let link = self.link().await?;
        let session = match &link {
            Some(l) if l.signed_in => self.session().await?,
            _ => None,
        };
        let st = self.state();
        let checks = st.checks.load(Ordering::Relaxed);
        let network = st.network_checks.load(Ordering::Relaxed);
        let (key_set_age_s, key_ids) = st.keys.describe();
        let token = TokenState {
            state: match &session {
                None => "none",
                Some(s) if s.expires_at <= now_s() => "expired",
                Some(s) if s.expires_at - now_s() < REFRESH_MARGIN_S => "refresh_soon",
                Some(_) => "valid",
            }
            .to_owned(),
            expires_in_s: session.as_ref().map(|s| s.expires_at - now_s()),
            verified: session
                .as_ref()
                .and_then(|s| st.keys.verified_how(&s.access_token))
                .map(str::to_owned),
            checks,
            network_checks: network,
            hit_rate: (checks > 0).then(|| (checks - network.min(checks)) as f64 / checks as f64),
            key_set_age_s,
            key_ids,
        };
        Ok(AccountStatus {
            signed_in: session.is_some(),
            linked: link.is_some(),
            email: link.as_ref().map(|l| l.email.clone()),
            user_id: link.as_ref().map(|l| l.user_id.clone()),
            project_url: link.as_ref().map(|l| l.project_url.clone()),
            public_key: link.as_ref().map(|l| l.public_key.clone()),
            device_id: link.as_ref().map(|l| l.device_id.clone()),
            session_ended: link.as_ref().is_some_and(|l| {
                !l.signed_in && l.last_error_code.as_deref() == Some("session_expired")
            }),
            token,
        })
    }

    /// Checks the token now (refreshing it when it is about to expire) and says where it stands.
    pub async fn check(&self) -> Result<AccountStatus> {
        self.access_token().await?;
        self.status().await
    }

    /// Forgets the cached key set and token checks, and reads the session from the keychain again: the next
    /// token check starts from scratch (Diagnostics → "Invalidate").
    pub async fn invalidate(&self) -> Result<AccountStatus> {
        self.state().keys.clear();
        self.forget_link();
        *lock(&self.state().session) = None;
        self.status().await
    }

    /// The link of this data folder to an account (`None`: never signed in here), from memory after the
    /// first read.
    pub(crate) async fn link(&self) -> Result<Option<Link>> {
        if let Some(l) = lock(&self.state().link).clone() {
            return Ok(l);
        }
        let generation = self.state().link_gen.load(Ordering::SeqCst);
        let l = self.ctx.store.read(link::read).await?;
        let mut cached = lock(&self.state().link);
        if self.state().link_gen.load(Ordering::SeqCst) == generation {
            *cached = Some(l.clone());
        }
        Ok(l)
    }

    fn forget_link(&self) {
        let mut cached = lock(&self.state().link);
        self.state().link_gen.fetch_add(1, Ordering::SeqCst);
        *cached = None;
    }

    /// Checks that the token is valid, refreshing it when it is about to expire. While it is valid and was
    /// checked before, this is all in memory: no network, no database.
    pub async fn ensure_token(&self) -> Result<()> {
        self.access_token().await.map(|_| ())
    }

    /// Records how a sync ended: `None` when it worked, else the error payload as JSON.
    pub(crate) async fn record_sync(&self, error: Option<String>) -> Result<()> {
        let r = self
            .ctx
            .store
            .write(move |c| link::record_sync(c, error.as_deref()))
            .await;
        self.forget_link();
        r
    }

    /// The session from memory, or from the keychain the first time (blocking read off the async threads).
    async fn session(&self) -> Result<Option<Session>> {
        if let Some(s) = lock(&self.state().session).clone() {
            return Ok(s);
        }
        let secrets = Arc::clone(self.ctx.llm.secrets());
        let entry = self.session_entry();
        let raw = tokio::task::spawn_blocking(move || secrets.secret(&entry)).await??;
        let mut s = raw.and_then(|r| serde_json::from_str::<Session>(&r).ok());
        if s.is_none() {
            s = self.legacy_session().await?;
        }
        *lock(&self.state().session) = Some(s.clone());
        Ok(s)
    }

    /// The keychain entry that holds this data folder's session (access and refresh token together, so they
    /// change at once). One per data folder (by its local profile's id): two folders signed in to two accounts
    /// on one computer keep two sessions.
    fn session_entry(&self) -> String {
        format!("sync-session:{}", self.ctx.principal.owner())
    }

    /// A session kept under the entry of earlier releases, when it is this folder's account's: moved to this
    /// folder's entry.
    async fn legacy_session(&self) -> Result<Option<Session>> {
        let Some(link) = self.link().await? else {
            return Ok(None);
        };
        let secrets = Arc::clone(self.ctx.llm.secrets());
        let raw =
            tokio::task::spawn_blocking(move || secrets.secret(LEGACY_SESSION_ENTRY)).await??;
        let Some(old) = raw.and_then(|r| serde_json::from_str::<Session>(&r).ok()) else {
            return Ok(None);
        };
        if old.user_id != link.user_id {
            return Ok(None);
        }
        self.store_session(Some(old.clone())).await?;
        let secrets = Arc::clone(self.ctx.llm.secrets());
        tokio::task::spawn_blocking(move || secrets.remove_secret(LEGACY_SESSION_ENTRY)).await??;
        Ok(Some(old))
    }

    /// Stores (or removes) the session in the keychain first, then in memory.
    async fn store_session(&self, s: Option<Session>) -> Result<()> {
        let secrets = Arc::clone(self.ctx.llm.secrets());
        let raw = match &s {
            Some(s) => Some(
                serde_json::to_string(s).map_err(|e| Error::Internal(format!("session: {e}")))?,
            ),
            None => None,
        };
        let entry = self.session_entry();
        tokio::task::spawn_blocking(move || match raw {
            Some(r) => secrets.set_secret(&entry, &r),
            None => secrets.remove_secret(&entry),
        })
        .await??;
        *lock(&self.state().session) = Some(s);
        Ok(())
    }

    /// Checks a token's signature and claims (from the cache when it was checked before).
    async fn verify(&self, project: &link::Project, tok: &str) -> Result<token::Claims> {
        let st = self.state();
        st.checks.fetch_add(1, Ordering::Relaxed);
        if let Some(c) = st.keys.verified(tok) {
            return Ok(c);
        }
        let (claims, network) = token::verify(&st.keys, st.http(), project, tok).await?;
        if network {
            st.network_checks.fetch_add(1, Ordering::Relaxed);
        }
        Ok(claims)
    }

    /// A valid access token for the linked project, refreshed first when it is about to expire. No network
    /// call while the token is valid and checked.
    pub(crate) async fn access_token(&self) -> Result<(String, Link)> {
        let link = self.link().await?.ok_or(Error::NotSignedIn)?;
        if !link.signed_in {
            return Err(Error::NotSignedIn);
        }
        let s = self.session().await?.ok_or(Error::NotSignedIn)?;
        if s.expires_at - now_s() < REFRESH_MARGIN_S {
            let s = self.refresh(&link, &s.access_token).await?;
            return Ok((s.access_token, link));
        }
        self.verify(&link.project(), &s.access_token).await?;
        Ok((s.access_token, link))
    }

    /// A new access token after the server refused `rejected` (HTTP 401): refreshes once.
    pub(crate) async fn refreshed_token(&self, rejected: &str) -> Result<(String, Link)> {
        let link = self.link().await?.ok_or(Error::NotSignedIn)?;
        let s = self.refresh(&link, rejected).await?;
        Ok((s.access_token, link))
    }

    /// Single-flight refresh: whoever waited while another refresh ran gets that one's session.
    async fn refresh(&self, link: &Link, stale: &str) -> Result<Session> {
        let _one = self.state().refresh.lock().await;
        let current = self.session().await?.ok_or(Error::NotSignedIn)?;
        if current.access_token != stale && current.expires_at - now_s() >= REFRESH_MARGIN_S {
            return Ok(current);
        }
        let project = link.project();
        match gotrue::refresh(self.state().http(), &project, &current.refresh_token).await {
            Ok(next) => {
                // The old refresh token is spent: the new one is kept before anything uses the new access token.
                self.store_session(Some(next.clone())).await?;
                self.verify(&project, &next.access_token).await?;
                tracing::info!("sync session refreshed");
                Ok(next)
            }
            Err(Error::SessionExpired) => {
                self.store_session(None).await?;
                let payload = serde_json::to_string(&Error::SessionExpired.payload()).ok();
                self.ctx
                    .store
                    .write(move |c| link::set_signed_in(c, false, payload.as_deref()))
                    .await?;
                self.forget_link();
                tracing::warn!("the sync session ended; sign in again");
                Err(Error::SessionExpired)
            }
            Err(e) => Err(e),
        }
    }
}
