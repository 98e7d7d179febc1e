-- Each session's waitlist length, kept by triggers whatever the statement (booking, withdrawal,
-- promotion, departure, cascade): a click's waitlist position is then read from one row, where it
-- was counted over the whole waitlist (O(n) per click, O(n²) for a burst of clicks).
ALTER TABLE intervision_sessions ADD COLUMN waitlisted INTEGER NOT NULL DEFAULT 0;
UPDATE intervision_sessions SET waitlisted = (
    SELECT COUNT(*) FROM intervision_bookings b
    WHERE b.session_id = intervision_sessions.id AND b.status = 'waitlist'
);

CREATE TRIGGER intervision_bookings_waitlist_ins AFTER INSERT ON intervision_bookings
WHEN NEW.status = 'waitlist' BEGIN
    UPDATE intervision_sessions SET waitlisted = waitlisted + 1 WHERE id = NEW.session_id;
END;
CREATE TRIGGER intervision_bookings_waitlist_del AFTER DELETE ON intervision_bookings
WHEN OLD.status = 'waitlist' BEGIN
    UPDATE intervision_sessions SET waitlisted = waitlisted - 1 WHERE id = OLD.session_id;
END;
CREATE TRIGGER intervision_bookings_waitlist_upd AFTER UPDATE OF status, session_id ON intervision_bookings
WHEN (OLD.status = 'waitlist') != (NEW.status = 'waitlist') OR OLD.session_id != NEW.session_id BEGIN
    UPDATE intervision_sessions SET waitlisted = waitlisted - (OLD.status = 'waitlist') WHERE id = OLD.session_id;
    UPDATE intervision_sessions SET waitlisted = waitlisted + (NEW.status = 'waitlist') WHERE id = NEW.session_id;
END;

-- The next arrival number now comes from two seeks of intervision_bookings_queue (the last booked
-- and the last waitlisted seq): one index fewer to write on every click.
DROP INDEX intervision_bookings_order;
