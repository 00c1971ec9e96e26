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
mod local;

use std::sync::atomic::Ordering;

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::remote::{gotrue, link, now_s, Remote, REFRESH_MARGIN_S};
use dto::*;

/// The account capability.
pub struct Account<'a> {
    ctx: &'a Ctx,
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn account(&self) -> Account<'_> {
        Account::new(self)
    }
}

impl<'a> Account<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Account { ctx }
    }

    fn remote(&self) -> Remote<'_> {
        self.ctx.remote()
    }

    /// What signing in would bring to an account: the synced rows on this computer.
    pub async fn local_data(&self) -> Result<LocalData> {
        let who = self.ctx.principal.clone();
        self.ctx
            .store
            .read(move |c| local::local_data(c, &who))
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
            gotrue::password(self.remote().state.http(), &project, &email, &req.password).await?;
        let claims = self
            .remote()
            .verify(&project, &session.access_token)
            .await?;
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
            let _ =
                gotrue::logout(self.remote().state.http(), &project, &session.access_token).await;
            return Err(Error::AccountMismatch {
                linked: local.linked_email.unwrap_or_default(),
            });
        }
        self.remote().store_session(Some(session.clone())).await?;
        let (url, key, mail) = (
            project.url.clone(),
            project.public_key.clone(),
            session.email.clone(),
        );
        self.ctx
            .store
            .write(move |c| link::link(c, &who, &url, &key, &user_id, &mail))
            .await?;
        self.remote().forget_link();
        tracing::info!(user = %session.user_id, "signed in to the sync project");
        self.status().await
    }

    /// Signs out: the session is revoked on the server (when it can be reached) and removed from the
    /// keychain. Local data stays readable here; syncing stops until someone signs in again.
    pub async fn sign_out(&self) -> Result<AccountStatus> {
        let link = self.remote().link().await?;
        if let Some(link) = &link {
            if let Some(s) = self.remote().session().await? {
                if let Err(e) =
                    gotrue::logout(self.remote().state.http(), &link.project(), &s.access_token)
                        .await
                {
                    tracing::warn!(error = %e, "the project could not be told about the sign-out");
                }
            }
        }
        self.remote().store_session(None).await?;
        self.ctx
            .store
            .write(|c| link::set_signed_in(c, false, None))
            .await?;
        self.remote().forget_link();
        self.remote().state.keys.clear();
        tracing::info!("signed out of the sync project");
        self.status().await
    }

    /// Who is signed in and the token's state.
    pub async fn status(&self) -> Result<AccountStatus> {
        let link = self.remote().link().await?;
        let session = match &link {
            Some(l) if l.signed_in => self.remote().session().await?,
            _ => None,
        };
        let st = &self.ctx.remote;
        let checks = st.checks.load(Ordering::Relaxed);
        let network = st.network_checks.load(Ordering::Relaxed);
        let (key_set_age_s, key_ids) = st.keys.describe();
        let token = TokenState {
            state: match &session {
                None => TokenStatus::None,
                Some(s) if s.expires_at <= now_s() => TokenStatus::Expired,
                Some(s) if s.expires_at - now_s() < REFRESH_MARGIN_S => TokenStatus::RefreshSoon,
                Some(_) => TokenStatus::Valid,
            },
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
        self.remote().access_token().await?;
        self.status().await
    }

    /// Forgets the cached key set and token checks, and reads the session from the keychain again: the next
    /// token check starts from scratch (Diagnostics → "Invalidate").
    pub async fn invalidate(&self) -> Result<AccountStatus> {
        self.remote().state.keys.clear();
        self.remote().forget_link();
        *crate::util::lock(&self.ctx.remote.session) = None;
        self.status().await
    }

    /// Checks that the token is valid, refreshing it when it is about to expire. While it is valid and was
    /// checked before, this is all in memory: no network, no database.
    pub async fn ensure_token(&self) -> Result<()> {
        self.ctx.remote().access_token().await.map(|_| ())
    }
}
