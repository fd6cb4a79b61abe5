//! Private network namespaces with only `lo`, for peers that take their address from the
//! default route (linphonec). Needs root.

use std::ffi::OsStr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::{HarnessError, Result};

/// Prefix of every namespace the harness creates: `vgt-<pid>-<n>`.
const PREFIX: &str = "vgt-";

/// A network namespace with `lo` up and nothing else, deleted on drop. Processes started in
/// it ([`Netns::command`]) reach each other on 127.0.0.1 and nothing outside; kill them
/// before the namespace is dropped (peers of this crate do so on their own drop).
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// Creates `vgt-<pid>-<n>` and brings `lo` up. Namespaces left behind by test processes
    /// that no longer run are deleted first.
    pub fn create() -> Result<Netns> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        remove_stale();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{PREFIX}{}-{n}", std::process::id());
        ip(&["netns", "add", &name])?;
        let netns = Netns { name };
        ip(&[
            "netns",
            "exec",
            &netns.name,
            "ip",
            "link",
            "set",
            "lo",
            "up",
        ])?;
        Ok(netns)
    }

    /// The namespace's name (for `ip netns exec`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A command that runs `program` inside the namespace (`ip netns exec NAME program`).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        command_in(&self.name, program)
    }
}

/// A command that runs `program` inside the namespace called `netns`.
pub fn command_in(netns: &str, program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new("ip");
    command.args(["netns", "exec", netns]).arg(program);
    command
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Err(e) = ip(&["netns", "del", &self.name]) {
            eprintln!("voxgate-tests: could not delete netns {}: {e}", self.name);
        }
    }
}

/// Names of all network namespaces (`ip netns list`), empty if `ip` fails.
pub fn list_netns() -> Vec<String> {
    Command::new("ip")
        .args(["netns", "list"])
        .stderr(Stdio::null())
        .output()
        .map(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|line| line.split_whitespace().next().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn remove_stale() {
    for name in list_netns() {
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let Some(pid) = rest.split('-').next() else {
            continue;
        };
        if !std::path::Path::new("/proc").join(pid).exists() {
            let _ = ip(&["netns", "del", &name]);
        }
    }
}

fn ip(args: &[&str]) -> Result<()> {
    let output = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| HarnessError::io(format!("running ip {}", args.join(" ")), e))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(HarnessError::Peer {
            peer: "ip",
            detail: format!(
                "ip {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        })
    }
}
