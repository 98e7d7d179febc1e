from __future__ import annotations

import sys

from bot.core.settings import SupervisorSettings
from bot.supervisor import EXIT_DO_NOT_RETRY, next_delay, supervise

SETTINGS = SupervisorSettings(backoff_initial=2, backoff_max=10, stable_after=600)


def test_backoff_doubles_up_to_the_cap():
    delays, delay = [], None
    for _ in range(5):
        delay = next_delay(delay, SETTINGS)
        delays.append(delay)
    assert delays == [2, 4, 8, 10, 10]


def test_crashing_child_is_restarted_with_growing_delays(tmp_path):
    slept: list[float] = []
    counter = tmp_path / "count"
    # Crash three times, then exit cleanly.
    script = (
        f"import pathlib,sys; p=pathlib.Path({str(counter)!r}); n=int(p.read_text()) if p.exists() else 0;"
        "p.write_text(str(n+1)); sys.exit(1 if n < 3 else 0)"
    )
    code = supervise([sys.executable, "-c", script], SETTINGS, sleep=slept.append)
    assert code == 0
    assert slept == [2, 4, 8]


def test_bad_token_or_intents_are_not_retried():
    slept: list[float] = []
    code = supervise(
        [sys.executable, "-c", f"raise SystemExit({EXIT_DO_NOT_RETRY})"], SETTINGS, sleep=slept.append
    )
    assert code == EXIT_DO_NOT_RETRY
    assert slept == []


def test_a_long_stable_run_resets_the_backoff():
    slept: list[float] = []
    ticks = iter([0, 1, 1, 2000, 2000, 2001, 2001, 2002])
    supervise(
        [sys.executable, "-c", "raise SystemExit(3)"],
        SETTINGS,
        sleep=slept.append,
        clock=lambda: next(ticks),
        max_restarts=3,
    )
    assert slept == [2, 2, 4]
