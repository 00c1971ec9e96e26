//! Where the app keeps its files, and the options it is opened with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::llm::{Clock, KeychainBackend, ProviderKind, Secrets, SystemClock};

/// The bundle identifier; fixed forever (it names the data folder on every platform).
pub const IDENTIFIER: &str = "io.compilar.desktop";
/// The data folder's name (and the keychain service): the identifier for release builds, and
/// `io.compilar.desktop.dev` for development (debug) builds, so that running a branch from source never
/// migrates, or writes into, the data of an installed Compilar.
pub const DATA_FOLDER_NAME: &str = if cfg!(debug_assertions) {
    "io.compilar.desktop.dev"
} else {
    IDENTIFIER
};
/// Overrides the data folder (tests, portable installs, the command-line tool's `--data-dir`).
pub const DATA_DIR_ENV: &str = "COMPILAR_DATA_DIR";
/// The database file inside the data folder.
pub const DB_FILE: &str = "compilar.db";

/// Where the app keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub database: PathBuf,
    pub log_dir: PathBuf,
    pub backup_dir: PathBuf,
}

impl Paths {
    /// The data folder: `explicit` if given, else `$COMPILAR_DATA_DIR`, else the OS application-data folder
    /// (`~/.local/share/io.compilar.desktop` on Linux, `~/Library/Application Support/io.compilar.desktop` on
    /// macOS, `%APPDATA%\io.compilar.desktop` on Windows; `….dev` for development builds).
    pub fn resolve(explicit: Option<&Path>) -> Result<Paths> {
        let data_dir = match explicit {
            Some(p) => p.to_owned(),
            None => match std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
                Some(v) => PathBuf::from(v),
                None => dirs::data_dir()
                    .ok_or_else(|| {
                        Error::Io(std::io::Error::other(
                            "this system reports no application-data folder; set COMPILAR_DATA_DIR",
                        ))
                    })?
                    .join(DATA_FOLDER_NAME),
            },
        };
        Ok(Paths {
            database: data_dir.join(DB_FILE),
            log_dir: data_dir.join("logs"),
            backup_dir: data_dir.join("backups"),
            data_dir,
        })
    }
}

/// How to open the app. [`AppOptions::default`] is what the desktop app uses.
pub struct AppOptions {
    /// The data folder (see [`Paths::resolve`]).
    pub data_dir: Option<PathBuf>,
    /// Where API keys live.
    pub keychain: KeychainBackend,
    /// Keys that override the keychain (normally `OPENAI_API_KEY` / `ANTHROPIC_API_KEY`).
    pub env_keys: HashMap<ProviderKind, String>,
    /// The clock of the circuit breakers and the rate limiter.
    pub clock: Arc<dyn Clock>,
    /// Index the shipped knowledge base (when it changed) and load the search index while opening. The window
    /// does; the command-line tool and tests leave it to the first command that searches or imports.
    pub prepare_knowledge: bool,
    /// Run SQLite's quick check while opening, so a damaged database is found at start-up rather than by
    /// the first page that reads the damaged part. The window does (8–13 ms for 13 MB, printed by
    /// `tests/storage.rs`); the
    /// command-line tool leaves it to `doctor`.
    pub check_integrity: bool,
    /// Sync in the background while signed in (on start, shortly after changes, every few minutes). The window
    /// does; the command-line tool syncs when told to (`compilar-cli sync`), and tests call it themselves.
    pub sync_in_background: bool,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            data_dir: None,
            keychain: KeychainBackend::Os,
            env_keys: Secrets::env_keys(),
            clock: Arc::new(SystemClock::new()),
            prepare_knowledge: true,
            check_integrity: true,
            sync_in_background: true,
        }
    }
}

impl AppOptions {
    /// For tests: this data folder, keyring's in-memory store, no keys from the environment.
    pub fn for_tests(data_dir: &Path) -> Self {
        AppOptions {
            data_dir: Some(data_dir.to_owned()),
            keychain: KeychainBackend::Mock,
            env_keys: HashMap::new(),
            clock: Arc::new(SystemClock::new()),
            prepare_knowledge: false,
            check_integrity: true,
            sync_in_background: false,
        }
    }
}
