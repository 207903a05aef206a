"""A folder's two databases in use: opening them (with recovery), a pool of reader
connections, the writer of the user's state, and the switch to memory when the disk fails.

The cache (derived, per folder) and the state (the user's own, shared by every folder) are two
files; readers see both through one connection, with the state attached as ``state``.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsreader.library import db
from newsreader.library.grouping import ensure_schema


@dataclass
class Store:
    """The open databases of one folder. Use :meth:`open`. Safe across threads: one lock
    guards the shared connection, and a file-backed cache lends each call a reader of its own."""

    conn: sqlite3.Connection
    cache_path: Path | None
    opened: db.Opened
    #: Where state writes go: a connection of their own, so they never wait on a sync's cache lock.
    state_path: Path | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self._state = db.connect(self.state_path) if self.state_path else self.conn
        #: Idle readers, each with the generation of the cache file it was opened on.
        self._readers: queue.SimpleQueue[tuple[int, sqlite3.Connection]] = queue.SimpleQueue()
        #: Bumped when the cache file is replaced (see :meth:`rebuild_if_gone`), so readers
        #: still open on the old one are closed, not lent again.
        self._generation = 0
        self._prefix = "" if self.state_path else "state."
        self._closed = False

    @classmethod
    def open(cls, base: Path, key: str) -> Store:
        """Open (creating, migrating or recovering) the state in ``base`` and the cache ``key``."""
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
        cache_path = base / "cache" / f"{key}.sqlite"
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
            ensure_schema(conn)
        except sqlite3.OperationalError as error:  # e.g. held by another writer for too long
            opened.warnings.append(f"Stories are unavailable this time: {error}")
        return cls(conn, cache_path_used, opened, None if state_in_memory else state_path)

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for one call.

        With the cache in a file, each call borrows a reader from a small pool, so the reader
        pane's queries run beside a slow count for the tree instead of queueing behind it (WAL
        lets readers work side by side). In memory there is one connection, behind the lock.
        """
        if self.cache_path is None or self.state_path is None:
            with self.lock:
                yield self.conn
            return
        conn: sqlite3.Connection | None = None
        generation = self._generation
        while conn is None:
            try:
                generation, conn = self._readers.get_nowait()
            except queue.Empty:
                generation = self._generation
                conn = db.connect(self.cache_path)
                conn.execute("ATTACH DATABASE ? AS state", (str(self.state_path),))
            if generation != self._generation:  # opened on a cache file since replaced
                conn.close()
                conn = None
        try:
            yield conn
        finally:
            with self.lock:
                if self._closed or generation != self._generation:
                    conn.close()
                else:
                    self._readers.put((generation, conn))

    @contextlib.contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """A connection for a sync to write the cache through: its own, with a small page cache,
        so readers are not held up (WAL); in memory the shared one, behind the lock."""
        if self.cache_path is None:
            with self.lock:
                yield self.conn
            return
        writer = db.connect(self.cache_path, cache_mb=2)
        try:
            yield writer
        finally:
            writer.close()

    def write_state(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Run ``sql`` (naming tables ``state.x``) for each row, in one transaction."""
        with self.lock, db.write(self._state):
            self._state.executemany(sql.replace("state.", self._prefix), rows)

    def set_cache_aside(self, close: bool = True) -> Path | None:
        """Move the cache out of the way after damage was met while using it (closing it first,
        unless the session goes on with it); the next open starts a new one and its sync
        refills it. The state is untouched."""
        if close:
            self.close()
        if self.cache_path is None or not self.cache_path.exists():
            return None
        return db.move_aside(self.cache_path, "corrupt")

    def rebuild_if_gone(self) -> bool:
        """Start a new cache if its file was deleted under this session (``rm`` of the data
        dir's cache, ``cache --prune`` from another shell): the connections still open on the
        deleted file would otherwise make the next sync meet a new, empty file without its
        tables ("no such table: files") until a restart. The next sync refills it; the state
        is another file and untouched. Returns whether it was rebuilt."""
        if self.cache_path is None or self.cache_path.exists():
            return False
        with self.lock:
            opened = db.Opened()
            conn = db.open_db(
                self.cache_path,
                db.CACHE_MIGRATIONS,
                db.CACHE_VERSION,
                opened,
                label="cache",
                precious=False,
            )
            if opened.in_memory:  # the data dir cannot be written now: keep what we have
                conn.close()
                return False
            if self.state_path is not None:
                conn.execute("ATTACH DATABASE ? AS state", (str(self.state_path),))
            else:  # the state lives in memory beside the old cache: it comes along
                _attach_state_copy(conn, self.conn)
            with contextlib.suppress(sqlite3.Error):
                ensure_schema(conn)
            old, self.conn = self.conn, conn
            if self._state is old:
                self._state = conn
            self._generation += 1
            while True:
                try:
                    self._readers.get_nowait()[1].close()
                except queue.Empty:
                    break
            old.close()
            self.opened.warnings.extend(opened.warnings)
        return True

    def close(self) -> None:
        """Close the connections: idle ones now, one still in use when its query ends.

        A worker thread may be mid-query when the app quits; closing its connection under it
        crashes the process (seen: a segfault in a count at exit), so a borrowed reader is
        closed by :meth:`reading` when it comes back.
        """
        with self.lock:
            self._closed = True
            while True:
                try:
                    self._readers.get_nowait()[1].close()
                except queue.Empty:
                    break
            self.conn.close()
            if self._state is not self.conn:
                self._state.close()

    def work_from_memory(self, error: sqlite3.OperationalError) -> None:
        """Swap the files for in-memory copies of what they hold, after ``error`` said the
        disk filled up or turned read-only: the session goes on, and :attr:`opened` warns that
        nothing more is kept."""
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
                ensure_schema(memory)
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
