//! Request bodies into the batch a process starts with (SPEC §2.1).
//!
//! The body is read only up to `max_body` (a declared length over it is
//! refused before reading), its content type is checked against the route's
//! input type, and it is parsed once: the parsed form is kept on the
//! document for templates.

use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use http_body_util::{BodyExt, Limited};

use super::problem::{Problem, kind};
use crate::config::raw::DocType;
use crate::doc::{ContentType, Document, MediaType, ParseLimits, json, xml};
use crate::profile::xsd::{Item, XmlProfile};
use crate::profile::{Profile, ReadError, Schema, Violation};
use crate::snapshot::Limits;

/// Why a body was not taken.
#[derive(Debug)]
pub enum Unread {
    /// Over `max_body`, or too slow to arrive: the answer of the execution
    /// the request began.
    Refused(Problem),
    /// The HTTP layer could not take the body off the connection: over
    /// HTTP/1.1 its chunked framing is broken, and hyper gives up the
    /// connection. No execution answers it (nothing of it reached a
    /// process); the answer closes the connection.
    Broken(Problem),
}

/// Reads the whole body, refusing more than `max_body` bytes and a body
/// that takes longer than `request_timeout` to arrive.
pub async fn read_body<B>(headers: &HeaderMap, body: B, limits: &Limits) -> Result<Bytes, Unread>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let too_large = || {
        Unread::Refused(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            kind::BODY_TOO_LARGE,
            format!(
                "the body is larger than the limit of {}",
                crate::units::ByteSize(limits.max_body)
            ),
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limits.max_body) {
        return Err(too_large());
    }
    let limit = usize::try_from(limits.max_body).unwrap_or(usize::MAX);
    // A body that never ends would hold its request's place among
    // `max_concurrency` for good: it has `request_timeout` to arrive.
    let Some(collected) =
        super::dispatch::within(limits.request_timeout, Limited::new(body, limit).collect()).await
    else {
        return Err(Unread::Refused(body_timeout(limits)));
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(err) => Err(Unread::Broken(broken_body(headers, &*err))),
    }
}

/// Whether a body holds nothing, read off the body itself rather than its
/// headers: an empty chunked body is empty, and an HTTP/2 body has no
/// header to say. Reads at most up to the first byte of data, within
/// `request_timeout`; what it reads is dropped.
pub async fn body_is_empty<B>(
    headers: &HeaderMap,
    mut body: std::pin::Pin<&mut B>,
    limits: &Limits,
) -> Result<bool, Unread>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if body.is_end_stream() {
        return Ok(true);
    }
    // A declared length: hyper delivers exactly that many bytes, or fails.
    if body.size_hint().lower() > 0 {
        return Ok(false);
    }
    let first_data = async {
        loop {
            match body.frame().await {
                None => return Ok(true),
                Some(Err(err)) => return Err(err.into()),
                // Trailers, or a chunk of no bytes (an HTTP/2 DATA frame may be empty).
                Some(Ok(frame)) if frame.data_ref().is_none_or(|data| data.is_empty()) => {}
                Some(Ok(_)) => return Ok(false),
            }
        }
    };
    match super::dispatch::within(limits.request_timeout, first_data).await {
        Some(Ok(empty)) => Ok(empty),
        Some(Err(err)) => Err(Unread::Broken(broken_body(headers, &*err))),
        None => Err(Unread::Refused(body_timeout(limits))),
    }
}

/// The 408 of a body that did not arrive within `request_timeout`.
fn body_timeout(limits: &Limits) -> Problem {
    Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        kind::BODY_TIMEOUT,
        format!(
            "the body did not arrive within `request_timeout` ({})",
            crate::units::HumanDuration(limits.request_timeout)
        ),
    )
}

/// The problem of a body the HTTP layer could not read, with the cause it
/// gives (hyper's chunk decoder names the part of the framing it stopped
/// at). `malformed-body` is for documents that are not well-formed; this is
/// a request that is not well-framed.
fn broken_body(headers: &HeaderMap, err: &(dyn std::error::Error + 'static)) -> Problem {
    // hyper's error says only that a body failed; its source says why.
    let mut cause = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let mut cause = cause.to_string();
    if let Some(first) = cause.get(..1) {
        let lower = first.to_ascii_lowercase();
        cause.replace_range(..1, &lower);
    }
    let detail = if headers.contains_key(header::TRANSFER_ENCODING) {
        format!(
            "the chunked framing of the body is broken ({cause}): each chunk is its size in \
             hex, CRLF, that many bytes and CRLF, and a chunk of size 0 and an empty line end \
             the body"
        )
    } else {
        format!("the body could not be read off the connection ({cause})")
    };
    Problem::new(StatusCode::BAD_REQUEST, kind::BAD_REQUEST, detail)
}

/// Whether the request's content type is one the input type can read. A
/// request without a content type is read as the route's type.
pub fn check_content_type(headers: &HeaderMap, input: DocType) -> Result<(), Problem> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("");
    let media = MediaType::from_content_type(text);
    let accepted = match input {
        DocType::Json | DocType::JsonList => media == MediaType::Json,
        DocType::Xml | DocType::XmlList => media == MediaType::Xml,
        DocType::Data | DocType::None => true,
    };
    if accepted && (says_utf8(text) || matches!(input, DocType::Data | DocType::None)) {
        return Ok(());
    }
    if accepted {
        return Err(not_utf8(text));
    }
    let wanted = if input.is_json() {
        "application/json"
    } else {
        "application/xml"
    };
    Err(Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        kind::UNSUPPORTED_MEDIA_TYPE,
        format!("this route reads {wanted}; the request's content type is `{text}`"),
    ))
}

/// Whether a `Content-Type` lets the body be read as UTF-8: it names no
/// charset, or UTF-8. Text is never converted from another charset.
pub(super) fn says_utf8(content_type: &str) -> bool {
    charset(content_type)
        .is_none_or(|c| c.eq_ignore_ascii_case("utf-8") || c.eq_ignore_ascii_case("utf8"))
}

/// The 415 for a text body in a charset other than UTF-8.
pub(super) fn not_utf8(content_type: &str) -> Problem {
    Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        kind::UNSUPPORTED_MEDIA_TYPE,
        format!("this route reads UTF-8 only; the request says `{content_type}`"),
    )
}

fn charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// The documents a process starts with. With a request profile, every
/// document is validated against it before any step runs; the problem lists
/// every violation of every document. Without one, a JSON or XML body is
/// parsed at once when `read` says a step may read it (`doc` in a
/// template), else only checked to be well-formed: a body that a process
/// passes on untouched is never parsed.
pub fn decode(
    input: DocType,
    headers: &HeaderMap,
    body: Bytes,
    profile: Option<&Profile>,
    limits: &ParseLimits,
    read: bool,
) -> Result<Vec<Document>, Problem> {
    let body = if input.is_json() {
        body.slice_ref(json::without_bom(&body))
    } else {
        body
    };
    // With an XSD, a list is read, validated and typed in one pass.
    if let (DocType::XmlList, Some(profile)) = (input, profile)
        && let Schema::Xml(xsd) = profile.schema()
    {
        return read_xml_items(&body, profile, xsd, limits);
    }
    let items: Vec<Bytes> = match input {
        DocType::None => return Ok(vec![Document::empty()]),
        DocType::Data => {
            let media = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(ContentType::parse)
                .unwrap_or_else(|| MediaType::Other("application/octet-stream".into()).into());
            return Ok(vec![Document::new(body, media)]);
        }
        DocType::Json | DocType::Xml if profile.is_some() => vec![body.clone()],
        DocType::Json => {
            let invalid =
                |e: json::JsonError| malformed("the body is not valid JSON", e.to_string());
            let doc = if read {
                let value = json::parse(&body, limits.max_json_depth).map_err(invalid)?;
                Document::parsed(body, MediaType::Json, value)
            } else {
                json::check(&body, limits.max_json_depth).map_err(invalid)?;
                Document::well_formed(body, MediaType::Json)
            };
            return Ok(vec![doc]);
        }
        DocType::Xml => {
            let text = xml_text(&body)?;
            let invalid =
                |e: xml::XmlError| malformed("the body is not well-formed XML", xml_message(&e));
            let doc = if read {
                let value = xml::parse(text, &limits.xml()).map_err(invalid)?;
                Document::parsed(body.clone(), MediaType::Xml, value)
            } else {
                xml::check(text, &limits.xml()).map_err(invalid)?;
                Document::well_formed(body.clone(), MediaType::Xml)
            };
            return Ok(vec![doc]);
        }
        DocType::JsonList => json::split_array(&body, limits.max_json_depth)
            .map_err(|err| malformed("the body is not a JSON array", err.to_string()))?
            .into_iter()
            .map(|item| Bytes::from(String::from(Box::<str>::from(item))))
            .collect(),
        DocType::XmlList => {
            let text = xml_text(&body)?;
            xml::split_children(text, &limits.xml())
                .map_err(|e| malformed("the body is not a well-formed XML list", xml_message(&e)))?
                .into_iter()
                .map(Bytes::from)
                .collect()
        }
    };
    let media = if input.is_json() {
        MediaType::Json
    } else {
        MediaType::Xml
    };
    let Some(profile) = profile else {
        return Ok(items
            .into_iter()
            .map(|item| Document::new(item, media.clone()))
            .collect());
    };

    let mut documents = Vec::with_capacity(items.len());
    let mut problem = Problem::new(
        StatusCode::BAD_REQUEST,
        kind::PROFILE_MISMATCH,
        format!("the body does not match the profile `{}`", profile.name()),
    );
    // An `xml-list` with a profile was read by `read_xml_items`: compile
    // gives it an XML profile only.
    for (index, item) in items.into_iter().enumerate() {
        match profile.read(&item, limits) {
            Ok(value) => documents
                .push(Document::parsed(item, media.clone(), value).with_profile(profile.clone())),
            // Not a document at all: the profile has nothing to say about it.
            // (Items of a list were parsed whole when the list was cut.)
            Err(ReadError::Malformed(message)) => {
                let detail = match media {
                    MediaType::Json => "the body is not valid JSON",
                    _ => "the body is not well-formed XML",
                };
                return Err(malformed(detail, message));
            }
            Err(ReadError::Invalid(violations)) => {
                for violation in violations {
                    let path = match input {
                        DocType::JsonList => format!("/{index}{}", violation.path),
                        _ => violation.path,
                    };
                    problem = problem.with_error(path, violation.message);
                }
            }
        }
        if problem.errors.len() >= MAX_ERRORS {
            break;
        }
    }
    if problem.errors.is_empty() {
        Ok(documents)
    } else {
        Err(problem)
    }
}

/// The items of an `xml-list` body with an XML profile, read in one pass.
fn read_xml_items(
    body: &Bytes,
    profile: &Profile,
    xsd: &XmlProfile,
    limits: &ParseLimits,
) -> Result<Vec<Document>, Problem> {
    let text = xml_text(body)?;
    let read = xsd.read_items(text, &limits.xml());
    item_documents(body, text, profile, read, || root_name(text).unwrap_or(""))
}

/// The documents of list items read by an XML profile from `text` (whose
/// bytes `body` holds), or the problem that lists their violations under
/// the list element `wrapper` (asked only then). An item that needs no
/// inherited namespace declaration shares the body's bytes.
pub(super) fn item_documents<'t>(
    body: &Bytes,
    text: &'t str,
    profile: &Profile,
    read: Result<Vec<Item>, ReadError<Vec<(usize, Violation)>>>,
    wrapper: impl FnOnce() -> &'t str,
) -> Result<Vec<Document>, Problem> {
    match read {
        Ok(items) => Ok(items
            .into_iter()
            .map(|item| {
                let bytes = if item.declarations.is_empty() {
                    body.slice(item.start..item.end)
                } else {
                    let head = &text[item.start..item.name_end];
                    let tail = &text[item.name_end..item.end];
                    Bytes::from([head, item.declarations.as_str(), tail].concat())
                };
                Document::parsed(bytes, MediaType::Xml, item.value).with_profile(profile.clone())
            })
            .collect()),
        Err(ReadError::Malformed(message)) => {
            Err(malformed("the body is not well-formed XML", message))
        }
        Err(ReadError::Invalid(violations)) => {
            let wrapper = wrapper();
            let mut problem = Problem::new(
                StatusCode::BAD_REQUEST,
                kind::PROFILE_MISMATCH,
                format!("the body does not match the profile `{}`", profile.name()),
            );
            for (position, violation) in violations.into_iter().take(MAX_ERRORS) {
                problem = problem.with_error(
                    item_path(wrapper, position, &violation.path),
                    violation.message,
                );
            }
            Err(problem)
        }
    }
}

/// An XML body's text, or the 400 of one that is not UTF-8, which names
/// the encoding its declaration gives, if any: a Latin-1 body that says so
/// is told why it is refused.
pub(super) fn xml_text(body: &[u8]) -> Result<&str, Problem> {
    std::str::from_utf8(body).map_err(|err| match xml::declared_encoding(body) {
        Some((name, ascii)) => {
            let read = if ascii {
                "which flowgate reads only while every byte is ASCII"
            } else {
                "which flowgate does not read"
            };
            malformed(
                "the body is not UTF-8",
                format!(
                    "{err}: the body declares encoding `{name}`, {read}; send UTF-8 and declare it, or leave the encoding out"
                ),
            )
        }
        None => malformed("the body is not UTF-8", err.to_string()),
    })
}

/// The problem of a body that is no document of its kind: `detail` says
/// which kind, `message` where it goes wrong.
fn malformed(detail: &str, message: String) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, kind::MALFORMED_BODY, detail).with_error("", message)
}

/// At most this many errors in one problem: enough to fix a request, bounded for a hostile one.
const MAX_ERRORS: usize = 100;

/// `/Order/Qty` of the second `<Order>` item of `<OrderList>` is
/// `/OrderList/Order[2]/Qty`: `position` counts the items of that name
/// from 0, as element paths count elements of one name.
fn item_path(wrapper: &str, position: usize, path: &str) -> String {
    let rest = path.strip_prefix('/').unwrap_or(path);
    let (item, below) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    if item.is_empty() {
        return format!("/{wrapper}");
    }
    format!("/{wrapper}/{item}[{}]{below}", position + 1)
}

/// The name of a document's root element, as written. The document is
/// known to be well-formed.
fn root_name(text: &str) -> Option<&str> {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<?") {
            rest = &after[after.find("?>")? + 2..];
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->")? + 3..];
        } else {
            let name = rest.strip_prefix('<')?;
            let end = name.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
            let name = &name[..end];
            return Some(name.rsplit(':').next().unwrap_or(name));
        }
    }
}

fn xml_message(err: &xml::XmlError) -> String {
    format!("{} at line {} column {}", err.message, err.line, err.column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
        h
    }

    #[test]
    fn content_types() {
        assert!(
            check_content_type(&headers("application/json; charset=utf-8"), DocType::Json).is_ok()
        );
        assert!(check_content_type(&HeaderMap::new(), DocType::Json).is_ok());
        let err = check_content_type(&headers("application/x-www-form-urlencoded"), DocType::Json)
            .unwrap_err();
        assert_eq!(err.status, 415);
        assert!(err.detail.contains("reads application/json"));
        let err =
            check_content_type(&headers("text/xml; charset=iso-8859-1"), DocType::Xml).unwrap_err();
        assert!(err.detail.contains("UTF-8"));
        assert!(check_content_type(&headers("image/png"), DocType::Data).is_ok());
    }

    #[test]
    fn a_list_items_violations_count_the_items_of_its_name() {
        let profile = Profile::from_xsd(
            "order",
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
                 <xs:element name="Order"><xs:complexType><xs:sequence>
                   <xs:element name="Id" type="xs:int"/>
                 </xs:sequence></xs:complexType></xs:element>
               </xs:schema>"#,
        );
        let paths = |body: &str| -> Vec<String> {
            let problem = decode(
                DocType::XmlList,
                &HeaderMap::new(),
                Bytes::from(body.to_owned()),
                Some(&profile),
                &ParseLimits::default(),
                true,
            )
            .unwrap_err();
            problem.errors.into_iter().map(|e| e.path).collect()
        };
        // The bad order is the first `Order`, whatever comes before it.
        assert_eq!(
            paths(
                "<List><Foo/><Order><Id>x</Id></Order><Bar/><Foo/><Order><Id>y</Id></Order></List>"
            ),
            [
                "/List/Foo[1]",
                "/List/Order[1]/Id",
                "/List/Bar[1]",
                "/List/Foo[2]",
                "/List/Order[2]/Id",
            ]
        );
        // A lone order sent for a list: its children are the items.
        assert_eq!(
            paths("<Order><Id>1</Id><Note/></Order>"),
            ["/Order/Id[1]", "/Order/Note[1]"]
        );
    }

    #[test]
    fn a_body_that_is_not_utf8_is_told_what_its_declaration_says() {
        let latin1 = b"<?xml version='1.0' encoding = \"ISO-8859-1\"?><a>caf\xe9</a>";
        let problem = xml_text(latin1).unwrap_err();
        assert_eq!(problem.detail, "the body is not UTF-8");
        let message = &problem.errors[0].message;
        assert!(
            message.contains("declares encoding `ISO-8859-1`, which flowgate reads only while every byte is ASCII"),
            "{message}"
        );
        let other = b"<?xml version=\"1.0\" encoding=\"bogus-enc\"?><a>\xe9</a>";
        let message = &xml_text(other).unwrap_err().errors[0].message;
        assert!(
            message.contains("`bogus-enc`, which flowgate does not read"),
            "{message}"
        );
        for plain in [
            &b"<a>\xe9</a>"[..],
            b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a>\xe9</a>",
        ] {
            let message = &xml_text(plain).unwrap_err().errors[0].message;
            assert!(!message.contains("declares"), "{message}");
        }
    }

    #[test]
    fn a_body_no_step_reads_is_checked_not_parsed() {
        let limits = ParseLimits::default();
        let decode = |input, body: &[u8], read| {
            decode(
                input,
                &HeaderMap::new(),
                Bytes::copy_from_slice(body),
                None,
                &limits,
                read,
            )
        };
        let (deep_json, deep_xml) = (
            "[".repeat(100) + &"]".repeat(100),
            "<a>".repeat(100) + &"</a>".repeat(100),
        );
        for (input, good, bad, deep, says) in [
            (
                DocType::Json,
                &b"{\"a\": [1, 2]}"[..],
                &b"{\"a\":}"[..],
                deep_json.as_bytes(),
                "valid JSON",
            ),
            (
                DocType::Xml,
                b"<a><b>1</b></a>",
                b"<a><b>1</a>",
                deep_xml.as_bytes(),
                "well-formed XML",
            ),
        ] {
            let docs = decode(input, good, false).unwrap();
            assert!(docs[0].is_well_formed());
            assert!(!docs[0].is_parsed());
            // Parsed when a step asks after all, as if it had been at once.
            let eager = decode(input, good, true).unwrap();
            assert_eq!(docs[0].value(&limits), eager[0].value(&limits));
            let lazily = decode(input, bad, false).unwrap_err();
            assert_eq!(lazily.status, 400);
            assert!(lazily.detail.contains(says), "{}", lazily.detail);
            assert_eq!(lazily.errors, decode(input, bad, true).unwrap_err().errors);
            // The depth limit holds without a parse.
            assert_eq!(decode(input, deep, false).unwrap_err().status, 400);
        }
    }

    #[test]
    fn a_json_body_may_start_with_a_byte_order_mark() {
        let limits = ParseLimits::default();
        let schema = r#"{"type": "object", "required": ["a"]}"#;
        let profile = Profile::from_json_schema("thing", schema);
        for (input, body, profile, read) in [
            (DocType::Json, &b"\xEF\xBB\xBF{\"a\": 1}"[..], None, false),
            (DocType::Json, b"\xEF\xBB\xBF{\"a\": 1}", None, true),
            (
                DocType::Json,
                b"\xEF\xBB\xBF{\"a\": 1}",
                Some(&profile),
                true,
            ),
            (DocType::JsonList, b"\xEF\xBB\xBF[{\"a\": 1}]", None, false),
            (
                DocType::JsonList,
                b"\xEF\xBB\xBF[{\"a\": 1}]",
                Some(&profile),
                true,
            ),
        ] {
            let docs = decode(
                input,
                &HeaderMap::new(),
                Bytes::copy_from_slice(body),
                profile,
                &limits,
                read,
            )
            .unwrap_or_else(|p| panic!("{input:?}: {p:?}"));
            // Taken off: a document never starts with one, nor sends one on.
            assert_eq!(&docs[0].body[..], b"{\"a\": 1}", "{input:?}");
        }
        // Only at the start, and only one; errors count from after it.
        for body in [
            &b"{\"a\": \xEF\xBB\xBF1}"[..],
            b"\xEF\xBB\xBF\xEF\xBB\xBF{}",
        ] {
            let err = decode(
                DocType::Json,
                &HeaderMap::new(),
                Bytes::copy_from_slice(body),
                None,
                &limits,
                false,
            )
            .unwrap_err();
            assert_eq!(err.status, 400);
        }
    }

    #[test]
    fn json_bodies() {
        let limits = ParseLimits::default();
        let docs = decode(
            DocType::Json,
            &HeaderMap::new(),
            Bytes::from_static(b"{\"a\":1}"),
            None,
            &limits,
            true,
        )
        .unwrap();
        assert!(docs[0].is_well_formed());
        let err = decode(
            DocType::Json,
            &HeaderMap::new(),
            Bytes::from_static(b"{\"a\":}"),
            None,
            &limits,
            true,
        )
        .unwrap_err();
        assert_eq!(err.status, 400);
        assert!(
            err.errors[0].message.contains("line 1 column 6"),
            "{:?}",
            err.errors
        );
        let docs = decode(
            DocType::JsonList,
            &HeaderMap::new(),
            Bytes::from_static(b"[1, {\"b\":2}]"),
            None,
            &limits,
            true,
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(&docs[1].body[..], b"{\"b\":2}");
    }

    /// A body that is no document is malformed whether or not the route
    /// has a profile; only a document can break a profile.
    #[test]
    fn a_profile_judges_documents_not_broken_bodies() {
        let limits = ParseLimits::default();
        let schema = r#"{"type": "object", "required": ["id"]}"#;
        let json = Profile::from_json_schema("p", schema);
        let xsd = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
            <xs:element name="Order"><xs:complexType><xs:sequence>
            <xs:element name="Id" type="xs:int"/></xs:sequence></xs:complexType></xs:element>
            </xs:schema>"#;
        let xml = Profile::from_xsd("o", xsd);
        let cases: [(DocType, &Profile, &'static [u8], &str, &str); 6] = [
            (
                DocType::Json,
                &json,
                b"{\"id\": }",
                kind::MALFORMED_BODY,
                "",
            ),
            (DocType::Json, &json, b"[[1]", kind::MALFORMED_BODY, ""),
            // A missing property is at the root, with an empty path too.
            (DocType::Json, &json, b"{}", kind::PROFILE_MISMATCH, ""),
            (
                DocType::Xml,
                &xml,
                b"<Order><Id>1</Order>",
                kind::MALFORMED_BODY,
                "",
            ),
            (
                DocType::Xml,
                &xml,
                b"<Order/>",
                kind::PROFILE_MISMATCH,
                "/Order",
            ),
            (DocType::Xml, &xml, b"\xff", kind::MALFORMED_BODY, ""),
        ];
        for (input, profile, body, expected, path) in cases {
            let problem = decode(
                input,
                &HeaderMap::new(),
                Bytes::from_static(body),
                Some(profile),
                &limits,
                true,
            )
            .expect_err("refused");
            let shown = String::from_utf8_lossy(body);
            assert_eq!(problem.status, 400, "{shown}");
            assert_eq!(problem.kind, expected, "{shown}: {:?}", problem.errors);
            assert_eq!(problem.errors.len(), 1, "{shown}: {:?}", problem.errors);
            assert_eq!(problem.errors[0].path, path, "{shown}");
        }
    }

    #[test]
    fn item_paths_name_the_item() {
        assert_eq!(
            item_path("OrderList", 1, "/Order/Qty"),
            "/OrderList/Order[2]/Qty"
        );
        assert_eq!(item_path("OrderList", 0, "/Order"), "/OrderList/Order[1]");
        assert_eq!(item_path("OrderList", 0, ""), "/OrderList");
        assert_eq!(
            root_name("<?xml version='1.0'?>\n<!-- c --><ns:List xmlns:ns='u'>"),
            Some("List")
        );
    }
}
