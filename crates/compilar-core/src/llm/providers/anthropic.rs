//! Anthropic's Messages API over reqwest, with server-sent events for streams.
//!
//! Wire format (docs.anthropic.com, "Messages" and "Streaming Messages"): `POST /v1/messages` with
//! `x-api-key` and `anthropic-version` headers; the system prompt is a top-level field, not a message.
//! A stream is `message_start`, then `content_block_start` / `content_block_delta` (`text_delta`) /
//! `content_block_stop`, `message_delta` (stop reason, output tokens) and `message_stop`; `ping` may appear
//! anywhere and an `error` event may end it.

use async_trait::async_trait;
use eventsource_stream::Eventsource;
use futures::StreamExt;
use serde_json::{json, Value};

use super::{join, send, Provider};
use crate::llm::error::{LlmError, LlmErrorKind};
use crate::llm::types::{Completion, Prompt, ProviderKind, Role, StreamPiece, TokenStream, Usage};

pub const API_VERSION: &str = "2023-06-01";

pub struct AnthropicProvider {
    base_url: String,
    api_key: String,
    http: reqwest::Client,
}

impl AnthropicProvider {
    /// `base_url` without the version path (`https://api.anthropic.com`).
    pub fn new(base_url: &str, api_key: &str, http: reqwest::Client) -> Self {
        AnthropicProvider {
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
            http,
        }
    }

    fn body(&self, prompt: &Prompt, model: &str, stream: bool) -> Value {
        let messages: Vec<Value> = prompt
            .messages
            .iter()
            .map(|m| {
                json!({
                    "role": match m.role { Role::User => "user", Role::Assistant => "assistant" },
                    "content": m.content,
                })
            })
            .collect();
        let mut body = json!({
            "model": model,
            "max_tokens": prompt.max_tokens,
            "messages": messages,
        });
        if let Some(s) = &prompt.system {
            body["system"] = json!(s);
        }
        if let Some(t) = prompt.temperature {
            body["temperature"] = json!(t);
        }
        if stream {
            body["stream"] = json!(true);
        }
        // A structured answer: one tool whose input is the schema, and the model made to call it.
        if let Some(s) = &prompt.schema {
            body["tools"] = json!([{
                "name": s.name,
                "description": s.description,
                "input_schema": s.schema,
            }]);
            body["tool_choice"] = json!({"type": "tool", "name": s.name});
        }
        body
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        model: Option<&str>,
        stream: bool,
    ) -> Result<reqwest::Response, LlmError> {
        let req = req
            .header("x-api-key", &self.api_key)
            .header("anthropic-version", API_VERSION);
        send(req, &self.base_url, stream).await?.map_err(|f| {
            let (etype, detail) = parse_error(&f.body);
            LlmError::from_status(f.status, etype.as_deref(), &detail, f.retry_after, model)
        })
    }
}

/// `{"type": "error", "error": {"type": "...", "message": "..."}}`
fn parse_error(body: &str) -> (Option<String>, String) {
    match serde_json::from_str::<Value>(body) {
        Ok(v) => (
            v["error"]["type"].as_str().map(str::to_owned),
            v["error"]["message"]
                .as_str()
                .unwrap_or("no details")
                .to_owned(),
        ),
        Err(_) => (None, body.trim().to_owned()),
    }
}

fn stream_error(data: &str) -> LlmError {
    let (etype, detail) = parse_error(data);
    let kind = match etype.as_deref() {
        Some("rate_limit_error") => LlmErrorKind::RateLimited,
        Some("authentication_error") | Some("permission_error") => LlmErrorKind::Auth,
        Some("invalid_request_error") => LlmErrorKind::BadRequest,
        Some("not_found_error") => LlmErrorKind::ModelNotFound,
        _ => LlmErrorKind::Server,
    };
    LlmError::new(
        kind,
        format!(
            "The provider reported an error mid-answer ({}): {detail}",
            etype.as_deref().unwrap_or("error")
        ),
    )
}

fn u32_of(v: &Value) -> u32 {
    v.as_u64().map_or(0, |n| n.min(u64::from(u32::MAX)) as u32)
}

#[async_trait]
impl Provider for AnthropicProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Anthropic
    }

    async fn chat(&self, prompt: &Prompt, model: &str) -> Result<Completion, LlmError> {
        let req = self
            .http
            .post(join(&self.base_url, "/v1/messages"))
            .json(&self.body(prompt, model, false));
        let resp = self.send(req, Some(model), false).await?;
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| LlmError::from_reqwest(&e, &self.base_url))?;
        let v: Value =
            serde_json::from_slice(&bytes).map_err(|_| LlmError::malformed("not JSON"))?;
        if v["type"] != "message" {
            return Err(LlmError::malformed("not a message object"));
        }
        let blocks = v["content"]
            .as_array()
            .ok_or_else(|| LlmError::malformed("no content blocks"))?;
        let tool = blocks.iter().find(|b| b["type"] == "tool_use");
        let text: String = match (tool, &prompt.schema) {
            // A structured answer arrives as the tool call's input.
            (Some(t), Some(_)) => serde_json::to_string(&t["input"])
                .map_err(|_| LlmError::malformed("a tool input that is not JSON"))?,
            _ => blocks
                .iter()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["text"].as_str())
                .collect(),
        };
        Ok(Completion {
            text,
            model: v["model"].as_str().unwrap_or(model).to_owned(),
            usage: Usage {
                input_tokens: u32_of(&v["usage"]["input_tokens"]),
                output_tokens: u32_of(&v["usage"]["output_tokens"]),
            },
        })
    }

    async fn stream(&self, prompt: &Prompt, model: &str) -> Result<TokenStream, LlmError> {
        let req = self
            .http
            .post(join(&self.base_url, "/v1/messages"))
            .header("accept", "text/event-stream")
            .json(&self.body(prompt, model, true));
        let resp = self.send(req, Some(model), true).await?;
        let events = resp.bytes_stream().eventsource();
        let s = futures::stream::unfold(
            (events, Usage::default(), false),
            move |(mut events, mut usage, ended)| async move {
                if ended {
                    return None;
                }
                loop {
                    let ev = match events.next().await {
                        None => return Some((Err(LlmError::stream_cut()), (events, usage, true))),
                        Some(Err(e)) => {
                            let err = match e {
                                eventsource_stream::EventStreamError::Transport(e) => {
                                    super::body_error(&e)
                                }
                                other => LlmError::malformed(other),
                            };
                            return Some((Err(err), (events, usage, true)));
                        }
                        Some(Ok(ev)) => ev,
                    };
                    let data: Value = match ev.event.as_str() {
                        "ping" => continue,
                        "error" => {
                            return Some((Err(stream_error(&ev.data)), (events, usage, true)))
                        }
                        _ => match serde_json::from_str(&ev.data) {
                            Ok(v) => v,
                            Err(_) => {
                                return Some((
                                    Err(LlmError::malformed("an event was not JSON")),
                                    (events, usage, true),
                                ))
                            }
                        },
                    };
                    match data["type"].as_str().unwrap_or(ev.event.as_str()) {
                        "message_start" => {
                            let u = &data["message"]["usage"];
                            usage.input_tokens = u32_of(&u["input_tokens"]);
                            usage.output_tokens = u32_of(&u["output_tokens"]);
                        }
                        "content_block_delta" if data["delta"]["type"] == "text_delta" => {
                            let t = data["delta"]["text"].as_str().unwrap_or("");
                            if !t.is_empty() {
                                return Some((
                                    Ok(StreamPiece::Token(t.to_owned())),
                                    (events, usage, false),
                                ));
                            }
                        }
                        "message_delta" => {
                            let out = u32_of(&data["usage"]["output_tokens"]);
                            if out > 0 {
                                usage.output_tokens = out;
                            }
                        }
                        "message_stop" => {
                            return Some((Ok(StreamPiece::Done(usage)), (events, usage, true)))
                        }
                        "error" => {
                            return Some((Err(stream_error(&ev.data)), (events, usage, true)))
                        }
                        // content_block_start/stop and future event types carry no text.
                        _ => {}
                    }
                }
            },
        );
        Ok(s.boxed())
    }

    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        let req = self
            .http
            .get(join(&self.base_url, "/v1/models"))
            .query(&[("limit", "100")]);
        let resp = self.send(req, None, false).await?;
        let v: Value = resp
            .json()
            .await
            .map_err(|_| LlmError::malformed("the model list was not JSON"))?;
        let list = v["data"]
            .as_array()
            .ok_or_else(|| LlmError::malformed("no model list"))?;
        Ok(list
            .iter()
            .filter_map(|m| m["id"].as_str().map(str::to_owned))
            .collect())
    }
}
