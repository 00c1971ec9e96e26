//! Small helpers shared by the core: ids and timestamps.

use uuid::Uuid;

use crate::domain::truncate_for_message;
use crate::error::{Error, Result};

/// The longest id the core accepts before it even tries to parse it.
pub const MAX_ID_LEN: usize = 64;

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

/// A new time-ordered id (UUIDv7).
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Parses an id sent by a caller into its canonical (lower-case, hyphenated) form.
pub fn parse_id(s: &str) -> Result<Uuid> {
    if s.len() > MAX_ID_LEN {
        return Err(Error::PayloadTooLarge {
            what: "id",
            max: MAX_ID_LEN,
            unit: "characters",
        });
    }
    Uuid::try_parse(s.trim()).map_err(|_| Error::InvalidId(truncate_for_message(s)))
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

/// Writes `bytes` to `path` (a file the user chose) by way of `path.partial` and a rename, so a failure never
/// leaves half a file where the user asked for one.
pub async fn write_file(path: &std::path::Path, bytes: Vec<u8>) -> Result<()> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut partial = path.clone().into_os_string();
        partial.push(".partial");
        std::fs::write(&partial, &bytes)?;
        std::fs::rename(&partial, &path)?;
        Ok::<(), Error>(())
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(Duration::from_millis(200)), "1 s");
        assert_eq!(human_duration(Duration::from_secs(45)), "45 s");
        assert_eq!(human_duration(Duration::from_secs(120)), "2 min");
        assert_eq!(human_duration(Duration::from_secs(200)), "3 min 20 s");
        assert_eq!(human_duration(Duration::from_secs(3900)), "1 h 5 min");
    }
}
