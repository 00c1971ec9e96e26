//! Shared helpers of the integration tests: a real app on a real SQLite file in a temp dir.
#![allow(dead_code)]

use compilar_core::api::{Assessment, CreateAssessmentRequest};
use compilar_core::App;

pub struct TestApp {
    pub app: App,
    pub dir: tempfile::TempDir,
}

pub async fn open() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(Some(dir.path().to_owned())).await.unwrap();
    TestApp { app, dir }
}

pub async fn create(app: &App, pillar: &str, mode: &str) -> Assessment {
    app.create_assessment(CreateAssessmentRequest {
        pillar: pillar.into(),
        mode: mode.into(),
    })
    .await
    .unwrap()
}
