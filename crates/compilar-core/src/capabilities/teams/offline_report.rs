//! The coach on a team's group round: the offline coach's team report, and the pillar view of the team's
//! figures that passages are retrieved for. Only what the server released is used — the figures over the
//! whole shown set of members (mean, spread, bands), never anyone's own answers; the reader's own score
//! is left out too, so a report can be shared with the team as it is.

use std::fmt::Write as _;

use super::dto::{ResultFigure, RoundResults, Spread};
use crate::domain::{Band, ConfidenceLevel, ForceScore, Framework, Pts, Results};
use crate::llm::Passage;
use crate::writing::offline::{
    band_words, find, lower_first, questions, sentences, sentences_about,
};

/// Below this a team's mean on a force makes it one to focus on (as for one person's result).
const FOCUS_BELOW: f64 = 60.0;

/// One pillar of a round's figures: the pillar's and its forces'.
pub struct PillarFigures<'a> {
    pub pillar: &'a ResultFigure,
    pub forces: Vec<&'a ResultFigure>,
}

/// The pillars of a round's figures, in the server's order.
pub fn pillars(r: &RoundResults) -> Vec<PillarFigures<'_>> {
    r.figures
        .iter()
        .filter(|f| f.force.is_none())
        .map(|p| PillarFigures {
            pillar: p,
            forces: r
                .figures
                .iter()
                .filter(|f| f.force.is_some() && f.pillar == p.pillar)
                .collect(),
        })
        .collect()
}

/// The pillar a team report digs into: the one with the lowest team mean (the only one, for a single
/// pillar's round).
pub fn focus_pillar<'a>(pillars: &'a [PillarFigures<'a>]) -> Option<&'a PillarFigures<'a>> {
    pillars
        .iter()
        .min_by(|a, b| a.pillar.mean.total_cmp(&b.pillar.mean))
}

/// The team's means on one pillar as a result, for retrieving the passages a report is grounded in (the
/// same search as for one person's result on those scores).
pub fn as_results(fw: &Framework, mode: &str, p: &PillarFigures<'_>) -> Results {
    let forces: Vec<ForceScore> = p
        .forces
        .iter()
        .filter_map(|f| {
            let id = f.force.clone()?;
            Some(ForceScore {
                name: fw.force(&id).map_or(id.clone(), |x| x.name.clone()),
                force: id,
                score: Some(f.mean),
                band: Some(Band::of(f.mean)),
                answered: f.n,
                total: f.n,
            })
        })
        .collect();
    let band = Band::of(p.pillar.mean);
    Results {
        pillar: p.pillar.pillar.clone(),
        mode: mode.to_owned(),
        pillar_score: p.pillar.mean,
        band,
        band_label: band.label().to_owned(),
        confidence: 1.0,
        confidence_level: ConfidenceLevel::High,
        answered: p.pillar.n,
        total: p.pillar.n,
        highlights: crate::domain::scoring::highlights(&forces),
        forces,
        strongest: None,
        weakest: None,
        caveat: None,
        insights: Vec::new(),
        recommendations: Vec::new(),
    }
}

/// Does the team see this force very differently?
pub fn split(f: &ResultFigure) -> bool {
    Spread::of(f.sd) == Spread::Wide
}

/// Where people's scores fall, from the five bands: "3 people below 40 and 2 at 60 or above".
fn ends(f: &ResultFigure) -> String {
    let low: u32 = f.histogram.iter().take(2).sum();
    let high: u32 = f.histogram.iter().skip(3).sum();
    let people = |n: u32| {
        if n == 1 {
            "1 person".to_owned()
        } else {
            format!("{n} people")
        }
    };
    format!("{} below 40 and {high} at 60 or above", people(low))
}

fn members(n: u32) -> String {
    if n == 1 {
        "1 member".into()
    } else {
        format!("{n} members")
    }
}

/// The offline coach's report on a round's team results, in Markdown, citing `passages` by number. `counted`
/// is how many members' results the figures cover.
pub fn report(fw: &Framework, r: &RoundResults, passages: &[Passage]) -> String {
    let mut out = String::new();
    let all = pillars(r);
    let counted = r.counted.unwrap_or(r.responses);
    let _ = writeln!(
        out,
        "> Written from the team's results of {} who answered {}: averages and spread only. No one's \
         own answers are in it, so it can be shared with the team as it is.\n",
        members(counted),
        r.title
    );

    out.push_str("## How the team sees itself\n\n");
    let mut ordered: Vec<&PillarFigures> = all.iter().collect();
    ordered.sort_by(|a, b| a.pillar.mean.total_cmp(&b.pillar.mean));
    for p in &ordered {
        let f = p.pillar;
        let _ = writeln!(
            out,
            "- **{}** averages {} out of 100 ({}); {} (standard deviation {}).",
            f.pillar_name,
            Pts(f.mean),
            band_words(f.mean),
            f.spread_label.to_lowercase(),
            Pts(f.sd)
        );
    }
    out.push('\n');
    let Some(focus) = focus_pillar(&all) else {
        out.push_str("The results have no figures to write about.\n");
        return out;
    };
    if all.len() > 1 {
        let _ = writeln!(
            out,
            "The rest of this report looks closer at **{}**, the pillar the team rates lowest.\n",
            focus.pillar.pillar_name
        );
    }

    let mut forces: Vec<&ResultFigure> = focus.forces.clone();
    forces.sort_by(|a, b| a.mean.total_cmp(&b.mean));
    let name = |f: &ResultFigure| f.force_name.clone().unwrap_or_default();
    let def = |f: &ResultFigure| f.force.as_deref().and_then(|id| fw.force(id));

    out.push_str("## Where to focus together\n\n");
    // Ties named together, as one person's Results page groups them; all level: no one force to start with.
    let means: Vec<(&ResultFigure, f64)> = forces.iter().map(|f| (*f, f.mean)).collect();
    let (lowest, _) = crate::writing::offline::end_group(&means, false);
    let level = means.len() > 1 && lowest.len() == means.len();
    let bold = |group: &[(&ResultFigure, f64)]| {
        let names: Vec<String> = group
            .iter()
            .map(|(f, _)| format!("**{}**", name(f)))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        crate::writing::offline::names_of(&names)
    };
    let low: Vec<&ResultFigure> = lowest
        .iter()
        .map(|(f, _)| *f)
        .filter(|f| f.mean < FOCUS_BELOW)
        .collect();
    let at = crate::writing::offline::scores_of(&lowest);
    if level {
        let _ = writeln!(
            out,
            "No single force stands out: {} are level ({at}). Work on the pillar together as a whole{}\n",
            bold(&lowest),
            if low.is_empty() {
                "."
            } else {
                "; here is what each looks like when it is weak."
            }
        );
    } else if low.is_empty() {
        if let [(f, _)] = lowest.as_slice() {
            let _ = writeln!(
                out,
                "No force averages below {FOCUS_BELOW:.0}. The lowest, **{}** ({}, {}), is the one to keep an \
                 eye on together.\n",
                name(f),
                Pts(f.mean),
                band_words(f.mean)
            );
        } else if !lowest.is_empty() {
            let _ = writeln!(
                out,
                "No force averages below {FOCUS_BELOW:.0}. The lowest, {} ({at}), are level: keep an eye on \
                 them together.\n",
                bold(&lowest)
            );
        }
    }
    for f in &low {
        let _ = write!(
            out,
            "**{}** averages {} ({}).",
            name(f),
            Pts(f.mean),
            band_words(f.mean)
        );
        if let Some(d) = def(f) {
            let _ = write!(
                out,
                " {} When it is weak: {}",
                d.description,
                lower_first(&d.weak)
            );
        }
        if let Some(p) = f
            .force
            .as_deref()
            .and_then(|id| find(passages, Some(id), "signs"))
        {
            let _ = write!(
                out,
                " What good looks like: {} [{}]",
                lower_first(&sentences_about(&p.text, "strong", 1)),
                p.number
            );
        }
        out.push_str("\n\n");
    }

    out.push_str("## Where views differ\n\n");
    let splits: Vec<&ResultFigure> = focus.forces.iter().copied().filter(|f| split(f)).collect();
    if splits.is_empty() {
        let widest = focus.forces.iter().map(|f| f.sd).fold(0.0_f64, f64::max);
        if Spread::of(widest) == Spread::Close {
            let _ = writeln!(
                out,
                "Members' views sit close together on every force (no standard deviation above {} \
                 points), so the averages describe the team fairly.\n",
                Pts(widest)
            );
        } else {
            let _ = writeln!(
                out,
                "No force splits the team sharply (the widest standard deviation is {} points), so the \
                 averages are a fair starting point; still ask whether anyone reads them differently.\n",
                Pts(widest)
            );
        }
    }
    for f in &splits {
        let _ = writeln!(
            out,
            "- **{}**: views differ widely (standard deviation {}; {}). The average of {} hides \
             members who see this very differently; before deciding what the number means, ask what each of \
             them sees.",
            name(f),
            Pts(f.sd),
            ends(f),
            Pts(f.mean)
        );
    }
    if !splits.is_empty() {
        out.push('\n');
    }

    out.push_str("## What the team can build on\n\n");
    let (top, stands) = crate::writing::offline::end_group(&means, true);
    let inner = top.iter().map(|x| x.1).fold(f64::MAX, f64::min);
    let at = crate::writing::offline::scores_of(&top);
    let are = if top.len() > 1 { "are" } else { "is" };
    if means.len() < 2 {
        out.push_str("Only one force was scored, so there is nothing to compare it with yet.\n\n");
    } else if level {
        let _ = writeln!(
            out,
            "The forces are level ({at}), so no one of them is firmer ground than the others: the team holds \
             this pillar up, or lets it slip, as a whole.\n"
        );
    } else if !stands {
        let _ = writeln!(
            out,
            "No single force stands out above the others: the highest, {} ({at}), {are} less than 10 points \
             clear of the rest, so the team's firm ground is shared rather than in one place.\n",
            bold(&top)
        );
    } else if inner >= 45.0 {
        let strength = match (inner >= 70.0, top.len() > 1) {
            (true, false) => "a real strength of the team",
            (true, true) => "real strengths of the team, level at the top",
            (false, false) => "the team's firmest ground here, though not yet strong",
            (false, true) => {
                "the team's firmest ground here, level at the top, though not yet strong"
            }
        };
        let _ = write!(out, "{} ({at}) {are} {strength}.", bold(&top));
        for (f, _) in &top {
            if let Some(d) = def(f) {
                let _ = write!(out, " When {} works: {}", name(f), lower_first(&d.strong));
            }
            if let Some(p) = f
                .force
                .as_deref()
                .and_then(|id| find(passages, Some(id), "signs"))
            {
                let _ = write!(out, " [{}]", p.number);
            }
        }
        out.push_str(if top.len() > 1 {
            " Name them with the team: they are what will carry the changes.\n\n"
        } else {
            " Name it with the team: it is what will carry the changes.\n\n"
        });
    } else {
        out.push_str(
            "No force reaches the middle band yet, so start small: one practice the whole team agrees to try \
             for a few weeks.\n\n",
        );
    }

    out.push_str("## Practices to try together\n\n");
    let practise: Vec<&ResultFigure> = if low.is_empty() {
        forces.first().copied().into_iter().collect()
    } else {
        low.clone()
    };
    let mut n = 1;
    for f in &practise {
        if let Some(d) = def(f) {
            let _ = writeln!(out, "{n}. **{}:** {}", d.name, d.action);
            n += 1;
        }
        if let Some(p) = f
            .force
            .as_deref()
            .and_then(|id| find(passages, Some(id), "practice"))
        {
            let _ = writeln!(out, "{n}. {} [{}]", sentences(&p.text, 2), p.number);
            n += 1;
        }
    }
    out.push('\n');

    out.push_str("## For the team conversation\n\n");
    if let Some(p) = find(passages, None, "reflection") {
        for q in questions(&p.text, 3) {
            let _ = writeln!(out, "- {q} [{}]", p.number);
        }
    }
    if let Some(f) = splits.first() {
        let _ = writeln!(
            out,
            "- On {}, what does someone who scored it high see that someone who scored it low does not?",
            name(f).to_lowercase()
        );
    }
    if let Some(f) = practise.first() {
        let _ = writeln!(
            out,
            "- What would the team notice, a month from now, if {} had improved?",
            name(f).to_lowercase()
        );
    }
    out.push('\n');

    out.push_str("## Next steps for the facilitator\n\n");
    out.push_str(
        "- Share these results with the team before interpreting them, and ask what surprises people.\n",
    );
    if let Some(f) = practise.first() {
        let _ = writeln!(
            out,
            "- Agree on one practice for {} and who will try it, by when.",
            name(f).to_lowercase()
        );
    }
    let _ = writeln!(
        out,
        "- Start another round of {} in four to six weeks to see whether it moved.\n",
        r.title
    );
    out.push_str(
        "---\n\n*Written by the offline coach from the PILAR framework, the knowledge base and the team's \
         figures: the same figures always give the same report. A model would add a narrative fitted to the \
         team; set one up in Settings.*\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capabilities::teams::dto::ResultFigure;

    fn fig(force: Option<(&str, &str)>, mean: f64, sd: f64, histogram: [u32; 5]) -> ResultFigure {
        ResultFigure {
            pillar: "grpprosp".into(),
            pillar_name: "Group Prospects".into(),
            force: force.map(|f| f.0.into()),
            force_name: force.map(|f| f.1.into()),
            n: 6,
            mean,
            band: Band::of(mean),
            sd,
            spread: Spread::of(sd),
            spread_label: Spread::of(sd).label().into(),
            histogram: histogram.to_vec(),
            mine: Some(12.5),
        }
    }

    fn round(figures: Vec<ResultFigure>) -> RoundResults {
        RoundResults {
            round_id: "r".into(),
            number: 2,
            round_label: "Round 2 \u{b7} Group Prospects".into(),
            state: crate::capabilities::teams::dto::RoundState::Shown,
            label: "6 responses".into(),
            responses: 7,
            members: 9,
            needed: 5,
            counted: Some(6),
            pillar: Some("grpprosp".into()),
            mode: "egalitarian".into(),
            title: "Group Prospects".into(),
            created_at: None,
            closed_at: None,
            figures,
        }
    }

    fn framework() -> Framework {
        crate::domain::Domain::builtin().expect("domain").framework
    }

    #[test]
    fn a_split_force_is_named_and_the_reader_s_own_score_never_appears() {
        let fw = framework();
        let forces = fw.forces_of(fw.pillar("grpprosp").expect("pillar"));
        let r = round(vec![
            fig(None, 55.0, 12.0, [0, 1, 2, 2, 1]),
            fig(
                Some((&forces[0].id, &forces[0].name)),
                42.0,
                25.0,
                [2, 1, 0, 1, 2],
            ),
            fig(
                Some((&forces[1].id, &forces[1].name)),
                70.0,
                5.0,
                [0, 0, 0, 6, 0],
            ),
            fig(
                Some((&forces[2].id, &forces[2].name)),
                58.0,
                8.0,
                [0, 0, 4, 2, 0],
            ),
            fig(
                Some((&forces[3].id, &forces[3].name)),
                59.0,
                6.0,
                [0, 0, 3, 3, 0],
            ),
        ]);
        let text = report(&fw, &r, &[]);
        assert!(
            text.contains("6 members who answered Group Prospects"),
            "{text}"
        );
        assert!(text.contains(&format!(
            "**{}**: views differ widely (standard deviation 25; 3 people below 40 and 3 at 60 or above)",
            forces[0].name
        )), "{text}");
        assert!(!text.contains(&format!("**{}**: views differ", forces[1].name)));
        assert!(text.contains(&format!("**{}** (70) is a real strength", forces[1].name)));
        assert!(!text.contains("12.5") && !text.contains(" 12 "), "{text}");
        // Pure: the same figures give the same report.
        assert_eq!(text, report(&fw, &r, &[]));
    }

    /// Four forces at 53: none stands out, as one person's Results page would say, so none is "the firmest
    /// ground" or the one place to focus.
    #[test]
    fn level_forces_are_not_singled_out() {
        let fw = framework();
        let forces = fw.forces_of(fw.pillar("grpprosp").expect("pillar"));
        let mut figs = vec![fig(None, 53.0, 4.0, [0, 0, 6, 0, 0])];
        for f in &forces {
            figs.push(fig(Some((&f.id, &f.name)), 53.0, 4.0, [0, 0, 6, 0, 0]));
        }
        let text = report(&fw, &round(figs), &[]);
        assert!(!text.contains("firmest ground"), "{text}");
        assert!(text.contains("No single force stands out"), "{text}");
        assert!(text.contains("are level (53)"), "{text}");
        // Each is described (all four, not one picked from the tie).
        for f in &forces {
            assert!(
                text.contains(&format!("**{}** averages 53", f.name)),
                "{text}"
            );
        }
    }

    #[test]
    fn close_scores_are_said_to_describe_the_team_fairly() {
        let fw = framework();
        let f = fw.forces_of(fw.pillar("grpprosp").expect("pillar"))[0];
        let r = round(vec![
            fig(None, 66.0, 3.0, [0, 0, 0, 6, 0]),
            fig(Some((&f.id, &f.name)), 66.0, 7.0, [0, 0, 1, 5, 0]),
        ]);
        let text = report(&fw, &r, &[]);
        assert!(
            text.contains(
                "sit close together on every force (no standard deviation above 7 points)"
            ),
            "{text}"
        );
    }
}
