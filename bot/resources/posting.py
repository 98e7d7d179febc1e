"""« Partager dans le salon »: how often a member may repost a resource card (Discord-free).

The button posts a public card in the channel where it is clicked, so it is throttled twice: a
member waits between two cards, and the same resource is not reposted in the same channel within a
short window (by anyone). Kept in memory: a restart only forgets recent clicks.
"""

from __future__ import annotations

import math

from bot.core.errors import UserError

MEMBER_COOLDOWN_SECONDS = 30.0
REPOST_WINDOW_SECONDS = 600.0


class PostThrottle:
    def __init__(
        self, member_cooldown: float = MEMBER_COOLDOWN_SECONDS, repost_window: float = REPOST_WINDOW_SECONDS
    ) -> None:
        self.member_cooldown = member_cooldown
        self.repost_window = repost_window
        self._by_member: dict[tuple[int, int], float] = {}
        self._by_channel: dict[tuple[int, int], float] = {}

    def claim(self, member_id: int, guild_id: int, channel_id: int, resource_id: int, now: float) -> None:
        """Reserve a post now, or raise a UserError saying how long to wait. Check and record in one
        synchronous step, so two quick clicks cannot both pass."""
        self._forget_before(now)
        last = self._by_member.get((guild_id, member_id))
        if last is not None and now - last < self.member_cooldown:
            wait = max(1, math.ceil(self.member_cooldown - (now - last)))
            raise UserError("resources.post.cooldown", seconds=wait)
        if (channel_id, resource_id) in self._by_channel:
            raise UserError("resources.post.recently_posted", id=resource_id)
        self._by_member[(guild_id, member_id)] = now
        self._by_channel[(channel_id, resource_id)] = now

    def release(self, member_id: int, guild_id: int, channel_id: int, resource_id: int) -> None:
        """The post failed: do not make anyone wait for a card that was never sent."""
        self._by_member.pop((guild_id, member_id), None)
        self._by_channel.pop((channel_id, resource_id), None)

    def _forget_before(self, now: float) -> None:
        self._by_member = {k: v for k, v in self._by_member.items() if now - v < self.member_cooldown}
        self._by_channel = {k: v for k, v in self._by_channel.items() if now - v < self.repost_window}
