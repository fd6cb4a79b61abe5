//! baresip's ctrl_tcp protocol: netstring-framed JSON commands, responses and events.

use std::io::{self, BufRead, BufReader, Read};

/// Largest netstring accepted (baresip's messages are well under 1 KB).
const MAX_NETSTRING: usize = 1 << 20;

/// An event baresip reported, e.g. `CALL_INCOMING`, `CALL_ESTABLISHED`, `CALL_DTMF_START`,
/// `CALL_CLOSED`.
#[derive(Debug, Clone, PartialEq)]
pub struct BaresipEvent {
    /// The event type, e.g. `CALL_CLOSED`.
    pub kind: String,
    /// `param`: for `CALL_CLOSED` the reason (`486 Busy Here`, `Connection reset by peer`,
    /// `end of file`), for `CALL_DTMF_START` the digit, for `CALL_INCOMING` the caller URI.
    pub param: String,
    /// baresip's call id (the SIP Call-ID), when the event belongs to a call.
    pub call_id: Option<String>,
    /// `incoming` or `outgoing`, when the event belongs to a call.
    pub direction: Option<String>,
    /// The remote party's URI, when known.
    pub peer_uri: Option<String>,
    /// The whole JSON object.
    pub raw: serde_json::Value,
}

/// One message from baresip.
#[derive(Debug, Clone, PartialEq)]
pub enum CtrlMessage {
    /// An unsolicited event.
    Event(BaresipEvent),
    /// The answer to a command.
    Response {
        /// Whether the command succeeded.
        ok: bool,
        /// Its output text.
        data: String,
        /// The token the command carried.
        token: Option<String>,
    },
}

/// Frames `payload` as a netstring: `<len>:<payload>,`.
pub fn netstring(payload: &[u8]) -> Vec<u8> {
    let mut framed = format!("{}:", payload.len()).into_bytes();
    framed.extend_from_slice(payload);
    framed.push(b',');
    framed
}

/// A command as baresip expects it.
pub fn command_json(command: &str, params: &str, token: &str) -> Vec<u8> {
    let json = serde_json::json!({ "command": command, "params": params, "token": token });
    netstring(json.to_string().as_bytes())
}

/// Reads netstrings one by one.
#[derive(Debug)]
pub struct NetstringReader<R> {
    reader: BufReader<R>,
}

impl<R: Read> NetstringReader<R> {
    /// Wraps a byte stream.
    pub fn new(inner: R) -> Self {
        NetstringReader {
            reader: BufReader::new(inner),
        }
    }

    /// The next payload; `Ok(None)` at a clean end of stream, an error on bad framing.
    pub fn next_payload(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut length = Vec::new();
        self.reader.read_until(b':', &mut length)?;
        if length.is_empty() {
            return Ok(None);
        }
        if length.pop() != Some(b':') || length.is_empty() || length.len() > 8 {
            return Err(bad("netstring length not terminated by ':'"));
        }
        let length: usize = std::str::from_utf8(&length)
            .ok()
            .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(|| bad("netstring length is not a number"))?;
        if length > MAX_NETSTRING {
            return Err(bad("netstring too long"));
        }
        let mut payload = vec![0; length + 1];
        self.reader.read_exact(&mut payload)?;
        if payload.pop() != Some(b',') {
            return Err(bad("netstring not terminated by ','"));
        }
        Ok(Some(payload))
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// Interprets one JSON payload; `None` for anything that is neither event nor response.
pub fn parse_message(payload: &[u8]) -> Option<CtrlMessage> {
    let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
    let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_string);
    if value.get("event").and_then(|v| v.as_bool()) == Some(true) {
        return Some(CtrlMessage::Event(BaresipEvent {
            kind: text("type")?,
            param: text("param").unwrap_or_default(),
            call_id: text("id"),
            direction: text("direction"),
            peer_uri: text("peeruri"),
            raw: value,
        }));
    }
    if value.get("response").and_then(|v| v.as_bool()) == Some(true) {
        return Some(CtrlMessage::Response {
            ok: value.get("ok").and_then(|v| v.as_bool()).unwrap_or(false),
            data: text("data").unwrap_or_default(),
            token: text("token"),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_reads_netstrings() {
        let mut stream = netstring(b"hello");
        stream.extend(netstring(b""));
        stream.extend(netstring(b"{\"a\":1}"));
        assert_eq!(&stream[..8], b"5:hello,");
        let mut reader = NetstringReader::new(&stream[..]);
        assert_eq!(reader.next_payload().unwrap().unwrap(), b"hello");
        assert_eq!(reader.next_payload().unwrap().unwrap(), b"");
        assert_eq!(reader.next_payload().unwrap().unwrap(), b"{\"a\":1}");
        assert_eq!(reader.next_payload().unwrap(), None);
    }

    #[test]
    fn rejects_broken_framing() {
        for broken in [&b"5:hello;"[..], b"x:hello,", b"99999999999:a,", b"3:ab"] {
            let mut reader = NetstringReader::new(broken);
            assert!(
                reader.next_payload().is_err(),
                "{:?}",
                String::from_utf8_lossy(broken)
            );
        }
    }

    #[test]
    fn parses_events_and_responses_as_baresip_sends_them() {
        let event = br#"{"event":true,"type":"CALL_CLOSED","class":"call","accountaor":"sip:baresip@127.0.0.1:15061","direction":"outgoing","peeruri":"sip:baresip@127.0.0.1:16000","id":"7fe727314edb7fd6","param":"486 Busy Here"}"#;
        match parse_message(event) {
            Some(CtrlMessage::Event(e)) => {
                assert_eq!(e.kind, "CALL_CLOSED");
                assert_eq!(e.param, "486 Busy Here");
                assert_eq!(e.call_id.as_deref(), Some("7fe727314edb7fd6"));
                assert_eq!(e.direction.as_deref(), Some("outgoing"));
                assert_eq!(e.peer_uri.as_deref(), Some("sip:baresip@127.0.0.1:16000"));
            }
            other => panic!("{other:?}"),
        }
        let response =
            br#"{"response":true,"ok":false,"data":"command not found (answer)\n","token":"t1"}"#;
        assert_eq!(
            parse_message(response),
            Some(CtrlMessage::Response {
                ok: false,
                data: "command not found (answer)\n".into(),
                token: Some("t1".into()),
            })
        );
        assert_eq!(parse_message(b"{\"other\":1}"), None);
        assert_eq!(parse_message(b"not json"), None);
    }

    #[test]
    fn commands_are_netstring_json() {
        let framed = command_json("dial", "sip:baresip@127.0.0.1:5060", "vg1");
        let payload = NetstringReader::new(&framed[..])
            .next_payload()
            .unwrap()
            .unwrap();
        let value: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(value["command"], "dial");
        assert_eq!(value["params"], "sip:baresip@127.0.0.1:5060");
        assert_eq!(value["token"], "vg1");
    }
}
