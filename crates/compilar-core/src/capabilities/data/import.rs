//! Import an export into this installation. Everything is read and checked before anything is written (the
//! archive's bounds, its format version, every record's fields, the PILAR ids, answers on the scale, links to
//! records that exist); then one transaction merges it: by id, the newer `updated_at` winning, and an
//! assessment answered in both places merged question by question (the newer answer to each question wins).
//! Importing the same export twice adds nothing. A dry run says what would change and writes nothing.

use std::collections::{HashMap, HashSet};

use rusqlite::Connection;
use serde_json::Value;

use super::archive;
use super::dto::*;
use super::Data;
use crate::domain::Domain;
use crate::error::{Error, Result};
use crate::jobs::JobKind;
use crate::principal::Principal;
use crate::store::records::{self, Record, Table, TABLES};

/// The most records of one table an import takes.
pub const MAX_RECORDS: usize = 200_000;

fn invalid(why: impl Into<String>) -> Error {
    Error::ArchiveInvalid(why.into())
}

fn text<'r>(r: &'r Record, k: &str) -> &'r str {
    r.get(k).and_then(Value::as_str).unwrap_or("")
}

/// The checked content of an export.
pub(crate) struct Parsed {
    pub exported_at: String,
    /// In [`TABLES`] order.
    pub tables: Vec<(&'static Table, Vec<Record>)>,
    pub documents: u32,
}

/// Parses and checks `data.json` (everything that needs no database).
pub(crate) fn parse(bytes: &[u8], domain: &Domain) -> Result<Parsed> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| invalid(format!("data.json is not valid JSON ({e})")))?;
    let o = v
        .as_object()
        .ok_or_else(|| invalid("data.json is not a JSON object"))?;
    if o.get("format").and_then(Value::as_str) != Some("compilar-export") {
        return Err(invalid("data.json is not a Compilar export"));
    }
    let version = o
        .get("schema_version")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid("data.json has no schema_version"))?;
    if version > u64::from(EXPORT_FORMAT_VERSION) {
        return Err(Error::ArchiveNewer(
            u32::try_from(version).unwrap_or(u32::MAX),
        ));
    }
    if version == 0 {
        return Err(invalid("data.json has schema_version 0"));
    }
    let exported_at = o
        .get("exported_at")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let given = o
        .get("tables")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("data.json has no tables"))?;
    for name in given.keys() {
        if !TABLES.iter().any(|t| t.name == name) {
            return Err(invalid(format!(
                "data.json has an unknown table \u{201c}{}\u{201d}",
                crate::domain::truncate_for_message(name)
            )));
        }
    }
    let mut tables = Vec::new();
    for t in TABLES {
        let rows = match given.get(t.name) {
            None => Vec::new(),
            Some(Value::Array(rows)) => {
                if rows.len() > MAX_RECORDS {
                    return Err(Error::ArchiveTooLarge(format!(
                        "{} has more than {MAX_RECORDS} records",
                        t.name
                    )));
                }
                let mut ids = HashSet::new();
                let mut out = Vec::with_capacity(rows.len());
                for (i, r) in rows.iter().enumerate() {
                    let at = format!("{}[{i}]", t.name);
                    let rec = r
                        .as_object()
                        .ok_or_else(|| invalid(format!("{at} is not an object")))?;
                    records::check(t, rec, &at).map_err(invalid)?;
                    if !ids.insert(text(rec, "id").to_owned()) {
                        return Err(invalid(format!("{at} repeats the id {}", text(rec, "id"))));
                    }
                    out.push(rec.clone());
                }
                out
            }
            Some(_) => return Err(invalid(format!("tables.{} is not a list", t.name))),
        };
        tables.push((*t, rows));
    }
    let documents = o
        .get("documents")
        .and_then(Value::as_array)
        .map_or(0, Vec::len) as u32;
    let fresh: HashSet<String> = tables
        .iter()
        .find(|(t, _)| t.name == "generated_questions")
        .map(|(_, rows)| rows.iter().map(|r| text(r, "id").to_owned()).collect())
        .unwrap_or_default();
    let assessments = tables
        .iter()
        .find(|(t, _)| t.name == "assessments")
        .map(|(_, rows)| rows.as_slice())
        .unwrap_or(&[]);
    for (i, a) in assessments.iter().enumerate() {
        check_assessment(domain, a, &format!("assessments[{i}]"), &fresh)?;
    }
    Ok(Parsed {
        exported_at,
        tables,
        documents,
    })
}

/// What only the framework and the bank can say: the pillar in its mode, the questions served, answers on
/// the scale, results readable, counts that agree.
fn check_assessment(d: &Domain, a: &Record, at: &str, fresh_here: &HashSet<String>) -> Result<()> {
    let bad = |why: String| invalid(format!("{at} {why}"));
    d.pillar_in_mode(text(a, "pillar"), text(a, "mode"))
        .map_err(|e| bad(e.to_string()))?;
    let qids: Vec<String> =
        serde_json::from_value(a.get("question_ids").cloned().unwrap_or(Value::Null))
            .map_err(|_| bad("has question_ids that are not a list of ids".into()))?;
    if qids.is_empty() || qids.len() != a.get("total").and_then(Value::as_u64).unwrap_or(0) as usize
    {
        return Err(bad("has a total that does not match its questions".into()));
    }
    for q in &qids {
        let ok = d.bank.get(q).is_some_and(|b| b.pillar == text(a, "pillar"))
            || (crate::domain::is_fresh_id(q)
                && fresh_here.contains(q.trim_start_matches(crate::domain::FRESH_PREFIX)));
        if !ok {
            return Err(bad(format!(
                "serves the question \u{201c}{}\u{201d}, which is not one of its pillar's",
                crate::domain::truncate_for_message(q)
            )));
        }
    }
    let scale = &d.bank.scale;
    let answers = a
        .get("responses")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("has no answers".into()))?;
    for (q, v) in answers {
        if !qids.contains(q) {
            return Err(bad(format!(
                "answers a question it did not serve ({})",
                crate::domain::truncate_for_message(q)
            )));
        }
        let value = v.get("value").and_then(Value::as_i64).unwrap_or(i64::MIN);
        if !(scale.min..=scale.max).contains(&value) {
            return Err(bad(format!(
                "has an answer off the {}–{} scale",
                scale.min, scale.max
            )));
        }
    }
    if a.get("answered").and_then(Value::as_u64) != Some(answers.len() as u64) {
        return Err(bad(
            "has an answered count that does not match its answers".into()
        ));
    }
    let completed = text(a, "stage") == "completed";
    let results = a.get("results").filter(|r| !r.is_null());
    if completed != (results.is_some() && a.get("completed_at").is_some_and(|c| !c.is_null())) {
        return Err(bad(
            "is completed without results, or has results without being completed".into(),
        ));
    }
    if let Some(r) = results {
        crate::capabilities::assessments::stored::read(&r.to_string())
            .map_err(|e| bad(format!("has results that cannot be read ({e})")))?;
    }
    Ok(())
}

/// What to do with one record.
enum Action {
    Add,
    Replace(Record),
    Unchanged,
    Skip,
}

fn newer(a: &Record, b: &Record) -> bool {
    text(a, "updated_at") > text(b, "updated_at")
}

/// Merges an assessment found here (`here`) with the export's (`there`). Two assessments still being answered
/// merge question by question, the later answer to each question winning, the other fields from the newer
/// row; otherwise the newer row wins whole (a completed assessment's answers are frozen with its results).
/// `None`: nothing changes here. The flag says whether answers from both sides were combined.
pub(crate) fn merge_assessment(here: &Record, there: &Record) -> Option<(Record, bool)> {
    let quiz = |r: &Record| text(r, "stage") == "quiz";
    if !(quiz(here) && quiz(there)) {
        return newer(there, here).then(|| (there.clone(), false));
    }
    let empty = serde_json::Map::new();
    let answers = |r: &'_ Record| {
        r.get("responses")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(|| empty.clone())
    };
    let (mine, theirs) = (answers(here), answers(there));
    let mut merged = mine.clone();
    for (q, a) in &theirs {
        let later = match merged.get(q) {
            None => true,
            Some(m) => {
                a.get("at").and_then(Value::as_str).unwrap_or("")
                    > m.get("at").and_then(Value::as_str).unwrap_or("")
            }
        };
        if later {
            merged.insert(q.clone(), a.clone());
        }
    }
    let mut out = if newer(there, here) {
        there.clone()
    } else {
        here.clone()
    };
    let combined = merged != mine && merged != theirs;
    out.insert("answered".into(), Value::from(merged.len()));
    out.insert("responses".into(), Value::Object(merged));
    let latest = std::cmp::max(text(here, "updated_at"), text(there, "updated_at")).to_owned();
    out.insert("updated_at".into(), Value::String(latest));
    (out != *here).then_some((out, combined))
}

/// The links a record makes to another table (the column, and the table it points into).
fn parent(t: &Table) -> Option<(&'static str, &'static str)> {
    match t.name {
        "coach_reports" | "goals" => Some(("assessment_id", "assessments")),
        "goal_checkins" => Some(("goal_id", "goals")),
        "messages" => Some(("conversation_id", "conversations")),
        "assessments" => Some(("profile_id", "full_profiles")),
        _ => None,
    }
}

fn exists(conn: &Connection, table: &str, id: &str, who: &Principal) -> Result<bool> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1 AND owner_id = ?2)"
        ))?
        .query_row(rusqlite::params![id, who.owner()], |r| r.get(0))?)
}

type Plan = Vec<(&'static Table, Vec<(usize, Action)>)>;

/// Decides, for every record, what the import does, reading this database (nothing is written).
fn plan(conn: &Connection, who: &Principal, parsed: &Parsed) -> Result<(Plan, Vec<TableImport>)> {
    let ids: HashMap<&str, HashSet<&str>> = parsed
        .tables
        .iter()
        .map(|(t, rows)| (t.name, rows.iter().map(|r| text(r, "id")).collect()))
        .collect();
    let mut out = Vec::new();
    let mut summary = Vec::new();
    for (t, rows) in &parsed.tables {
        let mut s = TableImport {
            table: t.name.to_owned(),
            ..TableImport::default()
        };
        let mut actions = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            if let Some((col, into)) = parent(t).filter(|(c, _)| !text(r, c).is_empty()) {
                let pid = text(r, col);
                if !ids.get(into).is_some_and(|s| s.contains(pid)) && !exists(conn, into, pid, who)?
                {
                    return Err(invalid(format!(
                        "{}[{i}] belongs to {into} {pid}, which is neither in the export nor here",
                        t.name
                    )));
                }
            }
            let action = match records::existing(conn, t, who, text(r, "id"))? {
                None => {
                    s.added += 1;
                    Action::Add
                }
                Some((_, false)) => {
                    s.skipped += 1;
                    Action::Skip
                }
                Some((here, true)) if t.name == "assessments" => match merge_assessment(&here, r) {
                    None => {
                        s.unchanged += 1;
                        Action::Unchanged
                    }
                    Some((m, combined)) => {
                        if combined {
                            s.merged += 1;
                        } else {
                            s.updated += 1;
                        }
                        Action::Replace(m)
                    }
                },
                Some((here, true)) => {
                    if newer(r, &here) {
                        s.updated += 1;
                        Action::Replace(r.clone())
                    } else {
                        s.unchanged += 1;
                        Action::Unchanged
                    }
                }
            };
            actions.push((i, action));
        }
        out.push((*t, actions));
        summary.push(s);
    }
    Ok((out, summary))
}

fn execute(conn: &Connection, who: &Principal, parsed: &Parsed, plan: &Plan) -> Result<()> {
    for ((t, actions), (_, rows)) in plan.iter().zip(&parsed.tables) {
        for (i, a) in actions {
            let r = match a {
                Action::Add => records::write(conn, t, who, &rows[*i], false),
                Action::Replace(m) => records::write(conn, t, who, m, true),
                Action::Unchanged | Action::Skip => Ok(()),
            };
            r.map_err(|e| match e {
                Error::Database(db) => invalid(format!(
                    "{}[{i}] ({}) was refused by the database ({db})",
                    t.name,
                    text(&rows[*i], "id")
                )),
                other => other,
            })?;
        }
    }
    Ok(())
}

impl Data<'_> {
    /// Imports an export (folder or zip), or in a dry run says what it would change.
    pub async fn import(&self, req: ImportRequest) -> Result<ImportSummary> {
        let path = super::checked_path(&req.path, "export to import")?;
        let _job = self.ctx.jobs.start(
            JobKind::DataImport,
            "import",
            "Import",
            Some(path.display().to_string()),
            |_| "An import is already running.".into(),
        )?;
        let domain = std::sync::Arc::clone(&self.ctx.domain);
        let parsed = tokio::task::spawn_blocking(move || {
            let bytes = archive::read_data(&path)?;
            parse(&bytes, &domain)
        })
        .await??;
        let parsed = std::sync::Arc::new(parsed);
        let who = self.ctx.principal.clone();
        let p = std::sync::Arc::clone(&parsed);
        let tables = if req.dry_run {
            self.ctx
                .store
                .read(move |c| Ok(plan(c, &who, &p)?.1))
                .await?
        } else {
            self.ctx
                .store
                .write(move |c| {
                    let (plan, summary) = plan(c, &who, &p)?;
                    execute(c, &who, &p, &plan)?;
                    Ok(summary)
                })
                .await?
        };
        if !req.dry_run {
            tracing::info!(?tables, "export imported");
        }
        Ok(ImportSummary {
            dry_run: req.dry_run,
            exported_at: parsed.exported_at.clone(),
            tables,
            documents_listed: parsed.documents,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Record {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn answers_given_in_two_places_merge_question_by_question() {
        let here = rec(
            json!({"id": "a", "stage": "quiz", "updated_at": "2026-01-02", "note": "here",
            "answered": 2, "responses": {"q1": {"value": 1, "at": "2026-01-01"}, "q2": {"value": 2, "at": "2026-01-02"}}}),
        );
        let there = rec(
            json!({"id": "a", "stage": "quiz", "updated_at": "2026-01-03", "note": "there",
            "answered": 2, "responses": {"q1": {"value": 5, "at": "2026-01-03"}, "q3": {"value": 3, "at": "2026-01-01"}}}),
        );
        let (m, combined) = merge_assessment(&here, &there).unwrap();
        assert!(combined);
        let r = m["responses"].as_object().unwrap();
        assert_eq!(r["q1"]["value"], 5, "the later answer wins");
        assert_eq!(r["q2"]["value"], 2);
        assert_eq!(r["q3"]["value"], 3);
        assert_eq!(m["answered"], 3);
        assert_eq!(m["note"], "there", "other fields from the newer row");
        assert_eq!(m["updated_at"], "2026-01-03");
        // Merging the result again changes nothing.
        assert!(merge_assessment(&m, &there).is_none());
        assert!(merge_assessment(&m, &here).is_none());
    }

    #[test]
    fn a_completed_assessment_is_taken_whole_when_newer_and_kept_when_older() {
        let quiz = rec(
            json!({"id": "a", "stage": "quiz", "updated_at": "2026-01-02", "answered": 1,
            "responses": {"q1": {"value": 1, "at": "2026-01-01"}}}),
        );
        let done = rec(
            json!({"id": "a", "stage": "completed", "updated_at": "2026-01-05", "answered": 1,
            "responses": {"q2": {"value": 4, "at": "2026-01-04"}}}),
        );
        let (m, combined) = merge_assessment(&quiz, &done).unwrap();
        assert!(!combined);
        assert_eq!(m, done);
        assert!(merge_assessment(&done, &quiz).is_none());
        assert!(merge_assessment(&done, &done).is_none());
    }
}
