//! The names `write` gives: a prefix for each namespace a profile's
//! documents use, preferring the prefixes its schema files declare, and a
//! default namespace when no element must be in no namespace.

use std::collections::HashSet;

use crate::doc::xml;

use crate::profile::xsd::XmlProfile;
use crate::profile::xsd::model::{
    ComplexType, ComplexTypeRef, Content, ElementDecl, ElementRef, Particle, SimpleType, Term,
    TypeRef,
};

/// Puts a compiled set together as a profile, choosing the prefixes `write` uses.
pub(super) fn assemble(
    name: String,
    target_namespace: Option<String>,
    root: ElementRef,
    mut elements: Vec<ElementDecl>,
    mut complex_types: Vec<ComplexType>,
    simple_types: Vec<SimpleType>,
    schema_prefixes: &[(String, String)],
) -> XmlProfile {
    let (element_namespaces, attribute_namespaces, any_unqualified) =
        reachable_namespaces(root, &elements, &complex_types);
    // A default namespace serves elements only, and only when no element
    // must be in no namespace.
    let default_namespace = if any_unqualified {
        None
    } else {
        elements[root.0 as usize].namespace.clone()
    };
    let mut prefixes: Vec<(String, String)> = Vec::new();
    let needs_prefix = element_namespaces
        .iter()
        .filter(|ns| Some(*ns) != default_namespace.as_ref())
        .chain(attribute_namespaces.iter());
    let mut wanted: Vec<&String> = Vec::new();
    for namespace in needs_prefix {
        if !wanted.contains(&namespace) {
            wanted.push(namespace);
        }
    }
    for namespace in wanted {
        let taken =
            |prefix: &str, prefixes: &[(String, String)]| prefixes.iter().any(|(_, p)| p == prefix);
        let declared = schema_prefixes
            .iter()
            .find(|(ns, prefix)| {
                ns == namespace
                    && !prefix.to_ascii_lowercase().starts_with("xml")
                    && !taken(prefix, &prefixes)
            })
            .map(|(_, prefix)| prefix.clone());
        let prefix = declared.unwrap_or_else(|| {
            (1..)
                .map(|i| format!("ns{i}"))
                .find(|candidate| !taken(candidate, &prefixes))
                .unwrap_or_default()
        });
        prefixes.push((namespace.clone(), prefix));
    }
    let prefix_of = |namespace: &Option<String>| -> Option<&str> {
        let namespace = namespace.as_ref()?;
        prefixes
            .iter()
            .find(|(ns, _)| ns == namespace)
            .map(|(_, p)| p.as_str())
    };
    for element in &mut elements {
        let prefixed = element.namespace != default_namespace;
        element.written_name = match prefix_of(&element.namespace) {
            Some(prefix) if prefixed => format!("{prefix}:{}", element.name),
            _ => element.name.clone(),
        };
    }
    for complex in &mut complex_types {
        for attribute in &mut complex.attributes {
            attribute.written_name = match prefix_of(&attribute.namespace) {
                Some(prefix) => format!("{prefix}:{}", attribute.name),
                None => attribute.name.clone(),
            };
        }
    }
    let mut declarations = String::new();
    if let Some(namespace) = &default_namespace {
        declarations.push_str(&format!(" xmlns=\"{}\"", xml::escape(namespace)));
    }
    for (namespace, prefix) in &prefixes {
        declarations.push_str(&format!(" xmlns:{prefix}=\"{}\"", xml::escape(namespace)));
    }
    let globals = global_elements(&elements).collect();
    XmlProfile {
        name,
        target_namespace,
        root,
        elements,
        complex_types,
        simple_types,
        globals,
        declarations,
    }
}

/// The namespaces of the elements and attributes a document can hold, and
/// whether some element is in no namespace.
fn reachable_namespaces(
    root: ElementRef,
    elements: &[ElementDecl],
    complex_types: &[ComplexType],
) -> (Vec<String>, Vec<String>, bool) {
    let mut element_namespaces: Vec<String> = Vec::new();
    let mut attribute_namespaces: Vec<String> = Vec::new();
    let mut any_unqualified = false;
    let mut seen_elements: HashSet<ElementRef> = HashSet::new();
    let mut seen_types: HashSet<ComplexTypeRef> = HashSet::new();
    let mut work = vec![root];
    while let Some(id) = work.pop() {
        if !seen_elements.insert(id) {
            continue;
        }
        let element = &elements[id.0 as usize];
        match &element.namespace {
            Some(namespace) if !element_namespaces.contains(namespace) => {
                element_namespaces.push(namespace.clone());
            }
            Some(_) => {}
            None => any_unqualified = true,
        }
        let TypeRef::Complex(complex) = element.type_ref else {
            continue;
        };
        if !seen_types.insert(complex) {
            continue;
        }
        let complex = &complex_types[complex.0 as usize];
        for attribute in &complex.attributes {
            if let Some(namespace) = &attribute.namespace
                && !attribute_namespaces.contains(namespace)
            {
                attribute_namespaces.push(namespace.clone());
            }
        }
        if let Content::Elements(particle) = &complex.content {
            let mut found = Vec::new();
            if collect_elements(particle, &mut found) {
                // `write` gives what such an `xs:any` takes in no namespace,
                // by a global declaration there or untyped.
                any_unqualified = true;
                found.extend(
                    global_elements(elements)
                        .filter(|id| elements[id.0 as usize].namespace.is_none()),
                );
            }
            // Reversed so that the work list visits children in model order.
            work.extend(found.into_iter().rev());
        }
    }
    (element_namespaces, attribute_namespaces, any_unqualified)
}

fn global_elements(elements: &[ElementDecl]) -> impl Iterator<Item = ElementRef> + '_ {
    elements
        .iter()
        .enumerate()
        .filter(|(_, element)| element.global)
        .filter_map(|(i, _)| u32::try_from(i).ok().map(ElementRef))
}

/// Gathers the element declarations of a content model; whether it has an
/// `xs:any` that `write` may fill (it writes them in no namespace).
fn collect_elements(particle: &Particle, out: &mut Vec<ElementRef>) -> bool {
    match &particle.term {
        Term::Element(id) => {
            out.push(*id);
            false
        }
        Term::Any(wildcard) => wildcard.admits(None),
        Term::Sequence(children) | Term::Choice(children) | Term::All(children) => {
            let mut writes = false;
            for child in children {
                writes |= collect_elements(child, out);
            }
            writes
        }
    }
}
