"""Files that hold several articles: an mbox file, each of whose messages is an article.

Such a file's ``files`` row names its first article, as any file's row does; the articles of its
other messages are rows of ``messages`` (path, part, article id). When the file changes, the
articles of the messages it still holds keep their rows (so the list keeps their places, and
the reader's marks, which go by id, stay with them); new messages are added, and the articles of
messages taken out are forgotten as a deleted file's are: dropped unless another file holds them.

The sync reads the paths that have ``messages`` rows once (``paths``); a file is stored here
only when it holds several articles or held them before, so one-article files pay nothing.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from newsreader.ingest.discover import FileEntry
from newsreader.library.parsing import Messages, Parsed, Prepared
from newsreader.model import Problem

if TYPE_CHECKING:
    from newsreader.library.sync import SyncReport

#: The first path (in sort order) of a file still holding an article, or NULL: ``files`` rows
#: and the messages' rows alike.
FIRST_HOLDER = (
    "SELECT min(path) FROM (SELECT path FROM files WHERE article_id = ?"
    " UNION ALL SELECT path FROM messages WHERE article_id = ?)"
)


def paths(conn: sqlite3.Connection) -> set[str]:
    """The files whose messages hold more than one article."""
    return {path for (path,) in conn.execute("SELECT DISTINCT path FROM messages")}


def the_one(found: Messages, article_id: str | None = None) -> Prepared | Problem:
    """The message of ``found`` that is the article ``article_id``, else its first (which the
    file's ``files`` row stands for)."""
    for item in found.items:
        if isinstance(item, Prepared) and item.id == article_id:
            return item
    return found.items[0]


def store(
    conn: sqlite3.Connection,
    entry: FileEntry,
    result: Parsed,
    now: int,
    report: SyncReport,
    old_id: str | None,
    several: set[str],
) -> None:
    """Store what a file that holds several articles, or held them, gives now (the messages of
    an mbox, or one article or problem): ``several`` (the sync's paths with ``messages`` rows)
    follows. A message that gave a problem is the file's problem, beside the others' articles."""
    from newsreader.library.sync import _forget_article

    path = entry.path
    held = {old_id} if old_id else set()
    held.update(_drop_rows(conn, path, several))
    items = result.items if isinstance(result, Messages) else [result]
    articles: dict[str, Prepared] = {}
    problems: list[str] = []
    for item in items:
        if isinstance(item, Prepared):
            articles.setdefault(item.id, item)  # a message twice in the file is one article
        else:
            problems.append(item.reason)
    report.skipped += len(problems)
    ids = list(articles)
    conn.execute(
        "INSERT OR REPLACE INTO files(path, size, mtime_ns, article_id, problem)"
        " VALUES (?,?,?,?,?)",
        (path, entry.size, entry.mtime_ns, ids[0] if ids else None, next(iter(problems), None)),
    )
    if len(ids) > 1:
        conn.executemany(
            "INSERT INTO messages(path, part, article_id) VALUES (?,?,?)",
            [(path, part, article_id) for part, article_id in enumerate(ids[1:], 1)],
        )
        several.add(path)
    for item in articles.values():
        _put(conn, item, path, now, report, held)
    for article_id in sorted(held.difference(articles)):
        if _forget_article(conn, article_id, path, report):
            report.removed += 1


def forget(
    conn: sqlite3.Connection,
    path: str,
    report: SyncReport,
    several: set[str],
    *,
    counting: bool = True,
) -> None:
    """Forget the articles of a file's messages after its first (the file is gone, or no
    longer mail): each is dropped unless another file holds it."""
    from newsreader.library.sync import _forget_article

    for article_id in _drop_rows(conn, path, several):
        if _forget_article(conn, article_id, path, report) and counting:
            report.removed += 1


def _drop_rows(conn: sqlite3.Connection, path: str, several: set[str]) -> list[str]:
    """Delete a file's ``messages`` rows; the article ids they held. Asked even for a file not
    in ``several``: another sync of the folder may have stored it since this one began."""
    several.discard(path)
    return [
        article_id
        for (article_id,) in conn.execute(
            "DELETE FROM messages WHERE path = ? RETURNING article_id", (path,)
        )
    ]


def _put(
    conn: sqlite3.Connection,
    item: Prepared,
    path: str,
    now: int,
    report: SyncReport,
    held: set[str],
) -> None:
    """Store one message's article: new, refreshed in place (the same rowid and arrival time
    when the file held it already), or a copy of an article another file holds."""
    from newsreader.library.sync import _delete_article, insert_prepared

    row = conn.execute(
        "SELECT rowid, path, added FROM articles WHERE id = ?", (item.id,)
    ).fetchone()
    if row is not None and row[1] != path:
        # A copy of an article another file holds: it only adds a path. The first path in sort
        # order is the article's ``path``.
        if path < row[1]:
            conn.execute("UPDATE articles SET path = ? WHERE rowid = ?", (path, row[0]))
        if item.id not in held:
            report.duplicates += 1
        return
    if row is None:
        insert_prepared(conn, item, path, now)
    else:
        _delete_article(conn, row[0])
        insert_prepared(conn, item, path, row[2] if item.id in held else now, rowid=row[0])
    if item.id in held:
        report.updated += 1
    else:
        report.added += 1
    report.changed_ids.add(item.id)
