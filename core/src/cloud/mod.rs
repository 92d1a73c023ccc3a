//! The cloud side: the MentraOS glasses WebSocket messages of both generations (2025
//! `*_rtmp_*`, 2026 `start_stream` / `stream_status`; JSON, field names exactly as MentraOS
//! sends them), their translation to and from the bridge's stream commands and reports, and
//! [`CloudClient`], the tokio-tungstenite shell with token auth, reconnect with backoff and
//! jitter, heartbeat, and a bounded, ordered outbox rendered in the generation the cloud speaks.

mod backoff;
mod client;
mod connector;
mod error;
mod incoming;
mod outbox;
mod outgoing;
mod timestamp;
mod translate;

pub use backoff::{Backoff, BackoffConfig};
pub use client::{CloudClient, CloudConfig, CloudEvent};
pub use connector::{AsyncStream, BoxedStream, CloudConnector, TcpConnector};
pub use error::{CloudError, CloudParseError};
pub use incoming::{
    AudioConfig, CloudCommand, CloudGeneration, IceSettings, Incoming, KeepAliveMessage,
    MAX_FRAME_BYTES, StartStreamMessage, StopStreamMessage, StreamLimits, VideoConfig,
    parse_incoming,
};
pub use outbox::{Outbox, PushOutcome};
pub use outgoing::{
    ConnectionStateUpdate, GlassesBatteryUpdate, KeepAliveAck, Outgoing, ResolvedAudioJson,
    ResolvedConfigJson, ResolvedVideoJson, SentFrame, StatusStats, StreamStatusMessage,
    parse_outgoing,
};
pub use timestamp::iso8601;
pub use translate::MANAGED_APP_ID;
