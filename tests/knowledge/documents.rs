//! The user's own documents: imported once, searchable, refused with clear errors, cancelled without a trace, PDFs page by page.

use super::*;

/// Two imports of one new file at once used to pass the duplicate check together and store it twice: now the
/// check is repeated under the write lock and a unique index enforces it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_new_file_imported_at_once_is_stored_once() {
    let t = common::open().await;
    for round in 0..5 {
        let file = t.dir.path().join(format!("minutes-{round}.md"));
        let mut text = format!("# Minutes {round}\n\n");
        for i in 0..40 {
            text.push_str(&format!(
                "Point {i} of round {round}: the crew agreed who signs off the rota.\n\n"
            ));
        }
        std::fs::write(&file, text).unwrap();
        let docs = t.app.documents();
        let imports = (0..4).map(|k| {
            let req = import_req(&file, &format!("dup-{round}-{k}"));
            async move { docs.import(req, |_| {}).await }
        });
        let results = futures::future::join_all(imports).await;
        let ok: Vec<_> = results.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            ok.iter().filter(|d| !d.already_imported).count(),
            1,
            "round {round}: exactly one import stores it"
        );
        assert!(ok.iter().all(|d| d.id == ok[0].id));
    }
    assert_eq!(t.app.documents().list().await.unwrap().len(), 5);
}

#[tokio::test]
async fn documents_import_search_dedup_and_delete() {
    let t = common::open().await;
    let file = t.dir.path().join("retro-notes.md");
    let mut md = String::from(
        "# Sprint retrospective\n\nThe team agreed to rotate the facilitator role.\n\n",
    );
    for i in 0..40 {
        md.push_str(&format!(
            "## Topic {i}\n\nOn day {i} the zeppelin maintenance crew discussed hangar scheduling and spare parts.\n\n"
        ));
    }
    std::fs::write(&file, &md).unwrap();
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let ev = events.clone();
    let doc = t
        .app
        .documents()
        .import(import_req(&file, "imp-1"), move |p| {
            ev.lock().unwrap().push(p)
        })
        .await
        .unwrap();
    assert_eq!(doc.title, "Sprint retrospective");
    assert_eq!(doc.file_name.as_deref(), Some("retro-notes.md"));
    assert!(doc.chunks >= 2, "{doc:?}");
    assert_eq!(doc.vectors, doc.chunks);
    assert!(!doc.already_imported);
    let stages: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .map(|p| format!("{:?}", p.stage))
        .collect();
    assert_eq!(stages.first().map(String::as_str), Some("Reading"));
    assert_eq!(stages.last().map(String::as_str), Some("Done"));
    assert!(stages.iter().any(|s| s == "Embedding") && stages.iter().any(|s| s == "Saving"));

    // Searchable, and the source filters work.
    for source in [None, Some("documents".to_string()), Some(doc.id.clone())] {
        let r = t
            .app
            .knowledge()
            .search(SearchRequest {
                query: "zeppelin hangar".into(),
                source,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(r.hits[0].source.id, doc.id);
        assert_eq!(r.hits[0].category, "document");
        assert!(r.hits[0].title.starts_with("Sprint retrospective"));
    }
    let r = t
        .app
        .knowledge()
        .search(SearchRequest {
            query: "zeppelin hangar".into(),
            source: Some("builtin".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(r.hits.iter().all(|h| h.source.id == "builtin"));

    // The same content again (even under another name) is not imported twice.
    let copy = t.dir.path().join("copy.md");
    std::fs::write(&copy, &md).unwrap();
    let again = t
        .app
        .documents()
        .import(import_req(&copy, "imp-2"), |_| {})
        .await
        .unwrap();
    assert!(again.already_imported);
    assert_eq!(again.id, doc.id);
    assert_eq!(t.app.documents().list().await.unwrap().len(), 1);

    // Delete: gone from the list and from search; deleting again says so.
    t.app.documents().delete(&doc.id).await.unwrap();
    assert!(t.app.documents().list().await.unwrap().is_empty());
    let r = t
        .app
        .knowledge()
        .search(SearchRequest {
            query: "zeppelin hangar".into(),
            source: Some("documents".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(r.hits.is_empty());
    // A refused delete changes nothing, not even the index's version counters.
    let versions = || async {
        t.app
            .store()
            .read(|c| {
                Ok(c.query_row(
                    "SELECT group_concat(id || '=' || version) FROM kb_models",
                    [],
                    |r| r.get::<_, String>(0),
                )?)
            })
            .await
            .unwrap()
    };
    let before = versions().await;
    assert_eq!(
        t.app.documents().delete(&doc.id).await.unwrap_err().code(),
        "document_not_found"
    );
    assert_eq!(versions().await, before);
    let s = t.app.knowledge().status().await.unwrap();
    assert_eq!(
        (s.passages, s.vectors),
        (s.builtin_passages, s.builtin_passages)
    );

    // Re-import after delete works.
    let back = t
        .app
        .documents()
        .import(import_req(&file, "imp-3"), |_| {})
        .await
        .unwrap();
    assert!(!back.already_imported);
}

#[tokio::test]
async fn bad_documents_get_clear_errors_and_leave_nothing() {
    let t = common::open().await;
    let d = t.dir.path();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.md", b"  \n\n ".to_vec(), "document_empty"),
        (
            "binary.txt",
            vec![0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x10],
            "document_undecodable",
        ),
        (
            "latin1.txt",
            b"caf\xe9 au lait".to_vec(),
            "document_undecodable",
        ),
        (
            "report.docx",
            b"PK\x03\x04".to_vec(),
            "unsupported_document",
        ),
        (
            "truncated.pdf",
            b"%PDF-1.7\n1 0 obj".to_vec(),
            "document_undecodable",
        ),
        (
            "renamed.pdf",
            b"just some text".to_vec(),
            "document_undecodable",
        ),
        (
            "scanned.pdf",
            common::pdf::pdf(&[&[], &[]], None),
            "document_empty",
        ),
        (
            "locked.pdf",
            common::pdf::encrypted_pdf(&[&["Top secret plans for the offsite."]], "hunter2"),
            "document_undecodable",
        ),
        ("nothing.pdf", Vec::new(), "document_empty"),
        ("noext", b"hello".to_vec(), "unsupported_document"),
    ];
    for (name, bytes, code) in cases {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        let e = t
            .app
            .documents()
            .import(import_req(&p, name), |_| {})
            .await
            .unwrap_err();
        assert_eq!(e.code(), code, "{name}");
        // The message says what to do about it.
        let msg = e.to_string();
        match name {
            "locked.pdf" => assert!(msg.contains("password-protected"), "{msg}"),
            "scanned.pdf" => assert!(msg.contains("scanned"), "{msg}"),
            "renamed.pdf" => assert!(msg.contains("not a PDF"), "{msg}"),
            "report.docx" => assert!(msg.contains("PDF (.pdf)"), "{msg}"),
            _ => {}
        }
    }
    // Over 50 MB (a sparse file: nothing is read).
    let huge = d.join("huge.txt");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(50 * 1024 * 1024 + 1)
        .unwrap();
    let e = t
        .app
        .documents()
        .import(import_req(&huge, "h"), |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "payload_too_large");
    let e = t
        .app
        .documents()
        .import(import_req(&d.join("missing.md"), "m"), |_| {})
        .await
        .unwrap_err();
    // The user's own missing file: said as such, and not worth retrying as is.
    assert_eq!(e.code(), "document_unreadable");
    assert!(!e.retryable());
    assert!(e.to_string().contains("does not exist"), "{e}");
    // Not ordinary files: a named pipe (refused without waiting for a writer), a `.txt` link to an endless
    // device, and a folder named like a document.
    let fifo = d.join("pipe.txt");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let zero = d.join("zero.txt");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let folder = d.join("folder.md");
    std::fs::create_dir(&folder).unwrap();
    for (path, words) in [
        (&fifo, "not an ordinary file"),
        (&zero, "not an ordinary file"),
        (&folder, "folder"),
    ] {
        let e = t
            .app
            .documents()
            .import(import_req(path, "s"), |_| {})
            .await
            .unwrap_err();
        assert_eq!(e.code(), "document_unreadable", "{}", path.display());
        assert!(!e.retryable());
        assert!(e.to_string().contains(words), "{e}");
    }
    assert!(t.app.documents().list().await.unwrap().is_empty());
    let s = t.app.knowledge().status().await.unwrap();
    assert_eq!(s.passages, s.builtin_passages);
    assert_eq!(
        t.app
            .documents()
            .delete("not-an-id")
            .await
            .unwrap_err()
            .code(),
        "invalid_id"
    );
}

#[tokio::test]
async fn a_cancelled_import_writes_nothing() {
    let t = common::open().await;
    let file = t.dir.path().join("long.txt");
    let text: String = (0..600)
        .map(|i| format!("Paragraph {i}: the group talked about goals, help, trust and how decisions are made.\n\n"))
        .collect();
    std::fs::write(&file, text).unwrap();
    // The user presses stop while the chunks are being embedded (from the progress handler itself, so the
    // moment is certain): the import ends as cancelled before anything is written.
    let app = t.app.clone();
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let a2 = asked.clone();
    let e = t
        .app
        .documents()
        .import(import_req(&file, "cancel-me"), move |p| {
            if format!("{:?}", p.stage) == "Embedding"
                && !a2.swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                assert!(app.documents().cancel_import("cancel-me"));
            }
        })
        .await
        .unwrap_err();
    assert!(asked.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(e.code(), "cancelled");
    assert!(!t.app.documents().cancel_import("cancel-me"));
    assert!(t.app.documents().list().await.unwrap().is_empty());
    let s = t.app.knowledge().status().await.unwrap();
    assert_eq!(s.passages, s.builtin_passages);
}

#[tokio::test]
async fn pdf_documents_are_read_page_by_page_and_searchable() {
    let t = common::open().await;
    let file = t.dir.path().join("offsite.pdf");
    let page1: &[&str] = &[
        "Offsite agenda",
        "The leadership group met at the lighthouse to review how decisions travel through the organisation.",
        "Everyone wrote down one decision they felt excluded from.",
    ];
    let page2: &[&str] = &[
        "The quartermaster explained the new procurement sign-off chain and why it needs three approvals.",
        "People asked for the chain to be written down and shared before the next quarter.",
    ];
    let page3: &[&str] = &["Follow-up: publish the sign-off chain on the wiki by Friday."];
    std::fs::write(
        &file,
        common::pdf::pdf(&[page1, page2, page3], Some("Lighthouse offsite notes")),
    )
    .unwrap();
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let ev = events.clone();
    let doc = t
        .app
        .documents()
        .import(import_req(&file, "pdf-1"), move |p| {
            ev.lock().unwrap().push(p)
        })
        .await
        .unwrap();
    // The title comes from the PDF's metadata.
    assert_eq!(doc.title, "Lighthouse offsite notes");
    // A metadata title of 100,000 characters is cut to the stored maximum.
    let long = t.dir.path().join("long-title.pdf");
    let huge_title = "Quarterly ".repeat(10_000);
    std::fs::write(
        &long,
        common::pdf::pdf(&[&["A short page about the rota."]], Some(&huge_title)),
    )
    .unwrap();
    let d2 = t
        .app
        .documents()
        .import(import_req(&long, "pdf-long"), |_| {})
        .await
        .unwrap();
    assert_eq!(
        d2.title.chars().count(),
        compilar_core::capabilities::documents::MAX_TITLE_CHARS
    );
    assert!(huge_title.starts_with(&d2.title));
    t.app.documents().delete(&d2.id).await.unwrap();
    assert_eq!(doc.file_name.as_deref(), Some("offsite.pdf"));
    assert!(doc.chunks >= 1 && doc.vectors == doc.chunks, "{doc:?}");
    // Progress counted the pages while reading them.
    let reading: Vec<(u32, u32)> = events
        .lock()
        .unwrap()
        .iter()
        .filter(|p| format!("{:?}", p.stage) == "Reading")
        .map(|p| (p.done, p.total))
        .collect();
    assert!(
        reading.contains(&(0, 3)) && reading.contains(&(3, 3)),
        "{reading:?}"
    );

    // Text from every page is found, with words intact.
    for (q, must) in [
        ("lighthouse decisions", "lighthouse"),
        ("quartermaster procurement", "quartermaster"),
        ("sign-off chain wiki Friday", "wiki"),
    ] {
        let r = t
            .app
            .knowledge()
            .search(SearchRequest {
                query: q.into(),
                source: Some(doc.id.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(
            r.hits.iter().any(|h| h.text.contains(must)),
            "{q}: {:?}",
            r.hits.iter().map(|h| &h.text).collect::<Vec<_>>()
        );
    }
    // The same PDF again is recognised; delete takes it away.
    let again = t
        .app
        .documents()
        .import(import_req(&file, "pdf-2"), |_| {})
        .await
        .unwrap();
    assert!(again.already_imported);
    t.app.documents().delete(&doc.id).await.unwrap();
    assert!(t.app.documents().list().await.unwrap().is_empty());
}
