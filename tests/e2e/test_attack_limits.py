"""Every text a person can type, at its maximum length, through every command and every form the
bot opens: the bot answers, and Discord never refuses one of its requests (the double checks
Discord's limits: 2,000 characters of content, 6,000 per message's embeds, 256/4,096/1,024 for
titles, descriptions and fields, 25 fields, 5 rows…)."""

from __future__ import annotations

import json

from tests.e2e.test_intervisions import plan
from tests.e2e.test_jobs import future_date
from tests.helpers import REPO

DISCORD_STRING_MAX = 6000
# Every length rule met, in the characters that cost the most: accents, emoji, Markdown, new lines.
FILLER = "É🙂*_`>\n"


def text_of(length: int) -> str:
    return (FILLER * (length // len(FILLER) + 1))[:length]


def leaf_commands() -> list[tuple[str, list[dict]]]:
    tree = json.loads((REPO / "tests" / "data" / "command_tree.json").read_text(encoding="utf-8"))
    found: list[tuple[str, list[dict]]] = []

    def walk(command: dict, prefix: str) -> None:
        name = f"{prefix} {command['name']}".strip()
        groups = [o for o in command.get("options", []) if o.get("type") in (1, 2)]
        if groups:
            for group in groups:
                walk(group, name)
        else:
            found.append((name, command.get("options", [])))

    for command in tree:
        if command.get("type", 1) == 1:
            walk(command, "")
    return found


def options_at_max(options: list[dict], values: dict[str, object]) -> dict[str, object]:
    chosen: dict[str, object] = {}
    for option in options:
        name, kind = option["name"], option["type"]
        choices = [c["value"] for c in option.get("choices") or []]
        if name in values and (not choices or values[name] in choices):
            chosen[name] = values[name]
        elif choices:
            chosen[name] = choices[0]
        elif kind == 3 and not option.get("autocomplete"):
            chosen[name] = text_of(option.get("max_length", DISCORD_STRING_MAX))
        elif kind == 4:
            chosen[name] = 1
        elif kind == 5:
            chosen[name] = True
        elif kind == 6:
            chosen[name] = "lea"
        elif kind == 7:
            chosen[name] = "mod-log"
        elif kind == 8:
            chosen[name] = "membre"
    return chosen


# Values a command needs to get past its first check, so the long texts reach the rendering.
MEANINGFUL = {
    "date": "2099-06-10 14:00",
    "dates": "10/06/2099, 17/06/2099 de 14h à 16h",
    "fin": "16h",
    "url": "https://example.org/" + "a" * 150,
    "lien": "https://example.org/offre",
    "date_limite": future_date(),
    "region": "Bruxelles",
    "contrat": "CDD",
    "duree": "1h",
    "periode": "1 sem",
    "places": 3,
    "article": "bienveillance",
    "fuseau": "Europe/Brussels",
    "usage": "modlog",
    "regions": "Bruxelles",
    "contrats": "CDD",
    "rythme": "immediat",
    "debut": "2099-06-01 09:00",
    "requete": "guide",
    "langue": "fr",
}


def _sizes(body) -> str:
    """What was too long, to say which limit the bot broke."""
    if not isinstance(body, dict):
        return ""
    parts = [f"content {len(body.get('content') or '')}"]
    for embed in body.get("embeds") or []:
        fields = embed.get("fields") or []
        parts.append(
            f"embed title {len(embed.get('title') or '')} description {len(embed.get('description') or '')}"
            f" fields {len(fields)}"
            f" longest value {max((len(f.get('value') or '') for f in fields), default=0)}"
            f" total {sum(len(str(v)) for v in (embed.get('title'), embed.get('description')) if v)}"
        )
    return ", ".join(parts)


def _errors(driver, since: int) -> list[str]:
    return [
        f"{r.method} {r.path} → {r.status}: {_sizes(r.json)}"
        for r in driver.requests[since:]
        if r.status >= 400 and r.status not in (403, 404)
    ]  # refusals Discord gives for closed DMs and deleted messages


async def test_every_command_and_form_at_maximum_length_gets_an_answer_and_no_api_error(sandbox):
    driver = sandbox.driver
    await plan(sandbox, titre=text_of(100), date="2099-06-03 14:00", lieu=text_of(200))
    await (
        await driver.slash(
            "ines",
            "ressource partager",
            url="https://example.org/r",
            titre=text_of(200),
            description=text_of(1000),
        )
    ).wait()
    problems: list[str] = []
    for name, options in leaf_commands():
        if name in {"mes-donnees supprimer", "mod bannir", "mod expulser"}:
            continue  # would end the sandbox's members; their texts are covered by mod avertir
        values = dict(MEANINGFUL)
        if name == "permanence planifier":
            values["moderateurs"] = f"<@{driver.user_id('sami')}>"
        since = len(driver.requests)
        result = await (await driver.slash("camille", name, **options_at_max(options, values))).wait_done(
            timeout=15
        )
        if result.modal is not None:
            fields = {}
            for row in result.modal.get("components", []):
                for item in row.get("components", []) or [row.get("component") or {}]:
                    if item.get("type") == 4:
                        fields[item["custom_id"]] = text_of(item.get("max_length") or 4000)
            result = await (await driver.submit_modal("camille", result, fields)).wait_done(timeout=15)
        if not (result.callbacks or result.followups):
            problems.append(f"/{name}: no answer")
        problems += [f"/{name}: {error}" for error in _errors(driver, since)]
    assert not problems, "\n".join(problems)
