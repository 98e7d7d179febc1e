"""Drill 2: gateway faults while members are active, on a real `relais run` process.

20 resumable drops (close 4000), 5 non-resumable ones (4009: the session is gone, re-IDENTIFY),
op 7 RECONNECT, op 9 INVALID_SESSION (resumable and not), and events delivered twice (the same
interaction id, the same message, the same member joining): no command is lost and no side
effect is duplicated (no double booking, post, DM or sanction).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.sandbox.double import DiscordDouble, InteractionResult
from tests.reliability.drill_support import (
    FULL,
    STORM_ENV,
    answer_text,
    assert_no_traceback,
    configure_guild,
    consistency_problems,
    drill_rng,
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

RESUMABLE_DROPS = 40 if FULL else 20
FRESH_DROPS = 5
KINDS = ("book", "share", "report", "job", "vote")
JOB_FIELDS = {
    "missions": "Co-animer un groupe d'entraide.",
    "profile": "Savoir expérientiel du rétablissement.",
    "working_time": "Mi-temps",
    "pay_status": "Barème CP 332",
    "how_to_apply": "CV par e-mail",
}
WORDS = (
    "ardoise baleine cactus dauphin érable fougère girafe hibou iris jasmin koala lavande mimosa"
    " narcisse orchidée pivoine quartz roseau saule tilleul verveine wapiti yucca zinnia"
).split()
SUCCESS = {
    "book": ("réservée", "liste d'attente"),
    "share": ("n°",),
    "vote": ("au total",),
    "report": ("transmis",),
    "job": ("n°",),
}


def interaction_event(result: InteractionResult):
    return lambda data: data.get("id") == str(result.record.id)


async def perform(double: DiscordDouble, kind: str, member: str, n: int, targets: dict) -> InteractionResult:
    driver = double.driver
    if kind == "book":
        return await driver.click(member, targets["post"], f"relais:intervisions:book:{targets['session']}")
    if kind == "share":
        return await driver.slash(
            member, "ressource partager", url=f"https://exemple.org/g/{n}", titre=f"Lien {n}"
        )
    if kind == "vote":
        return await driver.click(member, targets["card"], f"relais:resources:useful:{targets['resource']}")
    if kind == "report":
        opened = await (await driver.slash(member, "signaler", description=f"Signalement {n}")).wait(
            timeout=15
        )
        return await fill_in_modal(double, member, opened, {}, typing=0.3)
    opened = await (
        await driver.slash(
            member,
            "offre publier",
            contrat="CDD",
            intitule=f"Pair-aidant {WORDS[n % len(WORDS)]} {n}",
            employeur=f"ASBL {WORDS[(n * 7) % len(WORDS)]} {n}",
            date_limite=(dt.date.today() + dt.timedelta(days=20)).strftime("%d/%m/%Y"),
            region="Bruxelles",
        )
    ).wait(timeout=15)
    return await fill_in_modal(double, member, opened, JOB_FIELDS, typing=0.3)


async def answered(result: InteractionResult, kind: str) -> str:
    if kind in ("vote", "report"):
        await result.wait_followup(timeout=15)
    else:
        await result.wait(timeout=15)
    text = answer_text(result) or ""
    assert any(word in text for word in SUCCESS[kind]), f"{kind}: {text!r}"
    return text


async def fault(double: DiscordDouble, name: str) -> None:
    if name == "resume":
        await double.gateway.drop(resumable=True, how="close")
    elif name == "fresh":
        await double.gateway.drop(resumable=False, how="close")
    elif name == "reconnect":
        await double.gateway.drop(resumable=True, how="reconnect")
    elif name == "invalid-resumable":
        await double.gateway.drop(resumable=True, how="invalid")
    else:
        await double.gateway.drop(resumable=False, how="invalid")


def count(db_path, sql: str, *params) -> int:
    with read_only(db_path) as conn:
        return conn.execute(sql, params).fetchone()[0]


async def test_gateway_faults_lose_no_command_and_duplicate_no_side_effect(tmp_path):
    rng = drill_rng("drill 2 (gateway faults)")
    db_path = tmp_path / "relais.db"
    members = storm_member_keys(20)
    env = STORM_ENV | {"RELAIS_MODERATION__WELCOME_NEWCOMERS": "true"}
    async with DiscordDouble(seed_with_members(20)) as double:
        driver = double.driver
        await configure_guild(double, db_path)
        process = await start_relais(double, db_path, "--no-supervisor", extra_env=env)
        await wait_connected(double, identified=1, process=process)

        planned = await (
            await driver.slash(
                "sami", "intervision planifier", titre="Séance", date="2099-12-03 14:00", places=40
            )
        ).wait_done(timeout=20)
        assert "planifiée" in (answer_text(planned) or "")
        with read_only(db_path) as conn:
            session_id = conn.execute("SELECT id FROM intervision_sessions").fetchone()[0]
        post = (await wait_until(lambda: [m for m in driver.bot_messages("intervisions") if m.embeds]))[-1]
        shared = await (
            await driver.slash("ines", "ressource partager", url="https://exemple.org/v", titre="V")
        ).wait(15)
        assert "n°" in (answer_text(shared) or "")
        card = (await wait_until(lambda: [m for m in driver.bot_messages("ressources") if m.embeds]))[-1]
        with read_only(db_path) as conn:
            resource_id = conn.execute("SELECT id FROM resources").fetchone()[0]
        targets = {"post": post, "session": session_id, "card": card, "resource": resource_id}

        faults = ["resume"] * RESUMABLE_DROPS + ["fresh"] * FRESH_DROPS
        faults += ["reconnect", "invalid-resumable", "invalid-fresh"]
        rng.shuffle(faults)
        done: list[tuple[str, str, InteractionResult]] = []
        duplicates = 0
        # Each member books, shares, votes, reports and submits once; the faults fall in between.
        plan = [(kind, member) for member in members for kind in KINDS]
        rng.shuffle(plan)
        per_fault = max(1, len(plan) // len(faults))
        for n, (kind, member) in enumerate(plan):
            # After a non-resumable fault Discord has no session to deliver to until the bot identifies
            # again (discord.py waits 5 s first); during a resumable one it keeps the events for the RESUME.
            await wait_until(lambda: double.sessions, 30, "a gateway session")
            result = await perform(double, kind, member, n, targets)
            if n % per_fault == 0 and n // per_fault < len(faults):
                # The fault falls while the interaction is in flight (delivered, not yet answered).
                await fault(double, faults[n // per_fault])
            duplicate_now = rng.random() < 0.3
            if duplicate_now:
                duplicates += await double.gateway.redeliver("INTERACTION_CREATE", interaction_event(result))
            await answered(result, kind)
            if not duplicate_now:
                duplicates += await double.gateway.redeliver("INTERACTION_CREATE", interaction_event(result))
            done.append((kind, member, result))

        # Sanctions: a warning dispatched, the connection dropped, the same interaction delivered again.
        warned = members[:3]
        for member in warned:
            await wait_until(lambda: double.sessions, 30, "a gateway session")
            warn = await driver.slash(
                "sami", "mod avertir", membre=member, article="bienveillance", raison="Propos blessants"
            )
            await fault(double, "resume")
            duplicates += await double.gateway.redeliver("INTERACTION_CREATE", interaction_event(warn))
            assert "cas n°" in (await warn.wait_followup(timeout=15)).content
            assert len(warn.callbacks) == 1 and len(warn.record.followup_ids) == 1

        # A message and a newcomer's arrival delivered twice.
        alerts_before = len(driver.bot_messages("signalements"))
        spam = await driver.send_message("noah", "accueil", "Investis en crypto, rendement garanti")
        await wait_until(
            lambda: len(driver.bot_messages("signalements")) > alerts_before, 20, "automod alert"
        )
        await fault(double, "resume")
        await wait_until(lambda: double.sessions, 30, "a gateway session")
        duplicates += await double.gateway.redeliver("MESSAGE_CREATE", lambda d: d["id"] == str(spam.id))
        await driver.member_join("zoe")
        await wait_until(lambda: driver.dms("zoe"), 20, "welcome DM")
        duplicates += await double.gateway.redeliver(
            "GUILD_MEMBER_ADD", lambda d: d["user"]["username"] == "zoe"
        )
        await quiet(double, 1.0)

        print(
            f"drill 2: {len(done)} interactions, {duplicates} duplicate deliveries, "
            f"{double.gateway.resume_count} resumes, {double.gateway.identify_count} identifies"
        )
        assert double.gateway.identify_count >= 1 + FRESH_DROPS + 1
        assert double.gateway.resume_count >= RESUMABLE_DROPS
        assert duplicates >= len(done) // 2, "the duplicates must reach the bot to prove anything"

        # Nothing answered twice: one callback per interaction, and a followup only where one is expected.
        for kind, member, result in done:
            assert len(result.callbacks) == 1, (kind, member, result.callbacks)
            assert len(result.record.followup_ids) == (1 if kind in ("vote", "report") else 0), (kind, member)
        # Nothing written twice.
        with read_only(db_path) as conn:
            assert consistency_problems(conn) == []
        for kind, member, _ in done:
            uid = driver.user_id(member)
            rows = {
                "book": ("SELECT COUNT(*) FROM intervision_bookings WHERE user_id = ?", uid),
                "share": ("SELECT COUNT(*) FROM resources WHERE shared_by = ?", uid),
                "vote": ("SELECT COUNT(*) FROM resource_votes WHERE user_id = ?", uid),
                "report": ("SELECT COUNT(*) FROM mod_report_entries WHERE reporter_id = ?", uid),
                "job": ("SELECT COUNT(*) FROM job_offers WHERE submitter_id = ?", uid),
            }[kind]
            assert count(db_path, *rows) == 1, (kind, member)
        # Nothing posted twice: one card per report and per offer, one announcement per resource.
        report_cards = [
            int(m.embeds[0]["title"].split("n°")[1])
            for m in driver.bot_messages("signalements")
            if m.embeds and (m.content or "").startswith("Nouveau signalement")
        ]
        with read_only(db_path) as conn:
            reports = [row[0] for row in conn.execute("SELECT id FROM mod_reports ORDER BY id")]
        assert sorted(report_cards) == reports and len(reports) == len(members)
        assert len(driver.bot_messages("signalements")) == alerts_before + 1, "the automod alert, once"
        offers = count(db_path, "SELECT COUNT(*) FROM job_offers")
        queue_cards = [m for m in driver.bot_messages("mod-log") if m.embeds and m.components]
        assert len(queue_cards) == offers == len(members)
        urls = [m.embeds[0].get("url") for m in driver.bot_messages("ressources") if m.embeds]
        assert len(urls) == len(set(urls)) == len(members) + 1
        # No DM and no sanction twice.
        for member in warned:
            uid = driver.user_id(member)
            assert count(db_path, "SELECT COUNT(*) FROM mod_cases WHERE member_id = ?", uid) == 1, member
            assert len([m for m in driver.dms(member) if "Propos blessants" in (m.content or "")]) == 1, (
                member
            )
        assert len(driver.dms("zoe")) == 1
        assert (
            count(db_path, "SELECT COUNT(*) FROM mod_cases WHERE member_id = ?", driver.user_id("noah")) <= 1
        )
        assert count(db_path, "SELECT COUNT(*) FROM automod_actions WHERE message_id = ?", spam.id) == 1
        alerts = [m for m in driver.bot_messages("signalements") if str(spam.id) in json.dumps(m.embeds)]
        assert len(alerts) <= 1

        output = await stop(process)
        assert_no_traceback(output)
