//! The driver: pumps one sans-IO [`Node`] with an [`Endpoint`] and a [`Clock`] — the
//! simulated network and virtual clock, or a UDP socket and the real clock; the node
//! cannot tell which.
//!
//! Datagrams are fed to the node from the endpoint's listener callback (no task wake
//! per packet); timeouts by one async task per node ([`Driver::run`]) that sleeps until
//! the node's next deadline and is woken early when a datagram makes it earlier.

use super::Node;
use crate::community::Outgoing;
use crate::endpoint::{Endpoint, EndpointError, EndpointListener, ListenerId};
use crate::runtime::{Clock, Instant};
use futures::future::{select, Either};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

/// Connects a [`Node`] to an endpoint and a clock.
pub struct Driver {
    node: Rc<RefCell<Node>>,
    endpoint: Rc<dyn Endpoint>,
    clock: Rc<dyn Clock>,
    listener: Cell<Option<ListenerId>>,
    stopped: Cell<bool>,
    armed: Cell<Instant>,
    woken: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

struct Listener(Weak<Driver>);

impl EndpointListener for Listener {
    fn on_packet(&self, source: SocketAddr, data: &[u8]) {
        if let Some(d) = self.0.upgrade() {
            d.on_packet(source, data);
        }
    }
}

impl Driver {
    /// A driver for `node` on `endpoint` with `clock` (not started).
    pub fn new(
        node: Rc<RefCell<Node>>,
        endpoint: Rc<dyn Endpoint>,
        clock: Rc<dyn Clock>,
    ) -> Rc<Self> {
        Rc::new(Driver {
            node,
            endpoint,
            clock,
            listener: Cell::new(None),
            stopped: Cell::new(true),
            armed: Cell::new(Instant::MAX),
            woken: Cell::new(false),
            waker: RefCell::new(None),
        })
    }

    /// The node.
    pub fn node(&self) -> &Rc<RefCell<Node>> {
        &self.node
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Rc<dyn Endpoint> {
        &self.endpoint
    }

    /// Open the endpoint, listen, start the node (py-ipv8 `IPv8.start`). Then spawn
    /// [`run`](Self::run) on the executor.
    pub fn start(self: &Rc<Self>) -> Result<(), EndpointError> {
        self.endpoint.open()?;
        let id = self
            .endpoint
            .add_listener(None, Rc::new(Listener(Rc::downgrade(self))));
        self.listener.set(Some(id));
        self.stopped.set(false);
        let now = self.clock.now();
        self.node
            .borrow_mut()
            .start(now, self.endpoint.local_address());
        self.flush();
        self.wake();
        Ok(())
    }

    /// Stop the node (tasks cancelled), stop listening and close the endpoint: what
    /// is in flight to it is lost. `run` returns.
    pub fn stop(&self) {
        if self.stopped.replace(true) {
            return;
        }
        let now = self.clock.now();
        self.node.borrow_mut().stop(now);
        if let Some(id) = self.listener.take() {
            self.endpoint.remove_listener(id);
        }
        self.endpoint.close();
        self.wake();
    }

    /// Whether the driver is stopped.
    pub fn is_stopped(&self) -> bool {
        self.stopped.get()
    }

    fn on_packet(&self, source: SocketAddr, data: &[u8]) {
        if self.stopped.get() {
            return;
        }
        let now = self.clock.now();
        let deadline = {
            let mut n = self.node.borrow_mut();
            n.handle_datagram(now, source, data);
            n.poll_timeout()
        };
        self.flush();
        if deadline.is_some_and(|d| d < self.armed.get()) {
            self.wake();
        }
    }

    /// Hand what the node queued outside an input (e.g. a test calling `ez_send`) to
    /// the endpoint, and re-arm the timer if the node's deadline moved earlier.
    pub fn poke(&self) {
        if self.stopped.get() {
            return;
        }
        self.flush();
        if self
            .node
            .borrow()
            .poll_timeout()
            .is_some_and(|d| d < self.armed.get())
        {
            self.wake();
        }
    }

    fn flush(&self) {
        // One datagram at a time, the node's borrow released before each send (an
        // endpoint may call back into the node); no intermediate buffer per flush.
        loop {
            let next = self.node.borrow_mut().poll_transmit();
            match next {
                Some(Outgoing::To(to, data)) => self.endpoint.send(to, data),
                Some(Outgoing::Broadcast(data)) => self.endpoint.broadcast(data),
                None => return,
            }
        }
    }

    fn wake(&self) {
        self.woken.set(true);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }

    /// The timer loop: sleep until the node's deadline (or an earlier wake), run its
    /// timeouts, send what it produced. Returns once stopped.
    pub async fn run(self: Rc<Self>) {
        loop {
            if self.stopped.get() {
                return;
            }
            let deadline = self.node.borrow().poll_timeout();
            self.armed.set(deadline.unwrap_or(Instant::MAX));
            match deadline {
                Some(d) if d > self.clock.now() => {
                    let sleep = self.clock.sleep_until(d);
                    // `Woken` is `Unpin` (a reference): no box per sleep.
                    let woke = Woken { driver: &self };
                    match select(sleep, woke).await {
                        Either::Left(_) | Either::Right(_) => {}
                    }
                }
                Some(_) => {}
                None => Woken { driver: &self }.await,
            }
            if self.stopped.get() {
                return;
            }
            let now = self.clock.now();
            if deadline.is_some_and(|d| d <= now) {
                self.node.borrow_mut().handle_timeout(now);
                self.flush();
            }
        }
    }
}

struct Woken<'a> {
    driver: &'a Driver,
}

impl Future for Woken<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.driver.woken.replace(false) {
            return Poll::Ready(());
        }
        *self.driver.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}
