//! The rules for text a person writes (a group name, a note, a goal's title, a conversation's title), in one
//! place: creating, editing, importing and syncing a record all check a field with the same function.
//!
//! Two shapes: a **line** (names and titles: one line, inner runs of whitespace become one space) and **prose**
//! (notes: line breaks and tabs kept). Neither may hold a control character, a bidirectional embedding, override
//! or isolate (U+202A–U+202E, U+2066–U+2069: they make text read differently from how it is stored), or an
//! invisible separator (U+200B zero-width space, U+2060 word joiner, U+FEFF, U+180E). Joiners that scripts
//! and emoji need (U+200C, U+200D) and the directional marks (U+200E, U+200F, U+061C) stay allowed.

use crate::error::{Error, Result};

/// Characters refused in a person's text besides control characters, and why.
fn hidden(c: char) -> Option<&'static str> {
    match c {
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            Some("direction controls that make it read differently from how it is stored")
        }
        '\u{200b}' | '\u{2060}' | '\u{feff}' | '\u{180e}' => Some("invisible characters"),
        _ => None,
    }
}

/// Why `s` cannot be stored as a person's text (`multiline`: line breaks and tabs allowed), if it cannot.
pub fn problem(s: &str, multiline: bool) -> Option<&'static str> {
    for c in s.chars() {
        let control = c.is_control() || matches!(c, '\u{80}'..='\u{9f}');
        if control && !(multiline && matches!(c, '\n' | '\t' | '\r')) {
            return Some(if multiline {
                "control characters (line breaks and tabs are fine)"
            } else {
                "control characters or line breaks"
            });
        }
        if let Some(why) = hidden(c) {
            return Some(why);
        }
    }
    None
}

/// A line as stored: surrounding whitespace trimmed and inner runs made one space (tabs and line breaks too,
/// which a line cannot keep), at most `max` characters; empty → `None`. `what` names the field in errors.
pub fn line(s: Option<&str>, what: &'static str, max: usize) -> Result<Option<String>> {
    let Some(s) = s else { return Ok(None) };
    // (Tabs and line breaks are folded into spaces below; nothing else is let through.)
    if let Some(why) = problem(s, true) {
        return Err(Error::InvalidArgument(format!(
            "The {what} cannot contain {why}."
        )));
    }
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        return Ok(None);
    }
    if joined.chars().count() > max {
        return Err(Error::PayloadTooLarge {
            what,
            max,
            unit: "characters",
        });
    }
    Ok(Some(joined))
}

/// Prose as stored: trimmed (Windows line ends made `\n`), at most `max` characters; empty → `None`.
pub fn prose(s: Option<&str>, what: &'static str, max: usize) -> Result<Option<String>> {
    let Some(s) = s else { return Ok(None) };
    let t = s.trim().replace("\r\n", "\n");
    if let Some(why) =
        problem(&t, true).or_else(|| t.contains('\r').then_some("control characters"))
    {
        return Err(Error::InvalidArgument(format!(
            "The {what} cannot contain {why}."
        )));
    }
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > max {
        return Err(Error::PayloadTooLarge {
            what,
            max,
            unit: "characters",
        });
    }
    Ok(Some(t))
}

/// `s` without what [`problem`] refuses (keeping line breaks and tabs): for text taken from elsewhere (a
/// passage of an imported document, the first line of a question) before it becomes a person's field.
pub fn without_hidden(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            let control = c.is_control() || matches!(c, '\u{80}'..='\u{9f}');
            (!control || matches!(c, '\n' | '\t')) && hidden(c).is_none()
        })
        .collect()
}

/// Whether `s` may be stored as a line of at most `max` characters: what an import or a pull accepts (it
/// refuses what creating the record would; the whitespace of what older versions stored is left as it was).
pub fn is_line(s: &str, max: usize) -> std::result::Result<(), String> {
    checked(s, max, false)
}

/// Whether `s` may be stored as prose of at most `max` characters (see [`is_line`]).
pub fn is_prose(s: &str, max: usize) -> std::result::Result<(), String> {
    checked(s, max, true)
}

fn checked(s: &str, max: usize, multiline: bool) -> std::result::Result<(), String> {
    if let Some(why) = problem(s, multiline) {
        return Err(format!("contains {why}"));
    }
    if s.chars().count() > max {
        return Err(format!("is longer than {max} characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn what_a_person_cannot_slip_into_a_name_or_a_note() {
        for bad in [
            "Team\u{1b}]0;x\u{7}",
            "evil\u{202e}txt.exe",
            "a\u{2066}b",
            "zero\u{200b}width",
            "bom\u{feff}",
            "c1\u{85}x",
        ] {
            assert_eq!(
                line(Some(bad), "group name", 80).unwrap_err().code(),
                "invalid_argument",
                "{bad:?}"
            );
            assert_eq!(
                prose(Some(bad), "note", 2000).unwrap_err().code(),
                "invalid_argument",
                "{bad:?}"
            );
        }
        // What people write stays as it is.
        assert_eq!(
            line(Some("  Product   team\t"), "group name", 80).unwrap(),
            Some("Product team".into())
        );
        assert_eq!(
            line(
                Some("\u{0641}\u{0631}\u{064a}\u{0642} \u{200c}\u{0646}"),
                "group name",
                80
            )
            .unwrap(),
            Some("\u{0641}\u{0631}\u{064a}\u{0642} \u{200c}\u{0646}".into())
        );
        assert_eq!(
            line(
                Some("\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467} family"),
                "group name",
                80
            )
            .unwrap(),
            Some("\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467} family".into())
        );
        assert_eq!(
            prose(Some(" line one\r\n\tline two \n"), "note", 2000).unwrap(),
            Some("line one\n\tline two".into())
        );
        assert_eq!(line(Some("   "), "group name", 80).unwrap(), None);
        assert_eq!(
            line(Some(&"x".repeat(81)), "group name", 80)
                .unwrap_err()
                .code(),
            "payload_too_large"
        );
        assert!(is_line("Product team", 80).is_ok());
        assert!(is_line("two\nlines", 80).is_err());
        assert!(is_line("evil\u{202e}", 80)
            .unwrap_err()
            .contains("direction"));
        assert!(is_line(&"x".repeat(81), 80).unwrap_err().contains("longer"));
        assert!(is_prose("a\nb", 80).is_ok());
        assert!(is_prose("a\u{200b}b", 80)
            .unwrap_err()
            .contains("invisible"));
    }

    proptest! {
        /// Anything accepted is in stored form (checking it again changes nothing) and holds nothing refused;
        /// the import check accepts exactly the stored forms.
        #[test]
        fn accepted_text_is_stable_and_clean(s in "[\\PC\\t\\n\\r\u{202a}-\u{202e}\u{2066}-\u{2069}\u{200b}-\u{200f}\u{1b}\u{7f}\u{85}]{0,60}") {
            if let Ok(Some(t)) = line(Some(&s), "name", 80) {
                prop_assert_eq!(line(Some(&t), "name", 80).unwrap(), Some(t.clone()));
                prop_assert!(problem(&t, false).is_none());
                prop_assert!(is_line(&t, 80).is_ok());
            }
            if let Ok(Some(t)) = prose(Some(&s), "note", 2000) {
                prop_assert_eq!(prose(Some(&t), "note", 2000).unwrap(), Some(t.clone()));
                prop_assert!(problem(&t, true).is_none());
                prop_assert!(!t.contains('\r'));
                prop_assert!(is_prose(&t, 2000).is_ok());
            }
            if problem(&s, true).is_some() {
                prop_assert!(prose(Some(&s), "note", 2000).is_err());
                prop_assert!(line(Some(&s), "name", 80).is_err());
            }
        }
    }
}
