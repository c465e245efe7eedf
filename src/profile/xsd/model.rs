//! The compiled form of an XML profile: what `read`, `write` and the WSDL and
//! OpenAPI generators see.
//!
//! Declarations live in arenas owned by [`XmlProfile`](super::XmlProfile) and
//! point at each other by small copyable handles ([`ElementRef`],
//! [`ComplexTypeRef`], [`SimpleTypeRef`]): XSD types may be recursive (a
//! `Part` holding `Part`s), which plain ownership cannot express. Everything
//! here is immutable once compiled. Fields marked `pub(crate)` beyond the
//! getters are bookkeeping for the reader and writer, computed at compile
//! time so that the request path only follows indices.

use minijinja::Value;

use super::identity::Identity;
use super::simple::{Atom, BuiltIn, EnumValue, Facets, WhiteSpace, quoted};

/// A handle to an element declaration of one profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ElementRef(pub(crate) u32);

/// A handle to a complex type of one profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ComplexTypeRef(pub(crate) u32);

/// A handle to a simple type of one profile (built-in types included).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SimpleTypeRef(pub(crate) u32);

/// The type of an element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TypeRef {
    Simple(SimpleTypeRef),
    Complex(ComplexTypeRef),
}

/// A name in a namespace, as declared by a schema.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QName {
    pub namespace: Option<String>,
    pub local: String,
}

impl std::fmt::Display for QName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{{{namespace}}}{}", self.local),
            None => f.write_str(&self.local),
        }
    }
}

/// An element declaration: a global `xs:element` or a local one inside a
/// content model. How often it occurs belongs to the [`Particle`] that uses it.
#[derive(Debug)]
pub struct ElementDecl {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    pub(crate) type_ref: TypeRef,
    pub(crate) global: bool,
    /// Whether a document may give it as `xsi:nil="true"`: empty, its
    /// value `none`.
    pub(crate) nillable: bool,
    /// Its `default` or `fixed` value: what it reads as when it is empty.
    pub(crate) constraint: Option<ValueConstraint>,
    /// The name as a template value, made once: the element's key in its parent's map.
    pub(crate) key: Value,
    /// The qualified name `write` gives the element (`tns:Order` or `Order`).
    pub(crate) written_name: String,
}

impl ElementDecl {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    pub fn type_ref(&self) -> TypeRef {
        self.type_ref
    }

    /// Declared at the top of a schema (and so referable with `ref`).
    pub fn is_global(&self) -> bool {
        self.global
    }

    pub fn is_nillable(&self) -> bool {
        self.nillable
    }

    /// Its `default` or `fixed` value.
    pub fn constraint(&self) -> Option<&ValueConstraint> {
        self.constraint.as_ref()
    }

    pub(crate) fn matches(&self, local: &str, namespace: Option<&str>) -> bool {
        crate::doc::xml::same_name(&self.name, local) && self.namespace.as_deref() == namespace
    }
}

/// A complex type: attributes and content.
#[derive(Debug)]
pub struct ComplexType {
    pub(crate) name: Option<QName>,
    pub(crate) attributes: Vec<AttributeDecl>,
    pub(crate) content: Content,
    /// The distinct local names of the child elements, in content-model
    /// order; particles point here by index. Several particles with one
    /// name share one key, as they share one entry of the value's map.
    pub(crate) child_keys: Vec<ChildKey>,
    /// How many particles the content model has: the size of its matching state.
    pub(crate) slots: u32,
    /// Its `xs:anyAttribute`, from the type, an attribute group or the
    /// base type: which attributes no declaration names it admits.
    pub(crate) any_attribute: Option<Wildcard>,
    /// `mixed="true"`: text may stand between its child elements.
    pub(crate) mixed: bool,
    /// For a type derived by extension of a complex type (`xs:complexContent`,
    /// or `xs:simpleContent` over a base with simple content): how, so
    /// that the WSDL declares it as its schema does. `content` and
    /// `attributes` hold the derived type in full either way.
    pub(crate) extension: Option<Extension>,
}

/// `xs:any` or `xs:anyAttribute`: elements or attributes that no
/// declaration of the content model or type names, admitted by their
/// namespace. An attribute's value is its text: a profile has no global
/// attribute declarations, so `lax` and `skip` check nothing more, and
/// `strict` (the default) admits no attribute a document can give. An
/// element is read by the profile's global element of its name where
/// `strict` or `lax` finds one; else `strict` refuses it and the others
/// take it untyped, as a document without a profile is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wildcard {
    pub(crate) namespaces: NamespaceConstraint,
    pub(crate) process: ProcessContents,
}

impl Wildcard {
    /// Whether an attribute in `namespace` is one of those it admits.
    pub fn admits(&self, namespace: Option<&str>) -> bool {
        self.namespaces.admits(namespace)
    }

    /// Whether `write` gives what it admits, in no namespace: it is `lax`
    /// or `skip`, and admits no namespace.
    pub fn writes_in_no_namespace(&self) -> bool {
        self.process != ProcessContents::Strict && self.admits(None)
    }

    pub fn namespaces(&self) -> &NamespaceConstraint {
        &self.namespaces
    }

    pub fn process(&self) -> ProcessContents {
        self.process
    }
}

/// The `namespace` of a wildcard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamespaceConstraint {
    /// `##any`.
    Any,
    /// `##other`: any namespace but this one (the schema's target
    /// namespace, if it has one), and not no namespace.
    Other(Option<String>),
    /// These namespaces; `None` is no namespace (`##local`).
    Listed(Vec<Option<String>>),
}

impl NamespaceConstraint {
    /// Elements both admit, for a message (`an element of namespace
    /// `urn:x``), or `None` when they admit none in common.
    pub(crate) fn shared(&self, other: &NamespaceConstraint) -> Option<String> {
        use NamespaceConstraint::{Any, Listed, Other};
        match (self, other) {
            (Listed(listed), constraint) | (constraint, Listed(listed)) => listed
                .iter()
                .find(|namespace| constraint.admits(namespace.as_deref()))
                .map(|namespace| match namespace {
                    Some(namespace) => format!("an element of namespace `{namespace}`"),
                    None => "an element of no namespace".to_owned(),
                }),
            // Both admit every namespace but one or two.
            (Any | Other(_), Any | Other(_)) => {
                Some("an element of a namespace both wildcards admit".to_owned())
            }
        }
    }

    pub(crate) fn admits(&self, namespace: Option<&str>) -> bool {
        match self {
            NamespaceConstraint::Any => true,
            NamespaceConstraint::Other(target) => {
                namespace.is_some() && namespace != target.as_deref()
            }
            NamespaceConstraint::Listed(listed) => {
                listed.iter().any(|allowed| allowed.as_deref() == namespace)
            }
        }
    }
}

impl std::fmt::Display for NamespaceConstraint {
    /// As a schema writes it, with `##local` for no namespace.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NamespaceConstraint::Any => f.write_str("##any"),
            NamespaceConstraint::Other(_) => f.write_str("##other"),
            NamespaceConstraint::Listed(listed) => {
                let mut first = true;
                for namespace in listed {
                    if !first {
                        f.write_str(" ")?;
                    }
                    first = false;
                    f.write_str(namespace.as_deref().unwrap_or("##local"))?;
                }
                Ok(())
            }
        }
    }
}

/// The `processContents` of a wildcard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessContents {
    Strict,
    Lax,
    Skip,
}

impl ProcessContents {
    pub fn keyword(self) -> &'static str {
        match self {
            ProcessContents::Strict => "strict",
            ProcessContents::Lax => "lax",
            ProcessContents::Skip => "skip",
        }
    }
}

/// How a type derived by extension of a complex type is made of its base:
/// the base's attributes come first in its own, and its content is the
/// base's (always so for simple content), the extension's particle, or a
/// sequence of the two.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Extension {
    pub(crate) base: ComplexTypeRef,
    pub(crate) added: Added,
}

/// Where the particle an extension adds is in the derived type's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Added {
    /// It adds none: the content is the base's.
    Nothing,
    /// The base's content is empty: the content is the added particle.
    Whole,
    /// The content is a sequence of the base's particle and the added one.
    Second,
}

impl ComplexType {
    /// `None` for an anonymous type.
    pub fn name(&self) -> Option<&QName> {
        self.name.as_ref()
    }

    pub fn attributes(&self) -> &[AttributeDecl] {
        &self.attributes
    }

    /// Whether text may stand between its child elements (`mixed="true"`).
    pub fn is_mixed(&self) -> bool {
        self.mixed
    }

    /// Its `xs:anyAttribute`, if it has one.
    pub fn any_attribute(&self) -> Option<&Wildcard> {
        self.any_attribute.as_ref()
    }

    /// The `xs:any` wildcards of its content model, in order.
    pub fn element_wildcards(&self) -> Vec<&Wildcard> {
        fn collect<'p>(particle: &'p Particle, out: &mut Vec<&'p Wildcard>) {
            match &particle.term {
                Term::Any(wildcard) => out.push(wildcard),
                Term::Element(_) => {}
                Term::Sequence(children) | Term::Choice(children) | Term::All(children) => {
                    for child in children {
                        collect(child, out);
                    }
                }
            }
        }
        let mut out = Vec::new();
        if let Content::Elements(particle) = &self.content {
            collect(particle, &mut out);
        }
        out
    }

    /// Whether a read document's value may hold elements no declaration of
    /// the content model names: it has an `xs:any`.
    pub fn reads_undeclared_elements(&self) -> bool {
        !self.element_wildcards().is_empty()
    }

    /// Whether `write` may take elements no declaration of the content
    /// model names: an `xs:any` of it admits them in no namespace (where
    /// `write` gives them).
    pub fn writes_undeclared_elements(&self) -> bool {
        self.element_wildcards()
            .iter()
            .any(|wildcard| wildcard.admits(None))
    }

    /// Whether a read document's value may hold attributes no declaration
    /// names: its `xs:anyAttribute` is `lax` or `skip`.
    pub fn reads_undeclared_attributes(&self) -> bool {
        self.any_attribute
            .as_ref()
            .is_some_and(|wildcard| wildcard.process != ProcessContents::Strict)
    }

    /// Whether `write` takes attributes no declaration names: its
    /// `xs:anyAttribute` is `lax` or `skip` and admits them in no namespace.
    pub fn writes_undeclared_attributes(&self) -> bool {
        self.any_attribute
            .as_ref()
            .is_some_and(Wildcard::writes_in_no_namespace)
    }

    pub fn content(&self) -> &Content {
        &self.content
    }

    /// The local names of its child elements, in content-model order.
    pub fn child_names(&self) -> impl Iterator<Item = &str> {
        self.child_keys.iter().map(|key| key.local.as_str())
    }

    /// Whether the child elements named `local` may occur more than once
    /// (their value is then always a list).
    pub fn child_repeats(&self, local: &str) -> bool {
        self.child_keys
            .iter()
            .any(|key| key.local == local && key.repeats)
    }

    /// The declaration of the child elements named `local`, when one
    /// declaration is used for every particle with that name; `None` when
    /// there is no such child, or several declarations (one name in two
    /// namespaces, or with two types at two places of the content model).
    pub fn child(&self, local: &str) -> Option<ElementRef> {
        let Content::Elements(particle) = &self.content else {
            return None;
        };
        let mut found = None;
        let mut unique = true;
        particle.each_element(&mut |particle, element| {
            if self.names(particle, local) {
                unique &= found.is_none_or(|seen| seen == element);
                found = Some(element);
            }
        });
        found.filter(|_| unique)
    }

    /// The local names every valid content of this type holds at least
    /// once, in content-model order.
    pub fn required_children(&self) -> Vec<&str> {
        self.child_names()
            .filter(|local| self.occurs(local).0 > 0)
            .collect()
    }

    /// How often elements named `local` occur in a valid content of this
    /// type: sequences add up, a choice takes its least and its most
    /// branch, and a particle's own bounds multiply.
    pub fn occurs(&self, local: &str) -> (u32, MaxOccurs) {
        match &self.content {
            Content::Elements(particle) => self.occurs_in(particle, local),
            Content::Empty | Content::Simple(_) => (0, MaxOccurs::Bounded(0)),
        }
    }

    fn occurs_in(&self, particle: &Particle, local: &str) -> (u32, MaxOccurs) {
        let (min, max) = match &particle.term {
            Term::Element(_) if self.names(particle, local) => (1, MaxOccurs::Bounded(1)),
            Term::Element(_) | Term::Any(_) => (0, MaxOccurs::Bounded(0)),
            Term::Sequence(children) | Term::All(children) => children
                .iter()
                .map(|child| self.occurs_in(child, local))
                .fold((0u32, MaxOccurs::Bounded(0)), |(min, max), (a, b)| {
                    (min.saturating_add(a), max.plus(b))
                }),
            Term::Choice(children) => children
                .iter()
                .map(|child| self.occurs_in(child, local))
                .reduce(|(min, max), (a, b)| (min.min(a), max.max(b)))
                .unwrap_or((0, MaxOccurs::Bounded(0))),
        };
        (
            min.saturating_mul(particle.min_occurs),
            max.times(particle.max_occurs),
        )
    }

    /// The first child element declaration named `local`, in content-model order.
    pub fn first_child(&self, local: &str) -> Option<ElementRef> {
        let Content::Elements(particle) = &self.content else {
            return None;
        };
        self.first_in(particle, local)
    }

    fn first_in(&self, particle: &Particle, local: &str) -> Option<ElementRef> {
        match &particle.term {
            Term::Element(id) => self.names(particle, local).then_some(*id),
            Term::Any(_) => None,
            Term::Sequence(children) | Term::Choice(children) | Term::All(children) => children
                .iter()
                .find_map(|child| self.first_in(child, local)),
        }
    }

    /// Whether an element particle of this type's content is named `local`.
    fn names(&self, particle: &Particle, local: &str) -> bool {
        self.child_keys[particle.key as usize].local == local
    }
}

/// A child element name of a complex type, as its value's map sees it.
#[derive(Debug)]
pub(crate) struct ChildKey {
    pub(crate) local: String,
    pub(crate) key: Value,
    /// Its effective maxOccurs is above one, counting enclosing groups and
    /// other particles with the same name: its value is always a list.
    pub(crate) repeats: bool,
    /// An element of this name here is nillable: `write` takes `none` for
    /// it as `xsi:nil`.
    pub(crate) nillable: bool,
}

/// What a complex type holds between its tags.
#[derive(Debug)]
pub enum Content {
    /// Nothing: only attributes.
    Empty,
    /// `xs:simpleContent`: text of a simple type, beside the attributes.
    Simple(SimpleTypeRef),
    /// Child elements following a content model.
    Elements(Particle),
}

/// A term with its occurrence bounds.
#[derive(Clone, Debug)]
pub struct Particle {
    pub(crate) min_occurs: u32,
    pub(crate) max_occurs: MaxOccurs,
    pub(crate) term: Term,
    /// This particle's index in the matching state of its content model;
    /// the particles below it take `slot + 1 .. slot_end`.
    pub(crate) slot: u32,
    pub(crate) slot_end: u32,
    /// The term can match nothing at all.
    pub(crate) term_nullable: bool,
    /// The particle can match nothing at all (`min_occurs` 0 or a nullable term).
    pub(crate) nullable: bool,
    /// The elements one occurrence of the term can start with.
    pub(crate) first: Vec<ElementRef>,
    /// The element wildcards (`xs:any`) one occurrence can start with.
    pub(crate) first_any: Vec<Wildcard>,
    /// For an element term: its index in the type's `child_keys`.
    pub(crate) key: u32,
    /// A sequence taken at most once whose particles are all elements, the
    /// usual content model: matched by one loop over its particles.
    pub(crate) flat: bool,
    /// The global `xs:group` this particle refers to (its term is a copy of
    /// the group's), so that the WSDL refers to it too.
    pub(crate) group: Option<QName>,
}

impl Particle {
    pub fn min_occurs(&self) -> u32 {
        self.min_occurs
    }

    pub fn max_occurs(&self) -> MaxOccurs {
        self.max_occurs
    }

    pub fn term(&self) -> &Term {
        &self.term
    }

    /// Calls `f` with every element particle below this one (itself included).
    fn each_element(&self, f: &mut impl FnMut(&Particle, ElementRef)) {
        match &self.term {
            Term::Element(element) => f(self, *element),
            Term::Any(_) => {}
            Term::Sequence(children) | Term::Choice(children) | Term::All(children) => {
                for child in children {
                    child.each_element(f);
                }
            }
        }
    }
}

/// What a particle matches.
#[derive(Clone, Debug)]
pub enum Term {
    Element(ElementRef),
    Sequence(Vec<Particle>),
    Choice(Vec<Particle>),
    /// Every particle is an element occurring at most once, in any order.
    All(Vec<Particle>),
    /// `xs:any`: one element its wildcard admits.
    Any(Wildcard),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxOccurs {
    Bounded(u32),
    Unbounded,
}

impl MaxOccurs {
    /// Whether `count` occurrences are within the bound.
    pub fn allows(self, count: u32) -> bool {
        match self {
            MaxOccurs::Bounded(max) => count <= max,
            MaxOccurs::Unbounded => true,
        }
    }

    pub(crate) fn times(self, other: MaxOccurs) -> MaxOccurs {
        match (self, other) {
            (MaxOccurs::Bounded(0), _) | (_, MaxOccurs::Bounded(0)) => MaxOccurs::Bounded(0),
            (MaxOccurs::Bounded(a), MaxOccurs::Bounded(b)) => a
                .checked_mul(b)
                .map_or(MaxOccurs::Unbounded, MaxOccurs::Bounded),
            _ => MaxOccurs::Unbounded,
        }
    }

    pub(crate) fn plus(self, other: MaxOccurs) -> MaxOccurs {
        match (self, other) {
            (MaxOccurs::Bounded(a), MaxOccurs::Bounded(b)) => a
                .checked_add(b)
                .map_or(MaxOccurs::Unbounded, MaxOccurs::Bounded),
            _ => MaxOccurs::Unbounded,
        }
    }

    pub(crate) fn max(self, other: MaxOccurs) -> MaxOccurs {
        match (self, other) {
            (MaxOccurs::Bounded(a), MaxOccurs::Bounded(b)) => MaxOccurs::Bounded(a.max(b)),
            _ => MaxOccurs::Unbounded,
        }
    }
}

impl std::fmt::Display for MaxOccurs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MaxOccurs::Bounded(n) => write!(f, "{n}"),
            MaxOccurs::Unbounded => f.write_str("unbounded"),
        }
    }
}

/// An attribute of a complex type.
#[derive(Clone, Debug)]
pub struct AttributeDecl {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    pub(crate) required: bool,
    pub(crate) type_ref: SimpleTypeRef,
    /// `@name` as a template value, made once.
    pub(crate) key: Value,
    /// The qualified name `write` gives the attribute.
    pub(crate) written_name: String,
    /// The `xs:attributeGroup`s it comes through, outermost first; empty
    /// for an attribute declared in its type. The WSDL refers to them.
    pub(crate) groups: Vec<QName>,
    /// Its `default` or `fixed` value.
    pub(crate) constraint: Option<ValueConstraint>,
}

/// The `default` or `fixed` value of an attribute or element: what an
/// absent attribute or an empty element reads as, and for `fixed` the only
/// value it may have.
#[derive(Clone, Debug)]
pub struct ValueConstraint {
    pub(crate) fixed: bool,
    /// As the schema writes it.
    pub(crate) lexical: String,
    /// Checked by its type: the text after whitespace handling, and its
    /// value, compared as an enumeration's values are.
    pub(crate) value: EnumValue,
}

impl ValueConstraint {
    /// The template value of an absent attribute or empty element.
    pub(crate) fn value(&self) -> Value {
        self.value.atom.into_value(&self.value.lexical)
    }

    /// Why a value checked by its type may not be given here: it is not
    /// the fixed one (numbers and booleans compare by value: `1.0` is `1`).
    pub(crate) fn refuses(&self, text: &str, atom: Atom) -> Option<String> {
        (self.fixed && !self.value.matches(text, atom)).then(|| {
            format!(
                "{} is not the fixed value {}",
                quoted(text),
                quoted(&self.lexical)
            )
        })
    }

    pub(crate) fn keyword(&self) -> &'static str {
        if self.fixed { "fixed" } else { "default" }
    }
}

impl AttributeDecl {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    pub fn is_required(&self) -> bool {
        self.required
    }

    /// Its `default` or `fixed` value.
    pub fn constraint(&self) -> Option<&ValueConstraint> {
        self.constraint.as_ref()
    }

    pub fn type_ref(&self) -> SimpleTypeRef {
        self.type_ref
    }
}

/// A simple type: a built-in type, or a restriction of another simple type.
#[derive(Debug)]
pub struct SimpleType {
    pub(crate) name: Option<QName>,
    pub(crate) builtin: BuiltIn,
    /// The type this one restricts; `None` for a built-in type.
    pub(crate) base: Option<SimpleTypeRef>,
    /// The facets of this restriction step; a value must also satisfy the base's.
    pub(crate) facets: Facets,
    /// The whitespace handling in effect, inherited unless this step sets it.
    pub(crate) whitespace: WhiteSpace,
    /// Whether values are IDs or references to them (`xs:ID`, `xs:IDREF`
    /// and their restrictions).
    pub(crate) identity: Identity,
    /// For an `xs:union` and its restrictions: the member types, in order,
    /// unions among them replaced by their own members. A value is read by
    /// the first that accepts it; `builtin` is then only a placeholder
    /// (`xs:string`) and `whitespace` is each member's own. Empty for every
    /// other type.
    pub(crate) members: Vec<SimpleTypeRef>,
    /// For an `xs:list` and its restrictions: the type of its items. A
    /// value is whitespace-separated items (read as a list of them); the
    /// length facets count items, and `identity` is the items'.
    pub(crate) item: Option<SimpleTypeRef>,
}

impl SimpleType {
    /// The built-in type itself, named in the XSD namespace (`xs:int`).
    pub(crate) fn of_builtin(builtin: BuiltIn) -> SimpleType {
        SimpleType {
            name: Some(QName {
                namespace: Some(super::schema::XSD_NAMESPACE.to_owned()),
                local: builtin.name().to_owned(),
            }),
            builtin,
            base: None,
            facets: Facets::default(),
            whitespace: builtin.default_whitespace(),
            identity: Identity::None,
            members: Vec::new(),
            item: None,
        }
    }

    /// The type's name: `{http://www.w3.org/2001/XMLSchema}int` for a
    /// built-in type, `None` for an anonymous one.
    pub fn name(&self) -> Option<&QName> {
        self.name.as_ref()
    }

    /// `xs:string` itself: every text is a value of it, as written.
    pub(crate) fn is_plain_string(&self) -> bool {
        self.builtin == BuiltIn::String
            && self.base.is_none()
            && self.members.is_empty()
            && self.item.is_none()
            && self.whitespace == WhiteSpace::Preserve
    }

    /// The built-in type at the root of the derivation.
    pub fn builtin(&self) -> BuiltIn {
        self.builtin
    }

    pub fn base(&self) -> Option<SimpleTypeRef> {
        self.base
    }

    pub fn facets(&self) -> &Facets {
        &self.facets
    }

    pub fn whitespace(&self) -> WhiteSpace {
        self.whitespace
    }

    /// The member types of a union (or a restriction of one); empty for
    /// any other type.
    pub fn members(&self) -> &[SimpleTypeRef] {
        &self.members
    }

    /// The item type of a list (or a restriction of one).
    pub fn item(&self) -> Option<SimpleTypeRef> {
        self.item
    }
}
