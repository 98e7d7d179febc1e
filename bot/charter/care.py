"""Care, not only rules: crisis lines by country, and what happens when a message sounds like distress.

Discord-free. ``config/crisis_lines.yaml`` holds the lines (facts to re-check, each country with
the date it was last verified). A distress hit never deletes nor sanctions: the author gets a
private, warm message with the lines; moderators on duty get a discreet alert only when the
guild enabled ``moderation.distress_alert_moderators``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from bot.core import timeutil, yamlfile
from bot.core.yamlfile import ConfigError, Problem

CRISIS_FILE = "crisis_lines.yaml"
REQUIRED_COUNTRIES = ("be", "fr", "ch", "qc")
STALE_AFTER_DAYS = 365
COUNTRY_CODE = re.compile(r"^[a-z]{2,3}$")
# A distress care message is not repeated to the same person more often than this.
CARE_COOLDOWN_SECONDS = 6 * 3600


@dataclass(frozen=True, slots=True)
class CrisisLine:
    name: str
    number: str
    hours: str
    description: str
    # Whether calling is free (None: not said). ``checked``: a person confirmed this line (its
    # ``verified`` is a date and its source does not say « À VÉRIFIER »).
    free: bool | None = None
    checked: bool = False
    source: str = ""
    # The line's own ``verified`` date, else its country's; None when it says ``verified: false``.
    verified: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    name: str
    emergency: str
    verified: dt.date
    source: str
    lines: tuple[CrisisLine, ...]


@dataclass(frozen=True, slots=True)
class CrisisLines:
    default: str
    countries: tuple[Country, ...]

    def country(self, code: str | None) -> Country:
        for country in self.countries:
            if country.code == code:
                return country
        return self.country(self.default) if code != self.default else self.countries[0]

    def ordered(self, first: str | None = None) -> list[Country]:
        """Every country, the member's (or the default) first."""
        first = first or self.default
        return sorted(self.countries, key=lambda c: (c.code != first, c.code != self.default, c.name))


def _parse(doc: yamlfile.YamlDocument, problems: list[Problem], today: dt.date) -> CrisisLines | None:
    data = doc.data
    if not isinstance(data, dict):
        problems.append(
            doc.problem(
                (), "le fichier doit être une table (default, countries)", "voir les commentaires en tête"
            )
        )
        return None
    countries: list[Country] = []
    raw = data.get("countries")
    if not isinstance(raw, dict) or not raw:
        problems.append(doc.problem(("countries",), "il manque «countries»", "ajouter au moins un pays"))
        return None
    for code, item in raw.items():
        path = ("countries", str(code))
        if not isinstance(code, str) or not COUNTRY_CODE.match(code):
            problems.append(
                doc.problem(
                    path,
                    f"code de pays invalide «{code}»",
                    "deux ou trois lettres minuscules, par exemple be",
                )
            )
            continue
        if not isinstance(item, dict):
            problems.append(doc.problem(path, "un pays doit être une table", "voir les autres pays"))
            continue
        ok = True
        texts = {}
        for key in ("name", "emergency", "source"):
            value = item.get(key)
            if not isinstance(value, str | int) or not str(value).strip():
                problems.append(
                    doc.problem((*path, key), f"il manque «{key}» pour {code}", f'ajouter {key}: "…"')
                )
                ok = False
            else:
                texts[key] = str(value).strip()
        verified = item.get("verified")
        if isinstance(verified, str):
            try:
                verified = dt.date.fromisoformat(verified)
            except ValueError:
                verified = None
        if not isinstance(verified, dt.date):
            problems.append(
                doc.problem(
                    (*path, "verified"),
                    f"date de vérification manquante ou illisible pour {code}",
                    "écrire verified: AAAA-MM-JJ, la date où les numéros ont été vérifiés",
                )
            )
            ok = False
        elif (today - verified).days > STALE_AFTER_DAYS:
            problems.append(
                doc.problem(
                    (*path, "verified"),
                    f"les numéros de {code} n'ont pas été vérifiés depuis {verified.isoformat()}",
                    "appeler ou consulter chaque ligne, puis mettre la date à jour",
                )
            )
        elif verified > today:
            problems.append(
                doc.problem(
                    (*path, "verified"),
                    f"date de vérification dans le futur pour {code}",
                    "écrire la date réelle",
                )
            )
        lines: list[CrisisLine] = []
        raw_lines = item.get("lines")
        if not isinstance(raw_lines, list) or not raw_lines:
            problems.append(
                doc.problem(
                    (*path, "lines"), f"aucune ligne d'écoute pour {code}", "ajouter au moins une ligne"
                )
            )
            ok = False
            raw_lines = []
        for index, line in enumerate(raw_lines):
            where = (*path, "lines", index)
            if not isinstance(line, dict):
                problems.append(
                    doc.problem(where, "une ligne doit être une table (name, number, hours, description)", "")
                )
                ok = False
                continue
            values = {}
            for key in ("name", "number", "hours", "description"):
                value = line.get(key)
                if not isinstance(value, str | int) or not str(value).strip():
                    problems.append(doc.problem((*where, key), f"il manque «{key}»", f'ajouter {key}: "…"'))
                    ok = False
                values[key] = str(value or "").strip()
            if values["number"] and not re.search(r"\d", values["number"]):
                problems.append(
                    doc.problem(
                        (*where, "number"),
                        f"«{values['number']}» ne contient aucun chiffre",
                        "écrire le numéro",
                    )
                )
                ok = False
            free = line.get("free")
            if free is not None and not isinstance(free, bool):
                problems.append(
                    doc.problem(
                        (*where, "free"), "«free» vaut true ou false", "écrire free: true ou free: false"
                    )
                )
                free = None
            line_source = str(line.get("source") or texts.get("source", "")).strip()
            line_verified = line.get("verified", verified)
            checked = (
                isinstance(line_verified, dt.date | str)
                and line_verified is not False
                and not _to_check(line_source)
            )
            lines.append(
                CrisisLine(
                    **values,
                    free=free,
                    checked=checked,
                    source=line_source,
                    verified=_as_date(line_verified),
                )
            )
        if ok:
            countries.append(
                Country(code, texts["name"], texts["emergency"], verified, texts["source"], tuple(lines))
            )
    codes = {c.code for c in countries} | {str(k) for k in raw}
    for code in REQUIRED_COUNTRIES:
        if code not in codes:
            problems.append(
                doc.problem(
                    ("countries",),
                    f"le pays «{code}» manque",
                    "Belgique, France, Suisse et Québec sont attendus",
                )
            )
    default = data.get("default", REQUIRED_COUNTRIES[0])
    if default not in codes:
        problems.append(
            doc.problem(("default",), f"pays par défaut inconnu «{default}»", "choisir un code de countries")
        )
    if not countries:
        return None
    return CrisisLines(str(default), tuple(countries))


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def lines_to_verify(lines: CrisisLines, today: dt.date) -> tuple[str, ...]:
    """« Name (country) » of every line nobody confirmed within ``STALE_AFTER_DAYS``: no date, a date
    too old, or a source that still says « À VÉRIFIER ». For the diagnostic, not for members."""
    return tuple(
        f"{line.name} ({country.code})"
        for country in lines.countries
        for line in country.lines
        if not line.checked or line.verified is None or (today - line.verified).days > STALE_AFTER_DAYS
    )


def _to_check(source: str) -> bool:
    """A source that still says « À VÉRIFIER » (any case, any accents): nobody checked yet."""
    folded = source.casefold().replace("à", "a").replace("é", "e").replace("É".casefold(), "e")
    return "a verifier" in folded


def unverified_notices(config_dir: Path) -> list[Problem]:
    """What ``relais check`` lists for a person to check: every country and line whose source says
    « À VÉRIFIER » or whose ``verified`` is false, whatever the date. Not an error: unchecked numbers
    shown to someone in distress are better than none, and members are never told they were checked."""
    path = Path(config_dir) / CRISIS_FILE
    doc, _ = yamlfile.load(path)
    data = doc.data
    notices: list[Problem] = []
    if not isinstance(data, dict) or not isinstance(data.get("countries"), dict):
        return notices
    for code, item in data["countries"].items():
        if not isinstance(item, dict):
            continue
        source = str(item.get("source") or "")
        for index, line in enumerate(item.get("lines") or []):
            if not isinstance(line, dict):
                continue
            line_source = str(line.get("source") or source)
            if line.get("verified") is False or _to_check(line_source):
                notices.append(
                    doc.problem(
                        ("countries", str(code), "lines", index),
                        f"{code} : « {line.get('name', '?')} » ({line.get('number', '?')}) n'a pas été "
                        f"vérifiée par une personne",
                        "appeler ou consulter le site officiel, puis écrire verified: AAAA-MM-JJ et la "
                        "source",
                    )
                )
    return notices


def load_crisis_lines(config_dir: Path, today: dt.date | None = None) -> CrisisLines:
    """The crisis lines; raises ``ConfigError`` on a missing or unusable file.

    A stale verification date is a problem for ``relais check`` but does not stop the bot: old
    numbers shown to someone in distress are better than none."""
    today = today or timeutil.now().date()
    path = Path(config_dir) / CRISIS_FILE
    doc, problems = yamlfile.load(path)
    lines = _parse(doc, problems, today) if doc.data is not None else None
    blocking = [p for p in problems if "vérifiés depuis" not in p.message]
    if lines is None or blocking:
        raise ConfigError(problems or [Problem(str(path), 1, "fichier vide", "voir les commentaires")])
    return lines


def check_config(config_dir: Path, today: dt.date | None = None) -> list[Problem]:
    today = today or timeutil.now().date()
    path = Path(config_dir) / CRISIS_FILE
    doc, problems = yamlfile.load(path)
    if doc.data is not None:
        _parse(doc, problems, today)
    return problems


# -- distress ----------------------------------------------------------------------------------------
class CareCooldown:
    """Remembers when each member last got a care message, so that a long difficult conversation
    brings one warm message, not one per sentence. In memory: after a restart, one more is fine."""

    def __init__(self, seconds: float = CARE_COOLDOWN_SECONDS) -> None:
        self.seconds = seconds
        self._last: dict[tuple[int, int], float] = {}

    def should_send(self, guild_id: int, user_id: int, at: float) -> bool:
        last = self._last.get((guild_id, user_id))
        if last is not None and at - last < self.seconds:
            return False
        self._last[(guild_id, user_id)] = at
        if len(self._last) > 10_000:
            cutoff = at - self.seconds
            self._last = {k: v for k, v in self._last.items() if v >= cutoff}
        return True
