//! Criterion benches for voxgate live in `benches/benches/`; results and the commands that
//! produced them are in `benches/RESULTS.md`. This library holds shared bench inputs.

/// A 20 ms frame of 8 kHz speech-like PCM (a two-tone signal at moderate level).
pub fn pcm_frame() -> [i16; 160] {
    let mut frame = [0i16; 160];
    for (i, s) in frame.iter_mut().enumerate() {
        let t = i as f32 / 8000.0;
        let v = (t * 440.0 * std::f32::consts::TAU).sin() * 6000.0
            + (t * 1250.0 * std::f32::consts::TAU).sin() * 3000.0;
        *s = v as i16;
    }
    frame
}
