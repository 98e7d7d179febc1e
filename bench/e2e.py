"""End-to-end figures on the local Discord double (a script that prints figures, not a test).

    python bench/e2e.py            # full run
    python bench/e2e.py --quick    # smaller numbers, for a smoke run

(a) MESSAGE_CREATE throughput through the full bot (every cog loaded) vs a bare discord.Client
    that only counts messages, on the same event stream — goal: at least 80 % of the bare client.
    The clock stops when every ``on_message`` listener has finished (automod included), and the
    two sides alternate over several rounds, the best of each compared: this 2-core machine is
    shared, and the double runs in the same process as the client it serves.
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

import discord
from discord import app_commands

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sandbox.double import DiscordDouble
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


async def inject(double: DiscordDouble, count: int, counter: Counter) -> float:
    """Send ``count`` member messages through the double; seconds until the client saw them all."""
    driver = double.driver
    authors = ["ines", "noah", "lea"]
    started = time.perf_counter()
    for i in range(count):
        await driver.send_message(
            authors[i % 3], "accueil", f"Bonjour à toutes et à tous, message {i} sur le rétablissement"
        )
    await asyncio.wait_for(counter.done.wait(), 120)
    await asyncio.wait_for(listeners_settled(), 120)
    return time.perf_counter() - started


async def listeners_settled() -> None:
    """Every listener of those messages has returned, not only the counter (automod, …)."""
    me = asyncio.current_task()
    while pending := [
        t for t in asyncio.all_tasks() if t is not me and t.get_name() == "discord.py: on_message"
    ]:
        await asyncio.wait(pending)


async def bare_client_rate(count: int) -> float:
    double = DiscordDouble()
    await double.start()
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
        elapsed = await inject(double, count, counter)
    finally:
        await client.close()
        await asyncio.gather(runner, return_exceptions=True)
        undo()
        await double.stop()
    return count / elapsed


async def full_bot_rate(count: int, scratch: Path) -> float:
    async with running_sandbox(scratch / "rate.db", environ={}) as sandbox:
        counter = Counter(count)

        async def on_message(message: discord.Message) -> None:
            counter.hit()

        sandbox.bot.add_listener(on_message)
        return count / await inject(sandbox.double, count, counter)


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
) -> tuple[float, float]:
    """Best rate of each side over ``rounds`` alternating rounds (bare first, then full first…)."""
    bare_rates, full_rates = [], []
    for attempt in range(rounds):
        order = ("bare", "full") if attempt % 2 == 0 else ("full", "bare")
        for side in order:
            gc.collect()
            if side == "bare":
                bare_rates.append(await bare_client_rate(messages))
            else:
                full_rates.append(await full_bot_rate(messages, scratch / f"rate{attempt}"))
        echo(f"    round {attempt + 1}: bare {bare_rates[-1]:8.0f}  full {full_rates[-1]:8.0f} messages/s")
    return max(bare_rates), max(full_rates)


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
            f"full bot MESSAGE_CREATE throughput, {r['messages']:,} messages (baseline: bare client)",
            r["full_rate"],
            "msg/s",
            baseline=r["bare_rate"],
            goal=("≥", GOAL_THROUGHPUT),
        )
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
    ratio = full / bare
    print(f"    bare discord.Client : {bare:8.0f} messages/s")
    print(f"    full Relais bot     : {full:8.0f} messages/s")
    verdict = "PASS" if ratio >= GOAL_THROUGHPUT else "MISS"
    print(f"    ratio {ratio:.2f} (goal ≥ {GOAL_THROUGHPUT:.2f}) {verdict}")

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
