//! Registration client against a hand-scripted registrar.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use voxgate_sip::digest::Credentials;
use voxgate_sip::{Event, RegistrationConfig, Transport};

const REGISTRAR: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 8)),
    5060,
);
const EP: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1)),
    5060,
);

fn reg_config(expires: u32) -> RegistrationConfig {
    RegistrationConfig {
        registrar: REGISTRAR,
        transport: Transport::Udp,
        domain: "carrier.test".into(),
        credentials: Credentials {
            username: "1001".into(),
            password: "secret".into(),
        },
        expires,
    }
}

fn reply(to_request: &str, status: &str, extra: &str) -> String {
    let mut r = format!("SIP/2.0 {status}\r\n");
    for name in ["Via", "From"] {
        r.push_str(&format!(
            "{name}: {}\r\n",
            header(to_request, name).unwrap()
        ));
    }
    r.push_str(&format!(
        "To: {};tag=reg\r\n",
        header(to_request, "To").unwrap()
    ));
    for name in ["Call-ID", "CSeq"] {
        r.push_str(&format!(
            "{name}: {}\r\n",
            header(to_request, name).unwrap()
        ));
    }
    r.push_str(&format!("{extra}Content-Length: 0\r\n\r\n"));
    r
}

/// Run until the registrar has mail; return the single REGISTER it got.
fn next_register(net: &mut Net) -> String {
    assert!(net.run_until(10_000, |n| {
        n.mailbox.get(&REGISTRAR).is_some_and(|m| !m.is_empty())
    }));
    let mut mail = net.take_mail(REGISTRAR);
    assert_eq!(mail.len(), 1, "{mail:?}");
    mail.remove(0).1
}

#[test]
fn digest_then_refresh_before_expiry_then_backoff_after_failures() {
    let mut net = Net::new(1, Impairments::clean(), vec![config(EP, 1)]);
    let now = net.now;
    let reg = net.ep(0).register(now, reg_config(60));
    let first = next_register(&mut net);
    assert!(first.starts_with("REGISTER sip:carrier.test SIP/2.0\r\n"));
    assert_eq!(header(&first, "Expires"), Some("60"));
    assert_eq!(header(&first, "To"), Some("<sip:1001@carrier.test>"));
    let challenge = "WWW-Authenticate: Digest realm=\"carrier\", nonce=\"abc\", qop=\"auth\"\r\n";
    net.inject(
        REGISTRAR,
        EP,
        Transport::Udp,
        &reply(&first, "401 Unauthorized", challenge),
    );
    let second = next_register(&mut net);
    assert_eq!(header(&second, "CSeq"), Some("2 REGISTER"));
    assert_eq!(header(&second, "Call-ID"), header(&first, "Call-ID"));
    let auth = header(&second, "Authorization").unwrap();
    assert!(auth.contains("uri=\"sip:carrier.test\"") && auth.contains("username=\"1001\""));
    let contact = format!("Contact: <sip:1001@{EP}>;expires=60\r\n");
    net.inject(
        REGISTRAR,
        EP,
        Transport::Udp,
        &reply(&second, "200 OK", &contact),
    );
    assert!(net.run_until(100, |n| n.has_event(0, |e| *e
        == Event::Registered {
            registration: reg,
            expires: 60
        })));
    let registered_at = net.now;
    // Refresh at 51 s (85 %), same Call-ID, next CSeq.
    let refresh = next_register(&mut net);
    assert_eq!(
        net.now - registered_at,
        Duration::from_secs(51) + Duration::from_millis(20)
    );
    assert_eq!(header(&refresh, "CSeq"), Some("3 REGISTER"));
    assert_eq!(header(&refresh, "Call-ID"), header(&first, "Call-ID"));
    // Failures back off 10 s, then 20 s; Retry-After wins when given.
    net.inject(
        REGISTRAR,
        EP,
        Transport::Udp,
        &reply(&refresh, "503 Service Unavailable", ""),
    );
    let retry1 = next_register(&mut net);
    assert!(net.has_event(0, |e| *e
        == Event::RegistrationFailed {
            registration: reg,
            code: 503,
            retry_in: Duration::from_secs(10)
        }));
    net.inject(
        REGISTRAR,
        EP,
        Transport::Udp,
        &reply(&retry1, "500 Server Error", ""),
    );
    let before = net.now;
    let retry2 = next_register(&mut net);
    // 20 ms to deliver the 500, 20 s back-off, 20 ms to deliver the REGISTER.
    assert_eq!(
        net.now - before,
        Duration::from_secs(20) + Duration::from_millis(40)
    );
    net.inject(
        REGISTRAR,
        EP,
        Transport::Udp,
        &reply(&retry2, "503 Service Unavailable", "Retry-After: 7\r\n"),
    );
    let retry3 = next_register(&mut net);
    assert!(net.has_event(0, |e| *e
        == Event::RegistrationFailed {
            registration: reg,
            code: 503,
            retry_in: Duration::from_secs(7)
        }));
    net.inject(
        REGISTRAR,
        EP,
        Transport::Udp,
        &reply(&retry3, "200 OK", "Expires: 120\r\n"),
    );
    assert!(net.run_until(100, |n| n.has_event(0, |e| *e
        == Event::Registered {
            registration: reg,
            expires: 120
        })));
    // Unregister.
    let now = net.now;
    net.ep(0).unregister(now, reg);
    let remove = next_register(&mut net);
    assert_eq!(header(&remove, "Expires"), Some("0"));
    net.inject(REGISTRAR, EP, Transport::Udp, &reply(&remove, "200 OK", ""));
    net.assert_no_leaks();
    assert!(net.has_event(0, |e| *e
        == Event::Registered {
            registration: reg,
            expires: 0
        }));
    assert!(
        net.take_mail(REGISTRAR).is_empty(),
        "no refresh after unregister"
    );
}

#[test]
fn timer_f_fails_register_to_a_black_hole() {
    let mut net = Net::new(2, Impairments::clean(), vec![config(EP, 2)]);
    let now = net.now;
    let reg = net.ep(0).register(now, reg_config(3600));
    assert!(net.run_until(10_000, |n| {
        n.has_event(0, |e| matches!(e, Event::RegistrationFailed { .. }))
    }));
    assert_eq!(net.elapsed(), Duration::from_secs(32));
    assert!(net.has_event(0, |e| *e
        == Event::RegistrationFailed {
            registration: reg,
            code: 408,
            retry_in: Duration::from_secs(10)
        }));
    let sends: Vec<u128> = net
        .log
        .iter()
        .filter(|s| s.to == REGISTRAR)
        .map(|s| (s.at - net.start).as_millis())
        .collect();
    assert_eq!(
        sends,
        vec![
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    let now = net.now;
    net.ep(0).unregister(now, reg);
    net.assert_no_leaks();
}

#[test]
fn second_non_stale_challenge_fails_and_stale_one_is_retried() {
    let mut net = Net::new(3, Impairments::clean(), vec![config(EP, 3)]);
    let now = net.now;
    let reg = net.ep(0).register(now, reg_config(300));
    let challenge = |stale: bool| {
        format!("WWW-Authenticate: Digest realm=\"r\", nonce=\"n{stale}\", stale={stale}\r\n")
    };
    let r1 = next_register(&mut net);
    net.inject(
        REGISTRAR,
        EP,
        Transport::Udp,
        &reply(&r1, "401 Unauthorized", &challenge(false)),
    );
    let r2 = next_register(&mut net);
    net.inject(
        REGISTRAR,
        EP,
        Transport::Udp,
        &reply(&r2, "401 Unauthorized", &challenge(true)),
    );
    let r3 = next_register(&mut net);
    assert!(
        header(&r3, "Authorization")
            .unwrap()
            .contains("nonce=\"ntrue\"")
    );
    net.inject(
        REGISTRAR,
        EP,
        Transport::Udp,
        &reply(&r3, "401 Unauthorized", &challenge(false)),
    );
    assert!(net.run_until(100, |n| n.has_event(0, |e| matches!(
        e,
        Event::RegistrationFailed { code: 401, .. }
    ))));
    let now = net.now;
    net.ep(0).unregister(now, reg);
    let remove = next_register(&mut net);
    net.inject(REGISTRAR, EP, Transport::Udp, &reply(&remove, "200 OK", ""));
    net.assert_no_leaks();
}
