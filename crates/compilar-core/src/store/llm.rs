//! SQL of the LLM layer: provider and AI settings, the call log.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;

use crate::error::Result;
use crate::llm::settings::{AiSettings, ProviderSettings, PROVIDER_IDS};

/// Most rows the call log keeps, whatever their age.
pub const CALL_LOG_MAX_ROWS: u32 = 10_000;

/// Every provider slot: the stored settings, or the defaults where none are stored (or they no longer parse).
/// The layout version of stored settings documents. A document without `v` is version 1 (written before
/// versions existed); fields added later carry `#[serde(default)]` in the settings types, so older documents
/// keep reading. A document of a newer version is not read (the defaults are used, and the row is left as it is
/// until the user saves).
const SETTINGS_VERSION: u32 = 1;

fn one() -> u32 {
    1
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Versioned<T> {
    #[serde(default = "one")]
    v: u32,
    #[serde(flatten)]
    body: T,
}

fn read_versioned<T: serde::de::DeserializeOwned>(json: &str) -> Option<T> {
    match serde_json::from_str::<Versioned<T>>(json) {
        Ok(d) if d.v <= SETTINGS_VERSION => Some(d.body),
        _ => None,
    }
}

fn write_versioned<T: serde::Serialize>(body: &T) -> Result<String> {
    serde_json::to_string(&Versioned {
        v: SETTINGS_VERSION,
        body,
    })
    .map_err(|e| crate::Error::Internal(format!("settings to JSON: {e}")))
}

pub fn load_provider_settings(c: &Connection) -> Result<Vec<ProviderSettings>> {
    let mut st = c.prepare_cached("SELECT config FROM provider_settings WHERE id = ?1")?;
    let mut out = Vec::with_capacity(PROVIDER_IDS.len());
    for id in PROVIDER_IDS {
        let stored: Option<String> = st.query_row([id], |r| r.get(0)).optional()?;
        let parsed = stored.and_then(|json| match read_versioned::<ProviderSettings>(&json) {
            Some(s) if s.id == id && s.validate().is_ok() => Some(s),
            _ => {
                tracing::warn!(
                    provider = id,
                    "stored provider settings are unreadable; using defaults"
                );
                None
            }
        });
        if let Some(s) = parsed.or_else(|| ProviderSettings::default_for(id)) {
            out.push(s);
        }
    }
    out.sort_by_key(|s| s.position);
    Ok(out)
}

pub fn save_provider_settings(c: &Connection, all: &[ProviderSettings], now: &str) -> Result<()> {
    let mut st = c.prepare_cached(
        "INSERT INTO provider_settings (id, config, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at",
    )?;
    for s in all {
        let json = write_versioned(s)?;
        st.execute(params![s.id, json, now])?;
    }
    Ok(())
}

pub fn load_ai_settings(c: &Connection) -> Result<AiSettings> {
    let stored: Option<String> = c
        .query_row("SELECT value FROM app_settings WHERE key = 'ai'", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(stored
        .and_then(|j| read_versioned::<AiSettings>(&j))
        .filter(|s| s.validate().is_ok())
        .unwrap_or_default())
}

pub fn save_ai_settings(c: &Connection, s: &AiSettings, now: &str) -> Result<()> {
    let json = write_versioned(s)?;
    c.execute(
        "INSERT INTO app_settings (key, value, updated_at) VALUES ('ai', ?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![json, now],
    )?;
    Ok(())
}

/// A provider's breaker as kept for every process on this data folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBreaker {
    pub provider: String,
    pub durable: crate::llm::Durable,
    /// Grows with every write.
    pub seq: i64,
}

fn unix_ms_now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Every provider's stored breaker; a row that no longer reads (an unknown state) is left out.
pub fn load_breakers(c: &Connection) -> Result<Vec<StoredBreaker>> {
    use crate::llm::{BreakerState, Durable};
    let now = unix_ms_now();
    let mut st = c.prepare_cached(
        "SELECT provider, state, open_until_ms, consecutive_failures, consecutive_opens, seq
         FROM provider_breakers",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, i64>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (provider, state, until, failures, opens, seq) = row?;
        let state = match state.as_str() {
            "closed" => BreakerState::Closed,
            "open" => BreakerState::Open,
            "forced_open" => BreakerState::ForcedOpen,
            _ => continue,
        };
        let open_for = if state == BreakerState::Open {
            std::time::Duration::from_millis(u64::try_from(until - now).unwrap_or(0))
        } else {
            std::time::Duration::ZERO
        };
        out.push(StoredBreaker {
            provider,
            durable: Durable {
                state,
                open_for,
                consecutive_failures: u32::try_from(failures).unwrap_or(u32::MAX),
                consecutive_opens: u32::try_from(opens).unwrap_or(u32::MAX),
            },
            seq,
        });
    }
    Ok(out)
}

/// Writes a provider's breaker; returns the row's new `seq`.
pub fn save_breaker(c: &Connection, provider: &str, d: &crate::llm::Durable) -> Result<i64> {
    use crate::llm::BreakerState;
    let (state, until) = match d.state {
        BreakerState::Closed => ("closed", 0),
        BreakerState::ForcedOpen => ("forced_open", 0),
        BreakerState::Open | BreakerState::HalfOpen => (
            "open",
            unix_ms_now().saturating_add(i64::try_from(d.open_for.as_millis()).unwrap_or(i64::MAX)),
        ),
    };
    let seq = c.query_row(
        "INSERT INTO provider_breakers
             (provider, state, open_until_ms, consecutive_failures, consecutive_opens, seq, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)
         ON CONFLICT (provider) DO UPDATE SET
             state = excluded.state, open_until_ms = excluded.open_until_ms,
             consecutive_failures = excluded.consecutive_failures,
             consecutive_opens = excluded.consecutive_opens,
             seq = provider_breakers.seq + 1, updated_at = excluded.updated_at
         RETURNING seq",
        params![
            provider,
            state,
            until.max(0),
            d.consecutive_failures,
            d.consecutive_opens,
            crate::util::now()
        ],
        |r| r.get(0),
    )?;
    Ok(seq)
}

/// One call-log row, as written and as shown.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CallLogEntry {
    #[ts(type = "number")]
    pub id: i64,
    pub action_id: String,
    pub at: String,
    pub feature: String,
    pub provider: String,
    pub model: String,
    pub streamed: bool,
    #[ts(type = "number")]
    pub latency_ms: u64,
    #[ts(type = "number | null")]
    pub ttft_ms: Option<u64>,
    pub tokens_in: u32,
    pub tokens_out: u32,
    /// `ok`, `error`, `rejected` (breaker open) or `cancelled`.
    pub outcome: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// The provider's breaker state after the call.
    pub breaker_state: String,
    pub prompt: Option<String>,
    pub output: Option<String>,
    /// Whether this action counts against the AI-action limit.
    pub rate_limited: bool,
    /// The outcome in words ("Answered", "Could not connect", "Skipped: paused"), filled when read.
    pub outcome_text: String,
}

/// What a call log row's outcome means, for people.
pub fn outcome_words(outcome: &str, feature: &str, code: Option<&str>) -> String {
    match outcome {
        "ok" if feature == "connection_test" => "Connected".to_owned(),
        "ok" => "Answered".to_owned(),
        "rejected" => "Skipped: paused after failures".to_owned(),
        "cancelled" => "Stopped".to_owned(),
        _ => code
            .and_then(crate::llm::LlmErrorKind::from_code)
            .map_or("Failed", crate::llm::LlmErrorKind::words)
            .to_owned(),
    }
}

pub fn insert_call(c: &Connection, e: &CallLogEntry) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO llm_calls (action_id, at, feature, provider, model, streamed, latency_ms, ttft_ms, tokens_in,
             tokens_out, outcome, error_code, error_message, breaker_state, prompt, output, rate_limited)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        e.action_id,
        e.at,
        e.feature,
        e.provider,
        e.model,
        e.streamed,
        e.latency_ms as i64,
        e.ttft_ms.map(|v| v as i64),
        e.tokens_in,
        e.tokens_out,
        e.outcome,
        e.error_code,
        e.error_message,
        e.breaker_state,
        e.prompt,
        e.output,
        e.rate_limited,
    ])?;
    Ok(())
}

/// The newest rows first.
/// Each provider's last call that reached it (`ok` or `error`; rejected and cancelled calls say nothing
/// about the provider): provider → (at, feature, ok, error code, error message).
#[allow(clippy::type_complexity)]
pub fn last_real_calls(
    c: &Connection,
) -> Result<Vec<(String, String, String, bool, Option<String>, Option<String>)>> {
    let mut st = c.prepare_cached(
        "SELECT provider, at, feature, outcome = 'ok', error_code, error_message FROM llm_calls
         WHERE id IN (SELECT MAX(id) FROM llm_calls WHERE outcome IN ('ok', 'error') GROUP BY provider)",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn recent_calls(c: &Connection, limit: u32) -> Result<Vec<CallLogEntry>> {
    let mut rows = recent_rows(c, limit)?;
    for e in &mut rows {
        e.outcome_text = outcome_words(&e.outcome, &e.feature, e.error_code.as_deref());
    }
    Ok(rows)
}

fn recent_rows(c: &Connection, limit: u32) -> Result<Vec<CallLogEntry>> {
    let mut st = c.prepare_cached(
        "SELECT id, action_id, at, feature, provider, model, streamed, latency_ms, ttft_ms, tokens_in, tokens_out,
                outcome, error_code, error_message, breaker_state, prompt, output, rate_limited
         FROM llm_calls ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = st.query_map([limit], |r| {
        Ok(CallLogEntry {
            id: r.get(0)?,
            action_id: r.get(1)?,
            at: r.get(2)?,
            feature: r.get(3)?,
            provider: r.get(4)?,
            model: r.get(5)?,
            streamed: r.get(6)?,
            latency_ms: r.get::<_, i64>(7)?.max(0) as u64,
            ttft_ms: r.get::<_, Option<i64>>(8)?.map(|v| v.max(0) as u64),
            tokens_in: r.get(9)?,
            tokens_out: r.get(10)?,
            outcome: r.get(11)?,
            error_code: r.get(12)?,
            error_message: r.get(13)?,
            breaker_state: r.get(14)?,
            prompt: r.get(15)?,
            output: r.get(16)?,
            rate_limited: r.get(17)?,
            outcome_text: String::new(),
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Deletes rows older than `before` and all but the newest [`CALL_LOG_MAX_ROWS`]. Returns how many went.
pub fn prune_calls(c: &Connection, before: &str) -> Result<usize> {
    let by_age = c.execute("DELETE FROM llm_calls WHERE at < ?1", [before])?;
    let by_count = c.execute(
        "DELETE FROM llm_calls WHERE id <= (SELECT id FROM llm_calls ORDER BY id DESC LIMIT 1 OFFSET ?1)",
        [CALL_LOG_MAX_ROWS],
    )?;
    Ok(by_age + by_count)
}

/// Start times of the rate-limited actions since `since` (one per action, however many attempts it made).
pub fn action_times_since(c: &Connection, since: &str) -> Result<Vec<String>> {
    let mut st = c.prepare_cached(
        "SELECT min(at) FROM llm_calls WHERE rate_limited = 1 AND at >= ?1 GROUP BY action_id",
    )?;
    let rows = st.query_map([since], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}
