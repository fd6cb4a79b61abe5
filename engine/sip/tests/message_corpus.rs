//! The message front against the corpus in `tests/corpus/`: `ok_*.sip` must parse,
//! `err_*.sip` must be rejected with the right error, and nothing may panic on mutations.

use std::path::PathBuf;

use proptest::prelude::*;
use voxgate_sip::message::{
    ParseError, StreamFramer, bad_request, header_value, header_values, normalise, parse,
};
use voxgate_sip::rsip;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Every corpus file whose name starts with `prefix`, as (file name, bytes).
fn corpus(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("corpus directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sip"))
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            name.starts_with(prefix)
                .then(|| (name, std::fs::read(&path).expect("corpus file")))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files with prefix {prefix}");
    files
}

fn load(name: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join(name)).expect("corpus file")
}

#[test]
fn every_ok_file_parses_and_normalising_is_idempotent() {
    for (name, bytes) in corpus("ok_") {
        let message = parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let once = normalise(&bytes).expect("normalises");
        assert_eq!(normalise(&once).as_ref(), Ok(&once), "{name}");
        let printed = message.to_string();
        let reparsed = parse(printed.as_bytes()).unwrap_or_else(|e| panic!("{name} reprint: {e}"));
        assert_eq!(reparsed, message, "{name}");
    }
}

#[test]
fn every_err_file_is_rejected_with_the_expected_error() {
    let expected = |name: &str, error: &ParseError| -> bool {
        match name {
            "err_empty.sip" | "err_only_crlf.sip" | "err_truncated_headers.sip" => {
                *error == ParseError::Truncated
            }
            "err_body_shorter_than_content_length.sip" => {
                matches!(error, ParseError::BodyTruncated { .. })
            }
            "err_negative_content_length.sip"
            | "err_content_length_not_a_number.sip"
            | "err_conflicting_content_length.sip" => {
                matches!(error, ParseError::BadContentLength(_))
            }
            "err_bad_utf8_header.sip" => *error == ParseError::BadEncoding,
            "err_garbage.sip" => true,
            "err_missing_call_id.sip" => *error == ParseError::MissingHeader("Call-ID"),
            "err_missing_via.sip" => *error == ParseError::MissingHeader("Via"),
            "err_missing_cseq.sip" => *error == ParseError::MissingHeader("CSeq"),
            "err_missing_from.sip" => *error == ParseError::MissingHeader("From"),
            "err_unknown_method.sip" => *error == ParseError::UnknownMethod("NEWMETHOD".into()),
            "err_too_many_headers.sip" => matches!(error, ParseError::TooManyHeaders { .. }),
            _ => matches!(error, ParseError::Malformed(_)),
        }
    };
    for (name, bytes) in corpus("err_") {
        match parse(&bytes) {
            Ok(message) => panic!("{name} parsed: {message}"),
            Err(error) => assert!(expected(&name, &error), "{name}: unexpected {error:?}"),
        }
    }
}

#[test]
fn bad_request_answers_requests_that_keep_their_dialog_headers() {
    let unanswerable = [
        "err_empty.sip",
        "err_only_crlf.sip",
        "err_garbage.sip",
        "err_text_garbage.sip",
        "err_missing_call_id.sip",
        "err_missing_via.sip",
        "err_missing_cseq.sip",
        "err_missing_from.sip",
        "err_truncated_headers.sip",
        "err_continuation_before_headers.sip",
        "err_nul_in_header.sip",
        "err_bare_cr_in_header.sip",
    ];
    for (name, bytes) in corpus("err_") {
        let response = bad_request(&bytes);
        if unanswerable.contains(&name.as_str()) {
            assert_eq!(response, None, "{name}");
            continue;
        }
        let response = response.unwrap_or_else(|| panic!("{name}: no 400"));
        let message = rsip::SipMessage::try_from(response.as_slice())
            .unwrap_or_else(|e| panic!("{name}: our 400 does not parse: {e}"));
        let rsip::SipMessage::Response(response) = message else {
            panic!("{name}: not a response");
        };
        assert_eq!(response.status_code, rsip::StatusCode::BadRequest, "{name}");
    }
    assert_eq!(bad_request(&load("ok_200_ok_with_sdp.sip")), None);
}

#[test]
fn bad_request_reason_says_what_was_wrong() {
    let response = bad_request(&load("err_body_shorter_than_content_length.sip")).expect("a 400");
    let status_line = response
        .split(|b| *b == b'\r')
        .next()
        .map(String::from_utf8_lossy)
        .expect("status line");
    assert!(
        status_line.starts_with("SIP/2.0 400 Bad Request (body truncated"),
        "{status_line}"
    );
}

#[test]
fn compact_folded_and_spaced_headers_come_out_canonical() {
    let compact = parse(&load("ok_compact_forms.sip")).expect("compact");
    assert_eq!(header_value(&compact, "Call-ID"), Some("0ha0isndaksdjf"));
    assert_eq!(header_value(&compact, "Supported"), Some("timer"));
    assert_eq!(header_value(&compact, "Content-Encoding"), Some("identity"));
    let folded = parse(&load("ok_folded_headers.sip")).expect("folded");
    assert_eq!(
        header_value(&folded, "Subject"),
        Some("I know you're there, pick up the phone and talk to me!")
    );
    assert_eq!(
        header_value(&folded, "From"),
        Some("<sip:alice@example.org> ;tag=88sja8x")
    );
    let spaced = parse(&load("ok_space_before_colon.sip")).expect("spaced");
    assert_eq!(header_value(&spaced, "Call-ID"), Some("sp.1"));
}

#[test]
fn multi_value_via_gives_every_hop_in_order() {
    let message = parse(&load("ok_multi_value_via.sip")).expect("multi via");
    let branches: Vec<_> = header_values(&message, "Via")
        .map(|via| via.rsplit("branch=").next().unwrap_or_default())
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        branches,
        ["z9hG4bK2d4790.1", "z9hG4bK776asdhds", "z9hG4bKthird"]
    );
}

#[test]
fn lf_only_and_trailing_bytes_parse_like_the_clean_invite() {
    let clean = parse(&load("ok_invite_with_sdp.sip")).expect("clean");
    for name in [
        "ok_lf_only.sip",
        "ok_trailing_bytes_after_body.sip",
        "ok_leading_crlf.sip",
    ] {
        let other = parse(&load(name)).expect(name);
        assert_eq!(other.body(), clean.body(), "{name}");
        assert_eq!(other, clean, "{name}");
    }
}

#[test]
fn well_formed_messages_round_trip_through_rsip() {
    for name in [
        "ok_invite_with_sdp.sip",
        "ok_200_ok_with_sdp.sip",
        "ok_register.sip",
        "ok_bye.sip",
    ] {
        let bytes = load(name);
        let message = parse(&bytes).expect(name);
        assert_eq!(message.to_string().as_bytes(), bytes.as_slice(), "{name}");
    }
}

#[test]
fn framer_splits_the_ok_corpus_sent_as_one_stream() {
    let names = [
        "ok_invite_with_sdp.sip",
        "ok_200_ok_with_sdp.sip",
        "ok_register.sip",
        "ok_bye.sip",
        "ok_utf8_display_name.sip",
    ];
    let mut stream = Vec::new();
    for name in names {
        stream.extend_from_slice(&load(name));
        stream.extend_from_slice(b"\r\n\r\n");
    }
    let mut framer = StreamFramer::new();
    let mut frames = Vec::new();
    for chunk in stream.chunks(37) {
        framer.push(chunk);
        while let Some(frame) = framer.next_message() {
            frames.push(frame.expect("frames"));
        }
    }
    assert_eq!(frames.len(), names.len());
    for (frame, name) in frames.iter().zip(names) {
        assert_eq!(frame, &load(name), "{name}");
    }
    assert_eq!(framer.take_pings(), names.len());
}

/// Bytes of one corpus file chosen by index, then mutated.
fn mutated_corpus_message() -> impl Strategy<Value = Vec<u8>> {
    let files: Vec<Vec<u8>> = corpus("").into_iter().map(|(_, bytes)| bytes).collect();
    let count = files.len();
    (
        0..count,
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..8),
    )
        .prop_map(move |(which, edits)| {
            let mut bytes = files.get(which).cloned().unwrap_or_default();
            for (at, byte, kind) in edits {
                if bytes.is_empty() {
                    bytes.push(byte);
                    continue;
                }
                let i = at.index(bytes.len());
                match kind {
                    0 => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    2 => {
                        bytes.remove(i);
                    }
                    _ => bytes.truncate(i),
                }
            }
            bytes
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mutated_messages_never_panic(bytes in mutated_corpus_message()) {
        let parsed = parse(&bytes);
        let _ = bad_request(&bytes);
        if let Ok(normalised) = normalise(&bytes) {
            prop_assert_eq!(normalise(&normalised), Ok(normalised.clone()));
        }
        if let Ok(message) = parsed {
            let _ = header_value(&message, "Via");
        }
        let mut framer = StreamFramer::new();
        framer.push(&bytes);
        while let Some(Ok(_)) = framer.next_message() {}
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
        let _ = bad_request(&bytes);
        let mut framer = StreamFramer::new();
        framer.push(&bytes);
        while let Some(Ok(_)) = framer.next_message() {}
    }
}
