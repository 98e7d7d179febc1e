"""The setup assistant's plan: what it proposes on a guild, and exactly what it will do."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from bot.server_setup import layout
from bot.server_setup.assistant import (
    BOT,
    CREATE,
    EVERYONE,
    SKIP,
    ChannelStep,
    CreateChannel,
    CreateRole,
    ExistingChannel,
    ExistingRole,
    FixChannel,
    Inventory,
    MapChannel,
    MapRole,
    Overwrite,
    RoleStep,
    is_private,
    make_plan,
    overwrite_matches,
    plan_actions,
)
from bot.server_setup.diagnostic import ChannelFacts, ExtraFacts, GuildSnapshot, RoleFacts, diagnose

BOT_ALL = frozenset(p for need in layout.CHANNELS for p in need.bot_permissions) | {"send_messages"}
BOT_GUILD = frozenset(
    {"manage_channels", "manage_roles", "kick_members", "ban_members", "moderate_members", "manage_messages"}
)
BOT_POSITION = 10


class Charter:
    def __init__(self, published: str | None, current: str = "3") -> None:
        self.current_version = current
        self.published_version = published
        self.crisis_lines_to_verify = ()


def healthy_channel(purpose: str, channel_id: int) -> ChannelFacts:
    need = layout.CHANNEL_BY_PURPOSE[purpose]
    audience = need.audience
    everyone: frozenset[str] = frozenset({"view_channel", "send_messages"})
    roles = {"moderation": frozenset({"view_channel", "send_messages"})}
    if audience is layout.Audience.MODERATORS:
        everyone = frozenset()
    elif audience is layout.Audience.PAIR_AIDANTS:
        everyone = frozenset()
        roles["pair_aidant"] = frozenset({"view_channel", "send_messages_in_threads"})
    elif audience is layout.Audience.EVERYONE_READ_ONLY:
        everyone = frozenset({"view_channel"})
    return ChannelFacts(
        channel_id, True, need.default_name, "text", BOT_ALL, everyone, MappingProxyType(roles)
    )


def healthy_snapshot(**changes) -> GuildSnapshot:
    channels = {
        need.purpose: healthy_channel(need.purpose, 100 + i) for i, need in enumerate(layout.CHANNELS)
    }
    roles = {
        "moderation": RoleFacts(201, True, "Modération", 5),
        "pair_aidant": RoleFacts(202, True, "Pair-aidant", 3),
        "membre": RoleFacts(203, True, "Membre", 2),
    }
    channels.update(changes.pop("channels", {}))
    roles.update(changes.pop("roles", {}))
    for purpose in changes.pop("unset_channels", ()):
        del channels[purpose]
    for purpose in changes.pop("unset_roles", ()):
        del roles[purpose]
    return GuildSnapshot(
        guild_id=1,
        channels=MappingProxyType(channels),
        roles=MappingProxyType(roles),
        bot_top_role_position=changes.pop("bot_position", BOT_POSITION),
        bot_top_role_name="Relais",
        bot_guild_permissions=changes.pop("bot_guild", BOT_GUILD),
    )


INVENTORY = Inventory(
    channels=(
        ExistingChannel(300, "discussions", "text", public=True),
        ExistingChannel(301, "equipe", "text", public=False),
        ExistingChannel(302, "vocal", "other", public=True),
        ExistingChannel(303, "entraide", "forum", public=True),
        ExistingChannel(304, "intervisions", "text", public=False),
    ),
    roles=(
        ExistingRole(1, "@everyone", 0, is_default=True),
        ExistingRole(201, "Modération", 5, permissions=frozenset({"kick_members", "ban_members"})),
        ExistingRole(202, "Pair-aidant", 3),
        ExistingRole(203, "Membre", 2),
        ExistingRole(205, "Relais", BOT_POSITION, managed=True),
        ExistingRole(206, "Admins", 12),
        ExistingRole(207, "Pair-aidant·e", 4),
    ),
)


def test_a_healthy_guild_gives_an_empty_plan():
    plan = make_plan(healthy_snapshot(), INVENTORY, charter=Charter("3"))
    assert plan.is_empty
    assert plan.steps == () and plan.fixes == () and plan.manual == ()
    assert plan_actions(plan, {}) == ()


def test_optional_roles_never_chosen_are_not_proposed_but_deleted_ones_are():
    plan = make_plan(healthy_snapshot(unset_roles=["membre"]), INVENTORY)
    assert plan.is_empty
    deleted = make_plan(healthy_snapshot(roles={"confiance": RoleFacts(299, False)}), INVENTORY)
    assert [s.key for s in deleted.steps] == ["role:confiance"]
    assert deleted.steps[0].deleted


def test_missing_channels_offer_fitting_candidates_and_creation():
    snapshot = healthy_snapshot(
        unset_channels=["modlog", "ressources"], channels={"intervisions": ChannelFacts(104, False)}
    )
    plan = make_plan(snapshot, INVENTORY)
    steps = {s.purpose: s for s in plan.steps}
    assert set(steps) == {"modlog", "ressources", "intervisions"}
    # A moderators' channel is never offered a public channel.
    assert [c.id for c in steps["modlog"].candidates] == [301, 304]
    # Forums fit resources; voice channels fit nothing.
    assert {c.id for c in steps["ressources"].candidates} == {300, 301, 303, 304}
    assert steps["intervisions"].deleted and not steps["modlog"].deleted
    # An existing channel named as Relais would name it comes first and is suggested: no duplicate.
    assert steps["intervisions"].candidates[0].id == 304
    assert steps["intervisions"].suggested == "304"
    assert steps["modlog"].suggested == CREATE and steps["modlog"].can_create


def test_role_candidates_are_below_the_bot_ordinary_and_harmless():
    plan = make_plan(healthy_snapshot(unset_roles=["pair_aidant", "moderation"]), INVENTORY)
    steps = {s.purpose: s for s in plan.steps}
    pair = [r.id for r in steps["pair_aidant"].candidates]
    # Not @everyone, not the bot's managed role, not a role above the bot, no moderation powers.
    assert set(pair) == {202, 203, 207}
    assert pair[0] == 207  # named exactly as Relais would name it
    assert steps["pair_aidant"].suggested == "207"
    # The moderation role may carry moderation powers: that is its point.
    assert 201 in [r.id for r in steps["moderation"].candidates]


def test_created_channels_get_the_overwrites_of_their_audience():
    snapshot = healthy_snapshot(unset_channels=["modlog", "ressources", "intervisions", "charte", "accueil"])
    plan = make_plan(snapshot, Inventory((), ()))
    actions = {a.purpose: a for a in plan_actions(plan, {})}
    assert all(isinstance(a, CreateChannel) for a in actions.values())
    modlog = {o.target: o for o in actions["modlog"].overwrites}
    assert modlog[EVERYONE].deny == {"view_channel"}
    assert {"view_channel", "send_messages"} <= modlog["moderation"].allow
    assert set(layout.CHANNEL_BY_PURPOSE["modlog"].bot_permissions) <= modlog[BOT].allow
    members = {o.target: o for o in actions["ressources"].overwrites}
    assert members[EVERYONE].deny == {"view_channel"} and members["membre"].allow == {"view_channel"}
    pairs = {o.target: o for o in actions["intervisions"].overwrites}
    assert pairs[EVERYONE].deny == {"view_channel"} and "view_channel" in pairs["pair_aidant"].allow
    charter = {o.target: o for o in actions["charte"].overwrites}
    assert {"send_messages", "send_messages_in_threads", "add_reactions"} <= charter[EVERYONE].deny
    assert "create_public_threads" in charter[EVERYONE].deny and "view_channel" not in charter[EVERYONE].deny
    assert "send_messages" in charter[BOT].allow
    welcome = {o.target: o for o in actions["accueil"].overwrites}
    assert set(welcome) == {BOT}


def test_without_a_membre_role_members_channels_stay_open():
    snapshot = healthy_snapshot(unset_channels=["ressources"], unset_roles=["membre"])
    (action,) = plan_actions(make_plan(snapshot, INVENTORY), {"channel:ressources": CREATE})
    assert [o.target for o in action.overwrites] == [BOT]


def test_a_role_created_in_the_same_run_gets_into_the_channels():
    snapshot = healthy_snapshot(unset_channels=["modlog"], unset_roles=["moderation"])
    plan = make_plan(snapshot, Inventory((), ()))
    role, channel = plan_actions(plan, {})
    assert role == CreateRole("moderation", "Modération")
    assert "moderation" in {o.target for o in channel.overwrites}
    # Skipped, the role is not created and the channel stays private to the bot.
    (only,) = plan_actions(plan, {"role:moderation": SKIP})
    assert {o.target for o in only.overwrites} == {EVERYONE, BOT}


def test_choices_map_existing_items_and_skip_others():
    snapshot = healthy_snapshot(unset_channels=["modlog", "accueil"], unset_roles=["pair_aidant"])
    plan = make_plan(snapshot, INVENTORY)
    actions = plan_actions(
        plan, {"role:pair_aidant": "202", "channel:modlog": "301", "channel:accueil": SKIP}
    )
    assert actions == (MapRole("pair_aidant", 202, "Pair-aidant"), MapChannel("modlog", 301, "equipe"))
    with pytest.raises(ValueError):
        plan_actions(plan, {"channel:modlog": "300"})  # public: never offered


def test_a_public_mod_log_is_made_private():
    public = ChannelFacts(
        104,
        True,
        "mod-log",
        "text",
        BOT_ALL,
        frozenset({"view_channel", "send_messages"}),
        MappingProxyType({"membre": frozenset({"view_channel"}), "moderation": frozenset({"view_channel"})}),
    )
    plan = make_plan(healthy_snapshot(channels={"modlog": public}), INVENTORY)
    assert not plan.is_empty and plan.steps == ()
    (fix,) = plan.fixes
    assert fix.problem == "public_private" and fix.channel_id == 104
    (action,) = plan_actions(plan, {})
    assert isinstance(action, FixChannel)
    by_target = {o.target: o for o in action.overwrites}
    assert by_target[EVERYONE].deny == {"view_channel"}
    assert by_target["membre"].deny == {"view_channel"}  # its own overwrite let it read
    assert "view_channel" in by_target["moderation"].allow
    assert is_private(action)


def test_a_bot_that_cannot_work_in_a_channel_gets_an_overwrite_for_itself_only():
    blind = healthy_channel("accueil", 107)
    blind = ChannelFacts(
        107, True, "accueil", "text", frozenset({"view_channel"}), blind.everyone, blind.roles
    )
    (fix,) = make_plan(healthy_snapshot(channels={"accueil": blind}), INVENTORY).fixes
    assert fix.problem == "bot_cannot_work"
    assert [o.target for o in fix.overwrites] == [BOT]


def test_what_the_bot_cannot_do_is_left_to_the_admin_with_steps():
    plan = make_plan(healthy_snapshot(roles={"membre": RoleFacts(203, True, "Membre", 12)}), INVENTORY)
    assert plan.is_empty  # nothing the bot can do…
    (manual,) = plan.manual  # …but a step by hand
    assert manual.key == "move_bot_role" and manual.params == {"role": "Membre", "bot_role": "Relais"}


def test_without_manage_roles_nothing_is_created_and_fixes_become_manual():
    public = ChannelFacts(104, True, "mod-log", "text", BOT_ALL, frozenset({"view_channel"}))
    snapshot = healthy_snapshot(
        unset_channels=["signalements"], channels={"modlog": public}, bot_guild=BOT_GUILD - {"manage_roles"}
    )
    plan = make_plan(snapshot, INVENTORY)
    (step,) = plan.steps
    assert isinstance(step, ChannelStep) and not step.can_create and step.suggested == SKIP
    assert plan.fixes == ()
    keys = [m.key for m in plan.manual]
    assert keys == ["bot_permissions", "fix_by_hand"]
    assert plan.manual[0].params["permissions"] == "manage_roles"
    with pytest.raises(ValueError):
        plan_actions(plan, {step.key: CREATE})


def test_the_charter_is_published_once():
    assert make_plan(healthy_snapshot(), INVENTORY, charter=Charter(None)).publish_charter is True
    assert make_plan(healthy_snapshot(), INVENTORY, charter=Charter("2")).publish_charter is True
    current = make_plan(healthy_snapshot(), INVENTORY, charter=Charter("3"))
    assert current.publish_charter is False and current.is_empty
    # The charter capability off: nothing to publish, and nothing asked about its channels.
    off = make_plan(healthy_snapshot(unset_channels=["charte"]), INVENTORY, frozenset({"moderation"}))
    assert off.publish_charter is None and off.is_empty


def test_applying_the_plan_makes_the_next_plan_empty():
    """What « a second run changes nothing » rests on: after the actions, the guild is healthy."""
    snapshot = healthy_snapshot(unset_channels=["modlog", "charte"], unset_roles=["pair_aidant"])
    plan = make_plan(snapshot, INVENTORY)
    actions = plan_actions(plan, {"role:pair_aidant": CREATE})
    channels = dict(snapshot.channels)
    roles = dict(snapshot.roles)
    for i, action in enumerate(actions):
        if isinstance(action, CreateRole):
            roles[action.purpose] = RoleFacts(400 + i, True, action.name, 1)
        elif isinstance(action, CreateChannel):
            channels[action.purpose] = healthy_channel(action.purpose, 500 + i)
    after = healthy_snapshot(channels=channels, roles=roles)
    assert make_plan(after, INVENTORY).is_empty


def test_overwrite_matches_reads_an_existing_overwrite():
    wanted = Overwrite(EVERYONE, allow=frozenset({"send_messages"}), deny=frozenset({"view_channel"}))
    assert overwrite_matches({"send_messages": True, "view_channel": False, "add_reactions": None}, wanted)
    assert not overwrite_matches({"send_messages": True, "view_channel": None}, wanted)
    assert isinstance(make_plan(healthy_snapshot(unset_roles=["moderation"]), INVENTORY).steps[0], RoleStep)


def test_a_channel_chosen_in_this_run_gets_its_fixes_in_the_same_confirmation():
    writable = ChannelFacts(
        310, True, "reglement", "text", BOT_ALL, frozenset({"view_channel", "send_messages"})
    )
    seen_by_members = ChannelFacts(
        311,
        True,
        "equipe",
        "text",
        BOT_ALL,
        frozenset(),
        MappingProxyType({"membre": frozenset({"view_channel"})}),
    )
    inventory = Inventory(
        channels=(
            ExistingChannel(310, "reglement", "text", public=True, facts=writable),
            ExistingChannel(311, "equipe", "text", public=False, facts=seen_by_members),
        ),
        roles=(),
    )
    plan = make_plan(healthy_snapshot(unset_channels=["charte", "modlog", "signalements"]), inventory)
    assert plan.fixes == ()  # nothing configured is wrong…
    actions = plan_actions(
        plan, {"channel:charte": "310", "channel:modlog": "311", "channel:signalements": "311"}
    )
    fixes = {a.channel_id: a for a in actions if isinstance(a, FixChannel)}
    # …but the channels chosen now are fixed now, each once.
    assert set(fixes) == {310, 311}
    charter = {o.target: o for o in fixes[310].overwrites}
    assert "send_messages" in charter[EVERYONE].deny
    modlog = {o.target: o for o in fixes[311].overwrites}
    assert modlog["membre"].deny == {"view_channel"}
    assert "view_channel" in modlog["moderation"].allow


def test_public_members_channels_are_left_to_the_community_and_named_as_the_diagnostic_does():
    # Members' channels open to @everyone while a « Membre » gate exists: the diagnostic warns.
    open_to_all = {"view_channel", "send_messages"}
    channels = {
        purpose: ChannelFacts(
            100 + i,
            True,
            name,
            "text",
            BOT_ALL,
            frozenset(open_to_all),
            MappingProxyType({"membre": frozenset(open_to_all)}),
        )
        for i, (purpose, name) in enumerate([("ressources", "ressources"), ("offres", "offres-emploi")])
    }
    snapshot = healthy_snapshot(channels=channels)
    plan = make_plan(snapshot, INVENTORY, charter=Charter("3"))
    # Gating changes who sees the channel: not fixed by the bot, but not silently « all set » either.
    assert plan.is_empty and plan.fixes == ()
    assert [(m.key, m.params["channel"]) for m in plan.manual] == [
        ("gate_channel", "ressources"),
        ("gate_channel", "offres-emploi"),
    ]
    report = diagnose(snapshot, ExtraFacts(charter=Charter("3")))
    warned = {report.channel_names[f.channel_id] for f in report.warnings if f.key == "channel_not_gated"}
    assert warned == {m.params["channel"] for m in plan.manual}
    # Without the resources and jobs capabilities, their channels are not mentioned.
    assert make_plan(snapshot, INVENTORY, frozenset({"moderation"})).manual == ()


def test_crisis_lines_to_verify_are_left_to_a_person():
    charter = Charter("3")
    charter.crisis_lines_to_verify = ("Télé-Accueil (be)", "3114 (fr)")
    plan = make_plan(healthy_snapshot(), INVENTORY, charter=charter)
    assert plan.is_empty
    assert [(m.key, dict(m.params)) for m in plan.manual] == [("verify_crisis_lines", {"count": "2"})]
    # The charter capability off: its crisis lines are none of this guild's business.
    assert make_plan(healthy_snapshot(), INVENTORY, frozenset({"moderation"}), charter=charter).manual == ()


NOTHING: frozenset[str] = frozenset()
READS = frozenset({"view_channel"})
WRITES = frozenset({"view_channel", "send_messages"})


@pytest.mark.parametrize(
    ("purpose", "everyone", "roles", "diagnosed", "problem", "wanted"),
    [
        # Moderators shut out of their own log.
        ("modlog", NOTHING, {"moderation": NOTHING}, "moderators_cannot_read", "audience_locked_out",
         Overwrite("moderation", allow=frozenset({"view_channel", "send_messages", "read_message_history"}))),
        # Hidden from @everyone and from members too.
        ("ressources", NOTHING, {"membre": NOTHING}, "members_cannot_read", "audience_locked_out",
         Overwrite("membre", allow=READS)),
        ("intervisions", NOTHING, {"pair_aidant": READS}, "pair_aidants_cannot_use", "audience_locked_out",
         Overwrite("pair_aidant", allow=frozenset({"view_channel", "send_messages_in_threads",
                                                   "read_message_history"}))),
        ("accueil", NOTHING, {}, "everyone_cannot_read", "everyone_locked_out",
         Overwrite(EVERYONE, allow=READS)),
        # The charter hidden from everyone: readable again, and still read-only (one overwrite).
        ("charte", NOTHING, {}, "everyone_cannot_read", "everyone_locked_out",
         Overwrite(EVERYONE, allow=READS, deny=frozenset(
             {"send_messages", "send_messages_in_threads", "create_public_threads", "create_private_threads",
              "add_reactions"}))),
        # @everyone may not write in the charter channel, but the « Membre » role may.
        ("charte", READS, {"membre": WRITES}, "channel_not_read_only", "not_read_only",
         Overwrite("membre", deny=frozenset(
             {"send_messages", "send_messages_in_threads", "create_public_threads", "create_private_threads",
              "add_reactions"}))),
    ],
)  # fmt: skip
def test_what_the_diagnostic_finds_wrong_with_a_channel_audience_the_assistant_fixes(
    purpose, everyone, roles, diagnosed, problem, wanted
):
    need = layout.CHANNEL_BY_PURPOSE[purpose]
    facts = ChannelFacts(150, True, need.default_name, "text", BOT_ALL, everyone, MappingProxyType(roles))
    snapshot = healthy_snapshot(channels={purpose: facts})
    report = diagnose(snapshot, ExtraFacts(charter=Charter("3")))
    assert f"{diagnosed}:{purpose}" in {f.identity for f in report.findings}
    plan = make_plan(snapshot, INVENTORY, charter=Charter("3"))
    (fix,) = plan.fixes
    assert fix.problem == problem and not plan.is_empty
    (action,) = plan_actions(plan, {})
    assert isinstance(action, FixChannel) and wanted in action.overwrites
    targets = [o.target for o in action.overwrites]
    assert len(targets) == len(set(targets))  # one overwrite per role: Discord keeps only one


def test_a_channel_the_bot_cannot_see_is_left_to_a_person_not_proposed():
    # Discord refuses any permission change there (Missing Access): proposing it would fail.
    blind = ChannelFacts(
        150, True, "ressources", "text", NOTHING, NOTHING, MappingProxyType({"membre": NOTHING})
    )
    plan = make_plan(healthy_snapshot(channels={"ressources": blind}), INVENTORY, charter=Charter("3"))
    assert plan.fixes == () and plan.is_empty
    assert [(m.key, dict(m.params)) for m in plan.manual] == [
        ("fix_by_hand", {"channel": "ressources", "problem_key": "bot_cannot_see"})
    ]


def test_what_no_overwrite_can_fix_is_left_to_a_person_as_the_diagnostic_reports_it():
    voice = ChannelFacts(150, True, "vocal", "other", BOT_ALL, NOTHING, MappingProxyType({}))
    snapshot = healthy_snapshot(
        channels={"modlog": voice},
        roles={"membre": RoleFacts(203, True, "Membre", 2, managed=True)},
        bot_guild=BOT_GUILD - {"manage_roles", "ban_members"},
    )
    report = diagnose(snapshot, ExtraFacts(charter=Charter("3")))
    assert {f.identity for f in report.errors} == {
        "channel_wrong_kind:modlog",
        "role_managed:membre",
        "bot_cannot_grant_roles:manage_roles",
    }
    assert {f.identity for f in report.warnings} == {"bot_cannot_moderate:guild_permissions"}
    plan = make_plan(snapshot, INVENTORY, charter=Charter("3"))
    # A voice channel's overwrites are not « fixed »: it cannot serve as the mod-log at all.
    assert plan.is_empty and plan.fixes == ()
    assert [(m.key, dict(m.params)) for m in plan.manual] == [
        ("role_managed", {"role": "Membre"}),
        ("guild_permissions", {"bot_role": "Relais", "permissions": "manage_roles,ban_members"}),
        ("wrong_kind", {"channel": "vocal"}),
    ]
