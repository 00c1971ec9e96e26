//! Rows between this computer's tables and the server's: the same columns but for the sync ones
//! (`updated_at` is the server's `client_updated_at`, the writer's device travels with the row), JSON columns
//! as JSON, and an assessment's answers as one server row per question.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::store::records::{Kind, Record, Table};

/// The namespace of answer ids: an answer's id is the UUIDv5 of "assessment id/question id" in it, the same on
/// every device, so two devices' answers to one question are one server row.
const ANSWER_NS: uuid::Uuid = uuid::uuid!("6f0b2c0e-6a56-4f36-9a53-2f0f2d0c1a77");

pub(crate) fn answer_id(assessment_id: &str, question_id: &str) -> String {
    uuid::Uuid::new_v5(
        &ANSWER_NS,
        format!("{assessment_id}/{question_id}").as_bytes(),
    )
    .to_string()
}

/// A local record as the server row of the same table (for assessments without the answers).
pub(crate) fn to_server(t: &Table, mut rec: Record, device: &str) -> Record {
    if let Some(at) = rec.remove("updated_at") {
        rec.insert("client_updated_at".into(), at);
    }
    if t.name == "assessments" {
        rec.remove("responses");
    }
    rec.insert("updated_by_device".into(), Value::String(device.to_owned()));
    rec
}

/// The answers of a local assessment record as server rows.
pub(crate) fn answers_of(rec: &Record, device: &str) -> Vec<Value> {
    let Some(id) = rec.get("id").and_then(Value::as_str) else {
        return Vec::new();
    };
    let Some(answers) = rec.get("responses").and_then(Value::as_object) else {
        return Vec::new();
    };
    answers
        .iter()
        .filter_map(|(q, a)| {
            let value = a.get("value")?.as_i64()?;
            let at = a.get("at")?.as_str()?;
            Some(serde_json::json!({
                "id": answer_id(id, q),
                "assessment_id": id,
                "question_id": q,
                "value": value,
                "created_at": at,
                "client_updated_at": at,
                "updated_by_device": device,
                "deleted_at": null,
            }))
        })
        .collect()
}

/// A time from the server (PostgreSQL writes `2026-12-01T10:00:00.123+00:00`) in this computer's form
/// (`2026-12-01T10:00:00.123Z`, which sorts as text). `None`: not a time.
pub(crate) fn local_time(v: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(v).ok().map(|t| {
        t.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    })
}

/// A server row as a local record of `t`, and the device that wrote it. The server's own columns and columns
/// this release does not keep are dropped; `None` when the row is not an object or lacks its clock.
pub(crate) fn to_local(t: &Table, row: &Value) -> Option<(Record, String)> {
    let obj = row.as_object()?;
    let device = obj.get("updated_by_device")?.as_str()?.to_owned();
    let mut rec = Map::new();
    for c in t.cols {
        let key = if c.name == "updated_at" {
            "client_updated_at"
        } else {
            c.name
        };
        let v = obj.get(key).cloned().unwrap_or(Value::Null);
        let v = match (c.kind, &v) {
            (Kind::Time, Value::String(s)) => Value::String(local_time(s)?),
            _ => v,
        };
        rec.insert(c.name.to_owned(), v);
    }
    Some((rec, device))
}

/// Rows of one table as `push_changes` reads them fastest: `{"columns": [...], "rows": [[...], ...]}`, each
/// row an array in the order of `columns` (every key any row has; a key a row lacks is null).
pub(crate) fn columnar(rows: Vec<Value>) -> Value {
    let mut columns: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for row in &rows {
        if let Value::Object(m) = row {
            for k in m.keys() {
                if seen.insert(k.clone()) {
                    columns.push(k.clone());
                }
            }
        }
    }
    let arrays: Vec<Value> = rows
        .into_iter()
        .map(|row| match row {
            Value::Object(mut m) => Value::Array(
                columns
                    .iter()
                    .map(|c| m.remove(c).unwrap_or(Value::Null))
                    .collect(),
            ),
            _ => Value::Array(vec![Value::Null; columns.len()]),
        })
        .collect();
    serde_json::json!({ "columns": columns, "rows": arrays })
}

/// The rows of a pulled page (`{"columns": [...], "rows": [[...], ...]}`) as objects keyed by column. `Err`:
/// what is wrong with the page's shape.
pub(crate) fn page_rows(page: Value) -> Result<Vec<Value>, &'static str> {
    let Value::Object(mut page) = page else {
        return Err("not an object");
    };
    let columns: Vec<String> = match page.remove("columns") {
        Some(Value::Array(c)) => c
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err("a column name that is not text"),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("no columns"),
    };
    let Some(Value::Array(rows)) = page.remove("rows") else {
        return Err("no rows");
    };
    rows.into_iter()
        .map(|row| match row {
            Value::Array(vals) if vals.len() == columns.len() => Ok(Value::Object(
                columns
                    .iter()
                    .cloned()
                    .zip(vals)
                    .collect::<Map<String, Value>>(),
            )),
            _ => Err("a row that does not match its columns"),
        })
        .collect()
}

/// Whether a row written at `(remote_at, remote_device)` wins over the local one written at `local_at` by
/// this device: later clock wins; on a tie the larger device id (the server's rule, so all sides agree).
pub(crate) fn remote_wins(
    remote_at: &str,
    remote_device: &str,
    local_at: &str,
    my_device: &str,
) -> bool {
    (remote_at, remote_device) > (local_at, my_device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_ids_are_the_same_everywhere_and_differ_per_question() {
        let a = answer_id("0193c1a0-0000-7000-8000-000000000001", "q1");
        assert_eq!(a, answer_id("0193c1a0-0000-7000-8000-000000000001", "q1"));
        assert_ne!(a, answer_id("0193c1a0-0000-7000-8000-000000000001", "q2"));
    }

    #[test]
    fn pushed_rows_travel_as_arrays_by_column() {
        let v = columnar(vec![
            serde_json::json!({"id": "a", "value": 1}),
            serde_json::json!({"id": "b", "note": "n"}),
        ]);
        assert_eq!(
            v,
            serde_json::json!({"columns": ["id", "value", "note"],
                               "rows": [["a", 1, null], ["b", null, "n"]]})
        );
        let back = page_rows(v).unwrap();
        assert_eq!(
            back[1],
            serde_json::json!({"id": "b", "value": null, "note": "n"})
        );
    }

    #[test]
    fn pulled_pages_become_rows_by_column() {
        let page = serde_json::json!({
            "columns": ["id", "value"], "rows": [["a", 1], ["b", null]], "more": false
        });
        let rows = page_rows(page).unwrap();
        assert_eq!(rows[0], serde_json::json!({"id": "a", "value": 1}));
        assert_eq!(rows[1], serde_json::json!({"id": "b", "value": null}));
        assert!(page_rows(serde_json::json!({"columns": ["id"], "rows": [["a", 1]]})).is_err());
        assert!(page_rows(serde_json::json!({"rows": []})).is_err());
        assert!(page_rows(serde_json::json!([])).is_err());
    }

    #[test]
    fn server_times_become_local_times() {
        assert_eq!(
            local_time("2026-12-01T10:00:00.1234+00:00").as_deref(),
            Some("2026-12-01T10:00:00.123Z")
        );
        assert_eq!(
            local_time("2026-12-01T11:00:00+01:00").as_deref(),
            Some("2026-12-01T10:00:00.000Z")
        );
        assert_eq!(local_time("yesterday"), None);
    }

    #[test]
    fn ties_go_to_the_larger_device() {
        assert!(remote_wins(
            "2026-12-01T10:00:00.001Z",
            "a",
            "2026-12-01T10:00:00.000Z",
            "z"
        ));
        assert!(!remote_wins(
            "2026-12-01T10:00:00.000Z",
            "a",
            "2026-12-01T10:00:00.000Z",
            "z"
        ));
        assert!(remote_wins(
            "2026-12-01T10:00:00.000Z",
            "z",
            "2026-12-01T10:00:00.000Z",
            "a"
        ));
        assert!(!remote_wins(
            "2026-12-01T10:00:00.000Z",
            "a",
            "2026-12-01T10:00:00.000Z",
            "a"
        ));
    }
}

/// The server's answer to one pushed batch (`push_changes`): how many rows it took and ignored (it had them
/// newer), the rows it refused, and whether this batch was new or a repeat of one it already applied (then the
/// counts are the first answer's).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PushAnswer {
    #[serde(default)]
    pub status: PushStatus,
    #[serde(default)]
    pub applied: u64,
    #[serde(default)]
    pub ignored: u64,
    #[serde(default)]
    pub rejected: Vec<RefusedRow>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PushStatus {
    #[default]
    Applied,
    Duplicate,
}

/// One row the server refused, with PostgreSQL's error code and message.
#[derive(Debug, Deserialize)]
pub(crate) struct RefusedRow {
    pub table: String,
    pub id: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}
