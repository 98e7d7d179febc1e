"""Link validation and the normalisation table used to catch duplicate shares."""

from __future__ import annotations

import pytest

from bot.core.errors import UserError
from bot.core.urls import normalize_url, validate_http_url

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
