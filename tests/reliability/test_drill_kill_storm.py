"""Drill 1: `kill -9` in the middle of a storm of twenty members, then a restart on the same database.

Every booking, share, « Utile » vote, report and job submission the bot had acknowledged (the
member read its answer) is in the database exactly once; nothing is half-written; a reminder due
while the bot was down fires once after the restart; a button posted before the kill still works.
Repeated at several random kill points (`RELAIS_DRILL_SEED` replays one run).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import random
import time
from dataclasses import dataclass, field

import pytest

from bot.core import timeutil
from bot.core.db import Database
from bot.core.timers import TimerService
from bot.intervisions.sessions import reminder_key
from bot.sandbox.double import DiscordDouble, InteractionResult
from tests.helpers import fr, number_in
from tests.reliability.drill_support import (
    FULL,
    STORM_ENV,
    answer_text,
    assert_no_traceback,
    configure_guild,
    consistency_problems,
    drill_rng,
    fill_in_modal,
    kill_9,
    quiet,
    read_only,
    relais_processes,  # noqa: F401  (the fixture, by name)
    seed_with_members,
    start_relais,
    stop,
    storm_member_keys,
    wait_connected,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("relais_processes")

MEMBERS = 20
KILL_POINTS = 10 if FULL else 5
# The kill comes once this share of the storm's interactions was answered: a point in the storm
# rather than a time, so a slow machine moves the kill with the storm instead of before it.
KILL_SHARE = (0.02, 0.95)
# Longest wait, once the kill point is reached, for an interaction to be delivered to kill amid.
KILL_WAIT = 1.0
JOB_FIELDS = {
    "missions": "Co-animer un groupe d'entraide et accompagner les personnes suivies.",
    "profile": "Savoir expérientiel du rétablissement.",
    "working_time": "Mi-temps",
    "pay_status": "Barème CP 332",
    "how_to_apply": "CV par e-mail",
}
# Distinct words so no two storm offers look like duplicates of each other.
WORDS = (
    "ardoise baleine cactus dauphin érable fougère girafe hibou iris jasmin koala lavande mimosa"
    " narcisse orchidée pivoine quartz roseau saule tilleul ursule verveine wapiti xylophone yucca zinnia"
).split()


@dataclass
class Action:
    kind: str  # book, share, vote, report, job
    member: str
    key: str  # what identifies its row: the url, the report text, the offer title, or the target id
    member_id: int = 0
    result: InteractionResult | None = None
    answers: list[str] = field(default_factory=list)

    def answer(self) -> str | None:
        return answer_text(self.result) if self.result is not None else None


# Answered by a deferral then a followup: the followup is what the member reads.
FOLLOWED_UP = ("vote", "report")
SUCCESS = {
    "book": ("réservée", "liste d'attente"),
    "share": ("n°",),
    "vote": ("au total",),
    "report": ("transmis",),
    "job": ("n°",),
}


async def act(double: DiscordDouble, action: Action, session_post, card, session_id: int, resource_id: int):
    driver = double.driver
    who = action.member
    if action.kind == "book":
        action.result = await driver.click(who, session_post, f"relais:intervisions:book:{session_id}")
    elif action.kind == "share":
        action.result = await driver.slash(
            who, "ressource partager", url=action.key, titre=f"Ressource {action.key.rsplit('/', 1)[-1]}"
        )
    elif action.kind == "vote":
        action.result = await driver.click(who, card, f"relais:resources:useful:{resource_id}")
    elif action.kind == "report":
        opened = await (await driver.slash(who, "signaler", description=action.key)).wait(timeout=6)
        action.result = await fill_in_modal(double, who, opened, {}, typing=random.uniform(0.3, 0.8))
    elif action.kind == "job":
        opened = await (
            await driver.slash(
                who,
                "offre publier",
                contrat="CDD",
                intitule=action.key,
                employeur=f"ASBL {action.key.split()[-1]}",
                date_limite=(dt.date.today() + dt.timedelta(days=20)).strftime("%d/%m/%Y"),
                region="Bruxelles",
            )
        ).wait(timeout=6)
        action.result = await fill_in_modal(double, who, opened, JOB_FIELDS, typing=random.uniform(0.3, 0.8))
    if action.kind in FOLLOWED_UP:
        with contextlib.suppress(TimeoutError):
            await action.result.wait_followup(timeout=6)
    else:
        with contextlib.suppress(TimeoutError):
            await action.result.wait(timeout=6)


async def member_storm(double, rng, actions: list[Action], *targets) -> None:
    for action in actions:
        await asyncio.sleep(rng.uniform(0, 0.05))
        await act(double, action, *targets)


async def plan_session(double: DiscordDouble, db_path, title: str) -> tuple[int, object]:
    driver = double.driver
    done = await (
        await driver.slash("sami", "intervision planifier", titre=title, date="2099-12-03 14:00", places=40)
    ).wait_done(timeout=20)
    assert "planifiée" in (answer_text(done) or ""), answer_text(done)
    with read_only(db_path) as conn:
        session_id = conn.execute("SELECT id FROM intervision_sessions WHERE title = ?", (title,)).fetchone()[
            0
        ]
    return session_id, await announcement(double, "intervisions", title)


async def announcement(double: DiscordDouble, channel: str, title: str) -> object:
    """The bot's last post in ``channel`` whose embed carries ``title``, once it is there."""
    posts = await wait_until(
        lambda: [
            m for m in double.driver.bot_messages(channel) if m.embeds and m.embeds[0].get("title") == title
        ],
        20,
        f"announcement of « {title} » in #{channel}",
    )
    return posts[-1]


async def share_card(double: DiscordDouble, db_path, url: str) -> tuple[int, object]:
    driver = double.driver
    shared = await (await driver.slash("ines", "ressource partager", url=url, titre="À voter")).wait(
        timeout=20
    )
    assert "n°" in (answer_text(shared) or ""), answer_text(shared)
    with read_only(db_path) as conn:
        resource_id = conn.execute("SELECT id FROM resources WHERE url = ?", (url,)).fetchone()[0]
    card = await wait_until(
        lambda: [m for m in driver.bot_messages("ressources") if m.embeds and m.embeds[0].get("url") == url],
        20,
        "announcement of the resource",
    )
    return resource_id, card[-1]


def rows(db_path, sql: str, *params) -> int:
    with read_only(db_path) as conn:
        return conn.execute(sql, params).fetchone()[0]


def count_rows(db_path, action: Action, session_id: int, resource_id: int) -> int:
    uid = action.member_id
    if action.kind == "book":
        return rows(
            db_path,
            "SELECT COUNT(*) FROM intervision_bookings WHERE session_id = ? AND user_id = ?",
            session_id,
            uid,
        )
    if action.kind == "share":
        return rows(
            db_path, "SELECT COUNT(*) FROM resources WHERE url = ? AND shared_by = ?", action.key, uid
        )
    if action.kind == "vote":
        return rows(
            db_path,
            "SELECT COUNT(*) FROM resource_votes WHERE resource_id = ? AND user_id = ?",
            resource_id,
            uid,
        )
    if action.kind == "report":
        return rows(db_path, "SELECT COUNT(*) FROM mod_report_entries WHERE description = ?", action.key)
    return rows(
        db_path, "SELECT COUNT(*) FROM job_offers WHERE title = ? AND submitter_id = ?", action.key, uid
    )


async def test_kill_9_mid_storm_keeps_every_acknowledged_write(tmp_path):
    rng = drill_rng("drill 1 (kill -9 mid-storm)")
    db_path = tmp_path / "relais.db"
    members = storm_member_keys(MEMBERS)
    async with DiscordDouble(seed_with_members(MEMBERS)) as double:
        driver = double.driver
        await configure_guild(double, db_path)
        process = await start_relais(double, db_path, "--no-supervisor", extra_env=STORM_ENV)
        identified = 1
        await wait_connected(double, identified=identified, process=process)
        totals = {"issued": 0, "acknowledged": 0, "cut off": 0}
        cut_off = 0
        acknowledged_kinds: set[str] = set()
        kill_shares = [rng.uniform(*KILL_SHARE) for _ in range(KILL_POINTS)]
        # One kill late in a storm, so every kind of write has been acknowledged before some kill.
        kill_shares[rng.randrange(KILL_POINTS)] = rng.uniform(0.8, KILL_SHARE[1])
        for cycle in range(1, KILL_POINTS + 1):
            title = f"Intervision du cycle {cycle}"
            session_id, post = await plan_session(double, db_path, title)
            resource_id, card = await share_card(double, db_path, f"https://exemple.org/voter-{cycle}")
            offer_id, offer_post = await publish_offer(double, f"Coordinateur·rice pair du cycle {cycle}")

            plans: dict[str, list[Action]] = {}
            for n, member in enumerate(members):
                word = WORDS[n % len(WORDS)]
                actions = [
                    Action("book", member, str(session_id)),
                    Action("share", member, f"https://exemple.org/c{cycle}/{member}"),
                    Action("vote", member, str(resource_id)),
                    Action("report", member, f"Signalement {cycle} de {member} : propos blessants"),
                    Action("job", member, f"Pair-aidant {word} {WORDS[(cycle * 7) % len(WORDS)]} {cycle}"),
                ]
                rng.shuffle(actions)
                for action in actions:
                    action.member_id = driver.user_id(member)
                plans[member] = actions
            storm = [
                asyncio.create_task(member_storm(double, rng, plans[m], post, card, session_id, resource_id))
                for m in members
            ]
            kill_share = kill_shares[cycle - 1]
            planned_actions = [a for plan in plans.values() for a in plan]
            await wait_until(
                functools.partial(reached, planned_actions, storm, kill_share), 60, "the storm's kill point"
            )
            # This cycle's reminder (1 h before the session) and the offer's expiry fall due while the
            # bot is down: set now, due just after the latest possible kill (should the old process
            # still fire one in the instant before the kill, edits are counted from here).
            due_from = time.time()
            due_in = KILL_WAIT + 0.1
            await reschedule(db_path, double.guild.id, reminder_key(session_id, 1.0), seconds=due_in)
            await expire_soon(db_path, double.guild.id, offer_id, seconds=due_in)
            # Then kill while the bot handles an interaction: right after one is delivered.
            with contextlib.suppress(TimeoutError):
                await driver.wait_for_event("INTERACTION_CREATE", timeout=KILL_WAIT, since=len(double.events))
            await asyncio.sleep(rng.uniform(0, 0.005))
            await kill_9(process)
            # Interactions Discord delivered and the bot never answered (a modal's opening included).
            totals["cut off"] += (
                sum(1 for rec in driver.world.interactions.values() if not rec.callbacks) - cut_off
            )
            cut_off = sum(1 for rec in driver.world.interactions.values() if not rec.callbacks)
            for task in storm:
                task.cancel()
            await asyncio.gather(*storm, return_exceptions=True)
            actions = [a for plan in plans.values() for a in plan if a.result is not None]
            acknowledged = [a for a in actions if a.answer() is not None]
            unexpected = [(a.kind, a.member, a.answer()) for a in acknowledged if not succeeded(a)]
            assert unexpected == [], f"cycle {cycle}: answers that are not a success: {unexpected}"
            acknowledged_kinds.update(a.kind for a in acknowledged)
            totals["issued"] += len(actions)
            totals["acknowledged"] += len(acknowledged)
            print(f"cycle {cycle}: kill at {kill_share:.0%}, {len(acknowledged)}/{len(actions)} answered")

            await asyncio.sleep(max(0.0, due_from + due_in + 0.05 - time.time()))  # the outage outlasts them
            process = await start_relais(double, db_path, "--no-supervisor", extra_env=STORM_ENV)
            identified += 1
            await wait_connected(double, identified=identified, process=process)

            with read_only(db_path) as conn:
                assert consistency_problems(conn) == [], f"cycle {cycle}"
            for action in actions:
                found = count_rows(db_path, action, session_id, resource_id)
                if action in acknowledged:
                    assert found == 1, (
                        f"cycle {cycle}: acknowledged {action.kind} of {action.member}: {found} rows"
                    )
                else:
                    assert found <= 1, (
                        f"cycle {cycle}: {action.kind} of {action.member} written {found} times"
                    )
            # No announcement of a resource twice.
            urls = [m.embeds[0].get("url") for m in driver.bot_messages("ressources") if m.embeds]
            assert len(urls) == len(set(urls)), f"cycle {cycle}: a resource announced twice"

            await reminder_fired_once(double, db_path, session_id, title)
            await expiry_fired_once(double, db_path, offer_id, offer_post.id, due_from)

            # A button posted before the kill still works after the restart.
            clicked = await (
                await driver.click("noah", post.id, f"relais:intervisions:book:{session_id}")
            ).wait(10)
            assert "réservée" in (answer_text(clicked) or ""), answer_text(clicked)
        print(f"drill 1: {totals}")
        # Each kind was acknowledged somewhere, or the drill proved nothing about it.
        assert acknowledged_kinds == set(SUCCESS), acknowledged_kinds
        assert totals["cut off"] > 0, "no kill cut an interaction off: the drill proved little"
        await quiet(double)
        output = await stop(process)
        assert_no_traceback(output)


def reached(actions: list[Action], storm: list[asyncio.Task], share: float) -> bool:
    answered = sum(1 for a in actions if a.answer() is not None)
    return answered >= share * len(actions) or all(task.done() for task in storm)


def succeeded(action: Action) -> bool:
    text = action.answer() or ""
    return any(word in text for word in SUCCESS[action.kind])


async def reschedule(db_path, guild_id: int, key: str, *, seconds: float) -> None:
    """Through the timer service, as another process (a CLI) would: the bot sees it only on restart."""
    db = await Database.open(db_path)
    try:
        moved = await TimerService(db).reschedule(
            guild_id, key, timeutil.now() + dt.timedelta(seconds=seconds)
        )
        assert moved, f"no pending timer {key}"
    finally:
        await db.close()


async def expire_soon(db_path, guild_id: int, offer_id: int, *, seconds: float) -> None:
    """The offer's deadline comes in ``seconds`` (as if it had been published with it), and so does
    its expiry timer: the timer's handler re-checks the deadline, so both must move."""
    due = timeutil.now() + dt.timedelta(seconds=seconds)
    db = await Database.open(db_path)
    try:
        stamp = timeutil.to_db(due)
        await db.execute(
            "UPDATE job_offers SET deadline = ?, expires_at = ? WHERE id = ?", (stamp, stamp, offer_id)
        )
        assert await TimerService(db).reschedule(guild_id, f"jobs:expire:{offer_id}", due)
    finally:
        await db.close()


async def publish_offer(double: DiscordDouble, title: str) -> tuple[int, object]:
    """A moderator's offer is published at once: stored, announced, its expiry timer scheduled."""
    driver = double.driver
    opened = await (
        await driver.slash(
            "sami",
            "offre publier",
            contrat="CDI",
            intitule=title,
            employeur="Fédération des pairs",
            date_limite=(dt.date.today() + dt.timedelta(days=30)).strftime("%d/%m/%Y"),
            region="Bruxelles",
        )
    ).wait(timeout=10)
    done = await (await fill_in_modal(double, "sami", opened, JOB_FIELDS, typing=0.3)).wait(10)
    text = answer_text(done) or ""
    offer_id = number_in(text)
    return offer_id, await announcement(double, "offres-emploi", title)


async def expiry_fired_once(
    double: DiscordDouble, db_path, offer_id: int, message_id: int, since: float
) -> None:
    key = f"jobs:expire:{offer_id}"
    await wait_until(
        lambda: (
            rows(
                db_path,
                "SELECT COUNT(*) FROM job_offers WHERE id = ? AND status = 'expired' AND closure_shown",
                offer_id,
            )
            == 1
        ),
        30,
        f"offer {offer_id} expired and shown",
    )
    assert rows(db_path, "SELECT COUNT(*) FROM timers WHERE key = ?", key) == 1
    assert rows(db_path, "SELECT COUNT(*) FROM timers WHERE key = ? AND status = 'done'", key) == 1
    edits = [
        r
        for r in double.requests
        if r.method == "PATCH"
        and r.path.endswith(f"/messages/{message_id}")
        and r.time > since
        and r.status < 300
    ]
    assert len(edits) == 1, f"the announcement of offer {offer_id} was edited {len(edits)} times"
    assert "Offre expirée" in (double.driver.message_obj(message_id).content or "")


async def reminder_fired_once(double: DiscordDouble, db_path, session_id: int, title: str) -> None:
    key = reminder_key(session_id, 1.0)
    await wait_until(
        lambda: rows(db_path, "SELECT COUNT(*) FROM timers WHERE key = ? AND status = 'done'", key) == 1,
        30,
        f"reminder {key} done",
    )
    assert rows(db_path, "SELECT COUNT(*) FROM timers WHERE key = ?", key) == 1
    with read_only(db_path) as conn:
        booked = {
            r[0]
            for r in conn.execute(
                "SELECT user_id FROM intervision_bookings WHERE session_id = ? AND status = 'booked'",
                (session_id,),
            )
        }
        sent = {
            r[0]
            for r in conn.execute(
                "SELECT user_id FROM intervision_reminders_sent WHERE session_id = ?", (session_id,)
            )
        }
    assert sent == booked
    driver = double.driver
    for user_id in booked:
        reminders = [
            m
            for m in driver.dms(user_id)
            if "Petit rappel" in (m.content or "") and fr(f"« {title} »") in m.content
        ]
        assert len(reminders) == 1, f"member {user_id} got {len(reminders)} reminders for {title}"
