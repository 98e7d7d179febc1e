"""One short-lived row of buttons for the member who asked: confirm, cancel, or pick one choice.

Used wherever a command asks « are you sure? » or « this one or the whole series? ». Only the
member who asked can click (anyone else's click is ignored, as Discord shows no button to them
anyway in an ephemeral message); the view stops after the first click or at its timeout.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.ui.base import RelaisView

Clicked = Callable[[discord.Interaction], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Choice:
    """One button; ``on_click`` None only closes the view (the message stays as it is)."""

    label: str
    on_click: Clicked | None = None
    style: discord.ButtonStyle = discord.ButtonStyle.secondary
    # Fixed ids keep a feature's buttons recognisable in logs (« relais:jobs:confirm »).
    custom_id: str | None = None


class ConfirmView(RelaisView):
    """Buttons answering ``owner_id`` only; each click runs its choice's ``on_click``."""

    def __init__(
        self,
        owner_id: int,
        choices: Sequence[Choice],
        *,
        timeout: float = 600,
        disable_on_click: bool = False,
    ) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.disable_on_click = disable_on_click
        for choice in choices:
            options: dict[str, Any] = {"custom_id": choice.custom_id} if choice.custom_id else {}
            button: discord.ui.Button[Any] = discord.ui.Button(
                label=choice.label[:80], style=choice.style, **options
            )
            button.callback = self._clicked(choice)  # type: ignore[method-assign]
            self.add_item(button)

    @classmethod
    def confirm_cancel(
        cls,
        owner_id: int,
        confirm_label: str,
        on_confirm: Clicked,
        *,
        cancel_label: str | None = None,
        on_cancel: Clicked | None = None,
        id_prefix: str | None = None,
        timeout: float = 600,
    ) -> ConfirmView:
        """« Go on » (primary) and, when ``cancel_label`` is given, « Stop »; with ``id_prefix``
        the buttons' custom ids are ``{id_prefix}:confirm`` and ``{id_prefix}:cancel``."""
        choices = [
            Choice(
                confirm_label,
                on_confirm,
                discord.ButtonStyle.primary,
                f"{id_prefix}:confirm" if id_prefix else None,
            )
        ]
        if cancel_label:
            choices.append(
                Choice(
                    cancel_label,
                    on_cancel,
                    discord.ButtonStyle.secondary,
                    f"{id_prefix}:cancel" if id_prefix else None,
                )
            )
        return cls(owner_id, choices, timeout=timeout)

    @classmethod
    def pick_one(
        cls,
        owner_id: int,
        choices: Sequence[tuple[str, str, discord.ButtonStyle]],
        on_choice: Callable[[discord.Interaction, str], Awaitable[None]],
        *,
        timeout: float = 600,
        disable_on_click: bool = True,
    ) -> ConfirmView:
        """Buttons given as ``(value, label, style)``; ``on_choice(interaction, value)`` does the work."""

        def handler(value: str) -> Clicked:
            return lambda interaction: on_choice(interaction, value)

        return cls(
            owner_id,
            [Choice(label, handler(value), style) for value, label, style in choices],
            timeout=timeout,
            disable_on_click=disable_on_click,
        )

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        await super().interaction_check(interaction)
        return interaction.user.id == self.owner_id

    def _clicked(self, choice: Choice) -> Clicked:
        async def callback(interaction: discord.Interaction) -> None:
            if self.disable_on_click:
                for item in self.children:
                    if isinstance(item, discord.ui.Button):
                        item.disabled = True
            self.stop()
            if choice.on_click is not None:
                await choice.on_click(interaction)

        return callback
