//! baresip 1.0 as a scripted SIP user agent, driven through its ctrl_tcp interface.
//!
//! Each instance gets its own config directory (temp dir), SIP port, ctrl port and RTP range.
//! It plays an 8 kHz mono WAV (`aufile`) and records both directions with `sndfile`
//! (`dump-<time>-dec.wav` = what it heard, `-enc.wav` = what it sent). Quirks: incoming calls
//! whose request-URI user is not the account user are answered 404; a call ends by itself
//! (`CALL_CLOSED` with param `end of file`) when the input WAV ends.

mod config;
mod ctrl;

use std::collections::VecDeque;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

pub use ctrl::{BaresipEvent, CtrlMessage, NetstringReader};

use crate::error::{HarnessError, Result};
use crate::netns::{Netns, command_in};
use crate::ports::{free_sip_port, free_tcp_port, free_udp_range};
use crate::process::{PeerProcess, Stdout, wait_until};
use crate::tempdir::TempDir;
use crate::wav::Wav;

/// How long a ctrl command may take to be answered.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);
/// How long baresip may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How baresip treats incoming calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerMode {
    /// Ring (`CALL_INCOMING`) until [`Baresip::answer`].
    Manual,
    /// Answer at once. No `CALL_INCOMING` event is reported in this mode.
    Auto,
}

/// Settings for [`Baresip::start`].
#[derive(Debug, Clone)]
pub struct BaresipOptions {
    /// Account user; incoming calls to any other user get 404. Default `baresip`.
    pub user: String,
    /// The WAV baresip sends (8 kHz mono 16-bit). The call ends when it ends.
    pub input_wav: PathBuf,
    /// Default [`AnswerMode::Manual`].
    pub answer_mode: AnswerMode,
    /// baresip `audio_codecs` account parameter. Default `pcmu,pcma`.
    pub audio_codecs: String,
    /// Run inside this network namespace (see [`Netns`]).
    pub netns: Option<String>,
}

impl BaresipOptions {
    /// Defaults with the given input WAV.
    pub fn new(input_wav: impl Into<PathBuf>) -> BaresipOptions {
        BaresipOptions {
            user: "baresip".into(),
            input_wav: input_wav.into(),
            answer_mode: AnswerMode::Manual,
            audio_codecs: "pcmu,pcma".into(),
            netns: None,
        }
    }

    /// Sets the answer mode.
    pub fn answer_mode(mut self, mode: AnswerMode) -> BaresipOptions {
        self.answer_mode = mode;
        self
    }

    /// Sets the account user.
    pub fn user(mut self, user: impl Into<String>) -> BaresipOptions {
        self.user = user.into();
        self
    }

    /// Sets the offered/accepted codecs, e.g. `pcma` or `pcmu`.
    pub fn audio_codecs(mut self, codecs: impl Into<String>) -> BaresipOptions {
        self.audio_codecs = codecs.into();
        self
    }

    /// Runs baresip inside `netns`, which must outlive the [`Baresip`].
    pub fn in_netns(mut self, netns: &Netns) -> BaresipOptions {
        self.netns = Some(netns.name().to_string());
        self
    }
}

/// A running baresip. Killed (with its ctrl relay, if any) on drop.
pub struct Baresip {
    options: BaresipOptions,
    dir: TempDir,
    sip_port: u16,
    writer: Box<dyn Write + Send>,
    messages: Receiver<CtrlMessage>,
    pending: VecDeque<BaresipEvent>,
    history: Vec<BaresipEvent>,
    next_token: u32,
    /// Keeps the netns ctrl relay alive; killed on drop like `process`.
    _relay: Option<PeerProcess>,
    process: PeerProcess,
}

impl Baresip {
    /// Writes a config, starts baresip and connects to its ctrl_tcp socket.
    pub fn start(options: BaresipOptions) -> Result<Baresip> {
        let dir = TempDir::new("baresip")?;
        let sip_port = free_sip_port();
        let ctrl_port = free_tcp_port();
        let rtp_base = free_udp_range(config::RTP_PORTS);
        std::fs::create_dir_all(dir.join("recordings"))
            .map_err(|e| HarnessError::io("creating recordings dir", e))?;
        let config = config::config_text(
            &options,
            &dir.join("recordings"),
            sip_port,
            ctrl_port,
            rtp_base,
        );
        write(&dir.join("config"), &config)?;
        write(
            &dir.join("accounts"),
            &config::account_line(&options, sip_port),
        )?;

        let mut command = match &options.netns {
            Some(name) => command_in(name, "baresip"),
            None => Command::new("baresip"),
        };
        command.arg("-f").arg(dir.path());
        let log = dir.join("baresip.log");
        let mut process = PeerProcess::spawn("baresip", command, &log, Stdout::ToLog, false)?;
        let ready = wait_until(START_TIMEOUT, || {
            std::fs::read_to_string(&log).is_ok_and(|text| text.contains("baresip is ready"))
                || matches!(process.try_exit(), Ok(Some(_)))
        });
        if !ready || matches!(process.try_exit(), Ok(Some(_))) {
            return Err(HarnessError::Peer {
                peer: "baresip",
                detail: format!("did not start\n--- log ---\n{}", process.log_tail(40)),
            });
        }

        let (reader, writer, relay): (Box<dyn std::io::Read + Send>, Box<dyn Write + Send>, _) =
            match &options.netns {
                None => {
                    let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, ctrl_port))
                        .map_err(|e| HarnessError::io("connecting to baresip ctrl_tcp", e))?;
                    let reader = stream
                        .try_clone()
                        .map_err(|e| HarnessError::io("cloning ctrl socket", e))?;
                    (Box::new(reader), Box::new(stream), None)
                }
                Some(name) => {
                    let mut relay = start_netns_relay(name, ctrl_port, &dir)?;
                    let missing = || HarnessError::Invalid("relay pipes missing".into());
                    let out = relay.take_stdout().ok_or_else(missing)?;
                    let input = relay.take_stdin().ok_or_else(missing)?;
                    (Box::new(out), Box::new(input), Some(relay))
                }
            };
        Ok(Baresip {
            options,
            dir,
            sip_port,
            writer,
            messages: spawn_reader(reader),
            pending: VecDeque::new(),
            history: Vec::new(),
            next_token: 0,
            _relay: relay,
            process,
        })
    }

    /// The SIP port (UDP and TCP on 127.0.0.1).
    pub fn sip_port(&self) -> u16 {
        self.sip_port
    }

    /// The SIP address, 127.0.0.1:port.
    pub fn sip_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.sip_port))
    }

    /// The URI that reaches this instance: `sip:<user>@127.0.0.1:<port>`.
    pub fn uri(&self) -> String {
        format!("sip:{}@127.0.0.1:{}", self.options.user, self.sip_port)
    }

    /// The config/log/recordings directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Calls `uri` (give the user part: `sip:127.0.0.1:5060` is misread as user `127.0.0.1`).
    pub fn dial(&mut self, uri: &str) -> Result<()> {
        self.command("dial", uri).map(drop)
    }

    /// Answers the ringing incoming call (ctrl command `accept`; there is no `answer`).
    pub fn answer(&mut self) -> Result<()> {
        self.command("accept", "").map(drop)
    }

    /// Hangs up the current call (a CANCEL if it is not answered yet).
    pub fn hangup(&mut self) -> Result<()> {
        self.command("hangup", "").map(drop)
    }

    /// Sends DTMF digits on the current call as RFC 4733 events (payload type 101 as baresip
    /// offers it, about 180 ms per digit, queued).
    pub fn send_dtmf(&mut self, digits: &str) -> Result<()> {
        self.command("sndcode", digits).map(drop)
    }

    /// Runs any ctrl command (`help` lists them) and returns its output text.
    pub fn command(&mut self, command: &str, params: &str) -> Result<String> {
        self.next_token += 1;
        let token = format!("vg{}", self.next_token);
        self.writer
            .write_all(&ctrl::command_json(command, params, &token))
            .and_then(|()| self.writer.flush())
            .map_err(|e| HarnessError::io(format!("sending {command} to baresip"), e))?;
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            match self.receive(deadline, &format!("the answer to {command} {params}"))? {
                CtrlMessage::Response {
                    ok,
                    data,
                    token: Some(t),
                } if t == token => {
                    return if ok {
                        Ok(data)
                    } else {
                        Err(HarnessError::Peer {
                            peer: "baresip",
                            detail: format!("{command} {params}: {}", data.trim()),
                        })
                    };
                }
                CtrlMessage::Response { .. } => {}
                CtrlMessage::Event(event) => self.record(event),
            }
        }
    }

    /// Waits for the next not yet consumed event of `kind` (e.g. `CALL_ESTABLISHED`), returns
    /// and consumes it. Earlier events of other kinds stay available.
    pub fn wait_event(&mut self, kind: &str, timeout: Duration) -> Result<BaresipEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.pending.iter().position(|e| e.kind == kind);
            if let Some(event) = found.and_then(|at| self.pending.remove(at)) {
                return Ok(event);
            }
            match self.receive(deadline, kind)? {
                CtrlMessage::Event(event) => self.record(event),
                CtrlMessage::Response { .. } => {}
            }
        }
    }

    /// Every event seen so far, consumed or not, in order.
    pub fn events_seen(&self) -> &[BaresipEvent] {
        &self.history
    }

    /// The newest recording of what baresip heard (`dump-*-dec.wav`). Complete once the call
    /// is closed. Calls starting in the same second share a file name: one call at a time.
    pub fn heard_recording(&self) -> Result<PathBuf> {
        self.newest_recording("-dec.wav")
    }

    /// The newest recording of what baresip sent (`dump-*-enc.wav`).
    pub fn sent_recording(&self) -> Result<PathBuf> {
        self.newest_recording("-enc.wav")
    }

    /// Reads [`Baresip::heard_recording`] once it is complete (wait for `CALL_CLOSED` first).
    pub fn heard(&self, timeout: Duration) -> Result<Wav> {
        Wav::read_complete(self.heard_recording()?, timeout)
    }

    /// Reads [`Baresip::sent_recording`] once it is complete.
    pub fn sent(&self, timeout: Duration) -> Result<Wav> {
        Wav::read_complete(self.sent_recording()?, timeout)
    }

    /// The last `lines` lines of baresip's log.
    pub fn log_tail(&self, lines: usize) -> String {
        self.process.log_tail(lines)
    }

    fn newest_recording(&self, suffix: &str) -> Result<PathBuf> {
        let dir = self.dir.join("recordings");
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| HarnessError::io(format!("listing {}", dir.display()), e))?;
        entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.to_string_lossy().ends_with(suffix))
            .max()
            .ok_or_else(|| HarnessError::Peer {
                peer: "baresip",
                detail: format!("no *{suffix} recording in {}", dir.display()),
            })
    }

    fn record(&mut self, event: BaresipEvent) {
        self.history.push(event.clone());
        self.pending.push_back(event);
    }

    fn receive(&mut self, deadline: Instant, what: &str) -> Result<CtrlMessage> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.messages.recv_timeout(left) {
            Ok(message) => Ok(message),
            Err(RecvTimeoutError::Timeout) => Err(HarnessError::Timeout {
                what: format!("baresip {what}"),
                waited: left,
                details: self.context(),
            }),
            Err(RecvTimeoutError::Disconnected) => Err(HarnessError::Peer {
                peer: "baresip",
                detail: format!(
                    "ctrl connection closed waiting for {what}{}",
                    self.context()
                ),
            }),
        }
    }

    fn context(&self) -> String {
        let kinds: Vec<String> = self
            .history
            .iter()
            .map(|e| format!("{}({})", e.kind, e.param))
            .collect();
        format!(
            "\nevents seen: {}\n--- baresip log tail ---\n{}",
            kinds.join(" "),
            self.process.log_tail(20)
        )
    }
}

impl std::fmt::Debug for Baresip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Baresip")
            .field("uri", &self.uri())
            .field("dir", &self.dir.path())
            .field("events_seen", &self.history.len())
            .finish_non_exhaustive()
    }
}

/// ctrl_tcp listens inside the namespace: bridge it to our pipes with bash's /dev/tcp.
fn start_netns_relay(netns: &str, ctrl_port: u16, dir: &TempDir) -> Result<PeerProcess> {
    let mut command = command_in(netns, "bash");
    command.args([
        "-c",
        "exec 3<>/dev/tcp/127.0.0.1/$0 || exit 1; cat <&3 & exec cat >&3",
        &ctrl_port.to_string(),
    ]);
    PeerProcess::spawn(
        "baresip ctrl relay",
        command,
        &dir.join("relay.log"),
        Stdout::Piped,
        true,
    )
}

fn spawn_reader(reader: Box<dyn std::io::Read + Send>) -> Receiver<CtrlMessage> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut netstrings = NetstringReader::new(reader);
        while let Ok(Some(payload)) = netstrings.next_payload() {
            if let Some(message) = ctrl::parse_message(&payload)
                && sender.send(message).is_err()
            {
                break;
            }
        }
    });
    receiver
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))
}
