//! Documents: import a Markdown file and a PDF (and refuse a .docx) through the real file picker, see them
//! listed with counts, find them from the Knowledge page, switch the search model to the local server's
//! embedding model with progress, search with it, and delete a document. WebDriver cannot reach the system
//! file picker, so it is driven with X key events (xdotool).

use crate::common::fake_llm::{ollama_embed_of_input, ollama_tags, FakeServer};
use crate::window::{pick_in_file_dialog, screenshot, Window};

#[tokio::test]
async fn import_search_switch_model_and_delete() {
    let Some(w) = Window::open("import_search_switch_model_and_delete").await else {
        return;
    };
    let server = FakeServer::start().await;
    server.on("/api/tags", ollama_tags(&["llama3.2:latest"]));
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
        crate::common::pdf::pdf(
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

    w.nav("documents").await;
    w.css("[data-testid=doc-empty]").await;
    for file in [&md, &pdf, &docx] {
        w.click("[data-testid=doc-choose]").await;
        pick_in_file_dialog("Import documents", file);
    }
    // Both documents listed; the refused file's row stays with its reason (rows that went well go by
    // themselves a few seconds after their batch, so they may already be gone).
    w.until_count("[data-testid=doc-row]", 2).await;
    let refused = w
        .until_text(
            "[data-testid=import-row][data-status=failed] [data-testid=import-status]",
            |t| !t.is_empty(),
        )
        .await;
    assert!(refused.contains("PDF (.pdf)"), "{refused}");
    assert_eq!(
        w.count("[data-testid=import-row][data-status=running]")
            .await
            + w.count("[data-testid=import-row][data-status=waiting]")
                .await,
        0
    );
    let listed = w.text("[data-testid=doc-row]:last-child").await;
    assert!(listed.contains("Harbour pilots handbook"), "{listed}");
    screenshot("documents").await;

    // Found from the Knowledge page with the built-in model.
    let hit = search_my_documents(&w, "harbour pilots fog").await;
    assert!(hit.contains("Harbour pilots handbook"), "{hit}");

    // Switch the search model to the local server's embedding model.
    w.use_local_model(&server.url()).await;
    w.nav("documents").await;
    let local = "[data-testid=model-row][data-model='local:nomic-embed-text']";
    w.click(&format!("{local} [data-testid=model-use]")).await;
    w.until_text(local, |t| t.contains("In use")).await;
    assert!(server.count("/api/embed") > 0);
    w.click("[data-testid=search-model]").await;
    w.scroll_to("[data-testid=search-model]").await;
    screenshot("search-model").await;
    let before = server.count("/api/embed");
    let hit = search_my_documents(&w, "lighthouse keeper disputes").await;
    assert!(hit.contains("Lighthouse keepers rota"), "{hit}");
    assert!(
        server.count("/api/embed") > before,
        "the query was embedded by the new model"
    );

    // Delete one document (two steps).
    w.nav("documents").await;
    w.click("[data-testid=doc-row] [data-testid=doc-delete]")
        .await;
    w.click("[data-testid=doc-confirm-delete]").await;
    w.until_count("[data-testid=doc-row]", 1).await;
    w.close().await;
}

/// Knowledge page, "my documents" only: the text of the first hit once it contains the query's first word.
async fn search_my_documents(w: &Window, query: &str) -> String {
    w.nav("knowledge").await;
    w.click("[data-testid=kb-source] option[value=documents]")
        .await;
    w.fill("[data-testid=kb-query]", query).await;
    w.click("[data-testid=kb-search]").await;
    let first = query.split(' ').next().unwrap_or(query).to_lowercase();
    w.until_text("[data-testid=kb-hit]", |t| {
        t.to_lowercase().contains(&first)
    })
    .await
}
