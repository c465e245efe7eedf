//! RFC 9457 problem details: every error a client sees.
//!
//! A problem is JSON (`application/problem+json`) unless the route reads XML
//! or the client accepts only XML; then it is `application/problem+xml` in
//! the RFC's XML form. It never carries a stack trace or internal detail:
//! for failures on our side the client gets the execution id and the log
//! gets the rest.

use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde::Serialize;

use crate::doc::xml;

/// The `type` of each kind of problem flowgate reports.
pub mod kind {
    pub const NOT_FOUND: &str = "urn:flowgate:problem:not-found";
    pub const METHOD_NOT_ALLOWED: &str = "urn:flowgate:problem:method-not-allowed";
    pub const BAD_REQUEST: &str = "urn:flowgate:problem:bad-request";
    pub const NOT_IMPLEMENTED: &str = "urn:flowgate:problem:not-implemented";
    pub const HEAD_TOO_LARGE: &str = "urn:flowgate:problem:head-too-large";
    pub const TARGET_TOO_LONG: &str = "urn:flowgate:problem:target-too-long";
    pub const UNAUTHENTICATED: &str = "urn:flowgate:problem:unauthenticated";
    pub const FORBIDDEN: &str = "urn:flowgate:problem:forbidden";
    pub const FORBIDDEN_ADDRESS: &str = "urn:flowgate:problem:address-not-allowed";
    pub const CORS_REFUSED: &str = "urn:flowgate:problem:cors-refused";
    pub const MALFORMED_BODY: &str = "urn:flowgate:problem:malformed-body";
    pub const PROFILE_MISMATCH: &str = "urn:flowgate:problem:profile-mismatch";
    pub const PAGE_GONE: &str = "urn:flowgate:problem:page-gone";
    pub const BODY_TOO_LARGE: &str = "urn:flowgate:problem:body-too-large";
    pub const BODY_TIMEOUT: &str = "urn:flowgate:problem:body-timeout";
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "urn:flowgate:problem:unsupported-media-type";
    pub const UNEXPECTED_BODY: &str = "urn:flowgate:problem:unexpected-body";
    pub const PROCESS_EXCEPTION: &str = "urn:flowgate:problem:process-exception";
    /// Over SOAP, a `return` with an error status: the process's answer as a fault.
    pub const PROCESS_STATUS: &str = "urn:flowgate:problem:process-status";
    pub const PROCESS_FAILED: &str = "urn:flowgate:problem:process-failed";
    pub const TIMEOUT: &str = "urn:flowgate:problem:timeout";
    pub const UPSTREAM_FAILED: &str = "urn:flowgate:problem:upstream-failed";
    pub const UPSTREAM_TIMEOUT: &str = "urn:flowgate:problem:upstream-timeout";
    pub const OVERLOADED: &str = "urn:flowgate:problem:overloaded";
    /// The admin API could not read the execution store.
    pub const EXECUTION_STORE: &str = "urn:flowgate:problem:execution-store";
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<String>,
}

/// One thing wrong with a request: where (a path into the body, or a
/// parameter) and what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProblemError {
    pub path: String,
    pub message: String,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            kind,
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            execution_id: None,
        }
    }

    pub fn with_error(mut self, path: impl Into<String>, message: impl Into<String>) -> Problem {
        self.errors.push(ProblemError {
            path: path.into(),
            message: message.into(),
        });
        self
    }

    /// The detail and each error on one line, for an execution's record.
    pub fn summary(&self) -> String {
        let mut text = self.detail.clone();
        for (i, error) in self.errors.iter().enumerate() {
            text.push_str(if i == 0 { ": " } else { "; " });
            if !error.path.is_empty() {
                text.push_str(&error.path);
                text.push_str(": ");
            }
            text.push_str(&error.message);
        }
        text
    }

    pub fn with_execution_id(mut self, id: Option<&str>) -> Problem {
        self.execution_id = id.map(str::to_owned);
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The body and content type, as JSON or as XML.
    pub fn render(&self, as_xml: bool) -> (HeaderValue, Bytes) {
        if as_xml {
            (
                HeaderValue::from_static("application/problem+xml"),
                Bytes::from(self.to_xml()),
            )
        } else {
            let json = serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec());
            (
                HeaderValue::from_static("application/problem+json"),
                Bytes::from(json),
            )
        }
    }

    /// The problem as an XML document, `<problem xmlns="urn:ietf:rfc:7807">`.
    pub fn to_xml(&self) -> String {
        let mut out = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<problem xmlns=\"urn:ietf:rfc:7807\">",
        );
        let mut element = |name: &str, text: &str| {
            out.push_str(&format!("<{name}>{}</{name}>", xml::escape_lossy(text)));
        };
        element("type", self.kind);
        element("title", &self.title);
        element("status", &self.status.to_string());
        element("detail", &self.detail);
        if let Some(id) = &self.execution_id {
            element("execution_id", id);
        }
        if !self.errors.is_empty() {
            out.push_str("<errors>");
            for error in &self.errors {
                out.push_str(&format!(
                    "<error><path>{}</path><message>{}</message></error>",
                    xml::escape_lossy(&error.path),
                    xml::escape_lossy(&error.message)
                ));
            }
            out.push_str("</errors>");
        }
        out.push_str("</problem>");
        out
    }
}

/// Whether a client should get XML problems: the route reads XML, or the
/// `Accept` header names an XML type and no JSON one. Repeated `Accept`
/// fields are one list (RFC 9110 §5.3), and media types are read in any
/// case (§8.3.1).
pub fn prefers_xml(headers: &http::HeaderMap, route_reads_xml: bool) -> bool {
    if route_reads_xml {
        return true;
    }
    // A range with `q=0` is one the client refuses (RFC 9110 §12.4.2).
    let refused = |params: std::str::Split<'_, char>| {
        params
            .filter_map(|p| p.split_once('='))
            .any(|(name, value)| {
                name.trim().eq_ignore_ascii_case("q") && value.trim().parse::<f32>() == Ok(0.0)
            })
    };
    let ends = |text: &str, suffix: &str| {
        text.len() >= suffix.len()
            && text.as_bytes()[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    let (mut xml, mut json_or_any) = (false, false);
    let ranges = headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for range in ranges {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim();
        if refused(parts) {
            continue;
        }
        xml |= ends(media, "/xml") || ends(media, "+xml");
        json_or_any |= ends(media, "/json")
            || ends(media, "+json")
            || media == "*/*"
            || media.eq_ignore_ascii_case("application/*");
    }
    xml && !json_or_any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form() {
        let p = Problem::new(
            StatusCode::BAD_REQUEST,
            kind::MALFORMED_BODY,
            "the body is not valid JSON",
        )
        .with_error("", "expected value at line 1 column 2")
        .with_execution_id(Some("abc"));
        let (ct, body) = p.render(false);
        assert_eq!(ct, "application/problem+json");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["status"], 400);
        assert_eq!(v["title"], "Bad Request");
        assert_eq!(v["type"], kind::MALFORMED_BODY);
        assert_eq!(
            v["errors"][0]["message"],
            "expected value at line 1 column 2"
        );
        assert_eq!(v["execution_id"], "abc");
    }

    #[test]
    fn xml_form_escapes() {
        let p = Problem::new(StatusCode::NOT_FOUND, kind::NOT_FOUND, "no route for </x>");
        let (ct, body) = p.render(true);
        assert_eq!(ct, "application/problem+xml");
        let text = std::str::from_utf8(&body).unwrap();
        assert!(
            text.contains("<detail>no route for &lt;/x&gt;</detail>"),
            "{text}"
        );
        assert!(!text.contains("<errors>"));
        // A control character from the request cannot break the document.
        let p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            kind::PROCESS_EXCEPTION,
            "bad a\u{1}b\u{1b}c",
        );
        let (_, body) = p.render(true);
        let text = std::str::from_utf8(&body).unwrap();
        assert!(
            text.contains("<detail>bad a\u{FFFD}b\u{FFFD}c</detail>"),
            "{text}"
        );
        crate::doc::xml::check(text, &Default::default()).expect("well-formed");
    }

    #[test]
    fn negotiation() {
        let h = |values: &[&'static str]| {
            let mut headers = http::HeaderMap::new();
            for value in values {
                headers.append(http::header::ACCEPT, HeaderValue::from_static(value));
            }
            headers
        };
        assert!(prefers_xml(&h(&[]), true));
        assert!(!prefers_xml(&h(&[]), false));
        assert!(prefers_xml(&h(&["application/xml"]), false));
        assert!(prefers_xml(&h(&["text/xml;q=0.9"]), false));
        assert!(!prefers_xml(
            &h(&["application/xml, application/json"]),
            false
        ));
        assert!(!prefers_xml(&h(&["application/xml, */*;q=0.1"]), false));
        // A range refused with q=0 does not count.
        assert!(prefers_xml(
            &h(&["application/json;q=0, application/xml"]),
            false
        ));
        assert!(prefers_xml(&h(&["application/xml, */*; Q=0.000"]), false));
        assert!(!prefers_xml(&h(&["application/xml;q=0"]), false));
        // Two fields are one list; types are read in any case.
        assert!(!prefers_xml(
            &h(&["application/xml", "application/json"]),
            false
        ));
        assert!(!prefers_xml(&h(&["application/xml", "*/*"]), false));
        assert!(prefers_xml(&h(&["APPLICATION/XML"]), false));
        assert!(prefers_xml(
            &h(&["Text/Xml", "application/problem+XML"]),
            false
        ));
    }
}
