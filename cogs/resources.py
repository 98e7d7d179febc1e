"""/ressource …, the « Enregistrer comme ressource » context menu, persistent buttons, weekly digest.

Thin: parse the interaction, check who may, call ``bot.resources``, render with ``bot.resources.ui``.
"""

from __future__ import annotations

import logging
import re
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import RelaisBot
from bot.core import timeutil
from bot.core.errors import NotAllowed, UserError
from bot.core.timers import Timer
from bot.resources import library as resources
from bot.resources import privacy, ui
from bot.resources.library import DuplicateResource, Resource
from bot.resources.metadata import make_fetcher
from bot.resources.posting import PostThrottle
from bot.resources.search import fold
from bot.resources.starter import default_themes
from bot.services import ModerationService
from bot.ui.base import NO_PINGS, send_ephemeral
from bot.ui.checks import is_moderator, require_can_act_on

log = logging.getLogger(__name__)

KIND_CHOICES = [
    app_commands.Choice(name=name, value=value)
    for value, name in (
        ("article", "Article"),
        ("podcast", "Podcast"),
        ("video", "Vidéo"),
        ("livre", "Livre"),
        ("guide", "Guide"),
        ("formation", "Formation"),
        ("projet", "Projet"),
        ("evenement", "Événement"),
        ("outil", "Outil"),
        ("recherche", "Recherche"),
    )
]
PERIOD_CHOICES = [
    app_commands.Choice(name="Cette semaine", value="semaine"),
    app_commands.Choice(name="Ce mois-ci", value="mois"),
    app_commands.Choice(name="Cette année", value="annee"),
    app_commands.Choice(name="Depuis le début", value="tout"),
]
LINK = re.compile(r"https?://[^\s<>\"'|]+", re.IGNORECASE)


def first_link(text: str) -> str | None:
    match = LINK.search(text or "")
    if not match:
        return None
    return match.group(0).rstrip(".,;:!?)]}*_~")


def check_member_may_post(interaction: discord.Interaction, channel: discord.abc.Messageable) -> None:
    """The card is posted for the clicker: only where they may write, and not around a slowmode.

    ``interaction.permissions`` are the clicker's permissions in this channel, computed by Discord
    at the moment of the click.
    """
    perms = interaction.permissions
    in_thread = isinstance(channel, discord.Thread)
    may_send = perms.send_messages_in_threads if in_thread else perms.send_messages
    if not (perms.view_channel and may_send):
        raise NotAllowed("resources.post.cannot_send")
    slowmode = getattr(channel, "slowmode_delay", 0) or 0
    # Discord exempts those who manage messages or the channel from slowmode.
    if slowmode and not (perms.manage_messages or perms.manage_channels):
        raise UserError("resources.post.slowmode", seconds=slowmode)


class Resources(commands.Cog):
    resource = app_commands.Group(
        name="ressource",
        description="Partager et retrouver des ressources utiles",
        # What @app_commands.guild_only() sets: both the flag and the contexts Discord is sent.
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: RelaisBot) -> None:
        self.bot = bot
        # Context menus cannot live in a cog's class body: added and removed with the cog.
        self.context_menu = app_commands.ContextMenu(
            name="Enregistrer comme ressource", callback=self.save_message_as_resource
        )
        self.context_menu.guild_only = True
        self.themes = default_themes(bot.settings.config_dir)
        self.post_throttle = PostThrottle()
        cfg = bot.settings.resources
        self.fetcher = make_fetcher(
            timeout=cfg.metadata_timeout_seconds,
            max_bytes=cfg.metadata_max_bytes,
            max_redirects=cfg.metadata_max_redirects,
            allow_loopback=bot.settings.features.allow_loopback_urls,
        )

    # -- /ressource … -------------------------------------------------------------------------------
    @resource.command(name="partager", description="Partager un lien utile avec la communauté")
    @app_commands.rename(title="titre", kind="type")
    @app_commands.describe(
        url="L'adresse de la page (https://…)",
        title="Le titre (sinon, je le lis sur la page)",
        kind="Le genre de ressource",
        themes="Thèmes séparés par des virgules",
        description="Quelques mots pour dire en quoi elle est utile",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    async def share(
        self,
        interaction: discord.Interaction,
        url: str,
        title: str | None = None,
        kind: app_commands.Choice[str] | None = None,
        themes: str | None = None,
        description: str | None = None,
    ) -> None:
        fields = {
            "title": title,
            "kind": kind.value if kind else None,
            "themes": themes,
            "description": description,
        }
        await self.share_flow(interaction, url, fields, author_id=interaction.user.id)

    @share.autocomplete("themes")
    async def share_themes(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.theme_choices(interaction, current, multiple=True)

    @resource.command(name="chercher", description="Chercher dans la bibliothèque de ressources")
    @app_commands.rename(query="requete", kind="type")
    @app_commands.describe(
        query="Un ou plusieurs mots", kind="Seulement ce genre", theme="Seulement ce thème"
    )
    @app_commands.choices(kind=KIND_CHOICES)
    async def search(
        self,
        interaction: discord.Interaction,
        query: str,
        kind: app_commands.Choice[str] | None = None,
        theme: str | None = None,
    ) -> None:
        await self.search_flow(
            interaction, query, kind=kind.value if kind else None, theme=theme, page=0, edit=False
        )

    @search.autocomplete("theme")
    async def search_theme(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.theme_choices(interaction, current, multiple=False)

    @resource.command(name="recentes", description="Les dernières ressources partagées")
    async def recent(self, interaction: discord.Interaction) -> None:
        items = await resources.recent(self.db, interaction.guild_id, limit=10)
        t = self.bot.texts(interaction)
        if not items:
            await send_ephemeral(interaction, t("resources.list.empty"))
            return
        await send_ephemeral(interaction, embed=ui.list_embed(t, t("resources.list.recent_title"), items))

    @resource.command(name="populaires", description="Les ressources jugées les plus utiles")
    @app_commands.rename(period="periode")
    @app_commands.describe(period="Sur quelle période compter les votes « Utile »")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def popular(
        self, interaction: discord.Interaction, period: app_commands.Choice[str] | None = None
    ) -> None:
        period_key = period.value if period else "mois"
        items = await resources.popular(
            self.db, interaction.guild_id, now=timeutil.now(), period=period_key, limit=10
        )
        t = self.bot.texts(interaction)
        if not items:
            await send_ephemeral(interaction, t("resources.list.no_votes"))
            return
        title = t("resources.list.popular_title", period=t(f"resources.periods.{period_key}"))
        await send_ephemeral(interaction, embed=ui.popular_embed(t, title, items))

    @resource.command(name="voir", description="Afficher une ressource par son numéro")
    @app_commands.rename(resource_id="id")
    @app_commands.describe(resource_id="Le numéro de la ressource (n°…)")
    async def show(self, interaction: discord.Interaction, resource_id: app_commands.Range[int, 1]) -> None:
        resource = await resources.get(self.db, interaction.guild_id, resource_id)
        t = self.bot.texts(interaction)
        await send_ephemeral(
            interaction, embed=ui.resource_embed(t, resource), view=ui.single_post_view(t, resource)
        )

    @resource.command(name="modifier", description="Corriger une ressource que vous avez partagée")
    @app_commands.rename(resource_id="id")
    @app_commands.describe(resource_id="Le numéro de la ressource (n°…)")
    async def edit(self, interaction: discord.Interaction, resource_id: app_commands.Range[int, 1]) -> None:
        await self.edit_flow(interaction, resource_id)

    @resource.command(name="retirer", description="Retirer une ressource de la bibliothèque")
    @app_commands.rename(resource_id="id")
    @app_commands.describe(resource_id="Le numéro de la ressource (n°…)")
    async def remove(self, interaction: discord.Interaction, resource_id: app_commands.Range[int, 1]) -> None:
        await self.remove_flow(interaction, resource_id)

    @property
    def db(self):
        return self.bot.db

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.context_menu)
        self.bot.services.provide(ui.ResourceCardActions, self)
        self.bot.timers.register(resources.DIGEST_KIND, self.run_digest)
        self.bot.timers.register(privacy.REFRESH_KIND, self.on_refresh_card_timer)
        if self.bot.settings.resources.digest_enabled:
            for guild_id in await resources.guilds_with_library_channel(self.db):
                await self.ensure_digest(guild_id)

    async def cog_unload(self) -> None:
        self.bot.services.withdraw(ui.ResourceCardActions, self)
        self.bot.tree.remove_command(self.context_menu.name, type=discord.AppCommandType.message)

    # -- sharing ------------------------------------------------------------------------------------
    async def share_flow(
        self, interaction: discord.Interaction, url: str, fields: dict[str, str | None], *, author_id: int
    ) -> None:
        t = self.bot.texts(interaction)
        draft = resources.make_draft(
            interaction.guild_id,
            url,
            title=fields.get("title"),
            kind=fields.get("kind"),
            themes=fields.get("themes"),
            description=fields.get("description"),
            author_id=author_id,
            shared_by=interaction.user.id,
        )
        now = timeutil.now()
        if draft.title is None and not interaction.response.is_done():
            # The link preview may take a few seconds.
            await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            resource = await resources.share(
                self.db,
                draft,
                now=now,
                cooldown_seconds=self.bot.settings.resources.share_cooldown_seconds,
                fetcher=self.fetcher,
            )
        except DuplicateResource as duplicate:
            await send_ephemeral(interaction, await self.duplicate_text(interaction, duplicate.existing))
            return
        log.info(
            "resource %s shared by %s in guild %s", resource.id, interaction.user.id, interaction.guild_id
        )
        announced = await self.announce(resource)
        key = "resources.share.done" if announced else "resources.share.done_unannounced"
        link = resource.jump_url() if announced else None
        if announced:
            resource = await resources.get(self.db, resource.guild_id, resource.id)
            link = resource.jump_url()
        await send_ephemeral(interaction, t(key, id=resource.id, title=resource.title, link=link or ""))
        if self.bot.settings.resources.digest_enabled:
            await self.ensure_digest(interaction.guild_id)

    async def duplicate_text(self, interaction: discord.Interaction, existing: Resource) -> str:
        t = self.bot.texts(interaction)
        config = await self.bot.guild_config(interaction.guild_id)
        when = ui.format_date(existing.created_at, self.bot.timezone_name(config))
        who = f"<@{existing.author_id}>" if existing.author_id else t("resources.card.library")
        link = existing.jump_url() or t("resources.share.see_command", id=existing.id)
        return t("resources.share.duplicate", who=who, when=when, link=link, id=existing.id)

    async def announce(self, resource: Resource) -> bool:
        """Post the card in the resources channel (a forum post with tags in a forum)."""
        config = await self.bot.guild_config(resource.guild_id)
        channel_id = config.channel("ressources")
        channel = self.bot.get_channel(channel_id) if channel_id else None
        if channel is None:
            log.info(
                "resource %s saved without announcement: no resources channel in guild %s",
                resource.id,
                resource.guild_id,
            )
            return False
        t = self.bot.texts(resource.guild_id)
        embed, view = ui.resource_embed(t, resource), ui.card_view(t, resource)
        try:
            if isinstance(channel, discord.ForumChannel):
                tags = forum_tags(channel, [ui.kind_label(t, resource.kind), *resource.themes])
                created = await channel.create_thread(
                    name=resource.title[:100],
                    embed=embed,
                    view=view,
                    applied_tags=tags,
                    allowed_mentions=NO_PINGS,
                )
                await resources.set_announcement(
                    self.db,
                    resource.guild_id,
                    resource.id,
                    channel_id=channel.id,
                    message_id=created.message.id,
                    thread_id=created.thread.id,
                )
            else:
                message = await channel.send(embed=embed, view=view, allowed_mentions=NO_PINGS)
                await resources.set_announcement(
                    self.db, resource.guild_id, resource.id, channel_id=channel.id, message_id=message.id
                )
        except discord.HTTPException:
            log.warning(
                "could not announce resource %s in channel %s", resource.id, channel_id, exc_info=True
            )
            return False
        return True

    async def save_message_as_resource(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        """Context menu: the first link of the message, credited to its author, through the same checks."""
        link = first_link(message.content)
        if link is None:
            raise UserError("resources.context.no_link")
        author_id = message.author.id
        # Validate the link and catch a duplicate before asking anything.
        draft = resources.make_draft(
            interaction.guild_id, link, author_id=author_id, shared_by=interaction.user.id
        )
        try:
            await resources.check_new(self.db, draft)
        except DuplicateResource as duplicate:
            await send_ephemeral(interaction, await self.duplicate_text(interaction, duplicate.existing))
            return
        await resources.check_cooldown(
            self.db,
            interaction.guild_id,
            interaction.user.id,
            timeutil.now(),
            self.bot.settings.resources.share_cooldown_seconds,
        )
        t = self.bot.texts(interaction)

        async def submit(modal_interaction: discord.Interaction, values: dict[str, str]) -> None:
            await self.share_flow(modal_interaction, link, values, author_id=author_id)

        await interaction.response.send_modal(ui.ResourceModal(t, t("resources.modal.save_title"), submit))

    # -- buttons ------------------------------------------------------------------------------------
    async def on_useful(self, interaction: discord.Interaction, resource_id: int) -> None:
        result = await resources.toggle_vote(
            self.db, interaction.guild_id, resource_id, interaction.user.id, timeutil.now()
        )
        t = self.bot.texts(interaction)
        resource = await resources.get(self.db, interaction.guild_id, resource_id)
        public = self.bot.texts(interaction.guild_id)
        await interaction.response.edit_message(view=ui.card_view(public, resource))
        await send_ephemeral(
            interaction,
            t("resources.vote.added" if result.voted else "resources.vote.removed", count=result.count),
        )
        if (
            interaction.message is not None
            and resource.message_id
            and interaction.message.id != resource.message_id
        ):
            await self.refresh_announcement(resource)

    async def on_report(self, interaction: discord.Interaction, resource_id: int) -> None:
        resource = await resources.get(self.db, interaction.guild_id, resource_id)
        delivered = await self.report_resource(resource, interaction.user.id)
        t = self.bot.texts(interaction)
        await send_ephemeral(
            interaction, t("resources.report.thanks" if delivered else "resources.report.no_channel")
        )

    async def report_resource(self, resource: Resource, reporter_id: int) -> bool:
        """The one place a report goes: the moderation report queue when moderation is enabled (merged
        per announcement, duty pings, handling buttons), else a moderators-only card in the mod-log
        channel. Either way the author is never told who reported."""
        moderation = self.bot.services.get(ModerationService)
        guild = self.bot.get_guild(resource.guild_id)
        if moderation is not None and guild is not None:
            await moderation.report_from_feature(
                guild,
                reporter_id,
                self.bot.texts(resource.guild_id)(
                    "resources.report.description", title=resource.title, url=resource.url
                ),
                channel_id=resource.thread_id or resource.channel_id,
                message_id=resource.message_id,
                target_id=resource.shared_by,
                excerpt=resource.title,
            )
            log.info("resource %s reported by %s to the moderation queue", resource.id, reporter_id)
            return True
        config = await self.bot.guild_config(resource.guild_id)
        channel_id = config.channel("modlog")
        channel = self.bot.get_channel(channel_id) if channel_id else None
        if channel is None:
            log.warning(
                "resource %s reported by %s but no mod-log channel in guild %s",
                resource.id,
                reporter_id,
                resource.guild_id,
            )
            return False
        t = self.bot.texts(resource.guild_id)
        embed = ui.report_card(t, resource, reporter_id, self.bot.timezone_name(config))
        await channel.send(embed=embed, allowed_mentions=NO_PINGS)
        log.info("resource %s reported by %s", resource.id, reporter_id)
        return True

    async def on_post(self, interaction: discord.Interaction, resource_id: int) -> None:
        resource = await resources.get(self.db, interaction.guild_id, resource_id)
        channel = interaction.channel
        if channel is None or not hasattr(channel, "send"):
            raise UserError("resources.post.no_channel")
        check_member_may_post(interaction, channel)
        claim = (interaction.user.id, interaction.guild_id, channel.id, resource.id)
        self.post_throttle.claim(*claim, now=time.monotonic())
        t_public = self.bot.texts(interaction.guild_id)
        try:
            await interaction.response.defer(ephemeral=True)
            await channel.send(
                t_public("resources.post.intro", member=interaction.user.mention),
                embed=ui.resource_embed(t_public, resource),
                view=ui.card_view(t_public, resource),
                allowed_mentions=NO_PINGS,
            )
        except BaseException:
            self.post_throttle.release(*claim)
            raise
        await send_ephemeral(interaction, self.bot.texts(interaction)("resources.post.done"))

    # -- search -------------------------------------------------------------------------------------
    async def search_flow(
        self,
        interaction: discord.Interaction,
        query: str,
        *,
        kind: str | None,
        theme: str | None,
        page: int,
        edit: bool,
    ) -> None:
        t = self.bot.texts(interaction)
        result = await resources.search(
            self.db,
            interaction.guild_id,
            query,
            kind=kind,
            theme=theme,
            page=page,
            page_size=self.bot.settings.resources.page_size,
        )
        if not result.resources and page == 0:
            await send_ephemeral(interaction, t("resources.search.none", query=query[:100]))
            return

        async def turn_page(page_interaction: discord.Interaction, new_page: int) -> None:
            await self.search_flow(page_interaction, query, kind=kind, theme=theme, page=new_page, edit=True)

        embed = ui.search_embed(t, query, result)
        view = ui.SearchView(t, result, turn_page)
        if edit:
            await interaction.response.edit_message(embed=embed, view=view)
        else:
            await send_ephemeral(interaction, embed=embed, view=view)

    async def theme_choices(
        self, interaction: discord.Interaction, current: str, *, multiple: bool
    ) -> list[app_commands.Choice[str]]:
        head, _, last = current.rpartition(",") if multiple else ("", "", current)
        prefix = [p.strip() for p in head.split(",") if p.strip()] if head else []
        found = await resources.theme_suggestions(self.db, interaction.guild_id, last, self.themes, limit=25)
        choices = []
        for theme in found:
            if theme in prefix:
                continue
            value = ", ".join([*prefix, theme])
            if len(value) <= 100:
                choices.append(app_commands.Choice(name=value, value=value))
        return choices[:25]

    # -- edit and removal ---------------------------------------------------------------------------
    async def edit_flow(self, interaction: discord.Interaction, resource_id: int) -> None:
        resource = await resources.get(self.db, interaction.guild_id, resource_id)
        moderator = await self.may_moderate(interaction, resource)
        t = self.bot.texts(interaction)
        values = {
            "title": resource.title,
            "kind": resource.kind,
            "themes": ", ".join(resource.themes),
            "description": resource.description,
        }

        async def submit(modal_interaction: discord.Interaction, fields: dict[str, str]) -> None:
            edited = await resources.edit(
                self.db,
                modal_interaction.guild_id,
                resource_id,
                actor_id=modal_interaction.user.id,
                is_moderator=moderator,
                title=fields["title"],
                description=fields["description"],
                themes=fields["themes"],
                kind=fields["kind"] or None,
                now=timeutil.now(),
            )
            log.info("resource %s edited by %s", resource_id, modal_interaction.user.id)
            await self.refresh_announcement(edited, retitle=True)
            done = self.bot.texts(modal_interaction)("resources.edit.done", id=edited.id)
            await send_ephemeral(modal_interaction, done)

        await interaction.response.send_modal(
            ui.ResourceModal(
                t, t("resources.modal.edit_title", id=resource.id), submit, values=values, title_required=True
            )
        )

    async def may_moderate(self, interaction: discord.Interaction, resource: Resource) -> bool:
        """True for a moderator acting on someone else's resource (hierarchy checked); False for the
        author; NotAllowed for anyone else."""
        if interaction.user.id in (resource.author_id, resource.shared_by):
            return False
        config = await self.bot.guild_config(interaction.guild_id)
        member = interaction.user
        if not isinstance(member, discord.Member) or not is_moderator(member, config):
            log.info("refused: %s may not change resource %s", interaction.user.id, resource.id)
            raise NotAllowed("resources.not_yours", id=resource.id)
        author = interaction.guild.get_member(resource.author_id) if resource.author_id else None
        if author is not None and author.id != member.id:
            require_can_act_on(member, author, interaction.guild.me)
        return True

    async def remove_flow(self, interaction: discord.Interaction, resource_id: int) -> None:
        resource = await resources.get(self.db, interaction.guild_id, resource_id)
        moderator = await self.may_moderate(interaction, resource)
        removed = await resources.remove(
            self.db,
            interaction.guild_id,
            resource_id,
            actor_id=interaction.user.id,
            is_moderator=moderator,
            now=timeutil.now(),
        )
        log.info("resource %s removed by %s (moderator=%s)", resource_id, interaction.user.id, moderator)
        await self.delete_announcement(removed)
        t = self.bot.texts(interaction)
        await send_ephemeral(interaction, t("resources.remove.done", id=removed.id, title=removed.title))

    async def delete_announcement(self, resource: Resource) -> None:
        try:
            if resource.thread_id:
                thread = await self.bot.channel_or_fetch(resource.thread_id)
                if thread is not None:
                    await thread.delete()
            elif resource.channel_id and resource.message_id:
                channel = self.bot.get_channel(resource.channel_id)
                if channel is not None:
                    await channel.get_partial_message(resource.message_id).delete()
        except discord.NotFound:
            pass  # already gone
        except discord.HTTPException:
            log.warning("could not delete the announcement of resource %s", resource.id, exc_info=True)

    async def on_refresh_card_timer(self, timer: Timer) -> None:
        """A member erased their data: their resources' cards now say « membre parti·e »."""
        resource = await resources.get(
            self.db, timer.guild_id, int(timer.payload["resource_id"]), include_removed=True
        )
        await self.refresh_announcement(resource)

    async def refresh_announcement(self, resource: Resource, *, retitle: bool = False) -> None:
        """Update the card; with ``retitle`` (after an edit), a forum post's name and tags follow too."""
        if not (resource.channel_id and resource.message_id):
            return
        t = self.bot.texts(resource.guild_id)
        try:
            channel = await self.bot.channel_or_fetch(resource.thread_id or resource.channel_id)
            if channel is None:
                return
            if isinstance(channel, discord.Thread) and channel.archived:
                # Forum posts archive themselves after a quiet week; a vote or an edit revives them.
                await channel.edit(archived=False)
            await channel.get_partial_message(resource.message_id).edit(
                embed=ui.resource_embed(t, resource), view=ui.card_view(t, resource)
            )
            if (
                retitle
                and isinstance(channel, discord.Thread)
                and isinstance(channel.parent, discord.ForumChannel)
            ):
                name = resource.title[:100]
                tags = forum_tags(channel.parent, [ui.kind_label(t, resource.kind), *resource.themes])
                if channel.name != name or {tag.id for tag in channel.applied_tags} != {
                    tag.id for tag in tags
                }:
                    await channel.edit(name=name, applied_tags=tags)
        except discord.HTTPException:
            log.warning("could not refresh the announcement of resource %s", resource.id, exc_info=True)

    # -- weekly digest ------------------------------------------------------------------------------
    async def ensure_digest(self, guild_id: int) -> None:
        if await self.bot.timers.pending(guild_id, resources.DIGEST_KIND, limit=1):
            return
        await self.schedule_next_digest(guild_id)

    async def schedule_next_digest(self, guild_id: int) -> None:
        cfg = self.bot.settings.resources
        config = await self.bot.guild_config(guild_id)
        due = resources.next_digest_at(
            timeutil.now(), self.bot.timezone_name(config), cfg.digest_weekday, cfg.digest_hour
        )
        await resources.schedule_digest(self.bot.timers, guild_id, due)

    async def run_digest(self, timer: Timer) -> None:
        cfg = self.bot.settings.resources
        if not cfg.digest_enabled:
            return
        guild_id = timer.guild_id
        config = await self.bot.guild_config(guild_id)
        zone_name = self.bot.timezone_name(config)
        now = timeutil.now()
        plan = await resources.digest_plan(
            self.db, guild_id, now=now, zone_name=zone_name, limit=cfg.digest_size
        )
        channel_id = config.channel("ressources")
        channel = self.bot.get_channel(channel_id) if channel_id else None
        if (
            plan.resources
            and channel is not None
            and await resources.claim_digest(self.db, guild_id, plan.period, now)
        ):
            t = self.bot.texts(guild_id)
            target = channel
            try:
                if isinstance(channel, discord.ForumChannel):
                    created = await channel.create_thread(
                        name=t("resources.digest.thread_name", period=plan.period),
                        embed=ui.digest_embed(t, plan.resources, plan.start, plan.end, zone_name),
                        allowed_mentions=NO_PINGS,
                    )
                    message = created.message
                else:
                    message = await target.send(
                        embed=ui.digest_embed(t, plan.resources, plan.start, plan.end, zone_name),
                        allowed_mentions=NO_PINGS,
                    )
            except Exception:
                await resources.release_digest(self.db, guild_id, plan.period)
                raise
            await resources.record_digest_message(self.db, guild_id, plan.period, message.id)
            log.info(
                "weekly digest %s posted in guild %s (%d resources)",
                plan.period,
                guild_id,
                len(plan.resources),
            )
        await self.schedule_next_digest(guild_id)


def forum_tags(channel: discord.ForumChannel, names: list[str]) -> list[discord.ForumTag]:
    """Existing forum tags whose names match the type or a theme (case and accents ignored)."""
    wanted = {fold(n) for n in names}
    return [tag for tag in channel.available_tags if fold(tag.name) in wanted][:5]


async def setup(bot: RelaisBot) -> None:
    await bot.add_cog(Resources(bot))
