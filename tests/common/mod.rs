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
    app.assessments()
        .create(CreateAssessmentRequest {
            pillar: pillar.into(),
            mode: mode.into(),
        })
        .await
        .unwrap()
}

/// Polls `check` until it holds, failing after `secs` seconds: synchronisation on an observable condition
/// instead of a sleep that passes only when the machine is fast enough.
#[allow(dead_code)]
pub async fn until<F, Fut>(what: &str, secs: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
