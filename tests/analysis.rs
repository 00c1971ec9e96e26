//! Content analysis through the facade: a model's structured answer against a local OpenAI-speaking server
//! (schema requested, alignments checked, a fabricated quote dropped), the limit on pasted text, the offline
//! estimate (labelled, with evidence taken from the text), a document analysed by id, one mode or both.

use crate::common;

use common::configure;
use common::fake_llm::*;
use compilar_core::api::{AnalysisMethod, AnalyzeRequest, ImportDocumentRequest};
use serde_json::json;

const TEXT: &str = "In our team meetings people rarely disagree with the lead. Last week two colleagues said \
they keep their real views to themselves to avoid friction. Decisions take forever because everyone has to \
agree. When someone does speak up, nobody follows up on the idea. We adapt slowly when a better way appears.";

fn req(text: &str) -> AnalyzeRequest {
    AnalyzeRequest {
        text: Some(text.into()),
        mode: Some("egalitarian".into()),
        request_id: format!("a-{}", text.len()),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_models_analysis_keeps_only_quotes_from_the_text_and_valid_scores() {
    let server = FakeServer::start().await;
    let env = common::open().await;
    configure(&env.app, &[("openai", server.url())]).await;
    let answer = json!({
        "pillars": [{
            "pillar": "divsexp", "alignment": 28,
            "evidence": ["people rarely disagree with the lead", "Everyone here feels totally free to speak"],
            "forces": [
                {"force": "voice_safety", "alignment": 20, "evidence": ["they keep their real views to themselves to avoid friction"]},
                {"force": "decision_speed", "alignment": 140, "evidence": ["Decisions take forever"]}
            ]
        }, {"pillar": "not_a_pillar", "alignment": 50, "evidence": [], "forces": []}],
        "themes": ["Silence in meetings", "Slow decisions"],
        "recommendations": ["Ask for dissent before deciding."]
    });
    server.on(
        "/v1/chat/completions",
        openai_chat(&answer.to_string(), "gpt-4o-mini"),
    );
    let r = env.app.analysis().analyze(req(TEXT)).await.unwrap();
    assert_eq!(r.method, AnalysisMethod::Model);
    assert_eq!(
        r.pillars.len(),
        5,
        "the egalitarian pillars, in framework order"
    );
    let d = r.pillars.iter().find(|p| p.pillar == "divsexp").unwrap();
    assert_eq!(d.alignment, Some(28));
    assert_eq!(d.evidence, ["people rarely disagree with the lead"]);
    assert_eq!(r.dropped_quotes, 1, "the fabricated quote");
    let v = d.forces.iter().find(|f| f.force == "voice_safety").unwrap();
    assert_eq!(v.alignment, Some(20));
    let s = d
        .forces
        .iter()
        .find(|f| f.force == "decision_speed")
        .unwrap();
    assert_eq!(s.alignment, None, "140 is off the scale");
    assert_eq!(s.evidence, ["Decisions take forever"]);
    assert!(r
        .pillars
        .iter()
        .filter(|p| p.pillar != "divsexp")
        .all(|p| p.alignment.is_none()));
    assert_eq!(r.themes, ["Silence in meetings", "Slow decisions"]);
    let body = server.requests("/v1/chat/completions")[0].json();
    assert_eq!(
        body["response_format"]["json_schema"]["name"],
        "pilar_content_analysis"
    );
    assert!(body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains("<text>\nIn our team meetings"));
    assert_eq!(
        env.app.diagnostics().llm_status().await.unwrap().calls[0].feature,
        "analysis"
    );

    // Over the limit: refused before anything is sent.
    let e = env
        .app
        .analysis()
        .analyze(req(&"word ".repeat(4_001)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "payload_too_large");
    assert_eq!(server.count("/v1/chat/completions"), 1);
}

#[tokio::test]
async fn without_a_model_an_estimate_is_labelled_and_its_evidence_is_from_the_text() {
    let env = common::open().await;
    let r = env.app.analysis().analyze(req(TEXT)).await.unwrap();
    assert_eq!(r.method, AnalysisMethod::Estimate);
    assert!(r
        .notice
        .unwrap()
        .starts_with("No AI provider is set up, so this is an estimate"));
    let d = r.pillars.iter().find(|p| p.pillar == "divsexp").unwrap();
    let v = d.forces.iter().find(|f| f.force == "voice_safety").unwrap();
    assert!(v.alignment.is_some());
    assert!(!v.evidence.is_empty());
    for p in &r.pillars {
        for f in &p.forces {
            for q in &f.evidence {
                assert!(TEXT.contains(q.as_str()), "{q}");
            }
        }
    }
    // Both modes when none is given.
    let mut both = req(TEXT);
    both.mode = None;
    both.request_id = "both".into();
    assert_eq!(
        env.app
            .analysis()
            .analyze(both)
            .await
            .unwrap()
            .pillars
            .len(),
        10
    );
    for (bad, code) in [
        (
            AnalyzeRequest {
                request_id: "x".into(),
                ..Default::default()
            },
            "empty_input",
        ),
        (
            AnalyzeRequest {
                text: Some("too short".into()),
                request_id: "y".into(),
                ..Default::default()
            },
            "empty_input",
        ),
        (
            AnalyzeRequest {
                mode: Some("flat".into()),
                ..req(TEXT)
            },
            "unknown_mode",
        ),
    ] {
        assert_eq!(
            env.app.analysis().analyze(bad).await.unwrap_err().code(),
            code
        );
    }
}

#[tokio::test]
async fn a_document_is_analysed_by_its_id() {
    let env = common::open().await;
    let file = env.dir.path().join("retro.md");
    std::fs::write(&file, format!("# Retro\n\n{TEXT}\n")).unwrap();
    let doc = env
        .app
        .documents()
        .import(
            ImportDocumentRequest {
                path: file.display().to_string(),
                import_id: "imp".into(),
            },
            |_| {},
        )
        .await
        .unwrap();
    let r = env
        .app
        .analysis()
        .analyze(AnalyzeRequest {
            document_id: Some(doc.id),
            offline: Some(true),
            request_id: "doc".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.method, AnalysisMethod::Estimate);
    assert_eq!(r.notice, None, "asked for");
    assert!(!r.truncated);
    assert!(r.chars as usize >= TEXT.len());
    let e = env
        .app
        .analysis()
        .analyze(AnalyzeRequest {
            document_id: Some("0190a0a0-0000-7000-8000-000000000000".into()),
            request_id: "none".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "document_not_found");
}
