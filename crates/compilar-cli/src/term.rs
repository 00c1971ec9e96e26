//! Where the command-line tool's output goes. Text for people can carry what others wrote (notes, labels,
//! document titles, a model's words), and a terminal obeys the control sequences in what it prints (a new
//! window title, a cleared screen, a clipboard write): every control character but newline and tab is shown
//! as a visible stand-in instead. JSON output escapes them by construction. A closed pipe (`… | head -c1`)
//! ends the process quietly.

use std::borrow::Cow;
use std::io::Write;

/// Whether `c` is a control character a terminal may act on (C0 but newline and tab, DEL, C1).
fn is_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{80}'..='\u{9f}')
}

/// `s` with each control character shown as a stand-in: C0 as its Unicode control picture (ESC as `␛`), DEL
/// as `␡`, C1 as `\u{…}`. A carriage return right before a newline is kept (Windows line ends).
pub fn safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if !is_control(c) || (c == '\r' && chars.peek() == Some(&'\n')) {
            out.push(c);
        } else if (c as u32) < 0x20 {
            out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'));
        } else if c == '\u{7f}' {
            out.push('\u{2421}');
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

fn write(mut w: impl Write, s: &str) {
    let done = w.write_all(s.as_bytes()).and_then(|()| w.flush());
    if let Err(e) = done {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            // The reader went away (`| head`): nothing more to say to it, and nothing went wrong here.
            std::process::exit(0);
        }
    }
}

/// Text for people on standard output, made safe.
pub fn out(s: &str) {
    write(std::io::stdout().lock(), &safe(s));
}

/// Text exactly as it is on standard output (JSON, or a file's content for a pipe).
pub fn out_raw(s: &str) {
    write(std::io::stdout().lock(), s);
}

/// Text for people on standard error, made safe.
pub fn err(s: &str) {
    write(std::io::stderr().lock(), &safe(s));
}

/// JSON on standard error.
pub fn err_raw(s: &str) {
    write(std::io::stderr().lock(), s);
}

/// A file's content (Markdown, CSV) on standard output: exactly as it is into a pipe or a file, made safe on a
/// terminal.
pub fn out_content(s: &str) {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        out(s);
    } else {
        out_raw(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_obeyed() {
        assert_eq!(
            safe("plain text\nline two\tcol"),
            "plain text\nline two\tcol"
        );
        assert_eq!(
            safe("\u{1b}]0;pwned\u{7}title"),
            "\u{241b}]0;pwned\u{2407}title"
        );
        assert_eq!(safe("\u{1b}[2J"), "\u{241b}[2J");
        assert_eq!(
            safe("clip \u{1b}]52;c;ZXZpbA==\u{7}"),
            "clip \u{241b}]52;c;ZXZpbA==\u{2407}"
        );
        assert_eq!(safe("a\u{9b}31mb"), "a\\u{9b}31mb");
        assert_eq!(safe("over\rwrite"), "over\u{240d}write");
        assert_eq!(safe("windows\r\nline"), "windows\r\nline");
        assert_eq!(safe("del\u{7f}"), "del\u{2421}");
    }

    proptest::proptest! {
        #[test]
        fn nothing_a_terminal_acts_on_survives(s in "\\PC{0,20}[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}]{1,5}\\PC{0,20}") {
            let out = safe(&s);
            let mut chars = out.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\r' {
                    proptest::prop_assert_eq!(chars.peek(), Some(&'\n'));
                } else {
                    proptest::prop_assert!(!is_control(c), "{:?} in {:?}", c, out);
                }
            }
        }
    }
}
