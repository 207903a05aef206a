"""A view compiled to SQL: one table of filters, written once, read by both query paths.

Pure: it builds SQL text and parameters and runs nothing. Each filter of a view (the query's
words and ``key:value`` filters, the tree's topic, source or story, the unread and starred
switches, the as-you-type words) is one :class:`Filter`, which knows the two forms the paths
need. The *plain* path selects from ``articles a`` and writes each filter as a condition on the
row. The *full-text* path answers from ``fts`` alone and writes each filter as a set of rowids
(``+rowid IN (…)``), so no article row is read per match: a common word matches tens of
thousands of articles, and rows are large.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from newsreader.library.query import Query, parse
from newsreader.model import View

#: Each ``source:`` text of a query and the (provider, domain) pairs it names.
Pairs = dict[str, list[tuple[str, str]]]

#: Snippet highlight markers: control characters, which ingest strips from all file text,
#: so they can only come from here.
MARK_START, MARK_END = "\x02", "\x03"
#: Search results order: bm25 weighing title 10, excerpt 4, body 1, provider 2, topics 2.
RANK = "bm25(fts, 10.0, 4.0, 1.0, 2.0, 2.0)"
#: Searches matching more articles than this rank title matches first (see :func:`order`).
RANK_ALL = 3000
#: A highlighted excerpt of the best-matching column, for a search hit.
SNIPPET = f"snippet(fts, -1, '{MARK_START}', '{MARK_END}', '…', 14)"
#: Whether a row (``a``) is read and starred.
FLAGS = "a.id IN (SELECT id FROM state.read), a.id IN (SELECT id FROM state.starred)"

_IN_TOPIC = "SELECT article FROM topics WHERE topic = ?"
_SOURCE = "(a.provider LIKE ? ESCAPE '\\' OR a.domain LIKE ? ESCAPE '\\')"
#: The (provider, domain) pairs of the library whose provider or domain is LIKE a pattern
#: (``?`` twice), found by skipping through the provider index: two index seeks a pair
#: (a library has tens of sources, not thousands), where a LIKE reads every index entry.
SOURCE_PAIRS = """WITH RECURSIVE
  providers(p) AS (
    SELECT min(provider) FROM articles
    UNION ALL SELECT (SELECT min(provider) FROM articles WHERE provider > p) FROM providers
    WHERE p IS NOT NULL),
  pairs(p, d) AS (
    SELECT p, (SELECT min(domain) FROM articles WHERE provider = p) FROM providers
    WHERE p IS NOT NULL
    UNION ALL SELECT p, (SELECT min(domain) FROM articles WHERE provider = p AND domain > d)
    FROM pairs WHERE d IS NOT NULL)
SELECT p, d FROM pairs WHERE d IS NOT NULL AND (p LIKE ? ESCAPE '\\' OR d LIKE ? ESCAPE '\\')"""
_QUICK = (
    "(a.title LIKE ? ESCAPE '\\' OR a.provider LIKE ? ESCAPE '\\' OR a.topics LIKE ? ESCAPE '\\')"
)


@dataclass(frozen=True, slots=True)
class Filter:
    """One condition of a view, in both forms: ``row``, a condition on the article row ``a``,
    and ``rowids``, a SELECT of the rowids it keeps; ``negated`` keeps the others instead."""

    row: str
    rowids: str
    params: tuple[Any, ...] = ()
    negated: bool = False
    #: A third form for the full-text path when the match is small: a condition checked for
    #: each matching ``fts.rowid``, where the set of ``rowids`` would be large (a date range
    #: holds half the library; building that set costs more than looking up a few thousand
    #: matches one by one). Empty: the filter has none.
    per_match: str = ""
    #: Use ``per_match`` on the full-text path (see :func:`compile_view`'s ``few``).
    by_match: bool = False

    def on_row(self) -> str:
        """The condition for the plain path (``FROM articles a``)."""
        return f"NOT ({self.row})" if self.negated else self.row

    def on_fts(self) -> str:
        """The condition for the full-text path (``FROM fts``): ``per_match`` when
        ``by_match``, else the rowid set. The ``+`` keeps SQLite from handing the rowid set to
        FTS5 as a constraint, which would run the full-text query once per rowid in the set
        (measured: 6 s for ``after:`` at 100,000 articles, not ms)."""
        if self.by_match and self.per_match:
            return f"NOT ({self.per_match})" if self.negated else self.per_match
        return f"+rowid {'NOT ' if self.negated else ''}IN ({self.rowids})"


def _rowids(select: str, *params: Any, negated: bool = False) -> Filter:
    """A filter defined by the rowids it keeps."""
    return Filter(f"a.rowid IN ({select})", select, params, negated)


def _row(condition: str, *params: Any, negated: bool = False) -> Filter:
    """A filter defined by a condition on the article row."""
    return Filter(condition, f"SELECT a.rowid FROM articles a WHERE {condition}", params, negated)


def _date(operator: str, epoch: int) -> Filter:
    """``after:`` (``>=``) or ``before:`` (``<``): on the date index, or match by match."""
    condition = f"a.published {operator} ?"
    return Filter(
        condition,
        f"SELECT a.rowid FROM articles a WHERE {condition}",
        (epoch,),
        per_match=f"(SELECT a.published FROM articles a WHERE a.rowid = fts.rowid) {operator} ?",
    )


def _source(text: str, pairs: Pairs | None, negated: bool) -> Filter:
    """``source:text``: its (provider, domain) pairs by equality on the provider index when
    they were looked up (``SOURCE_PAIRS``), else a LIKE on every row."""
    if pairs is None or text not in pairs:
        return _row(_SOURCE, *[f"%{like(text)}%"] * 2, negated=negated)
    found = pairs[text]
    if not found:
        return _row("0", negated=negated)  # no such source: keeps nothing
    # One equality a pair, ORed: SQLite seeks each in the index (a row-value IN over VALUES
    # of more than one row scans the whole index instead).
    either = " OR ".join(["(a.provider = ? AND a.domain = ?)"] * len(found))
    flat = [value for pair in found for value in pair]
    return _row(f"({either})", *flat, negated=negated)


def _state(table: str, negated: bool) -> Filter:
    """Read or starred: the full-text path is driven by the (small) state table."""
    return Filter(
        f"a.id IN (SELECT id FROM state.{table})",
        f"SELECT a.rowid FROM state.{table} x JOIN articles a ON a.id = x.id",
        (),
        negated,
    )


def like(text: str) -> str:
    """``text`` with LIKE's wildcards escaped (``ESCAPE '\\'``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filters(view: View, query: Query, pairs: Pairs | None = None) -> list[Filter]:
    """Every filter of a view but its text match, topics first (the plain path may drive a
    topic's list from its index, see :func:`compile_view`). The one table both paths read.
    ``pairs``: each ``source:`` text's (provider, domain) pairs, if they were looked up."""
    table = [_rowids(_IN_TOPIC, t) for t in [*query.topics, *([view.topic] if view.topic else [])]]
    if query.exclude:
        table.append(
            _rowids("SELECT rowid FROM fts WHERE fts MATCH ?", query.exclude, negated=True)
        )
    table += [_rowids(_IN_TOPIC, t, negated=True) for t in query.not_topics]
    table += [_source(s, pairs, negated=False) for s in query.sources]
    table += [_source(s, pairs, negated=True) for s in query.not_sources]
    if view.source:
        table.append(_row("a.provider = ?", view.source))
    if view.unread or query.read is False:
        table.append(_state("read", negated=True))
    if query.read:
        table.append(_state("read", negated=False))
    if view.starred or query.starred:
        table.append(_state("starred", negated=False))
    if query.starred is False:
        table.append(_state("starred", negated=True))
    if query.after is not None:
        table.append(_date(">=", query.after))
    if query.before is not None:
        table.append(_date("<", query.before))
    # Every word typed must appear (in any order) in the title, source or topics.
    table += [_row(_QUICK, *[f"%{like(w)}%"] * 3) for w in view.quick.split()[:8]]
    if view.story:
        table.append(_rowids("SELECT article FROM stories WHERE story = ?", view.story))
    if view.series:
        table.append(_rowids("SELECT article FROM series WHERE series = ?", view.series))
    if view.feed:
        table.append(_under(view.feed))
    return table


def _under(folder: str) -> Filter:
    """The articles with a file in ``folder``: a range of the ``files`` primary key, from
    ``folder/`` up to ``folder0`` (``0`` follows ``/``), which holds exactly the paths below
    it. No LIKE, so the folder's own ``%`` or ``_`` need no escaping, and the index is used."""
    start, end = folder_range(folder)
    return Filter(
        "a.id IN (SELECT article_id FROM files WHERE path >= ? AND path < ?)",
        "SELECT a.rowid FROM files f JOIN articles a ON a.id = f.article_id"
        " WHERE f.path >= ? AND f.path < ?",
        (start, end),
    )


def folder_range(folder: str) -> tuple[str, str]:
    """The bounds of the paths below ``folder``: ``path >= start AND path < end``."""
    base = folder.rstrip("/")
    return base + "/", base + "0"


@dataclass(frozen=True)
class Compiled:
    """A view as SQL for both paths."""

    query: Query
    #: The plain path: ``FROM articles a{joins}{where}`` with ``params`` (the joins' first).
    joins: str
    where: str
    params: list[Any]
    #: The full-text path: ``FROM fts{where}`` and its parameters, or None where it cannot
    #: answer (no text to match, or as-you-type words, which need the row).
    text: tuple[str, list[Any]] | None

    #: Whether a filter has a per-match form (see :func:`compile_view`'s ``few``).
    has_per_match: bool = False

    @property
    def by_topic(self) -> bool:
        """Whether the plain path walks a topic's index (see :func:`order`)."""
        return " JOIN topics t " in self.joins


def text_only(view: View, query: Query, table: list[Filter]) -> tuple[str, list[Any]] | None:
    """WHERE clause and parameters over ``fts`` alone for a text search, if it can be one."""
    if not query.fts or view.quick:
        return None
    where = ["fts MATCH ?", *(f.on_fts() for f in table)]
    return " WHERE " + " AND ".join(where), [query.fts, *(p for f in table for p in f.params)]


def compile_view(view: View, few: bool = False, pairs: Pairs | None = None) -> Compiled:
    """The SQL of a view for the plain path and, where it can answer, the full-text path;
    ``few``: the text matches few articles (filters use their ``per_match`` form there);
    ``pairs``: see :func:`filters`."""
    query = parse(view.query)
    table = filters(view, query, pairs)
    joins, where, params = "", [], []
    topics = len(query.topics) + bool(view.topic)
    plain = table
    if query.fts:
        joins = " JOIN fts ON fts.rowid = a.rowid"
        where.append("fts MATCH ?")
        params.append(query.fts)
    elif topics:
        # Drive a topic's list from its index, already in date order (see ``order``).
        joins = " JOIN topics t ON t.article = a.rowid AND t.topic = ?"
        params += table[0].params
        plain = table[1:]
    where += [f.on_row() for f in plain]
    params += [p for f in plain for p in f.params]
    return Compiled(
        query,
        joins,
        (" WHERE " + " AND ".join(where)) if where else "",
        params,
        text_only(view, query, [replace(f, by_match=True) for f in table] if few else table),
        any(f.per_match for f in table),
    )


def order(
    compiled: Compiled, many: bool, rowid: str = "a.rowid", sort: str = "newest"
) -> tuple[str, list[Any]]:
    """ORDER BY clause and its parameters: newest first (or ``sort``), or by relevance for a
    search.

    bm25 costs microseconds a row: too much for a common word matching half of 100,000
    articles. Past :data:`RANK_ALL` matches (``many``), the articles that match in their title
    come first, ranked by bm25, and the rest follow most recently added first. At the top, where
    people look, that is the order a full ranking gives (the title weighs most), for a fraction
    of the work.
    """
    query = compiled.query
    if not query.fts:
        if sort == "oldest":
            return "a.published IS NULL, a.published, a.rowid", []
        if sort == "title":
            return "a.title COLLATE NOCASE, a.rowid", []
        if sort == "source":
            return "a.provider = '', a.provider COLLATE NOCASE, a.published DESC, a.rowid DESC", []
        if sort == "unread":
            return "a.id IN (SELECT id FROM state.read), a.published DESC, a.rowid DESC", []
        if compiled.by_topic:
            return "t.published DESC, t.article DESC", []
        return "a.published DESC, a.rowid DESC", []
    if not many:
        return RANK, []
    titled = f"{rowid} IN (SELECT rowid FROM fts WHERE fts MATCH ?)"
    return (
        f"coalesce(CASE WHEN {titled} THEN {RANK} END, 1e300), {rowid} DESC",
        [title_match(query)],
    )


def title_match(query: Query) -> str:
    """The FTS5 expression of ``query``'s text in titles only."""
    return f"title : ({query.fts})"


def title_within(query: Query) -> str:
    """The articles of ``title_match`` that the text matches too: the same ones unless the
    text has a NOT (``a -b``: a title with "a" and without "b" may hold "b" in its body)."""
    if not query.negated:
        return title_match(query)
    return f"(title : ({query.positive})) NOT ({query.negated})"
