//! The per-user limit on AI actions: at most `max_actions` in any sliding `window` (default 50 per 15 minutes).
//!
//! A sliding log rather than a token bucket, because people read the limit as "50 in the last 15 minutes" and
//! the state shown (used, remaining, when the next action is allowed) must match that reading exactly.
//! The log is seeded from the call log at start-up, so restarting the app does not reset the limit.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::clock::Clock;

/// The limit, as stored in the settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RateLimitConfig {
    pub max_actions: u32,
    pub window_secs: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            max_actions: 50,
            window_secs: 15 * 60,
        }
    }
}

impl RateLimitConfig {
    pub fn validate(&self) -> Result<(), crate::llm::error::Invalid> {
        use crate::llm::error::Invalid;
        if !(1..=10_000).contains(&self.max_actions) {
            return Err(Invalid::new(
                "rate_limit.max_actions",
                "The number of AI actions must be between 1 and 10,000.",
            ));
        }
        if !(60..=86_400).contains(&self.window_secs) {
            return Err(Invalid::new(
                "rate_limit.window_secs",
                "The rate-limit window must be between 1 minute and 1 day.",
            ));
        }
        Ok(())
    }
}

/// What the settings and diagnostics pages show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RateLimitState {
    pub max_actions: u32,
    pub window_secs: u32,
    pub used: u32,
    pub remaining: u32,
    /// Milliseconds until the next action is allowed (0 when one is allowed now).
    #[ts(type = "number")]
    pub next_allowed_in_ms: u64,
    /// The same as a UTC time, when an action is not allowed now.
    pub next_allowed_at: Option<String>,
    /// The window in words ("15 min").
    pub window_text: String,
    /// The wait in words ("3 min 20 s"), when an action is not allowed now.
    pub next_allowed_in_text: Option<String>,
}

/// The limiter for one user.
pub struct ActionLimiter {
    clock: Arc<dyn Clock>,
    inner: Mutex<Log>,
}

struct Log {
    cfg: RateLimitConfig,
    stamps: VecDeque<Duration>,
}

impl Log {
    fn window(&self) -> Duration {
        Duration::from_secs(u64::from(self.cfg.window_secs))
    }

    fn expire(&mut self, now: Duration) {
        let w = self.window();
        while let Some(&t) = self.stamps.front() {
            if now.saturating_sub(t) >= w {
                self.stamps.pop_front();
            } else {
                break;
            }
        }
    }

    fn state(&self, now: Duration) -> RateLimitState {
        let used = self.stamps.len() as u32;
        let remaining = self.cfg.max_actions.saturating_sub(used);
        let wait = if remaining > 0 {
            Duration::ZERO
        } else {
            // The action that frees a slot is the oldest one still counted beyond the limit.
            let idx = self.stamps.len() - self.cfg.max_actions as usize;
            (self.stamps[idx] + self.window()).saturating_sub(now)
        };
        RateLimitState {
            max_actions: self.cfg.max_actions,
            window_secs: self.cfg.window_secs,
            used: used.min(self.cfg.max_actions),
            remaining,
            next_allowed_in_ms: wait.as_millis() as u64,
            next_allowed_at: (wait > Duration::ZERO).then(|| crate::time::time_in(wait)),
            window_text: crate::time::human_duration(self.window()),
            next_allowed_in_text: (wait > Duration::ZERO)
                .then(|| crate::time::human_duration(wait)),
        }
    }
}

impl ActionLimiter {
    pub fn new(cfg: RateLimitConfig, clock: Arc<dyn Clock>) -> Self {
        ActionLimiter {
            clock,
            inner: Mutex::new(Log {
                cfg,
                stamps: VecDeque::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Log> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Records actions that happened `ages` ago (from the call log at start-up).
    pub fn seed(&self, mut ages: Vec<Duration>) {
        let now = self.clock.now();
        ages.sort_unstable_by(|a, b| b.cmp(a));
        let mut log = self.lock();
        for age in ages {
            log.stamps.push_back(now.saturating_sub(age));
        }
        log.expire(now);
    }

    pub fn configure(&self, cfg: RateLimitConfig) {
        self.lock().cfg = cfg;
    }

    /// Takes one action, or says how long to wait.
    pub fn try_acquire(&self) -> Result<RateLimitState, RateLimitState> {
        let now = self.clock.now();
        let mut log = self.lock();
        log.expire(now);
        if log.stamps.len() >= log.cfg.max_actions as usize {
            return Err(log.state(now));
        }
        log.stamps.push_back(now);
        Ok(log.state(now))
    }

    pub fn state(&self) -> RateLimitState {
        let now = self.clock.now();
        let mut log = self.lock();
        log.expire(now);
        log.state(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::clock::ManualClock;

    #[test]
    fn fifty_per_fifteen_minutes_sliding() {
        let clock = Arc::new(ManualClock::new());
        let l = ActionLimiter::new(RateLimitConfig::default(), clock.clone());
        for i in 0..50 {
            let s = l.try_acquire().unwrap();
            assert_eq!(s.remaining, 49 - i);
            clock.advance(Duration::from_secs(1));
        }
        let s = l.try_acquire().unwrap_err();
        assert_eq!(s.remaining, 0);
        // The first action was 50 s ago; it leaves the window in 15 min − 50 s.
        assert_eq!(s.next_allowed_in_ms, (900 - 50) * 1000);
        clock.advance(Duration::from_secs(850));
        assert_eq!(l.try_acquire().unwrap().remaining, 0);
        assert!(l.try_acquire().is_err());
        clock.advance(Duration::from_secs(1));
        assert!(l.try_acquire().is_ok());
    }

    #[test]
    fn seeded_actions_count_and_config_changes_apply() {
        let clock = Arc::new(ManualClock::new());
        let l = ActionLimiter::new(
            RateLimitConfig {
                max_actions: 3,
                window_secs: 60,
            },
            clock.clone(),
        );
        l.seed(vec![
            Duration::from_secs(10),
            Duration::from_secs(30),
            Duration::from_secs(120),
        ]);
        assert_eq!(l.state().used, 2);
        assert!(l.try_acquire().is_ok());
        let s = l.try_acquire().unwrap_err();
        assert_eq!(s.next_allowed_in_ms, 30_000);
        l.configure(RateLimitConfig {
            max_actions: 5,
            window_secs: 60,
        });
        assert_eq!(l.state().remaining, 2);
        l.configure(RateLimitConfig {
            max_actions: 1,
            window_secs: 60,
        });
        let s = l.state();
        assert_eq!((s.used, s.remaining), (1, 0));
        // With max 1 and three counted, the slot frees when the newest-but-max leaves.
        assert_eq!(s.next_allowed_in_ms, 60_000);
    }
}
