//! The guest's stdout and stderr: bounded in-memory buffers the session drains into its log
//! after every callback (so a guest panic message ends up in the fault detail). Output past the
//! cap is dropped, never an error: a chatty guest must not trap because of its own prints.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Bytes kept between two drains; the rest is counted and dropped.
pub(crate) const CAPTURE_CAP: usize = 16 * 1024;

#[derive(Debug, Default)]
struct Buffer {
    bytes: Vec<u8>,
    dropped: usize,
}

/// One captured output stream (clone = same buffer).
#[derive(Debug, Clone, Default)]
pub(crate) struct CapturedOutput {
    buffer: Arc<Mutex<Buffer>>,
}

impl CapturedOutput {
    /// Takes what was written since the last drain, as lossy UTF-8, plus a note of how many
    /// bytes were dropped.
    pub(crate) fn drain(&self) -> Option<String> {
        let mut buffer = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        if buffer.bytes.is_empty() && buffer.dropped == 0 {
            return None;
        }
        let mut text = String::from_utf8_lossy(&buffer.bytes).into_owned();
        if buffer.dropped > 0 {
            text.push_str(&format!("\n[{} more bytes dropped]", buffer.dropped));
        }
        buffer.bytes.clear();
        buffer.dropped = 0;
        Some(text)
    }

    fn write_bytes(&self, data: &[u8]) {
        let mut buffer = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        let room = CAPTURE_CAP.saturating_sub(buffer.bytes.len());
        let kept = room.min(data.len());
        buffer
            .bytes
            .extend_from_slice(data.get(..kept).unwrap_or_default());
        buffer.dropped += data.len() - kept;
    }
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        // Only the WASIp2 stream above is linked; p3 is not enabled.
        Box::new(tokio::io::sink())
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.write_bytes(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_up_to_the_cap_and_counts_the_rest() {
        let out = CapturedOutput::default();
        assert_eq!(out.drain(), None);
        out.write_bytes(b"hello\n");
        assert_eq!(out.drain().as_deref(), Some("hello\n"));
        out.write_bytes(&vec![b'x'; CAPTURE_CAP + 10]);
        let text = out.drain().unwrap();
        assert!(
            text.ends_with("[10 more bytes dropped]"),
            "{}",
            &text[text.len() - 40..]
        );
        assert_eq!(out.drain(), None);
    }
}
