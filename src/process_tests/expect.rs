//! A response held against a test's expectations: each mismatch a
//! [`Failure`] that says what was expected and what came.

use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use serde_json::Value;

use super::run::Failure;
use super::{Expect, ExpectedBody, ExpectedProblem};
use crate::doc::ParseLimits;

/// Generous bounds for reading what a process answered.
const LIMITS: ParseLimits = ParseLimits {
    max_json_depth: 128,
    max_xml_depth: 1024,
};

/// What the test got back.
pub(super) struct Seen {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The properties of the first returned document (offline runs only).
    pub first_props: Option<Value>,
}

impl Seen {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The body as a value: JSON as is, XML as maps and lists like `doc`
    /// sees it (attributes `@name`, text beside attributes `#text`).
    fn value(&self) -> Result<Value, String> {
        let content_type = self.content_type().to_ascii_lowercase();
        let text = std::str::from_utf8(&self.body).map_err(|_| "the body is not UTF-8")?;
        if content_type.contains("xml")
            || (!content_type.contains("json") && text.trim_start().starts_with('<'))
        {
            let value = crate::doc::xml::parse(text, &LIMITS.xml())
                .map_err(|err| format!("the body is not well-formed XML: {err}"))?;
            let json = crate::template::to_json(&value).map_err(|err| err.to_string())?;
            serde_json::from_str(&json).map_err(|err| err.to_string())
        } else {
            serde_json::from_str(text).map_err(|err| format!("the body is not JSON: {err}"))
        }
    }
}

/// Every way `seen` differs from `expect`.
pub(super) fn check(expect: &Expect, seen: &Seen) -> Vec<Failure> {
    let mut failures = Vec::new();
    match expect.status {
        Some(status) if status != seen.status => failures.push(Failure::new(format!(
            "status: expected {}, got {}",
            status_text(status),
            status_text(seen.status)
        ))),
        None if expect.problem.is_some() && seen.status.as_u16() < 400 => {
            failures.push(Failure::new(format!(
                "status: expected a 4xx or 5xx problem, got {}",
                status_text(seen.status)
            )))
        }
        None if expect.problem.is_none() && !seen.status.is_success() => {
            failures.push(Failure::new(format!(
                "status: expected 2xx, got {}",
                status_text(seen.status)
            )))
        }
        _ => {}
    }
    for (name, expected) in &expect.headers {
        let values: Vec<String> = seen
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let actual = (!values.is_empty()).then(|| values.join(", "));
        if !actual
            .as_deref()
            .is_some_and(|actual| header_matches(name, expected, actual))
        {
            failures.push(Failure::new(format!(
                "header `{name}`: expected `{expected}`, got {}",
                actual.map_or("none".to_owned(), |a| format!("`{a}`"))
            )));
        }
    }
    for name in &expect.headers_absent {
        if let Some(value) = seen.headers.get(name) {
            failures.push(Failure::new(format!(
                "header `{name}`: expected none, got `{}`",
                String::from_utf8_lossy(value.as_bytes())
            )));
        }
    }
    if let Some(body) = &expect.body {
        check_body(body, seen, &mut failures);
    }
    let text = seen.text();
    let missing: Vec<String> = expect
        .body_contains
        .iter()
        .filter(|wanted| !text.contains(wanted.as_str()))
        .map(|wanted| format!("`{wanted}`"))
        .collect();
    if !missing.is_empty() {
        failures.push(
            Failure::new(format!("body: does not contain {}", missing.join(", ")))
                .with_actual(text.clone()),
        );
    }
    if expect.json.is_some() || !expect.paths.is_empty() || expect.problem.is_some() {
        match seen.value() {
            Ok(value) => {
                if let Some(json) = &expect.json
                    && let Err(detail) = subset(json, &value, "")
                {
                    failures.push(
                        Failure::new(format!("json: {detail}"))
                            .with_diff(pretty(json), pretty(&value)),
                    );
                }
                let is_xml = seen.content_type().contains("xml")
                    || (!seen.content_type().contains("json")
                        && text.trim_start().starts_with('<'));
                for (path, expected) in &expect.paths {
                    let found = if is_xml {
                        xml_path(&value, path)
                    } else {
                        json_path(&value, path)
                    };
                    match found {
                        Ok(actual) => {
                            let matched = if is_xml {
                                xml_value_matches(expected, actual)
                            } else {
                                subset(expected, actual, path).is_ok()
                            };
                            if !matched {
                                failures.push(Failure::new(format!(
                                    "path `{path}`: expected {}, got {}",
                                    compact(expected),
                                    compact(actual)
                                )));
                            }
                        }
                        Err(detail) => {
                            failures.push(Failure::new(format!("path `{path}`: {detail}")))
                        }
                    }
                }
                if let Some(problem) = &expect.problem {
                    check_problem(problem, &value, &mut failures);
                }
            }
            Err(detail) => failures.push(Failure::new(detail).with_actual(text.clone())),
        }
    }
    if let Some(props) = &expect.props {
        let actual = seen.first_props.clone().unwrap_or(Value::Null);
        if let Err(detail) = subset(props, &actual, "") {
            failures.push(
                Failure::new(format!("props of the first returned document: {detail}"))
                    .with_diff(pretty(props), pretty(&actual)),
            );
        }
    }
    failures
}

fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// Exact values, except that an expected content type without parameters
/// matches one with them (`application/json` and `application/json; charset=utf-8`).
fn header_matches(name: &http::HeaderName, expected: &str, actual: &str) -> bool {
    let expected = expected.trim();
    if expected == actual.trim() {
        return true;
    }
    *name == header::CONTENT_TYPE
        && !expected.contains(';')
        && actual
            .split(';')
            .next()
            .is_some_and(|media| media.trim().eq_ignore_ascii_case(expected))
}

fn check_body(body: &ExpectedBody, seen: &Seen, failures: &mut Vec<Failure>) {
    let actual = seen.text();
    match body {
        ExpectedBody::Json(expected) => match serde_json::from_str::<Value>(&actual) {
            Ok(value) if json_equal(expected, &value) => {}
            Ok(value) => failures.push(
                Failure::new("body: not the expected JSON".to_owned())
                    .with_diff(pretty(expected), pretty(&value)),
            ),
            Err(err) => failures.push(
                Failure::new(format!(
                    "body: expected JSON, but the body is not JSON: {err}"
                ))
                .with_actual(actual),
            ),
        },
        ExpectedBody::Text(source) => {
            let expected = match source.read() {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(message) => {
                    failures.push(Failure::new(format!("body: {message}")));
                    return;
                }
            };
            let as_json = (
                serde_json::from_str::<Value>(&expected),
                serde_json::from_str::<Value>(&actual),
            );
            let equal = match &as_json {
                (Ok(e), Ok(a)) if seen.content_type().contains("json") => {
                    json_equal(e, a) && wide_integers(&expected) == wide_integers(&actual)
                }
                _ => expected.trim_end() == actual.trim_end(),
            };
            if !equal {
                let (expected, actual) = match as_json {
                    (Ok(e), Ok(a)) if seen.content_type().contains("json") => {
                        (pretty(&e), pretty(&a))
                    }
                    _ => (expected, actual),
                };
                failures.push(
                    Failure::new("body: not the expected body".to_owned())
                        .with_diff(expected, actual),
                );
            }
        }
    }
}

fn check_problem(problem: &ExpectedProblem, value: &Value, failures: &mut Vec<Failure>) {
    // An XML problem reads as `{"problem": {…}}`, its errors as
    // `errors.error`; in a SOAP fault it is the fault's detail.
    let problem_value = find_problem(value).unwrap_or(value);
    let field = |name: &str| {
        problem_value
            .get(name)
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    };
    if let Some(kind) = &problem.kind
        && field("type") != *kind
    {
        failures.push(Failure::new(format!(
            "problem type: expected `{kind}`, got `{}`",
            field("type")
        )));
    }
    if let Some(detail) = &problem.detail
        && field("detail") != *detail
    {
        failures.push(
            Failure::new("problem detail: not the expected detail".to_owned())
                .with_diff(detail.clone(), field("detail")),
        );
    }
    if let Some(part) = &problem.detail_contains
        && !field("detail").contains(part.as_str())
    {
        failures.push(Failure::new(format!(
            "problem detail: does not contain `{part}`; it is `{}`",
            field("detail")
        )));
    }
    let errors: Vec<&Value> = match problem_value.get("errors") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(map)) => match map.get("error") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(item) => vec![item],
            None => Vec::new(),
        },
        _ => Vec::new(),
    };
    for wanted in &problem.errors {
        let found = errors.iter().any(|error| {
            let text = |name: &str| error.get(name).and_then(Value::as_str).unwrap_or_default();
            wanted
                .path
                .as_deref()
                .is_none_or(|path| text("path") == path)
                && wanted
                    .message_contains
                    .as_deref()
                    .is_none_or(|part| text("message").contains(part))
        });
        if !found {
            let described = match (&wanted.path, &wanted.message_contains) {
                (Some(path), Some(part)) => format!("at `{path}` containing `{part}`"),
                (Some(path), None) => format!("at `{path}`"),
                (None, Some(part)) => format!("containing `{part}`"),
                (None, None) => "of any kind".to_owned(),
            };
            let seen: Vec<String> = errors.iter().map(|e| compact(e)).collect();
            failures.push(Failure::new(format!(
                "problem errors: none {described}; the errors are {}",
                if seen.is_empty() {
                    "empty".to_owned()
                } else {
                    seen.join(", ")
                }
            )));
        }
    }
}

/// The first `problem` element of an XML body, however deep (a SOAP
/// fault's detail holds one).
fn find_problem(value: &Value) -> Option<&Value> {
    match value {
        Value::Object(map) => map
            .get("problem")
            .or_else(|| map.values().find_map(find_problem)),
        Value::Array(items) => items.iter().find_map(find_problem),
        _ => None,
    }
}

/// Whether `expected` is in `actual`: every key of a map with a matching
/// value (other keys may be there too), lists element by element with the
/// same length, numbers by value. `Err` says where they part.
pub(super) fn subset(expected: &Value, actual: &Value, at: &str) -> Result<(), String> {
    let here = || if at.is_empty() { "/" } else { at };
    match (expected, actual) {
        (Value::Object(wanted), Value::Object(have)) => {
            for (key, value) in wanted {
                let path = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match have.get(key) {
                    Some(actual) => subset(value, actual, &path)?,
                    None => return Err(format!("no `{key}` at {}", here())),
                }
            }
            Ok(())
        }
        (Value::Array(wanted), Value::Array(have)) => {
            if wanted.len() != have.len() {
                return Err(format!(
                    "at {}: expected {} items, got {}",
                    here(),
                    wanted.len(),
                    have.len()
                ));
            }
            for (index, (value, actual)) in wanted.iter().zip(have).enumerate() {
                subset(value, actual, &format!("{at}/{index}"))?;
            }
            Ok(())
        }
        (wanted, have) if json_equal(wanted, have) => Ok(()),
        (wanted, have) => Err(format!(
            "at {}: expected {}, got {}",
            here(),
            compact(wanted),
            compact(have)
        )),
    }
}

/// Equal JSON values, numbers by value (`2` equals `2.0`).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => same_number(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, value)| y.get(key).is_some_and(|other| json_equal(value, other)))
        }
        _ => a == b,
    }
}

/// A JSON Pointer (RFC 6901): `/lines/0/sku`.
fn json_path<'a>(value: &'a Value, path: &str) -> Result<&'a Value, String> {
    value
        .pointer(path)
        .ok_or_else(|| "nothing at this path in the body".to_owned())
}

/// An element path: `/Order/Lines/Line[2]/Sku`, `/Order/@currency`;
/// `[n]` counts from 1 and is needed where an element repeats.
fn xml_path<'a>(value: &'a Value, path: &str) -> Result<&'a Value, String> {
    let mut at = value;
    let mut walked = String::new();
    for segment in path.trim_start_matches('/').split('/') {
        let (name, index) = match segment.strip_suffix(']').and_then(|s| s.split_once('[')) {
            Some((name, index)) => match index.parse::<usize>() {
                Ok(n) if n >= 1 => (name, Some(n)),
                _ => return Err(format!("`[{index}]` is not a position (1, 2, …)")),
            },
            None => (segment, None),
        };
        let child = at.get(name).ok_or_else(|| {
            format!(
                "no `{name}` under `{}`",
                if walked.is_empty() { "/" } else { &walked }
            )
        })?;
        walked.push('/');
        walked.push_str(segment);
        at = match (child, index) {
            (Value::Array(items), Some(n)) => items
                .get(n - 1)
                .ok_or_else(|| format!("there are {} `{name}` elements, not {n}", items.len()))?,
            (Value::Array(items), None) => {
                return Err(format!(
                    "there are {} `{name}` elements; say which, like `{name}[1]`",
                    items.len()
                ));
            }
            (single, Some(1) | None) => single,
            (_, Some(n)) => return Err(format!("there is one `{name}` element, not {n}")),
        };
    }
    Ok(at)
}

/// An XML leaf is text: the expected value matches as text (`42` matches
/// `<Id>42</Id>`); an element with attributes matches by its `#text`.
fn xml_value_matches(expected: &Value, actual: &Value) -> bool {
    let text = match actual {
        Value::Object(map) => match map.get("#text") {
            Some(text) => text,
            None => return subset(expected, actual, "").is_ok(),
        },
        other => other,
    };
    let as_text = |value: &Value| match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    match (expected, text) {
        (Value::Object(_) | Value::Array(_), _) => subset(expected, actual, "").is_ok(),
        (Value::Number(number), Value::String(s)) => text_is_number(s.trim(), number),
        _ => as_text(expected) == as_text(text),
    }
}

/// Equal numbers: two integers exactly (64-bit ids differ past 2^53, where
/// floating point would call them equal), else by floating-point value.
fn same_number(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    match (integer(x), integer(y)) {
        (Some(a), Some(b)) => a == b,
        _ => x.as_f64() == y.as_f64(),
    }
}

/// Whether the text of an element is `number`, by the rule of [`same_number`].
fn text_is_number(text: &str, number: &serde_json::Number) -> bool {
    match (integer(number), text.parse::<i128>()) {
        (Some(a), Ok(b)) => a == b,
        _ => text
            .parse::<f64>()
            .is_ok_and(|n| Some(n) == number.as_f64()),
    }
}

/// The integers of a JSON text beyond 64 bits, as written, sorted:
/// serde_json reads them as floats, which cannot tell
/// `123456789012345678901234` from `…235`, so they are compared by their digits.
fn wide_integers(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        match bytes[at] {
            b'"' => {
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                at += 1;
            }
            b'-' | b'0'..=b'9' => {
                while at < bytes.len()
                    && matches!(bytes[at], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    at += 1;
                }
                let written = &text[start..at];
                let integer = !written.contains(['.', 'e', 'E']);
                if integer && written.parse::<i64>().is_err() && written.parse::<u64>().is_err() {
                    found.push(written.to_owned());
                }
            }
            _ => at += 1,
        }
    }
    found.sort();
    found
}

fn integer(number: &serde_json::Number) -> Option<i128> {
    number
        .as_i64()
        .map(i128::from)
        .or_else(|| number.as_u64().map(i128::from))
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process_tests::Source;
    use serde_json::json;

    #[test]
    fn integers_beyond_64_bits_are_compared_by_their_digits() {
        let seen = |body: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
            Seen {
                status: StatusCode::OK,
                headers,
                body: Bytes::from(body.to_owned()),
                first_props: None,
            }
        };
        let expect = |body: &str| Expect {
            body: Some(ExpectedBody::Text(Source::Bytes(Bytes::from(
                body.to_owned(),
            )))),
            ..Expect::default()
        };
        let body = r#"{"id": 123456789012345678901234, "n": "99999999999999999999999"}"#;
        assert!(check(&expect(body), &seen(body)).is_empty());
        let other = r#"{"n": "99999999999999999999999", "id": 123456789012345678901235}"#;
        assert_eq!(check(&expect(body), &seen(other)).len(), 1);
        let reordered = r#"{"n": "99999999999999999999999", "id": 123456789012345678901234}"#;
        assert!(check(&expect(body), &seen(reordered)).is_empty());
        assert_eq!(
            wide_integers(r#"[1, -18446744073709551616, 2.5e30, "123456789012345678901234"]"#),
            ["-18446744073709551616"]
        );
    }

    #[test]
    fn integers_are_compared_exactly() {
        // Equal as 64-bit floats, different as the ids they are.
        let actual = json!({"a": 9007199254740993_u64});
        assert!(subset(&json!({"a": 9007199254740992_u64}), &actual, "").is_err());
        assert!(subset(&json!({"a": 9007199254740993_u64}), &actual, "").is_ok());
        assert!(subset(&json!({"a": 9007199254740993.0}), &actual, "").is_ok());
        assert!(text_is_number(
            "9007199254740993",
            &9007199254740993_u64.into()
        ));
        assert!(!text_is_number(
            "9007199254740993",
            &9007199254740992_u64.into()
        ));
        assert!(text_is_number("04", &4.into()));
        assert!(text_is_number(
            "12.50",
            &serde_json::Number::from_f64(12.5).unwrap()
        ));
    }

    #[test]
    fn subsets_name_where_they_part() {
        let actual = json!({"id": "A-1", "lines": [{"sku": "X", "qty": 2}], "total": 2.0});
        assert!(subset(&json!({"id": "A-1"}), &actual, "").is_ok());
        assert!(subset(&json!({"lines": [{"qty": 2}], "total": 2}), &actual, "").is_ok());
        assert_eq!(
            subset(&json!({"lines": [{"qty": 3}]}), &actual, ""),
            Err("at /lines/0/qty: expected 3, got 2".to_owned())
        );
        assert_eq!(
            subset(&json!({"status": "paid"}), &actual, ""),
            Err("no `status` at /".to_owned())
        );
        assert_eq!(
            subset(&json!({"lines": []}), &actual, ""),
            Err("at /lines: expected 0 items, got 1".to_owned())
        );
    }

    #[test]
    fn xml_paths_count_repeats_from_one() {
        let xml = r#"<Order currency="EUR"><Id>42</Id><Line><Sku>A</Sku></Line><Line><Sku>B</Sku></Line></Order>"#;
        let seen = Seen {
            status: StatusCode::OK,
            headers: HeaderMap::from_iter([(
                header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/xml"),
            )]),
            body: Bytes::from_static(xml.as_bytes()),
            first_props: None,
        };
        let value = seen.value().unwrap();
        assert_eq!(xml_path(&value, "/Order/Id").unwrap(), &json!("42"));
        assert_eq!(xml_path(&value, "/Order/@currency").unwrap(), &json!("EUR"));
        assert_eq!(xml_path(&value, "/Order/Line[2]/Sku").unwrap(), &json!("B"));
        assert!(
            xml_path(&value, "/Order/Line/Sku")
                .unwrap_err()
                .contains("say which")
        );
        assert!(xml_path(&value, "/Order/Line[3]").is_err());
        assert!(xml_value_matches(&json!(42), &json!("42")));
        assert!(xml_value_matches(&json!("42"), &json!("42")));
        assert!(!xml_value_matches(&json!(43), &json!("42")));
    }
}
