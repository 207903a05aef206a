"""Walk a folder safely: regular files only, no symlinked folders (so no loops), no hidden dirs."""

from __future__ import annotations

import errno
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


def walk(root: str, skipped: list[tuple[str, str]] | None = None) -> Iterator[FileEntry]:
    """Yield every regular file under ``root``, sorted for a stable order.

    Symlinks to files are followed (their target must be a regular file); symlinks to folders are
    not, so a loop can never be entered. Hidden files and folders (``.git``…) are skipped.
    Nothing is ever opened here, so a FIFO or a device can't block the walk. Whatever else is
    passed over (FIFOs, devices, sockets, broken or looping symlinks, symlinked folders) is
    added to ``skipped`` as ``(path, reason)``. Folders that vanish during the walk are skipped.
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
            except OSError as error:
                if skipped is not None and entry.is_symlink():
                    why = "a symlink loop" if error.errno == errno.ELOOP else "a broken symlink"
                    skipped.append((entry.path, f"not a file: {why}"))
                continue
            if stat.S_ISREG(st.st_mode):
                yield FileEntry(entry.path, st.st_size, st.st_mtime_ns)
            elif skipped is not None:
                skipped.append((entry.path, f"not a file: {_kind(st.st_mode)}"))
        stack.extend(reversed(subdirs))


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a symlink to a folder, not followed"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"
