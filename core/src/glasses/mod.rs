//! The glasses side: the [`GlassesLink`] seam every transport implements (BLE, TCP, the app's
//! own BLE stack, the simulator), the links the bridge ships ([`TcpLink`], [`HostLink`]), and the [`Session`]
//! machine that runs our protocol over them.

mod error;
mod host;
mod info;
mod link;
mod session;
mod tcp;

pub use error::{CommandFailure, LinkError, SessionConfigError, SessionError};
pub use host::{HostLink, HostLinkHandle, HostTransport, host_link};
pub use info::GlassesInfo;
pub use link::{BoxFuture, GlassesLink, LinkEvent};
pub(crate) use session::body_name;
pub use session::{
    Incoming, Session, SessionConfig, SessionEvent, SessionInput, SessionOutput, Timer,
};
pub use tcp::{TCP_MTU, TcpLink, TcpLinkConfig};
