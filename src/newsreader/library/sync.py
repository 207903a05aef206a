"""Bring a folder's cache up to date: walk and stat, parse only what is new or changed.

Parsing runs in a process pool (both cores) while this process writes. Every batch of files is
one transaction, with the ``files`` rows written together with the articles they produced, so a
sync killed at any point leaves a usable cache and the next one carries on from there.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from newsreader.ingest.discover import FileEntry, walk
from newsreader.ingest.load import load_file
from newsreader.library.db import write
from newsreader.model import Article, Problem

BATCH = 400
#: Below this many files a pool costs more to start than it saves.
POOL_THRESHOLD = 64


@dataclass
class SyncReport:
    """What one sync did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    changed_ids: set[str] = field(default_factory=set)

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.skipped} skipped, {self.unchanged} unchanged in {self.seconds:.2f}s"
        )


Progress = Callable[[int, int], None]


def sync(
    conn: sqlite3.Connection,
    folder: str,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> SyncReport:
    """Sync ``folder`` into the cache behind ``conn``. Interrupting it loses at most one batch."""
    started = time.perf_counter()
    report = SyncReport()
    known = {
        path: (size, mtime)
        for path, size, mtime in conn.execute("SELECT path, size, mtime_ns FROM files")
    }
    todo: list[FileEntry] = []
    seen: set[str] = set()
    for entry in walk(folder):
        seen.add(entry.path)
        old = known.get(entry.path)
        if old is None or old != (entry.size, entry.mtime_ns):
            todo.append(entry)
        else:
            report.unchanged += 1
    gone = [path for path in known if path not in seen]
    if gone:
        with write(conn):
            for path in gone:
                _forget_file(conn, path, report)
    if todo:
        now = int(time.time())
        done = 0
        for batch in _batches(_parse(todo, workers), BATCH):
            with write(conn):
                for entry, result in batch:
                    existed = entry.path in known
                    _store(conn, entry, result, now, report, existed)
            done += len(batch)
            if progress:
                progress(done, len(todo))
    report.seconds = time.perf_counter() - started
    return report


def _parse(todo: list[FileEntry], workers: int | None) -> Iterator[tuple[FileEntry, Article | Problem]]:
    paths = [entry.path for entry in todo]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if len(todo) < POOL_THRESHOLD or workers <= 1:
        yield from zip(todo, map(load_file, paths), strict=True)
        return
    # spawn, not fork: the TUI calls this from a thread, and forking a threaded process is unsafe.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from zip(todo, pool.map(load_file, paths, chunksize=32), strict=True)


def _batches(items: Iterable[tuple[FileEntry, Article | Problem]], size: int) -> Iterator[list[tuple[FileEntry, Article | Problem]]]:
    batch: list[tuple[FileEntry, Article | Problem]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _store(
    conn: sqlite3.Connection,
    entry: FileEntry,
    result: Article | Problem,
    now: int,
    report: SyncReport,
    existed: bool,
) -> None:
    if existed:
        _forget_file(conn, entry.path, report, counting=False)
    if isinstance(result, Problem):
        conn.execute(
            "INSERT OR REPLACE INTO files(path, size, mtime_ns, article_id, problem) VALUES (?,?,?,NULL,?)",
            (entry.path, entry.size, entry.mtime_ns, result.reason),
        )
        report.skipped += 1
        return
    conn.execute(
        "INSERT OR REPLACE INTO files(path, size, mtime_ns, article_id, problem) VALUES (?,?,?,?,NULL)",
        (entry.path, entry.size, entry.mtime_ns, result.id),
    )
    row = conn.execute("SELECT rowid, path FROM articles WHERE id = ?", (result.id,)).fetchone()
    if row is not None and row[1] != entry.path:
        # A copy of an article another file already holds: it only adds a path.
        report.unchanged += 1
        return
    if row is not None:
        _delete_article(conn, row[0])
    insert_article(conn, result, now)
    report.changed_ids.add(result.id)
    if existed:
        report.updated += 1
    else:
        report.added += 1


def insert_article(conn: sqlite3.Connection, article: Article, now: int) -> int:
    """Write one article and its index rows; returns its rowid."""
    data = json.dumps(
        {
            "images": [[i.url, i.width, i.height] for i in article.images],
            "related": [
                [r.title, r.url, r.excerpt, r.provider, r.domain,
                 r.published.isoformat() if r.published else None, r.key]
                for r in article.related
            ],
            "extras": article.extras,
            "web_url": article.web_url,
        },
        ensure_ascii=False,
    )
    published = int(article.published.timestamp()) if article.published else None
    topics = "\n".join(article.topics)
    cursor = conn.execute(
        "INSERT INTO articles(id, path, title, kind, excerpt, body, published, url, web_url, provider,"
        " domain, topics, type, data, words, added) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            article.id, article.path, article.title, article.kind, article.excerpt, article.body,
            published, article.url, article.web_url, article.provider, article.domain, topics,
            article.type, data, len(article.body.split()), now,
        ),
    )
    rowid = cursor.lastrowid
    assert rowid is not None
    conn.execute(
        "INSERT INTO fts(rowid, title, excerpt, body, provider, topics) VALUES (?,?,?,?,?,?)",
        (rowid, article.title, article.excerpt, article.body, article.provider + " " + article.domain, topics),
    )
    conn.executemany("INSERT INTO topics(article, topic) VALUES (?,?)", [(rowid, t) for t in article.topics])
    conn.executemany(
        "INSERT INTO url_keys(key, article) VALUES (?,?)",
        [(k, rowid) for k in dict.fromkeys(article.url_keys) if k],
    )
    conn.executemany(
        "INSERT INTO links(article, position, key) VALUES (?,?,?)",
        [(rowid, i, r.key) for i, r in enumerate(article.related) if r.key],
    )
    return rowid


def _forget_file(conn: sqlite3.Connection, path: str, report: SyncReport, counting: bool = True) -> None:
    """Drop a file; drop its article too when no other file holds it, else hand the article over."""
    row = conn.execute("SELECT article_id FROM files WHERE path = ?", (path,)).fetchone()
    conn.execute("DELETE FROM files WHERE path = ?", (path,))
    if counting:
        report.removed += 1
    if row is None or row[0] is None:
        return
    article = conn.execute("SELECT rowid, path FROM articles WHERE id = ?", (row[0],)).fetchone()
    if article is None:
        return
    other = conn.execute(
        "SELECT path FROM files WHERE article_id = ? ORDER BY path LIMIT 1", (row[0],)
    ).fetchone()
    if other is None:
        _delete_article(conn, article[0])
        report.changed_ids.add(row[0])
    elif article[1] == path:
        conn.execute("UPDATE articles SET path = ? WHERE rowid = ?", (other[0], article[0]))


def _delete_article(conn: sqlite3.Connection, rowid: int) -> None:
    old = conn.execute(
        "SELECT title, excerpt, body, provider || ' ' || domain, topics FROM articles WHERE rowid = ?",
        (rowid,),
    ).fetchone()
    if old is None:
        return
    conn.execute(
        "INSERT INTO fts(fts, rowid, title, excerpt, body, provider, topics) VALUES ('delete',?,?,?,?,?,?)",
        (rowid, *old),
    )
    for table in ("topics", "url_keys", "links"):
        conn.execute(f"DELETE FROM {table} WHERE article = ?", (rowid,))
    conn.execute("DELETE FROM articles WHERE rowid = ?", (rowid,))
