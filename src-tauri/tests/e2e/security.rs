//! The window's boundaries: a script in the page cannot import a file the user did not choose, and cannot
//! take the window to another site.

use std::time::Duration;

use crate::window::Window;

#[tokio::test]
async fn the_page_cannot_import_unchosen_files_or_leave_the_app() {
    let Some(w) = Window::open("the_page_cannot_import_unchosen_files_or_leave_the_app").await
    else {
        return;
    };
    w.css("[data-testid=nav-home]").await;
    let secret = tempfile::NamedTempFile::with_suffix(".txt").unwrap();
    std::fs::write(secret.path(), "a private note the page never saw").unwrap();
    // What a scripted page would do: call the command directly with a path of its choosing.
    let reply = w
        .c
        .execute_async(
            r#"const [path, done] = arguments;
               const t = window.__TAURI_INTERNALS__;
               const ch = t.transformCallback(() => {});
               t.invoke("import_document", { req: { path, import_id: "scripted" }, onProgress: `__CHANNEL__:${ch}` })
                 .then(() => done("imported"), (e) => done(e.code ?? JSON.stringify(e)));"#,
            vec![serde_json::json!(secret.path().display().to_string())],
        )
        .await
        .unwrap();
    assert_eq!(reply, "path_not_chosen");
    w.nav("documents").await;
    w.css("[data-testid=doc-empty]").await;

    // A script (or a link in model output) sending the window elsewhere is stopped.
    let before = w.c.current_url().await.unwrap();
    w.c.execute("window.location.href = 'https://example.org/';", vec![])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(w.c.current_url().await.unwrap(), before);
    w.css("[data-testid=nav-home]").await;
    w.close().await;
}
