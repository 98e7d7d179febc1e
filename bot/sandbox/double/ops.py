"""Domain operations shared by the REST routes and the test driver.

Every state change goes through here so that it always emits the gateway
event Discord would: a bot whose cache drifts from the double's state is a
bug in the double, not in the bot.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from . import payloads
from .payloads import Intents
from .state import (
    AuditEntry,
    Channel,
    ChannelType,
    Guild,
    InteractionRecord,
    Member,
    Message,
    P,
    Role,
    ThreadMember,
    iso,
    parse_iso,
    snowflake_time,
)

if TYPE_CHECKING:
    from .core import DiscordDouble
    from .gateway import Session

FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_COMPONENTS_V2 = 1 << 15
USER_SETTABLE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


class ApiError(Exception):
    """An error Discord would answer with; REST renders it, the driver lets it raise."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} (code {code}): {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            data["errors"] = self.errors
        return data


def not_found(code: int, what: str) -> ApiError:
    return ApiError(404, code, f"Unknown {what}")


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def missing_access() -> ApiError:
    return ApiError(403, 50001, "Missing Access")


def form_error(path: str, code: str, message: str) -> ApiError:
    """50035 with Discord's nested `errors` tree, which discord.py flattens into its message."""
    tree: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(path.split(".")):
        tree = {part: tree}
    return ApiError(400, 50035, "Invalid Form Body", tree)


def _limit(path: str, value: Any, n: int) -> None:
    if isinstance(value, str) and len(value) > n:
        raise form_error(path, "BASE_TYPE_MAX_LENGTH", f"Must be {n} or fewer in length.")


def validate_embeds(embeds: list[dict[str, Any]]) -> None:
    if len(embeds) > 10:
        raise form_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for i, e in enumerate(embeds):
        p = f"embeds.{i}"
        _limit(f"{p}.title", e.get("title"), 256)
        _limit(f"{p}.description", e.get("description"), 4096)
        _limit(f"{p}.footer.text", (e.get("footer") or {}).get("text"), 2048)
        _limit(f"{p}.author.name", (e.get("author") or {}).get("name"), 256)
        fields = e.get("fields") or []
        if len(fields) > 25:
            raise form_error(f"{p}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, f in enumerate(fields):
            if not f.get("name") or not f.get("value"):
                raise form_error(f"{p}.fields.{j}", "BASE_TYPE_REQUIRED", "This field is required")
            _limit(f"{p}.fields.{j}.name", f.get("name"), 256)
            _limit(f"{p}.fields.{j}.value", f.get("value"), 1024)
        for text in (
            e.get("title"),
            e.get("description"),
            (e.get("footer") or {}).get("text"),
            (e.get("author") or {}).get("name"),
            *[f.get("name") for f in fields],
            *[f.get("value") for f in fields],
        ):
            total += len(text or "")
    if total > 6000:
        raise form_error("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def validate_components(components: list[dict[str, Any]], *, v2: bool, path: str = "components") -> None:
    if not v2 and len(components) > 5:
        raise form_error(path, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    seen: set[str] = set()

    def walk(items: list[dict[str, Any]], p: str) -> None:
        for i, c in enumerate(items):
            cp = f"{p}.{i}"
            ctype = c.get("type")
            if ctype == 1:
                children = c.get("components") or []
                if not 1 <= len(children) <= 5:
                    raise form_error(
                        f"{cp}.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
                    )
                walk(children, f"{cp}.components")
                continue
            if "components" in c:
                walk(c["components"], f"{cp}.components")
            if isinstance(c.get("accessory"), dict):
                walk([c["accessory"]], f"{cp}.accessory")
            if isinstance(c.get("component"), dict):
                walk([c["component"]], f"{cp}.component")
            custom_id = c.get("custom_id")
            if ctype == 2 and c.get("style") in (5, 6):
                continue
            if ctype in (2, 3, 4, 5, 6, 7, 8):
                if not custom_id:
                    raise form_error(f"{cp}.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
                _limit(f"{cp}.custom_id", custom_id, 100)
                if custom_id in seen:
                    raise form_error(
                        f"{cp}.custom_id",
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    )
                seen.add(custom_id)
            if ctype == 2:
                _limit(f"{cp}.label", c.get("label"), 80)
            if ctype == 3 and len(c.get("options") or []) > 25:
                raise form_error(f"{cp}.options", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")

    walk(components, path)


def _emoji_key(emoji: dict[str, Any]) -> str:
    return str(emoji.get("id")) if emoji.get("id") else str(emoji.get("name"))


def parse_emoji(raw: str) -> dict[str, Any]:
    """`name:id` (custom) or a unicode emoji, as discord.py puts it in the reaction URL."""
    if ":" in raw:
        name, _, eid = raw.partition(":")
        return {"id": eid, "name": name, "animated": False}
    return {"id": None, "name": raw}


class Ops:
    def __init__(self, double: DiscordDouble) -> None:
        self.d = double

    @property
    def world(self):
        return self.d.world

    @property
    def bot_id(self) -> int:
        return self.world.bot_user_id

    # -- lookups -------------------------------------------------------------

    def guild(self, guild_id: int | str) -> Guild:
        g = self.world.guilds.get(int(guild_id))
        if g is None:
            raise not_found(10004, "Guild")
        return g

    def channel(self, channel_id: int | str) -> Channel:
        try:
            c = self.world.channel(int(channel_id))
        except ValueError:
            c = None
        if c is None:
            raise not_found(10003, "Channel")
        return c

    def message(self, channel: Channel, message_id: int | str) -> Message:
        m = self.world.messages.get(int(message_id))
        if m is None or m.deleted or m.channel_id != channel.id or m.ephemeral:
            raise not_found(10008, "Message")
        return m

    def member(self, guild: Guild, user_id: int | str) -> Member:
        m = guild.members.get(int(user_id))
        if m is None:
            raise not_found(10007, "Member")
        return m

    def role(self, guild: Guild, role_id: int | str) -> Role:
        r = guild.roles.get(int(role_id))
        if r is None:
            raise not_found(10011, "Role")
        return r

    def bot_can(self, channel: Channel | None, perm: int, guild: Guild | None = None) -> bool:
        guild = guild or (self.world.guild_of(channel) if channel else None)
        if guild is None:
            return True
        return bool(guild.permissions_in(self.bot_id, channel) & perm) or bool(
            guild.permissions_in(self.bot_id, channel) & P.ADMINISTRATOR
        )

    def require(self, channel: Channel | None, perm: int, guild: Guild | None = None) -> None:
        guild = guild or (self.world.guild_of(channel) if channel else None)
        if guild is None:
            return
        perms = guild.permissions_in(self.bot_id, channel)
        if channel is not None and not perms & P.VIEW_CHANNEL:
            raise missing_access()
        if not perms & perm:
            raise missing_permissions()

    def require_above(self, guild: Guild, target_id: int) -> None:
        """Role hierarchy: the bot may only act on members strictly below its top role (never the owner)."""
        if target_id == guild.owner_id or guild.top_position(self.bot_id) <= guild.top_position(target_id):
            raise missing_permissions()

    def audit(self, guild: Guild, action: int, target: int | None, reason: str | None, **extra: Any) -> None:
        guild.audit_log.append(
            AuditEntry(
                id=self.world.next_id(),
                action_type=action,
                user_id=self.bot_id,
                target_id=target,
                reason=reason,
                changes=extra.get("changes", []),
                options=extra.get("options"),
            )
        )

    # -- events --------------------------------------------------------------

    def _content_gate(self, m: Message):
        """Strip content for sessions without MESSAGE_CONTENT unless Discord's exemptions apply."""
        exempt = m.guild_id is None or m.author_id == self.bot_id or self.bot_id in m.mentions

        def transform(session: Session, data: dict[str, Any]) -> dict[str, Any]:
            if exempt or session.intents & Intents.MESSAGE_CONTENT:
                return data
            return payloads.strip_content(data)

        return transform

    async def emit_message(self, event: str, m: Message) -> None:
        if m.ephemeral:
            return
        await self.d.gateway.dispatch(
            event, payloads.message(self.world, m), dm=m.guild_id is None, transform=self._content_gate(m)
        )

    async def emit_member_update(self, guild: Guild, member: Member) -> None:
        await self.d.gateway.dispatch(
            "GUILD_MEMBER_UPDATE", payloads.member(self.world, member, guild_id=guild.id)
        )

    async def emit_channel(self, event: str, channel: Channel) -> None:
        await self.d.gateway.dispatch(event, payloads.channel(self.world, channel, bot_member=True))

    # -- messages ------------------------------------------------------------

    def _attachments(
        self, channel: Channel, body: dict[str, Any], files: list[dict[str, Any]], existing: list
    ) -> list:
        by_index = {i: f for i, f in enumerate(files)}
        for f in files:
            if f.get("index") is not None:
                by_index[f["index"]] = f
        out: list[dict[str, Any]] = []
        declared = body.get("attachments")
        if declared is None:
            declared = [{"id": i} for i in range(len(files))]
            keep = list(existing)
        else:
            keep = []
        existing_by_id = {str(a["id"]): a for a in existing}
        for entry in declared:
            key = str(entry.get("id"))
            if key in existing_by_id:
                keep.append(existing_by_id[key])
                continue
            f = by_index.get(int(entry.get("id", -1))) if str(entry.get("id", "")).isdigit() else None
            if f is None:
                continue
            att_id = self.world.next_id()
            filename = entry.get("filename") or f["filename"]
            url = f"{self.d.http_base}/attachments/{channel.id}/{att_id}/{filename}"
            self.d.attachment_blobs[att_id] = (
                f["content"],
                f.get("content_type") or "application/octet-stream",
            )
            att = {
                "id": str(att_id),
                "filename": filename,
                "size": len(f["content"]),
                "url": url,
                "proxy_url": url,
                "content_type": f.get("content_type") or "application/octet-stream",
            }
            if entry.get("description"):
                att["description"] = entry["description"]
            if entry.get("spoiler") or filename.startswith("SPOILER_"):
                att["spoiler"] = True
            out.append(att)
        return keep + out

    def _mentions(
        self, guild: Guild | None, content: str, allowed: dict[str, Any] | None, reply_author: int | None
    ) -> tuple[list[int], list[int], bool]:
        parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse") or [])
        allowed_users = {int(u) for u in (allowed or {}).get("users") or []}
        allowed_roles = {int(r) for r in (allowed or {}).get("roles") or []}
        users: list[int] = []
        for raw in USER_MENTION.findall(content):
            uid = int(raw)
            if uid in self.world.users and ("users" in parse or uid in allowed_users) and uid not in users:
                users.append(uid)
        roles: list[int] = []
        for raw in ROLE_MENTION.findall(content):
            rid = int(raw)
            if (
                guild
                and rid in guild.roles
                and ("roles" in parse or rid in allowed_roles)
                and rid not in roles
            ):
                roles.append(rid)
        everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
        replied_user = True if allowed is None else bool(allowed.get("replied_user", False))
        if reply_author is not None and replied_user and reply_author not in users:
            users.append(reply_author)
        return users, roles, everyone

    def build_message(
        self,
        channel: Channel,
        author_id: int,
        body: dict[str, Any],
        files: list[dict[str, Any]] | None = None,
        *,
        msg_type: int = 0,
    ) -> Message:
        files = files or []
        content = body.get("content") or ""
        if not isinstance(content, str):
            content = str(content)
        embeds = list(body.get("embeds") or ([body["embed"]] if body.get("embed") else []))
        components = list(body.get("components") or [])
        flags = int(body.get("flags") or 0)
        v2 = bool(flags & FLAG_COMPONENTS_V2)
        _limit("content", content, 2000)
        validate_embeds(embeds)
        validate_components(components, v2=v2)
        if v2 and (content or embeds):
            raise form_error(
                "content",
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2",
            )
        m = Message(
            id=self.world.next_id(),
            channel_id=channel.id,
            author_id=author_id,
            guild_id=channel.guild_id,
            content=content,
            embeds=embeds,
            components=components,
            tts=bool(body.get("tts")),
            flags=flags & USER_SETTABLE_FLAGS,
            nonce=body.get("nonce"),
            type=msg_type,
            sticker_ids=[int(s) for s in body.get("sticker_ids") or []],
            poll=body.get("poll"),
        )
        m.attachments = self._attachments(channel, body, files, [])
        ref = body.get("message_reference")
        reply_author = None
        if ref and ref.get("message_id"):
            target = self.world.messages.get(int(ref["message_id"]))
            if target is None or target.deleted:
                if ref.get("fail_if_not_exists", True):
                    raise form_error("message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
            else:
                m.message_reference = {
                    "type": ref.get("type", 0),
                    "message_id": str(target.id),
                    "channel_id": str(target.channel_id),
                    "guild_id": payloads.sid(target.guild_id),
                }
                if ref.get("type", 0) == 0:
                    m.type = 19 if msg_type == 0 else msg_type
                    reply_author = target.author_id
        guild = self.world.guilds.get(channel.guild_id or 0)
        m.mentions, m.mention_roles, m.mention_everyone = self._mentions(
            guild, content, body.get("allowed_mentions"), reply_author
        )
        if not (content or embeds or m.attachments or components or m.sticker_ids or m.poll):
            raise ApiError(400, 50006, "Cannot send an empty message")
        return m

    async def store_and_emit(self, m: Message) -> Message:
        self.world.messages[m.id] = m
        channel = self.world.channel(m.channel_id)
        if channel is not None and not m.ephemeral:
            channel.last_message_id = m.id
            if channel.is_thread:
                channel.message_count += 1
                channel.total_message_sent += 1
        await self.emit_message("MESSAGE_CREATE", m)
        return m

    async def bot_send(self, channel: Channel, body: dict[str, Any], files: list[dict[str, Any]]) -> Message:
        """POST /channels/{id}/messages as the bot, with Discord's permission and DM rules."""
        if channel.type == ChannelType.DM:
            recipient = self.world.users[channel.recipient_ids[0]]
            shares_guild = any(recipient.id in g.members for g in self.world.guilds.values())
            if recipient.bot or not recipient.accepts_dms or not shares_guild:
                raise ApiError(403, 50007, "Cannot send messages to this user")
        elif channel.type in (ChannelType.GUILD_CATEGORY, ChannelType.GUILD_FORUM, ChannelType.GUILD_MEDIA):
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        elif channel.is_thread:
            self.require(channel, P.SEND_MESSAGES_IN_THREADS)
            if channel.locked and not self.bot_can(channel, P.MANAGE_THREADS):
                raise ApiError(400, 50083, "Thread is archived")
            if channel.archived:
                channel.archived = False
                channel.archive_timestamp = iso()
                await self.emit_channel("THREAD_UPDATE", channel)
        else:
            self.require(channel, P.SEND_MESSAGES)
        m = self.build_message(channel, self.bot_id, body, files)
        return await self.store_and_emit(m)

    async def edit(
        self, m: Message, body: dict[str, Any], files: list[dict[str, Any]] | None = None
    ) -> Message:
        channel = self.world.channel(m.channel_id)
        if "content" in body:
            content = body["content"] or ""
            _limit("content", content, 2000)
            m.content = content
            guild = self.world.guilds.get(m.guild_id or 0)
            m.mentions, m.mention_roles, m.mention_everyone = self._mentions(
                guild, content, body.get("allowed_mentions"), None
            )
        if "embeds" in body or "embed" in body:
            embeds = list(body.get("embeds") or ([body["embed"]] if body.get("embed") else []))
            validate_embeds(embeds)
            m.embeds = embeds
        if "components" in body:
            components = list(body["components"] or [])
            validate_components(components, v2=bool(m.flags & FLAG_COMPONENTS_V2))
            m.components = components
        if "flags" in body and body["flags"] is not None:
            keep = m.flags & (FLAG_EPHEMERAL | FLAG_LOADING)
            m.flags = (int(body["flags"]) & USER_SETTABLE_FLAGS & ~FLAG_EPHEMERAL) | keep
        if "attachments" in body or files:
            if channel is not None:
                m.attachments = self._attachments(channel, body, files or [], m.attachments)
        m.edited_timestamp = iso()
        await self.emit_message("MESSAGE_UPDATE", m)
        return m

    async def delete(self, m: Message) -> None:
        m.deleted = True
        if m.ephemeral:
            return
        data = {"id": str(m.id), "channel_id": str(m.channel_id)}
        if m.guild_id:
            data["guild_id"] = str(m.guild_id)
        await self.d.gateway.dispatch("MESSAGE_DELETE", data, dm=m.guild_id is None)

    async def bulk_delete(self, channel: Channel, ids: list[int]) -> None:
        if not 2 <= len(ids) <= 100:
            raise form_error("messages", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.")
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=14)
        msgs = []
        for mid in ids:
            if snowflake_time(mid) < cutoff:
                raise ApiError(400, 50034, "You can only bulk delete messages that are under 14 days old.")
            m = self.world.messages.get(mid)
            if m is not None and m.channel_id == channel.id and not m.deleted:
                msgs.append(m)
        for m in msgs:
            m.deleted = True
        data = {"ids": [str(m.id) for m in msgs], "channel_id": str(channel.id)}
        if channel.guild_id:
            data["guild_id"] = str(channel.guild_id)
        await self.d.gateway.dispatch("MESSAGE_DELETE_BULK", data, dm=channel.guild_id is None)

    async def set_pinned(self, channel: Channel, m: Message, pinned: bool) -> None:
        if m.pinned == pinned:
            return
        if pinned and sum(1 for x in self.world.channel_messages(channel.id) if x.pinned) >= 250:
            raise ApiError(400, 30003, "Maximum number of pins reached (250)")
        m.pinned = pinned
        channel.last_pin_timestamp = iso() if pinned else channel.last_pin_timestamp
        await self.emit_message("MESSAGE_UPDATE", m)
        data = {"channel_id": str(channel.id), "last_pin_timestamp": channel.last_pin_timestamp}
        if channel.guild_id:
            data["guild_id"] = str(channel.guild_id)
        await self.d.gateway.dispatch("CHANNEL_PINS_UPDATE", data, dm=channel.guild_id is None)
        if pinned:
            notice = Message(
                id=self.world.next_id(),
                channel_id=channel.id,
                guild_id=channel.guild_id,
                author_id=self.bot_id,
                type=6,
                message_reference={
                    "type": 0,
                    "message_id": str(m.id),
                    "channel_id": str(channel.id),
                    "guild_id": payloads.sid(channel.guild_id),
                },
            )
            await self.store_and_emit(notice)

    async def react(
        self, channel: Channel, m: Message, emoji: dict[str, Any], user_id: int, add: bool
    ) -> None:
        key = _emoji_key(emoji)
        entry = m.reactions.get(key)
        if add:
            if entry is None:
                if len(m.reactions) >= 20:
                    raise ApiError(400, 30010, "Maximum number of reactions reached (20)")
                entry = m.reactions[key] = (emoji, [])
            if user_id in entry[1]:
                return
            entry[1].append(user_id)
        else:
            if entry is None or user_id not in entry[1]:
                return
            entry[1].remove(user_id)
            if not entry[1]:
                del m.reactions[key]
        data: dict[str, Any] = {
            "user_id": str(user_id),
            "channel_id": str(channel.id),
            "message_id": str(m.id),
            "emoji": dict(emoji),
            "burst": False,
            "type": 0,
        }
        if add:
            data["message_author_id"] = str(m.author_id)
            data["burst_colors"] = []
        guild = self.world.guild_of(channel)
        if guild is not None:
            data["guild_id"] = str(guild.id)
            if add and user_id in guild.members:
                data["member"] = payloads.member(self.world, guild.members[user_id])
        await self.d.gateway.dispatch(
            "MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE", data, dm=guild is None
        )

    # -- DMs -----------------------------------------------------------------

    def open_dm(self, user_id: int) -> Channel:
        if user_id not in self.world.users:
            raise not_found(10013, "User")
        existing = self.world.dm_channel_with(user_id)
        if existing is not None:
            return existing
        channel = Channel(id=self.world.next_id(), type=ChannelType.DM, recipient_ids=[user_id])
        self.world.dm_channels[channel.id] = channel
        return channel

    # -- threads -------------------------------------------------------------

    async def create_thread(
        self,
        parent: Channel,
        owner_id: int,
        name: str,
        *,
        thread_type: int,
        starter: Message | None = None,
        auto_archive_duration: int | None = None,
        invitable: bool = True,
        rate_limit_per_user: int = 0,
        applied_tags: list[int] | None = None,
    ) -> Channel:
        guild = self.world.guild_of(parent)
        if guild is None:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        if not name or len(name) > 100:
            raise form_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if starter is not None and starter.thread_id is not None:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        now = iso()
        thread = Channel(
            id=starter.id if starter is not None else self.world.next_id(),
            type=thread_type,
            name=name,
            guild_id=guild.id,
            parent_id=parent.id,
            owner_id=owner_id,
            auto_archive_duration=auto_archive_duration or parent.default_auto_archive_duration or 4320,
            archive_timestamp=now,
            create_timestamp=now,
            invitable=invitable if thread_type == ChannelType.PRIVATE_THREAD else True,
            rate_limit_per_user=rate_limit_per_user,
            applied_tags=applied_tags or [],
        )
        thread.members[owner_id] = ThreadMember(owner_id, now)
        guild.channels[thread.id] = thread
        if starter is not None:
            starter.thread_id = thread.id
        data = payloads.channel(self.world, thread, bot_member=True)
        data["newly_created"] = True
        await self.d.gateway.dispatch("THREAD_CREATE", data)
        if starter is not None:
            await self.emit_message("MESSAGE_UPDATE", starter)
        return thread

    async def thread_members(self, thread: Channel, add: list[int], remove: list[int]) -> None:
        guild = self.world.guild_of(thread)
        assert guild is not None
        added, removed = [], []
        for uid in add:
            if uid not in guild.members:
                raise not_found(10007, "Member")
            if uid not in thread.members:
                thread.members[uid] = ThreadMember(uid)
                added.append(uid)
        for uid in remove:
            if thread.members.pop(uid, None) is not None:
                removed.append(uid)
        if not added and not removed:
            return
        data: dict[str, Any] = {
            "id": str(thread.id),
            "guild_id": str(guild.id),
            "member_count": len(thread.members),
        }
        if added:
            data["added_members"] = [payloads.thread_member(thread, u, self.world, guild) for u in added]
        if removed:
            data["removed_member_ids"] = [str(u) for u in removed]
        await self.d.gateway.dispatch("THREAD_MEMBERS_UPDATE", data)

    # -- members -------------------------------------------------------------

    async def remove_member(self, guild: Guild, user_id: int) -> None:
        member = guild.members.pop(user_id, None)
        if member is None:
            return
        for thread in guild.threads():
            thread.members.pop(user_id, None)
        await self.d.gateway.dispatch(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": str(guild.id), "user": payloads.user(self.world.users[user_id])},
        )

    async def add_member(self, guild: Guild, member: Member) -> None:
        guild.members[member.user_id] = member
        await self.d.gateway.dispatch(
            "GUILD_MEMBER_ADD", payloads.member(self.world, member, guild_id=guild.id)
        )
        if guild.system_channel_id and guild.system_channel_id in guild.channels:
            notice = Message(
                id=self.world.next_id(),
                channel_id=guild.system_channel_id,
                guild_id=guild.id,
                author_id=member.user_id,
                type=7,
            )
            await self.store_and_emit(notice)

    def set_timeout(self, guild: Guild, member: Member, until: str | None) -> None:
        if until is None:
            member.communication_disabled_until = None
            return
        when = parse_iso(until)
        now = dt.datetime.now(dt.UTC)
        if when > now + dt.timedelta(days=28, seconds=5):
            raise form_error(
                "communication_disabled_until",
                "BASE_TYPE_BAD_TIME",
                "Timeouts can't be longer than 28 days.",
            )
        if guild.base_permissions(member.user_id) & P.ADMINISTRATOR:
            raise missing_permissions()
        member.communication_disabled_until = iso(when) if when > now else None

    # -- interactions --------------------------------------------------------

    def interaction_message(
        self,
        rec: InteractionRecord,
        body: dict[str, Any],
        files: list[dict[str, Any]],
        *,
        loading: bool = False,
    ) -> Message:
        channel = self.world.channel(rec.channel_id)
        assert channel is not None
        ephemeral = bool(int(body.get("flags") or 0) & FLAG_EPHEMERAL)
        msg_type = 0
        if rec.type == 2:
            msg_type = 20 if (rec.payload.get("data") or {}).get("type", 1) == 1 else 23
        if loading:
            m = Message(
                id=self.world.next_id(),
                channel_id=channel.id,
                guild_id=channel.guild_id,
                author_id=self.bot_id,
                flags=FLAG_LOADING | (FLAG_EPHEMERAL if ephemeral else 0),
                type=msg_type,
            )
        else:
            m = self.build_message(channel, self.bot_id, body, files, msg_type=msg_type)
        m.webhook_id = self.world.application_id
        m.application_id = self.world.application_id
        if ephemeral:
            m.flags |= FLAG_EPHEMERAL
            m.ephemeral_for = rec.user_id
        invoker = self.world.users[rec.user_id]
        data = rec.payload.get("data") or {}
        m.interaction_metadata = {
            "id": str(rec.id),
            "type": rec.type,
            "user": payloads.user(invoker),
            "authorizing_integration_owners": {"0": payloads.sid(rec.guild_id)}
            if rec.guild_id
            else {"1": str(rec.user_id)},
        }
        if rec.type == 2:
            m.interaction_metadata["name"] = data.get("name")
            m.interaction_metadata["command_type"] = data.get("type", 1)
        if rec.source_message_id is not None:
            m.interaction_metadata["interacted_message_id"] = str(rec.source_message_id)
        return m

    def _emoji_is_new(self, m: Message, emoji: dict[str, Any]) -> bool:
        return _emoji_key(emoji) not in m.reactions
