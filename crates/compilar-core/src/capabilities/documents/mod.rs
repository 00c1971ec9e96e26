//! The user's own documents: import (Markdown, plain text and PDF), list, delete.
//!
//! An import reads and checks the file, chunks it, embeds the chunks with the active model (reporting progress,
//! stoppable between batches) and then writes the source, its chunks and their vectors in ONE transaction, so a
//! failed or cancelled import leaves nothing half-indexed. A file whose content was already imported is not
//! imported twice.

use std::path::Path;

use rusqlite::OptionalExtension;

use tokio_util::sync::CancellationToken;

use crate::ctx::Ctx;
use crate::embed::{embed_with_model, LOCAL_MODEL_ID};
use crate::error::{Error, Result};
use crate::jobs::{check_id, JobKind};
use crate::store::kb::{self as sql, NewChunk, NewSource};
use crate::util::{new_id, now};
use dto::*;

pub(crate) mod chunk;
pub mod dto;
mod models;
pub(crate) mod pdf;

/// Largest file accepted.
pub const MAX_DOCUMENT_BYTES: u64 = 50 * 1024 * 1024;
const EMBED_BATCH: usize = 64;
const TEXT_EXTENSIONS: [&str; 4] = ["md", "markdown", "txt", "text"];
/// A document's title as stored and shown, in characters (whether from its text, its name or a PDF's metadata).
pub const MAX_TITLE_CHARS: usize = 200;

fn title_of(text: &str, file_name: &str) -> String {
    text.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("# ").map(|t| t.trim().to_owned()))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| {
            Path::new(file_name)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| file_name.to_owned())
        })
}

/// A file's kind, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Pdf,
}

/// Checks a file's type and size and reads it.
fn read_checked(path: &Path) -> Result<(Kind, Vec<u8>)> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let kind = if TEXT_EXTENSIONS.contains(&ext.as_str()) {
        Kind::Text
    } else if ext == "pdf" {
        Kind::Pdf
    } else {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Err(Error::UnsupportedDocument(
            crate::domain::truncate_for_message(&name),
        ));
    };
    // Checked before opening: opening a named pipe for reading would wait for a writer.
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    regular_file(&meta)?;
    if meta.len() > MAX_DOCUMENT_BYTES {
        return Err(too_large());
    }
    let file = std::fs::File::open(path).map_err(unreadable)?;
    // Again on what was opened (the path may have been swapped meanwhile).
    regular_file(&file.metadata().map_err(unreadable)?)?;
    // The reported size is not trusted (files in /proc report 0): at most the limit is ever read.
    let bytes = read_bounded(file, meta.len(), MAX_DOCUMENT_BYTES)?;
    if bytes.is_empty() {
        return Err(Error::DocumentEmpty { hint: "" });
    }
    Ok((kind, bytes))
}

fn too_large() -> Error {
    Error::PayloadTooLarge {
        what: "document",
        max: (MAX_DOCUMENT_BYTES / (1024 * 1024)) as usize,
        unit: "MB",
    }
}

/// Refuses folders, devices, pipes and sockets (a symlink counts as what it points to).
fn regular_file(meta: &std::fs::Metadata) -> Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    let reason = if meta.is_dir() {
        "it is a folder; choose a file."
    } else {
        "it is not an ordinary file (a device, pipe or socket); choose a document file."
    };
    Err(Error::DocumentUnreadable {
        reason: reason.into(),
    })
}

/// Reads `r` to its end, refusing as soon as it gives more than `max` bytes.
fn read_bounded(r: impl std::io::Read, size_hint: u64, max: u64) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::with_capacity(size_hint.min(max) as usize);
    r.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > max {
        return Err(too_large());
    }
    Ok(bytes)
}

/// A user's file that cannot be opened: their business, not the data folder's, and not worth retrying as is.
fn unreadable(e: std::io::Error) -> Error {
    let reason = match e.kind() {
        std::io::ErrorKind::NotFound => "it does not exist (moved or deleted?).".to_owned(),
        std::io::ErrorKind::PermissionDenied => "Compilar is not allowed to read it.".to_owned(),
        _ => format!("{e}."),
    };
    Error::DocumentUnreadable { reason }
}

/// The text of a Markdown or plain-text file.
fn decode_text(bytes: Vec<u8>) -> Result<String> {
    if bytes.contains(&0) {
        return Err(Error::DocumentUndecodable(
            "it looks like a binary file, not text".into(),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::DocumentUndecodable("it is not UTF-8 text; save it as UTF-8 and try again".into())
    })?;
    let text = text.trim_start_matches('\u{feff}').to_owned();
    if text.trim().is_empty() {
        return Err(Error::DocumentEmpty { hint: "" });
    }
    Ok(text)
}

/// The documents capability: a cheap view of the shared context.
#[derive(Clone, Copy)]
pub struct Documents<'a> {
    ctx: &'a Ctx,
}

impl std::ops::Deref for Documents<'_> {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        self.ctx
    }
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn documents(&self) -> Documents<'_> {
        Documents::new(self)
    }
}

impl<'a> Documents<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Documents { ctx }
    }

    /// Imports a Markdown, text or PDF file into the knowledge base, reporting progress; [`Documents::cancel_import`]
    /// with the same `import_id` stops it before anything is written.
    pub async fn import<F>(&self, req: ImportDocumentRequest, progress: F) -> Result<DocumentInfo>
    where
        F: Fn(ImportProgress) + Send + Sync,
    {
        check_id(&req.import_id, "import")?;
        if req.path.len() > 4096 {
            return Err(Error::PayloadTooLarge {
                what: "file path",
                max: 4096,
                unit: "characters",
            });
        }
        self.ctx.knowledge().prepare().await?;
        let path = Path::new(&req.path);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| req.path.clone());
        let job = self.jobs.start(
            JobKind::Import,
            &req.import_id,
            format!("Importing {name}"),
            Some(req.path.clone()),
            |_| "An import with this id is already running.".into(),
        )?;
        let stage_name = |s: ImportStage| match s {
            ImportStage::Reading => "reading",
            ImportStage::Chunking => "chunking",
            ImportStage::Embedding => "embedding",
            ImportStage::Saving => "saving",
            ImportStage::Done => "done",
        };
        let report = |p: ImportProgress| {
            job.progress(
                Some(u64::from(p.done)),
                Some(u64::from(p.total)),
                Some(stage_name(p.stage)),
            );
            progress(p);
        };
        self.import_document(path, job.token(), &report).await
    }

    /// Stops a running import. Returns whether one was running under that id.
    pub fn cancel_import(&self, import_id: &str) -> bool {
        self.jobs.cancel(JobKind::Import, import_id)
    }

    /// Imports a Markdown or text file. `progress` hears every stage; `cancel` stops it before anything is
    /// written.
    async fn import_document(
        &self,
        path: &Path,
        cancel: &CancellationToken,
        progress: &(dyn Fn(ImportProgress) + Send + Sync),
    ) -> Result<DocumentInfo> {
        let p = |stage, done, total| progress(ImportProgress { stage, done, total });
        p(ImportStage::Reading, 0, 1);
        let path2 = path.to_owned();
        let (kind, raw) = tokio::task::spawn_blocking(move || read_checked(&path2)).await??;
        let bytes = raw.len() as u64;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (text, doc_title) = match kind {
            Kind::Text => (
                tokio::task::spawn_blocking(move || decode_text(raw)).await??,
                None,
            ),
            Kind::Pdf => {
                // Pages are reported as they are read (the reader runs on a blocking thread).
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u32, u32)>();
                let token = cancel.clone();
                let job = tokio::task::spawn_blocking(move || {
                    pdf::extract(&raw, &token, &|done, total| {
                        let _ = tx.send((done, total));
                    })
                });
                while let Some((done, total)) = rx.recv().await {
                    p(ImportStage::Reading, done, total);
                }
                let pdf = job.await??;
                if pdf.skipped > 0 {
                    tracing::warn!(
                        pages = pdf.pages,
                        skipped = pdf.skipped,
                        "some PDF pages could not be read"
                    );
                }
                (pdf.text, pdf.title)
            }
        };
        let hash = crate::capabilities::knowledge::hash(&text);
        let h2 = hash.clone();
        let existing: Option<String> = self
            .store
            .read(move |c| {
                Ok(c.query_row(
                    "SELECT id FROM kb_sources WHERE kind = 'document' AND content_hash = ?1",
                    [&h2],
                    |r| r.get(0),
                )
                .ok())
            })
            .await?;
        if let Some(id) = existing {
            let d = self.already_imported(&id).await?;
            p(ImportStage::Done, d.chunks, d.chunks);
            return Ok(d);
        }
        let title: String = doc_title
            .unwrap_or_else(|| title_of(&text, &file_name))
            .chars()
            .take(MAX_TITLE_CHARS)
            .collect();
        p(ImportStage::Chunking, 0, 1);
        // Chunks with their content hash; a repeated chunk is kept once.
        let mut seen = std::collections::HashSet::new();
        let chunks: Vec<(chunk::Chunk, String)> = chunk::chunk(&text)
            .into_iter()
            .map(|c| {
                let h = crate::capabilities::knowledge::hash(&c.body);
                (c, h)
            })
            .filter(|(_, h)| seen.insert(h.clone()))
            .collect();
        if chunks.is_empty() {
            return Err(Error::DocumentEmpty { hint: "" });
        }
        let total = chunks.len() as u32;
        // Every chunk gets a built-in vector (search keeps working offline) and, when a provider's model is
        // the active one, that model's vector too.
        let models = self
            .store
            .read(|c| {
                let local = sql::model(c, LOCAL_MODEL_ID)?
                    .ok_or_else(|| Error::Internal("no built-in model table".into()))?;
                let active = sql::active_model(c)?
                    .ok_or_else(|| Error::Internal("no active embedding model".into()))?;
                Ok(if active == local {
                    vec![local]
                } else {
                    vec![local, active]
                })
            })
            .await?;
        let work = total * models.len() as u32;
        let mut per_model: Vec<(sql::ModelTable, Vec<Vec<f32>>)> = Vec::with_capacity(models.len());
        for (mi, model) in models.into_iter().enumerate() {
            let mut vectors: Vec<Vec<f32>> = Vec::with_capacity(chunks.len());
            for (i, batch) in chunks.chunks(EMBED_BATCH).enumerate() {
                if cancel.is_cancelled() {
                    return Err(Error::Cancelled);
                }
                p(
                    ImportStage::Embedding,
                    mi as u32 * total + (i * EMBED_BATCH) as u32,
                    work,
                );
                let texts: Vec<String> = batch
                    .iter()
                    .map(|(c, _)| format!("{}\n{}", c.heading, c.body))
                    .collect();
                let v = tokio::select! {
                    v = embed_with_model(&self.llm, &model, texts) => v?,
                    _ = cancel.cancelled() => return Err(Error::Cancelled),
                };
                vectors.extend(v);
                tokio::task::yield_now().await;
            }
            per_model.push((model, vectors));
        }
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        p(ImportStage::Saving, total, total);
        let id = new_id().to_string();
        let rows: Vec<NewChunk> = chunks
            .into_iter()
            .enumerate()
            .map(|(i, (c, content_hash))| NewChunk {
                passage_id: format!("{id}#{i}"),
                ordinal: i as i64,
                // The document's title and the section's heading, each at most MAX_TITLE_CHARS; the title
                // once, when the headings begin with it ("Retro › What we noticed", not "Retro › Retro › …").
                title: passage_title(&title, &c.heading),
                content_hash,
                body: c.body,
                mode: String::new(),
                pillar: String::new(),
                force: String::new(),
                category: "document".into(),
            })
            .collect();
        let (id2, title2, name2) = (id.clone(), title.clone(), file_name.clone());
        let stored_meanwhile = self
            .store
            .write(move |c| {
                // The check above was only a shortcut: another import of the same content (here or in another
                // process) may have finished since. Checked again under the write lock, and the unique index
                // `kb_sources_one_per_content` holds whatever happens.
                if let Some(existing) = c
                    .query_row(
                        "SELECT id FROM kb_sources WHERE kind = 'document' AND content_hash = ?1",
                        [&hash],
                        |r| r.get::<_, String>(0),
                    )
                    .optional()?
                {
                    return Ok(Some(existing));
                }
                let active = sql::active_model(c)?
                    .ok_or_else(|| Error::Internal("no active embedding model".into()))?;
                if !per_model.iter().any(|(m, _)| *m == active) {
                    return Err(Error::SearchModelChanged);
                }
                sql::upsert_source(
                    c,
                    &NewSource {
                        id: &id2,
                        kind: "document",
                        title: &title2,
                        file_name: Some(&name2),
                        content_hash: &hash,
                        bytes,
                    },
                    &now(),
                )?;
                let ids = sql::insert_chunks(c, &id2, &rows)?;
                for (m, vectors) in per_model {
                    let pairs: Vec<(i64, Vec<f32>)> = ids.iter().copied().zip(vectors).collect();
                    sql::insert_vectors(c, &m, &pairs)?;
                }
                Ok(None)
            })
            .await?;
        if let Some(existing) = stored_meanwhile {
            let d = self.already_imported(&existing).await?;
            p(ImportStage::Done, d.chunks, d.chunks);
            return Ok(d);
        }
        tracing::info!(document = %id, chunks = total, "document imported");
        self.ctx.knowledge().warm_index();
        p(ImportStage::Done, total, total);
        self.document(&id).await
    }

    /// The reply to an import whose content is already there: that document, marked as such.
    async fn already_imported(&self, id: &str) -> Result<DocumentInfo> {
        let mut d = self.document(id).await?;
        d.already_imported = true;
        Ok(d)
    }

    async fn document(&self, id: &str) -> Result<DocumentInfo> {
        let id = id.to_owned();
        let id2 = id.clone();
        self.list()
            .await?
            .into_iter()
            .find(|d| d.id == id2)
            .ok_or(Error::DocumentNotFound(id))
    }

    /// Imported documents, newest first, with their chunk and vector counts.
    pub async fn list(&self) -> Result<Vec<DocumentInfo>> {
        self.store
            .read(|c| {
                let model = sql::active_model(c)?
                    .ok_or_else(|| Error::Internal("no active embedding model".into()))?;
                let mut st = c.prepare(&format!(
                    "SELECT s.id, s.title, s.file_name, s.bytes, s.created_at,
                            (SELECT count(*) FROM kb_chunks k WHERE k.source_id = s.id),
                            (SELECT count(*) FROM kb_chunks k JOIN {} f ON f.chunk_id = k.id WHERE k.source_id = s.id)
                     FROM kb_sources s WHERE s.kind = 'document' ORDER BY s.created_at DESC, s.id DESC",
                    sql::floats_table(&model.table)
                ))?;
                let rows = st.query_map([], |r| {
                    Ok(DocumentInfo {
                        id: r.get(0)?,
                        title: r.get(1)?,
                        file_name: r.get(2)?,
                        bytes: r.get::<_, i64>(3)?.max(0) as u64,
                        created_at: r.get(4)?,
                        chunks: r.get(5)?,
                        vectors: r.get(6)?,
                        already_imported: false,
                    })
                })?;
                Ok(rows.collect::<std::result::Result<_, _>>()?)
            })
            .await
    }

    /// A document's title and its text as imported (its passages in order), cut at `max_chars`; whether it was
    /// cut.
    pub async fn text(&self, id: &str, max_chars: usize) -> Result<(String, String, bool)> {
        let id = crate::util::parse_id(id)?.to_string();
        self.store
            .read(move |c| {
                let title: Option<String> = c
                    .query_row(
                        "SELECT title FROM kb_sources WHERE id = ?1 AND kind = 'document'",
                        [&id],
                        |r| r.get(0),
                    )
                    .optional()?;
                let title = title.ok_or_else(|| Error::DocumentNotFound(id.clone()))?;
                let mut st = c.prepare_cached(
                    "SELECT body FROM kb_chunks WHERE source_id = ?1 ORDER BY ordinal",
                )?;
                let mut text = String::new();
                let mut cut = false;
                let mut rows = st.query([&id])?;
                while let Some(r) = rows.next()? {
                    let body: String = r.get(0)?;
                    let room = max_chars.saturating_sub(text.chars().count());
                    if body.chars().count() + 2 > room {
                        text.extend(body.chars().take(room.saturating_sub(2)));
                        cut = true;
                        break;
                    }
                    if !text.is_empty() {
                        text.push_str("\n\n");
                    }
                    text.push_str(&body);
                }
                Ok((title, text, cut))
            })
            .await
    }

    /// Deletes a document, its chunks and their vectors (one transaction).
    pub async fn delete(&self, id: &str) -> Result<()> {
        let id = crate::util::parse_id(id)?.to_string();
        let id2 = id.clone();
        // An unknown id fails inside the write, so its savepoint is rolled back: nothing changes (not even the
        // index version the chunk delete bumps).
        self.store
            .write(move |c| {
                sql::delete_chunks_of(c, &id2)?;
                let deleted = c.execute(
                    "DELETE FROM kb_sources WHERE id = ?1 AND kind = 'document'",
                    [&id2],
                )?;
                if deleted == 0 {
                    return Err(Error::DocumentNotFound(id2));
                }
                Ok(())
            })
            .await?;
        tracing::info!(document = %id, "document deleted");
        self.ctx.knowledge().warm_index();
        Ok(())
    }

    /// Deletes every imported document (for "delete all my data"); returns how many there were.
    pub(crate) async fn delete_all(&self) -> Result<u32> {
        let n = self
            .store
            .write(|c| {
                let ids: Vec<String> = c
                    .prepare("SELECT id FROM kb_sources WHERE kind = 'document'")?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                for id in &ids {
                    sql::delete_chunks_of(c, id)?;
                }
                c.execute("DELETE FROM kb_sources WHERE kind = 'document'", [])?;
                Ok(ids.len() as u32)
            })
            .await?;
        self.ctx.knowledge().warm_index();
        Ok(n)
    }
}

/// A section's title: the document's title, then the section's headings without a first heading that
/// repeats the title.
fn passage_title(title: &str, heading: &str) -> String {
    let heading: String = heading.chars().take(MAX_TITLE_CHARS).collect();
    let same = |h: &str| h.trim().to_lowercase() == title.trim().to_lowercase();
    let rest = match heading.split_once(" \u{203a} ") {
        Some((first, rest)) if same(first) => rest,
        _ if same(&heading) => "",
        _ => heading.as_str(),
    };
    if rest.is_empty() {
        title.to_owned()
    } else {
        format!("{title} \u{203a} {rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_reader_is_cut_at_the_limit() {
        let e = read_bounded(std::io::repeat(b'a'), 0, 1000).unwrap_err();
        assert_eq!(e.code(), "payload_too_large");
        let ok = read_bounded(&b"hello"[..], 5, 5).unwrap();
        assert_eq!(ok, b"hello");
        let e = read_bounded(&b"hello!"[..], 0, 5).unwrap_err();
        assert_eq!(e.code(), "payload_too_large");
    }

    #[test]
    fn the_title_is_said_once() {
        assert_eq!(passage_title("Retro", ""), "Retro");
        assert_eq!(passage_title("Retro", "Retro"), "Retro");
        assert_eq!(
            passage_title("Retro", "retro \u{203a} What we noticed"),
            "Retro \u{203a} What we noticed"
        );
        assert_eq!(
            passage_title("Retro", "Team \u{203a} Meetings"),
            "Retro \u{203a} Team \u{203a} Meetings"
        );
        assert_eq!(
            passage_title("Retro", "Retrospective"),
            "Retro \u{203a} Retrospective"
        );
    }
}
