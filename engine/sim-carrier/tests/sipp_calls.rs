//! Real sockets: SIPp plays the engine (UAC) and dials numbers with different personas; a
//! small RTP "bot" in this test talks to the answered callee. Every wait is bounded.

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use voxgate_audio::sit::{SitCategory, SitDetector};
use voxgate_codecs::g711::{ulaw_decode, ulaw_encode};
use voxgate_sim_carrier::{SimCarrier, SimCarrierOptions};
use voxgate_speech::espeak::{EspeakConfig, EspeakNg};
use voxgate_speech::{Synthesizer, TtsRequest};

const INVITE: &str = r#"<send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "bot" <sip:bot@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:bot@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=bot 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio [rtp_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv

]]></send>
<recv response="100" optional="true"/>
"#;

/// The ACK of a failure response (same branch as the INVITE, taken from the response's Via).
const ACK_FAILURE: &str = r#"<send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: "bot" <sip:bot@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
"#;

fn scenario(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n<scenario name=\"t\">\n{INVITE}{body}</scenario>\n"
    )
}

/// Expect `code` (after the given provisional responses), with `reason` in its Reason header.
fn failure(provisionals: &str, code: u16, reason: &str) -> String {
    let check = format!(
        r#"<action><ereg regexp="{reason}" search_in="hdr" header="Reason:" check_it="true" assign_to="reason"/></action>"#
    );
    scenario(&format!(
        "{provisionals}<recv response=\"{code}\">{check}</recv>\n\
         <nop><action><log message=\"reason [$reason]\"/></action></nop>\n{ACK_FAILURE}"
    ))
}

fn ringing_then_cancel() -> String {
    scenario(&format!(
        r#"<recv response="180"/>
<pause milliseconds="1500"/>
<send><![CDATA[
CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: "bot" <sip:bot@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 CANCEL
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
<recv response="487"/>
{ACK_FAILURE}"#
    ))
}

fn answered_until_callee_bye() -> String {
    scenario(
        r#"<recv response="180" optional="true"/>
<recv response="200" rrs="true"/>
<send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "bot" <sip:bot@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv request="BYE"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
"#,
    )
}

/// Run one SIPp call to `number`; Err with its logs when it fails or times out.
fn sipp(
    dir: &Path,
    name: &str,
    xml: &str,
    carrier: SocketAddr,
    number: &str,
    rtp_port: u16,
) -> Result<(), String> {
    let file = dir.join(format!("{name}.xml"));
    std::fs::write(&file, xml).map_err(|e| e.to_string())?;
    let mut child = Command::new("sipp")
        .current_dir(dir)
        .arg(carrier.to_string())
        .arg("-sf")
        .arg(&file)
        .args([
            "-s",
            number,
            "-m",
            "1",
            "-i",
            "127.0.0.1",
            "-mi",
            "127.0.0.1",
        ])
        .args([
            "-p",
            &free_udp_port().to_string(),
            "-mp",
            &free_udp_port().to_string(),
        ])
        .args(["-key", "rtp_port", &rtp_port.to_string()])
        .args([
            "-timeout",
            "40s",
            "-timeout_error",
            "-nostdin",
            "-trace_err",
            "-trace_logs",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("sipp: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if status.is_some_and(|s| s.success()) {
        return Ok(());
    }
    let logs: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().contains(name) && p.extension().is_some_and(|e| e == "log"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    Err(format!("{name}: sipp {status:?}\n{}", logs.join("\n")))
}

/// What the test's RTP peer observed.
#[derive(Debug, Default)]
struct Heard {
    packets: usize,
    voice_frames: usize,
    digits: Vec<u8>,
    sit: Option<SitCategory>,
}

/// One received RTP packet, accounted for.
fn account(heard: &mut Heard, sit: &mut SitDetector, packet: &[u8]) {
    if packet.len() < 12 {
        return;
    }
    heard.packets += 1;
    let payload = &packet[12..];
    match packet[1] & 0x7f {
        0 => {
            let pcm: Vec<i16> = payload.iter().map(|b| ulaw_decode(*b)).collect();
            let energy =
                pcm.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / pcm.len().max(1) as f64;
            if energy.sqrt() > 300.0 {
                heard.voice_frames += 1;
            }
            if let Some(tone) = sit.push(&pcm) {
                heard.sit = Some(tone.category);
            }
        }
        101 if !payload.is_empty() && !heard.digits.contains(&payload[0]) => {
            heard.digits.push(payload[0])
        }
        _ => {}
    }
}

/// Receive early media until `stop`.
fn listen(socket: UdpSocket, stop: Arc<AtomicBool>) -> Heard {
    let mut heard = Heard::default();
    let mut sit = SitDetector::new(8000).expect("8 kHz");
    let mut buf = [0u8; 2048];
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        if let Ok(n) = socket.recv(&mut buf) {
            account(&mut heard, &mut sit, &buf[..n]);
        }
    }
    heard
}

/// The bot: says each utterance, then waits (bounded) for the callee to react (speech then
/// quiet, or a digit), and sends silence until `stop`.
fn bot(socket: UdpSocket, utterances: Vec<Vec<i16>>, stop: Arc<AtomicBool>) -> Heard {
    let mut heard = Heard::default();
    let mut sit = SitDetector::new(8000).expect("8 kHz");
    let mut buf = [0u8; 2048];
    socket.set_nonblocking(true).expect("nonblocking");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut remote = None;
    while remote.is_none() && Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
        if let Ok((n, from)) = socket.recv_from(&mut buf) {
            account(&mut heard, &mut sit, &buf[..n]);
            remote = Some(from);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let Some(remote) = remote else { return heard };
    let (mut seq, mut ts) = (1u16, 0u32);
    let mut queue: Vec<i16> = Vec::new();
    let mut next = utterances.into_iter();
    let mut waiting_since = Some(Instant::now() - Duration::from_secs(60));
    let (mut baseline_voice, mut baseline_digits, mut quiet_since) = (0, 0, Instant::now());
    let mut tick = Instant::now();
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        while let Ok(n) = socket.recv(&mut buf) {
            let before = heard.voice_frames;
            account(&mut heard, &mut sit, &buf[..n]);
            if heard.voice_frames > before {
                quiet_since = Instant::now();
            }
        }
        if let Some(since) = waiting_since {
            let spoke = heard.voice_frames > baseline_voice + 10
                && quiet_since.elapsed() > Duration::from_millis(800);
            let pressed = heard.digits.len() > baseline_digits;
            let gave_up = since.elapsed() > Duration::from_secs(30);
            if (spoke || pressed || gave_up)
                && let Some(utterance) = next.next()
            {
                queue = utterance;
                waiting_since = None;
            }
        } else if queue.is_empty() {
            waiting_since = Some(Instant::now());
            baseline_voice = heard.voice_frames;
            baseline_digits = heard.digits.len();
        }
        let take = queue.len().min(160);
        let mut frame: Vec<i16> = queue.drain(..take).collect();
        frame.resize(160, 0);
        let mut packet = vec![0x80, 0, (seq >> 8) as u8, seq as u8];
        packet.extend_from_slice(&ts.to_be_bytes());
        packet.extend_from_slice(&0x0bad_cafe_u32.to_be_bytes());
        packet.extend(frame.iter().map(|s| ulaw_encode(*s)));
        let _ = socket.send_to(&packet, remote);
        (seq, ts) = (seq.wrapping_add(1), ts.wrapping_add(160));
        tick += Duration::from_millis(20);
        std::thread::sleep(tick.saturating_duration_since(Instant::now()));
    }
    heard
}

fn journal(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("journal line is JSON"))
        .collect()
}

const PERSONAS: &str = r#"
[carrier]
listen = "127.0.0.1:0"
rtp_ports = [RTP_FIRST, RTP_LAST]
end_silence_ms = 600

[[persona]]
name = "busy line"
numbers = ["100"]
outcome = "busy"

[[persona]]
name = "vacant"
numbers = ["200"]
outcome = "empty_number"

[[persona]]
name = "nobody home"
numbers = ["300"]
outcome = "no_answer"

[[persona]]
name = "talker"
numbers = ["40*"]
outcome = "answer"
ring_ms = 300
hangup_after_ms = 20000
turns = [{ say = "yes, speaking" }, { digits = "5" }, { hangup = true }]

[[persona]]
name = "phone off"
numbers = ["500"]
outcome = "powered_off"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_dials_the_personas() {
    if Command::new("sipp").arg("-v").output().is_err()
        || Command::new("espeak-ng").arg("--version").output().is_err()
    {
        eprintln!("skipped: needs sipp (Debian sip-tester) and espeak-ng");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rtp_first = 40000 + (std::process::id() % 500) as u16 * 40;
    let personas = PERSONAS
        .replace("RTP_FIRST", &rtp_first.to_string())
        .replace("RTP_LAST", &(rtp_first + 39).to_string());
    let persona_file = dir.path().join("personas.toml");
    std::fs::write(&persona_file, personas).expect("write personas");
    let journal_file = dir.path().join("journal.jsonl");
    let vad =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vad-models/silero_vad_op18_ifless.onnx");
    let options = SimCarrierOptions::new(&persona_file, vad).with_journal(&journal_file);
    let espeak = Arc::new(EspeakNg::new(&EspeakConfig::default()).expect("espeak settings"));
    let mut utterances = Vec::new();
    for text in [
        "Hello, this is the bank calling about your new card.",
        "Please press five to confirm your address.",
        "Thank you, goodbye.",
    ] {
        let request = TtsRequest {
            text: text.into(),
            voice: None,
            language: Some("en".into()),
        };
        utterances.push(espeak.synthesize(request).await.expect("espeak-ng speaks"));
    }
    let carrier = SimCarrier::bind(options, espeak)
        .await
        .expect("sim-carrier starts");
    let address = carrier.local_addr();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(carrier.serve(async move {
        let _ = stop_rx.await;
    }));

    let work = dir.path().to_path_buf();
    let calls = tokio::task::spawn_blocking(move || -> Result<(Heard, Heard), String> {
        let idle = free_udp_port();
        sipp(
            &work,
            "busy",
            &failure("", 486, "Q.850;cause=17"),
            address,
            "100",
            idle,
        )?;
        sipp(
            &work,
            "off",
            &failure("", 480, "Q.850;cause=20"),
            address,
            "500",
            idle,
        )?;
        sipp(
            &work,
            "cancel",
            &ringing_then_cancel(),
            address,
            "300",
            idle,
        )?;

        let early = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let early_port = early.local_addr().map_err(|e| e.to_string())?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let listener = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || listen(early, stop))
        };
        let vacant = failure("<recv response=\"183\"/>\n", 404, "Q.850;cause=1");
        let result = sipp(&work, "vacant", &vacant, address, "200", early_port);
        stop.store(true, Ordering::Relaxed);
        let early_heard = listener.join().map_err(|_| "listener panicked")?;
        result?;

        let media = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let media_port = media.local_addr().map_err(|e| e.to_string())?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let talker = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || bot(media, utterances, stop))
        };
        let result = sipp(
            &work,
            "answer",
            &answered_until_callee_bye(),
            address,
            "401",
            media_port,
        );
        stop.store(true, Ordering::Relaxed);
        let bot_heard = talker.join().map_err(|_| "bot panicked")?;
        result?;
        Ok((early_heard, bot_heard))
    });
    let outcome = calls.await.expect("calls task");
    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(10), served)
        .await
        .expect("carrier stops")
        .expect("serve");
    let (early, bot) = outcome.unwrap_or_else(|e| panic!("{e}"));

    assert!(early.packets > 50, "early media RTP: {early:?}");
    assert_eq!(early.sit, Some(SitCategory::VacantCode), "{early:?}");
    assert!(bot.voice_frames > 20, "the callee spoke: {bot:?}");
    assert_eq!(bot.digits, [5], "the callee pressed 5: {bot:?}");

    let entries = journal(&journal_file);
    let by_number = |n: &str| {
        entries
            .iter()
            .find(|e| e["number"] == n)
            .unwrap_or_else(|| panic!("{n} in {entries:#?}"))
    };
    let busy = by_number("100");
    assert_eq!(
        (busy["code"].as_u64(), busy["reason"].as_str()),
        (Some(486), Some("Q.850;cause=17"))
    );
    assert_eq!(busy["ended_by"], "carrier");
    assert_eq!(by_number("500")["code"], 480);
    let cancelled = by_number("300");
    assert_eq!(
        (cancelled["code"].as_u64(), cancelled["ended_by"].as_str()),
        (Some(487), Some("cancel"))
    );
    let vacant = by_number("200");
    assert_eq!(
        (vacant["code"].as_u64(), vacant["early_media"].as_str()),
        (Some(404), Some("sit"))
    );

    let talk = by_number("401");
    eprintln!("answered call: {talk:#}\nbot heard: {bot:?}\nearly media: {early:?}");
    assert_eq!(
        (talk["persona"].as_str(), talk["code"].as_u64()),
        (Some("talker"), Some(200))
    );
    assert_eq!(talk["ended_by"], "callee");
    let turns = talk["turns"].as_array().expect("turns");
    let kinds: Vec<&str> = turns.iter().filter_map(|t| t["kind"].as_str()).collect();
    assert_eq!(kinds, ["say", "digits", "hangup"], "{talk:#}");
    let speech = talk["bot_speech"].as_array().expect("bot speech");
    assert!(speech.len() >= 3, "three bot utterances heard: {talk:#}");
    // Each turn came after the bot's utterance before it had ended.
    for (turn, heard) in turns.iter().zip(speech) {
        assert!(
            turn["at_ms"].as_u64() >= heard["end_ms"].as_u64(),
            "{talk:#}"
        );
    }
    assert_eq!(entries.len(), 5, "{entries:#?}");
}

/// A UDP port free on loopback right now.
fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("loopback UDP")
}
