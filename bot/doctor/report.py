"""What ``relais doctor`` prints: « ✅/⚠️/❌ ce qui est vérifié — quoi faire », and its exit code.

❌ means something is broken or about to break (the exit code is then 1, for monitoring); ⚠️ means
a person should look when they can (the exit code stays 0); ✅ is fine.
"""

from __future__ import annotations

import dataclasses
import enum
import json


class Level(enum.Enum):
    OK = "✅"
    WARNING = "⚠️"
    ERROR = "❌"


@dataclasses.dataclass(frozen=True, slots=True)
class Check:
    level: Level
    what: str
    todo: str = ""

    def line(self) -> str:
        return f"{self.level.value} {self.what}" + (f" — {self.todo}" if self.todo else "")

    def as_dict(self) -> dict[str, str]:
        return {"level": self.level.name.lower(), "what": self.what, "todo": self.todo}


def ok(what: str) -> Check:
    return Check(Level.OK, what)


def warning(what: str, todo: str) -> Check:
    return Check(Level.WARNING, what, todo)


def error(what: str, todo: str) -> Check:
    return Check(Level.ERROR, what, todo)


def exit_code(checks: list[Check]) -> int:
    return 1 if any(c.level is Level.ERROR for c in checks) else 0


def render(checks: list[Check], *, as_json: bool = False) -> str:
    if as_json:
        return json.dumps(
            {"ok": exit_code(checks) == 0, "checks": [c.as_dict() for c in checks]},
            ensure_ascii=False,
            indent=2,
        )
    errors = sum(c.level is Level.ERROR for c in checks)
    warnings = sum(c.level is Level.WARNING for c in checks)
    lines = [c.line() for c in checks]
    if errors:
        lines.append(f"{errors} problème(s) à corriger, {warnings} point(s) à regarder.")
    elif warnings:
        lines.append(f"Aucun problème bloquant ; {warnings} point(s) à regarder.")
    else:
        lines.append("Tout va bien.")
    return "\n".join(lines)
