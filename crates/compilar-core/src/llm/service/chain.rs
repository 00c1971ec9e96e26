//! Whole answers and embeddings down the fallback chain, through one attempt helper: every whole call on a
//! provider goes through its breaker, is bounded by its request timeout, is recorded as a success, a slow call
//! or a failure, and is written to the call log (as `cancelled` when the caller's future is dropped).

use std::future::Future;

use super::calllog::PendingLog;
use super::*;
use crate::llm::types::Completion;

/// One whole call, as the attempt helper logs and times it.
struct Call<'a> {
    action: &'a str,
    feature: Feature,
    prompt: &'a Prompt,
    /// The model named in the call log.
    model: &'a str,
    /// Whether a call slower than the provider's slow-call limit counts against its breaker (answers do;
    /// embedding batches, whose duration grows with their size, do not).
    slow_counts: bool,
}

/// Why one attempt on one provider gave nothing.
enum AttemptFailure {
    /// The breaker turned it away (logged as `rejected`); the error says when it will try again.
    Rejected(Error),
    /// The provider could not be called (it needs a key it does not have).
    Unavailable,
    /// The provider failed (its breaker told, logged as `error`).
    Failed(LlmError),
}

/// The empty prompt an embedding call is logged with.
const NO_PROMPT: Prompt = Prompt {
    system: None,
    messages: Vec::new(),
    max_tokens: 0,
    temperature: None,
    schema: None,
};

impl Llm {
    /// One whole call on one provider. `fill` adds what the reply tells to its call-log row.
    async fn attempt<T, F, Fut>(
        &self,
        h: &Handle,
        call: &Call<'_>,
        run: F,
        fill: impl FnOnce(&T, &mut CallLogEntry),
    ) -> std::result::Result<(T, Duration), AttemptFailure>
    where
        F: FnOnce(Arc<dyn Provider>) -> Fut,
        Fut: Future<Output = std::result::Result<T, LlmError>>,
    {
        let Some(provider) = h.provider.clone() else {
            return Err(AttemptFailure::Unavailable);
        };
        self.pull_breakers().await;
        let permit = match h.breaker.acquire() {
            Ok(p) => p,
            Err(r) => {
                let a = self
                    .log_rejection(
                        call.action,
                        call.feature,
                        h,
                        false,
                        call.prompt,
                        r.retry_after,
                    )
                    .await;
                return Err(AttemptFailure::Rejected(a.error));
            }
        };
        let started = Instant::now();
        let new_entry = || {
            let mut e = self.entry(call.action, call.feature, h, false, call.prompt);
            e.model = call.model.to_owned();
            e
        };
        let mut pending = PendingLog {
            store: &self.store,
            entry: Some(new_entry()),
            started,
        };
        let limit = Duration::from_secs(u64::from(h.settings.timeouts.request_secs));
        let result = match tokio::time::timeout(limit, run(provider)).await {
            Ok(r) => r,
            Err(_) => Err(LlmError::new(
                LlmErrorKind::Timeout,
                format!("No answer within {}.", human_duration(limit)),
            )),
        };
        let elapsed = started.elapsed();
        // The row is ours again: the call finished, so it is not logged as cancelled.
        let mut entry = pending.entry.take().unwrap_or_else(new_entry);
        entry.latency_ms = ms(elapsed);
        match result {
            Ok(v) => {
                let slow = Duration::from_secs(u64::from(h.settings.timeouts.slow_call_secs));
                permit.record(
                    if call.slow_counts && slow > Duration::ZERO && elapsed > slow {
                        Outcome::Slow { after: elapsed }
                    } else {
                        Outcome::Success
                    },
                );
                self.push_breaker(&h.settings.id).await;
                entry.breaker_state = h.breaker.state().as_str().into();
                fill(&v, &mut entry);
                self.log(entry).await;
                Ok((v, elapsed))
            }
            Err(e) => {
                self.log_failure(permit, entry, h, &e).await;
                Err(AttemptFailure::Failed(e))
            }
        }
    }

    /// A whole answer, from the first healthy provider in the chain (minus `exclude`).
    pub async fn chat(
        &self,
        feature: Feature,
        prompt: &Prompt,
        exclude: &[String],
    ) -> Result<ChatAnswer> {
        let chain = Self::usable(Self::chain(&self.handles().await?, exclude))?;
        self.take_action(feature)?;
        let action = new_id().to_string();
        let mut attempts: Vec<Attempt> = Vec::new();
        for h in chain {
            let model = h.settings.chat_model.as_str();
            let call = Call {
                action: &action,
                feature,
                prompt,
                model,
                slow_counts: true,
            };
            let fill = |c: &Completion, e: &mut CallLogEntry| {
                e.tokens_in = c.usage.input_tokens;
                e.tokens_out = c.usage.output_tokens;
                e.model = c.model.clone();
                e.output = Some(c.text.clone());
            };
            let run = |p: Arc<dyn Provider>| async move { p.chat(prompt, model).await };
            match self.attempt(&h, &call, run, fill).await {
                Ok((c, elapsed)) => {
                    return Ok(ChatAnswer {
                        text: c.text,
                        provider: h.settings.id.clone(),
                        provider_label: h.settings.label.clone(),
                        model: c.model,
                        usage: c.usage,
                        latency_ms: ms(elapsed),
                        fallback_from: attempts.into_iter().map(|a| a.label).collect(),
                    })
                }
                Err(f) => self.note_failure(&mut attempts, &h, f),
            }
        }
        Err(Self::summarise(attempts))
    }

    /// Notes a failed attempt for the summary; a provider that could not be called at all is left out.
    fn note_failure(&self, attempts: &mut Vec<Attempt>, h: &Handle, f: AttemptFailure) {
        let error = match f {
            AttemptFailure::Unavailable => return,
            AttemptFailure::Rejected(error) => error,
            AttemptFailure::Failed(e) => self.provider_error(h, e),
        };
        attempts.push(Attempt {
            label: h.settings.label.clone(),
            error,
        });
    }

    /// Embeddings from the first provider in the chain that offers them (not rate limited: this is upkeep).
    pub async fn embed(&self, texts: &[String]) -> Result<(String, String, Vec<Vec<f32>>)> {
        let chain = Self::usable(Self::chain(&self.handles().await?, &[]))?;
        let mut attempts = Vec::new();
        let action = new_id().to_string();
        for h in chain {
            let Some(model) = h.settings.embedding_model.clone() else {
                continue;
            };
            match self.embed_on(&h, &model, texts, &action).await {
                Ok(v) => return Ok((h.settings.id.clone(), model, v)),
                // Not offered there (Anthropic): not worth reporting when going down the chain.
                Err(AttemptFailure::Failed(e)) if e.kind == LlmErrorKind::Unsupported => {}
                Err(f) => self.note_failure(&mut attempts, &h, f),
            }
        }
        Err(Self::summarise(attempts))
    }

    /// Embeddings from one provider with one model, whatever the chain's order (the knowledge base keeps
    /// each model's vectors apart, so it must never get another model's). Through the provider's breaker,
    /// logged, not rate limited.
    pub async fn embed_with(
        &self,
        provider_id: &str,
        model: &str,
        texts: &[String],
    ) -> Result<Vec<Vec<f32>>> {
        let handles = self.handles().await?;
        let h = handles
            .iter()
            .find(|h| h.settings.id == provider_id)
            .ok_or_else(|| {
                Error::UnknownProvider(crate::domain::truncate_for_message(provider_id))
            })?;
        if !h.settings.enabled || !h.configured() {
            return Err(Error::NoProvider);
        }
        match self.embed_on(h, model, texts, &new_id().to_string()).await {
            Ok(v) => Ok(v),
            Err(AttemptFailure::Failed(e)) if e.kind == LlmErrorKind::Unsupported => {
                Err(Error::EmbeddingsUnsupported(h.settings.label.clone()))
            }
            Err(AttemptFailure::Failed(e)) => Err(self.provider_error(h, e)),
            Err(AttemptFailure::Rejected(e)) => Err(e),
            Err(AttemptFailure::Unavailable) => Err(Error::NoProvider),
        }
    }

    /// One embedding call on one provider.
    async fn embed_on(
        &self,
        h: &Handle,
        model: &str,
        texts: &[String],
        action: &str,
    ) -> std::result::Result<Vec<Vec<f32>>, AttemptFailure> {
        let call = Call {
            action,
            feature: Feature::Embedding,
            prompt: &NO_PROMPT,
            model,
            slow_counts: false,
        };
        let run = |p: Arc<dyn Provider>| async move { p.embed(texts, model).await };
        self.attempt(h, &call, run, |_, _| {}).await.map(|(v, _)| v)
    }
}
