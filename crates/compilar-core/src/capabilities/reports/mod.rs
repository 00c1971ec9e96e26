//! A result as a report for printing or sharing: a self-contained HTML file and a PDF, with the scores, a
//! chart of the forces, what the result means, what to try, the coaching report when there is a complete one,
//! and the goals set from it. Both come from one [`Doc`], so they say the same thing. No secret is in a result,
//! so none can reach a report.

pub mod dto;
mod html;
mod pdf;

use std::path::Path;

use crate::capabilities::coach::dto::{ReportStatus, ReportWriter};
use crate::ctx::Ctx;
use crate::domain::Band;
use crate::error::{Error, Result};
use dto::*;

/// The coaching report as a report shows it: who wrote it, its Markdown, its cited sources (number, title).
pub(crate) type CoachSection = (String, String, Vec<(u32, String)>);

/// What a report says, in the order it says it.
pub(crate) struct Doc {
    pub title: String,
    pub subtitle: String,
    pub about: Option<String>,
    pub score: f64,
    pub band: Band,
    pub band_label: String,
    pub confidence: String,
    /// Low confidence: said at the top, next to the score.
    pub caution: Option<String>,
    pub forces: Vec<(String, Option<f64>, Option<Band>)>,
    pub highlights: Vec<String>,
    pub insights: Vec<String>,
    pub recommendations: Vec<(String, String)>,
    pub coach: Option<CoachSection>,
    pub goals: Vec<String>,
    pub footer: String,
}

/// The result reports capability.
#[derive(Clone, Copy)]
pub struct Reports<'a> {
    ctx: &'a Ctx,
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn reports(&self) -> Reports<'_> {
        Reports::new(self)
    }
}

impl<'a> Reports<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Reports { ctx }
    }

    async fn doc(&self, assessment_id: &str) -> Result<Doc> {
        let a = self.ctx.assessments().get(assessment_id).await?;
        let Some(r) = a.results.clone() else {
            return Err(Error::AssessmentNotCompleted);
        };
        let fw = &self.ctx.domain.framework;
        let pillar = fw.pillar(&a.pillar);
        let letter = pillar
            .and_then(|p| fw.letters.iter().find(|l| l.id == p.letter))
            .map(|l| format!("{} \u{b7} {}", l.letter, l.name))
            .unwrap_or_default();
        let mode = fw
            .modes
            .iter()
            .find(|m| m.id == a.mode)
            .map_or(a.mode.clone(), |m| m.name.clone());
        let completed = a.completed_at.as_deref().unwrap_or("");
        // The same words as the Results page: decided by the scoring rules, not here.
        let highlights: Vec<String> = r
            .highlights
            .iter()
            .map(|h| format!("{}: {}", h.label, h.text))
            .collect();
        let state = self.ctx.coach().state(&a.id).await?;
        let coach = state
            .report
            .filter(|c| c.status == ReportStatus::Complete)
            .map(|c| {
                let by = match c.writer {
                    ReportWriter::Offline => "the offline coach (no model)".to_owned(),
                    ReportWriter::Model => format!(
                        "{} \u{b7} {}",
                        c.provider_label.as_deref().unwrap_or("a model"),
                        c.model.as_deref().unwrap_or("")
                    ),
                };
                let sources = c
                    .passages
                    .iter()
                    .filter(|p| c.citations.contains(&p.number))
                    .map(|p| (p.number, p.title.clone()))
                    .collect();
                (
                    format!("Written by {by} on {}", day(&c.created_at)),
                    c.content,
                    sources,
                )
            });
        let goals = self
            .ctx
            .goals()
            .for_result(&a.id)
            .await?
            .set_here
            .into_iter()
            .map(|g| {
                format!(
                    "{} ({}; review on {}): {}",
                    g.title, g.force_name, g.review_on, g.practice
                )
            })
            .collect();
        let caution = r.caveat.clone();
        Ok(Doc {
            title: pillar.map_or(a.pillar.clone(), |p| p.name.clone()),
            subtitle: format!(
                "{letter} \u{b7} {mode} mode \u{b7} completed {}",
                day(completed)
            ),
            about: match (&a.group_label, &a.note) {
                (Some(g), Some(n)) => Some(format!("About {g}: {n}")),
                (Some(g), None) => Some(format!("About {g}")),
                (None, Some(n)) => Some(n.clone()),
                (None, None) => None,
            },
            score: r.pillar_score,
            band: r.band,
            band_label: r.band_label.clone(),
            confidence: format!(
                "Confidence {:?}: {} of {} questions answered",
                r.confidence_level, r.answered, r.total
            )
            .replacen("Low", "low", 1)
            .replacen("Medium", "medium", 1)
            .replacen("High", "high", 1),
            caution,
            forces: r
                .forces
                .iter()
                .map(|f| (f.name.clone(), f.score, f.band))
                .collect(),
            highlights,
            insights: r.insights.clone(),
            recommendations: r
                .recommendations
                .iter()
                .map(|x| (x.title.clone(), x.text.clone()))
                .collect(),
            coach,
            goals,
            footer: format!(
                "Compilar {} \u{b7} PILAR framework \u{b7} assessment {}",
                env!("CARGO_PKG_VERSION"),
                a.id
            ),
        })
    }

    /// The name a saved report is offered under: what it is about, not an id ("Group Prospects (egalitarian)
    /// – Product team 2026-12-07.pdf"). `extension` without the dot.
    pub async fn suggested_name(&self, assessment_id: &str, extension: &str) -> Result<String> {
        let a = self.ctx.assessments().get(assessment_id).await?;
        Ok(format!(
            "{}.{extension}",
            result_file_stem(
                &self.ctx.domain,
                &a.pillar,
                &a.mode,
                a.group_label.as_deref(),
                a.completed_at.as_deref().unwrap_or(&a.created_at),
            )
        ))
    }

    /// The name a saved coaching report (Markdown) is offered under.
    pub async fn suggested_coach_name(&self, assessment_id: &str) -> Result<String> {
        let name = self.suggested_name(assessment_id, "md").await?;
        Ok(format!(
            "{} coaching report.md",
            name.trim_end_matches(".md")
        ))
    }

    /// The report of a completed assessment, as HTML or PDF bytes.
    pub async fn render(&self, assessment_id: &str, format: ReportFormat) -> Result<Vec<u8>> {
        let doc = self.doc(assessment_id).await?;
        match format {
            ReportFormat::Html => Ok(html::render(&doc).into_bytes()),
            ReportFormat::Pdf => tokio::task::spawn_blocking(move || pdf::render(&doc)).await?,
        }
    }

    /// Writes the report to `path` (a file the user chose, outside the data folder; an existing file only when
    /// `overwrite` allows; written whole or not at all).
    pub async fn save(
        &self,
        assessment_id: &str,
        format: ReportFormat,
        path: &Path,
        overwrite: crate::output::Overwrite,
    ) -> Result<ReportFile> {
        let path = crate::output::check(&self.ctx.paths, path, overwrite)?;
        let bytes = self.render(assessment_id, format).await?;
        let n = bytes.len() as u64;
        crate::output::write_file(&self.ctx.paths, &path, bytes).await?;
        Ok(ReportFile {
            path: path.display().to_string(),
            bytes: n,
        })
    }
}

fn day(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}

/// "Group Prospects (egalitarian) – Product team 2026-12-07": a result's file name without its extension.
pub(crate) fn result_file_stem(
    d: &crate::domain::Domain,
    pillar: &str,
    mode: &str,
    group: Option<&str>,
    at: &str,
) -> String {
    let name = d
        .framework
        .pillar(pillar)
        .map_or(pillar, |p| p.name.as_str());
    let about = group.map(|g| format!(" \u{2013} {g}")).unwrap_or_default();
    crate::util::readable_file_name(
        &format!("{name} ({mode}){about} {}", day(at)),
        "Compilar result",
    )
}
