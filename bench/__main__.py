"""One table for every measurement script.

    python -m bench                      # every script, full size
    python -m bench --quick              # every script, small sizes (a few minutes)
    python -m bench --only rsvp --only jobs --json figures.json

Each row: the figure, its value, the goal, the baseline measured in the same run, their ratio and
PASS/SHORT. Exit status 1 when a goal is missed, 2 when a script failed to run. The goals are set
for the full sizes: a quick run shows that everything runs, its verdicts say little (fixed costs
such as a database round trip weigh more against small baselines).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):  # `python bench/__main__.py`: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import SCRIPTS, Row, machine

Measure = Callable[[str], list[Row]]


def number(x: float | None) -> str:
    if x is None:
        return "—"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def verdict(row: Row) -> str:
    return "—" if row.passed is None else ("PASS" if row.passed else "SHORT")


def table(rows: Sequence[Row]) -> str:
    header = ("figure", "value", "goal", "baseline", "ratio", "")
    lines = [
        (
            f"{row.script}: {row.figure}",
            f"{number(row.value)} {row.unit}".strip(),
            row.goal or "—",
            number(row.baseline),
            number(row.ratio),
            verdict(row),
        )
        for row in rows
    ]
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]
    out = []
    for cells in [header, tuple("-" * w for w in widths), *lines]:
        out.append(
            "  ".join(
                cell.ljust(width) if i in (0, 2) else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()
        )
    return "\n".join(out)


def load(name: str) -> Measure:
    return importlib.import_module(f"bench.{name}").measure


def run(
    names: Sequence[str], size: str, *, loader: Callable[[str], Measure] = load, echo=print
) -> tuple[list[Row], list[str]]:
    """Every script's rows, in order; a script that raises is reported, the others still run."""
    rows: list[Row] = []
    failures: list[str] = []
    for name in names:
        echo(f"… {name} ({size})", file=sys.stderr, flush=True)
        began = time.perf_counter()
        try:
            rows += loader(name)(size)
        except Exception:
            failures.append(name)
            echo(f"{name} failed:\n{traceback.format_exc()}", file=sys.stderr)
        echo(f"  {name}: {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    return rows, failures


def report(rows: Sequence[Row], failures: Sequence[str], size: str) -> dict:
    return {
        "size": size,
        "machine": machine(),
        "rows": [row.as_dict() for row in rows],
        "failed_scripts": list(failures),
    }


def main(argv: Sequence[str] | None = None, *, loader: Callable[[str], Measure] = load) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", dest="size", action="store_const", const="quick", help="small sizes")
    sizes.add_argument("--full", dest="size", action="store_const", const="full", help="full sizes (default)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the rows to FILE")
    parser.add_argument(
        "--only", action="append", choices=SCRIPTS, metavar="NAME", help=f"one of {', '.join(SCRIPTS)}"
    )
    args = parser.parse_args(argv)
    size = args.size or "full"
    logging.basicConfig(level=logging.ERROR)
    rows, failures = run(args.only or SCRIPTS, size, loader=loader)
    about = machine()
    print(
        f"{size} run — {about['cpus']} CPU(s), {about['cpu']}, Python {about['python']}, "
        f"load average {about['load_average']}"
    )
    print(table(rows))
    for name in failures:
        print(f"{name}: FAILED (see the error above)")
    if args.json:
        args.json.write_text(json.dumps(report(rows, failures, size), ensure_ascii=False, indent=2) + "\n")
    if failures:
        return 2
    return 1 if any(row.passed is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
