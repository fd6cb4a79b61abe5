//! `asr-eval`: speaks the evaluation sentences with espeak-ng, sends them through G.711 at
//! 8 kHz to the embedded Whisper recognizer and prints per-sentence hypotheses, WER (or CER
//! for the experimental Mandarin set) and the wall and CPU time per utterance.
//!
//! ```text
//! cargo run --release -p voxgate-asr-eval -- [--model DIR] [--set en|zh] [--window full|utt:MARGIN_MS]
//! ```
//!
//! Default: tiny.en, the English set, the library's default window (utterance + 1 s).
//! Mandarin: `--model whisper-models/base --set zh`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use voxgate_asr_eval::audio::{ENGLISH_VOICE, PINYIN_VOICE, telephone_speech};
use voxgate_asr_eval::corpus::{ENGLISH, MANDARIN};
use voxgate_asr_eval::score::{edit_distance, normalise_english, normalise_hanzi};
use voxgate_whisper::{DecodeOptions, MelWindow, WhisperModel, pcm8k_to_16k};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("asr-eval: error: {message}");
            ExitCode::FAILURE
        }
    }
}

struct Args {
    model: PathBuf,
    mandarin: bool,
    window: MelWindow,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        model: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../whisper-models/tiny.en"),
        mandarin: false,
        window: DecodeOptions::default().window,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(arg) = iter.next() {
        let mut value = || iter.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--model" => args.model = value()?.into(),
            "--set" => {
                args.mandarin = match value()?.as_str() {
                    "en" => false,
                    "zh" => true,
                    other => return Err(format!("unknown set {other:?} (en, zh)")),
                }
            }
            "--window" => {
                let text = value()?;
                args.window = match text.strip_prefix("utt:") {
                    None if text == "full" => MelWindow::Full,
                    Some(ms) => MelWindow::Utterance {
                        margin_ms: ms.parse().map_err(|_| format!("bad margin {ms:?}"))?,
                        min_ms: 0,
                    },
                    None => return Err(format!("unknown window {text:?} (full, utt:MS)")),
                }
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (--model DIR, --set en|zh, --window full|utt:MS)"
                ));
            }
        }
    }
    Ok(args)
}

/// CPU time of the whole process (all threads) from /proc, in USER_HZ ticks of 10 ms.
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let mut model = WhisperModel::load(&args.model).map_err(|e| e.to_string())?;
    let language = if args.mandarin { "zh" } else { "en" };
    let options = DecodeOptions {
        language: Some(language.into()),
        window: args.window,
        ..DecodeOptions::default()
    };
    let cases: Vec<(String, String, &str)> = if args.mandarin {
        MANDARIN
            .iter()
            .map(|m| (m.hanzi.to_owned(), m.pinyin.to_owned(), PINYIN_VOICE))
            .collect()
    } else {
        ENGLISH
            .iter()
            .map(|s| (s.to_string(), s.to_string(), ENGLISH_VOICE))
            .collect()
    };
    println!(
        "model {} | set {language}{} | window {:?}",
        model.name(),
        if args.mandarin {
            " (experimental, CER)"
        } else {
            " (WER)"
        },
        args.window
    );
    println!(
        "| # | reference | hypothesis | errors | conf | avg logprob | no speech | wall ms | audio s |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let (mut errors, mut total, mut wall, mut cpu, mut audio_s) =
        (0, 0, Duration::ZERO, Duration::ZERO, 0.0);
    for (index, (reference, spoken, voice)) in cases.iter().enumerate() {
        let pcm = telephone_speech(spoken, voice).map_err(|e| e.to_string())?;
        let seconds = pcm.len() as f64 / 8000.0;
        let (cpu_before, started) = (process_cpu(), Instant::now());
        let pcm16 = pcm8k_to_16k(&pcm).map_err(|e| e.to_string())?;
        let result = model
            .transcribe(&pcm16, &options)
            .map_err(|e| e.to_string())?;
        let elapsed = started.elapsed();
        cpu += process_cpu().saturating_sub(cpu_before);
        wall += elapsed;
        audio_s += seconds;
        let (e, n) = if args.mandarin {
            let r = normalise_hanzi(reference);
            (edit_distance(&r, &normalise_hanzi(&result.text)), r.len())
        } else {
            let r = normalise_english(reference);
            (edit_distance(&r, &normalise_english(&result.text)), r.len())
        };
        errors += e;
        total += n;
        println!(
            "| {} | {reference} | {}{} | {e}/{n} | {:.2} | {:.2} | {:.2} | {} | {seconds:.1} |",
            index + 1,
            result.text,
            if result.rejected { " (rejected)" } else { "" },
            result.confidence(),
            result.avg_logprob,
            result.no_speech_prob,
            elapsed.as_millis()
        );
    }
    let n = cases.len() as f64;
    println!(
        "\n{}: {:.1} % ({errors}/{total}) | per utterance: wall {:.0} ms, CPU {:.0} ms | mean audio {:.2} s",
        if args.mandarin { "CER" } else { "WER" },
        100.0 * errors as f64 / total.max(1) as f64,
        wall.as_secs_f64() * 1000.0 / n,
        cpu.as_secs_f64() * 1000.0 / n,
        audio_s / n
    );
    Ok(())
}
