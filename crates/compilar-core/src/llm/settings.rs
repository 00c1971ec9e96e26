//! Provider and AI settings: stored in the database (never the keys), validated before they are saved.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use super::error::Invalid;
use super::types::ProviderKind;
use crate::resilience::breaker::BreakerConfig;
use crate::resilience::limiter::RateLimitConfig;

/// The three provider slots the app has: two cloud providers and one local server.
pub const PROVIDER_IDS: [&str; 3] = ["anthropic", "openai", "local"];
const MAX_MODEL_LEN: usize = 200;
const MAX_URL_LEN: usize = 500;

/// Time limits for one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Timeouts {
    /// Connecting to the server.
    pub connect_secs: u32,
    /// From sending to the first token (streams) — local models may need to load first.
    pub first_token_secs: u32,
    /// Longest silence between two tokens of a stream.
    pub stall_secs: u32,
    /// A whole (non-streamed) answer.
    pub request_secs: u32,
    /// A call whose first token (or whole answer) takes longer than this counts as a breaker failure, even if
    /// it succeeds. 0 turns the rule off.
    pub slow_call_secs: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect_secs: 10,
            first_token_secs: 60,
            stall_secs: 30,
            request_secs: 120,
            slow_call_secs: 30,
        }
    }
}

/// One provider's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ProviderSettings {
    /// `anthropic`, `openai` or `local`.
    pub id: String,
    pub kind: ProviderKind,
    pub label: String,
    pub enabled: bool,
    /// Place in the fallback chain (0 first).
    pub position: u32,
    pub base_url: String,
    pub chat_model: String,
    pub embedding_model: Option<String>,
    #[serde(default)]
    pub timeouts: Timeouts,
    #[serde(default)]
    pub breaker: BreakerConfig,
    /// Context size asked of an Ollama server (`options.num_ctx`).
    #[serde(default = "default_num_ctx")]
    pub num_ctx: u32,
}

fn default_num_ctx() -> u32 {
    8192
}

impl ProviderSettings {
    /// The built-in defaults for a provider slot.
    pub fn default_for(id: &str) -> Option<ProviderSettings> {
        let (kind, label, position, enabled, base_url, chat_model, embedding_model) = match id {
            "anthropic" => (
                ProviderKind::Anthropic,
                "Anthropic",
                0,
                false,
                "https://api.anthropic.com",
                "claude-sonnet-4-5",
                None,
            ),
            "openai" => (
                ProviderKind::Openai,
                "OpenAI",
                1,
                false,
                "https://api.openai.com/v1",
                "gpt-4o-mini",
                Some("text-embedding-3-small"),
            ),
            "local" => (
                ProviderKind::Ollama,
                "Local model",
                2,
                false,
                "http://127.0.0.1:11434",
                "llama3.2",
                Some("nomic-embed-text"),
            ),
            _ => return None,
        };
        let mut timeouts = Timeouts::default();
        if kind == ProviderKind::Ollama {
            // Loading a local model into memory can take a while on the first call.
            timeouts.first_token_secs = 120;
            timeouts.slow_call_secs = 90;
            timeouts.request_secs = 300;
        }
        Some(ProviderSettings {
            id: id.to_owned(),
            kind,
            label: label.to_owned(),
            enabled,
            position,
            base_url: base_url.to_owned(),
            chat_model: chat_model.to_owned(),
            embedding_model: embedding_model.map(str::to_owned),
            timeouts,
            breaker: BreakerConfig::default(),
            num_ctx: default_num_ctx(),
        })
    }

    /// Checks everything a person can type; the message names the field.
    pub fn validate(&self) -> Result<(), Invalid> {
        let default = ProviderSettings::default_for(&self.id).ok_or_else(|| {
            Invalid::new(
                "id",
                format!(
                    "Unknown provider \u{201c}{}\u{201d}.",
                    crate::domain::truncate_for_message(&self.id)
                ),
            )
        })?;
        let kind_ok = match self.id.as_str() {
            "local" => matches!(
                self.kind,
                ProviderKind::Ollama | ProviderKind::OpenaiCompatible
            ),
            _ => self.kind == default.kind,
        };
        if !kind_ok {
            return Err(Invalid::new(
                "kind",
                format!("{} cannot use that protocol.", default.label),
            ));
        }
        let label = self.label.trim();
        if label.is_empty() || label.chars().count() > 60 {
            return Err(Invalid::new(
                "label",
                "The provider name must be 1 to 60 characters.",
            ));
        }
        if self.base_url.len() > MAX_URL_LEN {
            return Err(Invalid::new("base_url", "The address is too long."));
        }
        let url = url::Url::parse(self.base_url.trim()).map_err(|_| {
            Invalid::new(
                "base_url",
                format!(
                    "\u{201c}{}\u{201d} is not a valid URL.",
                    crate::domain::truncate_for_message(&self.base_url)
                ),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Invalid::new(
                "base_url",
                "The address must start with http:// or https:// and name a host.",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Invalid::new(
                "base_url",
                "Put the API key in the key field, not in the address.",
            ));
        }
        for (field, what, m) in [
            ("chat_model", "chat model", Some(&self.chat_model)),
            (
                "embedding_model",
                "embedding model",
                self.embedding_model.as_ref(),
            ),
        ] {
            if let Some(m) = m {
                let m = m.trim();
                if m.is_empty() && what == "chat model" {
                    return Err(Invalid::new(field, "Choose a chat model."));
                }
                if m.len() > MAX_MODEL_LEN || m.chars().any(char::is_control) {
                    return Err(Invalid::new(
                        field,
                        format!("The {what} name is not valid."),
                    ));
                }
            }
        }
        let t = &self.timeouts;
        for (field, name, v, lo, hi) in [
            (
                "timeouts.connect_secs",
                "connect timeout",
                t.connect_secs,
                1,
                120,
            ),
            (
                "timeouts.first_token_secs",
                "first-token timeout",
                t.first_token_secs,
                1,
                900,
            ),
            ("timeouts.stall_secs", "stall timeout", t.stall_secs, 1, 900),
            (
                "timeouts.request_secs",
                "request timeout",
                t.request_secs,
                1,
                1800,
            ),
            (
                "timeouts.slow_call_secs",
                "slow-call threshold",
                t.slow_call_secs,
                0,
                900,
            ),
        ] {
            if !(lo..=hi).contains(&v) {
                return Err(Invalid::new(
                    field,
                    format!("The {name} must be between {lo} and {hi} seconds."),
                ));
            }
        }
        if !(512..=1_048_576).contains(&self.num_ctx) {
            return Err(Invalid::new(
                "num_ctx",
                "The context size must be between 512 and 1,048,576 tokens.",
            ));
        }
        self.breaker.validate()
    }

    /// Trims what a person typed.
    pub fn normalised(mut self) -> Self {
        self.label = self.label.trim().to_owned();
        self.base_url = self.base_url.trim().trim_end_matches('/').to_owned();
        self.chat_model = self.chat_model.trim().to_owned();
        self.embedding_model = self
            .embedding_model
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty());
        self
    }
}

/// Settings that are not per provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct AiSettings {
    pub rate_limit: RateLimitConfig,
    /// Store prompts and answers in the call log (off by default).
    pub log_prompts: bool,
    /// Call-log rows older than this are deleted.
    pub call_log_retention_days: u32,
}

impl Default for AiSettings {
    fn default() -> Self {
        AiSettings {
            rate_limit: RateLimitConfig::default(),
            log_prompts: false,
            call_log_retention_days: 30,
        }
    }
}

impl AiSettings {
    pub fn validate(&self) -> Result<(), Invalid> {
        self.rate_limit.validate()?;
        if !(1..=365).contains(&self.call_log_retention_days) {
            return Err(Invalid::new(
                "call_log_retention_days",
                "Keep the call log between 1 and 365 days.",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        for id in PROVIDER_IDS {
            ProviderSettings::default_for(id)
                .unwrap()
                .validate()
                .unwrap();
        }
        AiSettings::default().validate().unwrap();
    }

    #[test]
    fn bad_values_are_named() {
        let base = ProviderSettings::default_for("local").unwrap();
        type Change = Box<dyn Fn(&mut ProviderSettings)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|s| s.base_url = "ftp://x".into()), "http"),
            (
                Box::new(|s| s.base_url = "not a url".into()),
                "not a valid URL",
            ),
            (
                Box::new(|s| s.base_url = "http://user:pw@host".into()),
                "key field",
            ),
            (Box::new(|s| s.chat_model = " ".into()), "chat model"),
            (Box::new(|s| s.timeouts.stall_secs = 0), "stall timeout"),
            (
                Box::new(|s| s.breaker.failure_threshold = 0),
                "failure threshold",
            ),
            (Box::new(|s| s.num_ctx = 10), "context size"),
            (Box::new(|s| s.kind = ProviderKind::Anthropic), "protocol"),
            (Box::new(|s| s.id = "other".into()), "Unknown provider"),
        ];
        for (change, expect) in cases {
            let mut s = base.clone();
            change(&mut s);
            let e = s.normalised().validate().unwrap_err();
            assert!(e.message.contains(expect), "{e:?} should mention {expect}");
        }
    }
}
