/// The app's own commands; the capability file grants exactly these to the main window.
const COMMANDS: &[&str] = &[
    "framework",
    "create_assessment",
    "answer",
    "complete_assessment",
    "get_assessment",
    "list_assessments",
    "delete_assessment",
    "restore_assessment",
    "diagnostics",
    "llm_settings",
    "save_provider_settings",
    "save_ai_settings",
    "set_api_key",
    "remove_api_key",
    "test_provider",
    "ask_stream",
    "cancel_stream",
    "llm_status",
    "control_breaker",
    "search_knowledge",
    "knowledge_status",
    "import_document",
    "cancel_import",
    "list_documents",
    "delete_document",
    "embedding_models",
    "switch_embedding_model",
    "cancel_model_switch",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script failed");
}
