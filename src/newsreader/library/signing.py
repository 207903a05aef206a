"""Signing articles for stories: each article's text as a weighted vector of its telling words,
and the scores that compare two of them (see :mod:`newsreader.library.stories` for the whole).

Light on purpose: a rebuild's pool workers are spawned and import this module alone.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import re
import sqlite3
import unicodedata
from array import array
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from typing import Any

from newsreader.library.db import in_chunks
from newsreader.library.pools import map_ordered

#: Words of the body that are read. Reports of one event share their lead; the tail of a page
#: dump is comments and share buttons, which would only add noise.
BODY_WORDS = 300
#: Terms kept per vector. A news lead has 30 to 60 content words worth weighing.
VECTOR_TERMS = 48
#: The heaviest terms of each vector are indexed in ``story_keys`` (see ``grouping.KEY_TERMS``).
INDEX_TERMS = 20
#: Document frequencies are read as if the folder held at least this many articles. In a small
#: folder every word is rare or everywhere (in five articles about the NYPD, "nypd" is in all
#: five), which says little about how telling a word is; the floor flattens idf there, so tf and
#: names decide, and it has no effect on big folders.
IDF_MIN_DOCS = 1000
#: Weight multiplier for words capitalised mid-sentence in the excerpt and body: names of people,
#: organisations and places identify an event better than common words do.
ENTITY_BOOST = 2
#: Terms found in more than this share of the folder (counted as at least :data:`IDF_MIN_DOCS`
#: articles) are not looked up either: a word in one article of fifty is a topic word.
COMMON_SHARE = 0.02
#: Threshold on the combined story score. Re-reports of one event (rewrites of the same wire
#: copy, a follow-up quoting the same people) score 0.3 and more on lead-weighted vectors, while
#: different events on one topic mostly share a few topical words (0.1 to 0.25).
STORY_MIN = 0.3
#: Added to the cosine when either article's ``related[]`` resolves to the other. Editors link
#: related coverage, usually of the same story but sometimes only of the topic, so a link alone
#: (cosine 0) never makes a story, but it carries a pair that shares the story's words halfway.
LINK_BONUS = 0.2
#: Reports this many days apart or closer are not penalised: a news cycle.
SAME_DAYS = 3.0
#: After that, the story score halves every this many days, up to :data:`STORY_WINDOW_DAYS`
#: (a week later it keeps 0.91 of itself: a follow-up still counts), and is 0 beyond it.
HALF_LIFE_DAYS = 30.0
#: Decay when either date is unknown (page dumps): no evidence either way, so the text decides.
UNKNOWN_DATE = 1.0
#: A story's dated reports lie within this many days of each other: a pair further apart is no
#: story edge, and grouping never lets a chain of close pairs stretch a story past it. Measured:
#: the seeds' NYPD reports span 2.3 days, a news cycle's follow-ups a few days more; a daily
#: newsletter chained by single links ran 2019-2024 into one "story" of 630 articles.
STORY_WINDOW_DAYS = 7.0

#: Articles read, signed and stored at a time by ``stories._rebuild``: their texts are the biggest
#: thing it holds, so it never holds more than this many.
REBUILD_CHUNK = 500

#: From this many articles on, a rebuild signs in a process pool (both cores): tokenising and
#: signing is most of its time, and below this a pool costs more to start than it saves.
POOL_FROM = 5000

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could couldn did didn do does doesn doing
    don down during each few for from further get gets got had hadn has hasn have haven having he
    her here hers herself him himself his how however i if in into is isn it its itself just let
    ll me more most much must mustn my myself no nor not now of off on once only or other ought
    our ours ourselves out over own re said same say says she should shouldn so some such than
    that the their theirs them themselves then there these they this those through to too under
    until up us ve very was wasn we were weren what when where which while who whom why will
    with won would wouldn you your yours yourself yourselves one two new like also many may might
    even still yet back way well make made use used using via per according including s t d m
    mr mrs ms re it's
    """.split()
)

#: A word of two characters or more (a shorter one is never a term).
_WORD = re.compile(r"[^\W_]{2,}")
#: A word after a space that follows a word character or a comma (the name finder).
_NAME = re.compile(r"(?<=[\w,;]) ([^\W\d_][^\W_]*)")
# The same for ASCII text, which most is: re runs ASCII classes twice as fast, and the name
# finder keeps only capitalised words itself.
_ASCII_WORD = re.compile(_WORD.pattern, re.ASCII)
_ASCII_NAME = re.compile(r"(?<=[\w,;]) ([A-Z][A-Za-z0-9]*)", re.ASCII)

#: A term's idf, the idf of an unseen term, and the lowest idf still looked up (see ``idf``).
Idf = tuple[dict[str, float], float, float]
#: A signed article as a rebuild's pool sends it back, in types that are cheap to pickle
#: (dicts, lists and sets of strings cost more to send than to compute): its vector's terms
#: heaviest first, space-separated; their weights times 10,000 as the bytes of an ``array("h")``;
#: which of the indexed terms are rare enough to look up, as bits by rank; the vector as JSON;
#: and the boilerplate terms it carried (see ``dropped``).
Signed = tuple[str, bytes, int, str, str]


def _fold(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """Content words of ``text`` as the full-text index sees them: lowercase, diacritics folded."""
    text = text.lower()
    words = _ASCII_WORD.findall(text) if text.isascii() else _WORD.findall(_fold(text))
    return [t for t in words if t not in STOPWORDS and not t.isdigit()]


def _names(text: str) -> set[str]:
    """Words capitalised after a word or a comma (so not at a sentence start): a name finder."""
    if text.isascii():
        found = _ASCII_NAME.findall(text)
    else:
        found = [w for w in _NAME.findall(text) if w[0].isupper()]
    return set(tokens(" ".join(found))) if found else set()


def term_counts(title: str, excerpt: str, body: str) -> Counter[str]:
    """Weighted term counts: title x3, excerpt x2 (unless the body starts with it), lead of body.

    Names in the excerpt and lead count :data:`ENTITY_BOOST` times.
    """
    lead = " ".join(body.split(maxsplit=BODY_WORDS)[:BODY_WORDS])
    counts: Counter[str] = Counter(tokens(lead))
    names = _names(lead)
    probe = " ".join(excerpt.split()[:8])
    if excerpt and not (probe and lead.startswith(probe)):
        names |= _names(excerpt)
        words = tokens(excerpt)
        counts.update(words)  # twice: weight 2, counted in C
        counts.update(words)
    for term in tokens(title):
        counts[term] += 3
    for term in names & counts.keys():
        counts[term] *= ENTITY_BOOST
    return counts


def idf(df: dict[str, int], n: int) -> tuple[dict[str, float], float, float]:
    """idf of each term of ``df``, the idf of an unseen term, and the lowest idf still looked up.

    ``n`` is floored at :data:`IDF_MIN_DOCS`; terms above :data:`COMMON_SHARE` of it are common.
    """
    n = max(n, IDF_MIN_DOCS)
    top = math.log(n + 1)
    idf = {term: top - math.log(count + 1) + 1.0 for term, count in df.items()}
    return idf, top + 1.0, top - math.log(COMMON_SHARE * n + 1) + 1.0


def sign(
    counts: Counter[str],
    idf: tuple[dict[str, float], float, float],
    excluded: frozenset[str] = frozenset(),
) -> tuple[dict[str, float], list[str], set[str]]:
    """The L2-normalised top-weighted vector, its indexed terms (heaviest first), and those of
    them rare enough to look up (see :data:`COMMON_SHARE`). ``excluded`` terms (the boilerplate
    of the article's source or series, see :mod:`newsreader.library.series`) get no weight."""
    known, unseen, common = idf
    for term in excluded:
        counts.pop(term, None)
    log = math.log
    # Sorting all (weight, term) pairs gives what heapq.nlargest did (terms are unique, so no
    # ties), but in C rather than nlargest's Python loop: sign measured ~20% faster.
    weights = [((1.0 + log(tf)) * known.get(term, unseen), term) for term, tf in counts.items()]
    weights.sort(reverse=True)
    del weights[VECTOR_TERMS:]
    norm = math.sqrt(sum(w * w for w, _ in weights)) or 1.0
    vector = {term: round(w / norm, 4) for w, term in weights}
    keys = [term for _, term in weights[:INDEX_TERMS]]
    return vector, keys, {term for term in keys if known.get(term, unseen) >= common}


def dropped(counts: Counter[str], excluded: frozenset[str]) -> str:
    """The ``excluded`` terms an article carries, space-separated, as ``story_dropped`` keeps
    them: when a term stops being boilerplate, only its carriers need signing again."""
    return " ".join(sorted(counts.keys() & excluded)) if excluded else ""


def cosine(a: dict[Any, float], b: dict[Any, float]) -> float:
    """Dot product of two normalised sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[t] for t, w in a.items() if t in b)


def date_decay(a: int | None, b: int | None) -> float:
    """How much publication dates ``a`` and ``b`` (epoch seconds) keep of a story score."""
    if a is None or b is None:
        return UNKNOWN_DATE
    days = abs(a - b) / 86400.0
    if days <= SAME_DAYS:
        return 1.0
    if days > STORY_WINDOW_DAYS:
        return 0.0
    return float(0.5 ** ((days - SAME_DAYS) / HALF_LIFE_DAYS))


def story_score(similarity: float, linked: bool, a: int | None, b: int | None) -> float:
    """Combined evidence that two articles report one story (compare with :data:`STORY_MIN`).

    An undated article joins only by strong evidence, its text alone: a link carries a dated pair
    because their dates corroborate it, but editors also link background from years before, and
    without a date nothing tells the two apart.
    """
    bonus = LINK_BONUS if linked and a is not None and b is not None else 0.0
    return min(1.0, similarity + bonus) * date_decay(a, b)


def document_frequencies(conn: sqlite3.Connection, terms: Iterable[str] | None) -> dict[str, int]:
    """Document frequencies from the full-text index (all of them when ``terms`` is None)."""
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.story_vocab USING fts5vocab(main, 'fts', 'row')"
    )
    if terms is None:
        return dict(conn.execute("SELECT term, doc FROM temp.story_vocab"))
    out: dict[str, int] = {}
    for marks, chunk in in_chunks(sorted(set(terms))):
        out.update(
            conn.execute(f"SELECT term, doc FROM temp.story_vocab WHERE term IN ({marks})", chunk)
        )
    return out


def _sign_many(idf: Idf, texts: list[tuple[str, str, str, frozenset[str]]]) -> list[Signed]:
    """Sign a chunk of articles, each as (title, excerpt, lead of the body, boilerplate terms):
    a pool task."""
    out: list[Signed] = []
    for title, excerpt, lead, excluded in texts:
        counts = term_counts(title, excerpt, lead)
        carried = dropped(counts, excluded)
        vector, keys, rare = sign(counts, idf, excluded)
        # A weight is rounded to 4 places, so 10,000 times it is an exact int of two bytes.
        weights = array("h", [round(w * 10_000) for w in vector.values()])
        looked_up = sum(1 << rank for rank, key in enumerate(keys) if key in rare)
        encoded = json.dumps(vector, separators=(",", ":"))
        out.append((" ".join(vector), weights.tobytes(), looked_up, encoded, carried))
    return out


def signed_chunks(
    conn: sqlite3.Connection, idf: Idf, n: int, excluded: dict[int, frozenset[str]] | None = None
) -> Iterator[tuple[list[tuple[int, int | None]], list[Signed]]]:
    """((rowid, published) of each article, what signing it gave) a chunk at a time, in rowid
    order; signed by a pool of every core when the folder (``n`` articles) is big, else here.
    Only the lead of each body is read and sent: it is all that ``term_counts`` uses.
    ``excluded`` gives the boilerplate terms of the articles that have any.

    The pool's workers are spawned: a fresh interpreter that imports this module alone costs a
    fraction of a second and a third of the memory of a parse worker, which carries
    trafilatura and lxml (the sync's forkserver preloads them).
    """
    keys: deque[list[tuple[int, int | None]]] = deque()
    skip = excluded or {}
    none: frozenset[str] = frozenset()

    def texts() -> Iterator[list[tuple[str, str, str, frozenset[str]]]]:
        last = -(2**63)
        while rows := conn.execute(
            "SELECT rowid, title, excerpt, body, published FROM articles"
            " WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (last, REBUILD_CHUNK),
        ).fetchall():
            last = rows[-1][0]
            keys.append([(r[0], r[4]) for r in rows])
            yield [
                (
                    r[1],
                    r[2],
                    " ".join(r[3].split(maxsplit=BODY_WORDS)[:BODY_WORDS]),
                    skip.get(r[0], none),
                )
                for r in rows
            ]

    workers = os.cpu_count() or 1
    for signed in map_ordered(
        _sign_many,
        idf,
        texts(),
        workers=workers if n >= POOL_FROM else 1,
        context=lambda: multiprocessing.get_context("spawn"),
        window=2 * workers + 1,
    ):
        yield keys.popleft(), signed
