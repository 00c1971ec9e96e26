//! `app_meta`: small key/value facts about this database (the local profile's id, the shipped knowledge
//! base's hash).

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

pub fn get(c: &Connection, key: &str) -> Result<Option<String>> {
    Ok(
        c.query_row("SELECT value FROM app_meta WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?,
    )
}

pub fn set(c: &Connection, key: &str, value: &str) -> Result<()> {
    c.execute(
        "INSERT INTO app_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// SQLite's and sqlite-vec's versions.
pub fn versions(c: &Connection) -> Result<(String, String)> {
    Ok(
        c.query_row("SELECT sqlite_version(), vec_version()", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?,
    )
}

/// `PRAGMA quick_check`: `ok`, or the first problems found.
pub fn integrity(c: &Connection) -> Result<String> {
    let mut stmt = c.prepare("PRAGMA quick_check(5)")?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows.join("; "))
}
