"""The OAuth2 invite URL: exactly the permissions and scopes Relais uses, each for a stated reason."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

import discord

SCOPES = ("bot", "applications.commands")

# Permission → why Relais needs it. Keep this list the single source of truth.
PERMISSIONS = {
    "view_channel": "read the channels it is configured for",
    "send_messages": "announce resources, job offers and intervisions",
    "send_messages_in_threads": "post minutes and reminders in intervision threads",
    "embed_links": "announcements are embeds",
    "attach_files": "calendar (.ics) files",
    "read_message_history": "find its own announcements again after a restart",
    "add_reactions": "acknowledge reports",
    "manage_messages": "automatic moderation deletes messages that break the charter; pins",
    "create_public_threads": "forum posts for resources and job offers",
    "create_private_threads": "the confidential space of each intervision",
    "manage_threads": "add and remove intervision participants, archive threads",
    "manage_roles": "grant the member role when the charter is accepted; /config assistant sets channel "
    "permissions and creates missing roles (without permissions) once an administrator confirms",
    "manage_channels": "/config assistant creates the missing channels once an administrator confirms",
    "moderate_members": "timeouts decided by moderators",
    "kick_members": "exclusions decided by moderators",
    "ban_members": "bans decided by moderators, and lifting them on time",
    "manage_events": "Discord scheduled events for intervisions",
}


def permissions() -> discord.Permissions:
    return discord.Permissions(**dict.fromkeys(PERMISSIONS, True))


def client_id_from_token(token: str) -> int | None:
    """A bot token's first segment is its user id in base64, which is the application id for bots."""
    first = token.split(".", 1)[0]
    try:
        return int(base64.b64decode(first + "=" * (-len(first) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def invite_url(client_id: int) -> str:
    query = urlencode({"client_id": client_id, "permissions": permissions().value, "scope": " ".join(SCOPES)})
    return f"https://discord.com/oauth2/authorize?{query}"
