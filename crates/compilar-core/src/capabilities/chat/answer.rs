//! Answering in a conversation: a question sent (or asked again) with its passages and chosen results,
//! streamed from a model with Stop, or quoted from the knowledge base when no model is set up.

use std::time::Instant;

use super::dto::*;
use crate::capabilities::coach::dto::ReportStatus;
use crate::capabilities::coach::{offline_notice, passage, stream};
use crate::capabilities::knowledge::dto::{SearchHit, SearchRequest};
use crate::capabilities::knowledge::search as fts;
use crate::domain::Results;
use crate::error::{Error, Result};
use crate::jobs::JobKind;
use crate::llm::{ChatMessage, Feature, Passage, Role, StreamEvent, Usage};
use crate::util::{new_id, now};
use crate::writing::{offline, prompts};

use super::{
    sql, title_from, Chat, DEFAULT_TITLE, KNOWLEDGE_LABEL, KNOWLEDGE_MODEL, KNOWLEDGE_PROVIDER,
    KNOWLEDGE_QUOTES, MAX_MESSAGES, MAX_MESSAGE_CHARS, PASSAGES_PER_QUESTION,
};

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

impl Chat<'_> {
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
    pub(super) async fn answer(
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

    pub(super) async fn store(&self, m: Message) -> Result<Message> {
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
    pub(super) async fn knowledge_answer(
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
