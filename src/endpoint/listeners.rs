//! [`Listeners`]: the listener list of a real endpoint, with py-ipv8's delivery rule
//! (`ipv8/messaging/interfaces/endpoint.py`, spec §12).
//!
//! Listeners are kept in registration order, prefix listeners and general listeners
//! interleaved, as py-ipv8 does: a datagram goes to every general listener and to every
//! prefix listener whose prefix equals the datagram's first 22 bytes, in registration
//! order. Delivery stops as soon as the endpoint is closed (asked between listeners).
//! The list is a copy-on-write snapshot, so a listener may add or remove listeners while
//! being called; the change applies from the next datagram.

use super::{EndpointListener, ListenerId, Prefix};
use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;

type Entry = (ListenerId, Option<Prefix>, Rc<dyn EndpointListener>);

/// The listeners of one endpoint (see the module docs).
#[derive(Default)]
pub struct Listeners {
    list: RefCell<Rc<Vec<Entry>>>,
    next: Cell<u64>,
}

impl std::fmt::Debug for Listeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listeners")
            .field("count", &self.list.borrow().len())
            .finish()
    }
}

impl Listeners {
    /// No listeners.
    pub fn new() -> Self {
        Self::default()
    }

    /// Register a listener; `Some(prefix)` makes it a prefix listener.
    pub fn add(&self, prefix: Option<Prefix>, listener: Rc<dyn EndpointListener>) -> ListenerId {
        let id = ListenerId(self.next.get());
        self.next.set(self.next.get() + 1);
        Rc::make_mut(&mut self.list.borrow_mut()).push((id, prefix, listener));
        id
    }

    /// Remove a listener; unknown ids are ignored.
    pub fn remove(&self, id: ListenerId) {
        Rc::make_mut(&mut self.list.borrow_mut()).retain(|(i, _, _)| *i != id);
    }

    /// Number of listeners.
    pub fn len(&self) -> usize {
        self.list.borrow().len()
    }

    /// Whether there are no listeners.
    pub fn is_empty(&self) -> bool {
        self.list.borrow().is_empty()
    }

    /// Hand one datagram to the listeners it is for; `still_open` is asked before each
    /// listener. Never panics, whatever `data` holds.
    pub fn deliver(&self, source: SocketAddr, data: &[u8], still_open: impl Fn() -> bool) {
        let snapshot = self.list.borrow().clone();
        let prefix = data.get(..22);
        for (_, p, l) in snapshot.iter() {
            let wanted = match p {
                None => true,
                Some(p) => prefix == Some(&p[..]),
            };
            if wanted {
                if !still_open() {
                    return;
                }
                l.on_packet(source, data);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rec(&'static str, Rc<RefCell<Vec<&'static str>>>);
    impl EndpointListener for Rec {
        fn on_packet(&self, _source: SocketAddr, _data: &[u8]) {
            self.1.borrow_mut().push(self.0);
        }
    }

    #[test]
    fn prefix_and_general_listeners_in_registration_order() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let ls = Listeners::new();
        let a = [1u8; 22];
        let b = [2u8; 22];
        ls.add(Some(a), Rc::new(Rec("a", log.clone())));
        ls.add(None, Rc::new(Rec("g", log.clone())));
        let id_b = ls.add(Some(b), Rc::new(Rec("b", log.clone())));
        ls.add(Some(a), Rc::new(Rec("a2", log.clone())));
        let src: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let mut pkt = a.to_vec();
        pkt.push(9);
        ls.deliver(src, &pkt, || true);
        assert_eq!(*log.borrow(), ["a", "g", "a2"]);
        log.borrow_mut().clear();
        ls.deliver(src, &b, || true);
        assert_eq!(*log.borrow(), ["g", "b"]);
        log.borrow_mut().clear();
        // Short and empty datagrams reach general listeners only.
        ls.deliver(src, &[], || true);
        ls.deliver(src, &[1, 1, 1], || true);
        assert_eq!(*log.borrow(), ["g", "g"]);
        log.borrow_mut().clear();
        ls.remove(id_b);
        ls.deliver(src, &b, || true);
        assert_eq!(*log.borrow(), ["g"]);
        log.borrow_mut().clear();
        ls.deliver(src, &b, || false);
        assert!(log.borrow().is_empty());
    }
}
