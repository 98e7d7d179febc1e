"""Fuzzing every parser that reads what members and administrators type (dates, durations, URLs,
regions, alert filters, offer forms, search queries, YAML and settings).

Each parser either returns a value or raises ``UserError`` (a kind French message) or, for
configuration, ``ConfigError`` / a list of problems: never anything else, whatever the input.
The budget is fixed (``FUZZ_EXAMPLES`` inputs per parser, derandomised) so CI takes the same time
on every run; raise it locally with ``RELAIS_FUZZ_EXAMPLES=100000``.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.charter import automod
from bot.charter.charter import load_charter
from bot.core import settings as settings_module
from bot.core import urls, yamlfile
from bot.core.errors import UserError
from bot.core.yamlfile import ConfigError
from bot.intervisions import french_dates
from bot.jobs import alerts as jobs_alerts
from bot.jobs import config as jobs_config
from bot.jobs import offers as jobs_offers
from bot.moderation.cases import parse_duration as sanction_duration
from bot.resources.search import build_match, query_terms
from tests.helpers import REPO

FUZZ_EXAMPLES = int(os.environ.get("RELAIS_FUZZ_EXAMPLES", "10000"))
BUDGET = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)

# Text members type: French words, digits, punctuation, accents, emoji, invisible characters.
WORDS = [
    "le",
    "lundi",
    "mardi",
    "prochain",
    "demain",
    "décembre",
    "janvier",
    "14h",
    "16h30",
    "à",
    "de",
    "du",
    "au",
    "premier",
    "jeudi",
    "mois",
    "toutes",
    "les",
    "semaines",
    "jusqu'au",
    "+2h",
    "minuit",
    "midi",
    "3/12",
    "2099-12-03",
    "14:00",
    "h",
    "min",
    "j",
    "sem",
    "et",
    ",",
    "-",
    "/",
    "«",
    "»",
    '"',
]
typed = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=12).map(" ".join),
    st.text(
        alphabet=st.characters(codec="utf-8", categories=("Nd", "Po", "Pd", "Zs", "Cf", "Lu", "Ll")),
        max_size=80,
    ),
)


def _only_kind_errors(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except UserError:
        return None


@BUDGET
@given(typed)
def test_intervision_dates_never_crash(text):
    _only_kind_errors(french_dates.parse_when, text, "Europe/Brussels", NOW)


@BUDGET
@given(typed)
def test_intervision_series_never_crash(text):
    _only_kind_errors(french_dates.parse_series, text, "Europe/Brussels", NOW)


@BUDGET
@given(typed)
def test_intervision_ends_and_durations_never_crash(text):
    start = NOW + dt.timedelta(days=3)
    _only_kind_errors(french_dates.parse_end, text, start, "Europe/Paris")
    _only_kind_errors(french_dates.parse_duration, text)


@BUDGET
@given(typed)
def test_sanction_durations_never_crash(text):
    value = _only_kind_errors(sanction_duration, text)
    assert value is None or value.total_seconds() > 0


URL_PARTS = [
    "https://",
    "http://",
    "ftp://",
    "example.org",
    "[::1]",
    "127.0.0.1",
    "/",
    "?",
    "#",
    "a=b",
    "&",
    "utm_source=x",
    "%",
    "%zz",
    ":",
    "@",
    " ",
    "\u2800",
    "(",
    ")",
    "[",
    "]",
    "*",
    "`",
    "<",
    ">",
    "é",
]


@BUDGET
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(st.sampled_from(URL_PARTS) | st.text(max_size=5), max_size=12).map("".join),
    )
)
def test_urls_never_crash_and_accepted_ones_normalise(text):
    url = _only_kind_errors(urls.validate_http_url, text)
    if url is not None:
        assert url.startswith(("http://", "https://"))
        urls.normalize_url(url)


@BUDGET
@given(typed)
def test_search_queries_never_crash_and_always_make_valid_fts(text):
    try:
        query_terms(text)
    except UserError:
        return
    expression = build_match(text, 1)
    # The expression must be valid FTS5 syntax whatever the member typed.
    with sqlite3.connect(":memory:") as conn:
        conn.execute(
            "CREATE VIRTUAL TABLE t USING fts5 (title, description, themes, site, kind, tier, guild_id)"
        )
        conn.execute("SELECT * FROM t WHERE t MATCH ?", (expression,)).fetchall()


ENGINE = automod.Engine(load_charter(REPO / "config"))


@BUDGET
@given(st.text(max_size=2000))
def test_automod_reads_any_message_without_crashing(text):
    ENGINE.check(text)


@BUDGET
@given(st.text(max_size=300))
def test_yaml_parsing_reports_problems_instead_of_crashing(text):
    doc, problems = yamlfile.parse(text, "fuzz.yaml")
    assert all(p.file == "fuzz.yaml" for p in problems)


@settings(
    max_examples=max(200, FUZZ_EXAMPLES // 20),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    section=st.sampled_from(
        [
            "GENERAL",
            "DATABASE",
            "LOGGING",
            "DISCORD",
            "COGS",
            "FEATURES",
            "SUPERVISOR",
            "RESOURCES",
            "MODERATION",
            "INTERVISIONS",
            "JOBS",
            "PRIVACY",
            "X",
        ]
    ),
    key=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ_", min_size=1, max_size=30),
    value=st.text(max_size=40),
)
def test_environment_overrides_are_validated_not_crashing(tmp_path, section, key, value):
    try:
        settings_module.load(REPO / "config", {f"RELAIS_{section}__{key}": value})
    except ConfigError as error:
        assert error.problems


JOBS_CONFIG = jobs_config.load_config(REPO / "config")[0]
REGION_WORDS = [
    "Bruxelles",
    "Wallonie",
    "Liège",
    "Namur",
    "France",
    "Paris",
    "toutes",
    "tous",
    "CDD",
    "CDI",
    "intérim",
    "stage",
    ",",
    ";",
    " ",
    "é",
    "bruxelles",
]
listed = st.lists(st.sampled_from(REGION_WORDS) | st.text(max_size=8), max_size=10).map(", ".join)


@BUDGET
@given(st.one_of(st.text(max_size=200), listed), st.one_of(st.text(max_size=200), listed))
def test_job_alert_filters_never_crash(regions, keywords):
    _only_kind_errors(jobs_alerts.parse_names, regions, JOBS_CONFIG.region_names, "region")
    _only_kind_errors(jobs_alerts.parse_keywords, keywords)


@BUDGET
@given(typed)
def test_job_deadlines_never_crash(text):
    _only_kind_errors(jobs_offers.parse_deadline, text, "Europe/Brussels", NOW)


offer_fields = st.one_of(
    st.text(max_size=120), st.sampled_from(["", " ", "Bruxelles", "CDD", "https://x.org"])
)


@BUDGET
@given(
    title=offer_fields,
    employer=offer_fields,
    region=offer_fields,
    contract=offer_fields,
    link=st.one_of(st.none(), offer_fields),
    missions=st.text(max_size=300),
    from_feed=st.booleans(),
)
def test_job_offer_forms_are_validated_not_crashing(
    title, employer, region, contract, link, missions, from_feed
):
    offer = jobs_offers.OfferInput(
        title=title, employer=employer, region=region, contract=contract, link=link, missions=missions
    )
    _only_kind_errors(jobs_offers.validate, offer, JOBS_CONFIG, NOW, from_feed=from_feed)
