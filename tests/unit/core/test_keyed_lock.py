from __future__ import annotations

import asyncio

from bot.core.keyed_lock import KeyedLock


async def test_one_holder_per_key_and_nothing_left_behind():
    locks = KeyedLock()
    inside: dict[str, int] = {"a": 0, "b": 0}
    most: dict[str, int] = {"a": 0, "b": 0}

    async def work(key: str) -> None:
        async with locks.hold(key):
            inside[key] += 1
            most[key] = max(most[key], inside[key])
            await asyncio.sleep(0)
            inside[key] -= 1

    await asyncio.gather(*(work(k) for k in "ab" * 50))
    assert most == {"a": 1, "b": 1}
    assert len(locks) == 0


async def test_a_failure_inside_releases_the_key():
    locks = KeyedLock()
    try:
        async with locks.hold("x"):
            raise ValueError("boom")
    except ValueError:
        pass
    async with locks.hold("x"):
        pass
    assert len(locks) == 0
