"""`relais sandbox` as a newcomer runs it: one command, a French transcript, exit 0."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.sandbox.cli import parse_line
from tests.helpers import REPO


def test_sandbox_plays_the_tour_and_exits_cleanly():
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_") and k != "DISCORD_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "▶ Léa découvre ce qu'elle peut faire : /aide" in out
    assert "◀ Relais (visible seulement par Léa)" in out
    assert "Fin de la visite" in out
    assert "Traceback" not in out + result.stderr
    assert "routes inconnues" not in result.stderr


def test_sandbox_accepts_an_interactive_session_on_stdin():
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_") and k != "DISCORD_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", "--interactive"],
        cwd=REPO,
        env=env,
        input="noah /a-propos\nnoah /nimporte\nquitter\n",
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "▶ Noah tape /a-propos" in result.stdout
    assert "latence" in result.stdout
    assert "⚠" in result.stdout  # the unknown command is explained, not fatal


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("lea /aide", ("lea", "aide", {})),
        ("ines /ressource chercher requete:podcast", ("ines", "ressource chercher", {"requete": "podcast"})),
        (
            'camille /config fuseau fuseau:"Europe/Paris"',
            ("camille", "config fuseau", {"fuseau": "Europe/Paris"}),
        ),
        (
            'ines /ressource chercher "requete:santé mentale"',
            ("ines", "ressource chercher", {"requete": "santé mentale"}),
        ),
    ],
)
def test_interactive_line_parsing(line, expected):
    assert parse_line(line) == expected


def test_interactive_line_without_command_is_explained():
    with pytest.raises(ValueError, match="membre /commande"):
        parse_line("bonjour")
