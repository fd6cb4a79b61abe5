//! CSV number lists: UTF-8 (with or without a byte-order mark), delimiter `,`, `;` or tab as the
//! header line shows.

use super::{Cells, Format, ImportError, ImportOptions, ListBuilder, NumberList};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

impl Cells for csv::StringRecord {
    fn count(&self) -> usize {
        self.len()
    }

    fn cell(&self, index: usize) -> &str {
        self.get(index).unwrap_or_default()
    }
}

/// Reads a CSV number list.
pub(super) fn read(bytes: &[u8], options: &ImportOptions) -> Result<NumberList, ImportError> {
    refuse_other_formats(bytes)?;
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(bytes))
        .from_reader(bytes);
    let mut record = csv::StringRecord::new();
    let mut builder = None;
    // Line breaks inside quoted cells so far: the csv crate counts lines, a spreadsheet rows.
    let mut breaks_in_cells = 0u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => return Err(csv_error(bytes, &err)),
        }
        let line = start_line(bytes, record.position());
        let row = usize::try_from(line - breaks_in_cells).unwrap_or(usize::MAX);
        breaks_in_cells += record.as_slice().bytes().filter(|&b| b == b'\n').count() as u64;
        if record.is_blank() {
            continue;
        }
        match &mut builder {
            None => {
                // Lines after the header: an upper bound of the data rows, cheap to count.
                let rest = bytes.get(usize::try_from(reader.position().byte()).unwrap_or(0)..);
                let lines = rest
                    .unwrap_or_default()
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                builder = Some(ListBuilder::new(&record, options, lines + 1)?);
            }
            Some(builder) => builder.push(row, &record),
        }
    }
    builder.ok_or(ImportError::NoHeader)?.finish()
}

/// The line a record starts on. The csv crate gives the position where it started reading, before
/// the empty lines it skips: those are counted here from `input`, the bytes being read.
pub(crate) fn start_line(input: &[u8], position: Option<&csv::Position>) -> u64 {
    let Some(position) = position else { return 1 };
    let from = usize::try_from(position.byte()).unwrap_or(usize::MAX);
    let skipped = input.get(from..).unwrap_or_default();
    let empty_lines = skipped
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .filter(|&&b| b == b'\n')
        .count();
    position.line() + empty_lines as u64
}

/// Refuses bytes that are plainly a workbook or UTF-16 text, with a message that says so.
fn refuse_other_formats(bytes: &[u8]) -> Result<(), ImportError> {
    let reason = if bytes.starts_with(b"PK\x03\x04") {
        "this is an XLSX workbook (a ZIP file), not CSV text: import it as XLSX"
    } else if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        "this is a legacy Excel .xls workbook, not CSV text: save it as .xlsx or CSV UTF-8"
    } else if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        "this is UTF-16 text: save the file as CSV UTF-8"
    } else {
        return Ok(());
    };
    Err(ImportError::Unreadable {
        format: Format::Csv,
        reason: reason.to_owned(),
    })
}

/// The delimiter the header line uses most: `,`, `;` or tab (commas when tied or none).
fn delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in bytes {
        match b {
            b'\n' if !quoted => break,
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).rev().max_by_key(|&i| counts[i]).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

fn csv_error(input: &[u8], err: &csv::Error) -> ImportError {
    let line = start_line(input, err.position());
    match err.kind() {
        csv::ErrorKind::Utf8 { .. } => ImportError::NotUtf8 {
            row: usize::try_from(line).unwrap_or(usize::MAX),
        },
        _ => ImportError::Unreadable {
            format: Format::Csv,
            reason: format!("line {line}: {err}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_line_counts_the_empty_lines_skipped() {
        let input = b"phone\n\n\r\n138\n139";
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&input[..]);
        let lines: Vec<u64> = reader
            .records()
            .map(|r| start_line(input, r.unwrap().position()))
            .collect();
        assert_eq!(lines, [1, 4, 5]);
    }

    #[test]
    fn delimiter_follows_the_header_line() {
        assert_eq!(delimiter(b"phone,name\n1;2;3;4"), b',');
        assert_eq!(delimiter(b"phone;name;city\n1,2"), b';');
        assert_eq!(delimiter(b"phone\tname\n"), b'\t');
        assert_eq!(delimiter(b"\"a;b\",c\n"), b',');
        assert_eq!(delimiter(b"phone\n"), b',');
        assert_eq!(delimiter(b""), b',');
    }

    #[test]
    fn workbooks_and_utf16_are_refused_with_a_reason() {
        let err = refuse_other_formats(b"PK\x03\x04rest").unwrap_err();
        assert!(err.to_string().contains("import it as XLSX"), "{err}");
        assert!(refuse_other_formats(b"\xFF\xFEp\0").is_err());
        assert!(refuse_other_formats(b"\xD0\xCF\x11\xE0").is_err());
        assert!(refuse_other_formats(b"phone\n").is_ok());
    }
}
