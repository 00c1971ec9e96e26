//! A model's answer streamed with its citations: tokens go on to the caller's sink as they arrive, each cited
//! passage is announced once (after the token that cites it), and the end (`done` or `error`) is held back so
//! that the caller can store the answer first. Used by coaching reports and chat answers.

use crate::util::lock;
use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

use super::dto::ReportStatus;
use crate::error::ErrorPayload;
use crate::llm::{Feature, Llm, Passage, Prompt, StreamEvent, Usage};
use crate::writing::citations;

/// What a model wrote: the whole answer, or the part that arrived before it was stopped or failed.
#[derive(Debug, Clone)]
pub(crate) struct Written {
    pub status: ReportStatus,
    /// The answer with only real citations left (see [`citations::clean`]), numbered in reading order.
    pub content: String,
    pub cited: Vec<u32>,
    /// The passages, renumbered to match (see [`citations::Order::passages`]).
    pub passages: Vec<Passage>,
    pub provider: String,
    pub provider_label: String,
    pub model: String,
    pub usage: Usage,
    /// Why it ended early (not for a stop).
    pub error: Option<ErrorPayload>,
}

/// How a cited stream ended.
pub(crate) enum Ending {
    /// Something to store.
    Written(Written),
    /// Nothing written: stopped before the first token, or refused by the rate limit.
    Nothing,
    /// No model could start an answer (none set up, none reachable): the caller answers without one.
    NoModel(ErrorPayload),
}

/// The ending, and the last event (`done` or `error`), which the caller sends once it has stored the answer.
pub(crate) struct Streamed {
    pub ending: Ending,
    pub last: StreamEvent,
}

/// Streams `prompt` through the chain, announcing citations of `passages` (numbered from 1) as they appear.
pub(crate) async fn stream_cited(
    llm: &Llm,
    feature: Feature,
    prompt: &Prompt,
    exclude: &[String],
    cancel: &CancellationToken,
    passages: &[Passage],
    sink: &(dyn Fn(StreamEvent) + Send + Sync),
) -> Streamed {
    let n = passages.len() as u32;
    // Each cited passage once, under its reading number, after the text that first cites it.
    let announce = |fresh: Vec<(u32, u32)>| {
        for (number, original) in fresh {
            if let Some(p) = passages.get(original as usize - 1) {
                let mut passage = p.clone();
                passage.number = number;
                sink(StreamEvent::Citation { number, passage });
            }
        }
    };
    // What is shown as it streams is what will be stored: a number that names no passage never appears, and
    // the numbers run 1, 2, 3… in reading order.
    let settler = Mutex::new(citations::Settler::default());
    let text = Mutex::new(String::new());
    let answering: Mutex<Option<(String, String, String)>> = Mutex::new(None);
    let forward = |e: StreamEvent| match e {
        StreamEvent::Token { text: t } => {
            lock(&text).push_str(&t);
            let (settled, fresh) = lock(&settler).feed(&t, n);
            if !settled.is_empty() {
                sink(StreamEvent::Token { text: settled });
            }
            announce(fresh);
        }
        // Held back: sent once the answer is stored.
        StreamEvent::Done { .. } | StreamEvent::Error { .. } => {}
        StreamEvent::Started {
            ref provider,
            ref provider_label,
            ref model,
            ..
        } => {
            *lock(&answering) = Some((provider.clone(), provider_label.clone(), model.clone()));
            sink(e);
        }
        other => sink(other),
    };
    let last = llm.stream(feature, prompt, exclude, cancel, &forward).await;
    let (rest, fresh) = lock(&settler).finish(n);
    if !rest.is_empty() {
        sink(StreamEvent::Token { text: rest });
    }
    announce(fresh);
    let raw = std::mem::take(&mut *lock(&text));
    let (content, passages, cited) = citations::in_reading_order(&raw, passages);
    let ending = match &last {
        StreamEvent::Done {
            provider,
            provider_label,
            model,
            usage,
            ..
        } => Ending::Written(Written {
            status: ReportStatus::Complete,
            content,
            cited,
            passages,
            provider: provider.clone(),
            provider_label: provider_label.clone(),
            model: model.clone(),
            usage: *usage,
            error: None,
        }),
        StreamEvent::Error {
            error,
            after_first_token: true,
        } => {
            let stopped = error.code == "cancelled";
            let (provider, provider_label, model) = lock(&answering).clone().unwrap_or_else(|| {
                let p = error.provider.clone().unwrap_or_default();
                (p.clone(), p, String::new())
            });
            Ending::Written(Written {
                status: if stopped {
                    ReportStatus::Stopped
                } else {
                    ReportStatus::Error
                },
                content,
                cited,
                passages,
                provider,
                provider_label,
                model,
                usage: Usage::default(),
                error: (!stopped).then(|| error.clone()),
            })
        }
        StreamEvent::Error { error, .. }
            if matches!(error.code.as_str(), "cancelled" | "rate_limited") =>
        {
            Ending::Nothing
        }
        StreamEvent::Error { error, .. } => Ending::NoModel(error.clone()),
        _ => Ending::Nothing,
    };
    Streamed { ending, last }
}
