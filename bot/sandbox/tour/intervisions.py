"""Tour scene: an intervision planned, filled, a waitlist, a withdrawal with promotion, a reminder."""

from __future__ import annotations

import asyncio

from bot.core import timeutil
from bot.intervisions import sessions as iv


async def play(tour) -> None:
    driver = tour.driver
    bot = tour.sandbox.bot
    if not tour.enabled("intervisions"):
        return
    sessions_of = iv.Intervisions(bot.db, bot.timers)
    guild_id = tour.sandbox.guild_id
    tour.scene("Intervisions : planifier, s'inscrire, liste d'attente, rappel")
    tour.narrate(
        "Sami planifie la prochaine réunion ouverte du réseau, en français courant. Ines anime ; "
        "pour la démonstration, une seule place."
    )
    await tour.act(
        "sami",
        "planifie : /intervision planifier date:« 3 décembre 14h » fin:« 16h30 »",
        lambda: driver.slash(
            "sami",
            "intervision planifier",
            titre="Réunion ouverte du réseau",
            date="3 décembre 14h",
            fin="16h30",
            lieu="Locaux d'une structure membre",
            places=1,
            animation=driver.user_id("ines"),
        ),
    )
    sessions = await sessions_of.upcoming(guild_id)
    if not sessions:
        tour.narrate("(aucune séance créée)")
        return
    session = sessions[-1]
    posts = [m for m in driver.bot_messages("intervisions") if m.embeds]
    if not posts:
        tour.narrate("(pas d'annonce : le salon des intervisions n'est pas configuré)")
        return
    post = posts[-1]
    book = f"relais:intervisions:book:{session.id}"
    await tour.act("noah", "clique « Je participe »", lambda: driver.click("noah", post, book))
    await tour.act(
        "camille", "clique « Je participe » : c'est complet", lambda: driver.click("camille", post, book)
    )
    await tour.act(
        "lea", "clique « Je participe » sans le rôle pair-aidant", lambda: driver.click("lea", post, book)
    )
    await tour.act(
        "noah",
        "se désiste : Camille reçoit la place",
        lambda: driver.click("noah", post, f"relais:intervisions:withdraw:{session.id}"),
    )

    tour.narrate("Le rappel de la veille est un minuteur durable ; on l'avance pour le voir partir.")
    await bot.timers.reschedule(guild_id, iv.reminder_key(session.id, 24), timeutil.now())
    for _ in range(30):
        if any("rappel" in m.content.lower() for m in driver.dms("camille")):
            break
        await asyncio.sleep(0.1)
    await tour.settle()
    await tour.act(
        "lea", "consulte les séances : /intervision liste", lambda: driver.slash("lea", "intervision liste")
    )
