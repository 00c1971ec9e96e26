//! Coach chat: persistent conversations with the coach, streamed answers with Stop, the user's chosen results
//! as context, passages retrieved for each question (cited and checked like a report's), a token budget that
//! leaves out the oldest messages first and says so, and, without a model, answers quoted from the knowledge
//! base. Conversations can be renamed, deleted (with undo), searched (FTS5 over every message) and exported.

mod answer;
pub mod dto;
mod export;
pub mod sql;

use std::time::Instant;

use crate::capabilities::knowledge::search as fts;
use crate::ctx::Ctx;
use crate::domain::Results;
use crate::error::{Error, Result};
use crate::jobs::JobKind;
use crate::util::{new_id, now, parse_id};
use dto::*;

/// Longest message a person may send.
pub const MAX_MESSAGE_CHARS: usize = 8_000;
/// Longest conversation title.
pub const MAX_TITLE_CHARS: usize = crate::store::records::CONVERSATION_TITLE;
/// Most results included as context in one conversation.
pub const MAX_CONTEXT: usize = 5;
/// Most messages one conversation may hold.
pub const MAX_MESSAGES: u32 = 10_000;
/// Passages retrieved for each question.
const PASSAGES_PER_QUESTION: u32 = 4;
/// Passages quoted when the knowledge base answers.
const KNOWLEDGE_QUOTES: usize = 3;
/// Longest message search query.
const MAX_SEARCH_CHARS: usize = 500;

/// The provider id and label a knowledge-base answer reports as in stream events.
pub const KNOWLEDGE_PROVIDER: &str = "knowledge";
const KNOWLEDGE_LABEL: &str = "Knowledge base";
const KNOWLEDGE_MODEL: &str = "quoted passages";

/// The name of a conversation started without one, until its first question names it.
const DEFAULT_TITLE: &str = "New conversation";

/// A title from a first question: its first line, at most 60 characters, cut at a word.
fn title_from(question: &str) -> String {
    let clean = crate::fields::without_hidden(question);
    let line = clean.lines().next().unwrap_or(&clean);
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = line.as_str();
    if line.chars().count() <= 60 {
        return line.to_owned();
    }
    let cut: String = line.chars().take(60).collect();
    let at = cut.rfind(' ').filter(|&i| i > 20).unwrap_or(cut.len());
    format!("{}\u{2026}", cut[..at].trim_end())
}

/// The chat capability: a cheap view of the shared context.
#[derive(Clone, Copy)]
pub struct Chat<'a> {
    ctx: &'a Ctx,
}

fn check_title(title: &str) -> Result<String> {
    crate::fields::line(Some(title), "conversation name", MAX_TITLE_CHARS)?
        .ok_or_else(|| Error::EmptyInput("Give the conversation a name.".into()))
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn chat(&self) -> Chat<'_> {
        Chat::new(self)
    }
}

impl<'a> Chat<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Chat { ctx }
    }

    /// Checks and describes the assessments chosen as context (completed, the principal's).
    async fn context_items(
        &self,
        ids: &[String],
        strict: bool,
    ) -> Result<Vec<(ContextItem, Option<Results>)>> {
        if ids.len() > MAX_CONTEXT {
            return Err(Error::OutOfRange(format!(
                "At most {MAX_CONTEXT} results can be included in one conversation."
            )));
        }
        let fw = &self.ctx.domain.framework;
        let mut out = Vec::new();
        for id in ids {
            let id = parse_id(id)?.to_string();
            if out
                .iter()
                .any(|(c, _): &(ContextItem, _)| c.assessment_id == id)
            {
                continue;
            }
            let a = match self.ctx.assessments().get(&id).await {
                Ok(a) => a,
                Err(e) if !strict && e.code() == "assessment_not_found" => continue,
                Err(e) => return Err(e),
            };
            let available = a.deleted_at.is_none() && a.results.is_some();
            if strict && a.deleted_at.is_some() {
                return Err(Error::AssessmentDeleted);
            }
            if strict && a.results.is_none() {
                return Err(Error::AssessmentNotCompleted);
            }
            out.push((
                ContextItem {
                    pillar_name: fw
                        .pillar(&a.pillar)
                        .map_or(a.pillar.clone(), |p| p.name.clone()),
                    pillar: a.pillar,
                    mode: a.mode,
                    pillar_score: a.results.as_ref().map(|r| r.pillar_score),
                    completed_at: a.completed_at,
                    assessment_id: a.id,
                    available,
                },
                if available { a.results } else { None },
            ));
        }
        Ok(out)
    }

    async fn conversation_of(&self, row: sql::ConversationRow) -> Result<Conversation> {
        let context = self
            .context_items(&row.context, false)
            .await?
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        Ok(Conversation {
            id: row.id,
            title: row.title,
            context,
            created_at: row.created_at,
            updated_at: row.updated_at,
            deleted_at: row.deleted_at,
            synced: row.synced,
        })
    }

    /// Starts a conversation. With results as context and no title, it is named after the first of them.
    pub async fn create(&self, req: NewConversationRequest) -> Result<Conversation> {
        let context = self
            .context_items(req.context.as_deref().unwrap_or_default(), true)
            .await?;
        let title = match req.title.as_deref() {
            Some(t) => check_title(t)?,
            None => match context.first() {
                Some((c, _)) => format!("About {}", c.pillar_name),
                None => DEFAULT_TITLE.into(),
            },
        };
        let row = sql::ConversationRow {
            id: new_id().to_string(),
            title,
            context: context
                .iter()
                .map(|(c, _)| c.assessment_id.clone())
                .collect(),
            created_at: now(),
            updated_at: now(),
            synced: false,
            deleted_at: None,
        };
        let id = row.id.clone();
        let who = self.ctx.principal.clone();
        self.ctx
            .store
            .write(move |c| sql::insert_conversation(c, &who, &row))
            .await?;
        tracing::info!(conversation = %id, "conversation started");
        self.conversation(&id).await
    }

    async fn row(&self, id: &str, live: bool) -> Result<sql::ConversationRow> {
        let id = parse_id(id)?.to_string();
        let who = self.ctx.principal.clone();
        self.ctx
            .store
            .read(move |c| {
                if live {
                    sql::live_conversation(c, &who, &id)
                } else {
                    sql::conversation(c, &who, &id)
                }
            })
            .await
    }

    /// A conversation without its messages.
    pub async fn conversation(&self, id: &str) -> Result<Conversation> {
        let row = self.row(id, false).await?;
        self.conversation_of(row).await
    }

    /// A conversation with all its messages.
    pub async fn open(&self, id: &str) -> Result<ConversationView> {
        let row = self.row(id, true).await?;
        let cid = row.id.clone();
        let messages = self.ctx.store.read(move |c| sql::messages(c, &cid)).await?;
        Ok(ConversationView {
            running: self.ctx.jobs.get(JobKind::Chat, &row.id).is_some(),
            conversation: self.conversation_of(row).await?,
            messages,
            model_available: self.ctx.llm.any_usable().await?,
        })
    }

    /// The live conversations, most recently active first.
    pub async fn list(&self, req: ConversationListRequest) -> Result<ConversationPage> {
        let limit = req.limit.unwrap_or(50);
        if !(1..=100).contains(&limit) {
            return Err(Error::OutOfRange("Ask for 1 to 100 conversations.".into()));
        }
        let offset = req.offset.unwrap_or(0);
        let who = self.ctx.principal.clone();
        let (items, total) = self
            .ctx
            .store
            .read(move |c| sql::list(c, &who, limit, offset))
            .await?;
        Ok(ConversationPage { items, total })
    }

    pub async fn rename(&self, req: RenameRequest) -> Result<Conversation> {
        let title = check_title(&req.title)?;
        let row = self.row(&req.conversation_id, true).await?;
        let (who, id) = (self.ctx.principal.clone(), row.id.clone());
        self.ctx
            .store
            .write(move |c| {
                sql::update_conversation(c, &who, &id, Some(&title), None, None, &now())
            })
            .await?;
        self.conversation(&row.id).await
    }

    /// Turns syncing of this conversation on or off (off by default: coach conversations stay on this
    /// computer unless their owner says otherwise). Turning it off stops sending changes; what the project
    /// already has stays there.
    pub async fn set_synced(&self, req: SyncConversationRequest) -> Result<Conversation> {
        let row = self.row(&req.conversation_id, false).await?;
        let (who, id, on) = (self.ctx.principal.clone(), row.id.clone(), req.synced);
        self.ctx
            .store
            .write(move |c| sql::set_synced(c, &who, &id, on, &now()))
            .await?;
        self.conversation(&row.id).await
    }

    /// Chooses which results the coach sees from the next answer on.
    pub async fn set_context(&self, req: SetContextRequest) -> Result<Conversation> {
        let context: Vec<String> = self
            .context_items(&req.context, true)
            .await?
            .into_iter()
            .map(|(c, _)| c.assessment_id)
            .collect();
        let row = self.row(&req.conversation_id, true).await?;
        let (who, id) = (self.ctx.principal.clone(), row.id.clone());
        self.ctx
            .store
            .write(move |c| {
                sql::update_conversation(c, &who, &id, None, Some(&context), None, &now())
            })
            .await?;
        self.conversation(&row.id).await
    }

    /// Moves a conversation to the bin; [`Chat::restore`] undoes it.
    pub async fn delete(&self, id: &str) -> Result<ConversationRef> {
        let row = self.row(id, true).await?;
        self.ctx.jobs.cancel(JobKind::Chat, &row.id);
        let (who, cid) = (self.ctx.principal.clone(), row.id.clone());
        self.ctx
            .store
            .write(move |c| {
                let t = now();
                sql::update_conversation(c, &who, &cid, None, None, Some(Some(&t)), &t)
            })
            .await?;
        Ok(ConversationRef { id: row.id })
    }

    pub async fn restore(&self, id: &str) -> Result<Conversation> {
        let row = self.row(id, false).await?;
        if row.deleted_at.is_none() {
            return Err(Error::NotDeleted);
        }
        let (who, cid) = (self.ctx.principal.clone(), row.id.clone());
        self.ctx
            .store
            .write(move |c| sql::update_conversation(c, &who, &cid, None, None, Some(None), &now()))
            .await?;
        self.conversation(&row.id).await
    }

    /// Stops the answer being written in a conversation. Whether one was running.
    pub fn cancel(&self, conversation_id: &str) -> bool {
        self.ctx.jobs.cancel(JobKind::Chat, conversation_id.trim())
    }

    /// Full-text search over every message of the user's live conversations: messages with all the words
    /// (or, when none has them all, any of them), the best of the newest matches first
    /// ([`sql::RANKED_WINDOW`]).
    pub async fn search(&self, req: MessageSearchRequest) -> Result<MessageSearchReply> {
        let started = Instant::now();
        let q = req.query.trim();
        if q.is_empty() {
            return Err(Error::EmptyInput("Type something to search for.".into()));
        }
        if req.query.chars().count() > MAX_SEARCH_CHARS {
            return Err(Error::PayloadTooLarge {
                what: "search query",
                max: MAX_SEARCH_CHARS,
                unit: "characters",
            });
        }
        let limit = req.limit.unwrap_or(20);
        if !(1..=50).contains(&limit) {
            return Err(Error::OutOfRange("Ask for 1 to 50 results.".into()));
        }
        let terms = fts::terms(q);
        if terms.is_empty() {
            return Ok(MessageSearchReply {
                hits: Vec::new(),
                took_us: started.elapsed().as_micros() as u64,
            });
        }
        // Every word must occur (each quoted, so nothing typed is query syntax); if no message has them all,
        // any of them will do.
        let quoted: Vec<String> = terms
            .iter()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect();
        let all = quoted.join(" ");
        let any = quoted.join(" OR ");
        let who = self.ctx.principal.clone();
        let rows = self
            .ctx
            .store
            .read(move |c| {
                let found = sql::search(c, &who, &all, limit)?;
                if found.is_empty() && quoted.len() > 1 {
                    return sql::search(c, &who, &any, limit);
                }
                Ok(found)
            })
            .await?;
        let hits = rows
            .into_iter()
            .map(|f| MessageHit {
                snippet: fts::snippet(&f.content, &terms, 200),
                conversation_id: f.conversation_id,
                conversation_title: f.conversation_title,
                message_id: f.message_id,
                role: f.role,
                created_at: f.created_at,
            })
            .collect();
        Ok(MessageSearchReply {
            hits,
            took_us: started.elapsed().as_micros() as u64,
        })
    }
}
