"""The default charter measured on the shipped labelled corpora (``tests/data/care/``).

Each figure must stay at or above the level reached (``bench/care.py`` prints them): a change to
the matcher or to ``config/charter.yaml`` cannot silently miss more distress or hurt more people.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.charter import evaluate
from bot.charter.charter import load_charter

CONFIG = Path(__file__).resolve().parents[3] / "config"
# label: (minimum recall, minimum precision, maximum false alarms on ordinary messages)
# Before the work of issue 15: distress recall 0.376, intrusive 0.526, 12 ordinary messages deleted.
FLOORS = {
    "distress": (0.995, 1.0, 0.0),
    "intrusive": (1.0, 1.0, 0.0),
    "insult": (0.975, 0.764, 0.030),
}
MAX_HARMFUL = 0
MIN_LINES = 600


@pytest.fixture(scope="module")
def report() -> evaluate.Report:
    samples, problems = evaluate.load(evaluate.shipped_corpora())
    assert problems == []
    return evaluate.evaluate(load_charter(CONFIG), samples)


def test_corpora_are_large_and_labelled() -> None:
    samples, problems = evaluate.load(evaluate.shipped_corpora())
    assert problems == []
    assert len(samples) >= MIN_LINES
    assert {s.label for s in samples} == set(evaluate.LABELS)
    texts = [s.text for s in samples]
    assert len(texts) == len(set(texts)), "a sentence appears twice in the corpora"


@pytest.mark.parametrize("label", sorted(FLOORS))
def test_figures_stay_above_their_floor(report: evaluate.Report, label: str) -> None:
    recall, precision, false_alarms = FLOORS[label]
    score = report.scores[label]
    detail = "\n".join(evaluate.detail_lines(report))
    assert score.recall >= recall, detail
    assert score.precision >= precision, detail
    assert score.false_alarm_rate <= false_alarms, detail


def test_ordinary_messages_are_not_deleted(report: evaluate.Report) -> None:
    assert len(report.harmful) <= MAX_HARMFUL, "\n".join(evaluate.detail_lines(report))
