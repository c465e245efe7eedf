//! Compiling a loaded root into a [`Snapshot`], collecting every diagnostic.
//!
//! One pass over the raw types of [`crate::config`]: settings, process
//! names, each process's listen block, access and steps, the routing table,
//! and the graph of `call`s. A problem becomes a diagnostic and the pass goes
//! on, so one run reports everything that is wrong with a root. The snapshot
//! exists only when there is no error.

mod access;
mod fit;
mod steps;
mod test_plan;
pub(crate) mod tls;
mod upstreams;
mod values;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use http::Method;

use crate::access::AccessPolicy;
use crate::access::net::{self, Networks};
use crate::config::de::{self, Spanned};
use crate::config::node::{Node, NodeKind, Span};
use crate::config::raw::{DocType, Mode, RawExecutions, RawListen, RawSettings};
use crate::config::{self, LoadedRoot, ProcessFile, ProfileFile, ProfileKind};
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::doc::{ContentType, MediaType, ParseLimits};
use crate::process_tests::TestPlan;
use crate::profile::json::JsonProfile;
use crate::profile::{Profile, Profiles, Schema};
use crate::routes::{PatternError, RouteTable};
use crate::snapshot::{
    ExecutionSettings, Limits, Listen, Process, ProcessId, ReloadSettings, RestRoute, Settings,
    Snapshot, Step, StepKind,
};
use crate::template::TemplatesBuilder;

pub use values::node_to_value;

/// The outcome of compiling a root: a snapshot when there was no error, and
/// every diagnostic (errors and warnings) either way.
#[derive(Debug)]
pub struct Compilation {
    pub snapshot: Option<Snapshot>,
    pub diagnostics: Diagnostics,
    /// The `tests:` of every process, for `flowgate test`; beside the
    /// snapshot, not in it, so serving never carries them. Empty when
    /// there was an error.
    pub tests: TestPlan,
    /// The files flowgate.toml and the tests name, as written, whether or
    /// not they are there: a reload is due when one of them changes, and
    /// when one that was missing comes.
    pub named_files: Vec<String>,
}

/// Loads and compiles the config root at `root`.
pub fn compile_root(root: &Path) -> Compilation {
    compile(config::load_root(root))
}

/// The settings of the root at `root` alone, with the diagnostics of
/// flowgate.toml: for commands that need no process (`flowgate
/// executions` reads the store while a process file may be broken).
pub fn root_settings(root: &Path) -> (Settings, Diagnostics) {
    let loaded = config::load_root(root);
    let mut diagnostics = Diagnostics::default();
    // Only flowgate.toml's own diagnostics count here, but a root that is
    // no directory has no settings to read: that is an error too.
    if let Some(problem) = config::root_problem(root) {
        diagnostics.push(problem);
    }
    for diagnostic in loaded.diagnostics.iter() {
        if diagnostic
            .location
            .as_ref()
            .is_some_and(|at| at.file == config::SETTINGS_FILE)
        {
            diagnostics.push(diagnostic.clone());
        }
    }
    let defaults = RawSettings::default();
    let (raw, source) = match &loaded.settings {
        Some(settings) => (&settings.raw, Some(settings.source.as_ref())),
        None => (&defaults, None),
    };
    let settings = compile_settings(raw, source, &mut diagnostics);
    (settings, diagnostics)
}

pub fn compile(loaded: LoadedRoot) -> Compilation {
    let mut diagnostics = loaded.diagnostics;
    let defaults = RawSettings::default();
    let (raw_settings, settings_source) = match &loaded.settings {
        Some(settings) => (&settings.raw, Some(&settings.source)),
        None => (&defaults, None),
    };
    let mut settings = compile_settings(
        raw_settings,
        settings_source.map(Arc::as_ref),
        &mut diagnostics,
    );
    if let (Some(https), Some(source)) = (&raw_settings.server.https, settings_source) {
        let taken = [
            ("`[server] listen`", settings.listen),
            ("`[admin] listen`", settings.admin_listen),
        ];
        settings.https =
            tls::compile_https(https, source, &loaded.named_files, &taken, &mut diagnostics);
    }
    let outbound = Outbound::new(
        upstreams::compile_upstreams(
            raw_settings,
            settings_source.map(Arc::as_ref),
            &loaded.named_files,
            &mut diagnostics,
        ),
        raw_settings
            .upstreams
            .keys()
            .map(|name| name.value.clone())
            // An upstream whose whole entry was left out for a bad value
            // (a `base_url` of the wrong kind) is declared all the same.
            .chain(
                loaded
                    .settings
                    .iter()
                    .flat_map(|s| s.left_out.keys_under("upstreams"))
                    .map(str::to_owned),
            ),
    );
    let users = access::compile_users(
        raw_settings,
        settings_source.map(Arc::as_ref),
        &mut diagnostics,
    );
    let lacks = |path: &str| {
        loaded
            .settings
            .as_ref()
            .is_some_and(|s| s.left_out.lacks(path))
    };
    let access_context = access::Context {
        users: &users,
        client_ca: raw_settings
            .server
            .https
            .as_ref()
            .is_some_and(|https| https.client_ca.is_some()),
        settings_whole: !(lacks("access") || lacks("users") || lacks("server.https")),
    };
    let default_access = match (&raw_settings.access, settings_source) {
        (Some(access), Some(source)) => access::compile_access(
            access,
            &AccessPolicy::default(),
            &access_context,
            !lacks("access"),
            source,
            &mut diagnostics,
        ),
        _ => AccessPolicy::default(),
    };
    let exposed = access::exposed_listeners(raw_settings, settings.listen);

    let profiles = compile_profiles(&loaded.profiles, &mut diagnostics);
    let names = process_names(&loaded.processes, &mut diagnostics);
    let ids: HashMap<String, ProcessId> = names
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.to_string(), ProcessId::from_index(i)))
        .rev() // the first of two duplicates keeps the name
        .collect();

    let mut templates = TemplatesBuilder::new();
    // The names of processes whose files did not read: a call of one is
    // no mistake of the caller's.
    let unread: HashSet<String> = loaded
        .unread_processes
        .iter()
        .map(|path| file_stem(path))
        .filter(|name| !ids.contains_key(name))
        .collect();
    // Processes that a `call` names get the caller's documents, whatever
    // their own request profile says.
    let called: HashSet<String> = loaded
        .processes
        .iter()
        .filter_map(|file| file.raw.steps.as_ref())
        .flat_map(called_names)
        .collect();
    let root_names = steps::RootNames {
        process_ids: &ids,
        unread_processes: &unread,
        called: &called,
        profiles: &profiles,
        outbound: &outbound,
        vars: &settings.vars,
    };
    let mut routes = RouteTable::default();
    let mut calls = Vec::new();
    let mut followed_calls = Vec::new();
    let mut processes = Vec::new();

    for (index, file) in loaded.processes.iter().enumerate() {
        let id = ProcessId::from_index(index);
        let source = &file.source;
        let raw = &file.raw;
        let listen = raw
            .listen
            .as_ref()
            .map(|listen| compile_listen(listen, source, &profiles, &mut diagnostics));
        if let (Some(listen), Some(raw_listen)) = (&listen, &raw.listen) {
            add_routes(
                &mut routes,
                id,
                listen,
                raw_listen,
                source,
                &names,
                &loaded.processes,
                &mut diagnostics,
            );
        }
        let access = match &raw.access {
            Some(access) => access::compile_access(
                access,
                &default_access,
                &access_context,
                !file.left_out.lacks("access"),
                source,
                &mut diagnostics,
            ),
            None => default_access.clone(),
        };
        // Public only by a default that stands in for a value written wrong:
        // that value's error says enough.
        let public_by_gap = file.left_out.lacks("access") || !access_context.settings_whole;
        if let (Some(raw_listen), Some(exposed)) = (&raw.listen, exposed.first())
            && access.auth.none
            && !public_by_gap
        {
            let span = raw.access.as_ref().map_or(raw_listen.span, |a| a.span);
            diagnostics.push(
                source
                    .warning(
                        span,
                        format!(
                            "process `{}` is public (`auth` has `none`) on {exposed}, which other machines can reach",
                            names[index].0
                        ),
                    )
                    .with_hint("require credentials, or listen on 127.0.0.1 behind a proxy that checks them"),
            );
        }
        let mut compiler = steps::StepCompiler::new(
            source,
            &mut templates,
            &mut diagnostics,
            &root_names,
            &names[index].0,
            listen.as_ref(),
        );
        let pipeline = compiler.pipeline(raw.steps.as_ref(), "steps");
        let reads_documents = compiler.reads_documents();
        let (process_calls, process_followed_calls) = compiler.into_calls();
        let mut listen = listen;
        if let Some(listen) = &mut listen {
            listen.returns = StepKind::any_return(&pipeline);
        }
        calls.push(process_calls);
        followed_calls.push(process_followed_calls);
        processes.push(Process {
            name: names[index].0.clone(),
            file: source.path.clone(),
            description: raw.description.clone(),
            listen,
            access,
            mode: raw.mode.as_ref().map(|m| m.value).unwrap_or(Mode::General),
            steps: pipeline,
            reads_documents,
        });
    }
    mark_callers_that_read_documents(&mut processes, &calls);

    report_call_cycles(&calls, &names, &loaded.processes, &mut diagnostics);
    report_deep_nesting(
        &processes,
        &calls,
        &names,
        &loaded.processes,
        &mut diagnostics,
    );
    report_calls_that_end_paths(
        &processes,
        &followed_calls,
        &names,
        &loaded.processes,
        &mut diagnostics,
    );
    report_wsdl_conflicts(
        &settings.soap_namespace,
        &processes,
        &loaded.processes,
        &mut diagnostics,
    );
    access::check_user_processes(
        raw_settings,
        names
            .iter()
            .map(|(name, _)| &**name)
            .chain(unread.iter().map(String::as_str)),
        settings_source.map(Arc::as_ref),
        &mut diagnostics,
    );
    let test_context = test_plan::TestContext {
        root: &loaded.root,
        routes: &routes,
        outbound: &outbound,
        users: &users,
    };
    let mut tests = TestPlan::default();
    let mut named_files: Vec<String> = loaded
        .named_files
        .iter()
        .map(|file| file.written.clone())
        .collect();
    for (index, file) in loaded.processes.iter().enumerate() {
        // Tests are checked against the listen block, which would be judged
        // by a gap where a value was written wrong.
        if let Some(node) = &file.raw.tests
            && !file.left_out.lacks("listen")
        {
            let process = test_plan::TestedProcess {
                id: ProcessId::from_index(index),
                name: &names[index].0,
                listen: processes[index].listen.as_ref(),
            };
            tests.tests.extend(test_plan::compile_tests(
                node,
                &process,
                &test_context,
                &file.source,
                &mut diagnostics,
                &mut named_files,
            ));
        }
    }

    let templates = match templates.build() {
        Ok(templates) => Some(templates),
        Err(err) => {
            diagnostics.push(Diagnostic::error(format!(
                "templates failed to build: {}",
                err.message
            )));
            None
        }
    };
    diagnostics.sort();
    let snapshot = match templates {
        Some(templates) if !diagnostics.has_errors() => Some(Snapshot {
            meta: crate::snapshot::Meta {
                generation: 0,
                loaded_at: std::time::SystemTime::now(),
                commit: loaded.commit,
                files: loaded.files,
                named_files: named_files.clone(),
            },
            process_metrics: Vec::new(),
            profiles,
            settings,
            processes,
            routes,
            templates,
            users,
        }),
        _ => None,
    };
    if snapshot.is_none() {
        tests = TestPlan::default();
    }
    Compilation {
        snapshot,
        diagnostics,
        tests,
        named_files,
    }
}

/// What `http` steps call with: the named upstreams, and the one client
/// shared by every step with a full `url` (built when the first is compiled).
pub(crate) struct Outbound {
    upstreams: HashMap<String, Arc<crate::outbound::Upstream>>,
    /// Upstreams flowgate.toml declares that did not compile (their own
    /// errors say why; a step naming one is not a second mistake).
    broken: HashSet<String>,
    direct: std::cell::OnceCell<Result<crate::outbound::Client, String>>,
}

impl Outbound {
    /// The compiled upstreams, of all those `declared`.
    fn new(
        upstreams: HashMap<String, Arc<crate::outbound::Upstream>>,
        declared: impl Iterator<Item = String>,
    ) -> Outbound {
        let broken = declared
            .filter(|name| !upstreams.contains_key(name))
            .collect();
        Outbound {
            upstreams,
            broken,
            direct: std::cell::OnceCell::new(),
        }
    }

    pub(crate) fn upstream(&self, name: &str) -> Option<&Arc<crate::outbound::Upstream>> {
        self.upstreams.get(name)
    }

    /// Whether `name` is declared in flowgate.toml but did not compile.
    pub(crate) fn is_broken(&self, name: &str) -> bool {
        self.broken.contains(name)
    }

    /// Every upstream flowgate.toml declares, compiled or not.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.upstreams
            .keys()
            .chain(&self.broken)
            .map(String::as_str)
    }

    /// The client for full URLs, or why it cannot be built.
    pub(crate) fn direct(&self) -> Result<&crate::outbound::Client, &str> {
        self.direct
            .get_or_init(|| {
                let config = tls::system_client_config().map_err(|e| e.to_string())?;
                Ok(crate::outbound::Client::new(config))
            })
            .as_ref()
            .map_err(String::as_str)
    }
}

/// Each process's name (`name:` or the file stem) and where it was set.
fn process_names(files: &[ProcessFile], diagnostics: &mut Diagnostics) -> Vec<(Arc<str>, Span)> {
    let mut names: Vec<(Arc<str>, Span)> = Vec::with_capacity(files.len());
    let mut first: HashMap<String, usize> = HashMap::new();
    for (index, file) in files.iter().enumerate() {
        let (name, span) = match &file.raw.name {
            Some(name) => (name.value.clone(), name.span),
            None => (file_stem(&file.source.path), Span::default()),
        };
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            diagnostics.push(
                file.source
                    .error(span, format!("`{name}` is not a valid process name"))
                    .with_hint("use letters, digits, `_`, `-` and `.`"),
            );
        }
        match first.get(&name) {
            // A `name:` written wrong leaves the file name in its place: a
            // clash of that stand-in is no mistake of its own.
            Some(&earlier)
                if file.left_out.lacks("name") || files[earlier].left_out.lacks("name") => {}
            Some(&earlier) => {
                let other = &files[earlier].source;
                diagnostics.push(
                    file.source
                        .error(span, format!("two processes are named `{name}`"))
                        .with_note(format!(
                            "the other one is {}",
                            other.locate(names[earlier].1)
                        ))
                        .with_hint("give one of them another `name:` (or rename its file)"),
                );
            }
            None => {
                first.insert(name.clone(), index);
            }
        }
        names.push((name.into(), span));
    }
    names
}

fn file_stem(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.rsplit_once('.')
        .map(|(stem, _)| stem)
        .unwrap_or(file)
        .to_owned()
}

fn compile_settings(
    raw: &RawSettings,
    source: Option<&SourceFile>,
    diagnostics: &mut Diagnostics,
) -> Settings {
    let mut error = |span: Span, message: String| {
        if let Some(source) = source {
            diagnostics.push(source.error(span, message));
        }
    };
    let listen = parse_listen(&raw.server.listen, "127.0.0.1:9090", &mut error);
    let admin_default = Spanned::new(Span::default(), "127.0.0.1:9091".to_owned());
    let admin_listen = parse_listen(
        raw.admin.listen.as_ref().unwrap_or(&admin_default),
        "127.0.0.1:9091",
        &mut error,
    );
    if let (Some(listen), Some(admin)) = (listen, admin_listen)
        && listeners_clash(listen, admin)
    {
        let span = raw
            .admin
            .listen
            .as_ref()
            .map(|l| l.span)
            .unwrap_or(raw.server.listen.span);
        error(
            span,
            "the admin listener cannot share the public listener's address".to_owned(),
        );
    }
    let admin_hosts = raw
        .admin
        .hosts
        .iter()
        .filter_map(|host| {
            let name = host.value.trim().to_ascii_lowercase();
            let valid = !name.is_empty()
                && name.split('.').all(|label| {
                    !label.is_empty()
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !valid {
                error(
                    host.span,
                    format!(
                        "`{}` is not a host name: letters, digits, `-` and dots, without a port",
                        host.value
                    ),
                );
            }
            valid.then_some(name)
        })
        .collect();
    let reload = ReloadSettings {
        debounce: raw
            .reload
            .debounce
            .as_ref()
            .map(|d| d.value.0)
            .unwrap_or(DEFAULT_DEBOUNCE),
        poll: raw.reload.poll.as_ref().map(|p| p.value.0),
    };
    if let Some(poll) = &raw.reload.poll
        && poll.value.0 < std::time::Duration::from_millis(100)
    {
        error(poll.span, "`poll` must be at least 100ms".to_owned());
    }
    if let Some(debounce) = &raw.reload.debounce
        && (debounce.value.0 < std::time::Duration::from_millis(10)
            || debounce.value.0 > std::time::Duration::from_secs(60))
    {
        error(
            debounce.span,
            "`debounce` must be from 10ms to 60s".to_owned(),
        );
    }
    let mut trusted_proxies = Vec::new();
    for proxy in &raw.server.trusted_proxies {
        match net::parse_network(&proxy.value) {
            Ok(net) => trusted_proxies.push(net),
            Err(message) => error(proxy.span, message),
        }
    }
    let limits = &raw.limits;
    if limits.max_body.value.0 == 0 {
        error(
            limits.max_body.span,
            "`max_body` must be more than 0".to_owned(),
        );
    }
    // hyper cannot buffer less than 8 KiB of request head.
    if limits.max_header_bytes.value.0 < 8 * 1024 {
        error(
            limits.max_header_bytes.span,
            "`max_header_bytes` must be at least 8KiB".to_owned(),
        );
    }
    // A zero would answer every request 504, and drop every connection
    // before its first request.
    for (timeout, name) in [
        (&limits.header_read_timeout, "header_read_timeout"),
        (&limits.request_timeout, "request_timeout"),
    ] {
        if timeout.value.0.is_zero() {
            error(timeout.span, format!("`{name}` must be more than 0"));
        }
    }

    let base_url = raw.server.base_url.as_ref().and_then(|url| {
        crate::contract::parse_base_url(&url.value)
            .map_err(|message| error(url.span, message))
            .ok()
            .flatten()
    });
    let soap_namespace = match &raw.soap.namespace {
        Some(namespace) => {
            let value = namespace.value.trim();
            if !is_namespace_uri(value) {
                error(
                    namespace.span,
                    format!(
                        "`{value}` is not a namespace URI: write one like `urn:example:ws` or `http://example.com/ws`"
                    ),
                );
            }
            value.to_owned()
        }
        None => DEFAULT_SOAP_NAMESPACE.to_owned(),
    };
    let executions = compile_executions(raw.executions.as_ref(), &mut error);

    let vars = match (&raw.vars, source) {
        (Some(node), Some(source)) => {
            if node.as_map().is_none() {
                diagnostics.push(source.error(node.span, "`[vars]` must be a table"));
            }
            node_to_value(node)
        }
        _ => crate::doc::empty_map(),
    };

    Settings {
        listen,
        admin_listen,
        admin_hosts,
        // Read from its files by `tls::compile_https`.
        https: None,
        reload,
        limits: Limits {
            max_body: limits.max_body.value.0,
            max_header_bytes: usize::try_from(limits.max_header_bytes.value.0)
                .unwrap_or(usize::MAX),
            header_read_timeout: limits.header_read_timeout.value.0,
            request_timeout: limits.request_timeout.value.0,
            max_concurrency: limits.max_concurrency.value.0 as usize,
            parse: ParseLimits {
                max_json_depth: limits.max_json_depth.value.0 as usize,
                max_xml_depth: limits.max_xml_depth.value.0 as usize,
            },
        },
        trusted_proxies: Networks::new(trusted_proxies),
        base_url,
        soap_namespace,
        vars,
        executions: Arc::new(executions),
    }
}

/// The most a recorded body may keep (`[executions] max_document_bytes`).
const MAX_RECORDED_DOCUMENT: u64 = 16 << 20;

/// `[executions]`: the store must stay inside the root (SPEC §1), and the
/// bounds must leave something to keep.
fn compile_executions(
    raw: Option<&Spanned<RawExecutions>>,
    error: &mut impl FnMut(Span, String),
) -> ExecutionSettings {
    let mut settings = ExecutionSettings::default();
    let Some(raw) = raw.map(|raw| &raw.value) else {
        return settings;
    };
    if let Some(path) = &raw.path {
        match store_path(&path.value) {
            Ok(resolved) => settings.path = resolved,
            Err(message) => error(path.span, message),
        }
    }
    if let Some(retention) = &raw.retention {
        if retention.value.0.is_zero() {
            error(retention.span, "`retention` must be more than 0".to_owned());
        }
        settings.retention = retention.value.0;
    }
    if let Some(max) = &raw.max_records {
        settings.max_records = max.value.0;
    }
    if let Some(size) = &raw.max_document_bytes {
        if size.value.0 > MAX_RECORDED_DOCUMENT {
            error(
                size.span,
                format!(
                    "`max_document_bytes` must be at most {}",
                    crate::units::ByteSize(MAX_RECORDED_DOCUMENT)
                ),
            );
        }
        settings.max_document_bytes = usize::try_from(size.value.0).unwrap_or(usize::MAX);
    }
    for name in &raw.redact {
        let word = name.value.trim().to_ascii_lowercase();
        if word.is_empty() {
            error(name.span, "a `redact` name cannot be empty".to_owned());
        } else {
            settings.redact.push(word);
        }
    }
    settings
}

/// `[executions] path`: a file path relative to the root that stays inside it.
fn store_path(text: &str) -> Result<std::path::PathBuf, String> {
    use std::path::{Component, PathBuf};
    let text = text.trim();
    if text.is_empty() || text.ends_with('/') {
        return Err(format!(
            "`{text}` is not a file path: write one like `{}`",
            ExecutionSettings::DEFAULT_PATH
        ));
    }
    let path = PathBuf::from(text);
    // The path as the names it ends at, `..` taken off.
    let mut resolved = PathBuf::new();
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::Normal(name) => {
                depth += 1;
                resolved.push(name);
            }
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => {
                depth -= 1;
                resolved.pop();
            }
            _ => {
                return Err(format!(
                    "`{text}` leaves the config root: the store's path is relative to the root and stays inside it, like `{}`",
                    ExecutionSettings::DEFAULT_PATH
                ));
            }
        }
    }
    if depth == 0 {
        return Err(format!("`{text}` is not a file path inside the root"));
    }
    // The store is a database: where the loader reads config, the next
    // load would take it for a process file, a profile or the settings,
    // and where it walks folders, it is one.
    if crate::config::RootPath::of(&resolved) != crate::config::RootPath::Other {
        return Err(format!(
            "`{text}` is where flowgate reads its config from: the store is a database file; put it outside `processes/` and `profiles/`, like `{}`",
            ExecutionSettings::DEFAULT_PATH
        ));
    }
    Ok(path)
}

/// `[soap] namespace` when it is not set.
pub const DEFAULT_SOAP_NAMESPACE: &str = "urn:flowgate:ws";

/// A URI as XML namespaces take them: a scheme, a colon, and no spaces.
fn is_namespace_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    !rest.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !text.chars().any(|c| {
            // What RFC 3986 never allows in a URI, even percent-encoded text.
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}')
        })
}

/// `[reload] debounce` when not given.
pub const DEFAULT_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(200);

/// Whether two listeners would take one socket: the same port (not 0,
/// which asks the system for a free one each time) on the same address, or
/// on any address when one of them listens on all (`0.0.0.0`, `[::]`).
pub(crate) fn listeners_clash(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() != 0
        && a.port() == b.port()
        && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

/// A listen address, or `None` for `""` (disabled).
fn parse_listen(
    value: &Spanned<String>,
    example: &str,
    error: &mut impl FnMut(Span, String),
) -> Option<SocketAddr> {
    match value.value.trim() {
        "" => None,
        text => match SocketAddr::from_str(text) {
            Ok(addr) => Some(addr),
            Err(_) => {
                error(
                    value.span,
                    format!(
                        "`{text}` is not a listen address: write an IP address and a port, like `{example}` (host names are not looked up)"
                    ),
                );
                None
            }
        },
    }
}

/// The listen block as far as it is right. A mistake in it is reported
/// (and fails the compile) but leaves the rest of the block in place, so
/// that what depends on it, such as the routes and the tests' requests, is
/// not reported again as if the process had no `listen` at all.
fn compile_listen(
    raw: &Spanned<RawListen>,
    source: &SourceFile,
    profiles: &Profiles,
    diagnostics: &mut Diagnostics,
) -> Listen {
    let mut error = |span: Span, message: String| {
        diagnostics.push(source.error(span, message));
    };
    let object = raw.object.value.trim();
    if object.is_empty()
        || !object
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        error(
            raw.object.span,
            format!("`{object}` is not a valid object name: use letters, digits and `_`"),
        );
    }
    let input = raw.input.as_ref().map(|s| s.value).unwrap_or(DocType::None);
    let output = raw
        .output
        .as_ref()
        .map(|s| s.value)
        .unwrap_or(DocType::None);

    let request_profile = raw.request_profile.as_ref().and_then(|name| {
        resolve_profile(
            name,
            "request_profile",
            "input",
            input,
            profiles,
            &mut error,
        )
    });
    let response_profile = raw.response_profile.as_ref().and_then(|name| {
        resolve_profile(
            name,
            "response_profile",
            "output",
            output,
            profiles,
            &mut error,
        )
    });
    let page_size = match &raw.page_size {
        Some(size) if !output.is_list() => {
            error(
                size.span,
                format!(
                    "`page_size` pages list outputs; this process's output is `{}`",
                    output.as_str()
                ),
            );
            None
        }
        Some(size) => Some(size.value.0 as usize),
        None => None,
    };
    let soap = raw.soap.as_ref().is_some_and(|soap| soap.value);
    if let Some(span) = raw.soap.as_ref().filter(|soap| soap.value).map(|s| s.span) {
        // Whether the profile is written, not whether it resolved: one
        // that does not is reported at its name already.
        for (side, doc_type, profile, key) in [
            ("input", input, &raw.request_profile, "request_profile"),
            ("output", output, &raw.response_profile, "response_profile"),
        ] {
            if !matches!(doc_type, DocType::None | DocType::Xml | DocType::XmlList) {
                error(
                    span,
                    format!(
                        "a SOAP operation carries XML, but this process's {side} is `{}`",
                        doc_type.as_str()
                    ),
                );
            } else if doc_type != DocType::None && profile.is_none() {
                error(
                    span,
                    format!(
                        "a SOAP operation with {side} `{}` needs a `{key}`: the WSDL describes its body by the profile",
                        doc_type.as_str()
                    ),
                );
            }
        }
    }
    let content_type = match &raw.content_type {
        Some(ct) if output != DocType::Data => {
            error(
                ct.span,
                format!(
                    "`content_type` applies to `output: data` only; this process's output is `{}`",
                    output.as_str()
                ),
            );
            None
        }
        Some(ct) => match values::content_type(&ct.value) {
            Ok(value) => Some(value.to_owned()),
            Err(message) => {
                error(ct.span, message);
                None
            }
        },
        None => None,
    };

    let rest = match &raw.rest {
        Some(rest) => match parse_rest(&rest.value) {
            Ok(route) => {
                if input != DocType::None
                    && (route.method == Method::GET || route.method == Method::DELETE)
                {
                    error(
                        rest.span,
                        format!(
                            "a {} request carries no body, but this process's input is `{}`",
                            route.method,
                            input.as_str()
                        ),
                    );
                }
                Some(route)
            }
            Err(message) => {
                error(rest.span, message);
                None
            }
        },
        None => None,
    };

    Listen {
        operation: raw.operation.value,
        object: object.to_owned(),
        simple_path: format!("{}{object}", raw.operation.value.as_str()),
        rest,
        soap,
        input,
        output,
        content_type,
        request_profile,
        response_profile,
        page_size,
        // Known once the steps are compiled.
        returns: false,
    }
}

/// The profile `name` for a listen block's `input` or `output`; an XML type needs an XSD and a JSON type a JSON Schema.
fn resolve_profile(
    name: &Spanned<String>,
    key: &str,
    side: &str,
    doc_type: DocType,
    profiles: &Profiles,
    error: &mut impl FnMut(Span, String),
) -> Option<Profile> {
    let Some(profile) = profiles.get(&name.value) else {
        if profiles.is_broken(&name.value) {
            return None;
        }
        let hint = de::did_you_mean(&name.value, profiles.names())
            .map(|best| format!(" (did you mean `{best}`?)"))
            .unwrap_or_default();
        error(
            name.span,
            format!("there is no profile `{}` in profiles/{hint}", name.value),
        );
        return None;
    };
    let fits = match profile.schema() {
        Schema::Xml(_) => doc_type.is_xml(),
        Schema::Json(_) => doc_type.is_json(),
    };
    if !fits {
        let kind = match profile.schema() {
            Schema::Xml(_) => "an XML profile (XSD)",
            Schema::Json(_) => "a JSON profile (JSON Schema)",
        };
        error(
            name.span,
            format!(
                "`{key}` `{}` is {kind}, but the {side} is `{}`",
                name.value,
                doc_type.as_str()
            ),
        );
        return None;
    }
    Some(profile.clone())
}

/// Every profile of the root, by name; clashing names are errors.
fn compile_profiles(files: &[ProfileFile], diagnostics: &mut Diagnostics) -> Profiles {
    let mut profiles = Profiles::default();
    let mut seen: HashMap<String, &ProfileFile> = HashMap::new();
    for file in files {
        if let Some(first) = seen.get(&file.name) {
            diagnostics.push(
                file.source
                    .error(
                        Span::point(0),
                        format!("two profiles are named `{}`", file.name),
                    )
                    .with_note(format!("the other one is {}", first.source.path)),
            );
            continue;
        }
        seen.insert(file.name.clone(), file);
    }
    let xsd: Vec<Arc<SourceFile>> = files
        .iter()
        .filter(|f| f.kind == ProfileKind::Xsd)
        .map(|f| f.source.clone())
        .collect();
    let (xml_profiles, xsd_diagnostics) = crate::profile::xsd::compile(&xsd);
    diagnostics.extend(xsd_diagnostics);
    for (name, profile) in xml_profiles {
        profiles.insert(Profile::new(&name, Schema::Xml(profile)));
    }
    for file in files.iter().filter(|f| f.kind == ProfileKind::JsonSchema) {
        if let Some(profile) = JsonProfile::compile(&file.source, diagnostics) {
            profiles.insert(Profile::new(&file.name, Schema::Json(profile)));
        }
    }
    for file in files {
        profiles.mark_broken(&file.name);
    }
    profiles
}

/// `POST /orders/{region}` into a method and a pattern.
fn parse_rest(text: &str) -> Result<RestRoute, String> {
    let mut parts = text.split_whitespace();
    let (Some(method), Some(pattern), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!(
            "`{text}` is not a REST route: write a method and a path, like `POST /orders/{{region}}`"
        ));
    };
    let method = match method.to_ascii_uppercase().as_str() {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "PATCH" => Method::PATCH,
        "DELETE" => Method::DELETE,
        _ => {
            return Err(format!(
                "`{method}` is not a method a REST route can use: GET, POST, PUT, PATCH or DELETE"
            ));
        }
    };
    let pattern = pattern
        .strip_prefix("/ws/rest")
        .unwrap_or(pattern)
        .to_owned();
    if method == Method::GET && pattern.trim_end_matches('/') == "/openapi.json" {
        return Err(format!(
            "`GET /ws/rest/openapi.json` is where flowgate serves the OpenAPI document; choose another path than `{pattern}`"
        ));
    }
    Ok(RestRoute { method, pattern })
}

#[allow(clippy::too_many_arguments)]
fn add_routes(
    routes: &mut RouteTable,
    id: ProcessId,
    listen: &Listen,
    raw: &Spanned<RawListen>,
    source: &SourceFile,
    names: &[(Arc<str>, Span)],
    files: &[ProcessFile],
    diagnostics: &mut Diagnostics,
) {
    // The note points at what claims the URL in the other file: its
    // `object` for a simple URL, its `rest` value for a REST route.
    let clash = |other: ProcessId, url: String, span: Span, by_rest: bool| {
        let other_file = &files[other.index()].source;
        let other_site = files[other.index()]
            .raw
            .listen
            .as_ref()
            .and_then(|l| match (by_rest, &l.rest) {
                (true, Some(rest)) => Some(rest.span),
                (true, None) => None,
                (false, _) => Some(l.object.span),
            })
            .map(|span| other_file.locate(span).to_string())
            .unwrap_or_else(|| other_file.path.clone());
        source
            .error(
                span,
                format!("`{url}` is already served by process `{}`", names[other.index()].0),
            )
            .with_note(format!("`{}` claims it at {other_site}", names[other.index()].0))
            .with_hint("two processes cannot serve one URL; change `operation`, `object` or `rest` of one of them")
    };
    if let Err(other) = routes.add_simple(&listen.simple_path, id) {
        diagnostics.push(clash(other, listen.simple_url(), raw.object.span, false));
    }
    if let (Some(rest), Some(raw_rest)) = (&listen.rest, &raw.rest) {
        match routes.add_rest(rest.method.clone(), &rest.pattern, id) {
            Ok(()) => {}
            Err(PatternError::Taken(other)) => {
                diagnostics.push(clash(other, rest.url(), raw_rest.span, true));
            }
            Err(PatternError::Invalid(message)) => {
                diagnostics.push(source.error(raw_rest.span, message))
            }
        }
    }
}

/// A process that calls itself, directly or not, could never finish.
fn report_call_cycles(
    calls: &[Vec<(ProcessId, Span)>],
    names: &[(Arc<str>, Span)],
    files: &[ProcessFile],
    diagnostics: &mut Diagnostics,
) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    fn visit(
        at: usize,
        calls: &[Vec<(ProcessId, Span)>],
        marks: &mut [Mark],
        stack: &mut Vec<usize>,
        found: &mut Vec<(usize, Span, Vec<usize>)>,
    ) {
        marks[at] = Mark::Active;
        stack.push(at);
        for &(callee, span) in calls.get(at).into_iter().flatten() {
            let callee = callee.index();
            match marks.get(callee) {
                Some(Mark::New) => visit(callee, calls, marks, stack, found),
                Some(Mark::Active) => {
                    let start = stack.iter().position(|&p| p == callee).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(callee);
                    found.push((at, span, cycle));
                }
                _ => {}
            }
        }
        stack.pop();
        marks[at] = Mark::Done;
    }

    let mut marks = vec![Mark::New; calls.len()];
    let mut found = Vec::new();
    for start in 0..calls.len() {
        if marks[start] == Mark::New {
            visit(start, calls, &mut marks, &mut Vec::new(), &mut found);
        }
    }
    for (caller, span, cycle) in found {
        let path = cycle
            .iter()
            .map(|&p| format!("`{}`", names[p].0))
            .collect::<Vec<_>>()
            .join(" → ");
        diagnostics.push(
            files[caller]
                .source
                .error(span, format!("this call makes a cycle: {path}"))
                .with_hint("a process cannot call itself, directly or through others"),
        );
    }
}

/// A `call` continues with what the called process returns: one that has
/// no `return` anywhere gives no documents, so the steps after the call
/// never run (a warning at the call, as for a step after `return`).
fn report_calls_that_end_paths(
    processes: &[Process],
    followed_calls: &[Vec<(ProcessId, Span)>],
    names: &[(Arc<str>, Span)],
    files: &[ProcessFile],
    diagnostics: &mut Diagnostics,
) {
    let returning: Vec<bool> = processes
        .iter()
        .map(|p| StepKind::any_return(&p.steps))
        .collect();
    for (caller, sites) in followed_calls.iter().enumerate() {
        for &(callee, span) in sites {
            if returning.get(callee.index()) == Some(&false) {
                diagnostics.push(files[caller].source.warning(
                    span,
                    format!(
                        "the steps after this call never run: `{}` has no `return`, so the call gives no documents",
                        names[callee.index()].0
                    ),
                ));
            }
        }
    }
}

/// A process that calls one that reads its documents reads them too: the
/// callee gets the caller's documents. Repeated until nothing changes, so
/// chains of calls (and cycles, which are errors of their own) are covered.
fn mark_callers_that_read_documents(processes: &mut [Process], calls: &[Vec<(ProcessId, Span)>]) {
    loop {
        let mut changed = false;
        for (caller, sites) in calls.iter().enumerate() {
            let reads = sites.iter().any(|(callee, _)| {
                processes
                    .get(callee.index())
                    .is_some_and(|p| p.reads_documents)
            });
            if let Some(process) = processes.get_mut(caller)
                && reads
                && !process.reads_documents
            {
                process.reads_documents = true;
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

/// How deep steps may nest, counting each step that holds steps (`try`,
/// `decision`, `route`, `branch`) and each `call` as a level. A request
/// runs nested steps on its worker's stack: far deeper nesting (hundreds of
/// levels) would overflow it and stop the whole server.
pub const MAX_NESTING: usize = 32;

/// Processes whose steps, through the processes they call, nest more than
/// [`MAX_NESTING`] levels deep: an error at the call where the limit is
/// crossed (not again at every process that leads there).
fn report_deep_nesting(
    processes: &[Process],
    calls: &[Vec<(ProcessId, Span)>],
    names: &[(Arc<str>, Span)],
    files: &[ProcessFile],
    diagnostics: &mut Diagnostics,
) {
    /// Levels of `steps`, given the levels of every process it calls.
    fn levels(steps: &[Step], called: &[Option<usize>]) -> usize {
        steps
            .iter()
            .map(|step| match &step.kind {
                StepKind::Call(callee) => 1 + called[callee.index()].unwrap_or(0),
                kind => {
                    1 + kind
                        .pipelines()
                        .into_iter()
                        .map(|inner| levels(inner, called))
                        .max()
                        .unwrap_or(0)
                }
            })
            .max()
            .unwrap_or(0)
    }
    // Callees before callers (calls cannot cycle: `report_call_cycles`
    // reported any, and their processes are left out here).
    let mut depth: Vec<Option<usize>> = vec![None; processes.len()];
    let mut waiting: Vec<usize> = calls.iter().map(Vec::len).collect();
    let mut callers: Vec<Vec<usize>> = vec![Vec::new(); processes.len()];
    for (caller, sites) in calls.iter().enumerate() {
        for (callee, _) in sites {
            if let Some(list) = callers.get_mut(callee.index()) {
                list.push(caller);
            }
        }
    }
    let mut ready: Vec<usize> = (0..processes.len()).filter(|&p| waiting[p] == 0).collect();
    while let Some(process) = ready.pop() {
        let own = levels(&processes[process].steps, &depth);
        depth[process] = Some(own);
        let callees_fit = calls[process]
            .iter()
            .all(|(callee, _)| depth[callee.index()].is_some_and(|d| d <= MAX_NESTING));
        if own > MAX_NESTING && callees_fit {
            let deepest = calls[process]
                .iter()
                .max_by_key(|(callee, _)| depth[callee.index()]);
            if let Some(&(callee, span)) = deepest {
                diagnostics.push(
                    files[process]
                        .source
                        .error(
                            span,
                            format!(
                                "steps nest {own} levels deep through this call of `{}`: more than {MAX_NESTING}",
                                names[callee.index()].0
                            ),
                        )
                        .with_hint(
                            "each `call`, `try`, `decision`, `route` and `branch` is a level; \
                             call fewer processes in a chain, or nest fewer steps",
                        ),
                );
            }
        }
        for &caller in &callers[process] {
            waiting[caller] -= 1;
            if waiting[caller] == 0 {
                ready.push(caller);
            }
        }
    }
}

/// The SOAP operations share one WSDL, which cannot hold two different
/// declarations under one name: each conflict is an error at the later
/// process's `soap: true`.
fn report_wsdl_conflicts(
    soap_namespace: &str,
    processes: &[Process],
    files: &[ProcessFile],
    diagnostics: &mut Diagnostics,
) {
    for conflict in crate::contract::wsdl::conflicts(soap_namespace, processes) {
        let Some(file) = files.get(conflict.process.index()) else {
            continue;
        };
        let span = file
            .raw
            .listen
            .as_ref()
            .and_then(|listen| listen.soap.as_ref())
            .map_or(Span::point(0), |soap| soap.span);
        let mut diagnostic = file.source.error(span, conflict.message);
        if let Some(other) = conflict
            .other
            .and_then(|other| processes.get(other.index()))
        {
            diagnostic = diagnostic.with_note(format!(
                "the other comes with process `{}` ({})",
                other.name, other.file
            ));
        }
        diagnostics.push(diagnostic);
    }
}

/// A decode error inside a file, as a diagnostic.
pub(crate) fn decode_error(source: &SourceFile, err: &de::DeError) -> Diagnostic {
    config::de_diagnostic(source, err)
}

/// Content type of documents a process builds unless a step says otherwise.
pub(crate) fn default_media(listen: Option<&Listen>) -> ContentType {
    match listen.map(|l| l.output) {
        Some(DocType::Json | DocType::JsonList) => MediaType::Json.into(),
        Some(DocType::Xml | DocType::XmlList) => MediaType::Xml.into(),
        Some(DocType::Data) => ContentType::parse(
            listen
                .and_then(|l| l.content_type.as_deref())
                .unwrap_or("text/plain"),
        ),
        _ => MediaType::Other("text/plain".into()).into(),
    }
}

/// The process names `call` steps under `steps` name.
fn called_names(steps: &Node) -> Vec<String> {
    let mut names = Vec::new();
    let mut stack = vec![steps];
    while let Some(node) = stack.pop() {
        match &node.kind {
            NodeKind::Seq(items) => stack.extend(items),
            NodeKind::Map(entries) => {
                for (key, value) in entries {
                    if key.name == "call"
                        && let Some(name) = value.as_str()
                    {
                        names.push(name.to_owned());
                    }
                    stack.push(value);
                }
            }
            _ => {}
        }
    }
    names
}

/// Compiles a root made of the given files, for tests. The PEM files of
/// `[server.https]` are given the same way, e.g. `("certs/server.pem", &pem)`:
/// they are read with the root like in a real one. A root given no process
/// gets one that does nothing, so that it has something to serve.
#[cfg(test)]
pub(crate) fn compile_files(files: &[(&str, &str)]) -> Compilation {
    const IDLE: (&str, &str) = ("processes/idle.yaml", "steps:\n  - return: {}\n");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let idle = (!files.iter().any(|(path, _)| path.starts_with("processes/"))).then_some(&IDLE);
    let files = files.iter().chain(idle);
    for (path, text) in files {
        let path = dir.path().join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("a folder for the file");
        }
        std::fs::write(path, text).expect("a written file");
    }
    compile_root(dir.path())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn messages(compilation: &Compilation) -> Vec<String> {
        compilation
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect()
    }

    /// `file:line:col message` of each diagnostic.
    fn located(compilation: &Compilation) -> Vec<String> {
        compilation
            .diagnostics
            .iter()
            .map(|d| match &d.location {
                Some(location) => format!("{location} {}", d.message),
                None => d.message.clone(),
            })
            .collect()
    }

    /// A process taking documents of `view::tests::ORDER_XSD`.
    const ORDER_LISTEN: &str = "listen: { operation: create, object: Order, input: xml, output: xml, request_profile: order }\n";

    /// The diagnostics of that process with `steps` (each line `  - …\n`).
    fn compile_order_steps(steps: &str) -> Vec<String> {
        located(&compile_files(&[
            ("profiles/order.xsd", crate::profile::view::tests::ORDER_XSD),
            (
                "processes/p.yaml",
                &format!("{ORDER_LISTEN}steps:\n{steps}  - return: {{}}\n"),
            ),
        ]))
    }

    #[test]
    fn a_repeated_key_does_not_hide_the_files_other_mistakes() {
        let process = concat!(
            "description: one\n",
            "descripton: two\n",
            "description: three\n",
            "steps:\n",
            "  - mesage: hi\n",
        );
        let found = located(&compile_files(&[("processes/p.yaml", process)]));
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(
            found[0].starts_with("processes/p.yaml:2:1 unknown key `descripton`"),
            "{found:#?}"
        );
        assert_eq!(
            found[1],
            "processes/p.yaml:3:1 the key `description` appears twice in this map"
        );
        assert!(
            found[2].starts_with("processes/p.yaml:5:5 unknown step `mesage`"),
            "{found:#?}"
        );
    }

    #[test]
    fn a_steps_unknown_key_does_not_hide_its_other_mistakes() {
        let process = concat!(
            "listen: { operation: get, object: Thing, output: json }\n",
            "steps:\n",
            "  - map: { to: nothing, vlue: {}, value: {} }\n",
            "  - return: { stauts: 201, status: 99 }\n",
        );
        let found = located(&compile_files(&[("processes/p.yaml", process)]));
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(
            found[0].starts_with("processes/p.yaml:3:16 there is no profile `nothing`"),
            "{found:#?}"
        );
        assert!(
            found[1].starts_with("processes/p.yaml:3:25 unknown key `vlue`"),
            "{found:#?}"
        );
        assert!(
            found[2].starts_with("processes/p.yaml:4:15 unknown key `stauts`"),
            "{found:#?}"
        );
        assert!(
            found[3].starts_with("processes/p.yaml:4:36 `99` is not a status"),
            "{found:#?}"
        );
    }

    #[test]
    fn a_process_file_that_is_a_list_says_so() {
        let found = located(&compile_files(&[("processes/p.yaml", "- listen: {}\n")]));
        assert_eq!(
            found,
            [
                "processes/p.yaml:1:1 expected a process: a map with `listen`, `steps` and other keys, found a list"
            ]
        );
    }

    #[test]
    fn what_a_step_would_send_other_than_written_is_a_diagnostic() {
        let process = concat!(
            "listen: { operation: get, object: Thing, output: json }\n",
            "steps:\n",
            "  - set: { a: 1, f: [1, '{{ props.a }}'], h: { k: { l: '{% if 1 %}x{% endif %}' } } }\n",
            "  - message: '{\"n\": \"{% filter upper %}{{ props.a }}{% endfilter %}\"}'\n",
            "  - message: { template: '{% filter upper %}{{ props.a }}{% endfilter %}', content_type: text/plain }\n",
            "  - combine: { wrap: 'x y' }\n",
            "  - return: { headers: { x-execution-id: forged, X-Other: fine } }\n",
        );
        let found = located(&compile_files(&[("processes/p.yaml", process)]));
        assert_eq!(
            found,
            [
                "processes/p.yaml:3:25 a template inside a list or map is not rendered: the value is taken as written",
                "processes/p.yaml:3:56 a template inside a list or map is not rendered: the value is taken as written",
                "processes/p.yaml:4:25 a `{% filter %}` block reads the text after it is escaped for JSON, not the values written",
                "processes/p.yaml:6:22 `x y` is no XML element name, so only JSON documents can be combined with this `wrap`",
                "processes/p.yaml:7:26 `x-execution-id` cannot be set by a `return`: flowgate sets it to the execution's id on every response",
            ]
        );
    }

    #[test]
    fn paths_through_doc_are_held_against_the_profile_the_documents_have() {
        let xsd = crate::profile::view::tests::ORDER_XSD;
        let listen = ORDER_LISTEN;
        let compile = compile_order_steps;
        assert_eq!(
            compile(concat!(
                "  - set: { a: '{{ doc.Order.Idd }}' }\n",
                "  - decision: { if: \"doc.Order.Line.Sku == 'x'\", then: [ { log: '{{ doc.Order.Total.Amount }}' } ] }\n",
                "  - log: \"{{ doc.Order.Total['#text'] }} {{ doc.Order['@id'] }} {{ doc.Order.Line[0].Sku }}\"\n",
                "  - message: '<Other/>'\n",
                "  - log: '{{ doc.Other }}'\n",
            )),
            [
                "processes/p.yaml:3:29 `doc.Order.Idd` is always undefined in documents of profile `order`: `Order` has no `Idd`; every request that gets here fails",
                "processes/p.yaml:4:37 `doc.Order.Line.Sku` is always undefined in documents of profile `order`: `Line` may repeat, so its value is a list: take one (`[0]`) or loop over it",
                "processes/p.yaml:4:85 `doc.Order.Total.Amount` is always undefined in documents of profile `order`: `Total` has no `Amount`; every request that gets here fails",
            ]
        );
        // Where `doc` is another name, it is not judged.
        assert_eq!(
            compile(concat!(
                "  - log: '{% for doc in props.list %}{{ doc.Other }}{% endfor %}'\n",
                "  - map: { to: order, value: { Order: { Id: { $for: doc in props.list, $value: '{{ doc.Other }}' }, Total: 1, Line: { Sku: a } } } }\n",
            )),
            Vec::<String>::new()
        );
        // A process that a `call` names gets its caller's documents.
        let caller = "steps:\n  - call: p\n  - return: {}\n";
        let called = located(&compile_files(&[
            ("profiles/order.xsd", xsd),
            (
                "processes/p.yaml",
                &format!("{listen}steps:\n  - log: '{{{{ doc.Other }}}}'\n  - return: {{}}\n"),
            ),
            ("processes/caller.yaml", caller),
        ]));
        assert_eq!(called, Vec::<String>::new());
    }

    #[test]
    fn loop_names_over_lists_of_the_profile_are_held_against_their_items() {
        let compile = compile_order_steps;
        assert_eq!(
            compile(concat!(
                "  - log: '{% for line in doc.Order.Line %}{{ line.Sku }}{{ line.Skuu }}{% endfor %}'\n",
                "  - map: { to: order, value: { Order: { Id: x, Total: 1, Line: { $for: l in doc.Order.Line, Sku: '{{ l.Sku }}{{ l.Qty }}' } } } }\n",
                // What `$for` loops over is read outside it, even under its own name.
                "  - map: { to: order, value: { Order: { Id: x, Total: 1, Line: { $for: doc in doc.Order.Line, Sku: '{{ doc.Sk }}' } } } }\n",
            )),
            [
                "processes/p.yaml:3:65 `line.Skuu` is always undefined in documents of profile `order`: `Line` has no `Skuu`; every request that gets here fails",
                "processes/p.yaml:4:115 `l.Qty` is always undefined in documents of profile `order`: `Line` has no `Qty`; every request that gets here fails",
                "processes/p.yaml:5:108 `doc.Sk` is always undefined in documents of profile `order`: `Line` has no `Sk`; every request that gets here fails",
            ]
        );
        // `docs` is the batch: a list of documents of the profile.
        assert_eq!(
            compile(concat!(
                "  - log: \"{{ docs[0].Order.Id }} {{ docs[0].Order.Idd }}\"\n",
                "  - log: '{% for d in docs %}{{ d.Order.Line[0].Sku }}{{ d.Order.Idd }}{% endfor %}'\n",
                "  - log: \"{{ docs.Order | default('') }}\"\n",
                "  - log: '{% set docs = [1] %}{{ docs[0].Order }}'\n",
            )),
            [
                "processes/p.yaml:3:51 `docs[…].Order.Idd` is always undefined in documents of profile `order`: `Order` has no `Idd`; every request that gets here fails",
                "processes/p.yaml:4:66 `d.Order.Idd` is always undefined in documents of profile `order`: `Order` has no `Idd`; every request that gets here fails",
                "processes/p.yaml:5:19 `docs.Order` is always undefined in documents of profile `order`: `docs` is the list of documents: take one (`docs[0]`) or loop over it",
            ]
        );
        // Where the name may hold something else, it is not judged: a
        // filtered list, a name bound again, a name out of its loop.
        assert_eq!(
            compile(concat!(
                "  - log: '{% for line in doc.Order.Line | reverse %}{{ line.Other }}{% endfor %}'\n",
                "  - log: '{% for line in doc.Order.Line %}{% set line = doc.Order %}{{ line.Id }}{% endfor %}'\n",
                "  - log: '{% for line in doc.Order.Line %}{% endfor %}{{ line.Other | default(1) }}'\n",
                "  - log: '{% for k, v in doc.Order.Line %}{{ k.Other }}{% endfor %}'\n",
                "  - map: { to: order, value: { Order: { Id: x, Total: 1, Line: { $for: l in doc.Order.Line | reverse, Sku: '{{ l.Other }}' } } } }\n",
                "  - map: { to: order, value: { Order: { Id: x, Total: 1, Line: { $for: l in doc.Order.Line, Sku: \"{% set l = doc.Order %}{{ l.Id }}\" } } } }\n",
            )),
            Vec::<String>::new()
        );
    }

    #[test]
    fn request_params_are_held_against_the_process_urls() {
        let rest = "listen: { operation: get, object: Invoice, output: json, rest: 'GET /invoices/{region}' }\n";
        let simple = "listen: { operation: get, object: Report, output: json }\n";
        let steps = concat!(
            "steps:\n",
            "  - log: '{{ request.params.regoin }}'\n",
            "  - log: '{{ request.params.region }}'\n",
            "  - log: \"{{ request.params.region | default(request.query.region) }}\"\n",
            "  - return: {}\n",
        );
        let compilation = compile_files(&[
            ("processes/invoice.yaml", &format!("{rest}{steps}")),
            ("processes/report.yaml", &format!("{simple}{steps}")),
        ]);
        let told: Vec<String> = compilation
            .diagnostics
            .iter()
            .map(|d| {
                let severity = format!("{:?}", d.severity).to_lowercase();
                let location = d
                    .location
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                format!(
                    "{severity} {location} {} ({})",
                    d.message,
                    d.hint.clone().unwrap_or_default()
                )
            })
            .collect();
        assert_eq!(
            told,
            [
                "error processes/invoice.yaml:3:29 `request.params.regoin` is always undefined: no URL of this process has `{regoin}`: every request that gets here fails (did you mean `region`?)",
                "warning processes/invoice.yaml:4:29 on /ws/simple/getInvoice, which has no path parameters, `request.params.region` is undefined, so requests there fail (give it a fallback, as `request.params.region | default(request.query.region)`)",
                "error processes/report.yaml:3:29 `request.params.regoin` is always undefined: no URL of this process has `{regoin}`: every request that gets here fails (path parameters come from `{name}` segments of `rest`; the query string is `request.query`)",
                "error processes/report.yaml:4:29 `request.params.region` is always undefined: no URL of this process has `{region}`: every request that gets here fails (path parameters come from `{name}` segments of `rest`; the query string is `request.query`)",
                "warning processes/report.yaml:5:29 `request.params.region` is always undefined: no URL of this process has `{region}` (path parameters come from `{name}` segments of `rest`; the query string is `request.query`)",
            ]
        );
        // A called process sees its caller's request.
        let called = compile_files(&[
            ("processes/report.yaml", &format!("{simple}{steps}")),
            (
                "processes/caller.yaml",
                "steps:\n  - call: report\n  - return: {}\n",
            ),
        ]);
        assert_eq!(located(&called), Vec::<String>::new());
    }

    #[test]
    fn a_split_path_is_held_against_the_profile_the_documents_have_there() {
        let xsd = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Shipment"><xs:complexType><xs:sequence>
    <xs:element name="Parcel" maxOccurs="unbounded"><xs:complexType><xs:sequence>
      <xs:element name="Code" type="xs:string"/>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"#;
        let process = |steps: &str| {
            format!(
                "listen: {{ operation: query, object: Parcel, input: xml, output: xml-list, request_profile: shipment }}\nsteps:\n{steps}  - return: {{}}\n"
            )
        };
        let compile = |steps: &str| {
            located(&compile_files(&[
                ("profiles/shipment.xsd", xsd),
                ("processes/p.yaml", &process(steps)),
            ]))
        };
        assert_eq!(
            compile("  - split: { path: /Shipment/Parcels }\n"),
            [
                "processes/p.yaml:3:20 the documents here follow profile `shipment`, which has no element at /Shipment/Parcels (no `Parcels` there)"
            ]
        );
        let diagnostics = compile_files(&[
            ("profiles/shipment.xsd", xsd),
            ("processes/p.yaml", &process("  - split: /Shipmnt/Parcel\n")),
        ])
        .diagnostics;
        let hints: Vec<_> = diagnostics.iter().filter_map(|d| d.hint.clone()).collect();
        assert_eq!(hints, ["did you mean `Shipment`?"]);
        // Steps that keep the documents keep their profile, in nested paths
        // too; what one path does is not what the next one starts with.
        assert_eq!(
            compile("  - set: { a: b }\n  - decision: { if: 'true', then: [ { split: /Shipment/Parcel/Cod } ] }\n").len(),
            1
        );
        assert_eq!(
            compile("  - decision: { if: 'true', then: [ { message: '<a/>' } ], else: [ { split: /Shipment/Parcel/Cod } ] }\n").len(),
            1
        );
        // Where the documents may be others, the path is left to run time.
        for before in [
            "  - message: '<Other/>'\n",
            "  - decision: { if: 'true', then: [ { message: '<Other/>' } ] }\n",
        ] {
            assert_eq!(
                compile(&format!("{before}  - split: /Other/Item\n")),
                Vec::<String>::new(),
                "{before}"
            );
        }
        assert_eq!(
            compile("  - split: /Shipment/Parcel\n"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_value_written_wrong_is_told_once_and_its_gap_is_not_judged() {
        const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        let settings = format!(
            "[limits]\nmax_body = \"lots\"\n\n[access]\nauth = \"basic\"\n\n[users.ada]\npassword_hash = \"{HASH}\"\n\n[upstreams.billing]\nbase_url = [1]\n"
        );
        let compilation = compile_files(&[
            ("flowgate.toml", &settings),
            // Its users stay known, and its `auth`, written wrong, is no `none`.
            (
                "processes/b.yaml",
                "listen: { operation: get, object: B }\naccess: { users: [ada] }\nsteps:\n  - call: c\n",
            ),
            // No listen block because it was written wrong: its tests are not judged by one.
            (
                "processes/c.yaml",
                "listen: 5\nsteps:\n  - return: {}\ntests:\n  - name: t\n    request: { path: /ws/simple/getC }\n    expect: { status: 200 }\n",
            ),
            // Declared, if written wrong: a step naming it is no second mistake.
            (
                "processes/e.yaml",
                "steps:\n  - http: { upstream: billing, path: /x }\n",
            ),
            // Its `name:` written wrong, it stands in as `b`: no clash with b.yaml.
            (
                "processes/sub/b.yaml",
                "name: [b2]\nsteps:\n  - return: {}\n",
            ),
            // Compiled without its bad value: the step's own mistake shows.
            (
                "processes/d.yaml",
                "listen: { operation: get, object: D, page_size: many }\nsteps:\n  - set: { x: \"{{ doc.a + }}\" }\n",
            ),
        ]);
        let found = located(&compilation);
        let expected = [
            "flowgate.toml:2:12 `lots` is not a size",
            "flowgate.toml:5:8 expected a list",
            "flowgate.toml:11:12 expected a string",
            "processes/c.yaml:1:9 expected a listen block",
            "processes/d.yaml:1:49 expected a whole number",
            "processes/d.yaml:3:25 template error",
            "processes/sub/b.yaml:1:7 expected a string",
        ];
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        for (found, expected) in found.iter().zip(expected) {
            assert!(found.starts_with(expected), "{found} is not {expected}");
        }
    }

    #[test]
    fn integers_beyond_64_bits_are_errors_in_yaml_and_toml_alike() {
        let yaml = "steps:\n  - set: { big: 18446744073709551615 }\n  - return: {}\n";
        let toml = "[[steps]]\nset = { big = 18446744073709551615 }\n\n[[steps]]\nreturn = {}\n";
        let expected = "`18446744073709551615` is beyond the integers a file holds (-9223372036854775808 to 9223372036854775807): write a string if the text is meant";
        for (path, text, at) in [
            ("processes/p.yaml", yaml, "processes/p.yaml:2:17"),
            ("processes/p.toml", toml, "processes/p.toml:2:15"),
        ] {
            let compilation = compile_files(&[(path, text)]);
            assert_eq!(located(&compilation), [format!("{at} {expected}")]);
        }
        let largest = "steps:\n  - set: { big: 9223372036854775807 }\n  - return: {}\n";
        assert!(
            compile_files(&[("processes/p.yaml", largest)])
                .snapshot
                .is_some()
        );
    }

    #[test]
    fn page_size_is_a_whole_number_from_1() {
        for (written, found) in [
            ("0", "the integer 0"),
            ("-1", "the integer -1"),
            ("2.5", "the number 2.5"),
        ] {
            let process = format!(
                "listen: {{ operation: query, object: P, output: json-list, page_size: {written} }}\nsteps:\n  - return: {{}}\n"
            );
            let compilation = compile_files(&[("processes/p.yaml", &process)]);
            assert_eq!(
                located(&compilation),
                [format!(
                    "processes/p.yaml:1:70 expected a whole number from 1 to 4294967295, found {found}"
                )]
            );
        }
        let process = "listen: { operation: query, object: P, output: json-list, page_size: 1 }\nsteps:\n  - return: {}\n";
        assert!(
            compile_files(&[("processes/p.yaml", process)])
                .snapshot
                .is_some()
        );
    }

    /// A chain of `count` processes `p0` → `p1` → …, each wrapping its
    /// call in `tries` nested `try`s; the last one returns.
    fn call_chain(count: usize, tries: usize) -> Vec<(String, String)> {
        (0..count)
            .map(|i| {
                let mut steps = if i + 1 < count {
                    format!("[ {{ call: p{} }} ]", i + 1)
                } else {
                    "[ { return: {} } ]".to_owned()
                };
                for _ in 0..tries {
                    steps = format!("[ {{ try: {{ steps: {steps} }} }} ]");
                }
                (format!("processes/p{i}.yaml"), format!("steps: {steps}\n"))
            })
            .collect()
    }

    fn compile_chain(files: &[(String, String)]) -> Compilation {
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(path, text)| (path.as_str(), text.as_str()))
            .collect();
        compile_files(&files)
    }

    #[test]
    fn a_process_reads_its_documents_when_a_template_or_a_callee_names_them() {
        let compilation = compile_files(&[
            (
                "processes/relay.yaml",
                "steps:\n  - message: '{\"seen\": \"{{ request.path }}\"}'\n  - return: {}\n",
            ),
            (
                "processes/reader.yaml",
                "steps:\n  - decision: { if: doc.kind == 'a', then: [ { return: {} } ] }\n  - return: {}\n",
            ),
            ("processes/caller.yaml", "steps:\n  - call: reader\n"),
            ("processes/outer.yaml", "steps:\n  - call: caller\n"),
            (
                "processes/splitter.yaml",
                "steps:\n  - split: { path: items }\n  - return: {}\n",
            ),
            (
                "processes/mapper.yaml",
                "steps:\n  - set: { n: \"{{ docs | length }}\" }\n  - return: {}\n",
            ),
        ]);
        let snapshot = compilation.snapshot.expect("the root compiles");
        let reads: Vec<(&str, bool)> = snapshot
            .processes
            .iter()
            .map(|p| (&*p.name, p.reads_documents))
            .collect();
        assert_eq!(
            reads,
            [
                ("caller", true),
                ("mapper", true),
                ("outer", true),
                ("reader", true),
                ("relay", false),
                ("splitter", true),
            ]
        );
    }

    #[test]
    fn steps_after_a_call_of_a_process_without_return_never_run() {
        let caller = "listen: { operation: get, object: C, output: json }\nsteps:\n  - call: enrich\n  - return: {}\n";
        let compilation = compile_files(&[
            ("processes/c.yaml", caller),
            ("processes/enrich.yaml", "steps:\n  - set: { x: 1 }\n"),
        ]);
        assert_eq!(
            located(&compilation),
            [
                "processes/c.yaml:3:5 the steps after this call never run: `enrich` has no `return`, so the call gives no documents"
            ]
        );
        // A `return` anywhere in it (here inside a `try`) is enough, and a
        // call that ends its path is no concern.
        let compilation = compile_files(&[
            ("processes/c.yaml", caller),
            (
                "processes/enrich.yaml",
                "steps:\n  - try: { steps: [ { return: {} } ] }\n",
            ),
            (
                "processes/d.yaml",
                "listen: { operation: get, object: D, output: json }\nsteps:\n  - call: side\n",
            ),
            ("processes/side.yaml", "steps:\n  - set: { x: 1 }\n"),
        ]);
        assert_eq!(located(&compilation), Vec::<String>::new());
    }

    #[test]
    fn an_auth_list_is_empty_only_when_written_so() {
        let process = |auth: &str| {
            format!(
                "listen: {{ operation: get, object: K, output: json }}\naccess: {{ auth: {auth} }}\nsteps:\n  - return: {{}}\n"
            )
        };
        let compilation = compile_files(&[("processes/k.yaml", &process("[kerberos]"))]);
        assert_eq!(messages(&compilation), ["unknown value `kerberos`"]);
        let compilation = compile_files(&[("processes/k.yaml", &process("[]"))]);
        assert_eq!(
            messages(&compilation),
            ["`auth` lists no method, so nobody could call"]
        );
    }

    #[test]
    fn steps_after_a_step_that_ends_every_path_never_run() {
        let process = |steps: &str| {
            format!(
                "listen: {{ operation: get, object: P, output: json }}\nsteps:\n{steps}  - log: never\n"
            )
        };
        let ends = [
            ("  - stop: {}\n", "stop", "ends the path"),
            (
                "  - decision: { if: 'true', then: [ { return: {} } ], else: [ { exception: nope } ] }\n",
                "decision",
                "ends every path through it",
            ),
            (
                "  - route: { by: '1', cases: { a: [ { stop: {} } ] }, default: [ { return: {} } ] }\n",
                "route",
                "ends every path through it",
            ),
            (
                "  - branch: [ [ { return: {} } ], [ { decision: { if: 'true', then: [ { stop: {} } ], else: [ { stop: {} } ] } } ] ]\n",
                "branch",
                "ends every path through it",
            ),
            (
                "  - try: { steps: [ { return: {} } ], catch: [ { stop: {} } ] }\n",
                "try",
                "ends every path through it",
            ),
            (
                "  - try: { steps: [ { return: {} } ] }\n",
                "try",
                "ends every path through it",
            ),
        ];
        for (steps, kind, how) in ends {
            let compilation = compile_files(&[("processes/p.yaml", &process(steps))]);
            assert_eq!(
                messages(&compilation),
                [format!(
                    "this step never runs: the `{kind}` before it {how}"
                )],
                "{steps}"
            );
        }
        // A path that lets documents through keeps the steps after it.
        for steps in [
            "  - decision: { if: 'true', then: [ { return: {} } ] }\n",
            "  - route: { by: '1', cases: { a: [ { stop: {} } ] } }\n",
            "  - branch: [ [ { return: {} } ], [ { set: { x: 1 } } ] ]\n",
            "  - try: { steps: [ { return: {} } ], catch: [ { set: { x: 1 } } ] }\n",
            "  - try: { steps: [ { set: { x: 1 } } ], catch: [ { stop: {} } ] }\n",
        ] {
            let compilation = compile_files(&[("processes/p.yaml", &process(steps))]);
            assert_eq!(messages(&compilation), Vec::<String>::new(), "{steps}");
        }
    }

    #[test]
    fn steps_nest_at_most_max_nesting_levels_through_calls() {
        // p_i nests 40 - i levels: p7 is the first over 32, at its call of p8.
        let compilation = compile_chain(&call_chain(40, 0));
        assert_eq!(
            located(&compilation),
            [
                "processes/p7.yaml:1:18 steps nest 33 levels deep through this call of `p8`: more than 32"
            ]
        );
        // `try`s count too: 15 levels in p2, 30 in p1, 45 in p0.
        let compilation = compile_chain(&call_chain(3, 14));
        let found = located(&compilation);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("processes/p0.yaml:1:")
                && found[0].contains("45 levels deep through this call of `p1`"),
            "{found:?}"
        );
        // Exactly the limit is fine.
        let compilation = compile_chain(&call_chain(32, 0));
        assert!(
            compilation.snapshot.is_some(),
            "{}",
            compilation.diagnostics.render()
        );
    }

    #[test]
    fn every_unknown_key_of_a_file_is_reported() {
        let process = "listen:\n  operation: get\n  object: Thing\n  ouput: json\ndescripton: x\nsteps:\n  - return: { stauts: 200 }\n";
        let compilation = compile_files(&[
            ("processes/thing.yaml", process),
            (
                "flowgate.toml",
                "[server]\nlisen = \"x\"\n\n[limits]\nmax_body = \"1 gigabyte\"\n",
            ),
        ]);
        assert_eq!(
            located(&compilation),
            [
                "flowgate.toml:2:1 unknown key `lisen`",
                "flowgate.toml:5:12 unknown size unit `gigabyte` in `1 gigabyte`: use B, KB, KiB, MB, MiB, GB or GiB (KB is 1000 bytes, KiB 1024)",
                "processes/thing.yaml:4:3 unknown key `ouput`",
                "processes/thing.yaml:5:1 unknown key `descripton`",
                "processes/thing.yaml:7:15 unknown key `stauts`",
            ]
        );
        assert!(compilation.snapshot.is_none(), "unknown keys fail the root");
    }

    #[test]
    fn admin_hosts_are_host_names() {
        let compilation = compile_files(&[(
            "flowgate.toml",
            "[admin]\nhosts = [\"Ops.Example.internal\", \"bad host:80\"]\n",
        )]);
        assert_eq!(
            located(&compilation),
            [
                "flowgate.toml:2:34 `bad host:80` is not a host name: letters, digits, `-` and dots, without a port"
            ]
        );
        let compilation = compile_files(&[(
            "flowgate.toml",
            "[admin]\nhosts = [\"Ops.Example.internal\"]\n",
        )]);
        let snapshot = compilation.snapshot.expect("compiles");
        assert_eq!(snapshot.settings.admin_hosts, ["ops.example.internal"]);
    }

    #[test]
    fn the_admin_listener_may_not_share_the_public_address_but_port_0_is_never_shared() {
        let compilation = compile_files(&[(
            "flowgate.toml",
            "[server]\nlisten = \"127.0.0.1:9000\"\n[admin]\nlisten = \"127.0.0.1:9000\"\n",
        )]);
        assert_eq!(
            located(&compilation),
            ["flowgate.toml:4:10 the admin listener cannot share the public listener's address"]
        );
        // One of them on every address takes the port on loopback too.
        for (public, admin) in [
            ("0.0.0.0:9000", "127.0.0.1:9000"),
            ("127.0.0.1:9000", "0.0.0.0:9000"),
            ("[::]:9000", "127.0.0.1:9000"),
        ] {
            let compilation = compile_files(&[(
                "flowgate.toml",
                &format!("[server]\nlisten = \"{public}\"\n[admin]\nlisten = \"{admin}\"\n"),
            )]);
            assert_eq!(
                messages(&compilation),
                ["the admin listener cannot share the public listener's address"],
                "{public} and {admin}"
            );
        }
        for (public, admin) in [
            ("127.0.0.1:0", "127.0.0.1:0"),
            ("0.0.0.0:0", "127.0.0.1:0"),
            ("127.0.0.1:9000", "127.0.0.2:9000"),
            ("127.0.0.1:9000", "[::1]:9000"),
        ] {
            let compilation = compile_files(&[(
                "flowgate.toml",
                &format!("[server]\nlisten = \"{public}\"\n[admin]\nlisten = \"{admin}\"\n"),
            )]);
            assert!(
                compilation.snapshot.is_some(),
                "{public} and {admin}: {:?}",
                located(&compilation)
            );
        }
    }

    #[test]
    fn a_return_cannot_set_the_headers_that_frame_the_response() {
        for (name, lower) in [
            ("Content-Length", "content-length"),
            ("Transfer-Encoding", "transfer-encoding"),
            ("Connection", "connection"),
            ("Keep-Alive", "keep-alive"),
            ("Upgrade", "upgrade"),
        ] {
            let process = format!(
                "listen: {{ operation: get, object: S, output: json }}\nsteps:\n  - return: {{ headers: {{ {name}: \"3\" }} }}\n"
            );
            let compilation = compile_files(&[("processes/s.yaml", &process)]);
            assert_eq!(
                located(&compilation),
                [format!(
                    "processes/s.yaml:3:26 `{lower}` cannot be set here: flowgate writes it from the body it sends and the connection it uses"
                )],
            );
        }
        let process = "listen: { operation: get, object: S, output: json }\nsteps:\n  - return: { headers: { Location: /s/1, Cache-Control: no-store } }\n";
        let compilation = compile_files(&[("processes/s.yaml", process)]);
        assert!(
            compilation.snapshot.is_some(),
            "{}",
            compilation.diagnostics.render()
        );
    }

    #[test]
    fn a_content_type_is_fixed_text() {
        let cases = [
            (
                "listen: { operation: get, object: C, output: data, content_type: \"{{ vars.ct }}\" }\nsteps:\n  - return: {}\n",
                "processes/c.yaml:1:66 `{{ vars.ct }}` is not a content type: a content type is fixed text, not a template",
            ),
            (
                "listen: { operation: get, object: C, output: data }\nsteps:\n  - message: { template: x, content_type: \"{{ doc.ct }}\" }\n  - return: {}\n",
                "processes/c.yaml:3:43 `{{ doc.ct }}` is not a content type: a content type is fixed text, not a template",
            ),
            (
                "listen: { operation: get, object: C, output: data }\nsteps:\n  - return: { content_type: \"{x}/y\" }\n",
                "processes/c.yaml:3:29 `{x}/y` is not a content type: write one like `text/csv; charset=utf-8`",
            ),
        ];
        for (process, expected) in cases {
            let compilation = compile_files(&[("processes/c.yaml", process)]);
            assert_eq!(located(&compilation), [expected], "{process}");
        }
    }

    #[test]
    fn a_return_status_is_a_final_one() {
        let process = |status: &str| {
            format!(
                "listen: {{ operation: get, object: S, output: json }}\nsteps:\n  - return: {{ status: {status} }}\n"
            )
        };
        for status in ["101", "199", "600", "ok"] {
            let compilation = compile_files(&[("processes/s.yaml", &process(status))]);
            assert_eq!(
                located(&compilation),
                [format!(
                    "processes/s.yaml:3:23 `{status}` is not a status a process can answer with: use 200 to 599"
                )],
            );
        }
        for status in ["200", "301", "599", "\"{{ props.status }}\""] {
            let compilation = compile_files(&[("processes/s.yaml", &process(status))]);
            assert!(
                compilation.snapshot.is_some(),
                "{}",
                compilation.diagnostics.render()
            );
        }
    }

    #[test]
    fn vars_read_by_templates_are_checked_against_flowgate_toml() {
        let process = concat!(
            "steps:\n",
            "  - set: { a: \"{{ vars.regoin }}\", b: \"{{ vars.region | upper }}\" }\n",
            "  - map:\n",
            "      to: out\n",
            "      value:\n",
            "        items:\n",
            "          - $for: vars in doc.list\n",
            "            x: \"{{ vars.anything }}\"\n",
            "        r: \"{{ vars.nope | default(1) }}\"\n",
            "        s: \"{{ vars.nope }}\"\n",
        );
        let compilation = compile_files(&[
            ("flowgate.toml", "[vars]\nregion = \"eu\"\n"),
            ("profiles/out.schema.json", r#"{"type": "object"}"#),
            ("processes/p.yaml", process),
        ]);
        assert_eq!(
            located(&compilation),
            [
                "processes/p.yaml:2:24 there is no `regoin` in `[vars]` of flowgate.toml: every request that gets here fails",
                "processes/p.yaml:9:21 there is no `nope` in `[vars]` of flowgate.toml: here it is always undefined",
                "processes/p.yaml:10:21 there is no `nope` in `[vars]` of flowgate.toml: every request that gets here fails",
            ]
        );
        // Without a flowgate.toml there are no vars at all.
        let compilation = compile_files(&[(
            "processes/p.yaml",
            "steps:\n  - log: \"{{ vars.region }}\"\n",
        )]);
        assert_eq!(
            located(&compilation),
            [
                "processes/p.yaml:2:19 there is no `region` in `[vars]` of flowgate.toml: every request that gets here fails"
            ]
        );
    }

    #[test]
    fn names_come_from_the_file_stem_unless_given() {
        let compilation = compile_files(&[
            ("processes/sub/first-one.yaml", "steps: []\n"),
            ("processes/second.toml", "name = \"renamed\"\nsteps = []\n"),
        ]);
        let snapshot = compilation.snapshot.expect("compiles");
        let mut names: Vec<&str> = snapshot.processes.iter().map(|p| &*p.name).collect();
        names.sort();
        assert_eq!(names, ["first-one", "renamed"]);
    }

    #[test]
    fn listen_blocks_become_routes() {
        let compilation = compile_files(&[(
            "processes/p.yaml",
            "listen:\n  operation: upsert\n  object: Customer\n  rest: put /customers/{id}\n  input: json\n  output: json\n",
        )]);
        let snapshot = compilation.snapshot.expect("compiles");
        let listen = snapshot.processes[0].listen.as_ref().unwrap();
        assert_eq!(listen.simple_path, "upsertCustomer");
        assert_eq!(
            listen.rest,
            Some(RestRoute {
                method: Method::PUT,
                pattern: "/customers/{id}".into()
            })
        );
        assert_eq!(snapshot.routes.entries().len(), 2);
    }

    /// A route that `flowgate routes` and OpenAPI would list but that no
    /// request can reach is an error at the `rest` value.
    #[test]
    fn rest_patterns_no_request_can_reach() {
        let compilation = compile_files(&[
            (
                "processes/a.yaml",
                "listen:\n  operation: get\n  object: A\n  rest: GET /a?x=1\n",
            ),
            (
                "processes/b.yaml",
                "listen:\n  operation: get\n  object: B\n  rest: GET /b/%2F\n",
            ),
            (
                "processes/c.yaml",
                "listen:\n  operation: get\n  object: C\n  rest: GET /c/../d\n",
            ),
        ]);
        assert!(compilation.snapshot.is_none());
        let located = located(&compilation);
        assert_eq!(located.len(), 3, "{located:?}");
        for (at, what) in [
            ("processes/a.yaml:4:9", "the query string"),
            ("processes/b.yaml:4:9", "percent-decoding"),
            ("processes/c.yaml:4:9", "`..` segment"),
        ] {
            assert!(
                located.iter().any(|l| l.starts_with(at)
                    && l.contains("no request can reach")
                    && l.contains(what)),
                "{at} {what}: {located:?}"
            );
        }
    }

    /// The note of a clash points at what the other process claims the URL
    /// with: its `rest` value for a REST route, its `object` for a simple URL.
    #[test]
    fn clash_notes_point_at_the_other_claim() {
        let compilation = compile_files(&[
            (
                "processes/a.yaml",
                "listen:\n  operation: get\n  object: A\n  rest: GET /orders\n",
            ),
            (
                "processes/b.yaml",
                "listen:\n  operation: get\n  object: B\n  rest: GET /orders\n",
            ),
            (
                "processes/c.yaml",
                "listen:\n  operation: get\n  object: A\n",
            ),
        ]);
        let found: Vec<(String, Vec<String>)> = compilation
            .diagnostics
            .iter()
            .map(|d| (d.message.clone(), d.notes.clone()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "`GET /ws/rest/orders` is already served by process `a`".to_owned(),
                    vec!["`a` claims it at processes/a.yaml:4:9".to_owned()]
                ),
                (
                    "`/ws/simple/getA` is already served by process `a`".to_owned(),
                    vec!["`a` claims it at processes/a.yaml:3:11".to_owned()]
                ),
            ]
        );
    }

    /// A profile that is not there is one error, at its name: the SOAP
    /// operation still has its `request_profile` written, and the process
    /// still has its `listen` block, which its tests' requests go to.
    #[test]
    fn an_unknown_profile_is_one_error() {
        let compilation = compile_files(&[(
            "processes/p.yaml",
            "listen:\n  operation: execute\n  object: Order\n  input: xml-list\n  request_profile: order\n  soap: true\nsteps:\n  - return: {}\ntests:\n  - name: over SOAP\n    request: { path: /ws/soap, body: \"<a/>\" }\n    expect: { status: 200 }\n",
        )]);
        assert_eq!(
            located(&compilation),
            ["processes/p.yaml:5:20 there is no profile `order` in profiles/"]
        );
    }

    #[test]
    fn a_profile_that_does_not_compile_is_reported_once_not_at_each_use() {
        let compilation = compile_files(&[
            ("profiles/order.schema.json", "[1, 2]"),
            (
                "profiles/line.xsd",
                "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"><xs:element name=\"Line\" type=\"nope\"/></xs:schema>",
            ),
            (
                "processes/p.yaml",
                "listen: { operation: execute, object: Order, input: json, output: json, request_profile: order }\nsteps:\n  - map: { to: order, value: {} }\n  - return: {}\n",
            ),
            (
                "processes/q.yaml",
                "listen: { operation: execute, object: Line, input: xml, output: xml, request_profile: line }\nsteps:\n  - return: {}\n",
            ),
        ]);
        let found = located(&compilation);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found.iter().all(|d| d.starts_with("profiles/")),
            "{found:?}"
        );
    }

    #[test]
    fn listen_mistakes() {
        let compilation = compile_files(&[(
            "processes/p.yaml",
            "listen:\n  operation: get\n  object: Bad-Name\n  rest: FETCH /x\n  input: json\n  content_type: text/csv\n",
        )]);
        assert!(compilation.snapshot.is_none());
        let messages = messages(&compilation);
        assert!(
            messages
                .iter()
                .any(|m| m.contains("not a valid object name")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`FETCH` is not a method")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("applies to `output: data` only")),
            "{messages:?}"
        );

        let compilation = compile_files(&[(
            "processes/p.yaml",
            "listen: { operation: get, object: X, rest: GET /x, input: json }\n",
        )]);
        assert!(
            compilation
                .diagnostics
                .iter()
                .any(|d| d.message.contains("carries no body"))
        );
    }

    #[test]
    fn executions_settings_have_defaults_and_bounds() {
        let compilation = compile_files(&[("processes/p.yaml", "steps: []\n")]);
        let snapshot = compilation.snapshot.expect("compiles");
        assert_eq!(*snapshot.settings.executions, ExecutionSettings::default());
        assert_eq!(
            snapshot.settings.executions.path,
            Path::new(".flowgate/executions.db")
        );

        let compilation = compile_files(&[(
            "flowgate.toml",
            "[executions]\npath = \"records/runs.db\"\nretention = \"2d\"\nmax_records = 500\nmax_document_bytes = \"1KiB\"\nredact = [\"IBAN\"]\n",
        )]);
        let snapshot = compilation.snapshot.expect("compiles");
        let executions = &snapshot.settings.executions;
        assert_eq!(executions.path, Path::new("records/runs.db"));
        assert_eq!(
            executions.retention,
            std::time::Duration::from_secs(2 * 86400)
        );
        assert_eq!(executions.max_records, 500);
        assert_eq!(executions.max_document_bytes, 1024);
        assert_eq!(executions.redact, ["iban"]);
        assert!(compilation.diagnostics.is_empty());

        for (text, expected) in [
            ("path = \"../elsewhere.db\"", "leaves the config root"),
            ("path = \"/var/lib/flowgate.db\"", "leaves the config root"),
            ("path = \"a/../../b.db\"", "leaves the config root"),
            (
                "path = \"processes/store.yaml\"",
                "where flowgate reads its config",
            ),
            (
                "path = \"x/../flowgate.toml\"",
                "where flowgate reads its config",
            ),
            ("path = \"profiles\"", "where flowgate reads its config"),
            (
                "path = \"processes/records/runs.db\"",
                "where flowgate reads its config",
            ),
            ("path = \"records/\"", "is not a file path"),
            ("retention = \"0s\"", "`retention` must be more than 0"),
            (
                "max_records = 0",
                "expected a whole number from 1 to 18446744073709551615, found the integer 0",
            ),
            ("max_document_bytes = \"1GiB\"", "at most 16MiB"),
            ("redact = [\" \"]", "cannot be empty"),
            ("keep = 3", "unknown"),
        ] {
            let compilation =
                compile_files(&[("flowgate.toml", &format!("[executions]\n{text}\n"))]);
            let messages = located(&compilation);
            assert!(compilation.snapshot.is_none(), "{text}");
            assert!(
                messages
                    .iter()
                    .any(|m| m.starts_with("flowgate.toml:2:") && m.contains(expected)),
                "{text}: {messages:?}"
            );
        }
    }

    const ORDER_XSD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="Order"><xs:complexType><xs:sequence><xs:element name="Id" type="xs:string"/></xs:sequence></xs:complexType></xs:element></xs:schema>"#;

    #[test]
    fn soap_operations_carry_xml_described_by_profiles() {
        let process = |listen: &str| {
            format!("listen: {{ {listen}, soap: true }}\nsteps:\n  - return: {{}}\n")
        };
        let compilation = compile_files(&[
            ("profiles/order.xsd", ORDER_XSD),
            ("profiles/ack.schema.json", r#"{"type": "object"}"#),
            (
                "processes/good.yaml",
                &process(
                    "operation: create, object: Order, input: xml-list, output: xml, request_profile: order, response_profile: order",
                ),
            ),
            (
                "processes/ping.yaml",
                &process("operation: get, object: Ping"),
            ),
            (
                "processes/json.yaml",
                &process("operation: create, object: Json, input: json, output: json"),
            ),
            (
                "processes/bare.yaml",
                &process("operation: create, object: Bare, input: xml, output: none"),
            ),
        ]);
        let mut messages = located(&compilation);
        messages.sort();
        assert_eq!(
            messages,
            [
                "processes/bare.yaml:1:76 a SOAP operation with input `xml` needs a `request_profile`: the WSDL describes its body by the profile",
                "processes/json.yaml:1:77 a SOAP operation carries XML, but this process's input is `json`",
                "processes/json.yaml:1:77 a SOAP operation carries XML, but this process's output is `json`",
            ]
        );

        let compilation = compile_files(&[
            ("profiles/order.xsd", ORDER_XSD),
            (
                "processes/good.yaml",
                &process(
                    "operation: create, object: Order, input: xml, output: xml, request_profile: order, response_profile: order",
                ),
            ),
        ]);
        let snapshot = compilation.snapshot.expect("compiles");
        let listen = snapshot.processes[0].listen.as_ref().unwrap();
        assert!(listen.soap);
        assert_eq!(listen.operation_name(), "createOrder");
        assert_eq!(snapshot.settings.soap_namespace, DEFAULT_SOAP_NAMESPACE);
        assert_eq!(snapshot.settings.base_url, None);
    }

    #[test]
    fn the_openapi_document_keeps_its_url() {
        let compilation = compile_files(&[(
            "processes/p.yaml",
            "listen: { operation: get, object: X, output: json, rest: GET /openapi.json }\nsteps:\n  - return: {}\n",
        )]);
        let messages = located(&compilation);
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].contains("where flowgate serves the OpenAPI document"),
            "{messages:?}"
        );
    }

    /// A size or duration that does not read as one is shown at the value,
    /// not at its key.
    #[test]
    fn bad_sizes_and_durations_point_at_the_value() {
        for (text, at) in [
            ("[limits]\nmax_body = \"lots\"\n", "flowgate.toml:2:12 "),
            ("[limits]\nrequest_timeout = 30\n", "flowgate.toml:2:19 "),
            ("[reload]\ndebounce = \"-5ms\"\n", "flowgate.toml:2:12 "),
            (
                "[executions]\nretention = \"forever\"\n",
                "flowgate.toml:2:13 ",
            ),
        ] {
            let located = located(&compile_files(&[("flowgate.toml", text)]));
            assert_eq!(located.len(), 1, "{text}: {located:?}");
            assert!(located[0].starts_with(at), "{text}: {located:?}");
        }
    }

    /// `flowgate executions` reads the settings alone; a root that is not
    /// a directory is an error there as everywhere else.
    #[test]
    fn root_settings_of_no_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (_, diagnostics) = root_settings(&dir.path().join("nonexistent"));
        assert!(diagnostics.has_errors());
        assert!(
            diagnostics.render().contains("is not a directory"),
            "{}",
            diagnostics.render()
        );
        let (_, diagnostics) = root_settings(dir.path());
        assert!(diagnostics.is_empty(), "{}", diagnostics.render());
    }

    #[test]
    fn base_url_and_soap_namespace_are_checked() {
        let settings = |text: &str| {
            let compilation = compile_files(&[("flowgate.toml", text)]);
            (located(&compilation), compilation.snapshot)
        };
        let (messages, snapshot) = settings(
            "[server]\nbase_url = \"https://api.example.com/gw/\"\n[soap]\nnamespace = \"urn:acme:ws\"\n",
        );
        assert!(messages.is_empty(), "{messages:?}");
        let snapshot = snapshot.unwrap();
        assert_eq!(
            snapshot.settings.base_url.as_deref(),
            Some("https://api.example.com/gw")
        );
        assert_eq!(snapshot.settings.soap_namespace, "urn:acme:ws");

        for (base_url, expected) in [
            ("api.example.com", "is not an http or https URL with a host"),
            (
                "ftp://api.example.com",
                "is not an http or https URL with a host",
            ),
            ("https://api.example.com/?a=1", "has a query or fragment"),
            ("https://exa mple.com", "is not a URL"),
            (
                "http://",
                "`http://` is not an http or https URL with a host",
            ),
            (
                "https://ops:s3cret@api.example.com",
                "`https://…@api.example.com` holds a user name",
            ),
            ("https://ops@api.example.com/gw", "holds a user name"),
            ("https://x:99999", "a port is a number up to 65535"),
        ] {
            let (messages, _) = settings(&format!("[server]\nbase_url = \"{base_url}\"\n"));
            assert_eq!(messages.len(), 1, "{base_url}: {messages:?}");
            assert!(messages[0].contains(expected), "{base_url}: {messages:?}");
            assert!(
                messages[0].starts_with("flowgate.toml:2:12 "),
                "{messages:?}"
            );
        }
        let (messages, _) = settings("[server]\nbase_url = \"\"\n");
        assert!(messages.is_empty(), "{messages:?}");
        for namespace in [
            "",
            "no-scheme",
            "urn:with space",
            "urn:a<b>",
            "urn:a\\\"b",
            "urn:{x}",
        ] {
            let (messages, _) = settings(&format!("[soap]\nnamespace = \"{namespace}\"\n"));
            assert_eq!(messages.len(), 1, "{namespace}: {messages:?}");
            assert!(
                messages[0].contains("is not a namespace URI"),
                "{messages:?}"
            );
        }
    }

    #[test]
    fn limits_are_checked() {
        let compilation = compile_files(&[(
            "flowgate.toml",
            "[limits]\nmax_header_bytes = \"1KiB\"\nmax_json_depth = 500\nmax_concurrency = 0\n",
        )]);
        assert_eq!(
            compilation.diagnostics.error_count(),
            3,
            "{:?}",
            messages(&compilation)
        );
        // Each says the range of its own key.
        let found = messages(&compilation);
        assert!(
            found.contains(
                &"expected a whole number from 1 to 128, found the integer 500".to_owned()
            ),
            "{found:?}"
        );
        let deep = compile_files(&[("flowgate.toml", "[limits]\nmax_xml_depth = -1\n")]);
        assert_eq!(
            messages(&deep),
            ["expected a whole number from 1 to 1024, found the integer -1"]
        );
    }

    #[test]
    fn limits_that_leave_nothing_served_are_errors_at_their_value() {
        let compilation = compile_files(&[(
            "flowgate.toml",
            "[limits]\nmax_body = \"0B\"\nheader_read_timeout = \"0s\"\nrequest_timeout = \"0ms\"\nmax_concurrency = 0\n",
        )]);
        assert_eq!(
            located(&compilation),
            [
                "flowgate.toml:2:12 `max_body` must be more than 0",
                "flowgate.toml:3:23 `header_read_timeout` must be more than 0",
                "flowgate.toml:4:19 `request_timeout` must be more than 0",
                "flowgate.toml:5:19 expected a whole number from 1 to 4294967295, found the integer 0",
            ]
        );
    }

    #[test]
    fn settings_reach_the_snapshot() {
        let compilation = compile_files(&[(
            "flowgate.toml",
            "[server]\nlisten = \"\"\ntrusted_proxies = [\"10.0.0.0/8\"]\n[limits]\nmax_body = \"2KiB\"\nrequest_timeout = \"250ms\"\n[vars]\nregion = \"eu\"\n",
        )]);
        let snapshot = compilation.snapshot.expect("compiles");
        let settings = &snapshot.settings;
        assert_eq!(settings.listen, None);
        assert_eq!(settings.limits.max_body, 2048);
        assert_eq!(
            settings.limits.request_timeout,
            std::time::Duration::from_millis(250)
        );
        assert!(
            settings
                .trusted_proxies
                .contains("10.1.1.1".parse().unwrap())
        );
        assert_eq!(
            settings.vars.get_attr("region").unwrap().as_str(),
            Some("eu")
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever a process file holds, compiling reports and never panics.
        #[test]
        fn compiling_never_panics(text in "(listen:|steps:|  - |message: |\\{\\{ |\\}\\}|route:|cases:|by: |\"|'|\\[|\\]|\\{|\\}|: |\n|[a-z]{1,6}|-|#|&|\\*|!|%|@|`|\\||>|[0-9]{1,3})*") {
            let compilation = compile_files(&[("processes/p.yaml", &text), ("processes/q.toml", &text)]);
            prop_assert!(compilation.snapshot.is_some() || compilation.diagnostics.has_errors());
        }

        /// Whatever a process's `tests:` hold, compiling reports and never panics.
        #[test]
        fn compiling_tests_never_panics(text in "(tests:|  - |name: |request: |expect: |stubs: |body_file: |body: |path: |paths: |/|\\[|\\]|\\{|\\}|: |, |\n|[a-z]{1,6}|-|[0-9]{1,3}|\\.\\./)*") {
            let process = format!("listen: {{ operation: get, object: X, output: json }}\nsteps: [{{ return: {{}} }}]\n{text}");
            let compilation = compile_files(&[("processes/p.yaml", &process)]);
            prop_assert!(compilation.snapshot.is_some() || compilation.diagnostics.has_errors());
        }
    }
}
