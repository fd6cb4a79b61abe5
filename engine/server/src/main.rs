//! `voxgate`: the engine binary.

mod config;
mod engine;
mod media;
mod recording;
mod records;
mod sip_io;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::engine::Engine;

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
        #[arg(long)]
        play: PathBuf,
        /// Record the call to this stereo WAV file.
        #[arg(long)]
        record: Option<PathBuf>,
        /// Local SIP address for this call (default: the advertised address, any port).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Number to dial (the trunk's dial prefix is added).
        number: String,
    },
    /// Validate configuration files; print every error as file:line:column.
    Check {
        /// Files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
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
        Command::Run { config } => with_runtime(run(config)),
        Command::Call {
            config,
            trunk,
            play,
            record,
            listen,
            number,
        } => with_runtime(call(config, trunk, play, record, listen, number)),
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
    if let Err(e) = engine.preload_prompts() {
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
    play: PathBuf,
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
    if let Err(e) = engine.dial(&trunk, &number, play, record) {
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
