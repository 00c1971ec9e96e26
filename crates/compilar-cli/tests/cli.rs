//! The built `compilar-cli` binary on temporary data folders: every command, the `--json` shapes, exit codes,
//! bad input for each command (a clear error, nothing changed), and the window's core and the CLI writing one
//! assessment at the same time.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

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

/// A damaged database: every command says so (and how to recover, in words); `recover` shows the state and
/// the backups; `--start-fresh` sets the file aside (kept) and the next command starts empty.
#[test]
fn a_damaged_database_is_named_and_recovered_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    ok(
        dir.path(),
        &[
            "assessment",
            "create",
            "--pillar",
            "grpprosp",
            "--mode",
            "egalitarian",
        ],
    );
    let db = dir.path().join("compilar.db");
    for f in ["compilar.db-wal", "compilar.db-shm"] {
        let _ = std::fs::remove_file(dir.path().join(f));
    }
    std::fs::write(&db, vec![0x5a; 8192]).unwrap();
    fails(dir.path(), &["assessment", "list"], 1, "database_damaged");
    let out = run(dir.path(), &["assessment", "list"]);
    let words = String::from_utf8_lossy(&out.stderr);
    assert!(words.contains("compilar-cli recover"), "{words}");
    let status = ok(dir.path(), &["recover"]);
    assert!(status["damage"].is_string(), "{status}");
    let done = ok(dir.path(), &["recover", "--start-fresh"]);
    let kept = done["damaged_kept_at"].as_str().unwrap();
    assert!(Path::new(kept).exists());
    assert_eq!(std::fs::read(kept).unwrap(), vec![0x5a; 8192]);
    let list = ok(dir.path(), &["assessment", "list"]);
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    // Nothing to restore: said plainly, exit 1.
    std::fs::write(&db, vec![0x5a; 8192]).unwrap();
    fails(
        dir.path(),
        &["recover", "--restore-backup"],
        1,
        "no_usable_backup",
    );
}

#[test]
fn coach_reports_and_chat_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = create(d);
    let id = a["id"].as_str().unwrap().to_owned();
    // Not completed yet: a caller error, nothing written.
    fails(d, &["coach", "report", &id], 2, "assessment_not_completed");
    for q in a["questions"].as_array().unwrap() {
        ok(
            d,
            &["assessment", "answer", &id, q["id"].as_str().unwrap(), "2"],
        );
    }
    ok(d, &["assessment", "complete", &id]);

    // No provider: the offline coach, streamed to stdout for people, with its sources and who wrote it.
    let out = run(d, &["coach", "report", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("## Where to focus"), "{text}");
    assert!(text.contains("Sources:\n  [1] "));
    assert!(text.contains("Written by the offline coach."));
    let state = ok(d, &["coach", "show", &id]);
    assert_eq!(state["report"]["writer"], "offline");
    assert!(!state["report"]["citations"].as_array().unwrap().is_empty());
    let again = ok(d, &["coach", "report", &id, "--offline"]);
    assert_eq!(again["report"]["content"], state["report"]["content"]);
    let md = run(d, &["coach", "export", &id]);
    assert!(String::from_utf8_lossy(&md.stdout).contains("## Sources"));
    fails(
        d,
        &["coach", "report", &id, "--exclude", "nobody"],
        2,
        "unknown_provider",
    );

    // Chat: new (about the result), send, list, show, search, export, delete and restore.
    let c = ok(d, &["chat", "new", "--about", &id]);
    let cid = c["id"].as_str().unwrap().to_owned();
    assert_eq!(c["title"], "About Group Prospects");
    let reply = ok(
        d,
        &[
            "chat",
            "send",
            &cid,
            "How do we share one picture of the future?",
        ],
    );
    assert_eq!(reply["question"]["role"], "user");
    assert_eq!(reply["answer"]["writer"], "knowledge");
    let list = ok(d, &["chat", "list"]);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["messages"], 2);
    let shown = ok(d, &["chat", "show", &cid]);
    assert_eq!(shown["messages"].as_array().unwrap().len(), 2);
    let hits = ok(d, &["chat", "search", "picture"]);
    assert_eq!(hits["hits"][0]["conversation_id"], cid.as_str());
    let md = run(d, &["chat", "export", &cid]);
    assert!(String::from_utf8_lossy(&md.stdout).starts_with("# About Group Prospects"));
    let json = run(d, &["chat", "export", &cid, "--format", "json"]);
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    ok(d, &["chat", "delete", &cid]);
    fails(
        d,
        &["chat", "send", &cid, "hello"],
        2,
        "conversation_deleted",
    );
    ok(d, &["chat", "restore", &cid]);
    fails(d, &["chat", "send", &cid, "  "], 2, "empty_input");
    fails(
        d,
        &["chat", "show", "0190a0a0-0000-7000-8000-000000000000"],
        2,
        "conversation_not_found",
    );
}

#[test]
fn fresh_questions_without_a_provider_leave_the_bank_in_charge() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = ok(
        d,
        &[
            "questions",
            "generate",
            "--pillar",
            "grpprosp",
            "--mode",
            "egalitarian",
            "--count",
            "5",
        ],
    );
    assert_eq!(r["from_bank"], 5);
    assert!(r["notice"]
        .as_str()
        .unwrap()
        .starts_with("No AI provider is set up"));
    assert_eq!(ok(d, &["questions", "list"]), serde_json::json!([]));
    fails(
        d,
        &[
            "questions",
            "generate",
            "--pillar",
            "grpprosp",
            "--mode",
            "egalitarian",
            "--count",
            "21",
        ],
        2,
        "out_of_range",
    );
    fails(
        d,
        &[
            "questions",
            "remove",
            "0190a0a0-0000-7000-8000-000000000000",
        ],
        2,
        "question_not_found",
    );
}

#[test]
fn analyze_a_text_or_a_file_without_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = "People here keep their real views to themselves. Decisions drag on because everyone must agree.";
    let r = ok(d, &["analyze", "--text", text, "--mode", "egalitarian"]);
    assert_eq!(r["method"], "estimate");
    assert_eq!(r["pillars"].as_array().unwrap().len(), 5);
    let file = d.join("notes.txt");
    std::fs::write(&file, text).unwrap();
    let out = run(d, &["analyze", "--file", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("An estimate"));
    let long = d.join("long.txt");
    std::fs::write(&long, "word ".repeat(5_000)).unwrap();
    fails(
        d,
        &["analyze", "--file", long.to_str().unwrap()],
        2,
        "payload_too_large",
    );
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

#[test]
fn progress_compare_and_goals_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (first, r1) = completed(d, "Product team", 2);
    let goal = ok(
        d,
        &[
            "goals",
            "add",
            "--assessment",
            &first,
            "--force",
            "shared_vision",
            "--title",
            "Say where we are going",
        ],
    );
    let goal_id = goal["id"].as_str().unwrap().to_owned();
    assert_eq!(goal["practice_source"], "recommendation");
    assert_eq!(goal["baseline"], force_score(&r1, "shared_vision"));
    let g = ok(
        d,
        &[
            "goals", "checkin", &goal_id, "--rating", "4", "--note", "Better",
        ],
    );
    assert_eq!(g["checkins"][0]["rating"], 4);
    fails(
        d,
        &["goals", "checkin", &goal_id, "--rating", "9"],
        2,
        "value_out_of_range",
    );

    let (second, r2) = completed(d, "Product team", 4);
    // The difference of the whole points shown.
    let change =
        r2["pillar_score"].as_f64().unwrap().round() - r1["pillar_score"].as_f64().unwrap().round();
    assert!(change > 0.0);
    let p = ok(d, &["progress", "--group", "Product team"]);
    assert_eq!(p["totals"]["completed"], 2);
    assert_eq!(p["tracks"][0]["change"], change);
    assert_eq!(p["tracks"][0]["points"].as_array().unwrap().len(), 2);
    let c = ok(d, &["compare", &second, &first]);
    assert_eq!(c["before"]["assessment_id"], first.as_str());
    assert_eq!(c["change"], change);
    assert!(c["improved"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "Shared vision"));
    fails(d, &["compare", &first, &first], 2, "not_comparable");

    let shown = ok(d, &["goals", "show", &goal_id]);
    assert_eq!(shown["outcome"]["after"], force_score(&r2, "shared_vision"));
    // Review later: "today" in the core's sense is the local date; ten days ahead is safe either way.
    let later = std::process::Command::new("date")
        .args(["-d", "+10 days", "+%Y-%m-%d"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap();
    let edited = ok(d, &["goals", "edit", &goal_id, "--review", &later]);
    assert_eq!(edited["review_on"], later.as_str());
    fails(
        d,
        &["goals", "edit", &goal_id, "--review", "2000-01-01"],
        2,
        "out_of_range",
    );
    fails(
        d,
        &["goals", "drop", &goal_id, "--reason", " "],
        2,
        "empty_input",
    );
    let done = ok(d, &["goals", "done", &goal_id]);
    assert_eq!(done["status"], "done");
    assert_eq!(
        ok(d, &["goals", "list", "--status", "active"])
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // The result as a report (outside the data folder).
    let reports = tempfile::tempdir().unwrap();
    let pdf = reports.path().join("result.pdf");
    let f = ok(
        d,
        &[
            "report",
            &second,
            "--format",
            "pdf",
            "--out",
            pdf.to_str().unwrap(),
        ],
    );
    assert_eq!(
        f["bytes"].as_u64().unwrap(),
        std::fs::metadata(&pdf).unwrap().len()
    );
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    let html = reports.path().join("result.html");
    ok(
        d,
        &[
            "report",
            &second,
            "--format",
            "html",
            "--out",
            html.to_str().unwrap(),
        ],
    );
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .contains("Group Prospects"));

    // For people.
    let out = run(d, &["progress"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Group Prospects")
            && text.contains(&format!("+{change:.0} since the previous"))
            && text.contains("Goal completed: Say where we are going"),
        "{text}"
    );
    let out = run(d, &["compare", &first, &second]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Shared vision") && text.contains("improved"),
        "{text}"
    );
}

/// Waits (up to 60 s) until some file in `dir` has a name for which `pred` holds.
fn wait_for_file(dir: &Path, pred: impl Fn(&str) -> bool) -> std::path::PathBuf {
    let start = std::time::Instant::now();
    loop {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if pred(&e.file_name().to_string_lossy()) {
                    return e.path();
                }
            }
        }
        assert!(
            start.elapsed().as_secs() < 60,
            "no such file appeared in {}",
            dir.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

fn quick_check(file: &Path) -> String {
    let c = rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    c.query_row("PRAGMA quick_check", [], |r| r.get(0)).unwrap()
}

#[test]
fn backup_restore_and_undo_from_the_command_line_and_a_kill_mid_way_leaves_a_working_database() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (first, _) = completed(d, "Team", 3);
    // Some 120 MB of pages, so that a copy takes long enough to be cut short.
    {
        let c = rusqlite::Connection::open(d.join("compilar.db")).unwrap();
        c.execute_batch("CREATE TABLE filler (b BLOB); BEGIN;")
            .unwrap();
        for _ in 0..120 {
            c.execute("INSERT INTO filler VALUES (randomblob(1048576))", [])
                .unwrap();
        }
        c.execute_batch("COMMIT; PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let outside = tempfile::tempdir().unwrap();
    let file = outside.path().join("by-hand.db");
    let b = ok(d, &["backup", file.to_str().unwrap()]);
    assert_eq!(b["kind"], "manual");
    assert_eq!(b["path"], file.to_str().unwrap());
    assert_eq!(quick_check(&file), "ok");

    // Killed while backing up: no half copy stands as a backup, and the database is untouched.
    let backups = d.join("backups");
    let mut child = Command::new(env!("CARGO_BIN_EXE_compilar-cli"))
        .args(["--data-dir", d.to_str().unwrap(), "backup"])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .spawn()
        .unwrap();
    wait_for_file(&backups, |n| n.ends_with(".partial"));
    child.kill().unwrap();
    child.wait().unwrap();
    for e in std::fs::read_dir(&backups).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".db") {
            assert_eq!(
                quick_check(&e.path()),
                "ok",
                "{name} stands as a backup but is not whole"
            );
        }
    }
    assert_eq!(ok(d, &["assessment", "list"])["total"], 1);

    // A second assessment, then restore the copy: back to one; undo: two again.
    completed(d, "Team", 4);
    let r = ok(d, &["restore", file.to_str().unwrap()]);
    assert_eq!(r["set_aside"]["kind"], "before_restore");
    assert_eq!(ok(d, &["assessment", "list"])["total"], 1);
    assert_eq!(ok(d, &["backups"])["can_undo"], true);
    ok(d, &["restore", "--undo"]);
    assert_eq!(ok(d, &["assessment", "list"])["total"], 2);
    fails(d, &["restore", "--undo"], 2, "nothing_to_undo");
    fails(
        d,
        &["restore", d.join("nope.db").to_str().unwrap()],
        2,
        "backup_unusable",
    );

    // Killed while restoring (after the current database was set aside): the database still works and is
    // either the old one or the restored one.
    let mut child = Command::new(env!("CARGO_BIN_EXE_compilar-cli"))
        .args([
            "--data-dir",
            d.to_str().unwrap(),
            "restore",
            file.to_str().unwrap(),
        ])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .spawn()
        .unwrap();
    wait_for_file(&backups, |n| {
        n.starts_with("compilar-before-restore-") && n.ends_with(".db")
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let total = ok(d, &["assessment", "list"])["total"].as_u64().unwrap();
    assert!(total == 1 || total == 2, "{total}");
    assert_eq!(quick_check(&d.join("compilar.db")), "ok");
    ok(d, &["assessment", "show", &first]);

    // Settings and delete-all.
    let s = ok(d, &["backups", "--automatic", "off", "--keep", "3"]);
    assert_eq!(s["settings"]["automatic"], false);
    assert_eq!(s["settings"]["keep"], 3);
    fails(d, &["backups", "--keep", "0"], 2, "out_of_range");
    // One setting changed, the other kept.
    let s = ok(d, &["backups", "--keep", "4"]);
    assert_eq!(s["settings"]["automatic"], false);
    assert_eq!(s["settings"]["keep"], 4);
    fails(
        d,
        &["delete-all-data", "--confirm", "yes"],
        2,
        "confirmation_mismatch",
    );
    let out = ok(d, &["delete-all-data", "--confirm", "delete my data"]);
    assert!(out["assessments"].as_u64().unwrap() >= 1);
    assert_eq!(ok(d, &["assessment", "list"])["total"], 0);
    assert_eq!(ok(d, &["backups"])["backups"].as_array().unwrap().len(), 0);
}

#[test]
fn export_and_import_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("a");
    completed(&d, "Team", 3);
    let zip = dir.path().join("out.zip");
    let s = ok(&d, &["export", zip.to_str().unwrap()]);
    assert_eq!(s["format"], "zip");
    assert!(zip.is_file());
    fails(
        &d,
        &["export", zip.to_str().unwrap()],
        2,
        "export_target_exists",
    );
    let folder = dir.path().join("out-folder");
    assert_eq!(
        ok(&d, &["export", folder.to_str().unwrap()])["format"],
        "folder"
    );

    let b = dir.path().join("b");
    let dry = ok(&b, &["import", zip.to_str().unwrap(), "--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    let assessments = |v: &Value| {
        v["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == "assessments")
            .unwrap()
            .clone()
    };
    assert_eq!(assessments(&dry)["added"], 1);
    assert_eq!(ok(&b, &["assessment", "list"])["total"], 0);
    let out = run(&b, &["import", folder.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Imported") && text.contains("assessments") && text.contains("1 new"),
        "{text}"
    );
    assert_eq!(ok(&b, &["assessment", "list"])["total"], 1);
    let again = ok(&b, &["import", zip.to_str().unwrap()]);
    assert_eq!(assessments(&again)["added"], 0);
    assert_eq!(assessments(&again)["unchanged"], 1);
    let junk = dir.path().join("junk.zip");
    std::fs::write(&junk, b"PK not really").unwrap();
    fails(
        &b,
        &["import", junk.to_str().unwrap()],
        2,
        "archive_invalid",
    );
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

/// Every file under `root` (recursively) that contains `word`.
fn files_containing(root: &Path, word: &[u8]) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).into_iter().flatten().flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path).is_ok_and(|b| b.windows(word.len()).any(|w| w == word)) {
                found.push(path);
            }
        }
    }
    found
}

/// No command writes onto the database, its log files, the backups or anything else inside the data folder;
/// an existing file is replaced only with --force; a missing folder is the caller's path problem.
#[test]
fn no_command_writes_inside_the_data_folder_or_over_a_file_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let (id, _) = completed(&d, "Team", 4);
    ok(&d, &["backup"]);
    let a_backup = ok(&d, &["backups"])["backups"][0]["path"]
        .as_str()
        .unwrap()
        .to_owned();
    let inside = |name: &str| d.join(name).display().to_string();
    for target in [
        inside("compilar.db"),
        inside("compilar.db-wal"),
        inside("compilar.db-shm"),
        a_backup.clone(),
        inside("report.pdf"),
        inside("logs/../compilar.db"),
    ] {
        for force in [false, true] {
            let mut args = vec!["report", &id, "--format", "pdf", "--out", &target];
            if force {
                args.push("--force");
            }
            let e = fails(&d, &args, 2, "output_in_data_folder");
            assert!(
                e["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("data folder"),
                "{e}"
            );
        }
        fails(
            &d,
            &["backup", &target, "--force"],
            2,
            "output_in_data_folder",
        );
    }
    fails(
        &d,
        &["export", &inside("everything.zip")],
        2,
        "output_in_data_folder",
    );
    // A link outside that points at the database is refused too.
    #[cfg(unix)]
    {
        let link = out.join("innocent.pdf");
        std::os::unix::fs::symlink(d.join("compilar.db"), &link).unwrap();
        fails(
            &d,
            &["report", &id, "--out", link.to_str().unwrap(), "--force"],
            2,
            "output_in_data_folder",
        );
    }
    // Nothing was touched: the database works and the backup is whole.
    assert_eq!(ok(&d, &["assessment", "list"])["total"], 1);
    assert_eq!(quick_check(Path::new(&a_backup)), "ok");

    // An existing file: refused without --force (and left as it was), replaced with it.
    let pdf = out.join("result.pdf");
    std::fs::write(&pdf, b"my own file").unwrap();
    let e = fails(
        &d,
        &["report", &id, "--out", pdf.to_str().unwrap()],
        2,
        "output_exists",
    );
    assert!(e["error"]["message"].as_str().unwrap().contains("--force"));
    assert_eq!(std::fs::read(&pdf).unwrap(), b"my own file");
    let r = ok(
        &d,
        &["report", &id, "--out", pdf.to_str().unwrap(), "--force"],
    );
    assert!(r["bytes"].as_u64().unwrap() > 1000);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    let db = out.join("copy.db");
    ok(&d, &["backup", db.to_str().unwrap()]);
    fails(&d, &["backup", db.to_str().unwrap()], 2, "output_exists");
    ok(&d, &["backup", db.to_str().unwrap(), "--force"]);
    let zip = out.join("all.zip");
    ok(&d, &["export", zip.to_str().unwrap()]);
    fails(
        &d,
        &["export", zip.to_str().unwrap()],
        2,
        "export_target_exists",
    );
    ok(&d, &["export", zip.to_str().unwrap(), "--force"]);

    // A folder that does not exist: the caller's path, named.
    let missing = dir.path().join("no/such/folder/r.pdf");
    let e = fails(
        &d,
        &["report", &id, "--out", missing.to_str().unwrap()],
        2,
        "output_folder_missing",
    );
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no/such/folder"));
    fails(
        &d,
        &["export", dir.path().join("nope/x.zip").to_str().unwrap()],
        2,
        "output_folder_missing",
    );
    // Nothing but what was asked for stands in the output folder.
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want = vec!["all.zip", "copy.db", "result.pdf"];
    if cfg!(unix) {
        want.push("innocent.pdf");
    }
    want.sort();
    assert_eq!(names, want);
}

/// A backup killed mid-way leaves its temporary copy (with the user's words in it) outside the data folder;
/// the next start removes it, and "delete all my data" leaves no file anywhere in the data folder with the
/// deleted words in it (backups, copies set aside by recovery, leftovers of interrupted writes).
#[test]
fn interrupted_writes_leave_nothing_behind_and_delete_all_leaves_no_word() {
    const WORD: &str = "Quillwort-Meridian";
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let (id, _) = completed(&d, WORD, 4);
    ok(
        &d,
        &[
            "assessment",
            "about",
            &id,
            "--note",
            &format!("{WORD} notes"),
        ],
    );
    // The words early in the file, then some 120 MB of pages, so that a copy takes long enough to be cut short.
    {
        let c = rusqlite::Connection::open(d.join("compilar.db")).unwrap();
        c.execute_batch("BEGIN").unwrap();
        for i in 0..2000 {
            c.execute(
                "INSERT INTO llm_calls (action_id, at, feature, provider, model, streamed, latency_ms, outcome,
                                        error_message, breaker_state)
                 VALUES (?1, '2026-01-01T00:00:00Z', 'coach', 'openai', 'm', 0, 1, 'error', ?2, 'closed')",
                rusqlite::params![format!("a{i}"), format!("{WORD} {}", "x".repeat(900))],
            )
            .unwrap();
        }
        c.execute_batch("CREATE TABLE filler (b BLOB);").unwrap();
        for _ in 0..120 {
            c.execute("INSERT INTO filler VALUES (randomblob(1048576))", [])
                .unwrap();
        }
        c.execute_batch("COMMIT; PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    // A backup outside the data folder, killed once its copy holds the first pages.
    let target = out.join("big.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_compilar-cli"))
        .args([
            "--data-dir",
            d.to_str().unwrap(),
            "backup",
            target.to_str().unwrap(),
        ])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .spawn()
        .unwrap();
    let partial = wait_for_file(&out, |n| n.ends_with(".partial"));
    let start = std::time::Instant::now();
    while std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0) < 8 << 20
        && start.elapsed().as_secs() < 60
    {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!target.exists(), "a copy cut short stands as the backup");
    assert!(
        !files_containing(&out, WORD.as_bytes()).is_empty(),
        "the copy cut short should hold the words (else this test shows nothing)"
    );
    // The next start removes it.
    ok(&d, &["assessment", "list"]);
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "the leftover is still there"
    );

    // Leftovers of every kind, planted as a kill would leave them: a backup cut short inside the backups
    // folder (with SQLite's journal), a recovery's copy cut short, and a copy set aside by recovery.
    let db_bytes = std::fs::read(d.join("compilar.db")).unwrap();
    std::fs::create_dir_all(d.join("backups")).unwrap();
    for name in [
        "backups/compilar-manual-20260101T000000Z.db.0123456789abcdef.partial",
        "backups/compilar-manual-20260101T000000Z.db.0123456789abcdef.partial-journal",
        ".compilar.restoring.db",
        "compilar.damaged-20260101T000000Z.db",
    ] {
        std::fs::write(d.join(name), &db_bytes).unwrap();
    }
    ok(&d, &["backup"]);
    // And an export cut short outside, recorded as in progress by a process that is gone.
    let zip = out.join("x.zip");
    let leftover = out.join("x.zip.fedcba9876543210.partial");
    std::fs::write(&leftover, &db_bytes).unwrap();
    std::fs::create_dir_all(d.join("pending-writes")).unwrap();
    std::fs::write(
        d.join("pending-writes/0190c3a0-0000-7000-8000-000000000000.txt"),
        leftover.display().to_string(),
    )
    .unwrap();
    assert!(!zip.exists());

    ok(&d, &["delete-all-data", "--confirm", "delete my data"]);
    let left = files_containing(&d, WORD.as_bytes());
    assert!(left.is_empty(), "the deleted words are still in {left:?}");
    assert!(files_containing(&out, WORD.as_bytes()).is_empty());
    assert!(!leftover.exists());
    assert_eq!(ok(&d, &["assessment", "list"])["total"], 0);
}

/// `recover` on a healthy database refuses to set it aside unless told (--force), and then keeps it as a
/// backup that `restore --undo` brings back.
#[test]
fn recovery_never_sets_a_healthy_database_aside_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (id, _) = completed(d, "Team", 3);
    for how in ["--start-fresh", "--restore-backup"] {
        let e = fails(d, &["recover", how], 2, "database_healthy");
        assert!(e["error"]["message"].as_str().unwrap().contains("--force"));
    }
    // --force alone names nothing to do: an argument error, not a silent status.
    fails(d, &["recover", "--force"], 2, "invalid_argument");
    ok(d, &["assessment", "show", &id]);
    let done = ok(d, &["recover", "--start-fresh", "--force"]);
    assert!(done["damaged_kept_at"].is_null(), "{done}");
    let kept = done["kept_as_backup"]["path"].as_str().unwrap().to_owned();
    assert!(!kept.contains("damaged"), "{kept}");
    assert_eq!(ok(d, &["assessment", "list"])["total"], 0);
    let listed = ok(d, &["backups"]);
    assert_eq!(listed["can_undo"], true);
    assert!(listed["backups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["path"] == kept.as_str()));
    ok(d, &["restore", "--undo"]);
    ok(d, &["assessment", "show", &id]);
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

/// Damage in the middle of the database (a few pages of the search index's vector table): the command that
/// meets it says `database_damaged` with the way to recover, and `doctor` says "damaged" in words and exits 1.
#[test]
fn damage_in_the_middle_is_named_by_the_command_that_meets_it_and_by_doctor() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let notes = dir.path().join("notes.md");
    let words = [
        "team", "people", "speak", "decide", "trust", "change", "goal", "voice",
    ];
    let text: String = (0..120)
        .map(|i| {
            let body: Vec<&str> = (0..80)
                .map(|j| words[(i * 7 + j * 3) % words.len()])
                .collect();
            format!("## Part {i}\n\n{}.\n\n", body.join(" "))
        })
        .collect();
    std::fs::write(&notes, text).unwrap();
    ok(&d, &["documents", "import", notes.to_str().unwrap()]);
    ok(&d, &["search", "people speak up"]);
    {
        let c = rusqlite::Connection::open(d.join("compilar.db")).unwrap();
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
        let root: i64 = c
            .query_row(
                "SELECT rootpage FROM sqlite_schema WHERE name LIKE 'kb\\_vec\\_%\\_vector\\_chunks00' ESCAPE '\\'
                 ORDER BY rootpage LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        drop(c);
        use std::io::{Seek, Write};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(d.join("compilar.db"))
            .unwrap();
        f.seek(std::io::SeekFrom::Start(((root - 1) * size) as u64))
            .unwrap();
        f.write_all(&vec![0xA5; size as usize]).unwrap();
    }
    let e = fails(&d, &["search", "people speak up"], 1, "database_damaged");
    assert!(e["error"]["message"].as_str().unwrap().contains("damaged"));
    let out = run(&d, &["search", "people speak up"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("compilar-cli recover"));
    // Commands that do not touch the damaged pages still work.
    ok(&d, &["framework"]);

    let out = run(&d, &["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Integrity     damaged"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("compilar-cli recover"));
    let out = run(&d, &["--json", "doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["damaged"], true);
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

/// Runs an import and returns its exit code, its stderr and the process's own peak memory in MB.
#[cfg(target_os = "linux")]
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives its peak memory
fn import_measured(dir: &Path, zip: &Path) -> (Option<i32>, String, u64) {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_compilar-cli"))
        .arg("--data-dir")
        .arg(dir)
        .args(["--json", "import"])
        .arg(zip)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 on our own child with valid out-pointers; `child` is not waited on again.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, err, usage.ru_maxrss as u64 / 1024)
}

/// A zip whose `data.json` is `head`, then `pad` MiB of `fill`, then `tail`, with `extra` MiB of zeros in
/// another entry: hundreds of MB that compress to well under one.
#[cfg(target_os = "linux")]
fn padded_zip(path: &Path, head: &[u8], fill: u8, pad: usize, tail: &[u8], extra: usize) {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let o = zip::write::SimpleFileOptions::default().large_file(true);
    z.start_file("data.json", o).unwrap();
    z.write_all(head).unwrap();
    let chunk = vec![fill; 1024 * 1024];
    for _ in 0..pad {
        z.write_all(&chunk).unwrap();
    }
    z.write_all(tail).unwrap();
    if extra > 0 {
        z.start_file("padding.bin", o).unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..extra {
            z.write_all(&zeros).unwrap();
        }
    }
    z.finish().unwrap();
}

#[cfg(target_os = "linux")]
#[test]
fn a_padded_archive_costs_no_more_memory_than_a_small_one() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    completed(&a, "Team", 3);
    let good = dir.path().join("good");
    ok(&a, &["export", good.to_str().unwrap()]);
    let data = std::fs::read(good.join("data.json")).unwrap();
    let good_zip = dir.path().join("good.zip");
    padded_zip(&good_zip, &data, b' ', 0, b"", 0);
    let (code, err, base) = import_measured(&dir.path().join("b0"), &good_zip);
    assert_eq!(code, Some(0), "{err}");

    struct Case {
        name: &'static str,
        head: Vec<u8>,
        fill: u8,
        pad: usize,
        tail: Vec<u8>,
        extra: usize,
        want: Option<&'static str>,
    }
    let body = &data[1..]; // everything after the opening brace
    let at = data
        .windows(14)
        .position(|w| w == b"\"group_label\":")
        .unwrap();
    let cases = [
        // 500 MiB of spaces between the opening brace and the first key.
        Case {
            name: "spaces",
            head: b"{".to_vec(),
            fill: b' ',
            pad: 500,
            tail: body.to_vec(),
            extra: 0,
            want: Some("archive_too_large"),
        },
        // An unknown value of 500 MiB: skipped values are bounded too.
        Case {
            name: "unknown",
            head: b"{\"x\": \"".to_vec(),
            fill: b'a',
            pad: 500,
            tail: [b"\",".as_slice(), body].concat(),
            extra: 0,
            want: Some("archive_too_large"),
        },
        // A field of 100 MiB inside a record.
        Case {
            name: "field",
            head: [&data[..at], b"\"note2\": \""].concat(),
            fill: b'n',
            pad: 100,
            tail: [b"\",".as_slice(), &data[at..]].concat(),
            extra: 0,
            want: Some("archive_too_large"),
        },
        // A good data.json beside 500 MiB of zeros in another entry: imported, the padding never read.
        Case {
            name: "beside",
            head: data.clone(),
            fill: b' ',
            pad: 0,
            tail: Vec::new(),
            extra: 500,
            want: None,
        },
    ];
    for (i, c) in cases.into_iter().enumerate() {
        let Case { name, want, .. } = c;
        let z = dir.path().join(format!("{name}.zip"));
        padded_zip(&z, &c.head, c.fill, c.pad, &c.tail, c.extra);
        assert!(
            std::fs::metadata(&z).unwrap().len() < 2 * 1024 * 1024,
            "{name}"
        );
        let b = dir.path().join(format!("b{}", i + 1));
        let (code, err, peak) = import_measured(&b, &z);
        match want {
            Some(want) => {
                assert_eq!(code, Some(2), "{name}: {err}");
                let v: Value = serde_json::from_str(&err).unwrap();
                assert_eq!(v["error"]["code"], want, "{name}: {v}");
                assert_eq!(ok(&b, &["assessment", "list"])["total"], 0, "{name}");
            }
            None => {
                assert_eq!(code, Some(0), "{name}: {err}");
                assert_eq!(ok(&b, &["assessment", "list"])["total"], 1, "{name}");
            }
        }
        // Within a small multiple of the 16 MB a part may hold, above what a small import costs.
        assert!(
            peak <= base + 64,
            "{name}: {peak} MB at peak, a small import {base} MB"
        );
        eprintln!("{name}: {peak} MB at peak (a small import: {base} MB)");
    }
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
}
