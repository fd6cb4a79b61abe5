//! The embedded recognizer's worker pool on telephone sentences (espeak-ng through G.711), with
//! the real tiny.en model: skipped with a note when `whisper-models/fetch` has not been run,
//! failing under CI (env `CI` set).

use voxgate_asr_eval::audio::{ENGLISH_VOICE, telephone_speech};
use voxgate_asr_eval::score::{edit_distance, normalise_english};
use voxgate_speech::{AsrRequest, Recognizer};
use voxgate_whisper::EmbeddedWhisper;

#[path = "../../../engine/whisper/tests/model_dir/mod.rs"]
mod model_dir;
use model_dir::model_dir;

/// tiny.en scores ~41 % WER on the whole 20-sentence asr-eval set (espeak-ng's robotic voice
/// through G.711), but these four sentences (25 words) it gets right with either encoder
/// window. Allowing 3 word errors (12 %) leaves room for another espeak-ng build or summation
/// order, while a broken front end, resampler or decoder (empty text, or most words wrong)
/// fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recognises_telephone_sentences_through_the_pool() {
    let Some(dir) = model_dir("tiny.en") else {
        return;
    };
    let whisper = EmbeddedWhisper::start(&dir, 2).expect("tiny.en loads");
    assert_eq!(whisper.name(), "whisper-tiny.en");
    let sentences = [
        "please call me back tomorrow",
        "I am not interested",
        "I would like to speak to a manager",
        "I need to check with my wife first",
    ];
    let answers = sentences.map(|sentence| {
        let audio = telephone_speech(sentence, ENGLISH_VOICE).expect("espeak-ng and sox");
        whisper.recognize(AsrRequest {
            audio: audio.into(),
            language: Some("en-US".into()),
            ..AsrRequest::default()
        })
    });
    let (mut errors, mut total) = (0, 0);
    for (sentence, answer) in sentences.iter().zip(answers) {
        let result = answer.await.expect("recognised");
        let reference = normalise_english(sentence);
        let e = edit_distance(&reference, &normalise_english(&result.text));
        eprintln!(
            "{sentence:?} -> {:?} ({:.2}, {e} errors)",
            result.text, result.confidence
        );
        assert!(
            result.confidence > 0.3,
            "confident on clean speech: {result:?}"
        );
        errors += e;
        total += reference.len();
    }
    assert!(errors <= 3, "{errors} word errors in {total} words");
}
