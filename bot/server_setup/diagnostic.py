"""The diagnostic: is this guild set up the way ``layout`` says Relais needs it?

Shared by ``/config diagnostic`` (``bot.server_setup.ui.snapshot_from_guild`` builds the snapshot from
discord.py's cache), the setup assistant (same snapshot, it then fixes what is wrong) and ``relais doctor``
(it builds the same snapshot from the REST API). Pure: no discord.py, no database, no clock.

Use::

    snapshot = GuildSnapshot(guild_id=…, channels={purpose: ChannelFacts(…)},
                             roles={purpose: RoleFacts(…)}, bot_top_role_position=…,
                             bot_top_role_name=…, bot_guild_permissions=frozenset({…}))
    report = diagnose(snapshot, ExtraFacts(enabled_capabilities=…, charter=…, timers=…, feeds=…))
    report.errors                # the ❌ findings; report.error_signature: a stable set to compare runs
    render_text(report, t)       # plain text, for the command line (t: bot.core.i18n.Translate)

Every ``Finding`` names a capability (``layout.CAPABILITIES`` or ``GENERAL``), a level, a text key
``diagnostic.check.<key>`` and, when something must be done, ``diagnostic.fix.<fix>``; both live in
``config/locales/*/diagnostic.yaml``. ``finding_params`` fills their ``{fields}``.

Permission names everywhere are discord.py ``Permissions`` attribute names (``view_channel``…).
A snapshot holds only the configured purposes: an unset purpose is simply absent from ``channels`` /
``roles``; a configured one whose channel or role was deleted is present with ``exists=False``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from bot.core.i18n import Translate
from bot.core.timers import TimerHealth
from bot.server_setup import layout
from bot.server_setup.layout import Audience

GENERAL = "general"  # what belongs to no single capability: the timers
GROUP_ORDER = (GENERAL, *layout.CAPABILITIES)

# Role purposes whose permissions the snapshot records in each channel (who may see what).
AUDIENCE_ROLES = ("membre", "pair_aidant", "moderation")
# Unset, these leave a capability without its people; the others are optional.
EXPECTED_ROLES = {"moderation": "moderation", "pair_aidant": "intervisions"}
# Guild-wide permissions the bot uses for moderation actions (warn, timeout, kick, ban, delete).
MODERATION_BOT_PERMISSIONS = ("moderate_members", "kick_members", "ban_members", "manage_messages")

EMPTY: frozenset[str] = frozenset()
CRISIS_LINES_NAMED = 5  # the rest as « (+N) »: the line stays readable


class Level(enum.Enum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"

    @property
    def icon(self) -> str:
        return {"ok": "✅", "warning": "⚠️", "error": "❌"}[self.value]


@dataclass(frozen=True, slots=True)
class ChannelFacts:
    """One configured channel as Discord sees it. Permission sets are what each one is *allowed*
    in this channel after overwrites (discord.py ``channel.permissions_for(member_or_role)``)."""

    channel_id: int
    exists: bool
    name: str = ""
    kind: str = "text"  # "text", "forum" or "other"
    bot: frozenset[str] = EMPTY
    everyone: frozenset[str] = EMPTY
    # Role purpose (``AUDIENCE_ROLES``, only the configured ones) → what someone with that role may do.
    roles: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class RoleFacts:
    role_id: int
    exists: bool
    name: str = ""
    position: int = 0
    managed: bool = False  # owned by an integration: nobody can hand it out


@dataclass(frozen=True, slots=True)
class GuildSnapshot:
    guild_id: int
    channels: Mapping[str, ChannelFacts]  # configured channel purposes only
    roles: Mapping[str, RoleFacts]  # configured role purposes only
    bot_top_role_position: int
    bot_top_role_name: str
    bot_guild_permissions: frozenset[str]


class CharterFacts(Protocol):
    """What ``bot.services.CharterStatus`` carries (any object with these attributes will do)."""

    @property
    def current_version(self) -> str: ...
    @property
    def published_version(self) -> str | None: ...
    @property
    def crisis_lines_to_verify(self) -> tuple[str, ...]: ...


class FeedFacts(Protocol):
    """What ``bot.services.FeedHealth`` carries."""

    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def reachable(self) -> bool: ...
    @property
    def detail(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ExtraFacts:
    """What the guild's channels and roles do not say. ``None``: not known (the capability or its
    service is off), and the check says so rather than guessing."""

    enabled_capabilities: frozenset[str] = frozenset(layout.CAPABILITIES)
    charter: CharterFacts | None = None
    timers: TimerHealth | None = None
    feeds: tuple[FeedFacts, ...] | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    capability: str
    level: Level
    key: str  # diagnostic.check.<key>
    subject: str  # what it is about, stable across runs: a purpose, a feed name, "timers"…
    fix: str | None = None  # diagnostic.fix.<fix>: what to do
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    purpose: str | None = None  # channel or role purpose, rendered as its /config label ({purpose})
    channel_id: int | None = None  # rendered as a mention in Discord, a #name elsewhere ({channel})
    permissions: tuple[str, ...] = ()  # rendered with Discord's own labels ({permissions})

    @property
    def identity(self) -> str:
        return f"{self.key}:{self.subject}"


@dataclass(frozen=True, slots=True)
class Report:
    findings: tuple[Finding, ...]
    # Channel id → name, for rendering outside Discord (where a mention would not show a name).
    channel_names: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level is Level.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level is Level.WARNING)

    @property
    def error_signature(self) -> frozenset[str]:
        """The ❌ as a comparable set: the summary is posted again only when it changes."""
        return frozenset(f.identity for f in self.errors)

    def by_capability(self) -> list[tuple[str, list[Finding]]]:
        """Groups in ``GROUP_ORDER``, worst first within each group; empty groups left out."""
        rank = {Level.ERROR: 0, Level.WARNING: 1, Level.OK: 2}
        groups = []
        for capability in GROUP_ORDER:
            found = [f for f in self.findings if f.capability == capability]
            if found:
                groups.append((capability, sorted(found, key=lambda f: rank[f.level])))
        return groups


def diagnose(snapshot: GuildSnapshot, extra: ExtraFacts) -> Report:
    findings: list[Finding] = []
    enabled = extra.enabled_capabilities
    for need in layout.CHANNELS:
        if need.capability in enabled:
            findings.extend(_channel_findings(need, snapshot))
    for need in layout.ROLES:
        if need.capability in enabled:
            findings.extend(_role_findings(need, snapshot))
    findings.extend(_bot_permission_findings(snapshot, enabled))
    if "charter" in enabled:
        findings.extend(_charter_findings(extra.charter))
    if "jobs" in enabled and extra.feeds is not None:
        findings.extend(_feed_findings(extra.feeds))
    if extra.timers is not None:
        findings.append(_timer_finding(extra.timers))
    return Report(tuple(findings), MappingProxyType(channel_names(snapshot)))


# -- channels -----------------------------------------------------------------------------------------


def _channel_findings(need: layout.ChannelNeed, snapshot: GuildSnapshot) -> list[Finding]:
    def finding(level: Level, key: str, fix: str | None = None, **kwargs) -> Finding:
        return Finding(need.capability, level, key, need.purpose, fix, purpose=need.purpose, **kwargs)

    facts = snapshot.channels.get(need.purpose)
    if facts is None:
        # The capability is on but has nowhere to post: as broken as a deleted channel (which /config
        # forgets when Discord says it is gone, so a deletion usually shows up here).
        return [finding(Level.ERROR, "channel_unset", "channel_unset")]
    ids = {"channel_id": facts.channel_id}
    if not facts.exists:
        return [finding(Level.ERROR, "channel_missing", "channel_missing")]
    if facts.kind not in ("text", "forum") or (facts.kind == "forum" and not need.forum_allowed):
        return [finding(Level.ERROR, "channel_wrong_kind", "channel_wrong_kind", **ids)]
    found: list[Finding] = []
    missing = tuple(p for p in need.bot_permissions if p not in facts.bot)
    if missing:
        found.append(
            finding(Level.ERROR, "bot_permissions_missing", "bot_permissions", permissions=missing, **ids)
        )
    found.extend(finding(level, key, fix, **ids, **more) for level, key, fix, more in _audience(need, facts))
    if not found:
        found.append(finding(Level.OK, "channel_ok", **ids))
    return found


def reads(permissions: frozenset[str]) -> bool:
    return "view_channel" in permissions


def writes(permissions: frozenset[str]) -> bool:
    return reads(permissions) and "send_messages" in permissions


def _audience(need: layout.ChannelNeed, facts: ChannelFacts) -> Iterable[tuple]:
    """(level, key, fix, extra Finding fields) for whoever sees or writes where they should not."""
    everyone, roles = facts.everyone, facts.roles
    if need.audience is Audience.MODERATORS:
        if reads(everyone):
            yield Level.ERROR, "channel_public", "make_private", {}
        else:
            for role in ("membre", "pair_aidant"):
                if role in roles and reads(roles[role]):
                    yield Level.ERROR, "channel_visible_to_role", "make_private", {"params": _role(role)}
        if "moderation" in roles and not reads(roles["moderation"]):
            yield Level.WARNING, "moderators_cannot_read", "let_role_read", {"params": _role("moderation")}
    elif need.audience is Audience.MEMBERS:
        if "membre" in roles:
            if reads(everyone):
                yield Level.WARNING, "channel_not_gated", "gate_channel", {}
            elif not reads(roles["membre"]):
                yield Level.ERROR, "members_cannot_read", "let_role_read", {"params": _role("membre")}
    elif need.audience is Audience.PAIR_AIDANTS:
        if "pair_aidant" in roles:
            pairs = roles["pair_aidant"]
            if not reads(pairs) or "send_messages_in_threads" not in pairs:
                yield (
                    Level.ERROR,
                    "pair_aidants_cannot_use",
                    "pair_aidants_threads",
                    {"params": _role("pair_aidant")},
                )
            if reads(everyone):
                yield Level.WARNING, "intervisions_public", "make_private_to_pairs", {}
    elif need.audience is Audience.EVERYONE_READ_ONLY:
        if not reads(everyone):
            yield Level.ERROR, "everyone_cannot_read", "let_everyone_read", {}
        elif writes(everyone) or ("membre" in roles and writes(roles["membre"])):
            yield Level.WARNING, "channel_not_read_only", "make_read_only", {}
    elif need.audience is Audience.EVERYONE:
        if not reads(everyone):
            yield Level.ERROR, "everyone_cannot_read", "let_everyone_read", {}


def _role(purpose: str) -> Mapping[str, str]:
    # The role's /config label; the renderer translates it (``role_purpose``).
    return MappingProxyType({"role_purpose": purpose})


# -- roles and guild permissions ----------------------------------------------------------------------


def _role_findings(need: layout.RoleNeed, snapshot: GuildSnapshot) -> list[Finding]:
    def finding(level: Level, key: str, fix: str | None = None, **params: str) -> Finding:
        return Finding(need.capability, level, key, need.purpose, fix, MappingProxyType(params), need.purpose)

    facts = snapshot.roles.get(need.purpose)
    if facts is None:
        if need.purpose in EXPECTED_ROLES:
            return [finding(Level.WARNING, "role_unset", "role_unset")]
        return []
    if not facts.exists:
        return [finding(Level.ERROR, "role_missing", "role_missing")]
    if need.granted_by_bot:
        if facts.managed:
            return [finding(Level.ERROR, "role_managed", "role_missing", role=facts.name)]
        if facts.position >= snapshot.bot_top_role_position:
            return [
                finding(
                    Level.ERROR,
                    "role_above_bot",
                    "move_bot_role",
                    role=facts.name,
                    bot_role=snapshot.bot_top_role_name,
                )
            ]
        return [finding(Level.OK, "role_below_bot", role=facts.name, bot_role=snapshot.bot_top_role_name)]
    return [finding(Level.OK, "role_ok", role=facts.name)]


def _bot_permission_findings(snapshot: GuildSnapshot, enabled: frozenset[str]) -> list[Finding]:
    found: list[Finding] = []
    granted = [
        n
        for n in layout.ROLES
        if n.granted_by_bot and n.capability in enabled and n.purpose in snapshot.roles
    ]
    if granted and "manage_roles" not in snapshot.bot_guild_permissions:
        found.append(
            Finding(
                granted[0].capability,
                Level.ERROR,
                "bot_cannot_grant_roles",
                "manage_roles",
                "guild_permissions",
                MappingProxyType({"bot_role": snapshot.bot_top_role_name}),
                permissions=("manage_roles",),
            )
        )
    if "moderation" in enabled:
        missing = tuple(p for p in MODERATION_BOT_PERMISSIONS if p not in snapshot.bot_guild_permissions)
        if missing:
            found.append(
                Finding(
                    "moderation",
                    Level.WARNING,
                    "bot_cannot_moderate",
                    "guild_permissions",
                    "guild_permissions",
                    MappingProxyType({"bot_role": snapshot.bot_top_role_name}),
                    permissions=missing,
                )
            )
    return found


# -- charter, feeds, timers ---------------------------------------------------------------------------


def _charter_findings(charter: CharterFacts | None) -> list[Finding]:
    if charter is None:
        return [Finding("charter", Level.WARNING, "charter_unknown", "charter")]
    found: list[Finding] = []
    versions = {"version": charter.current_version, "published": charter.published_version or ""}
    if charter.published_version is None:
        found.append(Finding("charter", Level.ERROR, "charter_never_published", "charter", "publish_charter"))
    elif charter.published_version != charter.current_version:
        found.append(
            Finding(
                "charter",
                Level.WARNING,
                "charter_outdated",
                "charter",
                "publish_charter",
                MappingProxyType(versions),
            )
        )
    else:
        found.append(
            Finding("charter", Level.OK, "charter_published", "charter", None, MappingProxyType(versions))
        )
    if charter.crisis_lines_to_verify:
        names = charter.crisis_lines_to_verify
        lines = ", ".join(names[:CRISIS_LINES_NAMED])
        if len(names) > CRISIS_LINES_NAMED:
            lines += f" (+{len(names) - CRISIS_LINES_NAMED})"
        found.append(
            Finding(
                "charter",
                Level.WARNING,
                "crisis_lines_stale",
                "crisis_lines",
                "verify_crisis_lines",
                MappingProxyType({"lines": lines}),
            )
        )
    else:
        found.append(Finding("charter", Level.OK, "crisis_lines_ok", "crisis_lines"))
    return found


def _feed_findings(feeds: tuple[FeedFacts, ...]) -> list[Finding]:
    found = []
    for feed in feeds:
        params = MappingProxyType({"feed": feed.name, "url": feed.url, "detail": feed.detail})
        if feed.reachable:
            found.append(Finding("jobs", Level.OK, "feed_ok", f"feed:{feed.name}", None, params))
        else:
            found.append(
                Finding("jobs", Level.WARNING, "feed_unreachable", f"feed:{feed.name}", "check_feed", params)
            )
    return found


def _timer_finding(timers: TimerHealth) -> Finding:
    # Warnings, never errors: right after a start-up, timers due while the bot was off are briefly
    # overdue, and that must not post a summary in the mod-log.
    params = MappingProxyType(
        {
            "failed": str(timers.failed_recently),
            "overdue": str(timers.overdue),
            "minutes": str(round(timers.oldest_overdue_seconds / 60)),
            "errors": "; ".join(timers.last_errors)[:300],
            "pending": str(timers.pending),
        }
    )
    if timers.failed_recently:
        return Finding(GENERAL, Level.WARNING, "timers_failed", "timers", "timers_failed", params)
    if timers.overdue:
        return Finding(GENERAL, Level.WARNING, "timers_overdue", "timers", "timers_overdue", params)
    return Finding(GENERAL, Level.OK, "timers_ok", "timers", None, params)


# -- rendering ----------------------------------------------------------------------------------------


def finding_params(
    finding: Finding,
    t: Translate,
    *,
    channel_names: Mapping[int, str] | None = None,
    mention_channels: bool = False,
) -> dict[str, str]:
    """The ``{fields}`` of a finding's texts, translated. Channels are ``<#id>`` (Discord: a link that
    never pings) when ``mention_channels``, else ``#name`` from ``channel_names``."""
    params = dict(finding.params)
    if finding.purpose is not None:
        params["purpose"] = t(f"core.config.purposes.{finding.purpose}")
    if "role_purpose" in params:
        params["role_purpose"] = t(f"core.config.purposes.{params['role_purpose']}")
    if finding.channel_id is not None:
        if mention_channels:
            params["channel"] = f"<#{finding.channel_id}>"
        else:
            name = (channel_names or {}).get(finding.channel_id)
            params["channel"] = f"#{name}" if name else str(finding.channel_id)
    else:
        params.setdefault("channel", params.get("purpose", ""))
    params["permissions"] = ", ".join(
        t("diagnostic.quoted", text=t(f"diagnostic.permissions.{p}")) for p in finding.permissions
    )
    return params


def finding_lines(finding: Finding, t: Translate, **how) -> tuple[str, str | None]:
    """(the line with its icon, what to do or None)."""
    params = finding_params(finding, t, **how)
    line = f"{finding.level.icon} {t(f'diagnostic.check.{finding.key}', **params)}"
    todo = (
        t(f"diagnostic.fix.{finding.fix}", **params)
        if finding.fix and finding.level is not Level.OK
        else None
    )
    return line, todo


def channel_names(snapshot: GuildSnapshot) -> dict[int, str]:
    return {c.channel_id: c.name for c in snapshot.channels.values() if c.name}


def render_text(report: Report, t: Translate) -> str:
    """The whole report as plain text (command line, logs, the closing notes)."""
    out = [t("diagnostic.title")]
    for capability, findings in report.by_capability():
        out.append("")
        out.append(t(f"diagnostic.capabilities.{capability}"))
        for finding in findings:
            line, todo = finding_lines(finding, t, channel_names=report.channel_names)
            out.append(f"  {line}")
            if todo:
                out.append(f"     → {todo}")
    out.append("")
    out.append(t("diagnostic.totals", errors=len(report.errors), warnings=len(report.warnings)))
    return "\n".join(out)


def private_channel_sound(report: Report, purpose: str = "modlog") -> bool:
    """Whether this moderators' channel exists, is configured and is hidden from members: the
    diagnostic's summary names weaknesses of the server, which a public channel must not receive."""
    return not any(
        f.purpose == purpose
        and f.key in ("channel_unset", "channel_missing", "channel_public", "channel_visible_to_role")
        for f in report.findings
    )


SUMMARY_LINES = 10


def render_summary(report: Report, t: Translate, *, mention_channels: bool = True) -> str:
    """The short mod-log summary: what is ❌ (no « what to do »), then where to read the detail."""
    errors = report.errors
    out = [t("diagnostic.summary.title", count=len(errors))]
    for finding in errors[:SUMMARY_LINES]:
        line, _ = finding_lines(
            finding, t, channel_names=report.channel_names, mention_channels=mention_channels
        )
        out.append(line)
    if len(errors) > SUMMARY_LINES:
        out.append(t("diagnostic.summary.more", count=len(errors) - SUMMARY_LINES))
    out.append(t("diagnostic.summary.footer"))
    return "\n".join(out)
