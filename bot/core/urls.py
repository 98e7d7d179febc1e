"""Links as members paste them: validation (http/https only) and normalisation for comparison.

Two links that lead to the same page must compare equal, so duplicates are caught: the host is
lower-cased, the default port, the fragment and tracking parameters are dropped, the query is
sorted and the trailing slash unified. The normalised form is for comparison only; the link the
member shared is what gets displayed.

A link is shown inside Markdown (« [titre](lien) » in lists and the weekly digest), so it must not
be able to close that link and open another: characters that break Markdown link syntax are
percent-encoded in the path, query and fragment (the page stays the same), and invisible or
blank look-alike characters (U+2800 braille blank, zero-width spaces…) are refused.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from bot.core.errors import UserError

MAX_URL_LENGTH = 2048
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "si",
        "spm",
        "trk",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
DEFAULT_PORTS = {"http": 80, "https": 443}
# Closing or opening a Markdown link, styling, spoilers or escapes: encoded wherever they appear
# after the host, so the link a member pasted stays one link whatever it contains.
MARKDOWN_UNSAFE = {ch: f"%{ord(ch):02X}" for ch in '()[]<>*`|\\{}"^'}
# Characters that look blank but are not Unicode spaces: they forge « Mot de passe » texts.
BLANK_LOOKALIKES = frozenset("\u2800\u3164\u115f\u1160\uffa0\u180e\u17b4\u17b5")


def _is_hidden(ch: str) -> bool:
    """Invisible (format, private use, separators) or a blank look-alike."""
    return ch in BLANK_LOOKALIKES or unicodedata.category(ch) in ("Cf", "Co", "Cs", "Zs", "Zl", "Zp")


def markdown_safe(url: str) -> str:
    """``url`` with the characters that break Markdown link syntax percent-encoded, hidden ones dropped.

    For display of links stored before validation refused them; new links are already safe.
    """
    return "".join(MARKDOWN_UNSAFE.get(ch, ch) for ch in url if not (_is_hidden(ch) or ch.isspace()))


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def validate_http_url(text: str) -> str:
    """The link, stripped, if it is an absolute http(s) URL with a host; otherwise a UserError."""
    url = (text or "").strip().strip("<>")
    if not url:
        raise UserError("core.links.empty")
    if len(url) > MAX_URL_LENGTH:
        raise UserError("core.links.too_long", limit=MAX_URL_LENGTH)
    if any(ch.isspace() for ch in url) or any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise UserError("core.links.invalid", url=url[:100])
    if any(_is_hidden(ch) for ch in url):
        raise UserError("core.links.hidden_characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise UserError("core.links.invalid", url=url[:100]) from None
    if (
        not parts.scheme
        or not (parts.netloc or parts.path.startswith("//"))
        and parts.scheme.lower() in ("http", "https")
    ):
        raise UserError("core.links.invalid", url=url[:100])
    if parts.scheme.lower() not in ("http", "https"):
        raise UserError("core.links.bad_scheme", scheme=(parts.scheme or "?")[:20])
    if (
        not parts.hostname
        or "." not in parts.hostname
        and not _is_ip(parts.hostname)
        and parts.hostname != "localhost"
    ):
        raise UserError("core.links.invalid", url=url[:100])
    return _encode_after_host(url, parts.scheme, parts.netloc, parts.hostname)


def _encode_after_host(url: str, scheme: str, netloc: str, hostname: str) -> str:
    """Percent-encode Markdown-breaking characters after the host; refuse them in the host itself."""
    start = len(scheme) + 3
    if url[start : start + len(netloc)] != netloc:
        raise UserError("core.links.invalid", url=url[:100])
    host_part = netloc
    if _is_ip(hostname) and ":" in hostname:
        host_part = netloc.replace(f"[{hostname}]", "", 1)  # an IPv6 address is written in brackets
    if any(ch in MARKDOWN_UNSAFE for ch in host_part):
        raise UserError("core.links.invalid", url=url[:100])
    rest = url[start + len(netloc) :]
    return url[: start + len(netloc)] + "".join(MARKDOWN_UNSAFE.get(ch, ch) for ch in rest)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def normalize_url(url: str) -> str:
    """A canonical form for comparing links (call ``validate_http_url`` first)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~%") or "/"
    while "//" in path:
        path = path.replace("//", "/")
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    query.sort()
    # http and https of the same page are the same resource for our purpose.
    return urlunsplit(
        ("https" if scheme in ("http", "https") else scheme, netloc, path, urlencode(query), "")
    )
