"""``relais doctor`` as a process against the double: with the token it asks Discord (REST only) what
each guild looks like and runs the same diagnostic as ``/config diagnostic``; its exit code follows."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.sandbox.double.state import P
from bot.sandbox.harness import sandbox_environment
from tests.helpers import REPO, fr


async def relais_doctor(sandbox, *, token: str | None = None) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_") and k != "DISCORD_TOKEN"}
    env.update(sandbox_environment(sandbox.double, Path(sandbox.settings.database.path)))
    env["DISCORD_TOKEN"] = token or sandbox.double.token
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "doctor",
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert "Traceback" not in err.decode(), err.decode()
    return process.returncode, out.decode()


def guild_lines(output: str, guild_name: str) -> list[str]:
    return [line for line in output.splitlines() if f"{guild_name} :" in line]


async def test_doctor_checks_each_guild_through_discord_and_fails_on_what_breaks_it(sandbox):
    driver, double = sandbox.driver, sandbox.double
    name = double.guild.name
    await (await driver.slash("camille", "charte publier")).wait_followup()
    identified = double.gateway.identify_count

    code, output = await relais_doctor(sandbox)

    assert code == 0, output
    assert "✅ un bot Relais tourne sur cette base" in output
    assert "✅ Discord accepte le jeton" in output
    lines = guild_lines(output, name)
    assert lines[0].startswith("✅") and "vérifiés et corrects" in lines[0]
    assert not [line for line in lines if line.startswith("❌")], lines
    assert double.gateway.identify_count == identified, "REST only: the running bot's session is untouched"
    assert double.unknown_routes == []

    # Someone removes « Gérer les rôles » from the bot's role: it can no longer grant the member role.
    bot_role = double.guild.roles[driver.role_id("relais")]
    bot_role.permissions &= ~P.MANAGE_ROLES
    code, output = await relais_doctor(sandbox)

    assert code == 1, output
    errors = [line for line in guild_lines(output, name) if line.startswith("❌")]
    assert len(errors) == 1 and "Gérer les rôles" in errors[0], errors
    assert " — " in errors[0], "each problem says what to do"
    [invite] = [line for line in guild_lines(output, name) if "invitation" in line]
    assert invite.startswith("⚠️") and fr("« Gérer les rôles »") in invite


async def test_doctor_with_a_refused_token_fails_without_showing_it(sandbox):
    wrong = "MTIwMDAwMDAwMDAwMDAwMDAwMQ.wrong.token-that-must-not-be-printed"
    code, output = await relais_doctor(sandbox, token=wrong)
    assert code == 1
    [line] = [line for line in output.splitlines() if "jeton" in line and line.startswith("❌")]
    assert "Discord refuse le jeton" in line and "Reset Token" in line
    assert "token-that-must-not-be-printed" not in output
