"""Turn YAML mappings into frozen dataclasses, reporting every mistake with its line.

Field types drive the checks: ``str``, ``int``, ``float``, ``bool``, ``Literal[...]``,
``X | None``, ``list[X]``, ``dict[str, X]`` and nested dataclasses. A field may carry
``metadata={"check": fn}`` where ``fn(value)`` returns an error message or ``None``.
Unknown keys are errors, with the closest known key suggested: typos must not pass silently.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from bot.core.yamlfile import Path_, Problem, YamlDocument

T = TypeVar("T")
_MISSING = object()


def type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if tp is str:
        return "un texte"
    if tp is bool:
        return "true ou false"
    if tp is int:
        return "un nombre entier"
    if tp is float:
        return "un nombre"
    if origin is Literal:
        return "l'une des valeurs " + ", ".join(repr(a) for a in get_args(tp))
    if origin in (list, tuple):
        return "une liste"
    if origin is dict:
        return "une table clé: valeur"
    if dataclasses.is_dataclass(tp):
        return "une table clé: valeur"
    if _is_optional(tp):
        return type_name(_strip_optional(tp)) + " (ou null)"
    return str(tp)


def _is_optional(tp: Any) -> bool:
    return get_origin(tp) in (typing.Union, types.UnionType) and type(None) in get_args(tp)


def _strip_optional(tp: Any) -> Any:
    rest = [a for a in get_args(tp) if a is not type(None)]
    return rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007


def convert(value: Any, tp: Any, doc: YamlDocument, path: Path_, problems: list[Problem]) -> Any:
    """Convert ``value`` to ``tp``; on a mismatch, record a problem and return ``_MISSING``."""
    origin = get_origin(tp)
    if _is_optional(tp):
        return None if value is None else convert(value, _strip_optional(tp), doc, path, problems)
    if dataclasses.is_dataclass(tp):
        return build(tp, value, doc, path, problems)
    ok = True
    if tp is bool:
        ok = isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif tp is str:
        ok = isinstance(value, str)
    elif origin is Literal:
        ok = value in get_args(tp)
    elif origin in (list, tuple):
        if not isinstance(value, list):
            ok = False
        else:
            (item_tp,) = get_args(tp)[:1]
            items = [convert(v, item_tp, doc, (*path, i), problems) for i, v in enumerate(value)]
            if any(i is _MISSING for i in items):
                return _MISSING
            return tuple(items)
    elif origin is dict:
        if not isinstance(value, dict):
            ok = False
        else:
            _, value_tp = get_args(tp)
            converted = {
                str(k): convert(v, value_tp, doc, (*path, str(k)), problems) for k, v in value.items()
            }
            if any(v is _MISSING for v in converted.values()):
                return _MISSING
            return types.MappingProxyType(converted)
    if not ok:
        shown = "vide" if value is None else repr(value)
        problems.append(
            doc.problem(path, f"«{'.'.join(map(str, path))}» vaut {shown}", f"écrire {type_name(tp)}")
        )
        return _MISSING
    return value


def build(cls: type[T], data: Any, doc: YamlDocument, path: Path_, problems: list[Problem]) -> T:
    """Build dataclass ``cls`` from mapping ``data``, using field defaults for absent keys."""
    if data is None:
        data = {}
    where = ".".join(map(str, path)) or "le fichier"
    if not isinstance(data, dict):
        problems.append(
            doc.problem(path, f"{where} doit être une table clé: valeur", "voir l'exemple du README")
        )
        return _MISSING  # type: ignore[return-value]
    hints = get_type_hints(cls)
    # Internal fields are set by code (e.g. the config folder), never by a file.
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init and not f.metadata.get("internal")}
    for key in data:
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = f"vouliez-vous écrire «{close[0]}» ?" if close else "clés connues : " + ", ".join(fields)
            problems.append(doc.problem((*path, str(key)), f"clé inconnue «{key}» dans {where}", hint))
    values: dict[str, Any] = {}
    failed = False
    for name, fld in fields.items():
        child = (*path, name)
        if name in data:
            value = convert(data[name], hints[name], doc, child, problems)
            if value is _MISSING:
                failed = True
                continue
            check = fld.metadata.get("check")
            message = check(value) if check and value is not None else None
            if message:
                problems.append(
                    doc.problem(child, f"«{'.'.join(map(str, child))}» : {message[0]}", message[1])
                )
                failed = True
                continue
            values[name] = value
        elif fld.default is dataclasses.MISSING and fld.default_factory is dataclasses.MISSING:
            problems.append(doc.problem(path, f"la clé «{name}» manque dans {where}", f"ajouter {name}: …"))
            failed = True
    if failed:
        return _MISSING  # type: ignore[return-value]
    return cls(**values)


def is_missing(value: Any) -> bool:
    return value is _MISSING
