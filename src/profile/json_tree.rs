//! The JSON document a `map` step builds for a JSON profile, validated and
//! written without a copy.
//!
//! Building a `serde_json::Value` gave every object key its own `String`
//! and every object a hashed index, only for the tree to be checked once,
//! written once and dropped. A [`JsonTree`] shares its keys with the
//! compiled shape and its strings with the template values they came
//! from; jsonschema validates it in place through its [`Json`]
//! representation traits, and [`JsonTree::write`] writes it, byte for byte
//! as `serde_json` writes the same document. Only a tree that fails its
//! schema is turned into a `serde_json::Value`, so its violations read
//! exactly as those of any other document (see
//! [`JsonProfile::write_tree`](super::json::JsonProfile::write_tree)).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

use jsonschema::JsonType;
use jsonschema::json::{Array, Json, Node, NodeIdentity, Object, cmp};
use minijinja::value::{Value, ValueKind};

use super::Violation;
use super::json::from_value;

/// A JSON value as `map` builds it.
#[derive(Debug, Clone)]
pub enum JsonTree {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    /// A template value that is a string.
    String(Value),
    Array(Vec<JsonTree>),
    /// Members in the shape's order; their names are distinct (a shape's
    /// keys are, and so are those of the JSON objects a leaf converts).
    Object(Vec<(Arc<MemberName>, JsonTree)>),
}

/// The name of an object member with the text [`JsonTree::write`] writes
/// for it (`"name":`), escaped once: a `map` shape's names are known when
/// it is compiled, and writing them is most of what writing a tree does.
#[derive(Debug)]
pub struct MemberName {
    name: Arc<str>,
    written: Box<str>,
}

impl MemberName {
    pub fn new(name: Arc<str>) -> MemberName {
        let mut written = String::with_capacity(name.len() + 3);
        write_string(&mut written, &name);
        written.push(':');
        MemberName {
            name,
            written: written.into(),
        }
    }

    pub fn name(&self) -> &Arc<str> {
        &self.name
    }
}

impl JsonTree {
    /// The JSON form of a template value, as [`from_value`] gives it:
    /// strings are shared, everything else goes through `from_value`, so
    /// both agree on what is and is not JSON.
    pub fn from_value(value: &Value, path: &str) -> Result<JsonTree, Vec<Violation>> {
        if value.as_str().is_some() {
            return Ok(JsonTree::String(value.clone()));
        }
        JsonTree::from_other(value, path)
    }

    /// [`JsonTree::from_value`] of a value the caller no longer needs: a
    /// string is kept, not shared.
    pub fn from_owned(value: Value, path: &str) -> Result<JsonTree, Vec<Violation>> {
        if value.as_str().is_some() {
            return Ok(JsonTree::String(value));
        }
        JsonTree::from_other(&value, path)
    }

    fn from_other(value: &Value, path: &str) -> Result<JsonTree, Vec<Violation>> {
        if let Some(scalar) = JsonTree::scalar(value) {
            return Ok(scalar);
        }
        from_value(value, path).map(JsonTree::from)
    }

    /// The JSON form of none, a boolean or a number, as [`from_value`]
    /// gives it, made directly: `from_value` asks a float for an integer
    /// first (minijinja's conversion, which builds an error for every
    /// float with a fraction) and goes through a `serde_json::Value`, for
    /// the leaves a `map` makes most. `None` for everything else, and for
    /// what `from_value` refuses (floats that are not finite, integers
    /// wider than `i64`), which it handles, message and all.
    fn scalar(value: &Value) -> Option<JsonTree> {
        let number = |n: serde_json::Number| Some(JsonTree::Number(n));
        match value.kind() {
            ValueKind::None => Some(JsonTree::Null),
            ValueKind::Bool => Some(JsonTree::Bool(value.is_true())),
            ValueKind::Number if value.is_integer() => number(value.as_i64()?.into()),
            ValueKind::Number => {
                let float = f64::try_from(value.clone()).ok()?;
                // minijinja gives a float with an integral value as an integer.
                let integral = float as i64;
                if integral as f64 == float {
                    number(integral.into())
                } else {
                    number(serde_json::Number::from_f64(float)?)
                }
            }
            _ => None,
        }
    }

    /// The same document as a `serde_json::Value`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            JsonTree::Null => serde_json::Value::Null,
            JsonTree::Bool(b) => serde_json::Value::Bool(*b),
            JsonTree::Number(n) => serde_json::Value::Number(n.clone()),
            JsonTree::String(s) => serde_json::Value::String(s.as_str().unwrap_or_default().into()),
            JsonTree::Array(items) => {
                serde_json::Value::Array(items.iter().map(JsonTree::to_json).collect())
            }
            JsonTree::Object(members) => serde_json::Value::Object(
                members
                    .iter()
                    .map(|(name, value)| (String::from(&*name.name), value.to_json()))
                    .collect(),
            ),
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            JsonTree::String(s) => s.as_str(),
            _ => None,
        }
    }
}

impl From<serde_json::Value> for JsonTree {
    fn from(value: serde_json::Value) -> JsonTree {
        match value {
            serde_json::Value::Null => JsonTree::Null,
            serde_json::Value::Bool(b) => JsonTree::Bool(b),
            serde_json::Value::Number(n) => JsonTree::Number(n),
            serde_json::Value::String(s) => JsonTree::String(Value::from(s)),
            serde_json::Value::Array(items) => {
                JsonTree::Array(items.into_iter().map(JsonTree::from).collect())
            }
            serde_json::Value::Object(members) => JsonTree::Object(
                members
                    .into_iter()
                    .map(|(name, value)| {
                        let name = Arc::new(MemberName::new(Arc::from(name)));
                        (name, JsonTree::from(value))
                    })
                    .collect(),
            ),
        }
    }
}

impl JsonTree {
    /// The document as JSON text, as `serde_json` writes it (compact; `"`,
    /// `\\` and control characters escaped, nothing else), appended to `out`.
    /// Written directly: it is the text of every JSON answer a `map` builds.
    pub fn write(&self, out: &mut String) {
        match self {
            JsonTree::Null => out.push_str("null"),
            JsonTree::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            JsonTree::Number(n) => write_number(out, n),
            JsonTree::String(s) => write_string(out, s.as_str().unwrap_or_default()),
            JsonTree::Array(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            JsonTree::Object(members) => {
                out.push('{');
                for (index, (name, value)) in members.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    out.push_str(&name.written);
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// A number as `serde_json` writes it: integers by `itoa`, floats by
/// `zmij` (a `Number` is always finite).
fn write_number(out: &mut String, n: &serde_json::Number) {
    if let Some(u) = n.as_u64() {
        out.push_str(itoa::Buffer::new().format(u));
    } else if let Some(i) = n.as_i64() {
        out.push_str(itoa::Buffer::new().format(i));
    } else if let Some(f) = n.as_f64() {
        out.push_str(zmij::Buffer::new().format_finite(f));
    }
}

/// A JSON string literal, escaped as `serde_json` escapes it. Not
/// [`crate::template::escape_json_into`], which also escapes DEL and has no
/// `\b`/`\f`: a tree must write exactly as `serde_json` writes the same
/// document (`JsonProfile::write_json`), so the answer of a process does not
/// depend on which of the two built it.
fn write_string(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    let bytes = text.as_bytes();
    // Most strings need no escape: one pass to find that out, one copy.
    if !any_needs_escape(bytes) {
        out.push_str(text);
        out.push('"');
        return;
    }
    let mut clean = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        if !needs_escape(byte) {
            continue;
        }
        // Only ASCII bytes are escaped, so both cuts are on char boundaries.
        out.push_str(&text[clean..at]);
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                let _ = write!(out, "\\u{byte:04x}");
            }
        }
        clean = at + 1;
    }
    out.push_str(&text[clean..]);
    out.push('"');
}

fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// Whether any byte of `bytes` [`needs_escape`], eight bytes at a time.
fn any_needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Nonzero when a byte of `x` is below `n` (at most 0x80): the classic
    // test. A borrow can only start at such a byte, so there are no false
    // positives when there is none, and "any" is exact.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_ne_bytes(word);
        let hit = below(x, 0x20)
            | below(x ^ (ONES * u64::from(b'"')), 1)
            | below(x ^ (ONES * u64::from(b'\\')), 1);
        if hit != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| needs_escape(b))
}

/// [`JsonTree`] as a representation jsonschema validates.
pub struct Trees;

impl Json for Trees {
    type Node<'a> = &'a JsonTree;
    type PreparedKey = Box<str>;
    type StringBuffer = ();

    // A lookup scans the members, so a pass over them costs no more than a
    // few lookups even for objects far larger than `map` shapes make.
    const KEYS_PER_LOOKUP: usize = 64;
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> Box<str> {
        key.into()
    }

    fn with_string_node<T>((): &mut (), string: &str, f: impl FnOnce(&JsonTree) -> T) -> T {
        f(&JsonTree::String(Value::from(string)))
    }
}

impl<'a> Node<'a, Trees> for &'a JsonTree {
    type Object = &'a [(Arc<MemberName>, JsonTree)];
    type Array = &'a [JsonTree];
    type Number = &'a serde_json::Number;

    fn as_object(&self) -> Option<Self::Object> {
        match self {
            JsonTree::Object(members) => Some(members),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<Self::Array> {
        match self {
            JsonTree::Array(items) => Some(items),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        JsonTree::as_str(self).map(Cow::Borrowed)
    }

    fn as_number(&self) -> Option<Self::Number> {
        match self {
            JsonTree::Number(n) => Some(n),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self {
            JsonTree::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, JsonTree::Null)
    }

    fn json_type(&self) -> JsonType {
        match self {
            JsonTree::Null => JsonType::Null,
            JsonTree::Bool(_) => JsonType::Boolean,
            JsonTree::Number(_) => JsonType::Number,
            JsonTree::String(_) => JsonType::String,
            JsonTree::Array(_) => JsonType::Array,
            JsonTree::Object(_) => JsonType::Object,
        }
    }

    // `enum` and `const` compare scalars here without building a copy.
    fn equals_value(&self, expected: &serde_json::Value) -> bool {
        match (self, expected) {
            (JsonTree::String(_), serde_json::Value::String(expected)) => {
                JsonTree::as_str(self) == Some(expected.as_str())
            }
            (JsonTree::Number(n), serde_json::Value::Number(expected)) => {
                cmp::equal_numbers(n, expected)
            }
            (JsonTree::Array(_) | JsonTree::Object(_), _) => cmp::equal(&self.to_json(), expected),
            (JsonTree::Bool(b), serde_json::Value::Bool(expected)) => b == expected,
            (JsonTree::Null, serde_json::Value::Null) => true,
            _ => false,
        }
    }

    fn to_value(&self) -> Cow<'a, serde_json::Value> {
        Cow::Owned(self.to_json())
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(
            std::ptr::from_ref::<JsonTree>(self) as usize
        ))
    }
}

impl<'a> Object<'a, Trees> for &'a [(Arc<MemberName>, JsonTree)] {
    type Node = &'a JsonTree;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        <[_]>::len(self)
    }

    fn get(&self, key: &Box<str>) -> Option<&'a JsonTree> {
        self.iter()
            .find(|(name, _)| *name.name == **key)
            .map(|(_, value)| value)
    }

    fn members(&self) -> Members<'a> {
        Members(self.iter())
    }
}

pub struct Members<'a>(std::slice::Iter<'a, (Arc<MemberName>, JsonTree)>);

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, &'a JsonTree);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(name, value)| (&*name.name, value))
    }
}

impl<'a> Array<'a, Trees> for &'a [JsonTree] {
    type Node = &'a JsonTree;
    type ElementsIter = std::slice::Iter<'a, JsonTree>;

    fn len(&self) -> usize {
        <[_]>::len(self)
    }

    fn elements(&self) -> Self::ElementsIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A leaf as the general conversion makes it, through `serde_json`.
    fn general(value: &Value) -> Result<serde_json::Value, Vec<Violation>> {
        from_value(value, "/x")
    }

    fn direct(value: &Value) -> Result<serde_json::Value, Vec<Violation>> {
        JsonTree::from_value(value, "/x").map(|tree| tree.to_json())
    }

    fn same(value: Value) -> Result<(), TestCaseError> {
        let (general, direct) = (general(&value), direct(&value));
        prop_assert_eq!(
            general.as_ref().map_err(|v| describe(v)),
            direct.as_ref().map_err(|v| describe(v)),
            "{:?}",
            value
        );
        // Equal as JSON is not enough: 1 and 1.0 are equal numbers.
        if let (Ok(general), Ok(direct)) = (general, direct) {
            prop_assert_eq!(general.to_string(), direct.to_string());
        }
        Ok(())
    }

    fn describe(violations: &[Violation]) -> String {
        crate::profile::describe(violations)
    }

    proptest! {
        #[test]
        fn scalars_convert_as_the_general_path_converts_them(
            float in any::<f64>(),
            int in any::<i64>(),
            wide in any::<i128>(),
            small in -1_000_000i64..1_000_000,
            flag in any::<bool>(),
        ) {
            for value in [
                Value::from(float),
                Value::from(small as f64),
                Value::from(small as f64 / 8.0),
                Value::from(int),
                Value::from(int as f64),
                Value::from(wide),
                Value::from(wide as u128),
                Value::from(flag),
                Value::from(()),
            ] {
                same(value)?;
            }
        }
    }

    #[test]
    fn edge_scalars_convert_as_the_general_path_converts_them() {
        for value in [
            Value::from(f64::NAN),
            Value::from(f64::INFINITY),
            Value::from(f64::NEG_INFINITY),
            Value::from(-0.0),
            Value::from(i64::MAX as f64),
            Value::from(i64::MIN as f64),
            Value::from(1e300),
            Value::from(0.1 + 0.2),
            Value::from(u64::MAX),
            Value::from(i128::MAX),
            Value::from(i128::MIN),
            Value::UNDEFINED,
        ] {
            same(value).unwrap();
        }
    }

    #[test]
    fn the_word_test_finds_every_byte_to_escape_wherever_it_is() {
        for len in 0..20 {
            for at in 0..len {
                for byte in 0..=u8::MAX {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = byte;
                    assert_eq!(
                        any_needs_escape(&bytes),
                        needs_escape(byte),
                        "{byte:#x} at {at} of {len}"
                    );
                }
            }
        }
        // Bytes of multi-byte characters never need an escape.
        assert!(!any_needs_escape("naïve café – 東京 😀".as_bytes()));
        assert!(!any_needs_escape(b""));
    }
}
