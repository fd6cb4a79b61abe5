//! The media loop of one call: RTP in and out on its own port pair, 20 ms pacing, the voice
//! front end (noise suppression, VAD, endpointing, barge-in), prompt playback over an optional
//! background sound, DTMF, and the stereo recording. Runs as its own task; talks to the engine
//! loop through channels. The sans-IO pieces (`RtpSession`, `VoiceFrontEnd`, `Playback`) get
//! the frame's nominal time, so the voice timeline lines up with the recording exactly.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use voxgate_audio::endpointing::{EndpointingOverrides, VoiceEvent};
use voxgate_audio::front_end::VoiceFrontEnd;
use voxgate_audio::mixer::BackgroundMixer;
use voxgate_audio::playback::{Playback, PlaybackEvent, Prompt};
use voxgate_audio::sit::SitDetector;
use voxgate_audio::timeline::{TimelineEntry, VoiceTimeline};
use voxgate_call::{DtmfSource, MediaInput, MediaSummary, Transcript};
use voxgate_campaign::result_map::sit_result;
use voxgate_codecs::{AudioDecoder, AudioEncoder, Codec, OpusSettings};
use voxgate_rtp::{MediaEvent, Pacer, PlayoutFrame, RtpSession, SessionConfig};
use voxgate_sip::CallHandle;
use voxgate_sip::sdp::{AudioCodec, NegotiatedMedia, OpusParameters};

mod speech;
use speech::OrderedInputs;
pub use speech::{CallAsr, PlayPieces};

/// One outbound and inbound frame.
const FRAME: Duration = Duration::from_millis(20);
/// The media loop's PCM rate: telephone band, whatever the codec's RTP clock.
const PCM_RATE: u32 = 8000;
use crate::recording::{FRAME_SAMPLES, Recording};
/// Seconds between 1900 (NTP epoch) and 1970.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// Commands from the engine loop to a call's media task.
#[derive(Debug)]
pub enum MediaCommand {
    /// Play these pieces in order, replacing what plays, with these endpointing changes.
    Play {
        /// The prompt pieces; commands behind a play still being synthesised wait for it.
        pieces: PlayPieces,
        /// Endpointing changes while they play and while listening after them.
        endpointing: EndpointingOverrides,
    },
    /// Stop playback; silence (or the background) follows.
    Stop,
    /// Listen with these endpointing changes: now, or when the playing prompt ends (the
    /// no-input time starts then).
    Listen(EndpointingOverrides),
    /// End the media loop, finish the recording and report statistics.
    Close,
}

/// Reports from a media task to the engine loop.
#[derive(Debug)]
pub enum MediaReport {
    /// Something the call state machine should know.
    Input(CallHandle, MediaInput),
    /// The media loop ended.
    Closed(CallHandle, Box<MediaClosed>),
}

/// What a finished media loop leaves for the call record.
#[derive(Debug, Default)]
pub struct MediaClosed {
    /// RTP/RTCP statistics.
    pub summary: MediaSummary,
    /// The voice timeline.
    pub voice: Vec<TimelineEntry>,
}

/// What a call's media loop needs to start.
pub struct MediaSetup {
    /// The call.
    pub call: CallHandle,
    /// RTP socket (RTCP uses `rtcp`).
    pub rtp: UdpSocket,
    /// RTCP socket (RTP port + 1).
    pub rtcp: UdpSocket,
    /// The negotiated stream.
    pub negotiated: NegotiatedMedia,
    /// The call's recording, when it is recorded.
    pub recording: Option<Recording>,
    /// The call's voice front end (VAD, noise suppression, endpointing).
    pub front_end: VoiceFrontEnd,
    /// The background sound (or silence).
    pub background: BackgroundMixer,
    /// The recogniser for the callee's utterances, if one is configured.
    pub asr: Option<CallAsr>,
}

/// Bind the RTP/RTCP pair on `ip`: `port` and `port + 1`. Must run inside the tokio runtime.
pub fn bind_pair(ip: IpAddr, port: u16) -> std::io::Result<(UdpSocket, UdpSocket)> {
    let bind = |port: u16| -> std::io::Result<UdpSocket> {
        let socket = std::net::UdpSocket::bind(SocketAddr::new(ip, port))?;
        socket.set_nonblocking(true)?;
        UdpSocket::from_std(socket)
    };
    Ok((bind(port)?, bind(port + 1)?))
}

/// Map a negotiated SDP codec to its implementation.
pub fn codec_for(codec: AudioCodec) -> Codec {
    match codec {
        AudioCodec::Pcma => Codec::Pcma,
        AudioCodec::Opus => Codec::Opus,
        _ => Codec::Pcmu,
    }
}

/// Opus encoder settings for what the peer asked for in its fmtp (mono, 24 kbit/s at most,
/// low complexity so many calls fit on a core).
fn opus_settings(remote: Option<&OpusParameters>) -> OpusSettings {
    let mut settings = OpusSettings {
        complexity: 3,
        ..OpusSettings::default()
    };
    if let Some(remote) = remote {
        settings.bitrate = remote
            .max_average_bitrate
            .map_or(settings.bitrate, |b| b.min(settings.bitrate));
        settings.inband_fec = remote.use_inband_fec;
        settings.constant_bitrate = remote.cbr;
        settings.max_playback_rate = remote.max_playback_rate.unwrap_or(48_000);
    }
    settings
}

/// Start the media task; returns the command sender.
pub fn spawn(
    setup: MediaSetup,
    reports: mpsc::UnboundedSender<MediaReport>,
) -> mpsc::UnboundedSender<MediaCommand> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(setup, rx, reports));
    tx
}

fn ntp_now() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs() + NTP_UNIX_OFFSET;
    let frac = (u64::from(since.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// The voice side of one call: what it hears (front end), what it says (playback over the
/// background) and the timeline of both.
struct Voice {
    front_end: VoiceFrontEnd,
    playback: Playback,
    background: BackgroundMixer,
    timeline: VoiceTimeline,
    endpointing: EndpointingOverrides,
    asr: Option<CallAsr>,
}

impl Voice {
    /// Feed one received frame; queues what the call should know (barge-in, speech, silence,
    /// utterances, which go through the recogniser first when there is one).
    fn hear(&mut self, call: CallHandle, at: Instant, pcm: &[i16], inputs: &mut OrderedInputs) {
        if let Err(e) = self.front_end.push_frame(at, pcm) {
            tracing::warn!(%call, "voice front end: {e}");
        }
        self.front_end.handle_timeout(at);
        while let Some(event) = self.front_end.poll_event() {
            self.timeline.record_voice(at, &event);
            match event {
                VoiceEvent::BargeIn { .. } => {
                    if self.playback.stop(at) {
                        inputs.push(MediaInput::BargeIn);
                    }
                }
                VoiceEvent::SpeechStarted { .. } => inputs.push(MediaInput::SpeechStarted),
                VoiceEvent::UtteranceEnded(u) => {
                    let duration_ms = u.end.saturating_duration_since(u.start).as_millis() as u32;
                    let audio = self.front_end.take_utterance_audio();
                    match (&self.asr, audio) {
                        (Some(asr), Some(audio)) => {
                            inputs.push_pending(asr.recognize(audio, duration_ms, u.barged_in));
                        }
                        _ => inputs.push(MediaInput::Utterance {
                            transcript: Transcript::NoRecognizer,
                            duration_ms,
                            barged_in: u.barged_in,
                        }),
                    }
                }
                VoiceEvent::NoInput { .. } => inputs.push(MediaInput::NoInput),
            }
        }
    }

    /// Produce one outbound frame into `pcm`, and the encoded payload into `payload`;
    /// returns true when the prompt sequence ended with this frame.
    fn speak(
        &mut self,
        at: Instant,
        codec: Codec,
        encoder: &mut dyn AudioEncoder,
        pcm: &mut [i16],
        payload: &mut Vec<u8>,
    ) -> bool {
        payload.clear();
        let mut encoded = false;
        match self.playback.next_frame(at) {
            Some(frame) if !self.background.has_background() => {
                pcm.copy_from_slice(frame.pcm());
                // The prompt cache hit path: G.711 frames were encoded once for all calls.
                if let Some(bytes) = frame.encoded(codec) {
                    payload.extend_from_slice(bytes);
                    encoded = true;
                }
            }
            frame => self.background.mix(frame.map(|f| f.pcm()), pcm),
        }
        if !encoded {
            let _ = encoder.encode(pcm, payload);
        }
        let mut finished = false;
        while let Some(event) = self.playback.poll_event() {
            self.timeline.record_playback(&event);
            if let PlaybackEvent::SequenceFinished { at } | PlaybackEvent::Cut { at, .. } = event {
                self.front_end.prompt_finished(at);
                self.front_end.listen(at, &self.endpointing);
                finished |= matches!(event, PlaybackEvent::SequenceFinished { .. });
            }
        }
        finished
    }

    fn play(&mut self, at: Instant, pieces: Vec<Arc<Prompt>>, endpointing: EndpointingOverrides) {
        self.endpointing = endpointing;
        self.front_end.prompt_started(at, &endpointing);
        self.playback.play(at, pieces);
    }
}

async fn run(
    setup: MediaSetup,
    mut commands: mpsc::UnboundedReceiver<MediaCommand>,
    reports: mpsc::UnboundedSender<MediaReport>,
) {
    let MediaSetup {
        call,
        rtp,
        rtcp,
        negotiated,
        recording,
        front_end,
        background,
        asr,
    } = setup;
    let codec = codec_for(negotiated.codec);
    // 8 kHz is a rate the detector supports, so this is always Some.
    let mut sit = SitDetector::new(PCM_RATE).ok();
    let coders = codec
        .encoder(PCM_RATE, &opus_settings(negotiated.remote_opus.as_ref()))
        .and_then(|e| Ok((e, codec.decoder(PCM_RATE)?)));
    let (mut encoder, mut decoder): (Box<dyn AudioEncoder>, Box<dyn AudioDecoder>) = match coders {
        Ok(pair) => pair,
        Err(e) => {
            tracing::error!(%call, "cannot set up {}: {e}", codec.name());
            let _ = reports.send(MediaReport::Closed(call, Box::default()));
            return;
        }
    };
    let start = Instant::now();
    let config = SessionConfig {
        ssrc: rand::random(),
        initial_sequence: rand::random(),
        initial_timestamp: rand::random(),
        payload_type: negotiated.payload_type,
        clock_rate: codec.clock_rate(),
        samples_per_frame: codec.clock_rate() / 50,
        telephone_event: negotiated
            .telephone_event
            .map(|t| (t.payload_type, t.clock_rate)),
        remote_rtp: negotiated.remote_rtp,
        remote_rtcp: negotiated.remote_rtcp,
        jitter_min: Duration::from_millis(20),
        jitter_max: Duration::from_millis(200),
        rtcp_interval: Duration::from_secs(5),
    };
    let mut session = RtpSession::new(start, config);
    let mut pacer = Pacer::new(start, FRAME);
    let mut recorder = recording;
    let mut voice = Voice {
        front_end,
        playback: Playback::new(),
        background,
        timeline: VoiceTimeline::new(start),
        endpointing: EndpointingOverrides::NONE,
        asr,
    };
    let mut inputs = OrderedInputs::default();
    // A play whose text is still being synthesised, with its endpointing; commands wait behind it.
    let mut synthesizing: Option<(speech::PendingPrompts, EndpointingOverrides)> = None;
    // Nominal time of the next frame: start + n × 20 ms, whatever the scheduler did.
    let mut frame_clock = start;
    let mut received = Vec::with_capacity(FRAME_SAMPLES * 2);
    let mut sent = [0i16; FRAME_SAMPLES];
    let mut payload = Vec::with_capacity(FRAME_SAMPLES * 2);
    let mut rtp_buf = vec![0u8; 2048];
    let mut rtcp_buf = vec![0u8; 2048];
    let mut skipped = 0;
    loop {
        let wake = session
            .poll_timeout()
            .map_or(pacer.next_deadline(), |t| t.min(pacer.next_deadline()));
        tokio::select! {
            r = rtp.recv_from(&mut rtp_buf) => if let Ok((n, from)) = r
                && let Err(e) = session.handle_datagram(Instant::now(), from, &rtp_buf[..n]) {
                tracing::trace!(%call, "bad RTP packet: {e}");
            },
            r = rtcp.recv_from(&mut rtcp_buf) => if let Ok((n, from)) = r
                && let Err(e) = session.handle_datagram(Instant::now(), from, &rtcp_buf[..n]) {
                tracing::trace!(%call, "bad RTCP packet: {e}");
            },
            () = inputs.settle_head() => {}
            pieces = async {
                match &mut synthesizing {
                    Some((pending, _)) => pending.await,
                    None => std::future::pending().await,
                }
            } => {
                if let Some((_, endpointing)) = synthesizing.take() {
                    play_or_finish(&mut voice, frame_clock, pieces, endpointing, &mut inputs);
                }
            }
            command = commands.recv(), if synthesizing.is_none() => match command {
                Some(MediaCommand::Play { pieces: PlayPieces::Ready(pieces), endpointing }) => {
                    play_or_finish(&mut voice, frame_clock, pieces, endpointing, &mut inputs);
                }
                Some(MediaCommand::Play { pieces: PlayPieces::Synthesizing(pending), endpointing }) => {
                    synthesizing = Some((pending, endpointing));
                }
                Some(MediaCommand::Stop) => {
                    voice.playback.stop(frame_clock);
                }
                Some(MediaCommand::Listen(endpointing)) => {
                    voice.endpointing = endpointing;
                    // While a prompt plays, listening starts when it ends (the no-input time
                    // counts from there); see `Voice::speak`.
                    if !voice.playback.is_active() {
                        voice.front_end.listen(frame_clock, &endpointing);
                    }
                }
                Some(MediaCommand::Close) | None => break,
            },
            () = tokio::time::sleep_until(wake.into()) => {
                let now = Instant::now();
                let due = pacer.due(now);
                // Frames the pacer gave up on (a very late wake-up) still advance the RTP clock,
                // the recording and the voice clock, so all stay aligned with real time.
                for _ in skipped..pacer.skipped() {
                    if let Some(t) = session.skip_frame(now) {
                        let _ = rtp.try_send_to(&t.payload, t.destination);
                    }
                    if let Some(rec) = &mut recorder {
                        rec.write_frame(&[0; FRAME_SAMPLES], &[0; FRAME_SAMPLES]);
                    }
                    frame_clock += FRAME;
                }
                skipped = pacer.skipped();
                for _ in 0..due {
                    received.clear();
                    match session.next_frame(now) {
                        PlayoutFrame::Audio(p) => {
                            if decoder.decode(p, &mut received).is_err() {
                                let _ = decoder.conceal(FRAME_SAMPLES, &mut received);
                            }
                        }
                        PlayoutFrame::Concealed(_) => {
                            let _ = decoder.conceal(FRAME_SAMPLES, &mut received);
                        }
                        PlayoutFrame::Silence => {}
                    }
                    received.resize(FRAME_SAMPLES, 0);
                    // Special information tones in early media say why an attempt failed
                    // (vacant number, intercept, no circuit) before the final response does.
                    if let Some(tone) = sit.as_mut().and_then(|d| d.push(&received)) {
                        let result = sit_result(tone.category.as_str());
                        tracing::info!(%call, %result, "{tone}");
                        let input = MediaInput::EarlyMedia {
                            result: result.as_str().to_owned(),
                            evidence: tone.to_string(),
                        };
                        inputs.push(input);
                    }
                    voice.hear(call, frame_clock, &received, &mut inputs);
                    if voice.speak(frame_clock, codec, encoder.as_mut(), &mut sent, &mut payload) {
                        inputs.push(MediaInput::PlaybackFinished);
                    }
                    if let Some(t) = session.send_audio(now, &payload) {
                        let _ = rtp.try_send_to(&t.payload, t.destination);
                    }
                    if let Some(rec) = &mut recorder {
                        rec.write_frame(&received, &sent);
                    }
                    frame_clock += FRAME;
                }
                while let Some(t) = session.poll_rtcp(now, ntp_now()) {
                    let _ = rtcp.try_send_to(&t.payload, t.destination);
                }
            }
        }
        while let Some(event) = session.poll_event() {
            match event {
                MediaEvent::Dtmf { digit, duration } => {
                    let input = MediaInput::Dtmf {
                        digit,
                        source: DtmfSource::Rfc4733,
                        duration_ms: Some(duration.as_millis() as u32),
                    };
                    inputs.push(input);
                }
                MediaEvent::RemoteLatched { address } => {
                    tracing::debug!(%call, %address, "RTP latched")
                }
                other => tracing::debug!(%call, "media event {other:?}"),
            }
        }
        inputs.drain_ready(|input| {
            let _ = reports.send(MediaReport::Input(call, input));
        });
    }
    // Recognitions still running (each bounded by its deadline) report before the media closes:
    // a carrier announcement that ended just before the final response still classifies it.
    loop {
        inputs.drain_ready(|input| {
            let _ = reports.send(MediaReport::Input(call, input));
        });
        if !inputs.is_waiting() {
            break;
        }
        inputs.settle_head().await;
    }
    if let Some(t) = session.close(Instant::now(), ntp_now()) {
        let _ = rtcp.try_send_to(&t.payload, t.destination);
    }
    if skipped > 0 {
        tracing::warn!(%call, skipped, "media loop woke too late; frames skipped");
    }
    if let Some(rec) = recorder.take()
        && rec.dropped_frames() > 0
    {
        tracing::warn!(%call, dropped = rec.dropped_frames(), "recording frames dropped: the disk is too slow");
    }
    voice.playback.stop(frame_clock);
    while let Some(event) = voice.playback.poll_event() {
        voice.timeline.record_playback(&event);
    }
    let closed = MediaClosed {
        summary: summarise(&session, codec),
        voice: voice.timeline.into_entries(),
    };
    let _ = reports.send(MediaReport::Closed(call, Box::new(closed)));
}

/// Play `pieces`, or report the play finished at once when none could be had (every piece
/// failed to load or synthesise).
fn play_or_finish(
    voice: &mut Voice,
    at: Instant,
    pieces: Vec<Arc<Prompt>>,
    endpointing: EndpointingOverrides,
    inputs: &mut OrderedInputs,
) {
    if pieces.is_empty() {
        inputs.push(MediaInput::PlaybackFinished);
    } else {
        voice.play(at, pieces, endpointing);
    }
}

fn summarise(session: &RtpSession, codec: Codec) -> MediaSummary {
    let s = session.stats();
    MediaSummary {
        codec: codec.name().to_owned(),
        remote_rtp: session.remote().map(|a| a.to_string()),
        packets_sent: s.packets_sent,
        packets_received: s.packets_received,
        packets_lost: s.cumulative_lost,
        jitter_ms: s.jitter_ms,
        rtt_ms: s.rtt_ms,
        remote_fraction_lost: s.remote_fraction_lost,
        concealed_frames: s.concealed_frames,
    }
}
