//! CRM-sync plugin: customer fields from a lookup URL before a call, and the finished record
//! pushed as HMAC-SHA256-signed JSON after it. See README.md for the configuration.

mod lookup;
mod record;
mod signing;

use voxgate_plugin_sdk::crm::{CrmActions, CrmSync};
use voxgate_plugin_sdk::host::{self, Config};
use voxgate_plugin_sdk::types::{CallInfo, CallSummary, HttpRequest, HttpResponse, LogLevel};

/// Request id of the lookup.
const LOOKUP_ID: &str = "lookup";
/// Request id of the push.
const PUSH_ID: &str = "push";
/// Header carrying `sha256=<hex>` of the body.
const SIGNATURE_HEADER: &str = "X-Voxgate-Signature";
/// Header carrying the push time, Unix milliseconds.
const TIMESTAMP_HEADER: &str = "X-Voxgate-Timestamp";

#[derive(Default)]
struct CrmWebhook;

fn with_timeout(request: HttpRequest, config: &Config) -> HttpRequest {
    match config.parse::<u32>("timeout_ms") {
        Some(Ok(ms)) => request.timeout_ms(ms),
        _ => request,
    }
}

impl CrmSync for CrmWebhook {
    fn on_lookup(&mut self, call: &CallInfo, out: &mut CrmActions) {
        let config = host::config();
        match config.get("lookup_url") {
            Some(url) => {
                let url = lookup::lookup_url(url, &call.callee);
                out.http_request(with_timeout(HttpRequest::get(LOOKUP_ID, url), &config));
            }
            None => {
                out.done(true);
            }
        }
    }

    fn on_call_finished(&mut self, summary: &CallSummary, out: &mut CrmActions) {
        let config = host::config();
        let Some(url) = config.get("push_url") else {
            out.done(true);
            return;
        };
        let key = match host::secret("hmac_key") {
            Ok(key) => key,
            Err(why) => {
                out.log(
                    LogLevel::Error,
                    format!("cannot sign the record, no hmac_key: {why}"),
                );
                out.done(false);
                return;
            }
        };
        let body = record::record_json(summary).to_string().into_bytes();
        let request = HttpRequest::post_json(PUSH_ID, url, body.clone())
            .header(
                SIGNATURE_HEADER,
                signing::signature_header(key.as_bytes(), &body),
            )
            .header(TIMESTAMP_HEADER, host::now_ms().to_string());
        out.http_request(with_timeout(request, &config));
    }

    fn on_http_response(&mut self, response: &HttpResponse, out: &mut CrmActions) {
        match response.id.as_str() {
            LOOKUP_ID => lookup::handle_reply(&response.outcome, out),
            PUSH_ID => match &response.outcome {
                Ok(reply) if reply.is_success() => {
                    out.done(true);
                }
                Ok(reply) => {
                    out.log(
                        LogLevel::Warn,
                        format!("push refused: HTTP {}", reply.status),
                    );
                    out.done(false);
                }
                Err(why) => {
                    out.log(LogLevel::Warn, format!("push failed: {why}"));
                    out.done(false);
                }
            },
            other => {
                out.log(
                    LogLevel::Warn,
                    format!("response to an unknown request `{other}`"),
                );
            }
        }
    }
}

voxgate_plugin_sdk::export_crm_sync!(CrmWebhook);
