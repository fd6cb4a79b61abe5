//! 250,000-row imports (the limit a campaign accepts) from CSV and XLSX generated here, with 1%
//! bad rows, 0.4% duplicates and a few empty rows: every count and a sample of row numbers are
//! checked exactly.

use rust_xlsxwriter::Workbook;
use voxgate_numbers::{Format, ImportError, ImportOptions, NumberList, import};

const ROWS: usize = 250_000;
/// Rows `i` with `i % 100 == BAD` hold a 7-digit number.
const BAD: usize = 37;
/// Rows `i` with `i % 250 == DUP` repeat the number of row `i - DUP`.
const DUP: usize = 11;
/// An empty row comes before every data row `i` that is a positive multiple of this.
const BLANK_EVERY: usize = 50_000;

const BAD_ROWS: usize = ROWS / 100;
const DUP_ROWS: usize = ROWS / 250;

enum Cell {
    Text(String),
    Number(f64),
}

/// The phone cell of data row `i` (0-based), in one of several spellings.
fn phone(i: usize) -> Cell {
    if i % 100 == BAD {
        return Cell::Text(format!("{}", 1_000_000 + i % 1000));
    }
    let n = if i % 250 == DUP { i - DUP } else { i };
    let digits = format!("13{n:09}");
    match i % 4 {
        0 => Cell::Number(13e9 + n as f64),
        1 => Cell::Text(format!(
            "{} {} {}",
            &digits[..3],
            &digits[3..7],
            &digits[7..]
        )),
        2 => Cell::Text(format!("+86{digits}")),
        _ => Cell::Text(digits),
    }
}

/// Spreadsheet row of data row `i`: the header is row 1, and the empty rows shift the rest.
fn row_of(i: usize) -> usize {
    i + 2 + i / BLANK_EVERY
}

fn csv_bytes() -> Vec<u8> {
    let mut out = String::with_capacity(ROWS * 40);
    out.push_str("phone,name,amount\n");
    for i in 0..ROWS {
        if i > 0 && i % BLANK_EVERY == 0 {
            out.push('\n');
        }
        match phone(i) {
            Cell::Text(text) => out.push_str(&text),
            Cell::Number(value) => out.push_str(&format!("{value}")),
        }
        out.push_str(&format!(",客户{i},{}\n", i % 1000));
    }
    out.into_bytes()
}

fn xlsx_bytes() -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, header) in ["phone", "name", "amount"].into_iter().enumerate() {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    for i in 0..ROWS {
        let row = (row_of(i) - 1) as u32;
        match phone(i) {
            Cell::Text(text) => sheet.write_string(row, 0, text).unwrap(),
            Cell::Number(value) => sheet.write_number(row, 0, value).unwrap(),
        };
        sheet.write_string(row, 1, format!("客户{i}")).unwrap();
        sheet.write_number(row, 2, (i % 1000) as f64).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

fn check(list: &NumberList) {
    assert_eq!(list.rows.len(), ROWS - BAD_ROWS - DUP_ROWS);
    assert_eq!(list.rejected.len(), BAD_ROWS);
    assert_eq!(list.duplicates.len(), DUP_ROWS);

    let first = &list.rows[0];
    assert_eq!(
        (first.row, first.phone.national.as_str()),
        (2, "13000000000")
    );
    let last = list.rows.last().unwrap();
    assert_eq!(
        (last.row, last.phone.e164.as_str()),
        (row_of(ROWS - 1), "+8613000249999")
    );
    let vars: Vec<(&str, &str)> = last
        .variables
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(vars, [("name", "客户249999"), ("amount", "999")]);

    for (k, rejected) in list.rejected.iter().enumerate() {
        assert_eq!(rejected.row, row_of(k * 100 + BAD));
    }
    assert_eq!(list.rejected[0].raw, "1000037");
    assert_eq!(
        list.rejected[0].reason,
        "`1000037` has 7 digits: a mobile number has 11"
    );

    for (k, duplicate) in list.duplicates.iter().enumerate() {
        let i = k * 250 + DUP;
        assert_eq!(
            (duplicate.row, duplicate.first_row),
            (row_of(i), row_of(i - DUP))
        );
    }
    assert_eq!(list.duplicates[1].phone, "+8613000000250");
    assert!(
        list.rows.windows(2).all(|pair| pair[0].row < pair[1].row),
        "rows stay in file order"
    );
}

#[test]
fn csv_of_250_000_rows() {
    let bytes = csv_bytes();
    check(&import(&bytes, &ImportOptions::default()).unwrap());
    let options = ImportOptions {
        max_rows: ROWS - 1,
        ..ImportOptions::default()
    };
    let err = import(&bytes, &options).unwrap_err();
    assert_eq!(
        err,
        ImportError::TooManyRows {
            rows: ROWS,
            limit: ROWS - 1
        }
    );
}

#[test]
fn xlsx_of_250_000_rows() {
    let options = ImportOptions {
        format: Format::Xlsx,
        ..ImportOptions::default()
    };
    check(&import(&xlsx_bytes(), &options).unwrap());
}
