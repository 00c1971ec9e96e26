//! The LLM layer: providers (OpenAI, Anthropic, Ollama and OpenAI-compatible local servers) behind per-provider
//! circuit breakers, a fallback chain, the per-user AI-action limit, the call log and API keys in the keychain.

pub mod error;
pub mod json;
pub mod providers;
pub mod service;
pub mod settings;
pub mod types;

// The breaker, limiter, clock and keychain live on the infrastructure floor; named here too because every
// provider call goes through them.
pub use crate::resilience::{
    BreakerConfig, BreakerSnapshot, BreakerState, CircuitBreaker, Clock, Durable, ManualClock,
    Outcome, Permit, RateLimitConfig, RateLimitState, SystemClock,
};
pub use crate::secrets::{KeySource, KeychainBackend, KeychainStatus, Secrets};
pub use error::{LlmError, LlmErrorKind};
pub use service::{
    BreakerAction, ChatAnswer, ConnectionTest, Llm, LlmOptions, ProviderStatus, ProviderView,
    StreamEvent,
};
pub use settings::{AiSettings, ProviderSettings, Timeouts};
pub use types::{ChatMessage, Feature, OutputSchema, Passage, Prompt, ProviderKind, Role, Usage};
