"""Link previews against a local HTTP server: OpenGraph, limits, and the SSRF guard."""

from __future__ import annotations

import pytest
from aiohttp import web

from bot.core.netguard import address_allowed
from bot.resources.metadata import FetchRefused, fetch_page_info, make_fetcher, parse_html

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<title>  Titre   de secours </title>
<meta property="og:title" content="Guide de la pair-aidance">
<meta name="description" content="Un guide pour les équipes.">
</head><body><p>Bonjour</p></body></html>"""


class Server:
    def __init__(self) -> None:
        self.hits: list[str] = []
        self.app = web.Application()
        self.app.router.add_get("/{tail:.*}", self.handle)
        self.routes: dict[str, web.Response] = {}
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(request.path)
        factory = self.routes.get(request.path)
        if factory is None:
            return web.Response(status=404)
        return factory()

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
async def server():
    srv = Server()
    await srv.start()
    try:
        yield srv
    finally:
        await srv.runner.cleanup()


def html(body: str = PAGE, content_type: str = "text/html"):
    return lambda: web.Response(body=body.encode(), content_type=content_type, charset="utf-8")


def redirect(to: str):
    return lambda: web.Response(status=302, headers={"Location": to})


async def test_reads_opengraph_title_and_description(server):
    server.routes["/guide"] = html()
    info = await fetch_page_info(server.url("/guide"), allow_loopback=True)
    assert info.title == "Guide de la pair-aidance"
    assert info.description == "Un guide pour les équipes."


def test_falls_back_to_title_tag():
    info = parse_html("<html><head><title>  Un   titre </title></head></html>")
    assert info.title == "Un titre" and info.description is None


async def test_loopback_is_refused_unless_allowed(server):
    server.routes["/guide"] = html()
    with pytest.raises(FetchRefused):
        await fetch_page_info(server.url("/guide"))
    assert server.hits == []


async def test_localhost_name_is_refused_after_resolution(server):
    server.routes["/guide"] = html()
    with pytest.raises(FetchRefused):
        await fetch_page_info(f"http://localhost:{server.port}/guide")
    assert server.hits == []


async def test_redirect_to_loopback_is_refused_when_loopback_is_not_allowed(server):
    # The first server is trusted for this test only (by port); its redirect points to another
    # loopback port, which the ordinary rule refuses: the second server is never contacted.
    second = Server()
    second.routes["/secret"] = html("<title>interne</title>")
    await second.start()
    try:
        server.routes["/go"] = redirect(second.url("/secret"))

        def check(ip: str, port: int) -> bool:
            return port == server.port or address_allowed(ip, allow_loopback=False)

        with pytest.raises(FetchRefused):
            await fetch_page_info(server.url("/go"), check=check)
        assert server.hits == ["/go"]
        assert second.hits == []
    finally:
        await second.runner.cleanup()


@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::ffff:169.254.169.254]/"],
)
async def test_redirect_to_metadata_or_private_address_is_refused_even_with_loopback(server, target):
    server.routes["/go"] = redirect(target)
    with pytest.raises(FetchRefused):
        await fetch_page_info(server.url("/go"), allow_loopback=True)


async def test_at_most_three_redirects(server):
    for i in range(5):
        server.routes[f"/r{i}"] = redirect(f"/r{i + 1}")
    server.routes["/r5"] = html()
    with pytest.raises(FetchRefused):
        await fetch_page_info(server.url("/r0"), allow_loopback=True)
    server.routes["/s0"] = redirect("/s1")
    server.routes["/s1"] = redirect("/guide")
    server.routes["/guide"] = html()
    assert (await fetch_page_info(server.url("/s0"), allow_loopback=True)).title == "Guide de la pair-aidance"


async def test_only_html_is_read(server):
    server.routes["/file.pdf"] = html("%PDF-1.4", content_type="application/pdf")
    with pytest.raises(FetchRefused):
        await fetch_page_info(server.url("/file.pdf"), allow_loopback=True)


async def test_reads_at_most_max_bytes(server):
    server.routes["/big"] = html(
        "<html><head>" + "<!-- x -->" * 200_000 + "<title>loin</title></head></html>"
    )
    info = await fetch_page_info(server.url("/big"), allow_loopback=True, max_bytes=10_000)
    assert info.title is None


async def test_fetcher_returns_none_on_failure_and_never_raises(server):
    fetch = make_fetcher(timeout=2, max_bytes=100_000, max_redirects=3, allow_loopback=False)
    assert await fetch(server.url("/guide")) is None
    fetch_ok = make_fetcher(timeout=2, max_bytes=100_000, max_redirects=3, allow_loopback=True)
    assert await fetch_ok(server.url("/missing")) is None


@pytest.mark.parametrize(
    ("ip", "allowed"),
    [
        ("93.184.216.34", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("192.168.1.1", False),
        ("172.16.0.1", False),
        ("169.254.169.254", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("0.0.0.0", False),
        ("100.64.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
        ("2606:4700::1111", True),
    ],
)
def test_address_rules(ip, allowed):
    assert address_allowed(ip) is allowed
