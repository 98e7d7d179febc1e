"""One durable timer service for everything that happens later.

Reminders, expiries, digests and lifted sanctions are rows of the ``timers`` table, not
``asyncio`` tasks: a restart, a reconnect or a second process never loses them.

How it runs
-----------
* One dispatcher task sleeps until the earliest pending ``due_at`` (read from the partial index
  ``timers_pending_due``), capped at ``max_sleep`` so timers written by another process (a CLI,
  a second bot instance) are seen without polling every second. ``schedule``/``reschedule``
  wake it early through an ``asyncio.Event`` when they add a sooner timer.
* Due timers are claimed in batches by one ``UPDATE … WHERE id IN (SELECT … LIMIT ?) RETURNING``
  statement. SQLite serialises writers, so two dispatchers (two connections, two processes)
  never claim the same row: each claimed row carries ``claimed_by``/``claimed_at``.
* The batch's handlers run with bounded concurrency, started in due order; then successes,
  retries and failures are written in one transaction (one ``executemany`` per outcome), never
  one round trip per timer. The dispatcher holds at most one batch in memory.
* Every "finish" update is guarded by ``status = 'running' AND claimed_by = ? AND claimed_at = ?``:
  if the row was cancelled or rescheduled while its handler ran (a weekly digest rescheduling
  itself by key, a moderator cancelling a sanction), the finish update is a no-op and the new
  state wins.

Delivery semantics
------------------
A timer fires once across restarts and reconnects: a claimed row is marked ``done`` right after
its handler returns. The one exception is a crash window: if the process dies (``kill -9``,
power loss) after the claim and before the ``done`` update, the row stays ``running`` until its
lease (``lease`` seconds) expires; the next ``start()`` (or any live dispatcher, which re-checks
leases regularly) puts it back to ``pending`` and it fires again. Inside that window delivery is
therefore *at least once*, so handlers should be idempotent (check that the sanction is still
active before lifting it, that the reminder message was not already posted, …). We prefer that
to *at most once*: losing the expiry of a mute or a ban would silently keep a member sanctioned
forever, whereas a duplicate is visible and cheap to make harmless.

A row whose lease expires after ``max_attempts`` claims is marked ``failed`` instead of being
retried: a handler that crashes the whole process must not crash it forever.

Unknown kinds are marked ``failed`` (logged once per kind), so call ``start()`` only after every
cog registered its handlers, and never run a dispatcher in a process that lacks them (a CLI
should only ``schedule``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core import timeutil
from bot.core.db import Database

log = logging.getLogger(__name__)
# Payload flag: delete the row once the handler succeeded instead of keeping it as ``done``.
FORGET_WHEN_DONE = "forget_when_done"

_UTC = timeutil.UTC
_MAX_ERROR_CHARS = 1000
_TIMER_COLUMNS = "id, guild_id, kind, key, due_at, payload, attempts"
# Keys are compared with SQLite's BINARY collation (UTF-8 byte order = code point order).
_MAX_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)


@dataclass(frozen=True, slots=True)
class Timer:
    id: int
    guild_id: int
    kind: str
    key: str | None
    due_at: dt.datetime
    payload: dict[str, Any]
    attempts: int


Handler = Callable[[Timer], Awaitable[None]]


def _timer_from_row(row: Sequence[Any]) -> Timer:
    raw = row[5]
    return Timer(
        id=row[0],
        guild_id=row[1],
        kind=row[2],
        key=row[3],
        due_at=dt.datetime.fromtimestamp(row[4], _UTC),
        # Most timers carry no payload; skipping json.loads keeps big batches cheap.
        payload={} if raw == "{}" else json.loads(raw),
        attempts=row[6],
    )


def _prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix`` (None: no bound).

    Lets ``cancel_where`` use the ``(guild_id, key)`` index with a range instead of LIKE, whose
    wildcards and case folding would be wrong for keys.
    """
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if code in _SURROGATES:
            code = _SURROGATES.stop
        if code <= _MAX_CODE_POINT:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:_MAX_ERROR_CHARS]


@dataclass(frozen=True, slots=True)
class TimerHealth:
    """What the diagnostic and ``relais doctor`` say about the timers (a guild's, or all of them)."""

    pending: int
    failed_recently: int  # failed for good, due within the look-back window
    overdue: int  # pending or running, due more than ``overdue_after`` ago
    oldest_overdue_seconds: float  # 0 when nothing is overdue
    last_errors: tuple[str, ...]  # a few ``kind: error`` lines of the recent failures, newest first

    @property
    def healthy(self) -> bool:
        return self.failed_recently == 0 and self.overdue == 0


async def health(
    db: Database,
    now: dt.datetime,
    *,
    guild_id: int | None = None,
    overdue_after: dt.timedelta = dt.timedelta(minutes=1),
    look_back: dt.timedelta = dt.timedelta(days=7),
) -> TimerHealth:
    """Failures and lateness, read from the table alone: works with or without a running bot."""
    where_guild = "" if guild_id is None else " AND guild_id = :guild"
    params = {
        "guild": guild_id,
        "late": (now - overdue_after).timestamp(),
        "since": (now - look_back).timestamp(),
        "now": now.timestamp(),
    }
    row = await db.fetchone(
        "SELECT"
        " (SELECT COUNT(*) FROM timers WHERE status = 'pending'" + where_guild + ") AS pending,"
        " (SELECT COUNT(*) FROM timers WHERE status = 'failed' AND due_at >= :since"
        + where_guild
        + ") AS failed,"
        " (SELECT COUNT(*) FROM timers WHERE status IN ('pending', 'running') AND due_at < :late"
        + where_guild
        + ") AS overdue,"
        " (SELECT MIN(due_at) FROM timers WHERE status IN ('pending', 'running') AND due_at < :late"
        + where_guild
        + ") AS oldest",
        params,
    )
    errors = await db.fetchall(
        "SELECT kind, last_error FROM timers WHERE status = 'failed' AND due_at >= :since"
        + where_guild
        + " ORDER BY due_at DESC LIMIT 3",
        params,
    )
    oldest = row["oldest"]
    return TimerHealth(
        pending=row["pending"],
        failed_recently=row["failed"],
        overdue=row["overdue"],
        oldest_overdue_seconds=0.0 if oldest is None else max(0.0, params["now"] - oldest),
        last_errors=tuple(f"{r['kind']}: {r['last_error'] or '?'}" for r in errors),
    )


class TimerService:
    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], dt.datetime] = timeutil.now,
        batch_size: int = 500,
        max_attempts: int = 5,
        retry_base: float = 30.0,
        lease: float = 300.0,
        max_sleep: float = 60.0,
        worker_id: str | None = None,
        concurrency: int = 32,
        handler_timeout: float | None = None,
    ) -> None:
        if batch_size < 1 or max_attempts < 1 or concurrency < 1:
            raise ValueError("batch_size, max_attempts and concurrency must be at least 1")
        self._db = db
        self._clock = clock
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._retry_base = retry_base
        self._lease = lease
        self._max_sleep = max_sleep
        self._concurrency = concurrency
        # A handler still running when its lease expires could be reclaimed by another
        # dispatcher and run twice, so by default it is cut off at half the lease.
        self._handler_timeout = lease / 2 if handler_timeout is None else handler_timeout
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._handlers: dict[str, Handler] = {}
        self._warned_kinds: set[str] = set()
        self._wake = asyncio.Event()
        self._sleep_until: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        # Paused while Discord cannot be reached: what falls due meanwhile fires once it is back,
        # instead of failing (and retrying) against a dead connection.
        self._paused = False
        # One claim+dispatch pass at a time per service: run_due() called by a CLI or a test
        # while the dispatcher runs must not interleave with it.
        self._pass_lock = asyncio.Lock()
        self._workers: list[asyncio.Task[None]] = []
        self._last_recovery = float("-inf")

    # -- registration ----------------------------------------------------------------------
    def register(self, kind: str, handler: Handler) -> None:
        if not kind:
            raise ValueError("timer kind must be a non-empty string")
        if kind in self._handlers:
            raise ValueError(f"a handler is already registered for timer kind {kind!r}")
        self._handlers[kind] = handler

    # -- writing timers --------------------------------------------------------------------
    async def schedule(
        self,
        guild_id: int,
        kind: str,
        due_at: dt.datetime,
        payload: dict[str, Any] | None = None,
        *,
        key: str | None = None,
    ) -> int:
        """Store a timer; with ``key``, replace the live timer of ``(guild_id, key)``.

        The replacement is one upsert on the ``timers_live_key`` unique index, so scheduling by
        key is idempotent and race-free. A live timer is ``pending`` or ``running``: replacing a
        running one (a digest rescheduling itself from its own handler) puts the row back to
        ``pending`` with the new due time, and the in-flight handler's finish update then
        leaves it alone. The row keeps its id.
        """
        if not kind:
            raise ValueError("timer kind must be a non-empty string")
        due = timeutil.to_db(due_at)  # refuses naive datetimes
        body = json.dumps(payload or {}, separators=(",", ":"), ensure_ascii=False)
        created = timeutil.to_db(self._clock())
        if key is None:
            result = await self._db.execute(
                "INSERT INTO timers (guild_id, kind, key, due_at, payload, created_at)"
                " VALUES (?, ?, NULL, ?, ?, ?)",
                (guild_id, kind, due, body, created),
            )
            timer_id = result.lastrowid
        else:
            timer_id = await self._db.fetchval(
                "INSERT INTO timers (guild_id, kind, key, due_at, payload, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (guild_id, key) WHERE key IS NOT NULL AND status IN ('pending', 'running')"
                " DO UPDATE SET kind = excluded.kind, due_at = excluded.due_at,"
                " payload = excluded.payload, status = 'pending', attempts = 0,"
                " claimed_by = NULL, claimed_at = NULL, last_error = NULL,"
                " created_at = excluded.created_at"
                " RETURNING id",
                (guild_id, kind, key, due, body, created),
            )
        assert timer_id is not None
        self._note_due(due)
        return int(timer_id)

    async def cancel(self, guild_id: int, key: str) -> bool:
        """Cancel the live timer of ``(guild_id, key)``.

        A handler already running cannot be interrupted, but cancelling its row prevents any
        retry of it.
        """
        result = await self._db.execute(
            "UPDATE timers SET status = 'cancelled'"
            " WHERE guild_id = ? AND key = ? AND status IN ('pending', 'running')",
            (guild_id, key),
        )
        return result.rowcount > 0

    async def cancel_where(self, guild_id: int, key_prefix: str) -> int:
        """Cancel every live timer of the guild whose key starts with ``key_prefix``."""
        if not key_prefix:
            raise ValueError("key_prefix must not be empty (it would cancel every keyed timer)")
        upper = _prefix_upper_bound(key_prefix)
        if upper is None:
            sql = (
                "UPDATE timers SET status = 'cancelled' WHERE guild_id = ? AND key >= ?"
                " AND status IN ('pending', 'running')"
            )
            params: tuple[Any, ...] = (guild_id, key_prefix)
        else:
            sql = (
                "UPDATE timers SET status = 'cancelled' WHERE guild_id = ? AND key >= ? AND key < ?"
                " AND status IN ('pending', 'running')"
            )
            params = (guild_id, key_prefix, upper)
        result = await self._db.execute(sql, params)
        return result.rowcount

    async def reschedule(self, guild_id: int, key: str, due_at: dt.datetime) -> bool:
        """Move the live timer of ``(guild_id, key)`` to ``due_at``; False when there is none."""
        due = timeutil.to_db(due_at)
        result = await self._db.execute(
            "UPDATE timers SET due_at = ?, status = 'pending', attempts = 0,"
            " claimed_by = NULL, claimed_at = NULL, last_error = NULL"
            " WHERE guild_id = ? AND key = ? AND status IN ('pending', 'running')",
            (due, guild_id, key),
        )
        if result.rowcount > 0:
            self._note_due(due)
            return True
        return False

    async def pending(
        self, guild_id: int, kind: str | None = None, *, limit: int | None = None
    ) -> list[Timer]:
        """Pending timers of one guild in due order (tests, admin views); ``limit`` bounds it."""
        sql = f"SELECT {_TIMER_COLUMNS} FROM timers WHERE guild_id = ? AND status = 'pending'"
        params: list[Any] = [guild_id]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        sql += " ORDER BY due_at, id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = await self._db.fetchall(sql, params)
        return [_timer_from_row(row) for row in rows]

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Recover rows left ``running`` by a crashed process, then launch the dispatcher,
        whose first pass catches up every overdue timer."""
        if self._task is not None:
            raise RuntimeError("timer service already started")
        self._stopping = False
        # Nothing of ours is in flight yet, so rows claimed under our own worker_id (a fixed id
        # reused after a crash) are recovered too.
        await self.recover_expired(include_own=True)
        self._task = asyncio.create_task(self._dispatch_forever(), name=f"timers:{self.worker_id}")

    async def stop(self, *, grace: float = 10.0) -> None:
        """Stop the dispatcher after its current batch.

        Handlers in flight get ``grace`` seconds to finish; past that they are cancelled and
        their rows (and the batch's not-yet-started ones) are put back to ``pending`` so that
        nothing stays ``running`` until a lease expires.
        """
        task = self._task
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            log.warning("timer handlers still running after %.1fs; cancelling them", grace)
            for worker in list(self._workers):
                worker.cancel()
            try:
                # The dispatcher now only writes the batch's outcome: a few statements.
                await asyncio.wait_for(asyncio.shield(task), 5.0)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        finally:
            self._task = None

    def pause(self) -> None:
        """Claim nothing until ``resume()``; handlers already running finish normally."""
        self._paused = True

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            self._wake.set()

    @property
    def paused(self) -> bool:
        return self._paused

    # -- dispatching -----------------------------------------------------------------------
    async def recover_expired(self, *, include_own: bool = False) -> int:
        """Put ``running`` rows whose lease expired back to ``pending`` (or ``failed`` after
        ``max_attempts`` claims); return how many were recovered. Unless ``include_own``, rows
        claimed by this worker are left alone: they are in flight, bounded by ``handler_timeout``."""
        now = timeutil.to_db(self._clock())
        cutoff = now - self._lease
        skip = None if include_own else self.worker_id
        expired = (
            " WHERE status = 'running' AND claimed_at <= :cutoff"
            " AND (:skip IS NULL OR claimed_by IS NOT :skip)"
        )
        params = {"cutoff": cutoff, "skip": skip, "max_attempts": self._max_attempts}
        async with self._db.transaction():
            failed = await self._db.execute(
                "UPDATE timers SET status = 'failed',"
                " last_error = 'lease expired after ' || attempts || ' attempts (process crashed?)'"
                + expired
                + " AND attempts >= :max_attempts",
                params,
            )
            recovered = await self._db.execute(
                "UPDATE timers SET status = 'pending', claimed_by = NULL, claimed_at = NULL" + expired,
                params,
            )
        self._last_recovery = now
        if failed.rowcount:
            log.error("%d timers failed: their lease expired %d times", failed.rowcount, self._max_attempts)
        if recovered.rowcount:
            log.warning("recovered %d timers whose lease expired (crashed dispatcher?)", recovered.rowcount)
        return recovered.rowcount

    async def run_due(self) -> int:
        """Claim one batch of due timers, run their handlers, record the outcome; return how
        many were claimed."""
        async with self._pass_lock:
            now = timeutil.to_db(self._clock())
            rows = await self._db.fetchall(
                "UPDATE timers SET status = 'running', claimed_by = ?, claimed_at = ?,"
                " attempts = attempts + 1"
                " WHERE id IN (SELECT id FROM timers WHERE status = 'pending' AND due_at <= ?"
                " ORDER BY due_at, id LIMIT ?)"
                f" RETURNING {_TIMER_COLUMNS}",
                (self.worker_id, now, now, self._batch_size),
            )
            if not rows:
                return 0
            # RETURNING gives no order guarantee; handlers start in due order (sorted on the raw
            # rows: comparing floats is cheaper than comparing datetimes).
            rows.sort(key=lambda row: (row[4], row[0]))
            batch = list(map(_timer_from_row, rows))
            del rows
            outcomes: dict[int, tuple[str, str | None]] = {}
            try:
                await self._run_batch(batch, outcomes)
            finally:
                await self._finish(batch, outcomes, claimed_at=now)
            return len(batch)

    async def _run_batch(self, batch: list[Timer], outcomes: dict[int, tuple[str, str | None]]) -> None:
        queue: Iterator[Timer] = iter(batch)
        loop = asyncio.get_running_loop()
        # What each worker is running and since when, for the watchdog below.
        current: dict[asyncio.Task[None], tuple[int, float]] = {}
        timed_out: set[int] = set()

        async def worker() -> None:
            # A few workers pull from one iterator: start order follows due order, and a batch
            # costs a handful of tasks instead of one per timer.
            me = asyncio.current_task()
            assert me is not None
            for timer in queue:
                current[me] = (timer.id, loop.time())
                outcomes[timer.id] = await self._run_one(timer, timed_out)
            current.pop(me, None)

        async def watchdog() -> None:
            # One watchdog per batch instead of an asyncio.timeout per handler: arming and
            # disarming a loop timer for every timer cost a quarter of the dispatch time.
            interval = max(self._handler_timeout / 4, 0.005)
            while True:
                await asyncio.sleep(interval)
                limit = loop.time() - self._handler_timeout
                for task, (timer_id, started) in list(current.items()):
                    if started <= limit and timer_id not in timed_out:
                        timed_out.add(timer_id)
                        task.cancel()

        workers = [asyncio.create_task(worker()) for _ in range(min(self._concurrency, len(batch)))]
        guard = asyncio.create_task(watchdog())
        self._workers = workers
        try:
            # return_exceptions: a worker cancelled by stop() must not abandon the others.
            await asyncio.gather(*workers, return_exceptions=True)
        finally:
            self._workers = []
            guard.cancel()

    async def _run_one(self, timer: Timer, timed_out: set[int]) -> tuple[str, str | None]:
        handler = self._handlers.get(timer.kind)
        if handler is None:
            if timer.kind not in self._warned_kinds:
                self._warned_kinds.add(timer.kind)
                log.error(
                    "no handler registered for timer kind %r (timer %s, guild %s); marking failed",
                    timer.kind,
                    timer.id,
                    timer.guild_id,
                )
            return "failed", f"no handler registered for kind {timer.kind!r}"
        try:
            try:
                await handler(timer)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                # Cancelled by the watchdog alone: a timeout, i.e. a failed attempt. Any other
                # cancellation (stop()) propagates and the row is released.
                if timer.id in timed_out and task is not None and task.uncancel() == 0:
                    raise TimeoutError(f"handler still running after {self._handler_timeout:g}s") from None
                raise
        except Exception as exc:
            final = timer.attempts >= self._max_attempts
            log.exception(
                "timer %s (kind=%s, guild=%s) failed on attempt %d/%d%s",
                timer.id,
                timer.kind,
                timer.guild_id,
                timer.attempts,
                self._max_attempts,
                "; giving up" if final else "; will retry",
            )
            return ("failed" if final else "retry"), _describe(exc)
        return "done", None

    async def _finish(
        self, batch: list[Timer], outcomes: dict[int, tuple[str, str | None]], *, claimed_at: float
    ) -> None:
        """Record the batch's outcome in one transaction. Guarded by the claim, so a row that
        was cancelled or rescheduled meanwhile keeps its new state."""
        guard = " WHERE id = ? AND status = 'running' AND claimed_by = ? AND claimed_at = ?"
        me = self.worker_id
        now = timeutil.to_db(self._clock())
        done: list[int] = []
        forget: list[int] = []
        retry: list[tuple[Any, ...]] = []
        failed: list[tuple[Any, ...]] = []
        released: list[tuple[Any, ...]] = []
        for timer in batch:
            outcome = outcomes.get(timer.id)
            if outcome is None:
                # Never started or interrupted by stop(): not the handler's fault, so the
                # attempt is given back.
                released.append((timer.id, me, claimed_at))
            elif outcome[0] == "done":
                done.append(timer.id)
                if timer.payload.get(FORGET_WHEN_DONE) == 1:
                    forget.append(timer.id)
            elif outcome[0] == "retry":
                delay = self._retry_base * 2 ** (timer.attempts - 1)
                retry.append((now + delay, outcome[1], timer.id, me, claimed_at))
            else:
                failed.append((outcome[1], timer.id, me, claimed_at))
        async with self._db.transaction():
            if done:
                # One statement for the whole batch's successes (ids as one JSON array): half the
                # time of one UPDATE per timer, the commonest write of a dispatch.
                await self._db.execute(
                    "UPDATE timers SET status = 'done' WHERE id IN (SELECT value FROM json_each(?))"
                    " AND status = 'running' AND claimed_by = ? AND claimed_at = ?",
                    (json.dumps(done), me, claimed_at),
                )
            if forget:
                # A timer that carried someone's id only to act once (an erasure's follow-ups) leaves
                # no row. Only those whose claimed payload asked for it are looked at; the stored
                # payload still decides.
                await self._db.execute(
                    "DELETE FROM timers WHERE id IN (SELECT value FROM json_each(?)) AND status = 'done'"
                    " AND json_extract(payload, '$." + FORGET_WHEN_DONE + "') = 1",
                    (json.dumps(forget),),
                )
            if retry:
                await self._db.executemany(
                    "UPDATE timers SET status = 'pending', due_at = ?, last_error = ?" + guard, retry
                )
            if failed:
                await self._db.executemany(
                    "UPDATE timers SET status = 'failed', last_error = ?" + guard, failed
                )
            if released:
                await self._db.executemany(
                    "UPDATE timers SET status = 'pending', attempts = max(attempts - 1, 0),"
                    " claimed_by = NULL, claimed_at = NULL" + guard,
                    released,
                )
        if retry:
            self._note_due(min(row[0] for row in retry))

    async def _next_due(self) -> float | None:
        return await self._db.fetchval(
            "SELECT due_at FROM timers WHERE status = 'pending' ORDER BY due_at LIMIT 1"
        )

    def _note_due(self, due: float) -> None:
        """Wake the dispatcher if it sleeps past ``due`` (a sooner timer was just added)."""
        if self._task is not None and (self._sleep_until is None or due < self._sleep_until):
            self._wake.set()

    async def _dispatch_forever(self) -> None:
        error_delay = 1.0
        while not self._stopping:
            # Cleared before the pass: a schedule() during the pass re-arms it, so it is seen.
            self._wake.clear()
            if self._paused:
                await self._wake.wait()  # resume() or stop()
                continue
            try:
                now = timeutil.to_db(self._clock())
                if now - self._last_recovery >= min(self._lease / 4, self._max_sleep):
                    await self.recover_expired()
                claimed = await self.run_due()
                if claimed >= self._batch_size:
                    continue  # backlog: claim the next batch at once
                if self._stopping:
                    break
                next_due = await self._next_due()
            except Exception:
                log.exception("timer dispatcher pass failed; retrying in %.0fs", error_delay)
                next_due = None
                delay = error_delay
                error_delay = min(error_delay * 2, self._max_sleep)
            else:
                error_delay = 1.0
                now = timeutil.to_db(self._clock())
                delay = self._max_sleep if next_due is None else min(self._max_sleep, next_due - now)
            if self._stopping:
                break
            if delay <= 0:
                continue
            self._sleep_until = timeutil.to_db(self._clock()) + delay
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
            finally:
                self._sleep_until = None
