"""The foundation end to end: login, command sync, /aide, /config, errors, restart, reconnect."""

from __future__ import annotations


async def test_login_syncs_commands_once(sandbox):
    assert sandbox.double.command_syncs == 1
    names = {c.name for c in sandbox.driver.commands()}
    assert {"aide", "a-propos", "config"} <= names
    await sandbox.restart_bot()
    assert sandbox.double.command_syncs == 1, "an unchanged tree must not be synced again"


async def test_aide_lists_commands_for_the_caller(sandbox):
    member = await (await sandbox.driver.slash("lea", "aide")).wait()
    assert member.ephemeral
    assert "/aide" in member.content and "/config" not in member.content
    owner = await (await sandbox.driver.slash("camille", "aide")).wait()
    assert "/config salon" in owner.content


async def test_a_propos(sandbox):
    result = await (await sandbox.driver.slash("noah", "a-propos")).wait()
    assert result.ephemeral and "Relais" in result.content and "latence" in result.content
