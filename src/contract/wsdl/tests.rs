//! The WSDL of a small root (golden file), what it leaves out, and the
//! conflicts that keep a root from compiling.

use super::*;
use crate::compile::compile_files;

/// An order in no namespace, used by several operations.
const ORDER_XSD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Order">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Id" type="OrderId"/>
        <xs:element name="Line" type="xs:string" maxOccurs="unbounded"/>
      </xs:sequence>
      <xs:attribute name="currency" type="xs:string" use="required"/>
    </xs:complexType>
  </xs:element>
  <xs:simpleType name="OrderId">
    <xs:restriction base="xs:string"><xs:pattern value="[A-Z]-[0-9]+"/></xs:restriction>
  </xs:simpleType>
</xs:schema>"#;

/// An acknowledgement in a namespace.
const ACK_XSD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:a="urn:example:ack"
    targetNamespace="urn:example:ack" elementFormDefault="qualified">
  <xs:element name="Ack" type="a:AckType"/>
  <xs:complexType name="AckType">
    <xs:sequence>
      <xs:element name="Id" type="xs:string"/>
      <xs:element name="Status">
        <xs:simpleType>
          <xs:restriction base="xs:string">
            <xs:enumeration value="accepted"/>
            <xs:enumeration value="review"/>
          </xs:restriction>
        </xs:simpleType>
      </xs:element>
    </xs:sequence>
  </xs:complexType>
</xs:schema>"#;

fn process(listen: &str) -> String {
    format!("listen: {{ {listen} }}\nsteps:\n  - return: {{}}\n")
}

fn compiled(extra: &[(&str, &str)]) -> Snapshot {
    let processes = [
        (
            "processes/create-order.yaml",
            process(
                "operation: create, object: Order, soap: true, input: xml, output: xml, request_profile: order, response_profile: ack",
            ),
        ),
        (
            "processes/import-orders.yaml",
            process(
                "operation: upsert, object: Order, soap: true, input: xml-list, output: xml-list, request_profile: order, response_profile: ack, page_size: 50",
            ),
        ),
        (
            "processes/list-orders.yaml",
            process(
                "operation: query, object: Order, soap: true, output: xml-list, response_profile: order",
            ),
        ),
        (
            "processes/get-ack.yaml",
            process("operation: get, object: Ack, soap: true, output: xml, response_profile: ack"),
        ),
        (
            "processes/cancel-order.yaml",
            process(
                "operation: delete, object: Order, soap: true, input: xml, request_profile: order",
            ),
        ),
        (
            "processes/update-ack.yaml",
            process(
                "operation: update, object: Ack, soap: true, input: xml, output: xml, request_profile: ack, response_profile: order",
            ),
        ),
        (
            "processes/ping.yaml",
            process("operation: execute, object: Ping, soap: true"),
        ),
        (
            "processes/plain.yaml",
            process(
                "operation: execute, object: Plain, input: xml, output: xml, request_profile: order",
            ),
        ),
    ];
    let mut files: Vec<(&str, &str)> = vec![
        ("profiles/order.xsd", ORDER_XSD),
        ("profiles/ack.xsd", ACK_XSD),
    ];
    files.extend(processes.iter().map(|(path, text)| (*path, text.as_str())));
    files.extend_from_slice(extra);
    let compilation = compile_files(&files);
    compilation.snapshot.unwrap_or_else(|| {
        panic!(
            "the test root compiles:\n{}",
            compilation.diagnostics.render()
        )
    })
}

fn everyone(snapshot: &Snapshot) -> Vec<ProcessId> {
    (0..snapshot.processes.len())
        .map(ProcessId::from_index)
        .collect()
}

fn id(snapshot: &Snapshot, name: &str) -> ProcessId {
    snapshot.process_by_name(name).expect("a process")
}

#[test]
fn wsdl_of_every_kind_of_operation() {
    let snapshot = compiled(&[]);
    let wsdl = generate(&snapshot, &everyone(&snapshot), "https://api.example.com/");
    insta::assert_snapshot!("wsdl_every_kind", wsdl);
}

#[test]
fn only_visible_soap_operations_are_described() {
    let snapshot = compiled(&[]);
    let visible = [id(&snapshot, "get-ack"), id(&snapshot, "plain")];
    let wsdl = generate(&snapshot, &visible, "http://127.0.0.1:9090");
    assert!(wsdl.contains("name=\"getAck\""), "{wsdl}");
    for absent in ["createOrder", "executePlain", "\"Order\"", "OrderId"] {
        assert!(!wsdl.contains(absent), "{absent} in {wsdl}");
    }
    assert!(wsdl.contains("location=\"http://127.0.0.1:9090/ws/soap\""));
    assert!(wsdl.contains("location=\"http://127.0.0.1:9090/ws/soap12\""));
}

#[test]
fn without_operations_the_wsdl_is_still_whole() {
    let snapshot = compiled(&[]);
    let wsdl = generate(&snapshot, &[], "https://api.example.com");
    insta::assert_snapshot!("wsdl_empty", wsdl);
    // Well-formed, by the same scanner that reads requests.
    let limits = crate::doc::xml::XmlLimits::default();
    assert!(crate::doc::xml::check(&wsdl, &limits).is_ok());
}

#[test]
fn output_is_deterministic_and_well_formed() {
    let snapshot = compiled(&[]);
    let mut visible = everyone(&snapshot);
    let first = generate(&snapshot, &visible, "https://api.example.com");
    visible.reverse();
    visible.push(visible[0]);
    assert_eq!(
        generate(&snapshot, &visible, "https://api.example.com"),
        first
    );
    let limits = crate::doc::xml::XmlLimits::default();
    assert!(crate::doc::xml::check(&first, &limits).is_ok(), "{first}");
}

/// The schemas inside the WSDL compile as profiles again: the wrapper
/// schema with the profiles it imports.
#[test]
fn embedded_schemas_compile() {
    let snapshot = compiled(&[]);
    let visible = everyone(&snapshot);
    let operations: Vec<Operation> = visible
        .iter()
        .filter_map(|&id| Operation::of(id, snapshot.process(id)))
        .collect();
    let (schemas, clashes) = types(&snapshot.settings.soap_namespace, &operations);
    assert!(clashes.is_empty(), "{clashes:?}");
    let namespaces: Vec<Option<String>> =
        schemas.namespaces().map(|n| n.map(str::to_owned)).collect();
    let file = |namespace: Option<&str>| {
        let index = namespaces
            .iter()
            .position(|n| n.as_deref() == namespace)
            .unwrap_or(usize::MAX);
        format!("schema-{index}.xsd")
    };
    let sources: Vec<_> = schemas
        .documents(&|namespace| Some(file(namespace)))
        .into_iter()
        .map(|(namespace, text)| {
            crate::diag::SourceFile::new(format!("profiles/{}", file(namespace.as_deref())), text)
        })
        .collect();
    let (profiles, diagnostics) = crate::profile::xsd::compile(&sources);
    assert!(!diagnostics.has_errors(), "{}", diagnostics.render());
    // The wrapper schema's first element is the first operation's wrapper.
    let wrappers = profiles
        .iter()
        .find(|(_, p)| p.target_namespace() == Some("urn:flowgate:ws"))
        .map(|(_, p)| p.clone())
        .expect("the wrapper schema");
    let limits = crate::doc::xml::XmlLimits::default();
    let request = r#"<w:createOrder xmlns:w="urn:flowgate:ws"><Order currency="EUR"><Id>A-1</Id><Line>x</Line></Order></w:createOrder>"#;
    assert!(wrappers.read(request, &limits).is_ok());
    let bad =
        r#"<w:createOrder xmlns:w="urn:flowgate:ws"><Order><Id>1</Id></Order></w:createOrder>"#;
    assert!(wrappers.read(bad, &limits).is_err());
}

#[test]
fn names_and_addresses_are_escaped() {
    // A URI may hold `&` and `'`, which XML gives a meaning.
    let snapshot = compiled(&[("flowgate.toml", "[soap]\nnamespace = \"urn:a&b'c\"\n")]);
    let wsdl = generate(&snapshot, &everyone(&snapshot), "https://h.example/a&b");
    assert!(
        wsdl.contains("targetNamespace=\"urn:a&amp;b&apos;c\""),
        "{wsdl}"
    );
    assert!(wsdl.contains("location=\"https://h.example/a&amp;b/ws/soap\""));
    assert!(!wsdl.contains("a&b"));
    let limits = crate::doc::xml::XmlLimits::default();
    assert!(crate::doc::xml::check(&wsdl, &limits).is_ok());
}

fn errors(files: &[(&str, &str)]) -> Vec<String> {
    let compilation = compile_files(files);
    assert!(compilation.snapshot.is_none());
    compilation
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect()
}

#[test]
fn different_declarations_under_one_name_do_not_compile() {
    let legacy = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Order" type="xs:string"/>
</xs:schema>"#;
    let first =
        process("operation: create, object: Order, soap: true, input: xml, request_profile: order");
    let second = process(
        "operation: create, object: Legacy, soap: true, input: xml, request_profile: legacy-order",
    );
    let messages = errors(&[
        ("profiles/order.xsd", ORDER_XSD),
        ("profiles/legacy-order.xsd", legacy),
        ("processes/a.yaml", &first),
        ("processes/b.yaml", &second),
    ]);
    insta::assert_snapshot!("wsdl_clash", messages.join("\n"));
}

#[test]
fn profiles_cannot_take_the_wrappers_names() {
    let taken = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:flowgate:ws">
  <xs:element name="createOrder" type="xs:string"/>
</xs:schema>"#;
    let messages = errors(&[
        ("profiles/order.xsd", ORDER_XSD),
        ("profiles/taken.xsd", taken),
        (
            "processes/a.yaml",
            &process(
                "operation: create, object: Order, soap: true, input: xml, request_profile: order",
            ),
        ),
        (
            "processes/b.yaml",
            &process(
                "operation: get, object: Taken, soap: true, output: xml, response_profile: taken",
            ),
        ),
    ]);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("operation `createOrder` and profile `taken` both declare the element `createOrder` in namespace `urn:flowgate:ws`"),
        "{messages:?}"
    );
}

#[test]
fn list_elements_must_be_xml_names() {
    let messages = errors(&[
        ("profiles/order.xsd", ORDER_XSD),
        (
            "processes/a.yaml",
            &process(
                "operation: create, object: 1Order, soap: true, input: xml-list, request_profile: order",
            ),
        ),
    ]);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("`1OrderList` is not an XML name"),
        "{messages:?}"
    );
}

#[test]
fn one_process_can_clash_with_itself() {
    let other_order = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Order" type="xs:int"/>
</xs:schema>"#;
    let compilation = compile_files(&[
        ("profiles/order.xsd", ORDER_XSD),
        ("profiles/order-id.xsd", other_order),
        (
            "processes/a.yaml",
            &process(
                "operation: create, object: Order, soap: true, input: xml, output: xml, request_profile: order, response_profile: order-id",
            ),
        ),
    ]);
    assert!(compilation.snapshot.is_none());
    let errors: Vec<_> = compilation
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .message
            .contains("profile `order` and profile `order-id`")
    );
    assert!(
        errors[0].to_string().contains("processes/a.yaml:1:"),
        "{}",
        errors[0]
    );
    assert!(!errors[0].to_string().contains("note"), "{}", errors[0]);
}
