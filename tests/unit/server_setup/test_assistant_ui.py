"""The assistant's views answer only the person who opened them, whatever reaches the bot."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.core.errors import NotAllowed
from bot.server_setup.assistant_ui import OwnerView


def click_by(user_id: int) -> SimpleNamespace:
    return SimpleNamespace(user=SimpleNamespace(id=user_id), guild_id=1)


async def test_only_the_opener_may_use_the_assistant():
    view = OwnerView(owner_id=301)
    assert await view.interaction_check(click_by(301)) is True
    with pytest.raises(NotAllowed) as refused:
        await view.interaction_check(click_by(302))
    assert refused.value.key == "assistant.not_yours"
