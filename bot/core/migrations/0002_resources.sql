-- Resources: a searchable, moderated library of links shared by members.

CREATE TABLE resources (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    url          TEXT NOT NULL,              -- as shared (displayed)
    url_key      TEXT NOT NULL,              -- normalised (compared)
    site         TEXT NOT NULL DEFAULT '',   -- host without www., searchable
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL DEFAULT 'article',
    themes       TEXT NOT NULL DEFAULT '',   -- ", "-joined, as displayed and indexed
    author_id    INTEGER,                    -- credited member (NULL: imported library)
    shared_by    INTEGER,                    -- who ran the command (NULL: imported)
    source       TEXT NOT NULL DEFAULT 'discord' CHECK (source IN ('discord', 'import')),
    created_at   REAL NOT NULL,
    updated_at   REAL,
    removed_at   REAL,
    removed_by   INTEGER,
    useful_count INTEGER NOT NULL DEFAULT 0,
    -- Pre-computed ranking factor (>= 1), rewritten with useful_count: bm25 * boost.
    boost        REAL NOT NULL DEFAULT 1.0,
    -- Usefulness tier tokens indexed in FTS ('' or 'u1', 'u1 u3', 'u1 u3 u10'): lets a search
    -- for very common words pull the voted matches without scoring every match.
    tier         TEXT NOT NULL DEFAULT '',
    channel_id   INTEGER,                    -- announcement (message, or forum thread)
    message_id   INTEGER,
    thread_id    INTEGER
);
-- A link lives once per guild; a removed one may be shared again.
CREATE UNIQUE INDEX resources_live_url ON resources (guild_id, url_key) WHERE removed_at IS NULL;
CREATE INDEX resources_recent ON resources (guild_id, created_at) WHERE removed_at IS NULL;
CREATE INDEX resources_useful ON resources (guild_id, useful_count) WHERE removed_at IS NULL;
CREATE INDEX resources_sharer ON resources (guild_id, shared_by, created_at);
CREATE INDEX resources_message ON resources (message_id) WHERE message_id IS NOT NULL;

-- One theme per row, for filters and autocomplete; `theme_key` is folded (case, accents).
CREATE TABLE resource_themes (
    guild_id    INTEGER NOT NULL,
    resource_id INTEGER NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    theme_key   TEXT NOT NULL,
    theme       TEXT NOT NULL,
    PRIMARY KEY (resource_id, theme_key)
);
CREATE INDEX resource_themes_by_theme ON resource_themes (guild_id, theme_key, resource_id);

-- « Utile » votes: one per member and resource; the count is kept on resources.useful_count.
CREATE TABLE resource_votes (
    guild_id    INTEGER NOT NULL,
    resource_id INTEGER NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    created_at  REAL NOT NULL,
    PRIMARY KEY (resource_id, user_id)
);
CREATE INDEX resource_votes_recent ON resource_votes (guild_id, created_at);

-- Weekly digests already posted (idempotent timer handler).
CREATE TABLE resource_digests (
    guild_id   INTEGER NOT NULL,
    period     TEXT NOT NULL,   -- ISO week, e.g. 2025-W07
    message_id INTEGER,
    posted_at  REAL NOT NULL,
    PRIMARY KEY (guild_id, period)
);

-- Full-text index over live resources only; accents and case do not matter. `kind`, `tier` and
-- `guild_id` are indexed so filters run inside MATCH (bm25 weight 0 for them).
CREATE VIRTUAL TABLE resources_fts USING fts5 (
    title, description, themes, site, kind, tier, guild_id,
    content = 'resources', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER resources_fts_insert AFTER INSERT ON resources WHEN new.removed_at IS NULL BEGIN
    INSERT INTO resources_fts (rowid, title, description, themes, site, kind, tier, guild_id)
    VALUES (new.id, new.title, new.description, new.themes, new.site, new.kind, new.tier, new.guild_id);
END;
CREATE TRIGGER resources_fts_delete AFTER DELETE ON resources WHEN old.removed_at IS NULL BEGIN
    INSERT INTO resources_fts (resources_fts, rowid, title, description, themes, site, kind, tier, guild_id)
    VALUES ('delete', old.id, old.title, old.description, old.themes, old.site, old.kind, old.tier, old.guild_id);
END;
-- One trigger (not two) so the old entry is always removed before the new one is added; a vote
-- that leaves every indexed column unchanged does not touch the index.
CREATE TRIGGER resources_fts_update AFTER UPDATE ON resources
WHEN old.title IS NOT new.title OR old.description IS NOT new.description OR old.themes IS NOT new.themes
  OR old.site IS NOT new.site OR old.kind IS NOT new.kind OR old.tier IS NOT new.tier
  OR old.removed_at IS NOT new.removed_at
BEGIN
    INSERT INTO resources_fts (resources_fts, rowid, title, description, themes, site, kind, tier, guild_id)
    SELECT 'delete', old.id, old.title, old.description, old.themes, old.site, old.kind, old.tier, old.guild_id
    WHERE old.removed_at IS NULL;
    INSERT INTO resources_fts (rowid, title, description, themes, site, kind, tier, guild_id)
    SELECT new.id, new.title, new.description, new.themes, new.site, new.kind, new.tier, new.guild_id
    WHERE new.removed_at IS NULL;
END;
