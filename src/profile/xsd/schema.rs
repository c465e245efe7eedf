//! Schema files as trees: the raw form the compiler walks.
//!
//! A schema is read with the same scanner as documents (so it gets the
//! same well-formedness rules, DOCTYPE refusal and limits) into a small
//! tree that keeps, for every element and attribute, its span in the file
//! and, for QName-valued attributes (`type`, `ref`, `base`), the name
//! resolved against the namespace declarations in scope where it is
//! written. Nothing here knows what the XSD elements mean.

use std::sync::Arc;

use crate::config::node::Span;
use crate::diag::{Diagnostic, SourceFile};
use crate::doc::xml::{self, Attr, Handler, Namespaces, StartTag, Text, XmlLimits};

use super::model::QName;

pub(crate) const XSD_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema";
pub(crate) const XSI_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Schema files are written by people, not sent by strangers, but a
/// profile folder may still hold anything: keep the scanner's bounds.
const SCHEMA_LIMITS: XmlLimits = XmlLimits {
    max_depth: 256,
    max_attributes: 256,
    max_name_length: 1024,
};

pub(crate) type NodeId = usize;

/// One schema file, read.
#[derive(Debug)]
pub(crate) struct SchemaDoc {
    pub(crate) file: Arc<SourceFile>,
    /// Every element of the file in document order; the first is the document element.
    pub(crate) nodes: Vec<Node>,
    /// The `xmlns:p` declarations of the document element, for `write` to reuse.
    pub(crate) prefixes: Vec<(String, String)>,
}

/// An element of a schema file. The content of `xs:annotation` is not kept.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) namespace: Option<String>,
    pub(crate) local: String,
    /// The start tag's `<` and name.
    pub(crate) span: Span,
    pub(crate) attrs: Vec<NodeAttr>,
    pub(crate) children: Vec<NodeId>,
    /// Non-whitespace text directly inside.
    pub(crate) has_text: bool,
}

#[derive(Debug)]
pub(crate) struct NodeAttr {
    pub(crate) namespace: Option<String>,
    pub(crate) local: String,
    pub(crate) value: String,
    /// The attribute's name.
    pub(crate) span: Span,
    /// For `type`, `ref`, `base` and `itemType`: the value as a QName in this element's
    /// scope, or why it is not one.
    pub(crate) qname: Option<Result<QName, String>>,
    /// For `memberTypes`: each name of the list as a QName in this
    /// element's scope, or why it is not one.
    pub(crate) qnames: Vec<Result<QName, String>>,
}

impl Node {
    /// An element of the XML Schema namespace with this local name.
    pub(crate) fn is_xs(&self, local: &str) -> bool {
        self.local == local && self.namespace.as_deref() == Some(XSD_NAMESPACE)
    }

    /// `xs:element` and the like, for messages.
    pub(crate) fn display_name(&self) -> String {
        match self.namespace.as_deref() {
            Some(XSD_NAMESPACE) => format!("xs:{}", self.local),
            Some(namespace) => format!("{{{namespace}}}{}", self.local),
            None => self.local.clone(),
        }
    }

    /// An unqualified attribute (the only kind XSD gives meaning to).
    pub(crate) fn attr(&self, local: &str) -> Option<&NodeAttr> {
        self.attrs
            .iter()
            .find(|a| a.namespace.is_none() && a.local == local)
    }
}

impl SchemaDoc {
    /// Reads a schema file; a file that is not well-formed is one diagnostic.
    pub(crate) fn parse(file: &Arc<SourceFile>) -> Result<SchemaDoc, Box<Diagnostic>> {
        let text = file.text.as_str();
        let mut builder = TreeBuilder {
            bom: text.len() - xml::without_bom(text).len(),
            nodes: Vec::new(),
            open: Vec::new(),
            annotation_depth: None,
            prefixes: Vec::new(),
        };
        match xml::scan(text, &SCHEMA_LIMITS, &mut builder) {
            Ok(()) => Ok(SchemaDoc {
                file: Arc::clone(file),
                nodes: builder.nodes,
                prefixes: builder.prefixes,
            }),
            Err(error) => Err(Box::new(file.error(
                Span::new(error.offset, error.offset + 1),
                format!("the schema is not well-formed XML: {}", error.message),
            ))),
        }
    }

    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// The error diagnostic at a node.
    pub(crate) fn error(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.file.error(span, message)
    }
}

struct TreeBuilder {
    /// Length of a byte order mark: the scanner's offsets start after it.
    bom: usize,
    nodes: Vec<Node>,
    open: Vec<NodeId>,
    /// The depth of the open `xs:annotation`, whose content is skipped.
    annotation_depth: Option<usize>,
    prefixes: Vec<(String, String)>,
}

impl TreeBuilder {
    fn span(&self, start: usize, len: usize) -> Span {
        Span::new(self.bom + start, self.bom + start + len)
    }
}

impl<'a> Handler<'a> for TreeBuilder {
    fn start(&mut self, tag: &StartTag<'a>, attrs: &[Attr<'a>], namespaces: &Namespaces<'a>) {
        if self.annotation_depth.is_some() {
            return;
        }
        let namespace = namespaces
            .resolve(tag.prefix.unwrap_or(""))
            .map(str::to_owned);
        let mut node = Node {
            namespace,
            local: tag.local.to_owned(),
            span: self.span(tag.start, tag.name_end - tag.start),
            attrs: Vec::with_capacity(attrs.len()),
            children: Vec::new(),
            has_text: false,
        };
        for attr in attrs {
            if attr.is_declaration {
                if tag.depth == 1 && attr.prefix.is_some() {
                    self.prefixes
                        .push((attr.local.to_owned(), attr.value.clone().into_owned()));
                }
                continue;
            }
            let name_length = attr.local.len() + attr.prefix.map_or(0, |p| p.len() + 1);
            let qname = (attr.prefix.is_none()
                && matches!(attr.local, "type" | "ref" | "base" | "itemType"))
            .then(|| resolve_qname(attr.value.trim(), namespaces));
            let qnames = if attr.prefix.is_none() && attr.local == "memberTypes" {
                attr.value
                    .split(xml::is_xml_whitespace)
                    .filter(|name| !name.is_empty())
                    .map(|name| resolve_qname(name, namespaces))
                    .collect()
            } else {
                Vec::new()
            };
            node.attrs.push(NodeAttr {
                namespace: attr
                    .prefix
                    .and_then(|prefix| namespaces.resolve(prefix))
                    .map(str::to_owned),
                local: attr.local.to_owned(),
                value: attr.value.clone().into_owned(),
                span: self.span(attr.name_at, name_length),
                qname,
                qnames,
            });
        }
        if node.is_xs("annotation") {
            self.annotation_depth = Some(tag.depth);
        }
        let id = self.nodes.len();
        self.nodes.push(node);
        if let Some(&parent) = self.open.last() {
            self.nodes[parent].children.push(id);
        }
        self.open.push(id);
    }

    fn text(&mut self, text: Text<'a>) {
        if self.annotation_depth.is_some() {
            return;
        }
        let blank = match text {
            Text::Raw(text) | Text::Cdata(text) => text.chars().all(xml::is_xml_whitespace),
            Text::Char(c) => xml::is_xml_whitespace(c),
        };
        if !blank && let Some(&id) = self.open.last() {
            self.nodes[id].has_text = true;
        }
    }

    fn end(&mut self, depth: usize, _end: usize) {
        match self.annotation_depth {
            Some(annotation) if depth > annotation => return,
            Some(_) => self.annotation_depth = None,
            None => {}
        }
        self.open.pop();
    }
}

/// A QName-valued attribute read in the scope of its element: an unprefixed
/// name takes the default namespace, as XSD says.
fn resolve_qname(value: &str, namespaces: &Namespaces<'_>) -> Result<QName, String> {
    let Some((prefix, local)) = xml::split_qname(value) else {
        return Err(format!("`{value}` is not a valid name"));
    };
    let namespace = match prefix {
        Some(prefix) => match namespaces.resolve(prefix) {
            Some(namespace) => Some(namespace.to_owned()),
            None => {
                return Err(format!(
                    "the prefix `{prefix}` of `{value}` is not declared"
                ));
            }
        },
        None => namespaces.resolve("").map(str::to_owned),
    };
    Ok(QName {
        namespace,
        local: local.to_owned(),
    })
}
