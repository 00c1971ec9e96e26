//! Providers from the command line: configured, and sharing breakers and Retry-After across runs.

use super::*;

/// The AI providers from the command line, with the window's checks: list, change one, turn it on and off,
/// test it, and a key read from standard input (never an argument, never printed).
#[test]
fn providers_are_configured_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let list = ok(d, &["providers", "list"]);
    let ids: Vec<&str> = list["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["settings"]["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"openai") && ids.contains(&"local"), "{ids:?}");
    let local = |v: &Value| {
        v["providers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["settings"]["id"] == "local")
            .unwrap()["settings"]
            .clone()
    };
    let v = ok(
        d,
        &[
            "providers",
            "set",
            "local",
            "--url",
            "http://127.0.0.1:9",
            "--model",
            "llama3.2",
            "--position",
            "0",
        ],
    );
    assert_eq!(local(&v)["base_url"], "http://127.0.0.1:9");
    assert_eq!(local(&v)["chat_model"], "llama3.2");
    assert_eq!(local(&v)["position"], 0);
    let v = ok(d, &["providers", "enable", "local"]);
    assert_eq!(local(&v)["enabled"], true);
    // Kept: a later command reads the same.
    assert_eq!(
        local(&ok(d, &["providers", "list"]))["chat_model"],
        "llama3.2"
    );
    let v = ok(d, &["providers", "disable", "local"]);
    assert_eq!(local(&v)["enabled"], false);
    // The window's checks.
    fails(
        d,
        &["providers", "set", "nosuch", "--model", "x"],
        2,
        "unknown_provider",
    );
    fails(
        d,
        &["providers", "set", "local", "--url", "not an address"],
        2,
        "invalid_settings",
    );
    // Nothing answers at 127.0.0.1:9: said, exit 1.
    let out = run(d, &["--json", "providers", "test", "local"]);
    assert_eq!(out.status.code(), Some(1));
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["ok"], false);
    // A key from standard input: stored if the keychain works, refused plainly if it does not; never printed.
    let key = "sk-test-cli-0123456789abcdef";
    let mut child = Command::new(env!("CARGO_BIN_EXE_compilar-cli"))
        .args([
            "--data-dir",
            d.to_str().unwrap(),
            "providers",
            "key",
            "openai",
        ])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{key}").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
    assert!(
        !all.windows(key.len()).any(|w| w == key.as_bytes()),
        "the key was printed"
    );
    if !out.status.success() {
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("keychain"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // No way to pass a key as an argument.
    let out = run(d, &["providers", "key", "openai", key]);
    assert_eq!(out.status.code(), Some(2));
}

/// A provider that answers every request with a 500 (or what `reply` says), counting the requests.
fn failing_provider(
    reply: &'static str,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = n.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            // The headers, then the body its Content-Length says.
            while let Ok(k) = s.read(&mut buf) {
                if k == 0 {
                    break;
                }
                req.extend_from_slice(&buf[..k]);
                let text = String::from_utf8_lossy(&req).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if req.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = s.write_all(reply.as_bytes());
        }
    });
    (url, n)
}

#[test]
fn command_line_runs_share_the_providers_breakers_and_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    const FAIL: &str = "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: 35\r\nconnection: close\r\n\r\n{\"error\":{\"message\":\"down\",\"x\":1}}";
    let (url, calls) = failing_provider(FAIL);
    let set = |d: &Path, url: &str| {
        ok(
            d,
            &[
                "providers",
                "set",
                "local",
                "--url",
                url,
                "--model",
                "m",
                "--position",
                "0",
            ],
        );
        ok(d, &["providers", "enable", "local"]);
    };
    set(d, &url);
    let analyze = |d: &Path| {
        run(d, &["--json", "analyze", "--text", "We plan our work together every week and everyone speaks up. When we disagree we talk it through openly and decide as a group."])
    };
    let mut last = String::new();
    for _ in 0..6 {
        let out = analyze(d);
        last = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
    }
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        5,
        "six runs, five requests: the fifth failure opened the breaker for the sixth ({last})"
    );
    assert!(last.contains("paused after repeated failures"), "{last}");

    // A 429 with Retry-After: the next run does not ask again.
    const SLOW_DOWN: &str = "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 300\r\ncontent-length: 35\r\nconnection: close\r\n\r\n{\"error\":{\"message\":\"slow\",\"x\":1}}";
    let (url, calls) = failing_provider(SLOW_DOWN);
    let d2 = tempfile::tempdir().unwrap();
    let d = d2.path();
    set(d, &url);
    for _ in 0..3 {
        analyze(d);
    }
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    // The pill another run shows says so, with the provider's wait.
    let status = ok(d, &["providers", "list"]);
    let local = status["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["settings"]["id"] == "local")
        .unwrap()["health"]
        .clone();
    assert_eq!(local["state"], "paused", "{local}");
    assert!(
        local["detail"].as_str().unwrap().contains("4 min"),
        "{local}"
    );
}
