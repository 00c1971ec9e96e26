//! The coach's SQL: stored reports, of an assessment (`coach_reports`, synced) or of a team's round
//! (`team_reports`, local only). Both tables have the same columns but for what the report is about.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::dto::{CoachReport, ReportStatus, ReportWriter};
use crate::error::{Error, Result};
use crate::llm::Usage;
use crate::principal::Principal;

/// What a stored report is about: its table and the column that names the subject.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A completed assessment of the principal.
    Assessment(String),
    /// A team's round: the report is on its team results, which covered `responses` members.
    Round {
        round: String,
        team: String,
        title: String,
        responses: u32,
    },
}

impl Subject {
    fn table(&self) -> &'static str {
        match self {
            Subject::Assessment(_) => "coach_reports",
            Subject::Round { .. } => "team_reports",
        }
    }
    fn key(&self) -> &'static str {
        match self {
            Subject::Assessment(_) => "assessment_id",
            Subject::Round { .. } => "round_id",
        }
    }
    fn id(&self) -> &str {
        match self {
            Subject::Assessment(id) => id,
            Subject::Round { round, .. } => round,
        }
    }
    fn columns(&self) -> String {
        format!(
            "id, {}, status, writer, provider, provider_label, model, content, passages, citations, notice, \
             error, prompt_version, tokens_in, tokens_out, created_at, {}",
            self.key(),
            match self {
                Subject::Assessment(_) => "NULL",
                Subject::Round { .. } => "responses",
            }
        )
    }
}

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

fn row(r: &Row<'_>, round: bool) -> rusqlite::Result<CoachReport> {
    let passages: String = r.get(8)?;
    let citations: String = r.get(9)?;
    let error: Option<String> = r.get(11)?;
    let about: String = r.get(1)?;
    let (assessment_id, round_id) = if round {
        (None, Some(about))
    } else {
        (Some(about), None)
    };
    Ok(CoachReport {
        id: r.get(0)?,
        assessment_id,
        round_id,
        responses: r.get::<_, Option<i64>>(16)?.map(|n| n as u32),
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

/// Stores a report that ended. A complete one retires every older report of its subject; an incomplete one
/// replaces the previous incomplete attempt (the last complete report stays).
pub fn insert(
    c: &Connection,
    who: &Principal,
    about: &Subject,
    rep: &CoachReport,
    now: &str,
) -> Result<()> {
    let owner = who.owner();
    let (table, key) = (about.table(), about.key());
    let only_incomplete = if rep.status == ReportStatus::Complete {
        ""
    } else {
        " AND status <> 'complete'"
    };
    c.execute(
        &format!(
            "UPDATE {table} SET deleted_at = ?3, updated_at = ?3
             WHERE owner_id = ?1 AND {key} = ?2 AND deleted_at IS NULL{only_incomplete}"
        ),
        params![owner, about.id(), now],
    )?;
    let (team, title, responses) = match about {
        Subject::Assessment(_) => (None, None, None),
        Subject::Round {
            team,
            title,
            responses,
            ..
        } => (Some(team.as_str()), Some(title.as_str()), Some(*responses)),
    };
    let (extra, extra_values) = if team.is_some() {
        (", team_id, title, responses", ", ?18, ?19, ?20")
    } else {
        ("", "")
    };
    let mut st = c.prepare(&format!(
        "INSERT INTO {table} (id, owner_id, {key}, status, writer, provider, provider_label, model,
           content, passages, citations, notice, error, prompt_version, tokens_in, tokens_out, created_at,
           updated_at{extra})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17{extra_values})"
    ))?;
    use rusqlite::types::Value as V;
    let text = |x: &Option<String>| x.clone().map_or(V::Null, V::Text);
    let mut values: Vec<V> = vec![
        V::Text(rep.id.clone()),
        V::Text(owner.to_owned()),
        V::Text(about.id().to_owned()),
        V::Text(rep.status.as_str().to_owned()),
        V::Text(
            match rep.writer {
                ReportWriter::Model => "model",
                ReportWriter::Offline => "offline",
            }
            .to_owned(),
        ),
        text(&rep.provider),
        text(&rep.provider_label),
        text(&rep.model),
        V::Text(rep.content.clone()),
        V::Text(to_json(&rep.passages)?),
        V::Text(to_json(&rep.citations)?),
        text(&rep.notice),
        rep.error
            .as_ref()
            .map(to_json)
            .transpose()?
            .map_or(V::Null, V::Text),
        V::Integer(i64::from(rep.prompt_version)),
        V::Integer(i64::from(rep.usage.input_tokens)),
        V::Integer(i64::from(rep.usage.output_tokens)),
        V::Text(rep.created_at.clone()),
    ];
    if let (Some(team), Some(title), Some(responses)) = (team, title, responses) {
        values.push(V::Text(team.to_owned()));
        values.push(V::Text(title.to_owned()));
        values.push(V::Integer(i64::from(responses)));
    }
    st.execute(rusqlite::params_from_iter(values))?;
    Ok(())
}

/// The title a round had when its newest live team report was written.
pub fn round_title(c: &Connection, who: &Principal, round: &str) -> Result<Option<String>> {
    Ok(c
        .query_row(
            "SELECT title FROM team_reports WHERE owner_id = ?1 AND round_id = ?2 AND deleted_at IS NULL
             ORDER BY created_at DESC LIMIT 1",
            params![who.owner(), round],
            |r| r.get(0),
        )
        .optional()?)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(format!("report JSON: {e}")))
}

/// The newest live report of a subject with the given status filter (`complete` or not).
fn newest(
    c: &Connection,
    who: &Principal,
    about: &Subject,
    complete: bool,
) -> Result<Option<CoachReport>> {
    let sql = format!(
        "SELECT {} FROM {}
         WHERE owner_id = ?1 AND {} = ?2 AND deleted_at IS NULL AND (status = 'complete') = ?3
         ORDER BY created_at DESC, id DESC LIMIT 1",
        about.columns(),
        about.table(),
        about.key()
    );
    let round = matches!(about, Subject::Round { .. });
    Ok(c.prepare_cached(&sql)?
        .query_row(params![who.owner(), about.id(), complete], |r| {
            row(r, round)
        })
        .optional()?)
}

/// The newest complete report and a newer incomplete attempt, if any.
pub fn state(
    c: &Connection,
    who: &Principal,
    about: &Subject,
) -> Result<(Option<CoachReport>, Option<CoachReport>)> {
    let report = newest(c, who, about, true)?;
    let attempt = newest(c, who, about, false)?
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
