//! HTTP requests performed for plugins: the manifest's allow-list is enforced by the plugin
//! host before a request gets here; this adds the time-out, the retry policy and the response
//! size cap, and turns every failure into an error the plugin reads.

use std::time::Duration;

use voxgate_plugin_host::types::{HttpReply, HttpRequest, HttpResponse, Pair};

/// Time-out when the plugin does not ask for one.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest time-out a plugin may ask for.
const MAX_TIMEOUT: Duration = Duration::from_secs(30);
/// Response bodies are cut here.
const MAX_BODY: usize = 256 * 1024;
/// A failed attempt is retried this many times (connection errors always; 5xx and 429 only for
/// idempotent methods), after a short pause.
const RETRIES: u32 = 1;
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// A shared client (connection pool) for plugin HTTP requests.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
}

impl HttpClient {
    /// A client with no proxy, no cookies, and redirects limited to 3.
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::limited(3))
            .no_proxy()
            .user_agent(concat!("voxgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self { client }
    }

    /// Perform `request`; the answer always carries the request's id.
    pub async fn perform(&self, request: HttpRequest) -> HttpResponse {
        let id = request.id.clone();
        let outcome = self.with_retries(&request).await;
        HttpResponse { id, outcome }
    }

    async fn with_retries(&self, request: &HttpRequest) -> Result<HttpReply, String> {
        let idempotent = matches!(request.method.as_str(), "GET" | "PUT" | "DELETE");
        let mut attempt = 0;
        loop {
            let result = self.once(request).await;
            let retry = match &result {
                Err(Failure::Connect(_)) => true,
                Ok(reply) => idempotent && (reply.status >= 500 || reply.status == 429),
                Err(_) => false,
            };
            if !retry || attempt >= RETRIES {
                return result.map_err(|f| f.to_string());
            }
            attempt += 1;
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }

    async fn once(&self, request: &HttpRequest) -> Result<HttpReply, Failure> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| Failure::Other(format!("bad method {}", request.method)))?;
        let timeout = request
            .timeout_ms
            .map_or(DEFAULT_TIMEOUT, |ms| Duration::from_millis(u64::from(ms)))
            .min(MAX_TIMEOUT);
        let mut builder = self.client.request(method, &request.url).timeout(timeout);
        for header in &request.headers {
            builder = builder.header(&header.name, &header.value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let mut response = builder.send().await.map_err(|e| {
            if e.is_timeout() {
                Failure::Timeout(timeout)
            } else if e.is_connect() {
                Failure::Connect(e.to_string())
            } else {
                Failure::Other(e.to_string())
            }
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| Pair {
                name: name.as_str().to_owned(),
                value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
            })
            .collect();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY {
                        return Err(Failure::TooLarge);
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Err(Failure::Timeout(timeout)),
                Err(e) => return Err(Failure::Other(e.to_string())),
            }
        }
        Ok(HttpReply {
            status,
            headers,
            body,
        })
    }
}

/// Why a request got no reply.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("time-out after {0:?}")]
    Timeout(Duration),
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("response body over {MAX_BODY} bytes")]
    TooLarge,
    #[error("{0}")]
    Other(String),
}
