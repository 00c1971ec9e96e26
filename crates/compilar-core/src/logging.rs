//! Logging: `tracing` to a daily-rolling file in the app's log folder (7 files kept) and to stderr.
//! The level comes from `COMPILAR_LOG` (default `info`).

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{fmt, EnvFilter};

use crate::error::{Error, Result};

/// Days of log files kept.
pub const RETENTION_FILES: usize = 7;

/// Installs the global subscriber for the window: the log file and stderr. Keep the guard alive for the life
/// of the app (it flushes on drop).
pub fn init(log_dir: &Path) -> Result<WorkerGuard> {
    init_with(log_dir, "compilar", true)
}

/// Installs the global subscriber: daily files `<prefix>.<date>.log` in `log_dir` (7 kept), and stderr when
/// `stderr` (the command-line tool keeps its stderr for errors and progress, so it logs to the file only).
pub fn init_with(log_dir: &Path, prefix: &str, stderr: bool) -> Result<WorkerGuard> {
    std::fs::create_dir_all(log_dir)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(prefix)
        .filename_suffix("log")
        .max_log_files(RETENTION_FILES)
        .build(log_dir)
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("COMPILAR_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_ansi(false).with_writer(writer))
        .with(stderr.then(|| fmt::layer().with_writer(std::io::stderr)))
        .try_init()
        .map_err(|e| Error::Internal(format!("logging could not start: {e}")))?;
    Ok(guard)
}
