//! The snapshot a new subscriber gets first: the bridge's current picture, derived only from
//! the events published so far.

use crate::stream::{StreamState, StreamUpdate};

use super::event::{
    BatteryReading, BridgeEvent, CloudConnectionState, GlassesConnectionState, TemperatureReading,
    WifiInfo,
};

/// Live streams the snapshot keeps, at most (a shared stream's viewers).
const MAX_STREAMS: usize = 16;

/// Sizes of the bridge's queues and maps, for the whole-bridge simulation's boundedness checks
/// and for diagnostics. Read with [`crate::BridgeHandle::internals`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Internals {
    /// Messages waiting for the cloud.
    pub outbox: usize,
    /// Commands sent to the glasses and not yet answered, as the run loop tracks them.
    pub in_flight: usize,
    /// Commands the session is retrying.
    pub session_pending: usize,
    /// Streams, stops owed and ended ids the supervisor remembers.
    pub supervisor_tracked: usize,
}

/// The current picture.
#[derive(Debug, Clone, PartialEq)]
pub struct BridgeState {
    /// Cloud connection.
    pub cloud: CloudConnectionState,
    /// Glasses connection.
    pub glasses: GlassesConnectionState,
    /// The latest update of the current stream (the most recently updated of `streams`);
    /// `None` once every stream ended.
    pub stream: Option<StreamUpdate>,
    /// The latest update of every live stream, one per stream id (the viewers of a shared
    /// managed stream each have theirs); ended streams leave it.
    pub streams: Vec<StreamUpdate>,
    /// Latest battery reading.
    pub battery: Option<BatteryReading>,
    /// Latest temperature reading.
    pub temperature: Option<TemperatureReading>,
    /// Latest Wi-Fi status.
    pub wifi: Option<WifiInfo>,
    /// How good the links are.
    pub link: super::event::LinkQuality,
}

impl Default for BridgeState {
    fn default() -> Self {
        Self {
            cloud: CloudConnectionState::Connecting,
            glasses: GlassesConnectionState::Disconnected { reason: None },
            stream: None,
            streams: Vec::new(),
            battery: None,
            temperature: None,
            wifi: None,
            link: super::event::LinkQuality::default(),
        }
    }
}

impl BridgeState {
    /// Folds one event into the picture.
    pub fn apply(&mut self, event: &BridgeEvent) {
        match event {
            BridgeEvent::Snapshot(s) => *self = (**s).clone(),
            BridgeEvent::Cloud(c) => self.cloud = c.clone(),
            BridgeEvent::Glasses(g) => self.glasses = g.clone(),
            BridgeEvent::Stream(update) => {
                self.streams.retain(|s| s.stream_id != update.stream_id);
                if !update.state.is_terminal() {
                    if self.streams.len() >= MAX_STREAMS {
                        self.streams.remove(0);
                    }
                    self.streams.push(update.clone());
                }
                // A refused second start (another id) ends at once and never shows; the
                // stream shown is the live one updated last.
                self.stream = self.streams.last().cloned();
            }
            BridgeEvent::KeepAliveAcked { .. }
            | BridgeEvent::Warning(_)
            | BridgeEvent::Stopped(_) => {}
            BridgeEvent::Battery(b) => self.battery = Some(*b),
            BridgeEvent::Temperature(t) => self.temperature = Some(*t),
            BridgeEvent::Wifi(w) => self.wifi = Some(w.clone()),
            BridgeEvent::LinkQuality(q) => self.link = q.clone(),
        }
    }

    /// The current stream's state, if one is running.
    pub fn stream_state(&self) -> Option<StreamState> {
        self.stream.as_ref().map(|s| s.state)
    }
}
