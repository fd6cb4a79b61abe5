//! Exports (CSV and XLSX read back with calamine, masking, columns, filters) and recording
//! downloads (including refused paths).

use calamine::{Data, Reader, Xlsx};
use reqwest::{Method, StatusCode};

use super::TestServer;

async fn download(
    server: &TestServer,
    path: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let response = server.request(Method::GET, path).send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn csv_export_has_a_bom_masked_numbers_and_the_chosen_columns() {
    let server = TestServer::start().await;
    let (status, headers, bytes) = download(&server, "/export?campaign=spring&format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(headers["x-row-count"], "4");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"voxgate-spring-"),
        "{disposition}"
    );
    assert!(disposition.ends_with(".csv\""), "{disposition}");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "attempt,phone,result,level,score,tags,dial_at,answer_at,hangup_at,ring_ms,talk_ms,rounds_count,hangup_by,sip_code"
    );
    assert_eq!(lines.len(), 5);
    assert!(
        lines[1].starts_with("4,138****0004,no_answer,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[4].starts_with("1,138****0001,answered,A,80,interested,2026-03-02 01:00:00,"),
        "{}",
        lines[4]
    );

    let query = "/export?campaign=spring&result=answered&columns=phone,var.name,summary,talk_ms,answer_at&mask=false&tz=Asia/Shanghai";
    let (status, _, bytes) = download(&server, query).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert_eq!(
        text,
        "phone,var.name,summary,talk_ms,answer_at\n\
         13800000003,张三,客户有兴趣,3000,2026-03-02 11:00:05\n\
         13800000001,张三,客户有兴趣,65000,2026-03-02 09:00:05\n"
    );

    for (query, needle) in [
        ("/export?columns=phone,colour", "unknown column `colour`"),
        ("/export?format=pdf", "pdf"),
        ("/export?tz=Nowhere/City", "unknown time zone"),
        ("/export?from=soon", "`from`"),
    ] {
        let (status, body) = server.get(query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(
            body["error"].as_str().unwrap().contains(needle),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn xlsx_export_reads_back_with_a_bold_header_and_masked_numbers() {
    let server = TestServer::start().await;
    let query = "/export?format=xlsx&level=A&columns=attempt,phone,level,tags,talk_ms,var.name";
    let (status, headers, bytes) = download(&server, query).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("voxgate-all-")
    );
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = workbook.worksheet_range("records").unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows.len(), 3);
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(
        header,
        ["attempt", "phone", "level", "tags", "talk_ms", "var.name"]
    );
    assert_eq!(rows[1][0], Data::Float(5.0));
    assert_eq!(rows[1][1], Data::String("139****0005".into()));
    assert_eq!(rows[1][4], Data::Float(30_000.0));
    assert_eq!(rows[2][1], Data::String("138****0001".into()));
    assert_eq!(rows[2][3], Data::String("interested".into()));
    assert_eq!(rows[2][5], Data::String("张三".into()));
    let styles = workbook.worksheet_style("records").unwrap();
    let bold = |row: u32, col: u32| {
        styles
            .get((row, col))
            .and_then(|s| s.font.as_ref())
            .is_some_and(|f| f.is_bold())
    };
    assert!((0..6).all(|c| bold(0, c)), "the header row is bold");
    assert!(!bold(1, 1) && !bold(2, 5), "data rows are not bold");
}

#[tokio::test]
async fn recordings_download_only_from_inside_the_folder() {
    let server = TestServer::start().await;
    let (status, headers, bytes) = download(&server, "/records/1/recording").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "audio/wav");
    assert_eq!(
        headers["content-disposition"],
        "inline; filename=\"voxgate-1.wav\""
    );
    assert!(bytes.starts_with(b"RIFF"));
    assert_eq!(
        bytes,
        std::fs::read(server.dir.path().join("recordings/a1.wav")).unwrap()
    );
    let (status, body) = server.get("/records/call-1@test/recording").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = server.get("/records/3/recording").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("outside the recordings folder")
    );
    let (status, body) = server.get("/records/2/recording").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "attempt 2 has no recording");
    let (status, _) = server.get("/records/404/recording").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .get("/records/..%2F..%2Fetc%2Fpasswd/recording")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    std::fs::remove_file(server.dir.path().join("recordings/a1.wav")).unwrap();
    let (status, body) = server.get("/records/1/recording").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("gone"), "{body}");
}
