//! Shared helpers of the integration tests: a real app on a real SQLite file in a temp dir.
#![allow(dead_code)]

pub mod fake_llm;
pub mod pdf;

use compilar_core::api::{Assessment, CreateAssessmentRequest};
use compilar_core::{App, AppOptions};

pub struct TestApp {
    pub app: App,
    pub dir: tempfile::TempDir,
}

pub async fn open() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_with(AppOptions::for_tests(dir.path()))
        .await
        .unwrap();
    TestApp { app, dir }
}

pub async fn create(app: &App, pillar: &str, mode: &str) -> Assessment {
    app.assessments().create(CreateAssessmentRequest {
        pillar: pillar.into(),
        mode: mode.into(),
    })
    .await
    .unwrap()
}
