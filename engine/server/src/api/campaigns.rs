//! `/campaigns` and `/stats`: load, list, state changes, number imports, statistics and A/B
//! comparison.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use jiff::tz::TimeZone;
use voxgate_store::{CampaignRow, Store, StoreError};

use super::query::{CompareParams, ImportParams, Params, StatsParams, split_list};
use super::types::{CampaignStats, CampaignSummary, Comparison, Difference, Progress};
use super::{ApiError, Ctx};
use crate::campaigns::{CampaignInfo, CampaignSource, ImportOptions, ImportReport, Transition};

/// A top-level string key of a campaign file (`trunk`, `timezone`), if the text parses.
fn file_key(source_text: &str, key: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(source_text).ok()?;
    table.get(key)?.as_str().map(str::to_owned)
}

fn summary(store: &Store, row: CampaignRow) -> Result<CampaignSummary, StoreError> {
    let progress = Progress::from(store.progress(&row.id)?);
    Ok(CampaignSummary {
        trunk: file_key(&row.source_text, "trunk"),
        id: row.id,
        name: row.name,
        status: row.status,
        reason: row.status_reason,
        created_at: row.created_at,
        updated_at: row.updated_at,
        progress,
    })
}

fn no_campaign(id: &str) -> ApiError {
    ApiError::not_found(format!("no campaign `{id}`"))
}

/// `GET /campaigns`.
pub(super) async fn list(State(context): Ctx) -> Result<Json<Vec<CampaignSummary>>, ApiError> {
    let list = context
        .read("listing campaigns", |store| {
            store
                .campaigns()?
                .into_iter()
                .map(|row| summary(store, row))
                .collect()
        })
        .await?;
    Ok(Json(list))
}

/// `GET /campaigns/{id}`.
pub(super) async fn show(
    State(context): Ctx,
    Path(id): Path<String>,
) -> Result<Json<CampaignSummary>, ApiError> {
    let key = id.clone();
    let found = context
        .read("reading a campaign", move |store| {
            store
                .campaign(&key)?
                .map(|row| summary(store, row))
                .transpose()
        })
        .await?;
    found.map(Json).ok_or_else(|| no_campaign(&id))
}

/// `POST /campaigns`: the campaign file's TOML text as the body.
pub(super) async fn load(
    State(context): Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<CampaignInfo>), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/plain");
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !["text/plain", "application/toml", "text/x-toml"].contains(&essence) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "content type `{content_type}`: send the campaign file as text/plain or \
                 application/toml"
            ),
        ));
    }
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::bad_request("the campaign file is not UTF-8 text"))?;
    if text.trim().is_empty() {
        return Err(ApiError::bad_request(
            "the body is empty: send the campaign file's text",
        ));
    }
    let info = context
        .state
        .campaigns
        .load(CampaignSource::Text(text))
        .await?;
    Ok((StatusCode::CREATED, Json(info)))
}

async fn transition(
    context: &super::ApiContext,
    id: &str,
    transition: Transition,
) -> Result<Json<CampaignInfo>, ApiError> {
    Ok(Json(
        context.state.campaigns.transition(id, transition).await?,
    ))
}

/// `POST /campaigns/{id}/start`.
pub(super) async fn start(
    State(c): Ctx,
    Path(id): Path<String>,
) -> Result<Json<CampaignInfo>, ApiError> {
    transition(&c, &id, Transition::Start).await
}

/// `POST /campaigns/{id}/pause`.
pub(super) async fn pause(
    State(c): Ctx,
    Path(id): Path<String>,
) -> Result<Json<CampaignInfo>, ApiError> {
    transition(&c, &id, Transition::Pause).await
}

/// `POST /campaigns/{id}/resume`.
pub(super) async fn resume(
    State(c): Ctx,
    Path(id): Path<String>,
) -> Result<Json<CampaignInfo>, ApiError> {
    transition(&c, &id, Transition::Resume).await
}

/// `POST /campaigns/{id}/stop`.
pub(super) async fn stop(
    State(c): Ctx,
    Path(id): Path<String>,
) -> Result<Json<CampaignInfo>, ApiError> {
    transition(&c, &id, Transition::Stop).await
}

/// `PUT /campaigns/{id}/numbers?file_name=...`: the raw file as the body.
pub(super) async fn import(
    State(context): Ctx,
    Path(id): Path<String>,
    Params(params): Params<ImportParams>,
    body: Bytes,
) -> Result<Json<ImportReport>, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "the body is empty: send the CSV or XLSX file's bytes",
        ));
    }
    let options = ImportOptions {
        phone_column: params.phone_column,
        sheet: params.sheet,
        shuffle: params.shuffle,
    };
    let report = context
        .state
        .campaigns
        .import(&id, &params.file_name, body.to_vec(), options)
        .await?;
    Ok(Json(report))
}

/// The time zone of the hour-of-day histogram: asked, else the campaign's, else UTC.
fn stats_zone(asked: Option<&str>, row: &CampaignRow) -> Result<TimeZone, ApiError> {
    match asked {
        Some(name) => TimeZone::get(name).map_err(|_| {
            ApiError::bad_request(format!(
                "unknown time zone `{name}` (expected e.g. Asia/Shanghai)"
            ))
        }),
        None => Ok(file_key(&row.source_text, "timezone")
            .and_then(|name| TimeZone::get(&name).ok())
            .unwrap_or(TimeZone::UTC)),
    }
}

/// Statistics of each campaign in `ids`, in order; a missing campaign is a 404.
async fn stats_of(
    context: &super::ApiContext,
    ids: Vec<String>,
    tz: Option<String>,
) -> Result<Vec<CampaignStats>, ApiError> {
    let now = jiff::Timestamp::now();
    context
        .with_store(move |store| {
            let failed = |e: StoreError| ApiError::internal(format!("computing statistics: {e}"));
            ids.iter()
                .map(|id| {
                    let row = store
                        .campaign(id)
                        .map_err(failed)?
                        .ok_or_else(|| no_campaign(id))?;
                    let zone = stats_zone(tz.as_deref(), &row)?;
                    let offset_minutes = zone.to_offset(now).seconds() / 60;
                    let stats = store.stats(id, offset_minutes).map_err(failed)?;
                    Ok(CampaignStats::new(stats, offset_minutes))
                })
                .collect()
        })
        .await
}

/// `GET /campaigns/{id}/stats`.
pub(super) async fn stats(
    State(context): Ctx,
    Path(id): Path<String>,
    Params(params): Params<StatsParams>,
) -> Result<Json<CampaignStats>, ApiError> {
    let mut stats = stats_of(&context, vec![id], params.tz).await?;
    stats
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::internal("no statistics computed"))
}

/// `GET /stats/compare?campaigns=a,b`: side by side, with the differences to the first.
pub(super) async fn compare(
    State(context): Ctx,
    Params(params): Params<CompareParams>,
) -> Result<Json<Comparison>, ApiError> {
    let ids = split_list(&params.campaigns);
    if ids.len() < 2 {
        return Err(ApiError::bad_request(
            "`campaigns` needs two or more campaign ids, comma-separated",
        ));
    }
    let campaigns = stats_of(&context, ids, None).await?;
    let differences = match campaigns.split_first() {
        Some((baseline, others)) => others
            .iter()
            .map(|c| Difference::between(baseline, c))
            .collect(),
        None => Vec::new(),
    };
    Ok(Json(Comparison {
        campaigns,
        differences,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn campaign_file_keys_are_read_from_the_toml_text() {
        let text = "name = \"a\"\ntrunk = \"carrier\"\ntimezone = \"Asia/Shanghai\"\n";
        assert_eq!(file_key(text, "trunk").as_deref(), Some("carrier"));
        assert_eq!(file_key(text, "timezone").as_deref(), Some("Asia/Shanghai"));
        assert_eq!(file_key(text, "weight"), None);
        assert_eq!(file_key("not = [toml", "trunk"), None);
    }
}
