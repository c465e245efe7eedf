//! Writing a document from a template value, following the profile.
//!
//! The value has `read`'s shape (a map holding the document element; `@name`
//! keys for attributes, `#text` beside them, lists for repeated elements),
//! but the profile decides everything about the output: element order is
//! the content model's, not the map's; names get the profile's namespaces
//! and prefixes; leaves are written in their type's lexical form and pass
//! the same checks `read` applies. So whatever `write` returns, `read`
//! accepts.
//!
//! Values are taken leniently where that is unambiguous: a single value
//! for an element that may repeat is one occurrence (and a list of one for
//! an element that may not); a string for a number is fine if it spells
//! one; a plain value for an element with simple content is its `#text`;
//! an empty string for a complex element is an empty element; `none` is
//! `xsi:nil="true"` for a nillable element and, like undefined, the same
//! as an absent key for anything else. Numbers are refused for
//! booleans, and non-integral numbers for integer types.
//!
//! Each element writes its children by walking its content model with a
//! queue of values per child name: a particle takes as many as it may
//! (greedily), a choice takes the alternative whose names have values.
//! Values left over, alternatives given together, and required elements
//! or attributes missing are violations, each with its path.

use std::borrow::Cow;
use std::fmt::Write as _;

use minijinja::Value;
use minijinja::value::ValueKind;

use crate::doc::xml;

use super::identity::{Identities, Identity};
use super::model::{
    ComplexType, Content, ElementDecl, ElementRef, MaxOccurs, Particle, ProcessContents,
    SimpleTypeRef, Term, TypeRef, ValueConstraint, Wildcard,
};
use super::read::{names, wildcard_elements};
use super::simple::{BuiltIn, number_text};
use super::{MAX_VIOLATIONS, Violation, XmlProfile};

/// Deepest element nesting `write` produces. Writing recurses once per
/// element, so this bounds its stack; it is well above the 64 levels
/// documents are read with by default.
pub(crate) const MAX_DEPTH: usize = 256;

/// The end of the start tag of a nillable element that is `none`.
const NIL: &str = r#" xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>"#;

pub(crate) fn write(
    profile: &XmlProfile,
    root: ElementRef,
    value: &Value,
) -> Result<String, Vec<Violation>> {
    let mut writer = Writer {
        profile,
        out: String::with_capacity(512),
        path: String::new(),
        violations: Vec::new(),
        identities: Identities::default(),
        depth: 0,
        wild: Vec::new(),
    };
    writer
        .out
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let decl = profile.element(root);
    if value.kind() != ValueKind::Map {
        writer.violation_here(format!(
            "expected a map holding the document element `{}`, found {}",
            decl.name,
            kind_name(value)
        ));
        return Err(writer.violations);
    }
    let mut found = None;
    for (key, item) in entries(value, &|_| false) {
        if key == decl.name {
            found = Some(item);
        } else {
            writer.violation(
                format!("/{key}"),
                format!("no element `{key}` here, expected `{}`", decl.name),
            );
        }
    }
    match found {
        Some(item) => writer.element(decl, &item, None, true),
        None => writer.violation_here(format!("missing the document element `{}`", decl.name)),
    }
    for dangling in writer.identities.dangling() {
        writer.violation(dangling.path, dangling.message);
    }
    if writer.violations.is_empty() {
        Ok(writer.out)
    } else {
        Err(writer.violations)
    }
}

/// A map's entries with string keys; `none` and undefined values count as
/// absent, except `none` for a key `nil_allowed` accepts (a nillable
/// element). The keys of an element map (what `map` builds for an XSD)
/// are borrowed, those of other maps made.
fn entries<'v>(value: &'v Value, nil_allowed: &dyn Fn(&str) -> bool) -> Vec<(Cow<'v, str>, Value)> {
    let present = |key: &str, item: &Value| {
        !(item.is_none() || item.is_undefined()) || item.is_none() && nil_allowed(key)
    };
    if let Some(element) = value.downcast_object_ref::<xml::Element>() {
        return element
            .entries()
            .iter()
            .map(|(key, item)| (key_text(key), item))
            .filter(|(key, item)| present(key, item))
            .map(|(key, item)| (key, item.clone()))
            .collect();
    }
    let Ok(keys) = value.try_iter() else {
        return Vec::new();
    };
    keys.filter_map(|key| {
        let item = value.get_item(&key).ok()?;
        let key = key_text(&key).into_owned();
        if present(&key, &item) {
            Some((Cow::Owned(key), item))
        } else {
            None
        }
    })
    .collect()
}

/// A map key as text: a string as it is, anything else displayed.
fn key_text(key: &Value) -> Cow<'_, str> {
    match key.as_str() {
        Some(key) => Cow::Borrowed(key),
        None => Cow::Owned(key.to_string()),
    }
}

/// Untyped text (of an attribute or element a wildcard admits, or of a
/// mixed element): a string as it is, a number or a boolean as templates
/// print it.
fn untyped_text(value: &Value) -> Result<Cow<'_, str>, String> {
    let text = match value.kind() {
        ValueKind::String => Cow::Borrowed(value.as_str().unwrap_or_default()),
        ValueKind::Number => Cow::Owned(value.to_string()),
        ValueKind::Bool => Cow::Borrowed(if value.is_true() { "true" } else { "false" }),
        _ => {
            return Err(format!(
                "expected text, a number or a boolean, found {}",
                kind_name(value)
            ));
        }
    };
    match text.chars().find(|&c| !xml::is_xml_char(c)) {
        Some(c) => Err(format!(
            "character U+{:04X} cannot be written in XML",
            u32::from(c)
        )),
        None => Ok(text),
    }
}

fn kind_name(value: &Value) -> &'static str {
    match value.kind() {
        ValueKind::Undefined => "an undefined value",
        ValueKind::None => "none",
        ValueKind::Bool => "a boolean",
        ValueKind::Number => "a number",
        ValueKind::String => "a string",
        ValueKind::Bytes => "bytes",
        ValueKind::Seq => "a list",
        ValueKind::Map => "a map",
        _ => "an object",
    }
}

/// The items given for one child name, consumed in order by the particles using it.
struct Queue {
    items: Vec<Value>,
    next: usize,
    /// Already reported: leftovers are not reported again.
    reported: bool,
}

impl Queue {
    fn remaining(&self) -> usize {
        self.items.len() - self.next
    }
}

struct Writer<'p> {
    profile: &'p XmlProfile,
    out: String,
    /// The path of the element being written.
    path: String,
    violations: Vec<Violation>,
    /// The document's IDs and the references to them.
    identities: Identities,
    /// Elements open.
    depth: usize,
    /// For each element being written with element content, innermost
    /// last: the keys no child of its content model takes, which its
    /// `xs:any`s may write.
    wild: Vec<Vec<WildEntry>>,
}

/// A key of an element's value that no declared child takes.
struct WildEntry {
    name: String,
    value: Value,
    taken: bool,
}

impl<'p> Writer<'p> {
    fn violation(&mut self, path: String, message: String) {
        if self.violations.len() < MAX_VIOLATIONS {
            self.violations.push(Violation { path, message });
        }
    }

    fn violation_here(&mut self, message: String) {
        self.violation(self.path.clone(), message);
    }

    fn child_path(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }

    fn element(&mut self, decl: &'p ElementDecl, value: &Value, index: Option<usize>, root: bool) {
        if self.depth >= MAX_DEPTH {
            self.violation_here(format!("nesting deeper than {MAX_DEPTH} elements"));
            return;
        }
        self.depth += 1;
        let mark = self.path.len();
        self.path.push('/');
        self.path.push_str(&decl.name);
        if let Some(index) = index {
            let _ = write!(self.path, "[{index}]");
        }
        self.out.push('<');
        self.out.push_str(&decl.written_name);
        if root {
            self.out.push_str(&self.profile.declarations);
        }
        if value.is_none() {
            if decl.nillable {
                self.out.push_str(NIL);
            } else {
                self.violation_here(format!(
                    "`{}` is not nillable: it cannot be none",
                    decl.name
                ));
            }
        } else {
            self.content(decl, value);
        }
        self.path.truncate(mark);
        self.depth -= 1;
    }

    /// The rest of an element whose start tag is open: attributes, content
    /// and end tag.
    fn content(&mut self, decl: &ElementDecl, value: &Value) {
        match decl.type_ref {
            TypeRef::Simple(simple) => {
                if let Some(text) = self.element_text(decl, simple, value) {
                    self.close_with_text(decl, &text);
                }
            }
            TypeRef::Complex(complex) => {
                let complex = self.profile.complex_type(complex);
                self.complex(decl, complex, value);
            }
        }
    }

    fn close_with_text(&mut self, decl: &ElementDecl, text: &str) {
        self.close_named(&decl.written_name, text);
    }

    fn complex(&mut self, decl: &ElementDecl, complex: &'p ComplexType, value: &Value) {
        let mut given = match value.kind() {
            ValueKind::Map => entries(value, &|key| {
                complex
                    .child_keys
                    .iter()
                    .any(|child| child.nillable && child.local == key)
            }),
            _ if matches!(complex.content, Content::Simple(_)) => {
                vec![(Cow::Borrowed("#text"), value.clone())]
            }
            // An empty string stands for an element with nothing in it.
            ValueKind::String if value.as_str() == Some("") => Vec::new(),
            _ => {
                self.violation_here(format!(
                    "`{}` needs a map, found {}",
                    decl.name,
                    kind_name(value)
                ));
                return;
            }
        };
        self.attributes(complex, &mut given);
        match &complex.content {
            Content::Empty => {
                let text = given
                    .iter()
                    .position(|(key, _)| key == "#text" && complex.mixed)
                    .map(|i| given.swap_remove(i).1);
                self.unknown_keys(decl, &given);
                match text.filter(|t| !t.is_none() && !t.is_undefined()) {
                    Some(text) => match untyped_text(&text) {
                        Ok(text) => self.close_with_text(decl, &text),
                        Err(message) => {
                            self.out.push_str("/>");
                            self.violation_here(message);
                        }
                    },
                    None => self.out.push_str("/>"),
                }
            }
            Content::Simple(simple) => {
                let text_value = given
                    .iter()
                    .position(|(key, _)| key == "#text")
                    .map(|i| given.swap_remove(i).1)
                    .unwrap_or_else(|| Value::from(""));
                self.unknown_keys(decl, &given);
                if let Some(text) = self.element_text(decl, *simple, &text_value) {
                    self.close_with_text(decl, &text);
                }
            }
            Content::Elements(particle) => {
                let mut queues: Vec<Queue> = complex
                    .child_keys
                    .iter()
                    .map(|_| Queue {
                        items: Vec::new(),
                        next: 0,
                        reported: false,
                    })
                    .collect();
                let mut rest = Vec::new();
                for (key, item) in given {
                    match complex.child_keys.iter().position(|k| k.local == key) {
                        Some(i) => {
                            let child = &complex.child_keys[i];
                            // A list given for an element that occurs once
                            // is its value if its type is a list type (whose
                            // items are never lists: a list of lists is
                            // occurrences, as for any element).
                            let first_is_list = item
                                .get_item(&Value::from(0))
                                .is_ok_and(|first| first.kind() == ValueKind::Seq);
                            queues[i].items = if !child.repeats
                                && item.kind() == ValueKind::Seq
                                && !first_is_list
                                && self.holds_list(complex, &key)
                            {
                                vec![item]
                            } else {
                                self.items(&key, item, child.nillable)
                            };
                        }
                        None => rest.push((key, item)),
                    }
                }
                let text = rest
                    .iter()
                    .position(|(key, _)| key == "#text")
                    .map(|i| rest.remove(i));
                let text = match text {
                    Some((_, text)) if complex.mixed => Some(text),
                    Some(text) => {
                        self.unknown_keys(decl, &[text]);
                        None
                    }
                    None => None,
                };
                self.wild.push(
                    rest.into_iter()
                        .map(|(name, value)| WildEntry {
                            name: name.into_owned(),
                            value,
                            taken: false,
                        })
                        .collect(),
                );
                self.out.push('>');
                // A mixed element's text comes first, before its children.
                if let Some(text) = text.filter(|t| !t.is_none() && !t.is_undefined()) {
                    let mark = self.path.len();
                    self.path.push_str("/#text");
                    match untyped_text(&text) {
                        Ok(text) => push_escaped(&mut self.out, &text, false),
                        Err(message) => self.violation_here(message),
                    }
                    self.path.truncate(mark);
                }
                self.particle(complex, particle, &mut queues);
                let left: Vec<(Cow<'_, str>, Value)> = self
                    .wild
                    .pop()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|entry| !entry.taken)
                    .map(|entry| (Cow::Owned(entry.name), entry.value))
                    .collect();
                self.unknown_keys(decl, &left);
                for (key, queue) in complex.child_keys.iter().zip(&queues) {
                    if queue.remaining() > 0 && !queue.reported {
                        self.violation_here(format!(
                            "too many `{}` elements: {} given, {} fit here",
                            key.local,
                            queue.items.len(),
                            queue.next
                        ));
                    }
                }
                self.out.push_str("</");
                self.out.push_str(&decl.written_name);
                self.out.push('>');
            }
        }
    }

    /// Whether the child `key` of `complex` has a list type (or simple
    /// content of one).
    fn holds_list(&self, complex: &ComplexType, key: &str) -> bool {
        let Some(id) = complex.first_child(key) else {
            return false;
        };
        let simple = match self.profile.element(id).type_ref {
            TypeRef::Simple(simple) => simple,
            TypeRef::Complex(complex) => match self.profile.complex_type(complex).content {
                Content::Simple(simple) => simple,
                Content::Empty | Content::Elements(_) => return false,
            },
        };
        self.profile.simple_type(simple).item.is_some()
    }

    /// The occurrences a value gives for one child name; `none` is one
    /// only for a nillable element.
    fn items(&mut self, key: &str, value: Value, nillable: bool) -> Vec<Value> {
        if !matches!(value.kind(), ValueKind::Seq | ValueKind::Iterable) {
            return vec![value];
        }
        let Ok(items) = value.try_iter() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.enumerate() {
            if item.is_undefined() || item.is_none() && !nillable {
                let path = format!("{}[{}]", self.child_path(key), i + 1);
                self.violation(path, "an occurrence cannot be none".to_owned());
            } else {
                out.push(item);
            }
        }
        out
    }

    /// Writes the declared attributes and takes their keys out of `given`.
    fn attributes(&mut self, complex: &ComplexType, given: &mut Vec<(Cow<'_, str>, Value)>) {
        for attribute in &complex.attributes {
            let found = given
                .iter()
                .position(|(key, _)| key.strip_prefix('@') == Some(attribute.name.as_str()));
            let Some(position) = found else {
                if attribute.required {
                    self.violation_here(format!("missing attribute `{}`", attribute.name));
                }
                continue;
            };
            let (_, value) = given.remove(position);
            let mark = self.path.len();
            self.path.push_str("/@");
            self.path.push_str(&attribute.name);
            let mut text = self.leaf(attribute.type_ref, &value);
            if let Some(given) = &text
                && let Some(message) =
                    self.profile
                        .not_fixed(attribute.constraint.as_ref(), attribute.type_ref, given)
            {
                self.violation_here(message);
                text = None;
            }
            self.path.truncate(mark);
            if let Some(text) = text {
                self.out.push(' ');
                self.out.push_str(&attribute.written_name);
                self.out.push_str("=\"");
                push_escaped(&mut self.out, &text, true);
                self.out.push('"');
            }
        }
        let mut i = 0;
        while i < given.len() {
            if given[i].0.starts_with('@') {
                let (key, value) = given.remove(i);
                self.undeclared_attribute(complex, &key[1..], &value);
            } else {
                i += 1;
            }
        }
    }

    /// An `@name` key that no declared attribute takes: written when the
    /// type's `xs:anyAttribute` admits an attribute of that name in no
    /// namespace (the only one `write` can give a name without a prefix)
    /// and is `lax` or `skip`; a violation otherwise.
    fn undeclared_attribute(&mut self, complex: &ComplexType, name: &str, value: &Value) {
        let wildcard = complex.any_attribute.as_ref();
        let refused = match wildcard {
            None => Some(format!("no attribute `{name}` here")),
            Some(wildcard) if wildcard.process == ProcessContents::Strict => Some(format!(
                "no attribute `{name}` here: the xs:anyAttribute here is strict, and admits declared attributes only"
            )),
            Some(wildcard) if !wildcard.admits(None) => Some(format!(
                "no attribute `{name}` here: the xs:anyAttribute here admits attributes in namespace {} only, and `write` gives undeclared attributes no namespace",
                wildcard.namespaces
            )),
            Some(_) if !xml::is_ncname(name) => {
                Some(format!("`{name}` is not a valid attribute name"))
            }
            Some(_) => None,
        };
        self.untyped_attribute(name, value, refused);
    }

    /// An attribute of no declaration, its value as text (`none` leaves
    /// it out), unless it is `refused`.
    fn untyped_attribute(&mut self, name: &str, value: &Value, refused: Option<String>) {
        let mark = self.path.len();
        self.path.push_str("/@");
        self.path.push_str(name);
        let text = match refused {
            Some(message) => Err(message),
            None if value.is_none() || value.is_undefined() => Ok(None),
            None => untyped_text(value).map(Some),
        };
        match text {
            Ok(Some(text)) => {
                self.out.push(' ');
                self.out.push_str(name);
                self.out.push_str("=\"");
                push_escaped(&mut self.out, &text, true);
                self.out.push('"');
            }
            Ok(None) => {}
            Err(message) => self.violation_here(message),
        }
        self.path.truncate(mark);
    }

    /// Reports the keys no declaration took.
    fn unknown_keys(&mut self, decl: &ElementDecl, given: &[(Cow<'_, str>, Value)]) {
        for (key, _) in given {
            if key == "#text" {
                self.violation_here(format!("text is not allowed in `{}`", decl.name));
            } else {
                let path = self.child_path(key);
                self.violation(path, format!("no element `{key}` here"));
            }
        }
    }

    /// Writes what one particle takes from the queues; returns how many elements.
    fn particle(
        &mut self,
        complex: &'p ComplexType,
        particle: &'p Particle,
        queues: &mut [Queue],
    ) -> usize {
        match &particle.term {
            Term::Element(id) => self.element_particle(complex, particle, *id, queues),
            Term::Any(wildcard) => self.any_particle(particle, wildcard),
            Term::Sequence(children) | Term::All(children) => {
                let mut written = 0;
                let mut occurrence = 0;
                while particle.max_occurs.allows(occurrence + 1) {
                    if occurrence >= particle.min_occurs
                        && !has_items(particle, queues, self.wild_left())
                    {
                        break;
                    }
                    let before = written;
                    for child in children {
                        written += self.particle(complex, child, queues);
                    }
                    occurrence += 1;
                    // An occurrence that took nothing would take nothing again.
                    if written == before {
                        break;
                    }
                }
                written
            }
            Term::Choice(children) => {
                let mut written = 0;
                let mut occurrence = 0;
                while particle.max_occurs.allows(occurrence + 1) {
                    let wild = self.wild_left();
                    let present: Vec<&'p Particle> = children
                        .iter()
                        .filter(|c| has_items(c, queues, wild))
                        .collect();
                    let Some(&chosen) = present.first() else {
                        if occurrence < particle.min_occurs && !particle.term_nullable {
                            let message = format!(
                                "missing one of {}",
                                names(&self.profile.elements, &particle.first)
                            );
                            self.violation_here(message);
                        }
                        break;
                    };
                    if present.len() > 1 && particle.max_occurs == MaxOccurs::Bounded(1) {
                        let mut given = Vec::new();
                        for alternative in &present {
                            present_elements(alternative, queues, &mut given);
                        }
                        for alternative in &present {
                            mark_reported(alternative, queues);
                        }
                        let message = format!(
                            "only one of {} may be given",
                            names(&self.profile.elements, &given)
                        );
                        self.violation_here(message);
                        break;
                    }
                    let taken = self.particle(complex, chosen, queues);
                    written += taken;
                    occurrence += 1;
                    if taken == 0 {
                        break;
                    }
                }
                written
            }
        }
    }

    /// Whether keys no declared child takes are left for an `xs:any`.
    fn wild_left(&self) -> bool {
        self.wild
            .last()
            .is_some_and(|pool| pool.iter().any(|entry| !entry.taken))
    }

    /// Writes the keys no declared child takes that an `xs:any` can write
    /// (in no namespace, which it must admit; by the profile's global
    /// element of the key's name, which `strict` needs and `skip` ignores,
    /// or untyped), each item of a list an element, as many as it may
    /// take; returns how many.
    fn any_particle(&mut self, particle: &Particle, wildcard: &Wildcard) -> usize {
        let mut pool = self.wild.pop().unwrap_or_default();
        let mut written = 0;
        if wildcard.admits(None) {
            for entry in pool.iter_mut().filter(|entry| !entry.taken) {
                if wildcard.process == ProcessContents::Strict
                    && self.profile.global_element(&entry.name, None).is_none()
                {
                    continue;
                }
                let items: Vec<Value> = match entry.value.kind() {
                    ValueKind::Seq => entry
                        .value
                        .try_iter()
                        .map(Iterator::collect)
                        .unwrap_or_default(),
                    ValueKind::None | ValueKind::Undefined => Vec::new(),
                    _ => vec![entry.value.clone()],
                };
                let fits = match particle.max_occurs {
                    MaxOccurs::Bounded(max) => written + items.len() <= max as usize,
                    MaxOccurs::Unbounded => true,
                };
                if !fits {
                    continue;
                }
                entry.taken = true;
                for item in &items {
                    self.wildcard_element(&entry.name, item, wildcard);
                }
                written += items.len();
            }
        }
        if written < particle.min_occurs as usize {
            let message = format!("missing {}", wildcard_elements(wildcard));
            self.violation_here(message);
        }
        self.wild.push(pool);
        written
    }

    /// An element an `xs:any` writes: by the profile's global element of
    /// its name in no namespace, unless the wildcard is `skip` or there is
    /// none, and then untyped.
    fn wildcard_element(&mut self, name: &str, value: &Value, wildcard: &Wildcard) {
        let declared = match wildcard.process {
            ProcessContents::Skip => None,
            ProcessContents::Lax | ProcessContents::Strict => {
                self.profile.global_element(name, None)
            }
        };
        match declared {
            Some(id) => {
                let decl = self.profile.element(id);
                self.element(decl, value, None, false);
            }
            None => self.untyped(name, value),
        }
    }

    /// An element of no declaration, from a value as a document without a
    /// profile reads: a map's `@name` keys are attributes, `#text` its text
    /// and other keys elements (a list one per item); anything else is the
    /// text.
    fn untyped(&mut self, name: &str, value: &Value) {
        if value.is_none() || value.is_undefined() {
            return;
        }
        let mark = self.path.len();
        self.path.push('/');
        self.path.push_str(name);
        if self.depth >= MAX_DEPTH {
            self.violation_here(format!("nesting deeper than {MAX_DEPTH} elements"));
        } else if !xml::is_ncname(name) {
            self.violation_here(format!("`{name}` is not a valid element name"));
        } else {
            self.depth += 1;
            self.untyped_content(name, value);
            self.depth -= 1;
        }
        self.path.truncate(mark);
    }

    fn untyped_content(&mut self, name: &str, value: &Value) {
        self.out.push('<');
        self.out.push_str(name);
        if value.kind() != ValueKind::Map {
            match untyped_text(value) {
                Ok(text) => {
                    let text = text.into_owned();
                    self.close_named(name, &text);
                }
                Err(message) => {
                    self.out.push_str("/>");
                    self.violation_here(message);
                }
            }
            return;
        }
        let entries = entries(value, &|_| false);
        let mut text = None;
        let mut children = Vec::new();
        for (key, item) in entries {
            if let Some(attribute) = key.strip_prefix('@') {
                let refused = (!xml::is_ncname(attribute))
                    .then(|| format!("`{attribute}` is not a valid attribute name"));
                self.untyped_attribute(attribute, &item, refused);
            } else if key == "#text" {
                text = Some(item);
            } else {
                children.push((key.into_owned(), item));
            }
        }
        if children.is_empty() {
            let text = match &text {
                Some(text) => match untyped_text(text) {
                    Ok(text) => text.into_owned(),
                    Err(message) => {
                        self.violation_here(message);
                        String::new()
                    }
                },
                None => String::new(),
            };
            self.close_named(name, &text);
            return;
        }
        self.out.push('>');
        if let Some(text) = text {
            match untyped_text(&text) {
                Ok(text) => push_escaped(&mut self.out, &text, false),
                Err(message) => self.violation_here(message),
            }
        }
        for (child, item) in children {
            match item.kind() {
                ValueKind::Seq => {
                    for each in item.try_iter().into_iter().flatten() {
                        self.untyped(&child, &each);
                    }
                }
                _ => self.untyped(&child, &item),
            }
        }
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// Ends the start tag of the element written `name` with its text and
    /// end tag (or as an empty element).
    fn close_named(&mut self, name: &str, text: &str) {
        if text.is_empty() {
            self.out.push_str("/>");
            return;
        }
        self.out.push('>');
        push_escaped(&mut self.out, text, false);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    fn element_particle(
        &mut self,
        complex: &'p ComplexType,
        particle: &'p Particle,
        id: ElementRef,
        queues: &mut [Queue],
    ) -> usize {
        let key = particle.key as usize;
        let Some(queue) = queues.get(key) else {
            return 0;
        };
        let take = match particle.max_occurs {
            MaxOccurs::Bounded(max) => queue.remaining().min(max as usize),
            MaxOccurs::Unbounded => queue.remaining(),
        };
        let decl = self.profile.element(id);
        if take < particle.min_occurs as usize && !queue.reported {
            let message = if take == 0 {
                format!("missing element `{}`", decl.name)
            } else {
                format!(
                    "`{}` occurs {}, at least {} expected",
                    decl.name,
                    super::times(take),
                    particle.min_occurs
                )
            };
            self.violation_here(message);
        }
        let repeats = complex
            .child_keys
            .get(key)
            .is_some_and(|child| child.repeats);
        for _ in 0..take {
            let queue = &mut queues[key];
            let item = queue.items[queue.next].clone();
            queue.next += 1;
            let index = repeats.then_some(queue.next);
            self.element(decl, &item, index, false);
        }
        take
    }

    /// The text of an element of a simple type or with simple content:
    /// empty, or its type's and its `fixed` value's.
    fn element_text<'v>(
        &mut self,
        decl: &ElementDecl,
        simple: SimpleTypeRef,
        value: &'v Value,
    ) -> Option<Cow<'v, str>> {
        // Empty, it reads as its default or fixed value.
        if decl.constraint.is_some() && value.as_str() == Some("") {
            return Some(Cow::Borrowed(""));
        }
        let text = self.leaf(simple, value)?;
        match self
            .profile
            .not_fixed(decl.constraint.as_ref(), simple, &text)
        {
            Some(message) => {
                self.violation_here(message);
                None
            }
            None => Some(text),
        }
    }

    /// A leaf's text in its type's lexical form (see [`XmlProfile::leaf_text`]).
    fn leaf<'v>(&mut self, simple: SimpleTypeRef, value: &'v Value) -> Option<Cow<'v, str>> {
        match self.profile.leaf_text(simple, value) {
            Ok(text) => {
                let identity = self.profile.simple_type(simple).identity;
                if identity != Identity::None {
                    for token in self.profile.identity_tokens(simple, &text) {
                        if let Some(duplicate) =
                            self.identities.note(identity, token, self.path.clone())
                        {
                            self.violation(duplicate.path, duplicate.message);
                        }
                    }
                }
                Some(text)
            }
            Err(message) => {
                self.violation_here(message);
                None
            }
        }
    }
}

impl XmlProfile {
    /// Why the text of an attribute or element with a `fixed` value is not
    /// that value, or `None` when it is (or there is none). The text has
    /// passed the simple type; an empty element takes the fixed value.
    pub(crate) fn not_fixed(
        &self,
        constraint: Option<&ValueConstraint>,
        simple: SimpleTypeRef,
        text: &str,
    ) -> Option<String> {
        let constraint = constraint.filter(|c| c.fixed)?;
        let (text, atom) = self.check_simple(simple, text).ok()?;
        constraint.refuses(&text, atom)
    }

    /// A leaf's text in its type's lexical form, checked as `read` checks it:
    /// borrowed from a string value, made for a number; or why the value
    /// cannot be that type. How `write` writes every leaf, and how compile
    /// judges a constant one.
    pub(crate) fn leaf_text<'v>(
        &self,
        simple: SimpleTypeRef,
        value: &'v Value,
    ) -> Result<Cow<'v, str>, String> {
        let members = &self.simple_type(simple).members;
        if !members.is_empty() {
            return self.union_text(simple, members, value);
        }
        if let Some(item) = self.simple_type(simple).item
            && value.kind() == ValueKind::Seq
        {
            return self.list_text(simple, item, value).map(Cow::Owned);
        }
        let builtin = self.simple_type(simple).builtin;
        let raw: Cow<'v, str> = match value.kind() {
            ValueKind::String => Cow::Borrowed(value.as_str().unwrap_or_default()),
            ValueKind::Number if builtin == BuiltIn::Boolean => {
                return Err(format!("expected true or false, found {value}"));
            }
            ValueKind::Number => Cow::Owned(number_text(builtin, value)?),
            ValueKind::Bool => Cow::Borrowed(if value.is_true() { "true" } else { "false" }),
            _ => {
                return Err(format!(
                    "expected a value of type xs:{}, found {}",
                    builtin.name(),
                    kind_name(value)
                ));
            }
        };
        if let Some(c) = raw.chars().find(|&c| !xml::is_xml_char(c)) {
            return Err(format!(
                "character U+{:04X} cannot be written in XML",
                u32::from(c)
            ));
        }
        match &raw {
            Cow::Borrowed(raw) => self.check_simple(simple, raw).map(|(text, _)| text),
            Cow::Owned(raw) => self
                .check_simple(simple, raw)
                .map(|(text, _)| Cow::Owned(text.into_owned())),
        }
    }
}

impl XmlProfile {
    /// [`leaf_text`](Self::leaf_text) for a list given as a list: each
    /// item's text by the item type, separated by spaces, checked as the
    /// list (a list may also be given as its text).
    fn list_text(
        &self,
        list: SimpleTypeRef,
        item: SimpleTypeRef,
        value: &Value,
    ) -> Result<String, String> {
        let mut text = String::new();
        let items = value.try_iter().map_err(|e| e.to_string())?;
        for (i, each) in items.enumerate() {
            let each_text = self
                .leaf_text(item, &each)
                .map_err(|e| format!("item {}: {e}", i + 1))?;
            if each_text.is_empty() || each_text.contains(xml::is_xml_whitespace) {
                return Err(format!(
                    "item {}: {} cannot be an item of a list, whose items are separated by spaces",
                    i + 1,
                    super::simple::quoted(&each_text)
                ));
            }
            if i > 0 {
                text.push(' ');
            }
            text.push_str(&each_text);
        }
        self.check_simple(list, &text)?;
        Ok(text)
    }

    /// [`leaf_text`](Self::leaf_text) for a union: the text of the first
    /// member type that can write the value, if the union reads it back
    /// (its own facets included).
    fn union_text<'v>(
        &self,
        union: SimpleTypeRef,
        members: &[SimpleTypeRef],
        value: &'v Value,
    ) -> Result<Cow<'v, str>, String> {
        let mut refusals = Vec::new();
        for &member in members {
            match self.leaf_text(member, value) {
                Ok(text) => match self.check_simple(union, &text) {
                    Ok(_) => return Ok(text),
                    Err(message) => refusals.push(message),
                },
                Err(message) => refusals.push(message),
            }
        }
        Err(format!(
            "the value fits none of the union's member types ({})",
            refusals.join("; ")
        ))
    }
}

/// Whether any element below the particle still has items to write.
/// `wild`: whether keys no declared child takes are left for an `xs:any`.
fn has_items(particle: &Particle, queues: &[Queue], wild: bool) -> bool {
    match &particle.term {
        Term::Element(_) => queues
            .get(particle.key as usize)
            .is_some_and(|q| q.remaining() > 0),
        Term::Any(wildcard) => wild && wildcard.admits(None),
        Term::Sequence(children) | Term::Choice(children) | Term::All(children) => {
            children.iter().any(|c| has_items(c, queues, wild))
        }
    }
}

fn present_elements(particle: &Particle, queues: &[Queue], out: &mut Vec<ElementRef>) {
    match &particle.term {
        Term::Element(id) => {
            if has_items(particle, queues, false) && !out.contains(id) {
                out.push(*id);
            }
        }
        Term::Any(_) => {}
        Term::Sequence(children) | Term::Choice(children) | Term::All(children) => {
            for child in children {
                present_elements(child, queues, out);
            }
        }
    }
}

fn mark_reported(particle: &Particle, queues: &mut [Queue]) {
    match &particle.term {
        Term::Any(_) => {}
        Term::Element(_) => {
            if let Some(queue) = queues.get_mut(particle.key as usize) {
                queue.reported = true;
            }
        }
        Term::Sequence(children) | Term::Choice(children) | Term::All(children) => {
            for child in children {
                mark_reported(child, queues);
            }
        }
    }
}

/// Escapes text for content or an attribute value, so that it reads back
/// as written: the five characters XML gives a meaning as entities
/// ([`xml::escape`]'s), and as references the line ends that would be
/// normalized and, in attributes, the tabs and line feeds that would
/// become spaces.
fn push_escaped(out: &mut String, text: &str, attribute: bool) {
    xml::push_replacing(out, text, |byte| match byte {
        b'\r' => Some("&#13;"),
        b'\n' if attribute => Some("&#10;"),
        b'\t' if attribute => Some("&#9;"),
        _ => xml::entity(byte),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `push_escaped` writes, said character by character.
    fn escaped_by_chars(text: &str, attribute: bool) -> String {
        let mut out = String::new();
        for c in text.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                '\r' => out.push_str("&#13;"),
                '\n' | '\t' if attribute => out.push_str(&format!("&#{};", u32::from(c))),
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn escapes_what_would_not_read_back() {
        let mut out = String::new();
        push_escaped(&mut out, "a&b<c>d\"e'f\r\n\tg é", false);
        assert_eq!(out, "a&amp;b&lt;c&gt;d&quot;e&apos;f&#13;\n\tg é");
        out.clear();
        push_escaped(&mut out, "\r\n\t<", true);
        assert_eq!(out, "&#13;&#10;&#9;&lt;");
    }

    proptest! {
        #[test]
        fn escapes_as_entities_and_references_say(
            text in "(?s)[a-z&<>\"'\r\n\t é€😀]{0,24}",
            attribute in any::<bool>(),
        ) {
            let mut out = String::from("<");
            push_escaped(&mut out, &text, attribute);
            prop_assert_eq!(&out[1..], escaped_by_chars(&text, attribute));
        }
    }
}
