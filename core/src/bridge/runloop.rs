//! The bridge's event loop: the only `select!`. It feeds link, cloud and app inputs into the
//! machines, drains every machine after each input, carries their outputs out, and sleeps
//! until the earliest machine deadline. Each output is logged here, once.

use std::collections::HashMap;
use std::future::pending;

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tracing::{Instrument, debug, info, info_span, trace, warn};

use super::event::{
    BatteryReading, BridgeEvent, CloudConnectionState, GlassesConnectionState, LinkQuality,
    TemperatureReading, ThermalLevel, Warning, WifiInfo,
};
use super::publisher::Publisher;
use super::wifi::{Responder, WifiRequest, WifiRequests};
use crate::cloud::{
    CloudClient, CloudEvent, ConnectionStateUpdate, GlassesBatteryUpdate, Outgoing,
};
use crate::glasses::{
    CommandFailure, Dialect, GlassesInfo, GlassesLink, GlassesSession, Incoming, LinkEvent,
    SessionEvent, SessionInput, SessionOutput,
};
use crate::health::{BatteryBand, HealthAlert, HealthInput, HealthMonitor, HeatBand};
use crate::stream::{
    CommandKind, HealthChange, StreamEvent, StreamInput, StreamOutput, StreamSupervisor,
};
use crate::wire::proto::{ThermalState, glasses_to_phone::Body as G};
use std::sync::Arc;

use crate::diag::What;

/// Requests from the bridge's handle to its loop.
pub(crate) enum Command {
    Shutdown,
    Wifi(WifiRequest, Responder),
    Local(Box<crate::stream::StreamCommand>),
    /// A new core token for the cloud.
    UpdateToken(crate::Redacted<String>),
    /// Dial the cloud again now (the phone's network changed).
    ReconnectNow,
}

pub(crate) struct Driver {
    pub(crate) session: GlassesSession,
    /// The dialect setting (`None`: what the link says at each connection).
    pub(crate) dialect: Option<Dialect>,
    pub(crate) supervisor: StreamSupervisor,
    pub(crate) health: HealthMonitor,
    pub(crate) link: Box<dyn GlassesLink>,
    /// `None` in local mode (no cloud URL).
    pub(crate) cloud: Option<CloudClient>,
    pub(crate) cloud_events: mpsc::Receiver<CloudEvent>,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) publisher: Arc<Publisher>,
    /// Commands sent to the glasses and not yet answered: message id → (stream, kind).
    pub(crate) in_flight: HashMap<u32, (String, CommandKind)>,
    pub(crate) glasses: Option<GlassesInfo>,
    pub(crate) wifi: WifiRequests,
    /// Queue and map sizes, refreshed after every drain.
    pub(crate) internals: Arc<std::sync::Mutex<super::state::Internals>>,
    /// When the user was last told a write to the glasses failed.
    pub(crate) last_write_warning: Option<Instant>,
    /// When the glasses last sent a thermal report of their own.
    pub(crate) last_thermal: Option<std::time::Instant>,
    /// When a temperature from stream stats was last published.
    pub(crate) last_stats_temperature: Option<std::time::Instant>,
    /// Link counters the session does not keep: glasses link ups, cloud connections, the last
    /// glasses drop's reason.
    pub(crate) links: LinkCounters,
}

/// What the run loop counts for [`LinkQuality`].
#[derive(Debug, Default)]
pub(crate) struct LinkCounters {
    glasses_ups: u32,
    last_down: Option<String>,
    /// What was published last, and when.
    published: Option<(LinkQuality, Instant)>,
}

/// Link quality is published at most this often.
const LINK_QUALITY_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

fn now() -> std::time::Instant {
    // tokio's clock, so a paused test runtime drives the machines in virtual time.
    Instant::now().into_std()
}

impl Driver {
    pub(crate) async fn run(mut self) {
        let span = info_span!("bridge", link = %self.link.describe());
        async move {
            let mut link_open = true;
            let mut cloud_open = true;
            loop {
                let deadline = earliest(
                    earliest_std(self.session.poll_timeout(), self.health.poll_timeout()),
                    self.supervisor.poll_timeout(),
                );
                tokio::select! {
                    // Fixed order, so a seeded simulation replays exactly.
                    biased;
                    cmd = self.commands.recv() => match cmd {
                        Some(Command::Shutdown) | None => break,
                        Some(Command::Local(c)) => {
                            self.supervisor.handle_input(now(), StreamInput::Cloud(*c));
                        }
                        Some(Command::Wifi(request, reply)) => {
                            if let WifiRequest::Set(c) = &request {
                                self.publisher.forget(c.password.expose());
                            }
                            self.wifi.begin(&mut self.session, self.glasses.as_ref(), now(), request, reply);
                        }
                        Some(Command::UpdateToken(token)) => {
                            if let Some(cloud) = &self.cloud {
                                cloud.update_token(token);
                            }
                        }
                        Some(Command::ReconnectNow) => {
                            info!("reconnecting to the cloud now, as the app asked");
                            if let Some(cloud) = &self.cloud {
                                cloud.reconnect_now();
                            }
                        }
                    },
                    event = self.cloud_events.recv(), if cloud_open => match event {
                        Some(e) => self.on_cloud(e),
                        None => cloud_open = false,
                    },
                    event = self.link.next_event(), if link_open => match event {
                        Some(e) => self.on_link(e).await,
                        None => {
                            link_open = false;
                            self.on_link(LinkEvent::Down { reason: "glasses link closed".into() }).await;
                        }
                    },
                    _ = sleep_or_never(deadline) => {
                        let now = now();
                        if let Some((timer, at)) = self.supervisor.next_timer() {
                            if at <= now {
                                self.publisher.record(What::Timer { name: format!("{timer:?}") });
                            }
                        }
                        self.session.handle_timeout(now);
                        self.health.handle_timeout(now);
                        self.supervisor.handle_timeout(now);
                    }
                }
                self.drain().await;
                self.publish_link_quality();
            }
            info!("bridge stopping");
            if let Some(cloud) = &self.cloud {
                cloud.shutdown().await;
            }
        }
        .instrument(span)
        .await;
    }

    fn on_cloud(&mut self, event: CloudEvent) {
        match event {
            CloudEvent::Connected => {
                // The cloud learns the glasses' state on every (re)connect, then every stream's.
                self.to_cloud(self.connection_update());
                self.supervisor.handle_input(now(), StreamInput::CloudUp);
                self.publisher
                    .publish(BridgeEvent::Cloud(CloudConnectionState::Connected));
            }
            CloudEvent::Disconnected {
                reason,
                retry_in,
                silent_for,
            } => {
                self.supervisor
                    .handle_input(now(), StreamInput::CloudDown { silent_for });
                self.publisher
                    .publish(BridgeEvent::Cloud(CloudConnectionState::Disconnected {
                        reason,
                        retry_in,
                    }))
            }
            CloudEvent::Command(c) => {
                trace!(?c, "cloud command");
                if let crate::stream::StreamCommand::Start(s) = &c {
                    // The URL (and its last segment, the stream key) and the WHIP token may
                    // turn up in an error text from the glasses or the ingest: never record.
                    let url = s.url.expose();
                    self.publisher.forget(url);
                    let path = url.split(['?', '#']).next().unwrap_or(url);
                    if let Some(key) = path.rsplit('/').next() {
                        self.publisher.forget(key);
                    }
                    if let Some(token) = &s.auth_token {
                        self.publisher.forget(token.expose());
                    }
                }
                let (msg, stream_id) = match &c {
                    crate::stream::StreamCommand::Start(s) => ("start_stream", &s.stream_id),
                    crate::stream::StreamCommand::Stop(s) => ("stop_stream", &s.stream_id),
                    crate::stream::StreamCommand::KeepAlive(k) => ("keep_stream_alive", &k.stream_id),
                };
                self.publisher.record(What::CloudIn {
                    msg: msg.to_owned(),
                    stream_id: Some(stream_id.clone()),
                });
                self.supervisor.handle_input(now(), StreamInput::Cloud(c));
            }
            CloudEvent::Generation(g) => debug!(?g, "cloud generation"),
            CloudEvent::Ignored { kind } => trace!(%kind, "cloud message ignored"),
            CloudEvent::Malformed(e) => debug!("malformed cloud message: {e}"),
            CloudEvent::OutboxOverflow { dropped } => {
                self.publisher.publish(BridgeEvent::Warning(Warning {
                    code: "cloud_outbox_overflow",
                    message: format!(
                        "The cloud has been unreachable for long: {dropped} old updates were dropped"
                    ),
                }))
            }
        }
    }

    async fn on_link(&mut self, event: LinkEvent) {
        let input = match event {
            LinkEvent::Up { mtu } => {
                let dialect = self
                    .dialect
                    .or_else(|| self.link.dialect())
                    .unwrap_or(self.session.dialect());
                self.session.use_dialect(dialect, now());
                info!(mtu, %dialect, "glasses link up");
                self.links.glasses_ups += 1;
                self.publisher
                    .publish(BridgeEvent::Glasses(GlassesConnectionState::Connecting));
                SessionInput::LinkUp { mtu }
            }
            LinkEvent::Packet(p) => SessionInput::Packet(p),
            LinkEvent::MtuChanged { mtu } => {
                info!(mtu, "glasses link MTU changed");
                if let Some(info) = self.glasses.as_mut() {
                    info.mtu = mtu;
                    self.publisher.publish(BridgeEvent::Glasses(
                        GlassesConnectionState::Connected {
                            model: info.model.clone(),
                            firmware: info.firmware_version.clone(),
                            mtu,
                        },
                    ));
                }
                SessionInput::MtuChanged { mtu }
            }
            LinkEvent::Down { reason } => {
                info!(%reason, "glasses link down");
                self.links.last_down = Some(reason.clone());
                // Links report a drop once per outage, so the UI always learns why.
                self.publisher.publish(BridgeEvent::Glasses(
                    GlassesConnectionState::Disconnected {
                        reason: Some(reason),
                    },
                ));
                SessionInput::LinkDown
            }
        };
        self.session.handle_input(now(), input);
    }

    /// Drains every machine until none has anything left, feeding each one's outputs to the
    /// others.
    async fn drain(&mut self) {
        loop {
            let mut moved = false;
            while let Some(out) = self.session.poll_output() {
                moved = true;
                match out {
                    SessionOutput::ToGlasses(packet) => {
                        if let Err(e) = self.link.send(packet).await {
                            // The link reports a drop itself; the session retries what was
                            // pending. Anything else (the app's BLE stack failed or threw)
                            // the user hears about, once in a while.
                            debug!("glasses send failed: {e}");
                            self.write_failed(&e);
                        }
                    }
                    SessionOutput::Event(e) => self.on_session(e).await,
                }
            }
            while let Some(alert) = self.health.poll_output() {
                moved = true;
                self.on_health(alert);
            }
            while let Some(out) = self.supervisor.poll_output() {
                moved = true;
                match out {
                    StreamOutput::ToGlasses(cmd) => {
                        match self.session.send(now(), cmd.body.clone()) {
                            Ok(id) => {
                                self.publisher.record(What::GlassesOut {
                                    msg: phone_body_name(&cmd.body).to_owned(),
                                    message_id: id,
                                    size: cmd.body.encoded_len(),
                                    stream_id: Some(cmd.stream_id.clone()),
                                });
                                self.in_flight.insert(id, (cmd.stream_id, cmd.kind));
                                // Write it before the rest of the supervisor's outputs (the
                                // cloud's status, the app's events): the glasses are the ones
                                // waiting on it.
                                break;
                            }
                            Err(e) => self.supervisor.handle_input(
                                now(),
                                StreamInput::CommandFailed {
                                    stream_id: cmd.stream_id,
                                    kind: cmd.kind,
                                    reason: CommandFailure::NotSent(e),
                                },
                            ),
                        }
                    }
                    StreamOutput::ToCloud(report) => self.to_cloud(report.into()),
                    StreamOutput::Event(StreamEvent::Status(update)) => {
                        info!(stream = %update.stream_id, state = %update.state, problem = ?update.problem.map(|p| p.code()), "stream");
                        self.publisher.publish(BridgeEvent::Stream(update));
                    }
                    StreamOutput::Event(StreamEvent::KeepAliveAcked { stream_id, ack_id }) => {
                        debug!(stream = %stream_id, %ack_id, "keep-alive acked");
                        self.publisher
                            .publish(BridgeEvent::KeepAliveAcked { stream_id, ack_id });
                    }
                }
            }
            if !moved {
                break;
            }
        }
        let sizes = super::state::Internals {
            outbox: self.cloud.as_ref().map_or(0, CloudClient::outbox_len),
            in_flight: self.in_flight.len(),
            session_pending: self.session.pending(),
            supervisor_tracked: self.supervisor.tracked(),
        };
        *self
            .internals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = sizes;
    }

    async fn on_session(&mut self, event: SessionEvent) {
        let now = now();
        match event {
            SessionEvent::Ready(mut info) => {
                if self.link.link_encrypted() == Some(false) {
                    info.link_encrypted = false;
                }
                self.publisher
                    .publish(BridgeEvent::Glasses(GlassesConnectionState::Connected {
                        model: info.model.clone(),
                        firmware: info.firmware_version.clone(),
                        mtu: info.mtu,
                    }));
                self.glasses = Some(info);
                self.to_cloud(self.connection_update());
                let (limits, transports) = self
                    .glasses
                    .as_ref()
                    .map(|g| (g.camera, g.transports.clone()))
                    .unwrap_or_default();
                self.supervisor
                    .handle_input(now, StreamInput::GlassesReady { limits, transports });
            }
            SessionEvent::Down => {
                self.in_flight.clear();
                self.wifi.link_down();
                self.glasses = None;
                self.to_cloud(self.connection_update());
                self.supervisor.handle_input(now, StreamInput::GlassesDown);
            }
            SessionEvent::Message(incoming) => self.on_glasses_message(now, incoming),
            SessionEvent::Acked { request } => {
                if !self.wifi.acked(request) {
                    self.in_flight.remove(&request);
                }
            }
            SessionEvent::Failed { request, reason } if self.wifi.failed(request, &reason) => {}
            SessionEvent::Failed { request, reason } => {
                if let Some((stream_id, kind)) = self.in_flight.remove(&request) {
                    self.supervisor.handle_input(
                        now,
                        StreamInput::CommandFailed {
                            stream_id,
                            kind,
                            reason,
                        },
                    );
                }
            }
            SessionEvent::LivenessLost => {
                warn!("glasses went silent; recycling the link");
                self.publisher.publish(BridgeEvent::Warning(Warning {
                    code: "glasses_silent",
                    message: "The glasses stopped answering: reconnecting".into(),
                }));
                if let Err(e) = self.link.recycle().await {
                    warn!("the link could not reconnect: {e}");
                    self.publisher.publish(BridgeEvent::Warning(Warning {
                        code: "glasses_reconnect_failed",
                        message: format!(
                            "Reconnecting to the glasses failed ({e}): waiting for them"
                        ),
                    }));
                }
            }
            SessionEvent::HelloRefused { detail, retry_in } => {
                warn!(%detail, ?retry_in, "the glasses refused the hello");
                self.publisher.publish(BridgeEvent::Warning(Warning {
                    code: "glasses_refused_hello",
                    message: format!(
                        "The glasses refused to connect ({detail}): trying again in {} s",
                        retry_in.as_secs().max(1)
                    ),
                }));
            }
            SessionEvent::Incompatible { protocol_version } => {
                self.supervisor
                    .handle_input(now, StreamInput::GlassesIncompatible { protocol_version });
                self.publisher.publish(BridgeEvent::Warning(Warning {
                    code: "glasses_incompatible",
                    message: format!(
                        "These glasses speak protocol version {protocol_version}, which this app does not: update the app or the glasses"
                    ),
                }));
            }
            SessionEvent::PairingBatteryLow { percent } => {
                warn!(percent, "glasses battery too low to pair");
                self.publisher.publish(BridgeEvent::Warning(Warning {
                    code: "glasses_battery_too_low_to_pair",
                    message: format!(
                        "The glasses' battery is too low to connect ({percent} %): charge them"
                    ),
                }));
            }
            SessionEvent::PoweringOff => {
                info!("the glasses are powering off");
                self.publisher.publish(BridgeEvent::Warning(Warning {
                    code: "glasses_powering_off",
                    message: "The glasses are powering off".into(),
                }));
            }
            SessionEvent::Dropped(reason) => debug!("glasses packets dropped: {reason}"),
            SessionEvent::Malformed(e) => debug!("undecodable glasses message: {e}"),
        }
    }

    fn on_glasses_message(&mut self, now: std::time::Instant, incoming: Incoming) {
        let (stream_id, state) = match &incoming.body {
            G::StreamStatus(s) => (
                Some(s.stream_id.clone()),
                Some(
                    crate::wire::proto::StreamState::try_from(s.state).map_or_else(
                        |_| format!("unknown {}", s.state),
                        |st| {
                            st.as_str_name()
                                .trim_start_matches("STREAM_STATE_")
                                .to_ascii_lowercase()
                        },
                    ),
                ),
            ),
            G::KeepAliveAck(a) => (Some(a.stream_id.clone()), None),
            _ => (None, None),
        };
        self.publisher.record(What::GlassesIn {
            msg: crate::glasses::body_name(&incoming.body).to_owned(),
            message_id: incoming.message_id,
            reply_to: incoming.reply_to,
            size: incoming.body.encoded_len(),
            stream_id,
            state,
        });
        if incoming.reply_to != 0 {
            self.in_flight.remove(&incoming.reply_to);
        }
        self.wifi.message(incoming.reply_to, &incoming.body);
        match incoming.body {
            G::StreamStatus(s) => {
                if let Some(t) = s.stats.as_ref().map(|st| st.temperature_c) {
                    if t.is_finite() && t != 0.0 {
                        self.health
                            .handle_input(now, HealthInput::Temperature { celsius: t });
                        self.stats_temperature(now, t);
                    }
                }
                self.supervisor
                    .handle_input(now, StreamInput::GlassesStatus(s))
            }
            G::KeepAliveAck(a) => self
                .supervisor
                .handle_input(now, StreamInput::GlassesKeepAliveAck(a)),
            G::Battery(b) => {
                let reading = BatteryReading {
                    level_percent: b.level_percent.min(100),
                    charging: b.charging,
                    active_charging: b.active_charging,
                    voltage_mv: b.voltage_mv,
                };
                self.publisher.publish(BridgeEvent::Battery(reading));
                self.health.handle_input(
                    now,
                    HealthInput::Battery {
                        percent: reading.level_percent,
                        actively_charging: reading.active_charging,
                    },
                );
                self.to_cloud(Outgoing::Battery(GlassesBatteryUpdate {
                    level: reading.level_percent,
                    charging: reading.charging,
                    time_remaining: None,
                }));
            }
            G::Thermal(t) => {
                self.last_thermal = Some(now);
                let level = match ThermalState::try_from(t.state) {
                    Ok(ThermalState::Normal) => ThermalLevel::Normal,
                    Ok(ThermalState::Warm) => ThermalLevel::Warm,
                    Ok(ThermalState::Hot) => ThermalLevel::Hot,
                    Ok(ThermalState::Critical) => ThermalLevel::Critical,
                    _ => ThermalLevel::Unknown,
                };
                let celsius = if t.temperature_c.is_finite() {
                    t.temperature_c
                } else {
                    0.0
                };
                self.publisher
                    .publish(BridgeEvent::Temperature(TemperatureReading {
                        celsius,
                        level,
                    }));
                // Every temperature reading drives the heat bands, with or without a stream
                // (the number decides; the glasses' own level is shown, not acted on).
                if t.temperature_c.is_finite() && t.temperature_c != 0.0 {
                    self.health.handle_input(
                        now,
                        HealthInput::Temperature {
                            celsius: t.temperature_c,
                        },
                    );
                }
            }
            G::WifiStatus(w) => {
                self.supervisor.handle_input(
                    now,
                    StreamInput::GlassesWifi {
                        connected: w.connected,
                    },
                );
                self.publisher.publish(BridgeEvent::Wifi(WifiInfo {
                    connected: w.connected,
                    ssid: w.ssid,
                    local_ip: w.local_ip,
                }))
            }
            other => debug!(
                "glasses message not handled yet: {}",
                crate::glasses::body_name(&other)
            ),
        }
    }

    /// Glasses that report heat only inside stream stats (Mentra Live) still show it: every
    /// 10 s at most, and only while no thermal report has come for 30 s.
    fn stats_temperature(&mut self, now: std::time::Instant, celsius: f32) {
        let recent = |t: Option<std::time::Instant>, d: u64| {
            t.is_some_and(|t| now.saturating_duration_since(t) < std::time::Duration::from_secs(d))
        };
        if recent(self.last_thermal, 30) || recent(self.last_stats_temperature, 10) {
            return;
        }
        self.last_stats_temperature = Some(now);
        let level = match self.health.heat() {
            HeatBand::Normal => ThermalLevel::Normal,
            HeatBand::Warn => ThermalLevel::Warm,
            HeatBand::Throttle => ThermalLevel::Hot,
            HeatBand::Critical => ThermalLevel::Critical,
        };
        self.publisher
            .publish(BridgeEvent::Temperature(TemperatureReading {
                celsius,
                level,
            }));
    }

    fn on_health(&mut self, alert: HealthAlert) {
        info!(?alert, "glasses health");
        let (change, warning) = match alert {
            HealthAlert::Battery(verdict) => (
                HealthChange::Battery(verdict),
                match verdict.band {
                    BatteryBand::Low => Some((
                        "battery_low",
                        "The glasses' battery is low: charge them soon",
                    )),
                    BatteryBand::Critical => Some((
                        "battery_critical",
                        "The glasses' battery is too low to stream: charge them (a stream needs 15 %, or 4 % while charging)",
                    )),
                    BatteryBand::Normal => None,
                },
            ),
            HealthAlert::Heat(band) => (
                HealthChange::Heat(band),
                match band {
                    HeatBand::Warn => Some(("temperature_warm", "The glasses are getting warm")),
                    HeatBand::Throttle => Some((
                        "temperature_hot",
                        "The glasses are hot: video quality is lowered to cool them down",
                    )),
                    HeatBand::Critical => Some((
                        "temperature_critical",
                        "The glasses are too hot: streaming is stopped until they cool down",
                    )),
                    HeatBand::Normal => None,
                },
            ),
        };
        if let Some((code, message)) = warning {
            self.publisher.publish(BridgeEvent::Warning(Warning {
                code,
                message: message.into(),
            }));
        }
        self.supervisor
            .handle_input(now(), StreamInput::Health(change));
    }

    /// A write the link refused for a reason other than being down: a warning, at most every
    /// ten seconds.
    fn write_failed(&mut self, e: &crate::glasses::LinkError) {
        if matches!(e, crate::glasses::LinkError::NotConnected) {
            return;
        }
        let now = Instant::now();
        if self
            .last_write_warning
            .is_some_and(|t| now.duration_since(t) < std::time::Duration::from_secs(10))
        {
            return;
        }
        self.last_write_warning = Some(now);
        self.publisher.publish(BridgeEvent::Warning(Warning {
            code: "glasses_write_failed",
            message: format!("Sending to the glasses failed ({e}): retrying"),
        }));
    }

    fn connection_update(&self) -> Outgoing {
        Outgoing::ConnectionState(match &self.glasses {
            Some(info) => ConnectionStateUpdate {
                status: "CONNECTED".into(),
                model_name: Some(info.model.clone()),
            },
            None => ConnectionStateUpdate {
                status: "DISCONNECTED".into(),
                model_name: None,
            },
        })
    }

    /// The links' quality now.
    fn link_quality(&self) -> LinkQuality {
        let stats = self.session.link_stats();
        let ms = |d: std::time::Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
        LinkQuality {
            glasses_rtt_ms: stats.rtt.map(ms),
            glasses_retransmissions: stats.retransmissions,
            glasses_reassembly_drops: stats.reassembly_drops,
            glasses_reconnects: self.links.glasses_ups.saturating_sub(1),
            last_disconnect_reason: self.links.last_down.clone(),
            cloud_rtt_ms: self.cloud.as_ref().and_then(CloudClient::rtt).map(ms),
            cloud_reconnects: self
                .cloud
                .as_ref()
                .map_or(0, |c| c.connections().saturating_sub(1)),
            cloud_outbox: self
                .cloud
                .as_ref()
                .map_or(0, |c| u32::try_from(c.outbox_len()).unwrap_or(u32::MAX)),
        }
    }

    /// Publishes the links' quality when it changed, at most every [`LINK_QUALITY_EVERY`].
    fn publish_link_quality(&mut self) {
        let now = Instant::now();
        if self
            .links
            .published
            .as_ref()
            .is_some_and(|(_, at)| now.duration_since(*at) < LINK_QUALITY_EVERY)
        {
            return;
        }
        let quality = self.link_quality();
        if self
            .links
            .published
            .as_ref()
            .is_some_and(|(q, _)| *q == quality)
        {
            return;
        }
        self.publisher
            .publish(BridgeEvent::LinkQuality(quality.clone()));
        self.links.published = Some((quality, now));
    }

    fn to_cloud(&self, message: Outgoing) {
        trace!(?message, "to cloud");
        let (stream_id, status) = match &message {
            Outgoing::StreamStatus(s) => (Some(s.stream_id.clone()), Some(s.status.clone())),
            Outgoing::KeepAliveAck(a) => (Some(a.stream_id.clone()), None),
            Outgoing::ConnectionState(c) => (None, Some(c.status.clone())),
            Outgoing::Battery(_) => (None, None),
        };
        self.publisher.record(What::CloudOut {
            // The model's names (the cloud's generation only renders them).
            msg: message
                .type_name(crate::cloud::CloudGeneration::V2026)
                .to_owned(),
            stream_id,
            status,
        });
        let Some(cloud) = &self.cloud else { return };
        if let Err(e) = cloud.send(message) {
            warn!("message for the cloud not queued: {e}");
        }
    }
}

fn earliest_std(
    a: Option<std::time::Instant>,
    b: Option<std::time::Instant>,
) -> Option<std::time::Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn earliest(a: Option<std::time::Instant>, b: Option<std::time::Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
    .map(Instant::from_std)
}

async fn sleep_or_never(deadline: Option<Instant>) {
    match deadline {
        Some(at) => sleep_until(at).await,
        None => pending().await,
    }
}

/// A short name for a phone body, for the flight recorder.
fn phone_body_name(body: &crate::wire::proto::phone_to_glasses::Body) -> &'static str {
    use crate::wire::proto::phone_to_glasses::Body as P;
    match body {
        P::StartStream(_) => "start_stream",
        P::StopStream(_) => "stop_stream",
        P::KeepStreamAlive(_) => "keep_stream_alive",
        P::GetStreamStatus(_) => "get_stream_status",
        P::SetStreamBitrate(_) => "set_stream_bitrate",
        P::Hello(_) => "hello",
        P::Ping(_) => "ping",
        P::Ack(_) => "ack",
        P::GetBattery(_) => "get_battery",
        P::SetWifiCredentials(_) => "set_wifi_credentials",
        P::WifiScanRequest(_) => "wifi_scan_request",
        P::GetWifiStatus(_) => "get_wifi_status",
    }
}
