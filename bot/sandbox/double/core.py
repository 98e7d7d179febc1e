"""`DiscordDouble`: one aiohttp server on loopback serving REST, the gateway and attachments."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .driver import Driver
from .faults import Faults
from .gateway import Gateway, Session
from .ops import Ops
from .rest import RequestRecord, Rest, attachment_handler
from .seed import SeedSpec, build_world, seed_guild
from .state import Guild


class DiscordDouble:
    """A local stand-in for Discord API v10 that the unmodified bot talks to over real sockets.

    Point discord.py at it with `discord.http.Route.BASE = double.api_base_url` and
    `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(double.gateway_url)`.
    """

    def __init__(self, seed: SeedSpec | None = None, *, interaction_ack_timeout: float = 3.0) -> None:
        self.seed = seed or seed_guild()
        self.world, self.index = build_world(self.seed)
        self.token = self.seed.token
        self.application_id = self.seed.application_id
        # Discord forgets an interaction that was not answered within 3 s; so does the double.
        self.interaction_ack_timeout = interaction_ack_timeout
        self.faults = Faults()
        self.ops = Ops(self)
        self.gateway = Gateway(self)
        self.rest = Rest(self)
        self.driver = Driver(self)
        self.requests: list[RequestRecord] = []
        self.unknown_routes: list[tuple[str, str]] = []
        # Exceptions raised inside the double (answered as 400 so they fail fast instead of being retried).
        self.internal_errors: list[tuple[str, str, str]] = []
        self.command_syncs = 0
        self.events: list[tuple[str, str, dict[str, Any]]] = []
        self.attachment_blobs: dict[int, tuple[bytes, str]] = {}
        self._request_waiters: list[tuple[Callable[[RequestRecord], bool], asyncio.Future]] = []
        self._event_waiters: list[tuple[Callable[[str, dict[str, Any]], bool], asyncio.Future]] = []
        self._runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0

    # -- lifecycle -------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> DiscordDouble:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self.gateway.handle)
        app.router.add_get("/gateway", self.gateway.handle)

        async def attachments(request: web.Request) -> web.StreamResponse:
            return await attachment_handler(self, request)

        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", attachments)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest.handle)
        app.router.add_route("*", "/api/v9/{tail:.*}", self.rest.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.host = host
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        await self.gateway.close()
        for _, fut in self._request_waiters + self._event_waiters:
            if not fut.done():
                fut.cancel()
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._runner.cleanup(), 5)
            self._runner = None

    async def __aenter__(self) -> DiscordDouble:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- addresses -------------------------------------------------------------

    @property
    def http_base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.http_base}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def guild(self) -> Guild:
        return self.world.guilds[self.seed.guild_id]

    def patch_discord(self) -> Callable[[], None]:
        """Point the installed discord.py at this double; returns an undo callable (for tests/demos)."""
        import discord.gateway
        import discord.http
        import yarl

        old_base = discord.http.Route.BASE
        old_gw = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

        def undo() -> None:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gw

        return undo

    # -- faults ----------------------------------------------------------------

    async def drop_connections(self, resumable: bool = True, *, how: str = "close") -> None:
        await self.gateway.drop(resumable=resumable, how=how)

    def rate_limit(
        self,
        method: str,
        path_regex: str,
        times: int = 1,
        retry_after: float = 0.2,
        global_: bool = False,
        *,
        skip: int = 0,
    ):
        return self.faults.rate_limit(
            method, path_regex, times=times, retry_after=retry_after, global_=global_, skip=skip
        )

    def unreachable(self, seconds: float, *, reset_rest: bool = False) -> None:
        """An outage: gateway sockets are reset and refused (502) for `seconds`.

        REST answers 502 (which discord.py retries after 1 s, 3 s, ...), or with
        `reset_rest=True` drops the TCP connection instead.
        """
        self.faults.set_unreachable(seconds, reset_rest=reset_rest)
        self.gateway.abort_all()

    # -- observation -----------------------------------------------------------

    @property
    def sessions(self) -> dict[str, Session]:
        return self.gateway.sessions

    def _notify_request(self, record: RequestRecord) -> None:
        for entry in list(self._request_waiters):
            pred, fut = entry
            if fut.done():
                self._request_waiters.remove(entry)
            elif pred(record):
                fut.set_result(record)
                self._request_waiters.remove(entry)

    def _notify_event(self, name: str, data: dict[str, Any], session: Session) -> None:
        self.events.append((session.id, name, data))
        for entry in list(self._event_waiters):
            pred, fut = entry
            if fut.done():
                self._event_waiters.remove(entry)
                continue
            try:
                ok = pred(name, data)
            except Exception as exc:  # a broken predicate should fail the test, not the server
                fut.set_exception(exc)
                self._event_waiters.remove(entry)
                continue
            if ok:
                fut.set_result((name, data))
                self._event_waiters.remove(entry)
