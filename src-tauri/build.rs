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
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script failed");
}
