//! The Compilar desktop shell. Thin by design: each command parses its arguments, calls one method of the
//! core facade ([`compilar_core::App`]) and maps the error to `{code, message, retryable}`.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use compilar_core::api::{
    AnswerAck, AnswerRequest, Assessment, AssessmentPage, AssessmentRef, CreateAssessmentRequest,
    Diagnostics, FrameworkInfo, ListRequest,
};
use compilar_core::{App, ErrorPayload, Paths};
use tauri::State;

/// The core, or why it could not start (shown by the UI instead of a blank window).
struct Core(Result<App, ErrorPayload>);

impl Core {
    fn app(&self) -> Result<&App, ErrorPayload> {
        self.0.as_ref().map_err(Clone::clone)
    }
}

type Reply<T> = Result<T, ErrorPayload>;

#[tauri::command]
fn framework(core: State<'_, Core>) -> Reply<FrameworkInfo> {
    Ok(core.app()?.framework())
}

#[tauri::command]
async fn create_assessment(
    core: State<'_, Core>,
    req: CreateAssessmentRequest,
) -> Reply<Assessment> {
    core.app()?
        .create_assessment(req)
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
async fn answer(core: State<'_, Core>, req: AnswerRequest) -> Reply<AnswerAck> {
    core.app()?.answer(req).await.map_err(|e| e.payload())
}

#[tauri::command]
async fn complete_assessment(core: State<'_, Core>, id: String) -> Reply<Assessment> {
    core.app()?
        .complete_assessment(&id)
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
async fn get_assessment(core: State<'_, Core>, id: String) -> Reply<Assessment> {
    core.app()?
        .get_assessment(&id)
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
async fn list_assessments(core: State<'_, Core>, req: ListRequest) -> Reply<AssessmentPage> {
    core.app()?
        .list_assessments(req)
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
async fn delete_assessment(core: State<'_, Core>, id: String) -> Reply<AssessmentRef> {
    core.app()?
        .delete_assessment(&id)
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
async fn restore_assessment(core: State<'_, Core>, id: String) -> Reply<Assessment> {
    core.app()?
        .restore_assessment(&id)
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
async fn diagnostics(core: State<'_, Core>) -> Reply<Diagnostics> {
    core.app()?.diagnostics().await.map_err(|e| e.payload())
}

fn main() {
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
        .manage(Core(core))
        .invoke_handler(tauri::generate_handler![
            framework,
            create_assessment,
            answer,
            complete_assessment,
            get_assessment,
            list_assessments,
            delete_assessment,
            restore_assessment,
            diagnostics,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "the window could not be created");
        eprintln!("Compilar could not start its window: {e}");
        std::process::exit(1);
    }
}
