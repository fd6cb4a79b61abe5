//! Child processes for peers: own process group, output to a log file, killed on drop.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::error::{HarnessError, Result};

/// How a peer's standard streams are wired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdout {
    /// stdout and stderr both go to the log file.
    ToLog,
    /// stdout is read line by line (see [`PeerProcess::wait_line`]) and copied to the log file;
    /// stderr goes to the log file.
    Lines,
    /// stdout is a pipe for the caller to take with [`PeerProcess::take_stdout`]; stderr goes
    /// to the log file.
    Piped,
}

/// A running peer. Its whole process group is killed when it is dropped, so helpers such as
/// `ip netns exec` wrappers or shell relays never outlive a test.
#[derive(Debug)]
pub struct PeerProcess {
    name: &'static str,
    child: Child,
    log_path: PathBuf,
    stdin: Option<ChildStdin>,
    lines: Option<Receiver<String>>,
}

impl PeerProcess {
    /// Starts `command` in a new process group, appending its output to `log_path`.
    /// With `stdin_piped`, [`PeerProcess::send_line`] writes to its standard input.
    pub fn spawn(
        name: &'static str,
        mut command: Command,
        log_path: &Path,
        stdout: Stdout,
        stdin_piped: bool,
    ) -> Result<PeerProcess> {
        let log = open_log(log_path)?;
        let log_for_stderr = log
            .try_clone()
            .map_err(|e| HarnessError::io("cloning log handle", e))?;
        command.process_group(0);
        command.stdin(if stdin_piped {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        command.stderr(log_for_stderr);
        match stdout {
            Stdout::ToLog => command.stdout(log),
            Stdout::Lines | Stdout::Piped => command.stdout(Stdio::piped()),
        };
        let mut child = command
            .spawn()
            .map_err(|e| HarnessError::io(format!("starting {name} ({command:?})"), e))?;
        let lines = match (stdout, child.stdout.take()) {
            (Stdout::Lines, Some(out)) => Some(copy_lines(out, open_log(log_path)?)),
            (_, out) => {
                child.stdout = out;
                None
            }
        };
        let stdin = child.stdin.take();
        Ok(PeerProcess {
            name,
            child,
            log_path: log_path.to_path_buf(),
            stdin,
            lines,
        })
    }

    /// The process id (also the process group id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The peer's log file.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The last `lines` lines of the log, for error messages.
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log_path, lines)
    }

    /// Returns the exit status if the process has ended.
    pub fn try_exit(&mut self) -> Result<Option<ExitStatus>> {
        self.child
            .try_wait()
            .map_err(|e| HarnessError::io(format!("polling {}", self.name), e))
    }

    /// Waits for the process to end on its own.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_exit()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                return Err(HarnessError::Timeout {
                    what: format!("{} to exit", self.name),
                    waited: timeout,
                    details: format!("\n--- {} log tail ---\n{}", self.name, self.log_tail(30)),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The raw stdout pipe of a peer spawned with [`Stdout::Piped`] (once).
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.stdout.take()
    }

    /// The raw stdin pipe of a peer spawned with `stdin_piped` (once); afterwards
    /// [`PeerProcess::send_line`] fails.
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.stdin.take()
    }

    /// Writes one line to the peer's standard input (spawned with `stdin_piped`).
    pub fn send_line(&mut self, line: &str) -> Result<()> {
        let name = self.name;
        let stdin = self.stdin.as_mut().ok_or_else(|| HarnessError::Peer {
            peer: name,
            detail: "stdin is not piped".into(),
        })?;
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .map_err(|e| HarnessError::io(format!("writing {line:?} to {name}"), e))
    }

    /// Waits for the next stdout line (spawned with [`Stdout::Lines`]) that satisfies
    /// `matches`, skipping the others, and returns it.
    pub fn wait_line(
        &mut self,
        what: &str,
        timeout: Duration,
        mut matches: impl FnMut(&str) -> bool,
    ) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let name = self.name;
        let lines = self.lines.as_ref().ok_or_else(|| HarnessError::Peer {
            peer: name,
            detail: "stdout is not read line by line".into(),
        })?;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if matches(&line) => return Ok(line),
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => {
                    return Err(HarnessError::Timeout {
                        what: format!("{name}: {what}"),
                        waited: timeout,
                        details: format!("\n--- {name} log tail ---\n{}", self.log_tail(30)),
                    });
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(HarnessError::Peer {
                        peer: name,
                        detail: format!(
                            "output ended while waiting for {what}\n--- log tail ---\n{}",
                            self.log_tail(30)
                        ),
                    });
                }
            }
        }
    }

    /// Kills the whole process group now and reaps the process.
    pub fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // `kill -KILL -- -PGID` reaches the helpers the peer started too.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn open_log(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| HarnessError::io(format!("opening log {}", path.display()), e))
}

/// Copies lines from `source` to `log` and to the returned channel, on a thread.
fn copy_lines(source: impl Read + Send + 'static, mut log: File) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            let _ = writeln!(log, "{line}");
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// The last `lines` lines of a text file (lossy UTF-8), or a note that it cannot be read.
pub fn log_tail(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

/// Polls `ready` every 20 ms until it returns `true` or `timeout` passes.
pub fn wait_until(timeout: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tempdir::TempDir;

    #[test]
    fn reads_lines_feeds_stdin_and_kills_on_drop() {
        let dir = TempDir::new("process").unwrap();
        let log = dir.join("cat.log");
        let mut cat =
            PeerProcess::spawn("cat", Command::new("cat"), &log, Stdout::Lines, true).unwrap();
        cat.send_line("hello").unwrap();
        cat.send_line("world").unwrap();
        let line = cat
            .wait_line("world", Duration::from_secs(5), |l| l.starts_with('w'))
            .unwrap();
        assert_eq!(line, "world");
        let pid = cat.pid();
        drop(cat);
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "cat survived drop"
        );
        assert!(
            std::fs::read_to_string(&log)
                .unwrap()
                .contains("hello\nworld")
        );
    }

    #[test]
    fn wait_exit_times_out_with_log_tail() {
        let dir = TempDir::new("process").unwrap();
        let mut command = Command::new("sh");
        command.args(["-c", "echo started; sleep 5"]);
        let mut sleeper =
            PeerProcess::spawn("sleeper", command, &dir.join("s.log"), Stdout::ToLog, false)
                .unwrap();
        assert!(wait_until(Duration::from_secs(5), || {
            log_tail(sleeper.log_path(), 1).contains("started")
        }));
        let err = sleeper.wait_exit(Duration::from_millis(50)).unwrap_err();
        assert!(err.to_string().contains("started"), "{err}");
    }
}
