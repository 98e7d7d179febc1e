"""Tour scene: an offer submitted, approved from the moderators' card, sent to a subscriber, expired."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.core import timeutil


async def play(tour) -> None:
    driver = tour.driver
    bot = tour.sandbox.bot
    if not tour.enabled("jobs"):
        return
    tour.scene("Offres d'emploi : proposer, valider, prévenir, expirer")
    tour.narrate(
        "Les postes de pair-aidance sont rares et circulent surtout de bouche à oreille. Noah veut être "
        "prévenu "
        "des offres à Bruxelles ; Inès en a trouvé une et la propose avec une vraie fiche de poste."
    )
    await tour.act(
        "noah",
        "s'abonne aux alertes : /offre alertes regions:Bruxelles rythme:immédiat",
        lambda: driver.slash("noah", "offre alertes", regions="Bruxelles", rythme="immediat"),
    )
    deadline = (dt.date.today() + dt.timedelta(days=21)).strftime("%d/%m/%Y")
    opened = await tour.act(
        "ines",
        f"lance /offre publier (Bruxelles, CDD, date limite {deadline})",
        lambda: driver.slash(
            "ines",
            "offre publier",
            intitule="Travailleur·euse pair en équipe mobile",
            employeur="ASBL Horizon",
            region="Bruxelles",
            contrat="CDD",
            date_limite=deadline,
            lieu="Schaerbeek",
        ),
    )
    await tour.act(
        "ines",
        "remplit le formulaire : missions, profil, temps de travail, rémunération, candidature",
        lambda: driver.submit_modal(
            "ines",
            opened,
            {
                "missions": (
                    "Soutenir les personnes suivies par l'équipe mobile, co-animer un groupe de parole."
                ),
                "profile": (
                    "Vécu du rétablissement et envie de le partager ; formation en pair-aidance bienvenue."
                ),
                "working_time": "Mi-temps, 19 h par semaine",
                "pay_status": "Barème de la commission paritaire 332, contrat d'employé·e",
                "how_to_apply": "CV et quelques lignes de motivation à l'adresse de l'ASBL",
            },
        ),
    )
    await tour.settle()
    cards = [m for m in driver.bot_messages("mod-log") if m.embeds and m.components]
    if not cards:
        tour.narrate("(aucune carte de validation : le salon de validation des offres n'est pas configuré)")
        return
    card = cards[-1]
    offer_id = int(card.embeds[0]["footer"]["text"].split("n°")[1].split()[0])
    tour.narrate(
        "Rien n'est annoncé avant validation. Sami relit la carte dans le salon de modération et publie."
    )
    await tour.act(
        "sami",
        "clique « Publier » sur la carte",
        lambda: driver.click("sami", card, f"relais:jobs:publish:{offer_id}"),
    )
    await tour.settle(0.6)
    await tour.act(
        "lea", "parcourt les offres ouvertes : /offre liste", lambda: driver.slash("lea", "offre liste")
    )

    tour.narrate("Trois semaines passent : on avance l'horloge jusqu'à la date limite de l'offre.")
    past = timeutil.to_db(timeutil.now() - dt.timedelta(minutes=1))
    await bot.db.execute(
        "UPDATE job_offers SET deadline = ?, expires_at = ? WHERE id = ?", (past, past, offer_id)
    )
    await bot.timers.reschedule(tour.sandbox.guild_id, f"jobs:expire:{offer_id}", timeutil.now())
    for _ in range(40):
        row = await bot.db.fetchval("SELECT closure_shown FROM job_offers WHERE id = ?", (offer_id,))
        if row:
            break
        await asyncio.sleep(0.1)
    announcement = [m for m in driver.bot_messages("offres-emploi") if m.embeds]
    if announcement:
        edited = announcement[-1]
        tour.narrate(
            f"L'annonce dans #offres-emploi est modifiée : « {edited.content or ''} » — "
            f"{edited.embeds[0].get('title', '')}"
        )
