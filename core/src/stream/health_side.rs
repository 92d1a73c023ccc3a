//! The supervisor's answer to the glasses' health (rule 10): a dying battery or an overheated
//! camera stops the stream, a hot one is throttled (and the throttle is sent until the glasses
//! acknowledge it), warnings reach the cloud on the stream's status.

use std::time::Instant;

use tracing::warn;

use super::cloud_side::battery_detail;
use super::error::StreamProblem;
use super::io::{CommandKind, HealthChange};
use super::status::StreamState;
use super::supervisor::StreamSupervisor;
use crate::health::{BatteryBand, HeatBand};
use crate::wire::proto::{SetStreamBitrate, phone_to_glasses};

impl StreamSupervisor {
    pub(crate) fn health(&mut self, now: Instant, change: HealthChange) {
        // Rule 10.
        match change {
            HealthChange::Battery(verdict) => {
                self.battery = Some(verdict);
                match verdict.band {
                    BatteryBand::Critical => {
                        let detail = battery_detail(&verdict);
                        self.stop_for(now, StreamProblem::BatteryLow, Some(detail));
                    }
                    BatteryBand::Low => self.warn_stream(StreamProblem::BatteryLowWarning),
                    BatteryBand::Normal => {}
                }
            }
            HealthChange::Heat(band) => {
                let was = std::mem::replace(&mut self.heat, band);
                match band {
                    HeatBand::Critical => self.stop_for(now, StreamProblem::Overheated, None),
                    HeatBand::Throttle => self.throttle(true),
                    HeatBand::Warn | HeatBand::Normal => {
                        if was >= HeatBand::Throttle {
                            self.throttle(false);
                        } else if band == HeatBand::Warn {
                            self.warn_stream(StreamProblem::ThermalWarning);
                        }
                    }
                }
            }
        }
    }

    fn stop_for(&mut self, now: Instant, problem: StreamProblem, detail: Option<String>) {
        if self
            .active
            .as_ref()
            .is_some_and(|a| a.state != StreamState::Stopping)
        {
            warn!("stopping the stream: {}", problem.code());
            self.begin_stop_with(now, Some(problem), detail);
        }
    }

    /// Tells the cloud and the UI about a warning on the running stream.
    fn warn_stream(&mut self, problem: StreamProblem) {
        if let Some(a) = &self.active {
            let state = a.state;
            self.report_all(state, Some(problem), None, None, None, None);
        }
    }

    /// Lowers (or restores) the bitrate of the stream, running or about to start.
    pub(crate) fn throttle(&mut self, on: bool) {
        let factor = self.config.throttle_factor;
        let ready = self.glasses.ready;
        let Some(a) = self.active.as_mut() else {
            return;
        };
        if a.state == StreamState::Stopping || !a.set_throttled(on, factor) {
            return;
        }
        let bitrate = a
            .request
            .video
            .as_ref()
            .map_or(a.full_bitrate, |v| v.bitrate_bps);
        let (state, sent) = (a.state, a.sent);
        if !sent {
            return;
        }
        if ready {
            self.send_bitrate(false);
        }
        let detail = Some(format!("bitrate set to {} kbps", bitrate / 1000));
        let problem = on.then_some(StreamProblem::ThermalThrottle);
        self.report_all(state, problem, detail, None, None, None);
    }
}

impl StreamSupervisor {
    /// Sends the bitrate the stream should run at; `again` when the last one went unanswered
    /// (at most [`BITRATE_SENDS`] times per change).
    pub(crate) fn send_bitrate(&mut self, again: bool) {
        if !self.glasses.ready {
            return;
        }
        let Some(a) = self.active.as_mut() else {
            return;
        };
        if again && a.bitrate_sends >= BITRATE_SENDS {
            return;
        }
        a.bitrate_sends = if again {
            a.bitrate_sends.saturating_add(1)
        } else {
            1
        };
        if !a.sent || a.state == StreamState::Stopping {
            return;
        }
        let bitrate = a
            .request
            .video
            .as_ref()
            .map_or(a.full_bitrate, |v| v.bitrate_bps);
        let id = a.glasses_id.clone();
        self.send(
            &id,
            CommandKind::Bitrate,
            phone_to_glasses::Body::SetStreamBitrate(SetStreamBitrate {
                stream_id: id.clone(),
                bitrate_bps: bitrate,
            }),
        );
    }
}

/// How many times one bitrate change is sent before the bridge stops insisting (each try
/// waits out the session's answer timeout, so this is about a minute of a lossy link).
pub(crate) const BITRATE_SENDS: u8 = 12;
