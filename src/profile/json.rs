//! JSON profiles: JSON Schema (2020-12 or draft-07), compiled once per snapshot.
//!
//! Schemas are local: the validator is built without any retriever, so a
//! remote `$ref` is a compile error, never a fetch.

use std::sync::Arc;

use minijinja::value::{Value, ValueKind};

use super::json_diag::{BadRef, bad_refs, explain, pointer_span};
use super::json_tree::{JsonTree, Trees};
use super::{ReadError, Violation, describe};
use crate::config::node::Span;
use crate::diag::{Diagnostics, SourceFile};

/// How many metaschema violations of one file are reported.
const MAX_SCHEMA_ERRORS: usize = 20;

/// The `$schema` values flowgate accepts; absent means 2020-12.
const DRAFTS: [&str; 2] = ["2020-12", "draft-07"];

pub struct JsonProfile {
    schema: serde_json::Value,
    validator: jsonschema::Validator,
    /// The same schema for the trees `map` builds.
    tree_validator: jsonschema::Validator<Trees>,
    /// Local `$ref`s are JSON pointers into `schema`: no subschema has an
    /// `$id` of its own, which would move the base they resolve against.
    pointer_refs: bool,
    draft: jsonschema::Draft,
}

impl std::fmt::Debug for JsonProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonProfile").finish_non_exhaustive()
    }
}

impl JsonProfile {
    /// Compiles one `*.schema.json` file; problems become diagnostics in it.
    pub fn compile(source: &SourceFile, diagnostics: &mut Diagnostics) -> Option<Arc<JsonProfile>> {
        let schema: serde_json::Value = match serde_json::from_str(&source.text) {
            Ok(schema) => schema,
            Err(err) => {
                let offset = offset_of(&source.text, err.line(), err.column());
                let message = err.to_string();
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or(&message)
                    .to_owned();
                diagnostics.push(
                    source.error(Span::point(offset), format!("JSON syntax error: {message}")),
                );
                return None;
            }
        };
        let draft = match schema.get("$schema").and_then(|s| s.as_str()) {
            None => jsonschema::Draft::Draft202012,
            Some(uri) if uri.contains(DRAFTS[0]) => jsonschema::Draft::Draft202012,
            Some(uri) if uri.contains(DRAFTS[1]) => jsonschema::Draft::Draft7,
            Some(uri) => {
                let span = span_of_text(&source.text, uri);
                diagnostics.push(
                    source
                        .error(
                            span,
                            format!("`{uri}` is not a supported JSON Schema version"),
                        )
                        .with_hint("use JSON Schema 2020-12 or draft-07"),
                );
                return None;
            }
        };
        let meta = match draft {
            jsonschema::Draft::Draft7 => jsonschema::draft7::meta::validator(),
            _ => jsonschema::draft202012::meta::validator(),
        };
        let mut broken = false;
        for err in meta.iter_errors(&schema).take(MAX_SCHEMA_ERRORS) {
            broken = true;
            let message = explain(err.kind(), err.instance(), err.to_string());
            diagnostics.push(schema_error(source, err.instance_path().as_str(), &message));
        }
        for BadRef { at, message, hint } in bad_refs(&schema) {
            broken = true;
            let span = pointer_span(&source.text, &at).unwrap_or_default();
            diagnostics.push(source.error(span, message).with_hint_opt(hint));
        }
        if broken {
            return None;
        }
        // jsonschema checks `format` by default only for draft-07 and
        // older (2019-09 made it an annotation); a profile means what it
        // says in either draft, so a `"format": "date"` is checked in both.
        let built = jsonschema::options()
            .with_draft(draft)
            .should_validate_formats(true)
            .build(&schema)
            .and_then(|validator| {
                let tree_validator = jsonschema::options_for::<Trees>()
                    .with_draft(draft)
                    .should_validate_formats(true)
                    .build(&schema)?;
                Ok((validator, tree_validator))
            });
        match built {
            Ok((validator, tree_validator)) => Some(Arc::new(JsonProfile {
                pointer_refs: !has_nested_id(&schema, true),
                draft,
                schema,
                validator,
                tree_validator,
            })),
            Err(err) => {
                // What the metaschema lets through but the validator cannot
                // compile, such as a `pattern` that is no regular expression.
                let message = explain(err.kind(), err.instance(), err.to_string());
                diagnostics.push(schema_error(source, err.instance_path().as_str(), &message));
                None
            }
        }
    }

    pub fn schema(&self) -> &serde_json::Value {
        &self.schema
    }

    /// The object schema `schema` (a part of this profile's) stands for:
    /// itself, or what its `$ref` names when that is a JSON pointer here.
    /// `None` for a boolean schema and a reference not followed (an
    /// anchor, another document, a cycle), so that what follows from it is
    /// not judged.
    pub fn resolve<'s>(
        &'s self,
        mut schema: &'s serde_json::Value,
    ) -> Option<&'s serde_json::Value> {
        /// Hops followed before giving up on a cycle of references.
        const MAX_HOPS: usize = 32;
        for _ in 0..MAX_HOPS {
            let Some(reference) = schema.get("$ref") else {
                return schema.is_object().then_some(schema);
            };
            if !self.pointer_refs {
                return None;
            }
            let pointer = reference.as_str()?.strip_prefix('#')?;
            if pointer.contains('%') {
                return None;
            }
            schema = if pointer.is_empty() {
                &self.schema
            } else {
                self.schema.pointer(pointer)?
            };
        }
        None
    }

    /// Why the keywords of `place` (a part of this schema) that judge a
    /// value by itself — bounds, lengths, `pattern`, `format` — refuse
    /// `value`, as jsonschema says it; `None` when they take it or there
    /// are none. What a place says through other keywords (`allOf`, …) is
    /// not judged here.
    pub fn refuses_scalar(
        &self,
        place: &serde_json::Value,
        value: &serde_json::Value,
    ) -> Option<String> {
        const KEYWORDS: [&str; 9] = [
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
            "minLength",
            "maxLength",
            "pattern",
            "format",
        ];
        let keywords: serde_json::Map<String, serde_json::Value> = KEYWORDS
            .iter()
            .filter_map(|&keyword| Some((keyword.to_owned(), place.get(keyword)?.clone())))
            .collect();
        if keywords.is_empty() {
            return None;
        }
        // As the profile's own validator is built (they compiled there).
        let validator = jsonschema::options()
            .with_draft(self.draft)
            .should_validate_formats(true)
            .build(&serde_json::Value::Object(keywords))
            .ok()?;
        let error = validator.iter_errors(value).next()?;
        Some(explain(error.kind(), error.instance(), error.to_string()))
    }

    /// Every violation of `instance`, with its JSON pointer (at most 100).
    pub fn check(&self, instance: &serde_json::Value) -> Result<(), Vec<Violation>> {
        // Most instances are valid, and the yes-or-no check builds no errors.
        if self.validator.is_valid(instance) {
            return Ok(());
        }
        let violations: Vec<Violation> = self
            .validator
            .iter_errors(instance)
            .take(100)
            .map(|err| Violation {
                path: err.instance_path().to_string(),
                message: shortened(err.to_string()),
            })
            .collect();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(violations)
        }
    }

    /// Parses and validates a body into its template value.
    pub fn read(&self, body: &[u8], max_depth: usize) -> Result<Value, ReadError> {
        let instance = parse(body, max_depth)
            .map_err(|violations| ReadError::Malformed(describe(&violations)))?;
        self.check(&instance).map_err(ReadError::Invalid)?;
        Ok(to_value(&instance))
    }

    /// The JSON text of a template value, validated.
    pub fn write(&self, value: &Value) -> Result<String, Vec<Violation>> {
        self.write_json(&from_value(value, "")?)
    }

    /// The text of a tree a `map` built, validated. A tree that does not
    /// fit is checked again as a `serde_json::Value`, so its violations are
    /// those [`JsonProfile::check`] reports for any document.
    pub fn write_tree(&self, tree: &JsonTree) -> Result<String, Vec<Violation>> {
        if !self.tree_validator.is_valid(tree) {
            self.check(&tree.to_json())?;
        }
        let mut text = String::with_capacity(256);
        tree.write(&mut text);
        Ok(text)
    }

    /// The text of a JSON value, validated.
    pub fn write_json(&self, instance: &serde_json::Value) -> Result<String, Vec<Violation>> {
        self.check(instance)?;
        json_text(instance)
    }
}

impl JsonProfile {
    /// The schema as a subschema of a larger document, at the JSON pointer
    /// `at` (`/components/schemas/order-ack` in OpenAPI): local `$ref`s are
    /// rewritten to point there, `$schema` and the root `$id` go (the
    /// larger document decides both), and draft-07 keywords become their
    /// 2020-12 forms, so that the copy means what the file means. `at` must
    /// need no escaping (component names do not).
    pub fn embedded(&self, at: &str) -> serde_json::Value {
        let draft_07 = self
            .schema
            .get("$schema")
            .and_then(|s| s.as_str())
            .is_some_and(|uri| uri.contains(DRAFTS[1]));
        let mut schema = self.schema.clone();
        if let serde_json::Value::Object(map) = &mut schema {
            map.remove("$schema");
            if map
                .get("$id")
                .and_then(|id| id.as_str())
                .is_some_and(|id| !id.starts_with('#'))
            {
                map.remove("$id");
            }
        }
        embed(&mut schema, at, draft_07);
        schema
    }
}

/// Keywords whose value is a map of schemas.
pub(super) const SCHEMA_MAPS: [&str; 6] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "dependencies",
];
/// Keywords whose value is a list of schemas (`items` too, in draft-07).
pub(super) const SCHEMA_LISTS: [&str; 5] = ["allOf", "anyOf", "oneOf", "prefixItems", "items"];
/// Keywords whose value is one schema.
pub(super) const SCHEMA_ONE: [&str; 12] = [
    "items",
    "additionalItems",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
];
/// What a draft-07 `$ref` keeps of its siblings: draft-07 ignores the
/// others, 2020-12 would apply them.
const BESIDE_REF: [&str; 5] = ["$ref", "title", "description", "definitions", "$comment"];

/// The schema moved to `at`: draft-07 keywords upgraded, local references
/// rewritten to point there, and references to anchors (`#line`) turned
/// into pointers to what the anchor names, its `$anchor` dropped: anchors
/// are names for one document, and two profiles in one larger document
/// could share one.
fn embed(schema: &mut serde_json::Value, at: &str, draft_07: bool) {
    let mut anchors = std::collections::HashMap::new();
    each_schema(schema, &mut String::new(), &mut |map, pointer| {
        if draft_07 {
            upgrade_draft_07(map);
        }
        if let Some(serde_json::Value::String(reference)) = map.get_mut("$ref")
            && (reference == "#" || reference.starts_with("#/"))
        {
            *reference = format!("#{at}{}", &reference[1..]);
        }
        if let Some(serde_json::Value::String(anchor)) = map.remove("$anchor") {
            anchors.insert(anchor, pointer.to_owned());
        }
    });
    each_schema(schema, &mut String::new(), &mut |map, _| {
        if let Some(serde_json::Value::String(reference)) = map.get_mut("$ref")
            && let Some(pointer) = reference.strip_prefix('#').and_then(|a| anchors.get(a))
        {
            *reference = format!("#{at}{pointer}");
        }
    });
}

/// Calls `f` on `schema` and on every schema below it, parents first, keyword
/// by keyword (so that values in `enum`, `const` or `examples` are never
/// taken for schemas), with each one's JSON pointer below `schema`. A nested
/// resource (its own `$id`) is left as it is: its references are relative
/// to it.
fn each_schema(
    schema: &mut serde_json::Value,
    pointer: &mut String,
    f: &mut impl FnMut(&mut serde_json::Map<String, serde_json::Value>, &str),
) {
    let serde_json::Value::Object(map) = schema else {
        return;
    };
    f(map, pointer);
    let nested_resource = |v: &serde_json::Value| {
        v.get("$id")
            .and_then(|id| id.as_str())
            .is_some_and(|id| !id.starts_with('#'))
    };
    let mut visit = |child: &mut serde_json::Value, pointer: &mut String, steps: &[&str]| {
        if nested_resource(child) {
            return;
        }
        let len = pointer.len();
        for step in steps {
            pointer.push('/');
            pointer.push_str(&step.replace('~', "~0").replace('/', "~1"));
        }
        each_schema(child, pointer, f);
        pointer.truncate(len);
    };
    for (keyword, value) in map.iter_mut() {
        let keyword = keyword.as_str();
        match value {
            serde_json::Value::Object(children) if SCHEMA_MAPS.contains(&keyword) => {
                for (name, child) in children.iter_mut() {
                    visit(child, pointer, &[keyword, name]);
                }
            }
            serde_json::Value::Array(children) if SCHEMA_LISTS.contains(&keyword) => {
                for (index, child) in children.iter_mut().enumerate() {
                    visit(child, pointer, &[keyword, &index.to_string()]);
                }
            }
            serde_json::Value::Object(_) if SCHEMA_ONE.contains(&keyword) => {
                visit(value, pointer, &[keyword]);
            }
            _ => {}
        }
    }
}

/// The draft-07 keywords 2020-12 spells differently, in one schema object.
fn upgrade_draft_07(map: &mut serde_json::Map<String, serde_json::Value>) {
    if map.contains_key("$ref") {
        map.retain(|keyword, _| BESIDE_REF.contains(&keyword.as_str()));
        return;
    }
    if let Some(serde_json::Value::String(id)) = map.get("$id")
        && let Some(anchor) = id.strip_prefix('#')
    {
        let anchor = anchor.to_owned();
        map.remove("$id");
        map.insert("$anchor".to_owned(), serde_json::Value::String(anchor));
    }
    if matches!(map.get("items"), Some(serde_json::Value::Array(_))) {
        if let Some(tuple) = map.remove("items") {
            map.insert("prefixItems".to_owned(), tuple);
        }
        if let Some(rest) = map.remove("additionalItems") {
            map.insert("items".to_owned(), rest);
        }
    } else {
        // Without a tuple, draft-07 ignores `additionalItems`.
        map.remove("additionalItems");
    }
    if let Some(serde_json::Value::Object(dependencies)) = map.remove("dependencies") {
        let (required, schemas): (Vec<_>, Vec<_>) =
            dependencies.into_iter().partition(|(_, v)| v.is_array());
        if !required.is_empty() {
            map.insert(
                "dependentRequired".to_owned(),
                serde_json::Value::Object(required.into_iter().collect()),
            );
        }
        if !schemas.is_empty() {
            map.insert(
                "dependentSchemas".to_owned(),
                serde_json::Value::Object(schemas.into_iter().collect()),
            );
        }
    }
}

/// A violation's message with the value it quotes cut short: jsonschema
/// writes the whole instance (`[…a megabyte…] is not of type "object"`),
/// and the answer would repeat the body. The start of the value and the
/// end of the message, which says what is wrong, are kept.
fn shortened(message: String) -> String {
    const KEEP: usize = 120;
    let chars = message.chars().count();
    if chars <= 3 * KEEP {
        return message;
    }
    let head: String = message.chars().take(KEEP).collect();
    let tail: String = message.chars().skip(chars - KEEP).collect();
    format!("{head}…{tail}")
}

/// A JSON body into `serde_json`'s value, under the depth limit.
pub fn parse(body: &[u8], max_depth: usize) -> Result<serde_json::Value, Vec<Violation>> {
    crate::doc::json::check(body, max_depth).map_err(|e| {
        vec![Violation {
            path: String::new(),
            message: e.to_string(),
        }]
    })?;
    serde_json::from_slice(body).map_err(|e| {
        vec![Violation {
            path: String::new(),
            message: e.to_string(),
        }]
    })
}

/// A JSON value as templates see it.
pub fn to_value(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::from(()),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::from(i),
            (None, Some(u)) => Value::from(u),
            _ => Value::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(items) => {
            Value::from(items.iter().map(to_value).collect::<Vec<_>>())
        }
        serde_json::Value::Object(entries) => Value::from_pairs(
            entries
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), to_value(v))),
        ),
    }
}

/// A template value as JSON; `path` names where, for errors.
pub fn from_value(value: &Value, path: &str) -> Result<serde_json::Value, Vec<Violation>> {
    let fail = |message: String| {
        vec![Violation {
            path: path.to_owned(),
            message,
        }]
    };
    Ok(match value.kind() {
        ValueKind::None => serde_json::Value::Null,
        ValueKind::Undefined => return Err(fail("the value is undefined".to_owned())),
        ValueKind::Bool => serde_json::Value::Bool(value.is_true()),
        ValueKind::Number => match value.as_i64() {
            Some(i) => serde_json::Value::from(i),
            None if value.is_integer() => match u64::try_from(value.clone()) {
                Ok(u) => serde_json::Value::from(u),
                Err(_) => {
                    let text = crate::doc::json::wide_integer(value).unwrap_or_default();
                    return Err(fail(format!(
                        "{text} is too large for a JSON number: integers go from {} to {}",
                        i64::MIN,
                        u64::MAX
                    )));
                }
            },
            None => {
                let f = f64::try_from(value.clone()).unwrap_or(f64::NAN);
                match serde_json::Number::from_f64(f) {
                    Some(n) => serde_json::Value::Number(n),
                    None => return Err(fail(format!("{f} is not a JSON number"))),
                }
            }
        },
        ValueKind::String => {
            serde_json::Value::String(value.as_str().unwrap_or_default().to_owned())
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let mut items = Vec::new();
            let mut errors = Vec::new();
            for (index, item) in value
                .try_iter()
                .map_err(|e| fail(e.to_string()))?
                .enumerate()
            {
                match from_value(&item, &format!("{path}/{index}")) {
                    Ok(item) => items.push(item),
                    Err(mut e) => errors.append(&mut e),
                }
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            serde_json::Value::Array(items)
        }
        ValueKind::Map => {
            let mut entries = serde_json::Map::new();
            let mut errors = Vec::new();
            for key in value.try_iter().map_err(|e| fail(e.to_string()))? {
                let name = key.to_string();
                let item = value.get_item(&key).unwrap_or_default();
                match from_value(
                    &item,
                    &format!("{path}/{}", name.replace('~', "~0").replace('/', "~1")),
                ) {
                    Ok(item) => {
                        entries.insert(name, item);
                    }
                    Err(mut e) => errors.append(&mut e),
                }
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            serde_json::Value::Object(entries)
        }
        ValueKind::Invalid => return Err(fail(value.to_string())),
        _ => serde_json::Value::String(value.to_string()),
    })
}

/// The JSON text of a document that passed its schema.
/// Whether a schema below the root has an `$id` that moves the base URI.
fn has_nested_id(schema: &serde_json::Value, root: bool) -> bool {
    use serde_json::Value as Json;
    match schema {
        Json::Object(map) => {
            (!root
                && map
                    .get("$id")
                    .and_then(Json::as_str)
                    .is_some_and(|id| !id.starts_with('#')))
                || map.iter().any(|(key, value)| {
                    // `enum`, `const`, `examples` and `default` hold data, not schemas.
                    !matches!(key.as_str(), "enum" | "const" | "examples" | "default")
                        && has_nested_id(value, false)
                })
        }
        Json::Array(items) => items.iter().any(|item| has_nested_id(item, false)),
        _ => false,
    }
}

fn json_text(document: &impl serde::Serialize) -> Result<String, Vec<Violation>> {
    serde_json::to_string(document).map_err(|e| {
        vec![Violation {
            path: String::new(),
            message: e.to_string(),
        }]
    })
}

/// A schema keyword the metaschema rejects, at its value in the file.
fn schema_error(source: &SourceFile, pointer: &str, message: &str) -> crate::diag::Diagnostic {
    let span = pointer_span(&source.text, pointer).unwrap_or_default();
    if pointer.is_empty() {
        source.error(span, format!("invalid JSON Schema: {message}"))
    } else {
        source.error(
            span,
            format!("invalid JSON Schema at `{pointer}`: {message}"),
        )
    }
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}

fn span_of_text(text: &str, needle: &str) -> Span {
    match text.find(needle) {
        Some(at) => Span::new(at, at + needle.len()),
        None => Span::point(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(text: &str) -> (Option<Arc<JsonProfile>>, Diagnostics) {
        let source = SourceFile::new("profiles/x.schema.json", text.to_owned());
        let mut diagnostics = Diagnostics::default();
        (JsonProfile::compile(&source, &mut diagnostics), diagnostics)
    }

    const ORDER: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["id", "lines"],
  "properties": {
    "id": {"type": "string"},
    "lines": {"type": "array", "items": {
      "type": "object", "required": ["qty"],
      "properties": {"qty": {"type": "integer", "minimum": 1}}
    }}
  }
}"#;

    #[test]
    fn a_violation_quotes_a_long_value_cut_short() {
        let (profile, _) = compile(ORDER);
        let body = format!("[{}0]", "0,".repeat(50_000));
        let instance: serde_json::Value = serde_json::from_str(&body).unwrap();
        let violations = profile.unwrap().check(&instance).unwrap_err();
        assert_eq!(violations.len(), 1);
        let message = &violations[0].message;
        assert!(message.len() < 400, "{} bytes", message.len());
        assert!(
            message.starts_with("[0,0") && message.ends_with("is not of type \"object\""),
            "{message}"
        );
    }

    #[test]
    fn validates_with_every_violation_and_its_path() {
        let (profile, diagnostics) = compile(ORDER);
        assert!(diagnostics.is_empty());
        let profile = profile.unwrap();
        let value = profile
            .read(br#"{"id": "A", "lines": [{"qty": 2}]}"#, 64)
            .unwrap();
        assert_eq!(value.get_attr("lines").unwrap().len(), Some(1));
        let error = profile
            .read(br#"{"lines": [{"qty": 0}, {"qty": "x"}]}"#, 64)
            .unwrap_err();
        let ReadError::Invalid(errors) = error else {
            panic!("well-formed, so invalid: {error:?}")
        };
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&""), "{errors:?}");
        assert!(paths.contains(&"/lines/0/qty"), "{errors:?}");
        assert!(paths.contains(&"/lines/1/qty"), "{errors:?}");
        // A missing property is at the root too, with an empty path, like a
        // syntax error: the error's kind tells them apart, not the path.
        let missing = profile.read(br#"{"lines": []}"#, 64).unwrap_err();
        assert!(
            matches!(&missing, ReadError::Invalid(v) if v.len() == 1),
            "{missing:?}"
        );
        for text in [&br#"{"id": }"#[..], b"[[[[1]]]]", b"\xff"] {
            let error = profile.read(text, 3).unwrap_err();
            assert!(matches!(error, ReadError::Malformed(_)), "{error:?}");
        }
    }

    #[test]
    fn formats_are_checked_in_every_draft() {
        for draft in [
            "https://json-schema.org/draft/2020-12/schema",
            "http://json-schema.org/draft-07/schema#",
        ] {
            let (profile, diagnostics) = compile(&format!(
                r#"{{"$schema": "{draft}", "type": "object", "properties": {{
                    "email": {{"format": "email"}}, "when": {{"format": "date-time"}},
                    "day": {{"format": "date"}}, "link": {{"format": "uri"}}}}}}"#
            ));
            assert!(diagnostics.is_empty(), "{draft}");
            let profile = profile.unwrap();
            let good = serde_json::json!({"email": "a@example.org",
                "when": "2020-01-01T10:00:00Z", "day": "2020-01-01", "link": "https://example.org/x"});
            assert_eq!(profile.check(&good), Ok(()), "{draft}");
            assert!(profile.write_tree(&JsonTree::from(good)).is_ok(), "{draft}");
            for (key, bad) in [
                ("email", "nope"),
                ("when", "nope"),
                ("day", "yesterday"),
                ("link", "not a uri"),
            ] {
                let instance = serde_json::json!({ key: bad });
                let errors = profile.check(&instance).unwrap_err();
                assert_eq!(errors.len(), 1, "{draft} {key}");
                assert_eq!(errors[0].path, format!("/{key}"), "{draft}");
                let tree = profile.write_tree(&JsonTree::from(instance)).unwrap_err();
                assert_eq!(tree, errors, "{draft} {key}");
            }
        }
    }

    #[test]
    fn writes_values_and_validates_them() {
        let (profile, _) = compile(ORDER);
        let profile = profile.unwrap();
        let value = Value::from_pairs([
            ("id", Value::from("A")),
            (
                "lines",
                Value::from(vec![Value::from_pairs([("qty", Value::from(3))])]),
            ),
        ]);
        assert_eq!(
            profile.write(&value).unwrap(),
            r#"{"id":"A","lines":[{"qty":3}]}"#
        );
        let bad = Value::from_pairs([("id", Value::from(7))]);
        assert!(profile.write(&bad).is_err());
    }

    #[test]
    fn draft_07_and_unsupported_versions() {
        let (profile, _) =
            compile(r#"{"$schema": "http://json-schema.org/draft-07/schema#", "type": "integer"}"#);
        assert!(profile.unwrap().read(b"3", 64).is_ok());
        let (profile, diagnostics) =
            compile(r#"{"$schema": "http://json-schema.org/draft-04/schema#"}"#);
        assert!(profile.is_none());
        assert!(
            diagnostics
                .iter()
                .next()
                .unwrap()
                .message
                .contains("not a supported")
        );
    }

    #[test]
    fn a_remote_dynamic_ref_is_placed_at_its_value() {
        let (profile, diagnostics) =
            compile("{\n  \"$dynamicRef\": \"https://example.com/meta.json#meta\"\n}");
        assert!(profile.is_none());
        let first = diagnostics.iter().next().unwrap();
        assert!(first.message.contains("`$dynamicRef`"), "{}", first.message);
        assert!(first.message.contains("is not local"), "{}", first.message);
        let at = first.location.as_ref().map(|l| (l.line, l.column));
        assert_eq!(at, Some((2, 18)));
    }

    #[test]
    fn remote_references_are_never_fetched() {
        let (profile, diagnostics) = compile(r#"{"$ref": "https://example.com/schema.json"}"#);
        assert!(profile.is_none());
        assert!(diagnostics.has_errors());
    }

    #[test]
    fn embedded_copies_point_into_their_new_place() {
        let (profile, _) = compile(
            r##"{
  "$id": "https://example.com/a.json",
  "$defs": { "n": { "type": "integer" } },
  "properties": {
    "a": { "$ref": "#/$defs/n" },
    "b": { "enum": [{ "$ref": "#/data" }] },
    "c": { "$id": "https://example.com/c.json", "$defs": { "m": {} }, "$ref": "#/$defs/m" },
    "d": { "$ref": "#" },
    "e": { "items": { "$ref": "#/$defs/n" } }
  }
}"##,
        );
        let embedded = profile.unwrap().embedded("/components/schemas/a");
        assert_eq!(
            embedded,
            serde_json::json!({
                "$defs": { "n": { "type": "integer" } },
                "properties": {
                    "a": { "$ref": "#/components/schemas/a/$defs/n" },
                    "b": { "enum": [{ "$ref": "#/data" }] },
                    "c": { "$id": "https://example.com/c.json", "$defs": { "m": {} }, "$ref": "#/$defs/m" },
                    "d": { "$ref": "#/components/schemas/a" },
                    "e": { "items": { "$ref": "#/components/schemas/a/$defs/n" } }
                }
            })
        );
    }

    #[test]
    fn references_to_anchors_become_pointers_in_the_new_place() {
        let (profile, _) = compile(
            r##"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$defs": { "q": { "$anchor": "qty", "type": "integer", "minimum": 1 } },
  "properties": {
    "n": { "$ref": "#qty" },
    "lines": { "type": "array", "prefixItems": [{ "$anchor": "first" }], "items": { "$ref": "#first" } },
    "a/b~c": { "$anchor": "odd" },
    "o": { "$ref": "#odd" },
    "c": { "$id": "https://example.com/c.json", "$defs": { "m": { "$anchor": "qty" } }, "$ref": "#qty" }
  }
}"##,
        );
        let embedded = profile.unwrap().embedded("/components/schemas/a");
        assert_eq!(
            embedded,
            serde_json::json!({
                "$defs": { "q": { "type": "integer", "minimum": 1 } },
                "properties": {
                    "n": { "$ref": "#/components/schemas/a/$defs/q" },
                    "lines": { "type": "array", "prefixItems": [{}], "items": { "$ref": "#/components/schemas/a/properties/lines/prefixItems/0" } },
                    "a/b~c": {},
                    "o": { "$ref": "#/components/schemas/a/properties/a~1b~0c" },
                    // A nested resource keeps its own anchors.
                    "c": { "$id": "https://example.com/c.json", "$defs": { "m": { "$anchor": "qty" } }, "$ref": "#qty" }
                }
            })
        );
        // Draft-07 names anchors with `$id`.
        let (profile, _) = compile(
            r##"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "definitions": { "p": { "$id": "#pos", "type": "integer", "minimum": 0 } },
  "properties": { "n": { "$ref": "#pos" } }
}"##,
        );
        let embedded = profile.unwrap().embedded("/x");
        assert_eq!(embedded["properties"]["n"]["$ref"], "#/x/definitions/p");
        assert_eq!(embedded["definitions"]["p"].get("$anchor"), None);
    }

    #[test]
    fn embedded_draft_07_speaks_2020_12() {
        let (profile, _) = compile(
            r##"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$ref": "#/definitions/t",
  "definitions": {
    "t": { "$id": "#thing", "type": "array", "items": [{ "type": "string" }], "additionalItems": { "$ref": "#/definitions/u" } },
    "u": { "$ref": "#/definitions/t", "minimum": 3, "description": "kept" },
    "v": { "dependencies": { "a": ["b"], "c": { "required": ["d"] } }, "additionalItems": false }
  }
}"##,
        );
        let embedded = profile.unwrap().embedded("/x");
        assert_eq!(
            embedded,
            serde_json::json!({
                "$ref": "#/x/definitions/t",
                "definitions": {
                    "t": { "type": "array", "prefixItems": [{ "type": "string" }], "items": { "$ref": "#/x/definitions/u" } },
                    "u": { "$ref": "#/x/definitions/t", "description": "kept" },
                    "v": { "dependentRequired": { "a": ["b"] }, "dependentSchemas": { "c": { "required": ["d"] } } }
                }
            })
        );
    }

    #[test]
    fn syntax_errors_point_into_the_file() {
        let (_, diagnostics) = compile("{\n  \"type\": ,\n}");
        let d = diagnostics.iter().next().unwrap();
        let loc = d.location.as_ref().unwrap();
        assert_eq!((loc.line, loc.column), (2, 11));
    }

    /// Where a bad schema is wrong, by the path in the file, in words about
    /// the value written there rather than the metaschema's own paths.
    #[test]
    fn schema_errors_point_at_the_value_and_say_what_is_wrong() {
        let at = |text: &str| {
            let (profile, diagnostics) = compile(text);
            assert!(profile.is_none(), "{text}");
            diagnostics
                .iter()
                .map(|d| {
                    let loc = d.location.as_ref().unwrap();
                    (d.message.clone(), loc.line, loc.column)
                })
                .collect::<Vec<_>>()
        };
        let found = at(
            "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"a\": { \"type\": \"strin\" }\n  }\n}",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let (message, line, column) = &found[0];
        assert_eq!((*line, *column), (4, 20), "{message}");
        assert!(message.contains("`/properties/a/type`"), "{message}");
        assert!(
            message.contains("\"strin\" is not a JSON type"),
            "{message}"
        );
        assert!(!message.contains("anyOf"), "{message}");

        let found = at("{\n  \"required\": \"a\"\n}");
        assert_eq!(
            found,
            [(
                "invalid JSON Schema at `/required`: \"a\" should be an array, not a string"
                    .to_owned(),
                2,
                15
            )]
        );
        let found = at("{\"pattern\": \"(\"}");
        assert_eq!((found[0].1, found[0].2), (1, 13), "{found:?}");
        assert!(found[0].0.contains("not a regular expression"), "{found:?}");

        let found = at(
            "{\n  \"properties\": {\n    \"a\": { \"$ref\": \"#/$defs/nope\" },\n    \"b\": { \"$ref\": \"other.json#/x\" }\n  }\n}",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].1, found[0].2), (3, 20), "{found:?}");
        assert!(found[0].0.contains("points at nothing"), "{found:?}");
        assert_eq!((found[1].1, found[1].2), (4, 20), "{found:?}");
        assert!(found[1].0.contains("is not local"), "{found:?}");
    }

    #[test]
    fn a_reference_to_the_absolute_id_of_a_nested_schema_is_local() {
        let (profile, diagnostics) = compile(
            r#"{"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "http://ex.com/root.json",
                "$defs": {"it": {"$id": "item.json", "type": "integer"}},
                "properties": {"y": {"$ref": "http://ex.com/item.json"}}}"#,
        );
        let profile = profile.unwrap_or_else(|| panic!("{}", diagnostics.render()));
        assert!(profile.check(&serde_json::json!({"y": 1})).is_ok());
        assert!(profile.check(&serde_json::json!({"y": "one"})).is_err());
    }

    /// Schemas that together use the keywords a tree is asked about in
    /// its own way: types, scalars compared by `enum` and `const`, member
    /// lookups and passes, items, lengths and property names.
    const TREE_SCHEMAS: [&str; 6] = [
        r#"{"type": "object", "required": ["a"], "additionalProperties": false,
            "properties": {"a": {"type": "integer", "minimum": 0}, "b": {"type": "string", "maxLength": 3},
                           "c": {"type": ["array", "null"], "items": {"type": "number"}, "minItems": 1}}}"#,
        r#"{"enum": ["x", 1, 2.5, true, null, [1], {"a": 1}]}"#,
        r#"{"type": "array", "uniqueItems": true, "items": {"const": 1}}"#,
        r#"{"type": "object", "propertyNames": {"pattern": "^[ab]$"}, "minProperties": 1,
            "patternProperties": {"^a$": {"type": "boolean"}}}"#,
        r##"{"$defs": {"n": {"oneOf": [{"type": "integer"}, {"type": "string", "minLength": 2}]}},
            "anyOf": [{"$ref": "#/$defs/n"}, {"type": "array", "items": {"$ref": "#/$defs/n"}}]}"##,
        r#"{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
            "dependencies": {"a": ["b"]}, "additionalProperties": {"type": ["string", "integer"]}}"#,
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// A tree `map` builds is judged and written as the same document
        /// as a `serde_json::Value` would be.
        #[test]
        fn trees_are_validated_and_written_as_their_json(document in tree_documents()) {
            let tree = JsonTree::from(document.clone());
            proptest::prop_assert_eq!(tree.to_json(), document.clone());
            for text in TREE_SCHEMAS {
                let (profile, diagnostics) = compile(text);
                let profile = profile.unwrap_or_else(|| panic!("{}", diagnostics.render()));
                proptest::prop_assert_eq!(
                    profile.tree_validator.is_valid(&tree),
                    profile.validator.is_valid(&document),
                    "{} against {}", document, text
                );
                proptest::prop_assert_eq!(profile.write_tree(&tree), profile.write_json(&document));
            }
        }
    }

    fn tree_documents() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            (-2i64..3).prop_map(serde_json::Value::from),
            Just(serde_json::Value::from(2.5)),
            Just(serde_json::Value::from(1.0)),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<f64>()
                .prop_filter("JSON numbers are finite", |f| f.is_finite())
                .prop_map(serde_json::Value::from),
            "[abx\"\\\\é\u{0}\u{8}\u{c}\u{1f}\n\r\t\u{7f}\u{2028}/😀]{0,4}"
                .prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("[abc]", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn template_strings_are_shared_and_other_values_converted_as_before() {
        let text = Value::from("a string too long to be stored inline, so it is shared");
        let tree = JsonTree::from_value(&text, "").unwrap();
        assert!(matches!(&tree, JsonTree::String(s) if s.as_str() == text.as_str()));
        let map = to_value(&serde_json::json!({"n": [1, 2.5, null], "s": "x"}));
        assert_eq!(
            JsonTree::from_value(&map, "").unwrap().to_json(),
            from_value(&map, "").unwrap()
        );
        assert_eq!(
            JsonTree::from_value(&Value::UNDEFINED, "/x").unwrap_err(),
            from_value(&Value::UNDEFINED, "/x").unwrap_err()
        );
        assert!(JsonTree::from_value(&Value::from(f64::NAN), "").is_err());
    }

    #[test]
    fn integers_keep_every_digit_or_say_why_they_cannot() {
        let big = Value::from(u64::MAX);
        assert_eq!(from_value(&big, "").unwrap(), serde_json::json!(u64::MAX));
        let wider = Value::from(i128::from(u64::MAX) + 1);
        let error = from_value(&wider, "/n").unwrap_err();
        assert_eq!(error[0].path, "/n");
        assert!(
            error[0]
                .message
                .starts_with("18446744073709551616 is too large for a JSON number"),
            "{}",
            error[0].message
        );
    }
}
