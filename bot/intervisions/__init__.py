"""Intervision scheduling: sessions, bookings with waitlist, French dates, iCalendar export.
Offers ``sessions.Intervisions``; ``ui`` holds its embeds, buttons and modals."""
