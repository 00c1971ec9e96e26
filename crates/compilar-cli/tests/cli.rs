//! The built `compilar-cli` binary on temporary data folders: every command, the `--json` shapes, exit codes,
//! bad input for each command (a clear error, nothing changed), and the window's core and the CLI writing one
//! assessment at the same time.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

#[path = "cli/coaching.rs"]
mod coaching;
#[path = "cli/data.rs"]
mod data;
#[path = "cli/providers.rs"]
mod providers;

fn force_score(results: &Value, force: &str) -> f64 {
    results["forces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["force"] == force)
        .unwrap()["score"]
        .as_f64()
        .unwrap()
}

/// Answers every question of a new assessment with `value` and completes it; returns its results.
fn completed(dir: &Path, group: &str, value: i64) -> (String, Value) {
    let a = ok(
        dir,
        &[
            "assessment",
            "create",
            "--pillar",
            "grpprosp",
            "--mode",
            "egalitarian",
            "--group",
            group,
        ],
    );
    let id = a["id"].as_str().unwrap().to_owned();
    for q in a["questions"].as_array().unwrap() {
        ok(
            dir,
            &[
                "assessment",
                "answer",
                &id,
                q["id"].as_str().unwrap(),
                &value.to_string(),
            ],
        );
    }
    let done = ok(dir, &["assessment", "complete", &id]);
    (id, done["results"].clone())
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_compilar-cli"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        // No keychain in tests: the Secret Service probe answers at once without a session bus.
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .expect("run compilar-cli")
}

/// Runs with `--json`, expects success, returns the one JSON document on stdout.
fn ok(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    assert!(
        out.status.success(),
        "{args:?} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} printed no single JSON document ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Runs with `--json`, expects exit code `code` and a JSON error with `error_code` on stderr, nothing on stdout.
fn fails(dir: &Path, args: &[&str], code: i32, error_code: &str) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: stderr {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
    let v: Value = serde_json::from_slice(&out.stderr).expect("a JSON error on stderr");
    assert_eq!(v["error"]["code"], error_code, "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert!(v["error"]["retryable"].is_boolean());
    v
}

fn create(dir: &Path) -> Value {
    ok(
        dir,
        &[
            "assessment",
            "create",
            "--pillar",
            "grpprosp",
            "--mode",
            "egalitarian",
        ],
    )
}

#[test]
fn assessment_commands_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = create(d);
    let id = a["id"].as_str().unwrap().to_owned();
    assert_eq!(a["stage"], "quiz");
    let questions: Vec<String> = a["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(questions.len(), 12);

    let ack = ok(d, &["assessment", "answer", &id, &questions[0], "4"]);
    assert_eq!(ack["value"], 4);
    ok(d, &["assessment", "answer", &id, &questions[0], "2"]);
    ok(d, &["assessment", "answer", &id, &questions[1], "5"]);
    let shown = ok(d, &["assessment", "show", &id]);
    assert_eq!(shown["answers"][&questions[0]], 2);
    assert_eq!(shown["answered"], 2);

    let listed = ok(
        d,
        &["assessment", "list", "--pillar", "grpprosp", "--limit", "5"],
    );
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["id"], id.as_str());
    assert_eq!(listed["limit"], 5);

    let done = ok(d, &["assessment", "complete", &id]);
    assert_eq!(done["stage"], "completed");
    assert!(done["results"]["pillar_score"].is_number());

    let r = ok(d, &["assessment", "delete", &id]);
    assert_eq!(r["id"], id.as_str());
    assert_eq!(ok(d, &["assessment", "list"])["total"], 0);
    let back = ok(d, &["assessment", "restore", &id]);
    assert_eq!(back["deleted_at"], Value::Null);
    assert_eq!(ok(d, &["assessment", "list"])["total"], 1);

    // For people: readable text, the same facts.
    let out = run(d, &["assessment", "show", &id]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&id) && text.contains("completed") && text.contains("Results:"),
        "{text}"
    );
}

#[test]
fn bad_input_is_a_caller_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = create(d);
    let id = a["id"].as_str().unwrap().to_owned();
    let q = a["questions"][0]["id"].as_str().unwrap().to_owned();
    let before = ok(d, &["assessment", "show", &id]);

    fails(
        d,
        &[
            "assessment",
            "create",
            "--pillar",
            "nope",
            "--mode",
            "egalitarian",
        ],
        2,
        "unknown_pillar",
    );
    fails(
        d,
        &[
            "assessment",
            "create",
            "--pillar",
            "grpprosp",
            "--mode",
            "sideways",
        ],
        2,
        "unknown_mode",
    );
    fails(
        d,
        &[
            "assessment",
            "create",
            "--pillar",
            "ownprosp",
            "--mode",
            "egalitarian",
        ],
        2,
        "pillar_mode_mismatch",
    );
    fails(
        d,
        &["assessment", "answer", &id, &q, "9"],
        2,
        "value_out_of_range",
    );
    fails(
        d,
        &["assessment", "answer", &id, &q, "-1"],
        2,
        "value_out_of_range",
    );
    fails(
        d,
        &["assessment", "answer", &id, "no.such.question", "3"],
        2,
        "unknown_question",
    );
    fails(
        d,
        &["assessment", "answer", "not-an-id", &q, "3"],
        2,
        "invalid_id",
    );
    let missing = "01900000-0000-7000-8000-000000000000";
    fails(
        d,
        &["assessment", "show", missing],
        2,
        "assessment_not_found",
    );
    fails(d, &["assessment", "complete", &id], 2, "no_answers");
    fails(d, &["assessment", "restore", &id], 2, "not_deleted");
    fails(d, &["assessment", "delete", "x"], 2, "invalid_id");
    fails(
        d,
        &["assessment", "list", "--limit", "0"],
        2,
        "out_of_range",
    );
    fails(
        d,
        &["assessment", "list", "--mode", "sideways"],
        2,
        "unknown_mode",
    );
    let long = "x".repeat(6000);
    fails(d, &["search", &long], 2, "payload_too_large");
    fails(d, &["search", "   "], 2, "empty_input");
    fails(
        d,
        &["search", "trust", "--pillar", "nope"],
        2,
        "unknown_pillar",
    );
    fails(d, &["search", "trust", "--count", "0"], 2, "out_of_range");
    fails(
        d,
        &["documents", "delete", missing],
        2,
        "document_not_found",
    );

    assert_eq!(
        ok(d, &["assessment", "show", &id]),
        before,
        "a rejected call changed the assessment"
    );
    assert_eq!(ok(d, &["assessment", "list"])["total"], 1);

    // Arguments the parser rejects: exit 2 with clap's usage message.
    let out = run(d, &["assessment", "answer", &id]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(d, &["assessment", "answer", &id, &q, "three"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(d, &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));

    // Human errors name the code.
    let out = run(d, &["assessment", "show", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(invalid_id)"));
}

#[test]
fn a_data_folder_that_cannot_be_used_is_not_a_caller_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let out = run(&file, &["--json", "assessment", "list"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(v["error"]["code"], "io_error");
}

#[test]
fn framework_search_documents_jobs_and_doctor() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fw = ok(d, &["framework"]);
    assert_eq!(fw["framework"]["pillars"].as_array().unwrap().len(), 10);
    assert_eq!(fw["framework"]["forces"].as_array().unwrap().len(), 20);
    let text = String::from_utf8_lossy(&run(d, &["framework"]).stdout).into_owned();
    assert!(
        text.contains("Group Prospects") && text.contains("Forces:"),
        "{text}"
    );

    let hits = ok(
        d,
        &[
            "search",
            "people are afraid to speak up in meetings",
            "--count",
            "3",
        ],
    );
    assert_eq!(hits["hits"].as_array().unwrap().len(), 3);
    let hits = ok(
        d,
        &[
            "search",
            "trust",
            "--mode",
            "hierarchical",
            "--pillar",
            "incresp",
        ],
    );
    for h in hits["hits"].as_array().unwrap() {
        assert_eq!(h["pillar"], "incresp");
    }
    // Match strength in words, "no good match" for gibberish, and a passage opened in full by the id the
    // search shows.
    let text = String::from_utf8_lossy(
        &run(
            d,
            &["search", "people are afraid to disagree with the boss"],
        )
        .stdout,
    )
    .into_owned();
    assert!(
        text.contains("Strong match") && !text.contains("No good match"),
        "{text}"
    );
    let text = String::from_utf8_lossy(&run(d, &["search", "xkq zzvv plorb"]).stdout).into_owned();
    assert!(
        text.starts_with("No good match") && text.contains("Weak match"),
        "{text}"
    );
    let id = hits["hits"][0]["chunk_id"].as_i64().unwrap();
    let p = ok(d, &["passage", &id.to_string()]);
    assert_eq!(p["passage_id"], hits["hits"][0]["passage_id"]);
    assert_eq!(p["related"].as_array().unwrap().len(), 4);
    let text = String::from_utf8_lossy(&run(d, &["passage", &id.to_string()]).stdout).into_owned();
    assert!(text.contains("Close to this:"), "{text}");
    fails(d, &["passage", "999999"], 2, "passage_not_found");

    // The window's look for this data folder: shown, changed one part at a time, bad values refused.
    let a = ok(d, &["appearance"]);
    assert_eq!(
        (a["theme"].as_str(), a["zoom"].as_f64()),
        (Some("system"), Some(1.0))
    );
    ok(d, &["appearance", "--theme", "dark"]);
    let a = ok(d, &["appearance", "--zoom", "125"]);
    assert_eq!(
        (a["theme"].as_str(), a["zoom"].as_f64()),
        (Some("dark"), Some(1.25))
    );
    fails(d, &["appearance", "--theme", "purple"], 2, "out_of_range");
    fails(d, &["appearance", "--zoom", "300"], 2, "out_of_range");
    let a = ok(d, &["appearance"]);
    assert_eq!(
        (a["theme"].as_str(), a["zoom"].as_f64()),
        (Some("dark"), Some(1.25))
    );

    let note = d.join("retro-notes.md");
    std::fs::write(
        &note,
        "# Retro notes\n\nThe night-shift crew shares a ritual of quince tea before handover.\n",
    )
    .unwrap();
    let bad = d.join("slides.docx");
    std::fs::write(&bad, b"PK\x03\x04").unwrap();
    // One good file and one refused: the good one is imported, the run exits 2 and lists both.
    let out = run(
        d,
        &[
            "--json",
            "documents",
            "import",
            note.to_str().unwrap(),
            bad.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results[0]["document"]["title"], "Retro notes");
    assert_eq!(results[1]["error"]["code"], "unsupported_document");
    let docs = ok(d, &["documents", "list"]);
    assert_eq!(docs.as_array().unwrap().len(), 1);
    let doc_id = docs[0]["id"].as_str().unwrap().to_owned();
    let found = ok(d, &["search", "quince tea ritual"]);
    assert_eq!(found["hits"][0]["source"]["id"], doc_id.as_str());
    let missing = d.join("gone.md");
    let out = run(
        d,
        &["--json", "documents", "import", missing.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results[0]["error"]["code"], "document_unreadable");
    assert_eq!(results[0]["error"]["retryable"], false);

    ok(d, &["documents", "delete", &doc_id]);
    assert_eq!(ok(d, &["documents", "list"]).as_array().unwrap().len(), 0);

    assert_eq!(ok(d, &["jobs"]), Value::Array(vec![]));
    let doc = ok(d, &["doctor"]);
    assert_eq!(doc["integrity"], "ok");
    assert_eq!(doc["providers"].as_array().unwrap().len(), 3);
    let versions: Vec<i64> = doc["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>());
    assert!(doc["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["matches_build"] == true));
    assert!(doc["keychain"]["available"].is_boolean());
}

/// The window (its core, in this process) and several `compilar-cli` processes answer one assessment at the
/// same time: every answer is there afterwards, each question with its writer's last value, and the window's
/// core sees the CLI's answers without restarting.
#[test]
fn the_app_and_the_cli_write_one_assessment_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt
        .block_on(compilar_core::App::open_with(
            compilar_core::AppOptions::for_tests(dir.path()),
        ))
        .unwrap();
    let a = rt
        .block_on(
            app.assessments()
                .create(compilar_core::api::CreateAssessmentRequest {
                    pillar: "divsexp".into(),
                    mode: "egalitarian".into(),
                    include_fresh: None,
                    group_label: None,
                    note: None,
                    round_id: None,
                }),
        )
        .unwrap();
    let qs: Vec<String> = a.questions.iter().map(|q| q.id.clone()).collect();
    let (cli_qs, app_qs) = qs.split_at(6);
    const ROUNDS: i64 = 5;
    // Each CLI process answers its question ROUNDS times (values 1..=5, the last one 5).
    let children: Vec<_> = cli_qs
        .iter()
        .map(|q| {
            let (dir, id, q) = (dir.path().to_owned(), a.id.clone(), q.clone());
            std::thread::spawn(move || {
                for v in 1..=ROUNDS {
                    let out = run(&dir, &["assessment", "answer", &id, &q, &v.to_string()]);
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            })
        })
        .collect();
    // Meanwhile the window's core answers the other six, many times over (the last value 3).
    rt.block_on(async {
        for round in 0..40 {
            for q in app_qs {
                app.assessments()
                    .answer(compilar_core::api::AnswerRequest {
                        assessment_id: a.id.clone(),
                        question_id: q.clone(),
                        value: if round == 39 { 3 } else { 1 + round % 5 },
                    })
                    .await
                    .unwrap();
            }
        }
    });
    for c in children {
        c.join().unwrap();
    }
    let seen = rt.block_on(app.assessments().get(&a.id)).unwrap();
    assert_eq!(seen.answered, 12, "{:?}", seen.answers);
    for q in cli_qs {
        assert_eq!(seen.answers[q], ROUNDS, "{q}");
    }
    for q in app_qs {
        assert_eq!(seen.answers[q], 3, "{q}");
    }
    drop(app);
    // And a fresh CLI process sees the same.
    let shown = ok(dir.path(), &["assessment", "show", &a.id]);
    assert_eq!(shown["answered"], 12);
}

#[test]
fn a_full_profile_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = ok(
        d,
        &[
            "profile",
            "start",
            "--mode",
            "hierarchical",
            "--group",
            "Board",
        ],
    );
    let pid = a["profile_id"].as_str().unwrap().to_owned();
    assert_eq!(a["pillar"], "ownprosp");
    let id = a["id"].as_str().unwrap().to_owned();
    // Not started yet: `next` gives the same assessment back.
    assert_eq!(ok(d, &["profile", "next", &pid])["id"], id.as_str());
    for q in a["questions"].as_array().unwrap() {
        ok(
            d,
            &["assessment", "answer", &id, q["id"].as_str().unwrap(), "4"],
        );
    }
    ok(d, &["assessment", "complete", &id]);
    let p = ok(d, &["profile", "show", &pid]);
    assert_eq!(p["done"], 1);
    assert_eq!(p["next_pillar"], "dirrecip");
    assert_eq!(ok(d, &["profile", "next", &pid])["pillar"], "dirrecip");
    assert_eq!(ok(d, &["profile", "list"]).as_array().unwrap().len(), 1);
    let c = ok(d, &["profile", "compare-modes", "--group", "Board"]);
    assert!(c["letters"][0]["hierarchical"]["score"].is_number());
    assert!(c["letters"][0]["egalitarian"].is_null());
    fails(d, &["profile", "show", "not-an-id"], 2, "invalid_id");
    let out = run(d, &["profile", "show", &pid]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 of 5 pillars done") && text.contains("Next: dirrecip"),
        "{text}"
    );
}

/// What others wrote reaches the terminal as text, never as commands: a note with escape sequences in it (as
/// an older version could have stored) is shown with visible stand-ins. Under --json every command prints
/// exactly one JSON document, argument errors included. A closed pipe ends the command quietly.
#[test]
fn the_terminal_gets_text_json_gets_one_document_and_a_closed_pipe_is_no_crash() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (id, _) = completed(d, "Team", 3);
    {
        let c = rusqlite::Connection::open(d.join("compilar.db")).unwrap();
        c.execute(
            "UPDATE assessments SET note = ?1, group_label = ?2 WHERE id = ?3",
            rusqlite::params![
                "\u{1b}]0;pwned\u{7}\u{1b}[2Jnote \u{1b}]52;c;ZXZpbA==\u{7}",
                "Team\u{9b}31m",
                id
            ],
        )
        .unwrap();
    }
    for args in [vec!["assessment", "show", &id], vec!["assessment", "list"]] {
        let out = run(d, &args);
        assert!(out.status.success(), "{args:?}");
        assert!(
            !out.stdout.iter().any(|&b| b == 0x1b || b == 0x07),
            "{args:?} printed an escape sequence: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains('\u{9b}'),
            "{args:?}"
        );
    }
    let shown = String::from_utf8_lossy(&run(d, &["assessment", "show", &id]).stdout).into_owned();
    assert!(shown.contains("\u{241b}]0;pwned"), "{shown}");
    // JSON escapes them by construction, and keeps the text exact.
    let v = ok(d, &["assessment", "show", &id]);
    assert!(v["note"].as_str().unwrap().starts_with("\u{1b}]0;pwned"));

    // Argument errors under --json: the documented JSON error, exit 2, nothing on stdout.
    for args in [
        vec!["assessment", "no-such-command"],
        vec!["assessment", "answer", &id],
        vec!["report"],
        vec!["assessment", "list", "--limit", "lots"],
    ] {
        let e = fails(d, &args, 2, "invalid_argument");
        let m = e["error"]["message"].as_str().unwrap();
        assert!(!m.contains('\u{1b}') && !m.is_empty(), "{m}");
    }
    // Without --json, clap's own words.
    let out = run(d, &["assessment", "no-such-command"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-command"));
    assert!(run(d, &["--json", "--help"]).status.success());
    // A conversation exported as Markdown under --json: one document.
    let conv = ok(d, &["chat", "new", "--title", "Notes"]);
    let cid = conv["id"].as_str().unwrap();
    let md = ok(d, &["chat", "export", cid]);
    assert_eq!(md["format"], "markdown");
    assert!(md["content"].as_str().unwrap().contains("Notes"));
    let js = ok(d, &["chat", "export", cid, "--format", "json"]);
    assert_eq!(js["conversation"]["title"], "Notes", "{js}");

    // A reader that goes away at once (`| head -c1`): no panic, exit 0.
    for args in [vec!["framework"], vec!["assessment", "show", &id]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_compilar-cli"))
            .arg("--data-dir")
            .arg(d)
            .args(&args)
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

/// The command-line tool logs like the window, into the data folder's `logs/`, at the level COMPILAR_LOG
/// says, and keeps its stderr for people.
#[test]
fn the_command_line_logs_to_the_data_folder_not_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = Command::new(env!("CARGO_BIN_EXE_compilar-cli"))
        .arg("--data-dir")
        .arg(d)
        .args(["assessment", "show", "0190c3a0-0000-7000-8000-000000000000"])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("COMPILAR_LOG", "debug")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("INFO") && !stderr.contains("DEBUG"),
        "{stderr}"
    );
    let logs: Vec<_> = std::fs::read_dir(d.join("logs"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("compilar-cli"))
        .collect();
    assert_eq!(logs.len(), 1);
    let text = std::fs::read_to_string(logs[0].path()).unwrap();
    assert!(text.contains("compilar-cli started"), "{text}");
    assert!(text.contains("assessment_not_found"), "{text}");
    assert!(
        text.contains("DEBUG"),
        "COMPILAR_LOG=debug is obeyed: {text}"
    );
}

#[test]
fn shell_completions_come_from_the_definitions_and_touch_no_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("never-created");
    let out = run(&d, &["completions", "bash"]);
    assert!(out.status.success());
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(
        script.contains("compilar-cli") && script.contains("assessment"),
        "{script}"
    );
    assert!(script.contains("--restore-backup"));
    let v = ok(&d, &["completions", "fish"]);
    assert_eq!(v["format"], "fish");
    assert!(v["content"]
        .as_str()
        .unwrap()
        .contains("complete -c compilar-cli"));
    assert!(!d.exists(), "completions created the data folder");
    let out = run(&d, &["completions", "nosuchshell"]);
    assert_eq!(out.status.code(), Some(2));
    // The manual page, from the same definitions.
    let out = run(&d, &["man"]);
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.starts_with(".ie") || page.contains(".TH"), "{page}");
    assert!(
        page.contains("compilar\\-cli") && page.contains("assessment"),
        "{page}"
    );
    assert!(!d.exists(), "the manual page created the data folder");
}
