"""``relais data export|erase``: the operators' path for requests received by e-mail."""

from __future__ import annotations

import asyncio
import json
import stat

from bot.__main__ import main
from bot.core.db import Database
from tests.unit.privacy.test_rights import GUILD, ME, OTHER, SECRET_KEYWORDS, SECRET_TITLE, populate


async def _filled(path) -> None:
    db = await Database.open(path)
    try:
        await populate(db)
    finally:
        await db.close()


def test_export_prints_or_writes_a_private_file(tmp_path, capsys):
    path = tmp_path / "relais.db"
    asyncio.run(_filled(path))
    assert main(["data", "export", "--guild", str(GUILD), "--member", str(ME), "--db", str(path)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["data"]["resources"]["resources_shared"][0]["title"] == SECRET_TITLE
    out = tmp_path / "export.json"
    assert (
        main(
            [
                "data",
                "export",
                "--guild",
                str(GUILD),
                "--member",
                str(ME),
                "--db",
                str(path),
                "--output",
                str(out),
            ]
        )
        == 0
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["member_id"] == str(ME)


def test_erase_needs_yes_then_erases_like_the_slash_command(tmp_path, capsys):
    path = tmp_path / "relais.db"
    asyncio.run(_filled(path))
    args = ["data", "erase", "--guild", str(GUILD), "--member", str(ME), "--db", str(path)]
    assert main(args) == 2
    assert "--yes" in capsys.readouterr().err
    assert main([*args, "--yes", "--delete-resources"]) == 0
    printed = capsys.readouterr().out
    assert "resources.resources_shared : 1" in printed and "moderation.cases_about_you" in printed
    assert asyncio.run(_values(path)) == (0, 0, "booked")


async def _values(path) -> tuple:
    db = await Database.open(path)
    try:
        return (
            await db.fetchval("SELECT COUNT(*) FROM resources WHERE title = ?", (SECRET_TITLE,)),
            await db.fetchval(
                "SELECT COUNT(*) FROM job_subscriptions WHERE keywords = ?", (SECRET_KEYWORDS,)
            ),
            await db.fetchval("SELECT status FROM intervision_bookings WHERE user_id = ?", (OTHER,)),
        )
    finally:
        await db.close()
