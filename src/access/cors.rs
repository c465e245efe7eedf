//! CORS per process (`access.cors`): which browser origins may call a route.
//!
//! A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
//! is answered before authentication, since browsers send it without
//! credentials, and only for a listed origin and method. Other responses of
//! the route carry `Access-Control-Allow-Origin` when the request's origin is
//! listed; a browser hides the response from any other origin.

use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, header};

/// The request headers a preflight admits when `headers` is not given.
pub const DEFAULT_HEADERS: [&str; 3] = ["content-type", "authorization", "x-api-key"];
/// How long a browser may reuse a preflight answer when `max_age` is not given.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(600);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cors {
    /// Normalized origins (`https://app.example.com`), or `None` for `*`.
    pub origins: Option<Vec<String>>,
    /// `None`: the methods the route answers.
    pub methods: Option<Vec<Method>>,
    /// Lower-case header names.
    pub headers: Vec<String>,
    pub credentials: bool,
    pub max_age: Duration,
}

impl Cors {
    pub fn allows_origin(&self, origin: &str) -> bool {
        match &self.origins {
            None => true,
            Some(list) => list.iter().any(|o| o.eq_ignore_ascii_case(origin)),
        }
    }

    /// The headers of a preflight's 204 for a route that answers `method`,
    /// or why it is refused.
    pub fn preflight(
        &self,
        origin: &str,
        method: &Method,
        requested_headers: &str,
    ) -> Result<HeaderMap, String> {
        if !self.allows_origin(origin) {
            return Err(format!(
                "the origin `{origin}` may not call this route from a browser"
            ));
        }
        // A browser asks only for headers beyond the safelisted ones.
        for name in requested_headers
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            if !self.headers.iter().any(|h| h.eq_ignore_ascii_case(name)) {
                return Err(format!(
                    "the header `{name}` is not allowed from a browser here; allowed: {}",
                    join(self.headers.iter().map(String::as_str))
                ));
            }
        }
        let methods = match &self.methods {
            Some(list) if !list.contains(method) => {
                return Err(format!(
                    "{method} is not allowed from a browser here; allowed: {}",
                    join(list.iter().map(Method::as_str))
                ));
            }
            Some(list) => join(list.iter().map(Method::as_str)),
            None => method.to_string(),
        };
        let mut headers = HeaderMap::new();
        self.allow_origin(origin, &mut headers);
        insert(&mut headers, header::ACCESS_CONTROL_ALLOW_METHODS, &methods);
        if !self.headers.is_empty() {
            insert(
                &mut headers,
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                &join(self.headers.iter().map(String::as_str)),
            );
        }
        insert(
            &mut headers,
            header::ACCESS_CONTROL_MAX_AGE,
            &self.max_age.as_secs().to_string(),
        );
        Ok(headers)
    }

    /// Adds the CORS headers of a response to a request from `origin`.
    pub fn decorate(&self, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        headers.append(header::VARY, HeaderValue::from_static("origin"));
        let Some(origin) = origin.and_then(|o| o.to_str().ok()) else {
            return;
        };
        if !self.allows_origin(origin) {
            return;
        }
        self.allow_origin(origin, headers);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-execution-id"),
        );
    }

    fn allow_origin(&self, origin: &str, headers: &mut HeaderMap) {
        if self.origins.is_none() && !self.credentials {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        } else {
            insert(headers, header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        if self.credentials {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// An origin as browsers send it: `scheme://host[:port]`, lower case, no
/// default port, no path. `*` is any origin.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    let invalid = || {
        format!(
            "`{text}` is not an origin: write `https://app.example.com` (scheme, host, optional port), or `*`"
        )
    };
    let (scheme, rest) = text.split_once("://").ok_or_else(invalid)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(invalid());
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest).to_ascii_lowercase();
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(invalid());
    }
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let host = rest.strip_suffix(default_port).unwrap_or(&rest);
    Ok(format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(origins: Option<&[&str]>, credentials: bool) -> Cors {
        Cors {
            origins: origins.map(|list| list.iter().map(|o| parse_origin(o).unwrap()).collect()),
            methods: None,
            headers: DEFAULT_HEADERS.iter().map(|h| h.to_string()).collect(),
            credentials,
            max_age: DEFAULT_MAX_AGE,
        }
    }

    #[test]
    fn origins_are_normalized() {
        assert_eq!(
            parse_origin("HTTPS://App.Example.com:443/").unwrap(),
            "https://app.example.com"
        );
        assert_eq!(
            parse_origin("http://localhost:8080").unwrap(),
            "http://localhost:8080"
        );
        for bad in [
            "app.example.com",
            "ftp://x",
            "https://x/path",
            "https://",
            "null",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_preflight_is_answered_for_listed_origins_only() {
        let policy = cors(Some(&["https://app.example.com"]), true);
        let headers = policy
            .preflight("https://app.example.com", &Method::POST, "")
            .unwrap();
        assert_eq!(
            headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://app.example.com"
        );
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_METHODS], "POST");
        assert_eq!(headers[header::ACCESS_CONTROL_MAX_AGE], "600");
        assert!(
            policy
                .preflight("https://evil.example.com", &Method::POST, "")
                .is_err()
        );
        // A prefix or suffix of a listed origin is another origin.
        assert!(
            policy
                .preflight("https://app.example.com.evil.example", &Method::POST, "")
                .is_err()
        );
        let restricted = Cors {
            methods: Some(vec![Method::GET]),
            ..policy
        };
        assert!(
            restricted
                .preflight("https://app.example.com", &Method::DELETE, "")
                .unwrap_err()
                .contains("allowed: GET")
        );
        // Requested headers must be listed (any case); the default list
        // holds content-type, authorization and x-api-key.
        assert!(
            restricted
                .preflight(
                    "https://app.example.com",
                    &Method::GET,
                    "Content-Type, X-API-Key"
                )
                .is_ok()
        );
        assert!(
            restricted
                .preflight(
                    "https://app.example.com",
                    &Method::GET,
                    "content-type, x-evil"
                )
                .unwrap_err()
                .contains("`x-evil` is not allowed")
        );
    }

    #[test]
    fn responses_name_the_origin_or_nothing() {
        let policy = cors(Some(&["https://app.example.com"]), false);
        let mut headers = HeaderMap::new();
        policy.decorate(
            Some(&HeaderValue::from_static("https://app.example.com")),
            &mut headers,
        );
        assert_eq!(
            headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://app.example.com"
        );
        assert_eq!(headers[header::VARY], "origin");
        let mut headers = HeaderMap::new();
        policy.decorate(
            Some(&HeaderValue::from_static("https://evil.example.com")),
            &mut headers,
        );
        assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
        // Any origin, without credentials: a plain `*`.
        let any = cors(None, false);
        let mut headers = HeaderMap::new();
        any.decorate(
            Some(&HeaderValue::from_static("https://x.example")),
            &mut headers,
        );
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    }
}
