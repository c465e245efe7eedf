//! Schema files → profiles: file links, name resolution, the supported
//! subset, and the bookkeeping the reader and writer need.
//!
//! Each `.xsd` file is a profile together with the files it reaches by
//! `xs:include` and `xs:import` (its schema set); its document element is
//! the first global `xs:element` of the file itself. A file reached from
//! several profiles is compiled with each, and duplicate diagnostics are
//! folded. Every construct outside SPEC §7's subset is a diagnostic at its
//! line; compilation goes on after an error so that one run reports them
//! all, and a profile whose set has an error is not returned.
//!
//! Named components may refer to each other in cycles (a `Part` type
//! holding `Part` elements), so complex types and global elements get
//! their handle first and are compiled from a work list. What a component
//! is made from (the base type it derives from, the model and attribute
//! groups it refers to) is compiled when first needed, so meeting it again
//! while it is compiled is a cycle, which XSD forbids. Nothing here
//! recurses deeper than a chain of derivations and group references
//! (bounded by [`MAX_DERIVATION_DEPTH`]) or nested content models and
//! anonymous types (bounded by [`MAX_NESTING`], also for the content they
//! fill in).
//!
//! This file handles files and their links; `set` compiles one schema set
//! (elements, content models, complex types, attributes), `facets` its
//! simple types, `groups` its named model and attribute groups,
//! `complex_content` types derived by `xs:complexContent`, `content`
//! analyses content models for the reader, and `names` picks the prefixes
//! `write` uses.

mod complex_content;
mod content;
mod facets;
mod groups;
mod names;
mod set;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::config::node::Span;
use crate::diag::{Diagnostic, Diagnostics, SourceFile};

use super::XmlProfile;
use super::schema::{Node, NodeAttr, SchemaDoc, XSD_NAMESPACE};
use names::assemble;
use set::SetCompiler;

/// Longest chain of simple types restricting each other, of complex types
/// extending each other, or of group references accepted.
const MAX_DERIVATION_DEPTH: usize = 64;

/// Deepest nesting of particles and anonymous types accepted, in a content
/// model and while compiling one: about what one schema file can hold
/// (the schema reader stops at 256 elements), so that only group
/// references and extensions, which fill in content written elsewhere,
/// can reach it. The reader, the writer and the generators walk content
/// models recursively; this keeps them within their stack.
const MAX_NESTING: usize = 256;

/// XSD constructs that exist but are outside the supported subset: named
/// in their diagnostic as "not supported" rather than "not allowed here".
const UNSUPPORTED: [&str; 12] = [
    "redefine",
    "override",
    "key",
    "keyref",
    "unique",
    "notation",
    "assert",
    "assertion",
    "alternative",
    "openContent",
    "defaultOpenContent",
    "explicitTimezone",
];

/// Built-in types of XML Schema outside the supported subset.
const UNSUPPORTED_BUILTINS: [&str; 6] = [
    "anyType",
    "anySimpleType",
    "ENTITY",
    "ENTITIES",
    "QName",
    "NOTATION",
];

pub(crate) fn compile(files: &[Arc<SourceFile>]) -> (Vec<(String, Arc<XmlProfile>)>, Diagnostics) {
    let mut sink = Sink::default();
    let docs: Vec<Option<SchemaDoc>> = files
        .iter()
        .map(|file| match SchemaDoc::parse(file) {
            Ok(doc) => match doc.nodes.first() {
                Some(root) if root.is_xs("schema") => Some(doc),
                Some(root) => {
                    sink.push(doc.error(
                        root.span,
                        format!(
                            "the document element of an XML profile must be xs:schema, not {}",
                            root.display_name()
                        ),
                    ));
                    None
                }
                None => None,
            },
            Err(diagnostic) => {
                sink.push(*diagnostic);
                None
            }
        })
        .collect();

    let mut infos: Vec<Option<DocInfo>> = docs
        .iter()
        .map(|doc| doc.as_ref().map(|doc| DocInfo::read(doc, &mut sink)))
        .collect();
    let by_path: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, file)| (file.path.as_str(), i))
        .collect();
    for (i, doc) in docs.iter().enumerate() {
        if let Some(doc) = doc {
            let links = read_links(doc, i, &docs, &infos, &by_path, &mut sink);
            if let Some(info) = &mut infos[i] {
                info.links = links;
            }
        }
    }

    // Errors found so far concern single files; a profile is only as good
    // as every file of its set.
    let file_failed: Vec<bool> = files
        .iter()
        .map(|file| {
            sink.diagnostics
                .iter()
                .any(|d| d.is_error() && d.location.as_ref().is_some_and(|l| l.file == file.path))
        })
        .collect();

    let mut profiles: Vec<(String, Arc<XmlProfile>)> = Vec::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    for (i, doc) in docs.iter().enumerate() {
        let Some(doc) = doc else { continue };
        let schema = doc.node(0);
        let root_node = schema
            .children
            .iter()
            .copied()
            .find(|&child| doc.node(child).is_xs("element"));
        let name = profile_name(&doc.file.path);
        if root_node.is_none() {
            sink.push(doc.file.warning(
                schema.span,
                format!(
                    "{} declares no global xs:element, so it is not a profile; other profiles can still include or import it",
                    doc.file.path
                ),
            ));
        } else if let Some(&first) = names.get(&name) {
            sink.push(
                doc.error(
                    Span::point(0),
                    format!("the profile name `{name}` is taken twice"),
                )
                .with_note(format!("{} has the same file name", files[first].path)),
            );
        } else {
            names.insert(name.clone(), i);
        }

        let mut set = SetCompiler::new(&docs, &infos, i);
        // The profile's own file is the set's first member.
        let root = root_node.map(|node| set.global_element(0, node));
        set.compile_everything();
        let failed = set.failed || set.files.iter().any(|&f| file_failed[f]);
        let parts = set.finish();
        sink.extend(parts.diagnostics);
        if let (Some(root), false) = (root, failed)
            && names.get(&name) == Some(&i)
        {
            let profile = assemble(
                name.clone(),
                infos[i]
                    .as_ref()
                    .and_then(|info| info.target_namespace.clone()),
                root,
                parts.elements,
                parts.complex_types,
                parts.simple_types,
                &parts.prefixes,
            );
            profiles.push((name, Arc::new(profile)));
        }
    }
    (profiles, sink.finish())
}

/// `profiles/sub/order.xsd` → `order`.
fn profile_name(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.strip_suffix(".xsd").unwrap_or(file).to_owned()
}

/// Collects diagnostics, folding repeats: a file in several schema sets is
/// compiled, and would be reported, once per set.
#[derive(Default)]
struct Sink {
    diagnostics: Vec<Diagnostic>,
    seen: HashSet<String>,
}

impl Sink {
    fn push(&mut self, diagnostic: Diagnostic) {
        let key = format!(
            "{:?}\u{0}{}\u{0}{:?}",
            diagnostic.location, diagnostic.message, diagnostic.severity
        );
        if self.seen.insert(key) {
            self.diagnostics.push(diagnostic);
        }
    }

    fn extend(&mut self, diagnostics: Vec<Diagnostic>) {
        for diagnostic in diagnostics {
            self.push(diagnostic);
        }
    }

    fn finish(self) -> Diagnostics {
        let mut out = Diagnostics::default();
        for diagnostic in self.diagnostics {
            out.push(diagnostic);
        }
        out.sort();
        out
    }
}

// ---------------------------------------------------------------------------
// Files and their links

/// What the `xs:schema` element of a file says.
#[derive(Debug)]
struct DocInfo {
    target_namespace: Option<String>,
    elements_qualified: bool,
    attributes_qualified: bool,
    /// The files this one includes or imports.
    links: Vec<usize>,
}

impl DocInfo {
    fn read(doc: &SchemaDoc, sink: &mut Sink) -> DocInfo {
        let schema = doc.node(0);
        let mut info = DocInfo {
            target_namespace: None,
            elements_qualified: false,
            attributes_qualified: false,
            links: Vec::new(),
        };
        for attr in &schema.attrs {
            if attr.namespace.is_some() {
                continue;
            }
            match attr.local.as_str() {
                "targetNamespace" if attr.value.is_empty() => sink.push(doc.error(
                    attr.span,
                    "targetNamespace cannot be empty: leave it out for no namespace",
                )),
                "targetNamespace" => info.target_namespace = Some(attr.value.clone()),
                "elementFormDefault" => {
                    info.elements_qualified = form(doc, attr, sink).unwrap_or(false);
                }
                "attributeFormDefault" => {
                    info.attributes_qualified = form(doc, attr, sink).unwrap_or(false);
                }
                // Documentation, or defaults for derivation and substitution,
                // which the subset does not have.
                "version" | "id" | "blockDefault" | "finalDefault" => {}
                other => sink.push(doc.error(
                    attr.span,
                    format!("unknown attribute `{other}` on xs:schema"),
                )),
            }
        }
        if schema.has_text {
            sink.push(doc.error(schema.span, "text is not allowed in xs:schema"));
        }
        for &child in &schema.children {
            let node = doc.node(child);
            let allowed = [
                "include",
                "import",
                "annotation",
                "element",
                "complexType",
                "simpleType",
                "group",
                "attributeGroup",
            ];
            if node.namespace.as_deref() == Some(XSD_NAMESPACE)
                && allowed.contains(&node.local.as_str())
            {
                continue;
            }
            let message = if node.is_xs("attribute") {
                "global xs:attribute declarations are not supported: declare attributes inside their complex type".to_owned()
            } else {
                misplaced(node, schema)
            };
            sink.push(doc.error(node.span, message));
        }
        info
    }
}

/// `qualified` or `unqualified`.
fn form(doc: &SchemaDoc, attr: &NodeAttr, sink: &mut Sink) -> Option<bool> {
    match attr.value.trim() {
        "qualified" => Some(true),
        "unqualified" => Some(false),
        other => {
            sink.push(doc.error(
                attr.span,
                format!("`{other}` is not a form: expected `qualified` or `unqualified`"),
            ));
            None
        }
    }
}

/// The message for an element where the subset has no place for it.
fn misplaced(node: &Node, parent: &Node) -> String {
    if node.namespace.as_deref() == Some(XSD_NAMESPACE)
        && UNSUPPORTED.contains(&node.local.as_str())
    {
        format!("{} is not supported", node.display_name())
    } else {
        format!(
            "{} is not allowed in {}",
            node.display_name(),
            parent.display_name()
        )
    }
}

fn read_links(
    doc: &SchemaDoc,
    index: usize,
    docs: &[Option<SchemaDoc>],
    infos: &[Option<DocInfo>],
    by_path: &HashMap<&str, usize>,
    sink: &mut Sink,
) -> Vec<usize> {
    let schema = doc.node(0);
    let own_namespace = infos[index]
        .as_ref()
        .and_then(|info| info.target_namespace.as_deref());
    let mut links = Vec::new();
    for &child in &schema.children {
        let node = doc.node(child);
        let include = node.is_xs("include");
        if !include && !node.is_xs("import") {
            continue;
        }
        check_attributes(doc, node, &["schemaLocation", "namespace", "id"], sink);
        if include && let Some(attr) = node.attr("namespace") {
            sink.push(doc.error(
                attr.span,
                "xs:include has no `namespace`: the included file shares this schema's",
            ));
        }
        let Some(location) = node.attr("schemaLocation") else {
            sink.push(doc.error(
                node.span,
                format!(
                    "{} needs a schemaLocation naming a file under profiles/",
                    node.display_name()
                ),
            ));
            continue;
        };
        let target = match resolve_location(&doc.file.path, location.value.trim()) {
            Ok(path) => match by_path.get(path.as_str()) {
                Some(&target) => target,
                None => {
                    sink.push(doc.error(
                        location.span,
                        format!("{path} does not exist (or is not an .xsd file)"),
                    ));
                    continue;
                }
            },
            Err(message) => {
                sink.push(doc.error(location.span, message));
                continue;
            }
        };
        // A target that does not parse was reported on its own.
        let Some(target_info) = infos[target].as_ref() else {
            continue;
        };
        let target_namespace = target_info.target_namespace.as_deref();
        let target_path = docs[target]
            .as_ref()
            .map_or("the file", |d| d.file.path.as_str());
        if include {
            if target_namespace != own_namespace {
                let message = match target_namespace {
                    None => format!(
                        "{target_path} has no targetNamespace: including it into a namespace (a chameleon include) is not supported"
                    ),
                    Some(theirs) => format!(
                        "{target_path} has targetNamespace `{theirs}`, not this schema's: use xs:import for another namespace"
                    ),
                };
                sink.push(doc.error(node.span, message));
                continue;
            }
        } else {
            let declared = node.attr("namespace").map(|a| a.value.as_str());
            if declared.is_some() && declared == own_namespace
                || declared.is_none() && own_namespace.is_none()
            {
                sink.push(doc.error(
                    node.span,
                    "xs:import cannot import the schema's own namespace: use xs:include",
                ));
                continue;
            }
            if declared != target_namespace {
                sink.push(doc.error(
                    node.span,
                    format!(
                        "{target_path} has {}, but xs:import says {}",
                        describe_namespace(target_namespace),
                        describe_namespace(declared)
                    ),
                ));
                continue;
            }
        }
        if target != index {
            links.push(target);
        }
    }
    links
}

fn describe_namespace(namespace: Option<&str>) -> String {
    match namespace {
        Some(namespace) => format!("namespace `{namespace}`"),
        None => "no namespace".to_owned(),
    }
}

/// The root-relative path a schemaLocation names, which must stay under profiles/.
fn resolve_location(from: &str, location: &str) -> Result<String, String> {
    if location.is_empty() {
        return Err("schemaLocation is empty".to_owned());
    }
    if location.contains("://") || location.starts_with('/') || location.contains('\\') {
        return Err(format!(
            "schemaLocation `{location}` must be a relative path to a file under profiles/"
        ));
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in location.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("schemaLocation `{location}` is outside profiles/"));
                }
            }
            part => parts.push(part),
        }
    }
    if parts.first() != Some(&"profiles") || parts.len() < 2 {
        return Err(format!("schemaLocation `{location}` is outside profiles/"));
    }
    Ok(parts.join("/"))
}

/// Unqualified attributes outside `allowed` are errors; attributes in
/// other namespaces are annotations, which XSD allows anywhere.
fn check_attributes(doc: &SchemaDoc, node: &Node, allowed: &[&str], sink: &mut Sink) {
    for attr in node.attrs.iter().filter(|a| a.namespace.is_none()) {
        let name = attr.local.as_str();
        if allowed.contains(&name) {
            continue;
        }
        let message = match name {
            "nillable" | "abstract" | "mixed" if attr.value.trim() == "false" => continue,
            "nillable" | "default" | "fixed" if node.attr("ref").is_some() => {
                format!("`{name}` belongs on the global xs:element that `ref` names")
            }
            "abstract" => {
                format!("`{name}=\"{}\"` is not supported", attr.value.trim())
            }
            "substitutionGroup" | "block" | "final" => {
                format!("`{name}` is not supported on {}", node.display_name())
            }
            _ => format!("unknown attribute `{name}` on {}", node.display_name()),
        };
        sink.push(doc.error(attr.span, message));
    }
}

/// The docs of a profile's schema set: the file and all it reaches.
fn schema_set(start: usize, infos: &[Option<DocInfo>]) -> Vec<usize> {
    let mut set = vec![start];
    let mut seen: HashSet<usize> = HashSet::from([start]);
    let mut next = 0;
    while let Some(&doc) = set.get(next) {
        next += 1;
        if let Some(info) = &infos[doc] {
            for &link in &info.links {
                if seen.insert(link) {
                    set.push(link);
                }
            }
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve_inside_profiles() {
        assert_eq!(
            resolve_location("profiles/order.xsd", "common/types.xsd"),
            Ok("profiles/common/types.xsd".to_owned())
        );
        assert_eq!(
            resolve_location("profiles/a/order.xsd", "../types.xsd"),
            Ok("profiles/types.xsd".to_owned())
        );
        assert_eq!(
            resolve_location("profiles/a/order.xsd", "./b/../types.xsd"),
            Ok("profiles/a/types.xsd".to_owned())
        );
        assert!(resolve_location("profiles/order.xsd", "../flowgate.toml").is_err());
        assert!(resolve_location("profiles/order.xsd", "../../etc/passwd").is_err());
        assert!(resolve_location("profiles/order.xsd", "/etc/passwd").is_err());
        assert!(resolve_location("profiles/order.xsd", "http://example.com/x.xsd").is_err());
        assert!(resolve_location("profiles/order.xsd", "..\\x.xsd").is_err());
        assert!(resolve_location("profiles/order.xsd", "").is_err());
    }

    #[test]
    fn profile_names_are_file_stems() {
        assert_eq!(profile_name("profiles/order.xsd"), "order");
        assert_eq!(profile_name("profiles/sub/order-ack.xsd"), "order-ack");
    }
}
