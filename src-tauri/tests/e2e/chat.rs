//! Coach chat in the real window with the local model pointed at an Ollama-speaking server: start a
//! conversation, read a streamed answer with its citation, stop a slow answer (kept, marked stopped), then
//! restart the app and reopen the conversation from the list.

use std::time::Duration;

use crate::common::fake_llm::{ollama_stream, ollama_tags, End, FakeServer};
use crate::window::{screenshot, until, Window};

#[tokio::test]
async fn chat_with_streaming_stop_and_reopen_after_restart() {
    let Some(w) = Window::open("chat_with_streaming_stop_and_reopen_after_restart").await else {
        return;
    };
    let server = FakeServer::start().await;
    server.on("/api/tags", ollama_tags(&["llama3.2:latest"]));
    server.on(
        "/api/chat",
        ollama_stream(
            &[
                "Start with a **round** ",
                "where everyone speaks once [1]. ",
                "Invented [9].",
            ],
            "llama3.2",
            Duration::from_millis(60),
            End::Complete,
        ),
    );
    w.use_local_model(&server.url()).await;

    w.nav("coach").await;
    w.click("[data-testid=start-conversation]").await;
    w.until_text("[data-testid=conversation-title]", |t| {
        t == "New conversation"
    })
    .await;
    w.fill(
        "[data-testid=chat-input]",
        "How do we get quiet people to speak up?",
    )
    .await;
    w.click("[data-testid=send]").await;
    // Streamed, then stored (the composer comes back with "Regenerate").
    w.until_text(
        "[data-testid=message-answer] [data-testid=answer-text]",
        |t| t.contains("speaks once"),
    )
    .await;
    w.css("[data-testid=regenerate-answer]").await;
    w.until_count("[data-testid=message-answer]", 1).await;
    w.until_text("[data-testid=conversation-title]", |t| {
        t == "How do we get quiet people to speak up?"
    })
    .await;
    let answer = w
        .text("[data-testid=message-answer] [data-testid=answer-text]")
        .await;
    assert!(
        answer.starts_with("Start with a round where everyone speaks once"),
        "{answer}"
    );
    assert!(
        !answer.contains("[9]"),
        "an invented citation is never shown: {answer}"
    );
    assert_eq!(w.count("[data-testid=message-answer] button.cite").await, 1);
    assert_eq!(w.count("[data-testid=answer-source]").await, 1);
    w.click("[data-testid=answer-source]").await;
    assert!(w.text("[data-testid=passage-text]").await.len() > 50);
    w.click("[data-testid=passage-close]").await;
    let body = server.requests("/api/chat")[0].json();
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("Cite only the numbers listed"));
    screenshot("chat").await;

    // A slow answer, stopped after its first words: kept and marked stopped.
    let tokens: Vec<String> = (0..100).map(|i| format!("word{i} ")).collect();
    let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
    server.on(
        "/api/chat",
        ollama_stream(&refs, "llama3.2", Duration::from_millis(150), End::Complete),
    );
    w.fill("[data-testid=chat-input]", "Tell me more").await;
    w.click("[data-testid=send]").await;
    w.css("[data-testid=stop-answer]").await;
    until("the first words of the slow answer", || async {
        let t = w.all("[data-testid=message-answer]").await;
        let last = t.last()?;
        let text = last.text().await.ok()?;
        text.contains("word1").then_some(())
    })
    .await;
    w.click("[data-testid=stop-answer]").await;
    w.until_count("[data-testid=answer-stopped]", 1).await;
    assert_eq!(w.count("[data-testid=message-user]").await, 2);
    screenshot("chat-stopped").await;

    // After a restart the conversation is in the list, with every message.
    let w = w.restart().await;
    w.nav("coach").await;
    w.click("[data-testid=conversation-item]").await;
    w.until_count("[data-testid=message-answer]", 2).await;
    assert_eq!(w.count("[data-testid=message-user]").await, 2);
    assert_eq!(w.count("[data-testid=answer-stopped]").await, 1);
    w.close().await;
    println!("e2e: chatted with the local model, stopped an answer, reopened it after a restart");
}
