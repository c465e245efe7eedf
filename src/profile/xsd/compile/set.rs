//! One schema set at a time: global names, element declarations, content
//! models, complex types and attributes. Simple types and facets are in
//! [`facets`](super::facets); named model and attribute groups in
//! [`groups`](super::groups); `xs:complexContent` in
//! [`complex_content`](super::complex_content); the analysis of content
//! models in [`content`](super::content).

use std::collections::{HashMap, HashSet};

use minijinja::Value;

use crate::config::node::Span;
use crate::diag::Diagnostic;
use crate::doc::xml;

use super::content::{Starts, continuations, finish_content, max_count, nesting, particle};
use super::{
    DocInfo, MAX_DERIVATION_DEPTH, MAX_NESTING, Sink, UNSUPPORTED_BUILTINS, check_attributes, form,
    misplaced, schema_set,
};
use crate::profile::xsd::identity::Identity;
use crate::profile::xsd::model::{
    Added, AttributeDecl, ComplexType, ComplexTypeRef, Content, ElementDecl, ElementRef, Extension,
    MaxOccurs, NamespaceConstraint, Particle, ProcessContents, QName, SimpleType, SimpleTypeRef,
    Term, TypeRef, ValueConstraint, Wildcard,
};
use crate::profile::xsd::schema::{Node, NodeAttr, NodeId, SchemaDoc, XSD_NAMESPACE};
use crate::profile::xsd::simple::{
    self, Atom, BuiltIn, DERIVED_BUILTINS, DerivedBuiltIn, EnumValue, Facets, LIST_BUILTINS,
};

/// XSD keeps the names of elements, types, model groups and attribute
/// groups apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Space {
    Element,
    Type,
    Group,
    AttributeGroup,
}

impl Space {
    /// What a global declaration of this space is called in messages.
    pub(super) fn noun(self) -> &'static str {
        match self {
            Space::Element => "global element",
            Space::Type => "type",
            Space::Group => "group",
            Space::AttributeGroup => "attribute group",
        }
    }
}

/// Where a named complex type is in its compilation; `Compiling` twice is a
/// cycle. `Compiling` holds how many anonymous types were open when it
/// began, to tell a cycle through one apart.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Progress {
    Queued,
    Compiling(usize),
    Done,
}

/// A global group compiled on first use: meeting one that is still
/// `Compiling` (with the anonymous types open when it began) is a cycle;
/// `Done(None)` is a group that could not be compiled.
pub(super) enum Built<T> {
    Compiling(usize),
    Done(Option<T>),
}

/// The attributes of a complex type or attribute group as they are
/// gathered, to find duplicates.
#[derive(Clone, Default)]
pub(super) struct AttributeList {
    pub(super) decls: Vec<AttributeDecl>,
    /// How many of `decls`, at the front, the base type declares.
    pub(super) inherited: usize,
    /// The `xs:anyAttribute` of the type, a group it refers to or its base.
    pub(super) wildcard: Option<Wildcard>,
    /// An `xs:anyAttribute` was written here: nothing may follow it.
    pub(super) closed: bool,
}

impl AttributeList {
    /// A list starting with a base type's attributes and wildcard.
    pub(super) fn inherited(
        decls: Vec<AttributeDecl>,
        wildcard: Option<Wildcard>,
    ) -> AttributeList {
        AttributeList {
            inherited: decls.len(),
            decls,
            wildcard,
            closed: false,
        }
    }
}

/// A place in the set's files: member index and node.
pub(super) type Site = (usize, NodeId);

/// Compiles one schema set. Files are named by their index in `members`
/// (the profile's own file is 0), and sites by file and node.
pub(super) struct SetCompiler<'s> {
    pub(super) members: Vec<(&'s SchemaDoc, &'s DocInfo)>,
    /// The members' indices among all files.
    pub(super) files: Vec<usize>,
    /// Global elements and types of every member, by symbol space, namespace and name.
    pub(super) globals: HashMap<(Space, Option<&'s str>, &'s str), Site>,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// An error was reported: the set gives no profile.
    pub(super) failed: bool,

    // The arenas of the profile being built.
    pub(super) elements: Vec<ElementDecl>,
    pub(super) complex_types: Vec<ComplexType>,
    pub(super) simple_types: Vec<SimpleType>,

    // Handles already given out, by where their declaration is.
    pub(super) global_elements: HashMap<Site, ElementRef>,
    pub(super) named_complex: HashMap<Site, (ComplexTypeRef, Progress)>,
    pub(super) complex_sites: HashMap<ComplexTypeRef, Site>,
    /// Complex types whose derivation failed, so that types extending
    /// them do not report the same problem again.
    pub(super) broken_content: HashSet<ComplexTypeRef>,
    /// Global model groups by where they are declared: the model group's term.
    pub(super) groups: HashMap<Site, Built<Term>>,
    /// Global attribute groups by where they are declared, expanded.
    pub(super) attribute_groups: HashMap<Site, Built<AttributeList>>,
    /// Particles copied so far for group references and extensions.
    pub(super) copied_particles: usize,
    /// How many anonymous complex types are being compiled, one inside another.
    pub(super) anonymous_depth: usize,
    /// How many model groups and anonymous types are being compiled, one
    /// inside another.
    pub(super) nesting: usize,
    /// Nesting past [`MAX_NESTING`] was reported.
    pub(super) reported_nesting: bool,
    /// `None` for a simple type that failed to compile.
    pub(super) named_simple: HashMap<Site, Option<SimpleTypeRef>>,
    /// Simple types being compiled: meeting one again is a cycle.
    pub(super) simple_in_progress: HashSet<Site>,
    pub(super) builtins: HashMap<BuiltIn, SimpleTypeRef>,
    pub(super) derived_builtins: HashMap<&'static str, SimpleTypeRef>,
    pub(super) queue: Vec<Pending>,
    /// Elements with a `default` or `fixed` value, checked once every type
    /// is complete (see `settle_element_constraints`).
    pub(super) element_constraints: Vec<(ElementRef, Site)>,
    /// How deep the current chain of derivations and group references is.
    pub(super) derivation_depth: usize,
}

/// A named component whose handle is given out, to be compiled from the work list.
pub(super) enum Pending {
    Element(Site, ElementRef),
    Complex(Site, ComplexTypeRef),
}

/// What a compiled set hands over to become a profile.
pub(super) struct SetParts {
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) elements: Vec<ElementDecl>,
    pub(super) complex_types: Vec<ComplexType>,
    pub(super) simple_types: Vec<SimpleType>,
    /// Namespace → prefix, as the set's files declare them, the profile's own file first.
    pub(super) prefixes: Vec<(String, String)>,
}

impl<'s> SetCompiler<'s> {
    pub(super) fn new(
        docs: &'s [Option<SchemaDoc>],
        infos: &'s [Option<DocInfo>],
        start: usize,
    ) -> Self {
        // Links only ever lead to files that parsed, so no member is lost here.
        let (members, files) = schema_set(start, infos)
            .into_iter()
            .filter_map(|i| Some(((docs[i].as_ref()?, infos[i].as_ref()?), i)))
            .unzip();
        let mut compiler = SetCompiler {
            members,
            files,
            globals: HashMap::new(),
            diagnostics: Vec::new(),
            failed: false,
            elements: Vec::new(),
            complex_types: Vec::new(),
            simple_types: Vec::new(),
            global_elements: HashMap::new(),
            named_complex: HashMap::new(),
            complex_sites: HashMap::new(),
            broken_content: HashSet::new(),
            groups: HashMap::new(),
            attribute_groups: HashMap::new(),
            copied_particles: 0,
            anonymous_depth: 0,
            nesting: 0,
            reported_nesting: false,
            named_simple: HashMap::new(),
            simple_in_progress: HashSet::new(),
            builtins: HashMap::new(),
            derived_builtins: HashMap::new(),
            queue: Vec::new(),
            element_constraints: Vec::new(),
            derivation_depth: 0,
        };
        compiler.collect_globals();
        compiler
    }

    pub(super) fn doc(&self, d: usize) -> &'s SchemaDoc {
        self.members[d].0
    }

    pub(super) fn node(&self, d: usize, n: NodeId) -> &'s Node {
        self.doc(d).node(n)
    }

    pub(super) fn info(&self, d: usize) -> &'s DocInfo {
        self.members[d].1
    }

    pub(super) fn target_namespace(&self, d: usize) -> Option<&'s str> {
        self.info(d).target_namespace.as_deref()
    }

    pub(super) fn error(&mut self, d: usize, span: Span, message: impl Into<String>) {
        self.failed = true;
        let diagnostic = self.doc(d).error(span, message);
        self.diagnostics.push(diagnostic);
    }

    pub(super) fn push(&mut self, diagnostic: Diagnostic) {
        self.failed |= diagnostic.is_error();
        self.diagnostics.push(diagnostic);
    }

    pub(super) fn check_attributes(&mut self, d: usize, node: &Node, allowed: &[&str]) {
        let mut sink = Sink::default();
        check_attributes(self.doc(d), node, allowed, &mut sink);
        for diagnostic in sink.diagnostics {
            self.push(diagnostic);
        }
    }

    pub(super) fn no_text(&mut self, d: usize, node: &Node) {
        if node.has_text {
            self.error(
                d,
                node.span,
                format!("text is not allowed in {}", node.display_name()),
            );
        }
    }

    /// The children of `node` that say something: all but `xs:annotation`.
    pub(super) fn content_children(&self, d: usize, node: &Node) -> Vec<NodeId> {
        node.children
            .iter()
            .copied()
            .filter(|&c| !self.node(d, c).is_xs("annotation"))
            .collect()
    }

    /// The one derivation `node` holds (`xs:restriction` or `xs:extension`);
    /// none is an error saying `needs`, each one more an error of its own.
    pub(super) fn single_derivation(
        &mut self,
        d: usize,
        node: &Node,
        needs: &str,
    ) -> Option<NodeId> {
        let mut derivations = self.content_children(d, node).into_iter();
        let Some(first) = derivations.next() else {
            self.error(
                d,
                node.span,
                format!("{} needs an {needs}", node.display_name()),
            );
            return None;
        };
        for extra in derivations {
            let extra = self.node(d, extra);
            self.error(
                d,
                extra.span,
                format!("{} holds one derivation only", node.display_name()),
            );
        }
        Some(first)
    }

    pub(super) fn collect_globals(&mut self) {
        for d in 0..self.members.len() {
            let doc = self.doc(d);
            let namespace = self.target_namespace(d);
            for &n in &doc.node(0).children {
                let node = doc.node(n);
                let space = if node.is_xs("element") {
                    Space::Element
                } else if node.is_xs("complexType") || node.is_xs("simpleType") {
                    Space::Type
                } else if node.is_xs("group") {
                    Space::Group
                } else if node.is_xs("attributeGroup") {
                    Space::AttributeGroup
                } else {
                    continue;
                };
                let Some(name) = node.attr("name") else {
                    self.error(
                        d,
                        node.span,
                        format!("a global {} needs a name", node.display_name()),
                    );
                    continue;
                };
                if !xml::is_ncname(&name.value) {
                    self.error(
                        d,
                        name.span,
                        format!("`{}` is not a valid name", name.value),
                    );
                    continue;
                }
                let key = (space, namespace, name.value.as_str());
                if let Some(&(first_doc, first_node)) = self.globals.get(&key) {
                    let first = self
                        .doc(first_doc)
                        .file
                        .locate(self.node(first_doc, first_node).span);
                    let diagnostic = doc
                        .error(
                            name.span,
                            format!("duplicate {} `{}`", space.noun(), name.value),
                        )
                        .with_note(format!("first declared at {first}"));
                    self.push(diagnostic);
                    continue;
                }
                self.globals.insert(key, (d, n));
            }
        }
    }

    /// Compiles every global component of the set, reachable or not, so
    /// that mistakes in unused declarations are reported too.
    pub(super) fn compile_everything(&mut self) {
        let globals: Vec<(Space, Site)> = {
            let mut all: Vec<(Space, Site)> = self
                .globals
                .iter()
                .map(|((space, _, _), site)| (*space, *site))
                .collect();
            all.sort_by_key(|(_, site)| *site);
            all
        };
        for (space, (d, n)) in globals {
            let node = self.node(d, n);
            match space {
                Space::Element => {
                    self.global_element(d, n);
                }
                Space::Type if node.is_xs("complexType") => {
                    self.named_complex_type(d, n);
                }
                Space::Type => {
                    self.named_simple_type(d, n);
                }
                Space::Group => {
                    self.group_ready((d, n), None);
                }
                Space::AttributeGroup => {
                    self.attribute_group_ready((d, n), None);
                }
            }
            self.drain_queue();
        }
        self.drain_queue();
    }

    pub(super) fn drain_queue(&mut self) {
        while let Some(pending) = self.queue.pop() {
            match pending {
                Pending::Element((d, n), id) => self.element_declaration(id, d, n),
                Pending::Complex((d, n), id) => {
                    if self.named_complex.get(&(d, n)).map(|(_, p)| *p) == Some(Progress::Queued) {
                        self.build_named_complex((d, n), id);
                    }
                }
            }
        }
    }

    /// What an element declaration says beyond its name and `nillable`:
    /// its type, and (checked later) a `default` or `fixed` value.
    fn element_declaration(&mut self, id: ElementRef, d: usize, n: NodeId) {
        let type_ref = self.element_type(d, n);
        self.elements[id.0 as usize].type_ref = type_ref;
        let node = self.node(d, n);
        if node.attr("default").is_some() || node.attr("fixed").is_some() {
            self.element_constraints.push((id, (d, n)));
        }
    }

    /// Checks each element's `default` or `fixed` value against its simple
    /// type or simple content, now that every type is complete.
    fn settle_element_constraints(&mut self) {
        for (id, (d, n)) in std::mem::take(&mut self.element_constraints) {
            let simple = match self.elements[id.0 as usize].type_ref {
                TypeRef::Simple(simple) => Some(simple),
                // Its type's own error says enough.
                TypeRef::Complex(complex) if self.broken_content.contains(&complex) => continue,
                TypeRef::Complex(complex) => match self.complex_types[complex.0 as usize].content {
                    Content::Simple(simple) => Some(simple),
                    Content::Empty | Content::Elements(_) => None,
                },
            };
            let node = self.node(d, n);
            let Some(simple) = simple else {
                let span = node
                    .attr("default")
                    .or(node.attr("fixed"))
                    .map_or(node.span, |a| a.span);
                self.error(d, span, "a `default` or `fixed` value is for an element of a simple type or with simple content");
                continue;
            };
            let constraint = self.value_constraint(d, node, simple, false, "element");
            self.elements[id.0 as usize].constraint = constraint.flatten();
        }
    }

    pub(super) fn finish(mut self) -> SetParts {
        self.settle_element_constraints();
        let mut prefixes = Vec::new();
        for (doc, _) in &self.members {
            for (prefix, namespace) in &doc.prefixes {
                prefixes.push((namespace.clone(), prefix.clone()));
            }
        }
        SetParts {
            diagnostics: self.diagnostics,
            elements: self.elements,
            complex_types: self.complex_types,
            simple_types: self.simple_types,
            prefixes,
        }
    }

    // --- elements

    pub(super) fn global_element(&mut self, d: usize, n: NodeId) -> ElementRef {
        if let Some(&id) = self.global_elements.get(&(d, n)) {
            return id;
        }
        let node = self.node(d, n);
        for local in ["ref", "minOccurs", "maxOccurs", "form"] {
            if let Some(attr) = node.attr(local) {
                self.error(
                    d,
                    attr.span,
                    format!("`{local}` is not allowed on a global xs:element"),
                );
            }
        }
        self.check_attributes(
            d,
            node,
            &[
                "name",
                "type",
                "id",
                "nillable",
                "default",
                "fixed",
                "ref",
                "minOccurs",
                "maxOccurs",
                "form",
            ],
        );
        let name = node.attr("name").map_or("", |a| a.value.as_str());
        let id = self.new_element(name, self.target_namespace(d), true);
        // Known now, so that content models referring to it see it.
        self.elements[id.0 as usize].nillable = self.nillable(d, n);
        self.global_elements.insert((d, n), id);
        self.queue.push(Pending::Element((d, n), id));
        id
    }

    pub(super) fn new_element(
        &mut self,
        name: &str,
        namespace: Option<&str>,
        global: bool,
    ) -> ElementRef {
        let id = ElementRef(index_u32(self.elements.len()));
        let placeholder = self.builtin(BuiltIn::String);
        self.elements.push(ElementDecl {
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
            type_ref: TypeRef::Simple(placeholder),
            global,
            nillable: false,
            constraint: None,
            key: Value::from(name),
            written_name: name.to_owned(),
        });
        id
    }

    /// An element declaration's `nillable`: whether a document may give it
    /// as `xsi:nil="true"`.
    fn nillable(&mut self, d: usize, n: NodeId) -> bool {
        let Some(attr) = self.node(d, n).attr("nillable") else {
            return false;
        };
        let value = attr.value.trim();
        match simple::parse_lexical(BuiltIn::Boolean, value) {
            Ok(atom) => atom == Atom::Bool(true),
            Err(_) => {
                let message = format!("`{value}` is not a boolean: expected `true` or `false`");
                self.error(d, attr.span, message);
                false
            }
        }
    }

    /// The type of an element declaration: its `type`, or its inline type.
    pub(super) fn element_type(&mut self, d: usize, n: NodeId) -> TypeRef {
        let node = self.node(d, n);
        let name = node.attr("name").map_or("", |a| a.value.as_str());
        let mut inline: Vec<NodeId> = Vec::new();
        for &c in &node.children {
            let child = self.node(d, c);
            if child.is_xs("complexType") || child.is_xs("simpleType") {
                inline.push(c);
            } else if !child.is_xs("annotation") {
                let message = misplaced(child, node);
                self.error(d, child.span, message);
            }
        }
        self.no_text(d, node);
        let fallback = TypeRef::Simple(self.builtin(BuiltIn::String));
        for &extra in inline.iter().skip(1) {
            let extra = self.node(d, extra);
            self.error(
                d,
                extra.span,
                format!("element `{name}` can have only one inline type"),
            );
        }
        match (node.attr("type"), inline.first().copied()) {
            (Some(attr), None) => self.type_by_name(d, attr).unwrap_or(fallback),
            (None, Some(c)) if self.node(d, c).is_xs("complexType") => {
                TypeRef::Complex(self.anonymous_complex_type(d, c))
            }
            (None, Some(c)) => self
                .simple_type(d, c, None)
                .map_or(fallback, TypeRef::Simple),
            (Some(attr), Some(_)) => {
                self.error(
                    d,
                    attr.span,
                    format!("element `{name}` has both a `type` and an inline type"),
                );
                fallback
            }
            (None, None) => {
                self.error(
                    d,
                    node.span,
                    format!("element `{name}` has no type: add type=\"xs:string\" or an inline type (xs:anyType is not supported)"),
                );
                fallback
            }
        }
    }

    /// A local `xs:element` inside a model group; `None` when it can never occur.
    pub(super) fn local_element(&mut self, d: usize, n: NodeId) -> Option<Particle> {
        let node = self.node(d, n);
        let occurs = self.occurs(d, node);
        let id = if let Some(reference) = node.attr("ref") {
            self.check_attributes(d, node, &["ref", "minOccurs", "maxOccurs", "id"]);
            if node
                .children
                .iter()
                .any(|&c| !self.node(d, c).is_xs("annotation"))
            {
                self.error(
                    d,
                    node.span,
                    "an element with `ref` cannot have an inline type",
                );
            }
            self.element_by_name(d, reference)?
        } else {
            self.check_attributes(
                d,
                node,
                &[
                    "name",
                    "type",
                    "minOccurs",
                    "maxOccurs",
                    "form",
                    "id",
                    "nillable",
                    "default",
                    "fixed",
                ],
            );
            let Some(name) = node.attr("name") else {
                self.error(d, node.span, "xs:element needs a `name` or a `ref`");
                return None;
            };
            if !xml::is_ncname(&name.value) {
                self.error(
                    d,
                    name.span,
                    format!("`{}` is not a valid name", name.value),
                );
                return None;
            }
            let qualified = match node.attr("form") {
                Some(attr) => {
                    let mut sink = Sink::default();
                    let form = form(self.doc(d), attr, &mut sink);
                    self.diagnostics_from(sink);
                    form.unwrap_or(false)
                }
                None => self.info(d).elements_qualified,
            };
            let namespace = if qualified {
                self.target_namespace(d)
            } else {
                None
            };
            let id = self.new_element(&name.value, namespace, false);
            self.elements[id.0 as usize].nillable = self.nillable(d, n);
            self.element_declaration(id, d, n);
            id
        };
        let (min, max) = occurs?;
        if max == MaxOccurs::Bounded(0) {
            return None;
        }
        Some(particle(min, max, Term::Element(id)))
    }

    pub(super) fn diagnostics_from(&mut self, sink: Sink) {
        for diagnostic in sink.diagnostics {
            self.push(diagnostic);
        }
    }

    pub(super) fn element_by_name(&mut self, d: usize, attr: &NodeAttr) -> Option<ElementRef> {
        let qname = self.qname(d, attr)?;
        let key = (
            Space::Element,
            qname.namespace.as_deref(),
            qname.local.as_str(),
        );
        match self.globals.get(&key) {
            Some(&(gd, gn)) => Some(self.global_element(gd, gn)),
            None => {
                let hint = self.suggest(Space::Element, d, &qname, attr.value.trim());
                let diagnostic = self
                    .doc(d)
                    .error(
                        attr.span,
                        format!("no global element `{}`", attr.value.trim()),
                    )
                    .with_hint_opt(hint);
                self.push(diagnostic);
                None
            }
        }
    }

    pub(super) fn qname(&mut self, d: usize, attr: &NodeAttr) -> Option<QName> {
        match &attr.qname {
            Some(Ok(qname)) => Some(qname.clone()),
            Some(Err(message)) => {
                self.error(d, attr.span, message.clone());
                None
            }
            None => None,
        }
    }

    /// A hint for a name that resolved to nothing; `written` is the name as written.
    pub(super) fn suggest(
        &self,
        space: Space,
        d: usize,
        wanted: &QName,
        written: &str,
    ) -> Option<String> {
        let prefix_of = |namespace: Option<&str>| {
            self.doc(d)
                .prefixes
                .iter()
                .find(|(_, uri)| Some(uri.as_str()) == namespace)
                .map(|(prefix, _)| prefix.as_str())
        };
        // The same name in another namespace, preferring one this file has a
        // prefix for; sorted, so that the hint does not depend on hashing.
        let mut elsewhere: Vec<Option<&str>> = self
            .globals
            .keys()
            .filter(|(s, namespace, local)| {
                *s == space && *local == wanted.local && *namespace != wanted.namespace.as_deref()
            })
            .map(|(_, namespace, _)| *namespace)
            .collect();
        elsewhere.sort_by_key(|namespace| (prefix_of(*namespace).is_none(), *namespace));
        if let Some(&namespace) = elsewhere.first() {
            let local = &wanted.local;
            return Some(match (namespace, prefix_of(namespace)) {
                (Some(_), Some(prefix)) => format!("did you mean `{prefix}:{local}`?"),
                (Some(namespace), None) => format!(
                    "`{local}` is declared in namespace `{namespace}`: declare a prefix for it and write `prefix:{local}`"
                ),
                (None, _) => format!("`{local}` is declared in no namespace"),
            });
        }
        let prefix = written
            .split_once(':')
            .map(|(prefix, _)| format!("{prefix}:"))
            .unwrap_or_default();
        let close = self
            .globals
            .keys()
            .filter(|(s, namespace, _)| *s == space && *namespace == wanted.namespace.as_deref())
            .map(|(_, _, local)| *local)
            .filter(|local| is_close(local, &wanted.local))
            .min();
        close.map(|local| format!("did you mean `{prefix}{local}`?"))
    }

    /// `minOccurs` and `maxOccurs`; `None` when they are invalid.
    pub(super) fn occurs(&mut self, d: usize, node: &Node) -> Option<(u32, MaxOccurs)> {
        let mut valid = true;
        let mut number = |this: &mut Self, attr: &NodeAttr| match attr.value.trim().parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                this.error(
                    d,
                    attr.span,
                    format!(
                        "`{}` must be a non-negative integer (up to {}), not `{}`",
                        attr.local,
                        u32::MAX,
                        attr.value
                    ),
                );
                valid = false;
                None
            }
        };
        let min = match node.attr("minOccurs") {
            Some(attr) => number(self, attr).unwrap_or(1),
            None => 1,
        };
        let max = match node.attr("maxOccurs") {
            Some(attr) if attr.value.trim() == "unbounded" => MaxOccurs::Unbounded,
            Some(attr) => MaxOccurs::Bounded(number(self, attr).unwrap_or(1)),
            None => MaxOccurs::Bounded(1),
        };
        if !valid {
            return None;
        }
        if let MaxOccurs::Bounded(max) = max
            && max < min
        {
            let span = node.attr("maxOccurs").map_or(node.span, |a| a.span);
            self.error(
                d,
                span,
                format!("maxOccurs ({max}) is less than minOccurs ({min})"),
            );
            return None;
        }
        Some((min, max))
    }

    // --- content models

    /// A model group or a reference to a global one (`xs:group ref`); `top`
    /// when it is the whole content model of a complex type.
    pub(super) fn content_particle(&mut self, d: usize, n: NodeId, top: bool) -> Option<Particle> {
        if self.node(d, n).is_xs("group") {
            self.group_ref(d, n, top)
        } else {
            self.model_group(d, n, top)
        }
    }

    /// `xs:sequence`, `xs:choice` or `xs:all`; `top` when it is the whole
    /// content model of a complex type (the only place `xs:all` may be).
    pub(super) fn model_group(&mut self, d: usize, n: NodeId, top: bool) -> Option<Particle> {
        if !self.enter(d, self.node(d, n).span) {
            return None;
        }
        let particle = self.build_model_group(d, n, top);
        self.nesting -= 1;
        particle
    }

    /// Goes one level deeper into content models and anonymous types;
    /// past [`MAX_NESTING`], which only group references and extensions
    /// can reach, refuses (reported once, at `span`).
    pub(super) fn enter(&mut self, d: usize, span: Span) -> bool {
        if self.nesting < MAX_NESTING {
            self.nesting += 1;
            return true;
        }
        if !self.reported_nesting {
            self.reported_nesting = true;
            self.error(
                d,
                span,
                format!(
                    "content models nest more than {MAX_NESTING} levels deep here, through group references and extensions"
                ),
            );
        }
        false
    }

    /// Reports a content model nesting deeper than [`MAX_NESTING`] once its
    /// groups and base type are filled in; whether it does.
    pub(super) fn too_deep(&mut self, d: usize, node: &Node, particle: &Particle) -> bool {
        if nesting(particle, &self.elements, &self.complex_types) <= MAX_NESTING {
            return false;
        }
        self.error(
            d,
            node.span,
            format!(
                "{} nests more than {MAX_NESTING} levels deep once its group references and base types are filled in",
                node.display_name()
            ),
        );
        true
    }

    fn build_model_group(&mut self, d: usize, n: NodeId, top: bool) -> Option<Particle> {
        let node = self.node(d, n);
        self.check_attributes(d, node, &["minOccurs", "maxOccurs", "id"]);
        self.no_text(d, node);
        let occurs = self.occurs(d, node);
        let is_all = node.is_xs("all");
        if is_all && !top {
            self.error(
                d,
                node.span,
                "xs:all must be the whole content model of a complex type",
            );
        }
        if is_all
            && let Some((min, max)) = occurs
            && (min > 1 || max != MaxOccurs::Bounded(1))
        {
            self.error(
                d,
                node.span,
                "xs:all may occur at most once (minOccurs 0 or 1, maxOccurs 1)",
            );
        }
        let mut particles = Vec::new();
        let reported = self.diagnostics.len();
        for &c in &node.children {
            let child = self.node(d, c);
            if child.is_xs("annotation") {
                continue;
            }
            let particle = if child.is_xs("element") {
                self.local_element(d, c)
            } else if child.is_xs("any") {
                if is_all {
                    self.error(d, child.span, "xs:all may hold only xs:element");
                    None
                } else {
                    self.any_element(d, c)
                }
            } else if is_model_group(child) || child.is_xs("group") {
                if is_all {
                    self.error(d, child.span, "xs:all may hold only xs:element");
                    None
                } else {
                    self.content_particle(d, c, false)
                }
            } else {
                let message = misplaced(child, node);
                self.error(d, child.span, message);
                None
            };
            let Some(particle) = particle else { continue };
            if is_all && !MaxOccurs::Bounded(1).allows(max_count(&particle)) {
                self.error(
                    d,
                    child.span,
                    "an element in xs:all may occur at most once (maxOccurs 0 or 1)",
                );
                continue;
            }
            particles.push(particle);
        }
        let (min, max) = occurs?;
        if max == MaxOccurs::Bounded(0) {
            return None;
        }
        let term = if is_all {
            Term::All(particles)
        } else if node.is_xs("choice") {
            // A choice left empty by its alternatives' errors says nothing new.
            if particles.is_empty() && min > 0 && self.diagnostics.len() == reported {
                self.error(d, node.span, "an empty xs:choice can never be satisfied: give it minOccurs=\"0\" or alternatives");
            }
            self.warn_overlapping_choice(d, node, &particles);
            Term::Choice(particles)
        } else {
            self.warn_overlapping_sequence(d, node, &particles);
            Term::Sequence(particles)
        };
        Some(particle(min, max, term))
    }

    /// XSD's Unique Particle Attribution rule makes content models
    /// deterministic, and the reader relies on it: it gives each element to
    /// the first particle that can take it. Models breaking the rule in the
    /// common ways are errors: XSD calls such schemas invalid, and the
    /// toolkits that read a published WSDL refuse them.
    pub(super) fn warn_overlapping_choice(
        &mut self,
        d: usize,
        node: &Node,
        particles: &[Particle],
    ) {
        for (i, a) in particles.iter().enumerate() {
            for b in &particles[i + 1..] {
                if let Some(name) = self.overlap(&Starts::first_of(a), &Starts::first_of(b)) {
                    self.ambiguous(d, node, &name);
                    return;
                }
            }
        }
    }

    pub(super) fn warn_overlapping_sequence(
        &mut self,
        d: usize,
        node: &Node,
        particles: &[Particle],
    ) {
        for (i, particle) in particles.iter().enumerate() {
            let open = continuations(particle);
            if open.is_empty() {
                continue;
            }
            let mut following = Starts::default();
            for next in &particles[i + 1..] {
                following.add_first(next);
                if !next.nullable {
                    break;
                }
            }
            if let Some(name) = self.overlap(&open, &following) {
                self.ambiguous(d, node, &name);
                return;
            }
        }
    }

    /// An element both `a` and `b` can take, as the message names it:
    /// one they both declare, one a wildcard of either admits, or one of a
    /// namespace two wildcards both admit.
    pub(super) fn overlap(&self, a: &Starts, b: &Starts) -> Option<String> {
        let admitted = |element: &ElementDecl, wildcards: &[Wildcard]| {
            wildcards
                .iter()
                .any(|w| w.admits(element.namespace.as_deref()))
        };
        let named = a.elements.iter().find_map(|x| {
            let x = &self.elements[x.0 as usize];
            let shared = b
                .elements
                .iter()
                .any(|y| self.elements[y.0 as usize].matches(&x.name, x.namespace.as_deref()));
            (shared || admitted(x, &b.wildcards)).then(|| format!("element `{}`", x.name))
        });
        named
            .or_else(|| {
                b.elements.iter().find_map(|y| {
                    let y = &self.elements[y.0 as usize];
                    admitted(y, &a.wildcards).then(|| format!("element `{}`", y.name))
                })
            })
            .or_else(|| {
                a.wildcards.iter().find_map(|x| {
                    b.wildcards
                        .iter()
                        .find_map(|y| x.namespaces.shared(&y.namespaces))
                })
            })
    }

    pub(super) fn ambiguous(&mut self, d: usize, node: &Node, what: &str) {
        let diagnostic = self
            .doc(d)
            .file
            .error(
                node.span,
                format!(
                    "{what} can be matched by two particles of this {}: the content model is ambiguous",
                    node.display_name()
                ),
            )
            .with_hint("XSD requires content models to be unambiguous (Unique Particle Attribution), and tools that read the published WSDL refuse one that is not; make one of the particles a different element, or merge them");
        self.push(diagnostic);
    }

    // --- complex types

    pub(super) fn named_complex_type(&mut self, d: usize, n: NodeId) -> ComplexTypeRef {
        if let Some(&(id, _)) = self.named_complex.get(&(d, n)) {
            return id;
        }
        let id = self.new_complex_type(self.type_name(d, n));
        self.named_complex.insert((d, n), (id, Progress::Queued));
        self.complex_sites.insert(id, (d, n));
        self.queue.push(Pending::Complex((d, n), id));
        id
    }

    pub(super) fn type_name(&self, d: usize, n: NodeId) -> Option<QName> {
        self.node(d, n).attr("name").map(|name| QName {
            namespace: self.target_namespace(d).map(str::to_owned),
            local: name.value.clone(),
        })
    }

    pub(super) fn new_complex_type(&mut self, name: Option<QName>) -> ComplexTypeRef {
        let id = ComplexTypeRef(index_u32(self.complex_types.len()));
        self.complex_types.push(ComplexType {
            name,
            attributes: Vec::new(),
            content: Content::Empty,
            child_keys: Vec::new(),
            slots: 0,
            any_attribute: None,
            mixed: false,
            extension: None,
        });
        id
    }

    pub(super) fn build_named_complex(&mut self, site: Site, id: ComplexTypeRef) {
        self.named_complex
            .insert(site, (id, Progress::Compiling(self.anonymous_depth)));
        self.build_complex(site.0, site.1, id, true);
        self.named_complex.insert(site, (id, Progress::Done));
    }

    pub(super) fn anonymous_complex_type(&mut self, d: usize, n: NodeId) -> ComplexTypeRef {
        let id = self.new_complex_type(None);
        if !self.enter(d, self.node(d, n).span) {
            return id;
        }
        self.anonymous_depth += 1;
        self.build_complex(d, n, id, false);
        self.anonymous_depth -= 1;
        self.nesting -= 1;
        id
    }

    pub(super) fn build_complex(&mut self, d: usize, n: NodeId, id: ComplexTypeRef, named: bool) {
        let node = self.node(d, n);
        let allowed: &[&str] = if named {
            &["name", "id", "mixed"]
        } else {
            &["id", "mixed"]
        };
        self.check_attributes(d, node, allowed);
        self.no_text(d, node);
        let mut mixed = self.boolean_attr(d, node, "mixed");
        let mut content = Content::Empty;
        let mut content_node: Option<&Node> = None;
        let mut attributes = AttributeList::default();
        let mut extension = None;
        let mut seen_attributes = false;
        for &c in &node.children {
            let child = self.node(d, c);
            if child.is_xs("annotation") {
                continue;
            }
            let is_model = is_model_group(child) || child.is_xs("group");
            let is_derivation = child.is_xs("simpleContent") || child.is_xs("complexContent");
            if is_model || is_derivation {
                if content_node.is_some() || seen_attributes {
                    self.error(
                        d,
                        child.span,
                        format!(
                            "{} must come first in xs:complexType, before attributes and only once",
                            child.display_name()
                        ),
                    );
                    continue;
                }
                content_node = Some(child);
                if is_model {
                    if let Some(particle) = self.content_particle(d, c, true) {
                        content = Content::Elements(particle);
                    }
                } else if child.is_xs("complexContent") {
                    mixed |= self.boolean_attr(d, child, "mixed");
                    match self.complex_content(d, c, mixed) {
                        Some((derived, inherited, how)) => {
                            content = derived;
                            attributes = inherited;
                            extension = Some(how);
                        }
                        None => {
                            self.broken_content.insert(id);
                        }
                    }
                } else {
                    match self.simple_content(d, c) {
                        Some((simple, base)) => {
                            content = Content::Simple(simple);
                            if let Some((base, inherited)) = base {
                                let wildcard =
                                    self.complex_types[base.0 as usize].any_attribute.clone();
                                attributes = AttributeList::inherited(inherited, wildcard);
                                extension = Some(Extension {
                                    base,
                                    added: Added::Nothing,
                                });
                            }
                        }
                        None => {
                            self.broken_content.insert(id);
                        }
                    }
                    self.extension_attributes(d, c, &mut attributes);
                }
            } else if is_attribute_use(child) {
                seen_attributes = true;
                if content_node.is_some_and(|n| n.is_xs("complexContent")) {
                    self.error(
                        d,
                        child.span,
                        format!(
                            "{} of a type with xs:complexContent belongs in its xs:extension",
                            child.display_name()
                        ),
                    );
                    continue;
                }
                self.attribute_use(d, c, &mut attributes);
            } else {
                let message = misplaced(child, node);
                self.error(d, child.span, message);
            }
        }
        if let Content::Elements(particle) = &content
            && self.too_deep(d, node, particle)
        {
            content = Content::Empty;
        }
        if mixed && let Some(simple) = content_node.filter(|n| n.is_xs("simpleContent")) {
            self.error(
                d,
                simple.span,
                "`mixed=\"true\"` does not go with xs:simpleContent, whose text is of its simple type",
            );
        }
        let (content, child_keys, slots) = finish_content(content, &self.elements);
        let complex = &mut self.complex_types[id.0 as usize];
        complex.attributes = attributes.decls;
        complex.any_attribute = attributes.wildcard;
        complex.mixed = mixed;
        complex.content = content;
        complex.child_keys = child_keys;
        complex.slots = slots;
        complex.extension = extension;
    }

    /// A boolean attribute of the schema (`true`, `false`, `1`, `0`);
    /// absent or wrong (reported) is false.
    pub(super) fn boolean_attr(&mut self, d: usize, node: &Node, name: &str) -> bool {
        let Some(attr) = node.attr(name) else {
            return false;
        };
        match attr.value.trim() {
            "true" | "1" => true,
            "false" | "0" => false,
            other => {
                let message = format!("`{name}` is true or false, not `{other}`");
                self.error(d, attr.span, message);
                false
            }
        }
    }

    /// An `xs:attribute`, an `xs:attributeGroup` reference or the
    /// `xs:anyAttribute` (which comes last), added to `attributes`.
    pub(super) fn attribute_use(&mut self, d: usize, n: NodeId, attributes: &mut AttributeList) {
        let node = self.node(d, n);
        if attributes.closed {
            let message = format!("{} must come before xs:anyAttribute", node.display_name());
            self.error(d, node.span, message);
            return;
        }
        if node.is_xs("anyAttribute") {
            attributes.closed = true;
            self.check_attributes(d, node, &["namespace", "processContents", "id"]);
            if let Some(wildcard) = self.wildcard(d, node) {
                self.add_wildcard(d, node, attributes, wildcard, None);
            }
        } else if node.is_xs("attributeGroup") {
            self.attribute_group_ref(d, n, attributes);
        } else if let Some(attribute) = self.attribute(d, n) {
            self.add_attribute(d, node, attributes, attribute, None);
        }
    }

    /// `xs:any` in a model group: a particle of its wildcard.
    fn any_element(&mut self, d: usize, n: NodeId) -> Option<Particle> {
        let node = self.node(d, n);
        self.check_attributes(
            d,
            node,
            &[
                "namespace",
                "processContents",
                "minOccurs",
                "maxOccurs",
                "id",
            ],
        );
        let occurs = self.occurs(d, node);
        let wildcard = self.wildcard(d, node)?;
        let (min, max) = occurs?;
        if max == MaxOccurs::Bounded(0) {
            return None;
        }
        Some(particle(min, max, Term::Any(wildcard)))
    }

    /// The wildcard an `xs:any` or `xs:anyAttribute` declares; `None` after an error.
    fn wildcard(&mut self, d: usize, node: &Node) -> Option<Wildcard> {
        self.no_text(d, node);
        if let Some(&c) = self.content_children(d, node).first() {
            let message = misplaced(self.node(d, c), node);
            self.error(d, self.node(d, c).span, message);
        }
        let target = self.target_namespace(d);
        let namespaces = match node.attr("namespace") {
            None => NamespaceConstraint::Any,
            Some(attr) => match attr.value.trim() {
                "##any" => NamespaceConstraint::Any,
                "##other" => NamespaceConstraint::Other(target.map(str::to_owned)),
                list => {
                    let mut listed = Vec::new();
                    for token in list.split_ascii_whitespace() {
                        let namespace = match token {
                            "##local" => None,
                            "##targetNamespace" => target.map(str::to_owned),
                            "##any" | "##other" => {
                                let message =
                                    format!("`{token}` stands alone in `namespace`, not in a list");
                                self.error(d, attr.span, message);
                                return None;
                            }
                            keyword if keyword.starts_with("##") => {
                                let message = format!(
                                    "`{keyword}` is not a namespace keyword: `namespace` takes ##any, ##other, or a list of URIs, ##targetNamespace and ##local"
                                );
                                self.error(d, attr.span, message);
                                return None;
                            }
                            uri => Some(uri.to_owned()),
                        };
                        if !listed.contains(&namespace) {
                            listed.push(namespace);
                        }
                    }
                    NamespaceConstraint::Listed(listed)
                }
            },
        };
        let process = match node.attr("processContents") {
            None => ProcessContents::Strict,
            Some(attr) => match attr.value.trim() {
                "strict" => ProcessContents::Strict,
                "lax" => ProcessContents::Lax,
                "skip" => ProcessContents::Skip,
                other => {
                    let message =
                        format!("`processContents` is strict, lax or skip, not `{other}`");
                    self.error(d, attr.span, message);
                    return None;
                }
            },
        };
        Some(Wildcard {
            namespaces,
            process,
        })
    }

    /// Gives `attributes` its wildcard. Wildcards are not combined: the
    /// same one again (through an attribute group, or from the base type)
    /// adds nothing, a different one is an error. `group` names the
    /// attribute group it comes from, for the message.
    pub(super) fn add_wildcard(
        &mut self,
        d: usize,
        node: &Node,
        attributes: &mut AttributeList,
        wildcard: Wildcard,
        group: Option<&str>,
    ) {
        let Some(existing) = &attributes.wildcard else {
            attributes.wildcard = Some(wildcard);
            return;
        };
        if *existing == wildcard {
            return;
        }
        let from = group.map_or_else(String::new, |g| format!(" (from attribute group `{g}`)"));
        let message = format!(
            "a second xs:anyAttribute{from}, different from the first (namespace `{}`, processContents `{}`): combining two is not supported, give the type one",
            existing.namespaces,
            existing.process.keyword()
        );
        self.error(d, node.span, message);
    }

    /// Adds an attribute unless one of its name is there already. `group`
    /// names the attribute group it comes from, for the message.
    pub(super) fn add_attribute(
        &mut self,
        d: usize,
        node: &Node,
        attributes: &mut AttributeList,
        attribute: AttributeDecl,
        group: Option<&str>,
    ) {
        let duplicate = attributes
            .decls
            .iter()
            .position(|a| a.name == attribute.name && a.namespace == attribute.namespace);
        let Some(index) = duplicate else {
            attributes.decls.push(attribute);
            return;
        };
        let mut message = if index < attributes.inherited {
            format!(
                "attribute `{}` is declared by the base type already",
                attribute.name
            )
        } else {
            format!("duplicate attribute `{}`", attribute.name)
        };
        if let Some(group) = group {
            message.push_str(&format!(" (from attribute group `{group}`)"));
        }
        self.error(d, node.span, message);
    }

    /// The one `xs:extension` of an `xs:simpleContent` or
    /// `xs:complexContent` at `n`, and its `base`; `None` after an error.
    /// An `xs:restriction` there is refused with `restriction`.
    pub(super) fn extension(
        &mut self,
        d: usize,
        n: NodeId,
        restriction: &str,
    ) -> Option<(&'s Node, &'s NodeAttr)> {
        let node = self.node(d, n);
        let allowed: &[&str] = if node.is_xs("complexContent") {
            &["id", "mixed"]
        } else {
            &["id"]
        };
        self.check_attributes(d, node, allowed);
        self.no_text(d, node);
        let c = self.single_derivation(d, node, "xs:extension")?;
        let extension = self.node(d, c);
        if extension.is_xs("restriction") {
            self.error(d, extension.span, restriction);
            return None;
        }
        if !extension.is_xs("extension") {
            let message = misplaced(extension, node);
            self.error(d, extension.span, message);
            return None;
        }
        self.check_attributes(d, extension, &["base", "id"]);
        self.no_text(d, extension);
        let Some(base) = extension.attr("base") else {
            self.error(d, extension.span, "xs:extension needs a `base` type");
            return None;
        };
        Some((extension, base))
    }

    /// `xs:simpleContent` with `xs:extension`: the text's type, and a
    /// complex base type with the attributes inherited from it.
    pub(super) fn simple_content(
        &mut self,
        d: usize,
        n: NodeId,
    ) -> Option<(SimpleTypeRef, Option<ComplexBase>)> {
        let (_, base) = self.extension(
            d,
            n,
            "xs:simpleContent with xs:restriction is not supported: use xs:extension of a simple type",
        )?;
        match self.type_by_name(d, base)? {
            TypeRef::Simple(simple) => Some((simple, None)),
            TypeRef::Complex(complex) => {
                self.complete_complex(d, base, complex)?;
                if self.broken_content.contains(&complex) {
                    return None;
                }
                let base_type = &self.complex_types[complex.0 as usize];
                match base_type.content {
                    Content::Simple(simple) => {
                        let inherited = base_type.attributes.clone();
                        Some((simple, Some((complex, inherited))))
                    }
                    _ => {
                        self.error(
                            d,
                            base.span,
                            "xs:simpleContent must extend a simple type or a complex type with simple content",
                        );
                        None
                    }
                }
            }
        }
    }

    /// The attributes an `xs:extension` inside `xs:simpleContent` adds.
    pub(super) fn extension_attributes(
        &mut self,
        d: usize,
        n: NodeId,
        attributes: &mut AttributeList,
    ) {
        let node = self.node(d, n);
        let Some(extension) = node
            .children
            .iter()
            .map(|&c| (c, self.node(d, c)))
            .find(|(_, c)| c.is_xs("extension"))
        else {
            return;
        };
        for &c in &extension.1.children {
            let child = self.node(d, c);
            if child.is_xs("annotation") {
                continue;
            }
            if is_attribute_use(child) {
                self.attribute_use(d, c, attributes);
            } else {
                let message = misplaced(child, extension.1);
                self.error(d, child.span, message);
            }
        }
    }

    /// Makes sure a named complex type used as a base is compiled now.
    pub(super) fn complete_complex(
        &mut self,
        d: usize,
        at: &NodeAttr,
        id: ComplexTypeRef,
    ) -> Option<()> {
        let site = self
            .complex_sites
            .get(&id)
            .and_then(|site| Some((*site, self.named_complex.get(site)?.1)));
        match site {
            Some((site, Progress::Queued)) => {
                if self.derivation_depth >= MAX_DERIVATION_DEPTH {
                    self.error(
                        d,
                        at.span,
                        format!(
                            "type derivations are nested more than {MAX_DERIVATION_DEPTH} deep"
                        ),
                    );
                    return None;
                }
                self.derivation_depth += 1;
                self.build_named_complex(site, id);
                self.derivation_depth -= 1;
                Some(())
            }
            Some((_, Progress::Compiling(since))) => {
                let mut message = format!("`{}` is derived from itself", at.value.trim());
                if self.anonymous_depth > since {
                    message.push_str(
                        ", through the anonymous type of an element inside it: give that type a name",
                    );
                }
                self.error(d, at.span, message);
                None
            }
            _ => Some(()),
        }
    }

    pub(super) fn attribute(&mut self, d: usize, n: NodeId) -> Option<AttributeDecl> {
        let node = self.node(d, n);
        if node.attr("ref").is_some() {
            self.error(
                d,
                node.span,
                "attribute references (`ref`) are not supported: declare the attribute here",
            );
            return None;
        }
        self.check_attributes(
            d,
            node,
            &["name", "type", "use", "form", "id", "default", "fixed"],
        );
        self.no_text(d, node);
        let Some(name) = node.attr("name") else {
            self.error(d, node.span, "xs:attribute needs a `name`");
            return None;
        };
        if !xml::is_ncname(&name.value) || name.value == "xmlns" {
            self.error(
                d,
                name.span,
                format!("`{}` is not a valid attribute name", name.value),
            );
            return None;
        }
        let required = match node.attr("use") {
            None => false,
            Some(attr) => match attr.value.trim() {
                "optional" => false,
                "required" => true,
                "prohibited" => {
                    self.error(d, attr.span, "use=\"prohibited\" is not supported");
                    return None;
                }
                other => {
                    self.error(
                        d,
                        attr.span,
                        format!("`{other}` is not a use: expected `optional` or `required`"),
                    );
                    return None;
                }
            },
        };
        let qualified = match node.attr("form") {
            Some(attr) => {
                let mut sink = Sink::default();
                let form = form(self.doc(d), attr, &mut sink);
                self.diagnostics_from(sink);
                form.unwrap_or(false)
            }
            None => self.info(d).attributes_qualified,
        };
        let namespace = if qualified {
            self.target_namespace(d)
        } else {
            None
        };
        let inline = self.content_children(d, node);
        let type_ref = match (node.attr("type"), inline.as_slice()) {
            (Some(attr), []) => match self.type_by_name(d, attr)? {
                TypeRef::Simple(simple) => simple,
                TypeRef::Complex(_) => {
                    self.error(
                        d,
                        attr.span,
                        format!("attribute `{}` needs a simple type", name.value),
                    );
                    return None;
                }
            },
            (None, [c]) if self.node(d, *c).is_xs("simpleType") => self.simple_type(d, *c, None)?,
            (None, []) => {
                self.error(
                    d,
                    node.span,
                    format!(
                        "attribute `{}` has no type: add type=\"xs:string\"",
                        name.value
                    ),
                );
                return None;
            }
            (_, [first, ..]) => {
                let child = self.node(d, *first);
                let message = if child.is_xs("simpleType") {
                    format!(
                        "attribute `{}` has both a `type` and an inline type",
                        name.value
                    )
                } else {
                    misplaced(child, node)
                };
                self.error(d, child.span, message);
                return None;
            }
        };
        let constraint = self.value_constraint(d, node, type_ref, required, "attribute")?;
        Some(AttributeDecl {
            name: name.value.clone(),
            namespace: namespace.map(str::to_owned),
            required,
            type_ref,
            key: Value::from(format!("@{}", name.value)),
            written_name: name.value.clone(),
            groups: Vec::new(),
            constraint,
        })
    }

    /// The `default` or `fixed` of an attribute or element (`what`),
    /// checked against its simple type. `None` when the declaration is
    /// wrong (diagnosed here).
    fn value_constraint(
        &mut self,
        d: usize,
        node: &Node,
        type_ref: SimpleTypeRef,
        required: bool,
        what: &str,
    ) -> Option<Option<ValueConstraint>> {
        let (attr, fixed) = match (node.attr("default"), node.attr("fixed")) {
            (None, None) => return Some(None),
            (Some(_), Some(fixed)) => {
                self.error(
                    d,
                    fixed.span,
                    format!("an {what} has a `default` or a `fixed` value, not both"),
                );
                return None;
            }
            (Some(default), None) => (default, false),
            (None, Some(fixed)) => (fixed, true),
        };
        if required && !fixed {
            let message =
                "an attribute with a `default` is optional: drop use=\"required\" or the default";
            self.error(d, attr.span, message);
            return None;
        }
        if self.simple_types[type_ref.0 as usize].identity != Identity::None {
            self.error(
                d,
                attr.span,
                format!("an xs:ID or xs:IDREF {what} cannot have a `default` or `fixed` value"),
            );
            return None;
        }
        if self.simple_types[type_ref.0 as usize].item.is_some() {
            self.error(
                d,
                attr.span,
                format!("a `default` or `fixed` value on a list-typed {what} is not supported"),
            );
            return None;
        }
        match simple::check(&self.simple_types, type_ref, &attr.value) {
            Ok((text, atom)) => Some(Some(ValueConstraint {
                fixed,
                lexical: attr.value.clone(),
                value: EnumValue {
                    lexical: text.into_owned(),
                    atom,
                },
            })),
            Err(problem) => {
                let keyword = if fixed { "fixed" } else { "default" };
                self.error(
                    d,
                    attr.span,
                    format!("the {keyword} value does not fit the {what}'s type: {problem}"),
                );
                None
            }
        }
    }

    // --- types by name

    pub(super) fn type_by_name(&mut self, d: usize, attr: &NodeAttr) -> Option<TypeRef> {
        let qname = self.qname(d, attr)?;
        self.type_by_qname(d, &qname, attr.value.trim(), attr.span)
    }

    /// The type named `qname`, written `written` at `span`.
    pub(super) fn type_by_qname(
        &mut self,
        d: usize,
        qname: &QName,
        written: &str,
        span: Span,
    ) -> Option<TypeRef> {
        if qname.namespace.as_deref() == Some(XSD_NAMESPACE) {
            if let Some(builtin) = BuiltIn::from_name(&qname.local) {
                return Some(TypeRef::Simple(self.builtin(builtin)));
            }
            if let Some(derived) = DerivedBuiltIn::by_name(&qname.local) {
                return Some(TypeRef::Simple(self.derived_builtin(derived)));
            }
            if let Some(list) = LIST_BUILTINS.iter().find(|(name, _)| *name == qname.local) {
                return Some(TypeRef::Simple(self.list_builtin(list)));
            }
            let supported: Vec<&str> = BuiltIn::ALL
                .iter()
                .map(|b| b.name())
                .chain(DERIVED_BUILTINS.iter().map(|d| d.name))
                .chain(LIST_BUILTINS.iter().map(|(name, _)| *name))
                .collect();
            let message = if UNSUPPORTED_BUILTINS.contains(&qname.local.as_str()) {
                format!("the built-in type `{}` is not supported", written)
            } else {
                format!("unknown built-in type `{}`", written)
            };
            let close = supported
                .iter()
                .find(|name| is_close(name, &qname.local))
                .map(|name| format!("did you mean `{name}`? "))
                .unwrap_or_default();
            let diagnostic = self.doc(d).error(span, message).with_hint(format!(
                "{close}the supported built-in types are {}",
                supported.join(", ")
            ));
            self.push(diagnostic);
            return None;
        }
        let key = (
            Space::Type,
            qname.namespace.as_deref(),
            qname.local.as_str(),
        );
        let Some(&(td, tn)) = self.globals.get(&key) else {
            let hint = self.suggest(Space::Type, d, qname, written);
            let diagnostic = self
                .doc(d)
                .error(span, format!("unknown type `{}`", written))
                .with_hint_opt(hint);
            self.push(diagnostic);
            return None;
        };
        if self.node(td, tn).is_xs("complexType") {
            Some(TypeRef::Complex(self.named_complex_type(td, tn)))
        } else {
            self.named_simple_type(td, tn).map(TypeRef::Simple)
        }
    }

    pub(super) fn builtin(&mut self, builtin: BuiltIn) -> SimpleTypeRef {
        if let Some(&id) = self.builtins.get(&builtin) {
            return id;
        }
        let id = SimpleTypeRef(index_u32(self.simple_types.len()));
        self.simple_types.push(SimpleType::of_builtin(builtin));
        self.builtins.insert(builtin, id);
        id
    }

    /// A built-in list type: a named restriction, by `minLength 1`, of a
    /// list of its item type.
    fn list_builtin(&mut self, &(name, item): &(&'static str, &'static str)) -> SimpleTypeRef {
        if let Some(&id) = self.derived_builtins.get(name) {
            return id;
        }
        let item = match DerivedBuiltIn::by_name(item) {
            Some(derived) => self.derived_builtin(derived),
            None => self.builtin(BuiltIn::String),
        };
        let list = self.new_list(None, item);
        let facets = Facets {
            min_length: Some(1),
            ..Facets::default()
        };
        let name_q = QName {
            namespace: Some(XSD_NAMESPACE.to_owned()),
            local: name.to_owned(),
        };
        let id = self.restriction(Some(name_q), list, facets);
        self.derived_builtins.insert(name, id);
        id
    }

    /// A derived built-in type: a named restriction of its base.
    fn derived_builtin(&mut self, derived: &'static DerivedBuiltIn) -> SimpleTypeRef {
        if let Some(&id) = self.derived_builtins.get(derived.name) {
            return id;
        }
        let base = self.builtin(derived.base);
        let name = QName {
            namespace: Some(XSD_NAMESPACE.to_owned()),
            local: derived.name.to_owned(),
        };
        let id = self.restriction(Some(name), base, derived.facets());
        self.simple_types[id.0 as usize].identity = derived.identity;
        self.derived_builtins.insert(derived.name, id);
        id
    }
}

/// The complex type a simple-content extension extends, and the
/// attributes the derived type inherits from it.
pub(super) type ComplexBase = (ComplexTypeRef, Vec<AttributeDecl>);

/// `xs:sequence`, `xs:choice` or `xs:all`.
pub(super) fn is_model_group(node: &Node) -> bool {
    node.is_xs("sequence") || node.is_xs("choice") || node.is_xs("all")
}

/// What may stand among the attributes of a type, an extension or an
/// attribute group.
pub(super) fn is_attribute_use(node: &Node) -> bool {
    node.is_xs("attribute") || node.is_xs("attributeGroup") || node.is_xs("anyAttribute")
}

/// Close enough to be a typo: a third of the letters wrong at most.
pub(super) fn is_close(candidate: &str, written: &str) -> bool {
    strsim::levenshtein(candidate, written) <= (written.chars().count() / 3).max(1)
}

pub(super) fn index_u32(index: usize) -> u32 {
    // Arenas are bounded by the size of the schema files, far below 2^32.
    u32::try_from(index).unwrap_or(u32::MAX)
}
