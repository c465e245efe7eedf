//! An XML profile as JSON Schema (2020-12), with OpenAPI's `xml` keywords:
//! how the OpenAPI document describes `application/xml` bodies.
//!
//! OpenAPI has no XSD; it describes XML with a JSON Schema of the data and
//! an `xml` object per schema saying how the data is spelled as XML. The
//! schema here is built from the same compiled model that validates
//! requests, so the published shape cannot drift from the enforced one. It
//! is a description, not the validator: where JSON Schema cannot say what
//! the XSD says, the schema says less (never more), and the XSD stays the
//! authority.
//!
//! # The mapping
//!
//! | XSD | JSON Schema |
//! |---|---|
//! | element | a property named by its local name; `xml.name`, `xml.namespace` when it has one, `xml.prefix` when flowgate writes it with one |
//! | element that may occur more than once | `type: array` of the element, `xml.wrapped: false`, `minItems`/`maxItems` from the occurrences |
//! | `minOccurs` ≥ 1 (counting enclosing groups; a `choice` counts its least branch) | in `required` |
//! | attribute | a property with `xml.attribute: true`; `use="required"` puts it in `required` |
//! | named complex type, global element's anonymous type | a definition, used by `$ref` (so recursive types stay finite) |
//! | other anonymous complex type | inline `type: object`, `additionalProperties: false` |
//! | `simpleContent` with attributes | an object: the attributes, and the text as the property `value` (`_value` when an attribute is named `value`) marked `xml.x-text: true` |
//! | `simpleContent` without attributes | the text's schema |
//! | `mixed="true"` | the text between the children as the string property `value` (`_value` when a child or attribute has that name) marked `xml.x-text: true`, not required |
//! | `any` | `x-xsd-any`, a list of each wildcard's `namespace` and `processContents`; `additionalProperties: true` (what it takes may have any name and content) |
//! | `anyAttribute` | `x-xsd-any-attribute` with its `namespace` and `processContents`; `lax` or `skip` make `additionalProperties` a string attribute (`strict`, which admits declared attributes only, keeps it `false`) |
//! | `enumeration` | `enum`, typed as the built-in type (numbers, booleans, strings) |
//! | `pattern` | `pattern`, anchored (`^(?:…)$`); several in one step are alternatives, several steps `allOf`; XSD-only syntax (`\i`, `\c`, class subtraction) leaves `pattern` out and keeps the source as `x-xsd-pattern` |
//! | `length`, `minLength`, `maxLength` | `minLength`, `maxLength` (not for `base64Binary` and `hexBinary`, whose lengths count bytes) |
//! | `minInclusive`, `maxInclusive`, `minExclusive`, `maxExclusive` | `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` |
//! | `totalDigits`, `fractionDigits`, `whiteSpace` | nothing |
//!
//! Built-in types: `string` → string; `boolean` → boolean; `int` → integer
//! (int32); `long` → integer (int64); `integer` → integer; `decimal` →
//! number; `double` → number (double); `date`, `dateTime`, `time` → string
//! (date, date-time, time); `base64Binary` → string with `contentEncoding:
//! base64`; `anyURI` → string (uri); `hexBinary` → string with
//! `contentEncoding: base16`; `duration` and the `g…` types (`gYear`,
//! `gYearMonth`, `gMonthDay`, `gDay`, `gMonth`) → string with a `pattern`
//! of the lexical form (along with any `pattern` facet, in an `allOf`).
//! The derived built-in types are their base with the facets XSD gives
//! them (`positiveInteger` → integer, minimum 1; `language` → string with
//! its pattern; `NCName` and the other name types → string with the
//! pattern as `x-xsd-pattern`).
//!
//! OpenAPI 3.1 has no way to say "this property is the element's text"
//! (3.2 adds `xml.nodeType: text`); the `x-text` extension marks it, and
//! tools that do not know it show a child element `<value>` instead.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::XmlProfile;
use super::model::{
    AttributeDecl, ComplexTypeRef, Content, ElementDecl, ElementRef, MaxOccurs, ProcessContents,
    SimpleType, SimpleTypeRef, TypeRef, ValueConstraint,
};
use super::simple::{Atom, BuiltIn, EnumValue, Number};

/// The property that holds the text of a simple-content element.
const TEXT_PROPERTY: &str = "value";

/// A profile's document element as JSON Schema.
#[derive(Debug, Clone, PartialEq)]
pub struct XmlJsonSchema {
    /// The document element: its type's schema (often a `$ref`) with its
    /// `xml` name and namespace.
    pub root: Value,
    /// The definitions `$ref`s point to, by name: the name follows the
    /// `ref_base` given to [`XmlProfile::json_schema`]. Names use only
    /// `A-Z a-z 0-9 . - _`, as OpenAPI component names must.
    pub definitions: BTreeMap<String, Value>,
}

impl XmlProfile {
    /// The document element as JSON Schema. `$ref`s are written as
    /// `ref_base` followed by a definition's name, so the caller decides
    /// where definitions live (`#/components/schemas/order.` in OpenAPI,
    /// `#/$defs/` in a standalone schema).
    pub fn json_schema(&self, ref_base: &str) -> XmlJsonSchema {
        let mut converter = Converter::new(self, ref_base);
        let root = converter.element(self.root);
        XmlJsonSchema {
            root,
            definitions: converter.definitions,
        }
    }
}

struct Converter<'p> {
    profile: &'p XmlProfile,
    ref_base: &'p str,
    /// The name each complex type with a definition would like: its own,
    /// or its global element's.
    wanted: HashMap<ComplexTypeRef, String>,
    /// Names given so far.
    named: HashMap<ComplexTypeRef, String>,
    taken: HashSet<String>,
    definitions: BTreeMap<String, Value>,
}

impl<'p> Converter<'p> {
    fn new(profile: &'p XmlProfile, ref_base: &'p str) -> Converter<'p> {
        let mut wanted = HashMap::new();
        for (index, ct) in profile.complex_types.iter().enumerate() {
            if let Some(name) = ct.name() {
                wanted.insert(ComplexTypeRef(index as u32), name.local.clone());
            }
        }
        for element in profile.elements.iter().filter(|e| e.is_global()) {
            if let TypeRef::Complex(ct) = element.type_ref() {
                wanted
                    .entry(ct)
                    .or_insert_with(|| element.name().to_owned());
            }
        }
        Converter {
            profile,
            ref_base,
            wanted,
            named: HashMap::new(),
            taken: HashSet::new(),
            definitions: BTreeMap::new(),
        }
    }

    /// An element where it is used: its type (or `null` if it is
    /// nillable), and its XML name.
    fn element(&mut self, id: ElementRef) -> Value {
        let decl = self.profile.element(id);
        let mut schema = self.type_schema(decl.type_ref());
        if let Some(constraint) = &decl.constraint {
            constrain(&mut schema, constraint);
        }
        if decl.nillable {
            schema = json!({ "anyOf": [schema, { "type": "null" }] });
        }
        insert(&mut schema, "xml", Value::Object(element_xml(decl)));
        schema
    }

    fn type_schema(&mut self, type_ref: TypeRef) -> Value {
        match type_ref {
            TypeRef::Simple(simple) => self.simple(simple),
            TypeRef::Complex(complex) if self.wanted.contains_key(&complex) => {
                let name = self.definition(complex);
                json!({ "$ref": format!("{}{name}", self.ref_base) })
            }
            TypeRef::Complex(complex) => self.complex(complex),
        }
    }

    /// The definition's name, building it the first time. The name is
    /// taken before the body is built, so a type that holds itself refers
    /// to the name instead of recursing.
    fn definition(&mut self, complex: ComplexTypeRef) -> String {
        if let Some(name) = self.named.get(&complex) {
            return name.clone();
        }
        let wanted = self
            .wanted
            .get(&complex)
            .map_or_else(|| "Type".to_owned(), |name| component_name(name));
        let name = (1..)
            .map(|n| match n {
                1 => wanted.clone(),
                n => format!("{wanted}_{n}"),
            })
            .find(|candidate| !self.taken.contains(candidate))
            .unwrap_or(wanted);
        self.taken.insert(name.clone());
        self.named.insert(complex, name.clone());
        let body = self.complex(complex);
        self.definitions.insert(name.clone(), body);
        name
    }

    fn complex(&mut self, complex: ComplexTypeRef) -> Value {
        let ct = self.profile.complex_type(complex);
        let mut properties = Map::new();
        let mut required = Vec::new();
        let element_names: Vec<&str> = ct.child_names().collect();
        for attribute in ct.attributes() {
            let key = if element_names.contains(&attribute.name()) {
                format!("@{}", attribute.name())
            } else {
                attribute.name().to_owned()
            };
            let schema = self.attribute(attribute, &key);
            if attribute.is_required() {
                required.push(Value::from(key.as_str()));
            }
            properties.insert(key, schema);
        }
        match ct.content() {
            Content::Empty => {}
            Content::Simple(text) if ct.attributes().is_empty() && ct.any_attribute().is_none() => {
                return self.simple(*text);
            }
            Content::Simple(text) => {
                let key = if properties.contains_key(TEXT_PROPERTY) {
                    format!("_{TEXT_PROPERTY}")
                } else {
                    TEXT_PROPERTY.to_owned()
                };
                let mut schema = self.simple(*text);
                insert(&mut schema, "xml", json!({ "x-text": true }));
                required.push(Value::from(key.as_str()));
                properties.insert(key, schema);
            }
            Content::Elements(_) => {
                for name in element_names {
                    let (min, max) = ct.occurs(name);
                    let Some(first) = ct.first_child(name) else {
                        continue;
                    };
                    let schema = self.child(first, min, max);
                    if min > 0 {
                        required.push(Value::from(name));
                    }
                    properties.insert(name.to_owned(), schema);
                }
            }
        }
        if ct.is_mixed() {
            // A mixed element's text, between its children.
            let key = if properties.contains_key(TEXT_PROPERTY) {
                format!("_{TEXT_PROPERTY}")
            } else {
                TEXT_PROPERTY.to_owned()
            };
            let text = json!({ "type": "string", "xml": { "x-text": true } });
            properties.insert(key, text);
        }
        let mut schema = json!({ "type": "object" });
        if !properties.is_empty() {
            insert(&mut schema, "properties", Value::Object(properties));
        }
        if !required.is_empty() {
            insert(&mut schema, "required", Value::Array(required));
        }
        let elements = ct.element_wildcards();
        if !elements.is_empty() {
            let described: Vec<Value> = elements
                .iter()
                .map(|wildcard| {
                    json!({
                        "namespace": wildcard.namespaces().to_string(),
                        "processContents": wildcard.process().keyword(),
                    })
                })
                .collect();
            insert(&mut schema, "x-xsd-any", Value::Array(described));
        }
        let others = match ct.any_attribute() {
            Some(wildcard) => {
                insert(
                    &mut schema,
                    "x-xsd-any-attribute",
                    json!({
                        "namespace": wildcard.namespaces().to_string(),
                        "processContents": wildcard.process().keyword(),
                    }),
                );
                match wildcard.process() {
                    ProcessContents::Strict => Value::Bool(false),
                    ProcessContents::Lax | ProcessContents::Skip => {
                        json!({ "type": "string", "xml": { "attribute": true } })
                    }
                }
            }
            None => Value::Bool(false),
        };
        // Elements an `xs:any` takes may have any name and content.
        let others = if elements.is_empty() {
            others
        } else {
            Value::Bool(true)
        };
        insert(&mut schema, "additionalProperties", others);
        schema
    }

    /// A child element: itself, or an array of it when it may repeat.
    fn child(&mut self, id: ElementRef, min: u32, max: MaxOccurs) -> Value {
        let item = self.element(id);
        if max == MaxOccurs::Bounded(1) || max == MaxOccurs::Bounded(0) {
            return item;
        }
        let mut array = json!({ "type": "array", "items": item, "xml": { "wrapped": false } });
        if min > 0 {
            insert(&mut array, "minItems", Value::from(min));
        }
        if let MaxOccurs::Bounded(max) = max {
            insert(&mut array, "maxItems", Value::from(max));
        }
        array
    }

    fn attribute(&mut self, attribute: &AttributeDecl, key: &str) -> Value {
        let mut schema = self.simple(attribute.type_ref());
        if let Some(constraint) = &attribute.constraint {
            constrain(&mut schema, constraint);
        }
        let mut xml = Map::new();
        if key != attribute.name() {
            xml.insert("name".into(), Value::from(attribute.name()));
        }
        add_namespace(&mut xml, attribute.namespace(), &attribute.written_name);
        xml.insert("attribute".into(), Value::Bool(true));
        insert(&mut schema, "xml", Value::Object(xml));
        schema
    }

    /// A simple type: its built-in type, and the facets of every step of
    /// its derivation.
    fn simple(&self, simple: SimpleTypeRef) -> Value {
        let builtin = self.profile.simple_type(simple).builtin();
        let mut steps = Vec::new();
        let mut next = Some(simple);
        while let Some(id) = next {
            let step = self.profile.simple_type(id);
            steps.push(step);
            next = step.base();
        }
        let members = self.profile.simple_type(simple).members();
        let item = self.profile.simple_type(simple).item();
        let mut schema = if let Some(item) = item {
            // A list is text on the wire: its items separated by spaces.
            json!({ "type": "string", "x-xsd-list": self.simple(item) })
        } else if members.is_empty() {
            builtin_schema(builtin)
        } else {
            // A union: any of its members, and its own facets (pattern,
            // enumeration) over them.
            let any: Vec<Value> = members.iter().map(|m| self.simple(*m)).collect();
            json!({ "anyOf": any })
        };
        // The most derived enumeration is the one in force: XSD requires
        // it to be a subset of its base's.
        if let Some(values) = steps
            .iter()
            .find(|s| !s.facets().enumeration.is_empty())
            .and_then(|s| enum_values(&s.facets().enumeration))
        {
            insert(&mut schema, "enum", Value::Array(values));
        }
        add_patterns(&mut schema, &steps);
        if !members.is_empty() || item.is_some() {
            return schema;
        }
        if builtin.has_length() && !matches!(builtin, BuiltIn::Base64Binary | BuiltIn::HexBinary) {
            add_lengths(&mut schema, &steps);
        }
        if builtin.is_numeric() {
            add_bounds(&mut schema, &steps);
        }
        schema
    }
}

/// Every step's patterns: one `pattern`, or an `allOf` of them.
fn add_patterns(schema: &mut Value, steps: &[&SimpleType]) {
    // A built-in type's own lexical pattern holds along with the facets'.
    let mut portable: Vec<String> = match schema.as_object_mut().map(|s| s.remove("pattern")) {
        Some(Some(Value::String(lexical))) => vec![lexical],
        _ => Vec::new(),
    };
    let mut unportable = Vec::new();
    for step in steps.iter().filter(|s| !s.facets().patterns.is_empty()) {
        let sources: Vec<&str> = step.facets().patterns.iter().map(|p| p.source()).collect();
        match ecma_pattern(&sources) {
            Some(pattern) => portable.push(pattern),
            None => unportable.extend(sources.iter().map(|s| Value::from(*s))),
        }
    }
    match portable.len() {
        0 => {}
        1 => insert(schema, "pattern", Value::from(portable.remove(0))),
        _ => insert(
            schema,
            "allOf",
            Value::Array(
                portable
                    .into_iter()
                    .map(|p| json!({ "pattern": p }))
                    .collect(),
            ),
        ),
    }
    match unportable.len() {
        0 => {}
        1 => insert(schema, "x-xsd-pattern", unportable.remove(0)),
        _ => insert(schema, "x-xsd-pattern", Value::Array(unportable)),
    }
}

/// `xml` of an element: its name, and its namespace and prefix as
/// flowgate writes them.
fn element_xml(decl: &ElementDecl) -> Map<String, Value> {
    let mut xml = Map::new();
    xml.insert("name".into(), Value::from(decl.name()));
    add_namespace(&mut xml, decl.namespace(), &decl.written_name);
    xml
}

fn add_namespace(xml: &mut Map<String, Value>, namespace: Option<&str>, written: &str) {
    if let Some(namespace) = namespace {
        xml.insert("namespace".into(), Value::from(namespace));
        if let Some((prefix, _)) = written.split_once(':') {
            xml.insert("prefix".into(), Value::from(prefix));
        }
    }
}

fn builtin_schema(builtin: BuiltIn) -> Value {
    match builtin {
        BuiltIn::String => json!({ "type": "string" }),
        BuiltIn::Boolean => json!({ "type": "boolean" }),
        BuiltIn::Int => json!({ "type": "integer", "format": "int32" }),
        BuiltIn::Integer => json!({ "type": "integer" }),
        BuiltIn::Long => json!({ "type": "integer", "format": "int64" }),
        BuiltIn::Decimal => json!({ "type": "number" }),
        BuiltIn::Double => json!({ "type": "number", "format": "double" }),
        BuiltIn::Date => json!({ "type": "string", "format": "date" }),
        BuiltIn::DateTime => json!({ "type": "string", "format": "date-time" }),
        BuiltIn::Time => json!({ "type": "string", "format": "time" }),
        BuiltIn::Base64Binary => json!({ "type": "string", "contentEncoding": "base64" }),
        BuiltIn::AnyUri => json!({ "type": "string", "format": "uri" }),
        BuiltIn::HexBinary => json!({ "type": "string", "contentEncoding": "base16" }),
        // Lexical forms as patterns: the format keywords (RFC 3339's
        // `duration`) are narrower than XSD's (which allows `-P1D`).
        BuiltIn::Duration => lexical(concat!(
            r"-?P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+D)?",
            r"(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?"
        )),
        BuiltIn::GYear => calendar(YEAR),
        BuiltIn::GYearMonth => calendar(&format!("{YEAR}-{MONTH}")),
        BuiltIn::GMonthDay => calendar(&format!("--{MONTH}-{DAY}")),
        BuiltIn::GDay => calendar(&format!("---{DAY}")),
        BuiltIn::GMonth => calendar(&format!("--{MONTH}")),
    }
}

/// The parts of the `g…` types' lexical forms.
const YEAR: &str = r"-?(?:[1-9]\d{4,}|\d{4})";
const MONTH: &str = "(?:0[1-9]|1[0-2])";
const DAY: &str = r"(?:0[1-9]|[12]\d|3[01])";

/// A `g…` type's form: its date parts and an optional timezone.
fn calendar(parts: &str) -> Value {
    lexical(&format!(r"{parts}(?:Z|[+-]\d{{2}}:\d{{2}})?"))
}

/// A string of a lexical form, anchored as every `pattern` here is. It
/// may let through what the XSD refuses (a 30th of February), never the
/// other way round.
fn lexical(pattern: &str) -> Value {
    json!({ "type": "string", "pattern": format!("^(?:{pattern})$") })
}

/// Enumeration values as JSON of their type; `None` when one has no JSON
/// form (a `double` `NaN` or `INF`), so that no `enum` is better than a
/// wrong one.
fn enum_values(values: &[EnumValue]) -> Option<Vec<Value>> {
    values.iter().map(json_value).collect()
}

/// A schema-given value as JSON; `None` for a float JSON has no number
/// for (`NaN`, `INF`).
fn json_value(value: &EnumValue) -> Option<Value> {
    match value.atom {
        Atom::Text => Some(Value::from(value.lexical.as_str())),
        Atom::Int(n) => Some(Value::from(n)),
        Atom::Float(x) => serde_json::Number::from_f64(x).map(Value::Number),
        Atom::Bool(b) => Some(Value::Bool(b)),
    }
}

/// The tightest length bounds of all steps.
fn add_lengths(schema: &mut Value, steps: &[&SimpleType]) {
    let mut min: Option<u64> = None;
    let mut max: Option<u64> = None;
    for facets in steps.iter().map(|s| s.facets()) {
        for low in [facets.length, facets.min_length].into_iter().flatten() {
            min = Some(min.map_or(low, |m| m.max(low)));
        }
        for high in [facets.length, facets.max_length].into_iter().flatten() {
            max = Some(max.map_or(high, |m| m.min(high)));
        }
    }
    if let Some(min) = min.filter(|&m| m > 0) {
        insert(schema, "minLength", Value::from(min));
    }
    if let Some(max) = max {
        insert(schema, "maxLength", Value::from(max));
    }
}

/// The tightest numeric bounds of all steps.
fn add_bounds(schema: &mut Value, steps: &[&SimpleType]) {
    let tightest = |get: fn(&super::simple::Facets) -> Option<&super::simple::Bound>,
                    lower: bool| {
        steps
            .iter()
            .filter_map(|s| get(s.facets()).map(|b| b.number))
            .reduce(|a, b| {
                let b_is_tighter = if lower {
                    as_f64(b) > as_f64(a)
                } else {
                    as_f64(b) < as_f64(a)
                };
                if b_is_tighter { b } else { a }
            })
    };
    let bounds = [
        ("minimum", tightest(|f| f.min_inclusive.as_ref(), true)),
        (
            "exclusiveMinimum",
            tightest(|f| f.min_exclusive.as_ref(), true),
        ),
        ("maximum", tightest(|f| f.max_inclusive.as_ref(), false)),
        (
            "exclusiveMaximum",
            tightest(|f| f.max_exclusive.as_ref(), false),
        ),
    ];
    for (keyword, bound) in bounds {
        let value = match bound {
            Some(Number::Int(n)) => Some(Value::from(n)),
            Some(Number::Float(x)) => serde_json::Number::from_f64(x).map(Value::Number),
            None => None,
        };
        if let Some(value) = value {
            insert(schema, keyword, value);
        }
    }
}

fn as_f64(number: Number) -> f64 {
    match number {
        Number::Int(n) => n as f64,
        Number::Float(x) => x,
    }
}

/// One step's patterns (alternatives) as one ECMA-262 pattern, anchored as
/// XSD patterns implicitly are; `None` when a pattern uses XSD-only syntax.
fn ecma_pattern(sources: &[&str]) -> Option<String> {
    let parts = sources
        .iter()
        .map(|source| ecma_body(source))
        .collect::<Option<Vec<_>>>()?;
    let body = match parts.as_slice() {
        [one] => one.clone(),
        many => many
            .iter()
            .map(|p| format!("(?:{p})"))
            .collect::<Vec<_>>()
            .join("|"),
    };
    Some(format!("^(?:{body})$"))
}

/// An XSD pattern in ECMA-262 syntax: the two agree on the common subset,
/// except that `^` and `$` are ordinary characters in XSD, and that XSD's
/// `\s` and `.` name fixed sets (`[ \t\n\r]`, `[^\n\r]`) written out here.
/// `\d` and `\w` are Unicode classes in XSD (`١٢٣` is digits) and ASCII
/// ones in ECMA-262 without the `u` flag, so a pattern with them (or with
/// `\i`, `\c`, XML name characters, or class subtraction, `[a-z-[aeiou]]`)
/// has no faithful counterpart: the document then says less, not other.
fn ecma_body(source: &str) -> Option<String> {
    const SPACE: &str = " \\t\\n\\r";
    let mut out = String::with_capacity(source.len() + 4);
    let mut chars = source.chars().peekable();
    let mut class_depth = 0u32;
    let mut previous = '\0';
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let escaped = chars.next()?;
                match escaped {
                    'i' | 'I' | 'c' | 'C' | 'd' | 'D' | 'w' | 'W' => return None,
                    's' if class_depth > 0 => out.push_str(SPACE),
                    's' => out.push_str(&format!("[{SPACE}]")),
                    // A negated set cannot stand inside another class.
                    'S' if class_depth > 0 => return None,
                    'S' => out.push_str(&format!("[^{SPACE}]")),
                    _ => {
                        out.push('\\');
                        out.push(escaped);
                    }
                }
                previous = escaped;
                continue;
            }
            '.' if class_depth == 0 => {
                out.push_str("[^\\n\\r]");
                previous = c;
                continue;
            }
            '[' if class_depth > 0 && previous == '-' => return None,
            '[' => class_depth += 1,
            ']' => class_depth = class_depth.saturating_sub(1),
            '^' | '$' if class_depth == 0 => out.push('\\'),
            _ => {}
        }
        out.push(c);
        previous = c;
    }
    Some(out)
}

/// A name OpenAPI accepts for a component: `A-Z a-z 0-9 . - _`.
pub fn component_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        "_".to_owned()
    } else {
        clean
    }
}

/// A `default` value as the schema's `default`; a `fixed` one, the only
/// value there may be, as its `const`. A float JSON cannot write (`INF`)
/// is left out, as in enumerations.
fn constrain(schema: &mut Value, constraint: &ValueConstraint) {
    let keyword = if constraint.fixed { "const" } else { "default" };
    if let Some(value) = json_value(&constraint.value) {
        insert(schema, keyword, value);
    }
}

/// Adds a keyword to an object schema; `$ref` objects take siblings in 2020-12.
fn insert(schema: &mut Value, key: &str, value: Value) {
    if let Value::Object(map) = schema {
        map.insert(key.to_owned(), value);
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use super::*;
    use crate::diag::SourceFile;
    use crate::doc::xml::XmlLimits;

    const ROOT: &str = env!("CARGO_MANIFEST_DIR");

    /// Every `*.xsd` under `dir`, as `profiles/<relative path>`.
    fn schema_files(dir: &Path) -> Vec<Arc<SourceFile>> {
        let mut files = Vec::new();
        let mut work = vec![dir.to_path_buf()];
        while let Some(folder) = work.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    work.push(path);
                } else if path.extension().is_some_and(|e| e == "xsd") {
                    let relative = path.strip_prefix(dir).unwrap().to_string_lossy();
                    let text = std::fs::read_to_string(&path).unwrap();
                    files.push(SourceFile::new(format!("profiles/{relative}"), text));
                }
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    }

    fn profiles_in(dir: &Path) -> Vec<(String, Arc<XmlProfile>)> {
        let (mut profiles, diagnostics) = super::super::compile(&schema_files(dir));
        assert!(!diagnostics.has_errors(), "{}", diagnostics.render());
        profiles.sort_by(|a, b| a.0.cmp(&b.0));
        profiles
    }

    fn fixtures() -> PathBuf {
        Path::new(ROOT).join("src/profile/xsd/fixtures")
    }

    /// The fixtures that compile: all but `bad/`.
    fn good_fixtures() -> Vec<(String, Arc<XmlProfile>)> {
        let dir = fixtures();
        let files: Vec<_> = schema_files(&dir)
            .into_iter()
            .filter(|f| !f.path.starts_with("profiles/bad/"))
            .collect();
        let (mut profiles, diagnostics) = super::super::compile(&files);
        assert!(!diagnostics.has_errors(), "{}", diagnostics.render());
        profiles.sort_by(|a, b| a.0.cmp(&b.0));
        profiles
    }

    /// The converted profile as one standalone JSON Schema document.
    fn standalone(profile: &XmlProfile) -> Value {
        let converted = profile.json_schema("#/$defs/");
        let mut document = converted.root;
        insert(
            &mut document,
            "$schema",
            Value::from("https://json-schema.org/draft/2020-12/schema"),
        );
        let definitions: Map<String, Value> = converted.definitions.into_iter().collect();
        insert(&mut document, "$defs", Value::Object(definitions));
        document
    }

    fn validator(name: &str, document: &Value) -> jsonschema::Validator {
        if let Err(err) = jsonschema::meta::validate(document) {
            panic!("{name}: not a valid JSON Schema: {err}\n{document:#}");
        }
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(document)
            .unwrap_or_else(|err| panic!("{name}: {err}\n{document:#}"))
    }

    fn every_root_with_profiles() -> Vec<PathBuf> {
        let mut roots = vec![PathBuf::from(ROOT)];
        for entry in std::fs::read_dir(Path::new(ROOT).join("examples")).unwrap() {
            roots.push(entry.unwrap().path());
        }
        roots
            .into_iter()
            .map(|root| root.join("profiles"))
            .filter(|dir| dir.is_dir())
            .collect()
    }

    #[test]
    fn every_fixture_and_shipped_profile_is_a_valid_schema() {
        let mut count = 0;
        let mut profiles = good_fixtures();
        for dir in every_root_with_profiles() {
            profiles.extend(profiles_in(&dir));
        }
        for (name, profile) in profiles {
            validator(&name, &standalone(&profile));
            count += 1;
        }
        assert!(count >= 7, "{count} profiles");
    }

    fn snapshot_of(profile: &XmlProfile) -> String {
        let converted = profile.json_schema("#/components/schemas/p.");
        let definitions: Map<String, Value> = converted.definitions.into_iter().collect();
        let value = json!({ "root": converted.root, "definitions": definitions });
        serde_json::to_string_pretty(&value).unwrap()
    }

    #[test]
    fn golden_schemas_of_the_fixtures() {
        for (name, profile) in good_fixtures() {
            insta::assert_snapshot!(format!("json_schema_{name}"), snapshot_of(&profile));
        }
    }

    /// What a read document looks like in the schema's terms: attributes
    /// without `@`, simple content's text as `value`, the document
    /// element's content without its name.
    fn as_instance(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, value)| {
                        let key = match key.strip_prefix('@') {
                            Some(attribute) => attribute.to_owned(),
                            None if key == "#text" => TEXT_PROPERTY.to_owned(),
                            None => key.clone(),
                        };
                        (key, as_instance(value))
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(as_instance).collect()),
            other => other.clone(),
        }
    }

    /// Documents the profile accepts, read into the values templates see,
    /// are instances of the schema (after the renaming above).
    fn check_documents(profile: &XmlProfile, documents: &[&str]) {
        let validator = validator(profile.name(), &standalone(profile));
        for document in documents {
            let value = profile
                .read(document, &XmlLimits::default())
                .unwrap_or_else(|v| panic!("{document}: {v:?}"));
            let json = crate::profile::json::from_value(&value, "").unwrap();
            let content = json
                .as_object()
                .and_then(|m| m.values().next())
                .cloned()
                .unwrap();
            let instance = as_instance(&content);
            let errors: Vec<String> = validator
                .iter_errors(&instance)
                .map(|e| format!("{}: {e}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{document}\n{instance:#}\n{errors:#?}");
        }
    }

    fn named(profiles: &[(String, Arc<XmlProfile>)], name: &str) -> Arc<XmlProfile> {
        profiles.iter().find(|(n, _)| n == name).unwrap().1.clone()
    }

    #[test]
    fn documents_the_profiles_accept_fit_their_schemas() {
        let fixtures = good_fixtures();
        check_documents(
            &named(&fixtures, "order"),
            &[
                r#"<Order xmlns="urn:example:order" version="2" channel="web"><Id>AB-12345</Id><Customer><Name>Ada</Name></Customer><Lines><Line no="1"><Sku>ABC-1</Sku><Qty>3</Qty><Price currency="EUR">12.50</Price></Line><Line><Sku>GIFT</Sku><Qty>1</Qty><Price currency="USD">0</Price><Note>wrap it</Note></Line></Lines><Total>37.50</Total><Paid>1</Paid><OrderDate>2024-02-29</OrderDate><Invoice days="30"/><Tag>a</Tag><Tag>b</Tag></Order>"#,
                r#"<Order xmlns="urn:example:order" version="1"><Id>AB-1234</Id><Lines><Line><Sku>ABC-1</Sku><Qty>1</Qty><Price currency="GBP">1</Price></Line></Lines><Total>1</Total><Paid>false</Paid><OrderDate>2024-01-01</OrderDate><Card>1234567812345678</Card></Order>"#,
            ],
        );
        check_documents(
            &named(&fixtures, "shapes"),
            &[
                r#"<Shapes><Settings><Height>2</Height><Width>3</Width></Settings><Label>a</Label><Shape id="s"><Group><Shape><Circle r="1.5"/></Shape></Group></Shape><Mark>m</Mark><From>10:00:00</From><To>11:00:00</To><Blob>AAEC</Blob><Link>https://example.com/x</Link><Ratio>0.5</Ratio><Big>12</Big><Empty/></Shapes>"#,
            ],
        );
        check_documents(
            &named(&fixtures, "main"),
            &[
                r#"<m:Envelope xmlns:m="urn:example:main" xmlns:c="urn:example:common" stamp="2024-01-01T00:00:00Z"><Header><From>x</From></Header><c:Address c:kind="home"><c:Street>s</c:Street><c:City>c</c:City></c:Address><Part unit="kg">3</Part><Part>4</Part></m:Envelope>"#,
            ],
        );
        check_documents(
            &named(&fixtures, "invoice"),
            &[
                r#"<Invoice xmlns="urn:example:invoice" xmlns:c="urn:example:codes" at="2024-05-01T10:00:00Z" currency="EUR"><Number>1</Number><Issued>2024-05-01</Issued><Seller id="s"><Name>A</Name><Street>x</Street></Seller><Buyer tier="1"><Name>B</Name><Vip>false</Vip><Manager>C</Manager></Buyer><Line c:code="ABC" version="2"><Sku>S</Sku><Qty>1</Qty></Line><Net xmlns="">1.5</Net><Gross xmlns="">2</Gross><Terms flag="true"><Days>30</Days></Terms></Invoice>"#,
            ],
        );
        let shipped = profiles_in(&Path::new(ROOT).join("profiles"));
        check_documents(
            &named(&shipped, "order"),
            &[
                r#"<Order currency="EUR"><Id>A-42</Id><Customer>Ada</Customer><Priority>rush</Priority><Lines><Line><Sku>X</Sku><Qty>2</Qty><Price>9.5</Price></Line></Lines></Order>"#,
            ],
        );
        let bridge = profiles_in(&Path::new(ROOT).join("examples/xml-json-bridge/profiles"));
        let customer = std::fs::read_to_string(
            Path::new(ROOT).join("examples/xml-json-bridge/samples/customer.xml"),
        )
        .unwrap();
        check_documents(&named(&bridge, "customer"), &[&customer]);
        use super::super::tests::{ANY, ANY_BOX, BOX, MIXED, MIXED_NOTE, WILDCARDS};
        for (schema, document) in [(WILDCARDS, BOX), (ANY, ANY_BOX), (MIXED, MIXED_NOTE)] {
            let file = crate::diag::SourceFile::new("profiles/p.xsd", schema.to_owned());
            let (profiles, diagnostics) = super::super::compile(&[file]);
            assert!(!diagnostics.has_errors(), "{}", diagnostics.render());
            check_documents(&profiles[0].1, &[document]);
        }
    }

    #[test]
    fn documents_the_profiles_refuse_do_not_fit_where_json_schema_can_tell() {
        let fixtures = good_fixtures();
        let order = named(&fixtures, "order");
        let validator = validator("order", &standalone(&order));
        let base = json!({
            "version": 1, "Id": "AB-1234", "Lines": {"Line": [{"Sku": "ABC-1", "Qty": 1, "Price": {"currency": "EUR", "value": 1}}]},
            "Total": 1, "Paid": true, "OrderDate": "2024-01-01", "Card": "1234567812345678"
        });
        assert!(validator.is_valid(&base));
        let broken = |pointer: &str, value: Value| {
            let mut instance = base.clone();
            *instance.pointer_mut(pointer).unwrap() = value;
            instance
        };
        for instance in [
            broken("/Id", json!("ab-1")),
            broken("/Lines/Line/0/Qty", json!(0)),
            broken("/Lines/Line/0/Qty", json!(1.5)),
            broken("/Lines/Line/0/Price/currency", json!("CHF")),
            broken("/Lines/Line", json!([])),
            broken("/Card", json!("123")),
            broken("/Total", json!(-1)),
        ] {
            assert!(!validator.is_valid(&instance), "{instance}");
        }
        let mut missing = base.clone();
        missing.as_object_mut().unwrap().remove("version");
        assert!(!validator.is_valid(&missing));
    }

    #[test]
    fn patterns_in_ecma_syntax() {
        assert_eq!(
            ecma_pattern(&[r"[A-Z]{2}-[0-9]{4,8}"]).as_deref(),
            Some(r"^(?:[A-Z]{2}-[0-9]{4,8})$")
        );
        // XSD's `\s` and `.` are fixed sets, written out.
        assert_eq!(
            ecma_pattern(&[r"[^@\s]+@\s?.+"]).as_deref(),
            Some(r"^(?:[^@ \t\n\r]+@[ \t\n\r]?[^\n\r]+)$")
        );
        assert_eq!(
            ecma_pattern(&[r"\S[.]"]).as_deref(),
            Some(r"^(?:[^ \t\n\r][.])$")
        );
        // Unicode classes in XSD, ASCII ones in ECMA-262: no counterpart.
        for unicode in [r"\d+", r"\w+", r"[^\d]", r"\W", r"[\S]"] {
            assert_eq!(ecma_pattern(&[unicode]), None, "{unicode}");
        }
        assert_eq!(
            ecma_pattern(&["[A-Z]{3}-[0-9]+", "GIFT"]).as_deref(),
            Some("^(?:(?:[A-Z]{3}-[0-9]+)|(?:GIFT))$")
        );
        // `^` and `$` are characters in XSD, anchors in ECMA-262.
        assert_eq!(
            ecma_pattern(&["a^b$[^$]"]).as_deref(),
            Some(r"^(?:a\^b\$[^$])$")
        );
        assert_eq!(ecma_pattern(&[r"\i\c*"]), None);
        assert_eq!(ecma_pattern(&["[a-z-[aeiou]]"]), None);
    }

    #[test]
    fn recursive_types_are_definitions_referred_to() {
        let (profiles, diagnostics) = super::super::compile(&[SourceFile::new(
            "profiles/tree.xsd",
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Node" type="Node"/>
  <xs:complexType name="Node">
    <xs:sequence><xs:element name="Node" type="Node" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
    <xs:attribute name="Node" type="xs:string"/>
    <xs:attribute name="value" type="xs:string"/>
  </xs:complexType>
</xs:schema>"#
                .to_owned(),
        )]);
        assert!(!diagnostics.has_errors(), "{}", diagnostics.render());
        let converted = profiles[0].1.json_schema("#/$defs/");
        assert_eq!(
            converted.root,
            json!({ "$ref": "#/$defs/Node", "xml": { "name": "Node" } })
        );
        let node = &converted.definitions["Node"];
        assert_eq!(node["properties"]["Node"]["items"]["$ref"], "#/$defs/Node");
        // An attribute named like a child element is `@name`.
        assert_eq!(
            node["properties"]["@Node"]["xml"],
            json!({ "name": "Node", "attribute": true })
        );
        assert_eq!(converted.definitions.len(), 1);
    }
}
