//! Full profiles: five pillars of a mode, pillar by pillar, resumed after a restart where they stopped; and the
//! two modes of one group compared letter by letter.

use crate::common;

use compilar_core::api::{AnswerRequest, CompareModesRequest, Stage, StartProfileRequest};
use compilar_core::{App, AppOptions};

async fn answer_all(app: &App, a: &compilar_core::api::Assessment, v: i64) {
    for q in &a.questions {
        app.assessments()
            .answer(AnswerRequest {
                assessment_id: a.id.clone(),
                question_id: q.id.clone(),
                value: v,
            })
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_full_profile_goes_pillar_by_pillar_and_resumes_after_a_restart() {
    let t = common::open().await;
    let app = t.app.clone();
    let first = app
        .full_profiles()
        .start(StartProfileRequest {
            mode: "egalitarian".into(),
            group_label: Some("Product team".into()),
            note: None,
            round_id: None,
        })
        .await
        .unwrap();
    let pid = first.profile_id.clone().unwrap();
    assert_eq!(first.pillar, "grpprosp", "framework order");
    assert_eq!(first.group_label.as_deref(), Some("Product team"));
    answer_all(&app, &first, 4).await;
    app.assessments().complete(&first.id).await.unwrap();
    let second = app.full_profiles().next(&pid).await.unwrap();
    assert_eq!(second.pillar, "indrecip");
    // Half-way through the second pillar, the app is closed.
    app.assessments()
        .answer(AnswerRequest {
            assessment_id: second.id.clone(),
            question_id: second.questions[0].id.clone(),
            value: 2,
        })
        .await
        .unwrap();
    drop(app);
    drop(t.app);
    let app = App::open_with(AppOptions::for_tests(t.dir.path()))
        .await
        .unwrap();
    let p = app.full_profiles().get(&pid).await.unwrap();
    assert_eq!(p.done, 1);
    assert_eq!(p.next_pillar.as_deref(), Some("indrecip"));
    assert_eq!(p.pillars[1].stage, Some(Stage::Quiz));
    // Resuming gives the same assessment with its answer, not a new one.
    let again = app.full_profiles().next(&pid).await.unwrap();
    assert_eq!(again.id, second.id);
    assert_eq!(again.answered, 1);
    answer_all(&app, &again, 3).await;
    app.assessments().complete(&again.id).await.unwrap();
    for _ in 0..3 {
        let a = app.full_profiles().next(&pid).await.unwrap();
        answer_all(&app, &a, 3).await;
        app.assessments().complete(&a.id).await.unwrap();
    }
    let p = app.full_profiles().get(&pid).await.unwrap();
    assert!(p.complete);
    assert_eq!(p.done, 5);
    assert!(p.completed_at.is_some());
    assert!(p.pillars.iter().all(|x| x.score.is_some()));
    assert_eq!(
        app.full_profiles().next(&pid).await.unwrap_err().code(),
        "profile_complete"
    );
    assert_eq!(app.full_profiles().list().await.unwrap().len(), 1);
    let e = app
        .full_profiles()
        .get(&uuid::Uuid::now_v7().to_string())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "profile_not_found");
    let e = app
        .full_profiles()
        .start(StartProfileRequest {
            mode: "sideways".into(),
            group_label: None,
            note: None,
            round_id: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "unknown_mode");

    // Both modes for the group: the egalitarian side from the profile, the hierarchical from one assessment.
    let own = common::create(&app, "ownprosp", "hierarchical").await;
    app.assessments()
        .set_about(compilar_core::api::AboutRequest {
            assessment_id: own.id.clone(),
            group_label: Some("Product team".into()),
            note: None,
        })
        .await
        .unwrap();
    answer_all(&app, &own, 2).await;
    let own = app.assessments().complete(&own.id).await.unwrap();
    let c = app
        .full_profiles()
        .compare_modes(CompareModesRequest {
            group: Some("Product team".into()),
        })
        .await
        .unwrap();
    assert_eq!(c.letters.len(), 5);
    let prospects = &c.letters[0];
    assert_eq!(prospects.letter_name, "Prospects");
    assert_eq!(
        prospects.egalitarian.as_ref().unwrap().score,
        first_score(&app, &first.id).await
    );
    assert_eq!(
        prospects.hierarchical.as_ref().unwrap().score,
        own.results.unwrap().pillar_score
    );
    assert_eq!(prospects.forces.len(), 4);
    assert!(prospects
        .forces
        .iter()
        .all(|f| f.egalitarian.is_some() && f.hierarchical.is_some()));
    assert!(
        c.letters[1].hierarchical.is_none(),
        "not assessed in the hierarchical mode"
    );
}

async fn first_score(app: &App, id: &str) -> f64 {
    app.assessments()
        .get(id)
        .await
        .unwrap()
        .results
        .unwrap()
        .pillar_score
}
