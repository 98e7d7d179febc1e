-- An edit of a published job offer by a member without the trusted role waits here for a
-- moderator; the approved version stays announced meanwhile. One pending revision per offer (a
-- new edit replaces it). No member id: the submitter is the offer's.
CREATE TABLE job_offer_revisions (
    offer_id       INTEGER PRIMARY KEY REFERENCES job_offers (id) ON DELETE CASCADE,
    guild_id       INTEGER NOT NULL,
    title          TEXT NOT NULL,
    employer       TEXT NOT NULL,
    region         TEXT NOT NULL,
    contract       TEXT NOT NULL,
    deadline       REAL,
    link           TEXT,
    place          TEXT,
    missions       TEXT NOT NULL DEFAULT '',
    profile        TEXT NOT NULL DEFAULT '',
    working_time   TEXT NOT NULL DEFAULT '',
    pay_status     TEXT NOT NULL DEFAULT '',
    how_to_apply   TEXT NOT NULL DEFAULT '',
    flags          TEXT NOT NULL DEFAULT '',
    created_at     REAL NOT NULL,
    queue_channel_id INTEGER,
    queue_message_id INTEGER
);
CREATE INDEX job_offer_revisions_guild ON job_offer_revisions (guild_id);
