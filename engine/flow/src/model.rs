//! The validated flow: what [`crate::Flow::parse`] produces and [`crate::FlowRun`] interprets.
//!
//! Node references are resolved to indices into [`Flow::nodes`], so the interpreter never
//! looks a name up and never meets a dangling reference.

use std::collections::BTreeMap;

use crate::issue::FlowIssue;
use crate::matcher::Matchers;

/// Index of a node in [`Flow::nodes`].
pub type NodeId = usize;

/// A validated flow file.
#[derive(Debug, Clone)]
pub struct Flow {
    /// `[flow].name`.
    pub name: String,
    /// `[flow].language`, e.g. `en` or `zh` (informational).
    pub language: Option<String>,
    /// The node entered when the call is answered.
    pub start: NodeId,
    /// The end node used when the callee is not understood too often or stays silent.
    pub fallback: NodeId,
    /// The end (or transfer) node used when `max_rounds` or `max_duration_ms` is reached.
    pub closing: NodeId,
    /// Callee turns answered before the flow goes to `closing`.
    pub max_rounds: u32,
    /// Talk time before the flow goes to `closing`, if limited.
    pub max_duration_ms: Option<u32>,
    /// Level when no rule matches and the end node names none.
    pub default_level: Option<String>,
    /// Every node, in file order.
    pub nodes: Vec<Node>,
    /// Answers reachable from any listening node, in file order.
    pub knowledge: Vec<Intent>,
    /// The common dialogs.
    pub common: CommonDialogs,
    /// Level rules, in order; the first that matches wins.
    pub levels: Vec<LevelRule>,
    /// Problems that do not stop the flow from running (unreachable nodes).
    pub warnings: Vec<FlowIssue>,
}

impl Flow {
    /// The node called `name`, if any.
    pub fn node_named(&self, name: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.name == name)
    }
}

/// One piece of a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptPart {
    /// A recording, by the path written in the flow file (relative to the flow file's folder).
    File(String),
    /// Text for TTS; `${name}` is left as written for the host to substitute.
    Text(String),
}

/// What kind of node it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// The opening (开场白): plays, then listens like a step.
    Opening,
    /// A main step: plays, listens, branches.
    Step,
    /// Plays its prompt and hangs up.
    End,
    /// Plays its prompt and transfers the call.
    Transfer,
}

impl NodeKind {
    /// True for nodes that wait for the callee (opening and steps).
    pub fn listens(self) -> bool {
        matches!(self, NodeKind::Opening | NodeKind::Step)
    }
}

/// Where a transfer node sends the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    /// An agent group the operator configured.
    AgentGroup(String),
    /// A SIP URI or number.
    Uri(String),
}

/// Digit collection on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collect {
    /// Digits to collect at most.
    pub max_digits: u8,
    /// Digit that ends collection early.
    pub terminator: Option<char>,
    /// Time allowed for the first digit and between digits.
    pub timeout_ms: u32,
    /// Variable that receives the digits.
    pub variable: Option<String>,
}

/// What an entry (node, branch, intent) does to the call's counters when it applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// Added to the score.
    pub score: i32,
    /// Tags added.
    pub tags: Vec<String>,
    /// Variables set.
    pub set: BTreeMap<String, String>,
}

/// A node of the flow.
#[derive(Debug, Clone)]
pub struct Node {
    /// Unique name.
    pub name: String,
    /// Its kind.
    pub kind: NodeKind,
    /// Played on entering (the final prompt for end nodes).
    pub prompts: Vec<PromptPart>,
    /// Where input goes when no branch names a target (listening nodes).
    pub next: Option<NodeId>,
    /// Where input goes when no branch matches, instead of "not understood".
    pub otherwise: Option<NodeId>,
    /// The callee may interrupt the prompts.
    pub barge_in: bool,
    /// Silence before no-input.
    pub no_input_ms: u32,
    /// Silence that ends an utterance, if overridden.
    pub end_silence_ms: Option<u32>,
    /// No-input replays before `no_input_next`.
    pub retries: u32,
    /// Played before the replay after no-input (empty: the common no-input prompt).
    pub retry_prompts: Vec<PromptPart>,
    /// Where the flow goes after the last retry (the fallback by default).
    pub no_input_next: NodeId,
    /// Applied on entering.
    pub on_enter: Effects,
    /// Collect DTMF digits instead of listening.
    pub collect: Option<Collect>,
    /// Branches in order; the first that matches wins.
    pub branches: Vec<Branch>,
    /// End nodes: the level this ending means (overrides the rules).
    pub level: Option<String>,
    /// Transfer nodes: where to.
    pub transfer: Option<TransferTarget>,
    /// Transfer nodes: where the flow goes when the transfer fails (the fallback by default).
    pub on_failure: NodeId,
}

/// The kind of a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchKind {
    /// The callee agrees.
    Positive,
    /// The callee declines.
    Negative,
    /// A named special case.
    Special(String),
}

/// A branch of a listening node.
#[derive(Debug, Clone)]
pub struct Branch {
    /// Its kind; its name in round notes is `positive`, `negative` or the special name.
    pub kind: BranchKind,
    /// What the callee must say or press.
    pub matchers: Matchers,
    /// Where to go (the node's `next` when unset).
    pub next: Option<NodeId>,
    /// Applied when the branch is taken.
    pub effects: Effects,
}

impl Branch {
    /// The name written in round notes and matched by `intents_any`.
    pub fn name(&self) -> &str {
        match &self.kind {
            BranchKind::Positive => "positive",
            BranchKind::Negative => "negative",
            BranchKind::Special(name) => name,
        }
    }
}

/// What happens after an intent's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// Replay the interrupted node's prompts after the answer.
    Replay,
    /// Keep listening at the interrupted node.
    Listen,
    /// Go on to the interrupted node's `next`.
    Next,
}

/// A knowledge answer or a matched common dialog (repeat, busy, robot).
#[derive(Debug, Clone)]
pub struct Intent {
    /// Name in round notes (`price`, `repeat`, `busy`, `robot`, ...).
    pub name: String,
    /// What the callee must say or press.
    pub matchers: Matchers,
    /// The answer.
    pub prompts: Vec<PromptPart>,
    /// What happens after the answer, when `next` is unset.
    pub then: Then,
    /// A node to go to after the answer.
    pub next: Option<NodeId>,
    /// Applied when matched.
    pub effects: Effects,
}

/// The common dialogs (`[common.*]`).
#[derive(Debug, Clone, Default)]
pub struct CommonDialogs {
    /// Played before the replay after no input.
    pub no_input: Vec<PromptPart>,
    /// Played before the replay when nothing matched.
    pub not_understood: Vec<PromptPart>,
    /// Misses in a row on one node before the flow leaves it.
    pub not_understood_limit: u32,
    /// Where the flow goes after too many misses (the fallback by default).
    pub not_understood_next: Option<NodeId>,
    /// "Say that again": replays the last prompt.
    pub repeat: Option<Intent>,
    /// "I'm busy": usually goes to a call-back end node.
    pub busy: Option<Intent>,
    /// "Are you a robot?".
    pub robot: Option<Intent>,
}

/// One `[[levels]]` rule: every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct LevelRule {
    /// The level it gives (`A`-`F` or a custom label).
    pub level: String,
    /// Score at least.
    pub score_at_least: Option<i32>,
    /// Score at most.
    pub score_at_most: Option<i32>,
    /// Every one of these tags.
    pub tags_all: Vec<String>,
    /// At least one of these tags.
    pub tags_any: Vec<String>,
    /// None of these tags.
    pub tags_none: Vec<String>,
    /// Rounds at least.
    pub rounds_at_least: Option<u32>,
    /// At least one of these keywords was hit (case-insensitive).
    pub keywords_any: Vec<String>,
    /// At least one of these branches or intents matched.
    pub intents_any: Vec<String>,
    /// At least one of these nodes was reached.
    pub nodes_any: Vec<NodeId>,
}
