"""Intervision scheduling: sessions, bookings with waitlist, French dates, iCalendar export.
Offers ``sessions.Intervisions``; ``ui`` holds its embeds, buttons and modals, and declares
``IntervisionButtonActions``, which the cog provides through ``bot.services`` for the buttons."""
