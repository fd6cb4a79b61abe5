//! `voxgate`: the engine binary.

mod api;
mod campaign_cli;
mod campaigns;
mod config;
mod dialogue;
mod engine;
mod http;
mod media;
mod metrics;
mod outbox;
mod plugin_cli;
mod post_call;
mod recording;
mod records;
mod simulate;
mod sip_io;
mod speech;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::campaigns::CampaignService;
use crate::config::{Config, DialoguePlugin};
use crate::engine::{CallDialogue, DialRequest, Engine};
use crate::http::HttpClient;
use crate::metrics::Metrics;
use crate::post_call::PostCall;

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
    /// Run campaigns through the engine's HTTP API: list, load, start, pause, import, ...
    Campaign(campaign_cli::CampaignArgs),
    /// Print the JSON Schema of campaign files (for editors: e.g. taplo or VS Code's Even Better
    /// TOML with `#:schema ./campaign.schema.json`).
    Schema,
    /// Validate configuration, campaign and flow files; print every error as file:line:column.
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
    /// A simulated carrier and callees on loopback, to rehearse a campaign before it goes live:
    /// per number a persona (ring time, outcome, early media, a spoken conversation).
    SimCarrier {
        /// The persona file (format: engine/sim-carrier/PERSONAS.md).
        #[arg(long)]
        persona: PathBuf,
        /// Append one JSON line per finished call to this file.
        #[arg(long)]
        journal: Option<PathBuf>,
        /// The Silero VAD model it hears the bot with.
        #[arg(long, default_value = "vad-models/silero_vad_op18_ifless.onnx")]
        vad_model: PathBuf,
        /// Listen on this address instead of the file's `[carrier] listen`.
        #[arg(long)]
        listen: Option<SocketAddr>,
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
        Command::Campaign(args) => with_runtime(campaign_cli::run(args)),
        Command::Schema => {
            let schema = voxgate_campaign::spec::campaign_json_schema();
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
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
        Command::SimCarrier {
            persona,
            journal,
            vad_model,
            listen,
        } => {
            let mut options = voxgate_sim_carrier::SimCarrierOptions::new(persona, vad_model);
            options.journal = journal;
            options.listen = listen;
            with_runtime(sim_carrier(options))
        }
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
        if config::is_persona_file(file) {
            match voxgate_sim_carrier::load_personas(file) {
                Ok(p) => println!(
                    "{}: ok (sim-carrier, {} personas)",
                    file.display(),
                    p.personas.len()
                ),
                Err(e) => {
                    eprintln!("{e}");
                    failed = true;
                }
            }
            continue;
        }
        if config::is_campaign_file(file) {
            match voxgate_campaign::spec::load_campaign(file) {
                Ok(c) => println!(
                    "{}: ok (campaign `{}` on trunk `{}`, {} number lists)",
                    file.display(),
                    c.name,
                    c.trunk,
                    c.numbers.len()
                ),
                Err(e) => {
                    eprintln!("{e}");
                    failed = true;
                }
            }
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

/// `voxgate sim-carrier`: the callees speak through espeak-ng (the embedded synthesiser).
async fn sim_carrier(options: voxgate_sim_carrier::SimCarrierOptions) -> ExitCode {
    let tts = voxgate_speech::config::TtsConfig::default();
    let synth = match voxgate_speech::config::build_synthesizer(&tts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match voxgate_sim_carrier::run(options, synth, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
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
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    };
    let service = match start_campaigns(&config, &config_path, &mut engine, stopped.clone()).await {
        Ok(service) => service,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // Only now, with prompts decoded, secrets found and the API up, is the engine ready.
    tracing::info!(address = %engine.local_addr(), "SIP listening on UDP and TCP");
    let _ = engine.run(stopped(), false).await;
    // The engine is gone, so is the service's link: it records the last ends and stops.
    let _ = service.await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

/// Start the campaign service, the webhook outbox and (when configured) the HTTP API; returns
/// the service's task.
async fn start_campaigns<F>(
    config: &Arc<Config>,
    config_path: &Path,
    engine: &mut Engine,
    stopped: impl Fn() -> F + Send + 'static,
) -> Result<tokio::task::JoinHandle<()>, String>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let metrics = Arc::new(Metrics::default());
    let host = engine.plugin_host();
    let outbox_wake = Arc::new(tokio::sync::Notify::new());
    let config_dir = config_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let (service, handle) = CampaignService::start(
        config.clone(),
        config_dir,
        engine.campaign_link(),
        metrics.clone(),
        outbox_wake.clone(),
        PostCall::new(Arc::new(host.clone()), HttpClient::new()),
    )?;
    let open = || {
        voxgate_store::Store::open(&config.engine.database)
            .map(|s| Arc::new(std::sync::Mutex::new(s)))
            .map_err(|e| format!("database {}: {e}", config.engine.database.display()))
    };
    tokio::spawn(outbox::deliver(open()?, outbox_wake, metrics.clone()));
    let faults = metrics.clone();
    tokio::spawn(async move {
        loop {
            faults.set_plugin_faults(host.fault_counts());
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
    });
    if let Some(api) = &config.api {
        let token = std::env::var(&api.token_env).map_err(|_| {
            format!(
                "[api] token_env: environment variable {} is not set; set it to the bearer token API clients must send",
                api.token_env
            )
        })?;
        let listener = tokio::net::TcpListener::bind(api.listen)
            .await
            .map_err(|e| format!("cannot listen for the API on {}: {e}", api.listen))?;
        let state = api::ApiState::new(
            handle,
            open()?,
            metrics,
            config.engine.recordings_dir.clone(),
            token,
        );
        let shutdown = stopped();
        tokio::spawn(async move {
            if let Err(e) = api::serve(listener, state, shutdown).await {
                tracing::error!("API server: {e}");
            }
        });
        tracing::info!(address = %api.listen, "HTTP API listening");
    }
    Ok(tokio::spawn(service.run(stopped())))
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
    let request = DialRequest {
        recording: record,
        ..DialRequest::new(trunk, number, dialogue)
    };
    if let Err(e) = engine.dial(request) {
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
