use super::*;
use crate::resilience::clock::ManualClock;

fn breaker(cfg: BreakerConfig) -> (Arc<CircuitBreaker>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    (CircuitBreaker::new("test", cfg, clock.clone()), clock)
}

fn fail() -> Outcome {
    Outcome::Failure {
        kind: LlmErrorKind::Server,
        message: "503".into(),
        retry_after: None,
    }
}

#[test]
fn opens_after_consecutive_failures_and_recovers_through_half_open() {
    let (b, clock) = breaker(BreakerConfig::default());
    for _ in 0..4 {
        b.acquire().unwrap().record(fail());
    }
    assert_eq!(b.state(), BreakerState::Closed);
    // A success in between resets the streak.
    b.acquire().unwrap().record(Outcome::Success);
    for _ in 0..4 {
        b.acquire().unwrap().record(fail());
    }
    assert_eq!(b.state(), BreakerState::Closed);
    b.acquire().unwrap().record(fail());
    assert_eq!(b.state(), BreakerState::Open);
    let r = b.acquire().unwrap_err();
    assert_eq!(r.retry_after, Some(Duration::from_secs(60)));
    clock.advance(Duration::from_secs(59));
    assert_eq!(
        b.acquire().unwrap_err().retry_after,
        Some(Duration::from_secs(1))
    );
    clock.advance(Duration::from_secs(1));
    // Half-open: three trial permits, a fourth caller is turned away.
    let trials: Vec<_> = (0..3).map(|_| b.acquire().unwrap()).collect();
    assert!(trials.iter().all(Permit::is_trial));
    assert_eq!(b.state(), BreakerState::HalfOpen);
    assert_eq!(b.acquire().unwrap_err().state, BreakerState::HalfOpen);
    for p in trials {
        p.record(Outcome::Success);
    }
    assert_eq!(b.state(), BreakerState::Closed);
    assert_eq!(b.snapshot().consecutive_failures, 0);
}

#[test]
fn a_failed_trial_reopens_with_backoff() {
    let (b, clock) = breaker(BreakerConfig {
        failure_threshold: 1,
        ..Default::default()
    });
    b.acquire().unwrap().record(fail());
    clock.advance(Duration::from_secs(60));
    b.acquire().unwrap().record(fail());
    assert_eq!(b.state(), BreakerState::Open);
    // Second opening in a row: twice the recovery time.
    assert_eq!(
        b.acquire().unwrap_err().retry_after,
        Some(Duration::from_secs(120))
    );
    clock.advance(Duration::from_secs(120));
    b.acquire().unwrap().record(fail());
    assert_eq!(
        b.acquire().unwrap_err().retry_after,
        Some(Duration::from_secs(240))
    );
    assert_eq!(b.snapshot().consecutive_opens, 3);
}

#[test]
fn backoff_is_capped() {
    let (b, clock) = breaker(BreakerConfig {
        failure_threshold: 1,
        recovery_secs: 100,
        max_recovery_secs: 300,
        ..Default::default()
    });
    b.acquire().unwrap().record(fail());
    for _ in 0..5 {
        clock.advance(Duration::from_secs(1000));
        b.acquire().unwrap().record(fail());
    }
    assert_eq!(
        b.acquire().unwrap_err().retry_after,
        Some(Duration::from_secs(300))
    );
}

#[test]
fn retry_after_overrides_recovery_and_opens_at_once() {
    let (b, clock) = breaker(BreakerConfig::default());
    b.acquire().unwrap().record(Outcome::Failure {
        kind: LlmErrorKind::RateLimited,
        message: "429".into(),
        retry_after: Some(Duration::from_secs(7)),
    });
    assert_eq!(b.state(), BreakerState::Open);
    assert_eq!(
        b.acquire().unwrap_err().retry_after,
        Some(Duration::from_secs(7))
    );
    clock.advance(Duration::from_secs(7));
    assert!(b.acquire().unwrap().is_trial());
}

#[test]
fn cancelled_and_non_health_outcomes_return_trial_permits() {
    let (b, clock) = breaker(BreakerConfig {
        failure_threshold: 1,
        half_open_trials: 1,
        ..Default::default()
    });
    b.acquire().unwrap().record(fail());
    clock.advance(Duration::from_secs(60));
    let p = b.acquire().unwrap();
    assert!(b.acquire().is_err(), "the only trial permit is out");
    drop(p); // the user pressed stop
    assert_eq!(b.state(), BreakerState::HalfOpen);
    let p = b.acquire().expect("the permit came back");
    p.record(Outcome::Failure {
        kind: LlmErrorKind::Auth,
        message: "401".into(),
        retry_after: None,
    });
    assert_eq!(
        b.state(),
        BreakerState::HalfOpen,
        "auth errors say nothing about health"
    );
    b.acquire().unwrap().record(Outcome::Success);
    assert_eq!(b.state(), BreakerState::Closed);
}

#[test]
fn non_health_errors_do_not_count_when_closed() {
    let (b, _) = breaker(BreakerConfig {
        failure_threshold: 2,
        ..Default::default()
    });
    for kind in [
        LlmErrorKind::Auth,
        LlmErrorKind::ContextTooLong,
        LlmErrorKind::Cancelled,
        LlmErrorKind::ModelNotFound,
        LlmErrorKind::BadRequest,
    ] {
        for _ in 0..3 {
            b.acquire().unwrap().record(Outcome::Failure {
                kind,
                message: String::new(),
                retry_after: None,
            });
        }
    }
    assert_eq!(b.state(), BreakerState::Closed);
    assert_eq!(b.snapshot().failures, 0);
}

#[test]
fn slow_calls_count_as_failures() {
    let (b, _) = breaker(BreakerConfig {
        failure_threshold: 2,
        ..Default::default()
    });
    for _ in 0..2 {
        b.acquire().unwrap().record(Outcome::Slow {
            after: Duration::from_secs(40),
        });
    }
    assert_eq!(b.state(), BreakerState::Open);
    assert_eq!(b.snapshot().recent_failures[0].code, "slow_call");
}

#[test]
fn failure_rate_window_opens_without_a_streak() {
    let (b, clock) = breaker(BreakerConfig {
        failure_threshold: 100,
        failure_rate: Some(FailureRate {
            window_secs: 60,
            min_calls: 10,
            threshold: 0.5,
        }),
        ..Default::default()
    });
    // Alternate: never two failures in a row, but half of all calls fail.
    for i in 0..9 {
        let o = if i % 2 == 0 { fail() } else { Outcome::Success };
        b.acquire().unwrap().record(o);
        clock.advance(Duration::from_secs(1));
    }
    assert_eq!(
        b.state(),
        BreakerState::Closed,
        "below the minimum number of calls"
    );
    b.acquire().unwrap().record(fail());
    assert_eq!(b.state(), BreakerState::Open);

    // Old calls leave the window.
    let (b, clock) = breaker(BreakerConfig {
        failure_threshold: 100,
        failure_rate: Some(FailureRate {
            window_secs: 10,
            min_calls: 4,
            threshold: 0.5,
        }),
        ..Default::default()
    });
    for _ in 0..3 {
        b.acquire().unwrap().record(fail());
    }
    clock.advance(Duration::from_secs(30));
    b.acquire().unwrap().record(Outcome::Success);
    b.acquire().unwrap().record(fail());
    assert_eq!(b.state(), BreakerState::Closed);
}

#[test]
fn manual_controls() {
    let (b, _) = breaker(BreakerConfig::default());
    b.force_open();
    let r = b.acquire().unwrap_err();
    assert_eq!(r.state, BreakerState::ForcedOpen);
    assert_eq!(r.retry_after, None);
    b.force_close();
    assert!(!b.acquire().unwrap().is_trial());
    b.acquire().unwrap().record(fail());
    assert_eq!(b.snapshot().failures, 1);
    b.reset();
    let s = b.snapshot();
    assert_eq!(
        (s.failures, s.rejections, s.recent_failures.len()),
        (0, 0, 0)
    );
}

#[test]
fn stale_permits_do_not_move_a_new_phase() {
    let (b, clock) = breaker(BreakerConfig {
        failure_threshold: 1,
        half_open_trials: 2,
        ..Default::default()
    });
    b.acquire().unwrap().record(fail());
    clock.advance(Duration::from_secs(60));
    let old = b.acquire().unwrap();
    b.acquire().unwrap().record(fail()); // back to open
    clock.advance(Duration::from_secs(120));
    let fresh = b.acquire().unwrap();
    old.record(Outcome::Success); // from the previous half-open phase: ignored
    assert_eq!(b.snapshot().trial_successes, 0);
    fresh.record(Outcome::Success);
    assert_eq!(b.snapshot().trial_successes, 1);
}

#[test]
fn concurrent_use_is_consistent() {
    let (b, _) = breaker(BreakerConfig::default());
    std::thread::scope(|s| {
        for _ in 0..4 {
            let b = &b;
            s.spawn(move || {
                for _ in 0..10_000 {
                    b.acquire().unwrap().record(Outcome::Success);
                }
            });
        }
    });
    assert_eq!(b.snapshot().successes, 40_000);
    assert_eq!(b.state(), BreakerState::Closed);
}
