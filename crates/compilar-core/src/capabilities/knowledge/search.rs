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

/// How much sharing the query's words adds to a hit's similarity when its strength is judged: a passage
/// holding every key word of the query gains 0.2.
pub const WORDS_WEIGHT: f32 = 0.2;
/// The judged figure (cosine similarity with the built-in model, plus [`WORDS_WEIGHT`] times the share of
/// the query's key words the passage holds) from which a hit is related / strong. Calibrated on the
/// relevance set in `tests/knowledge.rs` (44 questions, their top ten hits, the passages each question is
/// about): a strong match is one of those passages four times in five, no question gets more than five,
/// half of the other hits are weak, and no hit of gibberish or off-topic text ("xkq zzvv plorb", "football
/// results") reaches "related" (their best is 0.35). `match_levels_are_calibrated_on_the_relevance_set`
/// prints the figures.
pub const RELATED_FROM: f32 = 0.46;
pub const STRONG_FROM: f32 = 0.68;

/// The strength of a hit with `similarity` (cosine) holding `coverage` (0–1) of the query's key words;
/// `calibrated` when the similarities come from the built-in model.
pub fn strength(similarity: f32, coverage: f32, calibrated: bool) -> MatchStrength {
    if !calibrated {
        return if coverage > 0.0 {
            MatchStrength::Related
        } else {
            MatchStrength::ByMeaning
        };
    }
    let judged = similarity + WORDS_WEIGHT * coverage.clamp(0.0, 1.0);
    if judged >= STRONG_FROM {
        MatchStrength::Strong
    } else if judged >= RELATED_FROM {
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

/// Words that carry no topic of their own ("really", "just", "don't"): still searched for, never
/// highlighted and never counted as a shared word.
const FILLER: &[&str] = &[
    "all",
    "also",
    "am",
    "any",
    "been",
    "being",
    "both",
    "could",
    "did",
    "didn",
    "doesn",
    "don",
    "each",
    "even",
    "get",
    "gets",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "him",
    "his",
    "isn",
    "just",
    "like",
    "more",
    "most",
    "much",
    "must",
    "no",
    "not",
    "now",
    "only",
    "other",
    "out",
    "over",
    "own",
    "quite",
    "really",
    "same",
    "she",
    "should",
    "some",
    "such",
    "than",
    "then",
    "these",
    "those",
    "through",
    "too",
    "up",
    "very",
    "were",
    "would",
    "yet",
    "ve",
    "ll",
    "re",
    "always",
    "never",
    "ever",
    "every",
    "everyone",
    "everything",
    "keep",
    "keeps",
    "make",
    "makes",
    "one",
    "seem",
    "seems",
    "thing",
    "things",
    "way",
];

/// The query's words that say what it is about: [`terms`] without filler.
pub fn key_terms(terms: &[String]) -> Vec<String> {
    terms
        .iter()
        .filter(|t| !FILLER.contains(&t.as_str()))
        .cloned()
        .collect()
}

/// The share (0–1) of `key` words that `body` holds (the same word, or a shared stem of five letters).
pub fn coverage(body: &str, key: &[String]) -> f32 {
    if key.is_empty() {
        return 0.0;
    }
    let words: Vec<String> = body
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let held = key
        .iter()
        .filter(|t| {
            words
                .iter()
                .any(|w| matches_term(w, std::slice::from_ref(*t)))
        })
        .count();
    held as f32 / key.len() as f32
}

/// A passage's text with Markdown list markers at line starts ("- ", "* ", "+ ") shown as bullets, for
/// snippets read as plain text.
pub fn bulleted(body: &str) -> std::borrow::Cow<'_, str> {
    let marker = |l: &str| {
        let t = l.trim_start();
        (t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ "))
            .then_some(l.len() - t.len())
    };
    if !body.lines().any(|l| marker(l).is_some()) {
        return std::borrow::Cow::Borrowed(body);
    }
    let mut out = String::with_capacity(body.len());
    for (i, l) in body.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match marker(l) {
            Some(indent) => {
                out.push_str(&l[..indent]);
                out.push_str("\u{2022} ");
                out.push_str(&l[indent + 2..]);
            }
            None => out.push_str(l),
        }
    }
    std::borrow::Cow::Owned(out)
}

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
        assert_eq!(strength(0.728, 0.0, true), Strong);
        assert_eq!(strength(0.595, 0.5, true), Strong);
        assert_eq!(strength(0.55, 0.0, true), Related);
        assert_eq!(strength(0.40, 0.5, true), Related);
        // Sharing one word of two is not enough on its own ("football results").
        assert_eq!(strength(0.25, 0.5, true), Weak);
        assert_eq!(strength(0.206, 0.0, true), Weak);
        assert_eq!(strength(0.098, 0.0, true), Weak);
        // Another model's similarities mean nothing against these thresholds.
        assert_eq!(strength(0.9, 0.0, false), ByMeaning);
        assert_eq!(strength(0.1, 0.5, false), Related);
    }

    #[test]
    fn filler_is_neither_highlighted_nor_counted() {
        let t = terms("we don't really know what we are working towards");
        let key = key_terms(&t);
        assert_eq!(key, ["know", "working", "towards"]);
        let s = snippet("I really don't know where we are working to.", &key, 200);
        let hits: Vec<&str> = s
            .iter()
            .filter(|p| p.hit)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(hits, ["know", "working"]);
        assert!((coverage("They know the working plan.", &key) - 2.0 / 3.0).abs() < 1e-6);
        assert_eq!(coverage("anything", &[]), 0.0);
    }

    #[test]
    fn list_markers_read_as_bullets() {
        assert_eq!(
            bulleted("What we noticed:\n- a late start\n  * no owner\n-not a list"),
            "What we noticed:\n\u{2022} a late start\n  \u{2022} no owner\n-not a list"
        );
        assert!(matches!(bulleted("plain"), std::borrow::Cow::Borrowed(_)));
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
