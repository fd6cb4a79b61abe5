//! The `voxgate` binary under test: an engine started with a generated configuration in its own
//! temp dir (free SIP port, free RTP range, records and recordings inside), and one-shot
//! `voxgate call` runs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::error::{HarnessError, Result};
use crate::netns::Netns;
use crate::process::{PeerProcess, Stdout, log_tail, wait_until};
use crate::{Baresip, TempDir, free_sip_port, free_udp_range};

/// RTP ports given to each engine under test.
const RTP_PORTS: u16 = 40;

/// Path of the built `voxgate` binary: `$VOXGATE_BIN`, or `voxgate` of the same cargo profile
/// (`scripts/test` builds it before the tests run).
pub fn voxgate_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("VOXGATE_BIN") {
        return bin.into();
    }
    let exe = std::env::current_exe().expect("own binary path");
    let dir = exe.parent().expect("binary folder");
    // Test binaries live in target/<profile>/deps, other binaries in target/<profile>.
    let candidates = [dir.join("voxgate"), dir.join("../voxgate")];
    candidates
        .iter()
        .find(|p| p.is_file())
        .unwrap_or(&candidates[1])
        .clone()
}

/// The Silero VAD model installed by `scripts/bootstrap` (`vad-models/fetch`).
pub fn vad_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vad-models/silero_vad_op18_ifless.onnx")
}

/// A prompt shipped in `examples/prompts/`.
pub fn example_prompt(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/prompts")
        .join(name)
}

/// A built plugin, `plugins/dist/NAME.wasm` (built by `plugins/build`, which the bootstrap
/// runs); its manifest is `NAME.toml` beside it.
pub fn plugin_wasm(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/dist")
        .join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "{} is missing: run plugins/build (scripts/bootstrap does)",
        path.display()
    );
    path
}

/// A file in `examples/flows`.
pub fn example_flow(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/flows")
        .join(name)
}

/// The `[[trunk]]` most tests use: requests from anywhere on loopback are accepted.
pub const LOOPBACK_TRUNK: &str = "[[trunk]]\nname = \"peers\"\ngateways = [\"127.0.0.1:5999\"]\nauth = \"ip\"\nallowed_networks = [\"127.0.0.0/8\"]\n";

/// An IVR `[[route]]` named `ivr` on number 1000: the example prompt `prompt`, then up to
/// `max_digits` digits ended by `#`, recorded; `extra` adds lines (goodbye, endpointing, ...).
pub fn ivr_route(prompt: &str, max_digits: usize, extra: &str) -> String {
    format!(
        "[[route]]\nname = \"ivr\"\nnumber = \"1000\"\nprompt = \"{}\"\ncollect = {{ max_digits = {max_digits}, terminator = \"#\", timeout_ms = 10000 }}\nrecord = true\n{extra}\n",
        example_prompt(prompt).display()
    )
}

/// A running `voxgate run`.
pub struct Voxgate {
    dir: TempDir,
    process: Option<PeerProcess>,
    sip_addr: SocketAddr,
    config: PathBuf,
    /// The network namespace it runs in, by name.
    netns: Option<String>,
    env: Vec<(String, String)>,
}

impl Voxgate {
    /// Write `[engine]` (free ports, paths in a temp dir) followed by `rest` (trunks, routes) and
    /// start the engine; returns once it listens.
    pub fn start(rest: &str) -> Result<Voxgate> {
        Self::start_with(None, "", rest)
    }

    /// Like [`Voxgate::start`], with extra `[engine]` lines and optionally inside `netns`.
    pub fn start_with(netns: Option<&Netns>, engine_extra: &str, rest: &str) -> Result<Voxgate> {
        Self::start_with_env(netns, engine_extra, rest, &[])
    }

    /// Like [`Voxgate::start_with`], with extra environment variables (trunk passwords).
    pub fn start_with_env(
        netns: Option<&Netns>,
        engine_extra: &str,
        rest: &str,
        env: &[(&str, &str)],
    ) -> Result<Voxgate> {
        let dir = TempDir::new("voxgate")?;
        let sip_addr = SocketAddr::from(([127, 0, 0, 1], free_sip_port()));
        let config = write_config(&dir, sip_addr, engine_extra, rest)?;
        let mut engine = Voxgate {
            dir,
            process: None,
            sip_addr,
            config,
            netns: netns.map(|ns| ns.name().to_owned()),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        engine.launch()?;
        Ok(engine)
    }

    /// Start the engine process on this engine's config and wait until it listens.
    fn launch(&mut self) -> Result<()> {
        let mut command = match &self.netns {
            Some(ns) => crate::netns::command_in(ns, voxgate_bin()),
            None => Command::new(voxgate_bin()),
        };
        command
            .arg("run")
            .arg("--config")
            .arg(&self.config)
            .env("VOXGATE_LOG", "info,voxgate=debug")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        let log = self.dir.join("voxgate.log");
        // After a restart the log holds the earlier run too: look only at what comes after it.
        let before = self.log().len();
        let process = PeerProcess::spawn("voxgate", command, &log, Stdout::ToLog, false)?;
        self.process = Some(process);
        let ready = wait_until(Duration::from_secs(15), || {
            self.log()
                .get(before..)
                .is_some_and(|l| l.contains("SIP listening"))
                || self.exited()
        });
        if !ready || self.exited() {
            return Err(HarnessError::Peer {
                peer: "voxgate",
                detail: format!("did not start\n{}", self.log()),
            });
        }
        Ok(())
    }

    /// SIGKILL the engine (a crash: nothing is flushed, nothing is cleaned up).
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill();
        }
    }

    /// Start the engine again on the same config, folder and database (after [`Voxgate::kill`]
    /// or [`Voxgate::stop`]).
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        self.launch()
    }

    /// The engine's process id (for CPU accounting), while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(PeerProcess::pid)
    }

    /// The SIP address it listens on (UDP and TCP).
    pub fn sip_addr(&self) -> SocketAddr {
        self.sip_addr
    }

    /// The generated configuration file.
    pub fn config(&self) -> &Path {
        &self.config
    }

    /// The engine's temp dir.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("voxgate.log")
    }

    fn exited(&mut self) -> bool {
        self.process
            .as_mut()
            .is_none_or(|p| matches!(p.try_exit(), Ok(Some(_))))
    }

    /// The call records written so far.
    pub fn records(&self) -> Vec<serde_json::Value> {
        read_records(&self.dir.join("calls.jsonl"))
    }

    /// Wait until at least `count` records exist.
    pub fn wait_records(&self, count: usize, timeout: Duration) -> Result<Vec<serde_json::Value>> {
        let deadline = Instant::now() + timeout;
        loop {
            let records = self.records();
            if records.len() >= count {
                return Ok(records);
            }
            if Instant::now() >= deadline {
                return Err(HarnessError::Timeout {
                    what: format!("{count} call records (have {})", records.len()),
                    waited: timeout,
                    details: format!("\n--- voxgate log ---\n{}", log_tail(&self.log_path(), 40)),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `caller` calls `number` here, waits for the answer, waits `pause`, types `digits`, and
    /// waits for voxgate to hang up; returns the call's record.
    pub fn take_call(
        &self,
        caller: &mut Baresip,
        number: &str,
        pause: Duration,
        digits: &str,
    ) -> Result<serde_json::Value> {
        let already = self.records().len();
        caller.dial(&format!("sip:{number}@{}", self.sip_addr))?;
        caller.wait_event("CALL_ESTABLISHED", Duration::from_secs(10))?;
        std::thread::sleep(pause);
        caller.send_dtmf(digits)?;
        caller.wait_event("CALL_CLOSED", Duration::from_secs(30))?;
        let mut records = self.wait_records(already + 1, Duration::from_secs(10))?;
        Ok(records.swap_remove(already))
    }

    /// SIGTERM, then wait for a clean exit; returns the exit status success.
    pub fn stop(&mut self, timeout: Duration) -> Result<bool> {
        let Some(mut process) = self.process.take() else {
            return Ok(true);
        };
        let _ = Command::new("kill")
            .args(["-TERM", &process.pid().to_string()])
            .status();
        let status = process.wait_exit(timeout)?;
        Ok(status.success())
    }
}

impl Drop for Voxgate {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- voxgate log ({}) ---\n{}",
                self.dir.path().display(),
                log_tail(&self.log_path(), 60)
            );
        }
    }
}

/// Write a configuration file for an engine on `sip_addr` into `dir`; returns its path.
pub fn write_config(
    dir: &TempDir,
    sip_addr: SocketAddr,
    engine_extra: &str,
    rest: &str,
) -> Result<PathBuf> {
    // A load test sets its own, larger `rtp_ports` in `engine_extra`.
    let rtp_line = |rtp: u16| format!("rtp_ports = \"{rtp}-{}\"\n", rtp + RTP_PORTS - 1);
    let rtp = if engine_extra.contains("rtp_ports") {
        String::new()
    } else {
        rtp_line(free_udp_range(RTP_PORTS))
    };
    let text = format!(
        "[engine]\nsip_listen = \"{sip_addr}\"\n{rtp}call_records = \"calls.jsonl\"\nrecordings_dir = \"recordings\"\nshutdown_grace_secs = 2\nvad_model = \"{}\"\n{engine_extra}\n{rest}\n",
        vad_model().display()
    );
    let path = dir.join("voxgate.toml");
    std::fs::write(&path, text).map_err(|e| HarnessError::io("writing voxgate.toml", e))?;
    Ok(path)
}

/// One `voxgate call` run.
pub struct CallRun {
    /// `outcome=` from its summary line.
    pub outcome: String,
    /// `sip_code=` from its summary line.
    pub sip_code: String,
    /// Exit code.
    pub exit_code: Option<i32>,
    /// Everything it logged (stderr).
    pub log: String,
}

/// `voxgate call --config CONFIG --trunk TRUNK --play PLAY [--record R] [--listen L] NUMBER`,
/// waited for, with its summary line parsed.
pub fn run_call(
    config: &Path,
    trunk: &str,
    number: &str,
    play: &Path,
    record: Option<&Path>,
    listen: Option<SocketAddr>,
) -> Result<CallRun> {
    let mut command = Command::new(voxgate_bin());
    command
        .args(["call", "--config"])
        .arg(config)
        .args(["--trunk", trunk, "--play"])
        .arg(play);
    if let Some(r) = record {
        command.arg("--record").arg(r);
    }
    if let Some(l) = listen {
        command.arg("--listen").arg(l.to_string());
    }
    command.arg(number).stdin(Stdio::null());
    let output: Output = command
        .output()
        .map_err(|e| HarnessError::io("running voxgate call", e))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    let field = |name: &str| {
        stdout
            .split_whitespace()
            .find_map(|w| w.strip_prefix(name).map(str::to_owned))
            .unwrap_or_default()
    };
    Ok(CallRun {
        outcome: field("outcome="),
        sip_code: field("sip_code="),
        exit_code: output.status.code(),
        log,
    })
}

/// Parse a JSON-lines record file (missing file: no records).
pub fn read_records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("call record is JSON"))
        .collect()
}
