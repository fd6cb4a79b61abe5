//! The engine loop: owns the SIP endpoint and every call, turns endpoint events into call
//! signals, call actions into SIP commands and media commands, and writes the record of each
//! finished call. One task; media runs in per-call tasks.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;
use voxgate_audio::AudioError;
use voxgate_audio::denoise::{NoiseSuppressor, WebRtcSuppressor};
use voxgate_audio::endpointing::EndpointingOverrides;
use voxgate_audio::front_end::{FrontEndConfig, VoiceFrontEnd};
use voxgate_audio::mixer::BackgroundMixer;
use voxgate_audio::playback::PromptLibrary;
use voxgate_audio::vad::{SILERO_VAD_MODEL_SHA256, SileroModel, SileroVad};
use voxgate_call::{
    Action, BotEvent, Call, CallRecord, CallSetup, Dialogue, DigitCollection, Direction,
    MediaInput, Script, Signal, WallClock,
};
use voxgate_plugin_host::{HostConfig, PluginError, PluginHost};
use voxgate_rtp::PortAllocator;
use voxgate_sip::digest::Credentials;
use voxgate_sip::sdp::{self, LocalMedia, NegotiatedMedia, SessionDescription};
use voxgate_sip::{
    CallHandle, Endpoint, EndpointConfig, Event, OutgoingInvite, RegistrationConfig,
};

use crate::config::{Config, DialoguePlugin, Route, Trunk, TrunkAuth};
use crate::dialogue::{self, CallContext, DialogueReport};
use crate::http::HttpClient;
use crate::media::{self, MediaClosed, MediaCommand, MediaReport, PlayPieces};
use crate::recording::RecordingWriter;
use crate::records::RecordLog;
use crate::sip_io::{Inbound, SipIo};
use crate::speech::SpeechProviders;
use voxgate_campaign::spec::Speech as CallSpeech;

/// How long after the grace period calls still tearing down may take before we exit anyway.
const TEARDOWN_AFTER_GRACE: Duration = Duration::from_secs(5);
/// Attempts at binding an RTP port pair before giving up on a call.
const PORT_ATTEMPTS: usize = 8;

/// Errors that stop the engine or refuse an outbound call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// A socket could not be opened.
    #[error("{what}: {source}")]
    Io {
        /// What we were doing.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A trunk's password variable is not set.
    #[error("trunk `{trunk}`: environment variable {variable} (password_env) is not set")]
    MissingSecret {
        /// Trunk name.
        trunk: String,
        /// Variable name.
        variable: String,
    },
    /// No RTP port could be bound.
    #[error("no free RTP port pair in the configured range")]
    NoMediaPort,
    /// A prompt, the VAD model or a voice component could not be loaded.
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// The VAD model file is missing or is not the pinned one.
    #[error("VAD model: {0} (run scripts/bootstrap, or vad-models/fetch, to install it)")]
    VadModel(String),
    /// A dialogue plugin could not be loaded or started.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// A speech provider could not be started (a missing Whisper model, a bad setting).
    #[error("{0} (scripts/bootstrap installs the Whisper models)")]
    Speech(String),
}

/// What runs an outbound test call.
pub enum CallDialogue {
    /// Play this prompt, then hang up.
    Prompt(PathBuf),
    /// A dialogue plugin (and its flow file).
    Plugin(DialoguePlugin),
}

/// One outbound call to place.
pub struct DialRequest {
    /// The trunk to call through.
    pub trunk: Trunk,
    /// The number to dial (the trunk's prefix is added).
    pub number: String,
    /// Caller ID to show instead of the trunk's.
    pub caller_id: Option<String>,
    /// What runs the call.
    pub dialogue: CallDialogue,
    /// Record the call to this stereo WAV file.
    pub recording: Option<PathBuf>,
    /// Ring time-out instead of the trunk's.
    pub ring_timeout: Option<Duration>,
    /// Prompt variables for the dialogue (number-list columns, campaign defaults).
    pub variables: Vec<(String, String)>,
    /// Background sound mixed under the bot and its gain in dB.
    pub background: Option<(PathBuf, f32)>,
    /// The campaign attempt id, reported back with the record when the call ends.
    pub attempt: Option<u64>,
    /// Language, hot words and voice for the call's speech providers.
    pub speech: CallSpeech,
}

impl DialRequest {
    /// A plain test call: trunk defaults, no recording, no variables.
    pub fn new(trunk: Trunk, number: String, dialogue: CallDialogue) -> Self {
        Self {
            trunk,
            number,
            caller_id: None,
            dialogue,
            recording: None,
            ring_timeout: None,
            variables: Vec::new(),
            speech: CallSpeech::default(),
            background: None,
            attempt: None,
        }
    }
}

/// Why a campaign call was not placed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DialError {
    /// The engine is shutting down.
    #[error("the engine is shutting down")]
    ShuttingDown,
    /// The call could not be set up.
    #[error("{0}")]
    Failed(String),
}

/// The end of a campaign call.
#[derive(Debug)]
pub struct CallEnded {
    /// The attempt id from the request.
    pub attempt: u64,
    /// The call's record, when a call was placed.
    pub record: Option<Box<CallRecord>>,
    /// Why no call was placed.
    pub error: Option<DialError>,
}

/// A campaign service's end of the engine: send dial requests, receive call ends.
pub struct CampaignLink {
    /// Dial requests into the engine loop.
    pub requests: mpsc::UnboundedSender<DialRequest>,
    /// Ends of the calls those requests placed (or could not place).
    pub ended: mpsc::UnboundedReceiver<CallEnded>,
}

struct ActiveCall {
    call: Call,
    trunk: Option<String>,
    rtp_port: Option<u16>,
    /// Sockets bound for the call, waiting for the negotiated stream.
    sockets: Option<(tokio::net::UdpSocket, tokio::net::UdpSocket)>,
    /// Our offer (outbound), to read the answer against.
    offer: Option<SessionDescription>,
    /// Our answer (inbound), sent with the 200.
    answer: Option<Vec<u8>>,
    negotiated: Option<NegotiatedMedia>,
    media: Option<mpsc::UnboundedSender<MediaCommand>>,
    recording: Option<PathBuf>,
    /// Endpointing changes of the route for its prompts.
    endpointing: EndpointingOverrides,
    /// Background sound and its gain in dB.
    background: Option<(PathBuf, f32)>,
    /// The call's dialogue plugin task, if a plugin runs the call.
    dialogue: Option<mpsc::UnboundedSender<BotEvent>>,
    /// Prompt ids of the dialogue resolve against this folder (the flow's or the plugin's).
    prompt_base: PathBuf,
    /// The call ended and its media is closing.
    closing: bool,
    /// Waiting for the media loop's statistics before writing the record.
    media_pending: bool,
    /// What the media loop left, once it closed.
    media_closed: Option<MediaClosed>,
    /// Waiting for the plugin's answer to the hang-up before writing the record.
    dialogue_pending: bool,
    /// The record is written by then whatever is still pending.
    write_by: Option<Instant>,
    /// The campaign attempt this call is, if a campaign placed it.
    attempt: Option<u64>,
    /// The call's speech settings.
    speech: CallSpeech,
}

impl ActiveCall {
    fn new(call: Call, trunk: Option<String>, port: u16, sockets: MediaSockets) -> Self {
        Self {
            call,
            trunk,
            rtp_port: Some(port),
            sockets: Some(sockets),
            offer: None,
            answer: None,
            negotiated: None,
            media: None,
            recording: None,
            endpointing: EndpointingOverrides::NONE,
            background: None,
            dialogue: None,
            prompt_base: PathBuf::new(),
            closing: false,
            media_pending: false,
            media_closed: None,
            dialogue_pending: false,
            write_by: None,
            attempt: None,
            speech: CallSpeech::default(),
        }
    }
}

type MediaSockets = (tokio::net::UdpSocket, tokio::net::UdpSocket);

/// A started plugin task, to attach to the call it was started for.
struct PluginLink {
    events: mpsc::UnboundedSender<BotEvent>,
    plugin: DialoguePlugin,
}

impl PluginLink {
    fn attach(self, active: &mut ActiveCall, variables: &[(String, String)]) {
        let base = self.plugin.flow.as_ref().unwrap_or(&self.plugin.plugin);
        active.prompt_base = base.parent().map(PathBuf::from).unwrap_or_default();
        active.dialogue = Some(self.events);
        let record = active.call.record_mut();
        record.dialogue = Some(self.plugin.plugin.display().to_string());
        record.variables = variables.iter().cloned().collect();
    }
}

/// Longest wait, after a call ended, for its media statistics and its plugin's last answer.
const RECORD_WAIT: Duration = Duration::from_secs(5);

/// What the engine loop is doing with new work.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Serving,
    /// Refusing new calls; running calls may finish until the instant given.
    Draining {
        grace_until: Instant,
    },
}

/// The engine: SIP endpoint, calls, media tasks.
pub struct Engine {
    config: Arc<Config>,
    endpoint: Endpoint,
    sip: SipIo,
    sip_rx: mpsc::Receiver<Inbound>,
    reports_tx: mpsc::UnboundedSender<MediaReport>,
    reports_rx: mpsc::UnboundedReceiver<MediaReport>,
    dialogue_tx: mpsc::UnboundedSender<DialogueReport>,
    dialogue_rx: mpsc::UnboundedReceiver<DialogueReport>,
    plugins: PluginHost,
    http: HttpClient,
    calls: HashMap<CallHandle, ActiveCall>,
    ports: PortAllocator,
    prompts: PromptLibrary,
    vad_model: Arc<SileroModel>,
    recordings: RecordingWriter,
    records: RecordLog,
    finished: Vec<CallRecord>,
    /// Calls fed an input since their actions were last drained.
    touched: Vec<CallHandle>,
    mode: Mode,
    rejected_requests: u64,
    local_addr: SocketAddr,
    /// Dial requests from the campaign service, once linked.
    dial_requests: Option<mpsc::UnboundedReceiver<DialRequest>>,
    /// Where ends of campaign calls go.
    ended_tx: Option<mpsc::UnboundedSender<CallEnded>>,
    /// Keep finished records to return from `run` (a test call), not for a long-running engine.
    keep_records: bool,
    /// The recogniser and synthesiser.
    speech: SpeechProviders,
}

impl Engine {
    /// Open the SIP sockets on `listen` (the config's address for `run`, an ephemeral one for
    /// `call`) and the record log.
    pub async fn start(config: Arc<Config>, listen: SocketAddr) -> Result<Self, EngineError> {
        let tcp = true;
        let (sip, sip_rx, bound) =
            SipIo::bind(listen, tcp)
                .await
                .map_err(|source| EngineError::Io {
                    what: format!("cannot listen for SIP on {listen}"),
                    source,
                })?;
        let local_addr = SocketAddr::new(config.engine.advertised_ip, bound.port());
        let endpoint = Endpoint::new(EndpointConfig {
            local_addr,
            user_agent: format!("voxgate/{}", env!("CARGO_PKG_VERSION")),
            allowed_sources: config
                .trunks
                .iter()
                .flat_map(Trunk::allowed_networks)
                .collect(),
            seed: rand::random(),
            t1: config.engine.sip_t1,
            ..EndpointConfig::default()
        });
        let (lo, hi) = config.engine.rtp_ports;
        let ports = PortAllocator::new(lo..=hi).map_err(|e| EngineError::Io {
            what: "rtp_ports".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let records =
            RecordLog::open(&config.engine.call_records).map_err(|source| EngineError::Io {
                what: format!(
                    "cannot open call records {}",
                    config.engine.call_records.display()
                ),
                source,
            })?;
        let vad_model = SileroModel::load(&config.engine.vad_model, SILERO_VAD_MODEL_SHA256)
            .map_err(|e| EngineError::VadModel(e.to_string()))?;
        let (reports_tx, reports_rx) = mpsc::unbounded_channel();
        let (dialogue_tx, dialogue_rx) = mpsc::unbounded_channel();
        let plugins = PluginHost::new(HostConfig {
            cache_dir: Some(config.engine.plugin_cache.clone()),
            max_instances: u32::try_from(config.engine.max_calls)
                .unwrap_or(u32::MAX)
                .max(1),
            ..HostConfig::default()
        })?;
        let speech = SpeechProviders::start(&config.speech).map_err(EngineError::Speech)?;
        Ok(Self {
            dialogue_tx,
            dialogue_rx,
            plugins,
            http: HttpClient::new(),
            config,
            endpoint,
            sip,
            sip_rx,
            reports_tx,
            reports_rx,
            calls: HashMap::new(),
            ports,
            prompts: PromptLibrary::new(),
            vad_model,
            recordings: RecordingWriter::start().map_err(|source| EngineError::Io {
                what: "cannot start the recording writer".into(),
                source,
            })?,
            records,
            finished: Vec::new(),
            touched: Vec::new(),
            mode: Mode::Serving,
            rejected_requests: 0,
            local_addr,
            dial_requests: None,
            ended_tx: None,
            keep_records: false,
            speech,
        })
    }

    /// The plugin host (shared: post-call jobs run on it too; its fault counts feed metrics).
    pub fn plugin_host(&self) -> PluginHost {
        self.plugins.clone()
    }

    /// The address SIP is served on (UDP and TCP).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Decode every route's prompts and background sounds, and compile every route's dialogue
    /// plugin, now, so a bad file stops the start.
    pub fn preload(&mut self) -> Result<(), EngineError> {
        for route in self.config.routes.clone() {
            if let Some(dialogue) = &route.dialogue {
                self.plugins.plugin(&dialogue.plugin)?;
            }
            for path in route
                .prompt
                .iter()
                .chain(&route.goodbye)
                .chain(&route.background)
                .chain(&route.fallback_prompt)
            {
                self.prompts.load_file(path)?;
            }
        }
        Ok(())
    }

    /// Register every trunk that uses `auth = "register"`.
    pub fn register_trunks(&mut self) -> Result<(), EngineError> {
        let now = Instant::now();
        for trunk in self.config.trunks.clone() {
            if let TrunkAuth::Register {
                username,
                password_env,
                domain,
                expires,
            } = &trunk.auth
            {
                let password = secret(&trunk.name, password_env)?;
                let Some(registrar) = trunk.gateways.first().copied() else {
                    continue;
                };
                self.endpoint.register(
                    now,
                    RegistrationConfig {
                        registrar,
                        transport: trunk.transport,
                        domain: domain.clone(),
                        credentials: Credentials {
                            username: username.clone(),
                            password,
                        },
                        expires: *expires,
                    },
                );
            }
        }
        self.flush(now);
        Ok(())
    }

    /// Place one outbound call as `request` says.
    pub fn dial(&mut self, request: DialRequest) -> Result<CallHandle, EngineError> {
        let DialRequest {
            trunk,
            number,
            caller_id,
            dialogue,
            recording,
            ring_timeout,
            variables,
            background,
            attempt,
            speech,
        } = request;
        let now = Instant::now();
        if let CallDialogue::Prompt(prompt) = &dialogue {
            self.prompts.load_file(prompt)?;
        }
        if let Some((file, _)) = &background {
            self.prompts.load_file(file)?;
        }
        let gateway = *trunk.gateways.first().ok_or(EngineError::NoMediaPort)?;
        let (port, sockets) = self.bind_media_port()?;
        let offer = sdp::create_offer(&self.local_media(port));
        let target = format!("sip:{}{}@{}", trunk.dial_prefix, number, gateway);
        let credentials = match &trunk.auth {
            TrunkAuth::Register {
                username,
                password_env,
                ..
            } => Some(Credentials {
                username: username.clone(),
                password: secret(&trunk.name, password_env)?,
            }),
            TrunkAuth::Ip { .. } => None,
        };
        let from = caller_id.unwrap_or_else(|| trunk.caller_id.clone());
        let handle = self.endpoint.invite(
            now,
            OutgoingInvite {
                destination: gateway,
                transport: trunk.transport,
                request_uri: target.clone(),
                from_uri: format!("sip:{}@{}", from, self.local_addr),
                from_display: None,
                to_uri: target.clone(),
                sdp: offer.to_string().into_bytes(),
                credentials,
                extra_headers: Vec::new(),
            },
        );
        let setup = CallSetup {
            call_id: self.endpoint.call_id(handle).unwrap_or_default().to_owned(),
            direction: Direction::Outbound,
            trunk: Some(trunk.name.clone()),
            route: None,
            from,
            to: number,
            remote_address: Some(gateway.to_string()),
            ring_timeout: Some(ring_timeout.unwrap_or(trunk.ring_timeout)),
            recording: recording.as_ref().map(|p| p.display().to_string()),
            max_duration: Duration::from_secs(300),
            fallback_prompt: None,
        };
        let (kind, plugin) = match dialogue {
            CallDialogue::Prompt(prompt) => {
                let script = Script {
                    prompt: Some(prompt.display().to_string()),
                    collect: None,
                    goodbye: None,
                };
                (Dialogue::Script(script), None)
            }
            CallDialogue::Plugin(plugin) => {
                match self.start_plugin(handle, &setup, &plugin, &variables) {
                    Ok(link) => (Dialogue::Plugin, Some(link)),
                    Err(e) => {
                        self.ports.release(port);
                        let _ = self.endpoint.cancel(now, handle);
                        return Err(e);
                    }
                }
            }
        };
        let call = Call::outbound(now, wall_clock(now), setup, kind);
        let mut active = ActiveCall::new(call, Some(trunk.name.clone()), port, sockets);
        if let Some(link) = plugin {
            link.attach(&mut active, &variables);
        }
        active.offer = Some(offer);
        active.recording = recording;
        active.background = background;
        active.attempt = attempt;
        active.speech = speech;
        self.calls.insert(handle, active);
        self.touched.push(handle);
        self.flush(now);
        Ok(handle)
    }

    /// Take outbound calls from a campaign service: returns where to send requests and where
    /// the ends of those calls are reported.
    pub fn campaign_link(&mut self) -> CampaignLink {
        let (requests_tx, requests_rx) = mpsc::unbounded_channel();
        let (ended_tx, ended_rx) = mpsc::unbounded_channel();
        self.dial_requests = Some(requests_rx);
        self.ended_tx = Some(ended_tx);
        CampaignLink {
            requests: requests_tx,
            ended: ended_rx,
        }
    }

    /// A campaign asked for a call: place it, or report at once why it could not be placed.
    fn on_dial_request(&mut self, request: DialRequest) {
        let attempt = request.attempt;
        let error = if matches!(self.mode, Mode::Draining { .. }) {
            Some(DialError::ShuttingDown)
        } else if self.calls.len() >= self.config.engine.max_calls {
            Some(DialError::Failed("engine call limit reached".into()))
        } else {
            self.dial(request)
                .err()
                .map(|e| DialError::Failed(e.to_string()))
        };
        if let (Some(error), Some(attempt), Some(tx)) = (error, attempt, &self.ended_tx) {
            tracing::warn!(attempt, "campaign call not placed: {error}");
            let _ = tx.send(CallEnded {
                attempt,
                record: None,
                error: Some(error),
            });
        }
    }

    /// Start the plugin task of a call about to be created.
    fn start_plugin(
        &self,
        handle: CallHandle,
        setup: &CallSetup,
        plugin: &DialoguePlugin,
        variables: &[(String, String)],
    ) -> Result<PluginLink, EngineError> {
        let info = dialogue::call_info(
            &setup.call_id,
            setup.direction == Direction::Inbound,
            setup.route.as_deref(),
            setup.trunk.as_deref(),
            &setup.to,
            &setup.from,
            variables,
        );
        let context = CallContext {
            plugin: plugin.plugin.clone(),
            flow: plugin.flow.clone(),
            info,
        };
        let events = dialogue::start(
            &self.plugins,
            self.http.clone(),
            handle,
            context,
            self.dialogue_tx.clone(),
        )?;
        Ok(PluginLink {
            events,
            plugin: plugin.clone(),
        })
    }

    /// Run until `stop` resolves and running calls have ended (or the grace period is over),
    /// or, with `until_idle`, until no call is left. With `until_idle` (a test call) returns the
    /// records written; a long-running engine keeps none in memory.
    pub async fn run(
        mut self,
        stop: impl std::future::Future<Output = ()>,
        until_idle: bool,
    ) -> Vec<CallRecord> {
        tokio::pin!(stop);
        self.keep_records = until_idle;
        let mut stop_seen = false;
        loop {
            if until_idle && self.calls.is_empty() {
                break;
            }
            if let Mode::Draining { grace_until } = self.mode
                && (self.calls.is_empty() || Instant::now() >= grace_until + TEARDOWN_AFTER_GRACE)
            {
                break;
            }
            let wake = self
                .next_deadline()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                Some(inbound) = self.sip_rx.recv() => {
                    let now = Instant::now();
                    self.endpoint.handle_input(now, inbound.transport, inbound.source, &inbound.bytes);
                    self.flush(now);
                }
                Some(report) = self.reports_rx.recv() => {
                    let now = Instant::now();
                    self.on_media_report(now, report);
                    self.flush(now);
                }
                Some(report) = self.dialogue_rx.recv() => {
                    let now = Instant::now();
                    self.on_dialogue_report(now, report);
                    self.flush(now);
                }
                Some(request) = recv_dial(&mut self.dial_requests) => {
                    self.on_dial_request(request);
                }
                () = &mut stop, if !stop_seen => {
                    stop_seen = true;
                    let grace_until = Instant::now() + self.config.engine.shutdown_grace;
                    tracing::info!(calls = self.calls.len(), grace = ?self.config.engine.shutdown_grace, "shutting down: refusing new calls");
                    self.mode = Mode::Draining { grace_until };
                }
                () = tokio::time::sleep_until(wake.into()) => {
                    let now = Instant::now();
                    self.on_timeout(now);
                    self.flush(now);
                }
            }
        }
        let now = Instant::now();
        let left: Vec<CallHandle> = self.calls.keys().copied().collect();
        for handle in left {
            self.write_record(now, handle);
        }
        tracing::info!(
            calls = self.calls.len(),
            rtp_ports = self.ports.in_use(),
            "resources in use at exit"
        );
        if self.rejected_requests > 0 {
            tracing::info!(
                rejected = self.rejected_requests,
                "requests rejected (malformed, forbidden source, unknown dialog)"
            );
        }
        std::mem::take(&mut self.finished)
    }

    fn next_deadline(&self) -> Option<Instant> {
        let grace = match self.mode {
            Mode::Draining { grace_until } => {
                Some(grace_until.min(Instant::now() + Duration::from_millis(200)))
            }
            Mode::Serving => None,
        };
        self.calls
            .values()
            .filter_map(|c| c.call.poll_timeout().into_iter().chain(c.write_by).min())
            .chain(self.endpoint.poll_timeout())
            .chain(grace)
            .min()
    }

    fn on_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        let grace_over = matches!(self.mode, Mode::Draining { grace_until } if now >= grace_until);
        let overdue: Vec<CallHandle> = self
            .calls
            .iter()
            .filter(|(_, c)| c.write_by.is_some_and(|t| t <= now))
            .map(|(h, _)| *h)
            .collect();
        for handle in overdue {
            tracing::warn!(%handle, "media statistics or the plugin's last answer did not come in time");
            self.write_record(now, handle);
        }
        for (handle, active) in &mut self.calls {
            let due = active.call.poll_timeout().is_some_and(|t| t <= now);
            if due {
                active.call.handle_timeout(now);
            }
            if grace_over {
                active.call.shutdown(now);
            }
            if due || grace_over {
                self.touched.push(*handle);
            }
        }
    }

    /// Drain the endpoint and every touched call until nothing is left to do.
    fn flush(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.endpoint.poll_transmit() {
                self.sip.send(t);
                progressed = true;
            }
            while let Some(event) = self.endpoint.poll_event() {
                self.on_sip_event(now, event);
                progressed = true;
            }
            while let Some(handle) = self.touched.pop() {
                progressed |= self.run_actions(now, handle);
            }
            if !progressed {
                break;
            }
        }
    }

    fn on_sip_event(&mut self, now: Instant, event: Event) {
        match event {
            Event::IncomingCall {
                call,
                source,
                from_uri,
                to_user,
                offer,
                call_id,
                ..
            } => {
                self.on_incoming(
                    now,
                    call,
                    source,
                    from_uri,
                    to_user.unwrap_or_default(),
                    offer,
                    call_id,
                );
            }
            Event::Progress { call, code, sdp } => {
                self.on_remote_sdp(call, sdp);
                self.signal(now, call, Signal::Progress { code });
            }
            Event::Answered { call, sdp } => {
                self.on_remote_sdp(call, sdp);
                self.start_media(call);
                self.signal(now, call, Signal::Answered);
            }
            Event::Confirmed { call } => self.signal(now, call, Signal::Confirmed),
            Event::AckTimeout { call } => self.signal(now, call, Signal::AckTimeout),
            Event::Failed {
                call,
                code,
                reason,
                reason_header,
            } => self.signal(
                now,
                call,
                Signal::Failed {
                    code,
                    reason,
                    reason_header,
                },
            ),
            Event::Cancelled { call } => self.signal(now, call, Signal::Cancelled),
            Event::RemoteHangup { call } => self.signal(now, call, Signal::RemoteHangup),
            Event::HangupComplete { call } => self.signal(now, call, Signal::HangupComplete),
            Event::Dtmf {
                call,
                digit,
                duration_ms,
            } => {
                if let Some(active) = self.calls.get_mut(&call) {
                    active.call.handle_media(
                        now,
                        MediaInput::Dtmf {
                            digit,
                            source: voxgate_call::DtmfSource::SipInfo,
                            duration_ms,
                        },
                    );
                    self.touched.push(call);
                }
            }
            Event::MediaUpdate { call, .. } => {
                tracing::info!(%call, "re-INVITE answered (hold/resume or session refresh)")
            }
            Event::RequestRejected {
                source,
                code,
                reason,
            } => {
                self.rejected_requests += 1;
                tracing::warn!(%source, code, "rejected request: {reason}");
            }
            Event::Registered {
                registration,
                expires,
            } => tracing::info!(?registration, expires, "registered"),
            Event::RegistrationFailed {
                registration,
                code,
                retry_in,
            } => {
                tracing::warn!(?registration, code, ?retry_in, "registration failed");
            }
            other => tracing::debug!("unhandled SIP event {other:?}"),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_incoming(
        &mut self,
        now: Instant,
        handle: CallHandle,
        source: SocketAddr,
        from: String,
        called: String,
        offer: Option<Vec<u8>>,
        call_id: String,
    ) {
        let trunk = self.config.trunk_for_source(source.ip()).cloned();
        let number = called.clone();
        let refuse = move |engine: &mut Self, code: u16, reason: &str| {
            tracing::info!(%handle, %source, code, "refusing inbound call to {number}: {reason}");
            let _ = engine.endpoint.reject(now, handle, code, Some(reason));
        };
        if matches!(self.mode, Mode::Draining { .. }) {
            return refuse(self, 503, "Shutting Down");
        }
        if self.calls.len() >= self.config.engine.max_calls {
            return refuse(self, 503, "Engine Call Limit");
        }
        if let Some(t) = &trunk {
            let on_trunk = self
                .calls
                .values()
                .filter(|c| c.trunk.as_deref() == Some(t.name.as_str()))
                .count();
            if on_trunk >= t.max_calls {
                return refuse(self, 503, "Trunk Call Limit");
            }
        }
        let Some(route) = self
            .config
            .route_for(&called, trunk.as_ref().map(|t| t.name.as_str()))
            .cloned()
        else {
            return refuse(self, 404, "No Route");
        };
        let Some(offer) =
            offer.and_then(|o| SessionDescription::parse(&String::from_utf8_lossy(&o)).ok())
        else {
            return refuse(self, 488, "SDP Offer Required");
        };
        let Ok((port, sockets)) = self.bind_media_port() else {
            return refuse(self, 503, "No Media Port");
        };
        let (answer, negotiated) = match sdp::create_answer(&offer, &self.local_media(port)) {
            Ok(pair) => pair,
            Err(e) => {
                self.ports.release(port);
                return refuse(self, 488, &format!("Not Acceptable Here: {e}"));
            }
        };
        let recording = route.record.then(|| self.recording_path(&call_id));
        let setup = CallSetup {
            call_id,
            direction: Direction::Inbound,
            trunk: trunk.as_ref().map(|t| t.name.clone()),
            route: Some(route.name.clone()),
            from,
            to: called,
            remote_address: Some(source.to_string()),
            ring_timeout: None,
            recording: recording.as_ref().map(|p| p.display().to_string()),
            max_duration: route.max_duration,
            fallback_prompt: route
                .fallback_prompt
                .as_ref()
                .map(|p| p.display().to_string()),
        };
        let (kind, plugin) = match &route.dialogue {
            Some(plugin) => match self.start_plugin(handle, &setup, plugin, &route.variables) {
                Ok(link) => (Dialogue::Plugin, Some(link)),
                Err(e) => {
                    tracing::error!(%handle, route = %route.name, "dialogue plugin: {e}");
                    self.ports.release(port);
                    return refuse(self, 503, "Dialogue Unavailable");
                }
            },
            None => (Dialogue::Script(route_script(&route)), None),
        };
        let call = Call::inbound(now, wall_clock(now), setup, kind);
        let mut active = ActiveCall::new(call, trunk.map(|t| t.name), port, sockets);
        if let Some(link) = plugin {
            link.attach(&mut active, &route.variables);
        }
        active.answer = Some(answer.to_string().into_bytes());
        active.negotiated = Some(negotiated);
        active.recording = recording;
        active.endpointing = route.endpointing;
        active.background = route
            .background
            .clone()
            .map(|b| (b, route.background_gain_db));
        self.calls.insert(handle, active);
        self.touched.push(handle);
    }

    fn on_remote_sdp(&mut self, handle: CallHandle, sdp: Option<Vec<u8>>) {
        let Some(active) = self.calls.get_mut(&handle) else {
            return;
        };
        let (Some(offer), Some(body), None) = (&active.offer, sdp, &active.negotiated) else {
            return;
        };
        match SessionDescription::parse(&String::from_utf8_lossy(&body))
            .map(|answer| sdp::negotiated_from_answer(offer, &answer))
        {
            Ok(Ok(negotiated)) => {
                active.negotiated = Some(negotiated);
                // Early media (183 with SDP) starts the stream before the answer.
                self.start_media(handle);
            }
            Ok(Err(e)) | Err(e) => tracing::warn!(%handle, "unusable SDP answer: {e}"),
        }
    }

    fn start_media(&mut self, handle: CallHandle) {
        let Some(active) = self.calls.get_mut(&handle) else {
            return;
        };
        if active.media.is_some() || active.negotiated.is_none() || active.sockets.is_none() {
            return;
        }
        let background = match &active.background {
            Some((path, gain_db)) => match self.prompts.load_file(path) {
                Ok(sound) => BackgroundMixer::new(sound, *gain_db),
                Err(e) => {
                    tracing::warn!(%handle, "background sound: {e}");
                    BackgroundMixer::silent()
                }
            },
            None => BackgroundMixer::silent(),
        };
        let front_end = match voice_front_end(&self.config, &self.vad_model) {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(%handle, "voice front end: {e}");
                let failed = Signal::Failed {
                    code: 500,
                    reason: e.to_string(),
                    reason_header: None,
                };
                active.call.handle_signal(Instant::now(), failed);
                self.touched.push(handle);
                return;
            }
        };
        let (Some(negotiated), Some((rtp, rtcp))) =
            (active.negotiated.clone(), active.sockets.take())
        else {
            return;
        };
        let recording = active
            .recording
            .clone()
            .and_then(|path| self.recordings.open(path));
        let setup = media::MediaSetup {
            call: handle,
            rtp,
            rtcp,
            negotiated,
            recording,
            front_end,
            background,
            asr: self.speech.call_asr(&active.speech),
        };
        active.media = Some(media::spawn(setup, self.reports_tx.clone()));
    }

    fn signal(&mut self, now: Instant, handle: CallHandle, signal: Signal) {
        if let Some(active) = self.calls.get_mut(&handle) {
            active.call.handle_signal(now, signal);
            self.touched.push(handle);
        }
    }

    fn on_media_report(&mut self, now: Instant, report: MediaReport) {
        match report {
            MediaReport::Input(handle, input) => {
                if let Some(active) = self.calls.get_mut(&handle) {
                    active.call.handle_media(now, input);
                    self.touched.push(handle);
                }
            }
            MediaReport::Closed(handle, closed) => {
                if let Some(active) = self.calls.get_mut(&handle) {
                    active.media_closed = Some(*closed);
                    active.media_pending = false;
                    self.write_if_complete(now, handle);
                }
            }
        }
    }

    fn on_dialogue_report(&mut self, now: Instant, report: DialogueReport) {
        let (handle, last) = match report {
            DialogueReport::Actions {
                call,
                actions,
                last,
            } => {
                if let Some(active) = self.calls.get_mut(&call) {
                    active.call.handle_bot_actions(now, actions);
                }
                (call, last)
            }
            DialogueReport::Fault {
                call,
                kind,
                detail,
                last,
            } => {
                tracing::warn!(%call, %kind, "dialogue plugin fault: {detail}");
                if let Some(active) = self.calls.get_mut(&call) {
                    active.call.handle_dialogue_fault(now, kind, detail);
                }
                (call, last)
            }
        };
        if let Some(active) = self.calls.get_mut(&handle) {
            if last {
                active.dialogue_pending = false;
                self.write_if_complete(now, handle);
            } else {
                self.touched.push(handle);
            }
        }
    }

    /// Write the record of an ended call once its media statistics and its plugin's answer to
    /// the hang-up are in.
    fn write_if_complete(&mut self, now: Instant, handle: CallHandle) {
        if let Some(active) = self.calls.get(&handle)
            && active.closing
            && !active.media_pending
            && !active.dialogue_pending
        {
            self.write_record(now, handle);
        }
    }

    /// Carry out a call's pending actions; true if there were any.
    fn run_actions(&mut self, now: Instant, handle: CallHandle) -> bool {
        let mut progressed = false;
        loop {
            let Some(active) = self.calls.get_mut(&handle) else {
                return progressed;
            };
            let Some(action) = active.call.poll_action() else {
                break;
            };
            progressed = true;
            match action {
                Action::Ring => {
                    let _ = self.endpoint.send_provisional(now, handle, 180, None);
                }
                Action::Answer => {
                    let sdp = active.answer.clone().unwrap_or_default();
                    if let Err(e) = self.endpoint.accept(now, handle, sdp) {
                        tracing::warn!(%handle, "cannot answer: {e}");
                        active.call.handle_signal(
                            now,
                            Signal::Failed {
                                code: 500,
                                reason: e.to_string(),
                                reason_header: None,
                            },
                        );
                    } else {
                        self.start_media(handle);
                    }
                }
                Action::Cancel => {
                    if self.endpoint.cancel(now, handle).is_err() {
                        active.call.handle_signal(now, Signal::HangupComplete);
                    }
                }
                Action::Play { parts, barge_in } => {
                    let endpointing = EndpointingOverrides {
                        barge_in,
                        ..EndpointingOverrides::NONE
                    }
                    .over(&active.endpointing);
                    let pieces = self.speech.play_pieces(
                        &mut self.prompts,
                        handle,
                        &active.prompt_base,
                        &parts,
                        &active.speech,
                        &active.call.record().variables,
                    );
                    if matches!(&pieces, PlayPieces::Ready(p) if p.is_empty()) {
                        active.call.handle_media(now, MediaInput::PlaybackFinished);
                    } else {
                        send_media(
                            active,
                            MediaCommand::Play {
                                pieces,
                                endpointing,
                            },
                        );
                    }
                }
                Action::StopPlayback => send_media(active, MediaCommand::Stop),
                Action::Listen(overrides) => {
                    let endpointing = overrides.over(&active.endpointing);
                    send_media(active, MediaCommand::Listen(endpointing));
                }
                Action::Dialogue(event) => {
                    let last = matches!(event, BotEvent::Hangup { .. });
                    let sent = active
                        .dialogue
                        .as_ref()
                        .is_some_and(|d| d.send(event).is_ok());
                    active.dialogue_pending |= last && sent;
                }
                Action::Transfer(target) => {
                    let (target, detail) = match target {
                        voxgate_call::TransferTarget::AgentGroup(g) => {
                            (g, "no agent groups are configured on this engine")
                        }
                        voxgate_call::TransferTarget::Uri(u) => {
                            (u, "transfer to a URI is not supported by this engine yet")
                        }
                    };
                    tracing::warn!(%handle, %target, "transfer refused: {detail}");
                    active
                        .call
                        .transfer_result(now, target, false, detail.to_owned());
                }
                Action::Hangup => {
                    if self.endpoint.hangup(now, handle).is_err() {
                        active.call.handle_signal(now, Signal::HangupComplete);
                    }
                }
                other => tracing::warn!(%handle, "unsupported call action {other:?}"),
            }
        }
        let Some(active) = self.calls.get_mut(&handle) else {
            return progressed;
        };
        if active.call.is_finished() && !active.closing {
            active.closing = true;
            active.write_by = Some(now + RECORD_WAIT);
            if let Some(media) = active.media.take() {
                let _ = media.send(MediaCommand::Close);
                active.media_pending = true;
            }
            self.write_if_complete(now, handle);
            progressed = true;
        }
        progressed
    }

    fn write_record(&mut self, _now: Instant, handle: CallHandle) {
        let Some(mut active) = self.calls.remove(&handle) else {
            return;
        };
        if let Some(port) = active.rtp_port {
            self.ports.release(port);
        }
        if let Some(media) = active.media.take() {
            let _ = media.send(MediaCommand::Close);
        }
        let record = active.call.record_mut();
        match active.media_closed.take() {
            Some(closed) => {
                record.media = Some(closed.summary);
                record.voice = closed.voice;
            }
            // No media ever flowed (a failed attempt): there is no recording file.
            None => record.recording = None,
        }
        if !active.call.is_finished() {
            tracing::warn!(%handle, "call still open at exit; writing its record as it stands");
        }
        let record = active.call.record().clone();
        if let Err(e) = self.records.append(&record) {
            tracing::error!(%handle, "cannot write call record: {e}");
        }
        tracing::info!(%handle, call_id = %record.call_id, outcome = ?record.outcome, code = ?record.sip_code, digits = %record.digits, "call ended");
        if let (Some(attempt), Some(tx)) = (active.attempt, &self.ended_tx) {
            let _ = tx.send(CallEnded {
                attempt,
                record: Some(Box::new(record.clone())),
                error: None,
            });
        }
        if self.keep_records {
            self.finished.push(record);
        }
    }

    fn bind_media_port(
        &mut self,
    ) -> Result<(u16, (tokio::net::UdpSocket, tokio::net::UdpSocket)), EngineError> {
        for _ in 0..PORT_ATTEMPTS {
            let port = self.ports.allocate().ok_or(EngineError::NoMediaPort)?;
            match media::bind_pair(self.config.engine.media_ip, port) {
                Ok(pair) => return Ok((port, pair)),
                Err(e) => {
                    tracing::debug!(port, "RTP port busy: {e}");
                    self.ports.release(port);
                }
            }
        }
        Err(EngineError::NoMediaPort)
    }

    fn local_media(&self, port: u16) -> LocalMedia {
        LocalMedia {
            address: self.config.engine.advertised_ip,
            port,
            codecs: self.config.engine.codecs.clone(),
            telephone_event: true,
            ptime: 20,
            session_id: rand::random::<u32>().into(),
            session_version: 1,
        }
    }

    fn recording_path(&self, call_id: &str) -> PathBuf {
        let safe: String = call_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.config
            .engine
            .recordings_dir
            .join(format!("{safe}.wav"))
    }
}

/// The next dial request, or never when no campaign service is linked.
async fn recv_dial(
    requests: &mut Option<mpsc::UnboundedReceiver<DialRequest>>,
) -> Option<DialRequest> {
    match requests {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// A call's voice front end: Silero VAD (sharing the loaded model), noise suppression as
/// configured, the engine's endpointing defaults.
fn voice_front_end(config: &Config, model: &Arc<SileroModel>) -> Result<VoiceFrontEnd, AudioError> {
    let vad = Box::new(SileroVad::new(model.clone())?);
    let suppressor = match config.engine.noise_suppression {
        Some(settings) => {
            Some(Box::new(WebRtcSuppressor::new(8000, settings)?) as Box<dyn NoiseSuppressor>)
        }
        None => None,
    };
    let settings = FrontEndConfig {
        input_rate: 8000,
        endpointing: config.engine.endpointing,
        ..FrontEndConfig::default()
    };
    VoiceFrontEnd::new(settings, vad, suppressor)
}

fn send_media(active: &ActiveCall, command: MediaCommand) {
    if let Some(media) = &active.media {
        let _ = media.send(command);
    }
}

fn route_script(route: &Route) -> Script {
    Script {
        prompt: route.prompt.as_ref().map(|p| p.display().to_string()),
        collect: route.collect.as_ref().map(|c| DigitCollection {
            max_digits: c.max_digits,
            terminator: c.terminator,
            timeout: c.timeout,
        }),
        goodbye: route.goodbye.as_ref().map(|p| p.display().to_string()),
    }
}

fn wall_clock(now: Instant) -> WallClock {
    let unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    WallClock {
        instant: now,
        unix_ms,
    }
}

fn secret(trunk: &str, variable: &str) -> Result<String, EngineError> {
    std::env::var(variable).map_err(|_| EngineError::MissingSecret {
        trunk: trunk.to_owned(),
        variable: variable.to_owned(),
    })
}
