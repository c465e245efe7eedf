//! Requests refused before routing: heads that parsers disagree on, and
//! paths that could read as another route.
//!
//! A path is percent-decoded once, here, and routed in that form, so no
//! later layer decodes it again. Whatever could make two layers (a proxy in
//! front, the router, a process) see different paths is refused instead of
//! normalized: dot segments, doubled slashes, an encoded `/` or `\`, control
//! characters, malformed escapes. Routes are case-sensitive, so a case
//! variant is simply another path (a 404). The query is decoded where it is
//! read (`request.query`), but a parameter that does not decode to UTF-8 is
//! refused here, before anything reads it.

use std::borrow::Cow;

use http::{HeaderMap, StatusCode, Uri, Version, header};

use super::problem::{Problem, kind};
use percent_encoding::percent_decode_str;

/// Why a request head is refused.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    /// 400, 501 for a transfer coding flowgate does not decode, 431 or 414
    /// for a head over a limit.
    pub status: StatusCode,
    pub detail: String,
    /// The body's framing is in doubt: answer, then close the connection,
    /// so nothing the client sent after can be read as a request.
    pub close: bool,
}

impl Refusal {
    /// Both `Content-Length` and `Transfer-Encoding`.
    pub fn framing() -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            detail: "the request has both Content-Length and Transfer-Encoding; send one"
                .to_owned(),
            close: true,
        }
    }

    /// A head the scanner beneath hyper found flawed (see
    /// [`super::framing`]): answered in place of the process, then the
    /// connection closes.
    pub fn flawed(flaw: &super::framing::Flaw) -> Refusal {
        match flaw {
            super::framing::Flaw::Conflict => Refusal::framing(),
            super::framing::Flaw::Refused(refusal) => Refusal {
                status: refusal.status(),
                detail: refusal.detail().to_owned(),
                close: true,
            },
        }
    }

    /// A transfer coding other than `chunked`: hyper takes off the chunks
    /// only, so the body would reach the process still coded (RFC 9112
    /// §6.1: a coding the server does not understand is a 501). The body is
    /// not read, so the connection closes after the answer.
    fn unknown_coding(coding: &str) -> Refusal {
        Refusal {
            status: StatusCode::NOT_IMPLEMENTED,
            detail: format!(
                "the transfer coding `{}` is not implemented; flowgate decodes `chunked` only",
                coding.escape_debug()
            ),
            close: true,
        }
    }

    /// The problem document the client gets.
    pub fn into_problem(self) -> Problem {
        let kind = match self.status {
            StatusCode::NOT_IMPLEMENTED => kind::NOT_IMPLEMENTED,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => kind::HEAD_TOO_LARGE,
            StatusCode::URI_TOO_LONG => kind::TARGET_TOO_LONG,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => kind::UNSUPPORTED_MEDIA_TYPE,
            _ => kind::BAD_REQUEST,
        };
        Problem::new(self.status, kind, self.detail)
    }

    fn too_large(detail: String) -> Refusal {
        Refusal {
            status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            detail,
            close: false,
        }
    }

    fn new(detail: impl Into<String>) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            detail: detail.into(),
            close: false,
        }
    }
}

/// `Host` once (HTTP/1.1 requires it), never `Content-Length` beside
/// `Transfer-Encoding`, and no transfer coding but `chunked`.
pub fn check_head(version: Version, headers: &HeaderMap) -> Result<(), Refusal> {
    let hosts = headers.get_all(header::HOST).iter().count();
    if hosts > 1 {
        return Err(Refusal::new("the request has more than one Host header"));
    }
    if hosts == 0 && version == Version::HTTP_11 {
        return Err(Refusal::new("an HTTP/1.1 request must have a Host header"));
    }
    if let Some(host) = headers.get(header::HOST) {
        check_host("the Host header", host.as_bytes())?;
    }
    // hyper drops `Content-Length` beside `Transfer-Encoding` before a
    // request gets here; `server::framing` sees the raw head and marks the
    // request, which dispatch checks. This catches the pair when a request
    // is built in memory.
    if headers.contains_key(header::CONTENT_LENGTH)
        && headers.contains_key(header::TRANSFER_ENCODING)
    {
        return Err(Refusal::framing());
    }
    let mut chunked = 0;
    for coding in list_items(headers, header::TRANSFER_ENCODING) {
        if !coding.eq_ignore_ascii_case(b"chunked") {
            return Err(Refusal::unknown_coding(&String::from_utf8_lossy(coding)));
        }
        chunked += 1;
    }
    // hyper takes off one layer of chunks; a second would reach the
    // process still in the body (RFC 9112 §6.1: chunked is applied once).
    if chunked > 1 {
        return Err(Refusal {
            close: true,
            ..Refusal::new(
                "`Transfer-Encoding` names `chunked` more than once; it may be applied only once",
            )
        });
    }
    check_content_headers(headers)
}

/// `value` of `what` (the `Host` header, HTTP/2's `:authority`) if it [`is_host`].
fn check_host(what: &str, value: &[u8]) -> Result<(), Refusal> {
    if is_host(value) {
        return Ok(());
    }
    Err(Refusal::new(format!(
        "{what} `{}` is not a host with an optional port",
        String::from_utf8_lossy(value).escape_debug()
    )))
}

/// A `Host` value as RFC 9112 §3.2 has it: empty (a target without an
/// authority), or a host (a name, an IPv4 address or a bracketed IPv6
/// one) with an optional port up to 65535, and no user name.
pub(crate) fn is_host(value: &[u8]) -> bool {
    if value.is_empty() {
        return true;
    }
    let Ok(authority) = http::uri::Authority::try_from(value) else {
        return false;
    };
    let text = authority.as_str();
    let port_ok = match text.rfind(':').filter(|&at| !text[at..].contains(']')) {
        Some(at) => {
            let port = &text[at + 1..];
            port.is_empty() || port.parse::<u16>().is_ok()
        }
        None => true,
    };
    !text.contains('@') && !authority.host().is_empty() && port_ok
}

/// An HTTP/2 request's headers held to the limits of an HTTP/1 head: at
/// most `max_header_bytes`, measured as the header list size of RFC 9113
/// (each field's name and value plus 32 bytes, the pseudo-headers
/// included), and at most as many fields. The HTTP/2 layer refuses only
/// lists far over the limit, with a bare 431; this one says why.
pub fn check_h2_head(
    method: &http::Method,
    uri: &Uri,
    headers: &HeaderMap,
    max_bytes: usize,
) -> Result<(), Refusal> {
    const FIELD_OVERHEAD: usize = 32;
    let fields = headers.len();
    if fields > super::framing::MAX_HEADERS {
        return Err(Refusal::too_large(format!(
            "the request has more than {} header fields",
            super::framing::MAX_HEADERS
        )));
    }
    let pseudo = [
        (":method".len(), method.as_str().len()),
        (":scheme".len(), uri.scheme_str().map_or(0, str::len)),
        (
            ":authority".len(),
            uri.authority().map_or(0, |a| a.as_str().len()),
        ),
        (
            ":path".len(),
            uri.path_and_query().map_or(0, |p| p.as_str().len()),
        ),
    ];
    let size: usize = pseudo
        .iter()
        .map(|(name, value)| name + value + FIELD_OVERHEAD)
        .chain(
            headers
                .iter()
                .map(|(name, value)| name.as_str().len() + value.len() + FIELD_OVERHEAD),
        )
        .sum();
    if size > max_bytes {
        return Err(Refusal::too_large(format!(
            "the request's headers are over {max_bytes} bytes (`max_header_bytes`)"
        )));
    }
    check_h2_host(uri, headers)?;
    check_content_headers(headers)
}

/// The items of a comma-separated header, in every field of that name,
/// trimmed; an empty item is no item (RFC 9110 §5.6.1).
fn list_items(headers: &HeaderMap, name: header::HeaderName) -> impl Iterator<Item = &[u8]> {
    headers
        .get_all(name)
        .into_iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|item| !item.is_empty())
}

/// One `Content-Type` (the body is read by it: two could be read either
/// way), and no content coding: flowgate reads bodies as they are sent,
/// so a compressed one would be judged by its compressed bytes.
fn check_content_headers(headers: &HeaderMap) -> Result<(), Refusal> {
    if headers.get_all(header::CONTENT_TYPE).iter().count() > 1 {
        return Err(Refusal::new(
            "the request has more than one Content-Type header",
        ));
    }
    let mut codings = list_items(headers, header::CONTENT_ENCODING)
        .filter(|coding| !coding.eq_ignore_ascii_case(b"identity"));
    if let Some(coding) = codings.next() {
        return Err(Refusal {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            detail: format!(
                "the content coding `{}` is not supported; send the body uncoded, without `Content-Encoding`",
                String::from_utf8_lossy(coding).escape_debug()
            ),
            close: false,
        });
    }
    Ok(())
}

/// `:authority` names the host on HTTP/2; a `Host` beside it must not name
/// another (RFC 9113 §8.3.1), and two of them name none for sure.
pub fn check_h2_host(uri: &Uri, headers: &HeaderMap) -> Result<(), Refusal> {
    // `:authority` stands for `Host` (RFC 9113 §8.3.1): the same rule holds.
    if let Some(authority) = uri.authority() {
        check_host("the `:authority`", authority.as_str().as_bytes())?;
    }
    let mut hosts = headers.get_all(header::HOST).iter();
    if let Some(host) = hosts.next() {
        if hosts.next().is_some() {
            return Err(Refusal::new("the request has more than one Host header"));
        }
        check_host("the Host header", host.as_bytes())?;
        if let Some(authority) = uri.authority()
            && !host
                .as_bytes()
                .eq_ignore_ascii_case(authority.as_str().as_bytes())
        {
            return Err(Refusal::new(
                "the Host header names another host than the request's `:authority`",
            ));
        }
    }
    Ok(())
}

/// The path to route a request target by, percent-decoded once; refused
/// when the path could be read as another or the query does not decode
/// to UTF-8 ([`check_query`]).
pub fn normalize_target(uri: &Uri) -> Result<Cow<'_, str>, Refusal> {
    let path = normalize_path(uri.path())?;
    check_query(uri.query())?;
    Ok(path)
}

/// The path to route by: percent-decoded once, or refused.
pub(crate) fn normalize_path(raw: &str) -> Result<Cow<'_, str>, Refusal> {
    if !raw.starts_with('/') {
        return Err(Refusal::new("the path must start with `/`"));
    }
    let decoded: Cow<'_, str> = if raw.contains('%') {
        let bytes = decode(raw)?;
        Cow::Owned(
            String::from_utf8(bytes)
                .map_err(|_| Refusal::new("the path does not decode to UTF-8"))?,
        )
    } else {
        Cow::Borrowed(raw)
    };
    // One pass over the bytes: a control character is below 0x20, 0x7F, or
    // U+0080–U+009F, which UTF-8 writes as 0xC2 0x80–0x9F.
    let bytes = decoded.as_bytes();
    let control = bytes.iter().enumerate().any(|(i, &b)| {
        b < 0x20
            || b == 0x7F
            || (b == 0xC2
                && bytes
                    .get(i + 1)
                    .is_some_and(|next| (0x80..=0x9F).contains(next)))
    });
    if control {
        return Err(Refusal::new("the path has a control character"));
    }
    if bytes.contains(&b'\\') {
        return Err(Refusal::new("the path has a backslash"));
    }
    // One trailing slash is allowed; every other segment must have text.
    let body = decoded.strip_suffix('/').unwrap_or(&decoded);
    for segment in body.as_bytes().split(|&b| b == b'/').skip(1) {
        match segment {
            b"" => return Err(Refusal::new("the path has an empty segment (`//`)")),
            b"." => return Err(Refusal::new("the path has a `.` segment")),
            b".." => return Err(Refusal::new("the path has a `..` segment")),
            _ => {}
        }
    }
    Ok(decoded)
}

/// Refuses a query whose parameter names or values do not decode to UTF-8
/// (`?name=%E9`, Latin-1 for `é`): read as text, each such byte would reach
/// the process as U+FFFD, and what the client sent would be lost unseen.
/// An escape that is not one (`%zz`) stays as written, as `request.query`
/// reads it.
pub(crate) fn check_query(query: Option<&str>) -> Result<(), Refusal> {
    let Some(query) = query.filter(|query| query.contains('%')) else {
        return Ok(());
    };
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let Ok(name) = percent_decode_str(name).decode_utf8() else {
            return Err(Refusal::new(
                "the name of a query parameter does not decode to UTF-8",
            ));
        };
        if percent_decode_str(value).decode_utf8().is_err() {
            let name = name.replace('+', " ");
            return Err(Refusal::new(format!(
                "the query parameter `{name}` does not decode to UTF-8"
            )));
        }
    }
    Ok(())
}

/// Decodes `%XX` escapes; an escaped `/` would join two segments into one
/// after routing, so it is refused.
fn decode(raw: &str) -> Result<Vec<u8>, Refusal> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or_else(|| {
                Refusal::new("the path has a `%` that is not followed by two hex digits")
            })?;
        if hex == b'/' {
            return Err(Refusal::new("the path has an encoded `/` (`%2F`)"));
        }
        out.push(hex);
        i += 3;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_paths_pass_as_they_are() {
        assert!(matches!(
            normalize_path("/ws/rest/orders/eu"),
            Ok(Cow::Borrowed("/ws/rest/orders/eu"))
        ));
        assert_eq!(
            normalize_path("/ws/rest/orders/").unwrap(),
            "/ws/rest/orders/"
        );
        assert_eq!(normalize_path("/").unwrap(), "/");
    }

    #[test]
    fn escapes_are_decoded_once() {
        assert_eq!(
            normalize_path("/ws/rest/%6Frders").unwrap(),
            "/ws/rest/orders"
        );
        assert_eq!(normalize_path("/ws/rest/a%2541").unwrap(), "/ws/rest/a%41");
        assert_eq!(
            normalize_path("/ws/rest/caf%C3%A9").unwrap(),
            "/ws/rest/café"
        );
    }

    #[test]
    fn ambiguous_paths_are_refused() {
        for path in [
            "/ws/rest/public/../admin",
            "/ws/rest/public/%2e%2e/admin",
            "/ws/rest/public/%2E%2E/admin",
            "/ws/rest/./admin",
            "/ws/rest//admin",
            "/ws/rest/admin//",
            "/ws/rest/a%2fb",
            "/ws/rest/a%2Fb",
            "/ws/rest/a%5cb",
            "/ws/rest/a\\b",
            "/ws/rest/a%00",
            "/ws/rest/a%0d%0a",
            "/ws/rest/a%zz",
            "/ws/rest/a%4",
            "/ws/rest/%ff",
            "ws/rest",
        ] {
            assert!(normalize_path(path).is_err(), "{path} should be refused");
        }
    }

    #[test]
    fn queries_that_do_not_decode_to_utf8_are_refused() {
        for query in [None, Some(""), Some("name=Ada"), Some("name=caf%C3%A9&x")] {
            assert_eq!(check_query(query), Ok(()), "{query:?}");
        }
        // Not an escape: kept as written, the way `request.query` reads it.
        assert_eq!(check_query(Some("a=%zz&b=%4")), Ok(()));
        assert_eq!(
            check_query(Some("x=1&first+name=caf%E9"))
                .unwrap_err()
                .detail,
            "the query parameter `first name` does not decode to UTF-8"
        );
        assert!(
            check_query(Some("na%FFme=x"))
                .unwrap_err()
                .detail
                .contains("the name of a query parameter")
        );
        // Half of a two-byte character.
        assert!(check_query(Some("name=caf%C3")).is_err());
    }

    proptest! {
        /// A query passes exactly when every name and value, percent-decoded
        /// as `form_urlencoded` decodes them, is UTF-8: then `request.query`
        /// reads what was sent, with no U+FFFD put in.
        #[test]
        fn a_query_passes_when_form_decoding_loses_nothing(
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just("a"), Just("="), Just("&"), Just("+"), Just("%"), Just("%C3"),
                    Just("%A9"), Just("%E9"), Just("%FF"), Just("%zz"), Just("%41"), Just("é"),
                ],
                0..12,
            )
        ) {
            let query = pieces.concat();
            let lossless = form_urlencoded::parse(query.as_bytes()).all(|(name, value)| {
                !name.contains('\u{FFFD}') && !value.contains('\u{FFFD}')
            });
            prop_assert_eq!(check_query(Some(&query)).is_ok(), lossless, "{}", query);
        }
    }

    #[test]
    fn control_characters_are_the_ones_rust_calls_control() {
        // Through every character of the Basic Multilingual Plane, as such and
        // escaped: the byte scan agrees with `char::is_control`.
        for c in (0..=0xFFFF_u32).filter_map(char::from_u32) {
            let plain = format!("/a{c}b");
            let escaped: String = format!("/a{c}b")
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect::<String>()
                .replacen("%2F", "/", 1);
            for path in [plain, escaped] {
                let refused = normalize_path(&path)
                    .err()
                    .is_some_and(|r| r.detail.contains("control character"));
                assert_eq!(refused, c.is_control(), "{:?} in {path:?}", c);
            }
        }
    }

    #[test]
    fn heads_that_parsers_disagree_on() {
        let mut headers = HeaderMap::new();
        assert!(check_head(Version::HTTP_11, &headers).is_err());
        assert!(check_head(Version::HTTP_10, &headers).is_ok());
        assert!(check_head(Version::HTTP_2, &headers).is_ok());
        headers.append(header::HOST, "a".parse().unwrap());
        assert!(check_head(Version::HTTP_11, &headers).is_ok());
        headers.append(header::HOST, "b".parse().unwrap());
        assert!(
            check_head(Version::HTTP_11, &headers)
                .unwrap_err()
                .detail
                .contains("more than one Host")
        );
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "a".parse().unwrap());
        headers.insert(header::CONTENT_LENGTH, "5".parse().unwrap());
        headers.insert(header::TRANSFER_ENCODING, "chunked".parse().unwrap());
        assert!(check_head(Version::HTTP_11, &headers).unwrap_err().close);
        // Chunks taken off once would leave chunks in the body.
        headers.remove(header::CONTENT_LENGTH);
        for twice in ["chunked, chunked", "CHUNKED,Chunked"] {
            headers.insert(header::TRANSFER_ENCODING, twice.parse().unwrap());
            let refusal = check_head(Version::HTTP_11, &headers).unwrap_err();
            assert!(
                refusal.close && refusal.status == StatusCode::BAD_REQUEST,
                "{twice}"
            );
        }
        headers.insert(header::TRANSFER_ENCODING, "chunked".parse().unwrap());
        headers.append(header::TRANSFER_ENCODING, "chunked".parse().unwrap());
        assert!(check_head(Version::HTTP_11, &headers).is_err());
        // An empty item of the list is none.
        headers.insert(header::TRANSFER_ENCODING, ", chunked".parse().unwrap());
        assert_eq!(check_head(Version::HTTP_11, &headers), Ok(()));
    }

    #[test]
    fn a_body_has_one_content_type_and_no_content_coding() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "a".parse().unwrap());
        headers.append(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        headers.append(header::CONTENT_ENCODING, "identity".parse().unwrap());
        assert_eq!(check_head(Version::HTTP_11, &headers), Ok(()));
        headers.append(header::CONTENT_TYPE, "application/json".parse().unwrap());
        let refusal = check_head(Version::HTTP_11, &headers).unwrap_err();
        assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
        headers.remove(header::CONTENT_TYPE);
        headers.append(header::CONTENT_ENCODING, "gzip".parse().unwrap());
        let refusal = check_head(Version::HTTP_11, &headers).unwrap_err();
        assert_eq!(refusal.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(refusal.detail.contains("`gzip`"), "{}", refusal.detail);
        let uri: Uri = "https://a/x".parse().unwrap();
        let refusal = check_h2_head(&http::Method::POST, &uri, &headers, 16384).unwrap_err();
        assert_eq!(
            refusal.into_problem().status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
    }

    #[test]
    fn a_host_is_a_host_with_an_optional_port() {
        for good in [
            "",
            "a",
            "gw.example.com:9090",
            "10.0.0.5",
            "[::1]",
            "[::1]:80",
            "x:",
            "a,b",
        ] {
            assert!(is_host(good.as_bytes()), "{good}");
        }
        for bad in [
            "[::1",
            "x:99999",
            "x:-1",
            "a b",
            "<x>",
            "user@evil.example",
            "x:80:80",
            ":80",
        ] {
            assert!(!is_host(bad.as_bytes()), "{bad}");
        }
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "x:99999".parse().unwrap());
        let refusal = check_head(Version::HTTP_11, &headers).unwrap_err();
        assert_eq!(
            refusal.detail,
            "the Host header `x:99999` is not a host with an optional port"
        );
        // On HTTP/2 `:authority` is held to the same rule, and so is a `Host`.
        let post = http::Method::POST;
        let refusal = check_h2_head(
            &post,
            &"https://x:99999/a".parse().unwrap(),
            &HeaderMap::new(),
            16384,
        )
        .unwrap_err();
        assert_eq!(
            refusal.detail,
            "the `:authority` `x:99999` is not a host with an optional port"
        );
        let at: Uri = "https://user@evil.example/a".parse().unwrap();
        assert!(check_h2_head(&post, &at, &HeaderMap::new(), 16384).is_err());
        assert!(check_h2_head(&post, &"/a".parse().unwrap(), &headers, 16384).is_err());
        let good: Uri = "https://gw.example.com:9090/a".parse().unwrap();
        assert_eq!(
            check_h2_head(&post, &good, &HeaderMap::new(), 16384),
            Ok(())
        );
    }

    proptest! {
        /// Whatever a client sends, what passes has no dot segment, no
        /// empty segment and no backslash, so it names one route only.
        #[test]
        fn what_passes_is_unambiguous(path in "/[a-z%./\\\\0-9A-F]{0,24}") {
            if let Ok(normal) = normalize_path(&path) {
                let body = normal.strip_suffix('/').unwrap_or(&normal);
                for segment in body.split('/').skip(1) {
                    prop_assert!(!segment.is_empty() && segment != "." && segment != "..");
                }
                prop_assert!(!normal.contains('\\'));
            }
        }
    }
}
