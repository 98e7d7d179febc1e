"""``relais doctor``'s host checks on real files: configuration, token file, database, disk, timers,
backups; and its exit code, read by monitoring."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import namedtuple

from bot import doctor
from bot.core import backups, run_lock, timeutil
from bot.core import settings as settings_module
from bot.core.db import Database, load_migrations
from bot.doctor.host import MIB
from tests.helpers import CONFIG, REPO, copy_config

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=timeutil.UTC)
FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.not-a-real-token-but-secret-all-the-same"


def env_for(tmp_path, **extra: str) -> dict[str, str]:
    return {"RELAIS_DATABASE__PATH": str(tmp_path / "relais.db"), **extra}


async def make_database(tmp_path, *, version: int | None = None) -> None:
    db = await Database.open(tmp_path / "relais.db", migrate=False)
    try:
        await db.migrate(target=version)
    finally:
        await db.close()


async def checks_for(tmp_path, config=CONFIG, now=NOW, **extra: str) -> list[doctor.Check]:
    return (await doctor.host_checks(config, env_for(tmp_path, **extra), now)).checks


def levels(checks: list[doctor.Check], needle: str) -> list[doctor.Level]:
    return [c.level for c in checks if needle in c.what]


def relais_doctor(tmp_path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_") and k != "DISCORD_TOKEN"}
    environ.update(env_for(tmp_path, **extra))
    return subprocess.run(
        [sys.executable, "-m", "bot", "doctor", "--no-discord", *args],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_a_healthy_installation_exits_0_with_only_ticks_and_warnings(tmp_path):
    await make_database(tmp_path)
    result = relais_doctor(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert all(line[0] in "✅⚠" for line in lines[:-1]), lines
    assert any(line.startswith("✅ base") and "intègre" in line for line in lines)
    assert "❌" not in result.stdout and "Traceback" not in result.stderr


async def test_a_corrupted_database_is_an_error_and_exits_1(tmp_path):
    await make_database(tmp_path)
    path = tmp_path / "relais.db"
    with path.open("r+b") as raw:  # overwrite b-tree pages in the middle of the file
        raw.seek(2 * 4096)
        raw.write(b"\xa5" * 3 * 4096)
    result = relais_doctor(tmp_path)
    assert result.returncode == 1
    [line] = [line for line in result.stdout.splitlines() if "abîmée" in line]
    assert line.startswith("❌") and "relais db restore" in line
    assert "Traceback" not in result.stderr


async def test_a_token_file_readable_by_others_is_an_error_naming_the_chmod(tmp_path):
    await make_database(tmp_path)
    token_file = tmp_path / "token"
    token_file.write_text(FAKE_TOKEN + "\n")
    token_file.chmod(0o644)
    result = relais_doctor(tmp_path, RELAIS_DISCORD__TOKEN_FILE=str(token_file))
    assert result.returncode == 1
    [line] = [line for line in result.stdout.splitlines() if "fichier du jeton" in line]
    assert line.startswith("❌") and "0644" in line and f"chmod 600 {token_file}" in line
    assert FAKE_TOKEN not in result.stdout + result.stderr
    assert FAKE_TOKEN.split(".")[2] not in result.stdout + result.stderr

    token_file.chmod(0o600)
    fixed = relais_doctor(tmp_path, RELAIS_DISCORD__TOKEN_FILE=str(token_file))
    assert fixed.returncode == 0, fixed.stdout
    assert "✅ fichier du jeton" in fixed.stdout
    assert FAKE_TOKEN not in fixed.stdout + fixed.stderr


async def test_a_missing_token_file_is_an_error(tmp_path):
    await make_database(tmp_path)
    checks = await checks_for(tmp_path, RELAIS_DISCORD__TOKEN_FILE=str(tmp_path / "absent"))
    assert levels(checks, "fichier du jeton") == [doctor.Level.ERROR]


async def test_the_token_from_the_environment_is_fine(tmp_path):
    await make_database(tmp_path)
    host = await doctor.host_checks(CONFIG, {**env_for(tmp_path), "DISCORD_TOKEN": FAKE_TOKEN}, NOW)
    checks = host.checks
    assert levels(checks, "DISCORD_TOKEN") == [doctor.Level.OK]
    assert all(FAKE_TOKEN not in c.line() for c in checks)


async def test_pending_migrations_are_a_warning_naming_relais_db_upgrade(tmp_path):
    await make_database(tmp_path, version=len(load_migrations()) - 2)
    checks = await checks_for(tmp_path)
    [check] = [c for c in checks if "migration(s) en attente" in c.what]
    assert check.level is doctor.Level.WARNING and "relais db upgrade" in check.todo
    assert doctor.exit_code(checks) == 0


async def test_a_database_newer_than_the_code_is_an_error(tmp_path):
    await make_database(tmp_path)
    conn = sqlite3.connect(tmp_path / "relais.db")
    conn.execute(f"PRAGMA user_version = {len(load_migrations()) + 3}")
    conn.close()
    checks = await checks_for(tmp_path)
    assert levels(checks, "plus récent que ce Relais") == [doctor.Level.ERROR]


async def test_a_missing_database_is_an_error(tmp_path):
    checks = await checks_for(tmp_path)
    assert levels(checks, "introuvable") == [doctor.Level.ERROR]
    assert not (tmp_path / "relais.db").exists(), "the doctor must not create the database"


async def test_a_configuration_problem_is_an_error_with_file_and_line(tmp_path):
    config = copy_config(tmp_path)
    settings = config / "settings.yaml"
    settings.write_text(settings.read_text().replace("  level: INFO", "  levle: INFO"), encoding="utf-8")
    checks = await checks_for(tmp_path, config=config)
    [check] = [c for c in checks if "levle" in c.what]
    assert check.level is doctor.Level.ERROR and "settings.yaml:" in check.what
    assert doctor.exit_code(checks) == 1


async def test_low_disk_space_is_an_error(tmp_path, monkeypatch):
    await make_database(tmp_path)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(10**10, 10**10 - 5 * MIB, 5 * MIB))
    checks = await checks_for(tmp_path)
    [check] = [c for c in checks if "espace libre" in c.what]
    assert check.level is doctor.Level.ERROR and "libérez de la place" in check.todo
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(10**12, 10**11, 9 * 10**11))
    assert levels(await checks_for(tmp_path), "espace libre") == [doctor.Level.OK]


async def _overdue_timer(tmp_path) -> None:
    db = await Database.open(tmp_path / "relais.db")
    try:
        await db.execute(
            "INSERT INTO timers (guild_id, kind, due_at, status, created_at) VALUES (1, 'reminder', ?, "
            "'pending', ?)",
            ((NOW - dt.timedelta(hours=2)).timestamp(), NOW.timestamp()),
        )
    finally:
        await db.close()


async def test_overdue_timers_are_an_error_only_while_a_bot_runs(tmp_path):
    await make_database(tmp_path)
    await _overdue_timer(tmp_path)
    idle = await checks_for(tmp_path)
    assert levels(idle, "en retard") == [doctor.Level.WARNING]
    assert levels(idle, "aucun bot") == [doctor.Level.WARNING]
    lock = run_lock.RunLock.acquire(tmp_path / "relais.db")
    try:
        running = await checks_for(tmp_path)
    finally:
        lock.release()
    assert levels(running, "tourne sur cette base") == [doctor.Level.OK]
    [late] = [c for c in running if "en retard" in c.what]
    assert late.level is doctor.Level.ERROR and "2 h" in late.what


async def test_backups_recent_missing_old_failing_and_disabled(tmp_path):
    await make_database(tmp_path)
    assert levels(await checks_for(tmp_path), "aucune sauvegarde") == [doctor.Level.WARNING]

    db = await Database.open(tmp_path / "relais.db")
    try:
        settings = settings_module.load(CONFIG, env_for(tmp_path))
        outcome = await backups.run_daily(db, settings, NOW)
    finally:
        await db.close()
    assert outcome is not None
    recent = await checks_for(tmp_path, now=timeutil.now())
    assert levels(recent, "dernière sauvegarde relais-2026-12-03.db") == [doctor.Level.OK]

    three_days_later = timeutil.now() + dt.timedelta(days=3)
    assert levels(await checks_for(tmp_path, now=three_days_later), "dernière sauvegarde") == [
        doctor.Level.ERROR
    ]

    blocker = tmp_path / "blocker"
    blocker.write_text("")
    db = await Database.open(tmp_path / "relais.db")
    try:
        broken = settings_module.load(CONFIG, env_for(tmp_path, RELAIS_BACKUP__FOLDER=str(blocker)))
        assert await backups.run_daily(db, broken, timeutil.now()) is None
    finally:
        await db.close()
    failing = await checks_for(tmp_path, now=timeutil.now())
    [check] = [c for c in failing if "a échoué" in c.what]
    assert check.level is doctor.Level.ERROR and "FileExistsError" in check.what

    # A file where the folder would go: caught before the first backup fails.
    denied = await checks_for(tmp_path, RELAIS_BACKUP__FOLDER=str(blocker / "backups"))
    assert levels(denied, "impossible à écrire") == [doctor.Level.ERROR]

    disabled = await checks_for(tmp_path, RELAIS_BACKUP__ENABLED="false")
    assert levels(disabled, "désactivées") == [doctor.Level.WARNING]


async def test_json_output_for_monitoring(tmp_path):
    await make_database(tmp_path)
    result = relais_doctor(tmp_path, "--json", RELAIS_DISCORD__TOKEN_FILE=str(tmp_path / "absent"))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    token = next(c for c in report["checks"] if "jeton" in c["what"])
    assert token["level"] == "error" and "introuvable" in token["what"] and "chmod 600" in token["todo"]
    assert {c["level"] for c in report["checks"]} <= {"ok", "warning", "error"}


async def test_a_report_key_readable_by_others_is_an_error(tmp_path, tmp_path_factory):
    await make_database(tmp_path)
    key = tmp_path_factory.mktemp("keys") / "report-hmac.key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o640)
    checks = await checks_for(tmp_path, RELAIS_MODERATION__REPORT_KEY_FILE=str(key))
    [check] = [c for c in checks if "clé des signalements" in c.what]
    assert check.level is doctor.Level.ERROR and check.todo == f"chmod 600 {key}"
    key.chmod(0o600)
    fixed = await checks_for(tmp_path, RELAIS_MODERATION__REPORT_KEY_FILE=str(key))
    assert levels(fixed, "clé des signalements") == [doctor.Level.OK]


def test_every_invite_permission_has_discords_own_label_in_both_languages():
    from bot import invite
    from bot.core import i18n

    catalog = i18n.Catalog.load(CONFIG)
    for locale in ("fr", "en"):
        for permission in invite.PERMISSIONS:
            key = f"diagnostic.permissions.{permission}"
            assert catalog.t(locale, key) != key, f"{locale}: {key}"
