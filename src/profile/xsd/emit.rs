//! Compiled XML profiles back into XSD text: the schemas a WSDL carries.
//!
//! A WSDL has to be one self-contained document, but a profile is a file
//! that may include and import others under `profiles/`. So the schemas are
//! written from the compiled model, not copied from the files: exactly the
//! declarations the given profiles' document elements reach, one
//! `xs:schema` per target namespace, and between them `xs:import`s without
//! a `schemaLocation` (they sit side by side in `wsdl:types`). The compiler
//! has already resolved includes, imports and prefixes, so nothing of the
//! files' layout leaks out, and what is published is what validates.
//!
//! Declarations are gathered first as small trees ([`XsNode`]) whose type
//! and element references are qualified names rather than prefixed text.
//! Two profiles that import one common file give equal trees for its
//! declarations, which are kept once; two different trees under one name
//! in one namespace are a [`Clash`], which a WSDL cannot hold. Prefixes and
//! `elementFormDefault` are chosen only when the schemas are written, from
//! everything gathered.
//!
//! Named model groups, attribute groups and extensions of complex types
//! (by `xs:complexContent`, or `xs:simpleContent` over a base with simple
//! content) are written as the schema declared them: each group once, in
//! its own namespace's schema, and referred to; a derived type as an
//! extension of its base, adding only its own particle and attributes.
//! The model holds them expanded, but a qualified local declaration can
//! only be written in the schema of its own namespace, which is where the
//! group or base type is.
//!
//! What the model does not keep is not written: annotations, declarations
//! no document element reaches, and references to attribute groups that
//! add no attribute. An emitted schema, compiled again, accepts
//! exactly the documents its profile accepts and reads them to the same
//! values (`tests.rs`, "emitted schemas").

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::doc::xml;

use super::XmlProfile;
use super::model::{
    Added, AttributeDecl, ComplexType, ComplexTypeRef, Content, ElementDecl, ElementRef, Extension,
    MaxOccurs, Particle, ProcessContents, QName, SimpleTypeRef, Term, TypeRef, Wildcard,
};
use super::schema::XSD_NAMESPACE;
use super::simple::Facets;

/// XSD keeps the names of elements, types (complex and simple alike),
/// model groups and attribute groups apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Space {
    Element,
    Type,
    Group,
    AttributeGroup,
}

impl Space {
    pub fn noun(self) -> &'static str {
        match self {
            Space::Element => "element",
            Space::Type => "type",
            Space::Group => "group",
            Space::AttributeGroup => "attribute group",
        }
    }
}

/// Who asked for a declaration: the caller's number for it and its name in
/// messages (a profile, an operation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub id: usize,
    pub label: String,
}

/// Two different declarations with one name in one namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clash {
    pub space: Space,
    pub name: QName,
    /// The declaration that was kept.
    pub first: Origin,
    /// The one that could not be added.
    pub second: Origin,
}

impl std::fmt::Display for Clash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let namespace = match &self.name.namespace {
            Some(namespace) => format!("namespace `{namespace}`"),
            None => "no namespace".to_owned(),
        };
        write!(
            f,
            "{} and {} both declare the {} `{}` in {namespace}, differently",
            self.first.label,
            self.second.label,
            self.space.noun(),
            self.name.local
        )
    }
}

/// One element of schema text before prefixes are chosen: an `xs:` element
/// with its attributes and children.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XsNode {
    /// The local name in the XML Schema namespace: `element`, `sequence`.
    tag: &'static str,
    attributes: Vec<(&'static str, AttrValue)>,
    children: Vec<XsNode>,
    /// For a local `xs:element` or `xs:attribute`: whether its name is in
    /// the target namespace. Written as `form` only where it differs from
    /// the schema's default.
    qualified: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum AttrValue {
    Text(String),
    Name(QName),
    /// A list of names (`memberTypes`).
    Names(Vec<QName>),
}

impl XsNode {
    pub fn new(tag: &'static str) -> XsNode {
        XsNode {
            tag,
            attributes: Vec::new(),
            children: Vec::new(),
            qualified: None,
        }
    }

    /// An attribute holding text.
    pub fn attr(mut self, name: &'static str, value: impl Into<String>) -> XsNode {
        self.attributes.push((name, AttrValue::Text(value.into())));
        self
    }

    /// An attribute naming a declaration (`type`, `ref`, `base`).
    pub fn name_attr(mut self, name: &'static str, value: QName) -> XsNode {
        self.attributes.push((name, AttrValue::Name(value)));
        self
    }

    pub fn child(mut self, child: XsNode) -> XsNode {
        self.children.push(child);
        self
    }

    /// A local element or attribute in its schema's target namespace
    /// (`true`) or in no namespace.
    pub fn qualified(mut self, qualified: bool) -> XsNode {
        self.qualified = Some(qualified);
        self
    }

    /// `minOccurs` and `maxOccurs`, left out where they are 1.
    pub fn occurs(mut self, min: u32, max: MaxOccurs) -> XsNode {
        if min != 1 {
            self = self.attr("minOccurs", min.to_string());
        }
        if max != MaxOccurs::Bounded(1) {
            self = self.attr("maxOccurs", max.to_string());
        }
        self
    }

    fn names(&self, out: &mut BTreeSet<Option<String>>) {
        for (_, value) in &self.attributes {
            match value {
                AttrValue::Name(name) => {
                    out.insert(name.namespace.clone());
                }
                AttrValue::Names(names) => {
                    out.extend(names.iter().map(|name| name.namespace.clone()));
                }
                AttrValue::Text(_) => {}
            }
        }
        for child in &self.children {
            child.names(out);
        }
    }

    /// Counts local elements (`tag` "element") or attributes by form.
    fn count_forms(&self, tag: &str, counts: &mut FormCounts) {
        if self.tag == tag {
            match self.qualified {
                Some(true) => counts.qualified += 1,
                Some(false) => counts.unqualified += 1,
                None => {}
            }
        }
        for child in &self.children {
            child.count_forms(tag, counts);
        }
    }
}

#[derive(Default)]
struct FormCounts {
    qualified: usize,
    unqualified: usize,
}

impl FormCounts {
    /// The default that needs the fewest `form` attributes; `qualified` on a tie,
    /// as most schemas with a target namespace are.
    fn default_qualified(&self, tie: bool) -> bool {
        match self.qualified.cmp(&self.unqualified) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => tie,
        }
    }
}

/// A global declaration and who asked for it first.
#[derive(Debug)]
struct Declaration {
    node: XsNode,
    origin: Origin,
}

/// The declarations of one target namespace.
#[derive(Debug, Default)]
struct Schema {
    declarations: BTreeMap<(Space, String), Declaration>,
    /// Global elements that are documents of their own (profiles' document
    /// elements, operation wrappers): written first.
    documents: BTreeSet<String>,
}

/// Schemas being gathered, one per target namespace (`None`: no namespace).
#[derive(Debug, Default)]
pub struct SchemaSet {
    schemas: BTreeMap<Option<String>, Schema>,
    /// The prefixes the profiles' documents are written with, so that the
    /// schemas read like the documents; the first profile's choice wins.
    preferred: BTreeMap<String, String>,
}

/// The prefix of each namespace the schemas name. No namespace has no
/// prefix, and no default namespace is ever declared, so an unprefixed
/// name always means no namespace.
#[derive(Clone, Debug, Default)]
pub struct Prefixes {
    by_namespace: BTreeMap<String, String>,
}

impl Prefixes {
    pub fn get(&self, namespace: &str) -> Option<&str> {
        self.by_namespace.get(namespace).map(String::as_str)
    }

    /// `prefix:local`, or `local` for no namespace (or an unknown one,
    /// which [`SchemaSet::prefixes`] never leaves).
    pub fn qualify(&self, name: &QName) -> String {
        match name.namespace.as_deref().and_then(|ns| self.get(ns)) {
            Some(prefix) => format!("{prefix}:{}", name.local),
            None => name.local.clone(),
        }
    }
}

impl SchemaSet {
    pub fn new() -> SchemaSet {
        SchemaSet::default()
    }

    /// Makes sure a schema for `namespace` is written, even if empty.
    pub fn ensure(&mut self, namespace: Option<&str>) {
        self.schemas
            .entry(namespace.map(str::to_owned))
            .or_default();
    }

    /// Adds every declaration `profile`'s document element needs. A
    /// declaration already there is kept as it is; the clashes are the
    /// ones that differed, and were not added.
    pub fn add_profile(&mut self, profile: &XmlProfile, origin: &Origin) -> Vec<Clash> {
        let mut walk = Walk {
            profile,
            queue: Vec::new(),
            seen: HashSet::new(),
            groups: Vec::new(),
            seen_groups: HashSet::new(),
        };
        walk.visit(Named::Element(profile.root), &element_name(profile.root()));
        let mut clashes = Vec::new();
        loop {
            for (space, name, node) in std::mem::take(&mut walk.groups) {
                clashes.extend(self.add(space, name, node, origin));
            }
            let Some((named, name)) = walk.queue.pop() else {
                break;
            };
            let (space, name, node) = walk.declaration(named, name);
            clashes.extend(self.add(space, name, node, origin));
        }
        let root = profile.root();
        self.mark_document(root.namespace(), root.name());
        self.prefer_prefixes(profile);
        clashes
    }

    fn prefer_prefixes(&mut self, profile: &XmlProfile) {
        let elements = profile
            .elements
            .iter()
            .map(|e| (&e.namespace, &e.written_name));
        let attributes = profile
            .complex_types
            .iter()
            .flat_map(|c| &c.attributes)
            .map(|a| (&a.namespace, &a.written_name));
        for (namespace, written) in elements.chain(attributes) {
            if let (Some(namespace), Some((prefix, _))) = (namespace, written.split_once(':')) {
                self.preferred
                    .entry(namespace.clone())
                    .or_insert_with(|| prefix.to_owned());
            }
        }
    }

    /// Adds a global declaration (`node` is its `xs:element`,
    /// `xs:complexType`, `xs:simpleType`, `xs:group` or
    /// `xs:attributeGroup`, with its `name`).
    pub fn add(
        &mut self,
        space: Space,
        name: QName,
        node: XsNode,
        origin: &Origin,
    ) -> Option<Clash> {
        let schema = self.schemas.entry(name.namespace.clone()).or_default();
        let key = (space, name.local.clone());
        match schema.declarations.get(&key) {
            Some(existing) if existing.node == node => None,
            Some(existing) => Some(Clash {
                space,
                name,
                first: existing.origin.clone(),
                second: origin.clone(),
            }),
            None => {
                schema.declarations.insert(
                    key,
                    Declaration {
                        node,
                        origin: origin.clone(),
                    },
                );
                None
            }
        }
    }

    /// Writes the global element first in its schema, as a document of its own.
    pub fn mark_document(&mut self, namespace: Option<&str>, local: &str) {
        if let Some(schema) = self.schemas.get_mut(&namespace.map(str::to_owned)) {
            schema.documents.insert(local.to_owned());
        }
    }

    /// The target namespaces, no namespace first.
    pub fn namespaces(&self) -> impl Iterator<Item = Option<&str>> {
        self.schemas.keys().map(Option::as_deref)
    }

    /// A prefix for every namespace the schemas declare or name: `xs` for
    /// XML Schema, the `wanted` ones where given and free, then those the
    /// profiles' documents use, else `ns1`, `ns2`, … in namespace order.
    pub fn prefixes(&self, wanted: &[(&str, &str)]) -> Prefixes {
        let mut namespaces: BTreeSet<Option<String>> = self.schemas.keys().cloned().collect();
        for schema in self.schemas.values() {
            for declaration in schema.declarations.values() {
                declaration.node.names(&mut namespaces);
            }
        }
        let mut prefixes = Prefixes::default();
        let mut taken: HashSet<String> = HashSet::from(["xs".to_owned()]);
        prefixes
            .by_namespace
            .insert(XSD_NAMESPACE.to_owned(), "xs".to_owned());
        let preferred = self.preferred.iter().map(|(n, p)| (n.as_str(), p.as_str()));
        for (namespace, prefix) in wanted.iter().copied().chain(preferred) {
            let free = !taken.contains(prefix) && !prefixes.by_namespace.contains_key(namespace);
            if free && xml::is_ncname(prefix) && !prefix.to_ascii_lowercase().starts_with("xml") {
                taken.insert(prefix.to_owned());
                prefixes
                    .by_namespace
                    .insert(namespace.to_owned(), prefix.to_owned());
            }
        }
        let mut counter = 0;
        for namespace in namespaces.into_iter().flatten() {
            if prefixes.by_namespace.contains_key(&namespace) {
                continue;
            }
            let prefix = loop {
                counter += 1;
                let candidate = format!("ns{counter}");
                if !taken.contains(&candidate) {
                    break candidate;
                }
            };
            taken.insert(prefix.clone());
            prefixes.by_namespace.insert(namespace, prefix);
        }
        prefixes
    }

    /// Writes every `xs:schema`, indented by `depth` levels, for embedding
    /// in another document (a WSDL's `wsdl:types`).
    pub fn write(&self, out: &mut String, depth: usize, prefixes: &Prefixes) {
        for namespace in self.schemas.keys() {
            self.write_schema(out, depth, namespace.as_deref(), prefixes, &|_| None);
        }
    }

    /// Each schema as a document of its own, by target namespace. Imports
    /// get the `schemaLocation` that `location` gives for their namespace
    /// (none where it gives `None`).
    pub fn documents(
        &self,
        location: &dyn Fn(Option<&str>) -> Option<String>,
    ) -> Vec<(Option<String>, String)> {
        let prefixes = self.prefixes(&[]);
        self.schemas
            .keys()
            .map(|namespace| {
                let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
                self.write_schema(&mut out, 0, namespace.as_deref(), &prefixes, location);
                (namespace.clone(), out)
            })
            .collect()
    }

    fn write_schema(
        &self,
        out: &mut String,
        depth: usize,
        namespace: Option<&str>,
        prefixes: &Prefixes,
        location: &dyn Fn(Option<&str>) -> Option<String>,
    ) {
        let Some(schema) = self.schemas.get(&namespace.map(str::to_owned)) else {
            return;
        };
        let mut named: BTreeSet<Option<String>> = BTreeSet::new();
        let mut elements = FormCounts::default();
        let mut attributes = FormCounts::default();
        for declaration in schema.declarations.values() {
            declaration.node.names(&mut named);
            declaration.node.count_forms("element", &mut elements);
            declaration.node.count_forms("attribute", &mut attributes);
        }
        // Forms only matter where there is a namespace to be in.
        let forms = namespace.map(|_| Forms {
            elements: elements.default_qualified(true),
            attributes: attributes.default_qualified(false),
        });

        let mut declared: BTreeSet<&str> = BTreeSet::from([XSD_NAMESPACE]);
        declared.extend(namespace);
        declared.extend(named.iter().flatten().map(String::as_str));
        let mut open = format!("{}<xs:schema", indent(depth));
        for declared in &declared {
            if let Some(prefix) = prefixes.get(declared) {
                open.push_str(&format!(" xmlns:{prefix}=\"{}\"", xml::escape(declared)));
            }
        }
        if let Some(namespace) = namespace {
            open.push_str(&format!(" targetNamespace=\"{}\"", xml::escape(namespace)));
        }
        if let Some(forms) = forms {
            open.push_str(&format!(
                " elementFormDefault=\"{}\"",
                form_name(forms.elements)
            ));
            if forms.attributes {
                open.push_str(" attributeFormDefault=\"qualified\"");
            }
        }
        let imports: Vec<Option<&str>> = named
            .iter()
            .map(Option::as_deref)
            .filter(|n| *n != namespace && *n != Some(XSD_NAMESPACE))
            .collect();
        if imports.is_empty() && schema.declarations.is_empty() {
            out.push_str(&open);
            out.push_str("/>\n");
            return;
        }
        out.push_str(&open);
        out.push_str(">\n");
        for import in imports {
            let mut node = XsNode::new("import");
            if let Some(import) = import {
                node = node.attr("namespace", import);
            }
            if let Some(location) = location(import) {
                node = node.attr("schemaLocation", location);
            }
            write_node(out, depth + 1, &node, prefixes, None);
        }
        for declaration in ordered(schema) {
            write_node(out, depth + 1, &declaration.node, prefixes, forms);
        }
        out.push_str(&indent(depth));
        out.push_str("</xs:schema>\n");
    }
}

/// Documents first, then the other elements, then types; by name within each.
fn ordered(schema: &Schema) -> impl Iterator<Item = &Declaration> {
    let is_document =
        |space: Space, name: &str| space == Space::Element && schema.documents.contains(name);
    let documents = schema
        .declarations
        .iter()
        .filter(move |((space, name), _)| is_document(*space, name));
    let rest = schema
        .declarations
        .iter()
        .filter(move |((space, name), _)| !is_document(*space, name));
    documents.chain(rest).map(|(_, declaration)| declaration)
}

/// An `xs:any` or `xs:anyAttribute` as the compiled wildcard says it.
fn wildcard_node(tag: &'static str, wildcard: &Wildcard) -> XsNode {
    XsNode::new(tag)
        .attr("namespace", wildcard.namespaces.to_string())
        .attr("processContents", wildcard.process.keyword())
}

fn any_attribute(wildcard: &Wildcard) -> XsNode {
    wildcard_node("anyAttribute", wildcard)
}

/// A schema's `elementFormDefault` and `attributeFormDefault`, as booleans.
#[derive(Clone, Copy)]
struct Forms {
    elements: bool,
    attributes: bool,
}

fn form_name(qualified: bool) -> &'static str {
    if qualified {
        "qualified"
    } else {
        "unqualified"
    }
}

fn indent(depth: usize) -> String {
    "  ".repeat(depth)
}

fn write_node(
    out: &mut String,
    depth: usize,
    node: &XsNode,
    prefixes: &Prefixes,
    forms: Option<Forms>,
) {
    out.push_str(&indent(depth));
    out.push_str("<xs:");
    out.push_str(node.tag);
    for (name, value) in &node.attributes {
        let text = match value {
            AttrValue::Text(text) => text.clone(),
            AttrValue::Name(name) => prefixes.qualify(name),
            AttrValue::Names(names) => names
                .iter()
                .map(|name| prefixes.qualify(name))
                .collect::<Vec<_>>()
                .join(" "),
        };
        out.push_str(&format!(" {name}=\"{}\"", xml::escape(&text)));
    }
    if let (Some(qualified), Some(forms)) = (node.qualified, forms) {
        let default = match node.tag {
            "attribute" => forms.attributes,
            _ => forms.elements,
        };
        if qualified != default {
            out.push_str(&format!(" form=\"{}\"", form_name(qualified)));
        }
    }
    if node.children.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    for child in &node.children {
        write_node(out, depth + 1, child, prefixes, forms);
    }
    out.push_str(&indent(depth));
    out.push_str("</xs:");
    out.push_str(node.tag);
    out.push_str(">\n");
}

// ---------------------------------------------------------------------------
// The model as declarations

fn element_name(element: &ElementDecl) -> QName {
    QName {
        namespace: element.namespace.clone(),
        local: element.name.clone(),
    }
}

/// A named declaration of a profile, to be written once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Named {
    Element(ElementRef),
    Complex(ComplexTypeRef),
    Simple(SimpleTypeRef),
}

/// Walks one profile from its document element, turning each named
/// declaration it reaches into a tree and queueing the ones it names.
struct Walk<'p> {
    profile: &'p XmlProfile,
    queue: Vec<(Named, QName)>,
    seen: HashSet<Named>,
    /// Group declarations, made where the first reference to each is met:
    /// the model has no handle for a group, only copies of it.
    groups: Vec<(Space, QName, XsNode)>,
    seen_groups: HashSet<(Space, QName)>,
}

impl Walk<'_> {
    /// Queues a named declaration to be written, once.
    fn visit(&mut self, named: Named, name: &QName) {
        if self.seen.insert(named) {
            self.queue.push((named, name.clone()));
        }
    }

    /// A queued declaration as a tree, with the name it is declared by.
    fn declaration(&mut self, named: Named, name: QName) -> (Space, QName, XsNode) {
        let local = name.local.clone();
        match named {
            Named::Element(id) => {
                let node = self.typed(XsNode::new("element").attr("name", local), id);
                (Space::Element, name, node)
            }
            Named::Complex(id) => {
                let node = self.complex_type(id).attr_first("name", local);
                (Space::Type, name, node)
            }
            Named::Simple(id) => {
                let node = self.simple_type(id).attr_first("name", local);
                (Space::Type, name, node)
            }
        }
    }

    /// An element declaration with its type: a `type` naming it, or the
    /// anonymous type inline.
    fn typed(&mut self, node: XsNode, id: ElementRef) -> XsNode {
        let element = self.profile.element(id);
        let mut node = node;
        if element.nillable {
            node = node.attr("nillable", "true");
        }
        if let Some(constraint) = &element.constraint {
            node = node.attr(constraint.keyword(), &constraint.lexical);
        }
        match element.type_ref {
            TypeRef::Complex(complex) => match &self.profile.complex_type(complex).name {
                Some(name) => {
                    let name = name.clone();
                    self.visit(Named::Complex(complex), &name);
                    node.name_attr("type", name)
                }
                None => node.child(self.complex_type(complex)),
            },
            TypeRef::Simple(simple) => match self.simple_reference(simple) {
                Some(name) => node.name_attr("type", name),
                None => node.child(self.simple_type(simple)),
            },
        }
    }

    /// The name to refer to a simple type by (queueing it), or `None` for
    /// an anonymous one, which is written inline.
    fn simple_reference(&mut self, id: SimpleTypeRef) -> Option<QName> {
        let name = self.profile.simple_type(id).name.clone()?;
        if name.namespace.as_deref() != Some(XSD_NAMESPACE) {
            self.visit(Named::Simple(id), &name);
        }
        Some(name)
    }

    fn complex_type(&mut self, id: ComplexTypeRef) -> XsNode {
        let profile = self.profile;
        let complex = profile.complex_type(id);
        let mut node = XsNode::new("complexType");
        if complex.mixed {
            node = node.attr("mixed", "true");
        }
        if let Some(extension) = complex.extension
            && let Some(base) = profile.complex_type(extension.base).name.clone()
        {
            let derivation = match complex.content {
                Content::Simple(_) => "simpleContent",
                Content::Empty | Content::Elements(_) => "complexContent",
            };
            let extension = self.extension(complex, extension, base);
            return node.child(XsNode::new(derivation).child(extension));
        }
        let all: Vec<&AttributeDecl> = complex.attributes.iter().collect();
        let mut attributes = self.attribute_uses(&all, 0);
        attributes.extend(complex.any_attribute.as_ref().map(any_attribute));
        match &complex.content {
            Content::Empty => {}
            Content::Elements(particle) => node = node.child(self.content_model(particle)),
            Content::Simple(simple) => {
                let base = self.extension_base(*simple);
                let mut extension = XsNode::new("extension").name_attr("base", base);
                for attribute in attributes.drain(..) {
                    extension = extension.child(attribute);
                }
                node = node.child(XsNode::new("simpleContent").child(extension));
            }
        }
        for attribute in attributes {
            node = node.child(attribute);
        }
        node
    }

    /// A content model, which is always a group: a lone element is put in
    /// a sequence to be written as one.
    fn content_model(&mut self, particle: &Particle) -> XsNode {
        match particle.term {
            Term::Element(_) | Term::Any(_) => {
                XsNode::new("sequence").child(self.particle(particle))
            }
            _ => self.particle(particle),
        }
    }

    /// The `xs:extension` of a type derived by complex content: its base,
    /// and only the particle and attributes it adds.
    fn extension(&mut self, complex: &ComplexType, extension: Extension, base: QName) -> XsNode {
        self.visit(Named::Complex(extension.base), &base);
        let mut node = XsNode::new("extension").name_attr("base", base);
        let added = match (extension.added, &complex.content) {
            (Added::Whole, Content::Elements(particle)) => Some(particle),
            (Added::Second, Content::Elements(particle)) => match &particle.term {
                Term::Sequence(both) => both.get(1),
                _ => None,
            },
            _ => None,
        };
        if let Some(particle) = added {
            node = node.child(self.content_model(particle));
        }
        let base = self.profile.complex_type(extension.base);
        let own: Vec<&AttributeDecl> = complex
            .attributes
            .iter()
            .skip(base.attributes.len())
            .collect();
        for attribute in self.attribute_uses(&own, 0) {
            node = node.child(attribute);
        }
        // The base's wildcard is inherited; only one the extension adds is written.
        if let Some(wildcard) = &complex.any_attribute
            && base.any_attribute.as_ref() != Some(wildcard)
        {
            node = node.child(any_attribute(wildcard));
        }
        node
    }

    /// Attribute declarations, with those that come through an attribute
    /// group (`depth` groups down) written as one reference to it, where
    /// its first attribute is.
    fn attribute_uses(&mut self, attributes: &[&AttributeDecl], depth: usize) -> Vec<XsNode> {
        let mut out = Vec::new();
        let mut referenced: Vec<&QName> = Vec::new();
        for attribute in attributes {
            let Some(group) = attribute.groups.get(depth) else {
                out.push(self.attribute(attribute));
                continue;
            };
            if referenced.contains(&group) {
                continue;
            }
            referenced.push(group);
            if self
                .seen_groups
                .insert((Space::AttributeGroup, group.clone()))
            {
                let members: Vec<&AttributeDecl> = attributes
                    .iter()
                    .copied()
                    .filter(|a| a.groups.get(depth) == Some(group))
                    .collect();
                let mut declaration = XsNode::new("attributeGroup").attr("name", &group.local);
                for child in self.attribute_uses(&members, depth + 1) {
                    declaration = declaration.child(child);
                }
                self.groups
                    .push((Space::AttributeGroup, group.clone(), declaration));
            }
            out.push(XsNode::new("attributeGroup").name_attr("ref", group.clone()));
        }
        out
    }

    fn attribute(&mut self, attribute: &AttributeDecl) -> XsNode {
        let mut declaration = XsNode::new("attribute").attr("name", &attribute.name);
        declaration = match self.simple_reference(attribute.type_ref) {
            Some(name) => declaration.name_attr("type", name),
            None => declaration.child(self.simple_type(attribute.type_ref)),
        };
        if attribute.required {
            declaration = declaration.attr("use", "required");
        }
        if let Some(constraint) = &attribute.constraint {
            declaration = declaration.attr(constraint.keyword(), &constraint.lexical);
        }
        declaration.qualified(attribute.namespace.is_some())
    }

    /// The base of a simple-content extension. The compiler only makes
    /// named ones (`base` is a name); should an anonymous one appear, its
    /// nearest named ancestor is the best a name can say.
    fn extension_base(&mut self, simple: SimpleTypeRef) -> QName {
        let mut current = simple;
        loop {
            if let Some(name) = self.simple_reference(current) {
                return name;
            }
            match self.profile.simple_type(current).base {
                Some(base) => current = base,
                None => {
                    return QName {
                        namespace: Some(XSD_NAMESPACE.to_owned()),
                        local: self.profile.simple_type(current).builtin.name().to_owned(),
                    };
                }
            }
        }
    }

    fn particle(&mut self, particle: &Particle) -> XsNode {
        if let Some(group) = &particle.group {
            if self.seen_groups.insert((Space::Group, group.clone())) {
                let model = match &particle.term {
                    Term::Element(id) => XsNode::new("sequence").child(self.particle_element(*id)),
                    Term::Any(wildcard) => {
                        self.visit_wildcard_elements(wildcard);
                        XsNode::new("sequence").child(wildcard_node("any", wildcard))
                    }
                    Term::Sequence(children) => self.group("sequence", children),
                    Term::Choice(children) => self.group("choice", children),
                    Term::All(children) => self.group("all", children),
                };
                let declaration = XsNode::new("group").attr("name", &group.local).child(model);
                self.groups.push((Space::Group, group.clone(), declaration));
            }
            return XsNode::new("group")
                .name_attr("ref", group.clone())
                .occurs(particle.min_occurs, particle.max_occurs);
        }
        let node = match &particle.term {
            Term::Element(id) => self.particle_element(*id),
            Term::Any(wildcard) => {
                self.visit_wildcard_elements(wildcard);
                wildcard_node("any", wildcard)
            }
            Term::Sequence(children) => self.group("sequence", children),
            Term::Choice(children) => self.group("choice", children),
            Term::All(children) => self.group("all", children),
        };
        node.occurs(particle.min_occurs, particle.max_occurs)
    }

    fn group(&mut self, tag: &'static str, children: &[Particle]) -> XsNode {
        let mut node = XsNode::new(tag);
        for child in children {
            node = node.child(self.particle(child));
        }
        node
    }

    /// A global element by `ref`, or a local declaration.
    /// The global elements a `strict` or `lax` wildcard reads documents
    /// by: written too, so that the schema reads what the profile reads.
    fn visit_wildcard_elements(&mut self, wildcard: &Wildcard) {
        if wildcard.process == ProcessContents::Skip {
            return;
        }
        let profile = self.profile;
        for &id in &profile.globals {
            let element = profile.element(id);
            if wildcard.admits(element.namespace.as_deref()) {
                let name = element_name(element);
                self.visit(Named::Element(id), &name);
            }
        }
    }

    fn particle_element(&mut self, id: ElementRef) -> XsNode {
        let element = self.profile.element(id);
        if element.global {
            let name = element_name(element);
            self.visit(Named::Element(id), &name);
            return XsNode::new("element").name_attr("ref", name);
        }
        let node = XsNode::new("element").attr("name", &element.name);
        self.typed(node, id).qualified(element.namespace.is_some())
    }

    fn simple_type(&mut self, id: SimpleTypeRef) -> XsNode {
        let simple = self.profile.simple_type(id);
        if let (None, Some(item)) = (simple.base, simple.item) {
            let list = match self.simple_reference(item) {
                Some(name) => XsNode::new("list").name_attr("itemType", name),
                None => XsNode::new("list").child(self.simple_type(item)),
            };
            return XsNode::new("simpleType").child(list);
        }
        if simple.base.is_none() && !simple.members.is_empty() {
            // A union: named members in `memberTypes`, anonymous ones
            // inline, which XSD puts after those; a named member that comes
            // after an anonymous one is inline too (a restriction of it
            // without facets), so that the members keep their order.
            let mut names = Vec::new();
            let mut union = XsNode::new("union");
            for &member in &simple.members {
                match self.simple_reference(member) {
                    Some(name) if union.children.is_empty() => names.push(name),
                    Some(name) => {
                        let restriction = XsNode::new("restriction").name_attr("base", name);
                        union = union.child(XsNode::new("simpleType").child(restriction));
                    }
                    None => union = union.child(self.simple_type(member)),
                }
            }
            if !names.is_empty() {
                union
                    .attributes
                    .push(("memberTypes", AttrValue::Names(names)));
            }
            return XsNode::new("simpleType").child(union);
        }
        let mut restriction = XsNode::new("restriction");
        // A built-in type has no base; it is only ever referred to by name.
        if let Some(base) = simple.base {
            restriction = match self.simple_reference(base) {
                Some(name) => restriction.name_attr("base", name),
                None => restriction.child(self.simple_type(base)),
            };
        }
        for facet in facets(&simple.facets) {
            restriction = restriction.child(facet);
        }
        XsNode::new("simpleType").child(restriction)
    }
}

impl XsNode {
    /// Puts `name` before the attributes already set, where XSD readers
    /// expect to find it.
    fn attr_first(mut self, name: &'static str, value: String) -> XsNode {
        self.attributes.insert(0, (name, AttrValue::Text(value)));
        self
    }
}

/// The facets of one restriction step, in the order XSD lists them.
fn facets(facets: &Facets) -> Vec<XsNode> {
    let value = |tag: &'static str, value: String| XsNode::new(tag).attr("value", value);
    let mut out = Vec::new();
    for enumeration in &facets.enumeration {
        out.push(value("enumeration", enumeration.lexical.clone()));
    }
    for pattern in &facets.patterns {
        out.push(value("pattern", pattern.source().to_owned()));
    }
    let counts = [
        ("length", facets.length),
        ("minLength", facets.min_length),
        ("maxLength", facets.max_length),
    ];
    for (tag, count) in counts {
        if let Some(count) = count {
            out.push(value(tag, count.to_string()));
        }
    }
    let bounds = [
        ("minInclusive", &facets.min_inclusive),
        ("maxInclusive", &facets.max_inclusive),
        ("minExclusive", &facets.min_exclusive),
        ("maxExclusive", &facets.max_exclusive),
    ];
    for (tag, bound) in bounds {
        if let Some(bound) = bound {
            out.push(value(tag, bound.lexical.clone()));
        }
    }
    let digits = [
        ("totalDigits", facets.total_digits),
        ("fractionDigits", facets.fraction_digits),
    ];
    for (tag, count) in digits {
        if let Some(count) = count {
            out.push(value(tag, count.to_string()));
        }
    }
    if let Some(white_space) = facets.white_space {
        out.push(value("whiteSpace", white_space.name().to_owned()));
    }
    out
}
