//! Small helpers shared by the core: ids, counts, inert Markdown, file names, the lock helper (times are in
//! [`crate::time`]).

use uuid::Uuid;

pub use crate::time::{human_duration, now, observe_clock, time_in};
pub use crate::validate::{parse_id, MAX_ID_LEN};

/// A new time-ordered id (UUIDv7).
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// "1 model", "3 models": a count with its noun in the right number.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Whether a link to `dest` may be shown with its address: a web or mail address.
fn shown_link(dest: &str) -> bool {
    let d = dest.trim().to_ascii_lowercase();
    d.starts_with("https://") || d.starts_with("http://") || d.starts_with("mailto:")
}

/// `s` with the characters Markdown gives a meaning escaped, so that it reads back as the same text.
fn md_text(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '[' | ']' | '(' | ')' | '<' | '>' | '!' | '\\' | '`' | '*' | '_'
        ) {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

/// Markdown that stays inert wherever it is rendered (a saved report, an export opened in an editor's
/// preview): every link becomes its text, followed by its address in brackets when it is a web or mail address
/// (a `javascript:` or `data:` link keeps only its text); every image becomes its description (nothing is
/// fetched from anywhere); raw HTML is shown as text. What a model wrote, or an imported export brought, goes
/// through it before it is saved in a file.
pub fn inert_markdown(md: &str) -> String {
    // What a rewrite leaves can meet the text around it and form a link again (`<` + `javascript:` + `>`):
    // rewrite until nothing acts, and if that does not settle, escape every character that could.
    let mut out = inert_once(md);
    for _ in 0..3 {
        if !acts(&out) {
            return out;
        }
        out = inert_once(&out);
    }
    if acts(&out) {
        out = out
            .chars()
            .flat_map(|c| {
                let esc = matches!(c, '[' | ']' | '<' | '>' | '!' | '(' | ')');
                esc.then_some('\\').into_iter().chain(std::iter::once(c))
            })
            .collect();
    }
    out
}

/// Whether Markdown renders a link, an image or raw HTML.
fn acts(md: &str) -> bool {
    use pulldown_cmark::{Event, Parser, Tag};
    Parser::new(md).any(|e| {
        matches!(
            e,
            Event::Start(Tag::Link { .. } | Tag::Image { .. })
                | Event::Html(_)
                | Event::InlineHtml(_)
        )
    })
}

fn inert_once(md: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    // The link or image being read: its range, its address, whether an image, and its text so far.
    let mut open: Option<(std::ops::Range<usize>, String, bool, String)> = None;
    let mut depth = 0usize;
    for (event, range) in Parser::new_ext(md, Options::empty()).into_offset_iter() {
        match (&mut open, event) {
            (None, Event::Start(Tag::Link { dest_url, .. })) => {
                open = Some((range, dest_url.into_string(), false, String::new()));
                depth = 1;
            }
            (None, Event::Start(Tag::Image { dest_url, .. })) => {
                open = Some((range, dest_url.into_string(), true, String::new()));
                depth = 1;
            }
            (None, Event::Html(h) | Event::InlineHtml(h)) => {
                edits.push((range, h.replace('<', "&lt;").replace('>', "&gt;")));
            }
            (Some(_), Event::Start(Tag::Link { .. } | Tag::Image { .. })) => depth += 1,
            (Some(o), Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t)) => {
                o.3.push_str(&t);
            }
            (Some(o), Event::SoftBreak | Event::HardBreak) => o.3.push(' '),
            (Some(_), Event::End(TagEnd::Link | TagEnd::Image)) => {
                depth -= 1;
                if depth == 0 {
                    if let Some((r, dest, image, text)) = open.take() {
                        let text = text.trim();
                        let shown = if image {
                            if text.is_empty() {
                                String::new()
                            } else {
                                format!("(image: {})", md_text(text))
                            }
                        } else if shown_link(&dest) && text != dest.trim() {
                            format!("{} ({})", md_text(text), md_text(dest.trim()))
                        } else if shown_link(&dest) || text.is_empty() {
                            md_text(dest.trim())
                        } else {
                            md_text(text)
                        };
                        edits.push((r, shown));
                    }
                }
            }
            _ => {}
        }
    }
    if edits.is_empty() {
        return md.to_owned();
    }
    let mut out = String::with_capacity(md.len());
    let mut at = 0;
    for (r, with) in edits {
        if r.start < at {
            continue;
        }
        out.push_str(&md[at..r.start]);
        out.push_str(&with);
        at = r.end;
    }
    out.push_str(&md[at..]);
    out
}

/// A text cell of a CSV file as a spreadsheet can open it without running anything (OWASP's advice on CSV
/// injection): text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return — a formula to Excel,
/// LibreOffice and Google Sheets — is written with a leading apostrophe, which spreadsheets show as text. Every
/// text cell of every CSV the app writes goes through it (numbers the app formats itself do not).
pub fn csv_text(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{s}")),
        _ => std::borrow::Cow::Borrowed(s),
    }
}

/// The locale the window writes dates in, as a BCP 47 tag, from the system's locale (`de_DE.UTF-8@euro`,
/// `en-US`, `fr_CA`): a system with no regional format (`C`, `POSIX`, none) gets `en-GB` — day, month, year and
/// a 24-hour clock, which no reader mistakes — rather than the web view's American default.
pub fn display_locale(system: Option<&str>) -> String {
    const NEUTRAL: &str = "en-GB";
    let Some(raw) = system.map(str::trim).filter(|s| !s.is_empty()) else {
        return NEUTRAL.to_owned();
    };
    let base = raw.split(['.', '@']).next().unwrap_or_default();
    if base.eq_ignore_ascii_case("c") || base.eq_ignore_ascii_case("posix") {
        return NEUTRAL.to_owned();
    }
    let tag = base.replace('_', "-");
    let ok = !tag.is_empty()
        && tag.len() <= 35
        && tag
            .split('-')
            .all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        tag
    } else {
        NEUTRAL.to_owned()
    }
}

/// A file name people can read and every system accepts, from the words that say what the file holds
/// ("Group Prospects (egalitarian) – Product team 2026-12-07"): letters, digits, spaces and `()-_.,'`; anything
/// else becomes a space; runs of spaces one; at most 80 characters; `fallback` when nothing is left.
pub fn readable_file_name(words: &str, fallback: &str) -> String {
    let mut out = String::new();
    for c in words.chars() {
        let keep = c.is_alphanumeric()
            || matches!(c, '(' | ')' | '-' | '_' | '.' | ',' | '\'' | '\u{2013}');
        let c = if keep && !c.is_control() { c } else { ' ' };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    let mut out: String = out
        .trim()
        .trim_matches('.')
        .trim()
        .chars()
        .take(80)
        .collect();
    out = out.trim_end().to_owned();
    if out.is_empty() {
        fallback.to_owned()
    } else {
        out
    }
}

/// A mutex's guard, also after a thread panicked while holding it (what it guards stays usable: every holder
/// leaves it consistent between statements).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn counts_agree_with_their_nouns() {
        assert_eq!(count(1, "model", "models"), "1 model");
        assert_eq!(count(0, "model", "models"), "0 models");
        assert_eq!(count(3, "passage", "passages"), "3 passages");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(Duration::from_millis(200)), "1 s");
        assert_eq!(human_duration(Duration::from_secs(45)), "45 s");
        assert_eq!(human_duration(Duration::from_secs(120)), "2 min");
        assert_eq!(human_duration(Duration::from_secs(200)), "3 min 20 s");
        assert_eq!(human_duration(Duration::from_secs(3900)), "1 h 5 min");
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        for (raw, want) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Product team", "Product team"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(csv_text(raw), want);
        }
    }

    proptest::proptest! {
        /// Whatever the text, the cell a spreadsheet reads back does not start a formula, and it is the text
        /// itself or the text after one apostrophe.
        #[test]
        fn any_text_is_written_inert_and_whole(s in "\\PC{0,40}|[=+@\\-\t\r][\\PC\t\r]{0,40}") {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([csv_text(&s).as_ref()]).unwrap();
            let bytes = w.into_inner().unwrap();
            let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes.as_slice());
            let rec = r.records().next().map(|x| x.unwrap());
            let back = rec.as_ref().and_then(|r| r.get(0)).unwrap_or("");
            proptest::prop_assert!(!back.starts_with(['=', '+', '-', '@', '\t', '\r']), "{:?}", back);
            proptest::prop_assert!(back == s || back.strip_prefix('\'') == Some(s.as_str()), "{:?}", back);
        }
    }

    #[test]
    fn saved_markdown_has_no_live_link_no_image_and_no_html() {
        let md = "See [the guide](https://example.org/guide) and [click](javascript:alert(1)) or \
                  [data](data:text/html;base64,PHNjcmlwdD4=).\n\n![tracker](http://evil.example/p.png)\n\n\
                  <img src=\"http://evil.example/q.png\"> <https://example.org> [**bold**](mailto:a@b.c)\n\n\
                  [\\[x\\](javascript:y)](https://ok.example) [ref][r]\n\n[r]: javascript:alert(2)\n";
        let out = inert_markdown(md);
        assert!(
            out.contains("the guide (https://example.org/guide)"),
            "{out}"
        );
        assert!(out.contains("click or"), "{out}");
        assert!(out.contains("(image: tracker)"), "{out}");
        assert!(out.contains("&lt;img"), "{out}");
        assert!(out.contains("bold (mailto:a@b.c)"), "{out}");
        // Rendered again, nothing is a link or an image, and no address but the web and mail ones is shown.
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&out));
        assert!(!html.contains("<a "), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("javascript:alert(1)"), "{html}");
        assert!(!html.contains("data:text"), "{html}");
        // Plain prose is left exactly as it was.
        let plain = "## Where to focus\n\n- **Goal clarity** (58): try this.\n";
        assert_eq!(inert_markdown(plain), plain);
    }

    proptest::proptest! {
        /// Whatever Markdown goes in, what comes out renders with no link, no image and no raw HTML tag.
        #[test]
        fn no_markdown_renders_a_link_or_an_image_once_made_inert(
            s in "([a-z ]{0,6}|\\[|\\]|\\(|\\)|!|<|>|javascript:|http://x|data:|\\\\|`|\\*|\\n){0,40}"
        ) {
            let out = inert_markdown(&s);
            let mut html = String::new();
            pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&out));
            proptest::prop_assert!(!html.contains("<a "), "{:?} -> {:?} -> {}", s, out, html);
            proptest::prop_assert!(!html.contains("<img"), "{:?} -> {:?} -> {}", s, out, html);
        }
    }

    #[test]
    fn dates_follow_the_system_locale_and_c_gets_a_neutral_one() {
        assert_eq!(display_locale(Some("de_DE.UTF-8@euro")), "de-DE");
        assert_eq!(display_locale(Some("en-US")), "en-US");
        assert_eq!(display_locale(Some("fr_CA")), "fr-CA");
        for neutral in [
            None,
            Some(""),
            Some("C"),
            Some("C.UTF-8"),
            Some("POSIX"),
            Some("x y;z"),
        ] {
            assert_eq!(display_locale(neutral), "en-GB", "{neutral:?}");
        }
    }

    #[test]
    fn file_names_read_well_everywhere() {
        assert_eq!(
            readable_file_name(
                "Group Prospects (egalitarian) \u{2013} R&D/Ops: team 2026-12-07",
                "x"
            ),
            "Group Prospects (egalitarian) \u{2013} R D Ops team 2026-12-07"
        );
        assert_eq!(
            readable_file_name("../..", "Compilar result"),
            "Compilar result"
        );
        assert_eq!(readable_file_name(&"a".repeat(200), "x").len(), 80);
    }
}
