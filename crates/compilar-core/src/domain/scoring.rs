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
mod tests {
    use super::*;

    fn domain() -> Domain {
        Domain::builtin().unwrap()
    }

    fn ids(d: &Domain, pillar: &str) -> Vec<String> {
        d.bank.for_pillar(pillar).map(|q| q.id.clone()).collect()
    }

    fn answers(pairs: &[(&str, i64)]) -> HashMap<String, i64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn hand_computed_mixed_answers() {
        let d = domain();
        // grpprosp: items 1 and 2 of each force are positive, item 3 is reverse-scored.
        // goal_clarity: 5 → 100, 4 → 75, reverse 2 → 6-2=4 → 75; mean 83.333 → 83.3
        // future_confidence: 3 → 50, 3 → 50, reverse 3 → 50; mean 50
        // shared_vision: 1 → 0, 2 → 25, reverse 5 → 1 → 0; mean 8.333 → 8.3
        // incentive_alignment: only item 1 answered: 4 → 75
        // pillar = (83.333 + 50 + 8.333 + 75) / 4 = 54.1666 → 54.2
        let a = answers(&[
            ("grpprosp.goal_clarity.1", 5),
            ("grpprosp.goal_clarity.2", 4),
            ("grpprosp.goal_clarity.3", 2),
            ("grpprosp.future_confidence.1", 3),
            ("grpprosp.future_confidence.2", 3),
            ("grpprosp.future_confidence.3", 3),
            ("grpprosp.shared_vision.1", 1),
            ("grpprosp.shared_vision.2", 2),
            ("grpprosp.shared_vision.3", 5),
            ("grpprosp.incentive_alignment.1", 4),
        ]);
        let r = score(&d, "grpprosp", &ids(&d, "grpprosp"), &a).unwrap();
        let s: Vec<_> = r.forces.iter().map(|f| f.score).collect();
        assert_eq!(s, [Some(83.3), Some(50.0), Some(8.3), Some(75.0)]);
        assert_eq!(r.pillar_score, 54.2);
        assert_eq!((r.answered, r.total), (10, 12));
        assert_eq!(r.confidence, 0.83);
        assert_eq!(r.confidence_level, ConfidenceLevel::High);
        assert_eq!(r.weakest.as_deref(), Some("shared_vision"));
        assert_eq!(r.forces[3].answered, 1);
        assert_eq!(r.forces[3].total, 3);
        // Recommendations: forces below 60, lowest first.
        let rec: Vec<_> = r.recommendations.iter().map(|x| x.force.as_str()).collect();
        assert_eq!(rec, ["shared_vision", "future_confidence"]);
        assert!(r.insights[0].starts_with("Group Prospects scores 54 out of 100 and is mixed"));
        // 83.3 is 8.3 clear of 75: not enough to stand out; 8.3 is 41.7 below 50: it does, under strain.
        assert_eq!(r.strongest, None);
        let h = &r.highlights;
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].label, "Most under strain");
        assert!(h[0].text.contains("75 points apart"), "{}", h[0].text);
        assert_eq!(r.caveat, None);
    }

    #[test]
    fn extremes_and_reverse_items() {
        let d = domain();
        let q = ids(&d, "status");
        // Agree fully with every positive item and disagree fully with every reverse item: all 100.
        let all_best: HashMap<String, i64> = q
            .iter()
            .map(|id| {
                (
                    id.clone(),
                    if d.bank.get(id).unwrap().reverse {
                        1
                    } else {
                        5
                    },
                )
            })
            .collect();
        let r = score(&d, "status", &q, &all_best).unwrap();
        assert_eq!(r.pillar_score, 100.0);
        assert!(r.forces.iter().all(|f| f.score == Some(100.0)));
        // All level: nothing is named.
        assert_eq!(r.strongest, None);
        assert_eq!(r.weakest, None);
        assert_eq!(r.highlights[0].kind, HighlightKind::Even);
        assert_eq!(
            (r.band, r.band_label.as_str()),
            (Band::Strong, "Working well")
        );
        // Nothing below 60: the lowest force (first in framework order on a tie) still gets one.
        assert_eq!(r.recommendations.len(), 1);
        assert_eq!(r.confidence, 1.0);

        // "Strongly agree" with everything: positive items 100, reverse items 0.
        let all_five: HashMap<String, i64> = q.iter().map(|id| (id.clone(), 5)).collect();
        let r = score(&d, "status", &q, &all_five).unwrap();
        // Each force: (100 + 100 + 0) / 3 = 66.7
        assert!(r.forces.iter().all(|f| f.score == Some(66.7)));
        assert_eq!(r.pillar_score, 66.7);
    }

    #[test]
    fn bands_follow_the_insight_thresholds() {
        assert_eq!(Band::of(70.0), Band::Strong);
        assert_eq!(Band::of(69.9), Band::Mixed);
        assert_eq!(Band::of(45.0), Band::Mixed);
        assert_eq!(Band::of(44.9), Band::Strained);
    }

    #[test]
    fn unanswered_force_has_no_score_and_low_confidence() {
        let d = domain();
        let a = answers(&[
            ("outresp.trust_signals.1", 2),
            ("outresp.trust_signals.2", 1),
        ]);
        let r = score(&d, "outresp", &ids(&d, "outresp"), &a).unwrap();
        // trust_signals: 25, 0 → 12.5; pillar = 12.5 (the only scored force)
        assert_eq!(r.forces[1].score, Some(12.5));
        assert_eq!(r.forces[0].score, None);
        assert_eq!(r.pillar_score, 12.5);
        assert_eq!(r.confidence, 0.17);
        assert_eq!(r.confidence_level, ConfidenceLevel::Low);
        // One scored force: nothing to compare, so no strongest or weakest.
        assert_eq!(r.strongest, None);
        assert_eq!(r.weakest, None);
        assert_eq!(r.band, Band::Strained);
        assert_eq!(r.forces[1].band, Some(Band::Strained));
        assert_eq!(r.forces[0].band, None);
        assert!(r.insights[0].contains("under strain"));
        assert!(r.highlights.is_empty());
        assert!(r.caveat.unwrap().contains("2 of 12"));
    }

    #[test]
    fn no_answers_and_bad_values_are_errors() {
        let d = domain();
        let q = ids(&d, "divsexp");
        assert!(matches!(
            score(&d, "divsexp", &q, &HashMap::new()),
            Err(Error::NoAnswers)
        ));
        let a = answers(&[("divsexp.voice_safety.1", 6)]);
        assert!(matches!(
            score(&d, "divsexp", &q, &a),
            Err(Error::ValueOutOfRange { value: 6, .. })
        ));
        assert!(matches!(
            score(&d, "nope", &q, &a),
            Err(Error::UnknownPillar(_))
        ));
    }

    /// Forces with these scores (`None`: not answered), named F1, F2…
    fn fs(scores: &[Option<f64>]) -> Vec<ForceScore> {
        scores
            .iter()
            .enumerate()
            .map(|(i, s)| ForceScore {
                force: format!("f{}", i + 1),
                name: format!("F{}", i + 1),
                score: *s,
                band: s.map(Band::of),
                answered: u32::from(s.is_some()),
                total: 1,
            })
            .collect()
    }

    fn labels(h: &[Highlight]) -> Vec<(HighlightKind, Vec<&str>, &str)> {
        h.iter()
            .map(|h| {
                (
                    h.kind,
                    h.forces.iter().map(String::as_str).collect(),
                    h.label.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn a_force_is_named_only_when_it_stands_out_by_the_gap() {
        use HighlightKind::*;
        // 80 is 10 clear of 70: it stands out; 40 is 25 below 65: it stands out too.
        let h = highlights(&fs(&[Some(80.0), Some(70.0), Some(65.0), Some(40.0)]));
        assert_eq!(
            labels(&h),
            [
                (Top, vec!["f1"], "Strongest force"),
                (Bottom, vec!["f4"], "Most under strain")
            ]
        );
        // 9.9 points clear is not enough: only the bottom is named.
        let h = highlights(&fs(&[Some(79.9), Some(70.0), Some(65.0), Some(40.0)]));
        assert_eq!(labels(&h), [(Bottom, vec!["f4"], "Most under strain")]);
        assert_eq!(standout(&h, Top), None);
        assert_eq!(standout(&h, Bottom).as_deref(), Some("f4"));
    }

    #[test]
    fn words_follow_the_band_of_the_force_named() {
        use HighlightKind::*;
        // The reported case: "Strongest" on a 38. Here the top stands out but is under strain.
        let h = highlights(&fs(&[Some(38.0), Some(20.0), Some(15.0)]));
        assert_eq!(h[0].label, "Least strained");
        assert_eq!(h[0].band, Some(Band::Strained));
        assert!(h[0].text.contains("still under strain"), "{}", h[0].text);
        // Top mixed.
        let h = highlights(&fs(&[Some(60.0), Some(30.0), Some(25.0)]));
        assert_eq!(h[0].label, "Ahead of the others");
        // "Most under strain" in red on an amber 50: a mixed bottom is "Weakest", amber.
        let h = highlights(&fs(&[Some(90.0), Some(85.0), Some(50.0)]));
        assert_eq!(labels(&h)[1], (Bottom, vec!["f3"], "Weakest force"));
        assert_eq!(h[1].band, Some(Band::Mixed));
        // A bottom that still works well.
        let h = highlights(&fs(&[Some(100.0), Some(95.0), Some(72.0)]));
        assert_eq!(h[1].label, "Lowest, still working well");
        assert_eq!(h[1].band, Some(Band::Strong));
    }

    #[test]
    fn ties_are_named_as_ties() {
        use HighlightKind::*;
        // The reported three-way tie: three forces at 75 and one at 40.
        let h = highlights(&fs(&[Some(75.0), Some(75.0), Some(75.0), Some(40.0)]));
        assert_eq!(
            labels(&h),
            [
                (Top, vec!["f1", "f2", "f3"], "Strongest forces, level"),
                (Bottom, vec!["f4"], "Most under strain")
            ]
        );
        assert!(
            h[0].text.starts_with("F1, F2 and F3 (75) "),
            "{}",
            h[0].text
        );
        // No single strongest force is reported for a tie.
        assert_eq!(standout(&h, Top), None);
        // Within 5 points counts as level: 72 and 68 tie; the words fit the lower one (mixed).
        let h = highlights(&fs(&[Some(72.0), Some(68.0), Some(30.0)]));
        assert_eq!(h[0].forces, ["f1", "f2"]);
        assert_eq!(h[0].label, "Ahead of the others");
        assert!(h[0].text.contains("(68\u{2013}72)"), "{}", h[0].text);
    }

    #[test]
    fn even_scores_and_single_forces_name_nothing() {
        use HighlightKind::*;
        // All level.
        let h = highlights(&fs(&[Some(100.0), Some(100.0), Some(100.0)]));
        assert_eq!(labels(&h), [(Even, vec![], "No single force stands out")]);
        assert!(h[0].text.contains("level"));
        // Evenly spread, 8 apart each: nothing is 10 clear.
        let h = highlights(&fs(&[Some(80.0), Some(72.0), Some(64.0), Some(56.0)]));
        assert_eq!(labels(&h), [(Even, vec![], "No single force stands out")]);
        // One scored force (others unanswered): nothing to compare.
        assert!(highlights(&fs(&[Some(12.5), None, None])).is_empty());
        // Unanswered forces take no part: 80 vs 50 with two unanswered.
        let h = highlights(&fs(&[None, Some(80.0), None, Some(50.0)]));
        assert_eq!(h[0].forces, ["f2"]);
        assert_eq!(h[1].forces, ["f4"]);
    }

    #[test]
    fn caveat_comes_with_less_than_high_confidence() {
        assert_eq!(caveat(ConfidenceLevel::High, 12, 12), None);
        let c = caveat(ConfidenceLevel::Low, 3, 12).unwrap();
        assert!(c.contains("3 of 12") && c.contains("first reading"), "{c}");
        assert!(caveat(ConfidenceLevel::Medium, 7, 12)
            .unwrap()
            .contains("7 of 12"));
    }
}
