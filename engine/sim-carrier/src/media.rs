//! The media loop of one simulated call: RTP on its own port pair with 20 ms pacing (silence
//! when the callee says nothing), and either early media (a SIT or an announcement played once)
//! or an answered callee that hears the bot through the voice front end and acts on its turns.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use voxgate_audio::endpointing::VoiceEvent;
use voxgate_audio::front_end::VoiceFrontEnd;
use voxgate_audio::playback::{Playback, PlaybackEvent, Prompt};
use voxgate_codecs::Codec;
use voxgate_rtp::{Pacer, PlayoutFrame, RtpSession, SessionConfig};
use voxgate_sip::CallHandle;
use voxgate_sip::sdp::{AudioCodec, NegotiatedMedia};

use crate::audio_bank::AudioBank;
use crate::callee::{Callee, CalleeAction, HeardSegment, PerformedTurn};

/// One frame.
const FRAME: Duration = Duration::from_millis(20);
/// Samples in one frame at 8 kHz.
const FRAME_SAMPLES: usize = 160;
/// Length of each RFC 4733 digit sent.
const DIGIT_LENGTH: Duration = Duration::from_millis(120);
/// Seconds between 1900 (NTP epoch) and 1970.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// What the call's audio does.
pub(crate) enum Role {
    /// Early media: play this once, then send silence until closed.
    Early(Arc<Prompt>),
    /// An answered callee.
    Callee {
        /// The persona's state machine.
        callee: Box<Callee>,
        /// Hears the bot.
        front_end: Box<VoiceFrontEnd>,
        /// Language of its `say` texts.
        language: String,
    },
}

/// What the media loop tells the SIP loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaReport {
    /// The early media played to its end.
    EarlyMediaDone,
    /// The callee hangs up.
    Hangup,
}

/// What a finished media loop leaves for the journal.
#[derive(Debug, Default)]
pub(crate) struct MediaLog {
    pub turns: Vec<PerformedTurn>,
    pub heard: Vec<HeardSegment>,
    pub packets_sent: u64,
    pub packets_received: u64,
}

/// Everything a media loop needs.
pub(crate) struct MediaSetup {
    pub call: CallHandle,
    pub rtp: UdpSocket,
    pub rtcp: UdpSocket,
    pub negotiated: NegotiatedMedia,
    pub role: Role,
    pub bank: Arc<AudioBank>,
}

/// Bind the RTP/RTCP pair `port`, `port + 1` on `ip`.
pub(crate) fn bind_pair(ip: IpAddr, port: u16) -> std::io::Result<(UdpSocket, UdpSocket)> {
    let bind = |port: u16| -> std::io::Result<UdpSocket> {
        let socket = std::net::UdpSocket::bind(SocketAddr::new(ip, port))?;
        socket.set_nonblocking(true)?;
        UdpSocket::from_std(socket)
    };
    Ok((
        bind(port)?,
        bind(
            port.checked_add(1)
                .ok_or(std::io::ErrorKind::InvalidInput)?,
        )?,
    ))
}

fn ntp_now() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs() + NTP_UNIX_OFFSET;
    let frac = (u64::from(since.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// The sound side of the call at one frame time.
struct Voice {
    call: CallHandle,
    role: Role,
    bank: Arc<AudioBank>,
    playback: Playback,
    digits_pending: bool,
    hangup_reported: bool,
}

impl Voice {
    /// Hear one received frame (answered calls only).
    fn hear(&mut self, at: Instant, pcm: &[i16]) {
        let Role::Callee {
            callee, front_end, ..
        } = &mut self.role
        else {
            return;
        };
        if let Err(e) = front_end.push_frame(at, pcm) {
            tracing::warn!(call = %self.call, "voice front end: {e}");
        }
        while let Some(event) = front_end.poll_event() {
            match event {
                VoiceEvent::SpeechStarted { start, .. } => {
                    callee.handle_bot_speech_started(at, start)
                }
                VoiceEvent::UtteranceEnded(u) => {
                    callee.handle_bot_utterance_ended(at, u.start, u.end)
                }
                VoiceEvent::BargeIn { .. } | VoiceEvent::NoInput { .. } => {}
            }
        }
    }

    /// Run the callee's timers and carry out its actions.
    fn act(
        &mut self,
        at: Instant,
        session: &mut RtpSession,
        reports: &mpsc::UnboundedSender<(CallHandle, MediaReport)>,
    ) {
        let Role::Callee {
            callee, language, ..
        } = &mut self.role
        else {
            return;
        };
        if self.digits_pending && !session.is_sending_dtmf() {
            self.digits_pending = false;
            callee.handle_audio_finished(at);
        }
        if callee.poll_timeout().is_some_and(|t| t <= at) {
            callee.handle_timeout(at);
        }
        while let Some(action) = callee.poll_action() {
            let prompt = match action {
                CalleeAction::Say { text, .. } => self.bank.speech(language, &text),
                CalleeAction::Play { path, .. } => self.bank.file(&path),
                CalleeAction::SendDigits { digits, .. } => {
                    for digit in digits.chars() {
                        if let Err(e) = session.send_dtmf(digit, DIGIT_LENGTH) {
                            tracing::warn!(call = %self.call, "digit {digit}: {e}");
                        }
                    }
                    self.digits_pending = true;
                    continue;
                }
                CalleeAction::Hangup => {
                    self.playback.stop(at);
                    if !self.hangup_reported {
                        self.hangup_reported = true;
                        let _ = reports.send((self.call, MediaReport::Hangup));
                    }
                    continue;
                }
            };
            match prompt {
                Some(prompt) => self.playback.play(at, [prompt]),
                None => {
                    tracing::warn!(call = %self.call, "a turn's audio was not prepared");
                    callee.handle_audio_finished(at);
                }
            }
        }
    }

    /// The next outbound frame's payload; reports the end of the audio.
    fn speak(
        &mut self,
        at: Instant,
        codec: Codec,
        payload: &mut Vec<u8>,
        reports: &mpsc::UnboundedSender<(CallHandle, MediaReport)>,
    ) {
        payload.clear();
        match self.playback.next_frame(at) {
            Some(frame) => match frame.encoded(codec) {
                Some(bytes) => payload.extend_from_slice(bytes),
                None => codec.encode(frame.pcm(), payload),
            },
            None => codec.encode(&[0; FRAME_SAMPLES], payload),
        }
        while let Some(event) = self.playback.poll_event() {
            if let PlaybackEvent::SequenceFinished { at } = event {
                match &mut self.role {
                    Role::Early(_) => {
                        let _ = reports.send((self.call, MediaReport::EarlyMediaDone));
                    }
                    Role::Callee { callee, .. } => callee.handle_audio_finished(at),
                }
            }
        }
    }
}

/// Run the media loop until `close` fires (or its sender is dropped).
pub(crate) async fn run(
    setup: MediaSetup,
    mut close: oneshot::Receiver<()>,
    reports: mpsc::UnboundedSender<(CallHandle, MediaReport)>,
) -> MediaLog {
    let MediaSetup {
        call,
        rtp,
        rtcp,
        negotiated,
        role,
        bank,
    } = setup;
    let codec = match negotiated.codec {
        AudioCodec::Pcma => Codec::Pcma,
        _ => Codec::Pcmu,
    };
    let start = Instant::now();
    let config = SessionConfig {
        ssrc: rand::random(),
        initial_sequence: rand::random(),
        initial_timestamp: rand::random(),
        payload_type: negotiated.payload_type,
        clock_rate: 8000,
        samples_per_frame: FRAME_SAMPLES as u32,
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
    let mut voice = Voice {
        call,
        role,
        bank,
        playback: Playback::new(),
        digits_pending: false,
        hangup_reported: false,
    };
    if let Role::Early(prompt) = &voice.role {
        voice.playback.play(start, [Arc::clone(prompt)]);
    }
    let mut frame_clock = start;
    let mut received = Vec::with_capacity(FRAME_SAMPLES * 2);
    let mut payload = Vec::with_capacity(FRAME_SAMPLES);
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
            _ = &mut close => break,
            () = tokio::time::sleep_until(wake.into()) => {
                let now = Instant::now();
                let due = pacer.due(now);
                for _ in skipped..pacer.skipped() {
                    if let Some(t) = session.skip_frame(now) {
                        let _ = rtp.try_send_to(&t.payload, t.destination);
                    }
                    frame_clock += FRAME;
                }
                skipped = pacer.skipped();
                for _ in 0..due {
                    received.clear();
                    match session.next_frame(now) {
                        PlayoutFrame::Audio(p) => codec.decode(p, &mut received),
                        PlayoutFrame::Concealed(_) | PlayoutFrame::Silence => {}
                    }
                    received.resize(FRAME_SAMPLES, 0);
                    voice.hear(frame_clock, &received);
                    voice.act(frame_clock, &mut session, &reports);
                    voice.speak(frame_clock, codec, &mut payload, &reports);
                    voice.act(frame_clock, &mut session, &reports);
                    if let Some(t) = session.send_audio(now, &payload) {
                        let _ = rtp.try_send_to(&t.payload, t.destination);
                    }
                    frame_clock += FRAME;
                }
                while let Some(t) = session.poll_rtcp(now, ntp_now()) {
                    let _ = rtcp.try_send_to(&t.payload, t.destination);
                }
            }
        }
        while session.poll_event().is_some() {}
    }
    if let Some(t) = session.close(Instant::now(), ntp_now()) {
        let _ = rtcp.try_send_to(&t.payload, t.destination);
    }
    let stats = session.stats();
    let (turns, heard) = match &voice.role {
        Role::Callee { callee, .. } => (callee.performed().to_vec(), callee.heard().to_vec()),
        Role::Early(_) => (Vec::new(), Vec::new()),
    };
    MediaLog {
        turns,
        heard,
        packets_sent: stats.packets_sent,
        packets_received: stats.packets_received,
    }
}
