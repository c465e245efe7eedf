//! Raw config types: the files as written, before anything is resolved.
//!
//! These mirror `flowgate.toml` and the process files key for key, reject
//! unknown keys, and keep spans where a later check needs to point. Nothing
//! that serves a request ever sees them: [`crate::compile`] turns them into
//! the snapshot types. Step lists stay [`Node`]s here and are decoded one step
//! at a time by the compiler, so every bad step of a file is reported.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::de::{Entries, Spanned};
use super::node::Node;
use super::schema;
use crate::units::{Bounded, ByteSize, HumanDuration};

/// `flowgate.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "the settings of flowgate.toml"
)]
pub struct RawSettings {
    pub server: RawServer,
    pub limits: RawLimits,
    pub access: Option<Spanned<RawAccess>>,
    pub users: BTreeMap<Spanned<String>, RawUser>,
    pub admin: RawAdmin,
    pub reload: RawReload,
    pub soap: RawSoap,
    pub upstreams: BTreeMap<Spanned<String>, RawUpstream>,
    pub executions: Option<Spanned<RawExecutions>>,
    pub vars: Option<Node>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [server] table")]
pub struct RawServer {
    pub listen: Spanned<String>,
    pub base_url: Option<Spanned<String>>,
    pub trusted_proxies: Vec<Spanned<String>>,
    pub https: Option<Spanned<RawHttps>>,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            listen: Spanned::new(Default::default(), "127.0.0.1:9090".to_owned()),
            base_url: None,
            trusted_proxies: Vec::new(),
            https: None,
        }
    }
}

/// `[server.https]`. The paths are relative to the root or absolute; the
/// files are read with the root (see [`super::NamedFile`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [server.https] table")]
pub struct RawHttps {
    pub listen: Spanned<String>,
    /// PEM: the server certificate, then any intermediates.
    pub cert: Spanned<String>,
    /// PEM: the private key of the certificate.
    pub key: Spanned<String>,
    /// PEM: the CAs whose client certificates are accepted.
    pub client_ca: Option<Spanned<String>>,
}

impl RawHttps {
    /// The files it names, in the order they are read.
    pub fn files(&self) -> impl Iterator<Item = &Spanned<String>> {
        [&self.cert, &self.key].into_iter().chain(&self.client_ca)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [limits] table")]
pub struct RawLimits {
    pub max_body: Spanned<ByteSize>,
    pub max_header_bytes: Spanned<ByteSize>,
    pub header_read_timeout: Spanned<HumanDuration>,
    pub request_timeout: Spanned<HumanDuration>,
    pub max_concurrency: Spanned<Bounded<1, { u32::MAX as u64 }>>,
    pub max_xml_depth: Spanned<Bounded<1, 1024>>,
    pub max_json_depth: Spanned<Bounded<1, 128>>,
}

impl Default for RawLimits {
    fn default() -> Self {
        use std::time::Duration;
        let at = Default::default();
        RawLimits {
            max_body: Spanned::new(at, ByteSize(1 << 20)),
            max_header_bytes: Spanned::new(at, ByteSize(16 << 10)),
            header_read_timeout: Spanned::new(at, HumanDuration(Duration::from_secs(10))),
            request_timeout: Spanned::new(at, HumanDuration(Duration::from_secs(30))),
            max_concurrency: Spanned::new(at, Bounded(250)),
            max_xml_depth: Spanned::new(at, Bounded(64)),
            max_json_depth: Spanned::new(at, Bounded(64)),
        }
    }
}

/// `access:` of a process, or `[access]` defaults.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default, expecting = "an access block")]
#[schemars(rename = "Access")]
pub struct RawAccess {
    /// How callers sign in: any of `none`, `basic`, `token`, `mtls`.
    pub auth: Option<Vec<Spanned<AuthMethod>>>,
    /// The users (`[users.NAME]`) and roles (`role:NAME`) allowed in.
    pub users: Option<Vec<Spanned<String>>>,
    /// Addresses and CIDR networks allowed in; empty = any.
    pub allow_ips: Option<Vec<Spanned<String>>>,
    /// Cross-origin requests from browsers.
    pub cors: Option<Spanned<RawCors>>,
}

/// `access.cors`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default, expecting = "a cors block")]
#[schemars(rename = "Cors")]
pub struct RawCors {
    pub origins: Vec<Spanned<String>>,
    pub methods: Option<Vec<Spanned<String>>>,
    pub headers: Option<Vec<Spanned<String>>>,
    pub credentials: Option<Spanned<bool>>,
    pub max_age: Option<HumanDuration>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    None,
    Basic,
    Token,
    Mtls,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [users.NAME] table")]
pub struct RawUser {
    pub password_hash: Option<Spanned<String>>,
    pub token_sha256: Option<Spanned<String>>,
    pub cert_subject: Option<Spanned<String>>,
    #[serde(default)]
    pub roles: Vec<Spanned<String>>,
    #[serde(default)]
    pub allow_ips: Vec<Spanned<String>>,
    pub processes: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "an [admin] table")]
pub struct RawAdmin {
    pub listen: Option<Spanned<String>>,
    /// Host names the admin API answers to, beside IP addresses and `localhost`.
    pub hosts: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [reload] table")]
pub struct RawReload {
    pub debounce: Option<Spanned<HumanDuration>>,
    pub poll: Option<Spanned<HumanDuration>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [soap] table")]
pub struct RawSoap {
    pub namespace: Option<Spanned<String>>,
}

/// `[upstreams.NAME]`: where `http` steps call, and the secrets they send,
/// kept out of process files. The PEM files are read with the root like
/// `[server.https]`'s (see [`super::NamedFile`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an [upstreams.NAME] table")]
pub struct RawUpstream {
    pub base_url: Spanned<String>,
    pub timeout: Option<Spanned<HumanDuration>>,
    /// PEM: the CAs that sign the upstream's certificate; absent = the system's.
    pub ca: Option<Spanned<String>>,
    /// PEM: the certificate flowgate shows when the upstream asks for one.
    pub client_cert: Option<Spanned<String>>,
    /// PEM: the private key of `client_cert`.
    pub client_key: Option<Spanned<String>>,
    /// Sent with every call; a value `env:NAME` is read from the environment.
    #[serde(default)]
    pub headers: Entries<Spanned<String>, Spanned<String>>,
}

impl RawUpstream {
    /// The files it names, in the order they are read.
    pub fn files(&self) -> impl Iterator<Item = &Spanned<String>> {
        self.ca
            .iter()
            .chain(&self.client_cert)
            .chain(&self.client_key)
    }
}

/// `[executions]`: where and how long execution records are kept.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "an [executions] table")]
pub struct RawExecutions {
    /// The store, relative to the root.
    pub path: Option<Spanned<String>>,
    /// Records older than this are deleted.
    pub retention: Option<Spanned<HumanDuration>>,
    /// At most this many records are kept; the oldest go first.
    pub max_records: Option<Spanned<Bounded<1, { u64::MAX }>>>,
    /// Each recorded document's body is cut at this size.
    pub max_document_bytes: Option<Spanned<ByteSize>>,
    /// More property names to redact, beside the built-in ones.
    pub redact: Vec<Spanned<String>>,
}

/// One process file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a process: a map with `listen`, `steps` and other keys"
)]
#[schemars(rename = "Process")]
pub struct RawProcess {
    /// The process's name; default: the file name without its extension.
    pub name: Option<Spanned<String>>,
    pub description: Option<String>,
    /// How the process is reached; without it the process has no URL and
    /// exists to be called by `call`.
    pub listen: Option<Spanned<RawListen>>,
    /// Who may call it; absent: the `[access]` defaults of flowgate.toml.
    pub access: Option<Spanned<RawAccess>>,
    /// `general` records each execution; `low-latency` records metrics only.
    pub mode: Option<Spanned<Mode>>,
    /// The steps, run in order on the batch of documents. Each step is
    /// decoded on its own, so every bad step of a file is reported.
    #[schemars(with = "Option<schema::StepList>")]
    pub steps: Option<Node>,
    /// Run by `flowgate test`.
    #[schemars(with = "Option<Vec<RawTest>>")]
    pub tests: Option<Node>,
}

impl RawProcess {
    /// Whether the file set no key at all (`{}`, `null`).
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.listen.is_none()
            && self.access.is_none()
            && self.mode.is_none()
            && self.steps.is_none()
            && self.tests.is_none()
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a listen block")]
#[schemars(rename = "Listen")]
pub struct RawListen {
    /// With `object`, names the simple URL: `/ws/simple/{operation}{Object}`.
    pub operation: Spanned<Operation>,
    pub object: Spanned<String>,
    /// Also a REST route, `METHOD /path/{param}`, under `/ws/rest`.
    pub rest: Option<Spanned<String>>,
    /// Also a SOAP operation on `/ws/soap` and `/ws/soap12` (XML in and out, XSD profiles).
    pub soap: Option<Spanned<bool>>,
    /// What the request body holds.
    pub input: Option<Spanned<DocType>>,
    /// What the response body holds.
    pub output: Option<Spanned<DocType>>,
    /// The profile (`profiles/NAME.xsd` or `NAME.schema.json`) every input document must follow.
    pub request_profile: Option<Spanned<String>>,
    /// The profile the returned documents must follow.
    pub response_profile: Option<Spanned<String>>,
    /// The response's content type, for `output: data`.
    pub content_type: Option<Spanned<String>>,
    /// Documents per response page for `*-list` outputs.
    pub page_size: Option<Spanned<Bounded<1, { u32::MAX as u64 }>>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Get,
    Query,
    Create,
    Update,
    Upsert,
    Delete,
    Execute,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Get => "get",
            Operation::Query => "query",
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Upsert => "upsert",
            Operation::Delete => "delete",
            Operation::Execute => "execute",
        }
    }
}

/// What a request body holds and what a response body holds (SPEC §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DocType {
    None,
    Data,
    Xml,
    XmlList,
    Json,
    JsonList,
}

impl DocType {
    pub fn as_str(self) -> &'static str {
        match self {
            DocType::None => "none",
            DocType::Data => "data",
            DocType::Xml => "xml",
            DocType::XmlList => "xml-list",
            DocType::Json => "json",
            DocType::JsonList => "json-list",
        }
    }

    pub fn is_xml(self) -> bool {
        matches!(self, DocType::Xml | DocType::XmlList)
    }

    pub fn is_json(self) -> bool {
        matches!(self, DocType::Json | DocType::JsonList)
    }

    pub fn is_list(self) -> bool {
        matches!(self, DocType::XmlList | DocType::JsonList)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    General,
    LowLatency,
}

/// A step: a one-key map whose key is the step kind. The options stay a
/// node until the compiler decodes them with the kind's own type below.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", expecting = "a step")]
pub enum RawStep {
    Message(Node),
    Set(Node),
    Map(Node),
    Decision(Node),
    Route(Node),
    Branch(Node),
    Split(Node),
    Combine(Node),
    Return(Node),
    Stop(Node),
    Exception(Node),
    Log(Node),
    Http(Node),
    Try(Node),
    Call(Node),
}

impl RawStep {
    pub fn kind(&self) -> &'static str {
        match self {
            RawStep::Message(_) => "message",
            RawStep::Set(_) => "set",
            RawStep::Map(_) => "map",
            RawStep::Decision(_) => "decision",
            RawStep::Route(_) => "route",
            RawStep::Branch(_) => "branch",
            RawStep::Split(_) => "split",
            RawStep::Combine(_) => "combine",
            RawStep::Return(_) => "return",
            RawStep::Stop(_) => "stop",
            RawStep::Exception(_) => "exception",
            RawStep::Log(_) => "log",
            RawStep::Http(_) => "http",
            RawStep::Try(_) => "try",
            RawStep::Call(_) => "call",
        }
    }
}

/// `message: {template, content_type, combine}`; `message: TEMPLATE` is the short form.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "message options")]
pub struct MessageStep {
    /// The new body of each document.
    pub template: Spanned<String>,
    pub content_type: Option<Spanned<String>>,
    /// Render once over `docs` into one document.
    #[serde(default)]
    pub combine: bool,
}

/// `map: {to, value}`: `value` is a structure whose leaves are templates.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "map options")]
pub struct MapStep {
    /// The profile of the document to build.
    pub to: Spanned<String>,
    /// The document's structure; its leaves are templates, `$for: x in EXPR`
    /// repeats a node, `$if: EXPR` keeps it conditionally.
    pub value: Node,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "decision options")]
pub struct DecisionStep {
    /// An expression, evaluated for each document.
    #[serde(rename = "if")]
    pub condition: Spanned<String>,
    #[schemars(with = "Option<schema::StepList>")]
    pub then: Option<Node>,
    #[serde(rename = "else")]
    #[schemars(with = "Option<schema::StepList>")]
    pub otherwise: Option<Node>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "route options")]
pub struct RouteStep {
    /// An expression whose value picks the case, for each document.
    pub by: Spanned<String>,
    #[schemars(with = "schema::Cases")]
    pub cases: Node,
    #[schemars(with = "Option<schema::StepList>")]
    pub default: Option<Node>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "split options")]
pub struct SplitStep {
    /// The repeating node: one document each.
    pub path: Spanned<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default, expecting = "combine options")]
pub struct CombineStep {
    /// The wrapper's name (JSON: the key holding the list; XML: the element).
    pub wrap: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default, expecting = "return options")]
pub struct ReturnStep {
    /// A number, or a template that renders one.
    #[schemars(with = "Option<schema::Status>")]
    pub status: Option<Node>,
    pub headers: Entries<Spanned<String>, Spanned<String>>,
    pub content_type: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "stop takes no options")]
pub struct StopStep {}

/// `exception: {status, message}`; `exception: MESSAGE` is the short form.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "exception options")]
pub struct ExceptionStep {
    pub status: Option<Spanned<u16>>,
    pub message: Spanned<String>,
}

/// `log: {level, message}`; `log: MESSAGE` is the short form.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "log options")]
pub struct LogStep {
    pub level: Option<Spanned<LogLevel>>,
    pub message: Spanned<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// `http: {upstream, path, …}` or `http: {url, …}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "http options")]
pub struct HttpStep {
    /// A `[upstreams.NAME]` of flowgate.toml; with `path`.
    pub upstream: Option<Spanned<String>>,
    /// A template, after the upstream's `base_url`.
    pub path: Option<Spanned<String>>,
    /// A full URL (a template), instead of `upstream` and `path`.
    pub url: Option<Spanned<String>>,
    /// Default: GET; POST when `body` is written.
    pub method: Option<Spanned<String>>,
    #[serde(default)]
    pub headers: Entries<Spanned<String>, Spanned<String>>,
    /// A template; default: the current document.
    pub body: Option<Spanned<String>>,
    pub timeout: Option<Spanned<HumanDuration>>,
    /// More attempts after the first, for idempotent methods and connection errors.
    pub retries: Option<Spanned<u32>>,
    /// `false` hands a 4xx/5xx answer to the process instead of failing the step.
    pub fail_on_status: Option<Spanned<bool>>,
    /// How many documents of a batch call out at once.
    pub concurrency: Option<Spanned<u32>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "try options")]
pub struct TryStep {
    #[schemars(with = "schema::StepList")]
    pub steps: Node,
    /// Runs when the steps still fail, with the error as `props.error`.
    #[schemars(with = "Option<schema::StepList>")]
    pub catch: Option<Node>,
    /// More attempts after the first, with backoff.
    #[serde(default)]
    pub retries: Spanned<u32>,
}

/// One entry of a process's `tests:` (run by `flowgate test`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a test: a map with `name`, `request` and `expect`"
)]
#[schemars(rename = "Test")]
pub struct RawTest {
    pub name: Spanned<String>,
    pub request: Option<Spanned<RawTestRequest>>,
    #[serde(default)]
    pub stubs: Vec<Spanned<RawStub>>,
    pub expect: Spanned<RawExpect>,
}

/// `request:` of a test: what a client sends.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default, expecting = "a test's request")]
#[schemars(rename = "TestRequest")]
pub struct RawTestRequest {
    pub method: Option<Spanned<String>>,
    /// A URL path, optionally with a query.
    pub path: Option<Spanned<String>>,
    /// Query parameters, added to any in `path`; values are scalars.
    pub query: Entries<Spanned<String>, Node>,
    pub headers: Entries<Spanned<String>, Spanned<String>>,
    /// Text, or a structure sent as JSON.
    pub body: Option<Node>,
    /// A file under the root whose bytes are the body.
    pub body_file: Option<Spanned<String>>,
    /// A user of `[users]` to act as, without credentials.
    pub user: Option<Spanned<String>>,
    /// The client address the request comes from.
    pub remote_ip: Option<Spanned<String>>,
}

/// One entry of a test's `stubs:`: the canned answer to an `http` step's call.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a stub")]
#[schemars(rename = "Stub")]
pub struct RawStub {
    pub upstream: Option<Spanned<String>>,
    pub url: Option<Spanned<String>>,
    pub method: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    pub status: Option<Spanned<u16>>,
    #[serde(default)]
    pub headers: Entries<Spanned<String>, Spanned<String>>,
    pub body: Option<Node>,
    pub body_file: Option<Spanned<String>>,
    /// Instead of an answer: a call that times out or is refused.
    pub fail: Option<Spanned<StubFailure>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StubFailure {
    Timeout,
    Refused,
}

/// `expect:` of a test: what the response must be.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default, expecting = "a test's expectations")]
#[schemars(rename = "Expect")]
pub struct RawExpect {
    pub status: Option<Spanned<u16>>,
    pub headers: Entries<Spanned<String>, Spanned<String>>,
    /// Headers the response must not have.
    pub headers_absent: Vec<Spanned<String>>,
    /// The whole body: text, or a structure compared as JSON.
    pub body: Option<Node>,
    pub body_file: Option<Spanned<String>>,
    /// A string or a list of strings the body holds.
    #[schemars(with = "Option<schema::Texts>")]
    pub body_contains: Option<Node>,
    /// A JSON structure the body holds (a subset).
    pub json: Option<Node>,
    /// Values at paths of the body: `/Order/Id` in XML, `/lines/0/sku` in JSON.
    pub paths: Entries<Spanned<String>, Node>,
    pub problem: Option<Spanned<RawExpectProblem>>,
    /// The properties of the first returned document (processes without `listen`).
    pub props: Option<Node>,
}

/// `expect.problem`: the problem document of a failed request.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default, expecting = "a problem expectation")]
#[schemars(rename = "ExpectProblem")]
pub struct RawExpectProblem {
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    pub detail: Option<Spanned<String>>,
    pub detail_contains: Option<Spanned<String>>,
    pub errors: Vec<Spanned<RawExpectError>>,
}

/// One entry of `expect.problem.errors`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "a problem error expectation"
)]
#[schemars(rename = "ExpectError")]
pub struct RawExpectError {
    pub path: Option<Spanned<String>>,
    pub message_contains: Option<Spanned<String>>,
}
