//! The coach through the facade: coaching reports by the offline coach (no provider), by a model through
//! local servers speaking the providers' wire formats (streamed, with citations checked against the passages
//! sent), stopped, cut off, retried on another provider, refused by the rate limit, stored and exported.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::fake_llm::*;
use common::{completed, configure, create};
use compilar_core::api::{ReportRequest, ReportState, ReportStatus, ReportWriter};
use compilar_core::llm::{AiSettings, RateLimitConfig, StreamEvent};
use compilar_core::App;

const TICK: Duration = Duration::from_millis(5);

/// Voice safety low, change capacity high (Diverse Expression, egalitarian).
const SHAPE: &[(&str, i64)] = &[
    ("voice_safety", 1),
    ("change_capacity", 5),
    ("decision_influence", 3),
    ("idea_diversity", 4),
];

fn req(id: &str) -> ReportRequest {
    ReportRequest {
        assessment_id: id.into(),
        offline: None,
        exclude: None,
    }
}

async fn report(app: &App, r: ReportRequest) -> (Vec<StreamEvent>, ReportState) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = {
        let events = events.clone();
        move |e: StreamEvent| events.lock().unwrap().push(e)
    };
    let state = app.coach().report(r, sink).await.unwrap();
    let events = events.lock().unwrap().clone();
    (events, state)
}

fn kinds(events: &[StreamEvent]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match e {
            StreamEvent::Started { .. } => "started",
            StreamEvent::Token { .. } => "token",
            StreamEvent::Citation { .. } => "citation",
            StreamEvent::Done { .. } => "done",
            StreamEvent::Error { .. } => "error",
        })
        .collect()
}

fn cited(events: &[StreamEvent]) -> Vec<u32> {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Citation { number, .. } => Some(*number),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn with_no_provider_the_offline_coach_writes_a_cited_report_the_same_every_time() {
    let env = common::open().await;
    let a = completed(&env.app, "divsexp", "egalitarian", SHAPE).await;
    assert!(!env.app.coach().state(&a.id).await.unwrap().model_available);
    let (events, state) = report(&env.app, req(&a.id)).await;
    assert_eq!(kinds(&events)[0], "started");
    assert_eq!(*kinds(&events).last().unwrap(), "done");
    assert!(
        matches!(&events[0], StreamEvent::Started { provider, provider_label, .. }
        if provider == "offline" && provider_label == "Offline coach")
    );
    let rep = state.report.clone().expect("a stored report");
    assert_eq!(rep.writer, ReportWriter::Offline);
    assert_eq!(rep.status, ReportStatus::Complete);
    assert_eq!(
        rep.notice.as_deref(),
        Some("No AI provider is set up, so the offline coach wrote this report.")
    );
    for section in [
        "## Where to focus",
        "## What is holding up",
        "## The ripple effect",
        "## Practices to try",
        "## Questions to reflect on",
    ] {
        assert!(rep.content.contains(section), "{section}\n{}", rep.content);
    }
    // It names the weakest force as the focus and the strongest as what holds up, with its own words.
    let focus = &rep.content[..rep.content.find("## What is holding up").unwrap()];
    assert!(
        focus.contains("**Voice safety** (0, under strain)"),
        "{focus}"
    );
    assert!(rep
        .content
        .contains("**Change capacity** (100) is a real strength"));
    assert!(
        rep.content.contains("Settings"),
        "says how to set up a model"
    );
    // Citations: announced, each one a passage that was retrieved, about the forces it is cited for.
    assert!(rep.citations.len() >= 4, "{:?}", rep.citations);
    assert_eq!(cited(&events), rep.citations);
    for n in &rep.citations {
        let p = &rep.passages[*n as usize - 1];
        assert_eq!(p.number, *n);
        assert!(rep.content.contains(&format!("[{n}]")));
    }
    assert!(rep
        .passages
        .iter()
        .any(|p| p.force.as_deref() == Some("voice_safety") && p.category == "practice"));
    assert!(rep.passages.iter().any(|p| p.category == "reflection"));
    assert!(rep.passages.iter().any(|p| p.category == "connection"));

    // The same results give the same report: again here, and in another installation.
    let (_, again) = report(&env.app, req(&a.id)).await;
    assert_eq!(again.report.as_ref().unwrap().content, rep.content);
    assert_ne!(again.report.as_ref().unwrap().id, rep.id);
    let other = common::open().await;
    let b = completed(&other.app, "divsexp", "egalitarian", SHAPE).await;
    let (_, there) = report(&other.app, req(&b.id)).await;
    assert_eq!(there.report.unwrap().content, rep.content);

    // One live report per assessment: the regenerated one replaced the first.
    let live: i64 = env
        .app
        .store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM coach_reports WHERE deleted_at IS NULL",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(live, 1);

    // Exported as Markdown with its sources in full.
    let md = env.app.coach().export_markdown(&a.id).await.unwrap();
    assert!(md.starts_with("# Coaching report: Diverse Expression (Egalitarian)"));
    assert!(md.contains("Written by the offline coach"));
    assert!(md.contains("## Sources"));
    let first = &rep.passages[rep.citations[0] as usize - 1];
    assert!(md.contains(&format!("**[{}] {}**", first.number, first.title)));
}

#[tokio::test]
async fn reports_need_a_completed_assessment_of_this_profile() {
    let env = common::open().await;
    let a = create(&env.app, "grpprosp", "egalitarian").await;
    let e = env
        .app
        .coach()
        .report(req(&a.id), |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "assessment_not_completed");
    let e = env
        .app
        .coach()
        .report(req("0190a0a0-0000-7000-8000-000000000000"), |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "assessment_not_found");
    let e = env.app.coach().export_markdown(&a.id).await.unwrap_err();
    assert_eq!(e.code(), "assessment_not_completed");
    let done = completed(&env.app, "grpprosp", "egalitarian", &[]).await;
    let e = env.app.coach().export_markdown(&done.id).await.unwrap_err();
    assert_eq!(e.code(), "report_not_found");
    let e = env
        .app
        .coach()
        .report(
            ReportRequest {
                exclude: Some(vec!["nobody".into()]),
                ..req(&done.id)
            },
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "unknown_provider");
}

#[tokio::test]
async fn a_model_report_streams_in_order_and_only_real_citations_are_kept() {
    let server = FakeServer::start().await;
    let env = common::open().await;
    configure(&env.app, &[("openai", server.url())]).await;
    let a = completed(&env.app, "divsexp", "egalitarian", SHAPE).await;
    server.on(
        "/v1/chat/completions",
        openai_stream(
            &[
                "## Where to focus\n\nVoice safety is low [",
                "3]. Ask for dissent [1, 99].",
                " Nothing backs this [42]. Again [3].",
            ],
            "gpt-4o-mini",
            TICK,
            End::Complete,
        ),
    );
    let (events, state) = report(&env.app, req(&a.id)).await;
    assert_eq!(
        kinds(&events),
        ["started", "token", "token", "citation", "citation", "token", "done"]
    );
    assert_eq!(cited(&events), [1, 2]);
    let rep = state.report.unwrap();
    assert_eq!(rep.writer, ReportWriter::Model);
    assert_eq!(rep.provider.as_deref(), Some("openai"));
    assert_eq!(rep.provider_label.as_deref(), Some("OpenAI"));
    assert_eq!(rep.model.as_deref(), Some("gpt-4o-mini"));
    // Numbered in reading order: the prompt's [3] is cited first, so it is [1] here.
    assert_eq!(
        rep.content,
        "## Where to focus\n\nVoice safety is low [1]. Ask for dissent [2]. Nothing backs this. Again [1]."
    );
    assert_eq!(rep.citations, [1, 2]);
    // What streamed is what is stored: [42] (and 99) never showed.
    let shown: String = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Token { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(shown, rep.content);
    // What was sent: the scores and the numbered passages.
    let body = server.requests("/v1/chat/completions")[0].json();
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("Voice safety: 0/100"), "{user}");
    assert!(user.contains(&format!("[3] {}", rep.passages[0].title)));
    assert!(user.contains(&format!("[1] {}", rep.passages[1].title)));
    assert!(rep
        .passages
        .iter()
        .enumerate()
        .all(|(i, p)| p.number == i as u32 + 1 && user.contains(&p.title)));
    let announced: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Citation { passage, .. } => Some(passage.passage_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        announced,
        [
            rep.passages[0].passage_id.clone(),
            rep.passages[1].passage_id.clone()
        ]
    );
    assert!(body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .contains("Cite only the numbers listed"));
    let calls = env.app.diagnostics().llm_status().await.unwrap().calls;
    assert_eq!(calls[0].feature, "coach_report");
}

#[tokio::test]
async fn stop_keeps_the_partial_report_marked_stopped_and_the_previous_one_stays() {
    let server = FakeServer::start().await;
    let env = common::open().await;
    configure(&env.app, &[("openai", server.url())]).await;
    let a = completed(&env.app, "divsexp", "egalitarian", SHAPE).await;
    server.on(
        "/v1/chat/completions",
        openai_stream(&["First ", "report."], "gpt-4o-mini", TICK, End::Complete),
    );
    let (_, first) = report(&env.app, req(&a.id)).await;
    let first = first.report.unwrap();
    let tokens: Vec<String> = (0..200).map(|i| format!("word{i} ")).collect();
    let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
    server.on(
        "/v1/chat/completions",
        openai_stream(
            &refs,
            "gpt-4o-mini",
            Duration::from_millis(50),
            End::Complete,
        ),
    );
    let got_token = Arc::new(tokio::sync::Notify::new());
    let handle = {
        let (app, id, got_token) = (env.app.clone(), a.id.clone(), got_token.clone());
        tokio::spawn(async move {
            app.coach()
                .report(req(&id), move |e| {
                    if matches!(e, StreamEvent::Token { .. }) {
                        got_token.notify_one();
                    }
                })
                .await
                .unwrap()
        })
    };
    got_token.notified().await;
    assert!(env.app.coach().state(&a.id).await.unwrap().running);
    assert!(env.app.coach().cancel_report(&a.id));
    let state = tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        state.report.as_ref().unwrap().id,
        first.id,
        "the complete one stays"
    );
    let stopped = state.last_attempt.unwrap();
    assert_eq!(stopped.status, ReportStatus::Stopped);
    assert!(stopped.content.starts_with("word0 "));
    assert!(!state.running);
    // A restart shows the same.
    let reopened = App::open_with(compilar_core::AppOptions::for_tests(env.dir.path()))
        .await
        .unwrap();
    let s = reopened.coach().state(&a.id).await.unwrap();
    assert_eq!(s.report.unwrap().id, first.id);
    assert_eq!(s.last_attempt.unwrap().status, ReportStatus::Stopped);
}

#[tokio::test]
async fn a_stream_cut_midway_is_kept_as_an_error_never_as_complete_and_another_provider_can_retry()
{
    let openai = FakeServer::start().await;
    let local = FakeServer::start().await;
    let env = common::open().await;
    configure(
        &env.app,
        &[("openai", openai.url()), ("local", local.url())],
    )
    .await;
    let a = completed(&env.app, "divsexp", "egalitarian", SHAPE).await;
    openai.on(
        "/v1/chat/completions",
        openai_stream(&["Half ", "a report"], "gpt-4o-mini", TICK, End::Cut),
    );
    let (events, state) = report(&env.app, req(&a.id)).await;
    match events.last().unwrap() {
        StreamEvent::Error {
            error,
            after_first_token,
        } => {
            assert!(*after_first_token);
            assert_eq!(error.provider.as_deref(), Some("openai"));
        }
        other => panic!("{other:?}"),
    }
    assert!(state.report.is_none(), "no complete report");
    let cut = state.last_attempt.unwrap();
    assert_eq!(cut.status, ReportStatus::Error);
    assert_eq!(cut.content, "Half a report");
    assert!(cut.error.is_some());

    local.on(
        "/api/chat",
        ollama_stream(
            &["From the ", "local model [1]."],
            "llama3.2",
            TICK,
            End::Complete,
        ),
    );
    let (events, state) = report(
        &env.app,
        ReportRequest {
            exclude: Some(vec!["openai".into()]),
            ..req(&a.id)
        },
    )
    .await;
    assert!(
        matches!(events.last().unwrap(), StreamEvent::Done { provider, .. } if provider == "local")
    );
    let rep = state.report.unwrap();
    assert_eq!(rep.provider.as_deref(), Some("local"));
    assert_eq!(rep.content, "From the local model [1].");
    assert!(
        state.last_attempt.is_none(),
        "the failed attempt is retired"
    );
    assert_eq!(openai.count("/v1/chat/completions"), 1, "skipped");
}

#[tokio::test]
async fn when_no_provider_answers_the_offline_coach_writes_it_and_says_why() {
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let env = common::open().await;
    configure(&env.app, &[("openai", closed)]).await;
    let a = completed(&env.app, "divsexp", "egalitarian", SHAPE).await;
    assert!(env.app.coach().state(&a.id).await.unwrap().model_available);
    let (events, state) = report(&env.app, req(&a.id)).await;
    assert!(
        matches!(events.last().unwrap(), StreamEvent::Done { provider, .. } if provider == "offline")
    );
    let rep = state.report.unwrap();
    assert_eq!(rep.writer, ReportWriter::Offline);
    let notice = rep.notice.unwrap();
    assert!(
        notice.starts_with("No AI provider could answer ("),
        "{notice}"
    );
    assert!(notice.ends_with("so the offline coach wrote this report."));

    // Chosen on purpose: no notice, and no call.
    let before = env
        .app
        .diagnostics()
        .llm_status()
        .await
        .unwrap()
        .calls
        .len();
    let (_, state) = report(
        &env.app,
        ReportRequest {
            offline: Some(true),
            ..req(&a.id)
        },
    )
    .await;
    assert_eq!(state.report.unwrap().notice, None);
    assert_eq!(
        env.app
            .diagnostics()
            .llm_status()
            .await
            .unwrap()
            .calls
            .len(),
        before
    );
}

#[tokio::test]
async fn the_rate_limit_refusal_reaches_the_user_and_changes_nothing() {
    let server = FakeServer::start().await;
    let env = common::open().await;
    configure(&env.app, &[("openai", server.url())]).await;
    env.app
        .settings()
        .save_ai(AiSettings {
            rate_limit: RateLimitConfig {
                max_actions: 1,
                window_secs: 600,
            },
            ..AiSettings::default()
        })
        .await
        .unwrap();
    let a = completed(&env.app, "divsexp", "egalitarian", SHAPE).await;
    server.on(
        "/v1/chat/completions",
        openai_stream(&["Done."], "gpt-4o-mini", TICK, End::Complete),
    );
    let (_, first) = report(&env.app, req(&a.id)).await;
    let (events, state) = report(&env.app, req(&a.id)).await;
    assert_eq!(kinds(&events), ["error"]);
    match &events[0] {
        StreamEvent::Error { error, .. } => {
            assert_eq!(error.code, "rate_limited");
            assert!(error.message.starts_with("You have used all 1 AI actions"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(state.report, first.report);
    assert!(state.last_attempt.is_none());
}

#[tokio::test]
async fn tips_come_from_the_framework_or_a_model_for_each_stage() {
    use compilar_core::api::{GuidanceRequest, GuidanceStage, GuidanceWriter};
    let server = FakeServer::start().await;
    let env = common::open().await;
    let a = completed(&env.app, "divsexp", "egalitarian", SHAPE).await;
    let ask = |stage, pillar: Option<&str>, id: Option<&str>, model| GuidanceRequest {
        stage,
        pillar: pillar.map(str::to_owned),
        mode: pillar.map(|_| "egalitarian".to_owned()),
        assessment_id: id.map(str::to_owned),
        use_model: Some(model),
    };
    let g = env
        .app
        .coach()
        .guidance(ask(GuidanceStage::Choosing, None, None, false))
        .await
        .unwrap();
    assert_eq!(g.writer, GuidanceWriter::Framework);
    assert!(g.tips[0].contains("(Prospects, Involved, Liked, Agency, Respect)"));
    let g = env
        .app
        .coach()
        .guidance(ask(GuidanceStage::BeforeQuiz, Some("divsexp"), None, false))
        .await
        .unwrap();
    assert!(g.tips[0].starts_with("Diverse Expression: think of one group"));
    assert!(g.tips[1].contains("voice safety"));
    let g = env
        .app
        .coach()
        .guidance(ask(GuidanceStage::Result, None, Some(&a.id), false))
        .await
        .unwrap();
    // Voice safety's first step is the result's own recommendation, shown beside these tips: not repeated.
    assert!(g.tips[0].starts_with("Notice this week:"), "{:?}", g.tips);
    assert!(
        !g.tips.iter().any(|t| t.contains("First step")),
        "{:?}",
        g.tips
    );
    assert!(g
        .tips
        .iter()
        .any(|t| t.starts_with("Ask the group:") && t.ends_with('?')));
    let e = env
        .app
        .coach()
        .guidance(ask(GuidanceStage::BeforeQuiz, None, None, false))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_argument");

    // Asked of a model: none set up → the framework's tips, saying why; with one → its tips, checked.
    let g = env
        .app
        .coach()
        .guidance(ask(GuidanceStage::Choosing, None, None, true))
        .await
        .unwrap();
    assert_eq!(g.writer, GuidanceWriter::Framework);
    assert!(g.notice.unwrap().starts_with("No model could give tips"));
    configure(&env.app, &[("openai", server.url())]).await;
    server.on(
        "/v1/chat/completions",
        openai_chat(
            &serde_json::json!({"tips": ["Start with voice safety.", "", "Ask who stays quiet."]})
                .to_string(),
            "gpt-4o-mini",
        ),
    );
    let g = env
        .app
        .coach()
        .guidance(ask(GuidanceStage::Result, None, Some(&a.id), true))
        .await
        .unwrap();
    assert_eq!(g.writer, GuidanceWriter::Model);
    assert_eq!(g.tips, ["Start with voice safety.", "Ask who stays quiet."]);
    let body = server.requests("/v1/chat/completions")[0].json();
    assert_eq!(
        body["response_format"]["json_schema"]["name"],
        "guidance_tips"
    );
    assert!(body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains("Voice safety: 0/100"));
}
