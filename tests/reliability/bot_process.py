"""A real `relais run` process for the long drills: its whole log kept, its pid and memory readable.

Unlike ``drill_support.start_relais``, the output is read as it comes (a drill of minutes logs more
than a pipe holds, and the drill looks at the log while the bot runs), and the supervisor's child
can be found.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.sandbox.double import DiscordDouble
from tests.reliability.drill_support import spawn_relais


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    _reader: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def matching(self, pattern: str) -> list[str]:
        return [line for line in self.lines if re.search(pattern, line)]

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    async def wait(self, within: float = 60) -> int:
        code = await asyncio.wait_for(self.process.wait(), within)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 10)
        return code

    async def stop(self, within: float = 30) -> int:
        """SIGTERM, as systemd stops it; the exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await self.wait(within)

    def children(self) -> list[int]:
        """Pids of the processes it started (the bot under a supervisor)."""
        return child_pids(self.pid)


def child_pids(pid: int) -> list[int]:
    """Pids of the processes ``pid`` started from its main thread."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    with contextlib.suppress(OSError):
        return [int(p) for p in path.read_text().split()]
    return []


RUNNING: list[BotProcess] = []


async def launch(
    double: DiscordDouble,
    db_path: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    token: str | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> BotProcess:
    process = await spawn_relais(double, db_path, *args, token=token, extra_env=env, preexec_fn=preexec_fn)
    bot = BotProcess(process)
    bot._reader = asyncio.create_task(bot._read())
    RUNNING.append(bot)
    return bot


async def kill_leftovers() -> None:
    """A failing drill must not leave a bot running (nor its pipe open past the event loop)."""
    while RUNNING:
        bot = RUNNING.pop()
        print(f"--- output of bot process {bot.pid} ---\n{bot.output}")  # shown by pytest on failure
        for child in bot.children():
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        if bot.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                bot.process.kill()
        with contextlib.suppress(Exception):
            await bot.wait(10)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")
