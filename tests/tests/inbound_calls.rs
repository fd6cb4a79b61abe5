//! Real inbound calls into `voxgate run` from third-party UAs: baresip (RFC 4733 DTMF, G.711 and
//! Opus), SIPp over TCP, and graceful shutdown with a call in progress.

use std::time::Duration;

use voxgate_tests::{
    AnswerMode, Baresip, BaresipOptions, ENERGY_THRESHOLD, LOOPBACK_TRUNK, SippOptions, TempDir,
    Voxgate, Wav, example_prompt, ivr_route, require_peers, wav,
};

fn ivr_config() -> String {
    let goodbye = format!("goodbye = \"{}\"", example_prompt("goodbye.wav").display());
    let notice = example_prompt("notice.wav");
    format!(
        "{LOOPBACK_TRUNK}\n{}\n[[route]]\nname = \"notice\"\nnumber = \"*\"\nprompt = \"{}\"\nrecord = true\n",
        ivr_route("welcome.wav", 6, &goodbye),
        notice.display()
    )
}

/// A baresip caller sending a 440 Hz tone, in `codecs` (its input WAV at the rate they need).
fn tone_caller(dir: &TempDir, codecs: &str) -> Baresip {
    let mono = dir.join("tone-8k.wav");
    wav::write_tone(&mono, 440.0, Duration::from_secs(30), 8000, 0.3).expect("tone");
    let input = if codecs.contains("opus") {
        // baresip's Opus wants 48 kHz stereo input.
        let stereo = dir.join("tone-48k-stereo.wav");
        let sox = std::process::Command::new("sox")
            .arg(&mono)
            .args(["-r", "48000", "-c", "2"])
            .arg(&stereo)
            .status();
        assert!(sox.expect("sox runs").success());
        stereo
    } else {
        mono
    };
    Baresip::start(
        BaresipOptions::new(&input)
            .answer_mode(AnswerMode::Manual)
            .audio_codecs(codecs),
    )
    .expect("baresip")
}

#[test]
fn baresip_calls_the_ivr_and_sends_dtmf() {
    require_peers!("baresip");
    let engine = Voxgate::start(&ivr_config()).expect("engine starts");
    let dir = TempDir::new("baresip-in").expect("temp dir");
    let mut caller = tone_caller(&dir, "pcmu");
    // The first digit cuts the welcome prompt; '#' ends collection, goodbye plays, voxgate hangs up.
    let r = engine
        .take_call(&mut caller, "1000", Duration::from_millis(1500), "12#")
        .expect("call");

    assert_eq!(r["direction"], "inbound");
    assert_eq!(r["route"], "ivr");
    assert_eq!(r["trunk"], "peers");
    assert_eq!(r["outcome"], "answered");
    assert_eq!(r["hangup_by"], "bot");
    assert_eq!(r["digits"], "12", "record: {r:#}");
    assert_eq!(r["digits_done"], "terminator");
    let sources: Vec<&str> = r["dtmf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["rfc4733"; 3]);
    assert!(
        r["media"]["packets_received"].as_u64().unwrap() > 50,
        "media: {}",
        r["media"]
    );
    assert_eq!(r["media"]["codec"], "PCMU");
    let prompts = r["prompts"].as_array().unwrap();
    assert_eq!(
        prompts.len(),
        2,
        "welcome (cut by the first digit) and goodbye"
    );
    assert_eq!(prompts[0]["cut"], true);

    // The recording holds baresip's tone on the left and our prompt on the right.
    let recording = Wav::read_complete(r["recording"].as_str().unwrap(), Duration::from_secs(5))
        .expect("recording");
    assert_eq!(recording.channels.len(), 2);
    let talk = recording.duration();
    assert!(talk > Duration::from_secs(2), "recording is {talk:?}");
    assert!(recording.has_energy_between(
        0,
        Duration::from_millis(500),
        talk - Duration::from_millis(500),
        ENERGY_THRESHOLD
    ));
    assert!(recording.has_energy_between(
        1,
        Duration::ZERO,
        Duration::from_millis(1500),
        ENERGY_THRESHOLD
    ));
    // And baresip heard the prompt.
    let heard = caller
        .heard(Duration::from_secs(5))
        .expect("baresip recording");
    assert!(heard.has_energy_between(0, Duration::ZERO, heard.duration(), ENERGY_THRESHOLD));
}

#[test]
fn baresip_calls_with_opus_and_dtmf_still_works() {
    require_peers!("baresip", "sox");
    let engine = Voxgate::start_with(None, "codecs = [\"OPUS\", \"PCMU\"]", &ivr_config())
        .expect("engine starts");
    let dir = TempDir::new("baresip-opus").expect("temp dir");
    let mut caller = tone_caller(&dir, "opus");
    let r = engine
        .take_call(&mut caller, "1000", Duration::from_millis(1500), "9#")
        .expect("call");
    assert_eq!(r["media"]["codec"], "opus", "record: {r:#}");
    assert_eq!(r["digits"], "9");
    let recording = Wav::read_complete(r["recording"].as_str().unwrap(), Duration::from_secs(5))
        .expect("recording");
    let end = recording.duration();
    assert!(
        recording.has_energy_between(
            0,
            Duration::from_millis(500),
            end - Duration::from_millis(300),
            ENERGY_THRESHOLD
        ),
        "caller's Opus audio decoded"
    );
    let heard = caller
        .heard(Duration::from_secs(5))
        .expect("baresip recording");
    assert!(
        heard.has_energy_between(0, Duration::ZERO, heard.duration(), ENERGY_THRESHOLD),
        "baresip decoded our Opus"
    );
}

#[test]
fn sipp_calls_over_tcp_and_voxgate_hangs_up_after_the_notice() {
    require_peers!("sipp");
    let engine = Voxgate::start(&ivr_config()).expect("engine starts");
    let mut sipp = SippOptions::uac("uac_call_wait_bye", engine.sip_addr())
        .service("2000")
        .arg("-t")
        .arg("t1")
        .timeout(Duration::from_secs(30))
        .start()
        .expect("sipp");
    let outcome = sipp.wait(Duration::from_secs(40)).expect("sipp ends");
    assert!(outcome.all_succeeded(), "sipp: {outcome:?}");
    let records = engine
        .wait_records(1, Duration::from_secs(10))
        .expect("record");
    let r = &records[0];
    assert_eq!(r["route"], "notice");
    assert_eq!(r["outcome"], "answered");
    assert_eq!(r["hangup_by"], "bot");
    assert_eq!(r["prompts"][0]["cut"], false);
}

#[test]
fn shutdown_hangs_up_running_calls_after_the_grace_period() {
    require_peers!("baresip");
    let mut engine = Voxgate::start(&ivr_config()).expect("engine starts");
    let dir = TempDir::new("baresip-shutdown").expect("temp dir");
    let mut caller = tone_caller(&dir, "pcmu");
    caller
        .dial(&format!("sip:1000@{}", engine.sip_addr()))
        .expect("dial");
    caller
        .wait_event("CALL_ESTABLISHED", Duration::from_secs(10))
        .expect("answered");
    assert!(
        engine.stop(Duration::from_secs(15)).expect("engine exits"),
        "clean exit"
    );
    caller
        .wait_event("CALL_CLOSED", Duration::from_secs(5))
        .expect("BYE from voxgate");
    let records = voxgate_tests::read_records(&engine.dir().join("calls.jsonl"));
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["hangup_by"], "bot");
    assert_eq!(records[0]["outcome"], "answered");
    assert!(engine.log().contains("shutting down"));
}

#[test]
fn a_full_trunk_refuses_extra_calls_with_503_and_frees_its_slot() {
    require_peers!("sipp");
    let trunk = LOOPBACK_TRUNK.replace("auth = \"ip\"", "auth = \"ip\"\nmax_calls = 1");
    let notice = example_prompt("notice.wav");
    let config = format!(
        "{trunk}\n[[route]]\nname = \"notice\"\nnumber = \"*\"\nprompt = \"{}\"\n",
        notice.display()
    );
    let engine = Voxgate::start(&config).expect("engine starts");
    // Three calls at once: one fits the trunk, two are refused.
    let mut burst = SippOptions::uac("uac_call_wait_bye", engine.sip_addr())
        .service("3000")
        .calls(3)
        .rate(50.0)
        .timeout(Duration::from_secs(30))
        .start()
        .expect("sipp");
    let outcome = burst.wait(Duration::from_secs(40)).expect("sipp ends");
    assert_eq!(
        (outcome.successful, outcome.failed),
        (1, 2),
        "sipp: {outcome:?}"
    );
    assert_eq!(
        engine.log().matches("Trunk Call Limit").count(),
        2,
        "log:\n{}",
        engine.log()
    );
    // Once that call ended its slot is free again.
    let mut after = SippOptions::uac("uac_call_wait_bye", engine.sip_addr())
        .service("3000")
        .timeout(Duration::from_secs(30))
        .start()
        .expect("sipp");
    assert!(
        after
            .wait(Duration::from_secs(40))
            .expect("sipp ends")
            .all_succeeded()
    );
    assert_eq!(
        engine
            .wait_records(2, Duration::from_secs(10))
            .expect("records")
            .len(),
        2
    );
}
