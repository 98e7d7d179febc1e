"""« A bot runs on this database »: an advisory ``flock`` on a file next to the database.

Every running bot (and ``relais run``'s supervisor, between two restarts of its bot) holds a
*shared* lock on ``<database>.lock`` for its whole life; ``relais db restore`` needs the
*exclusive* lock, so it is refused while any of them lives, and a bot starting during a restore
waits for it. The lock belongs to the open file, not to the file on disk: a process killed with
``kill -9`` loses it with its descriptors, so a lock file left behind never blocks anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

# A restore takes seconds; a bot starting meanwhile waits this long before giving up.
START_WAIT_SECONDS = 60.0


class DatabaseInUse(RuntimeError):
    """The database is in use (a bot runs on it, or a restore replaces it)."""


def lock_path(database: str | os.PathLike[str]) -> Path:
    database = Path(database)
    return database.with_name(database.name + ".lock")


def _open(database: str | os.PathLike[str]) -> int:
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def _try(fd: int, operation: int) -> bool:
    try:
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class RunLock:
    """The shared lock of one running bot on one database; ``release()`` (or process end) drops it."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    @classmethod
    def acquire(cls, database: str | os.PathLike[str], *, wait: float = START_WAIT_SECONDS) -> RunLock:
        """Take the shared lock, waiting up to ``wait`` seconds for a restore to finish."""
        if str(database) in ("", ":memory:"):
            return cls(None)  # nothing on disk to restore over
        fd = _open(database)
        deadline = time.monotonic() + wait
        while not _try(fd, fcntl.LOCK_SH):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise DatabaseInUse(
                    f"{database} is being restored (relais db restore holds {lock_path(database)}); "
                    "start the bot again once it has finished"
                )
            time.sleep(0.2)
        return cls(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the last descriptor of the open file drops the lock


def bot_running(database: str | os.PathLike[str]) -> bool:
    """True while some process holds the run lock of ``database`` (read-only probe)."""
    if not lock_path(database).exists():
        return False
    with exclusive_or_none(database) as got_it:
        return not got_it


@contextlib.contextmanager
def exclusive_or_none(database: str | os.PathLike[str]) -> Iterator[bool]:
    """Hold the exclusive lock for the block if nobody runs on the database; yields whether it did."""
    fd = _open(database)
    try:
        yield _try(fd, fcntl.LOCK_EX)
    finally:
        os.close(fd)


@contextlib.contextmanager
def exclusive(database: str | os.PathLike[str]) -> Iterator[None]:
    """The exclusive lock for the block, or ``DatabaseInUse`` at once when a bot runs on it."""
    with exclusive_or_none(database) as got_it:
        if not got_it:
            raise DatabaseInUse(f"a Relais bot is running on {database}")
        yield
