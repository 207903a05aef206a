"""Bring a folder's cache up to date: walk and stat, parse only what is new or changed.

Parsing runs in a process pool (every core) while this process writes. The workers hand back
rows ready to insert (JSON already encoded), so the writer does little more than SQLite work.
Every batch of files is one transaction, with the ``files`` rows written together with the
articles they produced, so a sync killed at any point leaves a usable cache and the next one
carries on from there.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import stat
import time
from dataclasses import dataclass, field

from newsreader.ingest.discover import FileEntry, walk
from newsreader.library import bodies, db, freshness, mailboxes, phases, state
from newsreader.library.db import write
from newsreader.library.parsing import (
    FILE_TIME_LIMIT,
    Messages,
    Parsed,
    Prepared,
    Rough,
    parse_entries,
    parse_file,
)
from newsreader.library.store import Store
from newsreader.model import Problem

log = logging.getLogger(__name__)

#: Files per transaction. Bigger batches commit less often; a kill loses at most one batch.
BATCH = 1000
#: Seconds between two progress reports while files are parsed (a batch can take longer).
PROGRESS_EVERY = 0.5
#: Changed articles after which the full-text index is merged again (see _tidy_search_index).
OPTIMIZE_AFTER = 2000
#: Bump when loading or cleaning changes what an article holds: the next sync then re-reads
#: every file, so a better cleaner reaches the articles already in the cache.
INGEST_VERSION = "5"


@dataclass
class SyncReport:
    """What one sync did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped: int = 0
    unchanged: int = 0
    #: New files holding an article another file already holds (same canonical URL or text).
    duplicates: int = 0
    seconds: float = 0.0
    changed_ids: set[str] = field(default_factory=set)
    #: Files parsed in this sync (new or changed).
    parsed: int = 0
    #: Seconds spent regrouping stories after the files were stored.
    story_seconds: float = 0.0
    #: Seconds of each phase (``phases.PHASES``) that ran, in order.
    phase_seconds: dict[str, float] = field(default_factory=dict)
    #: (old id, new id) of files whose article id changed in place (an edit or a better
    #: cleaner changed the text an id is hashed from): the reader's marks follow them.
    moved_ids: list[tuple[str, str]] = field(default_factory=list)
    #: Articles listed from their metadata alone, whose bodies were cleaned after (a sync of
    #: ``bodies.TWO_PHASE_MIN`` files or more lists them all first; see ``library.bodies``).
    listed: int = 0

    def summary(self) -> str:
        """One line for people."""
        dupes = f", {self.duplicates} duplicates" if self.duplicates else ""
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.skipped} skipped{dupes}, {self.unchanged} unchanged in {self.seconds:.2f}s"
        )


Progress = phases.Progress  # (done, total, phase): see library/phases.py


class FolderUnavailable(OSError):
    """The folder itself cannot be read (moved, deleted, unmounted, no permission): the sync
    stops before it changes anything, as an empty listing would otherwise remove every article."""


def _root_identity(folder: str) -> tuple[int, int]:
    """(device, inode) of a folder that can be listed; FolderUnavailable if it cannot."""
    try:
        st = os.stat(folder)
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "not a folder")
        with os.scandir(folder):
            pass
    except OSError as error:
        why = error.strerror or str(error)
        raise FolderUnavailable(
            f"the folder {folder!r} cannot be read ({why}); nothing was changed"
        ) from error
    return st.st_dev, st.st_ino


_COLUMNS = (
    "id, path, title, kind, excerpt, body, published, url, web_url, provider, domain, topics,"
    " type, data, words"
)
_INSERT = (
    f"INSERT INTO articles(rowid, {_COLUMNS}, added) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT(id) DO NOTHING RETURNING rowid"
)


#: How many times a sync that found the cache locked past the busy timeout starts again
#: (another process's sync commits a batch at a time and may win the lock each time).
BUSY_RETRIES = 6


def sync_store(
    store: Store,
    folder: str,
    progress: Progress | None = None,
    workers: int | None = None,
    *,
    full: bool = False,
    follow_symlinks_outside: bool = False,
) -> SyncReport:
    """Bring a library's cache up to date with its folder, regroup the stories for what
    changed, and carry read and starred marks over to articles whose id changed. The rough
    bodies a big index leaves are polished apart, after it (``library.polish``).

    If the disk fills up (or turns read-only) on the way, the session goes on from memory:
    what the cache and the state held is copied there, the sync finishes, and the store's
    warnings say that nothing more is kept. A cache another process keeps busy is waited for:
    the sync starts again (what it stored is kept) rather than failing "database is locked".
    A cache deleted under the session is started again first.
    """
    options = {"full": full, "follow_symlinks_outside": follow_symlinks_outside}
    for attempt in range(BUSY_RETRIES + 1):
        store.rebuild_if_gone()
        try:
            return _sync_store(store, folder, progress, workers, **options)
        except sqlite3.OperationalError as error:
            if db.is_locked(error) and attempt < BUSY_RETRIES:
                log.info("the cache is busy; waiting for it (%s)", error)
                continue
            if store.cache_path is None or not db.unwritable(error):
                raise
            store.work_from_memory(error)
            return _sync_store(store, folder, progress, workers, **options)
    raise AssertionError("unreachable")  # the last attempt returns or raises


def _sync_store(
    store: Store,
    folder: str,
    progress: Progress | None,
    workers: int | None,
    *,
    full: bool,
    follow_symlinks_outside: bool,
) -> SyncReport:
    timed = phases.Phases(progress)
    with store.writing() as conn:
        report = sync(
            conn,
            folder,
            progress=timed,
            workers=workers,
            full=full,
            follow_symlinks_outside=follow_symlinks_outside,
        )
        # Marks first follow the ids pass 1 moved: the bodies' phase may move them again.
        state.carry_marks(store, report.moved_ids)
        if report.listed or bodies.pending_count(conn):  # this sync's, or a killed one's
            changed = report.added + report.updated + report.removed
            started = time.perf_counter()
            cleaned = bodies.index_bodies(
                conn,
                report,
                workers=workers,
                progress=timed,
                carry=lambda moved: state.carry_marks(store, moved),
            )
            _tidy_search_index(conn, changed + cleaned)
            # Marks made on a listed id after its batch had moved it (the list shows listed ids
            # until it reloads) follow it too: each batch carried only what was there by then.
            state.carry_marks(store, report.moved_ids)
            report.seconds += time.perf_counter() - started  # the stories stay apart, as before
        started = time.perf_counter()
        timed(0, 0, "stories")
        # With the articles a polishing or the reader cleaned and left to re-sign (``resign``).
        bodies.regroup_stories(conn, report.changed_ids)
        report.story_seconds = time.perf_counter() - started
        timed(1, 1, "stories")
        timed.end()
        report.phase_seconds = timed.seconds
        return report


def sync(
    conn: sqlite3.Connection,
    folder: str,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    full: bool = False,
    follow_symlinks_outside: bool = False,
) -> SyncReport:
    """Sync ``folder`` into the cache behind ``conn``. Interrupting it loses at most one batch.

    ``full`` re-reads every file, changed or not (an edit that kept the size and restored the
    mtime is otherwise never seen); ``follow_symlinks_outside`` indexes what symlinks to files
    outside the folder point at (see ``discover.walk``).

    With ``bodies.TWO_PHASE_MIN`` files or more to read, this is the first phase only: every
    article is listed, and those with bodies to clean are left in ``pending`` for
    ``bodies.index_bodies``, which ``sync_store`` runs next (and any later sync finishes).
    """
    started = time.perf_counter()
    report = SyncReport()
    if progress:
        progress(0, 0, "scanning")
    _build_indexes(conn)  # a cold build killed before the end of its first phase left them out
    if not full and (same := freshness.unchanged(conn, folder, INGEST_VERSION)) is not None:
        report.unchanged = same  # nothing added, removed or changed (see ``freshness``)
        report.seconds = time.perf_counter() - started
        return report
    known: dict[str, tuple[int, int, str | None]] = {
        path: (size, mtime, article_id)
        for path, size, mtime, article_id in conn.execute(
            "SELECT path, size, mtime_ns, article_id FROM files"
        )
    }
    # Files holding several articles (an mbox's messages): their edits are stored apart.
    several = mailboxes.paths(conn)
    stored = conn.execute("SELECT value FROM meta WHERE key = 'ingest'").fetchone()
    stale = stored is None or stored[0] != INGEST_VERSION
    if stale and not known:
        # An empty cache holds nothing stale; saying so now lets a killed first index resume.
        _set_ingest_version(conn)
        stale = False
    todo: list[FileEntry] = []
    seen: set[str] = set()
    odd: list[tuple[str, str]] = []  # FIFOs, devices, broken symlinks: listed, never opened
    root = _root_identity(folder)
    for entry in walk(folder, odd, follow_symlinks_outside=follow_symlinks_outside):
        seen.add(entry.path)
        if progress and not len(seen) % 2000:
            progress(len(seen), 0, "scanning")
        old = known.get(entry.path)
        if old is None or old[0] != entry.size or old[1] != entry.mtime_ns or stale or full:
            todo.append(entry)
        else:
            report.unchanged += 1
    if progress:
        progress(len(seen), len(seen), "scanning")
    seen.update(path for path, _ in odd)
    if _root_identity(folder) != root:  # moved or replaced during the walk: it proves nothing
        raise FolderUnavailable(
            f"the folder {folder!r} changed during the scan; nothing was changed"
        )
    gone = [path for path in known if path not in seen]
    del seen
    if gone:
        with write(conn):
            for path in gone:
                _forget_file(conn, path, report, several)
    odd = [(path, why) for path, why in odd if known.get(path) != (-1, -1, None)]
    if odd:
        with write(conn):
            for path, why in odd:
                if path in known:
                    _forget_file(conn, path, report, several, counting=False)
                conn.execute(
                    "INSERT OR REPLACE INTO files(path, size, mtime_ns, article_id, problem)"
                    " VALUES (?,-1,-1,NULL,?)",
                    (path, why),
                )
                report.skipped += 1
    quick = len(todo) >= bodies.TWO_PHASE_MIN
    if quick and not known:
        _drop_indexes(conn)
    if todo:
        now = int(time.time())
        done = 0
        batch: list[tuple[FileEntry, Parsed]] = []
        told = time.perf_counter()
        if progress:
            progress(0, len(todo), "parsing")
        for entry, result in parse_entries(todo, workers, mode="quick" if quick else "full"):
            assert not isinstance(result, Rough)  # only the bodies' phase asks for rough text
            batch.append((entry, result))
            if progress and time.perf_counter() - told > PROGRESS_EVERY:
                told = time.perf_counter()  # done: stored, and parsed waiting in the batch
                progress(done + len(batch), len(todo), "parsing")
            if len(batch) >= BATCH:
                _store_batch(conn, batch, known, now, report, several)
                done += len(batch)
                batch = []
                if progress:
                    progress(done, len(todo), "parsing")
        if batch:
            _store_batch(conn, batch, known, now, report, several)
            done += len(batch)
            if progress:
                progress(done, len(todo), "parsing")
    if progress:
        progress(0, 0, "storing")
    _build_indexes(conn)
    if stale:
        _set_ingest_version(conn)  # only now: a sync cut short re-reads everything again
    if not report.listed:  # else after the bodies, which replace the listed rows' entries
        _tidy_search_index(conn, report.added + report.updated + report.removed)
    report.parsed = len(todo)
    report.seconds = time.perf_counter() - started
    return report


#: The cache's secondary indexes. A cold build in two phases writes its rows without them and
#: builds each once at the end of the first phase (a fifth less writing, measured at 20,000).
_INDEXES = [
    statement
    for statement in db._statements(db.CACHE_SCHEMA_V3 + db.QUICK_INDEX)
    if statement.startswith("CREATE INDEX")
]


def _drop_indexes(conn: sqlite3.Connection) -> None:
    with write(conn):
        for statement in _INDEXES:
            name = statement.split()[5]  # CREATE INDEX IF NOT EXISTS name ON …
            conn.execute(f"DROP INDEX IF EXISTS {name}")


def _build_indexes(conn: sqlite3.Connection) -> None:
    """Create any secondary index missing (each a no-op when it is there)."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    missing = [s for s in _INDEXES if s.split()[5] not in present]
    if missing:
        with write(conn):
            for statement in missing:
                conn.execute(statement)


def _tidy_search_index(conn: sqlite3.Connection, changed: int) -> None:
    """Merge the full-text index into one segment once a tenth of the articles (and at least
    OPTIMIZE_AFTER) have changed since it last was. Each sync's changes add segments, and each
    replaced row leaves its old entries behind until a merge: after a full re-read, searches
    took twice as long (p95 80 ms against 42 ms at 100,000 articles), and the merge 2.7 s."""
    if not changed:
        return
    try:
        with write(conn):
            row = conn.execute("SELECT value FROM meta WHERE key = 'fts_changes'").fetchone()
            total = (int(row[0]) if row and str(row[0]).isdigit() else 0) + changed
            articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            if total >= max(OPTIMIZE_AFTER, articles // 10):
                conn.execute("INSERT INTO fts(fts) VALUES ('optimize')")
                total = 0
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('fts_changes', ?)", (str(total),)
            )
    except sqlite3.Error as error:
        # Only tidying: the sync itself is stored. A full disk (the merge rewrites the index)
        # must not cost it; the next sync tries again.
        log.warning("the search index was not merged: %s", error)


def _set_ingest_version(conn: sqlite3.Connection) -> None:
    with write(conn):
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('ingest', ?)", (INGEST_VERSION,)
        )


def _store_batch(
    conn: sqlite3.Connection,
    batch: list[tuple[FileEntry, Parsed]],
    known: dict[str, tuple[int, int, str | None]],
    now: int,
    report: SyncReport,
    several: set[str],
) -> None:
    report.listed += sum(isinstance(r, Prepared) and r.pending for _, r in batch)
    with write(conn):
        for entry, result in batch:
            old = known.get(entry.path)
            old_id = old[2] if old else None
            _store(conn, entry, result, now, report, old_id, old is not None, several)


def _store(
    conn: sqlite3.Connection,
    entry: FileEntry,
    result: Parsed,
    now: int,
    report: SyncReport,
    old_id: str | None,
    existed: bool,
    several: set[str],
) -> None:
    path = entry.path
    if isinstance(result, Messages) or (existed and path in several):
        mailboxes.store(conn, entry, result, now, report, old_id, several)
        return
    if existed and isinstance(result, Prepared) and result.id == old_id:
        # The same article with new content: refresh it in place, keeping its rowid.
        conn.execute(
            "UPDATE files SET size = ?, mtime_ns = ?, problem = NULL WHERE path = ?",
            (entry.size, entry.mtime_ns, path),
        )
        row = conn.execute("SELECT rowid, path FROM articles WHERE id = ?", (result.id,)).fetchone()
        if row is None:
            insert_prepared(conn, result, path, now)
        elif row[1] == path:
            _delete_article(conn, row[0])
            insert_prepared(conn, result, path, now, rowid=row[0])
        report.updated += 1
        report.changed_ids.add(result.id)
        return
    if existed:
        _forget_file(conn, path, report, several, counting=False)
        if old_id and isinstance(result, Prepared):
            report.moved_ids.append((old_id, result.id))
    if isinstance(result, Problem):
        conn.execute(
            "INSERT OR REPLACE INTO files(path, size, mtime_ns, article_id, problem)"
            " VALUES (?,?,?,NULL,?)",
            (path, entry.size, entry.mtime_ns, result.reason),
        )
        report.skipped += 1
        return
    conn.execute(
        "INSERT OR REPLACE INTO files(path, size, mtime_ns, article_id, problem)"
        " VALUES (?,?,?,?,NULL)",
        (path, entry.size, entry.mtime_ns, result.id),
    )
    if insert_prepared(conn, result, path, now) is None:
        row = conn.execute("SELECT rowid, path FROM articles WHERE id = ?", (result.id,)).fetchone()
        if row[1] == path:
            # Another sync of the same folder stored this file first: refresh it.
            _delete_article(conn, row[0])
            insert_prepared(conn, result, path, now, rowid=row[0])
        else:
            # A copy of an article another file holds: it only adds a path. The first path in
            # sort order is the article's ``path``, whatever order the files were read in.
            if path < row[1]:
                conn.execute("UPDATE articles SET path = ? WHERE rowid = ?", (path, row[0]))
            if not existed:
                report.duplicates += 1
                return
    report.changed_ids.add(result.id)
    if existed:
        report.updated += 1
    else:
        report.added += 1


def insert_prepared(
    conn: sqlite3.Connection, item: Prepared, path: str, now: int, rowid: int | None = None
) -> int | None:
    """Write one article and its index rows; returns its rowid, or None if the id is taken."""
    found = conn.execute(_INSERT, (rowid, item.id, path, *item.values, now)).fetchone()
    if found is None:
        return None
    new: int = found[0]
    if item.pending:
        conn.execute("INSERT OR IGNORE INTO pending(article) VALUES (?)", (new,))
    v = item.values
    conn.execute(
        "INSERT INTO fts(rowid, title, excerpt, body, provider, topics) VALUES (?,?,?,?,?,?)",
        (new, v.title, v.excerpt, v.body, f"{v.provider} {v.domain}", v.topics),
    )
    if item.topics:
        conn.executemany(
            "INSERT INTO topics(article, topic, published) VALUES (?,?,?)",
            [(new, t, v.published) for t in item.topics],
        )
    if item.url_keys:
        conn.executemany(
            "INSERT INTO url_keys(key, article) VALUES (?,?)", [(k, new) for k in item.url_keys]
        )
    if item.link_keys:
        conn.executemany(
            "INSERT INTO links(article, position, key) VALUES (?,?,?)",
            [(new, i, k) for i, k in enumerate(item.link_keys)],
        )
    return new


def _forget_file(
    conn: sqlite3.Connection,
    path: str,
    report: SyncReport,
    several: set[str],
    counting: bool = True,
) -> None:
    """Drop a file and each article it holds (see ``_forget_article``)."""
    row = conn.execute("SELECT article_id FROM files WHERE path = ?", (path,)).fetchone()
    conn.execute("DELETE FROM files WHERE path = ?", (path,))
    if counting:
        report.removed += 1
    if path in several:  # an mbox: its other messages' articles go too
        mailboxes.forget(conn, path, report, several, counting=counting)
    if row is not None and row[0] is not None:
        _forget_article(conn, row[0], path, report)


def _forget_article(
    conn: sqlite3.Connection, article_id: str, path: str, report: SyncReport
) -> bool:
    """``path`` holds ``article_id`` no more: drop the article when no other file holds it (and
    say so), else hand it over."""
    article = conn.execute(
        "SELECT rowid, path, added FROM articles WHERE id = ?", (article_id,)
    ).fetchone()
    if article is None:
        return False
    other = conn.execute(mailboxes.FIRST_HOLDER, (article_id, article_id)).fetchone()
    if other[0] is None:
        _delete_article(conn, article[0])
        report.changed_ids.add(article_id)
        return True
    if article[1] == path:
        # The article showed the gone file's text; a copy with the same URL may say something
        # else, so read the file that now stands for it (same rowid, so the list keeps its place).
        result = parse_file(other[0], FILE_TIME_LIMIT)
        if isinstance(result, Messages):  # an mbox: the message that is this article
            result = mailboxes.the_one(result, article_id)
        if isinstance(result, Prepared) and result.id == article_id:
            _delete_article(conn, article[0])
            insert_prepared(conn, result, other[0], article[2], rowid=article[0])
            report.changed_ids.add(article_id)
        else:
            conn.execute("UPDATE articles SET path = ? WHERE rowid = ?", (other[0], article[0]))
    return False


def _delete_article(conn: sqlite3.Connection, rowid: int) -> None:
    old = conn.execute(
        "SELECT title, excerpt, body, provider || ' ' || domain, topics FROM articles"
        " WHERE rowid = ?",
        (rowid,),
    ).fetchone()
    if old is None:
        return
    conn.execute(
        "INSERT INTO fts(fts, rowid, title, excerpt, body, provider, topics)"
        " VALUES ('delete',?,?,?,?,?,?)",
        (rowid, *old),
    )
    for table in ("topics", "url_keys", "links"):
        conn.execute(f"DELETE FROM {table} WHERE article = ?", (rowid,))
    conn.execute("DELETE FROM pending WHERE article = ?", (rowid,))
    conn.execute("DELETE FROM rough WHERE article = ?", (rowid,))
    conn.execute("DELETE FROM articles WHERE rowid = ?", (rowid,))
