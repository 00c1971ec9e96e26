//! The signed-in session: kept in the keychain (one entry per data folder) and in memory, its token checked
//! on this computer and refreshed single-flight; and the link of this data folder to its account.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::gotrue::{self, Session};
use super::link::{self, Link, Project};
use super::{now_s, token, Remote, REFRESH_MARGIN_S};
use crate::error::{Error, Result};
use crate::util::lock;

/// The keychain entry that held the session before entries were per data folder (read once and moved).
const LEGACY_SESSION_ENTRY: &str = "sync-session";

impl Remote<'_> {
    /// The link of this data folder to an account (`None`: never signed in here), from memory after the
    /// first read.
    pub(crate) async fn link(&self) -> Result<Option<Link>> {
        if let Some(l) = lock(&self.state.link).clone() {
            return Ok(l);
        }
        let generation = self.state.link_gen.load(Ordering::SeqCst);
        let l = self.store.read(link::read).await?;
        let mut cached = lock(&self.state.link);
        if self.state.link_gen.load(Ordering::SeqCst) == generation {
            *cached = Some(l.clone());
        }
        Ok(l)
    }

    pub(crate) fn forget_link(&self) {
        let mut cached = lock(&self.state.link);
        self.state.link_gen.fetch_add(1, Ordering::SeqCst);
        *cached = None;
    }

    /// Records how a sync ended: `None` when it worked, else the error payload as JSON.
    pub(crate) async fn record_sync(&self, error: Option<String>) -> Result<()> {
        let r = self
            .store
            .write(move |c| link::record_sync(c, error.as_deref()))
            .await;
        self.forget_link();
        r
    }

    /// The session from memory, or from the keychain the first time (blocking read off the async threads).
    pub(crate) async fn session(&self) -> Result<Option<Session>> {
        if let Some(s) = lock(&self.state.session).clone() {
            return Ok(s);
        }
        let secrets = Arc::clone(self.secrets);
        let entry = self.session_entry();
        let raw = tokio::task::spawn_blocking(move || secrets.secret(&entry)).await??;
        let mut s = raw.and_then(|r| serde_json::from_str::<Session>(&r).ok());
        if s.is_none() {
            s = self.legacy_session().await?;
        }
        *lock(&self.state.session) = Some(s.clone());
        Ok(s)
    }

    /// The keychain entry that holds this data folder's session (access and refresh token together, so they
    /// change at once). One per data folder (by its local profile's id): two folders signed in to two accounts
    /// on one computer keep two sessions.
    fn session_entry(&self) -> String {
        format!("sync-session:{}", self.principal.owner())
    }

    /// A session kept under the entry of earlier releases, when it is this folder's account's: moved to this
    /// folder's entry.
    async fn legacy_session(&self) -> Result<Option<Session>> {
        let Some(link) = self.link().await? else {
            return Ok(None);
        };
        let secrets = Arc::clone(self.secrets);
        let raw =
            tokio::task::spawn_blocking(move || secrets.secret(LEGACY_SESSION_ENTRY)).await??;
        let Some(old) = raw.and_then(|r| serde_json::from_str::<Session>(&r).ok()) else {
            return Ok(None);
        };
        if old.user_id != link.user_id {
            return Ok(None);
        }
        self.store_session(Some(old.clone())).await?;
        let secrets = Arc::clone(self.secrets);
        tokio::task::spawn_blocking(move || secrets.remove_secret(LEGACY_SESSION_ENTRY)).await??;
        Ok(Some(old))
    }

    /// Stores (or removes) the session in the keychain first, then in memory.
    pub(crate) async fn store_session(&self, s: Option<Session>) -> Result<()> {
        let secrets = Arc::clone(self.secrets);
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
        *lock(&self.state.session) = Some(s);
        Ok(())
    }

    /// Checks a token's signature and claims (from the cache when it was checked before).
    pub(crate) async fn verify(&self, project: &Project, tok: &str) -> Result<token::Claims> {
        let st = self.state;
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
        let _one = self.state.refresh.lock().await;
        let current = self.session().await?.ok_or(Error::NotSignedIn)?;
        if current.access_token != stale && current.expires_at - now_s() >= REFRESH_MARGIN_S {
            return Ok(current);
        }
        let project = link.project();
        match gotrue::refresh(self.state.http(), &project, &current.refresh_token).await {
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
                self.store
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
