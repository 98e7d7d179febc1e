"""Job offers: structured offers, moderation queue, alerts by region and contract, feeds.

``config`` reads config/jobs.yaml, ``offers`` validates and stores offers, ``alerts`` matches them
against subscriptions and gathers digests, ``feeds`` imports RSS/Atom entries; ``ui`` holds the
embeds, buttons and modals. The package re-exports the domain's public names so that callers
needing several of them (tests, the benchmark, the CLI) can write ``jobs.X`` with one import.
"""

from bot.jobs.alerts import (
    KIND_ALERTS,
    KIND_DIGEST,
    MAX_DM_FAILURES,
    MAX_KEYWORD_LENGTH,
    MAX_KEYWORDS,
    RHYTHMS,
    AlertIndex,
    AlertIndexCache,
    Digest,
    Subscription,
    delete_subscription,
    digest_batches,
    get_subscription,
    load_subscriptions,
    mark_alerts,
    naive_match,
    next_digest_time,
    parse_keywords,
    parse_names,
    pending_immediate,
    record_alerts,
    record_dm_result,
    schedule_digest,
    set_subscription,
)
from bot.jobs.config import DEFAULT_CONFIG, FeedConfig, JobsConfig, RegionConfig, check_config, load_config
from bot.jobs.offers import (
    FLAG_ASKS_DIAGNOSIS,
    FLAG_PAY_MISSING,
    FLAG_UNPAID_PEER_ROLE,
    FLAGS,
    INTERNSHIP_CONTRACT,
    KIND_EXPIRE,
    KIND_PROCESS,
    LIMITS,
    LONG_FIELDS,
    MAX_TOTAL,
    OPEN_STATUSES,
    STATUSES,
    VOLUNTEER_CONTRACT,
    Offer,
    OfferInput,
    Page,
    approve,
    close_offer,
    expire_offer,
    expiry_time,
    fair_work_flags,
    find_duplicates,
    get_offer,
    list_open,
    mark_closure_shown,
    parse_deadline,
    refuse,
    schedule_expiry,
    set_announcement,
    set_queue_message,
    submit_offer,
    update_offer,
    validate,
)
from bot.jobs.text import fold, tokens

__all__ = [
    "DEFAULT_CONFIG", "FLAGS", "FLAG_ASKS_DIAGNOSIS", "FLAG_PAY_MISSING", "FLAG_UNPAID_PEER_ROLE",
    "INTERNSHIP_CONTRACT", "KIND_ALERTS", "KIND_DIGEST", "KIND_EXPIRE", "KIND_PROCESS", "LIMITS", "LONG_FIELDS",
    "MAX_DM_FAILURES", "MAX_KEYWORDS", "MAX_KEYWORD_LENGTH", "MAX_TOTAL", "OPEN_STATUSES", "RHYTHMS", "STATUSES",
    "VOLUNTEER_CONTRACT", "AlertIndex", "AlertIndexCache", "Digest", "FeedConfig", "JobsConfig", "Offer",
    "OfferInput", "Page", "RegionConfig", "Subscription", "approve", "check_config", "close_offer",
    "delete_subscription", "digest_batches", "expire_offer", "expiry_time", "fair_work_flags", "find_duplicates",
    "fold", "get_offer", "get_subscription", "list_open", "load_config", "load_subscriptions", "mark_alerts",
    "mark_closure_shown", "naive_match", "next_digest_time", "parse_deadline", "parse_keywords", "parse_names",
    "pending_immediate", "record_alerts", "record_dm_result", "refuse", "schedule_digest", "schedule_expiry",
    "set_announcement", "set_queue_message", "set_subscription", "submit_offer", "tokens", "update_offer",
    "validate",
]
