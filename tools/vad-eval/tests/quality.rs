//! Quality assertions on the small evaluation set (not timings): the neural detector beats
//! webrtc-vad on noisy speech, and noise alone never barges in with the default endpointing.
//!
//! Needs the model (`vad-models/fetch`) and espeak-ng + sox; without them the tests skip with a
//! message, or fail when the `CI` environment variable is set.

use std::path::PathBuf;
use std::sync::OnceLock;

use voxgate_audio::vad::{SILERO_VAD_MODEL_SHA256, SileroModel, WebRtcVadMode};
use voxgate_vad_eval::dataset::{self, EvalSet, SetConfig};
use voxgate_vad_eval::noise::NoiseKind;
use voxgate_vad_eval::report::{DetectorResult, evaluate, markdown};
use voxgate_vad_eval::score::{Detector, Scorer};

struct Fixture {
    config: SetConfig,
    set: EvalSet,
    scorer: Scorer,
}

fn skip(what: String) -> Option<&'static Fixture> {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} (CI is set, so this fails instead of skipping)"
    );
    eprintln!("SKIPPED: {what}");
    None
}

fn fixture() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Result<Fixture, String>> = OnceLock::new();
    let built = FIXTURE.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../vad-models/silero_vad_op18_ifless.onnx");
        let model = SileroModel::load(&path, SILERO_VAD_MODEL_SHA256).map_err(|e| e.to_string())?;
        let config = SetConfig::quick();
        let set = dataset::build(&config).map_err(|e| e.to_string())?;
        Ok(Fixture {
            config,
            set,
            scorer: Scorer::new(model),
        })
    });
    match built {
        Ok(fixture) => Some(fixture),
        Err(error) => skip(format!("evaluation set unavailable: {error}")),
    }
}

fn result(fixture: &Fixture, detector: Detector) -> DetectorResult {
    evaluate(&fixture.set, &fixture.config, &fixture.scorer, detector).expect("evaluation")
}

#[test]
fn silero_beats_every_webrtc_vad_mode_on_noisy_speech() {
    let Some(fixture) = fixture() else { return };
    let silero = result(fixture, Detector::Silero);
    let webrtc: Vec<DetectorResult> = WebRtcVadMode::ALL
        .iter()
        .map(|&mode| result(fixture, Detector::WebRtc(mode)))
        .collect();
    let mut all = vec![silero.clone()];
    all.extend(webrtc.iter().cloned());
    eprintln!("{}", markdown(&all));
    let best = webrtc
        .iter()
        .map(|result| result.auc_noisy)
        .fold(0.0, f64::max);
    assert!(
        silero.auc_noisy > best,
        "Silero AUC {} vs best webrtc-vad {best}",
        silero.auc_noisy
    );
    // And clearly useful, not just less bad: on clean telephone speech it is near perfect.
    assert!(
        silero.auc_clean > 0.95,
        "Silero clean AUC {}",
        silero.auc_clean
    );
}

#[test]
fn noise_alone_never_barges_in_with_the_default_endpointing() {
    let Some(fixture) = fixture() else { return };
    let silero = result(fixture, Detector::Silero);
    for (kind, count, minutes) in &silero.barge_ins_by_noise {
        eprintln!("{}: {count} barge-ins in {minutes:.2} min", kind.name());
        // A background conversation is speech, not noise: a VAD hears it (reported, not held
        // to zero; telling the callee from a bystander is not the VAD's job).
        if *kind == NoiseKind::Conversation {
            continue;
        }
        assert_eq!(
            *count,
            0,
            "{} noise: {count} false barge-ins in {minutes:.2} min",
            kind.name()
        );
    }
}
