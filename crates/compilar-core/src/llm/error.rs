//! What can go wrong when talking to a model provider, as types.
//!
//! Every provider maps its wire errors to one [`LlmErrorKind`]; the circuit breaker, the fallback chain and the
//! UI all decide on the kind, never on message text.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The kinds of provider failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LlmErrorKind {
    /// 429: the provider asks us to slow down (often with `Retry-After`).
    RateLimited,
    /// 401/403: the key is missing, wrong or lacks access.
    Auth,
    /// The prompt does not fit the model's context window.
    ContextTooLong,
    /// The model does not exist on this provider (or is not pulled on a local server).
    ModelNotFound,
    /// No answer (or no first token) in time, or a stream stalled between tokens.
    Timeout,
    /// 5xx or an `error` event from the provider.
    Server,
    /// Could not connect, connection refused or reset, DNS failure.
    Network,
    /// The reply did not follow the provider's documented format, or a stream ended before it finished.
    Malformed,
    /// The request itself was rejected as invalid (400 other than context length).
    BadRequest,
    /// The user stopped the call.
    Cancelled,
    /// The provider cannot do this (e.g. embeddings on Anthropic).
    Unsupported,
    /// The provider is not set up (no API key).
    NotConfigured,
}

impl LlmErrorKind {
    /// Every kind, in the order docs/errors.md lists them.
    pub const ALL: [LlmErrorKind; 12] = [
        LlmErrorKind::RateLimited,
        LlmErrorKind::Auth,
        LlmErrorKind::ContextTooLong,
        LlmErrorKind::ModelNotFound,
        LlmErrorKind::Timeout,
        LlmErrorKind::Server,
        LlmErrorKind::Network,
        LlmErrorKind::Malformed,
        LlmErrorKind::BadRequest,
        LlmErrorKind::Cancelled,
        LlmErrorKind::Unsupported,
        LlmErrorKind::NotConfigured,
    ];

    /// What docs/errors.md says of this kind: when it happens, whether trying again helps.
    pub fn doc(self) -> (&'static str, &'static str) {
        match self {
            LlmErrorKind::RateLimited => ("the provider answered 429", "yes"),
            LlmErrorKind::Auth => ("the provider rejected the key", "no"),
            LlmErrorKind::ContextTooLong => ("the prompt does not fit the model's context", "no"),
            LlmErrorKind::ModelNotFound => ("the model does not exist there (or is not pulled)", "no"),
            LlmErrorKind::Timeout => ("no answer or first token in time, or a stalled stream", "yes"),
            LlmErrorKind::Server => ("5xx or an `error` event", "yes"),
            LlmErrorKind::Network => ("connection refused, reset, DNS, or a stream cut", "yes"),
            LlmErrorKind::Malformed => (
                "a reply off the documented format, or embeddings of the wrong size, count or with NaN",
                "yes",
            ),
            LlmErrorKind::BadRequest => ("the provider rejected the request (400)", "no"),
            LlmErrorKind::Cancelled => ("the user stopped the work", "no"),
            LlmErrorKind::Unsupported => ("the provider cannot do this", "no"),
            LlmErrorKind::NotConfigured => ("the provider needs a key it does not have", "no"),
        }
    }

    /// Stable machine code (also the error code the UI sees).
    pub fn code(self) -> &'static str {
        match self {
            LlmErrorKind::RateLimited => "provider_rate_limited",
            LlmErrorKind::Auth => "provider_auth",
            LlmErrorKind::ContextTooLong => "context_too_long",
            LlmErrorKind::ModelNotFound => "model_not_found",
            LlmErrorKind::Timeout => "provider_timeout",
            LlmErrorKind::Server => "provider_server_error",
            LlmErrorKind::Network => "provider_unreachable",
            LlmErrorKind::Malformed => "provider_malformed_response",
            LlmErrorKind::BadRequest => "provider_bad_request",
            LlmErrorKind::Cancelled => "cancelled",
            LlmErrorKind::Unsupported => "provider_unsupported",
            LlmErrorKind::NotConfigured => "provider_not_configured",
        }
    }

    /// The failure in a few words for people (the code stays for details lines).
    pub fn words(self) -> &'static str {
        match self {
            LlmErrorKind::RateLimited => "Too many requests: the provider asked to wait",
            LlmErrorKind::Auth => "The key was refused",
            LlmErrorKind::ContextTooLong => "The request was too long for the model",
            LlmErrorKind::ModelNotFound => "The model is not available there",
            LlmErrorKind::Timeout => "No reply in time",
            LlmErrorKind::Server => "The provider had an error",
            LlmErrorKind::Network => "Could not connect",
            LlmErrorKind::Malformed => "The reply could not be read",
            LlmErrorKind::BadRequest => "The provider refused the request",
            LlmErrorKind::Cancelled => "Stopped",
            LlmErrorKind::Unsupported => "Not supported by this provider",
            LlmErrorKind::NotConfigured => "No API key is set",
        }
    }

    /// The kind a stored code names.
    pub fn from_code(code: &str) -> Option<LlmErrorKind> {
        use LlmErrorKind::*;
        [
            RateLimited,
            Auth,
            ContextTooLong,
            ModelNotFound,
            Timeout,
            Server,
            Network,
            Malformed,
            BadRequest,
            Cancelled,
            Unsupported,
            NotConfigured,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }

    /// Whether this failure says the provider is unhealthy (and so counts against its circuit breaker).
    /// Auth, context length, bad requests, missing models and cancellations are the caller's business.
    pub fn is_health_failure(self) -> bool {
        matches!(
            self,
            LlmErrorKind::RateLimited
                | LlmErrorKind::Timeout
                | LlmErrorKind::Server
                | LlmErrorKind::Network
                | LlmErrorKind::Malformed
        )
    }

    /// Whether the same call may succeed later.
    pub fn retryable(self) -> bool {
        self.is_health_failure()
    }

    /// A short human phrase, for lists of attempts.
    pub fn phrase(self) -> &'static str {
        match self {
            LlmErrorKind::RateLimited => "rate limited",
            LlmErrorKind::Auth => "API key rejected",
            LlmErrorKind::ContextTooLong => "prompt too long for the model",
            LlmErrorKind::ModelNotFound => "model not found",
            LlmErrorKind::Timeout => "timed out",
            LlmErrorKind::Server => "server error",
            LlmErrorKind::Network => "not reachable",
            LlmErrorKind::Malformed => "unreadable reply",
            LlmErrorKind::BadRequest => "request rejected",
            LlmErrorKind::Cancelled => "stopped",
            LlmErrorKind::Unsupported => "not supported",
            LlmErrorKind::NotConfigured => "not set up",
        }
    }
}

/// A provider failure: its kind, a sentence for a person, and how long the provider asked us to wait.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LlmError {
    pub kind: LlmErrorKind,
    pub message: String,
    pub retry_after: Option<Duration>,
}

impl LlmError {
    pub fn new(kind: LlmErrorKind, message: impl Into<String>) -> Self {
        LlmError {
            kind,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn with_retry_after(mut self, d: Option<Duration>) -> Self {
        self.retry_after = d;
        self
    }

    pub fn cancelled() -> Self {
        LlmError::new(LlmErrorKind::Cancelled, "Stopped.")
    }

    pub fn malformed(what: impl std::fmt::Display) -> Self {
        LlmError::new(
            LlmErrorKind::Malformed,
            format!("The provider's reply could not be read: {what}."),
        )
    }

    /// The connection ended (cleanly or not) before the provider finished the answer.
    pub fn stream_cut() -> Self {
        LlmError::new(
            LlmErrorKind::Network,
            "The connection ended before the answer was complete.",
        )
    }

    /// Classifies a transport error from reqwest.
    pub fn from_reqwest(e: &reqwest::Error, base_url: &str) -> Self {
        if let Some(limit) = BodyLimit::find(e) {
            limit.to_error()
        } else if e.is_timeout() {
            LlmError::new(
                LlmErrorKind::Timeout,
                format!("{base_url} did not answer in time."),
            )
        } else if e.is_connect() {
            LlmError::new(
                LlmErrorKind::Network,
                format!("Could not connect to {base_url}. Check the address and that the server is running."),
            )
        } else if e.is_decode() {
            LlmError::malformed("the body was not valid")
        } else if e.is_body() || e.is_request() {
            LlmError::new(
                LlmErrorKind::Network,
                format!("The connection to {base_url} broke off."),
            )
        } else {
            LlmError::new(
                LlmErrorKind::Network,
                format!("The request to {base_url} failed."),
            )
        }
    }

    /// Classifies a non-success HTTP status. `detail` is the provider's own error message (already parsed),
    /// `code` its machine error code or type if it sent one.
    pub fn from_status(
        status: u16,
        code: Option<&str>,
        detail: &str,
        retry_after: Option<Duration>,
        model: Option<&str>,
    ) -> Self {
        let detail = shorten(detail);
        let lower = detail.to_ascii_lowercase();
        let code_l = code.unwrap_or("").to_ascii_lowercase();
        let context = code_l.contains("context_length")
            || lower.contains("context length")
            || lower.contains("context_length")
            || lower.contains("prompt is too long")
            || lower.contains("maximum context");
        let kind = match status {
            401 | 403 => LlmErrorKind::Auth,
            404 => LlmErrorKind::ModelNotFound,
            408 | 504 => LlmErrorKind::Timeout,
            413 => LlmErrorKind::ContextTooLong,
            429 => LlmErrorKind::RateLimited,
            400 | 422 if context => LlmErrorKind::ContextTooLong,
            400 | 422 if code_l.contains("model_not_found") => LlmErrorKind::ModelNotFound,
            400..=499 => LlmErrorKind::BadRequest,
            _ => LlmErrorKind::Server,
        };
        let message = match kind {
            LlmErrorKind::Auth => format!("The API key was rejected ({status}): {detail}"),
            LlmErrorKind::ModelNotFound => match model {
                Some(m) => format!("The model \u{201c}{m}\u{201d} is not available: {detail}"),
                None => format!("Not found: {detail}"),
            },
            LlmErrorKind::RateLimited => match retry_after {
                Some(d) => format!(
                    "The provider is rate limiting requests; it asks to wait {}. ({detail})",
                    crate::time::human_duration(d)
                ),
                None => format!("The provider is rate limiting requests. ({detail})"),
            },
            LlmErrorKind::ContextTooLong => {
                format!("The prompt is too long for this model: {detail}")
            }
            LlmErrorKind::Timeout => format!("The provider timed out ({status})."),
            LlmErrorKind::Server => format!("The provider had a server error ({status}): {detail}"),
            _ => format!("The provider rejected the request ({status}): {detail}"),
        };
        LlmError {
            kind,
            message,
            retry_after,
        }
    }
}

/// Provider error bodies can be long or HTML; keep the first sentence-sized piece.
fn shorten(s: &str) -> String {
    let s = s.trim();
    let s = if s.starts_with('<') { "no details" } else { s };
    let mut out: String = s.chars().take(300).collect();
    if s.chars().count() > 300 {
        out.push('\u{2026}');
    }
    if out.is_empty() {
        "no details".into()
    } else {
        out
    }
}

/// Parses a `Retry-After` header: delta-seconds or an HTTP date. Also understands `retry-after-ms`.
pub fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    parse_retry_after_unclamped(headers).map(|d| d.min(MAX_RETRY_AFTER))
}

/// The longest wait a provider may ask for and be believed: what the breaker will stay open for, and so
/// what is shown (`Retry-After: 1e300` is not "wait 5124095576030 h").
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

fn parse_retry_after_unclamped(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(Duration::from_millis(ms as u64));
    }
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_millis((secs * 1000.0) as u64));
        }
        return None;
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// Why a reply's body was cut off (found again in the error's source chain).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BodyLimit(pub(crate) String);

impl BodyLimit {
    /// The limit that stopped `e`'s body, if one did.
    pub fn find<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a BodyLimit> {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(err) = cur {
            if let Some(limit) = err.downcast_ref::<BodyLimit>() {
                return Some(limit);
            }
            cur = err.source();
        }
        None
    }

    pub fn to_error(&self) -> LlmError {
        LlmError::malformed(&self.0)
    }
}

/// A setting that fails validation: which one (its path in the settings, as the UI binds it) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Invalid {
        Invalid {
            field,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn status_classification() {
        let k = |s, c: Option<&str>, d| LlmError::from_status(s, c, d, None, Some("m")).kind;
        assert_eq!(k(401, None, "bad key"), LlmErrorKind::Auth);
        assert_eq!(k(429, None, "slow down"), LlmErrorKind::RateLimited);
        assert_eq!(k(503, None, "overloaded"), LlmErrorKind::Server);
        assert_eq!(k(529, None, "overloaded"), LlmErrorKind::Server);
        assert_eq!(
            k(400, Some("context_length_exceeded"), "too long"),
            LlmErrorKind::ContextTooLong
        );
        assert_eq!(
            k(
                400,
                None,
                "prompt is too long: 210000 tokens > 200000 maximum"
            ),
            LlmErrorKind::ContextTooLong
        );
        assert_eq!(k(400, None, "bad temperature"), LlmErrorKind::BadRequest);
        assert_eq!(k(404, None, "no such model"), LlmErrorKind::ModelNotFound);
        assert_eq!(k(504, None, ""), LlmErrorKind::Timeout);
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("30"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(30)));
        h.insert("retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_millis(1500)));
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h), None);
        let later = (chrono::Utc::now() + chrono::Duration::seconds(120)).to_rfc2822();
        h.insert("retry-after", HeaderValue::from_str(&later).unwrap());
        let d = parse_retry_after(&h).unwrap();
        assert!(d > Duration::from_secs(100) && d <= Duration::from_secs(120));
        // Absurd waits are held to what the breaker uses, and so is what the message says.
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("1e300"));
        assert_eq!(parse_retry_after(&h), Some(MAX_RETRY_AFTER));
        let e = LlmError::from_status(429, None, "slow", parse_retry_after(&h), None);
        assert!(
            e.message.contains("wait 24 h") || e.message.contains("wait 1 day"),
            "{}",
            e.message
        );
    }

    #[test]
    fn only_health_failures_count() {
        assert!(LlmErrorKind::Server.is_health_failure());
        assert!(LlmErrorKind::RateLimited.is_health_failure());
        assert!(!LlmErrorKind::Auth.is_health_failure());
        assert!(!LlmErrorKind::ContextTooLong.is_health_failure());
        assert!(!LlmErrorKind::Cancelled.is_health_failure());
    }
}
