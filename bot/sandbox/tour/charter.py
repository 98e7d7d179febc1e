"""Tour scene: the charter published and accepted, an automod deletion with its notice, care, /urgence."""

from __future__ import annotations


async def play(tour) -> None:
    driver = tour.driver
    if not tour.enabled("charter"):
        return
    tour.scene("La charte : publication, acceptation, modération automatique, soin")
    tour.narrate("Camille, administratrice, publie la charte dans #charte avec son bouton d'acceptation.")
    await tour.act(
        "camille", "publie la charte : /charte publier", lambda: driver.slash("camille", "charte publier")
    )
    posted = [m for m in driver.bot_messages("charte") if m.components]
    if posted:
        custom_id = f"relais:charter:accept:{tour.sandbox.guild_id}"
        tour.narrate(
            "Léa vient d'arriver. Elle lit la charte et clique sur « J'ai lu et j'accepte la charte »."
        )
        await tour.act(
            "lea",
            "clique « J'ai lu et j'accepte la charte »",
            lambda: driver.click("lea", posted[-1], custom_id),
        )
        tour.narrate(f"Rôles de Léa maintenant : {', '.join(driver.role_names('lea')) or 'aucun'}.")

    tour.narrate(
        "Noah s'emporte et déguise une insulte. La modération automatique la reconnaît malgré le leetspeak, "
        "retire le message et lui explique en privé quel article est concerné."
    )
    await driver.send_message("noah", "ressources", "Franchement, quel c0nn4rd ce formateur.")
    await tour.settle(0.6)

    tour.narrate(
        "Inès pose à Noah une question sur son diagnostic : un rappel bienveillant de l'article 5, sans "
        "sanction."
    )
    await driver.send_message("ines", "ressources", "Noah, c'est quoi ton diagnostic au juste ?")
    await tour.settle(0.6)

    tour.narrate(
        "Un membre écrit qu'il n'a plus envie de vivre. Son message reste ; lui seul reçoit, en privé, "
        "les lignes d'écoute. Personne d'autre n'est prévenu (réglage par défaut)."
    )
    await driver.send_message("noah", "ressources", "Je n'ai plus envie de vivre en ce moment.")
    await tour.settle(0.6)
    await tour.act("lea", "cherche de l'aide : /urgence", lambda: driver.slash("lea", "urgence", pays="be"))
