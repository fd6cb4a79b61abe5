//! Number list import from CSV or XLSX bytes: a header row, a phone column, other columns as
//! per-row variables; every number normalised, rejected rows and in-file duplicates reported by
//! the row number a person sees in a spreadsheet.

pub(crate) mod csv_source;
mod xlsx_source;

use crate::normalize::{Country, PhoneNumber, normalize};
use serde::Serialize;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::path::Path;

/// Headers that name the phone column when [`ImportOptions::phone_column`] is not set, compared
/// without regard to case.
pub const PHONE_HEADERS: &[&str] = &[
    "phone",
    "mobile",
    "number",
    "tel",
    "手机",
    "手机号",
    "电话",
    "号码",
    "phone number",
    "telephone",
    "手机号码",
    "电话号码",
];

/// Default for [`ImportOptions::max_rows`].
pub const DEFAULT_MAX_ROWS: usize = 250_000;

/// The file format of a number list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Comma, semicolon or tab separated text in UTF-8 (a byte-order mark is allowed).
    #[default]
    Csv,
    /// An Excel workbook (Office Open XML).
    Xlsx,
}

impl Format {
    /// The format named by a file's extension: `.csv`, `.tsv` and `.txt` are CSV, `.xlsx` and
    /// `.xlsm` are XLSX.
    pub fn from_path(path: &Path) -> Result<Format, ImportError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        match extension.to_ascii_lowercase().as_str() {
            "csv" | "tsv" | "txt" => Ok(Format::Csv),
            "xlsx" | "xlsm" => Ok(Format::Xlsx),
            _ => Err(ImportError::UnknownFormat {
                path: path.display().to_string(),
            }),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "CSV",
            Format::Xlsx => "XLSX",
        })
    }
}

/// How to read a number list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// Header of the phone column (case-insensitive); `None`: the first column named as in
    /// [`PHONE_HEADERS`].
    pub phone_column: Option<String>,
    /// XLSX sheet to read; `None`: the first worksheet.
    pub sheet: Option<String>,
    /// Numbering plan for numbers without an international prefix.
    pub country: Country,
    /// Most data rows (not counting the header and empty rows) a file may have.
    pub max_rows: usize,
    /// CSV or XLSX.
    pub format: Format,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            phone_column: None,
            sheet: None,
            country: Country::China,
            max_rows: DEFAULT_MAX_ROWS,
            format: Format::Csv,
        }
    }
}

/// An imported number list.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NumberList {
    /// Header of the phone column, as written in the file.
    pub phone_column: String,
    /// Headers of the other named columns in file order: the variables every row carries.
    pub columns: Vec<String>,
    /// Valid numbers, first occurrence of each, in file order.
    pub rows: Vec<NumberRow>,
    /// Rows whose number is invalid, in file order.
    pub rejected: Vec<RejectedRow>,
    /// Rows whose number appeared on an earlier row, in file order.
    pub duplicates: Vec<DuplicateRow>,
}

/// One valid number with its variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NumberRow {
    /// Row number as a spreadsheet shows it (the header is usually row 1).
    pub row: usize,
    /// The normalised number.
    pub phone: PhoneNumber,
    /// `(header, cell text)` for every named column but the phone column (empty text for empty
    /// cells), then `("column N", text)` for non-empty cells in columns without a header.
    pub variables: Vec<(String, String)>,
}

/// A row whose number was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    /// Row number as a spreadsheet shows it.
    pub row: usize,
    /// The phone cell as written (trimmed).
    pub raw: String,
    /// What is wrong and what was expected.
    pub reason: String,
}

/// A row whose number was already on an earlier row of the same file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateRow {
    /// Row number as a spreadsheet shows it.
    pub row: usize,
    /// The number in E.164 form.
    pub phone: String,
    /// Row where the number first appeared (the one kept).
    pub first_row: usize,
}

/// A problem with the whole file: nothing was imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The bytes are not a readable file of the given format.
    #[error("cannot read the {format} file: {reason}")]
    Unreadable {
        /// The format that was expected.
        format: Format,
        /// What went wrong.
        reason: String,
    },
    /// A CSV row that is not UTF-8 text.
    #[error(
        "row {row} is not UTF-8 text (GBK or another encoding?): save the file as UTF-8 (Excel: \"CSV UTF-8\")"
    )]
    NotUtf8 {
        /// Row number of the first bad row.
        row: usize,
    },
    /// The file (or sheet) has no non-empty row.
    #[error(
        "the file has no header row: the first non-empty row must name the columns, e.g. `phone,name`"
    )]
    NoHeader,
    /// No column is the phone column.
    #[error("{}", phone_column_message(wanted.as_deref(), found))]
    PhoneColumnNotFound {
        /// The header asked for, if any.
        wanted: Option<String>,
        /// The headers found in the file.
        found: Vec<String>,
    },
    /// More data rows than [`ImportOptions::max_rows`].
    #[error(
        "the file has {rows} rows of numbers, more than the limit of {limit}: split it into several files"
    )]
    TooManyRows {
        /// Data rows in the file.
        rows: usize,
        /// The limit.
        limit: usize,
    },
    /// [`ImportOptions::sheet`] names no sheet of the workbook.
    #[error(
        "the workbook has no sheet named `{name}`: its sheets are {}",
        quoted_list(available)
    )]
    SheetNotFound {
        /// The sheet asked for.
        name: String,
        /// The sheets the workbook has.
        available: Vec<String>,
    },
    /// The workbook has no worksheet at all (only charts or macros).
    #[error("the workbook has no worksheet: expected one with a header row and a phone column")]
    NoWorksheet,
    /// [`Format::from_path`] does not know the extension.
    #[error(
        "cannot tell the format of `{path}`: expected .csv, .tsv, .txt or .xlsx (save an .xls workbook as .xlsx)"
    )]
    UnknownFormat {
        /// The path given.
        path: String,
    },
}

fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|h| format!("`{h}`")).collect();
    if quoted.is_empty() {
        "none".to_owned()
    } else {
        quoted.join(", ")
    }
}

fn phone_column_message(wanted: Option<&str>, found: &[String]) -> String {
    let found = quoted_list(found);
    match wanted {
        Some(name) => format!("no column is named `{name}`: the headers are {found}"),
        None => format!(
            "no phone column: name it one of {} (or choose the column), the headers are {found}",
            PHONE_HEADERS.join("/")
        ),
    }
}

/// Imports a number list from the bytes of a CSV or XLSX file (the caller reads the file).
///
/// Empty rows are skipped. Each other row's number is normalised with
/// [`ImportOptions::country`]: a bad number lands in [`NumberList::rejected`], a number already
/// seen in the file in [`NumberList::duplicates`] (the first row wins). Checking against numbers a
/// campaign already has is the caller's job.
pub fn import(bytes: &[u8], options: &ImportOptions) -> Result<NumberList, ImportError> {
    match options.format {
        Format::Csv => csv_source::read(bytes, options),
        Format::Xlsx => xlsx_source::read(bytes, options),
    }
}

/// Shuffles `items` in place (Fisher–Yates): the same seed always gives the same order, so a
/// campaign can store its seed and reproduce its dialling order.
pub fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed;
    for i in (1..items.len()).rev() {
        let j = below(&mut state, i as u64 + 1);
        // `j <= i` (see `below`), so it fits in usize and indexes `items`.
        items.swap(i, j as usize);
    }
}

/// splitmix64: a 64-bit state stepped by a constant and mixed (Steele, Lea and Flood 2014).
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform in `0..bound` (Lemire's multiply-and-reject; `bound` > 0).
fn below(state: &mut u64, bound: u64) -> u64 {
    let threshold = bound.wrapping_neg() % bound;
    loop {
        let product = u128::from(splitmix64(state)) * u128::from(bound);
        if product as u64 >= threshold {
            return (product >> 64) as u64;
        }
    }
}

/// The cells of one row, whatever the format; a missing cell reads as "".
pub(crate) trait Cells {
    /// Cells in the row, counting empty ones before the last non-empty one.
    fn count(&self) -> usize;
    /// The text of cell `index`, "" past the end.
    fn cell(&self, index: usize) -> &str;

    /// True when every cell is empty or blank.
    fn is_blank(&self) -> bool {
        (0..self.count()).all(|i| self.cell(i).trim().is_empty())
    }
}

/// Builds a [`NumberList`] row by row; shared by both formats.
pub(crate) struct ListBuilder<'o> {
    options: &'o ImportOptions,
    headers: Vec<String>,
    phone: usize,
    list: NumberList,
    /// Row of the first occurrence of each number, by [`dedup_key`].
    first_rows: HashMap<u64, usize>,
    data_rows: usize,
}

impl<'o> ListBuilder<'o> {
    /// Starts a list from its header row, with room for `expected_rows` data rows (a hint, capped
    /// at [`ImportOptions::max_rows`]).
    pub(crate) fn new(
        header: &impl Cells,
        options: &'o ImportOptions,
        expected_rows: usize,
    ) -> Result<Self, ImportError> {
        let headers: Vec<String> = (0..header.count())
            .map(|i| header.cell(i).trim().to_owned())
            .collect();
        let named: Vec<String> = headers.iter().filter(|h| !h.is_empty()).cloned().collect();
        let matches = |header: &String, name: &str| header.to_lowercase() == name.to_lowercase();
        let phone = match &options.phone_column {
            Some(wanted) => headers.iter().position(|h| matches(h, wanted.trim())),
            None => headers
                .iter()
                .position(|h| PHONE_HEADERS.iter().any(|name| matches(h, name))),
        };
        let Some(phone) = phone else {
            return Err(ImportError::PhoneColumnNotFound {
                wanted: options.phone_column.clone(),
                found: named,
            });
        };
        let columns = headers
            .iter()
            .enumerate()
            .filter(|&(i, h)| i != phone && !h.is_empty())
            .map(|(_, h)| h.clone())
            .collect();
        let capacity = expected_rows.min(options.max_rows);
        let list = NumberList {
            phone_column: headers[phone].clone(),
            columns,
            rows: Vec::with_capacity(capacity),
            ..NumberList::default()
        };
        let first_rows = HashMap::with_capacity(capacity);
        Ok(ListBuilder {
            options,
            headers,
            phone,
            list,
            first_rows,
            data_rows: 0,
        })
    }

    /// Adds a non-blank data row; `row` is its spreadsheet row number.
    pub(crate) fn push(&mut self, row: usize, cells: &impl Cells) {
        self.data_rows += 1;
        if self.data_rows > self.options.max_rows {
            // Only counted from here on, for the error message.
            return;
        }
        let raw = cells.cell(self.phone).trim();
        let phone = match normalize(raw, self.options.country) {
            Ok(phone) => phone,
            Err(rejection) => {
                let reason = rejection.to_string();
                self.list.rejected.push(RejectedRow {
                    row,
                    raw: raw.to_owned(),
                    reason,
                });
                return;
            }
        };
        match self.first_rows.entry(dedup_key(&phone.e164)) {
            Entry::Occupied(first) => {
                let first_row = *first.get();
                self.list.duplicates.push(DuplicateRow {
                    row,
                    phone: phone.e164,
                    first_row,
                });
            }
            Entry::Vacant(slot) => {
                slot.insert(row);
                let variables = self.variables(cells);
                self.list.rows.push(NumberRow {
                    row,
                    phone,
                    variables,
                });
            }
        }
    }

    fn variables(&self, cells: &impl Cells) -> Vec<(String, String)> {
        let mut variables = Vec::with_capacity(self.list.columns.len());
        let width = self.headers.len().max(cells.count());
        for i in (0..width).filter(|&i| i != self.phone) {
            let value = cells.cell(i).trim();
            match self.headers.get(i).filter(|h| !h.is_empty()) {
                Some(header) => variables.push((header.clone(), value.to_owned())),
                None if !value.is_empty() => {
                    variables.push((format!("column {}", i + 1), value.to_owned()));
                }
                None => {}
            }
        }
        variables
    }

    /// The list, or [`ImportError::TooManyRows`].
    pub(crate) fn finish(self) -> Result<NumberList, ImportError> {
        if self.data_rows > self.options.max_rows {
            return Err(ImportError::TooManyRows {
                rows: self.data_rows,
                limit: self.options.max_rows,
            });
        }
        Ok(self.list)
    }
}

/// A collision-free integer key for an E.164 number (at most 15 digits after the `+`): the
/// digits' value times 16 plus their count, so leading zeros cannot make two numbers equal.
fn dedup_key(e164: &str) -> u64 {
    let digits = e164.trim_start_matches('+').as_bytes();
    let value = digits.iter().fold(0u64, |acc, &d| {
        acc.wrapping_mul(10)
            .wrapping_add(u64::from(d.wrapping_sub(b'0')))
    });
    value.wrapping_mul(16).wrapping_add(digits.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_is_deterministic_and_a_permutation() {
        let mut a: Vec<u32> = (0..1000).collect();
        let mut b = a.clone();
        shuffle(&mut a, 42);
        shuffle(&mut b, 42);
        assert_eq!(a, b);
        assert_ne!(a, (0..1000).collect::<Vec<_>>());
        let mut c: Vec<u32> = (0..1000).collect();
        shuffle(&mut c, 43);
        assert_ne!(a, c);
        a.sort_unstable();
        assert_eq!(a, (0..1000).collect::<Vec<_>>());
        shuffle(&mut [0u8; 0], 1);
        shuffle(&mut [7u8], 1);
    }

    #[test]
    fn shuffle_is_roughly_uniform() {
        // Where element 0 of 4 ends up over 40,000 shuffles: each place about 10,000 times.
        let mut counts = [0u32; 4];
        for seed in 0..40_000 {
            let mut items = [0u8, 1, 2, 3];
            shuffle(&mut items, seed);
            counts[items.iter().position(|&x| x == 0).unwrap()] += 1;
        }
        assert!(
            counts.iter().all(|&n| (9_500..=10_500).contains(&n)),
            "{counts:?}"
        );
    }

    #[test]
    fn dedup_keys_differ_for_different_numbers() {
        assert_eq!(dedup_key("+8613800138000"), dedup_key("+8613800138000"));
        assert_ne!(dedup_key("+8613800138000"), dedup_key("+8613800138001"));
        assert_ne!(dedup_key("+861"), dedup_key("+8610"));
        assert_ne!(dedup_key("+999999999999999"), dedup_key("+99999999999999"));
    }

    #[test]
    fn format_from_path() {
        assert_eq!(Format::from_path(Path::new("a/b.CSV")), Ok(Format::Csv));
        assert_eq!(Format::from_path(Path::new("list.xlsx")), Ok(Format::Xlsx));
        let err = Format::from_path(Path::new("old.xls")).unwrap_err();
        assert!(
            err.to_string().contains("save an .xls workbook as .xlsx"),
            "{err}"
        );
        assert!(Format::from_path(Path::new("noext")).is_err());
    }
}
