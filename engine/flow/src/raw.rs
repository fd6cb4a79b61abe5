//! The flow file as written: serde structures with spans, checked by [`crate::validate`].

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    pub flow: RawFlow,
    #[serde(default, rename = "node")]
    pub nodes: Vec<RawNode>,
    #[serde(default)]
    pub knowledge: Vec<Spanned<RawIntent>>,
    #[serde(default)]
    pub common: RawCommon,
    #[serde(default)]
    pub levels: Vec<RawLevel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFlow {
    pub name: Spanned<String>,
    pub language: Option<String>,
    pub start: Spanned<String>,
    pub fallback: Spanned<String>,
    pub closing: Option<Spanned<String>>,
    pub max_rounds: Option<Spanned<u32>>,
    pub max_duration_ms: Option<Spanned<u32>>,
    pub no_input_ms: Option<Spanned<u32>>,
    pub retries: Option<u32>,
    pub barge_in: Option<bool>,
    pub default_level: Option<Spanned<String>>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawNodeKind {
    Opening,
    Step,
    End,
    Transfer,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNode {
    pub name: Spanned<String>,
    pub kind: Spanned<RawNodeKind>,
    #[serde(default)]
    pub prompts: Option<Spanned<Vec<Spanned<RawPrompt>>>>,
    pub next: Option<Spanned<String>>,
    pub otherwise: Option<Spanned<String>>,
    pub barge_in: Option<bool>,
    pub no_input_ms: Option<Spanned<u32>>,
    pub end_silence_ms: Option<Spanned<u32>>,
    pub retries: Option<u32>,
    #[serde(default)]
    pub retry_prompts: Vec<Spanned<RawPrompt>>,
    pub no_input_next: Option<Spanned<String>>,
    #[serde(default)]
    pub score: i32,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    pub collect: Option<Spanned<RawCollect>>,
    #[serde(default, rename = "branch")]
    pub branches: Vec<Spanned<RawBranch>>,
    pub level: Option<Spanned<String>>,
    pub agent_group: Option<Spanned<String>>,
    pub uri: Option<Spanned<String>>,
    pub on_failure: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPrompt {
    pub file: Option<Spanned<String>>,
    pub text: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCollect {
    pub max_digits: Spanned<u8>,
    pub terminator: Option<Spanned<String>>,
    pub timeout_ms: Option<Spanned<u32>>,
    pub variable: Option<String>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawBranchKind {
    Positive,
    Negative,
    Special,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBranch {
    pub kind: Spanned<RawBranchKind>,
    pub name: Option<Spanned<String>>,
    #[serde(default)]
    pub keywords: Vec<Spanned<String>>,
    #[serde(default)]
    pub phrases: Vec<Spanned<String>>,
    #[serde(default)]
    pub regex: Vec<Spanned<String>>,
    #[serde(default)]
    pub digits: Vec<Spanned<String>>,
    pub next: Option<Spanned<String>>,
    #[serde(default)]
    pub score: i32,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub set: BTreeMap<String, String>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawThen {
    Replay,
    Listen,
    Next,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIntent {
    pub name: Option<Spanned<String>>,
    #[serde(default)]
    pub keywords: Vec<Spanned<String>>,
    #[serde(default)]
    pub phrases: Vec<Spanned<String>>,
    #[serde(default)]
    pub regex: Vec<Spanned<String>>,
    #[serde(default)]
    pub digits: Vec<Spanned<String>>,
    #[serde(default)]
    pub prompts: Vec<Spanned<RawPrompt>>,
    pub then: Option<RawThen>,
    pub next: Option<Spanned<String>>,
    #[serde(default)]
    pub score: i32,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub set: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCommon {
    pub no_input: Option<RawPromptOnly>,
    pub not_understood: Option<RawNotUnderstood>,
    pub repeat: Option<Spanned<RawIntent>>,
    pub busy: Option<Spanned<RawIntent>>,
    pub robot: Option<Spanned<RawIntent>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPromptOnly {
    #[serde(default)]
    pub prompts: Vec<Spanned<RawPrompt>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNotUnderstood {
    #[serde(default)]
    pub prompts: Vec<Spanned<RawPrompt>>,
    pub limit: Option<Spanned<u32>>,
    pub next: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLevel {
    pub level: Spanned<String>,
    pub score_at_least: Option<i32>,
    pub score_at_most: Option<i32>,
    #[serde(default)]
    pub tags_all: Vec<String>,
    #[serde(default)]
    pub tags_any: Vec<String>,
    #[serde(default)]
    pub tags_none: Vec<String>,
    pub rounds_at_least: Option<u32>,
    #[serde(default)]
    pub keywords_any: Vec<String>,
    #[serde(default)]
    pub intents_any: Vec<String>,
    #[serde(default)]
    pub nodes_any: Vec<Spanned<String>>,
}
