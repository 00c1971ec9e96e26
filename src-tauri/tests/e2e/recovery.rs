//! A damaged database in the real window: the app opens on the recovery screen (not a dead error), lists
//! the automatic backup, restores it, and the assessment saved before is back.

use crate::window::{screenshot, Window};

#[tokio::test]
async fn a_damaged_database_is_recovered_from_the_window() {
    let Some(w) = Window::open_prepared("a_damaged_database_is_recovered_from_the_window", |dir| {
        // One assessment, two starts (the second takes the first automatic backup), then the file destroyed.
        // On a thread of its own: the test's runtime is already driving this closure.
        std::thread::scope(|s| {
            s.spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    for first in [true, false] {
                        let opts = compilar_core::AppOptions::for_tests(dir);
                        let app = compilar_core::App::open_with(opts).await.unwrap();
                        if first {
                            crate::common::create(&app, "grpprosp", "egalitarian").await;
                        }
                    }
                });
            });
        });
        for f in ["compilar.db-wal", "compilar.db-shm"] {
            let _ = std::fs::remove_file(dir.join(f));
        }
        std::fs::write(dir.join("compilar.db"), vec![0x5a; 16384]).unwrap();
    })
    .await
    else {
        return;
    };
    w.until_text("[data-testid=recovery]", |t| t.contains("damaged"))
        .await;
    w.until_text("[data-testid=recovery]", |t| t.contains("automatic"))
        .await;
    screenshot("recovery").await;
    w.click("[data-testid=recovery-restore]").await;
    w.until_text("[data-testid=recovery-done]", |t| t.contains("Restored"))
        .await;
    let done = w.text("[data-testid=recovery-done]").await;
    assert!(done.contains("compilar.damaged-"), "{done}");
    w.click("[data-testid=recovery-continue]").await;
    w.nav("history").await;
    w.until_count("[data-testid=history-item]", 1).await;
    w.close().await;
}
