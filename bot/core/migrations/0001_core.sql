-- Core tables: key/value metadata, per-guild settings, durable timers, processed events.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per guild: locale and time zone; NULL means "use the bot-wide default".
CREATE TABLE guild_settings (
    guild_id  INTEGER PRIMARY KEY,
    locale    TEXT,
    timezone  TEXT,
    updated_at REAL NOT NULL
);

-- Channels and roles configured for a purpose (resources, jobs, mod-log, moderators, …).
CREATE TABLE guild_channels (
    guild_id   INTEGER NOT NULL,
    purpose    TEXT NOT NULL,
    channel_id INTEGER NOT NULL,
    PRIMARY KEY (guild_id, purpose)
);

CREATE TABLE guild_roles (
    guild_id INTEGER NOT NULL,
    purpose  TEXT NOT NULL,
    role_id  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, purpose)
);

-- Durable timers: everything that happens later goes through this table.
CREATE TABLE timers (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    key        TEXT,
    due_at     REAL NOT NULL,
    payload    TEXT NOT NULL DEFAULT '{}',
    status     TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'running', 'done', 'failed', 'cancelled')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claimed_at REAL,
    last_error TEXT,
    created_at REAL NOT NULL
);
-- The dispatcher only ever looks at pending rows ordered by due time.
CREATE INDEX timers_pending_due ON timers (due_at) WHERE status = 'pending';
CREATE INDEX timers_running ON timers (claimed_at) WHERE status = 'running';
-- At most one live timer per (guild, key): scheduling again by key replaces it.
CREATE UNIQUE INDEX timers_live_key ON timers (guild_id, key)
    WHERE key IS NOT NULL AND status IN ('pending', 'running');

-- Gateway events can be delivered twice (RESUME replays); writers record what they handled.
CREATE TABLE processed_events (
    guild_id   INTEGER NOT NULL,
    event_id   INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    handled_at REAL NOT NULL,
    PRIMARY KEY (guild_id, kind, event_id)
);
