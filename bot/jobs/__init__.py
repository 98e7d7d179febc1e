"""Job offers: structured offers, moderation queue, alerts by region and contract, feeds.
Offers ``offers.Jobs`` and ``feeds``; ``ui`` holds its embeds, buttons and modals."""

from bot.jobs.offers import check_config

__all__ = ["check_config"]
