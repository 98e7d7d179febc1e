"""Every command the documentation names exists, with the options it names.

The guides are read by coordinators who type what they see: a slash command or an option renamed in
a cog, or a ``relais`` sub-command or flag that was never there, must fail here rather than on a
Sunday evening. Slash commands are checked against the command tree snapshot (French names and
their English localisations); ``relais …`` against the real argument parser.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
from pathlib import Path

import pytest

from bot.__main__ import build_parser

ROOT = Path(__file__).resolve().parents[3]
DOCS = sorted([ROOT / "README.md", ROOT / "PRIVACY.md", *(ROOT / "docs").glob("*.md")])
SPAN = re.compile(r"`([^`\n]+)`")
PLACEHOLDER = "…"


FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.M | re.S)
# In a shell block: « relais … » at the start of a line, or run through its full path (…/bin/relais …).
SHELL_RELAIS = re.compile(r"^\s*(?:\S*/bin/)?(relais [^\\\n]*)", re.M)


def _spans(prefix: str) -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for span in SPAN.findall(text):
            if span.startswith(prefix):
                found.append((path.name, span.replace("\\|", "|")))
        if prefix == "relais ":
            for block in FENCE.findall(text):
                found += [(path.name, line.strip()) for line in SHELL_RELAIS.findall(block)]
    return found


# -- slash commands ---------------------------------------------------------------------------------
def _names(item: dict) -> set[str]:
    return {item["name"], *(item.get("name_localizations") or {}).values()}


def _slash_tree() -> list[dict]:
    return json.loads((ROOT / "tests" / "data" / "command_tree.json").read_text(encoding="utf-8"))


def _find(items: list[dict], word: str) -> dict | None:
    return next((item for item in items if word in _names(item)), None)


def slash_problem(text: str, tree: list[dict]) -> str | None:
    words = text[1:].split(" ")
    head = words[0]
    if not head or "/" in head:
        return None  # « `/` » alone, or a path such as /etc/relais
    # « /config salon|role »: each alternative is checked as if written alone.
    alternatives = [w for w in words[1:2] if "|" in w]
    if alternatives:
        problems = [
            slash_problem(" ".join(["/" + head, alt, *words[2:]]), tree) for alt in alternatives[0].split("|")
        ]
        return next((p for p in problems if p), None)
    command = _find(tree, head)
    if command is None:
        return f"no command /{head}"
    rest = words[1:]
    while rest:
        subs = [o for o in command.get("options", []) if o.get("type") in (1, 2)]
        if not subs:
            break
        if rest[0] == PLACEHOLDER:
            return None
        sub = _find(subs, rest[0])
        if sub is None:
            return f"/{head}: no sub-command {rest[0]!r}"
        command, rest = sub, rest[1:]
    options = [o for o in command.get("options", []) if o.get("type") not in (1, 2)]
    option_names = set().union(*(_names(o) for o in options)) if options else set()
    choices = {str(c["value"]) for o in options for c in o.get("choices", [])} | {
        n for o in options for c in o.get("choices", []) for n in _names(c)
    }
    expect_value = False
    for word in rest:
        bare = word.strip("[]")
        if ":" in bare:
            name = bare.split(":", 1)[0]
            if name not in option_names:
                return f"{text!r}: no option {name!r}"
            expect_value = False
        elif bare.endswith(PLACEHOLDER) or bare in option_names or bare in choices:
            continue
        elif expect_value or not word.startswith("["):
            # A value typed after « option: » spans spaces (« usage:Ressources partagées »).
            if any(":" in w for w in rest):
                continue
            return f"{text!r}: {bare!r} is neither an option nor a choice"
        else:
            return f"{text!r}: no option {bare!r}"
    return None


@pytest.mark.parametrize("where,text", _spans("/"))
def test_documented_slash_command_exists(where: str, text: str) -> None:
    assert slash_problem(text, _slash_tree()) is None, where


def test_the_slash_check_catches_a_wrong_option() -> None:
    tree = _slash_tree()
    assert slash_problem("/intervision rappels actif:oui", tree) is None
    assert slash_problem("/intervision rappels active:oui", tree) is not None
    assert slash_problem("/config nettoyer", tree) is not None
    assert slash_problem("/offre liste [region] [departement]", tree) is not None


# -- the relais command line ------------------------------------------------------------------------
def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def relais_problem(text: str, parser: argparse.ArgumentParser) -> str | None:
    try:
        words = shlex.split(text.replace("|", " "))
    except ValueError:
        words = text.split()
    words = words[1:]
    current, path = parser, "relais"
    while words and _subparsers(current):
        word = words[0]
        if word.startswith("-") or word in (PLACEHOLDER, "<cmd>") or not re.fullmatch(r"[a-z-]+", word):
            break
        sub = _subparsers(current).get(word)
        if sub is None:
            return f"{text!r}: no sub-command {path} {word}"
        current, path, words = sub, f"{path} {word}", words[1:]
    flags = {flag for action in current._actions for flag in action.option_strings}
    for word in words:
        flag = word.strip("[]").split("=", 1)[0]
        if flag.startswith("--") and flag not in flags:
            return f"{text!r}: {path} has no {flag}"
    return None


@pytest.mark.parametrize("where,text", [(w, t) for w, t in _spans("relais ") if t.split()[1:2]])
def test_documented_relais_command_exists(where: str, text: str) -> None:
    assert relais_problem(text, build_parser()) is None, where


def test_the_relais_check_catches_a_wrong_flag() -> None:
    parser = build_parser()
    assert relais_problem("relais db restore FICHIER --config /etc/relais", parser) is None
    assert relais_problem("relais db restore FICHIER --database x.db", parser) is not None
    assert relais_problem("relais db rollback", parser) is not None
