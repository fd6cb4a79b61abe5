//! The example region table shipped with the crate parses, and imported numbers find their
//! regions in it.

use voxgate_numbers::{ImportOptions, RegionTable, import};

const EXAMPLE: &str = include_str!("../regions-example.csv");

#[test]
fn example_table_parses_and_answers() {
    let table = RegionTable::parse(EXAMPLE, "regions-example.csv").unwrap();
    assert_eq!(table.len(), EXAMPLE.lines().count() - 1);
    let region = |national: &str| table.lookup(national).map(|r| r.name.as_str());
    assert_eq!(region("13800138000"), Some("北京"));
    assert_eq!(region("13802101234"), Some("上海"));
    assert_eq!(region("01065529988"), Some("北京"));
    assert_eq!(region("02163210000"), Some("上海"));
    assert_eq!(region("075586013388"), Some("深圳"));
    assert_eq!(region("057187654321"), Some("杭州"));
    assert_eq!(region("02912345678"), Some("西安"));
    assert_eq!(
        region("15000000000"),
        None,
        "the example is not a complete table"
    );
    let beijing = table.lookup("13800138000").unwrap();
    assert_eq!(beijing.carrier.as_deref(), Some("中国移动"));
    assert_eq!(table.lookup("01065529988").unwrap().carrier, None);
}

#[test]
fn imported_numbers_look_up_by_their_national_form() {
    let table = RegionTable::parse(EXAMPLE, "regions-example.csv").unwrap();
    let list = import(
        "电话\n+86 10 6552 9988\n0086 138 0255 1234\n(0571) 8765 4321\n".as_bytes(),
        &ImportOptions::default(),
    )
    .unwrap();
    let regions: Vec<&str> = list
        .rows
        .iter()
        .map(|row| {
            table
                .lookup(&row.phone.national)
                .map_or("?", |r| r.name.as_str())
        })
        .collect();
    assert_eq!(regions, ["北京", "深圳", "杭州"]);
}
