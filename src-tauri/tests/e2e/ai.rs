//! Settings → turn on the local model pointed at a local Ollama-speaking server, test the connection, stream
//! an answer in Advanced → "Try a prompt", stop a second one mid-way, then read the pill, the breaker and
//! the call log in Advanced → Diagnostics.

use std::time::Duration;

use crate::common::fake_llm::{ollama_stream, ollama_tags, End, FakeServer};
use crate::window::{screenshot, Window};

#[tokio::test]
async fn local_model_stream_stop_and_diagnostics() {
    let Some(w) = Window::open("local_model_stream_stop_and_diagnostics").await else {
        return;
    };
    let server = FakeServer::start().await;
    server.on("/api/tags", ollama_tags(&["llama3.2:latest"]));
    server.on(
        "/api/chat",
        ollama_stream(
            &["**Psychological safety** ", "lets people ", "speak up."],
            "llama3.2",
            Duration::from_millis(60),
            End::Complete,
        ),
    );

    w.use_local_model(&server.url()).await;
    // A bad address is refused at its field, and the message goes once the field is corrected.
    w.fill("[data-testid=base-url-local]", "not a url").await;
    w.click("[data-testid=save-providers]").await;
    let e = w.text("[data-testid=field-error-local]").await;
    assert!(e.contains("not a valid URL"), "{e}");
    assert_eq!(w.count("[data-testid=error]").await, 0);
    w.fill("[data-testid=base-url-local]", &server.url()).await;
    w.until_count("[data-testid=field-error-local]", 0).await;
    // Set up but never called: the pill does not claim it works.
    assert_eq!(
        w.text("[data-testid=provider-status-local]").await,
        "Set up, not tried yet"
    );
    w.click("[data-testid=test-local]").await;
    assert!(w
        .text("[data-testid=test-result-local]")
        .await
        .contains("1 model available"));
    assert_eq!(
        w.text("[data-testid=provider-status-local]").await,
        "Connected"
    );

    screenshot("settings").await;

    // Stream an answer: Markdown is rendered, the meta line names the provider.
    w.nav("advanced").await;
    w.click("[data-testid=advanced-tab-playground]").await;
    w.click("[data-testid=ask]").await;
    let meta = w.text("[data-testid=answer-meta]").await;
    assert!(
        meta.contains("Local model") && meta.contains("llama3.2"),
        "{meta}"
    );
    let html = w
        .css("[data-testid=answer-text]")
        .await
        .html(true)
        .await
        .unwrap();
    assert!(
        html.contains("<strong>Psychological safety</strong>"),
        "{html}"
    );
    let body = &server.requests("/api/chat")[0].json();
    assert_eq!(body["options"]["num_ctx"], 8192);
    screenshot("playground").await;

    // A slow answer, stopped after the first words.
    let words: Vec<String> = (0..40).map(|i| format!("word{i} ")).collect();
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    server.on(
        "/api/chat",
        ollama_stream(&refs, "llama3.2", Duration::from_millis(150), End::Complete),
    );
    w.click("[data-testid=ask]").await;
    w.until_text("[data-testid=answer-text]", |t| t.contains("word0"))
        .await;
    w.click("[data-testid=stop]").await;
    w.until_attr("[data-testid=answer]", "data-status", "stopped")
        .await;

    // Diagnostics: the local model answered last, so its pill says it works; the breaker is closed and the
    // calls are logged (newest first), their outcomes in words.
    w.click("[data-testid=advanced-tab-diagnostics]").await;
    assert_eq!(w.text("[data-testid=health-local]").await, "Working");
    assert_eq!(
        w.attr("[data-testid=breaker-local]", "data-state")
            .await
            .as_deref(),
        Some("closed")
    );
    w.css("[data-testid=call-log]").await;
    let mut outcomes = Vec::new();
    for r in w.all("[data-testid=call-log] tbody tr").await {
        outcomes.push(r.attr("data-outcome").await.unwrap().unwrap_or_default());
    }
    assert_eq!(
        outcomes,
        ["cancelled", "ok", "ok"],
        "stream stopped, stream, connection test"
    );
    assert_eq!(
        w.text("[data-testid=call-log] tbody tr:last-child .outcome")
            .await,
        "Connected"
    );
    assert!(w
        .text("[data-testid=rate-limit]")
        .await
        .contains("48 of 50 left"));
    screenshot("diagnostics").await;
    w.close().await;
}
