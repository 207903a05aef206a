"""The library: one folder's cache plus the user's state, and every query the UI and CLI need.

The TUI and the CLI read through this class only; neither parses article files itself.
All methods are safe to call from worker threads (one lock guards the shared connection; a sync
writes through a connection of its own so readers are not held up, thanks to WAL).
"""

from __future__ import annotations

import contextlib
import json
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsreader import paths
from newsreader.library import db
from newsreader.library import stories as storylib
from newsreader.library.query import Query, parse
from newsreader.library.sync import Progress, SyncReport, sync
from newsreader.model import Article, Image, Problem, RelatedLink

#: Snippet highlight markers: control characters, which ingest strips from all file text,
#: so they can only come from here.
MARK_START, MARK_END = "\x02", "\x03"
#: Search results order: bm25 weighing title 10, excerpt 4, body 1, provider 2, topics 2.
RANK = "bm25(fts, 10.0, 4.0, 1.0, 2.0, 2.0)"
#: Searches matching more articles than this rank title matches first (see ``Library._order``).
RANK_ALL = 3000
#: A highlighted excerpt of the best-matching column, for a search hit.
SNIPPET = f"snippet(fts, -1, '{MARK_START}', '{MARK_END}', '…', 14)"
#: Whether a row (``a``) is read and starred.
FLAGS = "a.id IN (SELECT id FROM state.read), a.id IN (SELECT id FROM state.starred)"


@dataclass(frozen=True)
class View:
    """What the article list shows: a query plus the tree's choice and quick filters."""

    query: str = ""
    topic: str | None = None
    source: str | None = None
    unread: bool = False
    starred: bool = False
    #: Substring filter as you type (title, source, topic).
    quick: str = ""
    #: Only the reports of one story.
    story: str | None = None
    #: Order of a list that is not a text search: newest, oldest, title or source.
    sort: str = "newest"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the article list: no body."""

    rowid: int
    id: str
    title: str
    provider: str
    published: datetime | None
    read: bool
    starred: bool
    snippet: str = ""
    #: Arrived since the previous visit (see ``Library.new_after``).
    new: bool = False


@dataclass
class Link:
    """A related link with the local article it resolves to, if the library has it."""

    link: RelatedLink
    local: Row | None = None


@dataclass
class Story:
    """A story: reports of the same event, grouped by similarity, links and dates."""

    id: str
    size: int
    newest: datetime | None
    title: str


@dataclass
class Counts:
    """A topic's or source's name with its totals."""

    name: str
    total: int
    unread: int


@dataclass
class Library:
    """A folder's library. Use :meth:`open`."""

    folder: str
    conn: sqlite3.Connection
    cache_path: Path | None
    opened: db.Opened
    #: Where state writes go: a connection of their own, so they never wait on a sync's cache lock.
    state_path: Path | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self._state = db.connect(self.state_path) if self.state_path else self.conn
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._prefix = "" if self.state_path else "state."
        self._closed = False
        #: Rows of articles added after this epoch are flagged ``new`` (the previous visit).
        self.new_after: int = 2**62

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection for one call.

        With the cache in a file, each call borrows a reader from a small pool, so the reader
        pane's queries run beside a slow count for the tree instead of queueing behind it (WAL
        lets readers work side by side). In memory there is one connection, behind the lock.
        """
        if self.cache_path is None or self.state_path is None:
            with self.lock:
                yield self.conn
            return
        try:
            conn = self._readers.get_nowait()
        except queue.Empty:
            conn = db.connect(self.cache_path)
            conn.execute("ATTACH DATABASE ? AS state", (str(self.state_path),))
        try:
            yield conn
        finally:
            with self.lock:
                if self._closed:
                    conn.close()
                else:
                    self._readers.put(conn)

    # -- opening ----------------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: str | Path, data_dir: str | Path | None = None) -> Library:
        """Open (creating, migrating or recovering) the cache and state for ``folder``."""
        folder = str(Path(folder).expanduser().resolve())
        base = paths.data_dir(data_dir)
        opened = db.Opened()
        state_path = base / "state.sqlite"
        state = db.open_db(
            state_path,
            db.STATE_MIGRATIONS,
            db.STATE_VERSION,
            opened,
            label="reading state",
            precious=True,
        )
        state_in_memory = opened.in_memory
        opened.in_memory = False
        cache_path = base / "cache" / f"{paths.library_key(folder)}.sqlite"
        conn = db.open_db(
            cache_path, db.CACHE_MIGRATIONS, db.CACHE_VERSION, opened, label="cache", precious=False
        )
        cache_path_used = None if opened.in_memory else cache_path
        if state_in_memory:
            _attach_state_copy(conn, state)
            opened.in_memory = True
        else:
            conn.execute("ATTACH DATABASE ? AS state", (str(state_path),))
        state.close()
        try:
            storylib.ensure_schema(conn)
        except sqlite3.OperationalError as error:  # e.g. held by another writer for too long
            opened.warnings.append(f"Stories are unavailable this time: {error}")
        return cls(folder, conn, cache_path_used, opened, None if state_in_memory else state_path)

    def set_cache_aside(self, close: bool = True) -> Path | None:
        """Move the cache out of the way after damage was met while using it (closing it first,
        unless the session goes on with it); the next :meth:`open` starts a new one and its
        sync refills it. The state is untouched."""
        if close:
            self.close()
        if self.cache_path is None or not self.cache_path.exists():
            return None
        return db.move_aside(self.cache_path, "corrupt")

    @property
    def warnings(self) -> list[str]:
        """Messages from opening: recoveries, fallbacks."""
        return self.opened.warnings

    def close(self) -> None:
        """Close the connections: idle ones now, one still in use when its query ends.

        A worker thread may be mid-query when the app quits; closing its connection under it
        crashes the process (seen: a segfault in ``_counts`` at exit), so a borrowed reader is
        closed by ``_db`` when it comes back.
        """
        with self.lock:
            self._closed = True
            while True:
                try:
                    self._readers.get_nowait().close()
                except queue.Empty:
                    break
            self.conn.close()
            if self._state is not self.conn:
                self._state.close()

    # -- sync -------------------------------------------------------------------------------------

    def sync(self, progress: Progress | None = None, workers: int | None = None) -> SyncReport:
        """Bring the cache up to date with the folder.

        If the disk fills up (or turns read-only) on the way, the session goes on from memory:
        what the cache and the state held is copied there, the sync finishes, and
        :attr:`warnings` says that nothing more is kept.
        """
        try:
            return self._sync(progress, workers)
        except sqlite3.OperationalError as error:
            if self.cache_path is None or not db.unwritable(error):
                raise
            self._work_from_memory(error)
            return self._sync(progress, workers)

    def _work_from_memory(self, error: sqlite3.OperationalError) -> None:
        """Swap the files for in-memory copies of what they hold (see :meth:`sync`)."""
        assert self.cache_path is not None
        with self.lock:
            # Copied through the open connections, so what is still in the WAL files comes too.
            memory = db.connect(":memory:")
            self.conn.backup(memory)
            state = db.connect(":memory:")
            (self._state if self.state_path else self.conn).backup(
                state, name="main" if self.state_path else "state"
            )
            _attach_state_copy(memory, state)
            state.close()
            with contextlib.suppress(sqlite3.Error):
                storylib.ensure_schema(memory)
            self.close()
            self._closed = False  # the in-memory copy is the session's from here on
            self.conn = self._state = memory
            self.cache_path = self.state_path = None
            self._prefix = "state."
            self.opened.in_memory = True
            self.opened.warnings.append(
                f"Cannot write to the data dir ({error}); working from memory from now on, "
                "so new read marks and stars will not be kept after you quit."
            )

    def _sync(self, progress: Progress | None, workers: int | None) -> SyncReport:
        if self.cache_path is None:
            with self.lock:
                report = sync(self.conn, self.folder, progress=progress, workers=workers)
                self._update_stories(self.conn, report)
                self._carry_marks(report)
                return report
        writer = db.connect(self.cache_path, cache_mb=2)
        try:
            report = sync(writer, self.folder, progress=progress, workers=workers)
            self._update_stories(writer, report)
            self._carry_marks(report)
            return report
        finally:
            writer.close()

    def _carry_marks(self, report: SyncReport) -> None:
        """Read and starred marks follow an article whose id changed in place (see
        :attr:`SyncReport.moved_ids`); the old marks stay too, in case the change is undone."""
        if not report.moved_ids:
            return
        for table in ("read", "starred"):
            self._state_write(
                f"INSERT OR IGNORE INTO state.{table}(id, at)"
                f" SELECT ?, at FROM state.{table} WHERE id = ?",
                [(new, old) for old, new in report.moved_ids],
            )

    def _update_stories(self, conn: sqlite3.Connection, report: SyncReport) -> None:
        """Regroup stories for what this sync changed (nothing to do after a no-change sync)."""
        started = time.perf_counter()
        rowids = storylib.changed_rowids(conn, report.changed_ids)
        # {-1}: only deletions happened; update() finds the vanished articles itself.
        storylib.update(conn, rowids or ({-1} if report.changed_ids else set()))
        report.story_seconds = time.perf_counter() - started

    def problems(self) -> list[Problem]:
        """Files skipped by the last sync, with their reasons."""
        with self._db() as conn:
            rows = conn.execute(
                "SELECT path, problem FROM files WHERE problem IS NOT NULL ORDER BY path"
            ).fetchall()
        return [Problem(path, reason) for path, reason in rows]

    # -- listing ----------------------------------------------------------------------------------

    def _where(self, view: View) -> tuple[str, str, list[Any], Query]:
        """FROM/JOIN clause, WHERE clause and parameters (joins' first) for a view."""
        query = parse(view.query)
        joins = ""
        where: list[str] = []
        params: list[Any] = []
        topics = [*query.topics, *([view.topic] if view.topic else [])]
        if query.fts:
            joins = " JOIN fts ON fts.rowid = a.rowid"
            where.append("fts MATCH ?")
            params.append(query.fts)
        elif topics:
            # Drive a topic's list from its index, already in date order (see ``_order``).
            joins = " JOIN topics t ON t.article = a.rowid AND t.topic = ?"
            params.append(topics.pop(0))
        if query.exclude:
            where.append("a.rowid NOT IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            params.append(query.exclude)
        for topic in topics:
            where.append("a.rowid IN (SELECT article FROM topics WHERE topic = ?)")
            params.append(topic)
        for source in query.sources:
            where.append("(a.provider LIKE ? ESCAPE '\\' OR a.domain LIKE ? ESCAPE '\\')")
            params += [f"%{_like(source)}%"] * 2
        for topic in query.not_topics:
            where.append("a.rowid NOT IN (SELECT article FROM topics WHERE topic = ?)")
            params.append(topic)
        for source in query.not_sources:
            where.append("NOT (a.provider LIKE ? ESCAPE '\\' OR a.domain LIKE ? ESCAPE '\\')")
            params += [f"%{_like(source)}%"] * 2
        if view.source:
            where.append("a.provider = ?")
            params.append(view.source)
        if view.unread or query.read is False:
            where.append("a.id NOT IN (SELECT id FROM state.read)")
        if query.read:
            where.append("a.id IN (SELECT id FROM state.read)")
        if view.starred or query.starred:
            where.append("a.id IN (SELECT id FROM state.starred)")
        if query.starred is False:
            where.append("a.id NOT IN (SELECT id FROM state.starred)")
        if query.after is not None:
            where.append("a.published >= ?")
            params.append(query.after)
        if query.before is not None:
            where.append("a.published < ?")
            params.append(query.before)
        # Every word typed must appear (in any order) in the title, source or topics.
        for word in view.quick.split()[:8]:
            like = f"%{_like(word)}%"
            where.append(
                "(a.title LIKE ? ESCAPE '\\' OR a.provider LIKE ? ESCAPE '\\'"
                " OR a.topics LIKE ? ESCAPE '\\')"
            )
            params += [like, like, like]
        if view.story:
            where.append("a.rowid IN (SELECT s.article FROM stories s WHERE s.story = ?)")
            params.append(view.story)
        return joins, (" WHERE " + " AND ".join(where)) if where else "", params, query

    @staticmethod
    def _order(
        joins: str, query: Query, many: bool, rowid: str = "a.rowid", sort: str = "newest"
    ) -> tuple[str, list[Any]]:
        """ORDER BY clause and its parameters: newest first, or by relevance for a search.

        bm25 costs microseconds a row: too much for a common word matching half of 100,000
        articles. Past ``RANK_ALL`` matches, the articles that match in their title come first,
        ranked by bm25, and the rest follow most recently added first. At the top, where people
        look, that is the order a full ranking gives (the title weighs most), for a fraction of
        the work. ``many``: the search matches more than that (see ``_many_matches``).
        """
        if not query.fts:
            if sort == "oldest":
                return "a.published IS NULL, a.published, a.rowid", []
            if sort == "title":
                return "a.title COLLATE NOCASE, a.rowid", []
            if sort == "source":
                return (
                    "a.provider = '', a.provider COLLATE NOCASE, a.published DESC, a.rowid DESC",
                    [],
                )
            if " JOIN topics t " in joins:
                return "t.published DESC, t.article DESC", []
            return "a.published DESC, a.rowid DESC", []
        if not many:
            return RANK, []
        titled = f"{rowid} IN (SELECT rowid FROM fts WHERE fts MATCH ?)"
        return (
            f"coalesce(CASE WHEN {titled} THEN {RANK} END, 1e300), {rowid} DESC",
            [f"title : ({query.fts})"],
        )

    def _ordered(self, view: View, limit: int | None = None, offset: int = 0) -> list[int]:
        """Rowids of a view in display order, optionally one slice of them."""
        joins, where, params, query = self._where(view)
        text_only = self._text_only(view, query)
        many = bool(query.fts) and self._many_matches(query)
        if text_only is not None and many:
            ranked = self._title_first(*text_only, query)
            return ranked if limit is None else ranked[max(0, offset) : max(0, offset) + limit]
        if text_only is not None:
            # The full-text index answers, with each filter as a set of rowids: no article row
            # is read per match (rows are large, and a common word matches tens of thousands).
            where, params = text_only
            order, order_params = self._order(joins, query, many, rowid="rowid")
            sql = f"SELECT rowid FROM fts{where} ORDER BY {order}"
        else:
            order, order_params = self._order(joins, query, many, sort=view.sort)
            sql = f"SELECT a.rowid FROM articles a{joins}{where} ORDER BY {order}"
        args = [*params, *order_params]
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [limit, max(0, offset)]
        else:
            # One row, not 100,000: Python's sqlite3 takes the GIL back after every row, and
            # while the UI thread is busy that turns a 20 ms scan into hundreds of milliseconds.
            # (An aggregate over a subquery with ORDER BY is not flattened, so the order holds.)
            sql = f"SELECT group_concat(rowid) FROM ({sql})"
        with self._db() as conn:
            try:
                if limit is None:
                    joined = conn.execute(sql, args).fetchone()[0]
                    return _int_list(joined)
                return [r[0] for r in conn.execute(sql, args)]
            except sqlite3.OperationalError as error:
                if _fts_error(error):
                    return []  # the parser quotes everything; this is a last line of defence
                raise

    def _many_matches(self, query: Query) -> bool:
        """Whether a text search matches more than ``RANK_ALL`` articles (see ``_order``)."""
        with self._db() as conn:
            try:
                return bool(
                    conn.execute(
                        "SELECT count(*) > ? FROM (SELECT 1 FROM fts WHERE fts MATCH ? LIMIT ?)",
                        (RANK_ALL, query.fts, RANK_ALL + 1),
                    ).fetchone()[0]
                )
            except sqlite3.OperationalError:
                return False

    def _title_first(self, where: str, params: list[Any], query: Query) -> list[int]:
        """A big text search in the order ``_order`` describes, as two index walks: the
        articles matching in their title ranked by bm25, then every other match most recently
        added first, the order FTS5 returns rowids in without sorting. (One query ordering
        tens of thousands of matches by a CASE costs twice as long.)"""
        with self._db() as conn:
            try:
                joined = conn.execute(
                    f"SELECT group_concat(rowid) FROM (SELECT rowid FROM fts{where}"
                    " ORDER BY rowid DESC)",
                    params,
                ).fetchone()[0]
                # The filters (dates, sources, state) were applied above; here membership in
                # that result applies them again, instead of building their rowid sets twice.
                titled = conn.execute(
                    "SELECT group_concat(rowid) FROM (SELECT rowid FROM fts WHERE fts MATCH ?"
                    f" ORDER BY {RANK})",
                    (f"title : ({query.fts})",),
                ).fetchone()[0]
            except sqlite3.OperationalError as error:
                if _fts_error(error):
                    return []
                raise
        every = _int_list(joined)
        matched = set(every)
        first = [r for r in _int_list(titled) if r in matched]
        firsts = set(first)
        return first + [r for r in every if r not in firsts]

    @staticmethod
    def _text_only(view: View, query: Query) -> tuple[str, list[Any]] | None:
        """WHERE clause and parameters over ``fts`` alone for a text search, if it can be one.

        Filters are written ``+rowid IN (…)``: the ``+`` keeps SQLite from handing the rowid set
        to FTS5 as a constraint, which would run the full-text query once per rowid in the set
        (measured: 6 s for ``after:`` at 100,000 articles, against milliseconds).
        """
        if not query.fts or view.quick:
            return None
        where = ["fts MATCH ?"]
        params: list[Any] = [query.fts]
        sources = "SELECT rowid FROM articles WHERE provider LIKE ? ESCAPE '\\'"
        sources += " OR domain LIKE ? ESCAPE '\\'"
        read = "SELECT a.rowid FROM state.read r JOIN articles a ON a.id = r.id"
        starred = "SELECT a.rowid FROM state.starred s JOIN articles a ON a.id = s.id"
        if query.exclude:
            where.append("+rowid NOT IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            params.append(query.exclude)
        for topic in [*query.topics, *([view.topic] if view.topic else [])]:
            where.append("+rowid IN (SELECT article FROM topics WHERE topic = ?)")
            params.append(topic)
        for topic in query.not_topics:
            where.append("+rowid NOT IN (SELECT article FROM topics WHERE topic = ?)")
            params.append(topic)
        for source, negated in [(x, False) for x in query.sources] + [
            (x, True) for x in query.not_sources
        ]:
            where.append(f"+rowid {'NOT ' if negated else ''}IN ({sources})")
            params += [f"%{_like(source)}%"] * 2
        if view.source:
            where.append("+rowid IN (SELECT rowid FROM articles WHERE provider = ?)")
            params.append(view.source)
        if view.unread or query.read is False:
            where.append(f"+rowid NOT IN ({read})")
        if query.read:
            where.append(f"+rowid IN ({read})")
        if view.starred or query.starred:
            where.append(f"+rowid IN ({starred})")
        if query.starred is False:
            where.append(f"+rowid NOT IN ({starred})")
        if query.after is not None:
            where.append("+rowid IN (SELECT rowid FROM articles WHERE published >= ?)")
            params.append(query.after)
        if query.before is not None:
            where.append("+rowid IN (SELECT rowid FROM articles WHERE published < ?)")
            params.append(query.before)
        return " WHERE " + " AND ".join(where), params

    def first_page(self, view: View, rowid: int | None, n: int) -> tuple[int, list[int], int, bool]:
        """The page of ``n`` rowids around ``rowid`` (or the view's first page): (offset of its
        first row, its rowids, rows in the whole view, whether the view was counted and does not
        hold ``rowid`` at all: then the first page is where the list starts anyway, say for an
        unread-only view and a saved article that is read). Three statements, each one row: at
        startup every statement waits its turn for the GIL the UI thread is painting with, so
        it is how many there are, more than what they scan, that the first paint waits for.
        The page holds ``rowid`` unless the view cannot be counted on the date index (see
        :meth:`_place`) and it is further down than the first page."""
        placed = self._place(view, rowid) if rowid is not None else None
        absent = placed is not None and placed[0] < 0
        if absent:
            placed = None
        # Centred on the row, but never past the end: a short view is one page from its top.
        start = max(0, min(placed[0] - n // 2, placed[1] - n)) if placed else 0
        joins, where, params, query = self._where(view)
        if query.fts:
            page = self._ordered(view, n, start)
            return start, page, len(page) if len(page) < n else self.count(view), False
        order, order_params = self._order(joins, query, False, sort=view.sort)
        sql = (
            f"SELECT (SELECT group_concat(rowid) FROM (SELECT a.rowid FROM articles a{joins}"
            f"{where} ORDER BY {order} LIMIT ? OFFSET ?))"
        )
        args: list[Any] = [*params, *order_params, n, start]
        if placed is None:
            sql += f", (SELECT count(*) FROM articles a{joins}{where})"
            args += params
        with self._db() as conn:
            joined, *counted = conn.execute(sql, args).fetchone()
        page = _int_list(joined)
        total = placed[1] if placed else counted[0]
        return start, page, total, absent

    def _place(self, view: View, rowid: int) -> tuple[int, int] | None:
        """(where ``rowid`` is in the view's order, rows in the view), counted on the date
        index in two statements (milliseconds, where the whole ordered list takes tens);
        (-1, 0) for a row the view does not hold; None where that cannot be counted: a search,
        a topic, a sort other than by date."""
        joins, where, params, query = self._where(view)
        if query.fts or joins or view.sort not in ("newest", "oldest"):
            return None
        glue = " AND " if where else " WHERE "
        with self._db() as conn:
            found = conn.execute(
                f"SELECT a.published FROM articles a{where}{glue}a.rowid = ?", [*params, rowid]
            ).fetchone()
            if found is None:
                return -1, 0
            published = found[0]
            # The order is ``published DESC, rowid DESC`` (newest) or ``published, rowid`` with
            # undated rows last (oldest); an undated row comes after every dated one in both.
            later = ">" if view.sort == "newest" else "<"
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

    def ids(self, view: View) -> list[int]:
        """Every rowid the view shows, in display order (newest first, or by rank for a search)."""
        return self._ordered(view)

    def count(self, view: View) -> int:
        """How many articles the view shows."""
        joins, where, params, query = self._where(view)
        text_only = self._text_only(view, query)
        if text_only is not None:
            where, params = text_only
            sql = f"SELECT count(*) FROM fts{where}"  # no article rows read
        else:
            sql = f"SELECT count(*) FROM articles a{joins}{where}"
        with self._db() as conn:
            try:
                return int(conn.execute(sql, params).fetchone()[0])
            except sqlite3.OperationalError as error:
                if _fts_error(error):
                    return 0
                raise

    def rows(self, rowids: Iterable[int], query: str = "") -> list[Row]:
        """Rows for the given rowids, in the same order; with a snippet when ``query`` searches text."""
        wanted = list(rowids)
        if not wanted:
            return []
        found: dict[int, tuple[Any, ...]] = {}
        snippets: dict[int, str] = {}
        fts = parse(query).fts if query else ""
        with self._db() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(
                    (r[0], r)
                    for r in conn.execute(
                        "SELECT a.rowid, a.id, a.title, a.provider, a.published,"
                        f" {FLAGS}, a.added > ? FROM articles a WHERE a.rowid IN ({marks})",
                        [self.new_after, *chunk],
                    )
                )
                if fts:
                    # FTS5 looks each rowid up on its own: cheap, whatever the query matches.
                    try:
                        snippets.update(
                            conn.execute(
                                f"SELECT rowid, {SNIPPET}"
                                f" FROM fts WHERE fts MATCH ? AND rowid IN ({marks})",
                                [fts, *chunk],
                            )
                        )
                    except sqlite3.OperationalError as error:
                        if not _fts_error(error):
                            raise
        return [
            Row(
                r[0],
                r[1],
                r[2],
                r[3],
                _dt(r[4]),
                bool(r[5]),
                bool(r[6]),
                snippets.get(rowid, ""),
                bool(r[7]),
            )
            for rowid in wanted
            if (r := found.get(rowid)) is not None
        ]

    def page(self, view: View, offset: int = 0, limit: int = 200) -> list[Row]:
        """One page of the view, with snippets when the view searches text.

        The rowids are ordered first and only the page's rows are read: a snippet costs a
        tokenisation, and SQLite would make one for every match before applying the OFFSET.
        """
        return self.rows(self._ordered(view, limit, offset), view.query)

    # -- one article ------------------------------------------------------------------------------

    def article(self, key: str | int) -> Article | None:
        """The full article by id or rowid, with its cleaned body and every file that holds it."""
        column = "rowid" if isinstance(key, int) else "id"
        with self._db() as conn:
            row = conn.execute(
                "SELECT id, path, title, kind, body, excerpt, published, url, web_url, provider,"
                " domain,"
                f" topics, type, data FROM articles WHERE {column} = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            files = [
                p
                for (p,) in conn.execute(
                    "SELECT path FROM files WHERE article_id = ? ORDER BY path", (row[0],)
                )
            ]
        data = json.loads(row[13])
        return Article(
            id=row[0],
            path=row[1],
            title=row[2],
            kind=row[3],
            body=row[4],
            excerpt=row[5],
            published=_dt(row[6]),
            url=row[7],
            web_url=row[8],
            provider=row[9],
            domain=row[10],
            topics=[t for t in row[11].split("\n") if t],
            type=row[12],
            images=[Image(*i) for i in data["images"]],
            related=[
                RelatedLink(t, u, e, p, d, _iso(pub), k)
                for t, u, e, p, d, pub, k in data["related"]
            ],
            extras=data["extras"],
            paths=[row[1], *[p for p in files if p != row[1]]] if files else [row[1]],
        )

    def rowid_of(self, article_id: str) -> int | None:
        """The rowid of an article id, or None."""
        with self._db() as conn:
            row = conn.execute("SELECT rowid FROM articles WHERE id = ?", (article_id,)).fetchone()
        return int(row[0]) if row else None

    def related(self, article: Article) -> list[Link]:
        """The article's related links, each resolved to a local article where there is one."""
        keys = [r.key for r in article.related if r.key]
        local: dict[str, int] = {}
        if keys:
            marks = ",".join("?" * len(keys))
            with self._db() as conn:
                local = dict(
                    conn.execute(
                        f"SELECT key, article FROM url_keys WHERE key IN ({marks})", keys
                    ).fetchall()
                )
        rows = {r.rowid: r for r in self.rows(set(local.values()))}
        return [
            Link(r, rows.get(local[r.key]) if r.key in local else None) for r in article.related
        ]

    def referenced_by(self, article_id: str) -> list[Row]:
        """Local articles whose ``related[]`` points at this one (backlinks)."""
        with self._db() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT l.article FROM links l JOIN url_keys k ON k.key = l.key"
                    " JOIN articles a ON a.rowid = k.article"
                    " WHERE a.id = ? AND l.article != a.rowid",
                    (article_id,),
                )
            ]
        return self.rows(ids)

    def related_local_ids(self, article: Article) -> list[str]:
        """Ids of local articles this article's ``related[]`` resolves to."""
        return [link.local.id for link in self.related(article) if link.local]

    # -- stories --------------------------------------------------------------------------------

    def story_of(self, article_id: str) -> str | None:
        """The story an article belongs to, or None when it stands alone."""
        with self._db() as conn:
            return storylib.story_of(conn, article_id)

    def story_rows(self, story_id: str) -> list[Row]:
        """The reports of a story, newest first."""
        with self._db() as conn:
            rowids = storylib.story_members(conn, story_id)
        return self.rows(rowids)

    def stories(self, limit: int = 200, offset: int = 0) -> list[Story]:
        """Stories of two or more reports, biggest and newest first."""
        with self._db() as conn:
            found = storylib.stories(conn, limit, offset)
        return [Story(sid, size, _dt(newest), title) for sid, size, newest, title in found]

    def story_count(self) -> int:
        """How many stories there are."""
        with self._db() as conn:
            return storylib.story_count(conn)

    def similar(self, article_id: str, n: int = 5) -> list[Row]:
        """The nearest articles that are not the same story."""
        with self._db() as conn:
            found = storylib.similar(conn, article_id, n)
            rowids = [r for (i, _) in found if (r := self.rowid_of(i)) is not None]
        return self.rows(rowids)

    def similar_ids(self, article_id: str, n: int = 5) -> list[str]:
        """Ids of the nearest articles that are not the same story."""
        with self._db() as conn:
            return [i for i, _ in storylib.similar(conn, article_id, n)]

    def inferred_topics(self, article_id: str) -> list[str]:
        """Topics suggested for an untagged article from the folder's own vocabulary."""
        with self._db() as conn:
            return storylib.inferred_topics(conn, article_id)

    # -- tree counts ------------------------------------------------------------------------------

    def totals(self) -> dict[str, int]:
        """All, unread and starred counts."""
        with self._db() as conn:
            total, unread, starred = conn.execute(
                "SELECT count(*), count(*) - count(r.id), count(s.id) FROM articles a"
                " LEFT JOIN state.read r ON r.id = a.id LEFT JOIN state.starred s ON s.id = a.id"
            ).fetchone()
        return {"all": total, "unread": unread, "starred": starred}

    def topics(self) -> list[Counts]:
        """Every topic with total and unread counts, biggest first."""
        return self._counts(
            "SELECT topic, count(*) FROM topics GROUP BY topic",
            "SELECT t.topic, count(*) FROM state.read r JOIN articles a ON a.id = r.id"
            " JOIN topics t ON t.article = a.rowid GROUP BY t.topic",
            fold=True,
        )

    def sources(self) -> list[Counts]:
        """Every source (provider) with total and unread counts, biggest first."""
        return self._counts(
            "SELECT provider, count(*) FROM articles WHERE provider != '' GROUP BY provider",
            "SELECT a.provider, count(*) FROM state.read r JOIN articles a ON a.id = r.id"
            " WHERE a.provider != '' GROUP BY a.provider",
        )

    def _counts(self, totals_sql: str, read_sql: str, *, fold: bool = False) -> list[Counts]:
        # Totals come off an index; read counts are driven by the (smaller) read table, so
        # neither query visits every article row.
        with self._db() as conn:
            totals = conn.execute(totals_sql).fetchall()
            read: dict[str, int] = {}
            for name, n in conn.execute(read_sql):
                key = name.casefold() if fold else name
                read[key] = read.get(key, 0) + n
        counts = [
            Counts(name, total, total - read.get(name.casefold() if fold else name, 0))
            for name, total in totals
        ]
        return sorted(counts, key=lambda c: (-c.total, c.name))

    # -- user state -------------------------------------------------------------------------------

    def _state_write(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self.lock, db.write(self._state):
            self._state.executemany(sql.replace("state.", self._prefix), rows)

    def set_read(self, ids: Iterable[str], read: bool = True) -> None:
        """Mark articles read or unread."""
        now = int(time.time())
        if read:
            self._state_write(
                "INSERT OR IGNORE INTO state.read(id, at) VALUES (?, ?)", [(i, now) for i in ids]
            )
        else:
            self._state_write("DELETE FROM state.read WHERE id = ?", [(i,) for i in ids])

    def set_starred(self, ids: Iterable[str], starred: bool = True) -> None:
        """Star or unstar articles."""
        now = int(time.time())
        if starred:
            self._state_write(
                "INSERT OR IGNORE INTO state.starred(id, at) VALUES (?, ?)", [(i, now) for i in ids]
            )
        else:
            self._state_write("DELETE FROM state.starred WHERE id = ?", [(i,) for i in ids])

    def ids_of_view(self, view: View) -> list[str]:
        """Article ids (not rowids) of a view, for bulk marking."""
        rowids = self.ids(view)
        out: list[str] = []
        with self._db() as conn:
            for start in range(0, len(rowids), 500):
                chunk = rowids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                out += [
                    r[0]
                    for r in conn.execute(
                        f"SELECT id FROM articles WHERE rowid IN ({marks})", chunk
                    )
                ]
        return out

    def is_read(self, article_id: str) -> bool:
        """Whether the article is read."""
        with self._db() as conn:
            return (
                conn.execute("SELECT 1 FROM state.read WHERE id = ?", (article_id,)).fetchone()
                is not None
            )

    def is_starred(self, article_id: str) -> bool:
        """Whether the article is starred."""
        with self._db() as conn:
            return (
                conn.execute("SELECT 1 FROM state.starred WHERE id = ?", (article_id,)).fetchone()
                is not None
            )

    def saved_searches(self) -> list[tuple[str, str]]:
        """Saved searches as (name, query)."""
        with self._db() as conn:
            return list(conn.execute("SELECT name, query FROM state.saved_searches ORDER BY name"))

    def save_search(self, name: str, query: str) -> None:
        """Save (or replace) a search by name."""
        self._state_write(
            "INSERT OR REPLACE INTO state.saved_searches(name, query, created) VALUES (?,?,?)",
            [(name, query, int(time.time()))],
        )

    def delete_search(self, name: str) -> None:
        """Forget a saved search."""
        self._state_write("DELETE FROM state.saved_searches WHERE name = ?", [(name,)])

    def position(self) -> tuple[str | None, str | None, int | None]:
        """(last article id, last topic, time of the last visit) for this folder."""
        with self._db() as conn:
            row = conn.execute(
                "SELECT article_id, topic, last_visit FROM state.positions WHERE folder = ?",
                (self.folder,),
            ).fetchone()
        return (row[0], row[1], row[2]) if row else (None, None, None)

    def save_position(self, article_id: str | None, topic: str | None = None) -> None:
        """Remember where the user is in this folder."""
        self._state_write(
            "INSERT OR REPLACE INTO state.positions(folder, article_id, topic, last_visit)"
            " VALUES (?,?,?,?)",
            [(self.folder, article_id, topic, int(time.time()))],
        )

    def new_since(self, epoch: int) -> int:
        """How many articles arrived after ``epoch``."""
        with self._db() as conn:
            return int(
                conn.execute("SELECT count(*) FROM articles WHERE added > ?", (epoch,)).fetchone()[
                    0
                ]
            )


def _int_list(joined: str | None) -> list[int]:
    """The ints of a ``group_concat``: json parses 100,000 of them in half the time of int()."""
    return json.loads(f"[{joined}]") if joined else []


def _fts_error(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "fts5" in text or "syntax" in text or "malformed match" in text


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _dt(epoch: int | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


def _iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def open_library(
    folder: str | Path,
    data_dir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Library, SyncReport]:
    """Open and sync in one call (the CLI's usual path)."""
    library = Library.open(folder, data_dir)
    return library, library.sync(progress)


def _attach_state_copy(conn: sqlite3.Connection, state: sqlite3.Connection) -> None:
    """Attach an in-memory ``state`` to ``conn`` holding what ``state`` holds (a read-only or
    full data dir: the user's marks are still shown, and new ones last the session)."""
    conn.execute("ATTACH DATABASE ':memory:' AS state")
    for statement in db.STATE_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement.replace("IF NOT EXISTS ", "IF NOT EXISTS state.", 1))
    for table in ("read", "starred", "saved_searches", "positions"):
        rows = state.execute(f"SELECT * FROM {table}").fetchall()
        if rows:
            marks = ",".join("?" * len(rows[0]))
            conn.executemany(f"INSERT OR IGNORE INTO state.{table} VALUES ({marks})", rows)
