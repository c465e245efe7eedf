//! The `flowgate` command: argument parsing and wiring; the work is in the library.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use flowgate::compile::{Compilation, compile_root};
use flowgate::server::{self, Gateway};
use flowgate::{logging, report};

/// Declarative integration processes served as web services.
///
/// A config root (flowgate.toml, processes/, profiles/, certs/) is compiled
/// into one snapshot and served on a shared HTTP listener. Without a command,
/// flowgate serves the current directory.
#[derive(Parser)]
#[command(name = "flowgate", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

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
}

#[derive(clap::Args, Default)]
struct ServeArgs {
    /// The config root.
    #[arg(default_value = ".")]
    root: PathBuf,
    /// Listen here instead of `[server] listen` (use port 0 for any free port).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log_guard = logging::init(match cli.log_format {
        LogFormat::Text => logging::LogFormat::Text,
        LogFormat::Json => logging::LogFormat::Json,
    });
    let result = match cli.command {
        None => serve(ServeArgs {
            root: PathBuf::from("."),
            listen: None,
        }),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Check { root, format }) => Ok(check(&root, format)),
        Some(Command::Routes { root }) => Ok(routes(&root)),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
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
                Some(snapshot) => println!(
                    "ok: {} processes, {} routes ({})",
                    snapshot.processes.len(),
                    snapshot.routes.entries().len(),
                    compilation.diagnostics.summary()
                ),
                None => eprintln!("failed: {}", compilation.diagnostics.summary()),
            }
        }
        CheckFormat::Json => {
            let report =
                report::CheckReport::new(compilation.snapshot.as_ref(), &compilation.diagnostics);
            match serde_json::to_string_pretty(&report) {
                Ok(json) => println!("{json}"),
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
            print!("{}", report::routes_table(&snapshot));
            ExitCode::SUCCESS
        }
        None => ExitCode::FAILURE,
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let compilation = compiled(&args.root);
    let Some(snapshot) = compilation.snapshot else {
        eprintln!(
            "failed: {}; nothing is served",
            compilation.diagnostics.summary()
        );
        return Ok(ExitCode::FAILURE);
    };
    let addr = args
        .listen
        .or(snapshot.settings.listen)
        .context("no listener: `[server] listen` is empty and no --listen was given")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = server::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener
            .local_addr()
            .context("cannot read the bound address")?;
        let processes = snapshot.processes.len();
        let gateway = Gateway::new(snapshot);
        tracing::info!(address = %local, processes, root = %args.root.display(), "Serving");
        // One line on stdout that scripts and tests can wait for.
        println!("flowgate listening on http://{local}");
        std::io::stdout()
            .flush()
            .context("cannot write to stdout")?;
        server::serve(gateway, listener, shutdown_signal()).await;
        Ok(ExitCode::SUCCESS)
    })
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
