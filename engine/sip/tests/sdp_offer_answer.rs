//! Offer/answer against SDP as real peers send it, and parser robustness.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use proptest::prelude::*;
use voxgate_sip::sdp::{
    AudioCodec, Direction, LocalMedia, NegotiatedMedia, SdpError, SessionDescription,
    TelephoneEventFormat, create_answer, create_offer, negotiated_from_answer,
};

fn local(codecs: &[AudioCodec]) -> LocalMedia {
    LocalMedia {
        address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
        port: 20000,
        codecs: codecs.to_vec(),
        telephone_event: true,
        ptime: 20,
        session_id: 77,
        session_version: 1,
    }
}

fn answer(
    offer: &str,
    codecs: &[AudioCodec],
) -> Result<(SessionDescription, NegotiatedMedia), SdpError> {
    let offer = SessionDescription::parse(offer).expect("offer parses");
    let (answer, negotiated) = create_answer(&offer, &local(codecs))?;
    // Whatever we answer must parse back to the same description.
    let reparsed = SessionDescription::parse(&answer.to_string()).expect("answer parses");
    assert_eq!(reparsed, answer);
    assert_eq!(
        answer.media.len(),
        offer.media.len(),
        "one answer line per offer line"
    );
    Ok((answer, negotiated))
}

fn addr(text: &str) -> Option<SocketAddr> {
    Some(text.parse().expect("socket address"))
}

const BARESIP: &str = "v=0\r\n\
    o=- 2890844526 2890844526 IN IP4 127.0.0.1\r\n\
    s=-\r\n\
    c=IN IP4 127.0.0.1\r\n\
    t=0 0\r\n\
    m=audio 10004 RTP/AVP 96 0 8 101\r\n\
    b=AS:128\r\n\
    a=rtpmap:96 opus/48000/2\r\n\
    a=fmtp:96 stereo=1;sprop-stereo=1\r\n\
    a=rtpmap:0 PCMU/8000\r\n\
    a=rtpmap:8 PCMA/8000\r\n\
    a=rtpmap:101 telephone-event/8000\r\n\
    a=fmtp:101 0-15\r\n\
    a=rtcp-rsize\r\n\
    a=sendrecv\r\n\
    a=label:1\r\n\
    a=ssrc:2406317361 cname:3f8e6c2a-0b11-4c1b\r\n";

const LINPHONE: &str = "v=0\r\n\
    o=alice 3458 1278 IN IP4 192.168.1.20\r\n\
    s=Talk\r\n\
    c=IN IP4 192.168.1.20\r\n\
    t=0 0\r\n\
    m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100\r\n\
    a=rtpmap:96 opus/48000/2\r\n\
    a=fmtp:96 useinbandfec=1\r\n\
    a=rtpmap:97 speex/16000\r\n\
    a=rtpmap:98 speex/8000\r\n\
    a=fmtp:18 annexb=yes\r\n\
    a=rtpmap:101 telephone-event/48000\r\n\
    a=rtpmap:99 telephone-event/16000\r\n\
    a=rtpmap:100 telephone-event/8000\r\n\
    m=video 9078 RTP/AVP 96\r\n\
    a=rtpmap:96 VP8/90000\r\n";

const SIPP: &str = "v=0\n\
    o=user1 53655765 2353687637 IN IP4 127.0.0.1\n\
    s=-\n\
    c=IN IP4 127.0.0.1\n\
    t=0 0\n\
    m=audio 6000 RTP/AVP 0\n\
    a=rtpmap:0 PCMU/8000\n";

const PYVOIP: &str = "v=0\r\n\
    o=pyVoIP 1234 1236 IN IP4 192.168.1.50\r\n\
    s=pyVoIP 1.6.8\r\n\
    c=IN IP4 192.168.1.50\r\n\
    t=0 0\r\n\
    m=audio 10000 RTP/AVP 0 101\r\n\
    a=rtpmap:0 PCMU/8000\r\n\
    a=rtpmap:101 telephone-event/8000\r\n\
    a=fmtp:101 0-15\r\n\
    a=ptime:20\r\n\
    a=maxptime:150\r\n\
    a=sendrecv\r\n";

const CARRIER_PCMA_ONLY: &str = "v=0\r\n\
    o=HuaweiSoftX3000 1073741857 1073741857 IN IP4 10.10.10.1\r\n\
    s=Sip Call\r\n\
    c=IN IP4 10.10.10.1\r\n\
    t=0 0\r\n\
    m=audio 30000 RTP/AVP 8 126\r\n\
    c=IN IP4 10.10.10.2\r\n\
    a=rtpmap:8 PCMA/8000\r\n\
    a=rtpmap:126 telephone-event/8000\r\n\
    a=fmtp:126 0-15\r\n\
    a=ptime:30\r\n\
    a=rtcp:30011\r\n";

const G729_ONLY: &str = "v=0\r\n\
    o=- 1 1 IN IP4 10.0.0.5\r\n\
    s=-\r\n\
    c=IN IP4 10.0.0.5\r\n\
    t=0 0\r\n\
    m=audio 16384 RTP/AVP 18 101\r\n\
    a=rtpmap:18 G729/8000\r\n\
    a=fmtp:18 annexb=no\r\n\
    a=rtpmap:101 telephone-event/8000\r\n";

const PCMU_PCMA: [AudioCodec; 2] = [AudioCodec::Pcmu, AudioCodec::Pcma];
const PCMA_PCMU: [AudioCodec; 2] = [AudioCodec::Pcma, AudioCodec::Pcmu];

#[test]
fn baresip_offer() {
    let (sdp, media) = answer(BARESIP, &PCMA_PCMU).expect("answer");
    assert_eq!(media.codec, AudioCodec::Pcma);
    assert_eq!(media.payload_type, 8);
    assert_eq!(
        media.telephone_event,
        Some(TelephoneEventFormat {
            payload_type: 101,
            clock_rate: 8000
        })
    );
    assert_eq!(media.remote_rtp, addr("127.0.0.1:10004"));
    assert_eq!(media.remote_rtcp, addr("127.0.0.1:10005"));
    assert_eq!(media.direction, Direction::SendRecv);
    let text = sdp.to_string();
    assert!(text.contains("m=audio 20000 RTP/AVP 8 101\r\n"), "{text}");
    assert!(text.contains("a=fmtp:101 0-15\r\n"), "{text}");
    assert!(text.contains("c=IN IP4 192.0.2.10\r\n"), "{text}");
    assert!(text.contains("o=- 77 1 IN IP4 192.0.2.10\r\n"), "{text}");
}

#[test]
fn linphone_offer_rejects_video_and_matches_the_event_rate() {
    let (sdp, media) = answer(LINPHONE, &PCMU_PCMA).expect("answer");
    assert_eq!((media.codec, media.payload_type), (AudioCodec::Pcmu, 0));
    assert_eq!(
        media.telephone_event,
        Some(TelephoneEventFormat {
            payload_type: 100,
            clock_rate: 8000
        })
    );
    assert_eq!(sdp.media[1].port, 0);
    assert_eq!(sdp.media[1].kind, "video");
    assert!(sdp.to_string().contains("m=video 0 RTP/AVP 96\r\n"));
}

#[test]
fn sipp_offer_without_telephone_event() {
    let (sdp, media) = answer(SIPP, &PCMA_PCMU).expect("answer");
    assert_eq!(media.codec, AudioCodec::Pcmu);
    assert_eq!(media.telephone_event, None);
    assert_eq!(media.ptime, 20);
    assert_eq!(sdp.media[0].formats, [0]);
}

#[test]
fn pyvoip_offer() {
    let (_, media) = answer(PYVOIP, &PCMA_PCMU).expect("answer");
    assert_eq!(media.codec, AudioCodec::Pcmu);
    assert_eq!(media.remote_rtp, addr("192.168.1.50:10000"));
    assert_eq!(media.telephone_event.map(|e| e.payload_type), Some(101));
}

#[test]
fn carrier_with_only_pcma_uses_media_connection_rtcp_and_ptime() {
    let (sdp, media) = answer(CARRIER_PCMA_ONLY, &PCMU_PCMA).expect("answer");
    assert_eq!(media.codec, AudioCodec::Pcma);
    assert_eq!(media.remote_rtp, addr("10.10.10.2:30000"));
    assert_eq!(media.remote_rtcp, addr("10.10.10.2:30011"));
    assert_eq!(media.ptime, 30);
    assert_eq!(media.telephone_event.map(|e| e.payload_type), Some(126));
    assert_eq!(sdp.media[0].formats, [8, 126]);
}

#[test]
fn g729_only_offer_has_no_common_codec() {
    assert_eq!(
        answer(G729_ONLY, &PCMU_PCMA).map(|_| ()),
        Err(SdpError::NoCommonCodec)
    );
}

#[test]
fn only_codecs_we_list_are_chosen() {
    assert_eq!(
        answer(SIPP, &[AudioCodec::Pcma]).map(|_| ()),
        Err(SdpError::NoCommonCodec)
    );
}

#[test]
fn hold_offers() {
    let sendonly = PYVOIP.replace("a=sendrecv", "a=sendonly");
    let (sdp, media) = answer(&sendonly, &PCMU_PCMA).expect("answer");
    assert_eq!(media.direction, Direction::RecvOnly);
    assert!(sdp.to_string().contains("a=recvonly\r\n"));

    let inactive = PYVOIP.replace("a=sendrecv", "a=inactive");
    let (_, media) = answer(&inactive, &PCMU_PCMA).expect("answer");
    assert_eq!(media.direction, Direction::Inactive);

    let recvonly = PYVOIP.replace("a=sendrecv", "a=recvonly");
    let (_, media) = answer(&recvonly, &PCMU_PCMA).expect("answer");
    assert_eq!(media.direction, Direction::SendOnly);

    // RFC 2543 style hold: address 0.0.0.0, direction still sendrecv.
    let zero = PYVOIP.replace("c=IN IP4 192.168.1.50", "c=IN IP4 0.0.0.0");
    let (sdp, media) = answer(&zero, &PCMU_PCMA).expect("answer");
    assert_eq!(media.remote_rtp, None);
    assert_eq!(media.remote_rtcp, None);
    assert_eq!(media.direction, Direction::RecvOnly);
    assert!(sdp.to_string().contains("a=recvonly\r\n"));
}

#[test]
fn dynamic_telephone_event_payload_types_and_rates() {
    for (pt, rate) in [
        (96, 8000),
        (101, 8000),
        (126, 8000),
        (101, 48000),
        (96, 48000),
    ] {
        let offer = format!(
            "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
             m=audio 4000 RTP/AVP 0 {pt}\r\na=rtpmap:{pt} telephone-event/{rate}\r\n\
             a=fmtp:{pt} 0-16\r\n"
        );
        let (sdp, media) = answer(&offer, &PCMU_PCMA).expect("answer");
        assert_eq!(
            media.telephone_event,
            Some(TelephoneEventFormat {
                payload_type: pt,
                clock_rate: rate
            })
        );
        let text = sdp.to_string();
        assert!(
            text.contains(&format!("a=rtpmap:{pt} telephone-event/{rate}\r\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("m=audio 20000 RTP/AVP 0 {pt}\r\n")),
            "{text}"
        );
    }
}

#[test]
fn dynamic_payload_type_for_g711_by_rtpmap_name() {
    let offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                 m=audio 4000 RTP/AVP 97\r\na=rtpmap:97 pcma/8000\r\n";
    let (_, media) = answer(offer, &PCMU_PCMA).expect("answer");
    assert_eq!((media.codec, media.payload_type), (AudioCodec::Pcma, 97));
}

#[test]
fn srtp_and_disabled_audio_lines_are_skipped() {
    let offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                 m=audio 4000 RTP/SAVP 0\r\n\
                 m=audio 0 RTP/AVP 0\r\n\
                 m=audio 4002 RTP/AVP 8 0\r\n";
    let (sdp, media) = answer(offer, &PCMU_PCMA).expect("answer");
    assert_eq!(media.remote_rtp, addr("10.0.0.1:4002"));
    assert_eq!(media.codec, AudioCodec::Pcmu);
    let ports: Vec<u16> = sdp.media.iter().map(|m| m.port).collect();
    assert_eq!(ports, [0, 0, 20000]);

    let only_srtp = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n";
    assert_eq!(
        answer(only_srtp, &PCMU_PCMA).map(|_| ()),
        Err(SdpError::NoAudioStream)
    );
}

#[test]
fn rtcp_mux_sends_rtcp_to_the_rtp_port() {
    let offer = PYVOIP.replace("a=sendrecv", "a=sendrecv\r\na=rtcp-mux");
    let (_, media) = answer(&offer, &PCMU_PCMA).expect("answer");
    assert_eq!(media.remote_rtcp, media.remote_rtp);
}

#[test]
fn offer_lists_our_codecs_and_events() {
    let offer = create_offer(&local(&PCMU_PCMA));
    let text = offer.to_string();
    assert_eq!(
        text,
        "v=0\r\no=- 77 1 IN IP4 192.0.2.10\r\ns=voxgate\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
         m=audio 20000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
    );
    assert_eq!(SessionDescription::parse(&text), Ok(offer));
}

#[test]
fn uac_side_reads_the_answer() {
    let offer = create_offer(&local(&PCMU_PCMA));
    let carrier_answer = SessionDescription::parse(
        "v=0\r\no=- 5 5 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n\
         m=audio 31000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n",
    )
    .expect("answer parses");
    let media = negotiated_from_answer(&offer, &carrier_answer).expect("agreed");
    assert_eq!((media.codec, media.payload_type), (AudioCodec::Pcma, 8));
    assert_eq!(media.remote_rtp, addr("10.1.1.1:31000"));
    assert_eq!(media.telephone_event.map(|e| e.payload_type), Some(101));
    assert_eq!(media.direction, Direction::SendRecv);

    // Our own answer to our own offer agrees with what the answerer negotiated.
    let (answer, answerer) = create_answer(&offer, &local(&PCMA_PCMU)).expect("answer");
    let offerer = negotiated_from_answer(&offer, &answer).expect("agreed");
    assert_eq!(offerer.codec, answerer.codec);
    assert_eq!(offerer.telephone_event, answerer.telephone_event);

    let mut held = offer.clone();
    held.media[0].direction = Direction::SendOnly;
    let recvonly = SessionDescription::parse(
        &carrier_answer
            .to_string()
            .replace("a=sendrecv", "a=recvonly"),
    )
    .expect("parses");
    assert_eq!(
        negotiated_from_answer(&held, &recvonly).map(|m| m.direction),
        Ok(Direction::SendOnly)
    );

    let rejected = SessionDescription::parse(
        "v=0\r\no=- 5 5 IN IP4 10.1.1.1\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n",
    )
    .expect("parses");
    assert_eq!(
        negotiated_from_answer(&offer, &rejected),
        Err(SdpError::NoAudioStream)
    );

    let foreign_codec = SessionDescription::parse(
        "v=0\r\no=- 5 5 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n\
         m=audio 31000 RTP/AVP 18\r\n",
    )
    .expect("parses");
    assert_eq!(
        negotiated_from_answer(&offer, &foreign_codec),
        Err(SdpError::NoCommonCodec)
    );
}

fn sdp_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("v=0".to_owned()),
        Just("o=- 1 2 IN IP4 10.0.0.1".to_owned()),
        Just("c=IN IP4 10.0.0.2".to_owned()),
        Just("c=IN IP6 ::1".to_owned()),
        Just("m=audio 4000 RTP/AVP 0 8 101".to_owned()),
        Just("m=video 0 RTP/AVP 96".to_owned()),
        Just("a=rtpmap:101 telephone-event/8000".to_owned()),
        Just("a=rtpmap:0 PCMU/8000".to_owned()),
        Just("a=fmtp:101 0-16".to_owned()),
        Just("a=sendonly".to_owned()),
        Just("a=rtcp:4001".to_owned()),
        Just("a=ptime:20".to_owned()),
        "[a-z]=[ -~]{0,30}",
        "[ -~]{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_never_panics_and_display_round_trips(lines in prop::collection::vec(sdp_line(), 0..16)) {
        let text = lines.join("\r\n");
        if let Ok(sdp) = SessionDescription::parse(&text) {
            let printed = sdp.to_string();
            prop_assert_eq!(SessionDescription::parse(&printed), Ok(sdp.clone()));
            let _ = create_answer(&sdp, &local(&PCMU_PCMA));
            let _ = negotiated_from_answer(&create_offer(&local(&PCMU_PCMA)), &sdp);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = SessionDescription::parse(&text);
    }
}
