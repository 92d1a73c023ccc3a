//! The snapshot a new subscriber gets first: the bridge's current picture, derived only from
//! the events published so far.

use crate::stream::{StreamState, StreamUpdate};

use super::event::{
    BatteryReading, BridgeEvent, CloudConnectionState, GlassesConnectionState, TemperatureReading,
    WifiInfo,
};

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
    /// The latest update of the current stream; `None` once it ended.
    pub stream: Option<StreamUpdate>,
    /// Latest battery reading.
    pub battery: Option<BatteryReading>,
    /// Latest temperature reading.
    pub temperature: Option<TemperatureReading>,
    /// Latest Wi-Fi status.
    pub wifi: Option<WifiInfo>,
}

impl Default for BridgeState {
    fn default() -> Self {
        Self {
            cloud: CloudConnectionState::Connecting,
            glasses: GlassesConnectionState::Disconnected { reason: None },
            stream: None,
            battery: None,
            temperature: None,
            wifi: None,
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
                let ended = update.state.is_terminal()
                    && self
                        .stream
                        .as_ref()
                        .is_none_or(|s| s.stream_id == update.stream_id);
                // A refused second start (another id) does not replace the running stream.
                let other_running = self
                    .stream
                    .as_ref()
                    .is_some_and(|s| s.stream_id != update.stream_id && !s.state.is_terminal());
                if ended {
                    self.stream = None;
                } else if !other_running {
                    self.stream = Some(update.clone());
                }
            }
            BridgeEvent::KeepAliveAcked { .. } | BridgeEvent::Warning(_) => {}
            BridgeEvent::Battery(b) => self.battery = Some(*b),
            BridgeEvent::Temperature(t) => self.temperature = Some(*t),
            BridgeEvent::Wifi(w) => self.wifi = Some(w.clone()),
        }
    }

    /// The current stream's state, if one is running.
    pub fn stream_state(&self) -> Option<StreamState> {
        self.stream.as_ref().map(|s| s.state)
    }
}
