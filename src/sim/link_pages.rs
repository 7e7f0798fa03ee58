//! The payment-link pages on an address of their own, so a link's URL outlives the simulator's
//! API port.
//!
//! A payment link is given to a customer (by email or SMS) to open later, while the Demo
//! merchant's simulator starts on a free port every time the terminal starts: a URL naming that
//! port would stop working at the next start. So the link pages can have an address of their
//! own ([`SimConfig::link_pages`]), which every `payment_link` URL names. With port 0 the
//! simulator takes a free port the first time and keeps it in its state file, next to the
//! links themselves; every later start with that state file serves the pages on the same port
//! again, so every link it ever gave out opens again (until it expires or is paid). Only the
//! pages are served there (`GET` and `POST /pay/ID`); the API stays on its own free port.
//!
//! If the remembered port is taken when the simulator starts (by another program, or by a
//! second terminal on the same data folder running its own Demo), the links are served on the
//! API's address for that run, as without an address of their own, and the log says so: the
//! URLs of links made in that run then last only as long as the run.
//!
//! [`SimConfig::link_pages`]: super::SimConfig::link_pages

use super::SimError;
use super::engine::Engine;
use std::net::SocketAddr;

/// Binds the link pages' address (`wanted`; port 0: the remembered one, else a free one, then
/// remembered) and points the engine's link URLs at it. `None`: the remembered port is taken,
/// and the links stay on the API's address for this run.
///
/// # Errors
/// [`SimError::Bind`] for an address given with its port that cannot be bound.
pub(super) fn bind(
    engine: &mut Engine,
    wanted: SocketAddr,
    runtime: &tokio::runtime::Handle,
) -> Result<Option<tokio::net::TcpListener>, SimError> {
    let remembered = engine.lock().link_port;
    let port = match (wanted.port(), remembered) {
        (0, Some(port)) => port,
        (port, _) => port,
    };
    let addr = SocketAddr::new(wanted.ip(), port);
    let listener = match std::net::TcpListener::bind(addr) {
        Ok(listener) => listener,
        Err(source) if wanted.port() == 0 && port != 0 => {
            log::warn!(
                "the payment-link pages' port {addr} is taken ({source}); links made in this run name the \
                 simulator's own port and stop working when it stops"
            );
            return Ok(None);
        }
        Err(source) => return Err(SimError::Bind { addr, source }),
    };
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    if wanted.port() == 0 && remembered != Some(bound.port()) {
        engine.with_state(|st| {
            st.link_port = Some(bound.port());
            ((), true)
        });
    }
    engine.base_url = format!("http://{bound}");
    let _entered = runtime.enter();
    Ok(Some(tokio::net::TcpListener::from_std(listener)?))
}
