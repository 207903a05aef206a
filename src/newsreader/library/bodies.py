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
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from newsreader.ingest.discover import FileEntry, key_path
from newsreader.library.db import in_chunks, write
from newsreader.library.mailboxes import the_one
from newsreader.library.parsing import Messages, Parsed, Prepared, Rough, parse_entries
from newsreader.library.phases import POLISHING, Progress
from newsreader.library.polish import NICE
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
    polish: bool = False,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Give every pending article its body (a rough one where the full clean is dear, see
    ``library.polish``); with ``polish``, clean fully every article with a rough body. Returns
    how many were done. ``report`` (a ``SyncReport``) gains the changed and moved ids, the
    duplicates and the problems found. ``stop`` is asked after each batch: yes ends the phase
    there (its table keeps the rest)."""
    table = "rough" if polish else "pending"
    rows = conn.execute(
        f"SELECT p.article, a.id, a.path FROM {table} p"
        " LEFT JOIN articles a ON a.rowid = p.article ORDER BY p.article"
    ).fetchall()
    if not rows:
        return 0
    todo = [(rowid, article_id, path) for rowid, article_id, path in rows if path is not None]
    if len(todo) < len(rows):  # rows of articles deleted without their mark
        with write(conn):
            conn.execute(f"DELETE FROM {table} WHERE article NOT IN (SELECT rowid FROM articles)")
    phase = POLISHING if polish else "bodies"
    # The bodies are told as articles with their bodies done of all those listed (the list is
    # complete now); the polishing as its own count.
    total = len(todo) if polish else conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    ready, done = total - len(todo), 0
    if progress:
        progress(ready, total, phase)
    entries = [FileEntry(path, 0, 0, key_path(path)) for _, _, path in todo]
    batch: list[tuple[tuple[int, str, str], Parsed | Rough]] = []
    told = time.perf_counter()
    parsed = parse_entries(
        entries, workers, mode="full" if polish else "rough", nice=NICE if polish else 0
    )
    for entry_index, (_, result) in enumerate(parsed):
        batch.append((todo[entry_index], result))
        if len(batch) >= BATCH:
            _store(conn, batch, report, carry)
            done += len(batch)
            batch = []
            if stop is not None and stop():
                parsed.close()  # the pool's tasks in flight are dropped
                break
        if progress and time.perf_counter() - told > 0.5:
            told = time.perf_counter()
            progress(ready + done + len(batch), total, phase)
    if batch:
        _store(conn, batch, report, carry)
        done += len(batch)
    if progress:
        progress(ready + done, total, phase)
    return done


def _store(
    conn: sqlite3.Connection,
    batch: list[tuple[tuple[int, str, str], Parsed | Rough]],
    report: SyncReport,
    carry: Carry | None,
) -> None:
    moved: list[tuple[str, str]] = []
    with write(conn):
        for (rowid, listed_id, path), result in batch:
            if isinstance(result, Rough):
                _store_rough(conn, rowid, listed_id, result, report)
            elif isinstance(result, Messages):  # listed as an mbox's first message
                _store_one(conn, rowid, listed_id, path, the_one(result), report, moved)
            else:
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
    if conn.execute("DELETE FROM rough WHERE article = ?", (rowid,)).rowcount:
        # Its stories were signed from the rough text: re-signed by ``regroup_stories``, which
        # a polishing killed after this batch, or a reader's clean on demand, leaves to the next.
        conn.execute("INSERT OR IGNORE INTO resign(article) VALUES (?)", (rowid,))
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


def _store_rough(
    conn: sqlite3.Connection, rowid: int, listed_id: str, rough: Rough, report: SyncReport
) -> None:
    """The listed row with its rough body in place of none: searchable now, and marked for the
    polishing (``library.polish``). Its id, title and excerpt stay as listed until then."""
    if not conn.execute("DELETE FROM pending WHERE article = ?", (rowid,)).rowcount:
        return  # cleaned fully meanwhile (the reader opened it: ``clean_now``)
    old = conn.execute(
        "SELECT id, title, excerpt, body, provider || ' ' || domain, topics FROM articles"
        " WHERE rowid = ?",
        (rowid,),
    ).fetchone()
    if old is None or old[0] != listed_id:
        return  # another sync replaced it meanwhile
    _id, title, excerpt, body, provider, topics = old
    conn.execute(
        "INSERT INTO fts(fts, rowid, title, excerpt, body, provider, topics)"
        " VALUES ('delete',?,?,?,?,?,?)",
        (rowid, title, excerpt, body, provider, topics),
    )
    conn.execute(
        "UPDATE articles SET body = ?, words = ? WHERE rowid = ?", (rough.body, rough.words, rowid)
    )
    conn.execute(
        "INSERT INTO fts(rowid, title, excerpt, body, provider, topics) VALUES (?,?,?,?,?,?)",
        (rowid, title, excerpt, rough.body, provider, topics),
    )
    conn.execute("INSERT OR IGNORE INTO rough(article) VALUES (?)", (rowid,))
    report.changed_ids.add(listed_id)


def clean_now(article: Article, keep: Callable[[Article], None] | None = None) -> Article:
    """A listed article with its body cleaned now, for the reader (one page costs 15-30 ms,
    plus the extractor's import the first time). It keeps the listed id, which the list and the
    user's marks know it by; when the full clean fails, the article with no body (the rough one
    is never shown). ``keep`` is handed the cleaned article when its id is that one
    (``store_cleaned`` keeps it, so the later phases skip it); an article whose id moves waits
    for them, as they carry the marks made on it."""
    from newsreader.ingest.load import load_file

    full = load_file(key_path(article.path))
    if isinstance(full, Problem):  # never the rough body: the reader says the text is not here
        return dataclasses.replace(article, body="")
    if keep is not None and full.id == article.id:
        keep(full)
    return dataclasses.replace(full, id=article.id, path=article.path, paths=article.paths)


def store_cleaned(conn: sqlite3.Connection, full: Article) -> None:
    """Store an article ``clean_now`` cleaned in place of its listed or rough row (the same
    id), as the later phases would have. Nothing when the row is gone meanwhile."""
    from newsreader.library.parsing import prepare
    from newsreader.library.sync import SyncReport

    row = conn.execute("SELECT rowid, id, path FROM articles WHERE id = ?", (full.id,)).fetchone()
    if row is not None:
        _store(conn, [((row[0], row[1], row[2]), prepare(full))], SyncReport(), None)


def regroup_stories(conn: sqlite3.Connection, article_ids: Collection[str]) -> None:
    """Regroup the stories of ``article_ids`` (a ``SyncReport``'s changed ids: those deleted
    since count too) and of the articles the ``resign`` table holds, then take those out of it.
    Killed before that, the next call re-signs them again, which changes nothing."""
    from newsreader.library import stories

    due = {r[0] for r in conn.execute("SELECT article FROM resign")}
    rowids = stories.changed_rowids(conn, article_ids) | due
    # {-1}: only deletions happened; update() finds the vanished articles itself.
    stories.update(conn, rowids or ({-1} if article_ids else set()))
    if due:
        # Only those read above: a reader's clean on demand may have marked more meanwhile.
        with write(conn):
            for marks, chunk in in_chunks(sorted(due)):
                conn.execute(f"DELETE FROM resign WHERE article IN ({marks})", chunk)
