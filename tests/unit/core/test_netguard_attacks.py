"""SSRF attacks on the outgoing-HTTP guard (link previews and feeds use the same one).

Every address form an attacker can put in a shared link or a feed: private, loopback, link-local,
cloud metadata, IPv4-mapped/compatible IPv6, 6to4 and NAT64 wrappers of private addresses, decimal,
octal and hexadecimal spellings, and DNS names or redirects leading there. Each is refused after
name resolution, so a name cannot resolve to a public address for the check and to a private one
for the connection."""

from __future__ import annotations

import pytest
from aiohttp import web

from bot.core import netguard

REFUSED = [
    "127.0.0.1",
    "127.1.2.3",
    "0.0.0.0",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",
    "169.254.169.254",  # cloud metadata
    "169.254.1.1",
    "224.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "192.0.0.1",
    "240.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",  # IPv4-mapped
    "::127.0.0.1",  # IPv4-compatible (deprecated, still parsed)
    "2002:7f00:1::1",
    "2002:a9fe:a9fe::1",
    "2002:c0a8:101::1",  # 6to4 around loopback, metadata, LAN
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",  # NAT64 around loopback and metadata
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo whose client address is 127.0.0.1
    "fe80::1%eth0",
]
ALLOWED = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "1.1.1.1"]
# Spellings the C resolver turns into 127.0.0.1: they must be refused once resolved.
SPELLINGS_OF_LOOPBACK = ["2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.1", "017700000001"]


@pytest.mark.parametrize("address", REFUSED)
def test_private_and_wrapped_addresses_are_refused(address):
    assert netguard.address_allowed(address) is False


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address):
    assert netguard.address_allowed(address) is True


def test_loopback_is_allowed_only_when_asked_and_never_other_private_ranges():
    assert netguard.address_allowed("127.0.0.1", allow_loopback=True)
    assert netguard.address_allowed("::ffff:127.0.0.1", allow_loopback=True)
    assert not netguard.address_allowed("10.0.0.1", allow_loopback=True)
    assert not netguard.address_allowed("169.254.169.254", allow_loopback=True)


@pytest.fixture
async def local_server():
    """A real HTTP server on loopback: the target an attacker would like the bot to reach."""
    hits: list[str] = []

    async def secret(request):
        hits.append(request.path)
        return web.Response(text="<title>secret interne</title>")

    async def bounce(request):
        hits.append(request.path)
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    app = web.Application()
    app.router.add_get("/secret", secret)
    app.router.add_get("/bounce", bounce)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield port, hits
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", *SPELLINGS_OF_LOOPBACK])
async def test_names_and_spellings_that_resolve_to_loopback_never_connect(local_server, host):
    port, hits = local_server
    async with netguard.guarded_session() as session:
        with pytest.raises(Exception) as caught:
            async with session.get(f"http://{host}:{port}/secret"):
                pass
    # Refused by the guard, or by the URL parser as a non-canonical spelling: never connected.
    assert netguard.is_blocked(caught.value) or "not a canonical IPv4 address" in str(caught.value)
    assert hits == []


async def test_a_link_preview_that_redirects_to_the_metadata_endpoint_is_refused(local_server):
    from bot.resources.metadata import FetchRefused, fetch_page_info

    port, hits = local_server

    def check(ip: str, _port: int) -> bool:
        # The local server stands for a public page; everything else is judged as in production.
        return ip == "127.0.0.1" or netguard.address_allowed(ip)

    with pytest.raises(FetchRefused):
        await fetch_page_info(
            f"http://127.0.0.1:{port}/bounce", time_limit=5, max_bytes=10_000, max_redirects=3, check=check
        )
    assert hits == ["/bounce"]  # the redirect's target was never contacted


async def test_a_guarded_session_refuses_a_literal_private_address_itself(local_server):
    port, hits = local_server
    async with netguard.guarded_session() as session:
        with pytest.raises(netguard.BlockedAddress):
            await session.get(f"http://127.0.0.1:{port}/secret")
    assert hits == []
