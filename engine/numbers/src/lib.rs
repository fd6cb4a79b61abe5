//! Phone number lists for voxgate campaigns.
//!
//! - [`normalize()`]: one number as people write it (`138 0013 8000`, `+86 10 6552 9988`,
//!   `０１０－６５５２９９８８`) to its E.164 form and the digits to dial, or a [`Rejection`] that
//!   says what is wrong and what was expected. China's plan (mobiles, landlines with area codes,
//!   service numbers) by default, E.164 for other countries.
//! - [`import()`]: a CSV or XLSX number list from bytes (the caller does the file I/O): a phone
//!   column, other columns as per-row variables for prompts, rejected rows and in-file duplicates
//!   reported by spreadsheet row number. [`shuffle`] gives a reproducible dialling order.
//! - [`region::RegionTable`]: region and carrier by longest number prefix, from an operator's CSV.
//!
//! No I/O and no clock: everything works on the bytes and strings it is given.
//!
//! ```
//! use voxgate_numbers::{Format, ImportOptions, Kind, import, shuffle};
//!
//! let csv = "手机号,姓名\n138 0013 8000,张三\n12345,李四\n+86 138-0013-8000,王五\n010-6552 9988,赵六\n";
//! let options = ImportOptions { format: Format::Csv, ..ImportOptions::default() };
//! let mut list = import(csv.as_bytes(), &options).unwrap();
//!
//! assert_eq!(list.columns, ["姓名"]);
//! assert_eq!(list.rows.len(), 3);
//! assert_eq!(list.rows[0].phone.e164, "+8613800138000");
//! assert_eq!(list.rows[0].variables, [("姓名".to_string(), "张三".to_string())]);
//! assert_eq!(list.rows[1].phone.kind, Kind::Service);
//! assert_eq!(list.rows[2].phone.national, "01065529988");
//! assert_eq!(list.duplicates[0].row, 4);
//! assert_eq!(list.duplicates[0].first_row, 2);
//! assert!(list.rejected.is_empty());
//!
//! shuffle(&mut list.rows, 7);
//! ```

#![warn(missing_docs)]

pub mod import;
pub mod normalize;
pub mod region;
mod rejection;

pub use import::{
    DuplicateRow, Format, ImportError, ImportOptions, NumberList, NumberRow, RejectedRow, import,
    shuffle,
};
pub use normalize::{Country, Kind, PhoneNumber, normalize};
pub use region::{Region, RegionError, RegionTable};
pub use rejection::Rejection;
