//! The owned, synced tables row by row, as JSON records: what an export writes and an import reads (and
//! what sync will push and pull). Each table is described once ([`TABLES`]): its columns, their kind and
//! bounds. Reading turns a row into a JSON object (JSON columns as JSON, not as strings); checking a record
//! refuses unknown columns, missing ones, wrong types and values over their bounds, before anything is
//! written. The owner is never part of a record: it is the principal who exports or imports.

use rusqlite::types::Value as Sql;
use rusqlite::Connection;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::principal::Principal;

/// What a column holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A UUID.
    Id,
    /// A UTC timestamp (RFC 3339).
    Time,
    /// Text of at most this many characters (what the app or a model wrote).
    Text(usize),
    /// A person's one-line text (a name, a title) in stored form: [`crate::fields::line`]'s rules.
    Line(usize),
    /// A person's prose (a note) in stored form: [`crate::fields::prose`]'s rules.
    Prose(usize),
    /// One of these words.
    Enum(&'static [&'static str]),
    /// An integer from 0 up to this.
    Int(i64),
    /// A number from 0 to 100.
    Score,
    /// JSON (an array or object) of at most this many bytes, stored as text.
    Json(usize),
    /// The answers of an assessment: a JSON object stored as JSONB.
    Answers,
}

#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub name: &'static str,
    pub kind: Kind,
    pub null: bool,
}

const fn col(name: &'static str, kind: Kind) -> Col {
    Col {
        name,
        kind,
        null: false,
    }
}
const fn opt(name: &'static str, kind: Kind) -> Col {
    Col {
        name,
        kind,
        null: true,
    }
}

/// One synced table.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub cols: &'static [Col],
}

const MODES: &[&str] = &["egalitarian", "hierarchical"];
const ENDINGS: &[&str] = &["complete", "stopped", "error"];
const KEY: usize = 128;
const BIG: usize = 1_000_000;

pub const ASSESSMENTS: Table = Table {
    name: "assessments",
    cols: &[
        col("id", Kind::Id),
        col("pillar", Kind::Text(KEY)),
        col("mode", Kind::Enum(MODES)),
        col("stage", Kind::Enum(&["quiz", "completed"])),
        col("question_ids", Kind::Json(64_000)),
        col("responses", Kind::Answers),
        col("answered", Kind::Int(10_000)),
        col("total", Kind::Int(10_000)),
        opt("results", Kind::Json(BIG)),
        col("bank_version", Kind::Int(1_000_000)),
        opt("group_label", Kind::Line(80)),
        opt("note", Kind::Prose(2_000)),
        col("created_at", Kind::Time),
        col("updated_at", Kind::Time),
        opt("completed_at", Kind::Time),
        opt("deleted_at", Kind::Time),
        opt("profile_id", Kind::Id),
        opt("round_id", Kind::Id),
    ],
};

pub const FULL_PROFILES: Table = Table {
    name: "full_profiles",
    cols: &[
        col("id", Kind::Id),
        col("mode", Kind::Enum(MODES)),
        opt("group_label", Kind::Line(80)),
        opt("note", Kind::Prose(2_000)),
        col("created_at", Kind::Time),
        col("updated_at", Kind::Time),
        opt("deleted_at", Kind::Time),
    ],
};

pub const GENERATED_QUESTIONS: Table = Table {
    name: "generated_questions",
    cols: &[
        col("id", Kind::Id),
        col("pillar", Kind::Text(KEY)),
        col("mode", Kind::Enum(MODES)),
        col("force", Kind::Text(KEY)),
        col("text", Kind::Text(400)),
        col("reverse", Kind::Int(1)),
        col("provider", Kind::Text(KEY)),
        col("model", Kind::Text(KEY)),
        col("created_at", Kind::Time),
        col("updated_at", Kind::Time),
        opt("deleted_at", Kind::Time),
    ],
};

pub const COACH_REPORTS: Table = Table {
    name: "coach_reports",
    cols: &[
        col("id", Kind::Id),
        col("assessment_id", Kind::Id),
        col("status", Kind::Enum(ENDINGS)),
        col("writer", Kind::Enum(&["model", "offline"])),
        opt("provider", Kind::Text(KEY)),
        opt("provider_label", Kind::Text(KEY)),
        opt("model", Kind::Text(KEY)),
        col("content", Kind::Text(BIG)),
        col("passages", Kind::Json(BIG)),
        col("citations", Kind::Json(64_000)),
        opt("notice", Kind::Text(4_000)),
        opt("error", Kind::Json(16_000)),
        col("prompt_version", Kind::Int(1_000_000)),
        col("tokens_in", Kind::Int(i64::MAX)),
        col("tokens_out", Kind::Int(i64::MAX)),
        col("created_at", Kind::Time),
        col("updated_at", Kind::Time),
        opt("deleted_at", Kind::Time),
    ],
};

pub const GOALS: Table = Table {
    name: "goals",
    cols: &[
        col("id", Kind::Id),
        col("assessment_id", Kind::Id),
        col("pillar", Kind::Text(KEY)),
        col("mode", Kind::Enum(MODES)),
        col("force", Kind::Text(KEY)),
        opt("group_label", Kind::Line(80)),
        // (Prose: titles from before lines were enforced may hold line breaks.)
        col("title", Kind::Prose(200)),
        col("practice", Kind::Prose(2_000)),
        col(
            "practice_source",
            Kind::Enum(&["recommendation", "passage", "report", "own"]),
        ),
        opt("practice_ref", Kind::Text(KEY)),
        opt("baseline", Kind::Score),
        col("review_on", Kind::Text(10)),
        col("status", Kind::Enum(&["active", "done", "dropped"])),
        opt("closed_reason", Kind::Prose(500)),
        opt("closed_at", Kind::Time),
        col("created_at", Kind::Time),
        col("updated_at", Kind::Time),
        opt("deleted_at", Kind::Time),
    ],
};

pub const GOAL_CHECKINS: Table = Table {
    name: "goal_checkins",
    cols: &[
        col("id", Kind::Id),
        col("goal_id", Kind::Id),
        col("rating", Kind::Int(5)),
        opt("note", Kind::Prose(1_000)),
        col("created_at", Kind::Time),
        col("updated_at", Kind::Time),
        opt("deleted_at", Kind::Time),
    ],
};

pub const CONVERSATIONS: Table = Table {
    name: "conversations",
    cols: &[
        col("id", Kind::Id),
        col("title", Kind::Line(200)),
        col("context", Kind::Json(4_000)),
        col("created_at", Kind::Time),
        col("updated_at", Kind::Time),
        opt("deleted_at", Kind::Time),
    ],
};

pub const MESSAGES: Table = Table {
    name: "messages",
    cols: &[
        col("id", Kind::Id),
        col("conversation_id", Kind::Id),
        col("seq", Kind::Int(1_000_000)),
        col("role", Kind::Enum(&["user", "assistant"])),
        col("content", Kind::Text(BIG)),
        col("status", Kind::Enum(ENDINGS)),
        opt("writer", Kind::Enum(&["model", "knowledge"])),
        opt("provider", Kind::Text(KEY)),
        opt("provider_label", Kind::Text(KEY)),
        opt("model", Kind::Text(KEY)),
        col("passages", Kind::Json(BIG)),
        col("citations", Kind::Json(64_000)),
        opt("notice", Kind::Text(4_000)),
        opt("error", Kind::Json(16_000)),
        col("tokens_in", Kind::Int(i64::MAX)),
        col("tokens_out", Kind::Int(i64::MAX)),
        col("trimmed", Kind::Int(1_000_000)),
        col("created_at", Kind::Time),
        col("updated_at", Kind::Time),
        opt("deleted_at", Kind::Time),
    ],
};

/// Every synced table, parents before children (the order an import writes them in).
pub const TABLES: &[&Table] = &[
    &FULL_PROFILES,
    &ASSESSMENTS,
    &GENERATED_QUESTIONS,
    &COACH_REPORTS,
    &GOALS,
    &GOAL_CHECKINS,
    &CONVERSATIONS,
    &MESSAGES,
];

/// A record: column → value.
pub type Record = Map<String, Value>;

fn select_expr(c: &Col) -> String {
    match c.kind {
        Kind::Answers => format!("json({})", c.name),
        _ => c.name.to_owned(),
    }
}

/// Every row of `t` owned by `who` (tombstoned ones too: a delete travels with the data), in insertion order.
pub fn read_all(conn: &Connection, t: &Table, who: &Principal) -> Result<Vec<Record>> {
    let cols: Vec<String> = t.cols.iter().map(select_expr).collect();
    let mut st = conn.prepare(&format!(
        "SELECT {} FROM {} WHERE owner_id = ?1 ORDER BY rowid",
        cols.join(", "),
        t.name
    ))?;
    let mut rows = st.query([who.owner()])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut rec = Map::new();
        for (i, c) in t.cols.iter().enumerate() {
            let v: Sql = r.get(i)?;
            rec.insert(c.name.to_owned(), to_json(c, v)?);
        }
        out.push(rec);
    }
    Ok(out)
}

fn to_json(c: &Col, v: Sql) -> Result<Value> {
    Ok(match (c.kind, v) {
        (_, Sql::Null) => Value::Null,
        (Kind::Json(_) | Kind::Answers, Sql::Text(s)) => serde_json::from_str(&s)
            .map_err(|e| Error::Internal(format!("stored JSON in {} unreadable: {e}", c.name)))?,
        (_, Sql::Text(s)) => Value::String(s),
        (_, Sql::Integer(i)) => Value::from(i),
        (_, Sql::Real(f)) => Value::from(f),
        (_, Sql::Blob(_)) => {
            return Err(Error::Internal(format!("unexpected bytes in {}", c.name)));
        }
    })
}

/// Checks one record of `t` against the table's columns: every column present with the right type and
/// within its bounds, no other field. `at` names the record in the message ("assessments[12]").
pub fn check(t: &Table, rec: &Record, at: &str) -> std::result::Result<(), String> {
    for key in rec.keys() {
        if !t.cols.iter().any(|c| c.name == key) {
            return Err(format!(
                "{at} has an unknown field \u{201c}{}\u{201d}",
                crate::domain::truncate_for_message(key)
            ));
        }
    }
    for c in t.cols {
        let v = rec.get(c.name).unwrap_or(&Value::Null);
        let bad = |why: &str| format!("{at}.{} {why}", c.name);
        if v.is_null() {
            if c.null {
                continue;
            }
            return Err(bad("is missing"));
        }
        match c.kind {
            Kind::Id => {
                let s = v.as_str().ok_or_else(|| bad("is not text"))?;
                uuid::Uuid::try_parse(s).map_err(|_| bad("is not an id"))?;
            }
            Kind::Time => {
                let s = v.as_str().ok_or_else(|| bad("is not text"))?;
                chrono::DateTime::parse_from_rfc3339(s).map_err(|_| bad("is not a time"))?;
            }
            Kind::Text(max) => {
                let s = v.as_str().ok_or_else(|| bad("is not text"))?;
                if s.chars().count() > max {
                    return Err(bad(&format!("is longer than {max} characters")));
                }
            }
            Kind::Line(max) => {
                let s = v.as_str().ok_or_else(|| bad("is not text"))?;
                crate::fields::is_line(s, max).map_err(|why| bad(&why))?;
            }
            Kind::Prose(max) => {
                let s = v.as_str().ok_or_else(|| bad("is not text"))?;
                crate::fields::is_prose(s, max).map_err(|why| bad(&why))?;
            }
            Kind::Enum(words) => {
                let s = v.as_str().ok_or_else(|| bad("is not text"))?;
                if !words.contains(&s) {
                    return Err(bad(&format!("is not one of {}", words.join(", "))));
                }
            }
            Kind::Int(max) => {
                let n = v.as_i64().ok_or_else(|| bad("is not a whole number"))?;
                if !(0..=max).contains(&n) {
                    return Err(bad(&format!("is outside 0–{max}")));
                }
            }
            Kind::Score => {
                let n = v.as_f64().ok_or_else(|| bad("is not a number"))?;
                if !(0.0..=100.0).contains(&n) {
                    return Err(bad("is outside 0–100"));
                }
            }
            Kind::Json(max) => {
                if !(v.is_array() || v.is_object()) {
                    return Err(bad("is not a JSON array or object"));
                }
                if v.to_string().len() > max {
                    return Err(bad(&format!("is larger than {max} bytes")));
                }
            }
            Kind::Answers => {
                let o = v.as_object().ok_or_else(|| bad("is not an object"))?;
                for (q, a) in o {
                    if q.len() > KEY {
                        return Err(bad("names a question id that is too long"));
                    }
                    let ok = a.get("value").and_then(Value::as_i64).is_some()
                        && a.get("at").and_then(Value::as_str).is_some()
                        && a.as_object().is_some_and(|m| m.len() == 2);
                    if !ok {
                        return Err(bad("holds an answer that is not {value, at}"));
                    }
                }
            }
        }
    }
    Ok(())
}

fn to_sql(c: &Col, v: &Value) -> Sql {
    match v {
        Value::Null => Sql::Null,
        Value::String(s) => Sql::Text(s.clone()),
        Value::Number(n) => match (c.kind, n.as_i64()) {
            (Kind::Score, _) | (_, None) => Sql::Real(n.as_f64().unwrap_or(0.0)),
            (_, Some(i)) => Sql::Integer(i),
        },
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        other => Sql::Text(other.to_string()),
    }
}

/// Inserts `rec` as a row of `who`, or replaces the row with its id when `replace` (a checked record).
pub fn write(
    conn: &Connection,
    t: &Table,
    who: &Principal,
    rec: &Record,
    replace: bool,
) -> Result<()> {
    let names: Vec<&str> = t.cols.iter().map(|c| c.name).collect();
    let values: Vec<String> = t
        .cols
        .iter()
        .enumerate()
        .map(|(i, c)| match c.kind {
            Kind::Answers => format!("jsonb(?{})", i + 2),
            _ => format!("?{}", i + 2),
        })
        .collect();
    let sql = if replace {
        let sets: Vec<String> = t
            .cols
            .iter()
            .zip(&values)
            .filter(|(c, _)| c.name != "id")
            .map(|(c, v)| format!("{} = {v}", c.name))
            .collect();
        format!(
            "UPDATE {} SET {} WHERE id = ?2 AND owner_id = ?1",
            t.name,
            sets.join(", ")
        )
    } else {
        format!(
            "INSERT INTO {} (owner_id, {}) VALUES (?1, {})",
            t.name,
            names.join(", "),
            values.join(", ")
        )
    };
    let mut params: Vec<Sql> = vec![Sql::Text(who.owner().to_owned())];
    for c in t.cols {
        params.push(to_sql(c, rec.get(c.name).unwrap_or(&Value::Null)));
    }
    conn.prepare_cached(&sql)?
        .execute(rusqlite::params_from_iter(params))?;
    Ok(())
}

/// The row of `t` with `id`, as a record, and whether it belongs to `who` (`None`: no such row).
pub fn existing(
    conn: &Connection,
    t: &Table,
    who: &Principal,
    id: &str,
) -> Result<Option<(Record, bool)>> {
    let cols: Vec<String> = t.cols.iter().map(select_expr).collect();
    let mut st = conn.prepare_cached(&format!(
        "SELECT owner_id = ?2, {} FROM {} WHERE id = ?1",
        cols.join(", "),
        t.name
    ))?;
    let mut rows = st.query(rusqlite::params![id, who.owner()])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    let mine: bool = r.get(0)?;
    let mut rec = Map::new();
    for (i, c) in t.cols.iter().enumerate() {
        let v: Sql = r.get(i + 1)?;
        rec.insert(c.name.to_owned(), to_json(c, v)?);
    }
    Ok(Some((rec, mine)))
}
