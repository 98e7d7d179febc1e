-- The ❌ findings last summarised in a guild's mod-log by the automatic diagnostic (start-up, after
-- /config), so that a restart or a change that fixes nothing does not post the same summary again.
-- No member data: findings name channels, roles and settings only.
CREATE TABLE diagnostic_summaries (
    guild_id  INTEGER PRIMARY KEY,
    errors    TEXT NOT NULL,  -- sorted finding identities, one a line
    posted_at REAL NOT NULL
);
