"""The library: one folder's cache plus the user's state, and every query the UI and CLI need.

The TUI and the CLI read through this class only; neither parses article files itself. It is a
facade: the work is done by the modules beside it (``store`` opens and lends connections,
``views`` compiles a view to SQL and ``listing`` runs it, ``state`` keeps the user's marks,
``sync`` and ``stories`` fill the cache). All methods are safe to call from worker threads.
Importing it loads no ingest code: ``sync`` (and with it trafilatura) is imported when a sync
runs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newsreader import paths
from newsreader.library import db, listing, state
from newsreader.library import records as recordlib
from newsreader.library import series as serieslib
from newsreader.library import stories as storylib
from newsreader.library.db import in_chunks
from newsreader.library.listing import dt
from newsreader.library.store import Store
from newsreader.library.views import folder_range
from newsreader.model import (
    Article,
    Counts,
    Image,
    Link,
    Problem,
    RelatedLink,
    Row,
    Series,
    Story,
    View,
)

if TYPE_CHECKING:
    from newsreader.library.sync import Progress, SyncReport

#: The types the UI names, importable from here too (they live in ``model``).
__all__ = ["Counts", "Library", "Link", "Row", "Series", "Story", "View"]

log = logging.getLogger(__name__)

#: Milliseconds an article cleaned on demand waits to be stored while a sync writes a batch:
#: storing only saves a later phase work, and the reader must not wait for it.
CLEAN_NOW_WAIT_MS = 300


@dataclass
class Library:
    """A folder's library. Use :meth:`open`."""

    folder: str
    store: Store
    #: Rows of articles added after this epoch are flagged ``new`` (the previous visit).
    new_after: int = 2**62
    #: Index what symlinks to files outside the folder point at (the setting of that name).
    follow_symlinks_outside: bool = False
    #: The last text search paged through, ranked once (see :meth:`page`).
    last_search: listing.LastSearch = field(default_factory=listing.LastSearch)
    #: One sync at a time in this process (see :meth:`sync`); set once quitting stopped one.
    _sync_turn: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: How many times :meth:`stop_sync` was called: a sync that waited across one gives up.
    _stops: int = 0
    #: Syncs waiting for their turn: a polishing that holds it stops for them.
    _syncs_waiting: int = 0
    _counting: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(
        cls,
        folder: str | Path,
        data_dir: str | Path | None = None,
        *,
        follow_symlinks_outside: bool = False,
    ) -> Library:
        """Open (creating, migrating or recovering) the cache and state for ``folder``."""
        folder = str(Path(folder).expanduser().resolve())
        store = Store.open(paths.data_dir(data_dir), paths.library_key(folder))
        return cls(folder, store, follow_symlinks_outside=follow_symlinks_outside)

    @property
    def conn(self) -> sqlite3.Connection:
        """The shared connection (the only one when the cache is in memory)."""
        return self.store.conn

    @property
    def cache_path(self) -> Path | None:
        """The cache file, or None when working from memory."""
        return self.store.cache_path

    @property
    def opened(self) -> db.Opened:
        """What opening found (see :attr:`warnings`)."""
        return self.store.opened

    @property
    def warnings(self) -> list[str]:
        """Messages from opening: recoveries, fallbacks."""
        return self.store.opened.warnings

    def _db(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self.store.reading()

    def set_cache_aside(self, close: bool = True) -> Path | None:
        """Move a damaged cache aside (see :meth:`Store.set_cache_aside`); the state stays."""
        return self.store.set_cache_aside(close)

    def close(self) -> None:
        """Close the connections (see :meth:`Store.close`)."""
        self.store.close()

    # -- sync -------------------------------------------------------------------------------------

    def sync(
        self,
        progress: Progress | None = None,
        workers: int | None = None,
        *,
        full: bool = False,
    ) -> SyncReport:
        """Bring the cache up to date with the folder (see ``sync.sync_store``); ``full``
        re-reads every file, changed or not. A big index leaves rough bodies: see :meth:`polish`.

        Syncs of this library run one at a time: one that starts while another runs (r pressed
        during the startup sync, a fetch's sync) waits its turn, then finds the work done.
        Two at once parsed every changed file twice. A sync that was waiting its turn when
        :meth:`stop_sync` was called returns at once with nothing done; later syncs run."""
        from newsreader.library.sync import SyncReport, sync_store  # ingest code, when needed

        stops = self._stops
        with self._waiting_for_turn():
            if self._stops != stops:  # quitting stopped the sync this one waited for
                return SyncReport()
            try:
                return sync_store(
                    self.store,
                    self.folder,
                    progress,
                    workers,
                    full=full,
                    follow_symlinks_outside=self.follow_symlinks_outside,
                )
            finally:
                self.last_search.clear()  # in memory, a sync does not move the data_version

    @contextlib.contextmanager
    def _waiting_for_turn(self) -> Iterator[None]:
        """Hold the sync turn, counted as waiting until it has it (a polishing stops for it)."""
        with self._counting:
            self._syncs_waiting += 1
        waiting = True
        try:
            with self._sync_turn:
                with self._counting:
                    self._syncs_waiting -= 1
                waiting = False
                yield
        finally:
            if waiting:  # interrupted while waiting
                with self._counting:
                    self._syncs_waiting -= 1

    def polish(self, progress: Progress | None = None, workers: int | None = None) -> SyncReport:
        """Clean fully the bodies a big index left rough (``library.polish``): for idle time,
        after the sync. Its workers run at a lower priority, and a sync asked for meanwhile (or
        :meth:`stop_sync`) ends it after the batch at hand: what it did is kept, and the next
        call goes on from there. Returns what it changed; its phase is "polishing"."""
        from newsreader.library.polish import polish_store
        from newsreader.library.sync import SyncReport

        stops = self._stops
        with self._sync_turn:
            if self._stops != stops:
                return SyncReport()
            try:
                return polish_store(
                    self.store,
                    progress,
                    workers,
                    stop=lambda: self._syncs_waiting > 0 or self._stops != stops,
                )
            finally:
                self.last_search.clear()

    def rough_bodies(self) -> int:
        """Articles whose bodies are rough still (searchable; see :meth:`polish`)."""
        with self._db() as conn:
            count: int = conn.execute("SELECT count(*) FROM rough").fetchone()[0]
        return count

    def stop_sync(self) -> None:
        """End a sync running in another thread now (its parse workers are killed and it
        raises ``pools.Stopped``): what quitting mid-sync calls, so the process can exit at
        once instead of waiting for every file in flight. What was stored is kept."""
        from newsreader.library import pools

        self._stops += 1
        pools.stop_all()

    def data_version(self) -> int:
        """A number that changes when another connection commits to the cache: another
        newsreader or ``newsreader index`` indexed something (or this session's own sync did,
        through its writer). Cheap (no file is read), so an open reader can poll it every few
        seconds and reload when it moved. Read and star marks live in the state and do not
        move it: the reader's own marks would otherwise reload its list each time."""
        with self.store.lock:
            return int(self.store.conn.execute("PRAGMA main.data_version").fetchone()[0])

    def problems(self) -> list[Problem]:
        """Files skipped by the last sync, with their reasons."""
        with self._db() as conn:
            rows = conn.execute(
                "SELECT path, problem FROM files WHERE problem IS NOT NULL ORDER BY path"
            ).fetchall()
        return [Problem(path, reason) for path, reason in rows]

    # -- listing ----------------------------------------------------------------------------------

    def rowids(self, view: View) -> list[int]:
        """Every rowid the view shows, in display order (newest first, or by rank for a search)."""
        with self._db() as conn:
            return listing.ordered(conn, view)

    def article_ids(self, view: View) -> list[str]:
        """Article ids (not rowids) of a view, for bulk marking (in no particular order)."""
        rowids = self.rowids(view)
        with self._db() as conn:
            return [
                r[0]
                for marks, chunk in in_chunks(rowids)
                for r in conn.execute(f"SELECT id FROM articles WHERE rowid IN ({marks})", chunk)
            ]

    def count(self, view: View) -> int:
        """How many articles the view shows."""
        with self._db() as conn:
            return listing.count(conn, view)

    def first_page(self, view: View, rowid: int | None, n: int) -> tuple[int, list[int], int, bool]:
        """The page of ``n`` rowids around ``rowid`` (or the view's first page): (offset of its
        first row, its rowids, rows in the whole view, whether the view was counted and does not
        hold ``rowid`` at all: then the first page is where the list starts anyway, say for an
        unread-only view and a saved article that is read). Three statements, each one row: at
        startup every statement waits its turn for the GIL the UI thread is painting with, so
        it is how many there are, more than what they scan, that the first paint waits for.
        The page holds ``rowid`` unless the view cannot be counted on the date index (a search,
        a topic, a sort other than by date) and it is further down than the first page."""
        with self._db() as conn:
            return listing.first_page(conn, view, rowid, n)

    def rows(self, rowids: Iterable[int], query: str = "") -> list[Row]:
        """Rows for the given rowids, in the same order; with a snippet when ``query`` searches text."""
        with self._db() as conn:
            return listing.rows(conn, rowids, query, self.new_after)

    def text_lines(self, rowids: Sequence[int]) -> Iterator[str]:
        """``list``'s line for each article, in the given order, streamed (see ``records``)."""
        with self._db() as conn:
            yield from recordlib.text_lines(conn, rowids)

    def json_lines(
        self, rowids: Sequence[int], query: str = "", shown: Callable[[str], str] = str
    ) -> Iterator[tuple[str, str]]:
        """(id, JSON line) per article, in the given order, streamed (see ``records``):
        ``Article.to_json()`` plus read, starred, related_local, story, similar,
        inferred_topics, and a snippet (its matches in [brackets]) when ``query`` searches
        text; paths through ``shown``."""
        with self._db() as conn:
            found = listing.snippets_of(conn, list(rowids), query) if query else {}
            snippets = {k: s.replace("\x02", "[").replace("\x03", "]") for k, s in found.items()}
            yield from recordlib.json_lines(conn, rowids, snippets, shown)

    def page(self, view: View, offset: int = 0, limit: int = 200) -> list[Row]:
        """One page of the view, with snippets when the view searches text.

        The rowids are ordered first and only the page's rows are read: a snippet costs a
        tokenisation, and SQLite would make one for every match before applying the OFFSET.
        A text search is ranked once for all its pages (``listing.LastSearch``).
        """
        version = self.data_version()
        with self._db() as conn:
            rowids = self.last_search.page(conn, view, version, limit, offset)
            return listing.rows(conn, rowids, view.query, self.new_after)

    # -- one article ------------------------------------------------------------------------------

    def article(self, key: str | int) -> Article | None:
        """The full article by id or rowid, with its cleaned body and every file that holds it."""
        column = "rowid" if isinstance(key, int) else "id"
        with self._db() as conn:
            cursor = conn.cursor()
            cursor.row_factory = sqlite3.Row  # this cursor only: the connection is shared
            row = cursor.execute(
                "SELECT id, path, title, kind, body, excerpt, published, url, web_url,"
                " provider, domain, topics, type, data,"
                " (EXISTS(SELECT 1 FROM pending WHERE article = articles.rowid)"
                " OR EXISTS(SELECT 1 FROM rough WHERE article = articles.rowid)) AS pending"
                f" FROM articles WHERE {column} = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            files = [
                p
                for (p,) in conn.execute(
                    "SELECT path FROM files WHERE article_id = ? ORDER BY path", (row["id"],)
                )
            ]
        data = json.loads(row["data"])
        path = row["path"]
        article = Article(
            id=row["id"],
            path=path,
            title=row["title"],
            kind=row["kind"],
            body=row["body"],
            excerpt=row["excerpt"],
            published=dt(row["published"]),
            url=row["url"],
            web_url=row["web_url"],
            provider=row["provider"],
            domain=row["domain"],
            topics=[t for t in row["topics"].split("\n") if t],
            type=row["type"],
            images=[Image(*i) for i in data["images"]],
            related=[
                RelatedLink(t, u, e, p, d, _iso(pub), k)
                for t, u, e, p, d, pub, k in data["related"]
            ],
            extras=data["extras"],
            paths=[path, *[p for p in files if p != path]],
        )
        if row["pending"]:  # its body not cleaned yet: clean it now (library.bodies, .polish)
            return self._clean_now(article)
        return article

    def _clean_now(self, article: Article) -> Article:
        """``article`` cleaned now (``bodies.clean_now``), and kept when the cache is a file."""
        from newsreader.library import bodies

        return bodies.clean_now(article, self._keep_cleaned if self.store.cache_path else None)

    def _keep_cleaned(self, full: Article) -> None:
        """Store an article cleaned on demand, through a writer of its own that waits for a
        sync's batch only briefly: storing saves a later phase work, and the reader must not
        wait for it. A cache that cannot take it now (busy, read-only) is left to the phases."""
        from newsreader.library import bodies

        try:
            with self.store.writing() as writer:
                writer.execute(f"PRAGMA busy_timeout = {CLEAN_NOW_WAIT_MS}")
                bodies.store_cleaned(writer, full)
        except sqlite3.Error as error:
            log.info("an article cleaned on demand was not stored: %s", error)

    def bodies_pending(self) -> int:
        """Articles listed whose bodies are not cleaned and searchable yet (``library.bodies``):
        while there are any, a text search finds them by title, source and topics only."""
        with self._db() as conn:
            count: int = conn.execute("SELECT count(*) FROM pending").fetchone()[0]
        return count

    def rowid_of(self, article_id: str) -> int | None:
        """The rowid of an article id, or None."""
        with self._db() as conn:
            row = conn.execute("SELECT rowid FROM articles WHERE id = ?", (article_id,)).fetchone()
        return int(row[0]) if row else None

    def related(self, article: Article) -> list[Link]:
        """The article's related links, each resolved to a local article where there is one."""
        keys = [r.key for r in article.related if r.key]
        local: dict[str, int] = {}
        with self._db() as conn:
            for marks, chunk in in_chunks(keys):
                local.update(
                    conn.execute(f"SELECT key, article FROM url_keys WHERE key IN ({marks})", chunk)
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
        return [Story(sid, size, dt(newest), title) for sid, size, newest, title in found]

    def story_count(self) -> int:
        """How many stories there are."""
        with self._db() as conn:
            return storylib.story_count(conn)

    def series(self) -> list[Series]:
        """Recurring series (a daily newsletter), biggest and newest first, with unread counts."""
        with self._db() as conn:
            found = serieslib.series_list(conn)
            read = dict(
                conn.execute(
                    "SELECT s.series, count(*) FROM state.read r JOIN articles a ON a.id = r.id"
                    " JOIN series s ON s.article = a.rowid GROUP BY s.series"
                ).fetchall()
            )
        return [Series(sid, title, size, size - read.get(sid, 0)) for sid, title, size, _ in found]

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

    def folder_counts(self, base: str) -> dict[str, tuple[int, int]]:
        """(total, unread) of the articles in each folder right below ``base``, by its path:
        the feeds' folders. One grouped query on the range of ``files`` paths below ``base``,
        so it reads only those files' index entries and their read marks."""
        start, end = folder_range(base)
        with self._db() as conn:
            found = conn.execute(
                "SELECT substr(f.path, 1, ? + instr(substr(f.path, ? + 1), '/') - 1) AS folder,"
                " count(DISTINCT f.article_id), count(DISTINCT r.id)"
                " FROM files f LEFT JOIN state.read r ON r.id = f.article_id"
                " WHERE f.path >= ? AND f.path < ? AND f.article_id IS NOT NULL"
                " GROUP BY folder",
                (len(start), len(start), start, end),
            ).fetchall()
        return {
            folder: (total, total - read)
            for folder, total, read in found
            if folder != base.rstrip("/")
        }

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

    def set_read(self, ids: Iterable[str], read: bool = True) -> None:
        """Mark articles read or unread."""
        state.set_marked(self.store, "read", ids, read)

    def set_starred(self, ids: Iterable[str], starred: bool = True) -> None:
        """Star or unstar articles."""
        state.set_marked(self.store, "starred", ids, starred)

    def is_read(self, article_id: str) -> bool:
        """Whether the article is read."""
        return state.is_marked(self.store, "read", article_id)

    def is_starred(self, article_id: str) -> bool:
        """Whether the article is starred."""
        return state.is_marked(self.store, "starred", article_id)

    def saved_searches(self) -> list[tuple[str, str]]:
        """Saved searches as (name, query)."""
        return state.saved_searches(self.store)

    def save_search(self, name: str, query: str) -> None:
        """Save (or replace) a search by name."""
        state.save_search(self.store, name, query)

    def delete_search(self, name: str) -> None:
        """Forget a saved search."""
        state.delete_search(self.store, name)

    def rename_search(self, old: str, new: str) -> bool:
        """Rename a saved search; False when there is none by ``old`` or ``new`` is taken."""
        return state.rename_search(self.store, old, new)

    def position(self) -> tuple[str | None, str | None, int | None]:
        """(last article id, last topic, time of the last visit) for this folder."""
        return state.position(self.store, self.folder)

    def save_position(self, article_id: str | None, topic: str | None = None) -> None:
        """Remember where the user is in this folder."""
        state.save_position(self.store, self.folder, article_id, topic)

    def new_since(self, epoch: int) -> int:
        """How many articles arrived after ``epoch``."""
        with self._db() as conn:
            found = conn.execute("SELECT count(*) FROM articles WHERE added > ?", (epoch,))
            return int(found.fetchone()[0])


def _iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
