//! XLSX number lists through calamine, streamed cell by cell: numbers are written without a
//! trailing `.0`, dates in ISO 8601.

use super::{Cells, Format, ImportError, ImportOptions, ListBuilder, NumberList};
use calamine::{DataRef, ExcelDateTime, Reader, SheetType, Xlsx};
use std::fmt::Write;
use std::io::Cursor;

/// Columns in a worksheet (A to XFD): a cell beyond is a corrupt file.
const MAX_COLUMNS: usize = 16_384;

/// The cells of the row being read, reused from row to row so a row allocates nothing once the
/// strings have grown.
#[derive(Default)]
struct RowBuffer {
    cells: Vec<String>,
    len: usize,
}

impl RowBuffer {
    fn clear(&mut self) {
        self.cells[..self.len].iter_mut().for_each(String::clear);
        self.len = 0;
    }

    fn slot(&mut self, column: usize) -> &mut String {
        if column >= self.cells.len() {
            self.cells.resize_with(column + 1, String::new);
        }
        self.len = self.len.max(column + 1);
        &mut self.cells[column]
    }
}

impl Cells for RowBuffer {
    fn count(&self) -> usize {
        self.len
    }

    fn cell(&self, index: usize) -> &str {
        if index < self.len {
            &self.cells[index]
        } else {
            ""
        }
    }
}

fn unreadable(err: impl std::fmt::Display) -> ImportError {
    ImportError::Unreadable {
        format: Format::Xlsx,
        reason: err.to_string(),
    }
}

/// Reads an XLSX number list from the chosen sheet.
pub(super) fn read(bytes: &[u8], options: &ImportOptions) -> Result<NumberList, ImportError> {
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(unreadable(
            "this is a legacy .xls workbook: save it as .xlsx",
        ));
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(unreadable(
            "not an XLSX workbook (no ZIP signature): a CSV file?",
        ));
    }
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let sheet = choose_sheet(&workbook, options.sheet.as_deref())?;
    let mut reader = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(unreadable)?;
    // Rows the sheet claims to span: a capacity hint only (capped by the builder).
    let dimensions = reader.dimensions();
    let claimed_rows = dimensions.end.0.saturating_sub(dimensions.start.0) as usize;
    let mut row = RowBuffer::default();
    let mut current: Option<u32> = None;
    let mut builder: Option<ListBuilder<'_>> = None;
    let mut flush = |row_index: u32, row: &RowBuffer| -> Result<(), ImportError> {
        if row.is_blank() {
            return Ok(());
        }
        match &mut builder {
            None => builder = Some(ListBuilder::new(row, options, claimed_rows)?),
            Some(builder) => builder.push(row_index as usize + 1, row),
        }
        Ok(())
    };
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        let (row_index, column) = cell.get_position();
        if current != Some(row_index) {
            if let Some(done) = current {
                flush(done, &row)?;
                row.clear();
            }
            current = Some(row_index);
        }
        let column = column as usize;
        if column >= MAX_COLUMNS {
            return Err(unreadable(format!(
                "a cell in column {} is past column XFD",
                column + 1
            )));
        }
        render(cell.get_value(), row.slot(column));
    }
    if let Some(done) = current {
        flush(done, &row)?;
    }
    builder.ok_or(ImportError::NoHeader)?.finish()
}

fn choose_sheet<R: std::io::Read + std::io::Seek>(
    workbook: &Xlsx<R>,
    wanted: Option<&str>,
) -> Result<String, ImportError> {
    let sheets = workbook.sheets_metadata();
    let Some(wanted) = wanted else {
        return sheets
            .iter()
            .find(|s| s.typ == SheetType::WorkSheet)
            .map(|s| s.name.clone())
            .ok_or(ImportError::NoWorksheet);
    };
    let wanted = wanted.trim();
    sheets
        .iter()
        .find(|s| s.name == wanted)
        .or_else(|| {
            sheets
                .iter()
                .find(|s| s.name.trim().to_lowercase() == wanted.to_lowercase())
        })
        .map(|s| s.name.clone())
        .ok_or_else(|| ImportError::SheetNotFound {
            name: wanted.to_owned(),
            available: sheets.iter().map(|s| s.name.clone()).collect(),
        })
}

/// Writes a cell's text into `out` (empty): whole numbers without `.0`, dates as ISO 8601,
/// booleans and errors as a spreadsheet shows them.
fn render(value: &DataRef<'_>, out: &mut String) {
    // Writing to a String cannot fail.
    let _ = match value {
        DataRef::Empty => Ok(()),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            out.push_str(s);
            Ok(())
        }
        DataRef::SharedString(s) => {
            out.push_str(s);
            Ok(())
        }
        DataRef::Int(i) => write!(out, "{i}"),
        // Whole numbers below 10^15 are exact in an f64 and print as integers.
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => write!(out, "{}", *f as i64),
        DataRef::Float(f) => write!(out, "{f}"),
        DataRef::Bool(b) => {
            out.push_str(if *b { "TRUE" } else { "FALSE" });
            Ok(())
        }
        DataRef::DateTime(dt) => render_datetime(dt, out),
        DataRef::Error(e) => write!(out, "{e}"),
    };
}

fn render_datetime(dt: &ExcelDateTime, out: &mut String) -> std::fmt::Result {
    let serial = dt.as_f64();
    if dt.is_duration() || (0.0..1.0).contains(&serial) {
        // A duration or a time of day: [h]:mm:ss.
        let seconds = (serial * 86_400.0).round() as i64;
        let sign = if seconds < 0 { "-" } else { "" };
        let seconds = seconds.unsigned_abs();
        return write!(
            out,
            "{sign}{}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        );
    }
    let (year, month, day, hour, minute, second, milli) = dt.to_ymd_hms_milli();
    write!(out, "{year:04}-{month:02}-{day:02}")?;
    if (hour, minute, second, milli) != (0, 0, 0, 0) {
        write!(out, "T{hour:02}:{minute:02}:{second:02}")?;
        if milli != 0 {
            write!(out, ".{milli:03}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTimeType};

    fn text(value: DataRef<'_>) -> String {
        let mut out = String::new();
        render(&value, &mut out);
        out
    }

    #[test]
    fn numbers_render_without_a_trailing_zero() {
        assert_eq!(text(DataRef::Float(13_800_138_000.0)), "13800138000");
        assert_eq!(text(DataRef::Float(1.380_013_8e10)), "13800138000");
        assert_eq!(text(DataRef::Float(2.5)), "2.5");
        assert_eq!(text(DataRef::Float(-3.0)), "-3");
        assert_eq!(text(DataRef::Float(1e20)), "100000000000000000000");
        assert_eq!(text(DataRef::Int(42)), "42");
    }

    #[test]
    fn dates_render_as_iso() {
        let at = |serial| {
            DataRef::DateTime(ExcelDateTime::new(
                serial,
                ExcelDateTimeType::DateTime,
                false,
            ))
        };
        assert_eq!(text(at(45_352.0)), "2024-03-01");
        assert_eq!(text(at(45_352.5)), "2024-03-01T12:00:00");
        assert_eq!(text(at(0.75)), "18:00:00");
        let duration = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(text(DataRef::DateTime(duration)), "36:00:00");
    }

    #[test]
    fn other_cells_render_as_a_spreadsheet_shows_them() {
        assert_eq!(text(DataRef::Bool(true)), "TRUE");
        assert_eq!(text(DataRef::Error(CellErrorType::NA)), "#N/A");
        assert_eq!(text(DataRef::SharedString("张三")), "张三");
        assert_eq!(text(DataRef::Empty), "");
    }

    #[test]
    fn row_buffer_reuses_cells() {
        let mut row = RowBuffer::default();
        row.slot(2).push('x');
        assert_eq!(
            (row.count(), row.cell(0), row.cell(2), row.cell(9)),
            (3, "", "x", "")
        );
        row.clear();
        assert_eq!(row.count(), 0);
        assert!(row.is_blank());
        row.slot(0).push('y');
        assert_eq!((row.count(), row.cell(0), row.cell(2)), (1, "y", ""));
    }
}
