//! Prompt template filling.

use std::collections::HashMap;

use voxgate_speech::template::{TemplateError, fill, fill_from_map, variables};

fn vars() -> HashMap<String, String> {
    [
        ("name", "王先生"),
        ("customer.plan", "Gold"),
        ("amount_2", "300"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[test]
fn substitutes_variables() {
    let text = "${name}您好，您的${customer.plan}套餐还剩${amount_2}元。";
    assert_eq!(
        fill_from_map(text, &vars()).unwrap(),
        "王先生您好，您的Gold套餐还剩300元。"
    );
    assert_eq!(
        fill_from_map("no variables", &vars()).unwrap(),
        "no variables"
    );
    assert_eq!(
        fill(r"${x}${x}", &|_: &str| Some("ab".into())).unwrap(),
        "abab"
    );
}

#[test]
fn escapes_and_lone_dollars() {
    assert_eq!(
        fill_from_map("cost $${amount_2} = ${amount_2}", &vars()).unwrap(),
        "cost ${amount_2} = 300"
    );
    assert_eq!(
        fill_from_map("US$5 and $ and $$", &vars()).unwrap(),
        "US$5 and $ and $$"
    );
    assert_eq!(fill_from_map("end$", &vars()).unwrap(), "end$");
}

#[test]
fn missing_variables_are_all_named_once() {
    let error = fill_from_map("${a} ${name} ${b} ${a}", &vars()).unwrap_err();
    assert_eq!(error, TemplateError::Missing(vec!["a".into(), "b".into()]));
    assert!(error.to_string().contains("a, b"));
    assert_eq!(variables("${x} $${y} ${z.w}").unwrap(), ["x", "z.w"]);
}

#[test]
fn unterminated_and_bad_names_report_the_byte_offset() {
    assert_eq!(
        fill_from_map("您好 ${name", &vars()),
        Err(TemplateError::Unterminated(7))
    );
    assert_eq!(
        fill_from_map("hi ${}", &vars()),
        Err(TemplateError::BadName {
            name: String::new(),
            at: 3
        })
    );
    assert_eq!(
        fill_from_map("x ${a b}", &vars()),
        Err(TemplateError::BadName {
            name: "a b".into(),
            at: 2
        })
    );
}
