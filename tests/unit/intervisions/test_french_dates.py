"""French date parsing, table-tested: what members type → the instant Relais stores, or a precise refusal."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.core.errors import UserError
from bot.intervisions import french_dates as fd

BXL = "Europe/Brussels"
TZ = ZoneInfo(BXL)
# Tuesday 10 March 2026, 11:00 in Brussels: both 2026 daylight-saving days are ahead.
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


def local(y, m, d, hh=14, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


ACCEPTED = [
    # text dates
    ("3 décembre 14h", local(2026, 12, 3), None),
    ("3 decembre 14h", local(2026, 12, 3), None),
    ("3 Décembre à 14h30", local(2026, 12, 3, 14, 30), None),
    ("1er juillet 9h", local(2026, 7, 1, 9), None),
    ("le 12 mai 2027 à 10h", local(2027, 5, 12, 10), None),
    ("jeudi 3 décembre 14h", local(2026, 12, 3), None),
    ("3 déc. 14h", local(2026, 12, 3), None),
    ("3 décembre 14 h 30", local(2026, 12, 3, 14, 30), None),
    # numeric day/month (French order), years rolled forward
    ("14/01 14h-16h30", local(2027, 1, 14), local(2027, 1, 14, 16, 30)),
    ("14/01 de 14h à 16h30", local(2027, 1, 14), local(2027, 1, 14, 16, 30)),
    ("de 14h à 16h30 le 14/01", local(2027, 1, 14), local(2027, 1, 14, 16, 30)),
    ("3/12 14h", local(2026, 12, 3), None),
    ("03/12/2026 14:00", local(2026, 12, 3), None),
    ("3.12.26 14h", local(2026, 12, 3), None),
    ("11/03 9h", local(2026, 3, 11, 9), None),
    ("9/03 14h", local(2027, 3, 9), None),  # yesterday's date: next year
    ("14/01 14h–16h30", local(2027, 1, 14), local(2027, 1, 14, 16, 30)),  # en dash
    # ISO and 24 h forms
    ("2026-12-03 14:00", local(2026, 12, 3), None),
    ("2026-12-03T14:00", local(2026, 12, 3), None),
    ("2026-12-03 14:00-16:30", local(2026, 12, 3), local(2026, 12, 3, 16, 30)),
    ("3/12 8h05", local(2026, 12, 3, 8, 5), None),
    ("3/12 23h59", local(2026, 12, 3, 23, 59), None),
    ("3/12 0h", local(2026, 12, 3, 0), None),
    # midi, minuit
    ("3/12 midi", local(2026, 12, 3, 12), None),
    ("3/12 à midi et demi", local(2026, 12, 3, 12, 30), None),
    ("4/12 minuit", local(2026, 12, 4, 0), None),
    ("3/12 22h-minuit", local(2026, 12, 3, 22), local(2026, 12, 4, 0)),
    # weekdays and relative days (NOW is a Tuesday, 11:00)
    ("mardi prochain à 14h", local(2026, 3, 17), None),
    ("mercredi 14h", local(2026, 3, 11), None),
    ("lundi 10h", local(2026, 3, 16, 10), None),
    ("mardi 9h", local(2026, 3, 17, 9), None),  # today's 9h is past: next Tuesday, no doubt
    ("mardi en huit 14h", local(2026, 3, 24), None),
    ("jeudi qui vient 14h", local(2026, 3, 12), None),
    ("demain 14h", local(2026, 3, 11), None),
    ("après-demain à 10h", local(2026, 3, 12, 10), None),
    ("aujourd'hui 18h", local(2026, 3, 10, 18), None),
    # no hour: the default start (14:00)
    ("3 décembre", local(2026, 12, 3), None),
    # daylight-saving days: wall times on either side of the change
    ("29/03 14h", local(2026, 3, 29), None),
    ("28/03 14h", local(2026, 3, 28), None),
    ("29/03 3h", local(2026, 3, 29, 3), None),
    ("29/03 1h30", local(2026, 3, 29, 1, 30), None),
    ("25/10 14h", local(2026, 10, 25), None),
    ("25/10 1h30", local(2026, 10, 25, 1, 30), None),
    ("25/10 3h", local(2026, 10, 25, 3), None),
]


@pytest.mark.parametrize(("text", "start", "end"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted_inputs(text, start, end):
    slot = fd.parse_when(text, BXL, NOW)
    assert slot.start == start
    assert slot.start.utcoffset() == start.utcoffset()
    assert slot.end == end


REJECTED = [
    ("", "intervisions.dates.empty"),
    ("14h", "intervisions.dates.no_date"),
    ("bientôt", "intervisions.dates.unknown_word"),
    ("3 décembre 14h avec Paul", "intervisions.dates.unknown_word"),
    ("31/02 14h", "intervisions.dates.bad_day"),
    ("3/13 14h", "intervisions.dates.bad_day"),
    ("2025-12-03 14:00", "intervisions.dates.past"),
    ("aujourd'hui 9h", "intervisions.dates.past"),
    ("3/12 25h", "intervisions.dates.bad_time"),
    ("3/12 14h75", "intervisions.dates.bad_time"),
    ("3/12 14h-13h", "intervisions.dates.end_before_start"),
    ("3/12 14h-14h", "intervisions.dates.end_before_start"),
    ("3/12 6h-22h", "intervisions.dates.too_long"),
    ("mardi 4 décembre 14h", "intervisions.dates.weekday_mismatch"),
    ("mardi 14h", "intervisions.dates.ambiguous_weekday"),
    ("29/03 2h30", "intervisions.dates.nonexistent"),
    ("29/03 2h", "intervisions.dates.nonexistent"),
    ("25/10 2h30", "intervisions.dates.ambiguous"),
    ("25/10 2h", "intervisions.dates.ambiguous"),
]


@pytest.mark.parametrize(("text", "key"), REJECTED, ids=[r[0] or "empty" for r in REJECTED])
def test_rejected_inputs(text, key):
    with pytest.raises(UserError) as caught:
        fd.parse_when(text, BXL, NOW)
    assert caught.value.key == key


def test_table_is_big_enough():
    assert len(ACCEPTED) + len(REJECTED) >= 40


def test_ambiguous_hour_of_october_change_shows_both_readings():
    with pytest.raises(UserError) as caught:
        fd.parse_when("25/10 2h30", BXL, NOW)
    params = caught.value.params
    assert "UTC+2" in params["first"] and "UTC+1" in params["second"]
    assert "25 octobre 2026 à 2h30" in params["first"] and "25 octobre 2026 à 2h30" in params["second"]


def test_nonexistent_hour_of_march_change_suggests_the_hours_around_it():
    with pytest.raises(UserError) as caught:
        fd.parse_when("29/03 2h30", BXL, NOW)
    assert caught.value.params["before"] == "1h"
    assert caught.value.params["after"] == "3h30"


def test_weekday_ambiguity_shows_today_and_next_week():
    with pytest.raises(UserError) as caught:
        fd.parse_when("mardi 14h", BXL, NOW)
    assert caught.value.params["first"] == "mardi 10 mars 2026 à 14h"
    assert caught.value.params["second"] == "mardi 17 mars 2026 à 14h"


def test_weekday_mismatch_shows_both_readings():
    with pytest.raises(UserError) as caught:
        fd.parse_when("mardi 4 décembre 14h", BXL, NOW)
    assert "vendredi 4 décembre 2026" in caught.value.params["first"]
    assert "mardi 1er décembre 2026" in caught.value.params["second"]


def test_dst_days_store_the_right_utc_instants():
    assert fd.parse_when("28/03 14h", BXL, NOW).start.astimezone(dt.UTC).hour == 13
    assert fd.parse_when("29/03 14h", BXL, NOW).start.astimezone(dt.UTC).hour == 12
    assert fd.parse_when("24/10 14h", BXL, NOW).start.astimezone(dt.UTC).hour == 12
    assert fd.parse_when("25/10 14h", BXL, NOW).start.astimezone(dt.UTC).hour == 13


def test_another_zone_reads_the_same_words_differently():
    paris = fd.parse_when("3/12 14h", "Europe/Paris", NOW).start
    montreal = fd.parse_when("3/12 14h", "America/Montreal", NOW).start
    assert montreal - paris == dt.timedelta(hours=6)


# -- fin: end hour or marked duration ---------------------------------------------------------
START = local(2026, 12, 3)
ENDS = [
    ("16h30", local(2026, 12, 3, 16, 30)),
    ("à 17h", local(2026, 12, 3, 17)),
    ("minuit", local(2026, 12, 4, 0)),
    ("+2h", local(2026, 12, 3, 16)),
    ("durée 2h30", local(2026, 12, 3, 16, 30)),
    ("pendant 90 min", local(2026, 12, 3, 15, 30)),
    ("2 heures", local(2026, 12, 3, 16)),
    ("45 min", local(2026, 12, 3, 14, 45)),
    ("1h30 de durée", local(2026, 12, 3, 15, 30)),
]


@pytest.mark.parametrize(("text", "end"), ENDS, ids=[e[0] for e in ENDS])
def test_end_as_hour_or_duration(text, end):
    assert fd.parse_end(text, START, BXL) == end


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("2h", "intervisions.dates.end_before_start"),  # a bare hour is an end time: 2h is before 14h
        ("13h", "intervisions.dates.end_before_start"),
        ("+13h", "intervisions.dates.too_long"),
        ("durée beaucoup", "intervisions.dates.bad_duration"),
        ("0 min", "intervisions.dates.bad_duration"),
    ],
)
def test_end_rejections(text, key):
    with pytest.raises(UserError) as caught:
        fd.parse_end(text, START, BXL)
    assert caught.value.key == key


def test_duration_across_the_october_change_is_real_time():
    start = local(2026, 10, 25, 1, 0)  # UTC+2, one hour before the clocks go back
    end = fd.parse_end("+3h", start, BXL)
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(hours=3)
    assert end.astimezone(TZ).hour == 3


# -- series -----------------------------------------------------------------------------------
def days(slots):
    return [(s.start.year, s.start.month, s.start.day, s.start.hour, s.start.minute) for s in slots]


def test_series_from_a_list_runs_forward_across_the_new_year():
    slots = fd.parse_series("3/12, 14/01, 18/02, 8/04, 3/06 de 14h à 16h30", BXL, NOW)
    assert days(slots) == [
        (2026, 12, 3, 14, 0),
        (2027, 1, 14, 14, 0),
        (2027, 2, 18, 14, 0),
        (2027, 4, 8, 14, 0),
        (2027, 6, 3, 14, 0),
    ]
    assert all((s.end - s.start) == dt.timedelta(hours=2, minutes=30) for s in slots)


def test_series_rule_every_six_weeks_until_a_date():
    slots = fd.parse_series("toutes les 6 semaines le mardi à 14h jusqu'au 30 juin", BXL, NOW)
    assert days(slots) == [(2026, 3, 17, 14, 0), (2026, 4, 28, 14, 0), (2026, 6, 9, 14, 0)]
    # 17 March is winter time, 28 April summer time: the wall time stays 14h.
    assert slots[0].start.utcoffset() == dt.timedelta(hours=1)
    assert slots[1].start.utcoffset() == dt.timedelta(hours=2)


def test_series_rule_first_thursday_of_the_month():
    slots = fd.parse_series("le premier jeudi du mois", BXL, NOW, default_count=4)
    assert days(slots) == [(2026, 4, 2, 14, 0), (2026, 5, 7, 14, 0), (2026, 6, 4, 14, 0), (2026, 7, 2, 14, 0)]


def test_series_rule_last_friday_with_count_and_range():
    slots = fd.parse_series("le dernier vendredi du mois de 10h à 12h, 3 fois", BXL, NOW)
    assert days(slots) == [(2026, 3, 27, 10, 0), (2026, 4, 24, 10, 0), (2026, 5, 29, 10, 0)]
    assert slots[0].end == local(2026, 3, 27, 12)


def test_series_refusals():
    with pytest.raises(UserError) as caught:
        fd.parse_series("toutes les semaines à 14h", BXL, NOW)
    assert caught.value.key == "intervisions.dates.rule_needs_weekday"
    with pytest.raises(UserError) as caught:
        fd.parse_series("chaque semaine le lundi jusqu'au 1/03/2030", BXL, NOW)
    assert caught.value.key == "intervisions.dates.too_many"
    with pytest.raises(UserError) as caught:
        fd.parse_series("3/12/2026, 1/12/2026", BXL, NOW)
    assert caught.value.key == "intervisions.dates.not_in_order"
    with pytest.raises(UserError) as caught:
        fd.parse_series("25/10, 26/10 à 2h30", BXL, NOW)
    assert caught.value.key == "intervisions.dates.ambiguous"


def test_french_formatting():
    assert fd.format_when(local(2026, 12, 1, 14, 30)) == "mardi 1er décembre 2026 à 14h30"
    assert (
        fd.format_range(local(2026, 12, 3), local(2026, 12, 3, 16, 30))
        == "jeudi 3 décembre 2026 de 14h à 16h30"
    )
    assert fd.format_when(local(2026, 12, 3), "en") == "Thursday 3 December 2026, 14:00"
