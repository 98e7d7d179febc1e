"""The sentences of issue 15, as members write them: distress noticed, ordinary talk left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.charter import automod
from bot.charter.charter import load_charter

CONFIG = Path(__file__).resolve().parents[3] / "config"
ENGINE = automod.Engine(load_charter(CONFIG))


def kinds(text: str) -> set[str]:
    return {h.rule.kind for h in ENGINE.check(text)}


@pytest.mark.parametrize(
    "text",
    [
        "Je n'en peux plus, j'ai envie d'en finir avec tout ça",
        "je pense au suicide tous les soirs",
        "je veux plus être là",
        "j'ai avalé toutes mes pilules",
        "je vais sauter du pont ce soir",
        "j'ai tout préparé, ce soir je vais le faire",
        "je me suis encore fait du mal hier soir",
        "jveu plu vivre",
    ],
)
def test_distress_is_noticed(text: str) -> None:
    assert "distress" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "Je me coupe du monde quand je suis fatiguée",
        "j'ai voulu mourir à 20 ans",
        "une personne que j'accompagne parle d'en finir",
        "mort de rire",
        "ce boulot me tue",
        "j'ai longtemps pensé que tout le monde serait mieux sans moi, je ne le pense plus",
    ],
)
def test_ordinary_talk_gets_no_care_message(text: str) -> None:
    assert "distress" not in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "En entretien on m'a demandé : quelle est votre pathologie ?",
        "Tu prends quoi comme pause le midi ?",
        "il me demandait si je prenais encore mon traitement",
        "elle me demandait tout le temps : t'es sûre de ne pas rechuter ?",
        "« quelle est ta pathologie ? » : ne jamais la poser",
    ],
)
def test_reported_or_ordinary_questions_get_no_reminder(text: str) -> None:
    assert "intrusive_question" not in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "quelle est ta pathologie ?",
        "tu prends quoi ?",
        "on t'a diagnostiqué quoi ?",
        "tu as déjà été interné ?",
        "tu consommes encore ?",
    ],
)
def test_intrusive_questions_are_noticed(text: str) -> None:
    assert "intrusive_question" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "Le mot « pute » est stigmatisant",
        "on m'a traitée de « salope » dans la rue",
        "le mot pédé a été réapproprié",
    ],
)
def test_a_discussed_word_is_never_deleted(text: str) -> None:
    hits = [h for h in ENGINE.check(text) if h.rule.kind == "keywords"]
    assert hits
    assert all(automod.effective_action(h) not in ("delete", "warn", "timeout") for h in hits)
    assert all(h.via == "quoted" for h in hits)


def test_an_insult_thrown_at_someone_is_still_seen() -> None:
    hits = [h for h in ENGINE.check("t'es vraiment un connard") if h.rule.kind == "keywords"]
    assert [h.via for h in hits] == ["text"]
