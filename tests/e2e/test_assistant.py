"""/config assistant on the double: a guild with a public mod-log, the bot's role under « Membre » and
a deleted channel. The assistant fixes what it can after a confirmation, explains the rest, and a
second run changes nothing."""

from __future__ import annotations

import asyncio

import pytest

from bot.core import guild_config
from bot.sandbox.double import payloads
from bot.sandbox.double.driver import DriverError
from bot.sandbox.double.seed import BASE, ChannelSpec, MemberSpec, RoleSpec, seed_guild
from bot.sandbox.double.state import Channel, ChannelType, Overwrite, P
from bot.server_setup import diagnostic
from bot.server_setup import ui as setup_ui
from bot.services import CharterService
from tests.helpers import checked_sandbox, eventually, fr


def broken_seed():
    seed = seed_guild()
    positions = {"membre": 4, "moderation": 3, "pair-aidant": 2, "relais": 1}  # the bot under « Membre »
    for role in seed.roles:
        role.position = positions[role.key]
    for channel in seed.channels:
        if channel.key == "mod-log":
            channel.private_to = None  # everyone reads the moderation log
    return seed


@pytest.fixture
async def broken(tmp_path):
    async with checked_sandbox(tmp_path, environ={}, seed=broken_seed()) as running:
        driver = running.driver
        guild = driver.world.guilds[running.guild_id]
        gone = driver.channel("intervisions")
        del guild.channels[gone.id]
        await running.double.gateway.dispatch("CHANNEL_DELETE", payloads.channel(driver.world, gone))

        async def forgotten():
            return (await running.bot.guild_config(running.guild_id)).channel("intervisions") is None

        await eventually(forgotten)
        yield running


def shown(message) -> str:
    """What the member reads: the text and the embeds."""
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or ""]
    return "\n".join(parts)


def overwrite(channel, target_id: int):
    return next((o for o in channel.overwrites if o.id == target_id), None)


def guild_channels(sandbox):
    return dict(sandbox.driver.world.guilds[sandbox.guild_id].channels)


async def test_the_assistant_fixes_what_it_can_and_a_second_run_changes_nothing(broken):
    driver, bot = broken.driver, broken.bot
    before = guild_channels(broken)

    opened = await (await driver.slash("camille", "config assistant")).wait()
    assert opened.ephemeral
    assert "Étape 1/1 — Intervisions" in opened.content and "réservé aux pair-aidant·es" in opened.content
    select = opened.components[0]["components"][0]
    options = select["options"]
    assert len(options) <= 25
    assert options[0]["value"] == "create" and options[0]["label"] == "Créer #intervisions"
    assert options[0].get("default") is True

    # Someone else cannot use the owner's assistant: Discord shows it to the owner only.
    with pytest.raises(DriverError):
        await driver.click("sami", opened.message_id, "relais:assistant:next")

    confirmation = await (await driver.click("camille", opened.message_id, "relais:assistant:next")).wait()
    text = shown(driver.message_obj(opened.message_id))
    assert confirmation.type == 7
    assert "Voici exactement ce que je vais faire" in text
    assert "Créer le salon #intervisions" in text
    mod_log = driver.channel("mod-log")
    assert f"Corriger les permissions de <#{mod_log.id}>" in text
    assert fr("@everyone : ✗ Voir le salon") in text
    assert "Publier la charte" in text
    assert "faites glisser le rôle Relais au-dessus de Membre" in text
    assert guild_channels(broken).keys() == before.keys()  # nothing done before « Confirmer »

    confirmed = await driver.click("camille", opened.message_id, "relais:assistant:confirm")
    summary = await confirmed.wait_followup(timeout=10)
    assert summary.ephemeral
    assert "Salon <#" in summary.content and "Charte publiée" in summary.content
    by_hand = "Paramètres du serveur → Rôles, faites glisser le rôle Relais au-dessus de Membre"
    assert by_hand in summary.content

    # A private intervisions channel for pair-aidants, mapped.
    config = await bot.guild_config(broken.guild_id)
    created = driver.channel(config.channel("intervisions"))
    assert created.name == "intervisions" and created.id not in before
    assert overwrite(created, broken.guild_id).deny & P.VIEW_CHANNEL
    pairs = overwrite(created, driver.role_id("pair-aidant"))
    assert pairs.allow & P.VIEW_CHANNEL and pairs.allow & P.SEND_MESSAGES_IN_THREADS
    me = overwrite(created, driver.user_id("relais"))
    assert me.allow & P.VIEW_CHANNEL and me.allow & P.MANAGE_THREADS
    # The moderation log is private now, still readable by moderators and the bot.
    mod_log = driver.channel("mod-log")
    assert overwrite(mod_log, broken.guild_id).deny & P.VIEW_CHANNEL
    assert overwrite(mod_log, driver.role_id("moderation")).allow & P.VIEW_CHANNEL
    assert overwrite(mod_log, driver.user_id("relais")).allow & P.SEND_MESSAGES
    # The charter is posted in the charter channel, and nobody but the bot writes there now.
    charter_posts = driver.bot_messages("charte")
    assert charter_posts and charter_posts[-1].components
    assert overwrite(driver.channel("charte"), broken.guild_id).deny & P.SEND_MESSAGES
    assert config.channel("modlog") == mod_log.id  # mappings kept
    # The diagnostic agrees: the only ❌ left is the one the bot cannot fix itself.
    guild = bot.get_guild(broken.guild_id)
    charter = bot.services.get(CharterService)
    report = diagnostic.diagnose(
        setup_ui.snapshot_from_guild(guild, config),
        diagnostic.ExtraFacts(charter=await charter.status(broken.guild_id)),
    )
    assert [(f.key, f.subject) for f in report.errors] == [("role_above_bot", "membre")]

    # Second run: nothing proposed, nothing created; the step by hand is still explained.
    after_first = guild_channels(broken)
    posts = len(driver.bot_messages("charte"))
    again = await (await driver.slash("camille", "config assistant")).wait()
    assert again.ephemeral and again.content.startswith("✅ Tout est en place de mon côté")
    assert not again.components
    assert "faites glisser le rôle Relais au-dessus de Membre" in again.content
    assert guild_channels(broken).keys() == after_first.keys()
    assert len(driver.bot_messages("charte")) == posts


async def test_roles_and_channels_of_an_unconfigured_guild_are_created_or_mapped(unconfigured_sandbox):
    sandbox = unconfigured_sandbox
    driver = sandbox.driver
    opened = await (await driver.slash("camille", "config assistant")).wait()
    message = opened.message_id
    shown_first = opened.content
    steps = 0
    while "relais:assistant:next" in str(driver.message_obj(message).components):
        content = driver.message_obj(message).content
        steps += 1
        if "Pair-aidant·e**" in content:
            # Create this role rather than use the existing « Pair-aidant ».
            await (await driver.select("camille", message, "relais:assistant:pick", ["create"])).wait()
        if "Accueil**" in content:
            await (await driver.click("camille", message, "relais:assistant:skip")).wait()
            continue
        await (await driver.click("camille", message, "relais:assistant:next")).wait()
    assert steps == 10  # moderation and pair_aidant roles, then the 8 channels
    assert fr("Seuls les rôles placés sous le mien (« Relais »)") in shown_first
    text = shown(driver.message_obj(message))
    assert fr("Créer le rôle « Pair-aidant·e »") in text and "sans aucune permission" in text
    assert "Accueil" not in text  # skipped

    confirmed = await driver.click("camille", message, "relais:assistant:confirm")
    summary = await confirmed.wait_followup(timeout=10)
    assert "Il n'a aucune permission" in summary.content
    config = await sandbox.bot.guild_config(sandbox.guild_id)
    guild = driver.world.guilds[sandbox.guild_id]
    created_role = guild.roles[config.role("pair_aidant")]
    assert created_role.name == "Pair-aidant·e" and created_role.permissions == 0
    # Existing channels with Relais's own names were suggested and used, not duplicated.
    assert config.channel("signalements") == driver.channel("signalements").id
    assert config.channel("ressources") == driver.channel("ressources").id
    assert config.role("moderation") == driver.role_id("moderation")
    assert config.channel("accueil") is None
    names = [c.name for c in guild.channels.values()]
    assert len(names) == len(set(names))

    # The existing #charte was chosen, and made read-only in the same run.
    assert "Corriger les permissions de <#" in text
    assert overwrite(guild.channels[config.channel("charte")], sandbox.guild_id).deny & P.SEND_MESSAGES

    bot = sandbox.bot
    report = diagnostic.diagnose(
        setup_ui.snapshot_from_guild(bot.get_guild(sandbox.guild_id), config),
        diagnostic.ExtraFacts(charter=await bot.services.get(CharterService).status(sandbox.guild_id)),
    )
    # The diagnostic agrees: only the skipped channel is missing.
    assert [(f.key, f.subject) for f in report.errors] == [("channel_unset", "accueil")]

    # Skipped steps come back; nothing else is proposed.
    again = await (await driver.slash("camille", "config assistant")).wait()
    assert "Étape 1/1 — Accueil" in again.content
    await (await driver.click("camille", again.message_id, "relais:assistant:skip")).wait()
    assert "Vous avez tout passé" in driver.message_obj(again.message_id).content
    assert not driver.message_obj(again.message_id).components


async def test_people_without_manage_server_are_refused(sandbox):
    driver = sandbox.driver
    refused = await (await driver.slash("sami", "config assistant")).wait()
    assert refused.ephemeral and "réservée" in refused.content
    assert not refused.components
    db_config = await guild_config.get(sandbox.bot.db, sandbox.guild_id)
    assert db_config.channel("modlog") == driver.channel("mod-log").id


async def test_a_double_click_creates_nothing_twice(broken):
    driver = broken.driver
    opened = await (await driver.slash("camille", "config assistant")).wait()
    await (await driver.click("camille", opened.message_id, "relais:assistant:next")).wait()
    # Both clicks leave before the bot answers either (a double click on a slow connection).
    first, second = await asyncio.gather(
        driver.click("camille", opened.message_id, "relais:assistant:confirm"),
        driver.click("camille", opened.message_id, "relais:assistant:confirm"),
    )
    await first.wait(timeout=10)
    await second.wait(timeout=10)
    await asyncio.sleep(0.5)
    guild = driver.world.guilds[broken.guild_id]
    assert len([c for c in guild.channels.values() if c.name == "intervisions"]) == 1
    # One publication: one « J'accepte » button (the charter itself takes several messages).
    assert len([m for m in driver.bot_messages("charte") if m.components]) == 1
    answers = [m.content for r in (first, second) for m in r.followups] + [
        r.content for r in (first, second) if r.type == 4
    ]
    assert any("déjà fait" in (text or "") for text in answers)


async def test_a_channel_left_by_an_interrupted_run_is_reused(broken):
    driver = broken.driver
    opened = await (await driver.slash("camille", "config assistant")).wait()
    await (await driver.click("camille", opened.message_id, "relais:assistant:next")).wait()
    # A previous confirmation created the channel, then the bot stopped before recording it.
    guild = driver.world.guilds[broken.guild_id]
    bot_allow = P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS | P.READ_MESSAGE_HISTORY
    bot_allow |= P.CREATE_PRIVATE_THREADS | P.SEND_MESSAGES_IN_THREADS | P.MANAGE_THREADS
    pairs_allow = P.VIEW_CHANNEL | P.SEND_MESSAGES_IN_THREADS | P.READ_MESSAGE_HISTORY
    leftover = Channel(
        id=driver.world.next_id(),
        type=ChannelType.GUILD_TEXT,
        name="intervisions",
        guild_id=guild.id,
        position=len(guild.channels),
        overwrites=[
            Overwrite(guild.id, 0, 0, P.VIEW_CHANNEL),
            Overwrite(driver.role_id("pair-aidant"), 0, pairs_allow, 0),
            Overwrite(driver.user_id("relais"), 1, bot_allow, 0),
        ],
    )
    guild.channels[leftover.id] = leftover
    await driver.d.ops.emit_channel("CHANNEL_CREATE", leftover)
    await eventually(lambda: broken.bot.get_channel(leftover.id))

    confirmed = await driver.click("camille", opened.message_id, "relais:assistant:confirm")
    summary = await confirmed.wait_followup(timeout=10)
    assert f"<#{leftover.id}>" in summary.content
    assert [c.id for c in guild.channels.values() if c.name == "intervisions"] == [leftover.id]
    assert (await broken.bot.guild_config(broken.guild_id)).channel("intervisions") == leftover.id


def managers_seed():
    seed = seed_guild()
    for role in seed.roles:
        if role.key == "relais":
            role.position = 10
    seed.roles.append(RoleSpec("gestion", BASE + 290, "Gestion", 6, P.MANAGE_GUILD))
    seed.members += [
        # « Gérer le serveur » alone: may open the assistant, holds no moderation power.
        MemberSpec("alex", BASE + 390, "alex", "Alex", ["gestion", "membre"]),
        MemberSpec("morgan", BASE + 391, "morgan", "Morgan", ["gestion", "moderation", "membre"]),
    ]
    return seed


@pytest.fixture
async def managers(tmp_path):
    async with checked_sandbox(tmp_path, environ={}, configure=False, seed=managers_seed()) as running:
        yield running


async def open_and_accept_suggestions(driver, who: str) -> int:
    opened = await (await driver.slash(who, "config assistant")).wait()
    message = opened.message_id
    while "relais:assistant:next" in str(driver.message_obj(message).components):
        await (await driver.click(who, message, "relais:assistant:next")).wait()
    return message


async def test_confirming_rechecks_the_clicker_as_config_does(managers):
    driver = managers.driver
    guild = driver.world.guilds[managers.guild_id]
    channels_before = set(guild.channels)

    # Manage Server alone cannot choose the moderation role or the private channels.
    message = await open_and_accept_suggestions(driver, "alex")
    refused = await (await driver.click("alex", message, "relais:assistant:confirm")).wait()
    assert refused.ephemeral and "permissions de modération" in refused.content
    config = await managers.bot.guild_config(managers.guild_id)
    assert not config.channels and not config.roles and set(guild.channels) == channels_before

    # Manage Server taken away between opening the assistant and confirming.
    message = await open_and_accept_suggestions(driver, "morgan")
    guild.members[driver.user_id("morgan")].roles.remove(driver.role_id("gestion"))
    refused = await (await driver.click("morgan", message, "relais:assistant:confirm")).wait()
    assert refused.ephemeral and "réservée" in refused.content
    config = await managers.bot.guild_config(managers.guild_id)
    assert not config.channels and not config.roles and set(guild.channels) == channels_before

    # Given back, the same confirmation goes through.
    guild.members[driver.user_id("morgan")].roles.append(driver.role_id("gestion"))
    done = await driver.click("morgan", message, "relais:assistant:confirm")
    summary = await done.wait_followup(timeout=10)
    assert "C'est fait" in summary.content
    config = await managers.bot.guild_config(managers.guild_id)
    assert config.role("moderation") == driver.role_id("moderation")
    assert config.channel("signalements") == driver.channel("signalements").id


def crowded_seed():
    seed = seed_guild()
    seed.channels += [ChannelSpec(f"salon-{n:02d}", BASE + 500 + n, f"salon-{n:02d}") for n in range(30)]
    return seed


@pytest.fixture
async def crowded(tmp_path):
    async with checked_sandbox(tmp_path, environ={}, seed=crowded_seed()) as running:
        db = running.bot.db
        await guild_config.forget_channel(db, running.guild_id, running.driver.channel("ressources").id)
        yield running


async def test_a_long_list_stops_at_25_options_and_cancel_changes_nothing(crowded):
    driver = crowded.driver
    before = guild_channels(crowded)
    opened = await (await driver.slash("camille", "config assistant")).wait()
    assert "Étape 1/1 — Ressources partagées" in opened.content
    assert "La liste s'arrête à 25" in opened.content
    options = opened.components[0]["components"][0]["options"]
    assert len(options) == 25
    assert options[0]["value"] == "create" and not options[0].get("default")
    # The existing #ressources is suggested: choosing it is one click on « Suivant ».
    assert options[1]["label"] == "#ressources" and options[1]["default"] is True
    buttons = [c["custom_id"] for c in opened.components[1]["components"]]
    assert buttons == ["relais:assistant:skip", "relais:assistant:next", "relais:assistant:cancel"]

    picked = await driver.select("camille", opened.message_id, "relais:assistant:pick", ["create"])
    await picked.wait()
    options = driver.message_obj(opened.message_id).components[0]["components"][0]["options"]
    assert options[0].get("default") is True and not options[1].get("default")

    cancelled = await (await driver.click("camille", opened.message_id, "relais:assistant:cancel")).wait()
    assert cancelled.type == 7
    message = driver.message_obj(opened.message_id)
    assert "je ne change rien" in message.content and not message.components and not message.embeds
    assert guild_channels(crowded).keys() == before.keys()
    config = await crowded.bot.guild_config(crowded.guild_id)
    assert config.channel("ressources") is None


@pytest.fixture
async def without_charter(tmp_path):
    environ = {"RELAIS_COGS__ENABLED": "[admin, moderation, intervisions]"}
    async with checked_sandbox(tmp_path, environ=environ, seed=broken_seed()) as running:
        yield running


async def test_without_the_charter_capability_publishing_is_skipped_with_a_word(without_charter):
    driver = without_charter.driver
    opened = await (await driver.slash("camille", "config assistant")).wait()
    # Only what enabled capabilities use: the public mod-log, nothing about the charter or resources.
    assert opened.embeds and f"<#{driver.channel('mod-log').id}>" in opened.embeds[0]["description"]
    assert "charte" not in opened.embeds[0]["description"].lower()
    confirmed = await driver.click("camille", opened.message_id, "relais:assistant:confirm")
    summary = await confirmed.wait_followup(timeout=10)
    assert "La charte n'est pas activée sur ce Relais" in summary.content
    assert driver.bot_messages("charte") == []
    again = await (await driver.slash("camille", "config assistant")).wait()
    assert again.content.startswith("✅ Tout est en place")


def powerless_seed():
    seed = broken_seed()
    for role in seed.roles:
        if role.key == "relais":
            role.permissions &= ~(P.MANAGE_CHANNELS | P.MANAGE_ROLES)
    return seed


@pytest.fixture
async def powerless(tmp_path):
    async with checked_sandbox(tmp_path, environ={}, seed=powerless_seed()) as running:
        yield running


async def test_without_manage_channels_and_roles_the_fixes_are_explained_by_hand(powerless):
    driver = powerless.driver
    mod_log = driver.channel("mod-log")
    overwrites_before = list(mod_log.overwrites)
    opened = await (await driver.slash("camille", "config assistant")).wait()
    text = shown(driver.message_obj(opened.message_id))
    assert fr("Il me manque « Gérer les salons », « Gérer les rôles »") in text
    assert fr("#mod-log : tout le monde peut le lire alors qu'il doit être privé") in text
    assert "Corriger les permissions" not in text  # never proposed what it cannot do
    assert "Publier la charte" in text
    confirmed = await driver.click("camille", opened.message_id, "relais:assistant:confirm")
    summary = await confirmed.wait_followup(timeout=10)
    assert "Charte publiée" in summary.content and "Clic droit sur le salon" in summary.content
    assert driver.channel("mod-log").overwrites == overwrites_before


async def diagnose_as_text(sandbox) -> tuple[diagnostic.Report, str]:
    """What `/config diagnostic` finds on the guild, as plain text (the closing notes quote it)."""
    guild = sandbox.bot.get_guild(sandbox.guild_id)
    _, report = await sandbox.bot.cogs["Admin"].diagnose(guild, read_feeds=True)
    return report, diagnostic.render_text(report, sandbox.bot.texts(sandbox.guild_id))


def identities(findings) -> set[str]:
    return {f.identity for f in findings}


def by_hand(text: str) -> str:
    """The « À faire à la main » part of what the assistant says."""
    title = "À faire à la main"
    assert title in text, text
    return text[text.index(title) :]


async def test_the_sandbox_guild_before_and_after_the_assistant(sandbox):
    """The seeded, configured guild (start-up summary off) as `relais sandbox` sets it up: the
    diagnostic before and after `/config assistant` taken as proposed. Run with `-s` to read both."""
    driver = sandbox.driver
    before, before_text = await diagnose_as_text(sandbox)
    print("\n--- before /config assistant ---\n" + before_text)
    assert identities(before.errors) == {"charter_never_published:charter"}
    assert identities(before.warnings) == {
        "channel_not_read_only:charte",
        "intervisions_public:intervisions",
        "channel_not_gated:ressources",
        "channel_not_gated:offres",
        "crisis_lines_stale:crisis_lines",
    }

    opened = await (await driver.slash("camille", "config assistant")).wait()
    message = opened.message_id
    # Every channel and role is chosen already: take each step's proposal, if any, then confirm.
    while "relais:assistant:next" in str(driver.message_obj(message).components):
        await (await driver.click("camille", message, "relais:assistant:next")).wait()
    proposed = shown(driver.message_obj(message))
    assert f"Corriger les permissions de <#{driver.channel('charte').id}>" in proposed
    assert f"Corriger les permissions de <#{driver.channel('intervisions').id}>" in proposed
    assert "Publier la charte" in proposed
    confirmed = await driver.click("camille", message, "relais:assistant:confirm")
    summary = (await confirmed.wait_followup(timeout=10)).content
    print("\n--- the assistant's summary ---\n" + summary)

    after, after_text = await diagnose_as_text(sandbox)
    print("\n--- after /config assistant ---\n" + after_text)
    # No ❌ left; the ⚠️ the assistant fixed are gone: #charte is read-only, #intervisions private.
    assert after.errors == ()
    assert overwrite(driver.channel("charte"), sandbox.guild_id).deny & P.SEND_MESSAGES
    assert overwrite(driver.channel("intervisions"), sandbox.guild_id).deny & P.VIEW_CHANNEL
    assert fr("✅ Charte : #charte, tout est en ordre.") in after_text
    assert fr("✅ Intervisions : #intervisions, tout est en ordre.") in after_text
    # What remains is what the assistant left to a person, and it said so, one line each.
    remaining = {f.subject for f in after.findings if f.level is not diagnostic.Level.OK}
    named_as = {
        "ressources": "#ressources ",
        "offres": "#offres-emploi ",
        "crisis_lines": "crisis_lines.yaml",
    }
    assert remaining == named_as.keys()
    for text in named_as.values():
        assert text in by_hand(summary)

    # A second run proposes nothing, changes nothing, and lists the same things to do by hand.
    channels, posts = guild_channels(sandbox), len(driver.bot_messages("charte"))
    again = await (await driver.slash("camille", "config assistant")).wait()
    print("\n--- /config assistant again ---\n" + again.content)
    assert again.content.startswith("✅ Tout est en place de mon côté") and not again.components
    assert by_hand(again.content) == by_hand(summary)
    assert guild_channels(sandbox).keys() == channels.keys() and len(driver.bot_messages("charte")) == posts
    assert identities((await diagnose_as_text(sandbox))[0].findings) == identities(after.findings)


async def set_overwrite(sandbox, key: str, target_id: int, allow: int = 0, deny: int = 0) -> None:
    """An administrator edits a channel's permissions for a role (@everyone's id is the guild's) or
    for the bot's own member."""
    channel = sandbox.driver.channel(key)
    kind = 1 if target_id == sandbox.driver.user_id("relais") else 0
    channel.overwrites = [o for o in channel.overwrites if o.id != target_id]
    channel.overwrites.append(Overwrite(target_id, kind, allow, deny))
    await sandbox.double.ops.emit_channel("CHANNEL_UPDATE", channel)

    def seen():
        cached = sandbox.bot.get_channel(channel.id)
        found = [o for o in cached._overwrites if o.id == target_id]
        return found and found[0].allow == allow and found[0].deny == deny

    await eventually(seen)


async def test_channels_locked_against_their_own_people_are_fixed_as_the_diagnostic_asks(sandbox):
    driver = sandbox.driver
    everyone, me = sandbox.guild_id, driver.user_id("relais")
    await set_overwrite(sandbox, "mod-log", driver.role_id("moderation"), deny=P.VIEW_CHANNEL)
    # Hidden from @everyone, the bot let in, but not the people the channel is for.
    for key in ("ressources", "intervisions", "accueil"):
        await set_overwrite(sandbox, key, me, allow=P.VIEW_CHANNEL)
        await set_overwrite(sandbox, key, everyone, deny=P.VIEW_CHANNEL)
    await set_overwrite(sandbox, "charte", everyone, deny=P.SEND_MESSAGES)
    await set_overwrite(sandbox, "charte", driver.role_id("membre"), allow=P.SEND_MESSAGES)
    # Hidden from everyone, the bot included: Discord will not let it change anything there.
    await set_overwrite(sandbox, "offres-emploi", everyone, deny=P.VIEW_CHANNEL)
    before, _ = await diagnose_as_text(sandbox)
    assert {
        "moderators_cannot_read:modlog",
        "members_cannot_read:ressources",
        "pair_aidants_cannot_use:intervisions",
        "everyone_cannot_read:accueil",
        "channel_not_read_only:charte",
        "members_cannot_read:offres",
        "bot_permissions_missing:offres",
    } <= identities(before.findings)

    opened = await (await driver.slash("camille", "config assistant")).wait()
    proposed = shown(driver.message_obj(opened.message_id))
    for key in ("mod-log", "ressources", "intervisions", "accueil", "charte"):
        assert f"Corriger les permissions de <#{driver.channel(key).id}>" in proposed
    assert fr("Membre : ✗ Envoyer des messages") in proposed  # #charte: the role that let members write
    # Never proposed what Discord would refuse; said what to do instead.
    assert f"<#{driver.channel('offres-emploi').id}>" not in proposed
    assert fr("#offres-emploi : je ne peux pas voir ce salon") in by_hand(proposed)
    confirmed = await driver.click("camille", opened.message_id, "relais:assistant:confirm")
    summary = (await confirmed.wait_followup(timeout=10)).content
    assert "Discord a refusé" not in summary

    after, text = await diagnose_as_text(sandbox)
    # The only ❌ left are those of the channel the bot cannot see, which it listed by hand.
    assert {f.subject for f in after.errors} == {"offres"}, text
    assert fr("#offres-emploi : je ne peux pas voir ce salon") in by_hand(summary)
    fixed = identities(before.findings) - identities(after.findings)
    assert {
        "moderators_cannot_read:modlog",
        "members_cannot_read:ressources",
        "pair_aidants_cannot_use:intervisions",
        "everyone_cannot_read:accueil",
        "channel_not_read_only:charte",
    } <= fixed
    assert overwrite(driver.channel("accueil"), everyone).allow & P.VIEW_CHANNEL
    assert overwrite(driver.channel("charte"), driver.role_id("membre")).deny & P.SEND_MESSAGES

    # Once a person lets the bot in, the next run fixes the rest.
    await set_overwrite(sandbox, "offres-emploi", me, allow=P.VIEW_CHANNEL)
    again = await (await driver.slash("camille", "config assistant")).wait()
    assert f"Corriger les permissions de <#{driver.channel('offres-emploi').id}>" in shown(again)
    confirmed = await driver.click("camille", again.message_id, "relais:assistant:confirm")
    await confirmed.wait_followup(timeout=10)
    assert (await diagnose_as_text(sandbox))[0].errors == ()
    third = await (await driver.slash("camille", "config assistant")).wait()
    assert third.content.startswith("✅ Tout est en place de mon côté") and not third.components


def unable_to_ban_seed():
    seed = seed_guild()
    for role in seed.roles:
        if role.key == "relais":
            role.permissions &= ~P.BAN_MEMBERS
    return seed


@pytest.fixture
async def unable_to_ban(tmp_path):
    async with checked_sandbox(tmp_path, environ={}, seed=unable_to_ban_seed()) as running:
        yield running


async def test_a_guild_permission_the_bot_lacks_is_named_by_the_assistant_as_by_the_diagnostic(unable_to_ban):
    report, _ = await diagnose_as_text(unable_to_ban)
    assert "bot_cannot_moderate:guild_permissions" in identities(report.warnings)
    opened = await (await unable_to_ban.driver.slash("camille", "config assistant")).wait()
    assert fr("Il me manque « Bannir des membres » sur le serveur") in by_hand(opened.content)
    assert fr("Paramètres du serveur → Rôles → Relais : activez ces permissions.") in opened.content
