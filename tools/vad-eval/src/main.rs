//! `vad-eval`: builds the labelled set and prints the VAD evaluation tables (Markdown).
//!
//! ```text
//! cargo run --release -p voxgate-vad-eval -- [--quick] [--model PATH]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use voxgate_audio::vad::{SILERO_VAD_MODEL_SHA256, SileroModel, WebRtcVadMode};
use voxgate_vad_eval::dataset::{self, SetConfig};
use voxgate_vad_eval::report::{evaluate, markdown};
use voxgate_vad_eval::score::{Detector, Scorer};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("vad-eval: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut quick = false;
    let mut model_path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../vad-models/silero_vad_op18_ifless.onnx");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--model" => model_path = args.next().ok_or("--model needs a path")?.into(),
            other => {
                return Err(format!(
                    "unknown argument {other:?} (use --quick, --model PATH)"
                ));
            }
        }
    }
    let config = if quick {
        SetConfig::quick()
    } else {
        SetConfig::full()
    };
    let started = Instant::now();
    let model =
        SileroModel::load(&model_path, SILERO_VAD_MODEL_SHA256).map_err(|e| e.to_string())?;
    let set = dataset::build(&config).map_err(|e| e.to_string())?;
    let speech_frames: usize = set.speech.iter().map(|clip| clip.labels.len()).sum();
    let noise_frames: usize = set.noise_only.iter().map(|clip| clip.labels.len()).sum();
    eprintln!(
        "set: {} speech clips ({:.1} min), {} noise-only clips ({:.1} min), built in {:.1} s",
        set.speech.len(),
        speech_frames as f64 / 6000.0,
        set.noise_only.len(),
        noise_frames as f64 / 6000.0,
        started.elapsed().as_secs_f64()
    );
    let scorer = Scorer::new(model);
    let mut detectors = vec![Detector::Silero, Detector::SileroDenoised];
    detectors.extend(WebRtcVadMode::ALL.map(Detector::WebRtc));
    let mut results = Vec::new();
    for detector in detectors {
        let started = Instant::now();
        results.push(evaluate(&set, &config, &scorer, detector).map_err(|e| e.to_string())?);
        eprintln!(
            "{}: scored in {:.1} s",
            detector.name(),
            started.elapsed().as_secs_f64()
        );
    }
    println!(
        "Set ({}): {} speech clips ({} tracks per language x (clean + {} noises x SNR {:?} dB)), \
         {:.1} min of speech clips; {:.1} min of noise-only audio.\n",
        if quick { "--quick" } else { "full" },
        set.speech.len(),
        config.tracks_per_language,
        config.noises.len(),
        config.snrs_db,
        speech_frames as f64 / 6000.0,
        noise_frames as f64 / 6000.0,
    );
    print!("{}", markdown(&results));
    Ok(())
}
