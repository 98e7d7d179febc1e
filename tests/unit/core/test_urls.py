"""Link validation and the normalisation table used to catch duplicate shares."""

from __future__ import annotations

import pytest

from bot.core.errors import UserError
from bot.core.urls import markdown_safe, normalize_url, validate_http_url

NORMALISATION = [
    # (as pasted, canonical form)
    ("https://example.org", "https://example.org/"),
    ("https://example.org/", "https://example.org/"),
    ("https://EXAMPLE.org/Page", "https://example.org/Page"),  # host folded, path kept
    ("https://example.org/page/", "https://example.org/page"),
    ("https://example.org/page#section", "https://example.org/page"),
    ("http://example.org/page", "https://example.org/page"),
    ("https://www.example.org/page", "https://example.org/page"),
    ("https://example.org:443/page", "https://example.org/page"),
    ("http://example.org:80/page", "https://example.org/page"),
    ("https://example.org:8443/page", "https://example.org:8443/page"),
    ("https://example.org/page?utm_source=fb&utm_medium=social", "https://example.org/page"),
    ("https://example.org/page?fbclid=IwAR0abc", "https://example.org/page"),
    ("https://example.org/page?gclid=xyz&id=3", "https://example.org/page?id=3"),
    ("https://example.org/page?UTM_Campaign=x", "https://example.org/page"),
    ("https://example.org/page?b=2&a=1", "https://example.org/page?a=1&b=2"),
    ("https://example.org/page?a=1&utm_term=x&b=2#top", "https://example.org/page?a=1&b=2"),
    ("https://example.org//double//slash/", "https://example.org/double/slash"),
    ("https://example.org/caf%C3%A9", "https://example.org/caf%C3%A9"),
    ("https://example.org/café", "https://example.org/caf%C3%A9"),
    ("https://exämple.org/", "https://xn--exmple-cua.org/"),
    ("https://example.org./page", "https://example.org/page"),
    ("  https://example.org/page  ", "https://example.org/page"),
    ("https://example.org/search?q=pair+aidance", "https://example.org/search?q=pair+aidance"),
    ("https://example.org/page?empty=", "https://example.org/page?empty="),
    ("https://example.org/page?mc_cid=1&mc_eid=2&igshid=3", "https://example.org/page"),
]


@pytest.mark.parametrize(("pasted", "canonical"), NORMALISATION)
def test_normalisation_table(pasted, canonical):
    assert normalize_url(validate_http_url(pasted)) == canonical


def test_equivalent_links_compare_equal():
    variants = [
        "https://pat.support/offres/",
        "http://PAT.support/offres?utm_source=newsletter",
        "https://www.pat.support/offres#liste",
        "https://pat.support:443/offres?fbclid=abc",
    ]
    assert len({normalize_url(validate_http_url(v)) for v in variants}) == 1


def test_different_pages_stay_different():
    assert normalize_url("https://example.org/a") != normalize_url("https://example.org/b")
    assert normalize_url("https://example.org/p?id=1") != normalize_url("https://example.org/p?id=2")
    assert normalize_url("https://example.org/Page") != normalize_url("https://example.org/page")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "core.links.empty"),
        ("   ", "core.links.empty"),
        ("pas un lien", "core.links.invalid"),
        ("example.org/page", "core.links.invalid"),
        ("javascript:alert(1)", "core.links.bad_scheme"),
        ("JavaScript:alert(1)", "core.links.bad_scheme"),
        ("data:text/html;base64,PHNjcmlwdD4=", "core.links.bad_scheme"),
        ("ftp://example.org/file", "core.links.bad_scheme"),
        ("file:///etc/passwd", "core.links.bad_scheme"),
        ("https://", "core.links.invalid"),
        ("https://exa mple.org", "core.links.invalid"),
        ("https://example.org:99999/", "core.links.invalid"),
        ("https://intranet/", "core.links.invalid"),
        ("https://example.org/" + "a" * 3000, "core.links.too_long"),
    ],
)
def test_refused_links(text, key):
    with pytest.raises(UserError) as caught:
        validate_http_url(text)
    assert caught.value.key == key


def test_angle_brackets_from_discord_are_accepted():
    assert validate_http_url("<https://example.org/page>") == "https://example.org/page"


MARKDOWN_PAYLOAD = "https://example.org/a)**[Mot\u2800de\u2800passe](https://evil.example/login)**"


@pytest.mark.parametrize(
    "text",
    [
        MARKDOWN_PAYLOAD,
        "https://example.org/a\u200b",  # zero-width space
        "https://example.org/\u3164",  # Hangul filler, looks blank
        "https://example.org/a\u2060b",  # word joiner
        "https://example.org/\u202eevil",  # right-to-left override
    ],
)
def test_invisible_and_blank_lookalike_characters_are_refused(text):
    with pytest.raises(UserError) as caught:
        validate_http_url(text)
    assert caught.value.key == "core.links.hidden_characters"


@pytest.mark.parametrize(
    "text", ["https://example.org/a b", "https://example.org/a\u00a0b", "https://example.org/a\tb"]
)
def test_spaces_are_refused(text):
    with pytest.raises(UserError) as caught:
        validate_http_url(text)
    assert caught.value.key == "core.links.invalid"


def test_markdown_link_breakers_are_percent_encoded_after_the_host():
    url = validate_http_url("https://example.org/a)**[Mot](https://evil.example/login)**")
    assert url == "https://example.org/a%29%2A%2A%5BMot%5D%28https://evil.example/login%29%2A%2A"
    assert not set("()[]<>*`") & set(url)
    rendered = f"[titre]({url})"
    assert rendered.count("](") == 1 and rendered.endswith(")") and rendered.count(")") == 1


def test_encoding_keeps_the_same_page_for_duplicates():
    wiki = validate_http_url("https://fr.wikipedia.org/wiki/Pair-aidance_(santé)?q=[1]#note*")
    assert wiki == "https://fr.wikipedia.org/wiki/Pair-aidance_%28santé%29?q=%5B1%5D#note%2A"
    assert normalize_url(wiki) == normalize_url("https://fr.wikipedia.org/wiki/Pair-aidance_(santé)?q=[1]")
    assert validate_http_url("http://[::1]:8080/a(b)") == "http://[::1]:8080/a%28b%29"


@pytest.mark.parametrize(
    "text", ["https://exam*ple.org/", "https://user)@example.org/", "https://a`b.example.org/"]
)
def test_markdown_characters_in_the_host_are_refused(text):
    with pytest.raises(UserError) as caught:
        validate_http_url(text)
    assert caught.value.key == "core.links.invalid"


def test_markdown_safe_neutralises_links_stored_before():
    shown = markdown_safe(MARKDOWN_PAYLOAD)
    assert not set("()[]*\u2800") & set(shown)
    assert shown.startswith("https://example.org/a%29%2A%2A%5BMot")
