//! SQL of the `assessments` aggregate. Every function runs on a connection handed out by the store; the
//! capability ([`super::Assessments`]) validates input against the domain before calling these. Every query
//! takes the acting [`Principal`] and touches only rows it owns.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Deserialize;

use crate::domain::Results;
use crate::error::{Error, Result};
use crate::principal::Principal;

/// A stored answer: the value and when it was given (used to merge edits from two devices).
#[derive(Debug, Clone, Deserialize)]
pub struct StoredAnswer {
    pub value: i64,
    #[allow(dead_code)]
    pub at: String,
}

/// An assessment as stored.
#[derive(Debug, Clone)]
pub struct AssessmentRow {
    pub id: String,
    pub pillar: String,
    pub mode: String,
    pub stage: String,
    pub question_ids: Vec<String>,
    pub answers: HashMap<String, i64>,
    pub results: Option<Results>,
    pub created_at: String,
    pub updated_at: String,
    pub completed_at: Option<String>,
    pub deleted_at: Option<String>,
    pub group_label: Option<String>,
    pub note: Option<String>,
    pub profile_id: Option<String>,
    /// The team round it answers.
    pub round_id: Option<String>,
}

/// A row of the history list.
#[derive(Debug, Clone)]
pub struct SummaryRow {
    pub id: String,
    pub pillar: String,
    pub mode: String,
    pub stage: String,
    pub total: u32,
    pub answered: u32,
    pub pillar_score: Option<f64>,
    pub created_at: String,
    pub updated_at: String,
    pub completed_at: Option<String>,
    pub group_label: Option<String>,
}

pub struct NewAssessment<'a> {
    pub id: &'a str,
    pub who: &'a Principal,
    pub pillar: &'a str,
    pub mode: &'a str,
    pub question_ids: &'a [String],
    pub bank_version: u32,
    pub now: &'a str,
    pub group_label: Option<&'a str>,
    pub note: Option<&'a str>,
    /// The full profile it is a pillar of.
    pub profile_id: Option<&'a str>,
    /// The team round it answers.
    pub round_id: Option<&'a str>,
}

fn json_err(e: serde_json::Error) -> Error {
    Error::Internal(format!("stored JSON could not be read: {e}"))
}

pub fn insert(conn: &Connection, a: &NewAssessment<'_>) -> Result<()> {
    let qids = serde_json::to_string(a.question_ids).map_err(json_err)?;
    conn.prepare_cached(
        "INSERT INTO assessments (id, owner_id, pillar, mode, stage, question_ids, responses, answered, total,
                                  bank_version, created_at, updated_at, group_label, note, profile_id,
                                  round_id)
         VALUES (?1, ?2, ?3, ?4, 'quiz', ?5, jsonb('{}'), 0, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        a.id,
        a.who.owner(),
        a.pillar,
        a.mode,
        qids,
        a.question_ids.len() as u32,
        a.bank_version,
        a.now,
        a.group_label,
        a.note,
        a.profile_id,
        a.round_id
    ])?;
    Ok(())
}

fn row_to_assessment(
    r: &Row<'_>,
) -> rusqlite::Result<(AssessmentRow, String, String, Option<String>)> {
    Ok((
        AssessmentRow {
            id: r.get(0)?,
            pillar: r.get(1)?,
            mode: r.get(2)?,
            stage: r.get(3)?,
            question_ids: Vec::new(),
            answers: HashMap::new(),
            results: None,
            created_at: r.get(7)?,
            updated_at: r.get(8)?,
            completed_at: r.get(9)?,
            deleted_at: r.get(10)?,
            group_label: r.get(11)?,
            note: r.get(12)?,
            profile_id: r.get(13)?,
            round_id: r.get(14)?,
        },
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

/// Loads one assessment of `owner`, deleted or not.
pub fn get(conn: &Connection, id: &str, who: &Principal) -> Result<AssessmentRow> {
    let owner = who.owner();
    let found = conn
        .prepare_cached(
            "SELECT id, pillar, mode, stage, question_ids, json(responses), results, created_at, updated_at,
                    completed_at, deleted_at, group_label, note, profile_id, round_id
             FROM assessments WHERE id = ?1 AND owner_id = ?2",
        )?
        .query_row(params![id, owner], row_to_assessment)
        .optional()?;
    let Some((mut row, qids, responses, results)) = found else {
        return Err(Error::AssessmentNotFound(id.to_owned()));
    };
    row.question_ids = serde_json::from_str(&qids).map_err(json_err)?;
    let stored: HashMap<String, StoredAnswer> =
        serde_json::from_str(&responses).map_err(json_err)?;
    row.answers = stored.into_iter().map(|(k, v)| (k, v.value)).collect();
    row.results = results
        .map(|r| super::stored::read(&r))
        .transpose()
        .map_err(|e| Error::Internal(format!("stored results unreadable: {e}")))?;
    Ok(row)
}

/// Explains why a guarded update matched no row.
fn why_not(conn: &Connection, id: &str, owner: &str, question: Option<&str>) -> Result<Error> {
    let state: Option<(String, Option<String>, bool)> = conn
        .prepare_cached(
            "SELECT stage, deleted_at,
                    ?3 IS NULL OR instr(question_ids, ?3) > 0
             FROM assessments WHERE id = ?1 AND owner_id = ?2",
        )?
        .query_row(params![id, owner, question.map(quoted)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    Ok(match state {
        None => Error::AssessmentNotFound(id.to_owned()),
        Some((_, Some(_), _)) => Error::AssessmentDeleted,
        Some((stage, None, _)) if stage == "completed" => Error::AssessmentCompleted,
        Some((_, None, false)) => {
            Error::QuestionNotInAssessment(question.unwrap_or_default().to_owned())
        }
        Some(_) => Error::Internal("the assessment could not be updated".into()),
    })
}

/// The question id as it appears inside the stored JSON array (ids never contain quotes).
fn quoted(question: &str) -> String {
    format!("\"{question}\"")
}

/// One answer, prepared off the writer thread so the writer only runs the statement.
pub struct AnswerPatch {
    pub id: String,
    pub who: Principal,
    pub question: String,
    quoted: String,
    path: String,
    patch: String,
    now: String,
}

impl AnswerPatch {
    pub fn new(id: String, who: Principal, question: String, value: i64, now: String) -> Self {
        let quoted = quoted(&question);
        AnswerPatch {
            path: format!("$.{quoted}"),
            patch: format!("{{{quoted}:{{\"value\":{value},\"at\":\"{now}\"}}}}"),
            quoted,
            id,
            who,
            question,
            now,
        }
    }
}

/// Records one answer with a single `jsonb_patch` statement. Answering again replaces the earlier value
/// (idempotent for the same value). The `answered` counter grows only when the question had no answer yet
/// (SET expressions see the row as it was before the update).
pub fn answer(conn: &Connection, a: &AnswerPatch) -> Result<()> {
    let n = conn
        .prepare_cached(
            "UPDATE assessments
             SET answered = answered + (json_type(responses, ?6) IS NULL),
                 responses = jsonb_patch(responses, ?1),
                 updated_at = ?2
             WHERE id = ?3 AND owner_id = ?4 AND stage = 'quiz' AND deleted_at IS NULL
               AND instr(question_ids, ?5) > 0",
        )?
        .execute(params![
            a.patch,
            a.now,
            a.id,
            a.who.owner(),
            a.quoted,
            a.path
        ])?;
    if n == 1 {
        Ok(())
    } else {
        Err(why_not(conn, &a.id, a.who.owner(), Some(&a.question))?)
    }
}

/// Marks an assessment completed with its results. Caller has checked the stage in the same transaction.
pub fn complete(
    conn: &Connection,
    id: &str,
    who: &Principal,
    results: &Results,
    now: &str,
) -> Result<()> {
    let owner = who.owner();
    let json = super::stored::write(results)
        .map_err(|e| Error::Internal(format!("results could not be stored: {e}")))?;
    let n = conn
        .prepare_cached(
            "UPDATE assessments SET stage = 'completed', results = ?1, completed_at = ?2, updated_at = ?2
             WHERE id = ?3 AND owner_id = ?4 AND stage = 'quiz' AND deleted_at IS NULL",
        )?
        .execute(params![json, now, id, owner])?;
    if n == 1 {
        Ok(())
    } else {
        Err(why_not(conn, id, owner, None)?)
    }
}

/// Tombstones an assessment.
pub fn delete(conn: &Connection, id: &str, who: &Principal, now: &str) -> Result<()> {
    let owner = who.owner();
    let n = conn
        .prepare_cached(
            "UPDATE assessments SET deleted_at = ?1, updated_at = ?1
             WHERE id = ?2 AND owner_id = ?3 AND deleted_at IS NULL",
        )?
        .execute(params![now, id, owner])?;
    if n == 1 {
        Ok(())
    } else {
        Err(why_not(conn, id, owner, None)?)
    }
}

/// Clears the tombstone of an assessment.
pub fn restore(conn: &Connection, id: &str, who: &Principal, now: &str) -> Result<()> {
    let owner = who.owner();
    let n = conn
        .prepare_cached(
            "UPDATE assessments SET deleted_at = NULL, updated_at = ?1
             WHERE id = ?2 AND owner_id = ?3 AND deleted_at IS NOT NULL",
        )?
        .execute(params![now, id, owner])?;
    if n == 1 {
        return Ok(());
    }
    let exists: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM assessments WHERE id = ?1 AND owner_id = ?2)",
        )?
        .query_row(params![id, owner], |r| r.get(0))?;
    Err(if exists {
        Error::NotDeleted
    } else {
        Error::AssessmentNotFound(id.to_owned())
    })
}

/// Filters of the history list.
pub struct ListFilter<'a> {
    pub who: &'a Principal,
    pub pillar: Option<&'a str>,
    pub mode: Option<&'a str>,
    pub group: Option<&'a str>,
    pub limit: u32,
    pub offset: u32,
}

/// Live (not deleted) assessments, newest first, and the total matching the filter.
pub fn list(conn: &Connection, f: &ListFilter<'_>) -> Result<(Vec<SummaryRow>, u32)> {
    let total: u32 = conn
        .prepare_cached(
            "SELECT count(*) FROM assessments
             WHERE owner_id = ?1 AND deleted_at IS NULL AND (?2 IS NULL OR pillar = ?2) AND (?3 IS NULL OR mode = ?3)
               AND (?4 IS NULL OR group_label = ?4)",
        )?
        .query_row(params![f.who.owner(), f.pillar, f.mode, f.group], |r| r.get(0))?;
    let mut st = conn.prepare_cached(
        "SELECT id, pillar, mode, stage, total, answered, json_extract(results, '$.pillar_score'),
                created_at, updated_at, completed_at, group_label
         FROM assessments
         WHERE owner_id = ?1 AND deleted_at IS NULL AND (?2 IS NULL OR pillar = ?2) AND (?3 IS NULL OR mode = ?3)
           AND (?6 IS NULL OR group_label = ?6)
         ORDER BY created_at DESC, id DESC
         LIMIT ?4 OFFSET ?5",
    )?;
    let rows = st
        .query_map(
            params![f.who.owner(), f.pillar, f.mode, f.limit, f.offset, f.group],
            |r| {
                Ok(SummaryRow {
                    id: r.get(0)?,
                    pillar: r.get(1)?,
                    mode: r.get(2)?,
                    stage: r.get(3)?,
                    total: r.get(4)?,
                    answered: r.get(5)?,
                    pillar_score: r.get(6)?,
                    created_at: r.get(7)?,
                    updated_at: r.get(8)?,
                    completed_at: r.get(9)?,
                    group_label: r.get(10)?,
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((rows, total))
}

/// Sets what an assessment is about (its group label and note); a deleted one cannot change.
pub fn set_about(
    conn: &Connection,
    id: &str,
    who: &Principal,
    group_label: Option<&str>,
    note: Option<&str>,
    now: &str,
) -> Result<()> {
    let n = conn.execute(
        "UPDATE assessments SET group_label = ?3, note = ?4, updated_at = ?5
         WHERE id = ?1 AND owner_id = ?2 AND deleted_at IS NULL",
        params![id, who.owner(), group_label, note, now],
    )?;
    if n == 0 {
        // Not found, or in the bin (the update does not look at the stage).
        return Err(match why_not(conn, id, who.owner(), None)? {
            Error::AssessmentDeleted => Error::AssessmentDeleted,
            _ => Error::AssessmentNotFound(id.to_owned()),
        });
    }
    Ok(())
}

/// The group labels used so far, most recently used first, with how many live assessments carry each.
pub fn groups(conn: &Connection, who: &Principal) -> Result<Vec<(String, u32, String)>> {
    let mut st = conn.prepare_cached(
        "SELECT group_label, count(*), max(created_at) FROM assessments
         WHERE owner_id = ?1 AND deleted_at IS NULL AND group_label IS NOT NULL
         GROUP BY group_label ORDER BY max(created_at) DESC LIMIT 200",
    )?;
    let rows = st.query_map([who.owner()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A completed assessment as progress views read it: who it is about and its scores.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub id: String,
    pub pillar: String,
    pub mode: String,
    pub group_label: Option<String>,
    pub completed_at: String,
    pub scores: super::stored::StoredScores,
}

/// Live completed assessments of `who`, oldest completion first.
pub fn completed_history(conn: &Connection, who: &Principal) -> Result<Vec<HistoryRow>> {
    let mut st = conn.prepare_cached(
        "SELECT id, pillar, mode, group_label, completed_at, results FROM assessments
         WHERE owner_id = ?1 AND deleted_at IS NULL AND stage = 'completed'
         ORDER BY completed_at, id",
    )?;
    let rows = st.query_map(params![who.owner()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, pillar, mode, group_label, completed_at, results) = row?;
        let scores = super::stored::read_scores(&results)
            .map_err(|e| Error::Internal(format!("stored results unreadable: {e}")))?;
        out.push(HistoryRow {
            id,
            pillar,
            mode,
            group_label,
            completed_at,
            scores,
        });
    }
    Ok(out)
}

/// Live assessments of `who` still being answered, optionally of one group and one mode.
pub fn count_in_progress(
    conn: &Connection,
    who: &Principal,
    group: Option<&str>,
    mode: Option<&str>,
) -> Result<u32> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM assessments
             WHERE owner_id = ?1 AND deleted_at IS NULL AND stage = 'quiz'
               AND (?2 IS NULL OR group_label = ?2) AND (?3 IS NULL OR mode = ?3)",
        )?
        .query_row(params![who.owner(), group, mode], |r| r.get(0))?)
}

/// The assessments of a full profile (live ones): (id, pillar, stage), oldest first.
pub fn of_profile(
    conn: &Connection,
    who: &Principal,
    profile: &str,
) -> Result<Vec<(String, String, String)>> {
    let mut st = conn.prepare_cached(
        "SELECT id, pillar, stage FROM assessments
         WHERE profile_id = ?1 AND owner_id = ?2 AND deleted_at IS NULL ORDER BY created_at, id",
    )?;
    let rows = st.query_map(params![profile, who.owner()], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Number of live assessments (diagnostics).
/// (completed, in progress) assessments not in the bin.
pub fn count(conn: &Connection) -> Result<(u32, u32)> {
    Ok(conn.query_row(
        "SELECT count(*) FILTER (WHERE stage = 'completed'), count(*) FILTER (WHERE stage != 'completed')
         FROM assessments WHERE deleted_at IS NULL",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}
