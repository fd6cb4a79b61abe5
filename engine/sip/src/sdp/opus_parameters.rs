//! Opus `a=fmtp` parameters (RFC 7587 §6.1).

use std::fmt;

/// The Opus format parameters of one side: what it wants to receive, and (`sprop-*`) what
/// it sends. Absent parameters take RFC 7587's defaults (`None` / `false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpusParameters {
    /// `maxplaybackrate`: the highest sample rate worth sending to this side, in Hz.
    pub max_playback_rate: Option<u32>,
    /// `sprop-maxcapturerate`: the highest sample rate this side captures, in Hz.
    pub sprop_max_capture_rate: Option<u32>,
    /// `maxaveragebitrate`: the highest average bit rate this side wants to receive, in bit/s.
    pub max_average_bitrate: Option<u32>,
    /// `stereo=1`: this side prefers to receive stereo.
    pub stereo: bool,
    /// `sprop-stereo=1`: this side may send stereo.
    pub sprop_stereo: bool,
    /// `cbr=1`: this side wants constant bit rate.
    pub cbr: bool,
    /// `useinbandfec=1`: this side can use in-band FEC, so its peer should send it.
    pub use_inband_fec: bool,
    /// `usedtx=1`: this side prefers that its peer use DTX.
    pub use_dtx: bool,
}

/// What voxgate asks for in its offers and answers: mono, no FEC, no DTX, and audio up to
/// wideband (16 kHz): more than the telephone band for speech recognition, no more.
pub const LOCAL_OPUS_PARAMETERS: OpusParameters = OpusParameters {
    max_playback_rate: Some(16_000),
    sprop_max_capture_rate: Some(16_000),
    max_average_bitrate: None,
    stereo: false,
    sprop_stereo: false,
    cbr: false,
    use_inband_fec: false,
    use_dtx: false,
};

impl OpusParameters {
    /// Reads `a=fmtp` parameters (`key=value` separated by `;`, spaces allowed). Unknown keys
    /// and unreadable values are ignored, as RFC 7587 asks of receivers.
    pub fn parse(fmtp: &str) -> Self {
        let mut parameters = OpusParameters::default();
        for pair in fmtp.split(';') {
            let Some((key, value)) = pair.split_once('=') else {
                continue;
            };
            let value = value.trim();
            let number = value.parse::<u32>().ok();
            let flag = value == "1";
            match key.trim().to_ascii_lowercase().as_str() {
                "maxplaybackrate" => parameters.max_playback_rate = number,
                "sprop-maxcapturerate" => parameters.sprop_max_capture_rate = number,
                "maxaveragebitrate" => parameters.max_average_bitrate = number,
                "stereo" => parameters.stereo = flag,
                "sprop-stereo" => parameters.sprop_stereo = flag,
                "cbr" => parameters.cbr = flag,
                "useinbandfec" => parameters.use_inband_fec = flag,
                "usedtx" => parameters.use_dtx = flag,
                _ => {}
            }
        }
        parameters
    }
}

impl fmt::Display for OpusParameters {
    /// The `a=fmtp` value: every parameter that is set, `;`-separated, flags always written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(rate) = self.max_playback_rate {
            write!(f, "maxplaybackrate={rate};")?;
        }
        if let Some(rate) = self.sprop_max_capture_rate {
            write!(f, "sprop-maxcapturerate={rate};")?;
        }
        if let Some(bitrate) = self.max_average_bitrate {
            write!(f, "maxaveragebitrate={bitrate};")?;
        }
        if self.cbr {
            f.write_str("cbr=1;")?;
        }
        write!(
            f,
            "stereo={};sprop-stereo={};useinbandfec={};usedtx={}",
            u8::from(self.stereo),
            u8::from(self.sprop_stereo),
            u8::from(self.use_inband_fec),
            u8::from(self.use_dtx)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_real_peers_write() {
        let linphone = OpusParameters::parse("useinbandfec=1");
        assert!(linphone.use_inband_fec);
        assert_eq!(linphone.max_playback_rate, None);

        let baresip = OpusParameters::parse("stereo=1;sprop-stereo=1");
        assert!(baresip.stereo && baresip.sprop_stereo && !baresip.use_inband_fec);

        let browser = OpusParameters::parse(
            "minptime=10; useinbandfec=1; maxplaybackrate=24000; maxaveragebitrate=32000; usedtx=1",
        );
        assert_eq!(browser.max_playback_rate, Some(24_000));
        assert_eq!(browser.max_average_bitrate, Some(32_000));
        assert!(browser.use_dtx && browser.use_inband_fec);
    }

    #[test]
    fn ignores_garbage() {
        let parsed = OpusParameters::parse("maxplaybackrate=fast;;=;stereo;cbr=yes;x=1");
        assert_eq!(parsed, OpusParameters::default());
    }

    #[test]
    fn prints_and_reads_back() {
        let printed = LOCAL_OPUS_PARAMETERS.to_string();
        assert_eq!(
            printed,
            "maxplaybackrate=16000;sprop-maxcapturerate=16000;\
             stereo=0;sprop-stereo=0;useinbandfec=0;usedtx=0"
        );
        assert_eq!(OpusParameters::parse(&printed), LOCAL_OPUS_PARAMETERS);
        let all = OpusParameters {
            max_average_bitrate: Some(20_000),
            cbr: true,
            use_inband_fec: true,
            ..LOCAL_OPUS_PARAMETERS
        };
        assert_eq!(OpusParameters::parse(&all.to_string()), all);
    }
}
