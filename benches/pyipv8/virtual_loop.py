"""
A virtual-time asyncio event loop for driving pyipv8 3.2.1 in simulation (spec section 12).

Semantics (those of py-ipv8's DiscreteLoop, releases <= 2.11, re-implemented here):
* the clock starts at 0 and only moves when nothing is ready: it jumps to the earliest timer;
* ``call_soon`` callbacks run in FIFO order; timers run by (due time, insertion order), so
  same-time timers run in the order they were scheduled (deterministic, unlike a bare heap of
  TimerHandles);
* cancelled handles are skipped; scheduling in the past is an error;
* the loop stops when both queues are empty or ``stop()`` is called;
* an exception escaping a callback or a task is re-raised out of ``run_forever``;
* ``run_in_executor`` runs the function synchronously (no threads) and returns a done future.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import sys
from collections import deque
from collections.abc import Callable
from typing import Any


class VirtualTimeLoop(asyncio.AbstractEventLoop):
    """Single-threaded discrete-event loop; ``time()`` is virtual seconds since the start."""

    def __init__(self) -> None:
        self._now = 0.0
        self._ready: deque[asyncio.Handle] = deque()
        self._timers: list[tuple[float, int, asyncio.TimerHandle]] = []
        self._seq = itertools.count()
        self._running = False
        self._closed = False
        self._failure: BaseException | None = None
        self._debug = False
        #: number of callbacks executed (a cheap measure of work done)
        self.callbacks_run = 0

    # -- clock and scheduling ------------------------------------------------------------------------

    def time(self) -> float:
        return self._now

    def call_soon(self, callback: Callable, *args: Any, context=None) -> asyncio.Handle:  # noqa: ANN001
        handle = asyncio.Handle(callback, args, self, context=context)
        self._ready.append(handle)
        return handle

    def call_soon_threadsafe(self, callback: Callable, *args: Any, context=None) -> asyncio.Handle:  # noqa: ANN001
        return self.call_soon(callback, *args, context=context)

    def call_later(self, delay: float, callback: Callable, *args: Any, context=None) -> asyncio.TimerHandle:  # noqa: ANN001
        if delay < 0:
            msg = f"cannot schedule {delay} s in the past"
            raise ValueError(msg)
        return self.call_at(self._now + delay, callback, *args, context=context)

    def call_at(self, when: float, callback: Callable, *args: Any, context=None) -> asyncio.TimerHandle:  # noqa: ANN001
        if when < self._now:
            msg = f"cannot schedule at {when}, now is {self._now}"
            raise ValueError(msg)
        handle = asyncio.TimerHandle(when, callback, args, self, context=context)
        handle._scheduled = True  # noqa: SLF001 (asyncio's own bookkeeping flag)
        heapq.heappush(self._timers, (when, next(self._seq), handle))
        return handle

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        """Cancelled timers stay in the heap and are skipped when popped."""

    # -- running -------------------------------------------------------------------------------------

    def run_forever(self) -> None:
        self._running = True
        old = asyncio.events._get_running_loop()  # noqa: SLF001
        asyncio.events._set_running_loop(self)  # noqa: SLF001
        try:
            while self._running:
                if self._ready:
                    handle = self._ready.popleft()
                elif self._timers:
                    when, _, handle = heapq.heappop(self._timers)
                    if handle.cancelled():
                        continue
                    self._now = when
                    handle._scheduled = False  # noqa: SLF001
                else:
                    break
                if handle.cancelled():
                    continue
                self.callbacks_run += 1
                handle._run()  # noqa: SLF001
                if self._failure is not None:
                    failure, self._failure = self._failure, None
                    raise failure
        finally:
            self._running = False
            asyncio.events._set_running_loop(old)  # noqa: SLF001

    def run_until_complete(self, future):  # noqa: ANN001, ANN201
        """Run until ``future`` is done (a convenience the original DiscreteLoop lacked)."""
        fut = asyncio.ensure_future(future, loop=self)
        fut.add_done_callback(lambda _f: self.stop())
        self.run_forever()
        if not fut.done():
            msg = "event loop ran out of work before the future completed"
            raise RuntimeError(msg)
        return fut.result()

    def stop(self) -> None:
        self._running = False

    def is_running(self) -> bool:
        return self._running

    def is_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._running = False
        self._closed = True
        self._ready.clear()
        self._timers.clear()

    async def shutdown_asyncgens(self) -> None:
        return None

    async def shutdown_default_executor(self, timeout=None) -> None:  # noqa: ANN001
        return None

    # -- futures and tasks ---------------------------------------------------------------------------

    def create_future(self) -> asyncio.Future:
        return asyncio.Future(loop=self)

    def create_task(self, coro, *, name=None, context=None) -> asyncio.Task:  # noqa: ANN001
        async def guarded():  # noqa: ANN202
            try:
                return await coro
            except asyncio.CancelledError:
                raise
            except Exception as e:  # surface bugs instead of losing them in an unobserved task
                self._failure = e
                raise

        if context is not None:
            return asyncio.Task(guarded(), loop=self, name=name, context=context)
        return asyncio.Task(guarded(), loop=self, name=name)

    def run_in_executor(self, executor, func: Callable, *args: Any) -> asyncio.Future:  # noqa: ANN001
        fut = self.create_future()
        try:
            fut.set_result(func(*args))
        except Exception as e:  # noqa: BLE001
            fut.set_exception(e)
        return fut

    # -- errors and debug ----------------------------------------------------------------------------

    def call_exception_handler(self, context: dict) -> None:
        exc = context.get("exception")
        if "handle" in context and exc is not None and not isinstance(exc, asyncio.CancelledError):
            self._failure = exc  # an exception escaped a plain callback: stop the simulation with it
            return
        # e.g. "Task exception was never retrieved" for a task whose failure was already raised
        if exc is None or self._failure is None:
            sys.stderr.write(f"virtual loop: {context.get('message')}: {exc!r}\n")

    def default_exception_handler(self, context: dict) -> None:
        self.call_exception_handler(context)

    def get_debug(self) -> bool:
        return self._debug

    def set_debug(self, enabled: bool) -> None:
        self._debug = enabled
