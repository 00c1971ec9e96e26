//! The first JSON value in a model's answer, whether it is the whole answer, wrapped in a Markdown code fence,
//! or preceded by a sentence ("Here are the questions: {…}"). Used for structured answers from providers
//! without a structured-output feature, and as a second line of defence for those with one.

use serde_json::Value;

/// Most candidate starts tried (each `{` or `[` in the text).
const MAX_TRIES: usize = 64;

/// The first complete JSON object or array in `text`, if any.
pub fn first_value(text: &str) -> Option<Value> {
    let mut tries = 0;
    for (i, c) in text.char_indices() {
        if c != '{' && c != '[' {
            continue;
        }
        tries += 1;
        if tries > MAX_TRIES {
            return None;
        }
        let mut values = serde_json::Deserializer::from_str(&text[i..]).into_iter::<Value>();
        if let Some(Ok(v)) = values.next() {
            if v.is_object() || v.is_array() {
                return Some(v);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_json_bare_fenced_or_after_words() {
        assert_eq!(first_value(r#"{"a": 1}"#), Some(json!({"a": 1})));
        assert_eq!(
            first_value("Sure! ```json\n{\"a\": [1, 2]}\n```\nThanks"),
            Some(json!({"a": [1, 2]}))
        );
        assert_eq!(
            first_value("Here: [not json] then {\"b\": true}"),
            Some(json!({"b": true}))
        );
        assert_eq!(first_value("no json at all"), None);
        assert_eq!(first_value("{\"cut\": [1, 2"), None);
        assert_eq!(first_value(&"{".repeat(10_000)), None);
    }
}
