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

/// data.json as it streams in: the top-level values an import reads, each table's records, and what the
/// streaming refused (kept typed, as serde's errors can only carry text).
#[derive(Default)]
struct Raw {
    format: Option<Value>,
    version: Option<Value>,
    exported_at: Option<Value>,
    tables: Option<Vec<(&'static Table, Vec<Record>)>>,
    unknown: Vec<String>,
    documents: u32,
}

struct Stream<'a> {
    budget: &'a archive::Budget,
    fail: std::cell::RefCell<Option<Error>>,
}

impl Stream<'_> {
    fn refuse<E: serde::de::Error>(&self, e: Error) -> E {
        let msg = e.to_string();
        *self.fail.borrow_mut() = Some(e);
        E::custom(msg)
    }
}

struct Top<'s, 'a>(&'s Stream<'a>);
struct Tables<'s, 'a>(&'s Stream<'a>);
struct Rows<'s, 'a> {
    s: &'s Stream<'a>,
    name: String,
    keep: bool,
}
struct Count<'s, 'a>(&'s Stream<'a>);

impl<'de> serde::de::DeserializeSeed<'de> for Top<'_, '_> {
    type Value = Raw;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Raw, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Top<'_, '_> {
    type Value = Raw;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<M: serde::de::MapAccess<'de>>(
        self,
        mut m: M,
    ) -> std::result::Result<Raw, M::Error> {
        let mut raw = Raw::default();
        self.0.budget.rearm();
        while let Some(k) = m.next_key::<String>()? {
            match k.as_str() {
                "format" => raw.format = Some(m.next_value()?),
                "schema_version" => raw.version = Some(m.next_value()?),
                "exported_at" => raw.exported_at = Some(m.next_value()?),
                "tables" => {
                    let (known, unknown) = m.next_value_seed(Tables(self.0))?;
                    raw.tables = Some(known);
                    raw.unknown = unknown;
                }
                "documents" => raw.documents = m.next_value_seed(Count(self.0))?,
                _ => {
                    m.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            self.0.budget.rearm();
        }
        Ok(raw)
    }
}

type Known = Vec<(&'static Table, Vec<Record>)>;

impl<'de> serde::de::DeserializeSeed<'de> for Tables<'_, '_> {
    type Value = (Known, Vec<String>);
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Tables<'_, '_> {
    type Value = (Known, Vec<String>);
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the tables as an object")
    }
    fn visit_map<M: serde::de::MapAccess<'de>>(
        self,
        mut m: M,
    ) -> std::result::Result<Self::Value, M::Error> {
        let mut known: Known = Vec::new();
        let mut unknown = Vec::new();
        self.0.budget.rearm();
        while let Some(name) = m.next_key::<String>()? {
            let table = TABLES.iter().find(|t| t.name == name);
            if table.is_some_and(|t| known.iter().any(|(k, _)| k.name == t.name)) {
                return Err(self
                    .0
                    .refuse(invalid(format!("data.json lists the table {name} twice"))));
            }
            let rows = m.next_value_seed(Rows {
                s: self.0,
                name: name.clone(),
                keep: table.is_some(),
            })?;
            match table {
                Some(t) => known.push((*t, rows)),
                None => unknown.push(name),
            }
            self.0.budget.rearm();
        }
        Ok((known, unknown))
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Rows<'_, '_> {
    type Value = Vec<Record>;
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Rows<'_, '_> {
    type Value = Vec<Record>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "tables.{} as a list",
            crate::domain::truncate_for_message(&self.name)
        )
    }
    fn visit_seq<S: serde::de::SeqAccess<'de>>(
        self,
        mut seq: S,
    ) -> std::result::Result<Self::Value, S::Error> {
        let mut out = Vec::new();
        let mut n = 0usize;
        loop {
            self.s.budget.rearm();
            let Some(v) = seq.next_element::<Value>()? else {
                break;
            };
            if n == MAX_RECORDS {
                return Err(self.s.refuse(Error::ArchiveTooLarge(format!(
                    "{} has more than {MAX_RECORDS} records",
                    crate::domain::truncate_for_message(&self.name)
                ))));
            }
            match v {
                Value::Object(rec) if self.keep => out.push(rec),
                Value::Object(_) => {}
                _ => {
                    return Err(self.s.refuse(invalid(format!(
                        "{}[{n}] is not an object",
                        crate::domain::truncate_for_message(&self.name)
                    ))))
                }
            }
            n += 1;
        }
        Ok(out)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Count<'_, '_> {
    type Value = u32;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<u32, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Count<'_, '_> {
    type Value = u32;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the documents as a list")
    }
    fn visit_seq<S: serde::de::SeqAccess<'de>>(
        self,
        mut seq: S,
    ) -> std::result::Result<u32, S::Error> {
        let mut n = 0u32;
        loop {
            self.0.budget.rearm();
            if seq.next_element::<serde::de::IgnoredAny>()?.is_none() {
                return Ok(n);
            }
            n = n.saturating_add(1);
        }
    }
}

/// Reads data.json as it streams from `r`, holding only the records it keeps: whatever else the file
/// holds (padding, unknown values, a record over the part budget) is skipped or refused without being
/// held. Errors say what the budget, the streaming or the JSON refused.
fn stream(r: archive::DataReader<'_>, budget: &archive::Budget) -> Result<Raw> {
    use serde::de::DeserializeSeed;
    let s = Stream {
        budget,
        fail: std::cell::RefCell::new(None),
    };
    let mut de = serde_json::Deserializer::from_reader(r);
    let got = Top(&s).deserialize(&mut de).and_then(|raw| {
        de.end()?;
        Ok(raw)
    });
    got.map_err(|e| {
        if let Some(over) = budget.error() {
            return over;
        }
        if let Some(refused) = s.fail.borrow_mut().take() {
            return refused;
        }
        match e.classify() {
            serde_json::error::Category::Data => {
                invalid(format!("data.json is not laid out as an export ({e})"))
            }
            serde_json::error::Category::Io => {
                invalid(format!("data.json could not be read ({e})"))
            }
            _ => invalid(format!("data.json is not valid JSON ({e})")),
        }
    })
}

/// Parses and checks `data.json` as it streams from `r` (everything that needs no database).
pub(crate) fn parse(
    r: archive::DataReader<'_>,
    budget: &archive::Budget,
    domain: &Domain,
) -> Result<Parsed> {
    let raw = stream(r, budget)?;
    if raw.format.as_ref().and_then(Value::as_str) != Some("compilar-export") {
        return Err(invalid("data.json is not a Compilar export"));
    }
    let version = raw
        .version
        .as_ref()
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
    let exported_at = raw
        .exported_at
        .as_ref()
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut given = raw
        .tables
        .ok_or_else(|| invalid("data.json has no tables"))?;
    if let Some(name) = raw.unknown.first() {
        return Err(invalid(format!(
            "data.json has an unknown table \u{201c}{}\u{201d}",
            crate::domain::truncate_for_message(name)
        )));
    }
    let mut tables = Vec::new();
    for t in TABLES {
        let rows = given
            .iter()
            .position(|(g, _)| g.name == t.name)
            .map(|i| given.swap_remove(i).1)
            .unwrap_or_default();
        let mut ids = HashSet::new();
        for (i, rec) in rows.iter().enumerate() {
            let at = format!("{}[{i}]", t.name);
            records::check(t, rec, &at).map_err(invalid)?;
            if !ids.insert(text(rec, "id")) {
                return Err(invalid(format!("{at} repeats the id {}", text(rec, "id"))));
            }
        }
        tables.push((*t, rows));
    }
    let documents = raw.documents;
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
            archive::with_data(&path, |r, budget| parse(r, budget, &domain))
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
