//! The local half of sync: the outbox and its batches, the pull cursors, the refused rows, and applying pulled
//! rows with the same last-writer-wins rule as the server (answers merged per question).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};

use super::wire;
use crate::error::Result;
use crate::principal::Principal;
use crate::store::records::{self, Table};
use crate::util::{new_id, now};

pub(crate) fn table(name: &str) -> Option<&'static Table> {
    records::TABLES.iter().copied().find(|t| t.name == name)
}

/// Outbox entries claimed under one batch id.
#[derive(Debug)]
pub(crate) struct Claimed {
    pub batch_id: String,
    pub entries: Vec<(String, String)>,
    /// A batch claimed earlier whose answer never came (the app quit, the network failed): sent again as is.
    pub resent: bool,
}

/// The batch to send: the oldest one in flight (but those in `sending`, read or sent already), or up to
/// `limit` pending entries under a new batch id, recorded before anything is sent.
pub(crate) fn claim(c: &Connection, limit: usize, sending: &[String]) -> Result<Option<Claimed>> {
    let sending = Value::from(sending.to_vec()).to_string();
    let inflight: Option<String> = c
        .query_row(
            "SELECT batch_id FROM sync_push WHERE batch_id NOT IN (SELECT value FROM json_each(?1))
             ORDER BY created_at LIMIT 1",
            [sending],
            |r| r.get(0),
        )
        .optional()?;
    let (batch_id, resent) = match inflight {
        Some(b) => {
            c.execute(
                "UPDATE sync_push SET attempts = attempts + 1 WHERE batch_id = ?1",
                [&b],
            )?;
            (b, true)
        }
        None => {
            let any: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE batch_id IS NULL)",
                [],
                |r| r.get(0),
            )?;
            if !any {
                return Ok(None);
            }
            let b = new_id().to_string();
            c.execute(
                "INSERT INTO sync_push (batch_id, created_at, attempts) VALUES (?1, ?2, 1)",
                rusqlite::params![b, now()],
            )?;
            c.execute(
                "UPDATE outbox SET batch_id = ?1 WHERE seq IN
                   (SELECT seq FROM outbox WHERE batch_id IS NULL ORDER BY seq LIMIT ?2)",
                rusqlite::params![b, limit as i64],
            )?;
            (b, false)
        }
    };
    let entries = {
        let mut st =
            c.prepare("SELECT tbl, row_id FROM outbox WHERE batch_id = ?1 ORDER BY seq")?;
        let rows = st.query_map([&batch_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<Vec<(String, String)>>>()?
    };
    Ok(Some(Claimed {
        batch_id,
        entries,
        resent,
    }))
}

/// Keeps the first `keep` entries of a claimed batch that was never sent and returns the rest to the queue
/// (in their order); the entries kept.
pub(crate) fn keep_first(
    c: &Connection,
    batch_id: &str,
    keep: usize,
) -> Result<Vec<(String, String)>> {
    c.execute(
        "UPDATE outbox SET batch_id = NULL WHERE batch_id = ?1 AND seq NOT IN
           (SELECT seq FROM outbox WHERE batch_id = ?1 ORDER BY seq LIMIT ?2)",
        rusqlite::params![batch_id, keep as i64],
    )?;
    let mut st = c.prepare("SELECT tbl, row_id FROM outbox WHERE batch_id = ?1 ORDER BY seq")?;
    let rows = st.query_map([batch_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<(String, String)>>>()?)
}

/// The changes of a batch as `push_changes` takes them: the rows' current state by server table.
pub(crate) struct Payload {
    pub changes: Value,
    pub rows: u64,
    /// Answer id → its assessment (a refused answer is shown as its assessment).
    pub answer_of: HashMap<String, String>,
}

pub(crate) fn payload(
    c: &Connection,
    who: &Principal,
    device: &str,
    user_id: &str,
    entries: &[(String, String)],
) -> Result<Payload> {
    let mut by_table: Map<String, Value> = Map::new();
    let mut rows = 0u64;
    let mut answer_of = HashMap::new();
    let mut push = |name: &str, v: Value, rows: &mut u64| {
        *rows += 1;
        if let Value::Array(a) = by_table
            .entry(name.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            a.push(v);
        }
    };
    for (tbl, id) in entries {
        if tbl == "profiles" {
            let p = c
                .query_row(
                    "SELECT display_name, created_at, updated_at FROM profiles WHERE id = ?1",
                    [id],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    },
                )
                .optional()?;
            if let Some((name, created, updated)) = p {
                push(
                    "profiles",
                    serde_json::json!({
                        "id": user_id, "display_name": name, "created_at": created,
                        "client_updated_at": updated, "updated_by_device": device, "deleted_at": null,
                    }),
                    &mut rows,
                );
            }
            continue;
        }
        let Some(t) = table(tbl) else { continue };
        let Some((rec, true)) = records::existing(c, t, who, id)? else {
            // Gone, or another profile's: nothing to send.
            continue;
        };
        if t.name == "assessments" {
            for a in wire::answers_of(&rec, device) {
                if let Some(aid) = a.get("id").and_then(Value::as_str) {
                    answer_of.insert(aid.to_owned(), id.clone());
                }
                push("answers", a, &mut rows);
            }
        }
        push(
            t.name,
            Value::Object(wire::to_server(t, rec, device)),
            &mut rows,
        );
    }
    let by_table: Map<String, Value> = by_table
        .into_iter()
        .map(|(t, rows)| match rows {
            Value::Array(rows) => (t, wire::columnar(rows)),
            other => (t, other),
        })
        .collect();
    Ok(Payload {
        changes: Value::Object(by_table),
        rows,
        answer_of,
    })
}

/// A row the server refused.
#[derive(Debug, Clone)]
pub(crate) struct Refused {
    pub table: String,
    pub row_id: String,
    pub code: String,
    pub reason: String,
}

/// After the server answered a batch: the batch's outbox entries go, refused rows are listed (a row the server
/// took this time leaves the list).
pub(crate) fn finish(c: &Connection, batch_id: &str, refused: &[Refused]) -> Result<()> {
    c.execute(
        "DELETE FROM sync_rejected WHERE (tbl, row_id) IN (SELECT tbl, row_id FROM outbox WHERE batch_id = ?1)",
        [batch_id],
    )?;
    let at = now();
    for r in refused {
        c.execute(
            "INSERT OR REPLACE INTO sync_rejected (tbl, row_id, code, reason, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![r.table, r.row_id, r.code, r.reason, at],
        )?;
    }
    c.execute("DELETE FROM outbox WHERE batch_id = ?1", [batch_id])?;
    c.execute("DELETE FROM sync_push WHERE batch_id = ?1", [batch_id])?;
    Ok(())
}

pub(crate) fn pending(c: &Connection) -> Result<u64> {
    let n: i64 = c.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

pub(crate) fn rejected_count(c: &Connection) -> Result<u64> {
    let n: i64 = c.query_row("SELECT count(*) FROM sync_rejected", [], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// The refused rows with a few words on what each is.
pub(crate) fn rejected(c: &Connection) -> Result<Vec<super::dto::RejectedChange>> {
    let mut st = c.prepare(
        "SELECT r.tbl, r.row_id, r.code, r.reason, r.at,
                CASE r.tbl
                  WHEN 'assessments' THEN (SELECT 'Assessment: ' || pillar || ' (' || substr(created_at, 1, 10) || ')'
                                             FROM assessments WHERE id = r.row_id)
                  WHEN 'goals' THEN (SELECT 'Goal: ' || title FROM goals WHERE id = r.row_id)
                  WHEN 'goal_checkins' THEN 'A goal check-in'
                  WHEN 'coach_reports' THEN 'A coaching report'
                  WHEN 'conversations' THEN (SELECT 'Conversation: ' || title FROM conversations WHERE id = r.row_id)
                  WHEN 'messages' THEN 'A coach chat message'
                  WHEN 'full_profiles' THEN 'A full profile'
                  WHEN 'generated_questions' THEN 'A fresh question'
                  WHEN 'profiles' THEN 'Your name'
                END
           FROM sync_rejected r ORDER BY r.at DESC, r.tbl, r.row_id LIMIT 1000",
    )?;
    let rows = st.query_map([], |r| {
        Ok(super::dto::RejectedChange {
            table: r.get(0)?,
            row_id: r.get(1)?,
            code: r.get(2)?,
            reason: r.get(3)?,
            at: r.get(4)?,
            what: r
                .get::<_, Option<String>>(5)?
                .unwrap_or_else(|| "A row".into()),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Sends a refused row again with the next push (`true`), or forgets it (`false`: it stays here, unsynced).
pub(crate) fn resolve_rejected(
    c: &Connection,
    tbl: &str,
    row_id: &str,
    retry: bool,
) -> Result<bool> {
    let n = c.execute(
        "DELETE FROM sync_rejected WHERE tbl = ?1 AND row_id = ?2",
        [tbl, row_id],
    )?;
    if n > 0 && retry {
        c.execute(
            "INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![tbl, row_id, now()],
        )?;
    }
    Ok(n > 0)
}

/// Every refused row back in the outbox; how many.
pub(crate) fn retry_all_rejected(c: &Connection) -> Result<u64> {
    c.execute(
        "INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at) SELECT tbl, row_id, ?1 FROM sync_rejected",
        [now()],
    )?;
    Ok(c.execute("DELETE FROM sync_rejected", [])? as u64)
}

pub(crate) fn cursor(c: &Connection, tbl: &str) -> Result<(String, Option<String>)> {
    Ok(c.query_row(
        "SELECT after_xid, after_id FROM sync_cursors WHERE tbl = ?1",
        [tbl],
        |r| Ok((r.get(0)?, Some(r.get(1)?))),
    )
    .optional()?
    .unwrap_or_else(|| ("0".to_owned(), None)))
}

/// What applying one page did.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Applied {
    pub applied: u64,
    pub kept_local: u64,
    pub skipped: u64,
    /// The latest clock among the rows (so this device's clock never writes behind it).
    pub latest: Option<i64>,
}

fn bump_latest(a: &mut Applied, at: &str) {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(at) {
        let ms = t.timestamp_millis();
        a.latest = Some(a.latest.map_or(ms, |l| l.max(ms)));
    }
}

/// Applies one pulled page of `tbl` and moves its cursor, in one transaction; pulled rows are not queued to
/// be pushed back. Each row is applied on its own savepoint: one that breaks a local rule is skipped (and
/// logged), never the page.
pub(crate) fn apply_page(
    c: &Connection,
    who: &Principal,
    device: &str,
    tbl: &str,
    rows: &[Value],
) -> Result<Applied> {
    c.execute("INSERT OR IGNORE INTO sync_applying (id) VALUES (1)", [])?;
    let mut out = Applied::default();
    if tbl == "answers" {
        // Grouped by assessment: each assessment's answers are merged in memory and written once.
        let mut groups: Vec<(String, Vec<&Value>)> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for row in rows {
            let a = row
                .get("assessment_id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match index.get(a) {
                Some(&i) => groups[i].1.push(row),
                None => {
                    index.insert(a, groups.len());
                    groups.push((a.to_owned(), vec![row]));
                }
            }
        }
        for (assessment, group) in &groups {
            c.execute_batch("SAVEPOINT row")?;
            match apply_answers(c, who, device, assessment, group, &mut out) {
                Ok(()) => c.execute_batch("RELEASE row")?,
                Err(e) => {
                    tracing::warn!(assessment = %crate::domain::truncate_for_message(assessment), error = %e,
                                   "pulled answers could not be applied here");
                    c.execute_batch("ROLLBACK TO row; RELEASE row")?;
                    out.skipped += group.len() as u64;
                }
            }
        }
    } else {
        for row in rows {
            let id = row
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            c.execute_batch("SAVEPOINT row")?;
            match apply_row(c, who, device, tbl, row, &mut out) {
                Ok(()) => c.execute_batch("RELEASE row")?,
                Err(e) => {
                    tracing::warn!(table = tbl, id = %crate::domain::truncate_for_message(&id), error = %e,
                                   "a pulled row could not be applied here");
                    c.execute_batch("ROLLBACK TO row; RELEASE row")?;
                    out.skipped += 1;
                }
            }
        }
    }
    if let Some(last) = rows.last() {
        let xid = last.get("server_xid").map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let id = last.get("id").and_then(Value::as_str);
        if let (Some(xid), Some(id)) = (xid, id) {
            c.execute(
                "INSERT INTO sync_cursors (tbl, after_xid, after_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (tbl) DO UPDATE SET after_xid = excluded.after_xid, after_id = excluded.after_id",
                rusqlite::params![tbl, xid, id],
            )?;
        }
    }
    c.execute("DELETE FROM sync_applying", [])?;
    Ok(out)
}

fn bad(why: &str) -> crate::error::Error {
    crate::error::Error::Internal(format!("pulled row: {why}"))
}

fn apply_row(
    c: &Connection,
    who: &Principal,
    device: &str,
    tbl: &str,
    row: &Value,
    out: &mut Applied,
) -> Result<()> {
    let t = table(tbl).ok_or_else(|| bad("unknown table"))?;
    let (mut rec, remote_device) = wire::to_local(t, row).ok_or_else(|| bad("not a row"))?;
    let id = rec
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no id"))?
        .to_owned();
    let remote_at = rec
        .get("updated_at")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no clock"))?
        .to_owned();
    bump_latest(out, &remote_at);
    let existing = records::existing(c, t, who, &id)?;
    let replace = match &existing {
        None => false,
        Some((_, false)) => return Err(bad("the id belongs to another profile here")),
        Some((local, true)) => {
            let local_at = local
                .get("updated_at")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !wire::remote_wins(&remote_at, &remote_device, local_at, device) {
                out.kept_local += 1;
                return Ok(());
            }
            true
        }
    };
    if t.name == "assessments" {
        // The answers come as their own rows and merge per question; the row keeps the ones here.
        let answers = existing
            .as_ref()
            .and_then(|(l, _)| l.get("responses").cloned())
            .unwrap_or_else(|| Value::Object(Map::new()));
        rec.insert("responses".into(), answers);
    }
    records::check(t, &rec, &format!("{tbl} {id}")).map_err(|e| bad(&e))?;
    records::write(c, t, who, &rec, replace)?;
    if t.name == "conversations" {
        c.execute("UPDATE conversations SET synced = 1 WHERE id = ?1", [&id])?;
    }
    out.applied += 1;
    Ok(())
}

/// The pulled answers of one assessment: each replaces the answer here to the same question only when it is
/// newer; the assessment's answers are written once, with their count.
fn apply_answers(
    c: &Connection,
    who: &Principal,
    device: &str,
    assessment: &str,
    rows: &[&Value],
    out: &mut Applied,
) -> Result<()> {
    let local: Option<String> = c
        .query_row(
            "SELECT json(responses) FROM assessments WHERE id = ?1 AND owner_id = ?2",
            rusqlite::params![assessment, who.owner()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(local) = local else {
        return Err(bad("answers of an assessment that is not here"));
    };
    let mut answers: Map<String, Value> = serde_json::from_str(&local)
        .map_err(|e| bad(&format!("stored answers unreadable: {e}")))?;
    let mut changed = 0u64;
    for row in rows {
        let s = |k: &str| row.get(k).and_then(Value::as_str);
        let question = s("question_id").ok_or_else(|| bad("answer without question"))?;
        if question.is_empty() || question.len() > 128 || question.chars().any(char::is_control) {
            return Err(bad("answer with a malformed question id"));
        }
        let value = row
            .get("value")
            .and_then(Value::as_i64)
            .filter(|v| (1..=5).contains(v))
            .ok_or_else(|| bad("answer value off the scale"))?;
        let at = s("client_updated_at")
            .and_then(wire::local_time)
            .ok_or_else(|| bad("answer without clock"))?;
        let remote_device = s("updated_by_device").unwrap_or_default();
        bump_latest(out, &at);
        let local_at = answers
            .get(question)
            .and_then(|a| a.get("at"))
            .and_then(Value::as_str);
        if local_at.is_some_and(|l| !wire::remote_wins(&at, remote_device, l, device)) {
            out.kept_local += 1;
            continue;
        }
        answers.insert(
            question.to_owned(),
            serde_json::json!({ "value": value, "at": at }),
        );
        changed += 1;
    }
    if changed > 0 {
        let n = answers.len() as i64;
        c.execute(
            "UPDATE assessments SET responses = jsonb(?2), answered = ?3 WHERE id = ?1",
            rusqlite::params![assessment, Value::Object(answers).to_string(), n],
        )?;
        out.applied += changed;
    }
    Ok(())
}
