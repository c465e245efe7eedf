//! Reading a document with a profile: one forward pass that checks
//! well-formedness (the XML scanner), validates against the profile and
//! builds the template value, with no tree in between.
//!
//! Per open element the reader keeps a frame plus three stack regions
//! shared by all frames: the content model's matching state (one slot per
//! particle), a count and map entry per child name, and the map entries
//! built so far. A frame's regions are released when the element ends, so
//! memory follows nesting depth and time is linear in the input: each
//! child element costs one walk down the content model, whose size is
//! fixed by the schema.
//!
//! Content models are matched greedily: an element goes to the first
//! particle that can take it. XSD's Unique Particle Attribution rule makes
//! that the only possible match in a valid schema (the compiler warns
//! about models that break it). The usual model, a sequence of elements
//! taken once, is matched by one loop over its particles rather than
//! through the general matcher's recursion (`Particle::flat`); a property
//! test holds the two to the same readings.
//!
//! After an element that does not fit, its whole subtree is skipped and
//! reading goes on, so one pass reports every violation (up to
//! [`MAX_VIOLATIONS`]). Once there is a violation no value is built.

use std::fmt::Write as _;

use minijinja::Value;

use crate::doc::xml::{
    self, Attr, CopyBudget, Handler, Inherited, Namespaces, StartTag, Text, XmlLimits,
};

use super::identity::{Identities, Identity};
use super::model::{
    ComplexType, Content, ElementDecl, ElementRef, NamespaceConstraint, Particle, ProcessContents,
    SimpleTypeRef, Term, TypeRef, Wildcard,
};
use super::schema::XSI_NAMESPACE;
use super::simple::{self, Atom, BuiltIn};
use super::{MAX_VIOLATIONS, Violation, XmlProfile};
use crate::profile::ReadError;

pub(crate) fn read(
    profile: &XmlProfile,
    root: ElementRef,
    text: &str,
    limits: &XmlLimits,
) -> Result<Value, ReadError> {
    let mut reader = Reader::new(profile, root);
    xml::scan(text, limits, &mut reader).map_err(malformed)?;
    reader.finish().map_err(ReadError::Invalid)
}

/// Where a document that is not well-formed goes wrong.
fn malformed<V>(error: xml::XmlError) -> ReadError<V> {
    ReadError::Malformed(format!(
        "{} at line {} column {}",
        error.message, error.line, error.column
    ))
}

/// One item of a list document, read by [`read_items`].
#[derive(Debug)]
pub struct Item {
    /// The item element's byte range in the document.
    pub start: usize,
    pub end: usize,
    /// Where the item's start tag name ends, and the namespace declarations
    /// of its ancestors that its names use: inserted there, the item stands
    /// alone (see [`Inherited`]).
    pub name_end: usize,
    pub declarations: String,
    pub value: Value,
}

/// Reads a list document in one pass: every child element of its root (the
/// wrapper) is one document of the profile. Violations come with their
/// item's position among the items of its name, counting from 0 (the `2` of
/// `/OrderList/Order[3]`).
pub(crate) fn read_items(
    profile: &XmlProfile,
    text: &str,
    limits: &XmlLimits,
) -> Result<Vec<Item>, ReadError<Vec<(usize, Violation)>>> {
    let mut list = ListReader::new(profile, 2, text.len());
    xml::scan(text, limits, &mut list).map_err(malformed)?;
    list.finish().map_err(ReadError::Invalid)
}

/// Hands each element at `item_depth` to a [`Reader`] of the profile, one
/// after another; the reader's buffers serve every item. A list document's
/// items are at depth 2; a list inside a larger document (a SOAP body) is
/// read in that document's scan, its items deeper.
pub(crate) struct ListReader<'p, 'a> {
    reader: Reader<'p, 'a>,
    item_depth: usize,
    /// Where the item being read started, while one is.
    current: Option<ItemStart<'a>>,
    /// The list element's local name while it is open.
    list: Option<&'a str>,
    /// The item names seen so far, each with its count: an item's
    /// position among those of its name places its violations. Counted
    /// while violations may still be noted: every name but the profile's
    /// is one, so the list stays short.
    names: Vec<(&'a str, usize)>,
    items: Vec<Item>,
    violations: Vec<(usize, Violation)>,
    /// What the items may be given of their ancestors' declarations.
    budget: CopyBudget,
}

impl<'p, 'a> ListReader<'p, 'a> {
    /// A reader of the items of a document of `document_len` bytes.
    pub(crate) fn new(profile: &'p XmlProfile, item_depth: usize, document_len: usize) -> Self {
        ListReader {
            reader: Reader::new(profile, profile.root),
            item_depth,
            current: None,
            list: None,
            names: Vec::new(),
            items: Vec::new(),
            violations: Vec::new(),
            budget: CopyBudget::for_document(document_len),
        }
    }

    /// The items read, or every violation with its item's position (see [`read_items`]).
    pub(crate) fn finish(self) -> Result<Vec<Item>, Vec<(usize, Violation)>> {
        if self.violations.is_empty() {
            Ok(self.items)
        } else {
            Err(self.violations)
        }
    }

    /// The position of the next item named `local` among the items of
    /// that name (0 once no more violations are noted: it places none).
    fn position(&mut self, local: &'a str) -> usize {
        if self.violations.len() >= MAX_VIOLATIONS {
            return 0;
        }
        match self.names.iter_mut().find(|(name, _)| *name == local) {
            Some((_, count)) => {
                *count += 1;
                *count - 1
            }
            None => {
                self.names.push((local, 1));
                0
            }
        }
    }
}

/// The start of a list item: see [`Item`].
struct ItemStart<'a> {
    /// Its position among the items of its name.
    position: usize,
    start: usize,
    name_end: usize,
    inherited: Inherited<'a>,
}

// `#[inline]`: two scans drive a list reader (a list body and a SOAP
// envelope), and with two callers the compiler stopped inlining these into
// the list body's scan, which cost that route about 1.5%.
impl<'a> Handler<'a> for ListReader<'_, 'a> {
    #[inline]
    fn start(&mut self, tag: &StartTag<'a>, attrs: &[Attr<'a>], namespaces: &Namespaces<'a>) {
        if tag.depth + 1 == self.item_depth {
            self.list = Some(tag.local);
        }
        if tag.depth == self.item_depth {
            self.reader.reset();
            self.current = Some(ItemStart {
                position: self.position(tag.local),
                start: tag.start,
                name_end: tag.name_end,
                inherited: Inherited::new(tag.depth),
            });
        }
        if let Some(current) = &mut self.current {
            current.inherited.note(tag, attrs, namespaces);
            self.reader.start(tag, attrs, namespaces);
        }
    }

    #[inline]
    fn text(&mut self, text: Text<'a>) {
        if self.current.is_some() {
            self.reader.text(text);
            return;
        }
        // Between items the list element holds nothing but whitespace:
        // text there is no item, and is not dropped without a word.
        if let Some(list) = self.list
            && !text.is_blank()
            && self.violations.len() < MAX_VIOLATIONS
        {
            // Said once is enough: the rest of the list's text goes unremarked.
            self.list = None;
            let message = format!("text is not allowed in `{list}`: it holds only the items");
            // The path of the list element itself (see `item_path`).
            let path = "/".to_owned();
            self.violations.push((0, Violation { path, message }));
        }
    }

    #[inline]
    fn end(&mut self, depth: usize, end: usize) {
        if depth + 1 == self.item_depth {
            self.list = None;
        }
        if self.current.is_none() {
            return;
        }
        self.reader.end(depth, end);
        if depth != self.item_depth {
            return;
        }
        let Some(ItemStart {
            position,
            start,
            name_end,
            inherited,
        }) = self.current.take()
        else {
            return;
        };
        match self.reader.finish() {
            // Once an item is bad the others are only checked.
            Ok(value) if self.violations.is_empty() => match self.budget.take(inherited) {
                Some(declarations) => self.items.push(Item {
                    start,
                    end,
                    name_end,
                    declarations,
                    value,
                }),
                None => {
                    let message = CopyBudget::EXCEEDED.to_owned();
                    // The path of the list element itself (see `item_path`).
                    let path = "/".to_owned();
                    self.violations
                        .push((position, Violation { path, message }));
                }
            },
            Ok(_) => {}
            Err(violations) => {
                if self.violations.len() < MAX_VIOLATIONS {
                    self.violations
                        .extend(violations.into_iter().map(|v| (position, v)));
                }
            }
        }
    }
}

/// The matching state of one particle.
#[derive(Clone, Copy, Default, Debug)]
struct SlotState {
    /// Occurrences of the term begun.
    count: u32,
    /// In the current occurrence: the sequence position or the chosen alternative.
    pos: u32,
}

/// One child name of an open element.
#[derive(Clone, Copy)]
struct KeyState {
    /// Occurrences so far: the position in paths.
    count: u32,
    /// Index of its entry in `Reader::entries`, once it has one.
    entry: Option<u32>,
}

/// A map entry under construction.
enum Entry {
    One(Value),
    Many(Vec<Value>),
}

impl Entry {
    /// Adds another value under the entry's name: a list from the second on.
    fn push(&mut self, value: Value) {
        match self {
            Entry::Many(values) => values.push(value),
            Entry::One(first) => *self = Entry::Many(vec![std::mem::take(first), value]),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Entry::One(value) => value,
            Entry::Many(values) => Value::from(values),
        }
    }
}

#[derive(Clone, Copy)]
struct Frame<'p> {
    element: &'p ElementDecl,
    /// Position among its siblings of the same name, for elements that may repeat.
    index: Option<u32>,
    /// Its key in the parent's `child_keys`.
    key: u32,
    kind: Kind<'p>,
    /// Where this frame's regions start in the shared stacks.
    slots: usize,
    keys: usize,
    entries: usize,
    /// How many of its entries are attributes: they come first.
    attributes: usize,
    text_reported: bool,
    /// Given as `xsi:nil="true"`: it must be empty, and its value is `none`
    /// (or its attributes, if it has any).
    nil: bool,
}

#[derive(Clone, Copy)]
enum Kind<'p> {
    Simple(SimpleTypeRef),
    Complex(&'p ComplexType),
}

struct Reader<'p, 'a> {
    profile: &'p XmlProfile,
    root: ElementRef,
    frames: Vec<Frame<'p>>,
    slots: Vec<SlotState>,
    keys: Vec<KeyState>,
    entries: Vec<(Value, Entry)>,
    /// Text of the innermost element with simple content: borrowed from
    /// the document while it is one run with nothing to normalize (the
    /// usual leaf), else gathered in `text`.
    borrowed: Option<&'a str>,
    text: String,
    /// Which declared attributes the current start tag has.
    seen_attributes: Vec<bool>,
    violations: Vec<Violation>,
    /// The document's IDs and the references to them.
    identities: Identities,
    /// Depth inside an element being skipped; 0 when not skipping.
    skipping: usize,
    /// An element an `xs:any` takes untyped, being built, and the depth
    /// inside it; 0 when there is none.
    raw: Option<xml::ValueBuilder<'a>>,
    raw_depth: usize,
    /// Text of the innermost element, when its type is mixed, since its
    /// last child: kept under `#text` unless it is only whitespace.
    mixed_run: String,
    result: Option<Value>,
}

impl<'p, 'a> Reader<'p, 'a> {
    fn new(profile: &'p XmlProfile, root: ElementRef) -> Self {
        // Sized for the usual document, a few levels of a few children
        // each, so that they are allocated once rather than grown.
        const USUAL: usize = 16;
        Reader {
            profile,
            root,
            frames: Vec::with_capacity(USUAL),
            slots: Vec::with_capacity(USUAL),
            keys: Vec::with_capacity(USUAL),
            entries: Vec::with_capacity(USUAL),
            borrowed: None,
            text: String::new(),
            seen_attributes: Vec::new(),
            violations: Vec::new(),
            identities: Identities::default(),
            skipping: 0,
            raw: None,
            raw_depth: 0,
            mixed_run: String::new(),
            result: None,
        }
    }

    /// Makes the reader ready for another document, keeping its buffers.
    fn reset(&mut self) {
        self.frames.clear();
        self.slots.clear();
        self.keys.clear();
        self.entries.clear();
        self.clear_text();
        self.violations.clear();
        self.identities.clear();
        self.skipping = 0;
        self.raw = None;
        self.raw_depth = 0;
        self.mixed_run.clear();
        self.result = None;
    }

    /// The document's value, or every violation found; taken from the reader.
    fn finish(&mut self) -> Result<Value, Vec<Violation>> {
        for dangling in self.identities.dangling() {
            self.violation(dangling.path, dangling.message);
        }
        if !self.violations.is_empty() {
            return Err(std::mem::take(&mut self.violations));
        }
        self.result.take().ok_or_else(|| {
            vec![Violation {
                path: String::new(),
                message: "the document has no document element".to_owned(),
            }]
        })
    }

    fn clear_text(&mut self) {
        self.borrowed = None;
        self.text.clear();
    }

    /// Adds a piece of an element's simple content.
    fn push_text(&mut self, text: Text<'a>) {
        match text {
            Text::Raw(raw) | Text::Cdata(raw) => {
                if self.borrowed.is_none()
                    && self.text.is_empty()
                    && xml::find_byte(b'\r', raw.as_bytes()).is_none()
                {
                    self.borrowed = Some(raw);
                    return;
                }
                if let Some(first) = self.borrowed.take() {
                    self.text.push_str(first);
                }
                xml::push_normalized(&mut self.text, raw);
            }
            Text::Char(c) => {
                if let Some(first) = self.borrowed.take() {
                    self.text.push_str(first);
                }
                self.text.push(c);
            }
        }
    }

    /// Values are built only while the document is valid.
    fn building(&self) -> bool {
        self.violations.is_empty()
    }

    fn violation(&mut self, path: String, message: String) {
        if self.violations.len() < MAX_VIOLATIONS {
            self.violations.push(Violation { path, message });
        }
    }

    /// The path of the innermost open element.
    fn path(&self) -> String {
        let mut path = String::new();
        for frame in &self.frames {
            path.push('/');
            path.push_str(&frame.element.name);
            if let Some(index) = frame.index {
                let _ = write!(path, "[{index}]");
            }
        }
        path
    }

    fn child_path(&self, local: &str) -> String {
        let mut path = self.path();
        path.push('/');
        path.push_str(local);
        path
    }

    /// Finds the declaration of a child of the innermost element and
    /// advances its content model; reports and gives `None` when it does not fit.
    fn child(&mut self, local: &str, namespace: Option<&str>) -> Option<Child> {
        let profile = self.profile;
        let frame = *self.frames.last()?;
        let (complex, particle) = match frame.kind {
            Kind::Complex(complex) => match &complex.content {
                Content::Elements(particle) => (complex, particle),
                Content::Empty => {
                    let message = format!(
                        "no element `{local}` here: `{}` is empty",
                        frame.element.name
                    );
                    self.violation(self.child_path(local), message);
                    return None;
                }
                Content::Simple(_) => {
                    self.text_only(&frame, local);
                    return None;
                }
            },
            Kind::Simple(_) => {
                self.text_only(&frame, local);
                return None;
            }
        };
        let region = frame.slots..frame.slots + complex.slots as usize;
        let name = Name { local, namespace };
        match feed(
            &profile.elements,
            particle,
            &mut self.slots[region.clone()],
            &name,
        ) {
            Some(Hit::Element(id, key)) => return Some(self.count_child(&frame, complex, id, key)),
            Some(Hit::Any(wildcard)) => return self.wildcard_child(wildcard, local, namespace),
            None => {}
        }
        let mut expected = Vec::new();
        acceptable(particle, &self.slots[region.clone()], &mut expected);
        // The right name in the wrong namespace is the most common mistake:
        // report it, then read the element as the declared one.
        if let Some(declared) = expected
            .iter()
            .map(|id| profile.element(*id))
            .find(|decl| decl.name == local)
        {
            let as_declared = Name {
                local,
                namespace: declared.namespace.as_deref(),
            };
            let child = match feed(
                &profile.elements,
                particle,
                &mut self.slots[region],
                &as_declared,
            )? {
                Hit::Element(id, key) => self.count_child(&frame, complex, id, key),
                Hit::Any(_) => Child::Untyped,
            };
            let mut path = self.child_path(local);
            if let Child::Declared(_, Some(index), _) = child {
                let _ = write!(path, "[{index}]");
            }
            let message = format!(
                "element `{local}` must be{}, not{}",
                in_namespace(declared.namespace.as_deref()),
                in_namespace(namespace)
            );
            self.violation(path, message);
            return Some(child);
        }
        let message = unexpected(
            complex,
            &self.keys[frame.keys..],
            &profile.elements,
            &expected,
            local,
            &frame.element.name,
        );
        let mut path = self.child_path(local);
        // One too many of an element that may repeat is still its nth
        // occurrence: the path says which.
        if let Some(key) = complex
            .child_keys
            .iter()
            .position(|key| key.repeats && key.local == local)
        {
            let state = &mut self.keys[frame.keys + key];
            state.count += 1;
            let _ = write!(path, "[{}]", state.count);
        }
        self.violation(path, message);
        None
    }

    fn text_only(&mut self, frame: &Frame<'_>, local: &str) {
        let message = format!(
            "no element `{local}` here: `{}` holds text only",
            frame.element.name
        );
        self.violation(self.child_path(local), message);
    }

    /// Counts an accepted child: its position, for paths, if it may repeat.
    fn count_child(
        &mut self,
        frame: &Frame<'_>,
        complex: &ComplexType,
        id: ElementRef,
        key: u32,
    ) -> Child {
        let key_state = &mut self.keys[frame.keys + key as usize];
        key_state.count += 1;
        let index = complex.child_keys[key as usize]
            .repeats
            .then_some(key_state.count);
        Child::Declared(id, index, key)
    }

    /// A child an `xs:any` takes: read by the profile's global element of
    /// its name where `strict` or `lax` finds one, untyped where `lax` or
    /// `skip` does not; `strict` without one refuses it.
    fn wildcard_child(
        &mut self,
        wildcard: &Wildcard,
        local: &str,
        namespace: Option<&str>,
    ) -> Option<Child> {
        let global = match wildcard.process {
            ProcessContents::Skip => None,
            ProcessContents::Lax | ProcessContents::Strict => {
                self.profile.global_element(local, namespace)
            }
        };
        match (global, wildcard.process) {
            (Some(id), _) => Some(Child::Global(id)),
            (None, ProcessContents::Strict) => {
                let message = format!(
                    "element `{local}`{} is not declared, and the xs:any here is strict: it admits the profile's global elements only (processContents=\"lax\" or \"skip\" admits any)",
                    in_namespace(namespace)
                );
                self.violation(self.child_path(local), message);
                None
            }
            (None, _) => Some(Child::Untyped),
        }
    }

    fn open(
        &mut self,
        id: ElementRef,
        index: Option<u32>,
        key: u32,
        attrs: &[Attr<'_>],
        namespaces: &Namespaces<'_>,
    ) {
        let element = self.profile.element(id);
        let kind = match element.type_ref {
            TypeRef::Simple(simple) => Kind::Simple(simple),
            TypeRef::Complex(complex) => Kind::Complex(self.profile.complex_type(complex)),
        };
        let frame = Frame {
            element,
            index,
            key,
            kind,
            slots: self.slots.len(),
            keys: self.keys.len(),
            entries: self.entries.len(),
            attributes: 0,
            text_reported: false,
            nil: false,
        };
        self.frames.push(frame);
        if element.nillable
            && self.nil(attrs, namespaces)
            && let Some(frame) = self.frames.last_mut()
        {
            frame.nil = true;
        }
        self.clear_text();
        match kind {
            Kind::Simple(_) => self.no_attributes(attrs, namespaces),
            Kind::Complex(complex) => {
                let slots = self.slots.len() + complex.slots as usize;
                self.slots.resize(slots, SlotState::default());
                let keys = self.keys.len() + complex.child_keys.len();
                self.keys.resize(
                    keys,
                    KeyState {
                        count: 0,
                        entry: None,
                    },
                );
                self.attributes(complex, attrs, namespaces);
                let entries = self.entries.len();
                if let Some(frame) = self.frames.last_mut() {
                    frame.attributes = entries - frame.entries;
                }
            }
        }
    }

    /// Whether a nillable element's start tag says `xsi:nil="true"`.
    fn nil(&mut self, attrs: &[Attr<'_>], namespaces: &Namespaces<'_>) -> bool {
        let Some(attr) = attrs.iter().find(|a| {
            a.local == "nil" && a.prefix.and_then(|p| namespaces.resolve(p)) == Some(XSI_NAMESPACE)
        }) else {
            return false;
        };
        let text = attr.value.trim_matches([' ', '\t', '\n', '\r']);
        match simple::parse_lexical(BuiltIn::Boolean, text) {
            Ok(atom) => atom == Atom::Bool(true),
            Err(message) => {
                let path = format!("{}/@nil", self.path());
                self.violation(path, message);
                false
            }
        }
    }

    fn no_attributes(&mut self, attrs: &[Attr<'_>], namespaces: &Namespaces<'_>) {
        let nillable = self.frames.last().is_some_and(|f| f.element.nillable);
        for attr in attrs.iter().filter(|a| !a.is_declaration) {
            let namespace = attr.prefix.and_then(|p| namespaces.resolve(p));
            if let Some(message) = foreign_attribute(attr, namespace, nillable) {
                let path = format!("{}/@{}", self.path(), attr.local);
                self.violation(path, message);
            }
        }
    }

    fn attributes(
        &mut self,
        complex: &'p ComplexType,
        attrs: &[Attr<'_>],
        namespaces: &Namespaces<'_>,
    ) {
        self.seen_attributes.clear();
        self.seen_attributes.resize(complex.attributes.len(), false);
        let nillable = self.frames.last().is_some_and(|f| f.element.nillable);
        for attr in attrs.iter().filter(|a| !a.is_declaration) {
            let namespace = attr.prefix.and_then(|p| namespaces.resolve(p));
            let found = complex.attributes.iter().position(|decl| {
                xml::same_name(&decl.name, attr.local) && decl.namespace.as_deref() == namespace
            });
            let Some(position) = found else {
                let same_name = complex.attributes.iter().find(|d| d.name == attr.local);
                if namespace != Some(XSI_NAMESPACE)
                    && let Some(wildcard) = &complex.any_attribute
                    && wildcard.admits(namespace)
                {
                    self.wildcard_attribute(wildcard, attr, same_name.is_none());
                    continue;
                }
                let message = match same_name {
                    Some(declared) => Some(format!(
                        "attribute `{}` must be{}, not{}",
                        attr.local,
                        in_namespace(declared.namespace.as_deref()),
                        in_namespace(namespace)
                    )),
                    None => foreign_attribute(attr, namespace, nillable),
                };
                if let Some(message) = message {
                    let path = format!("{}/@{}", self.path(), attr.local);
                    self.violation(path, message);
                }
                continue;
            };
            self.seen_attributes[position] = true;
            let decl = &complex.attributes[position];
            let checked = self.profile.check_simple_value(decl.type_ref, &attr.value);
            let refused = checked
                .as_ref()
                .ok()
                .and_then(|(text, atom, _)| decl.constraint.as_ref()?.refuses(text, *atom));
            match checked {
                Ok(_) if let Some(message) = refused => {
                    self.violation(format!("{}/@{}", self.path(), attr.local), message);
                }
                Ok((text, _, value)) => {
                    self.identify(decl.type_ref, &text, Some(attr.local));
                    if self.building() {
                        self.entries.push((decl.key.clone(), Entry::One(value)));
                    }
                }
                Err(message) => {
                    let path = format!("{}/@{}", self.path(), attr.local);
                    self.violation(path, message);
                }
            }
        }
        for (position, decl) in complex.attributes.iter().enumerate() {
            if self.seen_attributes[position] {
                continue;
            }
            if decl.required {
                let message = format!("missing attribute `{}`", decl.name);
                self.violation(self.path(), message);
            } else if let Some(constraint) = &decl.constraint
                && self.building()
            {
                self.entries
                    .push((decl.key.clone(), Entry::One(constraint.value())));
            }
        }
    }

    /// An attribute no declaration names, admitted by the type's
    /// `xs:anyAttribute`: its value is its text, under `@` and its local
    /// name, unless a declared attribute has that key already.
    fn wildcard_attribute(&mut self, wildcard: &Wildcard, attr: &Attr<'_>, keyed: bool) {
        match wildcard.process {
            ProcessContents::Strict => {
                let message = format!(
                    "attribute `{}` is not declared, and the xs:anyAttribute here is strict: it admits declared attributes only (processContents=\"lax\" or \"skip\" admits any)",
                    attr.local
                );
                let path = format!("{}/@{}", self.path(), attr.local);
                self.violation(path, message);
            }
            ProcessContents::Lax | ProcessContents::Skip => {
                if keyed && self.building() {
                    let key = Value::from(format!("@{}", attr.local));
                    let value = Value::from(&*attr.value);
                    self.entries.push((key, Entry::One(value)));
                }
            }
        }
    }

    /// Checks the text of a simple-typed element or simple content.
    /// An empty element with a `default` or `fixed` value has that value.
    fn leaf(&mut self, simple: SimpleTypeRef) -> Option<Value> {
        let constraint = self
            .frames
            .last()
            .and_then(|f| f.element.constraint.as_ref());
        let text = self.borrowed.unwrap_or(&self.text);
        if let Some(constraint) = constraint
            && text.is_empty()
        {
            return Some(constraint.value());
        }
        let checked = self.profile.check_simple_value(simple, text);
        let refused = checked
            .as_ref()
            .ok()
            .and_then(|(text, atom, _)| constraint?.refuses(text, *atom));
        match checked {
            Ok(_) if let Some(message) = refused => {
                self.violation(self.path(), message);
                None
            }
            Ok((text, _, value)) => {
                if self.profile.simple_type(simple).identity != Identity::None {
                    let text = text.into_owned();
                    self.identify(simple, &text, None);
                }
                Some(value)
            }
            Err(message) => {
                self.violation(self.path(), message);
                None
            }
        }
    }

    /// Notes an ID or a reference to one: the value `text` of the current
    /// element, or of its attribute `attribute`.
    fn identify(&mut self, simple: SimpleTypeRef, text: &str, attribute: Option<&str>) {
        let identity = self.profile.simple_type(simple).identity;
        if identity == Identity::None {
            return;
        }
        let mut path = self.path();
        if let Some(name) = attribute {
            path.push_str("/@");
            path.push_str(name);
        }
        for token in self.profile.identity_tokens(simple, text) {
            if let Some(duplicate) = self.identities.note(identity, token, path.clone()) {
                self.violation(duplicate.path, duplicate.message);
            }
        }
    }

    /// The value of a complex element from its entries, with an empty list
    /// for each repeating child that did not occur.
    fn complex_value(
        &mut self,
        complex: &ComplexType,
        frame: &Frame<'_>,
        text: Option<Value>,
    ) -> Value {
        let keys = &self.keys[frame.keys..];
        let absent = complex
            .child_keys
            .iter()
            .zip(keys)
            .filter(|(child, state)| child.repeats && state.entry.is_none())
            .count();
        let mut pairs = Vec::with_capacity(
            self.entries.len() - frame.entries + absent + usize::from(text.is_some()),
        );
        // Attribute entries come first; two of them can share a key (one
        // local name in two namespaces), nothing else can: child keys are
        // distinct names, and `@` or `#` cannot start an element name.
        pairs.extend(
            self.entries
                .drain(frame.entries..)
                .map(|(key, entry)| (key, entry.into_value())),
        );
        if absent > 0 {
            for (child, state) in complex.child_keys.iter().zip(keys) {
                if child.repeats && state.entry.is_none() {
                    pairs.push((child.key.clone(), Value::from(Vec::<Value>::new())));
                }
            }
        }
        if let Some(text) = text {
            pairs.push((Value::from("#text"), text));
        }
        if frame.attributes > 1 {
            xml::element_map(pairs)
        } else {
            xml::element_map_of_distinct(pairs)
        }
    }

    /// The value of an element given as `xsi:nil="true"`: `none`, or a map
    /// of its attributes if it has any.
    fn nil_value(&mut self, frame: &Frame<'_>) -> Value {
        if frame.attributes == 0 {
            return Value::from(());
        }
        let pairs: Vec<(Value, Value)> = self
            .entries
            .drain(frame.entries..)
            .map(|(key, entry)| (key, entry.into_value()))
            .collect();
        xml::element_map(pairs)
    }

    /// Hands a finished child's value to its parent's entries.
    fn deliver(&mut self, key: u32, value: Value) {
        let Some(parent) = self.frames.last() else {
            let root = self.profile.element(self.root);
            self.result = Some(xml::element_map(vec![(root.key.clone(), value)]));
            return;
        };
        let Kind::Complex(complex) = parent.kind else {
            return;
        };
        let Some(child) = complex.child_keys.get(key as usize) else {
            return;
        };
        let key_state = &mut self.keys[parent.keys + key as usize];
        match key_state
            .entry
            .and_then(|i| self.entries.get_mut(i as usize))
        {
            // A name that can occur twice is a list from its first
            // occurrence; one that cannot, should it come twice, keeps both.
            Some((_, entry)) => entry.push(value),
            None => {
                key_state.entry = u32::try_from(self.entries.len()).ok();
                let entry = if child.repeats {
                    // Grown to the four places a list of more
                    // than one would be given at its second anyway.
                    let mut values = Vec::with_capacity(4);
                    values.push(value);
                    Entry::Many(values)
                } else {
                    Entry::One(value)
                };
                self.entries.push((child.key.clone(), entry));
            }
        }
    }
}

impl Reader<'_, '_> {
    /// Adds the text of a mixed element since its last child to its
    /// `#text`, unless it is only whitespace (layout between children).
    /// Called only when there is such text: elements of other types pass by.
    #[cold]
    fn flush_mixed(&mut self) {
        let run = std::mem::take(&mut self.mixed_run);
        if run.chars().all(xml::is_xml_whitespace) || !self.building() || self.frames.is_empty() {
            return;
        }
        match self.child_entry("#text") {
            Some(Entry::One(text)) => {
                let joined = format!("{}{run}", text.as_str().unwrap_or_default());
                *text = Value::from(joined);
            }
            Some(Entry::Many(_)) => {}
            None => self
                .entries
                .push((Value::from("#text"), Entry::One(Value::from(run)))),
        }
    }

    /// Hands the value of a child an `xs:any` took to its parent's
    /// entries, under its local name: a list once the name occurs twice. A
    /// child of the content model with that name keeps the key.
    fn deliver_wildcard(&mut self, name: &str, value: Value) {
        let Some(parent) = self.frames.last() else {
            return;
        };
        let Kind::Complex(complex) = parent.kind else {
            return;
        };
        if complex.child_keys.iter().any(|key| key.local == name) {
            return;
        }
        match self.child_entry(name) {
            Some(entry) => entry.push(value),
            None => self.entries.push((Value::from(name), Entry::One(value))),
        }
    }

    /// The innermost element's entry named `name` among those after its
    /// attributes (its children and `#text`).
    fn child_entry(&mut self, name: &str) -> Option<&mut Entry> {
        let frame = self.frames.last()?;
        let start = frame.entries + frame.attributes;
        self.entries
            .get_mut(start..)?
            .iter_mut()
            .find(|(key, _)| key.as_str() == Some(name))
            .map(|(_, entry)| entry)
    }
}

/// The key of a frame opened for a child an `xs:any` took: it has none in
/// the parent's `child_keys`, and is delivered by name.
const WILDCARD_KEY: u32 = u32::MAX;

/// A child element as the content model takes it.
enum Child {
    /// By a declaration of the content model: its position among its
    /// siblings of that name (if it may repeat) and its key.
    Declared(ElementRef, Option<u32>, u32),
    /// By an `xs:any`, as the profile's global element of its name.
    Global(ElementRef),
    /// By an `xs:any`, untyped, as a document without a profile is read.
    Untyped,
}

/// Why an attribute nobody declared is wrong, or `None` when it is one
/// of the schema-location hints documents may carry, or `xsi:nil` on an
/// element that is `nillable`.
fn foreign_attribute(attr: &Attr<'_>, namespace: Option<&str>, nillable: bool) -> Option<String> {
    if namespace == Some(XSI_NAMESPACE) {
        return match attr.local {
            "schemaLocation" | "noNamespaceSchemaLocation" => None,
            "nil" if nillable => None,
            "nil" => Some("xsi:nil is not allowed: the element is not nillable".to_owned()),
            other => Some(format!("xsi:{other} is not supported")),
        };
    }
    if namespace == Some(xml::XML_NAMESPACE) {
        return Some(format!("no attribute `xml:{}` here", attr.local));
    }
    Some(format!("no attribute `{}` here", attr.local))
}

impl<'a> Handler<'a> for Reader<'_, 'a> {
    fn start(&mut self, tag: &StartTag<'a>, attrs: &[Attr<'a>], namespaces: &Namespaces<'a>) {
        if self.skipping > 0 {
            self.skipping += 1;
            return;
        }
        if self.raw_depth > 0 {
            self.raw_depth += 1;
            if let Some(raw) = &mut self.raw {
                raw.start(tag, attrs, namespaces);
            }
            return;
        }
        if self.violations.len() >= MAX_VIOLATIONS {
            self.skipping = 1;
            return;
        }
        if !self.mixed_run.is_empty() {
            self.flush_mixed();
        }
        let namespace = namespaces.resolve(tag.prefix.unwrap_or(""));
        let found = if self.frames.is_empty() {
            let root = self.profile.element(self.root);
            if root.matches(tag.local, namespace) {
                Some(Child::Declared(self.root, None, 0))
            } else {
                let message = format!(
                    "expected the document element `{}`{}, found `{}`{}",
                    root.name,
                    in_namespace(root.namespace.as_deref()),
                    tag.local,
                    in_namespace(namespace)
                );
                self.violation(format!("/{}", tag.local), message);
                None
            }
        } else if let Some(parent) = self.frames.last()
            && parent.nil
        {
            let message = format!(
                "`{}` is nil (xsi:nil=\"true\"), so it cannot hold `{}`",
                parent.element.name, tag.local
            );
            self.violation(format!("{}/{}", self.path(), tag.local), message);
            None
        } else {
            self.child(tag.local, namespace)
        };
        match found {
            Some(Child::Declared(id, index, key)) => self.open(id, index, key, attrs, namespaces),
            Some(Child::Global(id)) => self.open(id, None, WILDCARD_KEY, attrs, namespaces),
            Some(Child::Untyped) => {
                let mut raw = xml::ValueBuilder::default();
                raw.start(tag, attrs, namespaces);
                self.raw = Some(raw);
                self.raw_depth = 1;
            }
            None => self.skipping = 1,
        }
    }

    // Inlined into the list reader: most text is a leaf's or the layout
    // between elements, quickly dealt with, and comes as often as elements.
    #[inline]
    fn text(&mut self, text: Text<'a>) {
        if self.skipping > 0 {
            return;
        }
        if self.raw_depth > 0 {
            if let Some(raw) = &mut self.raw {
                raw.text(text);
            }
            return;
        }
        let Some(frame) = self.frames.last_mut() else {
            return;
        };
        if frame.nil {
            if !text.is_blank() && !frame.text_reported {
                frame.text_reported = true;
                let message = format!(
                    "`{}` is nil (xsi:nil=\"true\"), so it cannot hold text",
                    frame.element.name
                );
                self.violation(self.path(), message);
            }
            return;
        }
        let collects = match frame.kind {
            Kind::Simple(_) => true,
            Kind::Complex(complex) if complex.mixed => {
                match text {
                    Text::Raw(text) | Text::Cdata(text) => {
                        xml::push_normalized(&mut self.mixed_run, text);
                    }
                    Text::Char(c) => self.mixed_run.push(c),
                }
                return;
            }
            Kind::Complex(complex) => matches!(complex.content, Content::Simple(_)),
        };
        if collects {
            self.push_text(text);
            return;
        }
        if !text.is_blank() && !frame.text_reported {
            frame.text_reported = true;
            let message = format!("text is not allowed in `{}`", frame.element.name);
            self.violation(self.path(), message);
        }
    }

    fn end(&mut self, depth: usize, end: usize) {
        if self.skipping > 0 {
            self.skipping -= 1;
            return;
        }
        if self.raw_depth > 0 {
            if let Some(raw) = &mut self.raw {
                raw.end(depth, end);
            }
            self.raw_depth -= 1;
            if self.raw_depth == 0
                && let Some((name, value)) = self.raw.take().and_then(|raw| raw.into_root())
                && self.building()
            {
                self.deliver_wildcard(name, value);
            }
            return;
        }
        let Some(&frame) = self.frames.last() else {
            return;
        };
        if !self.mixed_run.is_empty() {
            self.flush_mixed();
        }
        // Checked while the frame is still open, so that messages have its path.
        let value = match frame.kind {
            _ if frame.nil => self.building().then(|| self.nil_value(&frame)),
            Kind::Simple(simple) => self.leaf(simple),
            Kind::Complex(complex) => {
                let text = match &complex.content {
                    Content::Elements(particle) => {
                        let state = &self.slots[frame.slots..frame.slots + complex.slots as usize];
                        if !can_end(particle, state) {
                            let message = missing(&self.profile.elements, particle, state);
                            self.violation(self.path(), message);
                        }
                        None
                    }
                    Content::Simple(simple) => self.leaf(*simple),
                    Content::Empty => None,
                };
                self.building()
                    .then(|| self.complex_value(complex, &frame, text))
            }
        };
        self.frames.pop();
        self.slots.truncate(frame.slots);
        self.keys.truncate(frame.keys);
        self.entries.truncate(frame.entries);
        self.clear_text();
        if let Some(value) = value
            && self.building()
        {
            if frame.key == WILDCARD_KEY {
                self.deliver_wildcard(&frame.element.name, value);
            } else {
                self.deliver(frame.key, value);
            }
        }
    }
}

fn in_namespace(namespace: Option<&str>) -> String {
    match namespace {
        Some(namespace) => format!(" in namespace `{namespace}`"),
        None => " in no namespace".to_owned(),
    }
}

// ---------------------------------------------------------------------------
// Content-model matching

/// An element's name as read.
struct Name<'n> {
    local: &'n str,
    namespace: Option<&'n str>,
}

fn slot(state: &[SlotState], particle: &Particle) -> SlotState {
    state[particle.slot as usize]
}

fn in_first(elements: &[ElementDecl], particle: &Particle, name: &Name<'_>) -> bool {
    particle
        .first
        .iter()
        .any(|id| elements[id.0 as usize].matches(name.local, name.namespace))
        || particle
            .first_any
            .iter()
            .any(|wildcard| wildcard.admits(name.namespace))
}

/// What took a child element: a declaration of the content model (with
/// its key), or an `xs:any`.
#[derive(Clone, Copy)]
enum Hit<'p> {
    Element(ElementRef, u32),
    Any(&'p Wildcard),
}

/// Gives one child element to a particle. On success the particle's state
/// has advanced and what took the element is returned; on failure the
/// state is unchanged.
fn feed<'p>(
    elements: &[ElementDecl],
    particle: &'p Particle,
    state: &mut [SlotState],
    name: &Name<'_>,
) -> Option<Hit<'p>> {
    let count = slot(state, particle).count;
    if let Term::Any(wildcard) = &particle.term {
        if !particle.max_occurs.allows(count + 1) || !wildcard.admits(name.namespace) {
            return None;
        }
        state[particle.slot as usize] = SlotState {
            count: count + 1,
            pos: 0,
        };
        return Some(Hit::Any(wildcard));
    }
    if let Term::Element(id) = &particle.term {
        // The usual particle, taken directly: an element term has no
        // occurrence in progress to continue, and its first set is itself.
        if !particle.max_occurs.allows(count + 1)
            || !elements[id.0 as usize].matches(name.local, name.namespace)
        {
            return None;
        }
        state[particle.slot as usize] = SlotState {
            count: count + 1,
            pos: 0,
        };
        return Some(Hit::Element(*id, particle.key));
    }
    if particle.flat
        && let Term::Sequence(children) = &particle.term
    {
        return feed_flat(elements, particle, children, state, name);
    }
    if count > 0 {
        if let Some(hit) = continue_term(elements, particle, state, name) {
            return Some(hit);
        }
        if !term_can_end(particle, state) {
            return None;
        }
    }
    if !particle.max_occurs.allows(count + 1) || !in_first(elements, particle, name) {
        return None;
    }
    // A new occurrence of the term: its particles start afresh.
    for below in &mut state[particle.slot as usize + 1..particle.slot_end as usize] {
        *below = SlotState::default();
    }
    state[particle.slot as usize] = SlotState {
        count: count + 1,
        pos: 0,
    };
    start_term(elements, particle, state, name)
}

/// [`feed`] for a [flat](Particle::flat) sequence: the element goes to
/// the first particle from the current one on that takes it, passing only
/// over particles that have had their `min_occurs`. What the general path
/// does through `continue_term` and `advance_sequence`, in one loop; the
/// state changes only when the element is taken.
fn feed_flat<'p>(
    elements: &[ElementDecl],
    particle: &Particle,
    children: &'p [Particle],
    state: &mut [SlotState],
    name: &Name<'_>,
) -> Option<Hit<'p>> {
    let from = slot(state, particle).pos as usize;
    for (i, child) in children.iter().enumerate().skip(from) {
        let Term::Element(id) = &child.term else {
            return None;
        };
        let count = slot(state, child).count;
        if child.max_occurs.allows(count + 1)
            && elements[id.0 as usize].matches(name.local, name.namespace)
        {
            state[child.slot as usize] = SlotState {
                count: count + 1,
                pos: 0,
            };
            state[particle.slot as usize] = SlotState {
                count: 1,
                pos: u32::try_from(i).unwrap_or(u32::MAX),
            };
            return Some(Hit::Element(*id, child.key));
        }
        if count < child.min_occurs {
            return None;
        }
    }
    None
}

/// Offers an element to the occurrence of the term in progress.
fn continue_term<'p>(
    elements: &[ElementDecl],
    particle: &'p Particle,
    state: &mut [SlotState],
    name: &Name<'_>,
) -> Option<Hit<'p>> {
    let pos = slot(state, particle).pos as usize;
    match &particle.term {
        Term::Element(_) | Term::Any(_) => None,
        Term::Sequence(children) => {
            let current = children.get(pos)?;
            if let Some(hit) = feed(elements, current, state, name) {
                return Some(hit);
            }
            if !can_end(current, state) {
                return None;
            }
            advance_sequence(elements, particle, children, pos + 1, state, name)
        }
        Term::Choice(children) => feed(elements, children.get(pos)?, state, name),
        Term::All(children) => take_from_all(elements, children, state, name),
    }
}

/// Starts a fresh occurrence of the term with an element that is in its first set.
fn start_term<'p>(
    elements: &[ElementDecl],
    particle: &'p Particle,
    state: &mut [SlotState],
    name: &Name<'_>,
) -> Option<Hit<'p>> {
    match &particle.term {
        Term::Element(id) => elements[id.0 as usize]
            .matches(name.local, name.namespace)
            .then_some(Hit::Element(*id, particle.key)),
        Term::Any(wildcard) => wildcard
            .admits(name.namespace)
            .then_some(Hit::Any(wildcard)),
        Term::Sequence(children) => advance_sequence(elements, particle, children, 0, state, name),
        Term::Choice(children) => {
            for (i, child) in children.iter().enumerate() {
                if let Some(hit) = feed(elements, child, state, name) {
                    state[particle.slot as usize].pos = u32::try_from(i).unwrap_or(u32::MAX);
                    return Some(hit);
                }
            }
            None
        }
        Term::All(children) => take_from_all(elements, children, state, name),
    }
}

/// Tries the sequence's particles from `from` on, passing over those that may be empty.
fn advance_sequence<'p>(
    elements: &[ElementDecl],
    particle: &Particle,
    children: &'p [Particle],
    from: usize,
    state: &mut [SlotState],
    name: &Name<'_>,
) -> Option<Hit<'p>> {
    for (i, child) in children.iter().enumerate().skip(from) {
        if let Some(hit) = feed(elements, child, state, name) {
            state[particle.slot as usize].pos = u32::try_from(i).unwrap_or(u32::MAX);
            return Some(hit);
        }
        if !child.nullable {
            return None;
        }
    }
    None
}

fn take_from_all<'p>(
    elements: &[ElementDecl],
    children: &'p [Particle],
    state: &mut [SlotState],
    name: &Name<'_>,
) -> Option<Hit<'p>> {
    for child in children {
        if let Term::Element(id) = &child.term
            && elements[id.0 as usize].matches(name.local, name.namespace)
        {
            if slot(state, child).count > 0 {
                return None;
            }
            state[child.slot as usize].count = 1;
            return Some(Hit::Element(*id, child.key));
        }
    }
    None
}

/// Whether the particle may end here.
fn can_end(particle: &Particle, state: &[SlotState]) -> bool {
    let count = slot(state, particle).count;
    if count == 0 {
        return particle.nullable;
    }
    term_can_end(particle, state) && (count >= particle.min_occurs || particle.term_nullable)
}

/// Whether the occurrence of the term in progress is complete.
fn term_can_end(particle: &Particle, state: &[SlotState]) -> bool {
    let pos = slot(state, particle).pos as usize;
    match &particle.term {
        Term::Element(_) | Term::Any(_) => true,
        Term::Sequence(children) => {
            children
                .get(pos)
                .is_none_or(|current| can_end(current, state))
                && children.iter().skip(pos + 1).all(|c| c.nullable)
        }
        Term::Choice(children) => children
            .get(pos)
            .is_none_or(|chosen| can_end(chosen, state)),
        Term::All(children) => children
            .iter()
            .all(|c| c.nullable || slot(state, c).count > 0),
    }
}

/// The elements that would be accepted next, for messages.
fn acceptable(particle: &Particle, state: &[SlotState], out: &mut Vec<ElementRef>) {
    let SlotState { count, pos } = slot(state, particle);
    if count == 0 {
        if particle.max_occurs.allows(1) {
            extend(out, &particle.first);
        }
        return;
    }
    let pos = pos as usize;
    match &particle.term {
        Term::Element(_) | Term::Any(_) => {}
        Term::Sequence(children) => {
            if let Some(current) = children.get(pos) {
                acceptable(current, state, out);
                if can_end(current, state) {
                    for next in children.iter().skip(pos + 1) {
                        extend(out, &next.first);
                        if !next.nullable {
                            break;
                        }
                    }
                }
            }
        }
        Term::Choice(children) => {
            if let Some(chosen) = children.get(pos) {
                acceptable(chosen, state, out);
            }
        }
        Term::All(children) => {
            for child in children.iter().filter(|c| slot(state, c).count == 0) {
                extend(out, &child.first);
            }
        }
    }
    if term_can_end(particle, state) && particle.max_occurs.allows(count + 1) {
        extend(out, &particle.first);
    }
}

fn extend(out: &mut Vec<ElementRef>, from: &[ElementRef]) {
    for id in from {
        if !out.contains(id) {
            out.push(*id);
        }
    }
}

/// What is missing when a particle cannot end, for the message.
fn missing(elements: &[ElementDecl], particle: &Particle, state: &[SlotState]) -> String {
    let SlotState { count, pos } = slot(state, particle);
    if count == 0 {
        return required(elements, particle);
    }
    let pos = pos as usize;
    if !term_can_end(particle, state) {
        match &particle.term {
            Term::Element(_) | Term::Any(_) => {}
            Term::Sequence(children) => {
                if let Some(current) = children.get(pos)
                    && !can_end(current, state)
                {
                    return missing(elements, current, state);
                }
                let rest: Vec<&Particle> = children
                    .iter()
                    .skip(pos + 1)
                    .filter(|c| !c.nullable)
                    .collect();
                if !rest.is_empty() {
                    return all_required(elements, &rest);
                }
            }
            Term::Choice(children) => {
                if let Some(chosen) = children.get(pos) {
                    return missing(elements, chosen, state);
                }
            }
            Term::All(children) => {
                let absent: Vec<&Particle> = children
                    .iter()
                    .filter(|c| !c.nullable && slot(state, c).count == 0)
                    .collect();
                if !absent.is_empty() {
                    return all_required(elements, &absent);
                }
            }
        }
    }
    match &particle.term {
        Term::Element(id) => format!(
            "`{}` occurs {}, at least {} expected",
            elements[id.0 as usize].name,
            super::times(count as usize),
            particle.min_occurs
        ),
        Term::Any(wildcard) => format!(
            "{count} element{} of {}, at least {} expected",
            if count == 1 { "" } else { "s" },
            wildcard_elements(wildcard),
            particle.min_occurs
        ),
        _ => required(elements, particle),
    }
}

/// What a particle that has not begun needs first.
fn required(elements: &[ElementDecl], particle: &Particle) -> String {
    match &particle.term {
        Term::Element(id) => {
            let name = &elements[id.0 as usize].name;
            if particle.min_occurs > 1 {
                format!(
                    "missing element `{name}` (at least {})",
                    particle.min_occurs
                )
            } else {
                format!("missing element `{name}`")
            }
        }
        Term::Sequence(children) => {
            let needed: Vec<&Particle> = children.iter().filter(|c| !c.nullable).collect();
            if needed.is_empty() {
                "missing content".to_owned()
            } else {
                all_required(elements, &needed)
            }
        }
        Term::Any(wildcard) if particle.min_occurs > 1 => format!(
            "missing {} (at least {})",
            wildcard_elements(wildcard),
            particle.min_occurs
        ),
        Term::Any(wildcard) => format!("missing {}", wildcard_elements(wildcard)),
        Term::Choice(_) | Term::All(_) => {
            let mut alternatives: Vec<String> = Vec::new();
            if !particle.first.is_empty() {
                alternatives.push(names(elements, &particle.first));
            }
            alternatives.extend(particle.first_any.iter().map(wildcard_elements));
            if particle.first.len() + particle.first_any.len() == 1 {
                format!("missing element {}", alternatives.join(", "))
            } else {
                format!("missing one of {}", alternatives.join(", "))
            }
        }
    }
}

/// What an `xs:any` takes, for messages: `an element of namespace ##other`.
pub(crate) fn wildcard_elements(wildcard: &Wildcard) -> String {
    match &wildcard.namespaces {
        NamespaceConstraint::Any => "an element (xs:any)".to_owned(),
        namespaces => format!("an element of namespace {namespaces} (xs:any)"),
    }
}

/// What is missing when every one of `particles` is: one message naming
/// them all, so a document missing two elements hears of both at once.
fn all_required(elements: &[ElementDecl], particles: &[&Particle]) -> String {
    let plain: Option<Vec<&str>> = particles
        .iter()
        .map(|p| match &p.term {
            Term::Element(id) if p.min_occurs == 1 => Some(elements[id.0 as usize].name.as_str()),
            _ => None,
        })
        .collect();
    match (particles, plain) {
        ([one], _) => required(elements, one),
        (_, Some(names)) => {
            let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            format!("missing elements {}", quoted.join(", "))
        }
        (_, None) => particles
            .iter()
            .map(|p| required(elements, p))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// `` `A`, `B` `` for a list of elements, distinct names only.
pub(crate) fn names(elements: &[ElementDecl], ids: &[ElementRef]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for id in ids {
        let name = elements[id.0 as usize].name.as_str();
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    let mut out = String::new();
    for (i, name) in seen.iter().enumerate() {
        if i == 8 {
            out.push_str(", …");
            break;
        }
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "`{name}`");
    }
    out
}

/// The message for a child element the content model does not take.
fn unexpected(
    complex: &ComplexType,
    keys: &[KeyState],
    elements: &[ElementDecl],
    expected: &[ElementRef],
    local: &str,
    parent: &str,
) -> String {
    let seen_before = complex
        .child_keys
        .iter()
        .zip(keys)
        .any(|(key, state)| key.local == local && state.count > 0);
    let head = if seen_before {
        format!("`{local}` cannot occur again here")
    } else {
        format!("no element `{local}` here")
    };
    match expected.len() {
        0 => format!("{head}, expected the end of `{parent}`"),
        1 => format!("{head}, expected {}", names(elements, expected)),
        _ => format!("{head}, expected one of {}", names(elements, expected)),
    }
}
