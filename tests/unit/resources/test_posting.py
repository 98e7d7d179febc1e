"""The « Partager dans le salon » throttle: per member, and per resource in a channel."""

from __future__ import annotations

import pytest

from bot.core.errors import UserError
from bot.resources.posting import PostThrottle


def test_member_waits_then_may_post_again():
    throttle = PostThrottle(member_cooldown=30, repost_window=600)
    throttle.claim(1, 10, 100, 7, now=0.0)
    with pytest.raises(UserError) as caught:
        throttle.claim(1, 10, 200, 8, now=10.0)
    assert caught.value.key == "resources.post.cooldown" and caught.value.params["seconds"] == 20
    throttle.claim(1, 10, 200, 8, now=31.0)


def test_same_resource_same_channel_is_not_reposted_within_the_window():
    throttle = PostThrottle(member_cooldown=30, repost_window=600)
    throttle.claim(1, 10, 100, 7, now=0.0)
    with pytest.raises(UserError) as caught:
        throttle.claim(2, 10, 100, 7, now=5.0)
    assert caught.value.key == "resources.post.recently_posted"
    throttle.claim(2, 10, 101, 7, now=5.0)  # another channel
    throttle.claim(3, 10, 100, 7, now=601.0)  # the window is over


def test_a_failed_post_is_released():
    throttle = PostThrottle()
    throttle.claim(1, 10, 100, 7, now=0.0)
    throttle.release(1, 10, 100, 7)
    throttle.claim(1, 10, 100, 7, now=1.0)
