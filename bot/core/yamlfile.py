"""YAML documents that remember where each value was written, for ``file:line`` messages.

Every configuration file (settings, charter, resources, jobs, locales, crisis lines) is read
through here so that a mistake is reported as ``config/settings.yaml:12: … — write … instead``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One configuration mistake: where, what is wrong, and what to write instead."""

    file: str
    line: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        suffix = f" — {self.hint}" if self.hint else ""
        where = self.file if self.line == 0 else f"{self.file}:{self.line}"
        return f"{where}: {self.message}{suffix}"


class ConfigError(Exception):
    """Raised when configuration cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(slots=True)
class YamlDocument:
    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    # Values that came from somewhere else than the file (environment variables), by path.
    overrides: dict[Path_, str] = field(default_factory=dict)

    def line(self, path: Path_) -> int:
        """The line of the value at ``path``, or of its nearest written ancestor."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def problem(self, path: Path_, message: str, hint: str = "") -> Problem:
        for end in range(len(path), 0, -1):
            origin = self.overrides.get(path[:end])
            if origin:
                return Problem(origin, 0, message, hint)
        return Problem(self.file, self.line(path), message, hint)


def _construct(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[Problem], file: str
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if isinstance(key, bool) and isinstance(key_node, yaml.ScalarNode):
                # YAML 1.1 reads a key such as `off:` or `yes:` as a boolean; in our files a key is
                # a name, so keep the text as written (`reminders.off`, not `reminders.False`).
                key = key_node.value
            if key in result:
                problems.append(
                    Problem(
                        file,
                        key_node.start_mark.line + 1,
                        f"la clé «{key}» est écrite deux fois",
                        "n'en garder qu'une",
                    )
                )
            child = (*path, str(key))
            lines[child] = key_node.start_mark.line + 1
            result[key] = _construct(value_node, child, lines, problems, file)
            lines[child] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), lines, problems, file) for i, item in enumerate(node.value)]
    return _scalar(node)


_SCALAR_LOADER = yaml.SafeLoader("")


def _scalar(node: yaml.Node) -> Any:
    return _SCALAR_LOADER.construct_object(node, deep=True)


def parse(text: str, file: str) -> tuple[YamlDocument, list[Problem]]:
    """Parse YAML text; syntax errors and duplicate keys come back as problems, never raised."""
    problems: list[Problem] = []
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return YamlDocument(file, None), [
            Problem(
                file,
                line,
                f"YAML invalide : {exc.problem or exc}",
                "vérifier l'indentation et les guillemets",
            )
        ]
    except yaml.YAMLError as exc:  # a character YAML refuses (control characters, …) has no mark
        line = text.count("\n", 0, getattr(exc, "position", 0)) + 1
        return YamlDocument(file, None), [
            Problem(
                file,
                line,
                "YAML invalide : caractère interdit",
                "retirer les caractères de contrôle invisibles",
            )
        ]
    lines: dict[Path_, int] = {(): 1}
    try:
        data = None if node is None else _construct(node, (), lines, problems, file)
    except yaml.MarkedYAMLError as exc:  # an unknown tag (« !x ») or a value YAML cannot build
        mark = exc.problem_mark or exc.context_mark
        return YamlDocument(file, None), [
            Problem(
                file,
                mark.line + 1 if mark else 1,
                f"YAML invalide : {exc.problem or exc}",
                "retirer les étiquettes « ! » et écrire des valeurs simples",
            )
        ]
    return YamlDocument(file, data, lines), problems


def load(path: Path, display_name: str | None = None) -> tuple[YamlDocument, list[Problem]]:
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return YamlDocument(name, None), [
            Problem(name, 1, "fichier introuvable", "le créer, ou corriger --config")
        ]
    except UnicodeDecodeError:
        return YamlDocument(name, None), [
            Problem(name, 1, "le fichier n'est pas en UTF-8", "l'enregistrer en UTF-8")
        ]
    return parse(text, name)


def walk(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from walk(value, (*path, index))
