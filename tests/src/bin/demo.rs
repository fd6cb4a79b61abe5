//! The quick-start demo (`scripts/demo`): a real outbound campaign on loopback.
//!
//! `voxgate sim-carrier` plays two dozen callees (examples/demo/personas.toml): some answer and
//! talk (espeak-ng voices that wait for the bot to finish, or interrupt it), some are busy, do
//! not answer, are vacant numbers (SIT tones) or switched off (a spoken announcement), some
//! reject the call. `voxgate run` dials them through the demo campaign (examples/demo/) with the
//! flow plugin running the English insurance script, Whisper tiny.en recognising the callees and
//! espeak-ng speaking the bot's lines. When the campaign has finished, the report a campaign
//! manager reads: results, levels, connect rate, talk time, one conversation turn by turn.
//!
//! Everything lands in `.voxgate/demo/`: the database, the recordings, the logs.

use std::process::{Command, ExitCode};
use std::time::Duration;

use serde_json::Value;
use voxgate_tests::demo::{CAMPAIGN, DEMO_TOKEN, Demo, DemoSetup, repo_root};
use voxgate_tests::voxgate_bin;

/// The longest the campaign may take before the demo gives up.
const CAMPAIGN_TIMEOUT: Duration = Duration::from_secs(600);

fn main() -> ExitCode {
    let dir = repo_root().join(".voxgate/demo");
    // A fresh database and recordings for every run; the TTS cache is kept.
    for stale in [
        "voxgate.db",
        "voxgate.db-wal",
        "voxgate.db-shm",
        "calls.jsonl",
        "sim-journal.jsonl",
    ] {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    let _ = std::fs::remove_dir_all(dir.join("recordings"));
    println!(
        "Starting the simulated carrier and voxgate on loopback (logs in {})",
        dir.display()
    );
    let mut demo = match Demo::start(DemoSetup::example_ports(dir.clone())) {
        Ok(demo) => demo,
        Err(e) => {
            eprintln!("demo failed to start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Campaign `{CAMPAIGN}` started: 24 numbers, up to 8 calls at a time. This takes a minute or two.\n"
    );
    let result = demo.run_campaign(CAMPAIGN_TIMEOUT);
    let api = format!("http://{}", demo.api());
    let outcome = match result {
        Ok(result) => {
            println!("Finished in {:.0} s.\n", result.elapsed.as_secs_f64());
            cli(&api, &["status", CAMPAIGN]);
            println!();
            cli(&api, &["records", CAMPAIGN, "--limit", "30"]);
            if let Some(id) = best_conversation(&result.records) {
                println!("\nOne conversation, turn by turn:");
                cli(&api, &["transcript", &id.to_string()]);
            }
            let recordings = dir.join("recordings").join(CAMPAIGN);
            println!(
                "\nRecordings (stereo WAV: callee left, bot right): {}",
                recordings.display()
            );
            println!("Database (SQLite): {}", dir.join("voxgate.db").display());
            println!(
                "Logs: {} and {}",
                dir.join("voxgate.log").display(),
                dir.join("sim-carrier.log").display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
    };
    demo.stop();
    outcome
}

/// The answered call with the most rounds: the richest conversation to show.
fn best_conversation(records: &[Value]) -> Option<u64> {
    records
        .iter()
        .filter(|r| r["record"]["result"] == "answered")
        .max_by_key(|r| r["rounds"].as_array().map_or(0, Vec::len))
        .and_then(|r| r["record"]["attempt"].as_u64())
}

/// Run `voxgate campaign ARGS` against the demo's API, as an operator would.
fn cli(api: &str, args: &[&str]) {
    let status = Command::new(voxgate_bin())
        .arg("campaign")
        .arg("--api")
        .arg(api)
        .args(args)
        .env("VOXGATE_API_TOKEN", DEMO_TOKEN)
        .status();
    if let Err(e) = status {
        eprintln!("cannot run voxgate campaign: {e}");
    }
}
