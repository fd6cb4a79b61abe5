//! Load driver: N concurrent inbound calls from SIPp, each with the caller's speech played from a
//! pcap, through the whole engine (SIP, RTP, jitter buffer, noise suppression, Silero VAD,
//! endpointing and barge-in, prompt playback, stereo recording). It reports the engine's CPU
//! use while all calls are up and checks that every call got all its outbound frames on time.
//!
//! `cargo build --release -p voxgate -p voxgate-benches --bin voxgate --bin load`
//! `target/release/load [CALLS] [HOLD_SECONDS] [no-recording]` (defaults 50 and 20). Loopback only; bounded
//! in count and time.

use std::time::{Duration, Instant};

use voxgate_tests::{
    LOOPBACK_TRUNK, RtpPcap, SippOptions, TempDir, Voxgate, Wav, example_prompt, free_udp_range,
    wav,
};

type Load = Result<(), Box<dyn std::error::Error>>;

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// CPU seconds (user + system) the process has used so far.
fn cpu_seconds(pid: u32) -> Result<f64, Box<dyn std::error::Error>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the ")" of the command name: utime and stime are fields 14 and 15.
    let rest = stat.rsplit(')').next().ok_or("bad /proc stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks / 100.0)
}

fn run() -> Load {
    let mut args = std::env::args().skip(1);
    let calls: u32 = args.next().map_or(Ok(50), |a| a.parse())?;
    let hold: u64 = args.next().map_or(Ok(20), |a| a.parse())?;
    let record = args.next().as_deref() != Some("no-recording");
    if calls == 0 || calls > 500 || !(5..=300).contains(&hold) {
        return Err("CALLS must be 1-500 and HOLD_SECONDS 5-300".into());
    }
    let dir = TempDir::new("load")?;
    let speech = dir.join("speech.wav");
    wav::write_speech(
        &speech,
        "Hello. Yes, I am interested. Please call me back tomorrow morning.",
        None,
    )?;
    let pcap = dir.join("media.pcap");
    let mut media = RtpPcap::new().silence(Duration::from_millis(1500));
    while media.duration().as_secs_f64() + 4.0 < hold as f64 {
        media = media
            .audio(&Wav::read(&speech)?)?
            .silence(Duration::from_secs(2));
    }
    media.write(&pcap)?;

    let rtp = free_udp_range((calls as u16 + 4) * 2);
    let engine_extra = format!(
        "max_calls = {calls}\nrtp_ports = \"{rtp}-{}\"",
        rtp + (calls as u16 + 4) * 2 - 1
    );
    let trunk = LOOPBACK_TRUNK.replace(
        "auth = \"ip\"",
        &format!("auth = \"ip\"\nmax_calls = {calls}"),
    );
    // The caller talks over the welcome prompt (barge-in), then the call waits for digits until
    // SIPp hangs up.
    let config = format!(
        "{trunk}\n[[route]]\nname = \"load\"\nnumber = \"1000\"\nprompt = \"{}\"\ncollect = {{ max_digits = 8, terminator = \"#\", timeout_ms = 600000 }}\nrecord = {record}\nmax_duration_secs = 600\n",
        example_prompt("welcome.wav").display()
    );
    let engine = Voxgate::start_with(None, &engine_extra, &config)?;
    let pid = engine.pid().ok_or("engine not running")?;

    let ramp = Duration::from_secs(u64::from(calls).div_ceil(25));
    println!("load: {calls} calls, {hold} s each, ramp {ramp:?}; engine pid {pid}");
    let started = Instant::now();
    let mut sipp = SippOptions::uac("uac_call_pcap", engine.sip_addr())
        .service("1000")
        .calls(calls)
        .rate(25.0)
        .duration(Duration::from_secs(hold))
        .media_pcap(&pcap)
        .timeout(Duration::from_secs(hold + 60))
        .start()?;
    // Measure while every call is up: after the ramp and a settling second, until 2 s before
    // the first call ends.
    let window_start = ramp + Duration::from_secs(1);
    let window_end = Duration::from_secs(hold).saturating_sub(Duration::from_secs(2));
    std::thread::sleep(window_start.saturating_sub(started.elapsed()));
    let (t0, c0) = (Instant::now(), cpu_seconds(pid)?);
    std::thread::sleep(window_end.saturating_sub(started.elapsed()));
    let (t1, c1) = (Instant::now(), cpu_seconds(pid)?);
    let outcome = sipp.wait(Duration::from_secs(hold + 90))?;
    let records = engine.wait_records(calls as usize, Duration::from_secs(30))?;

    let core_share = (c1 - c0) / (t1 - t0).as_secs_f64();
    let mut short_calls = 0;
    let (mut concealed, mut lost) = (0u64, 0i64);
    for r in &records {
        let talk_ms = r["talk_ms"].as_u64().unwrap_or(0);
        let sent = r["media"]["packets_sent"].as_u64().unwrap_or(0);
        // One packet per 20 ms of talk, give or take the set-up and tear-down frames.
        if sent + 5 < talk_ms / 20 {
            short_calls += 1;
        }
        concealed += r["media"]["concealed_frames"].as_u64().unwrap_or(0);
        lost += r["media"]["packets_lost"].as_i64().unwrap_or(0);
    }
    let skipped_warnings = engine.log().matches("frames skipped").count();
    let barged = records
        .iter()
        .filter(|r| r["prompts"][0]["cut"] == true)
        .count();
    println!(
        "load: sipp ok {}/{} | engine CPU {:.1} % of one core with {calls} calls up = {:.2} ms CPU per call-second | calls short of frames {short_calls} | calls with skipped frames {skipped_warnings} | concealed frames {concealed} | lost {lost} | prompts cut by the callers' speech {barged}/{calls}",
        outcome.successful,
        calls,
        core_share * 100.0,
        core_share * 1000.0 / f64::from(calls),
    );
    if outcome.successful != u64::from(calls)
        || records.len() != calls as usize
        || short_calls > 0
        || skipped_warnings > 0
    {
        return Err("not every call completed with all its frames on time".into());
    }
    Ok(())
}
