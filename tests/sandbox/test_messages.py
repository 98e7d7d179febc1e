from __future__ import annotations

import asyncio
import datetime as dt

import discord
import pytest

from bot.sandbox import DiscordDouble
from tests.helpers import eventually


async def test_message_round_trip(double: DiscordDouble, run_client, make_bot) -> None:
    bot = make_bot()
    seen: list[discord.Message] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message)
        if message.content == "ping":
            await message.reply("pong", mention_author=False)

    await run_client(bot)
    ping = await double.driver.send_message("ines", "accueil", "ping")
    await double.driver.wait_for_request("POST", r"^/channels/\d+/messages$")
    reply = double.driver.bot_messages("accueil")[-1]
    assert reply.content == "pong"
    assert reply.message_reference["message_id"] == str(ping.id)
    assert reply.mentions == []  # mention_author=False honoured through allowed_mentions
    # The bot also receives its own message through the gateway, so its cache stays true.
    await double.driver.wait_for_event("MESSAGE_CREATE", lambda d: d["id"] == str(reply.id))
    await eventually(lambda: len(seen) == 2)
    assert [m.content for m in seen] == ["ping", "pong"]
    assert seen[0].author.display_name == "Inès"


async def test_message_content_is_stripped_without_the_intent(
    double: DiscordDouble, run_client, make_bot
) -> None:
    intents = discord.Intents.default()
    intents.message_content = False
    bot = make_bot(intents=intents)
    got: asyncio.Future = asyncio.get_running_loop().create_future()

    async def on_message(m: discord.Message) -> None:
        if not got.done():
            got.set_result(m)

    bot.add_listener(on_message)
    await run_client(bot)
    await double.driver.send_message("noah", "accueil", "bonjour")
    message = await asyncio.wait_for(got, 5)
    assert message.content == ""


async def test_rate_limited_send_is_retried_and_delivered_once(
    double: DiscordDouble, run_client, make_bot
) -> None:
    bot = await run_client(make_bot())
    double.rate_limit("POST", r"^/channels/\d+/messages$", times=2, retry_after=0.1)
    channel = bot.get_channel(double.driver.channel("ressources").id)
    sent = await asyncio.wait_for(channel.send("une ressource"), 5)
    posts = [r for r in double.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert [r.status for r in posts] == [429, 429, 200]
    assert [m.content for m in double.driver.messages("ressources")] == ["une ressource"]
    assert sent.id == double.driver.messages("ressources")[0].id


async def test_a_rate_limit_can_start_in_the_middle_of_a_sequence(
    double: DiscordDouble, run_client, make_bot
) -> None:
    bot = await run_client(make_bot())
    double.rate_limit("POST", r"^/channels/\d+/messages$", times=1, retry_after=0.1, skip=1)
    channel = bot.get_channel(double.driver.channel("ressources").id)
    for text in ("première", "deuxième", "troisième"):
        await asyncio.wait_for(channel.send(text), 5)
    posts = [r for r in double.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert [r.status for r in posts] == [200, 429, 200, 200]
    assert [m.content for m in double.driver.messages("ressources")] == ["première", "deuxième", "troisième"]


async def test_edit_delete_pin_react_history(double: DiscordDouble, run_client, make_bot) -> None:
    bot = await run_client(make_bot())
    channel = bot.get_channel(double.driver.channel("charte").id)
    msg = await channel.send("Article 1", embed=discord.Embed(title="Charte", description="Bienveillance"))
    msg = await msg.edit(content="Article 1 (v2)")
    await msg.pin()
    await msg.add_reaction("✅")
    stored = double.driver.messages("charte")[0]
    assert stored.content == "Article 1 (v2)" and stored.pinned and stored.embeds[0]["title"] == "Charte"
    assert [p.id async for p in channel.pins()] == [msg.id]
    assert any(e for e in stored.reactions.values())
    history = [m async for m in channel.history(limit=10)]
    assert [m.type for m in history] == [discord.MessageType.pins_add, discord.MessageType.default]
    await msg.delete()
    assert [m.type for m in double.driver.messages("charte")] == [6]
    with pytest.raises(discord.HTTPException) as info:
        await channel.send("")
    assert info.value.code == 50006


async def test_private_channel_needs_permission(double: DiscordDouble, run_client, make_bot) -> None:
    bot = await run_client(make_bot())
    channel = bot.get_channel(double.driver.channel("signalements").id)
    await channel.send("ok")  # the bot's role is allowed in
    await channel.set_permissions(bot.get_guild(double.guild.id).me.top_role, overwrite=None)
    with pytest.raises(discord.Forbidden) as info:
        await channel.send("plus ok")
    assert info.value.code == 50001


async def test_dm_and_refused_dm(double: DiscordDouble, run_client, make_bot) -> None:
    bot = await run_client(make_bot())
    lea = bot.get_guild(double.guild.id).get_member(double.driver.user_id("lea"))
    await lea.send("Bienvenue Léa !")
    assert [m.content for m in double.driver.dms("lea")] == ["Bienvenue Léa !"]
    double.driver.refuse_dms("noah")
    noah = bot.get_guild(double.guild.id).get_member(double.driver.user_id("noah"))
    with pytest.raises(discord.Forbidden) as info:
        await noah.send("coucou")
    assert info.value.code == 50007


async def test_timeout_kick_ban_and_hierarchy(double: DiscordDouble, run_client, make_bot) -> None:
    bot = await run_client(make_bot())
    guild = bot.get_guild(double.guild.id)
    lea = guild.get_member(double.driver.user_id("lea"))
    await lea.timeout(dt.timedelta(minutes=10), reason="flood")
    assert double.driver.is_timed_out("lea")
    await double.driver.wait_for_event("GUILD_MEMBER_UPDATE")
    await eventually(lambda: guild.get_member(lea.id).is_timed_out())
    assert any(r.reason == "flood" for r in double.requests)
    with pytest.raises(discord.Forbidden) as info:
        await guild.get_member(double.driver.user_id("camille")).timeout(dt.timedelta(minutes=1))
    assert info.value.code == 50013
    membre = discord.utils.get(guild.roles, name="Membre")
    await lea.add_roles(membre)
    assert double.driver.role_names("lea") == ["Membre"]
    await guild.get_member(double.driver.user_id("noah")).kick(reason="test")
    assert double.driver.member("noah") is None
    await guild.ban(discord.Object(double.driver.user_id("ines")), reason="spam")
    assert double.driver.bans() == {double.driver.user_id("ines"): "spam"}
    await eventually(lambda: guild.get_member(double.driver.user_id("ines")) is None)
    assert [b.user.name async for b in guild.bans()] == ["ines"]


async def test_threads_forum_and_members(double: DiscordDouble, run_client, make_bot) -> None:
    bot = await run_client(make_bot())
    guild = bot.get_guild(double.guild.id)
    channel = guild.get_channel(double.driver.channel("intervisions").id)
    starter = await channel.send("Intervision du jeudi")
    public = await starter.create_thread(name="jeudi")
    private = await channel.create_thread(
        name="binôme", type=discord.ChannelType.private_thread, invitable=False
    )
    ines = guild.get_member(double.driver.user_id("ines"))
    await private.add_user(ines)
    await double.driver.wait_for_event("THREAD_MEMBERS_UPDATE")
    await eventually(
        lambda: (t := guild.get_thread(private.id)) is not None and ines.id in {m.id for m in t.members}
    )
    assert {t.name for t in double.driver.threads("intervisions")} == {"jeudi", "binôme"}
    assert double.driver.thread_members("binôme") == [double.application_id, ines.id]
    cached = guild.get_thread(private.id)
    assert cached is not None and {m.id for m in cached.members} >= {ines.id}
    assert not cached.invitable and cached.type is discord.ChannelType.private_thread
    await public.edit(archived=True, locked=True)
    assert double.driver.channel("jeudi").archived
    forum = guild.get_channel(double.driver.channel("entraide").id)
    tag = forum.available_tags[0]
    post = await forum.create_thread(name="Besoin d'aide", content="Bonjour", applied_tags=[tag])
    assert post.thread.applied_tags == [tag] and post.message.content == "Bonjour"
    assert double.driver.messages(post.thread.id)[0].content == "Bonjour"
    await double.driver.send_message("noah", post.thread.id, "Je peux aider")
    assert double.driver.channel(post.thread.id).message_count == 2


async def test_scheduled_event_and_roles(double: DiscordDouble, run_client, make_bot) -> None:
    bot = await run_client(make_bot())
    guild = bot.get_guild(double.guild.id)
    start = discord.utils.utcnow() + dt.timedelta(days=1)
    event = await guild.create_scheduled_event(
        name="Permanence",
        start_time=start,
        end_time=start + dt.timedelta(hours=1),
        entity_type=discord.EntityType.external,
        location="Visio",
        privacy_level=discord.PrivacyLevel.guild_only,
    )
    await event.edit(name="Permanence du vendredi")
    assert [e.name for e in double.driver.scheduled_events()] == ["Permanence du vendredi"]
    await eventually(lambda: guild.get_scheduled_event(event.id).name == "Permanence du vendredi")
    await event.delete()
    assert double.driver.scheduled_events() == []
    role = await guild.create_role(name="Bénévole", mentionable=True)
    await eventually(lambda: guild.get_role(role.id) is not None)


async def test_member_join_and_leave(double: DiscordDouble, run_client, make_bot) -> None:
    bot = make_bot()
    joined: asyncio.Future = asyncio.get_running_loop().create_future()

    async def on_member_join(m: discord.Member) -> None:
        if not joined.done():
            joined.set_result(m)

    bot.add_listener(on_member_join)
    await run_client(bot)
    await double.driver.member_join("zoe")
    member = await asyncio.wait_for(joined, 5)
    assert member.name == "zoe"
    await double.driver.member_leave("zoe")
    await double.driver.wait_for_event("GUILD_MEMBER_REMOVE")
    await eventually(lambda: bot.get_guild(double.guild.id).get_member(member.id) is None)
