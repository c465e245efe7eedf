//! What `return` steps handed back, as a response body (SPEC §2.1).
//!
//! The output type of the route decides the shape: one document, a list
//! (a JSON array, or an XML wrapper `<{Object}List>`), or raw bytes. A body
//! that would not be what the content type says (a `message` that built
//! broken JSON) or that breaks the response profile is a process failure,
//! never sent. Lists longer than `page_size` are paged (see [`super::pages`]).

use bytes::{Bytes, BytesMut};
use http::{HeaderValue, StatusCode, header};

use super::pages::{self, Owner, PageStore, Pending, Rest, TOKEN_PARAM};
use crate::config::raw::DocType;
use crate::doc::{Document, MediaType, ParseLimits, json, xml};
use crate::pipeline::Returned;
use crate::profile::{Profile, describe};
use crate::snapshot::Listen;

/// A response ready to send, apart from the headers every response carries.
#[derive(Debug)]
pub struct Encoded {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// Why a process's output cannot be sent; a 500 for the client, this for the log.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OutputError(pub String);

/// Where the later pages of a list answer are kept, and whose they are.
pub struct Paging<'a> {
    pub store: &'a PageStore,
    pub owner: Owner,
}

/// The response for what a process returned. A list longer than the
/// route's `page_size` is paged when `paging` says where to keep the rest;
/// without it (`flowgate run`) the whole list is the answer.
pub fn encode(
    listen: &Listen,
    returned: Returned,
    limits: &ParseLimits,
    paging: Option<Paging<'_>>,
) -> Result<Encoded, OutputError> {
    let status = returned.status.unwrap_or(StatusCode::OK);
    let mut headers = http::HeaderMap::new();
    for (name, value) in returned.headers {
        headers.append(name, value);
    }
    if !has_content(status) {
        // The documents are not sent, so nothing describes them: no
        // Content-Type (not even one a `return` names), no page link.
        headers.remove(header::CONTENT_TYPE);
        return Ok(Encoded {
            status,
            headers,
            body: Bytes::new(),
        });
    }
    let docs = returned.documents;
    if let Some(profile) = &listen.response_profile {
        for (index, doc) in docs.iter().enumerate() {
            check_profile(doc, profile, limits, index, docs.len())?;
        }
    }
    let (body, default_type): (Bytes, Option<&str>) = match listen.output {
        // A list holding no document is still a list, when the process
        // could have returned some; only a process without any `return`
        // answers nothing.
        DocType::JsonList | DocType::XmlList if docs.is_empty() && !listen.returns => {
            (Bytes::new(), None)
        }
        DocType::Data | DocType::Json | DocType::Xml if docs.is_empty() => (Bytes::new(), None),
        DocType::None => (Bytes::new(), None),
        DocType::Data => {
            let media = listen
                .content_type
                .as_deref()
                .unwrap_or_else(|| docs[0].content_type());
            (concat(&docs), Some(media))
        }
        DocType::Json => {
            let doc = single(&docs, listen.output)?;
            check_json(doc, limits, None)?;
            (doc.body.clone(), Some(MediaType::JSON))
        }
        DocType::Xml => {
            let doc = single(&docs, listen.output)?;
            check_xml(doc, limits, None)?;
            (doc.body.clone(), Some(MediaType::XML))
        }
        DocType::JsonList | DocType::XmlList => {
            let mut items = Vec::with_capacity(docs.len());
            for (index, doc) in docs.iter().enumerate() {
                if listen.output == DocType::JsonList {
                    check_json(doc, limits, Some(index))?;
                    items.push(doc.body.clone());
                } else {
                    items.push(check_xml(doc, limits, Some(index))?);
                }
            }
            let (body, link) = match paging {
                Some(Paging { store, owner }) => {
                    let rest = Rest {
                        owner,
                        output: listen.output,
                        wrapper: crate::contract::list_element(listen),
                        page_size: listen.page_size.unwrap_or(usize::MAX),
                        items,
                    };
                    page(rest, pages::new_token(), Some(store))?
                }
                None => {
                    let all = list_body(
                        listen.output,
                        &crate::contract::list_element(listen),
                        &items,
                        None,
                    );
                    (all, None)
                }
            };
            if let Some(link) = link {
                headers.append(header::LINK, link);
            }
            (body, Some(list_type(listen.output)))
        }
    };
    let content_type = returned.content_type.as_deref().or(default_type);
    if let Some(content_type) = content_type
        && !headers.contains_key(header::CONTENT_TYPE)
    {
        let value = HeaderValue::from_str(content_type)
            .map_err(|_| OutputError(format!("`{content_type}` is not a valid content type")))?;
        headers.insert(header::CONTENT_TYPE, value);
    }
    Ok(Encoded {
        status,
        headers,
        body,
    })
}

/// Whether a response with `status` carries content: 204 (No Content) and
/// 304 (Not Modified) never do (RFC 9110 §15.3.5, §15.4.5).
pub fn has_content(status: StatusCode) -> bool {
    status != StatusCode::NO_CONTENT && status != StatusCode::NOT_MODIFIED
}

/// The XML documents a process returned, checked as [`encode`] checks
/// them, for a SOAP response: at most one for output `xml`, any number for
/// `xml-list`, each following the response profile. Never paged.
pub fn xml_documents(
    listen: &Listen,
    returned: Returned,
    limits: &ParseLimits,
) -> Result<Vec<Bytes>, OutputError> {
    let docs = returned.documents;
    if listen.output == DocType::Xml && docs.len() > 1 {
        single(&docs, listen.output)?;
    }
    if let Some(profile) = &listen.response_profile {
        for (index, doc) in docs.iter().enumerate() {
            check_profile(doc, profile, limits, index, docs.len())?;
        }
    }
    let index = |i| (docs.len() > 1).then_some(i);
    docs.iter()
        .enumerate()
        .map(|(i, doc)| check_xml(doc, limits, index(i)))
        .collect()
}

/// The next page of an answer, from what its token stood for. The rest
/// after it is kept in `store`; without one (a HEAD, which must leave the
/// store as it was) the answer is the same, and its link names the token
/// a GET would keep the rest under.
pub fn next_page(pending: Pending, store: Option<&PageStore>) -> Result<Encoded, OutputError> {
    let output = pending.rest.output;
    let (body, link) = page(pending.rest, pending.next_token, store)?;
    let mut headers = http::HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(list_type(output)),
    );
    if let Some(link) = link {
        headers.insert(header::LINK, link);
    }
    Ok(Encoded {
        status: StatusCode::OK,
        headers,
        body,
    })
}

fn list_type(output: DocType) -> &'static str {
    if output == DocType::JsonList {
        MediaType::JSON
    } else {
        MediaType::XML
    }
}

/// The first `page_size` items as a list body; the rest, if any, kept in
/// `store` under `token`, which the `Link` header (and, for XML, the
/// wrapper's `pageToken` attribute) carries.
fn page(
    mut rest: Rest,
    token: String,
    store: Option<&PageStore>,
) -> Result<(Bytes, Option<HeaderValue>), OutputError> {
    let now: Vec<Bytes> = if rest.items.len() > rest.page_size {
        let later = rest.items.split_off(rest.page_size);
        std::mem::replace(&mut rest.items, later)
    } else {
        std::mem::take(&mut rest.items)
    };
    if rest.items.is_empty() {
        return Ok((list_body(rest.output, &rest.wrapper, &now, None), None));
    }
    let path = &rest.owner.path;
    let link = HeaderValue::from_str(&format!("<{path}?{TOKEN_PARAM}={token}>; rel=\"next\""))
        .map_err(|_| OutputError("the next page link is not a valid header".to_owned()))?;
    let body = list_body(rest.output, &rest.wrapper, &now, Some(&token));
    if let Some(store) = store {
        store
            .put(token, rest)
            .map_err(|e| OutputError(e.to_string()))?;
    }
    Ok((body, Some(link)))
}

/// A list answer: a JSON array, or the XML wrapper holding the items (with
/// the next page's token as its `pageToken` attribute).
fn list_body(output: DocType, wrapper: &str, items: &[Bytes], token: Option<&str>) -> Bytes {
    match output {
        DocType::JsonList => {
            let mut out =
                BytesMut::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 2);
            out.extend_from_slice(b"[");
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.extend_from_slice(b",");
                }
                out.extend_from_slice(item);
            }
            out.extend_from_slice(b"]");
            out.freeze()
        }
        _ => {
            let texts: Vec<std::borrow::Cow<'_, str>> =
                items.iter().map(|i| String::from_utf8_lossy(i)).collect();
            let items: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
            let attributes: Vec<(&str, &str)> = match token {
                Some(token) => vec![("pageToken", token)],
                None => Vec::new(),
            };
            Bytes::from(xml::wrap(wrapper, &attributes, &items))
        }
    }
}

fn check_profile(
    doc: &Document,
    profile: &Profile,
    limits: &ParseLimits,
    index: usize,
    count: usize,
) -> Result<(), OutputError> {
    if doc.profile.as_ref().is_some_and(|p| p.is(profile)) {
        return Ok(());
    }
    profile
        .read(&doc.body, limits)
        .map(|_| ())
        .map_err(|error| {
            let violations = error.into_violations();
            let which = if count > 1 {
                format!("document {} of ", index + 1)
            } else {
                String::new()
            };
            OutputError(format!(
                "{which}the process's output does not follow the response profile `{}`: {}",
                profile.name(),
                describe(&violations)
            ))
        })
}

fn single(docs: &[Document], output: DocType) -> Result<&Document, OutputError> {
    match docs {
        [doc] => Ok(doc),
        _ => Err(OutputError(format!(
            "the process returned {} documents, but output `{}` holds one; use `{}-list`, or `combine` them first",
            docs.len(),
            output.as_str(),
            output.as_str()
        ))),
    }
}

fn concat(docs: &[Document]) -> Bytes {
    if let [doc] = docs {
        return doc.body.clone();
    }
    let mut out = BytesMut::with_capacity(docs.iter().map(|d| d.body.len()).sum());
    for doc in docs {
        out.extend_from_slice(&doc.body);
    }
    out.freeze()
}

fn which(index: Option<usize>) -> String {
    index
        .map(|i| format!("document {} ", i + 1))
        .unwrap_or_default()
}

fn check_json(
    doc: &Document,
    limits: &ParseLimits,
    index: Option<usize>,
) -> Result<(), OutputError> {
    if doc.media == MediaType::Json && (doc.is_well_formed() || doc.profile.is_some()) {
        return Ok(());
    }
    json::check(&doc.body, limits.max_json_depth).map_err(|e| {
        OutputError(format!(
            "the process's output {}is not valid JSON: {e}",
            which(index)
        ))
    })
}

/// Checks an XML document and gives its body.
fn check_xml(
    doc: &Document,
    limits: &ParseLimits,
    index: Option<usize>,
) -> Result<Bytes, OutputError> {
    let text = std::str::from_utf8(&doc.body)
        .map_err(|_| OutputError(format!("the process's output {}is not UTF-8", which(index))))?;
    if !(doc.media == MediaType::Xml && (doc.is_well_formed() || doc.profile.is_some())) {
        xml::check(text, &limits.xml()).map_err(|e| {
            OutputError(format!(
                "the process's output {}is not well-formed XML: {} at line {} column {}",
                which(index),
                e.message,
                e.line,
                e.column
            ))
        })?;
    }
    Ok(doc.body.clone())
}
