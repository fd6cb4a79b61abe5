//! Helpers shared by the OpenAI-compatible HTTP adapters: client construction, API keys from
//! the environment, and short error-body excerpts.

use std::time::Duration;

use crate::config::BuildError;

/// Longest error-body excerpt carried in an error message, in characters.
const EXCERPT_CHARS: usize = 200;

/// A client whose every request gives up after `timeout`.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, BuildError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|error| BuildError::Invalid(format!("cannot build the HTTP client: {error}")))
}

/// Reads the API key from the environment variable `name` (if a name is configured).
pub(crate) fn api_key(name: Option<&str>) -> Result<Option<String>, BuildError> {
    let Some(name) = name else {
        return Ok(None);
    };
    match std::env::var(name) {
        Ok(key) if !key.trim().is_empty() => Ok(Some(key.trim().to_string())),
        Ok(_) => Err(BuildError::Invalid(format!(
            "environment variable {name} is empty"
        ))),
        Err(_) => Err(BuildError::Invalid(format!(
            "environment variable {name} (api_key_env) is not set"
        ))),
    }
}

/// `{base_url}{path}` without a doubled slash.
pub(crate) fn endpoint(base_url: &str, path: &str) -> String {
    format!("{}{path}", base_url.trim_end_matches('/'))
}

/// The start of a response body, on one line, for an error message.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut short: String = text
        .chars()
        .take(EXCERPT_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > EXCERPT_CHARS {
        short.push('…');
    }
    short.trim().to_string()
}

/// What went wrong with a request, classified for the adapters' error enums.
pub(crate) enum Failure {
    /// The client's time-out expired.
    Timeout,
    /// Anything else: connection refused, reset, bad status, unreadable body.
    Other(String),
}

impl From<reqwest::Error> for Failure {
    fn from(error: reqwest::Error) -> Self {
        if error.is_timeout() {
            Failure::Timeout
        } else {
            Failure::Other(error_chain(&error))
        }
    }
}

/// Sends `request` and returns the body of a 2xx answer.
pub(crate) async fn send(request: reqwest::RequestBuilder) -> Result<Vec<u8>, Failure> {
    let response = request.send().await?;
    let status = response.status();
    let body = response.bytes().await?;
    if status.is_success() {
        Ok(body.to_vec())
    } else {
        Err(Failure::Other(format!("HTTP {status}: {}", excerpt(&body))))
    }
}

/// An error and its sources on one line ("error sending request: connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
