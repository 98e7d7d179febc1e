-- Intervisions: sessions (alone or in a series), bookings with a waitlist, topics and votes,
-- minutes, offers to host or facilitate, reminder preferences and what was already sent.

CREATE TABLE intervision_series (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    title       TEXT NOT NULL,
    rule_text   TEXT NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  REAL NOT NULL
);

CREATE TABLE intervision_sessions (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    series_id      INTEGER REFERENCES intervision_series (id) ON DELETE SET NULL,
    title          TEXT NOT NULL,
    starts_at      REAL NOT NULL,
    ends_at        REAL NOT NULL CHECK (ends_at > starts_at),
    place          TEXT,
    online         INTEGER NOT NULL DEFAULT 0,
    capacity       INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 500),
    facilitator_id INTEGER,
    secretary_id   INTEGER,
    created_by     INTEGER NOT NULL,
    status         TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled', 'done')),
    cancel_reason  TEXT,
    channel_id     INTEGER,
    message_id     INTEGER,
    thread_id      INTEGER,
    event_id       INTEGER,
    created_at     REAL NOT NULL,
    updated_at     REAL NOT NULL
);
CREATE INDEX intervision_sessions_upcoming ON intervision_sessions (guild_id, status, starts_at);
CREATE INDEX intervision_sessions_series ON intervision_sessions (series_id) WHERE series_id IS NOT NULL;
CREATE INDEX intervision_sessions_event ON intervision_sessions (guild_id, event_id) WHERE event_id IS NOT NULL;

-- One row per member and session. ``seq`` is the order of arrival: the waitlist is served by it.
-- The primary key makes a double booking impossible, whatever the clicks.
CREATE TABLE intervision_bookings (
    session_id  INTEGER NOT NULL REFERENCES intervision_sessions (id) ON DELETE CASCADE,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('booked', 'waitlist')),
    created_at  REAL NOT NULL,
    promoted_at REAL,
    PRIMARY KEY (session_id, user_id)
) WITHOUT ROWID;
CREATE INDEX intervision_bookings_queue ON intervision_bookings (session_id, status, seq);
-- MAX(seq) of a session in O(log n): the next arrival number inside the booking statement.
CREATE INDEX intervision_bookings_order ON intervision_bookings (session_id, seq);
CREATE INDEX intervision_bookings_member ON intervision_bookings (guild_id, user_id);

CREATE TABLE intervision_topics (
    id                INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    text              TEXT NOT NULL,
    proposed_by       INTEGER,
    source_session_id INTEGER REFERENCES intervision_sessions (id) ON DELETE SET NULL,
    session_id        INTEGER REFERENCES intervision_sessions (id) ON DELETE SET NULL,
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'retained')),
    message_id        INTEGER,
    created_at        REAL NOT NULL
);
CREATE INDEX intervision_topics_open ON intervision_topics (guild_id, status);

CREATE TABLE intervision_topic_votes (
    topic_id INTEGER NOT NULL REFERENCES intervision_topics (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    PRIMARY KEY (topic_id, user_id)
) WITHOUT ROWID;

CREATE TABLE intervision_minutes (
    session_id   INTEGER PRIMARY KEY REFERENCES intervision_sessions (id) ON DELETE CASCADE,
    guild_id     INTEGER NOT NULL,
    author_id    INTEGER NOT NULL,
    round_count  INTEGER,
    round_notes  TEXT NOT NULL DEFAULT '',
    thematic     TEXT NOT NULL DEFAULT '',
    network      TEXT NOT NULL DEFAULT '',
    later_topics TEXT NOT NULL DEFAULT '',
    next_dates   TEXT NOT NULL DEFAULT '',
    updated_at   REAL NOT NULL
);

CREATE TABLE intervision_offers (
    session_id INTEGER NOT NULL REFERENCES intervision_sessions (id) ON DELETE CASCADE,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('accueil', 'animation')),
    created_at REAL NOT NULL,
    PRIMARY KEY (session_id, user_id, kind)
) WITHOUT ROWID;

-- Reminders are on unless a member turns them off.
CREATE TABLE intervision_reminder_prefs (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    enabled  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- Which reminder went to whom: a timer delivered twice (crash window) sends nothing twice.
CREATE TABLE intervision_reminders_sent (
    session_id INTEGER NOT NULL REFERENCES intervision_sessions (id) ON DELETE CASCADE,
    label      TEXT NOT NULL,
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (session_id, label, user_id)
) WITHOUT ROWID;

-- Members whose DMs are closed: logged once, not retried by every reminder.
CREATE TABLE intervision_dm_failures (
    guild_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    failed_at REAL NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
