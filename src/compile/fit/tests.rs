use super::*;

const INVOICE_XSD: &str = r##"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Invoice">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Customer" type="xs:string"/>
        <xs:choice>
          <xs:element name="Card" type="xs:string"/>
          <xs:sequence>
            <xs:element name="Iban" type="xs:string"/>
            <xs:element name="Bic" type="xs:string" minOccurs="0"/>
          </xs:sequence>
        </xs:choice>
        <xs:element name="Line" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:sequence><xs:element name="Note" type="xs:string" minOccurs="0"/></xs:sequence>
            <xs:attribute name="sku" type="xs:string" use="required"/>
            <xs:attribute name="qty" type="xs:int"/>
          </xs:complexType>
        </xs:element>
        <xs:element name="Total">
          <xs:complexType>
            <xs:simpleContent>
              <xs:extension base="xs:decimal">
                <xs:attribute name="currency" type="xs:string"/>
              </xs:extension>
            </xs:simpleContent>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
      <xs:attribute name="number" type="xs:string" use="required"/>
    </xs:complexType>
  </xs:element>
</xs:schema>"##;

/// Each misfit as `line:column message (hint)`, for the shape in YAML.
fn check(profile: &Profile, yaml: &str) -> Vec<String> {
    let (shape, _) = crate::config::Format::Yaml
        .parse(yaml)
        .expect("the shape is YAML");
    misfits(profile, &shape)
        .into_iter()
        .map(|m| {
            let before = &yaml[..m.span.range().start];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            match m.hint {
                Some(hint) => format!("{line}:{column} {} ({hint})", m.message),
                None => format!("{line}:{column} {}", m.message),
            }
        })
        .collect()
}

#[test]
fn a_shape_that_fits_its_xsd_has_no_misfit() {
    let profile = Profile::from_xsd("p", INVOICE_XSD);
    let shape = r##"
Invoice:
  "@number": "{{ doc.id }}"
  Customer: "{{ doc.customer }}"
  Iban: DE00
  Line:
    $for: line in doc.lines
    "@sku": "{{ line.sku }}"
    Note: "{{ line.note }}"
  Total:
    "@currency": EUR
    "#text": "{{ doc.total }}"
"##;
    assert_eq!(check(&profile, shape), Vec::<String>::new());
    // Either side of the choice does; leaves and `$value` are not judged.
    let card =
        "Invoice: { '@number': x, Customer: c, Card: '{{ c }}', Total: { $value: '{{ t }}' } }";
    assert_eq!(check(&profile, card), Vec::<String>::new());
    assert_eq!(check(&profile, "'{{ doc }}'"), Vec::<String>::new());
    assert_eq!(
        check(&profile, "Invoice: '{{ doc.Invoice }}'"),
        Vec::<String>::new()
    );
}

#[test]
fn keys_without_a_place_in_the_xsd_are_named_with_what_fits() {
    let profile = Profile::from_xsd("p", INVOICE_XSD);
    let shape = r##"
Invoice:
  "@numbr": x
  Customr: c
  Card: x
  sku: x
  "#text": x
  Line:
    - { "@sku": a, Qty: 1 }
  Total: { Amount: 1 }
"##;
    assert_eq!(
        check(&profile, shape),
        [
            "3:3 `Invoice` has no attribute `numbr` (did you mean `@number`?)",
            "4:3 `Invoice` has no element `Customr` (did you mean `Customer`?)",
            "6:3 `Invoice` has no element `sku`",
            "7:3 `Invoice` holds no text of its own (`#text`)",
            "9:20 `Line` has no element `Qty`",
            "10:12 `Total` has no element `Amount`: it holds text (`#text`) and attributes",
            "2:1 `Invoice` lacks `@number`, `Customer`, which profile `p` requires",
        ]
    );
    let line = "Invoice: { '@number': x, Customer: c, Card: x, Total: 1, Line: { sku: a } }";
    assert_eq!(
        check(&profile, line),
        [
            "1:66 `Line` has no element `sku` (`sku` is an attribute: write it as `@sku`)",
            "1:58 `Line` lacks `@sku`, which profile `p` requires",
        ]
    );
    let simple = "Invoice: { '@number': x, Customer: { Name: c }, Card: x, Total: 1 }";
    assert_eq!(
        check(&profile, simple),
        [
            "1:38 `Customer` holds a single value in profile `p`, not keys: give it a template or `$value`"
        ]
    );
}

#[test]
fn constant_leaves_are_held_against_their_simple_types() {
    let profile = Profile::from_xsd("p", INVOICE_XSD);
    let shape = r##"
Invoice:
  "@number": 17
  Customer: 12
  Card: "{{ 'many' }}"
  Line:
    - { "@sku": a, "@qty": many }
    - { "@sku": b, "@qty": { $value: 2.5 } }
    - oops
    - ""
  Total: { "@currency": EUR, "#text": abc }
"##;
    assert_eq!(
        check(&profile, shape),
        [
            r#"7:28 the attribute `qty` of `Line` in profile `p` cannot be this constant: "many" is not an integer"#,
            "8:38 the attribute `qty` of `Line` in profile `p` cannot be this constant: 2.5 is not an integer",
            r#"9:7 `Line` holds elements or attributes in profile `p`: give it keys, not "oops""#,
            r#"11:39 the text of `Total` in profile `p` cannot be this constant: "abc" is not a decimal number"#,
        ]
    );
    // As the writer makes them: 1.5e3 is written 1500, and true is no number.
    let total = "Invoice: { '@number': x, Customer: c, Card: 1.5e3, Total: true }";
    assert_eq!(
        check(&profile, total),
        [r#"1:59 `Total` in profile `p` cannot be this constant: "true" is not a decimal number"#]
    );
}

#[test]
fn a_constant_for_a_fixed_attribute_or_element_must_be_its_value() {
    let profile = Profile::from_xsd(
        "p",
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Order"><xs:complexType>
    <xs:sequence><xs:element name="Kind" type="xs:string" fixed="std" minOccurs="0"/></xs:sequence>
    <xs:attribute name="version" type="xs:decimal" fixed="1.0"/>
  </xs:complexType></xs:element></xs:schema>"#,
    );
    let fits = "Order: { '@version': 1, Kind: '' }";
    assert_eq!(check(&profile, fits), [] as [&str; 0]);
    assert_eq!(
        check(&profile, "Order: { Kind: exp }"),
        [r#"1:16 `Kind` in profile `p`: "exp" is not the fixed value "std""#]
    );
    assert_eq!(
        check(&profile, "Order: { '@version': 2.5 }"),
        [
            r#"1:22 the attribute `version` of `Order` in profile `p`: "2.5" is not the fixed value "1.0""#
        ]
    );
}

#[test]
fn a_constant_the_file_typed_as_a_number_is_told_to_be_quoted() {
    let profile = Profile::from_xsd(
        "p",
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Zip"><xs:simpleType><xs:restriction base="xs:string">
    <xs:pattern value="[0-9]{5}"/></xs:restriction></xs:simpleType></xs:element>
</xs:schema>"#,
    );
    assert_eq!(
        check(&profile, "Zip: 01234"),
        [concat!(
            r#"1:6 `Zip` in profile `p` cannot be this constant: "1234" does not match the pattern "[0-9]{5}" "#,
            "(this is read as a number or a boolean, not as the text written: put it in quotes to keep it as text)"
        )]
    );
    assert_eq!(check(&profile, "Zip: '01234'"), Vec::<String>::new());
    let json = Profile::from_json_schema(
        "p",
        r#"{ "properties": { "zip": { "type": "string" }, "price": { "const": "1.10" } } }"#,
    );
    assert_eq!(
        check(&json, "zip: 01234\nprice: 1.10"),
        [
            "1:6 profile `p` wants `string` here, and this is always 1234 (this is read as a number or a boolean, not as the text written: put it in quotes to keep it as text)",
            r#"2:8 profile `p` wants "1.10" here, and this is always 1.1 (this is read as a number or a boolean, not as the text written: put it in quotes to keep it as text)"#,
        ]
    );
}

#[test]
fn the_document_element_is_the_one_key_of_an_xml_shape() {
    let profile = Profile::from_xsd("p", INVOICE_XSD);
    assert_eq!(
        check(&profile, "'@number': x\nCustomer: c\nCard: x\nTotal: 1\n"),
        [
            "1:1 a `map` to the XML profile `p` is a map holding its document element `Invoice` (write these keys under `Invoice:`)"
        ]
    );
    // One of them misspelled, the rest still says where they belong.
    assert_eq!(
        check(&profile, "Customr: c\nTotal: 1\n"),
        [
            "1:1 a `map` to the XML profile `p` is a map holding its document element `Invoice` (write these keys under `Invoice:`)"
        ]
    );
    assert_eq!(
        check(&profile, "Order: { Id: 1 }"),
        ["1:1 a `map` to the XML profile `p` is a map holding its document element `Invoice`"]
    );
    assert_eq!(
        check(
            &profile,
            "Invoice: { '@number': x, Customer: c, Card: x, Total: 1 }\nExtra: 1"
        ),
        [
            "2:1 the document element of profile `p` is `Invoice`: there is no place for `Extra` beside it"
        ]
    );
    assert_eq!(
        check(&profile, "$for: x in docs\nInvoice: '{{ x }}'"),
        [
            "1:1 a `map` to the XML profile `p` builds one document: a map holding `Invoice`, not a list"
        ]
    );
}

#[test]
fn a_name_declared_twice_is_not_followed() {
    // `Part` is declared with two types: what is below it is not judged.
    let profile = Profile::from_xsd(
        "p",
        r##"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Kit">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Part" type="xs:string"/>
        <xs:element name="Part"><xs:complexType><xs:sequence>
          <xs:element name="Id" type="xs:string"/>
        </xs:sequence></xs:complexType></xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>"##,
    );
    assert_eq!(
        check(&profile, "Kit: { Part: [a, { Id: b }] }"),
        Vec::<String>::new()
    );
}

const ACK_SCHEMA: &str = r##"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "id": { "type": "string" },
    "lines": { "type": "array", "items": { "$ref": "#/$defs/line" } },
    "meta": { "type": "object" },
    "tags": { "type": "array", "items": { "type": "string" } }
  },
  "required": ["id", "lines"],
  "additionalProperties": false,
  "$defs": {
    "line": {
      "type": "object",
      "properties": { "sku": { "type": "string" }, "qty": { "type": "integer" } },
      "required": ["sku"],
      "additionalProperties": false
    }
  }
}"##;

#[test]
fn a_shape_that_fits_its_json_schema_has_no_misfit() {
    let profile = Profile::from_json_schema("p", ACK_SCHEMA);
    let shape = r##"
id: "{{ doc.id }}"
lines:
  $for: line in doc.lines
  sku: "{{ line.sku }}"
  qty: "{{ line.qty }}"
meta: { anything: goes }
tags: [a, "{{ b }}"]
"##;
    assert_eq!(check(&profile, shape), Vec::<String>::new());
    assert_eq!(
        check(&profile, "id: x\nlines: '{{ doc.lines }}'"),
        Vec::<String>::new()
    );
}

#[test]
fn json_keys_and_kinds_the_schema_refuses_are_named() {
    let profile = Profile::from_json_schema("p", ACK_SCHEMA);
    let shape = r##"
id: x
ident: y
lines:
  - { sku: a, quantity: 1 }
  - $for: l in doc.lines
    qty: 1
tags: { first: a }
"##;
    assert_eq!(
        check(&profile, shape),
        [
            "3:1 profile `p` has no property `ident` here (did you mean `id`?)",
            "5:15 profile `p` has no property `quantity` here",
            "6:5 this object lacks `sku`, which profile `p` requires",
            "8:1 profile `p` wants `array` here, and this builds an object",
        ]
    );
    assert_eq!(
        check(&profile, "lines: []"),
        ["1:1 this object lacks `id`, which profile `p` requires"]
    );
    assert_eq!(
        check(&profile, "id: { $for: x in y, a: 1 }\nlines: []"),
        ["1:1 profile `p` wants `string` here, and this builds a list (`$for`)"]
    );
}

#[test]
fn constant_json_leaves_are_held_against_type_enum_and_const() {
    let profile = Profile::from_json_schema(
        "p",
        r#"{
          "type": "object",
          "properties": {
            "status": { "enum": ["accepted", "review"] },
            "qty": { "type": "integer" },
            "kind": { "const": "ack" },
            "total": { "type": ["number", "null"] },
            "ratio": { "const": 1 },
            "tags": { "type": "array", "items": { "type": "integer" } }
          }
        }"#,
    );
    // A `$for` with a constant `$value` builds a list of it.
    let fits = "status: review\nqty: 2.0\nkind: ack\ntotal: ~\nratio: 1.0\ntags: { $for: x in y, $value: 1 }\n";
    assert_eq!(check(&profile, fits), Vec::<String>::new());
    let shape = r##"
status: Accepted
qty: { $value: 2.5 }
kind: nak
total: "12"
ratio: "{{ 2 }}"
"##;
    assert_eq!(
        check(&profile, shape),
        [
            r#"2:9 profile `p` wants one of ["accepted","review"] here, and this is always "Accepted" (did you mean `accepted`?)"#,
            "3:16 profile `p` wants `integer` here, and this is always 2.5",
            r#"4:7 profile `p` wants "ack" here, and this is always "nak""#,
            r#"5:8 profile `p` wants ["number","null"] here, and this is always "12""#,
        ]
    );
}

#[test]
fn constant_json_leaves_are_held_against_bounds_lengths_patterns_and_formats() {
    let profile = Profile::from_json_schema(
        "p",
        r##"{
          "type": "object",
          "properties": {
            "qty": { "type": "integer", "minimum": 1 },
            "code": { "type": "string", "pattern": "^[A-Z]{2}$" },
            "zip": { "type": "string", "minLength": 5 },
            "due": { "type": "string", "format": "date" },
            "line": { "$ref": "#/$defs/line" }
          },
          "$defs": { "line": { "type": "number", "multipleOf": 0.5 } }
        }"##,
    );
    let fits = "qty: 1\ncode: DE\nzip: '01234'\ndue: '2026-11-30'\nline: 2.5\n";
    assert_eq!(check(&profile, fits), Vec::<String>::new());
    let shape = "qty: 0\ncode: de\nzip: '0123'\ndue: tomorrow\nline: 0.3\n";
    assert_eq!(
        check(&profile, shape),
        [
            "1:6 profile `p` refuses this constant: 0 is too small: the least allowed is 1",
            r#"2:7 profile `p` refuses this constant: "de" does not match "^[A-Z]{2}$""#,
            r#"3:6 profile `p` refuses this constant: "0123" is shorter than 5 characters"#,
            r#"4:6 profile `p` refuses this constant: "tomorrow" is not a "date""#,
            "5:7 profile `p` refuses this constant: 0.3 is not a multiple of 0.5",
        ]
    );
}

#[test]
fn open_json_schemas_take_any_key() {
    // No `additionalProperties: false`, or pattern properties beside it: any key may fit.
    let open = Profile::from_json_schema(
        "p",
        r##"{ "type": "object", "properties": { "a": { "type": "string" } } }"##,
    );
    assert_eq!(check(&open, "b: 1"), Vec::<String>::new());
    let patterned = Profile::from_json_schema(
        "p",
        r##"{ "type": "object", "patternProperties": { "^x-": {} }, "additionalProperties": false }"##,
    );
    assert_eq!(check(&patterned, "x-b: 1"), Vec::<String>::new());
    // A reference that is not a local pointer is not followed.
    let remote = Profile::from_json_schema(
        "p",
        r##"{ "type": "object", "properties": { "a": { "$ref": "#anchor" } },
             "$defs": { "d": { "$anchor": "anchor", "type": "object", "additionalProperties": false } } }"##,
    );
    assert_eq!(check(&remote, "a: { b: 1 }"), Vec::<String>::new());
}

/// A JSON value as a YAML scalar that builds it.
fn yaml_scalar(value: &Json) -> String {
    match value {
        Json::Null => "~".to_owned(),
        Json::String(text) => format!("{text:?}"),
        Json::Number(n) if n.is_f64() => format!("{:?}", n.as_f64().unwrap_or_default()),
        other => other.to_string(),
    }
}

fn scalar() -> impl proptest::strategy::Strategy<Value = Json> {
    use proptest::prelude::*;
    prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        (-3i64..3).prop_map(Json::from),
        prop_oneof![Just(-1.0), Just(0.0), Just(2.0), Just(2.5)].prop_map(Json::from),
        prop_oneof![Just("a"), Just("b"), Just("2"), Just("")].prop_map(Json::from),
    ]
}

fn keyword() -> impl proptest::strategy::Strategy<Value = Json> {
    use proptest::prelude::*;
    let types = [
        "null", "boolean", "integer", "number", "string", "array", "object",
    ];
    prop_oneof![
        proptest::sample::select(types.to_vec()).prop_map(|t| serde_json::json!({ "type": t })),
        proptest::sample::subsequence(types.to_vec(), 1..3)
            .prop_map(|t| serde_json::json!({ "type": t })),
        proptest::collection::vec(scalar(), 1..4).prop_map(|e| serde_json::json!({ "enum": e })),
        scalar().prop_map(|c| serde_json::json!({ "const": c })),
        (-2i64..3).prop_map(|n| serde_json::json!({ "minimum": n })),
        (-2i64..3).prop_map(|n| serde_json::json!({ "exclusiveMaximum": n })),
        prop_oneof![Just(0.5), Just(2.0)].prop_map(|n| serde_json::json!({ "multipleOf": n })),
        (0u64..3).prop_map(|n| serde_json::json!({ "minLength": n })),
        (0u64..2).prop_map(|n| serde_json::json!({ "maxLength": n })),
        prop_oneof![Just("^[a-z]$"), Just("[0-9]")]
            .prop_map(|p| serde_json::json!({ "pattern": p })),
        prop_oneof![Just("date"), Just("email")].prop_map(|f| serde_json::json!({ "format": f })),
    ]
}

proptest::proptest! {
    /// A constant leaf is reported exactly when jsonschema refuses it.
    #[test]
    fn constant_json_leaves_are_judged_as_jsonschema_judges_them(
        value in scalar(),
        schema in keyword(),
    ) {
        let document = serde_json::json!({ "type": "object", "properties": { "x": schema } });
        let profile = Profile::from_json_schema("p", &document.to_string());
        let misfits = check(&profile, &format!("x: {}", yaml_scalar(&value)));
        // Formats are checked, as profiles check them (see `JsonProfile::compile`).
        let valid = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .map(|validator| validator.is_valid(&value));
        let valid = valid.unwrap_or(false);
        proptest::prop_assert_eq!(misfits.is_empty(), valid, "{} for {}: {:?}", value, schema, misfits);
    }
}

/// A list given for an element of a list type is its items (or, where it
/// repeats, occurrences of one item each): each constant is held against
/// the item type; a text constant is the whole list.
#[test]
fn constants_of_a_list_type_are_held_against_its_items() {
    let profile = Profile::from_xsd(
        "p",
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Kit"><xs:complexType><xs:sequence>
    <xs:element name="Sizes"><xs:simpleType><xs:list itemType="xs:int"/></xs:simpleType></xs:element>
  </xs:sequence></xs:complexType></xs:element></xs:schema>"#,
    );
    assert_eq!(check(&profile, "Kit: { Sizes: [1, 2] }"), [] as [&str; 0]);
    assert_eq!(check(&profile, "Kit: { Sizes: '1 2' }"), [] as [&str; 0]);
    assert_eq!(
        check(&profile, "Kit: { Sizes: [1, x] }"),
        [
            r#"1:19 an item of `Sizes` in profile `p` cannot be this constant: "x" is not an integer"#
        ]
    );
    assert_eq!(
        check(&profile, "Kit: { Sizes: '1 x' }"),
        [r#"1:15 `Sizes` in profile `p` cannot be this constant: item 2: "x" is not an integer"#]
    );
}

/// An `xs:anyAttribute` that `write` can fill takes attributes of any name;
/// a strict one, or one for other namespaces only, takes none.
#[test]
fn an_open_attribute_wildcard_takes_any_attribute_key() {
    let profile = Profile::from_xsd(
        "p",
        r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Tag">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Strict"><xs:complexType><xs:anyAttribute/></xs:complexType></xs:element>
        <xs:element name="Other">
          <xs:complexType><xs:anyAttribute namespace="##other" processContents="lax"/></xs:complexType>
        </xs:element>
      </xs:sequence>
      <xs:anyAttribute processContents="skip"/>
    </xs:complexType>
  </xs:element>
</xs:schema>"###,
    );
    let shape = r###"
Tag:
  "@color": red
  Strict: { "@size": 1 }
  Other: { "@size": 1 }
"###;
    assert_eq!(
        check(&profile, shape),
        [
            "4:13 `Strict` has no attribute `size`",
            "5:12 `Other` has no attribute `size`",
        ]
    );
}

/// Keys no child declares fit where an `xs:any` admits elements in no
/// namespace, where `write` gives them; not where it admits others only.
#[test]
fn an_element_wildcard_takes_undeclared_keys_in_no_namespace() {
    let profile = Profile::from_xsd(
        "p",
        r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Box">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Id" type="xs:int"/>
        <xs:element name="Other">
          <xs:complexType>
            <xs:sequence><xs:any namespace="urn:x" minOccurs="0"/></xs:sequence>
          </xs:complexType>
        </xs:element>
        <xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>"###,
    );
    let shape = r##"
Box:
  Id: 1
  Color: red
  Other: { Color: red }
"##;
    assert_eq!(
        check(&profile, shape),
        ["5:12 `Other` has no element `Color`"]
    );
}

/// A mixed element takes `#text` beside its children.
#[test]
fn a_mixed_element_takes_text() {
    let profile = Profile::from_xsd(
        "p",
        r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Note">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Body">
          <xs:complexType mixed="true">
            <xs:sequence><xs:element name="b" type="xs:string" minOccurs="0"/></xs:sequence>
          </xs:complexType>
        </xs:element>
        <xs:element name="Plain">
          <xs:complexType><xs:sequence><xs:element name="b" type="xs:string"/></xs:sequence></xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>"###,
    );
    let shape = r##"
Note:
  Body: { "#text": "hello", b: x }
  Plain: { "#text": "hello", b: x }
"##;
    assert_eq!(
        check(&profile, shape),
        ["4:12 `Plain` holds no text of its own (`#text`)"]
    );
}
