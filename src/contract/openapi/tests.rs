//! The document of a small root that uses every input and output type,
//! REST parameters, XSD with and without a target namespace, JSON Schema
//! 2020-12 and draft-07, every way in and paging: a golden file, and the
//! properties every document must have.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::*;
use crate::compile::compile_files;
use crate::snapshot::Snapshot;
use crate::test_pki::Ca;

const BASE_URL: &str = "https://gw.example.com";

const SETTINGS: &str = r#"
[server.https]
listen = "127.0.0.1:0"
cert = "certs/server.pem"
key = "certs/server.key"
client_ca = "certs/clients.pem"

[users.acme]
token_sha256 = "79665b9580ab672b11d07c958da63e90a03b2b9fbf6365b47972b7d1762406a7"
roles = ["partners"]

[users.gw]
cert_subject = "CN=gw-client"
"#;

/// A namespace, a prefix for attributes, named and anonymous types,
/// simple content, facets.
const ORDER_XSD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:o="urn:example:order"
           targetNamespace="urn:example:order"
           elementFormDefault="qualified"
           attributeFormDefault="qualified">
  <xs:element name="Order" type="o:OrderType"/>
  <xs:complexType name="OrderType">
    <xs:sequence>
      <xs:element name="Id">
        <xs:simpleType>
          <xs:restriction base="xs:string"><xs:pattern value="[A-Z]-\d+"/></xs:restriction>
        </xs:simpleType>
      </xs:element>
      <xs:element name="Line" type="o:LineType" maxOccurs="unbounded"/>
      <xs:element name="Placed" type="xs:dateTime" minOccurs="0"/>
    </xs:sequence>
    <xs:attribute name="channel" type="o:Channel"/>
  </xs:complexType>
  <xs:complexType name="LineType">
    <xs:sequence>
      <xs:element name="Qty">
        <xs:simpleType>
          <xs:restriction base="xs:int"><xs:minInclusive value="1"/><xs:maxExclusive value="1000"/></xs:restriction>
        </xs:simpleType>
      </xs:element>
      <xs:element name="Price" type="o:Price"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="Price">
    <xs:simpleContent>
      <xs:extension base="xs:decimal">
        <xs:attribute name="currency" type="o:Channel" use="required"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:simpleType name="Channel">
    <xs:restriction base="xs:string">
      <xs:enumeration value="web"/>
      <xs:enumeration value="partner"/>
    </xs:restriction>
  </xs:simpleType>
</xs:schema>
"#;

/// No target namespace; every remaining built-in type.
const ITEM_XSD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Item">
    <xs:complexType>
      <xs:all>
        <xs:element name="Sku" type="xs:string"/>
        <xs:element name="Count" type="xs:long"/>
        <xs:element name="Big" type="xs:integer" minOccurs="0"/>
        <xs:element name="Ratio" type="xs:double" minOccurs="0"/>
        <xs:element name="Active" type="xs:boolean"/>
        <xs:element name="Day" type="xs:date" minOccurs="0"/>
        <xs:element name="At" type="xs:time" minOccurs="0"/>
        <xs:element name="Blob" type="xs:base64Binary" minOccurs="0"/>
        <xs:element name="Link" type="xs:anyURI" minOccurs="0"/>
      </xs:all>
      <xs:attribute name="id" type="xs:string" use="required"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"#;

const ACK_JSON: &str = r##"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://example.com/ack.json",
  "type": "object",
  "required": ["id", "lines"],
  "properties": {
    "id": { "type": "string" },
    "lines": { "type": "array", "items": { "$ref": "#/$defs/line" } }
  },
  "$defs": {
    "line": { "type": "object", "properties": { "qty": { "type": "integer", "minimum": 1 } } }
  }
}"##;

const ACK7_JSON: &str = r##"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "definitions": {
    "status": { "enum": ["accepted", "review"] },
    "pair": { "type": "array", "items": [{ "type": "string" }, { "type": "number" }], "additionalItems": false }
  },
  "type": "object",
  "required": ["status"],
  "properties": {
    "status": { "$ref": "#/definitions/status", "description": "kept", "type": "integer" },
    "total": { "$ref": "#/definitions/pair" },
    "self": { "$ref": "#" }
  }
}"##;

const NOTICE_JSON: &str = r#"{ "type": "object", "properties": { "text": { "type": "string" } } }"#;

fn process(listen: &str, access: Option<&str>, steps: &str, description: Option<&str>) -> String {
    let mut text = String::new();
    if let Some(description) = description {
        text.push_str(&format!("description: {description}\n"));
    }
    text.push_str(&format!("listen: {{ {listen} }}\n"));
    if let Some(access) = access {
        text.push_str(&format!("access: {access}\n"));
    }
    text.push_str(&format!("steps:\n{steps}"));
    text
}

const RETURN: &str = "  - return: {}\n";

fn root() -> Snapshot {
    let ca = Ca::new("clients");
    let server = ca.server("gateway.test");
    let create_order = process(
        "operation: create, object: Order, rest: \"POST /orders/{region}\", input: xml, output: xml, request_profile: order, response_profile: order",
        Some("{ auth: [basic, token], users: [\"role:partners\"] }"),
        "  - decision:\n      if: doc.Order.Id == \"X-0\"\n      then:\n        - exception: { status: 422, message: no }\n      else:\n        - call: check\n        - return: { status: 201 }\n",
        Some("|\n  Accept an order\n  and answer with what was stored"),
    );
    let files = vec![
        ("flowgate.toml", SETTINGS.to_owned()),
        ("certs/server.pem", server.cert),
        ("certs/server.key", server.key),
        ("certs/clients.pem", ca.pem),
        ("profiles/order.xsd", ORDER_XSD.to_owned()),
        ("profiles/item.xsd", ITEM_XSD.to_owned()),
        ("profiles/ack.schema.json", ACK_JSON.to_owned()),
        ("profiles/ack7.schema.json", ACK7_JSON.to_owned()),
        ("profiles/notice.schema.json", NOTICE_JSON.to_owned()),
        (
            "processes/hello.yaml",
            process(
                "operation: get, object: Hello, output: json",
                None,
                RETURN,
                Some("Say hello"),
            ),
        ),
        ("processes/create-order.yaml", create_order),
        (
            "processes/check.yaml",
            "steps:\n  - exception: { status: 409, message: duplicate }\n".to_owned(),
        ),
        (
            "processes/import-orders.yaml",
            process(
                "operation: create, object: Item, input: xml-list, output: json-list, request_profile: item, response_profile: ack7, page_size: 10",
                Some("{ auth: [none, token] }"),
                "  - try:\n      steps:\n        - exception: { status: 418, message: caught }\n      catch:\n        - return: { status: 207 }\n",
                None,
            ),
        ),
        (
            "processes/get-order.yaml",
            process(
                "operation: get, object: Order, rest: \"GET /orders/{id}\", output: json, response_profile: ack",
                Some("{ auth: [mtls] }"),
                RETURN,
                None,
            ),
        ),
        (
            "processes/delete-order.yaml",
            process(
                "operation: delete, object: Order, rest: \"DELETE /orders/{orderId}/\"",
                Some("{ allow_ips: [10.0.0.0/8] }"),
                RETURN,
                Some("Forget an order"),
            ),
        ),
        (
            "processes/upload.yaml",
            process(
                "operation: update, object: File, rest: \"PUT /files/{folder}/{name}\", input: data, output: data, content_type: text/csv",
                Some("{ auth: [basic] }"),
                "  - return: { status: \"{{ 200 + 4 }}\" }\n",
                None,
            ),
        ),
        (
            "processes/notify.yaml",
            process(
                "operation: execute, object: Notice, input: json, request_profile: notice",
                None,
                RETURN,
                None,
            ),
        ),
        (
            "processes/list-items.yaml",
            process(
                "operation: query, object: Item, input: json-list, output: xml-list, response_profile: item, page_size: 2, rest: \"PATCH /items\"",
                None,
                "  - return: { status: 204 }\n  - return: {}\n",
                None,
            ),
        ),
        (
            "processes/get-stock.yaml",
            process(
                "operation: get, object: Stock, output: json",
                None,
                "  - http: { url: \"http://stock.example/levels\" }\n  - return: {}\n",
                Some("Ask the stock service"),
            ),
        ),
        (
            "processes/hidden.yaml",
            process(
                "operation: get, object: Secret, output: json, response_profile: notice",
                None,
                RETURN,
                None,
            ),
        ),
    ];
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let compilation = compile_files(&borrowed);
    compilation.snapshot.unwrap_or_else(|| {
        panic!(
            "the test root compiles:\n{}",
            compilation.diagnostics.render()
        )
    })
}

/// Every process but `hidden`, in reverse order (the order must not matter).
fn visible(snapshot: &Snapshot) -> Vec<ProcessId> {
    let mut ids: Vec<ProcessId> = (0..snapshot.processes.len())
        .map(ProcessId::from_index)
        .filter(|id| &*snapshot.process(*id).name != "hidden")
        .collect();
    ids.reverse();
    ids
}

fn document() -> Value {
    let snapshot = root();
    generate(&snapshot, &visible(&snapshot), BASE_URL)
}

#[test]
fn golden_document() {
    let document = document();
    insta::assert_snapshot!(serde_json::to_string_pretty(&document).unwrap());
}

#[test]
fn the_same_snapshot_gives_the_same_bytes() {
    let snapshot = root();
    let mut ids = visible(&snapshot);
    let first = serde_json::to_string(&generate(&snapshot, &ids, BASE_URL)).unwrap();
    ids.reverse();
    ids.extend(ids.clone());
    let second = serde_json::to_string(&generate(&snapshot, &ids, BASE_URL)).unwrap();
    assert_eq!(first, second);
}

#[test]
fn what_the_caller_may_not_use_is_not_mentioned() {
    let text = document().to_string();
    assert!(!text.contains("Secret"), "{text}");
    assert!(!text.contains("notice\"") || text.contains("executeNotice"));
    let snapshot = root();
    let hidden_only = [snapshot.process_by_name("hidden").unwrap()];
    let alone = generate(&snapshot, &hidden_only, BASE_URL);
    assert!(alone["paths"]["/ws/simple/getSecret"].is_object());
    let none = generate(&snapshot, &[], BASE_URL);
    assert_eq!(none["paths"], json!({}));
    assert!(none.get("components").is_none(), "{none:#}");
    // Ids from another snapshot are ignored, not a panic.
    let stray = generate(&snapshot, &[ProcessId::from_index(999)], BASE_URL);
    assert_eq!(stray["paths"], json!({}));
}

#[test]
fn operation_ids_are_unique() {
    let document = document();
    let mut seen = HashSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let id = operation["operationId"].as_str().unwrap().to_owned();
            assert!(seen.insert(id.clone()), "{id} twice ({method} {path})");
        }
    }
    assert_eq!(seen.len(), 31, "{seen:?}");
}

/// Every `$ref` in the document points at something in it.
#[test]
fn every_reference_resolves() {
    let document = document();
    let mut references = Vec::new();
    collect_refs(&document, &mut references);
    assert!(references.len() > 20);
    for reference in references {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{reference} is not local"));
        assert!(
            document.pointer(pointer).is_some(),
            "{reference} points nowhere"
        );
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match value {
                    Value::String(reference) if key == "$ref" => out.push(reference.clone()),
                    _ => collect_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}

#[test]
fn routes_methods_and_parameters() {
    let document = document();
    let paths = &document["paths"];
    let methods = |path: &str| -> Vec<String> {
        paths[path]
            .as_object()
            .unwrap_or_else(|| panic!("no {path}"))
            .keys()
            .filter(|key| *key != "parameters")
            .cloned()
            .collect()
    };
    assert_eq!(methods("/ws/simple/getHello"), ["get", "post"]);
    assert_eq!(methods("/ws/simple/createOrder"), ["put", "post", "patch"]);
    // `/orders/{id}`, `/orders/{region}` and `/orders/{orderId}/` are one
    // path to the router, written as the least of them.
    assert_eq!(methods("/ws/rest/orders/{id}"), ["get", "post", "delete"]);
    assert_eq!(
        paths["/ws/rest/orders/{id}"]["parameters"],
        json!([{ "name": "id", "in": "path", "required": true, "schema": path_segment_schema() }])
    );
    let file = &paths["/ws/rest/files/{folder}/{name}"]["parameters"];
    assert_eq!(file[1]["name"], "name");
}

#[test]
fn statuses_from_the_steps() {
    let document = document();
    let paths = &document["paths"];
    let statuses = |path: &str, method: &str| -> Vec<String> {
        paths[path][method]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let create = statuses("/ws/rest/orders/{id}", "post");
    // 201 returned, 422 raised, 409 raised by the called process, not 200.
    for status in ["201", "401", "403", "409", "413", "415", "422"] {
        assert!(create.contains(&status.to_owned()), "{status}: {create:?}");
    }
    assert!(!create.contains(&"200".to_owned()));
    let import = statuses("/ws/simple/createItem", "post");
    assert!(import.contains(&"207".to_owned()) && import.contains(&"410".to_owned()));
    // The next page of a route that takes a body: a GET without a token is a 405.
    let next_page = statuses("/ws/simple/createItem", "get");
    assert!(next_page.contains(&"405".to_owned()), "{next_page:?}");
    assert!(!next_page.contains(&"413".to_owned()) && !next_page.contains(&"415".to_owned()));
    assert!(!import.contains(&"418".to_owned()), "caught: {import:?}");
    let upload = statuses("/ws/rest/files/{folder}/{name}", "put");
    assert_eq!(upload.last().map(String::as_str), Some("default"));
    let delete = statuses("/ws/rest/orders/{id}", "delete");
    assert!(delete.contains(&"202".to_owned()) && delete.contains(&"403".to_owned()));
    assert!(!delete.contains(&"401".to_owned()));
    let hello = statuses("/ws/simple/getHello", "post");
    assert!(
        hello.contains(&"405".to_owned()),
        "a body to a process without input"
    );
}

/// Whether an operation lists the empty 200 (no document returned), for
/// a process of these steps: `None` when it lists no 200 at all.
fn empty_answer(input: &str, steps: &str, extra: &[(&str, &str)]) -> Option<bool> {
    let listen = format!("operation: create, object: Thing, input: {input}, output: json");
    let mut files = vec![(
        "processes/thing.yaml".to_owned(),
        process(&listen, None, steps, None),
    )];
    files.extend(
        extra
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned())),
    );
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let compilation = compile_files(&borrowed);
    let snapshot = compilation
        .snapshot
        .unwrap_or_else(|| panic!("{}", compilation.diagnostics.render()));
    let thing = snapshot.process_by_name("thing").unwrap();
    let document = generate(&snapshot, &[thing], BASE_URL);
    let ok = &document["paths"]["/ws/simple/createThing"]["post"]["responses"]["200"];
    (!ok.is_null()).then(|| ok.get("content").is_none())
}

#[test]
fn the_empty_answer_is_listed_where_a_document_can_miss_every_return() {
    let created = "  - return: { status: 201 }\n";
    // Every document reaches a `return` (or an exception): no 200.
    assert_eq!(empty_answer("json", created, &[]), None);
    let caught = "  - try:\n      steps:\n        - exception: { status: 418, message: no }\n      catch:\n        - return: { status: 201 }\n";
    assert_eq!(empty_answer("json", caught, &[]), None);
    let both = "  - decision:\n      if: doc.a\n      then:\n        - return: { status: 201 }\n      else:\n        - exception: { status: 422, message: no }\n";
    assert_eq!(empty_answer("json", both, &[]), None);
    // An empty list runs no step at all.
    assert_eq!(empty_answer("json-list", created, &[]), Some(true));
    // No `return`; a branch without one; `stop`; a `split` that may find
    // nothing; a called process that keeps a document.
    assert_eq!(empty_answer("json", "  - log: hi\n", &[]), Some(true));
    let one_branch =
        "  - decision:\n      if: doc.a\n      then:\n        - return: { status: 201 }\n";
    assert_eq!(empty_answer("json", one_branch, &[]), Some(true));
    let stop = "  - decision:\n      if: doc.a\n      then:\n        - stop: {}\n  - return: { status: 201 }\n";
    assert_eq!(empty_answer("json", stop, &[]), Some(true));
    let split = "  - split: { path: /items }\n  - return: { status: 201 }\n";
    assert_eq!(empty_answer("json", split, &[]), Some(true));
    let call = "  - call: keep\n  - return: { status: 201 }\n";
    let keep = [("processes/keep.yaml", "steps:\n  - log: kept\n")];
    assert_eq!(empty_answer("json", call, &keep), Some(true));
    let hand_back = [("processes/keep.yaml", "steps:\n  - return: {}\n")];
    assert_eq!(empty_answer("json", call, &hand_back), None);
    // A `return` without a status answers 200 with documents: its entry
    // says what they are, content and all.
    let plain = "  - decision:\n      if: doc.a\n      then:\n        - return: {}\n";
    assert_eq!(empty_answer("json", plain, &[]), Some(false));
}

/// The statuses an operation lists for a process of these steps, and the
/// description of its 504.
fn upstream_statuses(steps: &str, extra: &[(&str, &str)]) -> (Vec<String>, String) {
    let listen = "operation: create, object: Thing, input: json, output: json";
    let mut files = vec![(
        "processes/thing.yaml".to_owned(),
        process(listen, None, steps, None),
    )];
    files.extend(
        extra
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned())),
    );
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let compilation = compile_files(&borrowed);
    let snapshot = compilation
        .snapshot
        .unwrap_or_else(|| panic!("{}", compilation.diagnostics.render()));
    let thing = snapshot.process_by_name("thing").unwrap();
    let document = generate(&snapshot, &[thing], BASE_URL);
    let responses = &document["paths"]["/ws/simple/createThing"]["post"]["responses"];
    let timeout = responses["504"]["$ref"].as_str().unwrap_or_default();
    let name = timeout.rsplit('/').next().unwrap_or_default();
    let description = document["components"]["responses"][name]["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let statuses = responses.as_object().unwrap().keys().cloned().collect();
    (statuses, description)
}

#[test]
fn upstream_failures_are_listed_where_an_http_step_can_meet_one() {
    let http =
        |indent: &str| format!("{indent}- http: {{ url: \"http://stock.example/items\" }}\n");
    let calls_out = [(
        "processes/stock.yaml",
        "steps:\n  - http: { url: \"http://stock.example/items\" }\n  - return: {}\n",
    )];
    let listed = |steps: &str, extra: &[(&str, &str)]| {
        let (statuses, timeout) = upstream_statuses(steps, extra);
        let has_502 = statuses.contains(&"502".to_owned());
        assert!(statuses.contains(&"504".to_owned()), "{statuses:?}");
        assert_eq!(
            has_502,
            timeout.contains("upstream-timeout"),
            "the 504 says upstream exactly when 502 is listed: {timeout}"
        );
        has_502
    };
    let steps = format!("{}  - return: {{}}\n", http("  "));
    assert!(listed(&steps, &[]), "a step of the process");
    let decision = format!(
        "  - decision:\n      if: doc.a\n      then:\n{}  - return: {{}}\n",
        http("        ")
    );
    assert!(listed(&decision, &[]), "inside a decision");
    let branch = "  - branch:\n      - - log: one\n      - - http: { url: \"http://stock.example/items\" }\n  - return: {}\n";
    assert!(listed(branch, &[]), "inside a branch");
    let retried = format!(
        "  - try:\n      retries: 2\n      steps:\n{}  - return: {{}}\n",
        http("        ")
    );
    assert!(listed(&retried, &[]), "a try without a catch");
    let caught = format!(
        "  - try:\n      steps:\n{}      catch:\n        - return: {{ status: 200 }}\n",
        http("        ")
    );
    assert!(!listed(&caught, &[]), "a try whose catch answers");
    let in_catch = format!(
        "  - try:\n      steps:\n        - log: first\n      catch:\n{}  - return: {{}}\n",
        http("        ")
    );
    assert!(listed(&in_catch, &[]), "inside a catch");
    let call = "  - call: stock\n  - return: {}\n";
    assert!(listed(call, &calls_out), "through a call");
    let caught_call =
        "  - try:\n      steps:\n        - call: stock\n      catch:\n        - return: {}\n";
    assert!(
        !listed(caught_call, &calls_out),
        "a call whose failure is caught"
    );
    // Called inside a caught try first, then outside one.
    let both = format!("{caught_call}  - call: stock\n");
    assert!(listed(&both, &calls_out), "a call outside the try too");
    assert!(!listed("  - return: {}\n", &[]), "no http step");
}

#[test]
fn security_lists_the_ways_in() {
    let document = document();
    let paths = &document["paths"];
    assert_eq!(
        paths["/ws/rest/orders/{id}"]["post"]["security"],
        json!([{ "basic": [] }, { "bearer": [] }, { "apiKey": [] }])
    );
    assert_eq!(
        paths["/ws/simple/createItem"]["post"]["security"],
        json!([{ "bearer": [] }, { "apiKey": [] }, {}])
    );
    assert_eq!(
        paths["/ws/rest/orders/{id}"]["get"]["security"],
        json!([{ "mutualTLS": [] }])
    );
    assert!(
        paths["/ws/simple/getHello"]["get"]
            .get("security")
            .is_none()
    );
    let schemes: Vec<&String> = document["components"]["securitySchemes"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(schemes, ["basic", "bearer", "apiKey", "mutualTLS"]);
}

#[test]
fn json_profiles_keep_valid_references_in_components() {
    let document = document();
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["ack"]["properties"]["lines"]["items"]["$ref"],
        "#/components/schemas/ack/$defs/line"
    );
    assert!(schemas["ack"].get("$id").is_none());
    let ack7 = &schemas["ack7"];
    assert!(ack7.get("$schema").is_none());
    assert_eq!(
        ack7["properties"]["status"],
        json!({ "$ref": "#/components/schemas/ack7/definitions/status", "description": "kept" })
    );
    assert_eq!(
        ack7["properties"]["self"]["$ref"],
        "#/components/schemas/ack7"
    );
    let pair = &ack7["definitions"]["pair"];
    assert_eq!(pair["prefixItems"][1], json!({ "type": "number" }));
    assert_eq!(pair["items"], json!(false));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A REST path parameter's schema admits exactly the segments the
        /// server lets through (sent percent-encoded, decoded once).
        #[test]
        fn path_parameters_admit_what_the_guard_lets_through(
            segment in "[a./\\\\%\u{0}\u{1f}\u{7f}\u{80}\u{9f}\u{a0}é]{1,4}|\\PC{1,8}"
        ) {
            let encoded: String = segment.bytes().map(|b| format!("%{b:02X}")).collect();
            let passes = crate::server::guard::normalize_path(&format!("/ws/rest/orders/{encoded}")).is_ok();
            let schema = jsonschema::draft202012::new(&path_segment_schema()).unwrap();
            prop_assert_eq!(schema.is_valid(&json!(segment)), passes, "{:?}", segment);
        }
    }
}
