"""config/jobs.yaml: the regions, contracts and feeds job offers may use, and ``relais check``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from bot.core import yamlfile
from bot.core.errors import UserError
from bot.core.urls import validate_http_url
from bot.core.yamlfile import Problem
from bot.jobs.text import canonical, fold


@dataclass(frozen=True, slots=True)
class RegionConfig:
    name: str
    ping_role: int | str | None = None  # role id or role name to mention for each new offer here


@dataclass(frozen=True, slots=True)
class FeedConfig:
    name: str
    url: str
    region: str
    contract: str = "autre"
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class JobsConfig:
    regions: tuple[RegionConfig, ...]
    contracts: tuple[str, ...]
    feeds: tuple[FeedConfig, ...] = ()

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)

    def region(self, name: str) -> RegionConfig | None:
        return next((r for r in self.regions if r.name == name), None)

    def canonical_region(self, text: str) -> str | None:
        return canonical(text, self.region_names)

    def canonical_contract(self, text: str) -> str | None:
        return canonical(text, self.contracts)


DEFAULT_CONFIG = JobsConfig(
    regions=tuple(
        RegionConfig(n)
        for n in (
            "Bruxelles",
            "Wallonie",
            "Flandre",
            "Auvergne-Rhône-Alpes",
            "Bourgogne-Franche-Comté",
            "Bretagne",
            "Centre-Val de Loire",
            "Corse",
            "Grand Est",
            "Hauts-de-France",
            "Île-de-France",
            "Normandie",
            "Nouvelle-Aquitaine",
            "Occitanie",
            "Pays de la Loire",
            "Provence-Alpes-Côte d'Azur",
            "Outre-mer",
            "À distance",
        )
    ),
    contracts=("CDI", "CDD", "intérim", "stage", "bénévolat", "indépendant", "autre"),
)


def _parse_config(doc: yamlfile.YamlDocument, problems: list[Problem]) -> JobsConfig:
    data = doc.data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(
            doc.problem((), "le fichier doit être une table", "écrire regions:, contracts: et feeds:")
        )
        return DEFAULT_CONFIG
    for key in data:
        if key not in ("regions", "contracts", "feeds"):
            problems.append(
                doc.problem(
                    (str(key),), f"clé inconnue «{key}»", "clés possibles : regions, contracts, feeds"
                )
            )

    regions: list[RegionConfig] = []
    raw_regions = data.get("regions")
    if not isinstance(raw_regions, list) or not raw_regions:
        problems.append(
            doc.problem(
                ("regions",),
                "la liste des régions est vide ou absente",
                "écrire au moins une région, par exemple - name: Bruxelles",
            )
        )
    else:
        for i, item in enumerate(raw_regions):
            path = ("regions", i)
            if isinstance(item, str):
                item = {"name": item}
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("name"), str)
                or not item["name"].strip()
            ):
                problems.append(doc.problem(path, "région sans nom", "écrire - name: Wallonie"))
                continue
            unknown = set(item) - {"name", "ping_role"}
            if unknown:
                problems.append(
                    doc.problem(
                        path, f"clé inconnue «{sorted(unknown)[0]}»", "clés possibles : name, ping_role"
                    )
                )
            name = item["name"].strip()
            if len(name) > 100:
                problems.append(
                    doc.problem(
                        (*path, "name"),
                        f"nom de région trop long ({len(name)} caractères)",
                        "100 caractères au plus (limite de Discord)",
                    )
                )
                continue
            if any(fold(r.name) == fold(name) for r in regions):
                problems.append(
                    doc.problem((*path, "name"), f"région «{name}» écrite deux fois", "n'en garder qu'une")
                )
                continue
            ping = item.get("ping_role")
            if ping is not None and not isinstance(ping, int | str) or isinstance(ping, bool):
                problems.append(
                    doc.problem(
                        (*path, "ping_role"),
                        "ping_role doit être un id ou un nom de rôle",
                        "écrire ping_role: 123456789012345678 ou ping_role: Offres Bruxelles",
                    )
                )
                ping = None
            regions.append(RegionConfig(name, ping or None))
        if len(regions) > 25:
            problems.append(
                doc.problem(
                    ("regions",),
                    f"{len(regions)} régions : Discord n'en propose que 25 au choix",
                    "regrouper des régions",
                )
            )
            regions = regions[:25]

    contracts: list[str] = []
    raw_contracts = data.get("contracts")
    if not isinstance(raw_contracts, list) or not raw_contracts:
        problems.append(
            doc.problem(
                ("contracts",),
                "la liste des contrats est vide ou absente",
                "écrire par exemple contracts: [CDI, CDD, stage, bénévolat, autre]",
            )
        )
    else:
        for i, item in enumerate(raw_contracts):
            if not isinstance(item, str) or not item.strip():
                problems.append(
                    doc.problem(("contracts", i), "contrat sans nom", "écrire un texte, par exemple CDD")
                )
                continue
            if any(fold(c) == fold(item) for c in contracts):
                problems.append(
                    doc.problem(("contracts", i), f"contrat «{item}» écrit deux fois", "n'en garder qu'un")
                )
                continue
            contracts.append(item.strip())
        if len(contracts) > 25:
            problems.append(
                doc.problem(("contracts",), "plus de 25 contrats", "Discord n'en propose que 25 au choix")
            )
            contracts = contracts[:25]

    config = JobsConfig(
        tuple(regions) or DEFAULT_CONFIG.regions, tuple(contracts) or DEFAULT_CONFIG.contracts
    )
    feeds: list[FeedConfig] = []
    raw_feeds = data.get("feeds")
    if raw_feeds is not None and not isinstance(raw_feeds, list):
        problems.append(
            doc.problem(("feeds",), "feeds doit être une liste", "écrire feeds: [] ou une liste de - name: …")
        )
        raw_feeds = []
    for i, item in enumerate(raw_feeds or []):
        path = ("feeds", i)
        if not isinstance(item, dict):
            problems.append(
                doc.problem(path, "flux mal écrit", "écrire - name: …, url: https://…, region: Bruxelles")
            )
            continue
        unknown = set(item) - {"name", "url", "region", "contract", "keywords"}
        if unknown:
            problems.append(
                doc.problem(
                    path,
                    f"clé inconnue «{sorted(unknown)[0]}»",
                    "clés possibles : name, url, region, contract, keywords",
                )
            )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(
                doc.problem(path, "flux sans nom", "ajouter name: (affiché comme source des offres)")
            )
            continue
        url = item.get("url")
        try:
            url = validate_http_url(url if isinstance(url, str) else "")
        except UserError:
            problems.append(
                doc.problem(
                    (*path, "url"),
                    f"adresse de flux invalide «{url}»",
                    "écrire une adresse http:// ou https:// complète",
                )
            )
            continue
        region = config.canonical_region(str(item.get("region") or ""))
        if region is None:
            problems.append(
                doc.problem(
                    (*path, "region"),
                    f"région inconnue «{item.get('region')}»",
                    "choisir une région de la liste regions",
                )
            )
            continue
        contract = config.canonical_contract(str(item.get("contract") or "autre"))
        if contract is None:
            problems.append(
                doc.problem(
                    (*path, "contract"),
                    f"contrat inconnu «{item.get('contract')}»",
                    "choisir un contrat de la liste contracts",
                )
            )
            continue
        keywords = item.get("keywords") or []
        if isinstance(keywords, str):
            keywords = [keywords]
        if not isinstance(keywords, list) or not all(isinstance(k, str) and fold(k) for k in keywords):
            problems.append(
                doc.problem(
                    (*path, "keywords"),
                    "keywords doit être une liste de mots",
                    "écrire keywords: [pair-aidant, travailleur pair]",
                )
            )
            keywords = []
        if any(f.url == url for f in feeds):
            problems.append(doc.problem((*path, "url"), "ce flux est déjà listé", "n'en garder qu'un"))
            continue
        feeds.append(FeedConfig(name.strip(), url, region, contract, tuple(k.strip() for k in keywords)))
    return dataclasses.replace(config, feeds=tuple(feeds))


def load_config(config_dir: Path) -> tuple[JobsConfig, list[Problem]]:
    doc, problems = yamlfile.load(Path(config_dir) / "jobs.yaml")
    if doc.data is None and problems:
        return DEFAULT_CONFIG, problems
    problems = list(problems)
    return _parse_config(doc, problems), problems


def check_config(config_dir: Path) -> list[Problem]:
    """For ``relais check``: every problem of config/jobs.yaml, never raising."""
    try:
        return load_config(config_dir)[1]
    except Exception as exc:  # a check must report, not crash
        return [
            Problem(
                str(Path(config_dir) / "jobs.yaml"), 1, f"lecture impossible : {exc}", "vérifier le fichier"
            )
        ]
