from __future__ import annotations

import pytest

from bot.core import guild_config
from bot.core.errors import UserError


async def test_channels_roles_timezone_and_locale_round_trip(db):
    await guild_config.set_channel(db, 1, "ressources", 10)
    await guild_config.set_channel(db, 1, "ressources", 11)
    await guild_config.set_role(db, 1, "moderation", 20)
    await guild_config.set_timezone(db, 1, " Europe/Paris ")
    await guild_config.set_locale(db, 1, "en")
    await guild_config.set_channel(db, 2, "ressources", 99)
    config = await guild_config.get(db, 1)
    assert config.channel("ressources") == 11
    assert config.role("moderation") == 20
    assert config.timezone == "Europe/Paris" and config.locale == "en"
    assert (await guild_config.get(db, 2)).channel("ressources") == 99


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda db: guild_config.set_timezone(db, 1, "Europe/Bruxelles"), "core.config.bad_timezone"),
        (lambda db: guild_config.set_locale(db, 1, "de"), "core.config.bad_locale"),
        (lambda db: guild_config.set_channel(db, 1, "nope", 1), "core.config.unknown_purpose"),
        (lambda db: guild_config.set_role(db, 1, "admin", 1), "core.config.unknown_purpose"),
    ],
)
async def test_invalid_values_are_refused_and_nothing_is_stored(db, call, key):
    with pytest.raises(UserError) as caught:
        await call(db)
    assert caught.value.key == key
    assert await guild_config.get(db, 1) == guild_config.GuildConfig(1)


async def test_deleted_channel_is_forgotten(db):
    await guild_config.set_channel(db, 1, "modlog", 5)
    assert await guild_config.forget_channel(db, 1, 5) == 1
    assert (await guild_config.get(db, 1)).channel("modlog") is None


async def test_configured_guilds_are_those_with_anything_set(db):
    assert await guild_config.configured_guilds(db) == []
    await guild_config.set_channel(db, 1, "accueil", 10)
    await guild_config.set_role(db, 2, "moderation", 20)
    await guild_config.set_timezone(db, 3, "Europe/Brussels")
    await guild_config.set_channel(db, 1, "charte", 11)
    assert sorted(await guild_config.configured_guilds(db)) == [1, 2, 3]
