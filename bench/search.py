"""Benchmark of the resource search: 100,000 resources of French text, 200 varied queries.

Compares the domain search (``bot.resources.search``: FTS5, capped candidate ranking) with a
naive ``LIKE '%…%'`` scan over the same table in the same run, and prints p50/p99 of both, the
ratio, the slowest query, and PASS/MISS against the goals (p99 < 10 ms; at least 20× faster than
the scan at p50 and 30× at p99).

    python bench/search.py [--rows 100000] [--queries 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.db import Database
from bot.resources import library as resources
from bot.resources.search import boost_for, forget_document_frequencies, query_terms, tier_for

GUILD = 1
GOAL_P99_MS = 10.0
GOAL_RATIO = 20.0  # at p50
GOAL_P99_RATIO = 30.0
# Each query is timed this many times and its median kept, on both sides: a p99 over 200 queries
# is the third-slowest one, and a single run lets one scheduler hiccup of this shared VM decide it.
REPEATS = 3

# Everyday French, most frequent first (the order drives a Zipf distribution).
COMMON = """
de la le et les des en un une du pour à dans sur au par avec qui que est pas plus sont aux ce ou
se son sa ses nous vous leur être avoir fait faire comme mais aussi tout tous entre sans sous très
peut bien dont cette ces même autre après avant chaque encore deux trois temps vie personnes
""".split()
DOMAIN = """
pair-aidance pair-aidant pair-aidante pairs santé mentale rétablissement accompagnement équipe
équipes expérience vécu savoir expérientiel formation formations soutien usagers soins psychiatrie
addiction addictions précarité logement emploi travail travailleur médiateur médiatrice réseau
association intervision intervisions stigmatisation déstigmatisation espoir parcours témoignage
famille familles droits insertion recrutement entretien embauche projet guide podcast article
événement rencontre groupe parole écoute confiance autonomie pouvoir agir hôpital service structure
institution bénévolat stage poste contrat salarié professionnel professionnels université licence
diplôme recherche étude résultats outil outils atelier ateliers réduction risques rue hébergement
social sociale médico-social psychique psychiques troubles souffrance crise urgence prévention
sensibilisation information coordination fédération plateforme bruxelles wallonie france belgique
lille lyon paris mons liège namur charleroi marseille toulouse bordeaux nantes rennes grenoble
identité relation proximité distance posture éthique déontologie confidentialité charte gouvernance
participation citoyenneté inclusion handicap jeunesse adolescents adultes seniors femmes migrants
""".split()
SYLLABLES = (
    "ba be bi bo bu da de di do du fa fe fi fo la le li lo lu ma me mi mo mu na ne ni no nu "
    "pa pe pi po ra re ri ro ru sa se si so ta te ti to va ve vi vo"
).split()
SITES = [
    f"{name}.{tld}"
    for name in (
        "psycom",
        "pat",
        "smes",
        "travail-pair",
        "entantquetelle",
        "afmosp",
        "ccoms",
        "reseau",
        "plateforme",
        "asbl",
        "journal",
        "revue",
        "podcast",
        "univ",
    )
    for tld in ("org", "be", "fr", "com", "net")
]
THEMES = [
    "rétablissement",
    "stigmatisation",
    "emploi",
    "formation",
    "addictions",
    "précarité",
    "santé mentale",
    "droits",
    "témoignage",
    "intervision",
    "famille",
    "logement",
]


def build_vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    rare = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))) for _ in range(6000)}
    words = COMMON + DOMAIN + sorted(rare)
    weights = [1.0 / (rank + 8) ** 1.07 for rank in range(len(words))]
    return words, weights


def make_rows(count: int, rng: random.Random) -> tuple[list[tuple], list[str]]:
    words, weights = build_vocabulary(rng)
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC).timestamp()
    rows = []
    for i in range(count):
        title = " ".join(rng.choices(words, weights, k=rng.randint(4, 11))).capitalize()
        description = " ".join(rng.choices(words, weights, k=rng.randint(15, 70)))
        if rng.random() < 0.7:  # the community's own word, in most rows
            description += " pair-aidance"
        themes = ", ".join(rng.sample(THEMES, rng.randint(0, 3)))
        site = rng.choice(SITES)
        votes = rng.choice([0] * 30 + [1, 1, 2, 3, 5, 8, 13])
        rows.append(
            (
                GUILD,
                f"https://{site}/r/{i}",
                f"https://{site}/r/{i}",
                site,
                title,
                description,
                rng.choice(resources.KINDS),
                themes,
                1000 + i % 500,
                1000 + i % 500,
                "discord",
                start + i * 600,
                votes,
                boost_for(votes),
                tier_for(votes),
            )
        )
    return rows, words


def make_queries(words: list[str], rng: random.Random, count: int) -> list[tuple[str, dict]]:
    common = COMMON[:40] + [
        "pair-aidance",
        "santé mentale",
        "rétablissement",
        "accompagnement",
        "sante",
        "Pair-Aidance",
    ]
    domain = DOMAIN
    rare = words[len(COMMON) + len(DOMAIN) :]
    queries: list[tuple[str, dict]] = []
    makers = [
        lambda: (rng.choice(common), {}),  # words found in most rows
        lambda: (rng.choice(domain), {}),  # medium frequency
        lambda: (rng.choice(rare), {}),  # rare
        lambda: (f"{rng.choice(domain)} {rng.choice(domain)}", {}),  # two words
        lambda: (f"{rng.choice(common)} {rng.choice(common)} {rng.choice(domain)}", {}),
        lambda: (f"{rng.choice(domain)} {rng.choice(rare)}", {}),
        lambda: (f'"{rng.choice(domain)}" NEAR({rng.choice(common)} -x*', {}),  # syntax characters
        lambda: (rng.choice(domain).upper().replace("É", "E"), {}),  # accents dropped
        lambda: (rng.choice(common), {"kind": rng.choice(resources.KINDS)}),  # common word + type filter
        lambda: (rng.choice(domain), {"theme": rng.choice(THEMES)}),  # with theme filter
    ]
    while len(queries) < count:
        for make in makers:
            if len(queries) < count:
                queries.append(make())
    return queries


def like_sql(query: str) -> tuple[str, list]:
    """A naive search: every word must appear somewhere, most useful first. ``NOT INDEXED`` keeps
    SQLite from walking the votes index and stopping at the first five hits: a search that ranks its
    matches has to look at every row, as this scan does."""
    words = [" ".join(p) for p in query_terms(query)]
    clauses, params = [], []
    for word in words:
        clauses.append("(title LIKE ? OR description LIKE ? OR themes LIKE ? OR site LIKE ?)")
        params += [f"%{word}%"] * 4
    sql = (
        "SELECT id FROM resources NOT INDEXED WHERE guild_id = ? AND removed_at IS NULL AND "
        + " AND ".join(clauses)
        + " ORDER BY useful_count DESC, id DESC LIMIT 5"
    )
    return sql, [GUILD, *params]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


async def collect(rows_count: int, query_count: int, seed: int, echo=lambda *a, **k: None) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        try:
            echo(f"building {rows_count:,} resources …", flush=True)
            began = time.perf_counter()
            rows, words = make_rows(rows_count, rng)
            async with db.transaction():
                await db.executemany(
                    "INSERT INTO resources (guild_id, url, url_key, site, title, description, kind, themes, "
                    "author_id, "
                    "shared_by, source, created_at, useful_count, boost, tier) VALUES (?, ?, ?, ?, ?, ?, ?, "
                    "?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            await db.execute("INSERT INTO resources_fts (resources_fts) VALUES ('optimize')")
            await db.execute("ANALYZE")
            echo(f"  built in {time.perf_counter() - began:.1f} s", flush=True)

            queries = make_queries(words, rng, query_count)
            for query, filters in queries[:20]:  # warm the page cache
                await resources.search(db, GUILD, query, page_size=5, **filters)

            fts_ms: list[tuple[float, str, int]] = []
            for query, filters in queries:
                runs = []
                for _ in range(REPEATS):
                    forget_document_frequencies()  # every run pays for its word counts, as a new query does
                    began = time.perf_counter()
                    page = await resources.search(db, GUILD, query, page_size=5, **filters)
                    runs.append((time.perf_counter() - began) * 1000)
                fts_ms.append(
                    (statistics.median(runs), query + (f" {filters}" if filters else ""), page.total)
                )

            like_ms: list[float] = []
            for query, filters in queries:
                sql, params = like_sql(query)
                if filters.get("kind"):
                    sql = sql.replace("WHERE guild_id = ?", "WHERE kind = ? AND guild_id = ?")
                    params = [filters["kind"], *params]
                runs = []
                for _ in range(REPEATS):
                    began = time.perf_counter()
                    await db.fetchall(sql, params)
                    runs.append((time.perf_counter() - began) * 1000)
                like_ms.append(statistics.median(runs))
        finally:
            await db.close()

    times = [t for t, _, _ in fts_ms]
    return {
        "rows": rows_count,
        "queries": len(queries),
        "fts_ms": fts_ms,
        "p50": statistics.median(times),
        "p99": percentile(times, 99),
        "like_p50": statistics.median(like_ms),
        "like_p99": percentile(like_ms, 99),
    }


async def run(rows_count: int, query_count: int, seed: int) -> int:
    r = await collect(rows_count, query_count, seed, echo=print)
    fts_ms, p50, p99, like_p50, like_p99 = r["fts_ms"], r["p50"], r["p99"], r["like_p50"], r["like_p99"]
    worst = max(fts_ms)
    ratio = like_p50 / p50 if p50 else float("inf")
    print(f"\n{r['queries']} queries over {rows_count:,} resources (each the median of {REPEATS} runs)")
    print(
        f"  FTS5 domain search : p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   max {worst[0]:.2f} ms "
        f"({worst[1]!r}, {worst[2]} matches)"
    )
    print(f"  LIKE '%…%' scan    : p50 {like_p50:7.2f} ms   p99 {like_p99:7.2f} ms")
    print(f"  ratio (LIKE / FTS, p50): {ratio:.0f}×   (p99: {like_p99 / p99:.0f}×)")
    slow = sorted(fts_ms, reverse=True)[:5]
    print("  slowest searches: " + "; ".join(f"{q!r} {t:.2f} ms" for t, q, _ in slow))
    p99_ratio = like_p99 / p99 if p99 else float("inf")
    goals = [
        (p99 < GOAL_P99_MS, f"p99 < {GOAL_P99_MS:.0f} ms ({p99:.2f} ms)"),
        (ratio >= GOAL_RATIO, f"≥ {GOAL_RATIO:.0f}× faster than the scan at p50 ({ratio:.0f}×)"),
        (
            p99_ratio >= GOAL_P99_RATIO,
            f"≥ {GOAL_P99_RATIO:.0f}× faster than the scan at p99 ({p99_ratio:.0f}×)",
        ),
    ]
    for ok, what in goals:
        print(f"{'PASS' if ok else 'MISS'}: {what}")
    return 0 if all(ok for ok, _ in goals) else 1


SIZE = {"quick": (20_000, 100), "full": (100_000, 200)}


def measure(size: str = "full") -> list:
    """The runner's rows (ratios are speed-ups: the scan's time over the search's)."""
    from bench import figure

    rows_count, queries = SIZE[size]
    r = asyncio.run(collect(rows_count, queries, 1))
    where = f"{queries} queries, {rows_count:,} resources"
    return [
        figure(
            "search",
            f"p99, {where} (baseline: LIKE scan; ratio = speed-up)",
            r["p99"],
            "ms",
            baseline=r["like_p99"],
            ratio=r["like_p99"] / r["p99"],
            goal=("≥", GOAL_P99_RATIO),
        ),
        figure(
            "search",
            "p50 (speed-up)",
            r["p50"],
            "ms",
            baseline=r["like_p50"],
            ratio=r["like_p50"] / r["p50"],
            goal=("≥", GOAL_RATIO),
        ),
        figure("search", "p99", r["p99"], "ms", goal=("<", GOAL_P99_MS), on_ratio=False),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    return asyncio.run(run(args.rows, args.queries, args.seed))


if __name__ == "__main__":
    sys.exit(main())
