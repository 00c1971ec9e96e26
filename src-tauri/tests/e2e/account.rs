//! Sign-in and sync in the real window, against the real PostgreSQL + PostgREST target and a real keychain
//! (GNOME Keyring on the app's own session bus): the sign-in form, the prompt to bring the data already on
//! this computer, the signed-in card with its sync state, the sidebar's sync pill, a restart that keeps the
//! session, and signing out.

use compilar_core::{App, AppOptions};

use crate::window::{screenshot, Window};

fn prepare(dir: &std::path::Path) {
    let dir = dir.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let app = App::open_with(AppOptions::for_tests(&dir)).await.unwrap();
            crate::common::completed(&app, "grpprosp", "egalitarian", &[]).await;
        })
    })
    .join()
    .unwrap();
}

/// Waits until the sidebar's sync pill says `want` (its label and its tooltip, which the narrow sidebar shows).
async fn sidebar_says(w: &Window, want: &str) {
    let seen = std::sync::Mutex::new(String::new());
    let start = std::time::Instant::now();
    loop {
        let t = w
            .c
            .execute(
                "const b = document.querySelector('[data-testid=sidebar-sync]'); return b ? b.title : '(no pill)';",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if t.contains(want) {
            return;
        }
        *seen.lock().unwrap() = t;
        assert!(
            start.elapsed() < std::time::Duration::from_secs(15),
            "the sidebar never said {want}; it says {:?}",
            seen.lock().unwrap()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn sign_in_bring_local_data_sync_and_sign_out() {
    let Some(s) = crate::supabase::start() else {
        return;
    };
    s.add_user("fac@example.test", "a good password");
    let Some(w) = Window::open_with_keyring("account", prepare).await else {
        return;
    };
    w.c.set_window_rect(0, 0, 1280, 900).await.unwrap();
    w.nav("account").await;
    w.css("[data-testid=account-form]").await;
    // No sync pill before anyone signs in: the sidebar only says it works offline.
    assert_eq!(w.count("[data-testid=sidebar-sync]").await, 0);

    // A plain-http address on another host is refused at the field.
    w.fill("[data-testid=account-url]", "http://example.test")
        .await;
    w.fill("[data-testid=account-key]", crate::supabase::ANON_KEY)
        .await;
    w.fill("[data-testid=account-email]", "fac@example.test")
        .await;
    w.fill("[data-testid=account-password]", "a good password")
        .await;
    w.click("[data-testid=sign-in]").await;
    let msg = w.text(".field-error").await;
    assert!(msg.contains("https://"), "{msg}");

    w.fill("[data-testid=account-url]", &s.url).await;
    screenshot("account-sign-in").await;
    w.click("[data-testid=sign-in]").await;
    // One assessment is already here: the app asks before it goes to the account.
    let ask = w.text("[data-testid=adopt-local]").await;
    assert!(ask.contains("1 assessment"), "{ask}");
    screenshot("account-adopt-local").await;
    w.click("[data-testid=adopt-local-yes]").await;
    w.css("[data-testid=account-signed-in]").await;
    w.until_text("[data-testid=account-sync-state]", |t| t == "Synced")
        .await;
    sidebar_says(&w, "Synced").await;
    assert_eq!(s.sql("select count(*) from assessments"), "1");
    assert_eq!(s.sql("select count(*) from answers"), "12");
    screenshot("account-synced").await;

    // The token is checked on this computer: the details say so.
    w.click("details.token summary").await;
    let t = w.text("[data-testid=token-details]").await;
    assert!(t.contains("Checked on this computer"), "{t}");

    // A restart keeps the session (it is in the keychain, not the database).
    let w = w.restart_app().await;
    w.nav("account").await;
    w.css("[data-testid=account-signed-in]").await;
    sidebar_says(&w, "Synced").await;

    w.click("[data-testid=sign-out]").await;
    w.css("[data-testid=account-form]").await;
    sidebar_says(&w, "Signed out").await;
    assert_eq!(s.gateway.count("logout"), 1);
    screenshot("account-signed-out").await;
    w.close().await;
}
