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
//! and a content type of the other version, or a charset other than
//! UTF-8, is a 415. A `return` status of 400 or more is the process's
//! answer as a fault; any other answers 200 with the response envelope.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode, header};

use super::contract;
use super::dispatch::{
    Body, Detached, Served, accept, admit, begin_recording, challenge, denial_problem, execute,
    execution_for, failed_problem, record_input, set_execution_id,
};
use super::input;
use super::output;
use super::problem::{Problem, kind};
use super::{Gateway, Peer};
use crate::access::{AuthMethods, Denial};
use crate::config::raw::DocType;
use crate::contract::{list_element, response_wrapper};
use crate::metrics::ActiveGuard;
use crate::profile::ReadError;
use crate::profile::xsd::ListReader;
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
    running: ActiveGuard,
) -> SoapServed
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = request.into_parts();
    // A GET of the WSDL was answered before a place was taken.
    let is_get = parts.method == Method::GET || parts.method == Method::HEAD;
    if is_get {
        // The one GET here is the contract's.
        let problem = Problem::new(
            StatusCode::BAD_REQUEST,
            kind::BAD_REQUEST,
            format!(
                "a GET of {} asks for the WSDL: add `?wsdl`; calls are POSTed envelopes",
                version.path()
            ),
        );
        return SoapServed::unrouted(endpoint_fault(version, &problem));
    }
    if parts.method != Method::POST {
        let problem = Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            kind::METHOD_NOT_ALLOWED,
            format!(
                "{} is not allowed here; {} takes POSTed envelopes, and a GET of the WSDL (`?wsdl`)",
                parts.method,
                version.path()
            ),
        );
        let mut response = endpoint_fault(version, &problem);
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
        return SoapServed::unrouted(response);
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
    // Envelopes are read as UTF-8, never converted: another charset is a
    // 415 as on the simple URL, not a body read as what it is not.
    if !input::says_utf8(content_type) {
        return SoapServed::unrouted(fault(version, &input::not_utf8(content_type), None));
    }
    let limits = snapshot.settings.limits;
    let bytes = match input::read_body(&parts.headers, body, &limits).await {
        Ok(bytes) => bytes,
        Err(input::Unread::Refused(problem)) => {
            return SoapServed::unrouted(fault(version, &problem, None));
        }
        Err(input::Unread::Broken(problem)) => {
            tracing::info!(status = 400, reason = %problem.detail, "Body could not be read");
            let mut response = fault(version, &problem, None);
            // hyper gives up a connection whose body it cannot read.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return SoapServed::unrouted(response);
        }
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        let problem = client_problem("the envelope is not UTF-8");
        return SoapServed::unrouted(fault(version, &problem, None));
    };
    let read = soap::read_envelope_with(text, version, &limits.parse.xml(), |wrapper, child| {
        list_reader(&snapshot, wrapper, child, text.len())
    });
    let (envelope, list) = match read {
        Ok(read) => read,
        Err(err) => return SoapServed::unrouted(envelope_fault(version, err)),
    };
    let Some(id) = operation(&snapshot, &envelope.operation) else {
        // No such resource: a Client fault whose problem is the 404 the
        // simple URL of an unknown operation gets.
        let problem = Problem::new(
            StatusCode::NOT_FOUND,
            kind::NOT_FOUND,
            format!(
                "there is no SOAP operation `{}`; operations are elements in `{}` (the WSDL at {}?wsdl lists them)",
                envelope.operation,
                snapshot.settings.soap_namespace,
                version.path()
            ),
        );
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
        Err(refused) => {
            return routed(Served {
                user: refused.user,
                ..Served::early(denied(version, refused.denial, process.access.auth))
            });
        }
    };
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
    record_input(&mut recording, &parts.headers, &bytes);
    let recorded = recording.is_some();
    let fail_with = |problem: Problem, error: String| {
        let problem = problem.with_execution_id(Some(&execution_id));
        routed(Served {
            response: fault(version, &problem, Some(&execution_id)),
            execution_id: Some(execution_id.clone()),
            user: user.clone(),
            recording: None,
            error: recorded.then_some(error),
        })
    };
    let fail = |problem: Problem| {
        let error = problem.summary();
        fail_with(problem, error)
    };

    let mut soap_served = 'run: {
        let batch = match batch(listen, envelope.payload, list, &snapshot, &bytes, text) {
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
                running,
            };
            break 'run routed(accept(execution, run, user.clone(), &peer).await);
        }
        let mut returned =
            match execute(&execution, process, id, batch, limits.request_timeout).await {
                Ok(returned) => returned,
                Err(failure) => break 'run fail_with(failure.problem, failure.error),
            };
        let headers = passed_headers(std::mem::take(&mut returned.headers));
        if let Some(status) = returned.status.filter(|status| status.as_u16() >= 400) {
            // The process ran to its end; the fault is its answer, not a failure.
            let problem = Problem::new(
                status,
                kind::PROCESS_STATUS,
                match status.canonical_reason() {
                    Some(reason) => format!("the process answered {} {reason}", status.as_u16()),
                    None => format!("the process answered {}", status.as_u16()),
                },
            )
            .with_execution_id(Some(&execution_id));
            let mut response = fault(version, &problem, Some(&execution_id));
            append(&mut response, headers);
            break 'run routed(Served {
                response,
                execution_id: Some(execution_id.clone()),
                user: user.clone(),
                recording: None,
                error: None,
            });
        }
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
        append(&mut response, headers);
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

/// The headers of `return` steps that a SOAP answer carries: all but the
/// `Content-*` ones, which describe the documents the process returned,
/// not the envelope that is sent instead.
fn passed_headers(headers: Vec<(HeaderName, HeaderValue)>) -> Vec<(HeaderName, HeaderValue)> {
    headers
        .into_iter()
        .filter(|(name, _)| !name.as_str().starts_with("content-"))
        .collect()
}

fn append(response: &mut Response<Body>, headers: Vec<(HeaderName, HeaderValue)>) {
    for (name, value) in headers {
        response.headers_mut().append(name, value);
    }
}

/// `?wsdl` (any value: flowgate writes one file with the schemas inline).
pub(super) fn asks_for_wsdl(query: Option<&str>) -> bool {
    query.is_some_and(|query| {
        query.split('&').any(|pair| {
            pair.split('=')
                .next()
                .is_some_and(|key| key.eq_ignore_ascii_case("wsdl"))
        })
    })
}

/// The WSDL of the operations this caller may use.
pub(super) async fn wsdl(
    snapshot: &Snapshot,
    parts: &http::request::Parts,
    peer: &Peer,
) -> Response<Body> {
    if let Some(refused) =
        contract::refusal(snapshot, &parts.headers, true, |listen| listen.soap).await
    {
        return refused;
    }
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

/// The reader of an operation's list element, for the envelope's scan to
/// read and validate it as it goes instead of reading it again after: when
/// the operation `wrapper` takes `xml-list` with an XSD profile and `child`
/// is its list element (where the items are, at depth 5) in an envelope of
/// `envelope_len` bytes.
fn list_reader<'s, 'a>(
    snapshot: &'s Snapshot,
    wrapper: &QName,
    child: &QName,
    envelope_len: usize,
) -> Option<ListReader<'s, 'a>> {
    let listen = snapshot
        .process(operation(snapshot, wrapper)?)
        .listen
        .as_ref()?;
    if listen.input != DocType::XmlList || *child != list_name(listen, snapshot) {
        return None;
    }
    match listen.request_profile.as_ref()?.schema() {
        crate::profile::Schema::Xml(xsd) => Some(ListReader::new(xsd, 5, envelope_len)),
        crate::profile::Schema::Json(_) => None,
    }
}

/// The element that holds an `xml-list` operation's items in its wrapper.
fn list_name(listen: &Listen, snapshot: &Snapshot) -> QName {
    QName {
        namespace: Some(snapshot.settings.soap_namespace.clone()),
        local: list_element(listen),
    }
}

/// The documents the process starts with, from the wrapper's children,
/// validated by the request profile like a body on the simple URL; `list`
/// has read them already when the envelope's scan could (see
/// [`list_reader`]). `body` holds the envelope `text`.
fn batch(
    listen: &Listen,
    payload: Vec<soap::Payload>,
    list: Option<ListReader<'_, '_>>,
    snapshot: &Snapshot,
    body: &Bytes,
    text: &str,
) -> Result<Vec<crate::doc::Document>, Problem> {
    let operation = listen.operation_name();
    let expected = match listen.input {
        DocType::None => None,
        DocType::XmlList => Some(list_name(listen, snapshot)),
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
    if let (Some(list), Some(profile)) = (list, listen.request_profile.as_ref()) {
        let read = list.finish().map_err(ReadError::Invalid);
        return input::item_documents(body, text, profile, read, || expected.local.as_str());
    }
    input::decode(
        listen.input,
        &http::HeaderMap::new(),
        Bytes::from(first.text),
        listen.request_profile.as_ref(),
        &snapshot.settings.limits.parse,
        // A SOAP operation's input has an XSD, which reads it in any case.
        true,
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

/// The fault for an envelope that cannot be processed, in the endpoint's
/// version; but a SOAP 1.1 envelope at the 1.2 endpoint is answered with a
/// SOAP 1.1 fault, which its sender can read (SOAP 1.2 Appendix A). A
/// version mismatch at the 1.2 endpoint names the envelope it takes in an
/// `Upgrade` header block.
fn envelope_fault(version: Version, err: EnvelopeError) -> Response<Body> {
    let detail = err.to_string();
    let problem = client_problem(detail.clone());
    let mut answer = version;
    let code = match err {
        EnvelopeError::Malformed(_) => FaultCode::Client,
        EnvelopeError::VersionMismatch { envelope, .. } => {
            if version == Version::Soap12 && envelope == Some(Version::Soap11) {
                answer = Version::Soap11;
            }
            FaultCode::VersionMismatch {
                upgrade: (version == Version::Soap12).then_some(version),
            }
        }
        EnvelopeError::MustUnderstand(blocks) => FaultCode::MustUnderstand(blocks),
    };
    respond(
        answer,
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
fn denied(version: Version, denial: Denial, auth: AuthMethods) -> Response<Body> {
    let mut response = fault(version, &denial_problem(denial), None);
    challenge(&mut response, auth);
    response
}

/// `problem` as a fault: `Client`/`Sender` for the client's errors,
/// `Server`/`Receiver` for the rest.
fn fault(version: Version, problem: &Problem, execution_id: Option<&str>) -> Response<Body> {
    let status = match problem.status() {
        status @ (StatusCode::UNAUTHORIZED | StatusCode::UNSUPPORTED_MEDIA_TYPE) => status,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    fault_at(version, status, problem, execution_id)
}

/// A request the endpoint itself refuses before reading any envelope (a
/// GET without `?wsdl`, another method than POST): a `Client`/`Sender`
/// fault with the problem's own status, which says what HTTP got wrong.
fn endpoint_fault(version: Version, problem: &Problem) -> Response<Body> {
    fault_at(version, problem.status(), problem, None)
}

/// `problem` as a fault answered with `status`.
fn fault_at(
    version: Version,
    status: StatusCode,
    problem: &Problem,
    execution_id: Option<&str>,
) -> Response<Body> {
    let code = if problem.status < 500 {
        FaultCode::Client
    } else {
        FaultCode::Server
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Document;

    const ORDER_XSD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
    targetNamespace="urn:example:order" elementFormDefault="qualified">
  <xs:element name="Order">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Id" type="xs:string"/>
        <xs:element name="Qty" type="xs:int" maxOccurs="unbounded"/>
      </xs:sequence>
      <xs:attribute name="rush" type="xs:boolean"/>
    </xs:complexType>
  </xs:element>
</xs:schema>"#;

    const PROCESS: &str = "listen: { operation: create, object: Order, input: xml-list, \
        output: xml-list, request_profile: order, response_profile: order, soap: true }\n\
        steps:\n  - return: {}\n";

    /// What `batch` makes of an envelope when the envelope's scan reads the
    /// list, and when the list is read again from the payload's text.
    fn both_ways(snapshot: &Snapshot, text: &str) -> [Result<Vec<Document>, Problem>; 2] {
        let limits = snapshot.settings.limits.parse.xml();
        let body = Bytes::from(text.to_owned());
        let (envelope, list) = soap::read_envelope_with(text, Version::Soap11, &limits, |w, c| {
            list_reader(snapshot, w, c, text.len())
        })
        .expect("an envelope");
        assert!(list.is_some(), "the scan reads the list of {text}");
        let id = operation(snapshot, &envelope.operation).expect("the operation");
        let listen = snapshot.process(id).listen.as_ref().expect("a listener");
        let once = batch(listen, envelope.payload, list, snapshot, &body, text);
        let envelope = soap::read_envelope(text, Version::Soap11, &limits).expect("an envelope");
        let twice = batch(listen, envelope.payload, None, snapshot, &body, text);
        [once, twice]
    }

    fn described(
        result: &Result<Vec<Document>, Problem>,
    ) -> Result<Vec<(String, String)>, Problem> {
        let limits = crate::doc::ParseLimits::default();
        match result {
            Ok(documents) => Ok(documents
                .iter()
                .map(|doc| {
                    let value = crate::profile::json::from_value(doc.value_ref(&limits), "")
                        .expect("a JSON value");
                    (doc.text().into_owned(), value.to_string())
                })
                .collect()),
            Err(problem) => Err(problem.clone()),
        }
    }

    #[test]
    fn a_list_read_in_the_envelopes_scan_is_the_list_read_from_its_payload() {
        let snapshot = crate::server::tests::snapshot(&[
            ("profiles/order.xsd", ORDER_XSD),
            ("processes/create-order.yaml", PROCESS),
        ]);
        let envelopes = [
            // Prefixes declared on the list, as most clients write it.
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><ws:createOrder xmlns:ws="urn:flowgate:ws"><ws:OrderList xmlns:o="urn:example:order"><o:Order rush="true"><o:Id>A-1</o:Id><o:Qty>2</o:Qty></o:Order><o:Order><o:Id>A&amp;2</o:Id><o:Qty>5</o:Qty><o:Qty>6</o:Qty></o:Order></ws:OrderList></ws:createOrder></s:Body></s:Envelope>"#,
            // Declarations on the envelope, a default namespace on the list,
            // whitespace, a comment and CDATA between and inside the items.
            "<?xml version=\"1.0\"?>\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ws=\"urn:flowgate:ws\" xmlns=\"urn:example:order\">\n <s:Header/>\n <s:Body>\n  <ws:createOrder>\n   <ws:OrderList>\n    <Order><Id><![CDATA[B<1>]]></Id><Qty> 3 </Qty></Order>\n    <!-- the second -->\n    <Order>\r\n<Id>B-2</Id><Qty>4</Qty></Order>\n   </ws:OrderList>\n  </ws:createOrder>\n </s:Body>\n</s:Envelope>",
            // Orders that break the profile: every violation, with its item.
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ws="urn:flowgate:ws" xmlns:o="urn:example:order"><s:Body><ws:createOrder><ws:OrderList><o:Order><o:Id>C-1</o:Id><o:Qty>x</o:Qty></o:Order><o:Order rush="maybe"><o:Qty>1</o:Qty></o:Order><Order/></ws:OrderList></ws:createOrder></s:Body></s:Envelope>"#,
            // An empty list.
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><ws:createOrder xmlns:ws="urn:flowgate:ws"><ws:OrderList/></ws:createOrder></s:Body></s:Envelope>"#,
            // Text in the list, around a good order: it is no item.
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><ws:createOrder xmlns:ws="urn:flowgate:ws"><ws:OrderList xmlns:o="urn:example:order">true<o:Order><o:Id>D-1</o:Id><o:Qty>1</o:Qty></o:Order>!</ws:OrderList></ws:createOrder></s:Body></s:Envelope>"#,
        ];
        for text in envelopes {
            let [once, twice] = both_ways(&snapshot, text);
            assert_eq!(described(&once), described(&twice), "{text}");
        }
        let [bad, _] = both_ways(&snapshot, envelopes[2]);
        let errors = bad.expect_err("violations").errors;
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/OrderList/Order[1]/Qty[1]",
                "/OrderList/Order[2]/@rush",
                "/OrderList/Order[2]/Qty[1]",
                "/OrderList/Order[2]",
                "/OrderList/Order[3]",
            ],
            "{errors:?}"
        );
        let [text, _] = both_ways(&snapshot, envelopes[4]);
        let errors = text.expect_err("text in the list").errors;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, "/OrderList");
        assert!(
            errors[0]
                .message
                .contains("text is not allowed in `OrderList`")
        );
    }

    #[test]
    fn only_the_operations_list_element_is_read_in_the_scan() {
        let snapshot = crate::server::tests::snapshot(&[
            ("profiles/order.xsd", ORDER_XSD),
            ("processes/create-order.yaml", PROCESS),
        ]);
        let ws = |local: &str| QName {
            namespace: Some(snapshot.settings.soap_namespace.clone()),
            local: local.to_owned(),
        };
        assert!(list_reader(&snapshot, &ws("createOrder"), &ws("OrderList"), 100).is_some());
        let other = QName {
            namespace: None,
            local: "OrderList".to_owned(),
        };
        assert!(list_reader(&snapshot, &ws("createOrder"), &other, 100).is_none());
        assert!(list_reader(&snapshot, &ws("createOrder"), &ws("Order"), 100).is_none());
        assert!(list_reader(&snapshot, &ws("deleteOrder"), &ws("OrderList"), 100).is_none());
    }
}
