//! The `http` step: each document rendered into a request, sent through
//! [`crate::outbound`], and its response made the document.
//!
//! Every request of a batch is rendered before any is sent, so a template
//! error fails the step without calling anyone, and nothing borrowed from a
//! template scope is held across an `.await`. With `concurrency: N` up to N
//! calls are in flight at once; the documents come back in the batch's
//! order, and the first failure (in that order) fails the step.

use std::sync::Arc;

use futures_util::StreamExt as _;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue};
use minijinja::value::{Enumerator, Object, Value};

use super::{ExecError, Execution, template_error, value_text};
use crate::doc::{ContentType, Document, MediaType};
use crate::outbound::{self, Calls, Incoming, Outgoing};
use crate::snapshot::{HttpBody, HttpSpec, HttpTarget, StepSite, UpstreamPath};
use crate::template::context::{Batch, header_text};

impl Execution {
    pub(super) async fn http(
        &self,
        spec: &HttpSpec,
        all: &Batch,
        process: &Arc<str>,
        site: &StepSite,
    ) -> Result<Vec<Document>, ExecError> {
        let mut requests = all
            .docs()
            .iter()
            .map(|doc| {
                self.within_deadline(site)?;
                let scope = self.scope(doc, all, process);
                self.outgoing(spec, doc, &scope, site)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let client = spec.target.client();
        let label = target_label(&spec.target);
        let call = |outgoing: Outgoing| {
            let label = &label;
            async move {
                let answer = match &self.calls {
                    Calls::Network => outbound::call(client, &outgoing, spec.policy).await,
                    Calls::Stubbed(stubs) => stubs.call(&outgoing, spec.policy).await,
                };
                answer.map_err(|error| ExecError::Upstream {
                    upstream: label.clone().unwrap_or_else(|| host_label(&outgoing.url)),
                    error,
                    site: site.clone(),
                })
            }
        };
        let docs = all.docs();
        if let [doc] = docs
            && let Some(outgoing) = requests.pop()
        {
            // One document, one call: no stream to keep the order of.
            return Ok(vec![response_document(doc, call(outgoing).await?)]);
        }
        let mut answers = futures_util::stream::iter(requests)
            .map(call)
            .buffered(spec.concurrency.max(1));
        let mut out = Vec::with_capacity(docs.len());
        for doc in docs {
            let Some(answer) = answers.next().await else {
                break;
            };
            out.push(response_document(doc, answer?));
        }
        Ok(out)
    }

    /// The request for one document: URL, headers and body rendered.
    fn outgoing(
        &self,
        spec: &HttpSpec,
        doc: &Document,
        scope: &Value,
        site: &StepSite,
    ) -> Result<Outgoing, ExecError> {
        let templates = &self.snapshot.templates;
        let render = |id| {
            templates
                .render(id, scope)
                .map_err(|e| ExecError::step(site, template_error(&e)))
        };
        let (url, mut headers) = match &spec.target {
            HttpTarget::Upstream {
                upstream,
                path: UpstreamPath::Fixed(url),
            } => (url.clone(), upstream.headers.clone()),
            HttpTarget::Upstream {
                upstream,
                path: UpstreamPath::Template(path),
            } => {
                let path = render(*path)?;
                let url = upstream
                    .url(&path)
                    .map_err(|message| ExecError::step(site, message))?;
                (url, upstream.headers.clone())
            }
            HttpTarget::Url { url, .. } => {
                let text = render(*url)?;
                let url = full_url(&text).map_err(|message| ExecError::step(site, message))?;
                (url, HeaderMap::new())
            }
        };
        let body = match &spec.body {
            HttpBody::None => None,
            HttpBody::Document => {
                set_content_type(&mut headers, doc.content_type());
                Some(doc.body.clone())
            }
            HttpBody::Template {
                template,
                content_type,
            } => {
                set_content_type(&mut headers, content_type.as_str());
                Some(render(*template)?.into())
            }
        };
        for (name, source) in &spec.headers {
            let text = value_text(&self.value(source, scope, site)?);
            let value = HeaderValue::from_str(&text).map_err(|_| {
                ExecError::step(
                    site,
                    format!("the value of header `{name}` is not a valid header value"),
                )
            })?;
            headers.insert(name.clone(), value);
        }
        Ok(Outgoing {
            method: spec.method.clone(),
            url,
            headers,
            body,
        })
    }
}

/// A body's content type unless the upstream's headers set one.
fn set_content_type(headers: &mut HeaderMap, media: &str) {
    if !headers.contains_key(CONTENT_TYPE)
        && let Ok(value) = HeaderValue::from_str(media)
    {
        headers.insert(CONTENT_TYPE, value);
    }
}

/// A rendered `url`: http or https with a host. Errors quote it without its
/// query or user information, which may hold a key.
fn full_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim())
        .map_err(|e| format!("`{}` is not a URL: {e}", outbound::quoted_url(text)))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!(
            "`{}` is not an http or https URL with a host",
            outbound::quoted_url(text)
        ));
    }
    Ok(url)
}

/// The name errors give the callee: the upstream's name, or for full URLs
/// (decided per request) `None`.
fn target_label(target: &HttpTarget) -> Option<Arc<str>> {
    match target {
        HttpTarget::Upstream { upstream, .. } => Some(upstream.name.clone()),
        HttpTarget::Url { .. } => None,
    }
}

/// `host:port` of a full URL, naming the callee in errors.
fn host_label(url: &url::Url) -> Arc<str> {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}").into(),
        (Some(host), None) => host.into(),
        _ => url.as_str().into(),
    }
}

/// The response as the new document; its status and headers as properties.
fn response_document(doc: &Document, incoming: Incoming) -> Document {
    let media = incoming
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(ContentType::parse)
        .unwrap_or_else(|| MediaType::Other("application/octet-stream".into()).into());
    let body = match media.media {
        MediaType::Json => incoming
            .body
            .slice_ref(crate::doc::json::without_bom(&incoming.body)),
        _ => incoming.body,
    };
    let mut out = doc.with_body(body, media);
    out.set_props([
        ("http_status", Value::from(incoming.status.as_u16())),
        (
            "http_headers",
            Value::from_object(ResponseHeaders(incoming.headers)),
        ),
    ]);
    out
}

/// `props.http_headers`: the response's headers as a map from lower-case
/// name to value, a repeated header's values joined with `, `. Values are
/// read from the header map when a template asks for them, not copied for
/// every call.
#[derive(Debug)]
struct ResponseHeaders(HeaderMap);

impl Object for ResponseHeaders {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, name: &str) -> Option<Value> {
        // Names are lower case, as in the map this stands for.
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let values = self.0.get_all(name);
        values.iter().next()?;
        Some(Value::from(header_text(values)))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            self.0
                .keys()
                .map(|name| Value::from(name.as_str()))
                .collect(),
        )
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.0.keys_len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_urls_are_http() {
        assert!(full_url("https://example.com/x").is_ok());
        assert!(full_url("ftp://example.com/x").is_err());
        assert!(full_url("not a url").is_err());
    }

    #[test]
    fn a_url_that_fails_is_quoted_without_its_query_or_user() {
        let err = full_url("http://127.0.0.1:99999/x?api_key=VARSECRET42").unwrap_err();
        assert_eq!(
            err,
            "`http://127.0.0.1:99999/x?…` is not a URL: invalid port number"
        );
        let err = full_url("http://user:VARSECRET42@127.0.0.1:99999/x#k=1").unwrap_err();
        assert_eq!(
            err,
            "`http://…@127.0.0.1:99999/x#…` is not a URL: invalid port number"
        );
        let err = full_url("ftp://u:VARSECRET42@example.com/x?k=VARSECRET42").unwrap_err();
        assert_eq!(
            err,
            "`ftp://…@example.com/x?…` is not an http or https URL with a host"
        );
    }

    fn render_with(env: &minijinja::Environment<'_>, headers: &Value, source: &str) -> String {
        env.render_str(source, minijinja::context! { h => headers.clone() })
            .unwrap()
    }

    #[test]
    fn response_headers_read_like_a_map_of_lower_case_names() {
        let mut map = HeaderMap::new();
        map.insert("content-type", HeaderValue::from_static("application/json"));
        map.append("set-cookie", HeaderValue::from_static("a=1"));
        map.append("set-cookie", HeaderValue::from_static("b=2"));
        let headers = Value::from_object(ResponseHeaders(map));
        let env = minijinja::Environment::new();
        let render = |source: &str| render_with(&env, &headers, source);
        assert_eq!(render("{{ h['content-type'] }}"), "application/json");
        assert_eq!(render("{{ h['set-cookie'] }}"), "a=1, b=2");
        assert_eq!(render("{{ h['Content-Type'] is defined }}"), "False");
        assert_eq!(render("{{ h.missing is defined }}"), "False");
        assert_eq!(render("{{ h | length }}"), "2");
        assert_eq!(
            render("{% for name in h %}{{ name }};{% endfor %}"),
            "content-type;set-cookie;"
        );
        assert_eq!(
            crate::profile::json::from_value(&headers, "").unwrap(),
            serde_json::json!({"content-type": "application/json", "set-cookie": "a=1, b=2"})
        );

        let mut latin1 = HeaderMap::new();
        latin1.insert("x-name", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        let headers = Value::from_object(ResponseHeaders(latin1));
        assert_eq!(render_with(&env, &headers, "{{ h['x-name'] }}"), "café");
    }
}
