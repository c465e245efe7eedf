//! A `map` step's shape held against its target profile when the snapshot
//! is built.
//!
//! A key the profile has no place for, a place the profile requires and
//! the shape never fills, or a constant leaf its place's type refuses,
//! fails every document that node is built for; so it is reported at the
//! key or the constant, with the names that would fit, instead of as a 500
//! at run time. What a template leaf gives is known only when it runs (the
//! writers check it then), so templates and whatever a profile leaves open
//! are not judged. Every check here is one the written document must pass;
//! a misfit reported is one the profile would refuse.
//!
//! How keys meet a profile is the writers' rule (`profile::xsd::write`,
//! `JsonTree`): for an XSD, the shape is a map holding the document
//! element, `@name` keys are attributes and `#text` the text beside them;
//! for a JSON Schema, keys are property names.

use serde_json::Value as Json;

use minijinja::Value;
use minijinja::value::ValueKind;

use super::values::node_to_value;
use crate::config::de::did_you_mean;
use crate::config::node::{Key, Node, NodeKind, Span};
use crate::profile::json::JsonProfile;
use crate::profile::json_tree::JsonTree;
use crate::profile::xsd::{
    BuiltIn, ComplexTypeRef, Content, ElementDecl, SimpleTypeRef, TypeRef, ValueConstraint,
    XmlProfile,
};
use crate::profile::{Profile, Schema};
use crate::template;

/// One way a shape cannot fit its profile.
#[derive(Debug)]
pub(super) struct Misfit {
    pub span: Span,
    pub message: String,
    pub hint: Option<String>,
}

/// Every misfit of `shape` (a `map` step's `value`) against `target`.
pub(super) fn misfits(target: &Profile, shape: &Node) -> Vec<Misfit> {
    let mut out = Vec::new();
    match target.schema() {
        Schema::Xml(xsd) => XmlFit {
            profile: xsd,
            name: target.name(),
            out: &mut out,
        }
        .document(shape),
        Schema::Json(json) => JsonFit {
            profile: json,
            name: target.name(),
            out: &mut out,
        }
        .node(json.schema(), shape.span, shape),
    }
    out
}

/// What a shape node builds, as far as it can be told before running.
enum Form<'n> {
    /// A template or a `$value`: known when it runs.
    Leaf,
    /// A map with these keys (`$if` may leave it out).
    Map(Vec<(&'n Key, &'n Node)>),
    /// A `$for` map: a list of maps with these keys.
    Each(Vec<(&'n Key, &'n Node)>),
    List(&'n [Node]),
}

/// The value a leaf always builds: a scalar that is no template, or the
/// `$value` of a map that is one (without `$for`, which builds a list of
/// it); with where it is written.
fn constant(node: &Node) -> Option<(Value, Span)> {
    match &node.kind {
        NodeKind::Str(text) if template::is_template(text) => None,
        NodeKind::Null
        | NodeKind::Bool(_)
        | NodeKind::Int(_)
        | NodeKind::Float(_)
        | NodeKind::Str(_) => Some((node_to_value(node), node.span)),
        NodeKind::Map(entries) if entries.iter().all(|(key, _)| key.name != "$for") => entries
            .iter()
            .find(|(key, _)| key.name == "$value")
            .and_then(|(_, value)| constant(value)),
        NodeKind::Map(_) => None,
        NodeKind::Seq(_) => None,
    }
}

/// Where text is wanted and the file's constant is a number or a boolean
/// (YAML and TOML type `01234`, `1.10` and `yes`-like words before flowgate
/// sees them): how to keep the text as written.
fn quote_hint(value: &Value, wants_text: bool) -> Option<String> {
    let typed = matches!(value.kind(), ValueKind::Number | ValueKind::Bool);
    (wants_text && typed).then(|| {
        "this is read as a number or a boolean, not as the text written: put it in quotes to keep it as text".to_owned()
    })
}

/// A constant as the file has it, for a message.
fn shown(value: &Value) -> String {
    match value.as_str() {
        Some(text) => format!("{text:?}"),
        None => value.to_string(),
    }
}

fn form(node: &Node) -> Form<'_> {
    match &node.kind {
        NodeKind::Seq(items) => Form::List(items),
        NodeKind::Map(entries) if entries.iter().any(|(key, _)| key.name == "$value") => Form::Leaf,
        NodeKind::Map(entries) => {
            let keys = entries
                .iter()
                .filter(|(key, _)| !key.name.starts_with('$'))
                .map(|(key, value)| (key, value))
                .collect();
            if entries.iter().any(|(key, _)| key.name == "$for") {
                Form::Each(keys)
            } else {
                Form::Map(keys)
            }
        }
        _ => Form::Leaf,
    }
}

/// The misfit of a map that never names what its profile requires.
fn lacking<S: AsRef<str>>(at: Span, what: &str, missing: &[S], profile: &str) -> Option<Misfit> {
    (!missing.is_empty()).then(|| Misfit {
        span: at,
        message: format!(
            "{what} lacks {}, which profile `{profile}` requires",
            crate::config::de::quoted_list(missing)
        ),
        hint: None,
    })
}

fn hint(name: Option<&str>, prefix: &str) -> Option<String> {
    name.map(|name| format!("did you mean `{prefix}{name}`?"))
}

struct XmlFit<'p, 'o> {
    profile: &'p XmlProfile,
    name: &'p str,
    out: &'o mut Vec<Misfit>,
}

impl XmlFit<'_, '_> {
    fn misfit(&mut self, span: Span, message: String, hint: Option<String>) {
        self.out.push(Misfit {
            span,
            message,
            hint,
        });
    }

    /// The shape's root: a map holding the document element.
    fn document(&mut self, shape: &Node) {
        let profile = self.profile;
        let root = profile.root();
        let entries = match form(shape) {
            Form::Leaf => return,
            Form::Map(entries) => entries,
            Form::Each(_) | Form::List(_) => {
                let message = format!(
                    "a `map` to the XML profile `{}` builds one document: a map holding `{}`, not a list",
                    self.name,
                    root.name()
                );
                self.misfit(shape.span, message, None);
                return;
            }
        };
        if entries.iter().any(|(key, _)| key.name == root.name()) {
            for (key, value) in entries {
                if key.name == root.name() {
                    self.element(root, key.span, value);
                } else {
                    let message = format!(
                        "the document element of profile `{}` is `{}`: there is no place for `{}` beside it",
                        self.name,
                        root.name(),
                        key.name
                    );
                    self.misfit(key.span, message, None);
                }
            }
            return;
        }
        // The keys of the document element, written without it?
        let message = format!(
            "a `map` to the XML profile `{}` is a map holding its document element `{}`",
            self.name,
            root.name()
        );
        let hint = match root.type_ref() {
            TypeRef::Complex(complex)
                if entries
                    .iter()
                    .any(|(key, _)| fits_in(profile, complex, &key.name)) =>
            {
                Some(format!("write these keys under `{}:`", root.name()))
            }
            _ => None,
        };
        self.misfit(shape.span, message, hint);
    }

    /// An element's value; `at` is where the element is named.
    fn element(&mut self, decl: &ElementDecl, at: Span, node: &Node) {
        let entries = match form(node) {
            Form::Leaf => {
                self.constant_element(decl, node);
                return;
            }
            Form::List(items) => {
                // For a list type, a list is its items (or occurrences of
                // one item each): each constant is held against the item type.
                if let TypeRef::Simple(simple) = decl.type_ref()
                    && let Some(item_type) = self.profile.simple_type(simple).item()
                {
                    let place = format!("an item of `{}`", decl.name());
                    for item in items {
                        self.constant(item_type, &place, item);
                    }
                    return;
                }
                for item in items {
                    self.element(decl, item.span, item);
                }
                return;
            }
            Form::Map(entries) | Form::Each(entries) => entries,
        };
        let complex = match decl.type_ref() {
            TypeRef::Complex(complex) => self.profile.complex_type(complex),
            TypeRef::Simple(_) => {
                let span = entries.first().map_or(at, |(key, _)| key.span);
                let message = format!(
                    "`{}` holds a single value in profile `{}`, not keys: give it a template or `$value`",
                    decl.name(),
                    self.name
                );
                self.misfit(span, message, None);
                return;
            }
        };
        let element = decl.name();
        let mut given: Vec<&str> = Vec::new();
        for (key, value) in entries {
            let name = key.name.as_str();
            if let Some(attribute) = name.strip_prefix('@') {
                if let Some(declared) = complex.attributes().iter().find(|a| a.name() == attribute)
                {
                    given.push(name);
                    let place = format!("the attribute `{attribute}` of `{element}`");
                    self.constant(declared.type_ref(), &place, value);
                    self.fixed(declared.constraint(), declared.type_ref(), &place, value);
                } else if complex.writes_undeclared_attributes() {
                    given.push(name);
                } else {
                    let names = complex.attributes().iter().map(|a| a.name());
                    let message = format!("`{element}` has no attribute `{attribute}`");
                    self.misfit(key.span, message, hint(did_you_mean(attribute, names), "@"));
                }
                continue;
            }
            if name == "#text" {
                match complex.content() {
                    Content::Simple(simple) => {
                        self.constant(*simple, &format!("the text of `{element}`"), value)
                    }
                    _ if complex.is_mixed() => {}
                    _ => {
                        let message = format!("`{element}` holds no text of its own (`#text`)");
                        self.misfit(key.span, message, None);
                    }
                }
                continue;
            }
            match complex.content() {
                Content::Elements(_) if complex.child_names().any(|c| c == name) => {
                    given.push(name);
                    if let Some(child) = complex.child(name) {
                        self.element(self.profile.element(child), key.span, value);
                    }
                }
                // An element an `xs:any` writes: checked when it is written.
                Content::Elements(_) if complex.writes_undeclared_elements() => {}
                content => {
                    let message = match content {
                        Content::Simple(_) => format!(
                            "`{element}` has no element `{name}`: it holds text (`#text`) and attributes"
                        ),
                        Content::Empty => {
                            format!("`{element}` has no element `{name}`: it holds attributes only")
                        }
                        Content::Elements(_) => format!("`{element}` has no element `{name}`"),
                    };
                    let hint = if complex.attributes().iter().any(|a| a.name() == name) {
                        Some(format!("`{name}` is an attribute: write it as `@{name}`"))
                    } else {
                        hint(did_you_mean(name, complex.child_names()), "")
                    };
                    self.misfit(key.span, message, hint);
                }
            }
        }
        let missing_attributes = complex
            .attributes()
            .iter()
            .filter(|a| a.is_required())
            .map(|a| format!("@{}", a.name()))
            .filter(|name| !given.contains(&name.as_str()));
        let missing: Vec<String> = missing_attributes
            .chain(
                complex
                    .required_children()
                    .into_iter()
                    .filter(|name| !given.contains(name))
                    .map(str::to_owned),
            )
            .collect();
        self.out
            .extend(lacking(at, &format!("`{element}`"), &missing, self.name));
    }

    /// A leaf of an element, if it is a constant, as the writer takes it:
    /// text of its simple type (or simple content), or an empty string for
    /// an element that holds other elements or nothing.
    fn constant_element(&mut self, decl: &ElementDecl, node: &Node) {
        let place = format!("`{}`", decl.name());
        let simple = match decl.type_ref() {
            TypeRef::Simple(simple) => Some(simple),
            TypeRef::Complex(complex) => match self.profile.complex_type(complex).content() {
                Content::Simple(simple) => Some(*simple),
                _ => None,
            },
        };
        if let Some(simple) = simple {
            // Empty, an element with a default or fixed value reads as it.
            if decl.constraint().is_some()
                && constant(node).is_some_and(|(v, _)| v.as_str() == Some(""))
            {
                return;
            }
            self.constant(simple, &place, node);
            self.fixed(decl.constraint(), simple, &place, node);
            return;
        }
        // An element that holds elements or nothing: keys, or nothing.
        let Some((value, span)) = constant(node) else {
            return;
        };
        if value.is_none() || value.as_str() == Some("") {
            return;
        }
        let message = format!(
            "{place} holds elements or attributes in profile `{}`: give it keys, not {}",
            self.name,
            shown(&value)
        );
        self.misfit(span, message, None);
    }

    /// A constant for an attribute or element with a `fixed` value must
    /// be that value (or, for an element, empty).
    fn fixed(
        &mut self,
        constraint: Option<&ValueConstraint>,
        simple: SimpleTypeRef,
        place: &str,
        node: &Node,
    ) {
        let Some((value, span)) = constant(node) else {
            return;
        };
        if let Ok(text) = self.profile.leaf_text(simple, &value)
            && let Some(problem) = self.profile.not_fixed(constraint, simple, &text)
        {
            let message = format!("{place} in profile `{}`: {problem}", self.name);
            self.misfit(span, message, None);
        }
    }

    /// A constant leaf against the simple type of its place.
    fn constant(&mut self, simple: SimpleTypeRef, place: &str, node: &Node) {
        let Some((value, span)) = constant(node) else {
            return;
        };
        // No value is an absent one: whether that may be is the required check's.
        if value.is_none() {
            return;
        }
        if let Err(problem) = self.profile.leaf_text(simple, &value) {
            let message = format!(
                "{place} in profile `{}` cannot be this constant: {problem}",
                self.name
            );
            let simple_type = self.profile.simple_type(simple);
            let wants_text = match simple_type.members() {
                [] => simple_type.builtin() == BuiltIn::String,
                members => members
                    .iter()
                    .all(|m| self.profile.simple_type(*m).builtin() == BuiltIn::String),
            };
            self.misfit(span, message, quote_hint(&value, wants_text));
        }
    }
}

/// Whether a JSON value is of a JSON Schema `type` (an integer is any
/// number without a fraction, `1.0` too); an unknown type name is taken
/// as met.
fn is_type(value: &Json, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.as_f64().is_some_and(|x| x.fract() == 0.0),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

/// JSON Schema equality: numbers by value (`1` is `1.0`).
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Whether `name` is an attribute key or a child of the complex type.
fn fits_in(profile: &XmlProfile, complex: ComplexTypeRef, name: &str) -> bool {
    let complex = profile.complex_type(complex);
    match name.strip_prefix('@') {
        Some(attribute) => {
            complex.writes_undeclared_attributes()
                || complex.attributes().iter().any(|a| a.name() == attribute)
        }
        None => {
            name == "#text"
                || complex.child_names().any(|c| c == name)
                || complex.writes_undeclared_elements()
        }
    }
}

struct JsonFit<'p, 'o> {
    profile: &'p JsonProfile,
    name: &'p str,
    out: &'o mut Vec<Misfit>,
}

impl<'p> JsonFit<'p, '_> {
    fn misfit(&mut self, span: Span, message: String, hint: Option<String>) {
        self.out.push(Misfit {
            span,
            message,
            hint,
        });
    }

    fn resolve(&self, schema: &'p Json) -> Option<&'p Json> {
        self.profile.resolve(schema)
    }

    /// A shape node against the schema of its place; `at` is where the
    /// place is named (its key, or the shape itself at the top).
    fn node(&mut self, schema: &'p Json, at: Span, node: &Node) {
        let Some(schema) = self.resolve(schema) else {
            return;
        };
        match form(node) {
            Form::Leaf => self.constant(schema, node),
            Form::List(items) => {
                if self.is_not(schema, "array", at, "a list") {
                    return;
                }
                if let Some(items_schema) = self.items(schema) {
                    for item in items {
                        match form(item) {
                            // A `$for` map in a list adds its items to the list.
                            Form::Each(entries) => self.object(items_schema, item.span, &entries),
                            _ => self.node(items_schema, item.span, item),
                        }
                    }
                }
            }
            Form::Each(entries) => {
                if self.is_not(schema, "array", at, "a list (`$for`)") {
                    return;
                }
                if let Some(items_schema) = self.items(schema) {
                    self.object(items_schema, at, &entries);
                }
            }
            Form::Map(entries) => self.object(schema, at, &entries),
        }
    }

    /// A constant leaf against its place's `type`, `enum` and `const`, then
    /// the keywords that judge a value by itself (bounds, lengths, `pattern`,
    /// `format`).
    fn constant(&mut self, schema: &Json, node: &Node) {
        let Some((value, span)) = constant(node) else {
            return;
        };
        // As the `map` step makes it.
        let Ok(json) = JsonTree::from_value(&value, "").map(|tree| tree.to_json()) else {
            return;
        };
        let types = match schema.get("type") {
            Some(Json::String(one)) => vec![one.as_str()],
            Some(Json::Array(many)) => many.iter().filter_map(Json::as_str).collect(),
            _ => Vec::new(),
        };
        let (wanted, hint) = if !types.is_empty() && !types.iter().any(|t| is_type(&json, t)) {
            let wanted = match &schema["type"] {
                Json::String(one) => format!("`{one}`"),
                many => many.to_string(),
            };
            (wanted, quote_hint(&value, types.contains(&"string")))
        } else if let Some(allowed) = schema.get("enum").and_then(Json::as_array)
            && !allowed.iter().any(|a| same(a, &json))
        {
            let close = json
                .as_str()
                .and_then(|text| did_you_mean(text, allowed.iter().filter_map(Json::as_str)));
            let wants_text = allowed.iter().any(Json::is_string);
            let hint = hint(close, "").or_else(|| quote_hint(&value, wants_text));
            (format!("one of {}", schema["enum"]), hint)
        } else if let Some(only) = schema.get("const")
            && !same(only, &json)
        {
            (only.to_string(), quote_hint(&value, only.is_string()))
        } else {
            if let Some(problem) = self.profile.refuses_scalar(schema, &json) {
                let message = format!("profile `{}` refuses this constant: {problem}", self.name);
                let wants_text = schema.get("type").is_some_and(|t| t == "string");
                self.misfit(span, message, quote_hint(&value, wants_text));
            }
            return;
        };
        let message = format!(
            "profile `{}` wants {wanted} here, and this is always {}",
            self.name, json
        );
        self.misfit(span, message, hint);
    }

    /// The schema every item of an array follows, when there is one.
    fn items(&self, schema: &'p Json) -> Option<&'p Json> {
        if schema.get("prefixItems").is_some() {
            return None;
        }
        // A list of schemas is draft-07's tuple form: items by position.
        schema.get("items").filter(|items| items.is_object())
    }

    /// Whether the schema's `type` rules out `kind`; reported if so.
    fn is_not(&mut self, schema: &Json, kind: &str, at: Span, builds: &str) -> bool {
        let wanted = match schema.get("type") {
            Some(Json::String(one)) if one != kind => format!("`{one}`"),
            Some(many @ Json::Array(types)) if !types.iter().any(|t| t == kind) => many.to_string(),
            _ => return false,
        };
        let message = format!(
            "profile `{}` wants {wanted} here, and this builds {builds}",
            self.name
        );
        self.misfit(at, message, None);
        true
    }

    /// A map's keys against an object schema.
    fn object(&mut self, schema: &'p Json, at: Span, entries: &[(&Key, &Node)]) {
        let Some(schema) = self.resolve(schema) else {
            return;
        };
        if self.is_not(schema, "object", at, "an object") {
            return;
        }
        let properties = schema.get("properties").and_then(Json::as_object);
        let additional = schema.get("additionalProperties");
        let closed =
            additional == Some(&Json::Bool(false)) && schema.get("patternProperties").is_none();
        for (key, value) in entries {
            let name = key.name.as_str();
            match properties.and_then(|p| p.get(name)) {
                Some(property) => self.node(property, key.span, value),
                None if closed => {
                    let names = properties
                        .into_iter()
                        .flat_map(|p| p.keys().map(String::as_str));
                    let message = format!("profile `{}` has no property `{name}` here", self.name);
                    self.misfit(key.span, message, hint(did_you_mean(name, names), ""));
                }
                None => {
                    if let Some(additional) = additional.filter(|a| a.is_object())
                        && schema.get("patternProperties").is_none()
                    {
                        self.node(additional, key.span, value);
                    }
                }
            }
        }
        let missing: Vec<&str> = schema
            .get("required")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .filter(|name| !entries.iter().any(|(key, _)| key.name == *name))
            .collect();
        self.out
            .extend(lacking(at, "this object", &missing, self.name));
    }
}

#[cfg(test)]
mod tests;
