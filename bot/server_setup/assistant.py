"""The setup assistant's plan: what ``/config assistant`` proposes to fix on this guild, and exactly
what it will do once the administrator has chosen.

Pure: no discord.py, no database. ``bot.server_setup.assistant_ui`` builds the inputs from the guild
(the diagnostic's ``GuildSnapshot`` for the configured purposes, an ``Inventory`` of every channel and
role for the candidates), shows one step per missing item, then turns the choices into ``Action``s.

Use::

    plan = make_plan(snapshot, inventory, enabled_capabilities, charter=status_or_None)
    plan.is_empty                   # « Tout est en place »: a second run proposes nothing
    actions = plan_actions(plan, {step.key: CREATE, …})
    overwrites_for(action)          # already in the actions: who may do what in each channel

Overwrite targets are ``EVERYONE``, ``BOT`` or a role purpose (``"moderation"``…): the role only
exists once the actions creating roles have run, so the UI resolves purposes at that moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.guild_config import DANGEROUS_PERMISSIONS, PRIVATE_CHANNEL_PURPOSES
from bot.server_setup import layout
from bot.server_setup.diagnostic import (
    EXPECTED_ROLES,
    MODERATION_BOT_PERMISSIONS,
    ChannelFacts,
    CharterFacts,
    GuildSnapshot,
)
from bot.server_setup.layout import Audience

EVERYONE = "@everyone"
BOT = "@bot"

# A step's answers besides an existing channel or role id.
CREATE = "create"
SKIP = "skip"

READ = frozenset({"view_channel"})
# Writing in a read-only channel: messages, thread replies, new threads and reactions.
WRITE = frozenset(
    {
        "send_messages",
        "send_messages_in_threads",
        "create_public_threads",
        "create_private_threads",
        "add_reactions",
    }
)
# The order permissions are listed in, as Discord's channel settings list them.
PERMISSION_ORDER = (
    "view_channel",
    "manage_channels",
    "manage_roles",
    "send_messages",
    "send_messages_in_threads",
    "create_public_threads",
    "create_private_threads",
    "embed_links",
    "add_reactions",
    "manage_threads",
    "read_message_history",
)
# What the role of a private audience may do there (the diagnostic checks the same).
AUDIENCE_ALLOW = {
    "moderation": frozenset({"view_channel", "send_messages", "read_message_history"}),
    "pair_aidant": frozenset({"view_channel", "send_messages_in_threads", "read_message_history"}),
    "membre": frozenset({"view_channel"}),
}


@dataclass(frozen=True, slots=True)
class ExistingChannel:
    id: int
    name: str
    kind: str  # "text", "forum" or "other" (voice, category…)
    public: bool  # @everyone may view it
    # Who may do what there, as for a configured channel: a channel chosen in this run gets the same
    # fixes as one configured before, in the same confirmation (else the next run would find them).
    facts: ChannelFacts | None = None


@dataclass(frozen=True, slots=True)
class ExistingRole:
    id: int
    name: str
    position: int
    managed: bool = False
    is_default: bool = False  # @everyone
    permissions: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Inventory:
    """Every channel and role of the guild, for the candidates of each step."""

    channels: tuple[ExistingChannel, ...]
    roles: tuple[ExistingRole, ...]


@dataclass(frozen=True, slots=True)
class Overwrite:
    target: str  # EVERYONE, BOT or a role purpose
    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ChannelStep:
    purpose: str
    default_name: str
    candidates: tuple[ExistingChannel, ...]
    can_create: bool
    deleted: bool  # configured, but the channel no longer exists

    @property
    def key(self) -> str:
        return f"channel:{self.purpose}"

    @property
    def suggested(self) -> str:
        """The answer preselected: a channel already named as Relais would name it, else create."""
        for channel in self.candidates:
            if channel.name == self.default_name:
                return str(channel.id)
        return CREATE if self.can_create else SKIP


@dataclass(frozen=True, slots=True)
class RoleStep:
    purpose: str
    default_name: str
    candidates: tuple[ExistingRole, ...]
    can_create: bool
    deleted: bool

    @property
    def key(self) -> str:
        return f"role:{self.purpose}"

    @property
    def suggested(self) -> str:
        for role in self.candidates:
            if role.name == self.default_name:
                return str(role.id)
        return CREATE if self.can_create else SKIP


Step = ChannelStep | RoleStep


@dataclass(frozen=True, slots=True)
class ChannelFix:
    """A configured channel whose permissions contradict its audience: what to change there."""

    purpose: str
    channel_id: int
    name: str
    problem: str  # assistant.problems.<problem>
    overwrites: tuple[Overwrite, ...]
    # Overwrites besides the audience's: roles reading a moderators' channel, @everyone let in…
    extra: tuple[Overwrite, ...] = ()


@dataclass(frozen=True, slots=True)
class ManualStep:
    """What the bot cannot do itself: assistant.manual.<key>, with its fields."""

    key: str
    params: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]
    fixes: tuple[ChannelFix, ...]
    manual: tuple[ManualStep, ...]
    # The charter is not published at its current version (None: the charter capability is off).
    publish_charter: bool | None
    configured_roles: frozenset[str]  # role purposes set and existing before the assistant runs
    bot_role: str = ""  # the bot's highest role: only roles below it can be chosen

    @property
    def is_empty(self) -> bool:
        """Nothing the bot could do: what makes a second run change nothing."""
        return not self.steps and not self.fixes and not self.publish_charter


# -- actions ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateRole:
    purpose: str
    name: str


@dataclass(frozen=True, slots=True)
class MapRole:
    purpose: str
    role_id: int
    name: str


@dataclass(frozen=True, slots=True)
class CreateChannel:
    purpose: str
    name: str
    overwrites: tuple[Overwrite, ...]


@dataclass(frozen=True, slots=True)
class MapChannel:
    purpose: str
    channel_id: int
    name: str


@dataclass(frozen=True, slots=True)
class FixChannel:
    purpose: str
    channel_id: int
    name: str
    overwrites: tuple[Overwrite, ...]


Action = CreateRole | MapRole | CreateChannel | MapChannel | FixChannel


# -- planning ---------------------------------------------------------------------------------------------


def audience_overwrites(need: layout.ChannelNeed, roles: frozenset[str]) -> tuple[Overwrite, ...]:
    """Who may do what in a channel of this need, given the role purposes that will be configured."""
    found: list[Overwrite] = []
    audience = need.audience
    if audience is Audience.MODERATORS:
        found.append(Overwrite(EVERYONE, deny=READ))
        if "moderation" in roles:
            found.append(Overwrite("moderation", allow=AUDIENCE_ALLOW["moderation"]))
    elif audience is Audience.MEMBERS and "membre" in roles:
        found += [Overwrite(EVERYONE, deny=READ), Overwrite("membre", allow=AUDIENCE_ALLOW["membre"])]
    elif audience is Audience.PAIR_AIDANTS:
        found.append(Overwrite(EVERYONE, deny=READ))
        if "pair_aidant" in roles:
            found.append(Overwrite("pair_aidant", allow=AUDIENCE_ALLOW["pair_aidant"]))
    elif audience is Audience.EVERYONE_READ_ONLY:
        found.append(Overwrite(EVERYONE, deny=WRITE))
    bot_allow = frozenset(need.bot_permissions) | (
        {"send_messages"} if audience is Audience.EVERYONE_READ_ONLY else frozenset()
    )
    found.append(Overwrite(BOT, allow=bot_allow))
    return tuple(found)


def make_plan(
    snapshot: GuildSnapshot,
    inventory: Inventory,
    enabled: frozenset[str] = frozenset(layout.CAPABILITIES),
    *,
    charter: CharterFacts | None = None,
) -> Plan:
    """``charter`` None means the charter capability is off: nothing to publish."""
    perms = snapshot.bot_guild_permissions
    can_manage = "manage_roles" in perms and "manage_channels" in perms
    configured_roles = frozenset(p for p, facts in snapshot.roles.items() if facts.exists)
    steps: list[Step] = []
    fixes: list[ChannelFix] = []
    blind: list[ManualStep] = []  # channels to fix that the bot cannot see
    for need in layout.ROLES:
        if need.capability not in enabled:
            continue
        facts = snapshot.roles.get(need.purpose)
        if facts is None and need.purpose not in EXPECTED_ROLES:
            continue  # optional and never chosen: nothing is missing
        if facts is None or not facts.exists:
            steps.append(
                RoleStep(
                    need.purpose,
                    need.default_name,
                    _role_candidates(need, inventory, snapshot.bot_top_role_position),
                    can_create="manage_roles" in perms,
                    deleted=facts is not None,
                )
            )
    for need in layout.CHANNELS:
        if need.capability not in enabled:
            continue
        facts = snapshot.channels.get(need.purpose)
        if facts is None or not facts.exists:
            steps.append(
                ChannelStep(
                    need.purpose,
                    need.default_name,
                    _channel_candidates(need, inventory),
                    can_create=can_manage,
                    deleted=facts is not None,
                )
            )
            continue
        if facts.kind not in ("text", "forum") or (facts.kind == "forum" and not need.forum_allowed):
            # A voice channel or a category cannot serve, whatever its permissions: another one must be
            # chosen (the diagnostic's ❌), which is /config salon's job, not a fix of its overwrites.
            blind.append(ManualStep("wrong_kind", {"channel": facts.name}))
            continue
        fix = _channel_fix(need, facts, configured_roles)
        if fix is not None and "view_channel" not in facts.bot:
            # Discord refuses any permission change in a channel the bot cannot see (Missing Access):
            # proposing it would fail at confirmation. A person lets the bot in, the next run does the rest.
            if all(m.params["channel"] != facts.name for m in blind):
                blind.append(
                    ManualStep("fix_by_hand", {"channel": facts.name, "problem_key": "bot_cannot_see"})
                )
            continue
        # Two purposes may share a channel (the mod-log often holds the job queue too): fix it once.
        if fix is not None and all(f.channel_id != fix.channel_id for f in fixes):
            fixes.append(fix)
    manual = _manual_steps(
        snapshot, enabled, needs_management=bool(fixes) or any(s.can_create for s in steps), charter=charter
    )
    manual += tuple(blind)
    if not can_manage:
        # Without these permissions the bot must not propose a fix it cannot apply.
        manual += tuple(
            ManualStep("fix_by_hand", {"channel": fix.name, "problem_key": fix.problem}) for fix in fixes
        )
        fixes = []
    publish = None
    if charter is not None and "charter" in enabled:
        publish = charter.published_version != charter.current_version
    return Plan(tuple(steps), tuple(fixes), manual, publish, configured_roles, snapshot.bot_top_role_name)


def _channel_candidates(need: layout.ChannelNeed, inventory: Inventory) -> tuple[ExistingChannel, ...]:
    kinds = {"text", "forum"} if need.forum_allowed else {"text"}
    found = [
        c
        for c in inventory.channels
        if c.kind in kinds and not (need.audience is Audience.MODERATORS and c.public)
    ]
    # The one Relais would create first, then by name: the list is cut at Discord's 25 options.
    return tuple(sorted(found, key=lambda c: (c.name != need.default_name, c.name.lower(), c.id)))


def _role_candidates(
    need: layout.RoleNeed, inventory: Inventory, bot_position: int
) -> tuple[ExistingRole, ...]:
    found = []
    for role in inventory.roles:
        if role.is_default or role.managed or role.position >= bot_position:
            continue  # /config role refuses these too: the bot could not hand them out
        if need.purpose != "moderation" and any(p in role.permissions for p in DANGEROUS_PERMISSIONS):
            continue
        found.append(role)
    return tuple(sorted(found, key=lambda r: (r.name != need.default_name, -r.position, r.id)))


def _reads(perms: frozenset[str]) -> bool:
    return "view_channel" in perms


def _channel_fix(need: layout.ChannelNeed, facts: ChannelFacts, roles: frozenset[str]) -> ChannelFix | None:
    """The overwrites to set on a configured channel, or None when it already fits its audience.

    What the diagnostic calls wrong with the channel's audience is fixed here, so the two agree: a
    private channel others can read, a read-only one where people write, the people it is for unable
    to read it, the bot unable to work there. Gating a public members' channel behind ``membre``
    changes who sees it, so that stays the community's decision (the diagnostic warns, the assistant
    lists it by hand).
    """
    problem = None
    extra: list[Overwrite] = []
    everyone, audience = facts.everyone, need.audience
    if audience is Audience.MODERATORS:
        readers = [r for r in ("membre", "pair_aidant") if r in facts.roles and _reads(facts.roles[r])]
        if _reads(everyone) or readers:
            problem = "public_private"
            extra = [Overwrite(r, deny=READ) for r in readers]
        elif "moderation" in facts.roles and not _reads(facts.roles["moderation"]):
            problem = "audience_locked_out"
    elif audience is Audience.MEMBERS:
        if "membre" in facts.roles and not _reads(everyone) and not _reads(facts.roles["membre"]):
            problem = "audience_locked_out"
    elif audience is Audience.PAIR_AIDANTS:
        pairs = facts.roles.get("pair_aidant")
        if _reads(everyone):
            problem = "public_private"
        elif pairs is not None and (not _reads(pairs) or "send_messages_in_threads" not in pairs):
            problem = "audience_locked_out"
    elif audience in (Audience.EVERYONE_READ_ONLY, Audience.EVERYONE) and not _reads(everyone):
        problem = "everyone_locked_out"
        extra = [Overwrite(EVERYONE, allow=READ)]
    elif audience is Audience.EVERYONE_READ_ONLY:
        membre_writes = "membre" in facts.roles and _writes(facts.roles["membre"])
        if _writes(everyone) or membre_writes:
            problem = "not_read_only"
            extra = [Overwrite("membre", deny=WRITE)] if membre_writes else []
    if problem is None and any(p not in facts.bot for p in need.bot_permissions):
        bot_only = (Overwrite(BOT, allow=frozenset(need.bot_permissions)),)
        return ChannelFix(need.purpose, facts.channel_id, facts.name, "bot_cannot_work", bot_only)
    if problem is None:
        return None
    return ChannelFix(
        need.purpose,
        facts.channel_id,
        facts.name,
        problem,
        _fix_overwrites(need, roles, tuple(extra)),
        tuple(extra),
    )


def _writes(perms: frozenset[str]) -> bool:
    return _reads(perms) and "send_messages" in perms


def _fix_overwrites(
    need: layout.ChannelNeed, roles: frozenset[str], extra: tuple[Overwrite, ...]
) -> tuple[Overwrite, ...]:
    """The audience's overwrites with the fix's own, one overwrite per target (Discord keeps one)."""
    merged: dict[str, Overwrite] = {}
    for o in (*audience_overwrites(need, roles), *extra):
        known = merged.get(o.target)
        merged[o.target] = (
            o if known is None else Overwrite(o.target, known.allow | o.allow, known.deny | o.deny)
        )
    return tuple(merged.values())


def _manual_steps(
    snapshot: GuildSnapshot,
    enabled: frozenset[str],
    *,
    needs_management: bool,
    charter: CharterFacts | None = None,
) -> tuple[ManualStep, ...]:
    """What stays for a person after the assistant: every ⚠️ or ❌ of the diagnostic the bot will not
    fix itself is named here, so « Tout est en place » never contradicts /config diagnostic."""
    found: list[ManualStep] = []
    bot_role = snapshot.bot_top_role_name
    for need in layout.ROLES:
        facts = snapshot.roles.get(need.purpose)
        if not need.granted_by_bot or need.capability not in enabled or facts is None or not facts.exists:
            continue
        if facts.managed:
            found.append(ManualStep("role_managed", {"role": facts.name}))
        elif facts.position >= snapshot.bot_top_role_position:
            found.append(ManualStep("move_bot_role", {"role": facts.name, "bot_role": bot_role}))
    perms = snapshot.bot_guild_permissions
    missing = [p for p in ("manage_channels", "manage_roles") if p not in perms]
    if missing and needs_management:
        found.append(ManualStep("bot_permissions", {"bot_role": bot_role, "permissions": ",".join(missing)}))
    else:
        missing = []
    # Guild permissions the diagnostic asks for (handing out roles, sanctions), unless just named above.
    wanted: list[str] = []
    if any(
        n.granted_by_bot and n.capability in enabled and n.purpose in snapshot.roles for n in layout.ROLES
    ):
        wanted.append("manage_roles")
    if "moderation" in enabled:
        wanted += MODERATION_BOT_PERMISSIONS
    lacking = [p for p in wanted if p not in perms and p not in missing]
    if lacking:
        found.append(
            ManualStep("guild_permissions", {"bot_role": bot_role, "permissions": ",".join(lacking)})
        )
    for need in layout.CHANNELS:
        facts = snapshot.channels.get(need.purpose)
        if need.capability not in enabled or facts is None or not facts.exists:
            continue
        # Gating a public members' channel changes who sees it: the community decides (see _channel_fix).
        if need.audience is Audience.MEMBERS and "membre" in facts.roles and _reads(facts.everyone):
            found.append(ManualStep("gate_channel", {"channel": facts.name}))
    if charter is not None and "charter" in enabled and charter.crisis_lines_to_verify:
        # Checked on each line's own site, then in the deployment's files: not something a bot can do.
        found.append(ManualStep("verify_crisis_lines", {"count": str(len(charter.crisis_lines_to_verify))}))
    return tuple(found)


# -- from choices to actions -------------------------------------------------------------------------------


def plan_actions(plan: Plan, choices: Mapping[str, str]) -> tuple[Action, ...]:
    """What will be done, in order: roles first (channels' overwrites name them), then channels, then
    fixes. ``choices`` maps a step's key to CREATE, SKIP or an existing id; a step left out takes its
    suggestion. An answer the step does not offer is a bug in the caller: ValueError."""
    roles_after = set(plan.configured_roles)
    role_actions: list[Action] = []
    channel_actions: list[Action] = []
    chosen_fixes: list[ChannelFix] = []
    for step in plan.steps:
        answer = choices.get(step.key, step.suggested)
        if answer == SKIP:
            continue
        if answer == CREATE:
            if not step.can_create:
                raise ValueError(f"{step.key}: creating is not offered")
            if isinstance(step, RoleStep):
                role_actions.append(CreateRole(step.purpose, step.default_name))
                roles_after.add(step.purpose)
            else:
                channel_actions.append(CreateChannel(step.purpose, step.default_name, ()))
            continue
        chosen = _candidate(step, answer)
        if isinstance(chosen, ExistingRole):
            role_actions.append(MapRole(step.purpose, chosen.id, chosen.name))
            roles_after.add(step.purpose)
        else:
            channel_actions.append(MapChannel(step.purpose, chosen.id, chosen.name))
            if chosen.facts is not None:
                fix = _channel_fix(layout.CHANNEL_BY_PURPOSE[step.purpose], chosen.facts, frozenset())
                if fix is not None:
                    chosen_fixes.append(fix)
    roles = frozenset(roles_after)
    # Overwrites are known only now: a channel created for members is gated if ``membre`` will exist.
    channel_actions = [
        CreateChannel(a.purpose, a.name, audience_overwrites(layout.CHANNEL_BY_PURPOSE[a.purpose], roles))
        if isinstance(a, CreateChannel)
        else a
        for a in channel_actions
    ]
    # A moderation role chosen in this run is let into the mod-log being made private.
    fixes = [
        FixChannel(
            f.purpose,
            f.channel_id,
            f.name,
            f.overwrites
            if f.problem == "bot_cannot_work"
            else _fix_overwrites(layout.CHANNEL_BY_PURPOSE[f.purpose], roles, f.extra),
        )
        for f in _once_per_channel([*plan.fixes, *chosen_fixes])
    ]
    return (*role_actions, *channel_actions, *fixes)


def _once_per_channel(fixes: list[ChannelFix]) -> list[ChannelFix]:
    seen: set[int] = set()
    kept = []
    for fix in fixes:
        if fix.channel_id not in seen:
            seen.add(fix.channel_id)
            kept.append(fix)
    return kept


def _candidate(step: Step, answer: str) -> ExistingChannel | ExistingRole:
    for candidate in step.candidates:
        if str(candidate.id) == answer:
            return candidate
    raise ValueError(f"{step.key}: {answer!r} is not a candidate")


def ordered(permissions: frozenset[str]) -> list[str]:
    rank = {p: i for i, p in enumerate(PERMISSION_ORDER)}
    return sorted(permissions, key=lambda p: (rank.get(p, len(rank)), p))


def overwrite_matches(current: Mapping[str, bool | None], wanted: Overwrite) -> bool:
    """True when an existing overwrite (permission → True/False/None) already says what ``wanted`` says."""
    return all(current.get(p) is True for p in wanted.allow) and all(
        current.get(p) is False for p in wanted.deny
    )


def is_private(action: Action) -> bool:
    """Reveals moderators' information: re-checked at confirmation like /config salon and /config role."""
    return action.purpose in PRIVATE_CHANNEL_PURPOSES or action.purpose == "moderation"
