"""The French rule kinds on realistic sentences, and the whole-message rules and exemptions."""

from __future__ import annotations

import pytest

from bot.charter import automod
from bot.charter.charter import load_charter
from tests.helpers import REPO

CHARTER = load_charter(REPO / "config")


@pytest.fixture
def engine() -> automod.Engine:
    return automod.Engine(CHARTER)


def rule_ids(engine: automod.Engine, text: str) -> set[str]:
    return {h.rule.id for h in engine.check(text)}


# -- intrusive questions ---------------------------------------------------------------------------------
INTRUSIVE = [
    "Quelle est ta pathologie ?",
    "quelle est votre pathologie ?",
    "C'est quoi ton diagnostic exactement ?",
    "Et c’est quoi ta maladie au juste ?",
    "Tu as quoi comme trouble ?",
    "Vous avez quel diagnostic ?",
    "T'as quel traitement en ce moment ?",
    "Tu prends quoi comme médicaments ?",
    "Tu prends encore ton traitement ?",
    "Tu es sous traitement ?",
    "Tu es vraiment rétabli ?",
    "Est-ce que vous êtes vraiment rétablie ?",
    "T'es complètement guéri ou pas ?",
    "Tu es rétabli ?",
    "Tu es sûr de ne pas rechuter ?",
    "Vous êtes sûre de ne jamais rechuter ?",
    "Tu vas rechuter, c'est sûr",
    "Tu n'as pas peur de rechuter ?",
    "Et si tu rechutes ?",
    "Tu es bipolaire ?",
    "T'es schizo ou quoi ?",
    "De quoi tu souffres ?",
    "Tu as été hospitalisé pour quoi ?",
    "Pourquoi tu as été interné ?",
]

NOT_INTRUSIVE = [
    # members speaking of themselves
    "Mon diagnostic est tombé en 2015 et ça a été un soulagement.",
    "Je prends un traitement depuis trois ans, ça m'aide beaucoup.",
    "Je suis rétablie depuis cinq ans, et je travaille comme pair-aidante.",
    "J'ai peur de rechuter quand je suis fatiguée.",
    "Je suis bipolaire et j'en parle librement ici.",
    "On m'a demandé quel était mon diagnostic en entretien, c'était violent.",
    # questions about a training, a job, a text
    "Est-ce que la formation aborde la question du diagnostic ?",
    "Quel est le programme de la formation sur le rétablissement ?",
    "Comment parler du traitement avec un usager qui hésite ?",
    "La fiche de poste demande-t-elle un diagnostic ?",
    "Quel est votre parcours dans la pair-aidance ?",
    "Tu es disponible pour l'intervision de mardi ?",
    "Le rétablissement n'est pas linéaire, on le sait.",
    # quoting a question in order to denounce it
    "Le guide dit de ne jamais demander « quelle est votre pathologie ? » en entretien.",
    'En recrutement, évitez "tu es vraiment rétabli ?" : c\'est intrusif.',
]


@pytest.mark.parametrize("text", INTRUSIVE)
def test_intrusive_questions_trigger(engine: automod.Engine, text: str) -> None:
    assert "questions_intrusives" in rule_ids(engine, text), text


@pytest.mark.parametrize("text", NOT_INTRUSIVE)
def test_not_intrusive(engine: automod.Engine, text: str) -> None:
    assert "questions_intrusives" not in rule_ids(engine, text), text


def test_intrusive_default_action_is_a_gentle_reminder() -> None:
    rule = CHARTER.rule("questions_intrusives")
    assert rule.action == "remind" and rule.article == "questions_intrusives"


# -- distress ---------------------------------------------------------------------------------------------
DISTRESS = [
    "Je veux mourir.",
    "j'ai envie de mourir ce soir",
    "Je pense à me suicider",
    "j'ai juste envie d'en finir",
    "Je vais me foutre en l'air",
    "je n'ai plus envie de vivre",
    "Je ne veux plus vivre comme ça",
    "j'en peux plus de cette vie",
    "Je me sens suicidaire depuis quelques jours",
    "J'ai des idées noires en ce moment",
    "Tout le monde serait mieux sans moi",
    "Je suis un fardeau pour tout le monde",
    "Je me scarifie encore",
    "J’ai envie de me faire du mal",
]

NOT_DISTRESS = [
    "Je participe à une formation sur la prévention du suicide la semaine prochaine.",
    "Le 3114 est le numéro national de prévention du suicide.",
    "Le film parle d'un homme qui veut mourir, il m'a bouleversée.",
    "Dans ce roman, l'héroïne a des idées noires pendant tout l'hiver.",
    "Il y a dix ans, j'ai voulu mourir. Aujourd'hui je vais bien.",
    "À l'époque j'avais des idées suicidaires, j'en parle pour témoigner.",
    "J'étais suicidaire à vingt ans ; le groupe de parole m'a aidée.",
    "Comment accompagner quelqu'un qui a des idées suicidaires ?",
    "Je veux mourir de rire avec cette vidéo",
    "Je vais en finir avec ce dossier ce soir",
    "J'ai envie de vivre pleinement cette nouvelle étape",
    "Je me coupe les cheveux demain",
]


@pytest.mark.parametrize("text", DISTRESS)
def test_distress_triggers(engine: automod.Engine, text: str) -> None:
    assert "detresse" in rule_ids(engine, text), text


@pytest.mark.parametrize("text", NOT_DISTRESS)
def test_not_distress(engine: automod.Engine, text: str) -> None:
    assert "detresse" not in rule_ids(engine, text), text


def test_distress_action_is_care_only() -> None:
    assert CHARTER.rule("detresse").action == "care"
    hits = automod.Engine(CHARTER).check("je veux mourir")
    assert automod.strongest(hits) is None  # care never competes with sanctions


# -- other kinds and actions -------------------------------------------------------------------------------
def message(text: str = "bonjour", **kw) -> automod.MessageInput:
    base = {"guild_id": 1, "channel_id": 10, "author_id": 100, "content": text, "at": 1000.0}
    base.update(kw)
    return automod.MessageInput(**base)


def test_invite_links_and_allow_list(engine: automod.Engine) -> None:
    assert "liens_invitation" in rule_ids(engine, "venez sur discord.gg/abcd12")
    assert "liens_invitation" in rule_ids(engine, "https://discord.com/invite/xyz987")
    assert "liens_invitation" not in rule_ids(engine, "je suis sur discord depuis hier")


def test_mass_mentions(engine: automod.Engine) -> None:
    hits = engine.evaluate(message(mention_count=6))
    assert [h.rule.id for h in hits] == ["mentions_massives"]
    assert not engine.evaluate(message(mention_count=2))


def test_flood_counts_messages_in_window(engine: automod.Engine) -> None:
    rule = CHARTER.rule("flood")
    results = [engine.evaluate(message(f"message {i}", at=1000.0 + i * 0.5)) for i in range(rule.threshold)]
    assert not any(results[:-1])
    assert [h.rule.id for h in results[-1]] == ["flood"]
    # the same number of messages spread over time is fine
    slow = automod.Engine(CHARTER)
    assert not any(slow.evaluate(message(f"m {i}", at=1000.0 + i * 30)) for i in range(20))


def test_same_message_in_several_channels(engine: automod.Engine) -> None:
    text = "Venez voir mon super projet sur mon site"
    first = engine.evaluate(message(text, channel_id=1, at=1000))
    second = engine.evaluate(message(text, channel_id=2, at=1010))
    third = engine.evaluate(message(text, channel_id=3, at=1020))
    assert not first and not second
    assert [h.rule.id for h in third] == ["repetition"]


def test_moderators_are_exempt_except_from_care(engine: automod.Engine) -> None:
    hits = engine.evaluate(message("espèce de connard, je veux mourir", is_moderator=True))
    assert [h.rule.id for h in hits] == ["detresse"]


def test_exemptions_by_role_and_channel(engine: automod.Engine) -> None:
    exempt = automod.resolve_exemption(CHARTER, {"moderation": 5}, {"modlog": 77})
    assert not engine.evaluate(message("connard", channel_id=77), exempt=exempt)
    assert not engine.evaluate(message("connard", role_ids=frozenset({5})), exempt=exempt)
    assert engine.evaluate(message("connard", role_ids=frozenset({6})), exempt=exempt)


def test_the_authors_standing_is_worked_out_only_when_a_rule_hits(engine: automod.Engine) -> None:
    asked: list[str] = []

    def standing(is_moderator: bool) -> automod.Standing:
        asked.append("standing")
        return automod.Standing(frozenset({6}), is_moderator)

    assert not engine.evaluate(message("bonjour à toutes", standing=lambda: standing(False)))
    assert asked == [], "no rule hit: the member's roles and permissions are not looked at"
    moderator = message("connard", standing=lambda: standing(True))
    assert not engine.evaluate(moderator) and asked == ["standing"]
    assert engine.evaluate(message("connard", author_id=101, standing=lambda: standing(False)))


def test_strongest_action_wins() -> None:
    engine = automod.Engine(CHARTER)
    hits = engine.check("espèce de connard, quelle est ta pathologie ?")
    assert {h.rule.id for h in hits} == {"insultes", "questions_intrusives"}
    assert automod.strongest(hits).rule.id == "insultes"  # delete beats remind


# -- a stray quotation mark does not switch the rules off ------------------------------------------------
# Quoted speech is skipped only when the quote closes after the match: one unmatched " or « earlier
# in a message must not silence distress or intrusive-question rules for the rest of it.
STRAY_QUOTE_DISTRESS = [
    'Il a dit "bonjour. Je pense au suicide tous les soirs, je veux mourir.',
    "Il a dit « bonjour. Je veux mourir, vraiment.",
    'J\'ai lu "Le petit prince" puis "la suite. Je n\'ai plus envie de vivre.',
    "« » « Bref. Je vais me foutre en l'air ce soir.",
    "Il m'a dit \"courage.\nJe veux mourir.",
]
STRAY_QUOTE_INTRUSIVE = [
    'Salut " au fait, quelle est ta pathologie ?',
    "Bon « bref. C'est quoi ton diagnostic exactement ?",
]


@pytest.mark.parametrize("text", STRAY_QUOTE_DISTRESS)
def test_a_stray_quote_does_not_silence_distress(engine: automod.Engine, text: str) -> None:
    assert "detresse" in rule_ids(engine, text)


@pytest.mark.parametrize("text", STRAY_QUOTE_INTRUSIVE)
def test_a_stray_quote_does_not_silence_intrusive_questions(engine: automod.Engine, text: str) -> None:
    assert "questions_intrusives" in rule_ids(engine, text)


@pytest.mark.parametrize(
    "text",
    [
        'Le guide dit : ne jamais écrire "je veux mourir" sans proposer d\'aide.',
        "Elle répétait « je veux mourir » dans le film.",
        'Il a dit "bonjour" puis il est parti, et la formation disait « quelle est ta pathologie ? » à '
        "éviter.",
    ],
)
def test_closed_quotes_are_still_reported_speech(engine: automod.Engine, text: str) -> None:
    assert not rule_ids(engine, text) & {"detresse", "questions_intrusives"}
