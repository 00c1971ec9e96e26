//! The LLM layer: providers (OpenAI, Anthropic, Ollama and OpenAI-compatible local servers) behind per-provider
//! circuit breakers, a fallback chain, the per-user AI-action limit, the call log and API keys in the keychain.

pub mod breaker;
pub mod clock;
pub mod error;
pub mod json;
pub mod limiter;
pub mod providers;
pub mod secrets;
pub mod service;
pub mod settings;
pub mod types;

pub use breaker::{
    BreakerConfig, BreakerSnapshot, BreakerState, CircuitBreaker, Durable, Outcome, Permit,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{LlmError, LlmErrorKind};
pub use limiter::{RateLimitConfig, RateLimitState};
pub use secrets::{KeySource, KeychainBackend, KeychainStatus, Secrets};
pub use service::{
    BreakerAction, ChatAnswer, ConnectionTest, Llm, LlmOptions, ProviderStatus, ProviderView,
    StreamEvent,
};
pub use settings::{AiSettings, ProviderSettings, Timeouts};
pub use types::{ChatMessage, Feature, OutputSchema, Passage, Prompt, ProviderKind, Role, Usage};
