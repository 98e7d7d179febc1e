"""Configuration files with characters or tags YAML refuses get a `file:line: problem — fix`
line, never a traceback (both were found by tests/unit/fuzz)."""

from __future__ import annotations

import pytest

from bot.core import yamlfile
from tests.helpers import copy_config


@pytest.mark.parametrize("text", ["\x1f", "titre: ok\nautre: \x07", "!0", "cle: !python/object:os.system x"])
def test_refused_characters_and_tags_are_problems(text):
    doc, problems = yamlfile.parse(text, "settings.yaml")
    assert doc.data is None
    assert len(problems) == 1 and problems[0].file == "settings.yaml"
    assert "YAML invalide" in problems[0].message and problems[0].hint


def test_relais_check_reports_a_control_character_in_settings(tmp_path, capsys):
    from bot.__main__ import main

    config = copy_config(tmp_path)
    settings = config / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\x1b\n", encoding="utf-8")
    assert main(["check", "--config", str(config)]) != 0
    err = capsys.readouterr()
    assert "settings.yaml" in err.err + err.out and "Traceback" not in err.err
