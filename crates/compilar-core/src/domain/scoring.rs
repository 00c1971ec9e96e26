//! Scoring of a PILAR assessment.
//!
//! The method (also in the README):
//! 1. Each answer `v` on the 1–5 scale becomes an item score `(v' - 1) / 4 × 100`, where `v' = v`, or
//!    `v' = 6 - v` for a reverse-scored item. So "strongly agree" with a positive item is 100, with a
//!    reverse item 0.
//! 2. A force's score is the mean of its answered item scores (0–100); a force with no answers has no score.
//! 3. The pillar score is the mean of the scored forces (each force weighs the same, however many items it has).
//! 4. Confidence is the share of the assessment's questions answered (0–1): high ≥ 0.8, medium ≥ 0.5, else low.
//! 5. The strongest and weakest forces are the highest and lowest scored forces (ties: framework order).
//! 6. Insights and recommendations are built from the framework's texts for those forces and the pillar's
//!    connections; recommendations target forces below 60, lowest first (at most three), or the weakest force
//!    when all are at or above 60.
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
    /// The highest and lowest scored forces; `null` unless at least two forces have a score (with one, there
    /// is nothing to compare).
    pub strongest: Option<String>,
    pub weakest: Option<String>,
    pub insights: Vec<String>,
    pub recommendations: Vec<Recommendation>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
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
    // Ties resolve to framework order: first maximum, first minimum.
    let (strong_i, strong_s) = scored
        .iter()
        .copied()
        .fold(None, |best: Option<(usize, f64)>, (i, s)| match best {
            Some((_, b)) if b >= s => best,
            _ => Some((i, s)),
        })
        .ok_or(Error::NoAnswers)?;
    let (weak_i, weak_s) = scored
        .iter()
        .copied()
        .fold(None, |best: Option<(usize, f64)>, (i, s)| match best {
            Some((_, b)) if b <= s => best,
            _ => Some((i, s)),
        })
        .ok_or(Error::NoAnswers)?;

    let total = question_ids.len() as u32;
    let confidence = answered as f64 / total as f64;
    let confidence_level = if confidence >= 0.8 {
        ConfidenceLevel::High
    } else if confidence >= 0.5 {
        ConfidenceLevel::Medium
    } else {
        ConfidenceLevel::Low
    };

    let strongest = forces[strong_i];
    let weakest = forces[weak_i];
    let mut insights = Vec::new();
    let band = match Band::of(pillar_raw) {
        Band::Strong => "is working well for this group: people can rely on it",
        Band::Mixed => "is mixed: parts of it work, others hold the group back",
        Band::Strained => "is under strain: it is likely costing the group energy and trust",
    };
    insights.push(format!(
        "{} scores {:.0} out of 100 and {band}.",
        pillar.name,
        round1(pillar_raw)
    ));
    if scored.len() > 1 {
        insights.push(format!(
            "Strongest force: {} ({:.0}). {}",
            strongest.name,
            round1(strong_s),
            strongest.strong
        ));
        insights.push(format!(
            "Force most under strain: {} ({:.0}). {}",
            weakest.name,
            round1(weak_s),
            weakest.weak
        ));
        if strong_s - weak_s >= 30.0 {
            insights.push(format!(
                "The forces are uneven ({:.0} points apart): improving {} is likely to pay off most.",
                strong_s - weak_s,
                weakest.name.to_lowercase()
            ));
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
    if confidence_level != ConfidenceLevel::High {
        insights.push(format!(
            "You answered {answered} of {total} questions, so treat these results as a first reading."
        ));
    }

    let mut low: Vec<(usize, f64)> = scored
        .iter()
        .copied()
        .filter(|&(_, s)| s < RECOMMEND_BELOW)
        .collect();
    low.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    if low.is_empty() {
        low.push((weak_i, weak_s));
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
    let compared = scored.len() > 1;
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
        forces: forces
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
            .collect(),
        strongest: compared.then(|| strongest.id.clone()),
        weakest: compared.then(|| weakest.id.clone()),
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
        assert_eq!(r.strongest.as_deref(), Some("goal_clarity"));
        assert_eq!(r.weakest.as_deref(), Some("shared_vision"));
        assert_eq!(r.forces[3].answered, 1);
        assert_eq!(r.forces[3].total, 3);
        // Recommendations: forces below 60, lowest first.
        let rec: Vec<_> = r.recommendations.iter().map(|x| x.force.as_str()).collect();
        assert_eq!(rec, ["shared_vision", "future_confidence"]);
        assert!(r.insights[0].starts_with("Group Prospects scores 54 out of 100 and is mixed"));
        assert!(r
            .insights
            .iter()
            .any(|i| i.contains("uneven (75 points apart)")));
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
        // All ties: strongest and weakest are the first force in framework order.
        assert_eq!(r.strongest.as_deref(), Some("belonging"));
        assert_eq!(r.weakest.as_deref(), Some("belonging"));
        assert_eq!(
            (r.band, r.band_label.as_str()),
            (Band::Strong, "Working well")
        );
        // Nothing below 60: the weakest force still gets one recommendation.
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
        assert!(r
            .insights
            .iter()
            .any(|i| i.contains("You answered 2 of 12")));
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
}
