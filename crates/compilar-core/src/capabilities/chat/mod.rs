//! Coach chat: persistent conversations with the coach, streamed answers with Stop, the user's chosen results
//! as context, passages retrieved for each question (cited and checked like a report's), a token budget that
//! leaves out the oldest messages first and says so, and, without a model, answers quoted from the knowledge
//! base. Conversations can be renamed, deleted (with undo), searched (FTS5 over every message) and exported.

pub mod dto;
pub mod sql;

use std::fmt::Write as _;
use std::time::Instant;

use crate::capabilities::coach::dto::ReportStatus;
use crate::capabilities::coach::{offline, offline_notice, passage, prompts, stream};
use crate::capabilities::knowledge::dto::{SearchHit, SearchRequest};
use crate::capabilities::knowledge::search as fts;
use crate::ctx::Ctx;
use crate::domain::Results;
use crate::error::{Error, Result};
use crate::jobs::JobKind;
use crate::llm::{ChatMessage, Feature, Passage, Role, StreamEvent, Usage};
use crate::util::{new_id, now, parse_id};
use dto::*;

/// Longest message a person may send.
pub const MAX_MESSAGE_CHARS: usize = 8_000;
/// Longest conversation title.
pub const MAX_TITLE_CHARS: usize = 120;
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

/// A new answer, before the fields of whoever wrote it are filled in.
fn answer_base(conversation: &str) -> Message {
    Message {
        id: new_id().to_string(),
        conversation_id: conversation.to_owned(),
        seq: 0,
        role: Role::Assistant,
        content: String::new(),
        status: ReportStatus::Complete,
        writer: Some(AnswerWriter::Model),
        provider: None,
        provider_label: None,
        model: None,
        passages: Vec::new(),
        citations: Vec::new(),
        notice: None,
        error: None,
        usage: Usage::default(),
        trimmed: 0,
        created_at: now(),
    }
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

    /// Asks the coach: the question is stored at once, then the answer streams to `sink` (`started`, `token`s,
    /// `citation`s, then `done` once it is stored, or `error`). A stopped answer is kept, marked stopped; one
    /// cut off by an error is kept, marked error (never as complete). With no model, or none that can start,
    /// the knowledge base answers (labelled, with why).
    pub async fn send<F>(&self, req: SendRequest, sink: F) -> Result<SendReply>
    where
        F: Fn(StreamEvent) + Send + Sync,
    {
        let text = req.text.trim();
        if text.is_empty() {
            return Err(Error::EmptyInput("Write a question first.".into()));
        }
        if req.text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(Error::PayloadTooLarge {
                what: "message",
                max: MAX_MESSAGE_CHARS,
                unit: "characters",
            });
        }
        let exclude = req.exclude.unwrap_or_default();
        crate::validate::check_exclude(&exclude)?;
        let row = self.row(&req.conversation_id, true).await?;
        let cid = row.id.clone();
        let (history, count) = {
            let cid = cid.clone();
            self.ctx
                .store
                .read(move |c| Ok((sql::messages(c, &cid)?, sql::count(c, &cid)?)))
                .await?
        };
        if count + 2 > MAX_MESSAGES {
            return Err(Error::PayloadTooLarge {
                what: "conversation",
                max: MAX_MESSAGES as usize,
                unit: "messages; start a new one",
            });
        }
        let job = self.ctx.jobs.start(
            JobKind::Chat,
            &cid,
            "The coach is answering",
            Some(row.title.clone()),
            |_| "The coach is still answering in this conversation.".into(),
        )?;
        let mut question = Message {
            role: Role::User,
            writer: None,
            content: text.to_owned(),
            ..answer_base(&cid)
        };
        // A conversation still under its default name is named after its first question.
        let title = (count == 0 && row.title == DEFAULT_TITLE).then(|| title_from(text));
        let (who, mut q) = (self.ctx.principal.clone(), question.clone());
        question = self
            .ctx
            .store
            .write(move |c| {
                let t = now();
                sql::insert_message(c, &who, &mut q, &t)?;
                if let Some(title) = &title {
                    sql::update_conversation(
                        c,
                        &who,
                        &q.conversation_id,
                        Some(title),
                        None,
                        None,
                        &t,
                    )?;
                }
                Ok(q)
            })
            .await?;
        let answer = self
            .answer(
                &row,
                &history,
                text,
                &exclude,
                req.offline == Some(true),
                job.token(),
                &sink,
            )
            .await?;
        drop(job);
        Ok(SendReply {
            question: Some(question),
            answer,
        })
    }

    /// Writes the answer to the last question again (after a stop, an error or a refusal, or on another
    /// provider). A new complete answer replaces the previous one; one that is stopped or fails is added after
    /// it, so nothing the user had is lost.
    pub async fn regenerate<F>(&self, req: RegenerateRequest, sink: F) -> Result<SendReply>
    where
        F: Fn(StreamEvent) + Send + Sync,
    {
        let exclude = req.exclude.unwrap_or_default();
        crate::validate::check_exclude(&exclude)?;
        let row = self.row(&req.conversation_id, true).await?;
        let cid = row.id.clone();
        let messages = {
            let cid = cid.clone();
            self.ctx.store.read(move |c| sql::messages(c, &cid)).await?
        };
        let Some(qi) = messages.iter().rposition(|m| m.role == Role::User) else {
            return Err(Error::NothingToRegenerate);
        };
        let previous: Vec<String> = messages[qi + 1..].iter().map(|m| m.id.clone()).collect();
        let job = self.ctx.jobs.start(
            JobKind::Chat,
            &cid,
            "The coach is answering",
            Some(row.title.clone()),
            |_| "The coach is still answering in this conversation.".into(),
        )?;
        let question = messages[qi].content.clone();
        let answer = self
            .answer(
                &row,
                &messages[..qi],
                &question,
                &exclude,
                req.offline == Some(true),
                job.token(),
                &sink,
            )
            .await?;
        if answer
            .as_ref()
            .is_some_and(|a| a.status == ReportStatus::Complete)
            && !previous.is_empty()
        {
            self.ctx
                .store
                .write(move |c| {
                    let t = now();
                    for id in &previous {
                        sql::delete_message(c, id, &t)?;
                    }
                    Ok(())
                })
                .await?;
        }
        drop(job);
        Ok(SendReply {
            question: None,
            answer,
        })
    }

    /// Writes, stores and announces the answer to `question` given the messages before it.
    #[allow(clippy::too_many_arguments)]
    async fn answer(
        &self,
        row: &sql::ConversationRow,
        before: &[Message],
        question: &str,
        exclude: &[String],
        offline: bool,
        cancel: &tokio_util::sync::CancellationToken,
        sink: &(dyn Fn(StreamEvent) + Send + Sync),
    ) -> Result<Option<Message>> {
        let started = Instant::now();
        let results: Vec<Results> = self
            .context_items(&row.context, false)
            .await?
            .into_iter()
            .filter_map(|(_, r)| r)
            .collect();
        // A wider net, then only what fits the results the conversation is about.
        let found = self
            .ctx
            .knowledge()
            .search(SearchRequest {
                query: question.chars().take(fts::MAX_QUERY_CHARS).collect(),
                count: Some(PASSAGES_PER_QUESTION * 3),
                ..SearchRequest::default()
            })
            .await?
            .hits;
        let hits = about_these_results(found, &results);
        let base = answer_base(&row.id);
        if offline {
            return self
                .knowledge_answer(base, &hits, &results, None, started, sink)
                .await
                .map(Some);
        }
        let passages: Vec<Passage> = hits
            .iter()
            .take(PASSAGES_PER_QUESTION as usize)
            .enumerate()
            .map(|(i, h)| passage(i as u32 + 1, h))
            .collect();
        let history: Vec<ChatMessage> = before
            .iter()
            .filter(|m| m.status != ReportStatus::Error && !m.content.is_empty())
            .map(|m| ChatMessage {
                role: m.role,
                content: m.content.clone(),
            })
            .collect();
        let chat = prompts::chat(
            &self.ctx.domain.framework,
            &results,
            &passages,
            &history,
            question,
        );
        let streamed = stream::stream_cited(
            &self.ctx.llm,
            Feature::CoachChat,
            &chat.prompt,
            exclude,
            cancel,
            &passages,
            sink,
        )
        .await;
        let answer = match streamed.ending {
            stream::Ending::Written(w) => Message {
                status: w.status,
                provider: Some(w.provider),
                provider_label: Some(w.provider_label),
                model: Some(w.model),
                content: w.content,
                citations: w.cited,
                passages: w.passages,
                error: w.error,
                usage: w.usage,
                trimmed: chat.trimmed,
                ..base
            },
            stream::Ending::Nothing => {
                sink(streamed.last);
                return Ok(None);
            }
            stream::Ending::NoModel(error) => {
                let notice = offline_notice(&error).replace(
                    "so the offline coach wrote this report",
                    "so this answer quotes the knowledge base",
                );
                return self
                    .knowledge_answer(base, &hits, &results, Some(notice), started, sink)
                    .await
                    .map(Some);
            }
        };
        let stored = self.store(answer).await?;
        sink(streamed.last);
        Ok(Some(stored))
    }

    async fn store(&self, m: Message) -> Result<Message> {
        let who = self.ctx.principal.clone();
        let mut m = m;
        self.ctx
            .store
            .write(move |c| {
                sql::insert_message(c, &who, &mut m, &now())?;
                Ok(m)
            })
            .await
    }

    /// An answer without a model: the closest passages that are good matches, those on the shared results'
    /// pillars first, quoted, as one stream.
    async fn knowledge_answer(
        &self,
        base: Message,
        hits: &[SearchHit],
        results: &[Results],
        notice: Option<String>,
        started: Instant,
        sink: &(dyn Fn(StreamEvent) + Send + Sync),
    ) -> Result<Message> {
        let mut good: Vec<&SearchHit> = hits.iter().filter(|h| good_enough_to_quote(h)).collect();
        // Stable: within each group the search's order stays.
        good.sort_by_key(|h| {
            !results
                .iter()
                .any(|r| h.pillar.as_deref() == Some(r.pillar.as_str()))
        });
        let quoted: Vec<Passage> = good
            .into_iter()
            .take(KNOWLEDGE_QUOTES)
            .enumerate()
            .map(|(i, h)| passage(i as u32 + 1, h))
            .collect();
        let content = offline::knowledge_answer(&quoted);
        sink(StreamEvent::Started {
            provider: KNOWLEDGE_PROVIDER.into(),
            provider_label: KNOWLEDGE_LABEL.into(),
            model: KNOWLEDGE_MODEL.into(),
            fallback_from: Vec::new(),
        });
        let ttft = started.elapsed();
        sink(StreamEvent::Token {
            text: content.clone(),
        });
        for p in &quoted {
            sink(StreamEvent::Citation {
                number: p.number,
                passage: p.clone(),
            });
        }
        let m = Message {
            writer: Some(AnswerWriter::Knowledge),
            provider: None,
            provider_label: None,
            model: None,
            content,
            citations: quoted.iter().map(|p| p.number).collect(),
            passages: quoted,
            notice,
            ..base
        };
        let stored = self.store(m).await?;
        sink(StreamEvent::Done {
            provider: KNOWLEDGE_PROVIDER.into(),
            provider_label: KNOWLEDGE_LABEL.into(),
            model: KNOWLEDGE_MODEL.into(),
            usage: Usage::default(),
            latency_ms: started.elapsed().as_millis() as u64,
            ttft_ms: ttft.as_millis() as u64,
        });
        Ok(stored)
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

    /// Writes [`Chat::export`] to `path` (a file the user chose).
    pub async fn save(
        &self,
        id: &str,
        format: ExportFormat,
        path: &std::path::Path,
        overwrite: crate::output::Overwrite,
    ) -> Result<()> {
        let path = crate::output::check(&self.ctx.paths, path, overwrite)?;
        let text = self.export(id, format).await?;
        crate::output::write_file(&self.ctx.paths, &path, text.into_bytes()).await
    }

    /// A conversation as Markdown (for people) or JSON (the stored messages, schema version 1).
    pub async fn export(&self, id: &str, format: ExportFormat) -> Result<String> {
        let v = self.open(id).await?;
        match format {
            ExportFormat::Json => serde_json::to_string_pretty(&serde_json::json!({
                "schema_version": 1,
                "conversation": v.conversation,
                "messages": v.messages,
            }))
            .map_err(|e| Error::Internal(format!("chat JSON: {e}"))),
            ExportFormat::Markdown => Ok(markdown(&v)),
        }
    }
}

fn markdown(v: &ConversationView) -> String {
    let c = &v.conversation;
    let mut out = format!("# {}\n\n", c.title);
    let _ = writeln!(
        out,
        "Started {}.",
        &c.created_at[..10.min(c.created_at.len())]
    );
    if !c.context.is_empty() {
        let items: Vec<String> = c
            .context
            .iter()
            .map(|i| {
                format!(
                    "{} ({}){}",
                    i.pillar_name,
                    i.mode,
                    i.pillar_score.map_or(String::new(), |s| format!(
                        ", {}/100",
                        crate::domain::Pts(s)
                    ))
                )
            })
            .collect();
        let _ = writeln!(out, "Results shared with the coach: {}.", items.join("; "));
    }
    for m in &v.messages {
        let who = match (m.role, m.writer) {
            (Role::User, _) => "You".to_owned(),
            (_, Some(AnswerWriter::Knowledge)) => "Coach (knowledge base, no model)".to_owned(),
            _ => format!(
                "Coach ({} \u{b7} {})",
                m.provider_label.as_deref().unwrap_or("a model"),
                m.model.as_deref().unwrap_or("")
            ),
        };
        let status = match m.status {
            ReportStatus::Complete => "",
            ReportStatus::Stopped => " \u{2014} stopped before it was finished",
            ReportStatus::Error => " \u{2014} ended with an error before it was finished",
        };
        let _ = writeln!(
            out,
            "\n## {who}, {}{status}\n",
            m.created_at
                .replace('T', " ")
                .get(..16)
                .unwrap_or(&m.created_at)
        );
        // Saved in a file: no link, image or HTML in it can act when it is opened.
        out.push_str(crate::util::inert_markdown(&m.content).trim_end());
        out.push('\n');
        let cited: Vec<&Passage> = m
            .citations
            .iter()
            .filter_map(|n| m.passages.get(*n as usize - 1))
            .collect();
        if !cited.is_empty() {
            out.push_str("\nSources:\n");
            for p in cited {
                let _ = writeln!(
                    out,
                    "- [{}] {} \u{2014} {}",
                    p.number, p.title, p.source_title
                );
            }
        }
    }
    out
}

/// The hits that fit the results a conversation is about: none written for the other mode (a hierarchical
/// passage says little about an egalitarian result). Without shared results, all of them.
fn about_these_results(hits: Vec<SearchHit>, results: &[Results]) -> Vec<SearchHit> {
    if results.is_empty() {
        return hits;
    }
    hits.into_iter()
        .filter(|h| match h.mode.as_deref() {
            Some(m) => results.iter().any(|r| r.mode == m),
            None => true,
        })
        .collect()
}

/// Whether a hit is close enough to quote as an answer: a strong or related match (the built-in model's
/// calibrated levels); with another model, whose levels are not calibrated, a similarity of at least
/// [`offline::KNOWLEDGE_ANSWER_MIN_SIMILARITY`].
fn good_enough_to_quote(h: &SearchHit) -> bool {
    use crate::capabilities::knowledge::search::MatchStrength;
    match h.strength {
        MatchStrength::Strong | MatchStrength::Related => true,
        MatchStrength::Weak => false,
        MatchStrength::ByMeaning => h.similarity >= offline::KNOWLEDGE_ANSWER_MIN_SIMILARITY,
    }
}
