//! `voxgate campaign ...`: campaign commands through the engine's HTTP API.
//!
//! The API address comes from `--api`, else `$VOXGATE_API`, else `http://127.0.0.1:8080`; the
//! bearer token from the environment variable named by `--token-env` (`VOXGATE_API_TOKEN`).
//! Exit codes: 0 success, 1 the API answered with an error (its message is printed) or a local
//! file could not be read or written, 2 the API could not be reached.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use reqwest::{Method, Url};
use serde_json::Value;

use text::{
    campaign_table, compare_text, import_text, records_table, status_text, str_of, transcript_text,
};

#[cfg(test)]
mod tests;
mod text;

/// The API address when neither `--api` nor `$VOXGATE_API` gives one.
const DEFAULT_API: &str = "http://127.0.0.1:8080";
/// Rejected rows printed after an import.
const REJECTED_SHOWN: usize = 20;

/// `voxgate campaign`: where the API is, and what to do.
#[derive(Debug, Args)]
pub struct CampaignArgs {
    /// The API's base URL (default: $VOXGATE_API, else http://127.0.0.1:8080).
    #[arg(long, global = true)]
    pub api: Option<String>,
    /// The environment variable holding the API's bearer token.
    #[arg(long, global = true, default_value = "VOXGATE_API_TOKEN")]
    pub token_env: String,
    /// What to do.
    #[command(subcommand)]
    pub command: CampaignCommand,
}

/// A campaign command.
#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// List campaigns with their status and progress.
    List,
    /// Load (or reload) a campaign file through the API.
    Load {
        /// The campaign TOML file.
        file: PathBuf,
    },
    /// Start dialling a loaded campaign.
    Start {
        /// Campaign id.
        id: String,
    },
    /// Pause a campaign (calls in progress continue).
    Pause {
        /// Campaign id.
        id: String,
    },
    /// Resume a paused campaign.
    Resume {
        /// Campaign id.
        id: String,
    },
    /// Stop a campaign for good (calls in progress continue).
    Stop {
        /// Campaign id.
        id: String,
    },
    /// Show a campaign's progress and statistics.
    Status {
        /// Campaign id.
        id: String,
    },
    /// Import a number list (CSV or XLSX) into a campaign.
    Import {
        /// Campaign id.
        id: String,
        /// The CSV or XLSX file.
        file: PathBuf,
        /// The phone column's header (default: the first phone-like header).
        #[arg(long)]
        phone_column: Option<String>,
        /// The XLSX sheet (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Shuffle the accepted rows.
        #[arg(long)]
        shuffle: bool,
    },
    /// Show a campaign's call records as a table.
    Records {
        /// Campaign id.
        id: String,
        /// Only this result (e.g. answered, busy, no_answer).
        #[arg(long)]
        result: Option<String>,
        /// Only this intent level (A-F).
        #[arg(long)]
        level: Option<String>,
        /// At most this many records.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show one call turn by turn: what the bot said and what the callee answered.
    Transcript {
        /// The record's attempt id (the first column of `records`).
        record: u64,
    },
    /// Export a campaign's call records to CSV or XLSX.
    Export {
        /// Campaign id.
        id: String,
        /// File format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Columns, comma-separated (default: the API's standard set).
        #[arg(long, value_delimiter = ',')]
        columns: Vec<String>,
        /// Show phone numbers in full (default: middle four digits masked).
        #[arg(long)]
        no_mask: bool,
        /// The file to write.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Compare two or more campaigns side by side (A/B).
    Compare {
        /// Campaign ids; the first is the baseline.
        #[arg(required = true, num_args = 2..)]
        ids: Vec<String>,
    },
}

/// Export file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// UTF-8 CSV with a byte-order mark (opens in Excel).
    Csv,
    /// Excel workbook.
    Xlsx,
}

/// Why a command failed; decides the exit code.
#[derive(Debug, thiserror::Error)]
enum CliError {
    /// The API answered with an error, or a local file failed (exit 1).
    #[error("{0}")]
    Failed(String),
    /// The API could not be reached (exit 2).
    #[error("{0}")]
    Unreachable(String),
}

/// Run a campaign command against the API; prints results to stdout and errors to stderr.
pub async fn run(args: CampaignArgs) -> ExitCode {
    let base = args
        .api
        .or_else(|| std::env::var("VOXGATE_API").ok())
        .unwrap_or_else(|| DEFAULT_API.to_owned());
    let token = std::env::var(&args.token_env).ok();
    let client = match ApiClient::new(&base, token, &args.token_env) {
        Ok(c) => c,
        Err(e) => return report(Err(e)),
    };
    report(execute(&client, args.command, &mut std::io::stdout()).await)
}

/// Print a failure to stderr; the exit code for the outcome.
fn report(outcome: Result<(), CliError>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Failed(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        Err(CliError::Unreachable(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// An HTTP client for the API.
struct ApiClient {
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
    token_env: String,
}

/// A request body: content type and bytes.
type Body = (&'static str, Vec<u8>);

impl ApiClient {
    fn new(base: &str, token: Option<String>, token_env: &str) -> Result<Self, CliError> {
        let base = Url::parse(base)
            .ok()
            .filter(|u| !u.cannot_be_a_base())
            .ok_or_else(|| {
                CliError::Failed(format!(
                    "`{base}` is not an API address like http://127.0.0.1:8080"
                ))
            })?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| CliError::Failed(format!("cannot create the HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            token,
            token_env: token_env.to_owned(),
        })
    }

    /// The URL of `segments` under the base (each segment percent-encoded).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Send a request; a non-2xx answer becomes [`CliError::Failed`] with the API's message.
    async fn send(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<Body>,
    ) -> Result<reqwest::Response, CliError> {
        let url = self.url(segments);
        let mut request = self.http.request(method, url.clone()).query(query);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some((content_type, bytes)) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes);
        }
        let response = request.send().await.map_err(|e| {
            if e.is_connect() || e.is_timeout() {
                CliError::Unreachable(format!(
                    "cannot reach the voxgate API at {} ({e}); start the engine with \
                     `voxgate run --config voxgate.toml` (with an [api] section), or point \
                     --api / $VOXGATE_API at it",
                    self.base
                ))
            } else {
                CliError::Failed(format!("{url}: {e}"))
            }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or(text);
        let mut error = format!("{status}: {message}");
        if status == reqwest::StatusCode::UNAUTHORIZED {
            let _ = write!(
                error,
                " (set ${} to the engine's API token)",
                self.token_env
            );
        }
        Err(CliError::Failed(error))
    }

    /// Send a request and parse the JSON answer.
    async fn json(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<Body>,
    ) -> Result<Value, CliError> {
        let response = self.send(method, segments, query, body).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| CliError::Failed(format!("reading the API's answer: {e}")))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| CliError::Failed(format!("the API's answer is not JSON: {e}")))
    }

    async fn get(&self, segments: &[&str], query: &[(&str, String)]) -> Result<Value, CliError> {
        self.json(Method::GET, segments, query, None).await
    }
}

/// Carry out `command`, writing what it shows to `out`.
async fn execute(
    client: &ApiClient,
    command: CampaignCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let text = match command {
        CampaignCommand::List => campaign_table(&client.get(&["campaigns"], &[]).await?),
        CampaignCommand::Load { file } => {
            let text = read_file(&file)?;
            let body = Some(("application/toml", text));
            let info = client.json(Method::POST, &["campaigns"], &[], body).await?;
            format!(
                "loaded {} ({}, trunk {})\n",
                str_of(&info, "id"),
                str_of(&info, "status"),
                str_of(&info, "trunk")
            )
        }
        CampaignCommand::Start { id } => transition(client, &id, "start").await?,
        CampaignCommand::Pause { id } => transition(client, &id, "pause").await?,
        CampaignCommand::Resume { id } => transition(client, &id, "resume").await?,
        CampaignCommand::Stop { id } => transition(client, &id, "stop").await?,
        CampaignCommand::Status { id } => {
            let campaign = client.get(&["campaigns", &id], &[]).await?;
            let stats = client.get(&["campaigns", &id, "stats"], &[]).await?;
            status_text(&campaign, &stats)
        }
        CampaignCommand::Import {
            id,
            file,
            phone_column,
            sheet,
            shuffle,
        } => {
            let bytes = read_file(&file)?;
            let file_name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut query = vec![("file_name", file_name), ("shuffle", shuffle.to_string())];
            query.extend(phone_column.map(|c| ("phone_column", c)));
            query.extend(sheet.map(|s| ("sheet", s)));
            let body = Some(("application/octet-stream", bytes));
            let report = client
                .json(Method::PUT, &["campaigns", &id, "numbers"], &query, body)
                .await?;
            import_text(&report)
        }
        CampaignCommand::Records {
            id,
            result,
            level,
            limit,
        } => {
            let mut query = vec![("campaign", id), ("limit", limit.to_string())];
            query.extend(result.map(|r| ("result", r)));
            query.extend(level.map(|l| ("level", l)));
            records_table(&client.get(&["records"], &query).await?)
        }
        CampaignCommand::Transcript { record } => {
            transcript_text(&client.get(&["records", &record.to_string()], &[]).await?)
        }
        CampaignCommand::Export {
            id,
            format,
            columns,
            no_mask,
            output,
        } => {
            let format = match format {
                ExportFormat::Csv => "csv",
                ExportFormat::Xlsx => "xlsx",
            };
            let mut query = vec![
                ("campaign", id),
                ("format", format.to_owned()),
                ("mask", (!no_mask).to_string()),
            ];
            if !columns.is_empty() {
                query.push(("columns", columns.join(",")));
            }
            let response = client.send(Method::GET, &["export"], &query, None).await?;
            let rows = response
                .headers()
                .get("x-row-count")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?")
                .to_owned();
            let bytes = response
                .bytes()
                .await
                .map_err(|e| CliError::Failed(format!("reading the export: {e}")))?;
            std::fs::write(&output, &bytes)
                .map_err(|e| CliError::Failed(format!("{}: {e}", output.display())))?;
            format!(
                "wrote {} ({rows} records, {} bytes)\n",
                output.display(),
                bytes.len()
            )
        }
        CampaignCommand::Compare { ids } => {
            let query = [("campaigns", ids.join(","))];
            compare_text(&client.get(&["stats", "compare"], &query).await?)
        }
    };
    out.write_all(text.as_bytes())
        .map_err(|e| CliError::Failed(format!("writing the output: {e}")))
}

async fn transition(client: &ApiClient, id: &str, action: &str) -> Result<String, CliError> {
    let info = client
        .json(Method::POST, &["campaigns", id, action], &[], None)
        .await?;
    let mut line = format!("{}: {}", str_of(&info, "id"), str_of(&info, "status"));
    if let Some(reason) = info.get("reason").and_then(Value::as_str) {
        let _ = write!(line, " ({reason})");
    }
    line.push('\n');
    Ok(line)
}

fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::Failed(format!("{}: {e}", path.display())))
}
