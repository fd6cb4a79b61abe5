//! Where the peers live and whether they are installed; skip-or-fail for missing ones.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The workspace root (the parent of the `tests` crate).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `tests/peers`: SIPp scenarios, the PyVoIP script, the peers README.
pub fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers")
}

/// The Python of the venv that `scripts/bootstrap` creates (`.voxgate/venv`), with PyVoIP.
pub fn venv_python() -> PathBuf {
    workspace_root().join(".voxgate/venv/bin/python")
}

/// Whether a peer can run here. Names: `baresip`, `sipp`, `linphonec` (also needs `netns`),
/// `pyvoip` (the bootstrap venv with PyVoIP), `netns` (root and `ip`), `espeak-ng`, `sox`,
/// `tshark`; any other name is looked up as an executable on `PATH`.
pub fn peer_available(name: &str) -> bool {
    match name {
        "linphonec" | "linphone" => on_path("linphonec") && peer_available("netns"),
        "netns" => is_root() && on_path("ip"),
        "pyvoip" => pyvoip_importable(),
        "sipvicious" => workspace_root()
            .join(".voxgate/venv/bin/sipvicious_svmap")
            .is_file(),
        other => on_path(other),
    }
}

/// Why the test cannot run, if any of `names` is unavailable.
pub fn missing_peers(names: &[&str]) -> Option<String> {
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| !peer_available(name))
        .collect();
    if missing.is_empty() {
        None
    } else {
        Some(format!(
            "peer(s) not available here: {} (run scripts/bootstrap as root)",
            missing.join(", ")
        ))
    }
}

/// Whether missing peers must fail tests: the `CI` environment variable is set (to anything
/// but empty, `0` or `false`).
pub fn peers_required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Announces a skipped test on stderr, or panics when [`peers_required`].
///
/// # Panics
/// When the `CI` environment variable is set: on CI a missing peer is a broken setup.
pub fn skip_or_fail(reason: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_string();
    if peers_required() {
        panic!("{test}: {reason}; CI is set, so missing peers fail the test");
    }
    // Straight to the stderr handle: libtest captures `eprintln!` of passing tests, and a
    // skip must be seen.
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}

/// Returns from the enclosing test (after saying so loudly) unless every named peer is
/// available; with `CI` set, panics instead. Names as in [`peer_available`].
///
/// ```no_run
/// #[test]
/// fn baresip_calls_sipp() {
///     voxgate_tests::require_peers!("baresip", "sipp");
///     // ...
/// }
/// ```
#[macro_export]
macro_rules! require_peers {
    ($($name:expr),+ $(,)?) => {
        if let Some(reason) = $crate::missing_peers(&[$($name),+]) {
            $crate::skip_or_fail(&reason);
            return;
        }
    };
}

fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(program))
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    })
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

fn pyvoip_importable() -> bool {
    static IMPORTABLE: OnceLock<bool> = OnceLock::new();
    *IMPORTABLE.get_or_init(|| {
        Command::new(venv_python())
            .args(["-c", "import pyVoIP.VoIP"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_programs_on_path() {
        assert!(peer_available("sh"));
        assert!(!peer_available("no-such-peer-voxgate"));
        let reason = missing_peers(&["sh", "no-such-peer-voxgate"]).unwrap();
        assert!(reason.contains("no-such-peer-voxgate") && !reason.contains("sh,"));
        assert_eq!(missing_peers(&["sh"]), None);
    }

    #[test]
    fn paths_point_into_the_workspace() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(peers_dir().join("sipp/uas_486_busy.xml").is_file());
    }
}
