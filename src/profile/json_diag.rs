//! What is wrong with a JSON profile, in the user's terms and at the place
//! in the file: a JSON pointer found in the text, the metaschema's
//! complaints rephrased, and `$ref`s that leave the file or lead nowhere.
//!
//! jsonschema reports a bad schema by the metaschema's own paths and gives a
//! broken `$ref` no position at all; nothing here validates anything, it
//! only explains and places what the validator (or SPEC §7's "local `$ref`
//! only") rejects.

use std::collections::HashSet;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use super::json::{SCHEMA_LISTS, SCHEMA_MAPS, SCHEMA_ONE};
use crate::config::node::Span;
use crate::doc::json::{skip_space, string_end, value_end};

/// The span of the value at `pointer` (RFC 6901) in `text`, a JSON text
/// that parsed. `None` if the pointer leads nowhere.
pub fn pointer_span(text: &str, pointer: &str) -> Option<Span> {
    let bytes = text.as_bytes();
    let mut at = skip_space(bytes, 0);
    if pointer.is_empty() {
        return Some(Span::new(at, value_end(bytes, at)));
    }
    for token in pointer.strip_prefix('/')?.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        at = match bytes.get(at)? {
            b'{' => member(text, at, &token)?,
            b'[' => element(bytes, at, token.parse().ok()?)?,
            _ => return None,
        };
    }
    Some(Span::new(at, value_end(bytes, at)))
}

/// Where the value of member `name` starts, in the object at `at`.
fn member(text: &str, mut at: usize, name: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    at += 1;
    loop {
        at = skip_space(bytes, at);
        if bytes.get(at)? != &b'"' {
            return None;
        }
        let key_end = string_end(bytes, at);
        let key: String = serde_json::from_str(text.get(at..key_end)?).ok()?;
        at = skip_space(bytes, key_end);
        if bytes.get(at)? != &b':' {
            return None;
        }
        at = skip_space(bytes, at + 1);
        if key == name {
            return Some(at);
        }
        at = skip_space(bytes, value_end(bytes, at));
        if bytes.get(at)? != &b',' {
            return None;
        }
        at += 1;
    }
}

/// Where item `index` starts, in the array at `at`.
fn element(bytes: &[u8], mut at: usize, index: usize) -> Option<usize> {
    at = skip_space(bytes, at + 1);
    if bytes.get(at)? == &b']' {
        return None;
    }
    for _ in 0..index {
        at = skip_space(bytes, value_end(bytes, at));
        if bytes.get(at)? != &b',' {
            return None;
        }
        at = skip_space(bytes, at + 1);
    }
    Some(at)
}

/// A metaschema violation (or a keyword jsonschema could not compile) as a
/// sentence about the value the user wrote.
pub fn explain(kind: &ValidationErrorKind, instance: &Value, fallback: String) -> String {
    let shown = short(instance);
    match kind {
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => a_type(&t.to_string()),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| a_type(&t.to_string()))
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!("{shown} should be {expected}, not {}", a_value(instance))
        }
        ValidationErrorKind::Enum { options } => format!("{shown} is not one of {}", list(options)),
        // The metaschema's `type` keyword is "one of the type names, or a
        // list of them": say which name is wrong.
        ValidationErrorKind::AnyOf { context } => context
            .iter()
            .flatten()
            .find_map(|e| match e.kind() {
                ValidationErrorKind::Enum { options } => Some(format!(
                    "{} is not a JSON type: use one of {}",
                    short(e.instance()),
                    list(options)
                )),
                _ => None,
            })
            .unwrap_or(fallback),
        ValidationErrorKind::Minimum { limit } => {
            format!("{shown} is too small: the least allowed is {limit}")
        }
        ValidationErrorKind::Format { format } if format == "regex" => {
            format!("{shown} is not a regular expression")
        }
        ValidationErrorKind::UniqueItems => format!("{shown} lists a value twice"),
        _ => fallback,
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

fn list(options: &Value) -> String {
    match options {
        Value::Array(items) => items.iter().map(short).collect::<Vec<_>>().join(", "),
        other => short(other),
    }
}

fn a_type(name: &str) -> String {
    match name {
        "array" | "object" | "integer" => format!("an {name}"),
        "null" => "null".to_owned(),
        _ => format!("a {name}"),
    }
}

fn a_value(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A `$ref` that SPEC §7 or the file itself rules out.
#[derive(Debug, PartialEq)]
pub struct BadRef {
    /// The JSON pointer of the `$ref` member's value.
    pub at: String,
    pub message: String,
    pub hint: Option<String>,
}

/// Every `$ref` in a schema that leaves the file or points at nothing in
/// it. References into a nested resource (a schema with its own `$id`)
/// are taken relative to that resource, as the validator takes them.
pub fn bad_refs(schema: &Value) -> Vec<BadRef> {
    let mut ids = HashSet::new();
    let mut anchors = HashSet::new();
    collect_names(schema, None, &mut ids, &mut anchors);
    let mut bad = Vec::new();
    check_refs(schema, schema, "", &ids, &anchors, &mut bad);
    bad
}

fn nested_resource(schema: &Value) -> bool {
    schema
        .get("$id")
        .and_then(Value::as_str)
        .is_some_and(|id| !id.starts_with('#'))
}

/// Calls `f` with each subschema of `schema` and its pointer token(s).
fn subschemas<'a>(schema: &'a Value, mut f: impl FnMut(String, &'a Value)) {
    let Value::Object(map) = schema else {
        return;
    };
    let escape = |s: &str| s.replace('~', "~0").replace('/', "~1");
    for (keyword, value) in map {
        let k = keyword.as_str();
        match value {
            Value::Object(children) if SCHEMA_MAPS.contains(&k) => {
                for (name, child) in children {
                    f(format!("/{}/{}", escape(k), escape(name)), child);
                }
            }
            Value::Array(children) if SCHEMA_LISTS.contains(&k) => {
                for (index, child) in children.iter().enumerate() {
                    f(format!("/{k}/{index}"), child);
                }
            }
            Value::Object(_) if SCHEMA_ONE.contains(&k) => f(format!("/{k}"), value),
            _ => {}
        }
    }
}

/// The `$id`s of the file, as written and resolved against the `$id`s
/// around them (so `item.json` inside `http://ex.com/root.json` is also
/// `http://ex.com/item.json`), and its anchors.
fn collect_names(
    schema: &Value,
    base: Option<&url::Url>,
    ids: &mut HashSet<String>,
    anchors: &mut HashSet<String>,
) {
    let mut resolved = None;
    if let Some(id) = schema.get("$id").and_then(Value::as_str) {
        match id.strip_prefix('#') {
            Some(anchor) => {
                anchors.insert(anchor.to_owned());
            }
            None => {
                ids.insert(id.split('#').next().unwrap_or(id).to_owned());
                resolved = match base {
                    Some(base) => base.join(id).ok(),
                    None => url::Url::parse(id).ok(),
                };
                if let Some(url) = &mut resolved {
                    url.set_fragment(None);
                    ids.insert(url.to_string());
                }
            }
        }
    }
    for keyword in ["$anchor", "$dynamicAnchor"] {
        if let Some(anchor) = schema.get(keyword).and_then(Value::as_str) {
            anchors.insert(anchor.to_owned());
        }
    }
    let base = resolved.as_ref().or(base);
    subschemas(schema, |_, child| collect_names(child, base, ids, anchors));
}

fn check_refs(
    schema: &Value,
    resource: &Value,
    at: &str,
    ids: &HashSet<String>,
    anchors: &HashSet<String>,
    bad: &mut Vec<BadRef>,
) {
    for keyword in ["$ref", "$dynamicRef"] {
        let Some(reference) = schema.get(keyword).and_then(Value::as_str) else {
            continue;
        };
        let message = if let Some(fragment) = reference.strip_prefix('#') {
            if fragment.is_empty() || fragment.contains('%') {
                None
            } else if fragment.starts_with('/') {
                resource.pointer(fragment).is_none().then(|| {
                    format!(
                        "`{keyword}` `{reference}` points at nothing: this file has no `{fragment}`"
                    )
                })
            } else {
                (!anchors.contains(fragment)).then(|| {
                    format!(
                        "`{keyword}` `{reference}` points at nothing: no schema in this file has the anchor `{fragment}`"
                    )
                })
            }
        } else {
            let base = reference.split('#').next().unwrap_or(reference);
            let in_file = ids
                .iter()
                .any(|id| id == base || id.ends_with(&format!("/{base}")));
            (!in_file).then(|| {
                format!(
                    "`{keyword}` `{reference}` is not local: a JSON profile may only refer into its own file"
                )
            })
        };
        if let Some(message) = message {
            bad.push(BadRef {
                at: format!("{at}/{keyword}"),
                hint: Some(if reference.starts_with('#') {
                    format!(
                        "a local `{keyword}` is a JSON pointer into this file, like `#/$defs/name`"
                    )
                } else {
                    "copy the schema into this file's `$defs` and refer to it as `#/$defs/name`"
                        .to_owned()
                }),
                message,
            });
        }
    }
    subschemas(schema, |token, child| {
        let resource = if nested_resource(child) {
            child
        } else {
            resource
        };
        check_refs(child, resource, &format!("{at}{token}"), ids, anchors, bad);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_are_found_in_the_text() {
        let text = "{\n  \"a\": [1, {\"b~/\": \"x\\\"y\"}],\n  \"c\": {\"d\": true}\n}";
        let found = |pointer: &str| pointer_span(text, pointer).map(|s| &text[s.range()]);
        assert_eq!(found("/a/1/b~0~1"), Some("\"x\\\"y\""));
        assert_eq!(found("/a/0"), Some("1"));
        assert_eq!(found("/c/d"), Some("true"));
        assert_eq!(found("/c"), Some("{\"d\": true}"));
        assert_eq!(found(""), Some(text));
        assert_eq!(found("/a/2"), None);
        assert_eq!(found("/nope"), None);
        assert_eq!(found("/c/d/e"), None);
    }

    #[test]
    fn refs_that_leave_the_file_or_lead_nowhere() {
        let schema = serde_json::json!({
            "$defs": { "n": { "$anchor": "num" } },
            "properties": {
                "a": { "$ref": "#/$defs/n" },
                "b": { "$ref": "#/$defs/nope" },
                "c": { "$ref": "other.json#/x" },
                "d": { "$ref": "#num" },
                "e": { "$ref": "#missing" },
                "f": { "enum": [{ "$ref": "not a schema" }] },
                "g": { "$id": "https://example.com/g.json", "$defs": { "m": {} }, "$ref": "#/$defs/m" },
                "h": { "$ref": "https://example.com/g.json" },
                "i": { "$dynamicRef": "https://example.com/meta.json#meta" },
                "j": { "$dynamicAnchor": "node", "items": { "$dynamicRef": "#node" } },
                "k": { "$dynamicRef": "#nowhere" }
            }
        });
        let bad: Vec<String> = bad_refs(&schema).into_iter().map(|b| b.at).collect();
        assert_eq!(
            bad,
            [
                "/properties/b/$ref",
                "/properties/c/$ref",
                "/properties/e/$ref",
                "/properties/i/$dynamicRef",
                "/properties/k/$dynamicRef"
            ]
        );
    }
}
