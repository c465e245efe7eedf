//! JSON documents: parsing into template values under a depth limit, and
//! splitting a list into its items without parsing them twice.

use std::fmt;

use minijinja::value::Value;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// A JSON body that was not accepted, with the position of the problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} at line {line} column {column}")]
pub struct JsonError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl JsonError {
    fn from_serde(err: &serde_json::Error) -> JsonError {
        let text = err.to_string();
        // serde_json appends " at line L column C"; the fields carry it.
        let mut message = match text.rfind(" at line ") {
            Some(at) => text[..at].to_owned(),
            None => text,
        };
        // serde_json's two ways of saying that a `\u` escape is half of a
        // UTF-16 surrogate pair, which names no character.
        if message == "unexpected end of hex escape"
            || message == "lone leading surrogate in hex escape"
        {
            message = "a `\\u` escape of half a surrogate pair, with no other half".to_owned();
        }
        JsonError {
            message,
            line: err.line(),
            column: err.column(),
        }
    }
}

/// A JSON text after its byte order mark, if it starts with one. RFC 8259
/// §8.1 lets a parser ignore it, and forbids sending one: flowgate takes it
/// off where JSON comes in (request bodies, upstream answers), so no
/// document starts with one and none is sent on.
pub fn without_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

// The shape of JSON text, read without parsing it: for places that must
// find a value in text that may not parse (a schema with an error in it, a
// body cut short).

/// Past the JSON whitespace at `at`.
pub(crate) fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|b| b" \t\r\n".contains(b)) {
        at += 1;
    }
    at
}

/// Just past the string whose opening quote is at `at` (the end of the
/// text, if it is cut short).
pub(crate) fn string_end(bytes: &[u8], mut at: usize) -> usize {
    at += 1;
    while let Some(&b) = bytes.get(at) {
        match b {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// Just past the value that starts at `at` (the end of the text, if it is
/// cut short).
pub(crate) fn value_end(bytes: &[u8], at: usize) -> usize {
    match bytes.get(at) {
        Some(b'"') => string_end(bytes, at),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut i = at;
            while let Some(&b) = bytes.get(i) {
                match b {
                    b'"' => {
                        i = string_end(bytes, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            bytes.len()
        }
        _ => {
            let mut i = at;
            while bytes.get(i).is_some_and(|b| !b" \t\r\n,]}".contains(b)) {
                i += 1;
            }
            i
        }
    }
}

/// Parses one JSON value into a template value.
pub fn parse(body: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    check_depth(body, max_depth)?;
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = ValueSeed
        .deserialize(&mut de)
        .map_err(|e| JsonError::from_serde(&e))?;
    de.end().map_err(|e| JsonError::from_serde(&e))?;
    Ok(value)
}

/// Checks that a body is one JSON value within the depth limit, without
/// building it: it holds what [`parse`] takes, UTF-8 text whose `\u`
/// escapes name characters (a lone surrogate, `"\ud800"`, names none).
///
/// serde_json skips an ignored string without looking at its bytes or
/// escapes, and reading every string (as [`Checked`] does) costs about a
/// fifth more; so the depth scan notes a `\u` escape, and only a body with
/// one is read string by string. Any other body is checked to be UTF-8 at
/// once (std's check runs a word at a time over ASCII), and read again
/// only to place an error.
pub fn check(body: &[u8], max_depth: usize) -> Result<(), JsonError> {
    let scan = check_depth(body, max_depth)?;
    let mut de = serde_json::Deserializer::from_slice(body);
    let read = if scan.unicode_escape || std::str::from_utf8(body).is_err() {
        Checked.deserialize(&mut de)
    } else {
        IgnoredAny::deserialize(&mut de).map(|_| ())
    };
    read.and_then(|()| de.end())
        .map_err(|e| JsonError::from_serde(&e))
}

/// The items of a JSON array, each as its own JSON text, unparsed. Each
/// is UTF-8 (the split checks it) and its escapes name characters: a body
/// with a `\u` escape is checked whole, once more.
pub fn split_array(body: &[u8], max_depth: usize) -> Result<Vec<Box<RawValue>>, JsonError> {
    let scan = check_depth(body, max_depth)?;
    let items: Vec<&RawValue> = match serde_json::from_slice(body) {
        Ok(items) => items,
        Err(err) if err.is_data() => {
            return Err(JsonError {
                message: "expected a JSON array of items".to_owned(),
                line: err.line(),
                column: err.column(),
            });
        }
        Err(err) => return Err(JsonError::from_serde(&err)),
    };
    if scan.unicode_escape {
        let mut de = serde_json::Deserializer::from_slice(body);
        Checked
            .deserialize(&mut de)
            .map_err(|e| JsonError::from_serde(&e))?;
    }
    Ok(items.into_iter().map(RawValue::to_owned).collect())
}

/// Reads a JSON value and keeps nothing, but unlike `IgnoredAny` reads
/// each string as a string: serde_json then checks that it is UTF-8 and
/// that its escapes name characters, as a parse does. Strings without
/// escapes are borrowed, so nothing is allocated for them.
struct Checked;

impl<'de> DeserializeSeed<'de> for Checked {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(Checked)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Checked)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Checked)?.is_some() {
            map.next_value_seed(Checked)?;
        }
        Ok(())
    }
}

/// What the strings of a body hold, as far as [`check`] cares.
#[derive(Debug, Default)]
struct Scan {
    /// A `\u` escape, which may be half of a surrogate pair.
    unicode_escape: bool,
}

/// Fails when arrays and objects nest deeper than `max_depth`, or when an
/// object names one member twice. A linear scan that runs before any
/// parser, so a hostile body never drives recursion. Most of a body is
/// usually the text of its strings, which the scan crosses with `memchr`
/// to the next quote or backslash.
///
/// A repeated name is refused (RFC 7493 §2.3) because parsers disagree on
/// what it means: flowgate's reading keeps the last value, another may keep
/// the first, so a body validated against a profile could say something
/// else to the service it is passed on to. The scan keeps each open
/// object's member names and compares them, sorted, when it closes.
fn check_depth(body: &[u8], max_depth: usize) -> Result<Scan, JsonError> {
    let mut scan = Scan::default();
    // Per open array or object: the object's names, or `None` for an array.
    // Sized for the usual document, so neither grows as it is read.
    let mut open: Vec<Option<Members>> = Vec::with_capacity(16);
    // The names of every open object, each object's after its parent's.
    let mut names: Vec<Name> = Vec::with_capacity(32);
    // The last byte that was not whitespace: a string after `{` or `,`
    // in an object is a member name.
    let mut previous = 0u8;
    let (mut line, mut line_start) = (1usize, 0usize);
    let mut i = 0;
    while let Some(&byte) = body.get(i) {
        match byte {
            b'"' => {
                let start = i + 1;
                let mut escaped = false;
                // To the quote that ends the string (or the end of an
                // unclosed one), past escapes.
                i += 1;
                loop {
                    let rest = body.get(i..).unwrap_or_default();
                    match memchr::memchr2(b'"', b'\\', rest) {
                        Some(at) if rest[at] == b'\\' => {
                            escaped = true;
                            scan.unicode_escape |= rest.get(at + 1) == Some(&b'u');
                            i += at + 2;
                        }
                        Some(at) => {
                            i += at;
                            break;
                        }
                        None => {
                            i = body.len();
                            break;
                        }
                    }
                }
                if matches!(previous, b'{' | b',')
                    && let Some(Some(members)) = open.last_mut()
                {
                    let name = Name {
                        start,
                        end: i.min(body.len()),
                        escaped,
                    };
                    members.add(body, &mut names, name)?;
                }
                previous = b'"';
            }
            b'[' | b'{' => {
                open.push((byte == b'{').then_some(Members {
                    first: names.len(),
                    sort: false,
                }));
                if open.len() > max_depth {
                    return Err(JsonError {
                        message: format!("nesting deeper than {max_depth} levels"),
                        line,
                        column: i - line_start + 1,
                    });
                }
                previous = byte;
            }
            b']' | b'}' => {
                if let Some(Some(members)) = open.pop() {
                    members.close(body, &mut names)?;
                }
                previous = byte;
            }
            b'\n' => {
                line += 1;
                line_start = i + 1;
            }
            b' ' | b'\t' | b'\r' => {}
            _ => previous = byte,
        }
        i += 1;
    }
    Ok(scan)
}

/// A member name as [`check_depth`] keeps it: where its text is in the body.
#[derive(Clone, Copy)]
struct Name {
    start: usize,
    end: usize,
    /// It has escapes, so its text as written is not the name
    /// (`"\u0061"` and `"a"` are one name).
    escaped: bool,
}

impl Name {
    fn raw<'a>(&self, body: &'a [u8]) -> &'a [u8] {
        body.get(self.start..self.end).unwrap_or_default()
    }

    /// The name itself: unescaped, when it has escapes. A bad escape is
    /// the parser's to report; until then, the text as written stands.
    fn text<'a>(&self, body: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        let raw = self.raw(body);
        if self.escaped
            && let Some(quoted) = body.get(self.start - 1..=self.end)
            && let Ok(text) = serde_json::from_slice::<String>(quoted)
        {
            return std::borrow::Cow::Owned(text.into_bytes());
        }
        std::borrow::Cow::Borrowed(raw)
    }
}

/// The names of one open object, from `first` in the shared list.
struct Members {
    first: usize,
    /// Compared all at once when the object closes, sorted: it has an
    /// escaped name, or too many for comparing each with those before.
    sort: bool,
}

impl Members {
    /// Names compared one by one with those before them, as they come.
    const PAIRWISE: usize = 16;

    /// Adds a name; fails at once when a usual object (a few names, none
    /// escaped) already has it.
    fn add(&mut self, body: &[u8], names: &mut Vec<Name>, name: Name) -> Result<(), JsonError> {
        let earlier = names.get(self.first..).unwrap_or_default();
        if name.escaped || earlier.len() >= Self::PAIRWISE {
            self.sort = true;
        }
        if !self.sort {
            let raw = name.raw(body);
            if earlier.iter().any(|other| other.raw(body) == raw) {
                return Err(named_twice(body, &name, raw));
            }
        }
        names.push(name);
        Ok(())
    }

    /// Ends the object: its names leave the list, compared first if they
    /// were not as they came.
    fn close(self, body: &[u8], names: &mut Vec<Name>) -> Result<(), JsonError> {
        let first = self.first.min(names.len());
        if self.sort {
            let mut texts: Vec<(std::borrow::Cow<'_, [u8]>, &Name)> = names[first..]
                .iter()
                .map(|name| (name.text(body), name))
                .collect();
            texts.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.start.cmp(&b.1.start)));
            if let Some(pair) = texts.windows(2).find(|pair| pair[0].0 == pair[1].0) {
                return Err(named_twice(body, pair[1].1, &pair[1].0));
            }
        }
        names.truncate(first);
        Ok(())
    }
}

/// The error of the second member named `text` in one object, at its quote.
fn named_twice(body: &[u8], second: &Name, text: &[u8]) -> JsonError {
    let at = second.start - 1;
    let before = body.get(..at).unwrap_or_default();
    let line = 1 + memchr::memchr_iter(b'\n', before).count();
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |newline| newline + 1);
    JsonError {
        message: format!(
            "the member `{}` is named twice in one object",
            String::from_utf8_lossy(text)
        ),
        line,
        column: at - line_start + 1,
    }
}

/// Builds a minijinja value straight from the JSON parser, keeping key order.
struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::from(()))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(ValueSeed)? {
            items.push(item);
        }
        Ok(Value::from(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(ValueSeed)?;
            entries.push((Value::from(key), value));
        }
        Ok(Value::from_pairs(entries))
    }
}

/// An integer beyond `i64` (above `i64::MAX` as JSON numbers up to
/// `u64::MAX` are read, or wider from template arithmetic), written
/// exactly: as a float it would lose its last digits.
pub(crate) fn wide_integer(value: &Value) -> Option<String> {
    if !value.is_integer() {
        return None;
    }
    if let Ok(wide) = i128::try_from(value.clone()) {
        return Some(itoa::Buffer::new().format(wide).to_owned());
    }
    u128::try_from(value.clone())
        .ok()
        .map(|wide| itoa::Buffer::new().format(wide).to_owned())
}

/// A template value as JSON text, for building JSON bodies from values.
pub fn to_string(value: &Value) -> Result<String, minijinja::Error> {
    let mut out = String::new();
    write_value(&mut out, value)?;
    Ok(out)
}

fn write_value(out: &mut String, value: &Value) -> Result<(), minijinja::Error> {
    use minijinja::value::ValueKind;
    use std::fmt::Write as _;
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => {
            if let Some(i) = value.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(wide) = wide_integer(value) {
                out.push_str(&wide);
            } else {
                let f = f64::try_from(value.clone()).unwrap_or(f64::NAN);
                if f.is_finite() {
                    let _ = write!(
                        out,
                        "{}",
                        serde_json::Number::from_f64(f)
                            .map(|n| n.to_string())
                            .unwrap_or_default()
                    );
                } else {
                    out.push_str("null");
                }
            }
        }
        ValueKind::Seq | ValueKind::Iterable => {
            out.push('[');
            for (i, item) in value.try_iter()?.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, &item)?;
            }
            out.push(']');
        }
        ValueKind::Map => {
            out.push('{');
            for (i, key) in value.try_iter()?.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('"');
                let _ = crate::template::escape_json_into(out, &key.to_string());
                out.push_str("\":");
                write_value(out, &value.get_item(&key)?)?;
            }
            out.push('}');
        }
        ValueKind::Invalid => {
            return Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                value.to_string(),
            ));
        }
        // Strings, and whatever kinds minijinja adds later, as their text.
        _ => {
            out.push('"');
            let _ = crate::template::escape_json_into(out, &value.to_string());
            out.push('"');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_into_ordered_values() {
        let value = parse(br#"{"b": 1, "a": [true, null, "x", 1.5]}"#, 64).unwrap();
        assert_eq!(
            to_string(&value).unwrap(),
            r#"{"b":1,"a":[true,null,"x",1.5]}"#
        );
    }

    #[test]
    fn errors_have_positions() {
        let err = parse(b"{\n  \"a\": ,\n}", 64).unwrap_err();
        assert_eq!((err.line, err.column), (2, 8));
        assert!(err.to_string().contains("line 2 column 8"));
        assert!(parse(b"{} {}", 64).is_err());
        assert!(parse(b"", 64).is_err());
    }

    #[test]
    fn a_check_refuses_what_a_parse_refuses() {
        for body in [
            &b"\"\xe9\""[..],
            b"{\"caf\xe9\": 1}",
            b"[\"\\ud800\"]",
            b"{\"\\udc00\": 1}",
            b"\"\\ud83d x\"",
        ] {
            let parsed = parse(body, 64).unwrap_err();
            assert_eq!(check(body, 64), Err(parsed), "{}", body.escape_ascii());
        }
        assert_eq!(
            check(b"\"\xe9\"", 64).unwrap_err().message,
            "invalid unicode code point"
        );
        assert!(
            check(b"[\"\\ud800\"]", 64)
                .unwrap_err()
                .message
                .contains("surrogate")
        );
        // A surrogate pair names one character; other escapes are fine too.
        for body in [
            &br#"{"smile": "\ud83d\ude00", "\u00e9t\u00e9": "\n\\u"}"#[..],
            "\"été\"".as_bytes(),
        ] {
            assert!(parse(body, 64).is_ok());
            assert_eq!(check(body, 64), Ok(()));
        }
    }

    #[test]
    fn list_items_are_utf8_and_name_characters() {
        assert!(split_array(b"[1, \"\xe9\"]", 64).is_err());
        let err = split_array(br#"[1, "\ud800"]"#, 64).unwrap_err();
        assert!(err.message.contains("surrogate"), "{err}");
        let items = split_array(br#"["\ud83d\ude00", "\\u"]"#, 64).unwrap();
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn depth_is_bounded_exactly() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(nested(64).as_bytes(), 64).is_ok());
        let err = parse(nested(65).as_bytes(), 64).unwrap_err();
        assert_eq!(err.message, "nesting deeper than 64 levels");
        // Brackets inside strings do not count.
        assert!(parse(br#"["[[[[[[[[[[[[[[[[[["]"#, 2).is_ok());
        assert!(check(br#"["\"[[[[\\", "\\\"[[[["]"#, 2).is_ok());
        // An unclosed string ends the scan: its brackets are text, and
        // the parser says what is wrong.
        for body in [&b"[\"[[[["[..], b"[\"ab\\", b"\"\\u"] {
            let err = check(body, 2).unwrap_err();
            assert!(err.message.contains("EOF"), "{err}");
        }
        assert!(check(nested(100_000).as_bytes(), 64).is_err());
    }

    #[test]
    fn splits_arrays_without_reformatting() {
        let items = split_array(br#"[ {"a": 1}, 2 , "x" ]"#, 64).unwrap();
        let texts: Vec<&str> = items.iter().map(|i| i.get()).collect();
        assert_eq!(texts, [r#"{"a": 1}"#, "2", r#""x""#]);
        let err = split_array(br#"{"a": 1}"#, 64).unwrap_err();
        assert_eq!(err.message, "expected a JSON array of items");
    }

    #[test]
    fn a_member_named_twice_is_refused_wherever_it_is() {
        for body in [
            r#"{"amount": 1000000, "amount": 5}"#,
            r#"{"a": {"b": [{"c": 1, "d": 2, "c": 3}]}}"#,
            r#"{"\u0061": 1, "a": 2}"#,
        ] {
            let err = check(body.as_bytes(), 64).unwrap_err();
            assert!(
                err.message.contains("is named twice in one object"),
                "{body}: {err}"
            );
            assert_eq!(parse(body.as_bytes(), 64).unwrap_err(), err);
            assert_eq!(
                split_array(format!("[{body}]").as_bytes(), 64)
                    .unwrap_err()
                    .message,
                err.message
            );
        }
        let err = check(b"{\n  \"x\": 1,\n  \"x\": 2\n}", 64).unwrap_err();
        assert_eq!(
            (err.line, err.column, err.message.as_str()),
            (3, 3, "the member `x` is named twice in one object")
        );
        // Objects with many names are compared all at once: the same answers.
        let many: Vec<String> = (0..40).map(|i| format!(r#""k{i}": {i}"#)).collect();
        check(format!("{{{}}}", many.join(", ")).as_bytes(), 64).unwrap();
        for repeat in ["k0", "k17", "k39"] {
            let body = format!(r#"{{{}, "{repeat}": 0}}"#, many.join(", "));
            let err = check(body.as_bytes(), 64).unwrap_err();
            assert_eq!(
                err.message,
                format!("the member `{repeat}` is named twice in one object")
            );
            assert_eq!(err.column, body.len() - repeat.len() - 5);
        }
        // The same name in different objects, or as a value, is no repeat.
        for body in [
            r#"{"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]}"#,
            r#"{"a": "a", "b": ["a", "a"]}"#,
            r#"[{"a": 1}, {"a": 2}]"#,
        ] {
            check(body.as_bytes(), 64).unwrap();
            parse(body.as_bytes(), 64).unwrap();
        }
    }

    #[test]
    fn integers_beyond_i64_keep_every_digit() {
        let body = br#"[9223372036854775808,18446744073709551615,-9223372036854775808,1.5]"#;
        let value = parse(body, 64).unwrap();
        assert_eq!(to_string(&value).unwrap().as_bytes(), body);
        let wider = Value::from(i128::from(u64::MAX) * 10);
        assert_eq!(to_string(&wider).unwrap(), "184467440737095516150");
    }

    #[test]
    fn strings_escape_on_the_way_out() {
        let value = Value::from_pairs([("k\"", Value::from("a\nb"))]);
        assert_eq!(to_string(&value).unwrap(), r#"{"k\"":"a\nb"}"#);
    }
}
