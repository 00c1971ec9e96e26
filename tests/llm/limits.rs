//! Replies that misbehave: timeouts, stalls, refusals, malformed, endless, huge or garbled replies are typed and cut, and Stop ends them at once.

use super::*;

#[tokio::test]
async fn timeouts_stalls_refusals_and_malformed_replies_are_typed() {
    let (a, o) = (FakeServer::start().await, FakeServer::start().await);
    let refused = refused_url().await;
    let env = setup(&[("anthropic", a.url()), ("openai", o.url())]).await;

    // No first token within 2 s (the server never answers) → falls back.
    a.once("/v1/messages", Reply::Hang);
    o.once(
        "/v1/chat/completions",
        openai_stream(&["ok"], "gpt-4o-mini", Duration::ZERO, End::Complete),
    );
    let (events, last) = stream(&env.app, ask("x")).await;
    assert!(matches!(last, StreamEvent::Done { ref provider, .. } if provider == "openai"));
    let calls = env.app.diagnostics().llm_status().await.unwrap().calls;
    assert_eq!(calls[1].error_code.as_deref(), Some("provider_timeout"));
    assert_eq!(text_of(&events), "ok");

    // A stream that stalls after its first token ends with a timeout after the 1 s stall limit.
    a.once(
        "/v1/messages",
        anthropic_stream(&["Wait"], "claude", Duration::ZERO, AnthropicEnd::Stall),
    );
    let (events, last) = stream(&env.app, ask("x")).await;
    assert_eq!(text_of(&events), "Wait");
    assert_eq!(error_code(&last), ("provider_timeout", true));
    assert!(matches!(&last, StreamEvent::Error { error, .. } if error.message.contains("stalled")));

    // Refused connection.
    configure(&env.app, &[("anthropic", refused.clone())]).await;
    let e = env.app.ai().ask(ask("x")).await.unwrap_err();
    assert_eq!(e.code(), "provider_unreachable");
    assert!(e.to_string().contains("Could not connect"), "{e}");

    // Malformed JSON, a 200 that is not a message, and a stream with garbage in it.
    configure(&env.app, &[("openai", o.url())]).await;
    o.once(
        "/v1/chat/completions",
        raw_reply(200, "<html>gateway</html>"),
    );
    assert_eq!(
        env.app.ai().ask(ask("x")).await.unwrap_err().code(),
        "provider_malformed_response"
    );
    o.once(
        "/v1/chat/completions",
        Reply::Chunks {
            content_type: "text/event-stream",
            chunks: vec![(Duration::ZERO, "data: {\"nonsense\": true\n\n".into())],
            end: End::Complete,
        },
    );
    let (_, last) = stream(&env.app, ask("x")).await;
    assert_eq!(error_code(&last).0, "provider_malformed_response");
    // A connection cut mid-stream, and a body that ends cleanly without finishing the answer.
    for end in [End::Cut, End::Complete] {
        let mut r = openai_stream(&["a", "b"], "gpt-4o-mini", Duration::ZERO, End::Cut);
        if let Reply::Chunks { end: e, .. } = &mut r {
            *e = end;
        }
        o.once("/v1/chat/completions", r);
        let (events, last) = stream(&env.app, ask("x")).await;
        assert_eq!(text_of(&events), "ab");
        assert_eq!(error_code(&last), ("provider_unreachable", true), "{end:?}");
    }
}

#[tokio::test]
async fn stop_cancels_the_request_and_returns_the_trial_permit() {
    let a = FakeServer::start().await;
    let env = setup(&[("anthropic", a.url())]).await;
    // Put the breaker in half-open with one trial permit.
    let mut s = env.app.settings().get().await.unwrap().providers;
    for p in s.iter_mut() {
        p.settings.breaker.failure_threshold = 1;
        p.settings.breaker.half_open_trials = 1;
    }
    env.app
        .settings()
        .save_providers(SaveProvidersRequest {
            providers: s.into_iter().map(|p| p.settings).collect(),
        })
        .await
        .unwrap();
    a.once(
        "/v1/messages",
        anthropic_error(503, "overloaded_error", "Overloaded", None),
    );
    env.app.ai().ask(ask("x")).await.unwrap_err();
    assert_eq!(
        env.app.diagnostics().breaker_state("anthropic").unwrap(),
        BreakerState::Open
    );
    env.clock.advance(Duration::from_secs(60));

    // A slow stream; the user presses stop after the first token.
    let tokens: Vec<String> = (0..50).map(|i| format!("t{i} ")).collect();
    let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
    a.on(
        "/v1/messages",
        anthropic_stream(
            &refs,
            "claude",
            Duration::from_millis(100),
            AnthropicEnd::Stop,
        ),
    );
    let req = ask("long");
    let id = req.request_id.clone();
    let app = env.app.clone();
    let first = Arc::new(tokio::sync::Notify::new());
    let events = Arc::new(Mutex::new(Vec::new()));
    let handle = {
        let (first, events) = (first.clone(), events.clone());
        tokio::spawn(async move {
            app.ai()
                .ask_stream(req, move |e| {
                    if matches!(e, StreamEvent::Token { .. }) {
                        first.notify_one();
                    }
                    events.lock().unwrap().push(e);
                })
                .await
                .unwrap()
        })
    };
    first.notified().await;
    assert!(env.app.ai().cancel_stream(&id));
    let last = tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(error_code(&last).0, "cancelled");
    assert!(!env.app.ai().cancel_stream(&id), "the stream is gone");
    assert!(
        text_of(&events.lock().unwrap()).len() < 30,
        "it stopped early"
    );

    // The trial permit came back: the breaker is still half-open and admits a trial.
    let snap = env.app.diagnostics().llm_status().await.unwrap();
    let b = &snap
        .providers
        .iter()
        .find(|p| p.id == "anthropic")
        .unwrap()
        .breaker;
    assert_eq!(b.state, BreakerState::HalfOpen);
    assert_eq!(b.trial_permits_left, 1);
    assert_eq!(snap.calls[0].outcome, "cancelled");
    // The server saw the client go away.
    common::until("the server to see the client go", 10, || async {
        a.client_gone.load(std::sync::atomic::Ordering::SeqCst) >= 1
    })
    .await;

    // A whole-answer call dropped mid-way is logged as cancelled too.
    a.once("/v1/messages", Reply::Hang);
    let app = env.app.clone();
    let before = a.count("/v1/messages");
    let h = tokio::spawn(async move { app.ai().ask(ask("x")).await });
    common::until("the request to reach the server", 10, || async {
        a.count("/v1/messages") > before
    })
    .await;
    h.abort();
    let _ = h.await;
    // The cancelled row is written by a detached write after the drop.
    let app = env.app.clone();
    let calls_before = snap.calls.len();
    common::until("the cancelled call in the log", 10, || {
        let app = app.clone();
        async move {
            let calls = app.diagnostics().llm_status().await.unwrap().calls;
            calls.len() > calls_before && calls[0].outcome == "cancelled"
        }
    })
    .await;
    assert_eq!(
        env.app.diagnostics().breaker_state("anthropic").unwrap(),
        BreakerState::HalfOpen
    );
}

fn flood(content_type: &'static str, prefix: &str, unit: &str, total: Option<usize>) -> Reply {
    Reply::Flood {
        content_type,
        prefix: prefix.as_bytes().to_vec(),
        unit: unit.as_bytes().to_vec(),
        total,
        suffix: vec![],
    }
}

fn message_of(e: &StreamEvent) -> String {
    match e {
        StreamEvent::Error { error, .. } => error.message.clone(),
        other => panic!("expected an error event, got {other:?}"),
    }
}

/// Servers that never stop sending: a line with no end, an endless stream of valid events, a whole reply of
/// 100 MiB, bytes that are not UTF-8, a web page. Each ends as a malformed reply (nothing half-read is taken
/// for an answer), and Stop ends a flooding stream at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_huge_and_garbled_replies_are_cut_and_stop_ends_them_at_once() {
    let (o, a, l) = (
        FakeServer::start().await,
        FakeServer::start().await,
        FakeServer::start().await,
    );
    let env = setup(&[("openai", o.url())]).await;
    let malformed = |last: &StreamEvent, needle: &str| {
        assert_eq!(
            error_code(last).0,
            "provider_malformed_response",
            "{last:?}"
        );
        let m = message_of(last);
        assert!(m.contains(needle), "{m}");
    };

    // OpenAI: one server-sent line that never ends.
    o.once(
        "/v1/chat/completions",
        flood("text/event-stream", "data: {\"x\": \"", "a", None),
    );
    let (_, last) = stream(&env.app, ask("x")).await;
    malformed(&last, "line of the stream ran past 1 MB");
    // An endless stream of well-formed events: cut by the answer's own bounds.
    let chunk = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"all work and no play \"},\"finish_reason\":null}]}\n\n";
    o.once(
        "/v1/chat/completions",
        flood("text/event-stream", "", chunk, None),
    );
    let (events, last) = stream(&env.app, ask("x")).await;
    malformed(&last, "the answer grew past");
    assert!(text_of(&events).len() <= 1024 * 1024);
    // A whole answer of 100 MiB.
    o.once(
        "/v1/chat/completions",
        Reply::Flood {
            content_type: "application/json",
            prefix: b"{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"".to_vec(),
            unit: b"a".to_vec(),
            total: Some(100 << 20),
            suffix: b"\"},\"finish_reason\":\"stop\"}]}".to_vec(),
        },
    );
    let e = env.app.ai().ask(ask("x")).await.unwrap_err();
    assert_eq!(e.code(), "provider_malformed_response");
    assert!(e.to_string().contains("grew past 16 MB"), "{e}");
    // Bytes that are not UTF-8 inside a stream, and a web page where the stream should be.
    o.once(
        "/v1/chat/completions",
        Reply::Flood {
            content_type: "text/event-stream",
            prefix: b"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\xff\xfe\"},\"finish_reason\":null}]}\n\n".to_vec(),
            unit: vec![],
            total: Some(0),
            suffix: vec![],
        },
    );
    let (_, last) = stream(&env.app, ask("x")).await;
    assert_eq!(
        error_code(&last).0,
        "provider_malformed_response",
        "{last:?}"
    );
    o.once(
        "/v1/chat/completions",
        flood(
            "text/html",
            "<html><body>Sign in to the Wi-Fi</body></html>",
            "",
            Some(0),
        ),
    );
    let (_, last) = stream(&env.app, ask("x")).await;
    malformed(&last, "web page");

    // Anthropic: an endless line, and invalid UTF-8.
    configure(&env.app, &[("anthropic", a.url())]).await;
    a.once(
        "/v1/messages",
        flood(
            "text/event-stream",
            "event: content_block_delta\ndata: \"",
            "b",
            None,
        ),
    );
    let (_, last) = stream(&env.app, ask("x")).await;
    malformed(&last, "line of the stream ran past 1 MB");
    a.once(
        "/v1/messages",
        Reply::Flood {
            content_type: "text/event-stream",
            prefix: b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":1}}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"\xc3\x28\"}}\n\n".to_vec(),
            unit: vec![],
            total: Some(0),
            suffix: vec![],
        },
    );
    let (_, last) = stream(&env.app, ask("x")).await;
    assert_eq!(
        error_code(&last).0,
        "provider_malformed_response",
        "{last:?}"
    );

    // Ollama: an NDJSON line with no end.
    configure(&env.app, &[("local", l.url())]).await;
    l.once(
        "/api/chat",
        flood(
            "application/x-ndjson",
            "{\"message\":{\"content\":\"",
            "c",
            None,
        ),
    );
    let (_, last) = stream(&env.app, ask("x")).await;
    malformed(&last, "line of the stream ran past 1 MB");

    // Stop while a server floods a line (no newline ever) ends the call within a second.
    l.once("/api/chat", flood("application/x-ndjson", "", "d", None));
    let req = ask("x");
    let id = req.request_id.clone();
    let app = env.app.clone();
    let handle = tokio::spawn(async move { app.ai().ask_stream(req, |_| {}).await.unwrap() });
    common::until("the request to reach the server", 10, || async {
        l.count("/api/chat") >= 2
    })
    .await;
    // Cancel as soon as the stream is registered (before its line limit can end it).
    let mut tries = 0;
    while !env.app.ai().cancel_stream(&id) {
        tries += 1;
        assert!(tries < 1000, "the stream never registered");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let stopped = std::time::Instant::now();
    let last = tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .unwrap()
        .unwrap();
    let took = stopped.elapsed();
    println!("stop took {took:?}");
    assert!(
        matches!(
            error_code(&last).0,
            "cancelled" | "provider_malformed_response"
        ),
        "{last:?}"
    );
    assert!(took < Duration::from_secs(1), "stop took {took:?}");
}
