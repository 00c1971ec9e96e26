//! The offline coach: a coaching report built by rules from the results, the PILAR framework and the passages
//! retrieved for the result, with no model. Pure and deterministic: the same results and passages always give
//! the same report. Every claim it takes from a passage cites it.

use std::fmt::Write as _;

use crate::domain::{
    Band, ConfidenceLevel, Connection, ConnectionKind, Force, Framework, Pts, Results,
};
use crate::llm::Passage;

/// The "model" the offline coach reports as (its rules' version).
pub const OFFLINE_MODEL: &str = "rules v1";
pub const OFFLINE_LABEL: &str = "Offline coach";

/// Below this a force is named as one to focus on.
const FOCUS_BELOW: f64 = 60.0;
/// Forces this close together are "even".
const EVEN_WITHIN: f64 = 10.0;

/// The forces at one end of `scored` (lowest first) as the scoring module groups them for the Results page
/// ([`crate::domain::scoring::highlights`]): every force within `LEVEL_WITHIN` points of the end, named together
/// as a tie, and whether that group stands out (`STANDOUT_GAP` clear of every other force).
pub(crate) fn end_group<T: Copy>(scored: &[(T, f64)], top: bool) -> (Vec<(T, f64)>, bool) {
    use crate::domain::scoring::{LEVEL_WITHIN, STANDOUT_GAP};
    let Some(edge) = (if top { scored.last() } else { scored.first() }).map(|x| x.1) else {
        return (Vec::new(), false);
    };
    let (group, rest): (Vec<_>, Vec<_>) = scored
        .iter()
        .copied()
        .partition(|&(_, s)| (s - edge).abs() <= LEVEL_WITHIN);
    let clear = if top {
        let inner = group.iter().map(|x| x.1).fold(f64::MAX, f64::min);
        rest.iter().map(|x| inner - x.1).fold(f64::MAX, f64::min)
    } else {
        let inner = group.iter().map(|x| x.1).fold(f64::MIN, f64::max);
        rest.iter().map(|x| x.1 - inner).fold(f64::MAX, f64::min)
    };
    let stands = !rest.is_empty() && clear >= STANDOUT_GAP;
    let mut group = group;
    if top {
        // Highest first (ties in framework order).
        group.sort_by(|a, b| b.1.total_cmp(&a.1));
    }
    (group, stands)
}

/// "A, B and C".
pub(crate) fn names_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "58" or "55–58": the scores of a group as shown.
pub(crate) fn scores_of<T>(group: &[(T, f64)]) -> String {
    let lo = group.iter().map(|x| x.1).fold(f64::MAX, f64::min);
    let hi = group.iter().map(|x| x.1).fold(f64::MIN, f64::max);
    let (a, b) = (Pts(lo).to_string(), Pts(hi).to_string());
    if a == b {
        a
    } else {
        format!("{a}\u{2013}{b}")
    }
}

/// A passage's sentences. A sentence ends at `.`, `?` or `!` followed by the end or a space (a closing quote or
/// bracket stays with it), so `Ask "what are we missing?" before…` stays one sentence.
pub(crate) fn split_sentences(text: &str) -> Vec<String> {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = flat.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        cur.push(c);
        if matches!(c, '.' | '?' | '!') {
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j], '"' | '\u{201d}' | '\'' | '\u{2019}' | ')')
            {
                cur.push(chars[j]);
                j += 1;
            }
            if j >= chars.len() || chars[j] == ' ' {
                // A closing quote after `?` may still be inside a sentence ("… missing?" before a decision).
                let next_lower = chars.get(j + 1).is_some_and(|n| n.is_lowercase());
                if !(next_lower && j > i + 1) {
                    out.push(cur.trim().to_owned());
                    cur.clear();
                }
            }
            i = j;
            continue;
        }
        i += 1;
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

/// The first `n` questions of a passage (the reflection passages are lists of them), white space folded.
pub(crate) fn questions(text: &str, n: usize) -> Vec<String> {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .split_inclusive('?')
        .map(str::trim)
        .filter(|q| q.ends_with('?'))
        .take(n)
        .map(str::to_owned)
        .collect()
}

/// The first `n` sentences of a passage.
pub(crate) fn sentences(text: &str, n: usize) -> String {
    split_sentences(text)
        .into_iter()
        .take(n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Up to `n` sentences of a passage that contain `word` (case-insensitive), else its second and later
/// sentences (the first usually defines the force, which the report has said already).
pub(crate) fn sentences_about(text: &str, word: &str, n: usize) -> String {
    let all = split_sentences(text);
    let hits: Vec<&String> = all
        .iter()
        .filter(|s| s.to_lowercase().contains(word))
        .take(n)
        .collect();
    let picked: Vec<String> = if hits.is_empty() {
        all.iter().skip(1).take(n).cloned().collect()
    } else {
        hits.into_iter().cloned().collect()
    };
    // Passages sometimes label a sentence ("Strong: the group…"); the report says it in its own words.
    picked
        .iter()
        .map(|s| {
            let (head, rest) = s.split_once(": ").unwrap_or(("", s));
            if head.eq_ignore_ascii_case(word) {
                capitalise(rest)
            } else {
                s.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn find<'a>(
    passages: &'a [Passage],
    force: Option<&str>,
    category: &str,
) -> Option<&'a Passage> {
    passages.iter().find(|p| {
        p.source_kind == "builtin" && p.category == category && p.force.as_deref() == force
    })
}

pub(crate) fn band_words(score: f64) -> &'static str {
    match Band::of(score) {
        Band::Strong => "working well",
        Band::Mixed => "mixed",
        Band::Strained => "under strain",
    }
}

/// The report, in Markdown, citing `passages` by number.
pub fn report(fw: &Framework, r: &Results, passages: &[Passage]) -> String {
    let mut out = String::new();
    let pillar = fw.pillar(&r.pillar);
    let pillar_name = pillar.map_or(r.pillar.as_str(), |p| p.name.as_str());
    let scored = scored(fw, r);
    let unanswered: Vec<&str> = r
        .forces
        .iter()
        .filter(|f| f.score.is_none())
        .map(|f| f.name.as_str())
        .collect();

    if r.confidence_level == ConfidenceLevel::Low {
        let _ = writeln!(
            out,
            "> Based on {} of {} answers, so read this as a first impression: answering the rest would make it firmer.\n",
            r.answered, r.total
        );
    }

    // Where to focus.
    out.push_str("## Where to focus\n\n");
    let _ = write!(
        out,
        "{pillar_name} scores {} out of 100 ({}).",
        Pts(r.pillar_score),
        r.band_label.to_lowercase()
    );
    if scored.len() > 1 {
        let spread = scored[scored.len() - 1].1 - scored[0].1;
        let apart = Pts::gap(scored[scored.len() - 1].1, scored[0].1);
        if spread < EVEN_WITHIN {
            let _ = write!(
                out,
                " Its forces sit close together ({apart} points apart), so the pillar works much as a whole: \
                 a change in one is likely to show in the others."
            );
        } else {
            let _ = write!(
                out,
                " Its forces are {apart} points apart, so the lowest of them is where effort is likely to pay \
                 off most."
            );
        }
    }
    out.push_str("\n\n");
    // The lowest forces, ties named together (as the Results page groups them); all of them level: none.
    let (lowest, _) = end_group(&scored, false);
    let level = scored.len() > 1 && lowest.len() == scored.len();
    let focus: Vec<(&Force, f64)> = lowest
        .iter()
        .copied()
        .filter(|(_, s)| *s < FOCUS_BELOW)
        .collect();
    let names: Vec<String> = lowest
        .iter()
        .map(|(f, _)| format!("**{}**", f.name))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let at = scores_of(&lowest);
    if level {
        let _ = writeln!(
            out,
            "No single force stands out: {} are level ({at}). Work on the pillar as a whole{}\n",
            names_of(&names),
            if focus.is_empty() {
                ", starting with the practice below that feels most doable."
            } else {
                "; here is what each looks like when it is weak."
            }
        );
    } else if focus.is_empty() {
        if let [(f, s)] = lowest.as_slice() {
            let _ = writeln!(
                out,
                "No force is below {FOCUS_BELOW:.0}. The lowest, **{}** ({}, {}), is still the one to keep an \
                 eye on: {}\n",
                f.name,
                Pts(*s),
                band_words(*s),
                lower_first(&f.description)
            );
        } else if !lowest.is_empty() {
            let _ = writeln!(
                out,
                "No force is below {FOCUS_BELOW:.0}. The lowest, {} ({at}), are level: keep an eye on them together.\n",
                names_of(&names)
            );
        }
    }
    for (f, s) in &focus {
        let _ = write!(
            out,
            "**{}** ({}, {}). {} When it is weak: {}",
            f.name,
            Pts(*s),
            band_words(*s),
            f.description,
            lower_first(&f.weak)
        );
        if let Some(p) = find(passages, Some(&f.id), "signs") {
            let _ = write!(
                out,
                " What good looks like: {} [{}]",
                lower_first(&sentences_about(&p.text, "strong", 1)),
                p.number
            );
        }
        out.push_str("\n\n");
    }
    if !unanswered.is_empty() {
        let _ = writeln!(
            out,
            "Not answered, so not scored: {}. Answering its questions next time fills the gap.\n",
            unanswered.join(", ")
        );
    }

    // What is holding up: the top forces only when they stand out, as on the Results page, ties together.
    out.push_str("## What is holding up\n\n");
    let (top, stands) = end_group(&scored, true);
    let names: Vec<String> = top.iter().map(|(f, _)| format!("**{}**", f.name)).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let at = scores_of(&top);
    let inner = top.iter().map(|x| x.1).fold(f64::MAX, f64::min);
    if scored.len() < 2 {
        out.push_str("Only one force was scored, so there is nothing to compare it with yet.\n\n");
    } else if level {
        let _ = writeln!(
            out,
            "The forces are level ({at}), so no one of them is firmer ground than the others: the pillar holds \
             up, or gives way, as a whole.\n"
        );
    } else if !stands {
        let _ = writeln!(
            out,
            "No single force stands out above the others: the highest, {} ({at}), {} less than 10 points clear \
             of the rest, so the firm ground is shared rather than in one place.\n",
            names_of(&names),
            if top.len() > 1 { "are" } else { "is" }
        );
    } else if inner >= 45.0 {
        let strength = match (inner >= 70.0, top.len() > 1) {
            (true, false) => "a real strength",
            (true, true) => "real strengths, level at the top",
            (false, false) => "the firmest ground here, though not yet strong",
            (false, true) => "the firmest ground here, level at the top, though not yet strong",
        };
        let _ = write!(
            out,
            "{} ({at}) {} {strength}.",
            names_of(&names),
            if top.len() > 1 { "are" } else { "is" }
        );
        for (f, _) in &top {
            let _ = write!(out, " When {} works: {}", f.name, lower_first(&f.strong));
            if let Some(p) = find(passages, Some(&f.id), "signs") {
                let _ = write!(out, " [{}]", p.number);
            }
        }
        out.push_str(if top.len() > 1 {
            " Use them to carry the changes below.\n\n"
        } else {
            " Use it to carry the changes below.\n\n"
        });
    } else {
        out.push_str(
            "No force reaches the middle band yet, so there is no firm ground to lean on inside this pillar: \
             start small, with the practice below that feels most doable, and look to the group's other \
             pillars for support.\n\n",
        );
    }

    // The ripple effect.
    out.push_str("## The ripple effect\n\n");
    let ripples = ripples(fw, r);
    for c in &ripples {
        let to = fw.pillar(&c.to).map_or(c.to.as_str(), |p| p.name.as_str());
        let kind = match c.kind {
            ConnectionKind::Reinforcing => {
                "reinforcing: when one rises, the other tends to rise too"
            }
            ConnectionKind::Inverse => "inverse: pressure on one tends to strengthen the other",
            ConnectionKind::Discretionary => "discretionary",
        };
        let direction = if r.pillar_score >= 45.0 {
            "supports"
        } else {
            "weighs on"
        };
        let _ = write!(
            out,
            "- **{pillar_name} → {to}** ({kind}). {} Today {pillar_name} {direction} it.",
            c.explanation
        );
        let pid = format!("connection.{}.{}.{}", c.mode, c.from, c.to);
        if let Some(p) = passages.iter().find(|p| p.passage_id == pid) {
            let _ = write!(out, " [{}]", p.number);
        }
        out.push('\n');
    }
    if ripples.is_empty() {
        out.push_str("- This pillar's links to the others carry over only at times.\n");
    }
    out.push('\n');

    // Practices to try.
    out.push_str("## Practices to try\n\n");
    let practise: Vec<(&Force, f64)> = if focus.is_empty() {
        scored.first().copied().into_iter().collect()
    } else {
        focus.clone()
    };
    let mut n = 1;
    for (f, _) in &practise {
        let _ = writeln!(out, "{n}. **{}:** {}", f.name, f.action);
        n += 1;
        if let Some(p) = find(passages, Some(&f.id), "practice") {
            let _ = writeln!(out, "{n}. {} [{}]", sentences(&p.text, 2), p.number);
            n += 1;
        }
    }
    let docs: Vec<&Passage> = passages
        .iter()
        .filter(|p| p.source_kind == "document")
        .collect();
    if !docs.is_empty() {
        out.push_str("\nFrom your documents:\n\n");
        for p in docs {
            let _ = writeln!(
                out,
                "- *{}* ({}): {} [{}]",
                p.title,
                p.source_title,
                sentences(&p.text, 1),
                p.number
            );
        }
    }
    out.push('\n');

    // Questions to reflect on.
    out.push_str("## Questions to reflect on\n\n");
    if let Some(p) = find(passages, None, "reflection") {
        for q in questions(&p.text, 3) {
            let _ = writeln!(out, "- {q} [{}]", p.number);
        }
    }
    if let Some((f, _)) = practise.first() {
        let _ = writeln!(
            out,
            "- What is one thing that would show, a month from now, that {} has improved?",
            f.name.to_lowercase()
        );
    }
    out.push('\n');

    out.push_str(
        "---\n\n*Written by the offline coach from the PILAR framework and the knowledge base: the same results \
         always give the same report. A model would add a narrative fitted to your scores and could answer \
         follow-up questions; set one up in Settings, with a cloud provider's key or a local model such as Ollama \
         or LM Studio.*\n",
    );
    out
}

/// Passages quoted in a knowledge-base answer must be at least this similar to the question (cosine, −1 to 1).
pub const KNOWLEDGE_ANSWER_MIN_SIMILARITY: f32 = 0.3;

/// A chat answer without a model: the passages closest to the question, quoted and cited, labelled as such.
pub fn knowledge_answer(passages: &[Passage]) -> String {
    let mut out = String::new();
    if passages.is_empty() {
        out.push_str(
            "The knowledge base has nothing close enough to this question to quote. Try other words, or ask \
             about a force or a pillar by name.\n",
        );
    } else {
        out.push_str("From the knowledge base, the passages closest to your question:\n\n");
        for p in passages {
            let _ = writeln!(out, "**{}** ({})\n", p.title, p.source_title);
            let _ = writeln!(out, "> {} [{}]\n", sentences(&p.text, 3), p.number);
        }
    }
    // Who wrote it ("From the knowledge base (no model)") and why is said once, beside the answer, by every
    // view: not again in the text.
    out
}

/// The (at most two) connections the report explains: from the result's pillar in its mode, reinforcing ones
/// first, then inverse ones; discretionary links are left out.
pub fn ripples<'a>(fw: &'a Framework, r: &Results) -> Vec<&'a Connection> {
    let mut out: Vec<&Connection> = fw
        .connections
        .iter()
        .filter(|c| {
            c.from == r.pillar && c.mode == r.mode && c.kind != ConnectionKind::Discretionary
        })
        .collect();
    out.sort_by_key(|c| (c.kind != ConnectionKind::Reinforcing, c.to.clone()));
    out.truncate(2);
    out
}

/// The forces a report focuses on, lowest first: those below 60 (at most two), or else the lowest one.
pub fn focus<'a>(fw: &'a Framework, r: &Results) -> Vec<(&'a Force, f64)> {
    let mut scored = scored(fw, r);
    let below: Vec<_> = scored
        .iter()
        .copied()
        .filter(|(_, s)| *s < FOCUS_BELOW)
        .take(2)
        .collect();
    if below.is_empty() {
        scored.truncate(1);
        scored
    } else {
        below
    }
}

/// The scored forces, lowest first (ties in framework order).
pub fn scored<'a>(fw: &'a Framework, r: &Results) -> Vec<(&'a Force, f64)> {
    let mut scored: Vec<(&Force, f64)> = r
        .forces
        .iter()
        .filter_map(|f| Some((fw.force(&f.force)?, f.score?)))
        .collect();
    scored.sort_by(|a, b| a.1.total_cmp(&b.1));
    scored
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

pub(crate) fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if c.clone().next().is_some_and(|n| n.is_lowercase()) => {
            f.to_lowercase().collect::<String>() + c.as_str()
        }
        Some(f) => f.to_string() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A result of Group Prospects with these force scores (framework order), highlights as the Results page.
    fn with_scores(scores: [f64; 4]) -> (crate::domain::Domain, Results) {
        let d = crate::domain::Domain::builtin().unwrap();
        let ids = d.bank.shuffled_ids("grpprosp", 1);
        let answers = ids.iter().map(|q| (q.clone(), 3)).collect();
        let mut r = crate::domain::score_with(&d, "grpprosp", &ids, &answers, &[]).unwrap();
        for (f, s) in r.forces.iter_mut().zip(scores) {
            f.score = Some(s);
        }
        r.pillar_score = scores.iter().sum::<f64>() / 4.0;
        r.highlights = crate::domain::scoring::highlights(&r.forces);
        (d, r)
    }

    /// The numbers in the words are the numbers on the page: 62.5 is 63 (as the window rounds), and a gap is
    /// the difference of the shown scores (83.3 and 50 are 33 apart, as the page shows 83 and 50).
    #[test]
    fn scores_in_words_are_the_scores_shown() {
        let (d, r) = with_scores([83.3, 50.0, 66.7, 50.0]);
        assert_eq!(r.pillar_score, 62.5);
        let text = report(&d.framework, &r, &[]);
        assert!(text.contains("scores 63 out of 100"), "{text}");
        assert!(text.contains("33 points apart"), "{text}");
        assert!(!text.contains(" 62 "), "{text}");
        assert_eq!(crate::domain::Pts(62.5).to_string(), "63");
        assert_eq!(crate::domain::Pts(0.5).to_string(), "1");
        assert_eq!(format!("{:>3}", crate::domain::Pts(7.5)), "  8");
        assert_eq!(crate::domain::Pts::gap(83.3, 50.4).to_string(), "33");
        let prompt = crate::writing::prompts::report(&d.framework, &r, &[]);
        let user = prompt.messages[0].content.clone();
        assert!(user.contains("Pillar score 63/100"), "{user}");
    }

    /// The offline coach says what the Results page says about ties: three forces at 58 and one at 50 — no
    /// single force stands out, so none of the 58s is "the firmest ground" or singled out to focus on.
    #[test]
    fn ties_are_named_together_or_not_at_all_as_on_the_results_page() {
        let (d, r) = with_scores([58.3, 58.3, 50.0, 58.3]);
        assert_eq!(r.highlights[0].label, "No single force stands out");
        let text = report(&d.framework, &r, &[]);
        let names: Vec<&str> = r.forces.iter().map(|f| f.name.as_str()).collect();
        assert!(!text.contains("firmest ground"), "{text}");
        assert!(text.contains("No single force stands out"), "{text}");
        let focus = text.split("## What is holding up").next().unwrap();
        assert!(focus.contains(&format!("**{}** (50", names[2])), "{focus}");
        for n in [names[0], names[1], names[3]] {
            assert!(
                !focus.contains(&format!("**{n}** (58")),
                "{n} singled out: {focus}"
            );
        }
        // Two level at the top and clear of the rest: both named, together.
        let (d, r) = with_scores([75.0, 25.0, 72.0, 30.0]);
        let text = report(&d.framework, &r, &[]);
        let held = text.split("## What is holding up").nth(1).unwrap();
        assert!(
            held.contains(&format!(
                "**{}** and **{}** (72\u{2013}75) are real strengths",
                names[0], names[2]
            )),
            "{held}"
        );
        // All level: no force is the one to start with.
        let (d, r) = with_scores([55.0, 58.3, 55.0, 58.3]);
        let text = report(&d.framework, &r, &[]);
        assert!(text.contains("are level (55\u{2013}58)"), "{text}");
        assert!(!text.contains("firmest ground"), "{text}");
    }

    #[test]
    fn sentences_are_cut_at_their_end() {
        assert_eq!(sentences("One. Two?  Three!", 2), "One. Two?");
        assert_eq!(sentences("No stop", 2), "No stop");
        assert_eq!(
            sentences(
                "Ask \"what are we missing?\" before a decision. Then wait.",
                1
            ),
            "Ask \"what are we missing?\" before a decision."
        );
        assert_eq!(
            sentences_about(
                "X is a thing. It is strong when A. It is weak when B.",
                "weak",
                1
            ),
            "It is weak when B."
        );
        assert_eq!(
            sentences_about("Defines it. Then more.", "weak", 1),
            "Then more."
        );
        assert_eq!(
            sentences_about("In a hierarchy. Strong: the group acts.", "strong", 1),
            "The group acts."
        );
        assert_eq!(lower_first("People know"), "people know");
        assert_eq!(lower_first("PILAR"), "PILAR");
    }
}
