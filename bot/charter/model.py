"""The charter's shape: articles, automatic rules and their exemptions.

Its own module so that the parser (``charter``) and the automatic moderation engine (``automod``)
both read it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    number: int
    title: str
    text: str
    warning_expiry_days: int | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    article: str
    kind: str
    action: str
    notice: str
    patterns: tuple[str, ...] = ()
    threshold: int = 0
    seconds: float = 0.0
    duration_seconds: int | None = None
    # "private" (a DM, or a short reply if DMs are closed) or "public" (a reply in the channel).
    reminder: str = "private"
    exempt_roles: tuple[str | int, ...] = ()
    exempt_channels: tuple[str | int, ...] = ()
    # invite_links: invite codes that are allowed (a partner community, the server's own invite).
    allow: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class Exemptions:
    """Roles and channels automod never acts on: configured purposes (``moderation``) or raw ids."""

    roles: tuple[str | int, ...] = ()
    channels: tuple[str | int, ...] = ()


@dataclass(frozen=True, slots=True)
class Charter:
    version: str
    title: str
    preamble: str
    articles: tuple[Article, ...]
    rules: tuple[Rule, ...] = ()
    exempt: Exemptions = field(default_factory=Exemptions)

    def article(self, article_id: str) -> Article | None:
        for article in self.articles:
            if article.id == article_id:
                return article
        return None

    def rule(self, rule_id: str) -> Rule | None:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None
