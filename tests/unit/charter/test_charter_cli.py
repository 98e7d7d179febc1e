"""``relais charter test``: what a moderator tuning the charter sees."""

from __future__ import annotations

from bot.__main__ import main


def test_charter_test_explains_hits(capsys) -> None:
    assert main(["charter", "test", "Quelle est ta pathologie, espèce de c0nn4rd ?"]) == 0
    out = capsys.readouterr().out
    assert "règle « insultes » (keywords)" in out
    assert "trouvé : « connard »" in out
    assert "règle « questions_intrusives » (intrusive_question)" in out
    assert "article 5" in out
    assert "la plus forte, celle de « insultes »" in out


def test_charter_test_nothing(capsys) -> None:
    assert main(["charter", "test", "Bonjour", "à", "tous"]) == 0
    assert "Aucune règle déclenchée." in capsys.readouterr().out


def test_charter_test_reports_a_broken_charter(tmp_path, capsys) -> None:
    (tmp_path / "charter.yaml").write_text("version: 1\n", encoding="utf-8")
    assert main(["charter", "test", "--config", str(tmp_path), "x"]) == 2
    assert "charter.yaml" in capsys.readouterr().err
