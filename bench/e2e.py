"""End-to-end figures on the local Discord double (a script that prints figures, not a test).

    python bench/e2e.py            # full run
    python bench/e2e.py --quick    # smaller numbers, for a smoke run

(a) MESSAGE_CREATE throughput through the full bot (every cog loaded) vs a bare discord.Client
    that only counts messages, on the same event stream — goal: at least 80 % of the bare client.
    The clock stops when every ``on_message`` listener has finished (automod included), and the
    two sides alternate over several rounds, the best of each compared: this 2-core machine is
    shared, and the double runs in the same process as the client it serves. The goal is judged on
    messages per CPU second of the whole process (other people's load does not count in it); the
    wall-clock ratio is printed beside it.
(b) Slash-command round trip p50/p99: /aide and every command listed in COMMANDS, vs a bare
    discord.py bot answering an empty slash command — goal: /aide p99 within 2× of bare.
(c) Start-up to READY with and without a command sync.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import discord
from discord import app_commands

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sandbox.double import DiscordDouble
from bot.sandbox.double.state import Member, User, iso
from bot.sandbox.harness import running_sandbox

# (member, command path, options) measured in (b). Feature areas append their commands here.
COMMANDS: list[tuple[str, str, dict]] = [
    ("lea", "aide", {}),
    ("camille", "config voir", {}),
    # moderation
    ("sami", "mod dossier", {"membre": "ines"}),
    ("sami", "mod note", {"membre": "noah", "texte": "Point d'étape après l'échange de mardi"}),
    ("lea", "permanence qui", {}),
    ("noah", "signaler", {"description": "Un échange qui dérape dans entraide"}),
    # intervisions
    ("noah", "intervision liste", {}),
    # jobs
    ("noah", "offre liste", {}),
    # resources
    ("lea", "ressource chercher", {"requete": "rétablissement"}),
    # charter
    ("lea", "charte voir", {"article": "confidentialite"}),
    ("sami", "charte tester", {"texte": "Tu es vraiment rétabli ?"}),
    ("lea", "urgence", {}),
]


class Counter:
    """Counts messages seen by a client and wakes the bench when all have arrived."""

    def __init__(self, target: int) -> None:
        self.seen, self.target, self.done = 0, target, asyncio.Event()

    def hit(self) -> None:
        self.seen += 1
        if self.seen >= self.target:
            self.done.set()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# The charter's flood rule reminds whoever writes 7 messages within 10 s: the stream spreads its
# messages over enough members to stay ordinary chat, so both sides handle the same plain messages.
MESSAGES_PER_AUTHOR = 6


def crowd(double: DiscordDouble, messages: int) -> list[str]:
    """Members who will write the stream, already in the guild when the client connects (as in a
    server that has them): no join event, so no welcome work mixed into the measurement."""
    names = [f"membre{i}" for i in range(-(-messages // MESSAGES_PER_AUTHOR))]
    world, guild = double.driver.world, double.guild
    for name in names:
        uid = world.next_id()
        world.users[uid] = User(id=uid, username=name, global_name=name, short_name=name)
        double.index.members[name] = uid
        guild.members[uid] = Member(user_id=uid, joined_at=iso())
    return names


class Rates(NamedTuple):
    """Messages per second of wall-clock time, and per second of this process's CPU time (all its
    threads: the double, the client, the database). On a shared machine the CPU figure is the
    steadier one: other people's work does not count in it."""

    wall: float
    cpu: float


async def inject(double: DiscordDouble, authors: list[str], count: int, counter: Counter) -> Rates:
    """Send ``count`` member messages through the double; the rates at which the client saw them
    all and every listener of them finished."""
    driver = double.driver
    started, cpu_started = time.perf_counter(), time.process_time()
    for i in range(count):
        await driver.send_message(
            authors[i % len(authors)],
            "accueil",
            f"Bonjour à toutes et à tous, message {i} sur le rétablissement",
        )
    await asyncio.wait_for(counter.done.wait(), 120)
    await asyncio.wait_for(listeners_settled(), 120)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return Rates(count / wall, count / max(cpu, 1e-9))


def running(event: str) -> list[asyncio.Task]:
    me, name = asyncio.current_task(), f"discord.py: {event}"
    return [t for t in asyncio.all_tasks() if t is not me and t.get_name() == name]


async def listeners_settled(event: str = "on_message") -> None:
    """Every listener of those events has returned, not only the counter (automod, …)."""
    while pending := running(event):
        await asyncio.wait(pending)


async def bare_client_rate(count: int) -> Rates:
    double = DiscordDouble()
    await double.start()
    authors = crowd(double, count)
    undo = double.patch_discord()
    intents = discord.Intents.none()
    intents.guilds = intents.members = intents.guild_messages = intents.message_content = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.1)
    counter = Counter(count)

    @client.event
    async def on_message(message: discord.Message) -> None:
        counter.hit()

    await client.login(double.token)
    runner = asyncio.create_task(client.connect())
    await client.wait_until_ready()
    try:
        rates = await inject(double, authors, count, counter)
    finally:
        await client.close()
        await asyncio.gather(runner, return_exceptions=True)
        undo()
        await double.stop()
    return rates


async def full_bot_rate(count: int, scratch: Path) -> Rates:
    async with running_sandbox(scratch / "rate.db", environ={}, start=False) as sandbox:
        authors = crowd(sandbox.double, count)
        await sandbox.start_bot()
        counter = Counter(count)

        async def on_message(message: discord.Message) -> None:
            counter.hit()

        sandbox.bot.add_listener(on_message)
        return await inject(sandbox.double, authors, count, counter)


async def round_trips(driver, member: str, path: str, options: dict, n: int) -> list[float]:
    timings = []
    for _ in range(n):
        started = time.perf_counter()
        result = await driver.slash(member, path, **options)
        await result.wait(timeout=10)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def bare_slash(n: int) -> list[float]:
    double = DiscordDouble()
    await double.start()
    undo = double.patch_discord()
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.1)
    tree = app_commands.CommandTree(client)

    @tree.command(name="vide", description="rien")
    async def empty(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    await client.login(double.token)
    runner = asyncio.create_task(client.connect())
    await client.wait_until_ready()
    await tree.sync()
    try:
        return await round_trips(double.driver, "lea", "vide", {}, n)
    finally:
        await client.close()
        await asyncio.gather(runner, return_exceptions=True)
        undo()
        await double.stop()


async def startup(scratch: Path) -> tuple[float, float]:
    db = scratch / "startup.db"
    started = time.perf_counter()
    async with running_sandbox(db, environ={}) as sandbox:
        first = time.perf_counter() - started
        assert sandbox.double.command_syncs == 1
        await sandbox.stop_bot()
        started = time.perf_counter()
        await sandbox.start_bot()
        second = time.perf_counter() - started
        assert sandbox.double.command_syncs == 1, "second start must not sync"
    return first, second


GOAL_THROUGHPUT = 0.80
GOAL_AIDE_P99 = 2.0
SIZE = {"quick": (300, 3, 30), "full": (2000, 5, 300)}  # messages, rounds, calls per command


async def throughput(
    messages: int, rounds: int, scratch: Path, echo=lambda line: None
) -> tuple[Rates, Rates]:
    """Best rates of each side over ``rounds`` alternating rounds (bare first, then full first…)."""
    bare_rates: list[Rates] = []
    full_rates: list[Rates] = []
    for attempt in range(rounds):
        order = ("bare", "full") if attempt % 2 == 0 else ("full", "bare")
        for side in order:
            gc.collect()
            if side == "bare":
                bare_rates.append(await bare_client_rate(messages))
            else:
                full_rates.append(await full_bot_rate(messages, scratch / f"rate{attempt}"))
        echo(
            f"    round {attempt + 1}: bare {bare_rates[-1].wall:7.0f} (CPU {bare_rates[-1].cpu:7.0f})"
            f"  full {full_rates[-1].wall:7.0f} (CPU {full_rates[-1].cpu:7.0f}) messages/s"
        )

    def best(rates: list[Rates]) -> Rates:
        return Rates(max(r.wall for r in rates), max(r.cpu for r in rates))

    return best(bare_rates), best(full_rates)


async def collect(size: str, echo=lambda line: None) -> dict:
    messages, rounds, calls = SIZE[size]
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        echo(f"(a) MESSAGE_CREATE throughput, {messages} messages, best of {rounds} alternating rounds")
        bare, full = await throughput(messages, rounds, scratch, echo)
        bare_times = await bare_slash(calls)
        commands: dict[str, list[float]] = {}
        async with running_sandbox(scratch / "slash.db", environ={}) as sandbox:
            for member, path, options in COMMANDS:
                commands[path] = await round_trips(sandbox.driver, member, path, options, calls)
        with_sync, without_sync = await startup(scratch)
    return {
        "messages": messages,
        "calls": calls,
        "bare_rate": bare,
        "full_rate": full,
        "bare_times": bare_times,
        "commands": commands,
        "with_sync": with_sync,
        "without_sync": without_sync,
    }


def measure(size: str = "full") -> list:
    """The runner's rows."""
    from bench import figure

    r = asyncio.run(collect(size))
    bare_p99 = percentile(r["bare_times"], 0.99)
    rows = [
        figure(
            "e2e",
            f"full bot MESSAGE_CREATE throughput per CPU second, {r['messages']:,} messages"
            " (baseline: bare client)",
            r["full_rate"].cpu,
            "msg/s",
            baseline=r["bare_rate"].cpu,
            goal=("≥", GOAL_THROUGHPUT),
        ),
        figure(
            "e2e",
            "same, per wall-clock second (noisy on a shared machine)",
            r["full_rate"].wall,
            "msg/s",
            baseline=r["bare_rate"].wall,
        ),
    ]
    for path, times in r["commands"].items():
        rows.append(
            figure(
                "e2e",
                f"/{path} round trip p99, {r['calls']} calls (baseline: bare bot)",
                percentile(times, 0.99),
                "ms",
                baseline=bare_p99,
                goal=("≤", GOAL_AIDE_P99) if path == "aide" else None,
            )
        )
    rows.append(figure("e2e", "start-up to READY, first start (command sync)", r["with_sync"], "s"))
    rows.append(figure("e2e", "start-up to READY, next start (no sync)", r["without_sync"], "s"))
    return rows


async def main(quick: bool) -> None:
    r = await collect("quick" if quick else "full", echo=print)
    bare, full = r["bare_rate"], r["full_rate"]
    ratio = full.cpu / bare.cpu
    print(f"    bare discord.Client : {bare.wall:8.0f} messages/s, {bare.cpu:8.0f} per CPU second")
    print(f"    full Relais bot     : {full.wall:8.0f} messages/s, {full.cpu:8.0f} per CPU second")
    verdict = "PASS" if ratio >= GOAL_THROUGHPUT else "MISS"
    print(
        f"    ratio per CPU second {ratio:.2f} (goal ≥ {GOAL_THROUGHPUT:.2f}) {verdict};"
        f" per wall-clock second {full.wall / bare.wall:.2f}"
    )

    bare_times = r["bare_times"]
    print(f"(b) slash-command round trip, {r['calls']} calls each (ms)")
    print(
        f"    bare /vide          : p50 {percentile(bare_times, 0.5):6.2f}  p99 "
        f"{percentile(bare_times, 0.99):6.2f}"
    )
    for path, times in r["commands"].items():
        line = f"    /{path:<18}: p50 {percentile(times, 0.5):6.2f}  p99 {percentile(times, 0.99):6.2f}"
        if path == "aide":
            aide_ratio = percentile(times, 0.99) / percentile(bare_times, 0.99)
            verdict = "PASS" if aide_ratio <= GOAL_AIDE_P99 else "MISS"
            line += f"   p99 ratio to bare {aide_ratio:.2f} (goal ≤ {GOAL_AIDE_P99:g}) {verdict}"
        print(line)

    print("(c) start-up to READY (s)")
    print(f"    first start, with command sync : {r['with_sync']:.2f}")
    print(f"    second start, no sync          : {r['without_sync']:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(parser.parse_args().quick))
