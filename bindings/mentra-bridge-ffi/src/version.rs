//! `version()`: what this library is, for a bug report — its version, the git revision it was
//! built from, the features compiled in, and the protocol, dialects and cloud generations it
//! speaks.

/// What this build of the library is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VersionInfo {
    /// The library's version.
    pub library: String,
    /// The git revision it was built from (`unknown` outside a checkout).
    pub git_revision: String,
    /// Cargo features compiled in (`ble`, `tls`, `oslog`, `simulators`).
    pub features: Vec<String>,
    /// The glasses protocol version it speaks (`proto/`).
    pub protocol_version: u32,
    /// The glasses dialects it speaks.
    pub dialects: Vec<String>,
    /// The MentraOS cloud stream-protocol generations it speaks.
    pub cloud_generations: Vec<String>,
    /// The diagnostics export format it writes.
    pub diagnostics_format: u32,
}

/// What this build of the library is.
#[uniffi::export]
pub fn version() -> VersionInfo {
    let features = [
        ("ble", cfg!(feature = "ble")),
        ("tls", cfg!(feature = "tls")),
        ("oslog", cfg!(feature = "oslog")),
        ("simulators", cfg!(feature = "simulators")),
    ];
    VersionInfo {
        library: env!("CARGO_PKG_VERSION").into(),
        git_revision: env!("MENTRA_GIT_REVISION").into(),
        features: features
            .into_iter()
            .filter(|(_, on)| *on)
            .map(|(f, _)| f.to_owned())
            .collect(),
        protocol_version: mentra_bridge::wire::PROTOCOL_VERSION,
        dialects: [
            mentra_bridge::glasses::Dialect::MentraProto,
            mentra_bridge::glasses::Dialect::MentraLive,
        ]
        .iter()
        .map(|d| d.name().to_owned())
        .collect(),
        cloud_generations: vec!["2025".into(), "2026".into()],
        diagnostics_format: mentra_bridge::diag::FORMAT_VERSION,
    }
}
