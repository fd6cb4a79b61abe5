//! The codec layer's error type.

/// Errors from parsing codec payloads received from the network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// A telephone-event payload shorter than its fixed 4-byte size.
    #[error("telephone-event payload is {len} bytes, expected at least 4")]
    TelephoneEventTooShort {
        /// Length of the payload received.
        len: usize,
    },
}
