//! Real outbound calls with `voxgate call`: baresip and PyVoIP answer and hear our prompt;
//! SIPp callees produce every failure outcome, and no call slot is left behind.

use std::net::SocketAddr;
use std::time::Duration;

use voxgate_tests::{
    AnswerMode, Baresip, BaresipOptions, CallRun, ENERGY_THRESHOLD, PyVoip, PyVoipOptions,
    SippOptions, TempDir, Wav, example_prompt, free_sip_port, require_peers, run_call, wav,
    write_config,
};

fn trunk(gateway: SocketAddr, ring_timeout_secs: u64) -> String {
    format!(
        "[[trunk]]\nname = \"peer\"\ngateways = [\"{gateway}\"]\nauth = \"ip\"\ncaller_id = \"4000\"\nring_timeout_secs = {ring_timeout_secs}\n"
    )
}

fn call(
    dir: &TempDir,
    gateway: SocketAddr,
    number: &str,
    record: Option<&std::path::Path>,
    listen: Option<SocketAddr>,
) -> CallRun {
    let unused = SocketAddr::from(([127, 0, 0, 1], free_sip_port()));
    let config = write_config(dir, unused, "sip_t1_ms = 100", &trunk(gateway, 2)).expect("config");
    run_call(
        &config,
        "peer",
        number,
        &example_prompt("notice.wav"),
        record,
        listen,
    )
    .expect("voxgate call runs")
}

fn assert_no_leak(run: &CallRun) {
    assert!(
        run.log
            .contains("resources in use at exit calls=0 rtp_ports=0"),
        "log:\n{}",
        run.log
    );
}

#[test]
fn voxgate_calls_baresip_which_hears_the_prompt() {
    require_peers!("baresip");
    let dir = TempDir::new("call-baresip").expect("temp dir");
    let input = dir.join("callee.wav");
    wav::write_tone(&input, 600.0, Duration::from_secs(30), 8000, 0.3).expect("tone");
    let callee =
        Baresip::start(BaresipOptions::new(&input).answer_mode(AnswerMode::Auto)).expect("baresip");
    let recording = dir.join("call.wav");
    let run = call(&dir, callee.sip_addr(), "baresip", Some(&recording), None);
    assert_eq!(
        (run.outcome.as_str(), run.sip_code.as_str()),
        ("answered", "200"),
        "log:\n{}",
        run.log
    );
    assert_eq!(run.exit_code, Some(0));
    assert_no_leak(&run);

    let heard = callee
        .heard(Duration::from_secs(5))
        .expect("baresip recording");
    assert!(
        heard.has_energy_between(0, Duration::ZERO, heard.duration(), ENERGY_THRESHOLD),
        "baresip heard silence"
    );
    let ours = Wav::read_complete(&recording, Duration::from_secs(5)).expect("our recording");
    let end = ours.duration();
    assert!(end >= Duration::from_secs(3), "recording is {end:?}");
    assert!(
        ours.has_energy_between(1, Duration::ZERO, Duration::from_secs(2), ENERGY_THRESHOLD),
        "prompt on the right"
    );
    assert!(
        ours.has_energy_between(0, Duration::from_secs(1), end, ENERGY_THRESHOLD),
        "baresip's tone on the left"
    );
}

#[test]
fn voxgate_calls_pyvoip_which_hears_the_prompt() {
    require_peers!("pyvoip");
    let dir = TempDir::new("call-pyvoip").expect("temp dir");
    let listen = SocketAddr::from(([127, 0, 0, 1], free_sip_port()));
    let mut callee =
        PyVoip::start(PyVoipOptions::new(listen).hold(Duration::from_secs(8))).expect("pyvoip");
    let uri = callee.uri();
    let host = uri.rsplit('@').next().expect("uri host");
    let gateway: SocketAddr = host.parse().expect("pyvoip address");
    let user = uri
        .trim_start_matches("sip:")
        .split('@')
        .next()
        .expect("user")
        .to_owned();
    let run = call(&dir, gateway, &user, None, Some(listen));
    assert_eq!(run.outcome, "answered", "log:\n{}", run.log);
    assert_no_leak(&run);
    let heard = callee
        .finish(Duration::from_secs(20))
        .expect("pyvoip recording");
    assert!(
        heard.has_energy_between(0, Duration::ZERO, heard.duration(), ENERGY_THRESHOLD),
        "PyVoIP heard silence"
    );
}

#[test]
fn sipp_callees_give_every_failure_outcome() {
    require_peers!("sipp");
    let cases = [
        ("uas_486_busy", "busy", "486"),
        ("uas_480_unavailable", "no_answer", "480"),
        ("uas_404_not_found", "empty_number", "404"),
        ("uas_603_decline", "rejected", "603"),
        ("uas_ring_forever", "no_answer", "487"),
        ("uas_ignore", "unreachable", "408"),
    ];
    for (scenario, outcome, code) in cases {
        let dir = TempDir::new(scenario).expect("temp dir");
        let mut options = SippOptions::uas(scenario).timeout(Duration::from_secs(30));
        if scenario == "uas_ignore" {
            options = options.duration(Duration::from_secs(9));
        }
        let mut sipp = options.start().expect("sipp");
        let run = call(&dir, sipp.sip_addr(), "13800000000", None, None);
        assert_eq!(
            (run.outcome.as_str(), run.sip_code.as_str()),
            (outcome, code),
            "{scenario}; log:\n{}",
            run.log
        );
        assert_eq!(run.exit_code, Some(1), "{scenario}: not answered exits 1");
        assert_no_leak(&run);
        let done = sipp.wait(Duration::from_secs(30)).expect("sipp ends");
        assert!(
            done.all_succeeded(),
            "{scenario}: sipp saw a protocol error: {done:?}"
        );
    }
}
