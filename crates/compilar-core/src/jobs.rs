//! One registry for long work: imports, model switches, streams, reports, exports and sync.
//!
//! A job is registered under its kind and a caller-chosen id; [`Jobs::start`] refuses a second job with the
//! same key (`already_running`) and returns a [`JobGuard`] that unregisters the job when it is dropped, however
//! the work ends (finished, failed, or its future dropped by a caller that went away). The guard carries the
//! job's cancellation token and takes progress reports.
//!
//! Every process on the data folder (the window and any number of `compilar-cli` runs) mirrors its jobs into
//! the `jobs` table, so [`Jobs::list`] shows what runs anywhere. Rows are written off the caller's path
//! (detached writes), progress at most twice a second, and a heartbeat every few seconds while jobs run; rows
//! whose heartbeat stopped (a process that crashed) are ignored and pruned.

use crate::util::lock;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::store::Store;
use crate::util::{new_id, now};

/// Longest caller-chosen job id.
pub const MAX_JOB_ID: usize = 64;
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
/// A row not refreshed for this long belongs to a process that is gone.
const STALE_AFTER_SECS: i64 = 20;

/// What kind of work a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// A document being imported into the knowledge base.
    Import,
    /// The knowledge base being embedded by another model.
    ModelSwitch,
    /// A model's answer being streamed.
    Stream,
    /// A coaching report being written (its id is the assessment's).
    Report,
    /// A coach chat answer being written (its id is the conversation's).
    Chat,
    /// Fresh questions being written.
    Questions,
    /// A text being analysed.
    Analysis,
    /// A backup being taken by hand.
    Backup,
    /// A backup being restored (or a restore undone).
    Restore,
    /// Everything being exported.
    Export,
    /// An export being imported.
    DataImport,
    /// This computer's changes going to the sync project and the project's coming here (its id is "sync").
    Sync,
}

impl JobKind {
    fn as_str(self) -> &'static str {
        match self {
            JobKind::Import => "import",
            JobKind::ModelSwitch => "model_switch",
            JobKind::Stream => "stream",
            JobKind::Report => "report",
            JobKind::Chat => "chat",
            JobKind::Questions => "questions",
            JobKind::Analysis => "analysis",
            JobKind::Backup => "backup",
            JobKind::Restore => "restore",
            JobKind::Export => "export",
            JobKind::DataImport => "data_import",
            JobKind::Sync => "sync",
        }
    }

    fn parse(s: &str) -> Option<JobKind> {
        [
            JobKind::Import,
            JobKind::ModelSwitch,
            JobKind::Stream,
            JobKind::Report,
            JobKind::Chat,
            JobKind::Questions,
            JobKind::Analysis,
            JobKind::Backup,
            JobKind::Restore,
            JobKind::Export,
            JobKind::DataImport,
            JobKind::Sync,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A job as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct JobInfo {
    pub id: String,
    pub kind: JobKind,
    /// What it works on, in words ("Importing notes.md").
    pub label: String,
    /// What it works on, when that is one thing: the file being imported, the model being switched to.
    pub subject: Option<String>,
    /// Units done and in all, once known (pages, passages).
    #[ts(type = "number | null")]
    pub done: Option<u64>,
    #[ts(type = "number | null")]
    pub total: Option<u64>,
    /// The step it is at, in words, when it has steps.
    pub stage: Option<String>,
    pub started_at: String,
    /// Whether this process runs it; `false` for another Compilar process on the same data folder (the
    /// command-line tool while the window is open, say).
    pub here: bool,
}

struct Entry {
    info: JobInfo,
    cancel: CancellationToken,
    last_write: Instant,
}

type Key = (JobKind, String);

/// The registry of one process.
pub(crate) struct Jobs {
    store: Arc<Store>,
    /// This process's id in the `jobs` table.
    process: String,
    running: Arc<Mutex<HashMap<Key, Entry>>>,
}

/// Checks a caller-chosen job id.
pub(crate) fn check_id(id: &str, what: &'static str) -> Result<()> {
    if id.trim().is_empty() || id.len() > MAX_JOB_ID {
        Err(Error::InvalidJobId { what })
    } else {
        Ok(())
    }
}

impl Jobs {
    pub(crate) fn new(store: Arc<Store>) -> Jobs {
        Jobs {
            store,
            process: new_id().to_string(),
            running: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Registers a job. `busy` words the refusal when one with the same kind and id is running here.
    pub(crate) fn start(
        &self,
        kind: JobKind,
        id: &str,
        label: impl Into<String>,
        subject: Option<String>,
        busy: impl FnOnce(&JobInfo) -> String,
    ) -> Result<JobGuard<'_>> {
        let key = (kind, id.to_owned());
        let cancel = CancellationToken::new();
        let info = {
            let mut running = lock(&self.running);
            if let Some(e) = running.get(&key) {
                return Err(Error::AlreadyRunning(busy(&e.info)));
            }
            let info = JobInfo {
                id: id.to_owned(),
                kind,
                label: label.into(),
                subject,
                done: None,
                total: None,
                stage: None,
                started_at: now(),
                here: true,
            };
            let first = running.is_empty();
            running.insert(
                key.clone(),
                Entry {
                    info: info.clone(),
                    cancel: cancel.clone(),
                    last_write: Instant::now(),
                },
            );
            if first {
                self.heartbeat();
            }
            info
        };
        let process = self.process.clone();
        self.store.write_detached(move |c| {
            prune_stale(c)?;
            upsert(c, &process, &info)
        });
        Ok(JobGuard {
            jobs: self,
            key,
            cancel,
        })
    }

    /// Cancels a job of this process. Whether one was running.
    pub(crate) fn cancel(&self, kind: JobKind, id: &str) -> bool {
        let running = lock(&self.running);
        match running.get(&(kind, id.to_owned())) {
            Some(e) => {
                e.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// This process's job of `kind` and `id`, if it runs.
    pub(crate) fn get(&self, kind: JobKind, id: &str) -> Option<JobInfo> {
        lock(&self.running)
            .get(&(kind, id.to_owned()))
            .map(|e| e.info.clone())
    }

    /// Every job running on this data folder: this process's, then other processes', oldest first.
    pub(crate) async fn list(&self) -> Result<Vec<JobInfo>> {
        let mut out: Vec<JobInfo> = lock(&self.running)
            .values()
            .map(|e| e.info.clone())
            .collect();
        out.sort_by(|a, b| a.started_at.cmp(&b.started_at));
        let me = self.process.clone();
        let others = self.store.read(move |c| others(c, &me)).await?;
        out.extend(others);
        Ok(out)
    }

    /// Keeps this process's rows fresh while it runs jobs; stops when none is left.
    fn heartbeat(&self) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let running = Arc::downgrade(&self.running);
        let store = Arc::downgrade(&self.store);
        let process = self.process.clone();
        rt.spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT_EVERY).await;
                let (Some(running), Some(store)) = (running.upgrade(), store.upgrade()) else {
                    return;
                };
                if lock(&running).is_empty() {
                    return;
                }
                let p = process.clone();
                store.write_detached(move |c| {
                    c.execute(
                        "UPDATE jobs SET updated_at = ?2 WHERE process = ?1",
                        params![p, now()],
                    )?;
                    Ok(())
                });
            }
        });
    }
}

/// A registered job; dropping it unregisters the job.
pub(crate) struct JobGuard<'a> {
    jobs: &'a Jobs,
    key: Key,
    cancel: CancellationToken,
}

impl JobGuard<'_> {
    pub(crate) fn token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Records how far the job is. Cheap: the row in the database follows at most twice a second.
    pub(crate) fn progress(&self, done: Option<u64>, total: Option<u64>, stage: Option<&str>) {
        let mut running = lock(&self.jobs.running);
        let Some(e) = running.get_mut(&self.key) else {
            return;
        };
        e.info.done = done;
        e.info.total = total;
        e.info.stage = stage.map(str::to_owned);
        if e.last_write.elapsed() >= PROGRESS_EVERY {
            e.last_write = Instant::now();
            let (process, info) = (self.jobs.process.clone(), e.info.clone());
            self.jobs
                .store
                .write_detached(move |c| upsert(c, &process, &info));
        }
    }
}

impl Drop for JobGuard<'_> {
    fn drop(&mut self) {
        lock(&self.jobs.running).remove(&self.key);
        let (process, kind, id) = (
            self.jobs.process.clone(),
            self.key.0.as_str(),
            self.key.1.clone(),
        );
        self.jobs.store.write_detached(move |c| {
            c.execute(
                "DELETE FROM jobs WHERE process = ?1 AND kind = ?2 AND id = ?3",
                params![process, kind, id],
            )?;
            Ok(())
        });
    }
}

fn upsert(c: &Connection, process: &str, j: &JobInfo) -> Result<()> {
    c.execute(
        "INSERT INTO jobs (process, kind, id, label, subject, done, total, stage, started_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?10, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (process, kind, id) DO UPDATE SET label = excluded.label, done = excluded.done,
           total = excluded.total, stage = excluded.stage, updated_at = excluded.updated_at",
        params![
            process,
            j.kind.as_str(),
            j.id,
            j.label,
            j.done.map(|v| v as i64),
            j.total.map(|v| v as i64),
            j.stage,
            j.started_at,
            now(),
            j.subject
        ],
    )?;
    Ok(())
}

fn cutoff() -> String {
    (chrono::Utc::now() - chrono::Duration::seconds(STALE_AFTER_SECS))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn prune_stale(c: &Connection) -> Result<()> {
    c.execute("DELETE FROM jobs WHERE updated_at < ?1", [cutoff()])?;
    Ok(())
}

fn others(c: &Connection, me: &str) -> Result<Vec<JobInfo>> {
    let mut stmt = c.prepare_cached(
        "SELECT kind, id, label, done, total, stage, started_at, subject FROM jobs
         WHERE process <> ?1 AND updated_at >= ?2 ORDER BY started_at",
    )?;
    let rows = stmt.query_map(params![me, cutoff()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<i64>>(3)?,
            r.get::<_, Option<i64>>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, Option<String>>(7)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (kind, id, label, done, total, stage, started_at, subject) = row?;
        let Some(kind) = JobKind::parse(&kind) else {
            continue;
        };
        out.push(JobInfo {
            id,
            kind,
            label,
            subject,
            done: done.map(|v| v.max(0) as u64),
            total: total.map(|v| v.max(0) as u64),
            stage,
            started_at,
            here: false,
        });
    }
    Ok(out)
}
