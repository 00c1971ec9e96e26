//! Your data: backups (by hand and automatic), restore with undo, and "delete all my data". Export and
//! import of an open archive live in [`export`] and [`import`].

pub mod archive;
pub mod dto;
pub mod export;
pub mod import;

use std::path::{Path, PathBuf};

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::jobs::JobKind;
use crate::store::backup::{self, BackupKind};
use dto::*;

/// The longest path accepted from a caller.
pub const MAX_PATH: usize = 4_096;
/// The largest file a restore reads.
pub const MAX_RESTORE_BYTES: u64 = 8 * 1024 * 1024 * 1024;
/// Automatic copies kept: at most this many.
pub const MAX_KEEP: u32 = 60;
const SETTINGS_KEY: &str = "backup";

pub(crate) fn checked_path(p: &str, what: &'static str) -> Result<PathBuf> {
    if p.len() > MAX_PATH {
        return Err(Error::PayloadTooLarge {
            what,
            max: MAX_PATH,
            unit: "characters",
        });
    }
    if p.trim().is_empty() {
        return Err(Error::EmptyInput(format!("Name the {what}.")));
    }
    Ok(PathBuf::from(p))
}

/// The backup settings stored in `app_settings` (the defaults when none are).
pub(crate) fn read_settings(c: &rusqlite::Connection) -> Result<BackupSettings> {
    let v = crate::store::meta::setting(c, SETTINGS_KEY)?;
    Ok(v.and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

fn busy_restore(_: &crate::jobs::JobInfo) -> String {
    "A restore is already running.".into()
}

/// The data capability.
#[derive(Clone, Copy)]
pub struct Data<'a> {
    ctx: &'a Ctx,
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn data(&self) -> Data<'_> {
        Data::new(self)
    }
}

impl<'a> Data<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Data { ctx }
    }

    fn dir(&self) -> &Path {
        &self.ctx.paths.backup_dir
    }

    /// The backups, newest first, and their settings.
    pub async fn backups(&self) -> Result<Backups> {
        let settings = self.ctx.store.read(read_settings).await?;
        let dir = self.dir().to_owned();
        let (list, undo) = tokio::task::spawn_blocking(move || {
            Ok::<_, Error>((backup::list(&dir)?, backup::newest_before_restore(&dir)?))
        })
        .await??;
        Ok(Backups {
            folder: self.dir().display().to_string(),
            settings,
            backups: list,
            can_undo: undo.is_some(),
        })
    }

    /// Changes one or both automatic backup settings, keeping the other as it is.
    pub async fn change_backup_settings(
        &self,
        automatic: Option<bool>,
        keep: Option<u32>,
    ) -> Result<Backups> {
        let now = self.ctx.store.read(read_settings).await?;
        self.set_backup_settings(BackupSettings {
            automatic: automatic.unwrap_or(now.automatic),
            keep: keep.unwrap_or(now.keep),
        })
        .await
    }

    /// Changes the automatic backup settings (and prunes to the new count).
    pub async fn set_backup_settings(&self, s: BackupSettings) -> Result<Backups> {
        if !(1..=MAX_KEEP).contains(&s.keep) {
            return Err(Error::OutOfRange(format!(
                "Keep between 1 and {MAX_KEEP} automatic backups, not {}.",
                s.keep
            )));
        }
        let json = serde_json::to_string(&s).map_err(|e| Error::Internal(e.to_string()))?;
        self.ctx
            .store
            .write(move |c| crate::store::meta::set_setting(c, SETTINGS_KEY, &json))
            .await?;
        let dir = self.dir().to_owned();
        tokio::task::spawn_blocking(move || backup::prune(&dir, s.keep as usize)).await??;
        self.backups().await
    }

    /// Takes a backup now (consistent while the app is in use), into the backup folder or to `file`.
    pub async fn backup(&self, req: BackupRequest) -> Result<BackupInfo> {
        let overwrite = crate::output::Overwrite::when(req.overwrite.unwrap_or(false));
        let dest = req
            .file
            .as_deref()
            .map(|f| checked_path(f, "backup file"))
            .transpose()?
            .map(|d| crate::output::check(&self.ctx.paths, &d, overwrite))
            .transpose()?;
        let _job = self
            .ctx
            .jobs
            .start(JobKind::Backup, "backup", "Backup", None, |_| {
                "A backup is already being taken.".into()
            })?;
        let paths = self.ctx.paths.clone();
        tokio::task::spawn_blocking(move || {
            backup::take(&paths, BackupKind::Manual, dest.as_deref())
        })
        .await?
    }

    /// Takes the automatic backup when one is due (errors are logged: a backup never stops the app).
    pub(crate) async fn auto_backup_if_due(&self) {
        let keep = match self.ctx.store.read(read_settings).await {
            Ok(s) if s.automatic => s.keep as usize,
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, "backup settings unreadable");
                return;
            }
        };
        let paths = self.ctx.paths.clone();
        match tokio::task::spawn_blocking(move || backup::auto_backup(&paths, keep)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the automatic backup failed"),
            Err(e) => tracing::warn!(error = %e, "the automatic backup failed"),
        }
    }

    /// Restores `file` after checking it (integrity, a Compilar database, not from a newer release); the
    /// current database is kept aside first, and [`Data::undo_restore`] brings it back. The shell reopens the
    /// core afterwards (caches, and the migrations an older backup needs).
    pub async fn restore(&self, file: &str) -> Result<RestoreOutcome> {
        let file = checked_path(file, "backup file")?;
        let _job =
            self.ctx
                .jobs
                .start(JobKind::Restore, "restore", "Restore", None, busy_restore)?;
        let paths = self.ctx.paths.clone();
        let db = paths.database.clone();
        let out = tokio::task::spawn_blocking(move || {
            let len = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            if len > MAX_RESTORE_BYTES {
                return Err(Error::BackupUnusable(format!(
                    "it is larger than {} GB",
                    MAX_RESTORE_BYTES / (1024 * 1024 * 1024)
                )));
            }
            let version = backup::check_restorable(&file)?;
            if std::fs::canonicalize(&file).ok() == std::fs::canonicalize(&db).ok() {
                return Err(Error::BackupUnusable("it is the database in use".into()));
            }
            let aside = backup::take(&paths, BackupKind::BeforeRestore, None)?;
            backup::restore_into(&db, &file)?;
            Ok(RestoreOutcome {
                restored_from: file.display().to_string(),
                set_aside: Some(aside),
                schema_version: version,
            })
        })
        .await??;
        tracing::warn!(from = %out.restored_from, "database restored from a backup");
        Ok(out)
    }

    /// Undoes the newest restore: the database as it was before comes back (and its copy is removed).
    pub async fn undo_restore(&self) -> Result<RestoreOutcome> {
        let _job = self.ctx.jobs.start(
            JobKind::Restore,
            "restore",
            "Undo restore",
            None,
            busy_restore,
        )?;
        let (db, dir) = (self.ctx.paths.database.clone(), self.dir().to_owned());
        tokio::task::spawn_blocking(move || {
            let Some(before) = backup::newest_before_restore(&dir)? else {
                return Err(Error::NothingToUndo);
            };
            let file = PathBuf::from(&before.path);
            let version = backup::check_restorable(&file)?;
            backup::restore_into(&db, &file)?;
            std::fs::remove_file(&file)?;
            tracing::warn!(from = %before.path, "restore undone");
            Ok(RestoreOutcome {
                restored_from: before.path,
                set_aside: None,
                schema_version: version,
            })
        })
        .await?
    }

    /// Deletes every assessment, full profile, goal, report, conversation, document and fresh question, the AI call log,
    /// the team rounds kept for offline use and every backup, after the exact confirmation is typed. Settings and
    /// keys stay. The shell reopens the
    /// core afterwards.
    pub async fn delete_everything(&self, confirmation: &str) -> Result<DeleteOutcome> {
        if confirmation.trim() != DELETE_CONFIRMATION {
            return Err(Error::ConfirmationMismatch(format!(
                "\u{201c}{DELETE_CONFIRMATION}\u{201d}"
            )));
        }
        let documents = self.ctx.documents().delete_all().await?;
        let (assessments, goals, conversations) = self
            .ctx
            .store
            .write(|c| {
                let count = |t: &str| -> Result<u32> {
                    Ok(c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?)
                };
                let counts = (
                    count("assessments")?,
                    count("goals")?,
                    count("conversations")?,
                );
                // This computer's own tables first (they refer to the synced ones), then every synced table.
                for t in ["team_reports", "llm_calls"] {
                    c.execute(&format!("DELETE FROM {t}"), [])?;
                }
                for t in crate::store::records::deleted_with_my_data() {
                    c.execute(&format!("DELETE FROM {}", t.name), [])?;
                }
                // The teams' open rounds kept for Home while offline (round titles and messages).
                c.execute(
                    "DELETE FROM app_settings WHERE key LIKE 'teams.open_rounds:%'",
                    [],
                )?;
                Ok(counts)
            })
            .await?;
        // Nothing deleted may linger in free pages, the write-ahead log, a backup, a copy set aside by
        // recovery, or what an interrupted write left behind.
        let paths = self.ctx.paths.clone();
        let removed = tokio::task::spawn_blocking(move || -> Result<u32> {
            let c = rusqlite::Connection::open(&paths.database)?;
            c.busy_timeout(std::time::Duration::from_secs(30))?;
            c.execute_batch("VACUUM")?;
            // The log must be emptied, not only copied: a reader on an older snapshot keeps the deleted pages
            // in it, so this waits for them (and says so if it cannot).
            let mut emptied = false;
            for _ in 0..10 {
                if !crate::store::truncate(&c)?.busy {
                    emptied = true;
                    break;
                }
            }
            if !emptied {
                return Err(Error::DatabaseBusy);
            }
            let mut n = 0;
            for b in backup::list(&paths.backup_dir)? {
                std::fs::remove_file(&b.path)?;
                n += 1;
            }
            crate::output::clean_leftovers(&paths);
            backup::remove_set_aside(&paths)?;
            Ok(n)
        })
        .await??;
        tracing::warn!("all user data deleted");
        Ok(DeleteOutcome {
            assessments,
            goals,
            conversations,
            documents,
            backups_removed: removed,
        })
    }
}
