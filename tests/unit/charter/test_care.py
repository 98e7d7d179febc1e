"""Crisis lines: the shipped file is complete and dated; mistakes are reported with their line."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.charter import care
from bot.core.yamlfile import ConfigError
from tests.helpers import REPO

CONFIG = REPO / "config"
TODAY = dt.date(2026, 12, 1)


def test_required_countries_and_known_numbers() -> None:
    lines = care.load_crisis_lines(CONFIG, today=TODAY)
    codes = {c.code for c in lines.countries}
    assert {"be", "fr", "ch", "qc"} <= codes
    numbers = {line.number for c in lines.countries for line in c.lines}
    assert "0800 32 123" in numbers  # Belgium, Centre de Prévention du Suicide
    assert "3114" in numbers  # France
    for country in lines.countries:
        assert country.verified <= TODAY and country.source and country.emergency
    assert care.check_config(CONFIG, today=TODAY) == []


def test_ordered_puts_the_chosen_country_first() -> None:
    lines = care.load_crisis_lines(CONFIG, today=TODAY)
    assert lines.ordered("qc")[0].code == "qc"
    assert lines.ordered()[0].code == lines.default
    assert lines.country("zz").code == lines.default


def copy(tmp_path: Path, old: str, new: str) -> Path:
    target = tmp_path / "config"
    target.mkdir()
    shutil.copy(CONFIG / "crisis_lines.yaml", target / "crisis_lines.yaml")
    text = (target / "crisis_lines.yaml").read_text(encoding="utf-8")
    assert old in text
    (target / "crisis_lines.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_stale_verification_is_reported_but_does_not_stop_the_bot() -> None:
    later = TODAY + dt.timedelta(days=800)
    problems = care.check_config(CONFIG, today=later)
    assert problems and all("vérifiés depuis" in p.message for p in problems)
    assert care.load_crisis_lines(CONFIG, today=later).countries  # still usable


def test_missing_country_and_bad_number(tmp_path: Path) -> None:
    folder = copy(tmp_path, "  ch:\n", "  xx:\n")
    assert any("«ch» manque" in p.message for p in care.check_config(folder, today=TODAY))
    (tmp_path / "b").mkdir()
    folder2 = copy(tmp_path / "b", 'number: "3114"', 'number: "trois"')
    problems = care.check_config(folder2, today=TODAY)
    assert len(problems) == 1 and "aucun chiffre" in problems[0].message and problems[0].line > 1
    with pytest.raises(ConfigError):
        care.load_crisis_lines(folder2, today=TODAY)


def test_care_cooldown() -> None:
    cooldown = care.CareCooldown(seconds=100)
    assert cooldown.should_send(1, 2, at=0)
    assert not cooldown.should_send(1, 2, at=50)
    assert cooldown.should_send(1, 3, at=50)
    assert cooldown.should_send(1, 2, at=150)


def test_a_line_still_to_check_is_listed_whatever_its_date() -> None:
    notices = care.unverified_notices(CONFIG)
    named = " ".join(n.message for n in notices)
    for number in ("0800 32 123", "3114", "1813", "106", "143"):
        assert number in named
    assert all(n.line > 1 and n.file.endswith("crisis_lines.yaml") for n in notices)
    lines = care.load_crisis_lines(CONFIG, today=TODAY)
    assert not any(line.checked for c in lines.countries for line in c.lines)


def test_a_line_checked_by_a_person_is_no_longer_listed(tmp_path: Path) -> None:
    folder = copy(
        tmp_path,
        """        verified: false
        source: "notes du projet : À VÉRIFIER"
        description: "Écoute pour les personnes qui pensent au suicide""",
        """        verified: 2026-11-30
        source: "appel au 0800 32 123 le 30 novembre 2026"
        description: "Écoute pour les personnes qui pensent au suicide""",
    )
    assert not any("0800 32 123" in n.message for n in care.unverified_notices(folder))
    # …but the country's own source still says À VÉRIFIER for the lines that do not say otherwise
    assert any("107" in n.message for n in care.unverified_notices(folder))


def test_dutch_speaking_belgium_and_emergency_numbers() -> None:
    lines = care.load_crisis_lines(CONFIG, today=TODAY)
    be = lines.country("be")
    assert {"1813", "106", "107", "0800 32 123"} <= {line.number for line in be.lines}
    assert all(line.free is True for line in be.lines)
    assert "112" in be.emergency and "15" in lines.country("fr").emergency


def test_lines_to_verify_for_the_diagnostic(tmp_path: Path) -> None:
    shipped = care.load_crisis_lines(CONFIG, today=TODAY)
    # Nobody has confirmed the shipped numbers yet: every line is to verify.
    assert len(care.lines_to_verify(shipped, TODAY)) == sum(len(c.lines) for c in shipped.countries)
    assert "Télé-Accueil (be)" in care.lines_to_verify(shipped, TODAY)
    folder = copy(
        tmp_path,
        """        verified: false
        source: "notes du projet : À VÉRIFIER"
        description: "Écoute pour les personnes qui pensent au suicide""",
        """        verified: 2026-11-30
        source: "appel au 0800 32 123 le 30 novembre 2026"
        description: "Écoute pour les personnes qui pensent au suicide""",
    )
    checked = care.load_crisis_lines(folder, today=TODAY)
    assert "Centre de Prévention du Suicide (be)" not in care.lines_to_verify(checked, TODAY)
    # A year and a day later, the same confirmation is too old.
    later = dt.date(2027, 12, 1)
    assert "Centre de Prévention du Suicide (be)" in care.lines_to_verify(checked, later)
