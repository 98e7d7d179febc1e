"""Injected failures: 429s and outages, shaped like Discord's so discord.py's own recovery runs."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass


@dataclass
class RateLimitRule:
    method: str
    pattern: re.Pattern[str]
    times: int
    retry_after: float
    global_: bool
    # The first `skip` matching requests pass: a limit reached in the middle of a sequence.
    skip: int = 0
    hits: int = 0
    seen: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method == "*" or self.method == method.upper()) and bool(self.pattern.search(path))


class Faults:
    def __init__(self) -> None:
        self.rate_limits: list[RateLimitRule] = []
        self.unreachable_until = 0.0
        self.reset_rest = False

    def rate_limit(
        self,
        method: str,
        path_regex: str,
        *,
        times: int = 1,
        retry_after: float = 0.2,
        global_: bool = False,
        skip: int = 0,
    ) -> RateLimitRule:
        rule = RateLimitRule(method.upper(), re.compile(path_regex), times, retry_after, global_, skip)
        self.rate_limits.append(rule)
        return rule

    def take_rate_limit(self, method: str, path: str) -> RateLimitRule | None:
        """Consume one injected 429 for this request, if a rule still has some left."""
        for rule in self.rate_limits:
            if rule.hits < rule.times and rule.matches(method, path):
                rule.seen += 1
                if rule.seen <= rule.skip:
                    continue
                rule.hits += 1
                return rule
        return None

    def set_unreachable(self, seconds: float, *, reset_rest: bool = False) -> None:
        self.unreachable_until = time.monotonic() + seconds
        self.reset_rest = reset_rest

    def is_unreachable(self) -> bool:
        return time.monotonic() < self.unreachable_until

    def clear(self) -> None:
        self.rate_limits.clear()
        self.unreachable_until = 0.0
