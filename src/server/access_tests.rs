//! Access rules through dispatch: every way in, and every way around.
//!
//! Requests are built in memory with any peer address, so IPv6 clients and
//! proxies are as easy to test as loopback ones.

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use sha2::{Digest, Sha256};

use super::dispatch::handle;
use super::tests::snapshot;
use super::{Gateway, Peer};
use crate::access::cert::ClientCertificate;
use crate::test_pki::Ca;

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// An argon2id hash with a small cost, so debug builds check it quickly.
pub(super) fn cheap_hash(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(256, 1, 1, None).unwrap();
    let argon2 = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"flowgate-test-salt").unwrap();
    argon2
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

fn settings() -> String {
    format!(
        r#"[server]
trusted_proxies = ["10.0.0.0/8"]

[server.https]
listen = "127.0.0.1:0"
cert = "certs/server.pem"
key = "certs/server.key"
client_ca = "certs/clients.pem"

[users.acme]
password_hash = "{acme}"
token_sha256 = "{acme_token}"
roles = ["partners"]

[users.bob]
token_sha256 = "{bob_token}"
allow_ips = ["192.0.2.0/24", "2001:db8::/32"]

[users.carol]
token_sha256 = "{carol_token}"
processes = ["tokens"]

[users.gw]
cert_subject = "CN=gw-client, O=Acme"
"#,
        acme = cheap_hash("acme-password"),
        acme_token = sha256("acme-token"),
        bob_token = sha256("bob-token"),
        carol_token = sha256("carol-token"),
    )
}

/// A process that says who called it.
fn whoami(operation: &str, object: &str, access: &str) -> String {
    format!(
        "listen: {{ operation: {operation}, object: {object}, output: json }}\naccess: {access}\nsteps:\n  - message: '{{\"user\": {{{{ request.user | tojson }}}}, \"ip\": \"{{{{ request.remote_ip }}}}\"}}'\n  - return: {{}}\n"
    )
}

fn rest(pattern: &str, access: &str) -> String {
    format!(
        "listen: {{ operation: get, object: Thing, output: json, rest: \"GET {pattern}\" }}\naccess: {access}\nsteps:\n  - message: '{{\"user\": {{{{ request.user | tojson }}}}, \"params\": {{{{ request.params | tojson }}}}}}'\n  - return: {{}}\n"
    )
}

fn gateway() -> Arc<Gateway> {
    let settings = settings();
    let ca = Ca::new("clients");
    let server = ca.server("gateway.test");
    Gateway::new(snapshot(&[
        ("flowgate.toml", &settings),
        ("certs/server.pem", &server.cert),
        ("certs/server.key", &server.key),
        ("certs/clients.pem", &ca.pem),
        (
            "processes/public.yaml",
            &whoami("get", "Public", "{ auth: [none] }"),
        ),
        (
            "processes/mixed.yaml",
            &whoami("get", "Mixed", "{ auth: [none, token] }"),
        ),
        (
            "processes/partners.yaml",
            &whoami(
                "get",
                "Partners",
                "{ auth: [basic, token], users: [\"role:partners\"] }",
            ),
        ),
        (
            "processes/tokens.yaml",
            &whoami(
                "get",
                "Tokens",
                "{ auth: [token], allow_ips: [127.0.0.0/8, \"::1\", 192.0.2.0/24, \"2001:db8::/32\", 10.0.0.0/8] }",
            ),
        ),
        (
            "processes/certs.yaml",
            &whoami("get", "Certs", "{ auth: [mtls] }"),
        ),
        (
            "processes/either.yaml",
            &whoami("get", "Either", "{ auth: [token, mtls] }"),
        ),
        (
            "processes/admin.yaml",
            &rest("/admin/{id}", "{ auth: [token], users: [acme] }"),
        ),
        (
            "processes/any-area.yaml",
            &rest("/{area}/{id}", "{ auth: [none] }").replace("object: Thing", "object: Area"),
        ),
        (
            "processes/pages.yaml",
            "listen: { operation: query, object: Page, output: json-list, page_size: 1 }\naccess: { auth: [token], users: [acme, bob] }\nsteps:\n  - message: '{\"n\": 1}'\n  - branch: [[return: {}], [return: {}], [return: {}]]\n",
        ),
        (
            "processes/browser.yaml",
            &whoami(
                "get",
                "Browser",
                "{ auth: [token], cors: { origins: [\"https://app.example.com\"], credentials: true } }",
            ),
        ),
    ]))
}

struct Call {
    status: StatusCode,
    headers: http::HeaderMap,
    body: String,
}

impl Call {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("JSON: {}", self.body))
    }
}

async fn send(gateway: &Arc<Gateway>, request: http::request::Builder, peer: Peer) -> Call {
    send_body(gateway, request, Bytes::new(), peer).await
}

async fn send_body(
    gateway: &Arc<Gateway>,
    request: http::request::Builder,
    body: Bytes,
    peer: Peer,
) -> Call {
    let request = request
        .header(header::HOST, "gateway.test")
        .body(Full::new(body))
        .unwrap();
    let response = handle(gateway.clone(), request, peer).await;
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Call {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn from(addr: &str) -> Peer {
    let addr: SocketAddr = addr.parse().unwrap();
    Peer::plain(addr)
}

fn local() -> Peer {
    from("127.0.0.1:40000")
}

fn get(uri: &str) -> http::request::Builder {
    Request::builder().method("GET").uri(uri)
}

fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

#[tokio::test]
async fn a_public_route_takes_anybody_and_ignores_credentials() {
    let gateway = gateway();
    let call = send(&gateway, get("/ws/simple/getPublic"), local()).await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    assert_eq!(call.json()["user"], serde_json::Value::Null);
    let call = send(
        &gateway,
        get("/ws/simple/getPublic").header(header::AUTHORIZATION, "Bearer nonsense"),
        local(),
    )
    .await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
}

#[tokio::test]
async fn tokens_come_as_bearer_or_api_key() {
    let gateway = gateway();
    for request in [
        get("/ws/simple/getTokens").header(header::AUTHORIZATION, "Bearer acme-token"),
        get("/ws/simple/getTokens").header(header::AUTHORIZATION, "bearer   acme-token"),
        get("/ws/simple/getTokens").header("x-api-key", "acme-token"),
    ] {
        let call = send(&gateway, request, local()).await;
        assert_eq!(call.status, StatusCode::OK, "{}", call.body);
        assert_eq!(call.json()["user"], "acme");
    }
    for (request, detail) in [
        (get("/ws/simple/getTokens"), "needs credentials"),
        (
            get("/ws/simple/getTokens").header(header::AUTHORIZATION, "Bearer wrong"),
            "token is not known",
        ),
        (
            get("/ws/simple/getTokens").header(header::AUTHORIZATION, "Bearer "),
            "token is not known",
        ),
        (
            get("/ws/simple/getTokens")
                .header(header::AUTHORIZATION, "Bearer acme-token")
                .header("x-api-key", "bob-token"),
            "send one credential",
        ),
        (
            get("/ws/simple/getTokens").header(header::AUTHORIZATION, "Digest x"),
            "not one flowgate takes",
        ),
        (
            get("/ws/simple/getTokens")
                .header(header::AUTHORIZATION, basic("acme", "acme-password")),
            "does not take basic",
        ),
    ] {
        let call = send(&gateway, request, local()).await;
        assert_eq!(call.status, StatusCode::UNAUTHORIZED, "{}", call.body);
        assert!(call.body.contains(detail), "{detail}: {}", call.body);
        assert!(call.body.contains("urn:flowgate:problem:unauthenticated"));
        // Tokens are asked for; basic is not allowed here, so no browser prompt is.
        let challenges: Vec<_> = call
            .headers
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .collect();
        assert_eq!(challenges, ["Bearer realm=\"flowgate\""]);
    }
}

#[tokio::test]
async fn basic_checks_the_password_and_asks_for_one() {
    let gateway = gateway();
    let call = send(
        &gateway,
        get("/ws/simple/getPartners").header(header::AUTHORIZATION, basic("acme", "acme-password")),
        local(),
    )
    .await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    assert_eq!(call.json()["user"], "acme");
    for authorization in [
        None,
        Some(basic("acme", "wrong")),
        Some(basic("acme", "")),
        Some(basic("nobody", "acme-password")),
        Some("Basic !!!not-base64".to_owned()),
        Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("no-colon")
        )),
    ] {
        let mut request = get("/ws/simple/getPartners");
        if let Some(value) = &authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        let call = send(&gateway, request, local()).await;
        assert_eq!(
            call.status,
            StatusCode::UNAUTHORIZED,
            "{authorization:?}: {}",
            call.body
        );
        let challenges: Vec<_> = call
            .headers
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .collect();
        assert_eq!(
            challenges,
            ["Basic realm=\"flowgate\"", "Bearer realm=\"flowgate\""]
        );
        assert!(!call.body.contains("acme-password"));
    }
}

#[tokio::test]
async fn a_user_outside_the_routes_users_or_roles_is_403() {
    let gateway = gateway();
    // bob has a good token but not the role partners.
    let call = send(
        &gateway,
        get("/ws/simple/getPartners").header("x-api-key", "bob-token"),
        from("192.0.2.5:1000"),
    )
    .await;
    assert_eq!(call.status, StatusCode::FORBIDDEN, "{}", call.body);
    assert!(
        call.body.contains("user `bob` may not use this route"),
        "{}",
        call.body
    );
    // carol may run `tokens` only, whatever the route's rules say.
    let call = send(
        &gateway,
        get("/ws/simple/getMixed").header("x-api-key", "carol-token"),
        local(),
    )
    .await;
    assert_eq!(call.status, StatusCode::FORBIDDEN, "{}", call.body);
    let call = send(
        &gateway,
        get("/ws/simple/getTokens").header("x-api-key", "carol-token"),
        local(),
    )
    .await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
}

#[tokio::test]
async fn mixed_routes_admit_anonymous_callers_but_not_wrong_credentials() {
    let gateway = gateway();
    let call = send(&gateway, get("/ws/simple/getMixed"), local()).await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    assert_eq!(call.json()["user"], serde_json::Value::Null);
    let call = send(
        &gateway,
        get("/ws/simple/getMixed").header("x-api-key", "acme-token"),
        local(),
    )
    .await;
    assert_eq!(call.json()["user"], "acme");
    let call = send(
        &gateway,
        get("/ws/simple/getMixed").header("x-api-key", "stolen"),
        local(),
    )
    .await;
    assert_eq!(call.status, StatusCode::UNAUTHORIZED, "{}", call.body);
}

#[tokio::test]
async fn address_allowlists_of_routes_and_users_ipv4_and_ipv6() {
    let gateway = gateway();
    let tokens = |token: &str| get("/ws/simple/getTokens").header("x-api-key", token.to_owned());
    // The route admits 192.0.2.0/24 and 2001:db8::/32, and IPv4 seen through a dual-stack socket.
    for peer in [
        "192.0.2.9:1",
        "[2001:db8::7]:1",
        "[::ffff:192.0.2.9]:1",
        "[::1]:1",
    ] {
        let call = send(&gateway, tokens("acme-token"), from(peer)).await;
        assert_eq!(call.status, StatusCode::OK, "{peer}: {}", call.body);
    }
    for peer in [
        "198.51.100.1:1",
        "[2001:db9::1]:1",
        "[::ffff:198.51.100.1]:1",
    ] {
        let call = send(&gateway, tokens("acme-token"), from(peer)).await;
        assert_eq!(call.status, StatusCode::FORBIDDEN, "{peer}: {}", call.body);
        assert!(
            call.body
                .contains("urn:flowgate:problem:address-not-allowed")
        );
    }
    // bob may connect from 192.0.2.0/24 and 2001:db8::/32 only: loopback is refused for him.
    let call = send(&gateway, tokens("bob-token"), from("[2001:db8::1]:1")).await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    let call = send(&gateway, tokens("bob-token"), local()).await;
    assert_eq!(call.status, StatusCode::FORBIDDEN, "{}", call.body);
    assert!(
        call.body
            .contains("user `bob` may not connect from 127.0.0.1"),
        "{}",
        call.body
    );
    // Authentication comes first: no credentials from a refused address is a 401.
    let call = send(
        &gateway,
        get("/ws/simple/getTokens"),
        from("198.51.100.1:1"),
    )
    .await;
    assert_eq!(call.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_body_the_route_does_not_take_is_refused_only_after_access() {
    let gateway = gateway();
    let post = || {
        get("/ws/simple/getTokens")
            .method("POST")
            .header(header::CONTENT_LENGTH, "1")
    };
    let body = || Bytes::from_static(b"x");
    // An outsider learns nothing about the route from its body.
    let call = send_body(&gateway, post(), body(), local()).await;
    assert_eq!(call.status, StatusCode::UNAUTHORIZED, "{}", call.body);
    let admitted = post().header("x-api-key", "acme-token");
    let call = send_body(&gateway, admitted, body(), local()).await;
    assert_eq!(call.status, StatusCode::METHOD_NOT_ALLOWED, "{}", call.body);
    assert_eq!(
        call.headers[header::ALLOW],
        "GET, HEAD, POST, PUT, DELETE, PATCH"
    );
}

#[tokio::test]
async fn forwarded_for_counts_only_from_trusted_proxies() {
    let gateway = gateway();
    let tokens = || get("/ws/simple/getTokens").header("x-api-key", "bob-token");
    // From an untrusted peer, the header is the client's word and is ignored.
    let call = send(
        &gateway,
        tokens().header("x-forwarded-for", "192.0.2.1"),
        from("198.51.100.1:1"),
    )
    .await;
    assert_eq!(call.status, StatusCode::FORBIDDEN, "{}", call.body);
    // A spoofed left-hand entry behind a trusted proxy: the rightmost untrusted hop counts.
    let call = send(
        &gateway,
        tokens().header("x-forwarded-for", "192.0.2.1, 198.51.100.1"),
        from("10.1.1.1:1"),
    )
    .await;
    assert_eq!(call.status, StatusCode::FORBIDDEN, "{}", call.body);
    // The proxy's own word about its client.
    let call = send(
        &gateway,
        tokens().header("x-forwarded-for", "198.51.100.1, 192.0.2.1"),
        from("10.1.1.1:1"),
    )
    .await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    assert_eq!(call.json()["ip"], "192.0.2.1");
    // A hop with a port, as some load balancers write it.
    let call = send(
        &gateway,
        tokens().header("x-forwarded-for", "192.0.2.1:5100"),
        from("10.1.1.1:1"),
    )
    .await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    assert_eq!(call.json()["ip"], "192.0.2.1");
    // A hop that is no address is never taken for the proxy's own.
    let call = send(
        &gateway,
        tokens().header("x-forwarded-for", "192.0.2.1, unknown"),
        from("10.1.1.1:1"),
    )
    .await;
    assert_eq!(call.status, StatusCode::BAD_REQUEST, "{}", call.body);
    assert!(
        call.body.contains(
            "the X-Forwarded-For hop `unknown` passed on by a trusted proxy is not an IP address"
        ),
        "{}",
        call.body
    );
}

#[tokio::test]
async fn client_certificates_map_to_users() {
    let gateway = gateway();
    let certificate = |subject: &str, keys: Vec<String>| Peer {
        tls: true,
        certificate: Some(Arc::new(ClientCertificate {
            subject: subject.to_owned(),
            keys,
        })),
        ..local()
    };
    let mapped = certificate(
        "CN=gw-client, O=Acme",
        vec![crate::access::cert::subject_key("O=Acme, CN=gw-client").unwrap()],
    );
    let call = send(&gateway, get("/ws/simple/getCerts"), mapped.clone()).await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    assert_eq!(call.json()["user"], "gw");
    let unmapped = certificate(
        "CN=stranger",
        vec![crate::access::cert::subject_key("CN=stranger").unwrap()],
    );
    let call = send(&gateway, get("/ws/simple/getCerts"), unmapped).await;
    assert_eq!(call.status, StatusCode::FORBIDDEN, "{}", call.body);
    assert!(
        call.body.contains("`CN=stranger` is not mapped"),
        "{}",
        call.body
    );
    let call = send(&gateway, get("/ws/simple/getCerts"), local()).await;
    assert_eq!(call.status, StatusCode::UNAUTHORIZED, "{}", call.body);
    assert!(call.body.contains("client certificate"), "{}", call.body);
    // A certificate is no key to routes that do not take mtls.
    let call = send(&gateway, get("/ws/simple/getTokens"), mapped.clone()).await;
    assert_eq!(call.status, StatusCode::UNAUTHORIZED, "{}", call.body);

    // Where it is one, it is one too many beside a header credential.
    let either = || get("/ws/simple/getEither");
    let call = send(&gateway, either(), mapped.clone()).await;
    assert_eq!(call.json()["user"], "gw", "{}", call.body);
    let token = || either().header(header::AUTHORIZATION, "Bearer acme-token");
    let call = send(&gateway, token(), local()).await;
    assert_eq!(call.json()["user"], "acme", "{}", call.body);
    let call = send(&gateway, token(), mapped).await;
    assert_eq!(call.status, StatusCode::UNAUTHORIZED, "{}", call.body);
    assert!(
        call.body.contains("more than one credential"),
        "{}",
        call.body
    );
}

#[tokio::test]
async fn paths_cannot_reach_a_protected_route_under_other_rules() {
    let gateway = gateway();
    // The protected route works with acme's token and refuses without it.
    let call = send(
        &gateway,
        get("/ws/rest/admin/7").header("x-api-key", "acme-token"),
        local(),
    )
    .await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    let call = send(&gateway, get("/ws/rest/admin/7"), local()).await;
    assert_eq!(call.status, StatusCode::UNAUTHORIZED);
    // The public `/{area}/{id}` answers other areas.
    let call = send(&gateway, get("/ws/rest/shop/7"), local()).await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);

    // Paths that different layers could read differently are refused outright.
    for path in [
        "/ws/rest/shop/../admin/7",
        "/ws/rest/shop/%2e%2e/admin/7",
        "/ws/rest/shop/%2E%2e/admin/7",
        "/ws/rest/./admin/7",
        "/ws/rest//admin/7",
        "/ws/rest/admin//7",
        "/ws/rest/admin%2F7/x",
        "/ws/rest/shop/admin%2f7",
        "/ws/rest/admin%5c7/x",
        "/ws/simple/../rest/admin/7",
        "/ws/rest/admin%00/7",
        "/ws/rest/admin%zz/7",
    ] {
        let call = send(&gateway, get(path), local()).await;
        assert_eq!(
            call.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            call.body
        );
        assert!(
            call.body.contains("urn:flowgate:problem:bad-request"),
            "{path}"
        );
    }
    // Everything else names one route and gets that route's rules: an
    // escape decodes to `admin` and meets its rules; a case variant or
    // another spelling is another area of the public route, never `admin`.
    for path in [
        "/ws/rest/adm%69n/7",
        "/ws/rest/%61dmin/7",
        "/ws/rest/admin/7/",
        "/ws/rest/ADMIN/7",
        "/ws/rest/Admin/7",
        "/ws/rest/admin%20/7",
        "/ws/rest/admin;x=1/7",
        "/WS/REST/admin/7",
    ] {
        let call = send(&gateway, get(path), local()).await;
        match call.status {
            StatusCode::OK => assert_ne!(call.json()["params"]["area"], "admin", "{path}"),
            StatusCode::UNAUTHORIZED | StatusCode::NOT_FOUND => {}
            other => panic!("{path}: {other} {}", call.body),
        }
    }
    let call = send(&gateway, get("/ws/rest/adm%69n/7"), local()).await;
    assert_eq!(call.status, StatusCode::UNAUTHORIZED, "{}", call.body);
    let call = send(&gateway, get("/ws/rest/ADMIN/7"), local()).await;
    assert_eq!(call.json()["params"]["area"], "ADMIN");
}

#[tokio::test]
async fn cors_preflights_for_listed_origins_only() {
    let gateway = gateway();
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/ws/simple/getBrowser")
            .header(header::ORIGIN, origin.to_owned())
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization")
    };
    // No credentials needed for the preflight.
    let call = send(&gateway, preflight("https://app.example.com"), local()).await;
    assert_eq!(call.status, StatusCode::NO_CONTENT, "{}", call.body);
    assert_eq!(
        call.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example.com"
    );
    assert_eq!(
        call.headers[header::ACCESS_CONTROL_ALLOW_CREDENTIALS],
        "true"
    );
    assert!(
        call.headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    let call = send(&gateway, preflight("https://evil.example.com"), local()).await;
    assert_eq!(call.status, StatusCode::FORBIDDEN, "{}", call.body);
    assert!(
        !call
            .headers
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );
    // A route without cors answers no preflight.
    let call = send(
        &gateway,
        preflight("https://app.example.com").uri("/ws/simple/getTokens"),
        local(),
    )
    .await;
    assert_eq!(call.status, StatusCode::FORBIDDEN, "{}", call.body);
    // Nor does a method the route lacks, or a header cors does not list.
    let call = send(
        &gateway,
        preflight("https://app.example.com")
            .uri("/ws/rest/admin/1")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "DELETE"),
        local(),
    )
    .await;
    assert_eq!(call.status, StatusCode::FORBIDDEN, "{}", call.body);
    assert!(call.body.contains("cors-refused"), "{}", call.body);
    let call = send(
        &gateway,
        preflight("https://app.example.com")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "x-evil"),
        local(),
    )
    .await;
    assert_eq!(call.status, StatusCode::FORBIDDEN, "{}", call.body);
    assert!(
        call.body.contains("`x-evil` is not allowed"),
        "{}",
        call.body
    );
    // The real request still needs its token; its answers name the origin, even a 401.
    let call = send(
        &gateway,
        get("/ws/simple/getBrowser").header(header::ORIGIN, "https://app.example.com"),
        local(),
    )
    .await;
    assert_eq!(call.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        call.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example.com"
    );
    let call = send(
        &gateway,
        get("/ws/simple/getBrowser")
            .header(header::ORIGIN, "https://evil.example.com")
            .header("x-api-key", "acme-token"),
        local(),
    )
    .await;
    assert_eq!(call.status, StatusCode::OK);
    assert!(
        !call
            .headers
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );
    assert_eq!(call.headers[header::VARY], "origin");
}

#[tokio::test]
async fn a_query_that_does_not_decode_to_utf8_is_400_before_anything_runs() {
    let gateway = gateway();
    let call = send(&gateway, get("/ws/simple/getPublic?name=caf%E9"), local()).await;
    assert_eq!(call.status, StatusCode::BAD_REQUEST, "{}", call.body);
    assert!(
        call.body
            .contains("the query parameter `name` does not decode to UTF-8"),
        "{}",
        call.body
    );
    assert!(!call.headers.contains_key("x-execution-id"));
    let call = send(
        &gateway,
        get("/ws/simple/getPublic?name=caf%C3%A9"),
        local(),
    )
    .await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
}

#[tokio::test]
async fn malformed_heads_are_400() {
    let gateway = gateway();
    let no_host = Request::builder()
        .uri("/ws/simple/getPublic")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = handle(gateway.clone(), no_host, local()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let call = send(
        &gateway,
        get("/ws/simple/getPublic").header(header::HOST, "other.test"),
        local(),
    )
    .await;
    assert_eq!(call.status, StatusCode::BAD_REQUEST);
    assert!(call.body.contains("more than one Host"), "{}", call.body);
    let call = send(
        &gateway,
        get("/ws/simple/getPublic")
            .header(header::CONTENT_LENGTH, "0")
            .header(header::TRANSFER_ENCODING, "chunked"),
        local(),
    )
    .await;
    assert_eq!(call.status, StatusCode::BAD_REQUEST);
    assert_eq!(call.headers[header::CONNECTION], "close");
}

/// `flowgate test`'s way in: a user without credentials, who must still be
/// one the route's auth methods could admit and whose rules still apply.
#[tokio::test]
async fn in_process_callers_act_as_users_under_their_rules() {
    use super::InProcess;
    use super::dispatch::handle_in_process;
    let gateway = gateway();
    let call = |uri: &'static str, user: Option<&'static str>, from: &'static str| {
        let gateway = gateway.clone();
        async move {
            let request = get(uri)
                .header(header::HOST, "gateway.test")
                .body(Full::new(Bytes::new()))
                .unwrap();
            let caller = InProcess {
                user: user.map(str::to_owned),
                ..InProcess::default()
            };
            let response = handle_in_process(gateway, request, from.parse().unwrap(), caller).await;
            let status = response.status();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        }
    };
    // acme has a password and a token: admitted where either is taken.
    let (status, body) = call("/ws/simple/getPartners", Some("acme"), "127.0.0.1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(r#""user": "acme""#), "{body}");
    // bob has a token only, and partners take basic or token: bob is no partner.
    let (status, _) = call("/ws/simple/getPartners", Some("bob"), "192.0.2.9").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // bob's own address list applies.
    let (status, body) = call("/ws/simple/getTokens", Some("bob"), "127.0.0.1").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("address-not-allowed"), "{body}");
    // carol may run `tokens` only.
    let (status, _) = call("/ws/simple/getTokens", Some("carol"), "127.0.0.1").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call("/ws/simple/getMixed", Some("carol"), "127.0.0.1").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // gw has a certificate only: a token route cannot admit it.
    let (status, body) = call("/ws/simple/getTokens", Some("gw"), "127.0.0.1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body.contains("has no credential this route takes"),
        "{body}"
    );
    let (status, _) = call("/ws/simple/getCerts", Some("gw"), "127.0.0.1").await;
    assert_eq!(status, StatusCode::OK);
    // On a public route the user is ignored, like credentials.
    let (status, body) = call("/ws/simple/getPublic", Some("acme"), "127.0.0.1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#""user": null"#), "{body}");
    // Without a user, the request needs credentials like any other.
    let (status, _) = call("/ws/simple/getPartners", None, "127.0.0.1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call("/ws/simple/getPartners", Some("nobody"), "127.0.0.1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_next_page_is_only_for_the_caller_that_got_the_first() {
    let gateway = gateway();
    let acme = || get("/ws/simple/queryPage").header(header::AUTHORIZATION, "Bearer acme-token");
    let first = send(&gateway, acme(), local()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body, r#"[{"n": 1}]"#);
    let execution_id = first.headers["x-execution-id"].clone();
    let link = first.headers["link"].to_str().unwrap();
    let next = link
        .strip_prefix('<')
        .and_then(|l| l.split('>').next())
        .unwrap()
        .to_owned();
    let follow = |request: http::request::Builder| request.uri(next.as_str());

    // Every refusal leaves the token for its owner.
    let anonymous = send(&gateway, follow(Request::builder()), local()).await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.body
    );
    let wrong = follow(Request::builder()).header(header::AUTHORIZATION, "Bearer nonsense");
    assert_eq!(
        send(&gateway, wrong, local()).await.status,
        StatusCode::UNAUTHORIZED
    );
    let carol = follow(Request::builder()).header(header::AUTHORIZATION, "Bearer carol-token");
    assert_eq!(
        send(&gateway, carol, local()).await.status,
        StatusCode::FORBIDDEN
    );
    let bob = follow(Request::builder()).header(header::AUTHORIZATION, "Bearer bob-token");
    let bob = send(&gateway, bob, from("192.0.2.7:5000")).await;
    assert_eq!(bob.status, StatusCode::FORBIDDEN, "{}", bob.body);
    assert!(bob.body.contains("another caller"), "{}", bob.body);
    let post = follow(Request::builder().method("POST"))
        .header(header::AUTHORIZATION, "Bearer acme-token");
    let post = send(&gateway, post, local()).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED, "{}", post.body);
    assert_eq!(post.headers["allow"], "GET, HEAD");

    let second = follow(Request::builder()).header(header::AUTHORIZATION, "Bearer acme-token");
    let second = send(&gateway, second, local()).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body, r#"[{"n": 1}]"#);
    assert_eq!(
        second.headers["x-execution-id"], execution_id,
        "the pages of one execution"
    );
    assert!(second.headers.contains_key("link"), "a third page");

    // A token on a path nothing serves is no page: that path is a 404.
    let nowhere = get("/ws/simple/queryNothing?page_token=abc");
    assert_eq!(
        send(&gateway, nowhere, local()).await.status,
        StatusCode::NOT_FOUND
    );
}
