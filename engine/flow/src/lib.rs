//! No-code dialogue flows (话术) for voxgate: the flow file format, its validation and a
//! sans-IO interpreter.
//!
//! A campaign's script writer describes the call in TOML (see `FORMAT.md` beside this crate):
//! an opening, main steps, knowledge answers, common dialogs, end and transfer nodes, and the
//! rules that turn what happened into an intent level. [`Flow::parse`] checks a file and says
//! where every mistake is (`origin:line:column: what was expected`); [`FlowRun`] plays one call
//! through it.
//!
//! Drive contract: create one [`FlowRun`] per call, give it every call event as a
//! [`FlowInput`], and perform the [`FlowOutput`]s it returns, in order. It never reads a
//! clock, never blocks and is deterministic.
//!
//! ```
//! use std::sync::Arc;
//! use voxgate_flow::{Flow, FlowInput, FlowOutput, FlowRun};
//!
//! let text = r#"
//! [flow]
//! name = "hello"
//! start = "ask"
//! fallback = "bye"
//!
//! [[node]]
//! name = "ask"
//! kind = "opening"
//! prompts = [{ text = "Hello ${name}, press 1 if you are interested." }]
//! [[node.branch]]
//! kind = "positive"
//! digits = ["1"]
//! tags = ["interested"]
//! next = "bye"
//!
//! [[node]]
//! name = "bye"
//! kind = "end"
//! prompts = [{ text = "Goodbye." }]
//! "#;
//! let flow = Arc::new(Flow::parse(text, "hello.toml").expect("valid"));
//! let mut run = FlowRun::new(flow, [("name".to_owned(), "Ann".to_owned())]);
//! run.handle(FlowInput::Answered);
//! let out = run.handle(FlowInput::Dtmf('1'));
//! assert!(out.contains(&FlowOutput::Tag("interested".into())));
//! assert!(run.is_finished());
//! ```

mod io;
mod issue;
mod level;
mod matcher;
mod model;
mod raw;
mod run;
mod validate;

pub use io::{FlowInput, FlowOutput, LogLevel};
pub use issue::{FlowErrors, FlowIssue};
pub use matcher::{Matchers, normalise};
pub use model::{
    Branch, BranchKind, Collect, CommonDialogs, Effects, Flow, Intent, LevelRule, Node, NodeId,
    NodeKind, PromptPart, Then, TransferTarget,
};
pub use run::{FlowRun, MAX_DURATION_TIMER};

impl Flow {
    /// Parse and check a flow file. `origin` names it in messages (usually its path).
    ///
    /// Every error is reported, each as `origin:line:column: what was expected`. Problems that
    /// do not stop the flow (nodes never reached) are in [`Flow::warnings`].
    pub fn parse(text: &str, origin: &str) -> Result<Flow, FlowErrors> {
        validate::parse(text, origin)
    }
}

#[cfg(test)]
mod tests;
