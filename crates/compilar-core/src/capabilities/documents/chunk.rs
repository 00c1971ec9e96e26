//! Splitting a document into passages for search: by Markdown headings, then by paragraphs packed up to a size,
//! with the last paragraph of one chunk repeated at the start of the next (overlap) so that an idea that spans
//! a boundary is still found whole.

/// Soft upper size of a chunk's body, in characters.
pub const TARGET_CHARS: usize = 1_200;
/// Paragraphs longer than this are cut at sentence ends.
const MAX_PARAGRAPH: usize = TARGET_CHARS;
/// Most characters carried over from the end of one chunk to the next.
pub const OVERLAP_CHARS: usize = 240;

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
        path.iter()
            .map(|(_, h)| h.as_str())
            .collect::<Vec<_>>()
            .join(" \u{203a} ")
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
            path.push((
                level,
                t[level..].trim().trim_end_matches('#').trim().to_owned(),
            ));
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
                cur.push_str(word);
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
