//! Symmetric RTP: which remote address and SSRC the session follows.

use std::net::SocketAddr;

/// Consecutive packets a new source (address or SSRC) must send before the session switches to
/// it, so a single stray or spoofed packet cannot hijack the media.
pub const LATCH_SWITCH_PACKETS: u32 = 5;

/// What to do with a packet, as decided by [`RemoteLatch::on_packet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LatchDecision {
    /// From the current source: process it.
    Accept,
    /// The session (re)latched at this packet: process it after applying the changes.
    Latched {
        /// The remote address was latched or changed (always true for the first packet).
        address_changed: bool,
        /// The SSRC changed from a previously latched one.
        ssrc_changed: bool,
    },
    /// From a source that has not (yet) earned a switch: drop it.
    Ignore,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    address: SocketAddr,
    ssrc: u32,
    packets: u32,
}

/// Tracks the remote RTP address: the SDP address until the first valid packet, then the source
/// that packets really come from.
#[derive(Debug, Clone)]
pub(crate) struct RemoteLatch {
    remote: Option<SocketAddr>,
    ssrc: Option<u32>,
    candidate: Option<Candidate>,
}

impl RemoteLatch {
    pub(crate) fn new(signalled: Option<SocketAddr>) -> Self {
        RemoteLatch {
            remote: signalled,
            ssrc: None,
            candidate: None,
        }
    }

    /// Where to send RTP.
    pub(crate) fn remote(&self) -> Option<SocketAddr> {
        self.remote
    }

    /// The SSRC being received, once latched.
    pub(crate) fn ssrc(&self) -> Option<u32> {
        self.ssrc
    }

    /// Whether a packet latched the address (as opposed to only knowing it from SDP).
    pub(crate) fn is_latched(&self) -> bool {
        self.ssrc.is_some()
    }

    /// Decides about a valid RTP packet for a negotiated payload type.
    pub(crate) fn on_packet(&mut self, source: SocketAddr, ssrc: u32) -> LatchDecision {
        let Some(current_ssrc) = self.ssrc else {
            self.remote = Some(source);
            self.ssrc = Some(ssrc);
            // The first latch is always reported, even when it confirms the SDP address.
            return LatchDecision::Latched {
                address_changed: true,
                ssrc_changed: false,
            };
        };
        if self.remote == Some(source) && current_ssrc == ssrc {
            self.candidate = None;
            return LatchDecision::Accept;
        }
        let packets = match self.candidate {
            Some(candidate) if candidate.address == source && candidate.ssrc == ssrc => {
                candidate.packets + 1
            }
            _ => 1,
        };
        if packets < LATCH_SWITCH_PACKETS {
            self.candidate = Some(Candidate {
                address: source,
                ssrc,
                packets,
            });
            return LatchDecision::Ignore;
        }
        self.candidate = None;
        let address_changed = self.remote != Some(source);
        self.remote = Some(source);
        self.ssrc = Some(ssrc);
        LatchDecision::Latched {
            address_changed,
            ssrc_changed: current_ssrc != ssrc,
        }
    }
}
