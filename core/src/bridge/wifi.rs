//! Wi-Fi provisioning of the glasses: set credentials, scan (results gathered into one list),
//! read the status. Credentials only go over an encrypted link unless the caller explicitly
//! allows otherwise, and the password is a `Redacted` from the moment it is handed over.

use std::collections::HashMap;
use std::time::Instant;

use tokio::sync::oneshot;
use tracing::{info, warn};

use super::error::BridgeError;
use super::event::WifiInfo;
use crate::Redacted;
use crate::glasses::{CommandFailure, GlassesInfo, GlassesSession};
use crate::wire::limits::{MAX_PASSWORD, MAX_SSID};
use crate::wire::proto::{
    self, GetWifiStatus, SetWifiCredentials, WifiScanRequest, glasses_to_phone::Body as G,
    phone_to_glasses::Body as P,
};

/// Network security.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WifiSecurity {
    /// No password.
    Open,
    /// WPA2-Personal.
    Wpa2,
    /// WPA3-Personal.
    Wpa3,
    /// WPA2/WPA3 transition mode.
    Wpa2Wpa3,
}

/// Credentials for the glasses' Wi-Fi.
#[derive(Debug, Clone)]
pub struct WifiCredentials {
    /// Network name (1–32 bytes).
    pub ssid: String,
    /// Passphrase (8–63 bytes; empty for an open network). Never logged.
    pub password: Redacted<String>,
    /// Security.
    pub security: WifiSecurity,
    /// Send even though the glasses link is not encrypted (anyone nearby could read the
    /// password). Default false: refuse.
    pub allow_unencrypted_link: bool,
}

/// A network the glasses can see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WifiNetwork {
    /// Network name.
    pub ssid: String,
    /// Needs a password.
    pub requires_password: bool,
    /// Signal strength, dBm.
    pub rssi_dbm: i32,
}

pub(crate) enum WifiRequest {
    Set(WifiCredentials),
    Scan,
    Status,
}

#[derive(Debug)]
pub(crate) enum WifiReply {
    Done,
    Networks(Vec<WifiNetwork>),
    Status(WifiInfo),
}

pub(crate) type Responder = oneshot::Sender<Result<WifiReply, BridgeError>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Set,
    Scan,
    Status,
}

/// Wi-Fi requests waiting for the glasses.
#[derive(Default)]
pub(crate) struct WifiRequests {
    by_id: HashMap<u32, (Kind, Responder)>,
    /// A scan the glasses accepted: results gather here until one says `complete`.
    scanning: Option<(Responder, Vec<WifiNetwork>)>,
}

impl WifiRequests {
    /// Checks and sends a request; answers at once when it cannot be sent.
    pub(crate) fn begin(
        &mut self,
        session: &mut GlassesSession,
        glasses: Option<&GlassesInfo>,
        now: Instant,
        request: WifiRequest,
        reply: Responder,
    ) {
        let Some(glasses) = glasses else {
            let _ = reply.send(Err(BridgeError::GlassesNotConnected));
            return;
        };
        let (kind, body) = match request {
            WifiRequest::Set(c) => {
                if let Err(e) = check(&c, glasses) {
                    let _ = reply.send(Err(e));
                    return;
                }
                info!(ssid = %c.ssid, "sending Wi-Fi credentials");
                let body = P::SetWifiCredentials(SetWifiCredentials {
                    ssid: c.ssid,
                    password: c.password.into_inner(),
                    security: security(c.security) as i32,
                });
                (Kind::Set, body)
            }
            WifiRequest::Scan => (Kind::Scan, P::WifiScanRequest(WifiScanRequest {})),
            WifiRequest::Status => (Kind::Status, P::GetWifiStatus(GetWifiStatus {})),
        };
        match session.send(now, body) {
            Ok(id) => {
                self.by_id.insert(id, (kind, reply));
            }
            Err(e) => {
                let _ = reply.send(Err(BridgeError::Glasses(e.to_string())));
            }
        }
    }

    /// The glasses acknowledged command `id`. True if it was a Wi-Fi request.
    pub(crate) fn acked(&mut self, id: u32) -> bool {
        match self.by_id.remove(&id) {
            Some((Kind::Set, reply)) => {
                let _ = reply.send(Ok(WifiReply::Done));
                true
            }
            Some((Kind::Scan, reply)) => {
                if let Some((old, _)) = self.scanning.replace((reply, Vec::new())) {
                    let _ = old.send(Err(BridgeError::Glasses(
                        "a newer scan replaced this one".into(),
                    )));
                }
                true
            }
            Some((kind, reply)) => {
                // A status request answered with a bare ack: ask again later.
                self.by_id.insert(id, (kind, reply));
                true
            }
            None => false,
        }
    }

    /// Command `id` failed. True if it was a Wi-Fi request.
    pub(crate) fn failed(&mut self, id: u32, reason: &CommandFailure) -> bool {
        match self.by_id.remove(&id) {
            Some((_, reply)) => {
                warn!("Wi-Fi request failed: {reason}");
                let _ = reply.send(Err(BridgeError::Glasses(reason.to_string())));
                true
            }
            None => false,
        }
    }

    /// A message from the glasses that may answer a Wi-Fi request.
    pub(crate) fn message(&mut self, reply_to: u32, body: &G) {
        match body {
            G::WifiStatus(w) => {
                if let Some((Kind::Status, reply)) = self.by_id.remove(&reply_to) {
                    let _ = reply.send(Ok(WifiReply::Status(WifiInfo {
                        connected: w.connected,
                        ssid: w.ssid.clone(),
                        local_ip: w.local_ip.clone(),
                    })));
                }
            }
            G::WifiScanResult(result) => {
                let Some((_, networks)) = self.scanning.as_mut() else {
                    return;
                };
                for n in &result.networks {
                    merge(networks, n);
                }
                if result.complete {
                    if let Some((reply, mut networks)) = self.scanning.take() {
                        networks.sort_by_key(|n| std::cmp::Reverse(n.rssi_dbm));
                        let _ = reply.send(Ok(WifiReply::Networks(networks)));
                    }
                }
            }
            _ => {}
        }
    }

    /// The link dropped: every waiting request fails.
    pub(crate) fn link_down(&mut self) {
        for (_, (_, reply)) in self.by_id.drain() {
            let _ = reply.send(Err(BridgeError::GlassesNotConnected));
        }
        if let Some((reply, _)) = self.scanning.take() {
            let _ = reply.send(Err(BridgeError::GlassesNotConnected));
        }
    }
}

/// One network per SSID, the strongest sighting kept (the glasses report one per message).
fn merge(networks: &mut Vec<WifiNetwork>, n: &proto::WifiNetwork) {
    if n.ssid.is_empty() {
        return;
    }
    match networks.iter_mut().find(|k| k.ssid == n.ssid) {
        Some(known) => known.rssi_dbm = known.rssi_dbm.max(n.rssi_dbm),
        None => networks.push(WifiNetwork {
            ssid: n.ssid.clone(),
            requires_password: n.requires_password,
            rssi_dbm: n.rssi_dbm,
        }),
    }
}

fn check(c: &WifiCredentials, glasses: &GlassesInfo) -> Result<(), BridgeError> {
    if c.ssid.is_empty() || c.ssid.len() > MAX_SSID {
        return Err(BridgeError::InvalidArgument(
            "the network name must be 1 to 32 bytes",
        ));
    }
    let len = c.password.expose().len();
    match c.security {
        WifiSecurity::Open if len > 0 => {
            return Err(BridgeError::InvalidArgument(
                "an open network takes no password",
            ));
        }
        WifiSecurity::Open => {}
        _ if !(8..=MAX_PASSWORD).contains(&len) => {
            return Err(BridgeError::InvalidArgument(
                "a WPA password must be 8 to 63 characters",
            ));
        }
        _ => {}
    }
    if !glasses.link_encrypted && !c.allow_unencrypted_link {
        return Err(BridgeError::UnencryptedLink);
    }
    Ok(())
}

fn security(s: WifiSecurity) -> proto::WifiSecurity {
    match s {
        WifiSecurity::Open => proto::WifiSecurity::Open,
        WifiSecurity::Wpa2 => proto::WifiSecurity::Wpa2,
        WifiSecurity::Wpa3 => proto::WifiSecurity::Wpa3,
        WifiSecurity::Wpa2Wpa3 => proto::WifiSecurity::Wpa2Wpa3,
    }
}
