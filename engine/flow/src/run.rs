//! The interpreter: one [`FlowRun`] per call, driven by [`FlowInput`]s.
//!
//! Drive contract: give every call event to [`FlowRun::handle`] and perform the returned
//! outputs in order. The run never reads a clock; time-outs come back as inputs
//! ([`FlowInput::NoInput`], [`FlowInput::TimerFired`], an empty
//! [`FlowInput::DigitsCollected`]). The same inputs always give the same outputs.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::io::{FlowInput, FlowOutput, LogLevel};
use crate::level::{self, CallFacts};
use crate::matcher::Matchers;
use crate::model::{Effects, Flow, Intent, NodeId, NodeKind, PromptPart, Then};

/// Id of the timer that enforces `[flow].max_duration_ms`.
pub const MAX_DURATION_TIMER: &str = "flow-max-duration";

/// Where the run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Not answered yet.
    Idle,
    /// At a listening node, waiting for the callee.
    Waiting(NodeId),
    /// Playing a transfer node's prompt; the transfer follows.
    TransferPrompt(NodeId),
    /// Transfer requested, waiting for its result.
    Transferring(NodeId),
    /// Hung up, transferred or ended: nothing more to do.
    Done,
}

/// What a callee turn leads to.
enum Outcome {
    /// Enter a node, playing `lead` first.
    Goto { node: NodeId, lead: Vec<PromptPart> },
    /// Play `lead` then the node's prompts again, and listen.
    Replay { lead: Vec<PromptPart> },
    /// Play `lead` (if any) and listen again at the node.
    Listen { lead: Vec<PromptPart> },
    /// Play `lead` then the last prompt again, and listen.
    Repeat { lead: Vec<PromptPart> },
}

/// One callee turn, understood.
struct Turn {
    intent: Option<String>,
    keyword: Option<String>,
    effects: Option<Effects>,
    outcome: Outcome,
}

/// One call's run through a flow.
#[derive(Debug, Clone)]
pub struct FlowRun {
    flow: Arc<Flow>,
    variables: BTreeMap<String, String>,
    stage: Stage,
    facts: CallFacts,
    no_inputs: u32,
    misses: u32,
    last_prompt: Vec<PromptPart>,
    level: Option<String>,
    timer_running: bool,
}

impl FlowRun {
    /// A run of `flow` for a call with these variables (from the number list or CRM).
    pub fn new(flow: Arc<Flow>, variables: impl IntoIterator<Item = (String, String)>) -> Self {
        FlowRun {
            flow,
            variables: variables.into_iter().collect(),
            stage: Stage::Idle,
            facts: CallFacts::default(),
            no_inputs: 0,
            misses: 0,
            last_prompt: Vec::new(),
            level: None,
            timer_running: false,
        }
    }

    /// Handle one event; perform the outputs in order.
    pub fn handle(&mut self, input: FlowInput) -> Vec<FlowOutput> {
        let mut out = Vec::new();
        match (input, self.stage) {
            (FlowInput::Started, Stage::Idle) => log(
                &mut out,
                LogLevel::Debug,
                format!("flow `{}` ready", self.flow.name),
            ),
            (FlowInput::Answered, Stage::Idle) => {
                if let Some(after_ms) = self.flow.max_duration_ms {
                    self.timer_running = true;
                    out.push(FlowOutput::StartTimer {
                        id: MAX_DURATION_TIMER.into(),
                        after_ms,
                    });
                }
                self.enter(self.flow.start, Vec::new(), &mut out);
            }
            (FlowInput::Utterance { text, barged_in }, Stage::Waiting(node)) => {
                let text = text.filter(|t| !t.trim().is_empty());
                if text.is_none() && self.node_collects(node) {
                    log(
                        &mut out,
                        LogLevel::Debug,
                        "speech without text while collecting digits: ignored".into(),
                    );
                } else {
                    let turn = match &text {
                        Some(t) => self.understand(node, &|m| m.match_text(t), barged_in),
                        None => self.not_understood(node, barged_in),
                    };
                    self.answer(node, turn, &mut out);
                }
            }
            (FlowInput::Dtmf(digit), Stage::Waiting(node)) if !self.node_collects(node) => {
                let digits = digit.to_string();
                let turn = self.understand(node, &|m| m.match_digits(&digits), false);
                self.answer(node, turn, &mut out);
            }
            (FlowInput::DigitsCollected { digits }, Stage::Waiting(node)) => {
                if digits.is_empty() {
                    let turn = self.no_input(node);
                    self.answer(node, turn, &mut out);
                } else {
                    if let Some(name) = self
                        .flow
                        .nodes
                        .get(node)
                        .and_then(|n| n.collect.as_ref()?.variable.clone())
                    {
                        self.set_variable(name, digits.clone(), &mut out);
                    }
                    let turn = self.understand(node, &|m| m.match_digits(&digits), false);
                    self.answer(node, turn, &mut out);
                }
            }
            (FlowInput::NoInput, Stage::Waiting(node)) => {
                let turn = self.no_input(node);
                self.answer(node, turn, &mut out);
            }
            (FlowInput::PlaybackFinished { .. }, Stage::TransferPrompt(node)) => {
                self.transfer(node, &mut out)
            }
            (FlowInput::TimerFired(id), Stage::Waiting(_)) if id == MAX_DURATION_TIMER => {
                self.timer_running = false;
                log(
                    &mut out,
                    LogLevel::Info,
                    "max_duration_ms reached: going to the closing".into(),
                );
                self.enter(self.flow.closing, Vec::new(), &mut out);
            }
            (FlowInput::TransferResult { connected: true }, Stage::Transferring(_)) => {
                log(
                    &mut out,
                    LogLevel::Info,
                    "transfer connected: the flow ends".into(),
                );
                self.finish(None, &mut out);
            }
            (FlowInput::TransferResult { connected: false }, Stage::Transferring(node)) => {
                let failure = self
                    .flow
                    .nodes
                    .get(node)
                    .map_or(self.flow.fallback, |n| n.on_failure);
                log(&mut out, LogLevel::Warn, "transfer failed".into());
                self.enter(failure, Vec::new(), &mut out);
            }
            (FlowInput::Hangup, stage) if stage != Stage::Done => {
                // After a hang-up only tags, score, level, variables and logs are allowed.
                self.timer_running = false;
                log(&mut out, LogLevel::Info, "call ended by hang-up".into());
                self.finish(None, &mut out);
            }
            _ => {}
        }
        out
    }

    /// The score so far.
    pub fn score(&self) -> i32 {
        self.facts.score
    }

    /// The tags so far, in the order they were added.
    pub fn tags(&self) -> &[String] {
        &self.facts.tags
    }

    /// Callee turns answered so far.
    pub fn rounds(&self) -> u32 {
        self.facts.rounds
    }

    /// The level, once the flow has ended.
    pub fn level(&self) -> Option<&str> {
        self.level.as_deref()
    }

    /// The call's variables: those given to [`FlowRun::new`] plus those the flow set.
    pub fn variables(&self) -> &BTreeMap<String, String> {
        &self.variables
    }

    /// The node the flow is at, if it has started and not ended.
    pub fn current_node(&self) -> Option<&str> {
        match self.stage {
            Stage::Waiting(n) | Stage::TransferPrompt(n) | Stage::Transferring(n) => {
                self.flow.nodes.get(n).map(|n| n.name.as_str())
            }
            Stage::Idle | Stage::Done => None,
        }
    }

    /// True once the flow has hung up, transferred, or seen the hang-up.
    pub fn is_finished(&self) -> bool {
        self.stage == Stage::Done
    }

    fn node_collects(&self, node: NodeId) -> bool {
        self.flow
            .nodes
            .get(node)
            .is_some_and(|n| n.collect.is_some())
    }

    /// Match a turn against the node's branches, then the common dialogs, then knowledge.
    fn understand(
        &mut self,
        node_id: NodeId,
        hit: &dyn Fn(&Matchers) -> Option<String>,
        barged_in: bool,
    ) -> Turn {
        let flow = Arc::clone(&self.flow);
        let Some(node) = flow.nodes.get(node_id) else {
            return self.not_understood(node_id, barged_in);
        };
        for branch in &node.branches {
            if let Some(keyword) = hit(&branch.matchers) {
                let target = branch.next.or(node.next).unwrap_or(flow.fallback);
                return Turn {
                    intent: Some(branch.name().to_owned()),
                    keyword: Some(keyword),
                    effects: Some(branch.effects.clone()),
                    outcome: Outcome::Goto {
                        node: target,
                        lead: Vec::new(),
                    },
                };
            }
        }
        let common = &flow.common;
        let intents = common
            .repeat
            .iter()
            .chain(&common.busy)
            .chain(&common.robot)
            .chain(&flow.knowledge);
        for intent in intents {
            if let Some(keyword) = hit(&intent.matchers) {
                let is_repeat = common
                    .repeat
                    .as_ref()
                    .is_some_and(|r| std::ptr::eq(r, intent));
                return self.intent_turn(node_id, intent, keyword, is_repeat);
            }
        }
        self.not_understood(node_id, barged_in)
    }

    fn intent_turn(&self, node: NodeId, intent: &Intent, keyword: String, is_repeat: bool) -> Turn {
        let lead = intent.prompts.clone();
        let outcome = match (is_repeat, intent.next, intent.then) {
            (true, _, _) => Outcome::Repeat { lead },
            (false, Some(target), _) => Outcome::Goto { node: target, lead },
            (false, None, Then::Replay) => Outcome::Replay { lead },
            (false, None, Then::Listen) => Outcome::Listen { lead },
            (false, None, Then::Next) => {
                let target = self
                    .flow
                    .nodes
                    .get(node)
                    .and_then(|n| n.next)
                    .unwrap_or(self.flow.fallback);
                Outcome::Goto { node: target, lead }
            }
        };
        Turn {
            intent: Some(intent.name.clone()),
            keyword: Some(keyword),
            effects: Some(intent.effects.clone()),
            outcome,
        }
    }

    fn not_understood(&mut self, node_id: NodeId, barged_in: bool) -> Turn {
        let flow = &self.flow;
        let node = flow.nodes.get(node_id);
        let outcome = match node {
            Some(n) if n.branches.is_empty() => Outcome::Goto {
                node: n.next.unwrap_or(flow.fallback),
                lead: Vec::new(),
            },
            Some(n) if n.otherwise.is_some() => Outcome::Goto {
                node: n.otherwise.unwrap_or(flow.fallback),
                lead: Vec::new(),
            },
            _ => {
                self.misses += 1;
                if self.misses >= flow.common.not_understood_limit {
                    let target = flow.common.not_understood_next.unwrap_or(flow.fallback);
                    Outcome::Goto {
                        node: target,
                        lead: Vec::new(),
                    }
                } else if barged_in {
                    // The callee cut the prompt short; let them hear it whole before apologising.
                    Outcome::Replay { lead: Vec::new() }
                } else {
                    Outcome::Replay {
                        lead: flow.common.not_understood.clone(),
                    }
                }
            }
        };
        Turn {
            intent: None,
            keyword: None,
            effects: None,
            outcome,
        }
    }

    fn no_input(&mut self, node_id: NodeId) -> Turn {
        self.no_inputs += 1;
        let flow = &self.flow;
        let outcome = match flow.nodes.get(node_id) {
            Some(n) if self.no_inputs <= n.retries => {
                let lead = if n.retry_prompts.is_empty() {
                    &flow.common.no_input
                } else {
                    &n.retry_prompts
                };
                Outcome::Replay { lead: lead.clone() }
            }
            Some(n) => Outcome::Goto {
                node: n.no_input_next,
                lead: Vec::new(),
            },
            None => Outcome::Goto {
                node: flow.fallback,
                lead: Vec::new(),
            },
        };
        Turn {
            intent: None,
            keyword: None,
            effects: None,
            outcome,
        }
    }

    /// Count the round, note it, apply its effects and follow its outcome.
    fn answer(&mut self, node: NodeId, turn: Turn, out: &mut Vec<FlowOutput>) {
        self.facts.rounds += 1;
        if let Some(intent) = &turn.intent {
            self.facts.intents_hit.push(intent.clone());
        }
        if let Some(keyword) = &turn.keyword {
            self.facts.keywords_hit.push(keyword.clone());
        }
        out.push(FlowOutput::NoteRound {
            node: self
                .flow
                .nodes
                .get(node)
                .map(|n| n.name.clone())
                .unwrap_or_default(),
            intent: turn.intent,
            keywords: turn.keyword.into_iter().collect(),
        });
        if let Some(effects) = &turn.effects {
            self.apply(effects, out);
        }
        let mut outcome = turn.outcome;
        if self.facts.rounds >= self.flow.max_rounds && !self.ends(&outcome) {
            log(
                out,
                LogLevel::Info,
                format!(
                    "max_rounds ({}) reached: going to the closing",
                    self.flow.max_rounds
                ),
            );
            let lead = match outcome {
                Outcome::Goto { lead, .. }
                | Outcome::Replay { lead }
                | Outcome::Listen { lead }
                | Outcome::Repeat { lead } => lead,
            };
            outcome = Outcome::Goto {
                node: self.flow.closing,
                lead,
            };
        }
        let Some(current) = self.flow.nodes.get(node).cloned() else {
            return;
        };
        match outcome {
            Outcome::Goto { node, lead } => self.enter(node, lead, out),
            Outcome::Replay { mut lead } => {
                lead.extend(current.prompts.iter().cloned());
                self.play(lead, current.barge_in, out);
                self.wait(node, out);
            }
            Outcome::Listen { lead } => {
                if !lead.is_empty() {
                    self.play(lead, current.barge_in, out);
                }
                self.wait(node, out);
            }
            Outcome::Repeat { mut lead } => {
                let last = self.last_prompt.clone();
                lead.extend(last.iter().cloned());
                self.play(lead, current.barge_in, out);
                self.last_prompt = last;
                self.wait(node, out);
            }
        }
    }

    /// True when the outcome already leaves the dialogue (end or transfer node).
    fn ends(&self, outcome: &Outcome) -> bool {
        matches!(outcome, Outcome::Goto { node, .. } if self.flow.nodes.get(*node).is_some_and(|n| !n.kind.listens()))
    }

    fn enter(&mut self, id: NodeId, mut lead: Vec<PromptPart>, out: &mut Vec<FlowOutput>) {
        let flow = Arc::clone(&self.flow);
        let Some(node) = flow.nodes.get(id) else {
            return;
        };
        if !self.facts.reached.contains(&id) {
            self.facts.reached.push(id);
        }
        self.no_inputs = 0;
        self.misses = 0;
        log(out, LogLevel::Debug, format!("node `{}`", node.name));
        self.apply(&node.on_enter, out);
        lead.extend(node.prompts.iter().cloned());
        match node.kind {
            NodeKind::Opening | NodeKind::Step => {
                self.stage = Stage::Waiting(id);
                if !lead.is_empty() {
                    self.play(lead, node.barge_in, out);
                }
                self.wait(id, out);
            }
            NodeKind::End => {
                self.finish(Some(id), out);
                out.push(FlowOutput::HangUp { final_prompt: lead });
            }
            NodeKind::Transfer if lead.is_empty() => self.transfer(id, out),
            NodeKind::Transfer => {
                self.stage = Stage::TransferPrompt(id);
                self.play(lead, false, out);
            }
        }
    }

    fn transfer(&mut self, id: NodeId, out: &mut Vec<FlowOutput>) {
        let target = self.flow.nodes.get(id).and_then(|n| n.transfer.clone());
        match target {
            Some(target) => {
                self.stage = Stage::Transferring(id);
                out.push(FlowOutput::Transfer(target));
            }
            None => {
                let fallback = self.flow.fallback;
                self.enter(fallback, Vec::new(), out);
            }
        }
    }

    /// The flow ends here: evaluate and emit the level, stop the duration timer.
    fn finish(&mut self, ending: Option<NodeId>, out: &mut Vec<FlowOutput>) {
        self.stage = Stage::Done;
        if self.timer_running {
            self.timer_running = false;
            out.push(FlowOutput::CancelTimer(MAX_DURATION_TIMER.into()));
        }
        self.level = level::evaluate(&self.flow, ending, &self.facts);
        if let Some(level) = &self.level {
            out.push(FlowOutput::SetLevel(level.clone()));
        }
    }

    fn play(&mut self, parts: Vec<PromptPart>, barge_in: bool, out: &mut Vec<FlowOutput>) {
        self.last_prompt.clone_from(&parts);
        out.push(FlowOutput::Play { parts, barge_in });
    }

    fn wait(&self, id: NodeId, out: &mut Vec<FlowOutput>) {
        let Some(node) = self.flow.nodes.get(id) else {
            return;
        };
        out.push(match &node.collect {
            Some(c) => FlowOutput::CollectDigits {
                max_digits: c.max_digits,
                terminator: c.terminator,
                timeout_ms: c.timeout_ms,
            },
            None => FlowOutput::Listen {
                no_input_ms: node.no_input_ms,
                end_silence_ms: node.end_silence_ms,
            },
        });
    }

    fn apply(&mut self, effects: &Effects, out: &mut Vec<FlowOutput>) {
        if effects.score != 0 {
            self.facts.score = self.facts.score.saturating_add(effects.score);
            out.push(FlowOutput::AddScore(effects.score));
        }
        for tag in &effects.tags {
            if !self.facts.tags.contains(tag) {
                self.facts.tags.push(tag.clone());
                out.push(FlowOutput::Tag(tag.clone()));
            }
        }
        for (name, value) in &effects.set {
            self.set_variable(name.clone(), value.clone(), out);
        }
    }

    fn set_variable(&mut self, name: String, value: String, out: &mut Vec<FlowOutput>) {
        self.variables.insert(name.clone(), value.clone());
        out.push(FlowOutput::SetVariable { name, value });
    }
}

fn log(out: &mut Vec<FlowOutput>, level: LogLevel, message: String) {
    out.push(FlowOutput::Log { level, message });
}
