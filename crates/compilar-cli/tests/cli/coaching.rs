//! Coaching from the command line: reports and chat, fresh questions, analysis without a model, progress, compare and goals.

use super::*;

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
