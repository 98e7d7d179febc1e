"""The permission matrix: every moderation command × caller × target position × bot permission."""

from __future__ import annotations

import pytest

from bot.core.errors import NotAllowed
from bot.moderation import cases as m

OWNER = 1
BOT_ID = 2
ALL_BOT_PERMS = frozenset({"moderate_members", "kick_members", "ban_members", "manage_messages"})
BOT = m.Party(BOT_ID, top_position=50, permissions=ALL_BOT_PERMS)

CALLERS = {
    "newcomer": m.Party(10, top_position=0),
    "member": m.Party(11, top_position=5),
    "pair-aidant": m.Party(12, top_position=8),
    "moderator": m.Party(13, top_position=30, moderator_role=True),
    "administrator": m.Party(14, top_position=40, permissions=frozenset({"administrator"})),
}
OK = None
DENIED = "core.errors.moderators_only"
ABOVE = "moderation.errors.target_above_actor"
BOT_MISSING = "moderation.errors.bot_missing"

# Expected outcome for an authorised caller (moderator or administrator), per command and situation.
#   below / equal / above: the target's top role compared to the caller's
#   no_bot_perm: target below, but the bot lacks the permission the command needs
EXPECTED = {
    "avertir": {"below": OK, "equal": ABOVE, "above": ABOVE, "no_bot_perm": OK},
    "suspendre": {"below": OK, "equal": ABOVE, "above": ABOVE, "no_bot_perm": BOT_MISSING},
    "expulser": {"below": OK, "equal": ABOVE, "above": ABOVE, "no_bot_perm": BOT_MISSING},
    "bannir": {"below": OK, "equal": ABOVE, "above": ABOVE, "no_bot_perm": BOT_MISSING},
    "debannir": {"below": OK, "equal": OK, "above": OK, "no_bot_perm": BOT_MISSING},
    "lever": {"below": OK, "equal": OK, "above": OK, "no_bot_perm": OK},
    "dossier": {"below": OK, "equal": OK, "above": OK, "no_bot_perm": OK},
    "note": {"below": OK, "equal": OK, "above": OK, "no_bot_perm": OK},
    "recusation": {"below": OK, "equal": OK, "above": OK, "no_bot_perm": OK},
}
SITUATIONS = ("below", "equal", "above", "no_bot_perm")


def _target(caller: m.Party, situation: str) -> m.Party:
    offset = {"below": -3, "equal": 0, "above": 3, "no_bot_perm": -3}[situation]
    return m.Party(99, top_position=caller.top_position + offset)


def _outcome(command, caller, target, bot=BOT, **kw):
    try:
        m.authorize(command, caller, bot, owner_id=OWNER, target=target, **kw)
    except NotAllowed as refused:
        return refused.key
    return None


def test_matrix_covers_every_command():
    assert set(EXPECTED) == set(m.COMMAND_PERMISSIONS)


@pytest.mark.parametrize("command", sorted(EXPECTED))
@pytest.mark.parametrize("caller_name", sorted(CALLERS))
@pytest.mark.parametrize("situation", SITUATIONS)
def test_permission_matrix(command, caller_name, situation):
    caller = CALLERS[caller_name]
    target = _target(caller, situation)
    bot = BOT
    if situation == "no_bot_perm":
        bot = m.Party(BOT_ID, top_position=50, permissions=frozenset())
    outcome = _outcome(command, caller, target, bot)
    if caller_name in ("newcomer", "member", "pair-aidant"):
        assert outcome == DENIED  # whatever the target, nothing happens
    else:
        assert outcome == EXPECTED[command][situation]


@pytest.mark.parametrize("command", ["avertir", "suspendre", "expulser", "bannir"])
def test_owner_bot_and_self_are_never_targets(command):
    moderator = CALLERS["moderator"]
    owner = m.Party(OWNER, top_position=0)
    assert _outcome(command, moderator, owner) == "core.errors.target_is_owner"
    assert _outcome(command, moderator, m.Party(BOT_ID, 1)) == "core.errors.target_is_bot"
    assert _outcome(command, moderator, m.Party(moderator.id, 1)) == "core.errors.target_is_self"


@pytest.mark.parametrize("command", ["avertir", "suspendre", "expulser", "bannir"])
def test_target_at_or_above_the_bot_is_refused_even_for_the_owner(command):
    owner = m.Party(OWNER, top_position=60)
    assert _outcome(command, owner, m.Party(99, top_position=55)) == "moderation.errors.target_above_bot"
    assert _outcome(command, owner, m.Party(99, top_position=50)) == "moderation.errors.target_above_bot"
    assert _outcome(command, owner, m.Party(99, top_position=49)) is None


def test_caller_with_only_the_discord_permission_may_act():
    kicker = m.Party(20, top_position=20, permissions=frozenset({"kick_members"}))
    assert _outcome("expulser", kicker, m.Party(99, 5)) is None
    assert _outcome("bannir", kicker, m.Party(99, 5)) == DENIED


@pytest.mark.parametrize("command", sorted(EXPECTED))
def test_recused_moderator_cannot_act_on_the_member(command):
    outcome = _outcome(command, CALLERS["moderator"], m.Party(99, 1), recused=True)
    assert outcome == "moderation.errors.recused"


def test_lifting_a_ban_needs_the_bot_to_ban():
    no_ban = m.Party(BOT_ID, 50, frozenset({"moderate_members"}))
    assert _outcome("lever", CALLERS["moderator"], None, no_ban, bot_permission="ban_members") == BOT_MISSING
    assert _outcome("lever", CALLERS["moderator"], None, no_ban, bot_permission="moderate_members") is None


def test_the_bot_itself_acts_for_automatic_moderation():
    assert _outcome("avertir", BOT, m.Party(99, 5)) is None
    assert _outcome("suspendre", BOT, m.Party(99, 50)) == "moderation.errors.target_above_bot"
