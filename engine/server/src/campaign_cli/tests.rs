//! The CLI against the API test server, in-process.

use std::process::ExitCode;

use super::*;
use crate::api::tests::{TOKEN, TestServer, campaign_file};

fn client(server: &TestServer, token: Option<&str>) -> ApiClient {
    ApiClient::new(&server.base, token.map(str::to_owned), "VOXGATE_API_TOKEN").unwrap()
}

/// Run `command` and return what it printed.
async fn output(client: &ApiClient, command: CampaignCommand) -> Result<String, CliError> {
    let mut out = Vec::new();
    execute(client, command, &mut out).await?;
    Ok(String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn list_status_records_and_compare_print_tables() {
    let server = TestServer::start().await;
    let c = client(&server, Some(TOKEN));
    let list = output(&c, CampaignCommand::List).await.unwrap();
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(
        lines[0],
        "ID      STATUS  TRUNK    DONE  PENDING  IN-FLIGHT  ATTEMPTS"
    );
    assert_eq!(
        lines[2],
        "spring  loaded  carrier  4/4   0        0          4"
    );

    let status = output(
        &c,
        CampaignCommand::Status {
            id: "spring".into(),
        },
    )
    .await
    .unwrap();
    assert!(
        status.starts_with("spring: loaded (trunk carrier)\n"),
        "{status}"
    );
    assert!(
        status.contains("numbers: 4 total, 4 done, 0 pending, 0 in flight; 4 attempts"),
        "{status}"
    );
    assert!(status.contains("answered: 2 of 4 (50.0%); hung up within 5 s: 1 (50.0%); average talk 34.0s; leads 50.0%"), "{status}");
    assert!(
        status.contains("by result: answered 2, busy 1, no_answer 1"),
        "{status}"
    );
    assert!(status.contains("by hour: 09h 1 calls"), "{status}");

    let records = CampaignCommand::Records {
        id: "spring".into(),
        result: Some("answered".into()),
        level: None,
        limit: 10,
    };
    let table = output(&c, records).await.unwrap();
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 3, "{table}");
    assert!(
        rows[0].starts_with("ATTEMPT  PHONE        RESULT    LEVEL  TALK"),
        "{table}"
    );
    assert!(
        rows[1].starts_with("3        13800000003  answered  C      3.0s"),
        "{table}"
    );

    let compare = CampaignCommand::Compare {
        ids: vec!["spring".into(), "autumn".into()],
    };
    let text = output(&c, compare).await.unwrap();
    assert!(text.contains("connect rate        50.0%   66.7%"), "{text}");
    assert!(
        text.contains(
            "autumn vs spring: connect rate +16.7 pts, lead rate +0.0 pts, average talk -14.0s"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn load_start_import_and_export_through_the_api() {
    let server = TestServer::start().await;
    let c = client(&server, Some(TOKEN));
    let dir = server.dir.path();
    let file = dir.join("winter.toml");
    std::fs::write(&file, campaign_file("winter")).unwrap();
    let text = output(&c, CampaignCommand::Load { file }).await.unwrap();
    assert_eq!(text, "loaded winter (loaded, trunk carrier)\n");
    let text = output(
        &c,
        CampaignCommand::Start {
            id: "winter".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(text, "winter: running\n");
    let again = output(
        &c,
        CampaignCommand::Start {
            id: "winter".into(),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&again, CliError::Failed(m) if m.starts_with("409 Conflict: cannot Start")),
        "{again}"
    );
    assert_eq!(report(Err(again)), ExitCode::from(1));

    let mut csv = String::from("phone,name\n");
    for i in 0..25 {
        csv.push_str(&format!("bad{i},x\n"));
    }
    csv.push_str("13800138000,张三\n13800138000,李四\n");
    let list = dir.join("leads.csv");
    std::fs::write(&list, csv).unwrap();
    let import = CampaignCommand::Import {
        id: "winter".into(),
        file: list,
        phone_column: Some("phone".into()),
        sheet: None,
        shuffle: true,
    };
    let text = output(&c, import).await.unwrap();
    assert!(text.starts_with("27 rows: 1 accepted, 1 duplicates in the file, 0 already in the campaign, 25 rejected\n"), "{text}");
    assert!(text.contains("  row 2: `bad0`: "), "{text}");
    assert!(text.contains("  row 21: `bad19`: "), "{text}");
    assert!(!text.contains("row 22:"), "{text}");
    assert!(text.ends_with("  ... and 5 more rejected rows\n"), "{text}");

    let out = dir.join("spring.xlsx");
    let export = CampaignCommand::Export {
        id: "spring".into(),
        format: ExportFormat::Xlsx,
        columns: vec![],
        no_mask: false,
        output: out.clone(),
    };
    let text = output(&c, export).await.unwrap();
    assert!(
        text.starts_with(&format!("wrote {} (4 records, ", out.display())),
        "{text}"
    );
    assert!(std::fs::read(&out).unwrap().starts_with(b"PK"));
    let out = dir.join("spring.csv");
    let export = CampaignCommand::Export {
        id: "spring".into(),
        format: ExportFormat::Csv,
        columns: vec!["phone".into(), "result".into()],
        no_mask: true,
        output: out.clone(),
    };
    output(&c, export).await.unwrap();
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written.lines().nth(1), Some("13800000004,no_answer"));
    let missing = CampaignCommand::Load {
        file: dir.join("nope.toml"),
    };
    assert!(
        matches!(output(&c, missing).await, Err(CliError::Failed(m)) if m.contains("nope.toml"))
    );
}

#[tokio::test]
async fn errors_map_to_exit_codes_with_a_hint() {
    let server = TestServer::start().await;
    let unauthorised = output(&client(&server, Some("wrong")), CampaignCommand::List)
        .await
        .unwrap_err();
    let CliError::Failed(message) = &unauthorised else {
        panic!("{unauthorised:?}");
    };
    assert!(
        message.starts_with("401 Unauthorized: wrong bearer token"),
        "{message}"
    );
    assert!(
        message.ends_with("(set $VOXGATE_API_TOKEN to the engine's API token)"),
        "{message}"
    );
    let missing = output(
        &client(&server, Some(TOKEN)),
        CampaignCommand::Status { id: "nope".into() },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&missing, CliError::Failed(m) if m == "404 Not Found: no campaign `nope`"),
        "{missing:?}"
    );

    // A port nothing listens on: bind one, note it, close it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let down = ApiClient::new(&format!("http://{closed}"), None, "VOXGATE_API_TOKEN").unwrap();
    let error = output(&down, CampaignCommand::List).await.unwrap_err();
    assert!(
        matches!(&error, CliError::Unreachable(m) if m.contains("voxgate run")),
        "{error:?}"
    );
    assert_eq!(report(Err(error)), ExitCode::from(2));
    assert_eq!(report(Ok(())), ExitCode::SUCCESS);
    assert!(matches!(
        ApiClient::new("not a url", None, "X"),
        Err(CliError::Failed(_))
    ));

    let args = |api: String| CampaignArgs {
        api: Some(api),
        token_env: "VOXGATE_TEST_TOKEN_THAT_IS_NEVER_SET".into(),
        command: CampaignCommand::List,
    };
    assert_eq!(
        run(args(format!("http://{closed}"))).await,
        ExitCode::from(2)
    );
    assert_eq!(run(args(server.base.clone())).await, ExitCode::from(1));
}

#[test]
fn the_command_line_parses() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: CampaignArgs,
    }
    let cli = Cli::try_parse_from([
        "campaign",
        "export",
        "spring",
        "--format",
        "xlsx",
        "--columns",
        "phone,result",
        "--no-mask",
        "-o",
        "out.xlsx",
        "--api",
        "http://h:1",
    ])
    .unwrap();
    assert_eq!(cli.args.api.as_deref(), Some("http://h:1"));
    let CampaignCommand::Export {
        format,
        columns,
        no_mask,
        ..
    } = cli.args.command
    else {
        panic!("not export");
    };
    assert_eq!(
        (format, columns.len(), no_mask),
        (ExportFormat::Xlsx, 2, true)
    );
    assert!(Cli::try_parse_from(["campaign", "compare", "only-one"]).is_err());
    assert!(Cli::try_parse_from(["campaign", "import", "a", "f.csv", "--shuffle"]).is_ok());
}
