//! Cut a stream transport (TCP, TLS) into SIP messages (RFC 3261 §18.3).

use super::normalise::{find_header_end, long_name};
use super::{MAX_MESSAGE_SIZE, ParseError};

/// Splits a byte stream into complete SIP messages using the empty line after the headers and
/// `Content-Length`.
///
/// Push bytes as they arrive with [`push`](Self::push), then call
/// [`next_message`](Self::next_message) until it returns `None`. CRLF keep-alives between
/// messages (RFC 5626 "ping" `CRLFCRLF`) are skipped and counted: answer each ping reported by
/// [`take_pings`](Self::take_pings) with a single CRLF "pong".
///
/// An error means the stream can no longer be framed (oversized message, bad or missing
/// `Content-Length`): close the connection. After an error the framer stays failed and
/// `next_message` returns `None`.
#[derive(Debug, Default)]
pub struct StreamFramer {
    buffer: Vec<u8>,
    /// Where to resume looking for the end of the header section.
    scanned: usize,
    pings: usize,
    failed: bool,
}

impl StreamFramer {
    /// An empty framer for a new connection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append bytes received from the stream. Ignored once the framer has failed.
    pub fn push(&mut self, bytes: &[u8]) {
        if !self.failed {
            self.buffer.extend_from_slice(bytes);
        }
    }

    /// Bytes buffered but not yet returned as a message.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Number of `CRLFCRLF` keep-alive pings seen since the last call.
    pub fn take_pings(&mut self) -> usize {
        std::mem::take(&mut self.pings)
    }

    /// The next complete message (raw bytes, ready for [`parse`](super::parse)), `None` if more
    /// bytes are needed, or an error after which the connection should be closed.
    pub fn next_message(&mut self) -> Option<Result<Vec<u8>, ParseError>> {
        if self.failed {
            return None;
        }
        self.skip_keepalives();
        if self.buffer.is_empty() {
            return None;
        }
        match self.frame() {
            Ok(Some(length)) => {
                let rest = self.buffer.split_off(length);
                let message = std::mem::replace(&mut self.buffer, rest);
                self.scanned = 0;
                Some(Ok(message))
            }
            Ok(None) => None,
            Err(error) => {
                self.failed = true;
                self.buffer = Vec::new();
                Some(Err(error))
            }
        }
    }

    /// Drop CR/LF between messages, counting each complete `CRLFCRLF` as a ping.
    fn skip_keepalives(&mut self) {
        let leading = self
            .buffer
            .iter()
            .position(|b| *b != b'\r' && *b != b'\n')
            .unwrap_or(self.buffer.len());
        if leading == 0 {
            return;
        }
        // Keep a trailing partial ping (e.g. "\r\n\r") to count it once complete.
        let skipped = if leading == self.buffer.len() {
            leading - leading % 4
        } else {
            leading
        };
        let crlfcrlf = self
            .buffer
            .get(..skipped)
            .unwrap_or_default()
            .windows(4)
            .step_by(4)
            .filter(|w| *w == b"\r\n\r\n")
            .count();
        self.pings += crlfcrlf;
        self.buffer.drain(..skipped);
        self.scanned = 0;
    }

    /// Total length of the first message if it is complete.
    fn frame(&mut self) -> Result<Option<usize>, ParseError> {
        let resume = self.scanned.saturating_sub(3);
        let Some((head_end, body_start)) = self
            .buffer
            .get(resume..)
            .and_then(find_header_end)
            .map(|(h, b)| (h + resume, b + resume))
        else {
            if self.buffer.len() > MAX_MESSAGE_SIZE {
                return Err(ParseError::TooLarge {
                    size: self.buffer.len(),
                    limit: MAX_MESSAGE_SIZE,
                });
            }
            self.scanned = self.buffer.len();
            return Ok(None);
        };
        let head = self.buffer.get(..head_end).unwrap_or_default();
        let body_length = match content_length(head)? {
            Some(length) => length,
            None if has_header(head, "Content-Type") => {
                return Err(ParseError::MissingContentLength);
            }
            None => 0,
        };
        let total = body_start.saturating_add(body_length);
        if total > MAX_MESSAGE_SIZE {
            return Err(ParseError::TooLarge {
                size: total,
                limit: MAX_MESSAGE_SIZE,
            });
        }
        Ok((self.buffer.len() >= total).then_some(total))
    }
}

/// Header lines of a raw header section as (name, value), without unfolding.
fn raw_headers(head: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    head.split(|b| *b == b'\n').skip(1).filter_map(|line| {
        let colon = line.iter().position(|b| *b == b':')?;
        let name = line.get(..colon)?.trim_ascii();
        let value = line.get(colon + 1..)?.trim_ascii();
        Some((name, value))
    })
}

fn is_named(name: &[u8], wanted: &str) -> bool {
    std::str::from_utf8(name).is_ok_and(|name| long_name(name).eq_ignore_ascii_case(wanted))
}

fn has_header(head: &[u8], wanted: &str) -> bool {
    raw_headers(head).any(|(name, _)| is_named(name, wanted))
}

/// The `Content-Length` of a raw header section; an error if it is not a number.
fn content_length(head: &[u8]) -> Result<Option<usize>, ParseError> {
    let Some((_, value)) = raw_headers(head).find(|(name, _)| is_named(name, "Content-Length"))
    else {
        return Ok(None);
    };
    let text = std::str::from_utf8(value).map_err(|_| ParseError::BadEncoding)?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::BadContentLength(
            text.chars().take(40).collect(),
        ));
    }
    text.parse()
        .map(Some)
        .map_err(|_| ParseError::BadContentLength(text.chars().take(40).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BYE: &[u8] = b"BYE sip:a@b SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n";
    const MESSAGE: &[u8] = b"MESSAGE sip:a@b SIP/2.0\r\nl: 5\r\nc: text/plain\r\n\r\nhello";

    #[test]
    fn splits_back_to_back_messages_fed_byte_by_byte() {
        let mut stream = Vec::new();
        stream.extend_from_slice(MESSAGE);
        stream.extend_from_slice(b"\r\n\r\n");
        stream.extend_from_slice(BYE);
        let mut framer = StreamFramer::new();
        let mut out = Vec::new();
        for byte in &stream {
            framer.push(std::slice::from_ref(byte));
            while let Some(message) = framer.next_message() {
                out.push(message.expect("frames"));
            }
        }
        assert_eq!(out, [MESSAGE.to_vec(), BYE.to_vec()]);
        assert_eq!(framer.take_pings(), 1);
        assert_eq!(framer.take_pings(), 0);
        assert_eq!(framer.buffered(), 0);
    }

    #[test]
    fn waits_for_the_whole_body() {
        let mut framer = StreamFramer::new();
        framer.push(MESSAGE.get(..MESSAGE.len() - 2).unwrap_or_default());
        assert_eq!(framer.next_message(), None);
        framer.push(b"lo");
        assert_eq!(framer.next_message(), Some(Ok(MESSAGE.to_vec())));
    }

    #[test]
    fn body_without_content_length_fails_and_stays_failed() {
        let mut framer = StreamFramer::new();
        framer.push(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Type: text/plain\r\n\r\nhi");
        assert_eq!(
            framer.next_message(),
            Some(Err(ParseError::MissingContentLength))
        );
        framer.push(BYE);
        assert_eq!(framer.next_message(), None);
    }

    #[test]
    fn oversize_header_section_fails() {
        let mut framer = StreamFramer::new();
        framer.push(b"INVITE sip:a@b SIP/2.0\r\nX-Pad: ");
        framer.push(&vec![b'a'; MAX_MESSAGE_SIZE]);
        assert!(matches!(
            framer.next_message(),
            Some(Err(ParseError::TooLarge { .. }))
        ));
    }

    #[test]
    fn oversize_content_length_fails_before_the_body_arrives() {
        let mut framer = StreamFramer::new();
        framer.push(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 9999999\r\n\r\n");
        assert!(matches!(
            framer.next_message(),
            Some(Err(ParseError::TooLarge { .. }))
        ));
    }

    #[test]
    fn garbage_content_length_fails() {
        let mut framer = StreamFramer::new();
        framer.push(b"MESSAGE sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n");
        assert!(matches!(
            framer.next_message(),
            Some(Err(ParseError::BadContentLength(_)))
        ));
    }
}
