"""The foundation end to end: login, command sync, /aide, /config, errors, restart, reconnect."""

from __future__ import annotations

from discord.ext import commands

from tests.helpers import checked_sandbox, eventually, fr


async def test_login_syncs_commands_once(sandbox):
    assert sandbox.double.command_syncs == 1
    names = {c.name for c in sandbox.driver.commands()}
    assert {"aide", "a-propos", "config"} <= names
    await sandbox.restart_bot()
    assert sandbox.double.command_syncs == 1, "an unchanged tree must not be synced again"


def listed(result) -> str:
    """What /aide shows: its title and every line of its sections."""
    return "\n".join(
        [e.get("title", "") for e in result.embeds]
        + [f["value"] for e in result.embeds for f in e.get("fields", [])]
    )


async def test_aide_lists_commands_for_the_caller(sandbox):
    member = await (await sandbox.driver.slash("lea", "aide")).wait()
    assert member.ephemeral
    assert "/aide" in listed(member) and "/config" not in listed(member)
    owner = await (await sandbox.driver.slash("camille", "aide")).wait()
    assert "/config salon" in listed(owner)


async def test_a_propos(sandbox):
    result = await (await sandbox.driver.slash("noah", "a-propos")).wait()
    assert result.ephemeral and "Relais" in result.content and "latence" in result.content


async def test_config_sets_channels_roles_and_timezone(unconfigured_sandbox):
    driver = unconfigured_sandbox.driver
    set_channel = await (
        await driver.slash("camille", "config salon", usage="ressources", salon="ressources")
    ).wait()
    assert set_channel.ephemeral and f"<#{driver.channel('ressources').id}>" in set_channel.content
    set_role = await (
        await driver.slash("camille", "config role", usage="pair_aidant", role="pair-aidant")
    ).wait()
    assert f"<@&{driver.role_id('pair-aidant')}>" in set_role.content
    set_zone = await (await driver.slash("camille", "config fuseau", fuseau="Europe/Paris")).wait()
    assert "Europe/Paris" in set_zone.content
    shown = await (await driver.slash("camille", "config voir")).wait()
    assert f"<#{driver.channel('ressources').id}>" in shown.content
    assert "Europe/Paris" in shown.content
    config = await unconfigured_sandbox.bot.guild_config(unconfigured_sandbox.guild_id)
    assert config.channel("ressources") == driver.channel("ressources").id
    assert config.role("pair_aidant") == driver.role_id("pair-aidant")


async def test_config_refuses_bad_values_and_stores_nothing(unconfigured_sandbox):
    driver, bot = unconfigured_sandbox.driver, unconfigured_sandbox.bot
    bad_zone = await (await driver.slash("camille", "config fuseau", fuseau="Europe/Bruxelles")).wait()
    assert bad_zone.ephemeral and "Europe/Brussels" in bad_zone.content
    above = await (await driver.slash("camille", "config role", usage="moderation", role="relais")).wait()
    assert above.ephemeral and ("au-dessus" in above.content or "automatiquement" in above.content)
    config = await bot.guild_config(unconfigured_sandbox.guild_id)
    assert config.timezone is None and config.role("moderation") is None


async def test_config_is_refused_to_members_without_manage_server(unconfigured_sandbox):
    driver = unconfigured_sandbox.driver
    result = await (await driver.slash("noah", "config fuseau", fuseau="Europe/Paris")).wait()
    assert result.ephemeral and "réservée" in result.content
    assert (await unconfigured_sandbox.bot.guild_config(unconfigured_sandbox.guild_id)).timezone is None


async def test_unexpected_error_gets_an_incident_id_in_reply_and_log(sandbox, caplog):
    bot = sandbox.bot

    @bot.tree.command(name="panne", description="test")
    async def broken(interaction):
        raise RuntimeError("database on fire")

    await bot.tree.sync()
    result = await (await sandbox.driver.slash("ines", "panne")).wait()
    assert result.ephemeral
    incident = result.content.split("`")[1]
    assert len(incident) == 8
    assert "Traceback" not in result.content and "database on fire" not in result.content
    logged = [r for r in caplog.records if incident in r.getMessage()]
    assert logged and logged[0].exc_info is not None or logged[0].exc_text
    assert f"user={sandbox.driver.user_id('ines')}" in logged[0].getMessage()


async def test_resumable_drop_during_activity_loses_and_duplicates_nothing(sandbox):
    seen: list[int] = []

    async def on_message(message):
        seen.append(message.id)

    sandbox.bot.add_listener(on_message)
    sent = [await sandbox.driver.send_message("ines", "accueil", f"avant {i}") for i in range(3)]
    await sandbox.double.drop_connections(resumable=True)
    sent += [await sandbox.driver.send_message("noah", "accueil", f"pendant {i}") for i in range(5)]
    await eventually(lambda: len(seen) >= len(sent))
    assert sorted(seen) == sorted(m.id for m in sent)


async def test_message_send_survives_429_and_is_delivered_once(sandbox):
    channel = sandbox.bot.get_channel(sandbox.driver.channel("accueil").id)
    sandbox.double.rate_limit("POST", r"/channels/\d+/messages", times=2, retry_after=0.2)
    await channel.send("Bonjour après une limite de débit")
    posted = [
        m for m in sandbox.driver.bot_messages("accueil") if m.content == "Bonjour après une limite de débit"
    ]
    assert len(posted) == 1
    statuses = [
        r.status for r in sandbox.driver.requests if r.method == "POST" and r.path.endswith("/messages")
    ]
    assert statuses.count(429) == 2


async def test_english_client_gets_english_replies_and_french_stays_default(sandbox):
    sandbox.driver.set_locale("noah", "en-US")
    english = await (await sandbox.driver.slash("noah", "aide")).wait()
    assert "What you can do" in listed(english) and "/help" in listed(english)
    french = await (await sandbox.driver.slash("ines", "aide")).wait()
    assert "Ce que vous pouvez faire" in listed(french)


async def test_sharded_bot_runs_on_the_double(tmp_path):
    async with checked_sandbox(tmp_path, environ={"RELAIS_DISCORD__SHARD_COUNT": "2"}) as sandbox:
        assert isinstance(sandbox.bot, commands.AutoShardedBot)
        assert sandbox.bot.shard_count == 2
        result = await (await sandbox.driver.slash("lea", "aide")).wait()
        assert "/aide" in listed(result)


async def test_config_langue_switches_public_messages_and_fallback_replies_to_english(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    driver.set_locale("lea", "de")  # a client language Relais does not speak: the server's language applies
    before = await (await driver.slash("lea", "aide")).wait()
    assert "Ce que vous pouvez faire" in listed(before)

    refused = await (await driver.slash("noah", "config langue", langue="English")).wait()
    assert refused.ephemeral and "réservée" in refused.content
    assert (await bot.guild_config(sandbox.guild_id)).locale is None

    switched = await (await driver.slash("camille", "config langue", langue="English")).wait()
    assert switched.ephemeral and switched.content == fr(
        "Langue des annonces : English."
    )  # Camille's client is French
    assert (await bot.guild_config(sandbox.guild_id)).locale == "en"
    shown = await (await driver.slash("camille", "config voir")).wait()
    assert fr("Langue des annonces : en") in shown.content

    english = await (await driver.slash("lea", "aide")).wait()
    assert "What you can do" in listed(english) and "/help" in listed(english)
    french = await (await driver.slash("ines", "aide")).wait()
    assert "Ce que vous pouvez faire" in listed(french), "a member's own language still wins"

    # Public messages follow the server's language; the sharer's private reply stays in hers.
    shared = await (
        await driver.slash("ines", "ressource partager", url="https://pat.support/", titre="PAT")
    ).wait()
    assert shared.content.startswith(fr("Merci !"))
    card = (await eventually(lambda: [m for m in driver.bot_messages("ressources") if m.embeds]))[-1]
    names = [f["name"] for f in card.embeds[0]["fields"]]
    assert names == ["Type", "Shared by"] and card.embeds[0]["footer"]["text"].startswith("Resource #1")
    assert [b.get("label") for row in card.components for b in row["components"]] == ["Useful · 0", "Report"]

    await sandbox.restart_bot()  # the choice is stored, not only remembered
    still = await (await driver.slash("lea", "aide")).wait()
    assert "What you can do" in listed(still)

    back = await (await driver.slash("camille", "config langue", langue="fr")).wait()
    assert back.content == fr("Langue des annonces : Français.")
    again = await (await driver.slash("lea", "aide")).wait()
    assert "Ce que vous pouvez faire" in listed(again)


async def test_config_salon_refuses_a_forum_for_what_is_not_a_card(sandbox):
    """A forum chosen as the mod-log made every mod-log post fail (Discord 50008); only resources
    and offers, which are cards, may live in a forum."""
    driver = sandbox.driver
    refused = await (await driver.slash("camille", "config salon", usage="modlog", salon="entraide")).wait()
    assert refused.ephemeral and "est un forum" in refused.content
    config = await sandbox.bot.guild_config(sandbox.guild_id)
    assert config.channel("modlog") != driver.channel("entraide").id
    accepted = await (
        await driver.slash("camille", "config salon", usage="ressources", salon="entraide")
    ).wait()
    assert "C'est noté" in accepted.content
