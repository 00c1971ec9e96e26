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
