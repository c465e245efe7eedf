//! A profile's outline as text: what `flowgate check` can show and what
//! the golden tests compare.
//!
//! One line per declaration, indented by nesting. A named complex type, or
//! a global element, is spelled out where it is first used and referred to
//! afterwards, so recursive types print finitely.
//!
//! ```text
//! element Order {urn:example:order}: OrderType
//!   @id: xs:int, required
//!   sequence
//!     element Line [1..unbounded]: (xs:string; maxLength 10)
//! ```

use std::collections::HashSet;
use std::fmt::{self, Write as _};

use super::XmlProfile;
use super::model::{
    ComplexTypeRef, Content, ElementRef, MaxOccurs, Particle, SimpleTypeRef, Term, TypeRef,
};

/// What has been spelled out already.
#[derive(Default)]
struct Shown {
    types: HashSet<ComplexTypeRef>,
    elements: HashSet<ElementRef>,
}
use super::simple::Facets;

impl fmt::Display for XmlProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let _ = writeln!(out, "profile {}", self.name);
        if let Some(namespace) = &self.target_namespace {
            let _ = writeln!(out, "target namespace {namespace}");
        }
        if !self.declarations.is_empty() {
            let _ = writeln!(out, "written with{}", self.declarations);
        }
        self.render_element(&mut out, self.root, None, None, 0, &mut Shown::default());
        f.write_str(&out)
    }
}

impl XmlProfile {
    fn render_element(
        &self,
        out: &mut String,
        id: ElementRef,
        occurs: Option<(u32, MaxOccurs)>,
        parent: Option<ElementRef>,
        depth: usize,
        shown: &mut Shown,
    ) {
        let element = self.element(id);
        indent(out, depth);
        out.push_str("element ");
        out.push_str(&element.written_name);
        // The namespace where it changes: `{}` is no namespace.
        let parent_namespace = match parent {
            Some(parent) => self.element(parent).namespace.as_deref(),
            None => None,
        };
        if parent_namespace != element.namespace.as_deref() {
            let _ = write!(out, " {{{}}}", element.namespace.as_deref().unwrap_or(""));
        }
        if let Some((min, max)) = occurs
            && (min, max) != (1, MaxOccurs::Bounded(1))
        {
            let _ = write!(out, " [{min}..{max}]");
        }
        if element.nillable {
            out.push_str(" nillable");
        }
        if let Some(constraint) = &element.constraint {
            let _ = write!(out, " {} {:?}", constraint.keyword(), constraint.lexical);
        }
        out.push_str(": ");
        match element.type_ref {
            TypeRef::Simple(simple) => {
                out.push_str(&self.describe_simple(simple));
                out.push('\n');
            }
            TypeRef::Complex(_) if element.global && !shown.elements.insert(id) => {
                out.push_str("(as above)\n");
            }
            TypeRef::Complex(complex) => self.render_complex(out, id, complex, depth, shown),
        }
    }

    fn render_complex(
        &self,
        out: &mut String,
        element: ElementRef,
        id: ComplexTypeRef,
        depth: usize,
        shown: &mut Shown,
    ) {
        let complex = self.complex_type(id);
        match complex.name() {
            Some(name) if !shown.types.insert(id) => {
                let _ = writeln!(out, "{} (as above)", name.local);
                return;
            }
            Some(name) => {
                let _ = write!(out, "{}", name.local);
                out.push_str(if complex.mixed { " (mixed)\n" } else { "\n" });
            }
            None if complex.mixed => out.push_str("complex type (mixed)\n"),
            None => out.push_str("complex type\n"),
        }
        for attribute in complex.attributes() {
            indent(out, depth + 1);
            let _ = writeln!(
                out,
                "@{}{}: {}{}",
                attribute.written_name,
                attribute
                    .namespace
                    .as_deref()
                    .map(|ns| format!(" {{{ns}}}"))
                    .unwrap_or_default(),
                self.describe_simple(attribute.type_ref),
                if attribute.required { ", required" } else { "" }
            );
            if let Some(constraint) = &attribute.constraint {
                // Before the line's end.
                out.pop();
                let _ = writeln!(out, ", {} {:?}", constraint.keyword(), constraint.lexical);
            }
        }
        if let Some(wildcard) = complex.any_attribute() {
            indent(out, depth + 1);
            let _ = writeln!(
                out,
                "@*: xs:anyAttribute, namespace {}, {}",
                wildcard.namespaces(),
                wildcard.process().keyword()
            );
        }
        match complex.content() {
            Content::Empty => {}
            Content::Simple(simple) => {
                indent(out, depth + 1);
                let _ = writeln!(out, "text: {}", self.describe_simple(*simple));
            }
            Content::Elements(particle) => {
                self.render_particle(out, particle, element, depth + 1, shown);
            }
        }
    }

    fn render_particle(
        &self,
        out: &mut String,
        particle: &Particle,
        parent: ElementRef,
        depth: usize,
        shown: &mut Shown,
    ) {
        let occurs = (particle.min_occurs, particle.max_occurs);
        let (keyword, children) = match &particle.term {
            Term::Element(id) => {
                self.render_element(out, *id, Some(occurs), Some(parent), depth, shown);
                return;
            }
            Term::Any(wildcard) => {
                indent(out, depth);
                let _ = write!(
                    out,
                    "* xs:any, namespace {}, {}",
                    wildcard.namespaces(),
                    wildcard.process().keyword()
                );
                if occurs != (1, MaxOccurs::Bounded(1)) {
                    let _ = write!(out, " [{}..{}]", occurs.0, occurs.1);
                }
                out.push('\n');
                return;
            }
            Term::Sequence(children) => ("sequence", children),
            Term::Choice(children) => ("choice", children),
            Term::All(children) => ("all", children),
        };
        indent(out, depth);
        out.push_str(keyword);
        if occurs != (1, MaxOccurs::Bounded(1)) {
            let _ = write!(out, " [{}..{}]", occurs.0, occurs.1);
        }
        out.push('\n');
        for child in children {
            self.render_particle(out, child, parent, depth + 1, shown);
        }
    }

    /// `xs:int`, `Quantity (xs:int; minInclusive 1)`, or `(xs:string; maxLength 3)`.
    pub(crate) fn describe_simple(&self, id: SimpleTypeRef) -> String {
        let simple = self.simple_type(id);
        let Some(base) = simple.base else {
            if let Some(item) = simple.item {
                let name = simple
                    .name
                    .as_ref()
                    .map(|n| format!("{} ", n.local))
                    .unwrap_or_default();
                return format!("{name}xs:list({})", self.describe_simple(item));
            }
            if simple.members.is_empty() {
                return format!("xs:{}", simple.builtin.name());
            }
            let members: Vec<String> = simple
                .members
                .iter()
                .map(|m| self.describe_simple(*m))
                .collect();
            let name = simple
                .name
                .as_ref()
                .map(|n| format!("{} ", n.local))
                .unwrap_or_default();
            return format!("{name}xs:union({})", members.join(" | "));
        };
        let mut out = String::new();
        if let Some(name) = &simple.name {
            out.push_str(&name.local);
            out.push(' ');
        }
        let _ = write!(out, "({}", self.describe_simple(base));
        describe_facets(&mut out, &simple.facets);
        out.push(')');
        out
    }
}

fn describe_facets(out: &mut String, facets: &Facets) {
    if !facets.enumeration.is_empty() {
        out.push_str("; enumeration ");
        for (i, value) in facets.enumeration.iter().enumerate() {
            if i > 0 {
                out.push_str(" | ");
            }
            let _ = write!(out, "{:?}", value.lexical);
        }
    }
    for pattern in &facets.patterns {
        let _ = write!(out, "; pattern {:?}", pattern.source());
    }
    let counts = [
        ("length", facets.length),
        ("minLength", facets.min_length),
        ("maxLength", facets.max_length),
        ("totalDigits", facets.total_digits.map(u64::from)),
        ("fractionDigits", facets.fraction_digits.map(u64::from)),
    ];
    for (name, value) in counts {
        if let Some(value) = value {
            let _ = write!(out, "; {name} {value}");
        }
    }
    let bounds = [
        ("minInclusive", &facets.min_inclusive),
        ("minExclusive", &facets.min_exclusive),
        ("maxInclusive", &facets.max_inclusive),
        ("maxExclusive", &facets.max_exclusive),
    ];
    for (name, bound) in bounds {
        if let Some(bound) = bound {
            let _ = write!(out, "; {name} {}", bound.lexical);
        }
    }
    if let Some(whitespace) = facets.white_space {
        let _ = write!(out, "; whiteSpace {}", whitespace.name());
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}
