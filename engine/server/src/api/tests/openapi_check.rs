//! The OpenAPI document against the running API: every documented GET route is fetched and
//! its answer validated (with the `jsonschema` crate) against the schema the document gives.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::TestServer;

/// Values for path and required query parameters, by route.
fn fill(path: &str) -> String {
    let id = if path.starts_with("/records") {
        "1"
    } else {
        "spring"
    };
    let mut url = path.replace("{id}", id).replace("{group}", "dnc");
    match path {
        "/stats/compare" => url.push_str("?campaigns=spring,autumn"),
        "/export" => url.push_str("?campaign=spring"),
        _ => {}
    }
    url
}

/// A validator for `schema`, with the document's components reachable by `$ref`.
fn validator(schema: &Value, document: &Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    root["components"] = document["components"].clone();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&root)
        .unwrap_or_else(|e| panic!("invalid schema {schema}: {e}"))
}

#[tokio::test]
async fn every_documented_get_route_answers_what_its_schema_says() {
    let server = TestServer::start().await;
    let (status, document) = server.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"],
        json!({"type": "http", "scheme": "bearer"})
    );
    let paths = document["paths"].as_object().unwrap();
    let mut checked = Vec::new();
    for (path, item) in paths {
        let Some(operation) = item.get("get") else {
            continue;
        };
        let url = fill(path);
        let response = server.request(Method::GET, &url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {url}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let media = content_type.split(';').next().unwrap().trim().to_owned();
        let content = &operation["responses"]["200"]["content"];
        let documented = content
            .get(&media)
            .unwrap_or_else(|| panic!("GET {url}: {media} is not documented: {content}"));
        let bytes = response.bytes().await.unwrap();
        if media == "application/json" {
            let body: Value = serde_json::from_slice(&bytes).unwrap();
            let validator = validator(&documented["schema"], &document);
            let errors: Vec<String> = validator
                .iter_errors(&body)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "GET {url}: {errors:?}\n{body}");
        } else {
            assert!(!bytes.is_empty(), "GET {url}: empty {media}");
        }
        checked.push(path.clone());
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "/blacklist/{group}",
            "/campaigns",
            "/campaigns/{id}",
            "/campaigns/{id}/stats",
            "/export",
            "/healthz",
            "/metrics",
            "/openapi.json",
            "/records",
            "/records/{id}",
            "/records/{id}/recording",
            "/stats/compare",
        ]
    );
}

#[tokio::test]
async fn schemas_reject_answers_of_the_wrong_shape() {
    let server = TestServer::start().await;
    let (_, document) = server.get("/openapi.json").await;
    let schema = &document["paths"]["/records"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    let validator = validator(schema, &document);
    let (_, mut page) = server.get("/records").await;
    assert!(validator.is_valid(&page));
    page["records"][0]["attempt"] = json!("one");
    assert!(!validator.is_valid(&page));
    page["records"][0]
        .as_object_mut()
        .unwrap()
        .remove("attempt");
    assert!(!validator.is_valid(&page));
    assert!(!validator.is_valid(&json!({"records": []})));
}

#[tokio::test]
async fn every_route_is_documented_with_its_parameters() {
    let server = TestServer::start().await;
    let (_, document) = server.get("/openapi.json").await;
    let operations: Vec<String> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    for expected in [
        "POST /campaigns",
        "POST /campaigns/{id}/start",
        "POST /campaigns/{id}/pause",
        "POST /campaigns/{id}/resume",
        "POST /campaigns/{id}/stop",
        "PUT /campaigns/{id}/numbers",
        "POST /blacklist/{group}",
        "DELETE /blacklist/{group}",
        "PUT /blacklist/{group}/import",
    ] {
        assert!(
            operations.contains(&expected.to_owned()),
            "{expected} in {operations:?}"
        );
    }
    assert_eq!(operations.len(), 21, "{operations:?}");
    let records = &document["paths"]["/records"]["get"]["parameters"];
    let names: Vec<&str> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "campaign",
        "result",
        "level",
        "tag",
        "from",
        "to",
        "min_talk_ms",
        "max_talk_ms",
        "limit",
        "offset",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let result = records
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "result")
        .unwrap();
    assert!(
        result["schema"].to_string().contains("no_answer"),
        "{result}"
    );
    assert!(result["description"].as_str().unwrap().contains("result"));
    let compare = &document["paths"]["/stats/compare"]["get"]["parameters"][0];
    assert_eq!(
        (compare["name"].as_str(), compare["required"].as_bool()),
        (Some("campaigns"), Some(true))
    );
    let healthz = &document["paths"]["/healthz"]["get"];
    assert_eq!(healthz["security"], json!([]));
    let record_id = &document["paths"]["/records/{id}"]["get"]["parameters"][0];
    assert_eq!(record_id["in"], "path");
}
