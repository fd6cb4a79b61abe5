//! Audio offer/answer (RFC 3264) for G.711 and Opus (RFC 7587) with RFC 4733 telephone-events.

use std::net::{IpAddr, SocketAddr};

use super::opus_parameters::{LOCAL_OPUS_PARAMETERS, OpusParameters};
use super::{Direction, MediaDescription, Origin, RtpMap, SdpError, SessionDescription};

/// Payload type used for telephone-event/8000 in our offers.
const OFFER_TELEPHONE_EVENT_PT: u8 = 101;

/// Payload type used for telephone-event/48000 in our offers (when we offer Opus).
const OFFER_TELEPHONE_EVENT_48K_PT: u8 = 110;

/// First and last dynamic payload types (RFC 3551).
const DYNAMIC_PAYLOAD_TYPES: std::ops::RangeInclusive<u8> = 96..=127;

/// DTMF events we offer and accept: digits, `*`, `#`, A-D and flash.
const TELEPHONE_EVENTS: &str = "0-16";

/// An audio codec this engine can send and receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AudioCodec {
    /// G.711 µ-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
    /// Opus, `opus/48000/2` (RFC 7587), dynamic payload type (111 in our offers).
    Opus,
}

impl AudioCodec {
    /// The encoding name used in `a=rtpmap`.
    pub fn encoding_name(self) -> &'static str {
        match self {
            AudioCodec::Pcmu => "PCMU",
            AudioCodec::Pcma => "PCMA",
            AudioCodec::Opus => "opus",
        }
    }

    /// The static payload type (RFC 3551), if the codec has one.
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            AudioCodec::Pcmu => Some(0),
            AudioCodec::Pcma => Some(8),
            AudioCodec::Opus => None,
        }
    }

    /// The payload type we offer: the static one, else our usual dynamic one (Opus: 111).
    pub fn offer_payload_type(self) -> u8 {
        match self {
            AudioCodec::Opus => 111,
            other => other.static_payload_type().unwrap_or(96),
        }
    }

    /// RTP clock rate in Hz.
    pub fn clock_rate(self) -> u32 {
        match self {
            AudioCodec::Pcmu | AudioCodec::Pcma => 8000,
            AudioCodec::Opus => 48_000,
        }
    }

    /// Channel count in `a=rtpmap` (2 for Opus per RFC 7587, even for mono audio).
    pub fn channels(self) -> u8 {
        match self {
            AudioCodec::Pcmu | AudioCodec::Pcma => 1,
            AudioCodec::Opus => 2,
        }
    }

    /// All codecs, in the engine's default preference order (G.711 first).
    pub fn all() -> [AudioCodec; 3] {
        [AudioCodec::Pcmu, AudioCodec::Pcma, AudioCodec::Opus]
    }

    /// Whether an offered format is this codec: by its `a=rtpmap` when present (name compared
    /// case-insensitively, clock rate and channels checked; an `opus/48000` without the
    /// channel count is accepted), else by static payload type.
    fn matches(self, payload_type: u8, rtpmap: Option<&RtpMap>) -> bool {
        match rtpmap {
            Some(map) => {
                map.encoding.eq_ignore_ascii_case(self.encoding_name())
                    && map.clock_rate == self.clock_rate()
                    && (map.channels == self.channels() || self == AudioCodec::Opus)
            }
            None => self.static_payload_type() == Some(payload_type),
        }
    }

    /// Our `a=fmtp` value for this codec, if it has parameters.
    fn local_fmtp(self) -> Option<String> {
        (self == AudioCodec::Opus).then(|| LOCAL_OPUS_PARAMETERS.to_string())
    }

    fn rtpmap(self, payload_type: u8) -> RtpMap {
        RtpMap {
            payload_type,
            encoding: self.encoding_name().to_owned(),
            clock_rate: self.clock_rate(),
            channels: self.channels(),
        }
    }
}

/// What we offer or accept for one call's audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// Our RTP address (put in `c=` and `o=`).
    pub address: IpAddr,
    /// Our RTP port (RTCP on port + 1).
    pub port: u16,
    /// Codecs in our preference order.
    pub codecs: Vec<AudioCodec>,
    /// Whether we offer/accept RFC 4733 telephone-events.
    pub telephone_event: bool,
    /// Packet time we want to receive, in milliseconds (usually 20).
    pub ptime: u32,
    /// `o=` session id.
    pub session_id: u64,
    /// `o=` session version (increment for every new offer in a dialog).
    pub session_version: u64,
}

/// RFC 4733 telephone-event format agreed for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEventFormat {
    /// Payload type to send and expect.
    pub payload_type: u8,
    /// Clock rate of event timestamps and durations.
    pub clock_rate: u32,
}

/// The outcome of a negotiation: what to send where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedMedia {
    /// Where to send RTP; `None` if the peer gave port 0 or no usable address (`0.0.0.0` hold).
    pub remote_rtp: Option<SocketAddr>,
    /// Where to send RTCP: `a=rtcp`, the RTP address with `a=rtcp-mux`, else RTP port + 1.
    pub remote_rtcp: Option<SocketAddr>,
    /// The codec to send.
    pub codec: AudioCodec,
    /// Its payload type in this session.
    pub payload_type: u8,
    /// The telephone-event format, if both sides support it.
    pub telephone_event: Option<TelephoneEventFormat>,
    /// Packet time to send, in milliseconds: the peer's `a=ptime` if usable, else ours.
    pub ptime: u32,
    /// OUR direction: whether we send and/or receive.
    pub direction: Direction,
    /// The peer's Opus parameters (its `a=fmtp` for the chosen payload type) when the codec
    /// is Opus: configure our encoder from them (bit rate, FEC, DTX, CBR, bandwidth).
    pub remote_opus: Option<OpusParameters>,
}

/// An offer for one audio stream: our codecs in preference order (G.711 on its static payload
/// type, Opus as `opus/48000/2` on 111 with our [`LOCAL_OPUS_PARAMETERS`]), telephone-event
/// (`0-16`) on 101 at 8000 Hz and, when Opus is offered, on 110 at 48000 Hz, then `a=ptime`
/// and `a=sendrecv`.
///
/// For a hold re-offer, set `media[0].direction` of the result to `SendOnly` or `Inactive`.
pub fn create_offer(local: &LocalMedia) -> SessionDescription {
    let mut media = MediaDescription::new("audio", local.port, "RTP/AVP");
    let offers_opus = local.codecs.contains(&AudioCodec::Opus);
    let mut events = Vec::new();
    if local.telephone_event {
        events.push((OFFER_TELEPHONE_EVENT_PT, 8000));
        if offers_opus {
            events.push((OFFER_TELEPHONE_EVENT_48K_PT, 48_000));
        }
    }
    let mut taken: Vec<u8> = events.iter().map(|(pt, _)| *pt).collect();
    for (index, codec) in local.codecs.iter().enumerate() {
        if local.codecs.iter().take(index).any(|c| c == codec) {
            continue; // listed twice: offer it once
        }
        let wanted = codec.offer_payload_type();
        let payload_type = if taken.contains(&wanted) {
            match DYNAMIC_PAYLOAD_TYPES.clone().find(|pt| !taken.contains(pt)) {
                Some(pt) => pt,
                None => continue,
            }
        } else {
            wanted
        };
        taken.push(payload_type);
        media.formats.push(payload_type);
        media.rtpmaps.push(codec.rtpmap(payload_type));
        if let Some(fmtp) = codec.local_fmtp() {
            media.fmtps.push((payload_type, fmtp));
        }
    }
    for (payload_type, clock_rate) in events {
        media.formats.push(payload_type);
        media
            .rtpmaps
            .push(telephone_event_rtpmap(payload_type, clock_rate));
        media
            .fmtps
            .push((payload_type, TELEPHONE_EVENTS.to_owned()));
    }
    media.ptime = Some(local.ptime);
    session_for(local, vec![media])
}

/// Answer an offer (UAS side).
///
/// Takes the first RTP/AVP(F) audio stream with a non-zero port; picks the first codec in OUR
/// preference order that the offer lists (so Opus only when we list it before every G.711 the
/// offer has, or the offer has nothing else), on the offer's payload type; answers
/// telephone-event with the offer's payload type and clock rate (preferring the codec's rate,
/// then 8000 Hz); mirrors the offered direction (and does not
/// send when the offer has no usable address). Every other `m=` line is rejected with port 0.
///
/// Errors: [`SdpError::NoAudioStream`] or [`SdpError::NoCommonCodec`]: answer `488`.
pub fn create_answer(
    offer: &SessionDescription,
    local: &LocalMedia,
) -> Result<(SessionDescription, NegotiatedMedia), SdpError> {
    let index = offer
        .media
        .iter()
        .position(is_usable_audio)
        .ok_or(SdpError::NoAudioStream)?;
    let offered = offer.media.get(index).ok_or(SdpError::NoAudioStream)?;
    let (codec, payload_type) = local
        .codecs
        .iter()
        .find_map(|codec| find_codec(offered, *codec).map(|pt| (*codec, pt)))
        .ok_or(SdpError::NoCommonCodec)?;
    let telephone_event = local
        .telephone_event
        .then(|| find_telephone_event(offered, codec.clock_rate()))
        .flatten();
    let (remote_rtp, remote_rtcp) = remote_addresses(offer, offered);
    let mut direction = offered.direction.mirror();
    if remote_rtp.is_none() {
        direction = direction.intersect(Direction::RecvOnly);
    }

    let mut media = MediaDescription::new("audio", local.port, &offered.protocol);
    media.formats.push(payload_type);
    media.rtpmaps.push(codec.rtpmap(payload_type));
    if let Some(fmtp) = codec.local_fmtp() {
        media.fmtps.push((payload_type, fmtp));
    }
    if let Some(event) = telephone_event {
        media.formats.push(event.payload_type);
        media
            .rtpmaps
            .push(telephone_event_rtpmap(event.payload_type, event.clock_rate));
        let events = offered.fmtp(event.payload_type).unwrap_or(TELEPHONE_EVENTS);
        media.fmtps.push((event.payload_type, events.to_owned()));
    }
    media.ptime = Some(local.ptime);
    media.direction = direction;

    let answer_media = offer
        .media
        .iter()
        .enumerate()
        .map(|(i, m)| {
            if i == index {
                media.clone()
            } else {
                rejected(m)
            }
        })
        .collect();
    let negotiated = NegotiatedMedia {
        remote_rtp,
        remote_rtcp,
        codec,
        payload_type,
        telephone_event,
        ptime: usable_ptime(offered.ptime).unwrap_or(local.ptime),
        direction,
        remote_opus: opus_parameters(offered, codec, payload_type),
    };
    Ok((session_for(local, answer_media), negotiated))
}

/// What an answer to our offer agreed (UAC side).
///
/// Uses the first accepted audio stream of the answer that matches an audio stream of the
/// offer, and the first format of that stream that is a codec we offered.
pub fn negotiated_from_answer(
    offer: &SessionDescription,
    answer: &SessionDescription,
) -> Result<NegotiatedMedia, SdpError> {
    let (offered, answered) = offer
        .media
        .iter()
        .zip(&answer.media)
        .find(|(offered, answered)| is_usable_audio(offered) && is_usable_audio(answered))
        .ok_or(SdpError::NoAudioStream)?;
    let (codec, payload_type) = answered
        .formats
        .iter()
        .find_map(|pt| {
            let codec = AudioCodec::all()
                .into_iter()
                .find(|codec| codec.matches(*pt, answered.rtpmap(*pt)))?;
            find_codec(offered, codec).map(|_| (codec, *pt))
        })
        .ok_or(SdpError::NoCommonCodec)?;
    let telephone_event = find_telephone_event(offered, codec.clock_rate())
        .and_then(|_| find_telephone_event(answered, codec.clock_rate()));
    let (remote_rtp, remote_rtcp) = remote_addresses(answer, answered);
    let mut direction = offered.direction.intersect(answered.direction.mirror());
    if remote_rtp.is_none() {
        direction = direction.intersect(Direction::RecvOnly);
    }
    Ok(NegotiatedMedia {
        remote_rtp,
        remote_rtcp,
        codec,
        payload_type,
        telephone_event,
        ptime: usable_ptime(answered.ptime)
            .or(usable_ptime(offered.ptime))
            .unwrap_or(20),
        direction,
        remote_opus: opus_parameters(answered, codec, payload_type),
    })
}

fn session_for(local: &LocalMedia, media: Vec<MediaDescription>) -> SessionDescription {
    SessionDescription {
        origin: Origin {
            username: "-".into(),
            session_id: local.session_id,
            session_version: local.session_version,
            address: local.address,
        },
        session_name: "voxgate".into(),
        connection: Some(local.address),
        direction: None,
        session_lines: vec![('t', "0 0".into())],
        attributes: Vec::new(),
        media,
    }
}

fn is_usable_audio(media: &MediaDescription) -> bool {
    media.kind.eq_ignore_ascii_case("audio")
        && media.port != 0
        && (media.protocol.eq_ignore_ascii_case("RTP/AVP")
            || media.protocol.eq_ignore_ascii_case("RTP/AVPF"))
}

/// The offered payload type carrying `codec`, if any.
fn find_codec(media: &MediaDescription, codec: AudioCodec) -> Option<u8> {
    media
        .formats
        .iter()
        .copied()
        .find(|pt| codec.matches(*pt, media.rtpmap(*pt)))
}

/// The Opus parameters `media` gives for `payload_type`, if `codec` is Opus.
fn opus_parameters(
    media: &MediaDescription,
    codec: AudioCodec,
    payload_type: u8,
) -> Option<OpusParameters> {
    (codec == AudioCodec::Opus)
        .then(|| OpusParameters::parse(media.fmtp(payload_type).unwrap_or_default()))
}

/// The telephone-event format listed in `media`, preferring `clock_rate`, then 8000 Hz.
fn find_telephone_event(media: &MediaDescription, clock_rate: u32) -> Option<TelephoneEventFormat> {
    let events: Vec<&RtpMap> = media
        .formats
        .iter()
        .filter_map(|pt| media.rtpmap(*pt))
        .filter(|map| map.encoding.eq_ignore_ascii_case("telephone-event"))
        .collect();
    let chosen = events
        .iter()
        .find(|map| map.clock_rate == clock_rate)
        .or_else(|| events.iter().find(|map| map.clock_rate == 8000))
        .or(events.first())?;
    Some(TelephoneEventFormat {
        payload_type: chosen.payload_type,
        clock_rate: chosen.clock_rate,
    })
}

fn telephone_event_rtpmap(payload_type: u8, clock_rate: u32) -> RtpMap {
    RtpMap {
        payload_type,
        encoding: "telephone-event".into(),
        clock_rate,
        channels: 1,
    }
}

/// The peer's RTP and RTCP destinations for a media section.
fn remote_addresses(
    session: &SessionDescription,
    media: &MediaDescription,
) -> (Option<SocketAddr>, Option<SocketAddr>) {
    let address = media
        .connection
        .or(session.connection)
        .filter(|a| !a.is_unspecified());
    let Some(address) = address.filter(|_| media.port != 0) else {
        return (None, None);
    };
    let rtp = SocketAddr::new(address, media.port);
    let rtcp = if media.has_attribute("rtcp-mux") {
        Some(rtp)
    } else if let Some(port) = media.rtcp_port {
        Some(SocketAddr::new(media.rtcp_address.unwrap_or(address), port))
    } else {
        media
            .port
            .checked_add(1)
            .map(|port| SocketAddr::new(address, port))
    };
    (Some(rtp), rtcp)
}

/// A ptime we are willing to packetise at: 10-120 ms in steps of 10.
fn usable_ptime(ptime: Option<u32>) -> Option<u32> {
    ptime.filter(|p| (10..=120).contains(p) && p % 10 == 0)
}

/// The answer's copy of a stream it does not accept (RFC 3264 §6: port 0, formats kept).
fn rejected(offered: &MediaDescription) -> MediaDescription {
    let mut media = MediaDescription::new(&offered.kind, 0, &offered.protocol);
    media.formats = offered.formats.clone();
    media.other_formats = offered.other_formats.clone();
    media.direction = offered.direction.mirror();
    media
}
