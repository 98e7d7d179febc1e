"""Moderation: numbered cases and sanctions, reports (anonymous if wished), duty rota.
Offers ``cases.Moderation``, ``reports`` and ``duty`` to the cogs, and to other capabilities via a service."""

from bot.moderation.cases import check_config

__all__ = ["check_config"]
