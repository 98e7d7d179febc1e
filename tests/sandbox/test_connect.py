from __future__ import annotations

import discord
import pytest

from bot.sandbox import DiscordDouble


async def test_login_ready_and_guild_cache(double: DiscordDouble, run_client, make_bot) -> None:
    bot = await run_client(make_bot())
    assert bot.user is not None and bot.user.id == double.application_id
    assert bot.application_id == double.application_id
    guild = bot.get_guild(double.guild.id)
    assert guild is not None and guild.name == "Relais — bac à sable"
    assert guild.chunked
    assert {c.name for c in guild.text_channels} >= {
        "accueil",
        "charte",
        "ressources",
        "offres-emploi",
        "intervisions",
        "mod-log",
        "signalements",
    }
    assert [c.name for c in guild.voice_channels] == ["Salon vocal"]
    assert len(guild.categories) == 1
    assert [r.name for r in sorted(guild.roles)][:4] == ["@everyone", "Membre", "Pair-aidant", "Modération"]
    assert guild.me.top_role.name == "Relais" and guild.me.top_role.is_bot_managed()
    names = {m.display_name for m in guild.members}
    assert names >= {"Camille", "Sami", "Inès", "Noah", "Léa"}
    assert guild.owner is not None and guild.owner.display_name == "Camille"
    sami = guild.get_member(double.driver.user_id("sami"))
    assert sami is not None and sami.guild_permissions.moderate_members
    mod_log = discord.utils.get(guild.text_channels, name="mod-log")
    assert not mod_log.permissions_for(guild.get_member(double.driver.user_id("lea"))).view_channel
    assert mod_log.permissions_for(guild.me).send_messages
    assert double.gateway.identify_count == 1


async def test_wrong_token_is_login_failure(double: DiscordDouble) -> None:
    client = discord.Client(intents=discord.Intents.default())
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()


async def test_without_members_intent_only_bot_member_is_sent(
    double: DiscordDouble, run_client, make_bot
) -> None:
    intents = discord.Intents.default()  # no members / presences / message_content
    bot = await run_client(make_bot(intents=intents))
    guild = bot.get_guild(double.guild.id)
    assert [m.id for m in guild.members] == [double.application_id]


async def test_unknown_route_is_recorded(double: DiscordDouble, run_client, make_bot) -> None:
    bot = await run_client(make_bot())
    with pytest.raises(discord.NotFound) as info:
        await bot.http.request(discord.http.Route("GET", "/does/not/exist"))
    assert info.value.code == 0
    assert ("GET", "/does/not/exist") in double.unknown_routes
