//! Free loopback ports for peers and the engine under test.
//!
//! Ports come from 20000-32767, below Linux's ephemeral range (32768-60999), so a port the
//! kernel hands to some client socket meanwhile cannot collide with one given out here. Each
//! port is handed out once per test process; a candidate is checked by binding it.

use std::collections::HashSet;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::sync::Mutex;

const RANGE_START: u16 = 20000;
const RANGE_END: u16 = 32767;
const ATTEMPTS: usize = 4000;

/// Which sockets a reserved block of ports must be free for.
#[derive(Debug, Clone, Copy)]
struct Needs {
    udp: bool,
    tcp: bool,
}

static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A UDP port on 127.0.0.1 that is free now.
///
/// # Panics
/// If no free port is found (the machine's loopback is exhausted).
pub fn free_udp_port() -> u16 {
    reserve(
        1,
        1,
        Needs {
            udp: true,
            tcp: false,
        },
    )
}

/// A TCP port on 127.0.0.1 that is free now (e.g. baresip's ctrl_tcp listener).
///
/// # Panics
/// If no free port is found.
pub fn free_tcp_port() -> u16 {
    reserve(
        1,
        1,
        Needs {
            udp: false,
            tcp: true,
        },
    )
}

/// An even UDP port P such that P and P+1 are free: an RTP/RTCP pair. Returns P.
///
/// # Panics
/// If no free pair is found.
pub fn free_port_pair() -> u16 {
    reserve(
        2,
        2,
        Needs {
            udp: true,
            tcp: false,
        },
    )
}

/// A SIP port P free for UDP and TCP, with TCP P+1 free too: baresip always listens on UDP P,
/// TCP P and TLS P+1, and fails to start if any of them is taken.
///
/// # Panics
/// If no free port is found.
pub fn free_sip_port() -> u16 {
    reserve(
        2,
        2,
        Needs {
            udp: true,
            tcp: true,
        },
    )
}

/// The first of `count` consecutive free UDP ports (an even number), for a peer's RTP range.
///
/// # Panics
/// If `count` is 0 or no free range is found.
pub fn free_udp_range(count: u16) -> u16 {
    assert!(count > 0, "free_udp_range(0)");
    reserve(
        count,
        2,
        Needs {
            udp: true,
            tcp: false,
        },
    )
}

fn reserve(count: u16, align: u16, needs: Needs) -> u16 {
    let mut guard = HANDED_OUT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let handed_out = guard.get_or_insert_with(HashSet::new);
    let span = RANGE_END - RANGE_START - count;
    let seed = RandomState::new().hash_one((std::process::id(), handed_out.len()));
    for attempt in 0..ATTEMPTS {
        let offset = (seed.wrapping_add(attempt as u64 * 7919) % u64::from(span)) as u16;
        let base = RANGE_START + offset - offset % align;
        let ports = base..base + count;
        if ports.clone().any(|p| handed_out.contains(&p)) {
            continue;
        }
        if ports.clone().all(|p| is_free(p, needs)) {
            handed_out.extend(ports);
            return base;
        }
    }
    panic!("no {count} free consecutive loopback port(s) in {RANGE_START}-{RANGE_END}");
}

fn is_free(port: u16, needs: Needs) -> bool {
    let address = (Ipv4Addr::LOCALHOST, port);
    (!needs.udp || UdpSocket::bind(address).is_ok())
        && (!needs.tcp || TcpListener::bind(address).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_bindable_and_never_handed_out_twice() {
        let mut seen = HashSet::new();
        for _ in 0..50 {
            let port = free_udp_port();
            assert!((RANGE_START..RANGE_END).contains(&port));
            assert!(seen.insert(port), "port {port} handed out twice");
            UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
        }
        let pair = free_port_pair();
        assert_eq!(pair % 2, 0);
        assert!(!seen.contains(&pair) && !seen.contains(&(pair + 1)));
        let _rtp = UdpSocket::bind((Ipv4Addr::LOCALHOST, pair)).unwrap();
        let _rtcp = UdpSocket::bind((Ipv4Addr::LOCALHOST, pair + 1)).unwrap();
    }

    #[test]
    fn sip_port_is_free_for_udp_tcp_and_tls() {
        let port = free_sip_port();
        let _udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
        let _tcp = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
        let _tls = TcpListener::bind((Ipv4Addr::LOCALHOST, port + 1)).unwrap();
    }

    #[test]
    fn ranges_skip_ports_in_use() {
        let busy = free_udp_port();
        let _hold = UdpSocket::bind((Ipv4Addr::LOCALHOST, busy)).unwrap();
        for _ in 0..20 {
            let base = free_udp_range(10);
            assert!(!(base..base + 10).contains(&busy));
        }
    }
}
