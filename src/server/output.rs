//! What `return` steps handed back, as a response body (SPEC §2.1).
//!
//! The output type of the route decides the shape: one document, a list
//! (a JSON array, or an XML wrapper `<{Object}List>`), or raw bytes. A body
//! that would not be what the content type says (a `message` that built
//! broken JSON) is a process failure, never sent.

use bytes::{Bytes, BytesMut};
use http::{HeaderValue, StatusCode, header};

use crate::config::raw::DocType;
use crate::doc::{Document, MediaType, ParseLimits, json, xml};
use crate::pipeline::Returned;
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

pub fn encode(
    listen: &Listen,
    returned: Returned,
    limits: &ParseLimits,
) -> Result<Encoded, OutputError> {
    let status = returned.status.unwrap_or(StatusCode::OK);
    let mut headers = http::HeaderMap::new();
    for (name, value) in returned.headers {
        headers.append(name, value);
    }
    let docs = returned.documents;
    let (body, default_type): (Bytes, Option<&str>) = match listen.output {
        _ if docs.is_empty() => (Bytes::new(), None),
        DocType::None => (Bytes::new(), None),
        DocType::Data => {
            let media = listen
                .content_type
                .as_deref()
                .unwrap_or_else(|| docs[0].media.as_str());
            (concat(&docs), Some(media))
        }
        DocType::Json => {
            let doc = single(&docs, listen.output)?;
            check_json(doc, limits, None)?;
            (doc.body.clone(), Some(MediaType::JSON))
        }
        DocType::JsonList => {
            let mut out =
                BytesMut::with_capacity(docs.iter().map(|d| d.body.len() + 1).sum::<usize>() + 2);
            out.extend_from_slice(b"[");
            for (index, doc) in docs.iter().enumerate() {
                check_json(doc, limits, Some(index))?;
                if index > 0 {
                    out.extend_from_slice(b",");
                }
                out.extend_from_slice(&doc.body);
            }
            out.extend_from_slice(b"]");
            (out.freeze(), Some(MediaType::JSON))
        }
        DocType::Xml => {
            let doc = single(&docs, listen.output)?;
            check_xml(doc, limits, None)?;
            (doc.body.clone(), Some(MediaType::XML))
        }
        DocType::XmlList => {
            let mut texts = Vec::with_capacity(docs.len());
            for (index, doc) in docs.iter().enumerate() {
                texts.push(check_xml(doc, limits, Some(index))?);
            }
            let items: Vec<&str> = texts.iter().map(String::as_str).collect();
            let wrapper = format!("{}List", listen.object);
            (
                Bytes::from(xml::wrap(&wrapper, &[], &items)),
                Some(MediaType::XML),
            )
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
    if doc.media == MediaType::Json && doc.is_parsed_ok() {
        return Ok(());
    }
    json::check(&doc.body, limits.max_json_depth).map_err(|e| {
        OutputError(format!(
            "the process's output {}is not valid JSON: {e}",
            which(index)
        ))
    })
}

fn check_xml(
    doc: &Document,
    limits: &ParseLimits,
    index: Option<usize>,
) -> Result<String, OutputError> {
    let text = std::str::from_utf8(&doc.body)
        .map_err(|_| OutputError(format!("the process's output {}is not UTF-8", which(index))))?;
    if !(doc.media == MediaType::Xml && doc.is_parsed_ok()) {
        xml::check(
            text,
            &xml::XmlLimits {
                max_depth: limits.max_xml_depth,
            },
        )
        .map_err(|e| {
            OutputError(format!(
                "the process's output {}is not well-formed XML: {} at line {} column {}",
                which(index),
                e.message,
                e.line,
                e.column
            ))
        })?;
    }
    Ok(text.to_owned())
}
