//! The one error the apps see: few variants, each telling the app what to do.

use mentra_bridge::BridgeError;

/// Why a call failed. `message` is a sentence for logs or the user; it never holds secrets.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum MentraError {
    /// A setting or argument is wrong: fix it and call again.
    #[error("{message}")]
    InvalidArgument {
        /// What is wrong.
        message: String,
    },
    /// No glasses are connected: wait for a `Glasses` event saying connected.
    #[error("{message}")]
    NotConnected {
        /// What is missing.
        message: String,
    },
    /// The glasses refused or did not answer in time: try again, or tell the user.
    #[error("{message}")]
    Glasses {
        /// What the glasses did.
        message: String,
    },
    /// Wi-Fi credentials were not sent over an unencrypted link: pair the glasses, or allow it.
    #[error("{message}")]
    UnencryptedLink {
        /// The sentence for the user.
        message: String,
    },
    /// The bridge has stopped: create a new one.
    #[error("{message}")]
    Stopped {
        /// Details.
        message: String,
    },
    /// A bug in the bridge (including a panic turned into an error): please report it.
    #[error("{message}")]
    Internal {
        /// Details.
        message: String,
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
            | BridgeError::InvalidArgument(_) => Self::InvalidArgument { message },
            BridgeError::GlassesNotConnected => Self::NotConnected { message },
            BridgeError::Glasses(_) | BridgeError::Timeout(_) => Self::Glasses { message },
            BridgeError::UnencryptedLink => Self::UnencryptedLink { message },
            BridgeError::Stopped => Self::Stopped { message },
            BridgeError::Runtime(_) => Self::Internal { message },
            _ => Self::Internal { message },
        }
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for MentraError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Internal {
            message: format!("a callback into the app failed: {}", e.reason),
        }
    }
}
