//! XML documents: parsing into template values, checking, splitting, wrapping, escaping.
//!
//! This module is everything flowgate knows about XML. The scanner cuts
//! tags, text and references out of the text itself and hands the rarer
//! markup (comments, CDATA sections, processing instructions, the XML
//! declaration) to quick-xml; it adds the well-formedness rules quick-xml
//! leaves to its users (names, attribute syntax, exactly one root element,
//! references, allowed characters, declared namespace prefixes) and
//! flowgate's own safety rules: no `<!DOCTYPE` at all, so no entity is ever
//! expanded (no XXE, no billion laughs), and limits on element nesting,
//! attributes per element and name length ([`XmlLimits`]).
//!
//! One scanner serves [`parse`], [`check`] and [`split`], so all three
//! accept and reject exactly the same documents with the same errors. XML
//! profiles (`crate::profile::xsd`) drive the same scanner through
//! `scan` and `Handler` to validate while they read. The
//! scanner is a single forward pass without recursion, and all it keeps
//! per element is released when that element ends, so time is linear in
//! the input.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use memchr::{memchr, memchr2, memchr3};
use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectExt};
use quick_xml::errors::{Error as ReaderError, IllFormedError, SyntaxError};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// Limits applied to every document this module reads.
///
/// Each bounds what one hostile document can make the scanner hold or
/// echo: open elements, attributes of one tag, and the length of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    /// Deepest element nesting accepted; the root element is at depth 1.
    pub max_depth: usize,
    /// Most attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
    /// Longest element or attribute name accepted, in bytes, prefix included.
    pub max_name_length: usize,
}

impl XmlLimits {
    /// The default limits with another nesting depth (`[limits] max_xml_depth`).
    pub fn with_depth(max_depth: usize) -> Self {
        Self {
            max_depth,
            ..Self::default()
        }
    }
}

impl Default for XmlLimits {
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_attributes: 256,
            max_name_length: 1024,
        }
    }
}

/// A document that is not well-formed XML or breaks a limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct XmlError {
    /// What is wrong, worded for the author of the document.
    pub message: String,
    /// 1-based line of the offending place in the input text.
    pub line: usize,
    /// 1-based column, counted in characters, of the offending place.
    pub column: usize,
    /// Byte offset of the offending place in the input text.
    pub offset: usize,
}

/// Parses one XML document into the value templates see as `doc`.
///
/// The result is a map with one entry, the root element's local name, so
/// `<Order><Id>42</Id></Order>` gives `{"Order": {"Id": "42"}}`. An element
/// with neither attributes nor child elements becomes its text; any other
/// element becomes a map of `@attribute`s, child elements (a list when a
/// name repeats) and `#text`, in document order. Namespace prefixes are
/// dropped and `xmlns` declarations are not attributes.
pub fn parse(text: &str, limits: &XmlLimits) -> Result<Value, XmlError> {
    let mut builder = ValueBuilder::default();
    scan(text, limits, &mut builder)?;
    Ok(builder.finish())
}

/// Checks that `text` is one well-formed XML document under the same rules
/// and limits as [`parse`], without building a value.
pub fn check(text: &str, limits: &XmlLimits) -> Result<(), XmlError> {
    scan(text, limits, &mut Checker)
}

/// The items of a list document, each as a standalone XML document text.
///
/// `path` names elements by local name from the root down and includes the
/// root: `["Order", "Lines", "Line"]` selects every `Line` in every `Lines`
/// of the root `Order`. A path that does not match the document (another
/// root, say) selects nothing. An empty path selects every child element of
/// the root, like [`split_children`].
///
/// Each item is the element's exact source text, with the namespace
/// declarations of its ancestors that its element and attribute names use
/// added to its start tag, so that its prefixes stay bound ([`Inherited`]);
/// the ones it does not use are left out. The whole document is checked first: a
/// document that is not well-formed is an error, not a shorter list.
pub fn split(text: &str, path: &[&str], limits: &XmlLimits) -> Result<Vec<String>, XmlError> {
    let body = without_bom(text);
    let mut splitter = Splitter::new(body, path);
    scan(text, limits, &mut splitter)?;
    splitter.finish(text)
}

/// Every child element of the root, each as a standalone XML document text
/// (see [`split`]): the items of a list document. The root holds nothing
/// else: text in it (not whitespace) is an error at the root's start tag.
pub fn split_children(text: &str, limits: &XmlLimits) -> Result<Vec<String>, XmlError> {
    let body = without_bom(text);
    let mut splitter = Splitter::new(body, &[]);
    splitter.strict = true;
    scan(text, limits, &mut splitter)?;
    if splitter.overspent.is_some() {
        return splitter.finish(text);
    }
    if let Some((name, at)) = splitter.stray {
        let (line, column) = line_and_column(body, at);
        return Err(XmlError {
            message: format!("text is not allowed in `{name}`: it holds only the items"),
            line,
            column,
            offset: at + (text.len() - body.len()),
        });
    }
    Ok(splitter.items)
}

/// One document holding every item under a wrapper element `<name>`.
///
/// Each item's leading whitespace and XML declaration are dropped; the
/// rest is copied as is. `attributes` go on the wrapper's start tag with
/// their values escaped; `name` and the attribute names must be valid XML
/// names, which is the caller's to ensure.
pub fn wrap(name: &str, attributes: &[(&str, &str)], items: &[&str]) -> String {
    let mut out = String::with_capacity(
        64 + 2 * name.len() + items.iter().map(|item| item.len()).sum::<usize>(),
    );
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
    out.push_str(name);
    for (key, value) in attributes {
        out.push(' ');
        out.push_str(key);
        out.push_str("=\"");
        out.push_str(&escape(value));
        out.push('"');
    }
    out.push('>');
    for item in items {
        out.push_str(without_declaration(item));
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
    out
}

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> Cow<'_, str> {
    let Some(first) = text.bytes().position(|byte| entity(byte).is_some()) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    push_replacing(&mut out, &text[first..], entity);
    Cow::Owned(out)
}

/// The entity [`escape`] writes for `byte`, if it is one of the five
/// characters XML gives a meaning.
pub(crate) fn entity(byte: u8) -> Option<&'static str> {
    match byte {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' => Some("&quot;"),
        b'\'' => Some("&apos;"),
        _ => None,
    }
}

/// Appends `text` to `out` with each ASCII byte that `replace` gives a
/// text for replaced by it, in one pass over the bytes. Other bytes are
/// never offered, so the text is cut on character boundaries only.
pub(crate) fn push_replacing(
    out: &mut String,
    text: &str,
    replace: impl Fn(u8) -> Option<&'static str>,
) {
    let mut clean = 0;
    for (at, byte) in text.bytes().enumerate() {
        if !byte.is_ascii() {
            continue;
        }
        if let Some(replacement) = replace(byte) {
            out.push_str(&text[clean..at]);
            out.push_str(replacement);
            clean = at + 1;
        }
    }
    out.push_str(&text[clean..]);
}

/// Escapes text that flowgate writes about a request (a problem's detail, a
/// SOAP fault's reason): a character XML does not allow, such as a control
/// character a client sent, becomes U+FFFD, so the answer stays well-formed.
pub fn escape_lossy(text: &str) -> Cow<'_, str> {
    if text.chars().all(is_xml_char) {
        return escape(text);
    }
    let allowed: String = text
        .chars()
        .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
        .collect();
    Cow::Owned(escape(&allowed).into_owned())
}

/// An item without its leading whitespace and XML declaration.
pub(crate) fn without_declaration(item: &str) -> &str {
    let item = without_bom(item).trim_start_matches(is_xml_whitespace);
    let Some(rest) = item.strip_prefix("<?xml") else {
        return item;
    };
    // `<?xml-stylesheet ...?>` is a processing instruction, not a declaration.
    if !rest.starts_with(|c| is_xml_whitespace(c) || c == '?') {
        return item;
    }
    match rest.split_once("?>") {
        Some((_, after)) => after.trim_start_matches(is_xml_whitespace),
        None => item,
    }
}

/// Most entries an element map finds by scanning; a larger one is hashed.
const SCANNED_ENTRIES: usize = 12;

/// The map value of an element's entries (attributes, children, text), in
/// document order; a repeated key keeps its first place and its last value.
///
/// The usual element has a handful of entries: scanned, they are found as
/// fast as hashed ones, and the map is built without hashing any. Larger
/// elements get minijinja's own map. Templates cannot tell the two apart.
pub(crate) fn element_map(mut entries: Vec<(Value, Value)>) -> Value {
    if entries.len() > SCANNED_ENTRIES {
        return Value::from_pairs(entries);
    }
    let mut i = 1;
    while i < entries.len() {
        match entries[..i]
            .iter()
            .position(|(key, _)| *key == entries[i].0)
        {
            Some(first) => {
                let (_, value) = entries.remove(i);
                entries[first].1 = value;
            }
            None => i += 1,
        }
    }
    Value::from_object(Element(entries))
}

/// [`element_map`] of entries whose keys are known to be distinct, so
/// there are no repeated keys to look for.
pub(crate) fn element_map_of_distinct(entries: Vec<(Value, Value)>) -> Value {
    if entries.len() > SCANNED_ENTRIES {
        return Value::from_pairs(entries);
    }
    Value::from_object(Element(entries))
}

/// See [`element_map`].
#[derive(Debug)]
pub(crate) struct Element(Vec<(Value, Value)>);

impl Element {
    /// Every entry, in order.
    pub(crate) fn entries(&self) -> &[(Value, Value)] {
        &self.0
    }

    /// The entry named `key`, by reference (see [`crate::template`]'s borrowed paths).
    /// Inlined: every step of a path through a document comes here.
    #[inline]
    pub(crate) fn entry(&self, key: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(k, _)| k.as_str().is_some_and(|k| same_name(k, key)))
            .map(|(_, value)| value)
    }
}

impl Object for Element {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if let Some(key) = key.as_str() {
            return self.get_value_by_str(key);
        }
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value.clone())
    }

    // Templates look up names on the request path (`doc.Order.Lines.Line`):
    // keys are compared as names, without the C library's `memcmp`.
    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.entry(key).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.mapped_rev_key_value_enumerator(|this| {
            Box::new(this.0.iter().map(|(k, v)| (k.clone(), v.clone())))
        })
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.0.len())
    }
}

/// The text after a leading byte order mark; the scanner's offsets count from there.
pub(crate) fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

// ---------------------------------------------------------------------------
// The scanner

/// An error at a byte offset of the document body; located when it leaves.
struct Fail {
    at: usize,
    message: String,
}

fn fail<T>(at: usize, message: impl Into<String>) -> Result<T, Fail> {
    Err(Fail {
        at,
        message: message.into(),
    })
}

/// What the scanner reports about a well-formed start tag. Offsets count
/// from the start of the text after any byte order mark.
pub(crate) struct StartTag<'a> {
    pub(crate) local: &'a str,
    pub(crate) prefix: Option<&'a str>,
    /// Offset of the tag's `<`.
    pub(crate) start: usize,
    /// Offset just after the element's name, where declarations can be inserted.
    pub(crate) name_end: usize,
    /// 1 for the root element.
    pub(crate) depth: usize,
}

/// An attribute of a start tag, value decoded.
pub(crate) struct Attr<'a> {
    pub(crate) local: &'a str,
    pub(crate) prefix: Option<&'a str>,
    pub(crate) name_at: usize,
    pub(crate) value: Cow<'a, str>,
    /// `xmlns` or `xmlns:*`: a namespace declaration, not data.
    pub(crate) is_declaration: bool,
}

/// An attribute as written, before its name and value are checked.
struct RawAttr<'a> {
    name: &'a str,
    name_at: usize,
    value: &'a str,
    value_at: usize,
}

/// Character data inside the root element, in document order.
pub(crate) enum Text<'a> {
    /// Text as written: no references, line ends not yet normalized.
    Raw(&'a str),
    /// Content of a CDATA section, line ends not yet normalized.
    Cdata(&'a str),
    /// A resolved entity or character reference.
    Char(char),
}

impl Text<'_> {
    /// Whether the text is XML whitespace only.
    pub(crate) fn is_blank(&self) -> bool {
        match self {
            // Whitespace is ASCII, and no byte of another character is.
            Text::Raw(raw) | Text::Cdata(raw) => raw
                .bytes()
                .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')),
            Text::Char(c) => is_xml_whitespace(*c),
        }
    }
}

/// Receives the document from the scanner. Everything it is given has
/// already been checked, so handlers cannot fail.
pub(crate) trait Handler<'a> {
    fn start(&mut self, _tag: &StartTag<'a>, _attrs: &[Attr<'a>], _namespaces: &Namespaces<'a>) {}
    fn text(&mut self, _text: Text<'a>) {}
    /// The element at `depth` ended; `end` is the offset just after its end tag.
    fn end(&mut self, _depth: usize, _end: usize) {}
}

/// Reads `text` as one XML document, reporting it to `handler` as it goes.
/// Stops at the first well-formedness error or broken limit.
pub(crate) fn scan<'a>(
    text: &'a str,
    limits: &XmlLimits,
    handler: &mut impl Handler<'a>,
) -> Result<(), XmlError> {
    let body = without_bom(text);
    Scanner::new(body, limits).run(handler).map_err(|fail| {
        let (line, column) = line_and_column(body, fail.at);
        XmlError {
            message: fail.message,
            line,
            column,
            offset: fail.at + (text.len() - body.len()),
        }
    })
}

struct Scanner<'a> {
    body: &'a str,
    limits: XmlLimits,
    /// Qualified name and start offset of each open element, root first.
    open: Vec<(&'a str, usize)>,
    root_closed: bool,
    namespaces: Namespaces<'a>,
    // Buffers reused from tag to tag.
    raw_attrs: Vec<RawAttr<'a>>,
    attrs: Vec<Attr<'a>>,
    seen: HashSet<&'a str>,
    /// Whether [`Scanner::plain_tag`] reads the tags it can, and a
    /// document's first [`COMMON_DECLARATIONS`] is skipped. Always on,
    /// except in the test that holds both to the general path.
    plain_tags: bool,
}

impl<'a> Scanner<'a> {
    fn new(body: &'a str, limits: &XmlLimits) -> Self {
        Self {
            body,
            limits: *limits,
            open: Vec::new(),
            root_closed: false,
            namespaces: Namespaces::default(),
            raw_attrs: Vec::new(),
            attrs: Vec::new(),
            seen: HashSet::new(),
            plain_tags: true,
        }
    }

    fn run(&mut self, handler: &mut impl Handler<'a>) -> Result<(), Fail> {
        check_characters(self.body)?;
        let bytes = self.body.as_bytes();
        let mut at = 0;
        while let Some(&byte) = bytes.get(at) {
            at = match byte {
                b'<' => self.markup(at, handler)?,
                b'&' => self.reference(at, handler)?,
                _ => {
                    // A run of text ends at a `<` or `&`. A `>` in it is rare
                    // (and an error only in `]]>`): found in the same search,
                    // it sends the run to be looked at closer.
                    let (end, has_gt) = match find_any3(b'<', b'&', b'>', &bytes[at..]) {
                        Some(i) if bytes[at + i] == b'>' => {
                            let after = at + i;
                            let end = find_either(b'<', b'&', &bytes[after..])
                                .map_or(bytes.len(), |j| after + j);
                            (end, true)
                        }
                        Some(i) => (at + i, false),
                        None => (bytes.len(), false),
                    };
                    self.text(self.token(at, end)?, at, has_gt, handler)?;
                    end
                }
            };
        }
        self.finish(at)
    }

    /// The text from `start` to `end`. Tokens start and end at ASCII
    /// delimiters, so this cannot fail; it is checked all the same.
    fn token(&self, start: usize, end: usize) -> Result<&'a str, Fail> {
        match self.body.get(start..end) {
            Some(token) => Ok(token),
            None => fail(start, "internal error: token outside the document"),
        }
    }

    /// Reads the markup that starts with the `<` at `at`; returns where it ends.
    ///
    /// Start and end tags, nearly all the markup there is, are cut out here:
    /// a tag runs to the first `>` outside a quoted attribute value. The
    /// rest (comments, CDATA sections, processing instructions, the XML
    /// declaration) goes to quick-xml, whose wording and error positions for
    /// them this module has always reported.
    fn markup(&mut self, at: usize, handler: &mut impl Handler<'a>) -> Result<usize, Fail> {
        let bytes = self.body.as_bytes();
        let Some(&next) = bytes.get(at + 1) else {
            return fail(at, "tag is not closed: missing `>`");
        };
        if matches!(next, b'!' | b'?') {
            return self.other_markup(at, handler);
        }
        if self.plain_tags
            && let Some(end) = self.plain_tag(at, next == b'/', handler)
        {
            return Ok(end);
        }
        let name_at = at + 1 + usize::from(next == b'/');
        let name = leading_name(self.token(name_at, bytes.len())?);
        let end = match plain_tag_end(bytes, name_at + name.len()) {
            Some(end) => end,
            None => match tag_length(&bytes[at..]) {
                Ok(length) => at + length,
                Err(message) => return fail(at, message),
            },
        };
        let raw = self.token(at, end)?;
        if next == b'/' {
            self.end_tag(raw, name, at, handler)?;
        } else {
            let empty = raw[1..].ends_with("/>");
            self.start_tag(raw, name, at, empty, handler)?;
        }
        Ok(end)
    }

    /// The tag at `at` when it is the usual kind, and well-formed: an end
    /// tag `</name>` of the innermost open element, or a start tag of an
    /// ASCII name whose attributes, if any, are plain (see
    /// [`Scanner::plain_attributes`]), its element allowed where it is and
    /// its prefix bound. Reports it as [`Scanner::start_tag`] and
    /// [`Scanner::end_tag`] would and returns where it ends; `None` leaves
    /// any other tag to them, errors included, having reported nothing.
    ///
    /// Nearly every tag of a document is one of these, and reading it
    /// takes one pass over its bytes instead of cutting the tag out, then
    /// its name, then its parts and its attributes.
    fn plain_tag(
        &mut self,
        at: usize,
        closing: bool,
        handler: &mut impl Handler<'a>,
    ) -> Option<usize> {
        let bytes = self.body.as_bytes();
        let name_at = at + 1 + usize::from(closing);
        let (length, colon) = plain_name(bytes.get(name_at..)?, self.limits.max_name_length)?;
        let name_end = name_at + length;
        let name = self.body.get(name_at..name_end)?;
        if closing {
            if bytes.get(name_end) != Some(&b'>') {
                return None;
            }
            let &(expected, _) = self.open.last()?;
            if !same_name(name, expected) {
                return None;
            }
            self.open.pop();
            let end = name_end + 1;
            self.close(self.open.len() + 1, end, handler);
            return Some(end);
        }
        let depth = self.open.len() + 1;
        if self.root_closed || depth > self.limits.max_depth {
            return None;
        }
        let (prefix, local) = split_at(name, colon)?;
        if prefix.is_some_and(|prefix| !self.namespaces.is_bound(prefix)) {
            return None;
        }
        // Most tags have no attributes: their end is found here.
        let (end, empty) = match bytes.get(name_end..)? {
            [b'>', ..] => {
                self.attrs.clear();
                (name_end + 1, false)
            }
            [b'/', b'>', ..] => {
                self.attrs.clear();
                (name_end + 2, true)
            }
            _ => self.plain_attributes(name_end)?,
        };
        let tag = StartTag {
            local,
            prefix,
            start: at,
            name_end,
            depth,
        };
        self.report_start(&tag, name, end, empty, handler);
        Some(end)
    }

    /// Reads a start tag from `from`, just after its name, to its `>` or
    /// `/>`, when every attribute is plain: written `name="value"` (or
    /// with `'`) after whitespace, an ASCII name that is no namespace
    /// declaration, its prefix bound, no other attribute of that name, and
    /// a value without references, `<`, tabs or line ends, which therefore
    /// reads as written. Leaves the attributes in `self.attrs` and returns
    /// where the tag ends and whether it is empty; `None` for any other tag.
    fn plain_attributes(&mut self, from: usize) -> Option<(usize, bool)> {
        // Duplicates are looked for pairwise: only among a few attributes.
        const MOST: usize = 8;
        let body = self.body;
        let bytes = body.as_bytes();
        self.attrs.clear();
        let mut pos = from;
        loop {
            let spaced = pos;
            while bytes.get(pos).is_some_and(|&b| is_xml_whitespace_byte(b)) {
                pos += 1;
            }
            match bytes.get(pos..)? {
                [b'>', ..] => return Some((pos + 1, false)),
                [b'/', b'>', ..] => return Some((pos + 2, true)),
                _ if pos == spaced || self.attrs.len() >= self.limits.max_attributes.min(MOST) => {
                    return None;
                }
                _ => {}
            }
            let name_at = pos;
            let (length, colon) = plain_name(bytes.get(pos..)?, self.limits.max_name_length)?;
            let (prefix, local) = split_at(body.get(pos..pos + length)?, colon)?;
            let declares = prefix == Some("xmlns") || (prefix.is_none() && local == "xmlns");
            if declares
                || prefix.is_some_and(|prefix| !self.namespaces.is_bound(prefix))
                || self.attrs.iter().any(|a| {
                    same_name(a.local, local)
                        && (a.prefix == prefix
                            || (a.prefix.is_some()
                                && prefix.is_some()
                                && self.namespaces.resolve(a.prefix.unwrap_or_default())
                                    == self.namespaces.resolve(prefix.unwrap_or_default())))
                })
            {
                return None;
            }
            pos += length;
            let [b'=', quote @ (b'"' | b'\''), ..] = *bytes.get(pos..)? else {
                return None;
            };
            let value_at = pos + 2;
            let value_length = find_byte(quote, bytes.get(value_at..)?)?;
            let value = body.get(value_at..value_at + value_length)?;
            if !reads_as_written(value) {
                return None;
            }
            self.attrs.push(Attr {
                local,
                prefix,
                name_at,
                value: Cow::Borrowed(value),
                is_declaration: false,
            });
            pos = value_at + value_length + 1;
        }
    }

    /// Reports a start tag that has passed every check, with the
    /// attributes in `self.attrs`, and opens its element; or, for an empty
    /// tag, which ends at `end`, closes it too. `name` is its qualified name.
    // Inlined: a call per start tag costs the scanner 3% of its work.
    #[inline(always)]
    fn report_start(
        &mut self,
        tag: &StartTag<'a>,
        name: &'a str,
        end: usize,
        empty: bool,
        handler: &mut impl Handler<'a>,
    ) {
        handler.start(tag, &self.attrs, &self.namespaces);
        if empty {
            self.close(tag.depth, end, handler);
        } else {
            self.open.push((name, tag.start));
        }
    }

    /// A comment, CDATA section, processing instruction or XML declaration
    /// at `at`, read by quick-xml.
    fn other_markup(&mut self, at: usize, handler: &mut impl Handler<'a>) -> Result<usize, Fail> {
        // Caught before quick-xml reads the DTD, which may be huge or unclosed.
        if is_doctype(self.body, at) {
            return fail(at, "DOCTYPE is not allowed");
        }
        // Most documents open with one of a few declarations, each of which
        // `declaration` accepts wherever it stands first: it is skipped.
        if at == 0
            && self.plain_tags
            && let Some(common) = COMMON_DECLARATIONS
                .iter()
                .find(|common| self.body.starts_with(**common))
        {
            return Ok(at + common.len());
        }
        let mut reader = Reader::from_str(self.token(at, self.body.len())?);
        reader.config_mut().check_comments = true;
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(error) => {
                return Err(reader_error(
                    &error,
                    at + to_offset(reader.error_position()),
                ));
            }
        };
        let end = at + to_offset(reader.buffer_position());
        let raw = self.token(at, end)?;
        match event {
            Event::CData(_) => {
                self.require_root(at)?;
                let content = raw
                    .strip_prefix("<![CDATA[")
                    .and_then(|rest| rest.strip_suffix("]]>"))
                    .unwrap_or_default();
                handler.text(Text::Cdata(content));
            }
            Event::Comment(_) => {}
            Event::Decl(_) => self.declaration(raw, at)?,
            Event::PI(_) => self.instruction(raw, at)?,
            Event::DocType(_) => return fail(at, "DOCTYPE is not allowed"),
            // quick-xml reads markup that starts with `<!` or `<?` as one of the above.
            _ => return fail(at, "internal error: unexpected markup"),
        }
        Ok(end)
    }

    /// `name` is the element's name, as [`leading_name`] finds it after the `<`.
    fn start_tag(
        &mut self,
        raw: &'a str,
        name: &'a str,
        at: usize,
        empty: bool,
        handler: &mut impl Handler<'a>,
    ) -> Result<(), Fail> {
        if self.root_closed {
            return fail(
                at,
                "only one root element is allowed: found another element after it",
            );
        }
        let depth = self.open.len() + 1;
        if depth > self.limits.max_depth {
            return fail(
                at,
                format!("nesting deeper than {} elements", self.limits.max_depth),
            );
        }
        let close = if empty { "/>" } else { ">" };
        let inner = raw
            .strip_prefix('<')
            .and_then(|rest| rest.strip_suffix(close))
            .unwrap_or_default();
        let inner_at = at + 1;
        if name.is_empty() {
            return fail(
                at,
                "expected an element name after `<` (write a literal `<` in text as &lt;)",
            );
        }
        self.check_name_length(name, inner_at, "element")?;
        let Some((prefix, local)) = split_scanned_name(name) else {
            return fail(
                inner_at,
                format!("invalid element name `{}`", shorten(name)),
            );
        };
        let name_end = inner_at + name.len();
        lex_attributes(
            inner.get(name.len()..).unwrap_or_default(),
            name_end,
            self.limits.max_attributes,
            &mut self.raw_attrs,
        )?;
        for attr in &self.raw_attrs {
            self.check_name_length(attr.name, attr.name_at, "attribute")?;
        }
        self.check_duplicates()?;

        self.attrs.clear();
        for attr in &self.raw_attrs {
            let Some((attr_prefix, attr_local)) = split_scanned_name(attr.name) else {
                return fail(
                    attr.name_at,
                    format!("invalid attribute name `{}`", shorten(attr.name)),
                );
            };
            let value = attribute_value(attr.value, attr.value_at)?;
            let declared = match (attr_prefix, attr_local) {
                (None, "xmlns") => Some(""),
                (Some("xmlns"), declared) => Some(declared),
                _ => None,
            };
            if let Some(declared) = declared {
                if declared == "xmlns" {
                    return fail(attr.name_at, "the prefix `xmlns` cannot be declared");
                }
                if let Some(message) = reserved_binding(declared, &value) {
                    return fail(attr.value_at, message);
                }
                if !declared.is_empty() && value.is_empty() {
                    return fail(
                        attr.value_at,
                        format!("namespace prefix `{declared}` cannot be bound to an empty name"),
                    );
                }
                self.namespaces.declare(declared, value.clone(), depth);
            }
            self.attrs.push(Attr {
                local: attr_local,
                prefix: attr_prefix,
                name_at: attr.name_at,
                value,
                is_declaration: declared.is_some(),
            });
        }
        // Prefixes are checked once all of this tag's declarations are in scope.
        if let Some(prefix) = prefix
            && !self.namespaces.is_bound(prefix)
        {
            return fail(inner_at, undeclared_prefix(prefix));
        }
        for attr in &self.attrs {
            if let Some(prefix) = attr.prefix
                && !attr.is_declaration
                && !self.namespaces.is_bound(prefix)
            {
                return fail(attr.name_at, undeclared_prefix(prefix));
            }
        }
        self.check_expanded_duplicates()?;

        let tag = StartTag {
            local,
            prefix,
            start: at,
            name_end,
            depth,
        };
        self.report_start(&tag, name, at + raw.len(), empty, handler);
        Ok(())
    }

    /// Checked before a name is used, so that no message or lookup handles a huge one.
    fn check_name_length(&self, name: &str, at: usize, what: &str) -> Result<(), Fail> {
        if name.len() > self.limits.max_name_length {
            return fail(
                at,
                format!(
                    "{what} name `{}` is longer than {} bytes",
                    shorten(name),
                    self.limits.max_name_length
                ),
            );
        }
        Ok(())
    }

    /// Two attributes of one tag with the same namespace and local name
    /// (`p:x` and `q:x`, both prefixes bound to one name) are one
    /// attribute twice, which Namespaces in XML forbids as XML forbids
    /// writing one name twice.
    fn check_expanded_duplicates(&self) -> Result<(), Fail> {
        let prefixed = self
            .attrs
            .iter()
            .filter(|attr| attr.prefix.is_some() && !attr.is_declaration);
        if prefixed.count() < 2 {
            return Ok(());
        }
        let mut names: Vec<(&str, &str, usize)> = self
            .attrs
            .iter()
            .filter(|attr| !attr.is_declaration)
            .filter_map(|attr| {
                let namespace = self.namespaces.resolve(attr.prefix?)?;
                Some((namespace, attr.local, attr.name_at))
            })
            .collect();
        names.sort_unstable();
        match names
            .windows(2)
            .find(|pair| (pair[0].0, pair[0].1) == (pair[1].0, pair[1].1))
        {
            Some(pair) => fail(
                pair[0].2.max(pair[1].2),
                format!(
                    "attribute `{}` in namespace `{}` is given twice",
                    shorten(pair[1].1),
                    shorten(pair[1].0)
                ),
            ),
            None => Ok(()),
        }
    }

    fn check_duplicates(&mut self) -> Result<(), Fail> {
        // A pairwise comparison is fastest for the usual handful of
        // attributes; a set keeps tags with very many attributes linear.
        const PAIRWISE_LIMIT: usize = 8;
        let duplicate = if self.raw_attrs.len() <= PAIRWISE_LIMIT {
            self.raw_attrs
                .iter()
                .enumerate()
                .find(|(i, attr)| {
                    self.raw_attrs[..*i]
                        .iter()
                        .any(|a| same_name(a.name, attr.name))
                })
                .map(|(_, attr)| attr)
        } else {
            self.seen.clear();
            self.raw_attrs
                .iter()
                .find(|attr| !self.seen.insert(attr.name))
        };
        match duplicate {
            Some(attr) => fail(
                attr.name_at,
                format!("duplicate attribute `{}`", shorten(attr.name)),
            ),
            None => Ok(()),
        }
    }

    /// An end tag `raw` at `at`, whose name `markup` has read (the longest
    /// run of name characters after `</`, so it never holds the `>`).
    fn end_tag(
        &mut self,
        raw: &'a str,
        name: &'a str,
        at: usize,
        handler: &mut impl Handler<'a>,
    ) -> Result<(), Fail> {
        let inner = raw
            .strip_prefix("</")
            .and_then(|rest| rest.strip_suffix('>'))
            .unwrap_or_default();
        // An end tag is its name and `>`. What else it runs to (the next
        // tag, when its `>` was forgotten) is reported by the name alone,
        // so the message stays one line.
        let after = inner
            .get(name.len()..)
            .unwrap_or_default()
            .trim_start_matches(is_xml_whitespace);
        if !name.is_empty() && !after.is_empty() {
            let message = if after.starts_with('<') {
                format!("end tag </{}> is not closed: missing `>`", shorten(name))
            } else {
                format!(
                    "end tag </{}> has more than its name: `{}`",
                    shorten(name),
                    shorten(after.lines().next().unwrap_or_default())
                )
            };
            return fail(at, message);
        }
        let name = if name.is_empty() {
            inner.lines().next().unwrap_or_default()
        } else {
            name
        };
        let Some((expected, _)) = self.open.pop() else {
            let place = if self.root_closed {
                "after the root element"
            } else {
                "with no element open"
            };
            return fail(
                at,
                format!("unexpected end tag </{}> {place}", shorten(name)),
            );
        };
        if !same_name(name, expected) {
            return fail(
                at,
                format!(
                    "mismatched end tag: expected </{}>, found </{}>",
                    shorten(expected),
                    shorten(name)
                ),
            );
        }
        self.close(self.open.len() + 1, at + raw.len(), handler);
        Ok(())
    }

    fn close(&mut self, depth: usize, end: usize, handler: &mut impl Handler<'a>) {
        self.namespaces.end_element(depth);
        handler.end(depth, end);
        if depth == 1 {
            self.root_closed = true;
        }
    }

    /// A run of text `raw` at `at`; `has_gt` when it holds a `>`.
    fn text(
        &mut self,
        raw: &'a str,
        at: usize,
        has_gt: bool,
        handler: &mut impl Handler<'a>,
    ) -> Result<(), Fail> {
        if self.open.is_empty() {
            return match raw.bytes().position(|b| !is_xml_whitespace_byte(b)) {
                Some(i) => fail(at + i, "text is not allowed outside the root element"),
                None => Ok(()),
            };
        }
        if has_gt && let Some(i) = raw.find("]]>") {
            return fail(at + i, "`]]>` is not allowed in text (write it as ]]&gt;)");
        }
        handler.text(Text::Raw(raw));
        Ok(())
    }

    /// Reads the reference that starts with the `&` at `at`; returns where it ends.
    fn reference(&mut self, at: usize, handler: &mut impl Handler<'a>) -> Result<usize, Fail> {
        let bytes = self.body.as_bytes();
        // A reference ends at the first `;`, before any other `&` or `<`.
        let end = match memchr3(b';', b'&', b'<', &bytes[at + 1..]) {
            Some(i) if bytes[at + 1 + i] == b';' => at + 1 + i,
            _ => {
                return fail(
                    at,
                    "`&` starts a reference without a closing `;` (write a literal `&` as &amp;)",
                );
            }
        };
        self.require_root(at)?;
        let name = self.token(at + 1, end)?;
        match resolve_reference(name) {
            Some(c) => {
                handler.text(Text::Char(c));
                Ok(end + 1)
            }
            None => Err(reference_error(name, at)),
        }
    }

    /// Character data of any kind is allowed only inside the root element.
    fn require_root(&self, at: usize) -> Result<(), Fail> {
        if self.open.is_empty() {
            return fail(at, "text is not allowed outside the root element");
        }
        Ok(())
    }

    fn declaration(&mut self, raw: &'a str, at: usize) -> Result<(), Fail> {
        if at != 0 {
            return fail(
                at,
                "the XML declaration `<?xml ...?>` is allowed only at the very start of the document",
            );
        }
        let content = raw
            .strip_prefix("<?xml")
            .and_then(|rest| rest.strip_suffix("?>"))
            .unwrap_or_default();
        // The declaration has three pseudo-attributes at most, whatever the
        // limit for elements; a fourth is reported below as unexpected.
        lex_attributes(
            content,
            at + 5,
            self.limits.max_attributes.max(4),
            &mut self.raw_attrs,
        )?;
        // version, then optionally encoding, then optionally standalone.
        let mut attrs = self.raw_attrs.iter().peekable();
        match attrs.next() {
            Some(attr) if attr.name == "version" => {
                let minor = attr.value.strip_prefix("1.").unwrap_or_default();
                if minor.is_empty() || !minor.bytes().all(|b| b.is_ascii_digit()) {
                    return fail(
                        attr.value_at,
                        format!("unsupported XML version `{}`", shorten(attr.value)),
                    );
                }
            }
            _ => return fail(at, "the XML declaration must start with version=\"1.0\""),
        }
        if let Some(attr) = attrs.next_if(|attr| attr.name == "encoding") {
            let mut chars = attr.value.chars();
            let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            if !valid {
                return fail(
                    attr.value_at,
                    format!("invalid encoding name `{}`", shorten(attr.value)),
                );
            }
            // Documents are read as UTF-8. Where every byte is ASCII, the
            // encodings that agree with ASCII read the same characters;
            // past that, or under any other encoding, the next reader
            // would read other characters than flowgate did.
            let name = shorten(attr.value);
            match Encoding::named(attr.value) {
                Encoding::Utf8 => {}
                Encoding::AsciiCompatible if self.body.is_ascii() => {}
                Encoding::AsciiCompatible => {
                    return fail(
                        attr.value_at,
                        format!(
                            "the document declares encoding `{name}` but holds UTF-8 text: declare UTF-8 or leave the encoding out"
                        ),
                    );
                }
                Encoding::Wide => {
                    return fail(
                        attr.value_at,
                        format!(
                            "the document declares encoding `{name}`, but its bytes are not {name}: documents are read as UTF-8; declare UTF-8 or leave the encoding out"
                        ),
                    );
                }
                Encoding::Other => {
                    return fail(
                        attr.value_at,
                        format!(
                            "the document declares encoding `{name}`, which flowgate does not read: documents are UTF-8 (or ASCII under US-ASCII, ISO-8859-n or windows-125n); declare UTF-8 or leave the encoding out"
                        ),
                    );
                }
            }
        }
        if let Some(attr) = attrs.next_if(|attr| attr.name == "standalone")
            && !matches!(attr.value, "yes" | "no")
        {
            return fail(attr.value_at, "standalone must be \"yes\" or \"no\"");
        }
        match attrs.next() {
            Some(attr) => fail(
                attr.name_at,
                format!("unexpected `{}` in the XML declaration", shorten(attr.name)),
            ),
            None => Ok(()),
        }
    }

    fn instruction(&self, raw: &'a str, at: usize) -> Result<(), Fail> {
        let content = raw
            .strip_prefix("<?")
            .and_then(|rest| rest.strip_suffix("?>"))
            .unwrap_or_default();
        let target = leading_name(content);
        let rest = &content[target.len()..];
        let valid = target.starts_with(is_name_start_char)
            && (rest.is_empty() || rest.starts_with(is_xml_whitespace));
        if !valid {
            return fail(
                at,
                "a processing instruction must start with a name after `<?`",
            );
        }
        // quick-xml reports `<?xml ...?>` as a declaration; other spellings end up here.
        if target.eq_ignore_ascii_case("xml") {
            return fail(
                at,
                format!("processing instruction name `{target}` is reserved"),
            );
        }
        Ok(())
    }

    fn finish(&self, at: usize) -> Result<(), Fail> {
        if let Some((name, start)) = self.open.last() {
            return fail(
                *start,
                format!(
                    "unexpected end of document: element <{}> is not closed",
                    shorten(name)
                ),
            );
        }
        if !self.root_closed {
            return fail(at, "no root element: the document is empty");
        }
        Ok(())
    }
}

/// Rejects characters XML does not allow anywhere: C0 controls other than
/// tab, line feed and carriage return, and the noncharacters U+FFFE and U+FFFF.
fn check_characters(body: &str) -> Result<(), Fail> {
    let bytes = body.as_bytes();
    // Nearly every byte is printable: test a block at a time (the compiler
    // turns this into vector code), and look closer only at a block that
    // holds a control byte other than a line end or tab (most blocks hold
    // one of those) or the lead byte of U+FFFE/U+FFFF.
    const BLOCK: usize = 64;
    for (block, chunk) in bytes.chunks(BLOCK).enumerate() {
        let suspect = chunk.iter().fold(false, |acc, &b| {
            acc | (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) | (b == 0xEF)
        });
        if !suspect {
            continue;
        }
        for (offset, &byte) in chunk.iter().enumerate() {
            let i = block * BLOCK + offset;
            let bad = match byte {
                b'\t' | b'\n' | b'\r' => false,
                0..=0x1F => true,
                // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
                0xEF => {
                    bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF))
                }
                _ => false,
            };
            if bad {
                let code = body
                    .get(i..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(0, u32::from);
                return fail(i, format!("character U+{code:04X} is not allowed in XML"));
            }
        }
    }
    Ok(())
}

fn is_doctype(body: &str, at: usize) -> bool {
    body.as_bytes()
        .get(at..)
        .and_then(|rest| rest.get(..9))
        .is_some_and(|start| start.eq_ignore_ascii_case(b"<!DOCTYPE"))
}

fn to_offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

/// What an XML declaration's `encoding` means for a document read as UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    /// UTF-8 itself.
    Utf8,
    /// An encoding in which every ASCII byte is the ASCII character:
    /// US-ASCII, ISO-8859-n, windows-125n and the like. A document of
    /// ASCII bytes reads the same in it as in UTF-8.
    AsciiCompatible,
    /// UTF-16 or UTF-32 (UCS-2, UCS-4): a declaration that reads as ASCII
    /// is not in them.
    Wide,
    /// Any other name: EBCDIC, UTF-7, or one flowgate does not know.
    Other,
}

/// The encoding the XML declaration at the start of `bytes` names, when
/// it is not UTF-8, and whether it is read while every byte is ASCII: for
/// the message about a body that is not UTF-8, whose text cannot be scanned.
pub(crate) fn declared_encoding(bytes: &[u8]) -> Option<(&str, bool)> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let head = bytes.get(..bytes.len().min(256))?;
    let content = head.strip_prefix(b"<?xml")?;
    let content = &content[..content.windows(2).position(|w| w == b"?>")?];
    // Read as the scanner reads a declaration's pseudo-attributes.
    let mut attrs = Vec::new();
    lex_attributes(std::str::from_utf8(content).ok()?, 0, 4, &mut attrs).ok()?;
    let name = attrs.iter().find(|attr| attr.name == "encoding")?.value;
    match Encoding::named(name) {
        Encoding::Utf8 => None,
        Encoding::AsciiCompatible => Some((name, true)),
        Encoding::Wide | Encoding::Other => Some((name, false)),
    }
}

impl Encoding {
    /// The encoding an XML declaration names, by its IANA name or a common
    /// alias, in any case and with or without `-`, `_` and `.`.
    fn named(name: &str) -> Encoding {
        let key: String = name
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | '.' | ':'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let numbered = |prefix: &str, range: std::ops::RangeInclusive<u32>| {
            key.strip_prefix(prefix)
                .filter(|n| !n.starts_with('0'))
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| range.contains(&n))
        };
        const ASCII: [&str; 24] = [
            "usascii",
            "ascii",
            "us",
            "iso646us",
            "ansix341968",
            "ansix341986",
            "iso646irv1991",
            "isoir6",
            "ibm367",
            "cp367",
            "csascii",
            "cp819",
            "ibm819",
            "isoir100",
            "csisolatin1",
            "koi8r",
            "koi8u",
            "eucjp",
            "euckr",
            "gb2312",
            "gbk",
            "gb18030",
            "big5",
            "shiftjis",
        ];
        match key.as_str() {
            "utf8" | "csutf8" => Encoding::Utf8,
            _ if ASCII.contains(&key.as_str())
                || (numbered("iso8859", 1..=16) && key != "iso885912")
                || numbered("latin", 1..=10)
                || numbered("windows", 1250..=1258)
                || numbered("cp", 1250..=1258) =>
            {
                Encoding::AsciiCompatible
            }
            _ if [
                "utf16",
                "utf32",
                "ucs2",
                "ucs4",
                "iso10646ucs2",
                "iso10646ucs4",
            ]
            .iter()
            .any(|wide| key.starts_with(wide)) =>
            {
                Encoding::Wide
            }
            _ => Encoding::Other,
        }
    }
}

/// The XML declarations most documents open with. Each is one
/// `Scanner::declaration` accepts at the start of any document (version
/// 1.0, and UTF-8 if an encoding is named), so a document that opens with
/// one has it skipped instead of read.
const COMMON_DECLARATIONS: [&str; 6] = [
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
    "<?xml version=\"1.0\"?>",
    "<?xml version='1.0' encoding='UTF-8'?>",
    "<?xml version='1.0' encoding='utf-8'?>",
    "<?xml version='1.0'?>",
];

/// Where a tag ends when it is the usual kind: a name (ending at
/// `after_name`), then `>` or `/>`. No byte of that can be a quote, so the
/// end is the one [`tag_length`] would find, without a search.
fn plain_tag_end(bytes: &[u8], after_name: usize) -> Option<usize> {
    match bytes.get(after_name)? {
        b'>' => Some(after_name + 1),
        b'/' if bytes.get(after_name + 1) == Some(&b'>') => Some(after_name + 2),
        _ => None,
    }
}

/// The length of the tag at the start of `bytes`, up to and including the
/// first `>` outside a quoted attribute value; or, when there is none, why
/// the tag is not closed.
fn tag_length(bytes: &[u8]) -> Result<usize, &'static str> {
    let mut quote = None;
    let mut from = 0;
    // Outside quotes the next `>` ends the tag and a quote opens a value,
    // which runs to the same quote.
    while let Some(i) = find_any3(b'>', b'"', b'\'', &bytes[from..]) {
        let at = from + i;
        let byte = bytes[at];
        if byte == b'>' {
            return Ok(at + 1);
        }
        match find_byte(byte, &bytes[at + 1..]) {
            Some(length) => from = at + 1 + length + 1,
            None => {
                quote = Some(byte);
                break;
            }
        }
    }
    Err(match quote {
        None => "tag is not closed: missing `>`",
        Some(b'\'') => "attribute value is not closed: missing `'`",
        Some(_) => "attribute value is not closed: missing `\"`",
    })
}

fn reader_error(error: &ReaderError, at: usize) -> Fail {
    let message = match error {
        ReaderError::Syntax(syntax) => match syntax {
            SyntaxError::InvalidBangMarkup => {
                "unknown markup after `<!`: expected a comment `<!--` or a CDATA section `<![CDATA[`"
            }
            SyntaxError::UnclosedPI => "processing instruction is not closed: missing `?>`",
            SyntaxError::UnclosedXmlDecl => "XML declaration is not closed: missing `?>`",
            SyntaxError::UnclosedComment => "comment is not closed: missing `-->`",
            SyntaxError::UnclosedDoctype => "DOCTYPE is not allowed",
            SyntaxError::UnclosedCData => "CDATA section is not closed: missing `]]>`",
            SyntaxError::UnclosedTag => "tag is not closed: missing `>`",
            SyntaxError::UnclosedSingleQuotedAttributeValue => {
                "attribute value is not closed: missing `'`"
            }
            SyntaxError::UnclosedDoubleQuotedAttributeValue => {
                "attribute value is not closed: missing `\"`"
            }
        },
        ReaderError::IllFormed(IllFormedError::UnclosedReference) => {
            "`&` starts a reference without a closing `;` (write a literal `&` as &amp;)"
        }
        ReaderError::IllFormed(IllFormedError::DoubleHyphenInComment) => {
            "`--` is not allowed inside a comment"
        }
        other => {
            return Fail {
                at,
                message: other.to_string(),
            };
        }
    };
    Fail {
        at,
        message: message.to_owned(),
    }
}

/// Reads the `name="value"` pairs of a tag, each preceded by whitespace.
/// `text` is the tag after its name; `at` is its offset in the body. More
/// than `max` pairs is an error, found before the rest are read.
fn lex_attributes<'a>(
    text: &'a str,
    at: usize,
    max: usize,
    out: &mut Vec<RawAttr<'a>>,
) -> Result<(), Fail> {
    out.clear();
    // Most tags have no attributes at all.
    if text.is_empty() {
        return Ok(());
    }
    // Positions in `text`; every one the lexer stops at follows an ASCII byte.
    let bytes = text.as_bytes();
    let skip_whitespace = |from: usize| {
        from + bytes[from..]
            .iter()
            .take_while(|b| is_xml_whitespace_byte(**b))
            .count()
    };
    let mut pos = 0;
    loop {
        let start = pos;
        pos = skip_whitespace(pos);
        let rest = &text[pos..];
        let Some(first) = rest.chars().next() else {
            return Ok(());
        };
        let name_at = at + pos;
        let name = leading_name(rest);
        if name.is_empty() {
            return fail(name_at, format!("unexpected character `{first}` in tag"));
        }
        if out.len() >= max {
            return fail(
                name_at,
                format!("more than {max} attributes on one element"),
            );
        }
        if pos == start {
            return fail(
                name_at,
                format!("missing whitespace before attribute `{}`", shorten(name)),
            );
        }
        pos = skip_whitespace(pos + name.len());
        if bytes.get(pos) != Some(&b'=') {
            return fail(
                at + pos,
                format!("attribute `{}` has no value: expected `=`", shorten(name)),
            );
        }
        pos = skip_whitespace(pos + 1);
        let quote = match bytes.get(pos) {
            Some(&quote @ (b'"' | b'\'')) => quote,
            _ => {
                return fail(
                    at + pos,
                    format!("the value of attribute `{}` must be quoted", shorten(name)),
                );
            }
        };
        let value_start = pos + 1;
        let Some(length) = find_byte(quote, &bytes[value_start..]) else {
            return fail(
                at + pos,
                format!(
                    "attribute value is not closed: missing `{}`",
                    char::from(quote)
                ),
            );
        };
        pos = value_start + length;
        out.push(RawAttr {
            name,
            name_at,
            value: &text[value_start..pos],
            value_at: at + value_start,
        });
        pos += 1;
    }
}

/// An attribute's value as XML defines it: references resolved, and each
/// line end, tab or newline turned into one space.
fn attribute_value(raw: &str, at: usize) -> Result<Cow<'_, str>, Fail> {
    const SPECIAL: [char; 5] = ['&', '<', '\t', '\n', '\r'];
    // Most values hold none of them: a byte test is quicker than a char search.
    if reads_as_written(raw) {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find(SPECIAL) {
        let (clean, special) = rest.split_at(i);
        out.push_str(clean);
        let here = at + (raw.len() - special.len());
        let mut chars = special.chars();
        let c = chars.next();
        let after = chars.as_str();
        rest = match c {
            Some('<') => {
                return fail(
                    here,
                    "`<` is not allowed in an attribute value (write it as &lt;)",
                );
            }
            Some('&') => {
                let Some((name, after_reference)) = after.split_once(';') else {
                    return fail(
                        here,
                        "`&` starts a reference without a closing `;` (write a literal `&` as &amp;)",
                    );
                };
                out.push(resolve_reference(name).ok_or_else(|| reference_error(name, here))?);
                after_reference
            }
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
    Ok(Cow::Owned(out))
}

/// Whether an attribute value as written is its value: it holds no
/// reference, no `<` (an error), and no tab or line end (each read as a space).
fn reads_as_written(raw: &str) -> bool {
    !raw.bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'\t' | b'\n' | b'\r'))
}

/// The character a reference (between `&` and `;`) stands for. Only the
/// five predefined entities and character references exist: without a
/// DOCTYPE no other entity can be declared.
fn resolve_reference(name: &str) -> Option<char> {
    let code = match name {
        "amp" => return Some('&'),
        "lt" => return Some('<'),
        "gt" => return Some('>'),
        "quot" => return Some('"'),
        "apos" => return Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            // Digits are checked first: from_str_radix would accept a sign.
            match number.strip_prefix('x') {
                Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    u32::from_str_radix(hex, 16).ok()?
                }
                None if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => {
                    number.parse().ok()?
                }
                _ => return None,
            }
        }
    };
    char::from_u32(code).filter(|&c| is_xml_char(c))
}

fn reference_error(name: &str, at: usize) -> Fail {
    let message = if name.starts_with('#') {
        format!("invalid character reference `&{};`", shorten(name))
    } else if split_qname(name).is_some() {
        format!(
            "unknown entity `&{};`: only &amp; &lt; &gt; &quot; &apos; and character references are allowed",
            shorten(name)
        )
    } else {
        format!(
            "invalid reference `&{};` (write a literal `&` as &amp;)",
            shorten(name)
        )
    };
    Fail { at, message }
}

/// What is wrong with declaring `prefix` (`""` for the default namespace)
/// as `uri`, when it touches the two names Namespaces in XML reserves:
/// `xml` is bound to its namespace and nothing else is, and the `xmlns`
/// namespace is bound to nothing.
fn reserved_binding(prefix: &str, uri: &str) -> Option<String> {
    const XMLNS_NAMESPACE: &str = "http://www.w3.org/2000/xmlns/";
    if prefix == "xml" {
        return (uri != XML_NAMESPACE).then(|| {
            format!("the prefix `xml` is bound to `{XML_NAMESPACE}` and to no other name")
        });
    }
    if uri == XML_NAMESPACE {
        return Some(format!(
            "`{XML_NAMESPACE}` is the namespace of the prefix `xml` and of no other"
        ));
    }
    (uri == XMLNS_NAMESPACE)
        .then(|| format!("`{XMLNS_NAMESPACE}` is reserved for namespace declarations"))
}

fn undeclared_prefix(prefix: &str) -> String {
    format!("namespace prefix `{}` is not declared", shorten(prefix))
}

/// Input echoed in a message, cut short so a huge name cannot make a huge message.
fn shorten(text: &str) -> Cow<'_, str> {
    const MAX_CHARS: usize = 40;
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
        None => Cow::Borrowed(text),
    }
}

/// 1-based line and character column of a byte offset. CR LF, CR and LF
/// each end a line.
pub(crate) fn line_and_column(body: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    let mut after_cr = false;
    for (i, c) in body.char_indices() {
        if i >= offset {
            break;
        }
        match c {
            '\n' if after_cr => {}
            '\n' | '\r' => {
                line += 1;
                column = 1;
            }
            _ => column += 1,
        }
        after_cr = c == '\r';
    }
    (line, column)
}

// ---------------------------------------------------------------------------
// Names and characters

pub(crate) fn is_xml_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn is_xml_whitespace_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

pub(crate) fn is_name_start_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic() || c == '_' || c == ':';
    }
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

pub(crate) fn is_name_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-' | '.');
    }
    is_name_start_char(c)
        || matches!(c,
            '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// The ASCII name characters (letters, digits, `_ : - .`) by byte: a
/// lookup costs less than the comparisons.
const ASCII_NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] =
            matches!(b as u8, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b':' | b'-' | b'.');
        b += 1;
    }
    table
};

/// The longest start of `text` made of name characters (colons included).
fn leading_name(text: &str) -> &str {
    // Names are nearly always ASCII: scan bytes, and fall back to chars at the first other byte.
    let ascii = text
        .bytes()
        .position(|b| !ASCII_NAME_BYTES[usize::from(b)])
        .unwrap_or(text.len());
    if text.as_bytes().get(ascii).is_none_or(|b| b.is_ascii()) {
        return &text[..ascii];
    }
    let end = text[ascii..]
        .find(|c| !is_name_char(c))
        .map_or(text.len(), |e| ascii + e);
    &text[..end]
}

/// How many bytes the short searches below look at one by one before
/// handing the rest to `memchr`. Text between tags, tags and values are
/// mostly shorter: for them a plain loop is done before a `memchr` search
/// has set up; long ones still get its vector search.
const SHORT_RUN: usize = 32;

/// The first `needle` in `haystack`; `memchr` past the first [`SHORT_RUN`] bytes.
pub(crate) fn find_byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    let head = haystack.len().min(SHORT_RUN);
    match haystack[..head].iter().position(|&b| b == needle) {
        Some(i) => Some(i),
        None if head == haystack.len() => None,
        None => memchr(needle, &haystack[head..]).map(|i| head + i),
    }
}

/// The first `a` or `b` in `haystack`; `memchr2` past the first [`SHORT_RUN`] bytes.
fn find_either(a: u8, b: u8, haystack: &[u8]) -> Option<usize> {
    let head = haystack.len().min(SHORT_RUN);
    match haystack[..head].iter().position(|&c| c == a || c == b) {
        Some(i) => Some(i),
        None if head == haystack.len() => None,
        None => memchr2(a, b, &haystack[head..]).map(|i| head + i),
    }
}

/// The first `a`, `b` or `c` in `haystack`; `memchr3` past the first [`SHORT_RUN`] bytes.
fn find_any3(a: u8, b: u8, c: u8, haystack: &[u8]) -> Option<usize> {
    let head = haystack.len().min(SHORT_RUN);
    match haystack[..head]
        .iter()
        .position(|&x| x == a || x == b || x == c)
    {
        Some(i) => Some(i),
        None if head == haystack.len() => None,
        None => memchr3(a, b, c, &haystack[head..]).map(|i| head + i),
    }
}

/// Whether two names are the same. Names are short: comparing their bytes
/// here costs less than the call into the C library's `memcmp` that `==`
/// on strings makes.
#[inline]
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// How [`plain_name`] sees a byte: one lookup tells the usual name
/// character from the colon and from a byte that ends the name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NameByte {
    Ends,
    Name,
    Colon,
}

const NAME_BYTES: [NameByte; 256] = {
    let mut table = [NameByte::Ends; 256];
    let mut b = 0;
    while b < 256 {
        if ASCII_NAME_BYTES[b] {
            table[b] = if b as u8 == b':' {
                NameByte::Colon
            } else {
                NameByte::Name
            };
        }
        b += 1;
    }
    table
};

/// The length of the ASCII qualified name at the start of `bytes`, and
/// where its colon is, when it is a valid one no longer than `max`: its
/// prefix and local name each start with a letter or `_`, and it has at
/// most one colon. `None` for any other start, non-ASCII names included
/// (a non-ASCII byte right after the name ends no tag, so the caller gives
/// such a name up too); a name over `max` is given up as soon as it is.
fn plain_name(bytes: &[u8], max: usize) -> Option<(usize, Option<usize>)> {
    let starts_part = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_');
    if !starts_part(bytes.first()) {
        return None;
    }
    // A name byte at `max` means the name is too long: looking no further
    // than that keeps the length check out of the loop.
    let window = &bytes[..bytes.len().min(max.saturating_add(1))];
    let mut colon = None;
    let mut length = 1;
    while let Some(&b) = window.get(length) {
        match NAME_BYTES[usize::from(b)] {
            NameByte::Name => {}
            NameByte::Ends => break,
            NameByte::Colon => {
                if colon.is_some() || !starts_part(bytes.get(length + 1)) {
                    return None;
                }
                colon = Some(length);
            }
        }
        length += 1;
    }
    (length <= max).then_some((length, colon))
}

/// A name [`plain_name`] read, split at the colon it found.
fn split_at(name: &str, colon: Option<usize>) -> Option<(Option<&str>, &str)> {
    match colon {
        Some(colon) => Some((Some(name.get(..colon)?), name.get(colon + 1..)?)),
        None => Some((None, name)),
    }
}

/// Splits a qualified name into its prefix and local name, or `None` when
/// it is not one (more than one colon, or a part that is not a name).
pub(crate) fn split_qname(name: &str) -> Option<(Option<&str>, &str)> {
    // A byte search: names are short, and a `str` pattern search costs more to set up.
    match name.bytes().position(|b| b == b':') {
        None => is_ncname(name).then_some((None, name)),
        Some(colon) => {
            let (prefix, local) = (&name[..colon], &name[colon + 1..]);
            (is_ncname(prefix) && is_ncname(local)).then_some((Some(prefix), local))
        }
    }
}

/// [`split_qname`] of a name [`leading_name`] found. Such a name holds
/// name characters only, so when it is ASCII what is left to check is
/// where its colons are and how each part starts.
fn split_scanned_name(name: &str) -> Option<(Option<&str>, &str)> {
    if !name.is_ascii() {
        return split_qname(name);
    }
    let starts_name = |part: &str| {
        part.as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    };
    match name.bytes().position(|b| b == b':') {
        None => starts_name(name).then_some((None, name)),
        Some(colon) => {
            let (prefix, local) = (&name[..colon], &name[colon + 1..]);
            (starts_name(prefix) && starts_name(local) && !local.bytes().any(|b| b == b':'))
                .then_some((Some(prefix), local))
        }
    }
}

/// A name without colons.
pub(crate) fn is_ncname(text: &str) -> bool {
    let bytes = text.as_bytes();
    if text.is_ascii() {
        return bytes
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    }
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c != ':' && is_name_start_char(c))
        && chars.all(|c| c != ':' && is_name_char(c))
}

// ---------------------------------------------------------------------------
// Namespace scopes

/// The namespace the `xml` prefix is bound to without a declaration.
pub(crate) const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

/// The namespace declarations of the open elements. Each prefix maps to its
/// innermost declaration, so lookups do not depend on nesting depth.
#[derive(Default)]
pub(crate) struct Namespaces<'a> {
    /// Declarations of the open elements, in document order.
    declarations: Vec<Declaration<'a>>,
    /// Prefix (`""` for the default namespace) → index of its innermost declaration.
    current: HashMap<&'a str, usize>,
}

struct Declaration<'a> {
    prefix: &'a str,
    uri: Cow<'a, str>,
    depth: usize,
    /// The declaration of the same prefix this one hides, restored when it ends.
    shadowed: Option<usize>,
}

impl<'a> Namespaces<'a> {
    fn declare(&mut self, prefix: &'a str, uri: Cow<'a, str>, depth: usize) {
        let shadowed = self.current.insert(prefix, self.declarations.len());
        self.declarations.push(Declaration {
            prefix,
            uri,
            depth,
            shadowed,
        });
    }

    fn is_bound(&self, prefix: &str) -> bool {
        prefix == "xml" || self.current.contains_key(prefix)
    }

    /// The namespace name bound to `prefix` (`""` for the default
    /// namespace), or `None` when it is unbound or undeclared with `xmlns=""`.
    #[inline]
    pub(crate) fn resolve(&self, prefix: &str) -> Option<&str> {
        // Most documents declare no namespace at all.
        if self.declarations.is_empty() && prefix != "xml" {
            return None;
        }
        if prefix == "xml" {
            return Some(XML_NAMESPACE);
        }
        let declaration = self.innermost(prefix)?;
        Some(declaration.uri.as_ref()).filter(|uri| !uri.is_empty())
    }

    /// The declaration of `prefix` in scope (not `xml`, which has none).
    fn innermost(&self, prefix: &str) -> Option<&Declaration<'a>> {
        // Documents declare a handful of prefixes: scanning them beats
        // hashing. The map keeps documents with very many declarations linear.
        const SCAN_LIMIT: usize = 8;
        if self.declarations.len() <= SCAN_LIMIT {
            self.declarations
                .iter()
                .rev()
                .find(|d| same_name(d.prefix, prefix))
        } else {
            self.declarations.get(*self.current.get(prefix)?)
        }
    }

    fn end_element(&mut self, depth: usize) {
        while let Some(declaration) = self.declarations.last()
            && declaration.depth == depth
        {
            let prefix = declaration.prefix;
            match declaration.shadowed {
                Some(index) => self.current.insert(prefix, index),
                None => self.current.remove(prefix),
            };
            self.declarations.pop();
        }
    }

    /// Whether an element at `depth` is in the scope of any declaration
    /// of its ancestors. Declarations are kept in document order, so the
    /// first is the outermost.
    fn declared_above(&self, depth: usize) -> bool {
        self.declarations.first().is_some_and(|d| d.depth < depth)
    }

    /// The namespace name `prefix` is bound to at this point, when that
    /// binding comes from an element above `depth` (and is not `xmlns=""`).
    fn inherited_uri(&self, prefix: &str, depth: usize) -> Option<&str> {
        let declaration = self.innermost(prefix)?;
        Some(declaration.uri.as_ref()).filter(|uri| declaration.depth < depth && !uri.is_empty())
    }
}

/// How many bytes of namespace declarations the items of one document may
/// be given in all: four times the document, and at least 64 KiB. An item
/// carries the declarations its names use, and a wrapper could declare one
/// very long namespace name that each of many tiny items uses: unbounded,
/// the items would take far more memory than the request did.
pub(crate) struct CopyBudget {
    left: usize,
}

impl CopyBudget {
    pub(crate) const EXCEEDED: &'static str = "the items would carry more namespace declarations, \
        copied from the elements around them, than the document itself holds: declare the \
        namespaces on the items, or use shorter namespace names";

    pub(crate) fn for_document(len: usize) -> CopyBudget {
        CopyBudget {
            left: len.saturating_mul(4).max(64 * 1024),
        }
    }

    /// An item's declarations, when they fit in what is left; `None` (and
    /// nothing left) when they do not.
    pub(crate) fn take(&mut self, inherited: Inherited<'_>) -> Option<String> {
        let declarations = inherited.into_declarations();
        match self.left.checked_sub(declarations.len()) {
            Some(left) => {
                self.left = left;
                Some(declarations)
            }
            None => {
                self.left = 0;
                None
            }
        }
    }
}

/// The namespace declarations a subtree needs to stand alone once it is cut
/// out of its document: those of its ancestors that bind a prefix its own
/// element and attribute names use, or the default namespace of an
/// unprefixed element in it. Declarations it does not use stay behind, so
/// an item costs what it holds, however many its wrapper declares.
///
/// Names are all that bind: no XSD type flowgate reads holds a QName in
/// text (there is no `xs:QName`, and `xsi:type` is refused), and untyped
/// documents drop prefixes, so a prefix used only in text needs nothing.
pub(crate) struct Inherited<'a> {
    /// Depth of the subtree's root element.
    depth: usize,
    /// Prefixes already declared in `declarations` (`""` for the default).
    prefixes: Vec<&'a str>,
    /// `prefixes` again once there are many, so a subtree using thousands
    /// of inherited prefixes stays linear.
    index: HashSet<&'a str>,
    declarations: String,
}

impl<'a> Inherited<'a> {
    /// Up to this many prefixes are found by scanning `prefixes`.
    const SCAN_LIMIT: usize = 8;

    /// The subtree whose root element is at `depth`; its root's start tag
    /// is noted like any other.
    pub(crate) fn new(depth: usize) -> Self {
        Self {
            depth,
            prefixes: Vec::new(),
            index: HashSet::new(),
            declarations: String::new(),
        }
    }

    /// Notes the names of one start tag in the subtree.
    #[inline]
    pub(crate) fn note(
        &mut self,
        tag: &StartTag<'a>,
        attrs: &[Attr<'a>],
        namespaces: &Namespaces<'a>,
    ) {
        // The common case: nothing above the subtree declares anything.
        if !namespaces.declared_above(self.depth) {
            return;
        }
        self.need(tag.prefix.unwrap_or(""), namespaces);
        for attr in attrs.iter().filter(|attr| !attr.is_declaration) {
            // An unprefixed attribute is in no namespace, whatever the default.
            if let Some(prefix) = attr.prefix {
                self.need(prefix, namespaces);
            }
        }
    }

    fn need(&mut self, prefix: &'a str, namespaces: &Namespaces<'a>) {
        if prefix == "xml" || self.has(prefix) {
            return;
        }
        let Some(uri) = namespaces.inherited_uri(prefix, self.depth) else {
            return;
        };
        self.declarations.push_str(" xmlns");
        if !prefix.is_empty() {
            self.declarations.push(':');
            self.declarations.push_str(prefix);
        }
        self.declarations.push_str("=\"");
        self.declarations.push_str(&escape(uri));
        self.declarations.push('"');
        self.prefixes.push(prefix);
        if self.prefixes.len() > Self::SCAN_LIMIT {
            if self.index.is_empty() {
                self.index.extend(self.prefixes.iter().copied());
            } else {
                self.index.insert(prefix);
            }
        }
    }

    fn has(&self, prefix: &str) -> bool {
        if self.prefixes.len() <= Self::SCAN_LIMIT {
            self.prefixes.iter().any(|p| same_name(p, prefix))
        } else {
            self.index.contains(prefix)
        }
    }

    /// The declarations as attributes to insert after the subtree root's
    /// name, in the order the subtree first uses them.
    pub(crate) fn into_declarations(self) -> String {
        self.declarations
    }
}

// ---------------------------------------------------------------------------
// Handlers

/// `check` needs the scanner's verdict only.
struct Checker;

impl Handler<'_> for Checker {}

/// Builds the template value of a document, one element at a time; also
/// the value of an element an XSD wildcard takes untyped.
#[derive(Default)]
pub(crate) struct ValueBuilder<'a> {
    /// Open elements, innermost last.
    open: Vec<Frame<'a>>,
    /// Character data of the innermost open element since its last child.
    run: String,
    root: Option<(&'a str, Value)>,
}

struct Frame<'a> {
    local: &'a str,
    entries: Entries<'a>,
    has_attributes: bool,
    has_children: bool,
}

impl Frame<'_> {
    /// Text runs count only when they are not whitespace: whitespace
    /// between child elements is layout, not data.
    fn take_run(&mut self, run: &mut String) {
        if run.chars().all(is_xml_whitespace) {
            run.clear();
        } else {
            self.entries.push_text(std::mem::take(run));
        }
    }
}

impl<'a> Handler<'a> for ValueBuilder<'a> {
    fn start(&mut self, tag: &StartTag<'a>, attrs: &[Attr<'a>], _namespaces: &Namespaces<'a>) {
        if let Some(parent) = self.open.last_mut() {
            parent.take_run(&mut self.run);
            parent.has_children = true;
        }
        let mut frame = Frame {
            local: tag.local,
            entries: Entries::default(),
            has_attributes: false,
            has_children: false,
        };
        for attr in attrs.iter().filter(|attr| !attr.is_declaration) {
            frame
                .entries
                .push(Key::Attribute(attr.local), Value::from(attr.value.as_ref()));
            frame.has_attributes = true;
        }
        self.open.push(frame);
    }

    fn text(&mut self, text: Text<'a>) {
        match text {
            Text::Raw(text) | Text::Cdata(text) => push_normalized(&mut self.run, text),
            Text::Char(c) => self.run.push(c),
        }
    }

    fn end(&mut self, _depth: usize, _end: usize) {
        let Some(mut frame) = self.open.pop() else {
            return;
        };
        let value = if frame.has_attributes || frame.has_children {
            frame.take_run(&mut self.run);
            frame.entries.into_value()
        } else {
            Value::from(std::mem::take(&mut self.run))
        };
        match self.open.last_mut() {
            Some(parent) => parent.entries.push(Key::Element(frame.local), value),
            None => self.root = Some((frame.local, value)),
        }
    }
}

impl<'a> ValueBuilder<'a> {
    /// The element it was given, by local name, and its value.
    pub(crate) fn into_root(self) -> Option<(&'a str, Value)> {
        self.root
    }

    fn finish(self) -> Value {
        match self.root {
            Some((name, value)) => element_map_of_distinct(vec![(Value::from(name), value)]),
            // The scanner only succeeds on a document with a root element.
            None => Value::UNDEFINED,
        }
    }
}

/// Appends text with XML's line-end normalization: CR LF and a lone CR become LF.
pub(crate) fn push_normalized(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = find_byte(b'\r', rest.as_bytes()) {
        out.push_str(&rest[..i]);
        out.push('\n');
        let after = &rest[i + 1..];
        rest = after.strip_prefix('\n').unwrap_or(after);
    }
    out.push_str(rest);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    Attribute(&'a str),
    Element(&'a str),
    Text,
}

impl Key<'_> {
    fn to_value(self) -> Value {
        match self {
            Key::Attribute(name) => Value::from(format!("@{name}")),
            Key::Element(name) => Value::from(name),
            Key::Text => Value::from("#text"),
        }
    }
}

enum Slot {
    One(Value),
    Many(Vec<Value>),
    Text(String),
}

/// The entries of an element's map, in order of first occurrence.
#[derive(Default)]
struct Entries<'a> {
    entries: Vec<(Key<'a>, Slot)>,
    /// Key → position, built once an element has many entries so that wide
    /// elements stay linear.
    index: Option<HashMap<Key<'a>, usize>>,
}

impl<'a> Entries<'a> {
    const LINEAR_LOOKUP_LIMIT: usize = 16;

    fn push(&mut self, key: Key<'a>, value: Value) {
        let Some(slot) = self.find(key) else {
            self.insert(key, Slot::One(value));
            return;
        };
        match slot {
            Slot::One(first) => {
                let first = std::mem::replace(first, Value::UNDEFINED);
                *slot = Slot::Many(vec![first, value]);
            }
            Slot::Many(values) => values.push(value),
            // `#text` is only ever extended by `push_text`.
            Slot::Text(_) => {}
        }
    }

    fn push_text(&mut self, text: String) {
        match self.find(Key::Text) {
            Some(Slot::Text(existing)) => existing.push_str(&text),
            _ => self.insert(Key::Text, Slot::Text(text)),
        }
    }

    fn find(&mut self, key: Key<'a>) -> Option<&mut Slot> {
        let position = match &self.index {
            Some(index) => index.get(&key).copied(),
            None => self.entries.iter().position(|(k, _)| *k == key),
        };
        position
            .and_then(|position| self.entries.get_mut(position))
            .map(|(_, slot)| slot)
    }

    fn insert(&mut self, key: Key<'a>, slot: Slot) {
        if let Some(index) = &mut self.index {
            index.insert(key, self.entries.len());
        }
        self.entries.push((key, slot));
        if self.index.is_none() && self.entries.len() > Self::LINEAR_LOOKUP_LIMIT {
            let index = self
                .entries
                .iter()
                .enumerate()
                .map(|(position, (key, _))| (*key, position))
                .collect();
            self.index = Some(index);
        }
    }

    fn into_value(self) -> Value {
        element_map_of_distinct(
            self.entries
                .into_iter()
                .map(|(key, slot)| {
                    let value = match slot {
                        Slot::One(value) => value,
                        Slot::Many(values) => Value::from(values),
                        Slot::Text(text) => Value::from(text),
                    };
                    (key.to_value(), value)
                })
                .collect(),
        )
    }
}

/// Collects the source text of the selected elements.
struct Splitter<'a, 'p> {
    body: &'a str,
    /// Local names from the root down; empty selects the root's children.
    path: &'p [&'p str],
    /// How many of the open elements, from the root, match the path.
    matched: usize,
    item: Option<OpenItem<'a>>,
    items: Vec<String>,
    /// Whether the root's own text is noted: a list's root holds only items.
    strict: bool,
    /// The root's name and start, while it is open.
    root: Option<(&'a str, usize)>,
    /// The root's name and start, once text was found in it.
    stray: Option<(&'a str, usize)>,
    /// What the items may be given of their ancestors' declarations.
    budget: CopyBudget,
    /// Where the first item that overspent it starts.
    overspent: Option<usize>,
}

/// The selected element being read.
struct OpenItem<'a> {
    start: usize,
    name_end: usize,
    depth: usize,
    /// The namespace declarations it needs from its ancestors.
    inherited: Inherited<'a>,
}

impl<'a, 'p> Splitter<'a, 'p> {
    fn new(body: &'a str, path: &'p [&'p str]) -> Self {
        Self {
            body,
            path,
            matched: 0,
            item: None,
            items: Vec::new(),
            strict: false,
            root: None,
            stray: None,
            budget: CopyBudget::for_document(body.len()),
            overspent: None,
        }
    }

    /// The items, or the error of the first item that overspent the budget
    /// (`text` is the document as scanned, before any byte order mark went).
    fn finish(self, text: &str) -> Result<Vec<String>, XmlError> {
        let Some(at) = self.overspent else {
            return Ok(self.items);
        };
        let (line, column) = line_and_column(self.body, at);
        Err(XmlError {
            message: CopyBudget::EXCEEDED.to_owned(),
            line,
            column,
            offset: at + (text.len() - self.body.len()),
        })
    }

    fn selects(&mut self, tag: &StartTag<'_>) -> bool {
        if self.path.is_empty() {
            return tag.depth == 2;
        }
        if self.matched + 1 != tag.depth || self.path.get(self.matched) != Some(&tag.local) {
            return false;
        }
        self.matched = tag.depth;
        tag.depth == self.path.len()
    }
}

impl<'a> Handler<'a> for Splitter<'a, '_> {
    fn start(&mut self, tag: &StartTag<'a>, attrs: &[Attr<'a>], namespaces: &Namespaces<'a>) {
        if tag.depth == 1 {
            self.root = Some((tag.local, tag.start));
        }
        // Selected elements never nest: they all sit at the path's depth.
        if let Some(item) = &mut self.item {
            item.inherited.note(tag, attrs, namespaces);
            return;
        }
        if !self.selects(tag) {
            return;
        }
        let mut inherited = Inherited::new(tag.depth);
        inherited.note(tag, attrs, namespaces);
        self.item = Some(OpenItem {
            start: tag.start,
            name_end: tag.name_end,
            depth: tag.depth,
            inherited,
        });
    }

    // Outside an item of a list, text is the root's own: its children are the items.
    fn text(&mut self, text: Text<'a>) {
        if self.strict && self.item.is_none() && self.stray.is_none() && !text.is_blank() {
            self.stray = self.root;
        }
    }

    fn end(&mut self, depth: usize, end: usize) {
        if self.matched == depth {
            self.matched -= 1;
        }
        let Some(item) = self.item.take_if(|item| item.depth == depth) else {
            return;
        };
        let head = self.body.get(item.start..item.name_end);
        let tail = self.body.get(item.name_end..end);
        if let (Some(head), Some(tail)) = (head, tail) {
            match self.budget.take(item.inherited) {
                Some(declarations) => self
                    .items
                    .push([head, declarations.as_str(), tail].concat()),
                None => {
                    self.overspent.get_or_insert(item.start);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_maps_look_like_ordinary_maps() {
        let entries = |n: usize| -> Vec<(Value, Value)> {
            let mut entries: Vec<(Value, Value)> = (0..n)
                .map(|i| (Value::from(format!("k{i}")), Value::from(i)))
                .collect();
            // A repeated key: first place, last value.
            entries.push((Value::from("k0"), Value::from("again")));
            entries.push((Value::from("#text"), Value::from("text")));
            entries
        };
        for n in [1, 3, SCANNED_ENTRIES + 5] {
            let element = element_map(entries(n));
            let ordinary = Value::from_pairs(entries(n));
            assert_eq!(element, ordinary);
            assert_eq!(element.len(), ordinary.len());
            assert_eq!(element.to_string(), ordinary.to_string());
            assert_eq!(format!("{element:?}"), format!("{ordinary:?}"));
            assert_eq!(
                crate::template::to_json(&element).unwrap(),
                crate::template::to_json(&ordinary).unwrap()
            );
            for key in ["k0", "k1", "#text", "missing"] {
                assert_eq!(
                    element.get_attr(key).unwrap(),
                    ordinary.get_attr(key).unwrap()
                );
                let key = Value::from(key);
                assert_eq!(
                    element.get_item(&key).unwrap(),
                    ordinary.get_item(&key).unwrap()
                );
            }
            let keys = |v: &Value| v.try_iter().unwrap().collect::<Vec<_>>();
            assert_eq!(keys(&element), keys(&ordinary));
        }
    }

    fn limits() -> XmlLimits {
        XmlLimits::default()
    }

    /// The parsed value in Debug form, which keeps map order.
    fn show(text: &str) -> String {
        match parse(text, &limits()) {
            Ok(value) => format!("{value:?}"),
            Err(error) => panic!("unexpected error {error:?} for {text:?}"),
        }
    }

    fn error(text: &str) -> XmlError {
        let parsed = parse(text, &limits());
        let checked = check(text, &limits());
        assert_eq!(parsed.as_ref().map(|_| ()), checked.as_ref().map(|_| ()));
        match checked {
            Ok(()) => panic!("expected an error for {text:?}"),
            Err(error) => error,
        }
    }

    // --- parse: the shape of the value

    #[test]
    fn root_name_is_the_single_key() {
        assert_eq!(
            show("<Order><Id>42</Id></Order>"),
            "{'Order': {'Id': '42'}}"
        );
    }

    #[test]
    fn templates_reach_values_by_path() {
        let doc = parse(
            "<Order><Id>42</Id><Line><Sku>A</Sku></Line><Line><Sku>B</Sku></Line></Order>",
            &limits(),
        )
        .expect("well-formed");
        let env = minijinja::Environment::new();
        let out = env
            .render_str(
                "{{ doc.Order.Id }}:{% for l in doc.Order.Line %}{{ l.Sku }}{% endfor %}",
                Value::from_pairs([("doc", doc)]),
            )
            .expect("renders");
        assert_eq!(out, "42:AB");
    }

    #[test]
    fn empty_elements_are_empty_strings() {
        assert_eq!(show("<a><b/><c></c></a>"), "{'a': {'b': '', 'c': ''}}");
        assert_eq!(show("<a/>"), "{'a': ''}");
    }

    #[test]
    fn text_is_kept_as_written() {
        assert_eq!(show("<a>  two  words \n</a>"), "{'a': '  two  words \\n'}");
        assert_eq!(show("<a>   </a>"), "{'a': '   '}");
        assert_eq!(show("<a>1 > 0 ]> ]]</a>"), "{'a': '1 > 0 ]> ]]'}");
        assert_eq!(show("<a>> &amp; ></a>"), "{'a': '> & >'}");
    }

    #[test]
    fn whitespace_between_children_is_ignored() {
        assert_eq!(
            show("<a>\n  <b>1</b>\n  <c>2</c>\n</a>"),
            "{'a': {'b': '1', 'c': '2'}}"
        );
    }

    #[test]
    fn repeated_elements_become_a_list_at_the_first_position() {
        assert_eq!(
            show("<o><l>1</l><x>2</x><l>3</l><l>4</l></o>"),
            "{'o': {'l': ['1', '3', '4'], 'x': '2'}}"
        );
    }

    #[test]
    fn a_single_occurrence_stays_a_single_value() {
        assert_eq!(show("<o><l>1</l></o>"), "{'o': {'l': '1'}}");
    }

    #[test]
    fn repetition_is_per_parent() {
        assert_eq!(
            show("<o><p><l>1</l></p><p><l>2</l><l>3</l></p></o>"),
            "{'o': {'p': [{'l': '1'}, {'l': ['2', '3']}]}}"
        );
    }

    #[test]
    fn attributes_and_text() {
        assert_eq!(
            show(r#"<price currency="EUR" net='yes'>12.50</price>"#),
            "{'price': {'@currency': 'EUR', '@net': 'yes', '#text': '12.50'}}"
        );
        assert_eq!(show(r#"<a id="1"/>"#), "{'a': {'@id': '1'}}");
        // Whitespace-only text beside an attribute is layout.
        assert_eq!(show("<a id=\"1\">\n</a>"), "{'a': {'@id': '1'}}");
    }

    #[test]
    fn text_around_children_is_concatenated() {
        assert_eq!(
            show("<p>Hello <b>big</b> world<i/>!</p>"),
            "{'p': {'#text': 'Hello  world!', 'b': 'big', 'i': ''}}"
        );
        assert_eq!(
            show("<p><b>big</b> world</p>"),
            "{'p': {'b': 'big', '#text': ' world'}}"
        );
    }

    #[test]
    fn namespace_prefixes_are_dropped() {
        assert_eq!(
            show(
                r#"<ns:Order xmlns:ns="urn:x" xmlns="urn:d" ns:id="7"><ns:Id>1</ns:Id><Note>n</Note></ns:Order>"#
            ),
            "{'Order': {'@id': '7', 'Id': '1', 'Note': 'n'}}"
        );
        // Only declarations: no attributes, so the element is its text.
        assert_eq!(show(r#"<a xmlns="urn:a">t</a>"#), "{'a': 't'}");
    }

    #[test]
    fn same_local_name_under_different_prefixes_is_a_list() {
        assert_eq!(
            show(
                r#"<r xmlns:a="urn:a" xmlns:b="urn:b" a:k="1" b:k="2"><a:x>1</a:x><b:x>2</b:x></r>"#
            ),
            "{'r': {'@k': ['1', '2'], 'x': ['1', '2']}}"
        );
    }

    #[test]
    fn cdata_is_text() {
        assert_eq!(
            show("<a><![CDATA[<b>&amp;</b>]]></a>"),
            "{'a': '<b>&amp;</b>'}"
        );
        assert_eq!(show("<a>x<![CDATA[y]]>z</a>"), "{'a': 'xyz'}");
    }

    #[test]
    fn comments_and_processing_instructions_are_ignored() {
        assert_eq!(
            show(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c --><?pi x?><a>1<!-- c -->2<?pi?></a><!-- after -->\n"
            ),
            "{'a': '12'}"
        );
    }

    #[test]
    fn references_are_decoded() {
        assert_eq!(
            show("<a t=\"&quot;&apos;&#x41;\">&lt;&#65;&#x42;&amp;&gt;</a>"),
            "{'a': {'@t': '\"\\'A', '#text': '<AB&>'}}"
        );
    }

    #[test]
    fn line_ends_are_normalized() {
        assert_eq!(show("<a>1\r\n2\r3</a>"), "{'a': '1\\n2\\n3'}");
        assert_eq!(
            show("<a v=\"1\r\n2\t3&#10;4\"/>"),
            "{'a': {'@v': '1 2 3\\n4'}}"
        );
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        assert_eq!(
            show("\u{FEFF}<?xml version=\"1.0\"?><a>1</a>"),
            "{'a': '1'}"
        );
    }

    // --- parse and check: what is rejected

    #[test]
    fn doctype_is_rejected() {
        let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n <!ENTITY lol2 \"&lol;&lol;\">\n]>\n<lolz>&lol2;</lolz>";
        let e = error(laughs);
        assert_eq!(e.message, "DOCTYPE is not allowed");
        assert_eq!((e.line, e.column), (2, 1));
        assert_eq!(
            error("<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>").message,
            "DOCTYPE is not allowed"
        );
        assert_eq!(error("<!doctype a><a/>").message, "DOCTYPE is not allowed");
        assert_eq!(error("<!DOCTYPE a [").message, "DOCTYPE is not allowed");
        assert_eq!(error("<a/><!DOCTYPE a>").message, "DOCTYPE is not allowed");
        // As text it is harmless.
        assert_eq!(
            show("<a><![CDATA[<!DOCTYPE a>]]></a>"),
            "{'a': '<!DOCTYPE a>'}"
        );
    }

    #[test]
    fn unknown_entities_are_rejected() {
        let e = error("<a>\n  x &nbsp; y</a>");
        assert!(e.message.contains("&nbsp;"), "{}", e.message);
        assert_eq!((e.line, e.column), (2, 5));
        let e = error("<a b=\"&ext;\"/>");
        assert!(e.message.contains("&ext;"), "{}", e.message);
        assert_eq!((e.line, e.column), (1, 7));
        assert!(error("<a>&#0;</a>").message.contains("&#0;"));
        assert!(error("<a>&#xD800;</a>").message.contains("&#xD800;"));
        assert!(error("<a>&#+65;</a>").message.contains("&#+65;"));
        assert!(
            error("<a>&#99999999999;</a>")
                .message
                .contains("character reference")
        );
        assert!(error("<a>AT&T</a>").message.contains("&amp;"));
    }

    #[test]
    fn depth_limit_boundary() {
        let three = XmlLimits::with_depth(3);
        assert!(check("<a><b><c/></b></a>", &three).is_ok());
        assert!(parse("<a><b><c>x</c></b></a>", &three).is_ok());
        let e = parse("<a><b><c><d/></c></b></a>", &three).expect_err("too deep");
        assert_eq!(e.message, "nesting deeper than 3 elements");
        assert_eq!((e.line, e.column), (1, 10));
        assert_eq!(check("<a><b><c><d></d></c></b></a>", &three), Err(e));
        assert_eq!(
            error(&format!("{}{}", "<a>".repeat(65), "</a>".repeat(65))).message,
            "nesting deeper than 64 elements"
        );
        assert!(
            check(
                &format!("{}{}", "<a>".repeat(64), "</a>".repeat(64)),
                &limits()
            )
            .is_ok()
        );
    }

    #[test]
    fn attribute_count_limit_boundary() {
        let two = XmlLimits {
            max_attributes: 2,
            ..limits()
        };
        assert!(check(r#"<a x="1" y="2"><b xmlns:p="u" p:z="3"/></a>"#, &two).is_ok());
        let e = check(r#"<a x="1" y="2" z="3"/>"#, &two).expect_err("too many");
        assert_eq!(e.message, "more than 2 attributes on one element");
        assert_eq!((e.line, e.column, e.offset), (1, 16, 15));
        let e = check(r#"<a xmlns="u" xmlns:p="v" p:x="1"/>"#, &two).expect_err("too many");
        assert_eq!(e.message, "more than 2 attributes on one element");
        let many: String = (0..100_000).map(|i| format!(" a{i}=\"\"")).collect();
        let e = error(&format!("<r{many}/>"));
        assert_eq!(e.message, "more than 256 attributes on one element");
    }

    #[test]
    fn name_length_limit_boundary() {
        let short = XmlLimits {
            max_name_length: 5,
            ..limits()
        };
        assert!(check(r#"<abcde xyz="1" xmlns="u"><abc/></abcde>"#, &short).is_ok());
        let e = check("<abcdef/>", &short).expect_err("long element name");
        assert_eq!(e.message, "element name `abcdef` is longer than 5 bytes");
        assert_eq!((e.line, e.column), (1, 2));
        let e = check(r#"<a xmlns:p="u"/>"#, &short).expect_err("long attribute name");
        assert_eq!(e.message, "attribute name `xmlns:p` is longer than 5 bytes");
        assert_eq!((e.line, e.column), (1, 4));
        let huge = "n".repeat(100_000);
        let e = error(&format!("<{huge}/>"));
        assert!(e.message.starts_with("element name `nnnn"), "{}", e.message);
        assert!(e.message.len() < 200, "{}", e.message);
    }

    #[test]
    fn error_offsets_count_the_byte_order_mark() {
        let e = error("\u{FEFF}<a><b></a>");
        assert_eq!((e.line, e.column, e.offset), (1, 7, 9));
    }

    #[test]
    fn error_position_on_line_three() {
        let e = error("<Order>\n  <Lines>\n    <Line></Lines>\n</Order>");
        assert_eq!(
            e.message,
            "mismatched end tag: expected </Line>, found </Lines>"
        );
        assert_eq!((e.line, e.column), (3, 11));
        assert_eq!(e.to_string(), e.message);
    }

    /// An end tag that runs into the next line (its `>` forgotten) is
    /// named by its element name alone: the message is one line.
    #[test]
    fn an_unclosed_end_tag_is_named_on_one_line() {
        let e = error("<a>\n  <b>x</b\n</a>");
        assert_eq!(e.message, "end tag </b> is not closed: missing `>`");
        assert_eq!((e.line, e.column), (2, 7));
        let e = error("<a><b></b c></a>");
        assert_eq!(e.message, "end tag </b> has more than its name: `c`");
        assert!(check("<a></a >", &limits()).is_ok());
    }

    #[test]
    fn columns_count_characters() {
        let e = error("<a>\r\n<ä>é€</b></a>");
        assert_eq!((e.line, e.column), (2, 6));
    }

    #[test]
    fn malformed_documents_are_rejected() {
        let cases: &[(&str, &str, (usize, usize))] = &[
            ("", "no root element: the document is empty", (1, 1)),
            (" \n ", "no root element: the document is empty", (2, 2)),
            (
                "<!-- only -->",
                "no root element: the document is empty",
                (1, 14),
            ),
            (
                "<a>",
                "unexpected end of document: element <a> is not closed",
                (1, 1),
            ),
            (
                "<a><b></a>",
                "mismatched end tag: expected </b>, found </a>",
                (1, 7),
            ),
            (
                "<a></a></b>",
                "unexpected end tag </b> after the root element",
                (1, 8),
            ),
            (
                "<a/><b/>",
                "only one root element is allowed: found another element after it",
                (1, 5),
            ),
            (
                "<a/>x",
                "text is not allowed outside the root element",
                (1, 5),
            ),
            (
                "x<a/>",
                "text is not allowed outside the root element",
                (1, 1),
            ),
            (
                "<a/>&amp;",
                "text is not allowed outside the root element",
                (1, 5),
            ),
            (
                "<a/><![CDATA[x]]>",
                "text is not allowed outside the root element",
                (1, 5),
            ),
            ("<a x=\"1\" x=\"2\"/>", "duplicate attribute `x`", (1, 10)),
            (
                "<a x=1/>",
                "the value of attribute `x` must be quoted",
                (1, 6),
            ),
            ("<a x/>", "attribute `x` has no value: expected `=`", (1, 5)),
            (
                "<a x=\"1\"y=\"2\"/>",
                "missing whitespace before attribute `y`",
                (1, 9),
            ),
            (
                "<a x=\"<\"/>",
                "`<` is not allowed in an attribute value (write it as &lt;)",
                (1, 7),
            ),
            (
                "<a>1 < 2</a>",
                "expected an element name after `<` (write a literal `<` in text as &lt;)",
                (1, 6),
            ),
            ("<1a/>", "invalid element name `1a`", (1, 2)),
            ("<a:b:c/>", "invalid element name `a:b:c`", (1, 2)),
            ("<p:a/>", "namespace prefix `p` is not declared", (1, 2)),
            (
                "<a p:x=\"1\"/>",
                "namespace prefix `p` is not declared",
                (1, 4),
            ),
            (
                "<a xmlns:p=\"\"/>",
                "namespace prefix `p` cannot be bound to an empty name",
                (1, 13),
            ),
            (
                "<a xmlns:p=\"urn:u\" xmlns:q=\"urn:u\" p:x=\"1\" q:x=\"2\"/>",
                "attribute `x` in namespace `urn:u` is given twice",
                (1, 44),
            ),
            (
                "<a xmlns:p=\"urn:u\"><b xmlns:q=\"urn:u\" q:x=\"2\" p:x=\"1\"/></a>",
                "attribute `x` in namespace `urn:u` is given twice",
                (1, 47),
            ),
            (
                "<a xmlns:xml=\"urn:wrong\"/>",
                "the prefix `xml` is bound to `http://www.w3.org/XML/1998/namespace` and to no other name",
                (1, 15),
            ),
            (
                "<a xmlns:x=\"http://www.w3.org/XML/1998/namespace\"/>",
                "`http://www.w3.org/XML/1998/namespace` is the namespace of the prefix `xml` and of no other",
                (1, 13),
            ),
            (
                "<a xmlns=\"http://www.w3.org/2000/xmlns/\"/>",
                "`http://www.w3.org/2000/xmlns/` is reserved for namespace declarations",
                (1, 11),
            ),
            (
                "<a>]]></a>",
                "`]]>` is not allowed in text (write it as ]]&gt;)",
                (1, 4),
            ),
            (
                "<a>1 > 0, x ]]> y</a>",
                "`]]>` is not allowed in text (write it as ]]&gt;)",
                (1, 13),
            ),
            (
                "<a>\u{1}</a>",
                "character U+0001 is not allowed in XML",
                (1, 4),
            ),
            (
                "<a>\u{FFFF}</a>",
                "character U+FFFF is not allowed in XML",
                (1, 4),
            ),
            (
                "<a><!-- x -- y --></a>",
                "`--` is not allowed inside a comment",
                (1, 11),
            ),
            ("<a", "tag is not closed: missing `>`", (1, 1)),
            (
                "<a x=\"1/>",
                "attribute value is not closed: missing `\"`",
                (1, 1),
            ),
            (
                "<a><!-- x</a>",
                "comment is not closed: missing `-->`",
                (1, 4),
            ),
            (
                "<a><![CDATA[x</a>",
                "CDATA section is not closed: missing `]]>`",
                (1, 4),
            ),
            (
                "<a><!x></a>",
                "unknown markup after `<!`: expected a comment `<!--` or a CDATA section `<![CDATA[`",
                (1, 4),
            ),
            (
                " <?xml version=\"1.0\"?><a/>",
                "the XML declaration `<?xml ...?>` is allowed only at the very start of the document",
                (1, 2),
            ),
            (
                "<a/><?xml version=\"1.0\"?>",
                "the XML declaration `<?xml ...?>` is allowed only at the very start of the document",
                (1, 5),
            ),
            (
                "<?xml?><a/>",
                "the XML declaration must start with version=\"1.0\"",
                (1, 1),
            ),
            (
                "<?xml version=\"2.0\"?><a/>",
                "unsupported XML version `2.0`",
                (1, 16),
            ),
            (
                "<?xml version=\"1.0\" standalone=\"maybe\"?><a/>",
                "standalone must be \"yes\" or \"no\"",
                (1, 33),
            ),
            (
                "<?xml version=\"1.0\" foo=\"1\"?><a/>",
                "unexpected `foo` in the XML declaration",
                (1, 21),
            ),
            (
                "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>é</a>",
                "the document declares encoding `ISO-8859-1` but holds UTF-8 text: declare UTF-8 or leave the encoding out",
                (1, 31),
            ),
            (
                "<a><?XML x?></a>",
                "processing instruction name `XML` is reserved",
                (1, 4),
            ),
            (
                "<a><? x?></a>",
                "a processing instruction must start with a name after `<?`",
                (1, 4),
            ),
            (
                "<a>&amp</a>",
                "`&` starts a reference without a closing `;` (write a literal `&` as &amp;)",
                (1, 4),
            ),
        ];
        for (text, message, position) in cases {
            let e = error(text);
            assert_eq!(
                (e.message.as_str(), (e.line, e.column)),
                (*message, *position),
                "for {text:?}"
            );
        }
    }

    #[test]
    fn huge_names_make_short_messages() {
        let name = "n".repeat(10_000);
        let e = error(&format!("<{name}></x>"));
        assert!(e.message.len() < 200, "{}", e.message);
    }

    #[test]
    fn wide_and_deep_documents_are_handled() {
        let distinct: String = (0..50_000).map(|i| format!("<e{i}>{i}</e{i}>")).collect();
        let value = parse(&format!("<r>{distinct}</r>"), &limits()).expect("well-formed");
        let last = value.get_attr("r").and_then(|r| r.get_attr("e49999"));
        assert_eq!(last.map(|v| v.to_string()).ok().as_deref(), Some("49999"));

        let wide = XmlLimits {
            max_attributes: 100_000,
            ..limits()
        };
        let many_attributes: String = (0..50_000).map(|i| format!(" a{i}=\"{i}\"")).collect();
        assert!(check(&format!("<r{many_attributes}/>"), &wide).is_ok());
        let duplicated = format!("<r{many_attributes} a7=\"x\"/>");
        assert_eq!(
            check(&duplicated, &wide).map_err(|e| e.message),
            Err("duplicate attribute `a7`".to_owned())
        );

        let depth = 100_000;
        let deep = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert!(check(&deep, &XmlLimits::with_depth(depth)).is_ok());
        assert!(check(&deep, &limits()).is_err());
    }

    // --- split

    const ORDER: &str = r#"<?xml version="1.0"?>
<o:Order xmlns:o="urn:o" xmlns="urn:d" xmlns:unused="urn:u">
  <o:Lines>
    <o:Line n="1"><Sku>A &amp; B</Sku></o:Line>
    <o:Note>not a line</o:Note>
    <o:Line xmlns:o="urn:o2" n="2"/>
  </o:Lines>
  <o:Lines><o:Line n="3"/></o:Lines>
</o:Order>"#;

    #[test]
    fn split_by_path_carries_the_namespace_declarations_items_use() {
        let items = split(ORDER, &["Order", "Lines", "Line"], &limits()).expect("well-formed");
        // `unused` is used by no item; the default namespace only by the
        // first item's `Sku`; the second item declares its own `o`.
        assert_eq!(
            items,
            [
                r#"<o:Line xmlns:o="urn:o" xmlns="urn:d" n="1"><Sku>A &amp; B</Sku></o:Line>"#,
                r#"<o:Line xmlns:o="urn:o2" n="2"/>"#,
                r#"<o:Line xmlns:o="urn:o" n="3"/>"#,
            ]
        );
        for item in &items {
            assert!(check(item, &limits()).is_ok(), "{item}");
        }
        assert_eq!(show(&items[0]), "{'Line': {'@n': '1', 'Sku': 'A & B'}}");
    }

    /// The declarations of a wrapper with `n` prefixes `{k}0`..: none used.
    fn unused_declarations(k: &str, n: usize) -> String {
        (0..n)
            .map(|i| format!(r#" xmlns:{k}{i}="urn:{k}{i}""#))
            .collect()
    }

    #[test]
    fn items_leave_unused_declarations_behind() {
        let list = format!(
            "<L{}><m:W{}>{}</m:W></L>",
            unused_declarations("a", 250),
            unused_declarations("b", 250) + r#" xmlns:m="urn:m""#,
            "<Item><N>1</N></Item>".repeat(1000)
        );
        for items in [
            split(&list, &["L", "W", "Item"], &limits()).expect("well-formed"),
            split_children(
                &format!(
                    "<L{}>{}</L>",
                    unused_declarations("a", 250),
                    "<Item><N>1</N></Item>".repeat(1000)
                ),
                &limits(),
            )
            .expect("well-formed"),
        ] {
            assert_eq!(items.len(), 1000);
            assert!(items.iter().all(|item| item == "<Item><N>1</N></Item>"));
        }
    }

    #[test]
    fn items_may_not_copy_more_declarations_than_the_document_holds() {
        // One long namespace name, used by many tiny items: each would carry
        // all of it, 20,000 bytes for 7 of its own.
        let long = format!("urn:{}", "x".repeat(20_000));
        let list = format!("<L xmlns:p=\"{long}\">{}</L>", "<p:I/>".repeat(1000));
        let err = split_children(&list, &limits()).unwrap_err();
        assert!(
            err.message.contains("more namespace declarations"),
            "{err:?}"
        );
        let err = split(&list, &["L", "I"], &limits()).unwrap_err();
        assert!(
            err.message.contains("more namespace declarations"),
            "{err:?}"
        );
        // A few such items, or a short name, are fine.
        let few = format!("<L xmlns:p=\"{long}\">{}</L>", "<p:I/>".repeat(3));
        assert_eq!(split_children(&few, &limits()).unwrap().len(), 3);
        let short = format!("<L xmlns:p=\"urn:p\">{}</L>", "<p:I/>".repeat(1000));
        assert_eq!(split_children(&short, &limits()).unwrap().len(), 1000);
    }

    #[test]
    fn items_keep_the_inherited_declarations_their_names_use() {
        // Prefixes used by the item, a descendant and an attribute; the
        // default namespace by an unprefixed descendant; `xml` needs none;
        // `q` is redeclared inside the item, `u` is used in text only.
        let list = format!(
            r#"<L xmlns:p="urn:p" xmlns:a="urn:a" xmlns:q="urn:q" xmlns:u="urn:u" xmlns="urn:d"{}><p:I xml:lang="en"><q:X xmlns:q="urn:q2"/><Y a:n="1">u:text</Y></p:I><p:I/></L>"#,
            unused_declarations("z", 20)
        );
        let items = split_children(&list, &limits()).expect("well-formed");
        assert_eq!(
            items,
            [
                r#"<p:I xmlns:p="urn:p" xmlns="urn:d" xmlns:a="urn:a" xml:lang="en"><q:X xmlns:q="urn:q2"/><Y a:n="1">u:text</Y></p:I>"#,
                r#"<p:I xmlns:p="urn:p"/>"#,
            ]
        );
        for item in &items {
            assert!(check(item, &limits()).is_ok(), "{item}");
        }
        assert_eq!(
            show(&items[0]),
            "{'I': {'@lang': 'en', 'X': '', 'Y': {'@n': '1', '#text': 'u:text'}}}"
        );
        // A `q` used after its redeclaration inside the item has ended is
        // the wrapper's again.
        let list = r#"<L xmlns:q="urn:q"><I><q:X xmlns:q="urn:q2"/><q:Y/></I></L>"#;
        assert_eq!(
            split_children(list, &limits()).expect("well-formed"),
            [r#"<I xmlns:q="urn:q"><q:X xmlns:q="urn:q2"/><q:Y/></I>"#]
        );
    }

    #[test]
    fn an_item_using_many_inherited_prefixes_declares_each_once() {
        let prefixes: Vec<String> = (0..40).map(|i| format!("p{i}")).collect();
        let declarations: String = prefixes
            .iter()
            .map(|p| format!(r#" xmlns:{p}="urn:{p}""#))
            .collect();
        let uses: String = prefixes
            .iter()
            .map(|p| format!("<{p}:X/><{p}:Y/>"))
            .collect();
        let list = format!("<L{declarations}><I>{uses}</I></L>");
        let items = split_children(&list, &limits()).expect("well-formed");
        assert_eq!(items, [format!("<I{declarations}>{uses}</I>")]);
    }

    #[test]
    fn split_by_children() {
        let items = split_children(ORDER, &limits()).expect("well-formed");
        assert_eq!(items.len(), 2);
        assert!(items[0].starts_with(r#"<o:Lines xmlns:o="urn:o" xmlns="urn:d">"#));
        assert_eq!(
            items[1],
            r#"<o:Lines xmlns:o="urn:o"><o:Line n="3"/></o:Lines>"#
        );
        assert_eq!(split(ORDER, &[], &limits()), Ok(items));
    }

    #[test]
    fn a_list_root_holds_only_its_items() {
        let spaced = "<L>\n <!-- c --> <i>text</i> <?pi?>\n <![CDATA[ ]]></L>";
        assert_eq!(split_children(spaced, &limits()).expect("a list").len(), 1);
        // Each error is at the root's start tag: line and column.
        for (text, at) in [
            ("<L>true</L>", (1, 1)),
            (
                "\u{feff}<?xml version='1.0'?>\n <p:L xmlns:p='u'><i/>x</p:L>",
                (2, 2),
            ),
            ("<L><i/><![CDATA[y]]></L>", (1, 1)),
            ("<L><i/>&amp;</L>", (1, 1)),
        ] {
            let e = split_children(text, &limits()).expect_err("text in the root");
            assert!(e.message.starts_with("text is not allowed in `L`"), "{e:?}");
            assert_eq!((e.line, e.column), at, "{text}");
        }
        // A split by path takes what it selects and looks at nothing else.
        assert_eq!(
            split("<L>x<i/></L>", &["L", "i"], &limits()).map(|i| i.len()),
            Ok(1)
        );
    }

    #[test]
    fn split_leaves_out_undeclared_default_namespace() {
        let items = split_children(r#"<r xmlns="urn:d"><m xmlns=""><i/></m></r>"#, &limits());
        assert_eq!(items, Ok(vec![r#"<m xmlns="">"#.to_owned() + "<i/></m>"]));
        let items = split(
            r#"<r xmlns="urn:d"><m xmlns=""><i/></m></r>"#,
            &["r", "m", "i"],
            &limits(),
        );
        assert_eq!(items, Ok(vec!["<i/>".to_owned()]));
    }

    #[test]
    fn split_escapes_carried_namespace_names() {
        let items = split_children(r#"<r xmlns:p='urn:"q"&amp;'><p:i/></r>"#, &limits());
        assert_eq!(
            items,
            Ok(vec![
                r#"<p:i xmlns:p="urn:&quot;q&quot;&amp;"/>"#.to_owned()
            ])
        );
    }

    #[test]
    fn split_path_selection() {
        // The path includes the root: another root selects nothing.
        assert_eq!(
            split(ORDER, &["Invoice", "Lines", "Line"], &limits()),
            Ok(vec![])
        );
        // A one-name path selects the root itself.
        let root = split("<a><b/></a>", &["a"], &limits());
        assert_eq!(root, Ok(vec!["<a><b/></a>".to_owned()]));
        // Names below a mismatch do not count.
        let text = "<r><x><i>1</i></x><y><i>2</i></y><x><i>3</i><i>4</i></x></r>";
        let items = split(text, &["r", "x", "i"], &limits());
        assert_eq!(
            items,
            Ok(vec![
                "<i>1</i>".to_owned(),
                "<i>3</i>".into(),
                "<i>4</i>".into()
            ])
        );
        // Items do not nest, even when a name repeats below an item.
        let items = split("<r><i><i/></i></r>", &["r", "i"], &limits());
        assert_eq!(items, Ok(vec!["<i><i/></i>".to_owned()]));
    }

    #[test]
    fn split_rejects_malformed_documents() {
        let e = split("<r><i/><i></r>", &["r", "i"], &limits()).expect_err("malformed");
        assert_eq!(e.message, "mismatched end tag: expected </i>, found </r>");
        let e = split_children("<r><i/></r><!DOCTYPE r>", &limits()).expect_err("doctype");
        assert_eq!(e.message, "DOCTYPE is not allowed");
    }

    // --- wrap and escape

    #[test]
    fn wrap_drops_declarations_and_leading_whitespace() {
        let items = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n  <i>1</i>",
            "\n<i>2</i>",
            "<?xml-stylesheet href=\"s\"?><i>3</i>",
        ];
        let text = wrap("Batch", &[("id", "a&b"), ("n", "\"3\"")], &items);
        assert_eq!(
            text,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Batch id=\"a&amp;b\" n=\"&quot;3&quot;\"><i>1</i><i>2</i><?xml-stylesheet href=\"s\"?><i>3</i></Batch>"
        );
        assert_eq!(
            show(&text),
            "{'Batch': {'@id': 'a&b', '@n': '\"3\"', 'i': ['1', '2', '3']}}"
        );
        assert_eq!(
            wrap("E", &[], &[]),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<E></E>"
        );
    }

    #[test]
    fn a_declared_encoding_agrees_with_utf8_or_the_text_is_ascii() {
        let limits = XmlLimits::default();
        let declared = |encoding: &str, text: &str| {
            format!("<?xml version=\"1.0\" encoding=\"{encoding}\"?><a>{text}</a>")
        };
        for utf8 in ["utf-8", "UTF-8", "UTF8", "csUTF8"] {
            assert!(check(&declared(utf8, "é"), &limits).is_ok(), "{utf8}");
        }
        for ascii in [
            "US-ASCII",
            "ascii",
            "ISO-8859-1",
            "iso_8859-15",
            "ISO8859-2",
            "latin1",
            "windows-1252",
            "CP1251",
            "Shift_JIS",
            "EUC-JP",
        ] {
            assert!(check(&declared(ascii, "plain"), &limits).is_ok(), "{ascii}");
            let refused = check(&declared(ascii, "€"), &limits).unwrap_err();
            assert!(
                refused
                    .message
                    .contains(&format!("declares encoding `{ascii}` but holds UTF-8 text")),
                "{refused:?}"
            );
        }
        for (encoding, says) in [
            ("UTF-16", "its bytes are not UTF-16"),
            ("utf-16le", "its bytes are not utf-16le"),
            ("UTF-32", "its bytes are not UTF-32"),
            ("ISO-10646-UCS-2", "its bytes are not ISO-10646-UCS-2"),
            ("bogus-enc", "`bogus-enc`, which flowgate does not read"),
            (
                "EBCDIC-CP-US",
                "`EBCDIC-CP-US`, which flowgate does not read",
            ),
            ("UTF-7", "`UTF-7`, which flowgate does not read"),
            ("ISO-8859-12", "`ISO-8859-12`, which flowgate does not read"),
            ("ISO-8859-01", "`ISO-8859-01`, which flowgate does not read"),
            (
                "windows-1259",
                "`windows-1259`, which flowgate does not read",
            ),
        ] {
            let refused = check(&declared(encoding, "plain"), &limits).unwrap_err();
            assert!(refused.message.contains(says), "{encoding}: {refused:?}");
            assert_eq!((refused.line, refused.column), (1, 31), "{encoding}");
        }
    }

    #[test]
    fn escape_borrows_clean_text() {
        assert!(matches!(
            escape("plain text é"),
            Cow::Borrowed("plain text é")
        ));
        assert!(matches!(escape(""), Cow::Borrowed("")));
        assert_eq!(escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
        assert_eq!(escape("é<"), "é&lt;");
        assert_eq!(
            escape_lossy("a\u{1}b\u{1b}<\tc\u{FFFF}"),
            "a\u{FFFD}b\u{FFFD}&lt;\tc\u{FFFD}"
        );
        assert!(matches!(escape_lossy("plain"), Cow::Borrowed("plain")));
    }

    // --- properties

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Strings made of XML pieces, so that most inputs get past the first byte.
        fn xmlish() -> impl Strategy<Value = String> {
            let pieces = vec![
                "<a>",
                "</a>",
                "<b x='1'>",
                "</b>",
                "<c/>",
                "<p:d xmlns:p=\"u\">",
                "</p:d>",
                "text",
                " ",
                "\n",
                "\r\n",
                "&amp;",
                "&#65;",
                "&foo;",
                "&",
                ";",
                "<!--c-->",
                "<!--",
                "-->",
                "<![CDATA[x]]>",
                "<![CDATA[",
                "]]>",
                "<?pi d?>",
                "<?xml version=\"1.0\"?>",
                "<!DOCTYPE a>",
                "<!",
                "<?",
                "<",
                ">",
                "/",
                "\"",
                "'",
                "=",
                "x",
                "é",
                "\u{FEFF}",
                "\u{1}",
                "<a",
                "</",
                "xmlns=''",
            ];
            prop::collection::vec(prop::sample::select(pieces), 0..24).prop_map(|v| v.concat())
        }

        #[derive(Debug, Clone)]
        struct Tree {
            name: &'static str,
            attributes: Vec<(&'static str, String)>,
            content: Content,
        }

        #[derive(Debug, Clone)]
        enum Content {
            Text(String),
            Children(Vec<Tree>),
        }

        fn tree() -> impl Strategy<Value = Tree> {
            let name = prop::sample::select(vec!["A", "B", "p:C", "q:D"]);
            let attributes = prop::sample::subsequence(vec!["x", "y", "p:z"], 0..=3)
                .prop_flat_map(|names| {
                    let values = prop::collection::vec("[a-z<>&'\" ]{0,4}", names.len());
                    (Just(names), values)
                })
                .prop_map(|(names, values)| names.into_iter().zip(values).collect::<Vec<_>>());
            let leaf = (name.clone(), attributes.clone(), "[a-z<>&'\" ]{0,6}").prop_map(
                |(name, attributes, text)| Tree {
                    name,
                    attributes,
                    content: Content::Text(text),
                },
            );
            leaf.prop_recursive(3, 24, 4, move |inner| {
                (
                    name.clone(),
                    attributes.clone(),
                    prop::collection::vec(inner, 0..4),
                )
                    .prop_map(|(name, attributes, children)| Tree {
                        name,
                        attributes,
                        content: Content::Children(children),
                    })
            })
        }

        /// Documents made of tags of every kind `plain_tag` reads or gives
        /// up: ASCII and other names, prefixes bound or not, names that
        /// are no names, mismatched and unclosed tags, attributes.
        fn tagged() -> impl Strategy<Value = String> {
            let pieces = vec![
                "<a>",
                "</a>",
                "<a/>",
                "<a />",
                "</a >",
                "<ab>",
                "</ab>",
                "<_b.c-d9>",
                "</_b.c-d9>",
                "<p:a>",
                "</p:a>",
                "<p:a/>",
                "<q:a>",
                "</q:a>",
                "<p:>",
                "<:a>",
                "<a:b:c>",
                "<p:1>",
                "<1a>",
                "<-a>",
                "<é>",
                "</é>",
                "<aé>",
                "</aé>",
                "<xml:a>",
                "</xml:a>",
                "<xmlns:a>",
                "<a xmlns:p='u'>",
                "<p:a xmlns:p='u'>",
                "<a x='1'>",
                "<a x='1'/>",
                "<a x='1' />",
                "<a x='1' >",
                "<a x=\"1\" y='2'>",
                "<a x='1' x='2'>",
                "<a x='1' p:x='2'>",
                "<p:a p:x='1' q:x='2'>",
                "<a x = '1'>",
                "<a x='1'y='2'>",
                "<a\nx='1'\r\ny='2'>",
                "<a x='&amp;'>",
                "<a x='a\tb'>",
                "<a x='<'>",
                "<a x='>'>",
                "<a x='\"'>",
                "<a x=1>",
                "<a x='1>",
                "<a x='1' y='2' z='3' w='4'>",
                "<a xml:lang='en'>",
                "<a xmlns='u'>",
                "<a xmlns:q='v' q:x='1'>",
                "<a é='1'>",
                "<a x='é'>",
                "<a 1='1'>",
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                "<?xml version='1.0'?>",
                "<?xml version=\"1.0\" encoding=\"utf-8\" ?>",
                "<?xml version=\"1.1\"?>",
                "<LongerName>",
                "</LongerName>",
                "text",
                " ",
                "&amp;",
                "<!--c-->",
                "<",
                ">",
                "/",
                "<a",
                "</a",
                "</",
            ];
            prop::collection::vec(prop::sample::select(pieces), 0..16).prop_map(|v| v.concat())
        }

        /// Every report a scan makes, in order, in words.
        #[derive(Default)]
        struct Events(Vec<String>);

        impl<'a> Handler<'a> for Events {
            fn start(
                &mut self,
                tag: &StartTag<'a>,
                attrs: &[Attr<'a>],
                namespaces: &Namespaces<'a>,
            ) {
                let attrs: Vec<_> = attrs
                    .iter()
                    .map(|a| {
                        (
                            a.prefix,
                            a.local,
                            a.name_at,
                            a.value.clone(),
                            a.is_declaration,
                        )
                    })
                    .collect();
                let namespace = namespaces.resolve(tag.prefix.unwrap_or_default());
                self.0.push(format!(
                    "start {:?} {} at {}..{} depth {} in {namespace:?} {attrs:?}",
                    tag.prefix, tag.local, tag.start, tag.name_end, tag.depth
                ));
            }
            fn text(&mut self, text: Text<'a>) {
                self.0.push(match text {
                    Text::Raw(raw) => format!("text {raw:?}"),
                    Text::Cdata(raw) => format!("cdata {raw:?}"),
                    Text::Char(c) => format!("char {c:?}"),
                });
            }
            fn end(&mut self, depth: usize, end: usize) {
                self.0.push(format!("end depth {depth} at {end}"));
            }
        }

        /// The reports and the outcome of scanning `text`, with
        /// `plain_tag` reading the tags it can or leaving all to the
        /// general path.
        fn scan_events(
            text: &str,
            limits: &XmlLimits,
            plain_tags: bool,
        ) -> (Vec<String>, Result<(), (usize, String)>) {
            let mut events = Events::default();
            let mut scanner = Scanner::new(text, limits);
            scanner.plain_tags = plain_tags;
            let outcome = scanner
                .run(&mut events)
                .map_err(|fail| (fail.at, fail.message));
            (events.0, outcome)
        }

        /// Each declaration skipped is one the general path accepts at
        /// the start of a document, ASCII or not, and rejects anywhere else.
        #[test]
        fn common_declarations_are_read_as_the_general_path_reads_them() {
            for declaration in COMMON_DECLARATIONS {
                for (text, well_formed) in [
                    (format!("{declaration}<a/>"), true),
                    (format!("{declaration}\n<a>é</a>"), true),
                    (format!("{declaration}{declaration}<a/>"), false),
                    (format!("<a>{declaration}</a>"), false),
                ] {
                    let fast = scan_events(&text, &limits(), true);
                    assert_eq!(fast, scan_events(&text, &limits(), false), "{text}");
                    assert_eq!(fast.1.is_ok(), well_formed, "{text}");
                }
            }
        }

        fn render(tree: &Tree, out: &mut String) {
            out.push('<');
            out.push_str(tree.name);
            for (key, value) in &tree.attributes {
                out.push_str(&format!(" {key}=\"{}\"", escape(value)));
            }
            out.push('>');
            match &tree.content {
                Content::Text(text) => out.push_str(&escape(text)),
                Content::Children(children) => {
                    for child in children {
                        out.push_str("\n  ");
                        render(child, out);
                    }
                }
            }
            out.push_str("</");
            out.push_str(tree.name);
            out.push('>');
        }

        proptest! {
            /// `escape` replaces the five characters XML gives a meaning,
            /// character by character, and nothing else.
            #[test]
            fn escape_replaces_the_five_characters(text in "(?s)[a-z&<>\"'\r\n é€😀]{0,24}") {
                let mut expected = String::new();
                for c in text.chars() {
                    match c {
                        '&' => expected.push_str("&amp;"),
                        '<' => expected.push_str("&lt;"),
                        '>' => expected.push_str("&gt;"),
                        '"' => expected.push_str("&quot;"),
                        '\'' => expected.push_str("&apos;"),
                        c => expected.push(c),
                    }
                }
                prop_assert_eq!(escape(&text), expected);
            }

            #[test]
            fn parse_and_check_agree_and_never_panic(
                text in prop_oneof![any::<String>(), xmlish()],
                max_depth in 0usize..4,
            ) {
                let limits = XmlLimits::with_depth(max_depth);
                let parsed = parse(&text, &limits).map(|_| ());
                let checked = check(&text, &limits);
                prop_assert_eq!(&parsed, &checked);
                let split = split_children(&text, &limits).map(|_| ());
                match (&split, &checked) {
                    // A well-formed document whose root holds text is no list.
                    (Err(e), Ok(())) => prop_assert!(
                        e.message.starts_with("text is not allowed in"),
                        "{:?}", e
                    ),
                    _ => prop_assert_eq!(&split, &checked),
                }
            }

            /// Tags read by `plain_tag`, and common declarations skipped,
            /// are reported exactly as the general path reports them, and
            /// a document the fast paths give up on meets the same error
            /// at the same place.
            #[test]
            fn plain_tags_are_read_as_the_general_path_reads_them(
                text in tagged(),
                max_depth in 0usize..5,
                max_name_length in 0usize..8,
                max_attributes in 0usize..3,
            ) {
                let limits = XmlLimits { max_depth, max_attributes, max_name_length };
                prop_assert_eq!(
                    scan_events(&text, &limits, true),
                    scan_events(&text, &limits, false)
                );
            }

            /// `plain_name` reads a name as checking every byte in turn
            /// would: the same length and colon, and `None` for the same
            /// starts (a name over `max` included).
            #[test]
            fn plain_name_reads_names_byte_by_byte(
                text in "[a-c_:.0-9\\-<>/ é]{0,12}",
                max in 0usize..10,
            ) {
                let bytes = text.as_bytes();
                let starts_part = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_');
                let expected = (|| {
                    if !starts_part(bytes.first()) {
                        return None;
                    }
                    let mut colon = None;
                    let mut length = 1;
                    while let Some(&b) = bytes.get(length) {
                        if !ASCII_NAME_BYTES[usize::from(b)] {
                            break;
                        }
                        if length == max {
                            return None;
                        }
                        if b == b':' {
                            if colon.is_some() || !starts_part(bytes.get(length + 1)) {
                                return None;
                            }
                            colon = Some(length);
                        }
                        length += 1;
                    }
                    (length <= max).then_some((length, colon))
                })();
                prop_assert_eq!(plain_name(bytes, max), expected);
            }

            #[test]
            fn split_then_wrap_gives_back_the_items(children in prop::collection::vec(tree(), 0..6)) {
                let mut text = String::from(
                    "<?xml version=\"1.0\"?>\n<p:Root xmlns:p=\"urn:p\" xmlns:q=\"urn:q\">",
                );
                for child in &children {
                    text.push_str("\n  ");
                    render(child, &mut text);
                }
                // Only whitespace inside the root would be its text, which no item carries.
                if !children.is_empty() {
                    text.push('\n');
                }
                text.push_str("</p:Root>");

                let items = split_children(&text, &limits()).expect("generated documents are well-formed");
                prop_assert_eq!(items.len(), children.len());
                let refs: Vec<&str> = items.iter().map(String::as_str).collect();
                let wrapped = wrap("Root", &[], &refs);
                let original = parse(&text, &limits()).expect("well-formed");
                let rebuilt = parse(&wrapped, &limits()).expect("wrapped items are well-formed");
                prop_assert_eq!(format!("{rebuilt:?}"), format!("{original:?}"));
                prop_assert_eq!(split_children(&wrapped, &limits()).expect("well-formed"), items);
            }
        }
    }
}
