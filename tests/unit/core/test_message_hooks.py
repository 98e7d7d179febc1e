"""bot.message_hooks: the capabilities' look at every new message, without a task per listener."""

from __future__ import annotations

import logging

from bot.client import MessageHooks


async def _act(log: list[str], what: str) -> None:
    log.append(what)


async def test_hooks_look_in_turn_and_only_follow_ups_are_returned():
    seen: list[str] = []
    hooks = MessageHooks()
    hooks.add(lambda message: seen.append(f"quiet {message}"))  # returns None: nothing more to do
    hooks.add(lambda message: _act(seen, f"act on {message}"))
    assert hooks
    follow_ups = hooks.screen("m1")
    assert seen == ["quiet m1"] and len(follow_ups) == 1  # the follow-up has not run yet
    await follow_ups[0]
    assert seen == ["quiet m1", "act on m1"]


def test_a_failing_hook_is_logged_and_the_next_ones_still_look(caplog):
    seen: list[str] = []

    def broken(message):
        raise RuntimeError("boom")

    hooks = MessageHooks()
    hooks.add(broken)
    hooks.add(seen.append)
    with caplog.at_level(logging.ERROR, logger="bot.client"):
        assert hooks.screen("m2") == []
    assert seen == ["m2"]
    assert "error in event on_message" in caplog.text and "boom" in caplog.text


def test_a_removed_hook_no_longer_looks():
    seen: list[str] = []
    hooks = MessageHooks()
    hooks.add(seen.append)
    hooks.add(seen.append)  # added twice (a cog reloaded): still one look per message
    hooks.screen("m3")
    hooks.remove(seen.append)
    assert not hooks
    hooks.screen("m4")
    assert seen == ["m3"]
