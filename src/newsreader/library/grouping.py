"""The story tables and what fills them: candidate pairs from shared keys, stories as windowed
components of story edges (:func:`merge`), inferred topics (see :mod:`newsreader.library.stories` for the whole)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from newsreader.library.db import in_chunks, write
from newsreader.library.series import clean_template, has_template, series_of
from newsreader.library.signing import STORY_WINDOW_DAYS

#: The heaviest of the indexed terms (``signing.INDEX_TERMS``) are an article's keys. Two articles are candidates when the keys of one
#: include at least :data:`MIN_SHARED_KEYS` indexed terms of the other, in either direction: the
#: short excerpt of one report names the story's main words, which a long body also carries,
#: if not always among its very heaviest.
KEY_TERMS = 10
#: One shared word is a topic, two are the start of a story.
MIN_SHARED_KEYS = 2
#: Keys with more articles than this are skipped in look-ups (topics, not stories).
POSTING_CAP = 150
#: At most this many candidates are scored per article, the ones sharing the most keys first.
MAX_CANDIDATES = 40
#: Pairs at least this similar are kept for "Similar in your library" and topic inference. Below
#: 0.1 two news texts share little more than common words.
SIMILAR_MIN = 0.1
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
    term TEXT NOT NULL, article INTEGER NOT NULL, rank INTEGER NOT NULL,
    PRIMARY KEY(term, article)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS story_keys_article ON story_keys(article);
CREATE TABLE IF NOT EXISTS story_dropped(article INTEGER PRIMARY KEY, terms TEXT NOT NULL);
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
CREATE TABLE IF NOT EXISTS story_titles(
    article INTEGER PRIMARY KEY, source TEXT NOT NULL, pattern TEXT NOT NULL, day INTEGER
);
CREATE INDEX IF NOT EXISTS story_titles_group ON story_titles(source, pattern);
CREATE TABLE IF NOT EXISTS series(article INTEGER PRIMARY KEY, series TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS series_series ON series(series);
CREATE TABLE IF NOT EXISTS series_index(
    series TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, size INTEGER NOT NULL,
    newest INTEGER
);
CREATE TABLE IF NOT EXISTS story_terms(article INTEGER PRIMARY KEY, terms TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS story_boilerplate(
    grp TEXT NOT NULL, term TEXT NOT NULL, PRIMARY KEY(grp, term)
) WITHOUT ROWID;
"""

TABLES = (
    "story_docs",
    "story_keys",
    "story_dropped",
    "similar",
    "stories",
    "story_index",
    "inferred_topics",
    "story_titles",
    "series",
    "series_index",
    "story_boilerplate",
    "story_terms",
)


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
class Doc:
    rowid: int
    id: str
    title: str
    published: int | None
    tagged: bool
    vector: dict[str, float]
    keys: list[str]
    searchable: set[str] = field(default_factory=set)
    #: The boilerplate terms signing left out of the vector (``signing.dropped``).
    dropped: str = ""


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the derived tables if they are missing (all of them rebuildable)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    if conn.in_transaction:
        yield
        return
    with write(conn):
        yield


def docs(conn: sqlite3.Connection, rowids: Sequence[int]) -> list[Doc]:
    """What :func:`store_stories` needs of these articles (not their vectors)."""
    return [
        Doc(r[0], r[1], r[2], r[3], True, {}, [])
        for marks, chunk in in_chunks(rowids)
        for r in conn.execute(
            f"SELECT rowid, id, title, published FROM articles WHERE rowid IN ({marks})", chunk
        )
    ]


def shared_keys(
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


def best(shared: dict[int, list[int]]) -> list[int]:
    """The candidates sharing enough keys in either direction, the most sharing first."""
    found = [(max(a, b), other) for other, (a, b) in shared.items() if max(a, b) >= MIN_SHARED_KEYS]
    found.sort(reverse=True)
    return [other for _, other in found[:MAX_CANDIDATES]]


def merge(
    edges: Iterable[tuple[float, int, int]],
    published: dict[int, int | None],
    series: dict[int, str],
) -> list[list[int]]:
    """Stories from story edges (score, article, other): the strongest edges first, and an edge
    that would make a story span more than ``STORY_WINDOW_DAYS`` between its dated reports, or
    hold two issues of one series, is left out.

    Single-link chaining (every edge joins) is how a daily newsletter became one "story" of 630
    articles over five years: each issue was close to the next. Here a story keeps the window
    whatever the chain, and the result depends only on the edges, not on the order they come in,
    so a rebuild and an incremental regroup of the same component agree.
    """
    window = STORY_WINDOW_DAYS * 86400
    parent: dict[int, int] = {}
    span: dict[int, tuple[int, int] | None] = {}
    issues: dict[int, frozenset[str]] = {}

    def find(node: int) -> int:
        if node not in parent:
            parent[node] = node
            when = published.get(node)
            span[node] = None if when is None else (when, when)
            issues[node] = frozenset([series[node]]) if node in series else frozenset()
            return node
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for _, a, b in sorted(edges, key=lambda e: (-e[0], e[1], e[2])):
        ra, rb = find(a), find(b)
        if ra == rb or issues[ra] & issues[rb]:
            continue
        sa, sb = span[ra], span[rb]
        both = sa or sb
        if sa and sb:
            both = (min(sa[0], sb[0]), max(sa[1], sb[1]))
            if both[1] - both[0] > window:
                continue
        root, child = min(ra, rb), max(ra, rb)
        parent[child] = root
        span[root] = both
        issues[root] = issues[ra] | issues[rb]
    groups: dict[int, list[int]] = defaultdict(list)
    for node in parent:
        groups[find(node)].append(node)
    return [sorted(group) for group in groups.values() if len(group) > 1]


def regroup(conn: sqlite3.Connection, seeds: set[int]) -> int:
    """Recompute the stories reachable by story edges from ``seeds``; returns how many exist."""
    visited: set[int] = set()
    edges: set[tuple[float, int, int]] = set()
    for seed in sorted(seeds):
        if seed in visited:
            continue
        visited.add(seed)
        frontier = [seed]
        while frontier:
            node = frontier.pop()
            # ``similar`` holds each pair both ways round.
            for other, score in conn.execute(
                "SELECT other, score FROM similar WHERE article = ? AND story = 1", (node,)
            ):
                edges.add((score, min(node, other), max(node, other)))
                if other not in visited:
                    visited.add(other)
                    frontier.append(other)
    published: dict[int, int | None] = {}
    for marks, chunk in in_chunks(sorted(visited)):
        published.update(
            conn.execute(
                f"SELECT article, published FROM story_docs WHERE article IN ({marks})", chunk
            ).fetchall()
        )
    components = merge(edges, published, series_of(conn, visited))
    old: set[str] = set()
    for marks, chunk in in_chunks(sorted(visited)):
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
    groups = [docs(conn, component) for component in components]
    store_stories(conn, groups)
    return len(groups)


def store_docs(conn: sqlite3.Connection, docs: list[Doc]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO story_docs(article, published, vector) VALUES (?,?,?)",
        [(d.rowid, d.published, json.dumps(d.vector, separators=(",", ":"))) for d in docs],
    )
    conn.executemany(
        "INSERT INTO story_keys(term, article, rank) VALUES (?,?,?)",
        [(key, d.rowid, rank) for d in docs for rank, key in enumerate(d.keys)],
    )
    conn.executemany(
        "INSERT OR REPLACE INTO story_dropped(article, terms) VALUES (?,?)",
        [(d.rowid, d.dropped) for d in docs if d.dropped],
    )


def store_pairs(conn: sqlite3.Connection, pairs: list[tuple[int, int, float, int]]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO similar(article, other, score, story) VALUES (?,?,?,?)",
        [row for a, b, s, f in pairs for row in ((a, b, s, f), (b, a, s, f))],
    )


def store_stories(conn: sqlite3.Connection, groups: list[list[Doc]]) -> None:
    story_rows: list[tuple[int, str]] = []
    index_rows: list[tuple[str, int, int | None, int, str]] = []
    for group in groups:
        story = min(doc.id for doc in group)
        ordered = sorted(
            group, key=lambda d: (d.published is not None, d.published or 0, d.rowid), reverse=True
        )
        newest = ordered[0]
        # Titled by the newest report whose title is not template code (ingest strips it, but a
        # story named `{ "value": [ {%- capture topics %}` is what a miss looks like).
        titled = next((d for d in ordered if d.title.strip() and not has_template(d.title)), None)
        title = titled.title if titled else clean_template(newest.title)
        story_rows += [(doc.rowid, story) for doc in group]
        index_rows.append((story, len(group), newest.published, newest.rowid, title))
    conn.executemany("INSERT OR REPLACE INTO stories(article, story) VALUES (?,?)", story_rows)
    conn.executemany(
        "INSERT OR REPLACE INTO story_index(story, size, newest, article, title)"
        " VALUES (?,?,?,?,?)",
        index_rows,
    )


def store_inferred(conn: sqlite3.Connection, untagged: list[int]) -> None:
    rows: list[tuple[int, str, float]] = []
    for marks, chunk in in_chunks(untagged):
        votes: dict[int, list[tuple[float, str]]] = defaultdict(list)
        for article, score, topics in conn.execute(
            "SELECT s.article, s.score, a.topics FROM similar s"
            " JOIN articles a ON a.rowid = s.other"
            f" WHERE s.article IN ({marks}) AND a.topics != ''",
            chunk,
        ):
            votes[article].append((score, topics))
        for article, neighbours in votes.items():
            rows += [(article, topic, score) for topic, score in infer(neighbours)]
    conn.executemany(
        "INSERT OR REPLACE INTO inferred_topics(article, topic, score) VALUES (?,?,?)", rows
    )


def infer(neighbours: list[tuple[float, str]]) -> list[tuple[str, float]]:
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
