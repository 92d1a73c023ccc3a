//! The glasses side: the [`GlassesLink`] seam every transport implements (BLE, TCP, the app's
//! own BLE stack, the simulator), and the [`Session`] machine that runs our protocol over it.

mod error;
mod info;
mod link;
mod session;

pub use error::{CommandFailure, LinkError, SessionConfigError, SessionError};
pub use info::GlassesInfo;
pub use link::{BoxFuture, GlassesLink, LinkEvent};
pub(crate) use session::body_name;
pub use session::{
    Incoming, Session, SessionConfig, SessionEvent, SessionInput, SessionOutput, Timer,
};
