//! RTCP packets (RFC 3550 section 6): building SR, RR, SDES CNAME and BYE, and parsing compound
//! packets without allocating.

use crate::RtpError;

/// Packet type of a sender report.
pub const SENDER_REPORT: u8 = 200;
/// Packet type of a receiver report.
pub const RECEIVER_REPORT: u8 = 201;
/// Packet type of a source description.
pub const SOURCE_DESCRIPTION: u8 = 202;
/// Packet type of a goodbye.
pub const BYE: u8 = 203;

const HEADER_LEN: usize = 4;
const SENDER_INFO_LEN: usize = 20;
const REPORT_BLOCK_LEN: usize = 24;
/// Largest number of report blocks (the 5-bit count field).
const MAX_BLOCKS: usize = 31;
const SDES_CNAME: u8 = 1;

/// The sender-information part of an SR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// Wall-clock time of the report in NTP format (32.32 fixed point seconds since 1900).
    pub ntp_timestamp: u64,
    /// The same instant on the RTP clock of the sender.
    pub rtp_timestamp: u32,
    /// RTP packets sent since the start.
    pub packet_count: u32,
    /// RTP payload octets sent since the start.
    pub octet_count: u32,
}

/// One reception report block (about one source we receive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Fraction lost since the previous report, 8-bit fixed point.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub extended_highest_sequence: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR received from the source (0 if none).
    pub last_sender_report: u32,
    /// Delay since that SR was received, in units of 1/65536 s.
    pub delay_since_last_sender_report: u32,
}

/// The middle 32 bits of an NTP timestamp, as LSR carries it.
pub fn ntp_middle(ntp_timestamp: u64) -> u32 {
    (ntp_timestamp >> 16) as u32
}

fn write_header(out: &mut Vec<u8>, count: usize, packet_type: u8, body_len: usize) {
    let words = (HEADER_LEN + body_len) / 4 - 1;
    out.push(0x80 | (count as u8 & 0x1F));
    out.push(packet_type);
    out.extend_from_slice(&(words as u16).to_be_bytes());
}

fn write_blocks(out: &mut Vec<u8>, blocks: &[ReportBlock]) {
    for block in blocks {
        out.extend_from_slice(&block.ssrc.to_be_bytes());
        let lost = (block.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF) as u32) & 0xFF_FFFF;
        out.extend_from_slice(&((u32::from(block.fraction_lost) << 24) | lost).to_be_bytes());
        out.extend_from_slice(&block.extended_highest_sequence.to_be_bytes());
        out.extend_from_slice(&block.jitter.to_be_bytes());
        out.extend_from_slice(&block.last_sender_report.to_be_bytes());
        out.extend_from_slice(&block.delay_since_last_sender_report.to_be_bytes());
    }
}

/// Appends a sender report. At most 31 blocks are written (the rest are ignored).
pub fn write_sender_report(
    out: &mut Vec<u8>,
    ssrc: u32,
    info: &SenderInfo,
    blocks: &[ReportBlock],
) {
    let blocks = &blocks[..blocks.len().min(MAX_BLOCKS)];
    write_header(
        out,
        blocks.len(),
        SENDER_REPORT,
        4 + SENDER_INFO_LEN + blocks.len() * 24,
    );
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(&info.ntp_timestamp.to_be_bytes());
    out.extend_from_slice(&info.rtp_timestamp.to_be_bytes());
    out.extend_from_slice(&info.packet_count.to_be_bytes());
    out.extend_from_slice(&info.octet_count.to_be_bytes());
    write_blocks(out, blocks);
}

/// Appends a receiver report. At most 31 blocks are written (the rest are ignored).
pub fn write_receiver_report(out: &mut Vec<u8>, ssrc: u32, blocks: &[ReportBlock]) {
    let blocks = &blocks[..blocks.len().min(MAX_BLOCKS)];
    write_header(
        out,
        blocks.len(),
        RECEIVER_REPORT,
        4 + blocks.len() * REPORT_BLOCK_LEN,
    );
    out.extend_from_slice(&ssrc.to_be_bytes());
    write_blocks(out, blocks);
}

/// Appends an SDES packet with one chunk holding a CNAME item (truncated to 255 bytes).
pub fn write_source_description(out: &mut Vec<u8>, ssrc: u32, cname: &[u8]) {
    let cname = &cname[..cname.len().min(255)];
    // SSRC, item type, item length, text, then at least one null byte up to a word boundary.
    let chunk_len = (4 + 2 + cname.len() + 1).div_ceil(4) * 4;
    write_header(out, 1, SOURCE_DESCRIPTION, chunk_len);
    let chunk_start = out.len();
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.push(SDES_CNAME);
    out.push(cname.len() as u8);
    out.extend_from_slice(cname);
    out.resize(chunk_start + chunk_len, 0);
}

/// Appends a BYE for `sources` (at most 31) with an optional reason (truncated to 255 bytes).
pub fn write_bye(out: &mut Vec<u8>, sources: &[u32], reason: Option<&str>) {
    let sources = &sources[..sources.len().min(MAX_BLOCKS)];
    let reason = reason.map(|reason| &reason.as_bytes()[..reason.len().min(255)]);
    let reason_len = reason.map_or(0, |reason| (1 + reason.len()).div_ceil(4) * 4);
    write_header(out, sources.len(), BYE, sources.len() * 4 + reason_len);
    for source in sources {
        out.extend_from_slice(&source.to_be_bytes());
    }
    if let Some(reason) = reason {
        let start = out.len();
        out.push(reason.len() as u8);
        out.extend_from_slice(reason);
        out.resize(start + reason_len, 0);
    }
}

/// One packet of a compound RTCP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpPacket<'a> {
    /// SR (packet type 200).
    SenderReport {
        /// The sender.
        ssrc: u32,
        /// What and when it sent.
        info: SenderInfo,
        /// Its reception reports.
        blocks: ReportBlocks<'a>,
    },
    /// RR (packet type 201).
    ReceiverReport {
        /// The reporter.
        ssrc: u32,
        /// Its reception reports.
        blocks: ReportBlocks<'a>,
    },
    /// BYE (packet type 203).
    Bye {
        /// The sources leaving.
        sources: SsrcList<'a>,
    },
    /// Any other packet type (SDES, APP, feedback, ...), left unparsed.
    Other {
        /// Its packet type.
        packet_type: u8,
        /// The 5-bit count field.
        count: u8,
        /// The body after the 4-byte header, without padding.
        body: &'a [u8],
    },
}

/// The report blocks of an SR or RR, decoded lazily.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportBlocks<'a>(&'a [u8]);

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;

    fn next(&mut self) -> Option<ReportBlock> {
        let (block, rest) = self.0.split_first_chunk::<REPORT_BLOCK_LEN>()?;
        self.0 = rest;
        let word = |index: usize| {
            let start = index * 4;
            u32::from_be_bytes([
                block[start],
                block[start + 1],
                block[start + 2],
                block[start + 3],
            ])
        };
        let loss = word(1);
        // Sign-extend the 24-bit cumulative loss.
        let cumulative_lost = ((loss << 8) as i32) >> 8;
        Some(ReportBlock {
            ssrc: word(0),
            fraction_lost: (loss >> 24) as u8,
            cumulative_lost,
            extended_highest_sequence: word(2),
            jitter: word(3),
            last_sender_report: word(4),
            delay_since_last_sender_report: word(5),
        })
    }
}

/// The SSRC list of a BYE, decoded lazily.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsrcList<'a>(&'a [u8]);

impl Iterator for SsrcList<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let (ssrc, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*ssrc))
    }
}

/// Iterates over the packets of a compound RTCP packet. After the first error it stops.
pub fn parse_compound(bytes: &[u8]) -> CompoundPackets<'_> {
    CompoundPackets {
        rest: bytes,
        failed: false,
    }
}

/// Iterator returned by [`parse_compound`].
#[derive(Debug, Clone)]
pub struct CompoundPackets<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> Iterator for CompoundPackets<'a> {
    type Item = Result<RtcpPacket<'a>, RtpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() || self.failed {
            return None;
        }
        let result = self.split_packet();
        self.failed = result.is_err();
        Some(result)
    }
}

impl<'a> CompoundPackets<'a> {
    fn split_packet(&mut self) -> Result<RtcpPacket<'a>, RtpError> {
        let &[first, packet_type, length_high, length_low, ..] = self.rest else {
            return Err(RtpError::MalformedRtcp("truncated header"));
        };
        if first >> 6 != 2 {
            return Err(RtpError::MalformedRtcp("version is not 2"));
        }
        let length = (usize::from(u16::from_be_bytes([length_high, length_low])) + 1) * 4;
        let Some((packet, rest)) = self.rest.split_at_checked(length) else {
            return Err(RtpError::MalformedRtcp("length beyond datagram"));
        };
        self.rest = rest;
        let mut body = &packet[HEADER_LEN..];
        if first & 0x20 != 0 {
            let padding = usize::from(*body.last().unwrap_or(&0));
            if padding == 0 || padding > body.len() {
                return Err(RtpError::MalformedRtcp("bad padding"));
            }
            body = &body[..body.len() - padding];
        }
        let count = first & 0x1F;
        parse_packet(packet_type, count, body)
    }
}

fn parse_packet(packet_type: u8, count: u8, body: &[u8]) -> Result<RtcpPacket<'_>, RtpError> {
    let blocks_len = usize::from(count) * REPORT_BLOCK_LEN;
    match packet_type {
        SENDER_REPORT => {
            let (head, rest) = body
                .split_first_chunk::<{ 4 + SENDER_INFO_LEN }>()
                .ok_or(RtpError::MalformedRtcp("sender report too short"))?;
            let blocks = rest
                .get(..blocks_len)
                .ok_or(RtpError::MalformedRtcp("sender report blocks truncated"))?;
            let word = |start: usize| {
                u32::from_be_bytes([
                    head[start],
                    head[start + 1],
                    head[start + 2],
                    head[start + 3],
                ])
            };
            Ok(RtcpPacket::SenderReport {
                ssrc: word(0),
                info: SenderInfo {
                    ntp_timestamp: (u64::from(word(4)) << 32) | u64::from(word(8)),
                    rtp_timestamp: word(12),
                    packet_count: word(16),
                    octet_count: word(20),
                },
                blocks: ReportBlocks(blocks),
            })
        }
        RECEIVER_REPORT => {
            let (ssrc, rest) = body
                .split_first_chunk::<4>()
                .ok_or(RtpError::MalformedRtcp("receiver report too short"))?;
            let blocks = rest
                .get(..blocks_len)
                .ok_or(RtpError::MalformedRtcp("receiver report blocks truncated"))?;
            Ok(RtcpPacket::ReceiverReport {
                ssrc: u32::from_be_bytes(*ssrc),
                blocks: ReportBlocks(blocks),
            })
        }
        BYE => {
            let sources = body
                .get(..usize::from(count) * 4)
                .ok_or(RtpError::MalformedRtcp("bye sources truncated"))?;
            Ok(RtcpPacket::Bye {
                sources: SsrcList(sources),
            })
        }
        _ => Ok(RtcpPacket::Other {
            packet_type,
            count,
            body,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(ssrc: u32, cumulative_lost: i32) -> ReportBlock {
        ReportBlock {
            ssrc,
            fraction_lost: 25,
            cumulative_lost,
            extended_highest_sequence: 0x0001_0005,
            jitter: 80,
            last_sender_report: 0xDEAD_BEEF,
            delay_since_last_sender_report: 65536 / 2,
        }
    }

    #[test]
    fn sender_report_round_trip() {
        let info = SenderInfo {
            ntp_timestamp: 0xE8A1_2345_8000_0000,
            rtp_timestamp: 123_456,
            packet_count: 250,
            octet_count: 40_000,
        };
        let blocks = [block(7, 12), block(8, -3)];
        let mut out = Vec::new();
        write_sender_report(&mut out, 0x1234, &info, &blocks);
        assert_eq!(out.len(), 4 + 24 + 2 * 24);
        assert_eq!(&out[..4], &[0x82, 200, 0, 18]);
        let packets: Vec<_> = parse_compound(&out).collect();
        let [
            Ok(RtcpPacket::SenderReport {
                ssrc,
                info: parsed,
                blocks: parsed_blocks,
            }),
        ] = &packets[..]
        else {
            panic!("{packets:?}");
        };
        assert_eq!(*ssrc, 0x1234);
        assert_eq!(*parsed, info);
        assert_eq!(
            parsed_blocks.clone().collect::<Vec<_>>(),
            blocks,
            "negative loss sign-extends"
        );
    }

    #[test]
    fn compound_rr_sdes_bye() {
        let mut out = Vec::new();
        write_receiver_report(&mut out, 0x99, &[block(1, 0x7F_FFFF)]);
        write_source_description(&mut out, 0x99, b"voxgate-00000099");
        write_bye(&mut out, &[0x99], Some("hangup"));
        assert_eq!(out.len() % 4, 0);
        let packets: Vec<_> = parse_compound(&out).collect::<Result<_, _>>().unwrap();
        assert_eq!(packets.len(), 3);
        assert!(
            matches!(&packets[0], RtcpPacket::ReceiverReport { ssrc: 0x99, blocks }
            if blocks.clone().next().unwrap().cumulative_lost == 0x7F_FFFF)
        );
        let RtcpPacket::Other {
            packet_type: SOURCE_DESCRIPTION,
            count: 1,
            body,
        } = &packets[1]
        else {
            panic!("{:?}", packets[1]);
        };
        assert_eq!(&body[..6], &[0, 0, 0, 0x99, SDES_CNAME, 16]);
        assert_eq!(&body[6..22], b"voxgate-00000099");
        assert!(body[22..].iter().all(|&byte| byte == 0) && !body[22..].is_empty());
        let RtcpPacket::Bye { sources } = &packets[2] else {
            panic!()
        };
        assert_eq!(sources.clone().collect::<Vec<_>>(), [0x99]);
    }

    #[test]
    fn sdes_chunks_are_word_aligned_and_null_terminated() {
        for len in 0..12 {
            let cname = vec![b'x'; len];
            let mut out = Vec::new();
            write_source_description(&mut out, 1, &cname);
            assert_eq!(out.len() % 4, 0, "len {len}");
            let words = usize::from(u16::from_be_bytes([out[2], out[3]]));
            assert_eq!((words + 1) * 4, out.len());
            assert_eq!(out[out.len() - 1], 0, "terminated");
        }
    }

    #[test]
    fn cumulative_loss_is_clamped_to_24_bits() {
        let mut out = Vec::new();
        write_receiver_report(&mut out, 1, &[block(2, i32::MAX), block(3, i32::MIN)]);
        let Some(Ok(RtcpPacket::ReceiverReport { blocks, .. })) = parse_compound(&out).next()
        else {
            panic!()
        };
        let lost: Vec<i32> = blocks.map(|block| block.cumulative_lost).collect();
        assert_eq!(lost, [0x7F_FFFF, -0x80_0000]);
    }

    #[test]
    fn malformed_packets_are_errors() {
        let mut good = Vec::new();
        write_receiver_report(&mut good, 1, &[block(2, 0)]);
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("truncated header", vec![0x80, 201]),
            ("version", {
                let mut bad = good.clone();
                bad[0] = 0x41;
                bad
            }),
            ("length beyond datagram", good[..good.len() - 4].to_vec()),
            ("blocks truncated", {
                let mut bad = good.clone();
                bad[0] = 0x82;
                bad
            }),
            ("zero padding", {
                let mut bad = good.clone();
                bad[0] |= 0x20;
                *bad.last_mut().unwrap() = 0;
                bad
            }),
            ("sender report too short", vec![0x80, 200, 0, 1, 0, 0, 0, 1]),
            ("bye sources truncated", vec![0x82, 203, 0, 1, 0, 0, 0, 1]),
        ];
        for (name, bytes) in cases {
            let results: Vec<_> = parse_compound(&bytes).collect();
            assert!(
                matches!(results.last(), Some(Err(RtpError::MalformedRtcp(_)))),
                "{name}"
            );
            assert_eq!(
                results.iter().filter(|result| result.is_err()).count(),
                1,
                "{name}"
            );
        }
    }

    #[test]
    fn padding_is_stripped() {
        let mut out = Vec::new();
        write_bye(&mut out, &[5], None);
        out[0] |= 0x20;
        out.extend_from_slice(&[0, 0, 0, 4]);
        out[3] += 1;
        let packets: Vec<_> = parse_compound(&out).collect::<Result<_, _>>().unwrap();
        let RtcpPacket::Bye { sources } = &packets[0] else {
            panic!()
        };
        assert_eq!(sources.clone().collect::<Vec<_>>(), [5]);
    }

    #[test]
    fn ntp_middle_bits() {
        assert_eq!(ntp_middle(0x1122_3344_5566_7788), 0x3344_5566);
    }
}
