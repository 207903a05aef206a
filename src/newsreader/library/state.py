"""The user's own state: read and starred marks, saved searches and the place in each folder.

It lives in the state database (attached as ``state``), apart from the derived cache, so
losing or rebuilding the cache never costs a mark.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable

from newsreader.library.store import Store

#: The tables of marks, by name.
MARKS = ("read", "starred")


def set_marked(store: Store, table: str, ids: Iterable[str], marked: bool) -> None:
    """Mark articles (``table`` is ``read`` or ``starred``), or clear the mark."""
    assert table in MARKS
    if marked:
        now = int(time.time())
        store.write_state(
            f"INSERT OR IGNORE INTO state.{table}(id, at) VALUES (?, ?)", [(i, now) for i in ids]
        )
    else:
        store.write_state(f"DELETE FROM state.{table} WHERE id = ?", [(i,) for i in ids])


def is_marked(store: Store, table: str, article_id: str) -> bool:
    """Whether the article has the mark (``read`` or ``starred``)."""
    assert table in MARKS
    with store.reading() as conn:
        found = conn.execute(f"SELECT 1 FROM state.{table} WHERE id = ?", (article_id,))
        return found.fetchone() is not None


def carry_marks(store: Store, moved_ids: list[tuple[str, str]]) -> None:
    """Marks follow an article whose id changed in place ((old, new) pairs, see
    ``SyncReport.moved_ids``); the old marks stay too, in case the change is undone."""
    if not moved_ids:
        return
    for table in MARKS:
        store.write_state(
            f"INSERT OR IGNORE INTO state.{table}(id, at)"
            f" SELECT ?, at FROM state.{table} WHERE id = ?",
            [(new, old) for old, new in moved_ids],
        )


def saved_searches(store: Store) -> list[tuple[str, str]]:
    """Saved searches as (name, query), by name."""
    with store.reading() as conn:
        return list(conn.execute("SELECT name, query FROM state.saved_searches ORDER BY name"))


def save_search(store: Store, name: str, query: str) -> None:
    """Save (or replace) a search by name."""
    store.write_state(
        "INSERT OR REPLACE INTO state.saved_searches(name, query, created) VALUES (?,?,?)",
        [(name, query, int(time.time()))],
    )


def delete_search(store: Store, name: str) -> None:
    """Forget a saved search (nothing happens for a name never saved)."""
    store.write_state("DELETE FROM state.saved_searches WHERE name = ?", [(name,)])


def rename_search(store: Store, old: str, new: str) -> bool:
    """Give a saved search another name. False, and nothing changed, when there is no search
    called ``old`` or another one is called ``new`` already (it is never replaced)."""
    names = {name for name, _ in saved_searches(store)}
    if old not in names or (new in names and new != old):
        return False
    try:
        store.write_state("UPDATE state.saved_searches SET name = ? WHERE name = ?", [(new, old)])
    except sqlite3.IntegrityError:
        return False  # taken meanwhile, by another process
    return True


def position(store: Store, folder: str) -> tuple[str | None, str | None, int | None]:
    """(last article id, last topic, time of the last visit) for ``folder``."""
    with store.reading() as conn:
        row = conn.execute(
            "SELECT article_id, topic, last_visit FROM state.positions WHERE folder = ?",
            (folder,),
        ).fetchone()
    return (row[0], row[1], row[2]) if row else (None, None, None)


def save_position(store: Store, folder: str, article_id: str | None, topic: str | None) -> None:
    """Remember where the user is in ``folder``, and when."""
    store.write_state(
        "INSERT OR REPLACE INTO state.positions(folder, article_id, topic, last_visit)"
        " VALUES (?,?,?,?)",
        [(folder, article_id, topic, int(time.time()))],
    )
