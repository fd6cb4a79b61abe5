//! The HTTP API (JSON): campaigns (load, start, pause, resume, stop, progress), number imports,
//! call records with their rounds, recordings, statistics and A/B comparison, CSV/XLSX exports,
//! blacklists, Prometheus `/metrics`, `/healthz` and the OpenAPI document at `/openapi.json`.
//!
//! Every route except `/healthz` needs `Authorization: Bearer <token>`. Errors are JSON
//! `{"error": "..."}` with the status that says what went wrong. Commands go to the campaign
//! service through [`CampaignControl`]; reads go to the store's own read connection on the
//! blocking pool, so a slow query never stalls the runtime.

mod blacklist;
mod campaigns;
mod export;
mod openapi;
mod query;
mod records;
#[cfg(test)]
pub(crate) mod tests;
mod types;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use sha2::{Digest, Sha256};
use voxgate_store::{Store, StoreError};

use crate::campaigns::{
    CampaignHandle, CampaignInfo, CampaignSource, ImportOptions, ImportReport, ServiceError,
    Transition,
};
use crate::metrics::Metrics;
use types::ErrorBody;

/// Largest upload (number lists, blacklist files): a 250,000-row XLSX is about 10 MB.
const MAX_UPLOAD: usize = 64 * 1024 * 1024;

/// A boxed future, for the object-safe [`CampaignControl`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The campaign commands the API sends. The campaign service's [`CampaignHandle`] implements
/// it; the API tests implement it with a fake that writes to the store directly.
pub trait CampaignControl: Send + Sync {
    /// Load (or reload) a campaign file.
    fn load(&self, source: CampaignSource) -> BoxFuture<'_, Result<CampaignInfo, ServiceError>>;
    /// Start, pause, resume or stop a campaign.
    fn transition<'a>(
        &'a self,
        campaign: &'a str,
        transition: Transition,
    ) -> BoxFuture<'a, Result<CampaignInfo, ServiceError>>;
    /// Import a number list (CSV or XLSX by `file_name`'s extension).
    fn import<'a>(
        &'a self,
        campaign: &'a str,
        file_name: &'a str,
        bytes: Vec<u8>,
        options: ImportOptions,
    ) -> BoxFuture<'a, Result<ImportReport, ServiceError>>;
    /// Add numbers to a blacklist group (or remove them); returns how many changed.
    fn blacklist<'a>(
        &'a self,
        group: &'a str,
        numbers: Vec<String>,
        expires_at: Option<i64>,
        remove: bool,
    ) -> BoxFuture<'a, Result<usize, ServiceError>>;
}

impl CampaignControl for CampaignHandle {
    fn load(&self, source: CampaignSource) -> BoxFuture<'_, Result<CampaignInfo, ServiceError>> {
        Box::pin(CampaignHandle::load(self, source))
    }

    fn transition<'a>(
        &'a self,
        campaign: &'a str,
        transition: Transition,
    ) -> BoxFuture<'a, Result<CampaignInfo, ServiceError>> {
        Box::pin(CampaignHandle::transition(self, campaign, transition))
    }

    fn import<'a>(
        &'a self,
        campaign: &'a str,
        file_name: &'a str,
        bytes: Vec<u8>,
        options: ImportOptions,
    ) -> BoxFuture<'a, Result<ImportReport, ServiceError>> {
        Box::pin(CampaignHandle::import(
            self, campaign, file_name, bytes, options,
        ))
    }

    fn blacklist<'a>(
        &'a self,
        group: &'a str,
        numbers: Vec<String>,
        expires_at: Option<i64>,
        remove: bool,
    ) -> BoxFuture<'a, Result<usize, ServiceError>> {
        Box::pin(CampaignHandle::blacklist(
            self, group, numbers, expires_at, remove,
        ))
    }
}

/// What the API serves from.
pub struct ApiState {
    /// Where campaign commands go (the campaign service).
    pub campaigns: Arc<dyn CampaignControl>,
    /// The store's read connection (a connection of its own, not the service's writer).
    pub store: Arc<Mutex<Store>>,
    /// The engine's metrics, rendered at `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Recordings are served only from inside this folder.
    pub recordings_dir: PathBuf,
    /// The bearer token every request but `/healthz` must carry. An empty token matches nothing.
    pub token: String,
}

impl ApiState {
    /// The API state for the engine, commanding the campaign service through `campaigns`.
    pub fn new(
        campaigns: CampaignHandle,
        store: Arc<Mutex<Store>>,
        metrics: Arc<Metrics>,
        recordings_dir: PathBuf,
        token: String,
    ) -> Self {
        Self {
            campaigns: Arc::new(campaigns),
            store,
            metrics,
            recordings_dir,
            token,
        }
    }
}

/// The state every handler sees: the API state and the OpenAPI document, built once.
struct ApiContext {
    state: ApiState,
    openapi: serde_json::Value,
}

type Ctx = State<Arc<ApiContext>>;

impl ApiContext {
    /// Run a store read on the blocking pool; `what` names it in the error message.
    async fn read<T: Send + 'static>(
        &self,
        what: &'static str,
        query: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.with_store(move |store| {
            query(store).map_err(|e| ApiError::internal(format!("{what}: {e}")))
        })
        .await
    }

    /// Run `job` with the store on the blocking pool.
    async fn with_store<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let store = self.state.store.clone();
        tokio::task::spawn_blocking(move || {
            let store = store.lock().unwrap_or_else(|e| e.into_inner());
            job(&store)
        })
        .await
        .map_err(|e| ApiError::internal(format!("a store read failed: {e}")))?
    }
}

/// Serve the API on `listener` until `shutdown` resolves; requests in progress then finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ApiState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Every route of the API.
fn router(state: ApiState) -> Router {
    let context = Arc::new(ApiContext {
        state,
        openapi: openapi::document(),
    });
    let protected = Router::new()
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi_json))
        .route("/campaigns", get(campaigns::list).post(campaigns::load))
        .route("/campaigns/{id}", get(campaigns::show))
        .route("/campaigns/{id}/start", post(campaigns::start))
        .route("/campaigns/{id}/pause", post(campaigns::pause))
        .route("/campaigns/{id}/resume", post(campaigns::resume))
        .route("/campaigns/{id}/stop", post(campaigns::stop))
        .route(
            "/campaigns/{id}/numbers",
            put(campaigns::import).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/campaigns/{id}/stats", get(campaigns::stats))
        .route("/stats/compare", get(campaigns::compare))
        .route("/records", get(records::list))
        .route("/records/{id}", get(records::show))
        .route("/records/{id}/recording", get(records::recording))
        .route("/export", get(export::export))
        .route(
            "/blacklist/{group}",
            get(blacklist::entries)
                .post(blacklist::add)
                .delete(blacklist::remove),
        )
        .route(
            "/blacklist/{group}/import",
            put(blacklist::import).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route_layer(middleware::from_fn_with_state(context.clone(), authorize));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(protected)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this route",
            )
        })
        .with_state(context)
}

async fn healthz() -> axum::Json<types::Health> {
    axum::Json(types::Health {
        status: "ok".into(),
    })
}

async fn metrics(State(context): Ctx) -> Response {
    let text = context
        .state
        .metrics
        .render(jiff::Timestamp::now().as_millisecond());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn openapi_json(State(context): Ctx) -> axum::Json<serde_json::Value> {
    axum::Json(context.openapi.clone())
}

/// Let the request through only with the right bearer token.
async fn authorize(State(context): Ctx, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match presented {
        Some(token) if token_matches(token, &context.state.token) => next.run(request).await,
        Some(_) => ApiError::new(StatusCode::UNAUTHORIZED, "wrong bearer token").into_response(),
        None => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing `Authorization: Bearer <token>` header",
        )
        .into_response(),
    }
}

/// Compare in constant time: both sides are hashed first, so neither the content nor the
/// length of the expected token shows in the timing. An empty expected token matches nothing.
fn token_matches(presented: &str, expected: &str) -> bool {
    if expected.is_empty() {
        return false;
    }
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// An error answer: a status and a message, sent as `{"error": message}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let status = match e {
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ServiceError::Conflict(_) => StatusCode::CONFLICT,
            ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"voxgate\""),
            );
        }
        response
    }
}

/// Turn an extractor's rejection (bad query string, bad JSON body) into a JSON 400/422.
fn rejected(rejection: impl std::fmt::Display + IntoResponse) -> ApiError {
    let message = rejection.to_string();
    let status = rejection.into_response().status();
    ApiError::new(status, message)
}
