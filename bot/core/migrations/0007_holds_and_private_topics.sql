-- A member whose « membre » role the moderators removed: the acceptance button must not give it
-- back. Kept in its own table (it was a reserved version in charter_notices), purged after the
-- retention period of cases.
CREATE TABLE charter_role_holds (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    held_at  REAL NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
INSERT INTO charter_role_holds (guild_id, user_id, held_at)
    SELECT guild_id, user_id, notified_at FROM charter_notices WHERE version = 'rôle retiré par la modération';
DELETE FROM charter_notices WHERE version = 'rôle retiré par la modération';

-- Topics written in a session's minutes stay among its participants until a lead publishes them:
-- they are then posted and join the backlog everyone sees.
ALTER TABLE intervision_topics ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
UPDATE intervision_topics SET private = 1 WHERE source_session_id IS NOT NULL AND message_id IS NULL;
