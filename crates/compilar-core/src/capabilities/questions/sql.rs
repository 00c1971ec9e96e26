//! Fresh questions' SQL.

use rusqlite::{params, Connection};

use super::dto::GeneratedQuestion;
use crate::error::{Error, Result};
use crate::principal::Principal;

pub fn insert(c: &Connection, who: &Principal, q: &GeneratedQuestion) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO generated_questions (id, owner_id, pillar, mode, force, text, reverse, provider, model,
           created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
    )?
    .execute(params![
        q.id,
        who.owner(),
        q.pillar,
        q.mode,
        q.force,
        q.text,
        q.reverse,
        q.provider,
        q.model,
        q.created_at
    ])?;
    Ok(())
}

pub fn list(
    c: &Connection,
    who: &Principal,
    pillar: Option<&str>,
) -> Result<Vec<GeneratedQuestion>> {
    let mut st = c.prepare_cached(
        "SELECT id, pillar, mode, force, text, reverse, provider, model, created_at FROM generated_questions
         WHERE owner_id = ?1 AND deleted_at IS NULL AND (?2 IS NULL OR pillar = ?2)
         ORDER BY created_at, id",
    )?;
    let rows = st.query_map(params![who.owner(), pillar], |r| {
        Ok(GeneratedQuestion {
            id: r.get(0)?,
            pillar: r.get(1)?,
            mode: r.get(2)?,
            force: r.get(3)?,
            text: r.get(4)?,
            reverse: r.get(5)?,
            provider: r.get(6)?,
            model: r.get(7)?,
            created_at: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Fresh questions by id, removed ones included (an assessment that served one keeps it).
pub fn by_ids(c: &Connection, who: &Principal, ids: &[String]) -> Result<Vec<GeneratedQuestion>> {
    let mut st = c.prepare_cached(
        "SELECT id, pillar, mode, force, text, reverse, provider, model, created_at FROM generated_questions
         WHERE owner_id = ?1 AND id = ?2",
    )?;
    let mut out = Vec::new();
    for id in ids {
        let mut rows = st.query_map(params![who.owner(), id], |r| {
            Ok(GeneratedQuestion {
                id: r.get(0)?,
                pillar: r.get(1)?,
                mode: r.get(2)?,
                force: r.get(3)?,
                text: r.get(4)?,
                reverse: r.get(5)?,
                provider: r.get(6)?,
                model: r.get(7)?,
                created_at: r.get(8)?,
            })
        })?;
        if let Some(q) = rows.next() {
            out.push(q?);
        }
    }
    Ok(out)
}

pub fn remove(c: &Connection, who: &Principal, id: &str, now: &str) -> Result<()> {
    let n = c.execute(
        "UPDATE generated_questions SET deleted_at = ?3, updated_at = ?3
         WHERE id = ?1 AND owner_id = ?2 AND deleted_at IS NULL",
        params![id, who.owner(), now],
    )?;
    if n == 0 {
        return Err(Error::QuestionNotFound(id.to_owned()));
    }
    Ok(())
}
