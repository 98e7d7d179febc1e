"""/config role and /config salon cannot hand out more than the caller already holds.

A member with only « Gérer le serveur » must not make their own role the moderation role (then kick,
ban and time out through Relais), nor make a privileged role the one « J'accepte » hands out.
"""

from __future__ import annotations

import pytest

from bot.sandbox.double.seed import BASE, MemberSpec, RoleSpec, seed_guild
from bot.sandbox.double.state import P
from tests.helpers import checked_sandbox


def permissions_seed():
    seed = seed_guild()
    for role in seed.roles:
        if role.key == "relais":
            role.position = 10
    seed.roles += [
        RoleSpec("gestion", BASE + 290, "Gestion", 6, P.MANAGE_GUILD),
        RoleSpec("staff", BASE + 291, "Staff", 5, P.MANAGE_ROLES),
    ]
    seed.members += [
        # Only « Gérer le serveur »: may use /config, holds no moderation power.
        MemberSpec("alex", BASE + 390, "alex", "Alex", ["gestion", "membre"]),
        # Manage server and every moderation power the bot exercises.
        MemberSpec("morgan", BASE + 391, "morgan", "Morgan", ["gestion", "moderation", "membre"]),
    ]
    return seed


@pytest.fixture
async def sandbox(tmp_path):
    async with checked_sandbox(tmp_path, environ={}, configure=False, seed=permissions_seed()) as running:
        yield running


async def reply(driver, member, command, **options):
    return await (await driver.slash(member, command, **options)).wait()


async def test_manage_server_alone_cannot_choose_the_moderation_role(sandbox):
    driver = sandbox.driver
    refused = await reply(driver, "alex", "config role", usage="moderation", role="gestion")
    assert refused.ephemeral and "permissions de modération" in refused.content
    assert "ban_members" in refused.content
    config = await sandbox.bot.guild_config(sandbox.guild_id)
    assert config.role("moderation") is None


async def test_member_roles_with_dangerous_permissions_are_refused(sandbox):
    driver = sandbox.driver
    for usage, role in [
        ("membre", "moderation"),
        ("membre", "staff"),
        ("pair_aidant", "gestion"),
        ("confiance", "staff"),
    ]:
        # Even the owner: « J'accepte » would hand these powers to every member.
        refused = await reply(driver, "camille", "config role", usage=usage, role=role)
        assert refused.ephemeral and "permissions sensibles" in refused.content, (usage, role)
        alex = await reply(driver, "alex", "config role", usage=usage, role=role)
        assert alex.ephemeral and "permissions sensibles" in alex.content, (usage, role)
    config = await sandbox.bot.guild_config(sandbox.guild_id)
    assert (
        config.role("membre") is None
        and config.role("pair_aidant") is None
        and config.role("confiance") is None
    )


async def test_allowed_role_mappings_still_work(sandbox):
    driver = sandbox.driver
    ordinary = await reply(driver, "alex", "config role", usage="membre", role="membre")
    assert f"<@&{driver.role_id('membre')}>" in ordinary.content
    by_moderator = await reply(driver, "morgan", "config role", usage="moderation", role="moderation")
    assert f"<@&{driver.role_id('moderation')}>" in by_moderator.content
    by_owner = await reply(driver, "camille", "config role", usage="pair_aidant", role="pair-aidant")
    assert f"<@&{driver.role_id('pair-aidant')}>" in by_owner.content
    config = await sandbox.bot.guild_config(sandbox.guild_id)
    assert config.role("membre") == driver.role_id("membre")
    assert config.role("moderation") == driver.role_id("moderation")
    assert config.role("pair_aidant") == driver.role_id("pair-aidant")


async def test_reports_channel_needs_moderation_powers_and_a_private_channel(sandbox):
    driver = sandbox.driver
    not_moderator = await reply(driver, "alex", "config salon", usage="signalements", salon="signalements")
    assert not_moderator.ephemeral and "réservées à la modération" in not_moderator.content
    public = await reply(driver, "camille", "config salon", usage="modlog", salon="ressources")
    assert public.ephemeral and "salon privé" in public.content
    config = await sandbox.bot.guild_config(sandbox.guild_id)
    assert config.channel("signalements") is None and config.channel("modlog") is None
    allowed = await reply(driver, "morgan", "config salon", usage="signalements", salon="signalements")
    assert f"<#{driver.channel('signalements').id}>" in allowed.content
    public_use = await reply(driver, "alex", "config salon", usage="ressources", salon="ressources")
    assert f"<#{driver.channel('ressources').id}>" in public_use.content
