"""Measurement scripts (they print figures; they are not tests).

Each script compares what it measures with a baseline measured in the same run, so that a busy
machine slows both sides alike. Each one exposes ``measure(size) -> list[Row]`` for the runner
(``python -m bench``) and stays runnable alone (``python bench/<name>.py``) with its detailed output.
"""

from __future__ import annotations

import operator
import os
import platform
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

SIZES = ("quick", "full")
SCRIPTS = ("automod", "care", "e2e", "jobs", "rsvp", "search", "timers", "scale")

_COMPARE = {"≥": operator.ge, "≤": operator.le, "<": operator.lt, "=": operator.eq}


@dataclass(frozen=True)
class Row:
    """One figure of one script. ``ratio`` is value / baseline unless the script says otherwise in
    the figure's name; ``passed`` is None for a figure shown for information, without a goal."""

    script: str
    figure: str
    value: float
    unit: str
    goal: str = ""
    baseline: float | None = None
    ratio: float | None = None
    passed: bool | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def figure(
    script: str,
    name: str,
    value: float,
    unit: str,
    *,
    baseline: float | None = None,
    ratio: float | None = None,
    goal: tuple[str, float] | None = None,
    on_ratio: bool = True,
) -> Row:
    """A row judged against ``goal`` — e.g. ``("≥", 0.8)`` — applied to the ratio (or to the value
    with ``on_ratio=False``)."""
    if ratio is None and baseline:
        ratio = value / baseline
    if goal is None:
        return Row(script, name, value, unit, "", baseline, ratio)
    sign, bound = goal
    judged = ratio if on_ratio else value
    text = f"ratio {sign} {bound:g}" if on_ratio else f"{sign} {bound:g} {unit}".rstrip()
    passed = judged is not None and _COMPARE[sign](judged, bound)
    return Row(script, name, value, unit, text, baseline, ratio, passed)


def machine() -> dict[str, str | int]:
    """What the figures were measured on: they mean little without it."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return {
        "cpus": os.cpu_count() or 0,
        "cpu": model,
        "python": sys.version.split()[0],
        "system": f"{platform.system()} {platform.release()}",
        "load_average": load,
    }
