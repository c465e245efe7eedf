//! Profiles: the contracts of web services (SPEC §7).
//!
//! A profile is an XSD (`profiles/NAME.xsd`) or a JSON Schema
//! (`profiles/NAME.schema.json`). It validates what comes in, shapes what
//! `map` builds, and types the values templates see.

pub mod infer;
pub mod json;
mod json_diag;
pub mod json_tree;
pub mod view;
pub mod xsd;

use std::collections::HashMap;
use std::sync::Arc;

use minijinja::value::Value;

use crate::doc::{MediaType, ParseLimits};
use json::JsonProfile;
use xsd::XmlProfile;

pub use xsd::Violation;

/// Why a body could not be read with a profile. `V` is how violations
/// are given: a list document's say which item they are in.
#[derive(Debug, PartialEq)]
pub enum ReadError<V = Vec<Violation>> {
    /// It is no document of the profile's format: not UTF-8, not
    /// well-formed, or nested deeper than the limits allow. No profile
    /// could take it; the message says where it goes wrong.
    Malformed(String),
    /// A document of the format that breaks the profile: every violation.
    Invalid(V),
}

impl ReadError {
    /// The problems as violations: a malformed document is one, with no path.
    pub fn into_violations(self) -> Vec<Violation> {
        match self {
            ReadError::Malformed(message) => vec![Violation {
                path: String::new(),
                message,
            }],
            ReadError::Invalid(violations) => violations,
        }
    }
}

/// A compiled profile with its name; cloning shares it.
#[derive(Clone, Debug)]
pub struct Profile {
    name: Arc<str>,
    schema: Schema,
}

#[derive(Clone, Debug)]
pub enum Schema {
    Xml(Arc<XmlProfile>),
    Json(Arc<JsonProfile>),
}

impl Profile {
    pub fn new(name: &str, schema: Schema) -> Profile {
        Profile {
            name: name.into(),
            schema,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The profile of an XSD's text, named `name`, for tests; it must compile.
    #[cfg(test)]
    pub(crate) fn from_xsd(name: &str, xsd: &str) -> Profile {
        let source = crate::diag::SourceFile::new(format!("profiles/{name}.xsd"), xsd.to_owned());
        let (profiles, diagnostics) = xsd::compile(&[source]);
        assert!(!diagnostics.has_errors(), "{}", diagnostics.render());
        let (_, profile) = profiles.into_iter().next().expect("one profile");
        Profile::new(name, Schema::Xml(profile))
    }

    /// The profile of a JSON Schema's text, named `name`, for tests; it must compile.
    #[cfg(test)]
    pub(crate) fn from_json_schema(name: &str, schema: &str) -> Profile {
        let path = format!("profiles/{name}.schema.json");
        let source = crate::diag::SourceFile::new(path, schema.to_owned());
        let mut diagnostics = crate::diag::Diagnostics::default();
        let profile = JsonProfile::compile(&source, &mut diagnostics)
            .unwrap_or_else(|| panic!("{}", diagnostics.render()));
        Profile::new(name, Schema::Json(profile))
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn media(&self) -> MediaType {
        match self.schema {
            Schema::Xml(_) => MediaType::Xml,
            Schema::Json(_) => MediaType::Json,
        }
    }

    /// Parses and validates a body into its template value.
    pub fn read(&self, body: &[u8], limits: &ParseLimits) -> Result<Value, ReadError> {
        match &self.schema {
            Schema::Xml(profile) => {
                let text = std::str::from_utf8(body)
                    .map_err(|_| ReadError::Malformed("the document is not UTF-8".to_owned()))?;
                profile.read(text, &limits.xml())
            }
            Schema::Json(profile) => profile.read(body, limits.max_json_depth),
        }
    }

    /// Writes a template value as a document of this profile, validated.
    pub fn write(&self, value: &Value) -> Result<String, Vec<Violation>> {
        match &self.schema {
            Schema::Xml(profile) => profile.write(value),
            Schema::Json(profile) => profile.write(value),
        }
    }

    /// The same profile (not only an equal one).
    pub fn is(&self, other: &Profile) -> bool {
        match (&self.schema, &other.schema) {
            (Schema::Xml(a), Schema::Xml(b)) => Arc::ptr_eq(a, b),
            (Schema::Json(a), Schema::Json(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// The profiles of a root, by name, and the names of those whose files
/// did not compile (their own errors say why; a use of one is not another).
#[derive(Debug, Default)]
pub struct Profiles {
    by_name: HashMap<String, Profile>,
    broken: std::collections::HashSet<String>,
}

impl Profiles {
    pub fn insert(&mut self, profile: Profile) {
        self.by_name.insert(profile.name().to_owned(), profile);
    }

    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.by_name.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    /// Notes a profile file that is there but did not compile.
    pub fn mark_broken(&mut self, name: &str) {
        if !self.by_name.contains_key(name) {
            self.broken.insert(name.to_owned());
        }
    }

    /// Whether `name` is a profile file that did not compile.
    pub fn is_broken(&self, name: &str) -> bool {
        self.broken.contains(name)
    }
}

/// Violations as one message for a log line.
pub fn describe(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| {
            if v.path.is_empty() {
                v.message.clone()
            } else {
                format!("{}: {}", v.path, v.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Samples validate against what is imported from them, by the same
/// compilers and validators that serve requests.
#[cfg(test)]
mod round_trips {
    use super::*;
    use crate::diag::SourceFile;

    fn json_round_trip(sample: &str) {
        let schema = infer::json_schema_from_sample(sample, "sample").unwrap();
        let source = SourceFile::new("profiles/sample.schema.json", schema.clone());
        let mut diagnostics = crate::diag::Diagnostics::default();
        let profile = JsonProfile::compile(&source, &mut diagnostics)
            .unwrap_or_else(|| panic!("{schema}\n{}", diagnostics.render()));
        if let Err(violations) = profile.read(sample.as_bytes(), 64) {
            panic!("{sample} against\n{schema}\n{violations:?}");
        }
    }

    fn xml_round_trip(sample: &str) {
        let xsd = infer::xsd_from_sample(sample, "sample").unwrap();
        let source = SourceFile::new("profiles/sample.xsd", xsd.clone());
        let (profiles, diagnostics) = xsd::compile(&[source]);
        assert!(!diagnostics.has_errors(), "{xsd}\n{}", diagnostics.render());
        let (_, profile) = profiles.into_iter().next().expect("one profile");
        if let Err(violations) = profile.read(sample, &crate::doc::xml::XmlLimits::default()) {
            panic!("{sample} against\n{xsd}\n{violations:?}");
        }
    }

    #[test]
    fn xml_samples_validate_against_their_xsd() {
        xml_round_trip(include_str!("../../samples/order.xml"));
        xml_round_trip(include_str!("../../samples/orders.xml"));
        xml_round_trip(
            r#"<r xmlns="urn:x" v="1"><a>2024-01-02</a><a>2024-01-03T10:00:00Z</a><b t="x">1.5</b><c/></r>"#,
        );
        // Mixed content, in one instance and across two.
        xml_round_trip("<note>Call <b>Ada</b> at <i>9</i> sharp.</note>");
        xml_round_trip("<r><p n=\"1\">text</p><p n=\"2\"><b>1</b>and text</p></r>");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn any_xml_sample_validates(sample in xml_strategy()) {
            xml_round_trip(&sample);
        }
    }

    /// Random documents whose repeated children come in one order, as real data does.
    fn xml_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            "-?[0-9]{1,5}",
            "[0-9]{1,3}\\.[0-9]{1,2}",
            "true|false",
            "[a-z ]{0,6}",
            Just("2024-02-29".to_owned())
        ];
        let element = |name: &'static str| {
            (leaf.clone(), 1..3usize)
                .prop_map(move |(text, count)| format!("<{name}>{text}</{name}>").repeat(count))
        };
        (
            element("a"),
            proptest::option::of(element("b")),
            element("c"),
            any::<bool>(),
            proptest::option::of("[a-z][a-z ]{0,5}(&amp;)?"),
        )
            .prop_map(|(a, b, c, attr, words)| {
                let attr = if attr { " id=\"7\"" } else { "" };
                // Text between the children of one item makes it mixed.
                let words = words.unwrap_or_default();
                format!(
                    "<root{attr}><item>{a}{words}{}{c}</item><item>{a}{c}</item></root>",
                    b.unwrap_or_default()
                )
            })
    }

    #[test]
    fn json_samples_validate_against_their_schema() {
        json_round_trip(
            r#"{"id": "A", "lines": [{"sku": "x", "qty": 1}, {"sku": "y", "qty": 2.5, "note": "n"}], "at": "2024-01-02", "paid": null}"#,
        );
        json_round_trip(r#"[1, 2.5, {"a": [[], [true]]}, "2024-01-02T10:00:00Z"]"#);
        json_round_trip("3");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn any_json_sample_validates(sample in json_strategy()) {
            json_round_trip(&sample.to_string());
        }
    }

    fn json_strategy() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i32>().prop_map(serde_json::Value::from),
            (-1000.0f64..1000.0).prop_map(serde_json::Value::from),
            "[a-z0-9 -]{0,8}".prop_map(serde_json::Value::from),
            Just(serde_json::Value::from("2024-02-29")),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("[a-c]", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
