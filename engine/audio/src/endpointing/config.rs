//! Endpointing settings: campaign defaults and per-prompt / per-listen overrides.

use serde::{Deserialize, Serialize};

use crate::AudioError;

/// Endpointing settings of a campaign (the base), deserialisable from TOML with defaults for
/// every missing field.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EndpointingConfig {
    /// Continuous speech needed before it counts (and, over a prompt, before it barges in).
    ///
    /// Default 200 ms: short answers ("yes", "对", "不用") last 200-400 ms, so they still
    /// count, while clicks, knocks, keyboard hits and most traffic transients are shorter, and a
    /// 200 ms (+ one VAD chunk) reaction stays below the ~300 ms at which callers feel the bot
    /// talks over them.
    pub min_speech_ms: u32,
    /// Silence that ends an utterance. Default 700 ms.
    pub end_silence_ms: u32,
    /// How long to wait for speech after [`crate::endpointing::Endpointer::listen`]. Default 5 s.
    pub no_input_ms: u32,
    /// Longest utterance; longer speech is cut into utterances of this length. Default 15 s.
    pub max_utterance_ms: u32,
    /// Whether speech interrupts a playing prompt. Default on.
    pub barge_in: bool,
    /// Probability at which a frame starts (or continues an onset of) speech. Default 0.5.
    pub start_threshold: f32,
    /// Probability down to which counted speech continues (hysteresis). Default 0.35.
    pub continue_threshold: f32,
}

impl Default for EndpointingConfig {
    fn default() -> Self {
        Self {
            min_speech_ms: 200,
            end_silence_ms: 700,
            no_input_ms: 5_000,
            max_utterance_ms: 15_000,
            barge_in: true,
            start_threshold: 0.5,
            continue_threshold: 0.35,
        }
    }
}

impl EndpointingConfig {
    /// Checks ranges: thresholds within 0..=1 with `continue_threshold <= start_threshold`, and
    /// `max_utterance_ms` above `min_speech_ms`. For config load time; the endpointer itself
    /// accepts any values without panicking.
    pub fn validate(&self) -> Result<(), AudioError> {
        let invalid = |reason: String| Err(AudioError::InvalidConfig(reason));
        for (name, value) in [
            ("start_threshold", self.start_threshold),
            ("continue_threshold", self.continue_threshold),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return invalid(format!("{name} = {value} is outside 0..=1"));
            }
        }
        if self.continue_threshold > self.start_threshold {
            return invalid(format!(
                "continue_threshold {} is above start_threshold {}",
                self.continue_threshold, self.start_threshold
            ));
        }
        if self.max_utterance_ms <= self.min_speech_ms {
            return invalid(format!(
                "max_utterance_ms {} must be above min_speech_ms {}",
                self.max_utterance_ms, self.min_speech_ms
            ));
        }
        Ok(())
    }
}

/// Per-prompt or per-listen changes to the campaign's [`EndpointingConfig`]; `None` keeps the
/// base value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EndpointingOverrides {
    /// Overrides [`EndpointingConfig::min_speech_ms`].
    pub min_speech_ms: Option<u32>,
    /// Overrides [`EndpointingConfig::end_silence_ms`].
    pub end_silence_ms: Option<u32>,
    /// Overrides [`EndpointingConfig::no_input_ms`].
    pub no_input_ms: Option<u32>,
    /// Overrides [`EndpointingConfig::max_utterance_ms`].
    pub max_utterance_ms: Option<u32>,
    /// Overrides [`EndpointingConfig::barge_in`].
    pub barge_in: Option<bool>,
    /// Overrides [`EndpointingConfig::start_threshold`].
    pub start_threshold: Option<f32>,
    /// Overrides [`EndpointingConfig::continue_threshold`].
    pub continue_threshold: Option<f32>,
}

impl EndpointingOverrides {
    /// No overrides: the base applies.
    pub const NONE: EndpointingOverrides = EndpointingOverrides {
        min_speech_ms: None,
        end_silence_ms: None,
        no_input_ms: None,
        max_utterance_ms: None,
        barge_in: None,
        start_threshold: None,
        continue_threshold: None,
    };

    /// Only a barge-in setting.
    pub fn barge_in(on: bool) -> Self {
        Self {
            barge_in: Some(on),
            ..Self::NONE
        }
    }

    /// These overrides laid over `base`: each field set here wins, the others keep `base`'s.
    pub fn over(&self, base: &EndpointingOverrides) -> EndpointingOverrides {
        EndpointingOverrides {
            min_speech_ms: self.min_speech_ms.or(base.min_speech_ms),
            end_silence_ms: self.end_silence_ms.or(base.end_silence_ms),
            no_input_ms: self.no_input_ms.or(base.no_input_ms),
            max_utterance_ms: self.max_utterance_ms.or(base.max_utterance_ms),
            barge_in: self.barge_in.or(base.barge_in),
            start_threshold: self.start_threshold.or(base.start_threshold),
            continue_threshold: self.continue_threshold.or(base.continue_threshold),
        }
    }

    /// The base with these overrides applied.
    pub fn apply(&self, base: &EndpointingConfig) -> EndpointingConfig {
        EndpointingConfig {
            min_speech_ms: self.min_speech_ms.unwrap_or(base.min_speech_ms),
            end_silence_ms: self.end_silence_ms.unwrap_or(base.end_silence_ms),
            no_input_ms: self.no_input_ms.unwrap_or(base.no_input_ms),
            max_utterance_ms: self.max_utterance_ms.unwrap_or(base.max_utterance_ms),
            barge_in: self.barge_in.unwrap_or(base.barge_in),
            start_threshold: self.start_threshold.unwrap_or(base.start_threshold),
            continue_threshold: self.continue_threshold.unwrap_or(base.continue_threshold),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_what_they_set() {
        let base = EndpointingConfig::default();
        let over = EndpointingOverrides {
            min_speech_ms: Some(400),
            barge_in: Some(false),
            ..EndpointingOverrides::NONE
        };
        let applied = over.apply(&base);
        assert_eq!(applied.min_speech_ms, 400);
        assert!(!applied.barge_in);
        assert_eq!(applied.end_silence_ms, base.end_silence_ms);
        assert_eq!(EndpointingOverrides::NONE.apply(&base), base);
    }

    #[test]
    fn defaults_validate_and_bad_values_do_not() {
        assert!(EndpointingConfig::default().validate().is_ok());
        let swapped = EndpointingConfig {
            start_threshold: 0.3,
            continue_threshold: 0.6,
            ..EndpointingConfig::default()
        };
        assert!(swapped.validate().is_err());
        let out_of_range = EndpointingConfig {
            start_threshold: 1.5,
            ..EndpointingConfig::default()
        };
        assert!(out_of_range.validate().is_err());
        let short_max = EndpointingConfig {
            max_utterance_ms: 100,
            ..EndpointingConfig::default()
        };
        assert!(short_max.validate().is_err());
    }

    #[test]
    fn missing_fields_take_defaults_when_deserialised() {
        let config: EndpointingConfig =
            serde_json::from_str(r#"{"min_speech_ms": 300}"#).expect("valid json");
        assert_eq!(config.min_speech_ms, 300);
        assert_eq!(config.end_silence_ms, 700);
        let over: EndpointingOverrides =
            serde_json::from_str(r#"{"barge_in": false}"#).expect("valid json");
        assert_eq!(over, EndpointingOverrides::barge_in(false));
    }
}
