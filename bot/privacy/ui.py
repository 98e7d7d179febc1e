"""What a member reads about their data: the export's summary, the erasure's choice and its answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.core.i18n import Translate
from bot.privacy.rights import ErasureReport, MemberExport
from bot.ui.confirm import ConfirmView
from bot.ui.limits import fit_embed

Choose = Callable[[discord.Interaction, bool], Awaitable[None]]


def _label(t: Translate, dotted: str) -> str:
    area, _, name = dotted.partition(".")
    return t(f"privacy.items.{area}.{name}")


def export_embed(t: Translate, export: MemberExport) -> discord.Embed:
    counts = export.counts()
    lines = [t("privacy.export.intro" if counts else "privacy.export.nothing"), ""]
    lines += [
        t("privacy.export.summary_line", label=_label(t, key), count=count) for key, count in counts.items()
    ]
    if export.withheld:
        lines += ["", t("privacy.export.withheld_title")] + [f"• {t(key)}" for key in export.withheld]
    return fit_embed(discord.Embed(description="\n".join(lines), colour=discord.Colour.blurple()))


def erasure_embed(t: Translate, report: ErasureReport) -> discord.Embed:
    lines = [t("privacy.erase.done" if report.erased else "privacy.erase.done_nothing")]
    lines += [
        t("privacy.erase.erased_line", label=_label(t, key), count=count)
        for key, count in report.erased.items()
    ]
    if report.kept:
        lines += ["", t("privacy.erase.kept_title")]
        for key, until in report.kept.items():
            if until is None:
                lines.append(t("privacy.erase.kept_anonymous", label=_label(t, key)))
            else:
                lines.append(
                    t(
                        "privacy.erase.kept_until",
                        label=_label(t, key),
                        date=discord.utils.format_dt(until, "D"),
                    )
                )
    if report.followups_scheduled:
        lines += ["", t("privacy.erase.followups")]
    return fit_embed(discord.Embed(description="\n".join(lines), colour=discord.Colour.green()))


def erase_choice_view(t: Translate, owner_id: int, choose: Choose) -> ConfirmView:
    """Keep resources without a name, delete them too, or cancel — for the person who asked only."""

    async def chosen(interaction: discord.Interaction, value: str) -> None:
        if value == "cancel":
            await interaction.response.edit_message(content=t("privacy.erase.cancelled"), view=None)
        else:
            await choose(interaction, value == "keep")

    return ConfirmView.pick_one(
        owner_id,
        [
            ("keep", t("privacy.erase.keep_resources"), discord.ButtonStyle.danger),
            ("delete", t("privacy.erase.delete_resources"), discord.ButtonStyle.danger),
            ("cancel", t("privacy.erase.cancel"), discord.ButtonStyle.secondary),
        ],
        chosen,
        timeout=300,
    )
