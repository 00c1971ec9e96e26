//! API keys and the OS keychain.
//!
//! - A real round trip through the Secret Service (GNOME Keyring) on a private D-Bus session: the child is this
//!   test binary re-run under `dbus-run-session` with an unlocked `gnome-keyring-daemon`.
//! - No keychain at all (a D-Bus address that leads nowhere): the app says so, refuses to store keys with a
//!   clear error and keeps working with a key from the environment.
//! - Keys never reach the database file, its WAL or the log files, even when a provider echoes them.
//!
//! With `CI` set, a missing `dbus-run-session` or `gnome-keyring-daemon` fails the test instead of skipping it.

use crate::common;

use std::process::Command;

use common::fake_llm::*;
use compilar_core::api::{AskRequest, SaveProvidersRequest, SetKeyRequest};
use compilar_core::llm::{KeySource, KeychainBackend, ProviderKind};
use compilar_core::{App, AppOptions};

const CHILD: &str = "COMPILAR_KEYCHAIN_CHILD";
const KEY: &str = "sk-real-keychain-7e6d5c4b3a29";

fn which(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Runs `test` in a child of this binary with `env`, optionally wrapped in a shell command.
fn run_child(test: &str, wrapper: Option<&str>, env: &[(&str, &str)]) {
    let exe = std::env::current_exe().unwrap();
    let test = &crate::test_name(module_path!(), test);
    let mut cmd = match wrapper {
        Some(w) => {
            let mut c = Command::new("sh");
            c.args(["-c", w, exe.to_str().unwrap(), test]);
            c
        }
        None => {
            let mut c = Command::new(&exe);
            c.args(["--exact", test, "--nocapture", "--test-threads=1"]);
            c
        }
    };
    cmd.env(CHILD, "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child {test} failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
}

fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

#[test]
fn real_secret_service_round_trip() {
    if in_child() {
        return;
    }
    let have = which("dbus-run-session") && which("gnome-keyring-daemon");
    if !have {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install dbus and gnome-keyring for the real keychain test"
        );
        eprintln!("SKIPPED: dbus-run-session or gnome-keyring-daemon is not installed");
        return;
    }
    // A private session bus with an unlocked keyring; then this binary runs the child test in it.
    let script = r#"dbus-run-session -- sh -c 'printf test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec "$0" --exact "$1" --nocapture --test-threads=1' "$0" "$1""#;
    run_child("secret_service_child", Some(script), &[]);
}

#[tokio::test]
async fn secret_service_child() {
    if !in_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let opts = || AppOptions {
        keychain: KeychainBackend::Os,
        ..AppOptions::for_tests(dir.path())
    };
    let app = App::open_with(opts()).await.unwrap();
    let s = app.settings().get().await.unwrap();
    assert!(s.keychain.available, "{:?}", s.keychain);
    assert!(s.keychain.backend.contains("Secret Service"));
    app.settings()
        .set_key(SetKeyRequest {
            provider: "anthropic".into(),
            key: KEY.into(),
        })
        .await
        .unwrap();
    drop(app);

    // A fresh app (no in-memory cache) finds the key in the keychain.
    let app = App::open_with(opts()).await.unwrap();
    let s = app.settings().get().await.unwrap();
    let p = s
        .providers
        .iter()
        .find(|p| p.settings.id == "anthropic")
        .unwrap();
    assert_eq!(p.key_source, KeySource::Keychain);
    assert!(p.configured);
    app.settings().remove_key("anthropic").await.unwrap();
    drop(app);
    let app = App::open_with(opts()).await.unwrap();
    let s = app.settings().get().await.unwrap();
    let p = s
        .providers
        .iter()
        .find(|p| p.settings.id == "anthropic")
        .unwrap();
    assert_eq!(p.key_source, KeySource::None);
    println!("real Secret Service round trip passed");
}

#[test]
fn no_keychain_is_reported_and_the_app_keeps_working() {
    if in_child() {
        return;
    }
    run_child(
        "no_keychain_child",
        None,
        &[(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/compilar-test-bus",
        )],
    );
}

#[tokio::test]
async fn no_keychain_child() {
    if !in_child() {
        return;
    }
    let server = FakeServer::start().await;
    server.on(
        "/v1/chat/completions",
        openai_chat("still works", "gpt-4o-mini"),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut opts = AppOptions {
        keychain: KeychainBackend::Os,
        ..AppOptions::for_tests(dir.path())
    };
    opts.env_keys
        .insert(ProviderKind::Openai, "sk-env-only-123456789".into());
    let app = App::open_with(opts).await.unwrap();
    let s = app.settings().get().await.unwrap();
    assert!(!s.keychain.available);
    // Plain words first, what works instead as steps, the system's own error only as a detail.
    let msg = s.keychain.message.clone().unwrap();
    assert!(msg.contains("could not find a keychain"), "{msg}");
    assert!(!msg.contains("org.freedesktop"), "{msg}");
    assert!(s.keychain.steps[0].contains("local model needs no key"));
    assert!(s
        .keychain
        .steps
        .iter()
        .any(|x| x.contains("OPENAI_API_KEY")));
    assert!(s.keychain.technical.is_some());

    let e = app
        .settings()
        .set_key(SetKeyRequest {
            provider: "anthropic".into(),
            key: "sk-ant-abcdef123".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "keychain_unavailable");

    let mut providers: Vec<_> = s.providers.into_iter().map(|p| p.settings).collect();
    for p in providers.iter_mut() {
        p.enabled = p.id == "openai";
        p.base_url = format!("{}/v1", server.url());
    }
    app.settings()
        .save_providers(SaveProvidersRequest { providers })
        .await
        .unwrap();
    let a = app
        .ai()
        .ask(AskRequest {
            request_id: "r1".into(),
            prompt: "hi".into(),
            exclude: vec![],
        })
        .await
        .unwrap();
    assert_eq!(a.text, "still works");
}

#[tokio::test]
async fn keys_never_reach_the_database_or_the_logs() {
    if in_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("logs");
    let _guard = compilar_core::logging::init(&log_dir).unwrap();
    let server = FakeServer::start().await;
    let app = App::open_with(AppOptions::for_tests(dir.path()))
        .await
        .unwrap();
    let mut providers: Vec<_> = app
        .settings()
        .get()
        .await
        .unwrap()
        .providers
        .into_iter()
        .map(|p| p.settings)
        .collect();
    for p in providers.iter_mut() {
        p.enabled = p.id != "local";
        p.base_url = if p.id == "openai" {
            format!("{}/v1", server.url())
        } else {
            server.url()
        };
    }
    app.settings()
        .save_providers(SaveProvidersRequest { providers })
        .await
        .unwrap();
    let anthropic_key = "sk-ant-never-logged-0f1e2d3c4b5a";
    for (p, k) in [("openai", KEY), ("anthropic", anthropic_key)] {
        app.settings()
            .set_key(SetKeyRequest {
                provider: p.into(),
                key: k.into(),
            })
            .await
            .unwrap();
    }
    // Both providers reject the key and echo it back; prompt logging is on, so prompts and outputs are stored.
    server.on(
        "/v1/chat/completions",
        error_reply(401, serde_json::json!({"error": {"message": format!("Incorrect API key provided: {KEY}"), "type": "invalid_request_error", "code": "invalid_api_key"}}), None),
    );
    server.on(
        "/v1/messages",
        anthropic_error(
            401,
            "authentication_error",
            &format!("invalid x-api-key {anthropic_key}"),
            None,
        ),
    );
    app.settings()
        .save_ai(compilar_core::llm::AiSettings {
            log_prompts: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let e = app
        .ai()
        .ask(AskRequest {
            request_id: "r".into(),
            prompt: "hello".into(),
            exclude: vec![],
        })
        .await
        .unwrap_err();
    assert!(!e.to_string().contains(KEY) && !e.to_string().contains(anthropic_key));
    let status = app.diagnostics().llm_status().await.unwrap();
    assert_eq!(status.calls.len(), 2);
    let json = serde_json::to_string(&status).unwrap()
        + &serde_json::to_string(&app.settings().get().await.unwrap()).unwrap();
    drop(app);
    drop(_guard);

    let mut haystack: Vec<(String, Vec<u8>)> = vec![("status JSON".into(), json.into_bytes())];
    for entry in std::fs::read_dir(dir.path())
        .unwrap()
        .chain(std::fs::read_dir(&log_dir).unwrap())
    {
        let path = entry.unwrap().path();
        if path.is_file() {
            haystack.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    assert!(haystack.iter().any(|(n, _)| n.ends_with("compilar.db")));
    assert!(
        haystack.iter().any(|(n, _)| n.contains("logs")),
        "the log file was written"
    );
    for (name, bytes) in &haystack {
        for secret in [KEY, anthropic_key, &KEY[8..20], &anthropic_key[8..20]] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{name} contains (part of) an API key"
            );
        }
    }
}
