//! Documents and their formats: the units a process works on.
//!
//! A running process holds a batch of [`Document`]s. A document is a body,
//! the media type of that body, and properties. Its parsed form (`doc` in
//! templates) is computed on first use and kept, so a document that no
//! template looks at is never parsed twice. The format modules ([`json`],
//! [`xml`]) turn bodies into template values and enforce the depth limits.

pub mod json;
pub mod xml;

use std::fmt;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use minijinja::value::Value;

use crate::profile::Profile;

/// What a document's body is, as far as flowgate cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaType {
    Json,
    Xml,
    /// Anything else, by its content type (`text/plain`, `application/pdf`, …).
    Other(Arc<str>),
}

impl MediaType {
    pub const JSON: &'static str = "application/json";
    pub const XML: &'static str = "application/xml";

    /// Classifies a content type header value.
    pub fn from_content_type(content_type: &str) -> MediaType {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence == "application/json" || essence == "text/json" || essence.ends_with("+json") {
            MediaType::Json
        } else if essence == "application/xml" || essence == "text/xml" || essence.ends_with("+xml")
        {
            MediaType::Xml
        } else {
            MediaType::Other(content_type.trim().into())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            MediaType::Json => MediaType::JSON,
            MediaType::Xml => MediaType::XML,
            MediaType::Other(s) => s,
        }
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A content type as declared (by a step, a listen block, a request or an
/// upstream), and the [`MediaType`] flowgate reads it as. The
/// classification picks escaping and parsing; the declared text is what
/// goes out again: `application/vnd.api+json` is read as JSON and sent as
/// `application/vnd.api+json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentType {
    pub media: MediaType,
    /// The text as declared when it says more than `media`'s own name
    /// (another JSON or XML type, or parameters such as a charset). A thin
    /// pointer: every document carries one, and most carry none.
    declared: Option<Arc<String>>,
}

impl ContentType {
    pub fn parse(content_type: &str) -> ContentType {
        let media = MediaType::from_content_type(content_type);
        let text = content_type.trim();
        let declared = match media {
            MediaType::Json | MediaType::Xml if text != media.as_str() => {
                Some(Arc::new(text.to_owned()))
            }
            _ => None,
        };
        ContentType { media, declared }
    }

    pub fn as_str(&self) -> &str {
        self.declared
            .as_deref()
            .map_or(self.media.as_str(), String::as_str)
    }
}

impl From<MediaType> for ContentType {
    fn from(media: MediaType) -> ContentType {
        ContentType {
            media,
            declared: None,
        }
    }
}

/// Parse limits, from `[limits]`.
#[derive(Clone, Copy, Debug)]
pub struct ParseLimits {
    pub max_json_depth: usize,
    pub max_xml_depth: usize,
}

impl ParseLimits {
    pub fn xml(&self) -> xml::XmlLimits {
        xml::XmlLimits::with_depth(self.max_xml_depth)
    }
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_json_depth: 64,
            max_xml_depth: 64,
        }
    }
}

/// One document of a batch. Cloning is cheap: the body and the parsed form are shared.
#[derive(Clone)]
pub struct Document {
    pub body: Bytes,
    pub media: MediaType,
    /// The content type as declared, when it says more than `media`
    /// (see [`ContentType`]); [`Document::content_type`] gives either.
    declared: Option<Arc<String>>,
    /// The properties set by `set` steps: a map value, shared until changed.
    pub props: Value,
    /// The profile the body follows, when known: it types the parsed value.
    pub profile: Option<Profile>,
    parsed: Arc<OnceLock<Value>>,
    /// The body was checked to be well-formed JSON or XML, and is parsed
    /// only if a step reads it.
    checked: bool,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("media", &self.media)
            .field("bytes", &self.body.len())
            .finish()
    }
}

impl Document {
    pub fn new(body: impl Into<Bytes>, content_type: impl Into<ContentType>) -> Document {
        let ContentType { media, declared } = content_type.into();
        Document {
            body: body.into(),
            media,
            declared,
            props: empty_map(),
            profile: None,
            parsed: Arc::new(OnceLock::new()),
            checked: false,
        }
    }

    /// A document whose body was checked to be well-formed JSON or XML
    /// (by [`json::check`] or [`xml::check`] with the limits its parse will
    /// have), and is not parsed yet.
    pub fn well_formed(body: impl Into<Bytes>, content_type: impl Into<ContentType>) -> Document {
        Document {
            checked: true,
            ..Document::new(body, content_type)
        }
    }

    /// A document whose parsed form is already known (it was parsed to be validated).
    pub fn parsed(
        body: impl Into<Bytes>,
        content_type: impl Into<ContentType>,
        value: Value,
    ) -> Document {
        let doc = Document::new(body, content_type);
        let _ = doc.parsed.set(value);
        doc
    }

    pub fn empty() -> Document {
        // Every request without a body starts with one: its media type is shared.
        static TEXT_PLAIN: std::sync::LazyLock<Arc<str>> =
            std::sync::LazyLock::new(|| Arc::from("text/plain"));
        Document::new(Bytes::new(), MediaType::Other(TEXT_PLAIN.clone()))
    }

    /// The same properties on a new body.
    pub fn with_body(
        &self,
        body: impl Into<Bytes>,
        content_type: impl Into<ContentType>,
    ) -> Document {
        let ContentType { media, declared } = content_type.into();
        Document {
            body: body.into(),
            media,
            declared,
            props: self.props.clone(),
            profile: None,
            parsed: Arc::new(OnceLock::new()),
            checked: false,
        }
    }

    /// The same document, known to follow `profile` (already validated against it).
    pub fn with_profile(mut self, profile: Profile) -> Document {
        self.profile = Some(profile);
        self
    }

    /// The same body with other properties.
    pub fn with_props(mut self, props: &Value) -> Document {
        self.props = props.clone();
        self
    }

    /// The content type as declared, else its media type's name.
    pub fn content_type(&self) -> &str {
        self.declared
            .as_deref()
            .map_or(self.media.as_str(), String::as_str)
    }

    /// The body as text; bodies that are not UTF-8 show replacement characters.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// Whether the parsed form has been computed (or given) yet.
    #[cfg(test)]
    pub(crate) fn is_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }

    /// Whether the body is known to be well-formed: it was checked, or
    /// parsed without an error.
    pub fn is_well_formed(&self) -> bool {
        self.checked || self.parsed.get().is_some_and(|v| !is_invalid(v))
    }

    /// The body parsed for templates: JSON and XML become maps and lists,
    /// anything else is the body text. A body that does not parse gives a
    /// value that fails when a template uses it, naming the problem.
    pub fn value(&self, limits: &ParseLimits) -> Value {
        self.value_ref(limits).clone()
    }

    /// [`Document::value`] by reference.
    pub fn value_ref(&self, limits: &ParseLimits) -> &Value {
        self.parsed
            .get_or_init(|| match (&self.profile, &self.media) {
                (Some(profile), _) => match profile.read(&self.body, limits) {
                    Ok(value) => value,
                    Err(error) => invalid(format!(
                        "the document does not follow its profile: {}",
                        crate::profile::describe(&error.into_violations())
                    )),
                },
                (None, media) => Self::untyped(&self.body, media, limits),
            })
    }

    fn untyped(body: &Bytes, media: &MediaType, limits: &ParseLimits) -> Value {
        match media {
            // A `data` body keeps its bytes as sent, a byte order mark too;
            // read as JSON, it is read as a JSON body is.
            MediaType::Json => match json::parse(json::without_bom(body), limits.max_json_depth) {
                Ok(value) => value,
                Err(err) => invalid(format!("the document is not valid JSON: {err}")),
            },
            MediaType::Xml => match std::str::from_utf8(body) {
                Ok(text) => match xml::parse(text, &limits.xml()) {
                    Ok(value) => value,
                    Err(err) => invalid(format!(
                        "the document is not well-formed XML: {err} at line {} column {}",
                        err.line, err.column
                    )),
                },
                Err(_) => invalid("the document is not UTF-8".to_owned()),
            },
            MediaType::Other(_) => Value::from(String::from_utf8_lossy(body).into_owned()),
        }
    }

    /// Sets properties, keeping the others.
    pub fn set_props<'n>(&mut self, updates: impl IntoIterator<Item = (&'n str, Value)>) {
        let existing = self.props.downcast_object_ref::<xml::Element>();
        let mut entries: Vec<(Value, Value)> = match existing {
            // Properties set before: taken as they are kept.
            Some(element) => element.entries().to_vec(),
            None if self.props.len() == Some(0) => Vec::new(),
            None => match self.props.try_iter() {
                Ok(keys) => keys
                    .map(|k| {
                        let v = self.props.get_item(&k).unwrap_or_default();
                        (k, v)
                    })
                    .collect(),
                Err(_) => Vec::new(),
            },
        };
        for (name, value) in updates {
            let key = Value::from(name);
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
        }
        // Keys are distinct: a handful of properties is scanned, not hashed.
        self.props = xml::element_map_of_distinct(entries);
    }
}

/// An empty map value. Shared: most documents never get properties.
pub fn empty_map() -> Value {
    static EMPTY: std::sync::LazyLock<Value> =
        std::sync::LazyLock::new(|| Value::from_pairs(std::iter::empty::<(Value, Value)>()));
    EMPTY.clone()
}

fn invalid(message: String) -> Value {
    Value::from(minijinja::Error::new(
        minijinja::ErrorKind::InvalidOperation,
        message,
    ))
}

fn is_invalid(value: &Value) -> bool {
    value.kind() == minijinja::value::ValueKind::Invalid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        assert_eq!(
            MediaType::from_content_type("application/json; charset=utf-8"),
            MediaType::Json
        );
        assert_eq!(
            MediaType::from_content_type("application/problem+json"),
            MediaType::Json
        );
        assert_eq!(MediaType::from_content_type("text/xml"), MediaType::Xml);
        assert_eq!(
            MediaType::from_content_type("text/plain").as_str(),
            "text/plain"
        );
    }

    #[test]
    fn a_content_type_is_read_as_its_family_and_kept_as_declared() {
        for (declared, media) in [
            ("application/vnd.api+json", MediaType::Json),
            ("application/json; charset=utf-8", MediaType::Json),
            ("text/xml", MediaType::Xml),
            ("application/soap+xml; charset=utf-8", MediaType::Xml),
        ] {
            let content_type = ContentType::parse(declared);
            assert_eq!(content_type.media, media);
            assert_eq!(content_type.as_str(), declared);
            let doc = Document::new("", content_type.clone());
            assert_eq!((doc.media.clone(), doc.content_type()), (media, declared));
            // A new body takes the content type it is given.
            let plain = doc.with_body("", MediaType::Json);
            assert_eq!(plain.content_type(), "application/json");
            assert_eq!(plain.with_body("", content_type).content_type(), declared);
        }
        assert_eq!(
            ContentType::parse(" application/json ").as_str(),
            "application/json"
        );
        assert_eq!(ContentType::parse("text/csv").as_str(), "text/csv");
    }

    #[test]
    fn a_json_body_kept_as_bytes_is_read_past_its_byte_order_mark() {
        let body = "\u{feff}{\"a\": 1}";
        let doc = Document::new(body, MediaType::Json);
        let value = doc.value(&ParseLimits::default());
        assert_eq!(value.get_attr("a").unwrap(), Value::from(1));
        // The bytes stay as they came.
        assert_eq!(doc.text(), body);
    }

    #[test]
    fn documents_parse_lazily_and_once() {
        let doc = Document::new(r#"{"a": [1, 2]}"#, MediaType::Json);
        assert!(!doc.is_well_formed());
        let value = doc.value(&ParseLimits::default());
        assert_eq!(value.get_attr("a").unwrap().len(), Some(2));
        assert!(doc.is_well_formed());
        let clone = doc.clone();
        assert!(clone.is_well_formed());
    }

    #[test]
    fn bad_bodies_give_values_that_fail_when_used() {
        let doc = Document::new("{nope", MediaType::Json);
        let value = doc.value(&ParseLimits::default());
        assert!(is_invalid(&value));
        assert!(!doc.is_well_formed());
    }

    #[test]
    fn props_are_set_and_kept() {
        let mut doc = Document::empty();
        doc.set_props([("a", Value::from(1)), ("b", Value::from("x"))]);
        doc.set_props([("a", Value::from(2))]);
        assert_eq!(doc.props.get_attr("a").unwrap(), Value::from(2));
        assert_eq!(doc.props.get_attr("b").unwrap(), Value::from("x"));
    }
}
