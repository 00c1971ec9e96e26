//! Checks on what a caller sends, shared by every capability: lengths of keys and ids, ids parsed into their
//! canonical form, providers to skip. A check that belongs to one capability's rules stays in that capability.

use crate::domain::truncate_for_message;
use crate::error::{Error, Result};

/// The longest key (a pillar, mode, force or passage id) accepted before it is looked up.
pub const MAX_KEY_LEN: usize = 128;

/// The longest id the core accepts before it even tries to parse it.
pub const MAX_ID_LEN: usize = 64;

/// Refuses a key longer than [`MAX_KEY_LEN`] (`what` names it in the error).
pub(crate) fn check_len(s: &str, what: &'static str) -> Result<()> {
    if s.len() > MAX_KEY_LEN {
        Err(Error::PayloadTooLarge {
            what,
            max: MAX_KEY_LEN,
            unit: "characters",
        })
    } else {
        Ok(())
    }
}

/// Parses an id sent by a caller into its canonical (lower-case, hyphenated) form.
pub fn parse_id(s: &str) -> Result<uuid::Uuid> {
    if s.len() > MAX_ID_LEN {
        return Err(Error::PayloadTooLarge {
            what: "id",
            max: MAX_ID_LEN,
            unit: "characters",
        });
    }
    uuid::Uuid::try_parse(s.trim()).map_err(|_| Error::InvalidId(truncate_for_message(s)))
}

/// Checks a list of providers to skip ("retry with another provider"): known ids, no more than there are.
pub(crate) fn check_exclude(exclude: &[String]) -> Result<()> {
    let ids = crate::llm::settings::PROVIDER_IDS;
    if exclude.len() > ids.len() {
        return Err(Error::OutOfRange(format!(
            "At most {} providers can be skipped.",
            ids.len()
        )));
    }
    for p in exclude {
        if !ids.contains(&p.as_str()) {
            return Err(Error::UnknownProvider(truncate_for_message(p)));
        }
    }
    Ok(())
}
