//! The codec layer's error type.

/// Errors from codec payloads received from the network and from codec set-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// A telephone-event payload shorter than its fixed 4-byte size.
    #[error("telephone-event payload is {len} bytes, expected at least 4")]
    TelephoneEventTooShort {
        /// Length of the payload received.
        len: usize,
    },
    /// The codec cannot work on PCM at this sample rate.
    #[error("{codec} does not support PCM at {sample_rate} Hz")]
    UnsupportedSampleRate {
        /// Encoding name of the codec.
        codec: &'static str,
        /// The sample rate asked for.
        sample_rate: u32,
    },
    /// A PCM frame whose duration the codec cannot encode or conceal (Opus: 2.5 to 120 ms).
    #[error("{samples} samples at {sample_rate} Hz is not a valid frame duration")]
    InvalidFrameSize {
        /// Samples in the frame.
        samples: usize,
        /// PCM sample rate of the encoder or decoder.
        sample_rate: u32,
    },
    /// An encoder setting out of its range.
    #[error("invalid codec setting: {0}")]
    InvalidSetting(&'static str),
    /// libopus refused an operation (for a decoder: usually a corrupt packet).
    #[error("opus {operation}: {reason}")]
    Opus {
        /// The libopus function that failed.
        operation: &'static str,
        /// libopus's description of the error.
        reason: &'static str,
    },
}

impl From<::opus::Error> for CodecError {
    fn from(error: ::opus::Error) -> Self {
        CodecError::Opus {
            operation: error.function(),
            reason: error.description(),
        }
    }
}
