//! Query-string parameters of the API routes. They are plain serde structs so the OpenAPI
//! document lists them from their JSON Schema, with the doc comments as descriptions.

use axum::extract::{FromRequestParts, Query};
use axum::http::Uri;
use axum::http::request::Parts;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use voxgate_campaign::result::CallResult;

use super::{ApiError, rejected};

/// Query-string parameters of type `T`. An empty value (`campaign=`) counts as absent, so a
/// form or a script can leave a filter blank; a bad value is a JSON 400 naming the parameter.
pub(super) struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                pair.split_once('=')
                    .is_some_and(|(_, value)| !value.is_empty())
            })
            .collect();
        let uri: Uri = format!("/?{}", kept.join("&"))
            .parse()
            .map_err(|_| ApiError::bad_request("the query string is malformed"))?;
        let Query(params) = Query::try_from_uri(&uri).map_err(rejected)?;
        Ok(Params(params))
    }
}

/// Records per page when `limit` is not given.
pub(super) const DEFAULT_PAGE: u32 = 100;
/// The largest page of `/records`.
pub(super) const MAX_PAGE: u32 = 1000;

/// Filters on call records, shared by `/records` and `/export`.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
pub(super) struct RecordFilter {
    /// Only this campaign.
    pub campaign: Option<String>,
    /// Only attempts with this result.
    pub result: Option<CallResult>,
    /// Only this intent level (A-F).
    pub level: Option<String>,
    /// Only records carrying this tag.
    pub tag: Option<String>,
    /// Attempts started at or after this time: RFC 3339 (`2026-03-02T09:00:00+08:00`) or Unix
    /// milliseconds.
    pub from: Option<String>,
    /// Attempts started before this time: RFC 3339 or Unix milliseconds.
    pub to: Option<String>,
    /// Talk time at least this many milliseconds.
    pub min_talk_ms: Option<u64>,
    /// Talk time at most this many milliseconds.
    pub max_talk_ms: Option<u64>,
}

/// A page of `/records`.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
pub(super) struct Page {
    /// Records per page (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Records to skip (newest first).
    pub offset: Option<u64>,
}

impl Page {
    /// The page size, checked.
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_PAGE),
            Some(n @ 1..=MAX_PAGE) => Ok(n),
            Some(n) => Err(ApiError::bad_request(format!(
                "`limit` {n} is out of range: expected 1 to {MAX_PAGE}"
            ))),
        }
    }
}

/// `/export` parameters (with the [`RecordFilter`] ones).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub(super) struct ExportParams {
    /// File format.
    #[serde(default)]
    pub format: ExportFormat,
    /// Columns in order, comma-separated; `var.NAME` is the call variable NAME.
    pub columns: Option<String>,
    /// Mask the middle four digits of phone numbers (138****5678).
    #[serde(default = "yes")]
    pub mask: bool,
    /// Time zone of the times in the file (IANA name, e.g. `Asia/Shanghai`); default UTC.
    pub tz: Option<String>,
}

fn yes() -> bool {
    true
}

/// Export file formats.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum ExportFormat {
    /// UTF-8 CSV with a byte-order mark, so Excel reads Chinese text right.
    #[default]
    Csv,
    /// An Excel workbook with a bold header row.
    Xlsx,
}

/// `/stats/compare` parameters.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub(super) struct CompareParams {
    /// Campaign ids, comma-separated, at least two; the first is the baseline of the differences.
    pub campaigns: String,
}

/// `/campaigns/{id}/stats` parameters.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
pub(super) struct StatsParams {
    /// Time zone of the hour-of-day histogram (IANA name, e.g. `Asia/Shanghai`); default: the
    /// campaign's `timezone`, else UTC.
    pub tz: Option<String>,
}

/// `PUT /campaigns/{id}/numbers` parameters.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub(super) struct ImportParams {
    /// The uploaded file's name; its extension (`.csv`, `.xlsx`) says how to read the body.
    pub file_name: String,
    /// The phone column's header (default: the first phone-like header).
    pub phone_column: Option<String>,
    /// The XLSX sheet (default: the first).
    pub sheet: Option<String>,
    /// Shuffle the accepted rows.
    #[serde(default)]
    pub shuffle: bool,
}

/// `PUT /blacklist/{group}/import` parameters.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub(super) struct BlacklistImportParams {
    /// The uploaded file's name; its extension (`.csv`, `.xlsx`) says how to read the body.
    pub file_name: String,
    /// The phone column's header (default: the first phone-like header).
    pub phone_column: Option<String>,
    /// The XLSX sheet (default: the first).
    pub sheet: Option<String>,
    /// The entries expire at this time (Unix ms); default: never.
    pub expires_at: Option<i64>,
}

/// `GET /blacklist/{group}` parameters.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
pub(super) struct BlacklistListParams {
    /// `json` (default) or `csv` (a file to download: number, expires_at, added_at, note).
    pub format: Option<ListFormat>,
}

/// How `GET /blacklist/{group}` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum ListFormat {
    /// A JSON array of entries.
    Json,
    /// A CSV file.
    Csv,
}

/// A time given as RFC 3339 or as Unix milliseconds, in Unix milliseconds.
pub(super) fn parse_time(name: &str, text: &str) -> Result<i64, ApiError> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| {
            ApiError::bad_request(format!(
                "`{name}`: `{text}` is not a time: expected RFC 3339 like \
                 2026-03-02T09:00:00+08:00 or Unix milliseconds"
            ))
        })
}

/// Comma-separated items, trimmed, empty ones dropped.
pub(super) fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_or_unix_ms() {
        assert_eq!(
            parse_time("from", "1767225600000").unwrap(),
            1_767_225_600_000
        );
        assert_eq!(
            parse_time("from", "2026-01-01T08:00:00+08:00").unwrap(),
            1_767_225_600_000
        );
        assert_eq!(
            parse_time("to", "2026-01-01T00:00:00Z").unwrap(),
            1_767_225_600_000
        );
        let e = parse_time("to", "yesterday").unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
        assert!(
            e.message.contains("`to`: `yesterday` is not a time"),
            "{}",
            e.message
        );
    }

    #[test]
    fn page_limits_are_checked() {
        assert_eq!(Page::default().limit().unwrap(), DEFAULT_PAGE);
        assert!(
            Page {
                limit: Some(0),
                offset: None
            }
            .limit()
            .is_err()
        );
        assert!(
            Page {
                limit: Some(MAX_PAGE + 1),
                offset: None
            }
            .limit()
            .is_err()
        );
        assert_eq!(split_list(" a, ,b,"), vec!["a", "b"]);
    }
}
