//! One execution without a connection or a route: `flowgate run`, and the
//! tests of processes that have no `listen` block.
//!
//! The input is read as the process's listen block says (content type,
//! request profile) and the output shaped as a response would be, by the
//! same [`super::input`] and [`super::output`] code the server uses; only
//! routing and access are skipped. A process without `listen` takes the
//! input as one document of the given content type and answers its
//! returned documents' bodies, one after another.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};

use super::dispatch::{execute, failed_problem};
use super::guard;
use super::input;
use super::output;
use super::problem::{Problem, prefers_xml};
use crate::doc::{ContentType, Document, MediaType};
use crate::outbound::Calls;
use crate::pipeline::Execution;
use crate::pipeline::trace::{DocumentRecord, Trace};
use crate::routes::RouteMatch;
use crate::snapshot::{Listen, Process, ProcessId, Snapshot};
use crate::template::context::RequestInfo;

/// What one offline execution answered.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub execution_id: Arc<str>,
    /// The properties of the first returned document, as JSON.
    pub first_props: Option<serde_json::Value>,
}

/// The input of an offline execution.
#[derive(Debug, Default)]
pub struct Input {
    pub body: Bytes,
    /// The content type of `body`; without one, the process's input type
    /// decides (and `application/octet-stream` for a process without `listen`).
    pub content_type: Option<String>,
    /// The URL the execution stands for (from [`target`]); without one,
    /// the process's simple URL with no query.
    pub target: Option<Target>,
}

/// One of a process's URLs, routed as the server would route it.
#[derive(Debug, Clone)]
pub struct Target {
    method: Method,
    uri: Uri,
    params: Vec<(String, String)>,
}

/// Routes `url` (a path with an optional query, or an absolute URL whose
/// path and query are taken) to process `id`: it must be the process's
/// simple URL or match its `rest` pattern, which fills `request.params`.
pub fn target(snapshot: &Snapshot, id: ProcessId, url: &str) -> Result<Target, String> {
    let process = snapshot.process(id);
    let Some(listen) = &process.listen else {
        return Err(format!(
            "process `{}` has no `listen` block, so no URL",
            process.name
        ));
    };
    let uri = Uri::try_from(url).map_err(|err| format!("`{url}` is not a URL: {err}"))?;
    let uri = match uri.path_and_query() {
        Some(path_and_query) if uri.scheme().is_some() => Uri::from(path_and_query.clone()),
        _ => uri,
    };
    let path =
        guard::normalize_target(&uri).map_err(|refusal| format!("`{url}`: {}", refusal.detail))?;
    let method = match &listen.rest {
        Some(rest) if !path.starts_with(crate::routes::SIMPLE_PREFIX) => rest.method.clone(),
        _ => simple_method(listen),
    };
    let urls = || {
        let urls: Vec<String> = listen.urls().iter().map(|url| format!("`{url}`")).collect();
        urls.join(" and ")
    };
    match snapshot.routes.lookup(&method, &path) {
        RouteMatch::Found {
            process: found,
            params,
        } if found == id => Ok(Target {
            method,
            uri,
            params,
        }),
        RouteMatch::Found { process: found, .. } => Err(format!(
            "`{path}` is a URL of process `{}`, not of `{}`, whose URLs are {}",
            snapshot.process(found).name,
            process.name,
            urls()
        )),
        _ => Err(format!(
            "`{path}` is not a URL of process `{}`; its URLs are {}",
            process.name,
            urls()
        )),
    }
}

/// The method a request to the simple URL has here: POST when the process
/// takes a body, else GET.
fn simple_method(listen: &Listen) -> Method {
    if listen.takes_body() {
        Method::POST
    } else {
        Method::GET
    }
}

/// The content type of an input file for `process`: what its `listen`
/// block reads (none for `input: none`), else by the file's extension
/// (`.json`, `.xml`, `.csv`; `text/plain` otherwise).
pub fn content_type(process: &Process, file: Option<&std::path::Path>) -> Option<&'static str> {
    use crate::config::raw::DocType;
    let by_extension = || match file
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("json") => "application/json",
        Some("xml") => "application/xml",
        Some("csv") => "text/csv",
        _ => "text/plain",
    };
    match process.listen.as_ref().map(|l| l.input) {
        Some(DocType::None) => None,
        Some(DocType::Json | DocType::JsonList) => Some("application/json"),
        Some(DocType::Xml | DocType::XmlList) => Some("application/xml"),
        Some(DocType::Data) | None => Some(by_extension()),
    }
}

/// What templates see as `request`: the request `target` stands for, or
/// else the one the process's simple URL would get (POST when it takes a
/// body, else GET), with the input's `Content-Type` when it takes a body.
/// A process without `listen` has no route: GET `/`.
fn request_info(process: &Process, headers: &HeaderMap, target: Option<Target>) -> RequestInfo {
    let Some(listen) = &process.listen else {
        return RequestInfo::offline();
    };
    let (mut parts, ()) = http::Request::new(()).into_parts();
    if listen.takes_body() {
        parts.headers = headers.clone();
    }
    let params = match target {
        Some(target) => {
            parts.method = target.method;
            parts.uri = target.uri;
            target.params
        }
        None => {
            parts.method = simple_method(listen);
            if let Ok(uri) = Uri::try_from(listen.simple_url()) {
                parts.uri = uri;
            }
            Vec::new()
        }
    };
    RequestInfo::new(parts, params, std::net::IpAddr::from([127, 0, 0, 1]))
}

/// Runs process `id` once on `input`; `http` steps call as `calls` says.
pub async fn run(
    snapshot: Arc<Snapshot>,
    id: ProcessId,
    input: Input,
    calls: Calls,
    trace: Option<Arc<Trace>>,
) -> Answer {
    let process = snapshot.process(id);
    let limits = snapshot.settings.limits;
    let execution_id = super::new_execution_id();
    let mut headers = HeaderMap::new();
    if let Some(value) = input
        .content_type
        .as_deref()
        .and_then(|ct| HeaderValue::from_str(ct).ok())
    {
        headers.insert(header::CONTENT_TYPE, value);
    }
    let as_xml = process.reads_xml();
    let fail = |problem: Problem| {
        let problem = problem.with_execution_id(Some(&execution_id));
        let (content_type, body) = problem.render(prefers_xml(&http::HeaderMap::new(), as_xml));
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, content_type);
        Answer {
            status: problem.status(),
            headers,
            body,
            execution_id: execution_id.clone(),
            first_props: None,
        }
    };

    let batch = match &process.listen {
        Some(listen) if listen.takes_body() => {
            if let Err(problem) = input::check_content_type(&headers, listen.input) {
                return fail(problem);
            }
            match input::decode(
                listen.input,
                &headers,
                input.body,
                listen.request_profile.as_ref(),
                &limits.parse,
                process.reads_documents,
            ) {
                Ok(batch) => batch,
                Err(problem) => return fail(problem),
            }
        }
        Some(_) => vec![Document::empty()],
        None => {
            let media = input
                .content_type
                .as_deref()
                .map(ContentType::parse)
                .unwrap_or_else(|| MediaType::Other("application/octet-stream".into()).into());
            vec![Document::new(input.body, media)]
        }
    };

    let mut execution = Execution::new(
        snapshot.clone(),
        execution_id.clone(),
        Arc::new(request_info(process, &headers, input.target)),
    )
    .with_calls(calls);
    if let Some(trace) = trace {
        execution = execution.with_trace(trace);
    }
    let returned = match execute(&execution, process, id, batch, limits.request_timeout).await {
        Ok(returned) => returned,
        Err(failure) => return fail(failure.problem),
    };
    let first_props = returned
        .documents
        .first()
        .map(|doc| DocumentRecord::of(doc, 0).props);

    let (status, headers, body) = match &process.listen {
        Some(listen) if listen.output == crate::config::raw::DocType::None => {
            (StatusCode::ACCEPTED, HeaderMap::new(), Bytes::new())
        }
        Some(listen) => {
            // Without a server there is no page to come back for: the whole list is printed.
            match output::encode(listen, returned, &limits.parse, None) {
                Ok(encoded) => (encoded.status, encoded.headers, encoded.body),
                Err(err) => {
                    tracing::error!(process = %process.name, execution_id = %execution_id, error = %err, "Process output cannot be sent");
                    return fail(failed_problem());
                }
            }
        }
        None => {
            let mut headers = HeaderMap::new();
            for (name, value) in &returned.headers {
                headers.append(name.clone(), value.clone());
            }
            let media = returned.content_type.clone().or_else(|| {
                returned
                    .documents
                    .first()
                    .map(|d| d.content_type().to_owned())
            });
            if let Some(value) = media.and_then(|m| HeaderValue::from_str(&m).ok()) {
                headers.insert(header::CONTENT_TYPE, value);
            }
            let mut body = BytesMut::new();
            for doc in &returned.documents {
                body.extend_from_slice(&doc.body);
            }
            (
                returned.status.unwrap_or(StatusCode::OK),
                headers,
                body.freeze(),
            )
        }
    };
    Answer {
        status,
        headers,
        body,
        execution_id,
        first_props,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_paged_list_is_answered_whole() {
        let process = "listen: { operation: query, object: Item, input: json-list, output: json-list, page_size: 2 }\nsteps:\n  - return: {}\n";
        let snapshot = super::super::tests::snapshot(&[("processes/items.yaml", process)]);
        let id = snapshot.process_by_name("items").unwrap();
        let input = Input {
            body: Bytes::from_static(b"[1, 2, 3, 4, 5]"),
            ..Input::default()
        };
        let answer = run(Arc::new(snapshot), id, input, Calls::Network, None).await;
        assert_eq!(answer.status, StatusCode::OK);
        // No link: its token would die with the process.
        assert!(!answer.headers.contains_key(header::LINK));
        assert_eq!(answer.body, "[1,2,3,4,5]");
    }

    #[tokio::test]
    async fn a_trace_shows_the_content_type_a_step_declared() {
        let process = "listen: { operation: execute, object: Feed, input: data, output: data }\nsteps:\n  - message: { template: '<feed/>', content_type: application/atom+xml }\n  - return: {}\n";
        let snapshot = super::super::tests::snapshot(&[("processes/feed.yaml", process)]);
        let id = snapshot.process_by_name("feed").unwrap();
        let trace = Arc::new(Trace::new(crate::pipeline::trace::Detail::Documents {
            max_bytes: 1024,
        }));
        let input = Input {
            body: Bytes::from_static(b"{}"),
            content_type: Some("application/vnd.api+json".to_owned()),
            target: None,
        };
        let answer = run(
            Arc::new(snapshot),
            id,
            input,
            Calls::Network,
            Some(trace.clone()),
        )
        .await;
        assert_eq!(answer.headers[header::CONTENT_TYPE], "application/atom+xml");
        let steps = trace.steps();
        assert_eq!(steps[0].output[0].media_type, "application/atom+xml");
        assert_eq!(steps[1].output[0].media_type, "application/atom+xml");
    }

    #[tokio::test]
    async fn an_offline_run_sees_the_request_its_simple_url_would_get() {
        let create = "listen: { operation: create, object: Order, input: json, output: json, rest: \"POST /orders/{region}\" }
steps:
  - message: '{\"m\": \"{{ request.method }}\", \"p\": \"{{ request.path }}\", \"t\": \"{{ request.headers[\"content-type\"] }}\"}'
  - return: {}
";
        let get = "listen: { operation: get, object: Order, output: json }
steps:
  - message: '{\"m\": \"{{ request.method }}\", \"p\": \"{{ request.path }}\"}'
  - return: {}
";
        let snapshot = Arc::new(super::super::tests::snapshot(&[
            ("processes/create.yaml", create),
            ("processes/get.yaml", get),
        ]));
        let run_one = |name: &str, input: Input| {
            let id = snapshot.process_by_name(name).unwrap();
            run(snapshot.clone(), id, input, Calls::Network, None)
        };
        let input = Input {
            body: Bytes::from_static(b"{}"),
            content_type: Some("application/json".to_owned()),
            target: None,
        };
        let answer = run_one("create", input).await;
        assert_eq!(
            answer.body,
            r#"{"m": "POST", "p": "/ws/simple/createOrder", "t": "application/json"}"#
        );
        let answer = run_one("get", Input::default()).await;
        assert_eq!(answer.body, r#"{"m": "GET", "p": "/ws/simple/getOrder"}"#);
    }

    #[tokio::test]
    async fn a_url_fills_the_request_as_its_route_would() {
        let create = "listen: { operation: create, object: Order, input: json, output: json, rest: \"PUT /orders/{region}/{id}\" }
steps:
  - message: '{\"m\": \"{{ request.method }}\", \"p\": \"{{ request.path }}\", \"r\": \"{{ request.params.region | default(\"-\") }}\", \"q\": \"{{ request.query.v | default(\"-\") }}\"}'
  - return: {}
";
        let snapshot = Arc::new(super::super::tests::snapshot(&[
            ("processes/create.yaml", create),
            (
                "processes/hello.yaml",
                "listen: { operation: get, object: Hello, output: json }\nsteps:\n  - return: {}\n",
            ),
        ]));
        let id = snapshot.process_by_name("create").unwrap();
        let run_at = |url: &str| {
            let target = target(&snapshot, id, url).unwrap();
            let input = Input {
                body: Bytes::from_static(b"{}"),
                content_type: Some("application/json".to_owned()),
                target: Some(target),
            };
            run(snapshot.clone(), id, input, Calls::Network, None)
        };
        let answer = run_at("/ws/rest/orders/eu%20west/A-17?v=1").await;
        assert_eq!(
            answer.body,
            r#"{"m": "PUT", "p": "/ws/rest/orders/eu%20west/A-17", "r": "eu west", "q": "1"}"#
        );
        let answer = run_at("http://gateway.example/ws/simple/createOrder?v=2").await;
        assert_eq!(
            answer.body,
            r#"{"m": "POST", "p": "/ws/simple/createOrder", "r": "-", "q": "2"}"#
        );

        let refused = |url: &str| target(&snapshot, id, url).unwrap_err();
        assert_eq!(
            refused("/ws/rest/orders/eu-west"),
            "`/ws/rest/orders/eu-west` is not a URL of process `create`; its URLs are \
             `/ws/simple/createOrder` and `PUT /ws/rest/orders/{region}/{id}`"
        );
        assert_eq!(
            refused("/ws/simple/getHello"),
            "`/ws/simple/getHello` is a URL of process `hello`, not of `create`, whose URLs are \
             `/ws/simple/createOrder` and `PUT /ws/rest/orders/{region}/{id}`"
        );
        assert!(
            refused("/ws/rest//x").contains("empty segment"),
            "{}",
            refused("/ws/rest//x")
        );
        assert!(
            refused("orders").contains("must start with `/`"),
            "{}",
            refused("orders")
        );
        assert_eq!(
            refused("/ws/simple/createOrder?v=%E9"),
            "`/ws/simple/createOrder?v=%E9`: the query parameter `v` does not decode to UTF-8"
        );
        let hello = snapshot.process_by_name("hello").unwrap();
        assert_eq!(
            target(&snapshot, hello, "/ws/simple/getHello?name=Ada")
                .unwrap()
                .method,
            Method::GET
        );
    }
}
