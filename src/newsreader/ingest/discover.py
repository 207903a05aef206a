"""Walk a folder safely: regular files only, no symlinked folders (so no loops), no hidden dirs,
no symlinks out of the folder; and give each path a text form that SQLite can store."""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass

#: A byte of a file name that is not UTF-8 (a lone surrogate, as ``os.fsdecode`` gives it), or any
#: other lone surrogate. SQLite text must be valid UTF-8, so these can't be stored as they are.
_SURROGATE = re.compile("[\ud800-\udfff]")
#: How ``path_key`` writes one: NUL, which no path can hold, then the byte in hex (or ``u`` and
#: four hex digits for a surrogate that is not an escaped byte).
_ESCAPED = re.compile("\x00(?:([0-9A-F]{2})|u([0-9A-F]{4}))")


@dataclass(slots=True, frozen=True)
class FileEntry:
    """A candidate file with what a later sync compares: size and mtime.

    ``path`` is the text the cache stores and compares (``path_key``: the path itself unless its
    name has bytes that are not UTF-8); ``os_path`` is what to open.
    """

    path: str
    size: int
    mtime_ns: int
    os_path: str


def path_key(path: str) -> str:
    """``path`` as valid UTF-8 text, losslessly: each lone surrogate (a byte of the name that is
    not UTF-8) becomes NUL and its byte in hex. Every other path is returned as it is."""
    if not _SURROGATE.search(path):
        return path
    return _SURROGATE.sub(_escape_surrogate, path)


def key_path(key: str) -> str:
    """The path that ``path_key`` made ``key`` from."""
    if "\x00" not in key:
        return key
    return _ESCAPED.sub(_unescape_surrogate, key)


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\x00{code - 0xDC00:02X}" if 0xDC80 <= code <= 0xDCFF else f"\x00u{code:04X}"


def _unescape_surrogate(match: re.Match[str]) -> str:
    byte, other = match.groups()
    return chr(0xDC00 + int(byte, 16)) if byte else chr(int(other, 16))


def walk(
    root: str,
    skipped: list[tuple[str, str]] | None = None,
    *,
    follow_symlinks_outside: bool = False,
) -> Iterator[FileEntry]:
    """Yield every regular file under ``root``, sorted for a stable order.

    Symlinks to files are followed when their target is a regular file inside ``root`` (or
    anywhere, with ``follow_symlinks_outside``): a link to ``~/secret.txt`` dropped into the
    folder must not get the secret indexed. Symlinks to folders are not followed, so a loop can
    never be entered. Hidden files and folders (``.git``…) are skipped. Nothing is ever opened
    here, so a FIFO or a device can't block the walk. Whatever else is passed over (FIFOs,
    devices, sockets, broken, looping or outward symlinks, symlinked folders, folders that can't
    be read, paths too long for the system) is added to ``skipped`` as ``(path, reason)``, with
    paths as ``path_key`` gives them. A folder that vanishes during the walk is skipped quietly,
    and so is ``root`` itself if it can't be read: the caller decides what that means.
    """
    inside = os.path.join(os.path.realpath(root), "")
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as error:
            if skipped is not None and folder != root and error.errno != errno.ENOENT:
                skipped.append((path_key(folder), f"not read: {_why(error)}"))
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
                if skipped is None or (error.errno == errno.ENOENT and not entry.is_symlink()):
                    continue  # gone since the listing
                if entry.is_symlink():
                    why = "a symlink loop" if error.errno == errno.ELOOP else "a broken symlink"
                    skipped.append((path_key(entry.path), f"not a file: {why}"))
                else:
                    skipped.append((path_key(entry.path), f"not read: {_why(error)}"))
                continue
            if not stat.S_ISREG(st.st_mode):
                if skipped is not None:
                    skipped.append((path_key(entry.path), f"not a file: {_kind(st.st_mode)}"))
            elif (
                follow_symlinks_outside
                or not entry.is_symlink()
                or os.path.realpath(entry.path).startswith(inside)
            ):
                yield FileEntry(path_key(entry.path), st.st_size, st.st_mtime_ns, entry.path)
            elif skipped is not None:
                skipped.append(
                    (path_key(entry.path), "not followed: a symlink to outside the folder")
                )
        stack.extend(reversed(subdirs))


def _why(error: OSError) -> str:
    if error.errno == errno.ENAMETOOLONG:
        return "path too long for the system"
    return error.strerror or type(error).__name__


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
