//! From the written file ([`crate::raw`]) to a checked [`Flow`], collecting every error with
//! its place.

mod entries;

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use crate::issue::{FlowErrors, FlowIssue};
use crate::model::{Branch, Flow, Intent, Node, NodeId, NodeKind, TransferTarget};
use crate::raw::{RawFile, RawNode, RawNodeKind};
use entries::effects;

const DEFAULT_MAX_ROUNDS: u32 = 20;
const DEFAULT_NO_INPUT_MS: u32 = 5_000;
const DEFAULT_RETRIES: u32 = 1;
const DEFAULT_DIGIT_TIMEOUT_MS: u32 = 5_000;
const DEFAULT_NOT_UNDERSTOOD_LIMIT: u32 = 2;

/// Parse and check `text`; see [`Flow::parse`](crate::Flow::parse).
pub(crate) fn parse(text: &str, origin: &str) -> Result<Flow, FlowErrors> {
    let mut v = Validator {
        origin,
        text,
        errors: Vec::new(),
        names: HashMap::new(),
    };
    let raw: RawFile = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            v.error(e.span().unwrap_or(0..0), e.message().trim().to_owned());
            return Err(FlowErrors(v.errors));
        }
    };
    let flow = v.flow(raw);
    if v.errors.is_empty() {
        Ok(flow)
    } else {
        v.errors.sort_by_key(|i| (i.line, i.column));
        Err(FlowErrors(v.errors))
    }
}

struct Validator<'a> {
    origin: &'a str,
    text: &'a str,
    errors: Vec<FlowIssue>,
    names: HashMap<String, NodeId>,
}

impl Validator<'_> {
    fn error(&mut self, span: Range<usize>, message: String) {
        self.errors
            .push(FlowIssue::at(self.origin, self.text, span, message));
    }

    fn flow(&mut self, raw: RawFile) -> Flow {
        for (i, node) in raw.nodes.iter().enumerate() {
            let name = node.name.get_ref();
            if name.trim().is_empty() {
                self.error(node.name.span(), "name: empty; expected a node name".into());
            } else if self.names.contains_key(name) {
                self.error(
                    node.name.span(),
                    format!("node `{name}` is defined twice; node names must be unique"),
                );
            } else {
                self.names.insert(name.clone(), i);
            }
        }
        let kinds: Vec<RawNodeKind> = raw.nodes.iter().map(|n| *n.kind.get_ref()).collect();
        let f = &raw.flow;
        if f.name.get_ref().trim().is_empty() {
            self.error(
                f.name.span(),
                "name: empty; expected the flow's name".into(),
            );
        }
        let start = self.node_ref(&f.start, "start").unwrap_or(0);
        let fallback = self.node_ref(&f.fallback, "fallback");
        if let Some(id) = fallback
            && kinds.get(id) != Some(&RawNodeKind::End)
        {
            self.error(
                f.fallback.span(),
                format!(
                    "fallback: node `{}` is not an end node; expected a node with kind = \"end\"",
                    f.fallback.get_ref()
                ),
            );
        }
        let fallback = fallback.unwrap_or(0);
        let closing = match &f.closing {
            Some(c) => {
                let id = self.node_ref(c, "closing");
                if let Some(id) = id
                    && !matches!(
                        kinds.get(id),
                        Some(RawNodeKind::End | RawNodeKind::Transfer)
                    )
                {
                    self.error(
                        c.span(),
                        format!(
                            "closing: node `{}` is not an end or transfer node",
                            c.get_ref()
                        ),
                    );
                }
                id.unwrap_or(fallback)
            }
            None => fallback,
        };
        let max_rounds = match &f.max_rounds {
            Some(m) if *m.get_ref() == 0 => {
                self.error(
                    m.span(),
                    "max_rounds: 0; expected at least 1 (callee turns before the closing)".into(),
                );
                1
            }
            Some(m) => *m.get_ref(),
            None => DEFAULT_MAX_ROUNDS,
        };
        let max_duration_ms = f
            .max_duration_ms
            .as_ref()
            .map(|m| self.positive(m, "max_duration_ms"));
        let no_input_ms = f
            .no_input_ms
            .as_ref()
            .map_or(DEFAULT_NO_INPUT_MS, |m| self.positive(m, "no_input_ms"));
        let defaults = NodeDefaults {
            no_input_ms,
            retries: f.retries.unwrap_or(DEFAULT_RETRIES),
            barge_in: f.barge_in.unwrap_or(true),
            fallback,
        };
        let default_level = f.default_level.as_ref().map(|l| self.level_name(l));
        let nodes: Vec<Node> = raw
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| self.node(i, n, &kinds, &defaults))
            .collect();
        let mut knowledge = Vec::new();
        for k in &raw.knowledge {
            let name = match &k.get_ref().name {
                Some(n) if !n.get_ref().trim().is_empty() => {
                    if knowledge.iter().any(|e: &Intent| e.name == *n.get_ref()) {
                        self.error(
                            n.span(),
                            format!("knowledge `{}` is defined twice", n.get_ref()),
                        );
                    }
                    n.get_ref().clone()
                }
                _ => {
                    self.error(
                        k.span(),
                        "[[knowledge]] needs a name, e.g. name = \"price\"".into(),
                    );
                    String::new()
                }
            };
            knowledge.push(self.intent(name, k, true));
        }
        let common = self.common(&raw.common);
        let levels = raw.levels.iter().map(|l| self.level(l)).collect();
        let mut flow = Flow {
            name: f.name.get_ref().clone(),
            language: f.language.clone(),
            start,
            fallback,
            closing,
            max_rounds,
            max_duration_ms,
            default_level,
            nodes,
            knowledge,
            common,
            levels,
            warnings: Vec::new(),
        };
        if self.errors.is_empty() {
            flow.warnings = self.unreachable(&flow, &raw.nodes);
        }
        flow
    }

    fn positive(&mut self, value: &Spanned<u32>, what: &str) -> u32 {
        if *value.get_ref() == 0 {
            self.error(
                value.span(),
                format!("{what}: 0; expected milliseconds above 0"),
            );
            return 1;
        }
        *value.get_ref()
    }

    fn level_name(&mut self, level: &Spanned<String>) -> String {
        if level.get_ref().trim().is_empty() {
            self.error(
                level.span(),
                "level: empty; expected `A`-`F` or a custom label".into(),
            );
        }
        level.get_ref().clone()
    }

    fn node_ref(&mut self, name: &Spanned<String>, what: &str) -> Option<NodeId> {
        let found = self.names.get(name.get_ref()).copied();
        if found.is_none() {
            self.error(
                name.span(),
                format!(
                    "{what}: unknown node `{}`; expected the name of a [[node]]",
                    name.get_ref()
                ),
            );
        }
        found
    }

    fn node(
        &mut self,
        index: usize,
        raw: &RawNode,
        kinds: &[RawNodeKind],
        d: &NodeDefaults,
    ) -> Node {
        let name = raw.name.get_ref().clone();
        let kind = match raw.kind.get_ref() {
            RawNodeKind::Opening => NodeKind::Opening,
            RawNodeKind::Step => NodeKind::Step,
            RawNodeKind::End => NodeKind::End,
            RawNodeKind::Transfer => NodeKind::Transfer,
        };
        let prompts = match &raw.prompts {
            Some(p) if p.get_ref().is_empty() && kind.listens() => {
                self.error(
                    p.span(),
                    format!(
                        "node `{name}`: prompts is empty; an opening or step must say something"
                    ),
                );
                Vec::new()
            }
            Some(p) => self.prompts(p.get_ref()),
            None if kind.listens() => {
                self.error(
                    raw.name.span(),
                    format!(
                        "node `{name}`: missing `prompts`; an opening or step must say something"
                    ),
                );
                Vec::new()
            }
            None => Vec::new(),
        };
        let following_step = kinds
            .iter()
            .enumerate()
            .skip(index + 1)
            .find(|(_, k)| **k == RawNodeKind::Step)
            .map(|(i, _)| i);
        let next = match &raw.next {
            Some(n) => self.node_ref(n, "next"),
            None => following_step,
        };
        let branches: Vec<Branch> = raw.branches.iter().map(|b| self.branch(&name, b)).collect();
        if kind.listens()
            && next.is_none()
            && raw.next.is_none()
            && (branches.is_empty() || branches.iter().any(|b| b.next.is_none()))
        {
            self.error(
                raw.name.span(),
                format!("node `{name}` needs `next` (no step follows it), or every branch needs its own `next`"),
            );
        }
        if !kind.listens() {
            let listening_only = [
                ("branch", !raw.branches.is_empty()),
                ("collect", raw.collect.is_some()),
                ("next", raw.next.is_some()),
                ("otherwise", raw.otherwise.is_some()),
                ("no_input_next", raw.no_input_next.is_some()),
                ("retry_prompts", !raw.retry_prompts.is_empty()),
            ];
            for (field, present) in listening_only {
                if present {
                    self.error(
                        raw.name.span(),
                        format!("node `{name}`: `{field}` is only for opening and step nodes"),
                    );
                }
            }
        }
        if kind != NodeKind::End
            && let Some(l) = &raw.level
        {
            self.error(
                l.span(),
                format!("node `{name}`: `level` is only for end nodes; use [[levels]] rules"),
            );
        }
        let transfer = self.transfer_target(&name, raw, kind);
        let collect = raw.collect.as_ref().map(|c| self.collect(c));
        let end_silence_ms = raw
            .end_silence_ms
            .as_ref()
            .map(|m| self.positive(m, "end_silence_ms"));
        Node {
            prompts,
            kind,
            next,
            otherwise: raw
                .otherwise
                .as_ref()
                .and_then(|o| self.node_ref(o, "otherwise")),
            barge_in: raw.barge_in.unwrap_or(d.barge_in),
            no_input_ms: raw
                .no_input_ms
                .as_ref()
                .map_or(d.no_input_ms, |m| self.positive(m, "no_input_ms")),
            end_silence_ms,
            retries: raw.retries.unwrap_or(d.retries),
            retry_prompts: self.prompts(&raw.retry_prompts),
            no_input_next: raw
                .no_input_next
                .as_ref()
                .and_then(|n| self.node_ref(n, "no_input_next"))
                .unwrap_or(d.fallback),
            on_enter: effects(raw.score, &raw.tags, &raw.set),
            collect,
            branches,
            level: raw.level.as_ref().map(|l| self.level_name(l)),
            transfer,
            on_failure: raw
                .on_failure
                .as_ref()
                .and_then(|n| self.node_ref(n, "on_failure"))
                .unwrap_or(d.fallback),
            name,
        }
    }

    fn transfer_target(
        &mut self,
        name: &str,
        raw: &RawNode,
        kind: NodeKind,
    ) -> Option<TransferTarget> {
        let target = match (&raw.agent_group, &raw.uri) {
            (Some(g), None) => Some((g, TransferTarget::AgentGroup(g.get_ref().clone()))),
            (None, Some(u)) => Some((u, TransferTarget::Uri(u.get_ref().clone()))),
            (Some(_), Some(u)) => {
                self.error(
                    u.span(),
                    format!("node `{name}`: give `agent_group` or `uri`, not both"),
                );
                None
            }
            (None, None) => None,
        };
        match (kind, target) {
            (NodeKind::Transfer, Some((span, t))) => {
                if span.get_ref().trim().is_empty() {
                    self.error(span.span(), format!("node `{name}`: empty transfer target"));
                }
                Some(t)
            }
            (NodeKind::Transfer, None) => {
                self.error(
                    raw.name.span(),
                    format!("node `{name}`: a transfer node needs `agent_group` or `uri`"),
                );
                None
            }
            (_, Some((span, _))) => {
                self.error(
                    span.span(),
                    format!("node `{name}`: `agent_group` and `uri` are only for transfer nodes"),
                );
                None
            }
            (_, None) => {
                if let Some(f) = &raw.on_failure {
                    self.error(
                        f.span(),
                        format!("node `{name}`: `on_failure` is only for transfer nodes"),
                    );
                }
                None
            }
        }
    }

    /// Nodes that no path from `start` reaches, as warnings.
    fn unreachable(&self, flow: &Flow, raw: &[RawNode]) -> Vec<FlowIssue> {
        let mut seen = vec![false; flow.nodes.len()];
        let mut todo = vec![flow.start, flow.fallback, flow.closing];
        let intents = flow
            .knowledge
            .iter()
            .chain(&flow.common.repeat)
            .chain(&flow.common.busy)
            .chain(&flow.common.robot);
        todo.extend(intents.filter_map(|i| i.next));
        todo.extend(flow.common.not_understood_next);
        while let Some(id) = todo.pop() {
            let Some(node) = flow.nodes.get(id) else {
                continue;
            };
            if std::mem::replace(&mut seen[id], true) {
                continue;
            }
            if node.kind.listens() {
                todo.extend(node.next);
                todo.extend(node.otherwise);
                todo.push(node.no_input_next);
                todo.extend(node.branches.iter().filter_map(|b| b.next));
            }
            if node.kind == NodeKind::Transfer {
                todo.push(node.on_failure);
            }
        }
        raw.iter()
            .zip(&seen)
            .filter(|(_, seen)| !**seen)
            .map(|(n, _)| {
                let message = format!(
                    "node `{}` is never reached from the start node",
                    n.name.get_ref()
                );
                FlowIssue::at(self.origin, self.text, n.name.span(), message)
            })
            .collect()
    }
}

struct NodeDefaults {
    no_input_ms: u32,
    retries: u32,
    barge_in: bool,
    fallback: NodeId,
}
