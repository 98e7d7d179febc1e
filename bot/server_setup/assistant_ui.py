"""``/config assistant`` on Discord: one ephemeral step per missing channel or role, a confirmation
listing exactly what will be done, then the work itself and a summary.

The plan comes from ``bot.server_setup.assistant`` (pure). Here: reading the guild into its inputs,
the views (only the person who opened the assistant may use them), and applying the actions. The
guild is read again when « Confirmer » is clicked, and every action looks at what exists before
acting and records the mapping right after, so a second click or a crash half-way never creates
a duplicate: the next run finds what the first one made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import discord

from bot.core import guild_config
from bot.core.db import Database
from bot.core.errors import NotAllowed, UserError
from bot.core.i18n import Translate
from bot.server_setup import assistant, layout
from bot.server_setup.assistant import (
    BOT,
    CREATE,
    EVERYONE,
    SKIP,
    Action,
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
    Plan,
    Step,
)
from bot.server_setup.diagnostic import AUDIENCE_ROLES, ChannelFacts, GuildSnapshot
from bot.server_setup.ui import allowed, channel_kind, snapshot_from_guild
from bot.ui.base import NO_PINGS, RelaisView, send_ephemeral
from bot.ui.checks import (
    check_channel_grant,
    check_channel_postable,
    check_role_assignable,
    check_role_grant,
    require_moderation_powers,
)
from bot.ui.limits import fit_content, fit_embed

log = logging.getLogger(__name__)

MAX_OPTIONS = 25  # Discord's limit for one select menu
VIEW_TIMEOUT = 900  # the interaction token lasts 15 minutes: the ephemeral message is dead after


class Charter(Protocol):
    """What the assistant needs of ``bot.services.CharterService`` (passed in by the cog)."""

    async def status(self, guild_id: int) -> Any: ...
    async def publish(self, guild: discord.Guild) -> discord.Message: ...


# -- reading the guild ------------------------------------------------------------------------------------


def inventory_from_guild(guild: discord.Guild, config: guild_config.GuildConfig) -> Inventory:
    everyone = guild.default_role
    audience_roles = {
        purpose: role
        for purpose in AUDIENCE_ROLES
        if (role := guild.get_role(config.role(purpose) or 0)) is not None
    }
    channels = []
    for channel in guild.channels:
        if isinstance(channel, discord.CategoryChannel):
            continue
        kind = channel_kind(channel)
        # What the diagnostic's snapshot says of a configured channel, for every one that could be chosen.
        facts = ChannelFacts(
            channel.id,
            True,
            channel.name,
            kind,
            allowed(channel.permissions_for(guild.me)),
            allowed(channel.permissions_for(everyone)),
            {purpose: allowed(channel.permissions_for(role)) for purpose, role in audience_roles.items()},
        )
        public = channel.permissions_for(everyone).view_channel
        channels.append(
            ExistingChannel(channel.id, channel.name, kind, public, facts if kind != "other" else None)
        )
    roles = tuple(
        ExistingRole(r.id, r.name, r.position, r.managed, r.is_default(), allowed(r.permissions))
        for r in guild.roles
    )
    return Inventory(tuple(channels), roles)


@dataclass(frozen=True, slots=True)
class Context:
    """What the cog hands over: the database, the charter service (None: capability off), the
    enabled capabilities and the texts in the caller's language."""

    db: Database
    charter: Charter | None
    enabled: frozenset[str]
    t: Translate
    # Called once the assistant changed the guild (the diagnostic's mod-log summary follows it).
    on_changed: Callable[[discord.Guild], None] | None = None


async def read_plan(guild: discord.Guild, ctx: Context) -> tuple[Plan, GuildSnapshot]:
    config = await guild_config.get(ctx.db, guild.id)
    snapshot = snapshot_from_guild(guild, config)
    status = await ctx.charter.status(guild.id) if ctx.charter is not None else None
    plan = assistant.make_plan(snapshot, inventory_from_guild(guild, config), ctx.enabled, charter=status)
    return plan, snapshot


# -- rendering --------------------------------------------------------------------------------------------


def _purpose(t: Translate, purpose: str) -> str:
    return t(f"core.config.purposes.{purpose}")


def _target_label(
    t: Translate, target: str, guild: discord.Guild, config: guild_config.GuildConfig, planned: dict[str, str]
) -> str:
    if target == EVERYONE:
        return "@everyone"
    if target == BOT:
        return t("assistant.overwrite.bot", bot=guild.me.display_name)
    if target in planned:
        return planned[target]
    role = guild.get_role(config.role(target) or 0)
    return role.name if role is not None else _purpose(t, target)


def render_overwrites(
    t: Translate,
    overwrites: Sequence[Overwrite],
    guild: discord.Guild,
    config: guild_config.GuildConfig,
    planned: dict[str, str],
) -> str:
    parts = []
    for o in overwrites:
        changes = [
            t("assistant.overwrite.allow", permission=t(f"assistant.permissions.{p}"))
            for p in assistant.ordered(o.allow)
        ]
        changes += [
            t("assistant.overwrite.deny", permission=t(f"assistant.permissions.{p}"))
            for p in assistant.ordered(o.deny)
        ]
        parts.append(
            t(
                "assistant.overwrite.line",
                target=_target_label(t, o.target, guild, config, planned),
                changes=", ".join(changes),
            )
        )
    return "\n".join(parts)


def render_manual(t: Translate, plan: Plan) -> list[str]:
    if not plan.manual:
        return []
    lines = [t("assistant.manual.title")]
    for step in plan.manual:
        params = dict(step.params)
        if "permissions" in params:
            params["permissions"] = ", ".join(
                t("assistant.quoted", text=t(f"assistant.permissions.{p}"))
                for p in params["permissions"].split(",")
            )
        if "problem_key" in params:
            params["problem"] = t(f"assistant.problems.{params.pop('problem_key')}")
        lines.append(t(f"assistant.manual.{step.key}", **params))
    return lines


def render_all_set(ctx: Context, plan: Plan) -> str:
    t = ctx.t
    manual = render_manual(t, plan)
    # With something left by hand, « all set » speaks only of what the bot could do.
    lines = [t("assistant.all_set_but_manual" if manual else "assistant.all_set")]
    if ctx.charter is None:
        lines.append(t("assistant.charter_disabled"))
    lines += manual
    return fit_content("\n".join(lines))


def render_confirmation(
    t: Translate,
    plan: Plan,
    actions: Sequence[Action],
    guild: discord.Guild,
    config: guild_config.GuildConfig,
) -> tuple[str, discord.Embed | None]:
    """The message's text (what to click, what stays by hand) and the list of exactly what will be
    done, in an embed: with every overwrite spelled out it can pass the 2,000 characters of a text."""
    publish = bool(plan.publish_charter)
    manual = render_manual(t, plan)
    if not actions and not publish:
        return fit_content("\n".join([t("assistant.confirm.nothing"), *manual])), None
    # Roles chosen in this run are named as they will be, though the configuration does not say so yet.
    planned = {a.purpose: a.name for a in actions if isinstance(a, CreateRole | MapRole)}
    lines = []
    for action in actions:
        purpose = _purpose(t, action.purpose)
        if isinstance(action, CreateRole):
            lines.append(t("assistant.confirm.create_role", name=action.name, purpose=purpose))
        elif isinstance(action, MapRole):
            lines.append(t("assistant.confirm.map_role", name=action.name, purpose=purpose))
        elif isinstance(action, CreateChannel):
            lines.append(t("assistant.confirm.create_channel", name=action.name, purpose=purpose))
            lines.append(render_overwrites(t, action.overwrites, guild, config, planned))
        elif isinstance(action, MapChannel):
            channel = f"<#{action.channel_id}>"
            lines.append(t("assistant.confirm.map_channel", channel=channel, purpose=purpose))
        else:
            channel = f"<#{action.channel_id}>"
            lines.append(t("assistant.confirm.fix_channel", channel=channel, purpose=purpose))
            lines.append(render_overwrites(t, action.overwrites, guild, config, planned))
    if publish:
        lines.append(t("assistant.confirm.publish"))
    embed = fit_embed(discord.Embed(title=t("assistant.confirm.title"), description="\n".join(lines)))
    return fit_content("\n".join([t("assistant.confirm.footer"), *manual])), embed


# -- the views --------------------------------------------------------------------------------------------


class OwnerView(RelaisView):
    """Answers only the person who opened the assistant; anyone else is told so."""

    def __init__(self, owner_id: int) -> None:
        super().__init__(timeout=VIEW_TIMEOUT)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        await super().interaction_check(interaction)
        if interaction.user.id != self.owner_id:
            raise NotAllowed("assistant.not_yours")
        return True


def _require_manage_guild(interaction: discord.Interaction) -> None:
    member = interaction.user
    if not isinstance(member, discord.Member) or not member.guild_permissions.manage_guild:
        raise NotAllowed("core.errors.not_allowed")


class Session:
    """One run of the assistant: the plan, the answers given so far, who runs it."""

    def __init__(self, plan: Plan, ctx: Context, owner_id: int) -> None:
        self.plan = plan
        self.ctx = ctx
        self.owner_id = owner_id
        self.answers: dict[str, str] = {}
        self.applied = False

    def step_view(self, index: int) -> StepView:
        return StepView(self, index)

    def step_content(self, index: int) -> str:
        t = self.ctx.t
        step = self.plan.steps[index]
        purpose = _purpose(t, step.purpose)
        kind = "channel" if isinstance(step, ChannelStep) else "role"
        state = "deleted" if step.deleted else "unset"
        lines = []
        if index == 0:
            lines.append(t("assistant.intro", count=len(self.plan.steps)))
        lines.append(t("assistant.step.title", number=index + 1, total=len(self.plan.steps), purpose=purpose))
        lines.append(t(f"assistant.step.{kind}_{state}", purpose=purpose))
        if isinstance(step, ChannelStep):
            audience = layout.CHANNEL_BY_PURPOSE[step.purpose].audience.value
            lines.append(t(f"assistant.audience.{audience}"))
        if not step.candidates and not step.can_create:
            lines.append(t("assistant.step.none_fits"))
        else:
            lines.append(t(f"assistant.step.choose_{kind}", bot_role=self.plan.bot_role))
            if len(step.candidates) + step.can_create > MAX_OPTIONS:
                lines.append(t(f"assistant.step.more_{kind}"))
        return fit_content("\n".join(lines))

    async def show_confirmation(self, interaction: discord.Interaction) -> None:
        config = await guild_config.get(self.ctx.db, interaction.guild_id)
        actions = assistant.plan_actions(self.plan, self.answers)
        content, embed = render_confirmation(self.ctx.t, self.plan, actions, interaction.guild, config)
        view = ConfirmationView(self) if embed is not None else None
        await interaction.response.edit_message(
            content=content, embed=embed, view=view, allowed_mentions=NO_PINGS
        )

    async def cancel(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(
            content=self.ctx.t("assistant.cancelled"), embed=None, view=None
        )


def _options(t: Translate, step: Step, selected: str) -> list[discord.SelectOption]:
    options = []
    if step.can_create:
        key = "create_channel" if isinstance(step, ChannelStep) else "create_role"
        options.append(
            discord.SelectOption(
                label=t(f"assistant.option.{key}", name=step.default_name)[:100],
                value=CREATE,
                description=t(f"assistant.option.{key}_hint")[:100],
                default=selected == CREATE,
            )
        )
    for candidate in step.candidates[: MAX_OPTIONS - len(options)]:
        label = f"#{candidate.name}" if isinstance(step, ChannelStep) else candidate.name
        options.append(
            discord.SelectOption(
                label=label[:100], value=str(candidate.id), default=selected == str(candidate.id)
            )
        )
    return options


class StepView(OwnerView):
    def __init__(self, session: Session, index: int) -> None:
        super().__init__(session.owner_id)
        self.session = session
        self.index = index
        step = session.plan.steps[index]
        t = session.ctx.t
        self.step = step
        selected = session.answers.get(step.key, step.suggested)
        session.answers[step.key] = selected
        options = _options(t, step, selected)
        if options:
            select: discord.ui.Select[Any] = discord.ui.Select(
                custom_id="relais:assistant:pick",
                placeholder=t("assistant.placeholder")[:150],
                options=options,
            )
            select.callback = self._picked  # type: ignore[method-assign]
            self.add_item(select)
        self._button(
            t("assistant.buttons.skip"), "relais:assistant:skip", discord.ButtonStyle.secondary, self._skip
        )
        if options:
            self._button(
                t("assistant.buttons.next"), "relais:assistant:next", discord.ButtonStyle.primary, self._next
            )
        self._button(
            t("assistant.buttons.cancel"), "relais:assistant:cancel", discord.ButtonStyle.danger, self._cancel
        )

    def _button(self, label: str, custom_id: str, style: discord.ButtonStyle, callback) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(label=label[:80], custom_id=custom_id, style=style)
        button.callback = callback  # type: ignore[method-assign]
        self.add_item(button)

    async def _picked(self, interaction: discord.Interaction) -> None:
        value = interaction.data.get("values", [SKIP])[0]
        self.session.answers[self.step.key] = value
        for item in self.children:
            if isinstance(item, discord.ui.Select):
                for option in item.options:
                    option.default = option.value == value
        await interaction.response.edit_message(view=self)

    async def _skip(self, interaction: discord.Interaction) -> None:
        self.session.answers[self.step.key] = SKIP
        await self._advance(interaction)

    async def _next(self, interaction: discord.Interaction) -> None:
        await self._advance(interaction)

    async def _cancel(self, interaction: discord.Interaction) -> None:
        self.stop()
        await self.session.cancel(interaction)

    async def _advance(self, interaction: discord.Interaction) -> None:
        self.stop()
        following = self.index + 1
        if following < len(self.session.plan.steps):
            await interaction.response.edit_message(
                content=self.session.step_content(following),
                view=self.session.step_view(following),
                allowed_mentions=NO_PINGS,
            )
        else:
            await self.session.show_confirmation(interaction)


class ConfirmationView(OwnerView):
    def __init__(self, session: Session) -> None:
        super().__init__(session.owner_id)
        self.session = session
        t = session.ctx.t
        confirm: discord.ui.Button[Any] = discord.ui.Button(
            label=t("assistant.buttons.confirm")[:80],
            custom_id="relais:assistant:confirm",
            style=discord.ButtonStyle.success,
        )
        confirm.callback = self._confirm  # type: ignore[method-assign]
        cancel: discord.ui.Button[Any] = discord.ui.Button(
            label=t("assistant.buttons.cancel")[:80],
            custom_id="relais:assistant:cancel",
            style=discord.ButtonStyle.secondary,
        )
        cancel.callback = self._cancel  # type: ignore[method-assign]
        self.add_item(confirm)
        self.add_item(cancel)

    async def _cancel(self, interaction: discord.Interaction) -> None:
        self.stop()
        await self.session.cancel(interaction)

    async def _confirm(self, interaction: discord.Interaction) -> None:
        session = self.session
        # Claimed before the first await: discord.py runs each click in its own task, so a double
        # click would otherwise run the whole work twice.
        if session.applied:
            await send_ephemeral(interaction, session.ctx.t("assistant.already_applied"))
            return
        session.applied = True
        guild = interaction.guild
        assert guild is not None
        try:
            actions, plan = await self._checked_actions(interaction, guild)
        except BaseException:
            session.applied = False  # refused: the person may fix it and click again
            raise
        self.stop()
        await interaction.response.edit_message(
            content=session.ctx.t("assistant.working"), embed=None, view=None
        )
        lines = await apply_actions(guild, actions, session.ctx, interaction.user)
        if plan.publish_charter and session.plan.publish_charter:
            lines.append(await publish_charter(guild, session.ctx))
        elif session.ctx.charter is None:
            lines.append(session.ctx.t("assistant.charter_disabled"))
        if session.ctx.on_changed is not None:
            session.ctx.on_changed(guild)
        after, _ = await read_plan(guild, session.ctx)
        lines += render_manual(session.ctx.t, after)
        if after.steps or after.fixes:
            lines.append(session.ctx.t("assistant.done.run_again"))
        await send_ephemeral(interaction, fit_content("\n".join(lines)))

    async def _checked_actions(
        self, interaction: discord.Interaction, guild: discord.Guild
    ) -> tuple[Sequence[Action], Plan]:
        """The actions to run now, after the same checks as /config for the person who clicked."""
        session = self.session
        _require_manage_guild(interaction)
        # Re-read the guild now: the answers were given minutes ago, things may have changed since.
        plan, _ = await read_plan(guild, session.ctx)
        if not _within(plan, session.plan):
            # Something new is missing or wrong: it was not in the list the person confirmed.
            raise UserError("assistant.changed_meanwhile")
        answers = {k: v for k, v in session.answers.items() if any(s.key == k for s in plan.steps)}
        try:
            actions = assistant.plan_actions(plan, answers)
        except ValueError:
            # A candidate chosen earlier is gone or no longer fits: ask again from the start.
            raise UserError("assistant.changed_meanwhile") from None
        check_actions(interaction, actions)
        return actions, plan


def _within(now: Plan, shown: Plan) -> bool:
    """Nothing in ``now`` that the confirmation did not list (things fixed meanwhile may be gone)."""
    return {s.key for s in now.steps} <= {s.key for s in shown.steps} and {
        f.channel_id for f in now.fixes
    } <= {f.channel_id for f in shown.fixes}


# -- checks and actions -----------------------------------------------------------------------------------


def check_actions(interaction: discord.Interaction, actions: Sequence[Action]) -> None:
    """The same refusals as /config salon and /config role, for the person who clicks, now."""
    guild = interaction.guild
    caller = interaction.user
    assert guild is not None and isinstance(caller, discord.Member)
    me = guild.me
    # A channel whose overwrites the bot is about to fix need not be postable yet.
    fixed = {a.channel_id for a in actions if isinstance(a, FixChannel)}
    for action in actions:
        if isinstance(action, MapChannel):
            channel = guild.get_channel(action.channel_id)
            if channel is None:
                raise UserError("assistant.changed_meanwhile")
            if action.channel_id not in fixed:
                check_channel_postable(channel, me)
            check_channel_grant(caller, channel, action.purpose)
        elif isinstance(action, MapRole):
            role = guild.get_role(action.role_id)
            if role is None:
                raise UserError("assistant.changed_meanwhile")
            check_role_assignable(role, me)
            check_role_grant(caller, role, action.purpose)
        elif assistant.is_private(action):
            key = (
                "core.config.moderation_role_needs_powers"
                if isinstance(action, CreateRole)
                else ("core.config.private_channel_needs_powers")
            )
            require_moderation_powers(caller, key)


def _resolve(guild: discord.Guild, config: guild_config.GuildConfig, target: str):
    if target == EVERYONE:
        return guild.default_role
    if target == BOT:
        return guild.me
    return guild.get_role(config.role(target) or 0)


def _changes(overwrite: Overwrite) -> dict[str, bool]:
    return {**{p: True for p in overwrite.allow}, **{p: False for p in overwrite.deny}}


def _current(overwrite: discord.PermissionOverwrite, wanted: Overwrite) -> dict[str, bool | None]:
    # By attribute, not by iterating: iteration names ``view_channel`` ``read_messages``.
    return {p: getattr(overwrite, p) for p in wanted.allow | wanted.deny}


def _bot_first(overwrites: Sequence[Overwrite]) -> list[Overwrite]:
    # The bot's own overwrite goes first: once @everyone loses « view », so would the bot.
    return sorted(overwrites, key=lambda o: o.target != BOT)


def _matches(channel: discord.abc.GuildChannel, guild, config, overwrites: Sequence[Overwrite]) -> bool:
    for wanted in overwrites:
        target = _resolve(guild, config, wanted.target)
        if target is None:
            continue
        if not assistant.overwrite_matches(_current(channel.overwrites_for(target), wanted), wanted):
            return False
    return True


async def apply_actions(
    guild: discord.Guild, actions: Sequence[Action], ctx: Context, user: discord.abc.User
) -> list[str]:
    t = ctx.t
    reason = t("assistant.reason", user=user.name)[:512]
    lines = [t("assistant.done.title")]
    for action in actions:
        purpose = _purpose(t, action.purpose)
        try:
            lines.append(await _apply(guild, action, ctx, reason, purpose))
        except discord.HTTPException as error:
            log.warning("assistant: %s failed in guild %s: %s", action, guild.id, error)
            lines.append(
                t("assistant.done.failed", purpose=purpose, error=str(error.text or error.status)[:200])
            )
    log.info("assistant: %d action(s) in guild %s by %s", len(actions), guild.id, user.id)
    return lines


async def _apply(guild: discord.Guild, action: Action, ctx: Context, reason: str, purpose: str) -> str:
    t, db = ctx.t, ctx.db
    config = await guild_config.get(db, guild.id)
    if isinstance(action, CreateRole):
        if guild.get_role(config.role(action.purpose) or 0) is not None:
            return t("assistant.done.already", purpose=purpose)
        role = _same_role(guild, action.name)
        if role is None:
            role = await guild.create_role(
                name=action.name, permissions=discord.Permissions.none(), reason=reason
            )
        await guild_config.set_role(db, guild.id, action.purpose, role.id)
        key = "created_moderation_role" if action.purpose == "moderation" else "created_role"
        return t(f"assistant.done.{key}", role=role.mention, purpose=purpose)
    if isinstance(action, MapRole):
        await guild_config.set_role(db, guild.id, action.purpose, action.role_id)
        return t("assistant.done.mapped_role", role=f"<@&{action.role_id}>", purpose=purpose)
    if isinstance(action, CreateChannel):
        if guild.get_channel(config.channel(action.purpose) or 0) is not None:
            return t("assistant.done.already", purpose=purpose)
        channel = discord.utils.get(guild.text_channels, name=action.name)
        if channel is None or not _matches(channel, guild, config, action.overwrites):
            overwrites = {}
            for o in _bot_first(action.overwrites):
                target = _resolve(guild, config, o.target)
                if target is not None:
                    overwrites[target] = discord.PermissionOverwrite(**_changes(o))
            channel = await guild.create_text_channel(action.name, overwrites=overwrites, reason=reason)
        await guild_config.set_channel(db, guild.id, action.purpose, channel.id)
        return t("assistant.done.created_channel", channel=channel.mention, purpose=purpose)
    if isinstance(action, MapChannel):
        await guild_config.set_channel(db, guild.id, action.purpose, action.channel_id)
        return t("assistant.done.mapped_channel", channel=f"<#{action.channel_id}>", purpose=purpose)
    assert isinstance(action, FixChannel)
    channel = guild.get_channel(action.channel_id)
    if channel is None:
        return t("assistant.done.gone", purpose=purpose)
    for o in _bot_first(action.overwrites):
        target = _resolve(guild, config, o.target)
        if target is None:
            continue
        current = channel.overwrites_for(target)
        if assistant.overwrite_matches(_current(current, o), o):
            continue  # already so: no call, nothing in the audit log
        current.update(**_changes(o))
        await channel.set_permissions(target, overwrite=current, reason=reason)
    return t("assistant.done.fixed_channel", channel=channel.mention, purpose=purpose)


def _same_role(guild: discord.Guild, name: str) -> discord.Role | None:
    """A role this assistant created before a crash: its name, no permissions, below the bot."""
    for role in guild.roles:
        if (
            role.name == name
            and role.permissions.value == 0
            and not role.managed
            and role < guild.me.top_role
        ):
            return role
    return None


async def publish_charter(guild: discord.Guild, ctx: Context) -> str:
    t = ctx.t
    if ctx.charter is None:
        return t("assistant.charter_disabled")
    try:
        message = await ctx.charter.publish(guild)
    except UserError as error:
        return t("assistant.done.charter_failed", reason=t(error.key, **error.params))
    except discord.HTTPException as error:
        log.warning("assistant: charter not published in guild %s: %s", guild.id, error)
        return t("assistant.done.charter_failed", reason=str(error.text or error.status)[:200])
    return t("assistant.done.charter_published", channel=message.channel.mention)


# -- the command's entry point ----------------------------------------------------------------------------


async def start(interaction: discord.Interaction, ctx: Context) -> None:
    """Answer ``/config assistant``: « Tout est en place », or the first step, or the confirmation."""
    guild = interaction.guild
    assert guild is not None
    plan, _ = await read_plan(guild, ctx)
    if plan.is_empty:
        await interaction.response.send_message(
            render_all_set(ctx, plan), ephemeral=True, allowed_mentions=NO_PINGS
        )
        return
    session = Session(plan, ctx, interaction.user.id)
    if plan.steps:
        await interaction.response.send_message(
            session.step_content(0), view=session.step_view(0), ephemeral=True, allowed_mentions=NO_PINGS
        )
        return
    config = await guild_config.get(ctx.db, guild.id)
    actions = assistant.plan_actions(plan, {})
    content, embed = render_confirmation(ctx.t, plan, actions, guild, config)
    await interaction.response.send_message(
        fit_content(f"{ctx.t('assistant.intro_fixes')}\n{content}"),
        embed=embed,
        view=ConfirmationView(session),
        ephemeral=True,
        allowed_mentions=NO_PINGS,
    )
