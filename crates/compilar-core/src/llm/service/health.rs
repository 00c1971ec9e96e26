//! What a provider's status pill says, decided once for Settings, Diagnostics and the CLI.
//!
//! The pill keeps three things apart: **configured** (on, and has what it needs to be called: a key, for
//! cloud providers), **reachable** (the last real call was a connection test that listed its models) and
//! **working** (the last real call was an answer or an embedding). "Real" means a call that reached the
//! provider: rejected (breaker open) and cancelled calls say nothing about it. A paused breaker wins over
//! everything but "off", because then the provider is not called at all.

use serde::Serialize;
use ts_rs::TS;

use crate::llm::BreakerState;

/// The state behind a provider's pill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Switched off in Settings.
    Off,
    /// On, but a cloud provider without a key: it is skipped.
    NeedsKey,
    /// The breaker was switched off by hand (Diagnostics).
    SwitchedOff,
    /// The breaker opened after failures: skipped until its next trial.
    Paused,
    /// The breaker lets a trial call through.
    Retrying,
    /// Set up, but no real call has reached it yet.
    NotTried,
    /// The last real call failed.
    Failing,
    /// The last real call was a connection test that succeeded: reachable, not yet used.
    Reachable,
    /// The last real call answered.
    Working,
}

/// How the pill is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    Off,
    Neutral,
    Ok,
    Warn,
    Error,
}

/// The last call that reached a provider (from the call log, so it survives a restart).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LastCall {
    pub at: String,
    /// `connection_test`, `coach_chat`, `embedding`…
    pub feature: String,
    pub ok: bool,
    /// In words, for people.
    pub message: Option<String>,
    /// The stable code, for a details line.
    pub code: Option<String>,
}

/// A provider's pill: its state, the words, and what to say under them.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ProviderHealth {
    pub state: Availability,
    pub tone: Tone,
    /// "Working", "Needs an API key", "Last call failed"…
    pub label: String,
    /// One line more: why, or what next.
    pub detail: Option<String>,
    pub last_call: Option<LastCall>,
}

/// The pill for a provider. `next_trial` is the breaker's "in 45 s" when it is open.
pub fn health(
    enabled: bool,
    configured: bool,
    breaker: BreakerState,
    next_trial: Option<&str>,
    last_call: Option<LastCall>,
) -> ProviderHealth {
    let (state, tone, label, detail): (Availability, Tone, &str, Option<String>) = if !enabled {
        (Availability::Off, Tone::Off, "Off", None)
    } else if !configured {
        (
            Availability::NeedsKey,
            Tone::Warn,
            "Needs an API key",
            Some("Skipped until a key is saved.".to_owned()),
        )
    } else {
        match breaker {
            BreakerState::ForcedOpen => (
                Availability::SwitchedOff,
                Tone::Off,
                "Switched off",
                Some("Switched off in Advanced \u{2192} Diagnostics; it is skipped.".to_owned()),
            ),
            BreakerState::Open => (
                Availability::Paused,
                Tone::Error,
                "Paused after failures",
                Some(match next_trial {
                    Some(t) => format!("Skipped for now; tried again in {t}."),
                    None => "Skipped for now.".to_owned(),
                }),
            ),
            BreakerState::HalfOpen => (
                Availability::Retrying,
                Tone::Warn,
                "Trying again",
                Some("The next call is a trial.".to_owned()),
            ),
            BreakerState::Closed => match &last_call {
                None => (
                    Availability::NotTried,
                    Tone::Neutral,
                    "Set up, not tried yet",
                    Some("Test the connection to check it.".to_owned()),
                ),
                Some(c) if !c.ok => (
                    Availability::Failing,
                    Tone::Error,
                    "Last call failed",
                    c.message.clone(),
                ),
                Some(c) if c.feature == "connection_test" => (
                    Availability::Reachable,
                    Tone::Ok,
                    "Connected",
                    Some("The connection test worked; it has not answered yet.".to_owned()),
                ),
                Some(_) => (Availability::Working, Tone::Ok, "Working", None),
            },
        }
    };
    ProviderHealth {
        state,
        tone,
        label: label.to_owned(),
        detail,
        last_call,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(feature: &str, ok: bool) -> Option<LastCall> {
        Some(LastCall {
            at: "2026-12-01T10:00:00Z".into(),
            feature: feature.into(),
            ok,
            message: (!ok).then(|| "Could not connect to the server.".to_owned()),
            code: (!ok).then(|| "provider_unreachable".to_owned()),
        })
    }

    fn words(h: &ProviderHealth) -> (Availability, Tone, &str) {
        (h.state, h.tone, h.label.as_str())
    }

    #[test]
    fn every_state_maps_to_words_that_mean_it() {
        use Availability::*;
        use BreakerState as B;
        let cases: Vec<(ProviderHealth, (Availability, Tone, &str))> = vec![
            (
                health(false, true, B::Closed, None, call("coach_chat", true)),
                (Off, Tone::Off, "Off"),
            ),
            // The reported "Healthy" for a provider without a key.
            (
                health(true, false, B::Closed, None, None),
                (NeedsKey, Tone::Warn, "Needs an API key"),
            ),
            (
                health(true, true, B::ForcedOpen, None, call("coach_chat", true)),
                (SwitchedOff, Tone::Off, "Switched off"),
            ),
            (
                health(true, true, B::Open, Some("45 s"), call("coach_chat", false)),
                (Paused, Tone::Error, "Paused after failures"),
            ),
            (
                health(true, true, B::HalfOpen, None, call("coach_chat", false)),
                (Retrying, Tone::Warn, "Trying again"),
            ),
            (
                health(true, true, B::Closed, None, None),
                (NotTried, Tone::Neutral, "Set up, not tried yet"),
            ),
            // The reported "Ready" next to "Could not connect", and "Healthy" for one that just failed.
            (
                health(true, true, B::Closed, None, call("connection_test", false)),
                (Failing, Tone::Error, "Last call failed"),
            ),
            (
                health(true, true, B::Closed, None, call("connection_test", true)),
                (Reachable, Tone::Ok, "Connected"),
            ),
            (
                health(true, true, B::Closed, None, call("coach_chat", true)),
                (Working, Tone::Ok, "Working"),
            ),
        ];
        for (h, want) in &cases {
            assert_eq!(words(h), *want);
        }
        let failing = health(true, true, B::Closed, None, call("coach_chat", false));
        assert_eq!(
            failing.detail.as_deref(),
            Some("Could not connect to the server.")
        );
        let paused = health(true, true, B::Open, Some("45 s"), None);
        assert!(paused.detail.unwrap().contains("in 45 s"));
    }
}
