//! What signing in would bring to an account: the synced rows on this computer.

use rusqlite::{Connection, OptionalExtension};

use super::dto::LocalData;
use crate::error::Result;
use crate::principal::Principal;
use crate::store::records;

pub(crate) fn local_data(c: &Connection, who: &Principal) -> Result<LocalData> {
    let count = |t: &str| -> Result<u64> {
        let n: i64 = c.query_row(
            &format!("SELECT count(*) FROM {t} WHERE owner_id = ?1 AND deleted_at IS NULL"),
            [who.owner()],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    };
    let mut total = 0;
    for t in records::TABLES {
        total += count(t.name)?;
    }
    Ok(LocalData {
        assessments: count("assessments")? as u32,
        goals: count("goals")? as u32,
        reports: count("coach_reports")? as u32,
        total,
        linked_email: c
            .query_row("SELECT email FROM sync_account WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?,
    })
}
