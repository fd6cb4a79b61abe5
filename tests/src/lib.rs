//! Harness for voxgate's integration tests: free ports, temp dirs, WAV analysis, RTP pcaps,
//! and third-party SIP peers driven from Rust.
//!
//! Peers (see `tests/peers/README.md` for the exact invocations and quirks):
//! - [`Baresip`]: a real UA over its ctrl_tcp JSON interface (dial, answer, hang up, DTMF,
//!   events, recordings of both directions);
//! - [`Sipp`]: SIPp scenarios from `tests/peers/sipp/` (busy, unavailable, not found,
//!   decline, ring forever, no answer at all, answer with/without pcap media, UAC calls);
//! - [`PyVoip`]: a scripted PyVoIP callee that records what it hears;
//! - [`Linphone`]: linphonec in a private network namespace ([`Netns`]).
//!
//! Tests start with [`require_peers!`]: a missing peer skips the test loudly, or fails it
//! when the `CI` environment variable is set. `scripts/bootstrap` installs everything.
//!
//! Every peer lives in its own [`TempDir`] (config, logs, recordings), kept when the test
//! panics or `VOXGATE_KEEP_TEMP` is set, and is killed when dropped.

pub mod api;
pub mod baresip;
pub mod demo;
pub mod error;
pub mod linphone;
pub mod netns;
pub mod pcap;
pub mod peers;
pub mod ports;
pub mod process;
pub mod pyvoip;
pub mod sipp;
pub mod tempdir;
pub mod voxgate;
pub mod wav;

pub use baresip::{AnswerMode, Baresip, BaresipEvent, BaresipOptions};
pub use error::{HarnessError, Result};
pub use linphone::{Linphone, LinphoneOptions};
pub use netns::Netns;
pub use pcap::RtpPcap;
pub use peers::{missing_peers, peer_available, peers_required, skip_or_fail};
pub use ports::{free_port_pair, free_sip_port, free_tcp_port, free_udp_port, free_udp_range};
pub use pyvoip::{PyVoip, PyVoipOptions};
pub use sipp::{Sipp, SippOptions, SippOutcome};
pub use tempdir::TempDir;
pub use voxgate::{
    CallRun, LOOPBACK_TRUNK, Voxgate, example_flow, example_prompt, ivr_route, plugin_wasm,
    read_records, run_call, vad_model, voxgate_bin, write_config,
};
pub use wav::{ENERGY_THRESHOLD, Wav};
