//! [`Promise`] / [`CacheFuture`]: futures managed by a request cache.
//!
//! py-ipv8's `NumberCache.register_future(future, on_timeout)`
//! (`ipv8/requestcache.py`, spec §13) ties an asyncio `Future` to a cache. Such a
//! future ends in one of three states (docs §6.5, "Futures and caches"):
//!
//! * **result** — whoever handles the response completes it ([`Promise::resolve`]);
//! * **timeout** — the cache timed out, so it gets its configured timeout value;
//! * **cancelled** — the request cache was shut down (or the promise was dropped
//!   without being resolved), so awaiting it gives [`Cancelled`].
//!
//! A [`Promise`] is the completing side: a cheap, cloneable handle (single-threaded,
//! `Rc`). Keep one clone wherever the response is handled (typically inside your
//! cache struct) and hand another to `RequestCache::register_future`. The first of
//! resolve / time-out / cancel wins; the others are no-ops. The [`CacheFuture`] is the
//! awaiting side; it is an ordinary `Future`, and sans-IO code can also just check it
//! with [`CacheFuture::try_take`].

use futures::channel::oneshot;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// The future was cancelled: the cache was shut down, or every [`Promise`] for it was
/// dropped before it completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the future was cancelled")]
pub struct Cancelled;

/// Shared state: `Cell`s (not `RefCell`) so no method can panic on re-entrance.
struct State<V> {
    tx: Cell<Option<oneshot::Sender<V>>>,
    on_timeout: Cell<Option<V>>,
}

/// The completing side of a [`CacheFuture`]. Cloning shares the same future.
pub struct Promise<V> {
    state: Rc<State<V>>,
}

impl<V> Clone for Promise<V> {
    fn clone(&self) -> Self {
        Promise {
            state: Rc::clone(&self.state),
        }
    }
}

impl<V> std::fmt::Debug for Promise<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Promise")
            .field("done", &self.is_done())
            .finish()
    }
}

/// The awaiting side: resolves to `Ok(value)` (a result or the timeout value) or
/// `Err(Cancelled)`.
#[derive(Debug)]
#[must_use = "a CacheFuture does nothing unless awaited or checked"]
pub struct CacheFuture<V> {
    rx: oneshot::Receiver<V>,
}

/// A new promise/future pair; `on_timeout` is what the future resolves to if the
/// cache it is registered on times out (py-ipv8's default is `None`; use an
/// `Option` or `Result` for `V` to express that or an exception).
pub fn promise<V>(on_timeout: V) -> (Promise<V>, CacheFuture<V>) {
    let (tx, rx) = oneshot::channel();
    let state = State {
        tx: Cell::new(Some(tx)),
        on_timeout: Cell::new(Some(on_timeout)),
    };
    (
        Promise {
            state: Rc::new(state),
        },
        CacheFuture { rx },
    )
}

impl<V> Promise<V> {
    /// Completes the future with a result. Returns `false` (and drops `value`) if it
    /// was already completed, timed out or cancelled.
    pub fn resolve(&self, value: V) -> bool {
        self.state.on_timeout.take();
        match self.state.tx.take() {
            Some(tx) => tx.send(value).is_ok(),
            None => false,
        }
    }

    /// Completes the future with its timeout value (what the request cache does when
    /// the cache times out). Returns `false` if it was already done.
    pub fn time_out(&self) -> bool {
        let value = self.state.on_timeout.take();
        match (self.state.tx.take(), value) {
            (Some(tx), Some(v)) => tx.send(v).is_ok(),
            _ => false,
        }
    }

    /// Cancels the future. Returns `false` if it was already done.
    pub fn cancel(&self) -> bool {
        self.state.on_timeout.take();
        self.state.tx.take().is_some()
    }

    /// Whether the future was completed or cancelled, or nobody awaits it any more.
    pub fn is_done(&self) -> bool {
        let tx = self.state.tx.take();
        let done = tx.as_ref().map_or(true, |tx| tx.is_canceled());
        self.state.tx.set(tx);
        done
    }
}

impl<V> CacheFuture<V> {
    /// Without blocking: `None` while pending, else the outcome (once; afterwards it
    /// reports `Some(Err(Cancelled))`).
    pub fn try_take(&mut self) -> Option<Result<V, Cancelled>> {
        match self.rx.try_recv() {
            Ok(Some(v)) => Some(Ok(v)),
            Ok(None) => None,
            Err(oneshot::Canceled) => Some(Err(Cancelled)),
        }
    }
}

impl<V> Future for CacheFuture<V> {
    type Output = Result<V, Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx)
            .poll(cx)
            .map(|r| r.map_err(|oneshot::Canceled| Cancelled))
    }
}

/// Type-erased view of a [`Promise`], as a request-cache entry stores it.
pub(crate) trait ManagedFuture {
    /// Complete with the timeout value (if still pending).
    fn time_out(&self);
    /// Cancel (if still pending).
    fn cancel(&self);
}

impl<V> ManagedFuture for Promise<V> {
    fn time_out(&self) {
        Promise::time_out(self);
    }
    fn cancel(&self) {
        Promise::cancel(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[test]
    fn three_states() {
        let (p, mut f) = promise(false);
        assert_eq!(f.try_take(), None);
        assert!(!p.is_done());
        assert!(p.resolve(true));
        assert!(!p.time_out(), "first outcome wins");
        assert!(p.is_done());
        assert_eq!(f.now_or_never(), Some(Ok(true)));

        let (p, f) = promise(7u8);
        assert!(p.time_out());
        assert!(!p.resolve(1));
        assert_eq!(f.now_or_never(), Some(Ok(7)));

        let (p, f) = promise(7u8);
        let p2 = p.clone();
        assert!(p2.cancel());
        assert!(!p.resolve(1));
        assert_eq!(f.now_or_never(), Some(Err(Cancelled)));
    }

    #[test]
    fn dropping_every_promise_cancels() {
        let (p, mut f) = promise(());
        let p2 = p.clone();
        drop(p);
        assert_eq!(f.try_take(), None, "a clone still holds it");
        drop(p2);
        assert_eq!(f.try_take(), Some(Err(Cancelled)));
    }

    #[test]
    fn dropped_future_marks_done() {
        let (p, f) = promise(());
        drop(f);
        assert!(p.is_done());
        assert!(!p.resolve(()));
    }
}
