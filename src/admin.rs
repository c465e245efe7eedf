//! The admin listener: what is live, reloading on demand, metrics.
//!
//! It listens on its own address (`[admin] listen`, loopback by default),
//! never on the public listener, and has no authentication of its own:
//! keep it on loopback or a management network. It answers only to an IP
//! address, `localhost` or an `[admin] hosts` name in `Host`.
//!
//! | request | answer |
//! |---|---|
//! | `GET /config` | generation, load time, git commit, files with SHA-256, listeners and the HTTPS files (names only), the last reload and its diagnostics |
//! | `POST /reload` | reloads now and answers with what that reload did (422 when it failed) |
//! | `GET /metrics` | Prometheus text |
//! | `GET /executions` | recorded executions, newest first: `process`, `status`, `since`, `limit` |
//! | `GET /executions/{id}` | one execution with its steps and documents |

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::config::FileDigest;
use crate::executions::store::{MAX_LIMIT, Summary, parse_since};
use crate::executions::{Filter, StatusFilter, Store};
use crate::metrics::ReloadResult;
use crate::reload::{ReloadReport, ReloadState, Trigger};
use crate::server::Gateway;
use crate::server::dispatch::{Body, problem_response};
use crate::server::guard;
use crate::server::problem::{Problem, kind};

/// The host a request names (`Host`, or the authority of HTTP/2 and of an
/// absolute target), without its port.
fn request_host<B>(request: &Request<B>) -> Option<&str> {
    let authority = match request.uri().authority() {
        Some(authority) => authority.as_str(),
        None => request
            .headers()
            .get(header::HOST)?
            .to_str()
            .unwrap_or("\u{FFFD}"),
    };
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => authority.split(':').next().unwrap_or(authority),
    };
    Some(host)
}

/// Whether the admin API answers to `host`. A browser page can point a name
/// it owns at this machine (DNS rebinding) and read what the answers say;
/// it cannot make its requests name an IP address or `localhost`. A request
/// without a `Host` (HTTP/1.0) comes from no browser.
fn host_allowed(host: &str, names: &[String]) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
        || host.eq_ignore_ascii_case("localhost")
        || names.iter().any(|name| name.eq_ignore_ascii_case(host))
}

/// What the admin API needs from the running gateway.
pub struct Admin {
    pub gateway: Arc<Gateway>,
    pub reloads: Arc<ReloadState>,
    pub triggers: mpsc::UnboundedSender<Trigger>,
    pub root: PathBuf,
    /// The addresses the listeners were bound to.
    pub public: Option<SocketAddr>,
    pub https: Option<SocketAddr>,
    pub admin: Option<SocketAddr>,
}

/// `GET /config`.
#[derive(Serialize)]
struct ConfigView<'a> {
    generation: u64,
    loaded_at: String,
    root: String,
    commit: Option<String>,
    files: &'a [FileDigest],
    listeners: Listeners,
    /// `[server.https]` of the live snapshot: file names, never contents.
    https: Option<HttpsView<'a>>,
    watching: String,
    pending_restart: Vec<String>,
    last_reload: Option<ReloadReport>,
}

#[derive(Serialize)]
struct Listeners {
    public: Option<String>,
    https: Option<String>,
    admin: Option<String>,
}

#[derive(Serialize)]
struct HttpsView<'a> {
    listen: String,
    cert: &'a str,
    key: &'a str,
    client_ca: Option<&'a str>,
}

impl Admin {
    pub async fn handle<B>(self: Arc<Self>, request: Request<B>) -> Response<Body> {
        // One Host, as on the public listener: with two, the one checked
        // below need not be the one a proxy or the client acted on.
        let head = if request.version() == http::Version::HTTP_2 {
            guard::check_h2_host(request.uri(), request.headers())
        } else {
            guard::check_head(request.version(), request.headers())
        };
        if let Err(refusal) = head {
            return problem_response(&refusal.into_problem(), false, None);
        }
        let host = request_host(&request);
        if let Some(host) = host
            && !host_allowed(host, &self.gateway.snapshot().settings.admin_hosts)
        {
            tracing::info!(host, "Admin request refused: not an admin host");
            let problem = Problem::new(
                StatusCode::FORBIDDEN,
                kind::FORBIDDEN,
                format!(
                    "the admin API answers to an IP address, `localhost` or a name in `[admin] hosts`, not to `{host}`"
                ),
            );
            return problem_response(&problem, false, None);
        }
        let method = request.method().clone();
        match (request.uri().path(), method) {
            ("/config", Method::GET | Method::HEAD) => self.config(),
            ("/reload", Method::POST) => self.reload().await,
            ("/metrics", Method::GET | Method::HEAD) => {
                let text = self.gateway.metrics().render();
                respond(
                    StatusCode::OK,
                    "text/plain; version=0.0.4; charset=utf-8",
                    text.into(),
                )
            }
            ("/executions", Method::GET | Method::HEAD) => {
                self.executions(request.uri().query()).await
            }
            (path, Method::GET | Method::HEAD) if path.starts_with(EXECUTIONS_PREFIX) => {
                let id = path[EXECUTIONS_PREFIX.len()..].to_owned();
                self.execution(id).await
            }
            (path @ ("/config" | "/metrics" | "/executions"), method) => {
                not_allowed(path, &method, "GET, HEAD")
            }
            (path, method) if path.starts_with(EXECUTIONS_PREFIX) => {
                not_allowed(path, &method, "GET, HEAD")
            }
            (path @ "/reload", method) => not_allowed(path, &method, "POST"),
            (path, _) => problem_response(
                &Problem::new(
                    StatusCode::NOT_FOUND,
                    kind::NOT_FOUND,
                    format!("no admin endpoint `{path}`"),
                ),
                false,
                None,
            ),
        }
    }

    fn config(&self) -> Response<Body> {
        let snapshot = self.gateway.snapshot();
        let meta = &snapshot.meta;
        let view = ConfigView {
            generation: meta.generation,
            loaded_at: crate::logging::rfc3339(meta.loaded_at),
            root: self.root.display().to_string(),
            commit: self.reloads.commit(&snapshot),
            files: &meta.files,
            listeners: Listeners {
                public: self.public.map(|a| a.to_string()),
                https: self.https.map(|a| a.to_string()),
                admin: self.admin.map(|a| a.to_string()),
            },
            https: snapshot.settings.https.as_ref().map(|https| HttpsView {
                listen: https.listen.to_string(),
                cert: &https.cert,
                key: &https.key,
                client_ca: https.client_ca.as_deref(),
            }),
            watching: self.reloads.watching(),
            pending_restart: self.reloads.pending_restart(),
            last_reload: self.reloads.last(),
        };
        json(StatusCode::OK, &view)
    }

    async fn reload(&self) -> Response<Body> {
        let (reply, report) = oneshot::channel();
        if self.triggers.send(Trigger::Admin(reply)).is_err() {
            return stopped();
        }
        match report.await {
            Ok(report) => {
                let status = match report.result {
                    ReloadResult::Failure => StatusCode::UNPROCESSABLE_ENTITY,
                    ReloadResult::Success | ReloadResult::Unchanged => StatusCode::OK,
                };
                json(status, &report)
            }
            Err(_) => stopped(),
        }
    }
}

const EXECUTIONS_PREFIX: &str = "/executions/";

/// `GET /executions`.
#[derive(Serialize)]
struct ExecutionList {
    executions: Vec<Summary>,
}

impl Admin {
    /// `GET /executions?process=&status=&since=&limit=`: newest first.
    async fn executions(&self, query: Option<&str>) -> Response<Body> {
        let filter = match list_filter(query, std::time::SystemTime::now()) {
            Ok(filter) => filter,
            Err(detail) => return bad_request(detail),
        };
        let read = self
            .read_store(move |store| store.list(&filter).map_err(|e| e.to_string()))
            .await;
        match read {
            Ok(executions) => json(
                StatusCode::OK,
                &ExecutionList {
                    executions: executions.unwrap_or_default(),
                },
            ),
            Err(response) => response,
        }
    }

    /// `GET /executions/{id}`.
    async fn execution(&self, id: String) -> Response<Body> {
        let wanted = id.clone();
        let read = self
            .read_store(move |store| store.get(&wanted).map_err(|e| e.to_string()))
            .await;
        match read {
            Ok(Some(Some(execution))) => json(StatusCode::OK, &execution),
            Ok(_) => problem_response(
                &Problem::new(
                    StatusCode::NOT_FOUND,
                    kind::NOT_FOUND,
                    format!("no execution `{id}` is recorded"),
                ),
                false,
                None,
            ),
            Err(response) => response,
        }
    }

    /// Runs `read` on the store, opened read-only on a blocking thread;
    /// `Ok(None)` when nothing was recorded yet.
    async fn read_store<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Store) -> Result<T, String> + Send + 'static,
    ) -> Result<Option<T>, Response<Body>> {
        let Some(recorder) = self.gateway.recorder() else {
            return Err(problem_response(
                &Problem::new(
                    StatusCode::NOT_FOUND,
                    kind::NOT_FOUND,
                    "this server does not record executions",
                ),
                false,
                None,
            ));
        };
        let path = recorder.path().to_path_buf();
        let result = tokio::task::spawn_blocking(move || match Store::open_read_only(&path) {
            Ok(Some(store)) => read(&store).map(Some),
            Ok(None) => Ok(None),
            Err(err) => Err(err.to_string()),
        })
        .await
        .unwrap_or_else(|err| Err(err.to_string()));
        result.map_err(|detail| {
            tracing::warn!(error = %detail, "Cannot read the execution store");
            let problem = Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                kind::EXECUTION_STORE,
                format!("cannot read the execution store: {detail}"),
            );
            problem_response(&problem, false, None)
        })
    }
}

/// The filter of `GET /executions` from its query. Each parameter may be
/// given once: a second `process` would otherwise silently replace the first.
fn list_filter(query: Option<&str>, now: std::time::SystemTime) -> Result<Filter, String> {
    crate::server::guard::check_query(query).map_err(|refusal| refusal.detail)?;
    let mut filter = Filter::default();
    let mut seen: Vec<std::borrow::Cow<'_, str>> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if seen.contains(&name) {
            return Err(format!("the parameter `{name}` may be given once"));
        }
        seen.push(name.clone());
        match &*name {
            "process" if value.trim().is_empty() => {
                return Err("`process` needs a process name".to_owned());
            }
            "process" => filter.process = Some(value.into_owned()),
            "status" => filter.status = Some(value.parse::<StatusFilter>()?),
            "since" => filter.since = Some(parse_since(&value, now)?),
            "limit" => {
                filter.limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                    .ok_or_else(|| format!("`limit` must be a number from 1 to {MAX_LIMIT}"))?;
            }
            other => {
                return Err(format!(
                    "unknown parameter `{other}`: use process, status, since and limit"
                ));
            }
        }
    }
    Ok(filter)
}

fn bad_request(detail: String) -> Response<Body> {
    problem_response(
        &Problem::new(StatusCode::BAD_REQUEST, kind::BAD_REQUEST, detail),
        false,
        None,
    )
}

fn stopped() -> Response<Body> {
    let problem = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        kind::OVERLOADED,
        "the reload controller has stopped; the server is shutting down",
    );
    problem_response(&problem, false, None)
}

fn not_allowed(path: &str, method: &Method, allow: &'static str) -> Response<Body> {
    let problem = Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        kind::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on `{path}`; use {allow}"),
    );
    let mut response = problem_response(&problem, false, None);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

fn json(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    match serde_json::to_vec_pretty(value) {
        Ok(body) => respond(status, "application/json", body.into()),
        Err(err) => respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            Bytes::from(format!("cannot write the answer: {err}")),
        ),
    }
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Body::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_filters_take_each_parameter_once_and_limits_in_range() {
        let now = std::time::SystemTime::now();
        let filter = list_filter(Some("process=a&status=failed&limit=5"), now).unwrap();
        assert_eq!(filter.process.as_deref(), Some("a"));
        assert_eq!(filter.limit, 5);
        assert_eq!(
            list_filter(Some("process=a&process=b"), now).unwrap_err(),
            "the parameter `process` may be given once"
        );
        assert_eq!(
            list_filter(Some("limit=5&limit=6"), now).unwrap_err(),
            "the parameter `limit` may be given once"
        );
        for limit in ["0", "1001", "many"] {
            assert_eq!(
                list_filter(Some(&format!("limit={limit}")), now).unwrap_err(),
                "`limit` must be a number from 1 to 1000"
            );
        }
        assert_eq!(list_filter(Some("limit=1000"), now).unwrap().limit, 1000);
        assert_eq!(
            list_filter(Some("process=%E9"), now).unwrap_err(),
            "the query parameter `process` does not decode to UTF-8"
        );
        assert_eq!(
            list_filter(Some("process="), now).unwrap_err(),
            "`process` needs a process name"
        );
    }
}
