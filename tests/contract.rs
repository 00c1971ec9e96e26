//! One contract per synced table: the registry in `store/records.rs` against the two schemas that must agree
//! with it, SQLite's (this computer) and the server's (the real migrations on a real PostgreSQL). Every column,
//! every text bound and every list of allowed words is compared; each mismatch is reported, all at once.

use std::collections::{BTreeMap, BTreeSet};

use compilar_core::store::records::{pull_order, Kind, Table, TABLES};
use rusqlite::Connection;

use crate::common;
use crate::supabase;

/// Columns a table has beyond its records: the owner (the principal, never part of a record) and, per table,
/// what only this computer keeps.
fn local_only(t: &Table) -> &'static [&'static str] {
    match t.name {
        // Whether a conversation goes to the account (a conversation is private until the person says so).
        "conversations" => &["owner_id", "synced"],
        // The row number the full-text index of messages refers to.
        "messages" => &["owner_id", "rid"],
        _ => &["owner_id"],
    }
}

/// Columns the server keeps beyond a record's: its own clock and the device that wrote the row.
const SERVER_ONLY: &[&str] = &[
    "owner_id",
    "updated_by_device",
    "server_xid",
    "server_updated_at",
];

/// A record's column as the server names it (`None`: the server keeps it elsewhere).
fn on_server(t: &Table, col: &str) -> Option<&'static str> {
    match (t.name, col) {
        (_, "updated_at") => Some("client_updated_at"),
        // An assessment's answers are the server's `answers` rows, one per question.
        ("assessments", "responses") => None,
        (_, c) => t.cols.iter().find(|x| x.name == c).map(|x| x.name),
    }
}

/// What a schema says of one column: its text bound and its allowed words, where it says so.
#[derive(Debug, Default, Clone, PartialEq)]
struct Rules {
    max_chars: Option<usize>,
    words: Option<BTreeSet<String>>,
}

/// The rules the CHECK constraints in `sql` (a CREATE TABLE statement or a list of constraint definitions)
/// state for each column: `length(c) <= n`, `length(c) between a and n`, `char_length(…)`, and `c in ('a', …)`
/// (PostgreSQL writes the last as `c = any (array['a'::text, …])`).
fn rules_in(sql: &str) -> BTreeMap<String, Rules> {
    let lower = sql.to_lowercase();
    let mut out: BTreeMap<String, Rules> = BTreeMap::new();
    let len = regex::Regex::new(
        r"(?:char_)?length\(\(?(\w+)\)?(?:::text)?\)\s*(?:<=\s*(\d+)|between\s+\d+\s+and\s+(\d+))",
    )
    .unwrap();
    for c in len.captures_iter(&lower) {
        let n: usize = c.get(2).or(c.get(3)).unwrap().as_str().parse().unwrap();
        out.entry(c[1].to_owned()).or_default().max_chars = Some(n);
    }
    let list = regex::Regex::new(r"\(?(\w+)\)?(?:::text)?\s+in\s*\(([^)]*)\)").unwrap();
    let any =
        regex::Regex::new(r"\(?(\w+)\)?(?:::text)?\s*=\s*any\s*\(\(?array\[([^\]]*)\]").unwrap();
    let word = regex::Regex::new(r"'([^']*)'").unwrap();
    for re in [&list, &any] {
        for c in re.captures_iter(&lower) {
            let words: BTreeSet<String> =
                word.captures_iter(&c[2]).map(|w| w[1].to_owned()).collect();
            if !words.is_empty() {
                out.entry(c[1].to_owned()).or_default().words = Some(words);
            }
        }
    }
    out
}

/// What the registry says of one column, in the same terms.
fn registry_rules(t: &Table, col: &str) -> Rules {
    let kind = t.cols.iter().find(|c| c.name == col).map(|c| c.kind);
    Rules {
        // A JSON column's bound is on its text form, in both schemas.
        max_chars: t.max_chars(col).or(match kind {
            Some(Kind::Json(n)) => Some(n),
            _ => None,
        }),
        words: match kind {
            Some(Kind::Enum(w)) => Some(w.iter().map(|s| (*s).to_owned()).collect()),
            _ => None,
        },
    }
}

/// Compares a schema's rules for `t` with the registry's: a bound or a word list the schema states must be
/// the registry's (a schema may leave a bound to the app: the registry is then the only one).
fn compare_rules(
    schema: &str,
    t: &Table,
    rules: &BTreeMap<String, Rules>,
    rename: impl Fn(&str) -> Option<&'static str>,
    problems: &mut Vec<String>,
) {
    for c in t.cols {
        let Some(name) = rename(c.name) else { continue };
        let Some(stated) = rules.get(name) else {
            continue;
        };
        let ours = registry_rules(t, c.name);
        if let Some(n) = stated.max_chars {
            if ours.max_chars != Some(n) {
                problems.push(format!(
                    "{schema}: {}.{name} is at most {n} characters there, {:?} in the registry",
                    t.name, ours.max_chars
                ));
            }
        }
        if let Some(w) = &stated.words {
            if ours.words.as_ref() != Some(w) {
                problems.push(format!(
                    "{schema}: {}.{name} allows {w:?} there, {:?} in the registry",
                    t.name, ours.words
                ));
            }
        }
    }
}

#[tokio::test]
async fn the_registry_matches_sqlites_schema() {
    let t = common::open().await;
    let dir = t.dir.path().to_owned();
    drop(t.app);
    let conn = Connection::open(dir.join("compilar.db")).unwrap();
    let mut problems = Vec::new();
    for table in TABLES {
        let mut st = conn
            .prepare("SELECT name, \"notnull\" FROM pragma_table_info(?1)")
            .unwrap();
        let have: BTreeMap<String, bool> = st
            .query_map([table.name], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(!have.is_empty(), "no table {} in SQLite", table.name);
        for c in table.cols {
            match have.get(c.name) {
                None => problems.push(format!("SQLite: {} has no column {}", table.name, c.name)),
                Some(&not_null) if not_null && c.null => problems.push(format!(
                    "SQLite: {}.{} is NOT NULL there, optional in the registry",
                    table.name, c.name
                )),
                _ => {}
            }
        }
        for name in have.keys() {
            if !table.cols.iter().any(|c| c.name == name)
                && !local_only(table).contains(&name.as_str())
            {
                problems.push(format!(
                    "SQLite: {}.{name} is not in the registry (nor kept only here)",
                    table.name
                ));
            }
        }
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table.name],
                |r| r.get(0),
            )
            .unwrap();
        compare_rules(
            "SQLite",
            table,
            &rules_in(&sql),
            |c| table.cols.iter().find(|x| x.name == c).map(|x| x.name),
            &mut problems,
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_registry_matches_the_servers_schema() {
    let Some(s) = supabase::start() else { return };
    let mut problems = Vec::new();
    for table in TABLES {
        let have: BTreeSet<String> = s
            .sql(&format!(
                "select column_name from information_schema.columns
                  where table_schema = 'public' and table_name = '{}'",
                table.name
            ))
            .lines()
            .map(str::to_owned)
            .collect();
        assert!(!have.is_empty(), "no table {} on the server", table.name);
        for c in table.cols {
            if let Some(name) = on_server(table, c.name) {
                if !have.contains(name) {
                    problems.push(format!("server: {} has no column {name}", table.name));
                }
            }
        }
        for name in &have {
            let known = table
                .cols
                .iter()
                .any(|c| on_server(table, c.name) == Some(name.as_str()));
            if !known && !SERVER_ONLY.contains(&name.as_str()) {
                problems.push(format!(
                    "server: {}.{name} is not in the registry (nor the server's own)",
                    table.name
                ));
            }
        }
        let checks = s.sql(&format!(
            "select string_agg(pg_get_constraintdef(c.oid), ' ; ') from pg_constraint c
              where c.conrelid = 'public.{}'::regclass and c.contype = 'c'",
            table.name
        ));
        compare_rules(
            "server",
            table,
            &rules_in(&checks),
            |c| on_server(table, c),
            &mut problems,
        );
    }
    // A pull reads the registry's tables in the server's own order (parents before children).
    let server_order: Vec<String> = s
        .sql("select unnest(public.sync_tables())")
        .lines()
        .map(str::to_owned)
        .collect();
    let ours: Vec<&str> = pull_order().to_vec();
    let theirs: Vec<&str> = server_order
        .iter()
        .map(String::as_str)
        .filter(|n| ours.contains(n))
        .collect();
    if ours != theirs {
        problems.push(format!(
            "the pull order is {ours:?}, the server's sync_tables() order {theirs:?}"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
