//! The glasses side: the [`GlassesLink`] seam every transport implements (BLE, TCP, the app's
//! own BLE stack, the simulator), the links the bridge ships ([`BleLink`], [`TcpLink`],
//! [`HostLink`]), and the session machines of both dialects behind [`GlassesSession`]: our
//! protobuf [`Session`] and the Mentra Live JSON [`live::LiveSession`].

#[cfg(feature = "ble")]
mod ble;
mod dialect;
mod error;
mod host;
mod info;
mod link;
pub mod live;
mod session;
mod task_link;
mod tcp;

#[cfg(feature = "ble")]
pub use ble::{BleError, BleLink, BleLinkConfig, FoundGlasses, scan_for_glasses};
pub use dialect::{Dialect, GlassesSession, UnknownDialect};
pub use error::{CommandFailure, LinkError, SessionConfigError, SessionError};
pub use host::{
    HOST_PENDING, HostLink, HostLinkConfig, HostLinkHandle, HostTransport, host_link,
    host_link_with,
};
pub use info::GlassesInfo;
pub use link::{BoxFuture, GlassesLink, LinkEvent};
#[cfg(test)]
pub(crate) use session::HELLO_PAUSE;
pub(crate) use session::body_name;
pub use session::{
    Incoming, LinkStats, Session, SessionConfig, SessionEvent, SessionInput, SessionOutput, Timer,
};
pub use tcp::{TCP_MTU, TcpLink, TcpLinkConfig};
