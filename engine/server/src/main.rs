//! `voxgate`: the engine binary.

mod config;
mod dialogue;
mod engine;
mod http;
mod media;
mod plugin_cli;
mod recording;
mod records;
mod simulate;
mod sip_io;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::config::{Config, DialoguePlugin};
use crate::engine::{CallDialogue, Engine};

/// voxgate: telephony media engine for voice-bot call campaigns.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve SIP on UDP and TCP and answer inbound calls per route.
    Run {
        /// The engine configuration.
        #[arg(long, default_value = "voxgate.toml")]
        config: PathBuf,
    },
    /// Place one outbound test call, play a WAV file, and print the outcome.
    Call {
        /// The engine configuration (for the trunk).
        #[arg(long, default_value = "voxgate.toml")]
        config: PathBuf,
        /// Trunk to call through.
        #[arg(long)]
        trunk: String,
        /// WAV file to play once answered.
        #[arg(long, required_unless_present = "plugin", conflicts_with = "plugin")]
        play: Option<PathBuf>,
        /// A dialogue plugin runs the call instead.
        #[arg(long)]
        plugin: Option<PathBuf>,
        /// The flow file for the plugin (e.g. with plugins/dist/flow.wasm).
        #[arg(long, requires = "plugin")]
        flow: Option<PathBuf>,
        /// Record the call to this stereo WAV file.
        #[arg(long)]
        record: Option<PathBuf>,
        /// Local SIP address for this call (default: the advertised address, any port).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Number to dial (the trunk's dial prefix is added).
        number: String,
    },
    /// Validate configuration and flow files; print every error as file:line:column.
    Check {
        /// Files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Try a dialogue plugin in the terminal: type what the callee says, see what the bot does.
    Simulate {
        /// The dialogue plugin (`.wasm`, manifest beside it).
        #[arg(long)]
        plugin: PathBuf,
        /// The flow file the plugin interprets.
        #[arg(long)]
        flow: Option<PathBuf>,
        /// Replay callee input from this file (one turn per line) instead of the terminal.
        #[arg(long)]
        script: Option<PathBuf>,
        /// A call variable, `name=value` (repeatable).
        #[arg(long = "var", value_parser = parse_variable)]
        variables: Vec<(String, String)>,
        /// The callee's number.
        #[arg(long, default_value = "13800138000")]
        callee: String,
    },
    /// Create or build a plugin crate.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Write a ready plugin crate whose test passes.
    New {
        /// Crate and plugin name (lower case, digits, dashes).
        name: String,
        /// Which kind of plugin.
        #[arg(long, value_enum, default_value = "dialogue")]
        kind: plugin_cli::Kind,
        /// Where to create it.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// The voxgate source tree (for sdk/rust and sdk/testkit).
        #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))]
        sdk: PathBuf,
    },
    /// Build the plugin crate in DIR for wasm32-wasip2 into DIR/dist.
    Build {
        /// The plugin crate.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

fn parse_variable(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{text}`: expected name=value"))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VOXGATE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Check { files } => check(&files),
        Command::Simulate {
            plugin,
            flow,
            script,
            variables,
            callee,
        } => simulate(
            &plugin,
            flow.as_deref(),
            script.as_deref(),
            &variables,
            &callee,
        ),
        Command::Plugin { command } => plugin_command(command),
        Command::Run { config } => with_runtime(run(config)),
        Command::Call {
            config,
            trunk,
            play,
            plugin,
            flow,
            record,
            listen,
            number,
        } => {
            let dialogue = match (play, plugin) {
                (Some(play), _) => CallDialogue::Prompt(play),
                (None, Some(plugin)) => CallDialogue::Plugin(DialoguePlugin { plugin, flow }),
                (None, None) => unreachable!("clap requires --play or --plugin"),
            };
            with_runtime(call(config, trunk, dialogue, record, listen, number))
        }
    }
}

fn with_runtime(job: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(job),
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            ExitCode::from(2)
        }
    }
}

fn check(files: &[PathBuf]) -> ExitCode {
    let mut failed = false;
    for file in files {
        if config::is_flow_file(file) {
            let issues = config::flow_issues(file);
            if issues.is_empty() {
                println!("{}: ok (flow)", file.display());
            }
            for issue in &issues {
                eprintln!("error: {issue}");
            }
            failed |= !issues.is_empty();
            continue;
        }
        match Config::load(file) {
            Ok(c) => println!(
                "{}: ok ({} trunks, {} routes)",
                file.display(),
                c.trunks.len(),
                c.routes.len()
            ),
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn simulate(
    plugin: &std::path::Path,
    flow: Option<&std::path::Path>,
    script: Option<&std::path::Path>,
    variables: &[(String, String)],
    callee: &str,
) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let result = match script {
        Some(path) => match std::fs::File::open(path) {
            Ok(file) => simulate::run(
                plugin,
                flow,
                variables,
                callee,
                std::io::BufReader::new(file),
                &mut out,
            ),
            Err(e) => Err(std::io::Error::other(format!("{}: {e}", path.display()))),
        },
        None => simulate::run(
            plugin,
            flow,
            variables,
            callee,
            std::io::stdin().lock(),
            &mut out,
        ),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn plugin_command(command: PluginCommand) -> ExitCode {
    let result = match command {
        PluginCommand::New {
            name,
            kind,
            dir,
            sdk,
        } => plugin_cli::new(&name, kind, &dir, &sdk).map(|root| {
            println!(
                "created {}: `cd {0} && voxgate plugin build && cargo test`",
                root.display()
            )
        }),
        PluginCommand::Build { dir } => {
            plugin_cli::build(&dir).map(|wasm| println!("built {}", wasm.display()))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn load(path: &std::path::Path) -> Option<Arc<Config>> {
    match Config::load(path) {
        Ok(c) => Some(Arc::new(c)),
        Err(e) => {
            eprintln!("{e}");
            None
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn run(config_path: PathBuf) -> ExitCode {
    let Some(config) = load(&config_path) else {
        return ExitCode::from(2);
    };
    let mut engine = match Engine::start(config.clone(), config.engine.sip_listen).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = engine.preload() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if let Err(e) = engine.register_trunks() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    // Only now, with prompts decoded and secrets found, is the engine ready.
    tracing::info!(address = %engine.local_addr(), "SIP listening on UDP and TCP");
    let records = engine.run(shutdown_signal(), false).await;
    tracing::info!(calls = records.len(), "stopped");
    ExitCode::SUCCESS
}

async fn call(
    config_path: PathBuf,
    trunk: String,
    dialogue: CallDialogue,
    record: Option<PathBuf>,
    listen: Option<SocketAddr>,
    number: String,
) -> ExitCode {
    let Some(config) = load(&config_path) else {
        return ExitCode::from(2);
    };
    let Some(trunk) = config.trunk(&trunk).cloned() else {
        let names: Vec<&str> = config.trunks.iter().map(|t| t.name.as_str()).collect();
        eprintln!(
            "error: no trunk `{trunk}` in {}; trunks: {}",
            config_path.display(),
            names.join(", ")
        );
        return ExitCode::from(2);
    };
    let listen = listen.unwrap_or(SocketAddr::new(config.engine.advertised_ip, 0));
    let mut engine = match Engine::start(config.clone(), listen).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = engine.dial(&trunk, &number, dialogue, record) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let records = engine.run(shutdown_signal(), true).await;
    let Some(r) = records.first() else {
        eprintln!("error: the call left no record");
        return ExitCode::from(2);
    };
    let outcome = r
        .outcome
        .map(|o| {
            serde_json::to_value(o)
                .unwrap_or_default()
                .as_str()
                .unwrap_or("unknown")
                .to_owned()
        })
        .unwrap_or_else(|| "unknown".into());
    println!(
        "outcome={outcome} sip_code={} reason={:?} ring_ms={} talk_ms={} call_id={}",
        r.sip_code.map_or("-".into(), |c| c.to_string()),
        r.sip_reason.clone().unwrap_or_default(),
        r.ring_ms.unwrap_or(0),
        r.talk_ms.unwrap_or(0),
        r.call_id
    );
    if r.outcome == Some(voxgate_call::Outcome::Answered) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
