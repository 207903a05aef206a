"""`newsreader index` progress: the phases a sync reports, in order, and what the command prints
when stderr is not a terminal (issue 20)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsreader.index_progress import IndexProgress
from newsreader.library.library import Library, View
from newsreader.library.phases import PHASES, describe

ROOT = Path(__file__).resolve().parents[1]


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", folder)
    return folder


def _order(calls: list[tuple[int, int, str]]) -> list[str]:
    """The phases in the order they were first told."""
    seen: list[str] = []
    for _, _, phase in calls:
        if phase not in seen:
            seen.append(phase)
    return seen


def test_a_sync_tells_its_phases_in_order(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    calls: list[tuple[int, int, str]] = []
    library = Library.open(folder, tmp_path / "data")
    report = library.sync(lambda done, total, phase: calls.append((done, total, phase)), workers=1)
    one_pass = [phase for phase in PHASES if phase != "bodies"]  # a few files: one pass
    assert _order(calls) == one_pass
    # each phase is told in one run: never back to an earlier one
    assert [phase for _, _, phase in calls] == sorted(
        (phase for _, _, phase in calls), key=PHASES.index
    )
    files = len(list(folder.iterdir()))
    assert (files, files, "scanning") in calls
    parsing = [(done, total) for done, total, phase in calls if phase == "parsing"]
    assert parsing[0] == (0, files) and parsing[-1] == (files, files)
    assert all(done <= total for done, total in parsing)
    assert list(report.phase_seconds) == one_pass
    assert all(seconds >= 0 for seconds in report.phase_seconds.values())
    # nothing changed: the scan, then the stories (which have nothing to do)
    calls.clear()
    report = library.sync(lambda done, total, phase: calls.append((done, total, phase)))
    library.close()
    assert _order(calls) == ["scanning", "stories"]
    assert list(report.phase_seconds) == ["scanning", "stories"]


def test_index_without_a_terminal_prints_plain_final_lines(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "newsreader", "index", str(folder)],
        env={**os.environ, "NEWSREADER_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr and "\x1b" not in done.stderr
    lines = done.stderr.splitlines()
    one_pass = [phase for phase in PHASES if phase != "bodies"]  # a few files: one pass
    assert [line.split()[0] for line in lines] == one_pass, done.stderr
    files = len(list(folder.iterdir()))
    assert lines[0].startswith(f"scanning  {files} files, ")
    assert lines[1].startswith(f"parsing   {files} files, ") and "files/s" in lines[1]
    assert done.stdout.startswith(f"{files} added")


def test_the_terminal_bar_shows_each_phase() -> None:
    stream = io.StringIO()
    progress = IndexProgress(stream, terminal=True)
    for call in ((0, 0, "scanning"), (5, 5, "scanning"), (0, 5, "parsing"), (5, 5, "parsing")):
        progress(*call)
    progress(0, 0, "storing")
    progress(3, 5, "bodies")
    progress(5, 5, "bodies")
    progress(0, 0, "stories")
    progress.close()
    # the bodies' phase started with 3 of 5 articles done: it cleaned 2
    assert progress.summary({"bodies": 1.0})[0].startswith("bodies    2 articles, 1.00s, 2 ")
    shown = stream.getvalue()
    assert "\x1b" in shown  # drawn for a terminal
    for phase in PHASES:
        assert phase in shown
    assert "5/5" in shown


def test_a_pipe_gets_no_bar() -> None:
    stream = io.StringIO()
    progress = IndexProgress(stream)  # a StringIO is no terminal
    progress(0, 10, "parsing")
    progress(10, 10, "parsing")
    progress.close()
    assert stream.getvalue() == ""
    assert progress.summary({"parsing": 2.0}) == ["parsing   10 files, 2.00s, 5 files/s"]


def test_a_two_phase_sync_tells_the_bodies_as_articles_done_of_all_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsreader.library import bodies

    monkeypatch.setattr(bodies, "TWO_PHASE_MIN", 1)
    folder = _folder(tmp_path)
    (folder / "notes.md").write_text("# Council notes\n\n" + "Words of a longer note. " * 20)
    calls: list[tuple[int, int, str]] = []
    library = Library.open(folder, tmp_path / "data")
    report = library.sync(lambda done, total, phase: calls.append((done, total, phase)), workers=1)
    assert _order(calls) == list(PHASES)
    assert list(report.phase_seconds) == list(PHASES)
    told = [(done, total) for done, total, phase in calls if phase == "bodies"]
    listed = library.count(View())
    assert told[0][1] == listed and told[0][0] < listed and told[-1] == (listed, listed)
    assert [done for done, _ in told] == sorted(done for done, _ in told)
    library.close()


def test_the_status_line_says_how_far_the_bodies_are_and_that_search_is_partial() -> None:
    text = describe(41_000, 100_000, "bodies")
    assert text.startswith("Listed 100,000 · indexing bodies 41%")
    assert "search" in text and "titles only" in text
