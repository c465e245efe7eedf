//! Inferring a profile from a sample document (`flowgate profile import`).
//!
//! [`xsd_from_sample`] turns a sample XML document into an XSD and
//! [`json_schema_from_sample`] turns a sample JSON document into a JSON
//! Schema (2020-12). Either way the sample validates against what is
//! inferred from it, and the output stays within a small subset that
//! flowgate's own profile compiler reads:
//!
//! - XSD: one global `xs:element` (the sample's root) with anonymous
//!   `xs:complexType`s, `xs:sequence` with `minOccurs="0"` and
//!   `maxOccurs="unbounded"`, `xs:attribute` (`use="required"` or left
//!   optional), `xs:simpleContent` + `xs:extension` for text with
//!   attributes, and the built-in types `xs:integer`, `xs:decimal`,
//!   `xs:boolean`, `xs:date`, `xs:dateTime` and `xs:string`.
//! - JSON Schema: `$schema`, `$id`, `title`, `type` (a name or a list of
//!   names), `format` (`date`, `date-time`), `properties`, `required` and
//!   `items`. Objects stay open (no `additionalProperties`).
//!
//! # Rules
//!
//! Everything is merged by *path*: all `Line` elements under
//! `/Order/Lines` share one declaration, as do all values of `items[].sku`.
//!
//! - **Types** are the narrowest that fit every value seen at a path, from
//!   integer ⊂ decimal ⊂ string, with boolean, date and dateTime each
//!   directly below string. Any two types that are not nested join to
//!   string. Values are classified exactly as written, with no trimming:
//!   - integer: `-?(0|[1-9][0-9]*)` within the 64-bit range. A leading zero
//!     (`007`, a postal code) or a leading `+` makes a string, as do longer
//!     numbers, which are identifiers more often than amounts;
//!   - decimal: an integer as above, a `.` and at least one digit (`12.50`);
//!   - boolean: `true` or `false` only (`0` and `1` are integers);
//!   - date: `YYYY-MM-DD`, a real calendar date with a year from 0001;
//!   - dateTime: a date, `T`, `hh:mm:ss`, optional fraction `.f…`, and
//!     optional `Z` or `±hh:mm` (up to ±14:00); hours 00–23, no leap second.
//!     JSON Schema's `date-time` (RFC 3339) needs the offset, so a JSON
//!     string without one gets no `format`.
//!   - An **empty** value (or one that is only whitespace) is a string, so
//!     an element that is sometimes empty is `xs:string`. An element that
//!     is empty everywhere is `xs:string` too (with attributes:
//!     `xs:simpleContent` over `xs:string`): a sample's empty element is
//!     taken as a value left blank, never as an element that must stay empty.
//!
//! - **XML structure.** An element seen more than once under one parent
//!   element is `maxOccurs="unbounded"`; one absent under some instance of
//!   its parent path is `minOccurs="0"` (that includes a parent instance
//!   with no children at all, like `<Lines/>`). An attribute absent from
//!   some instance is optional, otherwise `use="required"`. Child elements
//!   keep the order they were first seen in; when instances of one path
//!   show different subsets, the orders are merged (`A C` and `A B C` give
//!   `A B C`). A sequence cannot describe orders that contradict each other
//!   (`B` before `C` in one place, after it in another) or the repeats of
//!   an element split by another (`A B A`): both are refused with an error
//!   naming the places, rather than loosened into a schema that would not
//!   check order. An element some instance gives as `xsi:nil="true"` is
//!   `nillable="true"`, its type from the instances with a value; the
//!   `xsi:schemaLocation` hints are passed over.
//! - **Mixed content.** Non-whitespace text next to child elements, in one
//!   instance or across instances of one path (text in one, children in
//!   another), makes that path's type `mixed="true"`: its children keep
//!   their sequence, and the text is read as the value's `#text`.
//!   Whitespace between elements is layout and makes nothing mixed.
//! - **Namespaces.** When the root element is in a namespace (declared as
//!   `xmlns="…"` or with a prefix), the schema gets that `targetNamespace`
//!   and `elementFormDefault="qualified"`. Every element must then be in
//!   the root's namespace, and in a sample without one every element must
//!   be in none: one schema file describes one namespace, so other
//!   namespaces are refused. Attributes with a prefix (`xml:lang`,
//!   `xsi:schemaLocation`, …) are refused for the same reason; namespace
//!   declarations are not attributes.
//! - **JSON structure.** An object's `required` lists the keys present in
//!   every object seen at that path, in first-seen order; `properties` keep
//!   first-seen order. An array's `items` merge every element of every
//!   array at that path; arrays that are always empty get no `items`.
//!   Values of different kinds at one path give `"type": [...]` in
//!   first-seen order (`["integer", "null"]`); integer and non-integer
//!   numbers join to `number`. A number written with a fraction or an
//!   exponent (`1.0`, `1e3`) is a `number`.
//!
//! The sample is read with flowgate's document rules first
//! ([`crate::doc::xml::check`], [`crate::doc::json::check`]): no DOCTYPE,
//! and nesting at most [`MAX_DEPTH`] levels.
//!
//! Output is deterministic, indented by two spaces and ends with a newline.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use serde_json::{Map, Value as Json};

use crate::doc::{json, xml};

/// Deepest nesting of a sample: elements for XML, arrays and objects for
/// JSON. The defaults of `[limits]` for documents.
pub const MAX_DEPTH: usize = 64;

const JSON_SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";
const XSD_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema";
const XSI_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The format of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    Xml,
    Json,
}

impl fmt::Display for SampleFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SampleFormat::Xml => "XML",
            SampleFormat::Json => "JSON",
        })
    }
}

/// Why no profile could be inferred from a sample. Lines and columns are
/// 1-based and point into the sample.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InferError {
    /// Nothing but whitespace.
    #[error("the {format} sample is empty")]
    Empty { format: SampleFormat },
    /// Not a well-formed document, or one that breaks flowgate's document
    /// rules (a DOCTYPE, for one).
    #[error("the sample is not well-formed {format}: {message} (line {line}, column {column})")]
    Malformed {
        format: SampleFormat,
        message: String,
        line: usize,
        column: usize,
    },
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error(
        "the {format} sample nests deeper than {max_depth} levels (line {line}, column {column})"
    )]
    TooDeep {
        format: SampleFormat,
        max_depth: usize,
        line: usize,
        column: usize,
    },
    /// An element outside the root element's namespace.
    #[error(
        "`{path}` is in {} but the root element is in {} (line {line}, column {column}): an inferred XSD describes a single namespace",
        describe_namespace(.namespace.as_deref()),
        describe_namespace(.root_namespace.as_deref())
    )]
    ForeignNamespace {
        path: String,
        namespace: Option<String>,
        root_namespace: Option<String>,
        line: usize,
        column: usize,
    },
    /// An attribute with a namespace prefix.
    #[error(
        "attribute `{name}` of `{path}` has a namespace prefix (line {line}, column {column}): only attributes without a prefix can be inferred; remove it from the sample"
    )]
    QualifiedAttribute {
        path: String,
        name: String,
        line: usize,
        column: usize,
    },
    /// An element repeated with another element in between (`A B A`).
    #[error(
        "`{path}` appears again after `{after}` (line {line}, column {column}): a sequence keeps the repeats of an element together; group them in the sample"
    )]
    ScatteredRepeat {
        path: String,
        after: String,
        line: usize,
        column: usize,
    },
    /// Sibling elements in orders that contradict each other.
    #[error(
        "the children of `{path}` come in orders no single sequence allows: {}; use one order in the sample",
        describe_order(.order)
    )]
    ConflictingOrder {
        path: String,
        /// A cycle of "comes before" facts, each where it was first seen.
        order: Vec<Precedence>,
    },
}

/// "`before` comes right before `after`", as seen at a place in the sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precedence {
    pub before: String,
    pub after: String,
    /// Where `after` starts.
    pub line: usize,
    pub column: usize,
}

fn describe_namespace(namespace: Option<&str>) -> String {
    match namespace {
        Some(uri) => format!("namespace `{uri}`"),
        None => "no namespace".to_owned(),
    }
}

fn describe_order(order: &[Precedence]) -> String {
    let facts: Vec<String> = order
        .iter()
        .map(|p| {
            format!(
                "`{}` before `{}` (line {}, column {})",
                p.before, p.after, p.line, p.column
            )
        })
        .collect();
    facts.join(", ")
}

// ---------------------------------------------------------------------------
// Value types

/// What an XML text or attribute value looks like, narrowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Decimal,
    Boolean,
    Date,
    DateTime,
    String,
}

impl Kind {
    fn of(value: &str) -> Kind {
        if value == "true" || value == "false" {
            Kind::Boolean
        } else if is_integer(value) {
            Kind::Integer
        } else if is_decimal(value) {
            Kind::Decimal
        } else if is_date(value) {
            Kind::Date
        } else if date_time_offset(value).is_some() {
            Kind::DateTime
        } else {
            Kind::String
        }
    }

    /// The narrowest kind that fits the values of both.
    fn join(self, other: Kind) -> Kind {
        match (self, other) {
            (a, b) if a == b => a,
            (Kind::Integer | Kind::Decimal, Kind::Integer | Kind::Decimal) => Kind::Decimal,
            _ => Kind::String,
        }
    }

    fn xsd(self) -> &'static str {
        match self {
            Kind::Integer => "xs:integer",
            Kind::Decimal => "xs:decimal",
            Kind::Boolean => "xs:boolean",
            Kind::Date => "xs:date",
            Kind::DateTime => "xs:dateTime",
            Kind::String => "xs:string",
        }
    }
}

fn join_kind(slot: &mut Option<Kind>, kind: Kind) {
    *slot = Some(slot.map_or(kind, |known| known.join(kind)));
}

/// Digits without a superfluous leading zero.
fn is_plain_digits(digits: &str) -> bool {
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
}

fn is_integer(value: &str) -> bool {
    let digits = value.strip_prefix('-').unwrap_or(value);
    is_plain_digits(digits) && value.parse::<i64>().is_ok()
}

fn is_decimal(value: &str) -> bool {
    let unsigned = value.strip_prefix('-').unwrap_or(value);
    match unsigned.split_once('.') {
        Some((whole, fraction)) => {
            is_plain_digits(whole)
                && !fraction.is_empty()
                && fraction.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// The number written with exactly these digits, if they are all digits.
fn number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0')))
}

/// `YYYY-MM-DD`, a date that exists, year 0001 to 9999.
fn is_date(value: &str) -> bool {
    value.len() == 10 && is_date_bytes(value.as_bytes())
}

fn is_date_bytes(date: &[u8]) -> bool {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *date else {
        return false;
    };
    let (Some(year), Some(month), Some(day)) = (
        number(&[y0, y1, y2, y3]),
        number(&[m0, m1]),
        number(&[d0, d1]),
    ) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1 && (1..=days).contains(&day)
}

/// `YYYY-MM-DDThh:mm:ss(.f+)?(Z|±hh:mm)?`: `Some(true)` when it has a time
/// zone offset, `Some(false)` when it has none, `None` when it is no dateTime.
fn date_time_offset(value: &str) -> Option<bool> {
    let bytes = value.as_bytes();
    let (date, rest) = bytes.split_at_checked(10)?;
    if !is_date_bytes(date) {
        return None;
    }
    let (time, rest) = rest.split_at_checked(9)?;
    let [b'T', h0, h1, b':', m0, m1, b':', s0, s1] = *time else {
        return None;
    };
    if number(&[h0, h1])? > 23 || number(&[m0, m1])? > 59 || number(&[s0, s1])? > 59 {
        return None;
    }
    let rest = match rest.strip_prefix(b".") {
        Some(fraction) => {
            let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            &fraction[digits..]
        }
        None => rest,
    };
    match *rest {
        [] => Some(false),
        [b'Z'] => Some(true),
        [b'+' | b'-', h0, h1, b':', m0, m1] => {
            let (hours, minutes) = (number(&[h0, h1])?, number(&[m0, m1])?);
            (minutes <= 59 && (hours < 14 || (hours == 14 && minutes == 0))).then_some(true)
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Reading the sample safely

fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

fn is_xml_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// The sample under flowgate's XML rules and the depth limit. A failure
/// that goes away without the limit is the limit's.
fn check_xml(sample: &str) -> Result<(), InferError> {
    let limited = xml::XmlLimits::with_depth(MAX_DEPTH);
    let Err(error) = xml::check(sample, &limited) else {
        return Ok(());
    };
    let unlimited = xml::XmlLimits::with_depth(usize::MAX);
    if xml::check(sample, &unlimited).err().as_ref() == Some(&error) {
        Err(InferError::Malformed {
            format: SampleFormat::Xml,
            message: error.message,
            line: error.line,
            column: error.column,
        })
    } else {
        Err(InferError::TooDeep {
            format: SampleFormat::Xml,
            max_depth: MAX_DEPTH,
            line: error.line,
            column: error.column,
        })
    }
}

/// The same for JSON.
fn check_json(sample: &str) -> Result<(), InferError> {
    let Err(error) = json::check(sample.as_bytes(), MAX_DEPTH) else {
        return Ok(());
    };
    if json::check(sample.as_bytes(), usize::MAX).err().as_ref() == Some(&error) {
        Err(InferError::Malformed {
            format: SampleFormat::Json,
            message: error.message,
            line: error.line,
            column: error.column,
        })
    } else {
        Err(InferError::TooDeep {
            format: SampleFormat::Json,
            max_depth: MAX_DEPTH,
            line: error.line,
            column: error.column,
        })
    }
}

/// The character a reference (between `&` and `;`) stands for. The sample
/// has been checked, so only the predefined entities and character
/// references occur.
fn resolve_reference(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// Appends text with XML's line-end normalization: CR LF and a lone CR become LF.
fn push_normalized(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        let after = &rest[i + 1..];
        rest = after.strip_prefix('\n').unwrap_or(after);
    }
    out.push_str(rest);
}

/// An attribute value as XML defines it: references resolved, and each
/// line end, tab or newline turned into one space.
fn attribute_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find(['&', '\t', '\n', '\r']) {
        out.push_str(&rest[..i]);
        let special = &rest[i..];
        let mut chars = special.chars();
        let c = chars.next();
        let after = chars.as_str();
        rest = match c {
            Some('&') => match after.split_once(';') {
                Some((name, after_reference)) => {
                    out.extend(resolve_reference(name));
                    after_reference
                }
                None => after,
            },
            Some('\r') => {
                out.push(' ');
                after.strip_prefix('\n').unwrap_or(after)
            }
            _ => {
                out.push(' ');
                after
            }
        };
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------
// XML

/// An XSD inferred from a sample XML document.
///
/// `name` is the profile's name, recorded in a comment at the top. See the
/// module documentation for the rules.
pub fn xsd_from_sample(sample: &str, name: &str) -> Result<String, InferError> {
    let body = without_bom(sample);
    if body.chars().all(is_xml_whitespace) {
        return Err(InferError::Empty {
            format: SampleFormat::Xml,
        });
    }
    check_xml(sample)?;
    let model = XmlModel::read(body)?;
    model.render(name)
}

/// An attribute of a start tag in the XML Schema instance namespace.
struct XsiAttribute {
    /// As written (`xsi:nil`).
    key: String,
    local: String,
    value: String,
}

/// The attributes of `start` bound to the XML Schema instance namespace.
fn xsi_attributes(reader: &NsReader<&[u8]>, start: &BytesStart<'_>) -> Vec<XsiAttribute> {
    start
        .attributes()
        .with_checks(false)
        .flatten()
        .filter_map(|attribute| {
            let (bound, local) = reader.resolver().resolve_attribute(attribute.key);
            let ResolveResult::Bound(namespace) = bound else {
                return None;
            };
            let key: &str = attribute.key.as_ref();
            let local: &str = local.as_ref();
            (attribute_value(namespace.0) == XSI_NAMESPACE).then(|| XsiAttribute {
                key: key.to_owned(),
                local: local.to_owned(),
                value: attribute_value(&attribute.value),
            })
        })
        .collect()
}

/// What is known about the elements at one path.
struct ElementNode {
    name: String,
    /// `/Order/Lines/Line`, for messages.
    path: String,
    instances: usize,
    /// The joined kind of the text of the instances without child elements.
    text: Option<Kind>,
    /// An instance without children whose text is not whitespace.
    text_at: Option<usize>,
    /// An instance with child elements.
    children_at: Option<usize>,
    attributes: Vec<AttributeSlot>,
    attribute_index: HashMap<String, usize>,
    children: Vec<ChildSlot>,
    child_index: HashMap<String, usize>,
    /// "Child slot `.0` came right before child slot `.1`", first seen at `.2`.
    order: Vec<(usize, usize, usize)>,
    order_seen: HashSet<(usize, usize)>,
    /// An instance was given as `xsi:nil="true"`.
    nillable: bool,
    /// Text and child elements meet at this path: in one instance, or one
    /// instance has text and another children. Its type is `mixed="true"`.
    mixed: bool,
}

impl ElementNode {
    fn new(name: &str, path: String) -> Self {
        Self {
            name: name.to_owned(),
            path,
            instances: 0,
            text: None,
            text_at: None,
            children_at: None,
            attributes: Vec::new(),
            attribute_index: HashMap::new(),
            children: Vec::new(),
            child_index: HashMap::new(),
            order: Vec::new(),
            order_seen: HashSet::new(),
            nillable: false,
            mixed: false,
        }
    }

    fn is_complex(&self) -> bool {
        self.children_at.is_some()
    }
}

struct AttributeSlot {
    name: String,
    kind: Kind,
    /// Instances of the element that have it.
    present: usize,
}

struct ChildSlot {
    node: usize,
    /// Instances of the parent that have it.
    present: usize,
    /// Seen more than once in one instance of the parent.
    repeated: bool,
}

/// An element being read.
struct Frame {
    node: usize,
    at: usize,
    text: String,
    has_children: bool,
    /// Child slots seen in this instance, and the last one.
    seen: HashSet<usize>,
    last: Option<usize>,
    /// Given as `xsi:nil="true"`: its (empty) text says nothing of its type.
    nil: bool,
}

struct XmlModel<'a> {
    body: &'a str,
    /// Element paths; the root is the first.
    nodes: Vec<ElementNode>,
    namespace: Option<String>,
}

impl<'a> XmlModel<'a> {
    fn read(body: &'a str) -> Result<Self, InferError> {
        let mut model = XmlModel {
            body,
            nodes: Vec::new(),
            namespace: None,
        };
        let mut open: Vec<Frame> = Vec::new();
        let mut reader = NsReader::from_str(body);
        // The sample passed `doc::xml::check`, which has no such limit.
        reader.resolver_mut().set_max_namespace_bindings(usize::MAX);
        loop {
            let at = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            let (namespace, event) = match reader.read_resolved_event() {
                // quick-xml keeps the declaration's value as written.
                Ok((ResolveResult::Bound(namespace), event)) => {
                    (Some(attribute_value(namespace.0)), event)
                }
                Ok((_, event)) => (None, event),
                Err(error) => return Err(model.malformed(at, error.to_string())),
            };
            let end = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            let raw = body.get(at..end).unwrap_or_default();
            match event {
                Event::Start(start) => {
                    let xsi = xsi_attributes(&reader, &start);
                    let frame = model.start(&start, namespace, &xsi, at, open.last_mut())?;
                    open.push(frame);
                }
                Event::Empty(start) => {
                    let xsi = xsi_attributes(&reader, &start);
                    let frame = model.start(&start, namespace, &xsi, at, open.last_mut())?;
                    model.end(frame)?;
                }
                Event::End(_) => {
                    if let Some(frame) = open.pop() {
                        model.end(frame)?;
                    }
                }
                Event::Text(_) => {
                    if let Some(frame) = open.last_mut() {
                        model.text(frame, raw);
                    }
                }
                Event::CData(_) => {
                    if let Some(frame) = open.last_mut() {
                        let content = raw
                            .strip_prefix("<![CDATA[")
                            .and_then(|rest| rest.strip_suffix("]]>"))
                            .unwrap_or_default();
                        model.text(frame, content);
                    }
                }
                Event::GeneralRef(_) => {
                    if let Some(frame) = open.last_mut() {
                        let name = raw
                            .strip_prefix('&')
                            .and_then(|rest| rest.strip_suffix(';'))
                            .unwrap_or_default();
                        let mut buffer = [0; 4];
                        let text = resolve_reference(name).map(|c| &*c.encode_utf8(&mut buffer));
                        model.text(frame, text.unwrap_or_default());
                    }
                }
                Event::Eof => break,
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
        if model.nodes.is_empty() {
            return Err(model.malformed(body.len(), "no root element".to_owned()));
        }
        Ok(model)
    }

    fn malformed(&self, at: usize, message: String) -> InferError {
        let (line, column) = xml::line_and_column(self.body, at);
        InferError::Malformed {
            format: SampleFormat::Xml,
            message,
            line,
            column,
        }
    }

    /// `xsi` holds the start tag's attributes in the XML Schema instance
    /// namespace: `nil` makes the element nillable, the location hints are
    /// passed over.
    fn start(
        &mut self,
        start: &BytesStart<'_>,
        namespace: Option<String>,
        xsi: &[XsiAttribute],
        at: usize,
        parent: Option<&mut Frame>,
    ) -> Result<Frame, InferError> {
        let local = start.local_name();
        let local: &str = local.as_ref();
        let node = match parent {
            None => {
                self.namespace = namespace;
                self.nodes
                    .push(ElementNode::new(local, format!("/{local}")));
                0
            }
            Some(parent) => {
                if namespace != self.namespace {
                    let (line, column) = xml::line_and_column(self.body, at);
                    return Err(InferError::ForeignNamespace {
                        path: format!("{}/{local}", self.nodes[parent.node].path),
                        namespace,
                        root_namespace: self.namespace.clone(),
                        line,
                        column,
                    });
                }
                self.child(parent, local, at)?
            }
        };
        self.nodes[node].instances += 1;
        let nil = xsi
            .iter()
            .any(|a| a.local == "nil" && matches!(a.value.trim(), "true" | "1"));
        self.nodes[node].nillable |= nil;

        let mut present = HashSet::new();
        for attribute in start.attributes().with_checks(false) {
            let attribute = attribute.map_err(|error| self.malformed(at, error.to_string()))?;
            if attribute.key.as_namespace_binding().is_some() {
                continue;
            }
            let element = &mut self.nodes[node];
            let key: &str = attribute.key.as_ref();
            let hint = |a: &XsiAttribute| {
                a.key == key
                    && matches!(
                        a.local.as_str(),
                        "nil" | "schemaLocation" | "noNamespaceSchemaLocation"
                    )
            };
            if xsi.iter().any(hint) {
                continue;
            }
            if attribute.key.prefix().is_some() {
                let (line, column) = xml::line_and_column(self.body, at);
                return Err(InferError::QualifiedAttribute {
                    path: element.path.clone(),
                    name: key.to_owned(),
                    line,
                    column,
                });
            }
            let kind = Kind::of(&attribute_value(&attribute.value));
            let slot = match element.attribute_index.get(key) {
                Some(&slot) => slot,
                None => {
                    element
                        .attribute_index
                        .insert(key.to_owned(), element.attributes.len());
                    element.attributes.push(AttributeSlot {
                        name: key.to_owned(),
                        kind,
                        present: 0,
                    });
                    element.attributes.len() - 1
                }
            };
            // Duplicates were refused by the check; count each name once all the same.
            if present.insert(slot) {
                let slot = &mut element.attributes[slot];
                slot.kind = slot.kind.join(kind);
                slot.present += 1;
            }
        }
        Ok(Frame {
            node,
            at,
            text: String::new(),
            has_children: false,
            seen: HashSet::new(),
            last: None,
            nil,
        })
    }

    /// Records a child element of the parent's instance; returns its node.
    fn child(&mut self, parent: &mut Frame, local: &str, at: usize) -> Result<usize, InferError> {
        if !parent.text.chars().all(is_xml_whitespace) {
            self.nodes[parent.node].mixed = true;
        }
        parent.text.clear();
        parent.has_children = true;

        let slot = match self.nodes[parent.node].child_index.get(local) {
            Some(&slot) => slot,
            None => {
                let node = self.nodes.len();
                let path = format!("{}/{local}", self.nodes[parent.node].path);
                self.nodes.push(ElementNode::new(local, path));
                let element = &mut self.nodes[parent.node];
                element
                    .child_index
                    .insert(local.to_owned(), element.children.len());
                element.children.push(ChildSlot {
                    node,
                    present: 0,
                    repeated: false,
                });
                element.children.len() - 1
            }
        };
        let element = &mut self.nodes[parent.node];
        if parent.last == Some(slot) {
            element.children[slot].repeated = true;
        } else if !parent.seen.insert(slot) {
            let node = element.children[slot].node;
            let last = parent.last.map(|last| element.children[last].node);
            let after = last.map(|last| self.nodes[last].name.clone());
            let (line, column) = xml::line_and_column(self.body, at);
            return Err(InferError::ScatteredRepeat {
                path: self.nodes[node].path.clone(),
                after: after.unwrap_or_default(),
                line,
                column,
            });
        } else {
            if let Some(last) = parent.last
                && element.order_seen.insert((last, slot))
            {
                element.order.push((last, slot, at));
            }
            element.children[slot].present += 1;
            parent.last = Some(slot);
        }
        Ok(element.children[slot].node)
    }

    fn text(&mut self, frame: &mut Frame, text: &str) {
        if !frame.has_children {
            push_normalized(&mut frame.text, text);
        } else if !text.chars().all(is_xml_whitespace) {
            self.nodes[frame.node].mixed = true;
        }
    }

    fn end(&mut self, frame: Frame) -> Result<(), InferError> {
        let node = &self.nodes[frame.node];
        if frame.nil {
            if frame.has_children || !frame.text.chars().all(is_xml_whitespace) {
                let message = format!(
                    "`{}` is given as xsi:nil=\"true\" but is not empty",
                    node.path
                );
                return Err(self.malformed(frame.at, message));
            }
            return Ok(());
        }
        if frame.has_children {
            let node = &mut self.nodes[frame.node];
            node.mixed |= node.text_at.is_some();
            node.children_at.get_or_insert(frame.at);
        } else {
            let blank = frame.text.chars().all(is_xml_whitespace);
            let node = &mut self.nodes[frame.node];
            node.mixed |= !blank && node.is_complex();
            join_kind(&mut node.text, Kind::of(&frame.text));
            if !blank {
                node.text_at.get_or_insert(frame.at);
            }
        }
        Ok(())
    }

    /// The child slots of a node in sequence order: first seen, moved only
    /// where an instance needs another order.
    fn sequence(&self, node: usize) -> Result<Vec<usize>, InferError> {
        let element = &self.nodes[node];
        let count = element.children.len();
        let mut successors = vec![Vec::new(); count];
        let mut predecessors = vec![Vec::new(); count];
        let mut waiting = vec![0usize; count];
        for &(before, after, at) in &element.order {
            successors[before].push(after);
            predecessors[after].push((before, at));
            waiting[after] += 1;
        }
        let mut ready: BTreeSet<usize> = (0..count).filter(|&slot| waiting[slot] == 0).collect();
        let mut sequence = Vec::with_capacity(count);
        while let Some(slot) = ready.pop_first() {
            sequence.push(slot);
            for &next in &successors[slot] {
                waiting[next] -= 1;
                if waiting[next] == 0 {
                    ready.insert(next);
                }
            }
        }
        if sequence.len() == count {
            return Ok(sequence);
        }

        // A cycle: walk back from a slot left waiting through predecessors
        // that are also waiting, until a slot repeats.
        let Some(start) = (0..count).find(|&slot| waiting[slot] > 0) else {
            return Ok(sequence);
        };
        let mut walk: Vec<(usize, usize)> = Vec::new();
        let mut slot = start;
        let cycle = loop {
            if let Some(position) = walk.iter().position(|&(visited, _)| visited == slot) {
                break walk.split_off(position);
            }
            let Some(&(before, at)) = predecessors[slot]
                .iter()
                .find(|(before, _)| waiting[*before] > 0)
            else {
                return Ok(sequence);
            };
            walk.push((slot, at));
            slot = before;
        };
        // The walk went backwards: (slot, where it followed its predecessor).
        let name = |slot: usize| self.nodes[element.children[slot].node].name.clone();
        let mut order: Vec<Precedence> = Vec::with_capacity(cycle.len());
        for (i, &(after, at)) in cycle.iter().enumerate() {
            let before = cycle[(i + 1) % cycle.len()].0;
            let (line, column) = xml::line_and_column(self.body, at);
            order.push(Precedence {
                before: name(before),
                after: name(after),
                line,
                column,
            });
        }
        order.reverse();
        // Start from the fact seen first in the sample.
        if let Some(first) = order
            .iter()
            .enumerate()
            .min_by_key(|(_, p)| (p.line, p.column))
            .map(|(i, _)| i)
        {
            order.rotate_left(first);
        }
        Err(InferError::ConflictingOrder {
            path: element.path.clone(),
            order,
        })
    }

    fn render(&self, name: &str) -> Result<String, InferError> {
        let mut out = String::new();
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str("<!-- Profile ");
        push_comment_text(&mut out, name);
        out.push_str(", inferred from a sample by `flowgate profile import`. -->\n");
        out.push_str("<xs:schema xmlns:xs=\"");
        out.push_str(XSD_NAMESPACE);
        out.push('"');
        if let Some(namespace) = &self.namespace {
            out.push_str(" targetNamespace=\"");
            out.push_str(&xml::escape(namespace));
            out.push_str("\" elementFormDefault=\"qualified\"");
        }
        out.push_str(">\n");
        self.render_element(&mut out, 0, "", 1)?;
        out.push_str("</xs:schema>\n");
        Ok(out)
    }

    fn render_element(
        &self,
        out: &mut String,
        node: usize,
        occurs: &str,
        depth: usize,
    ) -> Result<(), InferError> {
        let element = &self.nodes[node];
        let nillable = if element.nillable {
            " nillable=\"true\""
        } else {
            ""
        };
        let head = format!("<xs:element name=\"{}\"{nillable}", element.name);
        if !element.is_complex() && element.attributes.is_empty() {
            let kind = element.text.unwrap_or(Kind::String);
            line(
                out,
                depth,
                &format!("{head} type=\"{}\"{occurs}/>", kind.xsd()),
            );
            return Ok(());
        }
        line(out, depth, &format!("{head}{occurs}>"));
        // Only a path with child elements is ever mixed.
        let mixed = if element.mixed { " mixed=\"true\"" } else { "" };
        line(out, depth + 1, &format!("<xs:complexType{mixed}>"));
        if element.is_complex() {
            line(out, depth + 2, "<xs:sequence>");
            for slot in self.sequence(node)? {
                let child = &element.children[slot];
                let mut occurs = String::new();
                if child.present < element.instances {
                    occurs.push_str(" minOccurs=\"0\"");
                }
                if child.repeated {
                    occurs.push_str(" maxOccurs=\"unbounded\"");
                }
                self.render_element(out, child.node, &occurs, depth + 3)?;
            }
            line(out, depth + 2, "</xs:sequence>");
            self.render_attributes(out, node, depth + 2);
        } else {
            let kind = element.text.unwrap_or(Kind::String);
            line(out, depth + 2, "<xs:simpleContent>");
            line(
                out,
                depth + 3,
                &format!("<xs:extension base=\"{}\">", kind.xsd()),
            );
            self.render_attributes(out, node, depth + 4);
            line(out, depth + 3, "</xs:extension>");
            line(out, depth + 2, "</xs:simpleContent>");
        }
        line(out, depth + 1, "</xs:complexType>");
        line(out, depth, "</xs:element>");
        Ok(())
    }

    fn render_attributes(&self, out: &mut String, node: usize, depth: usize) {
        let element = &self.nodes[node];
        for attribute in &element.attributes {
            let required = if attribute.present == element.instances {
                " use=\"required\""
            } else {
                ""
            };
            line(
                out,
                depth,
                &format!(
                    "<xs:attribute name=\"{}\" type=\"{}\"{required}/>",
                    attribute.name,
                    attribute.kind.xsd()
                ),
            );
        }
    }
}

fn line(out: &mut String, depth: usize, text: &str) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push_str(text);
    out.push('\n');
}

/// `"name"` as comment text: no `--`, only characters XML allows.
fn push_comment_text(out: &mut String, name: &str) {
    out.push('"');
    let mut previous = '"';
    for c in name.chars() {
        let c = match c {
            '\t' | '\n' | '\r' => ' ',
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c => c,
        };
        if c == '-' && previous == '-' {
            out.push(' ');
        }
        out.push(c);
        previous = c;
    }
    out.push('"');
}

// ---------------------------------------------------------------------------
// JSON

/// A JSON Schema (2020-12) inferred from a sample JSON document.
///
/// `name` is the profile's name, used for `$id` (percent-encoded where it
/// is not a plain relative reference) and `title`; an empty name leaves
/// both out. See the module documentation for the rules.
pub fn json_schema_from_sample(sample: &str, name: &str) -> Result<String, InferError> {
    if sample
        .chars()
        .all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
    {
        return Err(InferError::Empty {
            format: SampleFormat::Json,
        });
    }
    check_json(sample)?;
    let value: Json = serde_json::from_str(sample).map_err(|error| {
        // serde_json ends its message with the position, which the error
        // gives on its own.
        let message = error.to_string();
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_owned(),
            None => message,
        };
        InferError::Malformed {
            format: SampleFormat::Json,
            message,
            line: error.line(),
            column: error.column(),
        }
    })?;
    let mut shape = Shape::default();
    shape.add(&value);

    let mut schema = Map::new();
    schema.insert("$schema".into(), JSON_SCHEMA_DIALECT.into());
    if !name.is_empty() {
        /// Kept as is: what a relative reference can hold without meaning more.
        const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~');
        let id = utf8_percent_encode(name, ESCAPED).to_string();
        schema.insert("$id".into(), id.into());
        schema.insert("title".into(), name.into());
    }
    shape.write(&mut schema);
    let mut out = format!("{:#}", Json::Object(schema));
    out.push('\n');
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonType {
    Null,
    Boolean,
    Integer,
    Number,
    String,
    Object,
    Array,
}

impl JsonType {
    fn name(self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Boolean => "boolean",
            JsonType::Integer => "integer",
            JsonType::Number => "number",
            JsonType::String => "string",
            JsonType::Object => "object",
            JsonType::Array => "array",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringFormat {
    Date,
    DateTime,
    None,
}

impl StringFormat {
    fn of(value: &str) -> StringFormat {
        if is_date(value) {
            StringFormat::Date
        } else if date_time_offset(value) == Some(true) {
            StringFormat::DateTime
        } else {
            StringFormat::None
        }
    }
}

/// What is known about the values at one path.
#[derive(Default)]
struct Shape {
    /// First seen first; integer and number share a place.
    types: Vec<JsonType>,
    /// The format every string fits, once a string was seen.
    format: Option<StringFormat>,
    object: Option<ObjectShape>,
    /// The elements of every array, once an element was seen.
    items: Option<Box<Shape>>,
}

#[derive(Default)]
struct ObjectShape {
    count: usize,
    properties: Vec<Property>,
    index: HashMap<String, usize>,
}

struct Property {
    name: String,
    shape: Shape,
    /// Objects that have it.
    present: usize,
}

impl Shape {
    fn note(&mut self, kind: JsonType) {
        if !self.types.contains(&kind) {
            self.types.push(kind);
        }
    }

    fn add(&mut self, value: &Json) {
        match value {
            Json::Null => self.note(JsonType::Null),
            Json::Bool(_) => self.note(JsonType::Boolean),
            Json::Number(n) if n.is_i64() || n.is_u64() => {
                if !self.types.contains(&JsonType::Number) {
                    self.note(JsonType::Integer);
                }
            }
            Json::Number(_) => match self.types.iter_mut().find(|t| **t == JsonType::Integer) {
                Some(integer) => *integer = JsonType::Number,
                None => self.note(JsonType::Number),
            },
            Json::String(text) => {
                self.note(JsonType::String);
                let format = StringFormat::of(text);
                self.format = Some(match self.format {
                    Some(known) if known != format => StringFormat::None,
                    _ => format,
                });
            }
            Json::Array(items) => {
                self.note(JsonType::Array);
                for item in items {
                    self.items.get_or_insert_default().add(item);
                }
            }
            Json::Object(map) => {
                self.note(JsonType::Object);
                let object = self.object.get_or_insert_default();
                object.count += 1;
                for (key, value) in map {
                    let slot = match object.index.get(key) {
                        Some(&slot) => slot,
                        None => {
                            object.index.insert(key.clone(), object.properties.len());
                            object.properties.push(Property {
                                name: key.clone(),
                                shape: Shape::default(),
                                present: 0,
                            });
                            object.properties.len() - 1
                        }
                    };
                    let property = &mut object.properties[slot];
                    property.present += 1;
                    property.shape.add(value);
                }
            }
        }
    }

    fn schema(&self) -> Json {
        let mut schema = Map::new();
        self.write(&mut schema);
        Json::Object(schema)
    }

    fn write(&self, schema: &mut Map<String, Json>) {
        let kind = match self.types.as_slice() {
            [single] => Json::from(single.name()),
            types => Json::Array(types.iter().map(|t| Json::from(t.name())).collect()),
        };
        schema.insert("type".into(), kind);
        match self.format {
            Some(StringFormat::Date) => {
                schema.insert("format".into(), "date".into());
            }
            Some(StringFormat::DateTime) => {
                schema.insert("format".into(), "date-time".into());
            }
            Some(StringFormat::None) | None => {}
        }
        if let Some(object) = &self.object {
            if !object.properties.is_empty() {
                let properties: Map<String, Json> = object
                    .properties
                    .iter()
                    .map(|p| (p.name.clone(), p.shape.schema()))
                    .collect();
                schema.insert("properties".into(), Json::Object(properties));
            }
            let required: Vec<Json> = object
                .properties
                .iter()
                .filter(|p| p.present == object.count)
                .map(|p| Json::from(p.name.as_str()))
                .collect();
            if !required.is_empty() {
                schema.insert("required".into(), Json::Array(required));
            }
        }
        if let Some(items) = &self.items {
            schema.insert("items".into(), items.schema());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use regex::Regex;

    // --- a small validator for the XSD subset, written for these tests

    /// A sample element, as a validator sees it.
    #[derive(Debug, Clone)]
    struct Instance {
        name: String,
        namespace: Option<String>,
        attributes: Vec<(String, String)>,
        text: String,
        children: Vec<Instance>,
    }

    fn read_instance(sample: &str) -> Instance {
        let mut reader = NsReader::from_str(without_bom(sample));
        let mut open: Vec<Instance> = Vec::new();
        loop {
            let (namespace, event) = reader.read_resolved_event().expect("well-formed");
            let namespace = match namespace {
                ResolveResult::Bound(namespace) => Some(attribute_value(namespace.0)),
                _ => None,
            };
            let start = |start: &BytesStart<'_>| Instance {
                name: String::from(start.local_name().as_ref()),
                namespace: namespace.clone(),
                attributes: start
                    .attributes()
                    .map(|a| a.expect("attribute"))
                    .filter(|a| a.key.as_namespace_binding().is_none())
                    .map(|a| (a.key.0.to_owned(), attribute_value(&a.value)))
                    .collect(),
                text: String::new(),
                children: Vec::new(),
            };
            let done = match event {
                Event::Start(e) => {
                    open.push(start(&e));
                    None
                }
                Event::Empty(e) => Some(start(&e)),
                Event::End(_) => open.pop(),
                Event::Text(e) => {
                    if let Some(top) = open.last_mut() {
                        push_normalized(&mut top.text, &e);
                    }
                    None
                }
                Event::CData(e) => {
                    if let Some(top) = open.last_mut() {
                        push_normalized(&mut top.text, &e);
                    }
                    None
                }
                Event::GeneralRef(e) => {
                    if let Some(top) = open.last_mut() {
                        top.text.extend(resolve_reference(&e));
                    }
                    None
                }
                Event::Eof => panic!("no root element"),
                _ => None,
            };
            if let Some(done) = done {
                match open.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return done,
                }
            }
        }
    }

    #[derive(Debug)]
    struct XsdNode {
        tag: String,
        attributes: Vec<(String, String)>,
        children: Vec<XsdNode>,
    }

    impl XsdNode {
        fn get(&self, key: &str) -> Option<&str> {
            self.attributes
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        }

        /// Fails on any attribute outside `allowed`.
        fn only(&self, allowed: &[&str]) {
            for (key, _) in &self.attributes {
                assert!(
                    allowed.contains(&key.as_str()),
                    "`{key}` on {} is outside the subset",
                    self.tag
                );
            }
        }
    }

    fn xsd_tree(xsd: &str) -> XsdNode {
        let mut reader = quick_xml::Reader::from_str(xsd);
        let mut open: Vec<XsdNode> = Vec::new();
        loop {
            let node = |e: &BytesStart<'_>| XsdNode {
                tag: e.name().0.to_owned(),
                attributes: e
                    .attributes()
                    .map(|a| a.expect("attribute"))
                    .map(|a| (a.key.0.to_owned(), attribute_value(&a.value)))
                    .collect(),
                children: Vec::new(),
            };
            let done = match reader.read_event().expect("the XSD is well-formed") {
                Event::Start(e) => {
                    open.push(node(&e));
                    None
                }
                Event::Empty(e) => Some(node(&e)),
                Event::End(_) => open.pop(),
                Event::Text(e) => {
                    assert!(e.trim().is_empty(), "text in the XSD: {:?}", &*e);
                    None
                }
                Event::Decl(_) | Event::Comment(_) => None,
                other => panic!("unexpected in the XSD: {other:?}"),
            };
            if let Some(done) = done {
                match open.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return done,
                }
            }
        }
    }

    #[derive(Debug)]
    struct Schema {
        target_namespace: Option<String>,
        root: ElementDecl,
    }

    #[derive(Debug)]
    struct ElementDecl {
        name: String,
        optional: bool,
        unbounded: bool,
        attributes: Vec<AttributeDecl>,
        content: ContentDecl,
        /// `mixed="true"`: text may stand beside the children.
        mixed: bool,
    }

    #[derive(Debug)]
    enum ContentDecl {
        Simple(String),
        Sequence(Vec<ElementDecl>),
    }

    #[derive(Debug)]
    struct AttributeDecl {
        name: String,
        kind: String,
        required: bool,
    }

    const XSD_TYPES: [&str; 6] = [
        "xs:integer",
        "xs:decimal",
        "xs:boolean",
        "xs:date",
        "xs:dateTime",
        "xs:string",
    ];

    /// Reads an XSD, failing on anything outside the subset the inference may write.
    fn schema(xsd: &str) -> Schema {
        let root = xsd_tree(xsd);
        assert_eq!(root.tag, "xs:schema");
        root.only(&["xmlns:xs", "targetNamespace", "elementFormDefault"]);
        assert_eq!(root.get("xmlns:xs"), Some(XSD_NAMESPACE));
        let target_namespace = root.get("targetNamespace").map(str::to_owned);
        let form = root.get("elementFormDefault");
        assert_eq!(form.is_some(), target_namespace.is_some());
        assert!(form.is_none_or(|form| form == "qualified"));
        let [element] = root.children.as_slice() else {
            panic!("one global element expected: {:?}", root.children);
        };
        let root = element_decl(element);
        assert!(!root.optional && !root.unbounded, "the root cannot occur");
        Schema {
            target_namespace,
            root,
        }
    }

    fn element_decl(node: &XsdNode) -> ElementDecl {
        assert_eq!(node.tag, "xs:element");
        node.only(&["name", "type", "minOccurs", "maxOccurs"]);
        let name = node.get("name").expect("a name").to_owned();
        let optional = match node.get("minOccurs") {
            None => false,
            Some("0") => true,
            Some(other) => panic!("minOccurs={other}"),
        };
        let unbounded = match node.get("maxOccurs") {
            None => false,
            Some("unbounded") => true,
            Some(other) => panic!("maxOccurs={other}"),
        };
        let mut attributes = Vec::new();
        let mut mixed = false;
        let content = if let Some(kind) = node.get("type") {
            assert!(node.children.is_empty());
            ContentDecl::Simple(simple_type(kind))
        } else {
            let [complex] = node.children.as_slice() else {
                panic!("{name}: one xs:complexType expected");
            };
            assert_eq!(complex.tag, "xs:complexType");
            complex.only(&["mixed"]);
            mixed = match complex.get("mixed") {
                None => false,
                Some("true") => true,
                Some(other) => panic!("{name}: mixed={other}"),
            };
            let (first, rest) = complex.children.split_first().expect("content");
            match first.tag.as_str() {
                "xs:sequence" => {
                    first.only(&[]);
                    assert!(!first.children.is_empty(), "{name}: empty sequence");
                    attributes = rest.iter().map(attribute_decl).collect();
                    ContentDecl::Sequence(first.children.iter().map(element_decl).collect())
                }
                "xs:simpleContent" => {
                    assert!(rest.is_empty());
                    assert!(!mixed, "{name}: mixed simple content");
                    first.only(&[]);
                    let [extension] = first.children.as_slice() else {
                        panic!("{name}: one xs:extension expected");
                    };
                    assert_eq!(extension.tag, "xs:extension");
                    extension.only(&["base"]);
                    attributes = extension.children.iter().map(attribute_decl).collect();
                    assert!(
                        !attributes.is_empty(),
                        "{name}: simple content without attributes"
                    );
                    ContentDecl::Simple(simple_type(extension.get("base").expect("base")))
                }
                other => panic!("{name}: {other} is outside the subset"),
            }
        };
        let mut names: Vec<&str> = match &content {
            ContentDecl::Sequence(children) => children.iter().map(|c| c.name.as_str()).collect(),
            ContentDecl::Simple(_) => Vec::new(),
        };
        names.sort_unstable();
        names.dedup();
        if let ContentDecl::Sequence(children) = &content {
            assert_eq!(names.len(), children.len(), "{name}: a name repeats");
        }
        ElementDecl {
            name,
            optional,
            unbounded,
            attributes,
            content,
            mixed,
        }
    }

    fn attribute_decl(node: &XsdNode) -> AttributeDecl {
        assert_eq!(node.tag, "xs:attribute");
        node.only(&["name", "type", "use"]);
        AttributeDecl {
            name: node.get("name").expect("a name").to_owned(),
            kind: simple_type(node.get("type").expect("a type")),
            required: match node.get("use") {
                None => false,
                Some("required") => true,
                Some(other) => panic!("use={other}"),
            },
        }
    }

    fn simple_type(kind: &str) -> String {
        assert!(XSD_TYPES.contains(&kind), "{kind} is outside the subset");
        kind.to_owned()
    }

    fn days_in_month(year: i64, month: u32) -> u32 {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => 0,
        }
    }

    /// Whether a value is in the lexical space of an XSD built-in type, as
    /// XSD defines it (wider than what the inference picks; no whitespace
    /// collapsing, to be strict).
    fn fits_xsd(kind: &str, value: &str) -> bool {
        let calendar = |c: &regex::Captures<'_>| {
            let year: i64 = c["y"].parse().unwrap_or(0);
            let month: u32 = c["m"].parse().unwrap_or(0);
            let day: u32 = c["d"].parse().unwrap_or(0);
            year != 0 && (1..=days_in_month(year, month)).contains(&day)
        };
        match kind {
            "xs:string" => true,
            "xs:integer" => Regex::new(r"^[+-]?[0-9]+$").unwrap().is_match(value),
            "xs:decimal" => Regex::new(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
                .unwrap()
                .is_match(value),
            "xs:boolean" => matches!(value, "true" | "false" | "1" | "0"),
            "xs:date" => Regex::new(
                r"^(?<y>-?[0-9]{4,})-(?<m>[0-9]{2})-(?<d>[0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?$",
            )
            .unwrap()
            .captures(value)
            .is_some_and(|c| calendar(&c)),
            "xs:dateTime" => Regex::new(
                r"^(?<y>-?[0-9]{4,})-(?<m>[0-9]{2})-(?<d>[0-9]{2})T(?<h>[0-9]{2}):(?<mi>[0-9]{2}):(?<s>[0-9]{2})(\.[0-9]+)?(Z|[+-](?<th>[0-9]{2}):(?<tm>[0-9]{2}))?$",
            )
            .unwrap()
            .captures(value)
            .is_some_and(|c| {
                let n = |key: &str| c.name(key).map_or(0, |m| m.as_str().parse().unwrap_or(99));
                calendar(&c)
                    && n("h") < 24
                    && n("mi") < 60
                    && n("s") < 60
                    && (n("th") < 14 || (n("th") == 14 && n("tm") == 0))
                    && n("tm") < 60
            }),
            other => panic!("unknown type {other}"),
        }
    }

    /// Validates a sample against an XSD in the subset.
    fn validate_xml(sample: &str, xsd: &str) -> Result<(), String> {
        let schema = schema(xsd);
        let root = read_instance(sample);
        if root.namespace != schema.target_namespace {
            return Err(format!(
                "root in {:?}, schema for {:?}",
                root.namespace, schema.target_namespace
            ));
        }
        validate_element(&root, &schema.root, &schema.target_namespace)
    }

    fn validate_element(
        instance: &Instance,
        decl: &ElementDecl,
        namespace: &Option<String>,
    ) -> Result<(), String> {
        let here = &instance.name;
        if instance.name != decl.name || &instance.namespace != namespace {
            return Err(format!("{here}: expected {}", decl.name));
        }
        for (key, value) in &instance.attributes {
            let Some(attribute) = decl.attributes.iter().find(|a| &a.name == key) else {
                return Err(format!("{here}: undeclared attribute {key}"));
            };
            if !fits_xsd(&attribute.kind, value) {
                return Err(format!("{here}/@{key}: {value:?} is no {}", attribute.kind));
            }
        }
        for attribute in decl.attributes.iter().filter(|a| a.required) {
            if !instance
                .attributes
                .iter()
                .any(|(k, _)| k == &attribute.name)
            {
                return Err(format!("{here}: missing attribute {}", attribute.name));
            }
        }
        match &decl.content {
            ContentDecl::Simple(kind) => {
                if !instance.children.is_empty() {
                    return Err(format!("{here}: children in simple content"));
                }
                if !fits_xsd(kind, &instance.text) {
                    return Err(format!("{here}: {:?} is no {kind}", instance.text));
                }
            }
            ContentDecl::Sequence(particles) => {
                if !decl.mixed && !instance.text.chars().all(is_xml_whitespace) {
                    return Err(format!("{here}: text in element-only content"));
                }
                let mut rest = instance.children.as_slice();
                for particle in particles {
                    let count = rest.iter().take_while(|c| c.name == particle.name).count();
                    if count == 0 && !particle.optional {
                        return Err(format!("{here}: missing {}", particle.name));
                    }
                    if count > 1 && !particle.unbounded {
                        return Err(format!("{here}: {} repeats", particle.name));
                    }
                    for child in &rest[..count] {
                        validate_element(child, particle, namespace)?;
                    }
                    rest = &rest[count..];
                }
                if let Some(extra) = rest.first() {
                    return Err(format!("{here}: unexpected {}", extra.name));
                }
            }
        }
        Ok(())
    }

    /// The XSD of a sample, checked to be in the subset and to validate the sample.
    fn xsd(sample: &str) -> String {
        let xsd = xsd_from_sample(sample, "test").expect("inferred");
        assert_eq!(validate_xml(sample, &xsd), Ok(()), "\n{xsd}");
        assert!(xsd.ends_with("</xs:schema>\n"));
        xsd
    }

    /// The declared type of the leaf `/r/v` (or `/r/@a`) of a sample.
    fn leaf_type(sample: &str) -> String {
        let schema = schema(&xsd(sample));
        let ContentDecl::Sequence(children) = &schema.root.content else {
            panic!("no children");
        };
        match &children[0].content {
            ContentDecl::Simple(kind) => kind.clone(),
            ContentDecl::Sequence(_) => panic!("not a leaf"),
        }
    }

    // --- a small validator for the JSON Schema subset

    fn is_calendar_date(value: &str) -> bool {
        Regex::new(r"^(?<y>[0-9]{4})-(?<m>[0-9]{2})-(?<d>[0-9]{2})$")
            .unwrap()
            .captures(value)
            .is_some_and(|c| {
                let year: i64 = c["y"].parse().unwrap_or(0);
                let day: u32 = c["d"].parse().unwrap_or(0);
                (1..=days_in_month(year, c["m"].parse().unwrap_or(0))).contains(&day)
            })
    }

    /// RFC 3339 `date-time`.
    fn is_rfc3339(value: &str) -> bool {
        Regex::new(
            r"^(?<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?<h>[0-9]{2}):(?<mi>[0-9]{2}):(?<s>[0-9]{2})(\.[0-9]+)?([Zz]|[+-](?<th>[0-9]{2}):(?<tm>[0-9]{2}))$",
        )
        .unwrap()
        .captures(value)
        .is_some_and(|c| {
            let n = |key: &str| c.name(key).map_or(0, |m| m.as_str().parse().unwrap_or(99));
            is_calendar_date(&c["date"])
                && n("h") < 24
                && n("mi") < 60
                && n("s") <= 60
                && n("th") < 24
                && n("tm") < 60
        })
    }

    fn validate_json(schema: &Json, value: &Json, at: &str) -> Result<(), String> {
        let Json::Object(schema) = schema else {
            return Err(format!("{at}: schema is not an object"));
        };
        for key in schema.keys() {
            let allowed = [
                "$schema",
                "$id",
                "title",
                "type",
                "format",
                "properties",
                "required",
                "items",
            ];
            if !allowed.contains(&key.as_str()) {
                return Err(format!("{at}: keyword {key} is outside the subset"));
            }
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Json::String(kind)) => vec![kind.as_str()],
            Some(Json::Array(kinds)) => kinds.iter().filter_map(Json::as_str).collect(),
            _ => return Err(format!("{at}: no type")),
        };
        let fits = types.iter().any(|kind| match (*kind, value) {
            ("null", Json::Null)
            | ("boolean", Json::Bool(_))
            | ("number", Json::Number(_))
            | ("string", Json::String(_))
            | ("array", Json::Array(_))
            | ("object", Json::Object(_)) => true,
            ("integer", Json::Number(n)) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        });
        if !fits {
            return Err(format!("{at}: {value} is not of type {types:?}"));
        }
        match (schema.get("format").and_then(Json::as_str), value) {
            (Some("date"), Json::String(text)) if !is_calendar_date(text) => {
                return Err(format!("{at}: {text:?} is no date"));
            }
            (Some("date-time"), Json::String(text)) if !is_rfc3339(text) => {
                return Err(format!("{at}: {text:?} is no date-time"));
            }
            (Some("date" | "date-time") | None, _) => {}
            (Some(other), _) => return Err(format!("{at}: format {other}")),
        }
        if let Json::Object(object) = value {
            if let Some(required) = schema.get("required").and_then(Json::as_array) {
                for key in required.iter().filter_map(Json::as_str) {
                    if !object.contains_key(key) {
                        return Err(format!("{at}: missing {key}"));
                    }
                }
            }
            if let Some(properties) = schema.get("properties").and_then(Json::as_object) {
                for (key, item) in object {
                    if let Some(property) = properties.get(key) {
                        validate_json(property, item, &format!("{at}.{key}"))?;
                    }
                }
            }
        }
        if let (Json::Array(items), Some(item_schema)) = (value, schema.get("items")) {
            for (i, item) in items.iter().enumerate() {
                validate_json(item_schema, item, &format!("{at}[{i}]"))?;
            }
        }
        Ok(())
    }

    /// The JSON Schema of a sample, checked to validate the sample.
    fn json_schema(sample: &str) -> String {
        let text = json_schema_from_sample(sample, "test").expect("inferred");
        let schema: Json = serde_json::from_str(&text).expect("the schema is JSON");
        let value: Json = serde_json::from_str(sample).expect("the sample is JSON");
        assert_eq!(validate_json(&schema, &value, "$"), Ok(()), "\n{text}");
        assert!(text.ends_with("}\n"));
        text
    }

    // --- golden outputs

    const ORDER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Order id="A-100" priority="high">
  <Created>2024-03-01T09:30:00Z</Created>
  <Customer>Ada &amp; Co</Customer>
  <Express>true</Express>
  <Lines>
    <Line n="1"><Sku>X-1</Sku><Qty>2</Qty><Price>12.50</Price><Note>gift</Note></Line>
    <Line n="2"><Sku>Y-7</Sku><Qty>1</Qty><Price>5</Price></Line>
    <Line n="3" backorder="true"><Sku>Z-9</Sku><Qty>30</Qty><Price>20</Price><Note/></Line>
  </Lines>
  <Delivery>2024-03-05</Delivery>
</Order>
"#;

    #[test]
    fn order_with_repeated_lines() {
        insta::assert_snapshot!(xsd_from_sample(ORDER, "order").expect("inferred"), @r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- Profile "order", inferred from a sample by `flowgate profile import`. -->
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
          <xs:element name="Order">
            <xs:complexType>
              <xs:sequence>
                <xs:element name="Created" type="xs:dateTime"/>
                <xs:element name="Customer" type="xs:string"/>
                <xs:element name="Express" type="xs:boolean"/>
                <xs:element name="Lines">
                  <xs:complexType>
                    <xs:sequence>
                      <xs:element name="Line" maxOccurs="unbounded">
                        <xs:complexType>
                          <xs:sequence>
                            <xs:element name="Sku" type="xs:string"/>
                            <xs:element name="Qty" type="xs:integer"/>
                            <xs:element name="Price" type="xs:decimal"/>
                            <xs:element name="Note" type="xs:string" minOccurs="0"/>
                          </xs:sequence>
                          <xs:attribute name="n" type="xs:integer" use="required"/>
                          <xs:attribute name="backorder" type="xs:boolean"/>
                        </xs:complexType>
                      </xs:element>
                    </xs:sequence>
                  </xs:complexType>
                </xs:element>
                <xs:element name="Delivery" type="xs:date"/>
              </xs:sequence>
              <xs:attribute name="id" type="xs:string" use="required"/>
              <xs:attribute name="priority" type="xs:string" use="required"/>
            </xs:complexType>
          </xs:element>
        </xs:schema>
        "#);
        xsd(ORDER);
    }

    const INVOICE: &str = r#"<Invoice number="17" issued="2024-01-31">
  <Total currency="EUR">120.00</Total>
  <Tax currency="EUR" rate="0.19">19.16</Tax>
  <Tax currency="EUR">0</Tax>
  <Link href="https://example.com/i/17?a=1&amp;b=2"/>
  <Paid on="2024-02-02T10:15:00+01:00"/>
</Invoice>"#;

    /// An element a sample gives as `xsi:nil="true"` is nillable, and its
    /// type comes from the instances that have a value; the location hints
    /// are passed over. The sample reads with the profile.
    #[test]
    fn nil_elements_are_nillable() {
        let sample = r#"<L xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:noNamespaceSchemaLocation="l.xsd"><P><Age>3</Age></P><P><Age i:nil="1"/></P><P><Age>4</Age></P></L>"#;
        let xsd = xsd_from_sample(sample, "l").expect("inferred");
        assert!(
            xsd.contains(r#"<xs:element name="Age" nillable="true" type="xs:integer"/>"#),
            "{xsd}"
        );
        let profile = crate::profile::Profile::from_xsd("l", &xsd);
        let read = profile.read(sample.as_bytes(), &crate::doc::ParseLimits::default());
        assert_eq!(
            read.map(|v| format!("{v:?}")).map_err(|e| format!("{e:?}")),
            Ok("{'L': {'P': [{'Age': 3}, {'Age': None}, {'Age': 4}]}}".to_owned())
        );
        let stuffed = r#"<P xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><Age xsi:nil="true">4</Age></P>"#;
        assert!(xsd_from_sample(stuffed, "p").is_err_and(|e| {
            e.to_string()
                .contains("is given as xsi:nil=\"true\" but is not empty")
        }),);
    }

    #[test]
    fn attributes_and_simple_content() {
        insta::assert_snapshot!(xsd_from_sample(INVOICE, "invoice").expect("inferred"), @r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- Profile "invoice", inferred from a sample by `flowgate profile import`. -->
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
          <xs:element name="Invoice">
            <xs:complexType>
              <xs:sequence>
                <xs:element name="Total">
                  <xs:complexType>
                    <xs:simpleContent>
                      <xs:extension base="xs:decimal">
                        <xs:attribute name="currency" type="xs:string" use="required"/>
                      </xs:extension>
                    </xs:simpleContent>
                  </xs:complexType>
                </xs:element>
                <xs:element name="Tax" maxOccurs="unbounded">
                  <xs:complexType>
                    <xs:simpleContent>
                      <xs:extension base="xs:decimal">
                        <xs:attribute name="currency" type="xs:string" use="required"/>
                        <xs:attribute name="rate" type="xs:decimal"/>
                      </xs:extension>
                    </xs:simpleContent>
                  </xs:complexType>
                </xs:element>
                <xs:element name="Link">
                  <xs:complexType>
                    <xs:simpleContent>
                      <xs:extension base="xs:string">
                        <xs:attribute name="href" type="xs:string" use="required"/>
                      </xs:extension>
                    </xs:simpleContent>
                  </xs:complexType>
                </xs:element>
                <xs:element name="Paid">
                  <xs:complexType>
                    <xs:simpleContent>
                      <xs:extension base="xs:string">
                        <xs:attribute name="on" type="xs:dateTime" use="required"/>
                      </xs:extension>
                    </xs:simpleContent>
                  </xs:complexType>
                </xs:element>
              </xs:sequence>
              <xs:attribute name="number" type="xs:integer" use="required"/>
              <xs:attribute name="issued" type="xs:date" use="required"/>
            </xs:complexType>
          </xs:element>
        </xs:schema>
        "#);
        xsd(INVOICE);
    }

    const PRICE_LIST: &str = r#"<?xml version="1.0"?>
<PriceList xmlns="urn:example:prices" version="2">
  <Item><Sku>X-1</Sku><Price>12.50</Price></Item>
  <Item><Sku>Y-7</Sku><Discount>0.1</Discount><Price>5</Price></Item>
  <Item><Sku>Z-9</Sku></Item>
</PriceList>
"#;

    #[test]
    fn namespaced_root_and_merged_order() {
        insta::assert_snapshot!(xsd_from_sample(PRICE_LIST, "price-list").expect("inferred"), @r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- Profile "price-list", inferred from a sample by `flowgate profile import`. -->
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:example:prices" elementFormDefault="qualified">
          <xs:element name="PriceList">
            <xs:complexType>
              <xs:sequence>
                <xs:element name="Item" maxOccurs="unbounded">
                  <xs:complexType>
                    <xs:sequence>
                      <xs:element name="Sku" type="xs:string"/>
                      <xs:element name="Discount" type="xs:decimal" minOccurs="0"/>
                      <xs:element name="Price" type="xs:decimal" minOccurs="0"/>
                    </xs:sequence>
                  </xs:complexType>
                </xs:element>
              </xs:sequence>
              <xs:attribute name="version" type="xs:integer" use="required"/>
            </xs:complexType>
          </xs:element>
        </xs:schema>
        "#);
        xsd(PRICE_LIST);
    }

    const ORDER_JSON: &str = r#"{
  "id": 42,
  "created": "2024-03-01T09:30:00Z",
  "delivery": "2024-03-05",
  "customer": {"name": "Ada", "vip": true},
  "lines": [
    {"sku": "X-1", "qty": 2, "price": 12.5, "tags": ["gift"]},
    {"sku": "Y-7", "qty": 1, "price": 5, "tags": [], "note": null},
    {"sku": "Z-9", "qty": 30, "price": 20, "note": "rush", "dims": [[1, 2], [3.5]]}
  ],
  "coupon": null,
  "history": []
}"#;

    #[test]
    fn json_with_nested_arrays_and_optional_keys() {
        insta::assert_snapshot!(json_schema_from_sample(ORDER_JSON, "order").expect("inferred"), @r#"
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "$id": "order",
          "title": "order",
          "type": "object",
          "properties": {
            "id": {
              "type": "integer"
            },
            "created": {
              "type": "string",
              "format": "date-time"
            },
            "delivery": {
              "type": "string",
              "format": "date"
            },
            "customer": {
              "type": "object",
              "properties": {
                "name": {
                  "type": "string"
                },
                "vip": {
                  "type": "boolean"
                }
              },
              "required": [
                "name",
                "vip"
              ]
            },
            "lines": {
              "type": "array",
              "items": {
                "type": "object",
                "properties": {
                  "sku": {
                    "type": "string"
                  },
                  "qty": {
                    "type": "integer"
                  },
                  "price": {
                    "type": "number"
                  },
                  "tags": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  },
                  "note": {
                    "type": [
                      "null",
                      "string"
                    ]
                  },
                  "dims": {
                    "type": "array",
                    "items": {
                      "type": "array",
                      "items": {
                        "type": "number"
                      }
                    }
                  }
                },
                "required": [
                  "sku",
                  "qty",
                  "price"
                ]
              }
            },
            "coupon": {
              "type": "null"
            },
            "history": {
              "type": "array"
            }
          },
          "required": [
            "id",
            "created",
            "delivery",
            "customer",
            "lines",
            "coupon",
            "history"
          ]
        }
        "#);
        json_schema(ORDER_JSON);
    }

    #[test]
    fn json_unions_keep_first_seen_order() {
        let text = json_schema(r#"[3, null, "x", 2.5, true, {"a": 1}, [1]]"#);
        let schema: Json = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            schema["items"]["type"],
            serde_json::json!(["number", "null", "string", "boolean", "object", "array"])
        );
        assert_eq!(schema["items"]["properties"]["a"]["type"], "integer");
        assert_eq!(schema["items"]["required"], serde_json::json!(["a"]));
        assert_eq!(schema["items"]["items"]["type"], "integer");
        // Format only where every string fits it.
        let text = json_schema(
            r#"{"d": ["2024-01-01", null, "2024-02-29"], "e": ["2024-01-01", "2024-01-01T00:00:00Z"]}"#,
        );
        let schema: Json = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            schema["properties"]["d"]["items"],
            serde_json::json!({"type": ["string", "null"], "format": "date"})
        );
        assert_eq!(
            schema["properties"]["e"]["items"],
            serde_json::json!({"type": "string"})
        );
    }

    #[test]
    fn json_scalars_and_empty_containers() {
        for (sample, expected) in [
            ("42", r#"{"type":"integer"}"#),
            ("18446744073709551615", r#"{"type":"integer"}"#),
            ("1.0", r#"{"type":"number"}"#),
            ("1e3", r#"{"type":"number"}"#),
            ("null", r#"{"type":"null"}"#),
            (
                r#""2024-02-02T10:15:00.5+01:00""#,
                r#"{"type":"string","format":"date-time"}"#,
            ),
            // RFC 3339 needs the offset.
            (r#""2024-02-02T10:15:00""#, r#"{"type":"string"}"#),
            (r#""""#, r#"{"type":"string"}"#),
            ("{}", r#"{"type":"object"}"#),
            ("[]", r#"{"type":"array"}"#),
            (
                "[{}, {\"a\": 1}]",
                r#"{"type":"array","items":{"type":"object","properties":{"a":{"type":"integer"}}}}"#,
            ),
        ] {
            let text = json_schema(sample);
            let mut schema: Json = serde_json::from_str(&text).expect("JSON");
            let root = schema.as_object_mut().expect("object");
            assert_eq!(
                root.shift_remove("$schema"),
                Some(JSON_SCHEMA_DIALECT.into())
            );
            assert_eq!(root.shift_remove("$id"), Some("test".into()));
            assert_eq!(root.shift_remove("title"), Some("test".into()));
            assert_eq!(schema.to_string(), expected, "for {sample}");
        }
    }

    #[test]
    fn json_names() {
        let text = json_schema_from_sample("1", "my order/v2#x").expect("inferred");
        let schema: Json = serde_json::from_str(&text).expect("JSON");
        assert_eq!(schema["$id"], "my%20order%2Fv2%23x");
        assert_eq!(schema["title"], "my order/v2#x");
        let text = json_schema_from_sample("1", "").expect("inferred");
        assert_eq!(
            text,
            "{\n  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n  \"type\": \"integer\"\n}\n"
        );
    }

    #[test]
    fn xsd_comment_keeps_the_name_safe() {
        let text = xsd_from_sample("<a/>", "x--y-\u{1}").expect("inferred");
        assert!(
            text.contains("<!-- Profile \"x- -y-\u{FFFD}\", inferred"),
            "{text}"
        );
        assert!(read_comment_is_well_formed(&text));
        let text = xsd_from_sample("<a/>", "a-").expect("inferred");
        assert!(read_comment_is_well_formed(&text));
    }

    fn read_comment_is_well_formed(xsd: &str) -> bool {
        xml::check(xsd, &xml::XmlLimits::default()).is_ok()
    }

    #[test]
    fn output_is_deterministic() {
        assert_eq!(xsd(ORDER), xsd(ORDER));
        assert_eq!(json_schema(ORDER_JSON), json_schema(ORDER_JSON));
    }

    // --- types

    #[test]
    fn kinds_of_single_values() {
        use Kind::*;
        let cases = [
            ("0", Integer),
            ("-0", Integer),
            ("42", Integer),
            ("-17", Integer),
            ("9223372036854775807", Integer),
            ("9223372036854775808", String),
            ("007", String),
            ("+5", String),
            ("1.5", Decimal),
            ("-0.25", Decimal),
            ("12.50", Decimal),
            ("1.", String),
            (".5", String),
            ("01.5", String),
            ("1e3", String),
            ("true", Boolean),
            ("false", Boolean),
            ("True", String),
            ("yes", String),
            ("2024-02-29", Date),
            ("2023-02-29", String),
            ("2000-02-29", Date),
            ("1900-02-29", String),
            ("0000-01-01", String),
            ("2024-04-31", String),
            ("2024-13-01", String),
            ("2024-1-01", String),
            ("2024-01-01Z", String),
            ("2024-01-01T00:00:00", DateTime),
            ("2024-01-01T23:59:59.123456Z", DateTime),
            ("2024-01-01T12:00:00+14:00", DateTime),
            ("2024-01-01T12:00:00-05:30", DateTime),
            ("2024-01-01T12:00:00+14:30", String),
            ("2024-01-01T24:00:00", String),
            ("2024-01-01T12:60:00", String),
            ("2024-01-01T12:00:60", String),
            ("2024-01-01T12:00:00.", String),
            ("2024-01-01T12:00", String),
            ("2024-01-01 12:00:00", String),
            ("2024-01-01t12:00:00", String),
            ("", String),
            (" 42", String),
            ("42 ", String),
            ("abc", String),
        ];
        for (value, kind) in cases {
            assert_eq!(Kind::of(value), kind, "for {value:?}");
        }
    }

    #[test]
    fn kinds_join_to_the_narrowest_common_type() {
        use Kind::*;
        let all = [Integer, Decimal, Boolean, Date, DateTime, String];
        for a in all {
            assert_eq!(a.join(a), a);
            assert_eq!(a.join(String), String);
            for b in all {
                assert_eq!(a.join(b), b.join(a));
            }
        }
        assert_eq!(Integer.join(Decimal), Decimal);
        assert_eq!(Integer.join(Boolean), String);
        assert_eq!(Date.join(DateTime), String);
        assert_eq!(Decimal.join(Date), String);
    }

    #[test]
    fn leaf_types_fit_every_value_at_the_path() {
        for (values, expected) in [
            (&["1", "2"][..], "xs:integer"),
            (&["1", "2.5"], "xs:decimal"),
            (&["1.25", "-3"], "xs:decimal"),
            (&["true", "false"], "xs:boolean"),
            (&["true", "1"], "xs:string"),
            (&["2024-01-01", "2024-12-31"], "xs:date"),
            (&["2024-01-01", "2024-01-01T00:00:00"], "xs:string"),
            (&["1", ""], "xs:string"),
            (&["", ""], "xs:string"),
            (&["1", "  "], "xs:string"),
            (&["1", "x"], "xs:string"),
        ] {
            let elements: String = values.iter().map(|v| format!("<v>{v}</v>")).collect();
            let sample = format!("<r>{elements}</r>");
            assert_eq!(leaf_type(&sample), expected, "for {values:?}");
            // The same across parent instances instead of within one.
            let parents: String = values
                .iter()
                .map(|v| format!("<p><v>{v}</v></p>"))
                .collect();
            let sample = format!("<r>{parents}</r>");
            let schema = schema(&xsd(&sample));
            let ContentDecl::Sequence(p) = &schema.root.content else {
                panic!("no children");
            };
            let ContentDecl::Sequence(v) = &p[0].content else {
                panic!("no children");
            };
            assert!(matches!(&v[0].content, ContentDecl::Simple(kind) if kind == expected));
        }
    }

    #[test]
    fn references_and_cdata_are_text() {
        assert_eq!(leaf_type("<r><v>&#49;&#x32;</v></r>"), "xs:integer");
        assert_eq!(leaf_type("<r><v><![CDATA[2024-01-01]]></v></r>"), "xs:date");
        assert_eq!(leaf_type("<r><v>1<!-- c -->2</v></r>"), "xs:integer");
        assert_eq!(leaf_type("<r><v>1\r\n</v></r>"), "xs:string");
        let text = xsd("<r><v a=\"&#49;\" b=\" 1\" c=\"1&#10;\"/></r>");
        assert!(text.contains("<xs:attribute name=\"a\" type=\"xs:integer\" use=\"required\"/>"));
        assert!(text.contains("<xs:attribute name=\"b\" type=\"xs:string\" use=\"required\"/>"));
        assert!(text.contains("<xs:attribute name=\"c\" type=\"xs:string\" use=\"required\"/>"));
    }

    // --- structure

    #[test]
    fn occurrences() {
        let schema = schema(&xsd(
            "<r><p><a/><b/><b/></p><p><b/><c/></p><p><b/></p><p/></r>",
        ));
        let ContentDecl::Sequence(p) = &schema.root.content else {
            panic!("no children");
        };
        assert!(p[0].unbounded && !p[0].optional);
        let ContentDecl::Sequence(children) = &p[0].content else {
            panic!("no children");
        };
        let occurs: Vec<(&str, bool, bool)> = children
            .iter()
            .map(|c| (c.name.as_str(), c.optional, c.unbounded))
            .collect();
        // `b` is in three of four `p`s and twice in one of them.
        assert_eq!(
            occurs,
            [("a", true, false), ("b", true, true), ("c", true, false)]
        );
    }

    #[test]
    fn an_element_empty_in_some_instances_keeps_its_children_optional() {
        let text = xsd("<r><p><a>1</a></p><p>\n  </p><p/></r>");
        assert!(
            text.contains("<xs:element name=\"a\" type=\"xs:integer\" minOccurs=\"0\"/>"),
            "{text}"
        );
    }

    #[test]
    fn orders_merge() {
        let names = |sample: &str| {
            let schema = schema(&xsd(sample));
            let ContentDecl::Sequence(p) = &schema.root.content else {
                panic!("no children");
            };
            let ContentDecl::Sequence(children) = &p[0].content else {
                panic!("no children");
            };
            children
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(names("<r><p><a/><c/></p><p><a/><b/><c/></p></r>"), "a b c");
        assert_eq!(
            names("<r><p><c/></p><p><a/><b/></p><p><b/><c/></p></r>"),
            "a b c"
        );
        assert_eq!(names("<r><p><x/><z/></p><p><y/></p></r>"), "x z y");
        assert_eq!(
            names("<r><p><d/></p><p><b/><d/></p><p><a/><b/></p></r>"),
            "a b d"
        );
    }

    #[test]
    fn prefixed_root_namespace() {
        let sample = r#"<o:Order xmlns:o="urn:o" note="x"><o:Id>1</o:Id><o:Lines xmlns="urn:o"><Line/></o:Lines></o:Order>"#;
        let text = xsd(sample);
        assert!(text.contains(r#"targetNamespace="urn:o" elementFormDefault="qualified""#));
    }

    #[test]
    fn namespace_uris_are_escaped() {
        let text = xsd(r#"<r xmlns="urn:a&amp;b&quot;"/>"#);
        assert!(
            text.contains(r#"targetNamespace="urn:a&amp;b&quot;""#),
            "{text}"
        );
    }

    #[test]
    fn root_only_documents() {
        assert!(xsd("<r/>").contains("<xs:element name=\"r\" type=\"xs:string\"/>"));
        assert!(xsd("\u{FEFF}<r>5</r>").contains("<xs:element name=\"r\" type=\"xs:integer\"/>"));
        let text = xsd("<r a=\"1\"/>");
        assert!(text.contains("<xs:extension base=\"xs:string\">"));
    }

    // --- errors

    fn xml_error(sample: &str) -> InferError {
        xsd_from_sample(sample, "test").expect_err("refused")
    }

    fn json_error(sample: &str) -> InferError {
        json_schema_from_sample(sample, "test").expect_err("refused")
    }

    #[test]
    fn malformed_samples_are_located() {
        let error = xml_error("<r>\n  <a>1</b>\n</r>");
        assert_eq!(
            error,
            InferError::Malformed {
                format: SampleFormat::Xml,
                message: "mismatched end tag: expected </a>, found </b>".into(),
                line: 2,
                column: 7,
            }
        );
        assert_eq!(
            error.to_string(),
            "the sample is not well-formed XML: mismatched end tag: expected </a>, found </b> (line 2, column 7)"
        );
        let error = json_error("{\n  \"a\": 1,\n  \"b\": ]\n}");
        let InferError::Malformed {
            format: SampleFormat::Json,
            line: 3,
            column: 8,
            ..
        } = error
        else {
            panic!("{error:?}");
        };
    }

    #[test]
    fn doctype_is_refused() {
        let error =
            xml_error("<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY x \"y\">]>\n<r>&x;</r>");
        assert_eq!(
            error,
            InferError::Malformed {
                format: SampleFormat::Xml,
                message: "DOCTYPE is not allowed".into(),
                line: 2,
                column: 1,
            }
        );
    }

    #[test]
    fn a_json_number_out_of_range_says_where_once() {
        assert_eq!(
            json_error("{\"a\": 1e999}").to_string(),
            "the sample is not well-formed JSON: number out of range (line 1, column 11)"
        );
    }

    #[test]
    fn empty_samples_are_refused() {
        for sample in ["", "  \n", "\u{FEFF}"] {
            assert_eq!(
                xml_error(sample),
                InferError::Empty {
                    format: SampleFormat::Xml
                }
            );
        }
        assert_eq!(xml_error("").to_string(), "the XML sample is empty");
        for sample in ["", " \r\n\t"] {
            assert_eq!(
                json_error(sample),
                InferError::Empty {
                    format: SampleFormat::Json
                }
            );
        }
        // Markup without an element is not empty, but has no root.
        assert!(matches!(
            xml_error("<?xml version=\"1.0\"?><!-- nothing -->"),
            InferError::Malformed { .. }
        ));
    }

    #[test]
    fn deep_samples_are_refused() {
        let deep = format!("{}{}", "<a>".repeat(65), "</a>".repeat(65));
        assert_eq!(
            xml_error(&deep),
            InferError::TooDeep {
                format: SampleFormat::Xml,
                max_depth: 64,
                line: 1,
                column: 193,
            }
        );
        let fine = format!("{}{}", "<a>".repeat(64), "</a>".repeat(64));
        assert!(xsd_from_sample(&fine, "test").is_ok());
        // Deep and malformed later: the depth is found first.
        assert!(matches!(
            xml_error(&format!("{deep}<")),
            InferError::TooDeep { .. }
        ));
        // Malformed before the depth: that is what is reported.
        assert!(matches!(
            xml_error(&format!("<a></b>{deep}")),
            InferError::Malformed { .. }
        ));

        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert!(matches!(
            json_error(&deep),
            InferError::TooDeep {
                format: SampleFormat::Json,
                max_depth: 64,
                line: 1,
                column: 65,
            }
        ));
        let fine = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(json_schema_from_sample(&fine, "test").is_ok());
        // Unclosed, deeper than serde_json's own limit: still the depth.
        assert!(matches!(
            json_error(&"[".repeat(200)),
            InferError::TooDeep { .. }
        ));
    }

    #[test]
    fn mixed_content_is_inferred() {
        // `xsd` checks that the sample validates against what it infers.
        let mixed = |sample: &str| {
            let text = xsd(sample);
            text.lines()
                .filter(|line| line.contains("<xs:complexType mixed=\"true\">"))
                .count()
        };
        assert_eq!(mixed("<r>\n  <p>text <b>bold</b> and more</p>\n</r>"), 1);
        // Text after the children, references and CDATA are text too.
        assert_eq!(mixed("<r><b/>tail</r>"), 1);
        assert_eq!(mixed("<r><b/>&amp;</r>"), 1);
        assert_eq!(mixed("<r><![CDATA[x]]><b/></r>"), 1);
        // Across instances of one path, either way round: the children
        // are optional, since an instance has none.
        for sample in [
            "<r><p><b/></p><p>text</p></r>",
            "<r><p>text</p><p><b/></p></r>",
        ] {
            let text = xsd(sample);
            assert!(text.contains("<xs:complexType mixed=\"true\">"), "{text}");
            assert!(
                text.contains(r#"<xs:element name="b" type="xs:string" minOccurs="0"/>"#),
                "{text}"
            );
        }
        // Whitespace between children is layout, and text-only elements
        // keep their simple types.
        assert_eq!(mixed("<r>\n  <p>1</p>\n  <q>x</q>\n</r>"), 0);
        let text = xsd("<r><p a=\"1\">text <b>2</b></p></r>");
        assert!(text.contains("<xs:complexType mixed=\"true\">"), "{text}");
        assert!(
            text.contains(r#"<xs:element name="b" type="xs:integer"/>"#),
            "{text}"
        );
        assert!(
            text.contains(r#"<xs:attribute name="a" type="xs:integer" use="required"/>"#),
            "{text}"
        );
    }

    #[test]
    fn scattered_repeats_are_refused() {
        let error = xml_error("<r>\n  <a/>\n  <b/>\n  <a/>\n</r>");
        assert_eq!(
            error,
            InferError::ScatteredRepeat {
                path: "/r/a".into(),
                after: "b".into(),
                line: 4,
                column: 3,
            }
        );
        assert_eq!(
            error.to_string(),
            "`/r/a` appears again after `b` (line 4, column 3): a sequence keeps the repeats of an element together; group them in the sample"
        );
    }

    #[test]
    fn conflicting_orders_are_refused() {
        let error = xml_error("<r>\n<p><a/><b/></p>\n<p><b/><a/></p>\n</r>");
        assert_eq!(
            error.to_string(),
            "the children of `/r/p` come in orders no single sequence allows: `a` before `b` (line 2, column 8), `b` before `a` (line 3, column 8); use one order in the sample"
        );
        let error = xml_error("<r>\n<p><a/><b/></p>\n<p><b/><c/></p>\n<p><c/><a/></p>\n</r>");
        let InferError::ConflictingOrder { path, order } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(path, "/r/p");
        let facts: Vec<(&str, &str, usize)> = order
            .iter()
            .map(|p| (p.before.as_str(), p.after.as_str(), p.line))
            .collect();
        assert_eq!(facts, [("a", "b", 2), ("b", "c", 3), ("c", "a", 4)]);
    }

    #[test]
    fn other_namespaces_are_refused() {
        assert_eq!(
            xml_error("<r xmlns=\"urn:a\">\n  <x:e xmlns:x=\"urn:b\"/>\n</r>"),
            InferError::ForeignNamespace {
                path: "/r/e".into(),
                namespace: Some("urn:b".into()),
                root_namespace: Some("urn:a".into()),
                line: 2,
                column: 3,
            }
        );
        let error = xml_error("<r><e xmlns=\"urn:b\"/></r>");
        assert_eq!(
            error.to_string(),
            "`/r/e` is in namespace `urn:b` but the root element is in no namespace (line 1, column 4): an inferred XSD describes a single namespace"
        );
        // Unqualified children of a namespaced root.
        assert!(matches!(
            xml_error("<o:r xmlns:o=\"urn:o\"><e/></o:r>"),
            InferError::ForeignNamespace { .. }
        ));
        let error = xml_error("<r><e xml:lang=\"en\"/></r>");
        assert_eq!(
            error,
            InferError::QualifiedAttribute {
                path: "/r/e".into(),
                name: "xml:lang".into(),
                line: 1,
                column: 4,
            }
        );
    }

    // --- properties

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Values of every kind, and near misses.
        fn text_value() -> impl Strategy<Value = std::string::String> {
            prop_oneof![
                any::<i64>().prop_map(|n| n.to_string()),
                (any::<i32>(), 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
                prop::sample::select(vec!["true", "false", "", " ", "0", "1", "007"])
                    .prop_map(str::to_owned),
                "[0-9]{4}-[01][0-9]-[0-3][0-9]",
                "[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9](\\.[0-9]{1,3})?(Z|[+-]1[0-5]:[0-9]{2})?",
                "[a-z0-9 .:+<&\"-]{0,6}",
            ]
        }

        #[derive(Debug, Clone)]
        struct Tree {
            name: &'static str,
            attributes: Vec<(&'static str, std::string::String)>,
            content: Content,
        }

        #[derive(Debug, Clone)]
        enum Content {
            Text(std::string::String),
            Children(Vec<Tree>),
        }

        fn tree() -> impl Strategy<Value = Tree> {
            let attributes = prop::sample::subsequence(vec!["x", "y"], 0..=2)
                .prop_flat_map(|names| {
                    let values = prop::collection::vec(text_value(), names.len());
                    (Just(names), values)
                })
                .prop_map(|(names, values)| names.into_iter().zip(values).collect::<Vec<_>>());
            let leaf = (
                prop::sample::select(vec!["d", "e", "f"]),
                attributes.clone(),
                text_value(),
            )
                .prop_map(|(name, attributes, text)| Tree {
                    name,
                    attributes,
                    content: Content::Text(text),
                });
            leaf.prop_recursive(4, 40, 6, move |inner| {
                (
                    prop::sample::select(vec!["A", "B", "C"]),
                    attributes.clone(),
                    prop::collection::vec(inner, 0..6),
                )
                    .prop_map(|(name, attributes, children)| Tree {
                        name,
                        attributes,
                        content: Content::Children(children),
                    })
            })
        }

        fn sorted(mut tree: Tree) -> Tree {
            if let Content::Children(children) = &mut tree.content {
                let taken = std::mem::take(children);
                *children = taken.into_iter().map(sorted).collect();
                children.sort_by_key(|child| child.name);
            }
            tree
        }

        fn render(tree: &Tree, out: &mut std::string::String, indent: usize) {
            out.push('<');
            out.push_str(tree.name);
            for (key, value) in &tree.attributes {
                out.push_str(&format!(" {key}=\"{}\"", xml::escape(value)));
            }
            out.push('>');
            match &tree.content {
                Content::Text(text) => out.push_str(&xml::escape(text)),
                Content::Children(children) => {
                    for child in children {
                        out.push('\n');
                        out.push_str(&"  ".repeat(indent + 1));
                        render(child, out, indent + 1);
                    }
                    if !children.is_empty() {
                        out.push('\n');
                        out.push_str(&"  ".repeat(indent));
                    }
                }
            }
            out.push_str("</");
            out.push_str(tree.name);
            out.push('>');
        }

        fn document(children: &[Tree], namespace: bool) -> std::string::String {
            let root = Tree {
                name: "R",
                attributes: Vec::new(),
                content: Content::Children(children.to_vec()),
            };
            let mut text = std::string::String::new();
            render(&root, &mut text, 0);
            if namespace {
                text = text.replacen("<R>", "<R xmlns=\"urn:t\">", 1);
            }
            text
        }

        fn json_value() -> impl Strategy<Value = Json> {
            let leaf = prop_oneof![
                Just(Json::Null),
                any::<bool>().prop_map(Json::from),
                any::<i64>().prop_map(Json::from),
                any::<u64>().prop_map(Json::from),
                (-1e9f64..1e9).prop_map(Json::from),
                text_value().prop_map(Json::from),
            ];
            leaf.prop_recursive(5, 64, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
                    prop::collection::vec(
                        (prop::sample::select(vec!["a", "b", "c", "d"]), inner),
                        0..6
                    )
                    .prop_map(|entries| Json::Object(
                        entries
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect()
                    )),
                ]
            })
        }

        proptest! {
            #[test]
            fn a_json_sample_validates_against_its_schema(value in json_value(), pretty in any::<bool>()) {
                let sample = if pretty { format!("{value:#}") } else { value.to_string() };
                let text = json_schema_from_sample(&sample, "p").expect("inferred");
                let schema: Json = serde_json::from_str(&text).expect("the schema is JSON");
                let reparsed: Json = serde_json::from_str(&sample).expect("the sample is JSON");
                prop_assert_eq!(validate_json(&schema, &reparsed, "$"), Ok(()), "{}", text);
                prop_assert_eq!(json_schema_from_sample(&sample, "p").ok(), Some(text));
            }

            #[test]
            fn an_xml_sample_in_one_order_validates_against_its_xsd(
                children in prop::collection::vec(tree(), 0..6),
                namespace in any::<bool>(),
            ) {
                let children: Vec<Tree> = children.into_iter().map(sorted).collect();
                let mut children = children;
                children.sort_by_key(|child| child.name);
                let sample = document(&children, namespace);
                let text = xsd_from_sample(&sample, "p").expect("inferred");
                prop_assert_eq!(validate_xml(&sample, &text), Ok(()), "{}\n{}", sample, text);
            }

            #[test]
            fn an_xml_sample_validates_or_is_refused_for_its_order(
                children in prop::collection::vec(tree(), 0..6),
            ) {
                let sample = document(&children, false);
                match xsd_from_sample(&sample, "p") {
                    Ok(text) => prop_assert_eq!(validate_xml(&sample, &text), Ok(()), "{}\n{}", sample, text),
                    Err(InferError::ScatteredRepeat { .. } | InferError::ConflictingOrder { .. }) => {}
                    Err(other) => prop_assert!(false, "{other}\n{sample}"),
                }
            }
        }
    }
}
