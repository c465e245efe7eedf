//! `[upstreams]`: each named upstream resolved into an [`Upstream`] with its
//! own client, built once per snapshot and shared by every request of it.
//!
//! Addresses and secrets live here rather than in process files: a header
//! value `env:NAME` is read from the environment when the root is compiled,
//! so a secret never has to be written into the root. No value of a header
//! is ever put into a diagnostic.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue};

use super::tls;
use crate::config::NamedFile;
use crate::config::de::Spanned;
use crate::config::raw::{RawSettings, RawUpstream};
use crate::diag::{Diagnostics, SourceFile};
use crate::outbound::{DEFAULT_TIMEOUT, Upstream};

/// The upstreams of a root by name; those with a mistake are left out (and reported).
pub(super) fn compile_upstreams(
    raw: &RawSettings,
    source: Option<&SourceFile>,
    files: &[NamedFile],
    diagnostics: &mut Diagnostics,
) -> HashMap<String, Arc<Upstream>> {
    let Some(source) = source else {
        return HashMap::new();
    };
    raw.upstreams
        .iter()
        .filter_map(|(name, upstream)| {
            compile_upstream(name, upstream, source, files, diagnostics)
                .map(|compiled| (name.value.clone(), Arc::new(compiled)))
        })
        .collect()
}

fn compile_upstream(
    name: &Spanned<String>,
    raw: &RawUpstream,
    source: &SourceFile,
    files: &[NamedFile],
    diagnostics: &mut Diagnostics,
) -> Option<Upstream> {
    let valid_name = !name.value.is_empty()
        && name
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if !valid_name {
        diagnostics.push(
            source
                .error(
                    name.span,
                    format!("`{}` is not a valid upstream name", name.value),
                )
                .with_hint("use letters, digits, `_` and `-`"),
        );
    }
    let base = base_url(&raw.base_url, source, diagnostics);
    let timeout = match &raw.timeout {
        Some(timeout) if timeout.value.0.is_zero() => {
            diagnostics.push(source.error(timeout.span, "`timeout` must be more than 0"));
            None
        }
        Some(timeout) => Some(timeout.value.0),
        None => Some(DEFAULT_TIMEOUT),
    };
    let headers = headers(raw, source, diagnostics);
    let tls = tls::upstream_client_config(raw, source, files, diagnostics);
    let (base, timeout, headers, tls) = (base?, timeout?, headers?, tls?);
    if !valid_name {
        return None;
    }
    let client = match client(tls) {
        Ok(client) => client,
        Err(err) => {
            diagnostics.push(source.error(
                name.span,
                format!(
                    "the client of upstream `{}` cannot be built: {err}",
                    name.value
                ),
            ));
            return None;
        }
    };
    Some(Upstream {
        name: name.value.as_str().into(),
        origin: base.origin(),
        base_url: raw.base_url.value.trim().trim_end_matches('/').to_owned(),
        timeout,
        headers,
        client,
    })
}

/// A client with our TLS settings that passes redirects on as answers:
/// following one could send the upstream's headers, secrets included, to
/// another host.
pub(super) fn client(tls: rustls::ClientConfig) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// `base_url`: an http or https URL with a host, and no query, fragment or
/// user name (paths are appended to it).
fn base_url(
    written: &Spanned<String>,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> Option<url::Url> {
    let text = written.value.trim();
    let problem = match url::Url::parse(text) {
        Err(_) => Some(format!(
            "`{text}` is not a URL: write one like `https://stock.internal:8443`"
        )),
        Ok(url) if !matches!(url.scheme(), "http" | "https") || url.host().is_none() => Some(
            format!("`{text}` is not an http or https URL with a host"),
        ),
        Ok(url) if url.query().is_some() || url.fragment().is_some() => Some(format!(
            "`{text}` has a query or fragment; `http` steps append their `path` to the base URL"
        )),
        Ok(url) if !url.username().is_empty() || url.password().is_some() => Some(
            "a base URL cannot hold credentials; send them in `headers`, e.g. `Authorization = \"env:STOCK_AUTH\"`"
                .to_owned(),
        ),
        Ok(url) => return Some(url),
    };
    if let Some(message) = problem {
        diagnostics.push(source.error(written.span, message));
    }
    None
}

/// The headers sent with every call, `env:NAME` values read now.
fn headers(
    raw: &RawUpstream,
    source: &SourceFile,
    diagnostics: &mut Diagnostics,
) -> Option<HeaderMap> {
    let mut ok = true;
    let mut headers = HeaderMap::new();
    for (name, value) in &raw.headers.0 {
        let Ok(header) = HeaderName::from_str(name.value.trim()) else {
            diagnostics.push(source.error(
                name.span,
                format!("`{}` is not a valid header name", name.value),
            ));
            ok = false;
            continue;
        };
        let text = match value.value.strip_prefix("env:") {
            Some(variable) => match std::env::var(variable.trim()) {
                Ok(text) => text,
                Err(err) => {
                    let why = match err {
                        std::env::VarError::NotPresent => "is not set",
                        std::env::VarError::NotUnicode(_) => "is not valid Unicode",
                    };
                    diagnostics.push(
                        source
                            .error(
                                value.span,
                                format!("the environment variable `{}` {why}", variable.trim()),
                            )
                            .with_hint(format!(
                                "set it where flowgate runs; header `{header}` is sent with its value"
                            )),
                    );
                    ok = false;
                    continue;
                }
            },
            None => value.value.clone(),
        };
        match HeaderValue::from_str(&text) {
            Ok(mut header_value) => {
                header_value.set_sensitive(true);
                headers.insert(header, header_value);
            }
            Err(_) => {
                // The value may be a secret: say what is wrong, never what it is.
                diagnostics.push(source.error(
                    value.span,
                    format!("the value of header `{header}` is not a valid header value (control characters or line breaks)"),
                ));
                ok = false;
            }
        }
    }
    ok.then_some(headers)
}
