//! The glasses' body, apart from the camera's state machine: the camera limits applied to a
//! request, battery drain and heating while streaming, and the battery, thermal and Wi-Fi
//! reports.

use std::time::Instant;

use super::{Camera, GlassesSim};
use mentra_bridge::wire::proto::{
    AudioConfig, Battery, Thermal, ThermalState, VideoConfig, WifiStatus,
    glasses_to_phone::Body as G,
};

impl GlassesSim {
    pub(super) fn resolve_video(&self, v: VideoConfig) -> VideoConfig {
        let c = &self.config.camera;
        let pick = |value: u32, default: u32, lo: u32, hi: u32| {
            (if value == 0 { default } else { value }).clamp(lo, hi.max(lo))
        };
        VideoConfig {
            width: pick(v.width, 854, c.min_width, c.max_width),
            height: pick(v.height, 480, c.min_height, c.max_height),
            bitrate_bps: pick(
                v.bitrate_bps,
                1_000_000,
                c.min_video_bitrate_bps,
                c.max_video_bitrate_bps,
            ),
            fps: pick(v.fps, 15, c.min_fps, c.max_fps),
        }
    }

    pub(super) fn resolve_audio(&self, a: AudioConfig) -> AudioConfig {
        let c = &self.config.camera;
        let pick = |value: u32, default: u32, lo: u32, hi: u32| {
            (if value == 0 { default } else { value }).clamp(lo, hi.max(lo))
        };
        AudioConfig {
            bitrate_bps: pick(
                a.bitrate_bps,
                64_000,
                c.min_audio_bitrate_bps,
                c.max_audio_bitrate_bps,
            ),
            sample_rate_hz: pick(
                a.sample_rate_hz,
                44_100,
                c.min_audio_sample_rate_hz,
                c.max_audio_sample_rate_hz,
            ),
            ..a
        }
    }

    pub(super) fn advance_physics(&mut self, now: Instant) {
        let minutes = now.saturating_duration_since(self.last_tick).as_secs_f64() / 60.0;
        self.last_tick = now;
        if matches!(
            self.camera,
            Camera::Streaming { .. } | Camera::Reconnecting { .. }
        ) {
            self.battery = (self.battery - self.config.battery_drain_per_min * minutes).max(0.0);
            self.temperature = (self.temperature + self.config.warming_per_min * minutes).min(95.0);
        } else {
            let idle = self.config.idle_temperature_c;
            self.temperature = idle + (self.temperature - idle) * (-minutes / 2.0).exp();
        }
    }

    pub(super) fn telemetry(&mut self) {
        let battery = self.battery_report();
        self.emit(0, battery);
        let state = match self.temperature {
            t if t >= 85.0 => ThermalState::Critical,
            t if t >= 70.0 => ThermalState::Hot,
            t if t >= 55.0 => ThermalState::Warm,
            _ => ThermalState::Normal,
        };
        self.emit(
            0,
            G::Thermal(Thermal {
                temperature_c: (self.temperature * 10.0).round() as f32 / 10.0,
                state: state as i32,
            }),
        );
    }

    pub(super) fn battery_report(&self) -> G {
        let level = self.battery.round().clamp(0.0, 100.0) as u32;
        G::Battery(Battery {
            level_percent: level,
            charging: self.config.charging,
            active_charging: self.config.charging && level < 100,
            voltage_mv: 3300 + level * 9,
        })
    }

    pub(super) fn wifi_status(&self) -> G {
        G::WifiStatus(WifiStatus {
            connected: self.config.wifi_connected,
            ssid: if self.config.wifi_connected {
                self.config.wifi_ssid.clone()
            } else {
                String::new()
            },
            local_ip: if self.config.wifi_connected {
                "192.0.2.10".into()
            } else {
                String::new()
            },
        })
    }
}
