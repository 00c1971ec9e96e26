//! The whole assessment lifecycle and every error code, through the facade, on a real SQLite file.

use crate::common;

use common::{create, open};
use compilar_core::api::{AnswerRequest, CreateAssessmentRequest, ListRequest, Stage};
use compilar_core::{App, Error};

fn ans(id: &str, q: &str, v: i64) -> AnswerRequest {
    AnswerRequest {
        assessment_id: id.into(),
        question_id: q.into(),
        value: v,
    }
}

async fn snapshot(app: &App, id: &str) -> String {
    format!("{:?}", app.assessments().get(id).await.unwrap())
}

#[tokio::test]
async fn full_lifecycle_create_answer_change_complete_list_delete_restore() {
    let t = open().await;
    let app = &t.app;
    let a = create(app, "grpprosp", "egalitarian").await;
    assert_eq!(a.stage, Stage::Quiz);
    assert_eq!(a.total, 12);
    assert_eq!(a.answered, 0);
    assert_eq!(uuid::Uuid::parse_str(&a.id).unwrap().get_version_num(), 7);
    assert!(a
        .questions
        .iter()
        .all(|q| q.pillar == "grpprosp" && q.mode == "egalitarian"));
    // Served order is shuffled but stable: reading it again gives the same order.
    let again = app.assessments().get(&a.id).await.unwrap();
    let order: Vec<_> = a.questions.iter().map(|q| &q.id).collect();
    let order2: Vec<_> = again.questions.iter().map(|q| &q.id).collect();
    assert_eq!(order, order2);

    // Answer every question with 4, then change one; answering twice is idempotent.
    for (i, q) in a.questions.iter().enumerate() {
        let ack = app
            .assessments()
            .answer(ans(&a.id, &q.id, 4))
            .await
            .unwrap();
        assert_eq!((ack.question_id.as_str(), ack.value), (q.id.as_str(), 4));
        assert_eq!(
            app.assessments().get(&a.id).await.unwrap().answered as usize,
            i + 1
        );
    }
    let first = a.questions[0].id.clone();
    app.assessments()
        .answer(ans(&a.id, &first, 2))
        .await
        .unwrap();
    app.assessments()
        .answer(ans(&a.id, &first, 2))
        .await
        .unwrap();
    let page = app
        .assessments()
        .list(ListRequest::default())
        .await
        .unwrap();
    assert_eq!((page.items[0].answered, page.items[0].total), (12, 12));
    let got = app.assessments().get(&a.id).await.unwrap();
    assert_eq!(got.answers[&first], 2);
    assert_eq!(got.answered, 12);

    // Resume: a fresh app on the same folder sees the same answers.
    let done = app.assessments().complete(&a.id).await.unwrap();
    assert_eq!(done.stage, Stage::Completed);
    assert!(done.completed_at.is_some());
    let r = done.results.clone().unwrap();
    assert_eq!(r.forces.len(), 4);
    assert_eq!(r.confidence, 1.0);
    assert!(r.pillar_score > 0.0 && r.pillar_score < 100.0);
    assert!(!r.insights.is_empty() && !r.recommendations.is_empty());

    // Answers are frozen after completion; completing twice is refused.
    let e = app
        .assessments()
        .answer(ans(&a.id, &first, 5))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "assessment_completed");
    let e = app.assessments().complete(&a.id).await.unwrap_err();
    assert_eq!(e.code(), "assessment_completed");
    assert_eq!(
        app.assessments().get(&a.id).await.unwrap().answers[&first],
        2
    );

    // History: newest first, filtered, paginated.
    let b = create(app, "status", "hierarchical").await;
    let c = create(app, "grpprosp", "egalitarian").await;
    let page = app
        .assessments()
        .list(ListRequest::default())
        .await
        .unwrap();
    let ids: Vec<_> = page.items.iter().map(|i| i.id.clone()).collect();
    assert_eq!(ids, [c.id.clone(), b.id.clone(), a.id.clone()]);
    assert_eq!(page.total, 3);
    assert_eq!(page.items[2].pillar_score, Some(r.pillar_score));
    assert_eq!(page.items[2].pillar_name, "Group Prospects");
    let page = app
        .assessments()
        .list(ListRequest {
            pillar: Some("grpprosp".into()),
            limit: Some(1),
            offset: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, a.id);
    let page = app
        .assessments()
        .list(ListRequest {
            mode: Some("hierarchical".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, b.id);

    // Delete is a tombstone with undo.
    let del = app.assessments().delete(&b.id).await.unwrap();
    assert_eq!(del.id, b.id);
    let page = app
        .assessments()
        .list(ListRequest::default())
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert!(app
        .assessments()
        .get(&b.id)
        .await
        .unwrap()
        .deleted_at
        .is_some());
    let e = app
        .assessments()
        .answer(ans(&b.id, &b.questions[0].id, 3))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "assessment_deleted");
    let e = app.assessments().complete(&b.id).await.unwrap_err();
    assert_eq!(e.code(), "assessment_deleted");
    let e = app.assessments().delete(&b.id).await.unwrap_err();
    assert_eq!(e.code(), "assessment_deleted");
    let restored = app.assessments().restore(&b.id).await.unwrap();
    assert!(restored.deleted_at.is_none());
    let e = app.assessments().restore(&b.id).await.unwrap_err();
    assert_eq!(e.code(), "not_deleted");
    assert_eq!(
        app.assessments()
            .list(ListRequest::default())
            .await
            .unwrap()
            .total,
        3
    );

    // Everything survives a restart.
    let dir = t.dir.path().to_owned();
    drop(t.app);
    let app = App::open(Some(dir)).await.unwrap();
    let back = app.assessments().get(&a.id).await.unwrap();
    assert_eq!(back.results.unwrap(), r);
    assert_eq!(
        app.assessments()
            .list(ListRequest::default())
            .await
            .unwrap()
            .total,
        3
    );
    let d = app.diagnostics().get().await.unwrap();
    assert!(d.vec_version.starts_with('v'), "{}", d.vec_version);
    assert_eq!(
        d.schema_version,
        compilar_core::store::migrations::MIGRATIONS.len() as i64
    );
    // One completed, two started and not finished: counted apart, not as three "assessments".
    assert_eq!((d.assessments, d.in_progress), (1, 2));
    assert!(d.questions >= 120);
}

#[tokio::test]
async fn resume_partial_assessment_after_restart() {
    let t = open().await;
    let a = create(&t.app, "divsexp", "egalitarian").await;
    for q in &a.questions[..5] {
        t.app
            .assessments()
            .answer(ans(&a.id, &q.id, 3))
            .await
            .unwrap();
    }
    let dir = t.dir.path().to_owned();
    drop(t.app);
    let app = App::open(Some(dir)).await.unwrap();
    let back = app.assessments().get(&a.id).await.unwrap();
    assert_eq!(back.stage, Stage::Quiz);
    assert_eq!(back.answered, 5);
    // Completing a partial assessment scores it with lower confidence.
    let done = app.assessments().complete(&a.id).await.unwrap();
    let r = done.results.unwrap();
    assert_eq!(r.answered, 5);
    assert_eq!(r.confidence, 0.42);
}

#[tokio::test]
async fn every_bad_input_gets_its_code_and_changes_nothing() {
    let t = open().await;
    let app = &t.app;
    let a = create(app, "ownprosp", "hierarchical").await;
    let q = a.questions[0].id.clone();
    app.assessments().answer(ans(&a.id, &q, 3)).await.unwrap();
    let before = snapshot(app, &a.id).await;

    let cases: Vec<(&str, Error)> = vec![
        (
            "unknown_pillar",
            app.assessments()
                .create(CreateAssessmentRequest {
                    pillar: "vibes".into(),
                    mode: "egalitarian".into(),
                    include_fresh: None,
                    group_label: None,
                    note: None,
                    round_id: None,
                })
                .await
                .unwrap_err(),
        ),
        (
            "unknown_mode",
            app.assessments()
                .create(CreateAssessmentRequest {
                    pillar: "grpprosp".into(),
                    mode: "anarchic".into(),
                    include_fresh: None,
                    group_label: None,
                    note: None,
                    round_id: None,
                })
                .await
                .unwrap_err(),
        ),
        (
            "pillar_mode_mismatch",
            app.assessments()
                .create(CreateAssessmentRequest {
                    pillar: "grpprosp".into(),
                    mode: "hierarchical".into(),
                    include_fresh: None,
                    group_label: None,
                    note: None,
                    round_id: None,
                })
                .await
                .unwrap_err(),
        ),
        (
            "payload_too_large",
            app.assessments()
                .create(CreateAssessmentRequest {
                    pillar: "x".repeat(10_000),
                    mode: "egalitarian".into(),
                    include_fresh: None,
                    group_label: None,
                    note: None,
                    round_id: None,
                })
                .await
                .unwrap_err(),
        ),
        (
            "unknown_question",
            app.assessments()
                .answer(ans(&a.id, "ownprosp.goal_clarity.99", 3))
                .await
                .unwrap_err(),
        ),
        (
            "question_not_in_assessment",
            app.assessments()
                .answer(ans(&a.id, "grpprosp.goal_clarity.1", 3))
                .await
                .unwrap_err(),
        ),
        (
            "assessment_not_found",
            app.assessments()
                .answer(ans("018f0000-0000-7000-8000-000000000000", &q, 3))
                .await
                .unwrap_err(),
        ),
        (
            "invalid_id",
            app.assessments()
                .answer(ans("not-an-id", &q, 3))
                .await
                .unwrap_err(),
        ),
        (
            "invalid_id",
            app.assessments()
                .get("'; DROP TABLE assessments; --")
                .await
                .unwrap_err(),
        ),
        (
            "payload_too_large",
            app.assessments()
                .answer(ans(&"a".repeat(1_000_000), &q, 3))
                .await
                .unwrap_err(),
        ),
        (
            "payload_too_large",
            app.assessments()
                .answer(ans(&a.id, &"q".repeat(100_000), 3))
                .await
                .unwrap_err(),
        ),
        (
            "value_out_of_range",
            app.assessments()
                .answer(ans(&a.id, &q, 0))
                .await
                .unwrap_err(),
        ),
        (
            "value_out_of_range",
            app.assessments()
                .answer(ans(&a.id, &q, 6))
                .await
                .unwrap_err(),
        ),
        (
            "value_out_of_range",
            app.assessments()
                .answer(ans(&a.id, &q, i64::MIN))
                .await
                .unwrap_err(),
        ),
        (
            "out_of_range",
            app.assessments()
                .list(ListRequest {
                    limit: Some(0),
                    ..Default::default()
                })
                .await
                .unwrap_err(),
        ),
        (
            "out_of_range",
            app.assessments()
                .list(ListRequest {
                    limit: Some(101),
                    ..Default::default()
                })
                .await
                .unwrap_err(),
        ),
        (
            "unknown_pillar",
            app.assessments()
                .list(ListRequest {
                    pillar: Some("nope".into()),
                    ..Default::default()
                })
                .await
                .unwrap_err(),
        ),
        (
            "assessment_not_found",
            app.assessments()
                .delete("018f0000-0000-7000-8000-000000000000")
                .await
                .unwrap_err(),
        ),
        (
            "not_deleted",
            app.assessments().restore(&a.id).await.unwrap_err(),
        ),
    ];
    for (code, e) in &cases {
        assert_eq!(e.code(), *code, "{e}");
        let p = e.payload();
        assert_eq!(p.code, *code);
        assert!(!p.message.is_empty());
        assert!(!p.retryable);
        assert!(
            p.message.len() < 300,
            "message echoes too much input: {}",
            p.message
        );
    }
    assert_eq!(
        snapshot(app, &a.id).await,
        before,
        "a rejected call changed the assessment"
    );
    assert_eq!(
        app.assessments()
            .list(ListRequest::default())
            .await
            .unwrap()
            .total,
        1
    );

    // Completing with no answers is refused and leaves the assessment in the quiz.
    let empty = create(app, "status", "hierarchical").await;
    let e = app.assessments().complete(&empty.id).await.unwrap_err();
    assert_eq!(e.code(), "no_answers");
    assert_eq!(
        app.assessments().get(&empty.id).await.unwrap().stage,
        Stage::Quiz
    );
}

#[tokio::test]
async fn ids_are_accepted_in_any_case_and_with_spaces() {
    let t = open().await;
    let a = create(&t.app, "incresp", "hierarchical").await;
    let upper = format!(" {} ", a.id.to_uppercase());
    let got = t.app.assessments().get(&upper).await.unwrap();
    assert_eq!(got.id, a.id);
}

#[tokio::test]
async fn an_assessment_names_its_group_and_carries_a_note_both_editable_and_filterable() {
    use compilar_core::api::{AboutRequest, CreateAssessmentRequest, ListRequest};
    let t = common::open().await;
    let a = t.app.assessments();
    let make = |label: Option<&str>, note: Option<&str>| CreateAssessmentRequest {
        pillar: "grpprosp".into(),
        mode: "egalitarian".into(),
        include_fresh: None,
        group_label: label.map(str::to_owned),
        note: note.map(str::to_owned),
        round_id: None,
    };
    let x = a
        .create(make(Some("  Product   team "), Some(" After the reorg ")))
        .await
        .unwrap();
    assert_eq!(x.group_label.as_deref(), Some("Product team"));
    assert_eq!(x.note.as_deref(), Some("After the reorg"));
    let y = a.create(make(Some("Board"), None)).await.unwrap();
    a.create(make(None, None)).await.unwrap();
    let page = a
        .list(ListRequest {
            group: Some("Product team".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((page.total, page.items[0].id.as_str()), (1, x.id.as_str()));
    assert_eq!(page.items[0].group_label.as_deref(), Some("Product team"));
    let groups = a.groups().await.unwrap();
    let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(
        labels,
        ["Board", "Product team"],
        "most recently used first"
    );

    // Edited later: renamed, the note cleared.
    let edited = a
        .set_about(AboutRequest {
            assessment_id: y.id.clone(),
            group_label: Some("Product team".into()),
            note: Some("".into()),
        })
        .await
        .unwrap();
    assert_eq!(edited.group_label.as_deref(), Some("Product team"));
    assert_eq!(edited.note, None);
    assert_eq!(a.groups().await.unwrap().len(), 1);

    // Bad input changes nothing.
    for (label, note, code) in [
        (Some("x".repeat(81)), None, "payload_too_large"),
        (Some("tab\u{7}bell".to_owned()), None, "invalid_argument"),
        (None, Some("n".repeat(2_001)), "payload_too_large"),
    ] {
        let e = a
            .set_about(AboutRequest {
                assessment_id: x.id.clone(),
                group_label: label,
                note,
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), code);
    }
    assert_eq!(
        a.get(&x.id).await.unwrap().note.as_deref(),
        Some("After the reorg")
    );
    a.delete(&x.id).await.unwrap();
    let e = a
        .set_about(AboutRequest {
            assessment_id: x.id.clone(),
            group_label: None,
            note: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "assessment_deleted");
}

#[tokio::test]
async fn theme_and_zoom_are_kept_and_a_bad_zoom_changes_nothing() {
    use compilar_core::api::{Appearance, Theme};
    let t = open().await;
    // Never set: follow the system at 100 %.
    let a = t.app.settings().appearance().await.unwrap();
    assert_eq!((a.theme, a.zoom), (Theme::System, 1.0));
    let set = t
        .app
        .settings()
        .set_appearance(Appearance {
            theme: Theme::Dark,
            zoom: 1.1000000001,
        })
        .await
        .unwrap();
    assert_eq!((set.theme, set.zoom), (Theme::Dark, 1.1));
    for zoom in [0.2, 3.0, f64::NAN] {
        let e = t
            .app
            .settings()
            .set_appearance(Appearance {
                theme: Theme::Light,
                zoom,
            })
            .await
            .unwrap_err();
        assert!(matches!(e, Error::OutOfRange(_)), "{e:?}");
    }
    let dir = t.dir.path().to_owned();
    drop(t.app);
    let app = App::open(Some(dir)).await.unwrap();
    let back = app.settings().appearance().await.unwrap();
    assert_eq!((back.theme, back.zoom), (Theme::Dark, 1.1));
}
