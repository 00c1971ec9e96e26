//! Automatic backups and the recovery of a damaged database.
//!
//! Once the database holds the user's data (an assessment or an imported document), a copy is taken at
//! start-up when the newest automatic one is more than a day old (`VACUUM INTO`, written under a temporary
//! name and renamed when complete); the newest [`AUTO_KEPT`] are kept. Copies taken before migrations sit
//! beside them. Recovery works without opening the app (it is what to do when it cannot open): restore the
//! newest backup that passes SQLite's check, or set the damaged file aside and start fresh. The damaged
//! file is never deleted: it is renamed `compilar.damaged-<time>.db` in the data folder.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::paths::Paths;

/// Automatic backups kept (older ones are removed; backups taken before migrations are left alone).
pub const AUTO_KEPT: usize = 5;
/// How old the newest automatic backup may be before another is taken at start-up.
pub const AUTO_EVERY: Duration = Duration::from_secs(24 * 3600);
const AUTO_PREFIX: &str = "compilar-auto-";

/// A backup file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct BackupInfo {
    pub path: String,
    /// When it was written (RFC 3339, from the file's time).
    pub taken_at: String,
    #[ts(type = "number")]
    pub bytes: u64,
    /// `auto` (daily) or `migration` (taken before the database was upgraded).
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
}

/// Takes an automatic backup when one is due and the database holds the user's data. Returns its path.
pub fn auto_backup(database: &Path, backup_dir: &Path) -> Result<Option<PathBuf>> {
    let newest = list(backup_dir)?
        .into_iter()
        .filter(|b| b.kind == "auto")
        .filter_map(|b| std::fs::metadata(&b.path).and_then(|m| m.modified()).ok())
        .max();
    if newest.is_some_and(|t| t.elapsed().unwrap_or_default() < AUTO_EVERY) {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    let has_data: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM assessments)
             OR EXISTS(SELECT 1 FROM kb_sources WHERE kind <> 'builtin')",
        [],
        |r| r.get(0),
    )?;
    if !has_data {
        return Ok(None);
    }
    std::fs::create_dir_all(backup_dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let done = backup_dir.join(format!("{AUTO_PREFIX}{stamp}.db"));
    let partial = backup_dir.join(format!(".{AUTO_PREFIX}{stamp}.partial"));
    let _ = std::fs::remove_file(&partial);
    conn.execute("VACUUM INTO ?1", [partial.to_string_lossy()])?;
    std::fs::rename(&partial, &done)?;
    tracing::info!(backup = %done.display(), "automatic backup taken");
    prune(backup_dir)?;
    Ok(Some(done))
}

/// Removes automatic backups beyond the newest [`AUTO_KEPT`] and leftovers of interrupted ones.
fn prune(backup_dir: &Path) -> Result<()> {
    let autos: Vec<BackupInfo> = list(backup_dir)?
        .into_iter()
        .filter(|b| b.kind == "auto")
        .collect();
    for old in autos.iter().skip(AUTO_KEPT) {
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
                kind: if name.starts_with(AUTO_PREFIX) {
                    "auto".into()
                } else {
                    "migration".into()
                },
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

/// Sets the damaged database aside; the next start creates an empty one. Nothing is deleted.
pub fn start_fresh(paths: &Paths) -> Result<RecoveryOutcome> {
    let kept = set_aside(paths)?;
    Ok(RecoveryOutcome {
        damaged_kept_at: kept.map(|p| p.display().to_string()),
        restored_from: None,
    })
}

/// Restores the newest backup that passes SQLite's check, after setting the damaged database aside.
pub fn restore_latest(paths: &Paths) -> Result<RecoveryOutcome> {
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
    let kept = set_aside(paths)?;
    // Copied under a temporary name first: a copy cut short never stands as the database.
    let partial = paths.data_dir.join(".compilar.restoring.db");
    std::fs::copy(&good.path, &partial)?;
    std::fs::rename(&partial, &paths.database)?;
    tracing::warn!(from = %good.path, "database restored from a backup");
    Ok(RecoveryOutcome {
        damaged_kept_at: kept.map(|p| p.display().to_string()),
        restored_from: Some(good.path.clone()),
    })
}
