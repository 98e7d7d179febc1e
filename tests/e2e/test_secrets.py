"""The bot's token never appears in logs (at DEBUG, tracebacks included), /a-propos, an export,
the database file or a backup."""

from __future__ import annotations

import io
import logging

from bot.core.logs import ContextAndRedactionFilter
from tests.e2e.test_intervisions import download


async def test_the_token_is_nowhere_a_person_or_a_file_can_read(sandbox, tmp_path):
    token = sandbox.double.token
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextAndRedactionFilter())
    handler.setFormatter(logging.Formatter("{name}: {ctx}{message}", style="{"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        driver = sandbox.driver
        about = await (await driver.slash("camille", "a-propos")).wait()
        export = await (await driver.slash("ines", "mes-donnees exporter")).wait_done(timeout=10)
        exported = await download(export.followups[-1].attachments[0]["url"])
        await sandbox.restart_bot()  # a whole login again, logged at DEBUG
        backup = await sandbox.bot.db.backup(tmp_path / "backup.db")
        await sandbox.bot.db.checkpoint()
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    logged = stream.getvalue()
    assert "IDENTIFY" in logged or "gateway" in logged.lower()  # the login really was logged
    readable = {
        "logs": logged,
        "/a-propos": (about.content or "") + str(about.embeds),
        "export": exported.decode(),
    }
    for where, text in readable.items():
        assert token not in text, where
    for path in (backup, sandbox.bot.db.path):
        assert token.encode() not in path.read_bytes(), path.name
