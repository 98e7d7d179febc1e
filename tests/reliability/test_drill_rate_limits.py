"""Drill 3: Discord answers 429 (per route and global) on message sends, DM channels and interaction
followups during a burst of announcements and alerts, on a real `relais run` process.

Each message is delivered once, the charter's multi-message publication stays in order, and slash
commands keep getting their answer within Discord's 3-second window meanwhile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time

import pytest

from bot.sandbox.double import DiscordDouble
from tests.reliability.drill_support import (
    FULL,
    STORM_ENV,
    answer_text,
    assert_no_traceback,
    configure_guild,
    fill_in_modal,
    quiet,
    read_only,
    relais_processes,  # noqa: F401  (the fixture, by name)
    seed_with_members,
    start_relais,
    stop,
    storm_member_keys,
    wait_connected,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("relais_processes")

SUBSCRIBERS = 12
OFFERS = 6 if FULL else 3
JOB_FIELDS = {
    "missions": "Co-animer un groupe d'entraide.",
    "profile": "Savoir expérientiel du rétablissement.",
    "working_time": "Mi-temps",
    "pay_status": "Barème CP 332",
    "how_to_apply": "CV par e-mail",
}
TITLES = ["Pair-aidant en équipe mobile", "Travailleuse paire en psychiatrie", "Médiateur de santé pair"]
TITLES += ["Pair-aidante en addictologie", "Travailleur pair logement", "Pair-aidant maison médicale"]
EMPLOYERS = [
    "ASBL Horizon",
    "Clinique du Parc",
    "Réseau Santé Mentale",
    "Projet Lama",
    "Housing First",
    "MM Nord",
]
# Discord's window to answer an interaction; the drill checks every answer came within it.
ANSWER_WINDOW = 3.0


async def timed_command(double: DiscordDouble, member: str, command: str, **options) -> float:
    started = time.monotonic()
    result = await double.driver.slash(member, command, **options)
    await result.wait(timeout=ANSWER_WINDOW + 2)
    elapsed = time.monotonic() - started
    assert answer_text(result), f"/{command}: {result.callbacks}"
    return elapsed


async def keep_asking(double: DiscordDouble, until: asyncio.Event, timings: list[float]) -> None:
    """Members using the bot while the burst is throttled: their commands must still be answered."""
    members = ("lea", "noah", "ines")
    n = 0
    while not until.is_set():
        timings.append(await timed_command(double, members[n % len(members)], "aide"))
        n += 1
        await asyncio.sleep(0.1)


async def test_429s_during_a_burst_deliver_each_message_once_and_commands_keep_answering(tmp_path):
    db_path = tmp_path / "relais.db"
    subscribers = storm_member_keys(SUBSCRIBERS)
    async with DiscordDouble(seed_with_members(SUBSCRIBERS)) as double:
        driver = double.driver
        await configure_guild(double, db_path)
        process = await start_relais(double, db_path, "--no-supervisor", extra_env=STORM_ENV)
        await wait_connected(double, identified=1, process=process)
        for member in subscribers:
            done = await (
                await driver.slash(member, "offre alertes", regions="Bruxelles", rythme="immediat")
            ).wait(10)
            assert "Bruxelles" in (answer_text(done) or ""), answer_text(done)

        # Per route on every message send (channels and DMs), global on opening DM channels, and on the
        # interaction followups (webhooks). Each rule answers 429 a few times, then lets requests pass.
        def messages_in(channel: str) -> str:
            return rf"^/channels/{driver.channel(channel).id}/messages$"

        # Discord answers 429 when a bucket is empty and lets the request through once the bot waited
        # `retry_after`: at most a few 429s in a row for one request (discord.py tries 5 times).
        rules = {
            # the charter's second page: in the middle of an ordered sequence
            "charter": double.rate_limit("POST", messages_in("charte"), times=2, retry_after=0.3, skip=1),
            "announcements": double.rate_limit(
                "POST", messages_in("offres-emploi"), times=2, retry_after=0.3
            ),
            "dm channels": double.rate_limit(
                "POST", r"^/users/@me/channels$", times=3, retry_after=0.2, global_=True
            ),
            # any other message: the alert DMs, spread over the burst
            "dms": double.rate_limit("POST", r"^/channels/\d+/messages$", times=3, retry_after=0.3, skip=8),
            "followups": double.rate_limit("POST", r"^/webhooks/\d+/[^/]+$", times=2, retry_after=0.3),
        }
        asking = asyncio.Event()
        timings: list[float] = []
        askers = asyncio.create_task(keep_asking(double, asking, timings))

        published = await (await driver.slash("camille", "charte publier")).wait(10)
        await published.wait_followup(timeout=30)
        assert published.followups[0].content and "charte" in published.followups[0].content.lower()
        for n in range(OFFERS):
            opened = await (
                await driver.slash(
                    "sami",
                    "offre publier",
                    contrat="CDD",
                    intitule=TITLES[n],
                    employeur=EMPLOYERS[n],
                    date_limite=(dt.date.today() + dt.timedelta(days=20)).strftime("%d/%m/%Y"),
                    region="Bruxelles",
                )
            ).wait(timeout=10)
            submitted = await (await fill_in_modal(double, "sami", opened, JOB_FIELDS, typing=0.3)).wait(10)
            assert "n°" in (answer_text(submitted) or ""), answer_text(submitted)

        def all_alerts_sent() -> bool:
            with read_only(db_path) as conn:
                pending = conn.execute("SELECT COUNT(*) FROM job_alerts WHERE state != 'sent'").fetchone()[0]
                sent = conn.execute("SELECT COUNT(*) FROM job_alerts WHERE state = 'sent'").fetchone()[0]
            return pending == 0 and sent == OFFERS * SUBSCRIBERS

        await wait_until(all_alerts_sent, 90, "every job alert sent")
        asking.set()
        await askers
        await quiet(double, 1.0)

        hits = {name: rule.hits for name, rule in rules.items()}
        print(f"drill 3: 429s answered {hits}; {len(timings)} commands, slowest answer {max(timings):.2f} s")

        assert all(rule.hits == rule.times for rule in rules.values()), hits
        assert len(published.record.followup_ids) == 1, "the charter's confirmation, once"
        assert timings and max(timings) < ANSWER_WINDOW, timings

        # Each offer announced once, each subscriber alerted once per offer.
        announced = [m.embeds[0]["title"] for m in driver.bot_messages("offres-emploi") if m.embeds]
        assert announced == TITLES[:OFFERS], "each offer announced once, in the order approved"
        for member in subscribers:
            alerts = [m.embeds[0]["title"] for m in driver.dms(member) if m.embeds]
            assert sorted(alerts) == sorted(TITLES[:OFFERS]), (member, alerts)
        # The charter in order, each page once: its articles numbered 1, 2, 3… across the pages as posted.
        charter = [m.embeds[0] for m in driver.bot_messages("charte") if m.embeds]
        footers = [embed["footer"]["text"] for embed in charter]
        numbers = [
            int(re.match(r"\D*(\d+)", f["name"]).group(1)) for embed in charter for f in embed["fields"]
        ]
        print(f"charter: {len(charter)} pages, articles {numbers}")
        assert len(charter) >= 3 and len(footers) == len(set(footers)), footers
        assert numbers == list(range(1, len(numbers) + 1)), numbers

        output = await stop(process)
        assert_no_traceback(output)
