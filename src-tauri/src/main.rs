//! The Compilar desktop shell. Thin by design: the commands (generated from `command_list.rs`) each parse
//! their arguments, make one core call and return its reply or error.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

use compilar_core::{App, Paths};
use tauri::Manager;

/// Whether the window may show `url`: only the app's own pages (`tauri://localhost`, and
/// `http(s)://tauri.localhost` on Windows). A link in model output, or a script, cannot take the window
/// elsewhere; links open in the system's browser through `open_external` after a click.
fn own_page(url: &tauri::Url) -> bool {
    url.scheme() == "tauri"
        || url.host_str() == Some("tauri.localhost")
        || url.as_str() == "about:blank"
}

/// Blocks every navigation away from the app's own pages.
fn navigation_guard<R: tauri::Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_, url| {
            let ok = own_page(url);
            if !ok {
                tracing::warn!(%url, "navigation blocked");
            }
            ok
        })
        .build()
}

/// On Linux, WebKitGTK's DMA-BUF renderer is turned off unless the user chose otherwise
/// (`WEBKIT_DISABLE_DMABUF_RENDERER=0` keeps it): without a GPU it renders through software GL and takes about
/// 100 MB more in the web process (`scripts/measure-memory.sh`), and on some NVIDIA/Wayland set-ups it
/// leaves the window blank. The fallback path paints the same pages.
#[cfg(target_os = "linux")]
fn choose_webkit_renderer() {
    const VAR: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";
    if std::env::var_os(VAR).is_none() {
        // Called first thing in `main`, before any thread exists.
        std::env::set_var(VAR, "1");
    }
}

fn main() {
    #[cfg(target_os = "linux")]
    choose_webkit_renderer();

    // Logs go to the data folder's `logs/`; if even that is impossible, stderr still works.
    let _log_guard = Paths::resolve(None)
        .and_then(|p| compilar_core::logging::init(&p.log_dir))
        .map_err(|e| eprintln!("Compilar: logging to a file is unavailable: {e}"))
        .ok();

    let core = tauri::async_runtime::block_on(App::open(None)).map_err(|e| {
        tracing::error!(error = %e, code = e.code(), "the core could not start");
        e.payload()
    });

    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(navigation_guard())
        .manage(commands::Core::new(core))
        // Files dropped on the window may be imported (the page asks for them by path).
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                window.state::<commands::Core>().record(paths);
            }
        })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "the window could not be created");
        eprintln!("Compilar could not start its window: {e}");
        std::process::exit(1);
    }
}
