"""Link previews (OpenGraph, ``<title>``, description) fetched with an SSRF guard.

A member's link makes the bot issue an HTTP request, so the request must never reach the bot's
own network: every address is checked *after* DNS resolution and on every redirect hop
(a public name that resolves to 127.0.0.1, or a redirect to 169.254.169.254, is refused).
Limits: total time ``time_limit`` seconds, at most ``max_bytes`` read, HTML only, at most
``max_redirects`` redirects. Only loopback can be allowed (tests and the sandbox); private,
link-local, multicast and reserved ranges are always refused.
"""

from __future__ import annotations

import asyncio
import logging
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import aiohttp

from bot.core.netguard import (
    AddressCheck,
    BlockedAddress,
    default_check,
    guarded_session,
    is_blocked,
    literal_ip,
)
from bot.resources.library import PageInfo

log = logging.getLogger(__name__)

USER_AGENT = "RelaisBot/1.0 (link preview; +https://github.com/)"
HTML_TYPES = ("text/html", "application/xhtml+xml")


class FetchRefused(Exception):
    """The page could not be previewed (not HTML, too many redirects, blocked address, …)."""


class _MetaParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self._in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = {k.lower(): (v or "") for k, v in attrs}
            name = (values.get("property") or values.get("name") or "").lower()
            if name and "content" in values and name not in self.meta:
                self.meta[name] = values["content"]
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)


def parse_html(html: str) -> PageInfo:
    parser = _MetaParser()
    try:
        parser.feed(html)
    except Exception:  # malformed markup: keep what was read
        log.debug("HTML parse stopped early", exc_info=True)
    meta = parser.meta
    title = meta.get("og:title") or meta.get("twitter:title") or " ".join("".join(parser.title_parts).split())
    description = meta.get("og:description") or meta.get("description") or meta.get("twitter:description")
    return PageInfo(
        title=" ".join(title.split()) or None if title else None,
        description=" ".join(description.split()) or None if description else None,
        site_name=meta.get("og:site_name") or None,
    )


async def fetch_page_info(
    url: str,
    *,
    time_limit: float = 5.0,
    max_bytes: int = 1_000_000,
    max_redirects: int = 3,
    allow_loopback: bool = False,
    check: AddressCheck | None = None,
) -> PageInfo:
    """Fetch ``url`` and read its preview; raises FetchRefused (or a network error) on failure."""
    check = check or default_check(allow_loopback)
    client_timeout = aiohttp.ClientTimeout(total=time_limit, sock_connect=time_limit)
    async with guarded_session(
        check=check,
        timeout=client_timeout,
        trust_env=False,
        headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml;q=0.9"},
    ) as session:
        async with asyncio.timeout(time_limit):
            return await _follow(session, url, max_bytes=max_bytes, max_redirects=max_redirects, check=check)


async def _follow(
    session: aiohttp.ClientSession, url: str, *, max_bytes: int, max_redirects: int, check: AddressCheck
) -> PageInfo:
    for _hop in range(max_redirects + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchRefused(f"not a web address: {url[:100]}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        literal = literal_ip(parts.hostname)
        if literal is not None and not check(literal, port):
            log.warning("link preview refused: %s is a blocked address", literal)
            raise FetchRefused(f"blocked address {literal}")
        try:
            async with session.get(url, allow_redirects=False) as response:
                if response.status in (301, 302, 303, 307, 308):
                    location = response.headers.get("Location")
                    if not location:
                        raise FetchRefused("redirect without a location")
                    url = urljoin(url, location)
                    continue
                if response.status >= 400:
                    raise FetchRefused(f"HTTP {response.status}")
                content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if content_type not in HTML_TYPES:
                    raise FetchRefused(f"not HTML ({content_type or 'unknown'})")
                body = await _read_limited(response, max_bytes)
                charset = response.charset or "utf-8"
        except BlockedAddress as exc:
            raise FetchRefused(str(exc)) from None
        except aiohttp.ClientConnectorError as exc:
            if is_blocked(exc):
                raise FetchRefused(str(exc.os_error)) from None
            raise
        try:
            text = body.decode(charset, errors="replace")
        except LookupError:
            text = body.decode("utf-8", errors="replace")
        return parse_html(text)
    raise FetchRefused(f"more than {max_redirects} redirects")


async def _read_limited(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(16384):
        remaining = max_bytes - size
        chunks.append(chunk[:remaining])
        size += min(len(chunk), remaining)
        if size >= max_bytes:
            break
    return b"".join(chunks)


def make_fetcher(*, timeout: float, max_bytes: int, max_redirects: int, allow_loopback: bool):
    """A ``Fetcher`` for ``resources.share``: None on any failure (the share goes on)."""

    async def fetch(url: str) -> PageInfo | None:
        try:
            return await fetch_page_info(
                url,
                time_limit=timeout,
                max_bytes=max_bytes,
                max_redirects=max_redirects,
                allow_loopback=allow_loopback,
            )
        except (FetchRefused, aiohttp.ClientError, TimeoutError, OSError, UnicodeError, ValueError) as exc:
            log.info("no preview for %s: %s", url[:200], exc)
            return None

    return fetch
