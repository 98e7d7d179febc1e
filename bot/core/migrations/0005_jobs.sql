-- Job offers: structured fiches de poste, moderation queue, alerts, digests and imported feeds.

CREATE TABLE job_offers (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    status         TEXT NOT NULL
                   CHECK (status IN ('pending', 'published', 'refused', 'withdrawn', 'expired', 'filled')),
    title          TEXT NOT NULL,
    employer       TEXT NOT NULL,
    region         TEXT NOT NULL,
    contract       TEXT NOT NULL,
    deadline       REAL,                 -- UTC epoch seconds; NULL: expires after the default delay
    link           TEXT,                 -- as typed (web address or e-mail)
    link_norm      TEXT,                 -- normalised for duplicate detection
    place          TEXT,
    missions       TEXT NOT NULL DEFAULT '',
    profile        TEXT NOT NULL DEFAULT '',
    working_time   TEXT NOT NULL DEFAULT '',
    pay_status     TEXT NOT NULL DEFAULT '',
    how_to_apply   TEXT NOT NULL DEFAULT '',
    title_norm     TEXT NOT NULL,
    employer_norm  TEXT NOT NULL,
    flags          TEXT NOT NULL DEFAULT '',   -- comma-separated fair-work flag codes
    submitter_id   INTEGER,                    -- NULL for an offer imported from a feed
    source         TEXT,                       -- feed name for imported offers
    created_at     REAL NOT NULL,
    updated_at     REAL NOT NULL,
    published_at   REAL,
    expires_at     REAL,
    closed_at      REAL,
    moderator_id   INTEGER,
    refusal_reason TEXT,
    queue_channel_id    INTEGER,
    queue_message_id    INTEGER,
    announce_channel_id INTEGER,
    announce_message_id INTEGER,
    announce_thread_id  INTEGER,               -- forum post (thread) when the channel is a forum
    closure_shown  INTEGER NOT NULL DEFAULT 0  -- the announcement already says expired/filled
);
CREATE INDEX job_offers_open ON job_offers (guild_id, status, region, contract);
CREATE INDEX job_offers_link ON job_offers (guild_id, link_norm) WHERE link_norm IS NOT NULL;
CREATE INDEX job_offers_title ON job_offers (guild_id, title_norm, employer_norm, created_at);

-- One alert subscription per member; empty lists mean "any".
CREATE TABLE job_subscriptions (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    regions     TEXT NOT NULL DEFAULT '',   -- names separated by '|'
    contracts   TEXT NOT NULL DEFAULT '',
    keywords    TEXT NOT NULL DEFAULT '',
    rhythm      TEXT NOT NULL DEFAULT 'immediat' CHECK (rhythm IN ('immediat', 'quotidien')),
    dm_failures INTEGER NOT NULL DEFAULT 0,  -- consecutive refused DMs; alerts pause at the limit
    dm_closed_at REAL,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
-- Bumped on every subscription change, so an in-memory alert index knows when to reload.
CREATE TABLE job_subscription_versions (
    guild_id INTEGER PRIMARY KEY,
    version  INTEGER NOT NULL
);
CREATE TRIGGER job_subscriptions_ins AFTER INSERT ON job_subscriptions BEGIN
    INSERT INTO job_subscription_versions (guild_id, version) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER job_subscriptions_upd AFTER UPDATE OF regions, contracts, keywords, rhythm ON job_subscriptions BEGIN
    INSERT INTO job_subscription_versions (guild_id, version) VALUES (NEW.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER job_subscriptions_del AFTER DELETE ON job_subscriptions BEGIN
    INSERT INTO job_subscription_versions (guild_id, version) VALUES (OLD.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET version = version + 1;
END;

-- Who is to be told about which offer, and whether it was done (idempotent delivery).
CREATE TABLE job_alerts (
    guild_id  INTEGER NOT NULL,
    offer_id  INTEGER NOT NULL REFERENCES job_offers (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL,
    rhythm    TEXT NOT NULL CHECK (rhythm IN ('immediat', 'quotidien')),
    state     TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'dropped')),
    created_at REAL NOT NULL,
    sent_at   REAL,
    PRIMARY KEY (guild_id, offer_id, user_id)
);
CREATE INDEX job_alerts_pending ON job_alerts (guild_id, rhythm, user_id) WHERE state = 'pending';

-- Conditional GET state and health of each feed, per guild (broken feeds are reported once).
CREATE TABLE job_feed_state (
    guild_id      INTEGER NOT NULL,
    url           TEXT NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    broken_since  REAL,
    last_error    TEXT,
    last_ok_at    REAL,
    last_polled_at REAL,
    PRIMARY KEY (guild_id, url)
);

-- Feed entries already seen, by guid and by normalised link.
CREATE TABLE job_feed_items (
    guild_id  INTEGER NOT NULL,
    guid      TEXT NOT NULL,
    link_norm TEXT,
    feed_url  TEXT NOT NULL,
    offer_id  INTEGER,
    seen_at   REAL NOT NULL,
    PRIMARY KEY (guild_id, guid)
);
CREATE INDEX job_feed_items_link ON job_feed_items (guild_id, link_norm) WHERE link_norm IS NOT NULL;
