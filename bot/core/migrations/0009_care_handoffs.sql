-- A member who pressed « Parler à un·e pair de permanence »: the private thread opened for them.
-- Its existence is member data (health-adjacent): exported, erased on request, and purged after the
-- retention period once closed.
CREATE TABLE care_handoffs (
    thread_id INTEGER PRIMARY KEY,
    guild_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    opened_at REAL NOT NULL,
    closed_at REAL
);
CREATE INDEX care_handoffs_member ON care_handoffs (guild_id, user_id);
