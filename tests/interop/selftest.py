#!/usr/bin/env python3
"""
Self-test of the interop helpers, py-ipv8 only, loopback only, bounded in time:

1. start py_tracker.py on 127.0.0.1 (any free port);
2. start two py_peer.py processes bootstrapped by it;
3. wait until each reports the other as a verified peer;
4. ask A to send the custom message to B and B to A; both must decode it with matches_expected = true.

Run with the venv's python (tests/interop/venv.sh prints it). Exit 0 = pass. Prints timings as JSON.
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUDGET_S = 60.0


class Proc:
    """A child process speaking the JSON-lines protocol; lines are timestamped on arrival."""

    def __init__(self, name: str, argv: list[str], t0: float) -> None:
        self.name = name
        self.t0 = t0
        self.popen = subprocess.Popen([sys.executable, *argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, bufsize=1, cwd=HERE)
        self.events: queue.Queue[tuple[float, dict]] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read_out(self) -> None:
        for line in self.popen.stdout:
            try:
                self.events.put((time.monotonic() - self.t0, json.loads(line)))
            except json.JSONDecodeError:
                self.events.put((time.monotonic() - self.t0, {"event": "garbage", "line": line}))

    def _read_err(self) -> None:
        for line in self.popen.stderr:
            self.stderr.append(line)

    def send(self, line: str) -> None:
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()

    def wait_for(self, pred, deadline: float) -> tuple[float, dict]:  # noqa: ANN001
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: timed out")
            try:
                t, ev = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if pred(ev):
                return t, ev

    def stop(self) -> None:
        if self.popen.poll() is None:
            try:
                self.send("quit")
            except (BrokenPipeError, OSError):
                pass
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def main() -> int:
    t0 = time.monotonic()
    deadline = t0 + BUDGET_S
    life = str(int(BUDGET_S))
    procs: list[Proc] = []
    try:
        tracker = Proc("tracker", ["py_tracker.py", "--port", "0", "--timeout", life], t0)
        procs.append(tracker)
        _, ready = tracker.wait_for(lambda e: e["event"] == "ready", deadline)
        boot = f"127.0.0.1:{ready['port']}"

        a = Proc("A", ["py_peer.py", "--port", "0", "--bootstrap", boot, "--timeout", life], t0)
        b = Proc("B", ["py_peer.py", "--port", "0", "--bootstrap", boot, "--timeout", life], t0)
        procs += [a, b]
        t_ready_a, ra = a.wait_for(lambda e: e["event"] == "ready", deadline)
        t_ready_b, rb = b.wait_for(lambda e: e["event"] == "ready", deadline)

        t_a_sees_b, _ = a.wait_for(lambda e: e["event"] == "peer" and e["public_key"] == rb["public_key"], deadline)
        t_b_sees_a, _ = b.wait_for(lambda e: e["event"] == "peer" and e["public_key"] == ra["public_key"], deadline)

        t_send = time.monotonic() - t0
        a.send("send " + rb["public_key"])
        a.wait_for(lambda e: e["event"] == "sent", deadline)
        t_msg_b, msg_b = b.wait_for(lambda e: e["event"] == "message", deadline)
        b.send("send " + ra["public_key"])
        t_msg_a, msg_a = a.wait_for(lambda e: e["event"] == "message", deadline)

        ok = (msg_b["matches_expected"] and msg_a["matches_expected"]
              and msg_b["from"] == ra["public_key"] and msg_a["from"] == rb["public_key"])
        print(json.dumps({
            "result": "pass" if ok else "fail",
            "peer_ready_s": [round(t_ready_a, 3), round(t_ready_b, 3)],
            "a_sees_b_after_ready_s": round(t_a_sees_b - max(t_ready_a, t_ready_b), 3),
            "b_sees_a_after_ready_s": round(t_b_sees_a - max(t_ready_a, t_ready_b), 3),
            "message_latency_s": round(t_msg_b - t_send, 3),
            "total_s": round(time.monotonic() - t0, 3),
            "values_received_by_b": msg_b["values"],
        }, indent=1))
        return 0 if ok else 1
    except (TimeoutError, KeyError) as e:
        print(f"selftest FAILED: {e!r}", file=sys.stderr)
        for p in procs:
            print(f"--- {p.name} stderr (tail) ---", file=sys.stderr)
            sys.stderr.writelines(p.stderr[-20:])
        return 1
    finally:
        for p in procs:
            p.stop()


if __name__ == "__main__":
    sys.exit(main())
