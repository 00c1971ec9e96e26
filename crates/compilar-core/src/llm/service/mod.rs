//! The LLM service: the fallback chain over the providers, each behind its circuit breaker, the per-user
//! rate limit, timeouts, cancellation and the call log. Every AI feature calls it; nothing else talks to
//! a provider.
//!
//! Whole answers move down the chain until a provider answers. Streams move down the chain only until the
//! first token has been sent to the user; after that a failure ends the stream with an `error` event (the UI
//! offers "retry with another provider", which calls again with that provider excluded).
//!
//! The service is split by concern: [`chain`] (whole answers and embeddings down the fallback chain, one
//! attempt helper), [`stream`] (streamed answers), [`calllog`] (the call-log rows), [`admin`] (settings, keys,
//! breaker control and status), [`shared`] (the breakers' state shared through the database with other
//! processes) and [`views`] (the types shells receive).

mod admin;
mod calllog;
mod chain;
pub mod health;
mod shared;
mod stream;
mod views;

pub use views::{
    BreakerAction, ChatAnswer, ConnectionTest, ProviderStatus, ProviderView, StreamEvent,
};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use super::error::{LlmError, LlmErrorKind};
use super::providers::{http_client, AnthropicProvider, OllamaProvider, OpenAiProvider, Provider};
use super::settings::{AiSettings, ProviderSettings, PROVIDER_IDS};
use super::types::{Feature, Prompt, ProviderKind, StreamPiece, Usage};
use crate::error::{Error, ErrorPayload, Result};
use crate::resilience::breaker::{BreakerSnapshot, BreakerState, CircuitBreaker, Outcome, Permit};
use crate::resilience::clock::Clock;
use crate::resilience::limiter::{ActionLimiter, RateLimitState};
use crate::secrets::{KeySource, KeychainBackend, KeychainStatus, Secrets};
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
    /// What this process last saw of each provider's shared breaker row.
    breaker_seen: std::sync::Mutex<HashMap<&'static str, shared::Seen>>,
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
        let (settings, ai, shared_breakers) = store
            .read(|c| {
                Ok((
                    sql::load_provider_settings(c)?,
                    sql::load_ai_settings(c)?,
                    sql::load_breakers(c)?,
                ))
            })
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
        let llm = Llm {
            store,
            clock: opts.clock,
            secrets: Arc::new(Secrets::new(opts.keychain, opts.env_keys)),
            breakers,
            handles: RwLock::new(None),
            settings: RwLock::new(settings),
            ai: RwLock::new(ai),
            limiter,
            inserted: AtomicU64::new(0),
            breaker_seen: std::sync::Mutex::new(HashMap::new()),
        };
        llm.adopt_breakers(&shared_breakers);
        Ok(llm)
    }

    /// The keychain.
    pub fn secrets(&self) -> &Arc<Secrets> {
        &self.secrets
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

    fn provider_error(&self, h: &Handle, mut e: LlmError) -> Error {
        e.message = self.secrets.scrub(&e.message);
        Error::Llm {
            provider: h.settings.label.clone(),
            error: e,
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
