//! XLSX import: workbooks written here with rust_xlsxwriter, plus one built by hand to control
//! how a number is stored.

use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};
use voxgate_numbers::{Format, ImportError, ImportOptions, NumberList, import};

fn options() -> ImportOptions {
    ImportOptions {
        format: Format::Xlsx,
        ..ImportOptions::default()
    }
}

fn xlsx(workbook: &mut Workbook) -> Vec<u8> {
    workbook.save_to_buffer().unwrap()
}

fn vars(list: &NumberList, index: usize) -> Vec<(&str, &str)> {
    list.rows[index]
        .variables
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Header in row 1, then: a numeric mobile, a text mobile with spaces, a bad number, an empty
/// row, a duplicate stored as text, a landline, a date and an amount as variables.
fn sample() -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    for (col, header) in ["客户", "手机", "到期日", "金额"].iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    sheet.write_string(1, 0, "张三").unwrap();
    sheet.write_number(1, 1, 13_800_138_000.0).unwrap();
    let due = ExcelDateTime::from_ymd(2024, 3, 1).unwrap();
    sheet.write_datetime_with_format(1, 2, &due, &date).unwrap();
    sheet.write_number(1, 3, 1200.0).unwrap();
    sheet.write_string(2, 0, "李四").unwrap();
    sheet.write_string(2, 1, "139 0013 9000").unwrap();
    sheet.write_number(2, 3, 99.5).unwrap();
    sheet.write_string(3, 0, "王五").unwrap();
    sheet.write_number(3, 1, 1_380_013_800.0).unwrap();
    // Row 5 (index 4) stays empty; row 6 only has a formatted but empty cell.
    sheet.write_blank(5, 0, &date).unwrap();
    sheet.write_string(6, 0, "赵六").unwrap();
    sheet.write_string(6, 1, "+86 13800138000").unwrap();
    sheet.write_string(7, 0, "钱七").unwrap();
    sheet.write_string(7, 1, "010-6552 9988").unwrap();
    xlsx(&mut workbook)
}

#[test]
fn rows_rejections_duplicates_and_rendered_cells() {
    let list = import(&sample(), &options()).unwrap();
    assert_eq!(list.phone_column, "手机");
    assert_eq!(list.columns, ["客户", "到期日", "金额"]);
    let rows: Vec<(usize, &str)> = list
        .rows
        .iter()
        .map(|r| (r.row, r.phone.national.as_str()))
        .collect();
    assert_eq!(
        rows,
        [(2, "13800138000"), (3, "13900139000"), (8, "01065529988")]
    );
    assert_eq!(
        vars(&list, 0),
        [("客户", "张三"), ("到期日", "2024-03-01"), ("金额", "1200")]
    );
    assert_eq!(
        vars(&list, 1),
        [("客户", "李四"), ("到期日", ""), ("金额", "99.5")]
    );
    assert_eq!(list.rejected.len(), 1);
    assert_eq!(list.rejected[0].row, 4);
    assert_eq!(list.rejected[0].raw, "1380013800");
    assert_eq!(
        list.rejected[0].reason,
        "`1380013800` has 10 digits: a mobile number has 11"
    );
    assert_eq!(list.duplicates.len(), 1);
    assert_eq!(
        (list.duplicates[0].row, list.duplicates[0].first_row),
        (7, 2)
    );
}

#[test]
fn named_sheet_first_sheet_and_missing_sheet() {
    let mut workbook = Workbook::new();
    let first = workbook.add_worksheet();
    first.set_name("说明").unwrap();
    first.write_string(0, 0, "phone").unwrap();
    first.write_string(1, 0, "13800138000").unwrap();
    let second = workbook.add_worksheet();
    second.set_name("Numbers").unwrap();
    second.write_string(2, 1, "mobile").unwrap();
    second.write_number(3, 1, 13_900_139_000.0).unwrap();
    let bytes = xlsx(&mut workbook);

    let default = import(&bytes, &options()).unwrap();
    assert_eq!(default.rows[0].phone.national, "13800138000");

    let named = ImportOptions {
        sheet: Some("numbers".into()),
        ..options()
    };
    let list = import(&bytes, &named).unwrap();
    // The header is the first non-empty row (row 3); rows keep their spreadsheet numbers.
    assert_eq!(
        (list.rows[0].row, list.rows[0].phone.national.as_str()),
        (4, "13900139000")
    );

    let missing = ImportOptions {
        sheet: Some("Sheet9".into()),
        ..options()
    };
    let err = import(&bytes, &missing).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the workbook has no sheet named `Sheet9`: its sheets are `说明`, `Numbers`"
    );
}

#[test]
fn missing_phone_column_and_empty_sheet() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "name").unwrap();
    sheet.write_string(0, 1, "city").unwrap();
    let err = import(&xlsx(&mut workbook), &options()).unwrap_err();
    assert_eq!(
        err,
        ImportError::PhoneColumnNotFound {
            wanted: None,
            found: vec!["name".into(), "city".into()]
        }
    );
    let mut empty = Workbook::new();
    empty.add_worksheet();
    assert_eq!(
        import(&xlsx(&mut empty), &options()),
        Err(ImportError::NoHeader)
    );
}

#[test]
fn max_rows_limit() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "phone").unwrap();
    for i in 1..=5u32 {
        sheet
            .write_number(i, 0, 13_800_138_000.0 + f64::from(i))
            .unwrap();
    }
    let bytes = xlsx(&mut workbook);
    let limited = ImportOptions {
        max_rows: 4,
        ..options()
    };
    assert_eq!(
        import(&bytes, &limited),
        Err(ImportError::TooManyRows { rows: 5, limit: 4 })
    );
    assert_eq!(
        import(
            &bytes,
            &ImportOptions {
                max_rows: 5,
                ..options()
            }
        )
        .unwrap()
        .rows
        .len(),
        5
    );
}

#[test]
fn bytes_that_are_no_workbook() {
    let csv = import(b"phone\n13800138000\n", &options()).unwrap_err();
    assert!(csv.to_string().contains("no ZIP signature"), "{csv}");
    let xls = import(b"\xD0\xCF\x11\xE0\xA1\xB1", &options()).unwrap_err();
    assert!(xls.to_string().contains("save it as .xlsx"), "{xls}");
    let broken = import(b"PK\x03\x04 not really a zip", &options()).unwrap_err();
    assert!(
        matches!(
            broken,
            ImportError::Unreadable {
                format: Format::Xlsx,
                ..
            }
        ),
        "{broken}"
    );
}

#[test]
fn numbers_stored_in_scientific_notation() {
    let sheet = r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c><c r="B1" t="inlineStr"><is><t>id</t></is></c></row>
<row r="2"><c r="A2"><v>1.38001380E10</v></c><c r="B2"><v>7</v></c></row>
<row r="3"><c r="A3"><v>1.3900139E+10</v></c><c r="B3"><v>8.0</v></c></row>
</sheetData></worksheet>"#;
    let list = import(&raw_xlsx(sheet), &options()).unwrap();
    let national: Vec<&str> = list
        .rows
        .iter()
        .map(|r| r.phone.national.as_str())
        .collect();
    assert_eq!(national, ["13800138000", "13900139000"]);
    assert_eq!(vars(&list, 0), [("id", "7")]);
    assert_eq!(vars(&list, 1), [("id", "8")]);
}

/// An XLSX with one sheet whose XML is given, in a ZIP with stored (uncompressed) entries.
fn raw_xlsx(sheet_xml: &str) -> Vec<u8> {
    const MAIN: &str = "http://schemas.openxmlformats.org";
    let parts = [
        (
            "[Content_Types].xml",
            format!(
                r#"<Types xmlns="{MAIN}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#
            ),
        ),
        (
            "_rels/.rels",
            format!(
                r#"<Relationships xmlns="{MAIN}/package/2006/relationships"><Relationship Id="rId1" Type="{MAIN}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"<workbook xmlns="{MAIN}/spreadsheetml/2006/main" xmlns:r="{MAIN}/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<Relationships xmlns="{MAIN}/package/2006/relationships"><Relationship Id="rId1" Type="{MAIN}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
            ),
        ),
        ("xl/worksheets/sheet1.xml", sheet_xml.to_owned()),
    ];
    stored_zip(parts.iter().map(|(name, data)| (*name, data.as_bytes())))
}

fn stored_zip<'a>(files: impl Iterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let (mut out, mut central, mut count) = (Vec::new(), Vec::new(), 0u16);
    for (name, data) in files {
        let offset = out.len() as u32;
        let (crc, size, name_len) = (crc32(data), data.len() as u32, name.len() as u16);
        // version 20, no flags, stored, time and date 0, crc, sizes, name length, no extra field.
        let common = |buf: &mut Vec<u8>| {
            for field in [20u16, 0, 0, 0, 0x21] {
                buf.extend_from_slice(&field.to_le_bytes());
            }
            for field in [crc, size, size] {
                buf.extend_from_slice(&field.to_le_bytes());
            }
            buf.extend_from_slice(&name_len.to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        common(&mut central);
        // comment length, disk, internal and external attributes, local header offset.
        for field in [0u16, 0, 0] {
            central.extend_from_slice(&field.to_le_bytes());
        }
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
        count += 1;
    }
    let central_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for field in [0u16, 0, count, count] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}
