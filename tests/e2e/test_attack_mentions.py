"""Mentions typed by members never ping: @everyone, @here, a role and a member, written into every
command option, modal field and message the bot echoes. The double's request log must show no
request that would let Discord turn them into pings."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.e2e.test_intervisions import plan


def payload(sandbox) -> str:
    driver = sandbox.driver
    return f"@everyone @here <@&{driver.role_id('moderation')}> <@{driver.user_id('camille')}>"


def _bodies(record) -> list[dict[str, Any]]:
    """Message bodies in a request: a message, a webhook/followup, or an interaction callback's data."""
    body = record.json if isinstance(record.json, dict) else {}
    found = [body]
    if isinstance(body.get("data"), dict):
        found.append(body["data"])
    return found


def _allows_pings(body: dict[str, Any], role_id: int, user_id: int) -> bool:
    mentions = body.get("allowed_mentions")
    if mentions is None:
        return True  # Discord's default parses everything
    parse = set(mentions.get("parse") or [])
    return (
        bool(parse & {"everyone", "roles", "users"})
        or str(role_id) in map(str, mentions.get("roles") or [])
        or str(user_id) in map(str, mentions.get("users") or [])
    )


def assert_nothing_pinged(sandbox, text: str) -> int:
    driver = sandbox.driver
    role_id, user_id = driver.role_id("moderation"), driver.user_id("camille")
    echoed = 0
    for record in driver.requests:
        for body in _bodies(record):
            # Only ``content`` can ping: Discord never notifies mentions written inside embeds.
            carried = str(body.get("content") or "")
            if "@everyone" in carried or f"<@&{role_id}>" in carried:
                echoed += 1
                assert not _allows_pings(body, role_id, user_id), (record.method, record.path, body)
    return echoed


async def test_mentions_in_every_text_a_member_types_never_ping(sandbox):
    driver = sandbox.driver
    evil = payload(sandbox)
    # Options of slash commands that are echoed back (replies, cards, DMs).
    await (
        await driver.slash(
            "ines",
            "ressource partager",
            url="https://example.org/evil",
            titre=evil[:100],
            description=evil,
            themes="aide",
        )
    ).wait()
    session = await plan(sandbox, titre=evil[:100], date="2099-05-05 14:00", lieu=evil[:200])
    await (await driver.slash("ines", "intervision sujet proposer", texte=evil)).wait()
    await (await driver.slash("sami", "intervision annuler", id=session.id, raison=evil)).wait_done(
        timeout=10
    )
    await (
        await driver.slash("sami", "mod avertir", membre="noah", article="bienveillance", raison=evil)
    ).wait()
    await (await driver.slash("noah", "signaler", description=evil)).wait()
    await (await driver.slash("camille", "charte tester", texte=evil)).wait()
    # Modal fields.
    offending = await driver.send_message("lea", "ressources", evil)
    opened = await (await driver.message_context("noah", "Signaler à la modération", offending)).wait()
    await (await driver.submit_modal("noah", opened, {"what": evil})).wait_followup()
    # A message automod answers (the flood rule echoes nothing; the intrusive-question reminder quotes
    # the rule).
    await driver.send_message("lea", "entraide", f"{evil} quelle est ta pathologie ?")
    await asyncio.sleep(0.5)
    echoed = assert_nothing_pinged(sandbox, evil)
    assert echoed >= 3  # the payload really travelled back through the bot, in message content
