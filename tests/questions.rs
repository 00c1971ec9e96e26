//! Fresh questions through the facade, against local servers speaking each provider's wire format: the
//! structured-output request each provider documents (OpenAI `response_format` json_schema, Anthropic's forced
//! tool, Ollama `format`), JSON read bare or fenced, every item checked, one retry with the reasons, the bank
//! filling what is still missing, storage, review and removal.

use crate::common;

use common::configure;
use common::fake_llm::*;
use compilar_core::api::{GenerateRequest, GeneratedListRequest};
use serde_json::{json, Value};

/// Ten statements for Group Prospects that pass every check.
fn good() -> Vec<Value> {
    [
        (
            "goal_clarity",
            "Our group writes down its few priorities and everyone can name them.",
            false,
        ),
        (
            "goal_clarity",
            "People here spend energy on work that nobody agreed was important.",
            true,
        ),
        (
            "goal_clarity",
            "New members quickly learn what the group is working towards.",
            false,
        ),
        (
            "future_confidence",
            "Members expect the effort they put in now to pay off for all of us.",
            false,
        ),
        (
            "future_confidence",
            "After a failure, people here keep investing rather than looking elsewhere.",
            false,
        ),
        (
            "future_confidence",
            "Several members keep one foot out of the door in case things go badly.",
            true,
        ),
        (
            "shared_vision",
            "When we picture success, we mostly picture the same thing.",
            false,
        ),
        (
            "shared_vision",
            "Different sub-groups would describe our destination in conflicting ways.",
            true,
        ),
        (
            "incentive_alignment",
            "Helping the group succeed is the surest way to be rewarded here.",
            false,
        ),
        (
            "incentive_alignment",
            "Some people do well personally by working around the group's plans.",
            true,
        ),
    ]
    .iter()
    .map(|(f, t, r)| json!({"force": f, "text": t, "reverse": r, "scale_min": 1, "scale_max": 5}))
    .collect()
}

fn req(count: u32) -> GenerateRequest {
    GenerateRequest {
        pillar: "grpprosp".into(),
        mode: "egalitarian".into(),
        count: Some(count),
        difficulty: None,
        request_id: format!("q-{count}-{}", std::process::id()),
        exclude: None,
    }
}

#[tokio::test]
async fn openai_gets_a_strict_json_schema_and_ten_good_questions_are_stored() {
    let server = FakeServer::start().await;
    let env = common::open().await;
    configure(&env.app, &[("openai", server.url())]).await;
    let answer = json!({"questions": good()}).to_string();
    server.on("/v1/chat/completions", openai_chat(&answer, "gpt-4o-mini"));
    let r = env.app.questions().generate(req(10)).await.unwrap();
    assert_eq!(r.accepted.len(), 10, "{:?}", r.rejected);
    assert!(r.rejected.is_empty());
    assert_eq!((r.from_bank, r.attempts), (0, 1));
    assert_eq!(r.provider.as_deref(), Some("openai"));
    let body = server.requests("/v1/chat/completions")[0].json();
    assert_eq!(body["response_format"]["type"], "json_schema");
    let js = &body["response_format"]["json_schema"];
    assert_eq!(js["name"], "likert_questions");
    assert_eq!(js["strict"], true);
    let item = &js["schema"]["properties"]["questions"]["items"];
    assert_eq!(item["additionalProperties"], false);
    assert_eq!(
        item["properties"]["force"]["enum"],
        json!([
            "goal_clarity",
            "future_confidence",
            "shared_vision",
            "incentive_alignment"
        ])
    );
    let prompt = body["messages"][1]["content"].as_str().unwrap();
    assert!(prompt.contains("Write 10 new Likert statements for the pillar Group Prospects"));
    assert!(
        prompt.contains("Everyone in our group could describe"),
        "the bank is shown to avoid"
    );
    let stored = env
        .app
        .questions()
        .list(GeneratedListRequest {
            pillar: Some("grpprosp".into()),
            mode: None,
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 10);
    assert!(stored
        .iter()
        .all(|q| q.provider == "openai" && q.model == "gpt-4o-mini"));
    assert!(stored[1].reverse);
    let calls = env.app.diagnostics().llm_status().await.unwrap().calls;
    assert_eq!(calls[0].feature, "questions");

    // Reviewed and removed.
    env.app.questions().remove(&stored[0].id).await.unwrap();
    assert_eq!(
        env.app
            .questions()
            .list(Default::default())
            .await
            .unwrap()
            .len(),
        9
    );
    let e = env.app.questions().remove(&stored[0].id).await.unwrap_err();
    assert_eq!(e.code(), "question_not_found");
}

#[tokio::test]
async fn anthropic_is_made_to_call_a_tool_whose_input_is_the_schema() {
    let server = FakeServer::start().await;
    let env = common::open().await;
    configure(&env.app, &[("anthropic", server.url())]).await;
    server.on(
        "/v1/messages",
        anthropic_tool_use(
            "likert_questions",
            json!({"questions": good()[..3]}),
            "claude-test",
        ),
    );
    let r = env.app.questions().generate(req(3)).await.unwrap();
    assert_eq!(r.accepted.len(), 3);
    let body = server.requests("/v1/messages")[0].json();
    assert_eq!(body["tools"][0]["name"], "likert_questions");
    assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
    assert_eq!(
        body["tool_choice"],
        json!({"type": "tool", "name": "likert_questions"})
    );
}

#[tokio::test]
async fn ollama_gets_the_schema_as_format_and_a_fenced_answer_is_read() {
    let server = FakeServer::start().await;
    let env = common::open().await;
    configure(&env.app, &[("local", server.url())]).await;
    let fenced = format!(
        "Here they are:\n```json\n{}\n```",
        json!({"questions": good()[..4]})
    );
    server.on("/api/chat", ollama_chat(&fenced, "llama3.2"));
    let r = env.app.questions().generate(req(4)).await.unwrap();
    assert_eq!(r.accepted.len(), 4, "{:?}", r.rejected);
    let body = server.requests("/api/chat")[0].json();
    assert_eq!(body["format"]["type"], "object");
    assert_eq!(body["format"]["required"], json!(["questions"]));
    assert_eq!(body["stream"], false);
}

#[tokio::test]
async fn bad_items_are_sent_back_once_with_the_reasons_then_the_bank_fills_the_gap() {
    let server = FakeServer::start().await;
    let env = common::open().await;
    configure(&env.app, &[("openai", server.url())]).await;
    // First: not JSON at all.
    server.once(
        "/v1/chat/completions",
        openai_chat("Sorry, I cannot do that.", "gpt-4o-mini"),
    );
    // Then: an unknown force, a wrong scale, a question, a copy of a bank item, two copies of each other,
    // and one good one; too few in all.
    let mut items = vec![
        json!({"force": "voice_safety", "text": "People here say what they think in every meeting.", "reverse": false, "scale_min": 1, "scale_max": 5}),
        json!({"force": "goal_clarity", "text": "Our group writes down its few priorities and everyone can name them.", "reverse": false, "scale_min": 0, "scale_max": 10}),
        json!({"force": "goal_clarity", "text": "Does everyone know what the group is aiming for?", "reverse": false, "scale_min": 1, "scale_max": 5}),
        json!({"force": "goal_clarity", "text": "Everyone in our group could describe what we are trying to achieve together this quarter.", "reverse": false, "scale_min": 1, "scale_max": 5}),
        good()[3].clone(),
        good()[3].clone(),
    ];
    items.push(json!("not an object"));
    server.once(
        "/v1/chat/completions",
        openai_chat(&json!({"questions": items}).to_string(), "gpt-4o-mini"),
    );
    let r = env.app.questions().generate(req(5)).await.unwrap();
    assert_eq!(r.attempts, 2);
    assert_eq!(r.accepted.len(), 1);
    assert_eq!(r.from_bank, 4, "the bank fills the gap");
    let reasons: Vec<&str> = r.rejected.iter().map(|x| x.reason.as_str()).collect();
    assert!(reasons[0].contains("not JSON"), "{reasons:?}");
    assert!(reasons.iter().any(|x| x.starts_with("unknown force")));
    assert!(reasons.iter().any(|x| x.contains("wrong scale")));
    assert!(reasons.iter().any(|x| x.contains("a question")));
    assert!(reasons
        .iter()
        .any(|x| x.starts_with("the same question as \u{201c}Everyone in our group")));
    assert!(
        reasons
            .iter()
            .any(|x| x.starts_with("too close to \u{201c}Members expect")),
        "copies of each other: {reasons:?}"
    );
    assert!(reasons.contains(&"not an object"));
    // The retry carried the reasons.
    let second = server.requests("/v1/chat/completions")[1].json();
    let msgs = second["messages"].as_array().unwrap();
    let last = msgs.last().unwrap()["content"].as_str().unwrap();
    assert!(
        last.starts_with("0 of those could be used. Problems:"),
        "{last}"
    );
    assert!(last.contains("the answer was not JSON"));
    assert_eq!(msgs[msgs.len() - 2]["role"], "assistant");
    assert_eq!(
        env.app
            .questions()
            .list(Default::default())
            .await
            .unwrap()
            .len(),
        1
    );
}

/// A bank item with punctuation slipped inside its words is still the bank item, and questions already stored
/// are not stored again by a second run.
#[tokio::test]
async fn copies_in_disguise_and_questions_already_stored_are_refused() {
    let server = FakeServer::start().await;
    let env = common::open().await;
    configure(&env.app, &[("openai", server.url())]).await;
    let disguised = json!({"force": "goal_clarity",
        "text": "Every.one in our gr-oup could des'cribe what we are trying to ACHIEVE together, this quarter!",
        "reverse": false, "scale_min": 1, "scale_max": 5});
    let mut items = good();
    items.push(disguised);
    server.on(
        "/v1/chat/completions",
        openai_chat(&json!({"questions": items}).to_string(), "gpt-4o-mini"),
    );
    let r = env.app.questions().generate(req(10)).await.unwrap();
    assert_eq!(r.accepted.len(), 10, "{:?}", r.rejected);
    assert!(
        r.rejected.iter().any(|x| x
            .reason
            .starts_with("the same question as \u{201c}Everyone in our group")),
        "{:?}",
        r.rejected
    );
    // The same answer again: every question is one already stored.
    let again = env.app.questions().generate(req(3)).await.unwrap();
    assert!(again.accepted.is_empty(), "{:?}", again.accepted);
    assert_eq!(again.from_bank, 3);
    assert_eq!(
        env.app
            .questions()
            .list(Default::default())
            .await
            .unwrap()
            .len(),
        10
    );
}

#[tokio::test]
async fn with_no_provider_the_bank_is_used_and_the_reply_says_why() {
    let env = common::open().await;
    let r = env.app.questions().generate(req(10)).await.unwrap();
    assert_eq!((r.accepted.len(), r.from_bank, r.attempts), (0, 10, 0));
    assert_eq!(
        r.notice.as_deref(),
        Some("No AI provider is set up, so the question bank's own questions are used.")
    );
    for (count, code) in [(0, "out_of_range"), (21, "out_of_range")] {
        let e = env.app.questions().generate(req(count)).await.unwrap_err();
        assert_eq!(e.code(), code);
    }
    let mut bad = req(3);
    bad.pillar = "nope".into();
    assert_eq!(
        env.app.questions().generate(bad).await.unwrap_err().code(),
        "unknown_pillar"
    );
    let mut bad = req(3);
    bad.difficulty = Some("extreme".into());
    assert_eq!(
        env.app.questions().generate(bad).await.unwrap_err().code(),
        "out_of_range"
    );
    assert!(env
        .app
        .questions()
        .list(Default::default())
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn fresh_questions_are_mixed_into_a_new_assessment_and_scored_like_bank_items() {
    use compilar_core::api::{AnswerRequest, CreateAssessmentRequest};
    let server = FakeServer::start().await;
    let env = common::open().await;
    configure(&env.app, &[("openai", server.url())]).await;
    server.on(
        "/v1/chat/completions",
        openai_chat(&json!({"questions": good()}).to_string(), "gpt-4o-mini"),
    );
    env.app.questions().generate(req(10)).await.unwrap();
    let a = env
        .app
        .assessments()
        .create(CreateAssessmentRequest {
            pillar: "grpprosp".into(),
            mode: "egalitarian".into(),
            include_fresh: Some(true),
            group_label: None,
            note: None,
            round_id: None,
        })
        .await
        .unwrap();
    let fresh: Vec<_> = a.questions.iter().filter(|q| q.generated).collect();
    assert_eq!(
        a.total, 16,
        "the bank's 12 and one fresh question per force"
    );
    assert_eq!(fresh.len(), 4);
    let mut forces: Vec<&str> = fresh.iter().map(|q| q.force.as_str()).collect();
    forces.sort_unstable();
    forces.dedup();
    assert_eq!(forces.len(), 4);
    assert!(fresh.iter().all(|q| q.id.starts_with("fresh.")));
    // Removing one from the list later changes nothing for this assessment.
    let stored = env.app.questions().list(Default::default()).await.unwrap();
    let served_raw = fresh[0].id.trim_start_matches("fresh.").to_owned();
    env.app.questions().remove(&served_raw).await.unwrap();
    assert_eq!(stored.len(), 10);

    for q in &a.questions {
        env.app
            .assessments()
            .answer(AnswerRequest {
                assessment_id: a.id.clone(),
                question_id: q.id.clone(),
                value: if q.generated { 5 } else { 3 },
            })
            .await
            .unwrap();
    }
    let done = env.app.assessments().complete(&a.id).await.unwrap();
    let r = done.results.unwrap();
    assert_eq!((r.answered, r.total), (16, 16));
    // Fresh answers count: each force has three bank answers of 3 (50) and one fresh 5 (100, or 0 if reverse).
    for f in &r.forces {
        let q = fresh.iter().find(|q| q.force == f.force).unwrap();
        let rev = good()
            .iter()
            .find(|g| g["text"] == q.text.as_str())
            .unwrap()["reverse"]
            .as_bool()
            .unwrap();
        let want = if rev { 37.5 } else { 62.5 };
        assert!(
            (f.score.unwrap() - want).abs() < 0.01,
            "{}: {:?}",
            f.force,
            f.score
        );
    }
    let again = env.app.assessments().get(&a.id).await.unwrap();
    assert_eq!(
        again.questions.iter().filter(|q| q.generated).count(),
        4,
        "still shown after removal"
    );
    // A made-up fresh id is refused.
    let e = env
        .app
        .assessments()
        .answer(AnswerRequest {
            assessment_id: a.id.clone(),
            question_id: "fresh.not-a-uuid".into(),
            value: 3,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "unknown_question");
}
