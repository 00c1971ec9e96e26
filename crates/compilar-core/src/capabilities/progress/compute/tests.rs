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
        mode: if ["grpprosp", "indrecip", "popularity", "divsexp", "outresp"].contains(&pillar) {
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
