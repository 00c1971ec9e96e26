//! Circuit breakers: they open, reject without calling and recover; a Retry-After is kept; every process on a data folder shares them; manual control; status pills.

use super::*;

#[tokio::test]
async fn breaker_opens_after_five_failures_rejects_without_calling_and_recovers() {
    let (a, o) = (FakeServer::start().await, FakeServer::start().await);
    a.on(
        "/v1/messages",
        anthropic_error(500, "api_error", "Internal error", None),
    );
    o.on("/v1/chat/completions", openai_chat("fine", "gpt-4o-mini"));
    let env = setup(&[("anthropic", a.url()), ("openai", o.url())]).await;

    for i in 0..5 {
        assert_eq!(
            env.app.diagnostics().breaker_state("anthropic").unwrap(),
            BreakerState::Closed,
            "call {i}"
        );
        assert_eq!(env.app.ai().ask(ask("x")).await.unwrap().provider, "openai");
    }
    assert_eq!(
        env.app.diagnostics().breaker_state("anthropic").unwrap(),
        BreakerState::Open
    );
    assert_eq!(a.count("/v1/messages"), 5);

    // Open: Anthropic is skipped without a request; the call log says so.
    assert_eq!(env.app.ai().ask(ask("x")).await.unwrap().provider, "openai");
    assert_eq!(a.count("/v1/messages"), 5);
    let status = env.app.diagnostics().llm_status().await.unwrap();
    let calls = &status.calls;
    assert_eq!(calls[1].provider, "anthropic");
    assert_eq!(calls[1].outcome, "rejected");
    let snap = &status
        .providers
        .iter()
        .find(|p| p.id == "anthropic")
        .unwrap()
        .breaker;
    assert_eq!(snap.state, BreakerState::Open);
    assert_eq!(snap.next_trial_in_ms, Some(60_000));
    assert_eq!(snap.recent_failures.len(), 5);
    assert_eq!(snap.recent_failures[0].code, "provider_server_error");

    // After the recovery time: three successful trials close it.
    env.clock.advance(Duration::from_secs(60));
    a.on("/v1/messages", anthropic_message("back", "claude"));
    for _ in 0..2 {
        assert_eq!(
            env.app.ai().ask(ask("x")).await.unwrap().provider,
            "anthropic"
        );
        assert_eq!(
            env.app.diagnostics().breaker_state("anthropic").unwrap(),
            BreakerState::HalfOpen
        );
    }
    env.app.ai().ask(ask("x")).await.unwrap();
    assert_eq!(
        env.app.diagnostics().breaker_state("anthropic").unwrap(),
        BreakerState::Closed
    );
}

#[tokio::test]
async fn rate_limited_provider_opens_for_its_retry_after() {
    let a = FakeServer::start().await;
    a.on(
        "/v1/messages",
        anthropic_error(
            429,
            "rate_limit_error",
            "Number of requests has exceeded your rate limit",
            Some("7"),
        ),
    );
    let env = setup(&[("anthropic", a.url())]).await;
    let e = env.app.ai().ask(ask("x")).await.unwrap_err();
    assert_eq!(e.code(), "provider_rate_limited");
    assert!(e.retryable());
    assert!(e.to_string().contains("7 s"), "{e}");
    assert_eq!(
        env.app.diagnostics().breaker_state("anthropic").unwrap(),
        BreakerState::Open
    );

    let e = env.app.ai().ask(ask("x")).await.unwrap_err();
    assert_eq!(e.code(), "circuit_open");
    assert!(e.to_string().contains("7 s"), "{e}");
    assert_eq!(a.count("/v1/messages"), 1);

    env.clock.advance(Duration::from_secs(7));
    a.on("/v1/messages", anthropic_message("ok", "claude"));
    assert_eq!(env.app.ai().ask(ask("x")).await.unwrap().text, "ok");
}

/// One more process on `env`'s data folder (a command-line run beside the window), with its own clock.
async fn another_process(env: &Env, chain: &[(&str, String)]) -> App {
    let clock = Arc::new(ManualClock::new());
    let app = App::open_with(options(env.dir.path(), &clock))
        .await
        .unwrap();
    configure(&app, chain).await; // the test keychain lives in memory only
    app
}

#[tokio::test]
async fn breakers_and_retry_after_are_shared_by_every_process_on_the_data_folder() {
    let a = FakeServer::start().await;
    a.on(
        "/v1/messages",
        anthropic_error(500, "api_error", "Internal error", None),
    );
    let chain = [("anthropic", a.url())];
    let window = setup(&chain).await;

    // Six command-line runs, one after another, against a failing provider: five requests, then none.
    for i in 0..5 {
        let run = another_process(&window, &chain).await;
        let e = run.ai().ask(ask("x")).await.unwrap_err();
        assert_eq!(e.code(), "provider_server_error", "run {i}: {e}");
    }
    let run = another_process(&window, &chain).await;
    let e = run.ai().ask(ask("x")).await.unwrap_err();
    assert_eq!(e.code(), "circuit_open", "{e}");
    assert!(e.to_string().contains("1 min"), "{e}");
    assert_eq!(a.count("/v1/messages"), 5);
    drop(run);

    // The window, open all along, knows too: its status and its next call.
    let status = window.app.diagnostics().llm_status().await.unwrap();
    let snap = &status
        .providers
        .iter()
        .find(|p| p.id == "anthropic")
        .unwrap()
        .breaker;
    assert_eq!(snap.state, BreakerState::Open);
    assert_eq!(snap.consecutive_opens, 1);
    assert!(snap
        .next_trial_in_ms
        .is_some_and(|ms| ms > 55_000 && ms <= 60_000));
    let e = window.app.ai().ask(ask("x")).await.unwrap_err();
    assert_eq!(e.code(), "circuit_open", "{e}");
    assert_eq!(a.count("/v1/messages"), 5);

    // A reset in the window lets the next command-line run through.
    a.on("/v1/messages", anthropic_message("back", "claude"));
    window
        .app
        .diagnostics()
        .control_breaker(BreakerControlRequest {
            provider: "anthropic".into(),
            action: BreakerAction::Reset,
        })
        .await
        .unwrap();
    let run = another_process(&window, &chain).await;
    assert_eq!(run.ai().ask(ask("x")).await.unwrap().text, "back");
    assert_eq!(a.count("/v1/messages"), 6);
    drop(run);

    // A 429 with Retry-After heard by one run is kept by the next, and by the window.
    a.once(
        "/v1/messages",
        anthropic_error(429, "rate_limit_error", "Slow down", Some("120")),
    );
    let run = another_process(&window, &chain).await;
    let e = run.ai().ask(ask("x")).await.unwrap_err();
    assert_eq!(e.code(), "provider_rate_limited", "{e}");
    drop(run);
    let run = another_process(&window, &chain).await;
    let e = run.ai().ask(ask("x")).await.unwrap_err();
    assert_eq!(e.code(), "circuit_open", "{e}");
    assert!(e.to_string().contains("2 min"), "{e}");
    let (_, last) = stream(&run, ask("x")).await;
    assert_eq!(error_code(&last).0, "circuit_open");
    let e = window.app.ai().ask(ask("x")).await.unwrap_err();
    assert_eq!(e.code(), "circuit_open", "{e}");
    assert_eq!(a.count("/v1/messages"), 7);

    // Forced open by hand in one process holds in the others until it is reset.
    run.diagnostics()
        .control_breaker(BreakerControlRequest {
            provider: "anthropic".into(),
            action: BreakerAction::ForceOpen,
        })
        .await
        .unwrap();
    window.clock.advance(Duration::from_secs(121));
    let e = window.app.ai().ask(ask("x")).await.unwrap_err();
    assert_eq!(e.code(), "circuit_open", "{e}");
    assert!(!e.retryable());
    assert_eq!(a.count("/v1/messages"), 7);
}

#[tokio::test]
async fn manual_breaker_controls_and_openai_embeddings() {
    let o = FakeServer::start().await;
    o.on(
        "/v1/embeddings",
        openai_embeddings(&[vec![0.1, 0.2], vec![0.3, 0.4]], "text-embedding-3-small"),
    );
    o.on("/v1/chat/completions", openai_chat("ok", "gpt-4o-mini"));
    let env = setup(&[("openai", o.url())]).await;
    let (provider, model, v) = env
        .app
        .llm()
        .embed(&["a".to_string(), "b".to_string()])
        .await
        .unwrap();
    assert_eq!(
        (provider.as_str(), model.as_str()),
        ("openai", "text-embedding-3-small")
    );
    assert_eq!(v, vec![vec![0.1, 0.2], vec![0.3, 0.4]]);
    assert_eq!(
        o.requests("/v1/embeddings")[0].json()["input"],
        serde_json::json!(["a", "b"])
    );

    let s = env
        .app
        .diagnostics()
        .control_breaker(BreakerControlRequest {
            provider: "openai".into(),
            action: BreakerAction::ForceOpen,
        })
        .await
        .unwrap();
    assert_eq!(
        s.providers
            .iter()
            .find(|p| p.id == "openai")
            .unwrap()
            .breaker
            .state,
        BreakerState::ForcedOpen
    );
    let e = env.app.ai().ask(ask("x")).await.unwrap_err();
    assert_eq!(e.code(), "circuit_open");
    assert!(!e.retryable());
    assert!(e.to_string().contains("Diagnostics"), "{e}");
    env.app
        .diagnostics()
        .control_breaker(BreakerControlRequest {
            provider: "openai".into(),
            action: BreakerAction::Reset,
        })
        .await
        .unwrap();
    assert_eq!(env.app.ai().ask(ask("x")).await.unwrap().text, "ok");
    let e = env
        .app
        .diagnostics()
        .control_breaker(BreakerControlRequest {
            provider: "nope".into(),
            action: BreakerAction::Reset,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "unknown_provider");
}

#[tokio::test]
async fn slow_first_tokens_count_against_the_breaker() {
    let o = FakeServer::start().await;
    let env = setup(&[("openai", o.url())]).await;
    let mut providers: Vec<_> = env
        .app
        .settings()
        .get()
        .await
        .unwrap()
        .providers
        .into_iter()
        .map(|p| p.settings)
        .collect();
    for p in providers.iter_mut() {
        p.timeouts.slow_call_secs = 1;
        p.breaker.failure_threshold = 2;
    }
    env.app
        .settings()
        .save_providers(SaveProvidersRequest { providers })
        .await
        .unwrap();
    o.on(
        "/v1/chat/completions",
        openai_stream(
            &["late"],
            "gpt-4o-mini",
            Duration::from_millis(1200),
            End::Complete,
        ),
    );
    for _ in 0..2 {
        let (_, last) = stream(&env.app, ask("x")).await;
        assert!(
            matches!(last, StreamEvent::Done { .. }),
            "slow answers still reach the user"
        );
    }
    assert_eq!(
        env.app.diagnostics().breaker_state("openai").unwrap(),
        BreakerState::Open
    );
    let s = env.app.diagnostics().llm_status().await.unwrap();
    assert_eq!(
        s.providers
            .iter()
            .find(|p| p.id == "openai")
            .unwrap()
            .breaker
            .recent_failures[0]
            .code,
        "slow_call"
    );
}

/// A status pill says what is known, from the last real call: cloud providers are off until set up, a local
/// model that was never called is "not tried", a test that listed models is "connected" (reachable), an
/// answer makes it "working", and a failure after that says so in words (the code stays for details).
#[tokio::test]
async fn status_pills_follow_the_last_real_result() {
    use compilar_core::llm::service::health::Availability as A;
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_with(AppOptions::for_tests(dir.path()))
        .await
        .unwrap();
    let health = |s: &compilar_core::api::LlmSettings, id: &str| {
        let p = s.providers.iter().find(|p| p.settings.id == id).unwrap();
        (
            p.health.state,
            p.health.label.clone(),
            p.health.detail.clone(),
        )
    };
    let s = app.settings().get().await.unwrap();
    for id in ["anthropic", "openai", "local"] {
        let p = s.providers.iter().find(|p| p.settings.id == id).unwrap();
        assert!(!p.settings.enabled, "{id} is on by default");
        assert_eq!(health(&s, id).0, A::Off);
    }

    let server = FakeServer::start().await;
    server.on("/api/tags", ollama_tags(&["llama3.2:latest"]));
    server.on("/api/chat", ollama_chat("Hello.", "llama3.2"));
    configure(&app, &[("local", server.url())]).await;
    let s = app.settings().get().await.unwrap();
    assert_eq!(health(&s, "local").0, A::NotTried);
    // A cloud provider switched on without a key needs one (never "ready" or "healthy").
    let mut providers: Vec<_> = s.providers.iter().map(|p| p.settings.clone()).collect();
    app.settings().remove_key("openai").await.unwrap();
    for p in providers.iter_mut().filter(|p| p.id == "openai") {
        p.enabled = true;
    }
    app.settings()
        .save_providers(SaveProvidersRequest {
            providers: providers.clone(),
        })
        .await
        .unwrap();
    let s = app.settings().get().await.unwrap();
    assert_eq!(health(&s, "openai").0, A::NeedsKey);
    assert_eq!(health(&s, "openai").1, "Needs an API key");

    assert!(app.settings().test_provider("local").await.unwrap().ok);
    let s = app.settings().get().await.unwrap();
    assert_eq!(health(&s, "local").0, A::Reachable);
    app.ai().ask(ask("Hi")).await.unwrap();
    let s = app.settings().get().await.unwrap();
    assert_eq!(health(&s, "local").1, "Working");

    // The server goes away: the next real call fails and the pill says so, in words.
    drop(server);
    assert!(!app.settings().test_provider("local").await.unwrap().ok);
    let s = app.settings().get().await.unwrap();
    let (state, label, detail) = health(&s, "local");
    assert_eq!((state, label.as_str()), (A::Failing, "Last call failed"));
    let detail = detail.unwrap();
    assert!(detail.starts_with("Could not connect"), "{detail}");
    assert!(!detail.contains("provider_unreachable"), "{detail}");
    // Diagnostics shows the same pill, and the call log's outcome in words.
    let d = app.diagnostics().llm_status().await.unwrap();
    let local = d.providers.iter().find(|p| p.id == "local").unwrap();
    assert_eq!(local.health.state, A::Failing);
    assert_eq!(d.calls[0].outcome_text, "Could not connect");
    assert_eq!(
        d.calls[0].error_code.as_deref(),
        Some("provider_unreachable")
    );
}
