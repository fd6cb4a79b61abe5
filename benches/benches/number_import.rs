//! Number list import: a 10,000-row CSV and XLSX generated in memory (phone, name and amount
//! columns; 1% bad numbers, a few duplicates, mixed spellings), reported in rows per second; and
//! `normalize` per number for the common spellings.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rust_xlsxwriter::Workbook;
use voxgate_numbers::{Country, Format, ImportOptions, import, normalize};

const ROWS: usize = 10_000;

/// The phone cell of data row `i`: 1% too short, every 250th a repeat, four spellings.
fn phone(i: usize) -> String {
    if i % 100 == 37 {
        return format!("{}", 1_000_000 + i);
    }
    let n = if i % 250 == 11 { i - 11 } else { i };
    let digits = format!("13{n:09}");
    match i % 4 {
        0 => digits,
        1 => format!("{} {} {}", &digits[..3], &digits[3..7], &digits[7..]),
        2 => format!("+86{digits}"),
        _ => format!("{}-{}-{}", &digits[..3], &digits[3..7], &digits[7..]),
    }
}

fn csv_list() -> Vec<u8> {
    let mut out = String::from("phone,name,amount\n");
    for i in 0..ROWS {
        out.push_str(&format!("{},客户{i},{}\n", phone(i), i % 1000));
    }
    out.into_bytes()
}

fn xlsx_list() -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, header) in ["phone", "name", "amount"].into_iter().enumerate() {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    for i in 0..ROWS {
        let row = i as u32 + 1;
        // Every other mobile as a numeric cell, as spreadsheets store typed-in numbers.
        if i % 2 == 0 && i % 100 != 37 {
            let digits: String = phone(i).chars().filter(char::is_ascii_digit).collect();
            sheet
                .write_number(row, 0, digits.parse::<f64>().unwrap())
                .unwrap();
        } else {
            sheet.write_string(row, 0, phone(i)).unwrap();
        }
        sheet.write_string(row, 1, format!("客户{i}")).unwrap();
        sheet.write_number(row, 2, (i % 1000) as f64).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

fn import_lists(c: &mut Criterion) {
    let mut group = c.benchmark_group("number_import");
    group.throughput(Throughput::Elements(ROWS as u64));
    for (name, format, bytes) in [
        ("csv_10k_rows", Format::Csv, csv_list()),
        ("xlsx_10k_rows", Format::Xlsx, xlsx_list()),
    ] {
        let options = ImportOptions {
            format,
            ..ImportOptions::default()
        };
        let list = import(&bytes, &options).unwrap();
        assert_eq!(
            list.rows.len() + list.rejected.len() + list.duplicates.len(),
            ROWS
        );
        group.bench_function(name, |b| {
            b.iter(|| black_box(import(black_box(&bytes), &options)))
        });
    }
    group.finish();
}

fn normalize_numbers(c: &mut Criterion) {
    let mut group = c.benchmark_group("normalize");
    group.throughput(Throughput::Elements(1));
    for (name, raw) in [
        ("mobile", "13800138000"),
        ("mobile_spaced_plus86", "+86 138 0013 8000"),
        ("landline_dashed", "010-6552 9988"),
        ("full_width", "１３８００１３８０００"),
        ("rejected_short", "1380013800"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(normalize(black_box(raw), Country::China)))
        });
    }
    group.finish();
}

criterion_group!(benches, import_lists, normalize_numbers);
criterion_main!(benches);
