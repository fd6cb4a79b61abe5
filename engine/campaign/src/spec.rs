//! Campaign files (TOML): parsing, validation with `file:line:column` errors, and the JSON
//! Schema for editors. The format is described in `FORMAT.md` beside this crate.
//!
//! [`parse_campaign`] and [`Holidays::parse`](crate::calendar::Holidays::parse) do no I/O: a
//! campaign names its holiday file ([`Campaign::holidays_file`]) and the caller attaches it
//! with [`Campaign::with_holidays`]. [`load_campaign`] and [`load_campaign_text`] are the
//! functions that read files.
//!
//! ```
//! use std::path::Path;
//! use voxgate_campaign::calendar::CallWindow;
//! use voxgate_campaign::spec::parse_campaign;
//!
//! let text = r#"
//! name = "renewal"
//! trunk = "carrier"
//! timezone = "Asia/Shanghai"
//! [windows]
//! mon-fri = ["09:00-12:00", "13:00-18:00"]
//! [dialogue]
//! plugin = "plugins/flow.wasm"
//! flow = "flows/renewal.toml"
//! [redial]
//! busy = { delay = "10m", max_attempts = 3 }
//! "#;
//! let campaign = parse_campaign(text, "renewal.toml", Path::new("/srv/campaigns")).unwrap();
//! assert_eq!(campaign.dialogue.default.plugin, Path::new("/srv/campaigns/plugins/flow.wasm"));
//! // Monday 2026-03-02 10:00 in Shanghai is 02:00 UTC.
//! assert!(campaign.calendar.is_open(1_772_416_800_000));
//!
//! let broken = text.replace("Asia/Shanghai", "Asia/Shangai").replace("10m", "10 minutes");
//! let errors = parse_campaign(&broken, "renewal.toml", Path::new(".")).unwrap_err();
//! assert_eq!(errors.0.len(), 2);
//! assert!(errors.0[0].to_string().starts_with("renewal.toml:4:12: unknown time zone `Asia/Shangai`"));
//! ```

mod holidays;
mod issue;
mod model;
mod raw;
mod validate;
mod values;

use std::path::Path;

pub use issue::{SpecErrors, SpecIssue};
pub use model::{
    Background, Campaign, Country, DialogueChoice, DialoguePlan, FollowUp, FollowUpAction,
    NumberSource, PostCall, Speech, StopConditions, Webhook,
};

use crate::calendar::Holidays;

/// Parse and check a campaign file. `origin` names it in messages (usually its path);
/// relative paths in it resolve against `base_dir` (the file's folder).
///
/// Every error is reported, each as `origin:line:column: what was expected`. No file is read:
/// attach the holiday calendar named by [`Campaign::holidays_file`] with
/// [`Campaign::with_holidays`].
pub fn parse_campaign(text: &str, origin: &str, base_dir: &Path) -> Result<Campaign, SpecErrors> {
    validate::parse(text, origin, base_dir).map(|parsed| parsed.campaign)
}

/// Read a campaign file and the holiday calendar it names, and check both.
///
/// With [`load_campaign_text`], the only functions of the crate that do I/O (file reads).
/// Errors in the holiday file point into that file; a holiday file that cannot be read is
/// reported at the `holidays` line of the campaign.
pub fn load_campaign(path: &Path) -> Result<Campaign, SpecErrors> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        SpecErrors(vec![SpecIssue {
            origin: origin.clone(),
            line: 1,
            column: 1,
            message: format!("cannot read the campaign file: {e}"),
        }])
    })?;
    load_campaign_text(&text, &origin, path.parent().unwrap_or(Path::new(".")))
}

/// [`parse_campaign`], then read and attach the holiday calendar the campaign names (for a
/// campaign whose text came from elsewhere than a file, e.g. the HTTP API). Does I/O.
pub fn load_campaign_text(
    text: &str,
    origin: &str,
    base_dir: &Path,
) -> Result<Campaign, SpecErrors> {
    let parsed = validate::parse(text, origin, base_dir)?;
    let Some(holidays_path) = parsed.campaign.holidays_file.clone() else {
        return Ok(parsed.campaign);
    };
    let holidays_origin = holidays_path.display().to_string();
    let holidays_text = std::fs::read_to_string(&holidays_path).map_err(|e| {
        let message = format!("holidays: cannot read `{holidays_origin}`: {e}");
        SpecErrors(vec![SpecIssue::at(
            origin,
            text,
            parsed.holidays_span.start,
            message,
        )])
    })?;
    let holidays = Holidays::parse(&holidays_text, &holidays_origin)?;
    Ok(parsed.campaign.with_holidays(holidays))
}

/// The JSON Schema of campaign files (for editors: TOML language servers read JSON Schema).
pub fn campaign_json_schema() -> serde_json::Value {
    schemars::schema_for!(raw::RawCampaign).to_value()
}

/// The JSON Schema of holiday calendar files.
pub fn holidays_json_schema() -> serde_json::Value {
    schemars::schema_for!(holidays::RawHolidays).to_value()
}

#[cfg(test)]
mod tests;
