"""Tour scene: a duty rota, a report handled from its card, a warning naming the charter article."""

from __future__ import annotations


async def play(tour) -> None:
    driver = tour.driver
    if not tour.enabled("moderation"):
        return
    sami = driver.user_id("sami")
    tour.scene("Modération : permanence, signalement, avertissement")
    tour.narrate(
        "La modération tourne entre les membres de l'équipe. Sami organise la permanence ; les nouveaux "
        "signalements ne mentionneront que la personne de permanence."
    )
    await tour.act(
        "sami",
        "planifie la permanence : /permanence planifier",
        lambda: driver.slash(
            "sami", "permanence planifier", moderateurs=f"<@{sami}>", periode="1 sem", debut="maintenant"
        ),
    )
    await tour.act(
        "lea",
        "demande qui est de permanence : /permanence qui",
        lambda: driver.slash("lea", "permanence qui"),
    )

    tour.narrate(
        "Léa publie une annonce commerciale dans #ressources. Noah la signale, sans que Léa sache que c'est "
        "lui."
    )
    offending = await driver.send_message(
        "lea", "ressources", "Mes compléments naturels guérissent tout, écrivez-moi en privé !"
    )
    opened = await tour.act(
        "noah",
        "fait un clic droit sur le message → « Signaler à la modération »",
        lambda: driver.message_context("noah", "Signaler à la modération", offending),
    )
    await tour.act(
        "noah",
        "décrit ce qui se passe et envoie le formulaire",
        lambda: driver.submit_modal(
            "noah", opened, {"what": "Publicité pour des produits de santé", "article": "publicite"}
        ),
    )
    cards = [m for m in driver.bot_messages("signalements") if m.embeds]
    if not cards:
        tour.narrate("(aucune carte de signalement : le salon des signalements n'est pas configuré)")
        return
    card = cards[-1]
    report_id = card.embeds[0]["title"].split("n°")[-1].strip()
    await tour.act(
        "sami",
        "clique « Supprimer le message » sur la carte",
        lambda: driver.click("sami", card, f"relais:moderation:report:delete:{report_id}"),
    )
    await tour.settle()

    tour.narrate(
        "Sami adresse ensuite à Léa un avertissement pédagogique : il nomme l'article et dit comment "
        "contester."
    )
    await tour.act(
        "sami",
        "avertit Léa : /mod avertir",
        lambda: driver.slash(
            "sami",
            "mod avertir",
            membre="lea",
            article="publicite",
            raison="Annonce commerciale pour des produits de santé dans #ressources",
        ),
    )
    await tour.settle()
    await tour.act(
        "sami",
        "consulte le dossier de Léa : /mod dossier",
        lambda: driver.slash("sami", "mod dossier", membre="lea"),
    )
