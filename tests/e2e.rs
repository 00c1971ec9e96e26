//! End to end in the real app window: tauri-driver + WebKitWebDriver drive the built app under a display
//! (Xvfb in CI) through a whole assessment, the results page and history with delete and undo.
//!
//! Needs: `DISPLAY`, `tauri-driver` and `WebKitWebDriver` on PATH, and the built app (`target/debug/compilar`,
//! or `COMPILAR_APP`). Outside CI it skips itself with a message when these are missing; with `CI` set it
//! fails instead, so CI can never pass without running it.

use std::collections::HashMap;
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::fake_llm::{ollama_embed_of_input, ollama_stream, ollama_tags, End, FakeServer};
use compilar_core::domain::{score, Domain};
use fantoccini::{Client, ClientBuilder, Locator};

const DRIVER_PORT: u16 = 4444;

fn app_path() -> PathBuf {
    std::env::var_os("COMPILAR_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/compilar")
        })
}

fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(cmd))
            .find(|p| p.is_file())
    })
}

/// Why the test cannot run here, if it cannot.
fn missing_prerequisite() -> Option<String> {
    if std::env::var_os("DISPLAY").is_none() {
        return Some("DISPLAY is not set (run under xvfb-run)".into());
    }
    if !app_path().is_file() {
        return Some(format!("the app is not built at {}", app_path().display()));
    }
    for tool in ["tauri-driver", "WebKitWebDriver", "xdotool", "import"] {
        if which(tool).is_none() {
            return Some(format!("{tool} is not on PATH"));
        }
    }
    None
}

/// tauri-driver in its own process group, stopped with SIGTERM to the whole group (SIGKILL would leave
/// WebKitWebDriver and the app running).
struct Driver(Child);

impl Driver {
    fn start(data_home: &Path) -> Driver {
        let child = Command::new("tauri-driver")
            .args(["--port", &DRIVER_PORT.to_string()])
            .env("XDG_DATA_HOME", data_home)
            .env_remove("COMPILAR_DATA_DIR")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .expect("start tauri-driver");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", DRIVER_PORT)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "tauri-driver did not start listening"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver(child)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let pid = self.0.id() as libc::pid_t;
        // SAFETY: plain syscalls on a child we spawned; the group is signalled only if it is the child's own.
        let (group, ours) = unsafe { (libc::getpgid(pid), libc::getpgrp()) };
        if group == pid && group != ours {
            unsafe { libc::kill(-group, libc::SIGTERM) };
        } else {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

async fn css(c: &Client, sel: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(sel))
        .await
        .unwrap_or_else(|e| panic!("waiting for {sel}: {e}"))
}

async fn text_of(c: &Client, sel: &str) -> String {
    css(c, sel).await.text().await.unwrap()
}

/// Polls `f` until it returns Some, for at most 10 s.
async fn until<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

/// Saves what the app window shows. Taken from the X server (ImageMagick's `import`), not through WebDriver:
/// the app runs with WebKitGTK's DMA-BUF renderer off, as users get it, and in that mode WebKitWebDriver's
/// screenshot command never returns.
async fn screenshot(name: &str) {
    // Let the page paint first (the DOM can be ahead of the last frame).
    tokio::time::sleep(Duration::from_millis(400)).await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let ids = xdotool(&["search", "--onlyvisible", "--name", "^Compilar$"]);
    let id = ids.lines().next().expect("the app window is visible");
    let file = dir.join(format!("{name}.png"));
    x_tool("import", &["-window", id, &file.display().to_string()]);
}

#[tokio::test]
async fn take_an_assessment_in_the_real_window() {
    if let Some(why) = missing_prerequisite() {
        if std::env::var_os("CI").is_some() {
            panic!("the end-to-end test must run in CI, but {why}");
        }
        eprintln!("SKIPPED end-to-end test: {why}");
        return;
    }
    let data_home = tempfile::tempdir().unwrap();
    let _driver = Driver::start(data_home.path());
    let caps = serde_json::json!({
        "browserName": "wry",
        "tauri:options": { "application": app_path() }
    });
    let caps = caps.as_object().unwrap().clone().into_iter().collect();
    let c = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{DRIVER_PORT}"))
        .await
        .expect("WebDriver session");

    // Home → pillar (Prospects) → mode (egalitarian: Group Prospects) → quiz.
    css(&c, "[data-testid=start]").await.click().await.unwrap();
    css(&c, "[data-testid=letter-prospects]")
        .await
        .click()
        .await
        .unwrap();
    css(&c, "[data-testid=mode-egalitarian]")
        .await
        .click()
        .await
        .unwrap();
    screenshot("select").await;
    css(&c, "[data-testid=begin]").await.click().await.unwrap();

    // Answer every question; the quiz moves on to the next unanswered one by itself.
    let mut given: HashMap<String, i64> = HashMap::new();
    for n in 1..=12 {
        let (qid, el) = until("an unanswered question", || async {
            let q = c.find(Locator::Css("[data-testid=question]")).await.ok()?;
            let qid = q.attr("data-question-id").await.ok()??;
            if given.contains_key(&qid) {
                return None;
            }
            Some((qid, q))
        })
        .await;
        let _ = el;
        let value = (n % 5 + 1) as i64;
        if n == 6 {
            // Keyboard use: a digit answers the current question.
            c.active_element()
                .await
                .unwrap()
                .send_keys(&value.to_string())
                .await
                .unwrap();
        } else {
            css(&c, &format!("[data-testid=answer-{value}]"))
                .await
                .click()
                .await
                .unwrap();
        }
        given.insert(qid, value);
        let want = format!("{n} of 12 answered");
        until("the progress to update", || async {
            let t = c
                .find(Locator::Css("[data-testid=progress-text]"))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            (t == want).then_some(())
        })
        .await;
        if n == 7 {
            screenshot("quiz").await;
        }
    }

    // Go back one question and change its answer.
    css(&c, "[data-testid=prev]").await.click().await.unwrap();
    let q = css(&c, "[data-testid=question]").await;
    let changed = q.attr("data-question-id").await.unwrap().unwrap();
    css(&c, "[data-testid=answer-1]")
        .await
        .click()
        .await
        .unwrap();
    until("the changed answer to show", || async {
        let el = c.find(Locator::Css("[data-testid=answer-1]")).await.ok()?;
        (el.attr("aria-checked").await.ok()?? == "true").then_some(())
    })
    .await;
    given.insert(changed, 1);
    assert_eq!(
        text_of(&c, "[data-testid=progress-text]").await,
        "12 of 12 answered"
    );

    // Finish → results, with the score the core's scoring gives for exactly these answers.
    css(&c, "[data-testid=finish]").await.click().await.unwrap();
    let shown = text_of(&c, "[data-testid=pillar-score]").await;
    let domain = Domain::builtin().unwrap();
    let ids: Vec<String> = given.keys().cloned().collect();
    let expected = score(&domain, "grpprosp", &ids, &given).unwrap();
    assert_eq!(shown, format!("{}", expected.pillar_score.round() as i64));
    assert!(text_of(&c, "[data-testid=results-title]")
        .await
        .contains("Group Prospects"));
    let forces = c
        .find_all(Locator::Css("[data-testid=force-score]"))
        .await
        .unwrap();
    assert_eq!(forces.len(), 4);
    css(&c, "[data-testid=force-chart] canvas").await;
    screenshot("results").await;

    // History: the assessment is listed; delete it, then undo.
    css(&c, "[data-testid=nav-history]")
        .await
        .click()
        .await
        .unwrap();
    css(&c, "[data-testid=history-item]").await;
    screenshot("history").await;
    css(&c, "[data-testid=delete]").await.click().await.unwrap();
    css(&c, "[data-testid=undo-toast]").await;
    assert!(c
        .find(Locator::Css("[data-testid=history-item]"))
        .await
        .is_err());
    css(&c, "[data-testid=undo]").await.click().await.unwrap();
    css(&c, "[data-testid=history-item]").await;

    // Home lists it as a recent result.
    css(&c, "[data-testid=nav-home]")
        .await
        .click()
        .await
        .unwrap();
    css(&c, "[data-testid=recent-item]").await;
    screenshot("home").await;

    let server = FakeServer::start().await;
    ai_settings_stream_and_diagnostics(&c, &server).await;
    knowledge_search_and_explorer(&c).await;
    documents_and_search_model(&c, &server).await;

    c.close().await.unwrap();
    println!("e2e: completed an assessment in the real window (score {shown})");
}

/// Settings → turn on the local model pointed at a local Ollama-speaking server, stream an answer in
/// "Try a prompt", stop a second one mid-way, then read the breaker and the call log in Diagnostics.
async fn ai_settings_stream_and_diagnostics(c: &Client, server: &FakeServer) {
    server.on("/api/tags", ollama_tags(&["llama3.2:latest"]));
    server.on(
        "/api/chat",
        ollama_stream(
            &["**Psychological safety** ", "lets people ", "speak up."],
            "llama3.2",
            Duration::from_millis(60),
            End::Complete,
        ),
    );

    css(c, "[data-testid=nav-settings]")
        .await
        .click()
        .await
        .unwrap();
    css(c, "[data-testid=provider-enabled-local]")
        .await
        .click()
        .await
        .unwrap();
    let url = css(c, "[data-testid=base-url-local]").await;
    url.clear().await.unwrap();
    url.send_keys(&server.url()).await.unwrap();
    css(c, "[data-testid=save-providers]")
        .await
        .click()
        .await
        .unwrap();
    css(c, "[data-testid=saved-note]").await;
    assert!(text_of(c, "[data-testid=provider-status-local]")
        .await
        .starts_with("Ready"));
    css(c, "[data-testid=test-local]")
        .await
        .click()
        .await
        .unwrap();
    assert!(text_of(c, "[data-testid=test-result-local]")
        .await
        .contains("1 models available"));

    // Stream an answer: Markdown is rendered, the meta line names the provider.
    css(c, "[data-testid=ask]").await.click().await.unwrap();
    let meta = text_of(c, "[data-testid=answer-meta]").await;
    assert!(
        meta.contains("Local model") && meta.contains("llama3.2"),
        "{meta}"
    );
    let html = css(c, "[data-testid=answer-text]")
        .await
        .html(true)
        .await
        .unwrap();
    assert!(
        html.contains("<strong>Psychological safety</strong>"),
        "{html}"
    );
    let body = &server.requests("/api/chat")[0].json();
    assert_eq!(body["options"]["num_ctx"], 8192);
    c.execute(
        "document.querySelector('[data-testid=playground]').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    screenshot("settings").await;

    // A slow answer, stopped after the first words.
    let words: Vec<String> = (0..40).map(|i| format!("word{i} ")).collect();
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    server.on(
        "/api/chat",
        ollama_stream(&refs, "llama3.2", Duration::from_millis(150), End::Complete),
    );
    css(c, "[data-testid=ask]").await.click().await.unwrap();
    until("the first words", || async {
        let t = c
            .find(Locator::Css("[data-testid=answer-text]"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        t.contains("word0").then_some(())
    })
    .await;
    css(c, "[data-testid=stop]").await.click().await.unwrap();
    until("the stopped state", || async {
        let a = c.find(Locator::Css("[data-testid=answer]")).await.ok()?;
        (a.attr("data-status").await.ok()?? == "stopped").then_some(())
    })
    .await;

    // Diagnostics: the local breaker is healthy and the calls are logged (newest first).
    css(c, "[data-testid=nav-diagnostics]")
        .await
        .click()
        .await
        .unwrap();
    let b = css(c, "[data-testid=breaker-local]").await;
    assert_eq!(
        b.attr("data-state").await.unwrap().as_deref(),
        Some("closed")
    );
    css(c, "[data-testid=call-log]").await;
    let outcomes: Vec<String> = {
        let rows = c
            .find_all(Locator::Css("[data-testid=call-log] tbody tr"))
            .await
            .unwrap();
        let mut v = Vec::new();
        for r in rows {
            v.push(r.attr("data-outcome").await.unwrap().unwrap_or_default());
        }
        v
    };
    assert_eq!(
        outcomes,
        ["cancelled", "ok", "ok"],
        "stream stopped, stream, connection test"
    );
    assert!(text_of(c, "[data-testid=rate-limit]")
        .await
        .contains("48 of 50 left"));
    screenshot("diagnostics").await;
}

/// Knowledge: a search in everyday words finds the right passages (with the words marked), and the framework
/// explorer draws a mode's connection graph.
async fn knowledge_search_and_explorer(c: &Client) {
    css(c, "[data-testid=nav-knowledge]")
        .await
        .click()
        .await
        .unwrap();
    css(c, "[data-testid=kb-query]")
        .await
        .send_keys("people are afraid to disagree with the boss")
        .await
        .unwrap();
    css(c, "[data-testid=kb-search]")
        .await
        .click()
        .await
        .unwrap();
    css(c, "[data-testid=kb-hit]").await;
    let hits = c
        .find_all(Locator::Css("[data-testid=kb-hit]"))
        .await
        .unwrap();
    assert_eq!(hits.len(), 10);
    let mut top = Vec::new();
    for h in hits.iter().take(5) {
        top.push(h.attr("data-passage").await.unwrap().unwrap_or_default());
    }
    assert!(
        top.iter()
            .any(|p| p.starts_with("force.voice_safety.hierarchical")),
        "{top:?}"
    );
    assert!(!c
        .find_all(Locator::Css("[data-testid=kb-hit] mark"))
        .await
        .unwrap()
        .is_empty());
    // Filters: hierarchical mode only.
    css(c, "[data-testid=kb-mode] option[value=hierarchical]")
        .await
        .click()
        .await
        .unwrap();
    css(c, "[data-testid=kb-search]")
        .await
        .click()
        .await
        .unwrap();
    until("filtered results", || async {
        let hits = c
            .find_all(Locator::Css("[data-testid=kb-hit]"))
            .await
            .ok()?;
        let mut all = !hits.is_empty();
        for h in hits {
            let p = h.attr("data-passage").await.ok()??;
            all &= !p.contains(".egalitarian");
        }
        all.then_some(())
    })
    .await;
    css(c, "[data-testid=force-graph] canvas").await;
    assert_eq!(
        c.find_all(Locator::Css("[data-testid=explore-pillar]"))
            .await
            .unwrap()
            .len(),
        5
    );
    screenshot("knowledge").await;
    c.execute(
        "document.querySelector('[data-testid=force-graph]').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    screenshot("explorer").await;
}

fn xdotool(args: &[&str]) -> String {
    x_tool("xdotool", args)
}

/// Runs an X client tool (at most 20 s) and returns what it printed; fails the test if it fails.
fn x_tool(tool: &str, args: &[&str]) -> String {
    let out = Command::new("timeout")
        .arg("20")
        .arg(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {tool}: {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Chooses `file` in the open GTK file chooser ("Import documents").
fn pick_in_file_dialog(file: &Path) {
    let ids = xdotool(&[
        "search",
        "--sync",
        "--onlyvisible",
        "--name",
        "^Import documents$",
    ]);
    let id = ids
        .lines()
        .next()
        .expect("the file dialog window")
        .to_owned();
    xdotool(&["windowfocus", "--sync", &id]);
    xdotool(&["key", "--clearmodifiers", "ctrl+l"]);
    xdotool(&["type", "--delay", "2", &file.display().to_string()]);
    // GTK may still be completing the typed path when the first Return arrives: press it until the dialog
    // has gone.
    let visible = || {
        Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", "^Import documents$"])
            .output()
            .is_ok_and(|o| !o.stdout.is_empty())
    };
    let start = Instant::now();
    while visible() {
        if start.elapsed() > Duration::from_secs(10) {
            let shot = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/e2e-screenshots/file-dialog.png");
            let _ = Command::new("import")
                .args(["-window", "root"])
                .arg(&shot)
                .status();
            panic!("the file dialog did not close (screen: {})", shot.display());
        }
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("xdotool")
            .args(["key", "--window", &id, "Return"])
            .status();
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Status of every import row, once none is waiting or running.
async fn finished_imports(c: &Client, n: usize) -> Vec<String> {
    until("the imports to finish", || async {
        let rows = c
            .find_all(Locator::Css("[data-testid=import-row]"))
            .await
            .ok()?;
        let mut statuses = Vec::new();
        for r in rows {
            statuses.push(r.attr("data-status").await.ok()??);
        }
        (statuses.len() == n && statuses.iter().all(|s| s != "waiting" && s != "running"))
            .then_some(statuses)
    })
    .await
}

async fn count(c: &Client, sel: &str) -> usize {
    c.find_all(Locator::Css(sel)).await.map_or(0, |v| v.len())
}

async fn search_my_documents(c: &Client, query: &str) -> String {
    css(c, "[data-testid=nav-knowledge]")
        .await
        .click()
        .await
        .unwrap();
    css(c, "[data-testid=kb-source] option[value=documents]")
        .await
        .click()
        .await
        .unwrap();
    let q = css(c, "[data-testid=kb-query]").await;
    q.clear().await.unwrap();
    q.send_keys(query).await.unwrap();
    css(c, "[data-testid=kb-search]")
        .await
        .click()
        .await
        .unwrap();
    until("document hits", || async {
        let hit = c.find(Locator::Css("[data-testid=kb-hit]")).await.ok()?;
        let t = hit.text().await.ok()?;
        t.to_lowercase()
            .contains(&query.split(' ').next()?.to_lowercase())
            .then_some(t)
    })
    .await
}

/// Documents: import a Markdown file and a PDF (and refuse a .docx) through the file picker, see them listed
/// with counts, find them from the Knowledge page, switch the search model to the local server's embedding
/// model with progress, and delete a document. WebDriver cannot reach the system file picker, so it is
/// driven with X key events (xdotool).
async fn documents_and_search_model(c: &Client, server: &FakeServer) {
    server.on("/api/embed", ollama_embed_of_input(768));
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("harbour.md");
    let mut text = String::from("# Harbour pilots handbook\n\n");
    for i in 0..30 {
        text.push_str(&format!(
            "## Shift {i}\n\nOn shift {i} the harbour pilots hand over the wheel at quay {i} and agree who decides when the fog rolls in.\n\n"
        ));
    }
    std::fs::write(&md, text).unwrap();
    let pdf = dir.path().join("rota.pdf");
    std::fs::write(
        &pdf,
        common::pdf::pdf(
            &[
                &[
                    "Lighthouse keepers rota",
                    "Each keeper signs the logbook at dawn.",
                ],
                &["Disputes about the rota go to the whole crew, not the senior keeper."],
            ],
            Some("Lighthouse keepers rota"),
        ),
    )
    .unwrap();
    let docx = dir.path().join("minutes.docx");
    std::fs::write(&docx, b"PK\x03\x04").unwrap();

    css(c, "[data-testid=nav-documents]")
        .await
        .click()
        .await
        .unwrap();
    css(c, "[data-testid=doc-empty]").await;
    // The real system file picker (GTK), driven with X key events: open the location bar, type the path.
    for file in [&md, &pdf, &docx] {
        css(c, "[data-testid=doc-choose]")
            .await
            .click()
            .await
            .unwrap();
        pick_in_file_dialog(file);
    }
    let statuses = finished_imports(c, 3).await;
    assert_eq!(statuses, ["done", "done", "failed"]);
    let rows = c
        .find_all(Locator::Css("[data-testid=import-status]"))
        .await
        .unwrap();
    assert!(rows[2].text().await.unwrap().contains("PDF (.pdf)"));
    until("two documents listed", || async {
        (count(c, "[data-testid=doc-row]").await == 2).then_some(())
    })
    .await;
    let listed = text_of(c, "[data-testid=doc-row]:last-child").await;
    assert!(listed.contains("Harbour pilots handbook"), "{listed}");
    screenshot("documents").await;

    // Found from the Knowledge page with the built-in model.
    let hit = search_my_documents(c, "harbour pilots fog").await;
    assert!(hit.contains("Harbour pilots handbook"), "{hit}");

    // Switch the search model to the local server's embedding model.
    css(c, "[data-testid=nav-documents]")
        .await
        .click()
        .await
        .unwrap();
    css(
        c,
        "[data-testid=model-row][data-model='local:nomic-embed-text'] [data-testid=model-use]",
    )
    .await
    .click()
    .await
    .unwrap();
    until("the local model in use", || async {
        let row = c
            .find(Locator::Css(
                "[data-testid=model-row][data-model='local:nomic-embed-text']",
            ))
            .await
            .ok()?;
        row.text().await.ok()?.contains("In use").then_some(())
    })
    .await;
    assert!(server.count("/api/embed") > 0);
    css(c, "[data-testid=search-model]")
        .await
        .click()
        .await
        .unwrap();
    c.execute(
        "document.querySelector('[data-testid=search-model]').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    screenshot("search-model").await;
    let before = server.count("/api/embed");
    let hit = search_my_documents(c, "lighthouse keeper disputes").await;
    assert!(hit.contains("Lighthouse keepers rota"), "{hit}");
    assert!(
        server.count("/api/embed") > before,
        "the query was embedded by the new model"
    );

    // Delete one document (two steps).
    css(c, "[data-testid=nav-documents]")
        .await
        .click()
        .await
        .unwrap();
    css(c, "[data-testid=doc-row] [data-testid=doc-delete]")
        .await
        .click()
        .await
        .unwrap();
    css(c, "[data-testid=doc-confirm-delete]")
        .await
        .click()
        .await
        .unwrap();
    until("one document left", || async {
        (count(c, "[data-testid=doc-row]").await == 1).then_some(())
    })
    .await;
}
