"""What ``newsreader index`` shows while it works, and each phase's time when it is done.

On a terminal (stderr), a rich progress bar: the phase, the bar, files done of the phase's
total, the rate, the time left and the time spent, redrawn four times a second (so the clock
moves during a phase that reports rarely, like the stories). Anywhere else nothing moves: a
log file gets no carriage returns or escape codes, only the final lines. rich comes with
Textual, but is imported only for the terminal.
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

from newsreader.library.phases import PHASES, POLISHING, absorb_polish

if TYPE_CHECKING:
    from newsreader.library.library import Library
    from newsreader.library.sync import SyncReport


def synced(
    library: Library, *, quiet: bool, full: bool = False, polish: bool = False
) -> SyncReport:
    """Sync ``library``, with a bar on stderr unless ``quiet`` and then each phase's time;
    with ``polish``, clean fully the bodies a big index leaves rough too (``Library.polish``:
    what the reader otherwise does in its idle time), its time told with the others'."""
    progress = None if quiet else IndexProgress()
    try:
        report = library.sync(progress, full=full)
        if polish and library.rough_bodies():
            absorb_polish(report, library.polish(progress))
    finally:
        if progress:
            progress.close()
    for line in progress.summary(report.phase_seconds) if progress else ():
        print(line, file=sys.stderr)
    return report


#: What each counted phase counts.
_UNITS = {"scanning": "files", "parsing": "files", "bodies": "articles", POLISHING: "articles"}


class IndexProgress:
    """A sync's progress callback (``library.phases.Progress``) for the command line."""

    def __init__(self, stream: IO[str] | None = None, *, terminal: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.counts: dict[str, int] = {}
        self._starts: dict[str, int] = {}
        self._bar: Any = None
        self._task: Any = None
        self._phase = ""

    def __call__(self, done: int, total: int, phase: str) -> None:
        # The bodies' phase counts from the articles that had none to clean: its own count is
        # of those it cleaned.
        start = self._starts.setdefault(phase, done if phase == "bodies" else 0)
        self.counts[phase] = max(done, total) - start
        if not self.terminal:
            return
        if self._bar is None:
            self._bar = _bar(self.stream)
            self._bar.start()
        if phase != self._phase:
            if self._task is not None:  # the phase before is over: show it full
                last = self._bar.tasks[-1]
                full = last.total or max(last.completed, 1)
                self._bar.update(self._task, total=full, completed=full)
            self._task = self._bar.add_task(phase, total=total or None)
            self._phase = phase
        self._bar.update(self._task, completed=done, total=total or None)

    def close(self) -> None:
        """Stop redrawing (the bar stays on the screen as it was last drawn)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def summary(self, seconds: dict[str, float]) -> list[str]:
        """One line per phase that ran: its time, and its count where it has one."""
        lines = []
        for phase in sorted(seconds, key=(*PHASES, POLISHING).index):
            count = self.counts.get(phase, 0)
            unit = _UNITS.get(phase)
            files = f"{count:,} {unit}, " if count and unit else ""
            rate = f", {count / seconds[phase]:,.0f} {unit}/s" if files and seconds[phase] else ""
            lines.append(f"{phase:<9} {files}{seconds[phase]:.2f}s{rate}")
        return lines


def _bar(stream: IO[str]) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Files (articles, for the bodies) a second over the last seconds of the phase."""

        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            unit = "articles" if task.description == "bodies" else "files"
            return Text(f"{speed:,.0f} {unit}/s" if speed and task.total else "", style="cyan")

    return Progress(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=Console(file=stream, force_terminal=True),
        refresh_per_second=4,
    )
