//! One call's media: [`RtpSession`] joins latching, reception statistics, the jitter buffer,
//! DTMF and RTCP into a sans-IO state machine.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtp_rs::RtpReader;
use voxgate_codecs::telephone_event::{TelephoneEvent, digit_to_event};

use crate::dtmf::{DtmfDetector, ReceivedDigit};
use crate::jitter_buffer::{JitterBuffer, JitterBufferConfig, PlayoutFrame};
use crate::latch::{LatchDecision, RemoteLatch};
use crate::outbound::{Outbound, OutboundConfig};
use crate::reception::{ReceptionStats, SequenceVerdict};
use crate::rtcp::{self, ReportBlock, RtcpPacket, SenderInfo};
use crate::{RtpError, is_rtcp};

/// Sender reports remembered for matching the LSR of incoming report blocks.
const SENT_REPORT_HISTORY: usize = 4;

/// Settings of one call's media, mostly from the SDP offer/answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Our SSRC (random, chosen by the caller).
    pub ssrc: u32,
    /// First RTP sequence number we send (random).
    pub initial_sequence: u16,
    /// First RTP timestamp we send (random).
    pub initial_timestamp: u32,
    /// Negotiated audio payload type.
    pub payload_type: u8,
    /// Audio RTP clock rate (8000 for G.711).
    pub clock_rate: u32,
    /// Samples per packet (160 for 20 ms at 8 kHz).
    pub samples_per_frame: u32,
    /// Negotiated telephone-event payload type and the clock rate announced for it in SDP.
    pub telephone_event: Option<(u8, u32)>,
    /// Remote RTP address from SDP; replaced by latching.
    pub remote_rtp: Option<SocketAddr>,
    /// Remote RTCP address from SDP (`a=rtcp`); replaced by latching. Defaults to RTP port + 1.
    pub remote_rtcp: Option<SocketAddr>,
    /// Smallest jitter-buffer delay (20 ms).
    pub jitter_min: Duration,
    /// Largest jitter-buffer delay (200 ms).
    pub jitter_max: Duration,
    /// Interval between RTCP reports (5 s).
    pub rtcp_interval: Duration,
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// The datagram.
    pub payload: Vec<u8>,
}

/// Something the call controller should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaEvent {
    /// A DTMF digit received as RFC 4733 events.
    Dtmf {
        /// `0-9`, `*`, `#` or `A-D`.
        digit: char,
        /// How long the key was pressed, as signalled.
        duration: Duration,
    },
    /// Media is now sent to this address (first packet, or a confirmed switch).
    RemoteLatched {
        /// The new remote RTP address.
        address: SocketAddr,
    },
    /// The remote stream's SSRC changed (confirmed by several packets); receive state was reset.
    SsrcChanged {
        /// The new SSRC.
        ssrc: u32,
    },
    /// The remote source sent an RTCP BYE.
    Bye {
        /// The source that left.
        ssrc: u32,
    },
}

/// Counters and quality figures of a session, for call records and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MediaStats {
    /// RTP packets sent.
    pub packets_sent: u64,
    /// RTP payload octets sent.
    pub octets_sent: u64,
    /// RTP packets received and accepted (audio and telephone-event).
    pub packets_received: u64,
    /// RTP payload octets received and accepted.
    pub octets_received: u64,
    /// Packets ignored: other payload types, unlatched sources, unconfirmed sequence jumps.
    pub packets_ignored: u64,
    /// Packets lost from the current source (RFC 3550 A.3; negative with duplicates).
    pub cumulative_lost: i64,
    /// Fraction lost (0-1) in the last RTCP interval, or since the start before the first report.
    pub fraction_lost: f64,
    /// Interarrival jitter of the received stream, in milliseconds (RFC 3550 A.8).
    pub jitter_ms: f64,
    /// Round-trip time from the peer's LSR/DLSR, in milliseconds.
    pub rtt_ms: Option<f64>,
    /// Fraction lost (0-1) the peer reports for our stream.
    pub remote_fraction_lost: Option<f64>,
    /// Cumulative loss the peer reports for our stream.
    pub remote_cumulative_lost: Option<i64>,
    /// Jitter the peer reports for our stream, in milliseconds.
    pub remote_jitter_ms: Option<f64>,
    /// Packets that arrived after their playout time.
    pub late_packets: u64,
    /// Buffered frames dropped to bound the delay, plus duplicates.
    pub discarded_packets: u64,
    /// Frames missing at their playout time.
    pub lost_frames: u64,
    /// Frames played as a repeat of the previous one.
    pub concealed_frames: u64,
    /// Audio currently buffered ahead of playout, in milliseconds.
    pub jitter_buffer_delay_ms: f64,
    /// Playout delay the jitter buffer aims for, in milliseconds.
    pub jitter_buffer_target_ms: f64,
    /// Remote RTP address in use.
    pub remote: Option<SocketAddr>,
    /// Whether that address was latched from received packets (not only from SDP).
    pub latched: bool,
}

/// One call's RTP/RTCP media, sans-IO.
///
/// Drive contract: feed every datagram received on the RTP or RTCP port to
/// [`handle_datagram`](Self::handle_datagram); on every pacer tick call
/// [`next_frame`](Self::next_frame) for playout and [`send_audio`](Self::send_audio) (or
/// [`skip_frame`](Self::skip_frame) when there is nothing to say); after any input drain
/// [`poll_event`](Self::poll_event); when [`poll_timeout`](Self::poll_timeout) passes call
/// [`poll_rtcp`](Self::poll_rtcp).
#[derive(Debug, Clone)]
pub struct RtpSession {
    config: SessionConfig,
    epoch: Instant,
    latch: RemoteLatch,
    /// RTCP source of the remote SSRC, once seen.
    rtcp_remote: Option<SocketAddr>,
    reception: ReceptionStats,
    jitter_buffer: JitterBuffer,
    dtmf: Option<DtmfDetector>,
    digits: VecDeque<ReceivedDigit>,
    events: VecDeque<MediaEvent>,
    outbound: Outbound,
    packets_received: u64,
    octets_received: u64,
    packets_ignored: u64,
    cname: String,
    next_rtcp: Instant,
    sent_reports: [Option<(u32, Instant)>; SENT_REPORT_HISTORY],
    sent_report_count: usize,
    /// LSR value and arrival of the remote's latest SR.
    remote_sender_report: Option<(u32, Instant)>,
    remote_report: Option<ReportBlock>,
    rtt: Option<Duration>,
}

impl RtpSession {
    /// A session starting at `now`. The first RTCP report is due after half an interval.
    pub fn new(now: Instant, config: SessionConfig) -> Self {
        let clock_rate = config.clock_rate.max(1);
        let frame = Duration::from_nanos(
            u64::from(config.samples_per_frame) * 1_000_000_000 / u64::from(clock_rate),
        )
        .max(Duration::from_millis(1));
        let jitter_buffer = JitterBuffer::new(JitterBufferConfig {
            frame,
            min_delay: config.jitter_min,
            max_delay: config.jitter_max,
            payload_capacity: usize::try_from(config.samples_per_frame)
                .unwrap_or(160)
                .min(2048),
        });
        let outbound = Outbound::new(OutboundConfig {
            ssrc: config.ssrc,
            initial_sequence: config.initial_sequence,
            initial_timestamp: config.initial_timestamp,
            payload_type: config.payload_type,
            clock_rate,
            samples_per_frame: config.samples_per_frame,
            telephone_event: config.telephone_event,
            frame,
        });
        RtpSession {
            epoch: now,
            latch: RemoteLatch::new(config.remote_rtp),
            rtcp_remote: None,
            reception: ReceptionStats::new(now, clock_rate),
            jitter_buffer,
            dtmf: config
                .telephone_event
                .map(|(_, rate)| DtmfDetector::new(rate, clock_rate)),
            digits: VecDeque::new(),
            events: VecDeque::new(),
            outbound,
            packets_received: 0,
            octets_received: 0,
            packets_ignored: 0,
            cname: format!("voxgate-{:08x}", config.ssrc),
            next_rtcp: now + config.rtcp_interval / 2,
            sent_reports: [None; SENT_REPORT_HISTORY],
            sent_report_count: 0,
            remote_sender_report: None,
            remote_report: None,
            rtt: None,
            config,
        }
    }

    /// An RTP or RTCP datagram from the network (demultiplexed inside, RFC 5761). Symmetric RTP:
    /// the first valid packet for a negotiated payload type latches the remote address and SSRC;
    /// a different source takes over only after [`crate::LATCH_SWITCH_PACKETS`] consecutive
    /// packets. Packets of other payload types or sources are ignored (counted, not errors).
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        source: SocketAddr,
        bytes: &[u8],
    ) -> Result<(), RtpError> {
        if is_rtcp(bytes) {
            return self.handle_rtcp(now, source, bytes);
        }
        let packet =
            RtpReader::new(bytes).map_err(|error| RtpError::MalformedRtp(describe(&error)))?;
        let payload_type = packet.payload_type();
        let is_audio = payload_type == self.config.payload_type;
        let is_event = !is_audio
            && self
                .config
                .telephone_event
                .is_some_and(|(event_type, _)| event_type == payload_type);
        if !is_audio && !is_event {
            self.packets_ignored += 1;
            return Ok(());
        }
        match self.latch.on_packet(source, packet.ssrc()) {
            LatchDecision::Accept => {}
            LatchDecision::Ignore => {
                self.packets_ignored += 1;
                return Ok(());
            }
            LatchDecision::Latched {
                address_changed,
                ssrc_changed,
            } => {
                if ssrc_changed {
                    self.reset_reception();
                    self.events.push_back(MediaEvent::SsrcChanged {
                        ssrc: packet.ssrc(),
                    });
                }
                if address_changed {
                    self.events
                        .push_back(MediaEvent::RemoteLatched { address: source });
                }
            }
        }
        let seq = u16::from(packet.sequence_number());
        match self.reception.update_sequence(seq) {
            SequenceVerdict::Accepted => {}
            SequenceVerdict::Restarted => {
                self.jitter_buffer.reset();
                if let Some(dtmf) = &mut self.dtmf {
                    dtmf.reset();
                }
            }
            SequenceVerdict::Rejected => {
                self.packets_ignored += 1;
                return Ok(());
            }
        }
        let payload = packet.payload();
        self.packets_received += 1;
        self.octets_received += payload.len() as u64;
        let timestamp = packet.timestamp();
        if is_audio {
            if self.reception.update_jitter(now, timestamp) {
                self.jitter_buffer.reset();
            }
            self.jitter_buffer.set_jitter(self.reception.jitter());
            self.jitter_buffer.insert(now, seq, payload);
            if let Some(dtmf) = &mut self.dtmf {
                dtmf.on_audio(timestamp, self.config.samples_per_frame, &mut self.digits);
            }
        } else {
            self.jitter_buffer.insert_no_audio(now, seq);
            let event = TelephoneEvent::parse(payload)?;
            if let Some(dtmf) = &mut self.dtmf {
                dtmf.on_event(now, timestamp, event, &mut self.digits);
            }
        }
        self.events.extend(
            self.digits
                .drain(..)
                .map(|ReceivedDigit { digit, duration }| MediaEvent::Dtmf { digit, duration }),
        );
        Ok(())
    }

    fn reset_reception(&mut self) {
        self.reception = ReceptionStats::new(self.epoch, self.config.clock_rate);
        self.jitter_buffer.reset();
        if let Some(dtmf) = &mut self.dtmf {
            dtmf.reset();
        }
        self.remote_sender_report = None;
    }

    fn handle_rtcp(
        &mut self,
        now: Instant,
        source: SocketAddr,
        bytes: &[u8],
    ) -> Result<(), RtpError> {
        let remote_ssrc = self.latch.ssrc();
        for packet in rtcp::parse_compound(bytes) {
            match packet? {
                RtcpPacket::SenderReport { ssrc, info, blocks } => {
                    if Some(ssrc) == remote_ssrc {
                        self.rtcp_remote = Some(source);
                        self.remote_sender_report =
                            Some((rtcp::ntp_middle(info.ntp_timestamp), now));
                    }
                    blocks.for_each(|block| self.handle_report_block(now, block));
                }
                RtcpPacket::ReceiverReport { ssrc, blocks } => {
                    if Some(ssrc) == remote_ssrc {
                        self.rtcp_remote = Some(source);
                    }
                    blocks.for_each(|block| self.handle_report_block(now, block));
                }
                RtcpPacket::Bye { sources } => {
                    for ssrc in sources.filter(|&ssrc| Some(ssrc) == remote_ssrc) {
                        self.events.push_back(MediaEvent::Bye { ssrc });
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn handle_report_block(&mut self, now: Instant, block: ReportBlock) {
        if block.ssrc != self.outbound.ssrc() {
            return;
        }
        self.remote_report = Some(block);
        if block.last_sender_report == 0 {
            return;
        }
        let sent_at = self
            .sent_reports
            .iter()
            .flatten()
            .find(|(middle, _)| *middle == block.last_sender_report)
            .map(|(_, at)| *at);
        if let Some(sent_at) = sent_at {
            let held = Duration::from_nanos(
                u64::from(block.delay_since_last_sender_report) * 1_000_000_000 / 65536,
            );
            self.rtt = Some(now.saturating_duration_since(sent_at).saturating_sub(held));
        }
    }

    /// The received audio to play for this tick (call once per frame period).
    pub fn next_frame(&mut self, now: Instant) -> PlayoutFrame<'_> {
        self.jitter_buffer.pop(now)
    }

    /// Builds the RTP packet for one outbound frame: the timestamp advances by
    /// `samples_per_frame` per call, the sequence by one per packet, and the marker is set on
    /// the first packet after the start, silence or DTMF. While a digit plays, the returned
    /// packet is the telephone-event packet instead of `payload`. `None` if no remote address is
    /// known yet (the frame still counts, so timing does not drift).
    pub fn send_audio(&mut self, now: Instant, payload: &[u8]) -> Option<Transmit> {
        self.outbound.frame(now, Some(payload), self.latch.remote())
    }

    /// A frame tick with no audio to send (silence suppression): advances the timestamp; returns
    /// a telephone-event packet if a digit is playing.
    pub fn skip_frame(&mut self, now: Instant) -> Option<Transmit> {
        self.outbound.frame(now, None, self.latch.remote())
    }

    /// Queues an RFC 4733 digit: a start packet, duration updates every frame and three end
    /// packets, sent instead of audio frames while it plays. Digits queue one after another
    /// with a short gap. The duration is at least 40 ms.
    pub fn send_dtmf(&mut self, digit: char, duration: Duration) -> Result<(), RtpError> {
        let event = digit_to_event(digit).ok_or(RtpError::InvalidDigit(digit))?;
        self.outbound.queue_dtmf(event, duration)
    }

    /// Whether a digit is being sent or queued.
    pub fn is_sending_dtmf(&self) -> bool {
        self.outbound.dtmf_busy()
    }

    /// The next event for the call controller.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// The RTCP report if one is due at `now`: an SR once we have sent media (else an RR), with a
    /// report block about the remote source, and an SDES CNAME. `wallclock_ntp` is `now` as an
    /// NTP timestamp. `None` if not due, or no RTCP address is known (the report still counts).
    pub fn poll_rtcp(&mut self, now: Instant, wallclock_ntp: u64) -> Option<Transmit> {
        if now < self.next_rtcp {
            return None;
        }
        self.next_rtcp = now + self.config.rtcp_interval.max(Duration::from_millis(100));
        self.build_rtcp(now, wallclock_ntp, false)
    }

    /// A final compound report ending with an RTCP BYE, for when the call ends.
    pub fn close(&mut self, now: Instant, wallclock_ntp: u64) -> Option<Transmit> {
        self.build_rtcp(now, wallclock_ntp, true)
    }

    fn build_rtcp(&mut self, now: Instant, wallclock_ntp: u64, bye: bool) -> Option<Transmit> {
        let block = self.reception_report(now);
        let blocks = block.as_slice();
        let mut out = Vec::with_capacity(128);
        let ssrc = self.outbound.ssrc();
        if self.outbound.packets_sent() > 0 {
            let info = SenderInfo {
                ntp_timestamp: wallclock_ntp,
                rtp_timestamp: self.outbound.timestamp_at(now),
                packet_count: self.outbound.packets_sent() as u32,
                octet_count: self.outbound.octets_sent() as u32,
            };
            rtcp::write_sender_report(&mut out, ssrc, &info, blocks);
            let slot = self.sent_report_count % SENT_REPORT_HISTORY;
            self.sent_reports[slot] = Some((rtcp::ntp_middle(wallclock_ntp), now));
            self.sent_report_count += 1;
        } else {
            rtcp::write_receiver_report(&mut out, ssrc, blocks);
        }
        rtcp::write_source_description(&mut out, ssrc, self.cname.as_bytes());
        if bye {
            rtcp::write_bye(&mut out, &[ssrc], None);
        }
        Some(Transmit {
            destination: self.rtcp_destination()?,
            payload: out,
        })
    }

    fn reception_report(&mut self, now: Instant) -> Option<ReportBlock> {
        let ssrc = self.latch.ssrc()?;
        if !self.reception.started() {
            return None;
        }
        let (last_sender_report, delay) =
            self.remote_sender_report.map_or((0, 0), |(middle, at)| {
                let held = now.saturating_duration_since(at);
                (
                    middle,
                    (held.as_nanos() * 65536 / 1_000_000_000).min(u128::from(u32::MAX)) as u32,
                )
            });
        Some(ReportBlock {
            ssrc,
            fraction_lost: self.reception.take_fraction_lost(),
            cumulative_lost: self.reception.cumulative_lost_field(),
            extended_highest_sequence: self.reception.extended_max(),
            jitter: self.reception.jitter_units(),
            last_sender_report,
            delay_since_last_sender_report: delay,
        })
    }

    fn rtcp_destination(&self) -> Option<SocketAddr> {
        self.rtcp_remote.or(self.config.remote_rtcp).or_else(|| {
            let mut rtp = self.latch.remote()?;
            rtp.set_port(rtp.port().checked_add(1)?);
            Some(rtp)
        })
    }

    /// When the next RTCP report is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        Some(self.next_rtcp)
    }

    /// Counters and quality figures so far.
    pub fn stats(&self) -> MediaStats {
        let buffer = self.jitter_buffer.stats();
        let clock_rate = f64::from(self.config.clock_rate.max(1));
        let remote = self.remote_report;
        MediaStats {
            packets_sent: self.outbound.packets_sent(),
            octets_sent: self.outbound.octets_sent(),
            packets_received: self.packets_received,
            octets_received: self.octets_received,
            packets_ignored: self.packets_ignored,
            cumulative_lost: self.reception.cumulative_lost(),
            fraction_lost: f64::from(self.reception.fraction_lost()) / 256.0,
            jitter_ms: millis(self.reception.jitter()),
            rtt_ms: self.rtt.map(millis),
            remote_fraction_lost: remote.map(|block| f64::from(block.fraction_lost) / 256.0),
            remote_cumulative_lost: remote.map(|block| i64::from(block.cumulative_lost)),
            remote_jitter_ms: remote.map(|block| f64::from(block.jitter) * 1000.0 / clock_rate),
            late_packets: buffer.late,
            discarded_packets: buffer.discarded + buffer.duplicates,
            lost_frames: buffer.lost,
            concealed_frames: buffer.concealed,
            jitter_buffer_delay_ms: millis(self.jitter_buffer.current_delay()),
            jitter_buffer_target_ms: millis(self.jitter_buffer.target_delay()),
            remote: self.latch.remote(),
            latched: self.latch.is_latched(),
        }
    }

    /// The remote RTP address in use (from SDP until latched).
    pub fn remote(&self) -> Option<SocketAddr> {
        self.latch.remote()
    }

    /// The session's settings.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn describe(error: &rtp_rs::RtpReaderError) -> &'static str {
    match error {
        rtp_rs::RtpReaderError::BufferTooShort(_) => "shorter than the 12-byte header",
        rtp_rs::RtpReaderError::UnsupportedVersion(_) => "version is not 2",
        rtp_rs::RtpReaderError::HeadersTruncated { .. } => "headers truncated",
        rtp_rs::RtpReaderError::PaddingLengthInvalid(_) => "invalid padding length",
    }
}
