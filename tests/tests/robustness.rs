//! The running engine against hostile input: the malformed-SIP corpus over UDP and TCP, requests
//! from outside the allowed networks, and a sipvicious scan. It must answer 400/403 or drop,
//! and keep serving.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::time::Duration;

use voxgate_tests::{Voxgate, example_prompt, require_peers};

fn config(allowed: &str) -> String {
    format!(
        "[[trunk]]\nname = \"peers\"\ngateways = [\"127.0.0.1:5999\"]\nauth = \"ip\"\nallowed_networks = [\"{allowed}\"]\n\n[[route]]\nname = \"any\"\nnumber = \"*\"\nprompt = \"{}\"\n",
        example_prompt("notice.wav").display()
    )
}

fn corpus(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../engine/sip/tests/corpus");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).expect("corpus file"),
            )
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "corpus has {} {prefix} files",
        files.len()
    );
    files
}

fn options(local: SocketAddr, engine: SocketAddr, transport: &str, n: u32) -> Vec<u8> {
    format!(
        "OPTIONS sip:{engine} SIP/2.0\r\nVia: SIP/2.0/{transport} {local};branch=z9hG4bKprobe{n}\r\nMax-Forwards: 70\r\nFrom: <sip:probe@{local}>;tag=p{n}\r\nTo: <sip:{engine}>\r\nCall-ID: probe-{n}@test\r\nCSeq: {n} OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn udp_exchange(socket: &UdpSocket, to: SocketAddr, bytes: &[u8]) -> Option<String> {
    socket.send_to(bytes, to).expect("send");
    let mut buf = vec![0u8; 65_535];
    match socket.recv_from(&mut buf) {
        Ok((n, _)) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
        Err(_) => None,
    }
}

fn status(response: &str) -> &str {
    response.lines().next().unwrap_or_default()
}

#[test]
fn malformed_corpus_over_udp_gets_400_or_nothing_and_the_engine_keeps_serving() {
    let engine = Voxgate::start(&config("127.0.0.0/8")).expect("engine");
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let mut answered = 0;
    let mut garbage = corpus("err_");
    garbage.push(("oversized".into(), vec![b'A'; 65_000]));
    garbage.push(("binary".into(), (0..=255u8).cycle().take(3000).collect()));
    for (name, bytes) in &garbage {
        if let Some(response) = udp_exchange(&socket, engine.sip_addr(), bytes) {
            let line = status(&response);
            assert!(
                line.starts_with("SIP/2.0 400") || line.starts_with("SIP/2.0 501"),
                "{name}: got {line}"
            );
            answered += 1;
        }
    }
    assert!(
        answered >= 5,
        "only {answered} malformed requests were answered with 400"
    );
    let probe = options(socket.local_addr().unwrap(), engine.sip_addr(), "UDP", 1);
    let response = udp_exchange(&socket, engine.sip_addr(), &probe).expect("OPTIONS answered");
    assert!(status(&response).starts_with("SIP/2.0 200"), "{response}");
    assert!(!engine.log().contains("panicked"));
}

#[test]
fn malformed_corpus_over_tcp_gets_400_or_a_closed_connection() {
    let engine = Voxgate::start(&config("127.0.0.0/8")).expect("engine");
    for (name, bytes) in corpus("err_") {
        let mut stream = TcpStream::connect(engine.sip_addr()).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .expect("timeout");
        stream.write_all(&bytes).expect("write");
        let mut buf = vec![0u8; 4096];
        if let Ok(n @ 1..) = stream.read(&mut buf) {
            let response = String::from_utf8_lossy(&buf[..n]).into_owned();
            let line = status(&response);
            assert!(
                line.starts_with("SIP/2.0 400") || line.starts_with("SIP/2.0 501"),
                "{name}: got {line}"
            );
        }
    }
    let mut stream = TcpStream::connect(engine.sip_addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    let probe = options(stream.local_addr().unwrap(), engine.sip_addr(), "TCP", 2);
    stream.write_all(&probe).expect("write");
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).expect("OPTIONS answered over TCP");
    let response = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(status(&response).starts_with("SIP/2.0 200"), "{response}");
}

#[test]
fn requests_from_outside_the_allowed_networks_get_403_and_are_logged() {
    let engine = Voxgate::start(&config("127.0.0.2/32")).expect("engine");
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let probe = options(socket.local_addr().unwrap(), engine.sip_addr(), "UDP", 3);
    let response = udp_exchange(&socket, engine.sip_addr(), &probe).expect("answered");
    assert!(status(&response).starts_with("SIP/2.0 403"), "{response}");
    // From an allowed address the same request is served.
    let allowed = UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    allowed
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let probe = options(allowed.local_addr().unwrap(), engine.sip_addr(), "UDP", 4);
    let response = udp_exchange(&allowed, engine.sip_addr(), &probe).expect("answered");
    assert!(status(&response).starts_with("SIP/2.0 200"), "{response}");
    assert!(
        engine.log().contains("rejected request"),
        "the 403 is logged"
    );
}

#[test]
fn a_sipvicious_scan_is_answered_and_survived() {
    require_peers!("sipvicious");
    let engine = Voxgate::start(&config("127.0.0.0/8")).expect("engine");
    let svmap = voxgate_tests::peers::workspace_root().join(".voxgate/venv/bin/sipvicious_svmap");
    let port = engine.sip_addr().port().to_string();
    let output = std::process::Command::new(&svmap)
        .args(["127.0.0.1", "-p", &port])
        .output()
        .expect("svmap runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("voxgate"), "svmap found voxgate: {stdout}");
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let probe = options(socket.local_addr().unwrap(), engine.sip_addr(), "UDP", 5);
    assert!(
        udp_exchange(&socket, engine.sip_addr(), &probe)
            .is_some_and(|r| status(&r).starts_with("SIP/2.0 200"))
    );
}
