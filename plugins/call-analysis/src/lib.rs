//! Analysis plugin: rule-based grading and quality checks by default; when `llm_url` is set,
//! an OpenAI-compatible chat completion fills the customer's situation and next actions, with
//! the rules as the fallback. See README.md for the configuration.

mod rules;

use rules::Rules;
use serde_json::Value;
use voxgate_plugin_sdk::analysis::{Analysis, AnalysisActions, AnalysisInput, Report};
use voxgate_plugin_sdk::chat::{ChatRequest, extract_json_object, reply_text};
use voxgate_plugin_sdk::host::{self, Config};
use voxgate_plugin_sdk::types::{HttpResponse, LogLevel};

/// Request id of the LLM call.
const LLM_ID: &str = "llm";
/// Default system prompt for the LLM summary.
const SYSTEM_PROMPT: &str = "You review transcripts of sales and service phone calls made by a \
voice bot. Reply with one JSON object only: {\"situation\": \"<the customer's situation in one \
or two sentences>\", \"actions\": [\"<suggested next action>\", ...]}.";

#[derive(Default)]
struct CallAnalysis {
    /// The rule-based report, kept while the LLM answers.
    pending: Option<Report>,
}

/// The conversation as text lines for the LLM.
fn transcript_text(input: &AnalysisInput) -> String {
    let mut text = format!(
        "Outcome: {}. Talk time: {} s. Rounds: {}. Score: {}. Tags: {}.\n",
        input.call.outcome,
        input.call.talk_ms / 1000,
        input.call.rounds,
        input.call.score,
        input.call.tags.join(", ")
    );
    for turn in &input.transcript {
        text.push_str(&format!(
            "[{} ms] {}: {}\n",
            turn.start_ms, turn.speaker, turn.text
        ));
    }
    text
}

fn llm_request(
    config: &Config,
    url: &str,
    input: &AnalysisInput,
) -> voxgate_plugin_sdk::types::HttpRequest {
    let mut request = ChatRequest::new(config.get_or("model", "gpt-4o-mini"))
        .system(config.get_or("system_prompt", SYSTEM_PROMPT))
        .user(transcript_text(input))
        .temperature(0.2)
        .into_http(LLM_ID, url)
        .timeout_ms(config.parse_or("timeout_ms", 8_000));
    if let Ok(key) = host::secret("api_key") {
        request = request.bearer_auth(&key);
    }
    request
}

/// Fills the situation and next actions from the model's JSON answer.
fn apply_llm_answer(report: &mut Report, text: &str) -> Result<(), String> {
    let object = extract_json_object(text).ok_or("the answer holds no JSON object")?;
    let situation = object
        .get("situation")
        .and_then(Value::as_str)
        .ok_or("the answer has no `situation`")?;
    report.customer_situation = situation.to_string();
    if let Some(actions) = object.get("actions").and_then(Value::as_array) {
        report.next_actions = actions
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
    }
    Ok(())
}

impl Analysis for CallAnalysis {
    fn on_call_finished(&mut self, input: &AnalysisInput, out: &mut AnalysisActions) {
        let config = host::config();
        let report = Rules::from_config(&config).analyse(input);
        match config.get("llm_url") {
            Some(url) if !report.invalid => {
                out.http_request(llm_request(&config, url, input));
                self.pending = Some(report);
            }
            _ => {
                out.report(report);
            }
        }
    }

    fn on_http_response(&mut self, response: &HttpResponse, out: &mut AnalysisActions) {
        if response.id != LLM_ID {
            return;
        }
        let Some(mut report) = self.pending.take() else {
            return;
        };
        let answer = match &response.outcome {
            Ok(reply) => reply_text(reply),
            Err(why) => Err(why.clone()),
        };
        if let Err(why) = answer.and_then(|text| apply_llm_answer(&mut report, &text)) {
            out.log(
                LogLevel::Warn,
                format!("LLM analysis failed, rules used: {why}"),
            );
        }
        out.report(report);
    }
}

voxgate_plugin_sdk::export_analysis!(CallAnalysis);
