//! The SDP data model, its lenient parser and its CRLF printer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Direction, SdpError};

/// A whole SDP body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=` line.
    pub origin: Origin,
    /// `s=` line (`-` when absent).
    pub session_name: String,
    /// Session-level `c=` address (media-level `c=` overrides it).
    pub connection: Option<IpAddr>,
    /// Session-level direction attribute, if any (already applied to [`MediaDescription::direction`]).
    pub direction: Option<Direction>,
    /// Other session-level lines in order, as (type letter, value): `t=`, `b=`, `i=`, ...
    /// Parsing adds `t=0 0` when the body has no `t=`; printing does the same.
    pub session_lines: Vec<(char, String)>,
    /// Other session-level attributes, without the `a=` (e.g. `group:BUNDLE 0`).
    pub attributes: Vec<String>,
    /// `m=` sections in order.
    pub media: Vec<MediaDescription>,
}

/// The `o=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// User name (`-` if none).
    pub username: String,
    /// Session id.
    pub session_id: u64,
    /// Session version, incremented for every changed offer.
    pub session_version: u64,
    /// Address of the originator; the unspecified address if the line holds a host name.
    pub address: IpAddr,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// Media type: `audio`, `video`, `image`, ...
    pub kind: String,
    /// Transport port; 0 for a rejected or disabled stream.
    pub port: u16,
    /// Transport protocol, e.g. `RTP/AVP`.
    pub protocol: String,
    /// Numeric payload formats in `m=` order.
    pub formats: Vec<u8>,
    /// Non-numeric formats (e.g. `t38`, `webrtc-datachannel`), printed after `formats`.
    pub other_formats: Vec<String>,
    /// `a=rtpmap` lines.
    pub rtpmaps: Vec<RtpMap>,
    /// `a=fmtp` lines as (payload type, parameters).
    pub fmtps: Vec<(u8, String)>,
    /// Media-level `c=` address.
    pub connection: Option<IpAddr>,
    /// Effective direction: the media attribute, else the session one, else `sendrecv`.
    pub direction: Direction,
    /// `a=ptime` in milliseconds.
    pub ptime: Option<u32>,
    /// `a=rtcp` port (RFC 3605).
    pub rtcp_port: Option<u16>,
    /// `a=rtcp` address, when the attribute gives one.
    pub rtcp_address: Option<IpAddr>,
    /// Other media-level lines in order, as (type letter, value): `b=`, `i=`, ...
    pub other_lines: Vec<(char, String)>,
    /// Other media attributes without the `a=` (`rtcp-mux`, `maxptime:40`, ...).
    pub attributes: Vec<String>,
}

/// An `a=rtpmap` line: `<payload type> <encoding>/<clock rate>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// Payload type.
    pub payload_type: u8,
    /// Encoding name as written (compare case-insensitively).
    pub encoding: String,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Channels (1 when not written).
    pub channels: u8,
}

impl MediaDescription {
    /// A media section with only the `m=` line filled in.
    pub fn new(kind: &str, port: u16, protocol: &str) -> Self {
        MediaDescription {
            kind: kind.to_owned(),
            port,
            protocol: protocol.to_owned(),
            formats: Vec::new(),
            other_formats: Vec::new(),
            rtpmaps: Vec::new(),
            fmtps: Vec::new(),
            connection: None,
            direction: Direction::SendRecv,
            ptime: None,
            rtcp_port: None,
            rtcp_address: None,
            other_lines: Vec::new(),
            attributes: Vec::new(),
        }
    }

    /// The `a=rtpmap` for a payload type, if present.
    pub fn rtpmap(&self, payload_type: u8) -> Option<&RtpMap> {
        self.rtpmaps.iter().find(|m| m.payload_type == payload_type)
    }

    /// The `a=fmtp` parameters for a payload type, if present.
    pub fn fmtp(&self, payload_type: u8) -> Option<&str> {
        self.fmtps
            .iter()
            .find(|(pt, _)| *pt == payload_type)
            .map(|(_, params)| params.as_str())
    }

    /// Whether a flag attribute such as `rtcp-mux` is present.
    pub fn has_attribute(&self, name: &str) -> bool {
        self.attributes.iter().any(|a| a == name)
    }
}

impl SessionDescription {
    /// Parse an SDP body. Lines may end in CRLF or LF; unknown lines and attributes are kept.
    pub fn parse(text: &str) -> Result<Self, SdpError> {
        let mut origin = None;
        let mut seen_version = false;
        let mut session = SessionDescription {
            origin: Origin {
                username: "-".into(),
                session_id: 0,
                session_version: 0,
                address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            },
            session_name: "-".into(),
            connection: None,
            direction: None,
            session_lines: Vec::new(),
            attributes: Vec::new(),
            media: Vec::new(),
        };
        let mut media_directions: Vec<Option<Direction>> = Vec::new();

        for (index, raw) in text.split('\n').enumerate() {
            let line_number = index + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw).trim_end();
            if line.is_empty() {
                continue;
            }
            let bad = |reason: &str| SdpError::Malformed {
                line: line_number,
                reason: reason.to_owned(),
            };
            let mut chars = line.chars();
            let (Some(kind), Some('=')) = (chars.next(), chars.next()) else {
                return Err(bad("not a <type>=<value> line"));
            };
            if !kind.is_ascii_lowercase() {
                return Err(bad("type is not a lowercase letter"));
            }
            let value = chars.as_str();
            match (kind, session.media.last_mut()) {
                ('m', _) => {}
                ('v', None) => {
                    if value.trim() != "0" {
                        return Err(bad("unsupported version"));
                    }
                    seen_version = true;
                }
                ('o', None) => {
                    origin = Some(parse_origin(value).ok_or_else(|| bad("bad o= line"))?)
                }
                ('s', None) => session.session_name = value.to_owned(),
                ('c', None) => session.connection = Some(parse_connection(value, line_number)?),
                ('a', None) => match Direction::from_attribute(value) {
                    Some(direction) => session.direction = Some(direction),
                    None => session.attributes.push(value.to_owned()),
                },
                (_, None) => session.session_lines.push((kind, value.to_owned())),
                ('c', Some(media)) => {
                    media.connection = Some(parse_connection(value, line_number)?)
                }
                ('a', Some(media)) => {
                    let direction = parse_media_attribute(media, value).map_err(|r| bad(&r))?;
                    if let (Some(direction), Some(slot)) = (direction, media_directions.last_mut())
                    {
                        *slot = Some(direction);
                    }
                }
                (_, Some(media)) => media.other_lines.push((kind, value.to_owned())),
            }
            if kind == 'm' {
                session
                    .media
                    .push(parse_media_line(value).ok_or_else(|| bad("bad m= line"))?);
                media_directions.push(None);
            }
        }

        if !seen_version {
            return Err(SdpError::MissingLine('v'));
        }
        session.origin = origin.ok_or(SdpError::MissingLine('o'))?;
        if !session.session_lines.iter().any(|(kind, _)| *kind == 't') {
            session.session_lines.insert(0, ('t', "0 0".into()));
        }
        for (media, direction) in session.media.iter_mut().zip(media_directions) {
            media.direction = direction.or(session.direction).unwrap_or_default();
        }
        Ok(session)
    }
}

fn parse_origin(value: &str) -> Option<Origin> {
    let mut fields = value.split_ascii_whitespace();
    let username = fields.next()?.to_owned();
    let session_id = fields.next()?.parse().ok()?;
    let session_version = fields.next()?.parse().ok()?;
    let _net_type = fields.next()?;
    let address_type = fields.next()?;
    let address = fields.next()?;
    let address = address
        .parse()
        .unwrap_or(if address_type.eq_ignore_ascii_case("IP6") {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        });
    Some(Origin {
        username,
        session_id,
        session_version,
        address,
    })
}

/// `IN IP4 192.0.2.1[/ttl]` -> the address.
fn parse_connection(value: &str, line: usize) -> Result<IpAddr, SdpError> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let [_net_type, _address_type, address] = fields.as_slice() else {
        return Err(SdpError::Malformed {
            line,
            reason: "bad c= line".into(),
        });
    };
    let address = address.split('/').next().unwrap_or_default();
    address
        .parse()
        .map_err(|_| SdpError::UnsupportedAddress(address.chars().take(64).collect()))
}

/// `audio 49170[/2] RTP/AVP 0 8 101`.
fn parse_media_line(value: &str) -> Option<MediaDescription> {
    let mut fields = value.split_ascii_whitespace();
    let kind = fields.next()?;
    let port = fields.next()?.split('/').next()?.parse().ok()?;
    let protocol = fields.next()?;
    let mut media = MediaDescription::new(kind, port, protocol);
    for format in fields {
        match format.parse::<u8>() {
            Ok(pt) if pt <= 127 => media.formats.push(pt),
            _ => media.other_formats.push(format.to_owned()),
        }
    }
    Some(media)
}

/// Apply one media-level attribute; returns the direction if it is a direction attribute.
fn parse_media_attribute(
    media: &mut MediaDescription,
    value: &str,
) -> Result<Option<Direction>, String> {
    if let Some(direction) = Direction::from_attribute(value) {
        return Ok(Some(direction));
    }
    let (name, rest) = value.split_once(':').unwrap_or((value, ""));
    match name {
        "rtpmap" => media.rtpmaps.push(parse_rtpmap(rest).ok_or("bad rtpmap")?),
        "fmtp" => {
            let (pt, params) = rest.split_once(' ').unwrap_or((rest, ""));
            let pt = pt.trim().parse().map_err(|_| "bad fmtp payload type")?;
            media.fmtps.push((pt, params.trim().to_owned()));
        }
        "ptime" => {
            let ms = rest.trim().split('.').next().unwrap_or_default();
            media.ptime = Some(ms.parse().map_err(|_| "bad ptime")?);
        }
        "rtcp" => {
            let mut fields = rest.split_ascii_whitespace();
            let port = fields.next().unwrap_or_default();
            media.rtcp_port = Some(port.parse().map_err(|_| "bad rtcp port")?);
            media.rtcp_address = fields.nth(2).and_then(|a| a.parse().ok());
        }
        _ => media.attributes.push(value.to_owned()),
    }
    Ok(None)
}

/// `101 telephone-event/8000[/1]`.
fn parse_rtpmap(value: &str) -> Option<RtpMap> {
    let (pt, encoding) = value.trim().split_once(' ')?;
    let mut parts = encoding.trim().split('/');
    let name = parts.next()?;
    let clock_rate = parts.next()?.trim().parse().ok()?;
    let channels = match parts.next() {
        Some(c) => c.trim().parse().ok()?,
        None => 1,
    };
    if name.is_empty() {
        return None;
    }
    Some(RtpMap {
        payload_type: pt.parse().ok()?,
        encoding: name.to_owned(),
        clock_rate,
        channels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINPHONE: &str = "v=0\r\n\
        o=alice 3458 1278 IN IP4 192.168.1.20\r\n\
        s=Talk\r\n\
        c=IN IP4 192.168.1.20\r\n\
        t=0 0\r\n\
        a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n\
        m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100\r\n\
        a=rtpmap:96 opus/48000/2\r\n\
        a=fmtp:96 useinbandfec=1\r\n\
        a=rtpmap:97 speex/16000\r\n\
        a=fmtp:97 vbr=on\r\n\
        a=rtpmap:98 speex/8000\r\n\
        a=rtpmap:101 telephone-event/48000\r\n\
        a=rtpmap:99 telephone-event/16000\r\n\
        a=rtpmap:100 telephone-event/8000\r\n\
        a=rtcp-fb:* trr-int 1000\r\n\
        m=video 9078 RTP/AVP 96\r\n\
        a=rtpmap:96 VP8/90000\r\n\
        a=sendonly\r\n";

    #[test]
    fn parses_a_linphone_offer() {
        let sdp = SessionDescription::parse(LINPHONE).expect("parses");
        assert_eq!(sdp.origin.session_id, 3458);
        assert_eq!(sdp.session_name, "Talk");
        assert_eq!(sdp.media.len(), 2);
        let audio = &sdp.media[0];
        assert_eq!(audio.formats, [96, 97, 98, 0, 8, 18, 101, 99, 100]);
        assert_eq!(audio.rtpmap(96).map(|m| m.channels), Some(2));
        assert_eq!(audio.fmtp(96), Some("useinbandfec=1"));
        assert_eq!(audio.direction, Direction::SendRecv);
        assert_eq!(sdp.media[1].direction, Direction::SendOnly);
        assert_eq!(sdp.session_lines, [('t', "0 0".to_owned())]);
    }

    #[test]
    fn display_round_trips() {
        let sdp = SessionDescription::parse(LINPHONE).expect("parses");
        let printed = sdp.to_string();
        assert!(printed.ends_with("a=sendonly\r\n"), "{printed}");
        assert!(!printed.contains("\n\n"), "{printed}");
        assert_eq!(SessionDescription::parse(&printed), Ok(sdp));
    }

    #[test]
    fn session_direction_and_rtcp_attribute() {
        let sdp = SessionDescription::parse(
            "v=0\no=- 1 2 IN IP6 ::1\ns=-\nc=IN IP4 224.2.1.1/127\na=inactive\n\
             m=audio 0 RTP/AVP 0\na=rtcp:53020 IN IP4 126.16.64.4\na=ptime:30.0\n",
        )
        .expect("parses");
        assert_eq!(sdp.connection, Some("224.2.1.1".parse().expect("ip")));
        assert_eq!(sdp.origin.address, "::1".parse::<IpAddr>().expect("ip"));
        let media = &sdp.media[0];
        assert_eq!(media.direction, Direction::Inactive);
        assert_eq!(media.rtcp_port, Some(53020));
        assert_eq!(media.rtcp_address, Some("126.16.64.4".parse().expect("ip")));
        assert_eq!(media.ptime, Some(30));
    }

    #[test]
    fn errors() {
        assert_eq!(
            SessionDescription::parse("o=- 1 1 IN IP4 1.2.3.4\n"),
            Err(SdpError::MissingLine('v'))
        );
        assert_eq!(
            SessionDescription::parse("v=0\n"),
            Err(SdpError::MissingLine('o'))
        );
        assert!(matches!(
            SessionDescription::parse("v=0\nhello\n"),
            Err(SdpError::Malformed { line: 2, .. })
        ));
        assert!(matches!(
            SessionDescription::parse("v=0\no=- 1 1 IN IP4 1.2.3.4\nm=audio x RTP/AVP 0\n"),
            Err(SdpError::Malformed { line: 3, .. })
        ));
        assert_eq!(
            SessionDescription::parse("v=0\no=- 1 1 IN IP4 h\nc=IN IP4 host.example\n"),
            Err(SdpError::UnsupportedAddress("host.example".into()))
        );
    }
}
