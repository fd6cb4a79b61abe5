//! The quick-start demo (`scripts/demo`): real calls on loopback between voxgate and
//! third-party SIP peers, then a report of what the engine recorded.
//!
//! 1. baresip calls voxgate's IVR (route `1000`), hears the welcome prompt and types 2 0 2 6 #;
//! 2. baresip calls a survey line (route `3000`) run by the stock `flow` plugin interpreting
//!    `examples/flows/dtmf-survey.toml`, and presses 1: the record gets tags, score and level A;
//! 3. voxgate calls baresip through a trunk and plays a notice;
//! 4. voxgate calls a SIPp callee that is busy, and one that rings until the ring time-out.
//!
//! Everything lands in `.voxgate/demo/`: the config, the call records and the recordings.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use voxgate_tests::process::{PeerProcess, Stdout, wait_until};
use voxgate_tests::{
    AnswerMode, Baresip, BaresipOptions, SippOptions, example_flow, example_prompt, free_sip_port,
    free_udp_range, plugin_wasm, read_records, run_call, vad_model, voxgate_bin, wav,
};

type Demo = Result<(), Box<dyn std::error::Error>>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn config(
    dir: &Path,
    sip: SocketAddr,
    callee: SocketAddr,
    busy: SocketAddr,
    ringing: SocketAddr,
) -> String {
    let rtp = free_udp_range(40);
    let trunk = |name: &str, gw: SocketAddr| {
        format!(
            "[[trunk]]\nname = \"{name}\"\ngateways = [\"{gw}\"]\nauth = \"ip\"\nallowed_networks = [\"127.0.0.0/8\"]\ncaller_id = \"4000\"\nring_timeout_secs = 5\n\n"
        )
    };
    format!(
        "# Written by the demo.\n[engine]\nsip_listen = \"{sip}\"\nrtp_ports = \"{rtp}-{}\"\ncall_records = \"{}\"\nrecordings_dir = \"{}\"\nshutdown_grace_secs = 2\nvad_model = \"{}\"\n\n{}{}{}[[route]]\nname = \"ivr\"\nnumber = \"1000\"\nprompt = \"{}\"\ncollect = {{ max_digits = 6, terminator = \"#\", timeout_ms = 8000 }}\ngoodbye = \"{}\"\nrecord = true\n\n[[route]]\nname = \"survey\"\nnumber = \"3000\"\nplugin = \"{}\"\nflow = \"{}\"\nfallback_prompt = \"{}\"\nrecord = true\n",
        rtp + 39,
        dir.join("calls.jsonl").display(),
        dir.join("recordings").display(),
        vad_model().display(),
        trunk("lab-baresip", callee),
        trunk("lab-busy", busy),
        trunk("lab-ringing", ringing),
        example_prompt("welcome.wav").display(),
        example_prompt("goodbye.wav").display(),
        plugin_wasm("flow").display(),
        example_flow("dtmf-survey.toml").display(),
        example_prompt("goodbye.wav").display(),
    )
}

fn run() -> Demo {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()?;
    let dir = root.join(".voxgate/demo");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;

    println!("== starting peers: baresip (caller and callee), SIPp (busy, ringing)");
    let tone = dir.join("caller-tone.wav");
    wav::write_tone(&tone, 440.0, Duration::from_secs(60), 8000, 0.2)?;
    let mut caller = Baresip::start(BaresipOptions::new(&tone).answer_mode(AnswerMode::Manual))?;
    let callee = Baresip::start(BaresipOptions::new(&tone).answer_mode(AnswerMode::Auto))?;
    let mut busy = SippOptions::uas("uas_486_busy")
        .timeout(Duration::from_secs(60))
        .start()?;
    let mut ringing = SippOptions::uas("uas_ring_forever")
        .timeout(Duration::from_secs(60))
        .start()?;

    let sip = SocketAddr::from(([127, 0, 0, 1], free_sip_port()));
    let config_path = dir.join("voxgate.toml");
    std::fs::write(
        &config_path,
        config(
            &dir,
            sip,
            callee.sip_addr(),
            busy.sip_addr(),
            ringing.sip_addr(),
        ),
    )?;
    println!("== starting voxgate run --config {}", config_path.display());
    let mut command = Command::new(voxgate_bin());
    command.args(["run", "--config"]).arg(&config_path);
    let log = dir.join("voxgate.log");
    let mut engine = PeerProcess::spawn("voxgate", command, &log, Stdout::ToLog, false)?;
    if !wait_until(Duration::from_secs(10), || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("SIP listening")
    }) {
        return Err(format!("voxgate did not start:\n{}", engine.log_tail(20)).into());
    }

    println!("== 1. baresip calls the IVR at sip:1000@{sip} and types 2026#");
    caller.dial(&format!("sip:1000@{sip}"))?;
    caller.wait_event("CALL_ESTABLISHED", Duration::from_secs(10))?;
    std::thread::sleep(Duration::from_secs(2));
    caller.send_dtmf("2026#")?;
    caller.wait_event("CALL_CLOSED", Duration::from_secs(30))?;

    println!("== 2. baresip calls the survey line at sip:3000@{sip} (flow plugin) and presses 1");
    caller.dial(&format!("sip:3000@{sip}"))?;
    caller.wait_event("CALL_ESTABLISHED", Duration::from_secs(10))?;
    std::thread::sleep(Duration::from_millis(1500));
    caller.send_dtmf("1")?;
    caller.wait_event("CALL_CLOSED", Duration::from_secs(30))?;

    for (trunk, number, what) in [
        (
            "lab-baresip",
            "baresip",
            "baresip answers and hears a notice",
        ),
        ("lab-busy", "13800000001", "SIPp answers 486 Busy Here"),
        (
            "lab-ringing",
            "13800000002",
            "SIPp rings until the 5 s ring time-out",
        ),
    ] {
        println!("== 3./4. voxgate call --trunk {trunk} {number}: {what}");
        let run = run_call(
            &config_path,
            trunk,
            number,
            &example_prompt("notice.wav"),
            Some(&dir.join("recordings").join(format!("out-{number}.wav"))),
            None,
        )?;
        println!("   outcome={} sip_code={}", run.outcome, run.sip_code);
    }
    let _ = Command::new("kill")
        .args(["-TERM", &engine.pid().to_string()])
        .status();
    engine.wait_exit(Duration::from_secs(10))?;
    let _ = busy.wait(Duration::from_secs(1));
    let _ = ringing.wait(Duration::from_secs(1));
    report(&dir)
}

fn report(dir: &Path) -> Demo {
    let records = read_records(&dir.join("calls.jsonl"));
    println!("\n== call records ({}):", dir.join("calls.jsonl").display());
    println!(
        "{:<9} {:<12} {:<13} {:>4} {:>8} {:>8} {:<7} {:<5} recording",
        "direction", "to", "outcome", "code", "ring ms", "talk ms", "digits", "level"
    );
    for r in &records {
        println!(
            "{:<9} {:<12} {:<13} {:>4} {:>8} {:>8} {:<7} {:<5} {}",
            r["direction"].as_str().unwrap_or("-"),
            r["to"].as_str().unwrap_or("-"),
            r["outcome"].as_str().unwrap_or("-"),
            r["sip_code"].as_u64().map_or("-".into(), |c| c.to_string()),
            r["ring_ms"].as_u64().unwrap_or(0),
            r["talk_ms"].as_u64().unwrap_or(0),
            r["digits"].as_str().unwrap_or(""),
            r["level"].as_str().unwrap_or("-"),
            r["recording"].as_str().unwrap_or("-"),
        );
    }
    let survey = records
        .iter()
        .find(|r| r["route"] == "survey")
        .ok_or("no survey call recorded")?;
    let path: Vec<String> = survey["rounds"]
        .as_array()
        .map(|rounds| {
            rounds
                .iter()
                .map(|r| format!("{} -> {}", r["node"], r["intent"]))
                .collect()
        })
        .unwrap_or_default();
    println!(
        "\nsurvey call (flow plugin): level {} score {} tags {} rounds: {}",
        survey["level"],
        survey["score"],
        survey["tags"],
        path.join(", ")
    );
    if survey["level"] != "A" {
        return Err(format!(
            "the survey call ended at level {} instead of A",
            survey["level"]
        )
        .into());
    }
    let ivr = records
        .iter()
        .find(|r| r["route"] == "ivr")
        .ok_or("no IVR call recorded")?;
    if ivr["digits"] != "2026" {
        return Err(format!(
            "the IVR call recorded digits {} instead of 2026",
            ivr["digits"]
        )
        .into());
    }
    println!(
        "\nEverything is in {}: voxgate.toml, calls.jsonl, recordings/ (stereo: caller left, bot right).",
        dir.display()
    );
    Ok(())
}
