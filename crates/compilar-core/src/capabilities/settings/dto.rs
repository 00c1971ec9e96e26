//! Request and response types of the settings capability (AI providers, keys, AI-action limits).

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
