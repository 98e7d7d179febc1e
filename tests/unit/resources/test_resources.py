"""Resources domain on a real SQLite file: sharing, duplicates, votes, edits, removal, listings, digest."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.errors import NotAllowed, NotFound, UserError
from bot.core.timers import TimerService
from bot.resources import library as resources
from bot.resources.library import DuplicateResource, PageInfo

G = 111
ALICE, BOB, MOD = 1001, 1002, 1003
T0 = dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.UTC)  # a Monday


async def share(db, url, *, who=ALICE, now=T0, cooldown=0, fetcher=None, **fields):
    draft = resources.make_draft(G, url, author_id=who, shared_by=who, **fields)
    return await resources.share(db, draft, now=now, cooldown_seconds=cooldown, fetcher=fetcher)


async def count(db):
    return await db.fetchval("SELECT COUNT(*) FROM resources")


async def test_share_stores_cleaned_fields(db):
    res = await share(
        db,
        "https://www.Psycom.org/Pair-Aidance/?utm_source=x#top",
        title="  Fiches   Psycom ",
        kind="vidéo",
        themes="Santé mentale, stigmatisation,santé MENTALE",
        description="Des fiches claires.",
    )
    assert res.title == "Fiches Psycom"
    assert res.kind == "video"
    assert res.themes == ("santé mentale", "stigmatisation")
    assert res.site == "psycom.org"
    assert res.url == "https://www.Psycom.org/Pair-Aidance/?utm_source=x#top"  # displayed as shared
    assert res.author_id == ALICE and res.useful_count == 0 and res.live


async def test_duplicate_link_is_refused_and_names_the_first_sharer(db):
    first = await share(db, "https://pat.support/offres/", title="Offres PAT")
    with pytest.raises(DuplicateResource) as caught:
        await share(db, "http://PAT.support/offres?fbclid=abc#x", who=BOB, title="Encore")
    assert caught.value.existing.id == first.id
    assert caught.value.existing.author_id == ALICE
    assert await count(db) == 1


async def test_removed_link_may_be_shared_again(db):
    first = await share(db, "https://travail-pair.org", title="Plateforme")
    await resources.remove(db, G, first.id, actor_id=ALICE, is_moderator=False, now=T0)
    again = await share(db, "https://travail-pair.org/", title="Plateforme (bis)", who=BOB)
    assert again.id != first.id


async def test_same_link_in_another_guild_is_not_a_duplicate(db):
    await share(db, "https://psycom.org", title="Psycom")
    draft = resources.make_draft(G + 1, "https://psycom.org", title="Psycom", author_id=ALICE)
    other = await resources.share(db, draft, now=T0)
    assert other.guild_id == G + 1


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"url": "pas un lien"}, "core.links.invalid"),
        ({"url": "javascript:alert(1)"}, "core.links.bad_scheme"),
        ({"url": "data:text/html,<b>x</b>"}, "core.links.bad_scheme"),
        ({"url": "https://ok.org", "title": "x" * 10_000}, "resources.input.title_too_long"),
        ({"url": "https://ok.org", "description": "x" * 10_000}, "resources.input.description_too_long"),
        ({"url": "https://ok.org", "themes": "t" * 10_000}, "resources.input.too_many_themes"),
        (
            {"url": "https://ok.org", "themes": ", ".join(f"theme{i}" for i in range(50))},
            "resources.input.too_many_themes",
        ),
        ({"url": "https://ok.org", "kind": "recette"}, "resources.input.unknown_kind"),
        ({"url": "https://ok.org", "title": "@everyone"}, "resources.input.mentions_title"),
        (
            {"url": "https://ok.org", "title": "<@&123456789012345678> <@42>"},
            "resources.input.mentions_title",
        ),
        ({"url": "https://ok.org", "description": "voir @here"}, "resources.input.mentions_description"),
        ({"url": "https://ok.org", "themes": "emploi, @everyone"}, "resources.input.mentions_themes"),
    ],
)
async def test_bad_input_is_refused_with_a_specific_key_and_stores_nothing(db, fields, key):
    url = fields.pop("url")
    with pytest.raises(UserError) as caught:
        await share(db, url, **fields)
    assert caught.value.key == key
    assert await count(db) == 0


async def test_cooldown_between_two_shares_of_one_member(db):
    await share(db, "https://a.org", title="A", cooldown=30)
    with pytest.raises(UserError) as caught:
        await share(db, "https://b.org", title="B", cooldown=30, now=T0 + dt.timedelta(seconds=10))
    assert caught.value.key == "resources.share.cooldown" and caught.value.params["seconds"] == 20
    await share(db, "https://b.org", title="B", who=BOB, cooldown=30, now=T0 + dt.timedelta(seconds=10))
    await share(db, "https://c.org", title="C", cooldown=30, now=T0 + dt.timedelta(seconds=31))
    assert await count(db) == 3


async def test_missing_title_uses_the_fetched_preview_and_neutralises_mentions(db):
    async def fetcher(url):
        return PageInfo(title="Le  guide @everyone", description="Un résumé.")

    res = await share(db, "https://guide.org/x", fetcher=fetcher)
    assert res.title == "Le guide @\u200beveryone"
    assert res.description == "Un résumé."


async def test_failed_preview_still_saves_the_resource_titled_by_its_url(db):
    async def broken(url):
        raise TimeoutError

    async def nothing(url):
        return None

    res = await share(db, "https://lent.org/page", fetcher=broken)
    assert res.title == "https://lent.org/page"
    res2 = await share(db, "https://vide.org/page", fetcher=nothing)
    assert res2.title == "https://vide.org/page"


async def test_vote_toggles_once_per_member_and_counts(db):
    res = await share(db, "https://a.org", title="A")
    first = await resources.toggle_vote(db, G, res.id, BOB, T0)
    assert first.voted and first.count == 1
    second = await resources.toggle_vote(db, G, res.id, MOD, T0)
    assert second.count == 2
    back = await resources.toggle_vote(db, G, res.id, BOB, T0)
    assert not back.voted and back.count == 1
    assert (await resources.get(db, G, res.id)).useful_count == 1
    assert await resources.has_voted(db, res.id, MOD)
    assert not await resources.has_voted(db, res.id, BOB)


async def test_vote_on_removed_resource_is_refused(db):
    res = await share(db, "https://a.org", title="A")
    await resources.remove(db, G, res.id, actor_id=ALICE, is_moderator=False, now=T0)
    with pytest.raises(NotFound):
        await resources.toggle_vote(db, G, res.id, BOB, T0)


async def test_soft_delete_by_author_or_moderator_only(db):
    res = await share(db, "https://a.org", title="Atelier rétablissement")
    with pytest.raises(NotAllowed):
        await resources.remove(db, G, res.id, actor_id=BOB, is_moderator=False, now=T0)
    removed = await resources.remove(db, G, res.id, actor_id=MOD, is_moderator=True, now=T0)
    assert not removed.live
    # The row is kept for the record but leaves every listing and the search.
    assert await count(db) == 1
    with pytest.raises(NotFound):
        await resources.get(db, G, res.id)
    assert await resources.recent(db, G) == []
    assert (await resources.search(db, G, "rétablissement")).resources == ()


async def test_edit_by_author_updates_search_and_themes(db):
    res = await share(db, "https://a.org", title="Ancien titre", themes="emploi")
    with pytest.raises(NotAllowed):
        await resources.edit(
            db,
            G,
            res.id,
            actor_id=BOB,
            is_moderator=False,
            title="X",
            description="",
            themes="",
            kind="article",
            now=T0,
        )
    edited = await resources.edit(
        db,
        G,
        res.id,
        actor_id=ALICE,
        is_moderator=False,
        title="Guide du logement",
        description="Nouveau",
        themes="logement",
        kind="guide",
        now=T0,
    )
    assert edited.title == "Guide du logement" and edited.kind == "guide" and edited.themes == ("logement",)
    assert [r.id for r in (await resources.search(db, G, "logement")).resources] == [res.id]
    assert (await resources.search(db, G, "ancien")).resources == ()
    assert await resources.theme_suggestions(db, G, "", ()) == ["logement"]


async def test_recent_and_popular(db):
    a = await share(db, "https://a.org", title="A", now=T0)
    b = await share(db, "https://b.org", title="B", now=T0 + dt.timedelta(hours=1))
    c = await share(db, "https://c.org", title="C", now=T0 + dt.timedelta(hours=2))
    assert [r.id for r in await resources.recent(db, G)] == [c.id, b.id, a.id]
    old = T0 - dt.timedelta(days=60)
    for voter in (1, 2, 3):
        await resources.toggle_vote(db, G, a.id, voter, old)
    await resources.toggle_vote(db, G, b.id, 4, T0)
    now = T0 + dt.timedelta(days=1)
    week = await resources.popular(db, G, now=now, period="semaine")
    assert [(p.resource.id, p.votes) for p in week] == [(b.id, 1)]
    ever = await resources.popular(db, G, now=now, period="tout")
    assert [(p.resource.id, p.votes) for p in ever] == [(a.id, 3), (b.id, 1)]
    with pytest.raises(UserError):
        await resources.popular(db, G, now=now, period="siècle")


async def test_theme_suggestions_mix_used_and_default_themes(db):
    await share(db, "https://a.org", title="A", themes="pair-aidance, emploi")
    await share(db, "https://b.org", title="B", themes="emploi")
    found = await resources.theme_suggestions(db, G, "", ("rétablissement", "Emploi"))
    assert found == ["emploi", "pair-aidance", "rétablissement"]
    assert await resources.theme_suggestions(db, G, "reta", ("rétablissement",)) == ["rétablissement"]


def test_next_digest_time_in_local_time():
    # Monday 3 March 2025 10:00 UTC = 11:00 Brussels: Monday 09:00 has passed → next Monday.
    due = resources.next_digest_at(T0, "Europe/Brussels", 0, 9)
    assert due == dt.datetime(2025, 3, 10, 8, 0, tzinfo=dt.UTC)
    # Across the DST change (30 March 2025): Monday 31 March 09:00 Brussels = 07:00 UTC.
    due = resources.next_digest_at(dt.datetime(2025, 3, 28, tzinfo=dt.UTC), "Europe/Brussels", 0, 9)
    assert due == dt.datetime(2025, 3, 31, 7, 0, tzinfo=dt.UTC)


async def test_digest_lists_the_weeks_most_useful_new_resources_once(db):
    old = await share(db, "https://old.org", title="Ancienne", now=T0 - dt.timedelta(days=10))
    a = await share(db, "https://a.org", title="A", now=T0 - dt.timedelta(days=3))
    b = await share(db, "https://b.org", title="B", now=T0 - dt.timedelta(days=2))
    gone = await share(db, "https://gone.org", title="Retirée", now=T0 - dt.timedelta(days=1))
    await resources.remove(db, G, gone.id, actor_id=ALICE, is_moderator=False, now=T0)
    for voter in (1, 2):
        await resources.toggle_vote(db, G, b.id, voter, T0)
    for voter in (1, 2, 3):
        await resources.toggle_vote(db, G, old.id, voter, T0)
    plan = await resources.digest_plan(db, G, now=T0, zone_name="Europe/Brussels")
    assert [r.id for r in plan.resources] == [b.id, a.id]
    assert plan.period == "2025-W10"
    assert await resources.claim_digest(db, G, plan.period, T0)
    assert not await resources.claim_digest(db, G, plan.period, T0)


async def test_digest_timer_is_durable(db):
    fired = []
    clock = [T0]
    timers = TimerService(db, clock=lambda: clock[0])
    timers.register(resources.DIGEST_KIND, lambda timer: _record(fired, timer))
    due = resources.next_digest_at(T0, "Europe/Brussels", 0, 9)
    await resources.schedule_digest(timers, G, due)
    await resources.schedule_digest(timers, G, due)  # same key: replaced, not doubled
    await timers.run_due()
    assert fired == []
    clock[0] = due + dt.timedelta(seconds=1)
    await timers.run_due()
    assert fired == [G]


async def _record(fired, timer):
    fired.append(timer.guild_id)
