"""/mes-donnees exporter|supprimer, the erasure of members who left, and retention.

Thin: the rules are in bot/privacy (through bot/data_rights.py); what erasure changes on Discord
arrives here as durable timers (a post to delete), or at the capability that owns the card."""

from __future__ import annotations

import datetime as dt
import io
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import data_rights
from bot.client import RelaisBot
from bot.core import timeutil
from bot.core.member_data import DELETE_MESSAGE_KIND, ErasureChoices
from bot.core.timers import FORGET_WHEN_DONE, Timer
from bot.privacy import ui
from bot.ui.base import NO_PINGS, send_ephemeral

log = logging.getLogger(__name__)
# An ephemeral reply takes an attachment this large at most on every server; larger goes by DM.
EPHEMERAL_FILE_LIMIT = 8 * 1024 * 1024
RETENTION_KEY = "privacy.retention"
RETENTION_GUILD = 0  # retention runs once for the whole database


class PrivacyCog(commands.Cog):
    my_data = app_commands.Group(
        name="mes-donnees",
        description="Vos données dans Relais : en recevoir une copie, les effacer",
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: RelaisBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        assert self.bot.timers is not None and self.bot.db is not None
        self.bot.timers.register(data_rights.ERASE_KIND, self.on_erase_timer)
        self.bot.timers.register(data_rights.RETENTION_KIND, self.on_retention_timer)
        self.bot.timers.register(DELETE_MESSAGE_KIND, self.on_delete_message_timer)
        if not await self.bot.timers.pending(RETENTION_GUILD, data_rights.RETENTION_KIND, limit=1):
            await self.bot.timers.schedule(
                RETENTION_GUILD,
                data_rights.RETENTION_KIND,
                timeutil.now() + dt.timedelta(hours=1),
                key=RETENTION_KEY,
            )

    # -- commands ------------------------------------------------------------------------------------
    @my_data.command(name="exporter", description="Recevoir une copie de tout ce que Relais garde sur vous")
    async def export(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert self.bot.db is not None and interaction.guild_id is not None
        export = await data_rights.export(
            self.bot.db, self.bot.settings, interaction.guild_id, interaction.user.id, now=timeutil.now()
        )
        t = self.bot.texts(interaction)
        body = export.to_json().encode()
        embed = ui.export_embed(t, export)
        file = discord.File(io.BytesIO(body), filename=t("privacy.export.file_name"))
        log.info("data export delivered (%d bytes)", len(body))
        if len(body) <= EPHEMERAL_FILE_LIMIT:
            await interaction.followup.send(embed=embed, file=file, ephemeral=True, allowed_mentions=NO_PINGS)
            return
        try:
            await interaction.user.send(embed=embed, file=file, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            await send_ephemeral(interaction, t("privacy.export.dm_closed"))
            return
        await send_ephemeral(interaction, t("privacy.export.sent_by_dm"))

    @my_data.command(name="supprimer", description="Effacer vos données de Relais sur ce serveur")
    async def erase(self, interaction: discord.Interaction) -> None:
        t = self.bot.texts(interaction)
        view = ui.erase_choice_view(t, interaction.user.id, self._erase_chosen)
        await interaction.response.send_message(
            t("privacy.erase.confirm"), view=view, ephemeral=True, allowed_mentions=NO_PINGS
        )

    async def _erase_chosen(self, interaction: discord.Interaction, keep_resources: bool) -> None:
        await interaction.response.edit_message(view=None)
        assert self.bot.db is not None and self.bot.timers is not None and interaction.guild_id is not None
        report = await data_rights.erase(
            self.bot.db,
            self.bot.timers,
            self.bot.settings,
            interaction.guild_id,
            interaction.user.id,
            ErasureChoices(keep_resources=keep_resources),
            now=timeutil.now(),
        )
        # A member who erased their data is not erased a second time if they leave.
        await self.bot.timers.cancel(interaction.guild_id, data_rights.leave_key(interaction.user.id))
        log.info("member data erased on request (%d kinds of records)", len(report.erased))
        await interaction.edit_original_response(
            content=None, embed=ui.erasure_embed(self.bot.texts(interaction), report)
        )

    # -- members who leave ------------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        days = self.bot.settings.privacy.erase_after_leave_days
        if days <= 0 or payload.user.bot:
            return
        assert self.bot.timers is not None
        await self.bot.timers.schedule(
            payload.guild_id,
            data_rights.ERASE_KIND,
            timeutil.now() + dt.timedelta(days=days),
            {"member_id": payload.user.id, FORGET_WHEN_DONE: True},
            key=data_rights.leave_key(payload.user.id),
        )

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        assert self.bot.timers is not None
        if await self.bot.timers.cancel(member.guild.id, data_rights.leave_key(member.id)):
            log.info("a member came back before their data was erased: erasure cancelled")

    async def on_erase_timer(self, timer: Timer) -> None:
        assert self.bot.db is not None and self.bot.timers is not None
        await data_rights.erase(
            self.bot.db,
            self.bot.timers,
            self.bot.settings,
            timer.guild_id,
            int(timer.payload["member_id"]),
            ErasureChoices(keep_resources=True),
            now=timeutil.now(),
        )
        log.info("data of a member who left was erased")

    # -- retention and Discord follow-ups -----------------------------------------------------------------
    async def on_retention_timer(self, timer: Timer) -> None:
        assert self.bot.db is not None and self.bot.timers is not None
        purged = await data_rights.apply_retention(self.bot.db, self.bot.settings, now=timeutil.now())
        log.info("retention applied: %s", {k: v for k, v in purged.items() if v} or "nothing due")
        await self.bot.timers.schedule(
            RETENTION_GUILD,
            data_rights.RETENTION_KIND,
            timeutil.now() + dt.timedelta(days=1),
            key=RETENTION_KEY,
        )

    async def on_delete_message_timer(self, timer: Timer) -> None:
        channel = await self.bot.channel_or_fetch(int(timer.payload["channel_id"]))
        if channel is None:
            return
        try:
            if timer.payload.get("thread"):
                await channel.delete()
            else:
                await channel.get_partial_message(int(timer.payload["message_id"])).delete()
        except discord.NotFound:
            pass


async def setup(bot: RelaisBot) -> None:
    await bot.add_cog(PrivacyCog(bot))
