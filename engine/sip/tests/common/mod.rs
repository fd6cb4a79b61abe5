//! A deterministic simulated network for `Endpoint` tests, in virtual time.
//!
//! Endpoints are addressed by their `local_addr`. UDP packets suffer seeded loss,
//! duplication and random delay (hence reordering); TCP segments arrive in order after a
//! fixed delay. Packets to an address with no endpoint go to a mailbox that a test can read
//! and answer by hand (a scripted peer), or nowhere (a black hole).
//! `step` jumps virtual time to the earliest delivery or endpoint timeout (str0m / quinn style).

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use voxgate_sip::{Endpoint, EndpointConfig, Event, OutgoingInvite, Transport};

/// Impairments of the simulated UDP network.
#[derive(Debug, Clone, Copy)]
pub struct Impairments {
    pub loss: f64,
    pub duplicate: f64,
    pub min_delay: Duration,
    pub max_delay: Duration,
}

impl Impairments {
    pub fn clean() -> Self {
        Impairments {
            loss: 0.0,
            duplicate: 0.0,
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(20),
        }
    }

    pub fn lossy() -> Self {
        Impairments {
            loss: 0.2,
            duplicate: 0.1,
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(300),
        }
    }
}

#[derive(Debug, Clone)]
struct Packet {
    at: Instant,
    seq: u64,
    from: SocketAddr,
    to: SocketAddr,
    transport: Transport,
    payload: Vec<u8>,
}

/// One message put on the wire (before loss).
#[derive(Debug, Clone)]
pub struct Sent {
    pub at: Instant,
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub text: String,
}

impl Sent {
    pub fn first_line(&self) -> &str {
        self.text.lines().next().unwrap_or_default()
    }
}

pub struct Peer {
    pub ep: Endpoint,
    pub events: Vec<(Instant, Event)>,
}

pub struct Net {
    pub start: Instant,
    pub now: Instant,
    rng: StdRng,
    pub impairments: Impairments,
    pub peers: Vec<Peer>,
    in_flight: Vec<Packet>,
    seq: u64,
    pub log: Vec<Sent>,
    /// Messages delivered to addresses without an endpoint, per address.
    pub mailbox: HashMap<SocketAddr, Vec<(SocketAddr, String)>>,
}

pub fn addr(last: u8, port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, last], port))
}

pub fn config(local: SocketAddr, seed: u64) -> EndpointConfig {
    EndpointConfig {
        local_addr: local,
        seed,
        ..EndpointConfig::default()
    }
}

pub fn sdp(port: u16) -> Vec<u8> {
    format!(
        "v=0\r\no=- 100 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
    )
    .into_bytes()
}

pub fn outgoing(to: SocketAddr, transport: Transport) -> OutgoingInvite {
    OutgoingInvite {
        destination: to,
        transport,
        request_uri: format!("sip:+8613800000000@{to}"),
        from_uri: "sip:bot@voxgate.test".to_string(),
        from_display: Some("Bot".to_string()),
        to_uri: "sip:+8613800000000@gw.test".to_string(),
        sdp: sdp(40000),
        credentials: None,
        extra_headers: vec![("X-Campaign".to_string(), "c1".to_string())],
    }
}

impl Net {
    pub fn new(seed: u64, impairments: Impairments, configs: Vec<EndpointConfig>) -> Self {
        let start = Instant::now();
        Net {
            start,
            now: start,
            rng: StdRng::seed_from_u64(seed),
            impairments,
            peers: configs
                .into_iter()
                .map(|c| Peer {
                    ep: Endpoint::new(c),
                    events: Vec::new(),
                })
                .collect(),
            in_flight: Vec::new(),
            seq: 0,
            log: Vec::new(),
            mailbox: HashMap::new(),
        }
    }

    /// Two endpoints at 127.0.0.1:5060 and 127.0.0.2:5060.
    pub fn pair(seed: u64, impairments: Impairments) -> Self {
        Net::new(
            seed,
            impairments,
            vec![
                config(addr(1, 5060), seed * 2 + 1),
                config(addr(2, 5060), seed * 2 + 2),
            ],
        )
    }

    pub fn ep(&mut self, i: usize) -> &mut Endpoint {
        &mut self.peers[i].ep
    }

    pub fn in_flight_empty(&self) -> bool {
        self.in_flight.is_empty()
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Send raw bytes as a scripted peer at `from`.
    pub fn inject(&mut self, from: SocketAddr, to: SocketAddr, transport: Transport, text: &str) {
        self.enqueue(from, to, transport, text.as_bytes().to_vec());
    }

    fn enqueue(
        &mut self,
        from: SocketAddr,
        to: SocketAddr,
        transport: Transport,
        payload: Vec<u8>,
    ) {
        self.log.push(Sent {
            at: self.now,
            from,
            to,
            text: String::from_utf8_lossy(&payload).into_owned(),
        });
        let imp = self.impairments;
        let copies = match transport {
            Transport::Tcp => 1,
            Transport::Udp => {
                if self.rng.random_bool(imp.loss) {
                    0
                } else if self.rng.random_bool(imp.duplicate) {
                    2
                } else {
                    1
                }
            }
        };
        for _ in 0..copies {
            let delay = match transport {
                Transport::Tcp => imp.min_delay,
                Transport::Udp => {
                    let span = (imp.max_delay - imp.min_delay).as_micros() as u64;
                    imp.min_delay + Duration::from_micros(self.rng.random_range(0..=span))
                }
            };
            self.seq += 1;
            self.in_flight.push(Packet {
                at: self.now + delay,
                seq: self.seq,
                from,
                to,
                transport,
                payload: payload.clone(),
            });
        }
    }

    /// Collect every endpoint's transmits and events.
    pub fn drain(&mut self) {
        for i in 0..self.peers.len() {
            let from = self.peers[i].ep.config().local_addr;
            while let Some(t) = self.peers[i].ep.poll_transmit() {
                self.enqueue(from, t.destination, t.transport, t.payload);
            }
            while let Some(e) = self.peers[i].ep.poll_event() {
                self.peers[i].events.push((self.now, e));
            }
        }
    }

    /// Advance to the next delivery or timeout and process it. False when nothing is pending.
    pub fn step(&mut self) -> bool {
        self.drain();
        let next_packet = self.in_flight.iter().map(|p| p.at).min();
        let next_timer = self.peers.iter().filter_map(|p| p.ep.poll_timeout()).min();
        let Some(next) = next_packet.into_iter().chain(next_timer).min() else {
            return false;
        };
        self.now = self.now.max(next);
        let now = self.now;
        let mut due: Vec<Packet> = Vec::new();
        self.in_flight.retain(|p| {
            if p.at <= now {
                due.push(p.clone());
                false
            } else {
                true
            }
        });
        due.sort_by_key(|p| (p.at, p.seq));
        for p in due {
            match self
                .peers
                .iter_mut()
                .find(|peer| peer.ep.config().local_addr == p.to)
            {
                Some(peer) => peer.ep.handle_input(now, p.transport, p.from, &p.payload),
                None => self
                    .mailbox
                    .entry(p.to)
                    .or_default()
                    .push((p.from, String::from_utf8_lossy(&p.payload).into_owned())),
            }
        }
        for peer in &mut self.peers {
            if peer.ep.poll_timeout().is_some_and(|t| t <= now) {
                peer.ep.handle_timeout(now);
            }
        }
        self.drain();
        true
    }

    /// Step until `done` holds (true) or `max_steps` pass / nothing is pending (false).
    pub fn run_until(&mut self, max_steps: usize, mut done: impl FnMut(&Net) -> bool) -> bool {
        for _ in 0..max_steps {
            self.drain();
            if done(self) {
                return true;
            }
            if !self.step() {
                return done(self);
            }
        }
        false
    }

    /// Take the messages a scripted peer at `at` has received so far.
    pub fn take_mail(&mut self, at: SocketAddr) -> Vec<(SocketAddr, String)> {
        self.mailbox.remove(&at).unwrap_or_default()
    }

    pub fn events(&self, i: usize) -> Vec<Event> {
        self.peers[i]
            .events
            .iter()
            .map(|(_, e)| e.clone())
            .collect()
    }

    pub fn has_event(&self, i: usize, pred: impl Fn(&Event) -> bool) -> bool {
        self.peers[i].events.iter().any(|(_, e)| pred(e))
    }

    /// Run to quiescence and check that no call or transaction is left anywhere.
    pub fn assert_no_leaks(&mut self) {
        while self.step() {}
        for (i, p) in self.peers.iter().enumerate() {
            assert_eq!(p.ep.active_calls(), 0, "peer {i} leaks calls");
            assert_eq!(
                p.ep.pending_transactions(),
                0,
                "peer {i} leaks transactions"
            );
            assert_eq!(p.ep.poll_timeout(), None, "peer {i} still has timers");
        }
    }
}

/// Count the terminal call events of one peer for `call`.
pub fn terminal_events(events: &[Event], call: voxgate_sip::CallHandle) -> usize {
    events
        .iter()
        .filter(|e| {
            matches!(e,
                Event::Failed { call: c, .. }
                | Event::Cancelled { call: c }
                | Event::RemoteHangup { call: c }
                | Event::HangupComplete { call: c }
                | Event::AckTimeout { call: c } if *c == call)
        })
        .count()
}

/// The call handle of the first IncomingCall event of peer `i`.
pub fn incoming_call(net: &Net, i: usize) -> Option<voxgate_sip::CallHandle> {
    net.peers[i].events.iter().find_map(|(_, e)| match e {
        Event::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })
}

/// Value of header `name` in message text (first occurrence, case-insensitive).
pub fn header<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}
