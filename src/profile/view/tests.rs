use super::*;

/// An order: an attribute, a simple element, one with text and an
/// attribute, and one that repeats (also used by compile's tests).
pub(crate) const ORDER_XSD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Order"><xs:complexType><xs:sequence>
    <xs:element name="Id" type="xs:string"/>
    <xs:element name="Total"><xs:complexType><xs:simpleContent>
      <xs:extension base="xs:decimal"><xs:attribute name="currency" type="xs:string"/></xs:extension>
    </xs:simpleContent></xs:complexType></xs:element>
    <xs:element name="Line" maxOccurs="unbounded"><xs:complexType><xs:sequence>
      <xs:element name="Sku" type="xs:string"/>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence><xs:attribute name="id" type="xs:string"/></xs:complexType></xs:element>
</xs:schema>"#;

fn xml() -> Profile {
    Profile::from_xsd("order", ORDER_XSD)
}

/// Follows `path` (`name`, or `[]` for an index): `Ok` with how it ends
/// (`found`, `open`), `Err` with what is never there, and the names that are.
fn follow(profile: &Profile, path: &[&str]) -> Result<&'static str, (String, Vec<String>)> {
    let mut place = profile.document_place();
    for step in path {
        let lookup = match *step {
            "[]" => place.index(),
            name => place.key(name),
        };
        match lookup {
            Lookup::Found(next) => place = next,
            Lookup::Open => return Ok("open"),
            Lookup::Never { what, names } => return Err((what, names)),
        }
    }
    Ok("found")
}

#[test]
fn xml_documents_hold_what_read_gives() {
    let order = xml();
    assert_eq!(follow(&order, &["Order", "Id"]), Ok("found"));
    assert_eq!(follow(&order, &["Order", "Line", "[]", "Sku"]), Ok("found"));
    assert_eq!(follow(&order, &["Order", "Line", "0", "Sku"]), Ok("found"));
    assert_eq!(follow(&order, &["Order", "@id"]), Ok("open"));
    assert_eq!(follow(&order, &["Order", "Total", "#text"]), Ok("open"));
    assert_eq!(follow(&order, &["Order", "Total", "@currency"]), Ok("open"));
    // What a value of a simple type has is the engine's business.
    assert_eq!(follow(&order, &["Order", "Id", "length"]), Ok("open"));
    assert_eq!(
        follow(&order, &["Invoice"]),
        Err((
            "the document holds only `Order`".into(),
            vec!["Order".into()]
        ))
    );
    assert_eq!(
        follow(&order, &["Order", "Idd"]),
        Err((
            "`Order` has no `Idd`".into(),
            ["Id", "Total", "Line", "@id"].map(String::from).to_vec()
        ))
    );
    assert_eq!(
        follow(&order, &["Order", "Line", "Sku"]).map_err(|e| e.0),
        Err("`Line` may repeat, so its value is a list: take one (`[0]`) or loop over it".into())
    );
    assert!(follow(&order, &["Order", "#text"]).is_err());
    assert!(follow(&order, &["Order", "Total", "@amount"]).is_err());
}

#[test]
fn json_documents_are_judged_only_where_the_schema_is_closed() {
    let schema = r##"{
  "type": "object",
  "properties": {
    "id": { "type": "string" },
    "lines": { "type": "array", "items": { "$ref": "#/$defs/line" } },
    "meta": { "type": "object" }
  },
  "additionalProperties": false,
  "$defs": { "line": { "type": "object", "properties": { "sku": {} }, "additionalProperties": false } }
}"##;
    let ack = Profile::from_json_schema("ack", schema);
    assert_eq!(follow(&ack, &["lines", "[]", "sku"]), Ok("found"));
    assert_eq!(follow(&ack, &["meta", "anything"]), Ok("open"));
    assert_eq!(
        follow(&ack, &["lines", "[]", "qty"]),
        Err((
            "the object takes no other properties".into(),
            vec!["sku".into()]
        ))
    );
    assert!(follow(&ack, &["ident"]).is_err());
}

/// A type whose `xs:anyAttribute` is `lax` or `skip` may hold attributes of
/// any name; a `strict` one holds the declared ones only.
#[test]
fn an_attribute_wildcard_opens_attribute_lookups() {
    let profile = Profile::from_xsd(
        "tag",
        r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Tag"><xs:complexType><xs:sequence>
    <xs:element name="Strict"><xs:complexType><xs:anyAttribute/></xs:complexType></xs:element>
  </xs:sequence><xs:anyAttribute namespace="##other" processContents="lax"/></xs:complexType></xs:element>
</xs:schema>"###,
    );
    assert_eq!(follow(&profile, &["Tag", "@color"]), Ok("open"));
    assert!(follow(&profile, &["Tag", "Strict", "@size"]).is_err());
}

/// A content model with an `xs:any` may hold elements of any name.
#[test]
fn an_element_wildcard_opens_element_lookups() {
    let profile = Profile::from_xsd(
        "box",
        r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Box"><xs:complexType><xs:sequence>
    <xs:element name="Id" type="xs:int"/>
    <xs:any namespace="##other" processContents="skip" minOccurs="0"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"###,
    );
    assert_eq!(follow(&profile, &["Box", "Trace"]), Ok("open"));
    assert_eq!(follow(&profile, &["Box", "Id"]), Ok("found"));
}

/// A mixed element has text (`#text`) beside its children.
#[test]
fn a_mixed_element_has_text() {
    let profile = Profile::from_xsd(
        "note",
        r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Note"><xs:complexType mixed="true"><xs:sequence>
    <xs:element name="b" type="xs:string" minOccurs="0"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"###,
    );
    assert_eq!(follow(&profile, &["Note", "#text"]), Ok("open"));
    assert!(follow(&profile, &["Note", "i"]).is_err());
}
