//! linphonec (its own SIP stack, and the RFC 4733 quirk of repeating end packets with one
//! sequence number) calls voxgate and enters digits; both run in a private network namespace
//! with only `lo`, as linphonec takes its address from the default route.

use std::time::Duration;

use voxgate_tests::{
    ENERGY_THRESHOLD, LOOPBACK_TRUNK, Linphone, LinphoneOptions, Netns, TempDir, Voxgate,
    ivr_route, require_peers, wav,
};

#[test]
fn linphone_calls_the_ivr_from_a_private_namespace() {
    require_peers!("linphonec", "netns");
    let netns = Netns::create().expect("netns");
    let config = format!("{LOOPBACK_TRUNK}\n{}", ivr_route("welcome.wav", 4, ""));
    let engine = Voxgate::start_with(Some(&netns), "", &config).expect("engine in netns");
    let dir = TempDir::new("linphone-caller").expect("temp dir");
    let input = dir.join("caller.wav");
    wav::write_tone(&input, 500.0, Duration::from_secs(30), 8000, 0.3).expect("tone");
    let mut linphone = Linphone::start(
        &netns,
        LinphoneOptions {
            play: Some(input),
            auto_answer: false,
        },
    )
    .expect("linphonec");
    linphone
        .call(&format!("sip:1000@{}", engine.sip_addr()))
        .expect("call");
    linphone
        .wait_output("connected", Duration::from_secs(15))
        .expect("answered");
    std::thread::sleep(Duration::from_millis(1000));
    // linphonec sends one digit per second; '#' ends collection and voxgate hangs up.
    linphone.send_dtmf("47#").expect("dtmf");
    linphone
        .wait_output("ended", Duration::from_secs(20))
        .expect("voxgate hangs up");

    let records = engine
        .wait_records(1, Duration::from_secs(10))
        .expect("record");
    let r = &records[0];
    assert_eq!(r["digits"], "47", "record: {r:#}");
    assert_eq!(
        r["dtmf"].as_array().map(Vec::len),
        Some(3),
        "each digit once despite repeated end packets"
    );
    assert_eq!(r["hangup_by"], "bot");
    let heard = linphone
        .recording(Duration::from_secs(5))
        .expect("linphone recording");
    assert!(
        heard.has_energy_between(0, Duration::ZERO, heard.duration(), ENERGY_THRESHOLD),
        "linphonec heard the prompt"
    );
}
