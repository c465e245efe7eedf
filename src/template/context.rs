//! What templates see (SPEC §2.2), built lazily per document.
//!
//! A template context is a small object that answers `doc`, `body`, `props`,
//! `docs`, `request`, `vars` and `process` when a template asks, so a
//! template that reads only `request.query.name` never parses a body or
//! copies headers.

use std::sync::{Arc, OnceLock};

use http::request::Parts;
use minijinja::value::{Enumerator, Object, Value};

use crate::doc::xml::same_name;
use crate::doc::{Document, ParseLimits};

/// The names every template sees (SPEC §2.2).
pub const NAMES: [&str; 7] = ["doc", "body", "props", "docs", "request", "vars", "process"];

/// What every document of one execution shares.
#[derive(Debug)]
pub struct Shared {
    pub request: Value,
    pub vars: Value,
    pub limits: ParseLimits,
    pub execution_id: Arc<str>,
}

/// The context of one template evaluation: one document, its batch, and the execution.
#[derive(Debug)]
pub struct Scope {
    pub doc: Document,
    pub batch: Batch,
    /// The name of the running process (a called process has its own).
    pub process: Arc<str>,
    pub shared: Arc<Shared>,
}

/// The documents a step works on, with `docs` (their parsed values)
/// computed once, when a template first asks for it.
#[derive(Debug, Clone)]
pub struct Batch(Arc<BatchInner>);

#[derive(Debug)]
struct BatchInner {
    docs: Vec<Document>,
    values: OnceLock<Value>,
}

impl Batch {
    pub fn new(docs: Vec<Document>) -> Batch {
        Batch(Arc::new(BatchInner {
            docs,
            values: OnceLock::new(),
        }))
    }

    pub fn docs(&self) -> &[Document] {
        &self.0.docs
    }

    /// The documents, moved out when this is the last handle on them.
    pub fn into_docs(self) -> Vec<Document> {
        match Arc::try_unwrap(self.0) {
            Ok(inner) => inner.docs,
            Err(shared) => shared.docs.clone(),
        }
    }

    fn value(&self, limits: &ParseLimits) -> &Value {
        self.0.values.get_or_init(|| {
            Value::from(
                self.0
                    .docs
                    .iter()
                    .map(|d| d.value(limits))
                    .collect::<Vec<_>>(),
            )
        })
    }
}

impl Scope {
    /// The names whose values the scope keeps, by reference; `None` for
    /// the ones it makes when asked (`body`, `process`).
    pub(crate) fn entry(&self, key: &str) -> Option<Option<&Value>> {
        Some(Some(match key {
            "doc" => self.doc.value_ref(&self.shared.limits),
            "props" => &self.doc.props,
            "docs" => self.batch.value(&self.shared.limits),
            "request" => &self.shared.request,
            "vars" => &self.shared.vars,
            "body" | "process" => return None,
            _ => return Some(None),
        }))
    }
}

impl Object for Scope {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    // Every name a template reads comes here: no key value is made for it.
    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        Some(match key {
            "doc" => self.doc.value(&self.shared.limits),
            "body" => Value::from(self.doc.text().into_owned()),
            "props" => self.doc.props.clone(),
            "docs" => self.batch.value(&self.shared.limits).clone(),
            "request" => self.shared.request.clone(),
            "vars" => self.shared.vars.clone(),
            "process" => Value::from_pairs([
                ("name", Value::from(&*self.process)),
                ("execution_id", Value::from(&*self.shared.execution_id)),
            ]),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&NAMES)
    }
}

/// A name bound over a context: the `NAME` of a `map`'s `$for: NAME in …`.
#[derive(Debug)]
pub struct Bound {
    pub parent: Value,
    pub name: Arc<str>,
    pub value: Value,
}

impl Object for Bound {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        if key == &*self.name {
            return Some(self.value.clone());
        }
        self.parent.get_attr(key).ok().filter(|v| !v.is_undefined())
    }
}

impl Bound {
    /// Its name's value, or what its parent lends (see [`Scope::entry`]).
    /// The parent is a context (a `Scope`, or the `Bound` of an outer
    /// `$for`), so it is not first asked whether it is an element; the
    /// name is compared as a document's are, without a call to `memcmp`.
    pub(crate) fn entry(&self, key: &str) -> Option<Option<&Value>> {
        if same_name(key, &self.name) {
            return Some(Some(&self.value));
        }
        super::borrow::context_entry(&self.parent, key)
    }
}

/// The request as templates see it: `method`, `path`, `user`, `remote_ip`,
/// `query`, `params`, `headers` (lower-case names).
#[derive(Debug)]
pub struct RequestInfo {
    pub parts: Parts,
    pub params: Vec<(String, String)>,
    pub remote_ip: std::net::IpAddr,
    pub user: Option<Arc<str>>,
    headers: OnceLock<Value>,
}

impl RequestInfo {
    pub fn new(
        parts: Parts,
        params: Vec<(String, String)>,
        remote_ip: std::net::IpAddr,
    ) -> RequestInfo {
        RequestInfo {
            parts,
            params,
            remote_ip,
            user: None,
            headers: OnceLock::new(),
        }
    }

    /// For executions that have no HTTP request (`flowgate run`, tests of a step).
    pub fn offline() -> RequestInfo {
        let (parts, ()) = http::Request::new(()).into_parts();
        RequestInfo::new(parts, Vec::new(), std::net::IpAddr::from([127, 0, 0, 1]))
    }

    fn headers(&self) -> Value {
        self.headers
            .get_or_init(|| {
                let headers = &self.parts.headers;
                Value::from_pairs(
                    headers
                        .keys()
                        .map(|name| (name.as_str(), header_text(headers.get_all(name)))),
                )
            })
            .clone()
    }
}

/// The values of one header as templates read them: joined with `, `, each
/// read as UTF-8 when it is UTF-8 and otherwise as ISO-8859-1, the charset
/// HTTP once allowed in field values (RFC 9110 §5.5), so no byte a client or
/// upstream sent is lost.
pub(crate) fn header_text(values: http::header::GetAll<'_, http::HeaderValue>) -> String {
    let mut text = String::new();
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        match std::str::from_utf8(value.as_bytes()) {
            Ok(utf8) => text.push_str(utf8),
            Err(_) => text.extend(value.as_bytes().iter().map(|&b| char::from(b))),
        }
    }
    text
}

/// `request.query`: decoded on lookup, without building a map, since a
/// template usually reads one or two parameters. The first value of a
/// repeated name wins, so a name is always one string.
#[derive(Debug)]
struct Query(Box<str>);

impl Query {
    fn pairs(&self) -> form_urlencoded::Parse<'_> {
        form_urlencoded::parse(self.0.as_bytes())
    }
}

impl Object for Query {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.pairs()
            .find(|(name, _)| name == key)
            .map(|(_, value)| Value::from(value.into_owned()))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let mut names: Vec<Value> = Vec::new();
        for (name, _) in self.pairs() {
            let name = Value::from(name.into_owned());
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Enumerator::Values(names)
    }
}

impl Object for RequestInfo {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        Some(match key {
            "method" => Value::from(self.parts.method.as_str()),
            "path" => Value::from(self.parts.uri.path()),
            "user" => self
                .user
                .as_deref()
                .map(Value::from)
                .unwrap_or(Value::from(())),
            "remote_ip" => Value::from(self.remote_ip.to_string()),
            "query" => Value::from_object(Query(self.parts.uri.query().unwrap_or("").into())),
            "params" => {
                Value::from_pairs(self.params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            }
            "headers" => self.headers(),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&[
            "method",
            "path",
            "user",
            "remote_ip",
            "query",
            "params",
            "headers",
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str) -> Arc<RequestInfo> {
        let req = http::Request::builder()
            .uri(uri)
            .header("X-Trace", "a")
            .header("x-trace", "b")
            .header("x-name", http::HeaderValue::from_bytes(b"caf\xe9").unwrap())
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        Arc::new(RequestInfo::new(
            parts,
            vec![("region".into(), "eu".into())],
            "10.1.2.3".parse().unwrap(),
        ))
    }

    #[test]
    fn request_fields() {
        let value =
            Value::from_dyn_object(request("/ws/simple/getHello?name=Ada&name=Bob&x=%C3%A9"));
        assert_eq!(
            value.get_attr("path").unwrap().as_str(),
            Some("/ws/simple/getHello")
        );
        let query = value.get_attr("query").unwrap();
        assert_eq!(query.get_attr("name").unwrap().as_str(), Some("Ada"));
        assert_eq!(query.get_attr("x").unwrap().as_str(), Some("é"));
        assert_eq!(
            value
                .get_attr("headers")
                .unwrap()
                .get_attr("x-trace")
                .unwrap()
                .as_str(),
            Some("a, b")
        );
        let headers = value.get_attr("headers").unwrap();
        assert_eq!(headers.get_attr("x-name").unwrap().as_str(), Some("café"));
        assert_eq!(
            value
                .get_attr("params")
                .unwrap()
                .get_attr("region")
                .unwrap()
                .as_str(),
            Some("eu")
        );
        assert_eq!(
            value.get_attr("remote_ip").unwrap().as_str(),
            Some("10.1.2.3")
        );
        assert!(value.get_attr("user").unwrap().is_none());
    }

    #[test]
    fn header_values_that_are_not_utf8_read_as_latin1() {
        let mut headers = http::HeaderMap::new();
        let name = http::HeaderName::from_static("x-name");
        headers.append(&name, http::HeaderValue::from_bytes(b"caf\xe9").unwrap());
        headers.append(
            &name,
            http::HeaderValue::from_bytes("café".as_bytes()).unwrap(),
        );
        headers.append(&name, http::HeaderValue::from_bytes(b"\xc3").unwrap());
        assert_eq!(header_text(headers.get_all(&name)), "café, café, Ã");
        assert_eq!(header_text(headers.get_all("x-absent")), "");
    }
}
