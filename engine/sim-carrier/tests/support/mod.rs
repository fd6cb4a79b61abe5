//! Test helpers: a synchronous espeak-ng synthesizer, free ports, G.711 RTP packets.

use std::process::Command;

use voxgate_audio::playback::Prompt;
use voxgate_speech::{BoxFuture, Synthesizer, TtsError, TtsRequest};

/// Runs `espeak-ng --stdout` synchronously and downsamples its 22,050 Hz output to 8 kHz.
pub struct EspeakTestSynth;

impl EspeakTestSynth {
    /// The text as 8 kHz PCM.
    pub fn pcm(text: &str, language: &str) -> Result<Vec<i16>, TtsError> {
        let output = Command::new("espeak-ng")
            .args(["--stdout", "-s", "160", "-v", language, text])
            .output()
            .map_err(|e| TtsError::Unavailable(format!("espeak-ng: {e}")))?;
        if !output.status.success() {
            return Err(TtsError::Unavailable(
                String::from_utf8_lossy(&output.stderr).into(),
            ));
        }
        // espeak-ng streams its WAV with unknown chunk sizes: read the rate from the header
        // and every sample after the `data` chunk header.
        let wav = output.stdout;
        let bad = |what: &str| TtsError::BadAudio(format!("espeak-ng output: {what}"));
        let rate_bytes = wav.get(24..28).ok_or_else(|| bad("no header"))?;
        let rate = u32::from_le_bytes(rate_bytes.try_into().map_err(|_| bad("header"))?);
        let data = wav
            .windows(4)
            .position(|w| w == b"data")
            .ok_or_else(|| bad("no data chunk"))?;
        let samples: Vec<f32> = wav[data + 8..]
            .chunks_exact(2)
            .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
            .collect();
        let prompt = Prompt::from_samples("espeak", &samples, rate)
            .map_err(|e| TtsError::BadAudio(e.to_string()))?;
        Ok(prompt.pcm().to_vec())
    }

    /// Whether espeak-ng can run here.
    pub fn available() -> bool {
        Command::new("espeak-ng").arg("--version").output().is_ok()
    }
}

impl Synthesizer for EspeakTestSynth {
    fn cache_identity(&self) -> String {
        "espeak-ng-test".into()
    }

    fn synthesize(&self, request: TtsRequest) -> BoxFuture<'_, Result<Vec<i16>, TtsError>> {
        let language = request.language.unwrap_or_else(|| "en".into());
        let result = Self::pcm(&request.text, &language);
        Box::pin(async move { result })
    }
}

/// A UDP port free on loopback right now.
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("loopback UDP")
}
