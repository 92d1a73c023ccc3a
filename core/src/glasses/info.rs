//! What the glasses declared about themselves in the hello exchange.

use crate::stream::Transport;
use crate::wire::proto::{CameraLimits, Capabilities};

/// The glasses' declared identity and limits, known once the session is ready.
#[derive(Debug, Clone, PartialEq)]
pub struct GlassesInfo {
    /// Protocol version in use.
    pub protocol_version: u32,
    /// Firmware version string.
    pub firmware_version: String,
    /// Model name, e.g. "Mentra Live".
    pub model: String,
    /// Camera limits; zero maxima mean "not declared".
    pub camera: CameraLimits,
    /// Largest message (body bytes) both sides accept: the smaller of the two declarations.
    pub max_message_size: usize,
    /// True when the link is encrypted.
    pub link_encrypted: bool,
    /// ATT MTU (or the link's packet budget + 3 on stream transports).
    pub mtu: u16,
    /// Ingest transports the glasses can push; RTMP alone when they declared none.
    pub transports: Vec<Transport>,
}

impl GlassesInfo {
    pub(crate) fn from_capabilities(caps: Capabilities, ours: usize, mtu: u16) -> Self {
        let theirs = usize::try_from(caps.max_message_size).unwrap_or(usize::MAX);
        let max_message_size = if theirs == 0 { ours } else { ours.min(theirs) };
        let mut transports: Vec<Transport> = caps
            .transports
            .iter()
            .filter_map(|t| Transport::from_wire(*t))
            .collect();
        transports.dedup();
        if transports.is_empty() {
            transports.push(Transport::Rtmp);
        }
        Self {
            protocol_version: caps.protocol_version,
            firmware_version: caps.firmware_version,
            model: caps.model,
            camera: caps.camera.unwrap_or_default(),
            max_message_size,
            link_encrypted: caps.link_encrypted,
            mtu,
            transports,
        }
    }
}
