"""Snapshots of the prompts added with sorting and saved searches (issue 22 asks for one of each
prompt): the sort choice, with its current choice moved, and the delete confirmation."""

from __future__ import annotations

from typing import Any

from newsreader.tui.app import NewsReaderApp
from newsreader.tui.screens.tree_actions import ConfirmPrompt
from test_snapshots import _settle, seeded  # noqa: F401 - seeded is a fixture


def test_sort_prompt(snap_compare: Any, seeded: NewsReaderApp) -> None:  # noqa: F811
    async def before(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.press("O", "j")
        await _settle(pilot)

    assert snap_compare(seeded, terminal_size=(100, 30), run_before=before)


def test_delete_search_confirmation(snap_compare: Any, seeded: NewsReaderApp) -> None:  # noqa: F811
    async def before(pilot: Any) -> None:
        await _settle(pilot)
        await pilot.app.push_screen(ConfirmPrompt('Delete the saved search "[b]Clearview[/b]"?'))
        await _settle(pilot)

    assert snap_compare(seeded, terminal_size=(100, 30), run_before=before)
