"""Gateway v10 over a real WebSocket: HELLO, IDENTIFY/READY, RESUME with replay.

Sessions outlive connections on purpose: discord.py resumes on a new socket
after a drop and expects every event it missed (sequence > its last `s`) to
be replayed before RESUMED, which is exactly what this keeps per session.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import payloads
from .payloads import Intents

if TYPE_CHECKING:
    from .core import DiscordDouble

log = logging.getLogger(__name__)

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE = 3
OP_VOICE_STATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

# Close codes discord.py treats as "reconnect and resume" vs. fatal ones.
CLOSE_UNKNOWN_ERROR = 4000
CLOSE_DECODE_ERROR = 4002
CLOSE_NOT_AUTHENTICATED = 4003
CLOSE_AUTH_FAILED = 4004
CLOSE_ALREADY_AUTHENTICATED = 4005
CLOSE_INVALID_SEQ = 4007
CLOSE_SESSION_TIMED_OUT = 4009
CLOSE_INVALID_INTENTS = 4013
CLOSE_DISALLOWED_INTENTS = 4014

REPLAY_BUFFER = 5000


class _ZlibStream:
    """Discord's zlib-stream: one deflate context per connection, each message Z_SYNC_FLUSHed."""

    def __init__(self) -> None:
        self._c = zlib.compressobj()

    def encode(self, text: str) -> bytes:
        return self._c.compress(text.encode()) + self._c.flush(zlib.Z_SYNC_FLUSH)


def _zstd_stream_factory() -> Callable[[], Any] | None:
    """zstd-stream is what discord.py asks for when `zstandard` (or 3.14's compression.zstd) is present."""
    try:
        import zstandard  # type: ignore[import-not-found]

        class _ZstandardStream:
            def __init__(self) -> None:
                self._c = zstandard.ZstdCompressor().compressobj()

            def encode(self, text: str) -> bytes:
                return self._c.compress(text.encode()) + self._c.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)

        return _ZstandardStream
    except ImportError:
        pass
    try:
        from compression.zstd import ZstdCompressor  # type: ignore[import-not-found]

        class _StdlibZstdStream:
            def __init__(self) -> None:
                self._c = ZstdCompressor()

            def encode(self, text: str) -> bytes:
                return self._c.compress(text.encode(), mode=ZstdCompressor.FLUSH_BLOCK)

        return _StdlibZstdStream
    except ImportError:
        return None


_ZSTD = _zstd_stream_factory()

# Which intent gates which event; events absent here are sent regardless (READY, INTERACTION_CREATE...).
EVENT_INTENTS: dict[str, int] = {
    "GUILD_CREATE": Intents.GUILDS,
    "GUILD_UPDATE": Intents.GUILDS,
    "GUILD_DELETE": Intents.GUILDS,
    "GUILD_ROLE_CREATE": Intents.GUILDS,
    "GUILD_ROLE_UPDATE": Intents.GUILDS,
    "GUILD_ROLE_DELETE": Intents.GUILDS,
    "CHANNEL_CREATE": Intents.GUILDS,
    "CHANNEL_UPDATE": Intents.GUILDS,
    "CHANNEL_DELETE": Intents.GUILDS,
    "THREAD_CREATE": Intents.GUILDS,
    "THREAD_UPDATE": Intents.GUILDS,
    "THREAD_DELETE": Intents.GUILDS,
    "THREAD_LIST_SYNC": Intents.GUILDS,
    "THREAD_MEMBER_UPDATE": Intents.GUILDS,
    "THREAD_MEMBERS_UPDATE": Intents.GUILDS,
    "GUILD_MEMBER_ADD": Intents.GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": Intents.GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": Intents.GUILD_MEMBERS,
    "GUILD_BAN_ADD": Intents.GUILD_MODERATION,
    "GUILD_BAN_REMOVE": Intents.GUILD_MODERATION,
    "GUILD_AUDIT_LOG_ENTRY_CREATE": Intents.GUILD_MODERATION,
    "PRESENCE_UPDATE": Intents.GUILD_PRESENCES,
    "GUILD_SCHEDULED_EVENT_CREATE": Intents.GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": Intents.GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": Intents.GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_USER_ADD": Intents.GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_USER_REMOVE": Intents.GUILD_SCHEDULED_EVENTS,
}
# Message-ish events are gated by a guild intent or a DM intent depending on where they happen.
GUILD_OR_DM_INTENTS: dict[str, tuple[int, int]] = {
    "MESSAGE_CREATE": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
    "MESSAGE_UPDATE": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
    "MESSAGE_DELETE": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
    "MESSAGE_DELETE_BULK": (Intents.GUILD_MESSAGES, Intents.DIRECT_MESSAGES),
    "CHANNEL_PINS_UPDATE": (Intents.GUILDS, Intents.DIRECT_MESSAGES),
    "MESSAGE_REACTION_ADD": (Intents.GUILD_MESSAGE_REACTIONS, Intents.DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE": (Intents.GUILD_MESSAGE_REACTIONS, Intents.DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE_ALL": (Intents.GUILD_MESSAGE_REACTIONS, Intents.DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE_EMOJI": (Intents.GUILD_MESSAGE_REACTIONS, Intents.DIRECT_MESSAGE_REACTIONS),
    "TYPING_START": (Intents.GUILD_MESSAGE_TYPING, Intents.DIRECT_MESSAGE_TYPING),
}


@dataclass
class Connection:
    ws: web.WebSocketResponse
    request: web.Request
    encoder: Any | None
    session: Session | None = None

    async def send(self, payload: dict[str, Any] | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        if self.encoder is not None:
            await self.ws.send_bytes(self.encoder.encode(text))
        else:
            await self.ws.send_str(text)

    def abort(self) -> None:
        transport = self.request.transport
        if transport is not None:
            transport.abort()


@dataclass
class Session:
    id: str
    intents: int
    shard: tuple[int, int] | None
    seq: int = 0
    buffer: collections.deque[tuple[int, str]] = field(
        default_factory=lambda: collections.deque(maxlen=REPLAY_BUFFER)
    )
    conn: Connection | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    identify: dict[str, Any] = field(default_factory=dict)
    presence: dict[str, Any] | None = None

    def wants(self, event: str, *, dm: bool) -> bool:
        if event in GUILD_OR_DM_INTENTS:
            guild_bit, dm_bit = GUILD_OR_DM_INTENTS[event]
            return bool(self.intents & (dm_bit if dm else guild_bit))
        bit = EVENT_INTENTS.get(event)
        return bit is None or bool(self.intents & bit)

    async def push(self, event: str, data: dict[str, Any]) -> int:
        async with self.lock:
            self.seq += 1
            text = json.dumps({"op": OP_DISPATCH, "t": event, "s": self.seq, "d": data}, ensure_ascii=False)
            self.buffer.append((self.seq, text))
            if self.conn is not None:
                try:
                    await self.conn.send(text)
                except (ConnectionError, RuntimeError):
                    # Stays in the buffer: a RESUME will replay it.
                    self.conn = None
            return self.seq


class Gateway:
    def __init__(self, double: DiscordDouble) -> None:
        self.double = double
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.heartbeat_interval_ms = 41250
        # Privileged intents the "developer portal" allows; others close with 4014 like Discord.
        self.allowed_privileged = Intents.PRIVILEGED
        self.identify_count = 0
        self.resume_count = 0
        self.presence_updates: list[dict[str, Any]] = []

    # -- connection handling -------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.double.faults.is_unreachable():
            return web.Response(status=502, text="Bad Gateway")
        compress = request.query.get("compress")
        encoder: Any | None = None
        if compress == "zlib-stream":
            encoder = _ZlibStream()
        elif compress == "zstd-stream" and _ZSTD is not None:
            encoder = _ZSTD()
        # Discord does not negotiate permessage-deflate; compression is the zlib/zstd stream only.
        ws = web.WebSocketResponse(compress=False, max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = Connection(ws=ws, request=request, encoder=encoder)
        self.connections.append(conn)
        try:
            if request.query.get("encoding", "json") != "json":
                await ws.close(
                    code=CLOSE_DECODE_ERROR, message=b"Only json encoding is supported by the double"
                )
                return ws
            await conn.send({"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    raw = msg.data
                elif msg.type is WSMsgType.BINARY:
                    raw = msg.data.decode()
                else:
                    break
                try:
                    packet = json.loads(raw)
                except ValueError:
                    await ws.close(code=CLOSE_DECODE_ERROR, message=b"Error while decoding payload.")
                    break
                await self._on_packet(conn, packet)
                if ws.closed:
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._detach(conn)
        return ws

    def _detach(self, conn: Connection) -> None:
        if conn in self.connections:
            self.connections.remove(conn)
        session = conn.session
        if session is not None and session.conn is conn:
            session.conn = None

    async def _on_packet(self, conn: Connection, packet: dict[str, Any]) -> None:
        op = packet.get("op")
        data = packet.get("d")
        if op == OP_HEARTBEAT:
            await conn.send({"op": OP_HEARTBEAT_ACK})
        elif op == OP_IDENTIFY:
            await self._identify(conn, data or {})
        elif op == OP_RESUME:
            await self._resume(conn, data or {})
        elif conn.session is None:
            await conn.ws.close(code=CLOSE_NOT_AUTHENTICATED, message=b"Not authenticated.")
        elif op == OP_PRESENCE:
            conn.session.presence = data
            self.presence_updates.append(data or {})
        elif op == OP_REQUEST_MEMBERS:
            await self._request_members(conn.session, data or {})
        elif op == OP_VOICE_STATE:
            pass  # Voice is out of scope; accepted silently like a guild with no voice server.
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        if conn.session is not None:
            await conn.ws.close(code=CLOSE_ALREADY_AUTHENTICATED, message=b"Already authenticated.")
            return
        if data.get("token") != self.double.token:
            await conn.ws.close(code=CLOSE_AUTH_FAILED, message=b"Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents >= 1 << 26:
            await conn.ws.close(code=CLOSE_INVALID_INTENTS, message=b"Invalid intent(s).")
            return
        if intents & Intents.PRIVILEGED & ~self.allowed_privileged:
            await conn.ws.close(code=CLOSE_DISALLOWED_INTENTS, message=b"Disallowed intent(s).")
            return
        shard = data.get("shard")
        session = Session(
            id=secrets.token_hex(16),
            intents=intents,
            shard=tuple(shard) if shard else None,
            identify=data,
            presence=data.get("presence"),
        )
        self.sessions[session.id] = session
        self.identify_count += 1
        world = self.double.world
        async with session.lock:
            session.conn = conn
            conn.session = session
        guilds = [
            g
            for g in world.guilds.values()
            if session.shard is None or (g.id >> 22) % session.shard[1] == session.shard[0]
        ]
        ready = {
            "v": 10,
            "user": payloads.user(world.bot) | {"verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.double.resume_gateway_url,
            "application": {"id": str(world.application_id), "flags": payloads.application(world)["flags"]},
            "private_channels": [],
            "presences": [],
            "relationships": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["rotterdam"],
            "auth": {},
            "user_settings": {},
            "_trace": ['["relais-double"]'],
        }
        if session.shard is not None:
            ready["shard"] = list(session.shard)
        await self._push(session, "READY", ready)
        for guild in guilds:
            await self._push(session, "GUILD_CREATE", payloads.guild_create(world, guild, intents))

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        if session is None or data.get("token") != self.double.token or not isinstance(seq, int):
            # Discord waits a bit before sending op 9; discord.py then re-IDENTIFYs.
            await conn.send({"op": OP_INVALID_SESSION, "d": False})
            return
        async with session.lock:
            oldest = session.buffer[0][0] if session.buffer else session.seq + 1
            if seq < oldest - 1 or seq > session.seq:
                await conn.send({"op": OP_INVALID_SESSION, "d": False})
                self.sessions.pop(session.id, None)
                return
            if session.conn is not None and session.conn is not conn:
                old = session.conn
                session.conn = None
                with contextlib.suppress(Exception):
                    await old.ws.close(code=CLOSE_UNKNOWN_ERROR, message=b"Session resumed elsewhere.")
            for s, text in session.buffer:
                if s > seq:
                    await conn.send(text)
            session.seq += 1
            resumed = json.dumps({"op": OP_DISPATCH, "t": "RESUMED", "s": session.seq, "d": {"_trace": []}})
            session.buffer.append((session.seq, resumed))
            await conn.send(resumed)
            session.conn = conn
            conn.session = session
        self.resume_count += 1
        self.double._notify_event("RESUMED", {}, session)

    async def _request_members(self, session: Session, data: dict[str, Any]) -> None:
        world = self.double.world
        if not session.intents & Intents.GUILD_MEMBERS and not data.get("user_ids"):
            await session.conn.ws.close(code=CLOSE_DISALLOWED_INTENTS, message=b"Disallowed intent(s).")
            return
        guild_ids = data.get("guild_id")
        if not isinstance(guild_ids, list):
            guild_ids = [guild_ids]
        for gid in guild_ids:
            guild = world.guilds.get(int(gid))
            if guild is None:
                continue
            members = list(guild.members.values())
            not_found: list[str] = []
            if data.get("user_ids"):
                wanted = [int(u) for u in data["user_ids"]]
                not_found = [str(u) for u in wanted if u not in guild.members]
                members = [m for m in members if m.user_id in wanted]
            elif data.get("query"):
                q = str(data["query"]).lower()
                members = [
                    m
                    for m in members
                    if world.users[m.user_id].username.lower().startswith(q)
                    or (m.nick or "").lower().startswith(q)
                ]
            limit = data.get("limit") or 0
            if limit:
                members = members[:limit]
            chunk: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": [payloads.member(world, m) for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
            }
            if not_found:
                chunk["not_found"] = not_found
            if data.get("presences"):
                chunk["presences"] = [payloads.presence(world, guild, m) for m in members]
            if data.get("nonce") is not None:
                chunk["nonce"] = data["nonce"]
            await self._push(session, "GUILD_MEMBERS_CHUNK", chunk)

    # -- dispatch ------------------------------------------------------------

    async def _push(self, session: Session, event: str, data: dict[str, Any]) -> None:
        await session.push(event, data)
        self.double._notify_event(event, data, session)

    async def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        dm: bool = False,
        transform: Callable[[Session, dict[str, Any]], dict[str, Any] | None] | None = None,
    ) -> None:
        """Send one event to every live session whose intents ask for it; a guild's events go only
        to the shard that owns the guild (``(guild_id >> 22) % shard_count``), DMs to shard 0."""
        guild_id = data.get("guild_id") or (
            data.get("id") if event.startswith("GUILD_") and "name" in data else None
        )
        for session in list(self.sessions.values()):
            if not session.wants(event, dm=dm):
                continue
            if session.shard is not None:
                shard_id, shard_count = session.shard
                owner = (int(guild_id) >> 22) % shard_count if guild_id else 0
                if owner != shard_id:
                    continue
            out = transform(session, data) if transform else data
            if out is None:
                continue
            await self._push(session, event, out)

    # -- faults --------------------------------------------------------------

    async def redeliver(self, event: str, predicate: Callable[[dict[str, Any]], bool]) -> int:
        """Send again, with a new sequence number, the latest already-sent ``event`` matching
        ``predicate``: Discord's at-least-once delivery around a RESUME, which handlers that
        write must survive. Returns how many sessions got the duplicate."""
        sent = 0
        for session in list(self.sessions.values()):
            for _, text in reversed(session.buffer):
                packet = json.loads(text)
                if packet["t"] == event and predicate(packet["d"]):
                    await self._push(session, event, packet["d"])
                    sent += 1
                    break
        return sent

    async def drop(self, *, resumable: bool = True, how: str = "close") -> None:
        """Cut every connection the way Discord does.

        how="close": close frame 4000 (resumable) or 4009 + forget the session.
        how="reconnect": op 7, discord.py closes and RESUMEs.
        how="invalid": op 9 with d=resumable.
        how="reset": abort the TCP connection without a close frame.
        """
        for conn in list(self.connections):
            session = conn.session
            if session is not None and not resumable:
                self.sessions.pop(session.id, None)
            if session is not None:
                session.conn = None
            try:
                if how == "reconnect":
                    await conn.send({"op": OP_RECONNECT, "d": None})
                elif how == "invalid":
                    await conn.send({"op": OP_INVALID_SESSION, "d": resumable})
                elif how == "reset":
                    conn.abort()
                else:
                    code = CLOSE_UNKNOWN_ERROR if resumable else CLOSE_SESSION_TIMED_OUT
                    await conn.ws.close(code=code, message=b"Dropped by the double")
            except (ConnectionError, RuntimeError):
                pass

    def abort_all(self) -> None:
        for conn in list(self.connections):
            if conn.session is not None:
                conn.session.conn = None
            conn.abort()

    async def close(self) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"Double shutting down")
        self.connections.clear()
