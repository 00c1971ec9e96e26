//! `app_meta`: small key/value facts about this database (the local profile's id, the shipped knowledge
//! base's hash); and the user's settings kept as JSON by key in `app_settings`.

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

/// One of the user's settings in `app_settings` (JSON), if stored.
pub fn setting(c: &Connection, key: &str) -> Result<Option<String>> {
    Ok(c.query_row(
        "SELECT value FROM app_settings WHERE key = ?1",
        [key],
        |r| r.get(0),
    )
    .optional()?)
}

/// Stores one of the user's settings (JSON) in `app_settings`.
pub fn set_setting(c: &Connection, key: &str, json: &str) -> Result<()> {
    c.execute(
        "INSERT INTO app_settings (key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![key, json, crate::util::now()],
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
