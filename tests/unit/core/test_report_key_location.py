"""The anonymous reports' key must not live in the database's folder (one copy would unmask reporters)."""

from __future__ import annotations

from pathlib import Path

from bot import config_check
from bot.core import settings
from tests.helpers import copy_config
from tests.unit.core.test_cli import relais


def config_with(tmp_path: Path, *, key: Path | None, flag: bool | None = None) -> Path:
    config = copy_config(tmp_path)
    path = config / "settings.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  path: data/relais.db", f"  path: {tmp_path / 'data' / 'relais.db'}")
    extra = ""
    if key is not None:
        extra += f"  report_key_file: {key}\n"
    if flag is not None:
        extra += f"  report_key_in_database_folder: {'true' if flag else 'false'}\n"
    text = text.replace("  report_key_in_database_folder: false", "").replace(
        "moderation:\n", "moderation:\n" + extra
    )
    path.write_text(text, encoding="utf-8")
    return config


def test_default_key_is_in_the_user_config_folder_not_beside_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    loaded = settings.load(config_with(tmp_path, key=None), {})
    assert loaded.moderation.report_key_file == str(tmp_path / "xdg" / "relais" / "report-hmac.key")
    assert not Path(loaded.moderation.report_key_file).is_relative_to(Path(loaded.database.path).parent)
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert settings.default_report_key_file() == str(
        tmp_path / "home" / ".config" / "relais" / "report-hmac.key"
    )
    shipped = settings.load(None, {})
    assert (
        Path(shipped.moderation.report_key_file).resolve().parent
        != Path(shipped.database.path).resolve().parent
    )


def test_check_refuses_the_key_in_the_database_folder_with_file_and_line(tmp_path):
    config = config_with(tmp_path, key=tmp_path / "data" / "report-hmac.key")
    problems = config_check.check_all(config, {})
    assert len(problems) == 1, problems
    line = next(
        i
        for i, t in enumerate((config / "settings.yaml").read_text().splitlines(), 1)
        if "report_key_file:" in t and not t.lstrip().startswith("#")
    )
    text = str(problems[0])
    assert text.startswith(f"{config / 'settings.yaml'}:{line}: la clé des signalements anonymes")
    assert "report_key_in_database_folder: true" in text and "sauvegarder à part" in text
    assert config_check.refuses_to_start(problems)
    # Below that folder is just as bad: a copy of data/ takes it along.
    nested = config_with(tmp_path / "nested", key=tmp_path / "nested" / "data" / "secrets" / "k.key")
    assert config_check.refuses_to_start(config_check.check_all(nested, {}))


def test_environment_override_is_named_as_the_origin(tmp_path):
    config = config_with(tmp_path, key=None)
    env = {"RELAIS_MODERATION__REPORT_KEY_FILE": str(tmp_path / "data" / "k.key")}
    [problem] = config_check.check_all(config, env)
    assert problem.file == "RELAIS_MODERATION__REPORT_KEY_FILE"


def test_allowed_with_the_explicit_flag_in_file_or_environment(tmp_path):
    key = tmp_path / "data" / "report-hmac.key"
    assert config_check.check_all(config_with(tmp_path / "a", key=key, flag=True), {}) == []
    other = config_with(tmp_path / "b", key=tmp_path / "b" / "data" / "report-hmac.key")
    assert config_check.check_all(other, {"RELAIS_MODERATION__REPORT_KEY_IN_DATABASE_FOLDER": "true"}) == []
    elsewhere = config_with(tmp_path / "c", key=tmp_path / "secrets" / "report-hmac.key")
    assert config_check.check_all(elsewhere, {}) == []


def test_relais_check_and_run_refuse_to_start_with_exit_78(tmp_path):
    env = {
        "RELAIS_DATABASE__PATH": str(tmp_path / "data" / "relais.db"),
        "RELAIS_MODERATION__REPORT_KEY_FILE": str(tmp_path / "data" / "report-hmac.key"),
        "DISCORD_TOKEN": "not-used",
    }
    checked = relais("check", env=env)
    assert checked.returncode == 78, checked.stdout + checked.stderr
    assert "RELAIS_MODERATION__REPORT_KEY_FILE: la clé des signalements anonymes" in checked.stdout
    ran = relais("run", env=env, timeout=30)
    assert ran.returncode == 78, ran.stdout + ran.stderr
    assert "dossier de la base" in ran.stderr
    assert not (tmp_path / "data" / "report-hmac.key").exists(), "refused before creating anything"
    allowed = relais("check", env={**env, "RELAIS_MODERATION__REPORT_KEY_IN_DATABASE_FOLDER": "true"})
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
