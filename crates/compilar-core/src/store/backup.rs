//! Backups, restore, and the recovery of a damaged database.
//!
//! Every copy is taken with SQLite's online backup API from its own read-only connection: in WAL mode that is
//! one read transaction, a consistent snapshot that never holds up the app's writer. It is written under a
//! temporary name, checked, and renamed when complete, so a copy cut short (a crash, a kill) never stands as
//! a backup. Once the database holds the user's data, an automatic copy is taken when the newest one is more
//! than a day old (at start-up and hourly while the app runs); the newest N are kept (a setting). Copies taken
//! by hand, before a restore and before migrations sit beside them and are never pruned.
//!
//! A restore checks the file first (SQLite's integrity check, that it is a Compilar database, that every
//! migration it has applied is one of this release's, with the same checksum), copies the current database
//! aside (`compilar-before-restore-…`, what "undo" restores), and then copies the backup into the live
//! database through the same API: one write transaction, so the database is either the old one or the
//! restored one, whatever happens mid-way. Recovery works without opening the app (it is what to do when it cannot open): restore the
//! newest backup that passes SQLite's check, or set the damaged file aside and start fresh. The damaged
//! file is never deleted: it is renamed `compilar.damaged-<time>.db` in the data folder.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::paths::Paths;

/// Automatic backups kept by default (older ones are removed; other backups are left alone).
pub const AUTO_KEPT: usize = 5;
/// How old the newest automatic backup may be before another is taken at start-up.
pub const AUTO_EVERY: Duration = Duration::from_secs(24 * 3600);
const AUTO_PREFIX: &str = "compilar-auto-";
const MANUAL_PREFIX: &str = "compilar-manual-";
const BEFORE_RESTORE_PREFIX: &str = "compilar-before-restore-";

/// What a backup was taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupKind {
    Auto,
    Manual,
    BeforeRestore,
}

impl BackupKind {
    fn prefix(self) -> &'static str {
        match self {
            BackupKind::Auto => AUTO_PREFIX,
            BackupKind::Manual => MANUAL_PREFIX,
            BackupKind::BeforeRestore => BEFORE_RESTORE_PREFIX,
        }
    }
}

/// How long a copy waits for the database while another connection holds the lock it needs.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Copies `from` into `to` with the online backup API, in one step (one read transaction on `from`, one
/// write transaction on `to`), waiting up to [`LOCK_WAIT`] while either is locked.
fn copy_all(from: &Connection, to: &mut Connection) -> Result<()> {
    use rusqlite::backup::{Backup, StepResult};
    let started = std::time::Instant::now();
    let b = Backup::new(from, to)?;
    loop {
        match b.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => continue,
            StepResult::Busy | StepResult::Locked if started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(50));
            }
            StepResult::Busy | StepResult::Locked => return Err(Error::DatabaseBusy),
            _ => {
                return Err(Error::Internal(
                    "the backup stopped for an unknown reason".into(),
                ))
            }
        }
    }
}

/// A consistent copy of the database at `dest` (written beside it under a temporary name first, checked, then
/// renamed; a copy cut short is removed, at the latest at the next start).
pub fn copy_to(paths: &Paths, dest: &Path) -> Result<()> {
    let src = Connection::open_with_flags(
        &paths.database,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let partial = crate::output::Partial::beside(paths, dest)?;
    {
        let mut dst = Connection::open(partial.path())?;
        copy_all(&src, &mut dst)?;
        // A backup stands on its own: no write-ahead log beside it.
        dst.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
    }
    if let Some(why) = damage_of(partial.path()) {
        return Err(Error::Internal(format!(
            "the backup copy failed its check: {why}"
        )));
    }
    std::fs::File::open(partial.path())?.sync_all()?;
    partial.finish(dest)
}

/// Takes a backup of `kind` into the backups folder (or to `dest`, a file the user named and
/// [`crate::output::check`]ed) and returns it.
pub fn take(paths: &Paths, kind: BackupKind, dest: Option<&Path>) -> Result<BackupInfo> {
    let path = match dest {
        Some(d) => d.to_owned(),
        None => {
            std::fs::create_dir_all(&paths.backup_dir)?;
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
            paths
                .backup_dir
                .join(format!("{}{stamp}.db", kind.prefix()))
        }
    };
    copy_to(paths, &path)?;
    tracing::info!(backup = %path.display(), "backup taken");
    let mut info = info_of(&path)?;
    info.kind = kind_of(kind.prefix()).into();
    Ok(info)
}

fn kind_of(name: &str) -> &'static str {
    if name.starts_with(AUTO_PREFIX) {
        "auto"
    } else if name.starts_with(MANUAL_PREFIX) {
        "manual"
    } else if name.starts_with(BEFORE_RESTORE_PREFIX) {
        "before_restore"
    } else {
        "migration"
    }
}

/// What is known about one backup file.
pub fn info_of(path: &Path) -> Result<BackupInfo> {
    let meta = std::fs::metadata(path)?;
    let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(BackupInfo {
        path: path.display().to_string(),
        taken_at: chrono::DateTime::<chrono::Utc>::from(modified).to_rfc3339(),
        bytes: meta.len(),
        kind: kind_of(&name).into(),
    })
}

/// Why `file` cannot be restored (damaged, not Compilar's, from a newer release), or its schema version.
pub fn check_restorable(file: &Path) -> Result<i64> {
    if !file.is_file() {
        return Err(Error::BackupUnusable("the file does not exist".into()));
    }
    if let Some(why) = damage_of(file) {
        return Err(Error::BackupUnusable(format!("it is damaged ({why})")));
    }
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| Error::BackupUnusable(format!("it cannot be opened ({e})")))?;
    let applied: Vec<(i64, String)> = conn
        .prepare("SELECT version, checksum FROM schema_migrations ORDER BY version")
        .and_then(|mut st| {
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(|_| Error::BackupUnusable("it is not a Compilar database".into()))?;
    let ours = crate::store::migrations::MIGRATIONS;
    let newest = ours.last().map_or(0, |m| m.version);
    for (version, checksum) in &applied {
        match ours.iter().find(|m| m.version == *version) {
            None if *version > newest => {
                return Err(Error::BackupUnusable(format!(
                    "it was written by a newer release of Compilar (database version {version}; this release knows up to {newest}). Update Compilar first"
                )))
            }
            Some(m) if crate::store::migrations::checksum(m.sql) == *checksum => {}
            _ => {
                return Err(Error::BackupUnusable(format!(
                    "its database version {version} is not the one this release ships"
                )))
            }
        }
    }
    let version = applied.last().map_or(0, |(v, _)| *v);
    if version == 0 {
        return Err(Error::BackupUnusable(
            "it is not a Compilar database".into(),
        ));
    }
    Ok(version)
}

/// Copies the checked backup `file` into the live `database` (one write transaction). The caller has set
/// the current database aside first; the app's open connections see the restored data at once, and the
/// core is reopened after it (caches, migrations of an older backup).
pub fn restore_into(database: &Path, file: &Path) -> Result<()> {
    let src = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let mut dst = Connection::open(database)?;
    dst.busy_timeout(LOCK_WAIT)?;
    copy_all(&src, &mut dst)?;
    // Back to the app's journal mode (the copy carries the backup's header).
    dst.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    Ok(())
}

/// The newest copy taken before a restore (what "undo" restores).
pub fn newest_before_restore(backup_dir: &Path) -> Result<Option<BackupInfo>> {
    Ok(list(backup_dir)?
        .into_iter()
        .find(|b| b.kind == "before_restore"))
}

/// A backup file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct BackupInfo {
    pub path: String,
    /// When it was written (RFC 3339, from the file's time).
    pub taken_at: String,
    #[ts(type = "number")]
    pub bytes: u64,
    /// `auto` (daily), `manual`, `before_restore` (the database as it was before a restore) or `migration`
    /// (taken before the database was upgraded).
    pub kind: String,
}

/// What recovery can do in a data folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RecoveryStatus {
    pub data_dir: String,
    pub database: String,
    /// Why the database cannot be used, or `None` when it passes SQLite's check.
    pub damage: Option<String>,
    /// Newest first.
    pub backups: Vec<BackupInfo>,
    /// Damaged files set aside earlier.
    pub set_aside: Vec<String>,
}

/// What a recovery did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RecoveryOutcome {
    /// Where the damaged database now is (kept, never deleted); `None` if there was no file.
    pub damaged_kept_at: Option<String>,
    /// The backup restored, when one was.
    pub restored_from: Option<String>,
    /// A healthy database set aside on request (`--force`): kept as a backup in the backups folder, which
    /// undoing a restore brings back.
    pub kept_as_backup: Option<BackupInfo>,
}

/// Takes an automatic backup when one is due and the database holds the user's data, keeping the newest
/// `keep` automatic ones. Returns its path.
pub fn auto_backup(paths: &Paths, keep: usize) -> Result<Option<PathBuf>> {
    let newest = list(&paths.backup_dir)?
        .into_iter()
        .filter(|b| b.kind == "auto")
        .filter_map(|b| std::fs::metadata(&b.path).and_then(|m| m.modified()).ok())
        .max();
    if newest.is_some_and(|t| t.elapsed().unwrap_or_default() < AUTO_EVERY) {
        return Ok(None);
    }
    let has_data: bool = {
        let conn = Connection::open_with_flags(&paths.database, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM assessments)
                 OR EXISTS(SELECT 1 FROM kb_sources WHERE kind <> 'builtin')",
            [],
            |r| r.get(0),
        )?
    };
    if !has_data {
        return Ok(None);
    }
    let done = take(paths, BackupKind::Auto, None)?;
    prune(&paths.backup_dir, keep)?;
    Ok(Some(PathBuf::from(done.path)))
}

/// Removes automatic backups beyond the newest `keep` and leftovers of interrupted ones.
pub fn prune(backup_dir: &Path, keep: usize) -> Result<()> {
    let autos: Vec<BackupInfo> = list(backup_dir)?
        .into_iter()
        .filter(|b| b.kind == "auto")
        .collect();
    for old in autos.iter().skip(keep.max(1)) {
        std::fs::remove_file(&old.path)?;
    }
    for entry in std::fs::read_dir(backup_dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".partial") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// The backups in `backup_dir`, newest first.
pub fn list(backup_dir: &Path) -> Result<Vec<BackupInfo>> {
    let entries = match std::fs::read_dir(backup_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out: Vec<(SystemTime, BackupInfo)> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("compilar-") || !name.ends_with(".db") {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        out.push((
            modified,
            BackupInfo {
                path: entry.path().display().to_string(),
                taken_at: chrono::DateTime::<chrono::Utc>::from(modified).to_rfc3339(),
                bytes: meta.len(),
                kind: kind_of(&name).into(),
            },
        ));
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.path.cmp(&a.1.path)));
    Ok(out.into_iter().map(|(_, b)| b).collect())
}

/// Why `file` cannot be used as a database (`None` when SQLite's quick check passes).
pub fn damage_of(file: &Path) -> Option<String> {
    let check = || -> rusqlite::Result<String> {
        let conn = Connection::open_with_flags(
            file,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
    };
    match check() {
        Ok(s) if s == "ok" => None,
        Ok(s) => Some(format!("SQLite's check found: {s}")),
        Err(e) => Some(e.to_string()),
    }
}

/// What recovery can do in this data folder.
pub fn status(paths: &Paths) -> Result<RecoveryStatus> {
    let damage = paths
        .database
        .exists()
        .then(|| damage_of(&paths.database))
        .flatten();
    let mut set_aside: Vec<String> = std::fs::read_dir(&paths.data_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("compilar.damaged-") && n.ends_with(".db"))
        .map(|n| paths.data_dir.join(n).display().to_string())
        .collect();
    set_aside.sort();
    Ok(RecoveryStatus {
        data_dir: paths.data_dir.display().to_string(),
        database: paths.database.display().to_string(),
        damage,
        backups: list(&paths.backup_dir)?,
        set_aside,
    })
}

/// Removes the damaged databases recovery set aside (`compilar.damaged-…`, with their log files): "delete all
/// my data" leaves none of the user's words behind.
pub fn remove_set_aside(paths: &Paths) -> Result<()> {
    for entry in std::fs::read_dir(&paths.data_dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("compilar.damaged-") && entry.path().is_file() {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Renames the database (and its log files) to `compilar.damaged-<time>.db` in the same folder.
fn set_aside(paths: &Paths) -> Result<Option<PathBuf>> {
    if !paths.database.exists() {
        return Ok(None);
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let kept = paths.data_dir.join(format!("compilar.damaged-{stamp}.db"));
    std::fs::rename(&paths.database, &kept)?;
    for suffix in ["-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", paths.database.display()));
        if from.exists() {
            let to = PathBuf::from(format!("{}{suffix}", kept.display()));
            std::fs::rename(&from, &to)?;
        }
    }
    tracing::warn!(kept = %kept.display(), "damaged database set aside");
    Ok(Some(kept))
}

/// Sets the database aside before recovery replaces it: a damaged one is renamed `compilar.damaged-<time>.db`
/// beside it (never deleted); one that passes SQLite's check is refused (`database_healthy`) unless `force`,
/// and then copied into the backups folder as a restore's "before" copy (listed with the backups; undoing the
/// restore brings it back) and removed. Returns (where a damaged one is, the backup a healthy one became).
fn move_aside(paths: &Paths, force: bool) -> Result<(Option<PathBuf>, Option<BackupInfo>)> {
    if !(paths.database.exists() && damage_of(&paths.database).is_none()) {
        return Ok((set_aside(paths)?, None));
    }
    if !force {
        return Err(Error::DatabaseHealthy(paths.database.display().to_string()));
    }
    let kept = take(paths, BackupKind::BeforeRestore, None)?;
    for suffix in ["", "-wal", "-shm"] {
        let f = PathBuf::from(format!("{}{suffix}", paths.database.display()));
        match std::fs::remove_file(&f) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    tracing::warn!(kept = %kept.path, "a healthy database set aside on request");
    Ok((None, Some(kept)))
}

/// Sets the database aside (see [`move_aside`]); the next start creates an empty one. Nothing is deleted.
pub fn start_fresh(paths: &Paths, force: bool) -> Result<RecoveryOutcome> {
    let (damaged, kept) = move_aside(paths, force)?;
    Ok(RecoveryOutcome {
        damaged_kept_at: damaged.map(|p| p.display().to_string()),
        restored_from: None,
        kept_as_backup: kept,
    })
}

/// Restores the newest backup that passes SQLite's check, after setting the database aside (see
/// [`move_aside`]).
pub fn restore_latest(paths: &Paths, force: bool) -> Result<RecoveryOutcome> {
    let backups = list(&paths.backup_dir)?;
    let Some(good) = backups
        .iter()
        .find(|b| damage_of(Path::new(&b.path)).is_none())
    else {
        return Err(Error::NoUsableBackup {
            folder: paths.backup_dir.display().to_string(),
            found: backups.len(),
        });
    };
    let (kept, kept_as_backup) = move_aside(paths, force)?;
    // Copied under a temporary name first: a copy cut short never stands as the database.
    let partial = paths.data_dir.join(".compilar.restoring.db");
    std::fs::copy(&good.path, &partial)?;
    std::fs::rename(&partial, &paths.database)?;
    tracing::warn!(from = %good.path, "database restored from a backup");
    Ok(RecoveryOutcome {
        damaged_kept_at: kept.map(|p| p.display().to_string()),
        restored_from: Some(good.path.clone()),
        kept_as_backup,
    })
}
