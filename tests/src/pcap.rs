//! Pcap files of RTP for SIPp's `play_pcap_audio`: G.711 µ-law audio from a WAV, silence and
//! RFC 4733 DTMF events, paced at 20 ms.
//!
//! SIPp replays the UDP payloads with the capture's timing to the media address in the SDP it
//! received, rewriting addresses and ports; the RTP headers written here go out unchanged.

use std::path::Path;
use std::time::Duration;

use crate::error::{HarnessError, Result};
use crate::wav::Wav;

/// Samples per 20 ms packet at 8 kHz.
const FRAME: usize = 160;
/// µ-law of digital silence.
const ULAW_SILENCE: u8 = 0xFF;

/// Builds an RTP stream (one SSRC, PCMU payload type 0, events on a chosen payload type) and
/// writes it as a pcap (Ethernet/IPv4/UDP from 127.0.0.1:6000 to 127.0.0.1:6002).
#[derive(Debug, Clone)]
pub struct RtpPcap {
    event_payload_type: u8,
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    elapsed: Duration,
    marker_next: bool,
    packets: Vec<(Duration, Vec<u8>)>,
}

impl Default for RtpPcap {
    fn default() -> Self {
        RtpPcap::new()
    }
}

impl RtpPcap {
    /// An empty stream; telephone-events use payload type 101 (see
    /// [`RtpPcap::event_payload_type`]).
    pub fn new() -> RtpPcap {
        RtpPcap {
            event_payload_type: 101,
            ssrc: 0x766f_7867, // "voxg"
            sequence: 1000,
            timestamp: 8000,
            elapsed: Duration::ZERO,
            marker_next: true,
            packets: Vec::new(),
        }
    }

    /// Payload type for RFC 4733 events (must match the SDP the peer negotiated).
    pub fn event_payload_type(mut self, payload_type: u8) -> RtpPcap {
        self.event_payload_type = payload_type & 0x7F;
        self
    }

    /// Appends the first channel of an 8 kHz WAV as PCMU packets (the last one padded with
    /// silence).
    pub fn audio(mut self, wav: &Wav) -> Result<RtpPcap> {
        if wav.sample_rate != 8000 {
            return Err(HarnessError::Invalid(format!(
                "RTP pcap audio must be 8 kHz, got {} Hz",
                wav.sample_rate
            )));
        }
        for frame in wav.channel(0).chunks(FRAME) {
            let mut payload: Vec<u8> = frame.iter().map(|&s| ulaw_from_f32(s)).collect();
            payload.resize(FRAME, ULAW_SILENCE);
            self.push_audio(payload);
        }
        Ok(self)
    }

    /// Appends `duration` (rounded up to 20 ms) of µ-law silence.
    pub fn silence(mut self, duration: Duration) -> RtpPcap {
        for _ in 0..frames_in(duration) {
            self.push_audio(vec![ULAW_SILENCE; FRAME]);
        }
        self
    }

    /// Appends one RFC 4733 event lasting `duration` (at least 20 ms): a packet every 20 ms
    /// with growing duration, marker on the first, then three end packets, each with its own
    /// sequence number. The audio clock advances by the event's length.
    pub fn dtmf(mut self, digit: char, duration: Duration) -> Result<RtpPcap> {
        let event = dtmf_event_code(digit)
            .ok_or_else(|| HarnessError::Invalid(format!("not a DTMF digit: {digit:?}")))?;
        let frames = frames_in(duration).max(1);
        let start = self.timestamp;
        for i in 1..=frames + 2 {
            let end = i >= frames;
            let length = (i.min(frames) * FRAME) as u16;
            let mut payload = vec![event, if end { 0x80 } else { 0 } | 10];
            payload.extend_from_slice(&length.to_be_bytes());
            let marker = i == 1;
            let packet = self.rtp(self.event_payload_type, marker, start, &payload);
            self.packets.push((self.elapsed, packet));
            if i <= frames {
                self.elapsed += Duration::from_millis(20);
            }
        }
        self.timestamp = start.wrapping_add((frames * FRAME) as u32);
        self.marker_next = true;
        Ok(self)
    }

    /// Number of packets so far.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// Whether no packet was added.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// Playing time so far.
    pub fn duration(&self) -> Duration {
        self.elapsed
    }

    /// Writes the pcap file.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let mut file = Vec::with_capacity(24 + self.packets.len() * 230);
        // Global header: magic, version 2.4, GMT offset, accuracy, snaplen, Ethernet.
        file.extend_from_slice(&0xa1b2_c3d4_u32.to_le_bytes());
        file.extend_from_slice(&2_u16.to_le_bytes());
        file.extend_from_slice(&4_u16.to_le_bytes());
        file.extend_from_slice(&[0; 8]);
        file.extend_from_slice(&65535_u32.to_le_bytes());
        file.extend_from_slice(&1_u32.to_le_bytes());
        for (at, rtp) in &self.packets {
            let frame = ethernet_ipv4_udp(rtp);
            file.extend_from_slice(&(at.as_secs() as u32).to_le_bytes());
            file.extend_from_slice(&at.subsec_micros().to_le_bytes());
            file.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            file.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            file.extend_from_slice(&frame);
        }
        std::fs::write(path, file)
            .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))
    }

    fn push_audio(&mut self, payload: Vec<u8>) {
        let marker = std::mem::replace(&mut self.marker_next, false);
        let packet = self.rtp(0, marker, self.timestamp, &payload);
        self.packets.push((self.elapsed, packet));
        self.timestamp = self.timestamp.wrapping_add(FRAME as u32);
        self.elapsed += Duration::from_millis(20);
    }

    fn rtp(&mut self, payload_type: u8, marker: bool, timestamp: u32, payload: &[u8]) -> Vec<u8> {
        let mut packet = Vec::with_capacity(12 + payload.len());
        packet.push(0x80);
        packet.push(payload_type | if marker { 0x80 } else { 0 });
        packet.extend_from_slice(&self.sequence.to_be_bytes());
        packet.extend_from_slice(&timestamp.to_be_bytes());
        packet.extend_from_slice(&self.ssrc.to_be_bytes());
        packet.extend_from_slice(payload);
        self.sequence = self.sequence.wrapping_add(1);
        packet
    }
}

fn frames_in(duration: Duration) -> usize {
    duration.as_millis().div_ceil(20) as usize
}

/// RFC 4733 event code of a DTMF key.
fn dtmf_event_code(digit: char) -> Option<u8> {
    match digit {
        '0'..='9' => Some(digit as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(digit as u8 - b'A' + 12),
        _ => None,
    }
}

/// G.711 µ-law encoding of a sample in -1.0..=1.0 (an independent reference, not the engine's).
pub fn ulaw_from_f32(sample: f32) -> u8 {
    ulaw_from_linear((sample.clamp(-1.0, 1.0) * 32767.0).round() as i16)
}

/// G.711 µ-law encoding of a 16-bit linear sample.
pub fn ulaw_from_linear(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32635;
    let value = i32::from(sample);
    let sign = if value < 0 { 0x80 } else { 0 };
    let magnitude = value.abs().min(CLIP) + BIAS;
    let exponent = (31 - magnitude.leading_zeros()).saturating_sub(7).min(7);
    let mantissa = (magnitude >> (exponent + 3)) & 0x0F;
    !(sign | (exponent as i32) << 4 | mantissa) as u8
}

fn ethernet_ipv4_udp(rtp: &[u8]) -> Vec<u8> {
    let udp_len = 8 + rtp.len() as u16;
    let ip_len = 20 + udp_len;
    let mut frame = Vec::with_capacity(14 + usize::from(ip_len));
    frame.extend_from_slice(&[0; 12]);
    frame.extend_from_slice(&0x0800_u16.to_be_bytes());
    let mut ip = [0_u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&ip_len.to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&[127, 0, 0, 1]);
    ip[16..20].copy_from_slice(&[127, 0, 0, 1]);
    let checksum = ipv4_checksum(&ip);
    ip[10..12].copy_from_slice(&checksum.to_be_bytes());
    frame.extend_from_slice(&ip);
    frame.extend_from_slice(&6000_u16.to_be_bytes());
    frame.extend_from_slice(&6002_u16.to_be_bytes());
    frame.extend_from_slice(&udp_len.to_be_bytes());
    frame.extend_from_slice(&[0, 0]);
    frame.extend_from_slice(rtp);
    frame
}

fn ipv4_checksum(header: &[u8; 20]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], pair[1]])))
        .sum();
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits a pcap written by `RtpPcap::write` into (timestamp, RTP packet).
    fn read_back(bytes: &[u8]) -> Vec<(Duration, Vec<u8>)> {
        assert_eq!(&bytes[..4], &0xa1b2_c3d4_u32.to_le_bytes());
        let mut packets = Vec::new();
        let mut at = 24;
        while at < bytes.len() {
            let word = |o: usize| u32::from_le_bytes(bytes[at + o..at + o + 4].try_into().unwrap());
            let (secs, micros, len) = (word(0), word(4), word(8) as usize);
            let frame = &bytes[at + 16..at + 16 + len];
            assert_eq!(ipv4_checksum(frame[14..34].try_into().unwrap()), 0);
            let when =
                Duration::from_secs(u64::from(secs)) + Duration::from_micros(u64::from(micros));
            packets.push((when, frame[42..].to_vec()));
            at += 16 + len;
        }
        packets
    }

    #[test]
    fn ulaw_matches_g711_reference_points() {
        assert_eq!(ulaw_from_linear(0), 0xFF);
        assert_eq!(ulaw_from_linear(-1), 0x7F);
        assert_eq!(ulaw_from_linear(i16::MAX), 0x80);
        assert_eq!(ulaw_from_linear(i16::MIN), 0x00);
        assert_eq!(ulaw_from_linear(1000), 0xCE);
        assert_eq!(ulaw_from_linear(-1000), 0x4E);
    }

    #[test]
    fn audio_silence_and_dtmf_become_paced_rtp() {
        let tone = Wav {
            sample_rate: 8000,
            channels: vec![vec![0.5; 400]],
        };
        let pcap = RtpPcap::new()
            .audio(&tone)
            .unwrap()
            .silence(Duration::from_millis(40))
            .dtmf('#', Duration::from_millis(100))
            .unwrap();
        // 3 audio (400 samples, last padded) + 2 silence + 5 event + 2 extra end packets.
        assert_eq!(pcap.len(), 12);
        assert_eq!(pcap.duration(), Duration::from_millis(200));

        let dir = crate::tempdir::TempDir::new("pcap").unwrap();
        pcap.write(dir.join("x.pcap")).unwrap();
        let packets = read_back(&std::fs::read(dir.join("x.pcap")).unwrap());
        assert_eq!(packets.len(), 12);
        let (first_at, first) = &packets[0];
        assert_eq!(*first_at, Duration::ZERO);
        assert_eq!(first[1], 0x80, "marker + PCMU");
        assert_eq!(first.len(), 12 + 160);
        assert_eq!(packets[2].1[12 + 100], ULAW_SILENCE, "padding");
        let sequences: Vec<u16> = packets
            .iter()
            .map(|(_, p)| u16::from_be_bytes([p[2], p[3]]))
            .collect();
        assert!(sequences.windows(2).all(|w| w[1] == w[0].wrapping_add(1)));

        let events = &packets[5..];
        assert_eq!(
            events[0].1[1],
            0x80 | 101,
            "marker on the first event packet"
        );
        assert_eq!(events[0].0, Duration::from_millis(100));
        let event_ts = u32::from_be_bytes(events[0].1[4..8].try_into().unwrap());
        for (i, (_, packet)) in events.iter().enumerate() {
            assert_eq!(
                u32::from_be_bytes(packet[4..8].try_into().unwrap()),
                event_ts
            );
            assert_eq!(packet[12], 11, "event code of #");
            let end = packet[13] & 0x80 != 0;
            assert_eq!(end, i >= 4, "end bit on packet {i}");
            let length = u16::from_be_bytes([packet[14], packet[15]]);
            assert_eq!(length, 160 * (i.min(4) as u16 + 1));
        }
    }

    #[test]
    fn rejects_wrong_rate_and_unknown_digits() {
        let wav = Wav {
            sample_rate: 16000,
            channels: vec![vec![0.0; 10]],
        };
        assert!(RtpPcap::new().audio(&wav).is_err());
        assert!(
            RtpPcap::new()
                .dtmf('x', Duration::from_millis(100))
                .is_err()
        );
    }
}
