"""Snapshot tests of the main screens (pytest-textual-snapshot; Textual is pinned exactly).

Review the report before updating: pytest tests/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import SEEDS
from newsreader.library.library import Library
from newsreader.model import Problem
from newsreader.tui.app import NewsReaderApp
from newsreader.tui.screens import state as state_module
from newsreader.tui.screens.modals import ProblemsScreen


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NewsReaderApp]:
    # A preview never turns read during a snapshot, whatever the machine's speed.
    monkeypatch.setattr(state_module, "READ_AFTER", 3600)
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    library = Library.open(folder, tmp_path / "data")
    library.sync()
    yield NewsReaderApp(library, sync_on_start=False)
    library.close()


async def _settle(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_main_screen_120x40(snap_compare: Any, seeded: NewsReaderApp) -> None:
    async def before(pilot: Any) -> None:
        await _settle(pilot)
        for key in ("j", "j", "j"):
            await pilot.press(key)
            await _settle(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=before)


def test_main_screen_80x24(snap_compare: Any, seeded: NewsReaderApp) -> None:
    async def before(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("j", "j", "j")
        await _settle(pilot)

    assert snap_compare(seeded, terminal_size=(80, 24), run_before=before)


def test_front_matter_only_article(snap_compare: Any, seeded: NewsReaderApp) -> None:
    async def before(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("g", "j")
        await _settle(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=before)


def test_search_results(snap_compare: Any, seeded: NewsReaderApp) -> None:
    async def before(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("slash", *"clearview", "enter")
        await _settle(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=before)


def test_help_screen(snap_compare: Any, seeded: NewsReaderApp) -> None:
    async def before(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("question_mark")
        await _settle(pilot)
        # The filter's cursor blinks: hold it steady, or the picture depends on the timing.
        pilot.app.screen.query_one("#help-filter").cursor_blink = False
        await pilot.pause()

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=before)


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[NewsReaderApp]:
    folder = tmp_path / "empty"
    folder.mkdir()
    library = Library.open(folder, tmp_path / "data")
    library.sync()
    yield NewsReaderApp(library, sync_on_start=False)
    library.close()


async def _steady(pilot: Any) -> None:
    """Hold an input's cursor steady (it blinks, so the picture would depend on the timing)."""
    for widget in pilot.app.screen.query("Input"):
        widget.cursor_blink = False
    await pilot.pause()


def test_problems_screen(snap_compare: Any, seeded: NewsReaderApp) -> None:
    # Skipped files are named by absolute path: fixed ones for the picture (one name holds an
    # escape sequence, a bidi override and a newline, which show as escapes).
    problems = [
        Problem("/home/reader/news/binary.txt", "binary file, not an article"),
        Problem("/home/reader/news/evil\x1b]0;T\x07\u202e\n.md", "no text after cleaning"),
    ]

    async def before(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.app.push_screen(ProblemsScreen(problems))
        await _settle(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=before)


def test_link_prompt(snap_compare: Any, seeded: NewsReaderApp) -> None:
    async def before(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("f")
        await _settle(pilot)
        await _steady(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=before)


def test_export_prompt(snap_compare: Any, seeded: NewsReaderApp) -> None:
    async def before(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("e")
        await _settle(pilot)
        # The default name is under the working directory: a fixed one for the picture.
        pilot.app.screen.query_one("Input").value = "~/news/all.md"
        await _steady(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=before)


def test_zoom(snap_compare: Any, seeded: NewsReaderApp) -> None:
    async def before(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("z")
        await _settle(pilot)

    assert snap_compare(seeded, terminal_size=(120, 40), run_before=before)


def test_empty_library(snap_compare: Any, empty: NewsReaderApp) -> None:
    assert snap_compare(empty, terminal_size=(80, 24), run_before=_settle)


def test_too_small_terminal(snap_compare: Any, seeded: NewsReaderApp) -> None:
    assert snap_compare(seeded, terminal_size=(50, 12), run_before=_settle)
