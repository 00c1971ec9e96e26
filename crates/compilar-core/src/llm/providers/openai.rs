//! OpenAI (and OpenAI-compatible servers) through `async-openai`.
//!
//! async-openai builds the requests and parses replies and server-sent events. Its HTTP step runs through our
//! own tower service, which turns every non-success response into an [`HttpFailure`] carrying the status, the
//! `Retry-After` header and the body; async-openai's own error type has no headers, and the breaker needs the
//! provider's requested wait.

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    ChatCompletionStreamOptions, CreateChatCompletionRequest, CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse, ResponseFormat, ResponseFormatJsonSchema,
};
use async_openai::types::embeddings::{CreateEmbeddingRequest, EmbeddingInput};
use async_openai::Client;
use async_trait::async_trait;
use eventsource_stream::Eventsource;
use futures::StreamExt;

use super::{HttpFailure, Provider};
use crate::llm::error::{LlmError, LlmErrorKind};
use crate::llm::types::{Completion, Prompt, ProviderKind, Role, StreamPiece, TokenStream, Usage};

pub struct OpenAiProvider {
    kind: ProviderKind,
    base_url: String,
    api_key: String,
    /// Streams are read here rather than through async-openai, whose stream runs on a task of its own
    /// behind an unbounded channel and keeps only the text of a failure.
    http: reqwest::Client,
    client: Client<OpenAIConfig>,
}

impl OpenAiProvider {
    /// `base_url` includes the version path (`https://api.openai.com/v1`, `http://127.0.0.1:1234/v1`).
    pub fn new(
        kind: ProviderKind,
        base_url: &str,
        api_key: Option<&str>,
        http: reqwest::Client,
    ) -> Self {
        let config = OpenAIConfig::new()
            .with_api_base(base_url.trim_end_matches('/'))
            .with_api_key(api_key.unwrap_or(""));
        let stream_http = http.clone();
        let service = tower::service_fn(move |factory: HttpRequestFactory| {
            let http = http.clone();
            async move {
                let request = factory.build().await?;
                let response = http.execute(request).await.map_err(OpenAIError::Reqwest)?;
                if response.status().is_success() {
                    let boxed = |e: LlmError| OpenAIError::Boxed(Box::new(e));
                    super::refuse_web_page(&response).map_err(boxed)?;
                    return super::bounded(response, false).map_err(boxed);
                }
                Err(OpenAIError::Boxed(Box::new(
                    HttpFailure::read(response).await,
                )))
            }
        });
        OpenAiProvider {
            kind,
            base_url: base_url.to_owned(),
            api_key: api_key.unwrap_or("").to_owned(),
            http: stream_http,
            client: Client::with_config(config).with_http_service(service),
        }
    }

    fn request(&self, prompt: &Prompt, model: &str, stream: bool) -> CreateChatCompletionRequest {
        let mut messages: Vec<ChatCompletionRequestMessage> = Vec::new();
        if let Some(s) = &prompt.system {
            messages.push(ChatCompletionRequestSystemMessage::from(s.as_str()).into());
        }
        for m in &prompt.messages {
            messages.push(match m.role {
                Role::User => ChatCompletionRequestUserMessage::from(m.content.as_str()).into(),
                Role::Assistant => {
                    ChatCompletionRequestAssistantMessage::from(m.content.as_str()).into()
                }
            });
        }
        CreateChatCompletionRequest {
            messages,
            model: model.to_owned(),
            max_completion_tokens: (self.kind == ProviderKind::Openai).then_some(prompt.max_tokens),
            #[allow(deprecated)]
            max_tokens: (self.kind != ProviderKind::Openai).then_some(prompt.max_tokens),
            temperature: prompt.temperature,
            stream: stream.then_some(true),
            stream_options: stream.then_some(ChatCompletionStreamOptions {
                include_usage: Some(true),
                ..Default::default()
            }),
            response_format: prompt.schema.as_ref().map(|s| ResponseFormat::JsonSchema {
                json_schema: ResponseFormatJsonSchema {
                    description: Some(s.description.clone()),
                    name: s.name.clone(),
                    schema: s.schema.clone(),
                    strict: Some(true),
                },
            }),
            ..Default::default()
        }
    }

    fn map_error(&self, e: OpenAIError, model: Option<&str>) -> LlmError {
        map_error(e, self.kind, &self.base_url, model)
    }
}

/// Maps async-openai's error (and our [`HttpFailure`] inside it) to a typed [`LlmError`].
fn map_error(e: OpenAIError, kind: ProviderKind, base_url: &str, model: Option<&str>) -> LlmError {
    match e {
        OpenAIError::Boxed(b) => match b.downcast::<HttpFailure>() {
            Ok(f) => from_failure(&f, kind, model),
            Err(other) => match other.downcast::<OpenAIError>() {
                Ok(inner) => map_error(*inner, kind, base_url, model),
                Err(other) if other.is::<LlmError>() => match other.downcast::<LlmError>() {
                    Ok(e) => *e,
                    Err(_) => LlmError::malformed("an unexpected failure"),
                },
                Err(other) => LlmError::new(
                    LlmErrorKind::Network,
                    format!("The request to {base_url} failed: {other}"),
                ),
            },
        },
        OpenAIError::Reqwest(e) => LlmError::from_reqwest(&e, base_url),
        OpenAIError::ApiError(api) => {
            let code = api.api_error.code.clone().or(api.api_error.r#type.clone());
            LlmError::from_status(
                api.status_code.as_u16(),
                code.as_deref(),
                &api.api_error.message,
                None,
                model,
            )
        }
        OpenAIError::JSONDeserialize(_, content) => {
            // An error object sent inside a stream is still an error from the provider.
            let (code, detail) = parse_error_body(&content);
            if code.is_some() || content.contains("\"error\"") {
                LlmError::new(
                    LlmErrorKind::Server,
                    format!("The provider reported an error mid-answer: {detail}"),
                )
            } else {
                LlmError::malformed("unexpected JSON")
            }
        }
        OpenAIError::StreamError(_) => LlmError::stream_cut(),
        other => LlmError::new(LlmErrorKind::BadRequest, other.to_string()),
    }
}

/// A non-success reply in OpenAI's error format.
fn from_failure(f: &HttpFailure, kind: ProviderKind, model: Option<&str>) -> LlmError {
    let (code, detail) = parse_error_body(&f.body);
    let mut err = LlmError::from_status(f.status, code.as_deref(), &detail, f.retry_after, model);
    if err.kind == LlmErrorKind::ModelNotFound && kind == ProviderKind::OpenaiCompatible {
        err.message.push_str(
            " Load the model in your local server, or choose one it lists as the chat model.",
        );
    }
    err
}

/// One server-sent event of a streamed answer: a chunk, or an error object sent mid-way.
/// Token counts are metadata: a count that does not fit (over 2^32, negative, not a number) never turns a
/// complete answer into an error. Counts past `u32::MAX` are clamped to it; a `usage` that is not counts at all
/// is dropped.
fn sane_usage(v: &mut serde_json::Value) {
    fn clamp(u: &mut serde_json::Value) -> bool {
        match u {
            serde_json::Value::Null => true,
            serde_json::Value::Object(m) => m.values_mut().all(clamp),
            serde_json::Value::Number(n) => match n.as_u64() {
                Some(x) => {
                    *u = serde_json::Value::from(x.min(u64::from(u32::MAX)));
                    true
                }
                None => false,
            },
            _ => false,
        }
    }
    if let Some(u) = v.get_mut("usage") {
        if !clamp(u) {
            *u = serde_json::Value::Null;
        }
    }
}

fn parse_chunk(data: &str) -> Result<CreateChatCompletionStreamResponse, LlmError> {
    serde_json::from_str::<serde_json::Value>(data)
        .and_then(|mut v| {
            sane_usage(&mut v);
            serde_json::from_value(v)
        })
        .map_err(|_| {
            let (code, detail) = parse_error_body(data);
            if code.is_some() || data.contains("\"error\"") {
                LlmError::new(
                    LlmErrorKind::Server,
                    format!("The provider reported an error mid-answer: {detail}"),
                )
            } else {
                LlmError::malformed("an event was not the expected JSON")
            }
        })
}

/// OpenAI's error body: `{"error": {"message", "type", "code"}}`; compatible servers sometimes send
/// `{"error": "text"}` or plain text.
fn parse_error_body(body: &str) -> (Option<String>, String) {
    let v: serde_json::Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(_) => return (None, body.trim().to_owned()),
    };
    let e = &v["error"];
    if let Some(s) = e.as_str() {
        return (None, s.to_owned());
    }
    let code = e["code"]
        .as_str()
        .or_else(|| e["type"].as_str())
        .map(str::to_owned);
    let msg = e["message"]
        .as_str()
        .or_else(|| v["message"].as_str())
        .unwrap_or("no details")
        .to_owned();
    (code, msg)
}

#[async_trait]
impl Provider for OpenAiProvider {
    fn kind(&self) -> ProviderKind {
        self.kind
    }

    async fn chat(&self, prompt: &Prompt, model: &str) -> Result<Completion, LlmError> {
        let req = self.request(prompt, model, false);
        let mut raw: serde_json::Value = self
            .client
            .chat()
            .create_byot(req)
            .await
            .map_err(|e| self.map_error(e, Some(model)))?;
        sane_usage(&mut raw);
        let resp: CreateChatCompletionResponse = serde_json::from_value(raw).map_err(|e| {
            LlmError::malformed(format!("the reply was not a chat completion: {e}"))
        })?;
        let choice = resp
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| LlmError::malformed("no choices in the reply"))?;
        let text = choice.message.content.unwrap_or_default();
        let usage = resp.usage.map_or(Usage::default(), |u| Usage {
            input_tokens: u.prompt_tokens,
            output_tokens: u.completion_tokens,
        });
        Ok(Completion {
            text,
            model: resp.model,
            usage,
        })
    }

    async fn stream(&self, prompt: &Prompt, model: &str) -> Result<TokenStream, LlmError> {
        let mut req = self
            .http
            .post(super::join(&self.base_url, "chat/completions"))
            .header("accept", "text/event-stream")
            .json(&self.request(prompt, model, true));
        if !self.api_key.is_empty() {
            req = req.bearer_auth(&self.api_key);
        }
        let resp = super::send(req, &self.base_url, true)
            .await?
            .map_err(|f| from_failure(&f, self.kind, Some(model)))?;
        let events = resp.bytes_stream().eventsource();
        // State: (events, finished?, usage seen, ended?)
        let s = futures::stream::unfold(
            (events, false, Usage::default(), false),
            move |(mut events, mut finished, mut usage, ended)| async move {
                if ended {
                    return None;
                }
                let done = |finished: bool, usage: Usage| {
                    // Without a finish reason the answer was cut.
                    if finished {
                        Ok(StreamPiece::Done(usage))
                    } else {
                        Err(LlmError::stream_cut())
                    }
                };
                loop {
                    let ev = match events.next().await {
                        None => {
                            return Some((done(finished, usage), (events, finished, usage, true)))
                        }
                        Some(Err(e)) => {
                            let err = match e {
                                eventsource_stream::EventStreamError::Transport(e) => {
                                    super::body_error(&e)
                                }
                                other => LlmError::malformed(other),
                            };
                            return Some((Err(err), (events, finished, usage, true)));
                        }
                        Some(Ok(ev)) => ev,
                    };
                    if ev.data == "[DONE]" {
                        return Some((done(finished, usage), (events, finished, usage, true)));
                    }
                    if ev.event == "keepalive" {
                        continue;
                    }
                    let chunk = match parse_chunk(&ev.data) {
                        Ok(c) => c,
                        Err(e) => return Some((Err(e), (events, finished, usage, true))),
                    };
                    if let Some(u) = chunk.usage {
                        usage = Usage {
                            input_tokens: u.prompt_tokens,
                            output_tokens: u.completion_tokens,
                        };
                    }
                    let mut text = String::new();
                    for c in chunk.choices {
                        if let Some(t) = c.delta.content {
                            text.push_str(&t);
                        }
                        if c.finish_reason.is_some() {
                            finished = true;
                        }
                    }
                    if !text.is_empty() {
                        return Some((
                            Ok(StreamPiece::Token(text)),
                            (events, finished, usage, false),
                        ));
                    }
                }
            },
        );
        Ok(s.boxed())
    }

    async fn embed(&self, texts: &[String], model: &str) -> Result<Vec<Vec<f32>>, LlmError> {
        let req = CreateEmbeddingRequest {
            model: model.to_owned(),
            input: EmbeddingInput::StringArray(texts.to_vec()),
            ..Default::default()
        };
        let resp = self
            .client
            .embeddings()
            .create(req)
            .await
            .map_err(|e| self.map_error(e, Some(model)))?;
        if resp.data.len() != texts.len() {
            return Err(LlmError::malformed(format!(
                "{} embeddings for {} texts",
                resp.data.len(),
                texts.len()
            )));
        }
        let mut data = resp.data;
        data.sort_by_key(|e| e.index);
        Ok(data.into_iter().map(|e| e.embedding).collect())
    }

    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        let resp = self
            .client
            .models()
            .list()
            .await
            .map_err(|e| self.map_error(e, None))?;
        let mut ids: Vec<String> = resp.data.into_iter().map(|m| m.id).collect();
        ids.sort();
        Ok(ids)
    }
}
