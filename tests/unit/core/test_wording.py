"""One way to say each thing in what members read: numbers, inclusive writing, terms, command names.

The catalogs (``config/locales``) and the French texts of ``config/charter.yaml`` and
``config/crisis_lines.yaml`` are scanned, so a new text cannot bring back « N°12 », « auteur.e »,
« timeout » or, in English, a French command name. Typography (no-break spaces) is not checked
here: ``bot.core.typography`` adds it where texts are rendered.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from bot.core import i18n
from tests.helpers import CONFIG, REPO

CATALOG = i18n.Catalog.load(CONFIG)
# What is not prose: code, URLs, placeholders, Discord markup.
NOT_PROSE = re.compile(r"`[^`]*`|https?://\S+|\{[^{}]*\}|<[^<>\s]+>")


def _charter_and_crisis_texts() -> dict[str, str]:
    texts: dict[str, str] = {}
    charter = yaml.safe_load((CONFIG / "charter.yaml").read_text(encoding="utf-8"))
    texts["charter.title"] = charter["title"]
    texts["charter.preamble"] = charter["preamble"]
    for article in charter["articles"]:
        texts[f"charter.{article['id']}.title"] = article["title"]
        texts[f"charter.{article['id']}.text"] = article["text"]
    for rule in charter["automod"]["rules"]:
        if rule.get("notice"):
            texts[f"charter.automod.{rule['id']}.notice"] = rule["notice"]
    crisis = yaml.safe_load((CONFIG / "crisis_lines.yaml").read_text(encoding="utf-8"))
    for code, country in crisis["countries"].items():
        for index, line in enumerate(country.get("lines", [])):
            for key in ("name", "hours", "description"):
                if line.get(key):
                    texts[f"crisis.{code}.{index}.{key}"] = str(line[key])
    return texts


FRENCH = {**CATALOG.texts["fr"], **_charter_and_crisis_texts()}


def _prose(text: str) -> str:
    return NOT_PROSE.sub(" ", text)


def _offending(texts: dict[str, str], pattern: re.Pattern[str]) -> list[str]:
    return [f"{key}: {m.group(0)!r}" for key, text in texts.items() for m in pattern.finditer(_prose(text))]


# « n° 12 », never « N°12 », « n°12 », « No 12 », « num. 12 » or « #12 » (a #channel is not a number).
NUMBER_SPELLINGS = re.compile(
    r"\bN°|n°(?=\S)|\bN[oº]\.? ?(?=\d)|\bnum\. ?(?=\d)|\bnuméro ?(?=\d)|(?<![\w<&@])#(?=\d)"
)


def test_numbers_are_written_n_degree_space():
    # « n°{id} » renders « n°12 »: judged without the braces.
    unbraced = {key: value.replace("{", "").replace("}", "") for key, value in FRENCH.items()}
    assert _offending(unbraced, NUMBER_SPELLINGS) == []
    # Not even as code: « `#{id}` » reads as a channel, « `n° {id}` » as a number. A channel's own
    # name (« #{name} », one the setup assistant is about to create) is a channel and stays.
    number_as_channel = re.compile(r"(?<![<&@\w])#\{(?!name\}|channel\})")
    assert [key for key, value in FRENCH.items() if number_as_channel.search(value)] == []


# Inclusive writing: the middle dot, once, plural « ·es » (pair-aidant·e, pair-aidant·es, tou·tes);
# never a full stop, a bullet, a hyphen, a slash or brackets, never two dots (« ·e·s »).
OTHER_INCLUSIVE_MARKS = re.compile(
    r"\w(?:[.•⋅‧/]|\()(?:e|es|rice|rices|euse|euses|le|les|ne|nes|te|tes|ve|ves)\b\)?(?!\w)"
    r"|\w-(?:e|es|rice|rices|euse|euses)(?:-s)?\b"  # not -le, -les: « Choisissez-le » is a pronoun
    r"|\w·(?:e|te|le|ne|rice|euse)·s\b"
)
# One form for each word with several inclusive spellings.
INCLUSIVE_SPELLINGS = {"auteur·e": "auteur·rice", "auteur·es": "auteur·rices"}


def test_inclusive_writing_uses_one_convention():
    assert _offending(FRENCH, OTHER_INCLUSIVE_MARKS) == []
    for wrong, right in INCLUSIVE_SPELLINGS.items():
        pattern = re.compile(rf"\b{re.escape(wrong)}\b", re.IGNORECASE)
        assert _offending(FRENCH, pattern) == [], f"écrire « {right} »"


# A Discord timeout is a « suspension temporaire », in every text.
TIMEOUT_SYNONYMS = re.compile(
    r"\btime-?outs?\b|\bmute[sd]?\b|\bsourdine\b|\bexclusions? temporaires?\b|\bexclu·?e?s? temporairement\b"
    r"|\bsuspensions?\b(?! temporaires?)",
    re.IGNORECASE,
)


def test_a_timeout_is_a_suspension_temporaire_everywhere():
    assert _offending(FRENCH, TIMEOUT_SYNONYMS) == []


def _command_paths() -> dict[str, str]:
    """Each slash command's French path and the English one the Translator gives Discord."""
    tree = json.loads((REPO / "tests" / "data" / "command_tree.json").read_text(encoding="utf-8"))
    paths: dict[str, str] = {}

    def walk(french: str, english: str, node: dict) -> None:
        french = f"{french} {node['name']}".strip()
        english = f"{english} {(node.get('name_localizations') or {}).get('en-US', node['name'])}".strip()
        paths[french] = english
        for option in node.get("options", []):
            if option.get("type") in (1, 2):
                walk(french, english, option)

    for command in tree:
        if command.get("type", 1) == 1:
            walk("", "", command)
    return paths


COMMAND_MENTION = re.compile(r"(?<![\w/.:])/([a-z][a-z0-9-]*(?: [a-z][a-z0-9-]*){0,2})")


def _named_commands(text: str, paths: dict[str, str]) -> list[str]:
    """The command paths ``text`` names (``/offre liste les montre`` → ``offre liste``)."""
    named = []
    for match in COMMAND_MENTION.finditer(text):
        words = match.group(1).split()
        for size in range(len(words), 0, -1):
            if " ".join(words[:size]) in paths:
                named.append(" ".join(words[:size]))
                break
    return named


def test_english_texts_name_the_english_commands():
    paths = _command_paths()
    french_only = {fr: en for fr, en in paths.items() if fr != en}
    wrong = [
        f"{key}: /{name} (en anglais /{french_only[name]})"
        for key, text in CATALOG.texts["en"].items()
        for name in _named_commands(text, paths)
        if name in french_only
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Cas N°12 clos", True),
        ("le cas n°{number}", True),
        ("offre #12", True),
        ("dans <#12> ou #general", False),
        ("cas n° 12", False),
        ("Son auteur.e", True),
        ("inscrit(e)s", True),
        ("ami-e-s", True),
        ("Choisissez-le, puis lancez-les", False),
        ("tou·te·s", True),
        ("3 place(s) libre(s)", False),
        ("une mise en sourdine", True),
        ("la suspension prend fin", True),
        ("la suspension temporaire prend fin", False),
    ],
)
def test_the_checks_catch_what_they_are_for(text, found):
    texts = {"k": text}
    caught = bool(
        _offending({"k": text.replace("{", "").replace("}", "")}, NUMBER_SPELLINGS)
        or _offending(texts, OTHER_INCLUSIVE_MARKS)
        or _offending(texts, TIMEOUT_SYNONYMS)
        or any(_offending(texts, re.compile(rf"\b{re.escape(w)}\b")) for w in INCLUSIVE_SPELLINGS)
    )
    assert caught == found
