//! Supabase Auth (GoTrue) over HTTP: password and refresh-token grants, logout, the current user, and the
//! published key set. Every request carries the project's `apikey` header.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::link::Project;
use crate::error::{Error, Result};

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

/// The largest answer read from the auth server.
const MAX_BODY: usize = 256 * 1024;

fn unreachable(e: &reqwest::Error) -> Error {
    Error::SyncUnreachable {
        message: if e.is_timeout() {
            "The project did not answer in time.".into()
        } else {
            "The project cannot be reached; check the address and the network.".into()
        },
        retry_after_ms: None,
    }
}

/// A response body as JSON, bounded.
async fn body(resp: reqwest::Response) -> Result<(u16, Option<u64>, Value)> {
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let bytes = resp.bytes().await.map_err(|e| unreachable(&e))?;
    if bytes.len() > MAX_BODY {
        return Err(Error::SyncRefused(format!(
            "the project answered with {} bytes, more than {MAX_BODY}",
            bytes.len()
        )));
    }
    Ok((
        status,
        retry,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// The reason in an auth error body (GoTrue has used `msg`, `error_description`, `message` and `error`).
pub(crate) fn reason(v: &Value) -> String {
    ["msg", "error_description", "message", "error"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .map(crate::domain::truncate_for_message)
        .unwrap_or_else(|| "no reason given".into())
}

fn server_trouble(status: u16, retry: Option<u64>) -> Error {
    Error::SyncUnreachable {
        message: if status == 429 {
            "The project is limiting requests; Compilar will try again.".into()
        } else {
            format!("The project's server had a problem (HTTP {status}).")
        },
        retry_after_ms: retry.map(|s| s.saturating_mul(1000)),
    }
}

fn session_of(v: &Value) -> Result<Session> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(access_token), Some(refresh_token)) = (s("access_token"), s("refresh_token")) else {
        return Err(Error::SyncRefused(
            "the sign-in answer has no tokens".into(),
        ));
    };
    let expires_at = v
        .get("expires_at")
        .and_then(Value::as_i64)
        .or_else(|| {
            v.get("expires_in")
                .and_then(Value::as_i64)
                .map(|n| chrono::Utc::now().timestamp() + n)
        })
        .ok_or_else(|| Error::SyncRefused("the sign-in answer has no expiry".into()))?;
    let user = v.get("user").cloned().unwrap_or(Value::Null);
    let user_id = user
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::SyncRefused("the sign-in answer names no user".into()))?;
    if access_token.len() > 16_000 || refresh_token.len() > 4_000 {
        return Err(Error::SyncRefused(
            "the sign-in answer's tokens are too long".into(),
        ));
    }
    Ok(Session {
        access_token,
        refresh_token,
        expires_at,
        user_id: crate::util::parse_id(user_id)?.to_string(),
        email: user
            .get("email")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    })
}

/// `POST /auth/v1/token?grant_type=password`.
pub(crate) async fn password(
    http: &reqwest::Client,
    p: &Project,
    email: &str,
    password: &str,
) -> Result<Session> {
    let resp = http
        .post(p.auth("/token?grant_type=password"))
        .header("apikey", &p.public_key)
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    let (status, retry, v) = body(resp).await?;
    match status {
        200 => session_of(&v),
        400 | 401 | 403 | 422 => Err(Error::SignInFailed(reason(&v))),
        404 => Err(Error::SyncRefused(
            "this address has no Supabase Auth (check the project address)".into(),
        )),
        _ => Err(server_trouble(status, retry)),
    }
}

/// `POST /auth/v1/token?grant_type=refresh_token`. A refused refresh token ends the session.
pub(crate) async fn refresh(
    http: &reqwest::Client,
    p: &Project,
    refresh_token: &str,
) -> Result<Session> {
    let resp = http
        .post(p.auth("/token?grant_type=refresh_token"))
        .header("apikey", &p.public_key)
        .json(&serde_json::json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    let (status, retry, v) = body(resp).await?;
    match status {
        200 => session_of(&v),
        400 | 401 | 403 | 404 | 422 => {
            tracing::warn!(status, reason = %reason(&v), "the refresh token was refused");
            Err(Error::SessionExpired)
        }
        _ => Err(server_trouble(status, retry)),
    }
}

/// `POST /auth/v1/logout`: revokes the session on the server.
pub(crate) async fn logout(http: &reqwest::Client, p: &Project, access_token: &str) -> Result<()> {
    let resp = http
        .post(p.auth("/logout"))
        .header("apikey", &p.public_key)
        .bearer_auth(access_token)
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    let status = resp.status().as_u16();
    if status < 300 || status == 401 || status == 403 || status == 404 {
        // Gone already counts as signed out.
        return Ok(());
    }
    Err(server_trouble(status, None))
}

/// `GET /auth/v1/user`: the server's own check of a token (for projects that publish no keys).
pub(crate) async fn user(http: &reqwest::Client, p: &Project, access_token: &str) -> Result<Value> {
    let resp = http
        .get(p.auth("/user"))
        .header("apikey", &p.public_key)
        .bearer_auth(access_token)
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    let (status, retry, v) = body(resp).await?;
    match status {
        200 => Ok(v),
        401 | 403 => Err(Error::SessionExpired),
        _ => Err(server_trouble(status, retry)),
    }
}

/// `GET /auth/v1/.well-known/jwks.json`.
pub(crate) async fn jwks(http: &reqwest::Client, p: &Project) -> Result<jsonwebtoken::jwk::JwkSet> {
    let resp = http
        .get(p.auth("/.well-known/jwks.json"))
        .header("apikey", &p.public_key)
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    let (status, retry, v) = body(resp).await?;
    match status {
        200 => serde_json::from_value(v)
            .map_err(|e| Error::SyncRefused(format!("the project's key set cannot be read: {e}"))),
        404 => Ok(jsonwebtoken::jwk::JwkSet { keys: Vec::new() }),
        _ => Err(server_trouble(status, retry)),
    }
}
