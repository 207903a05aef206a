"""A sync's phases, told to its one progress callback, and the time each phase took.

A sync calls ``progress(done, total, phase)``: ``phase`` is one of :data:`PHASES`, in that
order, and ``total`` is 0 while it is not known yet (the scan cannot know how many files it will
find; a story regrouping has no count). A phase can be reported several times; the next phase
starting ends the one before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsreader.library.sync import SyncReport

#: The phases of a sync, in order: walking the folder, reading and storing the new and changed
#: files (parsed in a pool, stored a batch at a time as they come), finishing the search index,
#: cleaning the bodies of the articles listed first (only when there were many files, see
#: ``library.bodies``: its count is of articles, those with their bodies done of all listed),
#: regrouping the stories of what changed. After a big index, ``Library.polish`` tells one more,
#: "polishing" (:data:`POLISHING`), of its own: cleaning fully the bodies the bodies' phase gave
#: a rough text (``library.polish``; the index is complete without it; its count is its own).
PHASES = ("scanning", "parsing", "storing", "bodies", "stories")
POLISHING = "polishing"

Progress = Callable[[int, int, str], None]

#: What the reader's status line says in each phase.
_DESCRIPTIONS = {
    "scanning": "Scanning the folder… {done:,} files",
    "parsing": "Indexing {done:,}/{total:,} files…",
    "storing": "Finishing the search index…",
    "bodies": "Listed {total:,} · indexing bodies {percent}% (search finds titles only until done)",
    "stories": "Grouping stories…",
    "polishing": "Indexed · polishing bodies {done:,}/{total:,}…",
}


def describe(done: int, total: int, phase: str) -> str:
    """A short sentence for a status line."""
    percent = 100 * done // total if total else 0
    return _DESCRIPTIONS.get(phase, "{phase}…").format(
        done=done, total=total, phase=phase, percent=percent
    )


class Phases:
    """A progress callback that times the phases it is told of, and passes each call on.

    ``seconds`` holds each finished phase's time, in the order the phases ran.
    """

    def __init__(self, progress: Progress | None = None) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}
        self.phase = ""
        self._since = 0.0

    def __call__(self, done: int, total: int, phase: str) -> None:
        if phase != self.phase:
            self.end()
            self.phase, self._since = phase, time.perf_counter()
        if self.progress is not None:
            self.progress(done, total, phase)

    def end(self) -> None:
        """End the current phase (if any), keeping its time."""
        if self.phase:
            spent = time.perf_counter() - self._since
            self.seconds[self.phase] = self.seconds.get(self.phase, 0.0) + spent
            self.phase = ""


def absorb_polish(report: SyncReport, polished: SyncReport) -> None:
    """Add to a sync's ``report`` what the polishing after it found: its phase's time, and the
    articles that turned out, once cleaned, to be copies of others or no articles at all (each
    listed as added by the sync, as one pass would not have)."""
    gone = polished.duplicates + polished.skipped
    report.added = max(0, report.added - gone)
    report.duplicates += polished.duplicates
    report.skipped += polished.skipped
    report.moved_ids += polished.moved_ids
    report.changed_ids |= polished.changed_ids
    report.phase_seconds.update(polished.phase_seconds)
