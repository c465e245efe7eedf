//! Values written in files: literals into template values, and positions
//! inside a string back to positions in its file.

use minijinja::value::Value;

use crate::config::node::{Node, NodeKind, Span};

/// A literal from a file as templates see it.
pub fn node_to_value(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Null => Value::from(()),
        NodeKind::Bool(b) => Value::from(*b),
        NodeKind::Int(i) => Value::from(*i),
        NodeKind::Float(f) => Value::from(*f),
        NodeKind::Str(s) => Value::from(s.as_str()),
        NodeKind::Seq(items) => Value::from(items.iter().map(node_to_value).collect::<Vec<_>>()),
        NodeKind::Map(entries) => Value::from_pairs(
            entries
                .iter()
                .map(|(key, value)| (Value::from(key.name.as_str()), node_to_value(value))),
        ),
    }
}

/// A `content_type` as written: a media type (`type/subtype`, then
/// `; name=value` parameters), trimmed, or why it is not one. It is fixed
/// text, never a template.
pub fn content_type(written: &str) -> Result<&str, String> {
    fn token(text: &str) -> bool {
        !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    }
    fn quoted(text: &str) -> bool {
        text.len() >= 2
            && text.starts_with('"')
            && text.ends_with('"')
            && text[1..text.len() - 1]
                .bytes()
                .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    }
    let value = written.trim();
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    let is_media_type = essence
        .split_once('/')
        .is_some_and(|(kind, subtype)| token(kind) && token(subtype))
        && parts.all(|parameter| {
            parameter.split_once('=').is_some_and(|(name, value)| {
                token(name.trim()) && (token(value.trim()) || quoted(value.trim()))
            })
        });
    if is_media_type {
        return Ok(value);
    }
    if value.contains("{{") || value.contains("{%") {
        return Err(format!(
            "`{written}` is not a content type: a content type is fixed text, not a template"
        ));
    }
    Err(format!(
        "`{written}` is not a content type: write one like `text/csv; charset=utf-8`"
    ))
}

/// The span in the file of `range`, a byte range inside the string `value`
/// that was written at `span` in `file_text`.
///
/// The string as parsed and as written differ by quotes, escapes and block
/// indentation, so its characters are matched, in order, against the
/// written text; characters that have no written twin (an escape) do not
/// move the position. The result is exact for plain, quoted and block
/// strings without escapes, and close otherwise.
pub fn span_within(
    file_text: &str,
    span: Span,
    value: &str,
    range: std::ops::Range<usize>,
) -> Span {
    let start = span.start as usize;
    let end = if span.end > span.start {
        (span.end as usize).min(file_text.len())
    } else {
        file_text.len()
    };
    let Some(written) = file_text.get(start..end) else {
        return span;
    };
    let locate = |target: usize| -> usize {
        let mut cursor = 0;
        for (index, ch) in value.char_indices() {
            if index >= target {
                break;
            }
            if let Some(found) = written[cursor..].find(ch) {
                cursor += found + ch.len_utf8();
            }
        }
        // Skip to the next character of the value, past indentation.
        if let Some(next) = value.get(target..).and_then(|rest| rest.chars().next())
            && let Some(found) = written[cursor..].find(next)
            && written[cursor..cursor + found].trim().is_empty()
        {
            cursor += found;
        }
        start + cursor
    };
    let from = locate(range.start.min(value.len()));
    let to = locate(range.end.min(value.len())).max(from);
    Span::new(from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_media_types() {
        for good in [
            "text/csv",
            " application/vnd.api+json ",
            "text/plain; charset=utf-8",
            "multipart/form-data; boundary=\"a b\"",
        ] {
            assert_eq!(content_type(good), Ok(good.trim()), "{good}");
        }
        for bad in [
            "not a type",
            "text",
            "text/",
            "/csv",
            "text/csv; charset",
            "{x}/y",
            "text/csv;;",
        ] {
            let message = content_type(bad).unwrap_err();
            assert!(message.contains("write one like"), "{bad}: {message}");
        }
        let message = content_type("{{ doc.ct }}").unwrap_err();
        assert!(message.contains("not a template"), "{message}");
    }

    fn check(file: &str, value: &str, inner: &str) -> String {
        let start = file
            .find(['\'', '"', '|'])
            .unwrap_or_else(|| file.find(value).unwrap());
        let span = Span::new(start, file.len());
        let at = value.find(inner).unwrap();
        let mapped = span_within(file, span, value, at..at + inner.len());
        file[mapped.range()].to_owned()
    }

    #[test]
    fn maps_through_quotes() {
        assert_eq!(
            check("message: 'hi {{ x + }}'", "hi {{ x + }}", "x +"),
            "x +"
        );
        assert_eq!(check("message: \"hi {{ y }}\"", "hi {{ y }}", "y"), "y");
    }

    #[test]
    fn maps_through_block_indentation() {
        let file = "message: |\n    line one\n    {{ bad( }}\n";
        let value = "line one\n{{ bad( }}\n";
        assert_eq!(check(file, value, "bad("), "bad(");
    }

    #[test]
    fn maps_through_escapes_approximately() {
        let file = "message: \"a\\n{{ z }}\"";
        let value = "a\n{{ z }}";
        assert_eq!(check(file, value, "z"), "z");
    }

    #[test]
    fn literals() {
        let node = Node::new(
            Span::default(),
            NodeKind::Map(vec![(
                crate::config::node::Key {
                    name: "a".into(),
                    span: Span::default(),
                },
                Node::new(
                    Span::default(),
                    NodeKind::Seq(vec![Node::new(Span::default(), NodeKind::Int(1))]),
                ),
            )]),
        );
        let value = node_to_value(&node);
        assert_eq!(value.get_attr("a").unwrap().len(), Some(1));
    }
}
