//! `/records`: call records with their rounds, and their recordings.

use std::path::{Path, PathBuf};

use axum::Json;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use voxgate_store::RecordQuery;

use super::query::{Page, Params, RecordFilter, parse_time};
use super::types::{Record, RecordDetail, RecordsPage, Round};
use super::{ApiError, Ctx};

/// The store query for `filter`: finished records, newest first.
pub(super) fn store_query(filter: &RecordFilter) -> Result<RecordQuery, ApiError> {
    let from = filter
        .from
        .as_deref()
        .map(|t| parse_time("from", t))
        .transpose()?;
    let to = filter
        .to
        .as_deref()
        .map(|t| parse_time("to", t))
        .transpose()?;
    Ok(RecordQuery {
        campaign: filter.campaign.clone(),
        result: filter.result.map(|r| r.as_str().to_owned()),
        level: filter.level.clone(),
        tag: filter.tag.clone(),
        from,
        to,
        min_talk_ms: filter.min_talk_ms,
        max_talk_ms: filter.max_talk_ms,
        newest_first: true,
        ..RecordQuery::default()
    })
}

/// `GET /records`.
pub(super) async fn list(
    State(context): Ctx,
    Params(filter): Params<RecordFilter>,
    Params(page): Params<Page>,
) -> Result<Json<RecordsPage>, ApiError> {
    let limit = page.limit()?;
    let offset = page.offset.unwrap_or(0);
    let query = RecordQuery {
        limit: Some(limit as usize),
        offset: usize::try_from(offset)
            .map_err(|_| ApiError::bad_request("`offset` is too large"))?,
        ..store_query(&filter)?
    };
    let (total, rows) = context
        .read("reading records", move |store| {
            Ok((store.records_count(&query)?, store.records(&query)?))
        })
        .await?;
    Ok(Json(RecordsPage {
        total,
        records: rows.into_iter().map(Record::from).collect(),
        limit,
        offset,
    }))
}

/// `GET /records/{id}`: by attempt id or SIP Call-ID.
pub(super) async fn show(
    State(context): Ctx,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<RecordDetail>, ApiError> {
    let key = id.clone();
    let found = context
        .read("reading a record", move |store| store.record(&key))
        .await?;
    let (mut row, rounds) = found.ok_or_else(|| no_record(&id))?;
    let call = row.record.take();
    Ok(Json(RecordDetail {
        record: Record::from(row),
        rounds: rounds.into_iter().map(Round::from).collect(),
        call,
    }))
}

fn no_record(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "no record `{id}` (give an attempt id or a SIP Call-ID)"
    ))
}

/// `GET /records/{id}/recording`: the WAV file, only from inside the recordings folder.
pub(super) async fn recording(
    State(context): Ctx,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, ApiError> {
    let key = id.clone();
    let found = context
        .read("reading a record", move |store| store.record(&key))
        .await?;
    let (row, _) = found.ok_or_else(|| no_record(&id))?;
    let recorded = row
        .recording
        .ok_or_else(|| ApiError::not_found(format!("attempt {} has no recording", row.attempt)))?;
    let path = inside(&context.state.recordings_dir, Path::new(&recorded)).await?;
    let bytes = tokio::fs::read(&path).await.map_err(|e| {
        ApiError::not_found(format!(
            "the recording of attempt {} cannot be read: {e}",
            row.attempt
        ))
    })?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    if let Ok(value) =
        HeaderValue::from_str(&format!("inline; filename=\"voxgate-{}.wav\"", row.attempt))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// `path` (relative ones against `root`) with every link resolved, if it lies inside `root`.
async fn inside(root: &Path, path: &Path) -> Result<PathBuf, ApiError> {
    let root = tokio::fs::canonicalize(root).await.map_err(|e| {
        ApiError::not_found(format!(
            "the recordings folder {} is missing: {e}",
            root.display()
        ))
    })?;
    let full = root.join(path);
    let real = tokio::fs::canonicalize(&full)
        .await
        .map_err(|_| ApiError::not_found("the recording file is gone"))?;
    if real.starts_with(&root) {
        Ok(real)
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "the recording lies outside the recordings folder: refused",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_files_inside_the_root_are_served() {
        let base = std::env::temp_dir().join(format!("voxgate-api-inside-{}", std::process::id()));
        let root = base.join("recordings");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("a.wav"), b"RIFF").unwrap();
        std::fs::write(base.join("secret.txt"), b"no").unwrap();
        assert!(inside(&root, Path::new("a.wav")).await.is_ok());
        assert!(inside(&root, &root.join("a.wav")).await.is_ok());
        let e = inside(&root, Path::new("../secret.txt")).await.unwrap_err();
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        let e = inside(&root, &base.join("secret.txt")).await.unwrap_err();
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        let e = inside(&root, Path::new("missing.wav")).await.unwrap_err();
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
