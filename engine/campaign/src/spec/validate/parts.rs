//! The campaign sections with rules of their own: dialogue, numbers, caller IDs, stop
//! conditions, follow-ups, webhook, background sound, post-call plugins.

use std::path::PathBuf;

use jiff::tz::TimeZone;
use toml::Spanned;

use super::Checker;
use crate::calendar::TimeRange;
use crate::caller_id::{CallerIdConfig, CallerIdStrategy};
use crate::spec::model::{
    Background, Country, DialogueChoice, DialoguePlan, FollowUp, FollowUpAction, NumberSource,
    PostCall, Speech, StopConditions, Webhook,
};
use crate::spec::raw::{
    RawBackground, RawCallerId, RawDialogue, RawFollowUp, RawNumbers, RawPostCall, RawSpeech,
    RawStop, RawWebhook,
};
use crate::spec::values::{calling_code, is_env_name, is_id, is_level};

const WASM: (&[&str], &str) = (&["wasm"], "a plugin; expected a .wasm component");
const FLOW: (&[&str], &str) = (&["toml"], "a flow file; expected a .toml file");
const AUDIO: (&[&str], &str) = (
    &["wav", "mp3", "ogg", "flac"],
    "a sound file; expected a .wav, .mp3, .ogg or .flac file",
);
const DEFAULT_GAIN_DB: f64 = -18.0;
const LEVELS: &str = "expected an intent level A, B, C, D, E or F";

impl Checker<'_, '_> {
    fn wasm(&mut self, value: Option<&Spanned<String>>, what: &str) -> Option<PathBuf> {
        self.optional_path(value, what, WASM.0, WASM.1)
    }

    pub(super) fn dialogue(
        &mut self,
        raw: Option<&Spanned<RawDialogue>>,
        zone: TimeZone,
    ) -> DialoguePlan {
        let missing_plugin =
            "expected the dialogue plugin, e.g. plugin = \"../../plugins/dist/flow.wasm\"";
        let Some(raw) = raw else {
            self.error(0..0, format!("missing `[dialogue]`: {missing_plugin}"));
            return DialoguePlan::new(zone, empty_choice(), Vec::new());
        };
        let d = raw.get_ref();
        self.required(
            &d.plugin,
            raw.span(),
            &format!("dialogue: missing `plugin`; {missing_plugin}"),
        );
        let fallback_prompt = self.optional_path(
            d.fallback_prompt.as_ref(),
            "dialogue.fallback_prompt",
            AUDIO.0,
            AUDIO.1,
        );
        let default = DialogueChoice {
            plugin: self
                .wasm(d.plugin.as_ref(), "dialogue.plugin")
                .unwrap_or_default(),
            flow: self.optional_path(d.flow.as_ref(), "dialogue.flow", FLOW.0, FLOW.1),
            fallback_prompt: fallback_prompt.clone(),
        };
        let mut scheduled: Vec<(TimeRange, DialogueChoice)> = Vec::new();
        for entry in &d.schedule {
            let s = entry.get_ref();
            let between = self
                .required(&s.between, entry.span(), "dialogue.schedule: missing `between`; expected a local time range, e.g. between = \"12:00-14:00\"")
                .and_then(|b| match b.get_ref().trim().parse::<TimeRange>() {
                    Ok(range) => match scheduled.iter().find(|(r, _)| r.overlaps(range)) {
                        Some((other, _)) => {
                            self.error(b.span(), format!("dialogue.schedule: `{range}` overlaps `{other}`; expected ranges that do not overlap"));
                            None
                        }
                        None => Some(range),
                    },
                    Err(e) => {
                        self.error(b.span(), format!("dialogue.schedule.between: {e}"));
                        None
                    }
                });
            self.required(
                &s.plugin,
                entry.span(),
                &format!("dialogue.schedule: missing `plugin`; {missing_plugin}"),
            );
            let choice = DialogueChoice {
                plugin: self
                    .wasm(s.plugin.as_ref(), "dialogue.schedule.plugin")
                    .unwrap_or_default(),
                flow: self.optional_path(s.flow.as_ref(), "dialogue.schedule.flow", FLOW.0, FLOW.1),
                fallback_prompt: self
                    .optional_path(
                        s.fallback_prompt.as_ref(),
                        "dialogue.schedule.fallback_prompt",
                        AUDIO.0,
                        AUDIO.1,
                    )
                    .or_else(|| fallback_prompt.clone()),
            };
            if let Some(range) = between {
                scheduled.push((range, choice));
            }
        }
        DialoguePlan::new(zone, default, scheduled)
    }

    pub(super) fn numbers(&mut self, raw: &Spanned<RawNumbers>) -> Option<NumberSource> {
        let n = raw.get_ref();
        let file = self.required(
            &n.file,
            raw.span(),
            "numbers: missing `file`; expected a number list, e.g. file = \"leads.csv\"",
        )?;
        let path = self.path(
            file,
            "numbers.file",
            &["csv", "xlsx"],
            "a number list; expected a .csv or .xlsx file",
        )?;
        if let Some(sheet) = &n.sheet
            && !file.get_ref().to_ascii_lowercase().ends_with(".xlsx")
        {
            self.error(
                sheet.span(),
                "numbers.sheet: only an .xlsx file has sheets; remove `sheet` or use an .xlsx file",
            );
        }
        let phone_column = match &n.phone_column {
            Some(c) if c.get_ref().trim().is_empty() => {
                self.error(c.span(), "numbers.phone_column: empty; expected the header of the phone column, e.g. \"phone\"");
                None
            }
            other => other.as_ref().map(|c| c.get_ref().trim().to_owned()),
        };
        let country = match &n.country {
            None => Country::China,
            Some(c) => match calling_code(c.get_ref().trim()) {
                Ok(86) => Country::China,
                Ok(code) => Country::Other(code),
                Err(e) => {
                    self.error(c.span(), format!("numbers.country: {e}"));
                    Country::China
                }
            },
        };
        Some(NumberSource {
            file: path,
            phone_column,
            sheet: n.sheet.as_ref().map(|s| s.get_ref().clone()),
            shuffle: n.shuffle.unwrap_or(false),
            country,
        })
    }

    pub(super) fn caller_id(
        &mut self,
        raw: Option<&Spanned<RawCallerId>>,
    ) -> (CallerIdConfig, Option<PathBuf>) {
        let Some(raw) = raw else {
            return (CallerIdConfig::default(), None);
        };
        let c = raw.get_ref();
        let mut numbers: Vec<String> = Vec::new();
        for n in &c.numbers {
            let text = n.get_ref().trim();
            let digits = text.strip_prefix('+').unwrap_or(text);
            if !(3..=20).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                self.error(n.span(), format!("caller_id.numbers: `{text}` is not a phone number; expected 3 to 20 digits, e.g. \"02150001000\""));
            } else if numbers.iter().any(|x| x == text) {
                self.error(
                    n.span(),
                    format!("caller_id.numbers: `{text}` is listed twice"),
                );
            } else {
                numbers.push(text.to_owned());
            }
        }
        let strategy = match &c.strategy {
            None => CallerIdStrategy::RoundRobin,
            Some(s) => match s.get_ref().trim() {
                "round_robin" => CallerIdStrategy::RoundRobin,
                "random" => CallerIdStrategy::Random,
                "same_region" => CallerIdStrategy::SameRegion,
                other => {
                    self.error(s.span(), format!("caller_id.strategy: unknown strategy `{other}`; expected \"round_robin\", \"random\" or \"same_region\""));
                    CallerIdStrategy::RoundRobin
                }
            },
        };
        let regions = self.optional_path(
            c.regions.as_ref(),
            "caller_id.regions",
            &["csv"],
            "a number-prefix table; expected a .csv file",
        );
        if strategy == CallerIdStrategy::SameRegion && c.regions.is_none() {
            let span = c.strategy.as_ref().map_or(raw.span(), Spanned::span);
            self.error(span, "caller_id: strategy \"same_region\" needs `regions`, a number-prefix table, e.g. regions = \"../regions.csv\"");
        }
        let config = CallerIdConfig {
            numbers,
            strategy,
            max_concurrent_per_number: c.max_concurrent_per_number.as_ref().and_then(|m| {
                self.count(
                    m,
                    "caller_id.max_concurrent_per_number",
                    1..=i64::from(u32::MAX),
                )
            }),
            regions: Default::default(),
        };
        (config, regions)
    }

    fn levels(&mut self, raw: &[Spanned<String>], what: &str) -> Vec<String> {
        raw.iter()
            .filter_map(|l| {
                let level = l.get_ref().trim();
                if is_level(level) {
                    Some(level.to_owned())
                } else {
                    self.error(
                        l.span(),
                        format!("{what}: `{level}` is not a level; {LEVELS}"),
                    );
                    None
                }
            })
            .collect()
    }

    pub(super) fn stop(&mut self, raw: Option<&RawStop>) -> StopConditions {
        let Some(s) = raw else {
            return StopConditions {
                lead_levels: vec!["A".to_owned()],
                ..StopConditions::default()
            };
        };
        let max_leads_per_day = s
            .max_leads_per_day
            .as_ref()
            .and_then(|m| self.count(m, "stop.max_leads_per_day", 1..=i64::from(u32::MAX)));
        let lead_levels = match &s.lead_levels {
            None => vec!["A".to_owned()],
            Some(levels) => {
                if levels.get_ref().is_empty() {
                    self.error(levels.span(), format!("stop.lead_levels: empty; {LEVELS}"));
                }
                self.levels(levels.get_ref(), "stop.lead_levels")
            }
        };
        let min_connect_rate = s.min_connect_rate.as_ref().and_then(|m| {
            let r = m.get_ref();
            let last = self
                .required(&r.last, m.span(), "stop.min_connect_rate: missing `last`; expected how many recent attempts to look at, e.g. last = 50")
                .and_then(|l| self.count(l, "stop.min_connect_rate.last", 1..=10_000));
            let rate = self
                .required(&r.rate, m.span(), "stop.min_connect_rate: missing `rate`; expected the lowest share answered, e.g. rate = 0.05")
                .and_then(|v| {
                    let rate = *v.get_ref();
                    if (0.0..=1.0).contains(&rate) {
                        Some(rate)
                    } else {
                        self.error(v.span(), format!("stop.min_connect_rate.rate: {rate} is out of range; expected a share from 0 to 1 (0.05 is 5%)"));
                        None
                    }
                });
            last.zip(rate)
        });
        StopConditions {
            max_leads_per_day,
            lead_levels,
            min_connect_rate,
        }
    }

    pub(super) fn follow_up(&mut self, raw: &Spanned<RawFollowUp>) -> Option<FollowUp> {
        let f = raw.get_ref();
        let levels = self.levels(&f.levels, "follow_up.levels");
        let mut tags = Vec::new();
        for t in &f.tags {
            match t.get_ref().trim() {
                "" => self.error(t.span(), "follow_up.tags: empty tag; expected a tag the dialogue sets, e.g. \"interested\""),
                tag => tags.push(tag.to_owned()),
            }
        }
        if f.levels.is_empty() && f.tags.is_empty() {
            self.error(
                raw.span(),
                "follow_up: no trigger; expected `levels` and/or `tags`, e.g. levels = [\"A\"]",
            );
        }
        let action = match (&f.webhook, &f.blacklist) {
            (Some(url), None) => self
                .url(url, "follow_up.webhook")
                .map(FollowUpAction::Webhook),
            (None, Some(group)) => {
                if is_id(group.get_ref()) {
                    Some(FollowUpAction::Blacklist(group.get_ref().clone()))
                } else {
                    self.error(group.span(), format!("follow_up.blacklist: `{}` is not a group name; expected 1 to 64 characters of a-z, 0-9, - and _", group.get_ref()));
                    None
                }
            }
            (Some(_), Some(second)) => {
                self.error(second.span(), "follow_up: both `webhook` and `blacklist`; expected one action per [[follow_up]] (write two)");
                None
            }
            (None, None) => {
                self.error(raw.span(), "follow_up: no action; expected `webhook = \"https://...\"` or `blacklist = \"GROUP\"`");
                None
            }
        }?;
        Some(FollowUp {
            levels,
            tags,
            action,
        })
    }

    fn url(&mut self, value: &Spanned<String>, what: &str) -> Option<String> {
        let url = value.get_ref().trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        if rest.is_some_and(|r| {
            !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace)
        }) {
            Some(url.to_owned())
        } else {
            self.error(value.span(), format!("{what}: `{url}` is not a URL; expected http:// or https:// and a host, e.g. \"https://crm.example/leads\""));
            None
        }
    }

    pub(super) fn webhook(&mut self, raw: &Spanned<RawWebhook>) -> Option<Webhook> {
        let w = raw.get_ref();
        let url = self.required(&w.url, raw.span(), "webhook: missing `url`; expected where to POST finished calls, e.g. url = \"http://127.0.0.1:9000/calls\"");
        let url = url.and_then(|u| self.url(u, "webhook.url"));
        let secret_env = match &w.secret_env {
            Some(env) if !is_env_name(env.get_ref()) => {
                self.error(env.span(), format!("webhook.secret_env: `{}` is not an environment variable name; give the NAME of a variable that holds the key, never the key itself", env.get_ref()));
                None
            }
            other => other.as_ref().map(|e| e.get_ref().clone()),
        };
        Some(Webhook {
            url: url?,
            secret_env,
        })
    }

    pub(super) fn background(&mut self, raw: &Spanned<RawBackground>) -> Option<Background> {
        let b = raw.get_ref();
        let file = self.required(&b.file, raw.span(), "background: missing `file`; expected a sound file, e.g. file = \"../prompts/office.wav\"");
        let file = file.and_then(|f| self.path(f, "background.file", AUDIO.0, AUDIO.1));
        let gain_db = match &b.gain_db {
            None => DEFAULT_GAIN_DB,
            Some(g) if (-60.0..=0.0).contains(g.get_ref()) => *g.get_ref(),
            Some(g) => {
                self.error(
                    g.span(),
                    format!(
                        "background.gain_db: {} is out of range; expected -60 to 0",
                        g.get_ref()
                    ),
                );
                DEFAULT_GAIN_DB
            }
        };
        Some(Background {
            file: file?,
            gain_db,
        })
    }

    pub(super) fn speech(&mut self, raw: &RawSpeech) -> Speech {
        let language = raw.language.as_ref().and_then(|l| {
            let ok = l.get_ref().split('-').all(|part| {
                (2..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
            });
            if !ok {
                self.error(
                    l.span(),
                    format!(
                        "speech.language: {:?} is not a language tag; expected e.g. \"en\", \"zh\" or \"zh-CN\"",
                        l.get_ref()
                    ),
                );
            }
            ok.then(|| l.get_ref().clone())
        });
        Speech {
            language,
            hot_words: raw.hot_words.clone(),
            voice: raw.voice.clone(),
        }
    }

    pub(super) fn post_call(&mut self, raw: &RawPostCall) -> PostCall {
        PostCall {
            analysis: self.wasm(raw.analysis.as_ref(), "post_call.analysis"),
            crm: self.wasm(raw.crm.as_ref(), "post_call.crm"),
        }
    }
}

fn empty_choice() -> DialogueChoice {
    DialogueChoice {
        plugin: PathBuf::new(),
        flow: None,
        fallback_prompt: None,
    }
}
