//! WSDL 1.1 of the SOAP operations: document/literal wrapped, one portType,
//! a SOAP 1.1 and a SOAP 1.2 binding, one service.
//!
//! Every name follows the table in [`super`], which the SOAP endpoint reads
//! by too: the wrappers `op` and `opResponse` and the list element
//! `{Object}List` in the `[soap] namespace`, the profiles' document
//! elements inside them, the problem document as the fault detail. The
//! types are the profiles themselves, written back as XSD by
//! [`crate::profile::xsd::emit`], so the WSDL is one document with no
//! `schemaLocation` to follow and says exactly what requests are checked
//! against.
//!
//! The names that are not the operations' own come from one fixed name,
//! [`SERVICE`]: the portType and service are `flowgate`, the bindings and
//! their ports `flowgateSoap` (SOAP 1.1) and `flowgateSoap12`, as SOAP
//! toolkits commonly name them; messages are `{op}Request`,
//! `{op}Response` and `problem`.
//!
//! The output depends only on its inputs: operations are sorted by name,
//! schemas by namespace and declarations by name, so the same snapshot and
//! caller always get the same bytes.

use crate::config::raw::DocType;
use crate::doc::xml;
use crate::profile::xsd::emit::{Clash, Origin, Prefixes, SchemaSet, Space, XsNode};
use crate::profile::xsd::{MaxOccurs, QName, XmlProfile};
use crate::profile::{Profile, Schema};
use crate::snapshot::{Listen, Process, ProcessId, Snapshot};

use super::{
    PROBLEM_NAMESPACE, SOAP11_PATH, SOAP12_PATH, list_element, request_wrapper, response_wrapper,
};

/// The fixed name the service, portType, bindings and ports are named after.
pub const SERVICE: &str = "flowgate";

const WSDL_NAMESPACE: &str = "http://schemas.xmlsoap.org/wsdl/";
const SOAP11_BINDING_NAMESPACE: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
const SOAP12_BINDING_NAMESPACE: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
const XSD_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema";
const HTTP_TRANSPORT: &str = "http://schemas.xmlsoap.org/soap/http";

/// The fault detail element's local name, and the fault's name in the WSDL.
const PROBLEM: &str = "problem";

/// The WSDL of the `soap: true` processes among `visible` (the others are
/// left out), with the endpoints under `base_url` (`https://host/prefix`,
/// a trailing slash is dropped). With no such process it is still a valid
/// WSDL, with no operations.
pub fn generate(snapshot: &Snapshot, visible: &[ProcessId], base_url: &str) -> String {
    let namespace = snapshot.settings.soap_namespace.as_str();
    let mut operations: Vec<Operation> = visible
        .iter()
        .filter_map(|&id| Operation::of(id, snapshot.processes.get(id.index())?))
        .collect();
    operations.sort_by(|a, b| a.name().cmp(b.name()).then(a.id.cmp(&b.id)));
    operations.dedup_by_key(|operation| operation.id);
    // A compiled snapshot has no clashes (see `conflicts`), and a subset
    // of its operations cannot make new ones.
    let (schemas, _) = types(namespace, &operations);
    let prefixes = schemas.prefixes(&[
        (WSDL_NAMESPACE, "wsdl"),
        (SOAP11_BINDING_NAMESPACE, "soap"),
        (SOAP12_BINDING_NAMESPACE, "soap12"),
        (namespace, "tns"),
        (PROBLEM_NAMESPACE, "rfc7807"),
    ]);
    let document = Document {
        namespace,
        operations: &operations,
        prefixes: &prefixes,
        base_url: base_url.trim_end_matches('/'),
    };
    document.write(&schemas)
}

/// Something about a SOAP operation that its WSDL cannot say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The operation's process, the later one in process order.
    pub process: ProcessId,
    /// The process it clashes with, if another one.
    pub other: Option<ProcessId>,
    pub message: String,
}

/// What keeps the `soap: true` processes among `processes` from sharing one
/// WSDL: two different declarations under one name in one namespace (two
/// profiles each declaring a no-namespace `Order`, a profile declaring an
/// element named like an operation's wrapper), or a list element whose
/// name is not an XML name. Processes are taken in order; each conflict
/// belongs to the later process.
pub fn conflicts(soap_namespace: &str, processes: &[Process]) -> Vec<Conflict> {
    let operations: Vec<Operation> = processes
        .iter()
        .enumerate()
        .filter_map(|(index, process)| Operation::of(ProcessId::from_index(index), process))
        .collect();
    let (_, clashes) = types(soap_namespace, &operations);
    let mut out: Vec<Conflict> = clashes
        .iter()
        .map(|clash| Conflict {
            process: ProcessId::from_index(clash.second.id),
            other: (clash.first.id < processes.len() && clash.first.id != clash.second.id)
                .then(|| ProcessId::from_index(clash.first.id)),
            message: format!("the WSDL cannot hold both: {clash}"),
        })
        .collect();
    for operation in &operations {
        let list = list_element(operation.listen);
        let has_list =
            [operation.listen.input, operation.listen.output].contains(&DocType::XmlList);
        if has_list && !xml::is_ncname(&list) {
            out.push(Conflict {
                process: operation.id,
                other: None,
                message: format!(
                    "the SOAP list element `{list}` is not an XML name: start the object with a letter"
                ),
            });
        }
    }
    out
}

/// A `soap: true` process.
struct Operation<'s> {
    id: ProcessId,
    listen: &'s Listen,
}

impl<'s> Operation<'s> {
    fn of(id: ProcessId, process: &'s Process) -> Option<Operation<'s>> {
        let listen = process.listen.as_ref().filter(|listen| listen.soap)?;
        Some(Operation { id, listen })
    }

    fn name(&self) -> &'s str {
        request_wrapper(self.listen)
    }

    fn one_way(&self) -> bool {
        self.listen.output == DocType::None
    }
}

// ---------------------------------------------------------------------------
// wsdl:types

/// The schemas of `wsdl:types`: the wrappers in `namespace`, the fault
/// detail, and every profile the operations carry; with the clashes met,
/// whose later declarations were left out.
fn types(namespace: &str, operations: &[Operation]) -> (SchemaSet, Vec<Clash>) {
    let mut schemas = SchemaSet::new();
    schemas.ensure(Some(namespace));
    let mut clashes = Vec::new();
    let fault = Origin {
        id: usize::MAX,
        label: "the SOAP fault detail".to_owned(),
    };
    clashes.extend(schemas.add(Space::Element, problem_name(), problem_element(), &fault));
    schemas.mark_document(Some(PROBLEM_NAMESPACE), PROBLEM);

    for operation in operations {
        let listen = operation.listen;
        let request = xml_profile(listen.input, listen.request_profile.as_ref());
        let response = xml_profile(listen.output, listen.response_profile.as_ref());
        for (profile, name) in [&request, &response].into_iter().flatten() {
            let origin = Origin {
                id: operation.id.index(),
                label: format!("profile `{name}`"),
            };
            clashes.extend(schemas.add_profile(profile, &origin));
        }
        let origin = Origin {
            id: operation.id.index(),
            label: format!("operation `{}`", operation.name()),
        };
        let mut wrappers = vec![(
            request_wrapper(listen).to_owned(),
            wrapper_body(listen, listen.input, request.as_ref().map(|p| p.0), false),
        )];
        if !operation.one_way() {
            wrappers.push((
                response_wrapper(listen),
                wrapper_body(listen, listen.output, response.as_ref().map(|p| p.0), true),
            ));
        }
        for (local, body) in wrappers {
            let name = QName {
                namespace: Some(namespace.to_owned()),
                local: local.clone(),
            };
            clashes.extend(schemas.add(Space::Element, name, wrapper(&local, body), &origin));
            schemas.mark_document(Some(namespace), &local);
        }
    }
    (schemas, clashes)
}

/// The XML profile of one side of an operation, with its name.
fn xml_profile(doc_type: DocType, profile: Option<&Profile>) -> Option<(&XmlProfile, &str)> {
    if doc_type == DocType::None {
        return None;
    }
    let profile = profile?;
    match profile.schema() {
        Schema::Xml(xml) => Some((xml, profile.name())),
        Schema::Json(_) => None,
    }
}

/// `<xs:element name="op"><xs:complexType><xs:sequence>body`.
fn wrapper(name: &str, body: Option<XsNode>) -> XsNode {
    let mut sequence = XsNode::new("sequence");
    if let Some(body) = body {
        sequence = sequence.child(body);
    }
    XsNode::new("element")
        .attr("name", name)
        .child(XsNode::new("complexType").child(sequence))
}

/// What a wrapper holds: the profile's document element (at most one in a
/// response), or the list element holding any number of them. SOAP
/// responses are never paged, so lists carry no `pageToken`.
fn wrapper_body(
    listen: &Listen,
    doc_type: DocType,
    profile: Option<&XmlProfile>,
    response: bool,
) -> Option<XsNode> {
    let profile = profile?;
    let root = profile.root();
    let document = XsNode::new("element").name_attr(
        "ref",
        QName {
            namespace: root.namespace().map(str::to_owned),
            local: root.name().to_owned(),
        },
    );
    match doc_type {
        DocType::Xml if response => Some(document.occurs(0, MaxOccurs::Bounded(1))),
        DocType::Xml => Some(document),
        DocType::XmlList => {
            let items = XsNode::new("sequence").child(document.occurs(0, MaxOccurs::Unbounded));
            let list_type = XsNode::new("complexType").child(items);
            Some(
                XsNode::new("element")
                    .attr("name", list_element(listen))
                    .child(list_type)
                    .qualified(true),
            )
        }
        _ => None,
    }
}

fn xs(local: &str) -> QName {
    QName {
        namespace: Some(XSD_NAMESPACE.to_owned()),
        local: local.to_owned(),
    }
}

fn problem_name() -> QName {
    QName {
        namespace: Some(PROBLEM_NAMESPACE.to_owned()),
        local: PROBLEM.to_owned(),
    }
}

/// The problem document of `server::problem`, as the fault detail: type,
/// title, status, detail, then execution_id and errors when there are any.
fn problem_element() -> XsNode {
    let leaf = |name: &str, type_name: &str| {
        XsNode::new("element")
            .attr("name", name)
            .name_attr("type", xs(type_name))
            .qualified(true)
    };
    let error = XsNode::new("element")
        .attr("name", "error")
        .child(
            XsNode::new("complexType").child(
                XsNode::new("sequence")
                    .child(leaf("path", "string"))
                    .child(leaf("message", "string")),
            ),
        )
        .occurs(0, MaxOccurs::Unbounded)
        .qualified(true);
    let errors = XsNode::new("element")
        .attr("name", "errors")
        .child(XsNode::new("complexType").child(XsNode::new("sequence").child(error)))
        .occurs(0, MaxOccurs::Bounded(1))
        .qualified(true);
    let sequence = XsNode::new("sequence")
        .child(leaf("type", "anyURI"))
        .child(leaf("title", "string"))
        .child(leaf("status", "int"))
        .child(leaf("detail", "string"))
        .child(leaf("execution_id", "string").occurs(0, MaxOccurs::Bounded(1)))
        .child(errors);
    XsNode::new("element")
        .attr("name", PROBLEM)
        .child(XsNode::new("complexType").child(sequence))
}

// ---------------------------------------------------------------------------
// The document

struct Document<'d, 's> {
    namespace: &'d str,
    operations: &'d [Operation<'s>],
    prefixes: &'d Prefixes,
    base_url: &'d str,
}

/// The two SOAP versions: binding name suffix, binding namespace prefix, endpoint path.
const BINDINGS: [(&str, &str, &str); 2] = [
    ("Soap", "soap", SOAP11_PATH),
    ("Soap12", "soap12", SOAP12_PATH),
];

/// `<tag a="v" …` with every value escaped; the caller closes it.
fn open(depth: usize, tag: &str, attributes: &[(&str, &str)]) -> String {
    let mut out = format!("{}<{tag}", "  ".repeat(depth));
    for (name, value) in attributes {
        out.push_str(&format!(" {name}=\"{}\"", xml::escape(value)));
    }
    out
}

impl Document<'_, '_> {
    fn write(&self, schemas: &SchemaSet) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let mut declarations: Vec<(String, &str)> = Vec::new();
        for namespace in [
            WSDL_NAMESPACE,
            SOAP11_BINDING_NAMESPACE,
            SOAP12_BINDING_NAMESPACE,
            XSD_NAMESPACE,
            self.namespace,
            PROBLEM_NAMESPACE,
        ] {
            // One namespace may serve twice (the problem namespace as the SOAP one).
            if let Some(prefix) = self.prefixes.get(namespace) {
                let name = format!("xmlns:{prefix}");
                if !declarations.iter().any(|(taken, _)| *taken == name) {
                    declarations.push((name, namespace));
                }
            }
        }
        let mut attributes: Vec<(&str, &str)> = declarations
            .iter()
            .map(|(name, value)| (name.as_str(), *value))
            .collect();
        attributes.push(("name", SERVICE));
        attributes.push(("targetNamespace", self.namespace));
        out.push_str(&open(0, "wsdl:definitions", &attributes));
        out.push_str(">\n");

        out.push_str("  <wsdl:types>\n");
        schemas.write(&mut out, 2, self.prefixes);
        out.push_str("  </wsdl:types>\n");
        self.messages(&mut out);
        self.port_type(&mut out);
        for binding in BINDINGS {
            self.binding(&mut out, binding);
        }
        self.service(&mut out);
        out.push_str("</wsdl:definitions>\n");
        out
    }

    /// `tns:local`, in the WSDL's own namespace.
    fn own(&self, local: &str) -> String {
        self.prefixes.qualify(&QName {
            namespace: Some(self.namespace.to_owned()),
            local: local.to_owned(),
        })
    }

    fn message(&self, out: &mut String, name: &str, part: &str, element: &QName) {
        out.push_str(&open(1, "wsdl:message", &[("name", name)]));
        out.push_str(">\n");
        let element = self.prefixes.qualify(element);
        out.push_str(&open(
            2,
            "wsdl:part",
            &[("name", part), ("element", &element)],
        ));
        out.push_str("/>\n  </wsdl:message>\n");
    }

    fn messages(&self, out: &mut String) {
        let in_namespace = |local: String| QName {
            namespace: Some(self.namespace.to_owned()),
            local,
        };
        for operation in self.operations {
            let name = operation.name();
            let request = in_namespace(request_wrapper(operation.listen).to_owned());
            self.message(out, &format!("{name}Request"), "parameters", &request);
            if !operation.one_way() {
                let response = in_namespace(response_wrapper(operation.listen));
                self.message(out, &format!("{name}Response"), "parameters", &response);
            }
        }
        self.message(out, PROBLEM, PROBLEM, &problem_name());
    }

    fn port_type(&self, out: &mut String) {
        out.push_str(&open(1, "wsdl:portType", &[("name", SERVICE)]));
        if self.operations.is_empty() {
            out.push_str("/>\n");
            return;
        }
        out.push_str(">\n");
        for operation in self.operations {
            let name = operation.name();
            out.push_str(&open(2, "wsdl:operation", &[("name", name)]));
            out.push_str(">\n");
            let request = self.own(&format!("{name}Request"));
            out.push_str(&open(3, "wsdl:input", &[("message", &request)]));
            out.push_str("/>\n");
            if !operation.one_way() {
                let response = self.own(&format!("{name}Response"));
                out.push_str(&open(3, "wsdl:output", &[("message", &response)]));
                out.push_str("/>\n");
                let fault = self.own(PROBLEM);
                out.push_str(&open(
                    3,
                    "wsdl:fault",
                    &[("name", PROBLEM), ("message", &fault)],
                ));
                out.push_str("/>\n");
            }
            out.push_str("    </wsdl:operation>\n");
        }
        out.push_str("  </wsdl:portType>\n");
    }

    fn binding(&self, out: &mut String, (suffix, soap, _): (&str, &str, &str)) {
        let name = format!("{SERVICE}{suffix}");
        let port_type = self.own(SERVICE);
        out.push_str(&open(
            1,
            "wsdl:binding",
            &[("name", &name), ("type", &port_type)],
        ));
        out.push_str(">\n");
        out.push_str(&open(
            2,
            &format!("{soap}:binding"),
            &[("transport", HTTP_TRANSPORT), ("style", "document")],
        ));
        out.push_str("/>\n");
        let body = format!("{}<{soap}:body use=\"literal\"/>\n", "  ".repeat(4));
        for operation in self.operations {
            let name = operation.name();
            out.push_str(&open(2, "wsdl:operation", &[("name", name)]));
            out.push_str(">\n");
            out.push_str(&open(
                3,
                &format!("{soap}:operation"),
                &[("soapAction", name), ("style", "document")],
            ));
            out.push_str("/>\n");
            out.push_str("      <wsdl:input>\n");
            out.push_str(&body);
            out.push_str("      </wsdl:input>\n");
            if !operation.one_way() {
                out.push_str("      <wsdl:output>\n");
                out.push_str(&body);
                out.push_str("      </wsdl:output>\n");
                out.push_str(&open(3, "wsdl:fault", &[("name", PROBLEM)]));
                out.push_str(">\n");
                out.push_str(&open(
                    4,
                    &format!("{soap}:fault"),
                    &[("name", PROBLEM), ("use", "literal")],
                ));
                out.push_str("/>\n      </wsdl:fault>\n");
            }
            out.push_str("    </wsdl:operation>\n");
        }
        out.push_str("  </wsdl:binding>\n");
    }

    fn service(&self, out: &mut String) {
        out.push_str(&open(1, "wsdl:service", &[("name", SERVICE)]));
        out.push_str(">\n");
        for (suffix, soap, path) in BINDINGS {
            let name = format!("{SERVICE}{suffix}");
            let binding = self.own(&name);
            out.push_str(&open(
                2,
                "wsdl:port",
                &[("name", &name), ("binding", &binding)],
            ));
            out.push_str(">\n");
            let location = format!("{}{path}", self.base_url);
            out.push_str(&open(
                3,
                &format!("{soap}:address"),
                &[("location", &location)],
            ));
            out.push_str("/>\n    </wsdl:port>\n");
        }
        out.push_str("  </wsdl:service>\n");
    }
}

#[cfg(test)]
mod tests;
