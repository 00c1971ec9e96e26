//! SQL of goals and their check-ins. Every query takes the acting principal and touches only its rows.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::{Error, Result};
use crate::principal::Principal;

/// A goal as stored.
#[derive(Debug, Clone)]
pub struct GoalRow {
    pub id: String,
    pub assessment_id: String,
    pub pillar: String,
    pub mode: String,
    pub force: String,
    pub group_label: Option<String>,
    pub title: String,
    pub practice: String,
    pub practice_source: String,
    pub practice_ref: Option<String>,
    pub baseline: Option<f64>,
    pub review_on: String,
    pub status: String,
    pub closed_reason: Option<String>,
    pub closed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

/// A check-in as stored.
#[derive(Debug, Clone)]
pub struct CheckInRow {
    pub id: String,
    pub goal_id: String,
    pub rating: u8,
    pub note: Option<String>,
    pub created_at: String,
}

const COLUMNS: &str = "id, assessment_id, pillar, mode, force, group_label, title, practice, practice_source,
    practice_ref, baseline, review_on, status, closed_reason, closed_at, created_at, updated_at, deleted_at";

fn goal_row(r: &Row<'_>) -> rusqlite::Result<GoalRow> {
    Ok(GoalRow {
        id: r.get(0)?,
        assessment_id: r.get(1)?,
        pillar: r.get(2)?,
        mode: r.get(3)?,
        force: r.get(4)?,
        group_label: r.get(5)?,
        title: r.get(6)?,
        practice: r.get(7)?,
        practice_source: r.get(8)?,
        practice_ref: r.get(9)?,
        baseline: r.get(10)?,
        review_on: r.get(11)?,
        status: r.get(12)?,
        closed_reason: r.get(13)?,
        closed_at: r.get(14)?,
        created_at: r.get(15)?,
        updated_at: r.get(16)?,
        deleted_at: r.get(17)?,
    })
}

pub fn insert(conn: &Connection, who: &Principal, g: &GoalRow) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO goals (owner_id, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                ?14, ?15, ?16, ?17, ?18, ?19)"
    ))?
    .execute(params![
        who.owner(),
        g.id,
        g.assessment_id,
        g.pillar,
        g.mode,
        g.force,
        g.group_label,
        g.title,
        g.practice,
        g.practice_source,
        g.practice_ref,
        g.baseline,
        g.review_on,
        g.status,
        g.closed_reason,
        g.closed_at,
        g.created_at,
        g.updated_at,
        g.deleted_at
    ])?;
    Ok(())
}

/// One goal, deleted or not.
pub fn get(conn: &Connection, who: &Principal, id: &str) -> Result<GoalRow> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM goals WHERE id = ?1 AND owner_id = ?2"
    ))?
    .query_row(params![id, who.owner()], goal_row)
    .optional()?
    .ok_or_else(|| Error::GoalNotFound(id.to_owned()))
}

/// Live goals, the most pressing first: active ones by review date, then closed ones newest first.
pub fn list(
    conn: &Connection,
    who: &Principal,
    status: Option<&str>,
    pillar: Option<&str>,
    limit: u32,
) -> Result<Vec<GoalRow>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM goals
         WHERE owner_id = ?1 AND deleted_at IS NULL AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR pillar = ?3)
         ORDER BY status <> 'active', CASE WHEN status = 'active' THEN review_on END, closed_at DESC, id
         LIMIT ?4"
    ))?;
    let rows = st.query_map(params![who.owner(), status, pillar, limit], goal_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Live goals about one pillar, mode and group (for a result's page).
pub fn about(
    conn: &Connection,
    who: &Principal,
    pillar: &str,
    mode: &str,
    group: Option<&str>,
) -> Result<Vec<GoalRow>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM goals
         WHERE owner_id = ?1 AND deleted_at IS NULL AND pillar = ?2 AND mode = ?3 AND group_label IS ?4
         ORDER BY created_at LIMIT 200"
    ))?;
    let rows = st.query_map(params![who.owner(), pillar, mode, group], goal_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Live goals of `who` (for the limit on how many may exist).
pub fn count_live(conn: &Connection, who: &Principal) -> Result<u32> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM goals WHERE owner_id = ?1 AND deleted_at IS NULL")?
        .query_row([who.owner()], |r| r.get(0))?)
}

/// The check-ins of `goal_ids`, newest first per goal.
pub fn checkins(
    conn: &Connection,
    who: &Principal,
    goal_ids: &[String],
) -> Result<HashMap<String, Vec<CheckInRow>>> {
    let mut out: HashMap<String, Vec<CheckInRow>> = HashMap::new();
    let mut st = conn.prepare_cached(
        "SELECT id, goal_id, rating, note, created_at FROM goal_checkins
         WHERE goal_id = ?1 AND owner_id = ?2 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC",
    )?;
    for g in goal_ids {
        let rows = st.query_map(params![g, who.owner()], |r| {
            Ok(CheckInRow {
                id: r.get(0)?,
                goal_id: r.get(1)?,
                rating: r.get(2)?,
                note: r.get(3)?,
                created_at: r.get(4)?,
            })
        })?;
        out.insert(g.clone(), rows.collect::<rusqlite::Result<_>>()?);
    }
    Ok(out)
}

pub fn count_checkins(conn: &Connection, goal_id: &str) -> Result<u32> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM goal_checkins WHERE goal_id = ?1 AND deleted_at IS NULL",
        )?
        .query_row([goal_id], |r| r.get(0))?)
}

pub fn insert_checkin(conn: &Connection, who: &Principal, c: &CheckInRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO goal_checkins (id, goal_id, owner_id, rating, note, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![
        c.id,
        c.goal_id,
        who.owner(),
        c.rating,
        c.note,
        c.created_at
    ])?;
    conn.prepare_cached("UPDATE goals SET updated_at = ?1 WHERE id = ?2 AND owner_id = ?3")?
        .execute(params![c.created_at, c.goal_id, who.owner()])?;
    Ok(())
}

/// Writes a goal's changeable fields (status, words, dates, tombstone) back.
pub fn update(conn: &Connection, who: &Principal, g: &GoalRow) -> Result<()> {
    let n = conn
        .prepare_cached(
            "UPDATE goals SET title = ?3, practice = ?4, review_on = ?5, status = ?6, closed_reason = ?7,
                    closed_at = ?8, updated_at = ?9, deleted_at = ?10
             WHERE id = ?1 AND owner_id = ?2",
        )?
        .execute(params![
            g.id,
            who.owner(),
            g.title,
            g.practice,
            g.review_on,
            g.status,
            g.closed_reason,
            g.closed_at,
            g.updated_at,
            g.deleted_at
        ])?;
    if n == 1 {
        Ok(())
    } else {
        Err(Error::GoalNotFound(g.id.clone()))
    }
}

/// Goals marked done: (id, title, when), for milestones.
pub fn done(conn: &Connection, who: &Principal) -> Result<Vec<(String, String, String)>> {
    let mut st = conn.prepare_cached(
        "SELECT id, title, closed_at FROM goals
         WHERE owner_id = ?1 AND deleted_at IS NULL AND status = 'done' ORDER BY closed_at DESC LIMIT 100",
    )?;
    let rows = st.query_map([who.owner()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
