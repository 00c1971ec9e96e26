//! Calls to the project's functions (PostgREST RPC): the access token refreshed once on 401, transient
//! failures (network, 408, 429, 5xx) retried with backoff and jitter, honouring `Retry-After`, behind one
//! circuit breaker for the project; answers bounded in size.

use std::time::Duration;

use serde_json::Value;

use super::Remote;
use crate::error::{Error, Result};
use crate::llm::LlmErrorKind;
use crate::resilience::breaker::Outcome;

/// Tries of one request before a call gives up for now.
pub const ATTEMPTS: u32 = 3;
/// The longest wait between tries that a server may ask for with `Retry-After`.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// The largest answer read from the project (a pull of every table, each page at most about 4 MB and one row,
/// stays below).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// How one request ended.
enum Sent {
    Ok(Value),
    Unauthorised,
    /// Any other answer but 2xx: its status and body (PostgREST's `{code, message, …}`).
    Refused {
        status: u16,
        body: Value,
        retry_after_ms: Option<u64>,
    },
}

/// Maps a refusal a caller understands (a team function's own error codes) to its error; `None`: the usual
/// handling (transient ones retried).
pub(crate) type Refusal = dyn Fn(u16, &Value) -> Option<Error> + Send + std::marker::Sync;

pub(crate) fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.subsec_nanos())
        .unwrap_or(0);
    // Up to half as long again.
    d + d.mul_f64(f64::from(nanos % 1000) / 2000.0)
}

impl Remote<'_> {
    /// One RPC, with the token refreshed once on 401 and transient failures retried with backoff.
    pub(crate) async fn call(&self, path: &str, body: &Value) -> Result<Value> {
        self.call_as(path, body, &|_, _| None).await
    }

    /// [`Remote::call`], where `refusal` first maps the answers its caller understands (they are not retried).
    pub(crate) async fn call_as(
        &self,
        path: &str,
        body: &Value,
        refusal: &Refusal,
    ) -> Result<Value> {
        let (mut token, link) = self.access_token().await?;
        let url = link.project().rest(path);
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let permit = self.state.breaker.acquire().map_err(|r| Error::SyncUnreachable {
                message: "Sync is paused after repeated failures to reach the project; it tries again by itself."
                    .into(),
                retry_after_ms: r.retry_after.map(|d| d.as_millis() as u64),
            })?;
            let failed = match self.send(&url, &link.public_key, &token, body).await {
                Ok(Sent::Ok(v)) => {
                    permit.record(Outcome::Success);
                    return Ok(v);
                }
                Ok(Sent::Unauthorised) => {
                    permit.record(Outcome::Success);
                    if refreshed {
                        return Err(Error::SessionExpired);
                    }
                    refreshed = true;
                    token = self.refreshed_token(&token).await?.0;
                    continue;
                }
                Ok(Sent::Refused {
                    status,
                    body: answer,
                    retry_after_ms,
                }) => match refusal(status, &answer) {
                    Some(e) => {
                        permit.record(Outcome::Success);
                        return Err(e);
                    }
                    None => refused(status, &answer, retry_after_ms),
                },
                Err(e) => e,
            };
            match failed {
                e @ Error::SyncUnreachable { .. } => {
                    let (kind, wait) = match &e {
                        Error::SyncUnreachable {
                            retry_after_ms: Some(ms),
                            ..
                        } => (LlmErrorKind::RateLimited, Some(Duration::from_millis(*ms))),
                        _ => (LlmErrorKind::Network, None),
                    };
                    permit.record(Outcome::Failure {
                        kind,
                        message: e.to_string(),
                        retry_after: wait,
                    });
                    if attempt >= ATTEMPTS {
                        return Err(e);
                    }
                    let backoff = Duration::from_millis(500 * (1 << (attempt - 1)));
                    let wait = wait.map_or(jitter(backoff), |w| w.min(MAX_RETRY_WAIT));
                    tracing::info!(
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "sync request failed; trying again"
                    );
                    tokio::time::sleep(wait).await;
                }
                e => {
                    permit.record(Outcome::Success);
                    return Err(e);
                }
            }
        }
    }

    async fn send(&self, url: &str, key: &str, token: &str, body: &Value) -> Result<Sent> {
        let unreachable = |e: reqwest::Error| Error::SyncUnreachable {
            message: if e.is_timeout() {
                "The sync project did not answer in time.".into()
            } else {
                "The sync project cannot be reached.".into()
            },
            retry_after_ms: None,
        };
        let resp = self
            .state
            .http()
            .post(url)
            .header("apikey", key)
            .bearer_auth(token)
            .header("Accept", "application/json")
            .json(body)
            .timeout(Duration::from_secs(120))
            .send()
            .await
            .map_err(unreachable)?;
        let status = resp.status().as_u16();
        let retry = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            return Err(Error::SyncRefused(
                "the project's answer is too large".into(),
            ));
        }
        let bytes = resp.bytes().await.map_err(unreachable)?;
        if bytes.len() > MAX_BODY {
            return Err(Error::SyncRefused(
                "the project's answer is too large".into(),
            ));
        }
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(match status {
            200..=299 => Sent::Ok(v),
            401 => Sent::Unauthorised,
            _ => Sent::Refused {
                status,
                body: v,
                retry_after_ms: retry.map(|s| s.saturating_mul(1000)),
            },
        })
    }
}

/// The usual meaning of an answer that is neither 2xx nor 401.
fn refused(status: u16, body: &Value, retry_after_ms: Option<u64>) -> Error {
    match status {
        404 => Error::SyncRefused(
            "this project has no Compilar sync tables or team functions yet (apply supabase/migrations to it)"
                .into(),
        ),
        408 | 429 | 500..=599 => Error::SyncUnreachable {
            message: if status == 429 {
                "The sync project is limiting requests; Compilar tries again shortly.".into()
            } else {
                format!("The sync project had a problem (HTTP {status}); Compilar tries again shortly.")
            },
            retry_after_ms,
        },
        _ => Error::SyncRefused(format!(
            "HTTP {status}: {}",
            super::gotrue::reason(body)
        )),
    }
}
