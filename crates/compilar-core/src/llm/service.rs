//! The LLM service: the fallback chain over the providers, each behind its circuit breaker, the per-user
//! rate limit, timeouts, cancellation and the call log. Every AI feature calls it; nothing else talks to
//! a provider.
//!
//! Whole answers move down the chain until a provider answers. Streams move down the chain only until the
//! first token has been sent to the user; after that a failure ends the stream with an `error` event (the UI
//! offers "retry with another provider", which calls again with that provider excluded).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use super::breaker::{BreakerSnapshot, BreakerState, CircuitBreaker, Outcome, Permit};
use super::clock::Clock;
use super::error::{LlmError, LlmErrorKind};
use super::limiter::{ActionLimiter, RateLimitState};
use super::providers::{http_client, AnthropicProvider, OllamaProvider, OpenAiProvider, Provider};
use super::secrets::{KeySource, KeychainBackend, KeychainStatus, Secrets};
use super::settings::{AiSettings, ProviderSettings, PROVIDER_IDS};
use super::types::{Feature, Prompt, ProviderKind, StreamPiece, Usage};
use crate::error::{Error, ErrorPayload, Result};
use crate::store::llm::{self as sql, CallLogEntry};
use crate::store::Store;
use crate::util::{human_duration, new_id, now};

/// How often (in inserted rows) the call log is pruned.
const PRUNE_EVERY: u64 = 200;

/// How the service is wired (tests swap the clock and the keychain).
pub struct LlmOptions {
    pub clock: Arc<dyn Clock>,
    pub keychain: KeychainBackend,
    /// Keys from the environment, by kind (normally [`Secrets::env_keys`]).
    pub env_keys: HashMap<ProviderKind, String>,
}

/// A streamed answer, as the UI receives it. Every stream ends with exactly one `done` or `error`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The first token is about to arrive from this provider; `fallback_from` lists providers that failed first.
    Started {
        provider: String,
        provider_label: String,
        model: String,
        fallback_from: Vec<String>,
    },
    Token {
        text: String,
    },
    Done {
        provider: String,
        provider_label: String,
        model: String,
        usage: Usage,
        #[ts(type = "number")]
        latency_ms: u64,
        #[ts(type = "number")]
        ttft_ms: u64,
    },
    /// The core's error payload (`code`, `message`, `retryable`, `retry_after_ms`, and `provider`: the one
    /// that was answering when the error came after the first token), plus whether part of an answer was
    /// shown ("retry with another provider").
    Error {
        #[serde(flatten)]
        #[ts(flatten)]
        error: crate::error::ErrorPayload,
        after_first_token: bool,
    },
}

/// A whole answer and who gave it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ChatAnswer {
    pub text: String,
    pub provider: String,
    pub provider_label: String,
    pub model: String,
    pub usage: Usage,
    #[ts(type = "number")]
    pub latency_ms: u64,
    /// Providers tried before this one, with why they did not answer.
    pub fallback_from: Vec<String>,
}

/// One provider as the diagnostics view shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProviderStatus {
    pub id: String,
    pub label: String,
    pub kind: ProviderKind,
    pub enabled: bool,
    /// It has what it needs to be called (a key, for cloud providers).
    pub configured: bool,
    pub position: u32,
    pub model: String,
    pub breaker: BreakerSnapshot,
}

/// A provider's settings plus its key status (never the key).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProviderView {
    pub settings: ProviderSettings,
    pub key_source: KeySource,
    pub needs_key: bool,
    pub configured: bool,
    /// The environment variable that overrides the stored key.
    pub key_env_var: Option<String>,
}

/// Result of "test connection".
#[derive(Debug, Clone, Serialize, TS)]
pub struct ConnectionTest {
    pub provider: String,
    pub ok: bool,
    #[ts(type = "number")]
    pub latency_ms: u64,
    pub models: Vec<String>,
    /// Whether the configured chat model is among `models` (`None` when the list is empty).
    pub model_available: Option<bool>,
    pub message: String,
    pub error: Option<ErrorPayload>,
}

struct Handle {
    settings: ProviderSettings,
    key_source: KeySource,
    /// `None` when the provider needs a key it does not have.
    provider: Option<Arc<dyn Provider>>,
    breaker: Arc<CircuitBreaker>,
}

impl Handle {
    fn configured(&self) -> bool {
        self.provider.is_some()
    }
}

/// A call-log row that writes itself if the call's future is dropped before it finished (the user stopped a
/// whole-answer call): a cancelled call is still a call.
struct PendingLog<'a> {
    store: &'a Arc<Store>,
    entry: Option<CallLogEntry>,
    started: Instant,
}

impl Drop for PendingLog<'_> {
    fn drop(&mut self) {
        if let Some(mut e) = self.entry.take() {
            e.outcome = "cancelled".into();
            e.error_code = Some(LlmErrorKind::Cancelled.code().into());
            e.latency_ms = self.started.elapsed().as_millis() as u64;
            self.store.write_detached(move |c| sql::insert_call(c, &e));
        }
    }
}

/// Why one provider did not answer.
/// Why one provider gave no embeddings.
enum EmbedFailure {
    /// It does not offer them (Anthropic): not worth reporting when going down the chain.
    Unsupported,
    Failed(Error),
}

struct Attempt {
    label: String,
    error: Error,
}

pub struct Llm {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    secrets: Arc<Secrets>,
    breakers: HashMap<&'static str, Arc<CircuitBreaker>>,
    /// Built lazily (reading keys may block on the keychain) and rebuilt when settings or keys change.
    handles: RwLock<Option<Arc<Vec<Arc<Handle>>>>>,
    settings: RwLock<Vec<ProviderSettings>>,
    ai: RwLock<AiSettings>,
    limiter: ActionLimiter,
    inserted: AtomicU64,
}

fn read<T: Clone>(l: &RwLock<T>) -> T {
    match l.read() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

fn write<T>(l: &RwLock<T>, v: T) {
    match l.write() {
        Ok(mut g) => *g = v,
        Err(p) => *p.into_inner() = v,
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis().min(u128::from(u64::MAX)) as u64
}

impl Llm {
    /// Loads the settings, seeds the rate limiter from the call log and prunes it. Keys are read later, on
    /// first use, so that start-up never waits for a keychain.
    pub async fn open(store: Arc<Store>, opts: LlmOptions) -> Result<Llm> {
        let (settings, ai) = store
            .read(|c| Ok((sql::load_provider_settings(c)?, sql::load_ai_settings(c)?)))
            .await?;
        let breakers = PROVIDER_IDS
            .iter()
            .map(|id| {
                let cfg = settings
                    .iter()
                    .find(|s| s.id == *id)
                    .map(|s| s.breaker.clone())
                    .unwrap_or_default();
                (*id, CircuitBreaker::new(*id, cfg, Arc::clone(&opts.clock)))
            })
            .collect();
        let limiter = ActionLimiter::new(ai.rate_limit.clone(), Arc::clone(&opts.clock));
        let window = chrono::Duration::seconds(i64::from(ai.rate_limit.window_secs));
        let since =
            (chrono::Utc::now() - window).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let retention = chrono::Duration::days(i64::from(ai.call_log_retention_days));
        let before =
            (chrono::Utc::now() - retention).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let times = store
            .read(move |c| sql::action_times_since(c, &since))
            .await?;
        let pruned = store.write(move |c| sql::prune_calls(c, &before)).await?;
        if pruned > 0 {
            tracing::info!(rows = pruned, "pruned the LLM call log");
        }
        let now_utc = chrono::Utc::now();
        limiter.seed(
            times
                .iter()
                .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .filter_map(|t| (now_utc - t.with_timezone(&chrono::Utc)).to_std().ok())
                .collect(),
        );
        Ok(Llm {
            store,
            clock: opts.clock,
            secrets: Arc::new(Secrets::new(opts.keychain, opts.env_keys)),
            breakers,
            handles: RwLock::new(None),
            settings: RwLock::new(settings),
            ai: RwLock::new(ai),
            limiter,
            inserted: AtomicU64::new(0),
        })
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    fn breaker(&self, id: &str) -> Result<&Arc<CircuitBreaker>> {
        self.breakers
            .get(id)
            .ok_or_else(|| Error::UnknownProvider(crate::domain::truncate_for_message(id)))
    }

    /// The providers in chain order, with their keys loaded.
    async fn handles(&self) -> Result<Arc<Vec<Arc<Handle>>>> {
        if let Some(h) = read(&self.handles) {
            return Ok(h);
        }
        let settings = read(&self.settings);
        let secrets = Arc::clone(&self.secrets);
        let breakers: Vec<Arc<CircuitBreaker>> = settings
            .iter()
            .map(|s| self.breaker(&s.id).map(Arc::clone))
            .collect::<Result<_>>()?;
        let built = tokio::task::spawn_blocking(move || {
            settings
                .into_iter()
                .zip(breakers)
                .map(|(s, breaker)| build_handle(s, &secrets, breaker))
                .collect::<Vec<_>>()
        })
        .await?;
        let built = Arc::new(built);
        write(&self.handles, Some(Arc::clone(&built)));
        Ok(built)
    }

    fn invalidate(&self) {
        write(&self.handles, None);
    }

    fn chain(handles: &[Arc<Handle>], exclude: &[String]) -> Vec<Arc<Handle>> {
        handles
            .iter()
            .filter(|h| h.settings.enabled && !exclude.iter().any(|x| x == &h.settings.id))
            .cloned()
            .collect()
    }

    fn ai(&self) -> AiSettings {
        read(&self.ai)
    }

    fn take_action(&self, feature: Feature) -> Result<()> {
        if !feature.rate_limited() {
            return Ok(());
        }
        self.limiter.try_acquire().map(|_| ()).map_err(|s| {
            tracing::info!(
                feature = feature.as_str(),
                "AI action refused by the rate limit"
            );
            Error::RateLimited {
                max: s.max_actions,
                window: human_duration(Duration::from_secs(u64::from(s.window_secs))),
                wait: human_duration(Duration::from_millis(s.next_allowed_in_ms)),
                retry_after_ms: s.next_allowed_in_ms,
            }
        })
    }

    fn entry(
        &self,
        action: &str,
        feature: Feature,
        h: &Handle,
        streamed: bool,
        prompt: &Prompt,
    ) -> CallLogEntry {
        let log_prompts = self.ai().log_prompts;
        CallLogEntry {
            id: 0,
            action_id: action.to_owned(),
            at: now(),
            feature: feature.as_str().to_owned(),
            provider: h.settings.id.clone(),
            model: h.settings.chat_model.clone(),
            streamed,
            latency_ms: 0,
            ttft_ms: None,
            tokens_in: 0,
            tokens_out: 0,
            outcome: "ok".into(),
            error_code: None,
            error_message: None,
            breaker_state: h.breaker.state().as_str().to_owned(),
            prompt: log_prompts
                .then(|| serde_json::to_string(prompt).ok())
                .flatten()
                .map(|p| self.secrets.scrub(&p)),
            output: None,
            rate_limited: feature.rate_limited(),
        }
    }

    async fn log(&self, mut e: CallLogEntry) {
        if !self.ai().log_prompts {
            e.prompt = None;
            e.output = None;
        } else {
            e.output = e.output.map(|o| self.secrets.scrub(&o));
        }
        e.error_message = e.error_message.map(|m| self.secrets.scrub(&m));
        if let Err(err) = self
            .store
            .write_statement(move |c| sql::insert_call(c, &e))
            .await
        {
            tracing::warn!(error = %err, "could not write the LLM call log");
        }
        if self.inserted.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            let days = i64::from(self.ai().call_log_retention_days);
            let before = (chrono::Utc::now() - chrono::Duration::days(days))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            if let Err(err) = self
                .store
                .write(move |c| sql::prune_calls(c, &before))
                .await
            {
                tracing::warn!(error = %err, "could not prune the LLM call log");
            }
        }
    }

    fn provider_error(&self, h: &Handle, mut e: LlmError) -> Error {
        e.message = self.secrets.scrub(&e.message);
        Error::Llm {
            provider: h.settings.label.clone(),
            error: e,
        }
    }

    /// Reports a failed attempt to the provider's breaker and writes its call-log row.
    async fn log_failure(&self, permit: Permit, mut entry: CallLogEntry, h: &Handle, e: &LlmError) {
        permit.record(Outcome::Failure {
            kind: e.kind,
            message: e.message.clone(),
            retry_after: e.retry_after,
        });
        entry.breaker_state = h.breaker.state().as_str().into();
        mark_error(&mut entry, e);
        let streamed = entry.streamed;
        self.log(entry).await;
        tracing::warn!(provider = %h.settings.id, code = e.kind.code(), streamed, "provider call failed");
    }

    /// Records a call the breaker turned away and says why, for the list of attempts.
    async fn log_rejection(
        &self,
        action: &str,
        feature: Feature,
        h: &Handle,
        streamed: bool,
        prompt: &Prompt,
        retry_after: Option<Duration>,
    ) -> Attempt {
        let mut e = self.entry(action, feature, h, streamed, prompt);
        e.outcome = "rejected".into();
        e.error_code = Some("circuit_open".into());
        self.log(e).await;
        Attempt {
            label: h.settings.label.clone(),
            error: self.rejected(h, retry_after),
        }
    }

    fn rejected(&self, h: &Handle, retry_after: Option<Duration>) -> Error {
        let label = &h.settings.label;
        Error::CircuitOpen {
            message: match retry_after {
                Some(d) => format!(
                    "{label} is paused after repeated failures; the next try is in {}.",
                    human_duration(d)
                ),
                None => format!(
                    "{label} was switched off in Diagnostics; reset it there to use it again."
                ),
            },
            retry_after_ms: retry_after.map(ms),
        }
    }

    /// Turns the list of failed attempts into one error for the user.
    fn summarise(attempts: Vec<Attempt>) -> Error {
        if attempts.is_empty() {
            return Error::NoProvider;
        }
        if attempts.len() == 1 {
            if let Some(a) = attempts.into_iter().next() {
                return a.error;
            }
            return Error::NoProvider;
        }
        let retryable = attempts.iter().any(|a| a.error.retryable());
        let summary = attempts
            .iter()
            .map(|a| match &a.error {
                Error::Llm { error, .. } => format!("{}: {}", a.label, error.message),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ");
        Error::AllProvidersFailed { summary, retryable }
    }

    /// Providers that cannot be called at all (no key) are skipped without an attempt; if that leaves nothing,
    /// the user is told how to set one up.
    fn usable(chain: Vec<Arc<Handle>>) -> Result<Vec<Arc<Handle>>> {
        let usable: Vec<_> = chain.into_iter().filter(|h| h.configured()).collect();
        if usable.is_empty() {
            Err(Error::NoProvider)
        } else {
            Ok(usable)
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
            let Some(provider) = h.provider.clone() else {
                continue;
            };
            let permit = match h.breaker.acquire() {
                Ok(p) => p,
                Err(r) => {
                    let a = self.log_rejection(&action, feature, &h, false, prompt, r.retry_after);
                    attempts.push(a.await);
                    continue;
                }
            };
            let started = Instant::now();
            let mut pending = PendingLog {
                store: &self.store,
                entry: Some(self.entry(&action, feature, &h, false, prompt)),
                started,
            };
            let limit = Duration::from_secs(u64::from(h.settings.timeouts.request_secs));
            let result =
                match tokio::time::timeout(limit, provider.chat(prompt, &h.settings.chat_model))
                    .await
                {
                    Ok(r) => r,
                    Err(_) => Err(LlmError::new(
                        LlmErrorKind::Timeout,
                        format!("No answer within {}.", human_duration(limit)),
                    )),
                };
            let elapsed = started.elapsed();
            let Some(mut entry) = pending.entry.take() else {
                continue;
            };
            entry.latency_ms = ms(elapsed);
            match result {
                Ok(c) => {
                    let slow = h.settings.timeouts.slow_call_secs;
                    permit.record(
                        if slow > 0 && elapsed > Duration::from_secs(u64::from(slow)) {
                            Outcome::Slow { after: elapsed }
                        } else {
                            Outcome::Success
                        },
                    );
                    entry.breaker_state = h.breaker.state().as_str().into();
                    entry.tokens_in = c.usage.input_tokens;
                    entry.tokens_out = c.usage.output_tokens;
                    entry.model = c.model.clone();
                    entry.output = Some(c.text.clone());
                    self.log(entry).await;
                    return Ok(ChatAnswer {
                        text: c.text,
                        provider: h.settings.id.clone(),
                        provider_label: h.settings.label.clone(),
                        model: c.model,
                        usage: c.usage,
                        latency_ms: ms(elapsed),
                        fallback_from: attempts.into_iter().map(|a| a.label).collect(),
                    });
                }
                Err(e) => {
                    self.log_failure(permit, entry, &h, &e).await;
                    attempts.push(Attempt {
                        label: h.settings.label.clone(),
                        error: self.provider_error(&h, e),
                    });
                }
            }
        }
        Err(Self::summarise(attempts))
    }

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
            Err((e, provider, after_first_token)) => {
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
    ) -> std::result::Result<StreamEvent, (Error, Option<String>, bool)> {
        let no_stream = |e: Error| (e, None, false);
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
                    return Err((
                        self.provider_error(&h, LlmError::cancelled()),
                        answered_by,
                        after_first,
                    ));
                }
                RunEnd::Failed(e) => {
                    self.log_failure(permit, entry, &h, &e).await;
                    if run.ttft.is_some() {
                        // Tokens were shown: no silent switch to another provider mid-answer.
                        return Err((self.provider_error(&h, e), answered_by, true));
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
                Err(EmbedFailure::Unsupported) => {}
                Err(EmbedFailure::Failed(error)) => attempts.push(Attempt {
                    label: h.settings.label.clone(),
                    error,
                }),
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
            Err(EmbedFailure::Failed(e)) => Err(e),
            Err(EmbedFailure::Unsupported) => {
                Err(Error::EmbeddingsUnsupported(h.settings.label.clone()))
            }
        }
    }

    /// One embedding call on one provider, through its breaker; every attempt is logged.
    async fn embed_on(
        &self,
        h: &Handle,
        model: &str,
        texts: &[String],
        action: &str,
    ) -> std::result::Result<Vec<Vec<f32>>, EmbedFailure> {
        let Some(provider) = h.provider.clone() else {
            return Err(EmbedFailure::Failed(Error::NoProvider));
        };
        let permit = h
            .breaker
            .acquire()
            .map_err(|r| EmbedFailure::Failed(self.rejected(h, r.retry_after)))?;
        let started = Instant::now();
        let limit = Duration::from_secs(u64::from(h.settings.timeouts.request_secs));
        let result = match tokio::time::timeout(limit, provider.embed(texts, model)).await {
            Ok(r) => r,
            Err(_) => Err(LlmError::new(
                LlmErrorKind::Timeout,
                "No embeddings in time.",
            )),
        };
        let mut entry = self.entry(
            action,
            Feature::Embedding,
            h,
            false,
            &Prompt {
                system: None,
                messages: Vec::new(),
                max_tokens: 0,
                temperature: None,
            },
        );
        entry.model = model.to_owned();
        entry.latency_ms = ms(started.elapsed());
        match result {
            Ok(v) => {
                permit.record(Outcome::Success);
                entry.breaker_state = h.breaker.state().as_str().into();
                self.log(entry).await;
                Ok(v)
            }
            Err(e) => {
                self.log_failure(permit, entry, h, &e).await;
                if e.kind == LlmErrorKind::Unsupported {
                    Err(EmbedFailure::Unsupported)
                } else {
                    Err(EmbedFailure::Failed(self.provider_error(h, e)))
                }
            }
        }
    }

    /// "Test connection": lists the provider's models, bypassing its breaker (so a person can check whether a
    /// paused provider is back). Recorded in the call log; not counted against the AI-action limit.
    pub async fn test_connection(&self, id: &str) -> Result<ConnectionTest> {
        let handles = self.handles().await?;
        let h = handles
            .iter()
            .find(|h| h.settings.id == id)
            .ok_or_else(|| Error::UnknownProvider(crate::domain::truncate_for_message(id)))?;
        let Some(provider) = h.provider.clone() else {
            return Ok(ConnectionTest {
                provider: id.to_owned(),
                ok: false,
                latency_ms: 0,
                models: Vec::new(),
                model_available: None,
                message: format!("{} needs an API key first.", h.settings.label),
                error: Some(
                    Error::Llm {
                        provider: h.settings.label.clone(),
                        error: LlmError::new(LlmErrorKind::NotConfigured, "No API key is set."),
                    }
                    .payload(),
                ),
            });
        };
        let started = Instant::now();
        let limit = Duration::from_secs(u64::from(h.settings.timeouts.connect_secs) + 20);
        let result = match tokio::time::timeout(limit, provider.list_models()).await {
            Ok(r) => r,
            Err(_) => Err(LlmError::new(LlmErrorKind::Timeout, "No reply in time.")),
        };
        let latency = started.elapsed();
        let prompt = Prompt {
            system: None,
            messages: Vec::new(),
            max_tokens: 0,
            temperature: None,
        };
        let mut entry = self.entry(
            &new_id().to_string(),
            Feature::ConnectionTest,
            h,
            false,
            &prompt,
        );
        entry.latency_ms = ms(latency);
        let out = match result {
            Ok(models) => {
                let available = (!models.is_empty()).then(|| {
                    let m = &h.settings.chat_model;
                    models
                        .iter()
                        .any(|x| x == m || x.strip_suffix(":latest") == Some(m))
                });
                let message = match available {
                    Some(false) if h.settings.kind == ProviderKind::Ollama => format!(
                        "Connected, but \u{201c}{m}\u{201d} is not installed: run `ollama pull {m}` or choose one of the listed models.",
                        m = h.settings.chat_model
                    ),
                    Some(false) => format!(
                        "Connected, but \u{201c}{}\u{201d} is not among the {} models offered.",
                        h.settings.chat_model,
                        models.len()
                    ),
                    _ => format!("Connected in {} ms; {} models available.", latency.as_millis(), models.len()),
                };
                ConnectionTest {
                    provider: id.to_owned(),
                    ok: true,
                    latency_ms: ms(latency),
                    models,
                    model_available: available,
                    message,
                    error: None,
                }
            }
            Err(e) => {
                mark_error(&mut entry, &e);
                let err = self.provider_error(h, e);
                ConnectionTest {
                    provider: id.to_owned(),
                    ok: false,
                    latency_ms: ms(latency),
                    models: Vec::new(),
                    model_available: None,
                    message: err.to_string(),
                    error: Some(err.payload()),
                }
            }
        };
        self.log(entry).await;
        Ok(out)
    }

    /// Whether the keychain works (probed once, on a blocking thread; later calls reuse the answer).
    pub async fn keychain_status(&self) -> Result<KeychainStatus> {
        let secrets = Arc::clone(&self.secrets);
        Ok(tokio::task::spawn_blocking(move || secrets.status()).await?)
    }

    /// Settings with key status (reads the keychain: runs on a blocking thread).
    pub async fn settings_view(&self) -> Result<(Vec<ProviderView>, AiSettings, KeychainStatus)> {
        let handles = self.handles().await?;
        let secrets = Arc::clone(&self.secrets);
        let keychain = tokio::task::spawn_blocking(move || secrets.status()).await?;
        let views = handles
            .iter()
            .map(|h| ProviderView {
                settings: h.settings.clone(),
                key_source: h.key_source,
                needs_key: h.settings.kind.needs_key(),
                configured: h.configured(),
                key_env_var: h.settings.kind.key_env_var().map(str::to_owned),
            })
            .collect();
        Ok((views, self.ai(), keychain))
    }

    /// Saves all provider settings at once (order included). Validates every one first; nothing changes if
    /// any is invalid.
    pub async fn save_settings(&self, providers: Vec<ProviderSettings>) -> Result<()> {
        let mut providers: Vec<ProviderSettings> = providers
            .into_iter()
            .map(ProviderSettings::normalised)
            .collect();
        if providers.len() != PROVIDER_IDS.len() {
            return Err(Error::InvalidSettings(format!(
                "Send the settings of all {} providers.",
                PROVIDER_IDS.len()
            )));
        }
        for p in &providers {
            p.validate().map_err(Error::InvalidSettings)?;
        }
        for id in PROVIDER_IDS {
            if providers.iter().filter(|p| p.id == id).count() != 1 {
                return Err(Error::InvalidSettings(format!(
                    "The settings must name each provider once ({id} is missing or repeated)."
                )));
            }
        }
        // Positions become 0..n in the order given by `position`, ties by the order sent.
        providers.sort_by_key(|p| p.position);
        for (i, p) in providers.iter_mut().enumerate() {
            p.position = i as u32;
        }
        let saved = providers.clone();
        self.store
            .write(move |c| sql::save_provider_settings(c, &saved, &now()))
            .await?;
        for p in &providers {
            self.breaker(&p.id)?.configure(p.breaker.clone());
        }
        write(&self.settings, providers);
        self.invalidate();
        tracing::info!("provider settings saved");
        Ok(())
    }

    pub async fn save_ai_settings(&self, ai: AiSettings) -> Result<()> {
        ai.validate().map_err(Error::InvalidSettings)?;
        let saved = ai.clone();
        self.store
            .write(move |c| sql::save_ai_settings(c, &saved, &now()))
            .await?;
        self.limiter.configure(ai.rate_limit.clone());
        write(&self.ai, ai);
        Ok(())
    }

    fn known_provider(&self, id: &str) -> Result<()> {
        self.breaker(id).map(|_| ())
    }

    pub async fn set_key(&self, id: &str, key: &str) -> Result<()> {
        self.known_provider(id)?;
        let secrets = Arc::clone(&self.secrets);
        let (id2, key) = (id.to_owned(), key.to_owned());
        tokio::task::spawn_blocking(move || secrets.set(&id2, &key)).await??;
        self.invalidate();
        Ok(())
    }

    pub async fn remove_key(&self, id: &str) -> Result<()> {
        self.known_provider(id)?;
        let secrets = Arc::clone(&self.secrets);
        let id2 = id.to_owned();
        tokio::task::spawn_blocking(move || secrets.remove(&id2)).await??;
        self.invalidate();
        Ok(())
    }

    /// Reset / force-open / force-close a provider's breaker.
    pub fn control_breaker(&self, id: &str, action: BreakerAction) -> Result<BreakerSnapshot> {
        let b = self.breaker(id)?;
        match action {
            BreakerAction::Reset => b.reset(),
            BreakerAction::ForceOpen => b.force_open(),
            BreakerAction::ForceClose => b.force_close(),
        }
        tracing::info!(provider = id, action = ?action, "circuit breaker changed by hand");
        Ok(b.snapshot())
    }

    pub fn rate_limit_state(&self) -> RateLimitState {
        self.limiter.state()
    }

    /// Every provider's breaker and configuration state.
    pub async fn provider_status(&self) -> Result<Vec<ProviderStatus>> {
        Ok(self
            .handles()
            .await?
            .iter()
            .map(|h| ProviderStatus {
                id: h.settings.id.clone(),
                label: h.settings.label.clone(),
                kind: h.settings.kind,
                enabled: h.settings.enabled,
                configured: h.configured(),
                position: h.settings.position,
                model: h.settings.chat_model.clone(),
                breaker: h.breaker.snapshot(),
            })
            .collect())
    }

    pub async fn recent_calls(&self, limit: u32) -> Result<Vec<CallLogEntry>> {
        self.store.read(move |c| sql::recent_calls(c, limit)).await
    }

    /// The state of one breaker (tests and diagnostics).
    pub fn breaker_state(&self, id: &str) -> Result<BreakerState> {
        Ok(self.breaker(id)?.state())
    }
}

/// Manual breaker controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum BreakerAction {
    Reset,
    ForceOpen,
    ForceClose,
}

fn mark_error(entry: &mut CallLogEntry, e: &LlmError) {
    entry.outcome = "error".into();
    entry.error_code = Some(e.kind.code().into());
    entry.error_message = Some(e.message.clone());
}

fn build_handle(
    s: ProviderSettings,
    secrets: &Secrets,
    breaker: Arc<CircuitBreaker>,
) -> Arc<Handle> {
    let (key, key_source) = secrets.key(&s.id, s.kind);
    let provider: Option<Arc<dyn Provider>> = if s.kind.needs_key() && key.is_none() {
        None
    } else {
        match http_client(Duration::from_secs(u64::from(s.timeouts.connect_secs))) {
            Ok(http) => Some(match s.kind {
                ProviderKind::Anthropic => Arc::new(AnthropicProvider::new(
                    &s.base_url,
                    key.as_deref().unwrap_or(""),
                    http,
                )) as Arc<dyn Provider>,
                ProviderKind::Ollama => Arc::new(OllamaProvider::new(&s.base_url, s.num_ctx, http)),
                ProviderKind::Openai | ProviderKind::OpenaiCompatible => Arc::new(
                    OpenAiProvider::new(s.kind, &s.base_url, key.as_deref(), http),
                ),
            }),
            Err(e) => {
                tracing::error!(provider = %s.id, error = %e, "provider could not be built");
                None
            }
        }
    };
    Arc::new(Handle {
        settings: s,
        key_source,
        provider,
        breaker,
    })
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
    loop {
        let deadline = if ttft.is_some() {
            tokio::time::Instant::now() + stall_limit
        } else {
            first_deadline
        };
        let next = tokio::select! {
            biased;
            _ = cancel.cancelled() => return finish(RunEnd::Cancelled, text, ttft),
            r = tokio::time::timeout_at(deadline, stream.next()) => r,
        };
        match next {
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
