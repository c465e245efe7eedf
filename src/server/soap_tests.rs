//! The SOAP endpoints through dispatch: envelopes in, envelopes and faults out.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};

use super::dispatch::handle;
use super::tests::snapshot;
use super::{Gateway, Peer};

const ENV11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const ENV12: &str = "http://www.w3.org/2003/05/soap-envelope";

const ORDER_XSD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
    targetNamespace="urn:example:order" elementFormDefault="qualified">
  <xs:element name="Order">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Id" type="xs:string"/>
        <xs:element name="Qty" type="xs:int"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>"#;

const ACK_XSD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Ack">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Id" type="xs:string"/>
        <xs:element name="Double" type="xs:int"/>
        <xs:element name="By" type="xs:string"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>"#;

const CREATE_ORDER: &str = r#"listen:
  operation: create
  object: Order
  input: xml-list
  output: xml-list
  request_profile: order
  response_profile: ack
  soap: true
steps:
  - decision:
      if: doc.Order.Qty > 100
      then:
        - exception: { status: 422, message: "order {{ doc.Order.Id }} needs approval" }
  - map:
      to: ack
      value:
        Ack:
          Id: "{{ doc.Order.Id }}"
          Double: "{{ doc.Order.Qty * 2 }}"
          By: "{{ request.user or 'anonymous' }}"
  - return: {}
"#;

const PING: &str = r#"listen: { operation: get, object: Ping, output: xml, response_profile: ack, soap: true }
access: { auth: [basic, token] }
steps:
  - message: '<Ack><Id>ping</Id><Double>0</Double><By>{{ request.user }}</By></Ack>'
  - return: {}
"#;

const NOTIFY: &str = r#"listen: { operation: execute, object: Notice, input: xml, request_profile: order, soap: true }
steps:
  - log: { message: "notice {{ doc.Order.Id }}" }
"#;

fn gateway() -> Arc<Gateway> {
    let token = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"ping-token"));
    let alice = super::access_tests::cheap_hash("alice-password");
    let settings = format!(
        "[users.ops]\ntoken_sha256 = \"{token}\"\n[users.alice]\npassword_hash = \"{alice}\"\n"
    );
    Gateway::new(snapshot(&[
        ("flowgate.toml", &settings),
        ("profiles/order.xsd", ORDER_XSD),
        ("profiles/ack.xsd", ACK_XSD),
        ("processes/create-order.yaml", CREATE_ORDER),
        ("processes/ping.yaml", PING),
        ("processes/notify.yaml", NOTIFY),
        (
            "processes/plain.yaml",
            "listen: { operation: get, object: Plain, output: json }\nsteps:\n  - message: '{}'\n  - return: {}\n",
        ),
    ]))
}

struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: String,
}

/// One request through dispatch, from a local client.
async fn send(
    gateway: &Arc<Gateway>,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let response = handle(
        gateway.clone(),
        request,
        Peer::plain("127.0.0.1:40000".parse().unwrap()),
    )
    .await;
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn post(gateway: &Arc<Gateway>, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let headers: Vec<(&str, &str)> = [("host", "gateway.test")]
        .into_iter()
        .chain(headers.iter().copied())
        .collect();
    send(gateway, "POST", path, &headers, body).await
}

async fn soap11(gateway: &Arc<Gateway>, body: &str) -> Answer {
    post(
        gateway,
        "/ws/soap",
        &[
            ("content-type", "text/xml; charset=utf-8"),
            ("soapaction", "\"createOrder\""),
        ],
        &envelope(ENV11, "", body),
    )
    .await
}

fn envelope(namespace: &str, header: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{namespace}" xmlns:ws="urn:flowgate:ws">{header}<soap:Body>{body}</soap:Body></soap:Envelope>"#
    )
}

fn orders(quantities: &[(&str, u32)]) -> String {
    let items: String = quantities
        .iter()
        .map(|(id, qty)| format!("<o:Order><o:Id>{id}</o:Id><o:Qty>{qty}</o:Qty></o:Order>"))
        .collect();
    format!(
        r#"<ws:createOrder><ws:OrderList xmlns:o="urn:example:order">{items}</ws:OrderList></ws:createOrder>"#
    )
}

#[tokio::test]
async fn a_soap_11_call_runs_the_process_and_wraps_its_documents() {
    let gateway = gateway();
    let answer = soap11(&gateway, &orders(&[("A-1", 2), ("A-2", 5)])).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], "text/xml; charset=utf-8");
    assert!(answer.headers.contains_key("x-execution-id"));
    assert_eq!(
        answer.body,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"{ENV11}\"><soap:Body><ws:createOrderResponse xmlns:ws=\"urn:flowgate:ws\"><ws:OrderList><Ack><Id>A-1</Id><Double>4</Double><By>anonymous</By></Ack><Ack><Id>A-2</Id><Double>10</Double><By>anonymous</By></Ack></ws:OrderList></ws:createOrderResponse></soap:Body></soap:Envelope>"
        )
    );
}

#[tokio::test]
async fn a_soap_12_call_answers_in_soap_12() {
    let gateway = gateway();
    let answer = post(
        &gateway,
        "/ws/soap12",
        &[(
            "content-type",
            "application/soap+xml; charset=utf-8; action=\"createOrder\"",
        )],
        &envelope(ENV12, "", &orders(&[("B-1", 1)])),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.headers["content-type"],
        "application/soap+xml; charset=utf-8"
    );
    assert!(
        answer
            .body
            .contains(&format!("<soap:Envelope xmlns:soap=\"{ENV12}\">"))
    );
    assert!(
        answer.body.contains("<Ack><Id>B-1</Id><Double>2</Double>"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn what_the_request_profile_refuses_is_a_client_fault_listing_every_error() {
    let gateway = gateway();
    let body = r#"<ws:createOrder><ws:OrderList xmlns:o="urn:example:order"><o:Order><o:Id>A-1</o:Id><o:Qty>many</o:Qty></o:Order><o:Order><o:Qty>1</o:Qty></o:Order></ws:OrderList></ws:createOrder>"#;
    let answer = soap11(&gateway, body).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        answer.body.contains("<faultcode>soap:Client</faultcode>"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("<detail><problem xmlns=\"urn:ietf:rfc:7807\"><type>urn:flowgate:problem:profile-mismatch</type>"), "{}", answer.body);
    assert!(answer.body.contains("is not an integer"), "{}", answer.body);
    assert_eq!(answer.body.matches("<error>").count(), 3, "{}", answer.body);
    assert!(
        answer.body.contains("<path>/OrderList/Order[1]/Qty</path>"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn an_exception_step_is_the_fault_string() {
    let gateway = gateway();
    let answer = soap11(&gateway, &orders(&[("A-9", 500)])).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        answer.body.contains(
            "<faultcode>soap:Client</faultcode><faultstring>order A-9 needs approval</faultstring>"
        ),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("<status>422</status>"),
        "{}",
        answer.body
    );
    assert!(answer.headers.contains_key("x-execution-id"));
}

#[tokio::test]
async fn the_wrapper_must_name_an_operation_and_hold_its_element() {
    let gateway = gateway();
    for (body, expected) in [
        (
            "<ws:deleteOrder/>",
            "there is no SOAP operation `{urn:flowgate:ws}deleteOrder`",
        ),
        ("<createOrder/>", "there is no SOAP operation `createOrder`"),
        // A process without `soap: true` is not an operation.
        (
            "<ws:getPlain/>",
            "there is no SOAP operation `{urn:flowgate:ws}getPlain`",
        ),
        (
            "<ws:createOrder/>",
            "`createOrder` holds one `{urn:flowgate:ws}OrderList` element; it holds nothing",
        ),
        (
            "<ws:createOrder><OrderList/></ws:createOrder>",
            "it holds `OrderList`",
        ),
        (
            "<ws:executeNotice><ws:OrderList/></ws:executeNotice>",
            "`executeNotice` holds one `{urn:example:order}Order` element; it holds `{urn:flowgate:ws}OrderList`",
        ),
    ] {
        let answer = soap11(&gateway, body).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        assert!(
            answer.body.contains("<faultcode>soap:Client</faultcode>"),
            "{body}: {}",
            answer.body
        );
        assert!(answer.body.contains(expected), "{body}: {}", answer.body);
        // An unknown operation is no resource; a known one's wrong content is a bad body.
        let (kind, status) = if expected.starts_with("there is no SOAP operation") {
            ("not-found", 404)
        } else {
            ("malformed-body", 400)
        };
        assert!(
            answer.body.contains(&format!(
                "<type>urn:flowgate:problem:{kind}</type><title>{}</title><status>{status}</status>",
                StatusCode::from_u16(status).unwrap().canonical_reason().unwrap()
            )),
            "{body}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn envelope_faults_have_their_own_codes() {
    let gateway = gateway();
    // SOAP 1.2 at the 1.1 endpoint.
    let answer = post(
        &gateway,
        "/ws/soap",
        &[("content-type", "text/xml")],
        &envelope(ENV12, "", "<ws:getPing/>"),
    )
    .await;
    assert!(
        answer
            .body
            .contains("<faultcode>soap:VersionMismatch</faultcode>"),
        "{}",
        answer.body
    );
    // A header block nobody here understands.
    let header = "<soap:Header><w:Security xmlns:w=\"urn:wsse\" soap:mustUnderstand=\"true\"/></soap:Header>";
    let answer = post(
        &gateway,
        "/ws/soap12",
        &[("content-type", "application/soap+xml")],
        &envelope(ENV12, header, "<ws:getPing/>"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        answer
            .body
            .contains("<soap:Value>soap:MustUnderstand</soap:Value>"),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("NotUnderstood qname=\"h:Security\""),
        "{}",
        answer.body
    );
    // The wrong content type: a 415, still a fault.
    let answer = post(
        &gateway,
        "/ws/soap12",
        &[("content-type", "text/xml")],
        &envelope(ENV12, "", "<ws:getPing/>"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        answer.body.contains("<soap:Value>soap:Sender</soap:Value>"),
        "{}",
        answer.body
    );
    // Not XML at all.
    let answer = post(&gateway, "/ws/soap", &[("content-type", "text/xml")], "{}").await;
    assert!(
        answer.body.contains("not well-formed XML"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn access_rules_hold_on_the_soap_endpoint() {
    let gateway = gateway();
    let answer = soap11(&gateway, "<ws:getPing/>").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.headers["www-authenticate"],
        "Basic realm=\"flowgate\""
    );
    assert!(
        answer.body.contains("<faultcode>soap:Client</faultcode>"),
        "{}",
        answer.body
    );

    let answer = post(
        &gateway,
        "/ws/soap",
        &[
            ("content-type", "text/xml"),
            ("authorization", "Bearer ping-token"),
        ],
        &envelope(ENV11, "", "<ws:getPing/>"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let with_token = [
        ("content-type", "text/xml"),
        ("authorization", "Bearer ping-token"),
    ];
    let answer_with_input = post(
        &gateway,
        "/ws/soap",
        &with_token,
        &envelope(ENV11, "", "<ws:getPing><x/></ws:getPing>"),
    )
    .await;
    assert!(
        answer_with_input.body.contains("`getPing` takes no input"),
        "{}",
        answer_with_input.body
    );
    assert!(answer.body.contains("<ws:getPingResponse xmlns:ws=\"urn:flowgate:ws\"><Ack><Id>ping</Id><Double>0</Double><By>ops</By></Ack></ws:getPingResponse>"), "{}", answer.body);
}

#[tokio::test]
async fn a_one_way_operation_is_accepted_at_once() {
    let gateway = gateway();
    let answer = soap11(
        &gateway,
        r#"<ws:executeNotice><o:Order xmlns:o="urn:example:order"><o:Id>N-1</o:Id><o:Qty>1</o:Qty></o:Order></ws:executeNotice>"#,
    )
    .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    assert!(answer.body.is_empty());
}

#[tokio::test]
async fn only_post_is_soap() {
    let gateway = gateway();
    // Refused with a fault of the endpoint's version, at the HTTP status.
    for (path, content_type, code) in [
        (
            "/ws/soap",
            "text/xml; charset=utf-8",
            "<faultcode>soap:Client</faultcode>",
        ),
        (
            "/ws/soap12",
            "application/soap+xml; charset=utf-8",
            "<soap:Value>soap:Sender</soap:Value>",
        ),
    ] {
        let answer = send(&gateway, "PUT", path, &[("host", "gateway.test")], "").await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(answer.headers["allow"], "GET, HEAD, POST");
        assert_eq!(answer.headers["content-type"], content_type);
        assert!(answer.body.contains(code), "{}", answer.body);
        assert!(
            answer.body.contains("PUT is not allowed here"),
            "{}",
            answer.body
        );
    }
}

async fn get(gateway: &Arc<Gateway>, uri: &str, headers: &[(&str, &str)]) -> Answer {
    send(gateway, "GET", uri, headers, "").await
}

#[tokio::test]
async fn the_wsdl_shows_a_caller_the_operations_it_may_use() {
    let gateway = gateway();
    let anonymous = get(
        &gateway,
        "/ws/soap?wsdl",
        &[("host", "gw.example.com:9090")],
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert_eq!(anonymous.headers["content-type"], "text/xml; charset=utf-8");
    assert!(
        anonymous
            .body
            .contains("<wsdl:operation name=\"createOrder\">"),
        "{}",
        anonymous.body
    );
    assert!(
        anonymous
            .body
            .contains("<wsdl:operation name=\"executeNotice\">")
    );
    assert!(!anonymous.body.contains("getPing"), "{}", anonymous.body);
    assert!(
        anonymous
            .body
            .contains("location=\"http://gw.example.com:9090/ws/soap\""),
        "{}",
        anonymous.body
    );
    assert!(
        anonymous
            .body
            .contains("location=\"http://gw.example.com:9090/ws/soap12\"")
    );

    let ops = get(
        &gateway,
        "/ws/soap12?WSDL",
        &[
            ("host", "gw.example.com"),
            ("authorization", "Bearer ping-token"),
        ],
    )
    .await;
    assert!(
        ops.body.contains("<wsdl:operation name=\"getPing\">"),
        "{}",
        ops.body
    );
    // Without ?wsdl, a GET is not SOAP, and is told what it may have meant.
    let plain = get(&gateway, "/ws/soap", &[("host", "gw.example.com")]).await;
    assert_eq!(plain.status, StatusCode::BAD_REQUEST);
    assert_eq!(plain.headers["content-type"], "text/xml; charset=utf-8");
    assert!(
        plain.body.contains("<faultcode>soap:Client</faultcode>"),
        "{}",
        plain.body
    );
    assert!(plain.body.contains("add `?wsdl`"), "{}", plain.body);
}

#[tokio::test]
async fn the_openapi_document_shows_a_caller_the_routes_it_may_use() {
    let gateway = gateway();
    let anonymous = get(
        &gateway,
        "/ws/rest/openapi.json",
        &[("host", "gw.example.com")],
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert_eq!(anonymous.headers["content-type"], "application/json");
    let document: serde_json::Value = serde_json::from_str(&anonymous.body).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["servers"][0]["url"], "http://gw.example.com");
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.contains_key("/ws/simple/createOrder"), "{paths:?}");
    assert!(!paths.contains_key("/ws/simple/getPing"), "{paths:?}");

    let ops = get(
        &gateway,
        "/ws/rest/openapi.json",
        &[("host", "gw.example.com"), ("x-api-key", "ping-token")],
    )
    .await;
    let document: serde_json::Value = serde_json::from_str(&ops.body).unwrap();
    assert!(document["paths"].get("/ws/simple/getPing").is_some());
}

/// Declarations `xmlns:{k}0`.. of `n` prefixes no item uses.
fn unused_declarations(k: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!(r#" xmlns:{k}{i}="urn:{k}{i}""#))
        .collect()
}

#[tokio::test]
async fn items_may_not_copy_more_declarations_than_the_request_holds() {
    let long = format!("urn:{}", "x".repeat(20_000));
    let gateway = Gateway::new(snapshot(&[
        (
            "profiles/item.xsd",
            &format!(
                r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{long}" elementFormDefault="qualified"><xs:element name="I"><xs:complexType/></xs:element></xs:schema>"#
            ),
        ),
        (
            "processes/page.yaml",
            "listen: { operation: get, object: Page, input: xml-list, output: xml-list, request_profile: item, response_profile: item, soap: true }\nsteps: [ { return: {} } ]\n",
        ),
    ]));
    let items = "<p:I/>".repeat(1000);
    let simple = format!("<PageList xmlns:p=\"{long}\">{items}</PageList>");
    let answer = post(
        &gateway,
        "/ws/simple/getPage",
        &[("content-type", "application/xml")],
        &simple,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(
        answer.body.contains("more namespace declarations"),
        "{}",
        answer.body
    );
    let soap = format!(
        r#"<soap:Envelope xmlns:soap="{ENV11}" xmlns:ws="urn:flowgate:ws" xmlns:p="{long}"><soap:Body><ws:getPage><ws:PageList>{items}</ws:PageList></ws:getPage></soap:Body></soap:Envelope>"#
    );
    let answer = post(&gateway, "/ws/soap", &[("content-type", "text/xml")], &soap).await;
    assert_eq!(
        answer.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("more namespace declarations"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn items_under_many_unused_declarations_answer_in_proportion_to_the_request() {
    let gateway = Gateway::new(snapshot(&[
        (
            "profiles/item.xsd",
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="Item"><xs:complexType><xs:sequence><xs:element name="N" type="xs:int"/></xs:sequence></xs:complexType></xs:element></xs:schema>"#,
        ),
        (
            "processes/page.yaml",
            "listen: { operation: get, object: Page, input: xml-list, output: xml-list, request_profile: item, response_profile: item, soap: true, page_size: 2 }\nsteps: [ { return: {} } ]\n",
        ),
    ]));
    let items = "<Item><N>1</N></Item>".repeat(10_000);
    let soap = format!(
        r#"<soap:Envelope xmlns:soap="{ENV11}" xmlns:ws="urn:flowgate:ws"{}><soap:Body{}><ws:getPage{}><ws:PageList{}>{items}</ws:PageList></ws:getPage></soap:Body></soap:Envelope>"#,
        unused_declarations("a", 250),
        unused_declarations("b", 250),
        unused_declarations("c", 250),
        unused_declarations("e", 250),
    );
    let answer = post(
        &gateway,
        "/ws/soap",
        &[("content-type", "text/xml"), ("soapaction", "\"getPage\"")],
        &soap,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(
        answer.body.len() < 2 * soap.len(),
        "{} bytes answer {} bytes",
        answer.body.len(),
        soap.len()
    );
    assert!(
        answer.body.contains("<Item><N>1</N></Item>"),
        "{}",
        answer.body
    );
    assert!(!answer.body.contains("urn:a0"), "{}", answer.body);

    let simple = format!(
        "<PageList{}>{items}</PageList>",
        unused_declarations("a", 250)
    );
    let answer = post(
        &gateway,
        "/ws/simple/getPage",
        &[("content-type", "application/xml")],
        &simple,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(
        answer.body.len() < 2 * simple.len(),
        "{} bytes answer {} bytes",
        answer.body.len(),
        simple.len()
    );
    assert!(!answer.body.contains("urn:a0"), "{}", answer.body);
}

#[tokio::test]
async fn an_envelope_in_another_charset_is_a_415_fault_as_on_the_simple_url() {
    let gateway = gateway();
    let body = |namespace| envelope(namespace, "", "<ws:getPing/>");
    for (path, content_type, namespace, code) in [
        (
            "/ws/soap",
            "text/xml; charset=iso-8859-1",
            ENV11,
            "<faultcode>soap:Client</faultcode>",
        ),
        (
            "/ws/soap12",
            "application/soap+xml; charset=utf-16",
            ENV12,
            "<soap:Value>soap:Sender</soap:Value>",
        ),
    ] {
        let answer = post(
            &gateway,
            path,
            &[("content-type", content_type)],
            &body(namespace),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        assert!(answer.body.contains(code), "{}", answer.body);
        assert!(
            answer.body.contains(&format!(
                "this route reads UTF-8 only; the request says `{content_type}`"
            )),
            "{}",
            answer.body
        );
    }
    // UTF-8, named or not, is read; the Ping needs credentials.
    for content_type in [
        "text/xml; charset=UTF-8",
        "text/xml; charset=\"utf-8\"",
        "text/xml",
    ] {
        let answer = post(
            &gateway,
            "/ws/soap",
            &[("content-type", content_type)],
            &body(ENV11),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{content_type}");
    }
}

#[tokio::test]
async fn a_must_understand_that_is_no_boolean_is_a_client_fault() {
    let gateway = gateway();
    let header = |namespace: &str| {
        format!(
            r#"<soap:Header><x:H xmlns:x="urn:x" xmlns:soap="{namespace}" soap:mustUnderstand="TRUE"/></soap:Header>"#
        )
    };
    for (path, content_type, namespace, code) in [
        (
            "/ws/soap",
            "text/xml",
            ENV11,
            "<faultcode>soap:Client</faultcode>",
        ),
        (
            "/ws/soap12",
            "application/soap+xml",
            ENV12,
            "<soap:Value>soap:Sender</soap:Value>",
        ),
    ] {
        let body = envelope(namespace, &header(namespace), "<ws:getPing/>");
        let answer = post(&gateway, path, &[("content-type", content_type)], &body).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert!(answer.body.contains(code), "{}", answer.body);
        assert!(
            answer
                .body
                .contains("mustUnderstand=\"TRUE\": it must be true, false, 1 or 0")
                || answer
                    .body
                    .contains("mustUnderstand=&quot;TRUE&quot;: it must be true, false, 1 or 0"),
            "{}",
            answer.body
        );
    }
}

/// A process that answers with the status and headers its request asks for.
const ANSWER: &str = r#"listen: { operation: get, object: Answer, output: xml, response_profile: ack, soap: true }
steps:
  - message: '<Ack><Id>a</Id><Double>0</Double><By>x</By></Ack>'
  - return:
      status: "{{ request.query.status or 200 }}"
      headers: { Retry-After: "7", Content-Language: de }
"#;

#[tokio::test]
async fn a_return_status_of_4xx_or_5xx_is_a_fault_and_2xx_the_response() {
    let gateway = Gateway::new(snapshot(&[
        ("profiles/ack.xsd", ACK_XSD),
        ("processes/answer.yaml", ANSWER),
    ]));
    let call = |status: &'static str, path: &'static str, namespace: &'static str| {
        let gateway = gateway.clone();
        async move {
            let content_type = if path == "/ws/soap" {
                "text/xml"
            } else {
                "application/soap+xml"
            };
            post(
                &gateway,
                &format!("{path}?status={status}"),
                &[("content-type", content_type)],
                &envelope(namespace, "", "<ws:getAnswer/>"),
            )
            .await
        }
    };
    // On the simple URL the status is the answer's.
    let simple = get(
        &gateway,
        "/ws/simple/getAnswer?status=409",
        &[("host", "h")],
    )
    .await;
    assert_eq!(simple.status, StatusCode::CONFLICT);

    for (status, path, namespace, code) in [
        (
            "409",
            "/ws/soap",
            ENV11,
            "<faultcode>soap:Client</faultcode>",
        ),
        (
            "409",
            "/ws/soap12",
            ENV12,
            "<soap:Value>soap:Sender</soap:Value>",
        ),
        (
            "503",
            "/ws/soap",
            ENV11,
            "<faultcode>soap:Server</faultcode>",
        ),
        (
            "503",
            "/ws/soap12",
            ENV12,
            "<soap:Value>soap:Receiver</soap:Value>",
        ),
    ] {
        let answer = call(status, path, namespace).await;
        assert_eq!(
            answer.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{status} {path}: {}",
            answer.body
        );
        assert!(
            answer.body.contains(code),
            "{status} {path}: {}",
            answer.body
        );
        assert!(
            answer
                .body
                .contains(&format!("the process answered {status} ")),
            "{}",
            answer.body
        );
        assert!(
            answer.body.contains("urn:flowgate:problem:process-status"),
            "{}",
            answer.body
        );
        assert!(
            !answer.body.contains("getAnswerResponse"),
            "{}",
            answer.body
        );
        assert_eq!(answer.headers["retry-after"], "7");
        assert!(answer.headers.contains_key("x-execution-id"));
    }
    for status in ["200", "201", "204"] {
        let answer = call(status, "/ws/soap", ENV11).await;
        assert_eq!(answer.status, StatusCode::OK, "{status}: {}", answer.body);
        assert!(
            answer.body.contains("<ws:getAnswerResponse"),
            "{}",
            answer.body
        );
        assert_eq!(answer.headers["retry-after"], "7");
        // The envelope's content type and language are not the document's.
        assert_eq!(answer.headers["content-type"], "text/xml; charset=utf-8");
        assert!(!answer.headers.contains_key("content-language"));
    }
}

#[tokio::test]
async fn wrong_credentials_are_a_401_on_the_contracts_and_none_the_anonymous_view() {
    let gateway = gateway();
    let basic = |credentials: &str| {
        format!(
            "Basic {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, credentials)
        )
    };
    let wrong_password = basic("alice:wrong");
    let no_such_user = basic("mallory:alice-password");
    for uri in ["/ws/soap?wsdl", "/ws/soap12?wsdl", "/ws/rest/openapi.json"] {
        for (name, value) in [
            ("authorization", wrong_password.as_str()),
            ("authorization", no_such_user.as_str()),
            ("authorization", "Bearer nope"),
            ("x-api-key", "nope"),
            ("authorization", "Digest x"),
        ] {
            let answer = get(&gateway, uri, &[("host", "gw.example.com"), (name, value)]).await;
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{uri} {value}: {}",
                answer.body
            );
            // Ping takes basic credentials.
            assert_eq!(
                answer.headers["www-authenticate"], "Basic realm=\"flowgate\"",
                "{uri}"
            );
            assert!(
                answer.body.contains("urn:flowgate:problem:unauthenticated"),
                "{uri}: {}",
                answer.body
            );
            assert!(!answer.body.contains("getPing"), "{uri}: {}", answer.body);
        }
        let right = basic("alice:alice-password");
        let signed_in = get(&gateway, uri, &[("host", "h"), ("authorization", &right)]).await;
        assert_eq!(
            signed_in.status,
            StatusCode::OK,
            "{uri}: {}",
            signed_in.body
        );
        assert!(signed_in.body.contains("getPing"), "{uri}");
        let anonymous = get(&gateway, uri, &[("host", "h")]).await;
        assert_eq!(anonymous.status, StatusCode::OK, "{uri}");
        assert!(!anonymous.body.contains("getPing"), "{uri}");
    }
}

#[tokio::test]
async fn where_no_operation_takes_credentials_the_contracts_do_not_read_them() {
    let gateway = Gateway::new(snapshot(&[
        ("profiles/order.xsd", ORDER_XSD),
        ("processes/notify.yaml", NOTIFY),
    ]));
    for uri in ["/ws/soap?wsdl", "/ws/rest/openapi.json"] {
        let answer = get(
            &gateway,
            uri,
            &[("host", "h"), ("authorization", "Bearer anything")],
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.body);
        assert!(answer.body.contains("executeNotice"), "{uri}");
    }
}

#[tokio::test]
async fn an_envelope_of_another_version_is_a_version_mismatch_its_sender_can_read() {
    let gateway = gateway();
    let upgrade = format!(
        "<soap:Header><upg:Upgrade xmlns:upg=\"{ENV12}\"><upg:SupportedEnvelope qname=\"v:Envelope\" xmlns:v=\"{ENV12}\"/></upg:Upgrade></soap:Header>"
    );
    // A SOAP 1.1 envelope at the 1.2 endpoint: a SOAP 1.1 fault, with the
    // envelope the endpoint takes in an Upgrade block (SOAP 1.2 Appendix A).
    let answer = post(
        &gateway,
        "/ws/soap12",
        &[("content-type", "application/soap+xml")],
        &envelope(ENV11, "", "<ws:getPing/>"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer.headers["content-type"], "text/xml; charset=utf-8");
    assert!(
        answer
            .body
            .contains(&format!("<soap:Envelope xmlns:soap=\"{ENV11}\">{upgrade}")),
        "{}",
        answer.body
    );
    assert!(
        answer
            .body
            .contains("<faultcode>soap:VersionMismatch</faultcode><faultstring>this endpoint speaks SOAP 1.2; the envelope is SOAP 1.1 (send it to /ws/soap)</faultstring>"),
        "{}",
        answer.body
    );
    // A SOAP 1.2 envelope at the 1.1 endpoint: a SOAP 1.1 fault.
    let answer = post(
        &gateway,
        "/ws/soap",
        &[("content-type", "text/xml")],
        &envelope(ENV12, "", "<ws:getPing/>"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer.headers["content-type"], "text/xml; charset=utf-8");
    assert!(
        answer.body.contains(&format!(
            "<soap:Envelope xmlns:soap=\"{ENV11}\"><soap:Body><soap:Fault><faultcode>soap:VersionMismatch</faultcode>"
        )),
        "{}",
        answer.body
    );
    // An envelope in a namespace no SOAP version has, at either endpoint.
    let answer = post(
        &gateway,
        "/ws/soap",
        &[("content-type", "text/xml")],
        &envelope("urn:bogus", "", "<ws:getPing/>"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        answer
            .body
            .contains("<faultcode>soap:VersionMismatch</faultcode><faultstring>the envelope is in `urn:bogus`, which is no SOAP version&apos;s"),
        "{}",
        answer.body
    );
    let answer = post(
        &gateway,
        "/ws/soap12",
        &[("content-type", "application/soap+xml")],
        &envelope("urn:bogus", "", "<ws:getPing/>"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        answer.headers["content-type"],
        "application/soap+xml; charset=utf-8"
    );
    assert!(
        answer
            .body
            .contains(&format!("<soap:Envelope xmlns:soap=\"{ENV12}\">{upgrade}")),
        "{}",
        answer.body
    );
    assert!(
        answer
            .body
            .contains("<soap:Value>soap:VersionMismatch</soap:Value>"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn an_encoding_declaration_flowgate_does_not_read_is_refused_on_every_url() {
    let gateway = gateway();
    for encoding in ["UTF-16", "bogus-enc", "EBCDIC-CP-US"] {
        let declaration = format!("<?xml version=\"1.0\" encoding=\"{encoding}\"?>");
        let soap = envelope(ENV11, "", &orders(&[("E-1", 1)])).replacen(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
            &declaration,
            1,
        );
        let answer = post(&gateway, "/ws/soap", &[("content-type", "text/xml")], &soap).await;
        assert_eq!(
            answer.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{encoding}"
        );
        assert!(
            answer.body.contains("<faultcode>soap:Client</faultcode>"),
            "{}",
            answer.body
        );
        assert!(
            answer
                .body
                .contains(&format!("declares encoding `{encoding}`")),
            "{}",
            answer.body
        );
        let simple = format!(
            "{declaration}<OrderList xmlns:o=\"urn:example:order\"><o:Order><o:Id>E-1</o:Id><o:Qty>1</o:Qty></o:Order></OrderList>"
        );
        let answer = post(
            &gateway,
            "/ws/simple/createOrder",
            &[("content-type", "application/xml")],
            &simple,
        )
        .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{encoding}");
        assert!(
            answer.body.contains("urn:flowgate:problem:malformed-body"),
            "{}",
            answer.body
        );
        assert!(
            answer
                .body
                .contains(&format!("declares encoding `{encoding}`")),
            "{}",
            answer.body
        );
    }
    // ASCII under an encoding that agrees with ASCII is read.
    let simple = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><OrderList xmlns:o=\"urn:example:order\"><o:Order><o:Id>E-1</o:Id><o:Qty>1</o:Qty></o:Order></OrderList>";
    let answer = post(
        &gateway,
        "/ws/simple/createOrder",
        &[("content-type", "application/xml")],
        simple,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn soap_encoding_is_a_client_fault() {
    let gateway = gateway();
    let encoded = envelope(ENV11, "", &orders(&[("S-1", 1)])).replace(
        "<soap:Body>",
        "<soap:Body soap:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">",
    );
    let answer = post(
        &gateway,
        "/ws/soap",
        &[("content-type", "text/xml")],
        &encoded,
    )
    .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        answer.body.contains("<faultcode>soap:Client</faultcode>"),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("SOAP encoding is not supported"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn a_soap_11_must_understand_fault_has_no_detail() {
    let gateway = gateway();
    let header =
        "<soap:Header><w:Security xmlns:w=\"urn:wsse\" soap:mustUnderstand=\"1\"/></soap:Header>";
    let answer = post(
        &gateway,
        "/ws/soap",
        &[("content-type", "text/xml")],
        &envelope(ENV11, header, "<ws:getPing/>"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        answer.body.contains("<faultcode>soap:MustUnderstand</faultcode><faultstring>header blocks marked mustUnderstand are not understood: {urn:wsse}Security</faultstring></soap:Fault>"),
        "{}",
        answer.body
    );
}
