//! The settings capability: AI providers (order, addresses, models, timeouts, breakers), their keys in the
//! OS keychain, and the AI-action limit and call-log options.

pub mod dto;

use crate::capabilities::assessments::check_len;
use crate::ctx::Ctx;
use crate::error::Result;
use crate::llm::{AiSettings, ConnectionTest};
use dto::*;

#[derive(Clone, Copy)]
pub struct Settings<'a> {
    ctx: &'a Ctx,
}

impl<'a> Settings<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Settings { ctx }
    }

    /// Provider settings, key status (never a key) and whether the keychain works.
    pub async fn get(&self) -> Result<LlmSettings> {
        let (providers, ai, keychain) = self.ctx.llm.settings_view().await?;
        Ok(LlmSettings {
            providers,
            ai,
            keychain,
        })
    }

    /// Saves every provider's settings (and so the fallback order). All are validated before any is saved.
    pub async fn save_providers(&self, req: SaveProvidersRequest) -> Result<LlmSettings> {
        self.ctx.llm.save_settings(req.providers).await?;
        self.get().await
    }

    pub async fn save_ai(&self, ai: AiSettings) -> Result<LlmSettings> {
        self.ctx.llm.save_ai_settings(ai).await?;
        self.get().await
    }

    /// Stores or replaces a provider's key in the OS keychain.
    pub async fn set_key(&self, req: SetKeyRequest) -> Result<LlmSettings> {
        check_len(&req.provider, "provider")?;
        self.ctx.llm.set_key(&req.provider, &req.key).await?;
        self.get().await
    }

    pub async fn remove_key(&self, provider: &str) -> Result<LlmSettings> {
        check_len(provider, "provider")?;
        self.ctx.llm.remove_key(provider).await?;
        self.get().await
    }

    /// Lists the provider's models to check the address and the key.
    pub async fn test_provider(&self, provider: &str) -> Result<ConnectionTest> {
        check_len(provider, "provider")?;
        self.ctx.llm.test_connection(provider).await
    }
}
