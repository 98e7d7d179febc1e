"""bot/ui/limits.py: any embed content comes out within every Discord limit, cut between words."""

from __future__ import annotations

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ui import limits

words = st.lists(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30), max_size=400
).map(" ".join)
long_text = st.one_of(words, st.text(min_size=0, max_size=5000))
non_empty = long_text.filter(lambda s: s.strip() != "")


def respects_every_limit(embeds: list[discord.Embed]) -> None:
    total = 0
    for embed in embeds:
        data = embed.to_dict()
        assert len(data.get("title", "")) <= limits.TITLE
        assert len(data.get("description", "")) <= limits.DESCRIPTION
        assert len(data.get("fields", [])) <= limits.FIELDS
        for field in data.get("fields", []):
            assert 1 <= len(field["name"]) <= limits.FIELD_NAME
            assert 1 <= len(field["value"]) <= limits.FIELD_VALUE
        assert len(data.get("footer", {}).get("text", "")) <= limits.FOOTER
        assert len(data.get("author", {}).get("name", "")) <= limits.AUTHOR
        total += len(embed)
    assert total <= limits.TOTAL


@st.composite
def embeds(draw) -> discord.Embed:
    embed = discord.Embed(title=draw(long_text) or None, description=draw(long_text) or None)
    for _ in range(draw(st.integers(0, 30))):
        embed.add_field(name=draw(non_empty), value=draw(non_empty), inline=draw(st.booleans()))
    if draw(st.booleans()):
        embed.set_footer(text=draw(long_text))
    if draw(st.booleans()):
        embed.set_author(name=draw(non_empty))
    return embed


@settings(max_examples=150, deadline=None)
@given(embeds())
def test_any_embed_is_made_to_fit(embed):
    respects_every_limit([limits.fit_embed(embed)])


@settings(max_examples=60, deadline=None)
@given(st.lists(embeds(), min_size=1, max_size=4))
def test_the_embeds_of_one_message_fit_together(many):
    respects_every_limit(limits.fit_embeds(many))


def test_cuts_fall_between_words_and_end_with_an_ellipsis():
    text = "Accompagner les personnes suivies par l'équipe mobile " * 40
    cut = limits.shorten(text, 1024)
    assert len(cut) <= 1024 and cut.endswith("…")
    assert text.startswith(cut[:-1]) and text[len(cut) - 1] == " "  # the next character was a space
    assert limits.shorten("court", 1024) == "court"


def test_a_small_embed_is_left_alone():
    embed = discord.Embed(title="Offre", description="Texte")
    embed.add_field(name="Contrat", value="CDD")
    before = embed.to_dict()
    assert limits.fit_embed(embed).to_dict() == before


def test_a_long_offer_keeps_its_short_fields_whole():
    embed = discord.Embed(title="Pair-aidant·e", description="Proposée par <@1>")
    embed.add_field(name="Contrat", value="CDD")
    for name in ("Missions", "Profil", "Candidater", "Points d'attention", "Offres semblables", "État"):
        embed.add_field(name=name, value="mot " * 255)
    embed.set_footer(text="Offre n° 12")
    limits.fit_embed(embed)
    assert len(embed) <= limits.TOTAL
    assert embed.fields[0].value == "CDD" and embed.footer.text == "Offre n° 12"
    assert any(f.value.endswith("…") for f in embed.fields[1:])
    assert [f.name for f in embed.fields][1:3] == ["Missions", "Profil"]


@settings(max_examples=150, deadline=None)
@given(long_text, st.integers(10, 3000))
def test_split_content_loses_nothing_and_fits(text, limit):
    chunks = limits.split_content(text, limit)
    assert all(len(c) <= limit for c in chunks)
    assert "".join("".join(c.split()) for c in chunks) == "".join(text.split())


@given(long_text)
def test_fit_content_fits_one_message(text):
    assert len(limits.fit_content(text)) <= limits.CONTENT
