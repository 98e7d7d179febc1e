"""The `relais` command line, run as a real subprocess like an operator would."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

from bot import invite
from bot.core.db import load_migrations
from tests.helpers import REPO, copy_config


def relais(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_") and k != "DISCORD_TOKEN"}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_check_passes_on_shipped_config():
    result = relais("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration valide" in result.stdout


def test_check_fails_with_file_line_messages(tmp_path):
    config = copy_config(tmp_path)
    settings = config / "settings.yaml"
    settings.write_text(settings.read_text().replace("  level: INFO", "  levle: INFO"), encoding="utf-8")
    result = relais("check", "--config", str(config))
    assert result.returncode == 1
    line = next(i for i, text in enumerate(settings.read_text().splitlines(), 1) if "levle" in text)
    assert (
        f"settings.yaml:{line}: clé inconnue «levle» dans logging — vouliez-vous écrire «level» ?"
        in result.stdout
    )


def test_run_without_token_fails_fast_and_helpfully(tmp_path):
    started = time.monotonic()
    result = relais("run", "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2
    assert time.monotonic() - started < 15
    assert "DISCORD_TOKEN" in result.stderr and "relais sandbox" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_db_upgrade_and_backup(tmp_path):
    db = tmp_path / "relais.db"
    first = relais("db", "upgrade", "--db", str(db))
    assert first.returncode == 0 and "migrations appliquées" in first.stdout
    assert "déjà à jour" in relais("db", "upgrade", "--db", str(db)).stdout
    backup = relais("db", "backup", str(tmp_path / "copy.db"), "--db", str(db))
    assert backup.returncode == 0, backup.stderr
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA user_version").fetchone()[0] == len(load_migrations())
    copy.close()
    again = relais("db", "backup", str(tmp_path / "copy.db"), "--db", str(db))
    assert again.returncode == 1 and "exists" in again.stderr


def test_environment_override_of_database_path(tmp_path):
    db = tmp_path / "env.db"
    result = relais("db", "upgrade", env={"RELAIS_DATABASE__PATH": str(db)})
    assert result.returncode == 0 and db.exists()


def test_invite_url_has_exactly_the_needed_permissions_and_scopes():
    result = relais("invite-url", "--client-id", "123456789012345678")
    assert result.returncode == 0
    url = result.stdout.strip()
    assert "client_id=123456789012345678" in url and "scope=bot+applications.commands" in url
    assert f"permissions={invite.permissions().value}" in url
    assert not invite.permissions().administrator and not invite.permissions().mention_everyone
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789ab"
    assert invite.client_id_from_token(token) == 123456789012345678
