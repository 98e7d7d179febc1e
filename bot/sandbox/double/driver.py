# ruff: noqa: ASYNC109  -- a `timeout=` argument on every wait is the point of this test-facing API.
"""The test driver: plays the humans in the seeded guild and observes what the bot did.

Interactions are built from the commands the bot actually registered (bulk
overwrite), never from a hand-written payload: renaming an option in the bot
without updating a test must fail that test here, loudly.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import payloads
from .ops import FLAG_EPHEMERAL, FLAG_LOADING
from .state import Channel, Command, InteractionRecord, Member, Message, P, User, iso

if TYPE_CHECKING:
    from .core import DiscordDouble
    from .rest import RequestRecord

Ref = int | str | Any

OPTION_TYPES = {
    1: "SUB_COMMAND",
    2: "SUB_COMMAND_GROUP",
    3: "STRING",
    4: "INTEGER",
    5: "BOOLEAN",
    6: "USER",
    7: "CHANNEL",
    8: "ROLE",
    9: "MENTIONABLE",
    10: "NUMBER",
    11: "ATTACHMENT",
}


class DriverError(AssertionError):
    """A test asked for something a real user could not do (unknown command, option, button...)."""


class InteractionResult:
    """What the bot answered to one injected interaction; fills in as callbacks and followups arrive."""

    def __init__(self, driver: Driver, record: InteractionRecord) -> None:
        self._driver = driver
        self.record = record
        self._changed = asyncio.Event()
        self._followups_seen = 0
        self._edits = 0
        self._edits_seen = 0

    def __repr__(self) -> str:
        return f"<InteractionResult id={self.record.id} type={self.type} content={self.content!r}>"

    def _pulse(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait(self, cond: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = cond()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"interaction {self.record.id}: no {what} within {timeout}s (callbacks={self.callbacks})"
                )
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    async def wait(self, timeout: float = 5) -> InteractionResult:
        """Wait for the initial response (callback) to this interaction."""
        await self._wait(lambda: self.record.callbacks, timeout, "response")
        return self

    async def wait_followup(self, timeout: float = 5) -> Message:
        """Wait for the next followup message not yet returned by this method.

        After a deferral the first followup *is* the deferred message (Discord
        edits it in place), so it is returned here too.
        """
        index = self._followups_seen
        await self._wait(lambda: len(self.record.followup_ids) > index, timeout, "followup")
        self._followups_seen += 1
        return self._driver.d.world.messages[self.record.followup_ids[index]]

    async def wait_edit(self, timeout: float = 5) -> Message:
        """Wait for the next edit of the original response (e.g. `edit_original_response` after a defer)."""
        index = self._edits_seen
        await self._wait(lambda: self._edits > index, timeout, "edit of the original response")
        self._edits_seen += 1
        msg = self.message
        assert msg is not None
        return msg

    async def wait_done(self, timeout: float = 5) -> InteractionResult:
        """Wait until the response is no longer a "thinking…" placeholder."""
        await self.wait(timeout)
        await self._wait(lambda: not self.loading, timeout, "final (non-loading) response")
        return self

    @property
    def callbacks(self) -> list[dict[str, Any]]:
        return self.record.callbacks

    @property
    def type(self) -> int | None:
        return self.record.callbacks[0]["type"] if self.record.callbacks else None

    @property
    def data(self) -> dict[str, Any]:
        return self.record.callbacks[0]["data"] if self.record.callbacks else {}

    @property
    def message(self) -> Message | None:
        mid = self.record.original_message_id
        return self._driver.d.world.messages.get(mid) if mid else None

    @property
    def message_id(self) -> int | None:
        return self.record.original_message_id

    @property
    def message_ids(self) -> list[int]:
        ids = [self.record.original_message_id] if self.record.original_message_id else []
        return ids + [m for m in self.record.followup_ids if m not in ids]

    @property
    def followups(self) -> list[Message]:
        return [self._driver.d.world.messages[m] for m in self.record.followup_ids]

    @property
    def content(self) -> str | None:
        msg = self.message
        return msg.content if msg is not None else None

    @property
    def embeds(self) -> list[dict[str, Any]]:
        msg = self.message
        return msg.embeds if msg is not None else []

    @property
    def components(self) -> list[dict[str, Any]]:
        msg = self.message
        return msg.components if msg is not None else []

    @property
    def ephemeral(self) -> bool:
        msg = self.message
        if msg is not None:
            return bool(msg.flags & FLAG_EPHEMERAL)
        return bool(int(self.data.get("flags") or 0) & FLAG_EPHEMERAL)

    @property
    def deferred(self) -> bool:
        return self.type in (5, 6)

    @property
    def loading(self) -> bool:
        msg = self.message
        return bool(msg is not None and msg.flags & FLAG_LOADING)

    @property
    def modal(self) -> dict[str, Any] | None:
        for cb in self.record.callbacks:
            if cb["type"] == 9:
                return cb["data"]
        return None

    @property
    def modal_values(self) -> dict[str, str]:
        """The pre-filled value of each text input of the opened modal, by ``custom_id``
        (inputs sit in action rows, or in labels as ``component``)."""
        found: dict[str, str] = {}

        def walk(items: list[dict[str, Any]]) -> None:
            for c in items:
                if c.get("type") == 4:
                    found[c["custom_id"]] = c.get("value") or ""
                walk(c.get("components") or [])
                if isinstance(c.get("component"), dict):
                    walk([c["component"]])

        walk((self.modal or {}).get("components") or [])
        return found

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        for cb in self.record.callbacks:
            if cb["type"] == 8:
                return cb["data"].get("choices") or []
        return None


class Driver:
    def __init__(self, double: DiscordDouble) -> None:
        self.d = double
        self._results: dict[int, InteractionResult] = {}
        self._request_mark = 0
        self._event_mark = 0
        # The language of each member's Discord client (sent as the interaction's locale).
        self.locales: dict[int, str] = {}

    def set_locale(self, member: Ref, locale: str) -> None:
        """Make ``member``'s Discord client speak ``locale`` (e.g. "en-US") from now on."""
        self.locales[self.user_id(member)] = locale

    @property
    def world(self):
        return self.d.world

    @property
    def requests(self) -> list[RequestRecord]:
        return self.d.requests

    def _mark(self) -> None:
        self._request_mark = len(self.d.requests)
        self._event_mark = len(self.d.events)

    # -- name resolution ---------------------------------------------------------

    def user_id(self, ref: Ref) -> int:
        if hasattr(ref, "id") and not isinstance(ref, (int, str)):
            return int(ref.id)
        if isinstance(ref, int):
            if ref in self.world.users:
                return ref
            raise DriverError(f"unknown user id {ref}")
        key = str(ref).lstrip("@").lower()
        if key in self.d.index.members:
            return self.d.index.members[key]
        if key.isdigit() and int(key) in self.world.users:
            return int(key)
        for u in self.world.users.values():
            if key in {(u.short_name or "").lower(), u.username.lower(), (u.global_name or "").lower()}:
                return u.id
        raise DriverError(f"unknown user {ref!r}; known: {sorted(self.d.index.members)}")

    def user(self, ref: Ref) -> User:
        return self.world.users[self.user_id(ref)]

    def channel(self, ref: Ref) -> Channel:
        if hasattr(ref, "id") and not isinstance(ref, (int, str)):
            ref = int(ref.id)
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            c = self.world.channel(int(ref))
            if c is None:
                raise DriverError(f"unknown channel id {ref}")
            return c
        key = str(ref).lstrip("#")
        if key in self.d.index.channels:
            return self.world.channel(self.d.index.channels[key])  # type: ignore[return-value]
        for g in self.world.guilds.values():
            for c in g.channels.values():
                if c.name == key:
                    return c
        raise DriverError(f"unknown channel {ref!r}; known: {sorted(self.d.index.channels)}")

    def role_id(self, ref: Ref) -> int:
        if hasattr(ref, "id") and not isinstance(ref, (int, str)):
            return int(ref.id)
        guild = self.d.guild
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            if int(ref) in guild.roles:
                return int(ref)
        key = str(ref).lstrip("@")
        if key.lower() in self.d.index.roles:
            return self.d.index.roles[key.lower()]
        for r in guild.roles.values():
            if r.name.lower() == key.lower():
                return r.id
        raise DriverError(f"unknown role {ref!r}")

    def message_obj(self, ref: Ref) -> Message:
        mid = int(ref.id) if hasattr(ref, "id") and not isinstance(ref, (int, str)) else int(ref)
        m = self.world.messages.get(mid)
        if m is None or m.deleted:
            raise DriverError(f"unknown message {ref!r}")
        return m

    # -- messages ------------------------------------------------------------------

    def _check_can_send(self, author_id: int, channel: Channel) -> None:
        guild = self.world.guild_of(channel)
        if guild is None:
            return
        member = guild.members.get(author_id)
        if member is None:
            raise DriverError(f"{self.world.users[author_id].username} is not a member of {guild.name}")
        perms = guild.permissions_in(author_id, channel)
        need = P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES
        if not perms & need:
            raise DriverError(
                f"{self.world.users[author_id].username} cannot send messages in #{channel.name}"
            )

    async def send_message(
        self,
        author: Ref,
        channel: Ref,
        content: str = "",
        *,
        embeds: list[dict[str, Any]] | None = None,
        reply_to: Ref | None = None,
        attachments: list[tuple[str, bytes]] | None = None,
    ) -> Message:
        """A human posts in a channel (or thread); the bot receives MESSAGE_CREATE."""
        self._mark()
        uid = self.user_id(author)
        ch = self.channel(channel)
        self._check_can_send(uid, ch)
        body: dict[str, Any] = {"content": content}
        if embeds:
            body["embeds"] = embeds
        if reply_to is not None:
            body["message_reference"] = {"message_id": str(self.message_obj(reply_to).id)}
        files = [
            {"index": i, "filename": name, "content": data, "content_type": "application/octet-stream"}
            for i, (name, data) in enumerate(attachments or [])
        ]
        m = self.d.ops.build_message(ch, uid, body, files)
        return await self.d.ops.store_and_emit(m)

    async def send_dm(self, author: Ref, content: str) -> Message:
        """A human writes to the bot in DMs."""
        self._mark()
        uid = self.user_id(author)
        ch = self.d.ops.open_dm(uid)
        m = self.d.ops.build_message(ch, uid, {"content": content})
        return await self.d.ops.store_and_emit(m)

    async def edit_message(self, message: Ref, content: str) -> Message:
        self._mark()
        m = self.message_obj(message)
        return await self.d.ops.edit(m, {"content": content})

    async def delete_message(self, message: Ref) -> None:
        self._mark()
        await self.d.ops.delete(self.message_obj(message))

    async def react(self, author: Ref, message: Ref, emoji: str, *, remove: bool = False) -> None:
        self._mark()
        m = self.message_obj(message)
        ch = self.world.channel(m.channel_id)
        assert ch is not None
        from .ops import parse_emoji

        await self.d.ops.react(ch, m, parse_emoji(emoji), self.user_id(author), not remove)

    # -- members -----------------------------------------------------------------------

    async def member_join(self, user: Ref, *, global_name: str | None = None) -> Member:
        """A user joins the guild; unknown names create a new user (e.g. `member_join("zoe")`)."""
        self._mark()
        guild = self.d.guild
        try:
            uid = self.user_id(user)
        except DriverError:
            if not isinstance(user, str):
                raise
            uid = self.world.next_id()
            key = user.lower()
            self.world.users[uid] = User(
                id=uid, username=key, global_name=global_name or user, short_name=key
            )
            self.d.index.members[key] = uid
        if uid in guild.bans:
            raise DriverError(f"{self.world.users[uid].username} is banned from {guild.name}")
        if uid in guild.members:
            raise DriverError(f"{self.world.users[uid].username} is already a member")
        member = Member(user_id=uid, joined_at=iso())
        await self.d.ops.add_member(guild, member)
        return member

    async def member_leave(self, member: Ref) -> None:
        self._mark()
        await self.d.ops.remove_member(self.d.guild, self.user_id(member))

    def refuse_dms(self, member: Ref, refuse: bool = True) -> None:
        """Flip the user's privacy switch: the bot's DMs then fail with 50007."""
        self.user(member).accepts_dms = not refuse

    # -- state readers -------------------------------------------------------------------

    def messages(self, channel: Ref, *, include_ephemeral: bool = False) -> list[Message]:
        return self.world.channel_messages(self.channel(channel).id, include_ephemeral=include_ephemeral)

    def bot_messages(self, channel: Ref) -> list[Message]:
        return [m for m in self.messages(channel) if m.author_id == self.world.bot_user_id]

    def ephemeral_messages(self, member: Ref) -> list[Message]:
        uid = self.user_id(member)
        return sorted((m for m in self.world.messages.values() if m.ephemeral_for == uid), key=lambda m: m.id)

    def dms(self, member: Ref) -> list[Message]:
        """Messages the bot sent to this member in DMs."""
        ch = self.world.dm_channel_with(self.user_id(member))
        if ch is None:
            return []
        return [m for m in self.world.channel_messages(ch.id) if m.author_id == self.world.bot_user_id]

    def threads(self, parent: Ref | None = None) -> list[Channel]:
        threads = self.d.guild.threads()
        if parent is not None:
            pid = self.channel(parent).id
            threads = [t for t in threads if t.parent_id == pid]
        return sorted(threads, key=lambda t: t.id)

    def thread_members(self, thread: Ref) -> list[int]:
        return list(self.channel(thread).members)

    def scheduled_events(self) -> list[Any]:
        return list(self.d.guild.scheduled_events.values())

    def member(self, member: Ref) -> Member | None:
        return self.d.guild.members.get(self.user_id(member))

    def role_names(self, member: Ref) -> list[str]:
        m = self.member(member)
        return [self.d.guild.roles[r].name for r in m.roles] if m else []

    def is_timed_out(self, member: Ref) -> bool:
        m = self.member(member)
        return bool(m and m.timed_out())

    def bans(self) -> dict[int, str | None]:
        return {uid: b.reason for uid, b in self.d.guild.bans.items()}

    def commands(self) -> list[Command]:
        guild_cmds = list(self.world.guild_commands.get(self.d.guild.id, {}).values())
        return guild_cmds + list(self.world.global_commands.values())

    # -- waiting -----------------------------------------------------------------------

    async def wait_for_request(
        self, method: str, path_regex: str, timeout: float = 5, *, since: int | None = None
    ) -> RequestRecord:
        """First request matching since the driver's last action (or `since`, an index into `requests`)."""
        pattern = re.compile(path_regex)

        def pred(r: RequestRecord) -> bool:
            return (method == "*" or r.method == method.upper()) and bool(pattern.search(r.path))

        start = self._request_mark if since is None else since
        for r in self.d.requests[start:]:
            if pred(r) and r.status:
                return r
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self.d._request_waiters.append((pred, fut))
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            seen = [f"{r.method} {r.path} -> {r.status}" for r in self.d.requests[start:]]
            raise TimeoutError(f"no {method} {path_regex} within {timeout}s; saw {seen}") from None

    async def wait_for_event(
        self,
        name: str,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5,
        *,
        since: int | None = None,
    ) -> dict[str, Any]:
        """First gateway event `name` sent to the bot since the driver's last action."""

        def pred(n: str, data: dict[str, Any]) -> bool:
            return n == name and (predicate is None or predicate(data))

        start = self._event_mark if since is None else since
        for _, n, data in self.d.events[start:]:
            if pred(n, data):
                return data
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self.d._event_waiters.append((pred, fut))
        try:
            return (await asyncio.wait_for(fut, timeout))[1]
        except TimeoutError:
            raise TimeoutError(f"no {name} event within {timeout}s") from None

    # -- interactions ------------------------------------------------------------------

    def _on_callback(self, rec: InteractionRecord) -> None:
        result = self._results.get(rec.id)
        if result is not None:
            result._pulse()

    def _on_followup(self, rec: InteractionRecord, m: Message) -> None:
        self._on_callback(rec)

    def _on_edit(self, rec: InteractionRecord, m: Message) -> None:
        result = self._results.get(rec.id)
        if result is not None and m.id == rec.original_message_id:
            result._edits += 1
            result._pulse()

    def _default_channel(self) -> Channel:
        return self.channel(self.d.seed.system_channel or next(iter(self.d.index.channels)))

    async def _dispatch_interaction(
        self,
        itype: int,
        author: Ref,
        channel: Channel,
        data: dict[str, Any],
        *,
        message: Message | None = None,
        source_message_id: int | None = None,
    ) -> InteractionResult:
        self._mark()
        world = self.world
        uid = self.user_id(author)
        guild = world.guild_of(channel)
        iid = world.next_id()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(world.application_id),
            "type": itype,
            "data": data,
            "channel_id": str(channel.id),
            "token": token,
            "version": 1,
            "locale": self.locales.get(uid, "fr"),
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild is not None:
            if uid not in guild.members:
                raise DriverError(f"{world.users[uid].username} is not a member of {guild.name}")
            perms = guild.permissions_in(uid, channel)
            if not perms & P.VIEW_CHANNEL:
                raise DriverError(f"{world.users[uid].username} cannot see #{channel.name}")
            payload.update(
                guild_id=str(guild.id),
                guild={
                    "id": str(guild.id),
                    "locale": guild.preferred_locale,
                    "features": list(guild.features),
                },
                guild_locale=guild.preferred_locale,
                member=payloads.member(world, guild.members[uid]) | {"permissions": str(perms)},
                app_permissions=str(guild.permissions_in(world.bot_user_id, channel)),
                channel=payloads.channel(world, channel) | {"permissions": str(perms)},
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=payloads.user(world.users[uid]),
                app_permissions=str(P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS | P.ATTACH_FILES),
                channel=payloads.channel(world, channel),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        if message is not None:
            payload["message"] = payloads.message(world, message, with_member=False)
        rec = InteractionRecord(
            id=iid,
            token=token,
            type=itype,
            user_id=uid,
            channel_id=channel.id,
            guild_id=guild.id if guild else None,
            payload=payload,
            source_message_id=source_message_id,
        )
        world.interactions[iid] = rec
        world.interactions_by_token[token] = rec
        result = InteractionResult(self, rec)
        self._results[iid] = result
        if not self.d.sessions:
            raise DriverError("no bot session is connected to the gateway")
        await self.d.gateway.dispatch("INTERACTION_CREATE", payload)
        return result

    def _find_command(self, name: str, ctype: int, guild_id: int | None) -> Command:
        pool = list(self.world.guild_commands.get(guild_id or 0, {}).values()) + list(
            self.world.global_commands.values()
        )
        for c in pool:
            if c.name == name and c.type == ctype:
                return c
        known = sorted(f"{c.name} (type {c.type})" for c in pool)
        raise DriverError(f"no registered command {name!r} of type {ctype}; registered: {known}")

    def _resolve_option(
        self,
        opt: dict[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        channel: Channel,
        author: int,
    ) -> Any:
        otype = opt["type"]
        name = opt["name"]
        guild = self.world.guild_of(channel)
        choices = opt.get("choices") or []
        if choices:
            values = [c["value"] for c in choices]
            if value not in values:
                by_name = {c["name"]: c["value"] for c in choices}
                if value in by_name:
                    value = by_name[value]
                else:
                    raise DriverError(
                        f"option {name!r}: {value!r} is not one of the registered choices {values}"
                    )
        if otype == 3:
            if not isinstance(value, str):
                raise DriverError(f"option {name!r} is a STRING, got {value!r}")
            if "min_length" in opt and len(value) < opt["min_length"]:
                raise DriverError(f"option {name!r}: shorter than min_length {opt['min_length']}")
            if "max_length" in opt and len(value) > opt["max_length"]:
                raise DriverError(f"option {name!r}: longer than max_length {opt['max_length']}")
            return value
        if otype in (4, 10):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or (otype == 4 and not isinstance(value, int))
            ):
                raise DriverError(f"option {name!r} is {OPTION_TYPES[otype]}, got {value!r}")
            if opt.get("min_value") is not None and value < opt["min_value"]:
                raise DriverError(f"option {name!r}: below min_value {opt['min_value']}")
            if opt.get("max_value") is not None and value > opt["max_value"]:
                raise DriverError(f"option {name!r}: above max_value {opt['max_value']}")
            return value
        if otype == 5:
            if not isinstance(value, bool):
                raise DriverError(f"option {name!r} is a BOOLEAN, got {value!r}")
            return value
        if otype == 6 or (otype == 9 and not self._looks_like_role(value)):
            uid = self.user_id(value)
            resolved.setdefault("users", {})[str(uid)] = payloads.user(self.world.users[uid])
            if guild is not None and uid in guild.members:
                resolved.setdefault("members", {})[str(uid)] = payloads.member(
                    self.world, guild.members[uid], with_user=False
                ) | {"permissions": str(guild.permissions_in(uid, channel))}
            return str(uid)
        if otype in (8, 9):
            rid = self.role_id(value)
            assert guild is not None
            resolved.setdefault("roles", {})[str(rid)] = payloads.role(guild.roles[rid])
            return str(rid)
        if otype == 7:
            target = self.channel(value)
            if opt.get("channel_types") and target.type not in opt["channel_types"]:
                raise DriverError(
                    f"option {name!r}: channel type {target.type} not in {opt['channel_types']}"
                )
            assert guild is not None
            resolved.setdefault("channels", {})[str(target.id)] = payloads.resolved_channel(
                self.world, guild, target, author
            )
            return str(target.id)
        if otype == 11:
            if not (isinstance(value, tuple) and len(value) == 2):
                raise DriverError(f"option {name!r} is an ATTACHMENT: pass (filename, bytes)")
            filename, content = value
            att_id = self.world.next_id()
            url = f"{self.d.http_base}/attachments/{channel.id}/{att_id}/{filename}"
            self.d.attachment_blobs[att_id] = (content, "application/octet-stream")
            resolved.setdefault("attachments", {})[str(att_id)] = {
                "id": str(att_id),
                "filename": filename,
                "size": len(content),
                "url": url,
                "proxy_url": url,
                "content_type": "application/octet-stream",
                "ephemeral": True,
            }
            return str(att_id)
        raise DriverError(f"option {name!r}: unsupported type {otype}")

    def _looks_like_role(self, value: Any) -> bool:
        try:
            self.role_id(value)
        except DriverError:
            return False
        try:
            self.user_id(value)
        except DriverError:
            return True
        return False

    def _build_command_data(
        self,
        path: str,
        author: int,
        channel: Channel,
        options: dict[str, Any],
        *,
        focused: str | None = None,
    ) -> dict[str, Any]:
        parts = path.split()
        if not parts:
            raise DriverError("empty command path")
        guild = self.world.guild_of(channel)
        cmd = self._find_command(parts[0], 1, guild.id if guild else None)
        schema = cmd.options
        top: list[dict[str, Any]] = []
        container = top
        walked = [parts[0]]
        for part in parts[1:]:
            sub = next((o for o in schema if o["name"] == part and o["type"] in (1, 2)), None)
            if sub is None:
                names = [o["name"] for o in schema if o["type"] in (1, 2)]
                raise DriverError(f"/{' '.join(walked)} has no subcommand {part!r}; has {names}")
            node: dict[str, Any] = {"name": part, "type": sub["type"], "options": []}
            container.append(node)
            container = node["options"]
            schema = sub.get("options") or []
            walked.append(part)
        if any(o["type"] in (1, 2) for o in schema):
            names = [o["name"] for o in schema if o["type"] in (1, 2)]
            raise DriverError(f"/{' '.join(walked)} is not invocable alone; pick one of {names}")
        resolved: dict[str, dict[str, Any]] = {}
        by_name = {o["name"]: o for o in schema}
        for key in options:
            if key not in by_name:
                raise DriverError(f"/{path} has no option {key!r}; options are {sorted(by_name)}")
        for opt in schema:
            name = opt["name"]
            if focused is not None and name == focused:
                container.append(
                    {"name": name, "type": opt["type"], "value": options.get(name, ""), "focused": True}
                )
                continue
            if name not in options:
                if opt.get("required") and focused is None:
                    raise DriverError(f"/{path}: required option {name!r} missing")
                continue
            value = options[name]
            if focused is None:
                value = self._resolve_option(opt, value, resolved, channel, author)
            container.append({"name": name, "type": opt["type"], "value": value})
        if focused is not None and focused not in by_name:
            raise DriverError(f"/{path} has no option {focused!r}; options are {sorted(by_name)}")
        if focused is not None and not by_name[focused].get("autocomplete"):
            raise DriverError(f"/{path}: option {focused!r} is not registered with autocomplete")
        data: dict[str, Any] = {"id": str(cmd.id), "name": cmd.name, "type": 1}
        if top:
            data["options"] = top
        if resolved:
            data["resolved"] = resolved
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        return data

    async def slash(
        self, author: Ref, path: str, channel: Ref | None = None, **options: Any
    ) -> InteractionResult:
        """Invoke `/path` (e.g. "ressource chercher") with options, as registered by the bot."""
        ch = self.channel(channel) if channel is not None else self._default_channel()
        data = self._build_command_data(path, self.user_id(author), ch, options)
        return await self._dispatch_interaction(2, author, ch, data)

    async def autocomplete(
        self,
        author: Ref,
        path: str,
        focused_option: str,
        value: Any,
        channel: Ref | None = None,
        **options: Any,
    ) -> InteractionResult:
        ch = self.channel(channel) if channel is not None else self._default_channel()
        options = dict(options)
        options[focused_option] = value
        data = self._build_command_data(path, self.user_id(author), ch, options, focused=focused_option)
        return await self._dispatch_interaction(4, author, ch, data)

    async def user_context(
        self, author: Ref, name: str, target: Ref, channel: Ref | None = None
    ) -> InteractionResult:
        ch = self.channel(channel) if channel is not None else self._default_channel()
        guild = self.world.guild_of(ch)
        cmd = self._find_command(name, 2, guild.id if guild else None)
        uid = self.user_id(target)
        resolved: dict[str, Any] = {"users": {str(uid): payloads.user(self.world.users[uid])}}
        if guild is not None and uid in guild.members:
            resolved["members"] = {
                str(uid): payloads.member(self.world, guild.members[uid], with_user=False)
                | {"permissions": str(guild.permissions_in(uid, ch))}
            }
        data = {"id": str(cmd.id), "name": cmd.name, "type": 2, "target_id": str(uid), "resolved": resolved}
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        return await self._dispatch_interaction(2, author, ch, data)

    async def message_context(self, author: Ref, name: str, message: Ref) -> InteractionResult:
        m = self.message_obj(message)
        ch = self.world.channel(m.channel_id)
        assert ch is not None
        guild = self.world.guild_of(ch)
        cmd = self._find_command(name, 3, guild.id if guild else None)
        data = {
            "id": str(cmd.id),
            "name": cmd.name,
            "type": 3,
            "target_id": str(m.id),
            "resolved": {"messages": {str(m.id): payloads.message(self.world, m, with_member=False)}},
        }
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        return await self._dispatch_interaction(2, author, ch, data)

    def _find_component(self, m: Message, custom_id: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = []

        def walk(items: list[dict[str, Any]]) -> None:
            for c in items:
                if c.get("custom_id") == custom_id:
                    found.append(c)
                for key in ("components",):
                    walk(c.get(key) or [])
                for key in ("accessory", "component"):
                    if isinstance(c.get(key), dict):
                        walk([c[key]])

        walk(m.components)
        if not found:
            ids: list[str] = []

            def collect(items: list[dict[str, Any]]) -> None:
                for c in items:
                    if c.get("custom_id"):
                        ids.append(c["custom_id"])
                    collect(c.get("components") or [])
                    for key in ("accessory", "component"):
                        if isinstance(c.get(key), dict):
                            collect([c[key]])

            collect(m.components)
            raise DriverError(f"message {m.id} has no component {custom_id!r}; has {ids}")
        return found[0]

    def _component_message(self, author: int, message: Ref) -> Message:
        m = self.message_obj(message)
        if m.ephemeral and m.ephemeral_for != author:
            raise DriverError(f"message {m.id} is ephemeral and not visible to this user")
        return m

    async def click(self, author: Ref, message: Ref, custom_id: str) -> InteractionResult:
        uid = self.user_id(author)
        m = self._component_message(uid, message)
        comp = self._find_component(m, custom_id)
        if comp.get("type") != 2:
            raise DriverError(f"component {custom_id!r} is not a button (type {comp.get('type')})")
        if comp.get("disabled"):
            raise DriverError(f"button {custom_id!r} is disabled")
        ch = self.world.channel(m.channel_id)
        assert ch is not None
        data = {"custom_id": custom_id, "component_type": 2}
        if comp.get("id") is not None:
            data["id"] = comp["id"]
        return await self._dispatch_interaction(3, uid, ch, data, message=m, source_message_id=m.id)

    async def select(self, author: Ref, message: Ref, custom_id: str, values: list[Any]) -> InteractionResult:
        uid = self.user_id(author)
        m = self._component_message(uid, message)
        comp = self._find_component(m, custom_id)
        ctype = comp.get("type")
        if ctype not in (3, 5, 6, 7, 8):
            raise DriverError(f"component {custom_id!r} is not a select menu (type {ctype})")
        if comp.get("disabled"):
            raise DriverError(f"select {custom_id!r} is disabled")
        lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
        if not lo <= len(values) <= hi:
            raise DriverError(f"select {custom_id!r} takes {lo}..{hi} values, got {len(values)}")
        ch = self.world.channel(m.channel_id)
        assert ch is not None
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": ctype}
        if ctype == 3:
            allowed = [o["value"] for o in comp.get("options") or []]
            for v in values:
                if v not in allowed:
                    raise DriverError(f"select {custom_id!r}: {v!r} is not an option; options {allowed}")
            data["values"] = list(values)
        else:
            resolved: dict[str, dict[str, Any]] = {}
            kind = {5: 6, 6: 8, 8: 7}.get(ctype, 9)
            data["values"] = [
                self._resolve_option({"name": custom_id, "type": kind}, v, resolved, ch, uid) for v in values
            ]
            data["resolved"] = resolved
        return await self._dispatch_interaction(3, uid, ch, data, message=m, source_message_id=m.id)

    async def submit_modal(
        self, author: Ref, result: InteractionResult, values: dict[str, Any]
    ) -> InteractionResult:
        """Fill and submit the modal the bot opened in `result` (the bot's type 9 callback)."""
        modal = result.modal
        if modal is None:
            raise DriverError(
                f"interaction {result.record.id} did not open a modal (callbacks: {result.callbacks})"
            )
        remaining = dict(values)

        def fill(c: dict[str, Any]) -> dict[str, Any] | None:
            ctype = c.get("type")
            if ctype == 1:
                return {
                    "type": 1,
                    "id": c.get("id"),
                    "components": [x for x in map(fill, c.get("components") or []) if x],
                }
            if ctype == 18:
                inner = fill(c["component"])
                return {"type": 18, "id": c.get("id"), "component": inner}
            if ctype == 10:
                return {"type": 10, "id": c.get("id")}
            custom_id = c.get("custom_id")
            if custom_id is None:
                return None
            out: dict[str, Any] = {"type": ctype, "id": c.get("id"), "custom_id": custom_id}
            if ctype == 4:
                value = remaining.pop(custom_id, c.get("value") or "")
                if not isinstance(value, str):
                    raise DriverError(f"text input {custom_id!r} takes a string")
                if c.get("required", True) and not value:
                    raise DriverError(f"text input {custom_id!r} is required")
                if c.get("max_length") and len(value) > c["max_length"]:
                    raise DriverError(f"text input {custom_id!r}: longer than {c['max_length']}")
                if c.get("min_length") and value and len(value) < c["min_length"]:
                    raise DriverError(f"text input {custom_id!r}: shorter than {c['min_length']}")
                out["value"] = value
            else:
                chosen = remaining.pop(custom_id, [])
                out["values"] = list(chosen) if isinstance(chosen, (list, tuple)) else [chosen]
            return out

        components = [x for x in map(fill, modal.get("components") or []) if x]
        if remaining:
            raise DriverError(f"modal {modal.get('custom_id')!r} has no inputs {sorted(remaining)}")
        parent = result.record
        ch = self.world.channel(parent.channel_id)
        assert ch is not None
        data = {"custom_id": modal["custom_id"], "components": components}
        source = self.world.messages.get(parent.source_message_id or 0)
        return await self._dispatch_interaction(
            5, author, ch, data, message=source, source_message_id=parent.source_message_id
        )
