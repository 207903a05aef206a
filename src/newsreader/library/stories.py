"""Stories, similar articles and inferred topics: derived data computed from the cache.

Everything here is rebuildable from the ``articles``, ``links`` and ``url_keys`` tables, so it
lives in the cache database, in tables of its own (``story_*``, ``similar``, ``stories``,
``inferred_topics``), and never touches the user's state or an article's real topics.

How it works
------------
1. **Signing.** Each article becomes a TF-IDF vector over its title (weight 3), excerpt (weight 2,
   skipped when it merely repeats the start of the body) and the first :data:`BODY_WORDS` words of
   its body: lowercase unicode words, diacritics folded, stopwords and bare numbers dropped, tf
   sublinear (``1 + ln tf``). Document frequencies come from the folder's own full-text index
   (``fts5vocab`` over ``fts``), which the sync already maintains exactly, inserts and deletes
   alike, so they cost no storage and never drift. Only the :data:`VECTOR_TERMS` heaviest terms
   are kept (L2-normalised): the cosine of two news texts is dominated by their heaviest terms,
   and this bounds storage at 100,000 articles.
2. **Candidates.** The :data:`KEY_TERMS` heaviest terms of each vector are its *keys*, stored in
   ``story_keys(term, article)`` with an index, so a new article finds its candidates by index
   look-ups, never by a scan. Two articles are candidates when they share at least
   :data:`MIN_SHARED_KEYS` keys. Keys whose posting list is longer than :data:`POSTING_CAP` are
   skipped: a term that is a key of hundreds of articles names a topic ("police"), not a story,
   and skipping it bounds the work per article. Articles linked by ``related[]`` are always
   candidates.

   Why not MinHash over shingles: it estimates the *Jaccard* index of two whole sets, and reports
   of one story often differ wildly in length (seed 000 is a 30-word excerpt, seed 002 a 500-word
   body), so their Jaccard index is tiny even when one is contained in the other. Shared heavy
   keys find those pairs, and in pure Python they are cheaper to compute than dozens of
   permutations per article.
3. **Scores.** ``similar`` stores every candidate pair with a cosine of at least
   :data:`SIMILAR_MIN`. A pair is a *story edge* when
   ``min(1, cosine + LINK_BONUS * linked) * date_decay(days apart) >= STORY_MIN``.
4. **Stories** are the connected components of story edges of two or more articles (union-find
   when everything is rebuilt; a breadth-first walk over the touched part otherwise). A story's
   id is the smallest article id in it, so it survives additions and most edits.
5. **Inferred topics**: an untagged article takes the topics of its tagged neighbours, weighted by
   similarity (see :func:`_infer`). They are kept in ``inferred_topics``, apart from real topics.

Incremental updates re-sign only the changed articles, look their candidates up through the
index, and re-walk only the stories they belonged to or join. :func:`update` with an empty set
returns at once.
"""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing
import os
import re
import sqlite3
import time
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from newsreader.library.db import write
from newsreader.library.workers import watch_parent

#: Bump when signing or scoring changes: the next update rebuilds everything.
VERSION = 1

#: Words of the body that are read. Reports of one event share their lead; the tail of a page
#: dump is comments and share buttons, which would only add noise.
BODY_WORDS = 300
#: Terms kept per vector. A news lead has 30 to 60 content words worth weighing.
VECTOR_TERMS = 48
#: The heaviest terms of each vector are indexed in ``story_keys``...
INDEX_TERMS = 20
#: ...and the heaviest of those are its keys. Two articles are candidates when the keys of one
#: include at least :data:`MIN_SHARED_KEYS` indexed terms of the other, in either direction: the
#: short excerpt of one report names the story's main words, which a long body also carries,
#: if not always among its very heaviest.
KEY_TERMS = 10
#: One shared word is a topic, two are the start of a story.
MIN_SHARED_KEYS = 2
#: Document frequencies are read as if the folder held at least this many articles. In a small
#: folder every word is rare or everywhere (in five articles about the NYPD, "nypd" is in all
#: five), which says little about how telling a word is; the floor flattens idf there, so tf and
#: names decide, and it has no effect on big folders.
IDF_MIN_DOCS = 1000
#: Weight multiplier for words capitalised mid-sentence in the excerpt and body: names of people,
#: organisations and places identify an event better than common words do.
ENTITY_BOOST = 2
#: Keys with more articles than this are skipped in look-ups (topics, not stories).
POSTING_CAP = 150
#: Terms found in more than this share of the folder (counted as at least :data:`IDF_MIN_DOCS`
#: articles) are not looked up either: a word in one article of fifty is a topic word.
COMMON_SHARE = 0.02
#: At most this many candidates are scored per article, the ones sharing the most keys first.
MAX_CANDIDATES = 40
#: Pairs at least this similar are kept for "Similar in your library" and topic inference. Below
#: 0.1 two news texts share little more than common words.
SIMILAR_MIN = 0.1
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
#: After that, the story score halves every this many days: a month later a report is as likely
#: a new story as a follow-up, a year later (12 half-lives) almost certainly a new one.
HALF_LIFE_DAYS = 30.0
#: Decay when either date is unknown (page dumps): no evidence either way, so the text decides.
UNKNOWN_DATE = 1.0
#: Inferred topics: a topic's score is the similarity-weighted share of tagged neighbours carrying
#: it, shrunk by this prior weight so one faint neighbour cannot decide alone.
INFER_PRIOR = 0.3
#: Minimum score for a topic to be suggested, and how many at most.
INFER_MIN = 0.3
INFER_MAX = 3

SCHEMA = """
CREATE TABLE IF NOT EXISTS story_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS story_docs(
    article INTEGER PRIMARY KEY, published INTEGER, vector TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS story_keys(
    term TEXT NOT NULL, article INTEGER NOT NULL, rank INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS story_keys_term ON story_keys(term, article);
CREATE INDEX IF NOT EXISTS story_keys_article ON story_keys(article);
CREATE TABLE IF NOT EXISTS similar(
    article INTEGER NOT NULL, other INTEGER NOT NULL, score REAL NOT NULL, story INTEGER NOT NULL,
    PRIMARY KEY(article, other)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS similar_other ON similar(other);
CREATE TABLE IF NOT EXISTS stories(article INTEGER PRIMARY KEY, story TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS stories_story ON stories(story);
CREATE TABLE IF NOT EXISTS story_index(
    story TEXT PRIMARY KEY, size INTEGER NOT NULL, newest INTEGER, article INTEGER NOT NULL,
    title TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS story_index_order ON story_index(size DESC, newest DESC, story);
CREATE TABLE IF NOT EXISTS inferred_topics(
    article INTEGER NOT NULL, topic TEXT NOT NULL, score REAL NOT NULL,
    PRIMARY KEY(article, topic)
) WITHOUT ROWID;
"""

_TABLES = ("story_docs", "story_keys", "similar", "stories", "story_index", "inferred_topics")

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

_WORD = re.compile(r"[^\W_]+")
#: A word after a space that follows a word character or a comma (the name finder).
_NAME = re.compile(r"(?<=[\w,;]) ([^\W\d_][^\W_]*)")


@dataclass
class StoryStats:
    """What one :func:`update` did."""

    signed: int = 0
    removed: int = 0
    pairs: int = 0
    stories: int = 0
    rebuilt: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for people."""
        kind = "rebuilt" if self.rebuilt else "updated"
        return (
            f"stories {kind}: {self.signed} signed, {self.removed} removed, {self.pairs} pairs,"
            f" {self.stories} stories touched in {self.seconds:.2f}s"
        )


@dataclass(slots=True)
class _Doc:
    rowid: int
    id: str
    title: str
    published: int | None
    tagged: bool
    vector: dict[str, float]
    keys: list[str]
    searchable: set[str] = field(default_factory=set)


# -- schema ---------------------------------------------------------------------------------------


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the derived tables if they are missing (all of them rebuildable)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def _ready(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'story_index'"
    ).fetchone()
    return row is not None


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    if conn.in_transaction:
        yield
        return
    with write(conn):
        yield


# -- text -----------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """Content words of ``text`` as the full-text index sees them: lowercase, diacritics folded."""
    return [
        t
        for t in _WORD.findall(_fold(text.lower()))
        if len(t) > 1 and t not in STOPWORDS and not t.isdigit()
    ]


def _names(text: str) -> set[str]:
    """Words capitalised after a word or a comma (so not at a sentence start): a name finder."""
    return set(tokens(" ".join(w for w in _NAME.findall(text) if w[0].isupper())))


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
        for term in tokens(excerpt):
            counts[term] += 2
    for term in tokens(title):
        counts[term] += 3
    for term in names:
        if term in counts:
            counts[term] *= ENTITY_BOOST
    return counts


def _idf(df: dict[str, int], n: int) -> tuple[dict[str, float], float, float]:
    """idf of each term of ``df``, the idf of an unseen term, and the lowest idf still looked up.

    ``n`` is floored at :data:`IDF_MIN_DOCS`; terms above :data:`COMMON_SHARE` of it are common.
    """
    n = max(n, IDF_MIN_DOCS)
    top = math.log(n + 1)
    idf = {term: top - math.log(count + 1) + 1.0 for term, count in df.items()}
    return idf, top + 1.0, top - math.log(COMMON_SHARE * n + 1) + 1.0


def _sign(
    counts: Counter[str], idf: tuple[dict[str, float], float, float]
) -> tuple[dict[str, float], list[str], set[str]]:
    """The L2-normalised top-weighted vector, its indexed terms (heaviest first), and those of
    them rare enough to look up (see :data:`COMMON_SHARE`)."""
    known, unseen, common = idf
    log = math.log
    # Sorting all (weight, term) pairs gives what heapq.nlargest did (terms are unique, so no
    # ties), but in C rather than nlargest's Python loop: _sign measured ~20% faster.
    weights = [((1.0 + log(tf)) * known.get(term, unseen), term) for term, tf in counts.items()]
    weights.sort(reverse=True)
    del weights[VECTOR_TERMS:]
    norm = math.sqrt(sum(w * w for w, _ in weights)) or 1.0
    vector = {term: round(w / norm, 4) for w, term in weights}
    keys = [term for _, term in weights[:INDEX_TERMS]]
    return vector, keys, {term for term in keys if known.get(term, unseen) >= common}


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
    return float(0.5 ** ((days - SAME_DAYS) / HALF_LIFE_DAYS))


def story_score(similarity: float, linked: bool, a: int | None, b: int | None) -> float:
    """Combined evidence that two articles report one story (compare with :data:`STORY_MIN`)."""
    return min(1.0, similarity + (LINK_BONUS if linked else 0.0)) * date_decay(a, b)


def _document_frequencies(conn: sqlite3.Connection, terms: Iterable[str] | None) -> dict[str, int]:
    """Document frequencies from the full-text index (all of them when ``terms`` is None)."""
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.story_vocab USING fts5vocab(main, 'fts', 'row')"
    )
    if terms is None:
        return dict(conn.execute("SELECT term, doc FROM temp.story_vocab"))
    out: dict[str, int] = {}
    wanted = sorted(set(terms))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        out.update(
            conn.execute(f"SELECT term, doc FROM temp.story_vocab WHERE term IN ({marks})", chunk)
        )
    return out


# -- update ---------------------------------------------------------------------------------------


def update(conn: sqlite3.Connection, changed_rowids: set[int] | None) -> StoryStats:
    """Bring stories up to date after a sync that added, changed or removed ``changed_rowids``.

    ``None`` rebuilds everything. An empty set returns at once. Otherwise only the given articles
    (plus any article not signed yet, and any signed article that has gone) are re-signed, and
    only the stories they belonged to or join are regrouped. Runs in one transaction of its own
    unless ``conn`` is already in one.
    """
    if changed_rowids is not None and not changed_rowids:
        return StoryStats()
    started = time.perf_counter()
    ensure_schema(conn)
    with _transaction(conn):
        row = conn.execute("SELECT value FROM story_meta WHERE key = 'version'").fetchone()
        if changed_rowids is None or row is None or row[0] != str(VERSION):
            stats = _rebuild(conn)
        else:
            stats = _update(conn, changed_rowids)
    stats.seconds = time.perf_counter() - started
    return stats


def changed_rowids(conn: sqlite3.Connection, article_ids: Iterable[str]) -> set[int]:
    """Rowids of the given article ids that still exist (for ``SyncReport.changed_ids``).

    Ids of deleted articles have no rowid any more; :func:`update` finds those itself, so pass the
    result even when it is empty but ``article_ids`` was not: then call ``update(conn, {-1})``.
    """
    ids = list(article_ids)
    out: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        out.update(
            r[0] for r in conn.execute(f"SELECT rowid FROM articles WHERE id IN ({marks})", chunk)
        )
    return out


def _load(
    conn: sqlite3.Connection, where: str, params: Sequence[int]
) -> list[tuple[int, str, str, str, str, int | None, str]]:
    return conn.execute(
        "SELECT rowid, id, title, excerpt, body, published, topics FROM articles" + where, params
    ).fetchall()


#: Articles read, signed and stored at a time by :func:`_rebuild`: their texts are the biggest
#: thing it holds, so it never holds more than this many.
REBUILD_CHUNK = 500
#: The float of each weight a signed vector can hold (see ``_rebuild``).
SCALE = [k / 10_000 for k in range(10_001)]


#: From this many articles on, a rebuild signs in a process pool (both cores): tokenising and
#: signing is most of its time, and below this a pool costs more to start than it saves.
POOL_FROM = 5000

Signed = tuple[dict[str, float], list[str], set[str], str]
_IDF: tuple[dict[str, float], float, float] = ({}, 0.0, 0.0)


def _sign_text(title: str, excerpt: str, lead: str) -> Signed:
    vector, keys, rare = _sign(term_counts(title, excerpt, lead), _IDF)
    return vector, keys, rare, json.dumps(vector, separators=(",", ":"))


def _sign_many(texts: list[tuple[str, str, str]]) -> list[Signed]:
    """A pool worker's task: one chunk of articles."""
    return [_sign_text(*text) for text in texts]


def _start_signer(idf: tuple[dict[str, float], float, float], parent: int) -> None:
    """Pool worker start-up: the folder's idf once, and an end when newsreader is gone."""
    global _IDF
    _IDF = idf
    watch_parent(parent)


def _signed_chunks(
    conn: sqlite3.Connection, idf: tuple[dict[str, float], float, float], n: int
) -> Iterator[tuple[list[tuple[int, int | None]], list[Signed]]]:
    """((rowid, published) of each article, what signing it gave) a chunk at a time, in rowid
    order; signed by a pool of every core when the folder is big, else here. Only the lead of
    each body is read and sent: it is all that ``term_counts`` uses."""
    global _IDF

    def chunks() -> Iterator[tuple[list[tuple[int, int | None]], list[tuple[str, str, str]]]]:
        last = -(2**63)
        while rows := conn.execute(
            "SELECT rowid, title, excerpt, body, published FROM articles"
            " WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (last, REBUILD_CHUNK),
        ).fetchall():
            last = rows[-1][0]
            yield (
                [(r[0], r[4]) for r in rows],
                [
                    (r[1], r[2], " ".join(r[3].split(maxsplit=BODY_WORDS)[:BODY_WORDS]))
                    for r in rows
                ],
            )

    workers = os.cpu_count() or 1
    done = 0
    if n >= POOL_FROM and workers > 1:
        try:
            for item in _pooled(chunks(), idf, workers):
                yield item
                done += 1
            return
        except (OSError, BrokenProcessPool):
            pass  # no pool here (or it died): the rest is signed in this process
    _IDF = idf
    try:
        for number, (keys, texts) in enumerate(chunks()):
            if number >= done:  # the chunks come in the same order every time
                yield keys, [_sign_text(*text) for text in texts]
    finally:
        _IDF = ({}, 0.0, 0.0)


def _pooled(
    chunks: Iterator[tuple[list[tuple[int, int | None]], list[tuple[str, str, str]]]],
    idf: tuple[dict[str, float], float, float],
    workers: int,
) -> Iterator[tuple[list[tuple[int, int | None]], list[Signed]]]:
    """Sign the chunks in a process pool, a bounded window of them in flight, in order.

    Its workers are spawned: a fresh interpreter that imports this module alone costs a
    fraction of a second and a third of the memory of a parse worker, which carries
    trafilatura and lxml (the sync's forkserver preloads them).
    """
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_signer,
        initargs=(idf, os.getpid()),
    ) as pool:
        pending: deque[tuple[list[tuple[int, int | None]], Future[list[Signed]]]] = deque()
        for keys, texts in chunks:
            pending.append((keys, pool.submit(_sign_many, texts)))
            if len(pending) > 2 * workers:
                done_keys, future = pending.popleft()
                yield done_keys, future.result()
        while pending:
            done_keys, future = pending.popleft()
            yield done_keys, future.result()


def _rebuild(conn: sqlite3.Connection) -> StoryStats:
    """Sign every article and regroup everything, holding only flat arrays per article.

    Articles are read in rowid chunks and their texts dropped once signed; what the pairing pass
    needs stays in a few arrays (a vector is its term ids and weights, heaviest first). Holding
    all texts and then a dict-of-strings vector per article peaked at ~900 MB at 100,000
    articles; this peaks at ~130 MB and decides exactly the same pairs and stories.
    """
    stats = StoryStats(rebuilt=True)
    for table in _TABLES:
        conn.execute(f"DELETE FROM {table}")
    n = int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    idf = _idf(_document_frequencies(conn, None), n)

    rowids = array("q")  # ascending, as read; an article's index is its position here
    published: list[int | None] = []
    starts = array("q", [0])  # article i's vector is terms/weights[starts[i]:starts[i + 1]]
    terms = array("i")  # term ids, see ``ids``
    # A signed weight is rounded to 4 places, so it is kept as 10,000 times itself in two bytes;
    # SCALE gives back the very float (the nearest double to k / 10,000 either way), so cosines
    # come out the same as from the vectors themselves.
    weights = array("h")
    ids: dict[str, int] = {}
    # Posting lists of the keys that _shared would look up: rare terms only, and a term is dropped
    # for good once it has more than POSTING_CAP articles, as those are never looked up either.
    # Entries are ``index * INDEX_TERMS + rank``; a list of one entry (most terms: a number, a
    # name) is kept as that entry alone, an int, instead of an array (~80 bytes more each).
    postings: dict[int, int | array[int]] = {}
    crowded: set[int] = set()
    for rows, signed in _signed_chunks(conn, idf, n):
        doc_rows: list[tuple[int, int | None, str]] = []
        key_rows: list[tuple[str, int, int]] = []
        for (rowid, when), (vector, keys, rare, encoded) in zip(rows, signed, strict=True):
            doc_rows.append((rowid, when, encoded))
            key_rows += [(key, rowid, rank) for rank, key in enumerate(keys)]
            index = len(rowids)
            rowids.append(rowid)
            published.append(when)
            terms.extend([ids.setdefault(term, len(ids)) for term in vector])
            weights.extend([round(w * 10_000) for w in vector.values()])
            starts.append(len(terms))
            for rank, key in enumerate(keys):
                tid = ids[key]
                if key not in rare or tid in crowded:
                    continue
                entry = index * INDEX_TERMS + rank
                entries = postings.get(tid)
                if entries is None:
                    postings[tid] = entry
                    continue
                if isinstance(entries, int):
                    entries = postings[tid] = array("i", [entries])
                entries.append(entry)
                if len(entries) > POSTING_CAP:
                    crowded.add(tid)
                    del postings[tid]
        conn.executemany(
            "INSERT INTO story_docs(article, published, vector) VALUES (?,?,?)", doc_rows
        )
        conn.executemany("INSERT INTO story_keys(term, article, rank) VALUES (?,?,?)", key_rows)
    del idf, crowded
    count = stats.signed = len(rowids)

    def lookup(tid: int) -> list[tuple[int, int]]:
        entries = postings[tid]
        if isinstance(entries, int):
            return [divmod(entries, INDEX_TERMS)]
        return [divmod(entry, INDEX_TERMS) for entry in entries]

    def vector_of(i: int) -> dict[int, float]:
        span = slice(starts[i], starts[i + 1])
        return dict(zip(terms[span], map(SCALE.__getitem__, weights[span]), strict=True))

    links: dict[int, set[int]] = defaultdict(set)
    for a, b in conn.execute(
        "SELECT DISTINCT l.article, k.article FROM links l JOIN url_keys k ON k.key = l.key"
        " WHERE l.article != k.article"
    ):
        i, j = bisect_left(rowids, a), bisect_left(rowids, b)
        if i < count and j < count and rowids[i] == a and rowids[j] == b:
            links[min(i, j)].add(max(i, j))

    parent = array("q", range(count))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    pairs: list[tuple[int, int, float, int]] = []
    joined: set[int] = set()  # articles with a story edge: the only ones in stories
    for i in range(count):
        indexed = terms[starts[i] : min(starts[i + 1], starts[i] + INDEX_TERMS)]
        # ``postings`` holds exactly the terms worth looking up, so it is the searchable set.
        shared = _shared(indexed, postings, lookup)
        shared.pop(i, None)
        # A pair is scored once, from its lower index, as before: j must be among i's best.
        others = {j for j in _best(shared) if j > i} | links.get(i, set())
        if not others:
            continue
        ours = vector_of(i)
        for j in others:
            similarity = cosine(ours, vector_of(j))
            linked = j in links.get(i, ())
            is_story = story_score(similarity, linked, published[i], published[j]) >= STORY_MIN
            if similarity < SIMILAR_MIN and not is_story:
                continue
            pairs.append((rowids[i], rowids[j], round(similarity, 4), int(is_story)))
            if is_story:
                parent[find(i)] = find(j)
                joined.update((i, j))
        if len(pairs) >= 10_000:
            _store_pairs(conn, pairs)
            stats.pairs += len(pairs)
            pairs.clear()
    _store_pairs(conn, pairs)
    stats.pairs += len(pairs)

    members: dict[int, list[int]] = defaultdict(list)
    for i in sorted(joined):
        members[find(i)].append(rowids[i])
    stats.stories = len(members)
    _store_stories(conn, [_docs(conn, group) for group in members.values()])
    _store_inferred(
        conn, [r[0] for r in conn.execute("SELECT rowid FROM articles WHERE topics = ''")]
    )
    conn.execute(
        "INSERT OR REPLACE INTO story_meta(key, value) VALUES ('version', ?)", (str(VERSION),)
    )
    return stats


def _docs(conn: sqlite3.Connection, rowids: Sequence[int]) -> list[_Doc]:
    """What :func:`_store_stories` needs of these articles (not their vectors)."""
    marks = ",".join("?" * len(rowids))
    return [
        _Doc(r[0], r[1], r[2], r[3], True, {}, [])
        for r in conn.execute(
            f"SELECT rowid, id, title, published FROM articles WHERE rowid IN ({marks})", rowids
        )
    ]


def _update(conn: sqlite3.Connection, changed: set[int]) -> StoryStats:
    stats = StoryStats()
    gone = {
        r[0]
        for r in conn.execute(
            "SELECT article FROM story_docs WHERE article NOT IN (SELECT rowid FROM articles)"
        )
    }
    unsigned = {
        r[0]
        for r in conn.execute(
            "SELECT rowid FROM articles WHERE rowid NOT IN (SELECT article FROM story_docs)"
        )
    }
    todo = sorted(set(changed) | gone | unsigned)
    regroup: set[int] = set()
    reinfer: set[int] = set()
    for chunk in _chunks(todo):
        marks = ",".join("?" * len(chunk))
        regroup.update(
            r[0]
            for r in conn.execute(
                "SELECT article FROM stories WHERE story IN"
                f" (SELECT story FROM stories WHERE article IN ({marks}))",
                chunk,
            )
        )
        reinfer.update(
            r[0]
            for r in conn.execute(f"SELECT other FROM similar WHERE article IN ({marks})", chunk)
        )
        for table, column in (
            ("story_docs", "article"),
            ("story_keys", "article"),
            ("similar", "article"),
            ("similar", "other"),
            ("stories", "article"),
            ("inferred_topics", "article"),
        ):
            conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
    stats.removed = len(gone)

    rows: list[tuple[int, str, str, str, str, int | None, str]] = []
    for chunk in _chunks(todo):
        rows += _load(conn, f" WHERE rowid IN ({','.join('?' * len(chunk))})", chunk)
    n = int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    counted = [(row, term_counts(row[2], row[3], row[4])) for row in rows]
    idf = _idf(_document_frequencies(conn, (t for _, counts in counted for t in counts)), n)
    docs: list[_Doc] = []
    for (rowid, article_id, title, _excerpt, _body, published, topics), counts in counted:
        vector, keys, rare = _sign(counts, idf)
        docs.append(_Doc(rowid, article_id, title, published, bool(topics), vector, keys, rare))
    _store_docs(conn, docs)
    stats.signed = len(docs)

    pairs: dict[tuple[int, int], tuple[float, int]] = {}
    for doc in docs:
        shared = _shared(
            doc.keys,
            doc.searchable,
            lambda term: conn.execute(
                "SELECT article, rank FROM story_keys WHERE term = ? LIMIT ?",
                (term, POSTING_CAP + 1),
            ).fetchall(),
        )
        shared.pop(doc.rowid, None)
        candidates = set(_best(shared))
        linked = {
            r[0]
            for r in conn.execute(
                "SELECT k.article FROM links l JOIN url_keys k ON k.key = l.key WHERE l.article = ?"
                " UNION SELECT l.article FROM url_keys k JOIN links l ON l.key = k.key"
                " WHERE k.article = ?",
                (doc.rowid, doc.rowid),
            )
        }
        linked.discard(doc.rowid)
        candidates |= linked
        if not candidates:
            continue
        marks = ",".join("?" * len(candidates))
        for other, published, vector in conn.execute(
            f"SELECT article, published, vector FROM story_docs WHERE article IN ({marks})",
            sorted(candidates),
        ):
            similarity = cosine(doc.vector, json.loads(vector))
            is_story = (
                story_score(similarity, other in linked, doc.published, published) >= STORY_MIN
            )
            if similarity < SIMILAR_MIN and not is_story:
                continue
            key = (min(doc.rowid, other), max(doc.rowid, other))
            pairs[key] = (round(similarity, 4), int(is_story))
    _store_pairs(conn, [(a, b, s, f) for (a, b), (s, f) in pairs.items()])
    stats.pairs = len(pairs)

    signed = {doc.rowid for doc in docs}
    neighbours = {b for a, b in pairs} | {a for a, b in pairs}
    stats.stories = _regroup(conn, (regroup - gone) | signed)
    reinfer = ((reinfer | neighbours) - gone) | signed
    for chunk in _chunks(sorted(reinfer)):
        conn.execute(
            f"DELETE FROM inferred_topics WHERE article IN ({','.join('?' * len(chunk))})", chunk
        )
    untagged: list[int] = []
    for chunk in _chunks(sorted(reinfer)):
        untagged += [
            r[0]
            for r in conn.execute(
                "SELECT rowid FROM articles WHERE topics = ''"
                f" AND rowid IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        ]
    _store_inferred(conn, untagged)
    return stats


def _shared(
    indexed: Sequence[str] | Sequence[int],
    searchable: Container[str] | Container[int],
    posting: Callable[[Any], Sequence[tuple[int, int]]],
) -> dict[int, list[int]]:
    """For each other article, [its indexed terms among our keys, our indexed terms among its keys].

    ``indexed`` is this article's indexed terms, heaviest first (the first :data:`KEY_TERMS` are
    its keys), of which only the ``searchable`` ones are looked up; ``posting(term)`` gives
    (article, rank) rows, at most ``POSTING_CAP + 1`` of them.
    """
    shared: dict[int, list[int]] = {}
    for our_rank, term in enumerate(indexed):
        if term not in searchable:
            continue
        rows = posting(term)
        if len(rows) > POSTING_CAP:
            continue
        ours = our_rank < KEY_TERMS
        for other, rank in rows:
            counts = shared.get(other)
            if counts is None:
                counts = shared[other] = [0, 0]
            if ours:
                counts[0] += 1
            if rank < KEY_TERMS:
                counts[1] += 1
    return shared


def _best(shared: dict[int, list[int]]) -> list[int]:
    """The candidates sharing enough keys in either direction, the most sharing first."""
    found = [(max(a, b), other) for other, (a, b) in shared.items() if max(a, b) >= MIN_SHARED_KEYS]
    found.sort(reverse=True)
    return [other for _, other in found[:MAX_CANDIDATES]]


def _regroup(conn: sqlite3.Connection, seeds: set[int]) -> int:
    """Recompute the stories reachable by story edges from ``seeds``; returns how many exist."""
    visited: set[int] = set()
    components: list[list[int]] = []
    for seed in sorted(seeds):
        if seed in visited:
            continue
        visited.add(seed)
        component = [seed]
        frontier = [seed]
        while frontier:
            node = frontier.pop()
            for (other,) in conn.execute(
                "SELECT other FROM similar WHERE article = ? AND story = 1"
                " UNION SELECT article FROM similar WHERE other = ? AND story = 1",
                (node, node),
            ):
                if other not in visited:
                    visited.add(other)
                    component.append(other)
                    frontier.append(other)
        components.append(component)
    old: set[str] = set()
    for chunk in _chunks(sorted(visited)):
        marks = ",".join("?" * len(chunk))
        old.update(
            r[0]
            for r in conn.execute(f"SELECT story FROM stories WHERE article IN ({marks})", chunk)
        )
        conn.execute(f"DELETE FROM stories WHERE article IN ({marks})", chunk)
    # Stories of removed articles whose members all went too.
    old.update(
        r[0]
        for r in conn.execute(
            "SELECT story FROM story_index WHERE story NOT IN (SELECT story FROM stories)"
        )
    )
    conn.executemany("DELETE FROM story_index WHERE story = ?", [(s,) for s in old])
    groups = [_docs(conn, component) for component in components if len(component) > 1]
    _store_stories(conn, groups)
    return len(groups)


def _chunks(items: Sequence[int], size: int = 500) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _store_docs(conn: sqlite3.Connection, docs: list[_Doc]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO story_docs(article, published, vector) VALUES (?,?,?)",
        [(d.rowid, d.published, json.dumps(d.vector, separators=(",", ":"))) for d in docs],
    )
    conn.executemany(
        "INSERT INTO story_keys(term, article, rank) VALUES (?,?,?)",
        [(key, d.rowid, rank) for d in docs for rank, key in enumerate(d.keys)],
    )


def _store_pairs(conn: sqlite3.Connection, pairs: list[tuple[int, int, float, int]]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO similar(article, other, score, story) VALUES (?,?,?,?)",
        [row for a, b, s, f in pairs for row in ((a, b, s, f), (b, a, s, f))],
    )


def _store_stories(conn: sqlite3.Connection, groups: list[list[_Doc]]) -> None:
    story_rows: list[tuple[int, str]] = []
    index_rows: list[tuple[str, int, int | None, int, str]] = []
    for group in groups:
        story = min(doc.id for doc in group)
        newest = max(group, key=lambda d: (d.published is not None, d.published or 0, d.rowid))
        story_rows += [(doc.rowid, story) for doc in group]
        index_rows.append((story, len(group), newest.published, newest.rowid, newest.title))
    conn.executemany("INSERT OR REPLACE INTO stories(article, story) VALUES (?,?)", story_rows)
    conn.executemany(
        "INSERT OR REPLACE INTO story_index(story, size, newest, article, title)"
        " VALUES (?,?,?,?,?)",
        index_rows,
    )


def _store_inferred(conn: sqlite3.Connection, untagged: list[int]) -> None:
    rows: list[tuple[int, str, float]] = []
    for chunk in _chunks(untagged):
        marks = ",".join("?" * len(chunk))
        votes: dict[int, list[tuple[float, str]]] = defaultdict(list)
        for article, score, topics in conn.execute(
            "SELECT s.article, s.score, a.topics FROM similar s"
            " JOIN articles a ON a.rowid = s.other"
            f" WHERE s.article IN ({marks}) AND a.topics != ''",
            chunk,
        ):
            votes[article].append((score, topics))
        for article, neighbours in votes.items():
            rows += [(article, topic, score) for topic, score in _infer(neighbours)]
    conn.executemany(
        "INSERT OR REPLACE INTO inferred_topics(article, topic, score) VALUES (?,?,?)", rows
    )


def _infer(neighbours: list[tuple[float, str]]) -> list[tuple[str, float]]:
    """Topics from tagged neighbours: ``sum(similarity with it) / (sum(similarity) + prior)``.

    With the prior at 0.3 and the floor at 0.3, a single neighbour must be at least 0.13 similar
    for its topics to be suggested, and a topic carried by only a third of the neighbour weight is
    not suggested at all.
    """
    total = sum(score for score, _ in neighbours) + INFER_PRIOR
    weight: dict[str, float] = defaultdict(float)
    names: dict[str, str] = {}
    for score, topics in neighbours:
        for topic in dict.fromkeys(t for t in topics.split("\n") if t):
            weight[topic.casefold()] += score
            names.setdefault(topic.casefold(), topic)
    ranked = [
        (names[k], round(w / total, 4))
        for k, w in sorted(weight.items(), key=lambda item: (-item[1], item[0]))
        if w / total >= INFER_MIN
    ]
    return ranked[:INFER_MAX]


# -- queries --------------------------------------------------------------------------------------


def _rowid(conn: sqlite3.Connection, article: str | int) -> int | None:
    if isinstance(article, int):
        return article
    row = conn.execute("SELECT rowid FROM articles WHERE id = ?", (article,)).fetchone()
    return int(row[0]) if row else None


def story_of(conn: sqlite3.Connection, article: str | int) -> str | None:
    """The story id of an article (by id or rowid), or None when it stands alone."""
    if not _ready(conn):
        return None
    rowid = _rowid(conn, article)
    row = conn.execute("SELECT story FROM stories WHERE article = ?", (rowid,)).fetchone()
    return str(row[0]) if row else None


def story_members(conn: sqlite3.Connection, story_id: str) -> list[int]:
    """Rowids of a story's articles, newest first."""
    if not _ready(conn):
        return []
    return [
        r[0]
        for r in conn.execute(
            "SELECT s.article FROM stories s JOIN articles a ON a.rowid = s.article"
            " WHERE s.story = ?"
            " ORDER BY a.published IS NULL, a.published DESC, a.rowid DESC",
            (story_id,),
        )
    ]


def stories(
    conn: sqlite3.Connection, limit: int = 200, offset: int = 0
) -> list[tuple[str, int, int | None, str]]:
    """A page of stories as (story id, size, newest publication epoch, newest article's title).

    Biggest first, then newest, read straight from an index.
    """
    if not _ready(conn):
        return []
    return [
        (r[0], r[1], r[2], r[3])
        for r in conn.execute(
            "SELECT story, size, newest, title FROM story_index"
            " ORDER BY size DESC, newest DESC, story LIMIT ? OFFSET ?",
            (limit, offset),
        )
    ]


def story_count(conn: sqlite3.Connection) -> int:
    """How many stories (of two articles or more) there are."""
    if not _ready(conn):
        return 0
    return int(conn.execute("SELECT count(*) FROM story_index").fetchone()[0])


def similar(conn: sqlite3.Connection, article: str | int, n: int = 5) -> list[tuple[str, float]]:
    """The ``n`` most similar articles (ids, cosine) that are not in the article's story."""
    if not _ready(conn):
        return []
    rowid = _rowid(conn, article)
    return [
        (r[0], r[1])
        for r in conn.execute(
            "SELECT a.id, s.score FROM similar s JOIN articles a ON a.rowid = s.other"
            " WHERE s.article = ?1 AND s.other NOT IN (SELECT article FROM stories WHERE story ="
            " (SELECT story FROM stories WHERE article = ?1))"
            " ORDER BY s.score DESC, a.id LIMIT ?2",
            (rowid, n),
        )
    ]


def inferred_topics(conn: sqlite3.Connection, article: str | int) -> list[str]:
    """Suggested topics for an untagged article, best first; never mixed into its real topics."""
    if not _ready(conn):
        return []
    rowid = _rowid(conn, article)
    return [
        r[0]
        for r in conn.execute(
            "SELECT topic FROM inferred_topics WHERE article = ? ORDER BY score DESC, topic",
            (rowid,),
        )
    ]
