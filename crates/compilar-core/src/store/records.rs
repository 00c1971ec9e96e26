//! The owned, synced tables row by row, as JSON records: what an export writes and an import reads, and
//! what sync pushes and pulls. This is the one registry of the synced tables ([`TABLES`]): each is described
//! once, with its columns, their kind and bounds, which rows go to the account when a folder is first linked
//! and whether "Delete all my data" removes it. The pull order ([`pull_order`]), the delete list
//! ([`deleted_with_my_data`]), the account link's seeding and the window's text limits ([`limits_typescript`])
//! are derived from it, and a contract test holds it against SQLite's schema and the server's. Reading turns a row into a JSON object (JSON columns as JSON, not as strings); checking a record
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
    /// Which rows go to the account when this folder is first linked, as a condition on the table's columns
    /// (`None`: every row of the person's).
    pub shared_only: Option<&'static str>,
    /// Removed by "Delete all my data".
    pub delete_with_my_data: bool,
}

/// A table with every row shared and deleted with the person's data.
const fn table(name: &'static str, cols: &'static [Col]) -> Table {
    Table {
        name,
        cols,
        shared_only: None,
        delete_with_my_data: true,
    }
}

impl Table {
    /// The longest text column `name` holds, in characters (`None`: not a text column of this table).
    pub fn max_chars(&self, name: &str) -> Option<usize> {
        self.cols
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| match c.kind {
                Kind::Text(n) | Kind::Line(n) | Kind::Prose(n) => Some(n),
                _ => None,
            })
    }
}

const MODES: &[&str] = &["egalitarian", "hierarchical"];
const ENDINGS: &[&str] = &["complete", "stopped", "error"];
const KEY: usize = 128;
const BIG: usize = 1_000_000;

/// A group label (assessments, full profiles, goals).
pub const GROUP_LABEL: usize = 80;
/// A note about an assessment or a full profile.
pub const NOTE: usize = 2_000;
/// A goal's title.
pub const GOAL_TITLE: usize = 200;
/// A goal's practice.
pub const GOAL_PRACTICE: usize = 2_000;
/// Why a goal was closed.
pub const GOAL_CLOSED_REASON: usize = 500;
/// A check-in's note.
pub const CHECKIN_NOTE: usize = 1_000;
/// A conversation's name.
pub const CONVERSATION_TITLE: usize = 200;

pub const ASSESSMENTS: Table = table(
    "assessments",
    &[
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
        opt("group_label", Kind::Line(GROUP_LABEL)),
        opt("note", Kind::Prose(NOTE)),
        col("created_at", Kind::Time),
        col("updated_at", Kind::Time),
        opt("completed_at", Kind::Time),
        opt("deleted_at", Kind::Time),
        opt("profile_id", Kind::Id),
        opt("round_id", Kind::Id),
    ],
);

pub const FULL_PROFILES: Table = table(
    "full_profiles",
    &[
        col("id", Kind::Id),
        col("mode", Kind::Enum(MODES)),
        opt("group_label", Kind::Line(GROUP_LABEL)),
        opt("note", Kind::Prose(NOTE)),
        col("created_at", Kind::Time),
        col("updated_at", Kind::Time),
        opt("deleted_at", Kind::Time),
    ],
);

pub const GENERATED_QUESTIONS: Table = table(
    "generated_questions",
    &[
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
);

pub const COACH_REPORTS: Table = table(
    "coach_reports",
    &[
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
);

pub const GOALS: Table = table(
    "goals",
    &[
        col("id", Kind::Id),
        col("assessment_id", Kind::Id),
        col("pillar", Kind::Text(KEY)),
        col("mode", Kind::Enum(MODES)),
        col("force", Kind::Text(KEY)),
        opt("group_label", Kind::Line(GROUP_LABEL)),
        // (Prose: titles from before lines were enforced may hold line breaks.)
        col("title", Kind::Prose(GOAL_TITLE)),
        col("practice", Kind::Prose(GOAL_PRACTICE)),
        col(
            "practice_source",
            Kind::Enum(&["recommendation", "passage", "report", "own"]),
        ),
        opt("practice_ref", Kind::Text(KEY)),
        opt("baseline", Kind::Score),
        col("review_on", Kind::Text(10)),
        col("status", Kind::Enum(&["active", "done", "dropped"])),
        opt("closed_reason", Kind::Prose(GOAL_CLOSED_REASON)),
        opt("closed_at", Kind::Time),
        col("created_at", Kind::Time),
        col("updated_at", Kind::Time),
        opt("deleted_at", Kind::Time),
    ],
);

pub const GOAL_CHECKINS: Table = table(
    "goal_checkins",
    &[
        col("id", Kind::Id),
        col("goal_id", Kind::Id),
        col("rating", Kind::Int(5)),
        opt("note", Kind::Prose(CHECKIN_NOTE)),
        col("created_at", Kind::Time),
        col("updated_at", Kind::Time),
        opt("deleted_at", Kind::Time),
    ],
);

/// Only conversations the person chose to sync go to the account (a conversation is private by default).
pub const CONVERSATIONS: Table = Table {
    shared_only: Some("synced = 1"),
    ..table(
        "conversations",
        &[
            col("id", Kind::Id),
            col("title", Kind::Line(CONVERSATION_TITLE)),
            col("context", Kind::Json(4_000)),
            col("created_at", Kind::Time),
            col("updated_at", Kind::Time),
            opt("deleted_at", Kind::Time),
        ],
    )
};

/// The messages of the conversations that sync.
pub const MESSAGES: Table = Table {
    shared_only: Some("conversation_id IN (SELECT id FROM conversations WHERE synced = 1)"),
    ..table(
        "messages",
        &[
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
    )
};

/// Every synced table, parents before children (the order an import writes them in and a pull reads them).
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

/// The tables a pull reads, parents before children: every synced table, with the server's `answers` (an
/// assessment's answers, one server row per question) right after the table whose answers they are.
pub fn pull_order() -> &'static [&'static str] {
    static ORDER: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        let mut out = Vec::new();
        for t in TABLES {
            out.push(t.name);
            if t.cols.iter().any(|c| matches!(c.kind, Kind::Answers)) {
                out.push("answers");
            }
        }
        out
    });
    &ORDER
}

/// The synced tables "Delete all my data" empties, children before parents.
pub fn deleted_with_my_data() -> impl Iterator<Item = &'static Table> {
    TABLES
        .iter()
        .rev()
        .copied()
        .filter(|t| t.delete_with_my_data)
}

/// The window's text limits, as TypeScript: `LIMITS.<table>.<column>` is the most characters a person may
/// type there (every text column of every synced table).
pub fn limits_typescript() -> String {
    let mut out = String::from(
        "/** The most characters a person may type in each text column of the synced tables (from records.rs). */\n\
         export const LIMITS = {\n",
    );
    for t in TABLES {
        let cols: Vec<String> = t
            .cols
            .iter()
            .filter_map(|c| t.max_chars(c.name).map(|n| format!("{}: {n}", c.name)))
            .collect();
        if !cols.is_empty() {
            out.push_str(&format!("  {}: {{ {} }},\n", t.name, cols.join(", ")));
        }
    }
    out.push_str("} as const;\n");
    out
}

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
