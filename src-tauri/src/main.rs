//! The Compilar desktop shell. Thin by design: each command parses its arguments, calls one method of the
//! core facade ([`compilar_core::App`]) and maps the error to `{code, message, retryable}`.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use compilar_core::api::ImportDocumentRequest;
use compilar_core::api::{
    AnswerAck, AnswerRequest, AskRequest, Assessment, AssessmentPage, AssessmentRef,
    BreakerControlRequest, CreateAssessmentRequest, Diagnostics, FrameworkInfo, ListRequest,
    LlmSettings, LlmStatus, SaveProvidersRequest, SetKeyRequest,
};
use compilar_core::knowledge::documents::{DocumentInfo, ImportProgress};
use compilar_core::knowledge::models::{EmbeddingModels, SwitchModelRequest, SwitchProgress};
use compilar_core::knowledge::{KnowledgeStatus, SearchReply, SearchRequest};
use compilar_core::llm::{AiSettings, ConnectionTest, StreamEvent};
use compilar_core::{App, ErrorPayload, Paths};
use tauri::ipc::Channel;
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

#[tauri::command]
async fn llm_settings(core: State<'_, Core>) -> Reply<LlmSettings> {
    core.app()?.llm_settings().await.map_err(|e| e.payload())
}

#[tauri::command]
async fn save_provider_settings(
    core: State<'_, Core>,
    req: SaveProvidersRequest,
) -> Reply<LlmSettings> {
    core.app()?
        .save_provider_settings(req)
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
async fn save_ai_settings(core: State<'_, Core>, ai: AiSettings) -> Reply<LlmSettings> {
    core.app()?
        .save_ai_settings(ai)
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
async fn set_api_key(core: State<'_, Core>, req: SetKeyRequest) -> Reply<LlmSettings> {
    core.app()?.set_api_key(req).await.map_err(|e| e.payload())
}

#[tauri::command]
async fn remove_api_key(core: State<'_, Core>, provider: String) -> Reply<LlmSettings> {
    core.app()?
        .remove_api_key(&provider)
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
async fn test_provider(core: State<'_, Core>, provider: String) -> Reply<ConnectionTest> {
    core.app()?
        .test_provider(&provider)
        .await
        .map_err(|e| e.payload())
}

/// Streams an answer through `on_event`; resolves with the last event once the stream has ended.
#[tauri::command]
async fn ask_stream(
    core: State<'_, Core>,
    req: AskRequest,
    on_event: Channel<StreamEvent>,
) -> Reply<StreamEvent> {
    core.app()?
        .ask_stream(req, move |event| {
            if let Err(e) = on_event.send(event) {
                tracing::warn!(error = %e, "a stream event could not reach the window");
            }
        })
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
fn cancel_stream(core: State<'_, Core>, request_id: String) -> Reply<bool> {
    Ok(core.app()?.cancel_stream(&request_id))
}

#[tauri::command]
async fn llm_status(core: State<'_, Core>) -> Reply<LlmStatus> {
    core.app()?.llm_status().await.map_err(|e| e.payload())
}

#[tauri::command]
async fn control_breaker(core: State<'_, Core>, req: BreakerControlRequest) -> Reply<LlmStatus> {
    core.app()?
        .control_breaker(req)
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
async fn search_knowledge(core: State<'_, Core>, req: SearchRequest) -> Reply<SearchReply> {
    core.app()?
        .search_knowledge(req)
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
async fn knowledge_status(core: State<'_, Core>) -> Reply<KnowledgeStatus> {
    core.app()?
        .knowledge_status()
        .await
        .map_err(|e| e.payload())
}

/// Imports a file into the knowledge base; progress goes through `on_progress`.
#[tauri::command]
async fn import_document(
    core: State<'_, Core>,
    req: ImportDocumentRequest,
    on_progress: Channel<ImportProgress>,
) -> Reply<DocumentInfo> {
    core.app()?
        .import_document(req, move |p| {
            if let Err(e) = on_progress.send(p) {
                tracing::warn!(error = %e, "import progress could not reach the window");
            }
        })
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
fn cancel_import(core: State<'_, Core>, import_id: String) -> Reply<bool> {
    Ok(core.app()?.cancel_import(&import_id))
}

#[tauri::command]
async fn list_documents(core: State<'_, Core>) -> Reply<Vec<DocumentInfo>> {
    core.app()?.list_documents().await.map_err(|e| e.payload())
}

#[tauri::command]
async fn delete_document(core: State<'_, Core>, id: String) -> Reply<()> {
    core.app()?
        .delete_document(&id)
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
async fn embedding_models(core: State<'_, Core>) -> Reply<EmbeddingModels> {
    core.app()?
        .embedding_models()
        .await
        .map_err(|e| e.payload())
}

/// Switches the search model; progress goes through `on_progress` (the page also polls `embedding_models`,
/// so a switch started before the page was opened still shows).
#[tauri::command]
async fn switch_embedding_model(
    core: State<'_, Core>,
    req: SwitchModelRequest,
    on_progress: Channel<SwitchProgress>,
) -> Reply<EmbeddingModels> {
    core.app()?
        .switch_embedding_model(req, move |p| {
            if let Err(e) = on_progress.send(p) {
                tracing::debug!(error = %e, "switch progress could not reach the window");
            }
        })
        .await
        .map_err(|e| e.payload())
}

#[tauri::command]
fn cancel_model_switch(core: State<'_, Core>) -> Reply<bool> {
    Ok(core.app()?.cancel_model_switch())
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
            llm_settings,
            save_provider_settings,
            save_ai_settings,
            set_api_key,
            remove_api_key,
            test_provider,
            ask_stream,
            cancel_stream,
            llm_status,
            control_breaker,
            search_knowledge,
            knowledge_status,
            import_document,
            cancel_import,
            list_documents,
            delete_document,
            embedding_models,
            switch_embedding_model,
            cancel_model_switch,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "the window could not be created");
        eprintln!("Compilar could not start its window: {e}");
        std::process::exit(1);
    }
}
