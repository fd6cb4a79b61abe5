//! The demo campaign (`examples/demo/`) run for real: `voxgate sim-carrier` with the demo's
//! personas, `voxgate run` with the demo's engine configuration (embedded Whisper, espeak-ng,
//! the flow plugin), the campaign started through the HTTP API and followed until it finished.
//! Shared by the `demo` binary (which prints a report) and the end-to-end test (which checks it).
//!
//! The example files are the templates: their addresses and paths are rewritten for the run's
//! folder and ports, so the demo and the test run exactly what `examples/demo/` says.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::process::{PeerProcess, Stdout, wait_until};
use crate::voxgate::{vad_model, voxgate_bin};
use crate::{HarnessError, Result, api};

/// The bearer token the demo's API takes.
pub const DEMO_TOKEN: &str = "voxgate-demo";
/// The demo campaign's id.
pub const CAMPAIGN: &str = "demo";

/// Where a demo run writes and which loopback ports it uses.
#[derive(Debug, Clone)]
pub struct DemoSetup {
    /// Everything the run writes goes here (configs, database, recordings, logs, journal).
    pub dir: PathBuf,
    /// The engine's SIP address.
    pub sip: SocketAddr,
    /// The HTTP API's address.
    pub api: SocketAddr,
    /// The simulated carrier's SIP address.
    pub carrier: SocketAddr,
    /// First of 1000 RTP ports for the engine.
    pub engine_rtp: u16,
    /// First of 1000 RTP ports for the carrier.
    pub carrier_rtp: u16,
}

impl DemoSetup {
    /// The ports the example files name, writing to `dir`.
    pub fn example_ports(dir: PathBuf) -> Self {
        Self {
            dir,
            sip: SocketAddr::from(([127, 0, 0, 1], 5070)),
            api: SocketAddr::from(([127, 0, 0, 1], 8089)),
            carrier: SocketAddr::from(([127, 0, 0, 1], 5090)),
            engine_rtp: 21000,
            carrier_rtp: 32000,
        }
    }
}

/// What a finished demo campaign left.
#[derive(Debug)]
pub struct DemoResult {
    /// `GET /campaigns/demo/stats`.
    pub stats: Value,
    /// Every record (`GET /records?campaign=demo`), with its rounds (`GET /records/{id}`).
    pub records: Vec<Value>,
    /// The simulated carrier's journal, one JSON object per call.
    pub journal: Vec<Value>,
    /// How long the campaign ran.
    pub elapsed: Duration,
}

/// The running processes of a demo.
pub struct Demo {
    setup: DemoSetup,
    carrier: PeerProcess,
    engine: PeerProcess,
}

/// The repository's root.
pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

fn example(name: &str) -> Result<String> {
    let path = repo_root().join("examples/demo").join(name);
    std::fs::read_to_string(&path)
        .map_err(|e| HarnessError::io(format!("reading {}", path.display()), e))
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))
}

fn rewrite(text: &str, pairs: &[(&str, String)]) -> Result<String> {
    let mut out = text.to_owned();
    for (from, to) in pairs {
        if !out.contains(from) {
            return Err(HarnessError::Peer {
                peer: "demo",
                detail: format!("the example file no longer contains `{from}`"),
            });
        }
        out = out.replace(from, to);
    }
    Ok(out)
}

impl Demo {
    /// Write the run's configuration, start the simulated carrier and the engine, and wait until
    /// both listen.
    pub fn start(setup: DemoSetup) -> Result<Demo> {
        let root = repo_root();
        let dir = &setup.dir;
        std::fs::create_dir_all(dir)
            .map_err(|e| HarnessError::io(format!("creating {}", dir.display()), e))?;
        let r = |p: &str| root.join(p).display().to_string();
        let examples = root.join("examples");
        let config = rewrite(
            &example("voxgate.toml")?,
            &[
                ("127.0.0.1:5070", setup.sip.to_string()),
                (
                    "21000-21999",
                    format!("{}-{}", setup.engine_rtp, setup.engine_rtp + 999),
                ),
                ("127.0.0.1:5090", setup.carrier.to_string()),
                ("127.0.0.1:8089", setup.api.to_string()),
                ("../../.voxgate/demo", dir.display().to_string()),
                ("../../vad-models", r("vad-models")),
                ("../../whisper-models", r("whisper-models")),
            ],
        )?;
        let campaign = rewrite(
            &example("campaign.toml")?,
            &[
                ("../../plugins/dist", r("plugins/dist")),
                (
                    "../flows/",
                    format!("{}/", examples.join("flows").display()),
                ),
                (
                    "../prompts/",
                    format!("{}/", examples.join("prompts").display()),
                ),
                (
                    "\"numbers.csv\"",
                    format!("\"{}\"", examples.join("demo/numbers.csv").display()),
                ),
            ],
        )?;
        let personas = rewrite(
            &example("personas.toml")?,
            &[
                ("127.0.0.1:5090", setup.carrier.to_string()),
                (
                    "[32000, 32999]",
                    format!("[{}, {}]", setup.carrier_rtp, setup.carrier_rtp + 999),
                ),
            ],
        )?;
        write(&dir.join("voxgate.toml"), &config)?;
        write(&dir.join("campaign.toml"), &campaign)?;
        write(&dir.join("personas.toml"), &personas)?;

        let mut command = Command::new(voxgate_bin());
        command
            .arg("sim-carrier")
            .arg("--persona")
            .arg(dir.join("personas.toml"))
            .arg("--journal")
            .arg(dir.join("sim-journal.jsonl"))
            .arg("--vad-model")
            .arg(vad_model())
            .env("VOXGATE_LOG", "info");
        let carrier_log = dir.join("sim-carrier.log");
        let carrier =
            PeerProcess::spawn("sim-carrier", command, &carrier_log, Stdout::ToLog, false)?;
        wait_for_log(
            &carrier_log,
            "sim-carrier listening",
            Duration::from_secs(60),
        )?;

        let mut command = Command::new(voxgate_bin());
        command
            .arg("run")
            .arg("--config")
            .arg(dir.join("voxgate.toml"))
            .env("VOXGATE_API_TOKEN", DEMO_TOKEN)
            .env("VOXGATE_LOG", "info,voxgate::media=debug");
        let engine_log = dir.join("voxgate.log");
        let engine = PeerProcess::spawn("voxgate", command, &engine_log, Stdout::ToLog, false)?;
        wait_for_log(&engine_log, "SIP listening", Duration::from_secs(60))?;
        let api_up = wait_until(Duration::from_secs(30), || {
            api::get(setup.api, DEMO_TOKEN, "/healthz").is_ok_and(|r| r.status == 200)
        });
        if !api_up {
            return Err(HarnessError::Timeout {
                what: format!("the HTTP API on {}", setup.api),
                waited: Duration::from_secs(30),
                details: crate::process::log_tail(&engine_log, 30),
            });
        }
        Ok(Demo {
            setup,
            carrier,
            engine,
        })
    }

    /// The run's folder.
    pub fn dir(&self) -> &Path {
        &self.setup.dir
    }

    /// The API's address.
    pub fn api(&self) -> SocketAddr {
        self.setup.api
    }

    /// Start the campaign, wait (up to `timeout`) until it has finished, and collect its results.
    pub fn run_campaign(&mut self, timeout: Duration) -> Result<DemoResult> {
        let started = Instant::now();
        let path = format!("/campaigns/{CAMPAIGN}/start");
        let response = api::post(self.setup.api, DEMO_TOKEN, &path, "application/json", b"")?;
        if response.status != 200 {
            return Err(self.failure(format!(
                "starting the campaign: {}",
                String::from_utf8_lossy(&response.body)
            )));
        }
        let mut status = String::new();
        let finished = wait_until(timeout, || {
            let path = format!("/campaigns/{CAMPAIGN}");
            status = api::get(self.setup.api, DEMO_TOKEN, &path)
                .map(|r| r.json()["status"].as_str().unwrap_or_default().to_owned())
                .unwrap_or_default();
            status == "finished"
        });
        if !finished {
            return Err(self.failure(format!(
                "the campaign did not finish within {timeout:?} (status {status})"
            )));
        }
        let elapsed = started.elapsed();
        let stats = self.get(&format!("/campaigns/{CAMPAIGN}/stats"))?;
        let list = self.get(&format!("/records?campaign={CAMPAIGN}&limit=1000"))?;
        let mut records = Vec::new();
        for r in list["records"].as_array().into_iter().flatten() {
            let id = r["attempt"].as_u64().unwrap_or_default();
            records.push(self.get(&format!("/records/{id}"))?);
        }
        // The carrier journals a call once its last packet is handled: give it a moment.
        let journal_path = self.setup.dir.join("sim-journal.jsonl");
        let expected = records.len();
        wait_until(Duration::from_secs(10), || {
            read_journal(&journal_path).len() >= expected
        });
        Ok(DemoResult {
            stats,
            records,
            journal: read_journal(&journal_path),
            elapsed,
        })
    }

    fn get(&self, path: &str) -> Result<Value> {
        let response = api::get(self.setup.api, DEMO_TOKEN, path)?;
        if response.status != 200 {
            return Err(self.failure(format!(
                "GET {path}: {}",
                String::from_utf8_lossy(&response.body)
            )));
        }
        Ok(response.json())
    }

    fn failure(&self, detail: String) -> HarnessError {
        HarnessError::Peer {
            peer: "demo",
            detail: format!(
                "{detail}\n--- voxgate log tail ---\n{}\n--- sim-carrier log tail ---\n{}",
                self.engine.log_tail(40),
                self.carrier.log_tail(20)
            ),
        }
    }

    /// Stop both processes.
    pub fn stop(mut self) {
        self.engine.kill();
        self.carrier.kill();
    }
}

fn wait_for_log(path: &Path, needle: &str, timeout: Duration) -> Result<()> {
    let ready = wait_until(timeout, || {
        std::fs::read_to_string(path).is_ok_and(|log| log.contains(needle))
    });
    if ready {
        Ok(())
    } else {
        Err(HarnessError::Timeout {
            what: format!("`{needle}` in {}", path.display()),
            waited: timeout,
            details: crate::process::log_tail(path, 30),
        })
    }
}

fn read_journal(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
