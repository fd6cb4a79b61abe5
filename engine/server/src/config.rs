//! `voxgate.toml`: engine settings, trunks and inbound routes, with errors that point at
//! `file:line:column` and say what was expected.

use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;
use toml::Spanned;
use voxgate_audio::denoise::{SuppressionLevel, SuppressorConfig};
use voxgate_audio::endpointing::{EndpointingConfig, EndpointingOverrides};
use voxgate_sip::Transport;

mod speech;
use speech::RawSpeech;
pub use speech::SpeechSettings;

/// One problem in a configuration file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// Every problem found in a file (never empty).
#[derive(Debug, thiserror::Error)]
pub struct ConfigError(pub Vec<ConfigIssue>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(|i| format!("error: {i}")).collect();
        f.write_str(&lines.join("\n"))
    }
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Engine-wide settings.
    pub engine: EngineSettings,
    /// Trunks in file order.
    pub trunks: Vec<Trunk>,
    /// Inbound routes in file order (first match wins).
    pub routes: Vec<Route>,
    /// The HTTP API, when `[api]` is configured.
    pub api: Option<ApiSettings>,
    /// Campaign files loaded at start (`[campaigns] files = [...]`).
    pub campaigns: Vec<PathBuf>,
    /// Speech recognition and synthesis (`[speech]`).
    pub speech: SpeechSettings,
}

/// The HTTP API (`[api]`).
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Address to serve on.
    pub listen: SocketAddr,
    /// Environment variable holding the bearer token every request must carry.
    pub token_env: String,
}

/// An operator's override of how a SIP final response maps to a call result on one trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultOverride {
    /// The SIP status code, or any.
    pub code: Option<u16>,
    /// The Q.850 cause in the Reason header, or any.
    pub cause: Option<u16>,
    /// The result to record.
    pub result: voxgate_campaign::result::CallResult,
}

/// Engine-wide settings (`[engine]`).
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Address SIP listens on, UDP and TCP.
    pub sip_listen: SocketAddr,
    /// Address put in Via/Contact/SDP (defaults to the listen address).
    pub advertised_ip: IpAddr,
    /// Address RTP sockets bind to.
    pub media_ip: IpAddr,
    /// First and last RTP port (even ports; RTCP uses the next odd one).
    pub rtp_ports: (u16, u16),
    /// Engine-wide limit on concurrent calls.
    pub max_calls: usize,
    /// JSON-lines file that receives one record per finished call.
    pub call_records: PathBuf,
    /// Directory for stereo call recordings.
    pub recordings_dir: PathBuf,
    /// How long running calls may continue after a shutdown request.
    pub shutdown_grace: Duration,
    /// Codec preference, e.g. `["PCMU", "PCMA"]`.
    pub codecs: Vec<voxgate_sip::sdp::AudioCodec>,
    /// SIP timer T1 (RTT estimate; RFC 3261 default 500 ms). Timer B/F are 64 × T1.
    pub sip_t1: Duration,
    /// The Silero VAD model file (checked against its pinned sha256 at start-up).
    pub vad_model: PathBuf,
    /// Noise suppression before the VAD, or `None` when off.
    pub noise_suppression: Option<SuppressorConfig>,
    /// Endpointing defaults for every call (routes override parts of it).
    pub endpointing: EndpointingConfig,
    /// Where compiled plugins are cached (`[engine] plugin_cache`).
    pub plugin_cache: PathBuf,
    /// The SQLite database of campaigns, numbers and call records (`[engine] database`).
    pub database: PathBuf,
    /// Engine-wide limit on new outbound calls per second.
    pub calls_per_second: Option<f64>,
}

/// A dialogue plugin, and the flow file it interprets, named by a route or a test call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialoguePlugin {
    /// The component (`.wasm`; its manifest is the `.toml` beside it).
    pub plugin: PathBuf,
    /// The flow file passed to the plugin with each call, if any. Prompt files it names are
    /// relative to its directory.
    pub flow: Option<PathBuf>,
}

/// How a trunk's peer proves who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrunkAuth {
    /// Only requests from these networks are accepted.
    Ip {
        /// Allowed source networks.
        networks: Vec<IpNet>,
    },
    /// We register to the carrier with digest credentials.
    Register {
        /// Digest username.
        username: String,
        /// Name of the environment variable holding the password.
        password_env: String,
        /// Registrar domain.
        domain: String,
        /// Requested registration lifetime.
        expires: u32,
    },
}

/// A SIP trunk (`[[trunk]]`).
#[derive(Debug, Clone)]
pub struct Trunk {
    /// Unique name.
    pub name: String,
    /// Gateway addresses, tried in order.
    pub gateways: Vec<SocketAddr>,
    /// Signalling transport.
    pub transport: Transport,
    /// Authentication mode.
    pub auth: TrunkAuth,
    /// Prepended to dialled numbers.
    pub dial_prefix: String,
    /// Concurrent calls allowed on this trunk.
    pub max_calls: usize,
    /// User part of our From URI on outbound calls.
    pub caller_id: String,
    /// Cancel outbound calls not answered within this time.
    pub ring_timeout: Duration,
    /// New outbound calls per second allowed on this trunk.
    pub calls_per_second: Option<f64>,
    /// How this carrier's SIP finals map to call results, over the defaults.
    pub result_overrides: Vec<ResultOverride>,
}

impl Trunk {
    /// Networks whose requests this trunk accepts.
    pub fn allowed_networks(&self) -> Vec<IpNet> {
        match &self.auth {
            TrunkAuth::Ip { networks } => networks.clone(),
            TrunkAuth::Register { .. } => {
                self.gateways.iter().map(|g| IpNet::from(g.ip())).collect()
            }
        }
    }
}

/// Digits to collect on an inbound route.
#[derive(Debug, Clone)]
pub struct Collect {
    /// Maximum digits.
    pub max_digits: usize,
    /// Terminator digit.
    pub terminator: Option<char>,
    /// First-digit and inter-digit time-out.
    pub timeout: Duration,
}

/// An inbound route (`[[route]]`).
#[derive(Debug, Clone)]
pub struct Route {
    /// Unique name.
    pub name: String,
    /// Called-number pattern: exact, `prefix*`, or `*`.
    pub number: String,
    /// Only calls from this trunk match, when set.
    pub trunk: Option<String>,
    /// Prompt played after answering.
    pub prompt: Option<PathBuf>,
    /// Digits to collect.
    pub collect: Option<Collect>,
    /// Prompt played before hanging up.
    pub goodbye: Option<PathBuf>,
    /// Whether calls are recorded.
    pub record: bool,
    /// Maximum answered duration.
    pub max_duration: Duration,
    /// Endpointing changes for this route's prompt (`barge_in = false` makes it uninterruptible).
    pub endpointing: EndpointingOverrides,
    /// A looped background sound mixed under the prompts.
    pub background: Option<PathBuf>,
    /// Gain of the background sound in dB (negative: quieter).
    pub background_gain_db: f32,
    /// The dialogue plugin that runs the call instead of prompt/collect/goodbye.
    pub dialogue: Option<DialoguePlugin>,
    /// Played before hanging up when the dialogue plugin fails.
    pub fallback_prompt: Option<PathBuf>,
    /// Variables given to the dialogue (`${name}` in prompt text).
    pub variables: Vec<(String, String)>,
}

impl Route {
    /// Whether a called number matches this route's pattern.
    pub fn matches(&self, called: &str) -> bool {
        match self.number.strip_suffix('*') {
            Some(prefix) => called.starts_with(prefix),
            None => called == self.number,
        }
    }
}

impl Config {
    /// The first route for a called number arriving on a trunk.
    pub fn route_for(&self, called: &str, trunk: Option<&str>) -> Option<&Route> {
        self.routes
            .iter()
            .find(|r| r.matches(called) && (r.trunk.is_none() || r.trunk.as_deref() == trunk))
    }

    /// The trunk whose networks contain `ip`.
    pub fn trunk_for_source(&self, ip: IpAddr) -> Option<&Trunk> {
        self.trunks
            .iter()
            .find(|t| t.allowed_networks().iter().any(|n| n.contains(&ip)))
    }

    /// A trunk by name.
    pub fn trunk(&self, name: &str) -> Option<&Trunk> {
        self.trunks.iter().find(|t| t.name == name)
    }

    /// Read and validate a file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError(vec![ConfigIssue {
                file: path.into(),
                line: 1,
                column: 1,
                message: format!("cannot read file: {e}"),
            }])
        })?;
        Self::parse(path, &text)
    }

    /// Validate `text` as the contents of `path` (relative paths inside resolve against its folder).
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let mut v = Validator {
            file: path,
            text,
            issues: Vec::new(),
        };
        let raw: RawConfig = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                v.issue(span, e.message().to_owned());
                return Err(ConfigError(v.issues));
            }
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let config = v.validate(raw, base);
        if v.issues.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError(v.issues))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    engine: RawEngine,
    #[serde(default, rename = "trunk")]
    trunks: Vec<RawTrunk>,
    #[serde(default, rename = "route")]
    routes: Vec<RawRoute>,
    api: Option<RawApi>,
    campaigns: Option<RawCampaigns>,
    speech: Option<RawSpeech>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCampaigns {
    files: Vec<Spanned<PathBuf>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApi {
    listen: Spanned<String>,
    token_env: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResultOverride {
    code: Option<u16>,
    cause: Option<u16>,
    result: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawEngine {
    sip_listen: Option<Spanned<String>>,
    advertised_address: Option<Spanned<String>>,
    media_address: Option<Spanned<String>>,
    rtp_ports: Option<Spanned<String>>,
    max_calls: Option<usize>,
    call_records: Option<PathBuf>,
    recordings_dir: Option<PathBuf>,
    shutdown_grace_secs: Option<u64>,
    codecs: Option<Vec<Spanned<String>>>,
    sip_t1_ms: Option<Spanned<u64>>,
    vad_model: Option<PathBuf>,
    noise_suppression: Option<Spanned<String>>,
    endpointing: Option<Spanned<EndpointingConfig>>,
    plugin_cache: Option<PathBuf>,
    database: Option<PathBuf>,
    calls_per_second: Option<Spanned<f64>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum RawTransport {
    Udp,
    Tcp,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
enum RawAuthMode {
    Ip,
    Register,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrunk {
    name: Spanned<String>,
    gateways: Spanned<Vec<Spanned<String>>>,
    #[serde(default = "default_transport")]
    transport: RawTransport,
    auth: Spanned<RawAuthMode>,
    #[serde(default)]
    allowed_networks: Vec<Spanned<String>>,
    register: Option<Spanned<RawRegister>>,
    #[serde(default)]
    dial_prefix: String,
    #[serde(default = "default_trunk_calls")]
    max_calls: usize,
    #[serde(default = "default_caller_id")]
    caller_id: String,
    #[serde(default = "default_ring_timeout")]
    ring_timeout_secs: u64,
    calls_per_second: Option<Spanned<f64>>,
    #[serde(default)]
    result_map: Vec<Spanned<RawResultOverride>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegister {
    username: String,
    password_env: Spanned<String>,
    domain: Option<String>,
    #[serde(default = "default_expires")]
    expires: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    name: Spanned<String>,
    number: String,
    trunk: Option<Spanned<String>>,
    prompt: Option<Spanned<PathBuf>>,
    collect: Option<RawCollect>,
    goodbye: Option<Spanned<PathBuf>>,
    #[serde(default)]
    record: bool,
    #[serde(default = "default_max_duration")]
    max_duration_secs: u64,
    #[serde(default)]
    endpointing: EndpointingOverrides,
    background: Option<Spanned<PathBuf>>,
    #[serde(default = "default_background_gain")]
    background_gain_db: f32,
    plugin: Option<Spanned<PathBuf>>,
    flow: Option<Spanned<PathBuf>>,
    fallback_prompt: Option<Spanned<PathBuf>>,
    #[serde(default)]
    variables: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCollect {
    max_digits: usize,
    terminator: Option<Spanned<String>>,
    #[serde(default = "default_digit_timeout")]
    timeout_ms: u64,
}

fn default_transport() -> RawTransport {
    RawTransport::Udp
}
fn default_trunk_calls() -> usize {
    100
}
fn default_caller_id() -> String {
    "voxgate".into()
}
fn default_ring_timeout() -> u64 {
    45
}
fn default_expires() -> u32 {
    300
}
fn default_max_duration() -> u64 {
    300
}
fn default_background_gain() -> f32 {
    -20.0
}
fn default_digit_timeout() -> u64 {
    5000
}

struct Validator<'a> {
    file: &'a Path,
    text: &'a str,
    issues: Vec<ConfigIssue>,
}

impl Validator<'_> {
    fn issue(&mut self, span: Range<usize>, message: String) {
        let before = &self.text[..span.start.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.issues.push(ConfigIssue {
            file: self.file.into(),
            line,
            column,
            message,
        });
    }

    fn socket_addr(
        &mut self,
        value: &Spanned<String>,
        default_port: u16,
        what: &str,
    ) -> Option<SocketAddr> {
        let text = value.get_ref();
        let with_port = if text.parse::<IpAddr>().is_ok() || !text.contains(':') {
            format!(
                "{}:{default_port}",
                text.trim_start_matches('[').trim_end_matches(']')
            )
        } else {
            text.clone()
        };
        let resolved = with_port
            .parse::<SocketAddr>()
            .ok()
            .or_else(|| with_port.to_socket_addrs().ok()?.next());
        if resolved.is_none() {
            self.issue(value.span(), format!("{what}: `{text}` is not an address; expected host[:port], e.g. \"127.0.0.1:5060\""));
        }
        resolved
    }

    fn ip(&mut self, value: &Spanned<String>, what: &str) -> Option<IpAddr> {
        let parsed = value.get_ref().parse().ok();
        if parsed.is_none() {
            self.issue(
                value.span(),
                format!("{what}: `{}` is not an IP address", value.get_ref()),
            );
        }
        parsed
    }

    fn existing_file(&mut self, base: &Path, value: &Spanned<PathBuf>, what: &str) -> PathBuf {
        let path = base.join(value.get_ref());
        if !path.is_file() {
            self.issue(
                value.span(),
                format!("{what}: file `{}` does not exist", path.display()),
            );
        }
        path
    }

    /// A route's (or test call's) `plugin` and `flow`: the plugin must exist; the flow must
    /// exist and pass the flow validator, whose issues are reported in the flow file.
    fn dialogue_plugin(
        &mut self,
        plugin: Option<&Spanned<PathBuf>>,
        flow: Option<&Spanned<PathBuf>>,
        base: &Path,
    ) -> Option<DialoguePlugin> {
        let Some(plugin) = plugin else {
            if let Some(flow) = flow {
                self.issue(flow.span(), "`flow` needs a `plugin` that interprets it, e.g. plugin = \"plugins/dist/flow.wasm\"".into());
            }
            return None;
        };
        let flow = flow.map(|f| {
            let path = self.existing_file(base, f, "flow");
            if path.is_file() {
                self.issues.extend(flow_issues(&path));
            }
            path
        });
        Some(DialoguePlugin {
            plugin: self.existing_file(base, plugin, "plugin"),
            flow,
        })
    }

    fn validate(&mut self, raw: RawConfig, base: &Path) -> Config {
        let engine = self.engine(raw.engine, base);
        let mut trunks: Vec<Trunk> = Vec::new();
        for t in raw.trunks {
            if trunks.iter().any(|o| &o.name == t.name.get_ref()) {
                self.issue(
                    t.name.span(),
                    format!(
                        "trunk `{}` is defined twice; names must be unique",
                        t.name.get_ref()
                    ),
                );
            }
            trunks.push(self.trunk(t));
        }
        let mut routes: Vec<Route> = Vec::new();
        for r in raw.routes {
            if routes.iter().any(|o| &o.name == r.name.get_ref()) {
                self.issue(
                    r.name.span(),
                    format!(
                        "route `{}` is defined twice; names must be unique",
                        r.name.get_ref()
                    ),
                );
            }
            if let Some(trunk) = &r.trunk
                && !trunks.iter().any(|t| &t.name == trunk.get_ref())
            {
                let known: Vec<&str> = trunks.iter().map(|t| t.name.as_str()).collect();
                self.issue(
                    trunk.span(),
                    format!(
                        "unknown trunk `{}`; expected one of: {}",
                        trunk.get_ref(),
                        known.join(", ")
                    ),
                );
            }
            routes.push(self.route(r, base));
        }
        let api = raw.api.map(|a| ApiSettings {
            listen: self
                .socket_addr(&a.listen, 8080, "api listen")
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            token_env: self.env_name(&a.token_env, "token_env"),
        });
        let campaigns = raw
            .campaigns
            .iter()
            .flat_map(|c| &c.files)
            .map(|c| self.existing_file(base, c, "campaign file"))
            .collect();
        let speech = raw.speech.map_or_else(SpeechSettings::default, |s| {
            s.validate(base, |span, message| self.issue(span, message))
        });
        Config {
            engine,
            trunks,
            routes,
            api,
            campaigns,
            speech,
        }
    }

    fn engine(&mut self, raw: RawEngine, base: &Path) -> EngineSettings {
        let sip_listen = match &raw.sip_listen {
            Some(s) => self.socket_addr(s, 5060, "sip_listen"),
            None => None,
        }
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 5060)));
        let advertised_ip = raw
            .advertised_address
            .as_ref()
            .and_then(|a| self.ip(a, "advertised_address"))
            .unwrap_or(sip_listen.ip());
        let media_ip = raw
            .media_address
            .as_ref()
            .and_then(|a| self.ip(a, "media_address"))
            .unwrap_or(sip_listen.ip());
        let rtp_ports = raw
            .rtp_ports
            .as_ref()
            .and_then(|r| self.port_range(r))
            .unwrap_or((20000, 29998));
        let codecs = match raw.codecs {
            None => vec![
                voxgate_sip::sdp::AudioCodec::Pcmu,
                voxgate_sip::sdp::AudioCodec::Pcma,
            ],
            Some(list) => list.iter().filter_map(|c| self.codec(c)).collect(),
        };
        let sip_t1 = match &raw.sip_t1_ms {
            Some(t1) if !(50..=5000).contains(t1.get_ref()) => {
                self.issue(t1.span(), format!("sip_t1_ms: {} is out of range; expected 50 to 5000 (RFC 3261 default: 500)", t1.get_ref()));
                Duration::from_millis(500)
            }
            Some(t1) => Duration::from_millis(*t1.get_ref()),
            None => Duration::from_millis(500),
        };
        let endpointing = match raw.endpointing {
            Some(e) => {
                if let Err(err) = e.get_ref().validate() {
                    self.issue(e.span(), format!("endpointing: {err}"));
                }
                *e.get_ref()
            }
            None => EndpointingConfig::default(),
        };
        let noise_suppression = match &raw.noise_suppression {
            None => Some(SuppressorConfig::default()),
            Some(level) => self.suppression(level),
        };
        EngineSettings {
            vad_model: base.join(
                raw.vad_model
                    .unwrap_or_else(|| "vad-models/silero_vad_op18_ifless.onnx".into()),
            ),
            noise_suppression,
            endpointing,
            sip_t1,
            sip_listen,
            advertised_ip,
            media_ip,
            rtp_ports,
            max_calls: raw.max_calls.unwrap_or(500),
            call_records: base.join(raw.call_records.unwrap_or_else(|| "var/calls.jsonl".into())),
            plugin_cache: base.join(
                raw.plugin_cache
                    .unwrap_or_else(|| "var/plugin-cache".into()),
            ),
            recordings_dir: base.join(
                raw.recordings_dir
                    .unwrap_or_else(|| "var/recordings".into()),
            ),
            shutdown_grace: Duration::from_secs(raw.shutdown_grace_secs.unwrap_or(10)),
            codecs,
            database: base.join(raw.database.unwrap_or_else(|| "var/voxgate.db".into())),
            calls_per_second: raw
                .calls_per_second
                .as_ref()
                .and_then(|c| self.rate(c, "calls_per_second")),
        }
    }

    fn suppression(&mut self, level: &Spanned<String>) -> Option<SuppressorConfig> {
        let level = match level.get_ref().as_str() {
            "off" => return None,
            "low" => SuppressionLevel::Low,
            "moderate" => SuppressionLevel::Moderate,
            "high" => SuppressionLevel::High,
            "very_high" => SuppressionLevel::VeryHigh,
            other => {
                self.issue(level.span(), format!("noise_suppression: `{other}` is not a level; expected \"off\", \"low\", \"moderate\", \"high\" or \"very_high\""));
                return None;
            }
        };
        Some(SuppressorConfig {
            level,
            ..SuppressorConfig::default()
        })
    }

    fn codec(&mut self, name: &Spanned<String>) -> Option<voxgate_sip::sdp::AudioCodec> {
        use voxgate_sip::sdp::AudioCodec;
        match name.get_ref().to_ascii_uppercase().as_str() {
            "PCMU" => Some(AudioCodec::Pcmu),
            "PCMA" => Some(AudioCodec::Pcma),
            "OPUS" => Some(AudioCodec::Opus),
            other => {
                self.issue(
                    name.span(),
                    format!("unknown codec `{other}`; expected \"PCMU\", \"PCMA\" or \"OPUS\""),
                );
                None
            }
        }
    }

    fn port_range(&mut self, value: &Spanned<String>) -> Option<(u16, u16)> {
        let parsed = value.get_ref().split_once('-').and_then(|(a, b)| {
            Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?))
        });
        match parsed {
            Some((lo, hi)) if lo < hi && lo >= 1024 && hi - lo >= 2 => Some((lo, hi)),
            _ => {
                self.issue(value.span(), format!("rtp_ports: `{}` is not a port range; expected \"LOW-HIGH\" above 1023 with room for at least two ports, e.g. \"20000-29999\"", value.get_ref()));
                None
            }
        }
    }

    fn trunk(&mut self, t: RawTrunk) -> Trunk {
        let name = t.name.get_ref().clone();
        let gateway_list = t.gateways.get_ref();
        if gateway_list.is_empty() {
            self.issue(
                t.gateways.span(),
                format!("trunk `{name}`: gateways is empty; expected at least one \"host:port\""),
            );
        }
        let gateways: Vec<SocketAddr> = gateway_list
            .iter()
            .filter_map(|g| self.socket_addr(g, 5060, "gateway"))
            .collect();
        let auth = match *t.auth.get_ref() {
            RawAuthMode::Ip => {
                if t.register.is_some() {
                    self.issue(
                        t.auth.span(),
                        format!(
                            "trunk `{name}`: a [trunk.register] section needs auth = \"register\""
                        ),
                    );
                }
                let mut networks: Vec<IpNet> = Vec::new();
                for n in &t.allowed_networks {
                    let text = n.get_ref();
                    match text.parse::<IpNet>().or_else(|_| text.parse::<IpAddr>().map(IpNet::from)) {
                        Ok(net) => networks.push(net),
                        Err(_) => self.issue(n.span(), format!("`{text}` is not a network; expected an address or CIDR, e.g. \"10.0.0.0/24\"")),
                    }
                }
                if t.allowed_networks.is_empty() {
                    networks = gateways.iter().map(|g| IpNet::from(g.ip())).collect();
                }
                TrunkAuth::Ip { networks }
            }
            RawAuthMode::Register => match t.register {
                None => {
                    self.issue(t.auth.span(), format!("trunk `{name}`: auth = \"register\" needs a [trunk.register] section with username and password_env"));
                    TrunkAuth::Ip {
                        networks: Vec::new(),
                    }
                }
                Some(reg) => {
                    let reg = reg.into_inner();
                    let env = reg.password_env.get_ref();
                    if env.is_empty() || !env.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    {
                        self.issue(reg.password_env.span(), format!("password_env: `{env}` is not an environment variable name; give the NAME of a variable that holds the password, never the password itself"));
                    }
                    let domain = reg.domain.unwrap_or_else(|| {
                        gateways
                            .first()
                            .map(|g| g.ip().to_string())
                            .unwrap_or_default()
                    });
                    TrunkAuth::Register {
                        username: reg.username,
                        password_env: env.clone(),
                        domain,
                        expires: reg.expires,
                    }
                }
            },
        };
        Trunk {
            name,
            gateways,
            transport: match t.transport {
                RawTransport::Udp => Transport::Udp,
                RawTransport::Tcp => Transport::Tcp,
            },
            auth,
            dial_prefix: t.dial_prefix,
            max_calls: t.max_calls,
            caller_id: t.caller_id,
            ring_timeout: Duration::from_secs(t.ring_timeout_secs),
            calls_per_second: t
                .calls_per_second
                .as_ref()
                .and_then(|c| self.rate(c, "calls_per_second")),
            result_overrides: t
                .result_map
                .iter()
                .filter_map(|r| self.result_override(r))
                .collect(),
        }
    }

    /// A calls-per-second limit: above 0, at most 1000.
    fn rate(&mut self, value: &Spanned<f64>, what: &str) -> Option<f64> {
        let v = *value.get_ref();
        if v > 0.0 && v <= 1000.0 {
            Some(v)
        } else {
            self.issue(
                value.span(),
                format!("{what}: {v} is out of range; expected a number above 0 and at most 1000"),
            );
            None
        }
    }

    /// The NAME of an environment variable (never a secret itself).
    fn env_name(&mut self, value: &Spanned<String>, what: &str) -> String {
        let env = value.get_ref();
        if env.is_empty() || !env.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.issue(value.span(), format!("{what}: `{env}` is not an environment variable name; give the NAME of a variable that holds the secret, never the secret itself"));
        }
        env.clone()
    }

    fn result_override(&mut self, raw: &Spanned<RawResultOverride>) -> Option<ResultOverride> {
        let r = raw.get_ref();
        if r.code.is_none() && r.cause.is_none() {
            self.issue(
                raw.span(),
                "a result_map entry needs `code` (SIP status), `cause` (Q.850) or both".into(),
            );
            return None;
        }
        if let Some(code) = r.code
            && !(300..=699).contains(&code)
        {
            self.issue(
                raw.span(),
                format!("code {code}: expected a SIP final failure status, 300-699"),
            );
        }
        match r.result.get_ref().parse() {
            Ok(result) => Some(ResultOverride {
                code: r.code,
                cause: r.cause,
                result,
            }),
            Err(e) => {
                self.issue(r.result.span(), e.to_string());
                None
            }
        }
    }

    fn route(&mut self, r: RawRoute, base: &Path) -> Route {
        let prompt = r
            .prompt
            .as_ref()
            .map(|p| self.existing_file(base, p, "prompt"));
        let goodbye = r
            .goodbye
            .as_ref()
            .map(|p| self.existing_file(base, p, "goodbye"));
        let background = r
            .background
            .as_ref()
            .map(|p| self.existing_file(base, p, "background"));
        let collect = r.collect.map(|c| {
            let terminator = c.terminator.as_ref().and_then(|t| {
                let mut chars = t.get_ref().chars();
                match (chars.next(), chars.next()) {
                    (Some(d), None) if "0123456789*#ABCD".contains(d) => Some(d),
                    _ => {
                        self.issue(t.span(), format!("terminator: `{}` is not one DTMF digit; expected one of 0-9 * # A-D", t.get_ref()));
                        None
                    }
                }
            });
            Collect { max_digits: c.max_digits, terminator, timeout: Duration::from_millis(c.timeout_ms) }
        });
        let dialogue = self.dialogue_plugin(r.plugin.as_ref(), r.flow.as_ref(), base);
        if let Some(plugin) = &r.plugin
            && (prompt.is_some() || collect.is_some() || goodbye.is_some())
        {
            self.issue(
                plugin.span(),
                "a route runs either a dialogue `plugin` or `prompt`/`collect`/`goodbye`, not both"
                    .into(),
            );
        }
        let fallback_prompt = r
            .fallback_prompt
            .as_ref()
            .map(|p| self.existing_file(base, p, "fallback_prompt"));
        let variables = r
            .variables
            .into_iter()
            .map(|(name, value)| {
                let value = match value {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                };
                (name, value)
            })
            .collect();
        Route {
            dialogue,
            fallback_prompt,
            variables,
            name: r.name.into_inner(),
            number: r.number,
            trunk: r.trunk.map(Spanned::into_inner),
            prompt,
            collect,
            goodbye,
            record: r.record,
            max_duration: Duration::from_secs(r.max_duration_secs),
            endpointing: r.endpointing,
            background,
            background_gain_db: r.background_gain_db,
        }
    }
}

/// Whether `path` holds a flow file (a `[flow]` table) rather than an engine configuration.
pub fn is_flow_file(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .is_some_and(|table| table.contains_key("flow"))
}

/// Whether `path` is a campaign file (it names a trunk and call windows) rather than an
/// engine configuration. A file that does not parse is not one: the config check reports it.
pub fn is_campaign_file(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .is_some_and(|table| table.contains_key("trunk") && table.contains_key("windows"))
}

/// Whether `path` looks like a sim-carrier persona file (a `[carrier]` table or `[[persona]]`
/// entries).
pub fn is_persona_file(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .is_some_and(|table| table.contains_key("carrier") || table.contains_key("persona"))
}

/// Every problem in a flow file, located in that file (empty when it is valid).
pub fn flow_issues(path: &Path) -> Vec<ConfigIssue> {
    let issue = |line, column, message| ConfigIssue {
        file: path.into(),
        line,
        column,
        message,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return vec![issue(1, 1, format!("cannot read flow file: {e}"))],
    };
    match voxgate_flow::Flow::parse(&text, &path.display().to_string()) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .0
            .into_iter()
            .map(|i| issue(i.line, i.column, i.message))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/nowhere/voxgate.toml"), text)
    }

    fn issues(text: &str) -> Vec<String> {
        parse(text)
            .expect_err("config should be rejected")
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    const TRUNK: &str = "[[trunk]]\nname = \"a\"\ngateways = [\"127.0.0.1:5080\"]\nauth = \"ip\"\n";

    #[test]
    fn example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/voxgate.toml");
        let config = Config::load(&path).expect("examples/voxgate.toml is valid");
        assert_eq!(config.trunks.len(), 1);
        assert_eq!(
            config
                .route_for("1000", Some("local-carrier"))
                .map(|r| r.name.as_str()),
            Some("ivr")
        );
        assert_eq!(
            config.route_for("555", None).map(|r| r.name.as_str()),
            Some("default")
        );
        assert_eq!(
            config
                .trunk_for_source("127.0.0.9".parse().unwrap())
                .map(|t| t.name.as_str()),
            Some("local-carrier")
        );
        assert!(
            config
                .trunk_for_source("10.0.0.1".parse().unwrap())
                .is_none()
        );
    }

    #[test]
    fn syntax_errors_point_at_line_and_column() {
        let found = issues("[engine]\nmax_calls = 10\nsip_listen = 127.0.0.1\n");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("/nowhere/voxgate.toml:3:"),
            "{found:?}"
        );
        let found = issues("[engine]\n\nmax_calls = \"ten\"\n");
        assert!(
            found[0].starts_with("/nowhere/voxgate.toml:3:13: "),
            "{found:?}"
        );
        assert!(found[0].contains("expected usize"), "{found:?}");
    }

    #[test]
    fn unknown_keys_are_named_with_the_expected_ones() {
        let found = issues(&format!("{TRUNK}gatways = []\n"));
        assert!(
            found[0].starts_with("/nowhere/voxgate.toml:5:1: "),
            "{found:?}"
        );
        assert!(
            found[0].contains("gatways") && found[0].contains("expected"),
            "{found:?}"
        );
    }

    #[test]
    fn every_semantic_error_is_reported_with_its_place() {
        let text = format!(
            "[engine]\nrtp_ports = \"30000-20000\"\ncodecs = [\"G729\"]\n{TRUNK}allowed_networks = [\"10.0.0.0/33\"]\n\n[[trunk]]\nname = \"a\"\ngateways = [\"not an address\"]\nauth = \"register\"\n\n[[route]]\nname = \"r\"\nnumber = \"*\"\ntrunk = \"b\"\nprompt = \"missing.wav\"\ncollect = {{ max_digits = 4, terminator = \"##\" }}\n"
        );
        let found = issues(&text);
        let expect = [
            ":2:13: rtp_ports",
            ":3:11: unknown codec `G729`",
            ":8:21: `10.0.0.0/33` is not a network",
            ":11:8: trunk `a` is defined twice",
            ":12:13: gateway: `not an address`",
            ":13:8: trunk `a`: auth = \"register\" needs a [trunk.register] section",
            ":18:9: unknown trunk `b`",
            ":19:10: prompt: file `/nowhere/missing.wav` does not exist",
            ":20:42: terminator: `##` is not one DTMF digit",
        ];
        assert_eq!(found.len(), expect.len(), "{found:#?}");
        for (issue, want) in found.iter().zip(expect) {
            assert!(issue.contains(want), "expected {want:?} in {issue:?}");
        }
    }

    #[test]
    fn passwords_are_referenced_never_inline() {
        let text = "[[trunk]]\nname = \"b\"\ngateways = [\"127.0.0.1\"]\nauth = \"register\"\n[trunk.register]\nusername = \"u\"\npassword_env = \"s3cret!\"\n";
        let found = issues(text);
        assert!(
            found[0].contains(":7:16: password_env: `s3cret!` is not an environment variable name"),
            "{found:?}"
        );
        let ok = parse(&text.replace("s3cret!", "CARRIER_B_PASSWORD")).expect("valid");
        let trunk = &ok.trunks[0];
        assert_eq!(trunk.gateways[0].port(), 5060, "default SIP port");
        assert!(
            matches!(&trunk.auth, TrunkAuth::Register { password_env, expires: 300, .. } if password_env == "CARRIER_B_PASSWORD")
        );
        assert_eq!(
            trunk.allowed_networks(),
            vec!["127.0.0.1/32".parse::<IpNet>().unwrap()]
        );
    }

    #[test]
    fn route_patterns() {
        let route = |number: &str| Route {
            name: "r".into(),
            number: number.into(),
            trunk: None,
            prompt: None,
            collect: None,
            goodbye: None,
            record: false,
            max_duration: Duration::from_secs(1),
            endpointing: EndpointingOverrides::default(),
            background: None,
            background_gain_db: -20.0,
            dialogue: None,
            fallback_prompt: None,
            variables: Vec::new(),
        };
        assert!(route("1000").matches("1000"));
        assert!(!route("1000").matches("10000"));
        assert!(route("400*").matches("4001234"));
        assert!(!route("400*").matches("500"));
        assert!(route("*").matches(""));
    }

    #[test]
    fn plugin_routes_are_checked_with_the_flow_they_name() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let dir = std::env::temp_dir().join(format!("voxgate-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plugin = dir.join("bot.wasm");
        std::fs::write(&plugin, b"not checked here").unwrap();
        let bad_flow = dir.join("bad-flow.toml");
        std::fs::write(&bad_flow, "[flow]\nname = \"x\"\nstart = \"missing\"\n").unwrap();
        let good_flow = root.join("examples/flows/dtmf-survey.toml");
        let text = |flow: &Path, extra: &str| {
            format!(
                "{TRUNK}[[route]]\nname = \"bot\"\nnumber = \"*\"\nplugin = \"{}\"\nflow = \"{}\"\nvariables = {{ name = \"Ann\", age = 40 }}\n{extra}",
                plugin.display(),
                flow.display()
            )
        };
        let config = parse(&text(&good_flow, "")).expect("valid");
        let route = &config.routes[0];
        assert_eq!(route.dialogue.as_ref().map(|d| &d.plugin), Some(&plugin));
        assert_eq!(
            route.variables,
            [("age".into(), "40".into()), ("name".into(), "Ann".into())]
        );

        let found = issues(&text(&bad_flow, ""));
        assert!(
            found
                .iter()
                .any(|i| i.starts_with(&format!("{}:", bad_flow.display()))),
            "flow problems are reported in the flow file: {found:?}"
        );
        let found = issues(&text(&good_flow, "prompt = \"x.wav\"\n"));
        assert!(
            found
                .iter()
                .any(|i| i.contains("either a dialogue `plugin`")),
            "{found:?}"
        );
        let found = issues(&format!(
            "{TRUNK}[[route]]\nname = \"r\"\nnumber = \"*\"\nflow = \"{}\"\n",
            good_flow.display()
        ));
        assert!(
            found.iter().any(|i| i.contains("needs a `plugin`")),
            "{found:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
