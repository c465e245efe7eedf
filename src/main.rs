//! The `flowgate` command: argument parsing and wiring; the work is in the library.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use flowgate::compile::{Compilation, compile_root};
use flowgate::server::{self, Gateway, Transport};
use std::sync::Arc;

use tokio::sync::mpsc;

use flowgate::admin::Admin;
use flowgate::executions::Recorder;
use flowgate::reload::{Controller, ReloadState, StartListeners, Started, Trigger};
use flowgate::{logging, report};

/// A request makes hundreds of small allocations that live no longer than
/// it does; with glibc's allocator they were a sixth of the XML order
/// route's instructions.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Declarative integration processes served as web services.
///
/// A config root (flowgate.toml, processes/, profiles/, certs/) is compiled
/// into one snapshot and served on shared HTTP and HTTPS listeners. Without
/// a command, flowgate serves: `flowgate [ROOT] [--listen ADDR] …` is
/// `flowgate serve [ROOT] [--listen ADDR] …`.
#[derive(Parser)]
#[command(
    name = "flowgate",
    version,
    propagate_version = true,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// What bare `flowgate` serves, and how.
    #[command(flatten)]
    serve: ServeArgs,

    /// Log lines as text or as JSON objects.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a config root and serve it (the default command).
    Serve(ServeArgs),
    /// Compile a config root and print every diagnostic; exit 1 on errors.
    Check {
        /// The config root.
        #[arg(default_value = ".")]
        root: PathBuf,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
    },
    /// Print the routing table: method, URL, process, input/output, access.
    Routes {
        /// The config root.
        #[arg(default_value = ".")]
        root: PathBuf,
    },
    /// Run the `tests:` of every process of a config root, in this process
    /// and without a port: each test's request goes through the same
    /// routing, access, pipeline and output as a real one, and its stubs
    /// answer every `http` step (a call without a stub fails the test;
    /// nothing reaches the network). Prints a line per test, what differed
    /// for each failure, and `N passed, N failed`; exits 1 on any failure.
    Test {
        /// The config root.
        #[arg(default_value = ".")]
        root: PathBuf,
        /// Only the tests whose `process/name` contains TEXT.
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
        /// `text` for people; `junit` (JUnit XML) or `json` for CI, printed
        /// once every test has run.
        #[arg(long, value_enum, default_value_t = TestFormat::Text)]
        format: TestFormat,
    },
    /// Run one process once on an input file, without a server, and print
    /// its response (status, headers, body). The input is read as the
    /// process's `listen` block says and checked by its request profile;
    /// routing and access are skipped. This is a real execution: its `http`
    /// steps call their upstreams over the network. Exits 1 when the
    /// response is an error (4xx or 5xx).
    Run {
        /// The config root.
        root: PathBuf,
        /// The process's name.
        process: String,
        /// The request body (none for a process with `input: none`).
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// The URL the request stands for, as a client would send it:
        /// the process's simple URL or a path its `rest` pattern matches,
        /// with a query if any (`/ws/rest/orders/eu-west?verbose=1`). It
        /// fills `request.path`, `request.query` and `request.params`, and
        /// the method is the route's. Without it, the simple URL, no query.
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// Also print each step: where it is, how long it took, documents
        /// in and out, and each document it produced with its properties.
        #[arg(long)]
        trace: bool,
    },
    /// Work with profiles (XSD and JSON Schema).
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Print the WSDL of every SOAP operation of a config root, as
    /// `GET /ws/soap?wsdl` serves it to a caller who may use them all.
    Wsdl(ContractArgs),
    /// Print the OpenAPI document of every simple and REST route of a config
    /// root, as `GET /ws/rest/openapi.json` serves it to a caller who may
    /// use them all.
    Openapi(ContractArgs),
    /// List recorded executions, newest first, or show one with its steps
    /// and documents. Reads the store while the server writes it.
    Executions(ExecutionsArgs),
    /// Read a password on stdin and print its argon2id hash, for
    /// `password_hash` in `[users.NAME]`. On a terminal the password is not
    /// echoed; a pipe gives its first line.
    HashPassword,
    /// Print the JSON Schema of process files, for editors that complete
    /// and check YAML and TOML against one (see docs/processes.md).
    Schema,
}

#[derive(Subcommand)]
enum ProfileCommand {
    /// Print a profile inferred from a sample: an XSD from a .xml file, a
    /// JSON Schema from a .json file. Save it under profiles/.
    Import {
        /// The sample document (.xml or .json).
        sample: PathBuf,
        /// The profile's name (default: the sample's file name without extension).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(clap::Args)]
struct ContractArgs {
    /// The config root.
    #[arg(default_value = ".")]
    root: PathBuf,
    /// Where clients reach the server, an http or https URL like
    /// `https://api.example.com` (default: `[server] base_url`, else the
    /// HTTPS or the plain listener).
    #[arg(long, value_name = "URL", value_parser = base_url_flag)]
    base_url: Option<String>,
}

#[derive(clap::Args)]
struct ExecutionsArgs {
    /// The config root (its `[executions] path` is the store).
    #[arg(default_value = ".")]
    root: PathBuf,
    /// Only this process's executions.
    #[arg(long)]
    process: Option<String>,
    /// `ok`, `failed`, or an HTTP status like 422.
    #[arg(long)]
    status: Option<flowgate::executions::StatusFilter>,
    /// Only executions since then: a duration back from now (`30m`, `1h`,
    /// `7d`) or an RFC 3339 time.
    #[arg(long, value_name = "TIME", value_parser = since_flag)]
    since: Option<std::time::SystemTime>,
    /// At most this many, the newest (1 to 1000).
    #[arg(long, default_value_t = 50, value_parser = limit_parser())]
    limit: usize,
    /// Print this execution with its steps and documents.
    #[arg(long, value_name = "ID")]
    show: Option<String>,
    /// A table (and text for --show), or JSON.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    format: CheckFormat,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The config root.
    #[arg(default_value = ".")]
    root: PathBuf,
    /// Listen here instead of `[server] listen` (use port 0 for any free
    /// port); `""` turns the plain listener off.
    #[arg(long, value_name = "ADDR", value_parser = listen_flag)]
    listen: Option<ListenFlag>,
    /// Listen for HTTPS here instead of `[server.https] listen`.
    #[arg(long, value_name = "ADDR")]
    https_listen: Option<SocketAddr>,
    /// Run the admin listener here instead of `[admin] listen`; `""` turns
    /// it off.
    #[arg(long, value_name = "ADDR", value_parser = listen_flag)]
    admin_listen: Option<ListenFlag>,
}

/// A listener's address on the command line, where `""` turns the
/// listener off as it does in flowgate.toml.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ListenFlag(Option<SocketAddr>);

impl ListenFlag {
    /// The address to listen on: the flag's, or the file's without one.
    fn or(flag: Option<ListenFlag>, file: Option<SocketAddr>) -> Option<SocketAddr> {
        flag.map_or(file, |flag| flag.0)
    }
}

fn listen_flag(text: &str) -> Result<ListenFlag, String> {
    if text.is_empty() {
        return Ok(ListenFlag(None));
    }
    text.parse()
        .map(|addr| ListenFlag(Some(addr)))
        .map_err(|_| {
            format!("`{text}` is not an IP address and port like 127.0.0.1:9090, nor \"\" for off")
        })
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TestFormat {
    Text,
    Junit,
    Json,
}

/// `print!` that does not panic: see [`write_stdout`].
macro_rules! out {
    ($($arg:tt)*) => {
        write_stdout(format_args!($($arg)*))
    };
}

/// `println!` that does not panic: see [`write_stdout`].
macro_rules! outln {
    ($($arg:tt)*) => {
        write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes to stdout. A reader that went away (`flowgate routes | head`)
/// ends the program quietly, as for other command-line tools; any other
/// failure (a full disk) with a one-line error, never a panic.
fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {err}");
        std::process::exit(1);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Tests and offline runs print their own report; a request's log line
    // would only get in its way, a failing step's still shows.
    let quiet = matches!(
        cli.command,
        Some(Command::Test { .. } | Command::Run { .. })
    );
    let _log_guard = logging::init(
        match cli.log_format {
            LogFormat::Text => logging::LogFormat::Text,
            LogFormat::Json => logging::LogFormat::Json,
        },
        if quiet { "warn" } else { "info" },
    );
    let json_logs = matches!(cli.log_format, LogFormat::Json);
    let result = match cli.command {
        None => {
            misspelled_command(&cli.serve.root);
            serve(cli.serve, json_logs)
        }
        Some(Command::Serve(args)) => serve(args, json_logs),
        Some(Command::Check { root, format }) => Ok(check(&root, format)),
        Some(Command::Routes { root }) => Ok(routes(&root)),
        Some(Command::Test {
            root,
            filter,
            format,
        }) => run_tests(&root, filter.as_deref(), format),
        Some(Command::Run {
            root,
            process,
            input,
            url,
            trace,
        }) => run_once(&root, &process, input.as_deref(), url.as_deref(), trace),
        Some(Command::Wsdl(args)) => Ok(contract(&args, |snapshot, base| {
            flowgate::contract::wsdl::generate(snapshot, &everyone(snapshot), base)
        })),
        Some(Command::Openapi(args)) => Ok(contract(&args, |snapshot, base| {
            let document =
                flowgate::contract::openapi::generate(snapshot, &everyone(snapshot), base);
            flowgate::contract::openapi::text(&document)
        })),
        Some(Command::Executions(args)) => executions(args),
        Some(Command::HashPassword) => hash_password(),
        Some(Command::Schema) => {
            out!("{}", flowgate::config::schema::process_schema());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Profile(ProfileCommand::Import { sample, name })) => {
            import_profile(&sample, name)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) if json_logs => {
            tracing::error!("{err:#}");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Bare `flowgate` takes a first word that is no command as the root to
/// serve; when no such folder exists and the word is close to a command's
/// name, says which was likely meant.
fn misspelled_command(root: &std::path::Path) {
    use clap::CommandFactory as _;
    let Some(word) = root.to_str() else {
        return;
    };
    if root.exists() || word.contains(['/', '.']) {
        return;
    }
    let cli = Cli::command();
    let names = cli.get_subcommands().map(|command| command.get_name());
    if let Some(name) = flowgate::config::de::did_you_mean(word, names) {
        eprintln!("hint: `{word}` is no folder to serve; did you mean `flowgate {name}`?");
    }
}

/// What a snapshot serves, counted as `flowgate routes` lists it:
/// `6 processes, 7 routes and 1 SOAP operation`.
fn served_counts(snapshot: &flowgate::snapshot::Snapshot) -> String {
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let soap = snapshot
        .processes
        .iter()
        .filter(|process| process.listen.as_ref().is_some_and(|listen| listen.soap))
        .count();
    let processes = count(snapshot.processes.len(), "process", "processes");
    let routes = count(snapshot.routes.entries().len(), "route", "routes");
    match soap {
        0 => format!("{processes}, {routes}"),
        _ => format!(
            "{processes}, {routes} and {}",
            count(soap, "SOAP operation", "SOAP operations")
        ),
    }
}

/// Prints diagnostics to stderr; the snapshot when there was no error.
fn compiled(root: &std::path::Path) -> Compilation {
    let compilation = compile_root(root);
    eprint!("{}", compilation.diagnostics.render());
    compilation
}

fn check(root: &std::path::Path, format: CheckFormat) -> ExitCode {
    let compilation = compile_root(root);
    match format {
        CheckFormat::Human => {
            eprint!("{}", compilation.diagnostics.render());
            match &compilation.snapshot {
                Some(snapshot) => outln!(
                    "ok: {} ({})",
                    served_counts(snapshot),
                    compilation.diagnostics.summary()
                ),
                None => eprintln!("failed: {}", compilation.diagnostics.summary()),
            }
        }
        CheckFormat::Json => {
            let report =
                report::CheckReport::new(compilation.snapshot.as_ref(), &compilation.diagnostics);
            match serde_json::to_string_pretty(&report) {
                Ok(json) => outln!("{json}"),
                Err(err) => eprintln!("error: {err}"),
            }
        }
    }
    if compilation.snapshot.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn routes(root: &std::path::Path) -> ExitCode {
    match compiled(root).snapshot {
        Some(snapshot) => {
            out!("{}", report::routes_table(&snapshot));
            ExitCode::SUCCESS
        }
        None => ExitCode::FAILURE,
    }
}

fn run_tests(
    root: &std::path::Path,
    filter: Option<&str>,
    format: TestFormat,
) -> anyhow::Result<ExitCode> {
    use flowgate::process_tests::{self, report};
    let compilation = compiled(root);
    let Some(snapshot) = compilation.snapshot else {
        eprintln!(
            "failed: {}; no test was run",
            compilation.diagnostics.summary()
        );
        // A report file of a CI job says why no test ran.
        match format {
            TestFormat::Text => {}
            TestFormat::Junit => out!("{}", report::junit_not_compiled(&compilation.diagnostics)),
            TestFormat::Json => {
                outln!("{:#}", report::json_not_compiled(&compilation.diagnostics))
            }
        }
        return Ok(ExitCode::FAILURE);
    };
    let runtime = runtime()?;
    let gateway = Gateway::new(snapshot);
    let mut outcomes = Vec::new();
    for test in compilation.tests.select(filter) {
        let outcome = runtime.block_on(process_tests::run(&gateway, test));
        if format == TestFormat::Text {
            outln!("{}", report::outcome_line(&outcome));
        }
        outcomes.push(outcome);
    }
    let failed = outcomes.iter().any(|o| !o.passed());
    let code = if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    };
    match format {
        TestFormat::Text => {}
        TestFormat::Junit => {
            out!("{}", report::junit(&outcomes));
            return Ok(code);
        }
        TestFormat::Json => {
            outln!("{:#}", report::json(&outcomes));
            return Ok(code);
        }
    }
    if outcomes.is_empty() {
        match filter {
            Some(text) => outln!("no test's `process/name` contains `{text}`"),
            None => outln!("no process of {} has `tests:`", root.display()),
        }
    }
    if failed {
        outln!("\nfailures:\n");
        for outcome in outcomes.iter().filter(|o| !o.passed()) {
            outln!(
                "{}",
                report::failure_text(outcome, flowgate::report::Timings::Show)
            );
        }
    }
    outln!("{}", report::summary(&outcomes));
    Ok(code)
}

fn run_once(
    root: &std::path::Path,
    name: &str,
    input: Option<&std::path::Path>,
    url: Option<&str>,
    trace: bool,
) -> anyhow::Result<ExitCode> {
    use flowgate::pipeline::trace::{Detail, Trace};
    use flowgate::server::offline;
    let Some(snapshot) = compiled(root).snapshot else {
        return Ok(ExitCode::FAILURE);
    };
    let Some(id) = snapshot.process_by_name(name) else {
        let names = snapshot.processes.iter().map(|p| &*p.name);
        let hint = flowgate::config::de::did_you_mean(name, names)
            .map(|best| format!("; did you mean `{best}`?"))
            .unwrap_or_default();
        anyhow::bail!("there is no process `{name}` in {}{hint}", root.display());
    };
    let target = url
        .map(|url| offline::target(&snapshot, id, url))
        .transpose()
        .map_err(|err| anyhow::anyhow!(err))?;
    let body = match input {
        Some(path) => {
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?
        }
        None => Vec::new(),
    };
    let content_type = offline::content_type(snapshot.process(id), input);
    let trace = trace.then(|| {
        Arc::new(Trace::new(Detail::Documents {
            max_bytes: 64 * 1024,
        }))
    });
    let answer = runtime()?.block_on(offline::run(
        Arc::new(snapshot),
        id,
        offline::Input {
            body: body.into(),
            content_type: content_type.map(str::to_owned),
            target,
        },
        flowgate::outbound::Calls::Network,
        trace.clone(),
    ));
    let mut out = std::io::stdout().lock();
    if let Some(trace) = trace {
        writeln!(out, "steps:")?;
        for line in report::trace_text(&trace.steps(), report::Timings::Show).lines() {
            writeln!(out, "  {line}")?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{}", status_line(answer.status))?;
    for (name, value) in &answer.headers {
        writeln!(out, "{name}: {}", String::from_utf8_lossy(value.as_bytes()))?;
    }
    writeln!(out)?;
    out.write_all(&answer.body)?;
    if !answer.body.ends_with(b"\n") && !answer.body.is_empty() {
        writeln!(out)?;
    }
    out.flush()?;
    Ok(if answer.status.as_u16() < 400 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn status_line(status: http::StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// How many cores flowgate may run on: CPU affinity and cgroup limits count.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The async runtime of every command: one worker thread per core. On a
/// single core that is the current-thread scheduler, which hands tasks over
/// without the work-stealing scheduler's cross-thread bookkeeping; blocking
/// work (password checks, reload compilation, the execution store) still
/// runs on its own threads either way.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = if cores() == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    builder
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Every process of a snapshot: what a contract shows a caller who may use all.
fn everyone(snapshot: &flowgate::snapshot::Snapshot) -> Vec<flowgate::snapshot::ProcessId> {
    (0..snapshot.processes.len())
        .map(flowgate::snapshot::ProcessId::from_index)
        .collect()
}

/// Prints a generated contract of a root, for everyone.
fn contract(
    args: &ContractArgs,
    generate: impl Fn(&flowgate::snapshot::Snapshot, &str) -> String,
) -> ExitCode {
    let Some(snapshot) = compiled(&args.root).snapshot else {
        return ExitCode::FAILURE;
    };
    let base = args
        .base_url
        .clone()
        .unwrap_or_else(|| flowgate::contract::default_base_url(&snapshot.settings));
    // The document ends with its line break: the bytes the server serves.
    out!("{}", generate(&snapshot, &base));
    ExitCode::SUCCESS
}

/// `json_logs`: the diagnostics of the first compile are log events like
/// every other line, so the stream stays one JSON object per line.
fn serve(args: ServeArgs, json_logs: bool) -> anyhow::Result<ExitCode> {
    let compilation = match json_logs {
        true => {
            let compilation = compile_root(&args.root);
            logging::diagnostics(&compilation.diagnostics);
            compilation
        }
        false => compiled(&args.root),
    };
    let Some(snapshot) = compilation.snapshot else {
        let summary = compilation.diagnostics.summary();
        match json_logs {
            true => tracing::error!("Failed: {summary}; nothing is served"),
            false => eprintln!("failed: {summary}; nothing is served"),
        }
        return Ok(ExitCode::FAILURE);
    };
    let public = ListenFlag::or(args.listen, snapshot.settings.listen);
    let https = match (args.https_listen, &snapshot.settings.https) {
        (Some(addr), Some(_)) => Some(addr),
        (None, Some(https)) => Some(https.listen),
        (Some(_), None) => anyhow::bail!(
            "--https-listen needs a `[server.https]` table with `cert` and `key` in flowgate.toml"
        ),
        (None, None) => None,
    };
    if public.is_none() && https.is_none() {
        match args.listen {
            Some(_) => anyhow::bail!(
                "no listener: --listen \"\" turns the plain listener off, and there is no `[server.https]`"
            ),
            None => anyhow::bail!(
                "no listener: `[server] listen` is empty, there is no `[server.https]`, and no --listen was given"
            ),
        }
    }
    let admin = ListenFlag::or(args.admin_listen, snapshot.settings.admin_listen);
    let runtime = runtime()?;
    runtime.block_on(async move {
        let listener = bind(public, "").await?;
        let https_listener = bind(https, " (the HTTPS listener)").await?;
        let admin_listener = bind(admin, " (the admin listener)").await?;
        let bound = |listener: &Option<tokio::net::TcpListener>| {
            listener.as_ref().and_then(|l| l.local_addr().ok())
        };
        let (public, https, admin) = (bound(&listener), bound(&https_listener), bound(&admin_listener));

        let processes = snapshot.processes.len();
        let gateway = Gateway::new(snapshot);
        let recorder = Recorder::start(
            &args.root,
            &gateway.snapshot().settings.executions,
            gateway.metrics().records().clone(),
        );
        gateway.record_with(recorder.clone());
        let reloads = Arc::new(ReloadState::default());
        let (triggers, receiver) = mpsc::unbounded_channel();
        let flag = |given: bool, name| given.then_some(name);
        let started_with = StartListeners {
            public: Started { bound: public, flag: flag(args.listen.is_some(), "--listen") },
            https: Started { bound: https, flag: flag(args.https_listen.is_some(), "--https-listen") },
            admin: Started { bound: admin, flag: flag(args.admin_listen.is_some(), "--admin-listen") },
        };
        let controller = Controller::new(args.root.clone(), gateway.clone(), reloads.clone(), triggers.clone(), started_with, true);
        tokio::spawn(controller.run(receiver));
        tokio::spawn(forward_sighup(triggers.clone()));

        let (stop, stopped) = tokio::sync::watch::channel(false);
        let stopped = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }
        };
        if let (Some(listener), Some(address)) = (admin_listener, admin) {
            let admin = Arc::new(Admin {
                gateway: gateway.clone(),
                reloads,
                triggers,
                root: args.root.clone(),
                public,
                https,
                admin: Some(address),
            });
            let settings = gateway.clone();
            tokio::spawn(server::serve_connections(
                listener,
                Transport::Plain,
                stopped(),
                move || server::connecting(&settings.snapshot()),
                move |request, _peer| admin.clone().handle(request),
            ));
            outln!("flowgate admin listening on http://{address}");
        }
        // A listener that is off is left out of the line.
        let address = |listener: Option<SocketAddr>| listener.map(tracing::field::display);
        tracing::info!(address = address(public), https = address(https), admin = address(admin), processes, workers = cores(), root = %args.root.display(), "Serving");
        // One line per listener on stdout that scripts and tests can wait
        // for; the plain one comes last.
        if let Some(address) = https {
            outln!("flowgate https listening on https://{address}");
        }
        if let Some(address) = public {
            outln!("flowgate listening on http://{address}");
        }
        std::io::stdout().flush().context("cannot write to stdout")?;
        let plain = listener.map(|listener| {
            server::serve(gateway.clone(), listener, Transport::Plain, stopped())
        });
        let secure = https_listener.map(|listener| {
            let transport = Transport::Tls(server::tls::live_settings(gateway.clone()));
            server::serve(gateway.clone(), listener, transport, stopped())
        });
        let shutdown = async move {
            shutdown_signal().await;
            tracing::info!("Shutting down: open requests may finish");
            let _ = stop.send(true);
        };
        tokio::join!(
            shutdown,
            async move {
                if let Some(plain) = plain {
                    plain.await;
                }
            },
            async move {
                if let Some(secure) = secure {
                    secure.await;
                }
            },
        );
        // What is still queued is written before the process ends.
        let _ = tokio::task::spawn_blocking(move || recorder.flush(RECORDS_FLUSH)).await;
        Ok(ExitCode::SUCCESS)
    })
}

/// How long a shutdown waits for queued execution records to be written.
const RECORDS_FLUSH: std::time::Duration = std::time::Duration::from_secs(5);

/// `--base-url`: checked as `[server] base_url` is, except that there is no
/// request to take it from, so it may not be empty.
fn base_url_flag(text: &str) -> Result<String, String> {
    match flowgate::contract::parse_base_url(text)? {
        Some(url) => Ok(url),
        None => Err("the base URL is empty: give one like `https://api.example.com`, or leave --base-url out for `[server] base_url` or the listener".to_owned()),
    }
}

/// `--since` of `flowgate executions`: a duration back from now, read when
/// the arguments are, or an RFC 3339 time; refused like any bad argument.
fn since_flag(text: &str) -> Result<std::time::SystemTime, String> {
    flowgate::executions::store::parse_since(text, std::time::SystemTime::now())
}

/// `--limit` of `flowgate executions`: the range the admin API takes, refused
/// like any other bad argument.
fn limit_parser() -> clap::builder::RangedU64ValueParser<usize> {
    let max = flowgate::executions::store::MAX_LIMIT as u64;
    clap::builder::RangedU64ValueParser::new().range(1..=max)
}

/// `flowgate executions`: reads the store of a root, read-only.
fn executions(args: ExecutionsArgs) -> anyhow::Result<ExitCode> {
    use flowgate::executions::render;
    use flowgate::executions::store::{Filter, Store};
    let (settings, diagnostics) = flowgate::compile::root_settings(&args.root);
    eprint!("{}", diagnostics.render());
    if diagnostics.has_errors() {
        return Ok(ExitCode::FAILURE);
    }
    let path = args.root.join(&settings.executions.path);
    let store = Store::open_read_only(&path)?;
    let json = matches!(args.format, CheckFormat::Json);
    if let Some(id) = &args.show {
        let execution = match &store {
            Some(store) => store.get(id).context("cannot read the execution store")?,
            None => None,
        };
        let Some(execution) = execution else {
            eprintln!(
                "error: no execution `{id}` is recorded in {}",
                path.display()
            );
            return Ok(ExitCode::FAILURE);
        };
        if json {
            outln!("{}", serde_json::to_string_pretty(&execution)?);
        } else {
            out!("{}", render::show(&execution));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let filter = Filter {
        process: args.process,
        status: args.status,
        since: args.since,
        limit: args.limit,
    };
    let list = match &store {
        Some(store) => store
            .list(&filter)
            .context("cannot read the execution store")?,
        None => Vec::new(),
    };
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "executions": list }))?
        );
    } else if list.is_empty() {
        match store {
            Some(_) => eprintln!("no recorded execution matches"),
            None => eprintln!(
                "no executions recorded yet: there is no store at {}",
                path.display()
            ),
        }
    } else {
        out!("{}", render::table(&list));
    }
    Ok(ExitCode::SUCCESS)
}

/// Binds a listener when there is an address to bind; `what` names it in errors.
async fn bind(
    addr: Option<SocketAddr>,
    what: &str,
) -> anyhow::Result<Option<tokio::net::TcpListener>> {
    match addr {
        Some(addr) => server::bind(addr)
            .await
            .map(Some)
            .with_context(|| format!("cannot listen on {addr}{what}")),
        None => Ok(None),
    }
}

fn import_profile(sample: &std::path::Path, name: Option<String>) -> anyhow::Result<ExitCode> {
    use flowgate::profile::infer;
    let text = std::fs::read_to_string(sample)
        .with_context(|| format!("cannot read {}", sample.display()))?;
    let name = name.unwrap_or_else(|| {
        sample
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let profile = match sample.extension().and_then(|e| e.to_str()) {
        Some("xml") => infer::xsd_from_sample(&text, &name),
        Some("json") => infer::json_schema_from_sample(&text, &name),
        _ => anyhow::bail!(
            "{}: the sample must be a .xml or a .json file",
            sample.display()
        ),
    };
    match profile {
        Ok(profile) => {
            out!("{profile}");
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            eprintln!("error: {}: {err}", sample.display());
            Ok(ExitCode::FAILURE)
        }
    }
}

fn hash_password() -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal as _;
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ").context("cannot read the password")?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        let trimmed = line.strip_suffix('\n').unwrap_or(&line);
        trimmed.strip_suffix('\r').unwrap_or(trimmed).to_owned()
    };
    if password.is_empty() {
        eprintln!("error: the password is empty");
        return Ok(ExitCode::FAILURE);
    }
    let hash =
        flowgate::access::users::hash_password(password.as_bytes()).map_err(anyhow::Error::msg)?;
    outln!("{hash}");
    Ok(ExitCode::SUCCESS)
}

/// SIGHUP reloads, as it does for most servers.
async fn forward_sighup(triggers: mpsc::UnboundedSender<Trigger>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("Cannot listen for SIGHUP; reload with POST /reload");
            return;
        };
        while hangups.recv().await.is_some() {
            if triggers.send(Trigger::Signal).is_err() {
                break;
            }
        }
    }
    #[cfg(not(unix))]
    drop(triggers);
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_args(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        let cli = Cli::try_parse_from(args)?;
        match cli.command {
            Some(Command::Serve(args)) => Ok(args),
            None => Ok(cli.serve),
            _ => panic!("not serve: {args:?}"),
        }
    }

    #[test]
    fn bare_flowgate_takes_the_arguments_of_serve() {
        let args = serve_args(&["flowgate"]).unwrap();
        assert_eq!(args.root, PathBuf::from("."));
        assert_eq!(args.listen, None);
        let args = serve_args(&[
            "flowgate",
            "examples/order-desk",
            "--listen",
            "127.0.0.1:19222",
            "--admin-listen",
            "",
            "--log-format",
            "json",
        ])
        .unwrap();
        assert_eq!(args.root, PathBuf::from("examples/order-desk"));
        assert_eq!(
            args.listen,
            Some(ListenFlag(Some("127.0.0.1:19222".parse().unwrap())))
        );
        assert_eq!(args.admin_listen, Some(ListenFlag(None)));
        // A command's name is the command, not a root.
        let cli = Cli::try_parse_from(["flowgate", "check", "examples/order-desk"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Check { .. })));
        // Serve's flags belong to serve, not to the other commands.
        assert!(Cli::try_parse_from(["flowgate", "check", "--listen", "127.0.0.1:0"]).is_err());
    }

    #[test]
    fn an_empty_listen_flag_turns_the_listener_off() {
        let args =
            serve_args(&["flowgate", "serve", "--listen", "", "--admin-listen", ""]).unwrap();
        assert_eq!(args.listen, Some(ListenFlag(None)));
        assert_eq!(args.admin_listen, Some(ListenFlag(None)));
        let file: Option<SocketAddr> = Some("127.0.0.1:9091".parse().unwrap());
        assert_eq!(ListenFlag::or(args.admin_listen, file), None);
        assert_eq!(ListenFlag::or(None, file), file);

        let args = serve_args(&["flowgate", "serve", "--admin-listen", "127.0.0.1:19221"]).unwrap();
        assert_eq!(
            ListenFlag::or(args.admin_listen, file),
            Some("127.0.0.1:19221".parse().unwrap())
        );
        let Err(err) = serve_args(&["flowgate", "serve", "--admin-listen", "nowhere"]) else {
            panic!("`nowhere` is no address");
        };
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .contains("`nowhere` is not an IP address and port"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_since_is_a_usage_error_like_a_bad_status_or_limit() {
        for (flag, value) in [("--since", "5x"), ("--status", "fine"), ("--limit", "0")] {
            let Err(err) = Cli::try_parse_from(["flowgate", "executions", ".", flag, value]) else {
                panic!("{flag} {value} is refused");
            };
            assert_eq!(err.exit_code(), 2, "{flag} {value}: {err}");
        }
        let Err(err) = Cli::try_parse_from(["flowgate", "executions", "--since", "5x"]) else {
            unreachable!()
        };
        assert!(err.to_string().contains("`5x` is not a time"), "{err}");
        let Ok(Cli {
            command: Some(Command::Executions(args)),
            ..
        }) = Cli::try_parse_from(["flowgate", "executions", "--since", "2026-11-28T14:00:00Z"])
        else {
            panic!("an RFC 3339 time is a time");
        };
        assert_eq!(
            args.since,
            Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_874_400))
        );
    }

    #[test]
    fn a_base_url_flag_is_checked_like_the_setting() {
        let base_url =
            |url: &str| match Cli::try_parse_from(["flowgate", "wsdl", ".", "--base-url", url]) {
                Ok(Cli {
                    command: Some(Command::Wsdl(args)),
                    ..
                }) => Ok(args.base_url.unwrap()),
                Ok(_) => panic!("not wsdl"),
                Err(err) => {
                    assert_eq!(err.exit_code(), 2, "{err}");
                    Err(err.to_string())
                }
            };
        assert_eq!(
            base_url("https://api.example.com/gw/").as_deref(),
            Ok("https://api.example.com/gw")
        );
        for (url, says) in [
            ("ftp://x", "is not an http or https URL with a host"),
            ("not a url", "is not a URL"),
            ("", "the base URL is empty"),
            ("http://h/?q=1", "has a query or fragment"),
        ] {
            let err = base_url(url).unwrap_err();
            assert!(err.contains(says), "{url}: {err}");
        }
        let openapi = Cli::try_parse_from(["flowgate", "openapi", "--base-url", "ftp://x"]);
        assert!(openapi.is_err());
    }
}
