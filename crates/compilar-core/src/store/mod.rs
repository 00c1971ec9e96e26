//! The local SQLite store.
//!
//! One writer connection lives on its own thread and applies write jobs in **group commits**: it takes every
//! job waiting in its queue (up to [`MAX_BATCH`]), runs them in one `BEGIN IMMEDIATE` transaction, each inside
//! its own savepoint (a failing job is rolled back alone and gets its own error; a job of one statement needs
//! no savepoint, since SQLite makes every statement atomic), commits once, and only then acknowledges each job.
//! Reads run on a small pool of read-only connections on tokio's blocking threads. A checkpointer thread
//! copies the WAL back into the database in the background, so writers never wait on its `fsync`.
//! Every connection has WAL, `foreign_keys=ON`, a `busy_timeout`, and sqlite-vec registered.

pub mod backup;
pub mod kb;
pub mod llm;
pub mod meta;
pub mod migrations;
pub mod profiles;
pub mod records;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, Once};
use std::thread::JoinHandle;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use crate::error::{Error, Result};
pub use migrations::MigrationReport;

/// Most jobs committed together.
pub const MAX_BATCH: usize = 256;
const BUSY_TIMEOUT_MS: u64 = 5_000;
const POOL_KEEP: usize = 4;
/// Memory-map up to this much of the database file in reader connections.
const READER_MMAP_BYTES: u64 = 1 << 30;
/// Page cache of each reader connection, in KiB.
const READER_CACHE_KIB: u64 = 16 * 1024;
/// How often the checkpointer copies the WAL into the database.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);
/// Safety net if the checkpointer falls behind: the writer checkpoints itself past this many WAL pages.
const AUTOCHECKPOINT_PAGES: u32 = 10_000;

static VEC_INIT: Once = Once::new();

/// Registers sqlite-vec for every connection this process opens (idempotent).
pub fn register_sqlite_vec() {
    VEC_INIT.call_once(|| {
        // SAFETY: sqlite3_vec_init has the signature SQLite expects of an extension entry point; registering
        // it as an auto-extension is the documented way to load a statically linked extension.
        #[allow(clippy::missing_transmute_annotations)]
        let rc = unsafe {
            rusqlite::ffi::sqlite3_auto_extension(Some(std::mem::transmute(
                sqlite_vec::sqlite3_vec_init as *const (),
            )))
        };
        if rc != rusqlite::ffi::SQLITE_OK {
            tracing::error!(rc, "could not register sqlite-vec");
        }
    });
}

trait WriteJob: Send {
    /// Whether the job runs a single modifying statement (then it needs no savepoint).
    fn single_statement(&self) -> bool;
    /// Runs the job on the writer connection; `true` if it succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Delivers the outcome once the transaction has committed (or failed).
    fn finish(self: Box<Self>, commit: std::result::Result<(), CommitFailure>);
}

#[derive(Clone)]
struct CommitFailure {
    busy: bool,
    /// SQLite's code, so a full disk or a damaged file is said as such ([`Error::at_storage`]).
    sqlite: Option<rusqlite::ffi::Error>,
    message: String,
}

impl CommitFailure {
    fn from_sqlite(e: &rusqlite::Error) -> Self {
        CommitFailure {
            busy: matches!(
                e.sqlite_error_code(),
                Some(
                    rusqlite::ffi::ErrorCode::DatabaseBusy
                        | rusqlite::ffi::ErrorCode::DatabaseLocked
                )
            ),
            sqlite: match e {
                rusqlite::Error::SqliteFailure(f, _) => Some(*f),
                _ => None,
            },
            message: e.to_string(),
        }
    }
    fn into_error(self) -> Error {
        match (self.busy, self.sqlite) {
            (true, _) => Error::DatabaseBusy,
            (false, Some(f)) => {
                Error::Database(rusqlite::Error::SqliteFailure(f, Some(self.message)))
            }
            (false, None) => Error::Internal(format!("commit failed: {}", self.message)),
        }
    }
}

struct Job<T, F> {
    single: bool,
    f: Option<F>,
    out: Option<Result<T>>,
    tx: oneshot::Sender<Result<T>>,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T> + Send,
{
    fn single_statement(&self) -> bool {
        self.single
    }

    fn run(&mut self, conn: &Connection) -> bool {
        let Some(f) = self.f.take() else { return false };
        let out = catch_unwind(AssertUnwindSafe(|| f(conn)))
            .unwrap_or_else(|_| Err(Error::Internal("a database job panicked".into())));
        let ok = out.is_ok();
        self.out = Some(out);
        ok
    }

    fn finish(self: Box<Self>, commit: std::result::Result<(), CommitFailure>) {
        let out = match (self.out, commit) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), Ok(())) => Ok(v),
            (Some(Ok(_)), Err(c)) => Err(c.into_error()),
            (None, Err(c)) => Err(c.into_error()),
            (None, Ok(())) => Err(Error::Internal("a database job did not run".into())),
        };
        // The caller may have gone away (e.g. a cancelled request); the write stands either way.
        let _ = self.tx.send(out);
    }
}

type BoxedJob = Box<dyn WriteJob>;

/// The database: a writer thread and a pool of readers.
pub struct Store {
    path: PathBuf,
    jobs: Option<mpsc::Sender<BoxedJob>>,
    writer: Option<JoinHandle<()>>,
    checkpointer: Option<(mpsc::Sender<TruncateReply>, JoinHandle<()>)>,
    readers: Arc<Mutex<Vec<Connection>>>,
    migration: MigrationReport,
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = NORMAL;
         PRAGMA temp_store = MEMORY;",
    )?;
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the database at `path`, applies pending migrations (backing up an existing
    /// database into `backup_dir` first) and starts the writer thread.
    pub fn open(path: &Path, backup_dir: &Path) -> Result<Store> {
        register_sqlite_vec();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = Connection::open(path)?;
        // Before anything else: another process may be creating or migrating the same file right now.
        conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
        // SQLite does not wait on its busy handler for every lock a new database needs (switching the journal
        // to WAL takes an exclusive lock; a read that must become a write is refused at once): those steps
        // are retried here, within the same bound.
        let mode: String =
            retry_busy(|| Ok(conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Internal(format!(
                "the database could not switch to WAL mode (got {mode})"
            )));
        }
        configure(&conn)?;
        conn.execute_batch(&format!(
            "PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES};"
        ))?;
        let migration =
            retry_busy(|| migrations::apply(&mut conn, migrations::MIGRATIONS, backup_dir))?;

        let checkpoint_conn = Connection::open(path)?;
        configure(&checkpoint_conn)?;
        let (stop, stopped) = mpsc::channel::<TruncateReply>();
        let checkpointer = std::thread::Builder::new()
            .name("compilar-db-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpoint_conn, stopped))?;

        let (tx, rx) = mpsc::channel::<BoxedJob>();
        let writer = std::thread::Builder::new()
            .name("compilar-db-writer".into())
            .spawn(move || writer_loop(conn, rx))?;
        Ok(Store {
            path: path.to_owned(),
            jobs: Some(tx),
            writer: Some(writer),
            checkpointer: Some((stop, checkpointer)),
            readers: Arc::new(Mutex::new(Vec::new())),
            migration,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the migration runner did when this store was opened.
    pub fn migration_report(&self) -> &MigrationReport {
        &self.migration
    }

    /// Runs `f` on the writer connection inside a transaction; resolves once the transaction has committed.
    /// If `f` fails, everything it wrote is rolled back and its error returned.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.submit(false, f).await
    }

    /// Like [`Store::write`] for a job that runs exactly one modifying statement (reads before it are fine):
    /// SQLite makes the statement atomic, so the job skips the savepoint. The hot path of answers uses it.
    pub async fn write_statement<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.submit(true, f).await
    }

    /// Copies the write-ahead log into the database and empties it, after a large write (the first start's
    /// indexing leaves some 13 MB of log beside a database of a few hundred KB). It runs on the checkpointer
    /// thread, so it never races that thread's own passive checkpoints for the checkpoint lock, and it tries
    /// again while a reader still holds an older snapshot (up to [`TRUNCATE_TRIES`] times). Failures are
    /// logged: the log is folded in later by the background checkpoints either way.
    pub async fn checkpoint(&self) {
        let Some((tx, _)) = self.checkpointer.as_ref() else {
            return;
        };
        let (reply, answer) = oneshot::channel();
        if tx.send(reply).is_err() {
            return;
        }
        match answer.await {
            Ok(Ok(done)) if done.busy => tracing::warn!(
                log = done.log,
                copied = done.copied,
                "checkpoint after a large write left part of the log (readers busy)"
            ),
            Ok(Ok(done)) => {
                tracing::info!(
                    log = done.log,
                    copied = done.copied,
                    "checkpoint after a large write"
                )
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "checkpoint after a large write failed"),
            Err(_) => {
                tracing::warn!("checkpoint after a large write: the checkpointer has stopped")
            }
        }
    }

    /// Queues a single-statement write without waiting for it (for work that must outlive its caller, such as
    /// the call-log row of a call whose future was dropped). Failures are logged.
    pub fn write_detached<F>(&self, f: F)
    where
        F: FnOnce(&Connection) -> Result<()> + Send + 'static,
    {
        let (tx, _rx) = oneshot::channel();
        let job: BoxedJob = Box::new(Job {
            single: true,
            f: Some(move |c: &Connection| {
                let r = f(c);
                if let Err(e) = &r {
                    tracing::warn!(error = %e, "a background database write failed");
                }
                r
            }),
            out: None,
            tx,
        });
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(job);
        }
    }

    async fn submit<T, F>(&self, single: bool, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: BoxedJob = Box::new(Job {
            single,
            f: Some(f),
            out: None,
            tx,
        });
        self.jobs
            .as_ref()
            .ok_or_else(writer_gone)?
            .send(job)
            .map_err(|_| writer_gone())?;
        rx.await
            .map_err(|_| writer_gone())?
            .map_err(|e| self.place(e))
    }

    /// A storage failure said with where it happened ([`Error::at_storage`]). A database error SQLite did not
    /// name (a virtual table such as sqlite-vec reports damage as a plain error) is checked against the file:
    /// when SQLite's quick check finds damage, it is `database_damaged`, with the way to recover.
    fn place(&self, e: Error) -> Error {
        let dir = self.path.parent().unwrap_or(&self.path);
        // Only SQLite's generic error is looked into: a constraint, a type or a misuse is what it says.
        let generic = |inner: &rusqlite::Error| {
            inner.sqlite_error_code() == Some(rusqlite::ffi::ErrorCode::Unknown)
        };
        match e.at_storage(dir, &self.path) {
            // (sqlite-vec reports a full disk as a plain error too: a small write beside the database tells.)
            Error::Database(inner) if generic(&inner) && no_space_in(dir) => Error::DiskFull {
                folder: dir.display().to_string(),
            },
            Error::Database(inner) if !generic(&inner) => Error::Database(inner),
            Error::Database(inner) => match backup::damage_of(&self.path) {
                Some(detail) => {
                    tracing::error!(error = %inner, %detail, "a database error on a damaged database");
                    Error::DatabaseDamaged {
                        file: self.path.display().to_string(),
                        detail,
                    }
                }
                None => Error::Database(inner),
            },
            other => other,
        }
    }

    /// Runs `f` on a read-only connection from the pool, off the async threads.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let pool = Arc::clone(&self.readers);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let conn = match pool.lock().map_err(|_| poisoned())?.pop() {
                Some(c) => c,
                None => open_reader(&path)?,
            };
            let out = f(&conn);
            let mut pool = pool.lock().map_err(|_| poisoned())?;
            if pool.len() < POOL_KEEP {
                pool.push(conn);
            }
            out
        })
        .await?
        .map_err(|e| self.place(e))
    }
}

/// Whether `dir` has no room for 64 KB (a probe file written and removed).
fn no_space_in(dir: &Path) -> bool {
    use std::io::Write;
    let probe = dir.join(".compilar-space-probe");
    let full = std::fs::File::create(&probe)
        .and_then(|mut f| f.write_all(&[0u8; 64 * 1024]).and_then(|()| f.sync_all()))
        .is_err_and(|e| e.kind() == std::io::ErrorKind::StorageFull);
    let _ = std::fs::remove_file(&probe);
    full
}

/// Runs `f` again while the database is busy, for at most the busy timeout (each migration is re-checked
/// under the write lock, so applying them again is safe).
fn retry_busy<T>(mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(BUSY_TIMEOUT_MS);
    let mut pause = std::time::Duration::from_millis(2);
    loop {
        match f() {
            Err(Error::DatabaseBusy) if std::time::Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

fn open_reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    configure(&conn)?;
    // Searches scan vector blobs: map the file (reads become memory copies instead of one pread per page)
    // and keep a larger page cache. The mapping is virtual memory; resident size follows what is read.
    conn.execute_batch(&format!(
        "PRAGMA mmap_size = {READER_MMAP_BYTES}; PRAGMA cache_size = -{READER_CACHE_KIB};"
    ))?;
    Ok(conn)
}

fn writer_gone() -> Error {
    Error::Internal("the database writer has stopped".into())
}

fn poisoned() -> Error {
    Error::Internal("the reader pool is unusable after a crash in another task".into())
}

impl Drop for Store {
    fn drop(&mut self) {
        // Closing the queue lets the writer finish what is queued, close its connection and exit.
        drop(self.jobs.take());
        if let Some(h) = self.writer.take() {
            let _ = h.join();
        }
        if let Some((stop, h)) = self.checkpointer.take() {
            drop(stop);
            let _ = h.join();
        }
    }
}

/// What a full checkpoint did: whether readers kept part of the log, its size and what was copied (pages).
pub(crate) struct Truncated {
    pub(crate) busy: bool,
    log: i64,
    copied: i64,
}

type TruncateReply = oneshot::Sender<rusqlite::Result<Truncated>>;

/// Tries of a full checkpoint that readers keep busy, [`TRUNCATE_PAUSE`] apart (each waits up to the busy
/// timeout for them first).
const TRUNCATE_TRIES: u32 = 5;
const TRUNCATE_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

pub(crate) fn truncate(conn: &Connection) -> rusqlite::Result<Truncated> {
    let mut last = None;
    for _ in 0..TRUNCATE_TRIES {
        let done = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok(Truncated {
                busy: r.get::<_, i64>(0)? != 0,
                log: r.get(1)?,
                copied: r.get(2)?,
            })
        });
        match done {
            Ok(d) if !d.busy => return Ok(d),
            // Busy: a reader on an older snapshot, or another process checkpointing; wait and try again.
            Ok(d) => last = Some(Ok(d)),
            Err(e) if is_busy(&e) => last = Some(Err(e)),
            Err(e) => return Err(e),
        }
        std::thread::sleep(TRUNCATE_PAUSE);
    }
    last.unwrap_or(Ok(Truncated {
        busy: true,
        log: -1,
        copied: -1,
    }))
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Passive checkpoints every [`CHECKPOINT_EVERY`], and a full one when asked; ends when the store drops the
/// sender.
fn checkpoint_loop(conn: Connection, asked: mpsc::Receiver<TruncateReply>) {
    loop {
        match asked.recv_timeout(CHECKPOINT_EVERY) {
            Ok(reply) => {
                let _ = reply.send(truncate(&conn));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // PASSIVE never blocks writers or readers; it copies what it can.
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "background checkpoint failed");
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

fn writer_loop(conn: Connection, rx: mpsc::Receiver<BoxedJob>) {
    let mut batch: Vec<BoxedJob> = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        run_batch(&conn, &mut batch);
    }
}

fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn run_batch(conn: &Connection, batch: &mut Vec<BoxedJob>) {
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
        let failure = CommitFailure::from_sqlite(&e);
        for job in batch.drain(..) {
            job.finish(Err(failure.clone()));
        }
        return;
    }
    let mut savepoint_failed = None;
    for job in batch.iter_mut() {
        if job.single_statement() {
            job.run(conn);
            continue;
        }
        if let Err(e) = exec(conn, "SAVEPOINT job") {
            savepoint_failed = Some(e);
            break;
        }
        let ok = job.run(conn);
        let end = if ok {
            exec(conn, "RELEASE job")
        } else {
            exec(conn, "ROLLBACK TO job").and_then(|_| exec(conn, "RELEASE job"))
        };
        if let Err(e) = end {
            savepoint_failed = Some(e);
            break;
        }
    }
    let outcome = match savepoint_failed {
        Some(e) => Err(e),
        None => exec(conn, "COMMIT"),
    };
    match outcome {
        Ok(()) => {
            for job in batch.drain(..) {
                job.finish(Ok(()));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, jobs = batch.len(), "database transaction failed; rolled back");
            let _ = conn.execute_batch("ROLLBACK");
            let failure = CommitFailure::from_sqlite(&e);
            for job in batch.drain(..) {
                job.finish(Err(failure.clone()));
            }
        }
    }
}
