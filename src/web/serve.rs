//! The web server's own accept loop: `axum::serve` sets no timer, so a client could
//! open connections and never finish a request. Here every connection has a deadline
//! for each request's headers (and the idle wait before the next one on a kept-alive
//! connection), one for each request's body, one for an answer the client leaves unread,
//! and a longest life; there are at most `web.max_connections` of them (a sixteenth per
//! address); beyond that the server stops accepting until one ends (the kernel holds the
//! rest in its backlog).

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_service::Service;

/// How long a connection may live before it is asked to close (after the request in
/// flight): a backstop behind the deadlines, so that no connection is kept for ever.
const LONGEST_LIFE: Duration = Duration::from_secs(600);
/// How long connections get to finish their request when the server stops.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// What bounds the clients.
#[derive(Debug, Clone)]
pub struct Bounds {
    /// Connections open at once.
    pub max_connections: usize,
    /// Time to send a request's headers (and idle time between requests), again the
    /// time to send its body, and the longest a client may leave an answer unread.
    pub client_timeout: Duration,
    /// Reverse proxies, whose connections carry many clients: the per-address share does
    /// not apply to them.
    pub proxies: Vec<crate::settings::Cidr>,
}

impl Bounds {
    /// The connections one address may hold: a sixteenth of all (at least eight), so
    /// that one host cannot take them all.
    fn per_address(&self) -> usize {
        (self.max_connections / 16).max(8)
    }
}

/// Open connections by client address.
#[derive(Default)]
struct PerAddress(std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>);

impl PerAddress {
    /// Counts a connection from `ip`, unless it already has `limit`.
    fn take(self: &Arc<Self>, ip: IpAddr, limit: usize) -> Option<AddressSlot> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(ip).or_default();
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(AddressSlot(Arc::clone(self), ip))
    }
}

/// One connection counted against its address, until dropped.
struct AddressSlot(Arc<PerAddress>, IpAddr);

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut map = self.0.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.1);
            }
        }
    }
}

/// Serves `router` on `listener` until `stop` resolves, then lets open requests finish
/// for a few seconds.
pub async fn serve(
    listener: Arc<TcpListener>,
    router: Router,
    bounds: Bounds,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    tokio::pin!(stop);
    let slots = Arc::new(Semaphore::new(bounds.max_connections));
    let by_address = Arc::new(PerAddress::default());
    let (closing, closed) = tokio::sync::watch::channel(false);
    loop {
        // A slot first, then the connection: at the cap, clients wait in the backlog.
        let slot = tokio::select! {
            _ = &mut stop => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // closed: never, the semaphore lives here
            },
        };
        let (stream, peer) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: say so, and try again after
                    // a pause instead of spinning.
                    tracing::warn!("the web server cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let address_slot = if bounds.proxies.iter().any(|p| p.contains(peer.ip())) {
            None
        } else {
            match by_address.take(peer.ip(), bounds.per_address()) {
                Some(s) => Some(s),
                // Its share is taken: closed at once, and its slot is free again.
                None => continue,
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let timeout = bounds.client_timeout;
        let service = hyper::service::service_fn(move |request| {
            answer(router.clone(), peer, timeout, request)
        });
        let mut closed = closed.clone();
        tokio::spawn(async move {
            let _slots = (slot, address_slot);
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new()).header_read_timeout(timeout);
            let stream = Unread {
                inner: stream,
                timeout,
                stalled: None,
            };
            let conn = http.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let ending = tokio::select! {
                done = conn.as_mut() => Some(done),
                _ = closed.wait_for(|c| *c) => None,
                _ = tokio::time::sleep(LONGEST_LIFE) => None,
            };
            let done = match ending {
                Some(done) => done,
                None => {
                    conn.as_mut().graceful_shutdown();
                    match tokio::time::timeout(CLOSE_GRACE, conn).await {
                        Ok(done) => done,
                        Err(_) => return,
                    }
                }
            };
            if let Err(e) = done {
                // Timeouts and clients going away are the normal life of a server.
                tracing::debug!(%peer, "web connection ended: {e}");
            }
        });
    }
    let _ = closing.send(true);
    // Every connection holds a slot: when all are back, all are closed.
    let all = u32::try_from(bounds.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(CLOSE_GRACE * 2, slots.acquire_many(all)).await;
    Ok(())
}

/// One request, told who the client is, its body under the request deadline. The
/// handler itself is not timed: a login slowed down by failed attempts must still be
/// answered.
async fn answer(
    mut router: Router,
    peer: SocketAddr,
    timeout: Duration,
    mut request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    request.extensions_mut().insert(ConnectInfo(peer));
    let request = request.map(|body| {
        Body::new(Deadline {
            body,
            at: Box::pin(tokio::time::sleep(timeout)),
        })
    });
    router.call(request).await
}

/// A request body that must have arrived whole by a deadline.
struct Deadline {
    body: Incoming,
    at: Pin<Box<tokio::time::Sleep>>,
}

#[derive(Debug, thiserror::Error)]
#[error("the request's body did not arrive in time")]
struct TooSlow;

impl http_body::Body for Deadline {
    type Data = bytes::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        match self.at.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(TooSlow.into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// A connection whose writes fail once the client has left an answer unread for the
/// client timeout: hyper has no write timeout, and a client that sends requests and
/// never reads would otherwise hold its connection until its longest life.
struct Unread {
    inner: tokio::net::TcpStream,
    timeout: Duration,
    /// Since when a write has waited for the client to read.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Unread {
    /// A write that waits arms the deadline; one that goes through disarms it.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        r: Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        if r.is_ready() {
            self.stalled = None;
            return r;
        }
        let timeout = self.timeout;
        let deadline = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client does not read its answers",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl tokio::io::AsyncRead for Unread {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Unread {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, r)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, r)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
