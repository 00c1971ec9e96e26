//! Files the user asks Compilar to write: reports, saved conversations, team results, exports and backups.
//!
//! Every such write goes through [`check`] first: the place must not be inside the data folder Compilar manages
//! (the database, its `-wal`/`-shm`, the backups, the logs), its folder must exist, and a file already there is
//! replaced only when the user said so (the save dialog's confirmation, `--force`). The bytes are written beside
//! the target under a temporary name ([`Partial`]) and renamed into place when complete, so a failure never
//! leaves half a file where the user asked for one. Each temporary file is recorded in the data folder
//! (`pending-writes/`) while it exists, so one left behind by a killed process is removed at the next start and
//! by "delete all my data" ([`clean_leftovers`]), wherever it was.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::paths::Paths;

/// The data folder's record of temporary files being written.
const LEDGER: &str = "pending-writes";
/// What every temporary file's name ends with (after `.<16 hex digits>`): cleaning removes nothing else.
const SUFFIX: &str = ".partial";

/// Whether an existing file at the target may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Refuse with `output_exists` (the command line without `--force`).
    Refuse,
    /// Replace it (the user confirmed: the save dialog asks, or `--force`).
    Allow,
}

impl Overwrite {
    /// `Allow` when `force` is set.
    pub fn when(force: bool) -> Overwrite {
        if force {
            Overwrite::Allow
        } else {
            Overwrite::Refuse
        }
    }
}

/// The absolute form of `p` with every existing part resolved (symbolic links, `..`), for comparing places.
fn resolved(p: &Path) -> Result<PathBuf> {
    let abs = if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir()?.join(p)
    };
    // Resolve the longest existing ancestor; keep the rest as written.
    let mut rest = Vec::new();
    let mut cur = abs.as_path();
    loop {
        match std::fs::canonicalize(cur) {
            Ok(c) => {
                let mut out = c;
                for part in rest.iter().rev() {
                    out.push(part);
                }
                return Ok(out);
            }
            Err(_) => match (cur.parent(), cur.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_owned());
                    cur = parent;
                }
                _ => return Ok(abs),
            },
        }
    }
}

/// Whether `path` lies inside the data folder (or is it).
pub fn inside_data_folder(paths: &Paths, path: &Path) -> Result<bool> {
    let data = resolved(&paths.data_dir)?;
    let target = resolved(path)?;
    if target.starts_with(&data) {
        return Ok(true);
    }
    // A symbolic link placed outside that points inside.
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() {
            if let Ok(to) = std::fs::canonicalize(path) {
                return Ok(to.starts_with(&data));
            }
        }
    }
    Ok(false)
}

/// Checks a place the user chose for a file Compilar writes (`what`, e.g. "report"): not inside the data
/// folder, its folder exists, not a folder itself, and not an existing file unless `overwrite` allows it.
/// Returns the path to write (as given).
pub fn check(paths: &Paths, path: &Path, overwrite: Overwrite) -> Result<PathBuf> {
    if path.as_os_str().is_empty() {
        return Err(Error::EmptyInput("Name the file to write.".into()));
    }
    if inside_data_folder(paths, path)? {
        return Err(Error::OutputInDataFolder {
            path: path.display().to_string(),
            folder: paths.data_dir.display().to_string(),
        });
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(Error::OutputFolderMissing(parent.display().to_string()));
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(Error::InvalidArgument(format!(
            "{} is a folder; name a file to write.",
            path.display()
        ))),
        Ok(_) if overwrite == Overwrite::Refuse => {
            Err(Error::OutputExists(path.display().to_string()))
        }
        _ => Ok(path.to_owned()),
    }
}

/// A temporary file or folder beside a target, recorded in the data folder while it exists. Dropped without
/// [`Partial::finish`], it is removed (and so is its record).
pub struct Partial {
    path: PathBuf,
    record: Option<(File, PathBuf)>,
}

impl Partial {
    /// A temporary name beside `target` (`<target>.<16 hex digits>.partial`), recorded in `paths`' data folder.
    pub fn beside(paths: &Paths, target: &Path) -> Result<Partial> {
        // (A version 7 id: its last 16 hex digits are random.)
        let tag = uuid::Uuid::now_v7().simple().to_string();
        let mut name = target.as_os_str().to_owned();
        name.push(format!(".{}{SUFFIX}", &tag[16..]));
        let path = PathBuf::from(name);
        let dir = paths.data_dir.join(LEDGER);
        std::fs::create_dir_all(&dir)?;
        let record_path = dir.join(format!("{tag}.txt"));
        let mut f = File::create(&record_path)?;
        // Held while the write runs: a start or a "delete all" in another process leaves it alone.
        f.lock()?;
        f.write_all(path.to_string_lossy().as_bytes())?;
        f.sync_all()?;
        Ok(Partial {
            path,
            record: Some((f, record_path)),
        })
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the complete file (or folder) into place at `target` and forgets the record.
    pub fn finish(mut self, target: &Path) -> Result<()> {
        std::fs::rename(&self.path, target)?;
        self.forget();
        Ok(())
    }

    fn forget(&mut self) {
        if let Some((f, record)) = self.record.take() {
            drop(f);
            let _ = std::fs::remove_file(record);
        }
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if self.record.is_some() {
            remove_leftover(&self.path);
            self.forget();
        }
    }
}

/// Removes a temporary file or folder and SQLite's files beside it.
fn remove_leftover(path: &Path) {
    let _ = std::fs::remove_dir_all(path);
    let _ = std::fs::remove_file(path);
    for suffix in ["-journal", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// Whether `path` is named as [`Partial`] names its files.
fn is_partial_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let Some(stem) = name.strip_suffix(SUFFIX) else {
        return false;
    };
    let Some((_, tag)) = stem.rsplit_once('.') else {
        return false;
    };
    tag.len() == 16 && tag.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Removes what interrupted writes left behind: every recorded temporary file whose writer is gone (its record
/// not locked by a running process), and temporary files inside the data folder (backups cut short, a restore
/// cut short, SQLite's journals beside them). Returns how many were removed.
pub fn clean_leftovers(paths: &Paths) -> usize {
    let mut removed = 0;
    let dir = paths.data_dir.join(LEDGER);
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let record = entry.path();
        let Ok(mut f) = File::options().read(true).write(true).open(&record) else {
            continue;
        };
        if f.try_lock().is_err() {
            continue; // still being written by a running process
        }
        let mut text = String::new();
        if Read::take(&mut f, 64 * 1024)
            .read_to_string(&mut text)
            .is_ok()
        {
            let leftover = PathBuf::from(text.trim_end());
            if is_partial_name(&leftover)
                && (leftover.exists() || std::fs::symlink_metadata(&leftover).is_ok())
            {
                remove_leftover(&leftover);
                removed += 1;
            }
        }
        drop(f);
        let _ = std::fs::remove_file(&record);
    }
    // Inside the data folder, by name: backups (and their journals) cut short, a recovery's copy cut short.
    for folder in [&paths.backup_dir, &paths.data_dir] {
        for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let leftover = name.ends_with(".partial")
                || name.ends_with(".partial-journal")
                || name.ends_with(".partial-wal")
                || name.ends_with(".partial-shm")
                || name.starts_with(".compilar.restoring.db");
            if leftover && entry.path().is_file() && !locked_by_writer(paths, &entry.path()) {
                let _ = std::fs::remove_file(entry.path());
                removed += 1;
            }
        }
    }
    if removed > 0 {
        tracing::info!(removed, "leftovers of interrupted writes removed");
    }
    removed
}

/// Whether a temporary file inside the data folder belongs to a write still running (its record is locked).
fn locked_by_writer(paths: &Paths, file: &Path) -> bool {
    let dir = paths.data_dir.join(LEDGER);
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let Ok(mut f) = File::open(entry.path()) else {
            continue;
        };
        let mut text = String::new();
        if Read::take(&mut f, 64 * 1024)
            .read_to_string(&mut text)
            .is_err()
        {
            continue;
        }
        let listed = PathBuf::from(text.trim_end());
        let ours = listed == file
            || ["-journal", "-wal", "-shm"].iter().any(|s| {
                let mut p = listed.as_os_str().to_owned();
                p.push(s);
                p == file.as_os_str()
            });
        if ours {
            return true;
        }
    }
    false
}

/// Writes `bytes` to `path` (already [`check`]ed) through a [`Partial`] beside it.
pub async fn write_file(paths: &Paths, path: &Path, bytes: Vec<u8>) -> Result<()> {
    let (paths, path) = (paths.clone(), path.to_owned());
    tokio::task::spawn_blocking(move || {
        let partial = Partial::beside(&paths, &path)?;
        let mut f = File::create(partial.path())?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        drop(f);
        partial.finish(&path)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(dir: &Path) -> Paths {
        Paths::resolve(Some(&dir.join("data"))).unwrap()
    }

    #[test]
    fn nothing_is_written_inside_the_data_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let p = paths(tmp.path());
        std::fs::create_dir_all(&p.backup_dir).unwrap();
        std::fs::write(&p.database, b"db").unwrap();
        for target in [
            p.database.clone(),
            p.data_dir.join("compilar.db-wal"),
            p.backup_dir.join("compilar-auto-x.db"),
            p.data_dir.join("new.pdf"),
            p.data_dir.join("backups/../compilar.db"),
        ] {
            let e = check(&p, &target, Overwrite::Allow).unwrap_err();
            assert_eq!(e.code(), "output_in_data_folder", "{}", target.display());
        }
        // Through a symbolic link to the data folder, or a link placed outside that points at the database.
        #[cfg(unix)]
        {
            let link = tmp.path().join("link");
            std::os::unix::fs::symlink(&p.data_dir, &link).unwrap();
            let e = check(&p, &link.join("compilar.db"), Overwrite::Allow).unwrap_err();
            assert_eq!(e.code(), "output_in_data_folder");
            let file_link = tmp.path().join("report.pdf");
            std::os::unix::fs::symlink(&p.database, &file_link).unwrap();
            let e = check(&p, &file_link, Overwrite::Allow).unwrap_err();
            assert_eq!(e.code(), "output_in_data_folder");
        }
        let outside = tmp.path().join("report.pdf.txt");
        assert_eq!(
            check(&p, &outside, Overwrite::Refuse).unwrap(),
            outside.clone()
        );
        std::fs::write(&outside, b"mine").unwrap();
        assert_eq!(
            check(&p, &outside, Overwrite::Refuse).unwrap_err().code(),
            "output_exists"
        );
        assert!(check(&p, &outside, Overwrite::Allow).is_ok());
        let e = check(
            &p,
            &tmp.path().join("no/such/folder/r.pdf"),
            Overwrite::Allow,
        )
        .unwrap_err();
        assert_eq!(e.code(), "output_folder_missing");
        assert!(e.to_string().contains("no/such/folder"), "{e}");
    }

    #[test]
    fn a_partial_left_by_a_killed_writer_is_removed_but_not_a_running_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let p = paths(tmp.path());
        std::fs::create_dir_all(&p.data_dir).unwrap();
        let target = tmp.path().join("export.zip");
        // A running write: its record is locked, so cleaning leaves it.
        let running = Partial::beside(&p, &target).unwrap();
        std::fs::write(running.path(), b"secret words").unwrap();
        assert_eq!(clean_leftovers(&p), 0);
        assert!(running.path().exists());
        // A killed one: the process is gone (here, its lock released without removing anything).
        let path = running.path().to_owned();
        let mut running = running;
        if let Some((f, _)) = running.record.as_mut() {
            f.unlock().unwrap();
        }
        std::mem::forget(running);
        assert_eq!(clean_leftovers(&p), 1);
        assert!(!path.exists());
        assert_eq!(
            std::fs::read_dir(p.data_dir.join(LEDGER)).unwrap().count(),
            0
        );
        // A record naming a file that is not one of ours removes nothing.
        let mine = tmp.path().join("mine.txt");
        std::fs::write(&mine, b"keep").unwrap();
        std::fs::write(
            p.data_dir.join(LEDGER).join("x.txt"),
            mine.display().to_string(),
        )
        .unwrap();
        assert_eq!(clean_leftovers(&p), 0);
        assert!(mine.exists());
    }

    #[test]
    fn a_write_that_fails_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let p = paths(tmp.path());
        std::fs::create_dir_all(&p.data_dir).unwrap();
        let target = tmp.path().join("r.md");
        {
            let partial = Partial::beside(&p, &target).unwrap();
            std::fs::write(partial.path(), b"half").unwrap();
        }
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("data")]);
        assert_eq!(
            std::fs::read_dir(p.data_dir.join(LEDGER)).unwrap().count(),
            0
        );
    }
}
