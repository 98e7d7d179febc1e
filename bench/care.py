"""Care and intrusive-question rules measured on the shipped labelled corpora (``tests/data/care/``).

Prints, per rule kind, recall, precision and false alarms on ordinary messages, with the default
charter (``config/charter.yaml``). Goals: distress recall >= 0.95 with false alarms <= 2 %;
intrusive questions recall >= 0.90 with false alarms <= 2 %; no ordinary message deleted.

    python bench/care.py [--details] [--config DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.charter import evaluate
from bot.charter.charter import load_charter

ROOT = Path(__file__).resolve().parent.parent
# (corpus kind, recall at least, false alarms on ordinary messages at most)
GOALS = {"distress": (0.95, 0.02), "intrusive": (0.90, 0.02)}


def measure(size: str = "full", config: Path = ROOT / "config") -> list:
    """The runner's rows (the corpora are small: both sizes run them whole)."""
    from bench import figure

    samples, problems = evaluate.load(evaluate.shipped_corpora())
    if problems:
        raise ValueError("; ".join(problems))
    report = evaluate.evaluate(load_charter(config), samples)
    rows = []
    for name, score in report.scores.items():
        recall_goal, alarm_goal = GOALS.get(name, (None, None))
        rows.append(
            figure(
                "care",
                f"{name} recall",
                score.recall,
                "",
                goal=("≥", recall_goal) if recall_goal else None,
                on_ratio=False,
            )
        )
        rows.append(
            figure(
                "care",
                f"{name} false alarms",
                score.false_alarm_rate * 100,
                "%",
                goal=("≤", alarm_goal * 100) if alarm_goal else None,
                on_ratio=False,
            )
        )
    rows.append(
        figure("care", "ordinary messages deleted", len(report.harmful), "", goal=("=", 0), on_ratio=False)
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--details", action="store_true", help="also print the misclassified lines")
    parser.add_argument("--config", type=Path, default=ROOT / "config")
    args = parser.parse_args(argv)
    charter = load_charter(args.config)
    samples, problems = evaluate.load(evaluate.shipped_corpora())
    for problem in problems:
        print(problem, file=sys.stderr)
    report = evaluate.evaluate(charter, samples)
    for line in evaluate.summary_lines(report):
        print(line)
    if args.details:
        for line in evaluate.detail_lines(report):
            print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
