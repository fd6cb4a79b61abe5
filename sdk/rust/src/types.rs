//! Types shared by every plugin kind (the WIT `types` interface).

pub use crate::bindings::dialogue::voxgate::plugin::types::{
    CallInfo, CallSummary, Direction, HangupParty, HttpReply, HttpRequest, HttpResponse, LogEntry,
    LogLevel, Pair, TranscriptTurn,
};

impl Pair {
    /// A name and a value.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// The value of the first pair called `name`.
pub fn find<'a>(pairs: &'a [Pair], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|pair| pair.name == name)
        .map(|pair| pair.value.as_str())
}

impl CallInfo {
    /// The value of a call variable.
    pub fn variable(&self, name: &str) -> Option<&str> {
        find(&self.variables, name)
    }
}

impl HttpRequest {
    /// A `GET` request with no headers, body or time-out override.
    pub fn get(id: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            method: "GET".into(),
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout_ms: None,
        }
    }

    /// A `POST` of a JSON body (`Content-Type: application/json`).
    pub fn post_json(
        id: impl Into<String>,
        url: impl Into<String>,
        body: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            id: id.into(),
            method: "POST".into(),
            url: url.into(),
            headers: vec![Pair::new("Content-Type", "application/json")],
            body: Some(body.into()),
            timeout_ms: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(Pair::new(name, value));
        self
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer_auth(self, token: &str) -> Self {
        self.header("Authorization", format!("Bearer {token}"))
    }

    /// Sets the time-out in milliseconds.
    pub fn timeout_ms(mut self, timeout_ms: u32) -> Self {
        self.timeout_ms = Some(timeout_ms);
        self
    }
}

impl HttpReply {
    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as UTF-8 text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The value of a header, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|pair| pair.name.eq_ignore_ascii_case(name))
            .map(|pair| pair.value.as_str())
    }
}

impl HttpResponse {
    /// The reply when there is one and its status is 2xx.
    pub fn success(&self) -> Option<&HttpReply> {
        self.outcome
            .as_ref()
            .ok()
            .filter(|reply| reply.is_success())
    }
}
