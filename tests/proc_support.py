"""Live processes read from /proc, for tests that check nothing is left running."""

from __future__ import annotations

from pathlib import Path


def _live(field: int, value: int) -> list[int]:
    """Pids of live (not zombie) processes whose stat ``field`` (after the command name:
    1 the parent, 3 the session) equals ``value``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name may hold spaces and parentheses: split after the last ')'.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        if fields[0] != "Z" and int(fields[field]) == value:
            found.append(int(entry.name))
    return found


def children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid``."""
    return _live(1, pid)


def session(sid: int) -> list[int]:
    """Live processes of session ``sid`` (its leader and everything it started)."""
    return _live(3, sid)


def descendants(pid: int) -> list[int]:
    """Live processes below ``pid``, at any depth."""
    out, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        out += kids
        todo += kids
    return out
