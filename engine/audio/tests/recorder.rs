//! The stereo recorder: round trip through a WAV reader, alignment, crash safety, finish.

use std::io::Cursor;

use voxgate_audio::recorder::StereoWavRecorder;

fn read(bytes: &[u8]) -> (hound::WavSpec, Vec<i16>) {
    let reader = hound::WavReader::new(Cursor::new(bytes.to_vec())).expect("valid wav");
    let spec = reader.spec();
    let samples = reader
        .into_samples::<i16>()
        .map(|s| s.expect("sample"))
        .collect();
    (spec, samples)
}

#[test]
fn round_trip_keeps_callee_left_and_bot_right() {
    let mut recorder = StereoWavRecorder::new(Cursor::new(Vec::new()), 8_000).expect("start");
    let mut callee_all = Vec::new();
    let mut bot_all = Vec::new();
    for frame in 0..120i16 {
        let callee: Vec<i16> = (0..160).map(|i| frame * 100 + i).collect();
        let bot: Vec<i16> = (0..160).map(|i| -(frame * 100 + i)).collect();
        recorder.write_frame(&callee, &bot).expect("write");
        callee_all.extend(callee);
        bot_all.extend(bot);
    }
    assert_eq!(recorder.samples_per_channel(), 120 * 160);
    let bytes = recorder.finish().expect("finish").into_inner();
    let (spec, samples) = read(&bytes);
    assert_eq!(spec.channels, 2);
    assert_eq!(spec.sample_rate, 8_000);
    assert_eq!(spec.bits_per_sample, 16);
    let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
    assert_eq!(left, callee_all);
    assert_eq!(right, bot_all);
}

#[test]
fn a_short_side_is_padded_with_silence_so_channels_stay_aligned() {
    let mut recorder = StereoWavRecorder::new(Cursor::new(Vec::new()), 8_000).expect("start");
    recorder.write_frame(&[1; 160], &[]).expect("bot silent");
    recorder
        .write_frame(&[2; 100], &[3; 160])
        .expect("callee short");
    let bytes = recorder.finish().expect("finish").into_inner();
    let (_, samples) = read(&bytes);
    assert_eq!(samples.len(), 2 * 320);
    assert_eq!(&samples[..2], &[1, 0]);
    assert_eq!(&samples[320..322], &[2, 3]);
    assert_eq!(&samples[2 * 160 + 2 * 100..2 * 160 + 2 * 100 + 2], &[0, 3]);
}

#[test]
fn a_crash_leaves_a_playable_file_up_to_the_last_flush() {
    let mut recorder = StereoWavRecorder::new(Cursor::new(Vec::new()), 8_000)
        .expect("start")
        .with_flush_every(10);
    for _ in 0..25 {
        recorder.write_frame(&[7; 160], &[8; 160]).expect("write");
    }
    // Simulate a crash: take the bytes as they are on "disk" without finishing.
    let snapshot = {
        let mut copy = Vec::new();
        let cursor: &Cursor<Vec<u8>> = recorder_cursor(&recorder);
        copy.extend_from_slice(cursor.get_ref());
        copy
    };
    let (_, samples) = read(&snapshot);
    assert_eq!(samples.len(), 2 * 160 * 20, "header says 20 of 25 frames");
    drop(recorder);
}

/// The writer of a live recorder, as a crash would leave it.
fn recorder_cursor(recorder: &StereoWavRecorder<Cursor<Vec<u8>>>) -> &Cursor<Vec<u8>> {
    recorder.writer().expect("still recording")
}

#[test]
fn dropping_an_unfinished_recorder_writes_the_final_header() {
    let mut file = Vec::new();
    {
        let mut recorder = StereoWavRecorder::new(Cursor::new(&mut file), 16_000).expect("start");
        for _ in 0..3 {
            recorder.write_frame(&[5; 320], &[6; 320]).expect("write");
        }
    }
    let (spec, samples) = read(&file);
    assert_eq!(spec.sample_rate, 16_000);
    assert_eq!(samples.len(), 2 * 3 * 320);
}

#[test]
fn zero_rate_is_refused() {
    assert!(StereoWavRecorder::new(Cursor::new(Vec::new()), 0).is_err());
}
