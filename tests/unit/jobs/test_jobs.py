"""Job offers, domain level: validation, fair-work flags, duplicates, queue, alerts, digests, expiry."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import jobs
from bot.core.db import Database
from bot.core.errors import NotAllowed, NotFound, UserError
from bot.core.timers import TimerService

G = 1001
NOW = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)
CFG = jobs.DEFAULT_CONFIG
TZ = "Europe/Brussels"


def offer_input(**changes) -> jobs.OfferInput:
    base = jobs.OfferInput(
        title="Travailleur pair en équipe mobile",
        employer="ASBL Horizon",
        region="Bruxelles",
        contract="CDD",
        deadline=NOW + dt.timedelta(days=20),
        link="https://horizon.example.org/offres/42?utm_source=fb",
        place="Schaerbeek",
        missions="Accompagner les personnes suivies par l'équipe mobile, co-animer des groupes.",
        profile="Savoir expérientiel du rétablissement, formation en pair-aidance appréciée.",
        working_time="Mi-temps (19 h par semaine)",
        pay_status="Barème CP 332, employé·e",
        how_to_apply="CV et lettre à l'adresse indiquée",
    )
    return dataclasses.replace(base, **changes)


def validated(**changes) -> jobs.OfferInput:
    return jobs.validate(offer_input(**changes), CFG, NOW)


# -- validation table ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"title": "   "}, "jobs.validation.required.title"),
        ({"employer": ""}, "jobs.validation.required.employer"),
        ({"missions": ""}, "jobs.validation.required.missions"),
        ({"working_time": " "}, "jobs.validation.required.working_time"),
        ({"pay_status": ""}, "jobs.validation.pay_required"),
        ({"how_to_apply": "", "link": None}, "jobs.validation.how_to_apply_required"),
        ({"region": "Atlantide"}, "jobs.validation.region_unknown"),
        ({"contract": "CDZ"}, "jobs.validation.contract_unknown"),
        ({"deadline": NOW - dt.timedelta(hours=1)}, "jobs.validation.deadline_past"),
        ({"deadline": NOW + dt.timedelta(days=366)}, "jobs.validation.deadline_too_far"),
        ({"link": "ftp://horizon.example.org/offre"}, "jobs.validation.link_invalid"),
        ({"link": "pas un lien"}, "jobs.validation.link_invalid"),
        ({"link": "jean@"}, "jobs.validation.link_invalid"),
        ({"title": "x" * 257}, "jobs.validation.too_long.title"),
        ({"employer": "x" * 257}, "jobs.validation.too_long.employer"),
        ({"place": "x" * 257}, "jobs.validation.too_long.place"),
        ({"missions": "x" * 1025}, "jobs.validation.too_long.missions"),
        ({"profile": "x" * 1025}, "jobs.validation.too_long.profile"),
        ({"pay_status": "x" * 1025}, "jobs.validation.too_long.pay_status"),
        ({"how_to_apply": "x" * 1025}, "jobs.validation.too_long.how_to_apply"),
        (
            {
                "missions": "m" * 1024,
                "profile": "p" * 1024,
                "working_time": "w" * 1024,
                "pay_status": "s" * 1024,
                "how_to_apply": "h" * 1024,
                "title": "t" * 256,
                "employer": "e" * 256,
            },
            "jobs.validation.too_long_total",
        ),
        ({"missions": "Venez nombreux @everyone"}, "jobs.validation.mass_mention"),
        ({"profile": "Ping @here"}, "jobs.validation.mass_mention"),
        ({"how_to_apply": "voir <@&123456789012345678>"}, "jobs.validation.mass_mention"),
    ],
)
def test_validation_refuses_with_a_precise_message(changes, key):
    with pytest.raises(UserError) as caught:
        validated(**changes)
    assert caught.value.key == key


def test_validation_accepts_and_cleans_a_proper_offer():
    clean = validated(title="  Médiateur de santé pair  ", region="bruxelles", contract="cdd")
    assert clean.title == "Médiateur de santé pair"
    assert clean.region == "Bruxelles" and clean.contract == "CDD"


def test_volunteering_may_omit_pay_but_other_contracts_may_not():
    assert validated(contract="bénévolat", pay_status="").pay_status == ""
    for contract in ("CDI", "stage", "indépendant", "autre"):
        with pytest.raises(UserError) as caught:
            validated(contract=contract, pay_status="")
        assert caught.value.key == "jobs.validation.pay_required"
        assert caught.value.params["contract"] == contract


def test_an_email_is_accepted_as_contact_link():
    assert validated(link="recrutement@horizon.example.org").link == "recrutement@horizon.example.org"
    assert validated(link="mailto:rh@horizon.example.org").link == "rh@horizon.example.org"


def test_the_unknown_region_message_lists_the_choices():
    with pytest.raises(UserError) as caught:
        validated(region="Mars")
    assert "Wallonie" in caught.value.params["choices"]


@pytest.mark.parametrize(
    ("text", "expected_local"),
    [
        ("31/03/2025", dt.date(2025, 3, 31)),
        ("31/03", dt.date(2025, 3, 31)),
        ("2025-04-15", dt.date(2025, 4, 15)),
        ("15 avril", dt.date(2025, 4, 15)),
        ("mardi 1er avril 2025", dt.date(2025, 4, 1)),
        ("5 mars", dt.date(2026, 3, 5)),  # already past this year: next year
        ("1/2/26", dt.date(2026, 2, 1)),
    ],
)
def test_deadlines_are_read_the_french_way(text, expected_local):
    deadline = jobs.parse_deadline(text, TZ, NOW)
    local = deadline.astimezone(ZoneInfo(TZ))
    assert local.date() == expected_local and (local.hour, local.minute) == (23, 59)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("demain", "jobs.validation.deadline_format"),
        ("31/02/2025", "jobs.validation.deadline_invalid"),
        ("40 mars", "jobs.validation.deadline_invalid"),
    ],
)
def test_unreadable_deadlines_are_refused(text, key):
    with pytest.raises(UserError) as caught:
        jobs.parse_deadline(text, TZ, NOW)
    assert caught.value.key == key


# -- fair work -------------------------------------------------------------------------------------------
def test_unpaid_peer_worker_role_is_flagged():
    flags = jobs.fair_work_flags(validated(contract="bénévolat", pay_status=""))
    assert jobs.FLAG_UNPAID_PEER_ROLE in flags
    flags = jobs.fair_work_flags(validated(contract="stage", pay_status="Stage non rémunéré"))
    assert jobs.FLAG_UNPAID_PEER_ROLE in flags
    flags = jobs.fair_work_flags(validated(contract="CDI", pay_status="Non rémunéré, défraiement possible"))
    assert jobs.FLAG_UNPAID_PEER_ROLE in flags


def test_paid_peer_role_and_unpaid_non_peer_role_are_not_flagged():
    assert jobs.fair_work_flags(validated()) == ()
    reception = validated(
        title="Accueil à la bibliothèque",
        contract="bénévolat",
        pay_status="",
        missions="Accueillir le public le samedi.",
        profile="Sens du contact.",
    )
    assert jobs.FLAG_UNPAID_PEER_ROLE not in jobs.fair_work_flags(reception)


@pytest.mark.parametrize(
    "text",
    [
        "Merci de préciser votre diagnostic dans la lettre de motivation.",
        "Joindre un certificat médical à la candidature.",
        "Indiquez la nature de votre trouble.",
        "Quelle est votre pathologie ?",
    ],
)
def test_asking_to_disclose_a_diagnosis_is_flagged(text):
    assert jobs.FLAG_ASKS_DIAGNOSIS in jobs.fair_work_flags(validated(how_to_apply=text))


def test_a_diagnosis_mentioned_in_the_missions_is_not_a_request():
    inp = validated(missions="Soutenir les personnes qui viennent de recevoir un diagnostic.")
    assert jobs.FLAG_ASKS_DIAGNOSIS not in jobs.fair_work_flags(inp)


def test_feed_offers_without_pay_are_flagged_not_refused():
    inp = jobs.validate(
        jobs.OfferInput("Pair-aidant", "Réseau", "Wallonie", "CDI", link="https://r.example.org/1"),
        CFG,
        NOW,
        from_feed=True,
    )
    assert jobs.fair_work_flags(inp) == (jobs.FLAG_PAY_MISSING,)


# -- duplicates and queue ----------------------------------------------------------------------------------
async def submit(
    db: Database, inp: jobs.OfferInput | None = None, *, publish=False, who=7, when=NOW
) -> jobs.Offer:
    return await jobs.submit_offer(
        db, G, inp or validated(), submitter_id=who, publish_now=publish, now=when, default_expiry_days=60
    )


async def test_same_normalised_link_is_a_likely_duplicate(db):
    first = await submit(db)
    other = validated(
        title="Autre intitulé",
        employer="Autre employeur",
        link="http://www.horizon.example.org/offres/42/?fbclid=abc",
    )
    assert [o.id for o in await jobs.find_duplicates(db, G, other, NOW)] == [first.id]


async def test_same_title_and_employer_within_30_days_is_a_likely_duplicate(db):
    first = await submit(db)
    again = validated(title="TRAVAILLEUR PAIR en équipe mobile!", employer="asbl horizon", link=None)
    assert [o.id for o in await jobs.find_duplicates(db, G, again, NOW + dt.timedelta(days=29))] == [first.id]
    assert await jobs.find_duplicates(db, G, again, NOW + dt.timedelta(days=31)) == []
    # another guild never counts, nor a refused offer
    assert await jobs.find_duplicates(db, G + 1, again, NOW) == []
    await jobs.refuse(db, G, first.id, moderator_id=2, is_moderator=True, reason="hors sujet", now=NOW)
    assert await jobs.find_duplicates(db, G, again, NOW) == []


async def test_queue_approve_is_for_moderators_and_happens_once(db):
    offer = await submit(db)
    assert offer.status == "pending" and offer.published_at is None
    with pytest.raises(NotAllowed):
        await jobs.approve(
            db, G, offer.id, moderator_id=7, is_moderator=False, now=NOW, default_expiry_days=60
        )
    assert (await jobs.get_offer(db, G, offer.id)).status == "pending"
    published = await jobs.approve(
        db, G, offer.id, moderator_id=2, is_moderator=True, now=NOW, default_expiry_days=60
    )
    assert published.status == "published" and published.moderator_id == 2
    assert published.expires_at == offer.deadline
    with pytest.raises(UserError) as caught:
        await jobs.approve(
            db, G, offer.id, moderator_id=3, is_moderator=True, now=NOW, default_expiry_days=60
        )
    assert caught.value.key == "jobs.queue.already.published"
    with pytest.raises(NotFound):
        await jobs.approve(db, G, 999, moderator_id=3, is_moderator=True, now=NOW, default_expiry_days=60)


async def test_refuse_needs_a_reason_and_keeps_it_for_the_submitter(db):
    offer = await submit(db)
    with pytest.raises(UserError) as caught:
        await jobs.refuse(db, G, offer.id, moderator_id=2, is_moderator=True, reason="  ", now=NOW)
    assert caught.value.key == "jobs.queue.reason_required"
    with pytest.raises(NotAllowed):
        await jobs.refuse(db, G, offer.id, moderator_id=7, is_moderator=False, reason="non", now=NOW)
    refused = await jobs.refuse(
        db, G, offer.id, moderator_id=2, is_moderator=True, reason="Il manque la rémunération.", now=NOW
    )
    assert refused.status == "refused" and refused.refusal_reason == "Il manque la rémunération."


async def test_modify_by_submitter_or_moderator_only_and_flags_recomputed(db):
    offer = await submit(db)
    changed = dataclasses.replace(offer.as_input(), how_to_apply="Précisez votre diagnostic svp.")
    with pytest.raises(NotAllowed):
        await jobs.update_offer(
            db,
            G,
            offer.id,
            changed,
            actor_id=99,
            is_moderator=False,
            config=CFG,
            now=NOW,
            default_expiry_days=60,
        )
    edited = await jobs.update_offer(
        db, G, offer.id, changed, actor_id=2, is_moderator=True, config=CFG, now=NOW, default_expiry_days=60
    )
    assert edited.how_to_apply == "Précisez votre diagnostic svp."
    assert jobs.FLAG_ASKS_DIAGNOSIS in edited.flags
    bad = dataclasses.replace(offer.as_input(), pay_status="")
    with pytest.raises(UserError):
        await jobs.update_offer(
            db, G, offer.id, bad, actor_id=7, is_moderator=False, config=CFG, now=NOW, default_expiry_days=60
        )
    assert (await jobs.get_offer(db, G, offer.id)).pay_status == offer.pay_status  # nothing stored


async def test_trusted_members_publish_directly_with_an_expiry(db):
    offer = await submit(db, validated(deadline=None), publish=True)
    assert offer.status == "published"
    assert offer.expires_at == NOW + dt.timedelta(days=60)


async def test_withdraw_and_filled_permissions(db):
    offer = await submit(db, publish=True)
    with pytest.raises(NotAllowed):
        await jobs.close_offer(db, G, offer.id, status="filled", actor_id=99, is_moderator=False, now=NOW)
    filled = await jobs.close_offer(db, G, offer.id, status="filled", actor_id=7, is_moderator=False, now=NOW)
    assert filled.status == "filled"
    with pytest.raises(UserError) as caught:
        await jobs.close_offer(db, G, offer.id, status="withdrawn", actor_id=2, is_moderator=True, now=NOW)
    assert caught.value.key == "jobs.errors.closed.filled"


async def test_list_open_filters_and_paginates(db):
    for i in range(7):
        await submit(
            db,
            validated(title=f"Poste {i}", link=None, region="Wallonie" if i % 2 else "Bruxelles"),
            publish=True,
        )
    await submit(db, validated(title="En attente", link=None))
    page = await jobs.list_open(db, G, per_page=5)
    assert page.total == 7 and page.pages == 2 and len(page.offers) == 5
    last = await jobs.list_open(db, G, page=1, per_page=5)
    assert len(last.offers) == 2
    walloon = await jobs.list_open(db, G, region="Wallonie")
    assert walloon.total == 3 and all(o.region == "Wallonie" for o in walloon.offers)
    assert (await jobs.list_open(db, G, contract="CDI")).total == 0


# -- alerts ------------------------------------------------------------------------------------------------
def sub(user, regions=(), contracts=(), keywords=(), rhythm="immediat", failures=0) -> jobs.Subscription:
    return jobs.Subscription(G, user, tuple(regions), tuple(contracts), tuple(keywords), rhythm, failures)


def test_alert_matching_region_contract_keyword():
    subs = [
        sub(1),  # everything
        sub(2, regions=["Bruxelles"]),
        sub(3, regions=["Wallonie"]),
        sub(4, contracts=["CDI", "CDD"]),
        sub(5, contracts=["stage"]),
        sub(6, keywords=["équipe mobile"]),  # phrase, accents folded
        sub(7, keywords=["addiction"]),
        sub(8, regions=["Bruxelles"], contracts=["CDD"], keywords=["pair", "logement"], rhythm="quotidien"),
        sub(9, failures=jobs.MAX_DM_FAILURES),  # paused after closed DMs
        sub(10, keywords=["mobile equipe"]),  # words present but not as a phrase
    ]
    index = jobs.AlertIndex(subs)
    text = "Travailleur pair en Equipe Mobile, Schaerbeek"
    found = index.match("Bruxelles", "CDD", text)
    assert found == {1: "immediat", 2: "immediat", 4: "immediat", 6: "immediat", 8: "quotidien"}
    assert found == jobs.naive_match(subs, "Bruxelles", "CDD", text)


REGIONS = ["Bruxelles", "Wallonie", "Flandre", "Bretagne"]
CONTRACTS = ["CDI", "CDD", "stage"]
WORDS = ["pair", "mobile", "addiction", "logement", "nuit", "equipe mobile", "santé"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(REGIONS), max_size=2),
            st.lists(st.sampled_from(CONTRACTS), max_size=2),
            st.lists(st.sampled_from(WORDS), max_size=2),
            st.sampled_from(jobs.RHYTHMS),
        ),
        max_size=30,
    ),
    st.sampled_from(REGIONS),
    st.sampled_from(CONTRACTS),
    st.lists(st.sampled_from(WORDS + ["autre", "Équipe"]), max_size=6),
)
def test_index_agrees_with_the_naive_scan(specs, region, contract, words):
    subs = [
        sub(i, sorted(set(r)), sorted(set(c)), sorted(set(k)), rhythm)
        for i, (r, c, k, rhythm) in enumerate(specs)
    ]
    text = " ".join(words)
    assert jobs.AlertIndex(subs).match(region, contract, text) == jobs.naive_match(
        subs, region, contract, text
    )


async def test_subscription_options_and_index_cache_reload(db):
    regions = jobs.parse_names("bruxelles, Wallonie", CFG.region_names, "region")
    assert regions == ("Bruxelles", "Wallonie")
    with pytest.raises(UserError) as caught:
        jobs.parse_names("Bruxelles, Mars", CFG.region_names, "region")
    assert caught.value.key == "jobs.alerts.unknown_region"
    assert jobs.parse_names("toutes", CFG.region_names, "region") == ()
    cache = jobs.AlertIndexCache()
    assert (await cache.get(db, G)).size == 0
    await jobs.set_subscription(
        db, G, 50, regions=regions, contracts=None, keywords=("pair",), rhythm=None, now=NOW
    )
    index = await cache.get(db, G)
    assert index.size == 1 and await cache.get(db, G) is index  # unchanged version: same object
    updated = await jobs.set_subscription(
        db, G, 50, regions=None, contracts=("CDI",), keywords=None, rhythm="quotidien", now=NOW
    )
    assert updated.regions == ("Bruxelles", "Wallonie") and updated.contracts == ("CDI",)
    assert updated.rhythm == "quotidien"
    assert (await cache.get(db, G)) is not index
    assert await jobs.delete_subscription(db, G, 50)
    assert (await cache.get(db, G)).size == 0


async def test_index_cache_sees_a_subscription_erased_by_another_process(db):
    await jobs.set_subscription(db, G, 80, regions=(), contracts=(), keywords=(), rhythm="immediat", now=NOW)
    cache = jobs.AlertIndexCache()
    assert (await cache.get(db, G)).match("Bruxelles", "CDI", "Poste") == {80: "immediat"}
    other = await Database.open(db.path)  # ``relais data erase`` while the bot runs
    try:
        assert await jobs.delete_subscription(other, G, 80)
    finally:
        await other.close()
    assert (await cache.get(db, G)).match("Bruxelles", "CDI", "Poste") == {}


async def test_closed_dms_pause_alerts_until_the_member_subscribes_again(db):
    await jobs.set_subscription(db, G, 60, regions=(), contracts=(), keywords=(), rhythm="immediat", now=NOW)
    cache = jobs.AlertIndexCache()
    for attempt in range(jobs.MAX_DM_FAILURES):
        paused = await jobs.record_dm_result(db, G, 60, delivered=False, now=NOW)
        assert paused == (attempt == jobs.MAX_DM_FAILURES - 1)
    assert (await cache.get(db, G)).size == 0
    offer = await submit(db, publish=True)
    assert await jobs.record_alerts(db, offer, await cache.get(db, G), NOW) == {
        "immediat": [],
        "quotidien": [],
    }
    await jobs.set_subscription(db, G, 60, regions=None, contracts=None, keywords=None, rhythm=None, now=NOW)
    assert (await cache.get(db, G)).size == 1


async def test_alerts_recorded_once_and_digest_grouped_by_member(db):
    for user, rhythm in ((70, "immediat"), (71, "quotidien"), (72, "quotidien")):
        await jobs.set_subscription(
            db, G, user, regions=(), contracts=(), keywords=(), rhythm=rhythm, now=NOW
        )
    await jobs.set_subscription(db, G, 7, regions=(), contracts=(), keywords=(), rhythm="immediat", now=NOW)
    cache = jobs.AlertIndexCache()
    a = await submit(db, validated(title="Poste A", link=None), publish=True)
    b = await submit(db, validated(title="Poste B", link=None), publish=True)
    c = await submit(db, validated(title="Poste C", link=None), publish=True)
    for offer in (a, b, c):
        grouped = await jobs.record_alerts(db, offer, await cache.get(db, G), NOW)
        assert grouped == {"immediat": [70], "quotidien": [71, 72]}  # the submitter (7) is not alerted
    await jobs.record_alerts(db, a, await cache.get(db, G), NOW)  # twice: no duplicate rows
    assert await jobs.pending_immediate(db, G, a.id) == [70]
    await jobs.mark_alerts(db, G, 70, [a.id], "sent", NOW)
    assert await jobs.pending_immediate(db, G, a.id) == []

    await jobs.close_offer(db, G, c.id, status="filled", actor_id=7, is_moderator=False, now=NOW)
    digests = await jobs.digest_batches(db, G)
    assert [(d.user_id, [o.title for o in d.offers]) for d in digests] == [
        (71, ["Poste A", "Poste B"]),
        (72, ["Poste A", "Poste B"]),
    ]
    for digest in digests:
        await jobs.mark_alerts(db, G, digest.user_id, [o.id for o in digest.offers], "sent", NOW)
    assert await jobs.digest_batches(db, G) == []


def test_next_digest_time_is_the_next_local_hour():
    morning = jobs.next_digest_time(dt.datetime(2025, 3, 10, 6, 0, tzinfo=dt.UTC), TZ, 8)
    assert morning == dt.datetime(2025, 3, 10, 7, 0, tzinfo=dt.UTC)  # 08:00 in Brussels (UTC+1)
    later = jobs.next_digest_time(dt.datetime(2025, 3, 10, 7, 0, tzinfo=dt.UTC), TZ, 8)
    assert later == dt.datetime(2025, 3, 11, 7, 0, tzinfo=dt.UTC)
    summer = jobs.next_digest_time(dt.datetime(2025, 7, 1, 12, 0, tzinfo=dt.UTC), TZ, 8)
    assert summer == dt.datetime(2025, 7, 2, 6, 0, tzinfo=dt.UTC)


# -- expiry through the durable timers ------------------------------------------------------------
async def test_expiry_fires_once_after_a_simulated_restart(tmp_path):
    path = tmp_path / "relais.db"
    clock = {"now": NOW}
    fired: list[int] = []

    async def handler(db: Database, timer) -> None:
        offer = await jobs.expire_offer(db, timer.guild_id, timer.payload["offer_id"], clock["now"])
        if offer is not None:
            fired.append(offer.id)

    db = await Database.open(path)
    timers = TimerService(db, clock=lambda: clock["now"])
    offer = await submit(db, validated(deadline=NOW + dt.timedelta(days=3)), publish=True)
    await jobs.schedule_expiry(timers, offer, 60)
    timers.register(jobs.KIND_EXPIRE, lambda t: handler(db, t))
    assert await timers.run_due() == 0
    await db.close()  # the bot stops before the deadline

    clock["now"] = NOW + dt.timedelta(days=4)
    db = await Database.open(path)
    timers = TimerService(db, clock=lambda: clock["now"])
    timers.register(jobs.KIND_EXPIRE, lambda t: handler(db, t))
    await timers.recover_expired(include_own=True)
    assert await timers.run_due() == 1
    assert await timers.run_due() == 0
    assert fired == [offer.id]
    assert (await jobs.get_offer(db, G, offer.id)).status == "expired"
    # at-least-once: a second delivery is harmless
    assert await jobs.expire_offer(db, G, offer.id, clock["now"]) is None
    await db.close()


async def test_moving_the_deadline_later_keeps_the_offer_open(db):
    offer = await submit(db, publish=True)
    later = dataclasses.replace(offer.as_input(), deadline=NOW + dt.timedelta(days=40))
    await jobs.update_offer(
        db, G, offer.id, later, actor_id=7, is_moderator=False, config=CFG, now=NOW, default_expiry_days=60
    )
    assert await jobs.expire_offer(db, G, offer.id, NOW + dt.timedelta(days=21)) is None
    assert (await jobs.expire_offer(db, G, offer.id, NOW + dt.timedelta(days=41))).status == "expired"


# -- configuration -------------------------------------------------------------------------------
def test_shipped_config_is_valid():
    from tests.helpers import CONFIG

    assert jobs.check_config(CONFIG) == []
    config, _ = jobs.load_config(CONFIG)
    assert {"Bruxelles", "Wallonie", "Flandre", "Île-de-France", "À distance"} <= set(config.region_names)
    assert config.contracts == ("CDI", "CDD", "intérim", "stage", "bénévolat", "indépendant", "autre")


def test_config_problems_have_file_and_line(tmp_path):
    (tmp_path / "jobs.yaml").write_text(
        "regions:\n  - name: Bruxelles\n  - name: bruxelles\ncontracts: [CDI]\n"
        "feeds:\n  - name: X\n    url: ftp://x.example.org/feed\n    region: Bruxelles\n"
        "  - name: Y\n    url: https://y.example.org/feed\n    region: Lune\n",
        encoding="utf-8",
    )
    problems = jobs.check_config(tmp_path)
    assert [(p.line, p.message.split(" ")[0]) for p in problems] == [
        (3, "région"),
        (7, "adresse"),
        (11, "région"),
    ]
    assert jobs.check_config(tmp_path / "missing")[0].message == "fichier introuvable"
