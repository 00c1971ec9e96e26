//! A circuit breaker per provider: atomics in process, with its lasting part ([`Durable`]: the state, the
//! wait, the failure counts) kept in the database by the LLM service, so the window and every command-line
//! run share one breaker per provider and a provider's `Retry-After` outlives the process that heard it.
//!
//! States: **closed** (calls flow), **open** (calls are rejected at once with `retry_after`), **half-open**
//! (a few trial calls are let through; enough successes close the circuit, one failure opens it again),
//! and **forced open** (a person switched the provider off until they reset it).
//!
//! - closed → open after `failure_threshold` consecutive failures, or when the optional failure-rate
//!   window sees at least `min_calls` calls with a failure share over `threshold`, or at once when the
//!   provider rate limits us with a `Retry-After`;
//! - open lasts `recovery`, doubling each time the circuit re-opens without having closed (capped at
//!   `max_recovery`); a `Retry-After` sent by the provider replaces that time;
//! - half-open hands out `half_open_trials` permits and closes after that many successes. A permit that is
//!   dropped without an outcome (the user pressed stop) or that ends in a non-health error (auth, context
//!   length) goes back, so a cancelled call is neither a success nor a failure.
//!
//! Hot path: `acquire` and `Permit::success` on a closed circuit touch only atomics (no lock, no allocation).
//! Locks are taken only on failures, transitions and snapshots. Transitions are `tracing` events.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::clock::Clock;
use crate::llm::error::LlmErrorKind;

const CLOSED: u8 = 0;
const OPEN: u8 = 1;
const HALF_OPEN: u8 = 2;
const FORCED_OPEN: u8 = 3;

/// How long a rejected caller is told to wait while the half-open trials are still running.
const TRIAL_BUSY_WAIT: Duration = Duration::from_secs(2);
/// How many recent failures are kept for the diagnostics view.
const RECENT_FAILURES: usize = 20;
const WINDOW_BUCKETS: usize = 10;

/// The breaker's state as shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
    ForcedOpen,
}

impl BreakerState {
    fn from_u8(v: u8) -> BreakerState {
        match v {
            OPEN => BreakerState::Open,
            HALF_OPEN => BreakerState::HalfOpen,
            FORCED_OPEN => BreakerState::ForcedOpen,
            _ => BreakerState::Closed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
            BreakerState::ForcedOpen => "forced_open",
        }
    }
}

/// The optional failure-rate rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FailureRate {
    /// The sliding window, in seconds.
    pub window_secs: u32,
    /// No decision before this many calls in the window.
    pub min_calls: u32,
    /// Open when failures / calls in the window reaches this share (0–1).
    pub threshold: f32,
}

/// Breaker parameters (stored per provider in the settings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct BreakerConfig {
    pub failure_threshold: u32,
    pub recovery_secs: u32,
    pub max_recovery_secs: u32,
    pub half_open_trials: u32,
    pub failure_rate: Option<FailureRate>,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            recovery_secs: 60,
            max_recovery_secs: 600,
            half_open_trials: 3,
            failure_rate: None,
        }
    }
}

impl BreakerConfig {
    /// Checks the ranges; returns a sentence naming the first bad value.
    pub fn validate(&self) -> Result<(), crate::llm::error::Invalid> {
        if !(1..=100).contains(&self.failure_threshold) {
            return Err(crate::llm::error::Invalid::new(
                "breaker.failure_threshold",
                "The failure threshold must be between 1 and 100.",
            ));
        }
        if !(1..=3600).contains(&self.recovery_secs) {
            return Err(crate::llm::error::Invalid::new(
                "breaker.recovery_secs",
                "The recovery time must be between 1 and 3,600 seconds.",
            ));
        }
        if self.max_recovery_secs < self.recovery_secs || self.max_recovery_secs > 86_400 {
            return Err(crate::llm::error::Invalid::new(
                "breaker.max_recovery_secs",
                "The longest recovery time must be at least the recovery time and at most a day.",
            ));
        }
        if !(1..=20).contains(&self.half_open_trials) {
            return Err(crate::llm::error::Invalid::new(
                "breaker.half_open_trials",
                "The number of trial calls must be between 1 and 20.",
            ));
        }
        if let Some(r) = &self.failure_rate {
            if !(10..=3600).contains(&r.window_secs) {
                return Err(crate::llm::error::Invalid::new(
                    "breaker.failure_rate.window_secs",
                    "The failure-rate window must be between 10 and 3,600 seconds.",
                ));
            }
            if !(1..=10_000).contains(&r.min_calls) {
                return Err(crate::llm::error::Invalid::new(
                    "breaker.failure_rate.min_calls",
                    "The failure-rate minimum must be between 1 and 10,000 calls.",
                ));
            }
            if !(r.threshold > 0.0 && r.threshold <= 1.0) {
                return Err(crate::llm::error::Invalid::new(
                    "breaker.failure_rate.threshold",
                    "The failure-rate threshold must be above 0 and at most 1.",
                ));
            }
        }
        Ok(())
    }
}

/// What a call ended as, from the breaker's point of view.
#[derive(Debug, Clone)]
pub enum Outcome {
    Success,
    /// Succeeded, but slower than the slow-call threshold: counts as a failure.
    Slow {
        after: Duration,
    },
    /// Failed with this kind; only health failures count.
    Failure {
        kind: LlmErrorKind,
        message: String,
        retry_after: Option<Duration>,
    },
}

/// A rejection by an open breaker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub state: BreakerState,
    /// When a call may be tried again (`None`: forced open until someone resets it).
    pub retry_after: Option<Duration>,
}

/// What of a breaker outlives the process: kept in the database and shared by the window and every
/// command-line run on the same data folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Durable {
    /// Closed, open or forced open (a half-open breaker is kept as open with its wait over).
    pub state: BreakerState,
    /// How much longer an open circuit turns calls away.
    pub open_for: Duration,
    pub consecutive_failures: u32,
    pub consecutive_opens: u32,
}

/// One recent failure, for diagnostics.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FailureRecord {
    pub at: String,
    pub code: String,
    pub message: String,
}

/// Everything the diagnostics view shows about a breaker.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BreakerSnapshot {
    pub state: BreakerState,
    pub consecutive_failures: u32,
    pub failure_threshold: u32,
    /// Milliseconds until the next trial call is allowed (open state only).
    #[ts(type = "number | null")]
    pub next_trial_in_ms: Option<u64>,
    /// The same as a UTC time.
    pub next_trial_at: Option<String>,
    /// The same in words ("45 s").
    pub next_trial_in_text: Option<String>,
    pub trial_permits_left: u32,
    pub trial_successes: u32,
    pub trials_needed: u32,
    /// How many times in a row the circuit opened without closing (drives the back-off).
    pub consecutive_opens: u32,
    #[ts(type = "number")]
    pub successes: u64,
    #[ts(type = "number")]
    pub failures: u64,
    #[ts(type = "number")]
    pub rejections: u64,
    pub recent_failures: Vec<FailureRecord>,
}

struct Bucket {
    epoch: AtomicU64,
    ok: AtomicU32,
    failed: AtomicU32,
}

/// The breaker. Share it as `Arc<CircuitBreaker>`.
pub struct CircuitBreaker {
    name: String,
    clock: Arc<dyn Clock>,
    cfg: RwLock<BreakerConfig>,
    window_on: AtomicBool,
    state: AtomicU8,
    consecutive: AtomicU32,
    /// Clock time (ms) when an open circuit admits its first trial.
    open_until_ms: AtomicU64,
    consecutive_opens: AtomicU32,
    trial_permits: AtomicU32,
    trial_successes: AtomicU32,
    /// Bumped on every transition; permits remember it so a permit from an old half-open phase cannot
    /// move the breaker in a newer one.
    generation: AtomicU64,
    successes: AtomicU64,
    failures: AtomicU64,
    rejections: AtomicU64,
    /// Bumped whenever the [`Durable`] part changes here, so the service writes it only then.
    changes: AtomicU64,
    buckets: [Bucket; WINDOW_BUCKETS],
    recent: Mutex<VecDeque<FailureRecord>>,
}

impl std::fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.name)
            .field("state", &self.state())
            .finish()
    }
}

/// Permission to make one call. Report how it went with [`Permit::record`]; dropping it unreported means the
/// call was cancelled (a trial permit goes back to the pool).
#[must_use = "report the outcome with Permit::record"]
pub struct Permit {
    breaker: Arc<CircuitBreaker>,
    trial: bool,
    generation: u64,
    done: bool,
}

impl std::fmt::Debug for Permit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permit")
            .field("trial", &self.trial)
            .finish()
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis().min(u128::from(u64::MAX)) as u64
}

impl CircuitBreaker {
    pub fn new(name: impl Into<String>, cfg: BreakerConfig, clock: Arc<dyn Clock>) -> Arc<Self> {
        let window_on = cfg.failure_rate.is_some();
        Arc::new(CircuitBreaker {
            name: name.into(),
            clock,
            cfg: RwLock::new(cfg),
            window_on: AtomicBool::new(window_on),
            state: AtomicU8::new(CLOSED),
            consecutive: AtomicU32::new(0),
            open_until_ms: AtomicU64::new(u64::MAX),
            consecutive_opens: AtomicU32::new(0),
            trial_permits: AtomicU32::new(0),
            trial_successes: AtomicU32::new(0),
            generation: AtomicU64::new(0),
            successes: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            rejections: AtomicU64::new(0),
            changes: AtomicU64::new(0),
            buckets: std::array::from_fn(|_| Bucket {
                epoch: AtomicU64::new(u64::MAX),
                ok: AtomicU32::new(0),
                failed: AtomicU32::new(0),
            }),
            recent: Mutex::new(VecDeque::with_capacity(RECENT_FAILURES)),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn state(&self) -> BreakerState {
        BreakerState::from_u8(self.state.load(Ordering::Acquire))
    }

    fn config(&self) -> BreakerConfig {
        match self.cfg.read() {
            Ok(c) => c.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Replaces the parameters; the current state and counters stay.
    pub fn configure(&self, cfg: BreakerConfig) {
        self.window_on
            .store(cfg.failure_rate.is_some(), Ordering::Release);
        match self.cfg.write() {
            Ok(mut c) => *c = cfg,
            Err(p) => *p.into_inner() = cfg,
        }
    }

    fn now_ms(&self) -> u64 {
        ms(self.clock.now())
    }

    /// Asks to make a call.
    pub fn acquire(self: &Arc<Self>) -> Result<Permit, Rejected> {
        loop {
            match self.state.load(Ordering::Acquire) {
                CLOSED => {
                    return Ok(Permit {
                        breaker: Arc::clone(self),
                        trial: false,
                        generation: 0,
                        done: false,
                    })
                }
                FORCED_OPEN => {
                    self.rejections.fetch_add(1, Ordering::Relaxed);
                    return Err(Rejected {
                        state: BreakerState::ForcedOpen,
                        retry_after: None,
                    });
                }
                OPEN => {
                    let now = self.now_ms();
                    let until = self.open_until_ms.load(Ordering::Acquire);
                    if now < until {
                        self.rejections.fetch_add(1, Ordering::Relaxed);
                        return Err(Rejected {
                            state: BreakerState::Open,
                            retry_after: Some(Duration::from_millis(until - now)),
                        });
                    }
                    // One caller flips the state (with no permits yet, so others are briefly turned away),
                    // then opens the new phase: generation first, permits last.
                    if self
                        .state
                        .compare_exchange(OPEN, HALF_OPEN, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        let trials = self.config().half_open_trials;
                        self.generation.fetch_add(1, Ordering::AcqRel);
                        self.trial_successes.store(0, Ordering::Release);
                        self.trial_permits.store(trials, Ordering::Release);
                        tracing::info!(provider = %self.name, from = "open", to = "half_open", trials, "circuit breaker transition");
                    }
                }
                _ => {
                    // Half-open: take a trial permit if one is left.
                    let generation = self.generation.load(Ordering::Acquire);
                    let mut left = self.trial_permits.load(Ordering::Acquire);
                    loop {
                        if left == 0 {
                            self.rejections.fetch_add(1, Ordering::Relaxed);
                            return Err(Rejected {
                                state: BreakerState::HalfOpen,
                                retry_after: Some(TRIAL_BUSY_WAIT),
                            });
                        }
                        match self.trial_permits.compare_exchange_weak(
                            left,
                            left - 1,
                            Ordering::AcqRel,
                            Ordering::Acquire,
                        ) {
                            Ok(_) => {
                                return Ok(Permit {
                                    breaker: Arc::clone(self),
                                    trial: true,
                                    generation,
                                    done: false,
                                })
                            }
                            Err(now) => left = now,
                        }
                    }
                }
            }
        }
    }

    fn window_record(&self, failed: bool) {
        if !self.window_on.load(Ordering::Relaxed) {
            return;
        }
        let Some(rate) = self.config().failure_rate else {
            return;
        };
        let bucket_ms = (u64::from(rate.window_secs) * 1000 / WINDOW_BUCKETS as u64).max(1);
        let epoch = self.now_ms() / bucket_ms;
        let b = &self.buckets[(epoch % WINDOW_BUCKETS as u64) as usize];
        if b.epoch.swap(epoch, Ordering::AcqRel) != epoch {
            b.ok.store(0, Ordering::Release);
            b.failed.store(0, Ordering::Release);
        }
        if failed {
            b.failed.fetch_add(1, Ordering::AcqRel);
        } else {
            b.ok.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn window_exceeded(&self, rate: &FailureRate) -> bool {
        let bucket_ms = (u64::from(rate.window_secs) * 1000 / WINDOW_BUCKETS as u64).max(1);
        let epoch = self.now_ms() / bucket_ms;
        let (mut ok, mut failed) = (0u64, 0u64);
        for b in &self.buckets {
            let e = b.epoch.load(Ordering::Acquire);
            if e != u64::MAX && e + (WINDOW_BUCKETS as u64) > epoch && e <= epoch {
                ok += u64::from(b.ok.load(Ordering::Acquire));
                failed += u64::from(b.failed.load(Ordering::Acquire));
            }
        }
        let calls = ok + failed;
        calls >= u64::from(rate.min_calls)
            && (failed as f64) >= f64::from(rate.threshold) * calls as f64
    }

    fn on_success(&self, trial: bool, generation: u64) {
        self.successes.fetch_add(1, Ordering::Relaxed);
        self.window_record(false);
        if !trial {
            if self.consecutive.load(Ordering::Relaxed) != 0 {
                self.consecutive.store(0, Ordering::Relaxed);
                self.changed();
            }
            return;
        }
        if self.state.load(Ordering::Acquire) != HALF_OPEN
            || self.generation.load(Ordering::Acquire) != generation
        {
            return;
        }
        let done = self.trial_successes.fetch_add(1, Ordering::AcqRel) + 1;
        if done >= self.config().half_open_trials
            && self
                .state
                .compare_exchange(HALF_OPEN, CLOSED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.reset_counters_after_close();
            tracing::info!(provider = %self.name, from = "half_open", to = "closed", "circuit breaker transition");
        }
    }

    fn changed(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    fn reset_counters_after_close(&self) {
        self.changed();
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.consecutive.store(0, Ordering::Release);
        self.consecutive_opens.store(0, Ordering::Release);
        self.trial_permits.store(0, Ordering::Release);
        self.open_until_ms.store(u64::MAX, Ordering::Release);
        for b in &self.buckets {
            b.epoch.store(u64::MAX, Ordering::Release);
        }
    }

    fn remember(&self, code: &str, message: &str) {
        let mut recent = match self.recent.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if recent.len() == RECENT_FAILURES {
            recent.pop_front();
        }
        recent.push_back(FailureRecord {
            at: crate::time::now(),
            code: code.to_owned(),
            message: message.to_owned(),
        });
    }

    fn on_failure(
        &self,
        trial: bool,
        generation: u64,
        code: &str,
        message: &str,
        retry_after: Option<Duration>,
        rate_limited: bool,
    ) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        self.window_record(true);
        self.remember(code, message);
        self.changed();
        let cfg = self.config();
        if trial {
            if self.state.load(Ordering::Acquire) == HALF_OPEN
                && self.generation.load(Ordering::Acquire) == generation
            {
                self.trip(HALF_OPEN, &cfg, retry_after, "a trial call failed");
            }
            return;
        }
        let n = self.consecutive.fetch_add(1, Ordering::AcqRel) + 1;
        let reason = if rate_limited && retry_after.is_some() {
            Some("the provider asked us to wait")
        } else if n >= cfg.failure_threshold {
            Some("too many consecutive failures")
        } else if cfg
            .failure_rate
            .as_ref()
            .is_some_and(|r| self.window_exceeded(r))
        {
            Some("failure rate over the threshold")
        } else {
            None
        };
        if let Some(reason) = reason {
            self.trip(CLOSED, &cfg, retry_after, reason);
        }
    }

    fn trip(&self, from: u8, cfg: &BreakerConfig, retry_after: Option<Duration>, reason: &str) {
        let opens = self.consecutive_opens.load(Ordering::Acquire);
        let backoff = u64::from(cfg.recovery_secs) * 1000 * (1u64 << opens.min(16));
        let mut open_ms = backoff.min(u64::from(cfg.max_recovery_secs) * 1000);
        if let Some(ra) = retry_after {
            // The provider knows best, within a day.
            open_ms = ms(ra).clamp(1, ms(crate::llm::error::MAX_RETRY_AFTER));
        }
        // The deadline goes in before the state flips, so nobody sees "open" with a stale deadline.
        self.open_until_ms
            .store(self.now_ms().saturating_add(open_ms), Ordering::Release);
        self.trial_permits.store(0, Ordering::Release);
        self.changed();
        if self
            .state
            .compare_exchange(from, OPEN, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.generation.fetch_add(1, Ordering::AcqRel);
            self.consecutive_opens.fetch_add(1, Ordering::AcqRel);
            tracing::warn!(
                provider = %self.name,
                from = BreakerState::from_u8(from).as_str(),
                to = "open",
                open_for_ms = open_ms,
                reason,
                "circuit breaker transition"
            );
        }
    }

    /// Opens the circuit until [`CircuitBreaker::reset`] or [`CircuitBreaker::force_close`].
    pub fn force_open(&self) {
        let from = self.state.swap(FORCED_OPEN, Ordering::AcqRel);
        self.changed();
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.trial_permits.store(0, Ordering::Release);
        tracing::warn!(provider = %self.name, from = BreakerState::from_u8(from).as_str(), to = "forced_open", "circuit breaker transition");
    }

    /// Closes the circuit now; failure counts start again from zero. Totals and recent failures stay.
    pub fn force_close(&self) {
        let from = self.state.swap(CLOSED, Ordering::AcqRel);
        self.reset_counters_after_close();
        tracing::info!(provider = %self.name, from = BreakerState::from_u8(from).as_str(), to = "closed", "circuit breaker transition");
    }

    /// Closes the circuit and forgets everything (totals and recent failures too).
    pub fn reset(&self) {
        self.force_close();
        self.successes.store(0, Ordering::Release);
        self.failures.store(0, Ordering::Release);
        self.rejections.store(0, Ordering::Release);
        match self.recent.lock() {
            Ok(mut g) => g.clear(),
            Err(p) => p.into_inner().clear(),
        }
    }

    /// How many times the lasting part changed in this process (the service compares it with what it wrote).
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// The part that outlives the process.
    pub fn durable(&self) -> Durable {
        let (state, open_for) = match self.state.load(Ordering::Acquire) {
            CLOSED => (BreakerState::Closed, Duration::ZERO),
            FORCED_OPEN => (BreakerState::ForcedOpen, Duration::ZERO),
            // Half-open is open with its wait over: another process may send its own trial calls.
            HALF_OPEN => (BreakerState::Open, Duration::ZERO),
            _ => {
                let until = self.open_until_ms.load(Ordering::Acquire);
                (
                    BreakerState::Open,
                    Duration::from_millis(until.saturating_sub(self.now_ms())),
                )
            }
        };
        Durable {
            state,
            open_for,
            consecutive_failures: self.consecutive.load(Ordering::Acquire),
            consecutive_opens: self.consecutive_opens.load(Ordering::Acquire),
        }
    }

    /// Takes on a state another process wrote. Totals and recent failures stay this process's own.
    pub fn adopt(&self, d: &Durable) {
        let from = self.state();
        match d.state {
            BreakerState::Closed => {
                if from != BreakerState::Closed {
                    self.state.store(CLOSED, Ordering::Release);
                    self.reset_counters_after_close();
                }
            }
            BreakerState::ForcedOpen => {
                self.state.store(FORCED_OPEN, Ordering::Release);
                self.generation.fetch_add(1, Ordering::AcqRel);
                self.trial_permits.store(0, Ordering::Release);
            }
            BreakerState::Open | BreakerState::HalfOpen => {
                let wait = d.open_for.min(crate::llm::error::MAX_RETRY_AFTER);
                self.open_until_ms
                    .store(self.now_ms().saturating_add(ms(wait)), Ordering::Release);
                self.trial_permits.store(0, Ordering::Release);
                if from != BreakerState::Open {
                    self.generation.fetch_add(1, Ordering::AcqRel);
                }
                self.state.store(OPEN, Ordering::Release);
            }
        }
        self.consecutive
            .store(d.consecutive_failures, Ordering::Release);
        self.consecutive_opens
            .store(d.consecutive_opens.min(64), Ordering::Release);
        if from != d.state {
            tracing::info!(
                provider = %self.name,
                from = from.as_str(),
                to = d.state.as_str(),
                "circuit breaker state taken from another Compilar process"
            );
        }
    }

    pub fn snapshot(&self) -> BreakerSnapshot {
        let cfg = self.config();
        let state = self.state();
        let next = if state == BreakerState::Open {
            let until = self.open_until_ms.load(Ordering::Acquire);
            Some(Duration::from_millis(until.saturating_sub(self.now_ms())))
        } else {
            None
        };
        let recent = match self.recent.lock() {
            Ok(g) => g.iter().rev().cloned().collect(),
            Err(p) => p.into_inner().iter().rev().cloned().collect(),
        };
        BreakerSnapshot {
            state,
            consecutive_failures: self.consecutive.load(Ordering::Acquire),
            failure_threshold: cfg.failure_threshold,
            next_trial_in_ms: next.map(ms),
            next_trial_at: next.map(crate::time::time_in),
            next_trial_in_text: next.map(crate::time::human_duration),
            trial_permits_left: if state == BreakerState::HalfOpen {
                self.trial_permits.load(Ordering::Acquire)
            } else {
                0
            },
            trial_successes: if state == BreakerState::HalfOpen {
                self.trial_successes.load(Ordering::Acquire)
            } else {
                0
            },
            trials_needed: cfg.half_open_trials,
            consecutive_opens: self.consecutive_opens.load(Ordering::Acquire),
            successes: self.successes.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            rejections: self.rejections.load(Ordering::Relaxed),
            recent_failures: recent,
        }
    }
}

impl Permit {
    /// Whether this is a half-open trial call.
    pub fn is_trial(&self) -> bool {
        self.trial
    }

    /// Reports how the call went.
    pub fn record(mut self, outcome: Outcome) {
        self.done = true;
        let b = &self.breaker;
        match outcome {
            Outcome::Success => b.on_success(self.trial, self.generation),
            Outcome::Slow { after } => b.on_failure(
                self.trial,
                self.generation,
                "slow_call",
                &format!(
                    "The call took {} ms before the first token; counted as a failure.",
                    after.as_millis()
                ),
                None,
                false,
            ),
            Outcome::Failure {
                kind,
                message,
                retry_after,
            } => {
                if kind.is_health_failure() {
                    b.on_failure(
                        self.trial,
                        self.generation,
                        kind.code(),
                        &message,
                        retry_after,
                        kind == LlmErrorKind::RateLimited,
                    );
                } else {
                    // Neither success nor failure: a trial permit goes back.
                    self.give_back();
                }
            }
        }
    }

    fn give_back(&self) {
        let b = &self.breaker;
        if self.trial
            && b.state.load(Ordering::Acquire) == HALF_OPEN
            && b.generation.load(Ordering::Acquire) == self.generation
        {
            b.trial_permits.fetch_add(1, Ordering::AcqRel);
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.done {
            self.give_back();
        }
    }
}

#[cfg(test)]
mod tests;
