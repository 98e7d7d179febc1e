from __future__ import annotations

import asyncio

import discord
import pytest
from discord import app_commands

from bot.sandbox import DiscordDouble, DriverError


class Avis(discord.ui.Modal, title="Votre avis"):
    texte = discord.ui.TextInput(label="Avis", custom_id="avis-texte", max_length=200)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Merci : {self.texte.value}", ephemeral=True)


class Confirm(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)

    @discord.ui.button(label="Confirmer", custom_id="confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(
            content=f"Confirmé par {interaction.user.display_name}", view=None
        )

    @discord.ui.select(
        custom_id="theme",
        options=[
            discord.SelectOption(label="Emploi", value="emploi"),
            discord.SelectOption(label="Logement", value="logement"),
        ],
    )
    async def theme(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"Thème : {select.values[0]}", ephemeral=True)


def build_bot(make_bot, guild_id: int):
    bot = make_bot()
    guild = discord.Object(guild_id)
    ressource = app_commands.Group(name="ressource", description="Ressources partagées")

    @ressource.command(name="chercher", description="Chercher une ressource")
    @app_commands.describe(requete="Mots-clés")
    async def chercher(
        interaction: discord.Interaction, requete: str, limite: app_commands.Range[int, 1, 10] = 3
    ) -> None:
        await interaction.response.send_message(f"{limite} résultats pour « {requete} »")

    @chercher.autocomplete("requete")
    async def chercher_auto(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=x, value=x)
            for x in ("podcast", "poème", "livre")
            if x.startswith(current)
        ]

    @app_commands.command(name="secret", description="Réponse éphémère")
    async def secret(interaction: discord.Interaction, membre: discord.Member) -> None:
        await interaction.response.send_message(f"Psst {membre.display_name}", ephemeral=True)

    @app_commands.command(name="lent", description="Réponse différée")
    async def lent(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("Fini !")
        await interaction.followup.send("Et un second message")

    @app_commands.command(name="avis", description="Donner son avis")
    async def avis(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Avis())

    @app_commands.command(name="confirmer", description="Bouton")
    async def confirmer(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Confirmer ?", view=Confirm())

    @app_commands.command(name="edition", description="Différé éphémère puis édité")
    async def edition(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.edit_original_response(content="Modifié")
        original = await interaction.original_response()
        assert original.content == "Modifié"

    @app_commands.command(name="efface", description="Répond puis efface")
    async def efface(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("éphémère de courte durée")
        await interaction.delete_original_response()

    @app_commands.context_menu(name="Signaler")
    async def signaler(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"Signalé : {message.content}", ephemeral=True)

    @app_commands.context_menu(name="Profil")
    async def profil(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"Profil de {member.display_name}", ephemeral=True)

    for cmd in (ressource, secret, lent, avis, confirmer, edition, efface, signaler, profil):
        bot.tree.add_command(cmd, guild=guild)

    async def setup_hook() -> None:
        await bot.tree.sync(guild=guild)

    bot.setup_hook = setup_hook
    return bot


@pytest.fixture
async def bot(double: DiscordDouble, run_client, make_bot):
    return await run_client(build_bot(make_bot, double.guild.id))


async def test_commands_registered_by_bulk_overwrite(double: DiscordDouble, bot) -> None:
    assert double.command_syncs == 1
    names = sorted(c.name for c in double.driver.commands())
    assert names == [
        "Profil",
        "Signaler",
        "avis",
        "confirmer",
        "edition",
        "efface",
        "lent",
        "ressource",
        "secret",
    ]
    fetched = await bot.tree.fetch_commands(guild=discord.Object(double.guild.id))
    assert all(c.id for c in fetched)


async def test_slash_subcommand_plain_reply(double: DiscordDouble, bot) -> None:
    result = await double.driver.slash(
        "ines", "ressource chercher", requete="podcast", limite=5, channel="ressources"
    )
    await result.wait()
    assert result.type == 4 and not result.ephemeral
    assert result.content == "5 résultats pour « podcast »"
    assert double.driver.bot_messages("ressources")[-1].id == result.message_id


async def test_slash_rejects_unknown_option_and_command(double: DiscordDouble, bot) -> None:
    with pytest.raises(DriverError, match="no option 'query'"):
        await double.driver.slash("ines", "ressource chercher", query="podcast")
    with pytest.raises(DriverError, match="no registered command"):
        await double.driver.slash("ines", "inconnue")
    with pytest.raises(DriverError, match="above max_value"):
        await double.driver.slash("ines", "ressource chercher", requete="x", limite=50)


async def test_ephemeral_reply_is_private(double: DiscordDouble, bot) -> None:
    result = await (await double.driver.slash("sami", "secret", membre="lea")).wait()
    assert result.ephemeral and result.content == "Psst Léa"
    assert double.driver.bot_messages("accueil") == []
    assert [m.content for m in double.driver.ephemeral_messages("sami")] == ["Psst Léa"]
    assert not any(n == "MESSAGE_CREATE" and d.get("content") == "Psst Léa" for _, n, d in double.events)


async def test_deferred_then_followups(double: DiscordDouble, bot) -> None:
    result = await (await double.driver.slash("noah", "lent")).wait()
    assert result.type == 5 and result.loading
    first = await result.wait_followup()
    assert first.id == result.message_id and first.content == "Fini !"
    second = await result.wait_followup()
    assert second.content == "Et un second message" and second.id != first.id
    assert not result.loading


async def test_modal_then_submit(double: DiscordDouble, bot) -> None:
    opened = await (await double.driver.slash("lea", "avis")).wait()
    assert opened.type == 9 and opened.modal["title"] == "Votre avis"
    with pytest.raises(DriverError, match="no inputs"):
        await double.driver.submit_modal("lea", opened, {"avis-texte": "x", "nope": "x"})
    submitted = await (await double.driver.submit_modal("lea", opened, {"avis-texte": "Super"})).wait()
    assert submitted.content == "Merci : Super" and submitted.ephemeral


async def test_button_click_updates_message_and_select(double: DiscordDouble, bot) -> None:
    shown = await (await double.driver.slash("ines", "confirmer")).wait()
    clicked = await (await double.driver.click("sami", shown.message_id, "confirm")).wait()
    assert clicked.type == 7
    assert clicked.content == "Confirmé par Sami" and clicked.components == []
    with pytest.raises(DriverError, match="no component"):
        await double.driver.click("sami", shown.message_id, "confirm")
    again = await (await double.driver.slash("ines", "confirmer")).wait()
    chosen = await (await double.driver.select("ines", again.message_id, "theme", ["emploi"])).wait()
    assert chosen.content == "Thème : emploi"


async def test_autocomplete(double: DiscordDouble, bot) -> None:
    result = await (await double.driver.autocomplete("ines", "ressource chercher", "requete", "po")).wait()
    assert result.type == 8
    assert [c["value"] for c in result.choices] == ["podcast", "poème"]


async def test_context_menus(double: DiscordDouble, bot) -> None:
    msg = await double.driver.send_message("noah", "accueil", "message douteux")
    reported = await (await double.driver.message_context("ines", "Signaler", msg.id)).wait()
    assert reported.content == "Signalé : message douteux"
    profile = await (await double.driver.user_context("sami", "Profil", "lea")).wait()
    assert profile.content == "Profil de Léa"


async def test_second_callback_is_rejected(double: DiscordDouble, bot) -> None:
    result = await (await double.driver.slash("ines", "ressource chercher", requete="livre")).wait()
    rec = result.record
    route = discord.http.Route("POST", "/interactions/{i}/{t}/callback", i=rec.id, t=rec.token)
    with pytest.raises(discord.HTTPException) as info:
        await bot.http.request(route, json={"type": 4, "data": {"content": "encore"}})
    assert info.value.code == 40060


async def test_deferred_ephemeral_edit_original_and_delete(double: DiscordDouble, bot) -> None:
    result = await (await double.driver.slash("lea", "edition")).wait()
    edited = await result.wait_edit()
    assert edited.content == "Modifié" and result.ephemeral and not result.loading
    await double.driver.wait_for_request("GET", r"/messages/@original$")
    gone = await (await double.driver.slash("lea", "efface", channel="charte")).wait()
    await double.driver.wait_for_request("DELETE", r"/messages/@original$")
    assert gone.message.deleted and double.driver.bot_messages("charte") == []
    assert double.unknown_routes == [] and double.internal_errors == []
