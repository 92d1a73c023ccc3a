//! How the cloud client gets a byte stream: TCP by default, anything in tests (an in-memory
//! duplex, so a simulation needs no real socket). TLS for `wss://` is layered on top by the
//! client, whatever the stream.

use std::io;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::glasses::BoxFuture;

/// A bidirectional byte stream.
pub trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> AsyncStream for T {}

/// A boxed byte stream.
pub type BoxedStream = Box<dyn AsyncStream>;

/// Opens byte streams to the cloud host.
pub trait CloudConnector: Send + Sync + 'static {
    /// Connects to `host:port`.
    fn connect(&self, host: &str, port: u16) -> BoxFuture<'_, io::Result<BoxedStream>>;
}

/// Plain TCP (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpConnector;

impl CloudConnector for TcpConnector {
    fn connect(&self, host: &str, port: u16) -> BoxFuture<'_, io::Result<BoxedStream>> {
        let addr = format!("{host}:{port}");
        Box::pin(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            Ok(Box::new(stream) as BoxedStream)
        })
    }
}
