//! Region lookup by number prefix, from an operator-provided CSV table `prefix,region[,carrier]`:
//! the longest prefix of a national number wins.

use crate::import::csv_source::start_line;
use std::collections::HashMap;

/// Where a number is registered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Region {
    /// Region name, e.g. `北京`.
    pub name: String,
    /// Carrier, when the table has a third column with a value.
    pub carrier: Option<String>,
}

/// A prefix table loaded from CSV.
#[derive(Debug, Clone, Default)]
pub struct RegionTable {
    regions: HashMap<String, Region>,
    /// Length of the longest prefix, so a lookup tries no more than that.
    longest: usize,
}

/// A problem in a region table, with the place it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegionError {
    /// The text has no header line.
    #[error(
        "{origin}: the table is empty: expected a header line `prefix,region` (or `prefix,region,carrier`)"
    )]
    Empty {
        /// File name or other origin given to [`RegionTable::parse`].
        origin: String,
    },
    /// The first line is not the expected header.
    #[error(
        "{origin}:{line}: the header is `{found}`: expected `prefix,region` or `prefix,region,carrier`"
    )]
    BadHeader {
        /// Origin given to [`RegionTable::parse`].
        origin: String,
        /// Line number (from 1).
        line: u64,
        /// The header as found.
        found: String,
    },
    /// A row that does not fit the table's columns.
    #[error("{origin}:{line}: {problem}")]
    BadRow {
        /// Origin given to [`RegionTable::parse`].
        origin: String,
        /// Line number (from 1).
        line: u64,
        /// What is wrong and what was expected.
        problem: String,
    },
    /// A prefix listed twice.
    #[error(
        "{origin}:{line}: prefix `{prefix}` is already on line {first_line}: each prefix may appear once"
    )]
    DuplicatePrefix {
        /// Origin given to [`RegionTable::parse`].
        origin: String,
        /// Line number of the repeat.
        line: u64,
        /// The prefix.
        prefix: String,
        /// Line of its first occurrence.
        first_line: u64,
    },
}

/// Longest prefix accepted: a national number has at most 12 digits.
const MAX_PREFIX: usize = 12;

impl RegionTable {
    /// Parses a table. `origin` (usually the file name) starts every error message, as
    /// `origin:line: problem`. The header is `prefix,region` with an optional `carrier` column;
    /// blank lines are skipped; a UTF-8 byte-order mark is allowed.
    pub fn parse(text: &str, origin: &str) -> Result<RegionTable, RegionError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let bad_row = |line: u64, problem: String| RegionError::BadRow {
            origin: origin.to_owned(),
            line,
            problem,
        };
        let mut table = RegionTable::default();
        let mut first_lines: HashMap<String, u64> = HashMap::new();
        let mut header_seen = false;
        let mut with_carrier = false;
        for record in reader.records() {
            let record = record.map_err(|err| {
                let line = err.position().map_or(0, csv::Position::line);
                bad_row(line, format!("not readable as CSV: {err}"))
            })?;
            let line = start_line(text.as_bytes(), record.position());
            let fields: Vec<&str> = record.iter().map(str::trim).collect();
            if fields.iter().all(|f| f.is_empty()) {
                continue;
            }
            if !header_seen {
                let names: Vec<String> = fields.iter().map(|f| f.to_lowercase()).collect();
                with_carrier = match names.as_slice() {
                    [p, r] if p == "prefix" && r == "region" => false,
                    [p, r, c] if p == "prefix" && r == "region" && c == "carrier" => true,
                    _ => {
                        let found = record.iter().collect::<Vec<_>>().join(",");
                        return Err(RegionError::BadHeader {
                            origin: origin.to_owned(),
                            line,
                            found,
                        });
                    }
                };
                header_seen = true;
                continue;
            }
            let width = if with_carrier { 3 } else { 2 };
            if fields.len() > width {
                let columns = if with_carrier {
                    "prefix,region,carrier"
                } else {
                    "prefix,region"
                };
                return Err(bad_row(
                    line,
                    format!("{} fields: expected {columns}", fields.len()),
                ));
            }
            let prefix = fields[0];
            if prefix.is_empty()
                || prefix.len() > MAX_PREFIX
                || !prefix.bytes().all(|b| b.is_ascii_digit())
            {
                let problem = format!(
                    "prefix `{prefix}`: expected 1-{MAX_PREFIX} digits of a national number, e.g. 1380013 or 010"
                );
                return Err(bad_row(line, problem));
            }
            let name = fields.get(1).copied().unwrap_or_default();
            if name.is_empty() {
                return Err(bad_row(
                    line,
                    format!("prefix `{prefix}` has no region name"),
                ));
            }
            let carrier = fields
                .get(2)
                .filter(|c| !c.is_empty())
                .map(|c| (*c).to_owned());
            if let Some(&first_line) = first_lines.get(prefix) {
                return Err(RegionError::DuplicatePrefix {
                    origin: origin.to_owned(),
                    line,
                    prefix: prefix.to_owned(),
                    first_line,
                });
            }
            first_lines.insert(prefix.to_owned(), line);
            table.longest = table.longest.max(prefix.len());
            table.regions.insert(
                prefix.to_owned(),
                Region {
                    name: name.to_owned(),
                    carrier,
                },
            );
        }
        if !header_seen {
            return Err(RegionError::Empty {
                origin: origin.to_owned(),
            });
        }
        Ok(table)
    }

    /// The region of the longest prefix of `national` (a national number such as `13800138000`
    /// or `01065529988`, as in [`PhoneNumber::national`](crate::PhoneNumber::national)).
    pub fn lookup(&self, national: &str) -> Option<&Region> {
        let longest = self.longest.min(national.len());
        (1..=longest)
            .rev()
            .filter_map(|len| national.get(..len))
            .find_map(|prefix| self.regions.get(prefix))
    }

    /// Number of prefixes in the table.
    pub fn len(&self) -> usize {
        self.regions.len()
    }

    /// True when the table has no prefix.
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str =
        "prefix,region,carrier\n1380013,北京,中国移动\n138,全国,\n010,北京\n021,上海,\n";

    #[test]
    fn longest_prefix_wins() {
        let table = RegionTable::parse(TABLE, "t.csv").unwrap();
        assert_eq!(table.len(), 4);
        let beijing = table.lookup("13800138000").unwrap();
        assert_eq!(
            (beijing.name.as_str(), beijing.carrier.as_deref()),
            ("北京", Some("中国移动"))
        );
        let broad = table.lookup("13899990000").unwrap();
        assert_eq!(
            (broad.name.as_str(), broad.carrier.as_deref()),
            ("全国", None)
        );
        assert_eq!(table.lookup("01065529988").unwrap().name, "北京");
        assert_eq!(table.lookup("02163210000").unwrap().name, "上海");
        assert_eq!(table.lookup("13"), None);
        assert_eq!(table.lookup("0755"), None);
        assert_eq!(table.lookup(""), None);
        assert_eq!(table.lookup("北京"), None);
    }

    #[test]
    fn two_column_table_and_bom() {
        let table = RegionTable::parse("\u{feff}Prefix,Region\n\n0571,杭州\n", "x").unwrap();
        assert_eq!(table.lookup("057187654321").unwrap().name, "杭州");
    }

    #[test]
    fn errors_name_the_line_and_what_is_expected() {
        let err = |text: &str| {
            RegionTable::parse(text, "regions.csv")
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(""),
            "regions.csv: the table is empty: expected a header line `prefix,region` (or `prefix,region,carrier`)"
        );
        assert!(err("code,city\n").starts_with("regions.csv:1: the header is `code,city`"));
        let bad_prefix = err("prefix,region\n010,北京\n01a,x\n");
        assert!(
            bad_prefix.starts_with("regions.csv:3: prefix `01a`: expected 1-12 digits"),
            "{bad_prefix}"
        );
        assert!(
            err("prefix,region\n010,\n").contains("regions.csv:2: prefix `010` has no region name")
        );
        assert!(
            err("prefix,region\n010,北京,移动\n")
                .contains("regions.csv:2: 3 fields: expected prefix,region")
        );
        assert_eq!(
            err("prefix,region\n010,北京\n\n010,上海\n"),
            "regions.csv:4: prefix `010` is already on line 2: each prefix may appear once"
        );
    }
}
