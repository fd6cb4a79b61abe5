//! Endpoint configuration and the descriptions of outgoing calls and registrations.

use std::net::SocketAddr;
use std::time::Duration;

use crate::digest::Credentials;
use crate::transport::Transport;

/// Settings of one SIP endpoint (one local address).
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Address advertised in Via and Contact.
    pub local_addr: SocketAddr,
    /// Value of the User-Agent / Server headers.
    pub user_agent: String,
    /// RTT estimate (RFC 3261 T1).
    pub t1: Duration,
    /// Maximum retransmission interval (T2).
    pub t2: Duration,
    /// Maximum message lifetime in the network (T4).
    pub t4: Duration,
    /// Sources allowed to send requests; empty accepts everyone, others get 403.
    pub allowed_sources: Vec<ipnet::IpNet>,
    /// Seed for tags, branches, Call-IDs and cnonces (seed each endpoint differently).
    pub seed: u64,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            local_addr: SocketAddr::from(([127, 0, 0, 1], 5060)),
            user_agent: "voxgate".to_string(),
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            allowed_sources: Vec::new(),
            seed: 0,
        }
    }
}

/// An outbound call to place with [`Endpoint::invite`](crate::Endpoint::invite).
#[derive(Debug, Clone)]
pub struct OutgoingInvite {
    /// Where to send the INVITE (the gateway / next hop).
    pub destination: SocketAddr,
    /// Transport to use.
    pub transport: Transport,
    /// Request-URI, e.g. `sip:+8613800000000@gw.example:5060`.
    pub request_uri: String,
    /// Our URI for From (and the Contact user part).
    pub from_uri: String,
    /// Display name in From.
    pub from_display: Option<String>,
    /// The callee's URI for To.
    pub to_uri: String,
    /// SDP offer (application/sdp).
    pub sdp: Vec<u8>,
    /// Credentials to answer one 401/407 challenge (per nonce) with.
    pub credentials: Option<Credentials>,
    /// Extra headers, printed as given after the standard ones.
    pub extra_headers: Vec<(String, String)>,
}

/// A registration to keep up with [`Endpoint::register`](crate::Endpoint::register).
#[derive(Debug, Clone)]
pub struct RegistrationConfig {
    /// Registrar address.
    pub registrar: SocketAddr,
    /// Transport to use.
    pub transport: Transport,
    /// Registrar domain (Request-URI `sip:domain`, To/From `sip:user@domain`).
    pub domain: String,
    /// Account credentials (the user name is also the address-of-record user).
    pub credentials: Credentials,
    /// Requested registration lifetime in seconds.
    pub expires: u32,
}
