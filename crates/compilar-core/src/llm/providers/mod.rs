//! The providers: one type per wire protocol, all behind [`Provider`].

mod anthropic;
pub(crate) mod ollama;
mod openai;

use std::time::Duration;

use async_trait::async_trait;

pub use anthropic::AnthropicProvider;
pub use ollama::OllamaProvider;
pub use openai::OpenAiProvider;

pub use super::error::BodyLimit;
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
    /// Reads the status, the wait and at most [`MAX_ERROR_BODY`] bytes of the body.
    pub async fn read(mut resp: reqwest::Response) -> HttpFailure {
        let status = resp.status().as_u16();
        let retry_after = parse_retry_after(resp.headers());
        let mut body = Vec::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            let room = MAX_ERROR_BODY.saturating_sub(body.len());
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= MAX_ERROR_BODY {
                break;
            }
        }
        HttpFailure {
            status,
            retry_after,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

/// The most of a reply body read: whole answers, embeddings, model lists and streams alike.
pub const MAX_REPLY_BYTES: u64 = 16 * 1024 * 1024;
/// The longest line a stream (server-sent events or NDJSON) may send before its newline.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;
/// The most of an error reply kept (its message is shown, the rest is noise).
const MAX_ERROR_BODY: usize = 64 * 1024;
/// After this many bytes in a row the body lets its task check for Stop before reading on.
const YIELD_EVERY: usize = 256 * 1024;

/// A body stream that stops at [`MAX_REPLY_BYTES`] and, for streams, at a line longer than
/// [`MAX_LINE_BYTES`]; it also returns to its task now and then so a Stop is seen even when the server
/// sends without pause.
struct Bounded<S> {
    inner: S,
    total: u64,
    line: usize,
    max_total: u64,
    /// The longest line allowed, for streams.
    max_line: Option<usize>,
    since_yield: usize,
    done: bool,
}

impl<S> Bounded<S> {
    fn new(inner: S, max_total: u64, max_line: Option<usize>) -> Self {
        Bounded {
            inner,
            total: 0,
            line: 0,
            max_total,
            max_line,
            since_yield: 0,
            done: false,
        }
    }
}

impl<S> futures::Stream for Bounded<S>
where
    S: futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin,
{
    type Item = Result<bytes::Bytes, Box<dyn std::error::Error + Send + Sync>>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        if self.done {
            return Poll::Ready(None);
        }
        if self.since_yield >= YIELD_EVERY {
            self.since_yield = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let chunk = match std::pin::Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => chunk,
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => return Poll::Pending,
        };
        self.total += chunk.len() as u64;
        self.since_yield += chunk.len();
        let limit = if self.total > self.max_total {
            Some(format!(
                "the reply grew past {}",
                size_words(self.max_total)
            ))
        } else if let Some(max_line) = self.max_line {
            // The longest line this chunk holds or continues.
            let mut longest = 0;
            for (i, part) in chunk.split(|&b| b == b'\n').enumerate() {
                if i == 0 {
                    self.line += part.len();
                } else {
                    self.line = part.len();
                }
                longest = longest.max(self.line);
            }
            (longest > max_line).then(|| {
                format!(
                    "a line of the stream ran past {} without ending",
                    size_words(max_line as u64)
                )
            })
        } else {
            None
        };
        if let Some(why) = limit {
            self.done = true;
            return Poll::Ready(Some(Err(Box::new(BodyLimit(why)))));
        }
        Poll::Ready(Some(Ok(chunk)))
    }
}

/// "16 MB", "1 MB", or bytes below a megabyte.
fn size_words(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{} MB", n / (1024 * 1024))
    } else {
        format!("{n} bytes")
    }
}

/// The same response with its body bounded (line length too when `stream`).
pub(crate) fn bounded(
    resp: reqwest::Response,
    stream: bool,
) -> Result<reqwest::Response, LlmError> {
    let mut builder = http::Response::builder()
        .status(resp.status())
        .version(resp.version());
    if let Some(headers) = builder.headers_mut() {
        *headers = resp.headers().clone();
    }
    let body = reqwest::Body::wrap_stream(Bounded::new(
        resp.bytes_stream(),
        MAX_REPLY_BYTES,
        stream.then_some(MAX_LINE_BYTES),
    ));
    builder
        .body(body)
        .map(reqwest::Response::from)
        .map_err(|e| LlmError::malformed(format!("its headers were not valid ({e})")))
}

/// A stream's body failing: a limit it hit, or the connection ending early.
pub(crate) fn body_error(e: &reqwest::Error) -> LlmError {
    BodyLimit::find(e).map_or_else(LlmError::stream_cut, BodyLimit::to_error)
}

/// A successful reply that is a web page (a wrong address: a router, a proxy's login page, the
/// provider's website) is not an answer.
pub(crate) fn refuse_web_page(resp: &reqwest::Response) -> Result<(), LlmError> {
    let html = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if html {
        return Err(LlmError::malformed(
            "the server sent a web page instead of an answer; check the address (it should be the API's, such as https://api.openai.com/v1)",
        ));
    }
    Ok(())
}

/// Sends a request. Transport failures come back typed; a non-success status comes back as an [`HttpFailure`].
/// A successful reply's body is bounded ([`MAX_REPLY_BYTES`], and lines when `stream`).
pub(crate) async fn send(
    req: reqwest::RequestBuilder,
    base_url: &str,
    stream: bool,
) -> Result<Result<reqwest::Response, HttpFailure>, LlmError> {
    let resp = req
        .send()
        .await
        .map_err(|e| LlmError::from_reqwest(&e, base_url))?;
    if resp.status().is_success() {
        refuse_web_page(&resp)?;
        Ok(Ok(bounded(resp, stream)?))
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

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use proptest::prelude::*;

    /// What the bounded body lets through of `chunks`, and whether it stopped on a limit.
    fn run(chunks: &[Vec<u8>], max_total: u64, max_line: Option<usize>) -> (Vec<u8>, bool) {
        let inner = futures::stream::iter(
            chunks
                .iter()
                .map(|c| Ok::<_, reqwest::Error>(bytes::Bytes::from(c.clone())))
                .collect::<Vec<_>>(),
        );
        let mut s = Bounded::new(inner, max_total, max_line);
        let mut out = Vec::new();
        let mut stopped = false;
        futures::executor::block_on(async {
            while let Some(item) = s.next().await {
                match item {
                    Ok(b) => out.extend_from_slice(&b),
                    Err(e) => {
                        assert!(BodyLimit::find(e.as_ref()).is_some());
                        stopped = true;
                    }
                }
            }
        });
        (out, stopped)
    }

    fn longest_line(bytes: &[u8]) -> usize {
        bytes
            .split(|&b| b == b'\n')
            .map(<[u8]>::len)
            .max()
            .unwrap_or(0)
    }

    proptest! {
        /// However the body is cut into chunks, it stops exactly when a line or the whole outgrows its
        /// limit, and what it let through never does.
        #[test]
        fn stream_framing_holds_its_limits(
            body in proptest::collection::vec(prop_oneof![Just(b'\n'), any::<u8>()], 0..600),
            cuts in proptest::collection::vec(0usize..600, 0..12),
            max_line in 1usize..80,
            max_total in 1u64..700,
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(body.len())).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut at = 0;
            for c in cuts.into_iter().chain([body.len()]) {
                chunks.push(body[at..c].to_vec());
                at = c;
            }
            let (out, stopped) = run(&chunks, max_total, Some(max_line));
            let over = body.len() as u64 > max_total || longest_line(&body) > max_line;
            prop_assert_eq!(stopped, over);
            prop_assert!(out.len() as u64 <= max_total);
            prop_assert!(longest_line(&out) <= max_line);
            prop_assert!(body.starts_with(&out));
            if !over {
                prop_assert_eq!(out, body);
            }
        }
    }
}
