//! Export everything: `data.json` (every synced table as records, documents' metadata, settings without
//! secrets; versioned), one CSV per table (plus answers and force scores flattened), and Markdown of the
//! coaching reports and conversations. Into a new folder or a zip archive, written under a temporary name and
//! renamed when complete. A job: progress is reported, and it can be stopped.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde_json::{json, Value};

use super::archive::Sink;
use super::dto::*;
use super::Data;
use crate::error::{Error, Result};
use crate::jobs::{check_id, JobKind};
use crate::output::{Overwrite, Partial};
use crate::store::records::{self, Record, TABLES};

/// The tables and documents as read in one snapshot.
pub(crate) struct Snapshot {
    pub tables: BTreeMap<&'static str, Vec<Record>>,
    pub documents: Vec<Value>,
}

fn csv_of(rows: &[Record], cols: &[&str]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cols).map_err(csv_err)?;
    for r in rows {
        let cells: Vec<String> = cols
            .iter()
            .map(|c| match r.get(*c) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => crate::util::csv_text(s).into_owned(),
                Some(v) => v.to_string(),
            })
            .collect();
        w.write_record(&cells).map_err(csv_err)?;
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("csv: {e}")))
}

fn csv_err(e: csv::Error) -> Error {
    Error::Internal(format!("csv: {e}"))
}

/// Answers and force scores, one row each, for spreadsheets.
fn flattened(assessments: &[Record]) -> (Vec<Record>, Vec<Record>) {
    let (mut answers, mut forces) = (Vec::new(), Vec::new());
    for a in assessments {
        let id = a.get("id").cloned().unwrap_or(Value::Null);
        if let Some(Value::Object(o)) = a.get("responses") {
            for (q, v) in o {
                let mut r = Record::new();
                r.insert("assessment_id".into(), id.clone());
                r.insert("question_id".into(), Value::String(q.clone()));
                r.insert(
                    "value".into(),
                    v.get("value").cloned().unwrap_or(Value::Null),
                );
                r.insert(
                    "answered_at".into(),
                    v.get("at").cloned().unwrap_or(Value::Null),
                );
                answers.push(r);
            }
        }
        if let Some(Value::Array(fs)) = a.get("results").and_then(|r| r.get("forces")) {
            for f in fs {
                let mut r = Record::new();
                r.insert("assessment_id".into(), id.clone());
                for k in ["force", "name", "score", "answered", "total"] {
                    r.insert(k.into(), f.get(k).cloned().unwrap_or(Value::Null));
                }
                forces.push(r);
            }
        }
    }
    (answers, forces)
}

fn safe_file_name(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

impl Data<'_> {
    /// Every synced table and the documents' metadata, in one read transaction.
    pub(crate) async fn snapshot(&self) -> Result<Snapshot> {
        let who = self.ctx.principal.clone();
        self.ctx
            .store
            .read(move |c| {
                c.execute_batch("BEGIN")?;
                let read = || -> Result<Snapshot> {
                    let mut tables = BTreeMap::new();
                    for t in TABLES {
                        tables.insert(t.name, records::read_all(c, t, &who)?);
                    }
                    let mut st = c.prepare(
                        "SELECT id, title, file_name, content_hash, bytes, created_at, updated_at,
                                (SELECT count(*) FROM kb_chunks WHERE source_id = kb_sources.id)
                         FROM kb_sources WHERE kind = 'document' ORDER BY created_at",
                    )?;
                    let documents = st
                        .query_map([], |r| {
                            Ok(json!({
                                "id": r.get::<_, String>(0)?,
                                "title": r.get::<_, String>(1)?,
                                "file_name": r.get::<_, Option<String>>(2)?,
                                "content_hash": r.get::<_, String>(3)?,
                                "bytes": r.get::<_, i64>(4)?,
                                "created_at": r.get::<_, String>(5)?,
                                "updated_at": r.get::<_, String>(6)?,
                                "passages": r.get::<_, i64>(7)?,
                            }))
                        })?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    Ok(Snapshot { tables, documents })
                };
                let out = read();
                let _ = c.execute_batch("COMMIT");
                out
            })
            .await
    }

    /// Exports everything to a new folder or zip archive; `progress` hears how far it is.
    pub async fn export(
        &self,
        req: ExportRequest,
        progress: impl Fn(ExportProgress) + Send + Sync,
    ) -> Result<ExportSummary> {
        check_id(&req.request_id, "export")?;
        let dest = super::checked_path(&req.path, "export path")?;
        let format = req.format.unwrap_or_else(|| {
            if dest
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
            {
                ArchiveFormat::Zip
            } else {
                ArchiveFormat::Folder
            }
        });
        // Never inside the data folder; its folder must exist; a zip archive is replaced only when the user
        // confirmed, a folder export goes into a new or empty folder only.
        let overwrite = match format {
            ArchiveFormat::Zip => Overwrite::when(req.overwrite.unwrap_or(false)),
            ArchiveFormat::Folder => Overwrite::Allow,
        };
        let dest = match crate::output::check(&self.ctx.paths, &dest, overwrite) {
            Err(Error::InvalidArgument(_)) if format == ArchiveFormat::Folder => dest,
            Err(Error::OutputExists(_)) => {
                return Err(Error::ExportTargetExists(dest.display().to_string()))
            }
            other => other?,
        };
        let taken = match format {
            ArchiveFormat::Zip => false,
            ArchiveFormat::Folder => {
                dest.exists() && (!dest.is_dir() || std::fs::read_dir(&dest)?.next().is_some())
            }
        };
        if taken {
            return Err(Error::ExportTargetExists(dest.display().to_string()));
        }
        let job = self.ctx.jobs.start(
            JobKind::Export,
            &req.request_id,
            "Export",
            Some(dest.display().to_string()),
            |_| "An export with this id is already running.".into(),
        )?;
        let cancel = job.token().clone();
        let step = |stage: &str, done: usize, total: usize| {
            progress(ExportProgress {
                stage: stage.into(),
                done: done as u32,
                total: total as u32,
            });
            job.progress(Some(done as u64), Some(total as u64), Some(stage));
        };
        let stopped = || -> Result<()> {
            if cancel.is_cancelled() {
                Err(Error::Cancelled)
            } else {
                Ok(())
            }
        };

        step("reading", 0, 1);
        let snap = self.snapshot().await?;
        stopped()?;
        let settings = self.settings_without_secrets().await?;
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let tables: Vec<TableCount> = snap
            .tables
            .iter()
            .map(|(t, rows)| TableCount {
                table: (*t).to_owned(),
                rows: rows.len() as u32,
            })
            .collect();
        let data = json!({
            "format": "compilar-export",
            "schema_version": EXPORT_FORMAT_VERSION,
            "app_version": env!("CARGO_PKG_VERSION"),
            "exported_at": crate::util::now(),
            "tables": snap.tables,
            "documents": snap.documents,
            "settings": settings,
        });
        files.push((
            "data.json".into(),
            serde_json::to_vec_pretty(&data).map_err(|e| Error::Internal(e.to_string()))?,
        ));
        for (i, t) in TABLES.iter().enumerate() {
            stopped()?;
            step("tables", i, TABLES.len());
            let cols: Vec<&str> = t
                .cols
                .iter()
                .filter(|c| !matches!(c.kind, records::Kind::Answers))
                .map(|c| c.name)
                .collect();
            let rows = snap.tables.get(t.name).map(Vec::as_slice).unwrap_or(&[]);
            files.push((format!("csv/{}.csv", t.name), csv_of(rows, &cols)?));
        }
        let (answers, forces) = flattened(
            snap.tables
                .get("assessments")
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        );
        files.push((
            "csv/answers.csv".into(),
            csv_of(
                &answers,
                &["assessment_id", "question_id", "value", "answered_at"],
            )?,
        ));
        files.push((
            "csv/force_scores.csv".into(),
            csv_of(
                &forces,
                &[
                    "assessment_id",
                    "force",
                    "name",
                    "score",
                    "answered",
                    "total",
                ],
            )?,
        ));
        let docs: Vec<Record> = snap
            .documents
            .iter()
            .filter_map(|d| d.as_object().cloned())
            .collect();
        files.push((
            "csv/documents.csv".into(),
            csv_of(
                &docs,
                &[
                    "id",
                    "title",
                    "file_name",
                    "bytes",
                    "passages",
                    "created_at",
                ],
            )?,
        ));

        // Markdown: the current report of each live assessment, and each live conversation.
        let live = |r: &&Record| r.get("deleted_at").is_none_or(Value::is_null);
        let with_report: Vec<String> = {
            let reports = snap
                .tables
                .get("coach_reports")
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let mut ids: Vec<String> = reports
                .iter()
                .filter(live)
                .filter(|r| r.get("status").and_then(Value::as_str) == Some("complete"))
                .filter_map(|r| {
                    r.get("assessment_id")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .collect();
            ids.sort();
            ids.dedup();
            ids
        };
        let mut reports = 0;
        // Each report named for its result ("Group Prospects (egalitarian) – Team 2026-12-07.md"), not its id;
        // the same name twice gets " (2)", " (3)"…
        let about: HashMap<&str, &Record> = snap
            .tables
            .get("assessments")
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .filter_map(|r| r.get("id").and_then(Value::as_str).map(|id| (id, r)))
            .collect();
        let mut names_used: HashSet<String> = HashSet::new();
        let mut report_name = |id: &str| {
            let text = |r: &Record, k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
            let stem = about.get(id).map_or_else(
                || safe_file_name(id),
                |r| {
                    crate::capabilities::reports::result_file_stem(
                        &self.ctx.domain,
                        &text(r, "pillar").unwrap_or_default(),
                        &text(r, "mode").unwrap_or_default(),
                        text(r, "group_label").as_deref(),
                        &text(r, "completed_at")
                            .or_else(|| text(r, "created_at"))
                            .unwrap_or_default(),
                    )
                },
            );
            let mut name = stem.clone();
            let mut n = 1;
            while !names_used.insert(name.to_lowercase()) {
                n += 1;
                name = format!("{stem} ({n})");
            }
            name
        };
        for (i, id) in with_report.iter().enumerate() {
            stopped()?;
            if i % 50 == 0 {
                step("reports", i, with_report.len());
            }
            match self.ctx.coach().export_markdown(id).await {
                Ok(md) => {
                    files.push((format!("reports/{}.md", report_name(id)), md.into_bytes()));
                    reports += 1;
                }
                // The assessment of a report may itself be in the bin: no report to show then.
                Err(
                    Error::ReportNotFound | Error::AssessmentDeleted | Error::AssessmentNotFound(_),
                ) => {}
                Err(e) => return Err(e),
            }
        }
        let conversations: Vec<String> = snap
            .tables
            .get("conversations")
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .filter(live)
            .filter_map(|r| r.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        for (i, id) in conversations.iter().enumerate() {
            stopped()?;
            if i % 50 == 0 {
                step("conversations", i, conversations.len());
            }
            let md = self
                .ctx
                .chat()
                .export(id, crate::capabilities::chat::dto::ExportFormat::Markdown)
                .await?;
            files.push((
                format!("conversations/{}.md", safe_file_name(id)),
                md.into_bytes(),
            ));
        }
        files.push(("README.md".into(), README.as_bytes().to_vec()));
        let manifest = json!({
            "format": "compilar-export",
            "schema_version": EXPORT_FORMAT_VERSION,
            "exported_at": data["exported_at"],
            "tables": tables,
            "documents": snap.documents.len(),
            "files": files.iter().map(|(n, b)| json!({"name": n, "bytes": b.len()})).collect::<Vec<_>>(),
        });
        files.push((
            "manifest.json".into(),
            serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Internal(e.to_string()))?,
        ));

        stopped()?;
        step("writing", 0, files.len());
        let bytes: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
        let dest2 = dest.clone();
        let total = files.len();
        let cancel2 = cancel.clone();
        let paths = self.ctx.paths.clone();
        tokio::task::spawn_blocking(move || write_out(&paths, &dest2, format, files, &cancel2))
            .await??;
        step("writing", total, total);
        tracing::info!(path = %dest.display(), bytes, "export written");
        Ok(ExportSummary {
            path: dest.display().to_string(),
            format,
            tables,
            documents: snap.documents.len() as u32,
            reports,
            conversations: conversations.len() as u32,
            bytes,
        })
    }

    /// Provider and AI settings and the backup settings: never a key (keys live in the keychain only).
    async fn settings_without_secrets(&self) -> Result<Value> {
        let llm = self.ctx.settings().get().await?;
        let backup = self.ctx.store.read(super::read_settings).await?;
        Ok(json!({
            "providers": llm.providers.iter().map(|p| &p.settings).collect::<Vec<_>>(),
            "ai": llm.ai,
            "backup": backup,
        }))
    }

    /// The name an export gets unless the user chooses another: `compilar-export-<local date>`.
    pub fn default_export_name(&self) -> String {
        format!(
            "compilar-export-{}",
            chrono::Local::now().format("%Y-%m-%d")
        )
    }

    /// Stops a running export.
    pub fn cancel_export(&self, request_id: &str) -> bool {
        self.ctx.jobs.cancel(JobKind::Export, request_id)
    }
}

fn write_out(
    paths: &crate::paths::Paths,
    dest: &Path,
    format: ArchiveFormat,
    files: Vec<(String, Vec<u8>)>,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<()> {
    // Removed if anything below fails, and at the next start if the process is killed.
    let partial = Partial::beside(paths, dest)?;
    let mut sink = match format {
        ArchiveFormat::Folder => {
            std::fs::create_dir(partial.path())?;
            Sink::Folder(partial.path().to_owned())
        }
        ArchiveFormat::Zip => Sink::Zip(Box::new(zip::ZipWriter::new(std::fs::File::create(
            partial.path(),
        )?))),
    };
    let mut write = || -> Result<()> {
        for (name, bytes) in &files {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            sink.file(name, bytes)?;
        }
        Ok(())
    };
    write().and_then(|()| sink.finish())?;
    if format == ArchiveFormat::Folder && dest.is_dir() {
        // An empty folder the user chose: replaced by the complete export.
        std::fs::remove_dir(dest)?;
    }
    partial.finish(dest)
}

const README: &str = "# A Compilar export

- `data.json` is the whole export, in an open format (`schema_version` says which): every assessment with its
  answers (`responses`: question id to `{value, at}`) and results, goals and check-ins, coaching reports,
  conversations and messages, fresh questions, deleted items too (`deleted_at` set), the imported documents'
  metadata (their text is not included), and the settings without any key.
- `csv/` has one table per file, plus `answers.csv` and `force_scores.csv`, one answer or force score per row.
- `reports/` and `conversations/` hold each coaching report and conversation as Markdown.
- `compilar-cli import <this folder or archive>` (or Settings → Your data → Import) brings it into another
  installation: checked first, merged by id, the newer change winning, answers merged question by question;
  importing twice adds nothing.
";
