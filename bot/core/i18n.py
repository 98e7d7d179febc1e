"""Locale catalogs: every text a member reads lives in ``config/locales/<lang>/*.yaml``.

French is the reference locale; English is the second. Keys are dotted paths
(``core.errors.unexpected``); values are ``str.format`` templates with named fields.
Command names and descriptions are translated by their French source text, listed under
``commands:`` in the English files, so cogs declare commands in French only.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core import typography, yamlfile
from bot.core.yamlfile import Problem

log = logging.getLogger(__name__)

DEFAULT_LOCALE = "fr"
LOCALES = ("fr", "en")
COMMANDS_SECTION = "commands"

# The one shape of a text lookup handed to renderers: ``t("key", field=value)``.
Translate = Callable[..., str]


def _flatten(
    data: Any,
    prefix: str,
    out: dict[str, str],
    lines: dict[str, tuple[str, int]],
    doc: yamlfile.YamlDocument,
    path: yamlfile.Path_,
    problems: list[Problem],
) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            _flatten(
                value, f"{prefix}.{key}" if prefix else str(key), out, lines, doc, (*path, str(key)), problems
            )
    elif isinstance(data, str):
        if prefix in out:
            problems.append(doc.problem(path, f"texte «{prefix}» défini deux fois", "n'en garder qu'un"))
        out[prefix] = data
        lines[prefix] = (doc.file, doc.line(path))
    else:
        problems.append(
            doc.problem(path, f"«{prefix}» doit être un texte", "mettre le texte entre guillemets")
        )


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass
class Catalog:
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    commands: dict[str, dict[str, str]] = field(default_factory=dict)
    where: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def load(cls, config_dir: Path) -> Catalog:
        catalog = cls()
        for locale in LOCALES:
            texts: dict[str, str] = {}
            commands: dict[str, str] = {}
            lines: dict[str, tuple[str, int]] = {}
            folder = config_dir / "locales" / locale
            files = sorted(folder.glob("*.yaml"))
            if not files:
                catalog.problems.append(
                    Problem(str(folder), 1, "aucun fichier de textes", f"créer {folder}/core.yaml")
                )
            for path in files:
                doc, problems = yamlfile.load(path)
                catalog.problems.extend(problems)
                data = doc.data or {}
                if not isinstance(data, dict):
                    catalog.problems.append(
                        doc.problem((), "le fichier doit être une table", "voir core.yaml")
                    )
                    continue
                for key, value in data.items():
                    if key == COMMANDS_SECTION:
                        if isinstance(value, dict):
                            commands.update({str(k): str(v) for k, v in value.items()})
                        continue
                    _flatten({key: value}, "", texts, lines, doc, (), catalog.problems)
            catalog.texts[locale] = texts
            catalog.commands[locale] = commands
            catalog.where.update({(locale, k): v for k, v in lines.items()})
        catalog._cross_check()
        return catalog

    def _cross_check(self) -> None:
        reference = self.texts.get(DEFAULT_LOCALE, {})
        for locale in LOCALES:
            if locale == DEFAULT_LOCALE:
                continue
            for key, template in self.texts.get(locale, {}).items():
                file, line = self.where[(locale, key)]
                if key not in reference:
                    self.problems.append(
                        Problem(
                            file, line, f"«{key}» n'existe pas en français", "l'ajouter en fr ou le retirer"
                        )
                    )
                elif placeholders(template) != placeholders(reference[key]):
                    self.problems.append(
                        Problem(
                            file,
                            line,
                            f"«{key}» n'a pas les mêmes champs qu'en français",
                            "utiliser "
                            + (
                                ", ".join("{" + p + "}" for p in sorted(placeholders(reference[key])))
                                or "aucun champ"
                            ),
                        )
                    )

    def has(self, key: str) -> bool:
        return key in self.texts.get(DEFAULT_LOCALE, {})

    def t(self, locale: str | None, key: str, /, **params: Any) -> str:
        """The text for ``key`` in ``locale`` (falling back to French), formatted with ``params``;
        French texts with French typography (``bot.core.typography``)."""
        locale = locale if locale in LOCALES else DEFAULT_LOCALE
        template = self.texts.get(locale, {}).get(key)
        french = locale == DEFAULT_LOCALE
        if not template:
            template, french = self.texts.get(DEFAULT_LOCALE, {}).get(key), True
        if template is None:
            log.warning("missing text %s", key)
            return key
        if french:
            # The template, not the formatted text: what members wrote ({title}, {reason}…) is shown
            # as they wrote it; only Relais's own words get French no-break spaces.
            template = typography.french(template)
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            log.exception("text %s could not be formatted with %s", key, sorted(params))
            return template

    def command_text(self, locale: str, french: str) -> str | None:
        """The translation of a command's French name or description, if any."""
        if locale == DEFAULT_LOCALE:
            return None
        return self.commands.get(locale, {}).get(french)


def pick_locale(user_locale: str | None, guild_locale: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The member's own client language when we speak it, else the guild's choice, else the default."""
    if user_locale:
        short = user_locale.split("-")[0].lower()
        if short in LOCALES:
            return short
    if guild_locale in LOCALES:
        return guild_locale
    return default
