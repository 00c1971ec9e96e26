//! The offline coach: a coaching report built by rules from the results, the PILAR framework and the passages
//! retrieved for the result, with no model. Pure and deterministic: the same results and passages always give
//! the same report. Every claim it takes from a passage cites it.

use std::fmt::Write as _;

use crate::domain::{Band, ConfidenceLevel, Connection, ConnectionKind, Force, Framework, Results};
use crate::llm::Passage;

/// The "model" the offline coach reports as (its rules' version).
pub const OFFLINE_MODEL: &str = "rules v1";
pub const OFFLINE_LABEL: &str = "Offline coach";

/// Below this a force is named as one to focus on.
const FOCUS_BELOW: f64 = 60.0;
/// Forces this close together are "even".
const EVEN_WITHIN: f64 = 10.0;

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
        "{pillar_name} scores {:.0} out of 100 ({}).",
        r.pillar_score,
        r.band_label.to_lowercase()
    );
    if scored.len() > 1 {
        let spread = scored[scored.len() - 1].1 - scored[0].1;
        if spread < EVEN_WITHIN {
            let _ = write!(
                out,
                " Its forces sit close together ({spread:.0} points apart), so the pillar works much as a whole: \
                 a change in one is likely to show in the others."
            );
        } else {
            let _ = write!(
                out,
                " Its forces are {spread:.0} points apart, so the lowest of them is where effort is likely to pay \
                 off most."
            );
        }
    }
    out.push_str("\n\n");
    let focus: Vec<(&Force, f64)> = scored
        .iter()
        .copied()
        .filter(|(_, s)| *s < FOCUS_BELOW)
        .take(2)
        .collect();
    if focus.is_empty() {
        if let Some(&(f, s)) = scored.first() {
            let _ = writeln!(
                out,
                "No force is below {FOCUS_BELOW:.0}. The lowest, **{}** ({s:.0}, {}), is still the one to keep an \
                 eye on: {}\n",
                f.name,
                band_words(s),
                lower_first(&f.description)
            );
        }
    }
    for (f, s) in &focus {
        let _ = write!(
            out,
            "**{}** ({s:.0}, {}). {} When it is weak: {}",
            f.name,
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

    // What is holding up.
    out.push_str("## What is holding up\n\n");
    let top = scored.last().copied();
    match top {
        Some((f, s)) if scored.len() > 1 && s >= 45.0 => {
            let strength = if s >= 70.0 {
                "a real strength"
            } else {
                "the firmest ground here, though not yet strong"
            };
            let _ = write!(
                out,
                "**{}** ({s:.0}) is {strength}. When it works: {}",
                f.name,
                lower_first(&f.strong)
            );
            if let Some(p) = find(passages, Some(&f.id), "signs") {
                let _ = write!(out, " [{}]", p.number);
            }
            out.push_str(" Use it to carry the changes below.\n\n");
        }
        Some(_) if scored.len() > 1 => {
            out.push_str(
                "No force reaches the middle band yet, so there is no firm ground to lean on inside this pillar: \
                 start small, with the practice below that feels most doable, and look to the group's other \
                 pillars for support.\n\n",
            );
        }
        _ => out
            .push_str("Only one force was scored, so there is nothing to compare it with yet.\n\n"),
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
            "The knowledge base has nothing close to this question. Try other words, or ask about a force or a \
             pillar by name.\n",
        );
    } else {
        out.push_str("From the knowledge base, the passages closest to your question:\n\n");
        for p in passages {
            let _ = writeln!(out, "**{}** ({})\n", p.title, p.source_title);
            let _ = writeln!(out, "> {} [{}]\n", sentences(&p.text, 3), p.number);
        }
    }
    out.push_str(
        "---\n\n*Quoted from the knowledge base, not written by a model. A model would answer your question \
         in its own words, with your results in mind; set one up in Settings (a cloud provider's key, or a local \
         model such as Ollama or LM Studio).*\n",
    );
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
