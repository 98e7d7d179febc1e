"""Full-text search over the resource library (SQLite FTS5), safe and fast for every query.

Safety: member text never reaches MATCH as syntax. It is cut into words (letters and digits
only: quotes, ``*``, ``-``, ``:``, parentheses and ``NEAR`` lose any meaning), each word becomes a
double-quoted FTS5 string, and the parts of one hyphenated word form a phrase (``pair-aidance``
→ ``"pair aidance"``). Filters (guild, type, theme) are column filters built by us, never by
the member.

Speed: ranking every match with bm25 costs a few microseconds per matching row, so a word found
in most of 100,000 rows would cost tens of milliseconds. The plan therefore scores a *capped*
candidate set:

1. the newest ``cap + 1`` matches (FTS5 walks its doclists newest-first lazily and stops), with
   bm25. If at most ``cap`` came back, that is every match: the ranking is exact.
2. otherwise the words are very common (bm25's idf is near zero for them anyway) and the set is
   completed with the newest ``cap`` matches that carry a usefulness tier token (``u1`` = at least
   one « Utile » vote, maintained in the index by the domain), so voted resources are not lost
   behind recent ones.

Candidates are ordered by ``bm25 × boost`` (boost = 1 + ½·ln(1 + votes), pre-computed on each
vote), then by votes, then newest first.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from bot.db import Database
from bot.errors import UserError

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8
DEFAULT_CAP = 400
# Column weights for bm25: title, description, themes, site, kind, tier, guild_id.
BM25_WEIGHTS = "10.0, 3.0, 6.0, 2.0, 0.0, 0.0, 0.0"
TIER_THRESHOLDS = ((1, "u1"), (3, "u3"), (10, "u10"))

_WORD = re.compile(r"[^\W_]+")
# Elided articles and pronouns in front of an apostrophe: l'emploi → emploi.
_ELISION = re.compile(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
STOP_WORDS = frozenset(
    "a au aux avec ce ces cet cette d dans de des du en est et il elle je l la le les leur mais me "
    "ne ni nous on ou par pas pour qu que qui s sa se ses son sur t ta te tes ton un une vos votre "
    "vous y the of and to in for on an".split()
)


def fold(text: str) -> str:
    """Lower case without accents, as the FTS tokenizer sees it (``Rétablissement`` → ``retablissement``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _quote(words: list[str]) -> str:
    # Words hold letters and digits only, so no double quote can be inside; quoting anyway.
    return '"' + " ".join(w.replace('"', '""') for w in words) + '"'


def query_terms(text: str) -> list[list[str]]:
    """The member's query as a list of phrases (each a list of words), stop words removed when
    something else remains. Raises ``resources.search.empty`` when no word is left."""
    text = unicodedata.normalize("NFC", text or "")[:MAX_QUERY_CHARS]
    phrases: list[list[str]] = []
    for chunk in text.split():
        chunk = _ELISION.sub("", chunk)
        words = _WORD.findall(chunk)
        if words:
            phrases.append(words)
    if not phrases:
        raise UserError("resources.search.empty")
    meaningful = [p for p in phrases if not (len(p) == 1 and fold(p[0]) in STOP_WORDS)]
    phrases = meaningful or phrases
    # Deduplicate (folded) and keep the first few.
    seen: set[str] = set()
    unique: list[list[str]] = []
    for phrase in phrases:
        key = fold(" ".join(phrase))
        if key not in seen:
            seen.add(key)
            unique.append(phrase)
    return unique[:MAX_QUERY_WORDS]


def build_match(
    query: str, guild_id: int, *, kind: str | None = None, theme: str | None = None, tier: str | None = None
) -> str:
    """An FTS5 MATCH expression: every phrase quoted, ANDed, within the guild and filters."""
    parts = [
        "{title description themes site} : (" + " AND ".join(_quote(p) for p in query_terms(query)) + ")",
        f'guild_id : "{int(guild_id)}"',
    ]
    if kind:
        words = _WORD.findall(kind)
        if words:
            parts.append("kind : " + _quote(words))
    if theme:
        words = _WORD.findall(unicodedata.normalize("NFC", theme))
        if words:
            parts.append("themes : " + _quote(words[:10]))
    if tier:
        parts.append(f'tier : "{tier}"')
    return " AND ".join(parts)


def tier_for(votes: int) -> str:
    return " ".join(token for threshold, token in TIER_THRESHOLDS if votes >= threshold)


def boost_for(votes: int) -> float:
    return 1.0 + 0.5 * math.log1p(max(0, votes))


@dataclass(frozen=True, slots=True)
class Hit:
    resource_id: int
    score: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    ids: tuple[int, ...]     # the requested page, best first
    page: int                # 0-based
    has_next: bool
    total: int               # matches found (a lower bound when not exact)
    exact: bool              # every match was ranked


async def _candidates(db: Database, match: str, cap: int) -> list[tuple[int, float]]:
    rows = await db.fetchall(
        f"SELECT rowid, bm25(resources_fts, {BM25_WEIGHTS}) FROM resources_fts "
        "WHERE resources_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
        (match, cap),
    )
    return [(r[0], r[1]) for r in rows]


async def search_ids(
    db: Database,
    guild_id: int,
    query: str,
    *,
    kind: str | None = None,
    theme: str | None = None,
    page: int = 0,
    page_size: int = 5,
    cap: int = DEFAULT_CAP,
) -> SearchResult:
    """Rank the guild's live resources for ``query`` and return one page of ids."""
    page = max(0, page)
    found = await _candidates(db, build_match(query, guild_id, kind=kind, theme=theme), cap + 1)
    exact = len(found) <= cap
    scores = dict(found[:cap])
    if not exact:
        voted = await _candidates(db, build_match(query, guild_id, kind=kind, theme=theme, tier="u1"), cap)
        scores.update(voted)
    if not scores:
        return SearchResult((), page, False, 0, True)
    ids = list(scores)
    # Boost and votes for the candidates, one statement.
    placeholders = ",".join("?" * len(ids))
    rows = await db.fetchall(
        f"SELECT id, boost, useful_count FROM resources WHERE id IN ({placeholders})", ids
    )
    ranked = sorted(
        ((scores[r[0]] * r[1], -r[2], -r[0]) for r in rows),
    )
    ordered = [-key[2] for key in ranked]
    start = page * page_size
    chunk = ordered[start : start + page_size]
    return SearchResult(
        tuple(chunk), page, len(ordered) > start + page_size, len(ordered), exact
    )
