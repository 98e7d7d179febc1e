"""Cases, timed sanctions, appeals, recusal and the ladder, on real SQLite files."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.core.db import Database
from bot.core.errors import NotFound, UserError
from bot.core.timers import TimerService
from bot.moderation import cases as m

G = 1000
T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, at: dt.datetime = T0) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10m", dt.timedelta(minutes=10)),
        ("2h", dt.timedelta(hours=2)),
        ("3j", dt.timedelta(days=3)),
        ("1 sem", dt.timedelta(days=7)),
        ("1h30", dt.timedelta(minutes=90)),
        ("2 jours", dt.timedelta(days=2)),
        ("1j 12h", dt.timedelta(hours=36)),
        ("45 min", dt.timedelta(minutes=45)),
        (" 2H ", dt.timedelta(hours=2)),
    ],
)
def test_durations_people_type_are_understood(text, expected):
    assert m.parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "demain", "10", "10x", "0m", "h2", "2 heures et demie", "-3j"])
def test_bad_durations_get_a_clear_message(text):
    with pytest.raises(UserError) as caught:
        m.parse_duration(text)
    assert caught.value.key == "moderation.errors.bad_duration"


def test_timeout_cannot_exceed_28_days_and_needs_a_duration():
    m.check_sanction_duration("timeout", dt.timedelta(days=28))
    with pytest.raises(UserError, match="timeout_too_long"):
        m.check_sanction_duration("timeout", dt.timedelta(days=29))
    with pytest.raises(UserError, match="duration_required"):
        m.check_sanction_duration("timeout", None)
    with pytest.raises(UserError, match="no_duration_for_action"):
        m.check_sanction_duration("kick", dt.timedelta(days=1))
    m.check_sanction_duration("ban", dt.timedelta(days=60))  # a ban may last longer


async def test_case_numbers_are_unique_and_gapless_under_concurrency(tmp_path):
    """Two connections (two processes, in effect) numbering cases at once never collide."""
    first = await Database.open(tmp_path / "relais.db")
    second = await Database.open(tmp_path / "relais.db")
    try:
        timers = [TimerService(first), TimerService(second)]

        async def one(i: int) -> m.Case:
            db = first if i % 2 else second
            return await m.record_case(
                db,
                timers[i % 2],
                G,
                member_id=10 + i,
                moderator_id=1,
                action="note",
                article=None,
                reason=f"note {i}",
                now=T0,
            )

        cases = await asyncio.gather(*(one(i) for i in range(60)))
        other_guild = await m.record_case(
            first,
            timers[0],
            G + 1,
            member_id=5,
            moderator_id=1,
            action="note",
            article=None,
            reason="x",
            now=T0,
        )
    finally:
        await first.close()
        await second.close()
    assert sorted(c.number for c in cases) == list(range(1, 61))
    assert other_guild.number == 1  # numbering is per guild


async def test_a_refused_action_leaves_no_case(db):
    timers = TimerService(db)
    case = await m.begin_case(
        db,
        G,
        member_id=5,
        moderator_id=1,
        action="ban",
        article="respect",
        reason="insultes répétées",
        now=T0,
    )
    assert case.number == 1 and not case.confirmed
    assert await m.member_cases(db, G, 5) == []  # invisible until Discord accepted
    await m.abandon_case(db, case)
    assert await db.fetchval("SELECT COUNT(*) FROM mod_cases") == 0
    ok = await m.record_case(
        db,
        timers,
        G,
        member_id=5,
        moderator_id=1,
        action="warn",
        article="respect",
        reason="ton blessant",
        now=T0,
        expires_at=T0 + dt.timedelta(days=90),
    )
    assert [c.number for c in await m.member_cases(db, G, 5)] == [ok.number]


async def test_a_refused_action_never_frees_its_number(db, tmp_path):
    """The member of a refused kick/ban was told « cas n°1 » before Discord refused: n°1 must
    never become someone else's case, not even after a restart."""
    timers = TimerService(db)
    refused = await m.begin_case(
        db,
        G,
        member_id=5,
        moderator_id=1,
        action="ban",
        article="respect",
        reason="insultes répétées",
        now=T0,
    )
    await m.abandon_case(db, refused)
    other = await m.record_case(
        db,
        timers,
        G,
        member_id=6,
        moderator_id=1,
        action="warn",
        article="respect",
        reason="ton blessant",
        now=T0,
    )
    assert other.number == refused.number + 1
    last = await m.begin_case(
        db, G, member_id=7, moderator_id=1, action="kick", article="respect", reason="menaces", now=T0
    )
    await m.abandon_case(db, last)  # the highest number, abandoned: still never reused
    again = await m.record_case(
        db, timers, G, member_id=8, moderator_id=1, action="note", article=None, reason="suivi", now=T0
    )
    assert again.number == last.number + 1
    with pytest.raises(NotFound):
        await m.get_case(db, G, refused.number)
    elsewhere = await m.record_case(
        db, timers, G + 1, member_id=5, moderator_id=1, action="note", article=None, reason="x", now=T0
    )
    assert elsewhere.number == 1  # still numbered per guild


async def test_empty_or_long_reason_is_refused_before_writing(db):
    with pytest.raises(UserError, match="reason_empty"):
        await m.begin_case(
            db, G, member_id=5, moderator_id=1, action="warn", article="a", reason="  ", now=T0
        )
    with pytest.raises(UserError, match="reason_too_long"):
        await m.begin_case(
            db, G, member_id=5, moderator_id=1, action="warn", article="a", reason="x" * 501, now=T0
        )
    assert await db.fetchval("SELECT COUNT(*) FROM mod_cases") == 0


async def test_warnings_expire_through_the_durable_timers(db):
    clock = Clock()
    timers = TimerService(db, clock=clock)
    ended: list[int] = []

    async def handler(timer):
        case = await m.run_case_timer(db, timer.payload["case_id"], clock(), lift=None)
        if case:
            ended.append(case.number)

    timers.register(m.CASE_TIMER, handler)
    expiry = m.warning_expiry(T0, 30, 90)
    warn = await m.record_case(
        db,
        timers,
        G,
        member_id=5,
        moderator_id=1,
        action="warn",
        article="a",
        reason="r",
        now=T0,
        expires_at=expiry,
    )
    await m.record_case(
        db,
        timers,
        G,
        member_id=5,
        moderator_id=1,
        action="warn",
        article="b",
        reason="r",
        now=T0,
        expires_at=m.warning_expiry(T0, None, 90),
    )
    assert await m.active_warnings(db, G, 5, T0) == 2
    clock.at = T0 + dt.timedelta(days=31)
    assert await timers.run_due() == 1
    assert ended == [warn.number]
    assert await m.active_warnings(db, G, 5, clock.at) == 1
    history = await m.member_cases(db, G, 5)
    assert len(history) == 2  # the dossier still shows the expired warning
    assert history[1].ended_at is not None and not history[1].is_active(clock.at)


async def test_timed_ban_is_lifted_after_a_restart(tmp_path):
    path = tmp_path / "relais.db"
    db = await Database.open(path)
    timers = TimerService(db, clock=Clock())
    ban = await m.record_case(
        db,
        timers,
        G,
        member_id=77,
        moderator_id=1,
        action="ban",
        article="a",
        reason="menaces",
        now=T0,
        expires_at=T0 + dt.timedelta(days=7),
    )
    await db.close()  # the bot goes down for a week

    later = Clock(T0 + dt.timedelta(days=7, minutes=5))
    db = await Database.open(path)
    try:
        timers = TimerService(db, clock=later)
        lifted: list[int] = []

        async def lift(case):
            lifted.append(case.member_id)

        async def handler(timer):
            await m.run_case_timer(db, timer.payload["case_id"], later(), lift)

        timers.register(m.CASE_TIMER, handler)
        assert await timers.run_due() == 1
        assert lifted == [77]
        case = await m.get_case(db, G, ban.number)
        assert case.ended_at is not None and not case.is_active(later())
        # A second delivery (at-least-once after a crash) does nothing more.
        assert await m.run_case_timer(db, ban.id, later(), lift) is None
        assert lifted == [77]
    finally:
        await db.close()


async def test_revoking_cancels_the_timer_and_says_what_to_lift(db):
    clock = Clock()
    timers = TimerService(db, clock=clock)
    timeout = await m.record_case(
        db,
        timers,
        G,
        member_id=5,
        moderator_id=1,
        action="timeout",
        article="a",
        reason="r",
        now=T0,
        expires_at=T0 + dt.timedelta(hours=2),
    )
    assert m.needs_lift(timeout, T0) == "timeout"
    assert [t.key for t in await timers.pending(G, m.CASE_TIMER)] == [timeout.timer_key]
    revoked = await m.revoke_case(db, timers, G, timeout.number, moderator_id=2, reason="erreur", now=T0)
    assert revoked.revoked_by == 2 and not revoked.is_active(T0)
    assert await timers.pending(G, m.CASE_TIMER) == []
    with pytest.raises(UserError, match="already_revoked"):
        await m.revoke_case(db, timers, G, timeout.number, moderator_id=2, reason="encore", now=T0)
    with pytest.raises(NotFound):
        await m.revoke_case(db, timers, G, 99, moderator_id=2, reason="?", now=T0)
    assert m.needs_lift(revoked, T0) is None


async def test_recusal_blocks_the_moderator_and_can_be_withdrawn(db):
    assert await m.set_recusal(db, G, moderator_id=2, member_id=5, on=True, now=T0)
    assert not await m.set_recusal(db, G, moderator_id=2, member_id=5, on=True, now=T0)  # idempotent
    assert await m.is_recused(db, G, 2, 5)
    assert await m.is_recused(db, G, 3, 3)  # nobody handles what concerns themselves
    assert not await m.is_recused(db, G, 3, 5)
    assert await m.recused_from(db, G, 5) == {2, 5}
    assert await m.set_recusal(db, G, moderator_id=2, member_id=5, on=False, now=T0)
    assert not await m.is_recused(db, G, 2, 5)
    with pytest.raises(UserError, match="recuse_self"):
        await m.set_recusal(db, G, moderator_id=2, member_id=2, on=True, now=T0)


async def test_appeals_reach_moderators_other_than_the_one_who_acted(db):
    timers = TimerService(db)
    case = await m.record_case(
        db,
        timers,
        G,
        member_id=5,
        moderator_id=1,
        action="warn",
        article="a",
        reason="r",
        now=T0,
        expires_at=T0 + dt.timedelta(days=90),
    )
    await m.set_recusal(db, G, moderator_id=3, member_id=5, on=True, now=T0)
    appeal = await m.file_appeal(
        db,
        G,
        case.number,
        member_id=5,
        text="Je n'ai pas dit ça.",
        on_duty=[1, 3, 4],
        moderators=[1, 2, 3, 4],
        now=T0,
    )
    assert appeal.recipients == (4,)  # not the actor (1), not the recused one (3)
    with pytest.raises(UserError, match="appeal_exists"):
        await m.file_appeal(
            db, G, case.number, member_id=5, text="encore", on_duty=[4], moderators=[4], now=T0
        )


async def test_appeal_falls_back_to_all_other_moderators_when_duty_is_the_actor(db):
    timers = TimerService(db)
    case = await m.record_case(
        db,
        timers,
        G,
        member_id=5,
        moderator_id=1,
        action="timeout",
        article="a",
        reason="r",
        now=T0,
        expires_at=T0 + dt.timedelta(hours=1),
    )
    appeal = await m.file_appeal(
        db, G, case.number, member_id=5, text="Je conteste.", on_duty=[1], moderators=[1, 2, 6], now=T0
    )
    assert appeal.recipients == (2, 6)


async def test_nobody_can_appeal_someone_elses_case_or_a_note(db):
    timers = TimerService(db)
    warn = await m.record_case(
        db, timers, G, member_id=5, moderator_id=1, action="warn", article="a", reason="r", now=T0
    )
    note = await m.record_case(
        db, timers, G, member_id=6, moderator_id=1, action="note", article=None, reason="suivi", now=T0
    )
    for number, member in ((warn.number, 6), (note.number, 6), (42, 5)):
        with pytest.raises(NotFound) as caught:
            await m.file_appeal(
                db, G, number, member_id=member, text="x", on_duty=[2], moderators=[2], now=T0
            )
        assert caught.value.key == "moderation.errors.appeal_not_yours"
    assert await db.fetchval("SELECT COUNT(*) FROM mod_appeals") == 0


def test_ladder_steps_and_the_next_human_step():
    ladder = m.DEFAULT_LADDER
    assert ladder.rung_for(1) is None
    assert ladder.rung_for(2).action == "conversation"
    assert ladder.rung_for(3) == m.Rung(3, "timeout", dt.timedelta(hours=24))
    assert ladder.rung_for(6).action == "propose_kick"  # never beyond a proposal
    assert ladder.next_after(1).action == "conversation"
    assert ladder.next_after(3).action == "propose_kick"


def test_shipped_ladder_is_valid(tmp_path):
    from tests.helpers import CONFIG

    assert m.check_config(CONFIG) == []
    assert m.load_ladder(CONFIG) == m.DEFAULT_LADDER
    assert m.check_config(tmp_path) == []  # no file: the default ladder


def test_ladder_mistakes_are_reported_with_file_and_line(tmp_path):
    (tmp_path / "moderation.yaml").write_text(
        "echelle:\n"
        "  - avertissements: 2\n"
        "    action: kick\n"
        "  - avertissements: 3\n"
        "    action: timeout\n"
        "    duree: 40j\n"
        "  - avertissements: 1\n"
        "    action: sermon\n",
        encoding="utf-8",
    )
    problems = m.check_config(tmp_path)
    lines = sorted((p.line, p.message.split(" ")[0]) for p in problems)
    assert [line for line, _ in lines] == [3, 6, 7, 8]
    assert any("n'exclut jamais" in p.message for p in problems)
    with pytest.raises(Exception):  # noqa: B017 - ConfigError listing all of them
        m.load_ladder(tmp_path)


async def test_pending_cases_are_those_written_before_the_process_started(db):
    started = T0 + dt.timedelta(seconds=2)  # a supervisor restarts within seconds of the crash
    old = await m.begin_case(
        db, G, member_id=5, moderator_id=1, action="timeout", article="a", reason="x", now=T0
    )
    await m.begin_case(
        db,
        G,
        member_id=6,
        moderator_id=1,
        action="ban",
        article="a",
        reason="y",
        now=started + dt.timedelta(seconds=1),
    )  # in flight in this process
    confirmed = await m.begin_case(
        db, G, member_id=7, moderator_id=1, action="kick", article="a", reason="z", now=T0
    )
    await db.execute("UPDATE mod_cases SET state = 'confirmed' WHERE id = ?", (confirmed.id,))
    assert [c.number for c in await m.pending_cases(db, started)] == [old.number]


@pytest.mark.parametrize(
    ("action", "present", "timed_out", "banned", "applied"),
    [
        ("timeout", True, True, False, True),
        ("timeout", True, False, False, False),
        ("timeout", False, False, False, False),
        ("ban", False, False, True, True),
        ("ban", True, False, False, False),
        ("kick", False, False, False, True),
        ("kick", True, False, False, False),
        ("kick", False, False, True, False),  # banned since by someone else: not this kick
        ("warn", True, False, False, False),  # no Discord action: the member was never told, drop it
    ],
)
async def test_a_pending_case_is_applied_only_when_discord_shows_it(
    db, action, present, timed_out, banned, applied
):
    case = await m.begin_case(
        db, G, member_id=5, moderator_id=1, action=action, article="a", reason="x", now=T0
    )
    until = T0 + dt.timedelta(hours=1) if timed_out else T0 - dt.timedelta(hours=1)
    assert (
        m.applied_on_discord(case, now=T0, present=present, timed_out_until=until, banned=banned) is applied
    )
