//! The team functions' answers as they come (the raw rows), their refusals as typed errors, and the checks on
//! what is sent to them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::dto::{RoundState, TeamRole};
use crate::domain::truncate_for_message;
use crate::error::{Error, Result};
use crate::util::parse_id;

/// A round as the server lists it (kept as it is for Home while the project cannot be reached).
#[derive(Deserialize, Serialize)]
pub(super) struct RawRound {
    pub(super) id: String,
    pub(super) team_id: String,
    pub(super) team_name: String,
    /// Absent in a list kept from before rounds were numbered.
    #[serde(default)]
    pub(super) number: u32,
    pub(super) pillar: Option<String>,
    pub(super) mode: String,
    pub(super) message: Option<String>,
    pub(super) due_at: Option<String>,
    pub(super) created_at: String,
    pub(super) closed_at: Option<String>,
    pub(super) responses: u32,
    pub(super) members: u32,
    pub(super) needed: u32,
}

#[derive(Deserialize)]
pub(super) struct RawFigure {
    pub(super) pillar: String,
    pub(super) force: Option<String>,
    pub(super) n: u32,
    pub(super) mean: f64,
    pub(super) sd: Option<f64>,
    pub(super) histogram: Vec<u32>,
}

#[derive(Deserialize)]
pub(super) struct RawResults {
    pub(super) round: String,
    #[serde(default)]
    pub(super) number: u32,
    pub(super) state: RoundState,
    pub(super) responses: u32,
    pub(super) members: u32,
    pub(super) needed: u32,
    pub(super) counted: Option<u32>,
    pub(super) pillar: Option<String>,
    pub(super) mode: String,
    pub(super) results: Option<Vec<RawFigure>>,
    pub(super) created_at: Option<String>,
    pub(super) closed_at: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawMember {
    pub(super) user_id: String,
    pub(super) email: Option<String>,
    pub(super) role: TeamRole,
    pub(super) joined_at: String,
    pub(super) consent: Option<bool>,
}

/// The server's words as a sentence ("not a member of this team" → "Not a member of this team.").
pub(super) fn sentence(msg: &str) -> String {
    let msg = truncate_for_message(msg.trim());
    let mut c = msg.chars();
    let mut s: String = match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => "The team's project refused it".into(),
    };
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// The team functions' own refusals (by PostgreSQL error code, as PostgREST passes them on).
pub(super) fn refusal(_status: u16, body: &Value) -> Option<Error> {
    let code = body.get("code")?.as_str()?;
    let msg = body.get("message").and_then(Value::as_str).unwrap_or("");
    Some(match code {
        "P0002" => Error::TeamNotFound(sentence(msg)),
        "42501" => Error::NotFacilitator,
        "23514" if msg.contains("last facilitator") => Error::LastFacilitator(sentence(msg)),
        "23514" | "22023" | "22001" | "22007" | "22P02" | "23502" => {
            Error::InvalidArgument(sentence(msg))
        }
        "54000" => Error::TeamLimit(sentence(msg)),
        // The guessing limit of join_team (HTTP 429): not a busy server, so not retried.
        "PT429" => Error::TooManyTries,
        _ => return None,
    })
}

pub(super) fn bad_answer(what: &str, e: impl std::fmt::Display) -> Error {
    Error::SyncRefused(format!("an unexpected answer to {what}: {e}"))
}

pub(super) fn parse<T: for<'de> Deserialize<'de>>(what: &str, v: Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| bad_answer(what, e))
}

pub(super) fn id(s: &str) -> Result<String> {
    Ok(parse_id(s)?.to_string())
}

pub(super) fn time(s: Option<String>) -> Option<String> {
    s.map(|t| crate::capabilities::sync::wire::local_time(&t).unwrap_or(t))
}

/// "Round 3 · Group Prospects · 7 Dec 2026": a round told apart from the team's others in every list.
pub(super) fn round_label(number: u32, title: &str, created_at: Option<&str>) -> String {
    let day = created_at
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%-d %b %Y")
                .to_string()
        });
    let mut parts = Vec::new();
    if number > 0 {
        parts.push(format!("Round {number}"));
    }
    parts.push(title.to_owned());
    parts.extend(day);
    parts.join(" \u{b7} ")
}

pub(super) fn name(s: &str) -> Result<String> {
    let n = s.trim();
    if n.is_empty() {
        return Err(Error::EmptyInput("A team needs a name.".into()));
    }
    if n.chars().count() > 80 {
        return Err(Error::PayloadTooLarge {
            what: "team name",
            max: 80,
            unit: "characters",
        });
    }
    Ok(n.to_owned())
}

pub(super) fn bounded(s: Option<&str>, what: &'static str) -> Result<Option<String>> {
    match s {
        Some(t) if t.chars().count() > 2000 => Err(Error::PayloadTooLarge {
            what,
            max: 2000,
            unit: "characters",
        }),
        Some(t) => Ok(Some(t.trim().to_owned())),
        None => Ok(None),
    }
}

pub(super) fn threshold(n: Option<u32>) -> Result<Option<u32>> {
    match n {
        Some(n) if !(3..=1000).contains(&n) => Err(Error::OutOfRange(format!(
            "A team's threshold is 3 to 1,000 responses (got {n}): results are never shown for fewer than 3."
        ))),
        other => Ok(other),
    }
}
