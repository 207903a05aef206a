"""Walk a folder safely: regular files only, no symlinked folders (so no loops), no hidden dirs."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class FileEntry:
    """A candidate file with what a later sync compares: size and mtime."""

    path: str
    size: int
    mtime_ns: int


def walk(root: str) -> Iterator[FileEntry]:
    """Yield every regular file under ``root``, sorted for a stable order.

    Symlinks to files are followed (their target must be a regular file); symlinks to folders are
    not, so a loop can never be entered. Hidden files and folders (``.git``…) are skipped.
    Folders that vanish or can't be read during the walk are skipped silently.
    """
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append(entry.path)
                    continue
                st = entry.stat(follow_symlinks=True)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                yield FileEntry(entry.path, st.st_size, st.st_mtime_ns)
        stack.extend(reversed(subdirs))
