//! Settings, keys and limits: the AI-action limit survives a restart, prompts are logged only when asked, settings are validated whole, environment keys override the keychain.

use super::*;

#[tokio::test]
async fn ai_actions_are_rate_limited_and_the_limit_survives_a_restart() {
    let o = FakeServer::start().await;
    o.on("/v1/chat/completions", openai_chat("ok", "gpt-4o-mini"));
    o.on("/v1/models", openai_models(&["gpt-4o-mini"]));
    let env = setup(&[("openai", o.url())]).await;
    env.app
        .settings()
        .save_ai(AiSettings {
            rate_limit: RateLimitConfig {
                max_actions: 3,
                window_secs: 60,
            },
            ..AiSettings::default()
        })
        .await
        .unwrap();
    for i in 0..3 {
        env.app.ai().ask(ask("x")).await.unwrap();
        assert_eq!(
            env.app
                .diagnostics()
                .llm_status()
                .await
                .unwrap()
                .rate_limit
                .remaining,
            2 - i
        );
    }
    let e = env.app.ai().ask(ask("x")).await.unwrap_err();
    assert_eq!(e.code(), "rate_limited");
    assert!(e.retryable());
    assert!(
        e.to_string().contains("3 AI actions") && e.to_string().contains("Try again in 1 min"),
        "{e}"
    );
    let (_, last) = stream(&env.app, ask("x")).await;
    assert_eq!(error_code(&last).0, "rate_limited");
    assert_eq!(
        o.count("/v1/chat/completions"),
        3,
        "rejected actions send nothing"
    );
    let state = env.app.diagnostics().llm_status().await.unwrap().rate_limit;
    assert_eq!(
        (state.used, state.remaining, state.next_allowed_in_ms),
        (3, 0, 60_000)
    );
    assert!(state.next_allowed_at.is_some());
    // Connection tests are not AI actions.
    assert!(env.app.settings().test_provider("openai").await.unwrap().ok);

    // Reopen the same data folder: the three actions still count.
    let dir = env.dir;
    drop(env.app);
    let clock = Arc::new(ManualClock::new());
    let app = App::open_with(options(dir.path(), &clock)).await.unwrap();
    configure(&app, &[("openai", o.url())]).await; // the test keychain lives in memory only
    assert_eq!(
        app.diagnostics()
            .llm_status()
            .await
            .unwrap()
            .rate_limit
            .remaining,
        0
    );
    assert_eq!(
        app.ai().ask(ask("x")).await.unwrap_err().code(),
        "rate_limited"
    );
    clock.advance(Duration::from_secs(61));
    assert_eq!(app.ai().ask(ask("x")).await.unwrap().text, "ok");
}

#[tokio::test]
async fn prompts_are_logged_only_when_turned_on_and_old_rows_are_pruned() {
    let o = FakeServer::start().await;
    o.on(
        "/v1/chat/completions",
        openai_chat("the answer", "gpt-4o-mini"),
    );
    let env = setup(&[("openai", o.url())]).await;
    env.app.ai().ask(ask("first question")).await.unwrap();
    env.app
        .settings()
        .save_ai(AiSettings {
            log_prompts: true,
            call_log_retention_days: 7,
            ..AiSettings::default()
        })
        .await
        .unwrap();
    env.app.ai().ask(ask("second question")).await.unwrap();
    let calls = env.app.diagnostics().llm_status().await.unwrap().calls;
    assert!(calls[0]
        .prompt
        .as_deref()
        .unwrap()
        .contains("second question"));
    assert_eq!(calls[0].output.as_deref(), Some("the answer"));
    assert!(calls[1].prompt.is_none());

    // Rows older than the retention go at the next start.
    let db = env.dir.path().join("compilar.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE llm_calls SET at = '2020-01-01T00:00:00.000Z' WHERE id = (SELECT min(id) FROM llm_calls)", [])
        .unwrap();
    drop(conn);
    let dir = env.dir;
    drop(env.app);
    let app = App::open_with(AppOptions::for_tests(dir.path()))
        .await
        .unwrap();
    let calls = app.diagnostics().llm_status().await.unwrap().calls;
    assert_eq!(calls.len(), 1);
    assert!(calls[0].prompt.is_some());
}

#[tokio::test]
async fn settings_are_validated_whole_and_keys_are_managed_without_showing_them() {
    let env = setup(&[]).await;
    let before = env.app.settings().get().await.unwrap();
    assert!(before.keychain.available);
    let openai = before
        .providers
        .iter()
        .find(|p| p.settings.id == "openai")
        .unwrap();
    assert!(openai.configured && openai.needs_key);
    assert_eq!(format!("{:?}", openai.key_source), "Keychain");
    let json = serde_json::to_string(&before).unwrap();
    assert!(
        !json.contains(OPENAI_KEY) && !json.contains(ANTHROPIC_KEY),
        "keys are never shown back"
    );

    // One bad provider: nothing is saved.
    let mut providers: Vec<_> = before
        .providers
        .iter()
        .map(|p| p.settings.clone())
        .collect();
    providers[0].label = "Renamed".into();
    providers[1].base_url = "not a url".into();
    let e = env
        .app
        .settings()
        .save_providers(SaveProvidersRequest { providers })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_settings");
    assert!(e.to_string().contains("not a valid URL"), "{e}");
    // The error names the provider and the field, so the window shows it at that field.
    let payload = e.payload();
    assert_eq!(
        payload.provider.as_deref(),
        Some(before.providers[1].settings.id.as_str())
    );
    assert_eq!(payload.field.as_deref(), Some("base_url"));
    let after = env.app.settings().get().await.unwrap();
    assert_eq!(
        after
            .providers
            .iter()
            .map(|p| &p.settings)
            .collect::<Vec<_>>(),
        before
            .providers
            .iter()
            .map(|p| &p.settings)
            .collect::<Vec<_>>()
    );
    // Missing providers, unknown ids, bad AI settings.
    let e = env
        .app
        .settings()
        .save_providers(SaveProvidersRequest { providers: vec![] })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_settings");
    let bad_ai = AiSettings {
        rate_limit: RateLimitConfig {
            max_actions: 0,
            window_secs: 60,
        },
        ..AiSettings::default()
    };
    let e = env.app.settings().save_ai(bad_ai).await.unwrap_err();
    assert_eq!(e.code(), "invalid_settings");
    assert_eq!(e.payload().field.as_deref(), Some("rate_limit.max_actions"));
    assert_eq!(e.payload().provider, None);
    let e = env
        .app
        .settings()
        .set_key(SetKeyRequest {
            provider: "nope".into(),
            key: "sk-x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "unknown_provider");
    let e = env
        .app
        .settings()
        .set_key(SetKeyRequest {
            provider: "openai".into(),
            key: "two words".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_api_key");
    // A 7-character "key" is refused (it could not be scrubbed from logs without mangling them).
    let e = env
        .app
        .settings()
        .set_key(SetKeyRequest {
            provider: "openai".into(),
            key: "sk-1234".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_api_key");
    assert!(e.to_string().contains("7 characters"), "{e}");

    // Removing a key makes the provider unconfigured; with no provider left, asking says how to set one up.
    env.app.settings().remove_key("openai").await.unwrap();
    let s = env.app.settings().remove_key("anthropic").await.unwrap();
    assert!(s
        .providers
        .iter()
        .filter(|p| p.needs_key)
        .all(|p| !p.configured));
    let e = env.app.ai().ask(ask("x")).await.unwrap_err();
    assert_eq!(e.code(), "no_provider");
    assert!(e.to_string().contains("local model"), "{e}");
    let t = env.app.settings().test_provider("openai").await.unwrap();
    assert!(!t.ok && t.message.contains("API key"));

    // Bad prompts.
    for (p, code) in [
        ("   ", "empty_input"),
        (&*"x".repeat(20_001), "payload_too_large"),
    ] {
        assert_eq!(env.app.ai().ask(ask(p)).await.unwrap_err().code(), code);
    }
    let mut req = ask("x");
    req.exclude = vec!["nobody".into()];
    assert_eq!(
        env.app.ai().ask(req).await.unwrap_err().code(),
        "unknown_provider"
    );
}

#[tokio::test]
async fn environment_keys_override_the_keychain() {
    let o = FakeServer::start().await;
    o.on(
        "/v1/chat/completions",
        openai_chat("env works", "gpt-4o-mini"),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut opts = AppOptions::for_tests(dir.path());
    opts.env_keys
        .insert(ProviderKind::Openai, "sk-from-env-000111".into());
    let app = App::open_with(opts).await.unwrap();
    let mut providers: Vec<_> = app
        .settings()
        .get()
        .await
        .unwrap()
        .providers
        .into_iter()
        .map(|p| p.settings)
        .collect();
    for p in providers.iter_mut() {
        p.enabled = p.id == "openai";
        if p.id == "openai" {
            p.base_url = format!("{}/v1", o.url());
        }
    }
    app.settings()
        .save_providers(SaveProvidersRequest { providers })
        .await
        .unwrap();
    let s = app.settings().get().await.unwrap();
    let p = s
        .providers
        .iter()
        .find(|p| p.settings.id == "openai")
        .unwrap();
    assert_eq!(format!("{:?}", p.key_source), "Environment");
    assert_eq!(p.key_env_var.as_deref(), Some("OPENAI_API_KEY"));
    assert_eq!(app.ai().ask(ask("x")).await.unwrap().text, "env works");
    assert_eq!(
        o.requests("/v1/chat/completions")[0].headers["authorization"],
        "Bearer sk-from-env-000111"
    );
}
