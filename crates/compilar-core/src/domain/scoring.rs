//! Scoring of a PILAR assessment.
//!
//! The method (also in docs/architecture.md):
//! 1. Each answer `v` on the 1–5 scale becomes an item score `(v' - 1) / 4 × 100`, where `v' = v`, or
//!    `v' = 6 - v` for a reverse-scored item. So "strongly agree" with a positive item is 100, with a
//!    reverse item 0.
//! 2. A force's score is the mean of its answered item scores (0–100); a force with no answers has no score.
//! 3. The pillar score is the mean of the scored forces (each force weighs the same, however many items it has).
//! 4. Confidence is the share of the assessment's questions answered (0–1): high ≥ 0.8, medium ≥ 0.5, else low.
//! 5. Highlights ([`highlights`]) name a force only when it stands out, in words that fit its band:
//!    - forces within [`LEVEL_WITHIN`] (5) points of the highest score are *level* with it (less than one
//!      answer moved one step, which shifts a three-question force by 8.3); they are named together, as a tie;
//!    - that top group *stands out* only when its lowest member is at least [`STANDOUT_GAP`] (10) points
//!      above every other scored force; the same for the bottom group and the lowest score;
//!    - the words follow the band: a standing-out top force is "Strongest" only when it is working well
//!      (70+), "Ahead of the others" when mixed, "Least strained" when under strain; a bottom force is "Most
//!      under strain" only below 45, "Weakest" when mixed, "Lowest, still working well" at 70+;
//!    - with fewer than two scored forces nothing is compared; when neither end stands out, the highlight
//!      says so ("No single force stands out").
//!    - `strongest` / `weakest` name a force only when it stands out alone.
//! 6. Insights and recommendations are built from the framework's texts for those forces and the pillar's
//!    connections; recommendations target forces below 60, lowest first (at most three), or the lowest force
//!    when all are at or above 60.
//! 7. A result with less than high confidence carries a caveat, shown before its figures.
//!
//! Displayed scores are rounded to one decimal; rounding happens last, on the final figures.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::framework::ConnectionKind;
use super::Domain;
use crate::error::{Error, Result};

/// Below this score a force gets a recommendation.
pub const RECOMMEND_BELOW: f64 = 60.0;
/// Pillar score bands used in the insights.
pub const STRONG_FROM: f64 = 70.0;
pub const MIXED_FROM: f64 = 45.0;
/// Forces within this many points of the highest (lowest) score are level with it: a tie.
pub const LEVEL_WITHIN: f64 = 5.0;
/// A group of forces stands out when it is at least this many points clear of every other scored force.
pub const STANDOUT_GAP: f64 = 10.0;
/// Forces this far apart make the lowest one the place to start.
pub const UNEVEN_FROM: f64 = 30.0;

/// Where a score stands, for people: the same bands the insights use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    /// 70 and above.
    Strong,
    /// 45 to 70.
    Mixed,
    /// Below 45.
    Strained,
}

impl Band {
    pub fn of(score: f64) -> Band {
        if score >= STRONG_FROM {
            Band::Strong
        } else if score >= MIXED_FROM {
            Band::Mixed
        } else {
            Band::Strained
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Band::Strong => "Working well",
            Band::Mixed => "Mixed",
            Band::Strained => "Under strain",
        }
    }
}

/// How far to trust the results, from the share of questions answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ConfidenceLevel {
    Low,
    Medium,
    High,
}

/// The score of one force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ForceScore {
    pub force: String,
    pub name: String,
    /// 0–100, `null` when none of the force's questions were answered.
    pub score: Option<f64>,
    /// The score's band, `null` with the score.
    pub band: Option<Band>,
    pub answered: u32,
    pub total: u32,
}

/// Which end of the scores a highlight is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum HighlightKind {
    /// The highest scored force or forces, standing out.
    Top,
    /// The lowest scored force or forces, standing out.
    Bottom,
    /// Two or more forces were scored and neither end stands out.
    Even,
}

/// What a result says about its forces, decided here so that every view says the same thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Highlight {
    pub kind: HighlightKind,
    /// The forces named (two or more: a tie), in framework order; empty for `even`.
    pub forces: Vec<String>,
    /// The score the label is about (the highest or lowest), `null` for `even`.
    pub score: Option<f64>,
    /// The band the words were chosen for (the colour to show), `null` for `even`.
    pub band: Option<Band>,
    /// A short label: "Strongest force", "Ahead of the others", "Most under strain", "No single force
    /// stands out"…
    pub label: String,
    /// One sentence for people.
    pub text: String,
}

/// A practical next step for one force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Recommendation {
    pub force: String,
    pub title: String,
    pub text: String,
}

/// The results of a completed assessment (stored with it, so they never change afterwards).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Results {
    pub pillar: String,
    pub mode: String,
    /// 0–100.
    pub pillar_score: f64,
    pub band: Band,
    /// The band in words ("Working well").
    pub band_label: String,
    /// 0–1: share of questions answered.
    pub confidence: f64,
    pub confidence_level: ConfidenceLevel,
    pub answered: u32,
    pub total: u32,
    /// One entry per force of the pillar, in framework order.
    pub forces: Vec<ForceScore>,
    /// The highest and lowest scored forces when each stands out alone (see [`highlights`]); `null` otherwise.
    pub strongest: Option<String>,
    pub weakest: Option<String>,
    /// What stands out (or that nothing does); empty when fewer than two forces were scored.
    pub highlights: Vec<Highlight>,
    /// Said before the figures when confidence is not high ("A first reading: 3 of 12 questions answered…").
    pub caveat: Option<String>,
    pub insights: Vec<String>,
    pub recommendations: Vec<Recommendation>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The change from `before` to `after` as people read it: scores are shown in whole points (the window, the
/// reports, the command line), so a change is the difference of the two shown values — "40 → 56" is +16, never
/// the +17 the unrounded scores would give.
pub fn shown_change(after: f64, before: f64) -> f64 {
    after.round() - before.round()
}

/// A score as people read it: whole points, halves up (62.5 is 63), exactly as the window, the reports and
/// the command line show it. Every sentence that names a score or a gap between scores writes it through
/// this (`{:.0}` would round 62.5 to 62, to the even number, and contradict the page).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pts(pub f64);

impl Pts {
    /// The gap between two scores as shown: the difference of the shown values ("83 and 50 are 33 apart").
    pub fn gap(hi: f64, lo: f64) -> Pts {
        Pts(hi.round() - lo.round())
    }

    pub fn whole(self) -> i64 {
        self.0.round() as i64
    }
}

impl std::fmt::Display for Pts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Through i64's and str's own formatting, so widths and alignment (`{:>3}`) apply.
        if self.0.is_finite() {
            std::fmt::Display::fmt(&self.whole(), f)
        } else {
            f.pad("\u{2013}")
        }
    }
}

/// "A", "A and B", "A, B and C".
fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The forces' highlights under the rules in the module docs: pure on the scores, so stored results get the
/// same words as fresh ones.
pub fn highlights(forces: &[ForceScore]) -> Vec<Highlight> {
    let scored: Vec<(&ForceScore, f64)> = forces
        .iter()
        .filter_map(|f| f.score.map(|s| (f, s)))
        .collect();
    if scored.len() < 2 {
        return Vec::new();
    }
    let hi = scored.iter().map(|x| x.1).fold(f64::MIN, f64::max);
    let lo = scored.iter().map(|x| x.1).fold(f64::MAX, f64::min);
    let spread = hi - lo;
    // The group at one end and whether it stands out: its nearest member is STANDOUT_GAP clear of the rest.
    let end = |top: bool| -> Option<Vec<(&ForceScore, f64)>> {
        let edge = if top { hi } else { lo };
        let (group, rest): (Vec<_>, Vec<_>) = scored
            .iter()
            .copied()
            .partition(|&(_, s)| (s - edge).abs() <= LEVEL_WITHIN);
        if rest.is_empty() {
            return None;
        }
        let clear = if top {
            let inner = group.iter().map(|x| x.1).fold(f64::MAX, f64::min);
            let next = rest.iter().map(|x| x.1).fold(f64::MIN, f64::max);
            inner - next
        } else {
            let inner = group.iter().map(|x| x.1).fold(f64::MIN, f64::max);
            let next = rest.iter().map(|x| x.1).fold(f64::MAX, f64::min);
            next - inner
        };
        (clear >= STANDOUT_GAP).then_some(group)
    };
    let mut out = Vec::new();
    for top in [true, false] {
        let Some(group) = end(top) else { continue };
        let names: Vec<&str> = group.iter().map(|(f, _)| f.name.as_str()).collect();
        let who = join_names(&names);
        let level = group.len() > 1;
        let edge = if top { hi } else { lo };
        // The words fit the member nearest the middle: a tie of 72 and 68 is not called "working well".
        let inner = if top {
            group.iter().map(|x| x.1).fold(f64::MAX, f64::min)
        } else {
            group.iter().map(|x| x.1).fold(f64::MIN, f64::max)
        };
        let band = Band::of(inner);
        let (lo_s, hi_s) = (
            Pts(edge.min(inner)).to_string(),
            Pts(edge.max(inner)).to_string(),
        );
        let at = if lo_s == hi_s {
            lo_s
        } else {
            format!("{lo_s}\u{2013}{hi_s}")
        };
        let (label, text) = match (top, band, level) {
            (true, Band::Strong, false) => (
                "Strongest force",
                format!("{who} ({at}) stands out above the other forces."),
            ),
            (true, Band::Strong, true) => (
                "Strongest forces, level",
                format!("{who} ({at}) are level at the top, clear of the other forces."),
            ),
            (true, Band::Mixed, _) => (
                "Ahead of the others",
                format!(
                    "{who} ({at}) {} ahead of the other forces, though mixed rather than strong.",
                    if level { "are" } else { "is" }
                ),
            ),
            (true, Band::Strained, _) => (
                "Least strained",
                format!(
                    "{who} ({at}) {} the highest, but still under strain.",
                    if level { "score" } else { "scores" }
                ),
            ),
            (false, Band::Strained, false) => (
                "Most under strain",
                format!("{who} ({at}) is the force most under strain."),
            ),
            (false, Band::Strained, true) => (
                "Most under strain, level",
                format!("{who} ({at}) are level at the bottom, the forces most under strain."),
            ),
            (false, Band::Mixed, _) => (
                if level {
                    "Weakest forces"
                } else {
                    "Weakest force"
                },
                format!(
                    "{who} ({at}) {} behind the other forces: mixed rather than under strain.",
                    if level { "are" } else { "is" }
                ),
            ),
            (false, Band::Strong, _) => (
                "Lowest, still working well",
                format!(
                    "{who} ({at}) {} the lowest, and still working well.",
                    if level { "score" } else { "scores" }
                ),
            ),
        };
        let mut text = text;
        if !top && !level && spread >= UNEVEN_FROM {
            text.push_str(&format!(
                " The forces are {} points apart: this is likely where effort pays off most.",
                Pts::gap(hi, lo)
            ));
        }
        out.push(Highlight {
            kind: if top {
                HighlightKind::Top
            } else {
                HighlightKind::Bottom
            },
            forces: group.iter().map(|(f, _)| f.force.clone()).collect(),
            score: Some(round1(edge)),
            band: Some(band),
            label: label.to_owned(),
            text,
        });
    }
    if out.is_empty() {
        out.push(Highlight {
            kind: HighlightKind::Even,
            forces: Vec::new(),
            score: None,
            band: None,
            label: "No single force stands out".to_owned(),
            text: if spread < 0.5 {
                "The forces are level: they all score the same.".to_owned()
            } else if spread <= LEVEL_WITHIN {
                format!(
                    "The forces are level: all within {} points of each other.",
                    Pts::gap(hi, lo)
                )
            } else {
                "No force is clear of the others by 10 points or more, so none is singled out."
                    .to_owned()
            },
        });
    }
    out
}

/// The one force a highlight of `kind` names alone, if any.
pub fn standout(highlights: &[Highlight], kind: HighlightKind) -> Option<String> {
    highlights
        .iter()
        .find(|h| h.kind == kind && h.forces.len() == 1)
        .map(|h| h.forces[0].clone())
}

/// What to say before the figures of a result that is not of high confidence.
pub fn caveat(level: ConfidenceLevel, answered: u32, total: u32) -> Option<String> {
    match level {
        ConfidenceLevel::High => None,
        ConfidenceLevel::Medium => Some(format!(
            "A partial reading: {answered} of {total} questions answered, so the scores could move with the \
             rest. Taking it again with every question answered gives a firmer result."
        )),
        ConfidenceLevel::Low => Some(format!(
            "A first reading only: {answered} of {total} questions answered, too few to rely on. Taking it \
             again with every question answered gives a fuller picture."
        )),
    }
}

/// Scores an assessment of `pillar` whose served questions are `question_ids`, given `answers`
/// (question id → value on the scale). Answers to questions outside `question_ids` are ignored.
pub fn score(
    domain: &Domain,
    pillar: &str,
    question_ids: &[String],
    answers: &HashMap<String, i64>,
) -> Result<Results> {
    score_with(domain, pillar, question_ids, answers, &[])
}

/// [`score`] for an assessment that also served fresh questions (`fresh`): they count exactly like bank items.
pub fn score_with(
    domain: &Domain,
    pillar: &str,
    question_ids: &[String],
    answers: &HashMap<String, i64>,
    fresh: &[crate::domain::Question],
) -> Result<Results> {
    let pillar = domain.pillar(pillar)?;
    let fw = &domain.framework;
    let scale = &domain.bank.scale;
    let span = (scale.max - scale.min) as f64;

    let forces = fw.forces_of(pillar);
    // (sum of item scores, answered, total) per force, in framework order.
    let mut acc: Vec<(f64, u32, u32)> = vec![(0.0, 0, 0); forces.len()];
    let mut answered = 0u32;
    for qid in question_ids {
        let q = domain
            .bank
            .get(qid)
            .or_else(|| fresh.iter().find(|q| &q.id == qid))
            .ok_or_else(|| Error::UnknownQuestion(qid.clone()))?;
        let Some(slot) = forces.iter().position(|f| f.id == q.force) else {
            return Err(Error::QuestionNotInAssessment(qid.clone()));
        };
        acc[slot].2 += 1;
        if let Some(&v) = answers.get(qid) {
            if v < scale.min || v > scale.max {
                return Err(Error::ValueOutOfRange {
                    value: v,
                    min: scale.min,
                    max: scale.max,
                });
            }
            let v = if q.reverse {
                scale.max + scale.min - v
            } else {
                v
            };
            acc[slot].0 += (v - scale.min) as f64 / span * 100.0;
            acc[slot].1 += 1;
            answered += 1;
        }
    }
    if answered == 0 {
        return Err(Error::NoAnswers);
    }

    let raw: Vec<Option<f64>> = acc
        .iter()
        .map(|&(sum, n, _)| (n > 0).then(|| sum / n as f64))
        .collect();
    let scored: Vec<(usize, f64)> = raw
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.map(|s| (i, s)))
        .collect();
    let pillar_raw = scored.iter().map(|&(_, s)| s).sum::<f64>() / scored.len() as f64;
    let total = question_ids.len() as u32;
    let confidence = answered as f64 / total as f64;
    let confidence_level = if confidence >= 0.8 {
        ConfidenceLevel::High
    } else if confidence >= 0.5 {
        ConfidenceLevel::Medium
    } else {
        ConfidenceLevel::Low
    };

    let force_scores: Vec<ForceScore> = forces
        .iter()
        .zip(&acc)
        .zip(&raw)
        .map(|((f, &(_, n, t)), s)| ForceScore {
            force: f.id.clone(),
            name: f.name.clone(),
            score: s.map(round1),
            band: s.map(|s| Band::of(round1(s))),
            answered: n,
            total: t,
        })
        .collect();
    let highlights = highlights(&force_scores);
    let mut insights = Vec::new();
    let band = match Band::of(pillar_raw) {
        Band::Strong => "is working well for this group: people can rely on it",
        Band::Mixed => "is mixed: parts of it work, others hold the group back",
        Band::Strained => "is under strain: it is likely costing the group energy and trust",
    };
    insights.push(format!(
        "{} scores {} out of 100 and {band}.",
        pillar.name,
        Pts(round1(pillar_raw))
    ));
    // The framework's picture of a force, only where it fits: a strong force's when it stands out at the top
    // and works well, a weak force's when it stands out at the bottom under strain. (The highlights
    // themselves are worded when read, see `highlights`.)
    for h in &highlights {
        let copy: fn(&crate::domain::Force) -> String = match (h.kind, h.band) {
            (HighlightKind::Top, Some(Band::Strong)) => |f| f.strong.clone(),
            (HighlightKind::Bottom, Some(Band::Strained)) => |f| f.weak.clone(),
            _ => continue,
        };
        for id in &h.forces {
            if let Some(f) = fw.force(id) {
                insights.push(format!("{}: {}", f.name, copy(f)));
            }
        }
    }
    if let Some(c) = fw
        .connections_from(&pillar.id)
        .find(|c| c.kind == ConnectionKind::Reinforcing)
    {
        if let Some(to) = fw.pillar(&c.to) {
            let direction = if pillar_raw >= MIXED_FROM {
                "supports"
            } else {
                "weighs on"
            };
            insights.push(format!(
                "Ripple effect \u{2014} {}: {} {} {}. {}",
                c.name, pillar.name, direction, to.name, c.explanation
            ));
        }
    }
    let mut low: Vec<(usize, f64)> = scored
        .iter()
        .copied()
        .filter(|&(_, s)| s < RECOMMEND_BELOW)
        .collect();
    low.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    if low.is_empty() {
        if let Some(&lowest) = scored
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
        {
            low.push(lowest);
        }
    }
    let recommendations = low
        .iter()
        .take(3)
        .map(|&(i, _)| Recommendation {
            force: forces[i].id.clone(),
            title: forces[i].name.clone(),
            text: forces[i].action.clone(),
        })
        .collect();

    let pillar_score = round1(pillar_raw);
    Ok(Results {
        pillar: pillar.id.clone(),
        mode: pillar.mode.clone(),
        pillar_score,
        band: Band::of(pillar_score),
        band_label: Band::of(pillar_score).label().to_owned(),
        confidence: (confidence * 100.0).round() / 100.0,
        confidence_level,
        answered,
        total,
        forces: force_scores,
        strongest: standout(&highlights, HighlightKind::Top),
        weakest: standout(&highlights, HighlightKind::Bottom),
        caveat: caveat(confidence_level, answered, total),
        highlights,
        insights,
        recommendations,
    })
}

#[cfg(test)]
mod tests;
