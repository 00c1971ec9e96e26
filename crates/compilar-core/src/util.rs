//! Small helpers shared by the core: ids and timestamps.

use uuid::Uuid;

use crate::domain::truncate_for_message;
use crate::error::{Error, Result};

/// The longest id the core accepts before it even tries to parse it.
pub const MAX_ID_LEN: usize = 64;

/// Current UTC time as RFC 3339 with milliseconds (`2026-11-25T06:03:19.123Z`); sorts as text.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
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
