"""The diagnostic's rules over hand-built snapshots: each one passes on a healthy guild and fails
when the thing it watches is broken."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from bot.core import i18n
from bot.core.timers import TimerHealth
from bot.server_setup import layout
from bot.server_setup.diagnostic import (
    AUDIENCE_ROLES,
    ChannelFacts,
    ExtraFacts,
    GuildSnapshot,
    Level,
    RoleFacts,
    diagnose,
    render_text,
)
from bot.services import CharterStatus, FeedHealth
from tests.helpers import CONFIG

BASE = frozenset(layout.BASE_BOT_PERMISSIONS)
READ = frozenset({"view_channel", "read_message_history"})
WRITE = READ | {"send_messages", "send_messages_in_threads"}
HEALTHY_TIMERS = TimerHealth(
    pending=3, failed_recently=0, overdue=0, oldest_overdue_seconds=0, last_errors=()
)
CHARTER_OK = CharterStatus("2.0", "2.0", ())


def healthy_channel(need: layout.ChannelNeed, channel_id: int) -> ChannelFacts:
    """What each audience should look like: who reads, who writes."""
    nothing: frozenset[str] = frozenset()
    audience = need.audience
    everyone = {
        layout.Audience.MODERATORS: nothing,
        layout.Audience.MEMBERS: nothing,
        layout.Audience.PAIR_AIDANTS: nothing,
        layout.Audience.EVERYONE_READ_ONLY: READ,
        layout.Audience.EVERYONE: WRITE,
    }[audience]
    roles = {
        "moderation": WRITE,
        "membre": {
            layout.Audience.MODERATORS: nothing,
            layout.Audience.MEMBERS: WRITE,
            layout.Audience.PAIR_AIDANTS: nothing,
            layout.Audience.EVERYONE_READ_ONLY: READ,
            layout.Audience.EVERYONE: WRITE,
        }[audience],
        "pair_aidant": WRITE if audience is not layout.Audience.MODERATORS else nothing,
    }
    return ChannelFacts(
        channel_id,
        True,
        need.default_name,
        "text",
        frozenset(need.bot_permissions),
        everyone,
        MappingProxyType({k: frozenset(v) for k, v in roles.items() if k in AUDIENCE_ROLES}),
    )


def healthy() -> GuildSnapshot:
    channels = {need.purpose: healthy_channel(need, 100 + i) for i, need in enumerate(layout.CHANNELS)}
    roles = {
        need.purpose: RoleFacts(200 + i, True, need.default_name, 1 + i)
        for i, need in enumerate(layout.ROLES)
    }
    return GuildSnapshot(
        guild_id=1,
        channels=channels,
        roles=roles,
        bot_top_role_position=10,
        bot_top_role_name="Relais",
        bot_guild_permissions=frozenset(
            {"manage_roles", "moderate_members", "kick_members", "ban_members", "manage_messages"}
        ),
    )


def extra(**changes) -> ExtraFacts:
    base = ExtraFacts(
        charter=CHARTER_OK,
        timers=HEALTHY_TIMERS,
        feeds=(FeedHealth("France Travail", "https://example.org/rss", True, "12 offres lues"),),
    )
    return dataclasses.replace(base, **changes)


def with_channel(snapshot: GuildSnapshot, purpose: str, **changes) -> GuildSnapshot:
    channels = dict(snapshot.channels)
    channels[purpose] = dataclasses.replace(channels[purpose], **changes)
    return dataclasses.replace(snapshot, channels=channels)


def with_role_perms(snapshot: GuildSnapshot, purpose: str, role: str, perms) -> GuildSnapshot:
    roles = dict(snapshot.channels[purpose].roles)
    roles[role] = frozenset(perms)
    return with_channel(snapshot, purpose, roles=MappingProxyType(roles))


def problems(report) -> set[tuple[str, str, str]]:
    return {(f.level.value, f.key, f.subject) for f in report.findings if f.level is not Level.OK}


def test_a_healthy_guild_has_nothing_to_fix():
    report = diagnose(healthy(), extra())
    assert problems(report) == set()
    assert report.error_signature == frozenset()
    # Every configured channel and the bot-granted role say they are fine, so the report is not empty.
    assert {f.subject for f in report.findings if f.key == "channel_ok"} == set(layout.CHANNEL_BY_PURPOSE)
    assert any(f.key == "role_below_bot" and f.subject == "membre" for f in report.findings)


def test_unset_or_deleted_channels_are_errors():
    snapshot = healthy()
    channels = dict(snapshot.channels)
    del channels["ressources"]
    channels["signalements"] = ChannelFacts(555, exists=False)
    report = diagnose(dataclasses.replace(snapshot, channels=channels), extra())
    assert problems(report) == {
        ("error", "channel_unset", "ressources"),
        ("error", "channel_missing", "signalements"),
    }


def test_forum_only_where_a_forum_is_allowed():
    assert problems(diagnose(with_channel(healthy(), "offres", kind="forum"), extra())) == set()
    report = diagnose(with_channel(healthy(), "modlog", kind="forum"), extra())
    assert problems(report) == {("error", "channel_wrong_kind", "modlog")}


def test_missing_bot_permissions_are_named():
    snapshot = with_channel(healthy(), "intervisions", bot=BASE)
    [finding] = [f for f in diagnose(snapshot, extra()).errors]
    assert finding.key == "bot_permissions_missing"
    assert set(finding.permissions) == {
        "create_private_threads",
        "send_messages_in_threads",
        "manage_threads",
    }


def test_moderators_channels_must_be_hidden_from_everyone_and_members():
    public = with_channel(healthy(), "modlog", everyone=READ)
    assert problems(diagnose(public, extra())) == {("error", "channel_public", "modlog")}
    seen_by_members = with_role_perms(healthy(), "offres_moderation", "membre", READ)
    assert problems(diagnose(seen_by_members, extra())) == {
        ("error", "channel_visible_to_role", "offres_moderation")
    }
    moderators_blind = with_role_perms(healthy(), "signalements", "moderation", frozenset())
    assert problems(diagnose(moderators_blind, extra())) == {
        ("warning", "moderators_cannot_read", "signalements")
    }


def test_member_channels_gated_only_when_the_guild_uses_the_gate():
    open_channel = with_channel(healthy(), "ressources", everyone=WRITE)
    assert problems(diagnose(open_channel, extra())) == {("warning", "channel_not_gated", "ressources")}
    without_gate = dataclasses.replace(
        open_channel, roles={k: v for k, v in open_channel.roles.items() if k != "membre"}
    )
    without_gate = with_channel(
        without_gate, "ressources", roles=MappingProxyType({"moderation": WRITE, "pair_aidant": WRITE})
    )
    assert ("warning", "channel_not_gated", "ressources") not in problems(diagnose(without_gate, extra()))
    hidden = with_role_perms(healthy(), "offres", "membre", frozenset())
    assert problems(diagnose(hidden, extra())) == {("error", "members_cannot_read", "offres")}


def test_intervisions_need_pair_aidants_able_to_write_in_private_threads():
    no_threads = with_role_perms(healthy(), "intervisions", "pair_aidant", READ | {"send_messages"})
    assert problems(diagnose(no_threads, extra())) == {("error", "pair_aidants_cannot_use", "intervisions")}
    public = with_channel(healthy(), "intervisions", everyone=READ)
    assert problems(diagnose(public, extra())) == {("warning", "intervisions_public", "intervisions")}


def test_charter_channel_read_only_and_welcome_readable():
    writable = with_role_perms(healthy(), "charte", "membre", WRITE)
    assert problems(diagnose(writable, extra())) == {("warning", "channel_not_read_only", "charte")}
    hidden = with_channel(healthy(), "charte", everyone=frozenset())
    assert problems(diagnose(hidden, extra())) == {("error", "everyone_cannot_read", "charte")}
    hidden_welcome = with_channel(healthy(), "accueil", everyone=frozenset())
    assert problems(diagnose(hidden_welcome, extra())) == {("error", "everyone_cannot_read", "accueil")}


def test_bot_role_must_be_above_the_role_it_grants():
    snapshot = healthy()
    roles = dict(snapshot.roles)
    roles["membre"] = dataclasses.replace(roles["membre"], position=10)  # same position as the bot's top role
    report = diagnose(dataclasses.replace(snapshot, roles=roles), extra())
    assert problems(report) == {("error", "role_above_bot", "membre")}
    [finding] = report.errors
    assert finding.params["bot_role"] == "Relais"


def test_roles_deleted_managed_or_unset():
    snapshot = healthy()
    roles = dict(snapshot.roles)
    roles["pair_aidant"] = RoleFacts(9, exists=False)
    roles["membre"] = dataclasses.replace(roles["membre"], managed=True)
    del roles["moderation"]
    del roles["ecoute"]  # optional: nothing said
    report = diagnose(dataclasses.replace(snapshot, roles=roles), extra())
    assert problems(report) == {
        ("error", "role_missing", "pair_aidant"),
        ("error", "role_managed", "membre"),
        ("warning", "role_unset", "moderation"),
    }


def test_bot_guild_permissions():
    snapshot = dataclasses.replace(healthy(), bot_guild_permissions=frozenset({"kick_members"}))
    assert problems(diagnose(snapshot, extra())) == {
        ("error", "bot_cannot_grant_roles", "manage_roles"),
        ("warning", "bot_cannot_moderate", "guild_permissions"),
    }


def test_charter_publication_and_crisis_lines():
    never = diagnose(healthy(), extra(charter=CharterStatus("2.0", None, ())))
    assert problems(never) == {("error", "charter_never_published", "charter")}
    old = diagnose(healthy(), extra(charter=CharterStatus("2.0", "1.0", ("Télé-Accueil",))))
    assert problems(old) == {
        ("warning", "charter_outdated", "charter"),
        ("warning", "crisis_lines_stale", "crisis_lines"),
    }
    unknown = diagnose(healthy(), extra(charter=None))
    assert problems(unknown) == {("warning", "charter_unknown", "charter")}


def test_unreachable_feed_is_a_warning_with_its_error():
    feeds = (
        FeedHealth("Un", "https://a.example/rss", True, "3 offres lues"),
        FeedHealth("Deux", "https://b.example/rss", False, "délai dépassé"),
    )
    report = diagnose(healthy(), extra(feeds=feeds))
    assert problems(report) == {("warning", "feed_unreachable", "feed:Deux")}


def test_failed_or_overdue_timers_are_warnings():
    failed = dataclasses.replace(HEALTHY_TIMERS, failed_recently=2, last_errors=("reminder: boom",))
    assert problems(diagnose(healthy(), extra(timers=failed))) == {("warning", "timers_failed", "timers")}
    late = dataclasses.replace(HEALTHY_TIMERS, overdue=1, oldest_overdue_seconds=300)
    assert problems(diagnose(healthy(), extra(timers=late))) == {("warning", "timers_overdue", "timers")}


def test_disabled_capabilities_are_not_checked():
    snapshot = with_channel(healthy(), "offres", exists=False)
    report = diagnose(
        snapshot,
        extra(enabled_capabilities=frozenset(layout.CAPABILITIES) - {"jobs"}, charter=None, feeds=None),
    )
    assert not any(f.capability == "jobs" for f in report.findings)


def test_error_signature_changes_only_with_the_errors():
    public = diagnose(with_channel(healthy(), "modlog", everyone=READ), extra())
    again = diagnose(with_channel(healthy(), "modlog", everyone=READ), extra(timers=None))
    assert public.error_signature == again.error_signature == frozenset({"channel_public:modlog"})
    other = diagnose(with_channel(healthy(), "signalements", everyone=READ), extra())
    assert other.error_signature != public.error_signature


def test_plain_text_names_what_is_wrong_and_what_to_do_in_french_and_english():
    catalog = i18n.Catalog.load(CONFIG)
    snapshot = with_channel(healthy(), "modlog", everyone=READ, bot=frozenset({"view_channel"}))
    report = diagnose(snapshot, extra(charter=CharterStatus("2.0", None, ())))
    text = render_text(report, lambda key, /, **p: catalog.t("fr", key, **p))
    assert "❌ Journal de modération : #journal-moderation est visible par tout le monde." in text
    assert "« Envoyer des messages »" in text
    assert "Modifier le salon → Permissions" in text
    assert "/charte publier" in text
    assert "diagnostic." not in text  # no raw key: every text exists
    english = render_text(report, lambda key, /, **p: catalog.t("en", key, **p))
    assert "is visible to everyone" in english and "diagnostic." not in english
