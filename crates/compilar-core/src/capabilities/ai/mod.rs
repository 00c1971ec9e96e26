//! The AI capability: "try a prompt" (the playground in Settings), whole or streamed, with stop and "retry
//! with another provider". Later the coach's reports, chat and question generation join it.

pub mod dto;

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::jobs::{check_id, JobKind};
use crate::llm::{ChatAnswer, ChatMessage, Feature, Prompt, Role, StreamEvent};
use crate::validate::check_exclude;
use dto::AskRequest;

/// Longest prompt accepted from a person.
const MAX_PROMPT_CHARS: usize = 20_000;
const PLAYGROUND_SYSTEM: &str = "You are the assistant inside Compilar, a desktop app for understanding how groups \
coordinate, built on the PILAR framework (Prospects, Involved, Liked, Agency, Respect). Answer clearly and briefly, \
in Markdown.";

#[derive(Clone, Copy)]
pub struct Ai<'a> {
    ctx: &'a Ctx,
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn ai(&self) -> Ai<'_> {
        Ai::new(self)
    }
}

impl<'a> Ai<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Ai { ctx }
    }

    fn playground_prompt(&self, req: &AskRequest) -> Result<Prompt> {
        let text = req.prompt.trim();
        if text.is_empty() {
            return Err(Error::EmptyInput("Write a question first.".into()));
        }
        if req.prompt.chars().count() > MAX_PROMPT_CHARS {
            return Err(Error::PayloadTooLarge {
                what: "prompt",
                max: MAX_PROMPT_CHARS,
                unit: "characters",
            });
        }
        check_id(&req.request_id, "request")?;
        check_exclude(&req.exclude)?;
        Ok(Prompt {
            system: Some(PLAYGROUND_SYSTEM.to_owned()),
            messages: vec![ChatMessage {
                role: Role::User,
                content: text.to_owned(),
            }],
            max_tokens: 1024,
            temperature: None,
            schema: None,
        })
    }

    /// A whole answer to a prompt, from the first provider in the chain that can give one.
    pub async fn ask(&self, req: AskRequest) -> Result<ChatAnswer> {
        let prompt = self.playground_prompt(&req)?;
        self.ctx
            .llm
            .chat(Feature::Playground, &prompt, &req.exclude)
            .await
    }

    /// A streamed answer: events go to `sink` (ending with one `done` or `error`), and the last event is
    /// returned. Bad input fails before anything is sent. [`Ai::cancel_stream`] stops it.
    pub async fn ask_stream<F>(&self, req: AskRequest, sink: F) -> Result<StreamEvent>
    where
        F: Fn(StreamEvent) + Send + Sync,
    {
        let prompt = self.playground_prompt(&req)?;
        let job = self.ctx.jobs.start(
            JobKind::Stream,
            &req.request_id,
            "Answering a prompt",
            None,
            |_| "A stream with this request id is already running.".into(),
        )?;
        Ok(self
            .ctx
            .llm
            .stream(
                Feature::Playground,
                &prompt,
                &req.exclude,
                job.token(),
                &sink,
            )
            .await)
    }

    /// Stops a running stream. Returns whether one was running under that id.
    pub fn cancel_stream(&self, request_id: &str) -> bool {
        self.ctx.jobs.cancel(JobKind::Stream, request_id)
    }
}
