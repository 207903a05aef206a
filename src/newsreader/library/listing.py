"""Running a compiled view (see :mod:`views`): its rowids in order, a page of them, its count,
the page around a saved place, and the list's rows for a set of rowids."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from newsreader.library import views
from newsreader.library.db import in_chunks
from newsreader.library.query import Query, parse
from newsreader.library.views import Compiled, compile_view
from newsreader.model import Row, View


class LastSearch:
    """The ranked rowids of the last text search paged through, so that each further page of
    it is a slice, not the whole search ranked again (bm25 scores every match for each page).

    Kept for one view and one ``data_version`` of the cache (another connection committing,
    a sync included, moves it); a view filtered by read or starred marks is never kept, since
    marking an article changes it without moving the version."""

    def __init__(self) -> None:
        self._last: tuple[tuple[View, int, int], list[int]] | None = None

    def page(
        self, conn: sqlite3.Connection, view: View, version: int, limit: int, offset: int
    ) -> list[int]:
        """The rowids of one page of ``view``."""
        query = parse(view.query)
        marks = view.unread or view.starred or query.read is not None or query.starred is not None
        if not query.fts or marks:
            return ordered(conn, view, limit, offset)
        last = self._last  # one read: another thread may replace it meanwhile
        key = (view, version, views.RANK_ALL)  # the threshold too: a test changes it
        if last is None or last[0] != key:
            last = key, ordered(conn, view)
            self._last = last
        return last[1][max(0, offset) : max(0, offset) + limit]

    def clear(self) -> None:
        """Forget the kept search (the cache changed under it)."""
        self._last = None


#: A text search matching at most this many articles checks their dates one by one (about
#: 2.5 us each, so 2.5 ms at most) instead of building the set of every rowid in the date
#: range: 0.45 us a row, 25 ms for the 56,000 rows of ``after:2020`` at 100,000 articles.
FEW = 1000


def _compile(conn: sqlite3.Connection, view: View, few: bool = False) -> Compiled:
    """``compile_view``, with each ``source:`` looked up first: the (provider, domain) pairs
    it names, a few, which the filter then reads by equality (see ``views.SOURCE_PAIRS``)."""
    return compile_view(view, few, _pairs(conn, parse(view.query)))


def _pairs(conn: sqlite3.Connection, query: Query) -> views.Pairs:
    """The (provider, domain) pairs each ``source:`` text of ``query`` names."""
    return {
        text: [(p, d) for p, d in conn.execute(views.SOURCE_PAIRS, [f"%{views.like(text)}%"] * 2)]
        for text in {*query.sources, *query.not_sources}
    }


def _compiled(conn: sqlite3.Connection, view: View) -> tuple[Compiled, bool]:
    """The view compiled, and whether its text search matches many articles (see ``FEW`` and
    ``views.Filter.per_match`` for what a search matching few does)."""
    compiled = _compile(conn, view)
    matches = _matches(conn, compiled.query) if compiled.query.fts else 0
    if compiled.text is not None and matches <= FEW and compiled.has_per_match:
        compiled = _compile(conn, view, few=True)
    return compiled, matches > views.RANK_ALL


def ordered(
    conn: sqlite3.Connection, view: View, limit: int | None = None, offset: int = 0
) -> list[int]:
    """Rowids of a view in display order, optionally one slice of them."""
    compiled, many = _compiled(conn, view)
    query = compiled.query
    if compiled.text is not None and many:
        keep, drop = _kept(conn, query)
        ranked = _title_first(conn, *_undated(conn, view, compiled), query, keep, drop)
        return ranked if limit is None else ranked[max(0, offset) : max(0, offset) + limit]
    if compiled.text is not None:
        # The full-text index answers, with each filter as a set of rowids: no article row
        # is read per match (rows are large, and a common word matches tens of thousands).
        where, params = compiled.text
        order, order_params = views.order(compiled, many, rowid="rowid")
        sql = f"SELECT rowid FROM fts{where} ORDER BY {order}"
    else:
        params = compiled.params
        order, order_params = views.order(compiled, many, sort=view.sort)
        sql = f"SELECT a.rowid FROM articles a{compiled.joins}{compiled.where} ORDER BY {order}"
    args = [*params, *order_params]
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args += [limit, max(0, offset)]
    else:
        # One row, not 100,000: Python's sqlite3 takes the GIL back after every row, and
        # while the UI thread is busy that turns a 20 ms scan into hundreds of milliseconds.
        # (An aggregate over a subquery with ORDER BY is not flattened, so the order holds.)
        sql = f"SELECT group_concat(rowid) FROM ({sql})"
    try:
        if limit is None:
            return _int_list(conn.execute(sql, args).fetchone()[0])
        return [r[0] for r in conn.execute(sql, args)]
    except sqlite3.OperationalError as error:
        if fts_error(error):
            return []  # the parser quotes everything; this is a last line of defence
        raise


def _matches(conn: sqlite3.Connection, query: Query) -> int:
    """How many articles a text search matches, counted up to ``RANK_ALL`` + 1 (past it, the
    order is by title first: see ``views.order``)."""
    try:
        return int(
            conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM fts WHERE fts MATCH ? LIMIT ?)",
                (query.fts, views.RANK_ALL + 1),
            ).fetchone()[0]
        )
    except sqlite3.OperationalError:
        return 0


def _undated(conn: sqlite3.Connection, view: View, compiled: Compiled) -> tuple[str, list[Any]]:
    """The full-text WHERE of a view without its dates and ``-topic:`` (see ``_kept``)."""
    query = compiled.query
    if query.after is None and query.before is None and not query.not_topics:
        assert compiled.text is not None
        return compiled.text
    bare = replace(query, after=None, before=None, not_topics=[])
    text = views.text_only(view, bare, views.filters(view, bare, _pairs(conn, query)))
    assert text is not None  # the same view, with fewer filters
    return text


def _kept(conn: sqlite3.Connection, query: Query) -> tuple[set[int] | None, set[int]]:
    """(the rowids a big search may keep, or None for any; those it may not): its date range
    (``_dated``) and its ``-topic:`` articles, each read off its index once. Inside the
    search, as ``+rowid NOT IN (…)``, SQLite's set of a topic of 10,000 articles cost a
    quarter of a search of 100,000 articles. (A ``topic:`` stays there: it keeps few of the
    matches, and reading every match into Python to cut it costs as much.)"""
    drop: set[int] = set()
    for topic in query.not_topics:
        drop |= _topic(conn, topic)
    return _dated(conn, query), drop


def _topic(conn: sqlite3.Connection, topic: str) -> set[int]:
    """The rowids of a topic's articles (as ``views._IN_TOPIC`` selects them)."""
    sql = "SELECT group_concat(article) FROM topics WHERE topic = ?"
    return set(_int_list(conn.execute(sql, (topic,)).fetchone()[0]))


def _dated(conn: sqlite3.Connection, query: Query) -> set[int] | None:
    """The rowids in a query's date range, off the date index, or None for no range.

    For a search matching many articles: SQLite built the same set inside the search, as the
    ``+rowid IN (…)`` of the filter, at about 1.5 us a rowid (90 ms of a 120 ms search for
    ``after:2020`` at 100,000 articles); read as one ``group_concat`` into a Python set it
    costs a third of that."""
    if query.after is None and query.before is None:
        return None
    where = [
        c
        for c, v in (("published >= ?", query.after), ("published < ?", query.before))
        if v is not None
    ]
    args = [v for v in (query.after, query.before) if v is not None]
    sql = f"SELECT group_concat(rowid) FROM articles WHERE {' AND '.join(where)}"
    return set(_int_list(conn.execute(sql, args).fetchone()[0]))


def _title_first(
    conn: sqlite3.Connection,
    where: str,
    params: list[Any],
    query: Query,
    keep: set[int] | None = None,
    drop: set[int] | None = None,
) -> list[int]:
    """A big text search in the order ``views.order`` describes, as two index walks: the
    articles matching in their title ranked by bm25, then every other match most recently
    added first, the order FTS5 returns rowids in without sorting. (One query ordering
    tens of thousands of matches by a CASE costs twice as long.) ``where`` and ``params``:
    the search's full-text WHERE, its MATCH first; ``keep``: only these rowids, ``drop``: not
    these (the dates and topics ``where`` leaves out, see ``_kept``).

    The title matches are ranked within the view's filters (``views.title_within``: those
    the search matches too), so no set of every match is built to cut them to the view (a
    set of 50,000 rowids). The order is the one ranking them all then cutting gave: a score
    does not depend on the other rows, and SQLite's sort keeps rows of equal score in the
    order FTS5 gave them (tests/test_search_paths.py checks it on titles that all tie)."""
    try:
        joined = conn.execute(
            f"SELECT group_concat(rowid) FROM (SELECT rowid FROM fts{where} ORDER BY rowid DESC)",
            params,
        ).fetchone()[0]
        titled = conn.execute(
            f"SELECT group_concat(rowid) FROM (SELECT rowid FROM fts{where} ORDER BY {views.RANK})",
            [views.title_within(query), *params[1:]],
        ).fetchone()[0]
    except sqlite3.OperationalError as error:
        if fts_error(error):
            return []
        raise
    first = _int_list(titled)
    every = _int_list(joined)
    if keep is not None:
        first = [r for r in first if r in keep]
        every = [r for r in every if r in keep]
    if drop:
        first = [r for r in first if r not in drop]
        every = [r for r in every if r not in drop]
    firsts = set(first)
    return first + [r for r in every if r not in firsts]


def matching(conn: sqlite3.Connection, view: View, column: str) -> tuple[str, list[Any]]:
    """SQL selecting ``column`` (``count(*)`` or ``rowid``) over the view's articles, unordered:
    from the full-text index alone when the view is a text search (no article rows read)."""
    compiled = _compiled(conn, view)[0] if parse(view.query).fts else _compile(conn, view)
    if compiled.text is not None:
        where, params = compiled.text
        return f"SELECT {column} FROM fts{where}", params
    selected = "a.rowid" if column == "rowid" else column
    return f"SELECT {selected} FROM articles a{compiled.joins}{compiled.where}", compiled.params


def count(conn: sqlite3.Connection, view: View) -> int:
    """How many articles the view shows."""
    sql, params = matching(conn, view, "count(*)")
    try:
        return int(conn.execute(sql, params).fetchone()[0])
    except sqlite3.OperationalError as error:
        if fts_error(error):
            return 0
        raise


def first_page(
    conn: sqlite3.Connection, view: View, rowid: int | None, n: int
) -> tuple[int, list[int], int, bool]:
    """See :meth:`Library.first_page`."""
    compiled = _compile(conn, view)
    placed = _place(conn, compiled, view.sort, rowid) if rowid is not None else None
    absent = placed is not None and placed[0] < 0
    if absent:
        placed = None
    # Centred on the row, but never past the end: a short view is one page from its top.
    start = max(0, min(placed[0] - n // 2, placed[1] - n)) if placed else 0
    if compiled.query.fts:
        page = ordered(conn, view, n, start)
        return start, page, len(page) if len(page) < n else count(conn, view), False
    joins, where, params = compiled.joins, compiled.where, compiled.params
    order, order_params = views.order(compiled, False, sort=view.sort)
    sql = (
        f"SELECT (SELECT group_concat(rowid) FROM (SELECT a.rowid FROM articles a{joins}"
        f"{where} ORDER BY {order} LIMIT ? OFFSET ?))"
    )
    args: list[Any] = [*params, *order_params, n, start]
    if placed is None:
        sql += f", (SELECT count(*) FROM articles a{joins}{where})"
        args += params
    joined, *counted = conn.execute(sql, args).fetchone()
    total = placed[1] if placed else counted[0]
    return start, _int_list(joined), total, absent


def _place(
    conn: sqlite3.Connection, compiled: Compiled, sort: str, rowid: int
) -> tuple[int, int] | None:
    """(where ``rowid`` is in the view's order, rows in the view), counted on the date
    index in two statements (milliseconds, where the whole ordered list takes tens);
    (-1, 0) for a row the view does not hold; None where that cannot be counted: a search,
    a topic, a sort other than by date."""
    where, params = compiled.where, compiled.params
    if compiled.query.fts or compiled.joins or sort not in ("newest", "oldest"):
        return None
    glue = " AND " if where else " WHERE "
    found = conn.execute(
        f"SELECT a.published FROM articles a{where}{glue}a.rowid = ?", [*params, rowid]
    ).fetchone()
    if found is None:
        return -1, 0
    published = found[0]
    # The order is ``published DESC, rowid DESC`` (newest) or ``published, rowid`` with
    # undated rows last (oldest); an undated row comes after every dated one in both.
    later = ">" if sort == "newest" else "<"
    if published is None:
        first, first_args = "a.published IS NOT NULL", []
        same, same_args = f"a.published IS NULL AND a.rowid {later} ?", [rowid]
    else:
        first, first_args = f"a.published {later} ?", [published]
        same, same_args = f"a.published = ? AND a.rowid {later} ?", [published, rowid]
    before, total = conn.execute(
        f"SELECT (SELECT count(*) FROM articles a{where}{glue}{first})"
        f" + (SELECT count(*) FROM articles a{where}{glue}{same}),"
        f" (SELECT count(*) FROM articles a{where})",
        [*params, *first_args, *params, *same_args, *params],
    ).fetchone()
    return int(before), int(total)


def rows(conn: sqlite3.Connection, rowids: Iterable[int], query: str, new_after: int) -> list[Row]:
    """Rows for the given rowids, in the same order; with a snippet when ``query`` searches
    text; ``new`` for those added after ``new_after``."""
    wanted = list(rowids)
    found: dict[int, tuple[Any, ...]] = {}
    for marks, chunk in in_chunks(wanted):
        found.update(
            (r[0], r)
            for r in conn.execute(
                "SELECT a.rowid, a.id, a.title, a.provider, a.published,"
                f" {views.FLAGS}, a.added > ? FROM articles a WHERE a.rowid IN ({marks})",
                [new_after, *chunk],
            )
        )
    snippets = snippets_of(conn, wanted, query) if query else {}
    return [
        Row(
            rowid=rowid,
            id=r[1],
            title=r[2],
            provider=r[3],
            published=dt(r[4]),
            read=bool(r[5]),
            starred=bool(r[6]),
            snippet=snippets.get(rowid, ""),
            new=bool(r[7]),
        )
        for rowid in wanted
        if (r := found.get(rowid)) is not None
    ]


def snippets_of(conn: sqlite3.Connection, rowids: list[int], query: str) -> dict[int, str]:
    """A highlighted snippet for each of ``rowids`` that ``query``'s text matches."""
    fts = parse(query).fts
    snippets: dict[int, str] = {}
    if not fts:
        return snippets
    # SQLite's snippet() tokenises the whole column and scores every window of it: minutes for
    # a body of 100,000 repeated words (issue 16). Long bodies get theirs made here instead,
    # from their start; every other row keeps SQLite's.
    long: set[int] = set()
    terms = parse(query).terms
    for marks, chunk in in_chunks(rowids):
        found = conn.execute(
            f"SELECT rowid, title, excerpt, substr(body, 1, {SNIPPET_SCAN})"
            f" FROM articles WHERE words > {SNIPPET_WORDS} AND rowid IN ({marks})",
            chunk,
        ).fetchall()
        for rowid, *texts in found:
            long.add(rowid)
            if text := _snippet(texts, terms):
                snippets[rowid] = text
    rowids = [r for r in rowids if r not in long] if long else rowids
    for marks, chunk in in_chunks(rowids):
        # FTS5 looks each rowid up on its own: cheap, whatever the query matches.
        try:
            snippets.update(
                conn.execute(
                    f"SELECT rowid, {views.SNIPPET} FROM fts WHERE fts MATCH ? AND rowid IN ({marks})",
                    [fts, *chunk],
                )
            )
        except sqlite3.OperationalError as error:
            if not fts_error(error):
                raise
    return snippets


#: Bodies longer than this many words get a snippet from their first SNIPPET_SCAN characters.
SNIPPET_WORDS = 20_000
SNIPPET_SCAN = 65_536


def _snippet(texts: list[str], terms: list[str], width: int = 14) -> str:
    """A snippet like SQLite's (``width`` words, matches between the markers, ``…`` where the
    text goes on) around the first match of ``terms`` in the first text holding one."""
    wanted = {t.casefold() for t in terms}
    for text in texts:
        words = text.split()
        at = next((i for i, w in enumerate(words) if _bare(w) in wanted), None)
        if at is None:
            continue
        start = max(0, min(at - width // 2, len(words) - width))
        shown = [
            f"{views.MARK_START}{w}{views.MARK_END}" if _bare(w) in wanted else w
            for w in words[start : start + width]
        ]
        return (
            ("…" if start else "") + " ".join(shown) + ("…" if start + width < len(words) else "")
        )
    return ""


def _bare(word: str) -> str:
    return word.strip(".,;:!?\"'()[]“”‘’—-").casefold()


def _int_list(joined: str | None) -> list[int]:
    """The ints of a ``group_concat``: json parses 100,000 of them in half the time of int()."""
    return json.loads(f"[{joined}]") if joined else []


def fts_error(error: sqlite3.OperationalError) -> bool:
    """Whether an error is FTS5 refusing a query (rather than a real failure)."""
    text = str(error).lower()
    return "fts5" in text or "syntax" in text or "malformed match" in text


def dt(epoch: int | None) -> datetime | None:
    """A stored epoch as a UTC datetime."""
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None
