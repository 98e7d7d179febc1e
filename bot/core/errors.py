"""Errors meant for the person who typed the command. Discord-free: domain modules raise them.

A ``UserError`` names a locale key and its parameters; the tree-wide handler renders it in the
member's language, ephemerally. Anything else is unexpected and gets an incident id.
"""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """Something the user can fix: the message says what to do next."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, **{self.params!r})"


class NotAllowed(UserError):
    """The caller lacks the role or permission this action needs."""


class NotFound(UserError):
    """The thing asked for does not exist (or is not visible to the caller)."""
