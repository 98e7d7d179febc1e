"""Outgoing HTTP that members or configuration can aim: never at the bot's own network.

A shared link or a configured feed makes the bot issue requests, so every address is checked
*after* DNS resolution (in the connector's resolver, so a name cannot resolve to a public address
for a check and to 127.0.0.1 for the connection) and again on each redirect hop by the callers.
Only loopback can be allowed (tests and the sandbox); private, link-local, multicast and reserved
ranges are always refused.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

log = logging.getLogger(__name__)

AddressCheck = Callable[[str, int], bool]


class BlockedAddress(OSError):
    """The link leads to an address the bot must not contact."""


def address_allowed(ip: str, *, allow_loopback: bool = False) -> bool:
    """Public unicast addresses only; loopback too when explicitly allowed."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            # An IPv6 wrapper reaches the IPv4 address inside it: judge that one.
            return address_allowed(str(embedded), allow_loopback=allow_loopback)
    if address.is_loopback:
        return allow_loopback
    return not (
        address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo client, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def default_check(allow_loopback: bool) -> AddressCheck:
    return lambda ip, port: address_allowed(ip, allow_loopback=allow_loopback)


class GuardedResolver(AbstractResolver):
    """Resolves names, then drops every address the check refuses (no address left: error)."""

    def __init__(self, check: AddressCheck) -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._check = check

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if self._check(r["host"], port)]
        if not allowed:
            log.warning("request refused: %s resolves to a blocked address", host)
            raise BlockedAddress(f"{host} resolves to a blocked address")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def guarded_session(
    *, allow_loopback: bool = False, check: AddressCheck | None = None, **options: Any
) -> aiohttp.ClientSession:
    """A client session whose every connection goes through the address check."""
    check = check or default_check(allow_loopback)
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(check), use_dns_cache=False, limit=4)
    # aiohttp does not ask the resolver about a literal IP address: check those before the request.
    literal_guard = aiohttp.TraceConfig()

    async def refuse_blocked_literal(
        _session: Any, _context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        host = params.url.host or ""
        ip = literal_ip(host)
        if ip is not None and not check(ip, params.url.port or 0):
            log.warning("request refused: %s is a blocked address", host)
            raise BlockedAddress(f"{host} is a blocked address")

    literal_guard.on_request_start.append(refuse_blocked_literal)
    traces = [*options.pop("trace_configs", []), literal_guard]
    return aiohttp.ClientSession(connector=connector, trace_configs=traces, **options)


def is_blocked(error: BaseException) -> bool:
    """Whether an aiohttp error comes from the address check."""
    if isinstance(error, BlockedAddress):
        return True
    return isinstance(error, aiohttp.ClientConnectorError) and isinstance(error.os_error, BlockedAddress)
