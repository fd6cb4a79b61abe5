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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A loopback HTTP server that answers request number n (from 0) with `reply(n)` after
    /// `delay`; returns its address and a request counter.
    async fn server(
        delay: Duration,
        reply: impl Fn(usize) -> (u16, Vec<u8>) + Send + Sync + 'static,
    ) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        let reply = Arc::new(reply);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let reply = reply.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    tokio::time::sleep(delay).await;
                    let (status, body) = reply(n);
                    let head = format!(
                        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nX-Test: yes\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(&body).await;
                });
            }
        });
        (address, count)
    }

    fn request(method: &str, url: String, timeout_ms: Option<u32>) -> HttpRequest {
        HttpRequest {
            id: "r1".into(),
            method: method.into(),
            url,
            headers: vec![Pair {
                name: "Accept".into(),
                value: "application/json".into(),
            }],
            body: (method == "POST").then(|| b"{}".to_vec()),
            timeout_ms,
        }
    }

    #[tokio::test]
    async fn a_reply_carries_status_headers_body_and_the_id() {
        let (address, _) = server(Duration::ZERO, |_| (200, b"hello".to_vec())).await;
        let response = HttpClient::new()
            .perform(request("GET", format!("http://{address}/x"), None))
            .await;
        assert_eq!(response.id, "r1");
        let reply = response.outcome.expect("a reply");
        assert_eq!((reply.status, reply.body.as_slice()), (200, &b"hello"[..]));
        assert!(
            reply
                .headers
                .iter()
                .any(|h| h.name == "x-test" && h.value == "yes")
        );
    }

    #[tokio::test]
    async fn a_get_is_retried_once_after_a_503_and_a_post_is_not() {
        let flaky = |n| {
            if n == 0 {
                (503, Vec::new())
            } else {
                (200, b"ok".to_vec())
            }
        };
        let (address, count) = server(Duration::ZERO, flaky).await;
        let client = HttpClient::new();
        let reply = client
            .perform(request("GET", format!("http://{address}/"), None))
            .await
            .outcome
            .expect("a reply");
        assert_eq!((reply.status, count.load(Ordering::SeqCst)), (200, 2));

        let (address, count) = server(Duration::ZERO, flaky).await;
        let reply = client
            .perform(request("POST", format!("http://{address}/"), None))
            .await
            .outcome
            .expect("a reply");
        assert_eq!((reply.status, count.load(Ordering::SeqCst)), (503, 1));
    }

    #[tokio::test]
    async fn slow_servers_time_out_and_big_bodies_are_refused() {
        let (address, _) = server(Duration::from_secs(2), |_| (200, Vec::new())).await;
        let error = HttpClient::new()
            .perform(request("POST", format!("http://{address}/"), Some(200)))
            .await
            .outcome
            .expect_err("time-out");
        assert!(error.contains("time-out"), "{error}");

        let (address, _) = server(Duration::ZERO, |_| (200, vec![b'x'; MAX_BODY + 1])).await;
        let error = HttpClient::new()
            .perform(request("GET", format!("http://{address}/"), None))
            .await
            .outcome
            .expect_err("too large");
        assert!(error.contains("over"), "{error}");
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connection_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let error = HttpClient::new()
            .perform(request("GET", format!("http://127.0.0.1:{port}/"), None))
            .await
            .outcome
            .expect_err("refused");
        assert!(error.contains("connection failed"), "{error}");
    }
}
