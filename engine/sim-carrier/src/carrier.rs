//! The SIP side: one task owns the UDP socket and the sans-IO endpoint, plays each incoming
//! call's persona (ringing, early media, the final response or the answer), starts a media task
//! per call and writes the journal when a call ends.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use voxgate_audio::endpointing::EndpointingConfig;
use voxgate_audio::front_end::{FrontEndConfig, VoiceFrontEnd};
use voxgate_audio::vad::{SileroModel, SileroVad};
use voxgate_rtp::PortAllocator;
use voxgate_sip::sdp::{
    AudioCodec, LocalMedia, NegotiatedMedia, SessionDescription, create_answer,
};
use voxgate_sip::{CallHandle, Endpoint, EndpointConfig, Event, Transport};

use crate::audio_bank::AudioBank;
use crate::callee::Callee;
use crate::error::SimCarrierError;
use crate::journal::{EndedBy, Journal, JournalEntry, unix_ms};
use crate::media::{self, MediaLog, MediaReport, MediaSetup, Role};
use crate::persona::{AnswerCodec, EarlyMedia, Outcome, Persona, Personas};
use crate::reason_header::ReasonHeaders;

/// A running media task.
struct MediaTask {
    close: oneshot::Sender<()>,
    task: JoinHandle<MediaLog>,
    port: u16,
}

/// One call in progress.
struct SimCall {
    call_id: String,
    number: String,
    persona: Option<Arc<Persona>>,
    offer: Option<SessionDescription>,
    invite_at: SystemTime,
    answer_at: Option<SystemTime>,
    /// When ringing is over (then: early media or the final response).
    ring_until: Option<Instant>,
    media: Option<MediaTask>,
    code: u16,
    reason: Option<String>,
}

/// The simulated carrier's SIP loop and shared state.
pub(crate) struct Carrier {
    socket: UdpSocket,
    endpoint: Endpoint,
    personas: Arc<Personas>,
    bank: Arc<AudioBank>,
    vad: Arc<SileroModel>,
    ports: PortAllocator,
    calls: HashMap<CallHandle, SimCall>,
    reasons: ReasonHeaders,
    journal: Option<Arc<Journal>>,
    reports_tx: mpsc::UnboundedSender<(CallHandle, MediaReport)>,
    reports_rx: mpsc::UnboundedReceiver<(CallHandle, MediaReport)>,
    finishing: Vec<JoinHandle<()>>,
}

impl Carrier {
    /// Bind the SIP socket (`listen` with port 0 picks a free port).
    pub async fn bind(
        personas: Arc<Personas>,
        bank: Arc<AudioBank>,
        vad: Arc<SileroModel>,
        journal: Option<Arc<Journal>>,
    ) -> Result<Self, SimCarrierError> {
        let listen = personas.carrier.listen;
        let socket = UdpSocket::bind(listen)
            .await
            .map_err(|e| SimCarrierError::io(format!("binding SIP on {listen}"), e))?;
        let local_addr = socket
            .local_addr()
            .map_err(|e| SimCarrierError::io("reading the SIP address", e))?;
        let endpoint = Endpoint::new(EndpointConfig {
            local_addr,
            user_agent: "voxgate-sim-carrier".to_owned(),
            seed: rand::random(),
            ..EndpointConfig::default()
        });
        let ports = PortAllocator::new(personas.carrier.rtp_ports.clone()).map_err(|e| {
            SimCarrierError::io(
                "rtp_ports",
                std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()),
            )
        })?;
        let (reports_tx, reports_rx) = mpsc::unbounded_channel();
        Ok(Self {
            socket,
            endpoint,
            personas,
            bank,
            vad,
            ports,
            calls: HashMap::new(),
            reasons: ReasonHeaders::default(),
            journal,
            reports_tx,
            reports_rx,
            finishing: Vec::new(),
        })
    }

    /// The SIP address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.endpoint.config().local_addr
    }

    /// Serve until `shutdown` completes; calls still running are journalled as they stand.
    pub async fn serve(mut self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut buf = vec![0u8; 65_536];
        loop {
            let wake = self.next_wake();
            tokio::select! {
                r = self.socket.recv_from(&mut buf) => match r {
                    Ok((n, from)) => self.endpoint.handle_input(Instant::now(), Transport::Udp, from, &buf[..n]),
                    Err(e) => tracing::debug!("SIP socket: {e}"),
                },
                Some((call, report)) = self.reports_rx.recv() => self.on_media_report(call, report),
                () = sleep_until(wake) => self.on_timeout(Instant::now()),
                () = &mut shutdown => break,
            }
            self.drain().await;
        }
        let calls: Vec<CallHandle> = self.calls.keys().copied().collect();
        for call in calls {
            self.finish(call, EndedBy::Bot);
        }
        for task in self.finishing.drain(..) {
            let _ = task.await;
        }
    }

    fn next_wake(&self) -> Option<Instant> {
        let calls = self.calls.values().filter_map(|c| c.ring_until);
        calls.chain(self.endpoint.poll_timeout()).min()
    }

    fn on_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        let due: Vec<CallHandle> = self
            .calls
            .iter()
            .filter(|(_, c)| c.ring_until.is_some_and(|at| at <= now))
            .map(|(h, _)| *h)
            .collect();
        for call in due {
            if let Some(c) = self.calls.get_mut(&call) {
                c.ring_until = None;
            }
            self.ring_over(now, call);
        }
    }

    /// Send what the endpoint produced and act on its events, until both are empty.
    async fn drain(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.endpoint.poll_transmit() {
                progressed = true;
                let payload = self.reasons.apply(t.payload);
                if let Err(e) = self.socket.send_to(&payload, t.destination).await {
                    tracing::debug!("SIP send to {}: {e}", t.destination);
                    self.endpoint.handle_transport_error(
                        Instant::now(),
                        t.transport,
                        t.destination,
                    );
                }
            }
            while let Some(event) = self.endpoint.poll_event() {
                progressed = true;
                self.on_event(event);
            }
            if !progressed {
                break;
            }
        }
        self.finishing.retain(|t| !t.is_finished());
    }

    fn on_event(&mut self, event: Event) {
        let now = Instant::now();
        match event {
            Event::IncomingCall {
                call,
                call_id,
                to_user,
                offer,
                ..
            } => self.on_invite(now, call, call_id, to_user.unwrap_or_default(), offer),
            Event::Cancelled { call } => self.finish_with(call, 487, EndedBy::Cancel),
            Event::RemoteHangup { call } => self.finish(call, EndedBy::Bot),
            Event::HangupComplete { call } => self.finish(call, EndedBy::Callee),
            Event::AckTimeout { call } => self.finish(call, EndedBy::AckTimeout),
            _ => {}
        }
    }

    fn on_invite(
        &mut self,
        now: Instant,
        call: CallHandle,
        call_id: String,
        number: String,
        offer: Option<Vec<u8>>,
    ) {
        let persona = self.personas.find(&number).cloned().map(Arc::new);
        let offer = offer
            .and_then(|o| String::from_utf8(o).ok())
            .and_then(|o| SessionDescription::parse(&o).ok());
        let mut sim = SimCall {
            call_id,
            number,
            persona: persona.clone(),
            offer,
            invite_at: SystemTime::now(),
            answer_at: None,
            ring_until: None,
            media: None,
            code: 404,
            reason: None,
        };
        let Some(persona) = persona else {
            tracing::info!(number = %sim.number, "no persona: 404");
            self.calls.insert(call, sim);
            self.reject(now, call, 404, None);
            return;
        };
        tracing::info!(number = %sim.number, persona = %persona.name, outcome = persona.outcome.as_str(), "incoming call");
        sim.code = persona.code;
        match persona.ring {
            Some(ring) if ring.is_zero() => {}
            ring => {
                let _ = self.endpoint.send_provisional(now, call, 180, None);
                sim.ring_until = ring.map(|r| now + r);
            }
        }
        let ring_now = persona.ring.is_some_and(|r| r.is_zero())
            || (persona.ring.is_none() && persona.early_media.is_some());
        self.calls.insert(call, sim);
        if ring_now {
            self.ring_over(now, call);
        }
    }

    /// Ringing ended: early media, the answer or the failure.
    fn ring_over(&mut self, now: Instant, call: CallHandle) {
        let Some(persona) = self.calls.get(&call).and_then(|c| c.persona.clone()) else {
            return;
        };
        if let Some(early) = &persona.early_media {
            let prompt = match early {
                EarlyMedia::Sit => Some(self.bank.sit()),
                EarlyMedia::Announcement(text) => self.bank.announcement(&persona.language, text),
            };
            if let Some(prompt) = prompt
                && let Some(sdp) = self.start_media(call, Role::Early(prompt))
            {
                let _ = self.endpoint.send_provisional(now, call, 183, Some(sdp));
                return;
            }
        }
        self.final_response(now, call, &persona);
    }

    /// The persona's final answer (after ringing and any early media).
    fn final_response(&mut self, now: Instant, call: CallHandle, persona: &Persona) {
        match persona.outcome {
            Outcome::Answer => {
                let callee = Callee::new(now, persona.turns.clone(), persona.hangup_after);
                let front_end = match self.front_end() {
                    Ok(front_end) => front_end,
                    Err(e) => {
                        tracing::error!("voice front end: {e}");
                        self.reject(now, call, 500, None);
                        return;
                    }
                };
                let role = Role::Callee {
                    callee: Box::new(callee),
                    front_end: Box::new(front_end),
                    language: persona.language.clone(),
                };
                let Some(sdp) = self.start_media(call, role) else {
                    return;
                };
                if self.endpoint.accept(now, call, sdp).is_ok()
                    && let Some(c) = self.calls.get_mut(&call)
                {
                    c.answer_at = Some(SystemTime::now());
                    c.code = 200;
                }
            }
            // Ring until the caller cancels.
            Outcome::NoAnswer if persona.ring.is_none() => {}
            _ => self.reject(now, call, persona.code, persona.reason.clone()),
        }
    }

    fn front_end(&self) -> Result<VoiceFrontEnd, voxgate_audio::AudioError> {
        let vad = Box::new(SileroVad::new(Arc::clone(&self.vad))?);
        let carrier = &self.personas.carrier;
        let settings = FrontEndConfig {
            input_rate: 8000,
            endpointing: EndpointingConfig {
                min_speech_ms: carrier.min_speech_ms,
                end_silence_ms: carrier.end_silence_ms,
                ..EndpointingConfig::default()
            },
            ..FrontEndConfig::default()
        };
        VoiceFrontEnd::new(settings, vad, None)
    }

    /// Negotiate, bind a port pair and start the media task; returns our SDP. On failure the
    /// call is rejected (488 for SDP, 503 for no port).
    fn start_media(&mut self, call: CallHandle, role: Role) -> Option<Vec<u8>> {
        let now = Instant::now();
        let offer = self.calls.get(&call)?.offer.clone();
        let Some(offer) = offer else {
            self.reject(now, call, 488, None);
            return None;
        };
        if let Some(old) = self.calls.get_mut(&call).and_then(|c| c.media.take()) {
            let _ = old.close.send(());
            self.ports.release(old.port);
        }
        let Some((port, rtp, rtcp)) = self.bind_ports() else {
            tracing::warn!("no free RTP port pair");
            self.reject(now, call, 503, None);
            return None;
        };
        let preferred = match self.personas.carrier.answer_codec {
            AnswerCodec::Pcmu => [AudioCodec::Pcmu, AudioCodec::Pcma],
            AnswerCodec::Pcma => [AudioCodec::Pcma, AudioCodec::Pcmu],
        };
        let local = LocalMedia {
            address: self.personas.carrier.rtp_ip,
            port,
            codecs: preferred.to_vec(),
            telephone_event: true,
            ptime: 20,
            session_id: rand::random::<u32>().into(),
            session_version: 1,
        };
        let (answer, negotiated): (SessionDescription, NegotiatedMedia) =
            match create_answer(&offer, &local) {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::info!("SDP offer refused: {e}");
                    self.ports.release(port);
                    self.reject(now, call, 488, None);
                    return None;
                }
            };
        let setup = MediaSetup {
            call,
            rtp,
            rtcp,
            negotiated,
            role,
            bank: Arc::clone(&self.bank),
        };
        let (close, closed) = oneshot::channel();
        let task = tokio::spawn(media::run(setup, closed, self.reports_tx.clone()));
        if let Some(c) = self.calls.get_mut(&call) {
            c.media = Some(MediaTask { close, task, port });
        }
        Some(answer.to_string().into_bytes())
    }

    fn bind_ports(&mut self) -> Option<(u16, UdpSocket, UdpSocket)> {
        for _ in 0..self.ports.capacity() {
            let port = self.ports.allocate()?;
            match media::bind_pair(self.personas.carrier.rtp_ip, port) {
                Ok((rtp, rtcp)) => return Some((port, rtp, rtcp)),
                Err(e) => {
                    tracing::debug!("RTP port {port}: {e}");
                    self.ports.release(port);
                }
            }
        }
        None
    }

    fn on_media_report(&mut self, call: CallHandle, report: MediaReport) {
        let now = Instant::now();
        match report {
            MediaReport::EarlyMediaDone => {
                if let Some(persona) = self.calls.get(&call).and_then(|c| c.persona.clone()) {
                    self.final_response(now, call, &persona);
                }
            }
            MediaReport::Hangup => {
                if self.endpoint.hangup(now, call).is_err() {
                    self.finish(call, EndedBy::Callee);
                }
            }
        }
    }

    fn reject(&mut self, now: Instant, call: CallHandle, code: u16, reason: Option<String>) {
        if let Some(c) = self.calls.get_mut(&call) {
            c.code = code;
            c.reason.clone_from(&reason);
            if let Some(reason) = &reason {
                self.reasons.register(now, &c.call_id, code, reason);
            }
        }
        if let Err(e) = self.endpoint.reject(now, call, code, None) {
            tracing::debug!(%call, "reject: {e}");
        }
        self.finish(call, EndedBy::Carrier);
    }

    fn finish_with(&mut self, call: CallHandle, code: u16, by: EndedBy) {
        if let Some(c) = self.calls.get_mut(&call) {
            c.code = code;
        }
        self.finish(call, by);
    }

    /// The call is over: stop its media and journal it.
    fn finish(&mut self, call: CallHandle, ended_by: EndedBy) {
        let Some(sim) = self.calls.remove(&call) else {
            return;
        };
        let end_at = SystemTime::now();
        let mut entry = JournalEntry {
            call_id: sim.call_id,
            number: sim.number,
            persona: sim.persona.as_ref().map(|p| p.name.clone()),
            outcome: sim
                .persona
                .as_ref()
                .map_or("unmatched", |p| p.outcome.as_str())
                .to_owned(),
            code: sim.code,
            reason: sim.reason,
            early_media: sim.persona.as_ref().and_then(|p| match p.early_media {
                Some(EarlyMedia::Sit) => Some("sit".to_owned()),
                Some(EarlyMedia::Announcement(_)) => Some("announcement".to_owned()),
                None => None,
            }),
            invite_at_ms: unix_ms(sim.invite_at),
            answer_at_ms: sim.answer_at.map(unix_ms),
            end_at_ms: unix_ms(end_at),
            ended_by,
            turns: Vec::new(),
            bot_speech: Vec::new(),
            rtp_packets_sent: 0,
            rtp_packets_received: 0,
        };
        tracing::info!(number = %entry.number, code = entry.code, ended_by = ?ended_by, "call ended");
        let journal = self.journal.clone();
        let media = sim.media;
        if let Some(m) = &media {
            self.ports.release(m.port);
        }
        self.finishing.push(tokio::spawn(async move {
            if let Some(media) = media {
                let _ = media.close.send(());
                if let Ok(log) = media.task.await {
                    entry.turns = log.turns;
                    entry.bot_speech = log.heard;
                    entry.rtp_packets_sent = log.packets_sent;
                    entry.rtp_packets_received = log.packets_received;
                }
            }
            if let Some(journal) = journal
                && let Err(e) = journal.append(&entry)
            {
                tracing::error!("journal: {e}");
            }
        }));
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
