//! The published contracts, generated from the snapshot: WSDL 1.1 for the
//! SOAP operations and OpenAPI 3.1 for the simple and REST routes. Both are
//! built from the same compiled profiles that validate requests, so what is
//! published cannot drift from what is enforced.
//!
//! The generators are pure: a snapshot, the processes the caller may use,
//! and the base URL in; a document out. Who the caller is, and so which
//! processes it sees, is decided by [`crate::server`] per request (and is
//! everyone for `flowgate wsdl` and `flowgate openapi`).
//!
//! # SOAP messages (document/literal wrapped)
//!
//! The names here are shared by the SOAP endpoint and the WSDL, so a client
//! built from the WSDL sends what the endpoint reads. With `N` the
//! `[soap] namespace`, `op` the operation name (`createOrder`) and `Object`
//! the listen block's object:
//!
//! | part | element |
//! |---|---|
//! | request, input `none` | `<N:op/>` |
//! | request, input `xml` | `<N:op>` holding the request profile's document element |
//! | request, input `xml-list` | `<N:op><N:ObjectList>` holding any number of them |
//! | response, output `none` | none: a one-way operation, HTTP 202 |
//! | response, output `xml` | `<N:opResponse>` holding at most one response profile document element |
//! | response, output `xml-list` | `<N:opResponse><N:ObjectList>` holding any number of them |
//! | fault detail | the problem document, `<problem xmlns="urn:ietf:rfc:7807">` |

pub mod openapi;
pub mod wsdl;

use crate::snapshot::{Listen, Settings};

/// The SOAP 1.1 envelope namespace.
pub const SOAP11_ENVELOPE: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The SOAP 1.2 envelope namespace.
pub const SOAP12_ENVELOPE: &str = "http://www.w3.org/2003/05/soap-envelope";
/// The namespace of problem documents in XML, and of SOAP fault details.
pub const PROBLEM_NAMESPACE: &str = "urn:ietf:rfc:7807";

/// The SOAP 1.1 endpoint's path.
pub const SOAP11_PATH: &str = "/ws/soap";
/// The SOAP 1.2 endpoint's path.
pub const SOAP12_PATH: &str = "/ws/soap12";
/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/ws/rest/openapi.json";

/// The request wrapper's local name: the operation name.
pub fn request_wrapper(listen: &Listen) -> &str {
    listen.operation_name()
}

/// The response wrapper's local name: `createOrderResponse`.
pub fn response_wrapper(listen: &Listen) -> String {
    format!("{}Response", listen.operation_name())
}

/// The list element of `xml-list` bodies inside a wrapper: `OrderList`,
/// the same name as the HTTP `xml-list` output's wrapper.
pub fn list_element(listen: &Listen) -> String {
    format!("{}List", listen.object)
}

/// Where clients reach the server, as `[server] base_url` and `flowgate
/// wsdl|openapi --base-url` give it: `scheme://host[:port][/path]`, http or
/// https, kept without a trailing slash; `""` is `None` (in flowgate.toml,
/// "from the request").
pub fn parse_base_url(written: &str) -> Result<Option<String>, String> {
    let written = written.trim();
    let text = written.trim_end_matches('/');
    if text.is_empty() {
        return Ok(None);
    }
    let uri: http::Uri = text.parse().map_err(|_| {
        format!("`{written}` is not a URL: write one like `https://api.example.com`")
    })?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(format!(
            "`{written}` is not an http or https URL with a host: write one like `https://api.example.com`"
        ));
    }
    // The base URL is published in every WSDL and OpenAPI document.
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(format!(
            "`{}` holds a user name: the base URL is published in the WSDL and OpenAPI documents, so it may hold no credentials",
            crate::outbound::quoted_url(written)
        ));
    }
    if uri.query().is_some() || text.contains('#') {
        return Err(format!(
            "`{written}` has a query or fragment; the base URL is where `/ws/...` paths start"
        ));
    }
    if uri
        .authority()
        .is_some_and(|a| !crate::server::guard::is_host(a.as_str().as_bytes()))
    {
        return Err(format!(
            "`{written}` has no valid host and port: a port is a number up to 65535"
        ));
    }
    Ok(Some(text.to_owned()))
}

/// Where clients reach a server when no request says so (`flowgate wsdl`,
/// `flowgate openapi`): `[server] base_url`, else the HTTPS listener, else
/// the plain one.
pub fn default_base_url(settings: &Settings) -> String {
    if let Some(base) = &settings.base_url {
        return base.clone();
    }
    match (&settings.https, settings.listen) {
        (Some(https), _) => format!("https://{}", https.listen),
        (None, Some(listen)) => format!("http://{listen}"),
        (None, None) => "http://localhost".to_owned(),
    }
}
