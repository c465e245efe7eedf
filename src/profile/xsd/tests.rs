//! Tests of XML profiles: compiled outlines and diagnostics (golden
//! files), reading, writing, the write→read property, and hostile input.
//!
//! Fixture schemas live in `fixtures/`, loaded as `profiles/<path>`.

use std::sync::Arc;

use minijinja::Value;

use super::*;
use crate::diag::SourceFile;
use crate::profile::ReadError;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/profile/xsd/fixtures");

fn load(paths: &[&str]) -> Vec<Arc<SourceFile>> {
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(format!("{FIXTURES}/{path}"))
                .unwrap_or_else(|e| panic!("fixture {path}: {e}"));
            SourceFile::new(format!("profiles/{path}"), text)
        })
        .collect()
}

/// Compiles fixture files that must compile without errors; returns the named profile.
fn fixture(paths: &[&str], name: &str) -> Arc<XmlProfile> {
    let (profiles, diagnostics) = compile(&load(paths));
    assert!(!diagnostics.has_errors(), "{}", diagnostics.render());
    profiles
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("no profile {name}"))
}

fn order() -> Arc<XmlProfile> {
    fixture(&["order.xsd"], "order")
}

fn shapes() -> Arc<XmlProfile> {
    fixture(&["shapes.xsd"], "shapes")
}

fn envelope() -> Arc<XmlProfile> {
    fixture(&["ns/main.xsd", "ns/common.xsd", "ns/part.xsd"], "main")
}

fn note() -> Arc<XmlProfile> {
    fixture(&["ns/default.xsd"], "default")
}

/// One optional element of each supported built-in type, primitive and
/// derived, so the property tests meet every type as it is added; the
/// `ID` element is required and not nillable, so the `IDREF` after it has
/// one to name. The others are nillable, and may repeat.
fn every_built_in_type() -> Arc<XmlProfile> {
    let mut xsd = String::from(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="Types"><xs:complexType><xs:sequence>"#,
    );
    let names = BuiltIn::ALL
        .iter()
        .map(|builtin| builtin.name())
        .chain(simple::DERIVED_BUILTINS.iter().map(|derived| derived.name));
    for name in names {
        let occurs = if name == "ID" {
            r#"minOccurs="1""#
        } else {
            r#"minOccurs="0" maxOccurs="2" nillable="true""#
        };
        xsd.push_str(&format!(
            r#"<xs:element name="{name}" type="xs:{name}" {occurs}/>"#
        ));
    }
    xsd.push_str("</xs:sequence></xs:complexType></xs:element></xs:schema>");
    let (profile, diagnostics) = compile_one(&xsd);
    profile.unwrap_or_else(|| panic!("{}", diagnostics.render()))
}

/// Named groups, attribute groups and complex-content extension, across files.
fn invoice() -> Arc<XmlProfile> {
    fixture(
        &[
            "derived/invoice.xsd",
            "derived/parties.xsd",
            "derived/codes.xsd",
        ],
        "invoice",
    )
}

/// [`compile_one`] of a schema that compiles without a diagnostic.
fn compile_clean(xsd: &str) -> Arc<XmlProfile> {
    let (profile, diagnostics) = compile_one(xsd);
    assert!(diagnostics.is_empty(), "{}", diagnostics.render());
    profile.expect("compiles")
}

/// Compiles one schema given as text, as `profiles/test.xsd`.
fn compile_one(xsd: &str) -> (Option<Arc<XmlProfile>>, Diagnostics) {
    let (profiles, diagnostics) = compile(&[SourceFile::new("profiles/test.xsd", xsd.to_owned())]);
    (profiles.into_iter().next().map(|(_, p)| p), diagnostics)
}

fn limits() -> XmlLimits {
    XmlLimits::default()
}

/// A value in Debug form, which keeps map order.
fn show(value: &Value) -> String {
    format!("{value:?}")
}

fn read_ok(profile: &XmlProfile, text: &str) -> String {
    match profile.read(text, &limits()) {
        Ok(value) => show(&value),
        Err(violations) => panic!("unexpected violations {violations:#?} for {text}"),
    }
}

fn read_err(profile: &XmlProfile, text: &str) -> Vec<String> {
    match profile.read(text, &limits()) {
        Ok(value) => panic!("expected violations, got {}", show(&value)),
        Err(error) => error
            .into_violations()
            .iter()
            .map(ToString::to_string)
            .collect(),
    }
}

fn value(json: &str) -> Value {
    let parsed: serde_json::Value = match serde_json::from_str(json) {
        Ok(parsed) => parsed,
        Err(e) => panic!("bad test JSON {json}: {e}"),
    };
    from_json(&parsed)
}

fn from_json(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::from(()),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => Value::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(items) => {
            Value::from(items.iter().map(from_json).collect::<Vec<_>>())
        }
        serde_json::Value::Object(map) => Value::from_pairs(
            map.iter()
                .map(|(k, v)| (Value::from(k.as_str()), from_json(v))),
        ),
    }
}

const ORDER_DOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Order xmlns="urn:example:order" version="2" channel="  partner
  api ">
  <Id>AB-12345</Id>
  <Customer>
    <Name>Ada Lovelace</Name>
  </Customer>
  <Lines>
    <Line no="1">
      <Sku>ABC-1</Sku>
      <Qty> 3 </Qty>
      <Price currency="EUR">12.50</Price>
    </Line>
    <Line no="2">
      <Sku>GIFT</Sku>
      <Qty>1</Qty>
      <Price currency="USD">0</Price>
      <Note>  wrap it  </Note>
    </Line>
  </Lines>
  <Total>37.50</Total>
  <Paid>1</Paid>
  <OrderDate>2024-02-29</OrderDate>
  <Invoice days="30"/>
</Order>
"#;

// --- compiled forms

#[test]
fn order_outline() {
    insta::assert_snapshot!("order_outline", order().to_string());
}

#[test]
fn shapes_outline() {
    insta::assert_snapshot!("shapes_outline", shapes().to_string());
}

#[test]
fn namespaces_outline() {
    insta::assert_snapshot!("namespaces_outline", envelope().to_string());
    insta::assert_snapshot!("default_namespace_outline", note().to_string());
}

#[test]
fn groups_and_extensions_outline() {
    insta::assert_snapshot!("invoice_outline", invoice().to_string());
}

#[test]
fn every_missing_element_of_a_sequence_is_named() {
    let (profile, diagnostics) = compile_one(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:element name="C"><xs:complexType><xs:sequence>
  <xs:element name="Name" type="xs:string"/>
  <xs:element name="Email" type="xs:string" minOccurs="0"/>
  <xs:element name="Active" type="xs:boolean"/>
  <xs:element name="Since" type="xs:date"/>
</xs:sequence></xs:complexType></xs:element>
</xs:schema>"#,
    );
    let profile = profile.unwrap_or_else(|| panic!("{}", diagnostics.render()));
    let violations = |doc: &str| match profile.read(doc, &limits()) {
        Err(ReadError::Invalid(violations)) => violations
            .into_iter()
            .map(|v| format!("{}: {}", v.path, v.message))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        violations("<C><Name>A</Name></C>"),
        ["/C: missing elements `Active`, `Since`"]
    );
    assert_eq!(
        violations("<C><Name>A</Name><Active>true</Active></C>"),
        ["/C: missing element `Since`"]
    );
    assert_eq!(
        violations("<C/>"),
        ["/C: missing elements `Name`, `Active`, `Since`"]
    );
}

#[test]
fn a_restriction_only_narrows_its_base() {
    let schema = |types: &str, element_type: &str| {
        format!(
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
{types}
<xs:element name="R" type="{element_type}"/>
</xs:schema>"#
        )
    };
    let short = r#"<xs:simpleType name="Short"><xs:restriction base="xs:string"><xs:minLength value="2"/><xs:maxLength value="3"/></xs:restriction></xs:simpleType>"#;
    let small = r#"<xs:simpleType name="Small"><xs:restriction base="xs:int"><xs:minInclusive value="1"/><xs:maxExclusive value="10"/></xs:restriction></xs:simpleType>"#;
    let digits = r#"<xs:simpleType name="Money"><xs:restriction base="xs:decimal"><xs:totalDigits value="6"/><xs:fractionDigits value="2"/></xs:restriction></xs:simpleType>"#;
    let cases = [
        (
            short,
            "xs:maxLength value=\"10\"",
            "xs:maxLength 10 is wider than the base type's maxLength 3",
        ),
        (
            short,
            "xs:minLength value=\"1\"",
            "xs:minLength 1 is wider than the base type's minLength 2",
        ),
        (
            short,
            "xs:length value=\"4\"",
            "xs:length 4 is wider than the base type's maxLength 3",
        ),
        (
            small,
            "xs:maxInclusive value=\"10\"",
            "xs:maxInclusive 10 is wider than the base type's maxExclusive 10",
        ),
        (
            small,
            "xs:minExclusive value=\"-1\"",
            "xs:minExclusive -1 is wider than the base type's minInclusive 1",
        ),
        (
            digits,
            "xs:fractionDigits value=\"3\"",
            "xs:fractionDigits 3 is wider than the base type's fractionDigits 2",
        ),
    ];
    for (base_type, facet, message) in cases {
        let base = base_type.split('"').nth(1).unwrap();
        let derived = format!(
            r#"<xs:simpleType name="D"><xs:restriction base="{base}"><{facet}/></xs:restriction></xs:simpleType>"#
        );
        let (profile, diagnostics) = compile_one(&schema(&format!("{base_type}{derived}"), "D"));
        let rendered = diagnostics.render();
        assert!(profile.is_none(), "{facet}: {rendered}");
        assert!(rendered.contains(message), "{facet}: {rendered}");
    }
    // Narrower, or the same, is fine.
    for (base_type, facet) in [
        (short, "xs:maxLength value=\"3\""),
        (short, "xs:length value=\"2\""),
        (small, "xs:maxInclusive value=\"9\""),
        (small, "xs:maxExclusive value=\"10\""),
        (small, "xs:minExclusive value=\"1\""),
        (digits, "xs:totalDigits value=\"4\""),
    ] {
        let base = base_type.split('"').nth(1).unwrap();
        let derived = format!(
            r#"<xs:simpleType name="D"><xs:restriction base="{base}"><{facet}/></xs:restriction></xs:simpleType>"#
        );
        let (profile, diagnostics) = compile_one(&schema(&format!("{base_type}{derived}"), "D"));
        assert!(profile.is_some(), "{facet}: {}", diagnostics.render());
    }
}

#[test]
fn derived_built_in_types_are_their_restrictions() {
    let xsd = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:element name="R"><xs:complexType><xs:sequence>
  <xs:element name="Count" type="xs:positiveInteger"/>
  <xs:element name="Small" type="xs:unsignedByte"/>
  <xs:element name="Code" type="xs:token"/>
  <xs:element name="Ratio" type="xs:float"/>
</xs:sequence></xs:complexType></xs:element></xs:schema>"#;
    let (profile, diagnostics) = compile_one(xsd);
    let profile = profile.unwrap_or_else(|| panic!("{}", diagnostics.render()));
    assert_eq!(
        read_ok(
            &profile,
            "<R><Count>3</Count><Small>255</Small><Code>  a \t b </Code><Ratio>1.5e2</Ratio></R>"
        ),
        "{'R': {'Count': 3, 'Small': 255, 'Code': 'a b', 'Ratio': 150.0}}"
    );
    assert_eq!(
        read_err(
            &profile,
            "<R><Count>0</Count><Small>256</Small><Code>x</Code><Ratio>x</Ratio></R>"
        ),
        [
            "/R/Count: 0 is less than the minimum 1",
            "/R/Small: 256 is greater than the maximum 255",
            r#"/R/Ratio: "x" is not a number"#,
        ]
    );
    // Written back by their own names, and bounded in JSON Schema.
    let emitted = emitted::emit_files(&[&profile]);
    assert!(
        emitted[0].1.contains(r#"type="xs:positiveInteger""#),
        "{emitted:?}"
    );
    let schema = profile.json_schema("#/$defs/");
    let properties = &schema.definitions["R"]["properties"];
    assert_eq!(properties["Count"]["minimum"], 1);
    assert_eq!(properties["Small"]["minimum"], 0);
    assert_eq!(properties["Small"]["maximum"], 255);
    // A restriction of one narrows it further, never wider.
    let restricted = |facet: &str| {
        compile_one(&format!(
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:simpleType name="D"><xs:restriction base="xs:positiveInteger"><{facet}/></xs:restriction></xs:simpleType>
<xs:element name="R" type="D"/></xs:schema>"#
        ))
    };
    let (profile, diagnostics) = restricted(r#"xs:maxInclusive value="100""#);
    let profile = profile.unwrap_or_else(|| panic!("{}", diagnostics.render()));
    assert_eq!(
        read_err(&profile, "<R>101</R>"),
        ["/R: 101 is greater than the maximum 100"]
    );
    let (profile, diagnostics) = restricted(r#"xs:minInclusive value="0""#);
    assert!(profile.is_none());
    assert!(
        diagnostics
            .render()
            .contains("xs:minInclusive 0 is wider than the base type's minInclusive 1"),
        "{}",
        diagnostics.render()
    );
}

#[test]
fn name_binary_duration_and_calendar_types() {
    let xsd = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:simpleType name="Digest"><xs:restriction base="xs:hexBinary">
  <xs:length value="2"/></xs:restriction></xs:simpleType>
<xs:simpleType name="Season"><xs:restriction base="xs:gMonth">
  <xs:pattern value="--0[1-6]"/></xs:restriction></xs:simpleType>
<xs:element name="R"><xs:complexType><xs:sequence>
  <xs:element name="Lang" type="xs:language"/>
  <xs:element name="Key" type="xs:NCName"/>
  <xs:element name="Name" type="xs:Name"/>
  <xs:element name="Token" type="xs:NMTOKEN"/>
  <xs:element name="Digest" type="Digest"/>
  <xs:element name="Wait" type="xs:duration"/>
  <xs:element name="Year" type="xs:gYear"/>
  <xs:element name="Month" type="xs:gYearMonth"/>
  <xs:element name="Birthday" type="xs:gMonthDay"/>
  <xs:element name="Day" type="xs:gDay"/>
  <xs:element name="Season" type="Season"/>
</xs:sequence></xs:complexType></xs:element></xs:schema>"#;
    let (profile, diagnostics) = compile_one(xsd);
    let profile = profile.unwrap_or_else(|| panic!("{}", diagnostics.render()));
    assert_eq!(
        read_ok(
            &profile,
            "<R><Lang> pt-BR </Lang><Key>order-1</Key><Name>ns:order</Name><Token>1.0</Token>\
             <Digest>0aFF</Digest><Wait>-P1DT2.5S</Wait><Year>2024Z</Year><Month>2024-02</Month>\
             <Birthday>--02-29</Birthday><Day>---31</Day><Season>--06</Season></R>"
        ),
        "{'R': {'Lang': 'pt-BR', 'Key': 'order-1', 'Name': 'ns:order', 'Token': '1.0', \
         'Digest': '0aFF', 'Wait': '-P1DT2.5S', 'Year': '2024Z', 'Month': '2024-02', \
         'Birthday': '--02-29', 'Day': '---31', 'Season': '--06'}}"
    );
    assert_eq!(
        read_err(
            &profile,
            "<R><Lang>en_GB</Lang><Key>ns:order</Key><Name>1st</Name><Token>a b</Token>\
             <Digest>0aF</Digest><Wait>P1.5D</Wait><Year>24</Year><Month>2024-13</Month>\
             <Birthday>--04-31</Birthday><Day>---32</Day><Season>--07</Season></R>"
        ),
        [
            r#"/R/Lang: "en_GB" is not a language tag (such as en or pt-BR, xs:language)"#,
            r#"/R/Key: "ns:order" is not an XML name without a colon (xs:NCName)"#,
            r#"/R/Name: "1st" is not an XML name (xs:Name)"#,
            r#"/R/Token: "a b" is not a name token (XML name characters only, xs:NMTOKEN)"#,
            r#"/R/Digest: "0aF" is not hexadecimal octets (pairs of 0-9, a-f, A-F)"#,
            r#"/R/Wait: "P1.5D" is not a duration (such as P1Y2M3DT4H5M6.5S or -PT15M)"#,
            r#"/R/Year: "24" is not a year (YYYY)"#,
            r#"/R/Month: "2024-13" is not a year and month (YYYY-MM)"#,
            r#"/R/Birthday: "--04-31" is not a month and day (--MM-DD)"#,
            r#"/R/Day: "---32" is not a day of the month (---DD)"#,
            r#"/R/Season: "--07" does not match the pattern "--0[1-6]""#,
        ]
    );
    // hexBinary lengths count octets.
    assert_eq!(
        read_err(
            &profile,
            "<R><Lang>en</Lang><Key>k</Key><Name>n</Name><Token>t</Token>\
             <Digest>0a0b0c</Digest><Wait>PT1M</Wait><Year>2024</Year><Month>2024-01</Month>\
             <Birthday>--01-01</Birthday><Day>---01</Day><Season>--01</Season></R>"
        ),
        [r#"/R/Digest: "0a0b0c" has 3 bytes, expected exactly 2"#]
    );
    // Written back by their own names; in JSON Schema by their lexical forms.
    let emitted = emitted::emit_files(&[&profile]);
    for name in ["xs:language", "xs:NCName", "xs:duration", "xs:gMonthDay"] {
        assert!(
            emitted[0].1.contains(&format!(r#"type="{name}""#)),
            "{name}: {emitted:?}"
        );
    }
    let schema = profile.json_schema("#/$defs/");
    let properties = &schema.definitions["R"]["properties"];
    assert_eq!(
        properties["Lang"]["pattern"],
        "^(?:[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*)$"
    );
    assert_eq!(properties["Key"]["x-xsd-pattern"], r"[\i-[:]][\c-[:]]*");
    assert_eq!(properties["Digest"]["contentEncoding"], "base16");
    assert!(properties["Digest"].get("minLength").is_none());
    let pattern = |name: &str| {
        let source = properties[name]["pattern"].as_str().unwrap_or_default();
        regex::Regex::new(source).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    // `regex` has no lookahead: the duration pattern is checked by jsonschema below.
    for (name, good, bad) in [
        ("Year", "-0044+01:00", "24"),
        ("Month", "2024-12", "2024-13"),
        ("Birthday", "--12-25", "--13-01"),
        ("Day", "---01Z", "---1"),
    ] {
        assert!(pattern(name).is_match(good), "{name} {good}");
        assert!(!pattern(name).is_match(bad), "{name} {bad}");
    }
    // A pattern facet holds along with the type's own lexical pattern.
    let season = &properties["Season"]["allOf"];
    assert_eq!(
        season[0]["pattern"],
        "^(?:--(?:0[1-9]|1[0-2])(?:Z|[+-]\\d{2}:\\d{2})?)$"
    );
    assert_eq!(season[1]["pattern"], "^(?:--0[1-6])$");
    let wait = jsonschema::validator_for(&properties["Wait"]).expect("a schema");
    for good in ["P1Y", "-PT15M", "P1DT2.5S", "PT0S"] {
        assert!(wait.is_valid(&serde_json::json!(good)), "{good}");
    }
    for bad in ["P", "PT", "P1DT", "P1.5D", "P1M1Y"] {
        assert!(!wait.is_valid(&serde_json::json!(bad)), "{bad}");
    }
}

/// `xs:ID` values are unique in their document and `xs:IDREF` values name
/// one of them, before or after; restrictions of either inherit that.
#[test]
fn ids_are_unique_and_references_resolve() {
    let profile = compile_clean(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:simpleType name="PartId"><xs:restriction base="xs:ID">
  <xs:pattern value="p-\d+"/></xs:restriction></xs:simpleType>
<xs:element name="Kit"><xs:complexType><xs:sequence>
  <xs:element name="Part" maxOccurs="unbounded"><xs:complexType>
    <xs:attribute name="id" type="PartId" use="required"/>
    <xs:attribute name="fits" type="xs:IDREF"/>
  </xs:complexType></xs:element>
  <xs:element name="Main" type="xs:IDREF"/>
  <xs:element name="Serial" type="xs:ID" minOccurs="0"/>
</xs:sequence></xs:complexType></xs:element></xs:schema>"#,
    );
    assert_eq!(
        read_ok(
            &profile,
            r#"<Kit><Part id=" p-1 " fits="p-2"/><Part id="p-2" fits="p-1"/><Main>p-2</Main><Serial>s9</Serial></Kit>"#
        ),
        "{'Kit': {'Part': [{'@id': 'p-1', '@fits': 'p-2'}, {'@id': 'p-2', '@fits': 'p-1'}], \
         'Main': 'p-2', 'Serial': 's9'}}"
    );
    assert_eq!(
        read_err(
            &profile,
            r#"<Kit><Part id="p-1" fits="p-7"/><Part id="p-1"/><Part id="q-3"/><Main>p:1</Main><Serial>p-1</Serial></Kit>"#
        ),
        [
            r#"/Kit/Part[2]/@id: duplicate ID "p-1", first at /Kit/Part[1]/@id (an xs:ID is unique in its document)"#,
            r#"/Kit/Part[3]/@id: "q-3" does not match the pattern "p-\d+""#,
            r#"/Kit/Main: "p:1" is not an XML name without a colon (xs:IDREF)"#,
            r#"/Kit/Serial: duplicate ID "p-1", first at /Kit/Part[1]/@id (an xs:ID is unique in its document)"#,
            r#"/Kit/Part[1]/@fits: no ID "p-7" in the document (an xs:IDREF names an xs:ID of its document)"#,
        ]
    );
    // Writing holds values to the same rules, so what it writes reads back.
    let written = profile
        .write(&value(
            r#"{"Kit": {"Part": [{"@id": "p-1"}, {"@id": "p-2", "@fits": "p-1"}], "Main": "p-1"}}"#,
        ))
        .expect("writes");
    assert!(profile.read(&written, &limits()).is_ok(), "{written}");
    let refused = profile
        .write(&value(
            r#"{"Kit": {"Part": [{"@id": "p-1"}, {"@id": "p-1"}], "Main": "p-3"}}"#,
        ))
        .expect_err("a duplicate and a dangling reference");
    assert_eq!(
        refused.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            r#"/Kit/Part[2]/@id: duplicate ID "p-1", first at /Kit/Part[1]/@id (an xs:ID is unique in its document)"#,
            r#"/Kit/Main: no ID "p-3" in the document (an xs:IDREF names an xs:ID of its document)"#,
        ]
    );
    // Each item of a list is a document of its own: IDs repeat across items,
    // and a reference does not reach into another item.
    let list = r#"<KitList><Kit><Part id="p-1"/><Main>p-1</Main></Kit><Kit><Part id="p-1"/><Main>p-2</Main></Kit><Kit><Part id="p-2"/><Main>p-2</Main></Kit></KitList>"#;
    let errors = match super::read::read_items(&profile, list, &limits()) {
        Ok(items) => panic!("expected a dangling reference, read {} items", items.len()),
        Err(ReadError::Invalid(errors)) => errors,
        Err(ReadError::Malformed(message)) => panic!("{message}"),
    };
    assert_eq!(
        errors
            .iter()
            .map(|(item, v)| format!("item {item}: {v}"))
            .collect::<Vec<_>>(),
        [
            r#"item 1: /Kit/Main: no ID "p-2" in the document (an xs:IDREF names an xs:ID of its document)"#
        ]
    );
    // Written back by name; in JSON Schema, NCNames (uniqueness is not a
    // JSON Schema keyword).
    let emitted = emitted::emit_files(&[&profile]);
    for name in ["xs:ID", "xs:IDREF"] {
        assert!(
            emitted[0].1.contains(&format!(r#"type="{name}""#)),
            "{name}: {emitted:?}"
        );
    }
    let schema = profile.json_schema("#/$defs/");
    let kit = &schema.definitions["Kit"]["properties"];
    assert_eq!(kit["Main"]["x-xsd-pattern"], r"[\i-[:]][\c-[:]]*");
    assert_eq!(kit["Main"]["type"], "string");
}

/// A nillable element may be given as `xsi:nil="true"`: empty, its value
/// `none` (or its attributes); `write` writes `none` that way.
#[test]
fn nillable_elements_may_be_nil() {
    let profile = compile_clean(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:element name="Person"><xs:complexType><xs:sequence>
  <xs:element name="Name" type="xs:string" nillable="true"/>
  <xs:element name="Age" type="xs:int" minOccurs="0" nillable="1"/>
  <xs:element name="Address" nillable="true"><xs:complexType>
    <xs:sequence><xs:element name="City" type="xs:string"/></xs:sequence>
    <xs:attribute name="kind" type="xs:string"/>
  </xs:complexType></xs:element>
  <xs:element name="Phone" type="xs:string" minOccurs="0" maxOccurs="unbounded" nillable="true"/>
  <xs:element name="Note" type="xs:string" minOccurs="0"/>
  <xs:element ref="Extra" minOccurs="0"/>
</xs:sequence></xs:complexType></xs:element>
<xs:element name="Extra" type="xs:string" nillable="true"/></xs:schema>"#,
    );
    const XSI: &str = r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#;
    assert_eq!(
        read_ok(
            &profile,
            &format!(
                r#"<Person {XSI}><Name xsi:nil="true"/><Age xsi:nil="false">7</Age><Address xsi:nil=" 1 " kind="home"/><Phone xsi:nil="true"></Phone><Phone>12</Phone></Person>"#
            )
        ),
        "{'Person': {'Name': None, 'Age': 7, 'Address': {'@kind': 'home'}, 'Phone': [None, '12']}}"
    );
    assert_eq!(
        read_err(
            &profile,
            &format!(
                r#"<Person {XSI}><Name xsi:nil="true">Ada</Name><Age xsi:nil="maybe">7</Age><Address xsi:nil="true"><City>Rome</City></Address><Note xsi:nil="true"/></Person>"#
            )
        ),
        [
            r#"/Person/Name: `Name` is nil (xsi:nil="true"), so it cannot hold text"#,
            r#"/Person/Age/@nil: "maybe" is not a boolean (true, false, 1 or 0)"#,
            r#"/Person/Address/City: `Address` is nil (xsi:nil="true"), so it cannot hold `City`"#,
            "/Person/Note/@nil: xsi:nil is not allowed: the element is not nillable",
        ]
    );
    // `none` is written as nil where the element is nillable, and is an
    // absent key where it is not.
    let written = profile
        .write(&value(
            r#"{"Person": {"Name": null, "Age": null, "Address": null, "Phone": [null, "12"], "Note": null, "Extra": null}}"#,
        ))
        .expect("writes");
    assert!(
        written.contains(
            r#"<Name xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>"#
        ),
        "{written}"
    );
    assert!(!written.contains("Note"), "{written}");
    assert_eq!(
        read_ok(&profile, &written),
        "{'Person': {'Name': None, 'Age': None, 'Address': None, 'Phone': [None, '12'], 'Extra': None}}"
    );
    // Written back in the WSDL; in JSON Schema, `null` is allowed.
    let emitted = emitted::emit_files(&[&profile]);
    assert!(
        emitted[0]
            .1
            .contains(r#"<xs:element name="Name" nillable="true" type="xs:string"/>"#),
        "{emitted:?}"
    );
    let again = emitted::recompiled(&profile);
    assert_eq!(read_ok(&again, &written), read_ok(&profile, &written));
    let schema = profile.json_schema("#/$defs/");
    let name = &schema.definitions["Person"]["properties"]["Name"];
    assert_eq!(name["anyOf"][1], serde_json::json!({"type": "null"}));
    let (_, diagnostics) = compile_one(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:element name="A"><xs:complexType><xs:sequence>
  <xs:element ref="B" nillable="true"/></xs:sequence></xs:complexType></xs:element>
<xs:element name="B" type="xs:string"/></xs:schema>"#,
    );
    assert!(
        diagnostics
            .render()
            .contains("`nillable` belongs on the global xs:element that `ref` names"),
        "{}",
        diagnostics.render()
    );
}

/// An absent attribute with a `default` or `fixed` value reads as that
/// value; a present one with a `fixed` value must be it.
#[test]
fn attribute_defaults_and_fixed_values() {
    let profile = compile_clean(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:simpleType name="Kind"><xs:restriction base="xs:token">
  <xs:enumeration value="std"/><xs:enumeration value="exp"/></xs:restriction></xs:simpleType>
<xs:element name="Order"><xs:complexType>
  <xs:attribute name="currency" type="xs:string" default="EUR"/>
  <xs:attribute name="version" type="xs:decimal" fixed="1.0" use="required"/>
  <xs:attribute name="rush" type="xs:boolean" default="false"/>
  <xs:attribute name="kind" type="Kind" fixed=" std "/>
</xs:complexType></xs:element></xs:schema>"#,
    );
    assert_eq!(
        read_ok(&profile, r#"<Order version="1" kind="std"/>"#),
        "{'Order': {'@version': 1.0, '@kind': 'std', '@currency': 'EUR', '@rush': False}}"
    );
    assert_eq!(
        read_err(
            &profile,
            r#"<Order currency="USD" version="1.5" kind="exp"/>"#
        ),
        [
            r#"/Order/@version: "1.5" is not the fixed value "1.0""#,
            r#"/Order/@kind: "exp" is not the fixed value " std ""#,
        ]
    );
    let written = profile
        .write(&value(r#"{"Order": {"@version": 1}}"#))
        .expect("writes");
    assert_eq!(
        read_ok(&profile, &written),
        "{'Order': {'@version': 1.0, '@currency': 'EUR', '@rush': False, '@kind': 'std'}}"
    );
    let refused = profile
        .write(&value(r#"{"Order": {"@version": "2"}}"#))
        .expect_err("not the fixed value");
    assert_eq!(
        refused[0].to_string(),
        r#"/Order/@version: "2" is not the fixed value "1.0""#
    );
    // Written back in the WSDL; in JSON Schema, `default` and `const`.
    let emitted = emitted::emit_files(&[&profile]);
    for declared in [r#"default="EUR""#, r#"fixed="1.0""#, r#"fixed=" std ""#] {
        assert!(emitted[0].1.contains(declared), "{declared}: {emitted:?}");
    }
    let again = emitted::recompiled(&profile);
    assert_eq!(read_ok(&again, &written), read_ok(&profile, &written));
    let schema = profile.json_schema("#/$defs/");
    let order = &schema.definitions["Order"]["properties"];
    assert_eq!(order["currency"]["default"], "EUR");
    assert_eq!(order["rush"]["default"], false);
    assert_eq!(order["version"]["const"], 1.0);
    // What XSD forbids, or the type refuses, is a diagnostic.
    let (_, diagnostics) = compile_one(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:element name="A"><xs:complexType>
  <xs:attribute name="a" type="xs:string" default="x" fixed="x"/>
  <xs:attribute name="b" type="xs:string" default="x" use="required"/>
  <xs:attribute name="c" type="xs:int" default="many"/>
  <xs:attribute name="d" type="xs:ID" fixed="x"/>
</xs:complexType></xs:element></xs:schema>"#,
    );
    let rendered = diagnostics.render();
    for message in [
        "an attribute has a `default` or a `fixed` value, not both",
        r#"an attribute with a `default` is optional: drop use="required" or the default"#,
        r#"the default value does not fit the attribute's type: "many" is not an integer"#,
        "an xs:ID or xs:IDREF attribute cannot have a `default` or `fixed` value",
    ] {
        assert!(rendered.contains(message), "{message}\n{rendered}");
    }
}

/// An empty element with a `default` or `fixed` value reads as that value;
/// one with text and a `fixed` value must have that value.
#[test]
fn element_defaults_and_fixed_values() {
    let profile = compile_clean(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:element name="Order"><xs:complexType><xs:sequence>
  <xs:element name="Currency" type="xs:string" default="EUR" minOccurs="0"/>
  <xs:element name="Version" type="xs:decimal" fixed="1.0"/>
  <xs:element name="Total" default="0" minOccurs="0"><xs:complexType><xs:simpleContent>
    <xs:extension base="xs:int"><xs:attribute name="unit" type="xs:string"/></xs:extension>
  </xs:simpleContent></xs:complexType></xs:element>
</xs:sequence></xs:complexType></xs:element></xs:schema>"#,
    );
    assert_eq!(
        read_ok(
            &profile,
            r#"<Order><Currency/><Version/><Total unit="pcs"></Total></Order>"#
        ),
        "{'Order': {'Currency': 'EUR', 'Version': 1.0, 'Total': {'@unit': 'pcs', '#text': 0}}}"
    );
    // An absent element stays absent; a present one is read as usual.
    assert_eq!(
        read_ok(&profile, "<Order><Version> 1.00 </Version></Order>"),
        "{'Order': {'Version': 1.0}}"
    );
    assert_eq!(
        read_err(
            &profile,
            "<Order><Currency> </Currency><Version>2</Version></Order>"
        ),
        [r#"/Order/Version: "2" is not the fixed value "1.0""#]
    );
    let written = profile
        .write(&value(r#"{"Order": {"Currency": "", "Version": ""}}"#))
        .expect("writes");
    assert_eq!(
        read_ok(&profile, &written),
        "{'Order': {'Currency': 'EUR', 'Version': 1.0}}"
    );
    let refused = profile
        .write(&value(r#"{"Order": {"Version": 3}}"#))
        .expect_err("not the fixed value");
    assert_eq!(
        refused[0].to_string(),
        r#"/Order/Version: "3" is not the fixed value "1.0""#
    );
    let emitted = emitted::emit_files(&[&profile]);
    for declared in [r#"default="EUR""#, r#"fixed="1.0""#, r#"default="0""#] {
        assert!(emitted[0].1.contains(declared), "{declared}: {emitted:?}");
    }
    let again = emitted::recompiled(&profile);
    assert_eq!(read_ok(&again, &written), read_ok(&profile, &written));
    let schema = profile.json_schema("#/$defs/");
    let order = &schema.definitions["Order"]["properties"];
    assert_eq!(order["Currency"]["default"], "EUR");
    assert_eq!(order["Version"]["const"], 1.0);
    let (_, diagnostics) = compile_one(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:element name="A"><xs:complexType><xs:sequence>
  <xs:element ref="B" default="x"/>
  <xs:element name="C" default="x"><xs:complexType><xs:sequence>
    <xs:element name="D" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="E" type="xs:int" fixed="one"/>
  <xs:element name="F" default="1"><xs:complexType><xs:simpleContent>
    <xs:extension base="Nope"/></xs:simpleContent></xs:complexType></xs:element>
</xs:sequence></xs:complexType></xs:element>
<xs:element name="B" type="xs:string"/></xs:schema>"#,
    );
    let rendered = diagnostics.render();
    // `F`'s broken type is its one error: the default adds none.
    assert_eq!(
        rendered
            .matches("is for an element of a simple type")
            .count(),
        1,
        "{rendered}"
    );
    assert!(rendered.contains("unknown type `Nope`"), "{rendered}");
    for message in [
        "`default` belongs on the global xs:element that `ref` names",
        "a `default` or `fixed` value is for an element of a simple type or with simple content",
        r#"the fixed value does not fit the element's type: "one" is not an integer"#,
    ] {
        assert!(rendered.contains(message), "{message}\n{rendered}");
    }
}

/// `xs:unsignedLong` is a non-negative integer; values are 64-bit, as for
/// `xs:integer`.
#[test]
fn unsigned_long_is_a_non_negative_64_bit_integer() {
    let profile = compile_clean(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
<xs:element name="Count" type="xs:unsignedLong"/></xs:schema>"#,
    );
    assert_eq!(
        read_ok(&profile, "<Count> 9223372036854775807 </Count>"),
        "{'Count': 9223372036854775807}"
    );
    assert_eq!(
        read_err(&profile, "<Count>-1</Count>"),
        [r#"/Count: -1 is less than the minimum 0"#]
    );
    assert_eq!(
        read_err(&profile, "<Count>18446744073709551615</Count>"),
        [r#"/Count: "18446744073709551615" is out of range for a 64-bit integer"#]
    );
    let emitted = emitted::emit_files(&[&profile]);
    assert!(
        emitted[0].1.contains(r#"type="xs:unsignedLong""#),
        "{emitted:?}"
    );
    let schema = profile.json_schema("#/$defs/");
    assert_eq!(
        schema.root,
        serde_json::json!({"type": "integer", "minimum": 0, "xml": {"name": "Count"}})
    );
}

#[test]
fn diagnostics_of_bad_schemas() {
    let files = load(&[
        "bad/unsupported.xsd",
        "bad/mistakes.xsd",
        "bad/types-only.xsd",
        "bad/broken.xsd",
        "bad/not-a-schema.xsd",
    ]);
    let (profiles, diagnostics) = compile(&files);
    let names: Vec<&str> = profiles.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.is_empty(), "{names:?}");
    insta::assert_snapshot!("bad_schemas", diagnostics.render());
}

// --- reading

#[test]
fn reads_typed_values() {
    insta::assert_snapshot!("order_value", read_ok(&order(), ORDER_DOC));
}

#[test]
fn repetition_shapes_the_value() {
    let profile = order();
    let doc = |lines: &str, tags: &str| {
        format!(
            r#"<Order xmlns="urn:example:order" version="1"><Id>AB-1234</Id><Lines>{lines}</Lines><Total>1</Total><Paid>false</Paid><OrderDate>2024-01-01Z</OrderDate><Card>1234567812345678</Card>{tags}</Order>"#
        )
    };
    let line = "<Line><Sku>GIFT</Sku><Qty>1</Qty><Price currency=\"EUR\">1</Price></Line>";
    // One occurrence of a repeating element is still a list; an absent
    // repeating element is an empty list; an absent optional one is absent.
    assert_eq!(
        read_ok(&profile, &doc(line, "")),
        "{'Order': {'@version': 1, 'Id': 'AB-1234', 'Lines': {'Line': [{'Sku': 'GIFT', 'Qty': 1, 'Price': {'@currency': 'EUR', '#text': 1.0}}]}, 'Total': 1.0, 'Paid': False, 'OrderDate': '2024-01-01Z', 'Card': '1234567812345678', 'Tag': []}}"
    );
    let two_tags = read_ok(&profile, &doc(line, "<Tag>a</Tag><Tag> b </Tag>"));
    assert!(two_tags.ends_with("'Tag': ['a', ' b ']}}"), "{two_tags}");
}

#[test]
fn templates_see_typed_values() {
    let value = order().read(ORDER_DOC, &limits()).expect("valid");
    let env = minijinja::Environment::new();
    let out = env
        .render_str(
            "{{ doc.Order.Lines.Line | length }} {{ doc.Order.Lines.Line[0].Qty + 1 }} {{ doc.Order.Total * 2 }} {{ doc.Order.Tag | length }} {{ doc.Order.Paid is true }}",
            Value::from_pairs([("doc", value)]),
        )
        .expect("renders");
    assert_eq!(out, "2 4 75.0 0 True");
}

const BAD_ORDER: &str = r#"<Order xmlns="urn:example:order" channel="fax">
  <Id>12345</Id>
  <Lines>
    <Line no="one">
      <Sku>ABC-1</Sku>
      <Qty>3</Qty>
      <Price currency="EUR">1.255</Price>
    </Line>
    <Line>
      <Sku>abc</Sku>
      <Qty>abc</Qty>
      <Price>-1</Price>
      <Note>this note is much too long for the forty characters allowed</Note>
      <Extra/>
    </Line>
    <Line><Qty>0</Qty><Sku>ABC-2</Sku></Line>
  </Lines>
  <Total>x</Total>
  stray text
  <Paid>yes</Paid>
  <OrderDate>2023-02-29</OrderDate>
  <Card>1234</Card>
  <Invoice days="30"/>
  <Tag xmlns="urn:other">t</Tag>
</Order>"#;

#[test]
fn every_violation_is_reported_with_its_path() {
    insta::assert_snapshot!("order_violations", read_err(&order(), BAD_ORDER).join("\n"));
}

#[test]
fn violations_are_capped() {
    let lines: String = (0..300)
        .map(|_| "<Line><Sku>x</Sku><Qty>x</Qty><Price currency=\"EUR\">1</Price></Line>")
        .collect();
    let text = format!(
        r#"<Order xmlns="urn:example:order" version="1"><Id>AB-1234</Id><Lines>{lines}</Lines></Order>"#
    );
    let violations = order()
        .read(&text, &limits())
        .expect_err("invalid")
        .into_violations();
    assert_eq!(violations.len(), MAX_VIOLATIONS);
    assert_eq!(violations[0].path, "/Order/Lines/Line[1]/Sku");
}

#[test]
fn document_element_must_match() {
    let profile = order();
    assert_eq!(
        read_err(&profile, "<Invoice/>"),
        [
            "/Invoice: expected the document element `Order` in namespace `urn:example:order`, found `Invoice` in no namespace"
        ]
    );
    assert_eq!(
        read_err(&profile, "<Order version=\"1\"/>"),
        [
            "/Order: expected the document element `Order` in namespace `urn:example:order`, found `Order` in no namespace"
        ]
    );
}

#[test]
fn malformed_documents_are_one_violation() {
    let violations = order()
        .read(
            "<Order xmlns=\"urn:example:order\">\n  <Id>1</Order>",
            &limits(),
        )
        .expect_err("malformed")
        .into_violations();
    assert_eq!(
        violations,
        [Violation {
            path: String::new(),
            message: "mismatched end tag: expected </Id>, found </Order> at line 2 column 8".into()
        }]
    );
}

#[test]
fn all_groups_choices_and_recursion() {
    let profile = shapes();
    let text = r#"<Shapes>
      <Settings><Title>t</Title><Height>2</Height><Width>1</Width></Settings>
      <Label>a</Label><Shape><Circle r="1.5"/></Shape>
      <Label>b</Label><Shape id="g"><Group><Shape><Circle r="2"/></Shape><Shape><Group><Shape><Circle r="1e1"/></Shape></Group></Shape></Group></Shape>
      <From>10:00:00</From><To>11:00:00</To><Mark>m</Mark>
      <Blob> QUJD
        QQ== </Blob>
      <Ratio>5E-1</Ratio>
      <Big>-9223372036854775808</Big>
      <Empty/>
    </Shapes>"#;
    insta::assert_snapshot!("shapes_value", read_ok(&profile, text));
    let errors = read_err(
        &profile,
        "<Shapes><Settings><Width>1</Width><Width>2</Width></Settings><Mark>1</Mark><Mark>2</Mark><Mark>3</Mark><Mark>4</Mark><Label>x</Label></Shapes>",
    );
    assert_eq!(
        errors,
        [
            "/Shapes/Settings/Width: `Width` cannot occur again here, expected one of `Height`, `Title`",
            "/Shapes/Settings: missing element `Height`",
            "/Shapes/Mark[4]: `Mark` cannot occur again here, expected one of `Blob`, `Link`, `Ratio`, `Big`, `Empty`",
            "/Shapes/Label[1]: no element `Label` here, expected one of `Blob`, `Link`, `Ratio`, `Big`, `Empty`",
        ]
    );
    assert_eq!(
        read_err(
            &profile,
            "<Shapes><Settings><Width>1</Width><Height>1</Height></Settings><Label>x</Label></Shapes>"
        ),
        ["/Shapes: missing element `Shape`"]
    );
    assert_eq!(
        read_err(
            &profile,
            "<Shapes><Settings><Width>1</Width><Height>1</Height></Settings><From>10:00:00</From></Shapes>"
        ),
        ["/Shapes: missing element `To`"]
    );
    assert_eq!(
        read_err(
            &profile,
            "<Shapes><Settings><Width>1</Width><Height>1</Height></Settings><Empty>x</Empty><Label/></Shapes>"
        ),
        [
            "/Shapes/Empty: text is not allowed in `Empty`",
            "/Shapes/Label[1]: no element `Label` here, expected the end of `Shapes`"
        ]
    );
}

#[test]
fn qualified_unqualified_and_imported_names() {
    let profile = envelope();
    let text = r#"<m:Envelope xmlns:m="urn:example:main" xmlns:c="urn:example:common" stamp="2024-05-01T10:00:00Z">
      <Header><From>me</From></Header>
      <c:Address c:kind="home"><c:Street>Main St 1</c:Street><c:City>Springfield</c:City></c:Address>
      <Part unit="kg">12</Part>
      <m:Qualified>q</m:Qualified>
    </m:Envelope>"#;
    assert_eq!(
        read_ok(&profile, text),
        "{'Envelope': {'@stamp': '2024-05-01T10:00:00Z', 'Header': {'From': 'me'}, 'Address': {'@kind': 'home', 'Street': 'Main St 1', 'City': 'Springfield'}, 'Part': [{'@unit': 'kg', '#text': 12}], 'Qualified': 'q'}}"
    );
    // The same names in the wrong namespaces.
    let wrong = r#"<Envelope xmlns="urn:example:main" xmlns:c="urn:example:common" kind="x">
      <Header><From>me</From></Header>
      <Address kind="home"><c:Street/><c:City/></Address>
      <Part>-1</Part>
    </Envelope>"#;
    assert_eq!(
        read_err(&profile, wrong),
        [
            "/Envelope/@kind: no attribute `kind` here",
            "/Envelope/Header: element `Header` must be in no namespace, not in namespace `urn:example:main`",
            "/Envelope/Header/From: element `From` must be in no namespace, not in namespace `urn:example:main`",
            "/Envelope/Address: element `Address` must be in namespace `urn:example:common`, not in namespace `urn:example:main`",
            "/Envelope/Address/@kind: attribute `kind` must be in namespace `urn:example:common`, not in no namespace",
            "/Envelope/Part[1]: element `Part` must be in no namespace, not in namespace `urn:example:main`",
            "/Envelope/Part[1]: -1 is less than the minimum 0",
        ]
    );
}

#[test]
fn items_are_read_by_their_own_declaration() {
    let profile = order();
    assert_eq!(profile.element_at(&["Order"]), Some(profile.root_ref()));
    assert_eq!(profile.element_at(&["Invoice"]), None);
    assert_eq!(profile.element_at(&["Order", "Nope"]), None);
    assert_eq!(profile.element_at(&["Order", "Id", "Deeper"]), None);
    let line = profile
        .element_at(&["Order", "Lines", "Line"])
        .expect("declared");
    assert_eq!(profile.element(line).name(), "Line");
    let items = crate::doc::xml::split(ORDER_DOC, &["Order", "Lines", "Line"], &limits())
        .expect("well-formed");
    let values: Vec<String> = items
        .iter()
        .map(|item| match profile.read_at(line, item, &limits()) {
            Ok(value) => show(&value),
            Err(violations) => format!("{violations:?}"),
        })
        .collect();
    assert_eq!(
        values,
        [
            "{'Line': {'@no': 1, 'Sku': 'ABC-1', 'Qty': 3, 'Price': {'@currency': 'EUR', '#text': 12.5}}}",
            "{'Line': {'@no': 2, 'Sku': 'GIFT', 'Qty': 1, 'Price': {'@currency': 'USD', '#text': 0.0}, 'Note': '  wrap it  '}}",
        ]
    );
    assert_eq!(
        profile
            .read_at(
                line,
                "<Line xmlns=\"urn:example:order\"><Sku>GIFT</Sku></Line>",
                &limits()
            )
            .map_err(|e| {
                let violations = e.into_violations();
                violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            }),
        Err(vec!["/Line: missing elements `Qty`, `Price`".to_owned()])
    );
}

// --- writing

#[test]
fn writes_in_profile_order_with_namespaces() {
    let profile = order();
    // Keys in any order; the profile decides the element order.
    let input = value(
        r##"{"Order": {
            "Tag": ["x"],
            "Invoice": {"@days": "30"},
            "Paid": true,
            "Total": 37.5,
            "OrderDate": "2024-02-29",
            "Lines": {"Line": [
                {"Price": {"#text": 12.5, "@currency": "EUR"}, "Qty": 3, "Sku": "ABC-1", "@no": 1},
                {"Sku": "GIFT", "Qty": 1.0, "Price": {"@currency": "USD", "#text": 0}, "Note": "a < b & \"c\""}
            ]},
            "Id": "AB-12345",
            "@channel": "web",
            "@version": 2,
            "Customer": null
        }}"##,
    );
    let text = profile.write(&input).expect("valid");
    insta::assert_snapshot!("order_written", text);
    let back = profile.read(&text, &limits()).expect("reads back");
    assert_eq!(
        show(&back),
        "{'Order': {'@version': 2, '@channel': 'web', 'Id': 'AB-12345', 'Lines': {'Line': [{'@no': 1, 'Sku': 'ABC-1', 'Qty': 3, 'Price': {'@currency': 'EUR', '#text': 12.5}}, {'Sku': 'GIFT', 'Qty': 1, 'Price': {'@currency': 'USD', '#text': 0.0}, 'Note': 'a < b & \"c\"'}]}, 'Total': 37.5, 'Paid': True, 'OrderDate': '2024-02-29', 'Invoice': {'@days': 30}, 'Tag': ['x']}}"
    );
    // What read gives, write takes back unchanged.
    let again = profile.write(&back).expect("valid");
    assert_eq!(again, text);
}

#[test]
fn writes_namespaces_the_profile_needs() {
    let profile = envelope();
    let input = value(
        r##"{"Envelope": {"@stamp": "2024-05-01T10:00:00Z", "Header": {"From": "me"},
            "Address": {"@kind": "home", "Street": "Main\tSt", "City": "Springfield"},
            "Part": {"@unit": "kg\n", "#text": 12}, "Qualified": "q"}}"##,
    );
    let text = profile.write(&input).expect("valid");
    assert_eq!(
        text,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<m:Envelope xmlns:m=\"urn:example:main\" xmlns:c=\"urn:example:common\" stamp=\"2024-05-01T10:00:00Z\"><Header><From>me</From></Header><c:Address c:kind=\"home\"><c:Street>Main\tSt</c:Street><c:City>Springfield</c:City></c:Address><Part unit=\"kg&#10;\">12</Part><m:Qualified>q</m:Qualified></m:Envelope>"
    );
    let back = profile.read(&text, &limits()).expect("reads back");
    assert_eq!(
        show(&back),
        "{'Envelope': {'@stamp': '2024-05-01T10:00:00Z', 'Header': {'From': 'me'}, 'Address': {'@kind': 'home', 'Street': 'Main\\tSt', 'City': 'Springfield'}, 'Part': [{'@unit': 'kg\\n', '#text': 12}], 'Qualified': 'q'}}"
    );
    let note = note();
    let text = note
        .write(&value(r##"{"Note": {"To": "a", "Body": "hi", "Reply": {"To": ["b", "c"], "Body": "re\r\n"}}}"##))
        .expect("valid");
    assert_eq!(
        text,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Note xmlns=\"urn:example:default\"><To>a</To><Body>hi</Body><Reply><To>b</To><To>c</To><Body>re&#13;\n</Body></Reply></Note>"
    );
    assert_eq!(
        show(&note.read(&text, &limits()).expect("reads back")),
        "{'Note': {'To': ['a'], 'Body': 'hi', 'Reply': {'To': ['b', 'c'], 'Body': 're\\r\\n'}}}"
    );
}

#[test]
fn every_write_violation_is_reported() {
    let profile = order();
    let input = value(
        r##"{"Order": {
            "@version": "two",
            "@colour": "red",
            "Id": ["AB-1234", "AB-5678"],
            "Lines": {"Line": [{"Sku": "GIFT", "Qty": 2.5, "Price": 3}, {"Sku": "GIFT", "Qty": 1, "Price": {"#text": 1, "@currency": "EUR"}, "Bogus": 1}]},
            "Total": "lots",
            "Paid": 1,
            "OrderDate": {"day": 1},
            "Card": "1234567812345678",
            "Invoice": {"@days": 3},
            "Tag": ["a", "b", "c", "d", "e", "f"],
            "#text": "loose"
        }}"##,
    );
    let violations = profile.write(&input).expect_err("invalid");
    let lines: Vec<String> = violations.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!("order_write_violations", lines.join("\n"));
    assert!(
        profile.write(&value(r##"{"Invoice": {}}"##)).is_err(),
        "another document element"
    );
    assert_eq!(
        profile.write(&value("[1]")).expect_err("not a map"),
        [Violation {
            path: String::new(),
            message: "expected a map holding the document element `Order`, found a list".into()
        }]
    );
}

#[test]
fn write_refuses_what_xml_cannot_carry() {
    let profile = note();
    let violations = profile
        .write(&value(r##"{"Note": {"To": "a\u0001b", "Body": "x"}}"##))
        .expect_err("control character");
    assert_eq!(
        violations,
        [Violation {
            path: "/Note/To[1]".into(),
            message: "character U+0001 cannot be written in XML".into()
        }]
    );
}

// --- hostile input

/// Reads `text` with the order profile, expecting one well-formedness
/// violation; returns its message and how long it took.
fn hostile(text: &str, limits: &XmlLimits) -> (String, std::time::Duration) {
    let profile = order();
    let started = std::time::Instant::now();
    let result = profile
        .read(text, limits)
        .map_err(ReadError::into_violations);
    let elapsed = started.elapsed();
    match result {
        Ok(_) => panic!("hostile input accepted"),
        Err(violations) => {
            assert_eq!(violations.len(), 1, "{violations:?}");
            assert_eq!(violations[0].path, "");
            (violations[0].message.clone(), elapsed)
        }
    }
}

#[test]
fn attack_documents_stay_errors_and_are_fast() {
    let budget = std::time::Duration::from_secs(2);
    let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n]>\n<Order xmlns=\"urn:example:order\">&lol3;</Order>";
    let (message, elapsed) = hostile(laughs, &limits());
    assert_eq!(message, "DOCTYPE is not allowed at line 2 column 1");
    assert!(elapsed < budget);

    let external = "<?xml version=\"1.0\"?><!DOCTYPE Order [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><Order xmlns=\"urn:example:order\"><Id>&xxe;</Id></Order>";
    let (message, _) = hostile(external, &limits());
    assert_eq!(message, "DOCTYPE is not allowed at line 1 column 22");
    let (message, _) = hostile(
        "<Order xmlns=\"urn:example:order\"><Id>&xxe;</Id></Order>",
        &limits(),
    );
    assert!(message.starts_with("unknown entity `&xxe;`"), "{message}");

    let depth = 20_000;
    let deep = format!("{}{}", "<Order>".repeat(depth), "</Order>".repeat(depth));
    let (message, elapsed) = hostile(&deep, &limits());
    assert_eq!(
        message,
        "nesting deeper than 64 elements at line 1 column 449"
    );
    assert!(elapsed < budget);
    // With the limit raised, the reader itself stays iterative: the
    // unexpected subtree is skipped without recursion.
    let raised = XmlLimits::with_depth(depth);
    let started = std::time::Instant::now();
    let violations = order()
        .read(&deep, &raised)
        .expect_err("invalid")
        .into_violations();
    assert!(started.elapsed() < budget);
    assert_eq!(violations.len(), 1, "{violations:?}");

    let attributes: String = (0..100_000).map(|i| format!(" a{i}=\"{i}\"")).collect();
    let (message, elapsed) = hostile(&format!("<Order{attributes}/>"), &limits());
    assert_eq!(
        message,
        "more than 256 attributes on one element at line 1 column 2604"
    );
    assert!(elapsed < budget);

    let name = "N".repeat(100 * 1024);
    let (message, elapsed) = hostile(&format!("<{name}></{name}>"), &limits());
    assert!(message.starts_with("element name `NNNN"), "{message}");
    assert!(
        message.ends_with("is longer than 1024 bytes at line 1 column 2"),
        "{message}"
    );
    assert!(message.len() < 200);
    assert!(elapsed < budget);
}

#[test]
fn deep_valid_documents_within_the_limit() {
    // Shape → Group → Shape …: 200 levels, read and written back.
    let levels = 100;
    let mut text = String::from(
        "<Shapes><Settings><Width>1</Width><Height>1</Height></Settings><Label>deep</Label>",
    );
    text.push_str(&"<Shape><Group>".repeat(levels));
    text.push_str("<Shape><Circle r=\"1\"/></Shape>");
    text.push_str(&"</Group></Shape>".repeat(levels));
    text.push_str("</Shapes>");
    let profile = shapes();
    let deep_enough = XmlLimits::with_depth(2 * levels + 10);
    let read = profile.read(&text, &deep_enough).expect("valid");
    let written = profile.write(&read).expect("valid");
    assert!(profile.read(&written, &deep_enough).is_ok());
    assert!(profile.read(&text, &limits()).is_err());

    // Written values are bounded too, so a runaway template cannot exhaust the stack.
    let mut deep = value(r#"{"Circle": {"@r": 1}}"#);
    for _ in 0..200 {
        deep = Value::from_pairs([("Group", Value::from_pairs([("Shape", deep)]))]);
    }
    let document = Value::from_pairs([(
        "Shapes",
        Value::from_pairs([
            ("Settings", value(r#"{"Width": 1, "Height": 1}"#)),
            ("Label", Value::from("deep")),
            ("Shape", deep),
        ]),
    )]);
    let violations = profile.write(&document).expect_err("too deep");
    assert_eq!(violations.len(), 1);
    assert_eq!(
        violations[0].message,
        format!("nesting deeper than {} elements", write::MAX_DEPTH)
    );
}

// --- properties

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Random choices for the generator; running out means "the first
    /// choice", so shrinking the tape shrinks the value.
    struct Tape<'t> {
        choices: &'t [u32],
        at: usize,
    }

    impl Tape<'_> {
        fn pick(&mut self, n: usize) -> usize {
            let choice = self.choices.get(self.at).copied().unwrap_or(0);
            self.at += 1;
            if n == 0 { 0 } else { choice as usize % n }
        }

        /// True about once in `n` draws.
        fn one_in(&mut self, n: usize) -> bool {
            self.pick(n) == n - 1
        }
    }

    /// Builds values shaped by a profile: mostly valid, with `mischief`
    /// turning on missing and extra keys, wrong counts and bad leaves.
    struct Generator<'p, 't> {
        profile: &'p XmlProfile,
        tape: Tape<'t>,
        mischief: bool,
        /// The `xs:ID` values given so far, which an `xs:IDREF` may name.
        ids: Vec<Value>,
    }

    impl<'p, 't> Generator<'p, 't> {
        fn new(profile: &'p XmlProfile, choices: &'t [u32], mischief: bool) -> Self {
            Generator {
                profile,
                tape: Tape { choices, at: 0 },
                mischief,
                ids: Vec::new(),
            }
        }

        fn document(&mut self) -> Value {
            let root = self.profile.root_ref();
            let value = self.element(root, 0);
            Value::from_pairs([(self.profile.root().name(), value)])
        }

        fn element(&mut self, id: ElementRef, depth: usize) -> Value {
            if self.profile.element(id).is_nillable() && self.tape.one_in(4) {
                return Value::from(());
            }
            match self.profile.element(id).type_ref() {
                TypeRef::Simple(simple) => self.leaf(simple),
                TypeRef::Complex(complex) => self.complex(complex, depth),
            }
        }

        fn complex(&mut self, id: ComplexTypeRef, depth: usize) -> Value {
            let complex = self.profile.complex_type(id);
            let mut pairs: Vec<(String, Value)> = Vec::new();
            for attribute in complex.attributes() {
                let skip = if attribute.is_required() {
                    self.mischief && self.tape.one_in(20)
                } else {
                    self.tape.one_in(2)
                };
                if !skip {
                    pairs.push((
                        format!("@{}", attribute.name()),
                        self.leaf(attribute.type_ref()),
                    ));
                }
            }
            // An attribute no declaration names, where the type writes one.
            if complex.writes_undeclared_attributes() && self.tape.one_in(2) {
                let value = match self.tape.pick(3) {
                    0 => Value::from("free & <text>"),
                    1 => Value::from(12),
                    _ => Value::from(""),
                };
                pairs.push(("@wild-extra".to_owned(), value));
            }
            if complex.is_mixed() && self.tape.one_in(2) {
                pairs.push(("#text".to_owned(), Value::from("some & <text>")));
            }
            match complex.content() {
                Content::Empty => {}
                Content::Simple(simple) => pairs.push(("#text".to_owned(), self.leaf(*simple))),
                Content::Elements(particle) => {
                    let mut children: Vec<(String, Vec<Value>)> = Vec::new();
                    self.particle(particle, depth, &mut children);
                    for (name, items) in children {
                        let repeats = complex
                            .child_keys
                            .iter()
                            .any(|k| k.local == name && k.repeats);
                        // A list-typed value given as its text is not
                        // wrapped: a list there is the items.
                        let text_of_list = items.len() == 1
                            && items[0].kind() == ValueKind::String
                            && complex.first_child(&name).is_some_and(|id| {
                                matches!(
                                    self.profile.element(id).type_ref(),
                                    TypeRef::Simple(s) if self.profile.simple_type(s).item().is_some()
                                )
                            });
                        let value = if !repeats
                            && items.len() == 1
                            && (text_of_list || !self.tape.one_in(8))
                        {
                            items.into_iter().next().unwrap_or_default()
                        } else if repeats && items.len() == 1 && self.tape.one_in(4) {
                            // A single value for a repeating element is one occurrence.
                            items.into_iter().next().unwrap_or_default()
                        } else {
                            Value::from(items)
                        };
                        pairs.push((name, value));
                    }
                    // Repeating elements that did not occur, as read gives them.
                    for key in &complex.child_keys {
                        if key.repeats
                            && !pairs.iter().any(|(n, _)| *n == key.local)
                            && self.tape.one_in(2)
                        {
                            pairs.push((key.local.clone(), Value::from(Vec::<Value>::new())));
                        }
                    }
                }
            }
            if self.mischief && self.tape.one_in(25) {
                pairs.push(("Bogus".to_owned(), Value::from("x")));
            }
            if self.mischief && self.tape.one_in(40) {
                pairs.push(("@bogus".to_owned(), Value::from("x")));
            }
            // Map order must not matter.
            if self.tape.one_in(3) {
                pairs.reverse();
            }
            Value::from_pairs(pairs.into_iter().map(|(k, v)| (Value::from(k), v)))
        }

        fn particle(
            &mut self,
            particle: &Particle,
            depth: usize,
            out: &mut Vec<(String, Vec<Value>)>,
        ) {
            let min = particle.min_occurs();
            let max = match particle.max_occurs() {
                MaxOccurs::Bounded(max) => max.min(min + 3),
                MaxOccurs::Unbounded => min + 3,
            };
            let mut count = if depth > 4 {
                min
            } else {
                min + self.tape.pick((max - min + 1) as usize) as u32
            };
            if self.mischief && self.tape.one_in(30) {
                count = if self.tape.one_in(2) {
                    min.saturating_sub(1)
                } else {
                    count + 1
                };
            }
            for _ in 0..count {
                match particle.term() {
                    Term::Element(id) => {
                        let value = self.element(*id, depth + 1);
                        let name = self.profile.element(*id).name().to_owned();
                        match out.iter_mut().find(|(n, _)| *n == name) {
                            Some((_, items)) => items.push(value),
                            None => out.push((name, vec![value])),
                        }
                    }
                    Term::Any(wildcard) => {
                        // A global element in no namespace where the
                        // wildcard reads by one, else untyped text.
                        let globals: Vec<ElementRef> = self
                            .profile
                            .globals
                            .iter()
                            .copied()
                            .filter(|id| self.profile.element(*id).namespace().is_none())
                            .collect();
                        let (name, value) = match wildcard.process() {
                            _ if !wildcard.admits(None) => continue,
                            ProcessContents::Strict if globals.is_empty() => continue,
                            ProcessContents::Lax | ProcessContents::Strict
                                if !globals.is_empty()
                                    && (wildcard.process() == ProcessContents::Strict
                                        || self.tape.one_in(2)) =>
                            {
                                let id = globals[self.tape.pick(globals.len())];
                                let name = self.profile.element(id).name().to_owned();
                                (name, self.element(id, depth + 1))
                            }
                            _ => ("wild-any".to_owned(), Value::from("any text")),
                        };
                        match out.iter_mut().find(|(n, _)| *n == name) {
                            Some((_, items)) => items.push(value),
                            None => out.push((name, vec![value])),
                        }
                    }
                    Term::Sequence(children) | Term::All(children) => {
                        for child in children {
                            self.particle(child, depth, out);
                        }
                    }
                    Term::Choice(children) => {
                        let first = if depth > 4 {
                            0
                        } else {
                            self.tape.pick(children.len())
                        };
                        if let Some(child) = children.get(first) {
                            self.particle(child, depth, out);
                        }
                        if self.mischief && self.tape.one_in(30) {
                            let second = self.tape.pick(children.len());
                            if let Some(child) = children.get(second) {
                                self.particle(child, depth, out);
                            }
                        }
                    }
                }
            }
        }

        /// Values for a simple type: its built-in type's, or a union's
        /// members', and the enumerations of its derivation as text.
        fn candidates(&self, simple: SimpleTypeRef) -> Vec<(Value, String)> {
            let simple_type = self.profile.simple_type(simple);
            let mut out = match (simple_type.members(), simple_type.item()) {
                (_, Some(item)) => self.list_candidates(item),
                ([], None) => candidates(simple_type.builtin()),
                (members, None) => members.iter().flat_map(|m| self.candidates(*m)).collect(),
            };
            let mut step = Some(simple);
            while let Some(id) = step {
                let step_type = self.profile.simple_type(id);
                for value in &step_type.facets().enumeration {
                    out.push((Value::from(value.lexical.as_str()), value.lexical.clone()));
                }
                step = step_type.base();
            }
            out
        }

        /// Lists of none, one and two of the item type's values that can
        /// be items, given as lists and as their text.
        fn list_candidates(&self, item: SimpleTypeRef) -> Vec<(Value, String)> {
            let items: Vec<(Value, String)> = self
                .candidates(item)
                .into_iter()
                .filter(|(_, lexical)| {
                    !lexical.is_empty()
                        && !lexical.contains(crate::doc::xml::is_xml_whitespace)
                        && self.profile.check_simple(item, lexical).is_ok()
                })
                .collect();
            let mut out = vec![(Value::from(Vec::<Value>::new()), String::new())];
            for (i, (value, lexical)) in items.iter().enumerate() {
                out.push((Value::from(vec![value.clone()]), lexical.clone()));
                if let Some((next, next_lexical)) = items.get(i + 1) {
                    let text = format!("{lexical} {next_lexical}");
                    out.push((Value::from(vec![value.clone(), next.clone()]), text.clone()));
                    out.push((Value::from(text.as_str()), text));
                }
            }
            out
        }

        /// A leaf for a simple type: mostly one that passes its checks.
        /// An ID is one not given before, and a reference names one given
        /// before (schemas here declare an ID ahead of the references).
        fn leaf(&mut self, simple: SimpleTypeRef) -> Value {
            let identity = self.profile.simple_type(simple).identity;
            let candidates = self.candidates(simple);
            let valid: Vec<&(Value, String)> = candidates
                .iter()
                .filter(|(value, lexical)| {
                    self.profile.check_simple(simple, lexical).is_ok()
                        && lexical.chars().all(crate::doc::xml::is_xml_char)
                        && !(identity == Identity::Id && self.ids.contains(value))
                })
                .collect();
            let wild = self.mischief && self.tape.one_in(10) || valid.is_empty();
            let value = if wild {
                candidates[self.tape.pick(candidates.len())].0.clone()
            } else if identity == Identity::IdRef && !self.ids.is_empty() {
                self.ids[self.tape.pick(self.ids.len())].clone()
            } else {
                valid[self.tape.pick(valid.len())].0.clone()
            };
            if identity == Identity::Id {
                self.ids.push(value.clone());
            }
            value
        }
    }

    /// Values for a built-in type, with the text `write` makes of each.
    fn candidates(builtin: BuiltIn) -> Vec<(Value, String)> {
        let text = |s: &str| (Value::from(s), s.to_owned());
        let mut out: Vec<(Value, String)> = match builtin {
            BuiltIn::String | BuiltIn::AnyUri => [
                "",
                "x",
                "AB-12345",
                "ZZ-00000001",
                "ABC-1",
                "XYZ-987",
                "GIFT",
                "1234567812345678",
                "web",
                "partner api",
                "EUR",
                "USD",
                "A-1",
                "DE",
                "ada@example.com",
                "a<b&c>\"'",
                " spaced  out ",
                "tab\there",
                "line\nbreak",
                "cr\rlf",
                "é€😀",
                "http://example.com/a?b=c",
                "\u{1}",
            ]
            .map(text)
            .to_vec(),
            BuiltIn::Int | BuiltIn::Integer | BuiltIn::Long => vec![
                (Value::from(0), "0".into()),
                (Value::from(1), "1".into()),
                (Value::from(-5), "-5".into()),
                (Value::from(1000), "1000".into()),
                (Value::from(1001), "1001".into()),
                (Value::from(i64::from(i32::MAX)), i32::MAX.to_string()),
                (Value::from(i64::MAX), i64::MAX.to_string()),
                (Value::from(3.0), "3".into()),
                (Value::from(2.5), "2.5".into()),
                text("42"),
                text(" +7 "),
                text("abc"),
            ],
            BuiltIn::Decimal => vec![
                (Value::from(0.0), "0".into()),
                (Value::from(12.5), "12.5".into()),
                (Value::from(37.25), "37.25".into()),
                (Value::from(-1.0), "-1".into()),
                (Value::from(0.001), "0.001".into()),
                (Value::from(7), "7".into()),
                text("12.50"),
                text("1e3"),
            ],
            BuiltIn::Double => vec![
                (Value::from(1.5), "1.5".into()),
                (Value::from(0.5), "0.5".into()),
                (Value::from(-0.25), "-0.25".into()),
                (Value::from(1e300), "1e300".into()),
                (Value::from(f64::INFINITY), "INF".into()),
                (Value::from(3), "3.0".into()),
                text("1E3"),
                text("inf"),
            ],
            BuiltIn::Boolean => vec![
                (Value::from(true), "true".into()),
                (Value::from(false), "false".into()),
                text("1"),
                text(" false "),
                // Numbers are refused for booleans, whatever their text.
                (Value::from(1), "\u{1}".into()),
                text("yes"),
            ],
            BuiltIn::Date => [
                "2024-02-29",
                "2024-01-01Z",
                " 1999-12-31+01:00 ",
                "2023-02-29",
                "2024-1-1",
            ]
            .map(text)
            .to_vec(),
            BuiltIn::DateTime => [
                "2024-05-01T10:30:00Z",
                "2024-05-01T10:30:00.25",
                "2024-05-01 10:30",
            ]
            .map(text)
            .to_vec(),
            BuiltIn::Time => ["12:00:00", "24:00:00", "23:59:59.5-05:00", "25:00:00"]
                .map(text)
                .to_vec(),
            BuiltIn::Base64Binary => ["", "QUJD", "QUI=", "QU JD", "Q"].map(text).to_vec(),
            BuiltIn::HexBinary => ["", "0A", "0a1F", "ABC", "zz"].map(text).to_vec(),
            BuiltIn::Duration => ["P1Y2M3DT4H5M6.5S", "-PT15M", " P1D ", "P", "PT", "P1.5D"]
                .map(text)
                .to_vec(),
            BuiltIn::GYear => vec![
                text("2024"),
                text("-0044"),
                text("12024Z"),
                text("24"),
                text("0000"),
                (Value::from(1999), "1999".into()),
            ],
            BuiltIn::GYearMonth => ["2024-02", "2024-02+01:00", "2024-13", "2024-2"]
                .map(text)
                .to_vec(),
            BuiltIn::GMonthDay => ["--02-29", "--12-25Z", "--04-31", "--2-01"]
                .map(text)
                .to_vec(),
            BuiltIn::GDay => ["---01", "---31Z", "---32", "--01"].map(text).to_vec(),
            BuiltIn::GMonth => ["--12", "--01-05:00", "--13", "--1"].map(text).to_vec(),
        };
        // Values of the wrong kind for any type, never picked as valid.
        out.push((Value::from(vec![Value::from(1)]), "\u{1}".into()));
        out.push((Value::from_pairs([("k", 1)]), "\u{1}".into()));
        out
    }

    /// Whether `read` (what came back) holds the same data as `written`
    /// (what was given), allowing for the documented normalisations:
    /// absent and none are one, a single value and a list of one are one
    /// occurrence, numbers and booleans may be given as text, leaves
    /// are whitespace-processed by type, and plain values for simple
    /// content are its `#text`.
    fn same(read: &Value, written: &Value) -> Result<(), String> {
        let mismatch = || Err(format!("read {read:?}, written {written:?}"));
        match (read.kind(), written.kind()) {
            (ValueKind::Map, ValueKind::Map) => {
                let keys = |v: &Value| -> Vec<Value> {
                    v.try_iter().map(|keys| keys.collect()).unwrap_or_default()
                };
                let present = |v: &Value, k: &Value| {
                    v.get_item(k)
                        .ok()
                        .filter(|x| !x.is_none() && !x.is_undefined())
                };
                // `none` written for a nillable element reads back as nil:
                // `none`, or a list of one `none` where it may repeat.
                let nil = |v: &Value| {
                    v.is_none()
                        || v.len() == Some(1)
                            && v.get_item(&Value::from(0)).is_ok_and(|x| x.is_none())
                };
                for key in keys(read) {
                    let raw = read.get_item(&key).unwrap_or_default();
                    if nil(&raw) && written.get_item(&key).is_ok_and(|w| w.is_none()) {
                        continue;
                    }
                    let r = present(read, &key).unwrap_or_default();
                    match present(written, &key) {
                        Some(w) => same(&r, &w)?,
                        None if r.kind() == ValueKind::Seq && r.len() == Some(0) => {}
                        None => return Err(format!("read has {key} = {r:?}, not written")),
                    }
                }
                for key in keys(written) {
                    if let Some(w) = present(written, &key)
                        && present(read, &key).is_none()
                        && !(w.kind() == ValueKind::Seq && w.len() == Some(0))
                    {
                        return Err(format!("written {key} = {w:?} did not come back"));
                    }
                }
                Ok(())
            }
            (ValueKind::None, ValueKind::None) => Ok(()),
            (ValueKind::Seq, ValueKind::Seq) => {
                let r: Vec<Value> = read.try_iter().map(|i| i.collect()).unwrap_or_default();
                let w: Vec<Value> = written.try_iter().map(|i| i.collect()).unwrap_or_default();
                // A list type's value given as one occurrence of it.
                if let [only] = &w[..]
                    && only.kind() == ValueKind::Seq
                    && r.len() != 1
                {
                    return same(read, only);
                }
                if r.len() != w.len() {
                    return mismatch();
                }
                r.iter().zip(&w).try_for_each(|(r, w)| same(r, w))
            }
            (ValueKind::Seq, _) if read.len() == Some(1) => {
                same(&read.get_item(&Value::from(0)).unwrap_or_default(), written)
            }
            // A list type given as its text: item by item.
            (ValueKind::Seq, ValueKind::String) => {
                let r: Vec<Value> = read.try_iter().map(|i| i.collect()).unwrap_or_default();
                let w: Vec<Value> = written
                    .as_str()
                    .unwrap_or_default()
                    .split(crate::doc::xml::is_xml_whitespace)
                    .filter(|t| !t.is_empty())
                    .map(Value::from)
                    .collect();
                if r.len() != w.len() {
                    return mismatch();
                }
                r.iter().zip(&w).try_for_each(|(r, w)| same(r, w))
            }
            (_, ValueKind::Seq) if written.len() == Some(1) => {
                same(read, &written.get_item(&Value::from(0)).unwrap_or_default())
            }
            (ValueKind::Map, _) => {
                let text = read.get_attr("#text").unwrap_or_default();
                if read.len() == Some(1) && !text.is_undefined() {
                    same(&text, written)
                } else if written.as_str() == Some("") && read.len() == Some(0) {
                    Ok(())
                } else {
                    mismatch()
                }
            }
            _ if leaf_same(read, written) => Ok(()),
            _ => mismatch(),
        }
    }

    fn leaf_same(read: &Value, written: &Value) -> bool {
        if read == written {
            return true;
        }
        let number = |v: &Value| -> Option<f64> {
            match v.kind() {
                ValueKind::Number => f64::try_from(v.clone()).ok(),
                ValueKind::String => {
                    let s = v.as_str()?.trim();
                    match s {
                        "INF" => Some(f64::INFINITY),
                        "-INF" => Some(f64::NEG_INFINITY),
                        _ => s.parse().ok(),
                    }
                }
                _ => None,
            }
        };
        match read.kind() {
            ValueKind::Number => number(read).is_some() && number(read) == number(written),
            ValueKind::Bool => {
                let truth = match written.kind() {
                    ValueKind::Bool => Some(written.is_true()),
                    _ => match written.as_str().map(str::trim) {
                        Some("true" | "1") => Some(true),
                        Some("false" | "0") => Some(false),
                        _ => None,
                    },
                };
                truth == Some(read.is_true())
            }
            ValueKind::String => {
                let r = read.as_str().unwrap_or_default();
                match written.kind() {
                    ValueKind::String => {
                        let w = written.as_str().unwrap_or_default();
                        r == w || r == w.split_whitespace().collect::<Vec<_>>().join(" ")
                    }
                    ValueKind::Bool => r == if written.is_true() { "true" } else { "false" },
                    ValueKind::Number => {
                        r.parse::<f64>().ok() == f64::try_from(written.clone()).ok()
                    }
                    _ => false,
                }
            }
            _ => false,
        }
    }

    use minijinja::value::ValueKind;

    /// The fixture profiles, compiled once for all cases.
    fn profiles() -> &'static [Arc<XmlProfile>] {
        static PROFILES: std::sync::LazyLock<Vec<Arc<XmlProfile>>> =
            std::sync::LazyLock::new(|| {
                vec![
                    order(),
                    shapes(),
                    envelope(),
                    note(),
                    invoice(),
                    every_built_in_type(),
                    compile_clean(UNIONS),
                    compile_clean(LISTS),
                    compile_clean(WILDCARDS),
                    compile_clean(ANY),
                    compile_clean(MIXED),
                ]
            });
        &PROFILES
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever `write` accepts, `read` accepts and gives back.
        #[test]
        fn write_then_read_gives_the_value_back(
            which in 0usize..11,
            mischief in any::<bool>(),
            choices in prop::collection::vec(any::<u32>(), 0..400),
        ) {
            let profile = &profiles()[which];
            let mut generator = Generator::new(profile, &choices, mischief);
            let written = generator.document();
            match profile.write(&written) {
                Err(violations) => prop_assert!(!violations.is_empty()),
                Ok(text) => {
                    let read = profile.read(&text, &limits());
                    prop_assert!(read.is_ok(), "{text}\n{:?}", read);
                    let read = read.unwrap_or_default();
                    let outcome = same(&read, &written);
                    prop_assert!(outcome.is_ok(), "{:?}\n{text}", outcome);
                }
            }
        }

        /// Values built from the profile without mischief are written.
        #[test]
        fn valid_values_are_written(
            which in 0usize..11,
            choices in prop::collection::vec(any::<u32>(), 0..400),
        ) {
            let profile = &profiles()[which];
            let mut generator = Generator::new(profile, &choices, false);
            let written = generator.document();
            let outcome = profile.write(&written);
            prop_assert!(outcome.is_ok(), "{:?}\n{written:?}", outcome);
        }

        /// Reading never panics, whatever the text.
        #[test]
        fn read_never_panics(text in prop_oneof![any::<String>(), xmlish()], which in 0usize..11) {
            let profile = &profiles()[which];
            let _ = profile.read(&text, &limits());
        }
    }

    /// Random schemas made of XSD elements and attributes, nested: mostly
    /// nonsense, much of it well-formed.
    fn schema_text() -> impl Strategy<Value = String> {
        let names = vec![
            "element",
            "complexType",
            "simpleType",
            "sequence",
            "choice",
            "all",
            "attribute",
            "restriction",
            "extension",
            "simpleContent",
            "enumeration",
            "pattern",
            "minInclusive",
            "maxLength",
            "length",
            "whiteSpace",
            "include",
            "import",
            "annotation",
            "group",
            "attributeGroup",
            "complexContent",
            "any",
        ];
        let attributes = vec![
            " name=\"a\"",
            " name=\"b\"",
            " name=\"T\"",
            " type=\"xs:int\"",
            " type=\"T\"",
            " type=\"xs:token\"",
            " ref=\"a\"",
            " ref=\"T\"",
            " base=\"xs:string\"",
            " base=\"T\"",
            " base=\"xs:decimal\"",
            " minOccurs=\"0\"",
            " minOccurs=\"2\"",
            " maxOccurs=\"unbounded\"",
            " maxOccurs=\"0\"",
            " value=\"[a-z\"",
            " value=\"5\"",
            " value=\"\\d+\"",
            " schemaLocation=\"other.xsd\"",
            " schemaLocation=\"test.xsd\"",
            " use=\"required\"",
            " namespace=\"urn:o\"",
            " form=\"qualified\"",
        ];
        let leaf = (
            prop::sample::select(names.clone()),
            prop::sample::subsequence(attributes.clone(), 0..4),
        )
            .prop_map(|(name, attrs)| format!("<xs:{name}{}/>", attrs.concat()));
        let tree = leaf.prop_recursive(5, 60, 6, move |inner| {
            (
                prop::sample::select(names.clone()),
                prop::sample::subsequence(attributes.clone(), 0..4),
                prop::collection::vec(inner, 0..6),
            )
                .prop_map(|(name, attrs, children)| {
                    format!(
                        "<xs:{name}{}>{}</xs:{name}>",
                        attrs.concat(),
                        children.concat()
                    )
                })
        });
        (prop::collection::vec(tree, 0..6), any::<bool>()).prop_map(|(trees, namespaced)| {
            let target = if namespaced {
                " targetNamespace=\"urn:t\" xmlns=\"urn:t\" elementFormDefault=\"qualified\""
            } else {
                ""
            };
            format!("<xs:schema {XS}{target}>{}</xs:schema>", trees.concat())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Compiling never panics, and what compiles can be used.
        #[test]
        fn compiling_never_panics(test in schema_text(), other in schema_text()) {
            let files = [
                SourceFile::new("profiles/test.xsd", test),
                SourceFile::new("profiles/other.xsd", other),
            ];
            let (profiles, diagnostics) = compile(&files);
            for (name, profile) in profiles {
                // A profile is returned only when its file is free of errors.
                let file = format!("profiles/{name}.xsd");
                prop_assert!(!diagnostics.iter().any(|d| d.is_error()
                    && d.location.as_ref().is_some_and(|l| l.file == file)));
                let _ = profile.to_string();
                let _ = super::emitted::emit_files(&[&profile]);
                let _ = profile.json_schema("#/$defs/");
                let _ = profile.read("<a><b>5</b></a>", &limits());
                let _ = profile.write(&value(r#"{"a": {"b": [5, "x"], "@a": 1}}"#));
            }
        }
    }

    /// Strings made of pieces of the fixtures' documents, so that many get past the first tag.
    fn xmlish() -> impl Strategy<Value = String> {
        let pieces = vec![
            "<Order xmlns=\"urn:example:order\" version=\"1\">",
            "</Order>",
            "<Lines>",
            "</Lines>",
            "<Line>",
            "</Line>",
            "<Sku>GIFT</Sku>",
            "<Qty>",
            "</Qty>",
            "3",
            "x",
            " ",
            "<Price currency=\"EUR\">1</Price>",
            "<Id>AB-1234</Id>",
            "<Tag>t</Tag>",
            "<Card/>",
            "<Shapes>",
            "</Shapes>",
            "<Settings>",
            "</Settings>",
            "<Width>1</Width>",
            "<Height>2</Height>",
            "<Shape>",
            "</Shape>",
            "<Group>",
            "</Group>",
            "<Circle r=\"1\"/>",
            "<Mark>m</Mark>",
            "<Label>l</Label>",
            "<From>10:00:00</From>",
            "<To>11:00:00</To>",
            "<m:Envelope xmlns:m=\"urn:example:main\">",
            "</m:Envelope>",
            "<Header>",
            "</Header>",
            "<Note xmlns=\"urn:example:default\">",
            "</Note>",
            "<To>a</To>",
            "<Body>b</Body>",
            "<Reply>",
            "</Reply>",
            "&amp;",
            "&#65;",
            "<![CDATA[x]]>",
            "<!-- c -->",
            "<",
            ">",
            "/",
            "\"",
            "=",
            "<!DOCTYPE x>",
            "xmlns:q=\"u\"",
            "<q:x>",
            "</q:x>",
            "xsi:type=\"x\"",
        ];
        prop::collection::vec(prop::sample::select(pieces), 0..30).prop_map(|v| v.concat())
    }

    /// The fixture and repository profiles, each with its emitted schema
    /// compiled again, for all cases.
    fn emitted_pairs() -> &'static [(Arc<XmlProfile>, Arc<XmlProfile>)] {
        static PAIRS: std::sync::LazyLock<Vec<(Arc<XmlProfile>, Arc<XmlProfile>)>> =
            std::sync::LazyLock::new(|| {
                let mut profiles = vec![
                    order(),
                    shapes(),
                    envelope(),
                    note(),
                    invoice(),
                    every_built_in_type(),
                    compile_clean(UNIONS),
                    compile_clean(LISTS),
                    compile_clean(WILDCARDS),
                    compile_clean(ANY),
                    compile_clean(MIXED),
                ];
                profiles.extend(super::emitted::repository_profiles());
                profiles
                    .into_iter()
                    .map(|p| {
                        let again = super::emitted::recompiled(&p);
                        (p, again)
                    })
                    .collect()
            });
        &PAIRS
    }

    /// The elements of a document written by `write`: the byte range of
    /// each, from its start tag to the end of its end tag. `write` gives no
    /// comments, CDATA or `>` in attribute values, which keeps this simple.
    fn element_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
        let mut ranges = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        let mut at = 0;
        while let Some(offset) = text[at..].find('<') {
            let start = at + offset;
            let Some(length) = text[start..].find('>') else {
                break;
            };
            let end = start + length + 1;
            let tag = &text[start..end];
            if tag.starts_with("</") {
                if let Some(begin) = open.pop() {
                    ranges.push(begin..end);
                }
            } else if tag.ends_with("/>") {
                ranges.push(start..end);
            } else if !tag.starts_with("<?") {
                open.push(start);
            }
            at = end;
        }
        ranges
    }

    /// The ranges of text content and of attribute values.
    fn value_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        let mut inside_tag = false;
        let mut in_value = false;
        let mut begin = 0;
        for (i, c) in text.char_indices() {
            match (c, inside_tag, in_value) {
                ('<', false, _) => {
                    if i > begin {
                        out.push(begin..i);
                    }
                    inside_tag = true;
                }
                ('>', true, false) => {
                    inside_tag = false;
                    begin = i + 1;
                }
                ('"', true, false) => {
                    in_value = true;
                    begin = i + 1;
                }
                ('"', true, true) => {
                    in_value = false;
                    out.push(begin..i);
                }
                _ => {}
            }
        }
        out
    }

    /// A document changed in one place: an element dropped, doubled or
    /// moved to the end of its parent, a value replaced, an attribute dropped.
    fn mutate(text: &str, tape: &mut Tape<'_>) -> String {
        const VALUES: [&str; 14] = [
            "",
            "x",
            "-1",
            "0",
            "1",
            "1.5",
            "abc",
            "2024-01-01",
            "true",
            "A-1",
            "QUJD",
            "INF",
            "rush",
            "&lt;",
        ];
        let elements = element_ranges(text);
        // The document element is left alone: changing it is tested elsewhere.
        let inner: Vec<std::ops::Range<usize>> = elements
            .iter()
            .filter(|r| {
                r.start > 0 && text[..r.start].contains('<') && r.end < text.trim_end().len()
            })
            .cloned()
            .collect();
        match tape.pick(4) {
            0 | 1 if !inner.is_empty() => {
                let range = inner[tape.pick(inner.len())].clone();
                let element = &text[range.clone()];
                if tape.one_in(2) {
                    format!("{}{}", &text[..range.start], &text[range.end..])
                } else {
                    format!(
                        "{}{element}{element}{}",
                        &text[..range.start],
                        &text[range.end..]
                    )
                }
            }
            _ => {
                let values = value_ranges(text);
                if values.is_empty() {
                    return text.to_owned();
                }
                let range = values[tape.pick(values.len())].clone();
                let value = VALUES[tape.pick(VALUES.len())];
                format!("{}{value}{}", &text[..range.start], &text[range.end..])
            }
        }
    }

    /// The profile with every particle matched by the general path.
    fn without_flat_sequences(mut profile: Arc<XmlProfile>) -> Arc<XmlProfile> {
        fn unflatten(particle: &mut Particle) {
            particle.flat = false;
            if let Term::Sequence(children) | Term::Choice(children) | Term::All(children) =
                &mut particle.term
            {
                children.iter_mut().for_each(unflatten);
            }
        }
        let unique = Arc::get_mut(&mut profile).expect("a profile just compiled");
        for complex in &mut unique.complex_types {
            if let Content::Elements(particle) = &mut complex.content {
                unflatten(particle);
            }
        }
        profile
    }

    /// What reading a document gives, in a form two readings can be compared by.
    fn outcome(profile: &XmlProfile, text: &str) -> Result<String, Vec<String>> {
        profile
            .read(text, &limits())
            .map(|value| show(&value))
            .map_err(|error| {
                error
                    .into_violations()
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// A flat sequence is matched by one loop (`read::feed_flat`): every
        /// document reads as the general matcher reads it, to the same
        /// value or the same violations.
        #[test]
        fn flat_sequences_match_as_the_general_matcher_does(
            particles in prop::collection::vec((0usize..3, 0u32..3, 0usize..4), 1..6),
            nested in any::<bool>(),
            children in prop::collection::vec(0usize..4, 0..10),
        ) {
            const NAMES: [&str; 4] = ["a", "b", "c", "d"];
            let mut xsd = String::from(
                r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="R"><xs:complexType><xs:sequence>"#,
            );
            // Nested, the flat sequence is one alternative of a repeated
            // choice, so it starts afresh with each occurrence of the choice.
            if nested {
                xsd.push_str(r#"<xs:choice maxOccurs="3"><xs:element name="d" type="xs:int"/><xs:sequence>"#);
            }
            for (name, min, max) in &particles {
                let max = ["1", "2", "3", "unbounded"][*max];
                let min = max.parse::<u32>().map_or(*min, |max| (*min).min(max));
                xsd.push_str(&format!(
                    r#"<xs:element name="{}" type="xs:int" minOccurs="{min}" maxOccurs="{max}"/>"#,
                    NAMES[*name]
                ));
            }
            if nested {
                xsd.push_str("</xs:sequence></xs:choice>");
            }
            xsd.push_str("</xs:sequence></xs:complexType></xs:element></xs:schema>");
            let (flat, _) = compile_one(&xsd);
            let (general, _) = compile_one(&xsd);
            let (Some(flat), Some(general)) = (flat, general) else {
                return Err(TestCaseError::reject("the schema does not compile"));
            };
            fn any_flat(particle: &Particle) -> bool {
                particle.flat
                    || matches!(&particle.term, Term::Sequence(children) | Term::Choice(children)
                        if children.iter().any(any_flat))
            }
            let flat_somewhere = flat.complex_types.iter().any(|c| {
                matches!(&c.content, Content::Elements(particle) if any_flat(particle))
            });
            prop_assert!(flat_somewhere);
            let general = without_flat_sequences(general);
            let mut text = String::from("<R>");
            for (i, child) in children.iter().enumerate() {
                text.push_str(&format!("<{0}>{i}</{0}>", NAMES[*child]));
            }
            text.push_str("</R>");
            prop_assert_eq!(outcome(&flat, &text), outcome(&general, &text), "{}\n{}", xsd, text);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// A profile's emitted schema, compiled again, accepts and refuses
        /// the same documents, and reads them to the same values.
        #[test]
        fn emitted_schemas_validate_the_same_documents(
            which in 0usize..64,
            mutations in 0usize..3,
            choices in prop::collection::vec(any::<u32>(), 0..400),
            changes in prop::collection::vec(any::<u32>(), 0..8),
        ) {
            let pairs = emitted_pairs();
            let (original, emitted) = &pairs[which % pairs.len()];
            let mut generator = Generator::new(original, &choices, false);
            let value = generator.document();
            let Ok(mut text) = original.write(&value) else {
                return Ok(());
            };
            let mut tape = Tape { choices: &changes, at: 0 };
            for _ in 0..mutations {
                text = mutate(&text, &mut tape);
            }
            let expected = original.read(&text, &limits()).map(|v| show(&v));
            let actual = emitted.read(&text, &limits()).map(|v| show(&v));
            prop_assert_eq!(actual, expected, "{}", text);
        }
    }
}

// --- compiling: more diagnostics

fn compile_texts(files: &[(&str, &str)]) -> (Vec<String>, String) {
    let sources: Vec<Arc<SourceFile>> = files
        .iter()
        .map(|(path, text)| SourceFile::new(*path, (*text).to_owned()))
        .collect();
    let (profiles, diagnostics) = compile(&sources);
    (
        profiles.into_iter().map(|(name, _)| name).collect(),
        diagnostics.render(),
    )
}

const XS: &str = r#"xmlns:xs="http://www.w3.org/2001/XMLSchema""#;

#[test]
fn links_between_files_are_checked() {
    let a = format!(
        r#"<xs:schema {XS} targetNamespace="urn:a">
  <xs:include schemaLocation="b.xsd"/>
  <xs:include schemaLocation="c.xsd"/>
  <xs:include schemaLocation="sub/../a.xsd" namespace="urn:a"/>
  <xs:import namespace="urn:a" schemaLocation="d.xsd"/>
  <xs:import namespace="urn:z" schemaLocation="b.xsd"/>
  <xs:import namespace="urn:b"/>
  <xs:include schemaLocation="../../etc/passwd"/>
  <xs:include schemaLocation="https://example.com/x.xsd"/>
  <xs:element name="A" type="xs:string"/>
</xs:schema>"#
    );
    let b = format!(
        r#"<xs:schema {XS} targetNamespace="urn:b"><xs:element name="B" type="xs:string"/></xs:schema>"#
    );
    let c = format!(r#"<xs:schema {XS}><xs:element name="C" type="xs:string"/></xs:schema>"#);
    let d = format!(
        r#"<xs:schema {XS} targetNamespace="urn:a"><xs:element name="D" type="xs:string"/></xs:schema>"#
    );
    let (names, rendered) = compile_texts(&[
        ("profiles/a.xsd", &a),
        ("profiles/b.xsd", &b),
        ("profiles/c.xsd", &c),
        ("profiles/d.xsd", &d),
        ("profiles/more/b.xsd", &b),
    ]);
    assert_eq!(names, ["b", "c", "d"]);
    insta::assert_snapshot!("link_diagnostics", rendered);
}

#[test]
fn names_resolve_across_included_and_imported_files() {
    let main = format!(
        r#"<xs:schema {XS} xmlns:a="urn:a" xmlns:t="urn:types" targetNamespace="urn:a" elementFormDefault="qualified">
  <xs:include schemaLocation="parts/more.xsd"/>
  <xs:import namespace="urn:types" schemaLocation="parts/types.xsd"/>
  <xs:element name="Main">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Code" type="t:Code"/>
        <xs:element ref="a:Extra"/>
        <xs:element ref="t:Shared" minOccurs="0"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>"#
    );
    let more = format!(
        r#"<xs:schema {XS} xmlns:x="urn:a" xmlns:t="urn:types" targetNamespace="urn:a">
  <xs:import namespace="urn:types" schemaLocation="types.xsd"/>
  <xs:element name="Extra" type="t:Code"/>
</xs:schema>"#
    );
    let types = format!(
        r#"<xs:schema {XS} targetNamespace="urn:types">
  <xs:simpleType name="Code"><xs:restriction base="xs:string"><xs:length value="3"/></xs:restriction></xs:simpleType>
  <xs:element name="Shared" type="xs:string"/>
</xs:schema>"#
    );
    let files: Vec<Arc<SourceFile>> = [
        ("profiles/main.xsd", &main),
        ("profiles/parts/more.xsd", &more),
        ("profiles/parts/types.xsd", &types),
    ]
    .iter()
    .map(|(path, text)| SourceFile::new(*path, (*text).clone()))
    .collect();
    let (profiles, diagnostics) = compile(&files);
    assert!(!diagnostics.has_errors(), "{}", diagnostics.render());
    let names: Vec<&str> = profiles.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["main", "more", "types"]);
    let main = &profiles[0].1;
    assert_eq!(main.target_namespace(), Some("urn:a"));
    let text = main
        .write(&value(
            r#"{"Main": {"Code": "abc", "Extra": "xyz", "Shared": "s"}}"#,
        ))
        .expect("valid");
    assert_eq!(
        text,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Main xmlns=\"urn:a\" xmlns:t=\"urn:types\"><Code>abc</Code><Extra>xyz</Extra><t:Shared>s</t:Shared></Main>"
    );
    assert_eq!(
        read_ok(main, &text),
        "{'Main': {'Code': 'abc', 'Extra': 'xyz', 'Shared': 's'}}"
    );
    assert_eq!(
        read_err(
            main,
            "<Main xmlns=\"urn:a\"><Code>abcd</Code><Extra>xyz</Extra></Main>"
        ),
        ["/Main/Code: \"abcd\" has 4 characters, expected exactly 3"]
    );
}

#[test]
fn simple_content_extends_simple_content() {
    let xsd = format!(
        r#"<xs:schema {XS}>
  <xs:element name="Amount" type="Taxed"/>
  <xs:complexType name="Taxed">
    <xs:simpleContent>
      <xs:extension base="Money"><xs:attribute name="rate" type="xs:decimal"/></xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:complexType name="Money">
    <xs:simpleContent>
      <xs:extension base="xs:decimal"><xs:attribute name="currency" type="xs:string" use="required"/></xs:extension>
    </xs:simpleContent>
  </xs:complexType>
</xs:schema>"#
    );
    let profile = compile_clean(&xsd);
    assert_eq!(
        read_ok(
            &profile,
            r#"<Amount rate="0.2" currency="EUR"> 10 </Amount>"#
        ),
        "{'Amount': {'@rate': 0.2, '@currency': 'EUR', '#text': 10.0}}"
    );
    assert_eq!(
        read_err(&profile, r#"<Amount rate="x">ten<b/></Amount>"#),
        [
            "/Amount/@rate: \"x\" is not a decimal number",
            "/Amount: missing attribute `currency`",
            "/Amount/b: no element `b` here: `Amount` holds text only",
            "/Amount: \"ten\" is not a decimal number",
        ]
    );
    // A plain value is the text of simple content.
    assert_eq!(
        profile
            .write(&value(r#"{"Amount": 5}"#))
            .map_err(|v| v[0].to_string()),
        Err("/Amount: missing attribute `currency`".to_owned())
    );
}

#[test]
fn model_and_type_mistakes() {
    let xsd = format!(
        r#"<xs:schema {XS}>
  <xs:element name="Root">
    <xs:complexType>
      <xs:sequence>
        <xs:all><xs:element name="A" type="xs:int"/></xs:all>
        <xs:choice>
          <xs:element name="B" type="xs:int"/>
          <xs:sequence><xs:element name="B" type="xs:string"/></xs:sequence>
        </xs:choice>
        <xs:choice/>
        <xs:element name="C" type="xs:int" maxOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="x" type="xs:int"/>
      <xs:attribute name="x" type="xs:string"/>
      <xs:attribute name="y" type="Root"/>
      <xs:attribute name="z"/>
      <xs:attribute name="w" type="xs:int" use="prohibited"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="Other" type="xs:int" maxOccurs="2"/>
  <xs:complexType name="Loop1"><xs:simpleContent><xs:extension base="Loop2"/></xs:simpleContent></xs:complexType>
  <xs:complexType name="Loop2"><xs:simpleContent><xs:extension base="Loop1"/></xs:simpleContent></xs:complexType>
  <xs:complexType name="Late">
    <xs:attribute name="a" type="xs:string"/>
    <xs:sequence/>
  </xs:complexType>
  <xs:simpleType name="Facets">
    <xs:restriction base="xs:string">
      <xs:length value="3"/>
      <xs:maxLength value="2"/>
      <xs:minLength value="-1"/>
      <xs:whiteSpace value="sometimes"/>
      <xs:totalDigits value="2"/>
      <xs:length value="4"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Looser">
    <xs:restriction base="xs:int"><xs:whiteSpace value="preserve"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="EnumOutsideBase">
    <xs:restriction base="Small"><xs:enumeration value="7"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Small">
    <xs:restriction base="xs:int"><xs:maxExclusive value="5"/></xs:restriction>
  </xs:simpleType>
</xs:schema>"#
    );
    let (profile, diagnostics) = compile_one(&xsd);
    assert!(profile.is_none());
    insta::assert_snapshot!("model_and_type_mistakes", diagnostics.render());
}

#[test]
fn deeply_nested_schemas_compile() {
    // Nesting is bounded by the schema reader's depth limit (256): each
    // level here is three elements deep.
    let levels = 80;
    let mut xsd = format!("<xs:schema {XS}><xs:element name=\"L0\">");
    for i in 1..=levels {
        xsd.push_str(&format!(
            "<xs:complexType><xs:sequence minOccurs=\"0\"><xs:element name=\"L{i}\">"
        ));
    }
    xsd.push_str("<xs:simpleType><xs:restriction base=\"xs:int\"/></xs:simpleType>");
    for _ in 1..=levels {
        xsd.push_str("</xs:element></xs:sequence></xs:complexType>");
    }
    xsd.push_str("</xs:element></xs:schema>");
    let profile = compile_clean(&xsd);
    assert!(profile.to_string().lines().count() > 2 * levels);
    let path: Vec<String> = (0..=levels).map(|i| format!("L{i}")).collect();
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    assert!(profile.element_at(&path).is_some());

    let too_deep = format!("<xs:schema {XS}>{}", "<xs:annotation>".repeat(300));
    let (_, diagnostics) = compile_one(&too_deep);
    assert!(
        diagnostics
            .render()
            .contains("nesting deeper than 256 elements")
    );
}

/// A rough speed check, not run by default:
/// `cargo test --release --lib profile::xsd::tests::read_speed -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run by hand in release mode"]
fn read_speed() {
    let profile = order();
    let lines: String = (1..=8)
        .map(|i| {
            format!(
                "\n    <Line no=\"{i}\">\n      <Sku>ABC-{i}</Sku>\n      <Qty>{i}</Qty>\n      <Price currency=\"EUR\">1{i}.50</Price>\n      <Note>line {i}</Note>\n    </Line>"
            )
        })
        .collect();
    let text = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Order xmlns=\"urn:example:order\" version=\"2\" channel=\"web\">\n  <Id>AB-12345</Id>\n  <Customer>\n    <Name>Ada Lovelace</Name>\n    <Email>ada@example.com</Email>\n  </Customer>\n  <Lines>{lines}\n  </Lines>\n  <Total>137.50</Total>\n  <Paid>true</Paid>\n  <OrderDate>2024-02-29</OrderDate>\n  <Placed>2024-02-29T10:30:00Z</Placed>\n  <Card>1234567812345678</Card>\n  <Tag>priority</Tag>\n</Order>\n"
    );
    assert!(profile.read(&text, &limits()).is_ok());
    let rounds = 20_000;
    let measure = |f: &dyn Fn()| {
        for _ in 0..rounds / 10 {
            f();
        }
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            f();
        }
        started.elapsed() / rounds
    };
    let typed = measure(&|| {
        let _ = std::hint::black_box(profile.read(std::hint::black_box(&text), &limits()));
    });
    let untyped = measure(&|| {
        let _ = std::hint::black_box(crate::doc::xml::parse(
            std::hint::black_box(&text),
            &limits(),
        ));
    });
    let checked = measure(&|| {
        let _ = std::hint::black_box(crate::doc::xml::check(
            std::hint::black_box(&text),
            &limits(),
        ));
    });
    let value = profile.read(&text, &limits()).unwrap_or_default();
    let written = measure(&|| {
        let _ = std::hint::black_box(profile.write(std::hint::black_box(&value)));
    });
    println!(
        "{} bytes: read {typed:?}, xml::parse {untyped:?}, xml::check {checked:?}, write {written:?}",
        text.len()
    );
}

// --- emitted schemas

mod emitted {
    use super::*;
    use crate::profile::xsd::emit::{Origin, SchemaSet, Space};

    fn origin(id: usize, label: &str) -> Origin {
        Origin {
            id,
            label: format!("profile `{label}`"),
        }
    }

    /// Where the emitted schema of a namespace is written: the one of
    /// `root` (the profile's document element) as `profiles/emitted.xsd`,
    /// so that it names the profile.
    fn file_name(namespaces: &[Option<String>], root: Option<&str>, ns: Option<&str>) -> String {
        if ns == root {
            return "emitted.xsd".to_owned();
        }
        let index = namespaces
            .iter()
            .position(|n| n.as_deref() == ns)
            .unwrap_or(usize::MAX);
        format!("emitted-{index}.xsd")
    }

    /// The schemas emitted for `profiles`, as files under `profiles/`.
    pub(super) fn emit_files(profiles: &[&XmlProfile]) -> Vec<(String, String)> {
        let mut set = SchemaSet::new();
        for (i, profile) in profiles.iter().enumerate() {
            let clashes = set.add_profile(profile, &origin(i, profile.name()));
            assert!(clashes.is_empty(), "{clashes:?}");
        }
        let namespaces: Vec<Option<String>> =
            set.namespaces().map(|n| n.map(str::to_owned)).collect();
        let root = profiles.first().and_then(|p| p.root().namespace());
        set.documents(&|ns| Some(file_name(&namespaces, root, ns)))
            .into_iter()
            .map(|(ns, text)| {
                (
                    format!("profiles/{}", file_name(&namespaces, root, ns.as_deref())),
                    text,
                )
            })
            .collect()
    }

    /// `profile` emitted and compiled again.
    pub(super) fn recompiled(profile: &XmlProfile) -> Arc<XmlProfile> {
        let files = emit_files(&[profile]);
        let sources: Vec<Arc<SourceFile>> = files
            .iter()
            .map(|(path, text)| SourceFile::new(path.clone(), text.clone()))
            .collect();
        let (profiles, diagnostics) = compile(&sources);
        assert!(
            !diagnostics.has_errors(),
            "{}\n{}",
            diagnostics.render(),
            shown(&files)
        );
        profiles
            .into_iter()
            .find(|(name, _)| name == "emitted")
            .map(|(_, p)| p)
            .unwrap_or_else(|| panic!("no profile from\n{}", shown(&files)))
    }

    fn shown(files: &[(String, String)]) -> String {
        files
            .iter()
            .map(|(path, text)| format!("--- {path}\n{text}"))
            .collect()
    }

    fn repository_profile(path: &str) -> Arc<XmlProfile> {
        let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
        let (profiles, diagnostics) = compile(&[SourceFile::new(path, text)]);
        assert!(!diagnostics.has_errors(), "{}", diagnostics.render());
        profiles
            .into_iter()
            .next()
            .map(|(_, p)| p)
            .expect("a profile")
    }

    /// Every XSD profile of the repository's roots.
    pub(super) fn repository_profiles() -> Vec<Arc<XmlProfile>> {
        [
            "profiles/order.xsd",
            "examples/xml-json-bridge/profiles/customer.xsd",
        ]
        .iter()
        .map(|path| repository_profile(path))
        .collect()
    }

    #[test]
    fn fixtures_as_emitted() {
        for (name, profile) in [
            ("emitted_order", order()),
            ("emitted_shapes", shapes()),
            ("emitted_namespaces", envelope()),
            ("emitted_default_namespace", note()),
            ("emitted_invoice", invoice()),
        ] {
            insta::assert_snapshot!(name, shown(&emit_files(&[&profile])));
        }
    }

    #[test]
    fn repository_profiles_as_emitted() {
        let texts: Vec<String> = repository_profiles()
            .iter()
            .map(|profile| shown(&emit_files(&[profile])))
            .collect();
        insta::assert_snapshot!("emitted_repository_profiles", texts.join("\n"));
    }

    #[test]
    fn emitted_schemas_compile_to_the_same_outline() {
        let mut profiles = vec![
            order(),
            shapes(),
            envelope(),
            note(),
            invoice(),
            every_built_in_type(),
        ];
        profiles.extend(repository_profiles());
        for profile in profiles {
            let again = recompiled(&profile);
            // The outline names the profile; everything else must match.
            let outline = |p: &XmlProfile| p.to_string().replacen(p.name(), "", 1);
            assert_eq!(outline(&again), outline(&profile), "{}", profile.name());
        }
    }

    /// Two profiles importing one file: its declarations are written once.
    #[test]
    fn shared_declarations_are_written_once() {
        let files = load(&["ns/main.xsd", "ns/common.xsd", "ns/part.xsd"]);
        let mut sources = files.clone();
        sources.push(SourceFile::new(
            "profiles/other.xsd",
            format!(
                r#"<xs:schema {XS} xmlns:c="urn:example:common" targetNamespace="urn:example:other">
  <xs:import namespace="urn:example:common" schemaLocation="ns/common.xsd"/>
  <xs:element name="Other"><xs:complexType><xs:sequence><xs:element ref="c:Address"/></xs:sequence>
    <xs:attribute name="at" type="c:Stamp"/></xs:complexType></xs:element>
</xs:schema>"#
            ),
        ));
        let (profiles, diagnostics) = compile(&sources);
        assert!(!diagnostics.has_errors(), "{}", diagnostics.render());
        let by_name = |name: &str| {
            profiles
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, p)| p.clone())
                .expect("profile")
        };
        let mut set = SchemaSet::new();
        for (i, name) in ["main", "other", "common", "main"].iter().enumerate() {
            let clashes = set.add_profile(&by_name(name), &origin(i, name));
            assert!(clashes.is_empty(), "{clashes:?}");
        }
        let documents = set.documents(&|_| None);
        let common = documents
            .iter()
            .find(|(ns, _)| ns.as_deref() == Some("urn:example:common"))
            .map(|(_, text)| text.as_str())
            .expect("the common schema");
        assert_eq!(common.matches("name=\"Address\"").count(), 1, "{common}");
        assert_eq!(common.matches("name=\"Stamp\"").count(), 1, "{common}");
        assert_eq!(documents.len(), 3);
    }

    #[test]
    fn different_declarations_under_one_name_clash() {
        let first = compile_one(&format!(
            r#"<xs:schema {XS}><xs:element name="Order" type="xs:string"/></xs:schema>"#
        ))
        .0
        .expect("compiles");
        let second = compile_one(&format!(
            r#"<xs:schema {XS}><xs:element name="Order" type="xs:int"/></xs:schema>"#
        ))
        .0
        .expect("compiles");
        let mut set = SchemaSet::new();
        assert!(set.add_profile(&first, &origin(0, "order")).is_empty());
        assert!(set.add_profile(&first, &origin(1, "order")).is_empty());
        let clashes = set.add_profile(&second, &origin(2, "legacy-order"));
        assert_eq!(clashes.len(), 1);
        assert_eq!(clashes[0].space, Space::Element);
        assert_eq!((clashes[0].first.id, clashes[0].second.id), (0, 2));
        assert_eq!(
            clashes[0].to_string(),
            "profile `order` and profile `legacy-order` both declare the element `Order` in no namespace, differently"
        );
    }

    /// Text that needs escaping stays text, and names that need a prefix get one.
    #[test]
    fn facets_and_names_are_escaped() {
        let (profile, diagnostics) = compile_one(&format!(
            r#"<xs:schema {XS} xmlns:t="urn:a&amp;b" targetNamespace="urn:a&amp;b">
  <xs:element name="R"><xs:simpleType><xs:restriction base="xs:string">
    <xs:enumeration value="&lt;&amp;&quot;&apos;&gt;"/><xs:pattern value="[&lt;&gt;&amp;&quot;&apos;]+"/>
  </xs:restriction></xs:simpleType></xs:element>
</xs:schema>"#
        ));
        let profile = profile.unwrap_or_else(|| panic!("{}", diagnostics.render()));
        let text = shown(&emit_files(&[&profile]));
        assert!(text.contains(r#"targetNamespace="urn:a&amp;b""#), "{text}");
        assert!(
            text.contains(r#"value="&lt;&amp;&quot;&apos;&gt;""#),
            "{text}"
        );
        assert!(
            text.contains(r#"value="[&lt;&gt;&amp;&quot;&apos;]+""#),
            "{text}"
        );
        let again = recompiled(&profile);
        assert!(
            again
                .read("<R xmlns=\"urn:a&amp;b\">&lt;&amp;\"'&gt;</R>", &limits())
                .is_ok()
        );
        assert!(
            again
                .read("<R xmlns=\"urn:a&amp;b\">&lt;&amp;</R>", &limits())
                .is_err()
        );
    }
}

#[test]
fn a_derivation_is_one_and_only_one() {
    let messages = |xsd: &str| -> Vec<String> {
        let (_, diagnostics) = compile_one(xsd);
        diagnostics.iter().map(|d| d.message.clone()).collect()
    };
    let schema = |body: &str| {
        format!(
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="A">{body}</xs:element></xs:schema>"#
        )
    };
    assert_eq!(
        messages(&schema("<xs:simpleType><xs:annotation/></xs:simpleType>")),
        ["xs:simpleType needs an xs:restriction, xs:list or xs:union"]
    );
    assert_eq!(
        messages(&schema(
            r#"<xs:simpleType><xs:restriction base="xs:string"/><xs:restriction base="xs:int"/></xs:simpleType>"#
        )),
        ["xs:simpleType holds one derivation only"]
    );
    assert_eq!(
        messages(&schema(
            "<xs:complexType><xs:simpleContent/></xs:complexType>"
        )),
        ["xs:simpleContent needs an xs:extension"]
    );
}

#[test]
fn a_list_element_holds_items_and_nothing_else() {
    let profile = order();
    let item = crate::doc::xml::without_declaration(ORDER_DOC);
    let list = |inside: &str| format!("<OrderList>{inside}</OrderList>");
    let spaced = list(&format!("\n  <!-- one -->\n  {item}\n  <?pi?>\n"));
    let items = profile
        .read_items(&spaced, &limits())
        .unwrap_or_else(|v| panic!("{v:?}"));
    assert_eq!(items.len(), 1);
    for body in [
        list("true"),
        list(&format!("before{item}")),
        list(&format!("{item}<![CDATA[after]]>&#65;")),
    ] {
        let Err(ReadError::Invalid(violations)) = profile.read_items(&body, &limits()) else {
            panic!("{body}: text in the list is a violation")
        };
        let described: Vec<(usize, String)> = violations
            .iter()
            .map(|(index, v)| (*index, v.to_string()))
            .collect();
        // Reported once, at the list element (`/` below the wrapper).
        assert_eq!(described.len(), 1, "{body}: {described:?}");
        assert!(
            described[0]
                .1
                .starts_with("/: text is not allowed in `OrderList`"),
            "{body}: {described:?}"
        );
    }
}

// --- named groups, attribute groups and complex content

const INVOICE_DOC: &str = r#"<Invoice xmlns="urn:example:invoice" xmlns:c="urn:example:codes" at="2024-05-01T10:00:00Z" createdBy="ada" currency="EUR">
  <Number>INV-1</Number>
  <Issued>2024-05-01</Issued>
  <Seller id="s1"><Name>Acme</Name><Street>Main St 1</Street></Seller>
  <Buyer id="b1" tier="2"><Name>Ada</Name><Vip>true</Vip><Manager>Bob</Manager></Buyer>
  <Line c:code="ABC" version="1"><Sku>X-1</Sku><Qty>2</Qty></Line>
  <Line c:code="DEF"><Sku>X-2</Sku><Qty>1</Qty></Line>
  <Net xmlns="">10.5</Net>
  <Gross xmlns="">12.6</Gross>
  <Terms flag="true"><Note>net 30</Note><Days>30</Days></Terms>
</Invoice>"#;

#[test]
fn groups_and_extensions_read_as_their_expansion() {
    let profile = invoice();
    insta::assert_snapshot!("invoice_value", read_ok(&profile, INVOICE_DOC));
    // Empty content extended by nothing but an optional xs:all.
    let least = r#"<i:Invoice xmlns:i="urn:example:invoice" at="2024-05-01T10:00:00Z" currency="EUR"><i:Number>2</i:Number><i:Issued>2024-05-02</i:Issued><i:Seller><i:Name>A</i:Name></i:Seller><i:Buyer><i:Name>B</i:Name><i:Manager>C</i:Manager></i:Buyer><i:Line i:code="ABC" xmlns:i2="urn:example:codes"><i:Sku>S</i:Sku><i:Qty>1</i:Qty></i:Line><Gross>1</Gross><i:Terms/></i:Invoice>"#;
    assert_eq!(
        read_err(&profile, least),
        [
            "/Invoice/Line[1]/@code: attribute `code` must be in namespace `urn:example:codes`, not in namespace `urn:example:invoice`",
            "/Invoice/Line[1]: missing attribute `code`",
        ]
    );
    let least = least.replace("i:code", "i2:code");
    assert_eq!(
        read_ok(&profile, &least),
        "{'Invoice': {'@at': '2024-05-01T10:00:00Z', '@currency': 'EUR', 'Number': '2', 'Issued': '2024-05-02', 'Seller': {'Name': 'A', 'Street': []}, 'Buyer': {'Name': 'B', 'Manager': 'C', 'Street': []}, 'Line': [{'@code': 'ABC', 'Sku': 'S', 'Qty': 1}], 'Gross': [1.0], 'Terms': {}, 'Net': []}}"
    );
    let bad = r#"<Invoice xmlns="urn:example:invoice" xmlns:c="urn:example:codes" createdBy="x" currency="EUR">
  <Number>INV-1</Number>
  <Issued>2024-05-01</Issued>
  <Seller><Name>Acme</Name><Street>a</Street><Street>b</Street><Street>c</Street></Seller>
  <Buyer><Name>Ada</Name><Vip>maybe</Vip></Buyer>
  <Line code="ABC"><Sku>X</Sku><Qty>1</Qty></Line>
  <Net>1</Net>
  <Terms><Days>1</Days><Days>2</Days></Terms>
</Invoice>"#;
    assert_eq!(
        read_err(&profile, bad),
        [
            "/Invoice: missing attribute `at`",
            "/Invoice/Seller/Street[3]: `Street` cannot occur again here, expected the end of `Seller`",
            "/Invoice/Buyer/Vip: \"maybe\" is not a boolean (true, false, 1 or 0)",
            "/Invoice/Buyer: missing element `Manager`",
            "/Invoice/Line[1]/@code: attribute `code` must be in namespace `urn:example:codes`, not in no namespace",
            "/Invoice/Line[1]: missing attribute `code`",
            "/Invoice/Net[1]: element `Net` must be in no namespace, not in namespace `urn:example:invoice`",
            "/Invoice/Terms/Days: `Days` cannot occur again here, expected `Note`",
        ]
    );
}

#[test]
fn groups_and_extensions_write_in_content_model_order() {
    let profile = invoice();
    let read = profile.read(INVOICE_DOC, &limits()).expect("valid");
    let text = profile.write(&read).expect("writes what it reads");
    // Attributes of the base (through attribute groups) come first, the
    // base's elements before the extension's, `Net` and `Gross` in no
    // namespace, an xs:all in declaration order.
    assert_eq!(
        text,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<i:Invoice xmlns:i="urn:example:invoice" xmlns:c="urn:example:codes" createdBy="ada" at="2024-05-01T10:00:00Z" currency="EUR"><i:Number>INV-1</i:Number><i:Issued>2024-05-01</i:Issued><i:Seller id="s1"><i:Name>Acme</i:Name><i:Street>Main St 1</i:Street></i:Seller><i:Buyer id="b1" tier="2"><i:Name>Ada</i:Name><i:Vip>true</i:Vip><i:Manager>Bob</i:Manager></i:Buyer><i:Line c:code="ABC" version="1"><i:Sku>X-1</i:Sku><i:Qty>2</i:Qty></i:Line><i:Line c:code="DEF"><i:Sku>X-2</i:Sku><i:Qty>1</i:Qty></i:Line><Net>10.5</Net><Gross>12.6</Gross><i:Terms flag="true"><i:Days>30</i:Days><i:Note>net 30</i:Note></i:Terms></i:Invoice>"#
    );
    assert_eq!(
        read_ok(&profile, &text),
        "{'Invoice': {'@createdBy': 'ada', '@at': '2024-05-01T10:00:00Z', '@currency': 'EUR', 'Number': 'INV-1', 'Issued': '2024-05-01', 'Seller': {'@id': 's1', 'Name': 'Acme', 'Street': ['Main St 1']}, 'Buyer': {'@id': 'b1', '@tier': 2, 'Name': 'Ada', 'Vip': True, 'Manager': 'Bob', 'Street': []}, 'Line': [{'@code': 'ABC', '@version': 1, 'Sku': 'X-1', 'Qty': 2}, {'@code': 'DEF', 'Sku': 'X-2', 'Qty': 1}], 'Net': [10.5], 'Gross': [12.6], 'Terms': {'@flag': True, 'Days': 30, 'Note': 'net 30'}}}"
    );
    let bad = value(
        r#"{"Invoice": {"@currency": "EUR", "Number": "1", "Issued": "2024-01-01", "Seller": {"Name": "A", "Street": ["a", "b", "c"]}, "Buyer": {"Name": "B"}, "Line": [{"@code": "abc", "Sku": "S", "Qty": 1}], "Net": [1, 2, 3], "Terms": {"Note": "n"}}}"#,
    );
    let violations: Vec<String> = profile
        .write(&bad)
        .expect_err("invalid")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        violations,
        [
            "/Invoice: missing attribute `at`",
            "/Invoice/Seller: too many `Street` elements: 3 given, 2 fit here",
            "/Invoice/Buyer: missing element `Manager`",
            "/Invoice/Line[1]/@code: \"abc\" does not match the pattern \"[A-Z]{3}\"",
            "/Invoice/Terms: missing element `Days`",
            "/Invoice: too many `Net` elements: 3 given, 2 fit here",
        ]
    );
}

#[test]
fn group_and_derivation_mistakes() {
    let xsd = format!(
        r#"<xs:schema {XS} xmlns:t="urn:t" targetNamespace="urn:t">
  <xs:element name="Root">
    <xs:complexType>
      <xs:sequence>
        <xs:group ref="t:Nope"/>
        <xs:group ref="t:Fieldz"/>
        <xs:group ref="t:Both"/>
        <xs:group name="Local"/>
        <xs:group ref="t:Fields"><xs:sequence/></xs:group>
      </xs:sequence>
      <xs:attributeGroup ref="t:Missing"/>
      <xs:attributeGroup ref="t:Ids"/>
      <xs:attributeGroup ref="t:Ids"/>
    </xs:complexType>
  </xs:element>
  <xs:group name="Fields"><xs:sequence><xs:element name="F" type="xs:string"/></xs:sequence></xs:group>
  <xs:group name="Both"><xs:all><xs:element name="A" type="xs:string"/></xs:all></xs:group>
  <xs:group name="Fields"><xs:choice/></xs:group>
  <xs:group name="Loop1"><xs:sequence><xs:group ref="t:Loop2"/></xs:sequence></xs:group>
  <xs:group name="Loop2"><xs:choice><xs:group ref="t:Loop1" minOccurs="0"/></xs:choice></xs:group>
  <xs:group name="Two" minOccurs="0"><xs:sequence/><xs:choice/></xs:group>
  <xs:group name="Counted"><xs:sequence maxOccurs="2"/></xs:group>
  <xs:group name="Empty"/>
  <xs:group name="Tree">
    <xs:sequence>
      <xs:element name="Node"><xs:complexType><xs:group ref="t:Tree" minOccurs="0"/></xs:complexType></xs:element>
    </xs:sequence>
  </xs:group>
  <xs:complexType name="AllTwice"><xs:group ref="t:Both" maxOccurs="2"/></xs:complexType>
  <xs:complexType name="AllInAll"><xs:all><xs:group ref="t:Fields"/></xs:all></xs:complexType>
  <xs:complexType name="AmbiguousChoice">
    <xs:choice><xs:group ref="t:Fields"/><xs:element name="F" type="xs:string"/></xs:choice>
  </xs:complexType>
  <xs:complexType name="AmbiguousSequence">
    <xs:sequence><xs:element name="F" type="xs:string" minOccurs="0"/><xs:group ref="t:Fields"/></xs:sequence>
  </xs:complexType>

  <xs:attributeGroup name="Ids"><xs:attribute name="id" type="xs:string"/><xs:anyAttribute/></xs:attributeGroup>
  <xs:attributeGroup name="ALoop1"><xs:attributeGroup ref="t:ALoop2"/></xs:attributeGroup>
  <xs:attributeGroup name="ALoop2"><xs:attributeGroup ref="t:ALoop1"/></xs:attributeGroup>
  <xs:attributeGroup name="Wrong" ref="t:Ids"><xs:sequence/></xs:attributeGroup>
  <xs:attributeGroup name="Twice"><xs:attribute name="id" type="xs:int"/><xs:attributeGroup ref="t:Ids"/></xs:attributeGroup>

  <xs:complexType name="Base">
    <xs:sequence><xs:element name="B" type="xs:string" minOccurs="0"/></xs:sequence>
    <xs:attribute name="id" type="xs:string"/>
  </xs:complexType>
  <xs:complexType name="Restricted"><xs:complexContent><xs:restriction base="t:Base"/></xs:complexContent></xs:complexType>
  <xs:complexType name="Mixed"><xs:complexContent mixed="true"><xs:extension base="t:Base"/></xs:complexContent></xs:complexType>
  <xs:complexType name="MixedType" mixed="true"><xs:complexContent><xs:extension base="t:Base"/></xs:complexContent></xs:complexType>
  <xs:complexType name="Money"><xs:simpleContent><xs:extension base="xs:decimal"/></xs:simpleContent></xs:complexType>
  <xs:complexType name="OfSimpleContent"><xs:complexContent><xs:extension base="t:Money"/></xs:complexContent></xs:complexType>
  <xs:complexType name="OfSimpleType"><xs:complexContent><xs:extension base="xs:string"/></xs:complexContent></xs:complexType>
  <xs:complexType name="Cycle1"><xs:complexContent><xs:extension base="t:Cycle2"/></xs:complexContent></xs:complexType>
  <xs:complexType name="Cycle2"><xs:complexContent><xs:extension base="t:Cycle1"/></xs:complexContent></xs:complexType>
  <xs:complexType name="AllBase"><xs:all><xs:element name="X" type="xs:string"/></xs:all></xs:complexType>
  <xs:complexType name="MoreThanAll">
    <xs:complexContent><xs:extension base="t:AllBase"><xs:sequence><xs:element name="Y" type="xs:string"/></xs:sequence></xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:complexType name="AllAfter">
    <xs:complexContent><xs:extension base="t:Base"><xs:group ref="t:Both"/></xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:complexType name="Redeclared">
    <xs:complexContent><xs:extension base="t:Base"><xs:attribute name="id" type="xs:int"/></xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:complexType name="Ambiguous">
    <xs:complexContent><xs:extension base="t:Base"><xs:sequence><xs:element name="B" type="xs:string"/></xs:sequence></xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:complexType name="Outside">
    <xs:complexContent><xs:extension base="t:Base"/></xs:complexContent>
    <xs:attribute name="late" type="xs:string"/>
  </xs:complexType>
  <xs:complexType name="Late">
    <xs:complexContent><xs:extension base="t:Base"><xs:attribute name="a" type="xs:string"/><xs:sequence/></xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:complexType name="NoBase"><xs:complexContent><xs:extension/></xs:complexContent></xs:complexType>
  <xs:complexType name="Self">
    <xs:sequence>
      <xs:element name="Child"><xs:complexType><xs:complexContent><xs:extension base="t:Self"/></xs:complexContent></xs:complexType></xs:element>
    </xs:sequence>
  </xs:complexType>
</xs:schema>"#
    );
    let (profile, diagnostics) = compile_one(&xsd);
    assert!(profile.is_none());
    insta::assert_snapshot!("group_and_derivation_mistakes", diagnostics.render());
}

#[test]
fn groups_resolve_in_their_namespace() {
    let main = format!(
        r#"<xs:schema {XS} xmlns:c="urn:c" targetNamespace="urn:a">
  <xs:import namespace="urn:c" schemaLocation="c.xsd"/>
  <xs:element name="A">
    <xs:complexType>
      <xs:group ref="Fields"/>
      <xs:attributeGroup ref="c:Stamp"/>
    </xs:complexType>
  </xs:element>
</xs:schema>"#
    );
    let common = format!(
        r#"<xs:schema {XS} targetNamespace="urn:c">
  <xs:group name="Fields"><xs:sequence><xs:element name="F" type="xs:string"/></xs:sequence></xs:group>
  <xs:attributeGroup name="Stamp"><xs:attribute name="at" type="xs:date"/></xs:attributeGroup>
</xs:schema>"#
    );
    let (names, rendered) =
        compile_texts(&[("profiles/a.xsd", &main), ("profiles/c.xsd", &common)]);
    assert!(names.is_empty(), "{names:?}");
    assert!(
        rendered.contains("error: unknown group `Fields`\n --> profiles/a.xsd:5:17"),
        "{rendered}"
    );
    assert!(
        rendered.contains("= hint: did you mean `c:Fields`?"),
        "{rendered}"
    );
    let fixed = main.replace(r#"ref="Fields""#, r#"ref="c:Fields""#);
    let (profiles, diagnostics) = compile(&[
        SourceFile::new("profiles/a.xsd", fixed),
        SourceFile::new("profiles/c.xsd", common),
    ]);
    assert!(!diagnostics.has_errors(), "{}", diagnostics.render());
    let profile = &profiles[0].1;
    // The group's local element is unqualified, in no namespace, as its
    // own file declares it.
    assert_eq!(
        read_ok(
            profile,
            r#"<a:A xmlns:a="urn:a" at="2024-01-01"><F>x</F></a:A>"#
        ),
        "{'A': {'@at': '2024-01-01', 'F': 'x'}}"
    );
}

/// A group or type may lead back to itself through the named type of an
/// element, as any recursive structure does.
#[test]
fn recursion_through_named_types() {
    let xsd = format!(
        r#"<xs:schema {XS}>
  <xs:element name="Tree" type="Node"/>
  <xs:group name="Children">
    <xs:sequence><xs:element name="Child" type="Node" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
  </xs:group>
  <xs:complexType name="Node">
    <xs:sequence>
      <xs:element name="Label" type="xs:string"/>
      <xs:group ref="Children"/>
      <xs:element name="Special" type="SpecialNode" minOccurs="0"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="SpecialNode">
    <xs:complexContent>
      <xs:extension base="Node"><xs:attribute name="why" type="xs:string" use="required"/></xs:extension>
    </xs:complexContent>
  </xs:complexType>
</xs:schema>"#
    );
    let profile = compile_clean(&xsd);
    let text = r#"<Tree><Label>a</Label><Child><Label>b</Label><Child><Label>c</Label></Child></Child><Special why="x"><Label>d</Label></Special></Tree>"#;
    assert_eq!(
        read_ok(&profile, text),
        "{'Tree': {'Label': 'a', 'Child': [{'Label': 'b', 'Child': [{'Label': 'c', 'Child': []}]}], 'Special': {'@why': 'x', 'Label': 'd', 'Child': []}}}"
    );
    assert_eq!(
        read_err(
            &profile,
            "<Tree><Label>a</Label><Special><Label>d</Label></Special></Tree>"
        ),
        ["/Tree/Special: missing attribute `why`"]
    );
    let again = emitted::recompiled(&profile);
    assert_eq!(read_ok(&again, text), read_ok(&profile, text));
}

#[test]
fn group_expansion_is_bounded() {
    // Each group holds the one before it twice: 2^20 copies of `E`.
    let mut xsd = format!(
        r#"<xs:schema {XS}><xs:element name="R"><xs:complexType><xs:group ref="G20"/></xs:complexType></xs:element>
<xs:group name="G0"><xs:sequence><xs:element name="E" type="xs:string"/></xs:sequence></xs:group>"#
    );
    for i in 1..=20 {
        let before = i - 1;
        xsd.push_str(&format!(
            r#"<xs:group name="G{i}"><xs:sequence><xs:group ref="G{before}"/><xs:group ref="G{before}"/></xs:sequence></xs:group>"#
        ));
    }
    xsd.push_str("</xs:schema>");
    let started = std::time::Instant::now();
    let (profile, diagnostics) = compile_one(&xsd);
    assert!(profile.is_none());
    let messages: Vec<String> = diagnostics.iter().map(|d| d.message.clone()).collect();
    assert_eq!(
        messages,
        [
            "expanding group references and extensions makes this schema too large (more than 100000 particles)"
        ]
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn unique_particle_attribution_sees_through_groups_and_bases() {
    let schema = |types: &str| {
        format!(
            r#"<xs:schema {XS}>
  <xs:element name="R" type="T"/>
  <xs:group name="Pair"><xs:sequence><xs:element name="K" type="xs:string"/><xs:element name="V" type="xs:string"/></xs:sequence></xs:group>
  <xs:group name="Tail"><xs:sequence><xs:element name="A" type="xs:string"/><xs:element name="B" type="xs:string" minOccurs="0"/></xs:sequence></xs:group>
  <xs:complexType name="Base"><xs:group ref="Tail"/></xs:complexType>
  {types}
</xs:schema>"#
        )
    };
    let messages = |types: &str| -> Vec<String> {
        let (_, diagnostics) = compile_one(&schema(types));
        diagnostics.iter().map(|d| d.message.clone()).collect()
    };
    // One group twice in a row, and an element after a group that cannot
    // take it, are deterministic.
    let pairs = r#"<xs:complexType name="T"><xs:sequence><xs:group ref="Pair"/><xs:group ref="Pair"/><xs:group ref="Tail"/><xs:element name="A" type="xs:string"/></xs:sequence></xs:complexType>"#;
    let (profile, diagnostics) = compile_one(&schema(pairs));
    assert!(diagnostics.is_empty(), "{}", diagnostics.render());
    let profile = profile.expect("compiles");
    assert_eq!(
        read_ok(
            &profile,
            "<R><K>1</K><V>2</V><K>3</K><V>4</V><A>5</A><A>6</A></R>"
        ),
        "{'R': {'K': ['1', '3'], 'V': ['2', '4'], 'A': ['5', '6']}}"
    );
    // An optional element at the end of a group, or of a base type, and
    // the same element after it.
    let ambiguous = "element `B` can be matched by two particles of this xs:sequence: the content model is ambiguous";
    assert_eq!(
        messages(
            r#"<xs:complexType name="T"><xs:sequence><xs:group ref="Tail"/><xs:element name="B" type="xs:string"/></xs:sequence></xs:complexType>"#
        ),
        [ambiguous]
    );
    assert_eq!(
        messages(
            r#"<xs:complexType name="T"><xs:complexContent><xs:extension base="Base"><xs:sequence><xs:element name="B" type="xs:string"/></xs:sequence></xs:extension></xs:complexContent></xs:complexType>"#
        ),
        [ambiguous.replace("xs:sequence", "xs:extension")]
    );
}

/// Groups that each nest deeply and refer to the next: in declaration
/// order, compiling one compiles the next inside it; in reverse order, each
/// is compiled before the one using it, and the copies pile up. Either way
/// the nesting is refused, before anything walks it.
#[test]
fn nesting_through_groups_is_bounded() {
    // `groups` groups, each `levels` anonymous types deep.
    let group = |g: usize, groups: usize, levels: usize| {
        let mut xsd = format!("<xs:group name=\"G{g}\"><xs:sequence><xs:element name=\"L0\">");
        for i in 1..=levels {
            xsd.push_str(&format!(
                "<xs:complexType><xs:sequence minOccurs=\"0\"><xs:element name=\"L{i}\">"
            ));
        }
        if g + 1 < groups {
            xsd.push_str(&format!(
                "<xs:complexType><xs:group ref=\"G{}\"/></xs:complexType>",
                g + 1
            ));
        } else {
            xsd.push_str("<xs:simpleType><xs:restriction base=\"xs:int\"/></xs:simpleType>");
        }
        for _ in 1..=levels {
            xsd.push_str("</xs:element></xs:sequence></xs:complexType>");
        }
        xsd.push_str("</xs:element></xs:sequence></xs:group>");
        xsd
    };
    let root = r#"<xs:element name="R"><xs:complexType><xs:group ref="G0"/></xs:complexType></xs:element>"#;
    let forward: String = (0..20).map(|g| group(g, 20, 80)).collect();
    let reverse: String = (0..20).rev().map(|g| group(g, 20, 80)).collect();
    for (order, groups) in [("forward", forward), ("reverse", reverse)] {
        let (profile, diagnostics) =
            compile_one(&format!("<xs:schema {XS}>{root}{groups}</xs:schema>"));
        assert!(profile.is_none(), "{order}");
        let rendered = diagnostics.render();
        assert!(
            rendered.contains("more than 256 levels deep"),
            "{order}: {rendered}"
        );
    }
    // Two groups of 40 levels fit, as one file of 80 levels does.
    let (profile, diagnostics) = compile_one(&format!(
        "<xs:schema {XS}>{root}{}{}</xs:schema>",
        group(0, 2, 40),
        group(1, 2, 40)
    ));
    assert!(diagnostics.is_empty(), "{}", diagnostics.render());
    let profile = profile.expect("compiles");
    assert!(profile.to_string().lines().count() > 160);
}

#[test]
fn attribute_groups_in_simple_content() {
    let xsd = format!(
        r#"<xs:schema {XS}>
  <xs:element name="Amount" type="Taxed"/>
  <xs:attributeGroup name="Currency"><xs:attribute name="currency" type="xs:string" use="required"/></xs:attributeGroup>
  <xs:complexType name="Money">
    <xs:simpleContent>
      <xs:extension base="xs:decimal"><xs:attributeGroup ref="Currency"/></xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:complexType name="Taxed">
    <xs:simpleContent>
      <xs:extension base="Money"><xs:attribute name="rate" type="xs:decimal"/></xs:extension>
    </xs:simpleContent>
  </xs:complexType>
</xs:schema>"#
    );
    let profile = compile_clean(&xsd);
    let text = r#"<Amount currency="EUR" rate="0.2">10</Amount>"#;
    assert_eq!(
        read_ok(&profile, text),
        "{'Amount': {'@currency': 'EUR', '@rate': 0.2, '#text': 10.0}}"
    );
    assert_eq!(
        read_err(&profile, "<Amount>10</Amount>"),
        ["/Amount: missing attribute `currency`"]
    );
    let emitted = emitted::emit_files(&[&profile]);
    assert!(
        emitted[0]
            .1
            .contains(r#"<xs:attributeGroup ref="Currency"/>"#),
        "{emitted:?}"
    );
    let again = emitted::recompiled(&profile);
    assert_eq!(read_ok(&again, text), read_ok(&profile, text));
    assert!(again.read("<Amount>10</Amount>", &limits()).is_err());
    // An attribute group adding an attribute the base has already.
    let twice = xsd.replace(
        r#"<xs:attribute name="rate" type="xs:decimal"/>"#,
        r#"<xs:attributeGroup ref="Currency"/>"#,
    );
    let (_, diagnostics) = compile_one(&twice);
    let messages: Vec<String> = diagnostics.iter().map(|d| d.message.clone()).collect();
    assert_eq!(
        messages,
        [
            "attribute `currency` is declared by the base type already (from attribute group `Currency`)"
        ]
    );
}

#[test]
fn simple_content_extension_of_a_type_in_another_namespace_is_emitted_as_declared() {
    let money = format!(
        r#"<xs:schema {XS} targetNamespace="urn:money" attributeFormDefault="qualified">
  <xs:complexType name="Money">
    <xs:simpleContent>
      <xs:extension base="xs:decimal"><xs:attribute name="currency" type="xs:string" use="required"/></xs:extension>
    </xs:simpleContent>
  </xs:complexType>
</xs:schema>"#
    );
    let main = format!(
        r#"<xs:schema {XS} xmlns:m="urn:money" xmlns:t="urn:tax" targetNamespace="urn:tax">
  <xs:import namespace="urn:money" schemaLocation="money.xsd"/>
  <xs:element name="Amount" type="t:Taxed"/>
  <xs:complexType name="Taxed">
    <xs:simpleContent>
      <xs:extension base="m:Money"><xs:attribute name="rate" type="xs:decimal"/></xs:extension>
    </xs:simpleContent>
  </xs:complexType>
</xs:schema>"#
    );
    let sources = vec![
        SourceFile::new("profiles/amount.xsd", main),
        SourceFile::new("profiles/money.xsd", money),
    ];
    let (profiles, diagnostics) = compile(&sources);
    assert!(!diagnostics.has_errors(), "{}", diagnostics.render());
    let profile = profiles
        .into_iter()
        .find(|(name, _)| name == "amount")
        .expect("a profile")
        .1;
    let text = r#"<t:Amount xmlns:t="urn:tax" xmlns:m="urn:money" rate="0.2" m:currency="EUR">10</t:Amount>"#;
    let value = "{'Amount': {'@rate': 0.2, '@currency': 'EUR', '#text': 10.0}}";
    assert_eq!(read_ok(&profile, text), value);
    // The base keeps its qualified attribute in its own namespace's schema;
    // the derived type extends it by name and adds only its own.
    let files = emitted::emit_files(&[&profile]);
    let taxed = &files
        .iter()
        .find(|(_, text)| text.contains(r#"targetNamespace="urn:tax""#))
        .expect("the urn:tax schema")
        .1;
    assert!(
        taxed.contains(r#"<xs:extension base="m:Money">"#),
        "{taxed}"
    );
    assert!(!taxed.contains("currency"), "{taxed}");
    let again = emitted::recompiled(&profile);
    assert_eq!(read_ok(&again, text), value);
}

// --- xs:union

/// Compiles a schema whose element `Root` holds `elements` in a sequence,
/// beside `globals` and an empty complex type `C`: it must be refused with
/// exactly one error holding each of `messages`.
fn refused_with_each(elements: &str, globals: &str, messages: &[&str]) {
    let xsd = format!(
        r#"<xs:schema {XS}><xs:element name="Root"><xs:complexType><xs:sequence>{elements}</xs:sequence></xs:complexType></xs:element>
<xs:complexType name="C"><xs:sequence/></xs:complexType>{globals}</xs:schema>"#
    );
    let (profile, diagnostics) = compile_one(&xsd);
    assert!(profile.is_none());
    let rendered = diagnostics.render();
    for message in messages {
        assert!(rendered.contains(message), "{message}\n{rendered}");
    }
    assert_eq!(diagnostics.error_count(), messages.len(), "{rendered}");
}

const UNIONS: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Shipment">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="When" type="DateOrDateTime" maxOccurs="unbounded"/>
        <xs:element name="Size" type="Size" maxOccurs="unbounded"/>
        <xs:element name="Code" type="LocalCode" maxOccurs="unbounded"/>
      </xs:sequence>
      <xs:attribute name="weight" type="Weight"/>
    </xs:complexType>
  </xs:element>
  <xs:simpleType name="DateOrDateTime">
    <xs:union memberTypes="xs:date xs:dateTime"/>
  </xs:simpleType>
  <xs:simpleType name="Size">
    <xs:union memberTypes="xs:int">
      <xs:simpleType>
        <xs:restriction base="xs:string">
          <xs:enumeration value="S"/>
          <xs:enumeration value="M"/>
        </xs:restriction>
      </xs:simpleType>
    </xs:union>
  </xs:simpleType>
  <xs:simpleType name="AnyCode">
    <xs:union>
      <xs:simpleType>
        <xs:restriction base="xs:string"><xs:pattern value="X-[a-z]+"/></xs:restriction>
      </xs:simpleType>
      <xs:simpleType>
        <xs:union memberTypes="Known"/>
      </xs:simpleType>
    </xs:union>
  </xs:simpleType>
  <xs:simpleType name="LocalCode">
    <xs:restriction base="AnyCode"><xs:pattern value="[A-Z]{3}|X-[a-z]{1,3}"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Known">
    <xs:restriction base="xs:string">
      <xs:enumeration value="EXP"/>
      <xs:enumeration value="STD"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Weight">
    <xs:restriction>
      <xs:simpleType><xs:union memberTypes="xs:decimal Unknown"/></xs:simpleType>
      <xs:enumeration value="1.5"/>
      <xs:enumeration value="unknown"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Unknown">
    <xs:restriction base="xs:string"><xs:enumeration value="unknown"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="SmallOrCode">
    <xs:union memberTypes="Small xs:date"/>
  </xs:simpleType>
  <xs:simpleType name="Small">
    <xs:restriction base="Size"><xs:enumeration value="1"/><xs:enumeration value="S"/></xs:restriction>
  </xs:simpleType>
</xs:schema>"#;

const SHIPMENT: &str = r#"<Shipment weight="1.50">
  <When>2024-02-29</When><When> 2024-02-29T10:00:00Z </When>
  <Size>42</Size><Size>M</Size>
  <Code>EXP</Code><Code>X-abc</Code>
</Shipment>"#;

/// A union's value is its first member's that takes the text, typed as
/// that member types it; the facets of a restriction of the union apply
/// to it, compared as values.
#[test]
fn a_union_reads_a_value_by_its_first_member_that_takes_it() {
    let profile = compile_clean(UNIONS);
    assert_eq!(
        read_ok(&profile, SHIPMENT),
        "{'Shipment': {'@weight': 1.5, 'When': ['2024-02-29', '2024-02-29T10:00:00Z'], \
         'Size': [42, 'M'], 'Code': ['EXP', 'X-abc']}}"
    );
    // A restriction of a union among the members keeps its facets.
    let small = super::simple::check(
        &profile.simple_types,
        profile
            .simple_types
            .iter()
            .position(|t| t.name.as_ref().is_some_and(|n| n.local == "SmallOrCode"))
            .map(|i| SimpleTypeRef(i as u32))
            .expect("SmallOrCode"),
        "M",
    );
    assert!(small.is_err(), "{small:?}");
    let bad = r#"<Shipment weight="2"><When>tomorrow</When><Size>L</Size><Code>X-abcd</Code><Code>X-A</Code></Shipment>"#;
    assert_eq!(
        read_err(&profile, bad),
        [
            r#"/Shipment/@weight: "2" is not one of "1.5", "unknown""#,
            r#"/Shipment/When[1]: "tomorrow" is none of the union's member types ("tomorrow" is not a date (YYYY-MM-DD); "tomorrow" is not a date and time (YYYY-MM-DDThh:mm:ss))"#,
            r#"/Shipment/Size[1]: "L" is none of the union's member types ("L" is not an integer; "L" is not one of "S", "M")"#,
            r#"/Shipment/Code[1]: "X-abcd" does not match the pattern "[A-Z]{3}|X-[a-z]{1,3}""#,
            r#"/Shipment/Code[2]: "X-A" is none of the union's member types ("X-A" does not match the pattern "X-[a-z]+"; "X-A" is not one of "EXP", "STD")"#,
        ]
    );
}

/// `write` gives a leaf of a union the text of the first member that can
/// write the value and that reads back; the outline, the emitted schema
/// and the JSON Schema keep the members.
#[test]
fn a_union_is_written_emitted_and_described_with_its_members() {
    let profile = compile_clean(UNIONS);
    let written = profile
        .write(&value(
            r#"{"Shipment": {"@weight": "unknown", "When": ["2024-01-31"], "Size": [7, "S"], "Code": ["STD"]}}"#,
        ))
        .expect("writes");
    assert!(
        written.contains(r#"<Shipment weight="unknown"><When>2024-01-31</When><Size>7</Size><Size>S</Size><Code>STD</Code></Shipment>"#),
        "{written}"
    );
    let refused = profile
        .write(&value(
            r#"{"Shipment": {"When": [true], "Size": ["L"], "Code": ["EXP"]}}"#,
        ))
        .expect_err("refused");
    let refused: Vec<String> = refused.iter().map(ToString::to_string).collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(
        refused[1].starts_with(r#"/Shipment/Size[1]: the value fits none of the union's member types ("L" is not an integer"#),
        "{refused:?}"
    );

    let outline = profile.to_string();
    assert!(
        outline.contains("Size xs:union(xs:int | (xs:string; enumeration \"S\" | \"M\"))"),
        "{outline}"
    );

    let files = emitted::emit_files(&[&profile]);
    let text = &files[0].1;
    assert!(
        text.contains(r#"<xs:union memberTypes="xs:date xs:dateTime"/>"#),
        "{text}"
    );
    // The nested union is flattened; its named member follows an anonymous
    // one, so it is written inline to keep the order.
    assert!(text.contains(r#"<xs:restriction base="Known"/>"#), "{text}");
    let again = emitted::recompiled(&profile);
    assert_eq!(read_ok(&again, SHIPMENT), read_ok(&profile, SHIPMENT));

    let schema = profile.json_schema("#/$defs/");
    let shipment = &schema.definitions["Shipment"];
    let size = &shipment["properties"]["Size"]["items"];
    assert_eq!(
        size["anyOf"].as_array().map(Vec::len),
        Some(2),
        "{shipment}"
    );
    assert_eq!(size["anyOf"][1]["enum"], serde_json::json!(["S", "M"]));
    let weight = &shipment["properties"]["weight"];
    assert_eq!(
        weight["enum"],
        serde_json::json!([1.5, "unknown"]),
        "{weight}"
    );
}

#[test]
fn unions_that_cannot_be_are_errors_at_their_place() {
    refused_with_each(
        r#"
        <xs:element name="Empty"><xs:simpleType><xs:union/></xs:simpleType></xs:element>
        <xs:element name="OfComplex"><xs:simpleType><xs:union memberTypes="C"/></xs:simpleType></xs:element>
        <xs:element name="OfIds"><xs:simpleType><xs:union memberTypes="xs:ID xs:int"/></xs:simpleType></xs:element>
        <xs:element name="Unknown"><xs:simpleType><xs:union memberTypes="xs:int Nope"/></xs:simpleType></xs:element>
        <xs:element name="Loop" type="Loop"/>
        <xs:element name="Long">
          <xs:simpleType>
            <xs:restriction base="Either"><xs:maxLength value="3"/></xs:restriction>
          </xs:simpleType>
        </xs:element>
        <xs:element name="Enum">
          <xs:simpleType>
            <xs:restriction base="Either"><xs:enumeration value="maybe"/></xs:restriction>
          </xs:simpleType>
        </xs:element>
"#,
        r#"
  <xs:simpleType name="Loop"><xs:union memberTypes="xs:int Loop"/></xs:simpleType>
  <xs:simpleType name="Either"><xs:union memberTypes="xs:int xs:boolean"/></xs:simpleType>
"#,
        &[
            "xs:union needs `memberTypes` or an inline xs:simpleType",
            "`C` is a complex type: a union's members are simple types",
            "a union of xs:ID or xs:IDREF types is not supported",
            "unknown type `Nope`",
            "simple type `Loop` is derived from itself",
            "xs:maxLength does not apply to a union: restrict it by pattern or enumeration",
            r#"the enumeration value does not fit the base type: "maybe" is none of the union's member types"#,
        ],
    );
}

// --- xs:list

const LISTS: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Kit">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Part" maxOccurs="unbounded">
          <xs:complexType>
            <xs:attribute name="id" type="xs:ID" use="required"/>
            <xs:attribute name="fits" type="xs:IDREFS"/>
          </xs:complexType>
        </xs:element>
        <xs:element name="Sizes" type="Sizes"/>
        <xs:element name="Tags" type="xs:NMTOKENS" minOccurs="0"/>
        <xs:element name="Pair" minOccurs="0">
          <xs:simpleType>
            <xs:restriction>
              <xs:simpleType><xs:list itemType="xs:decimal"/></xs:simpleType>
              <xs:length value="2"/>
            </xs:restriction>
          </xs:simpleType>
        </xs:element>
        <xs:element name="Grid" type="Grid" minOccurs="0"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
  <xs:simpleType name="Sizes">
    <xs:list>
      <xs:simpleType>
        <xs:restriction base="xs:int"><xs:minInclusive value="1"/></xs:restriction>
      </xs:simpleType>
    </xs:list>
  </xs:simpleType>
  <xs:simpleType name="Grid">
    <xs:restriction base="Sizes">
      <xs:enumeration value="1 2"/>
      <xs:enumeration value="3  04"/>
    </xs:restriction>
  </xs:simpleType>
</xs:schema>"#;

const KIT: &str = r#"<Kit><Part id="a"/><Part id="b" fits=" a
  b "/><Sizes> 1 2
 3 </Sizes><Tags>red big</Tags><Pair>1.5 2</Pair><Grid>3 4</Grid></Kit>"#;

/// A list's value is the list of its items' values; its length facets
/// count items, its enumeration compares item by item, and each item of
/// an `IDREFS` names an ID.
#[test]
fn a_list_reads_as_the_values_of_its_items() {
    let profile = compile_clean(LISTS);
    assert_eq!(
        read_ok(&profile, KIT),
        "{'Kit': {'Part': [{'@id': 'a'}, {'@id': 'b', '@fits': ['a', 'b']}], \
         'Sizes': [1, 2, 3], 'Tags': ['red', 'big'], 'Pair': [1.5, 2.0], 'Grid': [3, 4]}}"
    );
    let bad = r#"<Kit><Part id="a" fits="a z"/><Sizes>1 0 x</Sizes><Tags></Tags><Pair>1</Pair><Grid>2 1</Grid></Kit>"#;
    assert_eq!(
        read_err(&profile, bad),
        [
            r#"/Kit/Sizes: item 2: 0 is less than the minimum 1"#,
            r#"/Kit/Tags: "" has 0 items, expected at least 1"#,
            r#"/Kit/Pair: "1" has 1 items, expected exactly 2"#,
            r#"/Kit/Grid: "2 1" is not one of "1 2", "3 04""#,
            r#"/Kit/Part[1]/@fits: no ID "z" in the document (an xs:IDREF names an xs:ID of its document)"#,
        ]
    );
}

/// `write` takes a list as a list of item values or as its text; the
/// outline, the emitted schema and the JSON Schema keep the item type.
#[test]
fn a_list_is_written_emitted_and_described_with_its_item_type() {
    let profile = compile_clean(LISTS);
    let written = profile
        .write(&value(
            r#"{"Kit": {"Part": [{"@id": "p", "@fits": ["p"]}], "Sizes": [5, "6"], "Tags": "x y", "Pair": [1, 2.5]}}"#,
        ))
        .expect("writes");
    assert!(
        written.contains(r#"<Kit><Part id="p" fits="p"/><Sizes>5 6</Sizes><Tags>x y</Tags><Pair>1 2.5</Pair></Kit>"#),
        "{written}"
    );
    let refused = profile
        .write(&value(
            r#"{"Kit": {"Part": [{"@id": "p"}], "Sizes": [0], "Tags": ["a b"]}}"#,
        ))
        .expect_err("refused");
    let refused: Vec<String> = refused.iter().map(ToString::to_string).collect();
    assert_eq!(
        refused,
        [
            r#"/Kit/Sizes: item 1: 0 is less than the minimum 1"#,
            r#"/Kit/Tags: item 1: "a b" is not a name token (XML name characters only, xs:NMTOKEN)"#,
        ]
    );

    let outline = profile.to_string();
    assert!(
        outline.contains("Sizes xs:list((xs:int; minInclusive 1))"),
        "{outline}"
    );

    let files = emitted::emit_files(&[&profile]);
    let text = &files[0].1;
    for declared in [
        r#"type="xs:IDREFS""#,
        r#"type="xs:NMTOKENS""#,
        r#"<xs:list itemType="xs:decimal"/>"#,
        r#"<xs:enumeration value="3 04"/>"#,
    ] {
        assert!(text.contains(declared), "{declared}\n{text}");
    }
    let again = emitted::recompiled(&profile);
    assert_eq!(read_ok(&again, KIT), read_ok(&profile, KIT));

    let schema = profile.json_schema("#/$defs/");
    let kit = &schema.definitions["Kit"];
    assert_eq!(kit["properties"]["Sizes"]["type"], "string", "{kit}");
    assert_eq!(
        kit["properties"]["Sizes"]["x-xsd-list"]["type"], "integer",
        "{kit}"
    );
}

#[test]
fn lists_that_cannot_be_are_errors_at_their_place() {
    refused_with_each(
        r#"
        <xs:element name="Empty"><xs:simpleType><xs:list/></xs:simpleType></xs:element>
        <xs:element name="OfComplex"><xs:simpleType><xs:list itemType="C"/></xs:simpleType></xs:element>
        <xs:element name="OfLists"><xs:simpleType><xs:list itemType="xs:NMTOKENS"/></xs:simpleType></xs:element>
        <xs:element name="Bound">
          <xs:simpleType>
            <xs:restriction base="Ints"><xs:maxInclusive value="3"/></xs:restriction>
          </xs:simpleType>
        </xs:element>
        <xs:element name="Defaulted" type="Ints" default="1 2"/>
        <xs:element name="Both">
          <xs:simpleType>
            <xs:list itemType="xs:int"><xs:simpleType><xs:restriction base="xs:int"/></xs:simpleType></xs:list>
          </xs:simpleType>
        </xs:element>
        <xs:element name="Enum">
          <xs:simpleType>
            <xs:restriction base="Ints"><xs:enumeration value="1 x"/></xs:restriction>
          </xs:simpleType>
        </xs:element>
"#,
        r#"
  <xs:simpleType name="Ints"><xs:list itemType="xs:int"/></xs:simpleType>
"#,
        &[
            "xs:list needs `itemType` or an inline xs:simpleType",
            "`C` is a complex type: a list's items are of a simple type",
            "the items of a list cannot be lists themselves",
            "xs:maxInclusive does not apply to a list: restrict it by length, pattern or enumeration",
            "a `default` or `fixed` value on a list-typed element is not supported",
            "xs:list has both `itemType` and an inline xs:simpleType",
            r#"the enumeration value does not fit the base type: item 2: "x" is not an integer"#,
        ],
    );
}

// --- xs:anyAttribute

/// The definitions of a profile's JSON Schema, as one JSON object.
fn json_definitions(profile: &XmlProfile) -> serde_json::Value {
    let schema = profile.json_schema("#/$defs/");
    serde_json::Value::Object(schema.definitions.into_iter().collect())
}

pub(super) const WILDCARDS: &str = r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:t="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">
  <xs:element name="Box">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Label" type="t:Label"/>
        <xs:element name="Item" type="t:Item" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element name="Seal" minOccurs="0">
          <xs:complexType><xs:anyAttribute/></xs:complexType>
        </xs:element>
      </xs:sequence>
      <xs:attribute name="id" type="xs:int" use="required"/>
      <xs:anyAttribute namespace="##other" processContents="lax"/>
    </xs:complexType>
  </xs:element>
  <xs:complexType name="Label">
    <xs:simpleContent>
      <xs:extension base="xs:string">
        <xs:attributeGroup ref="t:Open"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:attributeGroup name="Open">
    <xs:attribute name="lang" type="xs:language"/>
    <xs:anyAttribute namespace="##local" processContents="skip"/>
  </xs:attributeGroup>
  <xs:complexType name="Base">
    <xs:sequence/>
    <xs:anyAttribute namespace="##any" processContents="skip"/>
  </xs:complexType>
  <xs:complexType name="Item">
    <xs:complexContent>
      <xs:extension base="t:Base">
        <xs:sequence><xs:element name="Sku" type="xs:string"/></xs:sequence>
      </xs:extension>
    </xs:complexContent>
  </xs:complexType>
</xs:schema>"###;

pub(super) const BOX: &str = r###"<t:Box xmlns:t="urn:t" xmlns:x="urn:x" id="7" x:trace="abc" x:id="shadowed">
  <t:Label lang="en" color="red">Fragile</t:Label>
  <t:Item note="1" x:n="2"><t:Sku>A</t:Sku></t:Item>
</t:Box>"###;

/// Attributes no declaration names are taken where an `xs:anyAttribute`
/// admits their namespace (from the type, an attribute group or the base
/// type), as text under their local name; a declared attribute keeps its
/// key.
#[test]
fn any_attribute_admits_attributes_by_namespace() {
    let profile = compile_clean(WILDCARDS);
    assert_eq!(
        read_ok(&profile, BOX),
        "{'Box': {'@id': 7, '@trace': 'abc', 'Label': {'@lang': 'en', '@color': 'red', \
         '#text': 'Fragile'}, 'Item': [{'@note': '1', '@n': '2', 'Sku': 'A'}]}}"
    );
    assert_eq!(
        read_err(
            &profile,
            r###"<t:Box xmlns:t="urn:t" xmlns:x="urn:x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="7" trace="local" xsi:type="t:Other">
  <t:Label x:color="red">Fragile</t:Label>
  <t:Seal extra="1"/>
</t:Box>"###
        ),
        [
            "/Box/@trace: no attribute `trace` here",
            "/Box/@type: xsi:type is not supported",
            "/Box/Label/@color: no attribute `color` here",
            "/Box/Seal/@extra: attribute `extra` is not declared, and the xs:anyAttribute here \
             is strict: it admits declared attributes only (processContents=\"lax\" or \"skip\" \
             admits any)",
        ]
    );
}

#[test]
fn any_attribute_is_written_emitted_and_described() {
    let profile = compile_clean(WILDCARDS);
    let written = profile
        .write(&value(
            r###"{"Box": {"@id": 7, "Label": {"#text": "Fragile", "@color": "red"},
                 "Item": [{"Sku": "A", "@note": 1, "@seen": true}]}}"###,
        ))
        .expect("writes");
    assert!(
        written.contains(r###"<Box xmlns="urn:t" id="7"><Label color="red">Fragile</Label><Item note="1" seen="true"><Sku>A</Sku></Item></Box>"###),
        "{written}"
    );
    let refused = profile
        .write(&value(
            r###"{"Box": {"@id": 7, "@trace": "abc", "Label": {"#text": "F", "@bad name": "x"},
                 "Item": [{"Sku": "A", "@note": [1]}], "Seal": {"@extra": "1"}}}"###,
        ))
        .expect_err("refused");
    let refused: Vec<String> = refused.iter().map(ToString::to_string).collect();
    assert_eq!(
        refused,
        [
            "/Box/@trace: no attribute `trace` here: the xs:anyAttribute here admits attributes \
             in namespace ##other only, and `write` gives undeclared attributes no namespace",
            "/Box/Label/@bad name: `bad name` is not a valid attribute name",
            "/Box/Item[1]/@note: expected text, a number or a boolean, found a list",
            "/Box/Seal/@extra: no attribute `extra` here: the xs:anyAttribute here is strict, and \
             admits declared attributes only",
        ]
    );

    let outline = profile.to_string();
    assert!(
        outline.contains("@*: xs:anyAttribute, namespace ##other, lax"),
        "{outline}"
    );

    let files = emitted::emit_files(&[&profile]);
    let text = &files[0].1;
    assert!(
        text.contains(r###"<xs:anyAttribute namespace="##other" processContents="lax"/>"###),
        "{text}"
    );
    // The base's wildcard is the extension's too: written once, in the base.
    assert_eq!(
        text.matches(r###"namespace="##any" processContents="skip""###)
            .count(),
        1,
        "{text}"
    );
    let again = emitted::recompiled(&profile);
    assert_eq!(read_ok(&again, BOX), read_ok(&profile, BOX));

    let definitions = json_definitions(&profile);
    let box_type = &definitions["Box"];
    assert_eq!(
        box_type["x-xsd-any-attribute"],
        serde_json::json!({ "namespace": "##other", "processContents": "lax" })
    );
    assert_eq!(
        box_type["additionalProperties"],
        serde_json::json!({ "type": "string", "xml": { "attribute": true } })
    );
    let seal = &box_type["properties"]["Seal"];
    assert_eq!(seal["additionalProperties"], false, "{seal}");
}

#[test]
fn any_attributes_that_cannot_be_are_errors_at_their_place() {
    refused_with_each(
        r###"
        <xs:element name="A"><xs:complexType><xs:anyAttribute processContents="loose"/></xs:complexType></xs:element>
        <xs:element name="B"><xs:complexType><xs:anyAttribute namespace="##any ##local"/></xs:complexType></xs:element>
        <xs:element name="D"><xs:complexType><xs:anyAttribute namespace="##foo"/></xs:complexType></xs:element>
        <xs:element name="E">
          <xs:complexType><xs:anyAttribute/><xs:attribute name="a" type="xs:string"/></xs:complexType>
        </xs:element>
        <xs:element name="F">
          <xs:complexType><xs:attributeGroup ref="G"/><xs:anyAttribute processContents="lax"/></xs:complexType>
        </xs:element>
"###,
        r###"<xs:attributeGroup name="G"><xs:anyAttribute processContents="skip"/></xs:attributeGroup>"###,
        &[
            "`processContents` is strict, lax or skip, not `loose`",
            "`##any` stands alone in `namespace`, not in a list",
            "`##foo` is not a namespace keyword",
            "xs:attribute must come before xs:anyAttribute",
            "a second xs:anyAttribute, different from the first (namespace `##any`, processContents `skip`)",
        ],
    );
}

// --- xs:any

pub(super) const ANY: &str = r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Box">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Id" type="xs:int"/>
        <xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
  <xs:element name="Weight" type="xs:decimal"/>
  <xs:element name="Sealed">
    <xs:complexType>
      <xs:sequence><xs:any namespace="##local"/></xs:sequence>
    </xs:complexType>
  </xs:element>
  <xs:element name="Skipped">
    <xs:complexType>
      <xs:sequence><xs:any processContents="skip" maxOccurs="2"/></xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>"###;

pub(super) const ANY_BOX: &str = r###"<Box>
  <Id>7</Id>
  <Weight>2.50</Weight>
  <Color>red</Color><Color>blue</Color>
  <Meta a="1">note<K>v</K><K>w</K></Meta>
  <Sealed><Weight>1</Weight></Sealed>
  <Skipped><Weight>heavy</Weight></Skipped>
</Box>"###;

/// An `xs:any` takes elements its namespace admits: by the profile's
/// global element of their name where `lax` or `strict` finds one, else
/// untyped (`lax`, `skip`) or not at all (`strict`).
#[test]
fn any_takes_elements_by_global_declaration_or_untyped() {
    let profile = compile_clean(ANY);
    assert_eq!(
        read_ok(&profile, ANY_BOX),
        "{'Box': {'Id': 7, 'Weight': 2.5, 'Color': ['red', 'blue'], \
         'Meta': {'@a': '1', '#text': 'note', 'K': ['v', 'w']}, \
         'Sealed': {'Weight': 1.0}, 'Skipped': {'Weight': 'heavy'}}}"
    );
    assert_eq!(
        read_err(
            &profile,
            r###"<Box><Id>7</Id><Weight>heavy</Weight><Sealed><Unknown/></Sealed>
<Skipped><A/><B/><C/></Skipped><Sealed/></Box>"###
        ),
        [
            r#"/Box/Weight: "heavy" is not a decimal number"#,
            "/Box/Sealed/Unknown: element `Unknown` in no namespace is not declared, and the \
             xs:any here is strict: it admits the profile's global elements only \
             (processContents=\"lax\" or \"skip\" admits any)",
            "/Box/Skipped/C: no element `C` here, expected the end of `Skipped`",
            "/Box/Sealed: missing an element of namespace ##local (xs:any)",
        ]
    );
}

#[test]
fn any_admits_by_namespace() {
    let profile = compile_clean(
        r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t" elementFormDefault="qualified">
  <xs:element name="Envelope">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Id" type="xs:int"/>
        <xs:any namespace="##other" processContents="skip" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>"###,
    );
    let text = r###"<t:Envelope xmlns:t="urn:t" xmlns:x="urn:x"><t:Id>1</t:Id><x:Trace x:at="now">abc</x:Trace></t:Envelope>"###;
    assert_eq!(
        read_ok(&profile, text),
        "{'Envelope': {'Id': 1, 'Trace': {'@at': 'now', '#text': 'abc'}}}"
    );
    assert_eq!(
        read_err(
            &profile,
            r###"<t:Envelope xmlns:t="urn:t"><t:Id>1</t:Id><t:Other/><Local/></t:Envelope>"###
        ),
        [
            "/Envelope/Other: no element `Other` here, expected the end of `Envelope`",
            "/Envelope/Local: no element `Local` here, expected the end of `Envelope`",
        ]
    );
    // `write` gives undeclared elements no namespace, which ##other refuses.
    let refused = profile
        .write(&value(r#"{"Envelope": {"Id": 1, "Trace": "abc"}}"#))
        .expect_err("refused");
    assert_eq!(
        refused[0].to_string(),
        "/Envelope/Trace: no element `Trace` here"
    );
}

#[test]
fn any_is_written_emitted_and_described() {
    let profile = compile_clean(ANY);
    let written = profile
        .write(&value(
            r##"{"Box": {"Id": 7, "Weight": 2.5, "Color": ["red", "blue"],
                 "Meta": {"@a": 1, "#text": "note & more", "K": ["v", "w"]}, "Empty": null}}"##,
        ))
        .expect("writes");
    assert!(
        written.contains(
            r#"<Box><Id>7</Id><Weight>2.5</Weight><Color>red</Color><Color>blue</Color><Meta a="1">note &amp; more<K>v</K><K>w</K></Meta></Box>"#
        ),
        "{written}"
    );
    let refused = profile
        .write(&value(
            r##"{"Box": {"Id": 7, "Weight": "heavy", "bad name": 1, "Meta": {"K": [[1]]}}}"##,
        ))
        .expect_err("refused");
    let refused: Vec<String> = refused.iter().map(ToString::to_string).collect();
    assert_eq!(
        refused,
        [
            r#"/Box/Weight: "heavy" is not a decimal number"#,
            "/Box/bad name: `bad name` is not a valid element name",
            "/Box/Meta/K: expected text, a number or a boolean, found a list",
        ]
    );

    let outline = profile.to_string();
    assert!(
        outline.contains("* xs:any, namespace ##any, lax [0..unbounded]"),
        "{outline}"
    );

    let files = emitted::emit_files(&[&profile]);
    let text = &files[0].1;
    assert!(
        text.contains(r###"<xs:any namespace="##any" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>"###),
        "{text}"
    );
    // The global elements a lax wildcard reads by are written with it.
    assert!(
        text.contains(r#"<xs:element name="Weight" type="xs:decimal"/>"#),
        "{text}"
    );
    let again = emitted::recompiled(&profile);
    assert_eq!(read_ok(&again, ANY_BOX), read_ok(&profile, ANY_BOX));

    let definitions = json_definitions(&profile);
    let box_type = &definitions["Box"];
    assert_eq!(
        box_type["x-xsd-any"],
        serde_json::json!([{ "namespace": "##any", "processContents": "lax" }])
    );
    assert_eq!(box_type["additionalProperties"], true, "{box_type}");
}

#[test]
fn anys_that_cannot_be_are_errors_at_their_place() {
    refused_with_each(
        r###"
        <xs:any processContents="loose"/>
        <xs:element name="All"><xs:complexType><xs:all><xs:any/></xs:all></xs:complexType></xs:element>
        <xs:any maxOccurs="-1"/>
"###,
        "",
        &[
            "`processContents` is strict, lax or skip, not `loose`",
            "xs:all may hold only xs:element",
            "maxOccurs",
        ],
    );
    // Unique Particle Attribution: an element a wildcard and another
    // particle could both take makes the content model ambiguous.
    for (model, what) in [
        (
            r###"<xs:choice><xs:element name="A" type="xs:string"/><xs:any namespace="##local"/></xs:choice>"###,
            "element `A` can be matched by two particles of this xs:choice",
        ),
        (
            r###"<xs:sequence><xs:any minOccurs="0"/><xs:element name="A" type="xs:string"/></xs:sequence>"###,
            "element `A` can be matched by two particles of this xs:sequence",
        ),
        (
            r###"<xs:sequence><xs:any namespace="urn:a urn:b" maxOccurs="2"/><xs:any namespace="urn:b"/></xs:sequence>"###,
            "an element of namespace `urn:b` can be matched by two particles",
        ),
        (
            r###"<xs:choice><xs:any namespace="##other"/><xs:any/></xs:choice>"###,
            "an element of a namespace both wildcards admit can be matched",
        ),
    ] {
        let xsd = format!(
            r###"<xs:schema {XS}><xs:element name="R"><xs:complexType>{model}</xs:complexType></xs:element></xs:schema>"###
        );
        let (profile, diagnostics) = compile_one(&xsd);
        assert!(profile.is_none(), "{model}");
        assert!(
            diagnostics.render().contains(what),
            "{}",
            diagnostics.render()
        );
    }
    // Wildcards for other namespaces beside declared elements are not.
    compile_clean(&format!(
        r###"<xs:schema {XS} targetNamespace="urn:t" elementFormDefault="qualified"><xs:element name="R"><xs:complexType>
<xs:sequence><xs:any namespace="##other" minOccurs="0" maxOccurs="unbounded"/><xs:element name="A" type="xs:string"/></xs:sequence>
</xs:complexType></xs:element></xs:schema>"###
    ));
}

// --- mixed content

pub(super) const MIXED: &str = r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Note">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Body" type="Body"/>
        <xs:element name="Tags" type="Tags" minOccurs="0"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
  <xs:complexType name="Body" mixed="true">
    <xs:choice minOccurs="0" maxOccurs="unbounded">
      <xs:element name="b" type="xs:string"/>
      <xs:element name="ref">
        <xs:complexType mixed="true"><xs:attribute name="id" type="xs:int"/></xs:complexType>
      </xs:element>
    </xs:choice>
  </xs:complexType>
  <xs:complexType name="Tags">
    <xs:complexContent mixed="true">
      <xs:extension base="Body">
        <xs:sequence><xs:element name="tag" type="xs:string" minOccurs="0"/></xs:sequence>
      </xs:extension>
    </xs:complexContent>
  </xs:complexType>
</xs:schema>"###;

pub(super) const MIXED_NOTE: &str = r###"<Note>
  <Body>Ship <b>today</b>, see <ref id="7">order 7</ref> &amp; call.</Body>
  <Tags>urgent<tag>x</tag></Tags>
</Note>"###;

/// A mixed element's text between its children is its `#text`, joined;
/// whitespace between children alone is layout.
#[test]
fn mixed_content_reads_text_between_children() {
    let profile = compile_clean(MIXED);
    assert_eq!(
        read_ok(&profile, MIXED_NOTE),
        "{'Note': {'Body': {'#text': 'Ship , see  & call.', 'b': ['today'], \
         'ref': [{'@id': 7, '#text': 'order 7'}]}, \
         'Tags': {'#text': 'urgent', 'tag': 'x', 'b': [], 'ref': []}}}"
    );
    // Text elsewhere is still refused.
    assert_eq!(
        read_err(&profile, "<Note>loose<Body/></Note>"),
        ["/Note: text is not allowed in `Note`"]
    );
}

#[test]
fn mixed_content_is_written_emitted_and_described() {
    let profile = compile_clean(MIXED);
    let written = profile
        .write(&value(
            r##"{"Note": {"Body": {"#text": "a < b", "b": ["x"], "ref": [{"@id": 1, "#text": "r"}]}}}"##,
        ))
        .expect("writes");
    assert!(
        written.contains(r#"<Note><Body>a &lt; b<b>x</b><ref id="1">r</ref></Body></Note>"#),
        "{written}"
    );
    let outline = profile.to_string();
    assert!(outline.contains("Body (mixed)"), "{outline}");
    let files = emitted::emit_files(&[&profile]);
    let text = &files[0].1;
    assert!(
        text.contains(r#"<xs:complexType name="Body" mixed="true">"#),
        "{text}"
    );
    assert!(
        text.contains(r#"<xs:complexType name="Tags" mixed="true">"#),
        "{text}"
    );
    let again = emitted::recompiled(&profile);
    assert_eq!(read_ok(&again, MIXED_NOTE), read_ok(&profile, MIXED_NOTE));
    let definitions = json_definitions(&profile);
    assert_eq!(
        definitions["Body"]["properties"]["value"],
        serde_json::json!({ "type": "string", "xml": { "x-text": true } })
    );
}

#[test]
fn mixed_types_that_cannot_be_are_errors_at_their_place() {
    refused_with_each(
        r###"
        <xs:element name="A">
          <xs:complexType mixed="true">
            <xs:simpleContent><xs:extension base="xs:string"/></xs:simpleContent>
          </xs:complexType>
        </xs:element>
        <xs:element name="B">
          <xs:complexType><xs:complexContent><xs:extension base="M"/></xs:complexContent></xs:complexType>
        </xs:element>
        <xs:element name="D"><xs:complexType mixed="maybe"/></xs:element>
"###,
        r###"<xs:complexType name="M" mixed="true"><xs:sequence><xs:element name="X" type="xs:string"/></xs:sequence></xs:complexType>"###,
        &[
            "`mixed=\"true\"` does not go with xs:simpleContent",
            "`M` is mixed, so an extension of it must be `mixed=\"true\"` too",
            "`mixed` is true or false, not `maybe`",
        ],
    );
}

#[test]
fn one_too_many_of_a_repeating_element_is_named_with_its_position() {
    let profile = compile_clean(
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="R">
    <xs:complexType>
      <xs:sequence>
        <xs:sequence maxOccurs="2"><xs:element name="C" type="xs:string"/></xs:sequence>
        <xs:element name="E" type="xs:int" minOccurs="2" maxOccurs="3"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>"#,
    );
    assert_eq!(
        read_err(&profile, "<R><C>c</C><E>1</E><E>2</E><E>3</E><E>4</E></R>"),
        ["/R/E[4]: `E` cannot occur again here, expected the end of `R`"]
    );
    let errors = read_err(
        &profile,
        "<R><C>c</C><C>c2</C><C>c3</C><E>1</E><E>2</E></R>",
    );
    assert!(errors[0].starts_with("/R/C[3]: "), "{errors:?}");
    assert_eq!(
        read_err(&profile, "<R><C>c</C><E>1</E></R>"),
        ["/R: `E` occurs once, at least 2 expected"]
    );
}
