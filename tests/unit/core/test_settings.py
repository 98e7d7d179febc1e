from __future__ import annotations

from pathlib import Path

import pytest

from bot import config_check
from bot.core import settings
from bot.core.yamlfile import ConfigError
from tests.helpers import CONFIG, copy_config


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "settings.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def problems_for(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        settings.load(write(tmp_path, text), env or {})
    return [str(p) for p in caught.value.problems]


def test_shipped_settings_load_with_documented_defaults():
    loaded = settings.load(CONFIG, {})
    assert loaded.general.locale == "fr"
    assert loaded.general.timezone == "Europe/Brussels"
    assert loaded.discord.api_base_url == settings.DEFAULT_API_BASE_URL
    assert loaded.config_dir == CONFIG


def test_typo_in_key_names_file_line_and_suggestion(tmp_path):
    [message] = problems_for(tmp_path, "general:\n  locale: fr\n  timezon: Europe/Paris\n")
    assert message.endswith(
        "settings.yaml:3: clé inconnue «timezon» dans general — vouliez-vous écrire «timezone» ?"
    )


def test_wrong_type_names_the_expected_type(tmp_path):
    [message] = problems_for(tmp_path, "database:\n  path: data/x.db\nsupervisor:\n  backoff_initial: vite\n")
    assert "settings.yaml:4:" in message
    assert "écrire un nombre" in message


def test_bad_timezone_is_reported_with_an_example(tmp_path):
    [message] = problems_for(tmp_path, "general:\n  timezone: Europe/Bruxelles\n")
    assert "settings.yaml:2:" in message
    assert "Europe/Bruxelles" in message and "Europe/Brussels" in message


def test_every_problem_is_reported_not_only_the_first(tmp_path):
    messages = problems_for(tmp_path, "general:\n  locale: de\nlogging:\n  level: LOUD\nunknown: 1\n")
    assert len(messages) == 3
    assert (
        any(":2:" in m for m in messages)
        and any(":4:" in m for m in messages)
        and any(":5:" in m for m in messages)
    )


def test_duplicate_key_and_syntax_errors(tmp_path):
    assert "écrite deux fois" in problems_for(tmp_path, "general:\n  locale: fr\n  locale: en\n")[0]
    assert "YAML invalide" in problems_for(tmp_path, "general: [\n")[0]


def test_environment_overrides_any_key_with_its_type(tmp_path):
    loaded = settings.load(
        write(tmp_path, ""),
        {
            "RELAIS_DATABASE__PATH": "/tmp/other.db",
            "RELAIS_LOGGING__LEVEL": "DEBUG",
            "RELAIS_DISCORD__SHARD_COUNT": "2",
            "RELAIS_COGS__ENABLED": "[admin]",
            "RELAIS_FEATURES__WELCOME_MESSAGE": "false",
        },
    )
    assert loaded.database.path == "/tmp/other.db"
    assert loaded.logging.level == "DEBUG"
    assert loaded.discord.shard_count == 2
    assert loaded.cogs.enabled == ("admin",)
    assert loaded.features.welcome_message is False


def test_bad_environment_override_names_the_variable(tmp_path):
    messages = problems_for(
        tmp_path,
        "",
        {"RELAIS_GENERAL__TIMEZONE": "Mars/Base", "RELAIS_NOPE__X": "1", "RELAIS_LOGGING__LEVL": "DEBUG"},
    )
    assert any(m.startswith("RELAIS_GENERAL__TIMEZONE: ") for m in messages)
    assert any(m.startswith("RELAIS_NOPE__X: section inconnue") for m in messages)
    assert any(m.startswith("RELAIS_LOGGING__LEVL: clé inconnue") for m in messages)


def test_settings_are_immutable():
    loaded = settings.load(CONFIG, {})
    with pytest.raises(AttributeError):
        loaded.general.locale = "en"  # type: ignore[misc]


def test_token_from_environment_or_file(tmp_path):
    loaded = settings.load(CONFIG, {})
    assert settings.load_token(loaded, {"DISCORD_TOKEN": " abc "}) == "abc"
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    with_file = settings.load(CONFIG, {"RELAIS_DISCORD__TOKEN_FILE": str(token_file)})
    assert settings.load_token(with_file, {}) == "from-file"
    with pytest.raises(settings.MissingToken):
        settings.load_token(loaded, {})


def test_check_all_accepts_shipped_config_and_rejects_a_broken_locale(tmp_path):
    assert config_check.check_all(CONFIG, {}) == []
    config = copy_config(tmp_path)
    en = config / "locales" / "en" / "core.yaml"
    en.write_text(en.read_text().replace("{seconds} s", "{secs} s"), encoding="utf-8")
    [problem] = config_check.check_all(config, {})
    assert problem.file.endswith("en/core.yaml") and "core.errors.cooldown" in problem.message
    assert "{seconds}" in problem.hint


def test_yaml_keys_that_look_like_booleans_stay_names():
    from bot.core import yamlfile

    document, problems = yamlfile.parse(
        "reminders:\n  on: Rappels activés\n  off: Rappels désactivés\nflag: off\n", "x.yaml"
    )
    assert problems == []
    assert document.data == {
        "reminders": {"on": "Rappels activés", "off": "Rappels désactivés"},
        "flag": False,
    }
