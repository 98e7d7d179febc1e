"""config/resources.yaml, `relais check` for it, and the idempotent import / export CLI."""

from __future__ import annotations

import csv
import io

import yaml

from bot.__main__ import main
from bot.config_check import check_all
from bot.core.db import Database
from bot.resources import library as resources
from bot.resources.starter import (
    export_rows,
    import_library,
    load_library_file,
    parse_library,
    to_csv,
    to_yaml,
)
from tests.helpers import CONFIG, copy_config

G = 42


def test_shipped_library_is_valid_and_names_the_network():
    library, problems = load_library_file(CONFIG / "resources.yaml")
    assert problems == []
    assert len(library.library) >= 12
    titles = " ".join(e.title for e in library.library)
    for name in ("PAT", "CCOMS", "Psycom", "AFMSP", "Lancet", "En tant que telle", "Lyon"):
        assert name in titles
    assert {"rétablissement", "stigmatisation", "emploi", "logement", "intervision"} <= set(library.themes)


def test_mistakes_are_reported_with_file_and_line():
    text = (
        "library:\n"
        "  - url: https://a.org\n"
        "    title: A\n"
        "  - url: javascript:alert(1)\n"
        "    title: B\n"
        "  - url: https://c.org\n"
        "    title: C\n"
        "    type: recette\n"
        "  - url: http://A.org/#x\n"
        "    title: D\n"
        "    tittle: typo\n"
    )
    _, problems = parse_library(text, "resources.yaml")
    found = {(p.line, p.message.split(" ")[0]) for p in problems}
    assert (4, "«library.1.url»") in found
    assert (8, "«library.2.type»") in found
    assert any(p.line == 9 and "déjà présent" in p.message for p in problems)
    assert any(p.line == 11 and "tittle" in p.message and "title" in p.hint for p in problems)


def test_relais_check_reports_resources_yaml(tmp_path):
    config = copy_config(tmp_path)
    (config / "resources.yaml").write_text("library:\n  - url: pas-un-lien\n    title: X\n", encoding="utf-8")
    problems = check_all(config, {})
    assert any(p.file.endswith("resources.yaml") and p.line == 2 for p in problems)


async def test_import_twice_adds_nothing_and_respects_existing_shares(db):
    library, _ = load_library_file(CONFIG / "resources.yaml")
    draft = resources.make_draft(
        G, "https://www.psycom.org/?utm_source=x", title="Psycom (partagé)", author_id=7
    )
    await resources.share(db, draft, now=resources.timeutil.now())
    first = await import_library(db, G, library)
    assert first.added == len(library.library) - 1 and first.skipped == 1
    again = await import_library(db, G, library)
    assert again.added == 0 and again.skipped == len(library.library)
    assert await db.fetchval("SELECT COUNT(*) FROM resources WHERE guild_id = ?", (G,)) == len(
        library.library
    )
    found = await resources.search(db, G, "mediateur sante pair")
    assert found.resources


async def test_export_yaml_round_trips_and_csv_is_safe(db):
    library, _ = parse_library(
        "library:\n  - url: https://a.org\n    title: '=HYPERLINK(\"x\")'\n    themes: [emploi, logement]\n",
        "x.yaml",
    )
    await import_library(db, G, library)
    rows = await export_rows(db, G)
    again, problems = parse_library(to_yaml(rows), "export.yaml")
    assert (
        problems == []
        and again.library[0].url == "https://a.org"
        and again.library[0].themes == ("emploi", "logement")
    )
    table = list(csv.reader(io.StringIO(to_csv(rows))))
    assert table[0][:3] == ["guild_id", "id", "url"]
    assert table[1][3].startswith("'=")  # a spreadsheet will not run it as a formula


def test_cli_import_then_export(tmp_path, capsys, monkeypatch):
    db_path = tmp_path / "relais.db"
    monkeypatch.chdir(CONFIG.parent)
    code = main(["resources", "import", "config/resources.yaml", "--db", str(db_path), "--guild", str(G)])
    out = capsys.readouterr().out
    assert code == 0 and "ajoutée" in out
    assert (
        main(["resources", "import", "config/resources.yaml", "--db", str(db_path), "--guild", str(G)]) == 0
    )
    assert " 0 ressource(s) ajoutée(s)" in capsys.readouterr().out
    assert main(["resources", "export", "--format", "yaml", "--db", str(db_path)]) == 0
    exported = yaml.safe_load(capsys.readouterr().out)
    assert len(exported["library"]) >= 12
    assert main(["resources", "export", "--format", "csv", "--db", str(db_path), "--guild", str(G)]) == 0
    assert capsys.readouterr().out.startswith("guild_id,id,url")


def test_cli_import_without_guild_uses_the_only_known_one(tmp_path, capsys, monkeypatch):
    db_path = tmp_path / "relais.db"
    monkeypatch.chdir(CONFIG.parent)
    assert main(["resources", "import", "config/resources.yaml", "--db", str(db_path)]) == 1
    assert "--guild" in capsys.readouterr().err

    import asyncio

    async def seed() -> None:
        db = await Database.open(db_path)
        await db.execute(
            "INSERT INTO guild_channels (guild_id, purpose, channel_id) VALUES (?, 'ressources', 5)", (G,)
        )
        await db.close()

    asyncio.run(seed())
    assert main(["resources", "import", "config/resources.yaml", "--db", str(db_path)]) == 0
    assert f"Serveur {G}" in capsys.readouterr().out
