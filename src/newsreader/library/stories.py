"""Stories, similar articles and inferred topics: derived data computed from the cache.

Everything here is rebuildable from the ``articles``, ``links`` and ``url_keys`` tables, so it
lives in the cache database, in tables of its own (``story_*``, ``similar``, ``stories``,
``inferred_topics``), and never touches the user's state or an article's real topics.

How it works
------------
1. **Signing.** Each article becomes a TF-IDF vector over its title (weight 3), excerpt (weight 2,
   skipped when it merely repeats the start of the body) and the first ``signing.BODY_WORDS`` words of
   its body: lowercase unicode words, diacritics folded, stopwords and bare numbers dropped, tf
   sublinear (``1 + ln tf``). Document frequencies come from the folder's own full-text index
   (``fts5vocab`` over ``fts``), which the sync already maintains exactly, inserts and deletes
   alike, so they cost no storage and never drift. Only the ``signing.VECTOR_TERMS`` heaviest terms
   are kept (L2-normalised): the cosine of two news texts is dominated by their heaviest terms,
   and this bounds storage at 100,000 articles.
2. **Candidates.** The ``grouping.KEY_TERMS`` heaviest terms of each vector are its *keys*, stored in
   ``story_keys(term, article)``, a table clustered by term, so a new article finds its candidates by index
   look-ups, never by a scan. Two articles are candidates when they share at least
   ``grouping.MIN_SHARED_KEYS`` keys. Keys whose posting list is longer than ``grouping.POSTING_CAP`` are
   skipped: a term that is a key of hundreds of articles names a topic ("police"), not a story,
   and skipping it bounds the work per article. Articles linked by ``related[]`` are always
   candidates.

   Why not MinHash over shingles: it estimates the *Jaccard* index of two whole sets, and reports
   of one story often differ wildly in length (seed 000 is a 30-word excerpt, seed 002 a 500-word
   body), so their Jaccard index is tiny even when one is contained in the other. Shared heavy
   keys find those pairs, and in pure Python they are cheaper to compute than dozens of
   permutations per article.
3. **Scores.** ``similar`` stores every candidate pair with a cosine of at least
   ``grouping.SIMILAR_MIN``. A pair is a *story edge* when
   ``min(1, cosine + LINK_BONUS * linked) * date_decay(days apart) >= STORY_MIN``.
   Pairs more than ``signing.STORY_WINDOW_DAYS`` apart are never story edges, and an undated
   article's edge must stand on its text alone (no link bonus).
4. **Stories** group story edges strongest first (``grouping.merge``), never past the window
   between a story's dated reports and never two issues of one series: single-link chaining
   once made a five-year "story" of a daily newsletter. A rebuild groups every edge; an update
   re-walks the touched part. A story's id is the smallest article id in it, so it survives
   additions and most edits. Recurring series and the boilerplate of sources and templates,
   which gets no weight in signing, come from :mod:`newsreader.library.series`.
5. **Inferred topics**: an untagged article takes the topics of its tagged neighbours, weighted by
   similarity (see ``grouping.infer``). They are kept in ``inferred_topics``, apart from real topics.

Incremental updates re-sign only the changed articles, look their candidates up through the
index, and re-walk only the stories they belonged to or join. When a source's or a series'
boilerplate changes, only the articles whose vectors that changes are signed again: those whose
vector holds a new boilerplate term, and those that carried a term that no longer is one
(``story_dropped``); a term below an article's heaviest ``signing.VECTOR_TERMS`` changes nothing.
The terms of the articles sampled for boilerplate are kept (``story_terms``), so finding it
again tokenises only what changed. :func:`update` with an empty set returns at once.

This module holds the updates (a rebuild, an incremental update) and the queries; ``signing``
holds steps 1 and 3 (text to vectors, the scores), ``grouping`` the tables, steps 2, 4 and 5.
"""

from __future__ import annotations

import json
import sqlite3
import time
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence

from newsreader.library import series, signing
from newsreader.library.db import in_chunks
from newsreader.library.grouping import (
    POSTING_CAP,
    SIMILAR_MIN,
    TABLES,
    Doc,
    StoryStats,
    best,
    docs,
    ensure_schema,
    merge,
    regroup,
    shared_keys,
    store_docs,
    store_inferred,
    store_pairs,
    store_stories,
    transaction,
)
from newsreader.library.signing import INDEX_TERMS, STORY_MIN, cosine, story_score, term_counts

#: Bump when signing or scoring changes: the next update rebuilds everything.
#: 2: story window, boilerplate, series. 3: ``story_dropped``. 4: ``story_keys`` clustered by term.
VERSION = 4

#: The float of each weight a signed vector can hold (see ``_rebuild``).
SCALE = [k / 10_000 for k in range(10_001)]


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
    with transaction(conn):
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
    out: set[int] = set()
    for marks, chunk in in_chunks(list(article_ids)):
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


def _rebuild(conn: sqlite3.Connection) -> StoryStats:
    """Sign every article and regroup everything, holding only flat arrays per article.

    Articles are read in rowid chunks and their texts dropped once signed; what the pairing pass
    needs stays in a few arrays (a vector is its term ids and weights, heaviest first). Holding
    all texts and then a dict-of-strings vector per article peaked at ~900 MB at 100,000
    articles; this peaks at ~130 MB and decides exactly the same pairs and stories.
    """
    stats = StoryStats(rebuilt=True)
    # Dropped, not emptied: faster, and a cache of an older VERSION gets the current schema.
    for table in TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    ensure_schema(conn)
    n = int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    idf = signing.idf(signing.document_frequencies(conn, None), n)
    series.rebuild(conn)
    excluded = series.rebuild_boilerplate(conn)

    rowids = array("q")  # ascending, as read; an article's index is its position here
    published: list[int | None] = []
    starts = array("q", [0])  # article i's vector is terms/weights[starts[i]:starts[i + 1]]
    terms = array("i")  # term ids, see ``ids``
    # A signed weight is rounded to 4 places, so it is kept as 10,000 times itself in two bytes;
    # SCALE gives back the very float (the nearest double to k / 10,000 either way), so cosines
    # come out the same as from the vectors themselves.
    weights = array("h")
    ids: dict[str, int] = {}
    # Posting lists of the keys that shared_keys would look up: rare terms only, and a term is dropped
    # for good once it has more than POSTING_CAP articles, as those are never looked up either.
    # Entries are ``index * INDEX_TERMS + rank``; a list of one entry (most terms: a number, a
    # name) is kept as that entry alone, an int, instead of an array (~80 bytes more each).
    postings: dict[int, int | array[int]] = {}
    crowded: set[int] = set()
    for rows, signed in signing.signed_chunks(conn, idf, n, excluded):
        doc_rows: list[tuple[int, int | None, str]] = []
        key_rows: list[tuple[str, int, int]] = []
        dropped_rows: list[tuple[int, str]] = []
        for (rowid, when), (names, packed, rare, encoded, carried) in zip(
            rows, signed, strict=True
        ):
            doc_rows.append((rowid, when, encoded))
            if carried:
                dropped_rows.append((rowid, carried))
            vector = names.split()  # terms never hold spaces; "" is no term
            keys = vector[:INDEX_TERMS]
            key_rows += [(key, rowid, rank) for rank, key in enumerate(keys)]
            index = len(rowids)
            rowids.append(rowid)
            published.append(when)
            terms.extend([ids.setdefault(term, len(ids)) for term in vector])
            weights.frombytes(packed)
            starts.append(len(terms))
            for rank, key in enumerate(keys):
                tid = ids[key]
                if not rare >> rank & 1 or tid in crowded:
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
        conn.executemany("INSERT INTO story_dropped(article, terms) VALUES (?,?)", dropped_rows)
    del idf, crowded, excluded
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

    pairs: list[tuple[int, int, float, int]] = []
    edges: list[tuple[float, int, int]] = []  # story edges, grouped once all are known
    for i in range(count):
        indexed = terms[starts[i] : min(starts[i + 1], starts[i] + INDEX_TERMS)]
        # ``postings`` holds exactly the terms worth looking up, so it is the searchable set.
        shared = shared_keys(indexed, postings, lookup)
        shared.pop(i, None)
        # A pair is scored once, from its lower index, as before: j must be among i's best.
        others = {j for j in best(shared) if j > i} | links.get(i, set())
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
                edges.append((round(similarity, 4), rowids[i], rowids[j]))
        if len(pairs) >= 10_000:
            store_pairs(conn, pairs)
            stats.pairs += len(pairs)
            pairs.clear()
    store_pairs(conn, pairs)
    stats.pairs += len(pairs)

    # The same stored score and the same rule as ``regroup``, so an update agrees with this.
    dates = {rowid: published[bisect_left(rowids, rowid)] for _, a, b in edges for rowid in (a, b)}
    members = merge(edges, dates, series.series_of(conn, dates))
    stats.stories = len(members)
    store_stories(conn, [docs(conn, group) for group in members])
    store_inferred(
        conn, [r[0] for r in conn.execute("SELECT rowid FROM articles WHERE topics = ''")]
    )
    conn.execute(
        "INSERT OR REPLACE INTO story_meta(key, value) VALUES ('version', ?)", (str(VERSION),)
    )
    return stats


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
    todo_set = set(changed) | gone | unsigned
    # Their texts changed: the terms kept for finding boilerplate are stale.
    for marks, chunk in in_chunks(sorted(todo_set)):
        conn.execute(f"DELETE FROM story_terms WHERE article IN ({marks})", chunk)
    # A new issue can make a series, a series or a source can gain or lose boilerplate: the
    # articles concerned are signed and grouped again, as a rebuild would.
    moved, groups = series.refresh(conn, todo_set)
    todo_set |= moved | series.refresh_boilerplate(conn, groups)
    todo = sorted(todo_set)
    to_regroup: set[int] = set()
    reinfer: set[int] = set()
    for marks, chunk in in_chunks(todo):
        to_regroup.update(
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
            ("story_dropped", "article"),
            ("similar", "article"),
            ("similar", "other"),
            ("stories", "article"),
            ("inferred_topics", "article"),
        ):
            conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
    stats.removed = len(gone)

    rows: list[tuple[int, str, str, str, str, int | None, str]] = []
    for marks, chunk in in_chunks(todo):
        rows += _load(conn, f" WHERE rowid IN ({marks})", chunk)
    n = int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    counted = [(row, term_counts(row[2], row[3], row[4])) for row in rows]
    excluded = series.excluded_terms(conn, [row[0] for row in rows])
    idf = signing.idf(
        signing.document_frequencies(conn, (t for _, counts in counted for t in counts)), n
    )
    signed_docs: list[Doc] = []
    for (rowid, article_id, title, _excerpt, _body, published, topics), counts in counted:
        skip = excluded.get(rowid, frozenset())
        carried = signing.dropped(counts, skip)
        vector, keys, rare = signing.sign(counts, idf, skip)
        signed_docs.append(
            Doc(rowid, article_id, title, published, bool(topics), vector, keys, rare, carried)
        )
    store_docs(conn, signed_docs)
    stats.signed = len(signed_docs)

    pairs: dict[tuple[int, int], tuple[float, int]] = {}
    for doc in signed_docs:
        shared = shared_keys(
            doc.keys,
            doc.searchable,
            lambda term: conn.execute(
                "SELECT article, rank FROM story_keys WHERE term = ? LIMIT ?",
                (term, POSTING_CAP + 1),
            ).fetchall(),
        )
        shared.pop(doc.rowid, None)
        candidates = set(best(shared))
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
        for other, published, vector in (
            row
            for marks, chunk in in_chunks(sorted(candidates))
            for row in conn.execute(
                f"SELECT article, published, vector FROM story_docs WHERE article IN ({marks})",
                chunk,
            )
        ):
            similarity = cosine(doc.vector, json.loads(vector))
            is_story = (
                story_score(similarity, other in linked, doc.published, published) >= STORY_MIN
            )
            if similarity < SIMILAR_MIN and not is_story:
                continue
            key = (min(doc.rowid, other), max(doc.rowid, other))
            pairs[key] = (round(similarity, 4), int(is_story))
    store_pairs(conn, [(a, b, s, f) for (a, b), (s, f) in pairs.items()])
    stats.pairs = len(pairs)

    signed = {doc.rowid for doc in signed_docs}
    neighbours = {b for a, b in pairs} | {a for a, b in pairs}
    stats.stories = regroup(conn, (to_regroup - gone) | signed)
    reinfer = ((reinfer | neighbours) - gone) | signed
    untagged: list[int] = []
    for marks, chunk in in_chunks(sorted(reinfer)):
        conn.execute(f"DELETE FROM inferred_topics WHERE article IN ({marks})", chunk)
        untagged += [
            r[0]
            for r in conn.execute(
                f"SELECT rowid FROM articles WHERE topics = '' AND rowid IN ({marks})", chunk
            )
        ]
    store_inferred(conn, untagged)
    return stats


def _ready(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'story_index'"
    ).fetchone()
    return row is not None


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
