"""Automatic moderation: a text normaliser that resists evasion, and one engine for every rule kind.

Discord-free. The cog turns a message into a ``MessageInput`` and acts on the ``Hit``s returned.

How a message is checked, fast (see ``bench/automod.py``):

1. ``fold``: NFKD, casefold, accents dropped, look-alike letters of other scripts (Cyrillic,
   Greek) mapped to Latin, zero-width and soft-hyphen characters removed, typographic quotes
   and dashes turned into plain ones. The result is ASCII; letters of other scripts become
   ``\\x1a`` so that they still count as letters for word boundaries (``é`` is a letter in
   French: ``café`` must not match a keyword ``caf``).
2. ``skeleton``: the folded text with leetspeak undone (``c0nn4rd`` → ``connard``).
3. One Aho-Corasick automaton scans the skeleton for every keyword (kept only at word
   boundaries), for each keyword's form with repeated letters collapsed, and for the literal
   "triggers" of the regex-based rules. A regex rule runs only when one of its triggers is
   present, so most messages never reach the regex engine.
4. Rare paths: letters repeated three times or more (``connnnard``) or spelled one by one
   (``c o n n a r d``, ``c.o.n.n.a.r.d``) rebuild the skeleton and scan again.

Regex, intrusive-question and distress patterns match the *folded* text: lower case, no
accents, apostrophes as ``'``. Their French defaults are below and are tested on sentences that
must and must not trigger.
"""

from __future__ import annotations

import codecs
import re
import time
import unicodedata
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from re import _parser as sre_parse  # the stdlib parser, used only to find literal prefixes

import ahocorasick

from bot.charter.model import Charter, Rule
from bot.core.yamlfile import Problem, YamlDocument

# -- normalisation ------------------------------------------------------------------------------------
OTHER_LETTER = "\x1a"
_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789" + OTHER_LETTER)

# Characters with a fixed ASCII form; anything else outside ASCII is decided by _fold_one (NFKD, then
# letters of other scripts become OTHER_LETTER, marks vanish, symbols and emoji become spaces).
_SPECIAL: dict[str, str] = {
    "œ": "oe",
    "æ": "ae",
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ı": "i",
    "ŀ": "l",
    "’": "'",
    "‘": "'",
    "ʼ": "'",
    "´": "'",
    "`": "'",
    "ˈ": "'",
    "′": "'",
    "«": '"',
    "»": '"',
    "“": '"',
    "”": '"',
    "„": '"',
    "‹": '"',
    "›": '"',
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "−": "-",
    "…": "...",
    "·": ".",
    "•": " ",
    "×": "x",
    "ß": "ss",
    # invisible characters used to split a word without showing it
    "\u00ad": "",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
    "\u180e": "",
    "\u034f": "",
}
# Look-alike letters from other scripts (after casefold, so lower case only).
_HOMOGLYPHS = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "ѕ": "s",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "ԁ": "d",
    "һ": "h",
    "ԛ": "q",
    "ԝ": "w",
    "ո": "n",
    "г": "r",
    "п": "n",
    "л": "n",
    "и": "u",
    "ь": "b",
    # Greek
    "α": "a",
    "β": "b",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    "μ": "u",
    "σ": "o",
    "ς": "c",
    "γ": "y",
    "δ": "d",
    # Latin look-alikes without a decomposition
    "ɑ": "a",
    "ɡ": "g",
    "ɩ": "i",
    "ʀ": "r",
    "ꞵ": "b",
    "ꜱ": "s",
    "ᴄ": "c",
    "ᴏ": "o",
    "ᴜ": "u",
    "ᴠ": "v",
    "ᴡ": "w",
    "ᴢ": "z",
    "ɴ": "n",
    "ʏ": "y",
    "ʜ": "h",
    "ᴋ": "k",
    "ᴍ": "m",
    "ᴛ": "t",
    "ᴀ": "a",
    "ᴇ": "e",
}
_FOLD_TABLE = {**_SPECIAL, **_HOMOGLYPHS}
# Leetspeak undone; apostrophes and hyphens become spaces so "va t'faire" and "fils-de-pute" meet their
# keywords.
_LEET = bytes.maketrans(b"013457@$'-", b"oieastas  ")
# Letter-by-letter spelling: three single letters split by separators.
_SEPARATORS = b" .-_*,/|+~:;'\""
_SHAPE = bytes(
    ord("a")
    if chr(i) in "abcdefghijklmnopqrstuvwxyz0123456789" + OTHER_LETTER
    else ord(" ")
    if bytes([i]) in _SEPARATORS or i < 128 and not chr(i).isalnum()
    else ord("#")
    for i in range(256)
)
_SPELLED = re.compile(r"(?<![a-z0-9\x1a])(?:[a-z0-9\x1a][ .\-_*,/|+~:;'\"]+){2,}[a-z0-9\x1a](?![a-z0-9\x1a])")
_SPELLED_SEPARATORS = re.compile(r"[ .\-_*,/|+~:;'\"]+")
_REPEATS = re.compile(r"(.)\1+")
_TRIPLES = tuple(c * 3 for c in "abcdefghijklmnopqrstuvwxyz")
_DIGIT_MARK = bytes(ord("1") if 48 <= i <= 57 else 0 for i in range(256))


def _fold_one(ch: str) -> str:
    """The ASCII form of one character that is not Latin-1 (or is a Latin-1 oddity)."""
    mapped = _FOLD_TABLE.get(ch)
    if mapped is None:
        mapped = _FOLD_TABLE.get(ch.lower())
    if mapped is not None:
        return mapped
    decomposed = unicodedata.normalize("NFKD", ch)
    if decomposed != ch:  # fullwidth, styled maths letters, decomposable accents…
        out = "".join(_fold_one(c) if not c.isascii() else c.lower() for c in decomposed)
        return out
    category = unicodedata.category(ch)
    if category[0] == "L" or category == "Nd":
        return OTHER_LETTER
    if category in ("Mn", "Me", "Cf"):
        return ""  # marks and invisible format characters
    return " "  # emoji, symbols, other punctuation: a separator


def _fold_error(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: called only for runs of characters outside Latin-1 (’, œ, emoji, Cyrillic…)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    run = error.object[error.start : error.end]
    folded = _RUN_CACHE.get(run)
    if folded is None:
        folded = "".join(_fold_one(ch) for ch in run)
        if len(_RUN_CACHE) < 4096:  # the same few runs (’, œ, 🙂…) come back all day
            _RUN_CACHE[run] = folded
    return folded, error.end


_RUN_CACHE: dict[str, str] = {}


codecs.register_error("relais-fold", _fold_error)


def _latin1_table() -> tuple[bytes, bytes]:
    """One byte → one lower-case ASCII byte for all of Latin-1 (``É`` → ``e``, ``«`` → ``"``)."""
    table = bytearray(range(256))
    delete = bytearray()
    for i in range(256):
        ch = chr(i)
        if i < 128:
            table[i] = ord(ch.lower())
            continue
        mapped = _fold_one(ch)
        if mapped == "":
            delete.append(i)
        elif len(mapped) == 1 and mapped.isascii():
            table[i] = ord(mapped)
        elif mapped.isascii() and mapped[0].isalpha():
            table[i] = ord(mapped[0])  # æ → a, ß → s: rare in French, and one byte keeps this a table
        else:
            table[i] = ord(" ")
    return bytes(table), bytes(delete)


_LATIN1, _LATIN1_DELETE = _latin1_table()


def fold(text: str) -> str:
    """Lower case, no accents, ASCII; look-alikes mapped, invisible characters removed."""
    return _fold_bytes(text).decode("ascii")


def _fold_bytes(text: str) -> bytes:
    # Latin-1 covers most French text: one C-speed encode and one byte table do everything. Other
    # characters (’, œ, emoji, look-alikes, zero-width) reach _fold_error, run by run.
    return text.encode("latin-1", "relais-fold").translate(_LATIN1, _LATIN1_DELETE)


def skeleton(folded: str) -> str:
    """The folded text with leetspeak undone: what keywords are matched against."""
    return folded.encode("ascii").translate(_LEET).decode("ascii")


def collapse_repeats(text: str) -> str:
    """``connnnard`` → ``conard`` (applied to keywords too, so both sides meet)."""
    return _REPEATS.sub(r"\1", text)


def join_spelled(text: str) -> str:
    """``c o n n a r d`` → ``connard``: runs of single letters split by separators are glued."""
    return _SPELLED.sub(lambda m: _SPELLED_SEPARATORS.sub("", m.group(0)), text)


def normalise_keyword(keyword: str) -> str:
    return " ".join(skeleton(fold(keyword)).split())


def lower_pattern(pattern: str) -> str:
    """Letters of a regex in lower case, escapes kept (``\\S`` stays ``\\S``): texts are folded to lower
    case, and a case-sensitive regex is much faster than an IGNORECASE one."""
    out = []
    escaped = False
    for ch in pattern:
        out.append(ch if escaped else ch.lower())
        escaped = not escaped and ch == "\\"
    return "".join(out)


def fold_pattern(pattern: str) -> str:
    """Accents removed from a regex written by a person (``médicament`` → ``medicament``), case kept:
    ``\\B`` and ``\\b`` must stay distinct."""
    if pattern.isascii():
        return pattern
    text = unicodedata.normalize("NFKD", pattern)
    text = "".join(_FOLD_TABLE.get(ch, ch) for ch in text)
    return text.encode("ascii", "ignore").decode("ascii")


# -- the French defaults ------------------------------------------------------------------------------
# Each default is (trigger words, pattern). A pattern runs only if one trigger is in the text, as a
# whole word, or as the start of a word when the trigger ends with "*".
_YOU = r"(?:tu|t'|vous|toi)"
_YOUR = r"(?:ton|ta|tes|votre|vos)"
_BE_YOU = r"(?:tu es|t'es|t es|es-tu|es tu|vous etes|etes-vous|etes vous|tu serais|vous seriez)"
_CONDITION = (
    r"(?:diagnostic|diagnostique|pathologie|maladie|trouble|troubles|traitement|traitements|medicaments?"
    r"|medocs?|cachets?|neuroleptiques?|antidepresseurs?|psychotropes?|handicap|diagnostics)"
)
_LABELS = (
    r"(?:bipolaire|schizo|schizophrene|borderline|psychotique|paranoiaque|toxico|alcoolique|autiste|tdah"
    r"|depressif|depressive|tox)"
)

# Words one of which must also be present for a default pattern to run (cheap gate, same scan).
YOU_WORDS = ("tu", "t", "vous", "toi", "ton", "ta", "tes", "votre", "vos", "as", "es", "etes", "avez")
I_WORDS = (
    "je",
    "j",
    "jai",
    "me",
    "moi",
    "ma",
    "mes",
    "mon",
    "m",
    "jveux",
    "jveu",
    "jvais",
    "jpense",
    "jen",
    "g",
    "jsuis",
    "chui",
    "chuis",
    "jme",
)
_TAKE = r"(?:tu prends|vous prenez|prends-tu|prenez-vous|tu prenais|vous preniez)"
_HAVE = r"(?:tu as|t'as|t as|as-tu|as tu|vous avez|avez-vous|avez vous)"
_MEDS = (
    r"(?:traitements?|medicaments?|medocs?|cachets?|neuroleptiques?|antidepresseurs?|psychotropes?"
    r"|anxiolytiques?|somniferes?|regulateurs?|pilules?)"
)
_DRUGS = r"(?:drogues?|produits?|came|coke|cocaine|heroine|crack|meth|substances?)"
# Each default: (trigger words, pattern) or (trigger words, pattern, False) when no gate word is needed.
INTRUSIVE_DEFAULTS: tuple[tuple, ...] = (
    # "Quelle est ta pathologie ?", "c'est quoi votre diagnostic ?"
    (
        (
            "diagnost*",
            "patholog*",
            "maladie*",
            "trouble",
            "troubles",
            "traitement*",
            "medica*",
            "medoc*",
            "cachet*",
            "neurolept*",
            "antidepress*",
            "psychotrop*",
            "handicap*",
            "drogue*",
            "addiction*",
        ),
        rf"\b(?:quel|quelle|quels|quelles|c'est quoi|c est quoi|cest quoi|c'etait "
        rf"quoi)\s+(?:est|sont|etait|etaient)?\s*{_YOUR}\s+(?:{_CONDITION}|{_DRUGS}|addictions?)\b(?!\s+prefere)",
    ),
    # "Tu as quoi comme maladie ?", "vous avez quel diagnostic ?", "t'as quel trouble ?"
    (
        (
            "diagnost*",
            "patholog*",
            "maladie*",
            "trouble",
            "troubles",
            "traitement*",
            "medica*",
            "medoc*",
            "cachet*",
            "handicap*",
            "drogue*",
        ),
        rf"\b(?:{_HAVE}|{_TAKE})\s+(?:quoi|quel|quelle|quels|quelles)\s+(?:comme\s+)?(?:{_CONDITION}|{_DRUGS})\b",
    ),
    # "Tu prends quoi ?", "vous prenez encore votre traitement ?", "tu es sous traitement ?",
    # "quels médocs tu prends ?"
    (
        (
            "traitement*",
            "medica*",
            "medoc*",
            "cachet*",
            "neurolept*",
            "antidepress*",
            "sous quoi",
            "prends quoi",
            "prenez quoi",
            "anxiolyt*",
            "somnifere*",
            "drogue*",
        ),
        rf"\b{_TAKE}\s+(?:toujours\s+|encore\s+)?(?:quoi(?=\s*(?:\?|$))|{_YOUR}\s+{_MEDS}|(?:des|du|de "
        rf"la|un|une)\s+(?:{_MEDS}|{_DRUGS}))"
        rf"|\b{_BE_YOU}\s+(?:toujours\s+|encore\s+)?sous\s+(?:quoi|{_MEDS})\b"
        rf"|\bquel(?:le)?s?\s+{_MEDS}\s+(?:tu prends|vous prenez|tu as|vous "
        rf"avez|t'as|prends-tu|prenez-vous)\b"
        rf"|\b{_HAVE}\s+arrete\s+{_YOUR}\s+{_MEDS}",
    ),
    # "Tu es vraiment rétabli ?", "vous êtes complètement rétablie ?", "t'es rétabli ?"
    (
        ("retabli", "retablie", "retablis", "retablies", "gueri", "guerie", "gueris", "gueries"),
        rf"\b{_BE_YOU}\s+(?:(?:vraiment|completement|totalement|bien|definitivement|reellement|a 100 "
        rf"?%|sur(?:e)? d'etre)\s+)+(?:retabli|gueri)e?s?\b"
        rf"|\b{_BE_YOU}\s+(?:retabli|gueri)e?s?\s*(?:\?|ou pas|pour de vrai|pour de "
        rf"bon|maintenant|aujourd'hui|depuis)",
    ),
    # "Tu es sûr de ne pas rechuter ?", "tu vas rechuter", "et si vous rechutez ?", "tu as déjà rechuté ?"
    (
        ("rechut*", "replong*"),
        r"\b(?:sur|sure|surs|sures|certain|certaine)\s+de\s+(?:ne\s+)?(?:pas|plus|jamais)\s+(?:re)?(?:chuter|replonger)\b"
        r"|\b(?:tu vas|vous allez|tu risques|vous risquez|tu ne risques|vous ne risquez|tu vas pas|tu ne "
        r"vas pas|vous n'allez pas|tu n'as pas peur|vous n'avez pas peur|t'as pas "
        r"peur)\s+(?:pas\s+)?(?:de\s+)?(?:re)?(?:chuter|replonger)\b"
        r"|\bet si (?:tu|vous) (?:rechutes|rechutez|replonges|replongez)\b"
        rf"|\b{_HAVE}\s+(?:deja\s+|encore\s+)?(?:rechute|replonge)\b",
    ),
    # "Tu es bipolaire ?", "t'es schizo ou quoi ?"
    (
        (
            "bipolaire",
            "schizo*",
            "borderline",
            "psychotique",
            "paranoiaque",
            "toxico",
            "alcoolique",
            "autiste",
            "tdah",
            "depressi*",
            "tox",
        ),
        rf"\b{_BE_YOU}\s+(?:un |une )?{_LABELS}\b\s*(?:\?|ou quoi|ou pas|non\s*\?|c'est ca)",
    ),
    # "De quoi tu souffres ?", "tu es malade de quoi ?", "on t'a diagnostiqué quoi ?"
    (
        ("souffre*", "malade", "diagnostique*", "maladie", "trouble", "pathologie"),
        rf"\b(?:de quoi|tu souffres de quoi|vous souffrez de "
        rf"quoi)\s*(?:{_YOU}\s+)?(?:souffres|souffrez|souffre)?\b.{{0,3}}(?:\?|$)"
        rf"|\b(?:tu souffres|vous souffrez|{_BE_YOU} malade)s? de quoi\b|\bde quoi {_BE_YOU} malades?\b"
        rf"|\b{_HAVE}\s+(?:une|un)\s+(?:maladie|trouble|pathologie|handicap)(?:\s+psy\w*|\s+mentale?)?\s*\?"
        rf"|\b(?:{_HAVE} ete|on t'a|on vous a|{_BE_YOU})\s+diagnostiquee?s?\s+(?:de\s+)?quoi\b",
    ),
    # "Tu as été interné pour quoi ?", "tu as déjà été hospitalisée ?", "tu es déjà passé en HP ?"
    (
        ("hospitalis*", "intern*", "hp", "psychiatrie"),
        rf"\b(?:tu as ete|t'as ete|vous avez ete|tu etais|vous "
        rf"etiez)\s+(?:hospitalise|interne)e?s?\s+(?:pour quoi|pourquoi|ou|combien)"
        rf"|\bpourquoi\s+(?:tu as ete|t'as ete|vous avez ete)\s+(?:hospitalise|interne)e?s?\b"
        rf"|\b{_HAVE}\s+(?:deja\s+)?ete\s+(?:hospitalise|interne)e?s?\b"
        rf"|\b{_HAVE}\s+(?:fait\s+)?combien\s+d'(?:hospitalisations|internements)"
        rf"|\b{_BE_YOU}\s+(?:deja\s+)?passee?s?\s+(?:en|par l')\s*(?:hp|psychiatrie)\b"
        rf"|\b{_HAVE}\s+(?:deja\s+)?fait\s+(?:de l'\s*|de la |un sejour en )?(?:hp|psychiatrie)\b",
    ),
    # Consumption: "tu consommes encore ?", "t'étais accro à quoi ?", "t'es sobre depuis combien de temps ?"
    (
        (
            "consomm*",
            "bois",
            "buvez",
            "alcool",
            "cannabis",
            "drogue*",
            "drogues",
            "fumes",
            "fumez",
            "accro",
            "dependant*",
            "addict*",
            "sobre",
            "abstinent*",
            "clean",
        ),
        r"\b(?:tu|vous) (?:consommes|consommez|bois|buvez|te drogues|vous droguez) "
        r"(?:encore|toujours)(?=\s*(?:\?|$))"
        r"|\b(?:tu|vous) (?:te drogues|vous droguez)\b"
        r"|\b(?:tu|vous) (?:fumes|fumez) (?:encore|toujours) (?:des joints|du cannabis|de l'herbe|du shit)"
        rf"|\b(?:tu|vous) (?:consommes|consommez|consommais|consommiez) (?:encore |toujours "
        rf")?quoi(?=\s*(?:\?|$|avant|comme {_DRUGS}))"
        r"|\b(?:tu|vous) (?:bois|buvez|consommes|consommez|prends|prenez) (?:encore |toujours )?(?:de "
        r"l'alcool|de la drogue|des drogues|du cannabis)"
        rf"|\b{_TAKE} (?:encore |toujours )?(?:quoi comme|de la|des) {_DRUGS}\b"
        r"|\b(?:t'etais|tu etais|vous etiez|t'es|tu es|vous etes) (?:accro|dependante?s?|addicte?s?) a quoi\b"
        rf"|\b{_BE_YOU} (?:sobre|abstinente?s?|clean) depuis (?:combien|quand)\b",
    ),
    # "Tu as déjà fait une TS ?", "tu entends des voix ?", "tu vois toujours ton psychiatre ?"
    (
        ("tentative*", "ts", "suicider", "voix", "psy", "psychiatre", "psychologue", "suivi*"),
        rf"\b{_HAVE}\s+(?:deja\s+)?(?:fait (?:une|des) (?:tentatives?|ts)\b|essaye de (?:te|vous) "
        rf"(?:suicider|tuer))"
        r"|\b(?:tu entends|t'entends|vous entendez) (?:encore |toujours )?des voix\b"
        r"|\b(?:tu vois|vous voyez|tu consultes|vous consultez) (?:toujours |encore "
        r")?(?:un|une|ton|ta|votre) (?:psy|psychiatre|psychologue)\b(?=\s*(?:\?\s*$|$))"
        r"|\b(?:tu vois|vous voyez|tu consultes|vous consultez) (?:toujours |encore "
        r")(?:un|une|ton|ta|votre) (?:psy|psychiatre|psychologue)\b"
        rf"|\b{_BE_YOU}\s+(?:toujours\s+|encore\s+)?suivie?s?\s+(?:par (?:un|une|ton|ta) "
        rf"(?:psy|psychiatre)|en (?:cmp|psychiatrie|hp))\b",
    ),
    # "Tu as un handicap ?", "t'as quel handicap ?", "tu as une RQTH pour quoi ?"
    (
        ("handicap", "rqth"),
        rf"\b{_HAVE}\s+(?:un|une|quel|quelle)\s+(?:handicap|rqth)\b"
        rf"(?:\s*\?|\s+pour\s+(?:quoi|quel|quelle)|\s+au "
        rf"juste)",
    ),
)
# Reported speech and talk *about* such questions: the whole message is read, not only the match
# ("on m'a demandé : quelle est votre pathologie ?", "vous n'avez pas à dire si vous êtes sous traitement").
INTRUSIVE_VETO = (
    r"\b(?:on|il|elle|ils|elles|qui|quelqu'un|ma \w+|mon \w+|le \w+|la "
    r"\w+)?\s*(?:m'a|m'ont|m'avait|me|nous a|nous|t'a|te)"
    r"\s+(?:\w+\s+)?(?:demande|demandait|demandaient|demandent|pose|posait|posent|dit|disait)\b"
    r"|\bon (?:me|nous|te|vous) (?:demande|pose)\b|\b(?:ne|n') ?(?:jamais|pas) (?:demander|poser)\b"
    r"|\b(?:n'avez|n'as|n'a) pas a\b|\bpas (?:oblige|obligee|obliges|besoin de repondre)\b|\bvoulait savoir\b"
)

# Self-harm or suicidal talk, first person, present or future. Past tenses ("j'ai voulu mourir",
# "j'avais des idées noires") and talk about others, trainings or films do not match.
_I_WANT = (
    r"(?:je veux|je voudrais|je vais|je pense (?:(?:serieusement|souvent|beaucoup|de plus en "
    r"plus|encore|vraiment)\s+)*a"
    r"|j'aimerais|je prefererais|je compte|je crois que je vais|je vais me laisser|j'ai recommence a"
    r"|(?:j'ai|j ai|jai) (?:juste |tellement |vraiment |tres )?envie d(?:e\b|')|j'ai decide d(?:e\b|')"
    r"|je n'ai plus qu'a|je n'attends que d(?:e\b|'))"
)
_DIE = (
    r"(?:mourir(?!\s+(?:de\s+|d')"
    r"(?:rire|honte|faim|froid|chaud|ennui|peur|envie|vieillesse|plaisir|bonheur|fatigue))|me "
    r"tuer|me suicider"
    r"|en finir(?!\s+avec\s+(?!(?:tout|la vie|ma vie|cette vie|moi|tout ca)\b))"
    r"|me foutre en l'air|me faire du mal(?!\s+(?:aux?|a)\s)|me scarifier|me mutiler|me noyer|me pendre"
    r"|me jeter (?:sous|du haut|par la fenetre|du pont|d'un pont|dans le vide)"
    r"|sauter(?=\s*(?:$|[.!,;])|\s+(?:du|d'un|de la|par la|dans le vide|du haut))"
    r"|crever(?!\s+(?:l'abces|un pneu|de (?:faim|chaud|froid|rire)))"
    r"|disparaitre(?=\s*(?:$|[.!,;]|pour toujours|a jamais|definitivement|pour de bon|de ce monde))"
    r"|(?:ne )?plus me reveiller|ne (?:jamais|pas) me reveiller(?!\s+a\s+\d)|m'endormir (?:pour "
    r"toujours|a jamais|et ne (?:plus|jamais|pas) me reveiller)"
    r"|ne plus exister|partir pour (?:de bon|toujours)|m'ouvrir les veines|me tirer une balle|me flinguer"
    r"|me defenestrer|me taillader|me couper(?!\s+(?:du monde|les cheveux|les "
    r"ongles|une?|des|de|du)\b)|mettre fin a (?:mes jours|ma vie|tout ca|tout|mes souffrances)"
    r"|passer a l'acte(?!\s*:)|prendre tous mes (?:medicaments|medocs|cachets))"
)
DISTRESS_DEFAULTS: tuple[tuple, ...] = (
    (
        (
            "mourir",
            "mourrir",
            "me tuer",
            "me suicider",
            "en finir",
            "den finir",
            "me foutre",
            "me faire du mal",
            "me scarifier",
            "me mutiler",
            "me jeter",
            "me pendre",
            "me noyer",
            "disparaitre",
            "me reveiller",
            "plus exister",
            "pour de bon",
            "sauter",
            "crever",
            "mettre fin",
            "l'acte",
            "m'endormir",
            "tous mes",
            "pour toujours",
            "veines",
            "balle",
            "me flinguer",
            "me defenestrer",
            "me taillader",
            "me couper",
        ),
        rf"\b{_I_WANT}\s*(?:vraiment\s+|juste\s+|bientot\s+)?{_DIE}",
    ),
    (
        ("vivre", "cette vie", "aucun sens", "sers plus", "vaux plus", "je vive"),
        r"\b(?:je (?:ne )?veux plus vivre|je n'ai plus (?:envie|la force|aucune raison) de vivre|j'ai "
        r"plus (?:envie|la force|aucune raison) de vivre"
        r"|plus (?:aucune )?envie de vivre|je n'en peux plus de vivre|j'en peux plus de (?:vivre|cette vie)"
        r"|(?:marre|assez) de vivre|plus (?:de|aucune) raisons? de vivre|arreter de vivre|meme plus "
        r"(?:envie )?de vivre"
        r"|ma vie n'a (?:plus )?aucun sens|je ne (?:sers|vaux) plus (?:a )?rien|ca ne sert a rien que je "
        r"vive)",
    ),
    (
        (
            "suicidaire",
            "suicidaires",
            "idees noires",
            "idees suicidaires",
            "idees de suicide",
            "me suicider",
            "suicide",
            "la mort",
        ),
        r"\b(?:je suis|je me sens|je deviens|je redeviens|j'ai|j ai|jai)\s+(?:tres\s+|trop\s+|de "
        r"nouveau\s+|encore\s+|vraiment\s+)?"
        r"(?:suicidaire|des idees (?:noires|suicidaires|de suicide)(?!\s+sur\b)|envie de me suicider|des "
        r"pensees suicidaires)"
        r"|\bje (?:pense|songe)\s+(?:(?:serieusement|souvent|beaucoup|de plus en plus|tout le "
        r"temps|encore|vraiment|trop)\s+)*au suicide"
        r"|\bl'idee (?:du suicide|de mourir|d'en finir) ne me (?:lache|quitte) plus"
        r"|\bje suis en (?:pleine )?crise suicidaire"
        r"|\bje pense (?:sans arret |tout le temps )?a la mort(?=\s*(?:$|[.!,;]|tout le temps|sans arret))",
    ),
    (
        (
            "sans moi",
            "poids",
            "fardeau",
            "adieu",
            "dernier message",
            "derniere fois",
            "pour de bon",
            "mort",
            "morte",
            "etre la",
            "serai plus",
            "apres moi",
            "plus besoin",
            "reverrez",
            "regrettera",
            "remarquera",
        ),
        r"\b(?:(?:tout le monde|ils|elles|ma famille|mes proches|vous) (?:serai(?:en)?t|serez) mieux sans moi"
        r"|je (?:suis|ne suis qu') ?un (?:poids|fardeau) pour (?:tout le monde|tous|les autres|ma "
        r"famille|mes proches)"
        r"|(?:j'ecris|je prepare|j'ai ecrit|j'ai prepare) (?:ma|une) lettre d'adieu"
        r"|je vous dis adieu"
        r"|c'est mon dernier message(?=\s*(?:$|[.!,;]|ici))|c'est la derniere fois que je vous "
        r"(?:ecris|parle)(?=\s*(?:$|[.!,;]))"
        r"|avant de partir pour (?:de bon|toujours)"
        r"|je (?:prefererais|voudrais|aimerais) etre morte?\b|je serais mieux morte?\b"
        r"|(?:je (?:ne )?veux plus|envie de ne plus|je voudrais ne plus|j'aimerais ne plus) etre "
        r"la(?![\w-])(?!\s+quand)"
        r"|quand je ne serai plus la\b|je ne serai plus la(?=\s*(?:$|[.!,;]|demain|bientot|pour "
        r"(?:vous|toi|personne)))"
        r"|vous ne me (?:reverrez|reverrez) plus|personne ne me regrettera|personne ne "
        r"(?:remarquera|verra) (?:mon absence|si je)"
        r"|je n'en aurai plus besoin|apres moi(?=\s*(?:$|[.!,;])))",
    ),
    (
        ("scarifie*", "mutile*", "me coupe", "coupe", "coupee", "me fais", "fait du mal", "brule"),
        r"\bje me (?:scarifie|mutile)\b"
        r"|\bje me coupe(?=\s*(?:$|[.!,;]|les "
        r"(?:bras|poignets|cuisses|jambes)|encore|quand|depuis|tous|souvent))"
        r"|\bje me fais (?:encore |de nouveau )?du mal(?!\s+a\s)"
        r"|\bje me brule (?:avec|a la cigarette|les bras)"
        r"|\bje me suis (?:encore |de nouveau )?(?:scarifie|mutile|coupe|fait du mal|brule)e?"
        r"(?=\s*(?:$|[.!,;]|hier|ce matin|cette nuit|aujourd'hui|ce soir|encore|les "
        r"(?:bras|poignets|cuisses)))",
    ),
    # Plans and means: "j'ai tout préparé", "j'ai avalé toutes mes pilules", "j'ai acheté une corde"
    (
        (
            "prepare",
            "prevu",
            "pilules",
            "cachets",
            "medicaments",
            "medocs",
            "comprimes",
            "boite",
            "plaquette",
            "corde",
            "couteau",
            "pont",
            "toit",
            "mur",
            "le faire",
            "plus mal",
            "d'issue",
            "solution",
            "arrete",
            "tiendrai",
            "passerai",
            "l'acte",
            "flingue",
            "pistolet",
            "revolver",
            "me tue",
        ),
        r"\bj'ai tout (?:prepare|prevu)(?=\s*(?:$|[.!,;]|pour ce soir|pour cette nuit|pour demain))"
        r"|\b(?:j'ai |je viens d'|je viens de |je vais |je vais tout )(?:avale|avaler|pris|prendre) "
        r"(?:(?:tous|toutes?|trop de) (?:(?:mes|la|les|ma) )?"
        r"(?:boite(?!\s+(?:de "
        r"|d')(?!medicaments|medocs|cachets|comprimes|somniferes|pilules))"
        r"|plaquette|pilules|cachets|medicaments|medocs|comprimes)|(?:la|ma) "
        r"boite (?:entiere|de (?:medicaments|medocs|cachets)))"
        r"|\bj'ai (?:stocke|garde|mis de cote|cache) (?:tous |toutes )?mes "
        r"(?:medicaments|medocs|cachets|pilules|comprimes)"
        r"|\bj'ai prepare (?:les|mes|tous mes) (?:medicaments|medocs|cachets|pilules|comprimes)"
        r"|\bj'ai (?:le|un) (?:flingue|pistolet|revolver)\b"
        r"|\bj'ai (?:achete une|la|une) corde(?=\s*(?:$|[.!,;]|et\b|dans\b))|\bj'ai (?:le|un) couteau "
        r"(?:dans la main|sur moi|sur (?:le|les) poignets?)"
        r"|\bje suis sur le (?:pont|toit)(?: de l'immeuble)?(?=\s*(?:$|[.!,;]|et je vais))"
        r"|\bfoncer dans un (?:mur|arbre|platane)"
        r"|\b(?:cette fois,? je vais (?:vraiment )?le faire|je vais (?:vraiment )?le faire cette fois)"
        r"|\bje n'aurai plus (?:mal|a souffrir)|\bje ne vois plus (?:d'issue|d'autre "
        r"(?:solution|issue))(?!\s+a\s)"
        r"|\bla seule (?:solution|issue) c'est (?:de mourir|d'en finir|que je (?:disparaisse|meure|parte))"
        r"|\bje ne (?:tiendrai|tiens) pas jusqu'a (?:demain|ce soir)|\bje ne passerai pas la nuit"
        r"|\bje me tue(?=\s*(?:$|[.!,;]|ce soir|cette nuit|demain))"
        r"|\bje veux (?:juste |seulement )?que (?:tout|ca) s'arrete(?=\s*(?:$|[.!]|pour de bon|pour "
        r"toujours))"
        r"|\bje passe a l'acte(?!\s*:)|\bj'ai peur de (?:passer a l'acte|me tuer|me faire du mal|le "
        r"faire)(?!\s*:)",
    ),
    (("laisse", "laisser"), r"\bje (?:vais |veux )?me laisser? mourir"),
    # Farewells and returning thoughts, often written without "je": not gated on a first-person word.
    (
        ("adieu", "idees suicidaires", "pensees suicidaires"),
        r"\badieu a (?:tous|toutes|tout le monde|vous)\b|(?<!d')\badieu\s*[.!]*\s*$"
        r"|\b(?:les |mes )?(?:idees|pensees) suicidaires (?:reviennent|me reprennent|m'envahissent)"
        r"(?=\s*(?:$|[.!,;]|ce soir|cette nuit|encore))",
        False,
    ),
)
# The past, and talk about a time that is over, in the same sentence: "j'ai longtemps pensé que…",
# "à 20 ans", "quand j'étais hospitalisée", "dans mon témoignage".
DISTRESS_VETO = (
    r"\b(?:a|vers) \d+ ans\b|\bil y a (?:\d+|dix|vingt|quelques|des) ans\b|\bquand j'etais\b|\ba "
    r"l'epoque\b|\bautrefois\b"
    r"|\bj'ai longtemps\b|\bje pensais\b|\bje croyais\b|\bpendant (?:des annees|mon adolescence|toute)\b"
    r"|\bdans mon temoignage\b|\bc'est loin\b|\bje ne le pense plus\b"
)
# SMS spelling, undone before the care and intrusive-question patterns read a message.
_SMS = {
    "jveux": "je veux",
    "jveu": "je veux",
    "jvx": "je veux",
    "veu": "veux",
    "ve": "veux",
    "jvais": "je vais",
    "jvai": "je vais",
    "jpense": "je pense",
    "jen": "j'en",
    "jai": "j'ai",
    "j ai": "j'ai",
    "g": "j'ai",
    "jsuis": "je suis",
    "chui": "je suis",
    "chuis": "je suis",
    "jme": "je me",
    "plu": "plus",
    "envi": "envie",
    "mourrir": "mourir",
    "mourire": "mourir",
    "d en": "d'en",
    "den": "d'en",
    "pa": "pas",
    "j'veux": "je veux",
    "j'vais": "je vais",
    "j'suis": "je suis",
    "j'me": "je me",
    "j'pense": "je pense",
}
_SMS_RE = re.compile(
    r"(?<![a-z0-9'])(?:"
    + "|".join(re.escape(k) for k in sorted(_SMS, key=len, reverse=True))
    + r")(?![a-z0-9])"
)


def undo_sms(folded: str) -> str:
    """``jveu plu vivre`` → ``je veux plus vivre``: SMS spelling, for the care and intrusive patterns."""
    return _SMS_RE.sub(lambda m: _SMS[m.group(0)], folded)


INVITE_PATTERN = (
    r"(?:discord(?:app)?\s*\.\s*(?:com|gg)\s*/\s*(?:invite\s*/\s*)?|dsc\s*\.\s*gg\s*/\s*)([a-z0-9-]{2,32})"
)
INVITE_TRIGGERS = ("discord*", "dsc*")


# -- results --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Hit:
    """One rule triggered by a message, and why (for notices and ``/charte tester``)."""

    rule: Rule
    # What matched, in the normalised text (a keyword, a regex match, an invite code…).
    matched: str
    # How it was seen: "text", "spelled" (letters split), "repeated" (letters repeated),
    # "count" (mentions), "rate" (flood), "copies" (same message in several channels).
    via: str = "text"
    detail: int = 0


@dataclass(frozen=True, slots=True)
class Standing:
    """What the author's roles make of them, for exemptions."""

    role_ids: frozenset[int] = frozenset()
    is_moderator: bool = False


class MessageInput:
    """One message as the engine sees it.

    The author's standing (``role_ids``, ``is_moderator``) is given, or worked out by ``standing()``
    the first time a rule that hit asks for it: on almost every message no rule hits, and working it
    out from a Discord member (roles, permissions) costs more than checking the text."""

    __slots__ = (
        "_standing",
        "_work_out",
        "at",
        "author_id",
        "channel_id",
        "content",
        "guild_id",
        "mention_count",
        "mentions_everyone",
        "message_id",
    )

    def __init__(
        self,
        guild_id: int,
        channel_id: int,
        author_id: int,
        content: str,
        message_id: int = 0,
        role_ids: frozenset[int] = frozenset(),
        mention_count: int = 0,
        mentions_everyone: bool = False,
        is_moderator: bool = False,
        at: float = 0.0,  # epoch seconds; 0 means "now"
        *,
        standing: Callable[[], Standing] | None = None,
    ) -> None:
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.author_id = author_id
        self.content = content
        self.message_id = message_id
        self.mention_count = mention_count
        self.mentions_everyone = mentions_everyone
        self.at = at
        self._standing: Standing | None = None if standing else Standing(role_ids, is_moderator)
        self._work_out = standing

    @property
    def standing(self) -> Standing:
        if self._standing is None:
            assert self._work_out is not None
            self._standing = self._work_out()
        return self._standing

    @property
    def role_ids(self) -> frozenset[int]:
        return self.standing.role_ids

    @property
    def is_moderator(self) -> bool:
        return self.standing.is_moderator


_ANYWHERE, _WORD_START, _WHOLE_WORD = 0, 1, 2
SEVERITY = {"care": 0, "remind": 1, "flag": 2, "delete": 3, "warn": 4, "timeout": 5}
_QUOTE_CHARS = ('"',)


def _ends_word(text: str, end: int) -> bool:
    """A keyword ends a word, possibly with a French plural ``s`` or ``x`` (``connards``)."""
    after = end + 1
    if after == len(text) or text[after] not in _WORD:
        return True
    return text[after] in "sx" and (after + 1 == len(text) or text[after + 1] not in _WORD)


def _inside_quotes(folded: str, start: int, end: int) -> bool:
    """A match inside quotation marks is somebody quoted
    ("ne jamais demander « quelle est ta pathologie ? »").

    Quotes pair up in order within a line, and only a pair that closes after the match counts: one
    stray ``"`` or ``«`` earlier in a message must not switch the rules off for the rest of it."""
    line_start = folded.rfind("\n", 0, start) + 1
    line_end = folded.find("\n", end)
    line_end = len(folded) if line_end == -1 else line_end
    positions = [i for i in range(line_start, line_end) if folded[i] == '"']
    for opening, closing in zip(positions[::2], positions[1::2], strict=False):
        if opening < start and end <= closing:
            return True
    return False


_SENTENCE_END = re.compile(r"[.!?;\n]")


def _vetoed(entry: _RegexRule, text: str, start: int, end: int) -> bool:
    """True when the match is reported speech or a question discussed (intrusive questions: the whole
    message), or when its sentence speaks of the past (distress: the sentence only)."""
    assert entry.veto is not None
    if not entry.sentence_veto:
        return entry.veto.search(text) is not None
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    following = _SENTENCE_END.search(text, end)
    right = following.start() if following else len(text)
    return entry.veto.search(text, left, right) is not None


# Before a word: it is named, discussed or reported rather than thrown at someone. Read on the
# skeleton (apostrophes are spaces there).
_DISCUSSED_BEFORE = re.compile(
    r"(?:\ble mot|\bles mots|\bdu mot|\bdes mots|\ble terme|\bles termes|\btraitee?s? de|\bparlent de|\bdire"
    r"|\binsultes?(?: \w+)?|\bm a dit|\bm ont dit|\bcrie|\bcriait)\s*:?\s*\"?\s*$"
)


def _discussed(sk: str, start: int, end: int) -> bool:
    """A keyword inside quotation marks, or right after « le mot », « traité·e de », « m'a dit »…"""
    if '"' in sk and _inside_quotes(sk, start, end + 1):
        return True
    return _DISCUSSED_BEFORE.search(sk, max(0, start - 40), start) is not None


@dataclass(slots=True)
class _RegexRule:
    rule: Rule
    compiled: re.Pattern[str]
    skip_quoted: bool
    # Runs only if a gate word (second person for intrusive questions, first person for distress)
    # is present as a whole word, besides one of its triggers.
    gated: bool = False
    # Default care and intrusive-question patterns: read the text with SMS spelling undone, and
    # give up when the veto matches (the sentence for distress, the message for questions).
    veto: re.Pattern[str] | None = None
    sentence_veto: bool = False


class Engine:
    """Compiled rules of one charter. ``check(text)`` for content; ``evaluate`` adds the stateful kinds."""

    def __init__(self, charter: Charter, *, state_limit: int = 50_000) -> None:
        self.charter = charter
        self.rules = charter.rules
        self._automaton = ahocorasick.Automaton()
        self._collapsed = ahocorasick.Automaton()
        entries: dict[str, list[tuple[str, object]]] = {}
        collapsed_entries: dict[str, list[tuple[str, object]]] = {}
        self._regex: list[_RegexRule] = []
        self._always: list[int] = []  # regex rules without a usable trigger
        self._gates: dict[int, re.Pattern[str]] = {}
        self._digit_gated: list[int] = []  # …but which cannot match without a digit (phone numbers)
        self._invites: list[Rule] = []
        self._mass: list[Rule] = []
        self._flood: list[Rule] = []
        self._repeat: list[Rule] = []
        self._invite_re = re.compile(INVITE_PATTERN)
        self._vetoes = {
            "distress": re.compile(DISTRESS_VETO),
            "intrusive_question": re.compile(INTRUSIVE_VETO),
        }
        self.keyword_count = 0

        def add(table: dict[str, list[tuple[str, object]]], key: str, value: tuple[str, object]) -> None:
            if key:
                table.setdefault(key, []).append(value)

        for rule in self.rules:
            if rule.kind == "keywords":
                for keyword in rule.patterns:
                    norm = normalise_keyword(keyword)
                    if not norm:
                        continue
                    self.keyword_count += 1
                    add(entries, norm, ("kw", (rule, norm)))
                    collapsed = collapse_repeats(norm)
                    if collapsed != norm:
                        add(entries, collapsed, ("kw", (rule, norm)))
                    add(collapsed_entries, collapsed, ("kw", (rule, norm)))
            elif rule.kind in ("regex", "intrusive_question", "distress"):
                specs: list[tuple[tuple[str, ...] | None, str]] = []
                _auto: set[str] = set()
                ungated: set[str] = set()
                if rule.kind == "regex":
                    specs = [(required_literals(fold_pattern(p)), fold_pattern(p)) for p in rule.patterns]
                else:
                    defaults = INTRUSIVE_DEFAULTS if rule.kind == "intrusive_question" else DISTRESS_DEFAULTS
                    gate = YOU_WORDS if rule.kind == "intrusive_question" else I_WORDS
                    specs = [(d[0], d[1]) for d in defaults] if not rule.patterns else []
                    ungated = {d[1] for d in defaults if len(d) > 2 and not d[2]}
                    for p in rule.patterns:
                        literals = required_literals(fold_pattern(p))
                        _auto.update(literals or ())
                        specs.append((literals, fold_pattern(p)))
                veto = None
                if rule.kind != "regex" and not rule.patterns:
                    veto = self._vetoes[rule.kind]
                # One compiled alternation per (rule, trigger set): a hit runs only that pattern.
                for triggers, pattern in specs:
                    index = len(self._regex)
                    gated = (
                        rule.kind != "regex"
                        and bool(triggers)
                        and not (rule.patterns and set(triggers) <= _auto)
                        and pattern not in ungated
                    )
                    self._regex.append(
                        _RegexRule(
                            rule,
                            re.compile(lower_pattern(pattern)),
                            rule.kind != "regex",
                            gated,
                            veto,
                            rule.kind == "distress",
                        )
                    )
                    if gated:
                        self._gates[index] = re.compile(
                            r"(?<![a-z0-9])(?:" + "|".join(gate) + r")(?![a-z0-9])"
                        )
                    if not triggers:
                        if needs_digit(pattern):
                            self._digit_gated.append(index)
                        else:
                            self._always.append(index)
                        continue
                    for literal in triggers:
                        mode = (
                            _ANYWHERE
                            if rule.kind == "regex" or (rule.patterns and literal in _auto)
                            else (_WORD_START if literal.endswith("*") else _WHOLE_WORD)
                        )
                        add(entries, normalise_keyword(literal.rstrip("*")), ("re", (index, mode)))
            elif rule.kind == "invite_links":
                self._invites.append(rule)
            elif rule.kind == "mass_mentions":
                self._mass.append(rule)
            elif rule.kind == "flood":
                self._flood.append(rule)
            elif rule.kind == "repeated_message":
                self._repeat.append(rule)
        if self._invites:
            for literal in INVITE_TRIGGERS:
                add(entries, literal.rstrip("*"), ("inv", None))
        for triple in _TRIPLES:
            add(entries, triple, ("rep", None))
        self._has_keywords = any(kind == "kw" for values in entries.values() for kind, _ in values)
        self._build(self._automaton, entries)
        self._scan = bool(entries)
        self._build(self._collapsed, collapsed_entries)
        # Stateful kinds: per (guild, author) recent message times and (content, channel, time).
        self._flood_window = max((r.seconds for r in self._flood), default=0.0)
        self._repeat_window = max((r.seconds for r in self._repeat), default=0.0)
        self._state_limit = state_limit
        self._times: OrderedDict[tuple[int, int], deque[float]] = OrderedDict()
        self._copies: OrderedDict[tuple[int, int], deque[tuple[float, int, int]]] = OrderedDict()
        # When each author last wrote something a care rule matched (flood and repeats stand down).
        self._distress: OrderedDict[tuple[int, int], float] = OrderedDict()

    @staticmethod
    def _build(automaton: ahocorasick.Automaton, entries: dict[str, list[tuple[str, object]]]) -> None:
        for key, values in entries.items():
            automaton.add_word(key, (len(key), tuple(values)))
        if entries:
            automaton.make_automaton()

    # -- content --------------------------------------------------------------------------------------
    def check(self, text: str) -> list[Hit]:
        """Every content rule (keywords, regex, intrusive questions, distress, invites) ``text`` triggers."""
        return self._check_folded(_fold_bytes(text))

    def _check_folded(self, raw: bytes) -> list[Hit]:
        folded = raw.decode("ascii")
        sk_bytes = raw.translate(_LEET)
        sk = sk_bytes.decode("ascii")
        hits: list[Hit] = []
        seen_kw: set[tuple[str, str]] = set()
        regex_todo: set[int] = set()
        invites = repeated = False
        if self._scan:
            for end, (length, values) in self._automaton.iter(sk):
                for kind, payload in values:
                    if kind == "kw":
                        start = end - length + 1
                        if (start == 0 or sk[start - 1] not in _WORD) and _ends_word(sk, end):
                            rule, norm = payload
                            if (rule.id, norm) not in seen_kw:
                                seen_kw.add((rule.id, norm))
                                hits.append(
                                    Hit(rule, norm, "quoted" if _discussed(sk, start, end) else "text")
                                )
                    elif kind == "re":
                        index, mode = payload
                        if mode != _ANYWHERE:
                            start = end - length + 1
                            if start > 0 and sk[start - 1] in _WORD:
                                continue
                            if mode == _WHOLE_WORD and end + 1 < len(sk) and sk[end + 1] in _WORD:
                                continue
                        regex_todo.add(index)
                    elif kind == "inv":
                        invites = True
                    else:
                        repeated = True
        if self._has_keywords:
            if repeated:
                self._scan_collapsed(collapse_repeats(sk), "repeated", hits, seen_kw)
            if b" a a a " in (b" " + sk_bytes + b" ").translate(_SHAPE):
                joined = join_spelled(sk)
                if joined != sk:
                    self._scan_collapsed(collapse_repeats(joined), "spelled", hits, seen_kw)
        if self._digit_gated and b"1" in raw.translate(_DIGIT_MARK):
            regex_todo.update(self._digit_gated)
        if regex_todo or self._always:
            bounded = folded[:REGEX_INPUT_LIMIT]  # bounds the work of any pattern
            plain: str | None = None  # SMS spelling undone, computed once when a default pattern runs
            done_rules: set[str] = set()
            for index in sorted(regex_todo.union(self._always)):
                entry = self._regex[index]
                if entry.rule.id in done_rules:
                    continue
                if entry.gated and not self._gates[index].search(sk):
                    continue
                text = bounded
                if entry.veto is not None:
                    if plain is None:
                        plain = undo_sms(bounded)
                    text = plain
                for match in entry.compiled.finditer(text):
                    if entry.skip_quoted and _inside_quotes(text, match.start(), match.end()):
                        continue
                    if entry.veto is not None and _vetoed(entry, text, match.start(), match.end()):
                        continue
                    hits.append(Hit(entry.rule, match.group(0).strip()))
                    done_rules.add(entry.rule.id)
                    break
        if invites:
            for match in self._invite_re.finditer(folded):
                code = match.group(1)
                for rule in self._invites:
                    if code not in rule.allow:
                        hits.append(Hit(rule, match.group(0).replace(" ", "")))
                break
        return hits

    def _scan_collapsed(self, text: str, via: str, hits: list[Hit], seen: set[tuple[str, str]]) -> None:
        if self._collapsed.kind != ahocorasick.AHOCORASICK:
            return
        for end, (length, values) in self._collapsed.iter(text):
            start = end - length + 1
            if (start == 0 or text[start - 1] not in _WORD) and _ends_word(text, end):
                for _, (rule, norm) in values:
                    if (rule.id, norm) not in seen:
                        seen.add((rule.id, norm))
                        hits.append(Hit(rule, norm, via))

    # -- whole message --------------------------------------------------------------------------------
    def evaluate(self, message: MessageInput, *, exempt: Exemption | None = None) -> list[Hit]:
        """Content rules plus mentions, flood and repeats, minus exemptions. Moderators are exempt from
        everything except care (a moderator in distress deserves the same message as anyone)."""
        exempt = exempt or Exemption()
        at = message.at or time.time()
        raw = _fold_bytes(message.content)
        hits = [h for h in self._check_folded(raw) if self.applies(h.rule, message, exempt)]
        key = (message.guild_id, message.author_id)
        if hits and any(h.rule.kind == "distress" for h in hits):
            self._distress[key] = at
            self._distress.move_to_end(key)
            if len(self._distress) > self._state_limit:
                self._distress.popitem(last=False)
        last_distress = self._distress.get(key)
        for rule in self._mass:
            count = message.mention_count + (rule.threshold if message.mentions_everyone else 0)
            if count >= rule.threshold and self.applies(rule, message, exempt):
                hits.append(Hit(rule, str(count), "count", count))
        if self._flood:
            times = self._remember(self._times, key)
            times.append(at)
            window = self._flood_window
            while times and times[0] < at - window:
                times.popleft()
            flooding = False
            for rule in self._flood:
                if len(times) < rule.threshold:
                    continue  # too few messages in the whole window: no need to count
                recent = sum(1 for t in times if t >= at - rule.seconds)
                # Care wins over sanction: someone in crisis writing in bursts is not a flooder.
                if last_distress is not None and last_distress >= at - rule.seconds:
                    continue
                if recent >= rule.threshold and self.applies(rule, message, exempt):
                    hits.append(Hit(rule, str(recent), "rate", recent))
                    flooding = True
            if flooding:
                # Count afresh from here, before any await: one sanction per burst, not one per
                # extra message that arrives while the first sanction is being applied.
                times.clear()
        if self._repeat and len(message.content.strip()) >= 8:
            digest = hash(" ".join(raw.decode("ascii").split()))
            copies = self._remember(self._copies, key)
            copies.append((at, digest, message.channel_id))
            window = self._repeat_window
            while copies and copies[0][0] < at - window:
                copies.popleft()
            repeating = False
            for rule in self._repeat:
                if len(copies) < rule.threshold:
                    continue  # fewer messages than channels needed: no need to compare them
                channels = {c for t, d, c in copies if d == digest and t >= at - rule.seconds}
                if last_distress is not None and last_distress >= at - rule.seconds:
                    continue
                if len(channels) >= rule.threshold and self.applies(rule, message, exempt):
                    hits.append(Hit(rule, str(len(channels)), "copies", len(channels)))
                    repeating = True
            if repeating:
                copies.clear()
        return hits

    def _remember(self, table: OrderedDict, key: tuple[int, int]) -> deque:
        entry = table.get(key)
        if entry is None:
            entry = table[key] = deque(maxlen=64)
            if len(table) > self._state_limit:
                table.popitem(last=False)
        else:
            table.move_to_end(key)
        return entry

    def applies(self, rule: Rule, message: MessageInput, exempt: Exemption) -> bool:
        if rule.action == "care":
            return True
        if message.is_moderator:
            return False
        return not exempt.covers(rule, message)


@dataclass(frozen=True, slots=True)
class Exemption:
    """Exemptions resolved to ids for one guild: charter-wide ones and per-rule ones."""

    role_ids: frozenset[int] = frozenset()
    channel_ids: frozenset[int] = frozenset()
    rule_roles: Mapping[str, frozenset[int]] | None = None
    rule_channels: Mapping[str, frozenset[int]] | None = None

    def covers(self, rule: Rule, message: MessageInput) -> bool:
        if message.channel_id in self.channel_ids or message.role_ids & self.role_ids:
            return True
        if self.rule_channels and message.channel_id in self.rule_channels.get(rule.id, frozenset()):
            return True
        return bool(self.rule_roles and message.role_ids & self.rule_roles.get(rule.id, frozenset()))


def resolve_exemption(charter: Charter, roles: Mapping[str, int], channels: Mapping[str, int]) -> Exemption:
    """Purposes (``moderation``, ``modlog``) become this guild's ids; numbers are ids already."""

    def ids(items: Iterable[str | int], table: Mapping[str, int]) -> frozenset[int]:
        out = set()
        for item in items:
            if isinstance(item, int):
                out.add(item)
            elif item in table:
                out.add(table[item])
            elif item.isdigit():
                out.add(int(item))
        return frozenset(out)

    return Exemption(
        ids(charter.exempt.roles, roles),
        ids(charter.exempt.channels, channels),
        {r.id: ids(r.exempt_roles, roles) for r in charter.rules if r.exempt_roles},
        {r.id: ids(r.exempt_channels, channels) for r in charter.rules if r.exempt_channels},
    )


def effective_action(hit: Hit) -> str:
    """The action really taken for a hit: a quoted, discussed or reported word is never deleted nor
    sanctioned (« le mot « pute » est stigmatisant », « on m'a traitée de … »); the moderators get a
    card instead and decide."""
    if hit.via == "quoted" and SEVERITY[hit.rule.action] > SEVERITY["flag"]:
        return "flag"
    return hit.rule.action


def strongest(hits: Iterable[Hit]) -> Hit | None:
    """The one action taken for a message (care is handled apart): the most severe, first rule wins ties."""
    best: Hit | None = None
    for hit in hits:
        if hit.rule.action == "care":
            continue
        if best is None or SEVERITY[hit.rule.action] > SEVERITY[best.rule.action]:
            best = hit
    return best


# -- literal triggers for regexes ---------------------------------------------------------------------
def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Literal strings one of which must occur in any text the pattern matches (lower case), or None.

    Used to run a regex only when worthwhile. Conservative: when unsure, None (the regex always runs).
    """
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except re.error:
        return None
    found = _sequence_literals(list(parsed))
    if not found:
        return None
    return tuple(sorted({f.lower() for f in found}))


def _sequence_literals(items: list) -> list[str] | None:
    """Best literal set for a sequence: the longest literal run, or a group whose branches all have one."""
    candidates: list[list[str]] = []
    run: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(arg))
            continue
        if run:
            candidates.append(["".join(run)])
            run = []
        if name == "SUBPATTERN":
            inner = _sequence_literals(list(arg[-1]))
            if inner:
                candidates.append(inner)
        elif name == "BRANCH":
            branches = [_sequence_literals(list(b)) for b in arg[1]]
            if all(branches):
                candidates.append([lit for b in branches for lit in b])  # type: ignore[union-attr]
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and arg[0] >= 1:
            inner = _sequence_literals(list(arg[2]))
            if inner:
                candidates.append(inner)
    if run:
        candidates.append(["".join(run)])
    candidates = [c for c in candidates if c and min(len(x) for x in c) >= 2]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (min(len(x) for x in c), -len(c)))


def needs_digit(pattern: str) -> bool:
    """True when every match of ``pattern`` contains a digit (then it runs only on texts with one)."""
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except re.error:
        return False
    return _sequence_needs_digit(list(parsed))


def _item_is_digit(op: object, arg: object) -> bool:
    name = str(op)
    if name == "LITERAL":
        return 48 <= arg <= 57  # type: ignore[operator]
    if name == "IN":
        items = list(arg)  # type: ignore[call-overload]
        if not items or str(items[0][0]) == "NEGATE":
            return False
        for sub_op, sub_arg in items:
            sub = str(sub_op)
            if sub == "CATEGORY" and str(sub_arg) == "CATEGORY_DIGIT":
                continue
            if sub == "RANGE" and 48 <= sub_arg[0] and sub_arg[1] <= 57:
                continue
            if sub == "LITERAL" and 48 <= sub_arg <= 57:
                continue
            return False
        return True
    return False


def _sequence_needs_digit(items: list) -> bool:
    for op, arg in items:
        name = str(op)
        if _item_is_digit(op, arg):
            return True
        if (
            name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
            and arg[0] >= 1
            and _sequence_needs_digit(list(arg[2]))
        ):
            return True
        if name == "SUBPATTERN" and _sequence_needs_digit(list(arg[-1])):
            return True
        if name == "BRANCH" and all(_sequence_needs_digit(list(b)) for b in arg[1]):
            return True
    return False


# -- patterns that could stall the bot ------------------------------------------------------------------
# Regex rules see at most this many characters of a message (Discord's longest message is 4,000):
# the cost of a pattern is bounded by its length, whatever a member sends.
REGEX_INPUT_LIMIT = 4000
# A pattern is refused when one probe on an adversarial text takes longer than this.
PROBE_BUDGET_SECONDS = 0.02
_REPEATS_OPS = ("MAX_REPEAT", "MIN_REPEAT")


def _variable_repeat(items: list) -> bool:
    """True when the sequence holds a repetition that can match more than one character count."""
    for op, arg in items:
        name = str(op)
        if name in _REPEATS_OPS and arg[1] > max(arg[0], 1):
            return True
        if name in _REPEATS_OPS and _variable_repeat(list(arg[2])):
            return True
        if name == "SUBPATTERN" and _variable_repeat(list(arg[-1])):
            return True
        if name == "BRANCH" and any(_variable_repeat(list(b)) for b in arg[1]):
            return True
        if name in ("ASSERT", "ASSERT_NOT") and _variable_repeat(list(arg[1])):
            return True
    return False


def _nested_quantifier(items: list) -> bool:
    """``(a+)+``, ``(\\w*\\s?)*``, ``(x{1,3}){2,}``: a repetition of something itself repeated."""
    for op, arg in items:
        name = str(op)
        if name in _REPEATS_OPS:
            body = list(arg[2])
            if arg[1] > 1 and _variable_repeat(body):
                return True
            if _nested_quantifier(body):
                return True
        elif name == "SUBPATTERN" and _nested_quantifier(list(arg[-1])):
            return True
        elif name == "BRANCH" and any(_nested_quantifier(list(b)) for b in arg[1]):
            return True
        elif name in ("ASSERT", "ASSERT_NOT") and _nested_quantifier(list(arg[1])):
            return True
    return False


def _probe_texts(pattern: str) -> list[str]:
    """Texts that make a backtracking pattern work hardest: one character repeated, then a failure."""
    letters = {c for c in pattern.lower() if c.isalnum()} | {"a", "1", " ", "e"}
    out = []
    # Small steps first (exponential patterns blow up between two of them, never by much more than
    # the budget), then polynomial ones on long texts.
    lengths = (*range(8, 42, 2), 48, 56, 64, 80, 96, 128, 160, 256, 512, 1024, 2048, REGEX_INPUT_LIMIT)
    for length in lengths:
        for ch in sorted(letters)[:12]:
            out.append(ch * length + "!")
        out.append("a " * (length // 2) + "!")
    return out


def pattern_risk(pattern: str) -> str | None:
    """Why an admin-written pattern could stall the bot on a crafted message (in French), or None.

    Two checks: nested quantifiers (the classic catastrophic backtracking), then probes on adversarial
    texts of growing length, stopped at the first one that is too slow."""
    folded = lower_pattern(fold_pattern(pattern))
    try:
        parsed = sre_parse.parse(folded)
        compiled = re.compile(folded)
    except re.error:
        return None  # reported as invalid elsewhere
    if _nested_quantifier(list(parsed)):
        return "quantificateur imbriqué (comme (a+)+), qui peut bloquer le bot sur un message piégé"
    for text in _probe_texts(folded):
        started = time.perf_counter()
        compiled.search(text)
        if time.perf_counter() - started > PROBE_BUDGET_SECONDS:
            return f"trop lente sur un texte piégé de {len(text)} caractères"
    return None


# -- configuration checks -----------------------------------------------------------------------------
def check_rules(charter: Charter, file: str, doc: YamlDocument | None = None) -> list[Problem]:
    """What only the engine can tell: a keyword that normalises to nothing, a regex that matches empty
    text."""
    problems: list[Problem] = []
    for index, rule in enumerate(charter.rules):
        line = rule.line
        if rule.kind == "keywords":
            for keyword in rule.patterns:
                norm = normalise_keyword(keyword)
                if len(norm.replace(" ", "")) < 2:
                    problems.append(
                        Problem(
                            file,
                            line,
                            f"règle «{rule.id}» : le mot-clé «{keyword}» est vide ou trop court une fois "
                            f"normalisé",
                            "écrire au moins deux lettres",
                        )
                    )
        elif rule.kind == "regex" or rule.patterns:
            for pattern in rule.patterns:
                try:
                    compiled = re.compile(fold_pattern(pattern), re.IGNORECASE)
                except re.error as exc:
                    problems.append(
                        Problem(
                            file,
                            line,
                            f"règle «{rule.id}» : expression invalide une fois sans accents : {exc.msg}",
                            "corriger l'expression",
                        )
                    )
                    continue
                if compiled.search(""):
                    problems.append(
                        Problem(
                            file,
                            line,
                            f"règle «{rule.id}» : le motif «{pattern}» correspond à un texte vide",
                            "il toucherait tous les messages ; le rendre plus précis",
                        )
                    )
        del index
    return problems


def build(charter: Charter) -> Engine:
    return Engine(charter)
