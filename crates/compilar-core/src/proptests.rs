//! Property tests for the parsers and validators that take outside input: search query sanitising, document
//! chunking, ids, job ids, API keys, `Retry-After`, Ollama's stream lines and the PDF stream measure. (The
//! stream framing's own properties sit beside it in `llm/providers`.)

use proptest::prelude::*;

use crate::capabilities::documents::chunk::{chunk, OVERLAP_CHARS, TARGET_CHARS};
use crate::capabilities::documents::pdf::limits::decoded_len;
use crate::capabilities::knowledge::search::{fts_expression, terms, MAX_TERMS};
use crate::llm::providers::ollama::parse_line;
use crate::llm::types::StreamPiece;
use crate::secrets::{Secrets, MIN_KEY_LEN};

/// Text with the characters that matter to the parsers: query syntax, Markdown, quotes, newlines, non-ASCII.
fn texty() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            8 => proptest::char::range('a', 'z'),
            2 => Just(' '),
            1 => Just('\n'),
            1 => proptest::sample::select(vec![
                '"', '\'', '*', '-', ':', '(', ')', '^', '#', '`', '>', '\r', '\t', 'é', 'ß', '中', '\u{0}',
                '\u{2028}', '🙂', '.', '!', '?'
            ]),
        ],
        0..400,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever is typed, the FTS5 expression is valid SQL for a real FTS5 table (nothing is read as query
    /// syntax) and holds at most the allowed number of terms.
    #[test]
    fn any_query_is_a_valid_fts5_expression(q in texty()) {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(body); INSERT INTO t VALUES ('trust and voice');")
            .unwrap();
        let t = terms(&q);
        prop_assert!(t.len() <= MAX_TERMS);
        match fts_expression(&q) {
            None => prop_assert!(t.is_empty()),
            Some(expr) => {
                let r: rusqlite::Result<i64> =
                    conn.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&expr], |r| r.get(0));
                prop_assert!(r.is_ok(), "{expr:?}: {r:?}");
            }
        }
    }

    /// Chunks are never empty, stay near their target size, and every word of the text's body is in one
    /// (a heading with nothing under it makes no passage, so heading lines are left out of the check).
    #[test]
    fn chunking_keeps_every_word_within_bounds(text in texty()) {
        let chunks = chunk(&text);
        let all: String = chunks
            .iter()
            .map(|c| format!("{} {}", c.heading, c.body))
            .collect::<Vec<_>>()
            .join(" ");
        for c in &chunks {
            prop_assert!(!c.body.trim().is_empty());
            prop_assert!(c.body.chars().count() <= TARGET_CHARS + OVERLAP_CHARS + 2 * TARGET_CHARS);
        }
        let body: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with('#')).collect();
        for word in body
            .iter()
            .flat_map(|l| l.split(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
        {
            prop_assert!(all.contains(word), "{word:?} lost");
        }
    }

    /// Ids: never a panic; what is accepted is a UUID, and every UUID is accepted in any case and padding.
    #[test]
    fn ids_parse_only_uuids(s in "\\PC{0,80}", raw in any::<u128>(), upper in any::<bool>()) {
        if let Ok(id) = crate::util::parse_id(&s) {
            prop_assert_eq!(Some(id), uuid::Uuid::try_parse(s.trim()).ok());
        }
        let u = uuid::Uuid::from_u128(raw);
        let text = if upper { u.to_string().to_uppercase() } else { format!("  {u} ") };
        prop_assert_eq!(crate::util::parse_id(&text).ok(), Some(u));
    }

    /// Job ids: accepted exactly when not blank and at most 64 bytes.
    #[test]
    fn job_ids(s in "\\PC{0,100}") {
        let ok = crate::jobs::check_id(&s, "import").is_ok();
        prop_assert_eq!(ok, !s.trim().is_empty() && s.len() <= 64);
    }

    /// API keys: an accepted key is trimmed, 8 to 512 characters, with no space or control character.
    #[test]
    fn api_keys(s in "\\PC{0,40}|[ -~]{0,600}") {
        if let Ok(k) = Secrets::validate_key(&s) {
            prop_assert_eq!(k.as_str(), s.trim());
            prop_assert!(k.chars().count() >= MIN_KEY_LEN && k.len() <= 512);
            prop_assert!(!k.chars().any(|c| c.is_whitespace() || c.is_control()));
        }
    }

    /// `Retry-After`: whatever a server sends, the wait is absent or at most a day.
    #[test]
    fn retry_after_is_bounded(v in "[0-9eE.+-]{0,30}|\\PC{0,40}", ms in any::<bool>()) {
        let mut h = reqwest::header::HeaderMap::new();
        if let Ok(value) = reqwest::header::HeaderValue::from_str(&v) {
            h.insert(if ms { "retry-after-ms" } else { "retry-after" }, value);
        }
        if let Some(d) = crate::llm::error::parse_retry_after(&h) {
            prop_assert!(d <= crate::llm::error::MAX_RETRY_AFTER);
        }
    }

    /// Ollama's stream lines: any bytes give a piece or a typed error, never a panic; a token line gives
    /// exactly its text.
    #[test]
    fn ollama_lines(bytes in proptest::collection::vec(any::<u8>(), 0..200), text in "\\PC{1,40}") {
        let _ = parse_line(&bytes);
        let line = serde_json::json!({"message": {"content": text}, "done": false}).to_string();
        match parse_line(line.as_bytes()) {
            Ok(Some(StreamPiece::Token(t))) => prop_assert_eq!(t, text),
            other => prop_assert!(false, "{other:?}"),
        }
    }

    /// The PDF stream measure: whatever bytes a stream holds and however its filters are named, it never
    /// reports more than its limit and never panics.
    #[test]
    fn pdf_stream_measure_is_bounded(
        content in proptest::collection::vec(any::<u8>(), 0..300),
        filters in proptest::collection::vec(
            proptest::sample::select(vec!["FlateDecode", "LZWDecode", "ASCII85Decode", "DCTDecode", "Fl"]),
            0..3,
        ),
        limit in 0u64..2000,
    ) {
        let names: Vec<lopdf::Object> = filters.iter().map(|f| lopdf::Object::Name(f.as_bytes().to_vec())).collect();
        let stream = lopdf::Stream::new(lopdf::dictionary! { "Filter" => names }, content);
        if let Some(n) = decoded_len(&stream, limit) {
            prop_assert!(n <= limit.max(stream.content.len() as u64));
        }
    }
}

proptest! {
    /// A structured answer is found wherever the model puts it: after any words, inside a code fence, before
    /// any tail; the reader never panics on text with stray brackets.
    #[test]
    fn the_first_json_value_is_found_in_any_surrounding_text(
        before in texty(),
        after in texty(),
        fence in any::<bool>(),
        n in 0u32..50,
        words in proptest::collection::vec("[a-z ]{0,12}", 0..6),
    ) {
        let value = serde_json::json!({"questions": words, "n": n});
        let body = if fence { format!("```json\n{value}\n```") } else { value.to_string() };
        // Text before it must not itself hold a JSON object or array.
        let before: String = before.chars().filter(|c| *c != '{' && *c != '[').collect();
        let text = format!("{before}{body}{after}");
        prop_assert_eq!(crate::llm::json::first_value(&text), Some(value));
    }

    #[test]
    fn reading_json_never_panics(text in texty(), brackets in "[\\[\\]{}\",:0-9a ]{0,300}") {
        let _ = crate::llm::json::first_value(&format!("{text}{brackets}"));
    }
}

proptest! {
    /// Citations: cleaning keeps exactly the valid numbers, and the streaming settler announces exactly the
    /// passages cleaning keeps, in reading order, however the answer is cut into tokens.
    #[test]
    fn citations_found_while_streaming_match_the_cleaned_answer(
        parts in proptest::collection::vec(
            prop_oneof![
                3 => "[a-z .]{0,12}",
                2 => (1u32..12).prop_map(|n| format!("[{n}]")),
                1 => (1u32..12, 1u32..12).prop_map(|(a, b)| format!("[{a}, {b}]")),
                1 => Just("[x]".to_string()),
                1 => Just("[".to_string()),
            ],
            0..30,
        ),
        cuts in proptest::collection::vec(1usize..8, 0..40),
        passages in 0u32..8,
    ) {
        use crate::writing::citations::{clean, Settler};
        let text: String = parts.concat();
        let (cleaned, cited) = clean(&text, passages);
        prop_assert!(cited.iter().all(|n| (1..=passages).contains(n)));
        let (again, _) = clean(&cleaned, passages);
        prop_assert_eq!(&again, &cleaned, "cleaning is stable");
        let mut s = Settler::default();
        let mut seen: Vec<(u32, u32)> = Vec::new();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        for c in cuts.iter().cycle().take(chars.len() + 1) {
            if i >= chars.len() { break; }
            let j = (i + c).min(chars.len());
            let piece: String = chars[i..j].iter().collect();
            seen.extend(s.feed(&piece, passages).1);
            i = j;
        }
        if i < chars.len() {
            let rest: String = chars[i..].iter().collect();
            seen.extend(s.feed(&rest, passages).1);
        }
        seen.extend(s.finish(passages).1);
        let want: Vec<(u32, u32)> = cited.iter().enumerate().map(|(i, n)| (i as u32 + 1, *n)).collect();
        prop_assert_eq!(seen, want);
    }
}
