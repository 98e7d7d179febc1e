-- The charter: acceptances per version, the version in force per guild, the one notice a member
-- gets when the version changes, publications of the charter message, one welcome per member,
-- and the automod actions already taken (a message edited, or an event delivered twice, is not
-- punished twice).

CREATE TABLE charter_acceptances (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    version     TEXT NOT NULL,
    accepted_at REAL NOT NULL,
    PRIMARY KEY (guild_id, user_id, version)
);
CREATE INDEX charter_acceptances_version ON charter_acceptances (guild_id, version);

CREATE TABLE charter_state (
    guild_id   INTEGER PRIMARY KEY,
    version    TEXT NOT NULL,
    changed_at REAL NOT NULL
);

CREATE TABLE charter_notices (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    version     TEXT NOT NULL,
    notified_at REAL NOT NULL,
    via         TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id, version)
);

CREATE TABLE charter_publications (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    version      TEXT NOT NULL,
    channel_id   INTEGER NOT NULL,
    message_id   INTEGER NOT NULL,
    published_at REAL NOT NULL
);
CREATE INDEX charter_publications_guild ON charter_publications (guild_id, published_at);

CREATE TABLE charter_welcomes (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    sent_at  REAL NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- One row per (message, rule) acted upon; no message content is stored.
CREATE TABLE automod_actions (
    guild_id   INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    rule_id    TEXT NOT NULL,
    user_id    INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    action     TEXT NOT NULL,
    acted_at   REAL NOT NULL,
    PRIMARY KEY (guild_id, message_id, rule_id)
);
CREATE INDEX automod_actions_user ON automod_actions (guild_id, user_id, acted_at);
