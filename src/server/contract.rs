//! Serving the published contracts: who is asking, and where they reach us.
//!
//! A caller sees only what it may use (SPEC §3): a process is in its WSDL
//! or OpenAPI document when the process's access rules admit the caller
//! right now, with the credentials, certificate and address of this very
//! request. A caller that presents no credentials sees what anonymous
//! callers may use; one that presents wrong ones is refused with a 401, as
//! on any route that reads credentials (SPEC §3.1). The generators
//! themselves live in [`crate::contract`].

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, header};

use super::Peer;
use super::dispatch::{
    Body, challenge, check_access, denial_problem, method_not_allowed, problem_response,
};
use crate::access::AuthMethods;
use crate::snapshot::{Listen, ProcessId, Snapshot};

/// The 401 for a caller whose `Authorization` or `X-API-Key` credential is
/// no user's, as a problem document (`xml` or JSON): wrong credentials are
/// not quietly read as none. Where no process `filter` selects takes
/// credentials, none are read, as on a public route. The challenge names
/// the schemes those processes take (basic, tokens).
pub(super) async fn refusal(
    snapshot: &Snapshot,
    headers: &HeaderMap,
    xml: bool,
    filter: impl Fn(&Listen) -> bool,
) -> Option<Response<Body>> {
    // The ways in of every process the contract covers, for the challenge.
    let mut ways = AuthMethods {
        none: false,
        basic: false,
        token: false,
        mtls: false,
    };
    let mut reads = false;
    for process in &snapshot.processes {
        if process.listen.as_ref().is_some_and(&filter) {
            let auth = process.access.auth;
            reads |= !auth.is_public_only();
            ways.basic |= auth.basic;
            ways.token |= auth.token;
        }
    }
    if !reads {
        return None;
    }
    let denial = crate::access::identify(&snapshot.users, headers)
        .await
        .err()?;
    tracing::info!(reason = %denial, "Contract refused");
    let mut response = problem_response(&denial_problem(denial), xml, None);
    challenge(&mut response, ways);
    Some(response)
}

/// The processes with a listen block that `filter` selects and whose access
/// rules admit this caller.
pub(super) async fn visible(
    snapshot: &Snapshot,
    headers: &HeaderMap,
    peer: &Peer,
    filter: impl Fn(&Listen) -> bool,
) -> Vec<ProcessId> {
    let mut visible = Vec::new();
    for (index, process) in snapshot.processes.iter().enumerate() {
        if !process.listen.as_ref().is_some_and(&filter) {
            continue;
        }
        if check_access(snapshot, process, headers, peer).await.is_ok() {
            visible.push(ProcessId::from_index(index));
        }
    }
    visible
}

/// `GET /ws/rest/openapi.json`: the OpenAPI document of the simple and
/// REST routes this caller may use.
pub(super) async fn openapi(
    snapshot: &Snapshot,
    parts: &http::request::Parts,
    peer: &Peer,
) -> Response<Body> {
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return method_not_allowed(&parts.method, &[Method::GET, Method::HEAD], false);
    }
    if let Some(refused) = refusal(snapshot, &parts.headers, false, |_| true).await {
        return refused;
    }
    let visible = visible(snapshot, &parts.headers, peer, |_| true).await;
    let base = base_url(
        snapshot,
        &parts.headers,
        parts.uri.authority().map(|a| a.as_str()),
        peer,
    );
    let document = crate::contract::openapi::generate(snapshot, &visible, &base);
    let body = crate::contract::openapi::text(&document);
    let mut response = Response::new(Body::new(Bytes::from(body)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Where clients reach this server: `[server] base_url`, else the scheme
/// and `Host` of the request. Behind a trusted proxy, its
/// `X-Forwarded-Proto` and `X-Forwarded-Host` win, as the proxy is the one
/// the client talked to; from anyone else they are ignored.
pub(super) fn base_url(
    snapshot: &Snapshot,
    headers: &HeaderMap,
    authority: Option<&str>,
    peer: &Peer,
) -> String {
    if let Some(base) = &snapshot.settings.base_url {
        return base.clone();
    }
    let trusted = snapshot.settings.trusted_proxies.contains(peer.addr.ip());
    let forwarded = |name: &str| {
        trusted
            .then(|| last_value(headers, name))
            .flatten()
            .filter(|value| !value.is_empty())
    };
    let scheme = match forwarded("x-forwarded-proto") {
        Some(proto) if proto.eq_ignore_ascii_case("https") => "https",
        Some(proto) if proto.eq_ignore_ascii_case("http") => "http",
        _ if peer.tls => "https",
        _ => "http",
    };
    // An absolute-form target's authority wins over `Host` (RFC 9112 §3.2.2).
    let host = forwarded("x-forwarded-host")
        .or(authority)
        .or_else(|| {
            headers
                .get(http::header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        })
        .filter(|host| is_host(host));
    match host {
        Some(host) => format!("{scheme}://{host}"),
        // HTTP/1.0 without Host, or a Host that is not a host: the address
        // the connection reached is all there is (else the configured one).
        None => {
            let settings = &snapshot.settings;
            let listen = match peer.tls {
                true => settings.https.as_ref().map(|https| https.listen),
                false => settings.listen,
            };
            match peer.local.or(listen) {
                Some(addr) => format!("{scheme}://{addr}"),
                None => format!("{scheme}://localhost"),
            }
        }
    }
}

/// The rightmost value of a header that proxies append to: the one the
/// nearest proxy wrote.
fn last_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .map(str::trim)
}

/// A host with an optional port, and nothing a URL could be bent with.
fn is_host(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 255
        && super::guard::is_host(text.as_bytes())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::tests::snapshot;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn peer(addr: &str, tls: bool) -> Peer {
        Peer {
            tls,
            ..Peer::plain(addr.parse().unwrap())
        }
    }

    #[test]
    fn the_base_url_comes_from_settings_then_the_request() {
        let behind_proxy = snapshot(&[(
            "flowgate.toml",
            "[server]\ntrusted_proxies = [\"10.0.0.0/8\"]\n",
        )]);
        let base = |h: &[(&str, &str)], from: &str, tls: bool| {
            base_url(&behind_proxy, &headers(h), None, &peer(from, tls))
        };
        assert_eq!(
            base(&[("host", "gw.example.com:9090")], "192.0.2.1:5000", false),
            "http://gw.example.com:9090"
        );
        assert_eq!(
            base(&[("host", "gw.example.com")], "192.0.2.1:5000", true),
            "https://gw.example.com"
        );
        let forwarded = [
            ("host", "10.0.0.5:9090"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "spoofed.example, api.example.com"),
        ];
        // From the trusted proxy: what it says the client used.
        assert_eq!(
            base(&forwarded, "10.1.2.3:5000", false),
            "https://api.example.com"
        );
        // From anyone else: ignored.
        assert_eq!(
            base(&forwarded, "192.0.2.1:5000", false),
            "http://10.0.0.5:9090"
        );
        // A Host that is not a host falls back to the listener's address...
        assert_eq!(
            base(&[("host", "evil.example/<x>")], "192.0.2.1:5000", false),
            "http://127.0.0.1:9090"
        );
        // ...or rather to the address the connection reached, when it is
        // known (`--listen` may have moved the listener).
        let reached = Peer {
            local: Some("127.0.0.1:9400".parse().unwrap()),
            ..peer("192.0.2.1:5000", false)
        };
        assert_eq!(
            base_url(
                &behind_proxy,
                &headers(&[("host", "bad host")]),
                None,
                &reached
            ),
            "http://127.0.0.1:9400"
        );

        // An absolute-form target's authority wins over Host; a port
        // beyond 65535 is no port.
        assert_eq!(
            base_url(
                &behind_proxy,
                &headers(&[("host", "good.example")]),
                Some("other.example:9999"),
                &reached
            ),
            "http://other.example:9999"
        );
        assert_eq!(
            base_url(
                &behind_proxy,
                &headers(&[("host", "x:99999")]),
                None,
                &reached
            ),
            "http://127.0.0.1:9400"
        );

        let fixed = snapshot(&[(
            "flowgate.toml",
            "[server]\nbase_url = \"https://api.example.com/gw/\"\n",
        )]);
        assert_eq!(
            base_url(
                &fixed,
                &headers(&[("host", "other")]),
                None,
                &peer("192.0.2.1:5000", false)
            ),
            "https://api.example.com/gw"
        );
    }
}
