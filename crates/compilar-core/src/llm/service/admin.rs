//! Settings, keys, connection tests, breaker control and status.

use super::calllog::mark_error;
use super::*;

impl Llm {
    /// "Test connection": lists the provider's models, bypassing its breaker (so a person can check whether a
    /// paused provider is back). Recorded in the call log; not counted against the AI-action limit.
    pub async fn test_connection(&self, id: &str) -> Result<ConnectionTest> {
        let handles = self.handles().await?;
        let h = handles
            .iter()
            .find(|h| h.settings.id == id)
            .ok_or_else(|| Error::UnknownProvider(crate::domain::truncate_for_message(id)))?;
        let Some(provider) = h.provider.clone() else {
            return Ok(ConnectionTest {
                provider: id.to_owned(),
                ok: false,
                latency_ms: 0,
                models: Vec::new(),
                model_available: None,
                message: format!("{} needs an API key first.", h.settings.label),
                error: Some(
                    Error::Llm {
                        provider: h.settings.label.clone(),
                        error: LlmError::new(LlmErrorKind::NotConfigured, "No API key is set."),
                    }
                    .payload(),
                ),
            });
        };
        let started = Instant::now();
        let limit = Duration::from_secs(u64::from(h.settings.timeouts.connect_secs) + 20);
        let result = match tokio::time::timeout(limit, provider.list_models()).await {
            Ok(r) => r,
            Err(_) => Err(LlmError::new(LlmErrorKind::Timeout, "No reply in time.")),
        };
        let latency = started.elapsed();
        let prompt = Prompt {
            system: None,
            messages: Vec::new(),
            max_tokens: 0,
            temperature: None,
            schema: None,
        };
        let mut entry = self.entry(
            &new_id().to_string(),
            Feature::ConnectionTest,
            h,
            false,
            &prompt,
        );
        entry.latency_ms = ms(latency);
        let out = match result {
            Ok(models) => {
                let available = (!models.is_empty()).then(|| {
                    let m = &h.settings.chat_model;
                    models
                        .iter()
                        .any(|x| x == m || x.strip_suffix(":latest") == Some(m))
                });
                let message = match available {
                    Some(false) if h.settings.kind == ProviderKind::Ollama => format!(
                        "Connected, but \u{201c}{m}\u{201d} is not installed: run `ollama pull {m}` or choose one of the listed models.",
                        m = h.settings.chat_model
                    ),
                    Some(false) => format!(
                        "Connected, but \u{201c}{}\u{201d} is not among the {} offered.",
                        h.settings.chat_model,
                        crate::util::count(models.len(), "model", "models")
                    ),
                    _ => format!(
                        "Connected in {} ms; {} available.",
                        latency.as_millis(),
                        crate::util::count(models.len(), "model", "models")
                    ),
                };
                ConnectionTest {
                    provider: id.to_owned(),
                    ok: true,
                    latency_ms: ms(latency),
                    models,
                    model_available: available,
                    message,
                    error: None,
                }
            }
            Err(e) => {
                mark_error(&mut entry, &e);
                let err = self.provider_error(h, e);
                ConnectionTest {
                    provider: id.to_owned(),
                    ok: false,
                    latency_ms: ms(latency),
                    models: Vec::new(),
                    model_available: None,
                    message: err.to_string(),
                    error: Some(err.payload()),
                }
            }
        };
        self.log(entry).await;
        Ok(out)
    }

    /// Whether the keychain works (probed once, on a blocking thread; later calls reuse the answer).
    pub async fn keychain_status(&self) -> Result<KeychainStatus> {
        let secrets = Arc::clone(&self.secrets);
        Ok(tokio::task::spawn_blocking(move || secrets.status()).await?)
    }

    /// Each provider's pill, from its settings, breaker and last real call in the call log.
    async fn healths(
        &self,
        handles: &[Arc<Handle>],
    ) -> Result<HashMap<String, super::health::ProviderHealth>> {
        self.pull_breakers().await;
        let calls = self.store.read(sql::last_real_calls).await?;
        Ok(handles
            .iter()
            .map(|h| {
                let last =
                    calls
                        .iter()
                        .find(|c| c.0 == h.settings.id)
                        .map(|c| super::health::LastCall {
                            at: c.1.clone(),
                            feature: c.2.clone(),
                            ok: c.3,
                            message: (!c.3).then(|| {
                                let words =
                                    c.4.as_deref()
                                        .and_then(LlmErrorKind::from_code)
                                        .map_or("The call failed", LlmErrorKind::words);
                                match c.5.as_deref().filter(|m| !m.is_empty()) {
                                    Some(m) => format!("{words}: {m}"),
                                    None => format!("{words}."),
                                }
                            }),
                            code: c.4.clone(),
                        });
                let b = h.breaker.snapshot();
                let health = super::health::health(
                    h.settings.enabled,
                    h.configured(),
                    b.state,
                    b.next_trial_in_text.as_deref(),
                    last,
                );
                (h.settings.id.clone(), health)
            })
            .collect())
    }

    /// Settings with key status (reads the keychain: runs on a blocking thread).
    pub async fn settings_view(&self) -> Result<(Vec<ProviderView>, AiSettings, KeychainStatus)> {
        let handles = self.handles().await?;
        let secrets = Arc::clone(&self.secrets);
        let keychain = tokio::task::spawn_blocking(move || secrets.status()).await?;
        let mut healths = self.healths(&handles).await?;
        let views = handles
            .iter()
            .map(|h| ProviderView {
                settings: h.settings.clone(),
                key_source: h.key_source,
                needs_key: h.settings.kind.needs_key(),
                configured: h.configured(),
                key_env_var: h.settings.kind.key_env_var().map(str::to_owned),
                health: healths.remove(&h.settings.id).unwrap_or_else(|| {
                    super::health::health(false, false, BreakerState::Closed, None, None)
                }),
            })
            .collect();
        Ok((views, self.ai(), keychain))
    }

    /// Saves all provider settings at once (order included). Validates every one first; nothing changes if
    /// any is invalid.
    pub async fn save_settings(&self, providers: Vec<ProviderSettings>) -> Result<()> {
        let mut providers: Vec<ProviderSettings> = providers
            .into_iter()
            .map(ProviderSettings::normalised)
            .collect();
        if providers.len() != PROVIDER_IDS.len() {
            return Err(Error::InvalidSettings {
                message: format!("Send the settings of all {} providers.", PROVIDER_IDS.len()),
                field: None,
                settings_of: None,
            });
        }
        for p in &providers {
            p.validate()
                .map_err(|e| Error::invalid_setting(Some(&p.id), e))?;
        }
        for id in PROVIDER_IDS {
            if providers.iter().filter(|p| p.id == id).count() != 1 {
                return Err(Error::InvalidSettings {
                    message: format!(
                        "The settings must name each provider once ({id} is missing or repeated)."
                    ),
                    field: None,
                    settings_of: None,
                });
            }
        }
        // Positions become 0..n in the order given by `position`, ties by the order sent.
        providers.sort_by_key(|p| p.position);
        for (i, p) in providers.iter_mut().enumerate() {
            p.position = i as u32;
        }
        let saved = providers.clone();
        self.store
            .write(move |c| sql::save_provider_settings(c, &saved, &now()))
            .await?;
        for p in &providers {
            self.breaker(&p.id)?.configure(p.breaker.clone());
        }
        write(&self.settings, providers);
        self.invalidate();
        tracing::info!("provider settings saved");
        Ok(())
    }

    pub async fn save_ai_settings(&self, ai: AiSettings) -> Result<()> {
        ai.validate().map_err(|e| Error::invalid_setting(None, e))?;
        let saved = ai.clone();
        self.store
            .write(move |c| sql::save_ai_settings(c, &saved, &now()))
            .await?;
        self.limiter.configure(ai.rate_limit.clone());
        write(&self.ai, ai);
        Ok(())
    }

    fn known_provider(&self, id: &str) -> Result<()> {
        self.breaker(id).map(|_| ())
    }

    pub async fn set_key(&self, id: &str, key: &str) -> Result<()> {
        self.known_provider(id)?;
        let secrets = Arc::clone(&self.secrets);
        let (id2, key) = (id.to_owned(), key.to_owned());
        tokio::task::spawn_blocking(move || secrets.set(&id2, &key)).await??;
        self.invalidate();
        Ok(())
    }

    pub async fn remove_key(&self, id: &str) -> Result<()> {
        self.known_provider(id)?;
        let secrets = Arc::clone(&self.secrets);
        let id2 = id.to_owned();
        tokio::task::spawn_blocking(move || secrets.remove(&id2)).await??;
        self.invalidate();
        Ok(())
    }

    /// Reset / force-open / force-close a provider's breaker, for every process on this data folder.
    pub async fn control_breaker(
        &self,
        id: &str,
        action: BreakerAction,
    ) -> Result<BreakerSnapshot> {
        let b = self.breaker(id)?;
        match action {
            BreakerAction::Reset => b.reset(),
            BreakerAction::ForceOpen => b.force_open(),
            BreakerAction::ForceClose => b.force_close(),
        }
        tracing::info!(provider = id, action = ?action, "circuit breaker changed by hand");
        self.push_breaker(id).await;
        Ok(b.snapshot())
    }

    /// Whether some provider is switched on and has what it needs to be called (a key, for cloud ones).
    pub async fn any_usable(&self) -> Result<bool> {
        Ok(self
            .handles()
            .await?
            .iter()
            .any(|h| h.settings.enabled && h.configured()))
    }

    pub fn rate_limit_state(&self) -> RateLimitState {
        self.limiter.state()
    }

    /// Every provider's breaker and configuration state.
    pub async fn provider_status(&self) -> Result<Vec<ProviderStatus>> {
        let handles = self.handles().await?;
        let mut healths = self.healths(&handles).await?;
        Ok(handles
            .iter()
            .map(|h| ProviderStatus {
                health: healths.remove(&h.settings.id).unwrap_or_else(|| {
                    super::health::health(false, false, BreakerState::Closed, None, None)
                }),
                id: h.settings.id.clone(),
                label: h.settings.label.clone(),
                kind: h.settings.kind,
                enabled: h.settings.enabled,
                configured: h.configured(),
                position: h.settings.position,
                model: h.settings.chat_model.clone(),
                breaker: h.breaker.snapshot(),
            })
            .collect())
    }

    pub async fn recent_calls(&self, limit: u32) -> Result<Vec<CallLogEntry>> {
        self.store.read(move |c| sql::recent_calls(c, limit)).await
    }

    /// The state of one breaker (tests and diagnostics).
    pub fn breaker_state(&self, id: &str) -> Result<BreakerState> {
        Ok(self.breaker(id)?.state())
    }
}
