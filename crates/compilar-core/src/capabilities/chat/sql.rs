//! Coach chat's SQL: conversations, messages and the full-text index over messages.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::dto::{AnswerWriter, ConversationSummary, Message};
use crate::capabilities::coach::dto::ReportStatus;
use crate::error::{Error, Result};
use crate::llm::{Role, Usage};
use crate::principal::Principal;

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

pub(crate) fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(format!("chat JSON: {e}")))
}

/// A conversation row: id, title, context ids, times.
pub struct ConversationRow {
    pub id: String,
    pub title: String,
    pub context: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    /// Sent to the signed-in account's project (its owner turned it on).
    pub synced: bool,
}

pub fn insert_conversation(c: &Connection, who: &Principal, r: &ConversationRow) -> Result<()> {
    c.execute(
        "INSERT INTO conversations (id, owner_id, title, context, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![
            r.id,
            who.owner(),
            r.title,
            to_json(&r.context)?,
            r.created_at
        ],
    )?;
    Ok(())
}

/// The conversation, deleted or not; `conversation_not_found` if it is not the principal's.
pub fn conversation(c: &Connection, who: &Principal, id: &str) -> Result<ConversationRow> {
    c.prepare_cached(
        "SELECT id, title, context, created_at, updated_at, deleted_at, synced FROM conversations
         WHERE id = ?1 AND owner_id = ?2",
    )?
    .query_row(params![id, who.owner()], |r| {
        let context: String = r.get(2)?;
        Ok(ConversationRow {
            id: r.get(0)?,
            title: r.get(1)?,
            context: serde_json::from_str(&context).map_err(json_err)?,
            created_at: r.get(3)?,
            updated_at: r.get(4)?,
            deleted_at: r.get(5)?,
            synced: r.get(6)?,
        })
    })
    .optional()?
    .ok_or_else(|| Error::ConversationNotFound(id.to_owned()))
}

/// The conversation if it is live.
pub fn live_conversation(c: &Connection, who: &Principal, id: &str) -> Result<ConversationRow> {
    let row = conversation(c, who, id)?;
    if row.deleted_at.is_some() {
        return Err(Error::ConversationDeleted);
    }
    Ok(row)
}

pub fn update_conversation(
    c: &Connection,
    who: &Principal,
    id: &str,
    title: Option<&str>,
    context: Option<&[String]>,
    deleted_at: Option<Option<&str>>,
    now: &str,
) -> Result<()> {
    let context = context.map(to_json).transpose()?;
    let n = c.execute(
        "UPDATE conversations SET
            title = coalesce(?3, title),
            context = coalesce(?4, context),
            deleted_at = CASE WHEN ?5 THEN ?6 ELSE deleted_at END,
            updated_at = ?7
         WHERE id = ?1 AND owner_id = ?2",
        params![
            id,
            who.owner(),
            title,
            context,
            deleted_at.is_some(),
            deleted_at.flatten(),
            now
        ],
    )?;
    if n == 0 {
        return Err(Error::ConversationNotFound(id.to_owned()));
    }
    Ok(())
}

/// Turns syncing of one conversation on or off. Turning it on queues the conversation and its messages for the
/// next push (when this data folder is linked to an account).
pub fn set_synced(c: &Connection, who: &Principal, id: &str, on: bool, now: &str) -> Result<()> {
    let n = c.execute(
        "UPDATE conversations SET synced = ?3, updated_at = ?4 WHERE id = ?1 AND owner_id = ?2",
        params![id, who.owner(), on, now],
    )?;
    if n == 0 {
        return Err(Error::ConversationNotFound(id.to_owned()));
    }
    if on {
        c.execute(
            "INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
             SELECT 'messages', id, ?2 FROM messages
              WHERE conversation_id = ?1 AND EXISTS (SELECT 1 FROM sync_account) ORDER BY seq",
            params![id, now],
        )?;
    }
    Ok(())
}

pub fn list(
    c: &Connection,
    who: &Principal,
    limit: u32,
    offset: u32,
) -> Result<(Vec<ConversationSummary>, u32)> {
    let total: i64 = c.query_row(
        "SELECT count(*) FROM conversations WHERE owner_id = ?1 AND deleted_at IS NULL",
        [who.owner()],
        |r| r.get(0),
    )?;
    let mut st = c.prepare_cached(
        "SELECT v.id, v.title, json_array_length(v.context), v.updated_at,
            (SELECT count(*) FROM messages m WHERE m.conversation_id = v.id AND m.deleted_at IS NULL),
            (SELECT substr(m.content, 1, 160) FROM messages m WHERE m.conversation_id = v.id
               AND m.deleted_at IS NULL ORDER BY m.seq DESC LIMIT 1)
         FROM conversations v WHERE v.owner_id = ?1 AND v.deleted_at IS NULL
         ORDER BY v.updated_at DESC, v.id DESC LIMIT ?2 OFFSET ?3",
    )?;
    let rows = st.query_map(params![who.owner(), limit, offset], |r| {
        Ok(ConversationSummary {
            id: r.get(0)?,
            title: r.get(1)?,
            context: r.get::<_, i64>(2)? as u32,
            updated_at: r.get(3)?,
            messages: r.get::<_, i64>(4)? as u32,
            last: r.get(5)?,
        })
    })?;
    Ok((rows.collect::<std::result::Result<_, _>>()?, total as u32))
}

const MESSAGE_COLUMNS: &str = "id, conversation_id, seq, role, content, status, writer, provider, \
provider_label, model, passages, citations, notice, error, tokens_in, tokens_out, trimmed, created_at";

fn message(r: &Row<'_>) -> rusqlite::Result<Message> {
    let passages: String = r.get(10)?;
    let citations: String = r.get(11)?;
    let error: Option<String> = r.get(13)?;
    Ok(Message {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        seq: r.get::<_, i64>(2)? as u32,
        role: if r.get::<_, String>(3)? == "user" {
            Role::User
        } else {
            Role::Assistant
        },
        content: r.get(4)?,
        status: ReportStatus::parse(&r.get::<_, String>(5)?),
        writer: r.get::<_, Option<String>>(6)?.map(|w| {
            if w == "knowledge" {
                AnswerWriter::Knowledge
            } else {
                AnswerWriter::Model
            }
        }),
        provider: r.get(7)?,
        provider_label: r.get(8)?,
        model: r.get(9)?,
        passages: serde_json::from_str(&passages).map_err(json_err)?,
        citations: serde_json::from_str(&citations).map_err(json_err)?,
        notice: r.get(12)?,
        error: error
            .map(|e| serde_json::from_str(&e))
            .transpose()
            .map_err(json_err)?,
        usage: Usage {
            input_tokens: r.get::<_, i64>(14)? as u32,
            output_tokens: r.get::<_, i64>(15)? as u32,
        },
        trimmed: r.get::<_, i64>(16)? as u32,
        created_at: r.get(17)?,
    })
}

/// The live messages of a conversation, oldest first.
pub fn messages(c: &Connection, conversation: &str) -> Result<Vec<Message>> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 AND deleted_at IS NULL ORDER BY seq"
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([conversation], message)?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// How many live messages a conversation has.
pub fn count(c: &Connection, conversation: &str) -> Result<u32> {
    let n: i64 = c.query_row(
        "SELECT count(*) FROM messages WHERE conversation_id = ?1 AND deleted_at IS NULL",
        [conversation],
        |r| r.get(0),
    )?;
    Ok(n as u32)
}

/// Stores a message as the next in its conversation (its `seq` is set here) and touches the conversation.
pub fn insert_message(c: &Connection, who: &Principal, m: &mut Message, now: &str) -> Result<()> {
    let next: i64 = c.query_row(
        "SELECT coalesce(max(seq) + 1, 0) FROM messages WHERE conversation_id = ?1",
        [&m.conversation_id],
        |r| r.get(0),
    )?;
    m.seq = next as u32;
    c.prepare_cached(
        "INSERT INTO messages (id, conversation_id, owner_id, seq, role, content, status, writer, provider,
           provider_label, model, passages, citations, notice, error, tokens_in, tokens_out, trimmed,
           created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?19)",
    )?
    .execute(params![
        m.id,
        m.conversation_id,
        who.owner(),
        m.seq,
        match m.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        },
        m.content,
        m.status.as_str(),
        m.writer.map(|w| match w {
            AnswerWriter::Model => "model",
            AnswerWriter::Knowledge => "knowledge",
        }),
        m.provider,
        m.provider_label,
        m.model,
        to_json(&m.passages)?,
        to_json(&m.citations)?,
        m.notice,
        m.error.as_ref().map(to_json).transpose()?,
        m.usage.input_tokens,
        m.usage.output_tokens,
        m.trimmed,
        m.created_at,
    ])?;
    c.execute(
        "UPDATE conversations SET updated_at = ?2 WHERE id = ?1",
        params![m.conversation_id, now],
    )?;
    Ok(())
}

/// Tombstones a message.
pub fn delete_message(c: &Connection, id: &str, now: &str) -> Result<()> {
    c.execute(
        "UPDATE messages SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

/// A message found by [`search`].
pub struct Found {
    pub conversation_id: String,
    pub conversation_title: String,
    pub message_id: String,
    pub role: Role,
    pub content: String,
    pub created_at: String,
}

/// How many of the newest matches are ranked by relevance. Ranking every match of a common word over 100,000
/// messages costs 130 ms; the newest 2,000 cost a few.
pub const RANKED_WINDOW: u32 = 2_000;

/// Messages matching an FTS5 expression in the principal's live conversations: the newest
/// [`RANKED_WINDOW`] matches (read from the index in rowid order, which stops early), ranked by BM25, best
/// first; each then checked against its message and conversation (deleted ones, another owner's, left out).
pub fn search(c: &Connection, who: &Principal, fts: &str, limit: u32) -> Result<Vec<Found>> {
    let mut ranked: Vec<(i64, f64)> = {
        let mut st = c.prepare_cached(
            "SELECT rowid, bm25(messages_fts) FROM messages_fts WHERE messages_fts MATCH ?1
             ORDER BY rowid DESC LIMIT ?2",
        )?;
        let rows = st.query_map(params![fts, RANKED_WINDOW], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    // BM25 is lower for better matches; ties: newer first.
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    let mut st = c.prepare_cached(
        "SELECT m.conversation_id, v.title, m.id, m.role, m.content, m.created_at
         FROM messages m JOIN conversations v ON v.id = m.conversation_id
         WHERE m.rid = ?1 AND m.owner_id = ?2 AND m.deleted_at IS NULL AND v.deleted_at IS NULL",
    )?;
    let mut out = Vec::new();
    for (rid, _) in ranked {
        let found = st
            .query_row(params![rid, who.owner()], |r| {
                Ok(Found {
                    conversation_id: r.get(0)?,
                    conversation_title: r.get(1)?,
                    message_id: r.get(2)?,
                    role: if r.get::<_, String>(3)? == "user" {
                        Role::User
                    } else {
                        Role::Assistant
                    },
                    content: r.get(4)?,
                    created_at: r.get(5)?,
                })
            })
            .optional()?;
        if let Some(f) = found {
            out.push(f);
            if out.len() as u32 == limit {
                break;
            }
        }
    }
    Ok(out)
}
