//! The one error the apps see: few variants, each telling the app what to do.

use mentra_bridge::BridgeError;

/// Why a call failed. `reason` is a sentence for logs or the user; it never holds secrets.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum MentraError {
    /// A setting or argument is wrong: fix it and call again.
    #[error("{reason}")]
    InvalidArgument {
        /// What is wrong.
        reason: String,
    },
    /// No glasses are connected: wait for a `Glasses` event saying connected.
    #[error("{reason}")]
    NotConnected {
        /// What is missing.
        reason: String,
    },
    /// The glasses refused or did not answer in time: try again, or tell the user.
    #[error("{reason}")]
    Glasses {
        /// What the glasses did.
        reason: String,
    },
    /// Wi-Fi credentials were not sent over an unencrypted link: pair the glasses, or allow it.
    #[error("{reason}")]
    UnencryptedLink {
        /// The sentence for the user.
        reason: String,
    },
    /// The bridge has stopped: create a new one.
    #[error("{reason}")]
    Stopped {
        /// Details.
        reason: String,
    },
    /// A bug in the bridge (including a panic turned into an error): please report it.
    #[error("{reason}")]
    Internal {
        /// Details.
        reason: String,
    },
}

impl From<BridgeError> for MentraError {
    fn from(e: BridgeError) -> Self {
        let message = e.to_string();
        match e {
            BridgeError::Cloud(_)
            | BridgeError::Session(_)
            | BridgeError::Stream(_)
            | BridgeError::Health(_)
            | BridgeError::Config(_)
            | BridgeError::InvalidArgument(_) => Self::InvalidArgument { reason: message },
            BridgeError::GlassesNotConnected => Self::NotConnected { reason: message },
            BridgeError::Glasses(_) | BridgeError::Timeout(_) => Self::Glasses { reason: message },
            BridgeError::UnencryptedLink => Self::UnencryptedLink { reason: message },
            BridgeError::Stopped => Self::Stopped { reason: message },
            BridgeError::Runtime(_) => Self::Internal { reason: message },
            _ => Self::Internal { reason: message },
        }
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for MentraError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Internal {
            reason: format!("a callback into the app failed: {}", e.reason),
        }
    }
}
