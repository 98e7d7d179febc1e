"""Restart the bot after a crash with exponential backoff, but never retry what cannot heal.

Every start costs an IDENTIFY, and Discord resets a bot's token after 1,000 in a day: a crash
loop must slow down, and a bad token or a missing privileged intent must stop at once.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from bot.core.settings import SupervisorSettings

log = logging.getLogger(__name__)

# Exit code of a child that must not be restarted (sysexits EX_CONFIG).
EXIT_DO_NOT_RETRY = 78


def next_delay(previous: float | None, settings: SupervisorSettings) -> float:
    if previous is None:
        return settings.backoff_initial
    return min(previous * 2, settings.backoff_max)


def supervise(
    child_command: Sequence[str],
    settings: SupervisorSettings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    max_restarts: int | None = None,
) -> int:
    """Run ``child_command`` until it exits 0 or EX_CONFIG; return the final exit code."""
    delay: float | None = None
    restarts = 0
    stopping = False
    child: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            started = clock()
            child = subprocess.Popen(list(child_command))
            code = child.wait()
            if stopping or code == 0:
                return code
            if code == EXIT_DO_NOT_RETRY:
                log.error("bot stopped on a problem a restart cannot fix (exit %s): not restarting", code)
                return code
            if clock() - started >= settings.stable_after:
                delay = None  # it ran well for a while: this is a new incident, start small again
            delay = next_delay(delay, settings)
            restarts += 1
            if max_restarts is not None and restarts > max_restarts:
                return code
            log.warning("bot exited with code %s; restarting in %.0f s", code, delay)
            sleep(delay)
            if stopping:
                return code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def child_command(argv: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "bot", *argv, "--no-supervisor"]
