//! Citations in a model's answer: `[n]`, `[n][m]` or `[n, m]`, where each number names a passage sent with the
//! prompt. [`clean`] rewrites the finished answer so that only real citations are left, each as `[n]`;
//! [`Order`] renumbers them in reading order (the first passage the text cites is `[1]`, the next new one
//! `[2]`…), and [`Settler`] streams the text exactly as it is stored, renumbered, announcing each cited passage
//! once (a citation may arrive split over tokens).

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
                // Passages are numbered from 1: "[0]" or "[00]" is text, not a citation.
                p.parse().ok().filter(|n| *n > 0)
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

/// The finished answer with every citation group rewritten to its valid numbers (`[2, 9]` → `[2]` when only
/// two passages exist), groups with none removed (with the space before them), and the numbers cited in order of
/// first appearance.
pub fn clean(text: &str, passages: u32) -> (String, Vec<u32>) {
    let mut cited: Vec<u32> = Vec::new();
    let out = rewrite(text, passages, |n| {
        if !cited.contains(&n) {
            cited.push(n);
        }
        n
    });
    (out, cited)
}

/// [`clean`]'s pass over `text`, writing each valid number as `[write(n)]`. One pass: a group that only
/// appears once an invalid one is removed (`[[9]1]` → `[1]`) is never read as a citation by a second look.
fn rewrite(text: &str, passages: u32, mut write: impl FnMut(u32) -> u32) -> String {
    let mut out = String::with_capacity(text.len());
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
                        out.push_str(&format!("[{}]", write(n)));
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
    out
}

/// Citations renumbered in reading order: the passage cited first becomes 1, the next one not cited before 2,
/// and so on. Fed the text in pieces (each piece's citation groups whole), it numbers them as it would the
/// whole text.
#[derive(Debug, Default, Clone)]
pub struct Order {
    /// The prompt's numbers, in the order the text first cites them.
    first: Vec<u32>,
}

impl Order {
    fn reading(&mut self, n: u32) -> u32 {
        match self.first.iter().position(|&m| m == n) {
            Some(i) => i as u32 + 1,
            None => {
                self.first.push(n);
                self.first.len() as u32
            }
        }
    }

    /// `text` cleaned as [`clean`] cleans it, each citation renumbered in reading order; returns it and the
    /// reading numbers cited for the first time in it, with the prompt's number of each.
    pub fn clean_renumber(&mut self, text: &str, passages: u32) -> (String, Vec<(u32, u32)>) {
        let mut fresh = Vec::new();
        let out = rewrite(text, passages, |n| {
            let known = self.first.len();
            let r = self.reading(n);
            if self.first.len() > known {
                fresh.push((r, n));
            }
            r
        });
        (out, fresh)
    }

    /// The reading numbers cited: 1 to how many passages the text cites.
    pub fn cited(&self) -> Vec<u32> {
        (1..=self.first.len() as u32).collect()
    }

    /// The passages as the renumbered text cites them: the cited ones first, in reading order and numbered
    /// so, then the others in their first order, numbered on.
    pub fn passages(&self, passages: &[crate::llm::Passage]) -> Vec<crate::llm::Passage> {
        let mut out: Vec<crate::llm::Passage> = self
            .first
            .iter()
            .filter_map(|&n| passages.get(n as usize - 1).cloned())
            .collect();
        out.extend(
            passages
                .iter()
                .enumerate()
                .filter(|(i, _)| !self.first.contains(&(*i as u32 + 1)))
                .map(|(_, p)| p.clone()),
        );
        for (i, p) in out.iter_mut().enumerate() {
            p.number = i as u32 + 1;
        }
        out
    }
}

/// A finished answer as it is stored: cleaned, renumbered in reading order, with its passages in that order
/// and the numbers it cites.
pub fn in_reading_order(
    text: &str,
    passages: &[crate::llm::Passage],
) -> (String, Vec<crate::llm::Passage>, Vec<u32>) {
    let mut order = Order::default();
    let (content, _) = order.clean_renumber(text, passages.len() as u32);
    (content, order.passages(passages), order.cited())
}

/// An answer streamed as it will be stored: [`Settler::feed`] returns what of the text so far is settled,
/// rewritten as [`clean`] rewrites it, and holds back only what may still change — an open `[` that may become
/// a citation group, a group closed by the last character (a Markdown link's `(` may follow), and the spaces
/// before them (a group with no valid number is removed with them). What it returns, joined with
/// [`Settler::finish`], is exactly `clean(whole, passages).0` renumbered in reading order, so a reader never
/// sees a number that the stored answer will not have.
#[derive(Debug, Default)]
pub struct Settler {
    held: String,
    order: Order,
}

impl Settler {
    /// Adds a token; returns the text now settled (possibly empty), and the passages it cites for the first
    /// time as (reading number, the prompt's number).
    pub fn feed(&mut self, token: &str, passages: u32) -> (String, Vec<(u32, u32)>) {
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
        self.order.clean_renumber(&settled, passages)
    }

    /// The answer ended: the rest, settled.
    pub fn finish(&mut self, passages: u32) -> (String, Vec<(u32, u32)>) {
        let rest = std::mem::take(&mut self.held);
        self.order.clean_renumber(&rest, passages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Removing an invalid group never makes a citation out of what is left around it (found by the property
    /// below: "a[[2]00]" with no passages was stored as "a[1]", a citation of nothing, and streamed as "a[00]").
    #[test]
    fn a_removed_group_leaves_text_not_a_citation() {
        assert_eq!(Order::default().clean_renumber("a[[2]00]", 0).0, "a[00]");
        assert_eq!(clean("a[[2]00]", 0).0, "a[00]");
        let (text, fresh) = Order::default().clean_renumber("x [[9]1] y [1]", 1);
        assert_eq!(text, "x [1] y [1]");
        assert_eq!(fresh, vec![(1, 1)]);
        // What is left reads "[1]" but was never a group: it is text, and cites nothing.
        let (stored, cited) = clean("x [[9]1] y", 1);
        assert_eq!((stored.as_str(), cited), ("x [1] y", vec![]));
    }

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
            let mut announced = Vec::new();
            for w in points.windows(2) {
                let (t, fresh) = s.feed(&text[w[0]..w[1]], passages);
                shown.push_str(&t);
                announced.extend(fresh);
            }
            let (t, fresh) = s.finish(passages);
            shown.push_str(&t);
            announced.extend(fresh);
            let stored = Order::default().clean_renumber(&text, passages).0;
            proptest::prop_assert_eq!(shown, stored);
            // Each cited passage announced once, numbered 1, 2, 3… in reading order.
            let numbers: Vec<u32> = announced.iter().map(|(r, _)| *r).collect();
            proptest::prop_assert_eq!(numbers, (1..=announced.len() as u32).collect::<Vec<_>>());
        }
    }

    #[test]
    fn citations_split_over_tokens_are_announced_once_in_reading_order() {
        let mut s = Settler::default();
        let mut seen = Vec::new();
        for t in [
            "Speak up [",
            "3",
            "]. Also [2,",
            " 9] and [3] again",
            " and [x] or [1](http://a) [4",
        ] {
            seen.extend(s.feed(t, 4).1);
        }
        assert_eq!(seen, [(1, 3), (2, 2)]);
        seen.extend(s.feed("]", 4).1);
        assert_eq!(seen, [(1, 3), (2, 2)], "a link may still follow");
        let (rest, fresh) = s.finish(4);
        seen.extend(fresh);
        assert_eq!(seen, [(1, 3), (2, 2), (3, 4)]);
        assert_eq!(rest, " [3]");
    }

    #[test]
    fn a_link_whose_bracket_closes_at_the_end_of_a_token_waits_for_the_next() {
        let mut s = Settler::default();
        assert!(s.feed("see [3]", 4).1.is_empty());
        assert!(s.feed("(http://x)", 4).1.is_empty());
        let mut s = Settler::default();
        assert!(s.feed("see [3]", 4).1.is_empty());
        assert_eq!(s.feed(" then", 4).1, [(1, 3)]);
    }

    #[test]
    fn citations_are_numbered_in_reading_order() {
        let p = |n: u32| crate::llm::Passage {
            number: n,
            chunk_id: i64::from(n),
            passage_id: format!("p{n}"),
            title: String::new(),
            text: String::new(),
            source_title: String::new(),
            source_kind: "builtin".into(),
            category: String::new(),
            force: None,
        };
        let passages: Vec<_> = (1..=9).map(p).collect();
        let (t, ps, cited) = in_reading_order(
            "A [3]. B [5][3]. C [8, 9]. D [2] and [12] and [1](x).",
            &passages,
        );
        assert_eq!(t, "A [1]. B [2][1]. C [3][4]. D [5] and and [1](x).");
        assert_eq!(cited, [1, 2, 3, 4, 5]);
        let ids: Vec<&str> = ps.iter().map(|p| p.passage_id.as_str()).collect();
        assert_eq!(ids, ["p3", "p5", "p8", "p9", "p2", "p1", "p4", "p6", "p7"]);
        assert!(ps.iter().enumerate().all(|(i, p)| p.number == i as u32 + 1));
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
