"""``relais doctor``: is this installation healthy? One line per check, for a person or a monitor.

``host`` checks what needs no network (configuration, token file, database, disk, timers,
backups); ``guilds`` asks Discord over REST what each guild looks like and runs the same diagnostic
as ``/config diagnostic``. Lines and exit code: ``report`` (❌ → exit 1; ⚠️ alone → exit 0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from bot.core import logs
from bot.core import settings as settings_module
from bot.core.db import Database
from bot.doctor.host import HostReport, database_path, host_checks
from bot.doctor.report import Check, Level, exit_code, render

__all__ = ["Check", "HostReport", "Level", "all_checks", "exit_code", "host_checks", "render"]


async def all_checks(
    config_dir: Path,
    environ: Mapping[str, str],
    now: dt.datetime,
    *,
    database: Path | None = None,
    discord: bool = True,
) -> list[Check]:
    host = await host_checks(config_dir, environ, now, database=database)
    if host.settings is None or not discord:
        return host.checks
    try:
        token = settings_module.load_token(host.settings, environ)
    except settings_module.MissingToken:
        return host.checks  # the token check already said so
    logs.add_secret(token)  # whatever discord.py logs, the token is masked
    from bot.doctor import guilds  # discord.py is imported only when Discord is asked

    if not host.database_usable:
        return host.checks + await guilds.check_discord(host.settings, token, None)
    db = await Database.open(database_path(host.settings), migrate=False)
    try:
        return host.checks + await guilds.check_discord(host.settings, token, db)
    finally:
        await db.close()
