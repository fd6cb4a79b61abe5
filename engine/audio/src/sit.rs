//! Special Information Tone (SIT) detection in early media, sans-IO and streaming.
//!
//! A SIT is three rising tones a network plays before an announcement that explains why a call
//! failed. ITU-T E.180 (and Q.35) define the envelope: 950 ± 50 Hz, 1400 ± 50 Hz and
//! 1800 ± 50 Hz, 330 ± 70 ms each. The North American refinement (AT&T/Bellcore, now
//! Telcordia GR-1162 / SR-2275 "Notes on the Networks") encodes the failure in the first two
//! segments: each is short (274 ms) or long (380 ms), and low (913.8 / 1370.6 Hz) or high
//! (985.2 / 1428.5 Hz); the third is always 1776.7 Hz, long. The assigned codes:
//!
//! | code | meaning | 1st segment | 2nd segment | [`SitCategory`] |
//! | --- | --- | --- | --- | --- |
//! | IC | intercept (vacant number, changed number) | 913.8 Hz short | 1370.6 Hz short | `Intercept` |
//! | VC | vacant code | 985.2 Hz long | 1370.6 Hz short | `VacantCode` |
//! | NC' | no circuit, intra-LATA | 985.2 Hz long | 1428.5 Hz long | `NoCircuit` |
//! | NC'' | no circuit, inter-LATA | 913.8 Hz long | 1370.6 Hz long | `NoCircuit` |
//! | RO' | reorder, intra-LATA | 913.8 Hz short | 1428.5 Hz long | `Reorder` |
//! | RO'' | reorder, inter-LATA | 985.2 Hz short | 1370.6 Hz long | `Reorder` |
//! | IO | ineffective other | 913.8 Hz long | 1428.5 Hz short | `IneffectiveOther` |
//! | - | reserved for future use | 985.2 Hz short | 1428.5 Hz short | `Unassigned` |
//!
//! A segment measured under 300 ms is short, over 350 ms long, and in between may be either:
//! a receiver's jitter buffer drops or repeats a 20 ms frame now and then, so a long segment can
//! arrive 60 ms short. Of the table's rows with the measured frequencies whose lengths fit, the
//! one nearest to the measured durations wins. A three-tone sequence inside the SIT envelope that
//! fits no row is reported as [`SitCategory::Unassigned`]: it is still a SIT, so the call still
//! failed.
//!
//! [`SitDetector`] takes the callee's decoded PCM before the answer in chunks of any size and
//! reports the first complete sequence once; [`sit_samples`] generates a standard tone.

use std::fmt;

use serde::Serialize;

mod detector;
#[cfg(test)]
mod tests;

pub use detector::SitDetector;

/// First-segment frequencies (Hz): low, high.
pub(crate) const FIRST_HZ: [f32; 2] = [913.8, 985.2];
/// Second-segment frequencies (Hz): low, high.
pub(crate) const SECOND_HZ: [f32; 2] = [1370.6, 1428.5];
/// The third segment's one frequency (Hz).
pub(crate) const THIRD_HZ: f32 = 1776.7;
/// Nominal short segment (ms).
const SHORT_MS: u32 = 274;
/// Nominal long segment (ms).
const LONG_MS: u32 = 380;
/// Measured durations from here up may be long (nominal 380 ms less three lost frames).
const MAY_BE_LONG_FROM_MS: u32 = 300;
/// Measured durations up to here may be short (nominal 274 ms plus three repeated frames).
const MAY_BE_SHORT_UNTIL_MS: u32 = 350;
/// Peak amplitude of a 0 dBm0 sine in 16-bit linear PCM (G.711: a full-scale sine is +3.14 dBm0).
pub(crate) const DBM0_PEAK: f32 = 22_700.0;
/// Level of generated tones (dBm0).
const GENERATED_DBM0: f32 = -13.0;

/// What a SIT says about the failed call (the Telcordia category of its pattern).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SitCategory {
    /// IC: the number is vacant, changed or intercepted by an operator.
    Intercept,
    /// VC: the dialled code (area or exchange) is not in service.
    #[serde(rename = "vacant")]
    VacantCode,
    /// NC: no circuit available (trunk blockage, emergency), intra- or inter-LATA.
    NoCircuit,
    /// RO: reorder (equipment irregularity), intra- or inter-LATA.
    Reorder,
    /// IO: ineffective other (e.g. a call that cannot be completed as dialled).
    IneffectiveOther,
    /// A SIT whose pattern is reserved or not assigned a meaning.
    Unassigned,
}

impl SitCategory {
    /// Every category.
    pub const ALL: [SitCategory; 6] = [
        SitCategory::Intercept,
        SitCategory::VacantCode,
        SitCategory::NoCircuit,
        SitCategory::Reorder,
        SitCategory::IneffectiveOther,
        SitCategory::Unassigned,
    ];

    /// Stable name for records and configuration: `intercept`, `vacant`, `no_circuit`,
    /// `reorder`, `ineffective_other` or `unassigned`.
    pub fn as_str(self) -> &'static str {
        match self {
            SitCategory::Intercept => "intercept",
            SitCategory::VacantCode => "vacant",
            SitCategory::NoCircuit => "no_circuit",
            SitCategory::Reorder => "reorder",
            SitCategory::IneffectiveOther => "ineffective_other",
            SitCategory::Unassigned => "unassigned",
        }
    }

    /// The Telcordia two-letter code (`IC`, `VC`, `NC`, `RO`, `IO`; `--` for unassigned).
    pub fn code(self) -> &'static str {
        match self {
            SitCategory::Intercept => "IC",
            SitCategory::VacantCode => "VC",
            SitCategory::NoCircuit => "NC",
            SitCategory::Reorder => "RO",
            SitCategory::IneffectiveOther => "IO",
            SitCategory::Unassigned => "--",
        }
    }

    /// The category of the first two segments as measured: `(high, duration_ms)` each. The
    /// nearest row of the table whose frequencies match and whose lengths fit (see the module
    /// docs), or `Unassigned` when none fits.
    pub(crate) fn of_segments(first: (bool, u32), second: (bool, u32)) -> SitCategory {
        let fits = |(high, ms): (bool, u32), v: Variant| {
            v.high == high
                && if v.long {
                    ms >= MAY_BE_LONG_FROM_MS
                } else {
                    ms <= MAY_BE_SHORT_UNTIL_MS
                }
        };
        let distance = |(_, ms): (bool, u32), v: Variant| ms.abs_diff(v.nominal_ms());
        PATTERNS
            .iter()
            .filter(|(_, f, s)| fits(first, *f) && fits(second, *s))
            .min_by_key(|(_, f, s)| distance(first, *f) + distance(second, *s))
            .map_or(SitCategory::Unassigned, |(category, _, _)| *category)
    }

    /// The pattern [`sit_samples`] plays: the first row of the table for the category, and
    /// the reserved pattern for `Unassigned` (which has no row).
    fn canonical_pattern(self) -> (Variant, Variant) {
        PATTERNS
            .iter()
            .find(|(category, _, _)| *category == self)
            .map_or(RESERVED, |(_, f, s)| (*f, *s))
    }
}

impl fmt::Display for SitCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SitCategory::Intercept => "intercept",
            SitCategory::VacantCode => "vacant code",
            SitCategory::NoCircuit => "no circuit",
            SitCategory::Reorder => "reorder",
            SitCategory::IneffectiveOther => "ineffective other",
            SitCategory::Unassigned => "unassigned",
        })
    }
}

/// The frequency and length class of one of the first two segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Variant {
    /// The higher of the two frequencies of the segment's band.
    pub(crate) high: bool,
    /// Long (380 ms) rather than short (274 ms).
    pub(crate) long: bool,
}

impl Variant {
    /// The segment's nominal duration (ms).
    pub(crate) fn nominal_ms(self) -> u32 {
        if self.long { LONG_MS } else { SHORT_MS }
    }
}

const LOW_SHORT: Variant = Variant {
    high: false,
    long: false,
};
const LOW_LONG: Variant = Variant {
    high: false,
    long: true,
};
const HIGH_SHORT: Variant = Variant {
    high: true,
    long: false,
};
const HIGH_LONG: Variant = Variant {
    high: true,
    long: true,
};

/// The first two segments of the code reserved for future use.
const RESERVED: (Variant, Variant) = (HIGH_SHORT, HIGH_SHORT);

/// The Telcordia table (see the module docs); the first row of a category is its canonical form.
const PATTERNS: [(SitCategory, Variant, Variant); 7] = [
    (SitCategory::Intercept, LOW_SHORT, LOW_SHORT),
    (SitCategory::VacantCode, HIGH_LONG, LOW_SHORT),
    (SitCategory::NoCircuit, HIGH_LONG, HIGH_LONG),
    (SitCategory::NoCircuit, LOW_LONG, LOW_LONG),
    (SitCategory::Reorder, LOW_SHORT, HIGH_LONG),
    (SitCategory::Reorder, HIGH_SHORT, LOW_LONG),
    (SitCategory::IneffectiveOther, LOW_LONG, HIGH_SHORT),
];

/// One tone segment as measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SitSegment {
    /// Measured frequency (Hz), from the phase advance of the tone between 10 ms frames.
    pub frequency_hz: f32,
    /// Measured duration (ms), to within a few milliseconds.
    pub duration_ms: u32,
}

impl fmt::Display for SitSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.0} Hz {} ms", self.frequency_hz, self.duration_ms)
    }
}

/// A detected SIT: its category and the three segments as measured (the evidence).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SitTone {
    /// What the pattern means.
    pub category: SitCategory,
    /// The three segments in order.
    pub segments: [SitSegment; 3],
}

impl fmt::Display for SitTone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c] = &self.segments;
        write!(f, "SIT {}: {a}, {b}, {c}", self.category)
    }
}

/// A standard SIT of `category` (its first pattern in the table) as 16-bit PCM at `sample_rate`:
/// three contiguous segments of nominal frequency and length at -13 dBm0, each starting at
/// zero phase. An empty vector for a zero rate.
pub fn sit_samples(category: SitCategory, sample_rate: u32) -> Vec<i16> {
    let (first, second) = category.canonical_pattern();
    let segments = [
        (FIRST_HZ[usize::from(first.high)], first.nominal_ms()),
        (SECOND_HZ[usize::from(second.high)], second.nominal_ms()),
        (THIRD_HZ, LONG_MS),
    ];
    let amplitude = DBM0_PEAK * 10f32.powf(GENERATED_DBM0 / 20.0);
    let rate = f64::from(sample_rate);
    let mut out = Vec::new();
    for (frequency, ms) in segments {
        let len = u64::from(sample_rate) * u64::from(ms) / 1000;
        let step = std::f64::consts::TAU * f64::from(frequency) / rate;
        out.extend((0..len).map(|n| {
            // |sample| <= amplitude < i16::MAX: the cast cannot saturate.
            (f64::from(amplitude) * (step * n as f64).sin()).round() as i16
        }));
    }
    out
}
