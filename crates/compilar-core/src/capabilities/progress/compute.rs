//! The figures of the progress views, as pure functions of stored scores (unit-tested with hand-computed
//! figures below): tracks per group, mode and pillar; totals; milestones; the comparison of two assessments.

use std::collections::{BTreeMap, HashSet};

use super::dto::*;
use crate::capabilities::assessments::sql::HistoryRow;
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

/// The change from `before` to `after` as people read it: scores are shown in whole points (the window, the
/// reports, the command line), so a change is the difference of the two shown values — "40 → 56" is +16, never
/// the +17 the unrounded scores would give.
pub(crate) fn shown_change(after: f64, before: f64) -> f64 {
    after.round() - before.round()
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
mod tests {
    use super::*;
    use crate::capabilities::assessments::stored::{StoredForceV1, StoredScores};

    fn row(
        id: &str,
        pillar: &str,
        group: Option<&str>,
        at: &str,
        forces: &[(&str, Option<f64>)],
    ) -> HistoryRow {
        let scored: Vec<f64> = forces.iter().filter_map(|f| f.1).collect();
        HistoryRow {
            id: id.into(),
            pillar: pillar.into(),
            mode: if ["grpprosp", "indrecip", "popularity", "divsexp", "outresp"].contains(&pillar)
            {
                "egalitarian".into()
            } else {
                "hierarchical".into()
            },
            group_label: group.map(str::to_owned),
            completed_at: at.into(),
            scores: StoredScores {
                v: 1,
                pillar_score: round1(scored.iter().sum::<f64>() / scored.len() as f64),
                confidence: 1.0,
                confidence_level: ConfidenceLevel::High,
                answered: 12,
                total: 12,
                forces: forces
                    .iter()
                    .map(|(f, s)| StoredForceV1 {
                        force: (*f).into(),
                        name: (*f).into(),
                        score: *s,
                        answered: 3,
                        total: 3,
                    })
                    .collect(),
            },
        }
    }

    fn prospects(id: &str, group: Option<&str>, at: &str, s: [Option<f64>; 4]) -> HistoryRow {
        row(
            id,
            "grpprosp",
            group,
            at,
            &[
                ("goal_clarity", s[0]),
                ("future_confidence", s[1]),
                ("shared_vision", s[2]),
                ("incentive_alignment", s[3]),
            ],
        )
    }

    #[test]
    fn a_track_gives_the_latest_scores_and_the_change_since_the_previous_assessment() {
        let d = Domain::builtin().unwrap();
        let rows = [
            prospects(
                "a",
                Some("Team"),
                "2026-01-01T00:00:00.000Z",
                [Some(25.0), Some(50.0), Some(50.0), Some(75.0)],
            ),
            prospects(
                "b",
                Some("Team"),
                "2026-02-01T00:00:00.000Z",
                [Some(50.0), Some(50.0), Some(58.3), None],
            ),
            // Another group: its own track.
            prospects(
                "c",
                Some("Other"),
                "2026-01-15T00:00:00.000Z",
                [Some(100.0), Some(100.0), Some(100.0), Some(100.0)],
            ),
        ];
        let refs: Vec<&HistoryRow> = rows.iter().collect();
        let t = tracks(&d, &refs);
        assert_eq!(t.len(), 2);
        // Newest activity first: Team (February) before Other (January).
        let team = &t[0];
        assert_eq!(team.group_label.as_deref(), Some("Team"));
        assert_eq!(team.points.len(), 2);
        // Pillar: (25+50+50+75)/4 = 50 → (50+50+58.3)/3 = 52.8, shown as 50 → 53: a change of 3.
        assert_eq!(team.points[0].pillar_score, 50.0);
        assert_eq!(team.latest, 52.8);
        assert_eq!(team.change, Some(3.0));
        let f = |id: &str| team.forces.iter().find(|f| f.force == id).unwrap();
        assert_eq!(f("goal_clarity").change, Some(25.0));
        assert_eq!(f("future_confidence").change, Some(0.0));
        // 50 → 58.3, shown as 50 → 58.
        assert_eq!(f("shared_vision").change, Some(8.0));
        // Not answered the second time: no latest, no change (not a drop to zero).
        assert_eq!(f("incentive_alignment").latest, None);
        assert_eq!(f("incentive_alignment").change, None);
        assert_eq!(team.points[1].forces.len(), 4);
        let other = &t[1];
        assert_eq!(other.change, None);
        assert_eq!(other.forces[0].previous, None);
    }

    #[test]
    fn totals_count_pillars_and_modes_and_list_what_is_not_assessed() {
        let d = Domain::builtin().unwrap();
        let rows = [
            prospects("a", None, "2026-01-01T00:00:00.000Z", [Some(50.0); 4]),
            prospects("b", None, "2026-01-02T00:00:00.000Z", [Some(50.0); 4]),
        ];
        let refs: Vec<&HistoryRow> = rows.iter().collect();
        let (t, missing) = totals(&d, &refs, 3, None);
        assert_eq!(t.completed, 2);
        assert_eq!(t.in_progress, 3);
        assert_eq!(t.pillars_covered, 1);
        assert_eq!(t.modes_covered, vec!["egalitarian".to_string()]);
        assert_eq!(
            t.first_completed_at.as_deref(),
            Some("2026-01-01T00:00:00.000Z")
        );
        assert_eq!(missing.len(), 2);
        assert_eq!(missing[0].pillars.len(), 4);
        assert!(!missing[0].pillars.contains(&"grpprosp".to_string()));
        assert_eq!(missing[1].pillars.len(), 5);
        let (_, only) = totals(&d, &refs, 0, Some("hierarchical"));
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].mode, "hierarchical");
    }

    #[test]
    fn milestones_mark_the_first_assessment_a_full_profile_a_big_rise_and_goals_done() {
        let d = Domain::builtin().unwrap();
        let mut rows = vec![
            prospects(
                "p1",
                Some("T"),
                "2026-01-01T00:00:00.000Z",
                [Some(40.0), Some(50.0), Some(50.0), Some(50.0)],
            ),
            // Up 14 as shown (40 → 54, 14.4 unrounded): not a milestone; up 15: one.
            prospects(
                "p2",
                Some("T"),
                "2026-01-02T00:00:00.000Z",
                [Some(54.4), Some(65.0), Some(50.0), Some(50.0)],
            ),
        ];
        for (i, p) in ["indrecip", "popularity", "divsexp", "outresp"]
            .iter()
            .enumerate()
        {
            let at = format!("2026-01-0{}T00:00:00.000Z", i + 3);
            rows.push(row(
                &format!("x{i}"),
                p,
                Some("T"),
                &at,
                &[("a", Some(50.0))],
            ));
        }
        // The same pillars again add no second full-profile milestone.
        rows.push(row(
            "again",
            "outresp",
            Some("T"),
            "2026-01-09T00:00:00.000Z",
            &[("a", Some(50.0))],
        ));
        let refs: Vec<&HistoryRow> = rows.iter().collect();
        let done = [(
            "g1".to_string(),
            "Clearer goals".to_string(),
            "2026-01-10T00:00:00.000Z".to_string(),
        )];
        let m = milestones(&d, &refs, &done);
        let kinds: Vec<MilestoneKind> = m.iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            vec![
                MilestoneKind::GoalCompleted,
                MilestoneKind::FullProfile,
                MilestoneKind::ForceUp,
                MilestoneKind::FirstAssessment
            ]
        );
        assert_eq!(m[1].at, "2026-01-06T00:00:00.000Z");
        assert_eq!(
            m[1].title,
            "All five pillars of the egalitarian mode assessed for T"
        );
        assert_eq!(
            m[2].title,
            "Future confidence up 15 points in Group Prospects for T"
        );
        assert_eq!(m[0].title, "Goal completed: Clearer goals");
    }

    proptest::proptest! {
        /// A change is always the difference of the two values as shown.
        #[test]
        fn a_change_is_the_difference_of_the_shown_values(a in 0.0f64..=100.0, b in 0.0f64..=100.0) {
            let (a, b) = (round1(a), round1(b));
            proptest::prop_assert_eq!(shown_change(a, b), a.round() - b.round());
            proptest::prop_assert_eq!(shown_change(a, b).fract(), 0.0);
        }
    }

    #[test]
    fn a_comparison_gives_force_by_force_deltas_and_names_what_moved() {
        let d = Domain::builtin().unwrap();
        let mk = |answers: &[(&str, i64)]| {
            let q = d.bank.shuffled_ids("grpprosp", 1);
            let mut ans = std::collections::HashMap::new();
            for id in &q {
                let item = d.bank.get(id).unwrap();
                if let Some((_, v)) = answers.iter().find(|(f, _)| *f == item.force) {
                    ans.insert(id.clone(), if item.reverse { 6 - v } else { *v });
                }
            }
            crate::domain::score(&d, "grpprosp", &q, &ans).unwrap()
        };
        // Before: 2, 3, 4, 3 → 25, 50, 75, 50. After: 4, 3, 3, unanswered → 75, 50, 50, –.
        let b = mk(&[
            ("goal_clarity", 2),
            ("future_confidence", 3),
            ("shared_vision", 4),
            ("incentive_alignment", 3),
        ]);
        let a = mk(&[
            ("goal_clarity", 4),
            ("future_confidence", 3),
            ("shared_vision", 3),
        ]);
        let c = compare(
            "Group Prospects",
            &Side {
                id: "b",
                completed_at: "1",
                group_label: None,
                results: &b,
            },
            &Side {
                id: "a",
                completed_at: "2",
                group_label: None,
                results: &a,
            },
        );
        let f = |id: &str| c.forces.iter().find(|f| f.force == id).unwrap();
        assert_eq!(f("goal_clarity").change, Some(50.0));
        assert_eq!(f("goal_clarity").direction, Direction::Improved);
        assert_eq!(f("future_confidence").direction, Direction::Steady);
        assert_eq!(f("shared_vision").change, Some(-25.0));
        assert_eq!(f("shared_vision").direction, Direction::Slipped);
        assert_eq!(f("incentive_alignment").direction, Direction::NotComparable);
        // Pillar: 50 → (75+50+50)/3 = 58.3.
        assert_eq!(c.before.pillar_score, 50.0);
        assert_eq!(c.after.pillar_score, 58.3);
        // Shown as 50 → 58: a change of 8.
        assert_eq!(c.change, 8.0);
        assert_eq!(c.improved, vec!["Goal clarity".to_string()]);
        assert_eq!(c.slipped, vec!["Shared vision".to_string()]);
        // 9 of 12 answered: medium confidence, not low.
        assert!(!c.low_confidence);
    }

    #[test]
    fn steady_means_under_five_points_either_way() {
        assert_eq!(direction(Some(4.9)), Direction::Steady);
        assert_eq!(direction(Some(-4.9)), Direction::Steady);
        assert_eq!(direction(Some(5.0)), Direction::Improved);
        assert_eq!(direction(Some(-5.0)), Direction::Slipped);
        assert_eq!(direction(None), Direction::NotComparable);
    }

    #[test]
    fn analytics_split_by_mode_average_each_pillar_and_count_days_in_the_user_s_calendar() {
        let d = Domain::builtin().unwrap();
        // Two Group Prospects (40 and 80), one Own Prospects (hierarchical, 60).
        let rows = [
            row(
                "a",
                "grpprosp",
                None,
                "2026-09-20T10:00:00Z",
                &[("goal_clarity", Some(40.0))],
            ),
            row(
                "b",
                "ownprosp",
                None,
                "2026-11-20T10:00:00Z",
                &[("goal_clarity", Some(60.0))],
            ),
            // 23:30 UTC on the 30th is 1 December at UTC+1.
            row(
                "c",
                "grpprosp",
                None,
                "2026-11-30T23:30:00Z",
                &[("goal_clarity", Some(80.0))],
            ),
        ];
        let refs: Vec<&HistoryRow> = rows.iter().collect();
        let plus_one = chrono::FixedOffset::east_opt(3600).unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T12:00:00+01:00")
            .unwrap()
            .with_timezone(&plus_one);
        let a = analytics(&d, &refs, now);
        let m: Vec<(&str, u32, f64)> = a
            .modes
            .iter()
            .map(|m| (m.mode.as_str(), m.completed, m.percent))
            .collect();
        assert_eq!(m, [("egalitarian", 2, 67.0), ("hierarchical", 1, 33.0)]);
        let p: Vec<(&str, f64, u32, f64, f64)> = a
            .pillars
            .iter()
            .map(|p| {
                (
                    p.pillar.as_str(),
                    p.average,
                    p.completed,
                    p.lowest,
                    p.highest,
                )
            })
            .collect();
        assert_eq!(
            p,
            [
                ("grpprosp", 60.0, 2, 40.0, 80.0),
                ("ownprosp", 60.0, 1, 60.0, 60.0)
            ]
        );
        assert_eq!(a.days.len(), 30);
        assert_eq!(a.days[29].date, "2026-12-01");
        assert_eq!((a.days[29].completed, a.days[29].average), (1, Some(80.0)));
        assert_eq!(a.days[0].date, "2026-11-02");
        let nov20 = a.days.iter().find(|x| x.date == "2026-11-20").unwrap();
        assert_eq!(nov20.completed, 1);
        assert_eq!(a.days.iter().map(|x| x.completed).sum::<u32>(), 2);
        // Last 30 days: 60 and 80; the 30 before (2 Oct to 1 Nov): none, so no change.
        assert_eq!((a.last_30.completed, a.last_30.average), (2, Some(70.0)));
        assert_eq!((a.previous_30.completed, a.previous_30.average), (0, None));
        assert_eq!(a.change, None);
        // Seen from UTC, 23:30 on the 30th is still November.
        let utc = chrono::DateTime::parse_from_rfc3339("2026-12-01T11:00:00Z").unwrap();
        let a = analytics(&d, &refs, utc);
        assert_eq!(a.days[28].date, "2026-11-30");
        assert_eq!(a.days[28].completed, 1);
        // On 15 October the first is 25 days old: in the last 30.
        let later = chrono::DateTime::parse_from_rfc3339("2026-10-15T12:00:00Z").unwrap();
        let a = analytics(&d, &refs[..1], later);
        assert_eq!((a.last_30.completed, a.previous_30.completed), (1, 0));
        let a = analytics(
            &d,
            &refs,
            chrono::DateTime::parse_from_rfc3339("2026-12-25T12:00:00Z").unwrap(),
        );
        // 25 Dec: last 30 from 26 Nov holds 80; the 30 before (27 Oct to 25 Nov) holds 60: +20.
        assert_eq!(a.last_30.average, Some(80.0));
        assert_eq!(a.previous_30.average, Some(60.0));
        assert_eq!(a.change, Some(20.0));
    }

    #[test]
    fn analytics_of_nothing_are_zeros_not_errors() {
        let d = Domain::builtin().unwrap();
        let a = analytics(&d, &[], chrono::Utc::now().fixed_offset());
        assert!(a.modes.iter().all(|m| m.completed == 0 && m.percent == 0.0));
        assert!(a.pillars.is_empty());
        assert_eq!(a.days.len(), 30);
        assert_eq!(a.last_30.average, None);
    }
}
