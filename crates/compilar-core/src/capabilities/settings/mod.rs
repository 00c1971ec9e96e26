//! The settings capability: AI providers (order, addresses, models, timeouts, breakers), their keys in the
//! OS keychain, the AI-action limit and call-log options, and the window's appearance (theme, zoom).

pub mod dto;

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::llm::{AiSettings, ConnectionTest};
use crate::validate::check_len;
use dto::*;

const APPEARANCE_KEY: &str = "appearance";

#[derive(Clone, Copy)]
pub struct Settings<'a> {
    ctx: &'a Ctx,
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn settings(&self) -> Settings<'_> {
        Settings::new(self)
    }
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

    /// Changes one provider and keeps the others as they are, with the same checks as saving them all
    /// (an unknown id is `unknown_provider`; a bad address or model `invalid_settings`).
    pub async fn change_provider(&self, id: &str, change: ProviderChange) -> Result<LlmSettings> {
        check_len(id, "provider")?;
        let mut all: Vec<crate::llm::ProviderSettings> = self
            .get()
            .await?
            .providers
            .into_iter()
            .map(|p| p.settings)
            .collect();
        all.sort_by_key(|p| p.position);
        let Some(at) = all.iter().position(|p| p.id == id.trim()) else {
            return Err(Error::UnknownProvider(crate::domain::truncate_for_message(
                id,
            )));
        };
        let p = &mut all[at];
        if let Some(e) = change.enabled {
            p.enabled = e;
        }
        if let Some(m) = change.chat_model {
            p.chat_model = m.trim().to_owned();
        }
        if let Some(u) = change.base_url {
            p.base_url = u.trim().to_owned();
        }
        if let Some(m) = change.embedding_model {
            let m = m.trim();
            p.embedding_model = (!m.is_empty()).then(|| m.to_owned());
        }
        if let Some(to) = change.position {
            let moved = all.remove(at);
            let to = (to as usize).min(all.len());
            all.insert(to, moved);
        }
        for (i, p) in all.iter_mut().enumerate() {
            p.position = i as u32;
        }
        self.save_providers(SaveProvidersRequest { providers: all })
            .await
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

    /// The window's theme and zoom (the defaults when never set, or when what is stored is unreadable).
    pub async fn appearance(&self) -> Result<Appearance> {
        let stored = self
            .ctx
            .store
            .read(|c| crate::store::meta::setting(c, APPEARANCE_KEY))
            .await?;
        Ok(stored
            .and_then(|j| serde_json::from_str::<Appearance>(&j).ok())
            .filter(|a| a.zoom.is_finite() && (MIN_ZOOM..=MAX_ZOOM).contains(&a.zoom))
            .unwrap_or_default())
    }

    /// Changes the theme (`system`, `light` or `dark`), the zoom, or both, keeping the other as it is;
    /// with neither, the current appearance.
    pub async fn change_appearance(
        &self,
        theme: Option<&str>,
        zoom: Option<f64>,
    ) -> Result<Appearance> {
        let now = self.appearance().await?;
        if theme.is_none() && zoom.is_none() {
            return Ok(now);
        }
        let theme = match theme.map(|t| t.trim().to_ascii_lowercase()).as_deref() {
            None => now.theme,
            Some("system") => Theme::System,
            Some("light") => Theme::Light,
            Some("dark") => Theme::Dark,
            Some(other) => {
                return Err(Error::OutOfRange(format!(
                    "The theme is system, light or dark, not \u{201c}{}\u{201d}.",
                    crate::domain::truncate_for_message(other)
                )))
            }
        };
        self.set_appearance(Appearance {
            theme,
            zoom: zoom.unwrap_or(now.zoom),
        })
        .await
    }

    /// Saves the theme and zoom; a zoom outside 0.5–2 is refused and nothing changes.
    pub async fn set_appearance(&self, a: Appearance) -> Result<Appearance> {
        if !a.zoom.is_finite() || !(MIN_ZOOM..=MAX_ZOOM).contains(&a.zoom) {
            return Err(Error::OutOfRange(format!(
                "Zoom between {:.0} % and {:.0} %, not {:.0} %.",
                MIN_ZOOM * 100.0,
                MAX_ZOOM * 100.0,
                a.zoom * 100.0
            )));
        }
        // Whole per cents: 1.1 stays 1.1 however often it is stepped.
        let a = Appearance {
            zoom: (a.zoom * 100.0).round() / 100.0,
            ..a
        };
        let json = serde_json::to_string(&a).map_err(|e| Error::Internal(e.to_string()))?;
        self.ctx
            .store
            .write(move |c| crate::store::meta::set_setting(c, APPEARANCE_KEY, &json))
            .await?;
        Ok(a)
    }

    /// Lists the provider's models to check the address and the key.
    pub async fn test_provider(&self, provider: &str) -> Result<ConnectionTest> {
        check_len(provider, "provider")?;
        self.ctx.llm.test_connection(provider).await
    }
}
