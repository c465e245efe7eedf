//! What a record never keeps: the values of properties whose names say
//! they are secret.
//!
//! A name is secret when it contains, ignoring case, one of [`WORDS`] or
//! one of `[executions] redact`. Its value becomes `"[redacted]"` in
//! properties (at any depth: `props.http_headers.authorization` too) and in
//! JSON bodies that were recorded whole. Request headers are never recorded
//! at all.

use serde_json::Value;

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

    /// Redacts a document's properties, and its body when it is JSON that
    /// was kept whole.
    pub fn document(&self, document: &mut DocumentRecord) {
        self.value(&mut document.props);
        if document.media_type.contains("json")
            && !document.is_cut()
            && let Ok(mut body) = serde_json::from_str::<Value>(&document.body)
            && self.value(&mut body)
            && let Ok(text) = serde_json::to_string(&body)
        {
            document.body = text;
        }
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
