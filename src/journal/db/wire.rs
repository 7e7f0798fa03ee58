//! A team journal session's socket, driven by the thread that uses the session.
//!
//! tokio-postgres splits a session into a `Client`, whose calls only exchange messages with the
//! `Connection`, and the `Connection`, which does the socket's I/O. Here the thread waiting for
//! an answer polls both itself, on a non-blocking socket, and sleeps in `poll(2)` on that one
//! socket when neither can go on: a round trip costs a few system calls on one thread, where a
//! connection task on another thread cost two thread hand-offs (the larger part of the client's
//! CPU per charge). It needs no async runtime, so the journal is used the same way from
//! blocking code, tests and async tasks (which it blocks briefly, as SQLite does).

use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::config::Host;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Config};
use tokio_postgres_rustls::MakeRustlsConnect;

/// The `Connection` half of a session, type-erased.
type Connection = Pin<Box<dyn Future<Output = Result<(), tokio_postgres::Error>> + Send>>;

/// A non-blocking TCP or Unix socket to the server.
pub(crate) struct Socket {
    stream: Stream,
    /// The last write found the socket's buffer full: wait until it can take more.
    blocked_write: Arc<AtomicBool>,
    /// Data may be waiting to be read. False once a read found the socket empty (or emptied it,
    /// with a short read), until `poll(2)` or [`Wire::alive`] says to look again: tokio-postgres
    /// reads before each write and until a read would block, and those reads, which find
    /// nothing, were most of a round trip's system calls.
    may_read: Arc<AtomicBool>,
    /// Where a read lands before it is copied to the driver's buffer, zeroed once: reading
    /// straight into that buffer meant zeroing its unfilled part (kilobytes) for every read of
    /// a few hundred bytes, a tenth of the client's instructions per charge without TLS (rustls
    /// reads into a buffer of its own, which it zeroed once).
    scratch: Box<[u8]>,
}

/// [`Socket::scratch`]'s size: more than a round trip's answers, which arrive in one read.
const SCRATCH: usize = 16 * 1024;

enum Stream {
    Tcp(std::net::TcpStream),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixStream),
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

impl Stream {
    fn io<T>(&mut self, op: impl FnOnce(&mut dyn ReadWrite) -> io::Result<T>) -> io::Result<T> {
        match self {
            Stream::Tcp(s) => op(s),
            #[cfg(unix)]
            Stream::Unix(s) => op(s),
        }
    }

    /// A second handle on the same socket, for the driver to wait on.
    #[cfg(unix)]
    fn readiness(&self) -> io::Result<std::os::fd::OwnedFd> {
        Ok(match self {
            Stream::Tcp(s) => s.try_clone()?.into(),
            Stream::Unix(s) => s.try_clone()?.into(),
        })
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // The driver polls again once the socket is readable.
        if !self.may_read.load(Ordering::Relaxed) {
            return Poll::Pending;
        }
        let this = &mut *self;
        let room = buf.remaining().min(this.scratch.len());
        let Some(scratch) = this.scratch.get_mut(..room) else { return Poll::Ready(Ok(())) };
        match this.stream.io(|s| s.read(scratch)) {
            Ok(n) => {
                // A stream socket reads short only when it has nothing more just now.
                if n < room {
                    this.may_read.store(false, Ordering::Relaxed);
                }
                buf.put_slice(scratch.get(..n).unwrap_or_default());
                Poll::Ready(Ok(()))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.may_read.store(false, Ordering::Relaxed);
                Poll::Pending
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Poll::Pending,
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl AsyncWrite for Socket {
    fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.stream.io(|s| s.write(buf)) {
            Ok(n) => Poll::Ready(Ok(n)),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {
                self.blocked_write.store(true, Ordering::Relaxed);
                Poll::Pending
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        let shut = match &mut self.stream {
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Write),
            #[cfg(unix)]
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Write),
        };
        Poll::Ready(shut)
    }
}

/// Notes that something a future waits on happened, so the driver polls again at once.
struct Woken(AtomicBool);

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The socket's side of a session: its `Connection` and what the driver waits on.
pub(crate) struct Wire {
    connection: Option<Connection>,
    #[cfg(unix)]
    readiness: std::os::fd::OwnedFd,
    blocked_write: Arc<AtomicBool>,
    may_read: Arc<AtomicBool>,
}

impl Wire {
    /// Runs `future` (a call on the session's client) to its end, driving the connection.
    pub(crate) fn drive<F: Future>(&mut self, future: F) -> F::Output {
        let woken = Arc::new(Woken(AtomicBool::new(false)));
        let waker = Waker::from(Arc::clone(&woken));
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            woken.0.store(false, Ordering::Relaxed);
            if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                // Messages the call left queued (a dropped transaction's rollback) go out now.
                self.poll_connection();
                return value;
            }
            if let Some(connection) = &mut self.connection
                && connection.as_mut().poll(&mut cx).is_ready()
            {
                // Ended (the server closed it): the client's calls now fail, and say so.
                self.connection = None;
            }
            if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                return value;
            }
            if !woken.0.load(Ordering::Relaxed) {
                self.wait();
            }
        }
    }

    /// Reads the socket and polls the connection once, without waiting: false when the server
    /// has closed it.
    pub(crate) fn alive(&mut self) -> bool {
        self.may_read.store(true, Ordering::Relaxed);
        self.poll_connection()
    }

    /// Polls the connection once without waiting (it writes what is queued, and reads only if
    /// data may be waiting): false when it has ended.
    fn poll_connection(&mut self) -> bool {
        let waker = Waker::from(Arc::new(Woken(AtomicBool::new(false))));
        let mut cx = Context::from_waker(&waker);
        if let Some(connection) = &mut self.connection
            && connection.as_mut().poll(&mut cx).is_ready()
        {
            self.connection = None;
        }
        self.connection.is_some()
    }

    /// Sleeps until the socket can be read (or written, after a full buffer), at most a second.
    #[cfg(unix)]
    fn wait(&self) {
        use rustix::event::{PollFd, PollFlags, Timespec};
        let mut flags = PollFlags::IN;
        if self.blocked_write.swap(false, Ordering::Relaxed) {
            flags |= PollFlags::OUT;
        }
        let second = Timespec { tv_sec: 1, tv_nsec: 0 };
        // An error (a signal) or the time limit only means polling once more.
        rustix::event::poll(&mut [PollFd::new(&self.readiness, flags)], Some(&second)).ok();
        self.may_read.store(true, Ordering::Relaxed);
    }

    #[cfg(not(unix))]
    fn wait(&self) {
        std::thread::sleep(std::time::Duration::from_millis(1));
        self.may_read.store(true, Ordering::Relaxed);
    }
}

/// Opens a session: the socket (TCP with no delay, or the Unix socket), then the login and TLS
/// as `config` says, driven here. Tries each host of the URL in turn.
///
/// # Errors
/// The text of the last failure: no host could be reached, or the server refused the login or
/// the TLS handshake.
pub(crate) fn connect(config: &Config, tls: &MakeRustlsConnect) -> Result<(Client, Wire), String> {
    let ports = config.get_ports();
    let timeout = config.get_connect_timeout().copied().unwrap_or(std::time::Duration::from_secs(5));
    let mut failure = "the URL names no host".to_owned();
    for (i, host) in config.get_hosts().iter().enumerate() {
        let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
        match open(config, host, port, timeout)
            .and_then(|(stream, name)| handshake(config, tls, stream, &name))
        {
            Ok(session) => return Ok(session),
            Err(e) => failure = e,
        }
    }
    Err(failure)
}

fn open(
    config: &Config,
    host: &Host,
    port: u16,
    timeout: std::time::Duration,
) -> Result<(Stream, String), String> {
    match host {
        Host::Tcp(name) => {
            use std::net::ToSocketAddrs as _;
            let addrs = (name.as_str(), port).to_socket_addrs().map_err(|e| format!("{name}: {e}"))?;
            let mut failure = format!("{name} has no address");
            for addr in addrs {
                match std::net::TcpStream::connect_timeout(&addr, timeout) {
                    Ok(stream) => {
                        stream.set_nodelay(true).map_err(|e| e.to_string())?;
                        keep_alive(config, &stream).map_err(|e| e.to_string())?;
                        stream.set_nonblocking(true).map_err(|e| e.to_string())?;
                        return Ok((Stream::Tcp(stream), name.clone()));
                    }
                    Err(e) => failure = format!("cannot connect to {addr}: {e}"),
                }
            }
            Err(failure)
        }
        #[cfg(unix)]
        Host::Unix(dir) => {
            let path = dir.join(format!(".s.PGSQL.{port}"));
            let stream = std::os::unix::net::UnixStream::connect(&path)
                .map_err(|e| format!("cannot connect to {}: {e}", path.display()))?;
            stream.set_nonblocking(true).map_err(|e| e.to_string())?;
            // PostgreSQL never offers TLS on its Unix socket; the name only has to be valid.
            Ok((Stream::Unix(stream), "localhost".to_owned()))
        }
    }
}

fn handshake(
    config: &Config,
    tls: &MakeRustlsConnect,
    stream: Stream,
    host: &str,
) -> Result<(Client, Wire), String> {
    let blocked_write = Arc::new(AtomicBool::new(false));
    let may_read = Arc::new(AtomicBool::new(true));
    let mut wire = Wire {
        connection: None,
        #[cfg(unix)]
        readiness: stream.readiness().map_err(|e| e.to_string())?,
        blocked_write: Arc::clone(&blocked_write),
        may_read: Arc::clone(&may_read),
    };
    let socket = Socket { stream, blocked_write, may_read, scratch: vec![0; SCRATCH].into_boxed_slice() };
    let tls =
        MakeTlsConnect::<Socket>::make_tls_connect(&mut tls.clone(), host).map_err(|e| e.to_string())?;
    let (client, connection) =
        wire.drive(config.connect_raw(socket, tls)).map_err(|e| crate::journal::postgres::reason(&e))?;
    wire.connection = Some(Box::pin(connection));
    Ok((client, wire))
}

/// TCP keepalive as the team journal's settings ask (`postgres::config`): tokio-postgres sets
/// it on the connections it opens itself, and this socket is opened here.
#[cfg(unix)]
fn keep_alive(config: &Config, stream: &std::net::TcpStream) -> io::Result<()> {
    use rustix::net::sockopt;
    sockopt::set_socket_keepalive(stream, config.get_keepalives())?;
    if !config.get_keepalives() {
        return Ok(());
    }
    sockopt::set_tcp_keepidle(stream, config.get_keepalives_idle())?;
    if let Some(interval) = config.get_keepalives_interval() {
        sockopt::set_tcp_keepintvl(stream, interval)?;
    }
    if let Some(retries) = config.get_keepalives_retries() {
        sockopt::set_tcp_keepcnt(stream, retries)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn keep_alive(_: &Config, _: &std::net::TcpStream) -> io::Result<()> {
    Ok(())
}

/// Runs `calls` on one session together and gives their outputs in order. Each is first polled
/// in the order given, so their requests leave in that order, in one write; the server answers
/// a session's requests in the order it received them.
pub(crate) async fn in_order<T>(calls: Vec<Pin<Box<dyn Future<Output = T> + '_>>>) -> Vec<T> {
    let mut calls: Vec<_> = calls.into_iter().map(|call| (call, None)).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (call, out) in &mut calls {
            if out.is_none() {
                match call.as_mut().poll(cx) {
                    Poll::Ready(value) => *out = Some(value),
                    Poll::Pending => waiting = true,
                }
            }
        }
        if waiting { Poll::Pending } else { Poll::Ready(()) }
    })
    .await;
    calls.into_iter().filter_map(|(_, out)| out).collect()
}
