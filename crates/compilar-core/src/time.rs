//! Wall-clock time as the core writes it, and durations in words. Depends on nothing else in the crate.

/// The latest clock seen in rows pulled from other devices (Unix milliseconds), so that this device never
/// writes a time behind one it has seen: a hybrid logical clock at millisecond grain.
static CLOCK_FLOOR: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
/// A pulled clock further ahead of this computer's than this is not followed (the server clamps to a minute).
const MAX_CLOCK_LEAD_MS: i64 = 60_000;

/// Current UTC time as RFC 3339 with milliseconds (`2026-11-25T06:03:19.123Z`); sorts as text. Never behind
/// a clock seen in a pulled row ([`observe_clock`]).
pub fn now() -> String {
    let wall = chrono::Utc::now();
    let floor = CLOCK_FLOOR.load(std::sync::atomic::Ordering::Relaxed);
    let t = if floor > wall.timestamp_millis() {
        chrono::DateTime::from_timestamp_millis(floor).unwrap_or(wall)
    } else {
        wall
    };
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Moves the clock floor up to `ms` (a pulled row's clock), up to a minute ahead of this computer's clock.
pub fn observe_clock(ms: i64) {
    let cap = chrono::Utc::now().timestamp_millis() + MAX_CLOCK_LEAD_MS;
    CLOCK_FLOOR.fetch_max(ms.min(cap), std::sync::atomic::Ordering::Relaxed);
}

/// A duration for people: "45 s", "3 min 20 s", "1 h 5 min".
pub fn human_duration(d: std::time::Duration) -> String {
    let s = d.as_secs() + u64::from(d.subsec_millis() > 0);
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        match s % 60 {
            0 => format!("{} min", s / 60),
            r => format!("{} min {r} s", s / 60),
        }
    } else {
        match (s % 3600) / 60 {
            0 => format!("{} h", s / 3600),
            m => format!("{} h {m} min", s / 3600),
        }
    }
}

/// UTC time `d` from now, RFC 3339 with milliseconds.
pub fn time_in(d: std::time::Duration) -> String {
    let at = chrono::Utc::now() + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero());
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
