"""Benchmark of the durable timer service (a script that prints figures, not a test).

    python bench/timers.py            # 100,000 pending timers, 10,000 dispatched
    python bench/timers.py --quick    # smaller numbers for a CI smoke run

Measures, on real SQLite files in a temporary directory:
1. the cost of ``schedule()`` with few vs many pending timers (should not depend on it), per call
   in bursts sent together, so that it is SQLite's work and not the hand-over between threads;
2. the dispatcher's memory while it works through many due timers (should stay flat);
3. dispatch throughput of due timers with a no-op handler, against a plain ``sqlite3``
   baseline of bare ``UPDATE … SET status='done' WHERE id=?`` statements in one transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

# Runnable as a plain script from anywhere: make the repository importable first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core import timeutil
from bot.core.db import PRAGMAS, Database
from bot.core.timers import Timer, TimerService

GUILD = 4242
YEAR = 365 * 24 * 3600.0


@dataclass
class Sizes:
    big_pending: int
    small_pending: int
    schedules: int
    dispatch: int
    memory_due: int


SCHEDULE_BURST = 10  # schedule() calls sent together, timed as one (see bench_schedule)
FULL = Sizes(big_pending=100_000, small_pending=100, schedules=500, dispatch=10_000, memory_due=50_000)
QUICK = Sizes(big_pending=10_000, small_pending=100, schedules=100, dispatch=2_000, memory_due=5_000)


def raw_connection(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the bot's pragmas, so the baseline is a fair one."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    return conn


def bulk_insert(path: Path, count: int, *, due_from: float, due_to: float, kind: str = "noop") -> None:
    """Insert ``count`` pending timers fast: one executemany in one transaction."""
    rng = random.Random(count)
    created = time.time()
    rows = ((GUILD + i % 50, kind, rng.uniform(due_from, due_to), created) for i in range(count))
    conn = raw_connection(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO timers (guild_id, kind, due_at, created_at) VALUES (?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    finally:
        conn.close()


async def migrated(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


def rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource  # fallback: peak RSS only

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def noop(timer: Timer) -> None:
    return None


# -- 1. schedule cost -----------------------------------------------------------------------
async def bench_schedule(tmp: Path, sizes: Sizes) -> dict[str, float]:
    now = time.time()
    paths = {"small": tmp / "small.db", "big": tmp / "big.db"}
    counts = {"small": sizes.small_pending, "big": sizes.big_pending}
    for name, path in paths.items():
        await migrated(path)
        bulk_insert(path, counts[name], due_from=now + 3600, due_to=now + YEAR)
    dbs = {name: await Database.open(path) for name, path in paths.items()}
    services = {name: TimerService(db) for name, db in dbs.items()}
    rng = random.Random(7)
    samples: dict[str, list[float]] = {"small": [], "big": [], "small_key": [], "big_key": []}
    try:
        # One call alone is mostly the hand-over to the database thread and back, which on this
        # shared machine is ~80 or ~155 µs depending on where the threads land, run to run: that
        # noise, not SQLite, decided the ratio. A burst of calls sent together is worked through back
        # to back by that thread, so the time per call is what grows with the pending count.
        for rep in range(-5, sizes.schedules // SCHEDULE_BURST):  # 5 warm-up bursts, not recorded
            dues = [timeutil.from_db(now + rng.uniform(3600, YEAR)) for _ in range(SCHEDULE_BURST)]
            keys = [f"reminder:{(rep * SCHEDULE_BURST + i) % 200}" for i in range(SCHEDULE_BURST)]
            # Interleaved so both files see the same machine noise.
            for name, service in services.items():
                start = time.perf_counter()
                await asyncio.gather(*(service.schedule(GUILD, "noop", due) for due in dues))
                plain = (time.perf_counter() - start) / SCHEDULE_BURST
                pairs = zip(dues, keys, strict=True)
                start = time.perf_counter()
                await asyncio.gather(*(service.schedule(GUILD, "noop", due, key=key) for due, key in pairs))
                keyed = (time.perf_counter() - start) / SCHEDULE_BURST
                if rep >= 0:
                    samples[name].append(plain)
                    samples[f"{name}_key"].append(keyed)
    finally:
        for db in dbs.values():
            await db.close()
    result = {}
    for name, values in samples.items():
        result[f"{name}_median"] = statistics.median(values) * 1e6
        result[f"{name}_p99"] = percentile(values, 99) * 1e6
    result["ratio"] = result["big_median"] / result["small_median"]
    result["ratio_key"] = result["big_key_median"] / result["small_key_median"]
    return result


# -- 2. memory ------------------------------------------------------------------------------
async def bench_memory(path: Path, sizes: Sizes) -> dict[str, float]:
    now = time.time()
    bulk_insert(path, sizes.memory_due, due_from=now - 3600, due_to=now - 1)
    db = await Database.open(path)
    try:
        service = TimerService(db)
        service.register("noop", noop)
        gc.collect()
        rss_before = rss_mib()
        tracemalloc.start()
        base_current, _ = tracemalloc.get_traced_memory()
        dispatched = 0
        peak_early = None
        while True:
            ran = await service.run_due()
            if not ran:
                break
            dispatched += ran
            if peak_early is None and dispatched >= sizes.memory_due // 10:
                peak_early = tracemalloc.get_traced_memory()[1] - base_current
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        gc.collect()
        rss_after = rss_mib()
    finally:
        await db.close()
    return {
        "dispatched": dispatched,
        "peak_early_kib": (peak_early or 0) / 1024,
        "peak_kib": (peak - base_current) / 1024,
        "retained_kib": (current - base_current) / 1024,
        "rss_before": rss_before,
        "rss_after": rss_after,
    }


# -- 3. throughput --------------------------------------------------------------------------
def baseline_updates(path: Path, count: int) -> float:
    """Seconds for ``count`` bare UPDATE-by-id statements in one transaction (plain sqlite3)."""
    now = time.time()
    conn = raw_connection(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM timers").fetchone()[0]
        conn.executemany(
            "INSERT INTO timers (guild_id, kind, due_at, created_at) VALUES (?, 'noop', ?, ?)",
            ((GUILD, now - 1, now) for _ in range(count)),
        )
        conn.execute("COMMIT")
        ids = [(i,) for i in range(first, first + count)]
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("UPDATE timers SET status = 'done' WHERE id = ?", ids)
        conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


async def bench_dispatch(path: Path, sizes: Sizes) -> dict[str, float]:
    # Best of three: the baseline is one short burst, easily disturbed; its best run makes the
    # comparison stricter for the service, not looser.
    baseline = min(baseline_updates(path, sizes.dispatch) for _ in range(3))
    now = time.time()
    bulk_insert(path, sizes.dispatch, due_from=now - 1, due_to=now - 1)  # all due at one instant
    db = await Database.open(path)
    try:
        service = TimerService(db)
        calls = 0

        async def counting(timer: Timer) -> None:
            nonlocal calls
            calls += 1

        service.register("noop", counting)
        done_before = await db.fetchval("SELECT count(*) FROM timers WHERE status = 'done'")
        start = time.perf_counter()
        dispatched = 0
        while ran := await service.run_due():
            dispatched += ran
        elapsed = time.perf_counter() - start
        done = await db.fetchval("SELECT count(*) FROM timers WHERE status = 'done'") - done_before
    finally:
        await db.close()
    return {
        "baseline_s": baseline,
        "service_s": elapsed,
        "dispatched": dispatched,
        "calls": calls,
        "done_rows": done,
        "rate": dispatched / elapsed,
        "baseline_rate": sizes.dispatch / baseline,
        "ratio": elapsed / baseline,
    }


async def collect(sizes: Sizes) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="relais-bench-") as tmp_name:
        tmp = Path(tmp_name)
        sched = await bench_schedule(tmp, sizes)
        big = tmp / "big.db"  # reused: the dispatcher works next to many future timers
        mem = await bench_memory(big, sizes)
        disp = await bench_dispatch(big, sizes)
    return sched, mem, disp


def goals(sizes: Sizes, sched: dict, mem: dict, disp: dict) -> list[tuple[str, bool]]:
    return [
        (
            "schedule cost independent of pending count (median ratio <= 1.5)",
            max(sched["ratio"], sched["ratio_key"]) <= 1.5,
        ),
        (
            "memory flat (peak after all <= 1.25x peak after 10% + 256 KiB)",
            mem["peak_kib"] <= 1.25 * mem["peak_early_kib"] + 256,
        ),
        ("RSS growth during dispatch < 32 MiB", mem["rss_after"] - mem["rss_before"] < 32),
        ("dispatch >= 5,000 timers/s", disp["rate"] >= 5000),
        ("dispatch within 5x the plain sqlite3 baseline", disp["ratio"] <= 5),
        (
            "every timer fired exactly once",
            disp["calls"] == disp["dispatched"] == disp["done_rows"] == sizes.dispatch,
        ),
    ]


def measure(size: str = "full") -> list:
    """The runner's rows."""
    from bench import figure

    sizes = QUICK if size == "quick" else FULL
    sched, mem, disp = asyncio.run(collect(sizes))
    exact = disp["calls"] == disp["dispatched"] == disp["done_rows"] == sizes.dispatch
    return [
        figure(
            "timers",
            f"schedule() median per call in bursts of {SCHEDULE_BURST}, {sizes.big_pending:,} pending"
            f" (baseline: {sizes.small_pending})",
            sched["big_median"],
            "µs",
            baseline=sched["small_median"],
            goal=("≤", 1.5),
        ),
        figure(
            "timers",
            "keyed schedule() median, same comparison",
            sched["big_key_median"],
            "µs",
            baseline=sched["small_key_median"],
            goal=("≤", 1.5),
        ),
        figure(
            "timers",
            f"dispatcher memory peak over {mem['dispatched']:,} due (baseline: after 10 %)",
            mem["peak_kib"],
            "KiB",
            baseline=mem["peak_early_kib"],
            # flat: at most 1.25× the early peak plus 256 KiB, said as a ratio
            goal=("≤", round(1.25 + 256 / max(mem["peak_early_kib"], 1.0), 2)),
        ),
        figure(
            "timers",
            "RSS growth while dispatching",
            mem["rss_after"] - mem["rss_before"],
            "MiB",
            goal=("<", 32),
            on_ratio=False,
        ),
        figure(
            "timers",
            f"dispatch of {sizes.dispatch:,} due timers (baseline: plain UPDATE by id)",
            disp["service_s"] * 1000,
            "ms",
            baseline=disp["baseline_s"] * 1000,
            goal=("≤", 5),
        ),
        figure(
            "timers", "timers dispatched per second", disp["rate"], "/s", goal=("≥", 5000), on_ratio=False
        ),
        figure("timers", "timers fired exactly once", float(exact), "", goal=("=", 1), on_ratio=False),
    ]


async def main_async(sizes: Sizes) -> int:
    logging.basicConfig(level=logging.WARNING)
    print(f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}")
    sched, mem, disp = await collect(sizes)
    print(f"\n1. schedule() cost, {sizes.schedules} each, per call in bursts of {SCHEDULE_BURST} (µs)")
    print(f"   {'pending':>10} {'median':>9} {'p99':>9} {'keyed median':>13} {'keyed p99':>10}")
    for name, count in (("small", sizes.small_pending), ("big", sizes.big_pending)):
        print(
            f"   {count:>10,} {sched[f'{name}_median']:>9.1f} {sched[f'{name}_p99']:>9.1f}"
            f" {sched[f'{name}_key_median']:>13.1f} {sched[f'{name}_key_p99']:>10.1f}"
        )
    print(f"   ratio big/small (median): plain {sched['ratio']:.2f}, keyed {sched['ratio_key']:.2f}")

    print(f"\n2. memory while dispatching {mem['dispatched']:,} due timers (batch 500)")
    print(
        f"   tracemalloc peak after first 10%: {mem['peak_early_kib']:,.0f} KiB;"
        f" after all: {mem['peak_kib']:,.0f} KiB; retained after: {mem['retained_kib']:,.0f} KiB"
    )
    print(
        f"   RSS before {mem['rss_before']:.1f} MiB, after {mem['rss_after']:.1f} MiB"
        f" (+{mem['rss_after'] - mem['rss_before']:.1f} MiB)"
    )

    print(f"\n3. dispatch of {sizes.dispatch:,} timers due at the same instant, no-op handler")
    print(
        f"   service: {disp['service_s'] * 1000:.1f} ms = {disp['rate']:,.0f} timers/s"
        f" (handler calls {disp['calls']:,}, rows marked done {disp['done_rows']:,})"
    )
    print(
        f"   baseline (plain sqlite3, {sizes.dispatch:,} UPDATE by id, one transaction, best of 3):"
        f" {disp['baseline_s'] * 1000:.1f} ms = {disp['baseline_rate']:,.0f} rows/s"
    )
    print(f"   ratio service/baseline: {disp['ratio']:.2f}x")

    verdicts = goals(sizes, sched, mem, disp)
    print("\nSummary")
    for label, ok in verdicts:
        print(f"   {'PASS' if ok else 'MISS'}  {label}")
    return 0 if all(ok for _, ok in verdicts) else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller numbers for a CI smoke run")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    print(f"mode: {'quick' if args.quick else 'full'} ({sizes})")
    return asyncio.run(main_async(sizes))


if __name__ == "__main__":
    raise SystemExit(main())
