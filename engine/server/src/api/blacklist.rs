//! `/blacklist/{group}`: add, remove, list, export and import blacklist entries. Changes go
//! through the campaign service (it keeps the dialer's copy in step with the store); listings
//! read the store.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::query::{BlacklistImportParams, BlacklistListParams, ListFormat, Params};
use super::types::{BlacklistChange, BlacklistEntry, BlacklistImportReport, BlacklistRequest};
use super::{ApiError, Ctx, rejected};
use crate::campaigns::RejectedRow;

/// `GET /blacklist/{group}`: the entries as JSON, or as a CSV file with `format=csv`.
pub(super) async fn entries(
    State(context): Ctx,
    Path(group): Path<String>,
    Params(params): Params<BlacklistListParams>,
) -> Result<Response, ApiError> {
    let key = group.clone();
    let rows = context
        .read("reading a blacklist", move |store| {
            store.blacklist_entries(&key)
        })
        .await?;
    let entries: Vec<BlacklistEntry> = rows.into_iter().map(BlacklistEntry::from).collect();
    if params.format != Some(ListFormat::Csv) {
        return Ok(Json(entries).into_response());
    }
    let failed = |e: csv::Error| ApiError::internal(format!("writing the CSV: {e}"));
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer
        .write_record(["number", "expires_at", "added_at", "note"])
        .map_err(failed)?;
    for e in &entries {
        writer
            .write_record([
                e.number.clone(),
                e.expires_at.map(|t| t.to_string()).unwrap_or_default(),
                e.added_at.to_string(),
                e.note.clone().unwrap_or_default(),
            ])
            .map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ApiError::internal(format!("writing the CSV: {e}")))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let name: String = group
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"blacklist-{name}.csv\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

fn numbers_of(
    body: Result<Json<BlacklistRequest>, JsonRejection>,
) -> Result<BlacklistRequest, ApiError> {
    let Json(request) = body.map_err(rejected)?;
    if request.numbers.is_empty() {
        return Err(ApiError::bad_request(
            "`numbers` is empty: give one or more numbers",
        ));
    }
    Ok(request)
}

/// `POST /blacklist/{group}` `{"numbers": [...], "expires_at": ms}`.
pub(super) async fn add(
    State(context): Ctx,
    Path(group): Path<String>,
    body: Result<Json<BlacklistRequest>, JsonRejection>,
) -> Result<Json<BlacklistChange>, ApiError> {
    let request = numbers_of(body)?;
    let changed = context
        .state
        .campaigns
        .blacklist(&group, request.numbers, request.expires_at, false)
        .await?;
    Ok(Json(BlacklistChange { group, changed }))
}

/// `DELETE /blacklist/{group}` `{"numbers": [...]}`.
pub(super) async fn remove(
    State(context): Ctx,
    Path(group): Path<String>,
    body: Result<Json<BlacklistRequest>, JsonRejection>,
) -> Result<Json<BlacklistChange>, ApiError> {
    let request = numbers_of(body)?;
    let changed = context
        .state
        .campaigns
        .blacklist(&group, request.numbers, None, true)
        .await?;
    Ok(Json(BlacklistChange { group, changed }))
}

/// `PUT /blacklist/{group}/import?file_name=...`: a CSV or XLSX list as the body.
pub(super) async fn import(
    State(context): Ctx,
    Path(group): Path<String>,
    Params(params): Params<BlacklistImportParams>,
    body: Bytes,
) -> Result<Json<BlacklistImportReport>, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "the body is empty: send the CSV or XLSX file's bytes",
        ));
    }
    let format = voxgate_numbers::Format::from_path(std::path::Path::new(&params.file_name))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let options = voxgate_numbers::ImportOptions {
        phone_column: params.phone_column,
        sheet: params.sheet,
        format,
        ..voxgate_numbers::ImportOptions::default()
    };
    let list = tokio::task::spawn_blocking(move || voxgate_numbers::import(&body, &options))
        .await
        .map_err(|e| ApiError::internal(format!("reading the file failed: {e}")))?
        .map_err(|e| ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let rows = list.rows.len() + list.duplicates.len() + list.rejected.len();
    let numbers: Vec<String> = list.rows.into_iter().map(|r| r.phone.e164).collect();
    let added = if numbers.is_empty() {
        0
    } else {
        context
            .state
            .campaigns
            .blacklist(&group, numbers, params.expires_at, false)
            .await?
    };
    let rejected = list
        .rejected
        .into_iter()
        .map(|r| RejectedRow {
            row: r.row,
            raw: r.raw,
            reason: r.reason,
        })
        .collect();
    Ok(Json(BlacklistImportReport {
        group,
        rows,
        added,
        duplicates_in_file: list.duplicates.len(),
        rejected,
    }))
}
