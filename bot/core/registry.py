"""Typed services the bot holds after start-up, keyed by the Protocol class they implement.

Capabilities never look each other up by a cog's name: a cog ``provide``s what it offers when it
loads and ``withdraw``s it when it unloads; whoever needs it asks by type. A capability that is
disabled simply provides nothing, and each caller decides once what to do then (``get`` returns
``None``) or lets the member know kindly (``require`` raises ``CapabilityDisabled``).
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from bot.core.errors import UserError

T = TypeVar("T")


class CapabilityDisabled(UserError):
    """The feature behind a button or command is switched off on this installation."""

    def __init__(self, kind: type) -> None:
        super().__init__("core.errors.capability_disabled")
        self.kind = kind


class Registry:
    def __init__(self) -> None:
        self._services: dict[type, Any] = {}

    def provide(self, kind: type[T], implementation: T) -> None:
        self._services[kind] = implementation

    def withdraw(self, kind: type, implementation: Any = None) -> None:
        if implementation is None or self._services.get(kind) is implementation:
            self._services.pop(kind, None)

    def get(self, kind: type[T]) -> T | None:
        return cast("T | None", self._services.get(kind))

    def require(self, kind: type[T]) -> T:
        found = self._services.get(kind)
        if found is None:
            raise CapabilityDisabled(kind)
        return cast(T, found)

    def __contains__(self, kind: type) -> bool:
        return kind in self._services
