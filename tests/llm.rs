//! The LLM layer through the facade, against local servers speaking each provider's wire format: answers and
//! streams, fallback order, no fallback after the first token, circuit breakers (with a fake clock), timeouts,
//! cancellation, the rate limit, the call log, settings validation and keys that never leak.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::fake_llm::*;
use common::{configure, ANTHROPIC_KEY, OPENAI_KEY};
use compilar_core::api::{AskRequest, BreakerControlRequest, SaveProvidersRequest, SetKeyRequest};
use compilar_core::llm::{
    AiSettings, BreakerAction, BreakerState, ManualClock, ProviderKind, RateLimitConfig,
    StreamEvent,
};
use compilar_core::{App, AppOptions};
use serde_json::{json, Value};

struct Env {
    app: App,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
}

fn options(dir: &std::path::Path, clock: &Arc<ManualClock>) -> AppOptions {
    AppOptions {
        clock: clock.clone(),
        ..AppOptions::for_tests(dir)
    }
}

/// An app whose fallback chain is `chain` (provider id → server base URL), in that order; other providers are
/// off. Cloud providers get keys. Timeouts are short and the slow-call rule is off unless a test turns it on.
async fn setup(chain: &[(&str, String)]) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new());
    let app = App::open_with(options(dir.path(), &clock)).await.unwrap();
    configure(&app, chain).await;
    Env { app, clock, dir }
}

fn ask(prompt: &str) -> AskRequest {
    AskRequest {
        request_id: uuid_like(),
        prompt: prompt.into(),
        exclude: vec![],
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("req-{}", N.fetch_add(1, Ordering::SeqCst))
}

/// Runs a stream and collects every event.
async fn stream(app: &App, req: AskRequest) -> (Vec<StreamEvent>, StreamEvent) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = {
        let events = events.clone();
        move |e: StreamEvent| events.lock().unwrap().push(e)
    };
    let last = app.ai().ask_stream(req, sink).await.unwrap();
    let events = events.lock().unwrap().clone();
    (events, last)
}

fn text_of(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Token { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn error_code(e: &StreamEvent) -> (&str, bool) {
    match e {
        StreamEvent::Error {
            error,
            after_first_token,
        } => (error.code.as_str(), *after_first_token),
        other => panic!("expected an error event, got {other:?}"),
    }
}

const TICK: Duration = Duration::from_millis(30);

#[tokio::test]
async fn openai_answers_whole_and_streamed_in_its_wire_format() {
    let server = FakeServer::start().await;
    server.on(
        "/v1/chat/completions",
        openai_chat("Shared goals help.", "gpt-4o-mini-2024"),
    );
    let env = setup(&[("openai", server.url())]).await;

    let a = env.app.ai().ask(ask("What helps a team?")).await.unwrap();
    assert_eq!(a.text, "Shared goals help.");
    assert_eq!(
        (a.provider.as_str(), a.model.as_str()),
        ("openai", "gpt-4o-mini-2024")
    );
    assert_eq!((a.usage.input_tokens, a.usage.output_tokens), (21, 7));
    let r = &server.requests("/v1/chat/completions")[0];
    assert_eq!(r.headers["authorization"], format!("Bearer {OPENAI_KEY}"));
    let body = r.json();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["content"], "What helps a team?");

    server.on(
        "/v1/chat/completions",
        openai_stream(
            &["Trust ", "grows ", "slowly."],
            "gpt-4o-mini",
            TICK,
            End::Complete,
        ),
    );
    let (events, last) = stream(&env.app, ask("And trust?")).await;
    assert!(
        matches!(&events[0], StreamEvent::Started { provider, fallback_from, .. } if provider == "openai" && fallback_from.is_empty())
    );
    assert_eq!(text_of(&events), "Trust grows slowly.");
    match last {
        StreamEvent::Done {
            provider, usage, ..
        } => {
            assert_eq!(provider, "openai");
            assert_eq!((usage.input_tokens, usage.output_tokens), (21, 3));
        }
        other => panic!("{other:?}"),
    }
    let body = server.requests("/v1/chat/completions")[1].json();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);

    let calls = env.app.diagnostics().llm_status().await.unwrap().calls;
    assert_eq!(calls.len(), 2);
    assert!(calls
        .iter()
        .all(|c| c.outcome == "ok" && c.provider == "openai"));
    assert!(calls[0].streamed && calls[0].ttft_ms.is_some() && calls[0].tokens_out == 3);
    assert!(
        calls
            .iter()
            .all(|c| c.prompt.is_none() && c.output.is_none()),
        "prompts are not logged by default"
    );
}

/// Token counts are metadata: a count over 2^32 (or not a count at all) never turns a complete answer into an
/// error, whole or streamed; it is clamped (or left out).
#[tokio::test]
async fn an_absurd_usage_figure_never_fails_a_complete_answer() {
    let server = FakeServer::start().await;
    let env = setup(&[("openai", server.url())]).await;
    for usage in [
        json!({"prompt_tokens": 5_000_000_000u64, "completion_tokens": 7, "total_tokens": 5_000_000_007u64}),
        json!({"prompt_tokens": -3, "completion_tokens": "many", "total_tokens": 1.5}),
    ] {
        server.on(
            "/v1/chat/completions",
            json_reply(
                200,
                json!({
                    "id": "chatcmpl-1", "object": "chat.completion", "created": 1764000000, "model": "gpt-4o-mini",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "A good answer.", "refusal": null},
                                 "logprobs": null, "finish_reason": "stop"}],
                    "usage": usage.clone()
                }),
            ),
        );
        let a = env.app.ai().ask(ask("What helps a team?")).await.unwrap();
        assert_eq!(a.text, "A good answer.", "{usage}");
        if usage["completion_tokens"] == 7 {
            assert_eq!(a.usage.input_tokens, u32::MAX);
        }
        let chunk = |v: Value| format!("data: {v}\n\n");
        server.on(
            "/v1/chat/completions",
            Reply::Chunks {
                content_type: "text/event-stream",
                chunks: vec![
                    (Duration::ZERO, chunk(json!({"id": "c", "object": "chat.completion.chunk", "created": 1764000000,
                        "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Streamed."},
                        "logprobs": null, "finish_reason": "stop"}]}))),
                    (Duration::ZERO, chunk(json!({"id": "c", "object": "chat.completion.chunk", "created": 1764000000,
                        "model": "gpt-4o-mini", "choices": [], "usage": usage.clone()}))),
                    (Duration::ZERO, "data: [DONE]\n\n".to_owned()),
                ],
                end: End::Complete,
            },
        );
        let (events, last) = stream(&env.app, ask("And trust?")).await;
        assert_eq!(text_of(&events), "Streamed.", "{usage}");
        assert!(
            matches!(last, StreamEvent::Done { .. }),
            "{usage}: {last:?}"
        );
    }
}

#[tokio::test]
async fn anthropic_keeps_the_system_prompt_apart_and_streams_sse() {
    let server = FakeServer::start().await;
    server.on(
        "/v1/messages",
        anthropic_message("Respect is earned.", "claude-test"),
    );
    let env = setup(&[("anthropic", server.url())]).await;
    let a = env
        .app
        .ai()
        .ask(ask("Tell me about respect"))
        .await
        .unwrap();
    assert_eq!(
        (a.text.as_str(), a.provider.as_str()),
        ("Respect is earned.", "anthropic")
    );
    let r = &server.requests("/v1/messages")[0];
    assert_eq!(r.headers["x-api-key"], ANTHROPIC_KEY);
    assert_eq!(r.headers["anthropic-version"], "2023-06-01");
    let body = r.json();
    assert!(body["system"].as_str().unwrap().contains("PILAR"));
    assert_eq!(body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(body["messages"][0]["role"], "user");
    assert!(body["max_tokens"].as_u64().unwrap() > 0);

    server.on(
        "/v1/messages",
        anthropic_stream(
            &["Voice ", "matters."],
            "claude-test",
            TICK,
            AnthropicEnd::Stop,
        ),
    );
    let (events, last) = stream(&env.app, ask("Agency?")).await;
    assert_eq!(text_of(&events), "Voice matters.");
    assert!(
        matches!(last, StreamEvent::Done { usage, .. } if usage.input_tokens == 25 && usage.output_tokens == 2)
    );
}

#[tokio::test]
async fn ollama_uses_its_native_api_with_num_ctx_and_explains_missing_models() {
    let server = FakeServer::start().await;
    server.on(
        "/api/chat",
        ollama_stream(&["Local ", "answer."], "llama3.2", TICK, End::Complete),
    );
    server.on("/api/tags", ollama_tags(&["llama3.2:latest", "qwen2.5:7b"]));
    let env = setup(&[("local", server.url())]).await;

    let (events, last) = stream(&env.app, ask("Hello")).await;
    assert_eq!(text_of(&events), "Local answer.");
    assert!(matches!(last, StreamEvent::Done { usage, .. } if usage.input_tokens == 30));
    let body = server.requests("/api/chat")[0].json();
    assert_eq!(body["options"]["num_ctx"], 8192);
    assert_eq!(body["stream"], true);
    assert_eq!(body["messages"][0]["role"], "system");

    let t = env.app.settings().test_provider("local").await.unwrap();
    assert!(t.ok, "{t:?}");
    assert_eq!(t.models, ["llama3.2:latest", "qwen2.5:7b"]);
    assert_eq!(
        t.model_available,
        Some(true),
        "llama3.2 matches llama3.2:latest"
    );

    server.on(
        "/api/chat",
        error_reply(
            404,
            serde_json::json!({"error": "model \"llama3.2\" not found, try pulling it first"}),
            None,
        ),
    );
    let e = env.app.ai().ask(ask("Hello")).await.unwrap_err();
    assert_eq!(e.code(), "model_not_found");
    assert!(e.to_string().contains("ollama pull llama3.2"), "{e}");
    assert_eq!(
        env.app.diagnostics().breaker_state("local").unwrap(),
        BreakerState::Closed,
        "a missing model is not an outage"
    );

    // A prompt that cannot fit the context is refused before anything is sent (Ollama would cut it silently).
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
        p.num_ctx = 2048;
    }
    env.app
        .settings()
        .save_providers(SaveProvidersRequest { providers })
        .await
        .unwrap();
    let before = server.count("/api/chat");
    let e = env
        .app
        .ai()
        .ask(ask(&"word ".repeat(3000)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "context_too_long");
    assert!(e.to_string().contains("context"), "{e}");
    assert_eq!(server.count("/api/chat"), before);
}

#[tokio::test]
async fn whole_answers_fall_back_in_chain_order() {
    let (a, o, l) = (
        FakeServer::start().await,
        FakeServer::start().await,
        FakeServer::start().await,
    );
    a.on(
        "/v1/messages",
        anthropic_error(503, "overloaded_error", "Overloaded", None),
    );
    o.on("/v1/chat/completions", raw_reply(200, "{not json"));
    l.on(
        "/api/chat",
        ollama_chat("From the local model.", "llama3.2"),
    );
    let env = setup(&[
        ("anthropic", a.url()),
        ("openai", o.url()),
        ("local", l.url()),
    ])
    .await;

    let ans = env.app.ai().ask(ask("Hi")).await.unwrap();
    assert_eq!(ans.provider, "local");
    assert_eq!(ans.text, "From the local model.");
    assert_eq!(ans.fallback_from, ["Anthropic", "OpenAI"]);

    let calls = env.app.diagnostics().llm_status().await.unwrap().calls;
    let mut order: Vec<_> = calls
        .iter()
        .map(|c| {
            (
                c.provider.as_str(),
                c.outcome.as_str(),
                c.error_code.clone(),
            )
        })
        .collect();
    order.reverse();
    assert_eq!(
        order,
        [
            (
                "anthropic",
                "error",
                Some("provider_server_error".to_string())
            ),
            (
                "openai",
                "error",
                Some("provider_malformed_response".to_string())
            ),
            ("local", "ok", None),
        ]
    );
    assert!(
        calls.iter().all(|c| c.action_id == calls[0].action_id),
        "one action, three attempts"
    );

    // Excluding providers ("retry with another provider") skips them.
    let mut req = ask("Hi");
    req.exclude = vec!["anthropic".into(), "openai".into()];
    let before = a.count("/v1/messages");
    assert_eq!(env.app.ai().ask(req).await.unwrap().provider, "local");
    assert_eq!(a.count("/v1/messages"), before);

    // When every provider fails, the error lists each one.
    l.on(
        "/api/chat",
        error_reply(500, serde_json::json!({"error": "gpu on fire"}), None),
    );
    let e = env.app.ai().ask(ask("Hi")).await.unwrap_err();
    assert_eq!(e.code(), "all_providers_failed");
    let msg = e.to_string();
    assert!(
        msg.contains("Anthropic") && msg.contains("OpenAI") && msg.contains("Local model"),
        "{msg}"
    );
    assert!(e.retryable());
}

#[tokio::test]
async fn streams_fall_back_before_the_first_token_but_never_after() {
    let (a, o) = (FakeServer::start().await, FakeServer::start().await);
    let env = setup(&[("anthropic", a.url()), ("openai", o.url())]).await;
    o.on(
        "/v1/chat/completions",
        openai_stream(&["Backup ", "answer."], "gpt-4o-mini", TICK, End::Complete),
    );

    // Before the first token: a 500 moves on to OpenAI.
    a.once(
        "/v1/messages",
        anthropic_error(500, "api_error", "Internal error", None),
    );
    let (events, last) = stream(&env.app, ask("One")).await;
    assert!(
        matches!(&events[0], StreamEvent::Started { provider, fallback_from, .. } if provider == "openai" && fallback_from == &["Anthropic".to_string()])
    );
    assert_eq!(text_of(&events), "Backup answer.");
    assert!(matches!(last, StreamEvent::Done { .. }));

    // After the first token: the connection is cut; the stream ends with an error, OpenAI is not asked.
    let openai_before = o.count("/v1/chat/completions");
    a.once(
        "/v1/messages",
        anthropic_stream(&["Half ", "an "], "claude", TICK, AnthropicEnd::Cut),
    );
    let (events, last) = stream(&env.app, ask("Two")).await;
    assert_eq!(text_of(&events), "Half an ");
    assert_eq!(
        error_code(&last),
        ("provider_unreachable", true),
        "{last:?}"
    );
    assert!(
        matches!(&last, StreamEvent::Error { error, .. } if error.message.contains("before the answer was complete"))
    );
    assert!(
        matches!(&last, StreamEvent::Error { error, .. } if error.retryable && error.provider.as_deref() == Some("anthropic"))
    );
    assert_eq!(
        o.count("/v1/chat/completions"),
        openai_before,
        "no silent switch mid-answer"
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, StreamEvent::Error { .. }))
            .count(),
        1
    );

    // An `error` event mid-stream is the same.
    a.once(
        "/v1/messages",
        anthropic_stream(&["Partial"], "claude", TICK, AnthropicEnd::ErrorEvent),
    );
    let (_, last) = stream(&env.app, ask("Three")).await;
    assert_eq!(error_code(&last), ("provider_server_error", true));
    assert!(
        matches!(&last, StreamEvent::Error { error, .. } if error.message.contains("overloaded_error"))
    );

    // "Retry with another provider".
    let mut req = ask("Three again");
    req.exclude = vec!["anthropic".into()];
    let (_, last) = stream(&env.app, req).await;
    assert!(matches!(last, StreamEvent::Done { provider, .. } if provider == "openai"));
}

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
async fn auth_errors_do_not_trip_the_breaker_and_never_echo_the_key() {
    let o = FakeServer::start().await;
    // OpenAI's real 401 body echoes part of the key.
    o.on(
        "/v1/chat/completions",
        error_reply(
            401,
            serde_json::json!({"error": {"message": format!("Incorrect API key provided: {OPENAI_KEY}. You can find your API key at https://platform.openai.com/account/api-keys."), "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}),
            None,
        ),
    );
    let env = setup(&[("openai", o.url())]).await;
    for _ in 0..8 {
        let e = env.app.ai().ask(ask("x")).await.unwrap_err();
        assert_eq!(e.code(), "provider_auth");
        assert!(!e.retryable());
        assert!(!e.to_string().contains("4f9a8b7c"), "{e}");
    }
    assert_eq!(
        env.app.diagnostics().breaker_state("openai").unwrap(),
        BreakerState::Closed
    );
    let calls = env.app.diagnostics().llm_status().await.unwrap().calls;
    assert_eq!(calls.len(), 8);
    assert!(calls.iter().all(|c| !c
        .error_message
        .as_deref()
        .unwrap_or("")
        .contains("4f9a8b7c")));
}

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
