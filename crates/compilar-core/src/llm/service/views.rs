//! The types the shells receive from the LLM layer.

use super::*;

/// A streamed answer, as the UI receives it. Every stream ends with exactly one `done` or `error`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The first token is about to arrive from this provider; `fallback_from` lists providers that failed first.
    Started {
        provider: String,
        provider_label: String,
        model: String,
        fallback_from: Vec<String>,
    },
    Token {
        text: String,
    },
    /// The answer cited passage `number` (sent by the coach once per passage, after the token that cites it;
    /// numbers that match no passage sent with the prompt are never announced).
    Citation {
        number: u32,
        passage: crate::llm::Passage,
    },
    Done {
        provider: String,
        provider_label: String,
        model: String,
        usage: Usage,
        #[ts(type = "number")]
        latency_ms: u64,
        #[ts(type = "number")]
        ttft_ms: u64,
    },
    /// The core's error payload (`code`, `message`, `retryable`, `retry_after_ms`, and `provider`: the one
    /// that was answering when the error came after the first token), plus whether part of an answer was
    /// shown ("retry with another provider").
    Error {
        #[serde(flatten)]
        #[ts(flatten)]
        error: crate::error::ErrorPayload,
        after_first_token: bool,
    },
}

/// A whole answer and who gave it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ChatAnswer {
    pub text: String,
    pub provider: String,
    pub provider_label: String,
    pub model: String,
    pub usage: Usage,
    #[ts(type = "number")]
    pub latency_ms: u64,
    /// Providers tried before this one, with why they did not answer.
    pub fallback_from: Vec<String>,
}

/// One provider as the diagnostics view shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProviderStatus {
    pub id: String,
    pub label: String,
    pub kind: ProviderKind,
    pub enabled: bool,
    /// It has what it needs to be called (a key, for cloud providers).
    pub configured: bool,
    pub position: u32,
    pub model: String,
    pub breaker: BreakerSnapshot,
    /// What its pill says (configured, reachable, working…), from its settings, breaker and last real call.
    pub health: super::health::ProviderHealth,
}

/// A provider's settings plus its key status (never the key).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProviderView {
    pub settings: ProviderSettings,
    pub key_source: KeySource,
    pub needs_key: bool,
    pub configured: bool,
    /// The environment variable that overrides the stored key.
    pub key_env_var: Option<String>,
    /// What its pill says (configured, reachable, working…).
    pub health: super::health::ProviderHealth,
}

/// Result of "test connection".
#[derive(Debug, Clone, Serialize, TS)]
pub struct ConnectionTest {
    pub provider: String,
    pub ok: bool,
    #[ts(type = "number")]
    pub latency_ms: u64,
    pub models: Vec<String>,
    /// Whether the configured chat model is among `models` (`None` when the list is empty).
    pub model_available: Option<bool>,
    pub message: String,
    pub error: Option<ErrorPayload>,
}

/// Manual breaker controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum BreakerAction {
    Reset,
    ForceOpen,
    ForceClose,
}
