"""The bot on a big guild vs the sandbox's small one, in the same run (a script that prints figures).

    python bench/scale.py            # 20,000 members, 100,000 resources … and 10 minutes of load
    python bench/scale.py --quick    # a fifth of the data, 20 s of load: a few minutes

The big guild: 20,000 members, 100,000 resources, 5,000 intervision sessions (2,000 upcoming),
20,000 job subscriptions, 200,000 finished timers and 50,000 moderation cases, written straight
to the database before the bot starts; the small guild gets a young library of 50 resources (so
that both answer a search with a page of results). For each guild: start-up to READY, resident memory after
start-up and after the mixed load (messages from many members and every command of
``bench/e2e.py``'s COMMANDS), and p50/p99 of every command's round trip. Each big-guild figure is
printed beside the small guild's as a ratio. Goals: every ratio ≤ 2, memory ≤ 200 MiB.

Resident memory is the whole process's: the local Discord double (and its copy of the 20,000
members) lives in it too, so the bot's own share is smaller than the figure.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import gc
import logging
import multiprocessing
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.e2e import COMMANDS, crowd, percentile, round_trips
from bench.search import make_rows
from bot.core.db import PRAGMAS
from bot.sandbox.harness import running_sandbox

GOAL_RATIO = 2.0
GOAL_MEMORY_MIB = 200.0


@dataclass(frozen=True)
class Size:
    members: int
    resources: int
    sessions: int
    upcoming: int
    subscriptions: int
    timers: int
    cases: int
    load_seconds: float
    calls: int


# Round trips per command: at least 200, so that p99 is not simply the slowest call (over 30 calls
# it was, and one scheduler hiccup on a shared machine decided the figure).
FULL = Size(20_000, 100_000, 5_000, 2_000, 20_000, 200_000, 50_000, 600.0, 400)
QUICK = Size(4_000, 20_000, 1_000, 400, 4_000, 40_000, 10_000, 20.0, 200)
SMALL_LIBRARY = 50
INSERT_RESOURCE = (
    "INSERT INTO resources (guild_id, url, url_key, site, title, description, kind, themes, author_id,"
    " shared_by, source, created_at, useful_count, boost, tier)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def seed_small_library(path: Path, guild_id: int, rng: random.Random) -> None:
    """A young community's library (SMALL_LIBRARY resources), so that the small guild's search answers
    with a page of results as the big guild's does, not with « nothing found »: compared that way,
    the ratio mixed the data's cost with the cost of rendering results at all."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    rows, _ = make_rows(SMALL_LIBRARY, rng)
    with conn:
        conn.executemany(
            INSERT_RESOURCE,
            [(guild_id, *row[1:]) for row in rows],
        )
    conn.close()


def seed(path: Path, guild_id: int, member_ids: list[int], size: Size, rng: random.Random) -> None:
    """Years of a big community's history, in bulk: what the bot finds when it starts."""
    now = time.time()
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    conn.execute("BEGIN IMMEDIATE")
    rows, _ = make_rows(size.resources, rng)
    conn.executemany(
        INSERT_RESOURCE,
        [(guild_id, *row[1:]) for row in rows],
    )
    day = 86_400.0
    sessions = []
    for n in range(size.sessions):
        upcoming = n < size.upcoming
        start = now + (n + 1) * day / 10 if upcoming else now - (n + 1) * day / 10
        status = "scheduled" if upcoming else "done"
        sessions.append((guild_id, f"Intervision {n}", start, start + 7200, 12, 1, status, now, now))
    conn.executemany(
        "INSERT INTO intervision_sessions (guild_id, title, starts_at, ends_at, capacity, created_by, status,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        sessions,
    )
    regions, contracts = ["Bruxelles", "Wallonie", "Île-de-France", "Hauts-de-France"], ["CDI", "CDD"]
    conn.executemany(
        "INSERT OR IGNORE INTO job_subscriptions (guild_id, user_id, regions, contracts, keywords,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                guild_id,
                member_ids[i % len(member_ids)],
                rng.choice(regions),
                rng.choice(contracts),
                "pair",
                now,
                now,
            )
            for i in range(size.subscriptions)
        ],
    )
    conn.executemany(
        "INSERT INTO timers (guild_id, kind, due_at, status, created_at) VALUES (?, 'noop', ?, 'done', ?)",
        ((guild_id, now - rng.uniform(0, 365 * day), now) for _ in range(size.timers)),
    )
    conn.executemany(
        "INSERT INTO mod_cases (guild_id, number, member_id, moderator_id, action, reason, state, created_at)"
        " VALUES (?, ?, ?, ?, 'note', 'Point d''étape', 'confirmed', ?)",
        (
            (guild_id, n + 1, member_ids[rng.randrange(len(member_ids))], member_ids[0], now - n * 60)
            for n in range(size.cases)
        ),
    )
    conn.execute("COMMIT")
    conn.execute("INSERT INTO resources_fts (resources_fts) VALUES ('optimize')")
    conn.execute("ANALYZE")
    conn.close()


async def mixed_load(sandbox, authors: list[str], seconds: float) -> int:
    """About 20 messages a second from many members (none flooding) and a command every five
    messages, for ``seconds``; returns the number of messages sent."""
    driver, sent, deadline = sandbox.driver, 0, time.monotonic() + seconds
    rng = random.Random(3)
    while time.monotonic() < deadline:
        for _ in range(5):
            await driver.send_message(rng.choice(authors), "accueil", f"Bonjour, un message ordinaire {sent}")
            sent += 1
        member, path, options = COMMANDS[sent // 5 % len(COMMANDS)]
        result = await driver.slash(member, path, **options)
        await result.wait(timeout=10)
        await asyncio.sleep(0.25)
    return sent


async def one_guild(folder: Path, big: bool, size: Size) -> dict:
    """Start-up, memory and round trips on the small sandbox guild or the big one."""
    async with running_sandbox(folder / "relais.db", environ={}, start=False) as sandbox:
        authors = crowd(sandbox.double, size.members * 6 if big else 300)  # 6 messages per author
        if big:
            driver = sandbox.driver
            ids = [driver.user_id(a) for a in authors[:1000]] + [driver.user_id(m) for m in ("ines", "noah")]
            seed(sandbox.settings.database.path, sandbox.guild_id, ids, size, random.Random(7))
        else:
            seed_small_library(sandbox.settings.database.path, sandbox.guild_id, random.Random(7))
        gc.collect()
        started = time.perf_counter()
        await sandbox.start_bot()
        startup = time.perf_counter() - started
        await asyncio.sleep(1)  # what on_ready starts (version notices, catch-up) settles
        memory_start = rss_mib()
        times = {}
        for member, path, options in COMMANDS:
            times[path] = await round_trips(sandbox.driver, member, path, options, size.calls)
        sent = await mixed_load(sandbox, authors, size.load_seconds)
        gc.collect()
        memory_load = rss_mib()
    return {
        "startup": startup,
        "memory_start": memory_start,
        "memory_load": memory_load,
        "sent": sent,
        "times": times,
    }


def run_guild(big: bool, size: Size) -> dict:
    """One guild in its own process: resident memory is then that guild's alone (with the double)."""
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(one_guild(Path(tmp), big, size))


def collect(size: Size, echo=lambda line: None) -> tuple[dict, dict]:
    context = multiprocessing.get_context("spawn")
    results = []
    for big in (False, True):
        echo(f"{'big' if big else 'small'} guild, {size.load_seconds:.0f} s of load …")
        with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            results.append(pool.submit(run_guild, big, size).result())
    return results[0], results[1]


def measure(size: str = "full") -> list:
    """The runner's rows: each big-guild figure with the small guild's as baseline."""
    from bench import figure

    chosen = QUICK if size == "quick" else FULL
    small, big = collect(chosen, echo=lambda line: print(line, file=sys.stderr, flush=True))
    where = f"{chosen.members:,} members"
    rows = [
        figure(
            "scale",
            f"start-up to READY, {where} (baseline: small guild)",
            big["startup"],
            "s",
            baseline=small["startup"],
            goal=("≤", GOAL_RATIO),
        ),
        figure(
            "scale",
            "resident memory after start-up (whole process)",
            big["memory_start"],
            "MiB",
            goal=("≤", GOAL_MEMORY_MIB),
            on_ratio=False,
            baseline=small["memory_start"],
        ),
        figure(
            "scale",
            f"resident memory after {chosen.load_seconds:.0f} s of mixed load",
            big["memory_load"],
            "MiB",
            goal=("≤", GOAL_MEMORY_MIB),
            on_ratio=False,
            baseline=small["memory_load"],
        ),
    ]
    for path, times in big["times"].items():
        for q, label in ((0.5, "p50"), (0.99, "p99")):
            rows.append(
                figure(
                    "scale",
                    f"/{path} {label}",
                    percentile(times, q),
                    "ms",
                    baseline=percentile(small["times"][path], q),
                    goal=("≤", GOAL_RATIO),
                )
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fifth of the data, 20 s of load")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    from bench.__main__ import table

    rows = measure("quick" if args.quick else "full")
    print(table(rows))
    return 1 if any(row.passed is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
