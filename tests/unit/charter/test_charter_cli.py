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


def test_charter_test_file_prints_figures_and_misclassified_lines(tmp_path, capsys) -> None:
    labelled = tmp_path / "essai.tsv"
    labelled.write_text(
        "# un commentaire\n"
        "distress\tje veux mourir\n"
        "intrusive\tquelle est ta pathologie ?\n"
        "none\tmort de rire\n"
        "none\tbonjour à toutes et à tous\n",
        encoding="utf-8",
    )
    assert main(["charter", "test", "--file", str(labelled)]) == 0
    out = capsys.readouterr().out
    assert "4 phrases" in out
    assert "distress   (distress) : rappel 1.000 (1/1)  précision 1.000" in out
    assert "intrusive  (intrusive_question) : rappel 1.000 (1/1)" in out


def test_charter_test_file_names_the_rule_behind_a_false_alarm(tmp_path, capsys) -> None:
    labelled = tmp_path / "essai.tsv"
    labelled.write_text("none\tT'es vraiment un connard\ndistress\tbonjour\nbad line\n", encoding="utf-8")
    assert main(["charter", "test", "--file", str(labelled)]) == 1
    captured = capsys.readouterr()
    assert "essai.tsv:1 [none]  T'es vraiment un connard  ← insultes : « connard »" in captured.out
    assert "distress manqués (1)" in captured.out
    assert "essai.tsv:3" in captured.err


def test_charter_test_file_missing(tmp_path, capsys) -> None:
    assert main(["charter", "test", "--file", str(tmp_path / "absent.tsv")]) == 2
    assert "Vérifiez le chemin" in capsys.readouterr().err


def test_relais_check_lists_the_crisis_lines_still_to_check(capsys) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "À vérifier par une personne" in out
    assert "« Zelfmoordlijn (en néerlandais) » (1813) n'a pas été vérifiée par une personne" in out
    assert "Configuration valide" in out
