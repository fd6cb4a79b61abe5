use super::*;

fn errors(text: &str) -> Vec<String> {
    Flow::parse(text, "f.toml")
        .expect_err("flow should be rejected")
        .0
        .iter()
        .map(ToString::to_string)
        .collect()
}

const HEAD: &str = "[flow]\nname = \"t\"\nstart = \"a\"\nfallback = \"end\"\n";
const END: &str = "[[node]]\nname = \"end\"\nkind = \"end\"\n";

#[test]
fn the_example_flows_are_valid_and_fully_reachable() {
    for (name, text) in [("en", EN), ("zh", ZH), ("dtmf", DTMF)] {
        let flow = Flow::parse(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(flow.warnings.is_empty(), "{name}: {:?}", flow.warnings);
    }
    let en = flow(EN);
    assert_eq!(en.nodes[en.start].name, "opening");
    assert_eq!(en.nodes[en.closing].name, "closing");
    assert_eq!(en.knowledge.len(), 3);
    assert!(en.common.busy.is_some() && en.common.robot.is_some() && en.common.repeat.is_some());
    let kinds: Vec<_> = en.nodes.iter().map(|n| n.kind).collect();
    for kind in [
        crate::NodeKind::Opening,
        crate::NodeKind::Step,
        crate::NodeKind::End,
        crate::NodeKind::Transfer,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} missing");
    }
    let zh = flow(ZH);
    assert_eq!(zh.nodes[zh.start].name, "开场白");
    assert_eq!(zh.nodes.len(), en.nodes.len());
}

#[test]
fn syntax_errors_point_at_line_and_column() {
    let found = errors("[flow]\nname = \"x\"\nstart = opening\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("f.toml:3:9: "), "{found:?}");
    let found = errors(&format!("{HEAD}max_rounds = \"ten\"\n"));
    assert!(found[0].starts_with("f.toml:5:14: "), "{found:?}");
}

#[test]
fn unknown_keys_and_kinds_are_named_with_the_expected_ones() {
    let found = errors(&format!("{HEAD}{END}promts = []\n"));
    assert!(found[0].starts_with("f.toml:8:1: "), "{found:?}");
    assert!(
        found[0].contains("promts") && found[0].contains("expected"),
        "{found:?}"
    );
    let found = errors(&format!(
        "{HEAD}[[node]]\nname = \"a\"\nkind = \"question\"\n"
    ));
    assert!(found[0].starts_with("f.toml:7:8: "), "{found:?}");
    assert!(
        found[0].contains("opening") && found[0].contains("transfer"),
        "{found:?}"
    );
}

#[test]
fn every_semantic_error_is_reported_with_its_place() {
    let text = "\
[flow]
name = \"t\"
start = \"a\"
fallback = \"b\"
max_rounds = 0

[[node]]
name = \"a\"
kind = \"opening\"
prompts = []
[[node.branch]]
kind = \"positive\"
regex = [\"(unclosed\"]
next = \"nowhere\"
[[node.branch]]
kind = \"special\"
keywords = [\"x\"]
next = \"b\"
[[node.branch]]
kind = \"negative\"
next = \"b\"

[[node]]
name = \"a\"
kind = \"step\"
prompts = [{ text = \"\" }, {}]
digits = 1

[[node]]
name = \"b\"
kind = \"step\"
prompts = [{ text = \"hi\" }]
collect = { max_digits = 1, terminator = \"##\" }
[[node.branch]]
kind = \"positive\"
digits = [\"1x\"]
next = \"a\"
";
    let found = errors(text);
    // `digits = 1` on a node is a syntax-level (unknown field) error: fix it and check the rest.
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains(":27:1: unknown field `digits`"),
        "{found:?}"
    );
    let found = errors(&text.replace("digits = 1\n", ""));
    let expect = [
        ":4:12: fallback: node `b` is not an end node",
        ":5:14: max_rounds: 0; expected at least 1",
        ":10:11: node `a`: prompts is empty",
        ":13:10: regex: `(unclosed` is not a valid regular expression",
        ":14:8: next: unknown node `nowhere`",
        ":16:8: node `a`: a special branch needs a name",
        ":19:1: a branch of node `a` matches nothing",
        ":24:8: node `a` is defined twice",
        ":26:21: text: empty",
        ":26:27: a prompt needs `file` (a recording) or `text` (TTS)",
        ":32:42: terminator: `##` is not one DTMF digit",
        ":35:11: digits: `1x` is not DTMF",
    ];
    assert_eq!(found.len(), expect.len(), "{found:#?}");
    for (got, want) in found.iter().zip(expect) {
        assert!(
            got.starts_with("f.toml") && got.contains(want),
            "{got} should contain {want}"
        );
    }
}

#[test]
fn kind_specific_fields_are_checked() {
    let text = format!(
        "{HEAD}[[node]]\nname = \"a\"\nkind = \"step\"\nprompts = [{{ text = \"hi\" }}]\nnext = \"end\"\nlevel = \"A\"\n\
         [[node]]\nname = \"end\"\nkind = \"end\"\nnext = \"a\"\n\
         [[node]]\nname = \"t\"\nkind = \"transfer\"\n"
    );
    let found = errors(&text);
    assert!(
        found
            .iter()
            .any(|e| e.contains(":10:9: node `a`: `level` is only for end nodes")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|e| e.contains(":12:8: node `end`: `next` is only for opening and step")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|e| e.contains(":16:8: node `t`: a transfer node needs `agent_group` or `uri`")),
        "{found:#?}"
    );
}

#[test]
fn a_step_with_nowhere_to_go_needs_next() {
    let found = errors(&format!(
        "{HEAD}{END}[[node]]\nname = \"a\"\nkind = \"step\"\nprompts = [{{ text = \"hi\" }}]\n"
    ));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains(":9:8: node `a` needs `next`"),
        "{found:?}"
    );
}

#[test]
fn knowledge_and_common_dialogs_are_checked() {
    let text = format!(
        "{HEAD}[[node]]\nname = \"a\"\nkind = \"opening\"\nprompts = [{{ text = \"hi\" }}]\nnext = \"end\"\n{END}\
         [[knowledge]]\nkeywords = [\"price\"]\n\
         [[knowledge]]\nname = \"k\"\nkeywords = [\"?!\"]\nprompts = [{{ text = \"x\" }}]\n\
         [common.robot]\nkeywords = [\"robot\"]\n\
         [common.busy]\nname = \"busy\"\nkeywords = [\"busy\"]\nnext = \"nope\"\n\
         [common.not_understood]\nlimit = 0\n\
         [[levels]]\nlevel = \"\"\nnodes_any = [\"ghost\"]\n"
    );
    let found = errors(&text);
    let expect = [
        ":13:1: [[knowledge]] needs a name",
        ":13:1: this [[knowledge]] entry has no prompts",
        ":17:13: `?!` has no letters or digits",
        ":19:1: `robot` has no prompts",
        ":22:8: [common.busy] is named `busy`",
        ":24:8: next: unknown node `nope`",
        ":26:9: limit: 0",
        ":28:9: level: empty",
        ":29:14: nodes_any: unknown node `ghost`",
    ];
    assert_eq!(found.len(), expect.len(), "{found:#?}");
    for (got, want) in found.iter().zip(expect) {
        assert!(got.contains(want), "{got} should contain {want}");
    }
}

#[test]
fn unreachable_nodes_are_warnings_not_errors() {
    let text = format!(
        "{HEAD}[[node]]\nname = \"a\"\nkind = \"opening\"\nprompts = [{{ text = \"hi\" }}]\nnext = \"end\"\n{END}\
         [[node]]\nname = \"orphan\"\nkind = \"end\"\n\
         [[node]]\nname = \"lonely-step\"\nkind = \"step\"\nprompts = [{{ text = \"x\" }}]\nnext = \"orphan\"\n"
    );
    let flow = Flow::parse(&text, "f.toml").expect("valid");
    let warnings: Vec<String> = flow.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "f.toml:14:8: node `orphan` is never reached from the start node",
            "f.toml:17:8: node `lonely-step` is never reached from the start node",
        ]
    );
}

#[test]
fn errors_display_one_per_line() {
    let e = Flow::parse("[flow]\n", "x.toml").expect_err("missing fields");
    let shown = e.to_string();
    assert!(
        shown.starts_with("error: x.toml:1:1: missing field"),
        "{shown}"
    );
}

#[test]
fn the_example_in_format_md_is_valid() {
    let doc = include_str!("../../FORMAT.md");
    let start = doc.find("```toml\n").expect("FORMAT.md has a toml example") + 8;
    let len = doc[start..].find("```").expect("closed");
    let flow = Flow::parse(&doc[start..start + len], "FORMAT.md").unwrap_or_else(|e| panic!("{e}"));
    assert!(flow.warnings.is_empty());
    let mut run = FlowRun::new(Arc::new(flow), []);
    run.handle(FlowInput::Answered);
    run.handle(FlowInput::Dtmf('1'));
    assert_eq!((run.level(), run.score()), (Some("A"), 10));
}
