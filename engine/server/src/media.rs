//! The media loop of one call: RTP in and out on its own port pair, 20 ms pacing, prompt
//! playback, DTMF detection and the stereo recording. Runs as its own task; talks to the engine
//! loop through channels.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use voxgate_call::{DtmfSource, MediaInput, MediaSummary};
use voxgate_codecs::{AudioDecoder, AudioEncoder, Codec, OpusSettings};
use voxgate_rtp::{MediaEvent, Pacer, PlayoutFrame, RtpSession, SessionConfig};
use voxgate_sip::CallHandle;
use voxgate_sip::sdp::{AudioCodec, NegotiatedMedia, OpusParameters};

use crate::recording::StereoRecorder;

/// One outbound and inbound frame.
const FRAME: Duration = Duration::from_millis(20);
/// The media loop's PCM rate: telephone band, whatever the codec's RTP clock.
const PCM_RATE: u32 = 8000;
/// Samples per frame at 8 kHz.
const FRAME_SAMPLES: usize = 160;
/// Seconds between 1900 (NTP epoch) and 1970.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// Commands from the engine loop to a call's media task.
#[derive(Debug)]
pub enum MediaCommand {
    /// Play these 8 kHz samples from the start, replacing what plays.
    Play(Arc<[i16]>),
    /// Stop playback; silence follows.
    Stop,
    /// End the media loop, finish the recording and report statistics.
    Close,
}

/// Reports from a media task to the engine loop.
#[derive(Debug)]
pub enum MediaReport {
    /// Something the call state machine should know.
    Input(CallHandle, MediaInput),
    /// The media loop ended.
    Closed(CallHandle, Box<MediaSummary>),
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
    /// Record to this file when set.
    pub recording: Option<PathBuf>,
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

struct Playback {
    pcm: Arc<[i16]>,
    position: usize,
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
    } = setup;
    let codec = codec_for(negotiated.codec);
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
    let mut recorder = recording
        .as_deref()
        .and_then(|path| match StereoRecorder::create(path) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::error!(%call, path = %path.display(), "cannot create recording: {e}");
                None
            }
        });
    let mut playback: Option<Playback> = None;
    let mut received = Vec::with_capacity(FRAME_SAMPLES);
    let mut sent = [0i16; FRAME_SAMPLES];
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
                    command = commands.recv() => match command {
                        Some(MediaCommand::Play(pcm)) => playback = Some(Playback { pcm, position: 0 }),
                        Some(MediaCommand::Stop) => playback = None,
                        Some(MediaCommand::Close) | None => break,
                    },
                    () = tokio::time::sleep_until(wake.into()) => {
                        let now = Instant::now();
                        let due = pacer.due(now);
                        // Frames the pacer gave up on (a very late wake-up) still advance the RTP clock
                        // and the recording, so both stay aligned with real time.
                        for _ in skipped..pacer.skipped() {
                            if let Some(t) = session.skip_frame(now) {
                                let _ = rtp.try_send_to(&t.payload, t.destination);
                            }
                            if let Some(rec) = &mut recorder {
                                let _ = rec.write_frame(&[0; FRAME_SAMPLES], &[0; FRAME_SAMPLES]);
                            }
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
                            sent.fill(0);
                            if let Some(play) = &mut playback {
                                let rest = &play.pcm[play.position.min(play.pcm.len())..];
                                let n = rest.len().min(FRAME_SAMPLES);
                                sent[..n].copy_from_slice(&rest[..n]);
                                play.position += FRAME_SAMPLES;
                                if play.position >= play.pcm.len() {
                                    playback = None;
                                    let _ = reports.send(MediaReport::Input(call, MediaInput::PlaybackFinished));
                                }
                            }
                            payload.clear();
                            if let Err(e) = encoder.encode(&sent, &mut payload) {
                                tracing::warn!(%call, "encoding failed: {e}");
                            }
                            if let Some(t) = session.send_audio(now, &payload) {
                                let _ = rtp.try_send_to(&t.payload, t.destination);
                            }
                            if let Some(rec) = &mut recorder
                                && let Err(e) = rec.write_frame(&received, &sent) {
                                    tracing::error!(%call, "recording stopped: {e}");
                                    recorder = None;
                                }
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
                    let _ = reports.send(MediaReport::Input(call, input));
                }
                MediaEvent::RemoteLatched { address } => {
                    tracing::debug!(%call, %address, "RTP latched")
                }
                other => tracing::debug!(%call, "media event {other:?}"),
            }
        }
    }
    if let Some(t) = session.close(Instant::now(), ntp_now()) {
        let _ = rtcp.try_send_to(&t.payload, t.destination);
    }
    if skipped > 0 {
        tracing::warn!(%call, skipped, "media loop woke too late; frames skipped");
    }
    if let Some(rec) = recorder
        && let Err(e) = rec.finish()
    {
        tracing::error!(%call, "cannot finalise recording: {e}");
    }
    let summary = summarise(&session, codec);
    let _ = reports.send(MediaReport::Closed(call, Box::new(summary)));
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
