//! A dialogue plugin that misbehaves on purpose, for the host's sandbox tests.
//!
//! The config key `behaviour` picks what it does; see README.md. `echo` is well behaved and
//! exercises every host import.

use voxgate_plugin_sdk::dialogue::{Actions, Dialogue, HangupInfo, Utterance};
use voxgate_plugin_sdk::host;
use voxgate_plugin_sdk::types::{CallInfo, HangupParty, HttpRequest, LogLevel};

/// What the plugin was configured to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Behaviour {
    InfiniteLoop,
    MemoryBomb,
    Trap,
    ManyActions,
    ForbiddenHost,
    HugeLog,
    #[default]
    Echo,
}

impl Behaviour {
    fn from_config() -> Self {
        match host::config().get("behaviour") {
            Some("infinite-loop") => Self::InfiniteLoop,
            Some("memory-bomb") => Self::MemoryBomb,
            Some("trap") => Self::Trap,
            Some("many-actions") => Self::ManyActions,
            Some("forbidden-host") => Self::ForbiddenHost,
            Some("huge-log") => Self::HugeLog,
            _ => Self::Echo,
        }
    }
}

/// Number of tag actions `many-actions` returns.
const MANY_ACTIONS: usize = 10_000;

/// Length of the `huge-log` line.
const HUGE_LOG_BYTES: usize = 1 << 20;

#[derive(Default)]
struct Misbehaving {
    behaviour: Option<Behaviour>,
}

impl Misbehaving {
    fn behaviour(&mut self) -> Behaviour {
        *self.behaviour.get_or_insert_with(Behaviour::from_config)
    }
}

/// Spins forever; `black_box` keeps the optimiser from reasoning about the loop.
fn spin_forever() -> ! {
    let mut counter: u64 = 0;
    loop {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
}

/// Grows a vector until allocation fails (the host's memory cap traps first).
fn exhaust_memory() -> usize {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        let block = vec![0xA5u8; 1 << 20];
        blocks.push(std::hint::black_box(block));
        if blocks.len() == usize::MAX {
            return blocks.len();
        }
    }
}

fn echo_answered(out: &mut Actions) {
    out.play_file("hello");
    out.tag(format!("now-{}", host::now_ms()));
    host::log(LogLevel::Info, &format!("random {}", host::random_u64()));
    match bump_counter() {
        Ok(calls) => out.tag(format!("kv-{calls}")),
        Err(_) => out.tag("kv-error"),
    };
    out.start_timer("t1", 1000);
}

/// Increments the `calls` counter in the key-value store and returns the new value.
fn bump_counter() -> Result<u64, String> {
    let calls = match host::kv::get("calls")? {
        Some(text) => text.parse::<u64>().map_err(|e| e.to_string())?,
        None => 0,
    } + 1;
    host::kv::set("calls", &calls.to_string())?;
    Ok(calls)
}

fn party_name(by: HangupParty) -> &'static str {
    match by {
        HangupParty::Remote => "remote",
        HangupParty::Bot => "bot",
        HangupParty::Network => "network",
        HangupParty::Engine => "engine",
    }
}

impl Dialogue for Misbehaving {
    fn on_call_started(&mut self, call: &CallInfo, out: &mut Actions) {
        match self.behaviour() {
            Behaviour::ManyActions => {
                for n in 0..MANY_ACTIONS {
                    out.tag(format!("flood-{n}"));
                }
            }
            Behaviour::Echo => {
                for variable in &call.variables {
                    out.set_variable(variable.name.clone(), variable.value.clone());
                }
                out.tag(format!("callee-{}", call.callee));
            }
            _ => {}
        }
    }

    fn on_answered(&mut self, out: &mut Actions) {
        match self.behaviour() {
            Behaviour::InfiniteLoop => spin_forever(),
            Behaviour::MemoryBomb => {
                let blocks = exhaust_memory();
                out.tag(format!("survived-{blocks}"));
            }
            Behaviour::Trap => panic!("misbehaving plugin: deliberate trap"),
            Behaviour::ManyActions => {
                for n in 0..MANY_ACTIONS {
                    out.tag(format!("flood-{n}"));
                }
            }
            Behaviour::ForbiddenHost => {
                out.http_request(HttpRequest::get("forbidden", "http://forbidden.invalid/"));
            }
            Behaviour::HugeLog => {
                host::log(LogLevel::Info, &"x".repeat(HUGE_LOG_BYTES));
                out.play_file("hello");
            }
            Behaviour::Echo => echo_answered(out),
        }
    }

    fn on_dtmf(&mut self, digit: char, out: &mut Actions) {
        if self.behaviour() == Behaviour::Echo {
            out.tag(format!("digit-{digit}")).add_score(1);
        }
    }

    fn on_utterance(&mut self, _utterance: &Utterance, out: &mut Actions) {
        if self.behaviour() == Behaviour::Echo {
            out.note_round("echo", None, Vec::new());
        }
    }

    fn on_timer(&mut self, id: &str, out: &mut Actions) {
        if self.behaviour() == Behaviour::Echo {
            out.tag(format!("timer-{id}"));
        }
    }

    fn on_hangup(&mut self, info: &HangupInfo, out: &mut Actions) {
        if self.behaviour() == Behaviour::Echo {
            out.tag(format!("hangup-{}", party_name(info.by)));
        }
    }
}

voxgate_plugin_sdk::export_dialogue!(Misbehaving);
