//! Streamed answers: down the chain until the first token, then on one provider to the end.

use super::*;

/// How a stream ended without an answer.
struct StreamFailure {
    error: Error,
    /// The provider that was answering, when the failure came after its first token.
    provider: Option<String>,
    /// Part of an answer was shown.
    after_first_token: bool,
}

impl StreamFailure {
    /// A failure before anything was streamed.
    fn before_start(error: Error) -> Self {
        StreamFailure {
            error,
            provider: None,
            after_first_token: false,
        }
    }
}

impl Llm {
    /// A streamed answer. Events go to `sink`; the returned event is the last one sent (`done` or `error`).
    /// Fails (sending nothing) only when the request itself is invalid.
    pub async fn stream(
        &self,
        feature: Feature,
        prompt: &Prompt,
        exclude: &[String],
        cancel: &CancellationToken,
        sink: &(dyn Fn(StreamEvent) + Send + Sync),
    ) -> StreamEvent {
        let end = self
            .stream_inner(feature, prompt, exclude, cancel, sink)
            .await;
        let last = match end {
            Ok(done) => done,
            Err(StreamFailure {
                error: e,
                provider,
                after_first_token,
            }) => {
                let mut error = e.payload();
                if provider.is_some() {
                    error.provider = provider;
                }
                StreamEvent::Error {
                    error,
                    after_first_token,
                }
            }
        };
        sink(last.clone());
        last
    }

    async fn stream_inner(
        &self,
        feature: Feature,
        prompt: &Prompt,
        exclude: &[String],
        cancel: &CancellationToken,
        sink: &(dyn Fn(StreamEvent) + Send + Sync),
    ) -> std::result::Result<StreamEvent, StreamFailure> {
        let no_stream = StreamFailure::before_start;
        let chain = Self::usable(Self::chain(
            &self.handles().await.map_err(no_stream)?,
            exclude,
        ))
        .map_err(no_stream)?;
        self.take_action(feature).map_err(no_stream)?;
        let action = new_id().to_string();
        let mut attempts: Vec<Attempt> = Vec::new();
        for h in chain {
            if cancel.is_cancelled() {
                return Err(no_stream(Error::Llm {
                    provider: h.settings.label.clone(),
                    error: LlmError::cancelled(),
                }));
            }
            let Some(provider) = h.provider.clone() else {
                continue;
            };
            self.pull_breakers().await;
            let permit = match h.breaker.acquire() {
                Ok(p) => p,
                Err(r) => {
                    let a = self.log_rejection(&action, feature, &h, true, prompt, r.retry_after);
                    attempts.push(a.await);
                    continue;
                }
            };
            let mut entry = self.entry(&action, feature, &h, true, prompt);
            let fallback_from: Vec<String> = attempts.iter().map(|a| a.label.clone()).collect();
            let run = run_stream(&h, provider.as_ref(), prompt, cancel, sink, fallback_from).await;
            entry.latency_ms = ms(run.elapsed);
            entry.ttft_ms = run.ttft.map(ms);
            entry.output = (!run.text.is_empty()).then(|| run.text.clone());
            let answered_by = Some(h.settings.id.clone());
            match run.end {
                RunEnd::Done(usage) => {
                    let slow = Duration::from_secs(u64::from(h.settings.timeouts.slow_call_secs));
                    let first = run.ttft.unwrap_or(run.elapsed);
                    permit.record(if slow > Duration::ZERO && first > slow {
                        Outcome::Slow { after: first }
                    } else {
                        Outcome::Success
                    });
                    self.push_breaker(&h.settings.id).await;
                    entry.breaker_state = h.breaker.state().as_str().into();
                    entry.tokens_in = usage.input_tokens;
                    entry.tokens_out = usage.output_tokens;
                    self.log(entry).await;
                    return Ok(StreamEvent::Done {
                        provider: h.settings.id.clone(),
                        provider_label: h.settings.label.clone(),
                        model: h.settings.chat_model.clone(),
                        usage,
                        latency_ms: ms(run.elapsed),
                        ttft_ms: ms(run.ttft.unwrap_or(run.elapsed)),
                    });
                }
                RunEnd::Cancelled => {
                    drop(permit); // neither success nor failure: a trial permit goes back
                    entry.outcome = "cancelled".into();
                    entry.error_code = Some(LlmErrorKind::Cancelled.code().into());
                    entry.breaker_state = h.breaker.state().as_str().into();
                    let after_first = run.ttft.is_some();
                    self.log(entry).await;
                    return Err(StreamFailure {
                        error: self.provider_error(&h, LlmError::cancelled()),
                        provider: answered_by,
                        after_first_token: after_first,
                    });
                }
                RunEnd::Failed(e) => {
                    self.log_failure(permit, entry, &h, &e).await;
                    if run.ttft.is_some() {
                        // Tokens were shown: no silent switch to another provider mid-answer.
                        return Err(StreamFailure {
                            error: self.provider_error(&h, e),
                            provider: answered_by,
                            after_first_token: true,
                        });
                    }
                    attempts.push(Attempt {
                        label: h.settings.label.clone(),
                        error: self.provider_error(&h, e),
                    });
                }
            }
        }
        Err(no_stream(Self::summarise(attempts)))
    }
}

enum RunEnd {
    Done(Usage),
    Failed(LlmError),
    Cancelled,
}

struct Run {
    end: RunEnd,
    text: String,
    elapsed: Duration,
    ttft: Option<Duration>,
}

/// The most text one streamed answer may grow to.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;
/// The longest one streamed answer may take, whatever arrives.
pub const MAX_STREAM_SECS: u64 = 15 * 60;

/// Runs one provider's stream to its end, sending `started` before the first token and every token.
async fn run_stream(
    h: &Handle,
    provider: &dyn Provider,
    prompt: &Prompt,
    cancel: &CancellationToken,
    sink: &(dyn Fn(StreamEvent) + Send + Sync),
    fallback_from: Vec<String>,
) -> Run {
    let started = Instant::now();
    let t = &h.settings.timeouts;
    let first_limit = Duration::from_secs(u64::from(t.first_token_secs));
    let stall_limit = Duration::from_secs(u64::from(t.stall_secs));
    let first_deadline = tokio::time::Instant::from_std(started + first_limit);
    let mut text = String::new();
    let mut ttft: Option<Duration> = None;
    let finish = |end: RunEnd, text: String, ttft: Option<Duration>| Run {
        end,
        text,
        elapsed: started.elapsed(),
        ttft,
    };
    let no_first_token = || {
        LlmError::new(
            LlmErrorKind::Timeout,
            format!("No answer began within {}.", human_duration(first_limit)),
        )
    };
    let opened = tokio::select! {
        biased;
        _ = cancel.cancelled() => return finish(RunEnd::Cancelled, text, ttft),
        r = tokio::time::timeout_at(first_deadline, provider.stream(prompt, &h.settings.chat_model)) => r,
    };
    let mut stream = match opened {
        Err(_) => return finish(RunEnd::Failed(no_first_token()), text, ttft),
        Ok(Err(e)) => return finish(RunEnd::Failed(e), text, ttft),
        Ok(Ok(s)) => s,
    };
    let mut fallback_from = Some(fallback_from);
    let mut start_event = |ttft: &mut Option<Duration>| {
        if ttft.is_none() {
            *ttft = Some(started.elapsed());
            sink(StreamEvent::Started {
                provider: h.settings.id.clone(),
                provider_label: h.settings.label.clone(),
                model: h.settings.chat_model.clone(),
                fallback_from: fallback_from.take().unwrap_or_default(),
            });
        }
    };
    let whole_deadline =
        tokio::time::Instant::from_std(started + Duration::from_secs(MAX_STREAM_SECS));
    // A provider sends at least a token per piece; four times the asked-for maximum means it ignores it.
    let max_pieces = prompt.max_tokens as usize * 4 + 256;
    let mut pieces = 0usize;
    loop {
        let deadline = if ttft.is_some() {
            tokio::time::Instant::now() + stall_limit
        } else {
            first_deadline
        }
        .min(whole_deadline);
        let next = tokio::select! {
            biased;
            _ = cancel.cancelled() => return finish(RunEnd::Cancelled, text, ttft),
            r = tokio::time::timeout_at(deadline, stream.next()) => r,
        };
        match next {
            Err(_) if tokio::time::Instant::now() >= whole_deadline => {
                let e = LlmError::new(
                    LlmErrorKind::Timeout,
                    format!(
                        "The answer ran past {}; it was stopped.",
                        human_duration(Duration::from_secs(MAX_STREAM_SECS))
                    ),
                );
                return finish(RunEnd::Failed(e), text, ttft);
            }
            Err(_) if ttft.is_some() => {
                let e = LlmError::new(
                    LlmErrorKind::Timeout,
                    format!(
                        "The answer stalled: nothing arrived for {}.",
                        human_duration(stall_limit)
                    ),
                );
                return finish(RunEnd::Failed(e), text, ttft);
            }
            Err(_) => return finish(RunEnd::Failed(no_first_token()), text, ttft),
            Ok(None) => return finish(RunEnd::Failed(LlmError::stream_cut()), text, ttft),
            Ok(Some(Ok(StreamPiece::Token(piece)))) => {
                pieces += 1;
                if text.len() + piece.len() > MAX_ANSWER_BYTES || pieces > max_pieces {
                    let e = LlmError::malformed(format!(
                        "the answer grew past {} (the provider ignored the length asked for)",
                        if pieces > max_pieces {
                            format!("{max_pieces} tokens")
                        } else {
                            format!("{} MB", MAX_ANSWER_BYTES / (1024 * 1024))
                        }
                    ));
                    return finish(RunEnd::Failed(e), text, ttft);
                }
                start_event(&mut ttft);
                text.push_str(&piece);
                sink(StreamEvent::Token { text: piece });
            }
            Ok(Some(Ok(StreamPiece::Done(usage)))) => {
                start_event(&mut ttft);
                return finish(RunEnd::Done(usage), text, ttft);
            }
            Ok(Some(Err(e))) => return finish(RunEnd::Failed(e), text, ttft),
        }
    }
}
