//! The glasses side: the [`GlassesLink`] seam every transport implements (BLE, TCP, the app's
//! own BLE stack, the simulator), the links the bridge ships ([`BleLink`], [`TcpLink`], [`HostLink`]), and the [`Session`]
//! machine that runs our protocol over them.

#[cfg(feature = "ble")]
mod ble;
mod error;
mod host;
mod info;
mod link;
mod session;
mod task_link;
mod tcp;

#[cfg(feature = "ble")]
pub use ble::{BleError, BleLink, BleLinkConfig, FoundGlasses, scan_for_glasses};
pub use error::{CommandFailure, LinkError, SessionConfigError, SessionError};
pub use host::{HostLink, HostLinkHandle, HostTransport, host_link};
pub use info::GlassesInfo;
pub use link::{BoxFuture, GlassesLink, LinkEvent};
pub(crate) use session::body_name;
pub use session::{
    Incoming, Session, SessionConfig, SessionEvent, SessionInput, SessionOutput, Timer,
};
pub use tcp::{TCP_MTU, TcpLink, TcpLinkConfig};
