//! XML profiles: the XSD subset of SPEC §7.
//!
//! A profile is one `profiles/**/NAME.xsd` file together with the files it
//! includes and imports; its document element is the first global
//! `xs:element` of the file. [`compile()`] turns every schema file of a root
//! into [`XmlProfile`]s and diagnostics. A profile then
//!
//! - reads documents: parses, validates and builds the template value in
//!   one pass over the text, with no tree in between ([`XmlProfile::read`]);
//! - writes documents from template values, in the profile's element
//!   order, namespaces and types ([`XmlProfile::write`]); what it writes
//!   always reads back;
//! - exposes its declarations ([`XmlProfile::root`], [`ElementDecl`] and
//!   the types it leads to) for the WSDL and OpenAPI generators.
//!
//! The files: `schema` reads schema files into trees; `compile` resolves
//! them into the `model`; `simple` and `pattern` check leaves; `read` and
//! `write` handle documents, with `identity` for IDs and references to
//! them; `render` prints a profile's outline; `emit`
//! writes profiles back as XSD text, for the WSDL. XML
//! syntax itself (well-formedness, DOCTYPE refusal, limits, namespaces)
//! belongs to [`crate::doc::xml`], whose scanner drives both schema
//! reading and document reading.
//!
//! # Values
//!
//! As [`crate::doc::xml::parse`] gives them, with the profile's types: a
//! map with one entry, the document element's local name; attributes as
//! `@name`, text beside attributes (simple content) as `#text`; namespace
//! prefixes dropped; entries in document order. An element that may occur
//! more than once in its parent (counting enclosing groups) is always a
//! list, empty when absent, placed after the elements present; an absent
//! optional element is not in the map; a complex element with nothing
//! present is an empty map. Leaves of `int`, `integer` and `long` are
//! integers (64-bit: a larger `xs:integer` is a violation), of `decimal`
//! and `double` floats (so `decimal` keeps about 15 significant digits),
//! of `boolean` booleans; everything else is the text, whitespace
//! collapsed for every type but `xs:string`; a list type's leaf is the list
//! of its items' values. A nillable element given as
//! `xsi:nil="true"` is `none` (or a map of its attributes).
//!
//! # Beyond SPEC §7
//!
//! SPEC §7 does not name them, but partner schemas use them constantly:
//! seven more primitive built-in types (`hexBinary`, `duration`, the `g…`
//! date parts), the built-in types XML Schema derives by facets, and `ID`
//! and `IDREF`, whose uniqueness and references `identity` checks; named
//! model groups (`xs:group`) and attribute groups (`xs:attributeGroup`);
//! `xs:complexContent` extension of a complex type with element or empty
//! content; `nillable` elements; `default` and `fixed` values (an absent
//! attribute or an empty element reads as its value); `xs:union`, whose
//! value is the first member's that takes the text (`simple::check`
//! tries them in order); `xs:list`, and `NMTOKENS` and `IDREFS`
//! (`simple::LIST_BUILTINS`); `xs:any`, whose elements `read` takes by a
//! global declaration or untyped (`xml::ValueBuilder`), and
//! `xs:anyAttribute`, one per type, whose attributes are text (both a
//! `model::Wildcard`); `mixed` content, whose text is `#text`.
//! Groups and extensions are compiled
//! into the model as the content they stand for (a group's particle where
//! it is referred to; the base's content model followed by the
//! extension's), so reading,
//! writing and the OpenAPI schema see ordinary complex types; the model
//! keeps their names only for `emit`, which writes them back as declared.
//!
//! # Outside the subset
//!
//! Refused with a diagnostic: `xs:redefine`/`override`, `any` in
//! `xs:all`, two different attribute wildcards in one type, `complexContent`
//! restriction and extension of a type
//! with simple content, `simpleContent` restriction,
//! identity constraints, global attributes and attribute `ref`,
//! `abstract`, substitution
//! groups, chameleon includes, built-in types outside `simple::BuiltIn`
//! and `simple::DERIVED_BUILTINS` (`ENTITY`, `ENTITIES`, `QName`,
//! `NOTATION`, `anyType`, `anySimpleType`), bound facets on non-numeric types, and patterns with
//! Unicode block escapes. Not checked: that a schema imports a namespace
//! before using its names, and full Unique Particle Attribution (the
//! common ambiguities are reported, wildcards included; documents are
//! matched greedily).

mod compile;
pub mod emit;
mod identity;
pub use identity::Identity;
mod json_schema;
mod model;
mod pattern;
mod read;
pub use read::Item;
pub(crate) use read::ListReader;
mod render;
mod schema;
mod simple;
mod write;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::sync::Arc;

use minijinja::Value;

use crate::diag::{Diagnostics, SourceFile};
use crate::doc::xml::XmlLimits;
use crate::profile::ReadError;

pub use json_schema::{XmlJsonSchema, component_name};
pub use model::{
    AttributeDecl, ComplexType, ComplexTypeRef, Content, ElementDecl, ElementRef, MaxOccurs,
    NamespaceConstraint, Particle, ProcessContents, QName, SimpleType, SimpleTypeRef, Term,
    TypeRef, ValueConstraint, Wildcard,
};
pub use pattern::Pattern;
pub use simple::{Bound, BuiltIn, EnumValue, Facets, WhiteSpace};

use simple::Atom;

/// Most violations one `read` or `write` reports; the rest are dropped.
pub const MAX_VIOLATIONS: usize = 100;

/// Compiles every XSD of a root. `files` are every `profiles/**/*.xsd`,
/// with paths relative to the root (`profiles/order.xsd`). Returns the
/// profiles by name (a profile whose files have errors is left out) and
/// every diagnostic, sorted by file and position.
/// How often something occurs, in words: `once`, `twice`, `3 times`.
fn times(count: usize) -> String {
    match count {
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        n => format!("{n} times"),
    }
}

pub fn compile(files: &[Arc<SourceFile>]) -> (Vec<(String, Arc<XmlProfile>)>, Diagnostics) {
    compile::compile(files)
}

/// A compiled XML profile. Immutable and shared between requests.
#[derive(Debug)]
pub struct XmlProfile {
    pub(crate) name: String,
    pub(crate) target_namespace: Option<String>,
    pub(crate) root: ElementRef,
    pub(crate) elements: Vec<ElementDecl>,
    pub(crate) complex_types: Vec<ComplexType>,
    pub(crate) simple_types: Vec<SimpleType>,
    /// The global element declarations, which `xs:any` reads and writes by.
    pub(crate) globals: Vec<ElementRef>,
    /// The namespace declarations `write` puts on the document element.
    pub(crate) declarations: String,
}

/// One way a document breaks its profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where: `/Order/Lines/Line[2]/Qty` (local names, 1-based positions
    /// for elements that may repeat, `@name` for attributes); empty for the
    /// document as a whole.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl XmlProfile {
    /// The profile's name: its file name without `.xsd`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The document element's declaration.
    pub fn root(&self) -> &ElementDecl {
        self.element(self.root)
    }

    pub fn root_ref(&self) -> ElementRef {
        self.root
    }

    /// The target namespace of the profile's own file.
    pub fn target_namespace(&self) -> Option<&str> {
        self.target_namespace.as_deref()
    }

    /// The global element declaration named `local` in `namespace`.
    pub(crate) fn global_element(
        &self,
        local: &str,
        namespace: Option<&str>,
    ) -> Option<ElementRef> {
        self.globals
            .iter()
            .copied()
            .find(|&id| self.element(id).matches(local, namespace))
    }

    pub fn element(&self, element: ElementRef) -> &ElementDecl {
        &self.elements[element.0 as usize]
    }

    pub fn complex_type(&self, complex: ComplexTypeRef) -> &ComplexType {
        &self.complex_types[complex.0 as usize]
    }

    pub fn simple_type(&self, simple: SimpleTypeRef) -> &SimpleType {
        &self.simple_types[simple.0 as usize]
    }

    /// Parses, validates and converts a document in one pass. `Err` holds
    /// every violation found (up to [`MAX_VIOLATIONS`]), or says where a
    /// document that is not well-formed goes wrong.
    pub fn read(&self, text: &str, limits: &XmlLimits) -> Result<Value, ReadError> {
        read::read(self, self.root, text, limits)
    }

    /// Reads a list document in one pass: each child element of the root
    /// is a document of this profile (the items of `xml-list` input).
    pub fn read_items(
        &self,
        text: &str,
        limits: &XmlLimits,
    ) -> Result<Vec<Item>, ReadError<Vec<(usize, Violation)>>> {
        read::read_items(self, text, limits)
    }

    /// The declaration of the element at `path`: local names from the
    /// document element down, including it (`["Order", "Lines", "Line"]`).
    /// Where a name occurs twice in one content model, the first is taken.
    pub fn element_at(&self, path: &[&str]) -> Option<ElementRef> {
        let (first, rest) = path.split_first()?;
        if self.root().name() != *first {
            return None;
        }
        let mut current = self.root;
        for name in rest {
            let TypeRef::Complex(complex) = self.element(current).type_ref() else {
                return None;
            };
            current = self.complex_type(complex).first_child(name)?;
        }
        Some(current)
    }

    /// [`read`](Self::read) for a document whose root is `element`, such as
    /// an item cut out of a larger document.
    pub fn read_at(
        &self,
        element: ElementRef,
        text: &str,
        limits: &XmlLimits,
    ) -> Result<Value, ReadError> {
        read::read(self, element, text, limits)
    }

    /// Builds a document from a template value shaped like `read`'s result.
    /// `Ok` is XML text starting with an XML declaration; it always reads
    /// back with this profile.
    pub fn write(&self, value: &Value) -> Result<String, Vec<Violation>> {
        write::write(self, self.root, value)
    }

    /// Whitespace handling, the built-in type's lexical rules and every
    /// facet of the derivation: the text to keep and its value.
    pub(crate) fn check_simple<'t>(
        &self,
        simple: SimpleTypeRef,
        raw: &'t str,
    ) -> Result<(Cow<'t, str>, Atom), String> {
        simple::check(&self.simple_types, simple, raw)
    }

    /// [`check_simple`](Self::check_simple) and the value the text gives
    /// (for a list type, its items' values), in one pass.
    pub(crate) fn check_simple_value<'t>(
        &self,
        simple: SimpleTypeRef,
        raw: &'t str,
    ) -> Result<(Cow<'t, str>, Atom, Value), String> {
        simple::check_value(&self.simple_types, simple, raw)
    }

    /// The IDs or references a checked text holds: itself, or each item
    /// of a list.
    pub(crate) fn identity_tokens<'t>(
        &self,
        simple: SimpleTypeRef,
        text: &'t str,
    ) -> impl Iterator<Item = &'t str> {
        let list = self.simple_type(simple).item.is_some();
        text.split(move |c| list && c == ' ')
            .filter(|token| !token.is_empty())
    }
}
