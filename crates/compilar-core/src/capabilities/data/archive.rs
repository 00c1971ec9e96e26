//! The export's files: written into a folder or a zip archive, and read back with every bound checked
//! before a byte is trusted (entry count, sizes as declared and as read, names that would escape).

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// The largest archive an import opens, the largest entry it reads, and the most entries it looks at.
pub const MAX_ARCHIVE_BYTES: u64 = 1024 * 1024 * 1024;
pub const MAX_ENTRY_BYTES: u64 = 512 * 1024 * 1024;
pub const MAX_ENTRIES: usize = 100_000;

/// Where an export's files go.
pub enum Sink {
    Folder(PathBuf),
    Zip(Box<zip::ZipWriter<std::fs::File>>),
}

impl Sink {
    pub fn file(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        match self {
            Sink::Folder(root) => {
                let path = root.join(name);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(path, bytes)?;
            }
            Sink::Zip(z) => {
                // Level 1: about as small for this text, several times faster than the default.
                let opts = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated)
                    .compression_level(Some(1))
                    .last_modified_time(zip_now())
                    .large_file(bytes.len() as u64 > u32::MAX as u64 / 2);
                z.start_file(name, opts)
                    .map_err(|e| Error::Internal(format!("zip: {e}")))?;
                z.write_all(bytes)?;
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Result<()> {
        if let Sink::Zip(z) = self {
            let f = z
                .finish()
                .map_err(|e| Error::Internal(format!("zip: {e}")))?;
            f.sync_all()?;
        }
        Ok(())
    }
}

/// Now, as a zip entry's time (local, as zip tools read it); without it every entry says 1 January 1980.
fn zip_now() -> zip::DateTime {
    use chrono::{Datelike, Timelike};
    let n = chrono::Local::now();
    zip::DateTime::from_date_and_time(
        u16::try_from(n.year()).unwrap_or(1980),
        n.month() as u8,
        n.day() as u8,
        n.hour() as u8,
        n.minute() as u8,
        n.second().min(59) as u8,
    )
    .unwrap_or_default()
}

fn invalid(why: impl Into<String>) -> Error {
    Error::ArchiveInvalid(why.into())
}

/// A name inside an export that stays inside it: relative, no `..`, no drive or root.
fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('\\')
        && !name.contains('\0')
        && Path::new(name)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// The most bytes data.json may spend in one place: one record, one top-level value, or the space between
/// two of them. The largest record an export writes (a report of a million characters with its passages,
/// escaped) fits well inside it; anything larger is padding or an attack, refused before it is held.
pub const MAX_PART_BYTES: u64 = 16 * 1024 * 1024;

/// Why reading stopped early, for the error that follows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Over {
    No,
    Part,
    Whole,
}

/// How much a reader may still hand out: per part (re-armed by the parser at every record) and in all.
pub struct Budget {
    part_left: std::cell::Cell<u64>,
    whole_left: std::cell::Cell<u64>,
    over: std::cell::Cell<Over>,
}

impl Budget {
    fn new() -> Self {
        Self {
            part_left: std::cell::Cell::new(MAX_PART_BYTES),
            whole_left: std::cell::Cell::new(MAX_ENTRY_BYTES),
            over: std::cell::Cell::new(Over::No),
        }
    }

    /// A new part begins: a record, a top-level value.
    pub fn rearm(&self) {
        self.part_left.set(MAX_PART_BYTES);
    }

    /// The error a read that ran out of budget becomes; `None` when the budget was not the reason.
    pub fn error(&self) -> Option<Error> {
        match self.over.get() {
            Over::No => None,
            Over::Part => Some(Error::ArchiveTooLarge(format!(
                "data.json has more than {} MB in one record or between two records",
                MAX_PART_BYTES / (1024 * 1024)
            ))),
            Over::Whole => Some(Error::ArchiveTooLarge(format!(
                "data.json holds more than {} MB",
                MAX_ENTRY_BYTES / (1024 * 1024)
            ))),
        }
    }
}

/// A reader that hands out no more than its [`Budget`] allows, so a parser reading from it never holds
/// more than one part's worth of whatever the file says.
pub struct Metered<'b, R> {
    inner: R,
    budget: &'b Budget,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let b = self.budget;
        let allowed = b.part_left.get().min(b.whole_left.get());
        if allowed == 0 && !buf.is_empty() {
            // One byte more tells the end of the file from a part that is too long.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            b.over.set(if b.whole_left.get() == 0 {
                Over::Whole
            } else {
                Over::Part
            });
            return Err(std::io::Error::other("over the import's byte budget"));
        }
        let cap = usize::try_from(allowed)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..cap])?;
        b.part_left.set(b.part_left.get() - n as u64);
        b.whole_left.set(b.whole_left.get() - n as u64);
        Ok(n)
    }
}

/// data.json as [`with_data`] hands it out: buffered (a parser reads it a byte at a time cheaply) over the
/// metered entry.
pub type DataReader<'a> = std::io::BufReader<Metered<'a, Box<dyn Read + 'a>>>;

/// Opens `data.json` from an export folder or zip archive at `path` and hands `f` a reader of it that
/// streams (nothing is read whole) within its [`Budget`].
pub fn with_data<T>(
    path: &Path,
    f: impl for<'a> FnOnce(DataReader<'a>, &'a Budget) -> Result<T>,
) -> Result<T> {
    let budget = Budget::new();
    let meta = std::fs::metadata(path)
        .map_err(|e| invalid(format!("{} cannot be opened ({e})", path.display())))?;
    if meta.is_dir() {
        let file = path.join("data.json");
        let m =
            std::fs::symlink_metadata(&file).map_err(|_| invalid("the folder has no data.json"))?;
        if !m.is_file() {
            return Err(invalid("data.json in the folder is not a plain file"));
        }
        if m.len() > MAX_ENTRY_BYTES {
            return Err(Error::ArchiveTooLarge(format!(
                "data.json is larger than {} MB",
                MAX_ENTRY_BYTES / (1024 * 1024)
            )));
        }
        let file = std::fs::File::open(&file)?;
        let r = Metered {
            inner: Box::new(file) as Box<dyn Read>,
            budget: &budget,
        };
        return f(std::io::BufReader::new(r), &budget);
    }
    if meta.len() > MAX_ARCHIVE_BYTES {
        return Err(Error::ArchiveTooLarge(format!(
            "the archive is larger than {} GB",
            MAX_ARCHIVE_BYTES / (1024 * 1024 * 1024)
        )));
    }
    let f0 = std::fs::File::open(path)?;
    let mut z = zip::ZipArchive::new(std::io::BufReader::new(f0))
        .map_err(|e| invalid(format!("it is not a complete zip archive ({e})")))?;
    if z.len() > MAX_ENTRIES {
        return Err(Error::ArchiveTooLarge(format!(
            "it has more than {MAX_ENTRIES} entries"
        )));
    }
    let mut data = None;
    for i in 0..z.len() {
        let e = z
            .by_index_raw(i)
            .map_err(|e| invalid(format!("entry {i} is damaged ({e})")))?;
        let name = e.name().to_owned();
        if !safe_name(&name) || e.enclosed_name().is_none() {
            return Err(invalid(format!(
                "the entry \u{201c}{}\u{201d} points outside the export",
                crate::domain::truncate_for_message(&name)
            )));
        }
        if e.size() > MAX_ENTRY_BYTES {
            return Err(Error::ArchiveTooLarge(format!(
                "the entry \u{201c}{}\u{201d} says it holds {} MB (at most {} MB)",
                crate::domain::truncate_for_message(&name),
                e.size() / (1024 * 1024),
                MAX_ENTRY_BYTES / (1024 * 1024)
            )));
        }
        if name == "data.json" {
            data = Some(i);
        }
    }
    let i = data.ok_or_else(|| invalid("the archive has no data.json"))?;
    let e = z
        .by_index(i)
        .map_err(|e| invalid(format!("data.json is damaged ({e})")))?;
    let r = Metered {
        inner: Box::new(e) as Box<dyn Read>,
        budget: &budget,
    };
    f(std::io::BufReader::new(r), &budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_escape_are_refused() {
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "C:\\x",
            "a\\..\\x",
            "",
            "a\0b",
        ] {
            assert!(!safe_name(bad), "{bad:?}");
        }
        for good in ["data.json", "csv/assessments.csv", "./reports/a.md"] {
            assert!(safe_name(good), "{good:?}");
        }
    }
}
