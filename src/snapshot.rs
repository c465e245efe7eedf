//! The compiled config: one immutable value that serves every request.
//!
//! A [`Snapshot`] is built whole by [`crate::compile`] and never changed
//! after. The server holds the live one behind an atomic pointer and loads it
//! once per request, so a request sees one consistent config from start to
//! end, and a reload is one pointer swap. Everything here is resolved: names
//! are ids, strings are parsed addresses and header names, templates are
//! compiled.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{HeaderName, Method};
use minijinja::value::Value;

use crate::access::AccessPolicy;
use crate::access::net::Networks;
use crate::access::users::Users;
use crate::config::FileDigest;
use crate::config::raw::{DocType, LogLevel, Mode, Operation};
use crate::doc::{ContentType, ParseLimits};
use crate::metrics::RequestMetrics;
use crate::outbound::{CallPolicy, Upstream};
use crate::profile::json_tree::MemberName;
use crate::profile::{Profile, Profiles};
use crate::routes::RouteTable;
use crate::template::{ExprId, Path, TemplateId, Templates};

#[derive(Debug)]
pub struct Snapshot {
    pub meta: Meta,
    pub settings: Settings,
    pub processes: Vec<Process>,
    pub routes: RouteTable,
    pub templates: Templates,
    pub profiles: Profiles,
    /// `[users]`, with the cache of password verdicts.
    pub users: Users,
    /// Each process's request counters, attached when the snapshot goes
    /// live (see [`crate::server::Gateway`]); empty until then.
    pub process_metrics: Vec<Arc<RequestMetrics>>,
}

/// Where a snapshot came from, and when it went live.
#[derive(Debug, Clone)]
pub struct Meta {
    /// 0 until the snapshot goes live; then 1, 2, … for each swap.
    pub generation: u64,
    pub loaded_at: SystemTime,
    /// The git commit of the root, when it is a git checkout.
    pub commit: Option<String>,
    /// Every file it was compiled from, with its SHA-256.
    pub files: Vec<FileDigest>,
    /// The files flowgate.toml and the tests name, as written
    /// ([`crate::compile::Compilation::named_files`]).
    pub named_files: Vec<String>,
}

impl Snapshot {
    pub fn metrics(&self, id: ProcessId) -> Option<&RequestMetrics> {
        self.process_metrics.get(id.index()).map(|m| &**m)
    }

    pub fn process(&self, id: ProcessId) -> &Process {
        &self.processes[id.index()]
    }

    pub fn process_by_name(&self, name: &str) -> Option<ProcessId> {
        self.processes
            .iter()
            .position(|p| &*p.name == name)
            .map(ProcessId::from_index)
    }
}

/// `flowgate.toml`, resolved.
#[derive(Debug)]
pub struct Settings {
    /// The plain HTTP listener; `None` when `listen = ""`.
    pub listen: Option<SocketAddr>,
    /// The admin listener (`/config`, `/reload`, `/metrics`, `/executions`); `None` when disabled.
    pub admin_listen: Option<SocketAddr>,
    /// Host names (lower case) the admin API answers to besides IP
    /// addresses and `localhost`: a page that rebinds its own name to this
    /// machine cannot read it.
    pub admin_hosts: Vec<String>,
    /// `[server.https]`; `None` when absent.
    pub https: Option<Https>,
    pub reload: ReloadSettings,
    pub limits: Limits,
    pub trusted_proxies: Networks,
    /// `[server] base_url`, without a trailing slash: where the WSDL and
    /// OpenAPI documents say the service is. `None`: from each request.
    pub base_url: Option<String>,
    /// `[soap] namespace`: the namespace of SOAP operation wrappers.
    pub soap_namespace: String,
    /// `[vars]`, as templates see them.
    pub vars: Value,
    /// `[executions]`: shared with every record, so a record is written
    /// under the settings of the snapshot that served it.
    pub executions: Arc<ExecutionSettings>,
}

/// `[executions]`, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionSettings {
    /// The store, relative to the root (checked to stay inside it).
    pub path: std::path::PathBuf,
    /// Records older than this are deleted.
    pub retention: Duration,
    /// At most this many records are kept.
    pub max_records: u64,
    /// Each recorded body is cut at this many bytes.
    pub max_document_bytes: usize,
    /// `redact`, lower-cased: property names containing one of these (or
    /// one of the built-in words) are recorded as `"[redacted]"`.
    pub redact: Vec<String>,
}

impl Default for ExecutionSettings {
    fn default() -> Self {
        ExecutionSettings {
            path: std::path::PathBuf::from(ExecutionSettings::DEFAULT_PATH),
            retention: Duration::from_secs(7 * 24 * 60 * 60),
            max_records: 100_000,
            max_document_bytes: 64 * 1024,
            redact: Vec::new(),
        }
    }
}

impl ExecutionSettings {
    /// `[executions] path` when it is not set: hidden, so never watched.
    pub const DEFAULT_PATH: &str = ".flowgate/executions.db";
}

/// `[server.https]`, resolved: the certificate, key and client CAs are
/// read, checked and built into the config every new handshake uses.
pub struct Https {
    pub listen: SocketAddr,
    /// The files as written in flowgate.toml, for `/config`.
    pub cert: String,
    pub key: String,
    pub client_ca: Option<String>,
    /// ALPN `h2` and `http/1.1`; asks for a client certificate when
    /// `client_ca` is set.
    pub config: Arc<rustls::ServerConfig>,
}

/// Shows the file names, never what was read from them.
impl std::fmt::Debug for Https {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Https")
            .field("listen", &self.listen)
            .field("cert", &self.cert)
            .field("key", &self.key)
            .field("client_ca", &self.client_ca)
            .finish_non_exhaustive()
    }
}

/// `[reload]`: how file changes are noticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReloadSettings {
    /// Quiet time after the last change before a reload starts.
    pub debounce: Duration,
    /// Poll the files at this interval instead of asking the OS for events.
    pub poll: Option<Duration>,
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_body: u64,
    pub max_header_bytes: usize,
    pub header_read_timeout: Duration,
    pub request_timeout: Duration,
    pub max_concurrency: usize,
    pub parse: ParseLimits,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessId(u32);

impl ProcessId {
    pub fn from_index(index: usize) -> ProcessId {
        ProcessId(u32::try_from(index).unwrap_or(u32::MAX))
    }

    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Debug)]
pub struct Process {
    pub name: Arc<str>,
    /// The file it came from, relative to the root.
    pub file: String,
    /// `description:` as written: the summary of its operations in the
    /// published contracts.
    pub description: Option<String>,
    pub listen: Option<Listen>,
    pub access: AccessPolicy,
    pub mode: Mode,
    pub steps: Pipeline,
    /// Whether a step may read its documents' parsed form: a template of
    /// its own or of a process it calls names `doc` or `docs`, or it has a
    /// `split`. Without a request profile, its JSON or XML input is then
    /// parsed at once, else only checked (`server::input::decode`).
    pub reads_documents: bool,
}

impl Process {
    /// Whether its requests carry XML: then its problems are XML too (SPEC §3.1).
    pub fn reads_xml(&self) -> bool {
        self.listen.as_ref().is_some_and(|l| l.input.is_xml())
    }
}

/// How a process is reached over HTTP, and what its bodies hold.
#[derive(Debug)]
pub struct Listen {
    pub operation: Operation,
    pub object: String,
    /// `/ws/simple/{operation}{Object}`; also the SOAP operation's name.
    pub simple_path: String,
    pub rest: Option<RestRoute>,
    /// Also a SOAP operation (`/ws/soap`, `/ws/soap12`): then input and
    /// output are `none`, `xml` or `xml-list`, each XML side with an XSD.
    pub soap: bool,
    pub input: DocType,
    pub output: DocType,
    /// The response content type for `output: data`.
    pub content_type: Option<String>,
    /// Validates every input document before any step.
    pub request_profile: Option<Profile>,
    /// Validates what the process returns.
    pub response_profile: Option<Profile>,
    /// Documents per response page for list outputs.
    pub page_size: Option<usize>,
    /// Whether the process has a `return` step of its own (a called
    /// process's hands documents back instead). A list output of a process
    /// that has one answers a list even when no document reached it (an
    /// empty list in, every document stopped): `[]`, `<{Object}List/>`. A
    /// process without any `return` answers 200 with an empty body.
    pub returns: bool,
}

impl Listen {
    /// The SOAP operation's name, and the simple URL's last segment: `createOrder`.
    pub fn operation_name(&self) -> &str {
        &self.simple_path
    }

    /// The simple URL's path: `/ws/simple/createOrder`.
    pub fn simple_url(&self) -> String {
        format!("{}{}", crate::routes::SIMPLE_PREFIX, self.simple_path)
    }

    /// Whether requests to this process carry a body.
    pub fn takes_body(&self) -> bool {
        self.input != DocType::None
    }

    /// Its URLs as people are told them: the simple URL, then the REST route.
    pub fn urls(&self) -> Vec<String> {
        let mut urls = vec![self.simple_url()];
        urls.extend(self.rest.as_ref().map(RestRoute::url));
        urls
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestRoute {
    pub method: Method,
    /// The pattern as written after `/ws/rest`, e.g. `/orders/{region}`.
    pub pattern: String,
}

impl RestRoute {
    /// The method and the whole path pattern: `POST /ws/rest/orders/{region}`.
    pub fn url(&self) -> String {
        format!(
            "{} {}{}",
            self.method,
            crate::routes::REST_PREFIX,
            self.pattern
        )
    }
}

/// A list of steps run in order on a batch.
pub type Pipeline = Box<[Step]>;

#[derive(Debug)]
pub struct Step {
    pub site: StepSite,
    pub kind: StepKind,
}

/// Where a step was written, for logs and error reports.
#[derive(Debug, Clone)]
pub struct StepSite {
    /// The process file, relative to the root: a called process's step is
    /// in its own file, not the caller's.
    pub file: Arc<str>,
    /// The step's path in its process file, e.g. `steps[2].decision.then[0]`.
    pub path: String,
    pub line: usize,
}

#[derive(Debug)]
pub enum StepKind {
    Message {
        template: TemplateId,
        /// The documents' content type: as declared, read as its media type.
        content_type: ContentType,
        combine: bool,
    },
    Set(Vec<(String, ValueSource)>),
    Map {
        target: Profile,
        shape: Shape,
    },
    Decision {
        condition: ExprId,
        then: Pipeline,
        otherwise: Pipeline,
    },
    Route {
        by: ExprId,
        cases: Vec<(String, Pipeline)>,
        default: Pipeline,
    },
    Branch(Vec<Pipeline>),
    Split {
        path: Vec<String>,
    },
    Combine {
        /// Given in the file: JSON output is wrapped in an object with this key.
        wrap: Option<String>,
        /// The wrapper element for XML: the given wrap, else `{Object}List`.
        xml_wrap: String,
    },
    Return(ReturnSpec),
    Stop,
    Exception {
        status: http::StatusCode,
        message: TemplateId,
    },
    Log {
        level: LogLevel,
        message: TemplateId,
    },
    Call(ProcessId),
    Try {
        steps: Pipeline,
        catch: Pipeline,
        retries: u32,
    },
    Http(Box<HttpSpec>),
}

impl StepKind {
    /// Whether `steps` hold a `return`, at any depth (not in called processes).
    pub fn any_return(steps: &[Step]) -> bool {
        steps.iter().any(|step| {
            matches!(step.kind, StepKind::Return(_))
                || step
                    .kind
                    .pipelines()
                    .into_iter()
                    .any(|pipeline| StepKind::any_return(pipeline))
        })
    }

    /// The pipelines written inside this step (a `call`'s process is not one).
    pub fn pipelines(&self) -> Vec<&Pipeline> {
        match self {
            StepKind::Decision {
                then, otherwise, ..
            } => vec![then, otherwise],
            StepKind::Route { cases, default, .. } => cases
                .iter()
                .map(|(_, pipeline)| pipeline)
                .chain([default])
                .collect(),
            StepKind::Branch(paths) => paths.iter().collect(),
            StepKind::Try { steps, catch, .. } => vec![steps, catch],
            _ => Vec::new(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            StepKind::Message { .. } => "message",
            StepKind::Set(_) => "set",
            StepKind::Map { .. } => "map",
            StepKind::Decision { .. } => "decision",
            StepKind::Route { .. } => "route",
            StepKind::Branch(_) => "branch",
            StepKind::Split { .. } => "split",
            StepKind::Combine { .. } => "combine",
            StepKind::Return(_) => "return",
            StepKind::Stop => "stop",
            StepKind::Exception { .. } => "exception",
            StepKind::Log { .. } => "log",
            StepKind::Call(_) => "call",
            StepKind::Try { .. } => "try",
            StepKind::Http(_) => "http",
        }
    }
}

/// An `http` step, resolved: where it calls and how.
#[derive(Debug)]
pub struct HttpSpec {
    pub target: HttpTarget,
    pub method: Method,
    /// Added to (and replacing) the upstream's headers.
    pub headers: Vec<(HeaderName, ValueSource)>,
    pub body: HttpBody,
    pub policy: CallPolicy,
    /// How many documents of a batch call out at once; results keep the batch's order.
    pub concurrency: usize,
}

#[derive(Debug)]
pub enum HttpTarget {
    /// `upstream` + `path`: the path is appended to the upstream's `base_url`.
    Upstream {
        upstream: Arc<Upstream>,
        path: UpstreamPath,
    },
    /// `url`: a full URL (a template), sent with the snapshot's shared client.
    Url {
        url: TemplateId,
        client: crate::outbound::Client,
    },
}

/// The `path` of an `http` step with an `upstream`.
#[derive(Debug)]
pub enum UpstreamPath {
    /// Plain text: the URL, made and checked once, when the root is compiled.
    Fixed(url::Url),
    /// A template, rendered per call.
    Template(TemplateId),
}

impl HttpTarget {
    pub fn client(&self) -> &crate::outbound::Client {
        match self {
            HttpTarget::Upstream { upstream, .. } => &upstream.client,
            HttpTarget::Url { client, .. } => client,
        }
    }
}

/// What an `http` step sends as its body.
#[derive(Debug)]
pub enum HttpBody {
    None,
    /// The current document, with its content type.
    Document,
    /// A template rendered per document, escaped for and sent as `content_type`.
    Template {
        template: TemplateId,
        content_type: ContentType,
    },
}

/// A value written in a process file: a literal, one expression that keeps
/// its type, or a template rendered to text.
#[derive(Debug, Clone)]
pub enum ValueSource {
    Literal(Value),
    /// An expression that is only a lookup, followed directly.
    Path(Path),
    Expr(ExprId),
    Template(TemplateId),
}

/// What a `map` step builds: a tree whose leaves are values written in
/// the file (literals, expressions, templates).
#[derive(Debug)]
pub enum Shape {
    Value(ValueSource),
    List(Vec<Shape>),
    Map(MapShape),
}

#[derive(Debug)]
pub struct MapShape {
    /// `$for: NAME in EXPR`: the map is made once per item, with NAME bound to it.
    pub each: Option<(Arc<str>, ExprId)>,
    /// `$if: EXPR`: the map is left out when the expression is false.
    pub condition: Option<ExprId>,
    /// `$value: …`: the map stands for this value (a leaf kept by its `$if`).
    pub value: Option<ValueSource>,
    pub entries: Vec<(Arc<MemberName>, Shape)>,
}

#[derive(Debug)]
pub struct ReturnSpec {
    pub status: Option<StatusSource>,
    pub headers: Vec<(HeaderName, ValueSource)>,
    pub content_type: Option<String>,
}

/// An HTTP status a process may answer with: 200 to 599. A 1xx is not a
/// final answer: the client would wait for another (or, for 101, switch
/// protocols) and lose the body.
pub fn http_status(code: &str) -> Option<http::StatusCode> {
    let code = code.trim().parse::<u16>().ok()?;
    (200..=599)
        .contains(&code)
        .then(|| http::StatusCode::from_u16(code).ok())
        .flatten()
}

#[derive(Debug)]
pub enum StatusSource {
    Fixed(http::StatusCode),
    /// Evaluated per execution; must give a number from 200 to 599.
    Dynamic(ValueSource),
}
