//! The pure parts of search: turning user text into a safe FTS5 expression, fusing ranked lists, snippets.

use std::collections::HashMap;

use serde::Serialize;
use ts_rs::TS;

/// Longest query accepted.
pub const MAX_QUERY_CHARS: usize = 5_000;
pub const DEFAULT_COUNT: u32 = 10;
/// Larger counts are capped (and the reply says so).
pub const MAX_COUNT: u32 = 50;
/// Reciprocal-rank-fusion constant.
pub const RRF_K: f32 = 60.0;
/// Weights of the two lists in the fusion (tuned on the relevance set in tests/knowledge.rs).
pub const VECTOR_WEIGHT: f32 = 1.0;
pub const TEXT_WEIGHT: f32 = 1.0;
/// How well a passage matches a query, for people. The fused score is a rank (the best hit of any query,
/// gibberish included, scores near 1), so it is never shown as a relevance figure; this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MatchStrength {
    /// Close in meaning, or close and sharing the query's words.
    Strong,
    /// Somewhat close in meaning, or sharing the query's words.
    Related,
    /// Neither: only the closest of what there is.
    Weak,
    /// Shares none of the query's words, and the model's similarities are not calibrated (a provider's
    /// embedding model): no claim either way.
    ByMeaning,
}

impl MatchStrength {
    /// The words every view shows.
    pub fn label(self) -> &'static str {
        match self {
            MatchStrength::Strong => "Strong match",
            MatchStrength::Related => "Related",
            MatchStrength::Weak => "Weak match",
            MatchStrength::ByMeaning => "Close in meaning",
        }
    }
}

/// Cosine similarity from which the built-in model's hit is related / strong. Calibrated on the built-in
/// model (potion-base-8M): queries about the framework's topics reach 0.40–0.66 on their best passages,
/// gibberish and off-topic queries ("xkq zzvv plorb", "recipe for chocolate cake") stay below 0.21.
pub const RELATED_FROM: f32 = 0.30;
pub const STRONG_FROM: f32 = 0.45;
/// A hit sharing the query's words counts as strong from this similarity.
pub const STRONG_WITH_WORDS_FROM: f32 = 0.35;

/// The strength of a hit with `similarity` (cosine) that did or did not match the query's words;
/// `calibrated` when the similarities come from the built-in model.
pub fn strength(similarity: f32, words: bool, calibrated: bool) -> MatchStrength {
    if !calibrated {
        return if words {
            MatchStrength::Related
        } else {
            MatchStrength::ByMeaning
        };
    }
    if similarity >= STRONG_FROM || (words && similarity >= STRONG_WITH_WORDS_FROM) {
        MatchStrength::Strong
    } else if similarity >= RELATED_FROM || words {
        MatchStrength::Related
    } else {
        MatchStrength::Weak
    }
}

/// Most query terms sent to FTS5.
pub(crate) const MAX_TERMS: usize = 32;

const STOPWORDS: &[&str] = &[
    "a", "about", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for",
    "from", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our",
    "so", "that", "the", "their", "them", "there", "they", "this", "to", "us", "was", "we", "what",
    "when", "where", "which", "who", "why", "will", "with", "you", "your",
];

/// The words of a query, lower-cased, without stop words and repeats.
pub fn terms(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
    {
        if w.chars().count() < 2 || STOPWORDS.contains(&w.as_str()) || out.contains(&w) {
            continue;
        }
        out.push(w);
        if out.len() == MAX_TERMS {
            break;
        }
    }
    out
}

/// An FTS5 expression that matches any of the query's words. Each word is a quoted string, so nothing the user
/// types (quotes, `NEAR`, `*`, `-`, `:`, parentheses) is read as query syntax. `None` when no word is left.
pub fn fts_expression(query: &str) -> Option<String> {
    let t = terms(query);
    if t.is_empty() {
        return None;
    }
    Some(
        t.iter()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" OR "),
    )
}

/// Weighted reciprocal-rank fusion of a vector list and a text list (ids in rank order). Returns
/// `(id, score)` with score normalised to 0–1 (1 = first in both lists), best first.
pub fn fuse(vector: &[i64], text: &[i64], wv: f32, wt: f32) -> Vec<(i64, f32)> {
    let mut scores: HashMap<i64, f32> = HashMap::new();
    for (list, w) in [(vector, wv), (text, wt)] {
        for (rank, id) in list.iter().enumerate() {
            *scores.entry(*id).or_insert(0.0) += w / (RRF_K + rank as f32 + 1.0);
        }
    }
    let max = (wv + wt) / (RRF_K + 1.0);
    let mut out: Vec<(i64, f32)> = scores.into_iter().map(|(id, s)| (id, s / max)).collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// A piece of a snippet; `hit` marks a query word. The UI renders these as text, never as HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

fn matches_term(word: &str, terms: &[String]) -> bool {
    let w = word.to_lowercase();
    terms.iter().any(|t| {
        // Same word, or a shared stem of at least five letters ("speak" ~ "speaking").
        w == *t || {
            let n = t.chars().count().min(w.chars().count());
            n >= 5
                && w.chars().take(n).eq(t.chars().take(n))
                && (w.starts_with(t.as_str()) || t.starts_with(w.as_str()))
        }
    })
}

/// About `max_chars` of `body` around the first query word, with the query words marked.
pub fn snippet(body: &str, terms: &[String], max_chars: usize) -> Vec<SnippetPart> {
    let words: Vec<(usize, &str)> = body
        .split_inclusive(char::is_whitespace)
        .scan(0usize, |pos, w| {
            let start = *pos;
            *pos += w.len();
            Some((start, w))
        })
        .collect();
    let clean = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_owned();
    // The window of about 30 words with the most distinct query words; it starts a few words before its first
    // hit (so "…disagree with those above…" wins over the first "people").
    let hit_term: Vec<Option<usize>> = words
        .iter()
        .map(|(_, w)| {
            let c = clean(w);
            terms
                .iter()
                .position(|t| matches_term(&c, std::slice::from_ref(t)))
        })
        .collect();
    let mut best = (0usize, 0usize);
    for (i, h) in hit_term.iter().enumerate() {
        if h.is_none() {
            continue;
        }
        let mut seen: Vec<usize> = hit_term[i..(i + 30).min(hit_term.len())]
            .iter()
            .flatten()
            .copied()
            .collect();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() > best.1 {
            best = (i, seen.len());
        }
    }
    let mut start = best.0.saturating_sub(6);
    // A short tail: reach back so the snippet still fills its length.
    let mut tail: usize = words[start..].iter().map(|(_, w)| w.len()).sum();
    while start > 0 && tail + words[start - 1].1.len() <= max_chars {
        start -= 1;
        tail += words[start].1.len();
    }
    let mut len = 0;
    let mut parts: Vec<SnippetPart> = Vec::new();
    if start > 0 {
        parts.push(SnippetPart {
            text: "\u{2026}".into(),
            hit: false,
        });
    }
    let mut cut = false;
    for (_, w) in &words[start..] {
        if len + w.len() > max_chars && len > 0 {
            cut = true;
            break;
        }
        len += w.len();
        let word = clean(w);
        let hit = !word.is_empty() && matches_term(&word, terms);
        if hit {
            // Split punctuation and whitespace off the highlighted word.
            let lead = &w[..w.find(word.as_str()).unwrap_or(0)];
            let tail = &w[lead.len() + word.len()..];
            if !lead.is_empty() {
                push(&mut parts, lead, false);
            }
            push(&mut parts, &word, true);
            if !tail.is_empty() {
                push(&mut parts, tail, false);
            }
        } else {
            push(&mut parts, w, false);
        }
    }
    if cut {
        if let Some(last) = parts.last_mut() {
            if !last.hit {
                last.text = last.text.trim_end().to_owned();
            }
        }
        parts.push(SnippetPart {
            text: "\u{2026}".into(),
            hit: false,
        });
    }
    parts
}

fn push(parts: &mut Vec<SnippetPart>, text: &str, hit: bool) {
    match parts.last_mut() {
        Some(last) if last.hit == hit && !hit => last.text.push_str(text),
        _ => parts.push(SnippetPart {
            text: text.to_owned(),
            hit,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_is_honest_about_weak_and_uncalibrated_matches() {
        use MatchStrength::*;
        // Measured on the built-in model: a real question's best passage, gibberish's best passage.
        assert_eq!(strength(0.595, false, true), Strong);
        assert_eq!(strength(0.476, true, true), Strong);
        assert_eq!(strength(0.36, true, true), Strong);
        assert_eq!(strength(0.34, false, true), Related);
        assert_eq!(strength(0.10, true, true), Related);
        assert_eq!(strength(0.206, false, true), Weak);
        assert_eq!(strength(0.098, false, true), Weak);
        // Another model's similarities mean nothing against these thresholds.
        assert_eq!(strength(0.9, false, false), ByMeaning);
        assert_eq!(strength(0.1, true, false), Related);
    }

    #[test]
    fn user_text_never_becomes_fts_syntax() {
        assert_eq!(fts_expression("the and of"), None);
        assert_eq!(fts_expression("   "), None);
        assert_eq!(
            fts_expression("Voice \"safety\" NEAR(trust) -fear* col:val"),
            Some("\"voice\" OR \"safety\" OR \"near\" OR \"trust\" OR \"fear\" OR \"col\" OR \"val\"".into())
        );
        let long = "word ".repeat(100) + &(0..100).map(|i| format!("w{i} ")).collect::<String>();
        assert_eq!(terms(&long).len(), 32);
    }

    #[test]
    fn fusion_rewards_agreement() {
        let f = fuse(&[1, 2, 3], &[3, 4], 1.0, 1.0);
        assert_eq!(f[0].0, 3, "in both lists");
        assert!(f.iter().all(|(_, s)| *s > 0.0 && *s <= 1.0));
        let top = fuse(&[7], &[7], 1.0, 1.0);
        assert!((top[0].1 - 1.0).abs() < 1e-6);
    }

    #[test]
    fn snippets_prefer_the_window_with_most_query_words() {
        let body = format!(
            "People often meet. {} Here people disagree with the boss openly.",
            "Filler words follow. ".repeat(20)
        );
        let s = snippet(&body, &terms("people disagree boss"), 120);
        let text: String = s.iter().map(|p| p.text.as_str()).collect();
        assert!(text.contains("disagree with the boss"), "{text}");
    }

    #[test]
    fn snippets_mark_query_words() {
        let body = "Voice safety is how safe it feels to speak up. People who are speaking freely disagree well.";
        let s = snippet(body, &terms("speak up safely"), 200);
        let hits: Vec<&str> = s
            .iter()
            .filter(|p| p.hit)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(hits, ["speak", "up", "speaking"]);
        let text: String = s.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(text, body);
        let short = snippet(&"filler ".repeat(100), &terms("nothing"), 40);
        assert!(short.last().unwrap().text.ends_with('\u{2026}'));
    }
}
