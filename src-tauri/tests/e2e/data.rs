//! Your data in the window: export everything as a zip through the save dialog, then import it into a fresh
//! installation through the file picker, seeing the dry-run preview first; back up and restore, then undo.

use compilar_core::{App, AppOptions};

use crate::window::{pick_in_file_dialog, screenshot, Window};

/// One completed assessment about "Product team", written by the core before the app starts.
fn prepare(dir: &std::path::Path) {
    let dir = dir.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let app = App::open_with(AppOptions::for_tests(&dir)).await.unwrap();
            crate::common::completed(&app, "grpprosp", "egalitarian", &[("goal_clarity", 2)]).await;
        })
    })
    .join()
    .unwrap();
}

#[tokio::test]
async fn export_then_import_on_a_fresh_data_folder_and_restore_a_backup() {
    let out = tempfile::tempdir().unwrap();
    let zip = out.path().join("everything.zip");
    let Some(w) = Window::open_prepared("data_export", prepare).await else {
        return;
    };
    w.nav("settings").await;
    w.scroll_to("[data-testid=your-data]").await;
    w.click("[data-testid=export-zip]").await;
    let path = zip.clone();
    tokio::task::spawn_blocking(move || pick_in_file_dialog("Export your data", &path))
        .await
        .unwrap();
    let note = w
        .until_text("[data-testid=data-note]", |t| t.starts_with("Exported to"))
        .await;
    assert!(note.contains("1 assessments"), "{note}");
    assert!(zip.is_file());

    // Back up, add nothing, restore that backup, and undo: the window comes back on Settings each time.
    w.click("[data-testid=backup-now]").await;
    w.until_text("[data-testid=data-note]", |t| {
        t.starts_with("Backup written")
    })
    .await;
    // The newest first: the one just taken by hand (an automatic one was taken at start-up).
    w.until_text("[data-testid=backup-list] li", |t| t.contains("By hand"))
        .await;
    w.click("[data-testid=restore]").await;
    w.click("[data-testid=restore-confirm]").await;
    w.until_text("[data-testid=data-note]", |t| t.starts_with("Restored"))
        .await;
    w.click("[data-testid=undo-restore]").await;
    w.until_text("[data-testid=data-note]", |t| {
        t.starts_with("Restore undone")
    })
    .await;
    w.close().await;

    // A fresh installation: the preview first, then the import.
    let Some(w) = Window::open("data_import").await else {
        return;
    };
    w.nav("settings").await;
    w.scroll_to("[data-testid=your-data]").await;
    w.click("[data-testid=import-zip]").await;
    let path = zip.clone();
    tokio::task::spawn_blocking(move || pick_in_file_dialog("Import an export", &path))
        .await
        .unwrap();
    let preview = w.text("[data-testid=import-preview]").await;
    assert!(preview.contains("assessments"), "{preview}");
    w.scroll_to("[data-testid=import-preview]").await;
    screenshot("import-preview").await;
    w.click("[data-testid=import-confirm]").await;
    w.until_text("[data-testid=data-note]", |t| t.starts_with("Imported"))
        .await;
    w.nav("history").await;
    w.until_count("[data-testid=history-item]", 1).await;
    w.close().await;
}
