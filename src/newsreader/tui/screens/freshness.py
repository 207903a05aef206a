"""What another program indexed shows up in an open reader, without pressing ``r``.

Every few seconds a thread worker reads the cache's data version (``Library.data_version``: it
moves when another connection commits, and not for read or star marks). When it moved and no
sync or fetch of this session is running, the list and the tree reload, as after a sync of our
own that changed something. Our own syncs move it too: after one, the next reading is the new
baseline rather than a change.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from textual import events, on, work
from textual.message import Message
from textual.worker import WorkerState

from newsreader.tui.messages import SyncFinished
from newsreader.tui.screens.state import MainState

#: Seconds between two readings of the data version (a read of one integer, no file opened).
POLL_EVERY = 2.0
#: Worker groups whose writes to the cache are this session's own.
OWN_WRITERS = ("sync", "feeds", "save_page")


@dataclass
class VersionRead(Message):
    """The cache's data version, and which of our own writes had ended when it was read."""

    version: int
    generation: int


class Freshness(MainState):
    """The main screen's state, watching the cache for what other programs indexed."""

    #: The data version the list shows (None: take the next reading as it).
    _data_version: int | None = None
    #: Bumped when a write of our own ends: readings taken before are stale.
    _generation = 0

    @on(events.Mount)
    def _start_poll(self) -> None:
        self.set_interval(POLL_EVERY, self._poll, name="poll")

    def own_write_running(self) -> bool:
        """A sync or fetch of this session is running (its writes are not another's)."""
        return any(
            w.group in OWN_WRITERS and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
            for w in self.workers
        )

    def rebase(self) -> None:
        """A write of our own ended: the next reading is the baseline, not a change."""
        self._generation += 1
        self._data_version = None

    def _poll(self) -> None:
        if not self.own_write_running():
            self._read_version(self._generation)

    @work(thread=True, exit_on_error=False, exclusive=True, group="poll")
    def _read_version(self, generation: int) -> None:
        try:
            version = self.library.data_version()
        except sqlite3.Error:
            return  # the cache is busy, or closing as the app quits: the next poll tries again
        self.post_message(VersionRead(version, generation))

    @on(VersionRead)
    def _version_read(self, event: VersionRead) -> None:
        if event.generation != self._generation or self.own_write_running():
            return
        last, self._data_version = self._data_version, event.version
        if last is not None and last != event.version:
            self.status("The library was updated by another program.")
            self.reload()

    @on(SyncFinished)
    def _own_sync_finished(self, _event: SyncFinished) -> None:
        self.rebase()
