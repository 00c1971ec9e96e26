//! Shared helpers of the integration tests: a real app on a real SQLite file in a temp dir.
#![allow(dead_code)]

pub mod fake_llm;
pub mod pdf;

use compilar_core::api::{
    Assessment, CreateAssessmentRequest, SaveProvidersRequest, SetKeyRequest,
};
use compilar_core::llm::{ProviderKind, ProviderSettings};
use compilar_core::{App, AppOptions};

pub const OPENAI_KEY: &str = "sk-test-openai-4f9a8b7c6d5e";
pub const ANTHROPIC_KEY: &str = "sk-ant-test-1a2b3c4d5e6f7a8b";

/// Fails when either test key appears anywhere in `bytes` (`what` names where they came from).
pub fn assert_no_keys(bytes: &[u8], what: &str) {
    for key in [OPENAI_KEY, ANTHROPIC_KEY] {
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "a key in {what}"
        );
    }
}

pub struct TestApp {
    pub app: App,
    /// The data folder.
    pub dir: tempfile::TempDir,
    /// A folder outside it, for the files the app is asked to write (never inside the data folder).
    pub out: tempfile::TempDir,
}

pub async fn open() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_with(AppOptions::for_tests(dir.path()))
        .await
        .unwrap();
    TestApp {
        app,
        dir,
        out: tempfile::tempdir().unwrap(),
    }
}

pub async fn create(app: &App, pillar: &str, mode: &str) -> Assessment {
    app.assessments()
        .create(CreateAssessmentRequest {
            pillar: pillar.into(),
            mode: mode.into(),
            include_fresh: None,
            group_label: None,
            note: None,
            round_id: None,
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

/// Makes the fallback chain `chain` (provider id → fake server base URL), in that order; other providers are
/// off. Cloud providers get keys. Timeouts are short and the slow-call rule is off.
pub async fn configure(app: &App, chain: &[(&str, String)]) {
    let mut providers: Vec<ProviderSettings> = app
        .settings()
        .get()
        .await
        .unwrap()
        .providers
        .into_iter()
        .map(|p| p.settings)
        .collect();
    for p in providers.iter_mut() {
        match chain.iter().position(|(id, _)| *id == p.id) {
            Some(i) => {
                let url = &chain[i].1;
                p.enabled = true;
                p.position = i as u32;
                p.base_url = match p.kind {
                    ProviderKind::Openai | ProviderKind::OpenaiCompatible => format!("{url}/v1"),
                    _ => url.clone(),
                };
            }
            None => {
                p.enabled = false;
                p.position = 10;
            }
        }
        p.timeouts.first_token_secs = 2;
        p.timeouts.stall_secs = 1;
        p.timeouts.request_secs = 3;
        p.timeouts.slow_call_secs = 0;
    }
    app.settings()
        .save_providers(SaveProvidersRequest { providers })
        .await
        .unwrap();
    for (id, key) in [("openai", OPENAI_KEY), ("anthropic", ANTHROPIC_KEY)] {
        app.settings()
            .set_key(SetKeyRequest {
                provider: id.into(),
                key: key.into(),
            })
            .await
            .unwrap();
    }
}

/// Answers every question so that each force of the pillar gets the value of `by_force` (reverse items
/// flipped), then completes the assessment.
pub async fn completed(
    app: &App,
    pillar: &str,
    mode: &str,
    by_force: &[(&str, i64)],
) -> Assessment {
    let a = create(app, pillar, mode).await;
    for q in &a.questions {
        let v = by_force
            .iter()
            .find(|(f, _)| *f == q.force)
            .map_or(3, |(_, v)| *v);
        let value = if q.reverse { 6 - v } else { v };
        app.assessments()
            .answer(compilar_core::api::AnswerRequest {
                assessment_id: a.id.clone(),
                question_id: q.id.clone(),
                value,
            })
            .await
            .unwrap();
    }
    app.assessments().complete(&a.id).await.unwrap()
}
