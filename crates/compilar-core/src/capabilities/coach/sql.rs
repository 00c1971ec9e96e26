//! The coach's SQL: stored reports.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::dto::{CoachReport, ReportStatus, ReportWriter};
use crate::error::{Error, Result};
use crate::llm::Usage;
use crate::principal::Principal;

const COLUMNS: &str =
    "id, assessment_id, status, writer, provider, provider_label, model, content, passages, \
citations, notice, error, prompt_version, tokens_in, tokens_out, created_at";

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

fn row(r: &Row<'_>) -> rusqlite::Result<CoachReport> {
    let passages: String = r.get(8)?;
    let citations: String = r.get(9)?;
    let error: Option<String> = r.get(11)?;
    Ok(CoachReport {
        id: r.get(0)?,
        assessment_id: r.get(1)?,
        status: ReportStatus::parse(&r.get::<_, String>(2)?),
        writer: if r.get::<_, String>(3)? == "offline" {
            ReportWriter::Offline
        } else {
            ReportWriter::Model
        },
        provider: r.get(4)?,
        provider_label: r.get(5)?,
        model: r.get(6)?,
        content: r.get(7)?,
        passages: serde_json::from_str(&passages).map_err(json_err)?,
        citations: serde_json::from_str(&citations).map_err(json_err)?,
        notice: r.get(10)?,
        error: error
            .map(|e| serde_json::from_str(&e))
            .transpose()
            .map_err(json_err)?,
        prompt_version: r.get::<_, i64>(12)? as u32,
        usage: Usage {
            input_tokens: r.get::<_, i64>(13)? as u32,
            output_tokens: r.get::<_, i64>(14)? as u32,
        },
        created_at: r.get(15)?,
    })
}

/// Stores a report that ended. A complete one retires every older report of the assessment; an incomplete one
/// replaces the previous incomplete attempt (the last complete report stays).
pub fn insert(c: &Connection, who: &Principal, rep: &CoachReport, now: &str) -> Result<()> {
    let owner = who.owner();
    if rep.status == ReportStatus::Complete {
        c.execute(
            "UPDATE coach_reports SET deleted_at = ?3, updated_at = ?3
             WHERE owner_id = ?1 AND assessment_id = ?2 AND deleted_at IS NULL",
            params![owner, rep.assessment_id, now],
        )?;
    } else {
        c.execute(
            "UPDATE coach_reports SET deleted_at = ?3, updated_at = ?3
             WHERE owner_id = ?1 AND assessment_id = ?2 AND deleted_at IS NULL AND status <> 'complete'",
            params![owner, rep.assessment_id, now],
        )?;
    }
    c.execute(
        "INSERT INTO coach_reports (id, owner_id, assessment_id, status, writer, provider, provider_label, model,
           content, passages, citations, notice, error, prompt_version, tokens_in, tokens_out, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)",
        params![
            rep.id,
            owner,
            rep.assessment_id,
            rep.status.as_str(),
            match rep.writer {
                ReportWriter::Model => "model",
                ReportWriter::Offline => "offline",
            },
            rep.provider,
            rep.provider_label,
            rep.model,
            rep.content,
            to_json(&rep.passages)?,
            to_json(&rep.citations)?,
            rep.notice,
            rep.error.as_ref().map(to_json).transpose()?,
            rep.prompt_version,
            rep.usage.input_tokens,
            rep.usage.output_tokens,
            rep.created_at,
        ],
    )?;
    Ok(())
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(format!("report JSON: {e}")))
}

/// The newest live report of an assessment with the given status filter (`complete` or not).
fn newest(
    c: &Connection,
    who: &Principal,
    assessment: &str,
    complete: bool,
) -> Result<Option<CoachReport>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM coach_reports
         WHERE owner_id = ?1 AND assessment_id = ?2 AND deleted_at IS NULL AND (status = 'complete') = ?3
         ORDER BY created_at DESC, id DESC LIMIT 1"
    );
    Ok(c.prepare_cached(&sql)?
        .query_row(params![who.owner(), assessment, complete], row)
        .optional()?)
}

/// The newest complete report and a newer incomplete attempt, if any.
pub fn state(
    c: &Connection,
    who: &Principal,
    assessment: &str,
) -> Result<(Option<CoachReport>, Option<CoachReport>)> {
    let report = newest(c, who, assessment, true)?;
    let attempt = newest(c, who, assessment, false)?
        .filter(|a| report.as_ref().is_none_or(|r| a.created_at >= r.created_at));
    Ok((report, attempt))
}

/// Whether the principal owns a live, completed assessment with this id (reports are written only for those).
pub fn check_assessment(c: &Connection, who: &Principal, id: &str) -> Result<()> {
    let stage: Option<(String, Option<String>)> = c
        .query_row(
            "SELECT stage, deleted_at FROM assessments WHERE id = ?1 AND owner_id = ?2",
            params![id, who.owner()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match stage {
        None => Err(Error::AssessmentNotFound(id.to_owned())),
        Some((_, Some(_))) => Err(Error::AssessmentDeleted),
        Some((s, None)) if s != "completed" => Err(Error::AssessmentNotCompleted),
        Some(_) => Ok(()),
    }
}
