"""Total and unread counts of several views at once: the saved searches of the tree.

Counting a view's unread articles in SQL builds the set of read articles for each view (tens
of milliseconds when thousands are read). Here that set is read once, and each view costs one
query for its rowids, answered from the full-text index when it searches text, as ``count``.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from newsreader.library import listing
from newsreader.model import View

if TYPE_CHECKING:
    from newsreader.library.library import Library

#: The rowids of the read articles.
READ_ROWIDS = "SELECT a.rowid FROM state.read x JOIN articles a ON a.id = x.id"


def saved_counts(lib: Library) -> list[tuple[str, str, int, int]]:
    """The library's saved searches as (name, query, total, unread), by name."""
    saved = lib.saved_searches()
    with lib.store.reading() as conn:
        found = counts(conn, [View(query=query) for _, query in saved])
    return [(name, query, *pair) for (name, query), pair in zip(saved, found, strict=True)]


def counts(conn: sqlite3.Connection, wanted: list[View]) -> list[tuple[int, int]]:
    """(total, unread) of each view, in order; a search FTS5 cannot read counts (0, 0)."""
    if not wanted:
        return []
    read = {rowid for (rowid,) in conn.execute(READ_ROWIDS)}
    found = []
    for view in wanted:
        sql, params = listing.matching(conn, view, "rowid")
        try:
            rowids = {rowid for (rowid,) in conn.execute(sql, params)}
        except sqlite3.OperationalError as error:
            if not listing.fts_error(error):
                raise
            rowids = set()
        found.append((len(rowids), len(rowids - read)))
    return found
