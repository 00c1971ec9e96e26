//! Ollama's native API: `/api/chat` (NDJSON stream), `/api/tags`, `/api/embed`.
//!
//! The native route is used because it honours `options.num_ctx`; Ollama's OpenAI-compatible route runs with
//! the server's default context and silently drops the start of long prompts. Before sending, the prompt's
//! size is estimated and a prompt that cannot fit the configured context is refused with a clear error
//! instead of being cut.

use async_trait::async_trait;
use bytes::{Buf, BytesMut};
use futures::StreamExt;
use serde_json::{json, Value};

use super::{join, send, Provider};
use crate::llm::error::{LlmError, LlmErrorKind};
use crate::llm::types::{Completion, Prompt, ProviderKind, Role, StreamPiece, TokenStream, Usage};

pub struct OllamaProvider {
    base_url: String,
    num_ctx: u32,
    http: reqwest::Client,
}

impl OllamaProvider {
    pub fn new(base_url: &str, num_ctx: u32, http: reqwest::Client) -> Self {
        OllamaProvider {
            base_url: base_url.trim_end_matches('/').to_owned(),
            num_ctx,
            http,
        }
    }

    fn body(&self, prompt: &Prompt, model: &str, stream: bool) -> Result<Value, LlmError> {
        let needed = prompt.estimated_tokens().saturating_add(prompt.max_tokens);
        if needed > self.num_ctx {
            return Err(LlmError::new(
                LlmErrorKind::ContextTooLong,
                format!(
                    "The prompt and answer need about {needed} tokens, but the local model's context is set to {} \
                     (Settings \u{2192} Local \u{2192} context size). Raise it if the model supports more.",
                    self.num_ctx
                ),
            ));
        }
        let mut messages = Vec::with_capacity(prompt.messages.len() + 1);
        if let Some(s) = &prompt.system {
            messages.push(json!({"role": "system", "content": s}));
        }
        for m in &prompt.messages {
            messages.push(json!({
                "role": match m.role { Role::User => "user", Role::Assistant => "assistant" },
                "content": m.content,
            }));
        }
        let mut options = json!({"num_ctx": self.num_ctx, "num_predict": prompt.max_tokens});
        if let Some(t) = prompt.temperature {
            options["temperature"] = json!(t);
        }
        let mut body =
            json!({"model": model, "messages": messages, "stream": stream, "options": options});
        if let Some(s) = &prompt.schema {
            // Ollama constrains the answer to a JSON Schema given as `format`.
            body["format"] = s.schema.clone();
        }
        Ok(body)
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        model: Option<&str>,
        stream: bool,
    ) -> Result<reqwest::Response, LlmError> {
        send(req, &self.base_url, stream).await?.map_err(|f| {
            let detail = serde_json::from_str::<Value>(&f.body)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_owned))
                .unwrap_or(f.body);
            match model {
                Some(m) if f.status == 404 || detail.contains("not found") => LlmError::new(
                    LlmErrorKind::ModelNotFound,
                    format!(
                        "The local server has no model \u{201c}{m}\u{201d}. Run `ollama pull {m}`, or choose one of its installed models as the chat model."
                    ),
                ),
                _ => LlmError::from_status(f.status, None, &detail, f.retry_after, model),
            }
        })
    }
}

fn u32_of(v: &Value) -> u32 {
    v.as_u64().map_or(0, |n| n.min(u64::from(u32::MAX)) as u32)
}

/// One NDJSON line of `/api/chat`: a token, the final line with counts, or an error.
pub(crate) fn parse_line(line: &[u8]) -> Result<Option<StreamPiece>, LlmError> {
    let v: Value =
        serde_json::from_slice(line).map_err(|_| LlmError::malformed("a line was not JSON"))?;
    if let Some(e) = v["error"].as_str() {
        return Err(LlmError::new(
            LlmErrorKind::Server,
            format!("The local server reported an error mid-answer: {e}"),
        ));
    }
    if v["done"].as_bool() == Some(true) {
        return Ok(Some(StreamPiece::Done(Usage {
            input_tokens: u32_of(&v["prompt_eval_count"]),
            output_tokens: u32_of(&v["eval_count"]),
        })));
    }
    match v["message"]["content"].as_str() {
        Some("") => Ok(None),
        Some(t) => Ok(Some(StreamPiece::Token(t.to_owned()))),
        None => Err(LlmError::malformed("a line had no message")),
    }
}

#[async_trait]
impl Provider for OllamaProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Ollama
    }

    async fn chat(&self, prompt: &Prompt, model: &str) -> Result<Completion, LlmError> {
        let req = self
            .http
            .post(join(&self.base_url, "/api/chat"))
            .json(&self.body(prompt, model, false)?);
        let resp = self.send(req, Some(model), false).await?;
        let v: Value = resp
            .json()
            .await
            .map_err(|_| LlmError::malformed("the reply was not JSON"))?;
        if let Some(e) = v["error"].as_str() {
            return Err(LlmError::new(LlmErrorKind::Server, e.to_owned()));
        }
        let text = v["message"]["content"]
            .as_str()
            .ok_or_else(|| LlmError::malformed("no message in the reply"))?
            .to_owned();
        Ok(Completion {
            text,
            model: v["model"].as_str().unwrap_or(model).to_owned(),
            usage: Usage {
                input_tokens: u32_of(&v["prompt_eval_count"]),
                output_tokens: u32_of(&v["eval_count"]),
            },
        })
    }

    async fn stream(&self, prompt: &Prompt, model: &str) -> Result<TokenStream, LlmError> {
        let req = self
            .http
            .post(join(&self.base_url, "/api/chat"))
            .json(&self.body(prompt, model, true)?);
        let resp = self.send(req, Some(model), true).await?;
        let bytes = resp.bytes_stream();
        let s = futures::stream::unfold(
            (bytes, BytesMut::new(), false),
            move |(mut bytes, mut buf, ended)| {
                async move {
                    if ended {
                        return None;
                    }
                    loop {
                        // Hand out every complete line already buffered.
                        while let Some(pos) = buf.iter().position(|&b| b == b'\n') {
                            let line = buf.split_to(pos + 1);
                            let line = line.strip_suffix(b"\n").unwrap_or(&line);
                            if line.iter().all(u8::is_ascii_whitespace) {
                                continue;
                            }
                            match parse_line(line) {
                                Ok(None) => continue,
                                Ok(Some(p @ StreamPiece::Done(_))) => {
                                    return Some((Ok(p), (bytes, buf, true)))
                                }
                                Ok(Some(p)) => return Some((Ok(p), (bytes, buf, false))),
                                Err(e) => return Some((Err(e), (bytes, buf, true))),
                            }
                        }
                        match bytes.next().await {
                            Some(Ok(chunk)) => buf.extend_from_slice(chunk.chunk()),
                            Some(Err(e)) => {
                                return Some((Err(super::body_error(&e)), (bytes, buf, true)))
                            }
                            None => {
                                // A last line without its newline may still be the final one.
                                if !buf.iter().all(u8::is_ascii_whitespace) {
                                    let line = std::mem::take(&mut buf);
                                    if let Ok(Some(p @ StreamPiece::Done(_))) = parse_line(&line) {
                                        return Some((Ok(p), (bytes, buf, true)));
                                    }
                                }
                                return Some((Err(LlmError::stream_cut()), (bytes, buf, true)));
                            }
                        }
                    }
                }
            },
        );
        Ok(s.boxed())
    }

    async fn embed(&self, texts: &[String], model: &str) -> Result<Vec<Vec<f32>>, LlmError> {
        let req = self
            .http
            .post(join(&self.base_url, "/api/embed"))
            .json(&json!({"model": model, "input": texts}));
        let resp = self.send(req, Some(model), false).await?;
        let v: Value = resp
            .json()
            .await
            .map_err(|_| LlmError::malformed("the reply was not JSON"))?;
        let list = v["embeddings"]
            .as_array()
            .ok_or_else(|| LlmError::malformed("no embeddings in the reply"))?;
        let out: Vec<Vec<f32>> = list
            .iter()
            .map(|e| {
                e.as_array()
                    .map(|xs| {
                        xs.iter()
                            .filter_map(Value::as_f64)
                            .map(|x| x as f32)
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        if out.len() != texts.len() {
            return Err(LlmError::malformed(format!(
                "{} embeddings for {} texts",
                out.len(),
                texts.len()
            )));
        }
        Ok(out)
    }

    async fn list_models(&self) -> Result<Vec<String>, LlmError> {
        let resp = self
            .send(
                self.http.get(join(&self.base_url, "/api/tags")),
                None,
                false,
            )
            .await?;
        let v: Value = resp
            .json()
            .await
            .map_err(|_| LlmError::malformed("the model list was not JSON"))?;
        let list = v["models"]
            .as_array()
            .ok_or_else(|| LlmError::malformed("no model list"))?;
        let mut names: Vec<String> = list
            .iter()
            .filter_map(|m| {
                m["name"]
                    .as_str()
                    .or(m["model"].as_str())
                    .map(str::to_owned)
            })
            .collect();
        names.sort();
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_lines() {
        assert_eq!(
            parse_line(
                br#"{"model":"m","message":{"role":"assistant","content":"Hi"},"done":false}"#
            )
            .unwrap(),
            Some(StreamPiece::Token("Hi".into()))
        );
        assert_eq!(
            parse_line(br#"{"model":"m","message":{"role":"assistant","content":""},"done":true,"prompt_eval_count":12,"eval_count":3}"#).unwrap(),
            Some(StreamPiece::Done(Usage { input_tokens: 12, output_tokens: 3 }))
        );
        assert_eq!(
            parse_line(br#"{"error":"boom"}"#).unwrap_err().kind,
            LlmErrorKind::Server
        );
        assert_eq!(
            parse_line(b"{nope").unwrap_err().kind,
            LlmErrorKind::Malformed
        );
    }
}
