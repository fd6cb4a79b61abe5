//! Transport kinds and the datagrams/segments the endpoint asks its driver to send.

use std::fmt;
use std::net::SocketAddr;

/// The transport a SIP message travels on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Unreliable datagrams: the transaction layer retransmits.
    Udp,
    /// A reliable stream: no retransmissions, framing is done by the driver.
    Tcp,
}

impl Transport {
    /// Whether the transport delivers reliably (no retransmission timers needed).
    pub fn is_reliable(self) -> bool {
        matches!(self, Transport::Tcp)
    }

    /// The token used in a Via header (`UDP`, `TCP`).
    pub fn via_token(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.via_token())
    }
}

/// One whole SIP message the driver must send.
#[derive(Debug, Clone)]
pub struct Transmit {
    /// Transport to send on (for TCP: the connection to `destination`, opened if needed).
    pub transport: Transport,
    /// Where to send it.
    pub destination: SocketAddr,
    /// The serialized message, Content-Length included.
    pub payload: Vec<u8>,
}
