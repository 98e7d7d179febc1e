from __future__ import annotations

import asyncio

import discord

from bot.sandbox import DiscordDouble


async def _collecting_bot(run_client, make_bot):
    bot = make_bot()
    contents: list[str] = []
    resumed = asyncio.Event()

    async def on_message(message: discord.Message) -> None:
        contents.append(message.content)

    async def on_resumed() -> None:
        resumed.set()

    async def before_identify_hook(shard_id, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s before every re-IDENTIFY (Discord's identify concurrency); skip it here.
        return None

    bot.before_identify_hook = before_identify_hook
    bot.add_listener(on_message)
    bot.add_listener(on_resumed)
    await run_client(bot)
    return bot, contents, resumed


async def _until(cond, within: float = 5) -> None:
    async with asyncio.timeout(within):
        while not cond():  # noqa: ASYNC110  -- polling client state that has no event to wait on
            await asyncio.sleep(0.01)


async def test_resumable_drop_replays_missed_events_once(double: DiscordDouble, run_client, make_bot) -> None:
    bot, contents, resumed = await _collecting_bot(run_client, make_bot)
    await double.driver.send_message("ines", "accueil", "avant")
    await _until(lambda: contents == ["avant"])
    await double.drop_connections(resumable=True)
    # Sent while the bot has no socket: only a RESUME replay can deliver these.
    for i in range(3):
        await double.driver.send_message("ines", "accueil", f"pendant {i}")
    await asyncio.wait_for(resumed.wait(), 5)
    await double.driver.send_message("ines", "accueil", "après")
    await _until(lambda: len(contents) >= 5)
    await asyncio.sleep(0.05)
    assert contents == ["avant", "pendant 0", "pendant 1", "pendant 2", "après"]
    assert double.gateway.identify_count == 1 and double.gateway.resume_count == 1


async def test_op7_reconnect_resumes(double: DiscordDouble, run_client, make_bot) -> None:
    bot, contents, resumed = await _collecting_bot(run_client, make_bot)
    await double.drop_connections(resumable=True, how="reconnect")
    await double.driver.send_message("noah", "accueil", "pendant")
    await asyncio.wait_for(resumed.wait(), 5)
    await _until(lambda: contents == ["pendant"])
    assert double.gateway.identify_count == 1


async def test_non_resumable_drop_identifies_again(double: DiscordDouble, run_client, make_bot) -> None:
    bot, contents, resumed = await _collecting_bot(run_client, make_bot)
    first_session = bot.ws.session_id
    await double.drop_connections(resumable=False)
    await _until(lambda: double.gateway.identify_count == 2)
    await _until(lambda: bot.ws is not None and bot.ws.session_id not in (None, first_session))
    await bot.wait_until_ready()
    await double.driver.send_message("ines", "accueil", "nouvelle session")
    await _until(lambda: contents == ["nouvelle session"])
    assert not resumed.is_set()
    assert bot.get_guild(double.guild.id).get_member(double.driver.user_id("lea")) is not None


async def test_invalid_session_not_resumable_identifies_again(
    double: DiscordDouble, run_client, make_bot
) -> None:
    bot, contents, resumed = await _collecting_bot(run_client, make_bot)
    await double.drop_connections(resumable=False, how="invalid")
    await _until(lambda: double.gateway.identify_count == 2)


async def test_global_rate_limit_and_gateway_compression(double: DiscordDouble, run_client, make_bot) -> None:
    bot = await run_client(make_bot())
    assert all(c.encoder is not None for c in double.gateway.connections)  # zlib-stream negotiated
    double.rate_limit("*", r"^/channels/\d+/messages$", times=1, retry_after=0.1, global_=True)
    await bot.get_channel(double.driver.channel("accueil").id).send("global")
    assert [m.content for m in double.driver.messages("accueil")] == ["global"]
    assert [r.status for r in double.requests if r.path.endswith("/messages")] == [429, 200]


async def test_outage_is_survived(double: DiscordDouble, run_client, make_bot) -> None:
    bot, contents, resumed = await _collecting_bot(run_client, make_bot)
    channel = bot.get_channel(double.driver.channel("accueil").id)
    double.unreachable(0.5)
    await asyncio.wait_for(channel.send("pendant la panne"), 8)  # 502, discord.py waits 1 s, retries
    statuses = [r.status for r in double.requests if r.path.endswith("/messages")]
    assert statuses == [200] and [m.content for m in double.driver.messages("accueil")] == [
        "pendant la panne"
    ]
    await asyncio.wait_for(resumed.wait(), 8)
    await double.driver.send_message("ines", "accueil", "retour")
    await _until(lambda: "retour" in contents)


async def test_redeliver_sends_an_event_twice_like_discord_may(
    double: DiscordDouble, run_client, make_bot
) -> None:
    bot, contents, _ = await _collecting_bot(run_client, make_bot)
    sent = await double.driver.send_message("ines", "accueil", "une fois")
    await _until(lambda: contents == ["une fois"])
    assert await double.gateway.redeliver("MESSAGE_CREATE", lambda d: d["id"] == str(sent.id)) == 1
    await _until(lambda: len(contents) == 2)
    assert contents == ["une fois", "une fois"]
