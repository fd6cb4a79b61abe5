//! PyVoIP 1.6.8 as a callee: `tests/peers/pyvoip_callee.py` run by the bootstrap venv.
//!
//! PyVoIP sends every SIP message to its configured "server" instead of the request's Via,
//! so the caller's SIP address must be known up front ([`PyVoipOptions::new`]). It answers
//! about 1 s after the INVITE, handles only PCMU/PCMA and cannot send DTMF.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::{HarnessError, Result};
use crate::peers::{peers_dir, venv_python};
use crate::ports::{free_udp_port, free_udp_range};
use crate::process::{PeerProcess, Stdout};
use crate::tempdir::TempDir;
use crate::wav::Wav;

/// Settings for [`PyVoip::start`].
#[derive(Debug, Clone)]
pub struct PyVoipOptions {
    /// The caller's SIP address: PyVoIP answers there, whatever the Via says.
    pub caller: SocketAddr,
    /// Seconds the call lasts before PyVoIP hangs up (if the caller has not).
    pub hold: Duration,
    /// 8 kHz mono WAV PyVoIP plays into the call.
    pub play: Option<PathBuf>,
    /// How long to wait for the INVITE before giving up (exit status 2).
    pub wait: Duration,
}

impl PyVoipOptions {
    /// Answers calls from `caller`, holds them 5 s, plays nothing, waits 30 s for a call.
    pub fn new(caller: SocketAddr) -> PyVoipOptions {
        PyVoipOptions {
            caller,
            hold: Duration::from_secs(5),
            play: None,
            wait: Duration::from_secs(30),
        }
    }

    /// Sets how long the call lasts.
    pub fn hold(mut self, hold: Duration) -> PyVoipOptions {
        self.hold = hold;
        self
    }

    /// Plays this WAV to the caller.
    pub fn play(mut self, wav: impl Into<PathBuf>) -> PyVoipOptions {
        self.play = Some(wav.into());
        self
    }
}

/// A running PyVoIP callee, killed on drop.
#[derive(Debug)]
pub struct PyVoip {
    process: PeerProcess,
    dir: TempDir,
    sip_port: u16,
}

impl PyVoip {
    /// Starts the callee and waits until it listens.
    pub fn start(options: PyVoipOptions) -> Result<PyVoip> {
        let dir = TempDir::new("pyvoip")?;
        let sip_port = free_udp_port();
        let rtp_low = free_udp_range(20);
        let mut command = Command::new(venv_python());
        command
            .arg(peers_dir().join("pyvoip_callee.py"))
            .args(["--sip-port", &sip_port.to_string()])
            .args(["--peer", &options.caller.to_string()])
            .args(["--rtp-low", &rtp_low.to_string()])
            .args(["--rtp-high", &(rtp_low + 19).to_string()])
            .arg("--record")
            .arg(dir.join("heard.wav"))
            .args(["--hold", &options.hold.as_secs_f64().to_string()])
            .args(["--wait", &options.wait.as_secs_f64().to_string()]);
        if let Some(play) = &options.play {
            command.arg("--play").arg(play);
        }
        let log = dir.join("pyvoip.log");
        let mut process = PeerProcess::spawn("pyvoip", command, &log, Stdout::Lines, false)?;
        process.wait_line("READY", Duration::from_secs(15), |l| l.starts_with("READY"))?;
        Ok(PyVoip {
            process,
            dir,
            sip_port,
        })
    }

    /// The SIP port (UDP, 127.0.0.1).
    pub fn sip_port(&self) -> u16 {
        self.sip_port
    }

    /// `sip:pyvoip@127.0.0.1:<port>` (any user is accepted).
    pub fn uri(&self) -> String {
        format!("sip:pyvoip@127.0.0.1:{}", self.sip_port)
    }

    /// The SIP address.
    pub fn sip_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.sip_port))
    }

    /// Waits for a progress line starting with `prefix`: `INCOMING`, `ANSWERED`, `CLOSED`,
    /// `SAVED` (see the script's docs).
    pub fn wait_line(&mut self, prefix: &str, timeout: Duration) -> Result<String> {
        self.process
            .wait_line(prefix, timeout, |line| line.starts_with(prefix))
    }

    /// Waits for the call to end and PyVoIP to exit, then reads what it heard (8 kHz mono).
    pub fn finish(&mut self, timeout: Duration) -> Result<Wav> {
        let status = self.process.wait_exit(timeout)?;
        if !status.success() {
            return Err(HarnessError::Peer {
                peer: "pyvoip",
                detail: format!("exited with {status}\n{}", self.process.log_tail(30)),
            });
        }
        Wav::read(self.recording_path())
    }

    /// Where the recording is written.
    pub fn recording_path(&self) -> PathBuf {
        self.dir.join("heard.wav")
    }

    /// The working directory (log, recording).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}
