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
use crate::outbound::{Client, DEFAULT_TIMEOUT, Upstream};

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
    let client = Client::new(tls);
    Some(Upstream {
        name: name.value.as_str().into(),
        origin: base.origin(),
        base_path: base.path().trim_end_matches('/').to_owned(),
        base_url: raw.base_url.value.trim().trim_end_matches('/').to_owned(),
        timeout,
        headers,
        client,
    })
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
        if let Some(why) = super::steps::connection_header(&header) {
            diagnostics.push(source.error(name.span, why));
            ok = false;
            continue;
        }
        let text = match value.value.strip_prefix("env:") {
            Some(variable) if variable.trim().is_empty() => {
                diagnostics.push(
                    source
                        .error(value.span, "`env:` names no environment variable")
                        .with_hint("write `env:NAME`, and set NAME where flowgate runs"),
                );
                ok = false;
                continue;
            }
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

#[cfg(test)]
mod tests {
    use crate::compile::compile_files;

    /// `line:col severity message` of each diagnostic of a root with this
    /// flowgate.toml and one process `p.yaml`, with the hint when there is one.
    fn diagnostics(settings: &str, process: &str) -> Vec<String> {
        let compilation =
            compile_files(&[("flowgate.toml", settings), ("processes/p.yaml", process)]);
        compilation
            .diagnostics
            .iter()
            .map(|d| {
                let at = d
                    .location
                    .as_ref()
                    .map(|l| format!("{}:{}:{}", l.file, l.line, l.column))
                    .unwrap_or_default();
                let severity = if d.is_error() { "error" } else { "warning" };
                match &d.hint {
                    Some(hint) => format!("{at} {severity} {} ({hint})", d.message),
                    None => format!("{at} {severity} {}", d.message),
                }
            })
            .collect()
    }

    const STOCK: &str = "[upstreams.stock]\nbase_url = \"http://127.0.0.1:1\"\n";

    fn step(options: &str) -> String {
        format!("steps:\n  - http: {options}\n")
    }

    #[test]
    fn a_good_upstream_and_step_compile_clean() {
        let found = diagnostics(
            &format!("{STOCK}timeout = \"2s\"\nheaders = {{ X-Api-Key = \"env:PATH\" }}\n"),
            &step(
                "{ upstream: stock, path: \"/items/{{ doc.sku }}\", method: put, retries: 2, concurrency: 4 }",
            ),
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn step_mistakes_point_at_their_key() {
        let cases = [
            (
                "{ upstream: stok, path: /x }",
                "processes/p.yaml:2:23 error there is no upstream `stok` in flowgate.toml (did you mean `stock`?)",
            ),
            (
                "{ upstream: stock, url: \"http://a.example\" }",
                "processes/p.yaml:2:35 error an `http` step calls an `upstream` or a `url`, not both (keep `upstream` and `path` to use the upstream's address, headers and TLS settings)",
            ),
            (
                "{ method: get }",
                "processes/p.yaml:2:11 error an `http` step needs an `upstream` (with a `path`) or a `url` (e.g. `http: { upstream: stock, path: \"/items/{{ doc.sku }}\" }`)",
            ),
            (
                "{ url: \"stock/items\" }",
                "processes/p.yaml:2:18 error `stock/items` is not an http or https URL with a host",
            ),
            (
                "{ url: \"http://a.example/x\", path: /y }",
                "processes/p.yaml:2:46 error `path` goes with `upstream`; a `url` is whole (write the path into the `url`, or name an upstream)",
            ),
            (
                "{ upstream: stock, method: fetch }",
                "processes/p.yaml:2:38 error `fetch` is not a method an `http` step can send (use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS)",
            ),
            (
                "{ upstream: stock, headers: { \"Bad Name\": x } }",
                "processes/p.yaml:2:41 error `Bad Name` is not a valid header name",
            ),
            (
                "{ upstream: stock, headers: { Content-Length: \"2\" } }",
                "processes/p.yaml:2:41 error `content-length` cannot be set here: flowgate writes it from the body it sends and the connection it uses",
            ),
            (
                "{ upstream: stock, headers: { Transfer-Encoding: chunked } }",
                "processes/p.yaml:2:41 error `transfer-encoding` cannot be set here: flowgate writes it from the body it sends and the connection it uses",
            ),
            (
                "{ upstream: stock, body: \"x\", method: get }",
                "processes/p.yaml:2:36 error GET requests carry no body",
            ),
            (
                "{ upstream: stock, concurrency: 0 }",
                "processes/p.yaml:2:43 error `concurrency` is from 1 to 64",
            ),
            (
                "{ upstream: stock, method: post, retries: 2 }",
                "processes/p.yaml:2:53 warning a POST is retried only when no connection could be made: once sent, it might be applied twice (to repeat it whatever happened, wrap the step in a `try` with `retries`)",
            ),
        ];
        for (options, expected) in cases {
            let found = diagnostics(STOCK, &step(options));
            assert_eq!(found, [expected], "{options}");
        }
    }

    #[test]
    fn upstream_mistakes_point_at_their_key() {
        let process = step("{ upstream: stock }");
        let cases = [
            (
                "[upstreams.stock]\nbase_url = \"stock.internal\"\n",
                "flowgate.toml:2:12 error `stock.internal` is not a URL: write one like `https://stock.internal:8443`",
            ),
            (
                "[upstreams.stock]\nbase_url = \"ftp://stock.internal\"\n",
                "flowgate.toml:2:12 error `ftp://stock.internal` is not an http or https URL with a host",
            ),
            (
                "[upstreams.stock]\nbase_url = \"https://user:pw@stock.internal\"\n",
                "flowgate.toml:2:12 error a base URL cannot hold credentials; send them in `headers`, e.g. `Authorization = \"env:STOCK_AUTH\"`",
            ),
            (
                "[upstreams.stock]\nbase_url = \"https://stock.internal\"\nheaders = { Authorization = \"env:FLOWGATE_TEST_SURELY_UNSET\" }\n",
                "flowgate.toml:3:29 error the environment variable `FLOWGATE_TEST_SURELY_UNSET` is not set (set it where flowgate runs; header `authorization` is sent with its value)",
            ),
            (
                "[upstreams.stock]\nbase_url = \"https://stock.internal\"\nheaders = { Authorization = \"env: \" }\n",
                "flowgate.toml:3:29 error `env:` names no environment variable (write `env:NAME`, and set NAME where flowgate runs)",
            ),
            (
                "[upstreams.stock]\nbase_url = \"https://stock.internal\"\nheaders = { \"a b\" = \"x\" }\n",
                "flowgate.toml:3:13 error `a b` is not a valid header name",
            ),
            (
                "[upstreams.stock]\nbase_url = \"https://stock.internal\"\nheaders = { Connection = \"close\" }\n",
                "flowgate.toml:3:13 error `connection` cannot be set here: flowgate writes it from the body it sends and the connection it uses",
            ),
            (
                "[upstreams.stock]\nbase_url = \"https://stock.internal\"\nca = \"certs/ca.pem\"\n",
                "flowgate.toml:3:6 error there is no file `certs/ca.pem`",
            ),
        ];
        for (settings, expected) in cases {
            let found = diagnostics(settings, &process);
            // The step then names an upstream that is not there: that is the second error.
            assert_eq!(
                found.first().map(String::as_str),
                Some(expected),
                "{settings}"
            );
        }
    }

    #[test]
    fn a_client_certificate_needs_its_key() {
        let ca = crate::test_pki::Ca::new("test CA");
        let client = ca.client("gateway", false);
        let compilation = compile_files(&[
            (
                "flowgate.toml",
                "[upstreams.stock]\nbase_url = \"https://stock.internal\"\nclient_cert = \"certs/gw.pem\"\n",
            ),
            ("certs/gw.pem", &client.cert),
        ]);
        let messages: Vec<&str> = compilation
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            messages,
            ["`client_cert` and `client_key` go together: give both or neither"]
        );
        // The files an upstream names are part of the root.
        let ca_root = compile_files(&[
            (
                "flowgate.toml",
                "[upstreams.stock]\nbase_url = \"https://stock.internal\"\nca = \"certs/ca.pem\"\n",
            ),
            ("certs/ca.pem", &ca.pem),
        ]);
        let snapshot = ca_root.snapshot.expect("compiles");
        assert!(snapshot.meta.files.iter().any(|f| f.path == "certs/ca.pem"));
    }
}
