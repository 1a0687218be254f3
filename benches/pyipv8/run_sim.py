#!/usr/bin/env python3
"""
pyipv8 3.2.1 in virtual time: the docs' "Using the Bootstrap Server" scenario, as in
../shared/reference/README.md (2 bootstrap servers, N peers at t = 0, RandomWalk target 10 timeout 3.0,
walker_interval 0.5, DispersyBootstrapper with both servers, zero latency, sample every 2 s).

    python run_sim.py --peers 100 --seed 1 --duration 120 --out n100_seed1.csv

Writes ``t,mean,min,max`` (verified peers per peer) and prints one JSON line with the wall time of the
simulation phase, the packet count and the peak RSS.
"""
from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import random
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "interop"))

from sim_endpoint import SimEndpoint, SimNetwork  # noqa: E402
from tracker import TrackerCommunity  # noqa: E402
from virtual_loop import VirtualTimeLoop  # noqa: E402

import ipv8.bootstrapping.dispersy.bootstrapper as ipv8_bootstrapper  # noqa: E402
import ipv8.community as ipv8_community  # noqa: E402
import ipv8.peer as ipv8_peer  # noqa: E402
import ipv8.peerdiscovery.churn as ipv8_churn  # noqa: E402
import ipv8.peerdiscovery.discovery as ipv8_discovery  # noqa: E402
from ipv8.community import Community  # noqa: E402
from ipv8.configuration import (  # noqa: E402
    Bootstrapper,
    BootstrapperDefinition,
    ConfigBuilder,
    Strategy,
    WalkerDefinition,
)
from ipv8_service import IPv8  # noqa: E402

#: Fixed community id of the benchmark overlay ("ipv8sim bootstrap 01").
BENCH_COMMUNITY_ID = b"ipv8sim bootstrap 01"

#: Offset added to virtual time where it replaces time.time(), so "0 = never" sentinels in py-ipv8
#: (e.g. DispersyBootstrapper.last_bootstrap = 0) keep their meaning.
VIRTUAL_EPOCH = 1_700_000_000.0


class BenchCommunity(Community):
    """A plain Community with a fixed id and no messages of its own."""

    community_id = BENCH_COMMUNITY_ID


def patch_clocks(loop: VirtualTimeLoop, which: str) -> None:
    """Make py-ipv8 modules read the virtual clock instead of time.time().

    ``walkers``: RandomWalk/EdgeWalk (ipv8.peerdiscovery.discovery), as the reference runs did.
    ``strategies``: walkers and churn strategies (ipv8.peerdiscovery.churn, used by the trackers' liveness).
    ``all``: also Community.on_packet (last_response), Peer.creation_time, the bootstrapper, the trackers.
    ``none``: leave the wall clock everywhere.
    """
    def virtual_now() -> float:
        return VIRTUAL_EPOCH + loop.time()

    if which in ("walkers", "all"):
        ipv8_discovery.time = virtual_now
    if which in ("strategies", "all"):
        ipv8_churn.time = virtual_now
    if which == "all":
        for module in (ipv8_community, ipv8_peer, ipv8_bootstrapper):
            module.time = virtual_now


def build_peer(net: SimNetwork, bootstrap_ips: list) -> IPv8:
    """One IPv8 instance as in the reference: in-memory curve25519 key, one overlay, RandomWalk(10, 3.0)."""
    builder = ConfigBuilder().clear_keys().clear_overlays()
    builder.set_log_level("WARNING")
    builder.set_walker_interval(0.5)
    builder.add_ephemeral_key("my peer")
    bootstrappers = [BootstrapperDefinition(Bootstrapper.DispersyBootstrapper,
                                            {"ip_addresses": bootstrap_ips, "dns_addresses": []})]
    walkers = [WalkerDefinition(Strategy.RandomWalk, 10, {"timeout": 3.0})]
    builder.add_overlay("BenchCommunity", "my peer", walkers, bootstrappers, {}, [])
    endpoint = SimEndpoint(net)
    instance = IPv8(builder.finalize(), endpoint_override=endpoint,
                    extra_communities={"BenchCommunity": BenchCommunity})
    overlay = instance.overlays[0]
    overlay.my_estimated_lan = ("0.0.0.0", 0)
    overlay.my_estimated_wan = endpoint.wan_address
    return instance


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--peers", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--duration", type=float, default=120.0, help="virtual seconds")
    p.add_argument("--interval", type=float, default=2.0, help="sampling interval, virtual seconds")
    p.add_argument("--out", required=True, help="CSV file t,mean,min,max")
    p.add_argument("--patch-clock", choices=["walkers", "strategies", "all", "none"], default="walkers")
    p.add_argument("--sample-phase", choices=["before", "after"], default="before",
                   help="sample before or after the events due at the same virtual instant")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)

    random.seed(args.seed)  # py-ipv8 draws from the module-level random (choice/randint/sample)
    rng = random.Random(args.seed)
    loop = VirtualTimeLoop()
    patch_clocks(loop, args.patch_clock)

    # -- setup (not timed as "simulation") ---------------------------------------------------------
    t_setup = time.perf_counter()
    net = SimNetwork(rng)
    trackers = []
    import asyncio
    asyncio.set_event_loop(loop)

    def tracker_clock() -> float:
        return (VIRTUAL_EPOCH + loop.time()) if args.patch_clock == "all" else time.time()

    for _ in range(2):
        endpoint = SimEndpoint(net)
        endpoint._open = True  # noqa: SLF001 (open() is async; nothing to wait for)
        trackers.append(endpoint)
    bootstrap_ips = [ep.wan_address for ep in trackers]
    peers = [build_peer(net, bootstrap_ips) for _ in range(args.peers)]
    setup_s = time.perf_counter() - t_setup

    rows: list[tuple[float, float, int, int]] = []
    eps = 1e-9 if args.sample_phase == "after" else 0.0

    async def scenario() -> None:
        for endpoint in trackers:
            server = TrackerCommunity(endpoint, clock=tracker_clock, rng=random.Random(rng.random()))
            server.my_estimated_lan = ("0.0.0.0", 0)
            server.my_estimated_wan = endpoint.wan_address
        for instance in peers:
            await instance.start()
        k = 0
        while True:
            t = k * args.interval
            if t > args.duration + 1e-9:
                break
            delay = t + eps - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            counts = [len(instance.network.verified_peers) for instance in peers]
            rows.append((t, sum(counts) / len(counts), min(counts), max(counts)))
            k += 1
        loop.stop()

    t_sim, c_sim = time.perf_counter(), time.process_time()
    loop.create_task(scenario())
    loop.run_forever()
    sim_s, sim_cpu_s = time.perf_counter() - t_sim, time.process_time() - c_sim

    with open(args.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t", "mean", "min", "max"])
        for t, mean, lo, hi in rows:
            w.writerow([f"{t:g}", f"{mean:.4f}", lo, hi])

    print(json.dumps({
        "peers": args.peers, "seed": args.seed, "duration_s": args.duration,
        "setup_wall_s": round(setup_s, 3), "sim_wall_s": round(sim_s, 3), "sim_cpu_s": round(sim_cpu_s, 3),
        "packets": net.packets_sent, "bytes": net.bytes_sent,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "loop_callbacks": loop.callbacks_run, "patch_clock": args.patch_clock,
        "final_mean": rows[-1][1] if rows else None,
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
