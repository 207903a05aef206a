"""The caches in a data dir: the folder each belongs to, its size, and pruning the caches of
folders that are gone. No Textual.

A cache is named ``<folder name>-<hash of its path>.sqlite`` (``paths.library_key``), which
does not say the folder's path; its ``files`` table does (every path in it lies under the
folder), so the folder is the ancestor of a stored path whose key is the cache's name. A cache
whose folder cannot be told (no files, unreadable) is listed and never pruned. The user's state
(``state.sqlite``, beside ``cache/``) is never looked at here.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path, PurePath

from newsreader import paths
from newsreader.ingest.sanitize import display_path

#: A cache, its WAL files, or one set aside after damage (``db.move_aside``).
_NAME = re.compile(r"(?P<key>[\w-]*-[0-9a-f]{12})\.sqlite(?P<aside>\.[\w.-]+)?")


@dataclass(frozen=True)
class Cache:
    """One cache file of the data dir."""

    path: Path
    #: Bytes, with its -wal and -shm files.
    size: int
    #: The folder it caches; None when that cannot be told.
    folder: str | None
    #: The folder is still there.
    exists: bool
    #: Set aside after damage: a new cache took its place, so it only takes room.
    aside: bool = False

    @property
    def stale(self) -> bool:
        """Nothing will read it again: its folder is gone, or it was set aside."""
        return self.aside or (self.folder is not None and not self.exists)


def list_caches(data_dir: Path) -> list[Cache]:
    """Every cache in ``data_dir/cache``, by file name."""
    found = []
    folder_of_cache = data_dir / "cache"
    if not folder_of_cache.is_dir():
        return []
    for path in sorted(folder_of_cache.iterdir()):
        match = _NAME.fullmatch(path.name)
        if not match or not path.is_file():
            continue  # -wal and -shm files are counted with their database
        size = sum(_size(Path(f"{path}{side}")) for side in ("", "-wal", "-shm"))
        aside = match.group("aside") is not None
        folder = None if aside else _folder(path, match.group("key"))
        exists = folder is not None and Path(folder).is_dir()
        found.append(Cache(path, size, folder, exists, aside))
    return found


def prune(data_dir: Path) -> list[Cache]:
    """Remove the stale caches (see :attr:`Cache.stale`) with their WAL files; return them."""
    removed = []
    for cache in list_caches(data_dir):
        if not cache.stale:
            continue
        for side in ("", "-wal", "-shm"):
            Path(f"{cache.path}{side}").unlink(missing_ok=True)
        removed.append(cache)
    return removed


def list_lines(data_dir: Path) -> list[str]:
    """``cache --list``: a line per cache, its size, name and folder (or why it is stale)."""
    lines = []
    for cache in list_caches(data_dir):
        if cache.aside:
            where = "set aside after damage ('cache --prune' removes it)"
        elif cache.folder is None:
            where = "folder unknown (an empty or unreadable cache)"
        else:
            gone = "" if cache.exists else "  GONE ('cache --prune' removes it)"
            where = display_path(cache.folder) + gone
        lines.append(f"{_mb(cache.size):>9}  {display_path(cache.path.name)}  {where}")
    return lines or [f"no caches in {display_path(str(data_dir / 'cache'))}"]


def prune_lines(data_dir: Path) -> list[str]:
    """``cache --prune``: remove the stale caches, a line for each and a total."""
    removed = prune(data_dir)
    lines = [
        f"removed {display_path(c.path.name)}  {_mb(c.size)}"
        f"  ({'set aside after damage' if c.aside else 'folder gone'})"
        for c in removed
    ]
    return [*lines, f"{len(removed)} caches removed, {_mb(sum(c.size for c in removed))} freed"]


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _folder(path: Path, key: str) -> str | None:
    """The folder a cache belongs to, from one path stored in it."""
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT path FROM files LIMIT 1").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    if not row or not isinstance(row[0], str):
        return None
    for ancestor in PurePath(row[0]).parents:
        try:
            if paths.library_key(ancestor) == key:
                return str(ancestor)
        except (OSError, ValueError, UnicodeError):
            return None
    return None
