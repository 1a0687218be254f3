#!/usr/bin/env python3
"""Checks of VirtualTimeLoop's semantics (plain python3, no pyipv8 needed): python3 test_virtual_loop.py"""
import asyncio
import time
import unittest

from virtual_loop import VirtualTimeLoop


class VirtualTimeLoopTest(unittest.TestCase):
    def setUp(self) -> None:
        self.loop = VirtualTimeLoop()
        self.log = []

    def test_soon_fifo_before_timers_and_ties_in_insertion_order(self) -> None:
        self.loop.call_later(1.0, self.log.append, "t1a")
        self.loop.call_later(1.0, self.log.append, "t1b")
        self.loop.call_later(0.5, self.log.append, "t05")
        self.loop.call_soon(self.log.append, "s1")
        self.loop.call_soon(self.log.append, "s2")
        self.loop.run_forever()
        self.assertEqual(self.log, ["s1", "s2", "t05", "t1a", "t1b"])
        self.assertEqual(self.loop.time(), 1.0)

    def test_virtual_sleep_takes_no_wall_time(self) -> None:
        async def sleeper() -> float:
            await asyncio.sleep(3600.0)
            await asyncio.sleep(0)
            return self.loop.time()
        start = time.perf_counter()
        self.assertEqual(self.loop.run_until_complete(sleeper()), 3600.0)
        self.assertLess(time.perf_counter() - start, 1.0)

    def test_cancelled_timer_skipped_and_clock_not_moved_by_it(self) -> None:
        h = self.loop.call_later(10.0, self.log.append, "never")
        self.loop.call_later(2.0, self.log.append, "two")
        h.cancel()
        self.loop.run_forever()
        self.assertEqual(self.log, ["two"])
        self.assertEqual(self.loop.time(), 2.0)

    def test_past_is_refused(self) -> None:
        self.loop.call_later(5.0, lambda: None)
        self.loop.run_forever()
        with self.assertRaises(ValueError):
            self.loop.call_at(1.0, lambda: None)
        with self.assertRaises(ValueError):
            self.loop.call_later(-1.0, lambda: None)

    def test_exceptions_escape(self) -> None:
        def boom() -> None:
            raise KeyError("callback")

        async def task_boom() -> None:
            await asyncio.sleep(1)
            raise KeyError("task")

        self.loop.call_later(1.0, boom)
        with self.assertRaises(KeyError):
            self.loop.run_forever()
        loop2 = VirtualTimeLoop()
        loop2.create_task(task_boom())
        with self.assertRaises(KeyError):
            loop2.run_forever()

    def test_stop(self) -> None:
        async def ticker() -> None:
            while True:
                self.log.append(self.loop.time())
                if self.loop.time() >= 2.0:
                    self.loop.stop()
                await asyncio.sleep(0.5)
        self.loop.create_task(ticker())
        self.loop.run_forever()
        self.assertEqual(self.log, [0.0, 0.5, 1.0, 1.5, 2.0])


if __name__ == "__main__":
    unittest.main()
