//! The figures of the progress views, as pure functions of stored scores (unit-tested with hand-computed
//! figures below): tracks per group, mode and pillar; totals; milestones; the comparison of two assessments.

use std::collections::{BTreeMap, HashSet};

use super::dto::*;
use crate::capabilities::assessments::sql::HistoryRow;
pub(crate) use crate::domain::shown_change;
use crate::domain::{Band, ConfidenceLevel, Domain, Results};

/// A move smaller than this many points counts as steady. One answer moved by one step on a force of three
/// questions moves its score by 8.3 points, so anything below 5 is noise from a partial answer set.
pub const STEADY_WITHIN: f64 = 5.0;
/// A force up by this many points since the previous assessment of its pillar is a milestone.
pub const FORCE_UP_BY: f64 = 15.0;
/// The most milestones returned (newest first).
pub const MAX_MILESTONES: usize = 100;

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub(crate) fn direction(change: Option<f64>) -> Direction {
    match change {
        None => Direction::NotComparable,
        Some(c) if c.abs() < STEADY_WITHIN => Direction::Steady,
        Some(c) if c > 0.0 => Direction::Improved,
        Some(_) => Direction::Slipped,
    }
}

fn force_score(row: &HistoryRow, force: &str) -> Option<f64> {
    row.scores
        .forces
        .iter()
        .find(|f| f.force == force)
        .and_then(|f| f.score)
}

/// Does `row` fall in the view of `group` and `mode`?
pub(crate) fn in_view(row: &HistoryRow, group: Option<&str>, mode: Option<&str>) -> bool {
    group.is_none_or(|g| row.group_label.as_deref() == Some(g))
        && mode.is_none_or(|m| row.mode == m)
}

type TrackKey = (Option<String>, String, String);

fn grouped<'r>(rows: &[&'r HistoryRow]) -> BTreeMap<TrackKey, Vec<&'r HistoryRow>> {
    let mut by: BTreeMap<TrackKey, Vec<&HistoryRow>> = BTreeMap::new();
    for r in rows {
        by.entry((r.group_label.clone(), r.mode.clone(), r.pillar.clone()))
            .or_default()
            .push(r);
    }
    by
}

/// One track per group, mode and pillar, the newest activity first. `rows` are oldest first.
pub(crate) fn tracks(domain: &Domain, rows: &[&HistoryRow]) -> Vec<PillarTrack> {
    let fw = &domain.framework;
    let mut out: Vec<PillarTrack> = Vec::new();
    for ((group_label, mode, pillar), points) in grouped(rows) {
        let Some(p) = fw.pillar(&pillar) else {
            continue;
        };
        let Some(last) = points.last() else { continue };
        let prev = points.len().checked_sub(2).map(|i| points[i]);
        let forces = fw
            .forces_of(p)
            .into_iter()
            .map(|f| {
                let latest = force_score(last, &f.id);
                let previous = prev.and_then(|r| force_score(r, &f.id));
                ForceTrack {
                    force: f.id.clone(),
                    name: f.name.clone(),
                    change: latest.zip(previous).map(|(a, b)| shown_change(a, b)),
                    latest,
                    previous,
                }
            })
            .collect::<Vec<_>>();
        out.push(PillarTrack {
            points: points
                .iter()
                .map(|r| TrackPoint {
                    assessment_id: r.id.clone(),
                    completed_at: r.completed_at.clone(),
                    pillar_score: r.scores.pillar_score,
                    confidence_level: r.scores.confidence_level,
                    forces: forces.iter().map(|f| force_score(r, &f.force)).collect(),
                })
                .collect(),
            latest: last.scores.pillar_score,
            latest_band: Band::of(last.scores.pillar_score),
            change: prev.map(|r| shown_change(last.scores.pillar_score, r.scores.pillar_score)),
            pillar_name: p.name.clone(),
            group_label,
            mode,
            pillar,
            forces,
        });
    }
    out.sort_by(|a, b| {
        let at = |t: &PillarTrack| t.points.last().map(|p| p.completed_at.clone());
        at(b).cmp(&at(a))
    });
    out
}

/// Totals of the rows in view, and the pillars of each mode in view not assessed yet.
pub(crate) fn totals(
    domain: &Domain,
    rows: &[&HistoryRow],
    in_progress: u32,
    mode: Option<&str>,
) -> (ProgressTotals, Vec<NotAssessed>) {
    let fw = &domain.framework;
    let covered: HashSet<&str> = rows.iter().map(|r| r.pillar.as_str()).collect();
    let modes_covered = fw
        .modes
        .iter()
        .filter(|m| rows.iter().any(|r| r.mode == m.id))
        .map(|m| m.id.clone())
        .collect();
    let not_assessed = fw
        .modes
        .iter()
        .filter(|m| mode.is_none_or(|x| x == m.id))
        .map(|m| NotAssessed {
            mode: m.id.clone(),
            pillars: fw
                .pillars
                .iter()
                .filter(|p| p.mode == m.id && !covered.contains(p.id.as_str()))
                .map(|p| p.id.clone())
                .collect(),
        })
        .collect();
    (
        ProgressTotals {
            completed: rows.len() as u32,
            in_progress,
            pillars_covered: covered.len() as u32,
            modes_covered,
            first_completed_at: rows.first().map(|r| r.completed_at.clone()),
            last_completed_at: rows.last().map(|r| r.completed_at.clone()),
        },
        not_assessed,
    )
}

fn about(group: &Option<String>) -> String {
    group
        .as_deref()
        .map(|g| format!(" for {g}"))
        .unwrap_or_default()
}

/// Milestones over the whole history (`rows` oldest first) and the goals completed (id, title, when).
pub(crate) fn milestones(
    domain: &Domain,
    rows: &[&HistoryRow],
    goals_done: &[(String, String, String)],
) -> Vec<Milestone> {
    let fw = &domain.framework;
    let mut out = Vec::new();
    if let Some(first) = rows.first() {
        out.push(Milestone {
            kind: MilestoneKind::FirstAssessment,
            at: first.completed_at.clone(),
            title: "First assessment completed".into(),
            assessment_id: Some(first.id.clone()),
            goal_id: None,
        });
    }
    // A full profile: the moment every pillar of a mode has a completed assessment about one group.
    let mut seen: BTreeMap<(Option<String>, String), HashSet<String>> = BTreeMap::new();
    for r in rows {
        let set = seen
            .entry((r.group_label.clone(), r.mode.clone()))
            .or_default();
        let before = set.len();
        set.insert(r.pillar.clone());
        let of_mode = fw.pillars.iter().filter(|p| p.mode == r.mode).count();
        if set.len() == of_mode && before + 1 == of_mode {
            let mode = fw
                .modes
                .iter()
                .find(|m| m.id == r.mode)
                .map_or(r.mode.clone(), |m| m.name.to_lowercase());
            out.push(Milestone {
                kind: MilestoneKind::FullProfile,
                at: r.completed_at.clone(),
                title: format!(
                    "All five pillars of the {mode} mode assessed{}",
                    about(&r.group_label)
                ),
                assessment_id: Some(r.id.clone()),
                goal_id: None,
            });
        }
    }
    for ((group, _, pillar), points) in grouped(rows) {
        let Some(p) = fw.pillar(&pillar) else {
            continue;
        };
        for pair in points.windows(2) {
            for f in fw.forces_of(p) {
                let (Some(b), Some(a)) = (force_score(pair[0], &f.id), force_score(pair[1], &f.id))
                else {
                    continue;
                };
                if shown_change(a, b) >= FORCE_UP_BY {
                    out.push(Milestone {
                        kind: MilestoneKind::ForceUp,
                        at: pair[1].completed_at.clone(),
                        title: format!(
                            "{} up {} points in {}{}",
                            f.name,
                            shown_change(a, b),
                            p.name,
                            about(&group)
                        ),
                        assessment_id: Some(pair[1].id.clone()),
                        goal_id: None,
                    });
                }
            }
        }
    }
    for (id, title, at) in goals_done {
        out.push(Milestone {
            kind: MilestoneKind::GoalCompleted,
            at: at.clone(),
            title: format!("Goal completed: {title}"),
            assessment_id: None,
            goal_id: Some(id.clone()),
        });
    }
    out.sort_by(|a, b| b.at.cmp(&a.at));
    out.truncate(MAX_MILESTONES);
    out
}

/// One side of a comparison, from an assessment's results.
pub(crate) struct Side<'a> {
    pub id: &'a str,
    pub completed_at: &'a str,
    pub group_label: Option<&'a str>,
    pub results: &'a Results,
}

fn side(s: &Side<'_>) -> CompareSide {
    let r = s.results;
    CompareSide {
        assessment_id: s.id.to_owned(),
        completed_at: s.completed_at.to_owned(),
        group_label: s.group_label.map(str::to_owned),
        pillar_score: r.pillar_score,
        band: r.band,
        confidence: r.confidence,
        confidence_level: r.confidence_level,
        low_confidence: r.confidence_level == ConfidenceLevel::Low,
        answered: r.answered,
        total: r.total,
    }
}

/// `before` and `after` side by side (the caller orders them and checks pillar and mode match).
pub(crate) fn compare(pillar_name: &str, before: &Side<'_>, after: &Side<'_>) -> Comparison {
    let (b, a) = (before.results, after.results);
    let forces: Vec<ForceChange> = a
        .forces
        .iter()
        .map(|af| {
            let bs = b
                .forces
                .iter()
                .find(|x| x.force == af.force)
                .and_then(|x| x.score);
            let change = af.score.zip(bs).map(|(x, y)| shown_change(x, y));
            ForceChange {
                force: af.force.clone(),
                name: af.name.clone(),
                before: bs,
                after: af.score,
                change,
                direction: direction(change),
            }
        })
        .collect();
    let named = |d: Direction| {
        let mut v: Vec<&ForceChange> = forces.iter().filter(|f| f.direction == d).collect();
        v.sort_by(|x, y| {
            let m = |f: &ForceChange| f.change.map_or(0.0, f64::abs);
            m(y).total_cmp(&m(x))
        });
        v.into_iter().map(|f| f.name.clone()).collect::<Vec<_>>()
    };
    let change = shown_change(a.pillar_score, b.pillar_score);
    let (improved, slipped) = (named(Direction::Improved), named(Direction::Slipped));
    let (before, after) = (side(before), side(after));
    Comparison {
        pillar: a.pillar.clone(),
        pillar_name: pillar_name.to_owned(),
        mode: a.mode.clone(),
        low_confidence: before.low_confidence || after.low_confidence,
        before,
        after,
        change,
        direction: direction(Some(change)),
        forces,
        improved,
        slipped,
        steady_within: STEADY_WITHIN,
    }
}

/// Days in the trend window.
pub const TREND_DAYS: i64 = 30;

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| round1(xs.iter().sum::<f64>() / xs.len() as f64))
}

/// The analytics of the rows in view (`rows` oldest first) on `today` in the calendar `offset`.
pub(crate) fn analytics(
    domain: &Domain,
    rows: &[&HistoryRow],
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Analytics {
    let fw = &domain.framework;
    let total = rows.len() as f64;
    let modes = fw
        .modes
        .iter()
        .map(|m| {
            let completed = rows.iter().filter(|r| r.mode == m.id).count() as u32;
            ModeShare {
                mode: m.id.clone(),
                name: m.name.clone(),
                completed,
                percent: if total > 0.0 {
                    (f64::from(completed) * 100.0 / total).round()
                } else {
                    0.0
                },
            }
        })
        .collect();
    let pillars = fw
        .pillars
        .iter()
        .filter_map(|p| {
            let scores: Vec<f64> = rows
                .iter()
                .filter(|r| r.pillar == p.id)
                .map(|r| r.scores.pillar_score)
                .collect();
            let average = mean(&scores)?;
            Some(PillarAverage {
                mode: p.mode.clone(),
                pillar: p.id.clone(),
                pillar_name: p.name.clone(),
                average,
                band: Band::of(average),
                completed: scores.len() as u32,
                lowest: scores.iter().copied().fold(f64::MAX, f64::min),
                highest: scores.iter().copied().fold(f64::MIN, f64::max),
            })
        })
        .collect();
    let offset = *now.offset();
    let today = now.date_naive();
    // Each row's calendar day in the asked-for zone; rows whose time cannot be read are left out.
    let dated: Vec<(chrono::NaiveDate, f64)> = rows
        .iter()
        .filter_map(|r| {
            let t = chrono::DateTime::parse_from_rfc3339(&r.completed_at).ok()?;
            Some((t.with_timezone(&offset).date_naive(), r.scores.pillar_score))
        })
        .collect();
    let days_ago = |d: chrono::NaiveDate| (today - d).num_days();
    let days = (0..TREND_DAYS)
        .rev()
        .map(|ago| {
            let date = today - chrono::Duration::days(ago);
            let scores: Vec<f64> = dated
                .iter()
                .filter(|(d, _)| *d == date)
                .map(|(_, s)| *s)
                .collect();
            DayActivity {
                date: date.format("%Y-%m-%d").to_string(),
                completed: scores.len() as u32,
                average: mean(&scores),
            }
        })
        .collect();
    let period = |from: i64, to: i64| {
        let scores: Vec<f64> = dated
            .iter()
            .filter(|(d, _)| (from..to).contains(&days_ago(*d)))
            .map(|(_, s)| *s)
            .collect();
        Period {
            completed: scores.len() as u32,
            average: mean(&scores),
        }
    };
    let last_30 = period(0, TREND_DAYS);
    let previous_30 = period(TREND_DAYS, 2 * TREND_DAYS);
    Analytics {
        modes,
        pillars,
        days,
        change: last_30
            .average
            .zip(previous_30.average)
            .map(|(a, b)| shown_change(a, b)),
        last_30,
        previous_30,
    }
}

#[cfg(test)]
mod tests;
