//! Splitting a document into passages for search: by Markdown headings, then by paragraphs packed up to a size,
//! with the last paragraph of one chunk repeated at the start of the next (overlap) so that an idea that spans
//! a boundary is still found whole.

/// Soft upper size of a chunk's body, in characters.
pub const TARGET_CHARS: usize = 1_200;
/// Paragraphs longer than this are cut at sentence ends.
const MAX_PARAGRAPH: usize = TARGET_CHARS;
/// Most characters carried over from the end of one chunk to the next.
pub const OVERLAP_CHARS: usize = 240;
/// The hard maximum of a chunk's body in bytes, whatever the text looks like (minified JSON, base64, CJK
/// without spaces): the carried-over tail, a blank line and one paragraph of at most [`MAX_PARAGRAPH`].
pub const MAX_CHUNK_BYTES: usize = OVERLAP_CHARS + 2 + MAX_PARAGRAPH;
/// The longest heading path kept with a chunk, in characters (longer ones end in an ellipsis).
pub const MAX_HEADING_CHARS: usize = 300;

/// One chunk: the heading path it sits under and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub heading: String,
    pub body: String,
}

/// Splits `text` (Markdown or plain text) into chunks.
pub fn chunk(text: &str) -> Vec<Chunk> {
    let text = text.replace("\r\n", "\n");
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut para = String::new();
    let mut current: Vec<String> = Vec::new();
    let mut in_code = false;
    let flush_para = |para: &mut String, current: &mut Vec<String>| {
        let p = para.trim();
        if !p.is_empty() {
            current.extend(split_long(p));
        }
        para.clear();
    };
    let heading_of = |path: &[(usize, String)]| {
        let full = path
            .iter()
            .map(|(_, h)| h.as_str())
            .collect::<Vec<_>>()
            .join(" \u{203a} ");
        if full.chars().count() <= MAX_HEADING_CHARS {
            full
        } else {
            let cut: String = full.chars().take(MAX_HEADING_CHARS - 1).collect();
            format!("{}\u{2026}", cut.trim_end())
        }
    };
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") {
            in_code = !in_code;
        }
        let level = t.chars().take_while(|c| *c == '#').count();
        if !in_code && (1..=6).contains(&level) && t[level..].starts_with(' ') {
            flush_para(&mut para, &mut current);
            sections.push((heading_of(&path), std::mem::take(&mut current)));
            path.retain(|(l, _)| *l < level);
            // (A heading is kept to a line's worth: a 40 MB "heading" is cut.)
            let h = t[level..].trim().trim_end_matches('#').trim();
            path.push((level, h.chars().take(MAX_HEADING_CHARS).collect()));
            continue;
        }
        if line.trim().is_empty() && !in_code {
            flush_para(&mut para, &mut current);
        } else {
            para.push_str(line);
            para.push('\n');
        }
    }
    flush_para(&mut para, &mut current);
    sections.push((heading_of(&path), current));

    let mut out = Vec::new();
    for (heading, paras) in sections.into_iter().filter(|(_, p)| !p.is_empty()) {
        let mut body = String::new();
        let mut last = String::new();
        for p in paras {
            if !body.is_empty() && body.len() + p.len() + 2 > TARGET_CHARS {
                out.push(Chunk {
                    heading: heading.clone(),
                    body: std::mem::take(&mut body),
                });
                if last.len() <= OVERLAP_CHARS {
                    body.push_str(&last);
                } else {
                    body.push_str(tail(&last, OVERLAP_CHARS));
                }
            }
            if !body.is_empty() {
                body.push_str("\n\n");
            }
            body.push_str(&p);
            last = p;
        }
        if !body.trim().is_empty() {
            out.push(Chunk { heading, body });
        }
    }
    debug_assert!(out.iter().all(|c| c.body.len() <= MAX_CHUNK_BYTES));
    out
}

/// The end of `s`, at most `n` bytes, starting at a word boundary.
fn tail(s: &str, n: usize) -> &str {
    let mut start = s.len().saturating_sub(n);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    let rest = &s[start..];
    match rest.find(char::is_whitespace) {
        Some(i) if start > 0 => rest[i..].trim_start(),
        _ => rest,
    }
}

/// Cuts an over-long paragraph at sentence ends (or, failing that, at spaces).
fn split_long(p: &str) -> Vec<String> {
    if p.len() <= MAX_PARAGRAPH {
        return vec![p.to_owned()];
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    for piece in p.split_inclusive(['.', '!', '?', '\n']) {
        if cur.len() + piece.len() > MAX_PARAGRAPH && !cur.is_empty() {
            out.push(std::mem::take(&mut cur).trim().to_owned());
        }
        if piece.len() > MAX_PARAGRAPH {
            for word in piece.split_inclusive(' ') {
                if cur.len() + word.len() > MAX_PARAGRAPH && !cur.is_empty() {
                    out.push(std::mem::take(&mut cur).trim().to_owned());
                }
                if word.len() > MAX_PARAGRAPH {
                    // No space in it either (minified JSON, base64, CJK): cut at character boundaries.
                    let mut rest = word;
                    while rest.len() > MAX_PARAGRAPH {
                        let mut at = MAX_PARAGRAPH;
                        while !rest.is_char_boundary(at) {
                            at -= 1;
                        }
                        out.push(rest[..at].to_owned());
                        rest = &rest[at..];
                    }
                    cur.push_str(rest);
                } else {
                    cur.push_str(word);
                }
            }
        } else {
            cur.push_str(piece);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_chunk_is_longer_than_the_hard_maximum_whatever_the_text() {
        let json = format!("{{\"k\":[{}]}}", "1,".repeat(2_000_000));
        let base64 = "QUJD".repeat(1_000_000);
        let cjk = "\u{56e2}\u{961f}\u{6c9f}\u{901a}".repeat(500_000);
        let heading = format!("# {}\n\ntext", "h".repeat(1_000_000));
        for text in [json, base64, cjk, heading] {
            let chunks = chunk(&text);
            assert!(!chunks.is_empty());
            for c in &chunks {
                assert!(c.body.len() <= MAX_CHUNK_BYTES, "{}", c.body.len());
                assert!(c.heading.chars().count() <= MAX_HEADING_CHARS);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn chunks_stay_within_bounds(text in "([a-z]{0,3000}|[ .\n#]|\u{56e2}{0,900}){0,12}") {
            for c in chunk(&text) {
                proptest::prop_assert!(c.body.len() <= MAX_CHUNK_BYTES);
                proptest::prop_assert!(c.heading.chars().count() <= MAX_HEADING_CHARS);
            }
        }
    }

    #[test]
    fn headings_make_sections_with_their_path() {
        let md = "Intro line.\n\n# Team\n\nWe help.\n\n## Meetings\n\nEveryone speaks.\n\n```\n# not a heading\n```\n\n# Other\n\nText.";
        let c = chunk(md);
        let heads: Vec<&str> = c.iter().map(|c| c.heading.as_str()).collect();
        assert_eq!(heads, ["", "Team", "Team \u{203a} Meetings", "Other"]);
        assert!(
            c[2].body.contains("# not a heading"),
            "code blocks are kept whole"
        );
    }

    #[test]
    fn long_text_is_packed_with_overlap() {
        let paras: Vec<String> = (0..30)
            .map(|i| {
                format!("Paragraph {i} says something useful about how the team works together.")
            })
            .collect();
        let c = chunk(&paras.join("\n\n"));
        assert!(c.len() > 1);
        assert!(c
            .iter()
            .all(|c| c.body.len() <= TARGET_CHARS + OVERLAP_CHARS + 2));
        // The last paragraph of a chunk starts the next one.
        let last_of_first = c[0].body.rsplit("\n\n").next().unwrap();
        assert!(c[1].body.starts_with(last_of_first));
        // Every paragraph is somewhere.
        for p in &paras {
            assert!(c.iter().any(|c| c.body.contains(p.as_str())));
        }
    }

    #[test]
    fn a_huge_paragraph_is_cut_at_sentences() {
        let p = "This is one sentence about trust. ".repeat(200);
        let c = chunk(&p);
        assert!(c.len() > 3);
        assert!(c
            .iter()
            .all(|c| c.body.len() <= TARGET_CHARS + OVERLAP_CHARS + 2));
        assert!(c.iter().all(|c| c.body.trim_end().ends_with('.')));
        assert!(chunk("   \n\n  ").is_empty());
    }
}
