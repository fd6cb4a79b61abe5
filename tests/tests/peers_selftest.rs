//! Proves the peer harness against the peers themselves: baresip against SIPp, baresip,
//! PyVoIP and linphonec. No voxgate code is involved; if these fail, fix the harness or the
//! machine before blaming the engine.

use std::time::Duration;

use voxgate_tests::{
    AnswerMode, Baresip, BaresipOptions, ENERGY_THRESHOLD, Linphone, LinphoneOptions, Netns,
    PyVoip, PyVoipOptions, RtpPcap, SippOptions, TempDir, Wav, netns::list_netns, require_peers,
    wav,
};

const SECOND: Duration = Duration::from_secs(1);
const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// A 30 s tone: long enough that baresip does not hang up because its input ended.
fn long_tone(dir: &TempDir, name: &str, frequency: f32) -> std::path::PathBuf {
    let path = dir.join(name);
    wav::write_tone(&path, frequency, 30 * SECOND, 8000, 0.3).expect("tone");
    path
}

#[test]
fn sipp_uas_rejects_baresip_with_486() {
    require_peers!("baresip", "sipp");
    let dir = TempDir::new("selftest").unwrap();
    let mut sipp = SippOptions::uas("uas_486_busy").start().unwrap();
    let mut baresip = Baresip::start(BaresipOptions::new(long_tone(&dir, "a.wav", 440.0))).unwrap();

    baresip.dial(&sipp.uri("baresip")).unwrap();
    let closed = baresip.wait_event("CALL_CLOSED", EVENT_TIMEOUT).unwrap();
    assert_eq!(closed.param, "486 Busy Here");

    let outcome = sipp.wait(EVENT_TIMEOUT).unwrap();
    assert!(outcome.all_succeeded(), "{outcome:#?}");
    assert_eq!(outcome.successful, 1);
}

#[test]
fn baresip_cancels_a_sipp_call_that_rings_forever() {
    require_peers!("baresip", "sipp");
    let dir = TempDir::new("selftest").unwrap();
    let mut sipp = SippOptions::uas("uas_ring_forever").start().unwrap();
    let mut baresip = Baresip::start(BaresipOptions::new(long_tone(&dir, "a.wav", 440.0))).unwrap();

    baresip.dial(&sipp.uri("baresip")).unwrap();
    baresip.wait_event("CALL_RINGING", EVENT_TIMEOUT).unwrap();
    std::thread::sleep(ms(300));
    baresip.hangup().unwrap();
    baresip.wait_event("CALL_CLOSED", EVENT_TIMEOUT).unwrap();

    let outcome = sipp.wait(EVENT_TIMEOUT).unwrap();
    assert!(outcome.all_succeeded(), "{outcome:#?}");
}

#[test]
fn baresip_calls_baresip_with_audio_and_dtmf() {
    require_peers!("baresip");
    let dir = TempDir::new("selftest").unwrap();
    let mut caller = Baresip::start(BaresipOptions::new(long_tone(&dir, "a.wav", 440.0))).unwrap();
    let mut callee = Baresip::start(BaresipOptions::new(long_tone(&dir, "b.wav", 1000.0))).unwrap();

    caller.dial(&callee.uri()).unwrap();
    let incoming = callee.wait_event("CALL_INCOMING", EVENT_TIMEOUT).unwrap();
    assert_eq!(incoming.direction.as_deref(), Some("incoming"));
    callee.answer().unwrap();
    caller
        .wait_event("CALL_ESTABLISHED", EVENT_TIMEOUT)
        .unwrap();
    callee
        .wait_event("CALL_ESTABLISHED", EVENT_TIMEOUT)
        .unwrap();

    std::thread::sleep(SECOND);
    caller.send_dtmf("12#").unwrap();
    let mut digits = String::new();
    for _ in 0..3 {
        let event = callee.wait_event("CALL_DTMF_START", EVENT_TIMEOUT).unwrap();
        digits.push_str(&event.param);
    }
    assert_eq!(digits, "12#");

    caller.hangup().unwrap();
    caller.wait_event("CALL_CLOSED", EVENT_TIMEOUT).unwrap();
    callee.wait_event("CALL_CLOSED", EVENT_TIMEOUT).unwrap();

    let heard = callee.heard(SECOND).unwrap();
    assert!(heard.duration() > SECOND, "{:?}", heard.duration());
    assert!(heard.has_energy_between(0, ms(200), ms(1000), ENERGY_THRESHOLD));
    let sent = callee.sent(SECOND).unwrap();
    assert!(sent.has_energy_between(0, ms(200), ms(1000), ENERGY_THRESHOLD));
}

#[test]
fn sipp_uac_plays_a_generated_pcap_to_baresip() {
    require_peers!("baresip", "sipp");
    let dir = TempDir::new("selftest").unwrap();
    let mut baresip = Baresip::start(
        BaresipOptions::new(long_tone(&dir, "a.wav", 440.0)).answer_mode(AnswerMode::Auto),
    )
    .unwrap();
    // One second of silence, then 1.5 s of tone: the recording must show the same shape.
    wav::write_tone(dir.join("burst.wav"), 700.0, ms(1500), 8000, 0.5).unwrap();
    let burst = Wav::read(dir.join("burst.wav")).unwrap();
    let pcap = RtpPcap::new().silence(SECOND).audio(&burst).unwrap();
    pcap.write(dir.join("media.pcap")).unwrap();

    let mut sipp = SippOptions::uac("uac_call_pcap", baresip.sip_addr())
        .service("baresip")
        .media_pcap(dir.join("media.pcap"))
        .duration(ms(3000))
        .start()
        .unwrap();
    let outcome = sipp.wait(EVENT_TIMEOUT).unwrap();
    assert!(outcome.all_succeeded(), "{outcome:#?}");
    baresip
        .wait_event("CALL_ESTABLISHED", EVENT_TIMEOUT)
        .unwrap();
    baresip.wait_event("CALL_CLOSED", EVENT_TIMEOUT).unwrap();

    let heard = baresip.heard(SECOND).unwrap();
    assert!(heard.is_silent_between(0, ms(100), ms(800), ENERGY_THRESHOLD));
    assert!(heard.has_energy_between(0, ms(1300), ms(2300), ENERGY_THRESHOLD));
    let start = heard.first_energy(0, ENERGY_THRESHOLD).unwrap();
    assert!(
        start >= ms(800) && start <= ms(1500),
        "tone starts at {start:?}"
    );
}

#[test]
fn sipp_uas_that_ignores_invite_sees_no_failure() {
    require_peers!("baresip", "sipp");
    let dir = TempDir::new("selftest").unwrap();
    let mut sipp = SippOptions::uas("uas_ignore")
        .duration(ms(2000))
        .start()
        .unwrap();
    let mut baresip = Baresip::start(BaresipOptions::new(long_tone(&dir, "a.wav", 440.0))).unwrap();
    baresip.dial(&sipp.uri("baresip")).unwrap();
    std::thread::sleep(SECOND);
    baresip.hangup().unwrap();
    let outcome = sipp.wait(EVENT_TIMEOUT).unwrap();
    assert!(outcome.all_succeeded(), "{outcome:#?}");
}

#[test]
fn pyvoip_answers_baresip_and_records_it() {
    require_peers!("baresip", "pyvoip");
    let dir = TempDir::new("selftest").unwrap();
    let mut baresip = Baresip::start(BaresipOptions::new(long_tone(&dir, "a.wav", 440.0))).unwrap();
    wav::write_tone(dir.join("py.wav"), 1000.0, 5 * SECOND, 8000, 0.3).unwrap();
    let mut pyvoip = PyVoip::start(
        PyVoipOptions::new(baresip.sip_addr())
            .hold(3 * SECOND)
            .play(dir.join("py.wav")),
    )
    .unwrap();

    baresip.dial(&pyvoip.uri()).unwrap();
    baresip
        .wait_event("CALL_ESTABLISHED", EVENT_TIMEOUT)
        .unwrap();
    pyvoip.wait_line("ANSWERED", EVENT_TIMEOUT).unwrap();
    let heard = pyvoip.finish(EVENT_TIMEOUT).unwrap();
    let closed = baresip.wait_event("CALL_CLOSED", EVENT_TIMEOUT).unwrap();
    assert_eq!(closed.param, "Connection reset by peer", "PyVoIP hung up");

    assert_eq!(heard.sample_rate, 8000);
    assert!(heard.duration() >= ms(2900), "{:?}", heard.duration());
    assert!(heard.has_energy_between(0, ms(500), ms(2500), ENERGY_THRESHOLD));
    let baresip_heard = baresip.heard(SECOND).unwrap();
    assert!(baresip_heard.has_energy_between(0, ms(200), ms(2000), ENERGY_THRESHOLD));
}

#[test]
fn baresip_calls_linphonec_inside_a_private_netns() {
    require_peers!("baresip", "linphonec");
    let dir = TempDir::new("selftest").unwrap();
    let netns = Netns::create().unwrap();
    let netns_name = netns.name().to_string();
    {
        wav::write_tone(dir.join("lin.wav"), 1000.0, 10 * SECOND, 8000, 0.3).unwrap();
        let mut linphone = Linphone::start(
            &netns,
            LinphoneOptions {
                play: Some(dir.join("lin.wav")),
                auto_answer: true,
            },
        )
        .unwrap();
        let mut baresip =
            Baresip::start(BaresipOptions::new(long_tone(&dir, "a.wav", 440.0)).in_netns(&netns))
                .unwrap();

        baresip.dial(&linphone.uri()).unwrap();
        baresip
            .wait_event("CALL_ESTABLISHED", EVENT_TIMEOUT)
            .unwrap();
        linphone.wait_output("connected", EVENT_TIMEOUT).unwrap();
        std::thread::sleep(2 * SECOND);
        baresip.hangup().unwrap();
        baresip.wait_event("CALL_CLOSED", EVENT_TIMEOUT).unwrap();
        linphone.wait_output("ended", EVENT_TIMEOUT).unwrap();

        let heard = linphone.recording(5 * SECOND).unwrap();
        assert!(heard.has_energy_between(0, ms(300), ms(1500), ENERGY_THRESHOLD));
        let baresip_heard = baresip.heard(SECOND).unwrap();
        assert!(baresip_heard.has_energy_between(0, ms(300), ms(1500), ENERGY_THRESHOLD));
    }
    drop(netns);
    assert!(!list_netns().contains(&netns_name), "netns left behind");
}

#[test]
fn espeak_speech_is_8k_mono_with_energy() {
    require_peers!("espeak-ng", "sox");
    let dir = TempDir::new("selftest").unwrap();
    let path = dir.join("speech.wav");
    wav::write_speech(&path, "Hello, this is voxgate.", None).unwrap();
    let speech = Wav::read(&path).unwrap();
    assert_eq!((speech.sample_rate, speech.channels.len()), (8000, 1));
    assert!(speech.duration() > ms(800), "{:?}", speech.duration());
    assert!(speech.first_energy(0, ENERGY_THRESHOLD).is_some());
    wav::write_speech(dir.join("zh.wav"), "你好", Some("cmn")).unwrap();
}

#[test]
fn sipp_uas_answers_and_waits_for_baresips_bye() {
    require_peers!("baresip", "sipp");
    let dir = TempDir::new("selftest").unwrap();
    let mut sipp = SippOptions::uas("uas_answer").start().unwrap();
    let mut baresip = Baresip::start(BaresipOptions::new(long_tone(&dir, "a.wav", 440.0))).unwrap();
    baresip.dial(&sipp.uri("baresip")).unwrap();
    baresip
        .wait_event("CALL_ESTABLISHED", EVENT_TIMEOUT)
        .unwrap();
    baresip.hangup().unwrap();
    baresip.wait_event("CALL_CLOSED", EVENT_TIMEOUT).unwrap();
    let outcome = sipp.wait(EVENT_TIMEOUT).unwrap();
    assert!(outcome.all_succeeded(), "{outcome:#?}");
}

#[test]
fn sipp_uas_hangs_up_on_baresip_after_the_call_duration() {
    require_peers!("baresip", "sipp");
    let dir = TempDir::new("selftest").unwrap();
    let mut sipp = SippOptions::uas("uas_answer_then_bye")
        .duration(ms(500))
        .start()
        .unwrap();
    let mut baresip = Baresip::start(BaresipOptions::new(long_tone(&dir, "a.wav", 440.0))).unwrap();
    baresip.dial(&sipp.uri("baresip")).unwrap();
    baresip
        .wait_event("CALL_ESTABLISHED", EVENT_TIMEOUT)
        .unwrap();
    let closed = baresip.wait_event("CALL_CLOSED", EVENT_TIMEOUT).unwrap();
    assert_eq!(closed.param, "Connection reset by peer");
    let outcome = sipp.wait(EVENT_TIMEOUT).unwrap();
    assert!(outcome.all_succeeded(), "{outcome:#?}");
}

#[test]
fn baresip_hangs_up_when_its_input_wav_ends() {
    require_peers!("baresip", "sipp");
    let dir = TempDir::new("selftest").unwrap();
    wav::write_tone(dir.join("short.wav"), 440.0, SECOND, 8000, 0.3).unwrap();
    let mut baresip =
        Baresip::start(BaresipOptions::new(dir.join("short.wav")).answer_mode(AnswerMode::Auto))
            .unwrap();
    let mut sipp = SippOptions::uac("uac_call_wait_bye", baresip.sip_addr())
        .service("baresip")
        .start()
        .unwrap();
    let closed = baresip.wait_event("CALL_CLOSED", EVENT_TIMEOUT).unwrap();
    assert_eq!(closed.param, "end of file");
    let outcome = sipp.wait(EVENT_TIMEOUT).unwrap();
    assert!(outcome.all_succeeded(), "{outcome:#?}");
}

#[test]
fn sipp_plays_generated_rfc4733_digits_that_baresip_decodes() {
    require_peers!("baresip", "sipp");
    let dir = TempDir::new("selftest").unwrap();
    let mut baresip = Baresip::start(
        BaresipOptions::new(long_tone(&dir, "a.wav", 440.0)).answer_mode(AnswerMode::Auto),
    )
    .unwrap();
    let mut pcap = RtpPcap::new().silence(ms(500));
    for digit in ['1', '2', '#'] {
        pcap = pcap.dtmf(digit, ms(120)).unwrap().silence(ms(200));
    }
    pcap.write(dir.join("media.pcap")).unwrap();
    let mut sipp = SippOptions::uac("uac_call_pcap", baresip.sip_addr())
        .service("baresip")
        .media_pcap(dir.join("media.pcap"))
        .duration(ms(2000))
        .start()
        .unwrap();

    let mut digits = String::new();
    for _ in 0..3 {
        let event = baresip
            .wait_event("CALL_DTMF_START", EVENT_TIMEOUT)
            .unwrap();
        digits.push_str(&event.param);
    }
    assert_eq!(digits, "12#");
    let outcome = sipp.wait(EVENT_TIMEOUT).unwrap();
    assert!(outcome.all_succeeded(), "{outcome:#?}");
}
