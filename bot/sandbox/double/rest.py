"""REST API v10 routes.

One catch-all aiohttp handler does what every Discord response shares
(auth, rate-limit headers, injected faults, the request log, the 404 for
unknown routes) and then dispatches to a small regex route table, so an
unimplemented endpoint is recorded in `unknown_routes` instead of vanishing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import re
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import payloads
from .ops import (
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    ApiError,
    form_error,
    missing_permissions,
    not_found,
    parse_emoji,
)
from .state import (
    Channel,
    ChannelType,
    Command,
    InteractionRecord,
    Overwrite,
    P,
    Role,
    ScheduledEvent,
    iso,
)

if TYPE_CHECKING:
    from .core import DiscordDouble


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int = 0
    time: float = 0.0
    reason: str | None = None
    files: list[str] = field(default_factory=list)
    route: str | None = None


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    files: list[dict[str, Any]]
    reason: str | None
    params: dict[str, str]


log = logging.getLogger(__name__)

Handler = Callable[[Req], Awaitable[Any]]
_ROUTES: list[tuple[str, str, re.Pattern[str], str]] = []


def route(method: str, template: str):
    pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")

    def deco(fn):
        _ROUTES.append((method, template, pattern, fn.__name__))
        return fn

    return deco


class NoContent:
    pass


NO_CONTENT = NoContent()

# Interaction callback and webhook-token routes authenticate with the token in the URL, not a header.
_TOKEN_ROUTES = ("/interactions/", "/webhooks/")


def _json(data: Any, *, status: int = 200, headers: dict[str, str]) -> web.Response:
    # discord.py only parses bodies whose Content-Type is exactly "application/json" (no charset).
    return web.Response(
        body=json.dumps(data, ensure_ascii=False).encode(),
        status=status,
        headers=headers | {"Content-Type": "application/json"},
    )


def _bucket(method: str, template: str) -> str:
    return hashlib.md5(f"{method} {template}".encode()).hexdigest()[:16]


class Rest:
    def __init__(self, double: DiscordDouble) -> None:
        self.d = double
        self.ops = double.ops

    @property
    def world(self):
        return self.d.world

    # -- plumbing ------------------------------------------------------------

    def _headers(self, bucket: str, *, remaining: int = 49, reset_after: float = 1.0) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": "50",
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
            # discord.py treats a 429 without `Via` as a Cloudflare ban; Discord's edge always sets it.
            "Via": "1.1 google",
        }

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.d.faults.is_unreachable():
            if self.d.faults.reset_rest and request.transport is not None:
                # Note: discord.py only retries resets with errno 54/10054 (macOS/Windows), not Linux's 104.
                request.transport.abort()
                raise ConnectionResetError
            return web.Response(status=502, text="<html>502 Bad Gateway</html>", content_type="text/html")
        tail = request.match_info.get("tail", "")
        path = "/" + tail
        method = request.method.upper()
        record = RequestRecord(
            method=method, path=path, query=dict(request.query), json=None, time=time.time()
        )
        reason = request.headers.get("X-Audit-Log-Reason")
        record.reason = urllib.parse.unquote(reason) if reason else None
        self.d.requests.append(record)

        body: Any = None
        files: list[dict[str, Any]] = []
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            form = await request.post()
            for name, value in form.items():
                if name == "payload_json":
                    body = json.loads(value if isinstance(value, str) else value.file.read().decode())
                elif hasattr(value, "file"):
                    m = re.match(r"files\[(\d+)\]", name)
                    files.append(
                        {
                            "index": int(m.group(1)) if m else None,
                            "filename": value.filename,
                            "content": value.file.read(),
                            "content_type": value.content_type,
                        }
                    )
                    record.files.append(value.filename)
        else:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._finish(
                        record,
                        _json(
                            {"message": "400: Bad Request", "code": 50109},
                            status=400,
                            headers=self._headers("none"),
                        ),
                    )
        record.json = body

        match = None
        for m_method, template, pattern, name in _ROUTES:
            found = pattern.match(path)
            # The most literal template wins: `/messages/pins` before `/messages/{message_id}`.
            if found and m_method == method and (match is None or template.count("{") < match[0].count("{")):
                match = (template, name, found.groupdict())
        if match is None:
            self.d.unknown_routes.append((method, path))
            return self._finish(
                record,
                _json({"message": "404: Not Found", "code": 0}, status=404, headers=self._headers("unknown")),
            )
        template, name, params = match
        record.route = f"{method} {template}"
        bucket = _bucket(method, template)

        if (
            not path.startswith(_TOKEN_ROUTES)
            and request.headers.get("Authorization") != f"Bot {self.d.token}"
        ):
            return self._finish(
                record,
                _json({"message": "401: Unauthorized", "code": 0}, status=401, headers=self._headers(bucket)),
            )

        rule = self.d.faults.take_rate_limit(method, path)
        if rule is not None:
            headers = self._headers(bucket, remaining=0, reset_after=rule.retry_after)
            headers["Retry-After"] = str(max(1, math.ceil(rule.retry_after)))
            headers["X-RateLimit-Scope"] = "global" if rule.global_ else "user"
            if rule.global_:
                headers["X-RateLimit-Global"] = "true"
            body429 = {
                "message": "You are being rate limited.",
                "retry_after": rule.retry_after,
                "global": rule.global_,
            }
            if rule.global_:
                body429["code"] = 0
            return self._finish(record, _json(body429, status=429, headers=headers))

        req = Req(method, path, dict(request.query), body, files, record.reason, params)
        try:
            result = await getattr(self, name)(req)
        except ApiError as exc:
            return self._finish(record, _json(exc.body(), status=exc.status, headers=self._headers(bucket)))
        except Exception as exc:
            # A bug in the double must not look like a Discord outage that discord.py silently retries.
            log.exception("double failed on %s %s", method, path)
            self.d.internal_errors.append((method, path, repr(exc)))
            return self._finish(
                record,
                _json(
                    {"message": f"double error: {exc!r}", "code": 0},
                    status=400,
                    headers=self._headers(bucket),
                ),
            )
        if isinstance(result, NoContent) or result is None:
            return self._finish(record, web.Response(status=204, headers=self._headers(bucket)))
        status = 200
        if isinstance(result, tuple):
            status, result = result
        return self._finish(record, _json(result, status=status, headers=self._headers(bucket)))

    def _finish(self, record: RequestRecord, response: web.Response) -> web.Response:
        record.status = response.status
        self.d._notify_request(record)
        return response

    # -- helpers ---------------------------------------------------------------

    def _guild_channel(self, req: Req) -> Channel:
        return self.ops.channel(req.params["channel_id"])

    def _msg(self, m) -> dict[str, Any]:
        return payloads.message(self.world, m, with_member=False)

    def _snow(self, value: Any, path: str) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise form_error(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.') from None

    # -- users / application / gateway -------------------------------------------

    @route("GET", "/users/@me")
    async def get_me(self, req: Req) -> Any:
        return payloads.user(self.world.bot) | {
            "verified": True,
            "mfa_enabled": False,
            "email": None,
            "locale": "fr",
        }

    @route("GET", "/users/{user_id}")
    async def get_user(self, req: Req) -> Any:
        u = self.world.users.get(self._snow(req.params["user_id"], "user_id"))
        if u is None:
            raise not_found(10013, "User")
        return payloads.user(u)

    @route("GET", "/oauth2/applications/@me")
    async def get_app(self, req: Req) -> Any:
        return payloads.application(self.world)

    @route("GET", "/applications/@me")
    async def get_app2(self, req: Req) -> Any:
        return payloads.application(self.world)

    @route("GET", "/gateway")
    async def get_gateway(self, req: Req) -> Any:
        return {"url": self.d.gateway_url.rstrip("/")}

    @route("GET", "/gateway/bot")
    async def get_gateway_bot(self, req: Req) -> Any:
        return {
            "url": self.d.gateway_url.rstrip("/"),
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86400000,
                "max_concurrency": 1,
            },
        }

    @route("POST", "/users/@me/channels")
    async def open_dm(self, req: Req) -> Any:
        uid = self._snow((req.body or {}).get("recipient_id"), "recipient_id")
        return payloads.channel(self.world, self.ops.open_dm(uid))

    @route("GET", "/users/@me/guilds")
    async def my_guilds(self, req: Req) -> Any:
        return [
            {
                "id": str(g.id),
                "name": g.name,
                "icon": None,
                "owner": False,
                "permissions": str(g.base_permissions(self.world.bot_user_id)),
                "features": g.features,
            }
            for g in self.world.guilds.values()
        ]

    # -- application commands ----------------------------------------------------

    def _check_app(self, req: Req) -> None:
        if int(req.params["application_id"]) != self.world.application_id:
            raise ApiError(403, 50001, "Missing Access")

    def _commands(self, guild_id: str | None) -> dict[int, Command]:
        if guild_id is None:
            return self.world.global_commands
        gid = int(guild_id)
        self.ops.guild(gid)
        return self.world.guild_commands.setdefault(gid, {})

    def _make_command(
        self, raw: dict[str, Any], guild_id: str | None, existing: dict[int, Command]
    ) -> Command:
        ctype = int(raw.get("type", 1))
        name = raw.get("name") or ""
        # Slash commands: lower-case [-_\w]; user and message commands may have capitals and spaces.
        pattern = r"^[-_\w]{1,32}$" if ctype == 1 else r"^[-_\w ]{1,32}$"
        if not re.match(pattern, name) or (ctype == 1 and name != name.lower()) or name != name.strip():
            raise form_error("name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        if ctype == 1 and not 1 <= len(raw.get("description") or "") <= 100:
            raise form_error("description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if len(raw.get("options") or []) > 25:
            raise form_error("options", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        prior = next((c for c in existing.values() if c.name == name and c.type == ctype), None)
        cid = prior.id if prior else self.world.next_id()
        return Command(
            id=cid,
            application_id=self.world.application_id,
            name=name,
            type=ctype,
            description=raw.get("description") or "",
            options=list(raw.get("options") or []),
            guild_id=int(guild_id) if guild_id else None,
            default_member_permissions=raw.get("default_member_permissions"),
            dm_permission=raw.get("dm_permission"),
            nsfw=bool(raw.get("nsfw", False)),
            contexts=raw.get("contexts"),
            integration_types=raw.get("integration_types"),
            version=(prior.version + 1) if prior else 1,
            raw={k: v for k, v in raw.items() if k not in ("id",)},
        )

    @route("GET", "/applications/{application_id}/commands")
    async def list_global_commands(self, req: Req) -> Any:
        self._check_app(req)
        return [payloads.command(c) for c in self._commands(None).values()]

    @route("GET", "/applications/{application_id}/guilds/{guild_id}/commands")
    async def list_guild_commands(self, req: Req) -> Any:
        self._check_app(req)
        return [payloads.command(c) for c in self._commands(req.params["guild_id"]).values()]

    async def _overwrite(self, req: Req, guild_id: str | None) -> Any:
        self._check_app(req)
        store = self._commands(guild_id)
        if not isinstance(req.body, list):
            raise form_error("_root", "BASE_TYPE_ARRAY", "Must be an array")
        if len(req.body) > 100:
            raise ApiError(400, 30032, "Maximum number of application commands reached (100)")
        new = [self._make_command(raw, guild_id, store) for raw in req.body]
        names = [(c.type, c.name) for c in new]
        if len(set(names)) != len(names):
            raise form_error(
                "_root", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"
            )
        store.clear()
        for c in new:
            store[c.id] = c
        self.d.command_syncs += 1
        return [payloads.command(c) for c in new]

    @route("PUT", "/applications/{application_id}/commands")
    async def put_global_commands(self, req: Req) -> Any:
        return await self._overwrite(req, None)

    @route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
    async def put_guild_commands(self, req: Req) -> Any:
        return await self._overwrite(req, req.params["guild_id"])

    async def _upsert(self, req: Req, guild_id: str | None) -> Any:
        self._check_app(req)
        store = self._commands(guild_id)
        c = self._make_command(req.body or {}, guild_id, store)
        created = c.id not in store
        store[c.id] = c
        return (201 if created else 200), payloads.command(c)

    @route("POST", "/applications/{application_id}/commands")
    async def post_global_command(self, req: Req) -> Any:
        return await self._upsert(req, None)

    @route("POST", "/applications/{application_id}/guilds/{guild_id}/commands")
    async def post_guild_command(self, req: Req) -> Any:
        return await self._upsert(req, req.params["guild_id"])

    def _one_command(self, req: Req, guild_id: str | None) -> tuple[dict[int, Command], Command]:
        self._check_app(req)
        store = self._commands(guild_id)
        c = store.get(int(req.params["command_id"]))
        if c is None:
            raise not_found(10063, "application command")
        return store, c

    @route("GET", "/applications/{application_id}/commands/{command_id}")
    async def get_global_command(self, req: Req) -> Any:
        return payloads.command(self._one_command(req, None)[1])

    @route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    async def get_guild_command(self, req: Req) -> Any:
        return payloads.command(self._one_command(req, req.params["guild_id"])[1])

    async def _patch_command(self, req: Req, guild_id: str | None) -> Any:
        store, c = self._one_command(req, guild_id)
        raw = dict(c.raw) | (req.body or {})
        new = self._make_command(raw, guild_id, store)
        store[c.id] = new
        return payloads.command(new)

    @route("PATCH", "/applications/{application_id}/commands/{command_id}")
    async def patch_global_command(self, req: Req) -> Any:
        return await self._patch_command(req, None)

    @route("PATCH", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    async def patch_guild_command(self, req: Req) -> Any:
        return await self._patch_command(req, req.params["guild_id"])

    @route("DELETE", "/applications/{application_id}/commands/{command_id}")
    async def delete_global_command(self, req: Req) -> Any:
        store, c = self._one_command(req, None)
        del store[c.id]
        return NO_CONTENT

    @route("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    async def delete_guild_command(self, req: Req) -> Any:
        store, c = self._one_command(req, req.params["guild_id"])
        del store[c.id]
        return NO_CONTENT

    # -- messages ----------------------------------------------------------------

    @route("GET", "/channels/{channel_id}")
    async def get_channel(self, req: Req) -> Any:
        c = self._guild_channel(req)
        if c.guild_id and not self.ops.bot_can(c, P.VIEW_CHANNEL):
            raise ApiError(403, 50001, "Missing Access")
        return payloads.channel(self.world, c, bot_member=True)

    @route("POST", "/channels/{channel_id}/messages")
    async def create_message(self, req: Req) -> Any:
        c = self._guild_channel(req)
        m = await self.ops.bot_send(c, req.body or {}, req.files)
        return self._msg(m)

    @route("GET", "/channels/{channel_id}/messages/{message_id}")
    async def get_message(self, req: Req) -> Any:
        c = self._guild_channel(req)
        self.ops.require(c, P.READ_MESSAGE_HISTORY)
        return self._msg(self.ops.message(c, req.params["message_id"]))

    @route("GET", "/channels/{channel_id}/messages")
    async def history(self, req: Req) -> Any:
        c = self._guild_channel(req)
        self.ops.require(c, P.READ_MESSAGE_HISTORY)
        limit = max(1, min(100, int(req.query.get("limit", 50))))
        msgs = self.world.channel_messages(c.id)
        if "before" in req.query:
            b = int(req.query["before"])
            msgs = [m for m in msgs if m.id < b][-limit:]
        elif "after" in req.query:
            a = int(req.query["after"])
            msgs = [m for m in msgs if m.id > a][:limit]
        elif "around" in req.query:
            a = int(req.query["around"])
            older = [m for m in msgs if m.id < a][-(limit // 2) :] if limit > 1 else []
            newer = [m for m in msgs if m.id >= a][: limit - len(older)]
            msgs = older + newer
        else:
            msgs = msgs[-limit:]
        return [self._msg(m) for m in reversed(msgs)]

    @route("PATCH", "/channels/{channel_id}/messages/{message_id}")
    async def edit_message(self, req: Req) -> Any:
        c = self._guild_channel(req)
        m = self.ops.message(c, req.params["message_id"])
        body = req.body or {}
        if m.author_id != self.world.bot_user_id:
            # Others' messages: only the SUPPRESS_EMBEDS flag is editable, with MANAGE_MESSAGES.
            if set(body) - {"flags"}:
                raise ApiError(403, 50005, "Cannot edit a message authored by another user")
            self.ops.require(c, P.MANAGE_MESSAGES)
        return self._msg(await self.ops.edit(m, body, req.files))

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}")
    async def delete_message(self, req: Req) -> Any:
        c = self._guild_channel(req)
        m = self.ops.message(c, req.params["message_id"])
        if m.author_id != self.world.bot_user_id:
            if c.type == ChannelType.DM:
                raise ApiError(403, 50003, "Cannot execute action on a DM channel")
            self.ops.require(c, P.MANAGE_MESSAGES)
        await self.ops.delete(m)
        return NO_CONTENT

    @route("POST", "/channels/{channel_id}/messages/bulk-delete")
    async def bulk_delete(self, req: Req) -> Any:
        c = self._guild_channel(req)
        self.ops.require(c, P.MANAGE_MESSAGES)
        ids = [self._snow(x, "messages") for x in (req.body or {}).get("messages", [])]
        await self.ops.bulk_delete(c, ids)
        return NO_CONTENT

    @route("GET", "/channels/{channel_id}/pins")
    async def list_pins_legacy(self, req: Req) -> Any:
        c = self._guild_channel(req)
        return [self._msg(m) for m in reversed(self.world.channel_messages(c.id)) if m.pinned]

    @route("GET", "/channels/{channel_id}/messages/pins")
    async def list_pins(self, req: Req) -> Any:
        c = self._guild_channel(req)
        self.ops.require(c, P.READ_MESSAGE_HISTORY)
        pinned = [m for m in reversed(self.world.channel_messages(c.id)) if m.pinned]
        if "before" in req.query:
            pinned = [m for m in pinned if m.id < int(self._before_pin_id(req.query["before"]))]
        limit = max(1, min(50, int(req.query.get("limit", 50))))
        items = [
            {"pinned_at": c.last_pin_timestamp or iso(), "message": self._msg(m)} for m in pinned[:limit]
        ]
        return {"items": items, "has_more": len(pinned) > limit}

    def _before_pin_id(self, value: str) -> int:
        # discord.py pages pins by pinned_at timestamp; the double orders pins by message id.
        try:
            return int(value)
        except ValueError:
            return 1 << 62

    async def _pin(self, req: Req, pinned: bool) -> Any:
        c = self._guild_channel(req)
        if c.guild_id:
            self.ops.require(c, P.MANAGE_MESSAGES)
        m = self.ops.message(c, req.params["message_id"])
        await self.ops.set_pinned(c, m, pinned)
        return NO_CONTENT

    @route("PUT", "/channels/{channel_id}/pins/{message_id}")
    async def pin_legacy(self, req: Req) -> Any:
        return await self._pin(req, True)

    @route("DELETE", "/channels/{channel_id}/pins/{message_id}")
    async def unpin_legacy(self, req: Req) -> Any:
        return await self._pin(req, False)

    @route("PUT", "/channels/{channel_id}/messages/pins/{message_id}")
    async def pin(self, req: Req) -> Any:
        return await self._pin(req, True)

    @route("DELETE", "/channels/{channel_id}/messages/pins/{message_id}")
    async def unpin(self, req: Req) -> Any:
        return await self._pin(req, False)

    @route("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
    async def add_reaction(self, req: Req) -> Any:
        c = self._guild_channel(req)
        m = self.ops.message(c, req.params["message_id"])
        emoji = parse_emoji(urllib.parse.unquote(req.params["emoji"]))
        if c.guild_id:
            self.ops.require(c, P.READ_MESSAGE_HISTORY)
            if self.ops._emoji_is_new(m, emoji):
                self.ops.require(c, P.ADD_REACTIONS)
        await self.ops.react(c, m, emoji, self.world.bot_user_id, True)
        return NO_CONTENT

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
    async def remove_own_reaction(self, req: Req) -> Any:
        c = self._guild_channel(req)
        m = self.ops.message(c, req.params["message_id"])
        await self.ops.react(
            c, m, parse_emoji(urllib.parse.unquote(req.params["emoji"])), self.world.bot_user_id, False
        )
        return NO_CONTENT

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}")
    async def remove_reaction(self, req: Req) -> Any:
        c = self._guild_channel(req)
        self.ops.require(c, P.MANAGE_MESSAGES)
        m = self.ops.message(c, req.params["message_id"])
        emoji = parse_emoji(urllib.parse.unquote(req.params["emoji"]))
        await self.ops.react(c, m, emoji, self._snow(req.params["user_id"], "user_id"), False)
        return NO_CONTENT

    @route("GET", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}")
    async def list_reactions(self, req: Req) -> Any:
        c = self._guild_channel(req)
        m = self.ops.message(c, req.params["message_id"])
        emoji = parse_emoji(urllib.parse.unquote(req.params["emoji"]))
        key = str(emoji.get("id")) if emoji.get("id") else str(emoji.get("name"))
        users = sorted(m.reactions.get(key, ({}, []))[1])
        if "after" in req.query:
            users = [u for u in users if u > int(req.query["after"])]
        limit = max(1, min(100, int(req.query.get("limit", 25))))
        return [payloads.user(self.world.users[u]) for u in users[:limit]]

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions")
    async def clear_reactions(self, req: Req) -> Any:
        c = self._guild_channel(req)
        self.ops.require(c, P.MANAGE_MESSAGES)
        m = self.ops.message(c, req.params["message_id"])
        m.reactions.clear()
        data = {"channel_id": str(c.id), "message_id": str(m.id)}
        if c.guild_id:
            data["guild_id"] = str(c.guild_id)
        await self.d.gateway.dispatch("MESSAGE_REACTION_REMOVE_ALL", data, dm=c.guild_id is None)
        return NO_CONTENT

    @route("POST", "/channels/{channel_id}/typing")
    async def typing(self, req: Req) -> Any:
        self._guild_channel(req)
        return NO_CONTENT

    # -- threads -------------------------------------------------------------------

    def _thread_opts(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "auto_archive_duration": body.get("auto_archive_duration"),
            "rate_limit_per_user": int(body.get("rate_limit_per_user") or 0),
        }

    @route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
    async def thread_from_message(self, req: Req) -> Any:
        c = self._guild_channel(req)
        if c.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.ops.require(c, P.CREATE_PUBLIC_THREADS)
        m = self.ops.message(c, req.params["message_id"])
        body = req.body or {}
        t = await self.ops.create_thread(
            c,
            self.world.bot_user_id,
            body.get("name", ""),
            thread_type=ChannelType.ANNOUNCEMENT_THREAD
            if c.type == ChannelType.GUILD_ANNOUNCEMENT
            else ChannelType.PUBLIC_THREAD,
            starter=m,
            **self._thread_opts(body),
        )
        return (201, payloads.channel(self.world, t, bot_member=True))

    @route("POST", "/channels/{channel_id}/threads")
    async def thread_create(self, req: Req) -> Any:
        c = self._guild_channel(req)
        body = req.body or {}
        if c.type in (ChannelType.GUILD_FORUM, ChannelType.GUILD_MEDIA):
            return await self._forum_post(c, req, body)
        if c.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        ttype = int(body.get("type") or ChannelType.PRIVATE_THREAD)
        self.ops.require(
            c, P.CREATE_PRIVATE_THREADS if ttype == ChannelType.PRIVATE_THREAD else P.CREATE_PUBLIC_THREADS
        )
        t = await self.ops.create_thread(
            c,
            self.world.bot_user_id,
            body.get("name", ""),
            thread_type=ttype,
            invitable=bool(body.get("invitable", True)),
            **self._thread_opts(body),
        )
        return (201, payloads.channel(self.world, t, bot_member=True))

    async def _forum_post(self, forum: Channel, req: Req, body: dict[str, Any]) -> Any:
        self.ops.require(forum, P.SEND_MESSAGES)
        tags = [self._snow(t, "applied_tags") for t in body.get("applied_tags") or []]
        known = {int(t["id"]): t for t in forum.available_tags}
        for i, tag in enumerate(tags):
            if tag not in known:
                raise form_error(f"applied_tags.{i}", "UNKNOWN_TAG", "Unknown tag")
        if len(tags) > 5:
            raise form_error("applied_tags", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        message_body = body.get("message") or {}
        t = await self.ops.create_thread(
            forum,
            self.world.bot_user_id,
            body.get("name", ""),
            thread_type=ChannelType.PUBLIC_THREAD,
            applied_tags=tags,
            **self._thread_opts(body),
        )
        # The first message shares the thread's id, as on Discord.
        first = self.ops.build_message(t, self.world.bot_user_id, message_body, req.files)
        first.id = t.id
        await self.ops.store_and_emit(first)
        data = payloads.channel(self.world, t, bot_member=True)
        data["message"] = self._msg(first)
        return (201, data)

    @route("GET", "/channels/{channel_id}/thread-members")
    async def list_thread_members(self, req: Req) -> Any:
        t = self._thread(req)
        guild = self.world.guild_of(t)
        with_member = req.query.get("with_member") in ("true", "True", "1")
        return [
            payloads.thread_member(
                t, uid, self.world if with_member else None, guild if with_member else None
            )
            for uid in t.members
        ]

    @route("GET", "/channels/{channel_id}/thread-members/{user_id}")
    async def get_thread_member(self, req: Req) -> Any:
        t = self._thread(req)
        uid = self._snow(req.params["user_id"], "user_id")
        if uid not in t.members:
            raise not_found(10007, "Member")
        return payloads.thread_member(t, uid)

    def _thread(self, req: Req) -> Channel:
        t = self._guild_channel(req)
        if not t.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        return t

    @route("PUT", "/channels/{channel_id}/thread-members/{user_id}")
    async def add_thread_member(self, req: Req) -> Any:
        t = self._thread(req)
        if t.archived:
            raise ApiError(400, 50083, "Thread is archived")
        uid = (
            int(self.world.bot_user_id)
            if req.params["user_id"] == "@me"
            else self._snow(req.params["user_id"], "user_id")
        )
        if uid != self.world.bot_user_id:
            self.ops.require(t, P.SEND_MESSAGES_IN_THREADS)
            if t.type == ChannelType.PRIVATE_THREAD and self.world.bot_user_id not in t.members:
                self.ops.require(t, P.MANAGE_THREADS)
        await self.ops.thread_members(t, [uid], [])
        return NO_CONTENT

    @route("DELETE", "/channels/{channel_id}/thread-members/{user_id}")
    async def remove_thread_member(self, req: Req) -> Any:
        t = self._thread(req)
        uid = (
            int(self.world.bot_user_id)
            if req.params["user_id"] == "@me"
            else self._snow(req.params["user_id"], "user_id")
        )
        if uid != self.world.bot_user_id and t.owner_id != self.world.bot_user_id:
            self.ops.require(t, P.MANAGE_THREADS)
        await self.ops.thread_members(t, [], [uid])
        return NO_CONTENT

    @route("GET", "/guilds/{guild_id}/threads/active")
    async def active_threads(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        threads = [t for t in g.threads() if not t.archived]
        bot = self.world.bot_user_id
        return {
            "threads": [payloads.channel(self.world, t) for t in threads],
            "members": [payloads.thread_member(t, bot) for t in threads if bot in t.members],
        }

    async def _archived(self, req: Req, ttype: int, joined_only: bool = False) -> Any:
        c = self._guild_channel(req)
        g = self.world.guild_of(c)
        assert g is not None
        threads = [
            t
            for t in g.threads()
            if t.parent_id == c.id
            and t.archived
            and t.type == ttype
            and (not joined_only or self.world.bot_user_id in t.members)
        ]
        return {
            "threads": [payloads.channel(self.world, t) for t in threads],
            "members": [],
            "has_more": False,
        }

    @route("GET", "/channels/{channel_id}/threads/archived/public")
    async def archived_public(self, req: Req) -> Any:
        return await self._archived(req, ChannelType.PUBLIC_THREAD)

    @route("GET", "/channels/{channel_id}/threads/archived/private")
    async def archived_private(self, req: Req) -> Any:
        return await self._archived(req, ChannelType.PRIVATE_THREAD)

    @route("GET", "/channels/{channel_id}/users/@me/threads/archived/private")
    async def archived_joined(self, req: Req) -> Any:
        return await self._archived(req, ChannelType.PRIVATE_THREAD, joined_only=True)

    # -- channels ----------------------------------------------------------------------

    _CHANNEL_FIELDS = (
        "name",
        "topic",
        "nsfw",
        "rate_limit_per_user",
        "bitrate",
        "user_limit",
        "position",
        "default_auto_archive_duration",
        "default_reaction_emoji",
        "default_sort_order",
        "default_forum_layout",
        "default_thread_rate_limit_per_user",
    )

    @route("PATCH", "/channels/{channel_id}")
    async def modify_channel(self, req: Req) -> Any:
        c = self._guild_channel(req)
        body = req.body or {}
        g = self.world.guild_of(c)
        if c.is_thread:
            only_own = set(body) <= {"archived"} and c.owner_id == self.world.bot_user_id
            if not only_own:
                needs_manage = {
                    "locked",
                    "invitable",
                    "rate_limit_per_user",
                    "applied_tags",
                    "auto_archive_duration",
                    "flags",
                } & set(body)
                if needs_manage or c.owner_id != self.world.bot_user_id:
                    self.ops.require(c, P.MANAGE_THREADS)
            if "name" in body:
                if not body["name"] or len(body["name"]) > 100:
                    raise form_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
                c.name = body["name"]
            for key in ("archived", "locked", "invitable"):
                if key in body and body[key] is not None:
                    setattr(c, key, bool(body[key]))
                    if key == "archived":
                        c.archive_timestamp = iso()
            if "auto_archive_duration" in body:
                c.auto_archive_duration = int(body["auto_archive_duration"])
            if "rate_limit_per_user" in body:
                c.rate_limit_per_user = int(body["rate_limit_per_user"] or 0)
            if "applied_tags" in body:
                c.applied_tags = [int(t) for t in body["applied_tags"] or []]
            if "flags" in body:
                c.flags = int(body["flags"] or 0)
            await self.ops.emit_channel("THREAD_UPDATE", c)
            return payloads.channel(self.world, c, bot_member=True)
        if g is None:
            raise ApiError(400, 50003, "Cannot execute action on a DM channel")
        self.ops.require(c, P.MANAGE_CHANNELS)
        for key in self._CHANNEL_FIELDS:
            if key in body:
                setattr(c, key, body[key])
        if "parent_id" in body:
            c.parent_id = int(body["parent_id"]) if body["parent_id"] else None
        if "available_tags" in body:
            c.available_tags = [
                {
                    "id": str(t.get("id") or self.world.next_id()),
                    "name": t["name"],
                    "moderated": t.get("moderated", False),
                    "emoji_id": t.get("emoji_id"),
                    "emoji_name": t.get("emoji_name"),
                }
                for t in body["available_tags"] or []
            ]
        if "permission_overwrites" in body:
            c.overwrites = [
                Overwrite(
                    int(o["id"]), int(o.get("type", 0)), int(o.get("allow") or 0), int(o.get("deny") or 0)
                )
                for o in body["permission_overwrites"] or []
            ]
        self.ops.audit(g, 11, c.id, req.reason)
        await self.ops.emit_channel("CHANNEL_UPDATE", c)
        return payloads.channel(self.world, c)

    @route("DELETE", "/channels/{channel_id}")
    async def delete_channel(self, req: Req) -> Any:
        c = self._guild_channel(req)
        g = self.world.guild_of(c)
        if g is None:
            return payloads.channel(self.world, c)
        self.ops.require(c, P.MANAGE_THREADS if c.is_thread else P.MANAGE_CHANNELS)
        data = payloads.channel(self.world, c)
        del g.channels[c.id]
        if c.is_thread:
            await self.d.gateway.dispatch(
                "THREAD_DELETE",
                {"id": str(c.id), "guild_id": str(g.id), "parent_id": str(c.parent_id), "type": c.type},
            )
        else:
            for t in [t for t in g.threads() if t.parent_id == c.id]:
                del g.channels[t.id]
            self.ops.audit(g, 12, c.id, req.reason)
            await self.d.gateway.dispatch("CHANNEL_DELETE", data)
        return data

    @route("POST", "/guilds/{guild_id}/channels")
    async def create_channel(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        self.ops.require(None, P.MANAGE_CHANNELS, guild=g)
        body = req.body or {}
        name = body.get("name") or ""
        if not 1 <= len(name) <= 100:
            raise form_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        ctype = int(body.get("type") or 0)
        if ctype in ChannelType.THREADS or ctype == ChannelType.DM:
            raise form_error("type", "BASE_TYPE_CHOICES", "Value must be one of {0, 2, 4, 5, 13, 15, 16}.")
        c = Channel(
            id=self.world.next_id(),
            type=ctype,
            name=name,
            guild_id=g.id,
            position=int(body.get("position") or len(g.channels)),
        )
        for key in self._CHANNEL_FIELDS:
            if key in body and body[key] is not None and key != "position":
                setattr(c, key, body[key])
        if body.get("parent_id"):
            c.parent_id = int(body["parent_id"])
        c.overwrites = [
            Overwrite(int(o["id"]), int(o.get("type", 0)), int(o.get("allow") or 0), int(o.get("deny") or 0))
            for o in body.get("permission_overwrites") or []
        ]
        if body.get("available_tags"):
            c.available_tags = [
                {
                    "id": str(self.world.next_id()),
                    "name": t["name"],
                    "moderated": t.get("moderated", False),
                    "emoji_id": t.get("emoji_id"),
                    "emoji_name": t.get("emoji_name"),
                }
                for t in body["available_tags"]
            ]
        g.channels[c.id] = c
        self.ops.audit(g, 10, c.id, req.reason)
        await self.ops.emit_channel("CHANNEL_CREATE", c)
        return (201, payloads.channel(self.world, c))

    @route("GET", "/guilds/{guild_id}/channels")
    async def list_channels(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        return [payloads.channel(self.world, c) for c in g.channels.values() if not c.is_thread]

    @route("PUT", "/channels/{channel_id}/permissions/{overwrite_id}")
    async def put_overwrite(self, req: Req) -> Any:
        c = self._guild_channel(req)
        g = self.world.guild_of(c)
        if g is None or c.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.ops.require(c, P.MANAGE_ROLES)
        body = req.body or {}
        oid = self._snow(req.params["overwrite_id"], "overwrite_id")
        ow = Overwrite(oid, int(body.get("type", 0)), int(body.get("allow") or 0), int(body.get("deny") or 0))
        c.overwrites = [o for o in c.overwrites if o.id != oid] + [ow]
        self.ops.audit(g, 14, c.id, req.reason)
        await self.ops.emit_channel("CHANNEL_UPDATE", c)
        return NO_CONTENT

    @route("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}")
    async def delete_overwrite(self, req: Req) -> Any:
        c = self._guild_channel(req)
        g = self.world.guild_of(c)
        if g is None:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.ops.require(c, P.MANAGE_ROLES)
        oid = self._snow(req.params["overwrite_id"], "overwrite_id")
        c.overwrites = [o for o in c.overwrites if o.id != oid]
        self.ops.audit(g, 15, c.id, req.reason)
        await self.ops.emit_channel("CHANNEL_UPDATE", c)
        return NO_CONTENT

    # -- guild / members -----------------------------------------------------------------

    @route("GET", "/guilds/{guild_id}")
    async def get_guild(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        return payloads.guild_rest(self.world, g, with_counts=req.query.get("with_counts") in ("true", "1"))

    @route("GET", "/guilds/{guild_id}/members/{user_id}")
    async def get_member(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        return payloads.member(self.world, self.ops.member(g, self._snow(req.params["user_id"], "user_id")))

    @route("GET", "/guilds/{guild_id}/members")
    async def list_members(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        limit = max(1, min(1000, int(req.query.get("limit", 1))))
        after = int(req.query.get("after", 0))
        members = sorted((m for m in g.members.values() if m.user_id > after), key=lambda m: m.user_id)
        return [payloads.member(self.world, m) for m in members[:limit]]

    @route("GET", "/guilds/{guild_id}/members/search")
    async def search_members(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        q = req.query.get("query", "").lower()
        limit = max(1, min(1000, int(req.query.get("limit", 1))))
        found = [
            m
            for m in g.members.values()
            if self.world.users[m.user_id].username.lower().startswith(q)
            or (m.nick or "").lower().startswith(q)
            or (self.world.users[m.user_id].global_name or "").lower().startswith(q)
        ]
        return [payloads.member(self.world, m) for m in found[:limit]]

    @route("PATCH", "/guilds/{guild_id}/members/{user_id}")
    async def modify_member(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        raw_uid = req.params["user_id"]
        uid = self.world.bot_user_id if raw_uid == "@me" else self._snow(raw_uid, "user_id")
        m = self.ops.member(g, uid)
        body = req.body or {}
        changes = []
        if "nick" in body:
            if uid != self.world.bot_user_id:
                self.ops.require(None, P.MANAGE_NICKNAMES, guild=g)
                self.ops.require_above(g, uid)
            changes.append({"key": "nick", "old_value": m.nick, "new_value": body["nick"]})
            m.nick = body["nick"] or None
        if "roles" in body:
            self.ops.require(None, P.MANAGE_ROLES, guild=g)
            new_roles = [self._snow(r, "roles") for r in body["roles"] or []]
            bot_top = g.top_position(self.world.bot_user_id)
            for rid in set(new_roles) ^ set(m.roles):
                role = self.ops.role(g, rid)
                if role.managed or role.position >= bot_top or rid == g.id:
                    raise missing_permissions()
            m.roles = list(dict.fromkeys(new_roles))
        if "communication_disabled_until" in body:
            self.ops.require(None, P.MODERATE_MEMBERS, guild=g)
            self.ops.require_above(g, uid)
            self.ops.set_timeout(g, m, body["communication_disabled_until"])
            changes.append(
                {"key": "communication_disabled_until", "new_value": m.communication_disabled_until}
            )
        for key in ("mute", "deaf"):
            if key in body:
                setattr(m, key, bool(body[key]))
        if "channel_id" in body and body["channel_id"] is None:
            pass  # disconnecting from voice: nobody is in voice in the double
        self.ops.audit(g, 24 if "roles" not in body else 25, uid, req.reason, changes=changes)
        await self.ops.emit_member_update(g, m)
        return payloads.member(self.world, m)

    @route("PATCH", "/guilds/{guild_id}/members/@me/nick")
    async def my_nick(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        m = self.ops.member(g, self.world.bot_user_id)
        m.nick = (req.body or {}).get("nick") or None
        await self.ops.emit_member_update(g, m)
        return {"nick": m.nick}

    async def _member_role(self, req: Req, add: bool) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        self.ops.require(None, P.MANAGE_ROLES, guild=g)
        m = self.ops.member(g, self._snow(req.params["user_id"], "user_id"))
        role = self.ops.role(g, self._snow(req.params["role_id"], "role_id"))
        if role.managed or role.id == g.id or role.position >= g.top_position(self.world.bot_user_id):
            raise missing_permissions()
        if add and role.id not in m.roles:
            m.roles.append(role.id)
        elif not add and role.id in m.roles:
            m.roles.remove(role.id)
        else:
            return NO_CONTENT
        self.ops.audit(
            g,
            25,
            m.user_id,
            req.reason,
            changes=[
                {"key": "$add" if add else "$remove", "new_value": [{"id": str(role.id), "name": role.name}]}
            ],
        )
        await self.ops.emit_member_update(g, m)
        return NO_CONTENT

    @route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    async def add_member_role(self, req: Req) -> Any:
        return await self._member_role(req, True)

    @route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    async def remove_member_role(self, req: Req) -> Any:
        return await self._member_role(req, False)

    @route("DELETE", "/guilds/{guild_id}/members/{user_id}")
    async def kick(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        uid = self._snow(req.params["user_id"], "user_id")
        self.ops.member(g, uid)
        self.ops.require(None, P.KICK_MEMBERS, guild=g)
        self.ops.require_above(g, uid)
        self.ops.audit(g, 20, uid, req.reason)
        await self.ops.remove_member(g, uid)
        return NO_CONTENT

    @route("GET", "/guilds/{guild_id}/bans")
    async def list_bans(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        self.ops.require(None, P.BAN_MEMBERS, guild=g)
        bans = sorted(g.bans.values(), key=lambda b: b.user_id)
        if "after" in req.query:
            bans = [b for b in bans if b.user_id > int(req.query["after"])]
        if "before" in req.query:
            bans = [b for b in bans if b.user_id < int(req.query["before"])]
        limit = max(1, min(1000, int(req.query.get("limit", 1000))))
        return [
            {"reason": b.reason, "user": payloads.user(self.world.users[b.user_id])} for b in bans[:limit]
        ]

    @route("GET", "/guilds/{guild_id}/bans/{user_id}")
    async def get_ban(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        self.ops.require(None, P.BAN_MEMBERS, guild=g)
        ban = g.bans.get(self._snow(req.params["user_id"], "user_id"))
        if ban is None:
            raise not_found(10026, "Ban")
        return {"reason": ban.reason, "user": payloads.user(self.world.users[ban.user_id])}

    @route("PUT", "/guilds/{guild_id}/bans/{user_id}")
    async def ban(self, req: Req) -> Any:
        from .state import Ban

        g = self.ops.guild(req.params["guild_id"])
        uid = self._snow(req.params["user_id"], "user_id")
        if uid not in self.world.users:
            raise not_found(10013, "User")
        self.ops.require(None, P.BAN_MEMBERS, guild=g)
        if uid in g.members:
            self.ops.require_above(g, uid)
        body = req.body or {}
        seconds = int(body.get("delete_message_seconds") or int(body.get("delete_message_days") or 0) * 86400)
        if seconds > 604800:
            raise form_error(
                "delete_message_seconds",
                "NUMBER_TYPE_MAX",
                "int value should be less than or equal to 604800.",
            )
        g.bans[uid] = Ban(uid, req.reason)
        self.ops.audit(g, 22, uid, req.reason)
        await self.d.gateway.dispatch(
            "GUILD_BAN_ADD", {"guild_id": str(g.id), "user": payloads.user(self.world.users[uid])}
        )
        await self.ops.remove_member(g, uid)
        if seconds:
            cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
            from .state import snowflake_time

            by_channel: dict[int, list[int]] = {}
            for m in self.world.messages.values():
                if (
                    m.author_id == uid
                    and m.guild_id == g.id
                    and not m.deleted
                    and snowflake_time(m.id) >= cutoff
                ):
                    m.deleted = True
                    by_channel.setdefault(m.channel_id, []).append(m.id)
            for cid, ids in by_channel.items():
                await self.d.gateway.dispatch(
                    "MESSAGE_DELETE_BULK",
                    {"ids": [str(i) for i in ids], "channel_id": str(cid), "guild_id": str(g.id)},
                )
        return NO_CONTENT

    @route("DELETE", "/guilds/{guild_id}/bans/{user_id}")
    async def unban(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        self.ops.require(None, P.BAN_MEMBERS, guild=g)
        uid = self._snow(req.params["user_id"], "user_id")
        if g.bans.pop(uid, None) is None:
            raise not_found(10026, "Ban")
        self.ops.audit(g, 23, uid, req.reason)
        await self.d.gateway.dispatch(
            "GUILD_BAN_REMOVE", {"guild_id": str(g.id), "user": payloads.user(self.world.users[uid])}
        )
        return NO_CONTENT

    @route("GET", "/guilds/{guild_id}/audit-logs")
    async def audit_logs(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        self.ops.require(None, P.VIEW_AUDIT_LOG, guild=g)
        entries = list(reversed(g.audit_log))
        if "action_type" in req.query:
            entries = [e for e in entries if e.action_type == int(req.query["action_type"])]
        if "user_id" in req.query:
            entries = [e for e in entries if e.user_id == int(req.query["user_id"])]
        if "before" in req.query:
            entries = [e for e in entries if e.id < int(req.query["before"])]
        if "after" in req.query:
            entries = [e for e in entries if e.id > int(req.query["after"])]
        limit = max(1, min(100, int(req.query.get("limit", 50))))
        entries = entries[:limit]
        return {
            "audit_log_entries": [
                {
                    "id": str(e.id),
                    "action_type": e.action_type,
                    "user_id": str(e.user_id),
                    "target_id": payloads.sid(e.target_id),
                    "reason": e.reason,
                    "changes": e.changes,
                    "options": e.options,
                }
                for e in entries
            ],
            "users": [payloads.user(u) for u in self.world.users.values()],
            "integrations": [],
            "webhooks": [],
            "guild_scheduled_events": [],
            "threads": [],
            "application_commands": [],
            "auto_moderation_rules": [],
        }

    # -- roles ---------------------------------------------------------------------------

    @route("GET", "/guilds/{guild_id}/roles")
    async def list_roles(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        return [payloads.role(r) for r in g.roles.values()]

    @route("GET", "/guilds/{guild_id}/roles/{role_id}")
    async def get_role(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        return payloads.role(self.ops.role(g, self._snow(req.params["role_id"], "role_id")))

    def _apply_role(self, g, r: Role, body: dict[str, Any]) -> None:
        if "name" in body and body["name"] is not None:
            if len(body["name"]) > 100:
                raise form_error("name", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
            r.name = body["name"]
        if "permissions" in body and body["permissions"] is not None:
            perms = int(body["permissions"])
            mine = g.base_permissions(self.world.bot_user_id)
            if perms & ~mine and not mine & P.ADMINISTRATOR:
                raise missing_permissions()
            r.permissions = perms
        for key in ("hoist", "mentionable"):
            if key in body and body[key] is not None:
                setattr(r, key, bool(body[key]))
        if "color" in body and body["color"] is not None:
            r.color = int(body["color"])
        if "colors" in body and body["colors"]:
            r.color = int(body["colors"].get("primary_color") or 0)

    @route("POST", "/guilds/{guild_id}/roles")
    async def create_role(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        self.ops.require(None, P.MANAGE_ROLES, guild=g)
        if len(g.roles) >= 250:
            raise ApiError(400, 30005, "Maximum number of guild roles reached (250)")
        r = Role(id=self.world.next_id(), name="new role", position=1)
        for other in g.roles.values():
            if other.id != g.id:
                other.position += 1
        self._apply_role(g, r, req.body or {})
        g.roles[r.id] = r
        self.ops.audit(g, 30, r.id, req.reason)
        await self.d.gateway.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(g.id), "role": payloads.role(r)})
        return payloads.role(r)

    @route("PATCH", "/guilds/{guild_id}/roles/{role_id}")
    async def modify_role(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        self.ops.require(None, P.MANAGE_ROLES, guild=g)
        r = self.ops.role(g, self._snow(req.params["role_id"], "role_id"))
        if r.position >= g.top_position(self.world.bot_user_id) and r.id != g.id:
            raise missing_permissions()
        self._apply_role(g, r, req.body or {})
        self.ops.audit(g, 31, r.id, req.reason)
        await self.d.gateway.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(g.id), "role": payloads.role(r)})
        return payloads.role(r)

    @route("PATCH", "/guilds/{guild_id}/roles")
    async def move_roles(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        self.ops.require(None, P.MANAGE_ROLES, guild=g)
        top = g.top_position(self.world.bot_user_id)
        for item in req.body or []:
            r = self.ops.role(g, self._snow(item.get("id"), "id"))
            if item.get("position") is not None:
                if r.position >= top or int(item["position"]) >= top:
                    raise missing_permissions()
                r.position = int(item["position"])
                await self.d.gateway.dispatch(
                    "GUILD_ROLE_UPDATE", {"guild_id": str(g.id), "role": payloads.role(r)}
                )
        return [payloads.role(r) for r in g.roles.values()]

    @route("DELETE", "/guilds/{guild_id}/roles/{role_id}")
    async def delete_role(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        self.ops.require(None, P.MANAGE_ROLES, guild=g)
        r = self.ops.role(g, self._snow(req.params["role_id"], "role_id"))
        if r.managed or r.id == g.id or r.position >= g.top_position(self.world.bot_user_id):
            raise missing_permissions()
        del g.roles[r.id]
        for m in g.members.values():
            if r.id in m.roles:
                m.roles.remove(r.id)
        self.ops.audit(g, 32, r.id, req.reason)
        await self.d.gateway.dispatch("GUILD_ROLE_DELETE", {"guild_id": str(g.id), "role_id": str(r.id)})
        return NO_CONTENT

    # -- scheduled events ----------------------------------------------------------------

    def _event(self, g, req: Req) -> ScheduledEvent:
        e = g.scheduled_events.get(self._snow(req.params["event_id"], "event_id"))
        if e is None:
            raise not_found(10070, "Guild Scheduled Event")
        return e

    def _apply_event(self, e: ScheduledEvent, body: dict[str, Any]) -> None:
        for key in (
            "name",
            "description",
            "scheduled_start_time",
            "scheduled_end_time",
            "privacy_level",
            "entity_type",
            "entity_metadata",
            "image",
            "recurrence_rule",
        ):
            if key in body:
                setattr(e, key, body[key])
        if "channel_id" in body:
            e.channel_id = int(body["channel_id"]) if body["channel_id"] else None
        if "status" in body and body["status"] is not None:
            new = int(body["status"])
            allowed = {1: {2, 4}, 2: {3}}.get(e.status, set())
            if new != e.status and new not in allowed:
                raise form_error(
                    "status", "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION", "Invalid status transition"
                )
            e.status = new
        if e.entity_type == 3:
            if not (e.entity_metadata or {}).get("location"):
                raise form_error("entity_metadata.location", "BASE_TYPE_REQUIRED", "This field is required")
            if not e.scheduled_end_time:
                raise form_error("scheduled_end_time", "BASE_TYPE_REQUIRED", "This field is required")
            e.channel_id = None
        elif e.channel_id is None:
            raise form_error("channel_id", "BASE_TYPE_REQUIRED", "This field is required")

    @route("GET", "/guilds/{guild_id}/scheduled-events")
    async def list_events(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        with_count = req.query.get("with_user_count") in ("true", "1")
        return [
            payloads.scheduled_event(self.world, e, with_count=with_count)
            for e in g.scheduled_events.values()
        ]

    @route("GET", "/guilds/{guild_id}/scheduled-events/{event_id}")
    async def get_event(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        return payloads.scheduled_event(
            self.world, self._event(g, req), with_count=req.query.get("with_user_count") in ("true", "1")
        )

    @route("POST", "/guilds/{guild_id}/scheduled-events")
    async def create_event(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        self.ops.require(None, P.MANAGE_EVENTS, guild=g)
        body = req.body or {}
        if not body.get("name") or not body.get("scheduled_start_time"):
            raise form_error(
                "name" if not body.get("name") else "scheduled_start_time",
                "BASE_TYPE_REQUIRED",
                "This field is required",
            )
        from .state import parse_iso

        if parse_iso(body["scheduled_start_time"]) < dt.datetime.now(dt.UTC):
            raise form_error(
                "scheduled_start_time",
                "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                "Cannot schedule event in the past.",
            )
        e = ScheduledEvent(
            id=self.world.next_id(),
            guild_id=g.id,
            name=body["name"],
            scheduled_start_time=body["scheduled_start_time"],
            creator_id=self.world.bot_user_id,
            entity_type=int(body.get("entity_type") or 3),
        )
        self._apply_event(e, body)
        g.scheduled_events[e.id] = e
        self.ops.audit(g, 100, e.id, req.reason)
        await self.d.gateway.dispatch("GUILD_SCHEDULED_EVENT_CREATE", payloads.scheduled_event(self.world, e))
        return payloads.scheduled_event(self.world, e)

    @route("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}")
    async def modify_event(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        self.ops.require(None, P.MANAGE_EVENTS, guild=g)
        e = self._event(g, req)
        self._apply_event(e, req.body or {})
        self.ops.audit(g, 101, e.id, req.reason)
        await self.d.gateway.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", payloads.scheduled_event(self.world, e))
        return payloads.scheduled_event(self.world, e)

    @route("DELETE", "/guilds/{guild_id}/scheduled-events/{event_id}")
    async def delete_event(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        self.ops.require(None, P.MANAGE_EVENTS, guild=g)
        e = self._event(g, req)
        del g.scheduled_events[e.id]
        self.ops.audit(g, 102, e.id, req.reason)
        await self.d.gateway.dispatch("GUILD_SCHEDULED_EVENT_DELETE", payloads.scheduled_event(self.world, e))
        return NO_CONTENT

    @route("GET", "/guilds/{guild_id}/scheduled-events/{event_id}/users")
    async def event_users(self, req: Req) -> Any:
        g = self.ops.guild(req.params["guild_id"])
        e = self._event(g, req)
        with_member = req.query.get("with_member") in ("true", "1")
        out = []
        for uid in e.user_ids:
            item: dict[str, Any] = {
                "guild_scheduled_event_id": str(e.id),
                "user": payloads.user(self.world.users[uid]),
            }
            if with_member and uid in g.members:
                item["member"] = payloads.member(self.world, g.members[uid], with_user=False)
            out.append(item)
        return out

    # -- interactions --------------------------------------------------------------------

    def _interaction(self, req: Req) -> InteractionRecord:
        rec = self.world.interactions.get(self._snow(req.params["interaction_id"], "interaction_id"))
        if rec is None or rec.token != req.params["token"]:
            raise not_found(10062, "interaction")
        return rec

    @route("POST", "/interactions/{interaction_id}/{token}/callback")
    async def callback(self, req: Req) -> Any:
        rec = self._interaction(req)
        if rec.acknowledged:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - rec.created > self.d.interaction_ack_timeout:
            raise not_found(10062, "interaction")
        body = req.body or {}
        ctype = int(body.get("type", 0))
        data = body.get("data") or {}
        component_based = rec.type == 3 or (rec.type == 5 and rec.source_message_id is not None)
        valid = {
            2: {4, 5, 9},
            3: {4, 5, 6, 7, 9},
            4: {8},
            5: {4, 5, 6, 7} if component_based else {4, 5},
        }.get(rec.type, set())
        if ctype not in valid:
            raise form_error(
                "type",
                "INTERACTION_RESPONSE_TYPE_INVALID",
                f"Interaction response type {ctype} is invalid for this interaction",
            )
        resource_msg = None
        if ctype == 4:
            m = self.ops.interaction_message(rec, data, req.files)
            rec.original_message_id = m.id
            rec.ephemeral_original = m.ephemeral
            await self.ops.store_and_emit(m)
            resource_msg = m
        elif ctype == 5:
            m = self.ops.interaction_message(rec, data, [], loading=True)
            rec.original_message_id = m.id
            rec.ephemeral_original = m.ephemeral
            await self.ops.store_and_emit(m)
            resource_msg = m
        elif ctype == 7:
            source = self.world.messages.get(rec.source_message_id or 0)
            if source is None or source.deleted:
                raise not_found(10008, "Message")
            await self.ops.edit(source, data, req.files)
            rec.original_message_id = source.id
            resource_msg = source
        elif ctype == 8:
            choices = data.get("choices") or []
            if len(choices) > 25:
                raise form_error("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        elif ctype == 9:
            if not data.get("custom_id") or not data.get("title") or not data.get("components"):
                raise form_error("data", "BASE_TYPE_REQUIRED", "This field is required")
            validate_modal(data)
        elif ctype == 6:
            if rec.source_message_id is not None:
                rec.original_message_id = rec.source_message_id
        rec.callbacks.append({"type": ctype, "data": data, "files": [f["filename"] for f in req.files]})
        self.d.driver._on_callback(rec)
        if req.query.get("with_response") not in ("1", "true", "True"):
            return NO_CONTENT
        out: dict[str, Any] = {"interaction": {"id": str(rec.id), "type": rec.type}}
        if resource_msg is not None:
            out["interaction"].update(
                response_message_id=str(resource_msg.id),
                response_message_loading=bool(resource_msg.flags & FLAG_LOADING),
                response_message_ephemeral=bool(resource_msg.flags & FLAG_EPHEMERAL),
            )
            out["resource"] = {"type": ctype, "message": self._msg(resource_msg)}
        elif ctype in (6, 8, 9):
            out["resource"] = {"type": ctype}
        return out

    def _webhook(self, req: Req) -> InteractionRecord:
        if self._snow(req.params["application_id"], "webhook_id") != self.world.application_id:
            raise not_found(10015, "Webhook")
        rec = self.world.interactions_by_token.get(req.params["token"])
        if rec is None:
            raise not_found(10015, "Webhook")
        return rec

    def _webhook_message(self, req: Req, rec: InteractionRecord):
        raw = req.params["message_id"]
        mid = rec.original_message_id if raw == "@original" else self._snow(raw, "message_id")
        m = self.world.messages.get(mid or 0)
        allowed = {rec.original_message_id, *rec.followup_ids}
        if m is None or m.deleted or mid not in allowed:
            raise not_found(10008, "Message")
        return m

    @route("POST", "/webhooks/{application_id}/{token}")
    async def followup(self, req: Req) -> Any:
        rec = self._webhook(req)
        if not rec.acknowledged:
            raise not_found(10015, "Webhook")
        body = req.body or {}
        original = self.world.messages.get(rec.original_message_id or 0)
        if original is not None and original.flags & FLAG_LOADING and not original.deleted:
            # Discord turns the first followup after a deferral into the deferred message itself.
            original.flags &= ~FLAG_LOADING
            edit_body = dict(body)
            edit_body.pop("flags", None)
            m = await self.ops.edit(original, edit_body, req.files)
            m.edited_timestamp = None
        else:
            m = self.ops.interaction_message(rec, body, req.files)
            await self.ops.store_and_emit(m)
        rec.followup_ids.append(m.id)
        self.d.driver._on_followup(rec, m)
        if req.query.get("wait") in ("true", "1", "True"):
            return self._msg(m)
        return NO_CONTENT

    @route("GET", "/webhooks/{application_id}/{token}/messages/{message_id}")
    async def webhook_get(self, req: Req) -> Any:
        rec = self._webhook(req)
        return self._msg(self._webhook_message(req, rec))

    @route("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}")
    async def webhook_edit(self, req: Req) -> Any:
        rec = self._webhook(req)
        m = self._webhook_message(req, rec)
        m.flags &= ~FLAG_LOADING
        m = await self.ops.edit(m, req.body or {}, req.files)
        self.d.driver._on_edit(rec, m)
        return self._msg(m)

    @route("DELETE", "/webhooks/{application_id}/{token}/messages/{message_id}")
    async def webhook_delete(self, req: Req) -> Any:
        rec = self._webhook(req)
        m = self._webhook_message(req, rec)
        await self.ops.delete(m)
        return NO_CONTENT


def validate_modal(data: dict[str, Any]) -> None:
    _max = 5
    if len(data.get("components") or []) > _max:
        raise form_error("data.components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    if len(data.get("title") or "") > 45:
        raise form_error("data.title", "BASE_TYPE_MAX_LENGTH", "Must be 45 or fewer in length.")


async def attachment_handler(double: DiscordDouble, request: web.Request) -> web.StreamResponse:
    """Serves uploaded files back so `Attachment.read()` works against the double."""
    try:
        blob = double.attachment_blobs[int(request.match_info["attachment_id"])]
    except (KeyError, ValueError):
        return web.Response(status=404)
    return web.Response(body=blob[0], content_type=blob[1])
