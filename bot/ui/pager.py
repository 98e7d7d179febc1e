"""« Previous » / « Next » over a paged answer, for the member who asked only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord

from bot.ui.base import RelaisView


@dataclass(frozen=True, slots=True)
class Page:
    """What one page shows; ``number`` counts from 0, ``count`` is at least 1."""

    number: int
    count: int
    content: str | None = None
    embed: discord.Embed | None = None


FetchPage = Callable[[int], Awaitable[Page]]


class Pager(RelaisView):
    """Two buttons that fetch the page before or after the one shown and edit the message."""

    def __init__(
        self,
        owner_id: int,
        first: Page,
        fetch: FetchPage,
        *,
        previous_label: str,
        next_label: str,
        id_prefix: str | None = None,
        timeout: float = 600,
    ) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.page = first
        self._fetch = fetch
        self.previous = self._button(previous_label, f"{id_prefix}:prev" if id_prefix else None, -1)
        self.next = self._button(next_label, f"{id_prefix}:next" if id_prefix else None, +1)
        self._sync()

    @classmethod
    def over_embeds(
        cls,
        owner_id: int,
        embeds: list[discord.Embed],
        *,
        previous_label: str = "◀",
        next_label: str = "▶",
        timeout: float = 600,
    ) -> Pager:
        """Pages already built (a charter, a dossier): each button shows the embed before or after."""

        async def fetch(number: int) -> Page:
            number = max(0, min(number, len(embeds) - 1))
            return Page(number, len(embeds), embed=embeds[number])

        return cls(
            owner_id,
            Page(0, len(embeds), embed=embeds[0]),
            fetch,
            previous_label=previous_label,
            next_label=next_label,
            timeout=timeout,
        )

    @property
    def needed(self) -> bool:
        """A single page needs no buttons."""
        return self.page.count > 1

    def _button(self, label: str, custom_id: str | None, delta: int) -> discord.ui.Button[Any]:
        options: dict[str, Any] = {"custom_id": custom_id} if custom_id else {}
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label[:80], style=discord.ButtonStyle.secondary, **options
        )

        async def callback(interaction: discord.Interaction) -> None:
            await self._move(interaction, delta)

        button.callback = callback  # type: ignore[method-assign]
        self.add_item(button)
        return button

    def _sync(self) -> None:
        self.previous.disabled = self.page.number <= 0
        self.next.disabled = self.page.number >= self.page.count - 1

    async def _move(self, interaction: discord.Interaction, delta: int) -> None:
        self.page = await self._fetch(self.page.number + delta)
        self._sync()
        changes: dict[str, Any] = {"content": self.page.content}
        if self.page.embed is not None:
            changes["embed"] = self.page.embed
        await interaction.response.edit_message(view=self, **changes)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        await super().interaction_check(interaction)
        return interaction.user.id == self.owner_id
