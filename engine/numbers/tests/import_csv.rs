//! CSV import: rows, rejections, duplicates and whole-file errors.

use voxgate_numbers::{Country, Format, ImportError, ImportOptions, Kind, NumberList, import};

fn csv(text: &str) -> Result<NumberList, ImportError> {
    import(text.as_bytes(), &ImportOptions::default())
}

fn vars(list: &NumberList, index: usize) -> Vec<(&str, &str)> {
    list.rows[index]
        .variables
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[test]
fn good_bad_and_duplicate_rows_with_spreadsheet_row_numbers() {
    let list = csv("name,Phone,city\n\
         张三,138 0013 8000,北京\n\
         李四,1380013800,上海\n\
         王五,+86 138-0013-8000,广州\n\
         赵六,010-6552 9988,\n\
         钱七,,深圳\n\
         孙八,abc,杭州\n\
         周九,0086 10 65529988,成都\n")
    .unwrap();
    assert_eq!(list.phone_column, "Phone");
    assert_eq!(list.columns, ["name", "city"]);
    let rows: Vec<(usize, &str, Kind)> = list
        .rows
        .iter()
        .map(|r| (r.row, r.phone.national.as_str(), r.phone.kind))
        .collect();
    assert_eq!(
        rows,
        [
            (2, "13800138000", Kind::Mobile),
            (5, "01065529988", Kind::Landline)
        ]
    );
    assert_eq!(vars(&list, 0), [("name", "张三"), ("city", "北京")]);
    assert_eq!(vars(&list, 1), [("name", "赵六"), ("city", "")]);

    let rejected: Vec<(usize, &str)> = list
        .rejected
        .iter()
        .map(|r| (r.row, r.raw.as_str()))
        .collect();
    assert_eq!(rejected, [(3, "1380013800"), (6, ""), (7, "abc")]);
    assert_eq!(
        list.rejected[0].reason,
        "`1380013800` has 10 digits: a mobile number has 11"
    );
    assert!(
        list.rejected[1].reason.starts_with("the number is empty"),
        "{}",
        list.rejected[1].reason
    );
    assert!(list.rejected[2].reason.contains("contains `a`"));

    let duplicates: Vec<(usize, &str, usize)> = list
        .duplicates
        .iter()
        .map(|d| (d.row, d.phone.as_str(), d.first_row))
        .collect();
    assert_eq!(
        duplicates,
        [(4, "+8613800138000", 2), (8, "+861065529988", 5)]
    );
}

#[test]
fn bom_crlf_and_semicolons() {
    let list = csv("\u{feff}手机号;姓名\r\n13800138000;张三\r\n13900139000;李四\r\n").unwrap();
    assert_eq!(list.phone_column, "手机号");
    assert_eq!(list.rows.len(), 2);
    assert_eq!(vars(&list, 1), [("姓名", "李四")]);
    assert_eq!(list.rows[1].row, 3);
}

#[test]
fn tabs_and_quoted_cells() {
    let list = csv("tel\tnote\n13800138000\t\"a; b, c\"\n").unwrap();
    assert_eq!(vars(&list, 0), [("note", "a; b, c")]);
    let quoted = csv("\"note, long\",mobile\n\"line one\nline two\",13800138000\nx,bad\n").unwrap();
    assert_eq!(quoted.columns, ["note, long"]);
    assert_eq!(vars(&quoted, 0), [("note, long", "line one\nline two")]);
    // The quoted line break keeps the cell in one spreadsheet row: the next row is row 3.
    assert_eq!((quoted.rows[0].row, quoted.rejected[0].row), (2, 3));
}

#[test]
fn empty_rows_are_skipped_not_rejected() {
    let list = csv("\n\nphone,name\n\n13800138000,a\n,\n  ,  \n\n13900139000,b\n").unwrap();
    assert!(list.rejected.is_empty(), "{:?}", list.rejected);
    let rows: Vec<usize> = list.rows.iter().map(|r| r.row).collect();
    assert_eq!(rows, [5, 9]);
}

#[test]
fn unnamed_and_extra_columns_become_numbered_variables() {
    let list = csv("phone,,name\n13800138000,x,a,extra,\n13900139000,,b\n").unwrap();
    assert_eq!(list.columns, ["name"]);
    assert_eq!(
        vars(&list, 0),
        [("column 2", "x"), ("name", "a"), ("column 4", "extra")]
    );
    assert_eq!(vars(&list, 1), [("name", "b")]);
}

#[test]
fn phone_column_by_name_and_by_default() {
    let text = "number,backup\n13800138000,13900139000\n";
    let default = csv(text).unwrap();
    assert_eq!(default.rows[0].phone.national, "13800138000");
    let options = ImportOptions {
        phone_column: Some("BACKUP".into()),
        ..ImportOptions::default()
    };
    let chosen = import(text.as_bytes(), &options).unwrap();
    assert_eq!(chosen.phone_column, "backup");
    assert_eq!(chosen.rows[0].phone.national, "13900139000");
    assert_eq!(vars(&chosen, 0), [("number", "13800138000")]);
}

#[test]
fn missing_phone_column_lists_the_headers() {
    let err = csv("name,city\nx,y\n").unwrap_err();
    assert_eq!(
        err,
        ImportError::PhoneColumnNotFound {
            wanted: None,
            found: vec!["name".into(), "city".into()]
        }
    );
    let message = err.to_string();
    assert!(
        message.contains("the headers are `name`, `city`"),
        "{message}"
    );
    assert!(
        message.contains("phone/mobile/number/tel/手机/手机号/电话/号码"),
        "{message}"
    );
    let options = ImportOptions {
        phone_column: Some("cell".into()),
        ..ImportOptions::default()
    };
    let named = import(b"phone,name\n", &options).unwrap_err();
    assert_eq!(
        named.to_string(),
        "no column is named `cell`: the headers are `phone`, `name`"
    );
}

#[test]
fn max_rows_counts_every_data_row_and_says_how_many() {
    let mut text = String::from("phone\n");
    for i in 0..12 {
        text.push_str(&format!("1380013{i:04}\n\n"));
    }
    let options = ImportOptions {
        max_rows: 12,
        ..ImportOptions::default()
    };
    assert_eq!(import(text.as_bytes(), &options).unwrap().rows.len(), 12);
    let options = ImportOptions {
        max_rows: 10,
        ..ImportOptions::default()
    };
    let err = import(text.as_bytes(), &options).unwrap_err();
    assert_eq!(
        err,
        ImportError::TooManyRows {
            rows: 12,
            limit: 10
        }
    );
    assert_eq!(
        err.to_string(),
        "the file has 12 rows of numbers, more than the limit of 10: split it into several files"
    );
}

#[test]
fn whole_file_errors() {
    assert_eq!(csv(""), Err(ImportError::NoHeader));
    assert_eq!(csv("\n , \n"), Err(ImportError::NoHeader));
    let gbk = b"phone,name\n13800138000,\xD5\xC5\xC8\xFD\n";
    let err = import(gbk, &ImportOptions::default()).unwrap_err();
    assert_eq!(err, ImportError::NotUtf8 { row: 2 });
    assert!(err.to_string().contains("save the file as UTF-8"));
    let err = import(b"PK\x03\x04\x14\x00", &ImportOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::Unreadable {
                format: Format::Csv,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn header_only_gives_an_empty_list() {
    let list = csv("phone,name\n").unwrap();
    assert_eq!(list.columns, ["name"]);
    assert!(list.rows.is_empty() && list.rejected.is_empty() && list.duplicates.is_empty());
}

#[test]
fn country_applies_to_numbers_without_prefix() {
    let options = ImportOptions {
        country: Country::Other(44),
        ..ImportOptions::default()
    };
    let list = import(b"phone\n07700 900123\n+86 13800138000\n", &options).unwrap();
    let e164: Vec<&str> = list.rows.iter().map(|r| r.phone.e164.as_str()).collect();
    assert_eq!(e164, ["+447700900123", "+8613800138000"]);
}

#[test]
fn scientific_notation_from_a_spreadsheet_export() {
    let list = csv("phone\n1.38001380E10\n1.38E+10\n").unwrap();
    assert_eq!(list.rows[0].phone.national, "13800138000");
    assert_eq!(list.rejected[0].row, 3);
    assert!(
        list.rejected[0]
            .reason
            .contains("format the column as text")
    );
}
