"""Typed, immutable settings from ``config/settings.yaml`` plus ``RELAIS_<SECTION>__<KEY>`` overrides.

Per-guild settings (channels, roles, time zone, locale) live in the database instead: see
``bot/guild_config.py``. The bot token is never a setting value: it comes from ``DISCORD_TOKEN``
or from the file named by ``discord.token_file`` (see ``load_token``).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml

from bot.core import config_schema, timeutil, yamlfile
from bot.core.yamlfile import ConfigError, Problem

ENV_PREFIX = "RELAIS_"
DEFAULT_API_BASE_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"
KNOWN_COGS = ("admin", "resources", "charter", "moderation", "intervisions", "jobs", "privacy")


def _check_zone(value: str) -> tuple[str, str] | None:
    if timeutil.is_valid_zone(value):
        return None
    return (
        f"fuseau horaire inconnu «{value}»",
        "écrire un nom IANA, par exemple Europe/Brussels ou Europe/Paris",
    )


def _check_url(*schemes: str):
    def check(value: str) -> tuple[str, str] | None:
        parts = urlsplit(value)
        if parts.scheme in schemes and parts.netloc:
            return None
        return f"adresse invalide «{value}»", f"écrire une adresse {' ou '.join(schemes)}://…"

    return check


def _check_positive(value: int | float) -> tuple[str, str] | None:
    return None if value > 0 else (f"doit être positif (reçu {value})", "écrire un nombre plus grand que 0")


def _check_hour(value: int) -> tuple[str, str] | None:
    return None if 0 <= value <= 23 else (f"heure invalide ({value})", "écrire une heure entre 0 et 23")


def _check_cogs(value: tuple[str, ...]) -> tuple[str, str] | None:
    unknown = [c for c in value if c not in KNOWN_COGS]
    if unknown:
        return f"extension inconnue «{unknown[0]}»", "choisir parmi " + ", ".join(KNOWN_COGS)
    return None


@dataclass(frozen=True, slots=True)
class GeneralSettings:
    locale: Literal["fr", "en"] = "fr"
    timezone: str = field(default="Europe/Brussels", metadata={"check": _check_zone})


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    path: str = "data/relais.db"


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    token_file: str | None = None
    api_base_url: str = field(default=DEFAULT_API_BASE_URL, metadata={"check": _check_url("https", "http")})
    gateway_url: str = field(default=DEFAULT_GATEWAY_URL, metadata={"check": _check_url("wss", "ws")})
    # None: one process, no sharding. A number (or "auto" through 0) starts an AutoShardedBot.
    shard_count: int | None = None
    # Guild id to sync commands to instead of globally (instant, for development).
    sync_guild_id: int | None = None
    # Seconds discord.py waits after the last GUILD_CREATE before READY (the local double needs less).
    guild_ready_timeout: float = field(default=2.0, metadata={"check": _check_positive})


@dataclass(frozen=True, slots=True)
class CogsSettings:
    enabled: tuple[str, ...] = field(default=KNOWN_COGS, metadata={"check": _check_cogs})


@dataclass(frozen=True, slots=True)
class FeatureSettings:
    welcome_message: bool = True
    # After start-up and each /config change, post what the diagnostic finds ❌ in the mod-log.
    diagnostic_summary: bool = True
    # Lets metadata fetching and feeds reach 127.0.0.1: only for tests and the sandbox.
    allow_loopback_urls: bool = False


@dataclass(frozen=True, slots=True)
class SupervisorSettings:
    restart: bool = True
    backoff_initial: float = field(default=2.0, metadata={"check": _check_positive})
    backoff_max: float = field(default=600.0, metadata={"check": _check_positive})
    # A run this long without crashing resets the backoff to its initial value.
    stable_after: float = field(default=600.0, metadata={"check": _check_positive})


# -- feature areas: each capability owns its section below -----------------------------------------
def _check_weekday(value: int) -> tuple[str, str] | None:
    if 0 <= value <= 6:
        return None
    return f"jour inconnu ({value})", "écrire un nombre de 0 (lundi) à 6 (dimanche)"


def _check_hour(value: int) -> tuple[str, str] | None:
    return None if 0 <= value <= 23 else (f"heure impossible ({value})", "écrire un nombre de 0 à 23")


def _check_page_size(value: int) -> tuple[str, str] | None:
    return (
        None
        if 1 <= value <= 5
        else (f"taille de page {value}", "écrire un nombre de 1 à 5 (un bouton par résultat)")
    )


def _check_not_negative(value: int | float) -> tuple[str, str] | None:
    return None if value >= 0 else (f"ne peut pas être négatif (reçu {value})", "écrire 0 ou plus")


@dataclass(frozen=True, slots=True)
class ResourcesSettings:
    share_cooldown_seconds: int = field(default=30, metadata={"check": _check_not_negative})
    page_size: int = field(default=5, metadata={"check": _check_page_size})
    digest_enabled: bool = True
    digest_weekday: int = field(default=0, metadata={"check": _check_weekday})
    digest_hour: int = field(default=9, metadata={"check": _check_hour})
    digest_size: int = field(default=5, metadata={"check": _check_page_size})
    metadata_timeout_seconds: float = field(default=5.0, metadata={"check": _check_positive})
    metadata_max_bytes: int = field(default=1_000_000, metadata={"check": _check_positive})
    metadata_max_redirects: int = field(default=3, metadata={"check": _check_not_negative})


def default_report_key_file(environ: Mapping[str, str] | None = None) -> str:
    """``$XDG_CONFIG_HOME/relais/report-hmac.key``, else ``~/.config/relais/report-hmac.key``."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME", "").strip()
    folder = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return str(folder / "relais" / "report-hmac.key")


@dataclass(frozen=True, slots=True)
class ModerationSettings:
    warning_expiry_days: int = field(default=90, metadata={"check": _check_positive})
    # Reports one person (or one anonymous hash) may file per hour in a guild.
    reports_per_hour: int = field(default=6, metadata={"check": _check_positive})
    # Secret key of the anonymous reporters' hashes: a file OUTSIDE the database, created 0600. By
    # default in the user's configuration folder, not beside the database: one copy of the database
    # folder must not be enough to tell who reported (``relais check`` refuses it there).
    report_key_file: str = field(default_factory=lambda: default_report_key_file())
    # Accept the key inside the database's folder anyway (a throwaway sandbox, a test).
    report_key_in_database_folder: bool = False

    def __post_init__(self) -> None:
        # « ~/… » as written in settings.yaml: every reader opens the same file.
        object.__setattr__(self, "report_key_file", os.path.expanduser(self.report_key_file))

    # -- charter and automod (cogs/charter.py) --
    automod_enabled: bool = True
    # Also send a discreet alert to the moderators on duty when a message sounds like distress.
    distress_alert_moderators: bool = False
    # Remove the member role from those who have not re-accepted a new charter version.
    remove_on_charter_change: bool = False
    # One welcome message per newcomer (a DM, or the "accueil" channel when DMs are closed).
    welcome_newcomers: bool = True


def _check_booking_role(value: str) -> tuple[str, str] | None:
    if value in ("", "pair_aidant", "membre", "confiance", "moderation"):
        return None
    return (
        f"rôle inconnu «{value}»",
        'écrire pair_aidant, membre, confiance, moderation, ou "" pour tout le monde',
    )


def _check_clock_time(value: str) -> tuple[str, str] | None:
    parts = value.split(":")
    if len(parts) == 2 and all(p.isdigit() for p in parts) and int(parts[0]) < 24 and int(parts[1]) < 60:
        return None
    return f"heure invalide «{value}»", "écrire HH:MM, par exemple 14:00"


def _check_places(value: int) -> tuple[str, str] | None:
    return None if 1 <= value <= 500 else (f"nombre de places hors limites ({value})", "entre 1 et 500")


@dataclass(frozen=True, slots=True)
class IntervisionsSettings:
    reminder_hours_before: tuple[float, ...] = (24.0, 1.0)
    # Role purpose (see /config role) a member needs to book a seat; "" lets every member book.
    booking_role: str = field(default="pair_aidant", metadata={"check": _check_booking_role})
    default_duration_minutes: int = field(default=150, metadata={"check": _check_positive})
    default_places: int = field(default=12, metadata={"check": _check_places})
    # Start hour used when a date is typed without one (« 3 décembre »).
    default_start_time: str = field(default="14:00", metadata={"check": _check_clock_time})
    # The private thread is archived this long after the session's end.
    archive_after_hours: float = field(default=2.0, metadata={"check": _check_positive})
    # Occurrences created by an open-ended rule (« le premier jeudi du mois »).
    series_default_count: int = field(default=6, metadata={"check": _check_positive})


@dataclass(frozen=True, slots=True)
class JobsSettings:
    default_expiry_days: int = field(default=60, metadata={"check": _check_positive})
    # Offers from members without the trusted role wait for a moderator before being announced.
    moderation_queue: bool = True
    feed_poll_hours: float = field(default=6.0, metadata={"check": _check_positive})
    feed_timeout_seconds: float = field(default=20.0, metadata={"check": _check_positive})
    digest_hour: int = field(default=8, metadata={"check": _check_hour})
    # A member waits this long between two /offre publier (moderators do not); 0: no wait.
    submit_cooldown_seconds: int = field(default=300, metadata={"check": _check_not_negative})
    # New entries imported from one feed per poll; the rest wait for the next polls, oldest first.
    feed_max_new_per_poll: int = field(default=20, metadata={"check": _check_positive})


@dataclass(frozen=True, slots=True)
class PrivacySettings:
    # A member who left is erased after this many days (0: never); coming back before cancels it.
    erase_after_leave_days: int = field(default=30, metadata={"check": _check_not_negative})
    # Retention, in days: then purged (reports, automod records, timers, alerts) or pseudonymised (cases).
    closed_reports_days: int = field(default=365, metadata={"check": _check_positive})
    automod_records_days: int = field(default=365, metadata={"check": _check_positive})
    finished_timers_days: int = field(default=365, metadata={"check": _check_positive})
    cases_days: int = field(default=365, metadata={"check": _check_positive})
    delivered_alerts_days: int = field(default=90, metadata={"check": _check_positive})


@dataclass(frozen=True, slots=True)
class BackupSettings:
    # A daily online copy of the database (SQLite's backup API: safe while the bot writes).
    enabled: bool = True
    # Folder of the daily copies; empty: a ``backups`` folder next to the database.
    folder: str = ""
    # Daily copies older than this are deleted (only files named ``relais-AAAA-MM-JJ.db``).
    keep_days: int = field(default=14, metadata={"check": _check_positive})
    # Local hour (``general.timezone``) of the daily copy: a quiet time of the day.
    hour: int = field(default=3, metadata={"check": _check_hour})

    def __post_init__(self) -> None:
        object.__setattr__(self, "folder", os.path.expanduser(self.folder))


@dataclass(frozen=True, slots=True)
class Settings:
    general: GeneralSettings = GeneralSettings()
    database: DatabaseSettings = DatabaseSettings()
    logging: LoggingSettings = LoggingSettings()
    discord: DiscordSettings = DiscordSettings()
    cogs: CogsSettings = CogsSettings()
    features: FeatureSettings = FeatureSettings()
    supervisor: SupervisorSettings = SupervisorSettings()
    resources: ResourcesSettings = ResourcesSettings()
    moderation: ModerationSettings = ModerationSettings()
    intervisions: IntervisionsSettings = IntervisionsSettings()
    jobs: JobsSettings = JobsSettings()
    privacy: PrivacySettings = PrivacySettings()
    backup: BackupSettings = BackupSettings()
    config_dir: Path = field(default=Path("config"), metadata={"internal": True})

    def with_database(self, path: str | os.PathLike[str]) -> Settings:
        return dataclasses.replace(self, database=dataclasses.replace(self.database, path=str(path)))


SECTIONS = {f.name: f.type for f in dataclasses.fields(Settings) if not f.metadata.get("internal")}


def default_config_dir() -> Path:
    """``./config`` when run from a checkout, otherwise the one shipped beside the package."""
    here = Path("config")
    if (here / "settings.yaml").is_file():
        return here
    return Path(__file__).resolve().parent.parent / "config"


def _apply_environment(
    doc: yamlfile.YamlDocument, environ: Mapping[str, str], problems: list[Problem]
) -> None:
    data = doc.data if isinstance(doc.data, dict) else {}
    doc.data = data
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        if section not in SECTIONS:
            problems.append(
                Problem(name, 0, f"section inconnue «{section}»", "sections : " + ", ".join(SECTIONS))
            )
            continue
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        if not (value is None or isinstance(value, str | int | float | bool | list)):
            value = raw  # a mapping or a date: keep the text, the schema will say what is expected
        target = data.setdefault(section, {})
        if not isinstance(target, dict):
            continue  # the file's own problem is reported by the schema
        target[key] = value
        doc.overrides[(section, key)] = name


def load(config_dir: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Load and validate settings; raise ``ConfigError`` listing every problem found."""
    config_dir = Path(config_dir) if config_dir else default_config_dir()
    environ = os.environ if environ is None else environ
    path = config_dir / "settings.yaml"
    doc, problems = yamlfile.load(path)
    if doc.data is None and not problems:
        doc.data = {}
    _apply_environment(doc, environ, problems)
    settings = config_schema.build(Settings, doc.data, doc, (), problems)
    if problems or config_schema.is_missing(settings):
        raise ConfigError(problems)
    return dataclasses.replace(settings, config_dir=config_dir)


class MissingToken(RuntimeError):
    pass


def load_token(settings: Settings, environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    token = environ.get("DISCORD_TOKEN", "").strip()
    if not token and settings.discord.token_file:
        try:
            token = Path(settings.discord.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise MissingToken(
                f"token file {settings.discord.token_file} unreadable: {exc.strerror}"
            ) from None
    if not token:
        raise MissingToken("no token")
    return token
