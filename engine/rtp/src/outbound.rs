//! The sending half of a session: sequence numbers, timestamps, marker bits and DTMF packets.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtp_rs::{RtpPacketBuilder, Seq};

use crate::dtmf::DtmfSender;
use crate::{RtpError, Transmit};

/// Numbering and counters of the stream we send.
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    ssrc: u32,
    payload_type: u8,
    telephone_event_payload_type: Option<u8>,
    samples_per_frame: u32,
    clock_rate: u32,
    next_sequence: u16,
    next_timestamp: u32,
    /// The next audio packet starts a talkspurt (start, after silence, after DTMF).
    marker_pending: bool,
    dtmf: Option<DtmfSender>,
    packets_sent: u64,
    octets_sent: u64,
    /// `(when, timestamp)` of the latest frame, to map an instant onto the RTP clock.
    clock_anchor: Option<(Instant, u32)>,
    scratch: Vec<u8>,
}

/// The fields of [`crate::SessionConfig`] the sender needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutboundConfig {
    pub(crate) ssrc: u32,
    pub(crate) initial_sequence: u16,
    pub(crate) initial_timestamp: u32,
    pub(crate) payload_type: u8,
    pub(crate) clock_rate: u32,
    pub(crate) samples_per_frame: u32,
    pub(crate) telephone_event: Option<(u8, u32)>,
    pub(crate) frame: Duration,
}

impl Outbound {
    pub(crate) fn new(config: OutboundConfig) -> Self {
        let dtmf = config.telephone_event.map(|(_, event_rate)| {
            let units = u64::from(config.samples_per_frame) * u64::from(event_rate)
                / u64::from(config.clock_rate.max(1));
            DtmfSender::new(config.frame, u32::try_from(units).unwrap_or(u32::MAX))
        });
        Outbound {
            ssrc: config.ssrc,
            payload_type: config.payload_type,
            telephone_event_payload_type: config
                .telephone_event
                .map(|(payload_type, _)| payload_type),
            samples_per_frame: config.samples_per_frame,
            clock_rate: config.clock_rate.max(1),
            next_sequence: config.initial_sequence,
            next_timestamp: config.initial_timestamp,
            marker_pending: true,
            dtmf,
            packets_sent: 0,
            octets_sent: 0,
            clock_anchor: None,
            scratch: Vec::new(),
        }
    }

    /// Queues a digit (`event` code) for sending.
    pub(crate) fn queue_dtmf(&mut self, event: u8, duration: Duration) -> Result<(), RtpError> {
        let dtmf = self
            .dtmf
            .as_mut()
            .ok_or(RtpError::TelephoneEventNotNegotiated)?;
        dtmf.queue(event, duration);
        Ok(())
    }

    /// Whether a digit is being sent or waits to be.
    pub(crate) fn dtmf_busy(&self) -> bool {
        self.dtmf.as_ref().is_some_and(DtmfSender::is_busy)
    }

    /// Produces this frame's packet: a DTMF packet while a digit plays, else the audio `payload`
    /// (`None` for a frame of silence, which sends nothing). The timestamp advances one frame
    /// either way; nothing is numbered or counted when there is no `destination`.
    pub(crate) fn frame(
        &mut self,
        now: Instant,
        payload: Option<&[u8]>,
        destination: Option<SocketAddr>,
    ) -> Option<Transmit> {
        let frame_timestamp = self.next_timestamp;
        self.next_timestamp = frame_timestamp.wrapping_add(self.samples_per_frame);
        self.clock_anchor = Some((now, frame_timestamp));

        let dtmf_packet = self
            .dtmf
            .as_mut()
            .and_then(|dtmf| dtmf.next_packet(frame_timestamp));
        let (payload_type, timestamp, marker) =
            match (dtmf_packet, self.telephone_event_payload_type) {
                (Some(packet), Some(payload_type)) => {
                    self.scratch.clear();
                    packet.payload.write(&mut self.scratch);
                    self.marker_pending = true;
                    (payload_type, packet.timestamp, packet.marker)
                }
                _ => {
                    let Some(payload) = payload else {
                        self.marker_pending = true;
                        return None;
                    };
                    self.scratch.clear();
                    self.scratch.extend_from_slice(payload);
                    (self.payload_type, frame_timestamp, self.marker_pending)
                }
            };
        let destination = destination?;
        let packet = RtpPacketBuilder::new()
            .payload_type(payload_type)
            .ssrc(self.ssrc)
            .sequence(Seq::from(self.next_sequence))
            .timestamp(timestamp)
            .marked(marker)
            .payload(&self.scratch)
            .build()
            .ok()?;
        if payload_type == self.payload_type {
            // The talkspurt's first packet went out; later ones are unmarked.
            self.marker_pending = false;
        }
        self.next_sequence = self.next_sequence.wrapping_add(1);
        self.packets_sent += 1;
        self.octets_sent += self.scratch.len() as u64;
        Some(Transmit {
            destination,
            payload: packet,
        })
    }

    /// The RTP timestamp of `now` on our clock (for SR), extrapolated from the latest frame.
    pub(crate) fn timestamp_at(&self, now: Instant) -> u32 {
        let Some((at, timestamp)) = self.clock_anchor else {
            return self.next_timestamp;
        };
        let units = if now >= at {
            now.duration_since(at).as_nanos() * u128::from(self.clock_rate) / 1_000_000_000
        } else {
            0
        };
        timestamp.wrapping_add(units as u32)
    }

    pub(crate) fn ssrc(&self) -> u32 {
        self.ssrc
    }

    pub(crate) fn packets_sent(&self) -> u64 {
        self.packets_sent
    }

    pub(crate) fn octets_sent(&self) -> u64 {
        self.octets_sent
    }
}
