//! linphonec 5.1 in a private network namespace, driven through its stdin.
//!
//! linphonec takes its address from the default route, so it runs in a [`Netns`] with only
//! `lo`; whatever talks to it must run in the same namespace. It plays and records WAV files
//! ("soundcard use files"). Quirks: it prints only "error." for 4xx-6xx answers; DTMF typed
//! on a line is sent one digit per second; its 3 RFC 4733 end packets share one sequence
//! number.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{HarnessError, Result};
use crate::netns::Netns;
use crate::ports::{free_udp_port, free_udp_range};
use crate::process::{PeerProcess, Stdout};
use crate::tempdir::TempDir;
use crate::wav::Wav;

/// Settings for [`Linphone::start`].
#[derive(Debug, Clone, Default)]
pub struct LinphoneOptions {
    /// WAV played into calls (8 kHz mono works with G.711).
    pub play: Option<PathBuf>,
    /// Answer incoming calls at once.
    pub auto_answer: bool,
}

/// A running linphonec, told to `quit` (then killed) on drop.
#[derive(Debug)]
pub struct Linphone {
    process: PeerProcess,
    dir: TempDir,
    sip_port: u16,
}

impl Linphone {
    /// Starts linphonec in `netns` with a fresh config and HOME, WAV-file sound, recording to
    /// [`Linphone::recording_path`].
    pub fn start(netns: &Netns, options: LinphoneOptions) -> Result<Linphone> {
        let dir = TempDir::new("linphone")?;
        // Ports are per namespace; picking host-free ones keeps them distinct anyway.
        let sip_port = free_udp_port();
        let rtp = free_udp_range(20);
        // linphonec fails without ~/.local/share/linphone.
        std::fs::create_dir_all(dir.join("home/.local/share/linphone"))
            .map_err(|e| HarnessError::io("creating linphone HOME", e))?;
        let rc = format!(
            "[sip]\nsip_port={sip_port}\nsip_tcp_port=0\nsip_tls_port=0\ndefault_proxy=-1\n\
             register_only_when_network_is_up=0\n\
             [rtp]\naudio_rtp_port={rtp}-{}\n\
             [sound]\nechocancellation=0\n",
            rtp + 19
        );
        let rc_path = dir.join("linphonerc");
        std::fs::write(&rc_path, rc).map_err(|e| HarnessError::io("writing linphonerc", e))?;

        let mut command = netns.command("linphonec");
        command
            .arg("-c")
            .arg(&rc_path)
            .env("HOME", dir.join("home"));
        let log = dir.join("linphonec.log");
        let process = PeerProcess::spawn("linphonec", command, &log, Stdout::Lines, true)?;
        let mut linphone = Linphone {
            process,
            dir,
            sip_port,
        };
        linphone.send("soundcard use files")?;
        linphone.wait_output("Using wav files", Duration::from_secs(10))?;
        if let Some(play) = &options.play {
            linphone.send(&format!("play {}", play.display()))?;
        }
        let record = linphone.recording_path();
        linphone.send(&format!("record {}", record.display()))?;
        if options.auto_answer {
            linphone.send("autoanswer enable")?;
            linphone.wait_output("Auto answer enabled", Duration::from_secs(5))?;
        }
        Ok(linphone)
    }

    /// The SIP port (UDP, 127.0.0.1 inside the namespace).
    pub fn sip_port(&self) -> u16 {
        self.sip_port
    }

    /// `sip:linphone@127.0.0.1:<port>` (any user is accepted).
    pub fn uri(&self) -> String {
        format!("sip:linphone@127.0.0.1:{}", self.sip_port)
    }

    /// Sends one command line (`help` in linphonec lists them).
    pub fn send(&mut self, line: &str) -> Result<()> {
        self.process.send_line(line)
    }

    /// Calls `uri`.
    pub fn call(&mut self, uri: &str) -> Result<()> {
        self.send(&format!("call {uri}"))
    }

    /// Answers the ringing call.
    pub fn answer(&mut self) -> Result<()> {
        self.send("answer")
    }

    /// Ends the current call.
    pub fn terminate(&mut self) -> Result<()> {
        self.send("terminate")
    }

    /// Sends DTMF (RFC 4733) on the current call; linphonec spaces digits about 1 s apart.
    pub fn send_dtmf(&mut self, digits: &str) -> Result<()> {
        self.send(digits)
    }

    /// Waits for an output line containing `text`, e.g. `connected.`, `ended`, `Receiving
    /// new incoming call`, `error.`.
    pub fn wait_output(&mut self, text: &str, timeout: Duration) -> Result<String> {
        self.process
            .wait_line(text, timeout, |line| line.contains(text))
    }

    /// Where linphonec records calls.
    pub fn recording_path(&self) -> PathBuf {
        self.dir.join("heard.wav")
    }

    /// Quits linphonec (so the recording is flushed and closed) and reads what it heard; this
    /// ends the peer, so use it last. linphonec's WAV header overstates the data size, which
    /// [`Wav::read`] tolerates.
    pub fn recording(&mut self, timeout: Duration) -> Result<Wav> {
        self.quit(timeout)?;
        Wav::read_complete(self.recording_path(), timeout)
    }

    /// Sends `quit` and waits for linphonec to exit.
    pub fn quit(&mut self, timeout: Duration) -> Result<()> {
        if self.process.try_exit()?.is_none() {
            self.send("quit")?;
            self.process.wait_exit(timeout)?;
        }
        Ok(())
    }

    /// The working directory (config, HOME, log, recording).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Linphone {
    fn drop(&mut self) {
        let _ = self.quit(Duration::from_secs(3));
    }
}
