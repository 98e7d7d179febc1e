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
from collections.abc import Iterable, Mapping
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
    "œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ŀ": "l",
    "’": "'", "‘": "'", "ʼ": "'", "´": "'", "`": "'", "ˈ": "'", "′": "'",
    "«": '"', "»": '"', "“": '"', "”": '"', "„": '"', "‹": '"', "›": '"',
    "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-",
    "…": "...", "·": ".", "•": " ", "×": "x", "ß": "ss",
    # invisible characters used to split a word without showing it
    "\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u180e": "",
    "\u034f": "",
}
# Look-alike letters from other scripts (after casefold, so lower case only).
_HOMOGLYPHS = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "һ": "h", "ԛ": "q",
    "ԝ": "w", "ո": "n", "г": "r", "п": "n", "л": "n", "и": "u", "ь": "b",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w", "μ": "u", "σ": "o", "ς": "c", "γ": "y", "δ": "d",
    # Latin look-alikes without a decomposition
    "ɑ": "a", "ɡ": "g", "ɩ": "i", "ʀ": "r", "ꞵ": "b", "ꜱ": "s", "ᴄ": "c", "ᴏ": "o", "ᴜ": "u", "ᴠ": "v",
    "ᴡ": "w", "ᴢ": "z", "ɴ": "n", "ʏ": "y", "ʜ": "h", "ᴋ": "k", "ᴍ": "m", "ᴛ": "t", "ᴀ": "a", "ᴇ": "e",
}
_FOLD_TABLE = {**_SPECIAL, **_HOMOGLYPHS}
# Leetspeak undone; apostrophes and hyphens become spaces so "va t'faire" and "fils-de-pute" meet their keywords.
_LEET = bytes.maketrans(b"013457@$'-", b"oieastas  ")
# Letter-by-letter spelling: three single letters split by separators.
_SEPARATORS = b" .-_*,/|+~:;'\""
_SHAPE = bytes(
    ord("a") if chr(i) in "abcdefghijklmnopqrstuvwxyz0123456789" + OTHER_LETTER
    else ord(" ") if bytes([i]) in _SEPARATORS or i < 128 and not chr(i).isalnum() else ord("#")
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
    run = error.object[error.start:error.end]
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
_CONDITION = r"(?:diagnostic|diagnostique|pathologie|maladie|trouble|troubles|traitement|traitements|medicaments?|medocs?|cachets?|neuroleptiques?|antidepresseurs?|psychotropes?|handicap|diagnostics)"
_LABELS = r"(?:bipolaire|schizo|schizophrene|borderline|psychotique|paranoiaque|toxico|alcoolique|autiste|tdah|depressif|depressive|tox)"

# Words one of which must also be present for a default pattern to run (cheap gate, same scan).
YOU_WORDS = ("tu", "t", "vous", "toi", "ton", "ta", "tes", "votre", "vos", "as", "es", "etes", "avez")
I_WORDS = ("je", "j", "jai", "me", "moi", "ma", "mes", "mon", "m")
INTRUSIVE_DEFAULTS: tuple[tuple[tuple[str, ...], str], ...] = (
    # "Quelle est ta pathologie ?", "c'est quoi votre diagnostic ?"
    (("diagnost*", "patholog*", "maladie*", "trouble", "troubles", "traitement*", "medica*", "medoc*", "cachet*",
      "neurolept*", "antidepress*", "psychotrop*", "handicap*"),
     rf"\b(?:quel|quelle|quels|quelles|c'est quoi|c est quoi|cest quoi|c'etait quoi)\s+(?:est|sont|etait|etaient)?\s*{_YOUR}\s+{_CONDITION}\b"),
    # "Tu as quoi comme maladie ?", "vous avez quel diagnostic ?", "t'as quel trouble ?"
    (("diagnost*", "patholog*", "maladie*", "trouble", "troubles", "traitement*", "medica*", "medoc*", "cachet*"),
     rf"\b(?:tu as|t'as|t as|as-tu|as tu|vous avez|avez-vous|avez vous|tu prends|vous prenez|prends-tu|prenez-vous)\s+(?:quoi|quel|quelle|quels|quelles)\s+(?:comme\s+)?{_CONDITION}\b"),
    # "Tu prends quoi ?", "vous prenez encore votre traitement ?", "tu es sous traitement ?"
    (("traitement*", "medica*", "medoc*", "cachet*", "neurolept*", "antidepress*", "sous quoi", "prends quoi",
      "prenez quoi"),
     rf"\b(?:tu prends|vous prenez|prends-tu|prenez-vous|tu prends toujours|tu prends encore|vous prenez toujours|vous prenez encore)\s+(?:toujours\s+|encore\s+)?(?:quoi\b|{_YOUR}\s+(?:traitement|medicaments?|medocs?|cachets?))"
     rf"|\b{_BE_YOU}\s+(?:toujours\s+|encore\s+)?sous\s+(?:quoi|traitement|medicaments?|neuroleptiques?|antidepresseurs?)\b"),
    # "Tu es vraiment rétabli ?", "vous êtes complètement rétablie ?", "t'es rétabli ?"
    (("retabli", "retablie", "retablis", "retablies", "gueri", "guerie", "gueris", "gueries"),
     rf"\b{_BE_YOU}\s+(?:(?:vraiment|completement|totalement|bien|definitivement|reellement|a 100 ?%|sur(?:e)? d'etre)\s+)+(?:retabli|gueri)e?s?\b"
     rf"|\b{_BE_YOU}\s+(?:retabli|gueri)e?s?\s*(?:\?|ou pas|pour de vrai|pour de bon)"),
    # "Tu es sûr de ne pas rechuter ?", "tu vas rechuter", "et si vous rechutez ?", "tu ne risques pas de rechuter ?"
    (("rechut*", "replong*"),
     r"\b(?:sur|sure|surs|sures|certain|certaine)\s+de\s+(?:ne\s+)?(?:pas|plus|jamais)\s+(?:re)?(?:chuter|replonger)\b"
     r"|\b(?:tu vas|vous allez|tu risques|vous risquez|tu ne risques|vous ne risquez|tu vas pas|tu ne vas pas|vous n'allez pas|tu n'as pas peur|vous n'avez pas peur|t'as pas peur)\s+(?:pas\s+)?(?:de\s+)?(?:re)?(?:chuter|replonger)\b"
     r"|\bet si (?:tu|vous) (?:rechutes|rechutez|replonges|replongez)\b"),
    # "Tu es bipolaire ?", "t'es schizo ou quoi ?"
    (("bipolaire", "schizo*", "borderline", "psychotique", "paranoiaque", "toxico", "alcoolique", "autiste",
      "tdah", "depressi*", "tox"),
     rf"\b{_BE_YOU}\s+(?:un |une )?{_LABELS}\b\s*(?:\?|ou quoi|ou pas|non\s*\?|c'est ca)"),
    # "De quoi tu souffres ?", "tu souffres de quoi ?", "tu as été interné pour quoi ?"
    (("souffre*", "hospitalis*", "intern*"),
     rf"\b(?:de quoi|tu souffres de quoi|vous souffrez de quoi)\s*(?:{_YOU}\s+)?(?:souffres|souffrez|souffre)?\b.{{0,3}}(?:\?|$)"
     rf"|\b(?:tu as ete|t'as ete|vous avez ete|tu etais|vous etiez)\s+(?:hospitalise|interne)e?s?\s+(?:pour quoi|pourquoi|ou|combien)"
     rf"|\bpourquoi\s+(?:tu as ete|t'as ete|vous avez ete)\s+(?:hospitalise|interne)e?s?\b"),
)

# Self-harm or suicidal talk, first person, present or future. Past tenses ("j'ai voulu mourir",
# "j'avais des idées noires") and talk about others, trainings or films do not match.
_I_WANT = (r"(?:je veux|je voudrais|je vais|je pense a|je pense serieusement a|j'aimerais|je prefererais|je compte"
           r"|(?:j'ai|j ai|jai) (?:juste |tellement |vraiment )?envie d(?:e\b|')|j'ai decide d(?:e\b|')"
           r"|je n'ai plus qu'a|je n'attends que d(?:e\b|'))")
_DIE = (r"(?:mourir(?!\s+de\s+(?:rire|honte|faim|froid|chaud|ennui|peur|envie))|me tuer|me suicider|en finir(?!\s+avec)"
        r"|me foutre en l'air|me faire du mal|me scarifier|me mutiler|me jeter (?:sous|du haut|par la fenetre)|me pendre"
        r"|disparaitre (?:pour toujours|a jamais|definitivement)|ne plus me reveiller|ne plus exister|partir pour de bon)")
DISTRESS_DEFAULTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("mourir", "me tuer", "me suicider", "en finir", "me foutre", "me faire du mal", "me scarifier", "me mutiler",
      "me jeter", "me pendre", "disparaitre", "me reveiller", "plus exister", "pour de bon"),
     rf"\b{_I_WANT}\s*(?:vraiment\s+|juste\s+|bientot\s+)?{_DIE}"),
    (("vivre", "cette vie", "aucun sens", "sers plus", "vaux plus", "je vive"),
     r"\b(?:je (?:ne )?veux plus vivre|je n'ai plus (?:envie|la force|aucune raison) de vivre|j'ai plus (?:envie|la force|aucune raison) de vivre"
     r"|plus (?:aucune )?envie de vivre|je n'en peux plus de vivre|j'en peux plus de (?:vivre|cette vie)"
     r"|ma vie n'a (?:plus )?aucun sens|je ne (?:sers|vaux) plus rien|ca ne sert a rien que je vive)"),
    (("suicidaire", "idees noires", "idees suicidaires", "idees de suicide", "me suicider"),
     r"\b(?:je suis|je me sens|je deviens|je redeviens|j'ai|j ai|jai)\s+(?:tres\s+|trop\s+|de nouveau\s+|encore\s+|vraiment\s+)?"
     r"(?:suicidaire|des idees (?:noires|suicidaires|de suicide)|envie de me suicider)"),
    (("sans moi", "poids", "fardeau", "adieu"),
     r"\b(?:(?:tout le monde|ils|elles|ma famille|mes proches|vous) (?:serai(?:en)?t|serez) mieux sans moi"
     r"|je (?:suis|ne suis qu') ?un (?:poids|fardeau) pour (?:tout le monde|tous|les autres|ma famille|mes proches)"
     r"|(?:j'ecris|je prepare|j'ai ecrit|j'ai prepare) (?:ma|une) lettre d'adieu)"),
    (("scarifie*", "mutile*", "me coupe", "me fais du mal"),
     r"\b(?:je me (?:scarifie|mutile|coupe(?! les cheveux| les ongles)|fais du mal)|je me suis (?:encore |de nouveau )?(?:scarifie|mutile)e?(?: ce matin| cette nuit| hier| aujourd'hui))\b"),
)

INVITE_PATTERN = r"(?:discord(?:app)?\s*\.\s*(?:com|gg)\s*/\s*(?:invite\s*/\s*)?|dsc\s*\.\s*gg\s*/\s*)([a-z0-9-]{2,32})"
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
class MessageInput:
    guild_id: int
    channel_id: int
    author_id: int
    content: str
    message_id: int = 0
    role_ids: frozenset[int] = frozenset()
    mention_count: int = 0
    mentions_everyone: bool = False
    is_moderator: bool = False
    at: float = 0.0  # epoch seconds; 0 means "now"


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
    """A match inside quotation marks is somebody quoted ("ne jamais demander « quelle est ta pathologie ? »").

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


@dataclass(slots=True)
class _RegexRule:
    rule: Rule
    compiled: re.Pattern[str]
    skip_quoted: bool
    # Runs only if a gate word (second person for intrusive questions, first person for distress)
    # is present as a whole word, besides one of its triggers.
    gated: bool = False


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
                if rule.kind == "regex":
                    specs = [(required_literals(fold_pattern(p)), fold_pattern(p)) for p in rule.patterns]
                else:
                    defaults = INTRUSIVE_DEFAULTS if rule.kind == "intrusive_question" else DISTRESS_DEFAULTS
                    gate = YOU_WORDS if rule.kind == "intrusive_question" else I_WORDS
                    specs = [(t, p) for t, p in defaults] if not rule.patterns else []
                    for p in rule.patterns:
                        literals = required_literals(fold_pattern(p))
                        _auto.update(literals or ())
                        specs.append((literals, fold_pattern(p)))
                # One compiled alternation per (rule, trigger set): a hit runs only that pattern.
                for triggers, pattern in specs:
                    index = len(self._regex)
                    gated = rule.kind != "regex" and bool(triggers) and not (rule.patterns and set(triggers) <= _auto)
                    self._regex.append(_RegexRule(rule, re.compile(lower_pattern(pattern)), rule.kind != "regex", gated))
                    if gated:
                        self._gates[index] = re.compile(r"(?<![a-z0-9])(?:" + "|".join(gate) + r")(?![a-z0-9])")
                    if not triggers:
                        if needs_digit(pattern):
                            self._digit_gated.append(index)
                        else:
                            self._always.append(index)
                        continue
                    for literal in triggers:
                        mode = _ANYWHERE if rule.kind == "regex" or (rule.patterns and literal in _auto) else (
                            _WORD_START if literal.endswith("*") else _WHOLE_WORD)
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
        self._state_limit = state_limit
        self._times: OrderedDict[tuple[int, int], deque[float]] = OrderedDict()
        self._copies: OrderedDict[tuple[int, int], deque[tuple[float, int, int]]] = OrderedDict()

    @staticmethod
    def _build(automaton: ahocorasick.Automaton, entries: dict[str, list[tuple[str, object]]]) -> None:
        for key, values in entries.items():
            automaton.add_word(key, (len(key), tuple(values)))
        if entries:
            automaton.make_automaton()

    # -- content --------------------------------------------------------------------------------------
    def check(self, text: str) -> list[Hit]:
        """Every content rule (keywords, regex, intrusive questions, distress, invites) ``text`` triggers."""
        raw = _fold_bytes(text)
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
                                hits.append(Hit(rule, norm))
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
            done_rules: set[str] = set()
            for index in sorted(regex_todo.union(self._always)):
                entry = self._regex[index]
                if entry.rule.id in done_rules:
                    continue
                if entry.gated and not self._gates[index].search(sk):
                    continue
                for match in entry.compiled.finditer(bounded):
                    if entry.skip_quoted and _inside_quotes(bounded, match.start(), match.end()):
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
        hits = [h for h in self.check(message.content) if self.applies(h.rule, message, exempt)]
        for rule in self._mass:
            count = message.mention_count + (rule.threshold if message.mentions_everyone else 0)
            if count >= rule.threshold and self.applies(rule, message, exempt):
                hits.append(Hit(rule, str(count), "count", count))
        key = (message.guild_id, message.author_id)
        if self._flood:
            times = self._remember(self._times, key)
            times.append(at)
            window = max(r.seconds for r in self._flood)
            while times and times[0] < at - window:
                times.popleft()
            flooding = False
            for rule in self._flood:
                recent = sum(1 for t in times if t >= at - rule.seconds)
                if recent >= rule.threshold and self.applies(rule, message, exempt):
                    hits.append(Hit(rule, str(recent), "rate", recent))
                    flooding = True
            if flooding:
                # Count afresh from here, before any await: one sanction per burst, not one per
                # extra message that arrives while the first sanction is being applied.
                times.clear()
        if self._repeat and len(message.content.strip()) >= 8:
            digest = hash(" ".join(fold(message.content).split()))
            copies = self._remember(self._copies, key)
            copies.append((at, digest, message.channel_id))
            window = max(r.seconds for r in self._repeat)
            while copies and copies[0][0] < at - window:
                copies.popleft()
            repeating = False
            for rule in self._repeat:
                channels = {c for t, d, c in copies if d == digest and t >= at - rule.seconds}
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
    """The action really taken for a hit."""
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
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and arg[0] >= 1 and _sequence_needs_digit(list(arg[2])):
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
    """What only the engine can tell: a keyword that normalises to nothing, a regex that matches empty text."""
    problems: list[Problem] = []
    for index, rule in enumerate(charter.rules):
        line = rule.line
        if rule.kind == "keywords":
            for keyword in rule.patterns:
                norm = normalise_keyword(keyword)
                if len(norm.replace(" ", "")) < 2:
                    problems.append(Problem(file, line, f"règle «{rule.id}» : le mot-clé «{keyword}» est vide ou trop court une fois normalisé",
                                            "écrire au moins deux lettres"))
        elif rule.kind == "regex" or rule.patterns:
            for pattern in rule.patterns:
                try:
                    compiled = re.compile(fold_pattern(pattern), re.IGNORECASE)
                except re.error as exc:
                    problems.append(Problem(file, line, f"règle «{rule.id}» : expression invalide une fois sans accents : {exc.msg}",
                                            "corriger l'expression"))
                    continue
                if compiled.search(""):
                    problems.append(Problem(file, line, f"règle «{rule.id}» : le motif «{pattern}» correspond à un texte vide",
                                            "il toucherait tous les messages ; le rendre plus précis"))
        del index
    return problems


def build(charter: Charter) -> Engine:
    return Engine(charter)
