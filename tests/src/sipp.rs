//! SIPp 3.6 runs of the scenarios in `tests/peers/sipp/` (or any scenario file).
//!
//! Every run gets its own working directory: the scenario is copied there, with the optional
//! `media.pcap` beside it, and SIPp's `-trace_err` / `-trace_screen` logs land there too.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::{HarnessError, Result};
use crate::peers::peers_dir;
use crate::ports::{free_udp_port, free_udp_range};
use crate::process::{PeerProcess, Stdout, log_tail, wait_until};
use crate::tempdir::TempDir;

/// Settings for one SIPp run; build with [`SippOptions::uas`] or [`SippOptions::uac`].
#[derive(Debug, Clone)]
pub struct SippOptions {
    scenario: PathBuf,
    remote: Option<SocketAddr>,
    calls: u32,
    duration: Option<Duration>,
    service: Option<String>,
    rate: Option<f64>,
    sets: Vec<(String, String)>,
    keys: Vec<(String, String)>,
    media_pcap: Option<PathBuf>,
    timeout: Duration,
    extra: Vec<String>,
}

impl SippOptions {
    /// A UAS run of `scenario`: a file name in `tests/peers/sipp/` (`.xml` optional, e.g.
    /// `uas_486_busy`) or a path. One call (`-m 1`), 60 s global timeout.
    pub fn uas(scenario: &str) -> SippOptions {
        SippOptions {
            scenario: scenario_path(scenario),
            remote: None,
            calls: 1,
            duration: None,
            service: None,
            rate: None,
            sets: Vec::new(),
            keys: Vec::new(),
            media_pcap: None,
            timeout: Duration::from_secs(60),
            extra: Vec::new(),
        }
    }

    /// A UAC run of `scenario` calling `remote`.
    pub fn uac(scenario: &str, remote: SocketAddr) -> SippOptions {
        SippOptions {
            remote: Some(remote),
            ..SippOptions::uas(scenario)
        }
    }

    /// Stop after `calls` calls (`-m`).
    pub fn calls(mut self, calls: u32) -> SippOptions {
        self.calls = calls;
        self
    }

    /// Call length for `<pause/>` in the scenario (`-d`).
    pub fn duration(mut self, duration: Duration) -> SippOptions {
        self.duration = Some(duration);
        self
    }

    /// Request-URI user of UAC scenarios (`-s`), e.g. `baresip`.
    pub fn service(mut self, user: impl Into<String>) -> SippOptions {
        self.service = Some(user.into());
        self
    }

    /// New calls per second (`-r`).
    pub fn rate(mut self, calls_per_second: f64) -> SippOptions {
        self.rate = Some(calls_per_second);
        self
    }

    /// Sets a scenario global variable (`-set`), e.g. `ring_ms`.
    pub fn set(mut self, variable: &str, value: impl ToString) -> SippOptions {
        self.sets.push((variable.into(), value.to_string()));
        self
    }

    /// Sets a `[keyword]` substitution (`-key`).
    pub fn key(mut self, keyword: &str, value: impl ToString) -> SippOptions {
        self.keys.push((keyword.into(), value.to_string()));
        self
    }

    /// The pcap that `play_pcap_audio="media.pcap"` plays (see [`crate::RtpPcap`]).
    pub fn media_pcap(mut self, pcap: impl Into<PathBuf>) -> SippOptions {
        self.media_pcap = Some(pcap.into());
        self
    }

    /// SIPp's global timeout (`-timeout`, failing with `-timeout_error`). Default 60 s.
    pub fn timeout(mut self, timeout: Duration) -> SippOptions {
        self.timeout = timeout;
        self
    }

    /// Any other command-line argument.
    pub fn arg(mut self, arg: impl Into<String>) -> SippOptions {
        self.extra.push(arg.into());
        self
    }

    /// Starts SIPp. For a UAS, returns once its SIP port is bound.
    pub fn start(self) -> Result<Sipp> {
        let dir = TempDir::new("sipp")?;
        let name = self
            .scenario
            .file_name()
            .ok_or_else(|| HarnessError::Invalid(format!("scenario {:?}", self.scenario)))?;
        let scenario = dir.join(name);
        std::fs::copy(&self.scenario, &scenario)
            .map_err(|e| HarnessError::io(format!("copying {}", self.scenario.display()), e))?;
        if let Some(pcap) = &self.media_pcap {
            std::fs::copy(pcap, dir.join("media.pcap"))
                .map_err(|e| HarnessError::io(format!("copying {}", pcap.display()), e))?;
        }
        let sip_port = free_udp_port();
        // SIPp binds the audio port and audio+2 for video.
        let media_port = free_udp_range(4);

        let mut command = Command::new("sipp");
        command.current_dir(dir.path());
        if let Some(remote) = self.remote {
            command.arg(remote.to_string());
        }
        command.arg("-sf").arg(&scenario);
        command.args(["-i", "127.0.0.1", "-mi", "127.0.0.1"]);
        command.args(["-p", &sip_port.to_string(), "-mp", &media_port.to_string()]);
        command.args(["-m", &self.calls.to_string()]);
        command.args(["-timeout", &format!("{}s", self.timeout.as_secs().max(1))]);
        command.args(["-timeout_error", "-trace_err", "-trace_screen", "-nostdin"]);
        if let Some(duration) = self.duration {
            command.args(["-d", &duration.as_millis().to_string()]);
        }
        if let Some(user) = &self.service {
            command.args(["-s", user]);
        }
        if let Some(rate) = self.rate {
            command.args(["-r", &rate.to_string()]);
        }
        let scenario_text = std::fs::read_to_string(&scenario).unwrap_or_default();
        let mut sets = self.sets.clone();
        // The reject scenarios pause for ring_ms; unset, SIPp logs a conversion error.
        if scenario_text.contains("\"ring_ms\"") && !sets.iter().any(|(k, _)| k == "ring_ms") {
            sets.push(("ring_ms".into(), "0".into()));
        }
        for (variable, value) in &sets {
            command.args(["-set", variable, value]);
        }
        for (keyword, value) in &self.keys {
            command.args(["-key", keyword, value]);
        }
        command.args(&self.extra);

        let log = dir.join("sipp.log");
        let mut process = PeerProcess::spawn("sipp", command, &log, Stdout::ToLog, false)?;
        if self.remote.is_none() {
            let bound = wait_until(Duration::from_secs(10), || {
                udp_port_bound(sip_port) || matches!(process.try_exit(), Ok(Some(_)))
            });
            if !bound || !udp_port_bound(sip_port) {
                return Err(HarnessError::Peer {
                    peer: "sipp",
                    detail: format!("UAS did not bind {sip_port}\n{}", process.log_tail(30)),
                });
            }
        }
        Ok(Sipp {
            process,
            dir,
            sip_port,
            media_port,
        })
    }
}

/// A running SIPp, killed on drop.
#[derive(Debug)]
pub struct Sipp {
    process: PeerProcess,
    dir: TempDir,
    sip_port: u16,
    media_port: u16,
}

/// How a SIPp run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SippOutcome {
    /// SIPp's exit code: 0 all calls succeeded, 1 some failed, 97 stopped by an internal
    /// command, 99 no call processed, 255 fatal error, 254 could not bind.
    pub exit_code: Option<i32>,
    /// Cumulative "Successful call" count from the final screen.
    pub successful: u64,
    /// Cumulative "Failed call" count from the final screen.
    pub failed: u64,
    /// The `-trace_err` log: unexpected messages and scenario errors (empty when clean).
    pub errors: String,
    /// The final statistics screen.
    pub screen: String,
}

impl SippOutcome {
    /// Exit code 0, nothing failed.
    pub fn all_succeeded(&self) -> bool {
        self.exit_code == Some(0) && self.failed == 0
    }
}

impl Sipp {
    /// The SIP port SIPp listens and sends from (UDP, 127.0.0.1).
    pub fn sip_port(&self) -> u16 {
        self.sip_port
    }

    /// 127.0.0.1 and [`Sipp::sip_port`].
    pub fn sip_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.sip_port))
    }

    /// `sip:<user>@127.0.0.1:<port>`: SIPp UAS scenarios accept any user.
    pub fn uri(&self, user: &str) -> String {
        format!("sip:{user}@127.0.0.1:{}", self.sip_port)
    }

    /// SIPp's RTP port (what its SDP announces as `[media_port]`).
    pub fn media_port(&self) -> u16 {
        self.media_port
    }

    /// The working directory (scenario copy, logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Waits for SIPp to finish its calls and collects the outcome. On timeout SIPp is killed
    /// and the error carries its log.
    pub fn wait(&mut self, timeout: Duration) -> Result<SippOutcome> {
        let status = self.process.wait_exit(timeout)?;
        let screen = self
            .find_log("_screen.log")
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .unwrap_or_else(|| log_tail(self.process.log_path(), 60));
        let errors = self
            .find_log("_errors.log")
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .unwrap_or_default();
        Ok(SippOutcome {
            exit_code: status.code(),
            successful: screen_counter(&screen, "Successful call"),
            failed: screen_counter(&screen, "Failed call"),
            errors,
            screen,
        })
    }

    fn find_log(&self, suffix: &str) -> Option<PathBuf> {
        std::fs::read_dir(self.dir.path())
            .ok()?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .find(|path| path.to_string_lossy().ends_with(suffix))
    }
}

fn scenario_path(scenario: &str) -> PathBuf {
    let path = Path::new(scenario);
    if path.components().count() > 1 || path.is_absolute() {
        return path.to_path_buf();
    }
    let file = if scenario.ends_with(".xml") {
        scenario.to_string()
    } else {
        format!("{scenario}.xml")
    };
    peers_dir().join("sipp").join(file)
}

/// The last number on the last line starting with `label` (the cumulative column).
fn screen_counter(screen: &str, label: &str) -> u64 {
    screen
        .lines()
        .rfind(|line| line.trim_start().starts_with(label))
        .and_then(|line| {
            line.split('|')
                .filter_map(|cell| cell.trim().parse::<u64>().ok())
                .next_back()
        })
        .unwrap_or(0)
}

/// Whether some socket has UDP `port` bound (from /proc/net/udp and udp6).
pub fn udp_port_bound(port: u16) -> bool {
    let wanted = format!(":{port:04X}");
    ["/proc/net/udp", "/proc/net/udp6"].iter().any(|table| {
        std::fs::read_to_string(table).is_ok_and(|text| {
            text.lines()
                .skip(1)
                .filter_map(|line| line.split_whitespace().nth(1))
                .any(|local| local.ends_with(&wanted))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_counters_from_the_final_screen() {
        let screen = "\
  Successful call        |        0                  |        3                 
  Failed call            |        0                  |        1                 
";
        assert_eq!(screen_counter(screen, "Successful call"), 3);
        assert_eq!(screen_counter(screen, "Failed call"), 1);
        assert_eq!(screen_counter(screen, "Retransmissions"), 0);
    }

    #[test]
    fn resolves_scenario_names_and_sees_bound_ports() {
        assert!(scenario_path("uas_486_busy").is_file());
        assert!(scenario_path("uac_call_bye.xml").is_file());
        assert_eq!(scenario_path("/x/y.xml"), PathBuf::from("/x/y.xml"));
        let port = free_udp_port();
        assert!(!udp_port_bound(port));
        let _socket = std::net::UdpSocket::bind(("127.0.0.1", port)).unwrap();
        assert!(udp_port_bound(port));
    }
}
