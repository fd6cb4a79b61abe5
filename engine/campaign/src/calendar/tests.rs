use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use proptest::prelude::*;

use super::*;

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).expect("bundled zone")
}

/// `local` ("2026-03-02T09:00") in `cal`'s zone, as Unix ms.
fn at(cal: &Calendar, local: &str) -> UnixMs {
    let dt: DateTime = local.parse().expect("datetime");
    dt.to_zoned(cal.time_zone().clone())
        .expect("in range")
        .timestamp()
        .as_millisecond()
}

fn local(cal: &Calendar, t: UnixMs) -> String {
    cal.local_datetime(t).strftime("%Y-%m-%dT%H:%M").to_string()
}

fn date(s: &str) -> Date {
    parse_date(s).expect("date")
}

/// Mon-Fri 09:00-12:00 and 13:00-18:00, Sat 10:00-12:00, in Asia/Shanghai.
fn office(forbidden: &[&str]) -> Calendar {
    let mut w = WeeklyWindows::default();
    for day in [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ] {
        w.add(day, "13:00-18:00".parse().unwrap()).unwrap();
        w.add(day, "09:00-12:00".parse().unwrap()).unwrap();
    }
    w.add(Weekday::Saturday, "10:00-12:00".parse().unwrap())
        .unwrap();
    let forbidden = forbidden.iter().map(|f| f.parse().unwrap()).collect();
    Calendar::new(zone("Asia/Shanghai"), w, forbidden)
}

fn spring_festival() -> Holidays {
    Holidays {
        name: "test".into(),
        days_off: (15..=23).map(|d| Date::constant(2026, 2, d)).collect(),
        workdays: vec![
            MakeUpDay {
                date: date("2026-02-14"),
                like: Weekday::Monday,
            },
            MakeUpDay {
                date: date("2026-02-28"),
                like: Weekday::Monday,
            },
        ],
    }
}

#[test]
fn time_ranges_parse_and_print() {
    let r: TimeRange = "09:00-12:30".parse().unwrap();
    assert_eq!((r.start_minute(), r.end_minute()), (540, 750));
    assert_eq!(r.to_string(), "09:00-12:30");
    let late: TimeRange = "22:00-24:00".parse().unwrap();
    assert_eq!(late.end_minute(), 1440);
    assert!(late.contains_minute(1439) && !late.contains_minute(1320 - 1));
    assert!(!r.overlaps("12:30-13:00".parse().unwrap()));
    assert!(r.overlaps("12:29-13:00".parse().unwrap()));
    for bad in [
        "9-12",
        "09:00",
        "09:60-10:00",
        "24:00-24:00",
        "25:00-26:00",
        "0900-1000",
        "09:00-24:01",
    ] {
        let e = bad.parse::<TimeRange>().unwrap_err().0;
        assert!(
            e.contains("expected a time range like \"09:00-12:00\""),
            "{bad}: {e}"
        );
    }
    let e = "18:00-09:00".parse::<TimeRange>().unwrap_err().0;
    assert!(e.contains("does not end after it starts"), "{e}");
    assert!(TimeRange::new(10, 10).is_err() && TimeRange::new(0, 1441).is_err());
}

#[test]
fn weekly_windows_refuse_overlaps_and_stay_sorted() {
    let mut w = WeeklyWindows::default();
    assert!(w.is_empty());
    w.add(Weekday::Monday, "13:00-18:00".parse().unwrap())
        .unwrap();
    w.add(Weekday::Monday, "09:00-12:00".parse().unwrap())
        .unwrap();
    w.add(Weekday::Monday, "12:00-13:00".parse().unwrap())
        .unwrap();
    let e = w
        .add(Weekday::Monday, "11:00-14:00".parse().unwrap())
        .unwrap_err();
    assert!(e.0.contains("overlaps `09:00-12:00`"), "{e}");
    let starts: Vec<u16> = w
        .day(Weekday::Monday)
        .iter()
        .map(|r| r.start_minute())
        .collect();
    assert_eq!(starts, [540, 720, 780]);
    assert!(w.day(Weekday::Tuesday).is_empty() && !w.is_empty());
}

#[test]
fn dates_and_forbidden_ranges_parse() {
    assert_eq!(
        parse_date("2026-02-28").unwrap(),
        Date::constant(2026, 2, 28)
    );
    for bad in [
        "2026-02-30",
        "2026-2-3",
        "26-02-03",
        "2026/02/03",
        "2026-02-03x",
    ] {
        assert!(
            parse_date(bad)
                .unwrap_err()
                .0
                .contains("expected YYYY-MM-DD"),
            "{bad}"
        );
    }
    let day: ForbiddenRange = "2026-10-01".parse().unwrap();
    assert_eq!(day.start.to_string(), "2026-10-01T00:00:00");
    assert_eq!(day.end.to_string(), "2026-10-02T00:00:00");
    let days: ForbiddenRange = "2026-10-01..2026-10-07".parse().unwrap();
    assert_eq!(days.end.to_string(), "2026-10-08T00:00:00");
    let hours: ForbiddenRange = "2026-11-11T12:00..2026-11-11T14:00".parse().unwrap();
    assert_eq!(
        (hours.start.to_string(), hours.end.to_string()),
        ("2026-11-11T12:00:00".into(), "2026-11-11T14:00:00".into())
    );
    let e = "2026-10-07..2026-10-01"
        .parse::<ForbiddenRange>()
        .unwrap_err();
    assert!(e.0.contains("does not end after it starts"), "{e}");
    let e = "2026-11-11T14:00..2026-11-11T25:00"
        .parse::<ForbiddenRange>()
        .unwrap_err();
    assert!(e.0.contains("not a date range"), "{e}");
}

#[test]
fn windows_with_lunch_break_and_weekend() {
    let cal = office(&[]);
    // 2026-03-02 is a Monday. 09:00 in Shanghai is 01:00 UTC.
    assert_eq!(at(&cal, "2026-03-02T09:00"), 1_772_413_200_000);
    let open = |s: &str| cal.is_open(at(&cal, s));
    assert!(!open("2026-03-02T08:59") && open("2026-03-02T09:00") && open("2026-03-02T11:59"));
    assert!(!open("2026-03-02T12:00") && !open("2026-03-02T12:59") && open("2026-03-02T13:00"));
    assert!(open("2026-03-02T17:59") && !open("2026-03-02T18:00"));
    assert!(cal.is_open(at(&cal, "2026-03-02T12:00") - 1));
    assert!(
        open("2026-03-07T10:30") && !open("2026-03-07T13:00"),
        "Saturday morning only"
    );
    assert!(!open("2026-03-08T10:30"), "Sunday closed");
    let next = |s: &str| cal.next_open(at(&cal, s)).map(|t| local(&cal, t));
    assert_eq!(
        next("2026-03-02T12:10").as_deref(),
        Some("2026-03-02T13:00")
    );
    assert_eq!(
        next("2026-03-02T10:10").as_deref(),
        Some("2026-03-02T10:10")
    );
    assert_eq!(
        next("2026-03-06T18:00").as_deref(),
        Some("2026-03-07T10:00")
    );
    assert_eq!(
        next("2026-03-07T12:00").as_deref(),
        Some("2026-03-09T09:00")
    );
}

#[test]
fn holidays_are_skipped_and_make_up_days_worked() {
    let cal = office(&[]).with_holidays(spring_festival());
    let open = |s: &str| cal.is_open(at(&cal, s));
    assert!(!open("2026-02-16T10:00"), "Monday in the Spring Festival");
    assert!(
        open("2026-02-14T09:30") && open("2026-02-14T15:00"),
        "Saturday worked like a Monday"
    );
    assert!(open("2026-02-24T09:00"));
    let next = cal.next_open(at(&cal, "2026-02-14T18:00")).unwrap();
    assert_eq!(local(&cal, next), "2026-02-24T09:00");
    let like_saturday = Holidays {
        workdays: vec![MakeUpDay {
            date: date("2026-03-08"),
            like: Weekday::Saturday,
        }],
        ..Holidays::default()
    };
    let cal = office(&[]).with_holidays(like_saturday);
    assert!(!cal.is_open(at(&cal, "2026-03-08T09:30")));
    assert_eq!(
        local(&cal, cal.next_open(at(&cal, "2026-03-08T00:00")).unwrap()),
        "2026-03-08T10:00"
    );
    assert_eq!(cal.holidays().workdays.len(), 1);
}

#[test]
fn forbidden_dates_and_times_close_the_window() {
    let cal = office(&[
        "2026-03-03..2026-03-04",
        "2026-03-05T10:00..2026-03-05T14:30",
    ]);
    let open = |s: &str| cal.is_open(at(&cal, s));
    assert!(open("2026-03-02T17:59") && !open("2026-03-03T09:00") && !open("2026-03-04T17:00"));
    assert!(open("2026-03-05T09:59") && !open("2026-03-05T10:00") && !open("2026-03-05T14:29"));
    assert!(open("2026-03-05T14:30"));
    let next = |s: &str| local(&cal, cal.next_open(at(&cal, s)).unwrap());
    assert_eq!(next("2026-03-02T18:00"), "2026-03-05T09:00");
    assert_eq!(next("2026-03-05T10:00"), "2026-03-05T14:30");
    assert_eq!(cal.forbidden().len(), 2);
}

#[test]
fn next_open_gives_up_after_a_year() {
    let closed = Calendar::new(zone("Asia/Shanghai"), WeeklyWindows::default(), Vec::new());
    assert_eq!(closed.next_open(0), None);
    let cal = office(&["2026-01-01..2027-06-30"]);
    assert_eq!(cal.next_open(at(&cal, "2026-01-01T00:00")), None);
    assert_eq!(cal.next_open(UnixMs::MAX - 5), None);
    assert!(!cal.is_open(UnixMs::MIN) && !cal.is_open(UnixMs::MAX));
}

#[test]
fn windows_follow_daylight_saving_time() {
    let mut w = WeeklyWindows::default();
    for day in [Weekday::Saturday, Weekday::Sunday, Weekday::Monday] {
        w.add(day, "01:00-01:30".parse().unwrap()).unwrap();
        w.add(day, "09:00-17:00".parse().unwrap()).unwrap();
    }
    let cal = Calendar::new(zone("America/New_York"), w, Vec::new());
    let utc = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    // Saturday 2026-03-07, EST (UTC-5): 09:00 is 14:00 UTC. Monday 03-09, EDT: 13:00 UTC.
    assert!(!cal.is_open(utc("2026-03-07T13:59Z")) && cal.is_open(utc("2026-03-07T14:00Z")));
    assert!(cal.is_open(utc("2026-03-09T13:00Z")) && !cal.is_open(utc("2026-03-09T12:59Z")));
    assert_eq!(
        cal.next_open(utc("2026-03-08T22:00Z")),
        Some(utc("2026-03-09T05:00Z"))
    );
    assert_eq!(
        cal.next_open(utc("2026-03-09T05:30Z")),
        Some(utc("2026-03-09T13:00Z"))
    );
    // Sunday 2026-11-01: 01:00-02:00 happens twice (EDT, then EST).
    assert!(cal.is_open(utc("2026-11-01T05:15Z")) && !cal.is_open(utc("2026-11-01T05:45Z")));
    assert_eq!(
        cal.next_open(utc("2026-11-01T05:45Z")),
        Some(utc("2026-11-01T06:00Z"))
    );
    assert!(cal.is_open(utc("2026-11-01T06:29Z")) && !cal.is_open(utc("2026-11-01T06:30Z")));
    assert_eq!(
        cal.next_open(utc("2026-11-01T06:30Z")),
        Some(utc("2026-11-01T14:00Z"))
    );
    assert_eq!(
        cal.local_day(utc("2026-11-01T03:59Z")),
        cal.local_day(utc("2026-10-31T04:00Z"))
    );
    assert_eq!(cal.local_day(utc("2026-11-01T04:00Z")), 20_758);
}

fn dst_calendar() -> Calendar {
    let mut w = WeeklyWindows::default();
    w.add(Weekday::Sunday, "00:30-01:30".parse().unwrap())
        .unwrap();
    w.add(Weekday::Sunday, "02:15-02:45".parse().unwrap())
        .unwrap();
    w.add(Weekday::Tuesday, "09:00-17:00".parse().unwrap())
        .unwrap();
    w.add(Weekday::Friday, "20:00-24:00".parse().unwrap())
        .unwrap();
    w.add(Weekday::Saturday, "00:00-00:05".parse().unwrap())
        .unwrap();
    let forbidden = vec![
        "2026-12-20..2027-01-10".parse().unwrap(),
        "2026-06-02T10:00..2026-06-02T16:59".parse().unwrap(),
    ];
    let holidays = Holidays {
        name: "us".into(),
        days_off: vec![date("2026-07-07"), date("2026-11-03")],
        workdays: vec![MakeUpDay {
            date: date("2026-07-11"),
            like: Weekday::Tuesday,
        }],
    };
    Calendar::new(zone("America/New_York"), w, forbidden).with_holidays(holidays)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// `next_open(t)` is open, and no minute between `t` and it is.
    #[test]
    fn next_open_is_the_first_open_instant(offset in 0i64..(2 * 365 * 86_400_000), which in 0usize..2) {
        let cal = if which == 0 { office(&["2026-05-01..2026-05-05", "2026-11-11T12:00..2026-11-11T14:00"]).with_holidays(spring_festival()) } else { dst_calendar() };
        let t = 1_767_225_600_000 + offset; // from 2026-01-01T00:00Z
        let next = cal.next_open(t).expect("open within a year");
        prop_assert!(next >= t && cal.is_open(next));
        prop_assert_eq!(cal.is_open(t), next == t);
        let mut probe = t;
        while probe < next {
            prop_assert!(!cal.is_open(probe), "open at {} before {}", probe, next);
            probe += 60_000;
        }
        prop_assert!(next == t || !cal.is_open(next - 1));
    }
}

#[test]
fn calendars_can_move_between_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Calendar>();
    let boxed: Box<dyn CallWindow + Send> = Box::new(office(&[]));
    assert!(boxed.next_open(0).is_some());
}

#[test]
fn local_day_and_time() {
    let cal = office(&[]);
    let t = at(&cal, "2026-03-02T00:30");
    assert_eq!(cal.local_day(t), 20_514);
    assert_eq!(cal.local_day(t - 3_600_000), 20_513, "23:30 the day before");
    assert_eq!(local(&cal, t), "2026-03-02T00:30");
    let end_of_time = "9999-12-31..9999-12-31".parse::<ForbiddenRange>();
    assert!(end_of_time.is_err(), "no day after the last one");
}
