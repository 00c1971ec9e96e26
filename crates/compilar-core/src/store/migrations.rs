//! The migration runner.
//!
//! Migrations are SQL files in `migrations/` at the repository root, embedded in the binary. Each one runs in
//! its own `BEGIN IMMEDIATE` transaction together with its row in `schema_migrations` (version, name, SHA-256
//! checksum). On start-up the checksums of applied migrations are verified, a database written by a newer
//! release is refused, and a backup copy of an existing database is taken before any pending migration runs.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::util::now;

/// One migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The migrations of the local database, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../../../../migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "llm",
        sql: include_str!("../../../../migrations/0002_llm.sql"),
    },
    Migration {
        version: 3,
        name: "knowledge",
        sql: include_str!("../../../../migrations/0003_knowledge.sql"),
    },
    Migration {
        version: 4,
        name: "vector_versions",
        sql: include_str!("../../../../migrations/0004_vector_versions.sql"),
    },
];

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub applied: Vec<i64>,
    pub schema_version: i64,
    pub backup: Option<PathBuf>,
}

fn checksum(sql: &str) -> String {
    let digest = Sha256::digest(sql.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Brings the database up to date with `migrations`. `backup_dir` receives a copy of a non-empty database
/// before the first pending migration runs.
pub fn apply(
    conn: &mut Connection,
    migrations: &[Migration],
    backup_dir: &Path,
) -> Result<MigrationReport> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            checksum   TEXT NOT NULL,
            applied_at TEXT NOT NULL
        ) STRICT;",
    )?;
    let applied: Vec<(i64, String, String)> = {
        let mut st =
            conn.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (version, name, sum) in &applied {
        match migrations.iter().find(|m| m.version == *version) {
            None => {
                return Err(Error::Migration(format!(
                    "the database has migration {version} ({name}), which this version of Compilar does not know: \
                     it was written by a newer release. Install that release or restore a backup."
                )))
            }
            Some(m) if checksum(m.sql) != *sum => {
                return Err(Error::Migration(format!(
                    "migration {version} ({name}) differs from the one applied to this database (checksum mismatch)"
                )))
            }
            Some(_) => {}
        }
    }
    let pending: Vec<&Migration> = migrations
        .iter()
        .filter(|m| !applied.iter().any(|(v, _, _)| *v == m.version))
        .collect();
    let mut backup = None;
    if !pending.is_empty() && has_user_tables(conn)? {
        std::fs::create_dir_all(backup_dir)?;
        let from = applied.last().map(|a| a.0).unwrap_or(0);
        let path = backup_dir.join(format!(
            "compilar-v{from}-before-v{}-{}.db",
            pending[pending.len() - 1].version,
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
        ));
        conn.execute("VACUUM INTO ?1", [path.to_string_lossy()])?;
        tracing::info!(backup = %path.display(), "database backed up before migrating");
        backup = Some(path);
    }
    let mut done = Vec::new();
    for m in pending {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(m.sql).map_err(|e| {
            Error::Migration(format!("migration {} ({}) failed: {e}", m.version, m.name))
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
            params![m.version, m.name, checksum(m.sql), now()],
        )?;
        tx.commit()?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        done.push(m.version);
    }
    let schema_version = conn.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    Ok(MigrationReport {
        applied: done,
        schema_version,
        backup,
    })
}

fn has_user_tables(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'",
        [],
        |r| r.get::<_, i64>(0),
    )? > 0)
}
