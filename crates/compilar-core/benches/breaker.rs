//! Circuit-breaker overhead per call (DESIGN §6: ≤ 1 µs, closed or open).
//!
//! Measures `acquire` + `Permit::record(Success)` on a closed breaker (the hot path of every model call),
//! `acquire` on an open breaker (the rejection), and the closed path from two threads at once.
//! Run: `cargo bench -p compilar-core --bench breaker` (BENCH_CALLS to change the count).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use compilar_core::llm::{LlmErrorKind, SystemClock};
use compilar_core::resilience::breaker::{BreakerConfig, CircuitBreaker, Outcome};

fn per_call(total: Duration, calls: u64) -> f64 {
    total.as_nanos() as f64 / calls as f64
}

fn main() {
    let calls: u64 = std::env::var("BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000_000);
    let clock = Arc::new(SystemClock::new());

    // Closed: acquire + success.
    let closed = CircuitBreaker::new("bench", BreakerConfig::default(), clock.clone());
    for _ in 0..100_000 {
        closed.acquire().unwrap().record(Outcome::Success);
    }
    let t = Instant::now();
    for _ in 0..calls {
        black_box(closed.acquire())
            .unwrap()
            .record(Outcome::Success);
    }
    let closed_ns = per_call(t.elapsed(), calls);

    // Open: acquire is rejected.
    let open = CircuitBreaker::new(
        "bench-open",
        BreakerConfig {
            failure_threshold: 1,
            recovery_secs: 3600,
            ..BreakerConfig::default()
        },
        clock.clone(),
    );
    open.acquire().unwrap().record(Outcome::Failure {
        kind: LlmErrorKind::Server,
        message: "down".into(),
        retry_after: None,
    });
    let t = Instant::now();
    for _ in 0..calls {
        assert!(black_box(open.acquire()).is_err());
    }
    let open_ns = per_call(t.elapsed(), calls);

    // Closed, with the failure-rate window on (one more atomic bucket per call).
    let windowed = CircuitBreaker::new(
        "bench-window",
        BreakerConfig {
            failure_rate: Some(compilar_core::resilience::breaker::FailureRate {
                window_secs: 60,
                min_calls: 20,
                threshold: 0.5,
            }),
            ..BreakerConfig::default()
        },
        clock.clone(),
    );
    let t = Instant::now();
    for _ in 0..calls {
        black_box(windowed.acquire())
            .unwrap()
            .record(Outcome::Success);
    }
    let window_ns = per_call(t.elapsed(), calls);

    // Closed, two threads on the same breaker.
    let shared = CircuitBreaker::new("bench-shared", BreakerConfig::default(), clock);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            let b = &shared;
            s.spawn(move || {
                for _ in 0..calls / 2 {
                    black_box(b.acquire()).unwrap().record(Outcome::Success);
                }
            });
        }
    });
    let shared_ns = per_call(t.elapsed(), calls / 2);

    println!("circuit breaker overhead ({calls} calls each)");
    println!("  closed, acquire + success:            {closed_ns:7.1} ns/call");
    println!("  closed, with failure-rate window:     {window_ns:7.1} ns/call");
    println!("  closed, 2 threads sharing a breaker:  {shared_ns:7.1} ns/call (per thread)");
    println!("  open, rejection:                      {open_ns:7.1} ns/call");
    println!("  target: <= 1000 ns/call");
}
