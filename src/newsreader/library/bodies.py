"""The second phase of a big index: clean the bodies of the articles the first phase listed.

A sync with many new or changed files (``TWO_PHASE_MIN``) first lists every article from its
cheap metadata (``ingest.quick``): each one is in the list, in its place, with its title, date,
source and topics, and those with a body to clean are marked in the ``pending`` table. This
phase then parses those files fully in the pool and replaces each listed row in place (same
rowid, so the list keeps its order) with its cleaned body, full-text entries and links.

An article listed with a provisional id (no URL: its final id hashes the cleaned text) takes its
final id here; the files holding it follow, and so do the user's marks (``carry``). If the final
id is already another article's, the listed row was a copy of it and goes. A file that turns out
to be no article after all is listed in problems. Each batch is one transaction, and the
``pending`` table is the phase's whole state, so a sync killed here leaves a usable list and
the next sync finishes the phase.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from newsreader.ingest.discover import FileEntry, key_path
from newsreader.library.db import write
from newsreader.library.parsing import Parsed, Prepared, parse_entries
from newsreader.library.phases import Progress
from newsreader.model import Article, Problem

if TYPE_CHECKING:
    from newsreader.library.sync import SyncReport

#: New or changed files from which a sync lists first and cleans after. Below it one pass is
#: cheaper (a second pool start and a second write of each row cost more than they save).
TWO_PHASE_MIN = 2000
#: Articles per transaction.
BATCH = 500

#: Called with (old id, new id) pairs after each batch that gave articles their final ids.
Carry = Callable[[list[tuple[str, str]]], None]


def pending_count(conn: sqlite3.Connection) -> int:
    """How many listed articles still wait for their bodies."""
    count: int = conn.execute("SELECT count(*) FROM pending").fetchone()[0]
    return count


def index_bodies(
    conn: sqlite3.Connection,
    report: SyncReport,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    carry: Carry | None = None,
) -> int:
    """Clean every pending article; returns how many were. ``report`` (a ``SyncReport``)
    gains the changed and moved ids, the duplicates and the problems found."""
    rows = conn.execute(
        "SELECT p.article, a.id, a.path FROM pending p LEFT JOIN articles a ON a.rowid = p.article"
        " ORDER BY p.article"
    ).fetchall()
    if not rows:
        return 0
    todo = [(rowid, article_id, path) for rowid, article_id, path in rows if path is not None]
    if len(todo) < len(rows):  # rows of articles deleted without their pending mark
        with write(conn):
            conn.execute("DELETE FROM pending WHERE article NOT IN (SELECT rowid FROM articles)")
    # Told as articles with their bodies done of all those listed (the list is complete now).
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    ready, done = total - len(todo), 0
    if progress:
        progress(ready, total, "bodies")
    entries = [FileEntry(path, 0, 0, key_path(path)) for _, _, path in todo]
    batch: list[tuple[tuple[int, str, str], Parsed]] = []
    told = time.perf_counter()
    for entry_index, (_, result) in enumerate(parse_entries(entries, workers)):
        batch.append((todo[entry_index], result))
        if len(batch) >= BATCH:
            _store(conn, batch, report, carry)
            done += len(batch)
            batch = []
        if progress and time.perf_counter() - told > 0.5:
            told = time.perf_counter()
            progress(ready + done + len(batch), total, "bodies")
    if batch:
        _store(conn, batch, report, carry)
        done += len(batch)
    if progress:
        progress(ready + done, total, "bodies")
    return done


def _store(
    conn: sqlite3.Connection,
    batch: list[tuple[tuple[int, str, str], Parsed]],
    report: SyncReport,
    carry: Carry | None,
) -> None:
    moved: list[tuple[str, str]] = []
    with write(conn):
        for (rowid, listed_id, path), result in batch:
            _store_one(conn, rowid, listed_id, path, result, report, moved)
    if moved and carry is not None:
        carry(moved)


def _store_one(
    conn: sqlite3.Connection,
    rowid: int,
    listed_id: str,
    path: str,
    result: Parsed,
    report: SyncReport,
    moved: list[tuple[str, str]],
) -> None:
    from newsreader.library.sync import _delete_article, insert_prepared  # imports this module

    conn.execute("DELETE FROM pending WHERE article = ?", (rowid,))
    row = conn.execute("SELECT id, added FROM articles WHERE rowid = ?", (rowid,)).fetchone()
    if row is None or row[0] != listed_id:
        return  # another sync replaced it meanwhile
    changed = report.changed_ids
    changed.add(listed_id)
    if isinstance(result, Problem):
        _delete_article(conn, rowid)
        conn.execute(
            "UPDATE files SET article_id = NULL, problem = ? WHERE article_id = ?",
            (result.reason, listed_id),
        )
        report.skipped += 1
        report.added = max(0, report.added - 1)
        return
    assert isinstance(result, Prepared)
    if result.id != listed_id:
        conn.execute("UPDATE files SET article_id = ? WHERE article_id = ?", (result.id, listed_id))
        moved.append((listed_id, result.id))
        report.moved_ids.append((listed_id, result.id))
        other = conn.execute(
            "SELECT rowid, path FROM articles WHERE id = ?", (result.id,)
        ).fetchone()
        if other is not None:  # a copy of an article another row holds
            _delete_article(conn, rowid)
            if path < other[1]:
                conn.execute("UPDATE articles SET path = ? WHERE rowid = ?", (path, other[0]))
            report.duplicates += 1
            report.added = max(0, report.added - 1)
            return
    _delete_article(conn, rowid)
    insert_prepared(conn, result, path, row[1], rowid=rowid)
    changed.add(result.id)


def clean_now(article: Article) -> Article:
    """A listed article with its body cleaned now, for the reader (one page costs 15-30 ms,
    plus the extractor's import the first time): the second phase stores it later. It keeps
    the listed id, which the list and the user's marks know it by until then."""
    from newsreader.ingest.load import load_file

    full = load_file(key_path(article.path))
    if isinstance(full, Problem):
        return article
    return dataclasses.replace(full, id=article.id, path=article.path, paths=article.paths)
