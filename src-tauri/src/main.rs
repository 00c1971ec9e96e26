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

/// The first `compilar:` link among the arguments: on Linux and Windows the system starts the app with the
/// link it was asked to open (the installers register the scheme).
fn link_in_args(args: impl Iterator<Item = String>) -> Option<String> {
    args.skip(1).find(|a| {
        a.get(..9)
            .is_some_and(|p| p.eq_ignore_ascii_case("compilar:"))
    })
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

    let shell_core = commands::Core::new(core);
    if let Some(link) = link_in_args(std::env::args()) {
        tracing::info!("opened with a link");
        shell_core.opened_link(link);
    }

    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(navigation_guard())
        .manage(shell_core)
        // Files dropped on the window may be imported (the page asks for them by path).
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                window.state::<commands::Core>().record(paths);
            }
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "the window could not be created");
            eprintln!("Compilar could not start its window: {e}");
            std::process::exit(1);
        }
    };
    app.run(|_handle, _event| {
        // On macOS a link the app is asked to open arrives as an event, also while it runs: kept, and the
        // page told to take it.
        #[cfg(target_os = "macos")]
        if let tauri::RunEvent::Opened { urls } = _event {
            if let Some(url) = urls.into_iter().find(|u| u.scheme() == "compilar") {
                use tauri::Emitter;
                _handle
                    .state::<commands::Core>()
                    .opened_link(url.to_string());
                let _ = _handle.emit("opened-link", ());
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::link_in_args;

    #[test]
    fn the_link_the_app_is_opened_with_is_found_among_its_arguments() {
        let args = |a: &[&str]| {
            a.iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>()
                .into_iter()
        };
        assert_eq!(
            link_in_args(args(&["compilar", "COMPILAR://join/ABCD"])).as_deref(),
            Some("COMPILAR://join/ABCD")
        );
        assert_eq!(link_in_args(args(&["compilar", "--x"])), None);
        assert_eq!(
            link_in_args(args(&["compilar://join/X"])),
            None,
            "the program itself is not a link"
        );
    }
}
