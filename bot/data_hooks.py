"""Every capability's member-data hook, in the order an export presents them.

A capability that stores anything about members adds its hook here; ``tests/unit/privacy`` fails
when a table holding a member's id is answered for by no hook."""

from __future__ import annotations

from bot.charter.privacy import HOOK as CHARTER
from bot.core.member_data import MemberDataHook
from bot.intervisions.privacy import HOOK as INTERVISIONS
from bot.jobs.privacy import HOOK as JOBS
from bot.moderation.privacy import HOOK as MODERATION
from bot.privacy.timer_payloads import HOOK as TIMERS
from bot.resources.privacy import HOOK as RESOURCES

HOOKS: tuple[MemberDataHook, ...] = (RESOURCES, CHARTER, INTERVISIONS, JOBS, MODERATION, TIMERS)
