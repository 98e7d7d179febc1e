"""Benchmark of job-alert matching (a script that prints figures, not a test).

    python bench/jobs.py            # 10,000 subscriptions × 1,000 new offers
    python bench/jobs.py --quick    # 2,000 × 200 for a CI smoke run

On a real SQLite file in a temporary directory: the subscriptions are stored with
``set_subscription``, then for every new offer we compute who gets alerted, twice in the same run:
1. the index (``AlertIndexCache`` → ``AlertIndex.match``): loaded once, then a lookup per offer;
2. the naive scan: every subscription checked against every offer (``naive_match``);
the two alternate every 20 offers, so a shared machine's load weighs on both alike.
Both answers are compared offer by offer; the ratio of the two times is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import jobs
from bot.core import timeutil
from bot.core.db import Database

GUILD = 4242
CHUNK = 20  # offers per alternation between the two methods
KEYWORDS = [
    "addiction",
    "logement",
    "psychiatrie",
    "équipe mobile",
    "pair-aidance",
    "rétablissement",
    "nuit",
    "jeunes",
    "précarité",
    "réduction des risques",
    "hôpital",
    "CMP",
    "GEM",
    "insertion",
    "santé mentale",
    "formation",
    "expert de vécu",
    "travailleur pair",
    "médiateur de santé pair",
    "accueil",
    "rue",
    "prison",
    "famille",
]
FILLER = (
    "accompagner les personnes accueillies co-animer des groupes participer aux réunions d'équipe "
    "rédiger des transmissions soutenir l'accès aux droits orienter vers le réseau"
).split()


def make_subscriptions(rng: random.Random, count: int) -> list[dict]:
    regions = jobs.DEFAULT_CONFIG.region_names
    contracts = jobs.DEFAULT_CONFIG.contracts
    subs = []
    for user in range(1, count + 1):
        subs.append(
            {
                "user": user,
                "regions": tuple(rng.sample(regions, rng.choice((0, 1, 1, 2, 3)))),
                "contracts": tuple(rng.sample(contracts, rng.choice((0, 0, 1, 2)))),
                "keywords": tuple(rng.sample(KEYWORDS, rng.choice((0, 0, 1, 2, 3)))),
                "rhythm": rng.choice(jobs.RHYTHMS),
            }
        )
    return subs


def make_offers(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    regions = jobs.DEFAULT_CONFIG.region_names
    contracts = jobs.DEFAULT_CONFIG.contracts
    offers = []
    for _ in range(count):
        words = rng.sample(FILLER, 12) + rng.sample(KEYWORDS, 2)
        rng.shuffle(words)
        offers.append(
            (rng.choice(regions), rng.choice(contracts), "Poste de pair-aidant·e " + " ".join(words))
        )
    return offers


async def collect(subscriptions: int, offers_count: int, seed: int, echo=lambda line: None) -> dict:
    rng = random.Random(seed)
    subs = make_subscriptions(rng, subscriptions)
    offers = make_offers(rng, offers_count)
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        try:
            now = timeutil.now()
            started = time.perf_counter()
            async with db.transaction():
                for s in subs:
                    await jobs.set_subscription(
                        db,
                        GUILD,
                        s["user"],
                        regions=s["regions"],
                        contracts=s["contracts"],
                        keywords=s["keywords"],
                        rhythm=s["rhythm"],
                        now=now,
                    )
            stored = time.perf_counter() - started
            echo(f"{subscriptions:,} subscriptions stored in {stored:.2f} s")

            # 1. the index: built once from the database (version check + load), then one lookup per offer
            cache = jobs.AlertIndexCache()
            started = time.perf_counter()
            index = await cache.get(db, GUILD)
            built = time.perf_counter() - started
            # 2. the naive scan of every subscription per offer (subscriptions already in memory).
            # Both methods alternate, a chunk of offers each, so both see the same machine load.
            loaded = await jobs.load_subscriptions(db, GUILD)
            indexed, naive = [], []
            matched_indexed = matched_naive = 0.0
            for first in range(0, len(offers), CHUNK):
                chunk = offers[first : first + CHUNK]
                started = time.perf_counter()
                for region, contract, text in chunk:
                    index = await cache.get(db, GUILD)  # what the bot does per offer: one version query
                    indexed.append(index.match(region, contract, text))
                matched_indexed += time.perf_counter() - started
                started = time.perf_counter()
                naive += [
                    jobs.naive_match(loaded, region, contract, text) for region, contract, text in chunk
                ]
                matched_naive += time.perf_counter() - started
        finally:
            await db.close()

    if indexed != naive:
        bad = sum(1 for a, b in zip(indexed, naive, strict=True) if a != b)
        raise SystemExit(f"MISMATCH: the index and the naive scan disagree on {bad} offers")
    return {
        "subscriptions": subscriptions,
        "offers": offers_count,
        "alerts": sum(len(m) for m in indexed),
        "built": built,
        "indexed": matched_indexed,
        "naive": matched_naive,
    }


async def run(subscriptions: int, offers_count: int, seed: int) -> None:
    r = await collect(subscriptions, offers_count, seed, echo=print)
    built, matched_indexed, matched_naive = r["built"], r["indexed"], r["naive"]
    print(f"{offers_count:,} new offers → {r['alerts']:,} alerts (identical answers from both methods)")
    print(f"index build (load from SQLite + index): {built * 1000:.1f} ms")
    print(
        f"index matching:  {matched_indexed:.3f} s total, {matched_indexed / offers_count * 1e3:.3f} ms per "
        f"offer"
    )
    print(
        f"naive scan:      {matched_naive:.3f} s total, {matched_naive / offers_count * 1e3:.3f} ms per offer"
    )
    ratio = matched_naive / matched_indexed
    print(f"ratio naive / index (matching): {ratio:.1f}× (goal ≥ {GOAL_SPEEDUP:g}×) {verdict(ratio)}")
    print(f"ratio naive / (index build + matching): {matched_naive / (built + matched_indexed):.1f}×")


def verdict(speedup: float) -> str:
    return "PASS" if speedup >= GOAL_SPEEDUP else "MISS"


GOAL_SPEEDUP = 50.0
SIZE = {"quick": (2_000, 200), "full": (10_000, 1_000)}


def measure(size: str = "full") -> list:
    """The runner's rows: the per-offer matching (what the bot does for each new offer) and the
    same including the one-off index build."""
    from bench import figure

    subscriptions, offers = SIZE[size]
    r = asyncio.run(collect(subscriptions, offers, 7))
    per_offer = 1000 / offers
    return [
        figure(
            "jobs",
            f"alert matching, {subscriptions:,} subscriptions (baseline: naive scan; ratio = speed-up)",
            r["indexed"] * per_offer,
            "ms/offer",
            baseline=r["naive"] * per_offer,
            ratio=r["naive"] / r["indexed"],
            goal=("≥", GOAL_SPEEDUP),
        ),
        figure(
            "jobs",
            f"same, with the index build counted, {offers:,} offers (speed-up)",
            (r["built"] + r["indexed"]) * per_offer,
            "ms/offer",
            baseline=r["naive"] * per_offer,
            ratio=r["naive"] / (r["built"] + r["indexed"]),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    subscriptions, offers = (2_000, 200) if args.quick else (10_000, 1_000)
    asyncio.run(run(subscriptions, offers, args.seed))


if __name__ == "__main__":
    main()
