//! The OpenAPI 3.1 document, built in code. Response and request body schemas come from
//! `schemars` on the very types the handlers serialize and parse, and query parameters from the
//! handlers' query structs, so the document cannot drift from what the API does.

use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

use super::export::{COLUMNS, DEFAULT_COLUMNS};
use super::query::{
    BlacklistImportParams, BlacklistListParams, CompareParams, ExportParams, ImportParams, Page,
    RecordFilter, StatsParams,
};
use super::types::{
    BlacklistChange, BlacklistEntry, BlacklistImportReport, BlacklistRequest, CampaignStats,
    CampaignSummary, Comparison, ErrorBody, Health, RecordDetail, RecordsPage,
};
use crate::campaigns::{CampaignInfo, ImportReport};

/// Where component schemas live in the document.
const COMPONENTS: &str = "/components/schemas";

/// Builds the document: one generator per direction (responses are described as serialized,
/// request bodies as deserialized), sharing the components section.
struct Builder {
    responses: SchemaGenerator,
    requests: SchemaGenerator,
    parameters: SchemaGenerator,
    paths: Map<String, Value>,
}

impl Builder {
    fn new() -> Self {
        let settings = SchemaSettings::draft2020_12().with(|s| {
            s.definitions_path = COMPONENTS.into();
            s.meta_schema = None;
        });
        Self {
            responses: settings.clone().for_serialize().into_generator(),
            requests: settings.clone().for_deserialize().into_generator(),
            parameters: settings
                .with(|s| s.inline_subschemas = true)
                .for_deserialize()
                .into_generator(),
            paths: Map::new(),
        }
    }

    /// A JSON response of type `T`.
    fn json<T: JsonSchema>(&mut self, description: &str) -> Value {
        let schema = self.responses.subschema_for::<T>();
        json!({"description": description, "content": {"application/json": {"schema": schema}}})
    }

    /// A response of another media type (a file or text).
    fn file(description: &str, media_types: &[&str]) -> Value {
        let content: Map<String, Value> = media_types
            .iter()
            .map(|m| {
                let schema = json!({"type": "string", "contentMediaType": m});
                (m.to_string(), json!({"schema": schema}))
            })
            .collect();
        json!({"description": description, "content": content})
    }

    /// A JSON request body of type `T`.
    fn body<T: JsonSchema>(&mut self) -> Value {
        let schema = self.requests.subschema_for::<T>();
        json!({"required": true, "content": {"application/json": {"schema": schema}}})
    }

    /// Query parameters: one per property of `T`'s schema, described by its doc comment.
    fn query<T: JsonSchema>(&mut self) -> Vec<Value> {
        let schema = self.parameters.root_schema_for::<T>();
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return Vec::new();
        };
        properties
            .iter()
            .map(|(name, property)| {
                let mut property = property.clone();
                let description = property
                    .as_object_mut()
                    .and_then(|p| p.remove("description"))
                    .unwrap_or(Value::Null);
                json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(&name.as_str()),
                    "description": description,
                    "schema": without_null(property),
                })
            })
            .collect()
    }

    /// Add an operation; `path` parameters are found in the path itself (`{name}`).
    fn add(&mut self, method: &str, path: &str, mut operation: Value) {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| {
                json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
            })
            .collect();
        // Every caller passes a `json!({...})` object literal.
        let Some(operation_object) = operation.as_object_mut() else {
            return;
        };
        let list = operation_object
            .entry("parameters")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list {
            list.splice(0..0, params);
        }
        let responses = operation_object
            .entry("responses")
            .or_insert_with(|| json!({}));
        let error = self.json::<ErrorBody>("An error: what went wrong, in `error`.");
        if let Value::Object(responses) = responses {
            responses.insert("4XX".into(), error.clone());
            responses.insert("5XX".into(), error);
        }
        let item = self
            .paths
            .entry(path.to_owned())
            .or_insert_with(|| json!({}));
        item[method] = operation;
    }

    fn finish(mut self) -> Value {
        let mut schemas = self.responses.take_definitions(true);
        for (name, schema) in self.requests.take_definitions(true) {
            schemas.entry(name).or_insert(schema);
        }
        json!({
            "openapi": "3.1.0",
            "info": {
                "title": "voxgate API",
                "version": env!("CARGO_PKG_VERSION"),
                "description": "Campaigns, number imports, call records, recordings, \
                    statistics, exports and blacklists of a voxgate engine."
            },
            "paths": self.paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
            },
            "security": [{"bearer": []}]
        })
    }
}

/// A query parameter's schema without the `null` an `Option` adds: an absent parameter is
/// how a query string says "none".
fn without_null(mut schema: Value) -> Value {
    let Some(object) = schema.as_object_mut() else {
        return schema;
    };
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            object.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(variants)) = object.get_mut("enum") {
        variants.retain(|v| !v.is_null());
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = object.get_mut(key) else {
            continue;
        };
        branches.retain(|b| b != &json!({"type": "null"}) && b != &json!({"const": null}));
        if branches.len() == 1 {
            let only = branches.remove(0);
            object.remove(key);
            if let Value::Object(inner) = only {
                object.extend(inner);
            }
        }
    }
    schema
}

/// The API's OpenAPI 3.1 document.
pub(super) fn document() -> Value {
    let mut b = Builder::new();
    let health = b.json::<Health>("The engine is up.");
    b.add(
        "get",
        "/healthz",
        json!({"summary": "Liveness (no token needed)", "security": [], "responses": {"200": health}}),
    );
    let metrics = Builder::file("Prometheus text exposition.", &["text/plain"]);
    b.add(
        "get",
        "/metrics",
        json!({"summary": "Prometheus metrics", "responses": {"200": metrics}}),
    );
    let doc = json!({"description": "This document.", "content": {"application/json": {"schema": {"type": "object"}}}});
    b.add(
        "get",
        "/openapi.json",
        json!({"summary": "The OpenAPI document", "responses": {"200": doc}}),
    );
    campaign_routes(&mut b);
    record_routes(&mut b);
    blacklist_routes(&mut b);
    b.finish()
}

fn campaign_routes(b: &mut Builder) {
    let list = b.json::<Vec<CampaignSummary>>("Every campaign with its status and progress.");
    let loaded = b.json::<CampaignInfo>("The campaign as loaded.");
    let toml = json!({"required": true, "content": {
        "application/toml": {"schema": {"type": "string"}},
        "text/plain": {"schema": {"type": "string"}}}});
    b.add(
        "get",
        "/campaigns",
        json!({"summary": "List campaigns", "responses": {"200": list}}),
    );
    b.add(
        "post",
        "/campaigns",
        json!({"summary": "Load (or reload) a campaign from its TOML text", "requestBody": toml,
            "responses": {"201": loaded}}),
    );
    let one = b.json::<CampaignSummary>("The campaign with its progress.");
    b.add(
        "get",
        "/campaigns/{id}",
        json!({"summary": "One campaign", "responses": {"200": one}}),
    );
    for (action, summary) in [
        ("start", "Start dialling"),
        ("pause", "Pause (calls in progress continue)"),
        ("resume", "Resume after a pause"),
        ("stop", "Stop for good (calls in progress continue)"),
    ] {
        let info = b.json::<CampaignInfo>("The campaign's new state.");
        b.add(
            "post",
            &format!("/campaigns/{{id}}/{action}"),
            json!({"summary": summary, "responses": {"200": info}}),
        );
    }
    let report = b.json::<ImportReport>("What the import did.");
    let params = b.query::<ImportParams>();
    let upload = json!({"required": true, "content": {"application/octet-stream":
        {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}});
    b.add(
        "put",
        "/campaigns/{id}/numbers",
        json!({"summary": "Import a number list (the raw CSV or XLSX file as the body)",
            "parameters": params, "requestBody": upload, "responses": {"200": report}}),
    );
    let stats = b.json::<CampaignStats>("The campaign's statistics.");
    let params = b.query::<StatsParams>();
    b.add(
        "get",
        "/campaigns/{id}/stats",
        json!({"summary": "Statistics of one campaign", "parameters": params,
            "responses": {"200": stats}}),
    );
    let comparison = b.json::<Comparison>("The campaigns side by side.");
    let params = b.query::<CompareParams>();
    b.add(
        "get",
        "/stats/compare",
        json!({"summary": "Compare campaigns (A/B)", "parameters": params,
            "responses": {"200": comparison}}),
    );
}

fn record_routes(b: &mut Builder) {
    let page = b.json::<RecordsPage>("Matching records, newest first.");
    let mut params = b.query::<RecordFilter>();
    params.extend(b.query::<Page>());
    b.add(
        "get",
        "/records",
        json!({"summary": "Query call records", "parameters": params, "responses": {"200": page}}),
    );
    let detail = b.json::<RecordDetail>("The record and its rounds.");
    b.add(
        "get",
        "/records/{id}",
        json!({"summary": "One call record by attempt id or SIP Call-ID, with its rounds",
            "responses": {"200": detail}}),
    );
    let wav = Builder::file(
        "The stereo recording (callee left, bot right).",
        &["audio/wav"],
    );
    b.add(
        "get",
        "/records/{id}/recording",
        json!({"summary": "Download a call's recording", "responses": {"200": wav}}),
    );
    let file = Builder::file(
        "The records as a file (attachment).",
        &[
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ],
    );
    let mut params = b.query::<ExportParams>();
    params.extend(b.query::<RecordFilter>());
    let columns: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
    if let Some(p) = params.iter_mut().find(|p| p["name"] == "columns") {
        let description = format!(
            "{} Default: {}. Columns: {}.",
            p["description"].as_str().unwrap_or_default(),
            DEFAULT_COLUMNS.join(","),
            columns.join(", ")
        );
        p["description"] = Value::String(description);
        p["schema"]["examples"] = json!([DEFAULT_COLUMNS.join(",")]);
    }
    b.add(
        "get",
        "/export",
        json!({"summary": "Export call records to CSV or XLSX", "parameters": params,
            "responses": {"200": file}}),
    );
}

fn blacklist_routes(b: &mut Builder) {
    let entries = b.json::<Vec<BlacklistEntry>>("The group's entries.");
    let csv = Builder::file("The group's entries as CSV", &["text/csv"])["content"].clone();
    let mut listing = entries.clone();
    if let (Some(content), Some(more)) = (listing["content"].as_object_mut(), csv.as_object()) {
        content.extend(more.clone());
    }
    let params = b.query::<BlacklistListParams>();
    b.add(
        "get",
        "/blacklist/{group}",
        json!({"summary": "List (or export) a blacklist group", "parameters": params,
            "responses": {"200": listing}}),
    );
    let changed = b.json::<BlacklistChange>("How many entries changed.");
    let body = b.body::<BlacklistRequest>();
    b.add(
        "post",
        "/blacklist/{group}",
        json!({"summary": "Add numbers to a group", "requestBody": body,
            "responses": {"200": changed.clone()}}),
    );
    let body = b.body::<BlacklistRequest>();
    b.add(
        "delete",
        "/blacklist/{group}",
        json!({"summary": "Remove numbers from a group (`expires_at` is ignored)",
            "requestBody": body, "responses": {"200": changed}}),
    );
    let report = b.json::<BlacklistImportReport>("What the import did.");
    let params = b.query::<BlacklistImportParams>();
    let upload = json!({"required": true, "content": {"application/octet-stream":
        {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}});
    b.add(
        "put",
        "/blacklist/{group}/import",
        json!({"summary": "Import numbers into a group (the raw CSV or XLSX file as the body)",
            "parameters": params, "requestBody": upload, "responses": {"200": report}}),
    );
}
