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

mod breakers;
mod limits;
mod settings;

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
