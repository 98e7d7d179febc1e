-- Moderation: numbered cases, appeals, recusals, reports (merged per message) and the duty rota.

-- One row per moderation action. `number` is per guild, allocated by a single
-- INSERT … SELECT MAX(number)+1 statement (SQLite serialises writers, so it never repeats).
-- A case is written `pending` before the Discord call and confirmed after it succeeded; a
-- refused action deletes its pending row, so no case ever records an action Discord refused.
CREATE TABLE mod_cases (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    number        INTEGER NOT NULL,
    member_id     INTEGER NOT NULL,
    moderator_id  INTEGER NOT NULL,
    action        TEXT NOT NULL CHECK (action IN (
                      'warn', 'timeout', 'kick', 'ban', 'unban', 'note', 'conversation', 'proposal')),
    article       TEXT,
    reason        TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'confirmed')),
    automatic     INTEGER NOT NULL DEFAULT 0,
    parent_number INTEGER,
    created_at    REAL NOT NULL,
    expires_at    REAL,            -- warning expiry, end of a timeout, end of a timed ban
    ended_at      REAL,            -- set when the expiry timer ran (warning expired, ban lifted)
    revoked_at    REAL,
    revoked_by    INTEGER,
    revoke_reason TEXT,
    UNIQUE (guild_id, number)
);
CREATE INDEX mod_cases_member ON mod_cases (guild_id, member_id, number);

-- A moderator's declared conflict of interest with a member.
CREATE TABLE mod_recusals (
    guild_id     INTEGER NOT NULL,
    moderator_id INTEGER NOT NULL,
    member_id    INTEGER NOT NULL,
    created_at   REAL NOT NULL,
    PRIMARY KEY (guild_id, moderator_id, member_id)
);
CREATE INDEX mod_recusals_member ON mod_recusals (guild_id, member_id);

-- An appeal (/recours) against a case; one open appeal per case.
CREATE TABLE mod_appeals (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    case_number INTEGER NOT NULL,
    member_id   INTEGER NOT NULL,
    text        TEXT NOT NULL,
    recipients  TEXT NOT NULL DEFAULT '[]',   -- JSON list of moderator ids it was routed to
    created_at  REAL NOT NULL,
    UNIQUE (guild_id, case_number)
);

-- Reports: several reports of one message merge into one row with a count.
CREATE TABLE mod_reports (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    message_id      INTEGER,          -- NULL for /signaler without a message
    channel_id      INTEGER,
    target_id       INTEGER,          -- the reported member, when known
    excerpt         TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL,
    article         TEXT,
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'dismissed', 'resolved')),
    handler_id      INTEGER,
    resolution      TEXT,
    count           INTEGER NOT NULL DEFAULT 1,
    card_channel_id INTEGER,
    card_message_id INTEGER,
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    closed_at       REAL
);
-- At most one live report per message: new reports of it merge into that row.
CREATE UNIQUE INDEX mod_reports_live_message ON mod_reports (guild_id, message_id)
    WHERE message_id IS NOT NULL AND status IN ('open', 'claimed');

-- Who reported. An anonymous reporter is stored ONLY as a keyed hash (the key lives outside
-- the database): the same person reporting again still merges and is rate-limited.
CREATE TABLE mod_report_entries (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    report_id     INTEGER NOT NULL REFERENCES mod_reports (id) ON DELETE CASCADE,
    reporter_id   INTEGER,            -- NULL when anonymous
    reporter_hash TEXT NOT NULL,
    description   TEXT NOT NULL,
    notify        INTEGER NOT NULL DEFAULT 1,
    created_at    REAL NOT NULL,
    UNIQUE (report_id, reporter_hash),
    CHECK (reporter_id IS NOT NULL OR notify = 0)
);
CREATE INDEX mod_report_entries_rate ON mod_report_entries (guild_id, reporter_hash, created_at);

-- The duty rota: moderators take turns, one per period, starting at `start_at`.
CREATE TABLE mod_duty_rotas (
    guild_id       INTEGER PRIMARY KEY,
    moderators     TEXT NOT NULL,      -- JSON list of user ids, in turn order
    period_seconds REAL NOT NULL CHECK (period_seconds > 0),
    start_at       REAL NOT NULL,
    announced_slot INTEGER,            -- last rotation announced (idempotent timer handler)
    created_by     INTEGER NOT NULL,
    created_at     REAL NOT NULL
);
