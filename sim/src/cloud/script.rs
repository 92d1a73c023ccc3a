//! A scripted stream, played by the cloud simulator against a bridge: wait for the glasses,
//! start, wait for `streaming`, send keep-alives and wait for each ack, stop, wait for
//! `stopped`, with every message named and shaped as the simulator's cloud generation does.
//! Used by the demo and by the end-to-end tests.

use std::time::Duration;

use mentra_bridge::cloud::{AudioConfig, MANAGED_APP_ID, Outgoing, VideoConfig};
use thiserror::Error;
use tokio::time::sleep;

use super::server::CloudSim;
use super::shape::{StartSpec, keep_alive_command, start_command, stop_command};

/// A managed stream's ingest as the 2026 cloud hands it out: Cloudflare's WHIP endpoint, with
/// the live-input key in the path (≈ 100 characters).
pub const DEMO_WHIP_URL: &str = "https://customer-m4k2q7xa1demo.cloudflarestream.com/9f8e7d6c5b4a39281706f5e4d3c2b1a0/webRTC/publish";

/// What the script asks for.
#[derive(Debug, Clone)]
pub struct StreamScript {
    /// Stream id the cloud assigns.
    pub stream_id: String,
    /// Ingest URL (reached only when the glasses simulator runs a real encoder). Default: a
    /// Cloudflare-style WHIP endpoint ([`DEMO_WHIP_URL`]).
    pub url: String,
    /// A managed stream (`MANAGED_STREAM`), or the app's own. Default managed.
    pub managed: bool,
    /// Ask for 1 Hz stats (2026 clouds only). Default on.
    pub telemetry: Option<bool>,
    /// Video asked for. Default 1280×720, 2 Mbit/s, 30 fps.
    pub video: VideoConfig,
    /// Audio asked for. Default 64 kbit/s at 44.1 kHz.
    pub audio: AudioConfig,
    /// `appId` of the requesting app (`MANAGED_STREAM` for a managed stream).
    pub app_id: String,
    /// Keep-alives to send once streaming.
    pub keep_alives: u32,
    /// Time between keep-alives.
    pub keep_alive_interval: Duration,
    /// Extra time to stay live after the last keep-alive.
    pub hold: Duration,
    /// Longest wait for any one step.
    pub step_timeout: Duration,
}

impl Default for StreamScript {
    fn default() -> Self {
        Self {
            stream_id: "m4k2q7xa1bc".into(),
            url: DEMO_WHIP_URL.into(),
            managed: true,
            telemetry: Some(true),
            app_id: "com.mentra.streamer".into(),
            video: VideoConfig {
                width: Some(1280.0),
                height: Some(720.0),
                bitrate: Some(2_000_000.0),
                frame_rate: Some(30.0),
                fps: None,
            },
            audio: AudioConfig {
                bitrate: Some(64_000.0),
                sample_rate: Some(44_100.0),
                echo_cancellation: Some(false),
                noise_suppression: Some(false),
            },
            keep_alives: 3,
            keep_alive_interval: Duration::from_secs(1),
            hold: Duration::ZERO,
            step_timeout: Duration::from_secs(10),
        }
    }
}

/// How the script went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScriptReport {
    /// Keep-alives acked, by ack id, in order.
    pub acked: Vec<String>,
    /// Status words the cloud saw for the stream, in order.
    pub statuses: Vec<String>,
}

/// Why the script did not finish.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ScriptError {
    /// A step did not happen in time.
    #[error("timed out waiting for {0}")]
    Timeout(String),
    /// The bridge reported the stream failed.
    #[error("stream failed: {0}")]
    StreamFailed(String),
    /// The bridge was not connected when the cloud wanted to send.
    #[error("bridge not connected to the cloud simulator")]
    NotConnected,
}

fn is_status(m: &Outgoing, id: &str, words: &[&str]) -> bool {
    matches!(m, Outgoing::StreamStatus(s) if s.stream_id == id && words.contains(&s.status.as_str()))
}

/// Plays the script. `say` receives one line per cloud-side step.
pub async fn run_stream_script(
    cloud: &CloudSim,
    script: &StreamScript,
    say: &mut (dyn FnMut(String) + Send),
) -> Result<ScriptReport, ScriptError> {
    let id = script.stream_id.as_str();
    let limit = script.step_timeout;
    let mut report = ScriptReport::default();

    cloud
        .wait_for(
            0,
            limit,
            |m| matches!(m, Outgoing::ConnectionState(c) if c.status == "CONNECTED"),
        )
        .await
        .ok_or_else(|| ScriptError::Timeout("the glasses to connect".into()))?;

    let generation = cloud.generation();
    let app_id = if script.managed {
        MANAGED_APP_ID
    } else {
        script.app_id.as_str()
    };
    let cursor = cloud.cursor();
    let start = start_command(
        &StartSpec {
            stream_id: script.stream_id.clone(),
            url: script.url.clone(),
            managed: script.managed,
            app_id: script.app_id.clone(),
            video: Some(script.video.clone()),
            audio: Some(script.audio.clone()),
            duration_limit: Some(600.0),
            telemetry: script.telemetry,
            auth_token: None,
        },
        generation,
    );
    say(format!("→ {} {id}", start.type_name(generation)));
    if !cloud.send(&start).await {
        return Err(ScriptError::NotConnected);
    }
    let (_, live) = cloud
        .wait_for(cursor, limit, |m| is_status(m, id, &["streaming", "error"]))
        .await
        .ok_or_else(|| ScriptError::Timeout(format!("{id} to stream")))?;
    if let Outgoing::StreamStatus(s) = &live {
        if s.status == "error" {
            return Err(ScriptError::StreamFailed(
                s.error_details
                    .clone()
                    .unwrap_or_else(|| "no reason given".into()),
            ));
        }
    }

    for n in 1..=script.keep_alives {
        sleep(script.keep_alive_interval).await;
        let ack_id = format!("a{n:04}");
        let cursor = cloud.cursor();
        let ka = keep_alive_command(&script.stream_id, &ack_id);
        say(format!("→ {} {id} ack {ack_id}", ka.type_name(generation)));
        if !cloud.send(&ka).await {
            return Err(ScriptError::NotConnected);
        }
        cloud
            .wait_for(cursor, limit, |m| {
                matches!(m, Outgoing::KeepAliveAck(a) if a.stream_id == id && a.ack_id == ack_id)
            })
            .await
            .ok_or_else(|| ScriptError::Timeout(format!("keep-alive ack {ack_id}")))?;
        report.acked.push(ack_id);
    }
    sleep(script.hold).await;

    let cursor = cloud.cursor();
    let stop = stop_command(&script.stream_id, app_id);
    say(format!("→ {} {id}", stop.type_name(generation)));
    if !cloud.send(&stop).await {
        return Err(ScriptError::NotConnected);
    }
    cloud
        .wait_for(cursor, limit, |m| is_status(m, id, &["stopped"]))
        .await
        .ok_or_else(|| ScriptError::Timeout(format!("{id} to stop")))?;

    report.statuses = cloud
        .received()
        .into_iter()
        .filter_map(|r| match r.message {
            Outgoing::StreamStatus(s) if s.stream_id == id => Some(s.status),
            _ => None,
        })
        .collect();
    Ok(report)
}
