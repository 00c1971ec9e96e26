//! The window's commands, generated from the one list in `command_list.rs`: each parses its arguments, makes
//! one core call and returns the core's reply or its error (`{code, message, retryable, …}`).

use compilar_core::output::Overwrite;
use compilar_core::ts_rs::{Config, TS};
use compilar_core::{App, ErrorPayload};
use std::path::{Path, PathBuf};

use tauri::ipc::Channel;
use tauri::State;

/// The core, or why it could not start (every command then returns that error, and the UI shows it; after a
/// recovery it is opened again), and the files the user chose or dropped.
pub struct Core {
    app: std::sync::RwLock<Result<App, ErrorPayload>>,
    chosen: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
    /// Files the user named in a save dialog this session: the only ones "Show in folder" opens.
    saved: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
    /// An invitation link the app was opened with, until the page takes it.
    opened: std::sync::Mutex<Option<String>>,
}

/// What a shell command works on: the core and the window that called.
pub struct Shell<'a> {
    pub core: &'a Core,
    pub window: &'a tauri::WebviewWindow,
}

/// The longest link opened outside the app.
const MAX_LINK_CHARS: usize = 2048;

/// A link the system may open: http, https or mailto, at most [`MAX_LINK_CHARS`].
fn external_url(url: &str) -> compilar_core::Result<url::Url> {
    if url.len() > MAX_LINK_CHARS {
        return Err(compilar_core::Error::PayloadTooLarge {
            what: "link",
            max: MAX_LINK_CHARS,
            unit: "characters",
        });
    }
    url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https" | "mailto"))
        .ok_or_else(|| {
            compilar_core::Error::InvalidArgument(
                "Only web (http, https) and mail links open outside Compilar.".into(),
            )
        })
}

/// The file types the picker offers (what the core imports).
const DOCUMENT_EXTENSIONS: &[&str] = &["md", "markdown", "txt", "text", "pdf"];

impl Shell<'_> {
    /// Opens the system's file picker; what the user picks may then be imported.
    async fn choose_documents(&self) -> Result<Vec<String>, ErrorPayload> {
        use tauri_plugin_dialog::DialogExt;
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.window
            .dialog()
            .file()
            .set_parent(self.window)
            .set_title("Import documents")
            .add_filter("Markdown, text or PDF", DOCUMENT_EXTENSIONS)
            .pick_files(move |picked| {
                let _ = tx.send(picked);
            });
        let picked = rx.await.ok().flatten().unwrap_or_default();
        let paths: Vec<PathBuf> = picked
            .into_iter()
            .filter_map(|p| p.into_path().ok())
            .collect();
        self.core.record(&paths);
        Ok(paths.iter().map(|p| p.display().to_string()).collect())
    }

    /// Imports a document the user chose or dropped; any other path is refused before it is opened.
    async fn import_document(
        &self,
        req: compilar_core::api::ImportDocumentRequest,
        progress: impl Fn(compilar_core::api::ImportProgress) + Send + Sync + 'static,
    ) -> Result<compilar_core::api::DocumentInfo, ErrorPayload> {
        // Down (a damaged database): the UI is told exactly that, with the core's own code.
        let app = self.core.app()?;
        self.core.allowed(Path::new(&req.path)).await?;
        Ok(app.documents().import(req, progress).await?)
    }

    /// Asks where to save a file (the save dialog), suggesting `name`; `None` when the user cancelled.
    async fn save_path(&self, title: &str, name: &str, filter: (&str, &str)) -> Option<PathBuf> {
        use tauri_plugin_dialog::DialogExt;
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.window
            .dialog()
            .file()
            .set_parent(self.window)
            .set_title(title)
            .set_file_name(name)
            .add_filter(filter.0, &[filter.1])
            .save_file(move |picked| {
                let _ = tx.send(picked);
            });
        let path = rx.await.ok().flatten().and_then(|p| p.into_path().ok())?;
        self.core.remember_saved(&path);
        Some(path)
    }

    /// Opens the folder holding a file saved this session in the system's file manager. Any other path is
    /// refused (the page cannot have the shell open arbitrary places).
    fn show_in_folder(&self, path: &str) -> Result<(), ErrorPayload> {
        let path = PathBuf::from(path);
        if !self.core.was_saved(&path) {
            return Err(compilar_core::Error::PathNotChosen.into());
        }
        let folder = if path.is_dir() {
            path.as_path()
        } else {
            path.parent().unwrap_or(path.as_path())
        };
        Ok(open::that_detached(folder).map_err(|e| {
            compilar_core::Error::InvalidArgument(format!("The folder could not be opened: {e}"))
        })?)
    }

    /// Opens the system's file picker for a backup to restore; the file picked may then be restored.
    async fn choose_backup_file(&self) -> Result<Option<String>, ErrorPayload> {
        use tauri_plugin_dialog::DialogExt;
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.window
            .dialog()
            .file()
            .set_parent(self.window)
            .set_title("Restore a backup")
            .add_filter("Compilar backup", &["db"])
            .pick_file(move |picked| {
                let _ = tx.send(picked);
            });
        let Some(path) = rx.await.ok().flatten().and_then(|p| p.into_path().ok()) else {
            return Ok(None);
        };
        self.core.record(std::slice::from_ref(&path));
        Ok(Some(path.display().to_string()))
    }

    /// Asks where to export (a new zip archive, or a folder) and exports everything there. `None` when the
    /// user cancelled the dialog.
    async fn export_data(
        &self,
        format: compilar_core::api::ArchiveFormat,
        request_id: String,
        progress: impl Fn(compilar_core::api::ExportProgress) + Send + Sync + 'static,
    ) -> Result<Option<compilar_core::api::ExportSummary>, ErrorPayload> {
        use compilar_core::api::ArchiveFormat;
        use tauri_plugin_dialog::DialogExt;
        let app = self.core.app()?;
        let name = app.data().default_export_name();
        let path = match format {
            ArchiveFormat::Zip => {
                self.save_path(
                    "Export your data",
                    &format!("{name}.zip"),
                    ("Zip archive", "zip"),
                )
                .await
            }
            ArchiveFormat::Folder => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                self.window
                    .dialog()
                    .file()
                    .set_parent(self.window)
                    .set_title("Export your data into a new folder in…")
                    .pick_folder(move |picked| {
                        let _ = tx.send(picked);
                    });
                rx.await
                    .ok()
                    .flatten()
                    .and_then(|p| p.into_path().ok())
                    .map(|p| p.join(&name))
            }
        };
        let Some(path) = path else { return Ok(None) };
        self.core.remember_saved(&path);
        let req = compilar_core::api::ExportRequest {
            path: path.display().to_string(),
            format: Some(format),
            request_id,
            // The save dialog asked before a zip archive is replaced.
            overwrite: Some(true),
        };
        Ok(Some(app.data().export(req, progress).await?))
    }

    /// Opens the picker for an export to import (a zip archive or an export folder).
    async fn choose_import(
        &self,
        format: compilar_core::api::ArchiveFormat,
    ) -> Result<Option<String>, ErrorPayload> {
        use tauri_plugin_dialog::DialogExt;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let dialog = self
            .window
            .dialog()
            .file()
            .set_parent(self.window)
            .set_title("Import an export");
        match format {
            compilar_core::api::ArchiveFormat::Zip => dialog
                .add_filter("Compilar export", &["zip"])
                .pick_file(move |picked| {
                    let _ = tx.send(picked);
                }),
            compilar_core::api::ArchiveFormat::Folder => dialog.pick_folder(move |picked| {
                let _ = tx.send(picked);
            }),
        }
        let Some(path) = rx.await.ok().flatten().and_then(|p| p.into_path().ok()) else {
            return Ok(None);
        };
        self.core.record(std::slice::from_ref(&path));
        Ok(Some(path.display().to_string()))
    }

    /// Imports (or dry-runs) an export the user picked.
    async fn import_data(
        &self,
        req: compilar_core::api::ImportRequest,
    ) -> Result<compilar_core::api::ImportSummary, ErrorPayload> {
        let app = self.core.app()?;
        self.core.allowed(Path::new(&req.path)).await?;
        Ok(app.data().import(req).await?)
    }

    /// Restores a backup from the backup folder or one the user picked, then opens the core again on the
    /// restored data.
    async fn restore_backup(
        &self,
        path: &str,
    ) -> Result<compilar_core::api::RestoreOutcome, ErrorPayload> {
        let app = self.core.app()?;
        let p = Path::new(path);
        let in_backups = p.parent() == Some(app.paths().backup_dir.as_path());
        if !in_backups {
            self.core.allowed(p).await?;
        }
        let out = app.data().restore(path).await?;
        drop(app);
        self.core.reopen().await;
        Ok(out)
    }

    /// Undoes the newest restore, then opens the core again.
    async fn undo_restore(&self) -> Result<compilar_core::api::RestoreOutcome, ErrorPayload> {
        let out = self.core.app()?.data().undo_restore().await?;
        self.core.reopen().await;
        Ok(out)
    }

    /// Deletes all the user's data (after the typed confirmation), then opens the core again.
    async fn delete_all_data(
        &self,
        confirmation: &str,
    ) -> Result<compilar_core::api::DeleteOutcome, ErrorPayload> {
        let out = self
            .core
            .app()?
            .data()
            .delete_everything(confirmation)
            .await?;
        self.core.reopen().await;
        Ok(out)
    }

    /// Asks where to save an assessment's coaching report (Markdown) and has the core write it there. The path
    /// written, or `None` when the user cancelled.
    async fn save_report(&self, assessment_id: &str) -> Result<Option<String>, ErrorPayload> {
        let app = self.core.app()?;
        let name = app.reports().suggested_coach_name(assessment_id).await?;
        let Some(path) = self
            .save_path("Save the coaching report", &name, ("Markdown", "md"))
            .await
        else {
            return Ok(None);
        };
        app.coach()
            .save_markdown(assessment_id, &path, Overwrite::Allow)
            .await?;
        Ok(Some(path.display().to_string()))
    }

    /// Asks where to save a result as a report (HTML or PDF) and has the core write it there.
    async fn save_result_report(
        &self,
        assessment_id: &str,
        format: compilar_core::api::ReportFormat,
    ) -> Result<Option<compilar_core::api::ReportFile>, ErrorPayload> {
        let app = self.core.app()?;
        let filter = match format {
            compilar_core::api::ReportFormat::Html => ("HTML", "html"),
            compilar_core::api::ReportFormat::Pdf => ("PDF", "pdf"),
        };
        let name = app
            .reports()
            .suggested_name(assessment_id, filter.1)
            .await?;
        let Some(path) = self.save_path("Save the result", &name, filter).await else {
            return Ok(None);
        };
        Ok(Some(
            app.reports()
                .save(assessment_id, format, &path, Overwrite::Allow)
                .await?,
        ))
    }

    /// Asks where to save a team's results (CSV or JSON, aggregates only) and has the core write them there.
    async fn save_team_results(
        &self,
        req: compilar_core::api::TeamResultsRequest,
        format: &str,
    ) -> Result<Option<String>, ErrorPayload> {
        let app = self.core.app()?;
        let (name, filter) = match format {
            "json" => ("team-results.json", ("JSON", "json")),
            _ => ("team-results.csv", ("CSV", "csv")),
        };
        let Some(path) = self.save_path("Save the team results", name, filter).await else {
            return Ok(None);
        };
        app.teams()
            .save_results(req, format, &path, Overwrite::Allow)
            .await?;
        Ok(Some(path.display().to_string()))
    }

    /// Asks where to save a round's team coaching report (Markdown) and has the core write it there.
    async fn save_team_report(&self, round_id: &str) -> Result<Option<String>, ErrorPayload> {
        let app = self.core.app()?;
        let Some(path) = self
            .save_path(
                "Save the team coaching report",
                "team-coaching-report.md",
                ("Markdown", "md"),
            )
            .await
        else {
            return Ok(None);
        };
        app.teams()
            .save_report(round_id, &path, Overwrite::Allow)
            .await?;
        Ok(Some(path.display().to_string()))
    }

    /// Asks where to save a conversation (Markdown or JSON) and has the core write it there.
    async fn save_conversation(
        &self,
        id: &str,
        format: compilar_core::api::ExportFormat,
    ) -> Result<Option<String>, ErrorPayload> {
        let app = self.core.app()?;
        let (name, filter) = match format {
            compilar_core::api::ExportFormat::Markdown => ("conversation.md", ("Markdown", "md")),
            compilar_core::api::ExportFormat::Json => ("conversation.json", ("JSON", "json")),
        };
        let Some(path) = self.save_path("Save the conversation", name, filter).await else {
            return Ok(None);
        };
        app.chat().save(id, format, &path, Overwrite::Allow).await?;
        Ok(Some(path.display().to_string()))
    }

    /// Opens a web or mail link in the system's browser or mail program (never in the app window).
    fn open_external(&self, url: &str) -> Result<(), ErrorPayload> {
        let url = external_url(url)?;
        Ok(open::that_detached(url.as_str()).map_err(|e| {
            compilar_core::Error::InvalidArgument(format!(
                "The link could not be opened in your browser: {e}"
            ))
        })?)
    }
}

impl Core {
    pub fn new(core: Result<App, ErrorPayload>) -> Self {
        Core {
            app: std::sync::RwLock::new(core),
            chosen: std::sync::Mutex::new(std::collections::HashSet::new()),
            saved: std::sync::Mutex::new(std::collections::HashSet::new()),
            opened: std::sync::Mutex::new(None),
        }
    }

    /// Keeps a link the app was opened with (a newer one replaces it) for the page to take.
    pub fn opened_link(&self, link: String) {
        if let Ok(mut opened) = self.opened.lock() {
            *opened = Some(link);
        }
    }

    /// The invitation code of the link the app was opened with, once; `None` without one.
    fn take_opened_link(&self) -> Result<Option<String>, ErrorPayload> {
        let link = self.opened.lock().ok().and_then(|mut o| o.take());
        link.map(|l| compilar_core::api::invitation_in_link(&l).map_err(ErrorPayload::from))
            .transpose()
    }

    /// Paths the user picked or dropped on the window.
    fn remember_saved(&self, path: &Path) {
        if let Ok(mut saved) = self.saved.lock() {
            saved.insert(path.to_path_buf());
        }
    }

    /// Whether `path` is a file saved this session (as named in the dialog, or the same file reached another
    /// way, as the core reports the path it wrote).
    fn was_saved(&self, path: &Path) -> bool {
        let Ok(saved) = self.saved.lock() else {
            return false;
        };
        if saved.contains(path) {
            return true;
        }
        let Ok(real) = path.canonicalize() else {
            return false;
        };
        saved
            .iter()
            .any(|s| s.canonicalize().is_ok_and(|c| c == real))
    }

    pub fn record(&self, paths: &[PathBuf]) {
        if let Ok(mut chosen) = self.chosen.lock() {
            chosen.extend(paths.iter().cloned());
        }
    }

    /// Whether `path` was chosen by the user. A drop reaches the page and the shell separately, so a path
    /// not seen yet is looked for again for a moment.
    async fn allowed(&self, path: &Path) -> compilar_core::Result<()> {
        for _ in 0..20 {
            if self.chosen.lock().is_ok_and(|c| c.contains(path)) {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        tracing::warn!(path = %path.display(), "import refused: not a file the user chose");
        Err(compilar_core::Error::PathNotChosen)
    }

    /// Opens the core again on the same data folder (after a restore or deleting everything: its caches and
    /// the migrations an older backup needs).
    async fn reopen(&self) {
        let reopened = App::open(None).await.map_err(|e| {
            tracing::error!(error = %e, code = e.code(), "the core could not start again");
            e.payload()
        });
        if let Ok(mut core) = self.app.write() {
            *core = reopened;
        }
    }

    fn app(&self) -> Result<App, ErrorPayload> {
        match self.app.read() {
            Ok(core) => core.clone(),
            Err(_) => {
                Err(compilar_core::Error::Internal("the core's lock is poisoned".into()).payload())
            }
        }
    }

    fn recovery_status(&self) -> Result<compilar_core::recovery::RecoveryStatus, ErrorPayload> {
        Ok(compilar_core::recovery::status(None)?)
    }

    /// Recovers the data folder (only while the core is down), then opens the core again.
    async fn recover(
        &self,
        action: compilar_core::recovery::RecoveryAction,
    ) -> Result<compilar_core::recovery::RecoveryOutcome, ErrorPayload> {
        if self.app().is_ok() {
            return Err(compilar_core::Error::InvalidArgument(
                "The database is in use and working; there is nothing to recover.".into(),
            )
            .into());
        }
        let outcome = compilar_core::recovery::recover(None, action)?;
        self.reopen().await;
        Ok(outcome)
    }
}

/// Sends core events (progress, stream tokens) to the window through a channel.
fn forward<T: serde::Serialize + Clone + Send + Sync + 'static>(
    channel: Channel<T>,
) -> impl Fn(T) + Send + Sync {
    move |event| {
        if let Err(e) = channel.send(event) {
            tracing::debug!(error = %e, "an event could not reach the window");
        }
    }
}

/// A command as the TypeScript generator sees it.
pub struct Spec {
    pub name: &'static str,
    pub args: Vec<(&'static str, String)>,
    /// The channel argument's name and event type, if the command streams.
    pub channel: Option<(&'static str, String)>,
    pub reply: String,
}

fn ts<T: TS + ?Sized>() -> String {
    T::name(&Config::default())
}

macro_rules! commands {
    ($(
        $name:ident ( $($arg:ident : $ty:ty),* $(; $ch:ident => $chty:ty)? ) -> $ret:ty = |$app:ident| $body:expr;
    )*
    @shell {$(
        $sname:ident ( $($sarg:ident : $sty:ty),* $(; $sch:ident => $schty:ty)? ) -> $sret:ty = |$shell:ident| $sbody:expr;
    )*}) => {
        $(
            #[tauri::command]
            async fn $name(
                core: State<'_, Core>,
                $($arg: $ty,)*
                $($ch: Channel<$chty>,)?
            ) -> Result<$ret, ErrorPayload> {
                let $app = &core.app()?;
                let reply: compilar_core::Result<$ret> = $body;
                reply.map_err(ErrorPayload::from)
            }
        )*
        $(
            #[tauri::command]
            async fn $sname(
                core: State<'_, Core>,
                window: tauri::WebviewWindow,
                $($sarg: $sty,)*
                $($sch: Channel<$schty>,)?
            ) -> Result<$sret, ErrorPayload> {
                let $shell = Shell { core: &core, window: &window };
                let reply: Result<$sret, ErrorPayload> = $sbody;
                reply
            }
        )*

        /// The handler of every command.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name,)* $($sname),*]
        }

        /// Every command, for the TypeScript generator.
        #[allow(dead_code)]
        pub fn specs() -> Vec<Spec> {
            vec![$(Spec {
                name: stringify!($name),
                args: vec![$((stringify!($arg), ts::<$ty>())),*],
                channel: None $(.or(Some((stringify!($ch), ts::<$chty>()))))?,
                reply: ts::<$ret>(),
            },)* $(Spec {
                name: stringify!($sname),
                args: vec![$((stringify!($sarg), ts::<$sty>())),*],
                channel: None $(.or(Some((stringify!($sch), ts::<$schty>()))))?,
                reply: ts::<$sret>(),
            }),*]
        }
    };
}

include!("command_list.rs");

/// `snake_case` → `camelCase`, as Tauri names command arguments on the JavaScript side.
fn camel(s: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in s.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The UI's command wrappers (`ui/src/lib/commands.ts`).
#[allow(dead_code)]
pub fn typescript() -> String {
    let mut types = std::collections::BTreeSet::new();
    let mut body = String::new();
    for s in specs() {
        let mut params: Vec<String> = s
            .args
            .iter()
            .map(|(a, t)| format!("{}: {t}", camel(a)))
            .collect();
        let mut keys: Vec<String> = s.args.iter().map(|(a, _)| camel(a)).collect();
        for t in s
            .args
            .iter()
            .map(|(_, t)| t)
            .chain([&s.reply])
            .chain(s.channel.iter().map(|c| &c.1))
        {
            collect_names(t, &mut types);
        }
        let call = if let Some((ch, ev)) = &s.channel {
            let ch = camel(ch);
            params.push(format!("{ch}: (event: {ev}) => void"));
            keys.push(format!("{ch}: channelOf({ch})"));
            format!(
                "call<{}>(\"{}\", {{ {} }})",
                s.reply,
                s.name,
                keys.join(", ")
            )
        } else if keys.is_empty() {
            format!("call<{}>(\"{}\")", s.reply, s.name)
        } else {
            format!(
                "call<{}>(\"{}\", {{ {} }})",
                s.reply,
                s.name,
                keys.join(", ")
            )
        };
        body.push_str(&format!(
            "  {}: ({}): Promise<{}> => {call},\n",
            camel(s.name),
            params.join(", "),
            s.reply
        ));
    }
    let imports: Vec<String> = types.into_iter().collect();
    format!(
        "// Generated from src-tauri/src/command_list.rs by `commands::typescript()`. Do not edit: run\n\
         // `UPDATE_BINDINGS=1 cargo test -p compilar commands` after changing a command.\n\
         import type {{ {} }} from \"./bindings\";\n\
         import {{ call, channelOf }} from \"./invoke\";\n\n\
         /** Every command of the core, typed. Each resolves with its reply or rejects with an ErrorPayload. */\n\
         export const commands = {{\n{body}}};\n",
        imports.join(", ")
    )
}

/// The named types in a TypeScript type expression (`Array<DocumentInfo>` → `DocumentInfo`).
fn collect_names(t: &str, out: &mut std::collections::BTreeSet<String>) {
    for word in t.split(|c: char| !c.is_alphanumeric() && c != '_') {
        if word.chars().next().is_some_and(char::is_uppercase)
            && !matches!(word, "Array" | "Record" | "Promise")
        {
            out.insert(word.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    /// Only web and mail links of a sane length leave the app.
    #[test]
    fn external_links_are_checked() {
        use super::external_url;
        assert!(external_url("https://example.org/a?b=c").is_ok());
        assert!(external_url("mailto:someone@example.org").is_ok());
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "tauri://localhost",
            "not a url",
        ] {
            assert_eq!(
                external_url(bad).unwrap_err().code(),
                "invalid_argument",
                "{bad}"
            );
        }
        let long = format!("https://example.org/{}", "a".repeat(3000));
        assert_eq!(external_url(&long).unwrap_err().code(), "payload_too_large");
    }

    /// The UI's command wrappers must match the command list. `UPDATE_BINDINGS=1` rewrites the file.
    #[test]
    fn commands_ts_is_up_to_date() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/lib/commands.ts");
        let fresh = super::typescript();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(path, &fresh).unwrap();
        }
        let current = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            current == fresh,
            "ui/src/lib/commands.ts is out of date: run `UPDATE_BINDINGS=1 cargo test -p compilar commands`"
        );
    }
}
