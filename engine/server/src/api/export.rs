//! `GET /export`: call records as a CSV or XLSX file with chosen columns and masked numbers.
//!
//! Masking (on by default) hides the four digits before the last four: `13812345678` →
//! `138****5678`, `+8613812345678` → `+86138****5678`, `01065529988` → `010****9988`. Numbers
//! of 5 to 8 digits keep only their last two digits (`65529988` → `******88`), shorter ones are
//! masked whole. Separators (`+`, `-`, spaces) stay where they are.
//!
//! The file is built in memory on the blocking pool, up to [`MAX_EXPORT_ROWS`] records; a
//! larger selection is refused with a message asking for a narrower time range.

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jiff::tz::TimeZone;
use rust_xlsxwriter::{Format, Workbook};
use voxgate_store::RecordQuery;

use super::query::{ExportFormat, ExportParams, Params, RecordFilter, split_list};
use super::records::store_query;
use super::types::Record;
use super::{ApiError, Ctx};

/// The most records one export may hold.
pub(super) const MAX_EXPORT_ROWS: usize = 250_000;

/// Columns exported when none are chosen.
pub(super) const DEFAULT_COLUMNS: &[&str] = &[
    "attempt",
    "phone",
    "result",
    "level",
    "score",
    "tags",
    "dial_at",
    "answer_at",
    "hangup_at",
    "ring_ms",
    "talk_ms",
    "rounds_count",
    "hangup_by",
    "sip_code",
];

/// Prefix of a column holding one call variable, e.g. `var.name`.
const VARIABLE_PREFIX: &str = "var.";

/// One cell of the file.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

/// How cells are rendered: masking and the time zone of times.
struct Render {
    mask: bool,
    tz: TimeZone,
}

impl Render {
    fn time(&self, ms: Option<i64>) -> Cell {
        ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
            .map_or(Cell::Empty, |t| {
                let local = t.to_zoned(self.tz.clone());
                Cell::Text(local.strftime("%Y-%m-%d %H:%M:%S").to_string())
            })
    }
}

fn text(value: Option<&str>) -> Cell {
    value.map_or(Cell::Empty, |v| Cell::Text(v.to_owned()))
}

fn number(value: Option<impl Into<f64>>) -> Cell {
    value.map_or(Cell::Empty, |v| Cell::Number(v.into()))
}

/// An exportable column.
#[derive(Debug)]
pub(super) struct Column {
    /// Its name in `columns=` and in the header row.
    pub name: &'static str,
    value: fn(&Record, &Render) -> Cell,
}

/// Every fixed column, in the order the OpenAPI document lists them.
pub(super) const COLUMNS: &[Column] = &[
    Column {
        name: "attempt",
        value: |r, _| Cell::Number(r.attempt as f64),
    },
    Column {
        name: "campaign",
        value: |r, _| Cell::Text(r.campaign.clone()),
    },
    Column {
        name: "phone",
        value: |r, f| {
            Cell::Text(if f.mask {
                mask_phone(&r.phone)
            } else {
                r.phone.clone()
            })
        },
    },
    Column {
        name: "caller_id",
        value: |r, _| text(r.caller_id.as_deref()),
    },
    Column {
        name: "trunk",
        value: |r, _| text(r.trunk.as_deref()),
    },
    Column {
        name: "call_id",
        value: |r, _| text(r.call_id.as_deref()),
    },
    Column {
        name: "created_at",
        value: |r, f| f.time(Some(r.created_at)),
    },
    Column {
        name: "dial_at",
        value: |r, f| f.time(r.dial_at),
    },
    Column {
        name: "ring_at",
        value: |r, f| f.time(r.ring_at),
    },
    Column {
        name: "answer_at",
        value: |r, f| f.time(r.answer_at),
    },
    Column {
        name: "hangup_at",
        value: |r, f| f.time(r.hangup_at),
    },
    Column {
        name: "ring_ms",
        value: |r, _| number(r.ring_ms.map(|v| v as f64)),
    },
    Column {
        name: "talk_ms",
        value: |r, _| number(r.talk_ms.map(|v| v as f64)),
    },
    Column {
        name: "result",
        value: |r, _| text(r.result.as_deref()),
    },
    Column {
        name: "sip_code",
        value: |r, _| number(r.sip_code),
    },
    Column {
        name: "sip_reason",
        value: |r, _| text(r.sip_reason.as_deref()),
    },
    Column {
        name: "cause",
        value: |r, _| number(r.cause),
    },
    Column {
        name: "evidence",
        value: |r, _| text(r.evidence.as_deref()),
    },
    Column {
        name: "hangup_by",
        value: |r, _| text(r.hangup_by.as_deref()),
    },
    Column {
        name: "rounds_count",
        value: |r, _| number(Some(r.rounds_count)),
    },
    Column {
        name: "score",
        value: |r, _| number(r.score.map(|v| v as f64)),
    },
    Column {
        name: "level",
        value: |r, _| text(r.level.as_deref()),
    },
    Column {
        name: "tags",
        value: |r, _| Cell::Text(r.tags.join(",")),
    },
    Column {
        name: "summary",
        value: |r, _| {
            let summary = r.analysis.as_ref().and_then(|a| a.get("summary"));
            text(summary.and_then(|s| s.as_str()))
        },
    },
    Column {
        name: "recording_url",
        value: |r, _| text(r.recording_url.as_deref()),
    },
];

/// A chosen column: fixed, or one call variable.
#[derive(Debug)]
enum Chosen {
    Fixed(&'static Column),
    Variable(String),
}

impl Chosen {
    fn header(&self) -> String {
        match self {
            Chosen::Fixed(c) => c.name.to_owned(),
            Chosen::Variable(name) => format!("{VARIABLE_PREFIX}{name}"),
        }
    }

    fn cell(&self, record: &Record, render: &Render) -> Cell {
        match self {
            Chosen::Fixed(c) => (c.value)(record, render),
            Chosen::Variable(name) => text(record.variables.get(name).map(String::as_str)),
        }
    }
}

/// The columns named in `columns=` (or the default set).
fn choose(columns: Option<&str>) -> Result<Vec<Chosen>, ApiError> {
    let names = match columns {
        Some(list) => split_list(list),
        None => DEFAULT_COLUMNS.iter().map(|c| c.to_string()).collect(),
    };
    if names.is_empty() {
        return Err(ApiError::bad_request("`columns` names no column"));
    }
    names
        .into_iter()
        .map(|name| {
            if let Some(variable) = name.strip_prefix(VARIABLE_PREFIX)
                && !variable.is_empty()
            {
                return Ok(Chosen::Variable(variable.to_owned()));
            }
            COLUMNS
                .iter()
                .find(|c| c.name == name)
                .map(Chosen::Fixed)
                .ok_or_else(|| {
                    let known: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
                    ApiError::bad_request(format!(
                        "unknown column `{name}`: expected one of {} or var.NAME for a call \
                         variable",
                        known.join(", ")
                    ))
                })
        })
        .collect()
}

/// Mask the four digits before the last four (see the module documentation).
pub(super) fn mask_phone(phone: &str) -> String {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let (keep_front, masked) = match digits {
        9.. => (digits - 8, 4),
        5..=8 => (0, digits - 2),
        _ => (0, digits),
    };
    let mut seen = 0;
    phone
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen > keep_front && seen <= keep_front + masked {
                '*'
            } else {
                c
            }
        })
        .collect()
}

/// `GET /export`.
pub(super) async fn export(
    State(context): Ctx,
    Params(params): Params<ExportParams>,
    Params(filter): Params<RecordFilter>,
) -> Result<Response, ApiError> {
    let chosen = choose(params.columns.as_deref())?;
    let tz = match &params.tz {
        None => TimeZone::UTC,
        Some(name) => TimeZone::get(name).map_err(|_| {
            ApiError::bad_request(format!(
                "unknown time zone `{name}` (expected e.g. Asia/Shanghai)"
            ))
        })?,
    };
    let render = Render {
        mask: params.mask,
        tz,
    };
    let query = RecordQuery {
        limit: Some(MAX_EXPORT_ROWS + 1),
        ..store_query(&filter)?
    };
    let format = params.format;
    let (bytes, rows) = context
        .with_store(move |store| {
            let records = store
                .records(&query)
                .map_err(|e| ApiError::internal(format!("reading records: {e}")))?;
            if records.len() > MAX_EXPORT_ROWS {
                return Err(ApiError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "more than {MAX_EXPORT_ROWS} records match: narrow the selection \
                         (from/to, campaign, result)"
                    ),
                ));
            }
            let records: Vec<Record> = records.into_iter().map(Record::from).collect();
            let bytes = match format {
                ExportFormat::Csv => csv_file(&chosen, &records, &render)?,
                ExportFormat::Xlsx => xlsx_file(&chosen, &records, &render)?,
            };
            Ok((bytes, records.len()))
        })
        .await?;
    let (extension, content_type) = match format {
        ExportFormat::Csv => ("csv", "text/csv; charset=utf-8"),
        ExportFormat::Xlsx => (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    };
    let name: String = filter
        .campaign
        .as_deref()
        .unwrap_or("all")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stamp = jiff::Zoned::now().strftime("%Y%m%d-%H%M%S");
    let disposition = format!("attachment; filename=\"voxgate-{name}-{stamp}.{extension}\"");
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        HeaderName::from_static("x-row-count"),
        HeaderValue::from(rows),
    );
    Ok(response)
}

/// UTF-8 CSV with a byte-order mark (Excel then reads Chinese text right).
fn csv_file(columns: &[Chosen], records: &[Record], render: &Render) -> Result<Vec<u8>, ApiError> {
    let failed = |e: csv::Error| ApiError::internal(format!("writing the CSV: {e}"));
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer
        .write_record(columns.iter().map(Chosen::header))
        .map_err(failed)?;
    for record in records {
        let cells = columns.iter().map(|c| match c.cell(record, render) {
            Cell::Text(t) => t,
            Cell::Number(n) => n.to_string(),
            Cell::Empty => String::new(),
        });
        writer.write_record(cells).map_err(failed)?;
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::internal(format!("writing the CSV: {e}")))
}

/// Display width of a cell in Excel's character units (CJK characters count double).
fn width(text: &str) -> usize {
    text.chars()
        .map(|c| if c.len_utf8() > 2 { 2 } else { 1 })
        .sum()
}

/// An XLSX workbook: bold, frozen header row, columns as wide as their content (capped).
fn xlsx_file(columns: &[Chosen], records: &[Record], render: &Render) -> Result<Vec<u8>, ApiError> {
    let failed =
        |e: rust_xlsxwriter::XlsxError| ApiError::internal(format!("writing the XLSX: {e}"));
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("records").map_err(failed)?;
    let bold = Format::new().set_bold();
    let mut widths: Vec<usize> = Vec::with_capacity(columns.len());
    for (c, column) in (0u16..).zip(columns) {
        let header = column.header();
        widths.push(width(&header));
        sheet
            .write_string_with_format(0, c, header, &bold)
            .map_err(failed)?;
    }
    for (r, record) in (1u32..).zip(records) {
        for (c, column) in (0u16..).zip(columns) {
            let cell = column.cell(record, render);
            let w = match cell {
                Cell::Text(t) => {
                    sheet.write_string(r, c, &t).map_err(failed)?;
                    width(&t)
                }
                Cell::Number(n) => {
                    sheet.write_number(r, c, n).map_err(failed)?;
                    n.to_string().len()
                }
                Cell::Empty => 0,
            };
            let slot = &mut widths[usize::from(c)];
            *slot = (*slot).max(w);
        }
    }
    for (c, w) in (0u16..).zip(&widths) {
        sheet
            .set_column_width(c, (*w).clamp(8, 60) as f64 + 1.0)
            .map_err(failed)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(failed)?;
    workbook.save_to_buffer().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_hides_the_four_digits_before_the_last_four() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+8613812345678"), "+86138****5678");
        assert_eq!(mask_phone("010-6552-9988"), "010-****-9988");
        assert_eq!(mask_phone("65529988"), "******88");
        assert_eq!(mask_phone("12345"), "***45");
        assert_eq!(mask_phone("1234"), "****");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn columns_are_checked_and_variables_allowed() {
        let chosen = choose(Some("phone, var.name ,talk_ms")).unwrap();
        let headers: Vec<String> = chosen.iter().map(Chosen::header).collect();
        assert_eq!(headers, ["phone", "var.name", "talk_ms"]);
        assert_eq!(choose(None).unwrap().len(), DEFAULT_COLUMNS.len());
        let e = choose(Some("phone,colour")).unwrap_err();
        assert!(
            e.message.contains("unknown column `colour`"),
            "{}",
            e.message
        );
        assert!(choose(Some(" , ")).is_err());
        for name in DEFAULT_COLUMNS {
            assert!(COLUMNS.iter().any(|c| c.name == *name), "{name}");
        }
    }

    #[test]
    fn widths_count_cjk_characters_double() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("张三"), 4);
    }
}
