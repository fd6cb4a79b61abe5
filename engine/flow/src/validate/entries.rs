//! Checking the entries inside nodes and beside them: prompts, digit collection, matchers,
//! branches, knowledge answers, common dialogs and level rules.

use std::collections::BTreeMap;
use std::ops::Range;

use regex_lite::Regex;
use toml::Spanned;

use super::{DEFAULT_DIGIT_TIMEOUT_MS, DEFAULT_NOT_UNDERSTOOD_LIMIT, Validator};
use crate::matcher::{Matchers, normalise};
use crate::model::{
    Branch, BranchKind, Collect, CommonDialogs, Effects, Intent, LevelRule, PromptPart, Then,
};
use crate::raw::{
    RawBranch, RawBranchKind, RawCollect, RawCommon, RawIntent, RawLevel, RawPrompt, RawThen,
};

/// Which fields a matcher list came from, borrowed from a branch or an intent.
struct MatcherFields<'r> {
    keywords: &'r [Spanned<String>],
    phrases: &'r [Spanned<String>],
    regex: &'r [Spanned<String>],
    digits: &'r [Spanned<String>],
}

impl Validator<'_> {
    pub(super) fn prompts(&mut self, raw: &[Spanned<RawPrompt>]) -> Vec<PromptPart> {
        raw.iter().filter_map(|p| self.prompt(p)).collect()
    }

    fn prompt(&mut self, raw: &Spanned<RawPrompt>) -> Option<PromptPart> {
        let p = raw.get_ref();
        match (&p.file, &p.text) {
            (Some(f), _) if f.get_ref().trim().is_empty() => {
                self.error(
                    f.span(),
                    "file: empty; expected a recording path relative to the flow file".into(),
                );
                None
            }
            (Some(f), _) => Some(PromptPart::File(f.get_ref().clone())),
            (None, Some(t)) if t.get_ref().trim().is_empty() => {
                self.error(t.span(), "text: empty; expected words for the TTS".into());
                None
            }
            (None, Some(t)) => Some(PromptPart::Text(t.get_ref().clone())),
            (None, None) => {
                self.error(raw.span(), "a prompt needs `file` (a recording) or `text` (TTS), e.g. { text = \"Hello\" }".into());
                None
            }
        }
    }

    pub(super) fn collect(&mut self, raw: &Spanned<RawCollect>) -> Collect {
        let c = raw.get_ref();
        if *c.max_digits.get_ref() == 0 {
            self.error(
                c.max_digits.span(),
                "max_digits: 0; expected 1 or more".into(),
            );
        }
        let terminator = c.terminator.as_ref().and_then(|t| {
            let mut chars = t.get_ref().chars();
            match (chars.next(), chars.next()) {
                (Some(d), None) if is_dtmf(d) => Some(d),
                _ => {
                    self.error(
                        t.span(),
                        format!(
                            "terminator: `{}` is not one DTMF digit; expected one of 0-9 * # A-D",
                            t.get_ref()
                        ),
                    );
                    None
                }
            }
        });
        Collect {
            max_digits: *c.max_digits.get_ref(),
            terminator,
            timeout_ms: c
                .timeout_ms
                .as_ref()
                .map_or(DEFAULT_DIGIT_TIMEOUT_MS, |t| self.positive(t, "timeout_ms")),
            variable: c.variable.clone(),
        }
    }

    fn matchers(&mut self, span: Range<usize>, what: &str, m: MatcherFields<'_>) -> Matchers {
        let mut out = Matchers::default();
        for k in m.keywords.iter().chain(m.phrases) {
            if normalise(k.get_ref()).is_empty() {
                self.error(
                    k.span(),
                    format!(
                        "`{}` has no letters or digits; it would never match",
                        k.get_ref()
                    ),
                );
            }
        }
        out.keywords = m.keywords.iter().map(|k| normalise(k.get_ref())).collect();
        out.phrases = m.phrases.iter().map(|k| normalise(k.get_ref())).collect();
        for r in m.regex {
            match Regex::new(r.get_ref()) {
                Ok(re) => out.regex.push(re),
                Err(e) => self.error(
                    r.span(),
                    format!(
                        "regex: `{}` is not a valid regular expression: {e}",
                        r.get_ref()
                    ),
                ),
            }
        }
        for d in m.digits {
            if d.get_ref().is_empty() || !d.get_ref().chars().all(is_dtmf) {
                self.error(
                    d.span(),
                    format!(
                        "digits: `{}` is not DTMF; expected digits from 0-9 * # A-D",
                        d.get_ref()
                    ),
                );
            } else {
                out.digits.push(d.get_ref().clone());
            }
        }
        let written = m.keywords.len() + m.phrases.len() + m.regex.len() + m.digits.len();
        if written == 0 {
            self.error(
                span,
                format!("{what} matches nothing; give keywords, phrases, regex or digits"),
            );
        }
        out
    }

    pub(super) fn branch(&mut self, node: &str, raw: &Spanned<RawBranch>) -> Branch {
        let b = raw.get_ref();
        let kind = match (b.kind.get_ref(), &b.name) {
            (RawBranchKind::Special, Some(n)) if !n.get_ref().trim().is_empty() => {
                BranchKind::Special(n.get_ref().clone())
            }
            (RawBranchKind::Special, _) => {
                self.error(
                    b.kind.span(),
                    format!(
                        "node `{node}`: a special branch needs a name, e.g. name = \"call-back\""
                    ),
                );
                BranchKind::Special(String::new())
            }
            (other, name) => {
                if let Some(n) = name {
                    self.error(n.span(), "name: only special branches are named (positive and negative are their own names)".into());
                }
                if *other == RawBranchKind::Positive {
                    BranchKind::Positive
                } else {
                    BranchKind::Negative
                }
            }
        };
        let fields = MatcherFields {
            keywords: &b.keywords,
            phrases: &b.phrases,
            regex: &b.regex,
            digits: &b.digits,
        };
        let matchers = self.matchers(raw.span(), &format!("a branch of node `{node}`"), fields);
        Branch {
            kind,
            matchers,
            next: b.next.as_ref().and_then(|n| self.node_ref(n, "next")),
            effects: effects(b.score, &b.tags, &b.set),
        }
    }

    pub(super) fn intent(
        &mut self,
        name: String,
        raw: &Spanned<RawIntent>,
        needs_prompts: bool,
    ) -> Intent {
        let i = raw.get_ref();
        let fields = MatcherFields {
            keywords: &i.keywords,
            phrases: &i.phrases,
            regex: &i.regex,
            digits: &i.digits,
        };
        let label = if name.is_empty() {
            "this [[knowledge]] entry".to_owned()
        } else {
            format!("`{name}`")
        };
        let matchers = self.matchers(raw.span(), &label, fields);
        if needs_prompts && i.prompts.is_empty() {
            self.error(
                raw.span(),
                format!("{label} has no prompts; expected the answer to play"),
            );
        }
        Intent {
            prompts: self.prompts(&i.prompts),
            matchers,
            then: match i.then {
                Some(RawThen::Listen) => Then::Listen,
                Some(RawThen::Next) => Then::Next,
                Some(RawThen::Replay) | None => Then::Replay,
            },
            next: i.next.as_ref().and_then(|n| self.node_ref(n, "next")),
            effects: effects(i.score, &i.tags, &i.set),
            name,
        }
    }

    pub(super) fn common(&mut self, raw: &RawCommon) -> CommonDialogs {
        let mut common = CommonDialogs {
            not_understood_limit: DEFAULT_NOT_UNDERSTOOD_LIMIT,
            ..CommonDialogs::default()
        };
        if let Some(n) = &raw.no_input {
            common.no_input = self.prompts(&n.prompts);
        }
        if let Some(n) = &raw.not_understood {
            common.not_understood = self.prompts(&n.prompts);
            if let Some(limit) = &n.limit {
                if *limit.get_ref() == 0 {
                    self.error(
                        limit.span(),
                        "limit: 0; expected misses in a row before leaving the node, 1 or more"
                            .into(),
                    );
                }
                common.not_understood_limit = (*limit.get_ref()).max(1);
            }
            common.not_understood_next = n.next.as_ref().and_then(|x| self.node_ref(x, "next"));
        }
        for (name, slot, needs_prompts) in [
            ("repeat", &raw.repeat, false),
            ("busy", &raw.busy, false),
            ("robot", &raw.robot, true),
        ] {
            let Some(intent) = slot else { continue };
            if let Some(n) = &intent.get_ref().name {
                self.error(
                    n.span(),
                    format!("[common.{name}] is named `{name}`; remove `name`"),
                );
            }
            let built = Some(self.intent(name.into(), intent, needs_prompts));
            match name {
                "repeat" => common.repeat = built,
                "busy" => common.busy = built,
                _ => common.robot = built,
            }
        }
        common
    }

    pub(super) fn level(&mut self, raw: &RawLevel) -> LevelRule {
        LevelRule {
            level: self.level_name(&raw.level),
            score_at_least: raw.score_at_least,
            score_at_most: raw.score_at_most,
            tags_all: raw.tags_all.clone(),
            tags_any: raw.tags_any.clone(),
            tags_none: raw.tags_none.clone(),
            rounds_at_least: raw.rounds_at_least,
            keywords_any: raw.keywords_any.iter().map(|k| normalise(k)).collect(),
            intents_any: raw.intents_any.clone(),
            nodes_any: raw
                .nodes_any
                .iter()
                .filter_map(|n| self.node_ref(n, "nodes_any"))
                .collect(),
        }
    }
}

pub(super) fn effects(score: i32, tags: &[String], set: &BTreeMap<String, String>) -> Effects {
    Effects {
        score,
        tags: tags.to_vec(),
        set: set.clone(),
    }
}

pub(super) fn is_dtmf(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D')
}
