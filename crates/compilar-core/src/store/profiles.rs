//! `profiles`: who owns data. Until sign-in exists there is one local profile.

use rusqlite::{params, Connection};

use crate::error::Result;
use crate::util::{new_id, now};

const LOCAL_PROFILE_KEY: &str = "local_profile_id";

/// The id of the local profile, created on first use.
pub fn ensure_local(conn: &Connection) -> Result<String> {
    if let Some(id) = super::meta::get(conn, LOCAL_PROFILE_KEY)? {
        return Ok(id);
    }
    let id = new_id().to_string();
    let ts = now();
    conn.execute(
        "INSERT INTO profiles (id, display_name, created_at, updated_at) VALUES (?1, 'Me', ?2, ?2)",
        params![id, ts],
    )?;
    super::meta::set(conn, LOCAL_PROFILE_KEY, &id)?;
    Ok(id)
}

/// The local profile's id if it exists already (a read: no write at start-up when it does).
pub fn local(conn: &Connection) -> Result<Option<String>> {
    super::meta::get(conn, LOCAL_PROFILE_KEY)
}
