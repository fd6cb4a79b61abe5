//! Answering a mid-call re-offer (hold / resume) by editing our last SDP text minimally.
//!
//! The media stack keeps its codec, address and port; only the direction attribute changes
//! (mirroring the offer, RFC 3264 §6.1) and the `o=` session version goes up by one (§8).

/// The direction a media stream is offered or answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn from_attribute(line: &str) -> Option<Self> {
        match line.trim().strip_prefix("a=")? {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    fn mirror(self) -> Self {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            other => other,
        }
    }

    fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "a=sendrecv",
            Direction::SendOnly => "a=sendonly",
            Direction::RecvOnly => "a=recvonly",
            Direction::Inactive => "a=inactive",
        }
    }
}

/// The offered direction of the first audio stream: media-level attribute, else
/// session-level, else `c=... 0.0.0.0` (RFC 2543 hold, read as sendonly), else sendrecv.
fn offered_direction(offer: &str) -> Direction {
    let mut session_level = None;
    let mut media_level = None;
    let mut in_audio = false;
    let mut seen_media = false;
    let mut zero_address = false;
    for line in offer.lines() {
        let line = line.trim();
        if line.starts_with("m=") {
            if seen_media && in_audio {
                break;
            }
            seen_media = true;
            in_audio = line.starts_with("m=audio");
            continue;
        }
        if let Some(d) = Direction::from_attribute(line) {
            if !seen_media {
                session_level = Some(d);
            } else if in_audio {
                media_level = Some(d);
            }
        }
        if line.starts_with("c=") && line.ends_with(" 0.0.0.0") && (!seen_media || in_audio) {
            zero_address = true;
        }
    }
    media_level.or(session_level).unwrap_or(if zero_address {
        Direction::SendOnly
    } else {
        Direction::SendRecv
    })
}

/// Our answer to `offer`: `local` with direction lines replaced by the mirror of the offered
/// direction (one per media section) and the `o=` version incremented.
pub(crate) fn answer_reoffer(local: &[u8], offer: &[u8]) -> Vec<u8> {
    let offer = String::from_utf8_lossy(offer);
    let answer_direction = offered_direction(&offer).mirror().attribute();
    let local = String::from_utf8_lossy(local);
    let eol = if local.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = String::with_capacity(local.len() + 16);
    let mut in_media = false;
    for line in local.lines() {
        if line.starts_with("m=") {
            if in_media {
                out.push_str(answer_direction);
                out.push_str(eol);
            }
            in_media = true;
        }
        if Direction::from_attribute(line).is_some() {
            continue;
        }
        if line.starts_with("o=") {
            out.push_str(&bump_origin_version(line));
        } else {
            out.push_str(line);
        }
        out.push_str(eol);
    }
    if in_media {
        out.push_str(answer_direction);
        out.push_str(eol);
    }
    out.into_bytes()
}

/// `o=user id VERSION nettype addrtype addr` with VERSION + 1 (unchanged if unparsable).
fn bump_origin_version(line: &str) -> String {
    let fields: Vec<&str> = line.split(' ').collect();
    match fields.get(2).and_then(|v| v.parse::<u64>().ok()) {
        Some(version) => {
            let bumped = version.wrapping_add(1).to_string();
            let mut fields: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
            if let Some(slot) = fields.get_mut(2) {
                *slot = bumped;
            }
            fields.join(" ")
        }
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: &str = "v=0\r\no=voxgate 42 7 IN IP4 127.0.0.1\r\ns=-\r\n\
        c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\n\
        a=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";

    fn offer_with(direction_line: &str) -> String {
        format!(
            "v=0\r\no=peer 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
             m=audio 5000 RTP/AVP 0\r\n{direction_line}"
        )
    }

    fn answer(offer: &str) -> String {
        String::from_utf8(answer_reoffer(LOCAL.as_bytes(), offer.as_bytes())).unwrap()
    }

    #[test]
    fn hold_is_answered_recvonly_with_bumped_version() {
        let a = answer(&offer_with("a=sendonly\r\n"));
        assert!(a.contains("o=voxgate 42 8 IN IP4 127.0.0.1\r\n"));
        assert!(a.ends_with("a=rtpmap:0 PCMU/8000\r\na=recvonly\r\n"));
        assert!(!a.contains("sendrecv"));
    }

    #[test]
    fn mirrors_every_direction() {
        assert!(answer(&offer_with("a=inactive\r\n")).contains("a=inactive"));
        assert!(answer(&offer_with("a=recvonly\r\n")).contains("a=sendonly"));
        assert!(answer(&offer_with("")).contains("a=sendrecv"));
        let old_hold = offer_with("").replace("c=IN IP4 10.0.0.1", "c=IN IP4 0.0.0.0");
        assert!(answer(&old_hold).contains("a=recvonly"));
    }

    #[test]
    fn garbage_does_not_panic() {
        let out = answer_reoffer(b"o=x\nm=audio", &[0xff, 0xfe, b'\n']);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "o=x\nm=audio\na=sendrecv\n"
        );
    }
}
