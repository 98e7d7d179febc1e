"""``relais charter test "…"``: which automod rules a text triggers, and why — to tune the charter safely."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.charter import automod, evaluate
from bot.charter.charter import Charter, load_charter
from bot.core import settings as settings_module
from bot.core.yamlfile import ConfigError

VIA = {
    "text": "tel quel après normalisation",
    "spelled": "lettres séparées recollées",
    "repeated": "lettres répétées réduites",
    "quoted": (
        "mot cité ou discuté (entre guillemets, après « le mot », « traité·e de »…) :"
        " signalé, jamais supprimé"
    ),
}
ACTIONS = {
    "remind": "rappel bienveillant de l'article",
    "flag": "carte dans le salon des signalements",
    "delete": "suppression + message privé citant l'article",
    "warn": "avertissement (un cas de modération)",
    "timeout": "exclusion temporaire (un cas de modération)",
    "care": "message de soin privé à l'auteur·e, rien d'autre",
}


def explain(charter: Charter, text: str) -> list[str]:
    """Lines describing what ``text`` triggers (content rules only: flood and repeats need a history)."""
    engine = automod.Engine(charter)
    hits = engine.check(text)
    lines = [f"Texte normalisé : {automod.fold(text)!r}"]
    if not hits:
        lines.append("Aucune règle déclenchée.")
        return lines
    for hit in hits:
        article = charter.article(hit.rule.article)
        where = f"article {article.number} « {article.title} »" if article else hit.rule.article
        lines.append(
            f"• règle « {hit.rule.id} » ({hit.rule.kind}) — {where}\n"
            f"    trouvé : « {hit.matched} » ({VIA.get(hit.via, hit.via)})\n"
            f"    action : {automod.effective_action(hit)} — {ACTIONS.get(automod.effective_action(hit), '')}"
        )
    chosen = automod.strongest(hits)
    if chosen is not None and len([h for h in hits if h.rule.action != "care"]) > 1:
        lines.append(f"Une seule action est appliquée : la plus forte, celle de « {chosen.rule.id} ».")
    return lines


def cmd_test(args: argparse.Namespace) -> int:
    config_dir = args.config or settings_module.default_config_dir()
    try:
        charter = load_charter(config_dir)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    if args.file is not None:
        return _test_file(charter, args.file)
    text = " ".join(args.text)
    if not text.strip():
        print(
            'Relais : donnez un texte à tester, par exemple : relais charter test "quelle est ta pathologie '
            '?"',
            file=sys.stderr,
        )
        return 2
    for line in explain(charter, text):
        print(line)
    return 0


def _test_file(charter: Charter, path: Path) -> int:
    """Precision, recall and false alarms of each rule kind on a labelled file, then what went wrong."""
    try:
        samples, problems = evaluate.load([path])
    except OSError as exc:
        print(f"Relais : impossible de lire {path} ({exc.strerror}). Vérifiez le chemin.", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"Relais : {path} n'est pas un texte UTF-8. Enregistrez-le en UTF-8.", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem, file=sys.stderr)
    if not samples:
        print(
            "Relais : aucune ligne « étiquette<TAB>texte » dans ce fichier "
            "(étiquettes : distress, intrusive, insult, none).",
            file=sys.stderr,
        )
        return 2
    report = evaluate.evaluate(charter, samples)
    for line in evaluate.summary_lines(report):
        print(line)
    print("Lignes mal classées (et la règle qui a réagi, avec ce qu'elle a trouvé) :")
    for line in evaluate.detail_lines(report) or ["  aucune"]:
        print(line)
    return 1 if problems else 0


def register(sub: argparse._SubParsersAction) -> None:
    charter = sub.add_parser("charter", help="la charte : tester les règles de modération automatique")
    charter_sub = charter.add_subparsers(dest="charter_command", required=True)
    test = charter_sub.add_parser("test", help="quelles règles un texte déclenche, et pourquoi")
    test.add_argument("text", nargs="*", help="le texte à tester (entre guillemets)")
    test.add_argument(
        "--file",
        type=Path,
        default=None,
        metavar="FICHIER",
        help="un fichier étiqueté (une ligne « étiquette<TAB>texte ») : précision, rappel et erreurs",
    )
    test.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="DIR",
        help="dossier de configuration (défaut : ./config)",
    )
    test.set_defaults(func=cmd_test)
