"""What the main screen's workers report: outcomes, in the past tense, as small messages.

A worker copies what it needs before it starts, calls the library in its thread and posts one
of these; the screen handles it on the UI thread (``@on``). No worker reads UI state.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from textual.message import Message
from textual.notifications import SeverityLevel

from newsreader.model import Article, Problem, View
from newsreader.tui.widgets.related import Sections
from newsreader.tui.widgets.topic_tree import TreeContents


@dataclass(frozen=True)
class ViewRequest:
    """A view to load into the list, and what to do once it is there."""

    view: View
    name: str
    #: Keep the cursor on this article id if the new list holds it.
    keep: str | None = None
    #: The first view of the session (its paint starts the tree and the folder scan).
    first: bool = False
    focus_list: bool = False
    #: Put the cursor on the first row (a search: the reader shows the best hit).
    open_first: bool = False
    #: Seconds to wait first, so that a fast typist's next keystroke cancels this one.
    delay: float = 0.0


@dataclass
class ViewLoaded(Message):
    """A view's rowids, in order (0 for rows whose place is known but not which rows they are)."""

    request: ViewRequest
    rowids: list[int]
    #: Set once the list has painted (the startup worker waits on it before its next query).
    painted: threading.Event | None = None


@dataclass
class ArticleLoaded(Message):
    """An article with its related sections, ready for the reader."""

    article: Article
    sections: Sections
    read: bool
    inferred: list[str]
    #: The user moved onto it: resting on it counts as reading.
    dwell: bool


@dataclass
class TreeLoaded(Message):
    """Fresh counts for the topic tree."""

    contents: TreeContents


@dataclass
class SyncProgressed(Message):
    """The folder scan got on: a status line, and whether the list should reload meanwhile."""

    text: str
    reload: bool = False


@dataclass
class SyncFinished(Message):
    """The folder scan ended (or failed): its summary, and whether any article changed."""

    text: str
    changed: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass
class StateChanged(Message):
    """Read, starred or saved searches changed in the library: rows and counts are stale."""

    note: str = ""
    #: Articles a bulk mark made read, which ``U`` can make unread again.
    undo: tuple[str, ...] = ()


@dataclass
class UnreadFound(Message):
    """Where ``n``/``N`` found the next unread row (None: there is none)."""

    rowids: list[int]
    index: int | None


@dataclass
class ProblemsLoaded(Message):
    """The files the last sync skipped."""

    problems: list[Problem]


@dataclass
class BrowserFinished(Message):
    """A URL was handed to the browser; ``opened`` is whether that worked."""

    url: str
    opened: bool


@dataclass
class Notice(Message):
    """A line for the user from a worker (an export, a pipe command)."""

    text: str
    severity: SeverityLevel = "information"
    title: str = ""
    timeout: float | None = None
