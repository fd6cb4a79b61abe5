//! Auth, campaigns, imports, records and their filters, statistics, comparison, blacklists and
//! error statuses.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{T0, TOKEN, TestServer, campaign_file, send, with_json};

/// The attempt ids of a `/records` answer.
fn attempts(page: &Value) -> Vec<u64> {
    page["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["attempt"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn every_route_but_healthz_needs_the_bearer_token() {
    let server = TestServer::start().await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let health = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Value>(&health.bytes().await.unwrap()).unwrap(),
        json!({"status": "ok"})
    );
    for path in [
        "/campaigns",
        "/metrics",
        "/openapi.json",
        "/records/1/recording",
        "/export",
    ] {
        let url = format!("{}{path}", server.base);
        for auth in [
            None,
            Some("Bearer wrong"),
            Some("Basic dGVzdA=="),
            Some(&*format!("Bearer {TOKEN}x")),
        ] {
            let mut request = client.get(&url);
            if let Some(auth) = auth {
                request = request.header("authorization", auth);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{path} {auth:?}"
            );
            let challenge = response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(challenge.starts_with("Bearer"), "{challenge}");
            let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
            assert!(body["error"].as_str().unwrap().contains("token"), "{body}");
        }
    }
    let lower = client
        .get(format!("{}/campaigns", server.base))
        .header("authorization", format!("bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(lower.status(), StatusCode::OK);
    let (status, body) = server.get("/nowhere").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("no such route"))
    );
    let (status, body) = send(server.request(Method::DELETE, "/campaigns")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let server = TestServer::start().await;
    let response = server
        .request(Method::GET, "/metrics")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains("voxgate_attempts_total{result=\"busy\"} 1\n"),
        "{text}"
    );
    assert!(text.contains("# TYPE voxgate_active_calls gauge"), "{text}");
}

#[tokio::test]
async fn campaigns_load_list_change_state_and_import() {
    let server = TestServer::start().await;
    let (status, list) = server.get("/campaigns").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["autumn", "spring"]);
    let spring = &list[1];
    assert_eq!(spring["trunk"], "carrier");
    assert_eq!(
        spring["progress"],
        json!({"total": 4, "done": 4, "pending": 0, "in_flight": 0, "attempts": 4})
    );

    let load = server
        .request(Method::POST, "/campaigns")
        .header("content-type", "application/toml")
        .body(campaign_file("winter"));
    let (status, info) = send(load).await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    assert_eq!(
        info,
        json!({"id": "winter", "status": "loaded", "reason": null, "trunk": "carrier"})
    );
    let bad = server
        .request(Method::POST, "/campaigns")
        .header("content-type", "text/plain")
        .body("trunk = \"x\"\n");
    let (status, body) = send(bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"].as_str().unwrap().contains("missing `name`"),
        "{body}"
    );
    let json_body = server
        .request(Method::POST, "/campaigns")
        .header("content-type", "application/json")
        .body("{}");
    assert_eq!(send(json_body).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let empty = server.request(Method::POST, "/campaigns").body("  ");
    assert_eq!(send(empty).await.0, StatusCode::BAD_REQUEST);

    let (status, info) = send(server.request(Method::POST, "/campaigns/winter/start")).await;
    assert_eq!(
        (status, info["status"].as_str()),
        (StatusCode::OK, Some("running"))
    );
    let (status, info) = send(server.request(Method::POST, "/campaigns/winter/pause")).await;
    assert_eq!(
        (status, info["status"].as_str()),
        (StatusCode::OK, Some("paused"))
    );
    let (status, body) = send(server.request(Method::POST, "/campaigns/winter/start")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, info) = send(server.request(Method::POST, "/campaigns/winter/resume")).await;
    assert_eq!(
        (status, info["status"].as_str()),
        (StatusCode::OK, Some("running"))
    );
    let (status, info) = send(server.request(Method::POST, "/campaigns/winter/stop")).await;
    assert_eq!(
        (status, info["status"].as_str()),
        (StatusCode::OK, Some("stopped"))
    );
    let (status, body) = send(server.request(Method::POST, "/campaigns/nope/start")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "no campaign `nope`");
    let (status, _) = server.get("/campaigns/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let csv = "phone,name\n13800138000,张三\nabc,李四\n13800138000,王五\n13900139000,赵六\n";
    let import = server
        .request(
            Method::PUT,
            "/campaigns/winter/numbers?file_name=leads.csv&shuffle=true",
        )
        .body(csv);
    let (status, report) = send(import).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["rows"], 4);
    assert_eq!(report["accepted"], 2);
    assert_eq!(report["duplicates_in_file"], 1);
    assert_eq!(report["rejected"][0]["row"], 3);
    assert_eq!(report["rejected"][0]["raw"], "abc");
    let again = server
        .request(Method::PUT, "/campaigns/winter/numbers?file_name=leads.csv")
        .body(csv);
    let (_, report) = send(again).await;
    assert_eq!(
        (
            report["accepted"].as_u64(),
            report["duplicates_in_campaign"].as_u64()
        ),
        (Some(0), Some(2))
    );
    let (_, winter) = server.get("/campaigns/winter").await;
    assert_eq!(winter["progress"]["total"], 2);
    assert_eq!(winter["status"], "stopped");
    let no_name = server
        .request(Method::PUT, "/campaigns/winter/numbers")
        .body(csv);
    assert_eq!(send(no_name).await.0, StatusCode::BAD_REQUEST);
    let empty = server.request(Method::PUT, "/campaigns/winter/numbers?file_name=a.csv");
    assert_eq!(send(empty).await.0, StatusCode::BAD_REQUEST);
    let pdf = server
        .request(Method::PUT, "/campaigns/winter/numbers?file_name=a.pdf")
        .body("x");
    assert_eq!(send(pdf).await.0, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn records_filter_by_every_field() {
    let server = TestServer::start().await;
    let cases: &[(&str, &[u64])] = &[
        ("", &[7, 6, 5, 4, 3, 2, 1]),
        (
            "?campaign=&result=&level=&tag=&from=&limit=",
            &[7, 6, 5, 4, 3, 2, 1],
        ),
        ("?campaign=spring", &[4, 3, 2, 1]),
        ("?result=answered", &[6, 5, 3, 1]),
        ("?campaign=autumn&result=answered", &[6, 5]),
        ("?level=A", &[5, 1]),
        ("?tag=interested", &[5, 1]),
        ("?tag=callback", &[3]),
        ("?min_talk_ms=10000", &[6, 5, 1]),
        ("?max_talk_ms=5000", &[7, 4, 3, 2]),
        ("?min_talk_ms=5000&max_talk_ms=40000", &[6, 5]),
        ("?limit=2", &[7, 6]),
        ("?limit=2&offset=2", &[5, 4]),
    ];
    for (query, expected) in cases {
        let (status, page) = server.get(&format!("/records{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {page}");
        assert_eq!(attempts(&page), *expected, "{query}");
    }
    let (_, page) = server.get("/records?limit=2").await;
    assert_eq!(
        (page["total"].as_u64(), page["limit"].as_u64()),
        (Some(7), Some(2))
    );
    // Time range: T0+1h (inclusive) to T0+3h (exclusive), as Unix ms and as RFC 3339.
    let from = T0 + 3_600_000;
    let (_, page) = server
        .get(&format!(
            "/records?from={from}&to=2026-03-02T12:00:00%2B08:00"
        ))
        .await;
    assert_eq!(attempts(&page), [7, 6, 3, 2]);
    let (_, page) = server.get("/records?from=2026-03-02T03:00:00Z").await;
    assert_eq!(attempts(&page), [7, 4, 3]);
    for (query, needle) in [
        ("?from=yesterday", "`from`: `yesterday` is not a time"),
        ("?result=buzy", "buzy"),
        ("?limit=0", "`limit` 0 is out of range"),
        ("?min_talk_ms=-1", "min_talk_ms"),
    ] {
        let (status, body) = server.get(&format!("/records{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(
            body["error"].as_str().unwrap().contains(needle),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn one_record_with_rounds_by_attempt_or_call_id() {
    let server = TestServer::start().await;
    let (status, detail) = server.get("/records/1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["record"]["phone"], "13800000001");
    assert_eq!(detail["record"]["recording_url"], "/records/1/recording");
    assert_eq!(detail["record"]["variables"]["name"], "张三");
    assert_eq!(detail["rounds"].as_array().unwrap().len(), 2);
    assert_eq!(detail["rounds"][1]["text"], "有兴趣");
    assert_eq!(detail["call"]["call_id"], "call-1@test");
    let (status, by_call_id) = server.get("/records/call-5@test").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_call_id["record"]["attempt"], 5);
    assert_eq!(by_call_id["record"]["recording_url"], Value::Null);
    let (status, body) = server.get("/records/99").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("no record `99`"));
}

#[tokio::test]
async fn statistics_and_comparison() {
    let server = TestServer::start().await;
    let (status, stats) = server.get("/campaigns/spring/stats").await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["attempts"], 4);
    assert_eq!(stats["answered"], 2);
    assert_eq!(stats["connect_rate"], 0.5);
    assert_eq!(stats["short_hangups_5s"], 1);
    assert_eq!(stats["avg_talk_ms"], 34_000.0);
    assert_eq!(
        (stats["leads"].as_u64(), stats["lead_rate"].as_f64()),
        (Some(1), Some(0.5))
    );
    assert_eq!(
        stats["by_result"],
        json!({"answered": 2, "busy": 1, "no_answer": 1})
    );
    assert_eq!(stats["by_level"], json!({"A": 1, "C": 1}));
    // Asia/Shanghai is the campaign's zone: T0 is 09:00 there.
    assert_eq!(stats["utc_offset_minutes"], 480);
    let calls_by_hour: Vec<u64> = stats["by_hour"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["calls"].as_u64().unwrap())
        .collect();
    assert_eq!(calls_by_hour.len(), 24);
    assert_eq!(&calls_by_hour[9..13], [1, 1, 1, 1]);
    assert_eq!(calls_by_hour.iter().sum::<u64>(), 4);
    let (_, utc) = server.get("/campaigns/spring/stats?tz=UTC").await;
    assert_eq!(utc["by_hour"][1]["calls"], 1);
    assert_eq!(utc["by_hour"][1]["answered"], 1);
    assert_eq!(stats["by_region"]["北京"]["calls"], 4);
    let (status, body) = server.get("/campaigns/spring/stats?tz=Mars/Base").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("Mars/Base"));
    assert_eq!(
        server.get("/campaigns/nope/stats").await.0,
        StatusCode::NOT_FOUND
    );

    let (status, comparison) = server.get("/stats/compare?campaigns=spring,autumn").await;
    assert_eq!(status, StatusCode::OK, "{comparison}");
    assert_eq!(comparison["campaigns"][0]["campaign"], "spring");
    assert_eq!(comparison["campaigns"][1]["campaign"], "autumn");
    let d = &comparison["differences"][0];
    assert_eq!(
        (d["campaign"].as_str(), d["baseline"].as_str()),
        (Some("autumn"), Some("spring"))
    );
    assert!(
        (d["connect_rate"].as_f64().unwrap() - (2.0 / 3.0 - 0.5)).abs() < 1e-9,
        "{d}"
    );
    assert_eq!(d["lead_rate"], 0.0);
    assert_eq!(d["avg_talk_ms"], -14_000.0);
    for (query, status) in [
        ("?campaigns=spring", StatusCode::BAD_REQUEST),
        ("?campaigns=spring,nope", StatusCode::NOT_FOUND),
        ("", StatusCode::BAD_REQUEST),
    ] {
        let (got, body) = server.get(&format!("/stats/compare{query}")).await;
        assert_eq!(got, status, "{query}: {body}");
        assert!(body["error"].is_string());
    }
}

#[tokio::test]
async fn blacklist_add_remove_list_export_and_import() {
    let server = TestServer::start().await;
    let add = with_json(
        server.request(Method::POST, "/blacklist/dnc"),
        &json!({"numbers": ["138 0013 8000", "+86 139-0013-9000"], "expires_at": T0 + 1000}),
    );
    let (status, change) = send(add).await;
    assert_eq!(status, StatusCode::OK, "{change}");
    assert_eq!(change, json!({"group": "dnc", "changed": 2}));
    let (_, entries) = server.get("/blacklist/dnc").await;
    let numbers: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["number"].as_str().unwrap())
        .collect();
    assert_eq!(
        numbers,
        ["+8613700000001", "+8613800138000", "+8613900139000"]
    );
    assert_eq!(entries[1]["expires_at"], T0 + 1000);
    assert_eq!(entries[0]["note"], "complaint");

    let remove = with_json(
        server.request(Method::DELETE, "/blacklist/dnc"),
        &json!({"numbers": ["13800138000", "13600000000"]}),
    );
    assert_eq!(send(remove).await.1["changed"], 1);
    let bad = with_json(
        server.request(Method::POST, "/blacklist/dnc"),
        &json!({"numbers": ["12"]}),
    );
    assert_eq!(send(bad).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let empty = with_json(
        server.request(Method::POST, "/blacklist/dnc"),
        &json!({"numbers": []}),
    );
    assert_eq!(send(empty).await.0, StatusCode::BAD_REQUEST);
    let not_json = server
        .request(Method::POST, "/blacklist/dnc")
        .header("content-type", "application/json")
        .body("{");
    assert_eq!(send(not_json).await.0, StatusCode::BAD_REQUEST);

    let csv = "电话,备注\n13500000001,a\nxyz,b\n13500000001,c\n13500000002,d\n";
    let import = server
        .request(Method::PUT, "/blacklist/vip/import?file_name=vip.csv")
        .body(csv);
    let (status, report) = send(import).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["rows"], 4);
    assert_eq!(report["added"], 2);
    assert_eq!(report["duplicates_in_file"], 1);
    assert_eq!(report["rejected"][0]["row"], 3);
    let no_phone = server
        .request(Method::PUT, "/blacklist/vip/import?file_name=x.csv")
        .body("name\nbob\n");
    let (status, body) = send(no_phone).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"].is_string());

    let export = server
        .request(Method::GET, "/blacklist/vip?format=csv")
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::OK);
    let disposition = export.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(disposition, "attachment; filename=\"blacklist-vip.csv\"");
    let text = export.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("\u{feff}number,expires_at,added_at,note")
    );
    assert_eq!(
        lines.next().map(|l| l.split(',').next()),
        Some(Some("+8613500000001"))
    );
    assert_eq!(lines.count(), 1);
}
