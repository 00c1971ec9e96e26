//! Citations in a model's answer: `[n]`, `[n][m]` or `[n, m]`, where each number names a passage sent with the
//! prompt. [`Scanner`] finds them while the answer streams (a citation may arrive split over tokens);
//! [`clean`] rewrites the finished answer so that only real citations are left, each as `[n]`.

use std::collections::BTreeSet;

/// The longest bracket group read as a citation (`[12, 13, 14]`); anything longer is ordinary text.
const MAX_GROUP: usize = 24;

/// The numbers inside one bracket group's text (`"2, 3"`), or `None` if it is not a citation group.
fn numbers(inner: &str) -> Option<Vec<u32>> {
    let parts: Vec<&str> = inner
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        return None;
    }
    parts
        .into_iter()
        .map(|p| {
            if p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().ok()
            } else {
                None
            }
        })
        .collect()
}

/// One bracket group found in `text` at byte `start`: its end (after `]`) and its numbers.
fn group_at(text: &str, start: usize) -> Option<(usize, Vec<u32>)> {
    let rest = &text[start + 1..];
    let close = rest.find(']')?;
    if close > MAX_GROUP {
        return None;
    }
    let inner = &rest[..close];
    // A Markdown link `[1](…)` is not a citation.
    if rest[close + 1..].starts_with('(') {
        return None;
    }
    numbers(inner).map(|n| (start + 1 + close + 1, n))
}

/// Finds citations in a streamed answer, announcing each valid number once.
#[derive(Debug, Default)]
pub struct Scanner {
    text: String,
    /// Where scanning resumes (everything before is settled).
    from: usize,
    announced: BTreeSet<u32>,
}

impl Scanner {
    /// Adds a token; returns the numbers (1..=`passages`) cited for the first time.
    pub fn feed(&mut self, token: &str, passages: u32) -> Vec<u32> {
        self.text.push_str(token);
        let mut fresh = Vec::new();
        while let Some(off) = self.text[self.from..].find('[') {
            let start = self.from + off;
            let tail = &self.text[start + 1..];
            match tail.find(']') {
                // Not closed yet and still short enough to be a citation: wait for the next token.
                None if tail.len() <= MAX_GROUP => break,
                // Closed at the very end: a Markdown link's `(` may still come.
                Some(c) if c <= MAX_GROUP && tail.len() == c + 1 => break,
                _ => {}
            }
            match group_at(&self.text, start) {
                Some((end, nums)) => {
                    for n in nums {
                        if (1..=passages).contains(&n) && self.announced.insert(n) {
                            fresh.push(n);
                        }
                    }
                    self.from = end;
                }
                None => self.from = start + 1,
            }
        }
        fresh
    }

    /// The answer ended: a group closed by its last character counts.
    pub fn finish(&mut self, passages: u32) -> Vec<u32> {
        self.feed("\n", passages)
    }
}

/// The finished answer with every citation group rewritten to its valid numbers (`[2, 9]` → `[2]` when only
/// two passages exist), groups with none removed (with the space before them), and the numbers cited in order of
/// first appearance.
pub fn clean(text: &str, passages: u32) -> (String, Vec<u32>) {
    let mut out = String::with_capacity(text.len());
    let mut cited: Vec<u32> = Vec::new();
    let mut i = 0;
    while let Some(off) = text[i..].find('[') {
        let start = i + off;
        out.push_str(&text[i..start]);
        match group_at(text, start) {
            Some((end, nums)) => {
                let valid: Vec<u32> = nums
                    .into_iter()
                    .filter(|n| (1..=passages).contains(n))
                    .collect();
                if valid.is_empty() {
                    let trimmed = out.trim_end_matches([' ', '\t']).len();
                    out.truncate(trimmed);
                } else {
                    for n in valid {
                        out.push_str(&format!("[{n}]"));
                        if !cited.contains(&n) {
                            cited.push(n);
                        }
                    }
                }
                i = end;
            }
            None => {
                out.push('[');
                i = start + 1;
            }
        }
    }
    out.push_str(&text[i..]);
    (out, cited)
}

/// An answer streamed as it will be stored: [`Settler::feed`] returns what of the text so far is settled,
/// rewritten as [`clean`] rewrites it, and holds back only what may still change — an open `[` that may become
/// a citation group, a group closed by the last character (a Markdown link's `(` may follow), and the spaces
/// before them (a group with no valid number is removed with them). What it returns, joined with
/// [`Settler::finish`], is exactly `clean(whole, passages).0`, so a reader never sees a number that the stored
/// answer will not have.
#[derive(Debug, Default)]
pub struct Settler {
    held: String,
}

impl Settler {
    /// Adds a token; returns the text now settled (possibly empty).
    pub fn feed(&mut self, token: &str, passages: u32) -> String {
        self.held.push_str(token);
        let mut cut = self.held.len();
        let mut from = 0;
        while let Some(off) = self.held[from..].find('[') {
            let start = from + off;
            let tail = &self.held[start + 1..];
            let open = match tail.find(']') {
                None => tail.len() <= MAX_GROUP,
                Some(c) => c <= MAX_GROUP && tail.len() == c + 1,
            };
            if open {
                cut = start;
                break;
            }
            from = start + 1;
        }
        // Spaces just before the cut (or at the end) wait with it.
        let cut = self.held[..cut].trim_end_matches([' ', '\t']).len();
        // A group that starts in the settled part may end beyond the cut only if it is not a citation (too
        // long): `clean` reads it the same either way.
        let settled: String = self.held.drain(..cut).collect();
        clean(&settled, passages).0
    }

    /// The answer ended: the rest, settled.
    pub fn finish(&mut self, passages: u32) -> String {
        let rest = std::mem::take(&mut self.held);
        clean(&rest, passages).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Whatever the answer and however it is cut into tokens, what the settler streams is what is stored.
        #[test]
        fn the_stream_shows_exactly_what_is_stored(
            text in "([a-z ]{0,5}|\\[|\\]|[0-9]|, |\\(|\\t){0,60}",
            cuts in proptest::collection::vec(0usize..80, 0..12),
            passages in 0u32..4,
        ) {
            let mut points: Vec<usize> = cuts.into_iter().filter(|&c| c <= text.len()).collect();
            points.push(0);
            points.push(text.len());
            points.sort_unstable();
            points.dedup();
            let mut s = Settler::default();
            let mut shown = String::new();
            for w in points.windows(2) {
                shown.push_str(&s.feed(&text[w[0]..w[1]], passages));
            }
            shown.push_str(&s.finish(passages));
            proptest::prop_assert_eq!(shown, clean(&text, passages).0);
        }
    }

    #[test]
    fn citations_split_over_tokens_are_found_once_and_invented_ones_never() {
        let mut s = Scanner::default();
        let mut seen = Vec::new();
        for t in [
            "Speak up [",
            "1",
            "]. Also [2,",
            " 9] and [1] again",
            " and [x] or [3](http://a) [4",
        ] {
            seen.extend(s.feed(t, 4));
        }
        assert_eq!(seen, [1, 2]);
        seen.extend(s.feed("]", 4));
        assert_eq!(seen, [1, 2], "a link may still follow");
        seen.extend(s.finish(4));
        assert_eq!(seen, [1, 2, 4]);
    }

    #[test]
    fn a_link_whose_bracket_closes_at_the_end_of_a_token_waits_for_the_next() {
        let mut s = Scanner::default();
        assert!(s.feed("see [3]", 4).is_empty());
        assert!(s.feed("(http://x)", 4).is_empty());
        let mut s = Scanner::default();
        assert!(s.feed("see [3]", 4).is_empty());
        assert_eq!(s.feed(" then", 4), [3]);
    }

    #[test]
    fn cleaning_keeps_real_citations_and_drops_invented_ones() {
        let (t, c) = clean("One [1]. Two [2, 7]. Three [9]. Link [1](x). Text [a].", 3);
        assert_eq!(t, "One [1]. Two [2]. Three. Link [1](x). Text [a].");
        assert_eq!(c, [1, 2]);
        let (t, c) = clean("[3][1] tail [", 3);
        assert_eq!(t, "[3][1] tail [");
        assert_eq!(c, [3, 1]);
    }
}
