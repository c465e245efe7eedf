//! One request, from route lookup to response.
//!
//! The snapshot is loaded once at the start and used to the end, so a
//! request sees one config even if another is swapped in meanwhile. Order of
//! checks: the request head and path ([`guard`]), a CORS preflight, route,
//! concurrency, method, then access in the order of SPEC §4
//! (authentication, address allowlists, permission), the body, and the
//! process.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;

use super::contract;
use super::guard;
use super::input;
use super::output::{self, Paging};
use super::pages::{self, Owner};
use super::problem::{Problem, kind, prefers_xml};
use super::soap;
use super::{Gateway, Peer};
use crate::access::net::client_ip;
use crate::access::{AuthMethods, Denial};
use crate::executions::{RecordedBody, Recording, Start};
use crate::metrics::ActiveGuard;
use crate::outbound::CallError;
use crate::pipeline::{ExecError, Execution};
use crate::routes::RouteMatch;
use crate::snapshot::{Process, ProcessId, Snapshot};
use crate::template::context::RequestInfo;

pub type Body = Full<Bytes>;

const STATUS_PATH: &str = "/_admin/status";
const EXECUTION_ID: &str = "x-execution-id";

/// Serves a request made inside this process (`flowgate test`) as if it
/// came from `remote_ip`: the same routing, access, input, pipeline and
/// output as [`handle`], with `caller`'s user, stubs and trace. An output
/// `none` process is answered 202 as usual, but only once it has finished,
/// so its trace and calls are complete.
pub async fn handle_in_process<B>(
    gateway: Arc<Gateway>,
    request: Request<B>,
    remote_ip: std::net::IpAddr,
    caller: super::InProcess,
) -> Response<Body>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let peer = Peer {
        in_process: Some(Arc::new(caller)),
        ..Peer::plain(std::net::SocketAddr::new(remote_ip, 0))
    };
    handle(gateway, request, peer).await
}

/// Serves one request. Generic over the body so tests can call it without a socket.
///
/// An HTTP/1 request answered before its body was read to the end (refused
/// as too large, of a type the route cannot read, over `max_concurrency`)
/// leaves the rest of the body on the connection, which then closes: the
/// answer says `Connection: close`, so the client sends its next request
/// down a new one.
pub async fn handle<B>(gateway: Arc<Gateway>, request: Request<B>, peer: Peer) -> Response<Body>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if request.version() >= http::Version::HTTP_2 || request.body().is_end_stream() {
        return respond(gateway, request, peer).await;
    }
    let ended = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let request = request.map(|body| Watched {
        body,
        ended: ended.clone(),
    });
    let mut response = respond(gateway, request, peer).await;
    if !ended.load(std::sync::atomic::Ordering::Relaxed) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

pin_project_lite::pin_project! {
    /// A request body that notes when it has been read to its end.
    struct Watched<B> {
        #[pin]
        body: B,
        ended: Arc<std::sync::atomic::AtomicBool>,
    }
}

impl<B: http_body::Body> http_body::Body for Watched<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let polled = this.body.poll_frame(cx);
        if matches!(polled, std::task::Poll::Ready(None)) {
            this.ended.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        let end = self.body.is_end_stream();
        if end {
            self.ended.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        end
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

async fn respond<B>(gateway: Arc<Gateway>, request: Request<B>, peer: Peer) -> Response<Body>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let started = Instant::now();
    let snapshot = gateway.snapshot();
    let method = request.method().clone();
    let wants_xml = prefers_xml(request.headers(), false);
    let unrouted = |response: Response<Body>| {
        gateway
            .metrics()
            .unrouted()
            .record(response.status().as_u16(), started.elapsed());
        response
    };

    let head = if let Some(flaw) = &peer.framing {
        Err(guard::Refusal::flawed(flaw))
    } else if request.version() == http::Version::HTTP_2 {
        guard::check_h2_head(
            request.method(),
            request.uri(),
            request.headers(),
            snapshot.settings.limits.max_header_bytes,
        )
    } else {
        guard::check_head(request.version(), request.headers())
    };
    if let Err(refusal) = head {
        tracing::info!(method = %method, status = refusal.status.as_u16(), reason = %refusal.detail, "Refused request head");
        let close = refusal.close;
        let problem = refusal.into_problem();
        let mut response = problem_response(&problem, wants_xml, None);
        if close {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        return unrouted(response);
    }
    // A 2xx to CONNECT would open a tunnel: no process answers one.
    if method == Method::CONNECT {
        tracing::info!(method = %method, status = 501, "Refused request head");
        let problem = Problem::new(
            StatusCode::NOT_IMPLEMENTED,
            kind::NOT_IMPLEMENTED,
            "CONNECT is not served: flowgate opens no tunnels",
        );
        return unrouted(problem_response(&problem, wants_xml, None));
    }
    let path = match guard::normalize_target(request.uri()) {
        Ok(path) => path,
        Err(refusal) => {
            tracing::info!(method = %method, status = 400, reason = %refusal.detail, "Bad request target");
            let problem = Problem::new(StatusCode::BAD_REQUEST, kind::BAD_REQUEST, refusal.detail);
            return unrouted(problem_response(&problem, wants_xml, None));
        }
    };
    if path == STATUS_PATH {
        return status_response(&method, gateway.generation());
    }
    if let Some(version) = soap::endpoint(&path) {
        return serve_soap(&gateway, snapshot, version, request, peer, started).await;
    }
    if path == crate::contract::OPENAPI_PATH {
        let (parts, _) = request.into_parts();
        return unrouted(contract::openapi(&snapshot, &parts, &peer).await);
    }
    if method == Method::OPTIONS
        && let Some(origin) = request.headers().get(header::ORIGIN)
        && let Some(requested) = request.headers().get(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        let response = preflight(
            &snapshot,
            &path,
            origin,
            requested,
            &peer,
            request.headers(),
            wants_xml,
        );
        return unrouted(response);
    }
    let route = snapshot.routes.lookup(&method, &path);
    if !matches!(route, RouteMatch::NotFound)
        && let Some(token) = page_token(request.uri().query())
    {
        let routed = match &route {
            RouteMatch::Found { process, .. } => Some(*process),
            _ => None,
        };
        let (response, process) =
            serve_page(&gateway, &snapshot, &token, routed, request, &peer).await;
        match process.and_then(|id| snapshot.metrics(id)) {
            Some(metrics) => metrics.record(response.status().as_u16(), started.elapsed()),
            None => return unrouted(response),
        }
        return response;
    }
    let (response, process) = match route {
        RouteMatch::NotFound => {
            let problem = Problem::new(
                StatusCode::NOT_FOUND,
                kind::NOT_FOUND,
                format!("no route for `{path}`"),
            );
            tracing::info!(method = %method, status = 404, "No route");
            (problem_response(&problem, wants_xml, None), None)
        }
        RouteMatch::MethodNotAllowed { allow } => {
            tracing::info!(method = %method, status = 405, "Method not allowed");
            (method_not_allowed(&method, &allow, wants_xml), None)
        }
        RouteMatch::Found { process, params } => {
            let name = snapshot.process(process).name.clone();
            let limit = snapshot.settings.limits.max_concurrency;
            let cors = snapshot.process(process).access.cors.as_ref();
            let origin = cors.and_then(|_| request.headers().get(header::ORIGIN).cloned());
            let mut record = None;
            let mut response = match gateway.metrics().enter(limit) {
                Some(running) => {
                    let served = serve_process(
                        &gateway,
                        snapshot.clone(),
                        process,
                        params,
                        request,
                        peer,
                        started,
                        running,
                    )
                    .await;
                    tracing::info!(
                        process = %name,
                        status = served.response.status().as_u16(),
                        duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                        execution_id = served.execution_id.as_deref(),
                        user = served.user.as_deref(),
                        "Request"
                    );
                    record = served.recording.map(|recording| (recording, served.error));
                    served.response
                }
                None => {
                    let problem = overloaded_problem();
                    tracing::warn!(process = %name, status = 503, "Over max_concurrency");
                    let as_xml =
                        prefers_xml(request.headers(), snapshot.process(process).reads_xml());
                    let mut response = problem_response(&problem, as_xml, None);
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                    response
                }
            };
            if let Some(cors) = cors {
                cors.decorate(origin.as_ref(), response.headers_mut());
            }
            if let Some((recording, error)) = record {
                record_answer(recording, &response, error);
            }
            (response, Some(process))
        }
    };
    let status = response.status().as_u16();
    match process.and_then(|id| snapshot.metrics(id)) {
        Some(metrics) => metrics.record(status, started.elapsed()),
        None => gateway
            .metrics()
            .unrouted()
            .record(status, started.elapsed()),
    }
    response
}

/// A SOAP request: concurrency, the endpoint, then the log line and the
/// metrics, as for a routed request.
async fn serve_soap<B>(
    gateway: &Gateway,
    snapshot: Arc<Snapshot>,
    version: crate::soap::Version,
    request: Request<B>,
    peer: Peer,
    started: Instant,
) -> Response<Body>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    // The WSDL is a document, like OpenAPI's: served whatever runs.
    let method = request.method();
    if (method == Method::GET || method == Method::HEAD)
        && soap::asks_for_wsdl(request.uri().query())
    {
        let (parts, _) = request.into_parts();
        let response = soap::wsdl(&snapshot, &parts, &peer).await;
        gateway
            .metrics()
            .unrouted()
            .record(response.status().as_u16(), started.elapsed());
        return response;
    }
    let limit = snapshot.settings.limits.max_concurrency;
    let Some(running) = gateway.metrics().enter(limit) else {
        tracing::warn!(status = 503, "Over max_concurrency");
        let mut response = soap::overloaded(version, &overloaded_problem());
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        gateway
            .metrics()
            .unrouted()
            .record(response.status().as_u16(), started.elapsed());
        return response;
    };
    let soap::SoapServed { served, process } = soap::serve(
        gateway,
        snapshot.clone(),
        version,
        request,
        peer,
        started,
        running,
    )
    .await;
    let status = served.response.status().as_u16();
    let name = process.map(|id| snapshot.process(id).name.clone());
    tracing::info!(
        process = name.as_deref(),
        endpoint = version.path(),
        status,
        duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        execution_id = served.execution_id.as_deref(),
        user = served.user.as_deref(),
        "Request"
    );
    match process.and_then(|id| snapshot.metrics(id)) {
        Some(metrics) => metrics.record(status, started.elapsed()),
        None => gateway
            .metrics()
            .unrouted()
            .record(status, started.elapsed()),
    }
    if let Some(recording) = served.recording {
        record_answer(recording, &served.response, served.error);
    }
    served.response
}

/// What serving a process gave: the response, for the log line the
/// execution id and the user, and the execution's record to finish.
pub(super) struct Served {
    pub response: Response<Body>,
    pub execution_id: Option<Arc<str>>,
    pub user: Option<Arc<str>>,
    /// Finished with the response once it is final (CORS headers and all).
    pub recording: Option<Recording>,
    /// Why the request failed, for the record (only when recording).
    pub error: Option<String>,
}

impl Served {
    pub fn early(response: Response<Body>) -> Served {
        Served {
            response,
            execution_id: None,
            user: None,
            recording: None,
            error: None,
        }
    }
}

/// Finishes an execution's record with the answer: its status and body.
pub(super) fn record_answer(
    recording: Recording,
    response: &Response<Body>,
    error: Option<String>,
) {
    use futures_util::FutureExt as _;
    use http_body_util::BodyExt as _;
    // A `Full` body is one frame that is ready at once; its clone shares the bytes.
    let body = response
        .body()
        .clone()
        .frame()
        .now_or_never()
        .flatten()
        .and_then(|frame| frame.ok())
        .and_then(|frame| frame.into_data().ok())
        .unwrap_or_default();
    let output = (!body.is_empty()).then(|| {
        let media_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream");
        RecordedBody::cut(media_type, &body, recording.max_document_bytes())
    });
    recording.finish(response.status().as_u16(), error, output);
}

/// Starts the record of an execution, when its process is recorded.
pub(super) fn begin_recording(
    gateway: &Gateway,
    snapshot: &Snapshot,
    process: &Process,
    execution_id: &Arc<str>,
    user: Option<&Arc<str>>,
    parts: &http::request::Parts,
    started: Instant,
) -> Option<Recording> {
    gateway.recorder()?.begin(Start {
        settings: &snapshot.settings.executions,
        process,
        id: execution_id,
        user,
        headers: &parts.headers,
        method: &parts.method,
        path: parts.uri.path(),
        started,
    })
}

/// The request body, in the record.
pub(super) fn record_input(
    recording: &mut Option<Recording>,
    headers: &http::HeaderMap,
    body: &Bytes,
) {
    if let Some(recording) = recording {
        let media_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream");
        recording.input(media_type, body);
    }
}

#[allow(clippy::too_many_arguments)]
async fn serve_process<B>(
    gateway: &Gateway,
    snapshot: Arc<Snapshot>,
    id: ProcessId,
    params: Vec<(String, String)>,
    request: Request<B>,
    peer: Peer,
    started: Instant,
    running: ActiveGuard,
) -> Served
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let process = snapshot.process(id);
    let Some(listen) = &process.listen else {
        // Only processes with a listen block have routes.
        let problem = Problem::new(StatusCode::NOT_FOUND, kind::NOT_FOUND, "no route");
        return Served::early(problem_response(&problem, false, None));
    };
    let (parts, body) = request.into_parts();
    let wants_xml = prefers_xml(&parts.headers, listen.input.is_xml());

    let via_simple = parts.uri.path().starts_with(crate::routes::SIMPLE_PREFIX);
    if let Some(response) = check_method(process, via_simple, &parts.method, wants_xml) {
        return Served::early(response);
    }

    let admitted = match admit(&snapshot, process, &parts.headers, &peer).await {
        Ok(admitted) => admitted,
        Err(refused) => {
            return Served {
                user: refused.user,
                ..Served::early(denied(refused.denial, process.access.auth, wants_xml))
            };
        }
    };
    let mut body = std::pin::pin!(body);
    if !listen.takes_body() && matches!(parts.method, Method::POST | Method::PUT) {
        let limits = &snapshot.settings.limits;
        match input::body_is_empty(&parts.headers, body.as_mut(), limits).await {
            Ok(true) => {}
            Ok(false) => {
                let allow = no_input_methods(&snapshot, &parts, via_simple);
                return Served::early(unexpected_body(&parts.method, &allow, wants_xml));
            }
            Err(unread) => return Served::early(unread_response(unread, wants_xml, None)),
        }
    }
    let user = admitted.user.clone();

    let execution_id = super::new_execution_id();
    let mut recording = begin_recording(
        gateway,
        &snapshot,
        process,
        &execution_id,
        user.as_ref(),
        &parts,
        started,
    );
    let recorded = recording.is_some();
    let limits = snapshot.settings.limits;
    let fail_with = |problem: Problem, error: String| {
        let problem = problem.with_execution_id(Some(&execution_id));
        Served {
            response: problem_response(&problem, wants_xml, Some(&execution_id)),
            execution_id: Some(execution_id.clone()),
            user: user.clone(),
            recording: None,
            error: recorded.then_some(error),
        }
    };
    let fail = |problem: Problem| {
        let error = problem.summary();
        fail_with(problem, error)
    };

    let served = 'run: {
        let batch = if listen.takes_body() {
            if let Err(problem) = input::check_content_type(&parts.headers, listen.input) {
                break 'run fail(problem);
            }
            let bytes = match input::read_body(&parts.headers, body.as_mut(), &limits).await {
                Ok(bytes) => bytes,
                Err(input::Unread::Refused(problem)) => break 'run fail(problem),
                Err(unread @ input::Unread::Broken(_)) => {
                    // Nothing reached the process: no execution to record.
                    recording = None;
                    break 'run Served::early(unread_response(unread, wants_xml, None));
                }
            };
            record_input(&mut recording, &parts.headers, &bytes);
            match input::decode(
                listen.input,
                &parts.headers,
                bytes,
                listen.request_profile.as_ref(),
                &limits.parse,
                process.reads_documents,
            ) {
                Ok(batch) => batch,
                Err(problem) => break 'run fail(problem),
            }
        } else {
            vec![crate::doc::Document::empty()]
        };

        let path = parts.uri.path().to_owned();
        let request_info = admitted.request_info(parts, params);
        let execution = execution_for(
            &snapshot,
            &execution_id,
            request_info,
            recording.as_ref(),
            &peer,
        );

        if listen.output == crate::config::raw::DocType::None {
            let run = Detached {
                process,
                id,
                batch,
                timeout: limits.request_timeout,
                recording: recording.take(),
                running,
            };
            break 'run accept(execution, run, user.clone(), &peer).await;
        }

        let returned = match execute(&execution, process, id, batch, limits.request_timeout).await {
            Ok(returned) => returned,
            Err(failure) => break 'run fail_with(failure.problem, failure.error),
        };
        let paging = Paging {
            store: gateway.pages(),
            owner: Owner {
                path,
                process: process.name.clone(),
                user: user.clone(),
                execution_id: execution_id.clone(),
            },
        };
        match output::encode(listen, returned, &limits.parse, Some(paging)) {
            Ok(encoded) => {
                let mut response = Response::new(Body::new(encoded.body));
                *response.status_mut() = encoded.status;
                *response.headers_mut() = encoded.headers;
                set_execution_id(&mut response, &execution_id);
                Served {
                    response,
                    execution_id: Some(execution_id.clone()),
                    user: user.clone(),
                    recording: None,
                    error: None,
                }
            }
            Err(err) => {
                tracing::error!(process = %process.name, execution_id = %execution_id, error = %err, "Process output cannot be sent");
                fail(failed_problem())
            }
        }
    };
    Served {
        recording,
        ..served
    }
}

/// A caller that access let in.
pub(super) struct Admitted {
    pub user: Option<Arc<str>>,
    pub remote_ip: std::net::IpAddr,
}

impl Admitted {
    /// What templates see as `request`.
    pub fn request_info(
        &self,
        parts: http::request::Parts,
        params: Vec<(String, String)>,
    ) -> Arc<RequestInfo> {
        let mut info = RequestInfo::new(parts, params, self.remote_ip);
        info.user = self.user.clone();
        Arc::new(info)
    }
}

/// The access checks of SPEC §4 for `process`: who the caller is, then its
/// address and permission. A refusal is logged.
pub(super) async fn admit(
    snapshot: &Snapshot,
    process: &Process,
    headers: &http::HeaderMap,
    peer: &Peer,
) -> Result<Admitted, Refused> {
    check_access(snapshot, process, headers, peer)
        .await
        .inspect_err(|refused| {
            tracing::info!(process = %process.name, user = refused.user.as_deref(), reason = %refused.denial, "Access denied");
        })
}

/// Why a request may not run its process, and who asked when that is
/// known (signed in, but not allowed): the request's log line names them.
pub(super) struct Refused {
    pub denial: Denial,
    pub user: Option<Arc<str>>,
}

impl From<Denial> for Refused {
    fn from(denial: Denial) -> Refused {
        Refused { denial, user: None }
    }
}

/// The client's address: the socket peer, or the rightmost untrusted hop of
/// `X-Forwarded-For` behind the snapshot's trusted proxies.
fn remote_ip(
    snapshot: &Snapshot,
    headers: &http::HeaderMap,
    peer: &Peer,
) -> Result<std::net::IpAddr, Denial> {
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(HeaderValue::as_bytes);
    client_ip(
        peer.addr.ip(),
        forwarded,
        &snapshot.settings.trusted_proxies,
    )
    .map_err(Denial::Unreadable)
}

/// [`admit`] without the log line, for asking which routes a caller may use.
pub(super) async fn check_access(
    snapshot: &Snapshot,
    process: &Process,
    headers: &http::HeaderMap,
    peer: &Peer,
) -> Result<Admitted, Refused> {
    let remote_ip = remote_ip(snapshot, headers, peer)?;
    let access = &process.access;
    let users = &snapshot.users;
    let acting_as = peer.in_process.as_ref().and_then(|c| c.user.as_deref());
    let authenticated = match acting_as {
        Some(name) => access.authenticate_as(users, name),
        None => {
            access
                .authenticate(users, headers, peer.certificate.as_deref())
                .await
        }
    };
    let user = authenticated?;
    let name = user.map(|id| users.get(id).name.clone());
    match access.authorize(users, user, remote_ip, &process.name) {
        Ok(()) => Ok(Admitted {
            user: name,
            remote_ip,
        }),
        Err(denial) => Err(Refused { denial, user: name }),
    }
}

/// A process that ended without an answer: the problem the client gets,
/// and for the execution's record what ended it, in full.
pub(super) struct Failure {
    pub problem: Problem,
    /// The error that ended the execution: a failed step's whole detail
    /// (more than the client is told), or the timeout that stopped it. Not
    /// an error some step had before, such as one a `try` caught.
    pub error: String,
}

/// Runs a process to its end within `timeout`; a failure as the problem
/// the client gets (the detail of a failed step goes to the log).
pub(super) async fn execute(
    execution: &Execution,
    process: &Process,
    id: ProcessId,
    batch: Vec<crate::doc::Document>,
    timeout: std::time::Duration,
) -> Result<crate::pipeline::Returned, Failure> {
    match within(timeout, execution.run(id, batch)).await {
        Some(Ok(returned)) => Ok(returned),
        Some(Err(err)) => {
            log_failure(&process.name, &execution.id, &err);
            Err(Failure {
                problem: exec_problem(&err),
                error: err.to_string(),
            })
        }
        None => {
            tracing::warn!(process = %process.name, execution_id = %execution.id, "Process ran past request_timeout");
            let problem = timeout_problem(timeout);
            let error = problem.summary();
            Err(Failure { problem, error })
        }
    }
}

/// The execution of an admitted request: traced when it is recorded,
/// equipped with stubs and a trace when the caller is inside this process.
pub(super) fn execution_for(
    snapshot: &Arc<Snapshot>,
    execution_id: &Arc<str>,
    request_info: Arc<RequestInfo>,
    recording: Option<&Recording>,
    peer: &Peer,
) -> Execution {
    let mut execution = Execution::new(snapshot.clone(), execution_id.clone(), request_info);
    if let Some(recording) = recording {
        execution = execution.with_trace(recording.trace());
    }
    peer.execution(execution)
}

/// A process of output `none`, to run after its caller is answered.
pub(super) struct Detached<'a> {
    pub process: &'a Process,
    pub id: ProcessId,
    pub batch: Vec<crate::doc::Document>,
    pub timeout: std::time::Duration,
    pub recording: Option<Recording>,
    /// Its place among `max_concurrency`, held until the process ends.
    pub running: ActiveGuard,
}

/// Output `none`: starts the process (see [`start`]) and answers 202; the
/// record, if any, is finished when the process ends.
pub(super) async fn accept(
    execution: Execution,
    run: Detached<'_>,
    user: Option<Arc<str>>,
    peer: &Peer,
) -> Served {
    let execution_id = execution.id.clone();
    start(execution, run, peer).await;
    let mut response = Response::new(Body::default());
    *response.status_mut() = StatusCode::ACCEPTED;
    set_execution_id(&mut response, &execution_id);
    Served {
        response,
        execution_id: Some(execution_id),
        user,
        recording: None,
        error: None,
    }
}

/// Output `none`: the caller is answered at once, and the process runs on
/// (still bounded by `timeout`); its record, if any, is finished when it
/// ends, with the 202 the caller got and what went wrong after. A caller
/// inside this process (a test) waits for the end instead.
async fn start(execution: Execution, detached: Detached<'_>, peer: &Peer) {
    let Detached {
        process,
        id,
        batch,
        timeout,
        recording,
        running,
    } = detached;
    let name = process.name.clone();
    let run = run_to_end(execution, name, id, batch, timeout, recording);
    // Boxed: held here by value, it would make the future of every request
    // (most of which never come this way) as large as its own.
    let run = Box::pin(async move {
        run.await;
        drop(running);
    });
    if peer.in_process.is_some() {
        // A test waits for the process, so its trace is complete; the
        // caller gets 202 either way.
        run.await;
    } else {
        tokio::spawn(run);
    }
}

/// Runs a process whose caller was answered already, bounded by
/// `timeout`: a failure goes to the log and the execution's record.
async fn run_to_end(
    execution: Execution,
    name: Arc<str>,
    id: ProcessId,
    batch: Vec<crate::doc::Document>,
    timeout: std::time::Duration,
    recording: Option<Recording>,
) {
    let error = match tokio::time::timeout(timeout, execution.run(id, batch)).await {
        Ok(Ok(_)) => None,
        Ok(Err(err)) => {
            log_failure(&name, &execution.id, &err);
            Some(err.to_string())
        }
        Err(_) => {
            tracing::warn!(process = %name, execution_id = %execution.id, "Process ran past request_timeout");
            Some(format!(
                "the process did not finish within {}",
                crate::units::HumanDuration(timeout)
            ))
        }
    };
    drop(execution);
    if let Some(recording) = recording {
        recording.finish(StatusCode::ACCEPTED.as_u16(), error, None);
    }
}

/// A refusal by the access rules as a 401 or 403.
fn denied(denial: Denial, auth: AuthMethods, wants_xml: bool) -> Response<Body> {
    let problem = denial_problem(denial);
    let mut response = problem_response(&problem, wants_xml, None);
    challenge(&mut response, auth);
    response
}

/// A refusal by the access rules as the problem the client gets: 401 or 403.
pub(super) fn denial_problem(denial: Denial) -> Problem {
    match denial {
        Denial::Unauthenticated(detail) => {
            Problem::new(StatusCode::UNAUTHORIZED, kind::UNAUTHENTICATED, detail)
        }
        Denial::Address(detail) => {
            Problem::new(StatusCode::FORBIDDEN, kind::FORBIDDEN_ADDRESS, detail)
        }
        Denial::Forbidden(detail) => Problem::new(StatusCode::FORBIDDEN, kind::FORBIDDEN, detail),
        Denial::Unreadable(hop) => {
            Problem::new(StatusCode::BAD_REQUEST, kind::BAD_REQUEST, hop.to_string())
        }
    }
}

/// A 401 names the schemes the route takes that a client can answer:
/// `Basic` for basic, `Bearer` for tokens (RFC 6750; the same tokens go in
/// `X-API-Key`). A client certificate is asked for in the handshake, not here.
pub(super) fn challenge(response: &mut Response<Body>, auth: AuthMethods) {
    if response.status() != StatusCode::UNAUTHORIZED {
        return;
    }
    let headers = response.headers_mut();
    if auth.basic {
        headers.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"flowgate\""),
        );
    }
    if auth.token {
        headers.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"flowgate\""),
        );
    }
}

/// More than `max_concurrency` requests are running.
fn overloaded_problem() -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        kind::OVERLOADED,
        "too many requests are running; try again shortly",
    )
}

/// Answers a CORS preflight for the route that `Access-Control-Request-Method`
/// would reach; never runs a process, never asks for credentials.
fn preflight(
    snapshot: &Snapshot,
    path: &str,
    origin: &HeaderValue,
    requested: &HeaderValue,
    peer: &Peer,
    headers: &http::HeaderMap,
    wants_xml: bool,
) -> Response<Body> {
    let refused = |detail: String| {
        tracing::info!(status = 403, reason = %detail, "Preflight refused");
        let problem = Problem::new(StatusCode::FORBIDDEN, kind::CORS_REFUSED, detail);
        problem_response(&problem, wants_xml, None)
    };
    let Ok(method) = Method::from_bytes(requested.as_bytes()) else {
        return refused("Access-Control-Request-Method is not a method".to_owned());
    };
    let id = match snapshot.routes.lookup(&method, path) {
        RouteMatch::Found { process, .. } => process,
        RouteMatch::NotFound => {
            let problem = Problem::new(
                StatusCode::NOT_FOUND,
                kind::NOT_FOUND,
                format!("no route for `{path}`"),
            );
            return problem_response(&problem, wants_xml, None);
        }
        RouteMatch::MethodNotAllowed { allow } => {
            let allow: Vec<&str> = allow.iter().map(Method::as_str).collect();
            return refused(format!(
                "{method} is not a method of this route; it takes {}",
                allow.join(", ")
            ));
        }
    };
    let access = &snapshot.process(id).access;
    let Some(cors) = &access.cors else {
        return refused(
            "this route does not take requests from browsers of other origins".to_owned(),
        );
    };
    let remote_ip = match remote_ip(snapshot, headers, peer) {
        Ok(remote_ip) => remote_ip,
        Err(denial) => return denied(denial, access.auth, wants_xml),
    };
    if access
        .allow_ips
        .as_ref()
        .is_some_and(|nets| !nets.contains(remote_ip))
    {
        return denied(
            Denial::Address(format!("the address {remote_ip} may not use this route")),
            access.auth,
            wants_xml,
        );
    }
    let Ok(origin) = origin.to_str() else {
        return refused("the Origin header is not readable".to_owned());
    };
    let requested_headers: Vec<&str> = headers
        .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .iter()
        .map(|v| v.to_str().unwrap_or("\u{FFFD}"))
        .collect();
    match cors.preflight(origin, &method, &requested_headers.join(",")) {
        Ok(cors_headers) => {
            let mut response = Response::new(Body::default());
            *response.status_mut() = StatusCode::NO_CONTENT;
            response.headers_mut().extend(cors_headers);
            response
                .headers_mut()
                .append(header::VARY, HeaderValue::from_static("origin"));
            response
        }
        Err(detail) => refused(detail),
    }
}

/// The `page_token` of a next-page link, if the query has one.
fn page_token(query: Option<&str>) -> Option<String> {
    let query = query.filter(|q| q.contains(pages::TOKEN_PARAM))?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == pages::TOKEN_PARAM)
        .map(|(_, value)| value.into_owned())
}

/// Answers a next-page link from the page store, without running anything.
/// A request that follows a next-page link. It is a GET (or a HEAD, which
/// leaves the token) to the route that gave the first page, by the caller
/// it gave it to: the route's access checks run again before the token is
/// taken, so a leaked link gives nothing to anyone else. Answers with the process the token belongs to,
/// when it is still served. `routed` is the process the request's method
/// and path lead to, if any: its input type picks the problem format of a
/// token that is gone.
async fn serve_page<B>(
    gateway: &Gateway,
    snapshot: &Snapshot,
    token: &str,
    routed: Option<ProcessId>,
    request: Request<B>,
    peer: &Peer,
) -> (Response<Body>, Option<ProcessId>) {
    let path = request.uri().path();
    let headers = request.headers();
    let gone = |gone: &dyn std::fmt::Display, xml_route: bool| {
        let problem = Problem::new(StatusCode::GONE, kind::PAGE_GONE, gone.to_string());
        problem_response(&problem, prefers_xml(headers, xml_route), None)
    };
    let xml_route = routed.is_some_and(|id| snapshot.process(id).reads_xml());
    // Only a GET or HEAD follows a link, whatever the token: a POST with
    // one is 405 whether or not the token is still good.
    let method = request.method();
    if method != Method::GET && method != Method::HEAD {
        let allow = [Method::GET, Method::HEAD];
        let wants_xml = prefers_xml(headers, xml_route);
        return (method_not_allowed(method, &allow, wants_xml), routed);
    }
    let owner = match gateway.pages().owner(token, path) {
        Ok(owner) => owner,
        Err(err) => return (gone(&err, xml_route), routed),
    };
    let served = snapshot
        .process_by_name(&owner.process)
        .filter(|&id| snapshot.process(id).listen.is_some());
    let Some(id) = served else {
        let detail = format!(
            "the process `{}` that answered the first page is no longer served",
            owner.process
        );
        return (gone(&detail, false), None);
    };
    let process = snapshot.process(id);
    let wants_xml = prefers_xml(headers, process.reads_xml());
    let admitted = match admit(snapshot, process, request.headers(), peer).await {
        Ok(admitted) => admitted,
        Err(refused) => {
            return (
                denied(refused.denial, process.access.auth, wants_xml),
                Some(id),
            );
        }
    };
    if admitted.user != owner.user {
        tracing::info!(process = %process.name, "Access denied: a page token of another caller");
        let problem = Problem::new(
            StatusCode::FORBIDDEN,
            kind::FORBIDDEN,
            "the page token was given to another caller",
        );
        return (problem_response(&problem, wants_xml, None), Some(id));
    }
    // A HEAD gets the head of the page a GET would get, and leaves the
    // token for that GET (RFC 9110 §9.2.1: HEAD is safe).
    let head = request.method() == Method::HEAD;
    let pending = if head {
        gateway.pages().peek(token, path)
    } else {
        gateway.pages().take(token, path)
    };
    let pending = match pending {
        Ok(pending) => pending,
        // Taken by a request that came in meanwhile.
        Err(err) => return (gone(&err, process.reads_xml()), Some(id)),
    };
    let store = (!head).then(|| gateway.pages());
    let mut response = match output::next_page(pending, store) {
        Ok(encoded) => {
            let mut response = Response::new(Body::new(encoded.body));
            *response.status_mut() = encoded.status;
            *response.headers_mut() = encoded.headers;
            response
        }
        Err(err) => {
            tracing::error!(process = %process.name, execution_id = %owner.execution_id, error = %err, "Next page cannot be sent");
            problem_response(&failed_problem(), wants_xml, Some(&owner.execution_id))
        }
    };
    set_execution_id(&mut response, &owner.execution_id);
    (response, Some(id))
}

/// Runs `future` for at most `limit`; `None` when time ran out. Most
/// processes (and bodies) finish on their first poll, and those never arm
/// a timer.
pub(super) async fn within<F: std::future::Future>(
    limit: std::time::Duration,
    future: F,
) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(future.as_mut().poll(cx))).await;
    match first {
        std::task::Poll::Ready(output) => Some(output),
        std::task::Poll::Pending => tokio::time::timeout(limit, future).await.ok(),
    }
}

/// Which methods a route takes beyond its match: a body-taking process wants
/// POST, PUT or PATCH on its simple URL. Checked before access, like the
/// method a REST route matched.
fn check_method(
    process: &Process,
    via_simple: bool,
    method: &Method,
    wants_xml: bool,
) -> Option<Response<Body>> {
    let listen = process.listen.as_ref()?;
    // A REST route's method was matched already; compile refuses GET and DELETE with a body.
    if listen.takes_body()
        && via_simple
        && !matches!(*method, Method::POST | Method::PUT | Method::PATCH)
    {
        return Some(method_not_allowed(
            method,
            &[Method::POST, Method::PUT, Method::PATCH],
            wants_xml,
        ));
    }
    None
}

/// The methods on the URL of a process that takes no input, for the
/// `Allow` of its 405 to a POST or PUT with a body (SPEC §2.1): the simple
/// URL serves any method, and these are the ones docs/processes.md names;
/// a REST path serves the methods of its routes. The methods a body is
/// refused on are listed too: they are served without one.
fn no_input_methods(
    snapshot: &Snapshot,
    parts: &http::request::Parts,
    via_simple: bool,
) -> Vec<Method> {
    if via_simple {
        return vec![
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ];
    }
    // Routed by this path already, so it normalizes.
    guard::normalize_path(parts.uri.path())
        .map(|path| snapshot.routes.methods(&path))
        .unwrap_or_default()
}

/// A body sent to a process that takes none, with a POST or PUT (the
/// other methods ignore a body). Checked once the caller is admitted, so
/// the answer tells an outsider nothing about the route.
fn unexpected_body(method: &Method, allow: &[Method], wants_xml: bool) -> Response<Body> {
    let problem = Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        kind::UNEXPECTED_BODY,
        format!("this route takes no input; send the {method} without a body"),
    );
    let mut response = problem_response(&problem, wants_xml, None);
    let list = allow
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if let Ok(value) = HeaderValue::from_str(&list) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// The answer to a body that was not taken. One the HTTP layer could not
/// read (broken chunked framing) closes the connection: hyper gives it up,
/// and the client should know not to send another request down it.
pub(super) fn unread_response(
    unread: input::Unread,
    as_xml: bool,
    execution_id: Option<&str>,
) -> Response<Body> {
    match unread {
        input::Unread::Refused(problem) => problem_response(&problem, as_xml, execution_id),
        input::Unread::Broken(problem) => {
            tracing::info!(status = 400, reason = %problem.detail, "Body could not be read");
            let mut response = problem_response(&problem, as_xml, execution_id);
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

fn exec_problem(err: &ExecError) -> Problem {
    match err {
        ExecError::Exception {
            status, message, ..
        } => Problem::new(*status, kind::PROCESS_EXCEPTION, message.clone()),
        ExecError::Step { .. } => failed_problem(),
        ExecError::Upstream { error, .. } => {
            let kind = match error {
                CallError::Timeout { .. } => kind::UPSTREAM_TIMEOUT,
                _ => kind::UPSTREAM_FAILED,
            };
            Problem::new(error.status(), kind, err.to_string())
        }
        ExecError::TimedOut { timeout, .. } => timeout_problem(*timeout),
    }
}

fn timeout_problem(timeout: std::time::Duration) -> Problem {
    Problem::new(
        StatusCode::GATEWAY_TIMEOUT,
        kind::TIMEOUT,
        format!(
            "the process did not finish within {}",
            crate::units::HumanDuration(timeout)
        ),
    )
}

pub(super) fn failed_problem() -> Problem {
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        kind::PROCESS_FAILED,
        "the process failed; the server log has the detail under this execution id",
    )
}

fn log_failure(process: &str, execution_id: &str, err: &ExecError) {
    let site = err.site();
    match err {
        ExecError::Exception {
            status, message, ..
        } => tracing::info!(
            process, execution_id, file = %site.file, step = %site.path, line = site.line, status = status.as_u16(), reason = %message,
            "Process raised an exception"
        ),
        ExecError::Step { detail, .. } => tracing::error!(
            process, execution_id, file = %site.file, step = %site.path, line = site.line, error = %detail,
            "Process step failed"
        ),
        ExecError::Upstream {
            upstream, error, ..
        } => tracing::warn!(
            process, execution_id, file = %site.file, step = %site.path, line = site.line, upstream = %upstream,
            status = error.status().as_u16(), reason = %error, detail = error.detail(),
            "Upstream call failed"
        ),
        ExecError::TimedOut { .. } => tracing::warn!(
            process, execution_id, file = %site.file, step = %site.path, line = site.line,
            "Process ran past request_timeout"
        ),
    }
}

pub(super) fn set_execution_id(response: &mut Response<Body>, id: &str) {
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert(EXECUTION_ID, value);
    }
}

pub fn problem_response(
    problem: &Problem,
    as_xml: bool,
    execution_id: Option<&str>,
) -> Response<Body> {
    let (content_type, body) = problem.render(as_xml);
    let mut response = Response::new(Body::new(body));
    *response.status_mut() = problem.status();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    // A body refused as too large or too slow was not read to its end, so
    // the connection cannot carry another request: say so, or a client
    // would send its next one down a connection that is closing.
    if matches!(
        problem.status(),
        StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT
    ) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if let Some(id) = execution_id {
        set_execution_id(&mut response, id);
    }
    response
}

pub(super) fn method_not_allowed(
    method: &Method,
    allow: &[Method],
    as_xml: bool,
) -> Response<Body> {
    let list = allow
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let problem = Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        kind::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed here; use {list}"),
    );
    let mut response = problem_response(&problem, as_xml, None);
    if let Ok(value) = HeaderValue::from_str(&list) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// A gateway serves only once a snapshot is live, so its status is always ok.
fn status_response(method: &Method, generation: u64) -> Response<Body> {
    if *method != Method::GET && *method != Method::HEAD {
        return method_not_allowed(method, &[Method::GET, Method::HEAD], false);
    }
    let body = format!(r#"{{"status":"ok","generation":{generation}}}"#);
    let mut response = Response::new(Body::new(Bytes::from(body)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
