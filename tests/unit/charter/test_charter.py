"""The charter file: its content, its checks with file:line, acceptances and the version-bump flow."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import config_check
from bot.charter import automod
from bot.charter import charter as charter_module
from bot.charter.charter import load_charter
from bot.core.yamlfile import ConfigError
from tests.helpers import REPO

CONFIG = REPO / "config"


def test_shipped_charter_covers_every_topic() -> None:
    charter = load_charter(CONFIG)
    expected = {
        "bienveillance",
        "tour_de_parole",
        "respect_vecu",
        "confidentialite",
        "questions_intrusives",
        "conseils_medicaux",
        "publicite",
        "liste_contacts",
        "gouvernance",
        "recours",
        "prendre_soin",
    }
    assert expected <= {a.id for a in charter.articles}
    assert [a.number for a in charter.articles] == sorted(a.number for a in charter.articles)
    assert charter.article("confidentialite").title == "Confidentialité"
    assert charter.article("nope") is None
    # the charter says plainly that distress messages get a private care message
    assert "message privé" in charter.article("prendre_soin").text
    kinds = {r.kind for r in charter.rules}
    assert {
        "keywords",
        "intrusive_question",
        "distress",
        "invite_links",
        "mass_mentions",
        "flood",
        "repeated_message",
        "regex",
    } <= kinds


def test_relais_check_passes_on_shipped_config() -> None:
    assert charter_module.check_config(CONFIG) == []
    assert "bot.charter:check_config" in config_check.AREA_CHECKS


def broken_config(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of the config with one edit; returns the folder and the line of the edit."""
    target = tmp_path / "config"
    target.mkdir()
    shutil.copy(CONFIG / "charter.yaml", target / "charter.yaml")
    shutil.copy(CONFIG / "crisis_lines.yaml", target / "crisis_lines.yaml")
    text = (target / "charter.yaml").read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    (target / "charter.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return target, line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "article: publicite\n      kind: invite_links",
            "article: pub\n      kind: invite_links",
            "article inconnu «pub»",
        ),
        ("kind: flood", "kind: inondation", "genre de règle inconnu «inondation»"),
        ("action: flag", "action: punir", "action inconnue «punir»"),
        ('- "\\\\bcode\\\\s+promo\\\\b"', '- "(code"', "expression régulière invalide «(code»"),
        ("action: care", "action: delete", "une règle de détresse ne peut pas avoir l'action «delete»"),
        ("duration: 10m", "duration: 40j", "durée invalide «40j»"),
    ],
)
def test_problems_are_reported_with_file_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    folder, line = broken_config(tmp_path, old, new)
    problems = charter_module.check_config(folder)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert message in problem.message
    assert problem.file.endswith("charter.yaml")
    assert problem.line == line
    with pytest.raises(ConfigError):
        load_charter(folder)


def test_float_version_must_be_quoted(tmp_path: Path) -> None:
    folder, _ = broken_config(tmp_path, 'version: "2025-01"', "version: 2.10")
    problems = charter_module.check_config(folder)
    assert any("entre guillemets" in p.hint for p in problems)


def test_parse_duration() -> None:
    assert charter_module.parse_duration("10m") == 600
    assert charter_module.parse_duration("2h") == 7200
    assert charter_module.parse_duration("3j") == 3 * 86400
    assert charter_module.parse_duration("abc") is None
    assert charter_module.parse_duration("0m") is None


# -- acceptances and version bumps --------------------------------------------------------------------------
GUILD = 1


async def test_acceptance_is_recorded_once(db) -> None:
    assert await charter_module.record_acceptance(db, GUILD, 100, "v1", at=10.0)
    assert not await charter_module.record_acceptance(db, GUILD, 100, "v1", at=11.0)  # double click
    latest = await charter_module.latest_acceptance(db, GUILD, 100)
    assert latest.version == "v1" and latest.accepted_at == 10.0
    assert await charter_module.has_accepted(db, GUILD, 100, "v1")
    assert not await charter_module.has_accepted(db, GUILD + 1, 100, "v1")


async def test_version_bump_flow(db) -> None:
    # First sight of the guild: no bump, nobody to tell.
    assert await charter_module.observe_version(db, GUILD, "v1") is None
    for user in (100, 101, 102):
        await charter_module.record_acceptance(db, GUILD, user, "v1")
    assert await charter_module.observe_version(db, GUILD, "v1") is None
    # The charter changes: those who accepted v1 are to be told, once.
    assert await charter_module.observe_version(db, GUILD, "v2") == "v1"
    await charter_module.record_acceptance(db, GUILD, 102, "v2")  # already re-accepted: not told
    pending = await charter_module.pending_notices(db, GUILD, "v2")
    assert pending == [100, 101]
    assert await charter_module.claim_notice(db, GUILD, 100, "v2")
    assert not await charter_module.claim_notice(db, GUILD, 100, "v2")  # never twice
    await charter_module.set_notice_channel(db, GUILD, 100, "v2", "dm")
    assert await charter_module.pending_notices(db, GUILD, "v2") == [101]
    # Re-accepting records the new version; the old acceptance stays as history.
    await charter_module.record_acceptance(db, GUILD, 101, "v2")
    assert await charter_module.pending_notices(db, GUILD, "v2") == []
    assert await charter_module.acceptance_counts(db, GUILD) == {"v1": 3, "v2": 2}
    # Another guild is untouched.
    assert await charter_module.pending_notices(db, GUILD + 1, "v2") == []


async def test_one_welcome_per_member(db) -> None:
    assert await charter_module.claim_welcome(db, GUILD, 100)
    assert not await charter_module.claim_welcome(db, GUILD, 100)
    assert await charter_module.claim_welcome(db, GUILD + 1, 100)


async def test_automod_action_claimed_once(db) -> None:
    assert await charter_module.claim_automod_action(db, GUILD, 555, "insultes", 100, 10, "delete")
    assert not await charter_module.claim_automod_action(db, GUILD, 555, "insultes", 100, 10, "delete")
    assert await charter_module.claim_automod_action(db, GUILD, 555, "flood", 100, 10, "timeout")


def test_pages_and_find() -> None:
    charter = load_charter(CONFIG)
    pages = charter_module.pages(charter, per_page=3)
    assert sum(len(p) for p in pages) == len(charter.articles)
    assert [a.id for a in charter_module.find_articles(charter, "confid")] == ["confidentialite"]
    assert [a.id for a in charter_module.find_articles(charter, "4")] == ["confidentialite"]


# -- patterns that could stall the bot -----------------------------------------------------------------
@pytest.mark.parametrize(
    "pattern",
    [
        "(a+)+$",
        "^(\\\\w+\\\\s?)*$",
        "(x{1,5}){2,}y",
        "(?:(?:ab)*c?)+z",
    ],
)
def test_a_catastrophic_pattern_is_refused_with_its_line(tmp_path: Path, pattern: str) -> None:
    folder, line = broken_config(tmp_path, '- "\\\\bcode\\\\s+promo\\\\b"', f'- "{pattern}"')
    problems = charter_module.check_config(folder)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.line == line and problem.file.endswith("charter.yaml")
    assert "expression régulière dangereuse" in problem.message
    assert "réécrire" in problem.hint
    with pytest.raises(ConfigError):
        load_charter(folder)


def test_a_slow_pattern_without_nesting_is_refused_by_the_probe() -> None:
    # No nested quantifier, but alternatives that overlap under a repetition: exponential all the same.
    assert automod.pattern_risk("^(a|a)*$") is not None
    assert automod.pattern_risk("^(a|aa)+$") is not None


@pytest.mark.parametrize(
    "pattern",
    [
        "\\bcode\\s+promo\\b",
        "\\b(crypto|bitcoin|forex)\\b.{0,40}\\b(investi|gagn|rendement)",
        "\\btu\\s+(devrais|dois)\\s+(arreter|prendre)\\s+(ton|tes|du)\\s+\\w+",
        "\\d{2}(\\s?\\d{2}){4}",
        "\\bgagne[rz]?\\s+(de\\s+l'argent|\\d+\\s*(€|euros?))",
    ],
)
def test_ordinary_patterns_are_accepted(pattern: str) -> None:
    assert automod.pattern_risk(pattern) is None


def test_regex_rules_see_a_bounded_part_of_a_long_message() -> None:
    engine = automod.Engine(load_charter(CONFIG))
    ids = {h.rule.id for h in engine.check("code promo " + "a" * 100_000)}
    assert "publicite" in ids
    # beyond the cap the regex rules do not look (Discord messages are 4,000 characters at most)
    far = "b " * (automod.REGEX_INPUT_LIMIT // 2) + "code promo"
    assert len(far) > automod.REGEX_INPUT_LIMIT
    assert "publicite" not in {h.rule.id for h in engine.check(far)}
    # an adversarial message for the shipped rules returns (and would return quickly even if long)
    assert engine.check("a" * 200_000 + "!") == []


async def test_last_published_version_is_the_latest_publication_of_this_guild(db) -> None:
    assert await charter_module.last_published_version(db, GUILD) is None
    await charter_module.record_publication(db, GUILD, "v1", 10, 11)
    await charter_module.record_publication(db, GUILD, "v2", 10, 12)
    await charter_module.record_publication(db, GUILD + 1, "v9", 20, 21)
    assert await charter_module.last_published_version(db, GUILD) == "v2"
    assert await charter_module.last_published_version(db, GUILD + 1) == "v9"
