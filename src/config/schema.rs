//! The JSON Schema of process files (`flowgate schema`), for editors.
//!
//! It is generated from the raw types the loader decodes process files
//! with ([`RawProcess`] and the step option types of [`super::raw`]), so it
//! cannot describe a key the loader does not read. What the raw types keep
//! as a [`Node`] to decode later (step lists, `set` maps, `map` values) is
//! described here by small marker types that stand for what the compiler
//! accepts in that place.
//!
//! The schema checks the shape of a file (keys, types, enums, required
//! keys); what needs the whole root (profile and process names, template
//! syntax) is `flowgate check`'s job.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::de::{Entries, Spanned};
use super::node::Node;
use super::raw::{
    CombineStep, DecisionStep, ExceptionStep, HttpStep, LogStep, MapStep, MessageStep, RawProcess,
    ReturnStep, RouteStep, SplitStep, StopStep, TryStep,
};
use crate::units::{Bounded, ByteSize, HumanDuration};

/// The schema's identifier: a name, not an address (nothing is fetched).
const ID: &str = "urn:flowgate:schema:process";

/// The JSON Schema (2020-12) of a process file, as pretty JSON with a final newline.
pub fn process_schema() -> String {
    let generator = SchemaGenerator::new(SchemaSettings::draft2020_12());
    let mut schema = generator.into_root_schema_for::<RawProcess>();
    schema.insert("$id".to_owned(), ID.into());
    schema.insert("title".to_owned(), "flowgate process file".into());
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// The step kinds whose options may all be left out, so the bare word is a
/// step (`- stop`): those [`step_kinds`] gives as [`optional`].
const BARE_KINDS: [&str; 3] = ["combine", "return", "stop"];

/// The step kinds with the schema of each one's options, in the order the
/// docs list them (SPEC §2.3).
fn step_kinds(generator: &mut SchemaGenerator) -> Vec<(&'static str, Schema)> {
    let either = |short: Schema, long: Schema| json_schema!({ "oneOf": [short, long] });
    let template = generator.subschema_for::<Template>();
    vec![
        (
            "message",
            either(template.clone(), generator.subschema_for::<MessageStep>()),
        ),
        ("set", generator.subschema_for::<Props>()),
        ("map", generator.subschema_for::<MapStep>()),
        ("decision", generator.subschema_for::<DecisionStep>()),
        ("route", generator.subschema_for::<RouteStep>()),
        ("branch", generator.subschema_for::<Vec<StepList>>()),
        (
            "split",
            either(template.clone(), generator.subschema_for::<SplitStep>()),
        ),
        (
            "combine",
            optional(generator.subschema_for::<CombineStep>()),
        ),
        ("return", optional(generator.subschema_for::<ReturnStep>())),
        ("stop", optional(generator.subschema_for::<StopStep>())),
        (
            "exception",
            either(template.clone(), generator.subschema_for::<ExceptionStep>()),
        ),
        (
            "log",
            either(template.clone(), generator.subschema_for::<LogStep>()),
        ),
        ("http", generator.subschema_for::<HttpStep>()),
        ("try", generator.subschema_for::<TryStep>()),
        (
            "call",
            json_schema!({ "type": "string", "description": "The name of the process to run on the batch." }),
        ),
    ]
}

/// Options that may be left out: `return: {}` and `return:` alike.
fn optional(options: Schema) -> Schema {
    json_schema!({ "oneOf": [options, { "type": "null" }] })
}

/// One step: a map with one key, the step kind.
pub struct Step;

impl JsonSchema for Step {
    fn schema_name() -> Cow<'static, str> {
        "Step".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let variants: Vec<Schema> = step_kinds(generator)
            .into_iter()
            .map(|(kind, options)| {
                json_schema!({
                    "type": "object",
                    "properties": { kind: options },
                    "required": [kind],
                    "additionalProperties": false,
                })
            })
            .collect();
        let mut variants = variants;
        variants.push(json_schema!({
            "description": "A step whose options are all left out, as the bare word.",
            "enum": BARE_KINDS,
        }));
        json_schema!({
            "description": "A step: a map whose one key is the step kind (SPEC §2.3), or the bare kind of one without options.",
            "oneOf": variants,
        })
    }
}

/// A list of steps (`steps`, `then`, `else`, `catch`, a route case, a branch path).
pub struct StepList;

impl JsonSchema for StepList {
    fn schema_name() -> Cow<'static, str> {
        "Steps".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "array", "items": generator.subschema_for::<Step>() })
    }
}

/// `route` cases: each value to its steps.
pub struct Cases;

impl JsonSchema for Cases {
    fn schema_name() -> Cow<'static, str> {
        "Cases".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "additionalProperties": generator.subschema_for::<StepList>(),
        })
    }
}

/// A text that may hold `{{ expressions }}`.
pub struct Template;

impl JsonSchema for Template {
    fn schema_name() -> Cow<'static, str> {
        "Template".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // A number or a boolean is read as its text.
        json_schema!({ "type": ["string", "number", "boolean"] })
    }
}

/// `set`: each property to a template or a literal.
pub struct Props;

impl JsonSchema for Props {
    fn schema_name() -> Cow<'static, str> {
        "Props".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "description": "Each property to a template; a string that is one `{{ expression }}` keeps the expression's type.",
            "additionalProperties": { "type": ["string", "number", "boolean", "null", "array", "object"] },
        })
    }
}

/// A `return` status: a number, or a template that renders one.
pub struct Status;

impl JsonSchema for Status {
    fn schema_name() -> Cow<'static, str> {
        "Status".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "oneOf": [
                { "type": "integer", "minimum": 200, "maximum": 599 },
                { "type": "string" },
            ]
        })
    }
}

/// One text, or a list of them (`body_contains`).
pub struct Texts;

impl JsonSchema for Texts {
    fn schema_name() -> Cow<'static, str> {
        "Texts".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "oneOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" } },
            ]
        })
    }
}

/// Any value: the loader decodes it later, where its meaning is known.
impl JsonSchema for Node {
    fn schema_name() -> Cow<'static, str> {
        "Any".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!(true)
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

impl<K, V: JsonSchema> JsonSchema for Entries<K, V> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "additionalProperties": generator.subschema_for::<V>(),
        })
    }
}

impl JsonSchema for HumanDuration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A whole number with a unit: ms, s, m, h or d (`250ms`, `30s`).",
            "pattern": "^\\s*[0-9]+\\s*(ms|s|m|h|d)\\s*$",
        })
    }
}

impl<const MIN: u64, const MAX: u64> JsonSchema for Bounded<MIN, MAX> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Integer_{MIN}_to_{MAX}").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "integer",
            "minimum": MIN,
            "maximum": MAX,
        })
    }
}

impl JsonSchema for ByteSize {
    fn schema_name() -> Cow<'static, str> {
        "ByteSize".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Bytes, or a number with a unit (`64KiB`, `1MiB`; `KB` is 1000 bytes, `KiB` 1024).",
            "type": ["string", "integer"],
            "pattern": "^\\s*[0-9]+\\s*(B|KB|KiB|MB|MiB|GB|GiB)?\\s*$",
        })
    }
}

#[cfg(test)]
mod tests;
