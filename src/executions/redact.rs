//! What a record never keeps: the values of properties whose names say
//! they are secret.
//!
//! A name is secret when it contains, ignoring case, one of [`WORDS`] or
//! one of `[executions] redact`. Its value becomes `"[redacted]"` in
//! properties (at any depth: `props.http_headers.authorization` too) and in
//! JSON bodies: parsed when they were recorded whole, read as far as they
//! go when they were cut at `max_document_bytes` (a value cut short after a
//! secret name is redacted to the end). Request headers are never recorded
//! at all.

use serde_json::Value;

use crate::doc::json::{skip_space, string_end, value_end};

use crate::pipeline::trace::DocumentRecord;

/// Parts of names that are always secret.
pub const WORDS: [&str; 10] = [
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "api_key",
    "api-key",
    "apikey",
    "cookie",
    "credential",
];

/// What a redacted value becomes.
pub const REDACTED: &str = "[redacted]";

pub struct Redactor<'a> {
    /// `[executions] redact`, lower-cased.
    extra: &'a [String],
}

impl<'a> Redactor<'a> {
    pub fn new(extra: &'a [String]) -> Redactor<'a> {
        Redactor { extra }
    }

    pub fn is_secret(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        WORDS.iter().any(|word| name.contains(word))
            || self.extra.iter().any(|word| name.contains(word.as_str()))
    }

    /// Redacts a document's properties, and its body when it is JSON.
    pub fn document(&self, document: &mut DocumentRecord) {
        self.value(&mut document.props);
        if !document.media_type.contains("json") {
            return;
        }
        if document.is_cut() {
            if let Some(text) = self.cut_text(&document.body) {
                document.body = text;
            }
        } else if let Ok(mut body) = serde_json::from_str::<Value>(&document.body)
            && self.value(&mut body)
            && let Ok(text) = serde_json::to_string(&body)
        {
            document.body = text;
        }
    }

    /// The start of a JSON text, cut anywhere, with the value after every
    /// secret name replaced (to the end of the text, when the value goes
    /// past it); `None` when it names no secret. Read token by token, not
    /// parsed: what was cut off would make it invalid JSON. A value that is
    /// a secret name's is replaced whole, whatever it holds.
    fn cut_text(&self, text: &str) -> Option<String> {
        let bytes = text.as_bytes();
        let mut out = String::new();
        let mut copied = 0;
        let mut at = 0;
        while at < bytes.len() {
            if bytes[at] != b'"' {
                at += 1;
                continue;
            }
            let end = string_end(bytes, at);
            let colon = skip_space(bytes, end);
            // A string followed by `:` is a name.
            let secret = bytes.get(colon) == Some(&b':')
                && serde_json::from_str::<String>(&text[at..end])
                    .is_ok_and(|name| self.is_secret(&name));
            if !secret {
                at = end;
                continue;
            }
            let value = skip_space(bytes, colon + 1);
            out.push_str(&text[copied..value]);
            out.push('"');
            out.push_str(REDACTED);
            out.push('"');
            copied = value_end(bytes, value);
            at = copied;
        }
        if copied == 0 {
            return None;
        }
        out.push_str(&text[copied..]);
        Some(out)
    }

    /// Replaces the values of secret keys at any depth; whether any was.
    fn value(&self, value: &mut Value) -> bool {
        match value {
            Value::Object(map) => {
                let mut changed = false;
                for (key, value) in map.iter_mut() {
                    if self.is_secret(key) {
                        if value.as_str() != Some(REDACTED) {
                            *value = Value::String(REDACTED.to_owned());
                            changed = true;
                        }
                    } else {
                        changed |= self.value(value);
                    }
                }
                changed
            }
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |changed, item| self.value(item) | changed),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_names_are_redacted_at_any_depth() {
        let extra = vec!["iban".to_owned()];
        let redactor = Redactor::new(&extra);
        let mut document = DocumentRecord {
            media_type: "application/json".to_owned(),
            body: r#"{"user":"ada","Password":"hunter2","cards":[{"IBAN":"DE02"}]}"#.to_owned(),
            bytes: 62,
            cut: false,
            props: json!({
                "order_id": "A-17",
                "api_token": "abc",
                "http_headers": { "authorization": "Bearer x", "content-type": "text/plain" },
                "customer_iban": "DE02",
            }),
        };
        document.bytes = document.body.len();
        redactor.document(&mut document);
        assert_eq!(
            document.props,
            json!({
                "order_id": "A-17",
                "api_token": REDACTED,
                "http_headers": { "authorization": REDACTED, "content-type": "text/plain" },
                "customer_iban": REDACTED,
            })
        );
        assert_eq!(
            document.body,
            r#"{"user":"ada","Password":"[redacted]","cards":[{"IBAN":"[redacted]"}]}"#
        );
    }

    fn cut(body: &str) -> DocumentRecord {
        DocumentRecord {
            media_type: "application/json".to_owned(),
            body: body.to_owned(),
            bytes: body.len() + 100,
            cut: true,
            props: Value::Null,
        }
    }

    #[test]
    fn a_cut_body_is_redacted_as_far_as_it_goes() {
        let redactor = Redactor::new(&[]);
        for (body, redacted) in [
            (
                r#"{"password": "hunter2", "a": "0123"#,
                r#"{"password": "[redacted]", "a": "0123"#,
            ),
            // A value cut short is redacted to the end.
            (
                r#"{"a": 1, "token": "abc"#,
                r#"{"a": 1, "token": "[redacted]""#,
            ),
            (
                r#"[{"auth": {"API_KEY": {"k": [1, "x"]}, "n": tr"#,
                r#"[{"auth": {"API_KEY": "[redacted]", "n": tr"#,
            ),
            (
                r#"{"secret" : 12.5e3, "b""#,
                r#"{"secret" : "[redacted]", "b""#,
            ),
            // An escaped name is the name it spells.
            (
                r#"{"password": "x"}, {"#,
                r#"{"password": "[redacted]"}, {"#,
            ),
            (r#"{"cookie":"#, r#"{"cookie":"[redacted]""#),
        ] {
            let mut document = cut(body);
            redactor.document(&mut document);
            assert_eq!(document.body, redacted, "{body}");
        }
        // A secret name inside a string is text, not a name.
        let body = r#"{"note": ""password": x", "n": 1, "#;
        let mut document = cut(body);
        redactor.document(&mut document);
        assert_eq!(document.body, body);
    }

    proptest::proptest! {
        /// Whatever the document and wherever it is cut, no character of
        /// a secret value is recorded (they are the only `Z`s in it).
        #[test]
        fn no_part_of_a_secret_survives_a_cut(
            value in secret_documents(),
            cut_at in 0usize..400,
        ) {
            let text = serde_json::to_string(&value).unwrap();
            let mut end = cut_at.min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let mut document = cut(&text[..end]);
            Redactor::new(&[]).document(&mut document);
            proptest::prop_assert!(!document.body.contains('Z'), "{} -> {}", &text[..end], document.body);
        }
    }

    /// JSON values whose secret names hold values with `Z`s, and nothing
    /// else holds a `Z`.
    fn secret_documents() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let secret = prop_oneof![
            "Z{1,6}".prop_map(Value::from),
            proptest::collection::vec("Z{1,3}".prop_map(Value::from), 0..3).prop_map(Value::from),
        ];
        let leaf = prop_oneof![
            "[a-y \\\"]{0,6}".prop_map(Value::from),
            any::<i32>().prop_map(Value::from),
            Just(Value::Null),
        ];
        leaf.prop_recursive(3, 24, 4, move |inner| {
            let secret = secret.clone();
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::vec(
                    ("[a-y]{1,5}", inner.clone(), proptest::option::of(secret)),
                    0..4
                )
                .prop_map(|entries| {
                    let mut map = serde_json::Map::new();
                    for (name, value, secret) in entries {
                        match secret {
                            Some(secret) => map.insert(format!("{name}_token"), secret),
                            None => map.insert(name, value),
                        };
                    }
                    Value::Object(map)
                }),
            ]
        })
    }

    #[test]
    fn bodies_without_secrets_keep_their_text() {
        let redactor = Redactor::new(&[]);
        let body = "{ \"a\" :  1 }";
        let mut document = DocumentRecord {
            media_type: "application/json".to_owned(),
            body: body.to_owned(),
            bytes: body.len(),
            cut: false,
            props: Value::Null,
        };
        redactor.document(&mut document);
        assert_eq!(document.body, body);
    }
}
