"""Full-text search over the resource library (SQLite FTS5), safe and fast for every query.

Safety: member text never reaches MATCH as syntax. It is cut into words (letters and digits
only: quotes, ``*``, ``-``, ``:``, parentheses and ``NEAR`` lose any meaning), each word becomes a
double-quoted FTS5 string, and the parts of one hyphenated word form a phrase (``pair-aidance``
→ ``"pair aidance"``). Filters (guild, type, theme) are column filters built by us, never by
the member. While a single guild has resources, the guild term is left out of MATCH (it is in
every row and ANDing it costs ~1 ms); fetched rows are always checked against the guild.

Speed: FTS5's own ``bm25()`` first walks the *whole* doclist of every phrase to compute its idf,
so a word found in most of 100,000 rows costs 2–8 ms before a single row is scored, whatever the
LIMIT (measured: the same 7.5 ms for LIMIT 1 and LIMIT 400). The plan therefore never calls it:

1. **Candidates** (rowids only, no scoring): the newest ``cap + 1`` matches of the full
   expression. FTS5 walks doclists newest-first lazily and stops, so this costs ~0.2 ms even for
   a word in every row. At most ``cap`` back means every match is a candidate: the ranking is exact.
2. Otherwise the words are very common; the set is completed with the newest ``voted_cap`` (40)
   matches that carry a usefulness tier token (``u1`` = at least one « Utile » vote, kept in the
   index by the domain), so voted resources are not lost behind recent ones. Forty covers the
   first eight pages of five; the walk to find them is the costliest statement of a search with
   several words, roughly in proportion to that number.
3. **Scoring** in Python over the candidates' short columns (title, themes, site: one statement
   fetches them, a few microseconds each to score): BM25 term saturation on the title (k1 = 1.2,
   b = 0.75, weight 10), a theme or site match adds 6 or 2, and a flat 3 stands for the
   description, which every candidate matched somewhere (its long text is not re-read). With several words,
   each word's idf comes from a *capped* document-frequency estimate (count up to 2,000 newest
   matches, then extrapolate by the rowid span they cover), cached per database for ten minutes.
4. Final order: ``score × boost`` (boost = 1 + ½·ln(1 + votes), pre-computed on each vote),
   then votes, then newest first.
"""

from __future__ import annotations

import math
import re
import sqlite3
import time
import unicodedata
from dataclasses import dataclass

from bot.core.db import Database
from bot.core.errors import UserError

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8
DEFAULT_CAP = 150
VOTED_CAP = 40
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
    query: str,
    guild_id: int | None,
    *,
    kind: str | None = None,
    theme: str | None = None,
    tier: str | None = None,
) -> str:
    """An FTS5 MATCH expression: every phrase quoted, ANDed, within the guild (when given) and filters."""
    parts = [
        "{title description themes site} : (" + " AND ".join(_quote(p) for p in query_terms(query)) + ")"
    ]
    if guild_id is not None:
        parts.append(f'guild_id : "{int(guild_id)}"')
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
class SearchResult:
    ids: tuple[int, ...]  # the requested page, best first
    page: int  # 0-based
    has_next: bool
    total: int  # matches found (a lower bound when not exact)
    exact: bool  # every match was ranked


_K1 = 1.2
_B = 0.75
TITLE_WEIGHT, THEMES_WEIGHT, SITE_WEIGHT, DESCRIPTION_WEIGHT = 10.0, 6.0, 2.0, 3.0
DF_SAMPLE = 2000
DF_TTL = 600.0
_df_cache: dict[tuple[str, str], tuple[float, float]] = {}
_only_guild_cache: dict[tuple[str, int], tuple[bool, float]] = {}
ONLY_GUILD_TTL = 30.0


def _variants() -> dict[str, str]:
    """Base letter → every casefolded Latin letter that folds to it (``e`` → ``eéèêë…``)."""
    groups: dict[str, set[str]] = {}
    for code in range(0xC0, 0x250):
        char = chr(code).casefold()
        if len(char) != 1:
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if len(base) == 1 and base.isascii() and base != char:
            groups.setdefault(base, {base}).add(char)
    return {base: "[" + "".join(sorted(chars)) + "]" for base, chars in groups.items()}


_LETTER_CLASS = _variants()


def _skeleton(text: str) -> bytes:
    """ASCII letters left after decomposition: a per-character map, so a substring's skeleton is a
    substring of the skeleton (what makes it a safe pre-filter for ``_phrase_pattern``)."""
    return unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore")


def _phrase_pattern(phrase: list[str]) -> re.Pattern[str]:
    """Matches the phrase in *casefolded* text, accents ignored, as whole words (hyphens allowed)."""
    words = ["".join(_LETTER_CLASS.get(ch, re.escape(ch)) for ch in fold(w)) for w in phrase]
    return re.compile(r"(?<![^\W_])" + r"[\W_]+".join(words) + r"(?![^\W_])")


def _candidate_ids(conn: sqlite3.Connection, match: str, limit: int) -> list[int]:
    rows = conn.execute(
        "SELECT rowid FROM resources_fts WHERE resources_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
        (match, limit),
    ).fetchall()
    return [r[0] for r in rows]


def _span_and_frequencies(
    conn: sqlite3.Connection, db_key: str, phrases: list[list[str]]
) -> tuple[tuple[int, int], list[float]]:
    """The id span of the table and the rows containing each phrase (estimated beyond DF_SAMPLE,
    cached per database), in one statement."""
    now = time.monotonic()
    keys = [(db_key, fold(" ".join(phrase))) for phrase in phrases]
    frequencies: dict[int, float] = {}
    for i, key in enumerate(keys):
        cached = _df_cache.get(key)
        if cached is not None and now - cached[1] < DF_TTL:
            frequencies[i] = cached[0]
    missing = [i for i in range(len(phrases)) if i not in frequencies]
    # Each MIN/MAX in its own sub-select: SQLite seeks the index for a lone min() or max() only.
    arms = ["SELECT -1, (SELECT MIN(id) FROM resources), (SELECT MAX(id) FROM resources)"]
    params: list = []
    for i in missing:
        arms.append(
            f"SELECT {i}, COUNT(*), MIN(rowid) FROM (SELECT rowid FROM resources_fts WHERE resources_fts "
            "MATCH ? ORDER BY rowid DESC LIMIT ?)"
        )
        params += ["{title description themes site} : " + _quote(phrases[i]), DF_SAMPLE]
    rows = {row[0]: (row[1], row[2]) for row in conn.execute(" UNION ALL ".join(arms), params)}
    low, high = rows[-1]
    span = (low or 0, high or 0)
    if len(_df_cache) > 5000:
        _df_cache.clear()
    for i in missing:
        count, lowest = rows[i]
        if count < DF_SAMPLE or lowest is None:
            df = float(count)
        else:
            covered = max(1, span[1] - lowest + 1)
            df = min(float(span[1] - span[0] + 1), count * (span[1] - span[0] + 1) / covered)
        frequencies[i] = df
        _df_cache[keys[i]] = (df, now)
    return span, [frequencies[i] for i in range(len(phrases))]


async def _only_guild(db: Database, guild_id: int) -> bool:
    """True when no other guild has live resources: the guild term can then stay out of MATCH
    (ANDing a term present in every row costs ~1 ms); rows are still checked against the guild."""
    key = (str(db.path), guild_id)
    cached = _only_guild_cache.get(key)
    now = time.monotonic()
    if cached is not None and now - cached[1] < ONLY_GUILD_TTL:
        return cached[0]
    # Two index seeks (resources_sharer leads with guild_id); removed rows count too (conservative).
    row = await db.fetchone(
        "SELECT (SELECT 1 FROM resources WHERE guild_id < ? LIMIT 1), (SELECT 1 FROM resources WHERE "
        "guild_id > ? LIMIT 1)",
        (guild_id, guild_id),
    )
    other = row[0] or row[1]
    if len(_only_guild_cache) > 1000:
        _only_guild_cache.clear()
    _only_guild_cache[key] = (other is None, now)
    return other is None


def forget_document_frequencies() -> None:
    """Drop the cached word counts (benchmarks measure every search as a first one)."""
    _df_cache.clear()


def forget_guilds(db: Database) -> None:
    """Call after a write that adds a guild's first resource (the cache would be stale for 30 s)."""
    for key in [k for k in _only_guild_cache if k[0] == str(db.path)]:
        del _only_guild_cache[key]


def _idf(df: float, total: float) -> float:
    # BM25's idf, floored like FTS5 does, so very common words still count a little.
    return max(1e-6, math.log((total - df + 0.5) / (df + 0.5)))


def _read_candidates(
    conn: sqlite3.Connection,
    match: str,
    voted_match: str,
    cap: int,
    voted_cap: int,
    guild_id: int,
    phrases: list[list[str]],
    db_key: str,
) -> tuple[list, bool, tuple[int, int], list[float]]:
    """Candidates (steps 1 and 2), their short columns, and with several words the word counts:
    (live rows of the guild, exact, id span, document frequencies). Runs in the database thread."""
    found = _candidate_ids(conn, match, cap + 1)
    exact = len(found) <= cap
    ids = dict.fromkeys(found[:cap])
    if not exact:
        ids.update(dict.fromkeys(_candidate_ids(conn, voted_match, voted_cap)))
    if not ids:
        return [], exact, (0, 0), []
    placeholders = ",".join("?" * len(ids))
    # By rowid only (a guild_id condition tempts the planner into scanning the guild's index).
    fetched = conn.execute(
        f"SELECT id, title, themes, site, boost, useful_count, guild_id, removed_at FROM resources "
        f"WHERE id IN ({placeholders})",
        list(ids),
    ).fetchall()
    rows = [r for r in fetched if r[6] == guild_id and r[7] is None]
    if not rows or len(phrases) < 2:
        return rows, exact, (0, 0), []
    span, frequencies = _span_and_frequencies(conn, db_key, phrases)
    return rows, exact, span, frequencies


@dataclass(frozen=True, slots=True)
class _PreparedText:
    """A candidate's title and themes as the scoring reads them (casefolded, skeletons, length)."""

    raw_title: str
    raw_themes: str
    title: str
    title_words: int
    title_skeleton: bytes
    themes: str
    themes_skeleton: bytes


PREPARED_MAX = 10_000
# By resource id. The newest matches of common words are candidates of most searches, so their
# folding is done once, not at every search (it was most of the per-candidate cost); an entry is
# used only while the row's title and themes are the same strings, so an edit is never missed.
_prepared: dict[int, _PreparedText] = {}


def _prepared_text(row) -> _PreparedText:
    cached = _prepared.get(row[0])
    if cached is not None and cached.raw_title == row[1] and cached.raw_themes == row[2]:
        return cached
    title = row[1].casefold()
    themes = row[2].casefold()
    text = _PreparedText(
        row[1],
        row[2],
        title,
        len(title.split()),
        _skeleton(title),
        themes,
        _skeleton(themes) if themes else b"",
    )
    if len(_prepared) >= PREPARED_MAX:
        _prepared.clear()
    _prepared[row[0]] = text
    return text


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
    voted_cap: int = VOTED_CAP,
) -> SearchResult:
    """Rank the guild's live resources for ``query`` and return one page of ids."""
    page = max(0, page)
    phrases = query_terms(query)
    scope = None if await _only_guild(db, guild_id) else guild_id
    match = build_match(query, scope, kind=kind, theme=theme)
    voted_match = build_match(query, scope, kind=kind, theme=theme, tier="u1")
    # Every read of the search in ONE trip to the database thread: on a busy machine each trip
    # costs more than the index walks it carries (db.run's transaction is read-only here).
    rows, exact, span, frequencies = await db.run(
        _read_candidates, match, voted_match, cap, voted_cap, guild_id, phrases, str(db.path)
    )
    if not rows:
        return SearchResult((), page, False, 0, True)
    if len(phrases) > 1:
        total_docs = float(max(1, span[1] - span[0] + 1))
        idfs = [_idf(df, total_docs) for df in frequencies]
    else:
        idfs = [1.0]  # one word: its idf is the same for every candidate
    patterns = [_phrase_pattern(p) for p in phrases]
    # Most candidates matched in their description only: a C-speed substring test on an ASCII
    # skeleton (never a false negative) spares them the accent-aware regex, the costliest step.
    needles = [_skeleton(p[0]) for p in phrases]
    site_needles = [n.decode("ascii") for n in needles]
    prepared = [_prepared_text(row) for row in rows]
    average = max(1.0, sum(p.title_words for p in prepared) / len(prepared))
    ranked = []
    for row, text in zip(rows, prepared, strict=True):
        title, length, title_skeleton = text.title, text.title_words, text.title_skeleton
        themes, themes_skeleton = text.themes, text.themes_skeleton
        site = row[3]
        site_is_ascii = site.isascii()
        score = 0.0
        for idf, pattern, needle, site_needle in zip(idfs, patterns, needles, site_needles, strict=True):
            term = DESCRIPTION_WEIGHT
            tf = len(pattern.findall(title)) if needle in title_skeleton else 0
            if tf:
                term += TITLE_WEIGHT * tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * length / average))
            if needle in themes_skeleton and pattern.search(themes):
                term += THEMES_WEIGHT
            if (site_needle in site or not site_is_ascii) and pattern.search(site):
                term += SITE_WEIGHT
            score += idf * term
        ranked.append((-score * row[4], -row[5], -row[0]))
    ranked.sort()
    ordered = [-key[2] for key in ranked]
    start = page * page_size
    chunk = ordered[start : start + page_size]
    return SearchResult(tuple(chunk), page, len(ordered) > start + page_size, len(ordered), exact)
