//! Opus (`opus/48000/2`, RFC 7587) offer/answer, against SDP captured from real peers on
//! loopback: baresip 1.0.0 and linphonec 5.1.65 calling a SIPp UAS (their offers), and
//! answering a SIPp UAC that sent our Opus offer (their answers).

use std::net::{IpAddr, Ipv4Addr};

use voxgate_sip::sdp::{
    AudioCodec, LOCAL_OPUS_PARAMETERS, LocalMedia, NegotiatedMedia, OpusParameters, SdpError,
    SessionDescription, TelephoneEventFormat, create_answer, create_offer, negotiated_from_answer,
};

use AudioCodec::{Opus, Pcma, Pcmu};

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
    let reparsed = SessionDescription::parse(&answer.to_string()).expect("answer parses");
    assert_eq!(reparsed, answer);
    Ok((answer, negotiated))
}

fn event(payload_type: u8, clock_rate: u32) -> Option<TelephoneEventFormat> {
    Some(TelephoneEventFormat {
        payload_type,
        clock_rate,
    })
}

/// baresip 1.0.0 (Debian 12) calling, with the opus and g711 modules loaded.
const BARESIP_OFFER: &str = "v=0\r\n\
    o=- 1201275968 900555362 IN IP4 127.0.0.1\r\n\
    s=-\r\n\
    c=IN IP4 127.0.0.1\r\n\
    t=0 0\r\n\
    a=tool:baresip 1.0.0\r\n\
    m=audio 47012 RTP/AVP 96 0 8 101\r\n\
    a=rtpmap:96 opus/48000/2\r\n\
    a=fmtp:96 stereo=1;sprop-stereo=1\r\n\
    a=rtpmap:0 PCMU/8000\r\n\
    a=rtpmap:8 PCMA/8000\r\n\
    a=rtpmap:101 telephone-event/8000\r\n\
    a=fmtp:101 0-15\r\n\
    a=sendrecv\r\n\
    a=label:1\r\n\
    a=rtcp-rsize\r\n\
    a=ssrc:2592219883 cname:sip:baresip@127.0.0.1:5991\r\n\
    a=minptime:20\r\n\
    a=ptime:20\r\n";

/// linphonec 5.1.65 (Debian 12) calling with its default codec list.
const LINPHONE_OFFER: &str = "v=0\r\n\
    o=linphone 766 2866 IN IP4 127.0.0.1\r\n\
    s=Talk\r\n\
    c=IN IP4 127.0.0.1\r\n\
    t=0 0\r\n\
    a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n\
    m=audio 7078 RTP/AVP 96 97 98 0 8 18 99 100 101\r\n\
    a=rtpmap:96 opus/48000/2\r\n\
    a=fmtp:96 useinbandfec=1\r\n\
    a=rtpmap:97 speex/16000\r\n\
    a=fmtp:97 vbr=on\r\n\
    a=rtpmap:98 speex/8000\r\n\
    a=fmtp:98 vbr=on\r\n\
    a=fmtp:18 annexb=yes\r\n\
    a=rtpmap:99 telephone-event/48000\r\n\
    a=rtpmap:100 telephone-event/16000\r\n\
    a=rtpmap:101 telephone-event/8000\r\n\
    a=rtcp-fb:* trr-int 5000\r\n\
    a=rtcp-fb:* ccm tmmbr\r\n\
    m=video 9078 RTP/AVP 96 97\r\n\
    a=rtpmap:96 VP8/90000\r\n\
    a=rtpmap:97 H264/90000\r\n\
    a=fmtp:97 profile-level-id=42801F\r\n\
    a=rtcp-fb:* trr-int 5000\r\n\
    a=rtcp-fb:* ccm tmmbr\r\n\
    a=rtcp-fb:96 nack pli\r\n\
    a=rtcp-fb:96 nack sli\r\n\
    a=rtcp-fb:96 ack rpsi\r\n\
    a=rtcp-fb:96 ccm fir\r\n\
    a=rtcp-fb:97 nack pli\r\n\
    a=rtcp-fb:97 ccm fir\r\n";

/// baresip's answer to our `[Opus, Pcmu, Pcma]` offer.
const BARESIP_ANSWER: &str = "v=0\r\n\
    o=- 3336038909 673518767 IN IP4 127.0.0.1\r\n\
    s=-\r\n\
    c=IN IP4 127.0.0.1\r\n\
    t=0 0\r\n\
    a=tool:baresip 1.0.0\r\n\
    m=audio 47016 RTP/AVP 111 0 8 101\r\n\
    a=rtpmap:111 opus/48000/2\r\n\
    a=fmtp:111 stereo=1;sprop-stereo=1\r\n\
    a=rtpmap:0 PCMU/8000\r\n\
    a=rtpmap:8 PCMA/8000\r\n\
    a=rtpmap:101 telephone-event/8000\r\n\
    a=fmtp:101 0-15\r\n\
    a=sendrecv\r\n\
    a=label:1\r\n\
    a=ssrc:1687251564 cname:sip:baresip@127.0.0.1:5991\r\n\
    a=minptime:20\r\n\
    a=ptime:20\r\n";

/// linphonec's answer to our `[Opus, Pcmu, Pcma]` offer.
const LINPHONE_ANSWER: &str = "v=0\r\n\
    o=linphone 2294 1035 IN IP4 127.0.0.1\r\n\
    s=Talk\r\n\
    c=IN IP4 127.0.0.1\r\n\
    t=0 0\r\n\
    m=audio 7078 RTP/AVP 111 0 8 101 110\r\n\
    a=rtpmap:111 opus/48000/2\r\n\
    a=fmtp:111 useinbandfec=1\r\n\
    a=rtpmap:101 telephone-event/8000\r\n\
    a=rtpmap:110 telephone-event/48000\r\n";

const OPUS_ONLY_OFFER: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n\
    t=0 0\r\nm=audio 4000 RTP/AVP 109 126 127\r\na=rtpmap:109 OPUS/48000/2\r\n\
    a=fmtp:109 maxplaybackrate=8000;maxaveragebitrate=20000;usedtx=1\r\n\
    a=rtpmap:126 telephone-event/16000\r\na=rtpmap:127 telephone-event/8000\r\n";

#[test]
fn g711_stays_the_default_preference_against_real_opus_offers() {
    let (_, baresip) = answer(BARESIP_OFFER, &[Pcmu, Pcma, Opus]).expect("answer");
    assert_eq!((baresip.codec, baresip.payload_type), (Pcmu, 0));
    assert_eq!(baresip.telephone_event, event(101, 8000));
    assert_eq!(baresip.remote_opus, None);

    let (sdp, linphone) = answer(LINPHONE_OFFER, &[Pcma, Pcmu, Opus]).expect("answer");
    assert_eq!((linphone.codec, linphone.payload_type), (Pcma, 8));
    assert_eq!(linphone.telephone_event, event(101, 8000));
    assert!(sdp.to_string().contains("m=audio 20000 RTP/AVP 8 101\r\n"));
}

#[test]
fn baresip_offer_with_opus_first() {
    let (sdp, media) = answer(BARESIP_OFFER, &[Opus, Pcmu]).expect("answer");
    assert_eq!((media.codec, media.payload_type), (Opus, 96));
    // baresip offers telephone-event only at 8000 Hz, even with Opus.
    assert_eq!(media.telephone_event, event(101, 8000));
    let remote = media.remote_opus.expect("opus parameters");
    assert!(remote.stereo && remote.sprop_stereo && !remote.use_inband_fec);
    let text = sdp.to_string();
    assert!(text.contains("m=audio 20000 RTP/AVP 96 101\r\n"), "{text}");
    assert!(text.contains("a=rtpmap:96 opus/48000/2\r\n"), "{text}");
    assert!(
        text.contains(&format!("a=fmtp:96 {LOCAL_OPUS_PARAMETERS}\r\n")),
        "{text}"
    );
    assert!(text.contains("a=fmtp:101 0-15\r\n"), "{text}");
}

#[test]
fn linphone_offer_with_opus_first_uses_events_at_48k() {
    let (sdp, media) = answer(LINPHONE_OFFER, &[Opus, Pcma, Pcmu]).expect("answer");
    assert_eq!((media.codec, media.payload_type), (Opus, 96));
    assert_eq!(media.telephone_event, event(99, 48_000));
    assert!(media.remote_opus.expect("opus parameters").use_inband_fec);
    assert_eq!(sdp.media[1].port, 0, "video rejected");
    let text = sdp.to_string();
    assert!(text.contains("m=audio 20000 RTP/AVP 96 99\r\n"), "{text}");
    assert!(
        text.contains("a=rtpmap:99 telephone-event/48000\r\n"),
        "{text}"
    );
    assert!(text.contains("a=fmtp:99 0-16\r\n"), "{text}");
}

#[test]
fn opus_only_offer_needs_opus_in_our_list() {
    let (_, media) = answer(OPUS_ONLY_OFFER, &[Pcmu, Pcma, Opus]).expect("answer");
    assert_eq!((media.codec, media.payload_type), (Opus, 109));
    // No telephone-event at 48000 Hz offered: 8000 Hz beats the first listed (16000 Hz).
    assert_eq!(media.telephone_event, event(127, 8000));
    assert_eq!(
        media.remote_opus,
        Some(OpusParameters {
            max_playback_rate: Some(8000),
            max_average_bitrate: Some(20_000),
            use_dtx: true,
            ..OpusParameters::default()
        })
    );
    assert_eq!(
        answer(OPUS_ONLY_OFFER, &[Pcmu, Pcma]).map(|_| ()),
        Err(SdpError::NoCommonCodec)
    );
}

#[test]
fn opus_rtpmap_variants() {
    let offer = |rtpmap: &str| {
        format!(
            "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
             m=audio 4000 RTP/AVP 98\r\na=rtpmap:98 {rtpmap}\r\n"
        )
    };
    // Channel count left out: accepted, and the answer writes the RFC 7587 form.
    let (sdp, media) = answer(&offer("opus/48000"), &[Opus]).expect("answer");
    assert_eq!((media.codec, media.payload_type), (Opus, 98));
    assert_eq!(media.remote_opus, Some(OpusParameters::default()));
    assert!(sdp.to_string().contains("a=rtpmap:98 opus/48000/2\r\n"));
    // Opus always has a 48 kHz RTP clock.
    assert_eq!(
        answer(&offer("opus/16000/1"), &[Opus]).map(|_| ()),
        Err(SdpError::NoCommonCodec)
    );
    // No rtpmap: a dynamic payload type cannot be Opus.
    let bare = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                m=audio 4000 RTP/AVP 111\r\n";
    assert_eq!(
        answer(bare, &[Opus]).map(|_| ()),
        Err(SdpError::NoCommonCodec)
    );
}

#[test]
fn our_opus_offer() {
    let offer = create_offer(&local(&[Opus, Pcmu, Pcma]));
    let text = offer.to_string();
    assert_eq!(
        text,
        format!(
            "v=0\r\no=- 77 1 IN IP4 192.0.2.10\r\ns=voxgate\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
             m=audio 20000 RTP/AVP 111 0 8 101 110\r\na=rtpmap:111 opus/48000/2\r\n\
             a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
             a=rtpmap:101 telephone-event/8000\r\na=rtpmap:110 telephone-event/48000\r\n\
             a=fmtp:111 {LOCAL_OPUS_PARAMETERS}\r\na=fmtp:101 0-16\r\na=fmtp:110 0-16\r\n\
             a=ptime:20\r\na=sendrecv\r\n"
        )
    );
    assert_eq!(SessionDescription::parse(&text), Ok(offer));

    // G.711 first, Opus listed last; a codec listed twice is offered once.
    let offer = create_offer(&local(&[Pcmu, Pcma, Opus, Pcmu]));
    assert_eq!(offer.media[0].formats, [0, 8, 111, 101, 110]);
    // Without telephone-events there is nothing at 101 or 110.
    let mut quiet = local(&[Opus]);
    quiet.telephone_event = false;
    assert_eq!(create_offer(&quiet).media[0].formats, [111]);
}

#[test]
fn real_peers_answer_our_opus_offer() {
    let offer = create_offer(&local(&[Opus, Pcmu, Pcma]));

    let baresip = SessionDescription::parse(BARESIP_ANSWER).expect("parses");
    let media = negotiated_from_answer(&offer, &baresip).expect("agreed");
    assert_eq!((media.codec, media.payload_type), (Opus, 111));
    assert_eq!(media.telephone_event, event(101, 8000));
    assert!(media.remote_opus.expect("opus parameters").stereo);
    assert_eq!(media.remote_rtp.map(|a| a.port()), Some(47016));

    let linphone = SessionDescription::parse(LINPHONE_ANSWER).expect("parses");
    let media = negotiated_from_answer(&offer, &linphone).expect("agreed");
    assert_eq!((media.codec, media.payload_type), (Opus, 111));
    assert_eq!(media.telephone_event, event(110, 48_000));
    assert!(media.remote_opus.expect("opus parameters").use_inband_fec);
    assert_eq!(media.ptime, 20);
}

#[test]
fn offer_answer_round_trips_agree() {
    let lists: [&[AudioCodec]; 6] = [
        &[Opus],
        &[Opus, Pcmu, Pcma],
        &[Pcmu, Pcma, Opus],
        &[Pcma, Opus],
        &[Pcmu],
        &[Opus, Pcma],
    ];
    for ours in lists {
        for theirs in lists {
            let offer = create_offer(&local(ours));
            let Ok((answer, answerer)) = create_answer(&offer, &local(theirs)) else {
                assert!(
                    !ours.iter().any(|c| theirs.contains(c)),
                    "{ours:?} {theirs:?}"
                );
                continue;
            };
            let offerer = negotiated_from_answer(&offer, &answer).expect("agreed");
            let expected = theirs.iter().find(|c| ours.contains(c)).copied();
            assert_eq!(Some(answerer.codec), expected, "{ours:?} {theirs:?}");
            assert_eq!(offerer.codec, answerer.codec, "{ours:?} {theirs:?}");
            assert_eq!(offerer.payload_type, answerer.payload_type);
            assert_eq!(offerer.telephone_event, answerer.telephone_event);
            let rate = if answerer.codec == Opus { 48_000 } else { 8000 };
            assert_eq!(answerer.telephone_event.map(|e| e.clock_rate), Some(rate));
            let opus = (answerer.codec == Opus).then_some(LOCAL_OPUS_PARAMETERS);
            assert_eq!((offerer.remote_opus, answerer.remote_opus), (opus, opus));
        }
    }
}
