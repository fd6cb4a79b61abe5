//! Speech for the set: sentences spoken by espeak-ng, converted to 8 kHz mono by sox (without
//! dither, so the set is the same on every run).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::EvalError;

/// A language of the set and the espeak-ng voice that speaks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Language {
    /// English (`-v en`).
    English,
    /// Mandarin Chinese (`-v cmn`).
    Mandarin,
}

impl Language {
    /// The espeak-ng voice name.
    pub fn voice(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::Mandarin => "cmn",
        }
    }

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::Mandarin => "zh",
        }
    }
}

/// Target-speaker sentences, in the style of an outbound service call (our own text).
pub const ENGLISH_SENTENCES: [&str; 8] = [
    "Hello, this is the delivery service calling about your parcel.",
    "Could you tell me which day next week suits you best?",
    "We noticed a late payment on your account last month.",
    "If you would like to speak to an agent, please say yes now.",
    "Your appointment is on Thursday morning at half past nine.",
    "Thank you for your time, and have a pleasant evening.",
    "Is this a good moment to talk about your insurance renewal?",
    "Please confirm the last four digits of your phone number.",
];

/// Mandarin sentences of the same kind (our own text).
pub const MANDARIN_SENTENCES: [&str; 8] = [
    "您好，这里是快递服务中心，关于您的包裹想跟您确认一下。",
    "请问您下周哪一天比较方便收货？",
    "我们注意到您的账户上个月有一笔逾期还款。",
    "如果您需要人工服务，请现在说是。",
    "您的预约时间是星期四上午九点半。",
    "感谢您的耐心接听，祝您生活愉快。",
    "请问您现在方便了解一下保险续保的事情吗？",
    "请确认一下您手机号码的后四位。",
];

/// Sentences of other talkers, only used to build babble noise.
pub const BABBLE_SENTENCES: [(&str, &str); 6] = [
    (
        "en-us",
        "The meeting moved to the third floor because the projector was broken again.",
    ),
    (
        "cmn",
        "今天下午的会议改到三楼，因为投影仪又坏了，大家记得带电脑。",
    ),
    (
        "en",
        "She said the train would be late, so we ordered another round of coffee.",
    ),
    (
        "de",
        "Wir haben gestern im Garten gearbeitet und danach lange zusammen gegessen.",
    ),
    (
        "cmn",
        "这家餐厅的菜很好吃，不过周末的时候人特别多，要排很久的队。",
    ),
    (
        "fr",
        "Le marché du samedi est plein de monde et les légumes sont très frais.",
    ),
];

/// `text` spoken by espeak-ng in `voice` at pitch `pitch` (0-99, espeak's default 50), as 8 kHz
/// mono samples in -1..1.
pub fn synthesise(text: &str, voice: &str, pitch: u8) -> Result<Vec<f32>, EvalError> {
    let espeak = Command::new("espeak-ng")
        .args([
            "-v",
            voice,
            "-p",
            &pitch.to_string(),
            "--stdout",
            "--",
            text,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|error| EvalError::Synthesis(format!("cannot run espeak-ng: {error}")))?;
    if !espeak.status.success() || espeak.stdout.is_empty() {
        return Err(EvalError::Synthesis(format!(
            "espeak-ng -v {voice} failed ({}): {}",
            espeak.status,
            String::from_utf8_lossy(&espeak.stderr).trim()
        )));
    }
    let mut sox = Command::new("sox")
        .args([
            "-q", "-D", "-t", "wav", "-", "-t", "raw", "-r", "8000", "-c", "1", "-b", "16",
        ])
        .args(["-e", "signed-integer", "-L", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| EvalError::Synthesis(format!("cannot run sox: {error}")))?;
    let mut stdin = sox
        .stdin
        .take()
        .ok_or_else(|| EvalError::Synthesis("sox stdin".into()))?;
    let wav = espeak.stdout;
    // Write from another thread so a full stdout pipe cannot deadlock against a full stdin.
    let writer = std::thread::spawn(move || stdin.write_all(&wav));
    let output = sox
        .wait_with_output()
        .map_err(|error| EvalError::Synthesis(format!("sox: {error}")))?;
    let written = writer
        .join()
        .map_err(|_| EvalError::Synthesis("writer panicked".into()))?;
    written.map_err(|error| EvalError::Synthesis(format!("feeding sox: {error}")))?;
    if !output.status.success() {
        return Err(EvalError::Synthesis(format!(
            "sox failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(output
        .stdout
        .chunks_exact(2)
        .map(|pair| f32::from(i16::from_le_bytes([pair[0], pair[1]])) / 32768.0)
        .collect())
}
