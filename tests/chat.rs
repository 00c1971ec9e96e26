//! Coach chat through the facade: conversations that survive a restart, answers from the knowledge base
//! without a model, streamed answers from local servers speaking the providers' wire formats (with the chosen
//! results and the retrieved passages in the prompt, citations checked), Stop, a stream cut mid-way,
//! regenerate on another provider, history trimmed to the token budget, rename, delete with undo, full-text
//! search and export.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::fake_llm::*;
use common::{completed, configure};
use compilar_core::api::{
    AnswerWriter, ExportFormat, MessageSearchRequest, NewConversationRequest, RegenerateRequest,
    RenameRequest, ReportStatus, SendReply, SendRequest, SetContextRequest,
};
use compilar_core::llm::{Role, StreamEvent};
use compilar_core::{App, AppOptions};

const TICK: Duration = Duration::from_millis(5);

async fn send(app: &App, conversation: &str, text: &str) -> (Vec<StreamEvent>, SendReply) {
    send_req(
        app,
        SendRequest {
            conversation_id: conversation.into(),
            text: text.into(),
            exclude: None,
            offline: None,
        },
    )
    .await
}

async fn send_req(app: &App, req: SendRequest) -> (Vec<StreamEvent>, SendReply) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = {
        let events = events.clone();
        move |e: StreamEvent| events.lock().unwrap().push(e)
    };
    let reply = app.chat().send(req, sink).await.unwrap();
    let events = events.lock().unwrap().clone();
    (events, reply)
}

fn new_conversation() -> NewConversationRequest {
    NewConversationRequest::default()
}

#[tokio::test]
async fn without_a_model_the_knowledge_base_answers_and_the_conversation_survives_a_restart() {
    let env = common::open().await;
    let c = env.app.chat().create(new_conversation()).await.unwrap();
    assert_eq!(c.title, "New conversation");
    let (events, reply) = send(
        &env.app,
        &c.id,
        "How can we make it safe to disagree with each other?",
    )
    .await;
    assert!(matches!(&events[0], StreamEvent::Started { provider, .. } if provider == "knowledge"));
    assert!(matches!(events.last().unwrap(), StreamEvent::Done { .. }));
    let q = reply.question.unwrap();
    assert_eq!(
        (q.role, q.seq, q.status),
        (Role::User, 0, ReportStatus::Complete)
    );
    let a = reply.answer.unwrap();
    assert_eq!(a.writer, Some(AnswerWriter::Knowledge));
    assert_eq!(a.seq, 1);
    assert!(
        a.content.starts_with("From the knowledge base"),
        "{}",
        a.content
    );
    // Who wrote it is said beside the answer (its writer) and why once (its notice), not again in the text.
    assert!(!a.content.contains("model"), "{}", a.content);
    assert!(!a.citations.is_empty());
    assert!(a
        .passages
        .iter()
        .any(|p| p.title.to_lowercase().contains("speak") || p.text.contains("disagree")));
    assert_eq!(
        a.notice.as_deref(),
        Some("No AI provider is set up, so this answer quotes the knowledge base.")
    );

    // Closed and opened again: all there.
    let dir = env.dir;
    drop(env.app);
    let app = App::open_with(AppOptions::for_tests(dir.path()))
        .await
        .unwrap();
    let v = app.chat().open(&c.id).await.unwrap();
    assert_eq!(v.messages.len(), 2);
    assert_eq!(v.messages[1].content, a.content);
    assert_eq!(v.messages[1].passages, a.passages);
    let list = app.chat().list(Default::default()).await.unwrap();
    assert_eq!(list.total, 1);
    assert_eq!(list.items[0].messages, 2);
    assert_eq!(
        list.items[0].title, "How can we make it safe to disagree with each other?",
        "named after its first question"
    );
}

/// Without a model, an answer about a shared result quotes only passages of that result's mode, its own
/// pillar's first, and never a weak match.
#[tokio::test]
async fn the_knowledge_answer_keeps_to_the_shared_result_and_quotes_no_weak_match() {
    let env = common::open().await;
    let a = completed(&env.app, "divsexp", "egalitarian", &[("voice_safety", 2)]).await;
    let c = env
        .app
        .chat()
        .create(NewConversationRequest {
            context: Some(vec![a.id.clone()]),
            ..Default::default()
        })
        .await
        .unwrap();
    // Asked plainly, this question's best passages are the hierarchical ones (tests/knowledge.rs).
    let (_, reply) = send(
        &env.app,
        &c.id,
        "people are afraid to disagree with the boss",
    )
    .await;
    let answer = reply.answer.unwrap();
    assert!(!answer.passages.is_empty());
    for p in &answer.passages {
        let d = env.app.knowledge().passage(p.chunk_id).await.unwrap();
        assert!(
            d.mode.as_deref().is_none_or(|m| m == "egalitarian"),
            "{} is about the {:?} mode",
            p.passage_id,
            d.mode
        );
    }
    assert!(
        answer.passages[0].passage_id.contains("divsexp")
            || answer.passages[0]
                .passage_id
                .contains("voice_safety.egalitarian"),
        "{:?}",
        answer
            .passages
            .iter()
            .map(|p| &p.passage_id)
            .collect::<Vec<_>>()
    );
    // The notice once; the text does not repeat it.
    assert_eq!(
        answer.notice.as_deref(),
        Some("No AI provider is set up, so this answer quotes the knowledge base.")
    );
    assert!(!answer.content.contains("No AI provider"));

    // Nothing close: nothing quoted, said plainly.
    let (_, reply) = send(&env.app, &c.id, "xkq zzvv plorb").await;
    let answer = reply.answer.unwrap();
    assert!(answer.passages.is_empty() && answer.citations.is_empty());
    assert!(
        answer.content.contains("nothing close enough"),
        "{}",
        answer.content
    );
}

#[tokio::test]
async fn a_streamed_answer_sees_the_chosen_results_and_cites_only_real_passages() {
    let server = FakeServer::start().await;
    let env = common::open().await;
    configure(&env.app, &[("local", server.url())]).await;
    let a = completed(&env.app, "divsexp", "egalitarian", &[("voice_safety", 1)]).await;
    let c = env
        .app
        .chat()
        .create(NewConversationRequest {
            context: Some(vec![a.id.clone()]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(c.title, "About Diverse Expression");
    assert_eq!(c.context.len(), 1);
    assert!(c.context[0].available);
    server.on(
        "/api/chat",
        ollama_stream(
            &["Start a round [", "1] where everyone speaks. [7]"],
            "llama3.2",
            TICK,
            End::Complete,
        ),
    );
    let (events, reply) = send(&env.app, &c.id, "Where do we start with voice safety?").await;
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            StreamEvent::Started { .. } => "started",
            StreamEvent::Token { .. } => "token",
            StreamEvent::Citation { .. } => "citation",
            StreamEvent::Done { .. } => "done",
            StreamEvent::Error { .. } => "error",
        })
        .collect();
    assert_eq!(kinds, ["started", "token", "token", "citation", "done"]);
    let answer = reply.answer.unwrap();
    assert_eq!(answer.writer, Some(AnswerWriter::Model));
    assert_eq!(answer.provider.as_deref(), Some("local"));
    assert_eq!(answer.content, "Start a round [1] where everyone speaks.");
    assert_eq!(answer.citations, [1]);
    assert_eq!(answer.passages.len(), 4);
    let body = server.requests("/api/chat")[0].json();
    let msgs = body["messages"].as_array().unwrap();
    let system = msgs[0]["content"].as_str().unwrap();
    assert_eq!(msgs[0]["role"], "system");
    assert!(system.contains("Results the user chose to share"));
    assert!(system.contains("Voice safety: 0/100"), "{system}");
    assert!(system.contains(&format!("[1] {}", answer.passages[0].title)));
    assert_eq!(
        msgs.last().unwrap()["content"],
        "Where do we start with voice safety?"
    );

    // Without the result as context, the prompt says none was shared.
    env.app
        .chat()
        .set_context(SetContextRequest {
            conversation_id: c.id.clone(),
            context: vec![],
        })
        .await
        .unwrap();
    send(&env.app, &c.id, "And in general?").await;
    let body = server.requests("/api/chat")[1].json();
    let msgs = body["messages"].as_array().unwrap();
    assert!(msgs[0]["content"]
        .as_str()
        .unwrap()
        .contains("has not shared any assessment results"));
    // The history went along: system, question 1, answer 1, question 2.
    assert_eq!(msgs.len(), 4);
    assert_eq!(
        msgs[2]["content"],
        "Start a round [1] where everyone speaks."
    );
}

#[tokio::test]
async fn stop_keeps_the_partial_answer_marked_stopped() {
    let server = FakeServer::start().await;
    let env = common::open().await;
    configure(&env.app, &[("local", server.url())]).await;
    let c = env.app.chat().create(new_conversation()).await.unwrap();
    let tokens: Vec<String> = (0..200).map(|i| format!("w{i} ")).collect();
    let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
    server.on(
        "/api/chat",
        ollama_stream(&refs, "llama3.2", Duration::from_millis(50), End::Complete),
    );
    let got = Arc::new(tokio::sync::Notify::new());
    let handle = {
        let (app, id, got) = (env.app.clone(), c.id.clone(), got.clone());
        tokio::spawn(async move {
            app.chat()
                .send(
                    SendRequest {
                        conversation_id: id,
                        text: "Tell me everything".into(),
                        exclude: None,
                        offline: None,
                    },
                    move |e| {
                        if matches!(e, StreamEvent::Token { .. }) {
                            got.notify_one();
                        }
                    },
                )
                .await
                .unwrap()
        })
    };
    got.notified().await;
    assert!(env.app.chat().open(&c.id).await.unwrap().running);
    assert!(env.app.chat().cancel(&c.id));
    let reply = tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .unwrap()
        .unwrap();
    let a = reply.answer.unwrap();
    assert_eq!(a.status, ReportStatus::Stopped);
    assert!(a.content.starts_with("w0 "));
    let v = env.app.chat().open(&c.id).await.unwrap();
    assert!(!v.running);
    assert_eq!(v.messages[1].status, ReportStatus::Stopped);
}

#[tokio::test]
async fn a_cut_stream_is_kept_as_an_error_and_regenerate_on_another_provider_replaces_it() {
    let openai = FakeServer::start().await;
    let local = FakeServer::start().await;
    let env = common::open().await;
    configure(
        &env.app,
        &[("openai", openai.url()), ("local", local.url())],
    )
    .await;
    let c = env.app.chat().create(new_conversation()).await.unwrap();
    openai.on(
        "/v1/chat/completions",
        openai_stream(&["Half ", "an answer"], "gpt-4o-mini", TICK, End::Cut),
    );
    let (events, reply) = send(&env.app, &c.id, "What is agency?").await;
    assert!(matches!(
        events.last().unwrap(),
        StreamEvent::Error {
            after_first_token: true,
            ..
        }
    ));
    let cut = reply.answer.unwrap();
    assert_eq!(cut.status, ReportStatus::Error);
    assert_eq!(cut.content, "Half an answer");
    assert!(cut.error.is_some());

    local.on(
        "/api/chat",
        ollama_stream(&["Agency is voice."], "llama3.2", TICK, End::Complete),
    );
    let reply = env
        .app
        .chat()
        .regenerate(
            RegenerateRequest {
                conversation_id: c.id.clone(),
                exclude: Some(vec!["openai".into()]),
                offline: None,
            },
            |_| {},
        )
        .await
        .unwrap();
    assert!(reply.question.is_none());
    let a = reply.answer.unwrap();
    assert_eq!(
        (a.status, a.provider.as_deref()),
        (ReportStatus::Complete, Some("local"))
    );
    let v = env.app.chat().open(&c.id).await.unwrap();
    assert_eq!(v.messages.len(), 2, "the cut answer was replaced");
    assert_eq!(v.messages[1].content, "Agency is voice.");
    // The cut answer is not sent as history: the regenerated prompt ends with the question.
    let body = local.requests("/api/chat")[0].json();
    let msgs = body["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1]["content"], "What is agency?");
}

#[tokio::test]
async fn long_history_is_trimmed_oldest_first_and_the_answer_says_so() {
    let server = FakeServer::start().await;
    let env = common::open().await;
    configure(&env.app, &[("local", server.url())]).await;
    server.on(
        "/api/chat",
        ollama_stream(&["ok"], "llama3.2", TICK, End::Complete),
    );
    let c = env.app.chat().create(new_conversation()).await.unwrap();
    let long = |i: usize| format!("question {i} ") + &"about trust and voice ".repeat(350);
    let mut trimmed = Vec::new();
    for i in 0..5 {
        let (_, r) = send(&env.app, &c.id, &long(i)).await;
        trimmed.push(r.answer.unwrap().trimmed);
    }
    assert_eq!(trimmed[0], 0);
    assert!(trimmed[4] > 0, "{trimmed:?}");
    let body = server.requests("/api/chat")[4].json();
    let msgs = body["messages"].as_array().unwrap();
    let sent: usize = msgs
        .iter()
        .map(|m| m["content"].as_str().unwrap().len())
        .sum();
    assert!(sent / 4 <= 6_000, "{sent} characters sent");
    assert!(msgs[1]["content"]
        .as_str()
        .unwrap()
        .starts_with("question "));
    assert!(
        !msgs[1]["content"]
            .as_str()
            .unwrap()
            .starts_with("question 0 "),
        "the oldest went first"
    );
    assert_eq!(
        msgs.len() - 2 + trimmed[4] as usize,
        8,
        "every earlier message is sent or counted"
    );
}

#[tokio::test]
async fn conversations_are_renamed_deleted_with_undo_searched_and_exported() {
    let env = common::open().await;
    let chat = env.app.chat();
    let c = chat.create(new_conversation()).await.unwrap();
    send(&env.app, &c.id, "Our planning meetings drag on forever").await;
    let other = chat.create(new_conversation()).await.unwrap();
    send(&env.app, &other.id, "Who gets promoted here and why?").await;

    let renamed = chat
        .rename(RenameRequest {
            conversation_id: c.id.clone(),
            title: "  Planning   meetings ".into(),
        })
        .await
        .unwrap();
    assert_eq!(renamed.title, "Planning meetings");
    // The bound is the synced table's (the registry's), the same on every device and on the server.
    let most = compilar_core::store::records::CONVERSATION_TITLE;
    let longest = chat
        .rename(RenameRequest {
            conversation_id: c.id.clone(),
            title: "x".repeat(most),
        })
        .await
        .unwrap();
    assert_eq!(longest.title.chars().count(), most);
    chat.rename(RenameRequest {
        conversation_id: c.id.clone(),
        title: "Planning meetings".into(),
    })
    .await
    .unwrap();
    let e = chat
        .rename(RenameRequest {
            conversation_id: c.id.clone(),
            title: "x".repeat(most + 1),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "payload_too_large");

    let search = |q: &str| {
        chat.search(MessageSearchRequest {
            query: q.into(),
            limit: None,
        })
    };
    let hits = search("meetings").await.unwrap().hits;
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h.conversation_id == c.id));
    assert_eq!(hits[0].conversation_title, "Planning meetings");
    assert!(hits[0].snippet.iter().any(|p| p.hit));
    assert!(search("\"unbalanced NEAR(").await.unwrap().hits.is_empty());
    // All the words first; when no message has them all, any of them.
    let both = search("planning meetings").await.unwrap().hits;
    assert!(both.iter().all(|h| h.conversation_id == c.id));
    let either = search("meetings promoted").await.unwrap().hits;
    assert!(either.iter().any(|h| h.conversation_id == c.id));
    assert!(either.iter().any(|h| h.conversation_id == other.id));

    let gone = chat.delete(&c.id).await.unwrap();
    assert_eq!(chat.list(Default::default()).await.unwrap().total, 1);
    assert!(search("meetings").await.unwrap().hits.is_empty());
    let e = send_err(&env.app, &c.id, "Still there?").await;
    assert_eq!(e, "conversation_deleted");
    chat.restore(&gone.id).await.unwrap();
    assert_eq!(chat.list(Default::default()).await.unwrap().total, 2);
    assert!(!search("meetings").await.unwrap().hits.is_empty());

    let md = chat.export(&c.id, ExportFormat::Markdown).await.unwrap();
    assert!(md.starts_with("# Planning meetings\n"));
    assert!(md.contains("## You, "));
    assert!(md.contains("## Coach (knowledge base, no model)"));
    assert!(md.contains("Our planning meetings drag on forever"));
    let json: serde_json::Value =
        serde_json::from_str(&chat.export(&c.id, ExportFormat::Json).await.unwrap()).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["messages"].as_array().unwrap().len(), 2);
}

async fn send_err(app: &App, conversation: &str, text: &str) -> String {
    app.chat()
        .send(
            SendRequest {
                conversation_id: conversation.into(),
                text: text.into(),
                exclude: None,
                offline: None,
            },
            |_| {},
        )
        .await
        .unwrap_err()
        .code()
        .to_owned()
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_stores_nothing() {
    let env = common::open().await;
    let chat = env.app.chat();
    let c = chat.create(new_conversation()).await.unwrap();
    assert_eq!(send_err(&env.app, &c.id, "   ").await, "empty_input");
    assert_eq!(
        send_err(&env.app, &c.id, &"x".repeat(8_001)).await,
        "payload_too_large"
    );
    assert_eq!(
        send_err(&env.app, "0190a0a0-0000-7000-8000-000000000000", "hi").await,
        "conversation_not_found"
    );
    assert_eq!(send_err(&env.app, "not-an-id", "hi").await, "invalid_id");
    assert!(chat.open(&c.id).await.unwrap().messages.is_empty());
    let quiz = common::create(&env.app, "grpprosp", "egalitarian").await;
    let e = chat
        .create(NewConversationRequest {
            context: Some(vec![quiz.id.clone()]),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "assessment_not_completed");
    let e = chat
        .create(NewConversationRequest {
            context: Some((0..6).map(|_| quiz.id.clone()).collect()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "out_of_range");
    let e = chat
        .regenerate(
            RegenerateRequest {
                conversation_id: c.id.clone(),
                exclude: None,
                offline: None,
            },
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "nothing_to_regenerate");
    assert_eq!(chat.list(Default::default()).await.unwrap().total, 1);
}
