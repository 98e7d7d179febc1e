"""Tour scene: a link is shared and announced, shared again (duplicate), searched, and voted useful."""

from __future__ import annotations


async def play(tour) -> None:
    driver = tour.driver
    if not tour.enabled("resources"):
        return
    tour.scene("Ressources : partager, éviter les doublons, chercher, voter")
    tour.narrate(
        "Le réseau voulait un espace commun pour les articles, podcasts, projets et événements. Inès partage "
        "le site de PAT, en précisant le type et les thèmes."
    )
    await tour.act(
        "ines",
        "lance /ressource partager url:https://pat.support/ type:Projet themes:emploi, intervision",
        lambda: driver.slash(
            "ines",
            "ressource partager",
            url="https://pat.support/",
            type="projet",
            titre="PAT – accompagner les équipes qui engagent des pair-aidant·es",
            themes="emploi, intervision",
            description="Formations, soutien au recrutement et intervisions entre pairs.",
        ),
    )
    tour.narrate("Noah avait le même lien, avec des paramètres de suivi en plus : Relais le reconnaît.")
    await tour.act(
        "noah",
        "partage http://www.pat.support/?utm_source=facebook",
        lambda: driver.slash(
            "noah",
            "ressource partager",
            url="http://www.pat.support/?utm_source=facebook",
            titre="Le site PAT",
        ),
    )
    await tour.act(
        "lea",
        "cherche sans accent : /ressource chercher requete:equipes intervisions",
        lambda: driver.slash("lea", "ressource chercher", requete="equipes intervisions"),
    )
    cards = [m for m in driver.bot_messages("ressources") if m.embeds and m.components]
    if cards:
        card = cards[-1]
        useful = next(
            c["custom_id"]
            for row in card.components
            for c in row["components"]
            if c["custom_id"].startswith("relais:resources:useful:")
        )
        await tour.act("noah", "clique « Utile » sous l'annonce", lambda: driver.click("noah", card, useful))
