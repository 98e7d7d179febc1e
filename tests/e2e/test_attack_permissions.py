"""Every privileged command and button, tried by people who may not use it.

One table: who tries what. A refusal must be a private answer, and nothing may change: no row in
any table, no public message, no DM, no role, no ban. Buttons are also tried with ids forged for
another server or another object. The allowed case of each is covered by its area's tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.sandbox.double.state import Message
from tests.e2e.test_intervisions import plan
from tests.e2e.test_jobs import LONG_FIELDS, future_date, queue_cards

TABLES = [
    "mod_cases",
    "mod_reports",
    "mod_recusals",
    "mod_duty_rotas",
    "guild_channels",
    "guild_roles",
    "guild_settings",
    "intervision_sessions",
    "intervision_topics",
    "resources",
    "job_offers",
    "charter_publications",
    "charter_acceptances",
]


def inject_button(sandbox, custom_id: str) -> Message:
    world = sandbox.double.world
    message = Message(
        id=world.next_id(),
        channel_id=sandbox.driver.channel("entraide").id,
        author_id=world.bot_user_id,
        guild_id=sandbox.guild_id,
        content="carte",
        components=[
            {"type": 1, "components": [{"type": 2, "style": 1, "label": "x", "custom_id": custom_id}]}
        ],
    )
    world.messages[message.id] = message
    return message


@dataclass
class Attempt:
    who: str
    command: str
    options: dict[str, Any] = field(default_factory=dict)


async def _state(sandbox) -> dict[str, Any]:
    db, driver = sandbox.bot.db, sandbox.driver
    counts = {t: await db.fetchval(f"SELECT COUNT(*) FROM {t}") for t in TABLES}
    counts["sessions_state"] = [
        tuple(r)
        for r in await db.fetchall(
            "SELECT id, starts_at, capacity, status FROM intervision_sessions ORDER BY id"
        )
    ]
    counts["resources_state"] = [
        tuple(r) for r in await db.fetchall("SELECT id, title, removed_at FROM resources ORDER BY id")
    ]
    counts["offers_state"] = [
        tuple(r) for r in await db.fetchall("SELECT id, status FROM job_offers ORDER BY id")
    ]
    counts["reports_state"] = [
        tuple(r) for r in await db.fetchall("SELECT id, status FROM mod_reports ORDER BY id")
    ]
    counts["public"] = sum(
        len([m for m in driver.bot_messages(c) if m.content != "carte"]) for c in driver.d.index.channels
    )
    counts["dms"] = sum(len(driver.dms(m)) for m in ("ines", "noah", "lea", "camille"))
    counts["roles"] = {m: sorted(driver.role_names(m)) for m in ("ines", "noah", "lea")}
    counts["bans"] = dict(driver.bans())
    counts["timeouts"] = [m for m in ("ines", "noah", "lea") if driver.is_timed_out(m)]
    return counts


@pytest.fixture
async def world(sandbox):
    """A session planned by a moderator, a resource and an offer by Inès, a report card."""
    driver = sandbox.driver
    session = await plan(sandbox, titre="Intervision d'avril", date="2099-04-15 14:00")
    await (
        await driver.slash("ines", "ressource partager", url="https://example.org/guide", titre="Guide")
    ).wait()
    opened = await (
        await driver.slash(
            "ines",
            "offre publier",
            intitule="Pair-aidant·e",
            employeur="ASBL",
            region="Bruxelles",
            contrat="CDD",
            date_limite=future_date(),
        )
    ).wait()
    await (await driver.submit_modal("ines", opened, LONG_FIELDS)).wait()
    offending = await driver.send_message("lea", "ressources", "Achetez mes compléments miracle !")
    report = await (await driver.message_context("noah", "Signaler à la modération", offending)).wait()
    await (await driver.submit_modal("noah", report, {"what": "Publicité"})).wait_followup()
    await (await driver.slash("ines", "intervision sujet proposer", texte="La juste distance")).wait()
    await asyncio.sleep(0.3)
    return sandbox, session


def commands_table(session_id: int) -> list[Attempt]:
    mod = [
        Attempt("noah", "mod avertir", {"membre": "lea", "article": "bienveillance", "raison": "x"}),
        Attempt(
            "noah",
            "mod suspendre",
            {"membre": "lea", "duree": "1h", "article": "bienveillance", "raison": "x"},
        ),
        Attempt("noah", "mod expulser", {"membre": "lea", "article": "bienveillance", "raison": "x"}),
        Attempt("noah", "mod bannir", {"membre": "lea", "article": "bienveillance", "raison": "x"}),
        Attempt("noah", "mod debannir", {"utilisateur": "lea", "raison": "x"}),
        Attempt("noah", "mod lever", {"cas": 1, "raison": "x"}),
        Attempt("noah", "mod dossier", {"membre": "lea"}),
        Attempt("noah", "mod note", {"membre": "lea", "texte": "x"}),
        Attempt("noah", "mod recusation", {"membre": "lea"}),
        Attempt("lea", "mod avertir", {"membre": "noah", "article": "bienveillance", "raison": "x"}),
    ]
    admin = [
        Attempt("sami", "config salon", {"usage": "modlog", "salon": "entraide"}),
        Attempt("sami", "config role", {"usage": "moderation", "role": "pair-aidant"}),
        Attempt("noah", "config fuseau", {"fuseau": "Europe/Paris"}),
        Attempt("noah", "config langue", {"langue": "en"}),
        Attempt("noah", "charte publier"),
        Attempt("noah", "permanence planifier", {"moderateurs": "<@1>", "periode": "1 sem"}),
    ]
    sessions = [
        Attempt("noah", "intervision planifier", {"titre": "x", "date": "2099-05-05 14:00"}),
        Attempt("noah", "intervision serie", {"titre": "x", "dates": "3/12, 14/01 de 14h à 16h"}),
        Attempt("noah", "intervision deplacer", {"id": session_id, "date": "2099-04-16 14:00"}),
        Attempt("noah", "intervision annuler", {"id": session_id, "raison": "x"}),
        Attempt("noah", "intervision places", {"id": session_id, "places": 2}),
        Attempt("noah", "intervision participants", {"id": session_id}),
        Attempt("noah", "intervision sujet retenir", {"id": 1, "session": session_id}),
    ]
    owned = [
        Attempt("noah", "ressource retirer", {"id": 1}),
        Attempt("noah", "ressource modifier", {"id": 1}),
        Attempt("noah", "offre retirer", {"id": 1}),
        Attempt("noah", "offre pourvue", {"id": 1}),
        Attempt("noah", "offre modifier", {"id": 1, "intitule": "Autre"}),
    ]
    return mod + admin + sessions + owned


async def test_privileged_commands_refuse_everyone_else_and_change_nothing(world):
    sandbox, session = world
    driver = sandbox.driver
    for attempt in commands_table(session.id):
        before = await _state(sandbox)
        result = await (await driver.slash(attempt.who, attempt.command, **attempt.options)).wait_done(
            timeout=10
        )
        await asyncio.sleep(0.05)
        assert result.ephemeral, attempt
        assert result.modal is None, attempt  # no form opened for someone who may not use it
        assert await _state(sandbox) == before, attempt


async def test_privileged_buttons_refuse_everyone_else_and_forged_ids_change_nothing(world):
    sandbox, _session = world
    driver = sandbox.driver
    report_card = [m for m in driver.bot_messages("signalements") if m.embeds][0]
    report_id = int(report_card.embeds[0]["title"].split("n°")[1])
    offer_card = queue_cards(driver)[0]
    topic_card = [
        m
        for m in driver.bot_messages("intervisions")
        if any(
            c.get("custom_id", "").startswith("relais:intervisions:vote:")
            for row in m.components
            for c in row.get("components", [])
        )
    ][0]
    attempts = [
        (who, report_card, f"relais:moderation:report:{action}:{report_id}")
        for who in ("noah", "lea")
        for action in ("claim", "dismiss", "delete", "warn")
    ]
    attempts += [
        (who, offer_card, f"relais:jobs:{action}:1")
        for who in ("noah", "ines")
        for action in ("publish", "refuse", "edit")
    ]
    forged = [
        ("sami", report_card, f"relais:moderation:report:delete:{report_id + 1000}"),  # another object
        ("noah", topic_card, "relais:intervisions:vote:999999"),
        ("lea", report_card, "relais:charter:accept:42"),  # another server
        ("sami", offer_card, "relais:jobs:publish:424242"),
    ]
    for who, _card, custom_id in attempts + forged:
        # The same button on a message this person can see (a card posted where it should not be,
        # or a hand-made interaction): the handler must check who clicks, not who could see it.
        message = inject_button(sandbox, custom_id)
        before = await _state(sandbox)
        result = await (await driver.click(who, message.id, custom_id)).wait(timeout=10)
        await asyncio.sleep(0.05)
        assert result.ephemeral, (who, custom_id)
        assert result.modal is None, (who, custom_id)
        assert await _state(sandbox) == before, (who, custom_id)
