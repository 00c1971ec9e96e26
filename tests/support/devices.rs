//! Data folders for the sync and teams tests: each is a real SQLite file in a temp dir, opened as an app; two
//! folders signed in to one account are two devices, folders signed in to different accounts are people.

use compilar_core::api::{AnswerRequest, CreateAssessmentRequest, SignInRequest};
use compilar_core::{App, AppOptions};

use super::supabase::{Supabase, ANON_KEY};

pub struct Device {
    pub app: App,
    pub _dir: tempfile::TempDir,
}

pub async fn device() -> Device {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_with(AppOptions::for_tests(dir.path()))
        .await
        .unwrap();
    Device { app, _dir: dir }
}

pub fn sign_in_req(s: &Supabase, email: &str, password: &str, adopt: bool) -> SignInRequest {
    SignInRequest {
        project_url: s.url.clone(),
        public_key: ANON_KEY.into(),
        email: email.into(),
        password: password.into(),
        adopt_local: adopt,
    }
}

/// A new data folder signed in as a new account `email`.
#[allow(dead_code)]
pub async fn person(s: &Supabase, email: &str) -> Device {
    s.add_user(email, "correct horse");
    let d = device().await;
    d.app
        .account()
        .sign_in(sign_in_req(s, email, "correct horse", false))
        .await
        .unwrap();
    d
}

/// An assessment of `pillar` (egalitarian) with `answers` (question index, value), for `round` if given.
pub async fn assessment_for(
    app: &App,
    pillar: &str,
    answers: &[(usize, i64)],
    round: Option<&str>,
) -> compilar_core::api::Assessment {
    let a = app
        .assessments()
        .create(CreateAssessmentRequest {
            pillar: pillar.into(),
            mode: "egalitarian".into(),
            include_fresh: None,
            group_label: None,
            note: None,
            round_id: round.map(str::to_owned),
        })
        .await
        .unwrap();
    for (i, v) in answers {
        answer(app, &a.id, &a.questions[*i].id, *v).await;
    }
    app.assessments().get(&a.id).await.unwrap()
}

#[allow(dead_code)]
pub async fn assessment(
    app: &App,
    pillar: &str,
    answers: &[(usize, i64)],
) -> compilar_core::api::Assessment {
    assessment_for(app, pillar, answers, None).await
}

pub async fn answer(app: &App, id: &str, q: &str, v: i64) {
    app.assessments()
        .answer(AnswerRequest {
            assessment_id: id.into(),
            question_id: q.into(),
            value: v,
        })
        .await
        .unwrap();
}
