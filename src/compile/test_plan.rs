//! A process's `tests:` into [`ProcessTest`]s, every mistake a diagnostic
//! at its key.
//!
//! Runs after every process is compiled, because a test's request must
//! reach its own process through the finished routing table. Files named
//! by `body_file` are checked here (under the root, a regular file) and
//! read when the test runs, so the server, which drops the plan, never
//! reads them.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

use super::Outbound;
use crate::access::users::Users;
use crate::config::de::{self, Spanned};
use crate::config::node::{Node, NodeKind, Span};
use crate::config::raw::{DocType, RawExpect, RawStub, RawTest, RawTestRequest, StubFailure};
use crate::diag::{Diagnostics, SourceFile};
use crate::outbound::stub::{Stub, StubAnswer, StubTarget};
use crate::process_tests::{
    Expect, ExpectedBody, ExpectedError, ExpectedProblem, ProcessTest, Source, TestRequest,
    TestStub,
};
use crate::routes::{RouteMatch, RouteTable, SIMPLE_PREFIX};
use crate::snapshot::{Listen, ProcessId};

/// What the tests of every process are checked against.
pub(super) struct TestContext<'a> {
    pub root: &'a Path,
    pub routes: &'a RouteTable,
    pub outbound: &'a Outbound,
    pub users: &'a Users,
}

/// The process the tests belong to.
pub(super) struct TestedProcess<'a> {
    pub id: ProcessId,
    pub name: &'a str,
    pub listen: Option<&'a Listen>,
}

/// The tests of one process file; each bad key a diagnostic.
pub(super) fn compile_tests(
    node: &Node,
    process: &TestedProcess<'_>,
    context: &TestContext<'_>,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
    named_files: &mut Vec<String>,
) -> Vec<ProcessTest> {
    let NodeKind::Seq(items) = &node.kind else {
        diagnostics.push(
            source
                .error(
                    node.span,
                    format!("`tests` must be a list of tests, found {}", node.describe()),
                )
                .with_hint("write each test as a list item with `name`, `request` and `expect`"),
        );
        return Vec::new();
    };
    let mut compiler = TestCompiler {
        process,
        context,
        source,
        diagnostics,
        named_files,
        ok: true,
    };
    let mut tests = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for item in items {
        let decoded = de::from_node_lenient::<RawTest>(item);
        for err in &decoded.errors {
            compiler
                .diagnostics
                .push(crate::config::de_diagnostic(source, err));
        }
        // Unknown keys alone leave the test whole, so its other mistakes
        // are found in the same run; a value that did not decode leaves a
        // test too partial to judge.
        let raw = match decoded.value {
            Some(raw) if decoded.left_out == de::LeftOut::default() => Some(raw),
            _ => None,
        };
        compiler.ok = true;
        // A test with another mistake still takes its name: a later test
        // of that name is reported in the same run.
        let name = match &raw {
            Some(raw) => Some((raw.name.value.as_str(), raw.name.span)),
            None => item.get("name").and_then(|n| Some((n.as_str()?, n.span))),
        };
        if let Some((name, span)) = name {
            let name = name.trim();
            if name.is_empty() {
                compiler.error(span, "a test needs a name".to_owned());
            } else if names.iter().any(|earlier| earlier == name) {
                compiler.error(
                    span,
                    format!("two tests of this process are named `{name}`"),
                );
            }
            names.push(name.to_owned());
        }
        if let Some(raw) = raw {
            tests.extend(compiler.test(&raw));
        }
    }
    tests
}

struct TestCompiler<'a, 'b> {
    process: &'a TestedProcess<'a>,
    context: &'a TestContext<'a>,
    source: &'a SourceFile,
    diagnostics: &'b mut Diagnostics,
    /// Every file a test names, found or not (see
    /// [`super::Compilation::named_files`]).
    named_files: &'b mut Vec<String>,
    /// Whether the current test had no error.
    ok: bool,
}

impl TestCompiler<'_, '_> {
    fn error(&mut self, span: Span, message: String) {
        self.ok = false;
        self.diagnostics.push(self.source.error(span, message));
    }

    fn error_hint(&mut self, span: Span, message: String, hint: Option<String>) {
        self.ok = false;
        self.diagnostics
            .push(self.source.error(span, message).with_hint_opt(hint));
    }

    fn test(&mut self, raw: &RawTest) -> Option<ProcessTest> {
        let default_request = Spanned::new(raw.name.span, RawTestRequest::default());
        let request = self.request(raw.request.as_ref().unwrap_or(&default_request));
        let stubs: Vec<TestStub> = raw
            .stubs
            .iter()
            .enumerate()
            .filter_map(|(index, stub)| self.stub(index, stub))
            .collect();
        let expect = self.expect(&raw.expect);
        let line = self.source.locate(raw.name.span).line;
        match (request, expect) {
            (Some(request), Some(expect)) if self.ok => Some(ProcessTest {
                process: self.process.id,
                process_name: self.process.name.to_owned(),
                name: raw.name.value.trim().to_owned(),
                file: self.source.path.clone(),
                line,
                request,
                stubs,
                expect,
            }),
            _ => None,
        }
    }

    fn request(&mut self, raw: &Spanned<RawTestRequest>) -> Option<TestRequest> {
        let listen = self.process.listen;
        if listen.is_none() {
            for (key, span) in [
                ("method", raw.method.as_ref().map(|m| m.span)),
                ("path", raw.path.as_ref().map(|p| p.span)),
                ("query", raw.query.0.first().map(|(k, _)| k.span)),
                ("user", raw.user.as_ref().map(|u| u.span)),
                ("remote_ip", raw.remote_ip.as_ref().map(|r| r.span)),
            ] {
                if let Some(span) = span {
                    self.error_hint(
                        span,
                        format!("`{key}` is for a request to a URL, and process `{}` has no `listen` block", self.process.name),
                        Some("a process without `listen` is tested by running it on `body` directly".to_owned()),
                    );
                }
            }
        }
        let method = match &raw.method {
            Some(method) => match method.value.trim().to_ascii_uppercase().parse::<Method>() {
                Ok(parsed) if is_known_method(&parsed) => parsed,
                _ => {
                    // Reported; the rest of the request is still checked.
                    self.error(
                        method.span,
                        format!(
                            "`{}` is not a method: GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS",
                            method.value
                        ),
                    );
                    Method::POST
                }
            },
            // SOAP envelopes are POSTed whatever the operation takes.
            None => match listen {
                Some(listen)
                    if !listen.takes_body()
                        && !raw.path.as_ref().is_some_and(|p| is_soap_path(&p.value)) =>
                {
                    Method::GET
                }
                _ => Method::POST,
            },
        };
        // Set by a mistake after which the request is still checked, so
        // that each of its mistakes is reported in one run.
        let mut bad = false;
        let (path, mut query) = match (&raw.path, listen) {
            (Some(path), _) => {
                let text = path.value.trim();
                if !text.starts_with('/') {
                    self.error(
                        path.span,
                        format!("`{text}` is not a path: write one like `/ws/simple/createOrder`"),
                    );
                    bad = true;
                }
                let (path, query) = text.split_once('?').unwrap_or((text, ""));
                if !bad {
                    self.check_route(&method, path, path_span(raw));
                }
                (path.to_owned(), query.to_owned())
            }
            (None, Some(listen)) => (
                format!("{SIMPLE_PREFIX}{}", listen.simple_path),
                String::new(),
            ),
            (None, None) => (String::new(), String::new()),
        };
        if !raw.query.0.is_empty() {
            let mut encoder = form_urlencoded::Serializer::new(std::mem::take(&mut query));
            for (name, value) in &raw.query.0 {
                match value.scalar_text() {
                    Some(text) => {
                        encoder.append_pair(&name.value, &text);
                    }
                    None => self.error(
                        value.span,
                        format!(
                            "a query parameter is a single value, found {}",
                            value.describe()
                        ),
                    ),
                }
            }
            query = encoder.finish();
        }
        let uri = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        if !bad && uri.parse::<http::Uri>().is_err() && !uri.is_empty() {
            self.error(
                path_span(raw),
                format!("`{uri}` is not a valid request path"),
            );
        }

        let mut headers = self.headers(&raw.headers.0);
        let body = self.body(raw.body.as_ref(), raw.body_file.as_ref(), "request");

        let user = raw.user.as_ref().and_then(|user| {
            let name = user.value.trim();
            if self.context.users.by_name(name).is_none() {
                let hint = de::did_you_mean(name, self.context.users.iter().map(|u| &*u.name))
                    .map(|best| format!("did you mean `{best}`?"))
                    .or_else(|| {
                        Some("users are the `[users.NAME]` tables of flowgate.toml".to_owned())
                    });
                self.error_hint(
                    user.span,
                    format!("there is no user `{name}` in flowgate.toml"),
                    hint,
                );
                return None;
            }
            Some(name.to_owned())
        });
        let remote_ip = match &raw.remote_ip {
            Some(ip) => match ip.value.trim().parse::<IpAddr>() {
                Ok(ip) => ip,
                Err(_) => {
                    self.error(
                        ip.span,
                        format!("`{}` is not an IP address", ip.value.trim()),
                    );
                    bad = true;
                    IpAddr::from([127, 0, 0, 1])
                }
            },
            None => IpAddr::from([127, 0, 0, 1]),
        };
        let (body, structured) = body?;
        if bad {
            return None;
        }
        let body = body.unwrap_or(Source::Bytes(Bytes::new()));
        if !headers.contains_key(CONTENT_TYPE)
            && let Some(media) = default_content_type(listen, &body, structured)
        {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(media));
        }
        Some(TestRequest {
            method,
            uri,
            headers,
            body,
            user,
            remote_ip,
        })
    }

    /// The path must lead to this process (or to the SOAP endpoints, for a
    /// SOAP operation); a test of another process belongs in its file.
    fn check_route(&mut self, method: &Method, path: &str, span: Span) {
        let Some(listen) = self.process.listen else {
            return;
        };
        if is_soap_path(path) {
            if !listen.soap {
                self.error(
                    span,
                    format!(
                        "process `{}` is not a SOAP operation (`soap: true`)",
                        self.process.name
                    ),
                );
            }
            return;
        }
        let urls = || format!("its URLs: {}", listen.urls().join(", "));
        match self.context.routes.lookup(method, path) {
            RouteMatch::Found { process, .. } if process == self.process.id => {}
            RouteMatch::Found { .. } => self.error_hint(
                span,
                format!(
                    "`{method} {path}` is served by another process; a test belongs in the file of the process it tests"
                ),
                Some(urls()),
            ),
            // A wrong method on this process's URL is a fair test (405).
            RouteMatch::MethodNotAllowed { .. } => {}
            RouteMatch::NotFound => self.error_hint(
                span,
                format!("no route for `{path}`"),
                Some(urls()),
            ),
        }
    }

    fn headers(&mut self, raw: &[(Spanned<String>, Spanned<String>)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in raw {
            let Ok(header) = HeaderName::from_bytes(name.value.trim().as_bytes()) else {
                self.error(name.span, format!("`{}` is not a header name", name.value));
                continue;
            };
            match HeaderValue::from_str(&value.value) {
                Ok(value) => {
                    headers.append(header, value);
                }
                Err(_) => self.error(
                    value.span,
                    "not a valid header value (control characters or non-ASCII)".to_owned(),
                ),
            }
        }
        headers
    }

    /// `body` or `body_file`, not both: the bytes and whether `body` was a
    /// structure (sent as JSON). `None` after an error.
    fn body(
        &mut self,
        body: Option<&Node>,
        file: Option<&Spanned<String>>,
        what: &str,
    ) -> Option<(Option<Source>, bool)> {
        match (body, file) {
            (Some(_), Some(file)) => {
                self.error_hint(
                    file.span,
                    format!("a {what} has `body` or `body_file`, not both"),
                    Some("keep one of them".to_owned()),
                );
                None
            }
            (Some(node), None) => match &node.kind {
                NodeKind::Str(text) => {
                    Some((Some(Source::Bytes(Bytes::from(text.clone()))), false))
                }
                NodeKind::Seq(_) | NodeKind::Map(_) => Some((
                    Some(Source::Bytes(Bytes::from(node_to_json(node).to_string()))),
                    true,
                )),
                _ => Some((
                    Some(Source::Bytes(Bytes::from(
                        node.scalar_text().unwrap_or_default(),
                    ))),
                    false,
                )),
            },
            (None, Some(file)) => {
                let path = self.root_file(file)?;
                Some((
                    Some(Source::File {
                        written: file.value.trim().to_owned(),
                        path,
                    }),
                    false,
                ))
            }
            (None, None) => Some((None, false)),
        }
    }

    /// A file under the root that a test names.
    fn root_file(&mut self, file: &Spanned<String>) -> Option<PathBuf> {
        let written = file.value.trim();
        if !self.named_files.iter().any(|named| named == written) {
            self.named_files.push(written.to_owned());
        }
        match root_file(self.context.root, written) {
            Ok(path) => Some(path),
            Err(message) => {
                self.error_hint(
                    file.span,
                    message,
                    Some(
                        "paths are relative to the config root, like `samples/order.xml`"
                            .to_owned(),
                    ),
                );
                None
            }
        }
    }

    fn stub(&mut self, index: usize, raw: &Spanned<RawStub>) -> Option<TestStub> {
        let outbound = self.context.outbound;
        let method = match &raw.method {
            Some(method) => match method.value.trim().to_ascii_uppercase().parse::<Method>() {
                Ok(parsed) if is_known_method(&parsed) => Some(parsed),
                _ => {
                    self.error(method.span, format!("`{}` is not a method", method.value));
                    return None;
                }
            },
            None => None,
        };
        let (label, target) = match (&raw.upstream, &raw.url) {
            (Some(_), Some(url)) => {
                self.error(
                    url.span,
                    "a stub names an `upstream` or a `url`, not both".to_owned(),
                );
                return None;
            }
            (None, None) => {
                self.error_hint(
                    raw.span,
                    format!("stub {} names neither an `upstream` nor a `url`", index + 1),
                    Some("write `upstream: NAME` (and a `path`) or `url: https://…`".to_owned()),
                );
                return None;
            }
            (Some(name), None) => {
                let Some(upstream) = outbound.upstream(name.value.trim()) else {
                    let hint = de::did_you_mean(name.value.trim(), outbound.names())
                        .map(|best| format!("did you mean `{best}`?"))
                        .or_else(|| {
                            Some(
                                "upstreams are the `[upstreams.NAME]` tables of flowgate.toml"
                                    .to_owned(),
                            )
                        });
                    self.error_hint(
                        name.span,
                        format!(
                            "there is no upstream `{}` in flowgate.toml",
                            name.value.trim()
                        ),
                        hint,
                    );
                    return None;
                };
                let Ok(base) = url::Url::parse(&upstream.base_url) else {
                    // Its own diagnostic is at `[upstreams]`; the test cannot run.
                    self.ok = false;
                    return None;
                };
                match &raw.path {
                    Some(path) => {
                        let text = path.value.trim();
                        let joined = if text.starts_with('/') {
                            format!("{}{text}", upstream.base_url)
                        } else {
                            format!("{}/{text}", upstream.base_url)
                        };
                        match url::Url::parse(&joined) {
                            Ok(url) if url.origin() == base.origin() => (
                                format!("upstream `{}` {text}", upstream.name),
                                StubTarget::Url(url),
                            ),
                            _ => {
                                self.error(
                                    path.span,
                                    format!("`{text}` is not a path under the upstream's base_url"),
                                );
                                return None;
                            }
                        }
                    }
                    None => (
                        format!("upstream `{}`", upstream.name),
                        StubTarget::Under(base),
                    ),
                }
            }
            (None, Some(url)) => {
                if let Some(path) = &raw.path {
                    self.error_hint(
                        path.span,
                        "`path` goes with `upstream`; a `url` is whole".to_owned(),
                        None,
                    );
                    return None;
                }
                let text = url.value.trim();
                match url::Url::parse(text) {
                    Ok(parsed)
                        if matches!(parsed.scheme(), "http" | "https")
                            && parsed.host().is_some() =>
                    {
                        (text.to_owned(), StubTarget::Url(parsed))
                    }
                    _ => {
                        self.error(
                            url.span,
                            format!("`{text}` is not an http or https URL with a host"),
                        );
                        return None;
                    }
                }
            }
        };
        let answer = match &raw.fail {
            Some(fail) => {
                let answered = [
                    raw.status.as_ref().map(|s| s.span),
                    raw.body.as_ref().map(|b| b.span),
                    raw.body_file.as_ref().map(|b| b.span),
                    raw.headers.0.first().map(|(k, _)| k.span),
                ];
                if let Some(span) = answered.into_iter().flatten().next() {
                    self.error(
                        span,
                        "a stub with `fail` gives no answer: leave out `status`, `headers` and the body".to_owned(),
                    );
                    return None;
                }
                match fail.value {
                    StubFailure::Timeout => StubAnswer::Timeout,
                    StubFailure::Refused => StubAnswer::Refused,
                }
            }
            None => {
                let status = match &raw.status {
                    Some(status) => match StatusCode::from_u16(status.value) {
                        Ok(code) if (100..=599).contains(&status.value) => code,
                        _ => {
                            self.error(
                                status.span,
                                format!("{} is not an HTTP status (100 to 599)", status.value),
                            );
                            return None;
                        }
                    },
                    None => StatusCode::OK,
                };
                let mut headers = self.headers(&raw.headers.0);
                let (body, structured) =
                    self.body(raw.body.as_ref(), raw.body_file.as_ref(), "stub")?;
                if let Some(source) = &body
                    && !headers.contains_key(CONTENT_TYPE)
                    && let Some(media) = media_of(source, structured)
                {
                    headers.insert(CONTENT_TYPE, HeaderValue::from_static(media));
                }
                let (body, body_file) = match body {
                    Some(Source::Bytes(bytes)) => (bytes, None),
                    Some(file) => (Bytes::new(), Some(file)),
                    None => (Bytes::new(), None),
                };
                return Some(TestStub {
                    stub: Stub {
                        label,
                        method,
                        target,
                        answer: StubAnswer::Respond {
                            status,
                            headers,
                            body,
                        },
                    },
                    body_file,
                });
            }
        };
        Some(TestStub {
            stub: Stub {
                label,
                method,
                target,
                answer,
            },
            body_file: None,
        })
    }

    fn expect(&mut self, raw: &Spanned<RawExpect>) -> Option<Expect> {
        let status =
            raw.status
                .as_ref()
                .and_then(|status| match StatusCode::from_u16(status.value) {
                    Ok(code) if (100..=599).contains(&status.value) => Some(code),
                    _ => {
                        self.error(
                            status.span,
                            format!("{} is not an HTTP status (100 to 599)", status.value),
                        );
                        None
                    }
                });
        let mut headers = Vec::new();
        for (name, value) in &raw.headers.0 {
            match HeaderName::from_bytes(name.value.trim().as_bytes()) {
                Ok(header) => headers.push((header, value.value.clone())),
                Err(_) => self.error(name.span, format!("`{}` is not a header name", name.value)),
            }
        }
        let mut headers_absent = Vec::new();
        for name in &raw.headers_absent {
            match HeaderName::from_bytes(name.value.trim().as_bytes()) {
                Ok(header) if headers.iter().any(|(present, _)| *present == header) => self
                    .error(
                        name.span,
                        format!(
                            "`{}` is in `headers` too: a header cannot be expected both with a value and absent",
                            name.value
                        ),
                    ),
                Ok(header) => headers_absent.push(header),
                Err(_) => self.error(name.span, format!("`{}` is not a header name", name.value)),
            }
        }
        let (body, structured) =
            self.body(raw.body.as_ref(), raw.body_file.as_ref(), "expectation")?;
        let body = match (body, structured, &raw.body) {
            (Some(_), true, Some(node)) => Some(ExpectedBody::Json(node_to_json(node))),
            (Some(source), _, _) => Some(ExpectedBody::Text(source)),
            (None, _, _) => None,
        };
        let body_contains = match &raw.body_contains {
            None => Vec::new(),
            Some(node) => match &node.kind {
                NodeKind::Str(text) => vec![text.clone()],
                NodeKind::Seq(items) => items
                    .iter()
                    .filter_map(|item| match item.as_str() {
                        Some(text) => Some(text.to_owned()),
                        None => {
                            self.error(
                                item.span,
                                format!("`body_contains` takes strings, found {}", item.describe()),
                            );
                            None
                        }
                    })
                    .collect(),
                _ => {
                    self.error(
                        node.span,
                        format!(
                            "`body_contains` is a string or a list of strings, found {}",
                            node.describe()
                        ),
                    );
                    Vec::new()
                }
            },
        };
        let json = raw.json.as_ref().map(node_to_json);
        let mut paths = Vec::new();
        for (path, value) in &raw.paths.0 {
            let text = path.value.trim();
            if !text.starts_with('/') {
                self.error_hint(
                    path.span,
                    format!("`{text}` is not a path"),
                    Some("paths start at the document: `/OrderAck/Id` for XML, `/lines/0/sku` for JSON".to_owned()),
                );
                continue;
            }
            paths.push((text.to_owned(), node_to_json(value)));
        }
        let problem = raw.problem.as_ref().map(|problem| ExpectedProblem {
            kind: problem.kind.as_ref().map(|kind| {
                let kind = kind.value.trim();
                if kind.contains(':') {
                    kind.to_owned()
                } else {
                    format!("urn:flowgate:problem:{kind}")
                }
            }),
            detail: problem.detail.as_ref().map(|d| d.value.clone()),
            detail_contains: problem.detail_contains.as_ref().map(|d| d.value.clone()),
            errors: problem
                .errors
                .iter()
                .map(|error| ExpectedError {
                    path: error.path.as_ref().map(|p| p.value.clone()),
                    message_contains: error.message_contains.as_ref().map(|m| m.value.clone()),
                })
                .collect(),
        });
        if let (Some(problem), Some(status)) = (&raw.problem, status)
            && status.as_u16() < 400
        {
            self.error(
                problem.span,
                format!("a problem comes with a 4xx or 5xx status, and this test expects {status}"),
            );
        }
        let props = match &raw.props {
            Some(node) if self.process.listen.is_some() => {
                self.error_hint(
                    node.span,
                    "`props` are not part of a response".to_owned(),
                    Some("`props` is for processes without `listen`, which tests run directly; test what the process answers instead".to_owned()),
                );
                None
            }
            Some(node) if node.as_map().is_none() => {
                self.error(
                    node.span,
                    format!("`props` is a map of properties, found {}", node.describe()),
                );
                None
            }
            Some(node) => Some(node_to_json(node)),
            None => None,
        };
        Some(Expect {
            status,
            headers,
            headers_absent,
            body,
            body_contains,
            json,
            paths,
            problem,
            props,
        })
    }
}

fn is_soap_path(path: &str) -> bool {
    let path = path.trim().split('?').next().unwrap_or_default();
    path == crate::contract::SOAP11_PATH || path == crate::contract::SOAP12_PATH
}

fn path_span(raw: &Spanned<RawTestRequest>) -> Span {
    raw.path.as_ref().map_or(raw.span, |p| p.span)
}

fn is_known_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET
            | Method::HEAD
            | Method::POST
            | Method::PUT
            | Method::PATCH
            | Method::DELETE
            | Method::OPTIONS
    )
}

/// The content type a test's request gets when its headers have none: JSON
/// for a structure, else what the process reads, else by the file's extension.
fn default_content_type(
    listen: Option<&Listen>,
    body: &Source,
    structured: bool,
) -> Option<&'static str> {
    if let Source::Bytes(bytes) = body
        && bytes.is_empty()
    {
        return None;
    }
    if structured {
        return Some("application/json");
    }
    match listen.map(|l| l.input) {
        Some(DocType::Json | DocType::JsonList) => Some("application/json"),
        Some(DocType::Xml | DocType::XmlList) => Some("application/xml"),
        _ => media_of(body, false).or(Some("text/plain")),
    }
}

/// The content type of a body by how it was written: JSON for a structure,
/// else by a file's extension.
fn media_of(source: &Source, structured: bool) -> Option<&'static str> {
    if structured {
        return Some("application/json");
    }
    let Source::File { written, .. } = source else {
        return None;
    };
    match written
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
    {
        Some(ext) if ext == "json" => Some("application/json"),
        Some(ext) if ext == "xml" => Some("application/xml"),
        Some(ext) if ext == "csv" => Some("text/csv"),
        Some(ext) if ext == "txt" => Some("text/plain"),
        _ => None,
    }
}

/// A file a test names: relative to the root, inside it (also after
/// following symbolic links), and a regular file.
fn root_file(root: &Path, written: &str) -> Result<PathBuf, String> {
    use std::path::Component;
    if written.is_empty() {
        return Err("the path is empty".to_owned());
    }
    let relative = Path::new(written);
    if relative.is_absolute()
        || relative
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::Prefix(_)))
    {
        return Err(format!("`{written}` leaves the config root"));
    }
    let path = root.join(relative);
    let metadata = std::fs::metadata(&path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => format!("there is no file `{written}`"),
        _ => format!("`{written}` cannot be read: {err}"),
    })?;
    if !metadata.is_file() {
        return Err(format!("`{written}` is not a file"));
    }
    let (Ok(real), Ok(real_root)) = (path.canonicalize(), root.canonicalize()) else {
        return Err(format!("`{written}` cannot be read"));
    };
    if !real.starts_with(&real_root) {
        return Err(format!(
            "`{written}` leads out of the config root (through a symbolic link)"
        ));
    }
    Ok(path)
}

/// A value written in a file as JSON.
fn node_to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value;
    match &node.kind {
        NodeKind::Null => Value::Null,
        NodeKind::Bool(b) => Value::Bool(*b),
        NodeKind::Int(i) => Value::from(*i),
        NodeKind::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        NodeKind::Str(s) => Value::String(s.clone()),
        NodeKind::Seq(items) => Value::Array(items.iter().map(node_to_json).collect()),
        NodeKind::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(key, value)| (key.name.clone(), node_to_json(value)))
                .collect(),
        ),
    }
}
