//! Content analysis: how a text (pasted, or one of the user's documents) reflects each pillar and force of a
//! mode (or both), with evidence quotes, key themes and recommendations. A model answers in a JSON schema
//! (the provider's structured-output feature); every alignment must be a whole number from 0 to 100, and every
//! quote must occur in the text (a fabricated quote is dropped and counted). Without a model, an estimate from
//! embedding similarity between the text's sentences and the forces' descriptions, labelled as such.

pub mod dto;

use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::domain::{Force, Pillar};
use crate::embed::{cosine, LocalEmbedder};
use crate::error::{Error, Result};
use crate::jobs::{check_id, JobKind};
use crate::llm::{Feature, OutputSchema, Prompt};
use crate::writing::offline::split_sentences;
use crate::writing::prompts;
use dto::*;

/// The longest text analysed: a pasted text over it is refused; a document is cut to it (and the reply says so).
pub const MAX_CHARS: usize = 20_000;
const MAX_QUOTES: usize = 3;
const MAX_QUOTE_CHARS: usize = 300;
/// A quote shorter than this proves nothing ("the", "we").
const MIN_QUOTE_CHARS: usize = 8;
const MAX_THEMES: usize = 8;
const MAX_RECOMMENDATIONS: usize = 6;
const MAX_ITEM_CHARS: usize = 300;
/// Most sentences embedded for the estimate.
const MAX_SENTENCES: usize = 400;
/// Estimate: below this best similarity the text says nothing about a force; evidence needs this much.
const ESTIMATE_SILENT_BELOW: f32 = 0.2;
const ESTIMATE_EVIDENCE_FROM: f32 = 0.3;

/// The analysis capability: a cheap view of the shared context.
#[derive(Clone, Copy)]
pub struct Analysis<'a> {
    ctx: &'a Ctx,
}

/// Text compared for quotes: lower case, one space between words, straight quotes and apostrophes.
fn normalised(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The quotes that occur in the text (normalised), at most [`MAX_QUOTES`], and how many were dropped.
fn checked_quotes(v: &Value, text: &str) -> (Vec<String>, u32) {
    let mut kept = Vec::new();
    let mut dropped = 0;
    for q in v.as_array().into_iter().flatten() {
        let Some(q) = q.as_str() else {
            dropped += 1;
            continue;
        };
        let q = q
            .trim()
            .trim_matches(|c| c == '"' || c == '\u{201c}' || c == '\u{201d}');
        let n = normalised(q);
        if n.chars().count() >= MIN_QUOTE_CHARS
            && q.chars().count() <= MAX_QUOTE_CHARS
            && text.contains(&n)
            && kept.len() < MAX_QUOTES
        {
            kept.push(q.to_owned());
        } else if !(kept.len() >= MAX_QUOTES && text.contains(&n)) {
            dropped += 1;
        }
    }
    (kept, dropped)
}

fn alignment(v: &Value) -> Option<u32> {
    v.as_u64().filter(|n| *n <= 100).map(|n| n as u32)
}

fn strings(v: &Value, max: usize) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty() && s.chars().count() <= MAX_ITEM_CHARS)
        .take(max)
        .collect()
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn analysis(&self) -> Analysis<'_> {
        Analysis::new(self)
    }
}

impl<'a> Analysis<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Analysis { ctx }
    }

    fn pillars(&self, mode: Option<&str>) -> Result<Vec<(&'a Pillar, Vec<&'a Force>)>> {
        let fw = &self.ctx.domain.framework;
        if let Some(m) = mode {
            self.ctx.domain.mode(m)?;
        }
        Ok(fw
            .pillars
            .iter()
            .filter(|p| mode.is_none_or(|m| p.mode == m))
            .map(|p| (p, fw.forces_of(p)))
            .collect())
    }

    /// Analyses a text. See the module documentation for what is checked.
    pub async fn analyze(&self, req: AnalyzeRequest) -> Result<AnalysisReply> {
        check_id(&req.request_id, "request")?;
        let exclude = req.exclude.clone().unwrap_or_default();
        crate::validate::check_exclude(&exclude)?;
        let (text, truncated) = match (&req.text, &req.document_id) {
            (Some(_), Some(_)) => {
                return Err(Error::InvalidArgument(
                    "Analyse a pasted text or a document, not both.".into(),
                ))
            }
            (None, None) => {
                return Err(Error::EmptyInput(
                    "Paste a text or choose a document to analyse.".into(),
                ))
            }
            (Some(t), None) => {
                if t.chars().count() > MAX_CHARS {
                    return Err(Error::PayloadTooLarge {
                        what: "text to analyse",
                        max: MAX_CHARS,
                        unit: "characters",
                    });
                }
                (t.trim().to_owned(), false)
            }
            (None, Some(id)) => {
                let (_, t, cut) = self.ctx.documents().text(id, MAX_CHARS).await?;
                (t, cut)
            }
        };
        if text.split_whitespace().count() < 5 {
            return Err(Error::EmptyInput(
                "The text is too short to analyse: write at least a sentence or two.".into(),
            ));
        }
        if let Some(m) = &req.mode {
            crate::validate::check_len(m, "mode")?;
        }
        let pillars = self.pillars(req.mode.as_deref())?;
        let job = self.ctx.jobs.start(
            JobKind::Analysis,
            &req.request_id,
            "Analysing a text",
            None,
            |_| "An analysis with this request id is already running.".into(),
        )?;
        let chars = text.chars().count() as u32;
        if req.offline == Some(true) {
            return self.estimate(&text, &pillars, chars, truncated, None).await;
        }
        let prompt = self.prompt(&text, &pillars);
        let answer = tokio::select! {
            biased;
            _ = job.token().cancelled() => return Err(Error::Cancelled),
            a = self.ctx.llm.chat(Feature::Analysis, &prompt, &exclude) => a,
        };
        let answer = match answer {
            Ok(a) => a,
            Err(e) if !matches!(e.code(), "rate_limited" | "cancelled") && !e.is_caller_error() => {
                let notice = match e.code() {
                    "no_provider" => "No AI provider is set up, so this is an estimate from the knowledge base's search model.".to_owned(),
                    _ => format!(
                        "No AI provider could analyse the text ({}), so this is an estimate from the search model.",
                        e.to_string().trim_end_matches('.')
                    ),
                };
                return self
                    .estimate(&text, &pillars, chars, truncated, Some(notice))
                    .await;
            }
            Err(e) => return Err(e),
        };
        let Some(v) =
            crate::llm::json::first_value(&answer.text).filter(|v| v["pillars"].is_array())
        else {
            let notice = format!(
                "{}'s answer could not be read as the analysis asked for, so this is an estimate from the search model.",
                answer.provider_label
            );
            return self
                .estimate(&text, &pillars, chars, truncated, Some(notice))
                .await;
        };
        let haystack = normalised(&text);
        let mut dropped = 0;
        let mut out = Vec::new();
        for (p, forces) in &pillars {
            let entry = v["pillars"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|x| x["pillar"].as_str() == Some(p.id.as_str()));
            let empty = Value::Null;
            let entry = entry.unwrap_or(&empty);
            let (evidence, d) = checked_quotes(&entry["evidence"], &haystack);
            dropped += d;
            let mut fs = Vec::new();
            for f in forces {
                let fe = entry["forces"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|x| x["force"].as_str() == Some(f.id.as_str()))
                    .unwrap_or(&empty);
                let (evidence, d) = checked_quotes(&fe["evidence"], &haystack);
                dropped += d;
                fs.push(ForceAlignment {
                    force: f.id.clone(),
                    name: f.name.clone(),
                    alignment: alignment(&fe["alignment"]),
                    evidence,
                });
            }
            out.push(PillarAlignment {
                pillar: p.id.clone(),
                name: p.name.clone(),
                mode: p.mode.clone(),
                alignment: alignment(&entry["alignment"]),
                evidence,
                forces: fs,
            });
        }
        drop(job);
        Ok(AnalysisReply {
            method: AnalysisMethod::Model,
            pillars: out,
            themes: strings(&v["themes"], MAX_THEMES),
            recommendations: strings(&v["recommendations"], MAX_RECOMMENDATIONS),
            dropped_quotes: dropped,
            chars,
            truncated,
            provider: Some(answer.provider),
            model: Some(answer.model),
            notice: None,
        })
    }

    fn prompt(&self, text: &str, pillars: &[(&Pillar, Vec<&Force>)]) -> Prompt {
        let pillar_ids: Vec<&str> = pillars.iter().map(|(p, _)| p.id.as_str()).collect();
        let mut force_ids: Vec<&str> = pillars
            .iter()
            .flat_map(|(_, fs)| fs.iter().map(|f| f.id.as_str()))
            .collect();
        force_ids.sort_unstable();
        force_ids.dedup();
        let quotes = json!({"type": "array", "items": {"type": "string"}});
        let schema = json!({
            "type": "object", "additionalProperties": false,
            "required": ["pillars", "themes", "recommendations"],
            "properties": {
                "pillars": {"type": "array", "items": {
                    "type": "object", "additionalProperties": false,
                    "required": ["pillar", "alignment", "evidence", "forces"],
                    "properties": {
                        "pillar": {"type": "string", "enum": pillar_ids},
                        "alignment": {"type": "integer"},
                        "evidence": quotes,
                        "forces": {"type": "array", "items": {
                            "type": "object", "additionalProperties": false,
                            "required": ["force", "alignment", "evidence"],
                            "properties": {
                                "force": {"type": "string", "enum": force_ids},
                                "alignment": {"type": "integer"},
                                "evidence": quotes
                            }
                        }}
                    }
                }},
                "themes": {"type": "array", "items": {"type": "string"}},
                "recommendations": {"type": "array", "items": {"type": "string"}}
            }
        });
        prompts::analysis(
            text,
            pillars,
            (MAX_QUOTES, MAX_THEMES, MAX_RECOMMENDATIONS),
            OutputSchema {
                name: "pilar_content_analysis".into(),
                description: "How a text aligns with PILAR pillars and forces".into(),
                schema,
            },
        )
    }

    /// The estimate: each force's alignment from how close the text's sentences come to its description.
    async fn estimate(
        &self,
        text: &str,
        pillars: &[(&Pillar, Vec<&Force>)],
        chars: u32,
        truncated: bool,
        notice: Option<String>,
    ) -> Result<AnalysisReply> {
        let sentences: Vec<String> = split_sentences(text)
            .into_iter()
            .filter(|s| s.split_whitespace().count() >= 3)
            .take(MAX_SENTENCES)
            .collect();
        let forces: Vec<&Force> = {
            let mut v: Vec<&Force> = pillars
                .iter()
                .flat_map(|(_, f)| f.iter().copied())
                .collect();
            v.sort_by(|a, b| a.id.cmp(&b.id));
            v.dedup_by(|a, b| a.id == b.id);
            v
        };
        let force_texts: Vec<String> = forces
            .iter()
            .map(|f| format!("{} {} {} {}", f.name, f.description, f.strong, f.weak))
            .collect();
        let (sv, fv) = {
            let (s, f) = (sentences.clone(), force_texts);
            tokio::task::spawn_blocking(move || {
                let e = LocalEmbedder::shared()?;
                Ok::<_, Error>((e.embed_now(&s)?, e.embed_now(&f)?))
            })
            .await??
        };
        let by_force: std::collections::HashMap<&str, (Option<u32>, Vec<String>)> = forces
            .iter()
            .zip(&fv)
            .map(|(f, v)| {
                let mut sims: Vec<(usize, f32)> = sv
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (i, cosine(s, v)))
                    .collect();
                sims.sort_by(|a, b| b.1.total_cmp(&a.1));
                let best = sims.first().map_or(0.0, |x| x.1);
                let top: Vec<f32> = sims.iter().take(3).map(|x| x.1).collect();
                let mean = if top.is_empty() {
                    0.0
                } else {
                    top.iter().sum::<f32>() / top.len() as f32
                };
                let alignment = (best >= ESTIMATE_SILENT_BELOW)
                    .then(|| (((mean - 0.15) / 0.45).clamp(0.0, 1.0) * 100.0).round() as u32);
                let evidence = sims
                    .iter()
                    .take(MAX_QUOTES)
                    .filter(|x| x.1 >= ESTIMATE_EVIDENCE_FROM)
                    .map(|x| sentences[x.0].chars().take(MAX_QUOTE_CHARS).collect())
                    .collect();
                (f.id.as_str(), (alignment, evidence))
            })
            .collect();
        let out = pillars
            .iter()
            .map(|(p, fs)| {
                let forces: Vec<ForceAlignment> = fs
                    .iter()
                    .map(|f| {
                        let (alignment, evidence) =
                            by_force.get(f.id.as_str()).cloned().unwrap_or_default();
                        ForceAlignment {
                            force: f.id.clone(),
                            name: f.name.clone(),
                            alignment,
                            evidence,
                        }
                    })
                    .collect();
                let scored: Vec<u32> = forces.iter().filter_map(|f| f.alignment).collect();
                PillarAlignment {
                    pillar: p.id.clone(),
                    name: p.name.clone(),
                    mode: p.mode.clone(),
                    alignment: (!scored.is_empty())
                        .then(|| scored.iter().sum::<u32>() / scored.len() as u32),
                    evidence: Vec::new(),
                    forces,
                }
            })
            .collect();
        Ok(AnalysisReply {
            method: AnalysisMethod::Estimate,
            pillars: out,
            themes: Vec::new(),
            recommendations: Vec::new(),
            dropped_quotes: 0,
            chars,
            truncated,
            provider: None,
            model: None,
            notice,
        })
    }

    /// Stops an analysis. Whether one was running under that id.
    pub fn cancel(&self, request_id: &str) -> bool {
        self.ctx.jobs.cancel(JobKind::Analysis, request_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_quotes_that_occur_in_the_text_are_kept() {
        let text = normalised("We never say what we think.\nThe boss decides ‘everything’ alone.");
        let (kept, dropped) = checked_quotes(
            &json!([
                "we never say what we think",
                "“The boss decides 'everything' alone.”",
                "Nobody trusts anyone here",
                "we",
                42
            ]),
            &text,
        );
        assert_eq!(
            kept,
            [
                "we never say what we think",
                "The boss decides 'everything' alone."
            ]
        );
        assert_eq!(dropped, 3);
        assert_eq!(alignment(&json!(101)), None);
        assert_eq!(alignment(&json!(-1)), None);
        assert_eq!(alignment(&json!(55)), Some(55));
    }
}
