//! Reading a request envelope in one pass of the XML scanner.
//!
//! What comes out is the operation (the Body's one element, the wrapper)
//! and the wrapper's child elements, each as a standalone document with the
//! inherited namespace declarations its names use added to its start tag,
//! exactly as `xml-list` items are cut out of a list. Header blocks are only looked at
//! for `mustUnderstand`: flowgate understands none, so one addressed to it
//! is a fault.

use super::{QName, Version};
use crate::doc::xml::{
    self, Attr, CopyBudget, Handler, Inherited, Namespaces, StartTag, Text, XmlLimits,
};

/// A request envelope, read.
#[derive(Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The Body's element (the wrapper), which names the operation.
    pub operation: QName,
    /// The wrapper's child elements, each a standalone XML document.
    pub payload: Vec<Payload>,
}

/// One child element of the wrapper.
#[derive(Debug, PartialEq, Eq)]
pub struct Payload {
    pub name: QName,
    /// The element's text with the inherited namespace declarations its names use.
    pub text: String,
}

/// Why an envelope cannot be processed; each maps to a fault code.
#[derive(Debug, PartialEq, Eq)]
pub enum EnvelopeError {
    /// Not XML, not an envelope, or not the shape SOAP requires.
    Malformed(String),
    /// An `Envelope` in another namespace than this version's: the other
    /// SOAP version's (`envelope` says which) or one no SOAP version has.
    VersionMismatch {
        envelope: Option<Version>,
        message: String,
    },
    /// Header blocks addressed to flowgate with `mustUnderstand`.
    MustUnderstand(Vec<QName>),
}

impl std::fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnvelopeError::Malformed(message) | EnvelopeError::VersionMismatch { message, .. } => {
                f.write_str(message)
            }
            EnvelopeError::MustUnderstand(blocks) => {
                let names: Vec<String> = blocks.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "header blocks marked mustUnderstand are not understood: {}",
                    names.join(", ")
                )
            }
        }
    }
}

/// Reads `text` as a `version` envelope.
pub fn read_envelope(
    text: &str,
    version: Version,
    limits: &XmlLimits,
) -> Result<Envelope, EnvelopeError> {
    read_envelope_with(text, version, limits, |_, _| None::<Ignore>).map(|(envelope, _)| envelope)
}

/// Reads `text` as a `version` envelope, and lets a handler read the
/// wrapper's first child in the same scan: `list` is asked with the
/// wrapper's name and the child's, and the handler it gives gets every
/// event inside the child (the child's own start and end included, at their
/// depths in the envelope: the child is at depth 4). The child is still
/// in the envelope's payload, so its shape can be checked as for any other.
pub(crate) fn read_envelope_with<'a, H: Handler<'a>>(
    text: &'a str,
    version: Version,
    limits: &XmlLimits,
    mut list: impl FnMut(&QName, &QName) -> Option<H>,
) -> Result<(Envelope, Option<H>), EnvelopeError> {
    let body = xml::without_bom(text);
    let mut reader = Reader::new(body, version, &mut list);
    xml::scan(text, limits, &mut reader).map_err(|err| {
        EnvelopeError::Malformed(format!(
            "the envelope is not well-formed XML: line {}, column {}: {}",
            err.line, err.column, err.message
        ))
    })?;
    reader.finish()
}

/// Where the handler of the wrapper's first child is.
enum Listed<H> {
    /// There is none (yet).
    No,
    /// It is given the events: they are inside the child.
    Reading(H),
    /// The child has ended.
    Read(H),
}

/// The handler of [`read_envelope`], which reads no payload as it scans.
struct Ignore;

impl Handler<'_> for Ignore {}

/// Where in the envelope an element at depth 2 put us.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Before,
    Header,
    AfterHeader,
    Body,
    AfterBody,
}

/// A wrapper child being read.
struct OpenItem<'a> {
    name: QName,
    start: usize,
    name_end: usize,
    inherited: Inherited<'a>,
}

struct Reader<'a, 'l, H> {
    body: &'a str,
    version: Version,
    /// Asked for a handler of the wrapper's first child.
    chooser: &'l mut dyn FnMut(&QName, &QName) -> Option<H>,
    /// The handler of the wrapper's first child, if it has one.
    list: Listed<H>,
    /// Elements open now; text belongs to the innermost.
    depth: usize,
    section: Section,
    /// The first thing wrong with the envelope's shape.
    error: Option<EnvelopeError>,
    wrapper: Option<QName>,
    item: Option<OpenItem<'a>>,
    payload: Vec<Payload>,
    not_understood: Vec<QName>,
    /// What the payload's documents may be given of their ancestors' declarations.
    budget: CopyBudget,
}

impl<'a, 'l, H: Handler<'a>> Reader<'a, 'l, H> {
    fn new(
        body: &'a str,
        version: Version,
        chooser: &'l mut dyn FnMut(&QName, &QName) -> Option<H>,
    ) -> Self {
        Reader {
            body,
            version,
            chooser,
            list: Listed::No,
            depth: 0,
            section: Section::Before,
            error: None,
            wrapper: None,
            item: None,
            payload: Vec::new(),
            not_understood: Vec::new(),
            budget: CopyBudget::for_document(body.len()),
        }
    }

    fn refuse(&mut self, error: EnvelopeError) {
        self.error.get_or_insert(error);
    }

    fn malformed(&mut self, message: impl Into<String>) {
        self.refuse(EnvelopeError::Malformed(message.into()));
    }

    fn is_envelope(&self, name: &QName, local: &str) -> bool {
        name.local == local && name.namespace.as_deref() == Some(self.version.namespace())
    }

    fn root(&mut self, name: &QName) {
        if self.is_envelope(name, "Envelope") {
            return;
        }
        // SOAP 1.1 §4.4.1 and SOAP 1.2 §5.4.7: an Envelope in a namespace
        // the node does not take is a version mismatch, whatever it is.
        if name.local == "Envelope" {
            let other = self.version.other();
            let ours = describe(self.version);
            let mismatch = if name.namespace.as_deref() == Some(other.namespace()) {
                EnvelopeError::VersionMismatch {
                    envelope: Some(other),
                    message: format!(
                        "this endpoint speaks {ours}; the envelope is {} (send it to {})",
                        describe(other),
                        other.path()
                    ),
                }
            } else {
                let namespace = match &name.namespace {
                    Some(namespace) => format!("in `{namespace}`"),
                    None => "in no namespace".to_owned(),
                };
                EnvelopeError::VersionMismatch {
                    envelope: None,
                    message: format!(
                        "the envelope is {namespace}, which is no SOAP version's: this endpoint speaks {ours}, whose envelope is in `{}`",
                        self.version.namespace()
                    ),
                }
            };
            self.refuse(mismatch);
            return;
        }
        self.malformed(format!(
            "the document is not a SOAP envelope: its root element is `{name}`, not `Envelope` in `{}`",
            self.version.namespace()
        ));
    }

    fn section(&mut self, name: &QName) {
        let next = match self.section {
            Section::Before if self.is_envelope(name, "Header") => Section::Header,
            Section::Before | Section::AfterHeader if self.is_envelope(name, "Body") => {
                Section::Body
            }
            _ => {
                self.malformed(format!(
                    "unexpected `{name}` in the envelope: it holds an optional Header, then one Body"
                ));
                Section::AfterBody
            }
        };
        self.section = next;
    }

    fn header_block(&mut self, name: QName, attrs: &[Attr<'a>], namespaces: &Namespaces<'a>) {
        let mut must_understand = false;
        let mut actor = None;
        for attr in attrs.iter().filter(|attr| !attr.is_declaration) {
            let namespace = attr.prefix.and_then(|prefix| namespaces.resolve(prefix));
            if namespace != Some(self.version.namespace()) {
                continue;
            }
            if attr.local == "mustUnderstand" {
                let Some(value) = xs_boolean(&attr.value) else {
                    self.malformed(format!(
                        "the header block `{name}` has mustUnderstand=\"{}\": it must be true, false, 1 or 0",
                        attr.value
                    ));
                    return;
                };
                must_understand = value;
            } else if attr.local == self.version.actor_attribute() {
                actor = Some(attr.value.trim().to_owned());
            }
        }
        if must_understand && self.version.targets_us(actor.as_deref()) {
            self.not_understood.push(name);
        }
    }

    /// SOAP encoding (`encodingStyle`) is not supported: messages are
    /// document/literal, read by their XSDs. Claimed on the Envelope, the
    /// Body, the operation element or its child, the message would mean
    /// something else to its sender than to flowgate, so it is refused
    /// rather than read as literal. An empty value claims nothing (SOAP 1.1
    /// §4.1.1); header blocks are not read, so neither is their encoding.
    fn encoding_style(
        &mut self,
        tag: &StartTag<'a>,
        attrs: &[Attr<'a>],
        namespaces: &Namespaces<'a>,
    ) {
        let claimed = attrs.iter().find(|attr| {
            !attr.is_declaration
                && attr.local == "encodingStyle"
                && !attr.value.trim().is_empty()
                && attr.prefix.and_then(|prefix| namespaces.resolve(prefix))
                    == Some(self.version.namespace())
        });
        if let Some(attr) = claimed {
            let name = qname(tag, namespaces);
            self.malformed(format!(
                "`{name}` has encodingStyle=\"{}\": SOAP encoding is not supported; messages are document/literal, as the WSDL (`?wsdl`) describes them",
                attr.value
            ));
        }
    }

    fn finish(self) -> Result<(Envelope, Option<H>), EnvelopeError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if !matches!(self.section, Section::Body | Section::AfterBody) {
            return Err(EnvelopeError::Malformed(
                "the envelope has no Body".to_owned(),
            ));
        }
        if !self.not_understood.is_empty() {
            return Err(EnvelopeError::MustUnderstand(self.not_understood));
        }
        let Some(name) = self.wrapper else {
            return Err(EnvelopeError::Malformed(
                "the Body is empty: it must hold the element of an operation, as the WSDL (`?wsdl`) describes it".to_owned(),
            ));
        };
        Ok((
            Envelope {
                operation: name,
                payload: self.payload,
            },
            match self.list {
                Listed::Reading(list) | Listed::Read(list) => Some(list),
                Listed::No => None,
            },
        ))
    }
}

/// An `xs:boolean` (`mustUnderstand` in both versions; SOAP 1.1's schema
/// allows only `0` and `1`, but `true` and `false` are taken too), with
/// its whitespace collapsed; `None` for any other text.
fn xs_boolean(value: &str) -> Option<bool> {
    match value.trim_matches([' ', '\t', '\r', '\n']) {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn describe(version: Version) -> &'static str {
    match version {
        Version::Soap11 => "SOAP 1.1",
        Version::Soap12 => "SOAP 1.2",
    }
}

fn qname(tag: &StartTag<'_>, namespaces: &Namespaces<'_>) -> QName {
    QName {
        namespace: namespaces
            .resolve(tag.prefix.unwrap_or(""))
            .map(str::to_owned),
        local: tag.local.to_owned(),
    }
}

impl<'a, H: Handler<'a>> Handler<'a> for Reader<'a, '_, H> {
    fn start(&mut self, tag: &StartTag<'a>, attrs: &[Attr<'a>], namespaces: &Namespaces<'a>) {
        self.depth = tag.depth;
        if let Some(item) = &mut self.item {
            item.inherited.note(tag, attrs, namespaces);
        }
        if let Listed::Reading(list) = &mut self.list {
            list.start(tag, attrs, namespaces);
            return;
        }
        match (tag.depth, self.section) {
            (1, _) => {
                self.root(&qname(tag, namespaces));
                self.encoding_style(tag, attrs, namespaces);
            }
            (2, _) => {
                self.section(&qname(tag, namespaces));
                if self.section == Section::Body {
                    self.encoding_style(tag, attrs, namespaces);
                }
            }
            (3 | 4, Section::Body) => self.encoding_style(tag, attrs, namespaces),
            _ => {}
        }
        match (tag.depth, self.section) {
            (3, Section::Header) => self.header_block(qname(tag, namespaces), attrs, namespaces),
            (3, Section::Body) => {
                if self.wrapper.is_some() {
                    self.malformed(
                        "the Body holds more than one element; a request holds one operation",
                    );
                } else {
                    self.wrapper = Some(qname(tag, namespaces));
                }
            }
            (4, Section::Body) if self.item.is_none() => {
                let name = qname(tag, namespaces);
                if self.payload.is_empty()
                    && let Some(wrapper) = &self.wrapper
                    && let Some(mut list) = (self.chooser)(wrapper, &name)
                {
                    list.start(tag, attrs, namespaces);
                    self.list = Listed::Reading(list);
                }
                let mut inherited = Inherited::new(tag.depth);
                inherited.note(tag, attrs, namespaces);
                self.item = Some(OpenItem {
                    name,
                    start: tag.start,
                    name_end: tag.name_end,
                    inherited,
                });
            }
            _ => {}
        }
    }

    fn text(&mut self, text: Text<'a>) {
        if let Listed::Reading(list) = &mut self.list {
            list.text(text);
            return;
        }
        // Text belongs in the payload's documents and in header blocks, not
        // between the envelope's own elements.
        if text.is_blank() {
            return;
        }
        if self.depth <= 2 {
            self.malformed("the envelope holds text outside its elements");
        } else if self.depth == 3 && self.section == Section::Body {
            let message = match &self.wrapper {
                Some(wrapper) => format!(
                    "the operation element `{}` holds text: it holds only the operation's documents",
                    wrapper.local
                ),
                None => "the envelope holds text outside its elements".to_owned(),
            };
            self.malformed(&message);
        }
    }

    fn end(&mut self, depth: usize, end: usize) {
        self.depth = depth - 1;
        if let Listed::Reading(list) = &mut self.list {
            list.end(depth, end);
            if depth > 4 {
                return;
            }
            // The child's own end is the envelope's too.
            if let Listed::Reading(list) = std::mem::replace(&mut self.list, Listed::No) {
                self.list = Listed::Read(list);
            }
        }
        if depth == 2 {
            self.section = match self.section {
                Section::Header => Section::AfterHeader,
                Section::Body => Section::AfterBody,
                other => other,
            };
        }
        if depth != 4 {
            return;
        }
        let Some(item) = self.item.take() else {
            return;
        };
        let head = self.body.get(item.start..item.name_end);
        let tail = self.body.get(item.name_end..end);
        if let (Some(head), Some(tail)) = (head, tail) {
            match self.budget.take(item.inherited) {
                Some(declarations) => self.payload.push(Payload {
                    name: item.name,
                    text: [head, declarations.as_str(), tail].concat(),
                }),
                None => self.malformed(CopyBudget::EXCEEDED),
            }
        }
    }
}
