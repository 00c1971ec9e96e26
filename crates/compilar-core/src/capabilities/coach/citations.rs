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

#[cfg(test)]
mod tests {
    use super::*;

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
