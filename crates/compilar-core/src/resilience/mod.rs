//! What keeps a failing service from being hammered, shared by the LLM layer and sync: per-service circuit
//! breakers (durable across processes on one data folder), the per-user rate limiter, and an injectable
//! monotonic clock so tests need no sleeping.

pub mod breaker;
pub mod clock;
pub mod limiter;

pub use breaker::{
    BreakerConfig, BreakerSnapshot, BreakerState, CircuitBreaker, Durable, Outcome, Permit,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use limiter::{RateLimitConfig, RateLimitState};
