//! The coach: coaching reports for completed assessments, written by a model through the provider chain
//! (streamed, grounded in knowledge-base passages, with citations checked against the passages sent) or by the
//! offline coach when no model is set up or reachable (or when the user asks for it).
//!
//! Prompts live in [`prompts`] (versioned), the rules-based coach in [`offline`], citation handling in
//! [`citations`], the SQL in [`sql`] and the types in [`dto`].

pub mod dto;
pub mod guidance;
pub mod sql;
pub(crate) mod stream;

use std::fmt::Write as _;
use std::time::Instant;

// The writing engine, named here too: `coach::prompts` and friends were its home before.
pub use crate::writing::{citations, offline, prompts};

use crate::capabilities::knowledge::dto::{SearchHit, SearchRequest};
use crate::ctx::Ctx;
use crate::domain::Results;
use crate::error::{Error, ErrorPayload, Result};
use crate::jobs::JobKind;
use crate::llm::{Feature, Passage, StreamEvent, Usage};
use crate::util::{new_id, now, parse_id};
use dto::*;

/// How similar (cosine, −1 to 1, with the active search model) one of the user's own passages must be to the
/// result's focus to be sent with a report. Below it a document is not "relevant" and is left out.
pub const DOCUMENT_MIN_SIMILARITY: f32 = 0.35;
/// Most passages from the user's documents sent with one report.
const MAX_DOCUMENT_PASSAGES: u32 = 2;

/// The provider id and label the offline coach reports as in stream events.
pub const OFFLINE_PROVIDER: &str = "offline";

/// One report to write: what it is about, the passages it is grounded in, the prompt a model gets, and the
/// offline coach's text for the same figures.
pub(crate) struct Writing {
    pub about: sql::Subject,
    pub passages: Vec<Passage>,
    pub prompt: crate::llm::Prompt,
    pub offline_text: String,
    /// Use the offline coach even when a model is available.
    pub offline: bool,
    /// Providers to skip.
    pub exclude: Vec<String>,
}

/// The coach capability: a cheap view of the shared context.
#[derive(Clone, Copy)]
pub struct Coach<'a> {
    ctx: &'a Ctx,
}

/// A search hit as passage `number` of a prompt.
pub(crate) fn passage(number: u32, h: &SearchHit) -> Passage {
    Passage {
        number,
        chunk_id: h.chunk_id,
        passage_id: h.passage_id.clone(),
        title: h.title.clone(),
        text: h.text.clone(),
        source_title: h.source.title.clone(),
        source_kind: h.source.kind.clone(),
        category: h.category.clone(),
        force: h.force.clone(),
    }
}

/// Why the offline coach wrote a report the user did not ask it for.
pub(crate) fn offline_notice(error: &ErrorPayload) -> String {
    match error.code.as_str() {
        "no_provider" => "No AI provider is set up, so the offline coach wrote this report.".into(),
        _ => format!(
            "No AI provider could answer ({}), so the offline coach wrote this report.",
            error.message.trim_end_matches('.')
        ),
    }
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn coach(&self) -> Coach<'_> {
        Coach::new(self)
    }
}

impl<'a> Coach<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Coach { ctx }
    }

    /// The results of a live, completed assessment of the acting principal.
    async fn results(&self, assessment_id: &str) -> Result<(String, Results)> {
        let id = parse_id(assessment_id)?.to_string();
        let (who, id2) = (self.ctx.principal.clone(), id.clone());
        self.ctx
            .store
            .read(move |c| sql::check_assessment(c, &who, &id2))
            .await?;
        let a = self.ctx.assessments().get(&id).await?;
        let r = a.results.ok_or(Error::AssessmentNotCompleted)?;
        Ok((id, r))
    }

    /// The passages a report on `r` is grounded in, numbered from 1: for each focus force and the strongest
    /// force, its passages (hybrid search filtered by mode, pillar and force); the pillar's reflection
    /// questions; the passages on the connections the report explains; and up to two passages of the user's
    /// own documents that are similar enough to the focus ([`DOCUMENT_MIN_SIMILARITY`]).
    pub async fn passages(&self, r: &Results) -> Result<Vec<Passage>> {
        let fw = &self.ctx.domain.framework;
        let kb = self.ctx.knowledge();
        let mut forces: Vec<&crate::domain::Force> =
            offline::focus(fw, r).into_iter().map(|(f, _)| f).collect();
        let scored = offline::scored(fw, r);
        if scored.len() > 1 {
            if let Some((top, _)) = scored.last() {
                if !forces.iter().any(|f| f.id == top.id) {
                    forces.push(top);
                }
            }
        }
        let base = |query: String| SearchRequest {
            query,
            mode: Some(r.mode.clone()),
            pillar: Some(r.pillar.clone()),
            source: Some("builtin".into()),
            ..SearchRequest::default()
        };
        let mut requests: Vec<SearchRequest> = forces
            .iter()
            .map(|f| SearchRequest {
                force: Some(f.id.clone()),
                count: Some(2),
                ..base(format!("{} {}", f.name, f.description))
            })
            .collect();
        let pillar_name = fw
            .pillar(&r.pillar)
            .map_or(r.pillar.clone(), |p| p.name.clone());
        requests.push(SearchRequest {
            category: Some("reflection".into()),
            count: Some(1),
            ..base(format!("{pillar_name} questions to reflect on"))
        });
        let ripples = offline::ripples(fw, r);
        if !ripples.is_empty() {
            requests.push(SearchRequest {
                category: Some("connection".into()),
                count: Some(ripples.len() as u32),
                ..base(
                    ripples
                        .iter()
                        .map(|c| format!("{} {}", c.name, c.explanation))
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            });
        }
        if let Some(f) = forces.first() {
            requests.push(SearchRequest {
                query: format!("{pillar_name}: {} {} {}", f.name, f.description, f.weak),
                source: Some("documents".into()),
                count: Some(MAX_DOCUMENT_PASSAGES),
                min_score: Some(DOCUMENT_MIN_SIMILARITY),
                ..SearchRequest::default()
            });
        }
        let mut out: Vec<Passage> = Vec::new();
        for req in requests {
            for h in kb.search(req).await?.hits {
                if !out.iter().any(|p| p.chunk_id == h.chunk_id) {
                    out.push(passage(out.len() as u32 + 1, &h));
                }
            }
        }
        Ok(out)
    }

    /// What a model report sends, built as [`Coach::report`] builds it (the results, the passages retrieved
    /// for them, the prompt), without sending it: for the benchmark of the time the app adds before a
    /// provider's first byte.
    #[doc(hidden)]
    pub async fn prompt_for(
        &self,
        assessment_id: &str,
    ) -> Result<(crate::llm::Prompt, Vec<Passage>)> {
        let (_, results) = self.results(assessment_id).await?;
        let passages = self.passages(&results).await?;
        Ok((
            prompts::report(&self.ctx.domain.framework, &results, &passages),
            passages,
        ))
    }

    /// What the results page shows: the newest complete report, a newer attempt that did not complete, whether
    /// one is being written, and whether a model is available.
    pub async fn state(&self, assessment_id: &str) -> Result<ReportState> {
        let id = parse_id(assessment_id)?.to_string();
        let (who, id2) = (self.ctx.principal.clone(), id.clone());
        self.ctx
            .store
            .read(move |c| sql::check_assessment(c, &who, &id2))
            .await?;
        self.stored(sql::Subject::Assessment(id)).await
    }

    /// The stored reports of a subject (the newest complete one and a newer attempt), whether one is being
    /// written for it, and whether a model is available. Reads this computer only.
    pub(crate) async fn stored(&self, about: sql::Subject) -> Result<ReportState> {
        let key = match &about {
            sql::Subject::Assessment(id) => id.clone(),
            sql::Subject::Round { round, .. } => round.clone(),
        };
        let who = self.ctx.principal.clone();
        let (report, last_attempt) = self
            .ctx
            .store
            .read(move |c| sql::state(c, &who, &about))
            .await?;
        Ok(ReportState {
            report,
            last_attempt,
            running: self.ctx.jobs.get(JobKind::Report, &key).is_some(),
            model_available: self.ctx.llm.any_usable().await?,
        })
    }

    /// Writes the coaching report of a completed assessment. Events go to `sink`: `started`, `token`s,
    /// `citation`s (each after the token that cites it), then one `done` (sent once the report is stored) or
    /// `error`. With `offline`, or when no provider is set up or none answers before its first token, the
    /// offline coach writes it (labelled, with why). A report that is stopped or fails part-way is stored as
    /// such, and the previous complete report stays the one shown. [`Coach::cancel_report`] stops it.
    pub async fn report<F>(&self, req: ReportRequest, sink: F) -> Result<ReportState>
    where
        F: Fn(StreamEvent) + Send + Sync,
    {
        let exclude = req.exclude.unwrap_or_default();
        crate::validate::check_exclude(&exclude)?;
        let (id, results) = self.results(&req.assessment_id).await?;
        let fw = &self.ctx.domain.framework;
        let pillar_name = fw
            .pillar(&results.pillar)
            .map_or(results.pillar.clone(), |p| p.name.clone());
        let job = self.ctx.jobs.start(
            JobKind::Report,
            &id,
            "Writing a coaching report",
            Some(pillar_name),
            |_| "A coaching report for this assessment is already being written.".into(),
        )?;
        let passages = self.passages(&results).await?;
        let prompt = prompts::report(fw, &results, &passages);
        let offline_text = offline::report(fw, &results, &passages);
        let written = self
            .write(
                Writing {
                    about: sql::Subject::Assessment(id.clone()),
                    passages,
                    prompt,
                    offline_text,
                    offline: req.offline == Some(true),
                    exclude,
                },
                job,
                &sink,
            )
            .await?;
        if let Some(r) = &written {
            tracing::info!(
                assessment = %id,
                status = r.status.as_str(),
                writer = ?r.writer,
                "coaching report stored"
            );
        }
        self.state(&id).await
    }

    /// Writes and stores one report: through the provider chain (streamed, citations checked against
    /// `passages`), or by the offline coach (`offline_text`) when asked or when no model can start an answer.
    /// `None` when nothing was written (stopped before the first token, or refused by the rate limit); the
    /// sink has had the last event then.
    pub(crate) async fn write(
        &self,
        w: Writing,
        job: crate::jobs::JobGuard<'_>,
        sink: &(dyn Fn(StreamEvent) + Send + Sync),
    ) -> Result<Option<CoachReport>> {
        let started = Instant::now();
        let (assessment_id, round_id, responses) = match &w.about {
            sql::Subject::Assessment(id) => (Some(id.clone()), None, None),
            sql::Subject::Round {
                round, responses, ..
            } => (None, Some(round.clone()), Some(*responses)),
        };
        let base = CoachReport {
            id: new_id().to_string(),
            assessment_id,
            round_id,
            responses,
            status: ReportStatus::Complete,
            writer: ReportWriter::Offline,
            provider: None,
            provider_label: None,
            model: None,
            content: String::new(),
            passages: Vec::new(),
            citations: Vec::new(),
            notice: None,
            error: None,
            prompt_version: prompts::PROMPT_VERSION,
            usage: Usage::default(),
            created_at: now(),
        };
        if w.offline {
            let report = self
                .offline(
                    &w.about,
                    base,
                    &w.offline_text,
                    w.passages,
                    None,
                    started,
                    sink,
                )
                .await?;
            drop(job);
            return Ok(Some(report));
        }
        let streamed = stream::stream_cited(
            &self.ctx.llm,
            Feature::CoachReport,
            &w.prompt,
            &w.exclude,
            job.token(),
            &w.passages,
            sink,
        )
        .await;
        let last = streamed.last;
        let report = match streamed.ending {
            stream::Ending::Written(x) => CoachReport {
                status: x.status,
                writer: ReportWriter::Model,
                provider: Some(x.provider),
                provider_label: Some(x.provider_label),
                model: Some(x.model),
                content: x.content,
                citations: x.cited,
                passages: x.passages,
                error: x.error,
                usage: x.usage,
                ..base
            },
            stream::Ending::Nothing => {
                drop(job);
                sink(last);
                return Ok(None);
            }
            stream::Ending::NoModel(error) => {
                // No model could start an answer: the offline coach writes it, and says why.
                let notice = offline_notice(&error);
                let report = self
                    .offline(
                        &w.about,
                        base,
                        &w.offline_text,
                        w.passages,
                        Some(notice),
                        started,
                        sink,
                    )
                    .await?;
                drop(job);
                return Ok(Some(report));
            }
        };
        self.store(&w.about, &report).await?;
        drop(job);
        sink(last);
        Ok(Some(report))
    }

    /// The offline coach's report, sent as one stream (started, the text, its citations, done) and stored.
    #[allow(clippy::too_many_arguments)]
    async fn offline(
        &self,
        about: &sql::Subject,
        base: CoachReport,
        raw: &str,
        passages: Vec<Passage>,
        notice: Option<String>,
        started: Instant,
        sink: &(dyn Fn(StreamEvent) + Send + Sync),
    ) -> Result<CoachReport> {
        let (content, passages, cited) = citations::in_reading_order(raw, &passages);
        sink(StreamEvent::Started {
            provider: OFFLINE_PROVIDER.into(),
            provider_label: offline::OFFLINE_LABEL.into(),
            model: offline::OFFLINE_MODEL.into(),
            fallback_from: Vec::new(),
        });
        let ttft = started.elapsed();
        sink(StreamEvent::Token {
            text: content.clone(),
        });
        for &number in &cited {
            if let Some(p) = passages.get(number as usize - 1) {
                sink(StreamEvent::Citation {
                    number,
                    passage: p.clone(),
                });
            }
        }
        let report = CoachReport {
            writer: ReportWriter::Offline,
            model: Some(offline::OFFLINE_MODEL.into()),
            content,
            citations: cited,
            passages,
            notice,
            ..base
        };
        self.store(about, &report).await?;
        sink(StreamEvent::Done {
            provider: OFFLINE_PROVIDER.into(),
            provider_label: offline::OFFLINE_LABEL.into(),
            model: offline::OFFLINE_MODEL.into(),
            usage: Usage::default(),
            latency_ms: started.elapsed().as_millis() as u64,
            ttft_ms: ttft.as_millis() as u64,
        });
        Ok(report)
    }

    async fn store(&self, about: &sql::Subject, report: &CoachReport) -> Result<()> {
        let (who, about, r) = (self.ctx.principal.clone(), about.clone(), report.clone());
        self.ctx
            .store
            .write(move |c| sql::insert(c, &who, &about, &r, &now()))
            .await
    }

    /// Short tips for where the user is. From the framework and the knowledge base unless `use_model` (then a
    /// model through the chain, checked; the framework's tips if no model can answer, saying why).
    pub async fn guidance(&self, req: guidance::GuidanceRequest) -> Result<guidance::Guidance> {
        use guidance::{GuidanceStage as S, GuidanceWriter as W};
        let fw = &self.ctx.domain.framework;
        let mut context = String::new();
        let tips = match req.stage {
            S::Choosing => {
                context.push_str(
                    "The user is choosing which PILAR pillar and mode to assess their group on.",
                );
                guidance::choosing(fw)
            }
            S::BeforeQuiz => {
                let (p, m) = match (&req.pillar, &req.mode) {
                    (Some(p), Some(m)) => {
                        crate::validate::check_len(p, "pillar")?;
                        crate::validate::check_len(m, "mode")?;
                        self.ctx.domain.pillar_in_mode(p, m)?
                    }
                    _ => {
                        return Err(Error::InvalidArgument(
                            "Tips before a quiz need its pillar and mode.".into(),
                        ))
                    }
                };
                let _ = write!(
                    context,
                    "The user is about to answer questions on {} ({} mode): {}",
                    p.name, m.name, p.description
                );
                guidance::before_quiz(fw, &p.id)
            }
            S::Result => {
                let id = req.assessment_id.as_deref().ok_or_else(|| {
                    Error::InvalidArgument("Tips on a result need the assessment.".into())
                })?;
                let (_, r) = self.results(id).await?;
                let reflection = self
                    .ctx
                    .knowledge()
                    .search(SearchRequest {
                        query: "questions to reflect on".into(),
                        mode: Some(r.mode.clone()),
                        pillar: Some(r.pillar.clone()),
                        category: Some("reflection".into()),
                        source: Some("builtin".into()),
                        count: Some(1),
                        ..SearchRequest::default()
                    })
                    .await?
                    .hits
                    .into_iter()
                    .next()
                    .map(|h| passage(1, &h));
                context.push_str("The user is reading this result of their group:\n");
                context.push_str(&prompts::results_block(fw, &r));
                guidance::on_result(fw, &r, reflection.as_ref())
            }
        };
        let offline = guidance::Guidance {
            stage: req.stage,
            tips,
            writer: W::Framework,
            provider: None,
            model: None,
            notice: None,
        };
        if req.use_model != Some(true) {
            return Ok(offline);
        }
        let prompt = prompts::guidance(context, guidance::schema());
        match self.ctx.llm.chat(Feature::Guidance, &prompt, &[]).await {
            Ok(a) => match guidance::tips_of(&a.text) {
                Some(tips) => Ok(guidance::Guidance {
                    tips,
                    writer: W::Model,
                    provider: Some(a.provider),
                    model: Some(a.model),
                    ..offline
                }),
                None => Ok(guidance::Guidance {
                    notice: Some(format!(
                        "{}'s tips could not be read, so these come from the framework.",
                        a.provider_label
                    )),
                    ..offline
                }),
            },
            Err(e) if e.code() == "rate_limited" => Err(e),
            Err(e) => Ok(guidance::Guidance {
                notice: Some(format!(
                    "No model could give tips ({}), so these come from the framework.",
                    e.to_string().trim_end_matches('.')
                )),
                ..offline
            }),
        }
    }

    /// Stops the report being written for an assessment. Whether one was running.
    pub fn cancel_report(&self, assessment_id: &str) -> bool {
        self.ctx.jobs.cancel(JobKind::Report, assessment_id.trim())
    }

    /// Writes [`Coach::export_markdown`] to `path` (a file the user chose): written beside it first and then
    /// renamed, so a failure never leaves half a file.
    pub async fn save_markdown(
        &self,
        assessment_id: &str,
        path: &std::path::Path,
        overwrite: crate::output::Overwrite,
    ) -> Result<()> {
        let path = crate::output::check(&self.ctx.paths, path, overwrite)?;
        let md = self.export_markdown(assessment_id).await?;
        crate::output::write_file(&self.ctx.paths, &path, md.into_bytes()).await
    }

    /// The current report of an assessment as a Markdown document: a heading with the result, who wrote it,
    /// the report, and its cited sources in full.
    pub async fn export_markdown(&self, assessment_id: &str) -> Result<String> {
        let (id, r) = self.results(assessment_id).await?;
        let state = self.state(&id).await?;
        let rep = state
            .report
            .or(state.last_attempt)
            .ok_or(Error::ReportNotFound)?;
        let fw = &self.ctx.domain.framework;
        let pillar = fw.pillar(&r.pillar).map_or(r.pillar.as_str(), |p| &p.name);
        let mode = fw
            .modes
            .iter()
            .find(|m| m.id == r.mode)
            .map_or(r.mode.as_str(), |m| &m.name);
        let mut out = format!("# Coaching report: {pillar} ({mode})\n\n");
        let _ = writeln!(
            out,
            "Score {} out of 100 ({}), {} of {} questions answered.  ",
            crate::domain::Pts(r.pillar_score),
            r.band_label,
            r.answered,
            r.total
        );
        markdown_body(&mut out, &rep);
        Ok(out)
    }
}

/// A stored report as Markdown after its heading: who wrote it and when, whether it is unfinished, its notice,
/// the report, and its cited sources in full.
pub(crate) fn markdown_body(out: &mut String, rep: &CoachReport) {
    let writer = match rep.writer {
        ReportWriter::Offline => "the offline coach".to_owned(),
        ReportWriter::Model => format!(
            "{} · {}",
            rep.provider_label.as_deref().unwrap_or("a model"),
            rep.model.as_deref().unwrap_or("")
        ),
    };
    let _ = writeln!(
        out,
        "Written by {writer} on {}.",
        &rep.created_at[..10.min(rep.created_at.len())]
    );
    match rep.status {
        ReportStatus::Complete => {}
        ReportStatus::Stopped => {
            out.push_str("\n**This report was stopped before it was finished.**\n")
        }
        ReportStatus::Error => {
            out.push_str("\n**This report ended with an error before it was finished.**\n")
        }
    }
    if let Some(n) = &rep.notice {
        let _ = writeln!(out, "\n_{n}_");
    }
    out.push('\n');
    // Saved in a file: no link, image or HTML in it can act when it is opened.
    out.push_str(crate::util::inert_markdown(&rep.content).trim_end());
    out.push_str("\n\n");
    let cited: Vec<&Passage> = rep
        .citations
        .iter()
        .filter_map(|n| rep.passages.get(*n as usize - 1))
        .collect();
    if !cited.is_empty() {
        out.push_str("## Sources\n\n");
        for p in cited {
            let _ = writeln!(out, "**[{}] {}** — {}\n", p.number, p.title, p.source_title);
            for line in p.text.trim().lines() {
                let _ = writeln!(out, "> {line}");
            }
            out.push('\n');
        }
    }
}
