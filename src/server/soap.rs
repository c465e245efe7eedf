//! `POST /ws/soap` (SOAP 1.1) and `POST /ws/soap12` (SOAP 1.2).
//!
//! The endpoint reads the envelope, finds the `soap: true` process the
//! Body's wrapper names, and then does what a simple URL does: the access
//! checks of SPEC §4, the request profile, the process, the response
//! profile. Only the envelope around it is SOAP's.
//!
//! Every error is a fault, with the problem document the other URLs would
//! send as its detail. Faults are HTTP 500 (WS-I Basic Profile), with two
//! exceptions an HTTP client must be able to act on: missing or wrong
//! credentials are a 401 (with `WWW-Authenticate` where basic is allowed),
//! and a content type of the other version is a 415.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};

use super::contract;
use super::dispatch::{
    Body, Detached, Served, accept, admit, begin_recording, challenge, denial_problem, execute,
    execution_for, failed_problem, method_not_allowed, record_input, set_execution_id,
};
use super::input;
use super::output;
use super::problem::{Problem, kind};
use super::{Gateway, Peer};
use crate::access::Denial;
use crate::config::raw::DocType;
use crate::contract::{list_element, response_wrapper};
use crate::snapshot::{Listen, ProcessId, Snapshot};
use crate::soap::{self, EnvelopeError, Fault, FaultCode, QName, Version};

/// What a SOAP request came to, for the log line and the metrics.
pub(super) struct SoapServed {
    pub served: Served,
    /// The operation's process, once the envelope named one.
    pub process: Option<ProcessId>,
}

impl SoapServed {
    fn unrouted(response: Response<Body>) -> SoapServed {
        SoapServed {
            served: Served::early(response),
            process: None,
        }
    }
}

/// The SOAP endpoint of `path`, if it is one.
pub(super) fn endpoint(path: &str) -> Option<Version> {
    match path {
        crate::contract::SOAP11_PATH => Some(Version::Soap11),
        crate::contract::SOAP12_PATH => Some(Version::Soap12),
        _ => None,
    }
}

pub(super) async fn serve<B>(
    gateway: &Gateway,
    snapshot: Arc<Snapshot>,
    version: Version,
    request: Request<B>,
    peer: Peer,
    started: Instant,
) -> SoapServed
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = request.into_parts();
    let is_get = parts.method == Method::GET || parts.method == Method::HEAD;
    if is_get && asks_for_wsdl(parts.uri.query()) {
        return SoapServed::unrouted(wsdl(&snapshot, &parts, &peer).await);
    }
    if parts.method != Method::POST {
        let allow = [Method::GET, Method::POST];
        return SoapServed::unrouted(method_not_allowed(&parts.method, &allow, true));
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !version.accepts(content_type) {
        let problem = Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            kind::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "this endpoint takes `{}` envelopes; the request is `{content_type}`",
                version.media_type()
            ),
        );
        return SoapServed::unrouted(fault(version, &problem, None));
    }
    let limits = snapshot.settings.limits;
    let bytes = match input::read_body(&parts.headers, body, limits.max_body).await {
        Ok(bytes) => bytes,
        Err(problem) => return SoapServed::unrouted(fault(version, &problem, None)),
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        let problem = client_problem("the envelope is not UTF-8");
        return SoapServed::unrouted(fault(version, &problem, None));
    };
    let envelope = match soap::read_envelope(text, version, &limits.parse.xml()) {
        Ok(envelope) => envelope,
        Err(err) => return SoapServed::unrouted(envelope_fault(version, err)),
    };
    let Some(id) = operation(&snapshot, &envelope.operation) else {
        let problem = client_problem(format!(
            "there is no SOAP operation `{}`; operations are elements in `{}` (the WSDL at {}?wsdl lists them)",
            envelope.operation,
            snapshot.settings.soap_namespace,
            version.path()
        ));
        return SoapServed::unrouted(fault(version, &problem, None));
    };
    let process = snapshot.process(id);
    let Some(listen) = process.listen.as_ref() else {
        return SoapServed::unrouted(fault(version, &failed_problem(), None));
    };
    let routed = |served: Served| SoapServed {
        served,
        process: Some(id),
    };

    let admitted = match admit(&snapshot, process, &parts.headers, &peer).await {
        Ok(admitted) => admitted,
        Err(denial) => {
            return routed(Served::early(denied(
                version,
                denial,
                process.access.auth.basic,
            )));
        }
    };
    let user = admitted.user.clone();
    let execution_id: Arc<str> = uuid::Uuid::now_v7().to_string().into();
    let mut recording = begin_recording(
        gateway,
        &snapshot,
        process,
        &execution_id,
        user.as_ref(),
        &parts,
        started,
    );
    record_input(&mut recording, &parts.headers, &bytes);
    let recorded = recording.is_some();
    let fail = |problem: Problem| {
        let problem = problem.with_execution_id(Some(&execution_id));
        routed(Served {
            response: fault(version, &problem, Some(&execution_id)),
            execution_id: Some(execution_id.clone()),
            user: user.clone(),
            recording: None,
            error: recorded.then(|| problem.summary()),
        })
    };

    let mut soap_served = 'run: {
        let batch = match batch(listen, envelope.payload, &snapshot) {
            Ok(batch) => batch,
            Err(problem) => break 'run fail(problem),
        };
        let request_info = admitted.request_info(parts, Vec::new());
        let execution = execution_for(
            &snapshot,
            &execution_id,
            request_info,
            recording.as_ref(),
            &peer,
        );
        if listen.output == DocType::None {
            let run = Detached {
                process,
                id,
                batch,
                timeout: limits.request_timeout,
                recording: recording.take(),
            };
            break 'run routed(accept(execution, run, user.clone(), &peer).await);
        }
        let returned = match execute(&execution, process, id, batch, limits.request_timeout).await {
            Ok(returned) => returned,
            Err(problem) => break 'run fail(problem),
        };
        let documents = match output::xml_documents(listen, returned, &limits.parse) {
            Ok(documents) => documents,
            Err(err) => {
                tracing::error!(process = %process.name, execution_id = %execution_id, error = %err, "Process output cannot be sent");
                break 'run fail(failed_problem());
            }
        };
        let texts: Vec<std::borrow::Cow<'_, str>> = documents
            .iter()
            .map(|doc| String::from_utf8_lossy(doc))
            .collect();
        let texts: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
        let list = (listen.output == DocType::XmlList).then(|| list_element(listen));
        let envelope = soap::response_envelope(
            version,
            &snapshot.settings.soap_namespace,
            &response_wrapper(listen),
            list.as_deref(),
            &texts,
        );
        let mut response = Response::new(Body::new(Bytes::from(envelope)));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(version.content_type()),
        );
        set_execution_id(&mut response, &execution_id);
        routed(Served {
            response,
            execution_id: Some(execution_id.clone()),
            user: user.clone(),
            recording: None,
            error: None,
        })
    };
    soap_served.served.recording = recording;
    soap_served
}

/// `?wsdl` (any value: flowgate writes one file with the schemas inline).
fn asks_for_wsdl(query: Option<&str>) -> bool {
    query.is_some_and(|query| {
        query.split('&').any(|pair| {
            pair.split('=')
                .next()
                .is_some_and(|key| key.eq_ignore_ascii_case("wsdl"))
        })
    })
}

/// The WSDL of the operations this caller may use.
async fn wsdl(snapshot: &Snapshot, parts: &http::request::Parts, peer: &Peer) -> Response<Body> {
    let visible = contract::visible(snapshot, &parts.headers, peer, |listen| listen.soap).await;
    let base = contract::base_url(
        snapshot,
        &parts.headers,
        parts.uri.authority().map(|a| a.as_str()),
        peer,
    );
    let document = crate::contract::wsdl::generate(snapshot, &visible, &base);
    let mut response = Response::new(Body::new(Bytes::from(document)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    response
}

/// A 503 as a fault, for a request that never got to run.
pub(super) fn overloaded(version: Version, problem: &Problem) -> Response<Body> {
    fault(version, problem, None)
}

/// The `soap: true` process whose operation `name` is, in `[soap] namespace`.
/// Operation names are simple URL names, which are unique.
fn operation(snapshot: &Snapshot, name: &QName) -> Option<ProcessId> {
    if name.namespace.as_deref() != Some(snapshot.settings.soap_namespace.as_str()) {
        return None;
    }
    let id = snapshot.routes.by_operation(&name.local)?;
    let listen = snapshot.process(id).listen.as_ref()?;
    listen.soap.then_some(id)
}

/// The documents the process starts with, from the wrapper's children,
/// validated by the request profile like a body on the simple URL.
fn batch(
    listen: &Listen,
    payload: Vec<soap::Payload>,
    snapshot: &Snapshot,
) -> Result<Vec<crate::doc::Document>, Problem> {
    let operation = listen.operation_name();
    let expected = match listen.input {
        DocType::None => None,
        DocType::XmlList => Some(QName {
            namespace: Some(snapshot.settings.soap_namespace.clone()),
            local: list_element(listen),
        }),
        // Compile gives a SOAP operation's XML input an XSD profile.
        _ => Some(
            listen
                .request_profile
                .as_ref()
                .and_then(profile_root)
                .ok_or_else(failed_problem)?,
        ),
    };
    let mut payload = payload.into_iter();
    let (first, more) = (payload.next(), payload.next().is_some());
    let Some(expected) = expected else {
        if first.is_some() {
            return Err(client_problem(format!(
                "`{operation}` takes no input: its element must be empty"
            )));
        }
        return Ok(vec![crate::doc::Document::empty()]);
    };
    let first = match (first, more) {
        (Some(first), false) if first.name == expected => first,
        (first, _) => {
            let found = match first {
                Some(first) if !more => format!("`{}`", first.name),
                Some(_) => "more than one element".to_owned(),
                None => "nothing".to_owned(),
            };
            return Err(client_problem(format!(
                "`{operation}` holds one `{expected}` element; it holds {found}"
            )));
        }
    };
    input::decode(
        listen.input,
        &http::HeaderMap::new(),
        Bytes::from(first.text),
        listen.request_profile.as_ref(),
        &snapshot.settings.limits.parse,
    )
}

/// The document element a profile validates.
fn profile_root(profile: &crate::profile::Profile) -> Option<QName> {
    match profile.schema() {
        crate::profile::Schema::Xml(xsd) => Some(QName {
            namespace: xsd.root().namespace().map(str::to_owned),
            local: xsd.root().name().to_owned(),
        }),
        crate::profile::Schema::Json(_) => None,
    }
}

fn client_problem(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, kind::MALFORMED_BODY, detail)
}

fn envelope_fault(version: Version, err: EnvelopeError) -> Response<Body> {
    let detail = err.to_string();
    let problem = client_problem(detail.clone());
    let code = match err {
        EnvelopeError::Malformed(_) => FaultCode::Client,
        EnvelopeError::VersionMismatch(_) => FaultCode::VersionMismatch,
        EnvelopeError::MustUnderstand(blocks) => FaultCode::MustUnderstand(blocks),
    };
    respond(
        version,
        StatusCode::INTERNAL_SERVER_ERROR,
        &Fault {
            code,
            reason: detail,
            detail: Some(problem.to_xml()),
        },
        None,
    )
}

/// A refusal by the access rules, as a fault: a 401 stays a 401 (so HTTP
/// clients can answer the challenge), the rest is a 500 like every fault.
fn denied(version: Version, denial: Denial, basic: bool) -> Response<Body> {
    let mut response = fault(version, &denial_problem(denial), None);
    challenge(&mut response, basic);
    response
}

/// `problem` as a fault: `Client`/`Sender` for the client's errors,
/// `Server`/`Receiver` for the rest.
fn fault(version: Version, problem: &Problem, execution_id: Option<&str>) -> Response<Body> {
    let code = if problem.status < 500 {
        FaultCode::Client
    } else {
        FaultCode::Server
    };
    let status = match problem.status() {
        status @ (StatusCode::UNAUTHORIZED | StatusCode::UNSUPPORTED_MEDIA_TYPE) => status,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let fault = Fault {
        code,
        reason: problem.detail.clone(),
        detail: Some(problem.to_xml()),
    };
    respond(version, status, &fault, execution_id)
}

fn respond(
    version: Version,
    status: StatusCode,
    fault: &Fault,
    execution_id: Option<&str>,
) -> Response<Body> {
    let mut response = Response::new(Body::new(Bytes::from(soap::fault_envelope(version, fault))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(version.content_type()),
    );
    if let Some(id) = execution_id {
        set_execution_id(&mut response, id);
    }
    response
}
