"""Tour scene: an administrator checks the settings, a newcomer asks for help."""

from __future__ import annotations


async def play(tour) -> None:
    driver = tour.driver
    tour.scene("Premiers pas")
    tour.narrate(
        "Le serveur « Relais — bac à sable » ressemble à la communauté : Camille l'administre, Sami modère, "
        "Inès et Noah sont pair-aidant·es, Léa vient d'arriver. Les salons et rôles ont été réglés avec "
        "/config."
    )
    await tour.act(
        "camille", "vérifie les réglages : /config voir", lambda: driver.slash("camille", "config voir")
    )
    await tour.act("lea", "découvre ce qu'elle peut faire : /aide", lambda: driver.slash("lea", "aide"))
