//! A local HTTP server that speaks the providers' documented wire formats, with faults on demand.
//!
//! Each path has a queue of one-time replies and a standing reply; every request is recorded. Replies are
//! written by hand over a raw TCP socket so that faults real servers produce can be reproduced exactly:
//! a chunked stream cut without its final chunk, a stream that stalls, a server that never answers.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// How a streamed body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The final zero-length chunk: a complete body.
    Complete,
    /// The socket closes without the final chunk (a connection cut mid-way).
    Cut,
    /// Nothing more is ever sent; the socket stays open.
    Stall,
}

#[derive(Debug, Clone)]
pub enum Reply {
    Body {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    Chunks {
        content_type: &'static str,
        chunks: Vec<(Duration, String)>,
        end: End,
    },
    /// Reads the request and never answers.
    Hang,
    /// A 200 with `prefix`, then `unit` over and over — `total` bytes in all, or until the client goes away
    /// — then `suffix`: endless lines, endless streams, huge bodies, raw (invalid UTF-8) bytes.
    Flood {
        content_type: &'static str,
        prefix: Vec<u8>,
        unit: Vec<u8>,
        total: Option<usize>,
        suffix: Vec<u8>,
    },
    /// Computes the reply from the request (embeddings of whatever texts were sent).
    Dynamic(Responder),
}

/// A reply computed from the request.
#[derive(Clone)]
pub struct Responder(pub Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>);

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Responder")
    }
}

#[derive(Default)]
struct Routes {
    once: HashMap<String, VecDeque<Reply>>,
    standing: HashMap<String, Reply>,
}

pub struct FakeServer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    routes: Arc<Mutex<Routes>>,
    /// Connections whose client went away before the reply was fully written.
    pub client_gone: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    pub async fn start() -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let routes = Arc::new(Mutex::new(Routes::default()));
        let client_gone = Arc::new(AtomicUsize::new(0));
        let (rq, rt, gone) = (requests.clone(), routes.clone(), client_gone.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let (rq, rt, gone) = (rq.clone(), rt.clone(), gone.clone());
                tokio::spawn(async move {
                    serve(sock, rq, rt, gone).await;
                });
            }
        });
        FakeServer {
            addr,
            requests,
            routes,
            client_gone,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The reply for every request to `path` (after any one-time replies).
    pub fn on(&self, path: &str, reply: Reply) {
        self.routes
            .lock()
            .unwrap()
            .standing
            .insert(path.into(), reply);
    }

    /// A reply for the next request to `path` only.
    pub fn once(&self, path: &str, reply: Reply) {
        self.routes
            .lock()
            .unwrap()
            .once
            .entry(path.into())
            .or_default()
            .push_back(reply);
    }

    pub fn requests(&self, path: &str) -> Vec<Recorded> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    pub fn count(&self, path: &str) -> usize {
        self.requests(path).len()
    }
}

async fn serve(
    mut sock: TcpStream,
    requests: Arc<Mutex<Vec<Recorded>>>,
    routes: Arc<Mutex<Routes>>,
    gone: Arc<AtomicUsize>,
) {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        match sock.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_owned();
    let target = first.next().unwrap_or("").to_owned();
    let path = target.split('?').next().unwrap_or("").to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        match sock.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
    let recorded = Recorded {
        method,
        path: path.clone(),
        headers,
        body,
    };
    requests.lock().unwrap().push(recorded.clone());
    let reply = {
        let mut r = routes.lock().unwrap();
        match r.once.get_mut(&path).and_then(VecDeque::pop_front) {
            Some(x) => x,
            None => r.standing.get(&path).cloned().unwrap_or(Reply::Body {
                status: 404,
                headers: vec![],
                body: json!({"error": {"message": format!("no route {path}"), "type": "not_found_error"}}).to_string(),
            }),
        }
    };
    let reply = match reply {
        Reply::Dynamic(f) => (f.0)(&recorded),
        other => other,
    };
    match reply {
        Reply::Dynamic(_) => {}
        Reply::Body {
            status,
            headers,
            body,
        } => {
            let mut out = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&body);
            let _ = sock.write_all(out.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
        Reply::Flood {
            content_type,
            prefix,
            unit,
            total,
            suffix,
        } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            );
            if sock.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            async fn frame(sock: &mut TcpStream, data: &[u8]) -> bool {
                if data.is_empty() {
                    return true;
                }
                let mut out = format!("{:x}\r\n", data.len()).into_bytes();
                out.extend_from_slice(data);
                out.extend_from_slice(b"\r\n");
                sock.write_all(&out).await.is_ok()
            }
            if !frame(&mut sock, &prefix).await {
                return;
            }
            let block: Vec<u8> = if unit.is_empty() {
                Vec::new()
            } else {
                unit.iter()
                    .copied()
                    .cycle()
                    .take(64 * 1024 / unit.len() * unit.len())
                    .collect()
            };
            let mut sent = 0usize;
            while !block.is_empty() && total.is_none_or(|t| sent < t) {
                let n = total.map_or(block.len(), |t| block.len().min(t - sent));
                if !frame(&mut sock, &block[..n]).await {
                    gone.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                sent += n;
            }
            if frame(&mut sock, &suffix).await {
                let _ = sock.write_all(b"0\r\n\r\n").await;
                let _ = sock.shutdown().await;
            }
        }
        Reply::Hang => {
            // Hold the socket until the client gives up.
            let _ = sock.read(&mut tmp).await;
            gone.fetch_add(1, Ordering::SeqCst);
        }
        Reply::Chunks {
            content_type,
            chunks,
            end,
        } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            );
            if sock.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for (delay, data) in chunks {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let frame = format!("{:x}\r\n{data}\r\n", data.len());
                if sock.write_all(frame.as_bytes()).await.is_err() || sock.flush().await.is_err() {
                    gone.fetch_add(1, Ordering::SeqCst);
                    return;
                }
            }
            match end {
                End::Complete => {
                    let _ = sock.write_all(b"0\r\n\r\n").await;
                    let _ = sock.shutdown().await;
                }
                End::Cut => {
                    drop(sock);
                }
                End::Stall => {
                    let _ = sock.read(&mut tmp).await;
                    gone.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
    }
}

// ---- Wire formats -------------------------------------------------------------------------------------------

pub fn json_reply(status: u16, body: Value) -> Reply {
    Reply::Body {
        status,
        headers: vec![],
        body: body.to_string(),
    }
}

pub fn error_reply(status: u16, body: Value, retry_after: Option<&str>) -> Reply {
    Reply::Body {
        status,
        headers: retry_after
            .map(|v| vec![("retry-after".to_owned(), v.to_owned())])
            .unwrap_or_default(),
        body: body.to_string(),
    }
}

pub fn raw_reply(status: u16, body: &str) -> Reply {
    Reply::Body {
        status,
        headers: vec![],
        body: body.to_owned(),
    }
}

/// OpenAI: `POST /v1/chat/completions`, whole answer.
pub fn openai_chat(text: &str, model: &str) -> Reply {
    json_reply(
        200,
        json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1764000000, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": null},
                         "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 21, "completion_tokens": 7, "total_tokens": 28}
        }),
    )
}

fn openai_chunk(model: &str, delta: Value, finish: Option<&str>) -> String {
    let v = json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1764000000, "model": model,
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
    });
    format!("data: {v}\n\n")
}

/// OpenAI: the SSE stream of chunks, the usage chunk and `[DONE]`; `end` decides how it finishes.
pub fn openai_stream(tokens: &[&str], model: &str, delay: Duration, end: End) -> Reply {
    let mut chunks = vec![(
        Duration::ZERO,
        openai_chunk(model, json!({"role": "assistant", "content": ""}), None),
    )];
    for t in tokens {
        chunks.push((delay, openai_chunk(model, json!({"content": t}), None)));
    }
    if end == End::Complete {
        chunks.push((Duration::ZERO, openai_chunk(model, json!({}), Some("stop"))));
        let usage = json!({
            "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1764000000, "model": model,
            "choices": [], "usage": {"prompt_tokens": 21, "completion_tokens": tokens.len(), "total_tokens": 21 + tokens.len()}
        });
        chunks.push((Duration::ZERO, format!("data: {usage}\n\n")));
        chunks.push((Duration::ZERO, "data: [DONE]\n\n".to_owned()));
    }
    Reply::Chunks {
        content_type: "text/event-stream",
        chunks,
        end,
    }
}

pub fn openai_models(ids: &[&str]) -> Reply {
    json_reply(
        200,
        json!({"object": "list", "data": ids.iter().map(|id| json!({"id": id, "object": "model", "created": 1700000000, "owned_by": "openai"})).collect::<Vec<_>>()}),
    )
}

pub fn openai_embeddings(vectors: &[Vec<f32>], model: &str) -> Reply {
    json_reply(
        200,
        json!({
            "object": "list", "model": model,
            "data": vectors.iter().enumerate().map(|(i, v)| json!({"object": "embedding", "index": i, "embedding": v})).collect::<Vec<_>>(),
            "usage": {"prompt_tokens": 8, "total_tokens": 8}
        }),
    )
}

/// Anthropic: `POST /v1/messages`, whole answer.
/// OpenAI embeddings computed from the request's `input`: each text's words (first five letters, lower
/// case) hashed into `dims` buckets, so texts sharing words are close — enough to check ranking end to end.
pub fn openai_embeddings_of_input(dims: usize) -> Reply {
    Reply::Dynamic(Responder(Arc::new(move |r: &Recorded| {
        let req = r.json();
        let model = req["model"].as_str().unwrap_or("").to_owned();
        let inputs: Vec<String> = match &req["input"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .map(|x| x.as_str().unwrap_or("").to_owned())
                .collect(),
            _ => vec![],
        };
        let vectors: Vec<Vec<f32>> = inputs.iter().map(|t| hashed_embedding(t, dims)).collect();
        openai_embeddings(&vectors, &model)
    })))
}

/// Ollama `/api/embed` computed from the request's `input`, like [`openai_embeddings_of_input`].
pub fn ollama_embed_of_input(dims: usize) -> Reply {
    Reply::Dynamic(Responder(Arc::new(move |r: &Recorded| {
        let req = r.json();
        let inputs: Vec<String> = match &req["input"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .map(|x| x.as_str().unwrap_or("").to_owned())
                .collect(),
            _ => vec![],
        };
        let embeddings: Vec<Vec<f32>> = inputs.iter().map(|t| hashed_embedding(t, dims)).collect();
        json_reply(
            200,
            json!({"model": req["model"], "embeddings": embeddings, "total_duration": 1000, "prompt_eval_count": 8}),
        )
    })))
}

pub fn hashed_embedding(text: &str, dims: usize) -> Vec<f32> {
    let mut v = vec![0.0f32; dims];
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
    {
        let stem: String = w.to_lowercase().chars().take(5).collect();
        let mut h: u64 = 0xcbf29ce484222325;
        for b in stem.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
        }
        v[(h % dims as u64) as usize] += 1.0;
    }
    // Never all zero: a small constant keeps it a valid direction.
    v[0] += 0.01;
    v
}

pub fn anthropic_message(text: &str, model: &str) -> Reply {
    json_reply(
        200,
        json!({
            "id": "msg_01", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 25, "output_tokens": 9}
        }),
    )
}

fn sse(event: &str, data: Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

/// How an Anthropic stream ends.
pub enum AnthropicEnd {
    Stop,
    Cut,
    /// An `error` event (e.g. `overloaded_error`) after the tokens.
    ErrorEvent,
    Stall,
}

/// Anthropic: message_start, ping, content_block_start, text deltas, content_block_stop, message_delta,
/// message_stop.
pub fn anthropic_stream(tokens: &[&str], model: &str, delay: Duration, end: AnthropicEnd) -> Reply {
    let mut chunks = vec![
        (
            Duration::ZERO,
            sse(
                "message_start",
                json!({"type": "message_start", "message": {
            "id": "msg_01", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "output_tokens": 1}}}),
            ),
        ),
        (
            Duration::ZERO,
            sse(
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ),
        ),
        (Duration::ZERO, sse("ping", json!({"type": "ping"}))),
    ];
    for t in tokens {
        chunks.push((delay, sse("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}}))));
    }
    let end = match end {
        AnthropicEnd::Stop => {
            chunks.push((
                Duration::ZERO,
                sse(
                    "content_block_stop",
                    json!({"type": "content_block_stop", "index": 0}),
                ),
            ));
            chunks.push((Duration::ZERO, sse("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": tokens.len()}}))));
            chunks.push((
                Duration::ZERO,
                sse("message_stop", json!({"type": "message_stop"})),
            ));
            End::Complete
        }
        AnthropicEnd::ErrorEvent => {
            chunks.push((Duration::ZERO, sse("error", json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))));
            End::Complete
        }
        AnthropicEnd::Cut => End::Cut,
        AnthropicEnd::Stall => End::Stall,
    };
    Reply::Chunks {
        content_type: "text/event-stream",
        chunks,
        end,
    }
}

pub fn anthropic_error(
    status: u16,
    etype: &str,
    message: &str,
    retry_after: Option<&str>,
) -> Reply {
    error_reply(
        status,
        json!({"type": "error", "error": {"type": etype, "message": message}}),
        retry_after,
    )
}

pub fn anthropic_models(ids: &[&str]) -> Reply {
    json_reply(
        200,
        json!({"data": ids.iter().map(|id| json!({"type": "model", "id": id, "display_name": id, "created_at": "2025-01-01T00:00:00Z"})).collect::<Vec<_>>(),
               "has_more": false, "first_id": ids.first(), "last_id": ids.last()}),
    )
}

/// Ollama: `POST /api/chat` NDJSON stream.
pub fn ollama_stream(tokens: &[&str], model: &str, delay: Duration, end: End) -> Reply {
    let mut chunks: Vec<(Duration, String)> = tokens
        .iter()
        .map(|t| {
            (delay, format!("{}\n", json!({"model": model, "created_at": "2026-11-25T08:00:00Z", "message": {"role": "assistant", "content": t}, "done": false})))
        })
        .collect();
    if end == End::Complete {
        chunks.push((
            Duration::ZERO,
            format!(
                "{}\n",
                json!({"model": model, "created_at": "2026-11-25T08:00:01Z",
            "message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop",
            "total_duration": 1000, "prompt_eval_count": 30, "eval_count": tokens.len()})
            ),
        ));
    }
    Reply::Chunks {
        content_type: "application/x-ndjson",
        chunks,
        end,
    }
}

pub fn ollama_chat(text: &str, model: &str) -> Reply {
    json_reply(
        200,
        json!({"model": model, "created_at": "2026-11-25T08:00:00Z", "message": {"role": "assistant", "content": text},
               "done": true, "done_reason": "stop", "prompt_eval_count": 30, "eval_count": 5}),
    )
}

pub fn ollama_tags(names: &[&str]) -> Reply {
    json_reply(
        200,
        json!({"models": names.iter().map(|n| json!({"name": n, "model": n, "size": 2019393189u64, "digest": "abc", "details": {"family": "llama"}})).collect::<Vec<_>>()}),
    )
}

/// A local address where nothing listens (connections are refused).
pub async fn refused_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// An Anthropic message whose content is one `tool_use` block calling `tool` with `input` (a forced tool call,
/// how Anthropic returns a structured answer).
pub fn anthropic_tool_use(tool: &str, input: Value, model: &str) -> Reply {
    json_reply(
        200,
        json!({
            "id": "msg_02", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "tool_use", "id": "toolu_01", "name": tool, "input": input}],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 120, "output_tokens": 80}
        }),
    )
}
