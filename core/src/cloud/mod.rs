//! The cloud side: the MentraOS glasses WebSocket messages the bridge handles (JSON, field
//! names exactly as MentraOS sends them) and [`CloudClient`], the tokio-tungstenite shell with
//! token auth, reconnect with backoff and jitter, heartbeat, and a bounded, ordered outbox.

mod backoff;
mod client;
mod connector;
mod error;
mod messages;
mod outbox;
mod timestamp;

pub use backoff::{Backoff, BackoffConfig};
pub use client::{CloudClient, CloudConfig, CloudEvent};
pub use connector::{AsyncStream, BoxedStream, CloudConnector, TcpConnector};
pub use error::{CloudError, CloudParseError};
pub use messages::{
    AudioConfig, CloudCommand, ConnectionStateUpdate, GlassesBatteryUpdate, Incoming, KeepAliveAck,
    KeepRtmpStreamAlive, MAX_FRAME_BYTES, Outgoing, ResolvedAudio, ResolvedConfig, ResolvedVideo,
    RtmpStreamStatus, StartRtmpStream, StatusStats, StopRtmpStream, StreamLimits, VideoConfig,
    parse_incoming, parse_outgoing,
};
pub use outbox::{Outbox, PushOutcome};
pub use timestamp::iso8601;
