"""Time helpers: every instant is a time-zone-aware datetime; the database stores UTC epoch seconds."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC = dt.UTC


def now() -> dt.datetime:
    """The current instant, aware, in UTC (never a naive ``utcnow``)."""
    return dt.datetime.now(UTC)


def to_db(moment: dt.datetime) -> float:
    """Store an aware datetime as UTC epoch seconds; naive datetimes are a bug and are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime refused: attach a time zone first")
    return moment.timestamp()


def from_db(value: float | int | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.fromtimestamp(value, UTC)


def zone(name: str) -> ZoneInfo:
    """A ZoneInfo for an IANA name, raising ValueError with the name when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def is_valid_zone(name: str) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True


def zone_names() -> list[str]:
    return sorted(available_timezones())
