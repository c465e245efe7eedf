//! XML documents: parsing into template values, splitting, wrapping, escaping.

use std::borrow::Cow;

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

// Placeholder signatures until the XML module lands.
pub struct XmlLimits {
    pub max_depth: usize,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct XmlError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

pub fn parse(_text: &str, _limits: &XmlLimits) -> Result<minijinja::Value, XmlError> {
    Err(XmlError {
        message: "pending".into(),
        line: 1,
        column: 1,
    })
}
pub fn check(_text: &str, _limits: &XmlLimits) -> Result<(), XmlError> {
    Err(XmlError {
        message: "pending".into(),
        line: 1,
        column: 1,
    })
}
pub fn split(_text: &str, _path: &[&str], _limits: &XmlLimits) -> Result<Vec<String>, XmlError> {
    Err(XmlError {
        message: "pending".into(),
        line: 1,
        column: 1,
    })
}
pub fn split_children(_text: &str, _limits: &XmlLimits) -> Result<Vec<String>, XmlError> {
    Err(XmlError {
        message: "pending".into(),
        line: 1,
        column: 1,
    })
}
pub fn wrap(_name: &str, _attributes: &[(&str, &str)], _items: &[&str]) -> String {
    String::new()
}
