//! The providers: one type per wire protocol, all behind [`Provider`].

mod anthropic;
mod ollama;
mod openai;

use std::time::Duration;

use async_trait::async_trait;

pub use anthropic::AnthropicProvider;
pub use ollama::OllamaProvider;
pub use openai::OpenAiProvider;

use super::error::{parse_retry_after, LlmError, LlmErrorKind};
use super::types::{Completion, Prompt, ProviderKind, TokenStream};

/// A model provider. Implementations map every failure to a typed [`LlmError`]; they do not retry, time out
/// whole calls or count failures (the service and the circuit breaker do).
#[async_trait]
pub trait Provider: Send + Sync {
    fn kind(&self) -> ProviderKind;

    /// A whole answer.
    async fn chat(&self, prompt: &Prompt, model: &str) -> Result<Completion, LlmError>;

    /// A streamed answer. Returns once the provider accepted the request (errors before that are returned
    /// here); the stream yields tokens and ends with `Done`, or with an error.
    async fn stream(&self, prompt: &Prompt, model: &str) -> Result<TokenStream, LlmError>;

    /// Embeddings, one vector per text, where the provider has them.
    async fn embed(&self, _texts: &[String], _model: &str) -> Result<Vec<Vec<f32>>, LlmError> {
        Err(LlmError::new(
            LlmErrorKind::Unsupported,
            "This provider does not offer embeddings.",
        ))
    }

    /// The models the provider offers.
    async fn list_models(&self) -> Result<Vec<String>, LlmError>;

    /// Whether the provider answers (and accepts the key). Defaults to listing models.
    async fn health(&self) -> Result<(), LlmError> {
        self.list_models().await.map(|_| ())
    }
}

/// The HTTP client every provider uses: bounded connect time, no overall timeout (streams can be long; the
/// service enforces first-token and stall timeouts).
pub fn http_client(connect_timeout: Duration) -> Result<reqwest::Client, LlmError> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .user_agent(concat!("Compilar/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            LlmError::new(
                LlmErrorKind::Network,
                format!("The HTTP client could not start: {e}"),
            )
        })
}

/// A non-success HTTP response: its status, the wait it asks for (`Retry-After`) and its body, for the provider
/// to classify with its own error format.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status}")]
pub struct HttpFailure {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: String,
}

impl HttpFailure {
    pub async fn read(resp: reqwest::Response) -> HttpFailure {
        let status = resp.status().as_u16();
        let retry_after = parse_retry_after(resp.headers());
        let body = resp.text().await.unwrap_or_default();
        HttpFailure {
            status,
            retry_after,
            body,
        }
    }
}

/// Sends a request. Transport failures come back typed; a non-success status comes back as an [`HttpFailure`].
pub(crate) async fn send(
    req: reqwest::RequestBuilder,
    base_url: &str,
) -> Result<Result<reqwest::Response, HttpFailure>, LlmError> {
    let resp = req
        .send()
        .await
        .map_err(|e| LlmError::from_reqwest(&e, base_url))?;
    if resp.status().is_success() {
        Ok(Ok(resp))
    } else {
        Ok(Err(HttpFailure::read(resp).await))
    }
}

/// Joins a base URL and a path without doubling or dropping the slash.
pub(crate) fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}
