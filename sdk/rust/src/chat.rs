//! OpenAI-compatible chat completions (`POST …/v1/chat/completions`) for plugins that talk to
//! an LLM through the host's HTTP action. Enabled by the `chat` feature.
//!
//! ```
//! use voxgate_plugin_sdk::chat::{ChatRequest, reply_text};
//! use voxgate_plugin_sdk::types::HttpReply;
//!
//! let request = ChatRequest::new("qwen2.5")
//!     .system("You are a polite assistant.")
//!     .user("Hello")
//!     .into_http("llm-1", "http://127.0.0.1:8000/v1/chat/completions");
//! assert_eq!(request.method, "POST");
//!
//! let reply = HttpReply {
//!     status: 200,
//!     headers: vec![],
//!     body: br#"{"choices":[{"message":{"role":"assistant","content":"Hi!"}}]}"#.to_vec(),
//! };
//! assert_eq!(reply_text(&reply).unwrap(), "Hi!");
//! ```

use crate::types::{HttpReply, HttpRequest};
use serde_json::{Value, json};

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

/// A chat-completions request under construction.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    model: String,
    messages: Vec<ChatMessage>,
    temperature: Option<f32>,
    max_tokens: Option<u32>,
}

impl ChatRequest {
    /// A request for `model` with no messages.
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            messages: Vec::new(),
            temperature: None,
            max_tokens: None,
        }
    }

    /// Appends a message with any role.
    pub fn message(mut self, role: &str, content: impl Into<String>) -> Self {
        self.messages.push(ChatMessage {
            role: role.into(),
            content: content.into(),
        });
        self
    }

    /// Appends a system message.
    pub fn system(self, content: impl Into<String>) -> Self {
        self.message("system", content)
    }

    /// Appends a user message.
    pub fn user(self, content: impl Into<String>) -> Self {
        self.message("user", content)
    }

    /// Appends an assistant message.
    pub fn assistant(self, content: impl Into<String>) -> Self {
        self.message("assistant", content)
    }

    /// Sets the sampling temperature.
    pub fn temperature(mut self, temperature: f32) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Caps the reply length in tokens.
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// The messages so far.
    pub fn messages(&self) -> &[ChatMessage] {
        &self.messages
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let messages: Vec<Value> = self
            .messages
            .iter()
            .map(|m| json!({ "role": m.role, "content": m.content }))
            .collect();
        let mut body = json!({ "model": self.model, "messages": messages, "stream": false });
        if let Some(temperature) = self.temperature {
            body["temperature"] = json!(temperature);
        }
        if let Some(max_tokens) = self.max_tokens {
            body["max_tokens"] = json!(max_tokens);
        }
        body
    }

    /// The HTTP request (a JSON `POST` to `url`) carrying this chat request.
    pub fn into_http(self, id: impl Into<String>, url: impl Into<String>) -> HttpRequest {
        HttpRequest::post_json(id, url, self.body().to_string().into_bytes())
    }
}

/// The assistant's text from a chat-completions reply (`choices[0].message.content`).
pub fn reply_text(reply: &HttpReply) -> Result<String, String> {
    if !reply.is_success() {
        return Err(format!("HTTP {}", reply.status));
    }
    let value: Value =
        serde_json::from_slice(&reply.body).map_err(|e| format!("reply is not JSON: {e}"))?;
    value
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| "reply has no choices[0].message.content".to_string())
}

/// The first JSON object in a model's text, which may wrap it in prose or a code fence.
pub fn extract_json_object(text: &str) -> Option<serde_json::Map<String, Value>> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    let candidate = text.get(start..=end)?;
    match serde_json::from_str::<Value>(candidate) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> HttpReply {
        HttpReply {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn body_lists_messages_in_order() {
        let body = ChatRequest::new("m")
            .system("s")
            .user("u")
            .assistant("a")
            .temperature(0.5)
            .body();
        assert_eq!(body["model"], "m");
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][2]["content"], "a");
        assert_eq!(body["temperature"], 0.5);
    }

    #[test]
    fn reply_errors_are_values() {
        assert_eq!(reply_text(&reply(500, "")), Err("HTTP 500".into()));
        assert!(reply_text(&reply(200, "not json")).is_err());
        assert!(reply_text(&reply(200, r#"{"choices":[]}"#)).is_err());
    }

    #[test]
    fn finds_json_in_prose_and_fences() {
        let text = "Sure:\n```json\n{\"situation\": \"busy\", \"actions\": [\"call back\"]}\n```";
        let object = extract_json_object(text).unwrap();
        assert_eq!(object["situation"], "busy");
        assert!(extract_json_object("no json here").is_none());
        assert!(extract_json_object("} {").is_none());
    }
}
