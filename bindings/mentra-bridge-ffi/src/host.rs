//! The app's own BLE stack as the glasses link: the app implements [`HostTransport`] (write a
//! packet, reconnect) and reports what its stack sees through the [`HostLinkHandle`] —
//! connections, MTU changes, notifications, write completions, typed disconnect reasons. Calls
//! from the app never throw: after shutdown they are dropped with a log line. The GATT
//! profiles of both dialects are exported, so the app never copies a UUID.

use std::sync::Arc;

use mentra_bridge::glasses::{self, HostTransport as CoreTransport};

use crate::records::GlassesDialect;

/// Why the app's transport failed. Any exception the app's code throws arrives as `Failed`
/// too: the bridge reports it and keeps running.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum HostError {
    /// The app's BLE stack could not do it.
    #[error("{reason}")]
    Failed {
        /// What went wrong, for logs and the user.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HostError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Failed {
            reason: format!("the app's code threw: {}", e.reason),
        }
    }
}

/// Implemented by the app: writes packets to the glasses and reconnects when asked. Both are
/// called on a bridge thread and must return quickly (queue the work).
#[uniffi::export(with_foreign)]
pub trait HostTransport: Send + Sync {
    /// Write one packet (≤ MTU − 3 bytes), in order: our dialect's `cmd` characteristic
    /// (write without response), or Mentra Live's TX (write with response); see
    /// `gattProfiles()`. With a write window, call `writeCompleted` when the stack is done.
    fn write(&self, packet: Vec<u8>) -> Result<(), HostError>;
    /// The glasses went silent: drop the connection and reconnect, then report `connected`.
    fn reconnect(&self) -> Result<(), HostError>;
}

/// Adapts the app's transport to the core's.
pub(crate) struct Adapter(pub(crate) Arc<dyn HostTransport>);

impl CoreTransport for Adapter {
    fn write(&self, packet: Vec<u8>) -> Result<(), String> {
        self.0.write(packet).map_err(|e| e.to_string())
    }

    fn reconnect(&self) -> Result<(), String> {
        self.0.reconnect().map_err(|e| e.to_string())
    }
}

/// Why the app's BLE connection dropped, as its stack reports it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum DisconnectReason {
    /// Android: the `status` of `BluetoothGattCallback.onConnectionStateChange`.
    GattStatus {
        /// The GATT status (8 supervision timeout, 19 closed by the glasses, 22 closed by the
        /// phone, 62 never established, 133 `GATT_ERROR`).
        status: i32,
    },
    /// iOS: the `CBError` code of `didDisconnectPeripheral` (6 connection timeout, 7 closed
    /// by the glasses, 14 pairing information removed).
    CoreBluetooth {
        /// `CBError.Code.rawValue`.
        code: i64,
        /// `error.localizedDescription`.
        description: String,
    },
    /// Bluetooth was turned off on the phone.
    BluetoothOff,
    /// The app closed the connection itself.
    ClosedByApp,
    /// Anything else.
    Other {
        /// What happened.
        message: String,
    },
}

impl DisconnectReason {
    /// The sentence the UI shows (the bridge's `Disconnected` state carries it).
    pub(crate) fn sentence(&self) -> String {
        match self {
            Self::GattStatus { status } => {
                let meaning = match status {
                    8 => "the glasses went out of range (supervision timeout)",
                    19 => "the glasses closed the connection",
                    22 => "the phone closed the connection",
                    62 => "the connection could not be established",
                    133 => "GATT_ERROR, often a stale connection: retrying",
                    _ => "the connection dropped",
                };
                format!("{meaning} (GATT status {status})")
            }
            Self::CoreBluetooth { code, description } => {
                format!("{description} (CBError {code})")
            }
            Self::BluetoothOff => "Bluetooth is off".into(),
            Self::ClosedByApp => "the app closed the connection".into(),
            Self::Other { message } => message.clone(),
        }
    }
}

/// How the app reports its BLE stack's events to the bridge. Callable from any thread; never
/// throws (after shutdown a call is dropped with a log line).
#[derive(Debug, uniffi::Object)]
pub struct HostLinkHandle {
    pub(crate) inner: glasses::HostLinkHandle,
}

#[uniffi::export]
impl HostLinkHandle {
    /// Connected, services discovered, notifications on; `mtu` is the ATT MTU.
    pub fn connected(&self, mtu: u16) {
        report("connected", self.inner.connected(mtu));
    }

    /// As `connected`, saying what the glasses speak: the app knows from the GATT service it
    /// discovered (see `gattProfiles()`).
    pub fn connected_as(&self, mtu: u16, dialect: GlassesDialect) {
        report("connected", self.inner.connected_as(mtu, dialect.into()));
    }

    /// A notification arrived on the notify characteristic.
    pub fn received(&self, packet: Vec<u8>) {
        report("received", self.inner.received(packet));
    }

    /// The ATT MTU changed on the live connection (`onMtuChanged`): the session goes on.
    pub fn mtu_changed(&self, mtu: u16) {
        report("mtu_changed", self.inner.mtu_changed(mtu));
    }

    /// A write handed over by `HostTransport.write` finished (`onCharacteristicWrite`, or
    /// `peripheralIsReady(toSendWriteWithoutResponse:)`); `error` when it failed. Needed only
    /// with a write window.
    pub fn write_completed(&self, error: Option<String>) {
        let result = match error {
            None => Ok(()),
            Some(e) => Err(e),
        };
        report("write_completed", self.inner.write_completed(result));
    }

    /// The connection dropped, as a sentence.
    pub fn disconnected(&self, reason: String) {
        report("disconnected", self.inner.disconnected(reason));
    }

    /// The connection dropped, as the stack reported it.
    pub fn disconnected_because(&self, reason: DisconnectReason) {
        report("disconnected", self.inner.disconnected(reason.sentence()));
    }
}

/// Logs what the bridge could not take; never an exception on the app's BLE thread.
fn report(what: &str, result: Result<(), glasses::LinkError>) {
    match result {
        Ok(()) => {}
        Err(glasses::LinkError::Closed) => {
            tracing::debug!("host link: {what} after the bridge stopped; dropped");
        }
        Err(e) => tracing::warn!("host link: {what} dropped: {e}"),
    }
}

/// A BLE GATT profile the app connects to.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GattProfile {
    /// Which dialect the glasses behind it speak (pass it to `connectedAs`).
    pub dialect: GlassesDialect,
    /// The primary service to scan for and discover.
    pub service: String,
    /// The characteristic the phone writes packets to.
    pub write_characteristic: String,
    /// The characteristic whose notifications carry the glasses' packets.
    pub notify_characteristic: String,
    /// Write with response (Mentra Live) or without (ours).
    pub write_with_response: bool,
    /// A device-name prefix to accept when the service is not advertised.
    pub name_prefix: String,
    /// The ATT MTU to request after connecting.
    pub preferred_mtu: u16,
}

/// The GATT profiles of both dialects: ours first, then Mentra Live's.
#[uniffi::export]
pub fn gatt_profiles() -> Vec<GattProfile> {
    use mentra_bridge::glasses::live::gatt as live;
    use mentra_bridge::wire::gatt as ours;
    vec![
        GattProfile {
            dialect: GlassesDialect::MentraProto,
            service: ours::SERVICE_UUID.into(),
            write_characteristic: ours::CMD_CHARACTERISTIC_UUID.into(),
            notify_characteristic: ours::EVT_CHARACTERISTIC_UUID.into(),
            write_with_response: false,
            name_prefix: ours::NAME_PREFIX.into(),
            preferred_mtu: 517,
        },
        GattProfile {
            dialect: GlassesDialect::MentraLive,
            service: live::SERVICE.into(),
            write_characteristic: live::TX.into(),
            notify_characteristic: live::RX.into(),
            write_with_response: true,
            name_prefix: ours::NAME_PREFIX.into(),
            preferred_mtu: live::MAX_MTU,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disconnect_reasons_read_as_sentences_with_their_codes() {
        let gatt = DisconnectReason::GattStatus { status: 8 }.sentence();
        assert!(
            gatt.contains("out of range") && gatt.contains("GATT status 8"),
            "{gatt}"
        );
        let cb = DisconnectReason::CoreBluetooth {
            code: 7,
            description: "The specified device has disconnected from us.".into(),
        }
        .sentence();
        assert!(cb.ends_with("(CBError 7)"), "{cb}");
    }

    #[test]
    fn both_profiles_are_exported_with_distinct_services() {
        let profiles = gatt_profiles();
        assert_eq!(profiles.len(), 2);
        assert_ne!(profiles[0].service, profiles[1].service);
        assert!(profiles[1].service.starts_with("00004860"));
    }
}
