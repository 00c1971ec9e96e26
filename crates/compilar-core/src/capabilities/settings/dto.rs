//! Request and response types of the settings capability (AI providers, keys, AI-action limits, appearance).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Everything the Settings page shows about AI providers (never a key).
#[derive(Debug, Clone, Serialize, TS)]
pub struct LlmSettings {
    pub providers: Vec<crate::llm::ProviderView>,
    pub ai: crate::llm::AiSettings,
    pub keychain: crate::llm::KeychainStatus,
}

/// All provider settings at once; `position` gives the fallback order.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct SaveProvidersRequest {
    pub providers: Vec<crate::llm::ProviderSettings>,
}

/// A change to one provider (the command line's `providers set|enable|disable`); what is `None` stays.
#[derive(Debug, Clone, Default)]
pub struct ProviderChange {
    pub enabled: Option<bool>,
    pub chat_model: Option<String>,
    pub base_url: Option<String>,
    /// An empty value clears it.
    pub embedding_model: Option<String>,
    /// The place in the fallback chain (0 first); the others keep their order around it.
    pub position: Option<u32>,
}

/// Stores or replaces a provider's API key in the keychain.
#[derive(Deserialize, TS)]
pub struct SetKeyRequest {
    pub provider: String,
    pub key: String,
}

impl std::fmt::Debug for SetKeyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key never reaches a log line, even through Debug.
        f.debug_struct("SetKeyRequest")
            .field("provider", &self.provider)
            .field("key", &"[hidden]")
            .finish()
    }
}

/// The colour theme: the system's (the default), or one chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// How the window looks: theme and zoom (kept in the database, so each data folder has its own).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct Appearance {
    #[serde(default)]
    pub theme: Theme,
    /// The zoom factor, 0.5–2 (1 is 100 %).
    #[serde(default = "one")]
    pub zoom: f64,
}

fn one() -> f64 {
    1.0
}

impl Default for Appearance {
    fn default() -> Self {
        Appearance {
            theme: Theme::System,
            zoom: 1.0,
        }
    }
}

pub const MIN_ZOOM: f64 = 0.5;
pub const MAX_ZOOM: f64 = 2.0;
