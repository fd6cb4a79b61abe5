//! `voxgate simulate`: a text simulator for script developers. The developer types what the
//! callee says (or `#digits`, or an empty line for silence) and sees the bot's actions, tags,
//! score and level, turn by turn. Prompts count as played at once; timers run on a fake clock
//! that `/wait MS` advances. The same session replays from a file (`--script`), which is how
//! the tests use it.

use std::io::{BufRead, Write};
use std::path::Path;

use voxgate_plugin_host::Fault;
use voxgate_plugin_host::dialogue::{
    Action, Collect, CollectEnd, Event, PromptPart, Recognized, Transcript, TransferTarget,
    Utterance,
};
use voxgate_plugin_host::types::{HangupParty, HttpResponse};
use voxgate_plugin_testkit::{DialogueHarness, Testkit};

use crate::dialogue::call_info;

/// Most plays answered with `playback-finished` in a row, so a plugin that replays forever
/// cannot hang the simulator.
const MAX_CHAINED_PLAYS: usize = 20;

const HELP: &str = "type what the callee says; `#123` sends digits; an empty line is silence \
(no input); `/barge TEXT` interrupts the prompt; `/wait MS` lets time pass; `/hangup` hangs up; \
`/quit` ends";

/// Run a session; returns false when the plugin faulted.
pub fn run(
    plugin: &Path,
    flow: Option<&Path>,
    variables: &[(String, String)],
    callee: &str,
    input: impl BufRead,
    out: &mut impl Write,
) -> std::io::Result<bool> {
    let mut kit = Testkit::load(plugin).map_err(std::io::Error::other)?;
    let mut harness = kit.dialogue().map_err(std::io::Error::other)?;
    let mut info = call_info(
        "simulated-call",
        false,
        None,
        None,
        callee,
        "10000",
        variables,
    );
    if let Some(flow) = flow {
        info.flow = Some(std::fs::read_to_string(flow)?);
    }
    writeln!(out, "# {HELP}")?;
    let mut sim = Simulator {
        harness: &mut harness,
        collect: None,
        digits: String::new(),
        out,
    };
    let started = sim.harness.start(info);
    if !sim.turn("call-started", started)? {
        return Ok(false);
    }
    let answered = sim.harness.answered();
    if !sim.turn("answered", answered)? {
        return Ok(false);
    }
    for line in input.lines() {
        if sim.harness.ended() {
            break;
        }
        let line = line?;
        let line = line.trim();
        writeln!(sim.out, "callee> {line}")?;
        let ok = match line {
            "/quit" => break,
            "/hangup" => {
                let result = sim.harness.hangup(HangupParty::Remote);
                sim.turn("hangup", result)?;
                return sim.summary();
            }
            _ => sim.input(line)?,
        };
        if !ok {
            return Ok(false);
        }
    }
    if !sim.harness.ended() {
        writeln!(sim.out, "(input ended before the bot hung up)")?;
    }
    let result = sim.harness.hangup(HangupParty::Bot);
    if !sim.turn("hangup", result)? {
        return Ok(false);
    }
    sim.summary()
}

struct Simulator<'a, W: Write> {
    harness: &'a mut DialogueHarness,
    /// A `collect-digits` in progress.
    collect: Option<Collect>,
    digits: String,
    out: &'a mut W,
}

impl<W: Write> Simulator<'_, W> {
    /// One line of callee input; false when the plugin faulted.
    fn input(&mut self, line: &str) -> std::io::Result<bool> {
        if let Some(digits) = line.strip_prefix('#') {
            for digit in digits.chars().filter(|c| !c.is_whitespace()) {
                if !self.digit(digit)? {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        if let Some(ms) = line.strip_prefix("/wait") {
            let ms = ms.trim().parse().unwrap_or(1000);
            let result = self.harness.advance(ms);
            return self.turn(&format!("{ms} ms later"), result);
        }
        if line.is_empty() || line == "/silence" {
            return match self.collect.take() {
                Some(_) => self.collected(CollectEnd::Timeout),
                None => {
                    let result = self.harness.silence();
                    self.turn("no-input", result)
                }
            };
        }
        let (text, barged_in) = match line.strip_prefix("/barge") {
            Some(text) => (text.trim(), true),
            None => (line, false),
        };
        let utterance = Utterance {
            transcript: Transcript::Recognized(Recognized {
                text: text.to_owned(),
                confidence: 0.9,
            }),
            duration_ms: 200 + 60 * text.chars().count() as u32,
            barged_in,
        };
        let result = self.harness.send(Event::Utterance(utterance));
        self.turn("utterance", result)
    }

    fn digit(&mut self, digit: char) -> std::io::Result<bool> {
        let result = self.harness.digit(digit);
        if !self.turn(&format!("dtmf {digit}"), result)? {
            return Ok(false);
        }
        let Some(collect) = &self.collect else {
            return Ok(true);
        };
        if Some(digit) == collect.terminator {
            self.collect = None;
            return self.collected(CollectEnd::Terminator);
        }
        self.digits.push(digit);
        if self.digits.chars().count() >= usize::from(collect.max_digits) {
            self.collect = None;
            return self.collected(CollectEnd::MaxDigits);
        }
        Ok(true)
    }

    fn collected(&mut self, end: CollectEnd) -> std::io::Result<bool> {
        let digits = std::mem::take(&mut self.digits);
        let result = self.harness.digits(&digits, end);
        self.turn("digits collected", result)
    }

    /// Print a turn's actions and state; answer plays (at once) and HTTP requests (refused).
    fn turn(&mut self, what: &str, result: Result<Vec<Action>, Fault>) -> std::io::Result<bool> {
        let mut pending = vec![(what.to_owned(), result)];
        let mut plays = 0;
        while let Some((what, result)) = pending.pop() {
            let actions = match result {
                Ok(actions) => actions,
                Err(fault) => {
                    writeln!(self.out, "  !! plugin fault ({what}): {fault}")?;
                    writeln!(
                        self.out,
                        "  the engine would play the fallback prompt and hang up"
                    )?;
                    return Ok(false);
                }
            };
            let mut played = false;
            for action in &actions {
                writeln!(self.out, "  bot: {}", describe(action))?;
                match action {
                    Action::Play(_) => played = true,
                    Action::CollectDigits(c) => {
                        self.collect = Some(*c);
                        self.digits.clear();
                    }
                    Action::HttpRequest(request) => {
                        let response = HttpResponse {
                            id: request.id.clone(),
                            outcome: Err("the simulator does not perform HTTP requests".into()),
                        };
                        let result = self.harness.send(Event::HttpResponse(response));
                        pending.push(("http-response".into(), result));
                    }
                    _ => {}
                }
            }
            if played && !self.harness.ended() && plays < MAX_CHAINED_PLAYS {
                plays += 1;
                let result = self.harness.playback_finished();
                pending.push(("playback-finished".into(), result));
            }
        }
        writeln!(
            self.out,
            "  [tags: {} | score: {} | level: {}]",
            self.harness.tags().join(", "),
            self.harness.score(),
            self.harness.level().unwrap_or("-")
        )?;
        Ok(true)
    }

    fn summary(&mut self) -> std::io::Result<bool> {
        writeln!(
            self.out,
            "= call ended: level {} | score {} | tags {} | rounds {}",
            self.harness.level().unwrap_or("-"),
            self.harness.score(),
            self.harness.tags().join(","),
            self.harness
                .history()
                .iter()
                .filter(|t| matches!(
                    t.event,
                    Event::Utterance(_) | Event::NoInput | Event::DigitsCollected(_)
                ))
                .count()
        )?;
        Ok(true)
    }
}

fn parts(parts: &[PromptPart]) -> String {
    parts
        .iter()
        .map(|p| match p {
            PromptPart::File(id) => format!("[{id}]"),
            PromptPart::Tts(text) => format!("\"{text}\""),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One action as a line a script writer reads.
fn describe(action: &Action) -> String {
    match action {
        Action::Play(p) => format!(
            "says {}{}",
            parts(&p.parts),
            if p.barge_in { "" } else { " (no barge-in)" }
        ),
        Action::StopPlayback => "stops the prompt".into(),
        Action::Listen(l) => format!(
            "listens (no-input {} ms, end silence {} ms)",
            l.no_input_ms.map_or("default".into(), |v| v.to_string()),
            l.end_silence_ms.map_or("default".into(), |v| v.to_string())
        ),
        Action::CollectDigits(c) => format!(
            "collects up to {} digits{} within {} ms",
            c.max_digits,
            c.terminator
                .map_or(String::new(), |t| format!(" ending with {t}")),
            c.timeout_ms
        ),
        Action::Transfer(TransferTarget::AgentGroup(g)) => format!("transfers to agent group {g}"),
        Action::Transfer(TransferTarget::Uri(u)) => format!("transfers to {u}"),
        Action::HangUp(h) if h.final_prompt.is_empty() => "hangs up".into(),
        Action::HangUp(h) => format!("says {} and hangs up", parts(&h.final_prompt)),
        Action::Tag(t) => format!("tag +{t}"),
        Action::AddScore(s) => format!("score {s:+}"),
        Action::SetLevel(l) => format!("level {l}"),
        Action::SetVariable(p) => format!("sets {} = {}", p.name, p.value),
        Action::HttpRequest(r) => format!("HTTP {} {} (id {})", r.method, r.url, r.id),
        Action::StartTimer(t) => format!("timer {} in {} ms", t.id, t.after_ms),
        Action::CancelTimer(id) => format!("cancels timer {id}"),
        Action::NoteRound(n) => format!(
            "round at node {}{}{}",
            n.node,
            n.intent
                .as_ref()
                .map_or(String::new(), |i| format!(", intent {i}")),
            if n.keywords.is_empty() {
                String::new()
            } else {
                format!(", keywords {}", n.keywords.join("/"))
            }
        ),
        Action::Log(l) => format!("log {:?}: {}", l.level, l.message),
    }
}
