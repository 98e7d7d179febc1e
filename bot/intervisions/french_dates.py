"""French dates and times typed by members, read in the guild's time zone. Discord-free.

A small hand-written parser rather than ``dateparser``: the forms members type are few and
known (« 3 décembre 14h », « mardi prochain à 14h », « 14/01 14h-16h30 », « 2026-12-03 14:00 »,
« midi », « minuit »), and we need *predictable* answers plus precise refusals, which a
general-purpose guesser does not give (it silently picks one reading of an ambiguous input).

Decisions (documented in docs/intervisions.md, tested in tests/unit/test_french_dates.py):

* Day/month order is always French: ``3/12`` is 3 December. A date without a year is the next
  one on or after today; a list of dates without years runs forward (« 3/12, 14/01 » crosses
  into the next year).
* « mardi » alone is the next Tuesday; typed on a Tuesday while the hour is still ahead it could
  mean today or next week: refused, both readings shown. « mardi prochain » is the first Tuesday
  strictly after today (tomorrow when typed on a Monday); « mardi en huit » is one week later.
* A weekday that contradicts the date (« mardi 4 décembre » when the 4th is a Friday) is refused
  with both readings.
* « minuit » is 00:00 at the start of the day named; as an *end* time it is the midnight that
  closes the day (24:00). « midi » is 12:00.
* No hour given: the configured default start (14:00, the network's usual hour).
* Daylight saving (Europe/Brussels: last Sunday of March 02:00→03:00, last Sunday of October
  03:00→02:00): a wall time that does not exist (29 March 2026 at 2h30) is refused with the
  hours around it; a wall time that happens twice (25 October 2026 at 2h30) is refused with
  both readings (summer time UTC+2, winter time UTC+1). Repeated sessions keep their wall time
  across a change (14h stays 14h), so their UTC instant moves by an hour.
* A bare hour given as ``fin`` is an end time (« 16h30 »); a duration needs a marker:
  « +2h », « durée 2h30 », « pendant 90 min », « 2 heures », « 45 min ».
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.core.errors import UserError

MONTHS = {
    "janvier": 1,
    "janv": 1,
    "jan": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "sep": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}
WEEKDAYS = {"lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6}
ORDINALS = {
    "premier": 1,
    "1er": 1,
    "1re": 1,
    "premiere": 1,
    "deuxieme": 2,
    "second": 2,
    "seconde": 2,
    "2e": 2,
    "2eme": 2,
    "troisieme": 3,
    "3e": 3,
    "3eme": 3,
    "quatrieme": 4,
    "4e": 4,
    "4eme": 4,
    "dernier": -1,
    "derniere": -1,
}
FR_MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
FR_DAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
EN_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
EN_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

MAX_DURATION = dt.timedelta(hours=12)
MAX_OCCURRENCES = 52
FILLER = {"le", "la", "l", "a", "de", "du", "au", "et", "vers", "pour", "on", "t", "des", "en", "soit", "aux"}

_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_ALT = "|".join(WEEKDAYS)
_ORD_ALT = "|".join(sorted((re.escape(k) for k in ORDINALS), key=len, reverse=True))
_TIME = r"(?:\d{1,2}\s*(?:h|:)\s*(?:\d{2}(?!\d))?|midi(?:\s+et\s+demie?)?|minuit(?:\s+et\s+demie?)?)"
_RANGE_SEP = r"(?:-|a|jusqu'a|jusqu a)"

ISO_RE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?:t(?=\d))?")
RANGE_RE = re.compile(rf"(?:\bde\s+)?(?<![\d/.])({_TIME})\s*{_RANGE_SEP}\s*({_TIME})")
TIME_RE = re.compile(rf"(?:\ba\s+)?(?<![\d/.])({_TIME})")
NUMERIC_RE = re.compile(r"(?<![\d:])(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}|\d{2}))?(?![\d:])")
TEXT_DATE_RE = re.compile(rf"(?<!\d)(\d{{1,2}})(?:er)?\s+({_MONTH_ALT})\b\.?(?:\s+(\d{{4}}))?")
WEEKDAY_RE = re.compile(rf"\b({_DAY_ALT})\b(?:\s+(prochain|qui vient|en huit))?")
RELATIVE_RE = re.compile(r"\b(apres-demain|apres demain|aujourd'hui|aujourdhui|demain)\b")
ONE_TIME_RE = re.compile(r"^(?:(\d{1,2})\s*(?:h|:)\s*(\d{2})?|(midi|minuit)(\s+et\s+demie?)?)$")


@dataclass(frozen=True, slots=True)
class Slot:
    """One session's start and (when typed) end, aware datetimes in the guild's zone."""

    start: dt.datetime
    end: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class _Time:
    hour: int
    minute: int
    midnight: bool = False


# -- text helpers -----------------------------------------------------------------------------
def normalize(text: str) -> str:
    """Lower case, no accents, plain apostrophes and dashes, single spaces."""
    text = text.replace("’", "'").replace("–", "-").replace("—", "-")
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"\b(\d{1,2})(?:er|re)\b", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def format_time(moment: dt.datetime | dt.time, locale: str = "fr") -> str:
    if locale == "en":
        return f"{moment.hour:02d}:{moment.minute:02d}"
    return f"{moment.hour}h{moment.minute:02d}" if moment.minute else f"{moment.hour}h"


def format_date(moment: dt.date | dt.datetime, locale: str = "fr") -> str:
    if locale == "en":
        return (
            f"{EN_DAY_NAMES[moment.weekday()]} {moment.day} {EN_MONTH_NAMES[moment.month - 1]} {moment.year}"
        )
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{FR_DAY_NAMES[moment.weekday()]} {day} {FR_MONTH_NAMES[moment.month - 1]} {moment.year}"


def format_when(moment: dt.datetime, locale: str = "fr") -> str:
    """« mardi 3 décembre 2026 à 14h » / "Tuesday 3 December 2026, 14:00"."""
    if locale == "en":
        return f"{format_date(moment, locale)}, {format_time(moment, locale)}"
    return f"{format_date(moment)} à {format_time(moment)}"


def format_range(start: dt.datetime, end: dt.datetime, locale: str = "fr") -> str:
    if end.date() == start.date() or (
        end - start <= dt.timedelta(hours=24) and end.hour == 0 and end.minute == 0
    ):
        if locale == "en":
            return f"{format_when(start, locale)}–{format_time(end, locale)}"
        return f"{format_date(start)} de {format_time(start)} à {format_time(end)}"
    return f"{format_when(start, locale)} → {format_when(end, locale)}"


def _offset_label(moment: dt.datetime) -> str:
    offset = moment.utcoffset() or dt.timedelta(0)
    hours = int(offset.total_seconds() // 3600)
    return f"UTC{hours:+d}"


# -- pieces -----------------------------------------------------------------------------------
def _parse_time(raw: str, original: str) -> _Time:
    match = ONE_TIME_RE.match(raw.strip())
    if match is None:
        raise UserError("intervisions.dates.bad_time", value=original)
    if match.group(3):
        half = 30 if match.group(4) else 0
        if match.group(3) == "midi":
            return _Time(12, half)
        return _Time(0, half, midnight=not half)
    hour = int(match.group(1))
    minute = int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise UserError("intervisions.dates.bad_time", value=original)
    return _Time(hour, minute)


def _make_date(year: int, month: int, day: int, original: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise UserError("intervisions.dates.bad_day", value=original) from None


def _roll_forward(month: int, day: int, on_or_after: dt.date, original: str) -> dt.date:
    """The first date with this day and month on or after ``on_or_after`` (29/02 waits for a leap year)."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise UserError("intervisions.dates.bad_day", value=original)
    for year in range(on_or_after.year, on_or_after.year + 5):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate >= on_or_after:
            return candidate
    raise UserError("intervisions.dates.bad_day", value=original)


def _year(raw: str | None) -> int | None:
    if raw is None:
        return None
    value = int(raw)
    return value + 2000 if value < 100 else value


def localize(day: dt.date, time: _Time | dt.time, tz: ZoneInfo, original: str = "") -> dt.datetime:
    """Attach the zone to a wall time, refusing one that does not exist or that happens twice."""
    naive = dt.datetime(day.year, day.month, day.day, time.hour, time.minute)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    round_trip = first.astimezone(dt.UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != naive:
        before = (naive.replace(minute=0) - dt.timedelta(hours=1)).replace(tzinfo=tz)
        after = round_trip
        raise UserError(
            "intervisions.dates.nonexistent",
            value=original or format_when(first),
            date=format_date(day),
            time=format_time(naive),
            before=format_time(before),
            after=format_time(after),
        )
    if first.utcoffset() != second.utcoffset():
        raise UserError(
            "intervisions.dates.ambiguous",
            value=original or format_when(first),
            first=f"{format_when(first)} ({_offset_label(first)})",
            second=f"{format_when(second)} ({_offset_label(second)})",
        )
    return first


class _Scanner:
    """Takes recognised pieces out of the text; whatever is left must be filler words."""

    def __init__(self, text: str) -> None:
        self.text = text

    def take(self, regex: re.Pattern[str]) -> re.Match[str] | None:
        match = regex.search(self.text)
        if match is not None:
            self.text = self.text[: match.start()] + " " + self.text[match.end() :]
        return match

    def check_empty(self, original: str) -> None:
        leftover = [w for w in re.split(r"[\s,;']+", self.text) if w and w not in FILLER]
        if leftover:
            raise UserError("intervisions.dates.unknown_word", value=original, word=leftover[0][:40])


@dataclass(frozen=True, slots=True)
class _DateSpec:
    day: dt.date | None  # a calendar date (weekday already resolved)
    weekday: int | None  # a weekday typed next to a date, to check
    ambiguous_with: dt.date | None = None


def _take_date(
    scanner: _Scanner,
    iso: re.Match[str] | None,
    today: dt.date,
    original: str,
    start_time: _Time | None,
    now_local: dt.datetime,
) -> _DateSpec:
    weekday_match = scanner.take(WEEKDAY_RE)
    if iso is not None:
        return _DateSpec(
            _make_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)), original),
            WEEKDAYS[weekday_match.group(1)] if weekday_match else None,
        )
    text_date = scanner.take(TEXT_DATE_RE)
    numeric = None if text_date else scanner.take(NUMERIC_RE)
    weekday = WEEKDAYS[weekday_match.group(1)] if weekday_match else None
    if text_date is not None or numeric is not None:
        if text_date is not None:
            day_n, month, year = (
                int(text_date.group(1)),
                MONTHS[text_date.group(2)],
                _year(text_date.group(3)),
            )
        else:
            assert numeric is not None
            day_n, month, year = int(numeric.group(1)), int(numeric.group(2)), _year(numeric.group(3))
        if year is not None:
            return _DateSpec(_make_date(year, month, day_n, original), weekday)
        return _DateSpec(_roll_forward(month, day_n, today, original), weekday)
    relative = scanner.take(RELATIVE_RE)
    if relative is not None:
        word = relative.group(1)
        shift = {"demain": 1, "apres-demain": 2, "apres demain": 2}.get(word, 0)
        return _DateSpec(today + dt.timedelta(days=shift), weekday)
    if weekday_match is not None:
        assert weekday is not None
        modifier = weekday_match.group(2)
        delta = (weekday - today.weekday()) % 7
        if modifier in ("prochain", "qui vient"):
            delta = delta or 7
        elif modifier == "en huit":
            delta = (delta or 7) + 7
        elif delta == 0:
            time = start_time or _Time(0, 0)
            still_ahead = (time.hour, time.minute) > (now_local.hour, now_local.minute)
            if still_ahead:
                return _DateSpec(today, None, ambiguous_with=today + dt.timedelta(days=7))
            delta = 7
        return _DateSpec(today + dt.timedelta(days=delta), None)
    return _DateSpec(None, None)


def _check_weekday(spec: _DateSpec, tz: ZoneInfo, time: _Time, original: str) -> None:
    if spec.weekday is None or spec.day is None or spec.day.weekday() == spec.weekday:
        return
    shift = (spec.weekday - spec.day.weekday()) % 7
    if shift > 3:
        shift -= 7
    other = spec.day + dt.timedelta(days=shift)
    raise UserError(
        "intervisions.dates.weekday_mismatch",
        value=original,
        first=format_when(dt.datetime.combine(spec.day, dt.time(time.hour, time.minute))),
        second=format_when(dt.datetime.combine(other, dt.time(time.hour, time.minute))),
    )


def _end_from_time(day: dt.date, time: _Time, tz: ZoneInfo, original: str) -> dt.datetime:
    if time.midnight:
        return localize(day + dt.timedelta(days=1), time, tz, original)
    return localize(day, time, tz, original)


# -- public API -------------------------------------------------------------------------------
def parse_when(text: str, tz_name: str, now: dt.datetime, *, default_time: dt.time = dt.time(14, 0)) -> Slot:
    """One session: a date, an optional hour or hour range. Past dates are refused."""
    original = " ".join(text.split())[:100]
    norm = normalize(text)
    if not norm:
        raise UserError("intervisions.dates.empty")
    tz = ZoneInfo(tz_name)
    now_local = now.astimezone(tz)
    scanner = _Scanner(norm)
    iso = scanner.take(ISO_RE)  # first, so its dashes never look like an hour range
    start_time, end_time = _take_times(scanner, original)
    spec = _take_date(scanner, iso, now_local.date(), original, start_time, now_local)
    scanner.check_empty(original)
    if spec.day is None:
        raise UserError("intervisions.dates.no_date", value=original)
    time = start_time or _Time(default_time.hour, default_time.minute)
    if spec.ambiguous_with is not None:
        raise UserError(
            "intervisions.dates.ambiguous_weekday",
            value=original,
            first=format_when(dt.datetime.combine(spec.day, dt.time(time.hour, time.minute))),
            second=format_when(dt.datetime.combine(spec.ambiguous_with, dt.time(time.hour, time.minute))),
        )
    _check_weekday(spec, tz, time, original)
    start = localize(spec.day, time, tz, original)
    end = _end_from_time(spec.day, end_time, tz, original) if end_time is not None else None
    check_future(start, now)
    if end is not None:
        check_end(start, end, original)
    return Slot(start, end)


def check_future(start: dt.datetime, now: dt.datetime) -> None:
    if start <= now:
        raise UserError("intervisions.dates.past", when=format_when(start))


def check_end(start: dt.datetime, end: dt.datetime, original: str) -> None:
    # Compared in UTC: Python subtracts aware datetimes of one zone by wall time.
    if end.astimezone(dt.UTC) <= start.astimezone(dt.UTC):
        raise UserError(
            "intervisions.dates.end_before_start",
            value=original,
            start=format_when(start),
            end=format_when(end),
        )
    if end.astimezone(dt.UTC) - start.astimezone(dt.UTC) > MAX_DURATION:
        raise UserError(
            "intervisions.dates.too_long", value=original, hours=int(MAX_DURATION.total_seconds() // 3600)
        )


DURATION_RE = re.compile(
    r"^(?:\+\s*|duree\s*:?\s*|pendant\s+)?"
    r"(?:(\d{1,2})\s*(?:h|heures?)\s*(?:(\d{1,2})\s*(?:min(?:utes?)?)?)?|(\d{1,3})\s*min(?:utes?)?)"
    r"(?:\s+de\s+duree)?$"
)


def parse_duration(text: str) -> dt.timedelta | None:
    """A duration with an explicit marker, or None when ``text`` is not written as a duration."""
    norm = normalize(text)
    marked = (
        norm.startswith(("+", "duree", "pendant"))
        or norm.endswith("de duree")
        or re.search(r"\d\s*(?:heures?|min)", norm) is not None
    )
    if not marked:
        return None
    match = DURATION_RE.match(norm)
    if match is None:
        raise UserError("intervisions.dates.bad_duration", value=text.strip()[:60])
    if match.group(3):
        return dt.timedelta(minutes=int(match.group(3)))
    return dt.timedelta(hours=int(match.group(1)), minutes=int(match.group(2) or 0))


def parse_end(text: str, start: dt.datetime, tz_name: str) -> dt.datetime:
    """``fin``: an end hour on the start's day (« 16h30 », « minuit ») or a marked duration."""
    original = " ".join(text.split())[:60]
    duration = parse_duration(text)
    if duration is not None:
        if duration <= dt.timedelta(0):
            raise UserError("intervisions.dates.bad_duration", value=original)
        end = (start.astimezone(dt.UTC) + duration).astimezone(start.tzinfo)
        check_end(start, end, original)
        return end
    tz = ZoneInfo(tz_name)
    time = _parse_time(normalize(text).removeprefix("a ").strip(), original)
    end = _end_from_time(start.astimezone(tz).date(), time, tz, original)
    check_end(start, end, original)
    return end


# -- series ------------------------------------------------------------------------------------
RULE_EVERY_RE = re.compile(
    r"\b(?:(?:toutes|tous)\s+les\s+(?:(\d{1,2})\s+)?(semaines|jours|mois)|chaque\s+(semaine|mois)|hebdomadaire|mensuel(?:le)?)\b"
)
RULE_NTH_RE = re.compile(rf"\b(?:le\s+)?({_ORD_ALT})\s+({_DAY_ALT})\s+(?:du|de\s+chaque|de)\s+mois\b")
RULE_WEEKDAY_RE = re.compile(rf"\b(?:le\s+)?({_DAY_ALT})s?\b")
_DATE_WORDS = (
    rf"(?:\d{{1,2}}[/.]\d{{1,2}}(?:[/.]\d{{2,4}})?"
    rf"|\d{{1,2}}\s+(?:{_MONTH_ALT})\.?(?:\s+\d{{4}})?"
    rf"|\d{{4}}-\d{{1,2}}-\d{{1,2}})"
)
RULE_UNTIL_RE = re.compile(rf"\bjusqu'?\s*(?:au|a|a la)?\s*(?:le\s+)?({_DATE_WORDS})")
RULE_FROM_RE = re.compile(rf"\b(?:a partir du|a partir de|des le|depuis le|du)\s+(?:le\s+)?({_DATE_WORDS})")
RULE_COUNT_RE = re.compile(r"\b(\d{1,2})\s+(?:fois|seances|dates|occurrences)\b")


def _date_word(raw: str, on_or_after: dt.date, original: str) -> dt.date:
    iso = ISO_RE.fullmatch(raw.strip())
    if iso:
        return _make_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)), original)
    match = TEXT_DATE_RE.fullmatch(raw.strip()) or NUMERIC_RE.fullmatch(raw.strip())
    if match is None:
        raise UserError("intervisions.dates.bad_day", value=raw)
    day_n = int(match.group(1))
    month = MONTHS[match.group(2)] if match.re is TEXT_DATE_RE else int(match.group(2))
    year = _year(match.group(3))
    if year is not None:
        return _make_date(year, month, day_n, original)
    return _roll_forward(month, day_n, on_or_after, original)


def _take_times(scanner: _Scanner, original: str) -> tuple[_Time | None, _Time | None]:
    range_match = scanner.take(RANGE_RE)
    if range_match is not None:
        return _parse_time(range_match.group(1), original), _parse_time(range_match.group(2), original)
    time_match = scanner.take(TIME_RE)
    if time_match is not None:
        return _parse_time(time_match.group(1), original), None
    return None, None


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> dt.date | None:
    if nth > 0:
        first = dt.date(year, month, 1)
        day = first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
        return day if day.month == month else None
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def parse_series(
    text: str,
    tz_name: str,
    now: dt.datetime,
    *,
    default_time: dt.time = dt.time(14, 0),
    default_count: int = 6,
    max_count: int = MAX_OCCURRENCES,
) -> list[Slot]:
    """A list of dates sharing an hour (« 3/12, 14/01, 18/02 de 14h à 16h30 ») or a rule
    (« toutes les 6 semaines le mardi à 14h jusqu'au 30 juin », « le premier jeudi du mois »)."""
    original = " ".join(text.split())[:120]
    norm = normalize(text)
    if not norm:
        raise UserError("intervisions.dates.empty")
    tz = ZoneInfo(tz_name)
    today = now.astimezone(tz).date()
    if RULE_EVERY_RE.search(norm) or RULE_NTH_RE.search(norm):
        days, start_time, end_time = _rule_days(norm, today, original, default_count, max_count)
    else:
        days, start_time, end_time = _list_days(norm, today, original)
    if len(days) > max_count:
        raise UserError("intervisions.dates.too_many", count=len(days), limit=max_count)
    if not days:
        raise UserError("intervisions.dates.no_date", value=original)
    time = start_time or _Time(default_time.hour, default_time.minute)
    slots = []
    for day in days:
        start = localize(day, time, tz, original)
        end = _end_from_time(day, end_time, tz, original) if end_time is not None else None
        check_future(start, now)
        if end is not None:
            check_end(start, end, original)
        slots.append(Slot(start, end))
    return slots


def _list_days(norm: str, today: dt.date, original: str) -> tuple[list[dt.date], _Time | None, _Time | None]:
    scanner = _Scanner(norm)
    start_time, end_time = _take_times(scanner, original)
    parts = [p.strip() for p in re.split(r",|;|\bet\b", scanner.text) if p.strip()]
    days: list[dt.date] = []
    cursor = today
    for part in parts:
        piece = re.sub(r"\b(?:le|les|du|de|au)\b", " ", part)
        piece = " ".join(w for w in piece.split() if w not in WEEKDAYS)
        if not piece:
            continue
        day = _date_word(piece, cursor, original)
        if days and day <= days[-1]:
            raise UserError("intervisions.dates.not_in_order", value=original, day=format_date(day))
        days.append(day)
        cursor = day + dt.timedelta(days=1)
    return days, start_time, end_time


def _rule_days(
    norm: str, today: dt.date, original: str, default_count: int, max_count: int
) -> tuple[list[dt.date], _Time | None, _Time | None]:
    scanner = _Scanner(norm)
    until_match = scanner.take(RULE_UNTIL_RE)
    from_match = scanner.take(RULE_FROM_RE)
    count_match = scanner.take(RULE_COUNT_RE)
    start_time, end_time = _take_times(scanner, original)
    nth_match = scanner.take(RULE_NTH_RE)
    every = scanner.take(RULE_EVERY_RE)
    weekday_match = None if nth_match else scanner.take(RULE_WEEKDAY_RE)
    scanner.check_empty(original)
    # A rule starts tomorrow at the earliest (or on « à partir du … »): never a session today.
    start = _date_word(from_match.group(1), today, original) if from_match else today + dt.timedelta(days=1)
    until = _date_word(until_match.group(1), start, original) if until_match else None
    count = int(count_match.group(1)) if count_match else None
    if until is None and count is None:
        count = default_count
    if count is not None and count < 1:
        raise UserError("intervisions.dates.no_date", value=original)
    limit = min(count or max_count + 1, max_count + 1)

    days: list[dt.date] = []

    def keep(day: dt.date) -> bool:
        if until is not None and day > until:
            return False
        days.append(day)
        return len(days) < limit

    unit = "mois"
    step = 1
    if every is not None:
        step = int(every.group(1) or 1)
        unit = every.group(2) or every.group(3) or ("semaine" if "hebdo" in every.group(0) else "mois")
        unit = {"semaines": "semaine", "jours": "jour"}.get(unit, unit)
    if step < 1:
        raise UserError("intervisions.dates.no_date", value=original)
    if nth_match is not None:
        nth = ORDINALS[nth_match.group(1)]
        weekday = WEEKDAYS[nth_match.group(2)]
        step = step if unit == "mois" else 1
        year, month = start.year, start.month
        for _ in range(12 * 10):
            day = _nth_weekday(year, month, weekday, nth)
            if day is not None and day >= start and not keep(day):
                break
            if until is not None and day is not None and day > until:
                break
            month += step
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        return days, start_time, end_time
    if unit == "mois":
        raise UserError("intervisions.dates.rule_needs_weekday", value=original)
    if unit == "semaine":
        if weekday_match is None:
            raise UserError("intervisions.dates.rule_needs_weekday", value=original)
        weekday = WEEKDAYS[weekday_match.group(1)]
        first = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
        gap = dt.timedelta(weeks=step)
    else:
        first = start
        if weekday_match is not None:
            weekday = WEEKDAYS[weekday_match.group(1)]
            first = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
        gap = dt.timedelta(days=step)
    day = first
    for _ in range(max_count + 2):
        if not keep(day):
            break
        day += gap
    return days, start_time, end_time


def describe_days(slots: Iterable[Slot], locale: str = "fr") -> list[str]:
    return [format_range(s.start, s.end, locale) if s.end else format_when(s.start, locale) for s in slots]
